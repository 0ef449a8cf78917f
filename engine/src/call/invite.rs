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
