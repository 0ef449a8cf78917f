//! Screening a dial's answers (a target's `confirm`): whoever answers a target that
//! asks for it hears a prompt and must press the accepting key before the [`Ringer`]
//! hears of the answer — until then, for the ringer and for the caller, it still
//! rings. A refusal, a hang-up or no key in time ends that leg (a BYE) and the ringer
//! hears it failed, so the other targets ring on. Shared by `dial` with the party
//! answered (`dial.rs`) and connected straight through (`through.rs`).
//!
//! [`Ringer`]: crate::ring::Ringer

use super::{AudioSource, CallProgram, Command, LegSaid, Screening};
use crate::ring::{self, LegId};
use contract::verbs::{Confirm, Dial};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// The SIP code a leg that refused (another key, or hung up on the prompt) counts as
/// for the ringer: 603 Decline, `busy` (RFC 3261 §21.6.2).
const REFUSED: u16 = 603;
/// No key in time: 480, `no-answer`, as a party that never picked up.
const NO_KEY: u16 = 480;

#[derive(Debug, Default)]
pub(super) struct Screens {
    /// Per ringer target: whether (and how) its answers are screened.
    confirm: Vec<Option<Confirm>>,
    /// Per leg: the ringer target it rings.
    target_of: HashMap<LegId, usize>,
    /// Legs that answered and are hearing the prompt.
    screening: HashSet<LegId>,
}

impl Screens {
    /// The screens of `verb`'s targets; `origins` maps the ringer's targets to the
    /// verb's (targets that could not be resolved are not rung).
    pub fn new(verb: &Dial, origins: &[usize]) -> Self {
        Self {
            confirm: origins
                .iter()
                .map(|&i| verb.targets.get(i).and_then(|t| t.confirm().cloned()))
                .collect(),
            target_of: HashMap::new(),
            screening: HashSet::new(),
        }
    }

    fn confirm_of(&self, leg: LegId) -> Option<&Confirm> {
        let target = *self.target_of.get(&leg)?;
        self.confirm.get(target)?.as_ref()
    }

    /// A ringer's command on its way to the driver: an INVITE tells which target a
    /// leg rings; a CANCEL of a leg that answered and hears the prompt becomes a BYE
    /// (a CANCEL cannot end an answered call).
    pub fn outgoing(&mut self, command: ring::Command) -> ring::Command {
        match command {
            ring::Command::Invite { leg, target, .. } => {
                self.target_of.insert(leg, target);
                command
            }
            ring::Command::Cancel { leg } | ring::Command::Abandon { leg }
                if self.screening.remove(&leg) =>
            {
                ring::Command::Bye { leg }
            }
            other => other,
        }
    }

    /// What a leg said, as the ringer must hear it (None: nothing, yet). The answer of
    /// a screened target starts its prompt instead; its early media is kept from the
    /// caller (the answered party's prompt, or a mobile's voicemail greeting, is not
    /// for the caller to hear).
    pub fn heard(
        &mut self,
        program: &mut CallProgram,
        leg: LegId,
        said: LegSaid,
    ) -> Option<LegSaid> {
        let Some(confirm) = self.confirm_of(leg).cloned() else {
            return Some(said);
        };
        match said {
            LegSaid::Ringing { .. } => Some(LegSaid::Ringing { sdp: false }),
            LegSaid::Answered { sdp: true } if !self.screening.contains(&leg) => {
                self.screening.insert(leg);
                program.out.push_back(Command::Screen {
                    leg,
                    prompt: prompt_source(&confirm),
                    key: confirm.key(),
                    timeout: Duration::from_secs(u64::from(confirm.timeout)),
                });
                None
            }
            // Hung up on the prompt: refused.
            LegSaid::Ended { .. } if self.screening.remove(&leg) => Some(LegSaid::Ended {
                code: REFUSED,
                hung_up: false,
            }),
            other => Some(other),
        }
    }

    /// The screened leg's answer to its prompt, as the ringer must hear it (None: the
    /// leg is no longer screened — the ringer gave up on it, or it hung up).
    pub fn screened(
        &mut self,
        program: &mut CallProgram,
        leg: LegId,
        result: Result<Screening, String>,
    ) -> Option<LegSaid> {
        if !self.screening.remove(&leg) {
            return None;
        }
        let code = match result {
            Ok(Screening::Accepted) => return Some(LegSaid::Answered { sdp: true }),
            Ok(Screening::Refused) => REFUSED,
            Ok(Screening::TimedOut) => NO_KEY,
            Err(problem) => {
                program.report_error(
                    "audio_unavailable",
                    &format!("the confirmation prompt could not be played: {problem}"),
                    None,
                    None,
                );
                503
            }
        };
        tracing::info!(
            leg,
            code,
            "dial: the answered party did not accept the call"
        );
        program
            .out
            .push_back(Command::Leg(ring::Command::Bye { leg }));
        Some(LegSaid::Ended {
            code,
            hung_up: false,
        })
    }
}

/// The audio of a confirmation prompt.
fn prompt_source(confirm: &Confirm) -> AudioSource {
    let prompt = confirm.prompt();
    match (prompt.recording, prompt.say) {
        (Some(name), _) => AudioSource::Recording(name.to_string()),
        (None, text) => AudioSource::Speech {
            text: text.unwrap_or_default(),
            language: prompt.language,
            voice: None,
        },
    }
}
