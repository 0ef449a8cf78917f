//! Real SIP softphones for the tests: baresip (driven over its ctrl_tcp socket) and
//! linphonec (driven over stdin), each in its own folder, with a WAV file as its
//! microphone and a recording of what it hears.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// SIP transport a phone uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipTransport {
    Udp,
    Tcp,
}

/// A port `p` such that UDP and TCP `p` and TCP `p + 1` are free (baresip also opens
/// TLS on the next port), reserved for this test process: test processes run side by
/// side and a port found free is only bound later (by SIPp, baresip…), so each pick is
/// claimed with a file named after it that holds the claiming process's id (a claim of
/// a process that is gone is taken over).
pub fn free_sip_port() -> u16 {
    static NEXT: Mutex<u16> = Mutex::new(0);
    let mut next = NEXT.lock().expect("lock");
    if *next == 0 {
        *next = 21000 + (std::process::id() % 200) as u16 * 20;
    }
    loop {
        let p = *next;
        *next = if p > 60000 { 21000 } else { p + 4 };
        let ok = UdpSocket::bind(("127.0.0.1", p)).is_ok()
            && TcpListener::bind(("127.0.0.1", p)).is_ok()
            && TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
            && UdpSocket::bind(("127.0.0.1", p + 1)).is_ok();
        if ok && claim(p) {
            return p;
        }
    }
}

/// Claims port `p` for this process (see [`free_sip_port`]).
fn claim(p: u16) -> bool {
    let dir = std::env::temp_dir().join("switchboard-test-ports");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(p.to_string());
    let me = std::process::id().to_string();
    let taken = |f: &Path| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(f)
            .and_then(|mut f| f.write_all(me.as_bytes()))
            .is_ok()
    };
    if taken(&file) {
        return true;
    }
    let owner = std::fs::read_to_string(&file).unwrap_or_default();
    if owner == me {
        return true;
    }
    let alive = !owner.is_empty() && Path::new("/proc").join(&owner).exists();
    if alive {
        return false;
    }
    // Its owner is gone: take it over (one process wins the new file).
    std::fs::remove_file(&file).is_ok() && taken(&file)
}

