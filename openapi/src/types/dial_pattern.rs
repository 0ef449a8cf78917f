//! Dial patterns of outbound routes, in the notation FreePBX and Asterisk users know:
//! `X` any digit, `Z` 1-9, `N` 2-9, `[1-5]` / `[135]` a set, `.` one or more of anything,
//! `!` zero or more of anything, other characters literally.
//!
//! A [`DialRule`] combines a pattern with a `prefix` the caller dials first (stripped) and
//! digits to `prepend` before the number goes out on the trunk, as in the seed scenario's
//! `+prefix | match pattern` trunk routes.

use super::{CallerId, InvalidValue, string_newtype};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One position of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    /// Exactly this character.
    Literal(u8),
    /// One digit whose bit is set (bit 0 = '0').
    Digits(u16),
    /// `.`: one or more characters, the rest of the number.
    OneOrMore,
    /// `!`: zero or more characters, the rest of the number.
    ZeroOrMore,
}

fn dialable(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'*' | b'#' | b'+')
}

/// A parsed dial pattern such as `XXX`, `0[1-9]XXXXXXX.` or `NXXNXXXXXX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPattern {
    source: String,
    elements: Vec<Element>,
}

impl DialPattern {
    pub fn parse(source: &str) -> Result<Self, InvalidValue> {
        if source.is_empty() || source.len() > 64 {
            return Err(InvalidValue::new("must be 1 to 64 characters long"));
        }
        if source.starts_with('_') {
            return Err(InvalidValue::new(
                "must not start with '_' (write the pattern without Asterisk's underscore)",
            ));
        }
        let bytes = source.as_bytes();
        let mut elements = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let element = match b.to_ascii_uppercase() {
                b'X' => Element::Digits(0b11_1111_1111),
                b'Z' => Element::Digits(0b11_1111_1110),
                b'N' => Element::Digits(0b11_1111_1100),
                b'.' | b'!' => {
                    if i + 1 != bytes.len() {
                        return Err(InvalidValue(format!(
                            "'{}' matches the rest of the number, so it must come last (position {})",
                            b as char,
                            i + 1
                        )));
                    }
                    if b == b'.' {
                        Element::OneOrMore
                    } else {
                        Element::ZeroOrMore
                    }
                }
                b'[' => {
                    let close = source[i..].find(']').map(|o| i + o).ok_or_else(|| {
                        InvalidValue(format!("'[' at position {} is never closed", i + 1))
                    })?;
                    let set = parse_set(&bytes[i + 1..close]).map_err(|why| {
                        InvalidValue(format!("bad set at position {}: {why}", i + 1))
                    })?;
                    i = close;
                    Element::Digits(set)
                }
                _ if dialable(b) => Element::Literal(b),
                _ => {
                    return Err(InvalidValue(format!(
                        "'{}' at position {} is not allowed (use digits, * # +, X Z N, [1-5], . or !)",
                        b as char,
                        i + 1
                    )));
                }
            };
            elements.push(element);
            i += 1;
        }
        Ok(Self {
            source: source.to_owned(),
            elements,
        })
    }

    /// Does `number` match the whole pattern?
    pub fn matches(&self, number: &str) -> bool {
        let bytes = number.as_bytes();
        if !bytes.iter().all(|&b| dialable(b)) {
            return false;
        }
        for (i, element) in self.elements.iter().enumerate() {
            match element {
                Element::OneOrMore => return bytes.len() > i,
                Element::ZeroOrMore => return true,
                Element::Literal(c) => {
                    if bytes.get(i) != Some(c) {
                        return false;
                    }
                }
                Element::Digits(set) => match bytes.get(i) {
                    Some(d) if d.is_ascii_digit() && set & (1 << (d - b'0')) != 0 => {}
                    _ => return false,
                },
            }
        }
        bytes.len() == self.elements.len()
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// Parses the inside of `[...]`: digits and ranges like `1-5`, e.g. `135-7`.
fn parse_set(inner: &[u8]) -> Result<u16, &'static str> {
    if inner.is_empty() {
        return Err("the set is empty");
    }
    let mut set = 0u16;
    let mut i = 0;
    while i < inner.len() {
        let lo = inner[i];
        if !lo.is_ascii_digit() {
            return Err("only digits and ranges like 1-5 may appear inside [ ]");
        }
        if inner.get(i + 1) == Some(&b'-') {
            let hi = *inner.get(i + 2).ok_or("a range needs an end, like 1-5")?;
            if !hi.is_ascii_digit() || hi < lo {
                return Err("a range goes from a lower to a higher digit, like 1-5");
            }
            for d in lo..=hi {
                set |= 1 << (d - b'0');
            }
            i += 3;
        } else {
            set |= 1 << (lo - b'0');
            i += 1;
        }
    }
    Ok(set)
}

impl fmt::Display for DialPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl TryFrom<String> for DialPattern {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DialPattern> for String {
    fn from(value: DialPattern) -> String {
        value.source
    }
}

impl Serialize for DialPattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for DialPattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for DialPattern {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A dial pattern: `X` any digit, `Z` 1-9, `N` 2-9, `[1-5]` or `[135]` a set of \
                 digits, `.` one or more characters and `!` zero or more (both only at the end), \
                 digits `*` `#` `+` literally.",
            ))
            .pattern(Some("^[0-9*#+XZNxzn\\[\\]\\-.!]{1,64}$"))
            .examples([serde_json::json!("XXX")])
            .into()
    }
}

