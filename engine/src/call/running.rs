//! The calls this node is handling, counted until each has written its record: what a
//! stopping server waits for, and the switch that turns new calls away meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often a stopping server looks whether its calls are done.
const POLL: Duration = Duration::from_millis(50);

/// Calls from their INVITE (or their placing through the API) until their record is
/// written.
#[derive(Debug, Default)]
pub struct Running {
    count: AtomicUsize,
    draining: AtomicBool,
}

/// One call counted in [`Running`] while it is held.
#[derive(Debug)]
pub struct Counted(Arc<Running>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Running {
    /// Counts a call until the returned value is dropped.
    pub fn enter(self: &Arc<Self>) -> Counted {
        self.count.fetch_add(1, Ordering::SeqCst);
        Counted(self.clone())
    }

    /// Calls not finished yet.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// From now on new calls are turned away (the server is stopping).
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Waits until no call is left, at most `timeout`; whether none is.
    pub async fn until_none(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.count() > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Running;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_call_is_counted_until_it_is_dropped_and_the_wait_ends_with_it() {
        let running = Arc::new(Running::default());
        let call = running.enter();
        assert_eq!(running.count(), 1);
        assert!(
            !running.until_none(Duration::from_millis(120)).await,
            "still up"
        );
        let waiting = tokio::spawn({
            let running = running.clone();
            async move { running.until_none(Duration::from_secs(5)).await }
        });
        drop(call);
        assert!(waiting.await.unwrap(), "done once the call is");
        assert!(!running.draining());
        running.drain();
        assert!(running.draining());
    }
}
