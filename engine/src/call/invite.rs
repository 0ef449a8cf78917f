//! Reaching a party: where to send its INVITE and as whom. Every way Switchboard rings
//! somebody (a `dial`, a call straight through, a call placed through the REST API)
//! describes whom it rings as [`Party`]s and sends its INVITEs here; which INVITE goes
//! out when is the [`Ringer`](crate::ring::Ringer)'s decision.

use crate::call::Calls;
use crate::store::{Binding, CallerIdRule, Store, Transport};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::DialogStateSender;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::Uri;
use rsipstack::transport::SipAddr;

/// Where a request came from, and over what.
pub(crate) type Device = (std::net::SocketAddr, Transport);

/// The device placing a call: never rung by a `dial` of its own extension. Told apart
/// from the extension's other devices by its binding — its Contact — and not by its
/// address alone: behind a proxy every device has the proxy's address.
#[derive(Debug, Clone)]
pub(crate) struct Calling {
    pub source: Device,
    /// The INVITE's Contact URI.
    pub contact: Option<String>,
}

impl Calling {
    /// Is `binding` this device's registration? The same address and transport, and
    /// (when the INVITE had one) the same Contact user, host and port.
    pub fn is(&self, binding: &Binding) -> bool {
        if self.source != (binding.source, binding.transport) {
            return false;
        }
        match &self.contact {
            Some(contact) => same_contact(contact, &binding.contact),
            None => true,
        }
    }
}

