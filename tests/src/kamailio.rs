//! Kamailio (Debian package `kamailio`) as the SIP proxy in front of Switchboard, as
//! many deployments run it: phones send everything to the proxy; it adds itself to
//! REGISTERs' `Path` (`add_path_received()`), record-routes calls, and relays both ways.
//! It listens on its own loopback address, so every phone behind it reaches Switchboard
//! from the proxy's address — the case that tells a registrar keyed on source addresses
//! from one keyed on bindings.

use crate::peers::free_sip_port;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Kamailio relaying to one Switchboard.
#[derive(Debug)]
pub struct Kamailio {
    child: Child,
    dir: tempfile::TempDir,
    /// Where phones send their requests.
    pub addr: SocketAddr,
}

const MODULES: &str = "/usr/lib/x86_64-linux-gnu/kamailio/modules";

impl Kamailio {
    /// Starts a proxy on `ip` (a free port, UDP and TCP) in front of `switchboard`, to
    /// which it relays over UDP.
    pub fn start(ip: &str, switchboard: SocketAddr) -> Kamailio {
        let dir = tempfile::tempdir().expect("temporary folder");
        let addr: SocketAddr = format!("{ip}:{}", free_sip_port())
            .parse()
            .expect("address");
        let config = dir.path().join("kamailio.cfg");
        std::fs::write(&config, config_text(addr, switchboard)).expect("config");
        let log = std::fs::File::create(dir.path().join("kamailio.log")).expect("log");
        let child = Command::new("kamailio")
            .process_group(0)
            .arg("-f")
            .arg(&config)
            .args(["-DD", "-E", "-n", "2", "-L", MODULES])
            .arg("-Y")
            .arg(dir.path())
            .arg("-P")
            .arg(dir.path().join("kamailio.pid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("kamailio is installed (Debian package kamailio)");
        let mut proxy = Kamailio { child, dir, addr };
        proxy.wait_listening();
        proxy
    }

    /// What Kamailio logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kamailio.log")).unwrap_or_default()
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log().contains("INFO: <core>") || !listening(self.addr) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("kamailio exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "kamailio did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Is something bound to UDP `addr` (read from /proc, without binding it)?
fn listening(addr: SocketAddr) -> bool {
    let wanted = format!(":{:04X}", addr.port());
    std::fs::read_to_string("/proc/net/udp").is_ok_and(|t| {
        t.lines().skip(1).any(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|a| a.ends_with(&wanted))
        })
    })
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        // Kamailio forks its workers (UDP and TCP receivers, timers); killing the main
        // process alone left them listening on the proxy's address, where a later
        // test's proxy took their port. The whole process group goes.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The proxy's routing: REGISTERs and new requests from phones go to Switchboard (with
/// Path, record-routed); new requests from Switchboard follow their Route (the Path) to
/// the phone named in the Request-URI; in-dialog requests follow their route set.
fn config_text(addr: SocketAddr, switchboard: SocketAddr) -> String {
    let template = include_str!("kamailio.cfg");
    template
        .replace("PROXY_ADDR", &addr.to_string())
        .replace("SWITCHBOARD_IP", &switchboard.ip().to_string())
        .replace("SWITCHBOARD_PORT", &switchboard.port().to_string())
}