/// A baresip softphone.
#[derive(Debug)]
pub struct Baresip {
    child: Child,
    pub dir: tempfile::TempDir,
    pub sip_port: u16,
    /// The one control connection: ctrl_tcp serves a single client, so commands go out
    /// and events come back on it.
    control: Mutex<TcpStream>,
    responses: Mutex<std::sync::mpsc::Receiver<serde_json::Value>>,
    events: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Baresip {
    /// Starts baresip registered as `user` to `server`, sending `microphone` (an 8 kHz
    /// mono 16-bit WAV longer than the call), auto-answering calls.
    pub fn start(
        user: &str,
        password: &str,
        server: SocketAddr,
        transport: SipTransport,
        microphone: &Path,
    ) -> Baresip {
        Self::start_with_codecs(user, password, server, transport, microphone, "PCMU,PCMA")
    }

    /// Like [`Baresip::start`], offering only `codecs` (e.g. `PCMA`).
    pub fn start_with_codecs(
        user: &str,
        password: &str,
        server: SocketAddr,
        transport: SipTransport,
        microphone: &Path,
        codecs: &str,
    ) -> Baresip {
        Self::launch(user, password, server, transport, microphone, codecs, "")
    }

    /// Like [`Baresip::start`], subscribing to its mailbox's message waiting once
    /// registered (the `mwi` module): NOTIFYs show as `MWI_NOTIFY` events.
    pub fn start_with_mwi(
        user: &str,
        password: &str,
        server: SocketAddr,
        microphone: &Path,
    ) -> Baresip {
        Self::launch(
            user,
            password,
            server,
            SipTransport::Udp,
            microphone,
            "PCMU,PCMA",
            "module_app mwi.so\n",
        )
    }

    fn launch(
        user: &str,
        password: &str,
        server: SocketAddr,
        transport: SipTransport,
        microphone: &Path,
        codecs: &str,
        modules: &str,
    ) -> Baresip {
        let dir = tempfile::tempdir().expect("temporary folder");
        let sip_port = free_sip_port();
        let ctrl_port = free_sip_port();
        let rtp_base = free_sip_port();
        let rec = dir.path().join("rec");
        std::fs::create_dir_all(&rec).expect("rec folder");
        let config = format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{sip_port}\nnet_interface 127.0.0.1\n\
             audio_player alsa,null\naudio_alert alsa,null\naudio_source aufile,{mic}\n\
             audio_srate 8000\naudio_channels 1\nrtp_ports {rtp_base}-{rtp_end}\n\
             module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule alsa.so\nmodule aufile.so\n\
             module sndfile.so\nmodule_tmp account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\n\
             ctrl_tcp_listen 127.0.0.1:{ctrl_port}\nsnd_path {rec}\n{modules}",
            mic = microphone.display(),
            rtp_end = rtp_base + 3,
            rec = rec.display(),
        );
        std::fs::write(dir.path().join("config"), config).expect("config");
        let transport_param = match transport {
            SipTransport::Udp => "",
            SipTransport::Tcp => ";transport=tcp",
        };
        std::fs::write(
            dir.path().join("accounts"),
            format!("<sip:{user}@{server}{transport_param}>;auth_pass={password};regint=60;answermode=auto;audio_codecs={codecs}\n"),
        )
        .expect("accounts");
        let log = std::fs::File::create(dir.path().join("baresip.log")).expect("log");
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("baresip is installed (Debian package baresip-core)");
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", ctrl_port)) {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "baresip control socket did not open; log:\n{}",
                std::fs::read_to_string(dir.path().join("baresip.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let events = Arc::new(Mutex::new(Vec::new()));
        let (responses_tx, responses) = std::sync::mpsc::channel();
        let reader = stream.try_clone().expect("clone control stream");
        let collected = events.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            while let Some(message) = read_netstring(&mut reader) {
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&message) else {
                    continue;
                };
                if v["response"] == true {
                    let _ = responses_tx.send(v);
                } else {
                    collected.lock().expect("lock").push(v);
                }
            }
        });
        Baresip {
            child,
            dir,
            sip_port,
            control: Mutex::new(stream),
            responses: Mutex::new(responses),
            events,
        }
    }

    /// Sends a ctrl_tcp command (`dial`, `hangup`, …) and waits for its response.
    pub fn command(&self, command: &str, params: &str) {
        let body =
            serde_json::json!({"command": command, "params": params, "token": "t"}).to_string();
        self.control
            .lock()
            .expect("lock")
            .write_all(format!("{}:{},", body.len(), body).as_bytes())
            .expect("send command");
        let _ = self
            .responses
            .lock()
            .expect("lock")
            .recv_timeout(Duration::from_secs(5));
    }

    pub fn dial(&self, uri: &str) {
        self.command("dial", uri);
    }

    pub fn hangup(&self) {
        self.command("hangup", "");
    }

    /// Waits for an event of `kind` (CALL_ESTABLISHED, CALL_CLOSED, …).
    pub fn wait_event(&self, kind: &str, timeout: Duration) -> Option<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self
                .events
                .lock()
                .expect("lock")
                .iter()
                .find(|e| e["type"] == kind)
            {
                return Some(e.clone());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Forgets the events so far: [`Baresip::wait_event`] then waits for new ones (the
    /// next call's).
    pub fn forget_events(&self) {
        self.events.lock().expect("lock").clear();
    }

    pub fn events(&self) -> Vec<serde_json::Value> {
        self.events.lock().expect("lock").clone()
    }

    /// The newest recording of what the phone heard.
    pub fn received_audio(&self) -> Option<PathBuf> {
        newest(&self.dir.path().join("rec"), "-dec.wav")
    }

    /// Every file of received audio, oldest first (one per call: baresip 1.0 logs a
    /// change of the received stream's source, "SSRC changed", and keeps writing the
    /// same file).
    pub fn received_audio_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path().join("rec"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_netstring(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut len = Vec::new();
    reader.read_until(b':', &mut len).ok()?;
    len.pop();
    let n: usize = std::str::from_utf8(&len).ok()?.trim().parse().ok()?;
    let mut body = vec![0u8; n + 1];
    reader.read_exact(&mut body).ok()?;
    body.pop(); // the trailing comma
    Some(body)
}

fn newest(dir: &Path, suffix: &str) -> Option<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
        .map(|e| e.path())
        .collect();
    files.sort();
    files.pop()
}

/// A linphonec softphone, auto-answering, with WAV files for sound.
#[derive(Debug)]
pub struct Linphone {
    child: Child,
    stdin: ChildStdin,
    pub dir: tempfile::TempDir,
    pub sip_port: u16,
    output: Arc<Mutex<String>>,
}

impl Linphone {
    pub fn start(
        user: &str,
        password: &str,
        realm: &str,
        server: SocketAddr,
        transport: SipTransport,
        microphone: &Path,
    ) -> Linphone {
        let dir = tempfile::tempdir().expect("temporary folder");
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".local/share/linphone")).expect("home");
        let sip_port = free_sip_port();
        let rtp = free_sip_port();
        let (ports, proxy) = match transport {
            SipTransport::Udp => (
                format!("sip_port={sip_port}\nsip_tcp_port=-1"),
                format!("<sip:{server}>"),
            ),
            SipTransport::Tcp => (
                format!("sip_port=-1\nsip_tcp_port={sip_port}"),
                format!("<sip:{server};transport=tcp>"),
            ),
        };
        let config = format!(
            "[sip]\n{ports}\nbind_address=127.0.0.1\ndefault_proxy=0\n\n\
             [rtp]\naudio_rtp_port={rtp}-{rtp_end}\n\n[sound]\necho_cancellation=0\n\n\
             [proxy_0]\nreg_proxy={proxy}\nreg_route={proxy}\nreg_identity=sip:{user}@{host}\nreg_expires=120\nreg_sendregister=1\n\n\
             [auth_info_0]\nusername={user}\npasswd={password}\nrealm={realm}\n",
            rtp_end = rtp + 3,
            host = server.ip(),
        );
        let cfg = dir.path().join("linphonerc");
        std::fs::write(&cfg, config).expect("config");
        let mut child = Command::new("linphonec")
            .arg("-c")
            .arg(&cfg)
            .arg("-a")
            .args(["-d", "0"])
            .env("HOME", &home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("linphonec is installed (Debian package linphone-cli)");
        let stdin = child.stdin.take().expect("stdin");
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    output.lock().expect("lock").push_str(&line);
                    line.clear();
                }
            });
        }
        let mut phone = Linphone {
            child,
            stdin,
            dir,
            sip_port,
            output,
        };
        phone.command("soundcard use files");
        phone.command(&format!("play {}", microphone.display()));
        phone.command(&format!("record {}", phone.recording().display()));
        phone
    }

    pub fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("linphonec stdin");
        self.stdin.flush().expect("flush");
    }

    pub fn call(&mut self, uri: &str) {
        self.command(&format!("call {uri}"));
    }

    pub fn terminate(&mut self) {
        self.command("terminate");
    }

    /// Waits until linphonec printed something containing `text`.
    pub fn wait_output(&self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.output.lock().expect("lock").contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub fn output(&self) -> String {
        self.output.lock().expect("lock").clone()
    }

    /// Where linphonec records what it hears.
    pub fn recording(&self) -> PathBuf {
        self.dir.path().join("heard.wav")
    }
}

