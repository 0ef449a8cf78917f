//! The `Switchboard-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>` computed
//! with the application's signing secret over `t + "." + body`. Binding the timestamp
//! into the MAC lets a receiver refuse replays older than its tolerance window.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header's name.
pub const HEADER: &str = "Switchboard-Signature";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: u64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is malformed (expected t=<unix>,v1=<hex>)")]
    Malformed,
    #[error("the signature is {age} s old, beyond the {tolerance} s tolerance")]
    Expired { age: u64, tolerance: u64 },
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Checks a header value against `body`, with `now` and the tolerance in seconds.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: u64,
    tolerance: u64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<u64>().ok(),
            Some(("v1", v)) => tags.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if tags.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age = now.abs_diff(timestamp);
    if age > tolerance {
        return Err(SignatureError::Expired { age, tolerance });
    }
    // Several v1 values are allowed (during a secret rotation); one must match.
    if tags
        .iter()
        .any(|tag| mac(secret, timestamp, body).verify_slice(tag).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_bind_body_time_and_secret() {
        let h = sign(b"whsec_1", 1_764_000_000, b"{\"a\":1}");
        assert!(h.starts_with("t=1764000000,v1="));
        assert_eq!(h.len(), "t=1764000000,v1=".len() + 64);
        assert_eq!(
            verify(b"whsec_1", &h, b"{\"a\":1}", 1_764_000_100, 300),
            Ok(())
        );
        assert_eq!(
            verify(b"whsec_1", &h, b"{\"a\":2}", 1_764_000_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"whsec_2", &h, b"{\"a\":1}", 1_764_000_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"whsec_1", &h, b"{\"a\":1}", 1_764_000_301, 300),
            Err(SignatureError::Expired {
                age: 301,
                tolerance: 300
            })
        );
        let forged = h.replace("t=1764000000", "t=1764000200");
        assert_eq!(
            verify(b"whsec_1", &forged, b"{\"a\":1}", 1_764_000_200, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256("secret", "1.body"), computed independently with Python's hmac module.
        assert_eq!(
            sign(b"secret", 1, b"body"),
            "t=1,v1=842b24d9575dee4b6ec460b7e3af7d683501d84fe6279102340787c79d2e2bab"
        );
    }

    #[test]
    fn malformed_headers() {
        for h in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz"] {
            assert_eq!(
                verify(b"s", h, b"", 1, 300),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
    }
}
