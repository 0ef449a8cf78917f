//! String and number values of the REST API with their validation rules.

use super::{InvalidValue, string_newtype};

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_len(s: &str, min: usize, max: usize, what: &str) -> Result<(), InvalidValue> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(InvalidValue(format!(
            "must be {min} to {max} {what} long (got {n})"
        )));
    }
    Ok(())
}

string_newtype!(
    /// An extension number: 2 to 15 digits. It is the SIP user name of the extension's
    /// phones and the number other extensions dial.
    ExtensionNumber,
    |s| {
        if all_digits(s) && (2..=15).contains(&s.len()) {
            Ok(())
        } else {
            Err(InvalidValue::new("must be 2 to 15 digits (0-9)"))
        }
    },
    example = "101",
    pattern = Some("^[0-9]{2,15}$"),
);

string_newtype!(
    /// A human-readable name (caller name, label): 1 to 64 characters, no control
    /// characters, no leading or trailing spaces.
    DisplayName,
    |s| {
        check_len(s, 1, 64, "characters")?;
        if s.chars().any(char::is_control) {
            return Err(InvalidValue::new("must not contain control characters"));
        }
        if s.trim() != s {
            return Err(InvalidValue::new("must not start or end with spaces"));
        }
        Ok(())
    },
    example = "Djaouad Benali",
    pattern = None,
);

string_newtype!(
    /// A SIP password: 8 to 128 printable ASCII characters without spaces. Write-only: it
    /// is never returned by the API.
    SipPassword,
    |s| {
        check_len(s, 8, 128, "characters")?;
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidValue::new(
                "must contain only printable ASCII characters, without spaces",
            ));
        }
        Ok(())
    },
    example = "s3cret-Passw0rd",
    pattern = Some("^[!-~]{8,128}$"),
);

string_newtype!(
    /// A SIP user name for trunk authentication: 1 to 64 characters, no spaces, no `@`
    /// or `:`.
    SipUsername,
    |s| {
        check_len(s, 1, 64, "characters")?;
        if !s.bytes().all(|b| b.is_ascii_graphic() && b != b'@' && b != b':') {
            return Err(InvalidValue::new(
                "must contain only printable ASCII characters, without spaces, '@' or ':'",
            ));
        }
        Ok(())
    },
    example = "server2",
    pattern = Some("^[!-9;-?A-~]{1,64}$"),
);

string_newtype!(
    /// An email address (where voicemail is delivered).
    Email,
    |s| {
        let bad = || InvalidValue::new("must be an email address like name@example.com");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(bad());
        }
        Ok(())
    },
    example = "djaouad@example.com",
    pattern = None,
);

string_newtype!(
    /// A voicemail PIN: 4 to 12 digits. Write-only: stored hashed, never returned.
    VoicemailPin,
    |s| {
        if all_digits(s) && (4..=12).contains(&s.len()) {
            Ok(())
        } else {
            Err(InvalidValue::new("must be 4 to 12 digits (0-9)"))
        }
    },
    example = "4321",
    pattern = Some("^[0-9]{4,12}$"),
);

string_newtype!(
    /// The name of a trunk, route, queue, IVR or recording: 1 to 64 characters among
    /// letters, digits, `_`, `-` and `.`, starting with a letter or digit.
    ResourceName,
    |s| {
        check_len(s, 1, 64, "characters")?;
        let mut bytes = s.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
        if !first_ok
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(InvalidValue::new(
                "must contain only letters, digits, '_', '-' and '.', and start with a letter or digit",
            ));
        }
        Ok(())
    },
    example = "VoicemailCenter",
    pattern = Some("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"),
);

