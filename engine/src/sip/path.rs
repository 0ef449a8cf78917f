//! `Path` (RFC 3327): a proxy in front of the registrar (Kamailio's `add_path()`, an
//! SBC) adds itself to a REGISTER's Path so that requests for the phone go back through
//! it — the only way to reach a phone behind the proxy's NAT handling. The registrar
//! stores the Path with the binding (§5.3), echoes it in the 200 when the phone says
//! `Supported: path` (Kamailio's "lazy" mode: a phone that does not know Path is not
//! shown it), and an INVITE to the binding carries it as its Route set, sent to the
//! first hop (§5.4; as Kamailio's `lookup()` does).

use super::headers;
use crate::store::{Binding, Transport};
use rsipstack::sip::{Header, Request, Uri};
use std::net::SocketAddr;

/// The Path entries of `req`, in order (each a `<uri>` with its parameters).
pub fn of(req: &Request) -> Vec<String> {
    headers::values(req, "Path")
        .iter()
        .flat_map(|v| split_top_level(v))
        .collect()
}

/// Does `req` say `Supported: path`?
pub fn supported(req: &Request) -> bool {
    headers::values(req, "Supported")
        .iter()
        .chain(headers::values(req, "k").iter())
        .flat_map(|v| v.split(','))
        .any(|option| option.trim().eq_ignore_ascii_case("path"))
}

/// What a 200 to a REGISTER with Path adds: the Path stored (when the phone supports
/// it) and `Supported: path`.
pub fn reply_headers(req: &Request, path: &[String]) -> Vec<Header> {
    if path.is_empty() {
        return Vec::new();
    }
    let mut out = vec![headers::other("Supported", "path")];
    if supported(req) {
        out.push(headers::other("Path", path.join(", ")));
    }
    out
}

/// Where an INVITE to `binding` goes and the Route headers it carries: through its
/// Path's first hop when it has one, else straight to where it registered from.
pub fn next_hop(binding: &Binding) -> (SocketAddr, Transport, Vec<Header>) {
    let Some(first) = binding.path.first() else {
        return (binding.source, binding.transport, Vec::new());
    };
    let routes = binding
        .path
        .iter()
        .map(|p| headers::other("Route", p.clone()))
        .collect();
    let (address, transport) = hop(first).unwrap_or((binding.source, binding.transport));
    (address, transport, routes)
}

/// The address and transport of a Path entry whose host is an IP address (a proxy puts
/// its own address there); None for a host name, then the binding's source (the proxy
/// the REGISTER came from) is used.
fn hop(entry: &str) -> Option<(SocketAddr, Transport)> {
    let inner = entry
        .split_once('<')
        .map_or(entry, |(_, r)| r.split('>').next().unwrap_or(r));
    let uri = Uri::try_from(inner.trim()).ok()?;
    let host = uri.host_with_port.host.to_string();
    let ip: std::net::IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let port = uri.host_with_port.port.map_or(5060, |p| p.value());
    let tcp = inner.to_ascii_lowercase().contains("transport=tcp");
    Some((
        SocketAddr::new(ip, port),
        if tcp { Transport::Tcp } else { Transport::Udp },
    ))
}

/// Splits a header value at the commas between its entries (not those inside `<>` or
/// quotes).
fn split_top_level(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => depth += 1,
            '>' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(value[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value[start..].trim().to_owned());
    out.retain(|e| !e.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(path: &[&str]) -> Binding {
        Binding {
            id: String::new(),
            aor: "1001".to_owned(),
            contact: "sip:1001@192.168.1.10:5062".to_owned(),
            source: "10.0.0.1:5060".parse().unwrap(),
            transport: Transport::Udp,
            expires_at: 0,
            call_id: String::new(),
            cseq: 0,
            user_agent: None,
            path: path.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn entries_are_split_at_top_level_commas_only() {
        assert_eq!(
            split_top_level("<sip:p1.example.com;lr>, <sip:10.0.0.1:5070;lr;x=\"a,b\">"),
            vec![
                "<sip:p1.example.com;lr>",
                "<sip:10.0.0.1:5070;lr;x=\"a,b\">"
            ]
        );
    }

    #[test]
    fn without_path_a_binding_is_reached_where_it_registered_from() {
        let (addr, transport, routes) = next_hop(&binding(&[]));
        assert_eq!(addr, "10.0.0.1:5060".parse().unwrap());
        assert_eq!(transport, Transport::Udp);
        assert!(routes.is_empty());
    }

    #[test]
    fn with_path_the_invite_goes_to_the_first_hop_with_the_path_as_routes() {
        let (addr, transport, routes) = next_hop(&binding(&[
            "<sip:10.0.0.2:5080;transport=tcp;lr>",
            "<sip:edge.example.com;lr>",
        ]));
        assert_eq!(addr, "10.0.0.2:5080".parse().unwrap());
        assert_eq!(transport, Transport::Tcp);
        assert_eq!(routes.len(), 2);
        assert_eq!(
            routes[0].to_string(),
            "Route: <sip:10.0.0.2:5080;transport=tcp;lr>"
        );
    }

    #[test]
    fn a_named_first_hop_is_reached_where_the_register_came_from() {
        let (addr, _, routes) = next_hop(&binding(&["<sip:proxy.example.com;lr>"]));
        assert_eq!(addr, "10.0.0.1:5060".parse().unwrap());
        assert_eq!(routes.len(), 1);
    }
}
