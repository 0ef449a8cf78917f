//! Running the real binary.

use crate::db::{Backend, TestDb, random};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// The `switchboard` binary under test: `SWITCHBOARD_BIN`, or the workspace's debug
/// build, built once per test process so it is never stale.
pub fn switchboard_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(bin) = std::env::var("SWITCHBOARD_BIN") {
            return PathBuf::from(bin);
        }
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--quiet",
                "-p",
                "switchboard-api",
                "--bin",
                "switchboard",
            ])
            .current_dir(workspace)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the switchboard binary failed");
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| workspace.join("target"));
        target.join("debug").join("switchboard")
    })
    .clone()
}

/// A started process: its stdout lines so far and its stderr, collected by threads.
#[derive(Debug)]
pub struct Started {
    pub child: Child,
    /// The SIP address, once the server said it.
    pub sip: Option<std::net::SocketAddr>,
    pub stdout: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<String>>,
    lines: mpsc::Receiver<String>,
}

impl Started {
    /// Starts the binary with exactly these environment variables set (and the
    /// `SWITCHBOARD_*` and `DATABASE_URL` of the test environment removed).
    pub fn spawn(env: &[(&str, String)], args: &[&str]) -> Started {
        Self::spawn_in(None, env, args)
    }

    /// Like [`Started::spawn`], in the working directory `cwd`.
    pub fn spawn_in(cwd: Option<&Path>, env: &[(&str, String)], args: &[&str]) -> Started {
        Self::spawn_via(&[], cwd, env, args)
    }

    /// Starts the binary through `wrapper` (e.g. `setpriv …`), in `cwd`.
    pub fn spawn_via(
        wrapper: &[String],
        cwd: Option<&Path>,
        env: &[(&str, String)],
        args: &[&str],
    ) -> Started {
        let mut cmd = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(switchboard_bin());
                c
            }
            None => Command::new(switchboard_bin()),
        };
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        for (k, _) in std::env::vars() {
            if k.starts_with("SWITCHBOARD_") || k == "DATABASE_URL" {
                cmd.env_remove(k);
            }
        }
        cmd.env("SWITCHBOARD_LOG", "info,rsipstack=warn");
        // Tests run in parallel: never the shared default SIP port.
        cmd.env("SWITCHBOARD_SIP_ADDR", "127.0.0.1:0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start switchboard");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let collected = stdout.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                collected.lock().expect("lock").push(line.clone());
                let _ = tx.send(line);
            }
        });
        let mut err = child.stderr.take().expect("stderr");
        let collected = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Started {
            child,
            sip: None,
            stdout,
            stderr,
            lines,
        }
    }

    /// Waits for the `listening on http://ADDR` line and returns the base URL.
    pub fn wait_ready(&mut self) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("sip listening on ") {
                        self.sip = rest.split_whitespace().next().and_then(|a| a.parse().ok());
                    }
                    if let Some(url) = line.strip_prefix("listening on ") {
                        return url.trim().to_owned();
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    let status = self.child.wait();
                    std::thread::sleep(Duration::from_millis(100));
                    panic!(
                        "switchboard did not become ready ({status:?}); stderr:\n{}",
                        self.stderr.lock().expect("lock")
                    );
                }
            }
        }
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary until it exits (it must, within 30 s) and returns its status code,
/// stdout and stderr.
pub fn run_to_exit(env: &[(&str, String)], args: &[&str]) -> (i32, String, String) {
    run_to_exit_via(&[], env, args)
}

/// Like [`run_to_exit`], as an unprivileged user: when the tests run as root (as in
/// CI), through `setpriv` as `nobody`, so file permissions apply.
pub fn run_to_exit_unprivileged(env: &[(&str, String)], args: &[&str]) -> (i32, String, String) {
    use std::os::unix::fs::MetadataExt;
    let euid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0);
    let wrapper: Vec<String> = if euid == 0 {
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
        .map(str::to_owned)
        .to_vec()
    } else {
        Vec::new()
    };
    run_to_exit_via(&wrapper, env, args)
}

fn run_to_exit_via(
    wrapper: &[String],
    env: &[(&str, String)],
    args: &[&str],
) -> (i32, String, String) {
    let mut started = Started::spawn_via(wrapper, None, env, args);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = started.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "switchboard did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    // Let the reader threads drain the pipes.
    std::thread::sleep(Duration::from_millis(100));
    let stdout = started.stdout.lock().expect("lock").join("\n");
    (status.code().unwrap_or(-1), stdout, started.stderr_text())
}

