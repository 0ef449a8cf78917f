//! A real SMTP server for the tests (Debian's `python3-aiosmtpd`, `tests/apps/smtp_sink.py`):
//! each email it accepts is written as JSON (envelope, subject, text, HTML, attachments
//! saved beside it).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The SMTP server, stopped when dropped.
#[derive(Debug)]
pub struct SmtpSink(Child);

impl SmtpSink {
    /// Starts the server on `port`, writing what it receives into `out`.
    pub fn start(port: u16, out: &Path) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("apps/smtp_sink.py");
        // Debian's interpreter: the one python3-aiosmtpd installs into (a python3 earlier
        // in PATH, e.g. pyenv's, does not have it).
        let mut child = Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(out)
            .stdout(Stdio::piped())
            .spawn()
            .expect("/usr/bin/python3 runs the SMTP server (Debian package python3-aiosmtpd)");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().expect("its stdout")),
            &mut line,
        )
        .expect("the SMTP server says it listens");
        assert_eq!(
            line.trim(),
            "listening",
            "the SMTP server started (python3-aiosmtpd installed?)"
        );
        Self(child)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The emails received so far, in order.
pub fn emails(out: &Path) -> Vec<serde_json::Value> {
    let mut n = 1;
    let mut all = Vec::new();
    while let Ok(text) = std::fs::read_to_string(out.join(format!("{n}.json"))) {
        all.push(serde_json::from_str(&text).expect("an email as JSON"));
        n += 1;
    }
    all
}

/// Waits until `count` emails arrived (or `within` passed); returns those there are.
pub async fn wait_emails(out: &Path, count: usize, within: Duration) -> Vec<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = emails(out);
        if got.len() >= count || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
