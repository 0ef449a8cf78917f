//! `gather`: prompts that the first key interrupts, then keys until a rule ends it.

use super::{Flow, Session, Wake};
use crate::store::Store;
use contract::verbs::{Gather, Prompt};
use std::time::Duration;
use std::time::Instant;

/// Why a gather ended (sent to the app as `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// `num_digits` keys were pressed.
    NumDigits,
    /// The finish key was pressed.
    OnKey,
    /// No key for `timeout` seconds.
    Timeout,
}

impl Finish {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NumDigits => "num_digits",
            Self::OnKey => "finish_on_key",
            Self::Timeout => "timeout",
        }
    }
}

/// The keys collected so far, and the rules that end the input (pure).
#[derive(Debug, Clone)]
pub struct Collector {
    num_digits: Option<usize>,
    finish_on_key: Option<char>,
    pub digits: String,
}

impl Collector {
    pub fn new(num_digits: Option<u32>, finish_on_key: &str) -> Self {
        Self {
            num_digits: num_digits.map(|n| n as usize),
            finish_on_key: finish_on_key.chars().next(),
            digits: String::new(),
        }
    }

    /// A key pressed: `Some` when it ends the input.
    pub fn key(&mut self, key: char) -> Option<Finish> {
        if Some(key) == self.finish_on_key {
            return Some(Finish::OnKey);
        }
        self.digits.push(key);
        (Some(self.digits.len()) == self.num_digits).then_some(Finish::NumDigits)
    }
}

impl<S: Store> Session<S> {
    pub(super) async fn gather(&mut self, verb: &Gather) -> Flow {
        // Keys arrive over the media: the call must be answered to hear them.
        if self.answer().await.is_err() {
            return self
                .end_unanswered(
                    contract::models::calls::CallStatus::Failed,
                    500,
                    "cannot answer",
                )
                .await;
        }
        self.progressed = true;
        let mut collector = Collector::new(verb.num_digits, &verb.finish_on_key);
        let mut finish = None;
        // Prompts, until the first key (barge-in).
        'prompts: for prompt in &verb.prompts {
            let first_key = match prompt {
                Prompt::Play(p) => self.play_interruptible(p).await,
                Prompt::Say(s) => self.say_interruptible(s).await,
                Prompt::Pause(p) => self.pause_interruptible(p.length).await,
            };
            match first_key {
                Err(flow) => return flow,
                Ok(None) => {}
                Ok(Some(key)) => {
                    finish = collector.key(key);
                    break 'prompts;
                }
            }
        }
        let timeout = Duration::from_secs(u64::from(verb.timeout));
        while finish.is_none() {
            match self.wait(Some(Instant::now() + timeout)).await {
                Wake::Key(key) => finish = collector.key(key),
                Wake::Timer => finish = Some(Finish::Timeout),
                Wake::PlaybackDone | Wake::Silence => {}
                Wake::Gone(flow) => return flow,
            }
        }
        let finish = finish.unwrap_or(Finish::Timeout);
        if collector.digits.is_empty() {
            tracing::debug!(sid = %self.record.sid, "gather: no input, next verb");
            return Flow::Next;
        }
        tracing::info!(sid = %self.record.sid, digits = %collector.digits, reason = finish.as_str(), "gather: keys collected");
        let action = verb.action.clone();
        let mut request = self.request();
        request.digits = Some(collector.digits);
        request.reason = Some(finish.as_str().to_owned());
        self.follow(action.as_ref(), request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn num_digits_ends_the_input() {
        let mut c = Collector::new(Some(3), "#");
        assert_eq!(c.key('1'), None);
        assert_eq!(c.key('2'), None);
        assert_eq!(c.key('3'), Some(Finish::NumDigits));
        assert_eq!(c.digits, "123");
    }

    #[test]
    fn finish_key_ends_and_is_not_collected() {
        let mut c = Collector::new(None, "#");
        assert_eq!(c.key('4'), None);
        assert_eq!(c.key('*'), None);
        assert_eq!(c.key('#'), Some(Finish::OnKey));
        assert_eq!(c.digits, "4*");
    }

    #[test]
    fn no_finish_key_collects_everything() {
        let mut c = Collector::new(Some(2), "");
        assert_eq!(c.key('#'), None);
        assert_eq!(c.key('#'), Some(Finish::NumDigits));
        assert_eq!(c.digits, "##");
    }
}