/// A running server with a fresh database and data directory, and an admin key.
#[derive(Debug)]
pub struct TestApp {
    pub url: String,
    /// Where the server's SIP listens (UDP and TCP).
    pub sip: std::net::SocketAddr,
    pub key_id: String,
    pub secret: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub data_dir: tempfile::TempDir,
    extra_env: Vec<(&'static str, String)>,
    process: Option<Started>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    /// Starts with extra environment variables (e.g. a small upload limit).
    pub async fn spawn_with(backend: Backend, extra_env: &[(&'static str, String)]) -> TestApp {
        let db = TestDb::create(backend).await;
        let data_dir = tempfile::tempdir().expect("temporary folder");
        let mut app = TestApp {
            url: String::new(),
            sip: "127.0.0.1:0".parse().expect("address"),
            key_id: "test-admin".to_owned(),
            secret: hex::encode(random::<16>()),
            client: crate::http_client(),
            db,
            data_dir,
            extra_env: extra_env.to_vec(),
            process: None,
        };
        app.start().await;
        app
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
            (
                "SWITCHBOARD_DATA_DIR",
                self.data_dir.path().display().to_string(),
            ),
            ("DATABASE_URL", self.db.url.clone()),
            (
                "SWITCHBOARD_ADMIN_KEY",
                format!("{}:{}", self.key_id, self.secret),
            ),
        ];
        env.extend(self.extra_env.iter().cloned());
        env
    }

    async fn start(&mut self) {
        let env = self.env();
        let (process, url) = tokio::task::spawn_blocking(move || {
            let mut p = Started::spawn(&env, &[]);
            let url = p.wait_ready();
            (p, url)
        })
        .await
        .expect("start task");
        self.url = url;
        self.sip = process.sip.expect("the server printed its SIP address");
        self.process = Some(process);
    }

    /// Another Switchboard process on the same database: a second node, with its own
    /// HTTP and SIP ports and data folder, and the same admin key; `env` replaces
    /// settings of the first (its RTP ports, say).
    pub async fn second_node(&self, env: &[(&'static str, String)]) -> TestApp {
        let mut extra_env: Vec<_> = self
            .extra_env
            .iter()
            .filter(|(k, _)| !env.iter().any(|(o, _)| o == k))
            .cloned()
            .collect();
        extra_env.extend(env.iter().cloned());
        let mut app = TestApp {
            url: String::new(),
            sip: "127.0.0.1:0".parse().expect("address"),
            key_id: self.key_id.clone(),
            secret: self.secret.clone(),
            client: crate::http_client(),
            db: self.db.shared(),
            data_dir: tempfile::tempdir().expect("temporary folder"),
            extra_env,
            process: None,
        };
        app.start().await;
        app
    }

    /// Stops the server (SIGKILL: no chance to tidy up) and starts it again on the same
    /// database and data directory.
    pub async fn restart(&mut self) {
        self.process = None;
        self.start().await;
    }

    /// Stops the server (SIGKILL) until [`TestApp::start_again`].
    pub fn kill(&mut self) {
        self.process = None;
    }

    /// Asks the server to stop cleanly (SIGTERM), without waiting.
    pub fn terminate(&self) {
        if let Some(p) = &self.process {
            let _ = Command::new("kill")
                .args(["-TERM", &p.child.id().to_string()])
                .status();
        }
    }

    /// Waits at most `timeout` for a stopping server to exit: its exit code (`None`:
    /// killed by a signal, or still running at the deadline, then killed).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let p = self.process.as_mut()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = p.child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = p.child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts a server stopped by [`TestApp::kill`] on the same database and data
    /// directory.
    pub async fn start_again(&mut self) {
        self.start().await;
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.as_ref().map_or(0, |p| p.child.id())
    }

    /// What the server wrote to stderr (its log) so far.
    pub fn log(&self) -> String {
        self.process
            .as_ref()
            .map(Started::stderr_text)
            .unwrap_or_default()
    }

    pub fn admin_basic(&self) -> (String, String) {
        (self.key_id.clone(), self.secret.clone())
    }

    /// A request to `path` with the admin key as HTTP Basic credentials.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.url))
            .basic_auth(&self.key_id, Some(&self.secret))
    }

    /// Sends a request and returns the status and the JSON body (Null when empty).
    /// Sends a request; returns the status and the raw body (audio downloads).
    pub async fn send_raw(&self, request: reqwest::RequestBuilder) -> (u16, Vec<u8>) {
        let response = request.send().await.expect("HTTP request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("HTTP body");
        (status, bytes.to_vec())
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
        let response = request.send().await.expect("HTTP request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("HTTP body");
        let body = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "non-JSON body ({status}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(self.req(reqwest::Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(self.req(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(self.req(reqwest::Method::PATCH, path).json(&body))
            .await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(self.req(reqwest::Method::PUT, path).json(&body))
            .await
    }

    /// The value of counter or gauge `name` in `/metrics` (panics when it is absent).
    pub async fn metric(&self, name: &str) -> u64 {
        let (_, body) = self
            .send_raw(self.req(reqwest::Method::GET, "/metrics"))
            .await;
        let text = String::from_utf8_lossy(&body);
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} "))?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in /metrics:\n{text}"))
    }
}

/// Asserts the error body shape and returns `(code, field)`.
pub fn error_of(body: &serde_json::Value) -> (String, Option<String>) {
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message in {body}"
    );
    assert!(error.get("field").is_some(), "no field key in {body}");
    (
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no code in {body}"))
            .to_owned(),
        error["field"].as_str().map(str::to_owned),
    )
}
