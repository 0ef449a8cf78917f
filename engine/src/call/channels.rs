//! How many calls each trunk carries out of this node now, against its `max_channels`:
//! a leg to a trunk takes a channel for as long as its dialog lives; a trunk at its
//! maximum is skipped like a failing one (503), so the route's next trunk is tried.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Channels in use, by trunk.
#[derive(Debug, Clone, Default)]
pub struct TrunkChannels {
    in_use: Arc<Mutex<HashMap<String, u32>>>,
}

/// A channel of a trunk, given back when dropped.
#[derive(Debug)]
pub struct Channel {
    in_use: Arc<Mutex<HashMap<String, u32>>>,
    trunk: String,
}

impl TrunkChannels {
    /// A channel of `trunk` when it has one free (`max`: None is unlimited).
    pub fn take(&self, trunk: &str, max: Option<u32>) -> Option<Channel> {
        let mut in_use = self.in_use.lock().ok()?;
        let n = in_use.entry(trunk.to_owned()).or_insert(0);
        if max.is_some_and(|m| *n >= m) {
            return None;
        }
        *n += 1;
        Some(Channel {
            in_use: self.in_use.clone(),
            trunk: trunk.to_owned(),
        })
    }

    /// Channels of `trunk` in use now.
    pub fn in_use(&self, trunk: &str) -> u32 {
        self.in_use
            .lock()
            .map_or(0, |m| m.get(trunk).copied().unwrap_or(0))
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        if let Ok(mut in_use) = self.in_use.lock()
            && let Some(n) = in_use.get_mut(&self.trunk)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                in_use.remove(&self.trunk);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trunk_carries_at_most_its_channels_and_gets_them_back() {
        let channels = TrunkChannels::default();
        let a = channels.take("carrier", Some(2)).unwrap();
        let b = channels.take("carrier", Some(2)).unwrap();
        assert!(channels.take("carrier", Some(2)).is_none(), "full");
        assert!(channels.take("other", Some(1)).is_some(), "per trunk");
        drop(a);
        assert_eq!(channels.in_use("carrier"), 1);
        assert!(channels.take("carrier", Some(2)).is_some());
        drop(b);
        assert!(channels.take("carrier", None).is_some(), "unlimited");
    }
}
