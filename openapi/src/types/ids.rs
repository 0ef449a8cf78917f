//! Identifiers of server-created objects: a two-letter prefix that says what the object
//! is, then 32 lowercase hex digits (`AP…` application, `RE…` recording, `SK…` API key).

use super::{InvalidValue, string_newtype};

fn check_sid(s: &str, prefix: &str) -> Result<(), InvalidValue> {
    let ok = s.len() == prefix.len() + 32
        && s.starts_with(prefix)
        && s[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(InvalidValue(format!(
            "must be '{prefix}' followed by 32 lowercase hex digits"
        )))
    }
}

fn hex32(random: [u8; 16]) -> String {
    random.iter().map(|b| format!("{b:02x}")).collect()
}

string_newtype!(
    /// The id of an application: `AP` and 32 hex digits.
    ApplicationId,
    |s| check_sid(s, "AP"),
    example = "AP0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    pattern = Some("^AP[0-9a-f]{32}$"),
);

string_newtype!(
    /// The id of a recording: `RE` and 32 hex digits.
    RecordingId,
    |s| check_sid(s, "RE"),
    example = "RE0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    pattern = Some("^RE[0-9a-f]{32}$"),
);

string_newtype!(
    /// The id of an API key. Keys created by the API get `SK` and 32 hex digits; a key
    /// given to the server in `SWITCHBOARD_ADMIN_KEY` may use any 3 to 64 letters, digits,
    /// `_`, `-` and `.`. With the key's secret it forms the credential `key_id:secret`.
    ApiKeyId,
    |s| {
        if (3..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            Ok(())
        } else {
            Err(InvalidValue::new(
                "must be 3 to 64 letters, digits, '_', '-' or '.'",
            ))
        }
    },
    example = "SK0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    pattern = Some("^[A-Za-z0-9_.-]{3,64}$"),
);

impl ApplicationId {
    /// A new id from 16 random bytes.
    pub fn from_random(random: [u8; 16]) -> Self {
        Self(format!("AP{}", hex32(random)))
    }
}

impl RecordingId {
    /// A new id from 16 random bytes.
    pub fn from_random(random: [u8; 16]) -> Self {
        Self(format!("RE{}", hex32(random)))
    }
}

impl ApiKeyId {
    /// A new id from 16 random bytes.
    pub fn from_random(random: [u8; 16]) -> Self {
        Self(format!("SK{}", hex32(random)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_prefixes() {
        let id = ApplicationId::from_random([0xab; 16]);
        assert_eq!(id.as_str().len(), 34);
        assert!(ApplicationId::parse(id.as_str()).is_ok());
        assert!(RecordingId::parse(id.as_str()).is_err());
        assert!(ApiKeyId::parse("SK").is_err());
        assert!(ApiKeyId::parse("ci-admin").is_ok());
        assert!(ApiKeyId::parse("has:colon").is_err());
        assert!(ApiKeyId::from_random([1; 16]).as_str().starts_with("SK"));
    }
}