/// Do two Contact URIs name the same device: the same user, host and port (parameters
/// such as `transport` or `ob` aside)?
fn same_contact(a: &str, b: &str) -> bool {
    let key = |value: &str| {
        // A header value: `"Name" <uri>;params`, `<uri>`, or a bare `uri;params`.
        let uri = match value.split_once('<') {
            Some((_, rest)) => rest.split('>').next().unwrap_or(rest),
            None => value.split(';').next().unwrap_or(value),
        };
        Uri::try_from(uri.trim()).ok().map(|u| {
            (
                u.user().map(str::to_owned),
                u.host_with_port.host.to_string().to_ascii_lowercase(),
                u.host_with_port.port.map_or(5060, |p| p.value()),
            )
        })
    };
    match (key(a), key(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// One way to reach a party: where the INVITE goes and the credentials to answer a
/// challenge with (a trunk's).
#[derive(Clone)]
pub(crate) struct Reach {
    pub binding: Binding,
    pub credential: Option<Credential>,
    /// What it is, for logs: `device 192.0.2.7:5060`, `trunk carrier-a`.
    pub label: String,
    /// Through a trunk: how calls leave through it.
    pub trunk: Option<TrunkOut>,
}

/// How a call leaves through a trunk.
#[derive(Debug, Clone)]
pub(crate) struct TrunkOut {
    pub name: String,
    /// Calls it carries at most from this node.
    pub max_channels: Option<u32>,
    /// How long its INVITE may stay silent before the route's next trunk.
    pub silence: std::time::Duration,
    /// The route's caller ID (over the trunk's).
    pub route_caller_id: Option<String>,
    pub caller_id: Option<String>,
    pub caller_id_rule: CallerIdRule,
    pub from_user: Option<String>,
    pub from_host: Option<String>,
    pub asserted_identity: bool,
    pub diversion: bool,
}

impl TrunkOut {
    /// The number presented for `caller`: its own when it chose one (a `dial`'s
    /// `caller_id`, the REST API's `from`), else the route's caller ID, else the
    /// trunk's rule applied to the caller's number.
    pub fn caller_id(&self, caller: &Caller) -> String {
        if caller.chosen {
            return caller.user.clone();
        }
        if let Some(id) = &self.route_caller_id {
            return id.clone();
        }
        match (&self.caller_id, self.caller_id_rule) {
            (Some(id), CallerIdRule::Replace) => id.clone(),
            (Some(prefix), CallerIdRule::Prefix) => format!("{prefix}{}", caller.user),
            (None, _) => caller.user.clone(),
        }
    }
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

    /// What the ringer needs to know of it: how many ways each branch has, and how
    /// long each may stay silent.
    pub fn ring_target(&self) -> crate::ring::Target {
        crate::ring::Target {
            branches: self.branches.iter().map(Vec::len).collect(),
            silences: self
                .branches
                .iter()
                .map(|ways| {
                    ways.iter()
                        .map(|w| w.trunk.as_ref().map_or(crate::ring::SILENCE, |t| t.silence))
                        .collect()
                })
                .collect(),
        }
    }
}

/// What an INVITE says about its caller.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caller {
    /// The user part of the From URI.
    pub user: String,
    pub display_name: Option<String>,
    /// `user` was chosen for this call (a `dial`'s `caller_id`, the REST API's
    /// `from`): trunks present it as it is.
    pub chosen: bool,
    /// The number the call first reached (an inbound call's dialled number): a leg to
    /// another number is a forwarded call (`Diversion` through a trunk).
    pub first_called: Option<String>,
    /// The Max-Forwards of the INVITE that reached us, less one (None: 70).
    pub max_forwards: Option<u32>,
}

/// Sends an INVITE for `number` with `offer` to `reach`; its dialog's states go to
/// `states`.
pub(crate) fn send<S: Store>(
    inner: &Calls<S>,
    caller: &Caller,
    (number, reach): (&str, &Reach),
    offer: Vec<u8>,
    call_id: String,
    states: &DialogStateSender,
) -> Result<InviteDialog, String> {
    let public = inner.sip.public_ip.to_string();
    let (from_user, host, mut headers) = match &reach.trunk {
        Some(out) => trunk_identity(out, caller, number, &public),
        None => (caller.user.clone(), public.clone(), Vec::new()),
    };
    if let Some(hops) = caller.max_forwards {
        headers.push(rsipstack::sip::Header::MaxForwards(hops.into()));
    }
    let from = Uri::try_from(format!("sip:{from_user}@{host}").as_str())
        .map_err(|e| format!("caller ID {from_user} cannot be sent: {e}"))?;
    let to = Uri::try_from(reach.binding.contact.as_str())
        .map_err(|e| format!("{} is not a usable contact: {e}", reach.binding.contact))?;
    // Through the proxies of the binding's Path, if it has one (RFC 3327 §5.4).
    let (address, transport, routes) = crate::sip::path::next_hop(&reach.binding);
    headers.extend(routes);
    let transport = match transport {
        Transport::Udp => rsipstack::sip::Transport::Udp,
        Transport::Tcp => rsipstack::sip::Transport::Tcp,
    };
    let option = InviteOption {
        caller_display_name: caller.display_name.clone(),
        caller: from,
        callee: to,
        destination: Some(SipAddr::new(transport, address.into())),
        contact: inner.sip.contact.clone(),
        offer: Some(offer),
        call_id: Some(call_id),
        credential: reach.credential.clone(),
        headers: (!headers.is_empty()).then_some(headers),
        ..InviteOption::default()
    };
    inner
        .sip
        .dialogs
        .do_invite_async(option, states.clone())
        .map(|(dialog, _)| dialog)
        .map_err(|e| format!("cannot send an INVITE to {}: {e}", reach.label))
}

/// The From user and host of a call out of a trunk, and the identity headers it adds:
/// P-Asserted-Identity with the caller ID (when asked, or when `From` carries the
/// trunk's account instead), Diversion naming the number first called when the call was
/// forwarded (RFC 5806; why it was forwarded is not known here: `reason=unknown`).
fn trunk_identity(
    out: &TrunkOut,
    caller: &Caller,
    number: &str,
    public: &str,
) -> (String, String, Vec<rsipstack::sip::Header>) {
    let shown = out.caller_id(caller);
    let host = out.from_host.clone().unwrap_or_else(|| public.to_owned());
    let mut headers = Vec::new();
    if out.asserted_identity || out.from_user.is_some() {
        headers.push(crate::sip::headers::other(
            "P-Asserted-Identity",
            format!("<sip:{shown}@{host}>"),
        ));
    }
    if out.diversion
        && let Some(first) = &caller.first_called
        && first != number
    {
        headers.push(crate::sip::headers::other(
            "Diversion",
            format!("<sip:{first}@{host}>;reason=unknown"),
        ));
    }
    (out.from_user.clone().unwrap_or(shown), host, headers)
}

/// Sleeps until `deadline`, or forever without one.
pub(crate) async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(source: &str, contact: &str) -> Binding {
        Binding {
            id: String::new(),
            aor: "1001".to_owned(),
            contact: contact.to_owned(),
            source: source.parse().unwrap(),
            transport: Transport::Udp,
            expires_at: 0,
            call_id: String::new(),
            cseq: 0,
            user_agent: None,
            path: Vec::new(),
        }
    }

    fn calling(source: &str, contact: Option<&str>) -> Calling {
        Calling {
            source: (source.parse().unwrap(), Transport::Udp),
            contact: contact.map(str::to_owned),
        }
    }

    #[test]
    fn the_calling_device_is_its_own_binding() {
        let phone = calling(
            "192.0.2.7:5060",
            Some("\"Desk\" <sip:1001@192.0.2.7:5060;ob>;+sip.instance=\"x\""),
        );
        assert!(phone.is(&binding("192.0.2.7:5060", "sip:1001@192.0.2.7:5060")));
        assert!(phone.is(&binding(
            "192.0.2.7:5060",
            "sip:1001@192.0.2.7;transport=udp"
        )));
    }

    #[test]
    fn devices_behind_one_proxy_are_told_apart_by_their_contact() {
        let a = calling("10.0.0.1:5060", Some("<sip:1001@192.168.1.10:5062>"));
        assert!(!a.is(&binding("10.0.0.1:5060", "sip:1001@192.168.1.11:5062")));
        assert!(a.is(&binding("10.0.0.1:5060", "sip:1001@192.168.1.10:5062")));
    }

    #[test]
    fn the_same_contact_from_another_address_is_another_device() {
        // Two offices, two NATs, the same private address on both sides.
        let a = calling("203.0.113.1:5060", Some("sip:1001@192.168.1.10"));
        assert!(!a.is(&binding("198.51.100.9:5060", "sip:1001@192.168.1.10")));
    }
}
