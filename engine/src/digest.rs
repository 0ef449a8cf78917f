//! Server side of SIP digest authentication (RFC 3261 §22, RFC 7616 for the algorithm
//! parameters, RFC 8760 for SHA-256 in SIP), checked against stored HA1 values so
//! passwords never have to be kept.
//!
//! Nonces are stateless: a timestamp and an HMAC of it under a server secret. A nonce we
//! issued verifies on any node holding the secret and after a restart; an old one gets
//! `stale=true` so the phone retries silently with a fresh one. Pure: the caller passes
//! the current time.

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

type HmacSha256 = Hmac<Sha256>;

/// Digest algorithms we verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    /// Parses `MD5` or `SHA-256` (also `SHA256`), case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "MD5" => Some(Self::Md5),
            "SHA-256" | "SHA256" => Some(Self::Sha256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
        }
    }

    fn hash(self, input: &str) -> String {
        match self {
            Self::Md5 => hex(&Md5::digest(input.as_bytes())),
            Self::Sha256 => hex(&Sha256::digest(input.as_bytes())),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The stored secrets of one user: `H(user:realm:password)` for each algorithm.
#[derive(Debug, Clone)]
pub struct Ha1 {
    pub md5: String,
    pub sha256: String,
}

impl Ha1 {
    fn for_algorithm(&self, algorithm: Algorithm) -> &str {
        match algorithm {
            Algorithm::Md5 => &self.md5,
            Algorithm::Sha256 => &self.sha256,
        }
    }
}

/// Parsed `Authorization` / `Proxy-Authorization` credentials.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
    pub opaque: Option<String>,
}

impl Credentials {
    /// Parses a header value such as `Digest username="101", realm="x", …`.
    pub fn parse(value: &str) -> Option<Self> {
        let rest = value.trim();
        let (scheme, params) = rest.split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let mut c = Credentials::default();
        for (name, value) in split_params(params) {
            match name.to_ascii_lowercase().as_str() {
                "username" => c.username = value,
                "realm" => c.realm = value,
                "nonce" => c.nonce = value,
                "uri" => c.uri = value,
                "response" => c.response = value.to_ascii_lowercase(),
                "algorithm" => c.algorithm = Some(value),
                "qop" => c.qop = Some(value),
                "nc" => c.nc = Some(value),
                "cnonce" => c.cnonce = Some(value),
                "opaque" => c.opaque = Some(value),
                _ => {}
            }
        }
        if c.username.is_empty() || c.nonce.is_empty() || c.response.is_empty() {
            return None;
        }
        Some(c)
    }

    fn algorithm(&self) -> Option<Algorithm> {
        match self.algorithm.as_deref() {
            None => Some(Algorithm::Md5),
            Some(a) => Algorithm::parse(a),
        }
    }
}

/// Splits `a="x, y", b=z` into pairs, honouring quotes and backslash escapes.
fn split_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        other => value.push(other),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    out
}

/// Why credentials were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A nonce we issued, but too old: challenge again with `stale=true`.
    Stale,
    /// Wrong password, unknown user, forged or foreign nonce, wrong realm, bad format.
    /// Always answered like a wrong password, so nothing leaks about which users exist.
    Invalid(&'static str),
}

/// Issues challenges and checks responses.
#[derive(Debug, Clone)]
pub struct DigestAuthority {
    realm: String,
    secret: Vec<u8>,
    /// Seconds a nonce stays fresh.
    nonce_ttl: u64,
    /// Offered in this order of preference; only these are accepted.
    algorithms: Vec<Algorithm>,
}

impl DigestAuthority {
    /// Offers MD5 only, the one algorithm every phone answers: some clients (SIPp,
    /// baresip 1.0) fail outright when a challenge names an algorithm they lack, even
    /// beside one they have. [`DigestAuthority::with_algorithms`] adds SHA-256 (RFC 8760).
    pub fn new(realm: impl Into<String>, secret: &[u8], nonce_ttl: u64) -> Self {
        Self {
            realm: realm.into(),
            secret: secret.to_vec(),
            nonce_ttl,
            algorithms: vec![Algorithm::Md5],
        }
    }

