//! Random secrets and the hashes we keep instead of them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator failing means the machine cannot make any secret safely; nothing
    // sensible can continue, and this never happens on a working Linux.
    getrandom::fill(&mut buf).expect("the operating system's random generator failed");
    buf
}

/// A new API key secret: 32 random bytes, URL-safe base64 (43 characters).
pub fn new_api_secret() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A new webhook signing secret.
pub fn new_signing_secret() -> String {
    format!("whsec_{}", hex::encode(random_bytes::<20>()))
}

/// Hex SHA-256 of an API key secret. The secrets are 256-bit random values, so a fast
/// hash is enough: there is nothing to brute-force.
pub fn hash_api_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hashes in constant time.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A salted hash of a voicemail PIN: `sha256$<salt hex>$<hash hex>`.
pub fn hash_pin(pin: &str) -> String {
    let salt = random_bytes::<16>();
    let mut h = Sha256::new();
    h.update(salt);
    h.update(pin.as_bytes());
    format!("sha256${}${}", hex::encode(salt), hex::encode(h.finalize()))
}

/// Checks a PIN against [`hash_pin`]'s output.
pub fn verify_pin(pin: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("sha256"), Some(salt), Some(hash)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(salt) = hex::decode(salt) else {
        return false;
    };
    let mut h = Sha256::new();
    h.update(&salt);
    h.update(pin.as_bytes());
    hashes_equal(&hex::encode(h.finalize()), hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_verify_and_are_salted() {
        let a = hash_pin("4321");
        let b = hash_pin("4321");
        assert_ne!(a, b);
        assert!(verify_pin("4321", &a));
        assert!(!verify_pin("1234", &a));
        assert!(!verify_pin("4321", "garbage"));
    }

    #[test]
    fn secrets_are_long_and_distinct() {
        let a = new_api_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_api_secret());
        assert!(hashes_equal(&hash_api_secret(&a), &hash_api_secret(&a)));
        assert!(!hashes_equal(&hash_api_secret(&a), &hash_api_secret("x")));
    }
}
