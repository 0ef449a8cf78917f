//! Webhook URL resolution: a URL from a verb (`action`, `redirect`), absolute or relative,
//! resolved against the URL of the document that held it. Input: the base URL, a line
//! break, the reference.
#![no_main]

use contract::verbs::WebhookUrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (base, reference) = text.split_once('\n').unwrap_or(("", text));
    let base = url::Url::parse(base).ok();
    if let Ok(url) = WebhookUrl::try_from(reference.to_owned()) {
        let _ = url.resolve(base.as_ref());
    }
});