    /// Sets the algorithms offered and accepted, most preferred first (not empty).
    pub fn with_algorithms(mut self, algorithms: Vec<Algorithm>) -> Self {
        if !algorithms.is_empty() {
            self.algorithms = algorithms;
        }
        self
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    fn mac(&self, timestamp: u64) -> String {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC accepts any key length");
        mac.update(&timestamp.to_be_bytes());
        mac.update(self.realm.as_bytes());
        hex(&mac.finalize().into_bytes()[..12])
    }

    /// A nonce issued at `now` (Unix seconds).
    pub fn nonce(&self, now: u64) -> String {
        format!("{now:x}.{}", self.mac(now))
    }

    /// The challenge header values (`WWW-Authenticate` or `Proxy-Authenticate`), the
    /// preferred algorithm first (RFC 8760 §2.4).
    pub fn challenges(&self, now: u64, stale: bool) -> Vec<String> {
        let nonce = self.nonce(now);
        self.algorithms
            .iter()
            .map(|a| {
                format!(
                    "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"{}",
                    self.realm,
                    a.name(),
                    if stale { ", stale=true" } else { "" }
                )
            })
            .collect()
    }

    /// Checks `credentials` for a request with `method`, against the user's stored HA1
    /// (None when the user does not exist: refused like a wrong password).
    pub fn verify(
        &self,
        credentials: &Credentials,
        method: &str,
        ha1: Option<&Ha1>,
        now: u64,
    ) -> Result<(), Refusal> {
        if credentials.realm != self.realm {
            return Err(Refusal::Invalid("wrong realm"));
        }
        let issued = self.check_nonce(&credentials.nonce)?;
        let algorithm = credentials
            .algorithm()
            .filter(|a| self.algorithms.contains(a))
            .ok_or(Refusal::Invalid("algorithm not offered"))?;
        let Some(ha1) = ha1 else {
            return Err(Refusal::Invalid("unknown user"));
        };
        let ha2 = algorithm.hash(&format!("{method}:{}", credentials.uri));
        let ha1 = ha1.for_algorithm(algorithm);
        let expected = match credentials.qop.as_deref() {
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let (Some(nc), Some(cnonce)) = (&credentials.nc, &credentials.cnonce) else {
                    return Err(Refusal::Invalid("qop=auth without nc and cnonce"));
                };
                algorithm.hash(&format!(
                    "{ha1}:{}:{nc}:{cnonce}:auth:{ha2}",
                    credentials.nonce
                ))
            }
            Some(_) => return Err(Refusal::Invalid("unsupported qop")),
            // RFC 2069 compatibility: phones that ignore qop.
            None => algorithm.hash(&format!("{ha1}:{}:{ha2}", credentials.nonce)),
        };
        use subtle::ConstantTimeEq;
        if !bool::from(expected.as_bytes().ct_eq(credentials.response.as_bytes())) {
            return Err(Refusal::Invalid("wrong response"));
        }
        // Only a correct answer to an old nonce is "stale"; a wrong one is just wrong.
        if now.saturating_sub(issued) > self.nonce_ttl || issued > now + 60 {
            return Err(Refusal::Stale);
        }
        Ok(())
    }

    /// Checks that we issued the nonce; returns its timestamp.
    fn check_nonce(&self, nonce: &str) -> Result<u64, Refusal> {
        let (ts, mac) = nonce
            .split_once('.')
            .ok_or(Refusal::Invalid("foreign nonce"))?;
        let ts = u64::from_str_radix(ts, 16).map_err(|_| Refusal::Invalid("foreign nonce"))?;
        use subtle::ConstantTimeEq;
        if bool::from(self.mac(ts).as_bytes().ct_eq(mac.as_bytes())) {
            Ok(ts)
        } else {
            Err(Refusal::Invalid("foreign nonce"))
        }
    }
}

