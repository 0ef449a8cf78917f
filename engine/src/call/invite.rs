//! Reaching a party: where to send its INVITE, as whom, and what to try next when a
//! trunk refuses. Every way Switchboard rings somebody (a `dial`, a call straight
//! through, a call placed through the REST API) sends its INVITEs here.

use crate::sip::Inner;
use crate::store::{Binding, Store, Transport};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::DialogStateSender;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::Uri;
use rsipstack::transport::SipAddr;
use std::collections::VecDeque;

/// One way to reach a party: where the INVITE goes and the credentials to answer a
/// challenge with (a trunk's).
#[derive(Clone)]
pub(crate) struct Reach {
    pub binding: Binding,
    pub credential: Option<Credential>,
    /// What it is, for logs: `device 192.0.2.7:5060`, `trunk carrier-a`.
    pub label: String,
}

/// A party to ring: the number it stands for (in call records) and how to reach it —
/// `fallbacks` are tried in order when the first way fails over (a route's next trunks).
#[derive(Clone)]
pub(crate) struct Target {
    pub number: String,
    pub reach: Reach,
    pub fallbacks: Vec<Reach>,
}

impl Target {
    /// A registered device (or a SIP URI): one way, no fallback.
    pub fn direct(number: String, binding: Binding) -> Self {
        let label = format!("device {}", binding.source);
        Self {
            number,
            reach: Reach {
                binding,
                credential: None,
                label,
            },
            fallbacks: Vec::new(),
        }
    }
}

/// Whether a refusal should move a call on to the next trunk of its route: the trunk
/// (or the provider behind it) failed us — no answer at all, refused our credentials,
/// an error of its own. A busy or declining callee, a wrong number or a cancelled call
/// would fare no better elsewhere (pure).
pub fn fails_over(code: u16) -> bool {
    matches!(code, 401 | 403 | 407 | 408 | 500..=599)
}

/// How long a trunk has to answer an INVITE at all (a 100 Trying is enough) before the
/// call moves on to the route's next trunk — Kamailio's `fr_timer` default. Without it a
/// dead trunk holds the call until its INVITE transaction times out (32 s), past any
/// ring time.
pub const TRUNK_SILENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// When an INVITE just sent should be given up as unanswered: only when there is a next
/// trunk to try (otherwise the ring time decides).
pub(crate) fn silence_deadline(fallbacks: &VecDeque<Reach>) -> Option<tokio::time::Instant> {
    (!fallbacks.is_empty()).then(|| tokio::time::Instant::now() + TRUNK_SILENCE)
}

/// Whether an INVITE has had no response at all yet (not even 100 Trying).
pub(crate) fn unanswered(dialog: &InviteDialog) -> bool {
    matches!(
        dialog.state(),
        rsipstack::dialog::dialog::DialogState::Calling(_)
    )
}

/// Gives up an INVITE nobody answered: its CANCEL goes out if the trunk ever answers
/// (rsipstack defers it until a provisional response; a late 200 is hung up).
pub(crate) fn abandon(dialog: &InviteDialog) {
    let dialog = dialog.clone();
    tokio::spawn(async move {
        let _ = dialog.cancel().await;
    });
}

/// Sleeps until `deadline`, or forever without one.
pub(crate) async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// What an INVITE says about its caller.
pub(crate) struct Caller<'a> {
    /// The user part of the From URI.
    pub user: &'a str,
    pub display_name: Option<&'a str>,
}

/// Sends an INVITE with `offer` to `reach`; its dialog's states go to `states`.
pub(crate) fn send<S: Store>(
    inner: &Inner<S>,
    caller: &Caller<'_>,
    reach: &Reach,
    offer: Vec<u8>,
    call_id: String,
    states: &DialogStateSender,
) -> Result<InviteDialog, String> {
    let public = inner.public_ip;
    let from = Uri::try_from(format!("sip:{}@{public}", caller.user).as_str())
        .map_err(|e| format!("caller ID {} cannot be sent: {e}", caller.user))?;
    let to = Uri::try_from(reach.binding.contact.as_str())
        .map_err(|e| format!("{} is not a usable contact: {e}", reach.binding.contact))?;
    let transport = match reach.binding.transport {
        Transport::Udp => rsipstack::sip::Transport::Udp,
        Transport::Tcp => rsipstack::sip::Transport::Tcp,
    };
    let option = InviteOption {
        caller_display_name: caller.display_name.map(str::to_owned),
        caller: from,
        callee: to,
        destination: Some(SipAddr::new(transport, reach.binding.source.into())),
        contact: inner.contact.clone(),
        offer: Some(offer),
        call_id: Some(call_id),
        credential: reach.credential.clone(),
        ..InviteOption::default()
    };
    inner
        .dialogs
        .do_invite_async(option, states.clone())
        .map(|(dialog, _)| dialog)
        .map_err(|e| format!("cannot send an INVITE to {}: {e}", reach.label))
}

