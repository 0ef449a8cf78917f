//! The voicemail mailer: emails each message left in a mailbox with an address, its
//! audio attached, through the SMTP server of `SWITCHBOARD_SMTP_URL`. Emails wait in the
//! database (`mail_outbox`, written with the message) and are retried with growing delays
//! while the server is away, in order per mailbox, so none is lost — also across a
//! restart — and one the server took is never sent again.

use crate::email_template::render;
use crate::media::store::MediaStore;
use crate::storage::{self, Db, voicemail::PendingMail};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Attempts before an email is given up (about a day of retries: 1 s, 2 s, … 5 min).
const MAX_ATTEMPTS: i64 = 300;
/// How long one SMTP conversation may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom emails are sent.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Smtp {
    // The URL may hold a password: only the sender is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Smtp {{ from: {} }}", self.from)
    }
}

impl Smtp {
    /// From `smtp://host:25` (plain; `?tls=required` for STARTTLS),
    /// `smtps://user:pass@host:465` (TLS), and the From address.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(TIMEOUT))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("smtp_from {from:?}: {e}"))?;
        Ok(Self { transport, from })
    }
}

/// Runs the mailer until the process ends (without SMTP settings, emails wait).
pub fn spawn(db: Db, media: MediaStore, smtp: Option<Smtp>) {
    let Some(smtp) = smtp else {
        tracing::info!(
            "no SMTP server configured (SWITCHBOARD_SMTP_URL): voicemail emails wait in the database until one is"
        );
        return;
    };
    tokio::spawn(async move {
        loop {
            match storage::voicemail::due_mail(&db, &storage::now(), 16).await {
                Ok(batch) if !batch.is_empty() => {
                    for mail in batch {
                        send(&db, &media, &smtp, mail).await;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the mail outbox"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn send(db: &Db, media: &MediaStore, smtp: &Smtp, mail: PendingMail) {
    let audio = match &mail.audio_file {
        Some(file) => tokio::fs::read(media.path(file)).await.ok(),
        None => None,
    };
    let result = match compose(&mail, &smtp.from, audio) {
        Ok(message) => smtp
            .transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| (e.to_string(), e.is_permanent())),
        Err(problem) => Err((problem, true)),
    };
    let stored = match result {
        Ok(()) => {
            tracing::info!(mailbox = %mail.mailbox, to = %mail.to_address, "voicemail emailed");
            let stored = storage::voicemail::mail_delivered(db, &mail.id, &storage::now()).await;
            if stored.is_ok() && mail.options.as_ref().is_some_and(|o| o.delete_after_email) {
                delete_after_email(db, media, &mail).await;
            }
            stored
        }
        Err((problem, permanent)) => {
            let failures = mail.attempts + 1;
            if permanent || failures >= MAX_ATTEMPTS {
                tracing::error!(mailbox = %mail.mailbox, to = %mail.to_address, attempts = failures, %problem, "voicemail email given up");
                storage::voicemail::mail_failed(db, &mail.id, &problem, None).await
            } else {
                let delay = crate::outbox::backoff(failures);
                tracing::warn!(mailbox = %mail.mailbox, attempt = failures, %problem, retry_in_s = delay.as_secs(), "voicemail email not sent");
                let next = storage::format_timestamp(time::OffsetDateTime::now_utc() + delay);
                storage::voicemail::mail_failed(db, &mail.id, &problem, Some(&next)).await
            }
        }
    };
    if let Err(e) = stored {
        tracing::warn!(error = %e, "cannot record a voicemail email's delivery");
    }
}

/// The mailbox deletes its messages once emailed: this one goes, audio and all.
async fn delete_after_email(db: &Db, media: &MediaStore, mail: &PendingMail) {
    match storage::voicemail::get_message(db, &mail.mailbox, &mail.message_id).await {
        Ok(Some(stored)) => {
            if let Err(e) = storage::voicemail::delete_with_audio(db, media, &stored).await {
                tracing::warn!(mailbox = %mail.mailbox, error = %e, "cannot delete a message after its email");
            }
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(mailbox = %mail.mailbox, error = %e, "cannot delete a message after its email")
        }
    }
}

/// The email of a message (pure): a text and HTML body naming the caller, the mailbox,
/// when (in the mailbox's time zone, else this machine's) and how long, and the WAV
/// attached; the mailbox's own subject and body templates when it has them.
pub fn compose(
    mail: &PendingMail,
    from: &Mailbox,
    audio: Option<Vec<u8>>,
) -> Result<Message, String> {
    let to = mail
        .to_address
        .parse::<Mailbox>()
        .map_err(|e| format!("address {:?}: {e}", mail.to_address))?;
    let caller = match &mail.caller_name {
        Some(name) if !name.is_empty() && name != &mail.caller_number => {
            format!("{name} ({})", mail.caller_number)
        }
        _ => mail.caller_number.clone(),
    };
    let options = mail.options.clone().unwrap_or_default();
    let when = local_time(
        &mail.left_at,
        options.time_zone.as_ref().map(|z| z.as_str()),
    );
    let seconds = mail.duration_ms.max(0) / 1000;
    let duration = format!("{}:{:02}", seconds / 60, seconds % 60);
    let attached = if audio.is_some() {
        "The message is attached as a WAV file."
    } else {
        "Its audio was deleted before this email could be sent."
    };
    let values = [
        ("caller", caller.as_str()),
        ("caller_number", mail.caller_number.as_str()),
        ("caller_name", mail.caller_name.as_deref().unwrap_or("")),
        ("mailbox", mail.mailbox.as_str()),
        ("mailbox_name", mail.mailbox_name.as_str()),
        ("date", when.as_str()),
        ("duration", duration.as_str()),
    ];
    let (text, html) = match &options.body {
        Some(template) => {
            let text = format!("{}\n\n{attached}\n", render(template, &values));
            let html = format!(
                "<p>{}</p>\n",
                escape(&text)
                    .trim_end()
                    .replace("\n\n", "</p>\n<p>")
                    .replace('\n', "<br>\n")
            );
            (text, html)
        }
        None => default_body(mail, &caller, &when, &duration, attached),
    };
    let subject = match &options.subject {
        Some(template) => render(template, &values),
        None => format!(
            "New voicemail from {caller} for {} ({})",
            mail.mailbox_name, mail.mailbox
        ),
    };
    let body = MultiPart::alternative_plain_html(text, html);
    let body = match audio {
        Some(bytes) => {
            let wav = ContentType::parse("audio/wav").map_err(|e| e.to_string())?;
            MultiPart::mixed().multipart(body).singlepart(
                Attachment::new(format!("voicemail-{}-{}.wav", mail.mailbox, mail.id))
                    .body(bytes, wav),
            )
        }
        None => MultiPart::mixed().multipart(body),
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .multipart(body)
        .map_err(|e| e.to_string())
}

/// The built-in text and HTML bodies: who called, for which mailbox, when, how long.
fn default_body(
    mail: &PendingMail,
    caller: &str,
    when: &str,
    duration: &str,
    attached: &str,
) -> (String, String) {
    let text = format!(
        "{name}, you have a new voicemail message.\n\nFrom: {caller}\nMailbox: {mailbox}\n\
         Left: {when}\nLength: {duration}\n\n{attached}\n",
        name = mail.mailbox_name,
        mailbox = mail.mailbox,
    );
    let html = format!(
        "<p>{name}, you have a new voicemail message.</p>\n<table>\n\
         <tr><td>From</td><td>{caller}</td></tr>\n<tr><td>Mailbox</td><td>{mailbox}</td></tr>\n\
         <tr><td>Left</td><td>{when}</td></tr>\n<tr><td>Length</td><td>{duration}</td></tr>\n\
         </table>\n<p>{attached}</p>\n",
        name = escape(&mail.mailbox_name),
        caller = escape(caller),
        mailbox = escape(&mail.mailbox),
    );
    (text, html)
}

/// A stored timestamp in the time zone `zone` (IANA; None or unknown: this machine's),
/// e.g. `Monday 30 November 2026, 14:05 CET`.
fn local_time(stored: &str, zone: Option<&str>) -> String {
    let tz = zone
        .and_then(|z| jiff::tz::TimeZone::get(z).ok())
        .unwrap_or_else(jiff::tz::TimeZone::system);
    match stored.parse::<jiff::Timestamp>() {
        Ok(t) => t
            .to_zoned(tz)
            .strftime("%A %-d %B %Y, %H:%M %Z")
            .to_string(),
        Err(_) => stored.to_owned(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> PendingMail {
        PendingMail {
            id: "ML01".into(),
            message_id: "VM01".into(),
            options: None,
            mailbox: "58102".into(),
            mailbox_name: "Pierre".into(),
            to_address: "pierre@example.com".into(),
            attempts: 0,
            caller_number: "58101".into(),
            caller_name: Some("Djaouad <boss>".into()),
            duration_ms: 65_400,
            left_at: "2026-11-30T14:05:00.000Z".into(),
            audio_file: Some("RE1.wav".into()),
        }
    }

    #[test]
    fn the_email_names_the_caller_and_carries_the_audio() {
        let from: Mailbox = "Switchboard <voicemail@example.com>".parse().unwrap();
        let message = compose(&mail(), &from, Some(b"RIFF....WAVE".to_vec())).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("To: pierre@example.com"), "{raw}");
        assert!(
            raw.contains("Subject: New voicemail from Djaouad <boss> (58101) for Pierre (58102)"),
            "{raw}"
        );
        assert!(raw.contains("Length: 1:05"), "{raw}");
        assert!(
            raw.contains("Djaouad &lt;boss&gt;"),
            "the HTML is escaped: {raw}"
        );
        assert!(raw.contains("Content-Type: audio/wav"), "{raw}");
        assert!(raw.contains("voicemail-58102-ML01.wav"), "{raw}");
    }

    #[test]
    fn the_mailbox_templates_and_time_zone_shape_the_email() {
        let from: Mailbox = "voicemail@example.com".parse().unwrap();
        let mut m = mail();
        m.options = Some(contract::models::VoicemailEmailOptions {
            subject: Some("VM {caller_number} {duration}".into()),
            body: Some("{mailbox_name}: {caller} called on {date}.".into()),
            time_zone: Some(contract::types::TimeZoneName::parse("America/New_York").unwrap()),
            delete_after_email: false,
        });
        let raw = String::from_utf8(compose(&m, &from, None).unwrap().formatted()).unwrap();
        assert!(raw.contains("Subject: VM 58101 1:05"), "{raw}");
        assert!(
            raw.contains(
                "Pierre: Djaouad <boss> (58101) called on Monday 30 November 2026, 09:05 EST."
            ),
            "{raw}"
        );
        assert!(
            raw.contains("Djaouad &lt;boss&gt;"),
            "the HTML part is escaped: {raw}"
        );
    }

    #[test]
    fn a_deleted_recording_still_gets_its_email_saying_so() {
        let from: Mailbox = "voicemail@example.com".parse().unwrap();
        let raw = String::from_utf8(compose(&mail(), &from, None).unwrap().formatted()).unwrap();
        assert!(raw.contains("Its audio was deleted"), "{raw}");
        assert!(!raw.contains("audio/wav"), "{raw}");
    }

    #[test]
    fn a_bad_address_is_an_error_not_a_panic() {
        let mut m = mail();
        m.to_address = "not an address".into();
        let from: Mailbox = "voicemail@example.com".parse().unwrap();
        assert!(
            compose(&m, &from, None)
                .unwrap_err()
                .contains("not an address")
        );
    }
}