/// `H(user:realm:password)` for both algorithms, as stored for an extension.
pub fn ha1(user: &str, realm: &str, password: &str) -> Ha1 {
    let input = format!("{user}:{realm}:{password}");
    Ha1 {
        md5: Algorithm::Md5.hash(&input),
        sha256: Algorithm::Sha256.hash(&input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds the credentials a phone would send for `challenge_nonce`.
    fn answer(
        auth: &DigestAuthority,
        alg: Algorithm,
        user: &str,
        password: &str,
        nonce: &str,
    ) -> Credentials {
        let ha1 = alg.hash(&format!("{user}:{}:{password}", auth.realm()));
        let ha2 = alg.hash("REGISTER:sip:127.0.0.1");
        let response = alg.hash(&format!("{ha1}:{nonce}:00000001:abc:auth:{ha2}"));
        Credentials {
            username: user.into(),
            realm: auth.realm().into(),
            nonce: nonce.into(),
            uri: "sip:127.0.0.1".into(),
            response,
            algorithm: Some(alg.name().into()),
            qop: Some("auth".into()),
            nc: Some("00000001".into()),
            cnonce: Some("abc".into()),
            opaque: None,
        }
    }

    #[test]
    fn rfc_2617_example_response() {
        // RFC 2617 §3.5, with MD5 and qop=auth.
        let ha1 = Algorithm::Md5.hash("Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = Algorithm::Md5.hash("GET:/dir/index.html");
        let response = Algorithm::Md5.hash(&format!(
            "{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:0a4f113b:auth:{ha2}"
        ));
        assert_eq!(response, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn both_algorithms_verify() {
        let auth = DigestAuthority::new("switchboard", b"secret", 300)
            .with_algorithms(vec![Algorithm::Sha256, Algorithm::Md5]);
        let stored = ha1("101", "switchboard", "s3cret-Passw0rd");
        let nonce = auth.nonce(1000);
        for alg in [Algorithm::Md5, Algorithm::Sha256] {
            let c = answer(&auth, alg, "101", "s3cret-Passw0rd", &nonce);
            assert_eq!(
                auth.verify(&c, "REGISTER", Some(&stored), 1010),
                Ok(()),
                "{alg:?}"
            );
            let wrong = answer(&auth, alg, "101", "wrong", &nonce);
            assert!(matches!(
                auth.verify(&wrong, "REGISTER", Some(&stored), 1010),
                Err(Refusal::Invalid(_))
            ));
            assert!(
                matches!(
                    auth.verify(&c, "INVITE", Some(&stored), 1010),
                    Err(Refusal::Invalid(_))
                ),
                "method is covered"
            );
        }
    }

    #[test]
    fn unknown_users_and_forged_nonces_look_like_wrong_passwords() {
        let auth = DigestAuthority::new("switchboard", b"secret", 300);
        let c = answer(&auth, Algorithm::Md5, "999", "x", &auth.nonce(1000));
        assert!(matches!(
            auth.verify(&c, "REGISTER", None, 1010),
            Err(Refusal::Invalid(_))
        ));
        let other = DigestAuthority::new("switchboard", b"other-secret", 300);
        let stored = ha1("101", "switchboard", "pw");
        let c = answer(&auth, Algorithm::Md5, "101", "pw", &other.nonce(1000));
        assert_eq!(
            auth.verify(&c, "REGISTER", Some(&stored), 1010),
            Err(Refusal::Invalid("foreign nonce"))
        );
    }

    #[test]
    fn old_nonces_are_stale_only_when_the_answer_is_right() {
        let auth = DigestAuthority::new("switchboard", b"secret", 300);
        let stored = ha1("101", "switchboard", "pw");
        let nonce = auth.nonce(1000);
        let good = answer(&auth, Algorithm::Md5, "101", "pw", &nonce);
        assert_eq!(
            auth.verify(&good, "REGISTER", Some(&stored), 1400),
            Err(Refusal::Stale)
        );
        let bad = answer(&auth, Algorithm::Md5, "101", "nope", &nonce);
        assert!(matches!(
            auth.verify(&bad, "REGISTER", Some(&stored), 1400),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn qop_auth_needs_nc_and_cnonce() {
        // What svcrack sends: qop=auth without nc/cnonce, refused whatever the password.
        let auth = DigestAuthority::new("switchboard", b"secret", 300);
        let stored = ha1("101", "switchboard", "pw");
        let mut c = answer(&auth, Algorithm::Md5, "101", "pw", &auth.nonce(1000));
        c.nc = None;
        c.cnonce = None;
        assert!(matches!(
            auth.verify(&c, "REGISTER", Some(&stored), 1001),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn parses_header_values() {
        let v = r#"Digest username="101",realm="switchboard", nonce="abc.def", uri="sip:127.0.0.1:5060", response="ABCDEF", algorithm=MD5, cnonce="x,y", qop=auth, nc=00000001"#;
        let c = Credentials::parse(v).unwrap();
        assert_eq!(c.username, "101");
        assert_eq!(c.uri, "sip:127.0.0.1:5060");
        assert_eq!(c.response, "abcdef");
        assert_eq!(c.cnonce.as_deref(), Some("x,y"));
        assert_eq!(c.qop.as_deref(), Some("auth"));
        assert!(Credentials::parse("Basic dXNlcjpwYXNz").is_none());
        assert!(Credentials::parse("Digest realm=\"x\"").is_none());
        let challenges = DigestAuthority::new("switchboard", b"s", 300).challenges(5, true);
        assert_eq!(challenges.len(), 1);
        assert!(challenges[0].contains("algorithm=MD5") && challenges[0].contains("stale=true"));
        let both = DigestAuthority::new("switchboard", b"s", 300)
            .with_algorithms(vec![Algorithm::Sha256, Algorithm::Md5]);
        let challenges = both.challenges(5, false);
        assert!(challenges[0].contains("algorithm=SHA-256"));
        assert!(challenges[1].contains("algorithm=MD5"));
        let sha_only =
            DigestAuthority::new("switchboard", b"s", 300).with_algorithms(vec![Algorithm::Sha256]);
        assert_eq!(sha_only.challenges(5, false).len(), 1);
        let stored = ha1("101", "switchboard", "pw");
        let md5 = answer(&sha_only, Algorithm::Md5, "101", "pw", &sha_only.nonce(5));
        assert_eq!(
            sha_only.verify(&md5, "REGISTER", Some(&stored), 6),
            Err(Refusal::Invalid("algorithm not offered"))
        );
        assert_eq!(Algorithm::parse("sha-256"), Some(Algorithm::Sha256));
    }
}