impl utoipa::ToSchema for DialPattern {}

string_newtype!(
    /// Digits the caller dials before the number to choose this route; removed before the
    /// number goes out (the seed's `+prefix`). 1 to 20 of digits, `*` and `#`.
    DialPrefix,
    |s| {
        if (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#') {
            Ok(())
        } else {
            Err(InvalidValue::new("must be 1 to 20 characters among digits, '*' and '#'"))
        }
    },
    example = "2",
    pattern = Some("^[0-9*#]{1,20}$"),
);

string_newtype!(
    /// Digits added in front of the number before it goes out on the trunk. 1 to 20 of
    /// digits, `*`, `#`, with an optional leading `+`.
    Prepend,
    |s| {
        let rest = s.strip_prefix('+').unwrap_or(s);
        if s.len() <= 20 && !s.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#') {
            Ok(())
        } else {
            Err(InvalidValue::new(
                "must be 1 to 20 characters among digits, '*' and '#', with an optional leading '+'",
            ))
        }
    },
    example = "0032",
    pattern = Some("^\\+?[0-9*#]{0,19}$"),
);

/// One dial pattern of an outbound route: a call matches when the dialled number is
/// `prefix` followed by digits matching `match_pattern`; it goes out as `prepend`
/// followed by those digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"prefix": "2", "match_pattern": "XXX"}))]
pub struct DialRule {
    /// Added in front of the number sent to the trunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepend: Option<Prepend>,
    /// Dialled first to choose this route, then removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<DialPrefix>,
    /// What the rest of the number must look like.
    pub match_pattern: DialPattern,
    /// Caller ID presented for calls matching this pattern (overrides the route's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<CallerId>,
}

impl DialRule {
    /// The number to send to the trunk when `dialled` matches this rule.
    pub fn rewrite(&self, dialled: &str) -> Option<String> {
        let rest = match &self.prefix {
            Some(prefix) => dialled.strip_prefix(prefix.as_str())?,
            None => dialled,
        };
        if !self.match_pattern.matches(rest) {
            return None;
        }
        let prepend = self.prepend.as_ref().map_or("", Prepend::as_str);
        Some(format!("{prepend}{rest}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DialPattern {
        DialPattern::parse(s).unwrap()
    }

    #[test]
    fn fixed_length_patterns() {
        assert!(p("XXX").matches("101"));
        assert!(!p("XXX").matches("10"));
        assert!(!p("XXX").matches("1010"));
        assert!(p("NXX").matches("201"));
        assert!(!p("NXX").matches("101"));
        assert!(p("ZXX").matches("101"));
        assert!(!p("ZXX").matches("011"));
        assert!(p("5[1-3]X").matches("520"));
        assert!(!p("5[1-3]X").matches("540"));
        assert!(p("[135-7]").matches("6"));
        assert!(!p("[135-7]").matches("4"));
        assert!(p("*97").matches("*97"));
        assert!(p("xxx").matches("999"), "letters are case-insensitive");
    }

    #[test]
    fn open_ended_patterns() {
        assert!(p("00.").matches("0032"));
        assert!(!p("00.").matches("00"));
        assert!(p("00!").matches("00"));
        assert!(p("+.").matches("+3223"));
        assert!(!p("X.").matches("1a"), "only dialable characters match");
    }

    #[test]
    fn parse_errors_say_where() {
        let e = DialPattern::parse("X.X").unwrap_err().to_string();
        assert!(e.contains("must come last"), "{e}");
        let e = DialPattern::parse("[1-5").unwrap_err().to_string();
        assert!(e.contains("never closed"), "{e}");
        let e = DialPattern::parse("[5-1]").unwrap_err().to_string();
        assert!(e.contains("lower to a higher"), "{e}");
        let e = DialPattern::parse("XXA").unwrap_err().to_string();
        assert!(e.contains("position 3"), "{e}");
        assert!(DialPattern::parse("_XXX").is_err());
        assert!(DialPattern::parse("[]").is_err());
        assert!(DialPattern::parse("").is_err());
    }

    #[test]
    fn rules_strip_prefix_and_prepend() {
        let rule = DialRule {
            prepend: Some(Prepend::parse("0032").unwrap()),
            prefix: Some(DialPrefix::parse("2").unwrap()),
            match_pattern: p("XXX"),
            caller_id: None,
        };
        assert_eq!(rule.rewrite("2101").as_deref(), Some("0032101"));
        assert_eq!(rule.rewrite("101"), None, "the prefix is required");
        assert_eq!(
            rule.rewrite("21010"),
            None,
            "the rest must match the pattern"
        );
        let bare = DialRule {
            prepend: None,
            prefix: None,
            match_pattern: p("NXXXXXX"),
            caller_id: None,
        };
        assert_eq!(bare.rewrite("2345678").as_deref(), Some("2345678"));
    }
}