string_newtype!(
    /// An absolute `http://` or `https://` URL.
    HttpUrl,
    |s| {
        if s.len() > 2048 {
            return Err(InvalidValue::new("must be at most 2048 characters long"));
        }
        let url = url::Url::parse(s)
            .map_err(|e| InvalidValue(format!("must be an absolute http(s) URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(InvalidValue(format!(
                "must be an http or https URL, not {}",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(InvalidValue::new("must name a host"));
        }
        Ok(())
    },
    example = "https://app.example.com/voice",
    pattern = Some("^https?://"),
);

string_newtype!(
    /// A phone number as it arrives on a trunk or is dialled: an optional `+` then 1 to 20
    /// digits.
    PhoneNumber,
    |s| {
        let digits = s.strip_prefix('+').unwrap_or(s);
        if all_digits(digits) && digits.len() <= 20 {
            Ok(())
        } else {
            Err(InvalidValue::new(
                "must be digits with an optional leading '+', at most 20 digits",
            ))
        }
    },
    example = "+3223456789",
    pattern = Some("^\\+?[0-9]{1,20}$"),
);

string_newtype!(
    /// What a user dials: 1 to 32 characters among digits, `*`, `#`, and a leading `+`.
    DialString,
    |s| {
        let rest = s.strip_prefix('+').unwrap_or(s);
        if !rest.is_empty()
            && s.len() <= 32
            && rest.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
        {
            Ok(())
        } else {
            Err(InvalidValue::new(
                "must be 1 to 32 characters among digits, '*' and '#', with an optional leading '+'",
            ))
        }
    },
    example = "0032223456789",
    pattern = Some("^\\+?[0-9*#]{1,32}$"),
);

string_newtype!(
    /// A caller ID number presented on outgoing calls: an optional `+` then 1 to 32
    /// digits.
    CallerId,
    |s| {
        let digits = s.strip_prefix('+').unwrap_or(s);
        if all_digits(digits) && digits.len() <= 32 {
            Ok(())
        } else {
            Err(InvalidValue::new(
                "must be digits with an optional leading '+', at most 32 digits",
            ))
        }
    },
    example = "+3223456700",
    pattern = Some("^\\+?[0-9]{1,32}$"),
);

string_newtype!(
    /// A host name or IP address (IPv6 with or without brackets), without a port.
    Host,
    |s| {
        let bad = || {
            InvalidValue::new("must be a host name or an IP address, without scheme or port")
        };
        let inner = s
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(s);
        if inner.parse::<std::net::IpAddr>().is_ok() {
            return Ok(());
        }
        if s.is_empty() || s.len() > 253 {
            return Err(bad());
        }
        let labels_ok = s.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        // A dotted name made only of digits is a malformed IPv4 address, not a host name.
        let looks_numeric = s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if labels_ok && !looks_numeric {
            Ok(())
        } else {
            Err(bad())
        }
    },
    example = "192.168.212.4",
    pattern = None,
);

/// How long an extension's phones ring before the call goes to its no-answer
/// destination, in seconds: 5 to 300.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "u32", into = "u32")]
pub struct RingTime(u32);

impl RingTime {
    pub const DEFAULT: RingTime = RingTime(20);

    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl Default for RingTime {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u32> for RingTime {
    type Error = InvalidValue;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        if (5..=300).contains(&value) {
            Ok(Self(value))
        } else {
            Err(InvalidValue(format!(
                "must be 5 to 300 seconds (got {value})"
            )))
        }
    }
}

impl From<RingTime> for u32 {
    fn from(value: RingTime) -> u32 {
        value.0
    }
}

impl utoipa::PartialSchema for RingTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .description(Some(
                "Seconds the phones ring before the no-answer destination takes the call (5 to 300).",
            ))
            .minimum(Some(5))
            .maximum(Some(300))
            .examples([serde_json::json!(20)])
            .into()
    }
}

impl utoipa::ToSchema for RingTime {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_numbers() {
        assert!(ExtensionNumber::parse("58102").is_ok());
        assert!(ExtensionNumber::parse("10").is_ok());
        for bad in ["", "1", "12a", "+101", "1234567890123456", " 101"] {
            assert!(ExtensionNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn display_names() {
        assert!(DisplayName::parse("Yassir Otten").is_ok());
        assert!(DisplayName::parse("Zoë").is_ok());
        for bad in ["", " lead", "trail ", "a\nb", &"x".repeat(65)] {
            assert!(DisplayName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sip_passwords() {
        assert!(SipPassword::parse("abcdefgh").is_ok());
        for bad in ["short", "has space!", "tabs\tare\tbad", "ünïcödé!!"] {
            assert!(SipPassword::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails() {
        assert!(Email::parse("a.b+c@mail.example.org").is_ok());
        for bad in [
            "",
            "no-at",
            "@x.org",
            "a@",
            "a@nodot",
            "a@.x.org",
            "a b@x.org",
            "a@x..org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls() {
        assert!(HttpUrl::parse("https://example.com/voice?x=1").is_ok());
        assert!(HttpUrl::parse("http://127.0.0.1:9000/").is_ok());
        for bad in [
            "",
            "example.com",
            "ftp://example.com",
            "https://",
            "/relative",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hosts() {
        for good in [
            "192.168.212.4",
            "::1",
            "[2001:db8::1]",
            "sip.example.com",
            "pbx-2",
        ] {
            assert!(Host::parse(good).is_ok(), "{good:?}");
        }
        for bad in [
            "",
            "999.1.1.1",
            "host:5060",
            "sip://x",
            "-bad.com",
            "a b",
            "1.2.3",
        ] {
            assert!(Host::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_and_numbers() {
        assert!(ResourceName::parse("TrunkToJulien").is_ok());
        assert!(ResourceName::parse("_x").is_err());
        assert!(ResourceName::parse("a/b").is_err());
        assert!(PhoneNumber::parse("+3223456789").is_ok());
        assert!(PhoneNumber::parse("32+1").is_err());
        assert!(DialString::parse("*97").is_ok());
        assert!(DialString::parse("9#").is_ok());
        assert!(DialString::parse("+").is_err());
        assert!(VoicemailPin::parse("123").is_err());
        assert!(VoicemailPin::parse("1234").is_ok());
    }

    #[test]
    fn ring_time_bounds_and_serde() {
        assert!(RingTime::try_from(4).is_err());
        assert!(RingTime::try_from(301).is_err());
        let t: RingTime = serde_json::from_str("30").unwrap();
        assert_eq!(t.seconds(), 30);
        let err = serde_json::from_str::<RingTime>("3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("5 to 300"), "{err}");
    }
}
