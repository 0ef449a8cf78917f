//! FIFO queues of waiting callers, by name: `enqueue` joins one, a `dial` to a queue
//! target takes the caller who has waited longest and hands over its own leg. And
//! [`QueueWakes`]: how the callers of a provisioned queue on this node hear that
//! something changed in it.

use crate::media::bridge::{MediaLeg, Peer};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// What the agent's call hands to the waiting caller's call: its media, to be bridged.
#[derive(Debug)]
pub struct Pickup {
    /// The agent's call sid.
    pub agent_sid: String,
    pub leg: MediaLeg,
    pub peer: Peer,
    /// Fires when the agent's side hangs up.
    pub agent_gone: oneshot::Receiver<()>,
    /// Where the caller's call gives the agent's leg back when the bridge ends.
    pub give_back: oneshot::Sender<Option<MediaLeg>>,
}

/// A caller waiting in a queue.
#[derive(Debug)]
pub struct Waiter {
    pub sid: String,
    pub pickup: oneshot::Sender<Pickup>,
}

/// Every queue.
#[derive(Debug, Default)]
pub struct Queues {
    queues: Mutex<HashMap<String, VecDeque<Waiter>>>,
}

impl Queues {
    /// Adds a caller at the end of `queue`; returns its position (1 = next) and where
    /// its pickup will arrive.
    pub fn join(&self, queue: &str, sid: &str) -> (usize, oneshot::Receiver<Pickup>) {
        let (tx, rx) = oneshot::channel();
        let Ok(mut queues) = self.queues.lock() else {
            return (0, rx);
        };
        let q = queues.entry(queue.to_owned()).or_default();
        q.push_back(Waiter {
            sid: sid.to_owned(),
            pickup: tx,
        });
        (q.len(), rx)
    }

    /// Takes `sid` out of `queue` (it left or hung up).
    pub fn leave(&self, queue: &str, sid: &str) {
        if let Ok(mut queues) = self.queues.lock()
            && let Some(q) = queues.get_mut(queue)
        {
            q.retain(|w| w.sid != sid);
            if q.is_empty() {
                queues.remove(queue);
            }
        }
    }

    /// The caller who has waited longest in `queue`.
    pub fn take_oldest(&self, queue: &str) -> Option<Waiter> {
        let mut queues = self.queues.lock().ok()?;
        let q = queues.get_mut(queue)?;
        let w = q.pop_front();
        if q.is_empty() {
            queues.remove(queue);
        }
        w
    }
}

/// How many callers left a provisioned queue's line (answered, or gone) on this node
/// so far: a waiting caller moves up by the difference since it last looked.
pub type Departures = u64;

/// Per provisioned queue, a channel bumped whenever a caller's stay in it changes on
/// this node.
#[derive(Debug, Default)]
pub struct QueueWakes {
    queues: Mutex<HashMap<String, tokio::sync::watch::Sender<Departures>>>,
}

impl QueueWakes {
    /// Where a caller waiting in `queue` hears of changes.
    pub fn subscribe(&self, queue: &str) -> tokio::sync::watch::Receiver<Departures> {
        let Ok(mut queues) = self.queues.lock() else {
            return tokio::sync::watch::Sender::new(0).subscribe();
        };
        queues
            .entry(queue.to_owned())
            .or_insert_with(|| tokio::sync::watch::Sender::new(0))
            .subscribe()
    }

    /// Something changed in `queue`; `departed`: a caller left its line.
    pub fn notify(&self, queue: &str, departed: bool) {
        let Ok(mut queues) = self.queues.lock() else {
            return;
        };
        if let Some(tx) = queues.get(queue) {
            if tx.receiver_count() == 0 {
                queues.remove(queue);
                return;
            }
            tx.send_modify(|n| *n += u64::from(departed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_reach_the_callers_of_that_queue_with_the_departures() {
        let wakes = QueueWakes::default();
        let mut support = wakes.subscribe("support");
        let sales = wakes.subscribe("sales");
        wakes.notify("support", true);
        wakes.notify("support", false);
        assert!(support.has_changed().unwrap());
        assert_eq!(*support.borrow_and_update(), 1);
        assert!(!sales.has_changed().unwrap());
    }

    #[test]
    fn first_in_first_out_and_leaving() {
        let q = Queues::default();
        let (p1, _a) = q.join("support", "CA1");
        let (p2, _b) = q.join("support", "CA2");
        let (p3, _c) = q.join("support", "CA3");
        assert_eq!((p1, p2, p3), (1, 2, 3));
        q.leave("support", "CA2");
        assert_eq!(q.take_oldest("support").unwrap().sid, "CA1");
        assert_eq!(q.take_oldest("support").unwrap().sid, "CA3");
        assert!(q.take_oldest("support").is_none());
        assert!(q.take_oldest("sales").is_none());
    }
}