impl Drop for Linphone {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A SIPp run of one of the committed scenarios in `tests/sipp`.
#[derive(Debug)]
pub struct Sipp {
    child: Child,
    pub dir: tempfile::TempDir,
    pub scenario: String,
}

/// What a SIPp run left.
#[derive(Debug)]
pub struct SippResult {
    /// Every call of the scenario succeeded (exit status 0).
    pub success: bool,
    pub status: Option<i32>,
    /// The messages exchanged (`-trace_msg`).
    pub messages: String,
    /// Why calls failed (`-trace_err`).
    pub errors: String,
    pub output: String,
}

/// Whether something has bound `port` (UDP) or listens on it (TCP), read from
/// `/proc/net` rather than by binding it, which could take it from the program starting.
fn port_bound(port: u16, transport: SipTransport) -> bool {
    let (tables, listening) = match transport {
        SipTransport::Udp => (["/proc/net/udp", "/proc/net/udp6"], None),
        SipTransport::Tcp => (["/proc/net/tcp", "/proc/net/tcp6"], Some("0A")),
    };
    let wanted = format!(":{port:04X}");
    tables.iter().any(|table| {
        std::fs::read_to_string(table).is_ok_and(|text| {
            text.lines().skip(1).any(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                fields.get(1).is_some_and(|local| local.ends_with(&wanted))
                    && listening.is_none_or(|state| fields.get(3) == Some(&state))
            })
        })
    })
}

impl Sipp {
    /// Starts `scenario` against `server` from `local_port`, for one call.
    pub fn start(
        scenario: &str,
        server: SocketAddr,
        local_port: u16,
        transport: SipTransport,
        args: &[&str],
    ) -> Sipp {
        Self::start_at("127.0.0.1", scenario, server, local_port, transport, args)
    }

