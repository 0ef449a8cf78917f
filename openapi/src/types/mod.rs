//! Domain values that validate on construction.
//!
//! Each type implements `TryFrom<String>` (or `TryFrom<u32>`) with the rule it enforces,
//! and serde goes through that conversion, so an invalid value never exists in memory.
//! The error is an [`InvalidValue`] whose message reads well after the field name:
//! `number: must be 2 to 15 digits`.

mod destination;
mod dial_pattern;
mod ids;
mod patch;
mod pbx;
mod text;

pub use destination::{Destination, DestinationKind};
pub use dial_pattern::{DialPattern, DialPrefix, DialRule, Prepend};
pub use ids::{ApiKeyId, ApplicationId, RecordingId};
pub use patch::Patch;
pub use pbx::{
    Announcement, CalendarDate, FeatureCodeString, IvrChoice, IvrKey, TimeOfDay, TimeZoneName,
    Weekday,
};
pub use text::{
    CallerId, DialString, DisplayName, Email, ExtensionNumber, Host, HttpUrl, PhoneNumber,
    ResourceName, RingTime, SipPassword, SipUsername, VoicemailPin,
};

/// Why a value was refused. The message completes the sentence "`<field>`: …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

impl InvalidValue {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Defines a `String` newtype validated by `$check: fn(&str) -> Result<(), InvalidValue>`,
/// with its OpenAPI schema (a string with a description, an example and an optional
/// pattern), registered under the type's name.
macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $check:expr, example = $example:expr, pattern = $pattern:expr $(,)?) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `value` and wraps it.
            pub fn parse(value: impl Into<String>) -> Result<Self, $crate::types::InvalidValue> {
                let value = value.into();
                let check: fn(&str) -> Result<(), $crate::types::InvalidValue> = $check;
                check(&value)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::types::InvalidValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::types::InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let pattern: Option<&str> = $pattern;
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($crate::types::doc_of(stringify!($name), &[$(stringify!($meta)),*])))
                    .pattern(pattern)
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use string_newtype;

/// Turns the `doc = "…"` attributes captured by [`string_newtype!`] back into text, so a
/// type's rustdoc is also its OpenAPI description.
pub(crate) fn doc_of(name: &str, metas: &[&str]) -> String {
    let lines: Vec<String> = metas
        .iter()
        .filter_map(|m| m.strip_prefix("doc = "))
        .filter_map(|literal| serde_json::from_str::<String>(literal).ok())
        .map(|line| line.trim().to_owned())
        .collect();
    let text = lines.join(" ").trim().to_owned();
    if text.is_empty() {
        name.to_owned()
    } else {
        text
    }
}
