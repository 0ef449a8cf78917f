//! Voicemail by email, with a real phone and a real SMTP server (aiosmtpd): nobody
//! answers Pierre's extension, the caller leaves a message (a 700 Hz tone), and one email
//! reaches Pierre's address naming the caller, with the message attached as a WAV that
//! holds the tone. With the SMTP server down while a message is left and Switchboard
//! restarted before it comes back, exactly one email arrives once it does; an address it
//! refuses for good is given up at once and the message stays.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use switchboard_tests::app_harness::{burst_power, wait_registered};
use switchboard_tests::audio::{read_wav, tone_wav};
use switchboard_tests::peers::{Baresip, SipTransport, free_sip_port};
use switchboard_tests::smtp::{SmtpSink, emails, wait_emails};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const VOICE: f64 = 700.0;

/// 101 calls 58102, which nobody answers, and speaks for about 4 s after the greeting
/// (about 5 s) and the beep.
async fn leave_message(app: &TestApp, caller: &Baresip) {
    caller.forget_events();
    caller.dial(&format!("sip:58102@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "the mailbox answered; server: {}",
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
}

/// A server whose voicemail emails go to an SMTP server on a port of its own (started by
/// the test, into `out`): the server, that port and `out`.
async fn with_smtp(backend: Backend, rtp: &str) -> (TestApp, u16, tempfile::TempDir) {
    let smtp_port = free_sip_port();
    let out = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(
        backend,
        &[
            ("SWITCHBOARD_RTP_PORTS", rtp.to_owned()),
            (
                "SWITCHBOARD_SMTP_URL",
                format!("smtp://127.0.0.1:{smtp_port}"),
            ),
        ],
    )
    .await;
    (app, smtp_port, out)
}

fn attachment(mail: &serde_json::Value) -> PathBuf {
    let a = &mail["attachments"][0];
    assert_eq!(a["content_type"], "audio/wav", "{mail}");
    PathBuf::from(a["path"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_is_emailed_with_its_audio_once_even_across_an_smtp_outage_and_a_restart() {
    let smtp_port = free_sip_port();
    let out = tempfile::tempdir().unwrap();
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("SWITCHBOARD_RTP_PORTS", "50600-50799".to_owned()),
            (
                "SWITCHBOARD_SMTP_URL",
                format!("smtp://127.0.0.1:{smtp_port}"),
            ),
            (
                "SWITCHBOARD_SMTP_FROM",
                "Switchboard <voicemail@example.com>".to_owned(),
            ),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "101", "name": "Djaouad", "password": "pw-101-secret"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret",
                   "email": "pierre@example.com", "voicemail": {"enabled": true},
                   "no_answer_destination": "voicemail:58102"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mic = dir.path().join("voice.wav");
    std::fs::write(&mic, tone_wav(VOICE, 120.0, 8000, 1, 16, false, 0.3)).unwrap();
    let caller = Baresip::start("101", "pw-101-secret", app.sip, SipTransport::Udp, &mic);
    wait_registered(&app, "101").await;

    // The server up: one email, to Pierre, naming the caller, the tone attached.
    let sink = SmtpSink::start(smtp_port, out.path());
    leave_message(&app, &caller).await;
    let mails = wait_emails(out.path(), 1, LONG).await;
    assert_eq!(mails.len(), 1, "one email; server: {}", app.log());
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], json!(["pierre@example.com"]), "{mail}");
    assert_eq!(mail["mail_from"], "voicemail@example.com", "{mail}");
    let subject = mail["subject"].as_str().unwrap();
    assert!(
        subject.contains("Djaouad (101)") && subject.contains("Pierre (58102)"),
        "{subject}"
    );
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("From: Djaouad (101)") && text.contains("Mailbox: 58102"),
        "{text}"
    );
    assert!(
        mail["html"].as_str().unwrap().contains("Djaouad (101)"),
        "{mail}"
    );
    let audio = read_wav(&std::fs::read(attachment(mail)).unwrap());
    assert!(
        audio.duration_ms() >= 2000,
        "{} ms recorded",
        audio.duration_ms()
    );
    assert!(
        burst_power(&audio, VOICE) > 1e-3,
        "the attached message holds the caller's tone"
    );
    let (_, recordings) = app.get("/v1/recordings?kind=voicemail").await;
    assert_eq!(
        recordings["data"].as_array().map(Vec::len),
        Some(1),
        "the message is a recording of kind voicemail: {recordings}"
    );

    // The server down while a message is left: it waits; Switchboard restarts; the
    // server comes back: exactly one more email.
    drop(sink);
    leave_message(&app, &caller).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        app.log().contains("voicemail email not sent"),
        "the mailer tried and will retry: {}",
        app.log()
    );
    app.restart().await;
    let _sink = SmtpSink::start(smtp_port, out.path());
    let mails = wait_emails(out.path(), 2, Duration::from_secs(45)).await;
    assert_eq!(
        mails.len(),
        2,
        "the waiting email was sent; server: {}",
        app.log()
    );
    let audio = read_wav(&std::fs::read(attachment(&mails[1])).unwrap());
    assert!(burst_power(&audio, VOICE) > 1e-3);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(emails(out.path()).len(), 2, "and never sent twice");
}

/// An address the SMTP server refuses for good (550, unknown user): the email is given up
/// at once — not retried for a day — with an error in the log, the message stays in the
/// mailbox, and the next mailbox's email goes out as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_refused_for_good_is_given_up_once_and_the_message_stays() {
    let (app, smtp_port, out) = with_smtp(Backend::Sqlite, "56800-56819").await;
    let _sink = SmtpSink::start(smtp_port, out.path());
    for (number, email) in [
        ("58103", "nobody@example.com"),
        ("58102", "pierre@example.com"),
    ] {
        let (status, body) = app
            .post(
                "/v1/extensions",
                json!({"number": number, "name": "E", "password": "pw-5810x-secret",
                       "email": email, "voicemail": {"enabled": true}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        switchboard_tests::app_harness::upload_tone(&app, &format!("m{number}"), VOICE, 1.0).await;
        let (_, recording) = app.get(&format!("/v1/recordings/m{number}")).await;
        let (status, doc) = app
            .send(
                app.req(
                    reqwest::Method::POST,
                    &format!("/apps/voicemail/{number}/saved"),
                )
                .json(&json!({"call_sid": format!("CA{number}"), "from": "003222",
                        "recording_sid": recording["id"], "recording_duration": 1})),
            )
            .await;
        assert_eq!(status, 200, "{doc}");
    }
    let mails = wait_emails(out.path(), 1, LONG).await;
    assert_eq!(mails.len(), 1, "server: {}", app.log());
    assert_eq!(mails[0]["rcpt_tos"], json!(["pierre@example.com"]));
    // Retries would come after 1 s, 2 s, 4 s: none in 8 s.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let refused = std::fs::read_to_string(out.path().join("refused.log")).unwrap();
    assert_eq!(refused.lines().collect::<Vec<_>>(), ["nobody@example.com"]);
    assert!(
        app.log().contains("voicemail email given up"),
        "said in the log: {}",
        app.log()
    );
    let (_, page) = app.get("/v1/voicemail/58103/messages").await;
    assert_eq!(
        page["data"].as_array().map(Vec::len),
        Some(1),
        "the message stays in the mailbox: {page}"
    );
    assert_eq!(emails(out.path()).len(), 1, "nothing else sent");
}

/// The voicemail app's record action, called as the engine would (here with the admin
/// key), on `backend`: the message is saved and emailed in the order messages were left;
/// an unknown recording is a 404 and saves nothing.
async fn messages_are_emailed_in_order(backend: Backend, rtp: &str) {
    let (app, smtp_port, out) = with_smtp(backend, rtp).await;
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret",
                   "email": "pierre@example.com", "voicemail": {"enabled": true}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let _sink = SmtpSink::start(smtp_port, out.path());
    let hooks = told_by_webhook(&app).await;
    for (i, freq) in [(1, 600.0), (2, 900.0)] {
        switchboard_tests::app_harness::upload_tone(&app, &format!("m{i}"), freq, 2.0).await;
        let (_, recording) = app.get(&format!("/v1/recordings/m{i}")).await;
        let (status, doc) = app
            .send(
                app.req(reqwest::Method::POST, "/apps/voicemail/58102/saved")
                    .json(&json!({"call_sid": format!("CA{i}"), "from": "003222", "caller_name": format!("Caller {i}"),
                        "recording_sid": recording["id"], "recording_duration": 2})),
            )
            .await;
        assert_eq!(status, 200, "{doc}");
    }
    let (status, body) = app
        .send(
            app.req(reqwest::Method::POST, "/apps/voicemail/58102/saved")
                .json(&json!({"from": "003222", "recording_sid": "RE00000000000000000000000000000000"})),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let mails = wait_emails(out.path(), 2, LONG).await;
    assert_eq!(mails.len(), 2, "server: {}", app.log());
    for (mail, (caller, freq)) in mails
        .iter()
        .zip([("Caller 1 (003222)", 600.0), ("Caller 2 (003222)", 900.0)])
    {
        assert!(mail["subject"].as_str().unwrap().contains(caller), "{mail}");
        let audio = read_wav(&std::fs::read(attachment(mail)).unwrap());
        assert!(
            burst_power(&audio, freq) > 1e-3,
            "{caller}: its own message attached"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(emails(out.path()).len(), 2, "nothing for the refused save");
    // The application heard of both, signed, and fetches each message's audio.
    let events = hooks.wait_for("/status", 2, LONG).await;
    assert_eq!(events.len(), 2, "server: {}", app.log());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(hooks.received_on("/status").len(), 2, "each event once");
    hooks.assert_all_signed();
    for (event, (caller, freq)) in events
        .iter()
        .zip([("Caller 1", 600.0), ("Caller 2", 900.0)])
    {
        let e = &event.body;
        assert_eq!(
            (
                &e["event"],
                &e["mailbox"],
                &e["caller_name"],
                &e["duration_ms"]
            ),
            (
                &json!("voicemail"),
                &json!("58102"),
                &json!(caller),
                &json!(2000)
            ),
            "{e}"
        );
        let (status, audio) = app
            .send_raw(app.req(reqwest::Method::GET, e["audio_url"].as_str().unwrap()))
            .await;
        assert_eq!(status, 200, "{e}");
        assert!(
            burst_power(&read_wav(&audio), freq) > 1e-3,
            "{caller}'s audio"
        );
    }
    messages_through_rest(&app).await;
    star_98(&app).await;
}

/// The `*98` app, asked as the engine would (here with the admin key): another phone
/// opens 58102 with its PIN only; the remaining message is played and kept with 9.
async fn star_98(app: &TestApp) {
    let ask = |path: String, body: serde_json::Value| async move {
        let (status, doc) = app
            .send(app.req(reqwest::Method::POST, &path).json(&body))
            .await;
        assert_eq!(status, 200, "{path}: {doc}");
        doc
    };
    let (status, body) = app
        .patch(
            "/v1/extensions/58102",
            json!({"voicemail": {"pin": "2468"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let doc = ask(
        "/apps/feature/voicemail/other/mailbox".into(),
        json!({"digits": "58102"}),
    )
    .await;
    assert_eq!(
        doc[0]["action"], "/apps/feature/voicemail/other/pin?mailbox=58102",
        "{doc}"
    );
    for (mailbox, pin) in [("58102", "1111"), ("999", "2468")] {
        let doc = ask(
            format!("/apps/feature/voicemail/other/pin?mailbox={mailbox}"),
            json!({"digits": pin, "from": "101"}),
        )
        .await;
        assert!(
            doc[0]["text"].as_str().unwrap().contains("not correct"),
            "{doc}"
        );
    }
    let doc = ask(
        "/apps/feature/voicemail/other/pin?mailbox=58102".into(),
        json!({"digits": "2468", "from": "101"}),
    )
    .await;
    assert_eq!(
        doc[0]["text"], "You have 1 new message and 0 saved messages.",
        "{doc}"
    );
    let (_, page) = app.get("/v1/voicemail/58102/messages?folder=new").await;
    let id = page["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        doc[1]["prompts"][1]["recording"], page["data"][0]["recording_id"],
        "{doc}"
    );
    let key = format!("/apps/feature/voicemail/key?id={id}&mailbox=58102");
    assert_eq!(doc[2]["url"], key.as_str(), "{doc}");
    let doc = ask(key, json!({"digits": "9", "from": "101"})).await;
    assert_eq!(doc[0]["text"], "Message saved.", "{doc}");
    assert!(
        doc[1]["prompts"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("No more new messages. Press 2 for your saved messages"),
        "then the mailbox menu: {doc}"
    );
    assert_eq!(
        doc[1]["action"],
        "/apps/feature/voicemail/menu?mailbox=58102"
    );
    let (_, message) = app.get(&format!("/v1/voicemail/58102/messages/{id}")).await;
    assert_eq!(message["folder"], "saved", "{message}");
}

/// An application with a status callback, told of 58102's messages; one without a
/// status callback cannot be, and a told application cannot be deleted.
async fn told_by_webhook(app: &TestApp) -> WebhookApp {
    let hooks = WebhookApp::start().await;
    hooks.reply("/status", Reply::Json(json!({})));
    let (status, bare) = app
        .post(
            "/v1/applications",
            json!({"name": "No callback", "voice_url": format!("{}/voice", hooks.url)}),
        )
        .await;
    assert_eq!(status, 201, "{bare}");
    let (status, body) = app
        .patch(
            "/v1/extensions/58102",
            json!({"voicemail": {"application_id": bare["id"]}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "voicemail.application_id", "{body}");
    let (status, told) = app
        .post(
            "/v1/applications",
            json!({"name": "Voicemail listener", "voice_url": format!("{}/voice", hooks.url),
                   "status_callback": format!("{}/status", hooks.url)}),
        )
        .await;
    assert_eq!(status, 201, "{told}");
    hooks.set_secret(told["signing_secret"].as_str().unwrap());
    let (status, ext) = app
        .patch(
            "/v1/extensions/58102",
            json!({"voicemail": {"application_id": told["id"]}}),
        )
        .await;
    assert_eq!(status, 200, "{ext}");
    assert_eq!(ext["voicemail"]["application_id"], told["id"], "{ext}");
    let (status, body) = app
        .delete(&format!(
            "/v1/applications/{}",
            told["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 409, "{body}");
    hooks
}

/// The two messages of 58102 through `/v1/voicemail`: listed oldest first (paging,
/// folders), read, downloaded, saved, deleted with their audio.
async fn messages_through_rest(app: &TestApp) {
    let (status, page) = app.get("/v1/voicemail/58102/messages?limit=1").await;
    assert_eq!(status, 200, "{page}");
    let first = page["data"][0].clone();
    assert_eq!(
        (
            &first["caller_name"],
            &first["folder"],
            &first["caller_number"]
        ),
        (&json!("Caller 1"), &json!("new"), &json!("003222")),
        "{page}"
    );
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, next) = app
        .get(&format!(
            "/v1/voicemail/58102/messages?limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(next["data"][0]["caller_name"], "Caller 2", "{next}");
    assert!(next["next_cursor"].is_null(), "{next}");
    let id = first["id"].as_str().unwrap();
    let (status, audio) = app
        .send_raw(app.req(reqwest::Method::GET, first["audio_url"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200);
    assert!(burst_power(&read_wav(&audio), 600.0) > 1e-3, "its audio");
    // Its recording goes with the message: not deleted on its own.
    let (status, body) = app
        .delete(&format!(
            "/v1/recordings/{}",
            first["recording_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, saved) = app
        .patch(
            &format!("/v1/voicemail/58102/messages/{id}"),
            json!({"folder": "saved"}),
        )
        .await;
    assert_eq!(
        (status, &saved["folder"]),
        (200, &json!("saved")),
        "{saved}"
    );
    let (_, new) = app.get("/v1/voicemail/58102/messages?folder=new").await;
    assert_eq!(new["data"].as_array().unwrap().len(), 1, "{new}");
    let (status, body) = app
        .patch(
            &format!("/v1/voicemail/58102/messages/{id}"),
            json!({"folder": "trash"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .delete(&format!("/v1/voicemail/58102/messages/{id}"))
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.get(&format!("/v1/voicemail/58102/messages/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get(&format!(
            "/v1/recordings/{}",
            first["recording_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 404, "the audio went with it");
    let (status, body) = app.get("/v1/voicemail/999/messages").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_messages_are_emailed_in_order() {
    messages_are_emailed_in_order(Backend::Sqlite, "50800-50819").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_messages_are_emailed_in_order() {
    messages_are_emailed_in_order(Backend::Postgres, "50820-50839").await;
}

/// The mailbox's own subject and body templates, its time zone for the date, and
/// delete-after-email: the email arrives as written, with the audio, and the message is
/// gone from the mailbox (and its recording with it) once the email is delivered. A
/// template with an unknown variable, or delete-after-email without an address, is
/// refused naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_time_zone_and_delete_after_email() {
    let (app, smtp_port, out) = with_smtp(Backend::Sqlite, "52000-52199").await;
    let _sink = SmtpSink::start(smtp_port, out.path());
    let dir = tempfile::tempdir().unwrap();
    app.post(
        "/v1/extensions",
        json!({"number": "101", "name": "Djaouad", "password": "pw-101-secret"}),
    )
    .await;
    for (voicemail, field) in [
        (
            json!({"enabled": true, "email_options": {"subject": "From {callr}"}}),
            "voicemail.email_options.subject",
        ),
        (
            json!({"enabled": true, "email_options": {"delete_after_email": true}}),
            "voicemail.email_options.delete_after_email",
        ),
        (
            json!({"enabled": true, "email_options": {"time_zone": "Mars/Olympus"}}),
            "voicemail.email_options.time_zone",
        ),
    ] {
        let (status, body) = app
            .post(
                "/v1/extensions",
                json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret",
                       "voicemail": voicemail}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret",
                   "email": "pierre@example.com", "no_answer_destination": "voicemail:58102",
                   "voicemail": {"enabled": true, "email_options": {
                       "subject": "VM {caller_number} for {mailbox}",
                       "body": "{mailbox_name}, {caller} left {duration} on {date}.",
                       "time_zone": "Asia/Tokyo", "delete_after_email": true}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["voicemail"]["email_options"]["time_zone"],
        "Asia/Tokyo"
    );
    let (status, body) = app
        .patch("/v1/extensions/58102", json!({"email": null}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("voicemail.email_options.delete_after_email")),
        "removing the address would leave nothing to delete after: {body}"
    );
    let mic = dir.path().join("voice.wav");
    std::fs::write(&mic, tone_wav(VOICE, 120.0, 8000, 1, 16, false, 0.3)).unwrap();
    let caller = Baresip::start("101", "pw-101-secret", app.sip, SipTransport::Udp, &mic);
    wait_registered(&app, "101").await;
    leave_message(&app, &caller).await;
    let mails = wait_emails(out.path(), 1, LONG).await;
    assert_eq!(mails.len(), 1, "server: {}", app.log());
    let mail = &mails[0];
    assert_eq!(mail["subject"], "VM 101 for 58102", "{mail}");
    let text = mail["text"].as_str().unwrap();
    assert!(text.starts_with("Pierre, Djaouad (101) left 0:"), "{text}");
    assert!(text.contains(" JST."), "the date in Tokyo's time: {text}");
    assert!(
        burst_power(&read_wav(&std::fs::read(attachment(mail)).unwrap()), VOICE) > 1e-3,
        "the audio is attached"
    );
    let mut left = usize::MAX;
    for _ in 0..50 {
        let (_, messages) = app.get("/v1/voicemail/58102/messages").await;
        left = messages["data"].as_array().unwrap().len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "deleted once emailed");
    let (_, recordings) = app.get("/v1/recordings?kind=voicemail").await;
    assert_eq!(recordings["data"], json!([]), "its audio too");
}
