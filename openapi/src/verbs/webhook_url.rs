//! URLs inside verb documents (`action`, `redirect`, `wait_url`, …).

use crate::types::{InvalidValue, string_newtype};

string_newtype!(
    /// A URL in a verb document: an absolute `http(s)://` URL, or a reference relative to
    /// the URL of the document it appears in (`/menu`, `next?step=2`), as in HTML links.
    WebhookUrl,
    |s| {
        if s.is_empty() || s.len() > 2048 {
            return Err(InvalidValue::new("must be 1 to 2048 characters long"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidValue::new("must not contain spaces or control characters"));
        }
        match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
            Ok(u) if matches!(u.scheme(), "http" | "https") => Err(InvalidValue::new("must name a host")),
            Ok(u) => Err(InvalidValue(format!("must be an http or https URL, not {}", u.scheme()))),
            Err(url::ParseError::RelativeUrlWithoutBase) => Ok(()),
            Err(e) => Err(InvalidValue(format!("is not a valid URL ({e})"))),
        }
    },
    example = "/ivr/menu",
    pattern = None,
);

impl WebhookUrl {
    /// The absolute URL, resolving a relative reference against `base` (the URL of the
    /// document that contained it).
    pub fn resolve(&self, base: Option<&url::Url>) -> Result<url::Url, InvalidValue> {
        match (url::Url::parse(self.as_str()), base) {
            (Ok(absolute), _) => Ok(absolute),
            (Err(_), Some(base)) => base
                .join(self.as_str())
                .map_err(|e| InvalidValue(format!("cannot be resolved against {base} ({e})"))),
            (Err(_), None) => Err(InvalidValue::new(
                "is relative, but the document did not come from a URL (use an absolute URL)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WebhookUrl;

    #[test]
    fn absolute_and_relative_urls() {
        for good in ["https://app.example.com/x", "/menu", "next?step=2", "../up"] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good:?}");
        }
        for bad in ["", "ftp://x/y", "has space", "mailto:a@b.c", "https://"] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn relative_urls_resolve_against_the_document() {
        let base = url::Url::parse("http://127.0.0.1:9000/voice/start").unwrap();
        let u = WebhookUrl::parse("menu?x=1").unwrap();
        assert_eq!(
            u.resolve(Some(&base)).unwrap().as_str(),
            "http://127.0.0.1:9000/voice/menu?x=1"
        );
        let u = WebhookUrl::parse("/top").unwrap();
        assert_eq!(
            u.resolve(Some(&base)).unwrap().as_str(),
            "http://127.0.0.1:9000/top"
        );
        assert!(u.resolve(None).is_err());
        let abs = WebhookUrl::parse("https://b.example/x").unwrap();
        assert_eq!(abs.resolve(None).unwrap().as_str(), "https://b.example/x");
    }
}