    /// [`Sipp::start`] from local address `ip` (another loopback address is another
    /// host: a provider whose address a trunk trusts).
    pub fn start_at(
        ip: &str,
        scenario: &str,
        server: SocketAddr,
        local_port: u16,
        transport: SipTransport,
        args: &[&str],
    ) -> Sipp {
        let dir = tempfile::tempdir().expect("temporary folder");
        // Scenarios that play audio name `pcap/…`: the captures sip-tester ships.
        let _ = std::os::unix::fs::symlink("/usr/share/sip-tester", dir.path().join("pcap"));
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sipp")
            .join(scenario);
        let media_port = free_sip_port();
        let t = match transport {
            SipTransport::Udp => "u1",
            SipTransport::Tcp => "t1",
        };
        let log = std::fs::File::create(dir.path().join("output.txt")).expect("log");
        let child = Command::new("sipp")
            .arg("-sf")
            .arg(&file)
            .arg(server.to_string())
            .args([
                "-i",
                ip,
                "-p",
                &local_port.to_string(),
                "-mp",
                &media_port.to_string(),
            ])
            .args([
                "-t",
                t,
                "-m",
                "1",
                "-nostdin",
                "-trace_msg",
                "-trace_err",
                "-timeout",
                "60s",
            ])
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("sipp is installed (Debian package sip-tester)");
        let mut sipp = Sipp {
            child,
            dir,
            scenario: scenario.to_owned(),
        };
        // A phone that is not listening yet misses the call placed to it at once: on a
        // loaded machine SIPp can take seconds to bind. Wait until it has (or has exited).
        let deadline = Instant::now() + Duration::from_secs(10);
        while !port_bound(local_port, transport)
            && matches!(sipp.child.try_wait(), Ok(None))
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        sipp
    }

    /// A SIPp caller over UDP: extension `user` (digest `password`) calls `number` with
    /// `scenario` (plus `extra` arguments, e.g. `-d` for how long to talk); waits for the
    /// run to end (at most 30 s).
    pub fn call(
        server: SocketAddr,
        scenario: &str,
        (user, password): (&str, &str),
        number: &str,
        extra: &[&str],
    ) -> SippResult {
        Self::start_call(server, scenario, (user, password), number, extra)
            .wait(Duration::from_secs(30))
    }

    /// [`Sipp::call`] without waiting: the caller runs while the test goes on.
    pub fn start_call(
        server: SocketAddr,
        scenario: &str,
        (user, password): (&str, &str),
        number: &str,
        extra: &[&str],
    ) -> Sipp {
        let mut args = vec![
            "-s", number, "-au", user, "-ap", password, "-key", "caller", user,
        ];
        args.extend_from_slice(extra);
        Sipp::start(scenario, server, free_sip_port(), SipTransport::Udp, &args)
    }

    /// Waits for the run to end (at most `timeout`, then it is killed and fails).
    pub fn wait(mut self, timeout: Duration) -> SippResult {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let read_matching = |suffix: &str| {
            std::fs::read_dir(self.dir.path())
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
                        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                        .collect::<String>()
                })
                .unwrap_or_default()
        };
        SippResult {
            success: status == Some(0),
            status,
            messages: read_matching("_messages.log"),
            errors: read_matching("_errors.log"),
            output: std::fs::read_to_string(self.dir.path().join("output.txt")).unwrap_or_default(),
        }
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SippResult {
    /// When each request with `method` arrived (seconds, from the `-trace_msg` log's
    /// timestamps), in order.
    pub fn received(&self, method: &str) -> Vec<f64> {
        let mut out = Vec::new();
        let mut stamp = None;
        let mut lines = self.messages.lines();
        while let Some(line) = lines.next() {
            if let Some(rest) =
                line.strip_prefix("----------------------------------------------- ")
            {
                stamp = parse_stamp(rest);
            } else if line.contains("message received") {
                // A blank line, then the request line.
                let first = lines.by_ref().find(|l| !l.trim().is_empty());
                if let (Some(t), Some(first)) = (stamp, first)
                    && first.starts_with(&format!("{method} "))
                {
                    out.push(t);
                }
            }
        }
        out
    }

    /// Panics with the run's traces unless it succeeded.
    pub fn assert_ok(&self, what: &str) {
        assert!(
            self.success,
            "{what}: SIPp failed ({:?})\nerrors:\n{}\nmessages:\n{}",
            self.status, self.errors, self.messages
        );
    }
}

/// `2026-11-30 15:08:50.459934` as seconds (days counted roughly: differences within a
/// test are exact).
fn parse_stamp(text: &str) -> Option<f64> {
    let (date, time) = text.trim().split_once(' ')?;
    let mut d = date.split('-').map(|p| p.parse::<f64>().ok());
    let day = d.next()?? * 372.0 + d.next()?? * 31.0 + d.next()??;
    let mut t = time.split(':').map(|p| p.parse::<f64>().ok());
    let seconds = t.next()?? * 3600.0 + t.next()?? * 60.0 + t.next()??;
    Some(day * 86_400.0 + seconds)
}
