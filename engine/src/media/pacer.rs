//! The clock that paces played audio: a frame every 20 ms, on time to well under a
//! millisecond.
//!
//! Why not a tokio interval: tokio's timers have millisecond resolution and its epoll
//! driver rounds every sleep up to the next whole millisecond, so a frame paced that way
//! leaves up to ~1 ms late, by a different amount each time — jitter the phone's buffer
//! must absorb. Here one thread ticks every millisecond with absolute high-resolution
//! sleeps (`clock_nanosleep`, timer slack 1 µs) and, at each tick, wakes the endpoints
//! whose 20 ms phase it is (1/20 of them, through a `watch` channel per phase: a wake-up
//! goes straight to the runtime, no timer involved). When nothing plays, the thread
//! sleeps until something does.

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The pacing period: one RTP frame.
const PERIOD_MS: u64 = 20;

/// The process's pacer (started on first use).
pub fn shared() -> &'static Pacer {
    static PACER: OnceLock<Pacer> = OnceLock::new();
    PACER.get_or_init(Pacer::start)
}

#[derive(Debug)]
pub struct Pacer {
    /// One channel per millisecond of the period; the value is the tick number.
    phases: Vec<watch::Sender<u64>>,
    origin: Instant,
    /// Clocks alive (the thread sleeps while there are none).
    clocks: Arc<AtomicUsize>,
    thread: Option<std::thread::Thread>,
}

impl Pacer {
    fn start() -> Pacer {
        let phases: Vec<watch::Sender<u64>> =
            (0..PERIOD_MS).map(|_| watch::Sender::new(0)).collect();
        let origin = Instant::now();
        let clocks = Arc::new(AtomicUsize::new(0));
        let mut pacer = Pacer {
            phases: phases.clone(),
            origin,
            clocks: clocks.clone(),
            thread: None,
        };
        let spawned = std::thread::Builder::new()
            .name("rtp-pacer".into())
            .spawn(move || run(&phases, origin, &clocks));
        match spawned {
            Ok(handle) => pacer.thread = Some(handle.thread().clone()),
            // Without the thread, clocks fall back to tokio timers (see `PaceClock`).
            Err(e) => tracing::error!(error = %e, "cannot start the RTP pacing thread"),
        }
        pacer
    }

    /// A clock ticking every 20 ms from now (its first tick 20 ms from now).
    pub fn clock(&'static self) -> PaceClock {
        let now = self.elapsed_ms();
        let phase = usize::try_from(now % PERIOD_MS).unwrap_or(0);
        let receiver = self.phases[phase].subscribe();
        if self.clocks.fetch_add(1, Ordering::AcqRel) == 0
            && let Some(thread) = &self.thread
        {
            thread.unpark();
        }
        PaceClock {
            pacer: self,
            receiver,
            next: now + PERIOD_MS,
            fallback: self.thread.is_none().then(|| {
                let mut i = tokio::time::interval(Duration::from_millis(PERIOD_MS));
                i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                i.reset();
                i
            }),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// An endpoint's 20 ms clock.
#[derive(Debug)]
pub struct PaceClock {
    pacer: &'static Pacer,
    receiver: watch::Receiver<u64>,
    /// The tick number due next.
    next: u64,
    fallback: Option<tokio::time::Interval>,
}

impl PaceClock {
    /// Resolves at the next 20 ms tick (at once if ticks were missed: they are skipped,
    /// never bunched).
    pub async fn tick(&mut self) {
        if let Some(interval) = self.fallback.as_mut() {
            interval.tick().await;
            return;
        }
        loop {
            if self.receiver.changed().await.is_err() {
                return std::future::pending().await;
            }
            let tick = *self.receiver.borrow_and_update();
            // A tick sent just before this clock subscribed is not ours.
            if tick >= self.next {
                self.next = tick + PERIOD_MS;
                return;
            }
        }
    }
}

impl Drop for PaceClock {
    fn drop(&mut self) {
        self.pacer.clocks.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The pacing thread: tick `n` at `origin + n` ms, for as long as clocks exist.
fn run(phases: &[watch::Sender<u64>], origin: Instant, clocks: &AtomicUsize) {
    // Wake within a microsecond of the deadline, not the default 50 µs.
    let _ = rustix::thread::set_current_timer_slack(NonZeroU64::new(1_000));
    let base = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let base_elapsed = origin.elapsed();
    let base_ns = i128::from(base.tv_sec) * 1_000_000_000 + i128::from(base.tv_nsec)
        - i128::try_from(base_elapsed.as_nanos()).unwrap_or(0);
    let mut tick: u64 = u64::try_from(base_elapsed.as_millis()).unwrap_or(0);
    loop {
        if clocks.load(Ordering::Acquire) == 0 {
            std::thread::park_timeout(Duration::from_secs(1));
            // Resume on the schedule, from now.
            tick = u64::try_from(origin.elapsed().as_millis()).unwrap_or(tick);
            continue;
        }
        tick += 1;
        let deadline = base_ns + i128::from(tick) * 1_000_000;
        let request = rustix::time::Timespec {
            tv_sec: i64::try_from(deadline / 1_000_000_000).unwrap_or(i64::MAX),
            tv_nsec: i64::try_from(deadline % 1_000_000_000).unwrap_or(0),
        };
        while let Err(rustix::io::Errno::INTR) =
            rustix::thread::clock_nanosleep_absolute(rustix::thread::ClockId::Monotonic, &request)
        {
        }
        let phase = usize::try_from(tick % PERIOD_MS).unwrap_or(0);
        phases[phase].send_replace(tick);
        // Far behind (the machine was suspended, or starved): skip to now.
        let now = u64::try_from(origin.elapsed().as_millis()).unwrap_or(tick);
        if now > tick + PERIOD_MS {
            tick = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ticks_come_every_20_ms_and_skip_when_missed() {
        let mut clock = shared().clock();
        let start = Instant::now();
        for _ in 0..5 {
            clock.tick().await;
        }
        // Never faster than the period (slower only on a starved machine).
        let five = start.elapsed();
        assert!(five >= Duration::from_millis(90), "5 ticks in {five:?}");
        // Busy for 70 ms: the missed ticks are not delivered in a burst.
        std::thread::sleep(Duration::from_millis(70));
        clock.tick().await; // the latest missed one, at once
        let after = Instant::now();
        clock.tick().await;
        assert!(
            after.elapsed() >= Duration::from_millis(5),
            "the next tick waits for its time"
        );
    }
}
