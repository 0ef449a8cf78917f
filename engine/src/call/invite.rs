//! Reaching a party: where to send its INVITE and as whom. Every way Switchboard rings
//! somebody (a `dial`, a call straight through, a call placed through the REST API)
//! describes whom it rings as [`Party`]s and sends its INVITEs here; which INVITE goes
//! out when is the [`Ringer`](crate::ring::Ringer)'s decision.

use crate::call::Calls;
use crate::store::{Binding, Store, Transport};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::DialogStateSender;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::Uri;
use rsipstack::transport::SipAddr;

/// The device placing a call (never rung by a `dial` of its own extension).
pub(crate) type Device = (std::net::SocketAddr, Transport);

/// One way to reach a party: where the INVITE goes and the credentials to answer a
/// challenge with (a trunk's).
#[derive(Clone)]
pub(crate) struct Reach {
    pub binding: Binding,
    pub credential: Option<Credential>,
    /// What it is, for logs: `device 192.0.2.7:5060`, `trunk carrier-a`.
    pub label: String,
    /// Through a trunk: its name and how many calls it carries at most.
    pub trunk: Option<(String, Option<u32>)>,
}

impl Reach {
    /// A registered device (or a SIP URI's host).
    pub fn device(binding: Binding) -> Self {
        let label = format!("device {}", binding.source);
        Self {
            binding,
            credential: None,
            label,
            trunk: None,
        }
    }
}

/// Somebody to ring: the number it stands for (in call records and logs) and its
/// branches, rung together (every registered device of an extension), each with the
/// ways to reach it, tried in order (the trunks of an outbound route).
#[derive(Clone)]
pub(crate) struct Party {
    pub number: String,
    pub branches: Vec<Vec<Reach>>,
}

impl Party {
    /// One device or URI: one branch, one way.
    pub fn direct(number: String, binding: Binding) -> Self {
        Self {
            number,
            branches: vec![vec![Reach::device(binding)]],
        }
    }

    /// What the ringer needs to know of it: how many ways each branch has.
    pub fn ring_target(&self) -> crate::ring::Target {
        crate::ring::Target {
            branches: self.branches.iter().map(Vec::len).collect(),
        }
    }
}

/// What an INVITE says about its caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The user part of the From URI.
    pub user: String,
    pub display_name: Option<String>,
}

/// Sends an INVITE with `offer` to `reach`; its dialog's states go to `states`.
pub(crate) fn send<S: Store>(
    inner: &Calls<S>,
    caller: &Caller,
    reach: &Reach,
    offer: Vec<u8>,
    call_id: String,
    states: &DialogStateSender,
) -> Result<InviteDialog, String> {
    let public = inner.sip.public_ip;
    let from = Uri::try_from(format!("sip:{}@{public}", caller.user).as_str())
        .map_err(|e| format!("caller ID {} cannot be sent: {e}", caller.user))?;
    let to = Uri::try_from(reach.binding.contact.as_str())
        .map_err(|e| format!("{} is not a usable contact: {e}", reach.binding.contact))?;
    let transport = match reach.binding.transport {
        Transport::Udp => rsipstack::sip::Transport::Udp,
        Transport::Tcp => rsipstack::sip::Transport::Tcp,
    };
    let option = InviteOption {
        caller_display_name: caller.display_name.clone(),
        caller: from,
        callee: to,
        destination: Some(SipAddr::new(transport, reach.binding.source.into())),
        contact: inner.sip.contact.clone(),
        offer: Some(offer),
        call_id: Some(call_id),
        credential: reach.credential.clone(),
        ..InviteOption::default()
    };
    inner
        .sip
        .dialogs
        .do_invite_async(option, states.clone())
        .map(|(dialog, _)| dialog)
        .map_err(|e| format!("cannot send an INVITE to {}: {e}", reach.label))
}

/// Sleeps until `deadline`, or forever without one.
pub(crate) async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
