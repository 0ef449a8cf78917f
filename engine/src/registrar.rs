//! Registrar rules (RFC 3261 §10.3) without I/O: what a REGISTER asks for, and whether
//! its intervals are acceptable. The SIP driver applies the result to the [`Store`].
//!
//! [`Store`]: crate::store::Store

/// Expiry limits, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// Shorter non-zero requests get `423 Interval Too Brief` with `Min-Expires`.
    pub min: u32,
    /// Longer requests are shortened to this.
    pub max: u32,
    /// When neither the contact nor the request says.
    pub default: u32,
}

impl Default for ExpiryPolicy {
    fn default() -> Self {
        Self {
            min: 60,
            max: 3600,
            default: 3600,
        }
    }
}

/// One Contact of a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSpec {
    /// The URI exactly as written (without `<>`), or `*`.
    pub uri: String,
    /// The `expires` parameter.
    pub expires: Option<u32>,
}

impl ContactSpec {
    pub fn is_wildcard(&self) -> bool {
        self.uri == "*"
    }
}

/// What a REGISTER asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterPlan {
    /// No Contact: report the current bindings.
    Query,
    /// `Contact: *` with `Expires: 0`: remove every binding of the AOR.
    RemoveAll,
    /// Add, refresh (expires > 0) or remove (expires = 0) these contacts.
    Apply(Vec<(String, u32)>),
}

/// Why a REGISTER is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterRefusal {
    /// 423 with `Min-Expires: min`.
    IntervalTooBrief { min: u32 },
    /// 400 with this reason.
    BadRequest(&'static str),
}

pub fn plan(
    contacts: &[ContactSpec],
    expires_header: Option<u32>,
    policy: ExpiryPolicy,
) -> Result<RegisterPlan, RegisterRefusal> {
    if contacts.is_empty() {
        return Ok(RegisterPlan::Query);
    }
    if contacts.iter().any(ContactSpec::is_wildcard) {
        return if contacts.len() == 1 && expires_header == Some(0) {
            Ok(RegisterPlan::RemoveAll)
        } else {
            Err(RegisterRefusal::BadRequest(
                "Contact: * needs Expires: 0 and no other contact",
            ))
        };
    }
    let mut changes = Vec::with_capacity(contacts.len());
    for c in contacts {
        let asked = c.expires.or(expires_header).unwrap_or(policy.default);
        if asked != 0 && asked < policy.min {
            return Err(RegisterRefusal::IntervalTooBrief { min: policy.min });
        }
        changes.push((c.uri.clone(), asked.min(policy.max)));
    }
    Ok(RegisterPlan::Apply(changes))
}

/// Splits Contact header values into contacts. Handles lists (`a, b`), display names
/// (quoted or not), `<uri>` with parameters inside, and header parameters after it.
pub fn parse_contacts(values: &[&str]) -> Result<Vec<ContactSpec>, RegisterRefusal> {
    let mut out = Vec::new();
    for value in values {
        for item in split_list(value) {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            out.push(parse_one(item)?);
        }
    }
    Ok(out)
}

fn parse_one(item: &str) -> Result<ContactSpec, RegisterRefusal> {
    let bad = RegisterRefusal::BadRequest("malformed Contact header");
    if item == "*" {
        return Ok(ContactSpec {
            uri: "*".to_owned(),
            expires: None,
        });
    }
    let (uri, params) = match item.find('<') {
        Some(open) => {
            let close = item[open..]
                .find('>')
                .map(|i| open + i)
                .ok_or(bad.clone())?;
            (item[open + 1..close].trim(), &item[close + 1..])
        }
        None => match item.find(';') {
            Some(semi) => (item[..semi].trim(), &item[semi..]),
            None => (item, ""),
        },
    };
    let lower = uri.to_ascii_lowercase();
    if !(lower.starts_with("sip:") || lower.starts_with("sips:")) || uri.len() <= 4 {
        return Err(RegisterRefusal::BadRequest("Contact must be a sip: URI"));
    }
    let mut expires = None;
    for param in params.split(';') {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        if name.trim().eq_ignore_ascii_case("expires") {
            expires = Some(
                value
                    .trim()
                    .trim_matches('"')
                    .parse::<u64>()
                    .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
                    .map_err(|_| RegisterRefusal::BadRequest("malformed expires parameter"))?,
            );
        }
    }
    Ok(ContactSpec {
        uri: uri.to_owned(),
        expires,
    })
}