/// Sends the INVITE to the first of `reaches` that takes one (each is removed as it
/// is tried); `None` when none did.
pub(crate) fn send_first<S: Store>(
    inner: &Inner<S>,
    caller: &Caller<'_>,
    reaches: &mut VecDeque<Reach>,
    offer: &[u8],
    call_id: &str,
    states: &DialogStateSender,
) -> Option<InviteDialog> {
    while let Some(reach) = reaches.pop_front() {
        match send(
            inner,
            caller,
            &reach,
            offer.to_vec(),
            call_id.to_owned(),
            states,
        ) {
            Ok(dialog) => return Some(dialog),
            Err(problem) => tracing::warn!(%problem, "cannot ring"),
        }
    }
    None
}

/// The INVITE ringing one target now, and the ways left to reach it: the route's next
/// trunks, tried when a trunk fails the call ([`fails_over`]) or says nothing at all for
/// [`TRUNK_SILENCE`].
pub(crate) struct Attempt {
    pub dialog: InviteDialog,
    /// The current INVITE's Call-ID: the first one, then `<first>-<n>` for the n-th
    /// trunk tried after it.
    pub call_id: String,
    first_call_id: String,
    /// The number rung (logs, call records).
    pub number: String,
    offer: Vec<u8>,
    fallbacks: VecDeque<Reach>,
    sent: usize,
    silence: Option<tokio::time::Instant>,
}

impl Attempt {
    /// Sends the first INVITE that goes out among the target's ways.
    pub fn start<S: Store>(
        inner: &Inner<S>,
        caller: &Caller<'_>,
        target: &Target,
        offer: Vec<u8>,
        call_id: String,
        states: &DialogStateSender,
    ) -> Option<Self> {
        let mut fallbacks = target.reaches();
        let dialog = send_first(inner, caller, &mut fallbacks, &offer, &call_id, states)?;
        Some(Self {
            dialog,
            first_call_id: call_id.clone(),
            call_id,
            number: target.number.clone(),
            offer,
            silence: silence_deadline(&fallbacks),
            fallbacks,
            sent: 1,
        })
    }

    /// Its trunk failed it with `code`: ring through the route's next trunk, if the code
    /// calls for it and one is left. True when a new INVITE went out.
    pub fn fail_over<S: Store>(
        &mut self,
        inner: &Inner<S>,
        caller: &Caller<'_>,
        code: u16,
        states: &DialogStateSender,
    ) -> bool {
        if !fails_over(code) || self.fallbacks.is_empty() {
            return false;
        }
        let next = self
            .fallbacks
            .front()
            .map(|r| r.label.clone())
            .unwrap_or_default();
        let call_id = format!("{}-{}", self.first_call_id, self.sent);
        let Some(dialog) = send_first(
            inner,
            caller,
            &mut self.fallbacks,
            &self.offer,
            &call_id,
            states,
        ) else {
            return false;
        };
        tracing::info!(number = %self.number, code, %next, "the trunk failed the call: trying the next trunk of the route");
        self.dialog = dialog;
        self.call_id = call_id;
        self.sent += 1;
        self.silence = silence_deadline(&self.fallbacks);
        true
    }

    /// When its trunk's silence must be checked.
    pub fn silence(&self) -> Option<tokio::time::Instant> {
        self.silence
    }

    /// At its silence deadline: true when the trunk said nothing at all, in which case
    /// the INVITE is given up (the caller then fails over, code 408).
    pub fn went_silent(&mut self, now: tokio::time::Instant) -> bool {
        if self.silence.is_none_or(|d| d > now) {
            return false;
        }
        self.silence = None;
        if !unanswered(&self.dialog) {
            return false;
        }
        tracing::info!(number = %self.number, "the trunk did not answer the INVITE");
        abandon(&self.dialog);
        true
    }
}

/// The earliest silence deadline among `attempts`.
pub(crate) fn next_silence<'a>(
    attempts: impl Iterator<Item = &'a Attempt>,
) -> Option<tokio::time::Instant> {
    attempts.filter_map(Attempt::silence).min()
}

impl Target {
    /// Every way to reach it, in order.
    pub fn reaches(&self) -> VecDeque<Reach> {
        std::iter::once(self.reach.clone())
            .chain(self.fallbacks.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_trouble_fails_over_callee_answers_do_not() {
        for code in [401, 403, 407, 408, 500, 502, 503, 504] {
            assert!(fails_over(code), "{code}");
        }
        for code in [404, 480, 484, 486, 487, 600, 603] {
            assert!(!fails_over(code), "{code}");
        }
    }
}
