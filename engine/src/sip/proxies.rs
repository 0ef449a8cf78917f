//! Proxies we trust to tell us who their client is. Behind Kamailio, OpenSIPS or an SBC,
//! every phone's request arrives from the proxy's address: counting failed logins or
//! request rates per source would let one phone's wrong password (or flood) block every
//! phone behind the proxy. For a request from a trusted proxy, the client is the address
//! the proxy recorded in the Via it received the request with: the second Via's
//! `received` parameter (RFC 3261 §18.2.1: a proxy adds it when the sent-by host is not
//! the packet's source), else its sent-by host. Requests from anybody else are taken at
//! their source address: a Via is whatever its sender wrote.

use rsipstack::sip::Request;
use std::net::IpAddr;

/// The trusted proxies' addresses (none by default).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    addrs: Vec<IpAddr>,
}

impl TrustedProxies {
    pub fn new(addrs: Vec<IpAddr>) -> Self {
        Self { addrs }
    }

    pub fn is_trusted(&self, source: IpAddr) -> bool {
        self.addrs.contains(&source)
    }

    /// The address to count `req` against: its client's when `source` is a trusted
    /// proxy that says who that is, else `source`.
    pub fn client(&self, req: &Request, source: IpAddr) -> IpAddr {
        if !self.is_trusted(source) {
            return source;
        }
        reported_client(&super::headers::values(req, "Via")).unwrap_or(source)
    }
}

/// The address the proxy reports for its client, from the request's Via values in order
/// (a value may hold several, comma-separated): the second Via's `received`, else its
/// host when that is an IP address. None when there is no second Via or it names a host.
pub fn reported_client(vias: &[String]) -> Option<IpAddr> {
    let second = vias.iter().flat_map(|v| v.split(',')).nth(1)?;
    let mut parts = second.split(';');
    let sent_by = parts.next()?.split_whitespace().nth(1)?;
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("received")
            && let Ok(ip) = value.trim().parse::<IpAddr>()
        {
            return Some(ip);
        }
    }
    host_ip(sent_by)
}

/// The IP address of a Via sent-by (`host`, `host:port`, `[v6]:port`), if it is one.
fn host_ip(sent_by: &str) -> Option<IpAddr> {
    if let Some(rest) = sent_by.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    if let Ok(ip) = sent_by.parse::<IpAddr>() {
        return Some(ip);
    }
    sent_by.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vias(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn the_client_is_the_received_address_of_the_second_via() {
        let v = vias(&[
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKp1",
            "SIP/2.0/UDP 192.168.1.20:5060;rport=40000;received=203.0.113.7;branch=z9hG4bKc1",
        ]);
        assert_eq!(reported_client(&v), "203.0.113.7".parse().ok());
    }

    #[test]
    fn without_received_the_client_is_the_second_via_host() {
        let v = vias(&["SIP/2.0/UDP 10.0.0.1;branch=a, SIP/2.0/TCP 198.51.100.4:5070;branch=b"]);
        assert_eq!(reported_client(&v), "198.51.100.4".parse().ok());
        let v6 = vias(&[
            "SIP/2.0/UDP [2001:db8::1]:5060;branch=a",
            "SIP/2.0/UDP [2001:db8::9]:5062;branch=b",
        ]);
        assert_eq!(reported_client(&v6), "2001:db8::9".parse().ok());
    }

    #[test]
    fn nothing_is_reported_without_a_second_via_or_with_a_host_name() {
        assert_eq!(
            reported_client(&vias(&["SIP/2.0/UDP 10.0.0.1;branch=a"])),
            None
        );
        let named = vias(&[
            "SIP/2.0/UDP 10.0.0.1;branch=a",
            "SIP/2.0/UDP phone.example.com;branch=b",
        ]);
        assert_eq!(reported_client(&named), None);
    }
}