/// Splits at commas that are outside quotes and angle brackets.
fn split_list(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_quotes, mut in_angle, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: ExpiryPolicy = ExpiryPolicy {
        min: 60,
        max: 3600,
        default: 3600,
    };

    fn c(uri: &str, expires: Option<u32>) -> ContactSpec {
        ContactSpec {
            uri: uri.into(),
            expires,
        }
    }

    #[test]
    fn parses_contact_forms() {
        let got = parse_contacts(&[
            r#""Bob, the \"phone\"" <sip:101@10.0.0.1:5062;transport=tcp>;expires=120;+sip.instance="<urn:uuid:1>""#,
            "sip:101@10.0.0.2;expires=0, <sip:101@10.0.0.3>",
        ])
        .unwrap();
        assert_eq!(
            got,
            vec![
                c("sip:101@10.0.0.1:5062;transport=tcp", Some(120)),
                c("sip:101@10.0.0.2", Some(0)),
                c("sip:101@10.0.0.3", None),
            ]
        );
        assert_eq!(parse_contacts(&["*"]).unwrap(), vec![c("*", None)]);
        assert!(parse_contacts(&["<mailto:x@y>"]).is_err());
        assert!(parse_contacts(&["<sip:a@b;expires=x"]).is_err());
        assert!(parse_contacts(&["<sip:a@b>;expires=abc"]).is_err());
    }

    #[test]
    fn expiry_rules() {
        assert_eq!(plan(&[], None, POLICY), Ok(RegisterPlan::Query));
        assert_eq!(
            plan(&[c("sip:a@b", None)], Some(300), POLICY),
            Ok(RegisterPlan::Apply(vec![("sip:a@b".into(), 300)]))
        );
        assert_eq!(
            plan(&[c("sip:a@b", Some(120))], Some(300), POLICY),
            Ok(RegisterPlan::Apply(vec![("sip:a@b".into(), 120)])),
            "the contact parameter wins"
        );
        assert_eq!(
            plan(&[c("sip:a@b", None)], None, POLICY),
            Ok(RegisterPlan::Apply(vec![("sip:a@b".into(), 3600)]))
        );
        assert_eq!(
            plan(&[c("sip:a@b", None)], Some(86400), POLICY),
            Ok(RegisterPlan::Apply(vec![("sip:a@b".into(), 3600)])),
            "capped at the maximum"
        );
        assert_eq!(
            plan(&[c("sip:a@b", None)], Some(30), POLICY),
            Err(RegisterRefusal::IntervalTooBrief { min: 60 })
        );
        assert_eq!(
            plan(&[c("sip:a@b", None)], Some(0), POLICY),
            Ok(RegisterPlan::Apply(vec![("sip:a@b".into(), 0)])),
            "zero removes, whatever the minimum"
        );
    }

    #[test]
    fn wildcard_rules() {
        assert_eq!(
            plan(&[c("*", None)], Some(0), POLICY),
            Ok(RegisterPlan::RemoveAll)
        );
        assert!(matches!(
            plan(&[c("*", None)], Some(60), POLICY),
            Err(RegisterRefusal::BadRequest(_))
        ));
        assert!(matches!(
            plan(&[c("*", None), c("sip:a@b", None)], Some(0), POLICY),
            Err(RegisterRefusal::BadRequest(_))
        ));
    }
}
