//! Reading and writing the header values the engine cares about, on rsipstack's
//! message types.

use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Request};

/// Every value of the headers named `name` (case-insensitive, compact forms included),
/// as written.
pub fn values(req: &Request, name: &str) -> Vec<String> {
    req.headers
        .iter()
        .filter_map(|h| {
            let text = h.to_string();
            let (n, v) = text.split_once(':')?;
            (n.trim().eq_ignore_ascii_case(name)).then(|| v.trim().to_owned())
        })
        .collect()
}

/// The first value of `name`.
pub fn value(req: &Request, name: &str) -> Option<String> {
    values(req, name).into_iter().next()
}

/// The Contact header values.
pub fn contacts(req: &Request) -> Vec<String> {
    req.contact_headers()
        .iter()
        .map(|c| c.value().to_owned())
        .collect()
}

/// The user part and display name of the From header.
pub fn from_identity(req: &Request) -> (Option<String>, Option<String>) {
    match req.from_header().and_then(|f| f.typed()) {
        Ok(from) => (
            from.uri.user().map(str::to_owned),
            from.display_name.clone(),
        ),
        Err(_) => (None, None),
    }
}

/// The user part of the To header (the address of record of a REGISTER).
pub fn to_user(req: &Request) -> Option<String> {
    let to = req.to_header().ok()?.typed().ok()?;
    to.uri.user().map(str::to_owned)
}

/// The user part of the Request-URI (what was dialled).
pub fn request_user(req: &Request) -> Option<String> {
    req.uri.user().map(str::to_owned)
}

pub fn has_to_tag(req: &Request) -> bool {
    req.to_header()
        .ok()
        .and_then(|t| t.tag().ok().flatten())
        .is_some()
}

/// Why `req` is malformed in a way the parser let through (None: it is not): its CSeq
/// names another method (RFC 3261 §8.1.1.5; RFC 4475 §3.1.2.17), or it has more than one
/// Content-Length (RFC 4475 §3.3.9: its framing cannot be trusted).
pub fn malformed(req: &Request) -> Option<&'static str> {
    if req.from_header().and_then(|f| f.typed()).is_err() {
        return Some("malformed From");
    }
    if req.to_header().and_then(|t| t.typed()).is_err() {
        return Some("malformed To");
    }
    if req.via_header().and_then(|v| v.typed()).is_err() {
        return Some("malformed Via");
    }
    let cseq_method = req.cseq_header().ok().and_then(|c| c.method().ok());
    if cseq_method.is_some_and(|m| m != req.method) {
        return Some("the CSeq method is not the request's");
    }
    let lengths = req
        .headers
        .iter()
        .filter(|h| match h {
            Header::ContentLength(_) => true,
            Header::Other(name, _) => {
                name.eq_ignore_ascii_case("Content-Length") || name.eq_ignore_ascii_case("l")
            }
            _ => false,
        })
        .count();
    if lengths > 1 {
        return Some("more than one Content-Length");
    }
    None
}

/// The `Authorization` (or, for proxy challenges, `Proxy-Authorization`) value.
pub fn credentials(req: &Request, proxy: bool) -> Option<String> {
    if proxy {
        rsipstack::sip_header_opt!(req.headers.iter(), Header::ProxyAuthorization)
            .map(|h| h.value().to_owned())
    } else {
        req.authorization_header().map(|h| h.value().to_owned())
    }
}

pub fn other(name: &str, value: impl Into<String>) -> Header {
    Header::Other(name.to_owned(), value.into())
}

/// The methods we answer, for `Allow`.
pub const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, SUBSCRIBE";
