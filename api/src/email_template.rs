//! Voicemail email templates (pure): `{name}` placeholders among
//! [`contract::models::EMAIL_VARIABLES`], checked when written and filled when sent.

use contract::models::{EMAIL_VARIABLES, VoicemailEmailOptions};

/// Why a template is refused.
pub fn check(template: &str, max: usize) -> Result<(), String> {
    let chars = template.chars().count();
    if chars == 0 || chars > max {
        return Err(format!("must be 1 to {max} characters"));
    }
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("a '{' is not closed".to_owned());
        };
        let name = &after[..close];
        if !EMAIL_VARIABLES.contains(&name) {
            return Err(format!(
                "unknown variable {{{name}}}; use {}",
                EMAIL_VARIABLES
                    .iter()
                    .map(|v| format!("{{{v}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Every setting of `options` that can be wrong, with its field (under `voicemail.`).
/// `has_email`: the extension has an address (delete-after-email needs one).
pub fn check_options(
    options: &VoicemailEmailOptions,
    has_email: bool,
) -> Result<(), (&'static str, String)> {
    if let Some(subject) = &options.subject {
        check(subject, 200).map_err(|e| ("voicemail.email_options.subject", e))?;
        if subject.contains(['\r', '\n']) {
            return Err((
                "voicemail.email_options.subject",
                "must be one line".to_owned(),
            ));
        }
    }
    if let Some(body) = &options.body {
        check(body, 4000).map_err(|e| ("voicemail.email_options.body", e))?;
    }
    if let Some(zone) = &options.time_zone {
        jiff::tz::TimeZone::get(zone.as_str()).map_err(|_| {
            (
                "voicemail.email_options.time_zone",
                format!("unknown IANA time zone {:?}", zone.as_str()),
            )
        })?;
    }
    if options.delete_after_email && !has_email {
        return Err((
            "voicemail.email_options.delete_after_email",
            "needs the extension's email: without one no email is sent, so nothing would be deleted"
                .to_owned(),
        ));
    }
    Ok(())
}

/// `template` with each `{name}` replaced by its value in `values`.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_use_known_variables_only() {
        assert!(check("Voicemail from {caller} ({duration})", 200).is_ok());
        assert!(
            check("{callr}", 200)
                .unwrap_err()
                .contains("unknown variable {callr}")
        );
        assert!(check("{caller", 200).is_err());
        assert!(check("", 200).is_err());
        assert!(check(&"x".repeat(201), 200).is_err());
    }

    #[test]
    fn values_fill_the_placeholders_and_braces_alone_stay() {
        let v = [("caller", "Djaouad (58101)"), ("duration", "0:12")];
        assert_eq!(
            render("From {caller}, {duration} long {x} {", &v),
            "From Djaouad (58101), 0:12 long {x} {"
        );
    }

    #[test]
    fn deleting_after_email_needs_an_address() {
        let options = VoicemailEmailOptions {
            delete_after_email: true,
            ..VoicemailEmailOptions::default()
        };
        assert_eq!(
            check_options(&options, false).unwrap_err().0,
            "voicemail.email_options.delete_after_email"
        );
        assert!(check_options(&options, true).is_ok());
        let bad = VoicemailEmailOptions {
            subject: Some("a\nb".into()),
            ..VoicemailEmailOptions::default()
        };
        assert_eq!(
            check_options(&bad, true).unwrap_err().0,
            "voicemail.email_options.subject"
        );
    }
}
