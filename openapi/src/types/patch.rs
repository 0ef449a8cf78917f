//! Three-state fields for partial updates (`PATCH`): absent, `null`, or a value.

use serde::{Deserialize, Deserializer};

/// A field of a partial update. `Keep` when the field is absent from the body, `Clear`
/// when it is `null`, `Set` when it has a value. Use with `#[serde(default)]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    /// Applies the patch to the current value.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Clear => None,
            Self::Set(value) => Some(value),
        }
    }

    pub fn is_keep(&self) -> bool {
        matches!(self, Self::Keep)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only reached when the field is present: absent fields take `Default` (Keep).
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Self::Clear,
            Some(value) => Self::Set(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        email: Patch<String>,
    }

    #[test]
    fn absent_null_and_value_are_distinct() {
        let absent: Body = serde_json::from_str("{}").unwrap();
        let null: Body = serde_json::from_str(r#"{"email":null}"#).unwrap();
        let set: Body = serde_json::from_str(r#"{"email":"a@b.c"}"#).unwrap();
        assert_eq!(absent.email, Patch::Keep);
        assert_eq!(null.email, Patch::Clear);
        assert_eq!(set.email, Patch::Set("a@b.c".into()));
        assert_eq!(Patch::Keep.apply(Some(1)), Some(1));
        assert_eq!(Patch::<i32>::Clear.apply(Some(1)), None);
        assert_eq!(Patch::Set(2).apply(Some(1)), Some(2));
    }
}
