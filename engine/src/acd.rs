//! Queues served by agents (automatic call distribution): the words the call program
//! and storage share. Pure data; storage decides who is offered what
//! ([`crate::store::Store::queue_claim`]), the program drives one waiting caller
//! (`program/acd.rs`).

/// A provisioned queue's settings, as a caller waiting in it needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueSettings {
    /// Seconds an offered agent's phone rings.
    pub agent_ring_time: u32,
    /// Seconds before a caller nobody answered is offered again.
    pub retry_delay: u32,
    /// Seconds between position announcements (None: none).
    pub announce_every: Option<u32>,
    /// The announcements give the estimated wait.
    pub announce_hold_time: bool,
    /// Seconds a caller may wait.
    pub max_wait: Option<u32>,
    /// Callers leave when no member is logged in and unpaused.
    pub leave_when_empty: bool,
    /// The key that leaves the queue.
    pub exit_key: Option<String>,
}

/// Who joins a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCaller {
    pub sid: String,
    pub number: String,
    pub name: Option<String>,
}

/// Why a caller's stay in a queue ended without an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueExit {
    /// It hung up while waiting.
    Abandoned,
    /// Its max wait passed.
    Timeout,
    /// The queue had its max callers.
    Full,
    /// No member logged in and unpaused.
    Empty,
    /// It pressed the exit key.
    Key,
    /// A `leave`, new orders, or the queue went away.
    Left,
}

impl QueueExit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Abandoned => "abandoned",
            Self::Timeout => "timeout",
            Self::Full => "full",
            Self::Empty => "empty",
            Self::Key => "key",
            Self::Left => "left",
        }
    }
}

/// The answer to [`Store::queue_join`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueJoin {
    /// No queue of that name is provisioned: an application's own FIFO (served by a
    /// `dial` to the queue), kept in this process.
    Unprovisioned,
    /// Waiting, at `position` (1: next).
    Joined {
        position: u32,
        settings: QueueSettings,
    },
    /// Not let in.
    Refused(QueueExit),
}

/// The answer to [`Store::queue_claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueClaim {
    /// These members are reserved for the caller: ring them (together).
    Offer { members: Vec<String> },
    /// Not now.
    Wait {
        /// 1: next.
        position: u32,
        /// Some member is logged in and unpaused (free or not).
        staffed: bool,
        /// Seconds, when asked for and known.
        estimated_wait: Option<u32>,
    },
    /// The caller's row is gone (the queue was deleted).
    Gone,
}

/// What happened to a caller in a queue, for [`Store::queue_change`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueChange {
    /// `member` answered the offer: talking now.
    Answered { member: String },
    /// Nobody of the offer answered: they are free, the caller waits again.
    Released,
    /// The call with `member` is over: its wrap-up starts.
    AgentFree { member: String },
    /// The caller is out of the queue (after an answer, or by `exit`).
    Left(QueueExit),
}
