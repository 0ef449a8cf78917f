//! Who a `dial` (or a call placed through the REST API) rings, and how: every
//! registered device of an extension, a number through the dial plan (an extension,
//! else the trunks of the first matching outbound route, in their order), a SIP URI's
//! host, a named trunk.

use super::Calls;
use super::invite::{Party, Reach, TrunkOut};
use crate::clock::unix_now;
use crate::store::{Binding, Store, Transport};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::sip::Uri;
use std::net::SocketAddr;

use super::invite::Calling;

/// Every registered device of extension `number` (rung together), except `calling`.
pub(crate) async fn extension<S: Store>(
    inner: &Calls<S>,
    number: &str,
    calling: Option<&Calling>,
) -> Result<Party, String> {
    let found = inner
        .store
        .bindings(number, unix_now())
        .await
        .map_err(|e| format!("cannot read registrations: {e}"))?;
    Ok(Party {
        number: number.to_owned(),
        branches: found
            .into_iter()
            .filter(|b| !calling.is_some_and(|c| c.is(b)))
            .map(|b| vec![Reach::device(b)])
            .collect(),
    })
}

/// A number through the dial plan: an extension's devices, else an outbound route
/// (never back out through `arrived_on`, the trunk the call came in on).
pub(crate) async fn number<S: Store>(
    inner: &Calls<S>,
    dialled: &str,
    calling: Option<&Calling>,
    arrived_on: Option<&str>,
) -> Result<Party, String> {
    match inner.store.extension(dialled).await {
        Ok(Some(_)) => extension(inner, dialled, calling).await,
        Ok(None) => route(inner, dialled, arrived_on).await,
        Err(e) => Err(format!("cannot read extensions: {e}")),
    }
}

/// A SIP URI, rung directly.
pub(crate) async fn sip_uri(uri: &str) -> Result<Party, String> {
    Ok(Party::direct(uri.to_owned(), sip_binding(uri).await?))
}

/// `number` through trunk `name`.
pub(crate) async fn trunk<S: Store>(
    inner: &Calls<S>,
    name: &str,
    number: &str,
) -> Result<Party, String> {
    Ok(Party {
        number: number.to_owned(),
        branches: vec![vec![trunk_reach(inner, name, number, None).await?]],
    })
}

/// A number that is no extension, through the first outbound route that matches it:
/// its usable trunks, tried in order when a trunk fails — but never the trunk the call
/// came in on (`arrived_on`): two servers each sending a number back to the other
/// would ring it forever.
pub(crate) async fn route<S: Store>(
    inner: &Calls<S>,
    dialled: &str,
    arrived_on: Option<&str>,
) -> Result<Party, String> {
    let route = match inner.store.route_number(dialled).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(format!(
                "number {dialled} is no extension and matches no outbound route"
            ));
        }
        Err(e) => return Err(format!("cannot read the outbound routes: {e}")),
    };
    let mut reaches = Vec::new();
    let mut last = format!("the route for {dialled} has no trunk");
    for name in route.trunks {
        if arrived_on == Some(name.as_str()) {
            tracing::info!(%dialled, trunk = %name, "not sent back out through the trunk it came in on");
            last = format!("{dialled} would leave through trunk {name}, which it came in on");
            continue;
        }
        match trunk_reach(inner, &name, &route.number, route.caller_id.clone()).await {
            Ok(reach) => reaches.push(reach),
            Err(problem) => {
                tracing::info!(%dialled, %problem, "trunk of the route skipped");
                last = problem;
            }
        }
    }
    if reaches.is_empty() {
        return Err(last);
    }
    // Records show the number as dialled (the trunks get it rewritten).
    Ok(Party {
        number: dialled.to_owned(),
        branches: vec![reaches],
    })
}

/// Where and as whom to send an INVITE for `number` through trunk `name` (a route's
/// caller ID over the trunk's).
async fn trunk_reach<S: Store>(
    inner: &Calls<S>,
    name: &str,
    number: &str,
    route_caller_id: Option<String>,
) -> Result<Reach, String> {
    let trunk = match inner.store.trunk(name).await {
        Ok(Some(t)) => t,
        Ok(None) => return Err(format!("no trunk named {name}")),
        Err(e) => return Err(format!("cannot read trunk {name}: {e}")),
    };
    if !trunk.enabled {
        return Err(format!("trunk {name} is disabled"));
    }
    if inner.trunks.is_down(name) {
        return Err(format!(
            "trunk {name} is down (its peer does not answer OPTIONS)"
        ));
    }
    let uri = trunk.peer_uri(Some(number)).ok_or_else(|| {
        format!(
            "trunk {name}: calls over {} are not available yet",
            trunk.transport
        )
    })?;
    let binding = sip_binding(&uri).await?;
    let out = TrunkOut {
        name: name.to_owned(),
        max_channels: trunk.max_channels,
        silence: std::time::Duration::from_secs(u64::from(trunk.silence_timeout.max(1))),
        route_caller_id,
        caller_id: trunk.caller_id,
        caller_id_rule: trunk.caller_id_rule,
        from_user: trunk.from_user,
        from_host: trunk.from_host,
        asserted_identity: trunk.asserted_identity,
        diversion: trunk.diversion,
    };
    let credential = match (trunk.username, trunk.password) {
        (Some(username), Some(password)) => Some(Credential {
            username,
            password,
            realm: None,
            auth_username: None,
        }),
        _ => None,
    };
    Ok(Reach {
        binding,
        credential,
        label: format!("trunk {name}"),
        trunk: Some(out),
    })
}

/// Where to send an INVITE for a `sip:` URI: its host (an IP address, or a name
/// resolved by DNS A/AAAA) and port (default 5060), over UDP unless `;transport=tcp`.
async fn sip_binding(uri: &str) -> Result<Binding, String> {
    let parsed = Uri::try_from(uri).map_err(|e| format!("{uri} is not a SIP URI: {e}"))?;
    let host = parsed.host_with_port.host.to_string();
    let port = parsed.host_with_port.port.map_or(5060, |p| p.value());
    let tcp = uri.to_ascii_lowercase().contains(";transport=tcp");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let address = tokio::net::lookup_host(format!("{bare}:{port}").as_str())
        .await
        .ok()
        .and_then(|mut a| a.next())
        .or_else(|| {
            bare.parse::<std::net::IpAddr>()
                .ok()
                .map(|ip| SocketAddr::new(ip, port))
        })
        .ok_or_else(|| format!("cannot resolve {host}"))?;
    Ok(Binding {
        id: String::new(),
        aor: uri.to_owned(),
        contact: uri.to_owned(),
        source: address,
        transport: if tcp { Transport::Tcp } else { Transport::Udp },
        expires_at: 0,
        call_id: String::new(),
        cseq: 0,
        user_agent: None,
        path: Vec::new(),
    })
}
