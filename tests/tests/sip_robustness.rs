//! What a SIP server meets on the Internet: OPTIONS pings, methods it does not serve,
//! garbage, truncated and oversized messages, on UDP and TCP. Switchboard answers what
//! it can, drops what it cannot parse, and keeps serving.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;
use switchboard_tests::{Backend, TestApp};

fn request(
    method: &str,
    server: SocketAddr,
    local: SocketAddr,
    transport: &str,
    branch: &str,
) -> String {
    format!(
        "{method} sip:{server} SIP/2.0\r\nVia: SIP/2.0/{transport} {local};branch=z9hG4bK-{branch}\r\n\
         From: <sip:probe@{ip}>;tag=probe{branch}\r\nTo: <sip:{server}>\r\nCall-ID: {branch}@probe\r\n\
         CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        ip = local.ip()
    )
}

fn udp_exchange(socket: &UdpSocket, server: SocketAddr, message: &[u8]) -> Option<String> {
    socket.send_to(message, server).unwrap();
    let mut buf = [0u8; 8192];
    match socket.recv_from(&mut buf) {
        Ok((n, _)) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Err(_) => None,
    }
}

fn options_answered(server: SocketAddr, branch: &str) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    udp_exchange(
        &socket,
        server,
        request("OPTIONS", server, local, "UDP", branch).as_bytes(),
    )
    .expect("OPTIONS is answered")
}

#[tokio::test]
async fn options_and_unsupported_methods() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let answer = options_answered(app.sip, "opt1");
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    assert!(answer.contains("Allow: INVITE"), "{answer}");

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    // SUBSCRIBE is for message waiting: without an Event header, 489 and the package.
    let answer = udp_exchange(
        &socket,
        app.sip,
        request("SUBSCRIBE", app.sip, local, "UDP", "SUBSCRIBE").as_bytes(),
    )
    .unwrap();
    assert!(answer.starts_with("SIP/2.0 489"), "SUBSCRIBE: {answer}");
    assert!(
        answer.contains("Allow-Events: message-summary"),
        "SUBSCRIBE: {answer}"
    );
    for method in ["PUBLISH", "MESSAGE", "NOTIFY", "REFER"] {
        let answer = udp_exchange(
            &socket,
            app.sip,
            request(method, app.sip, local, "UDP", method).as_bytes(),
        )
        .unwrap();
        assert!(answer.starts_with("SIP/2.0 405"), "{method}: {answer}");
        assert!(answer.contains("Allow:"), "{method}: {answer}");
    }
    // A BYE for no call is 481.
    let bye = request("BYE", app.sip, local, "UDP", "stray-bye").replace(
        &format!("To: <sip:{}>", app.sip),
        &format!("To: <sip:{}>;tag=nosuch", app.sip),
    );
    let answer = udp_exchange(&socket, app.sip, bye.as_bytes()).unwrap();
    assert!(answer.starts_with("SIP/2.0 481"), "{answer}");
}

#[tokio::test]
async fn malformed_datagrams_are_dropped_and_the_server_keeps_serving() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    let full = request("OPTIONS", app.sip, local, "UDP", "trunc");
    let garbage: Vec<Vec<u8>> = vec![
        b"this is not SIP at all\r\n\r\n".to_vec(),
        vec![0xff; 1400],
        full.as_bytes()[..full.len() / 2].to_vec(), // truncated
        full.replace("Via: ", "Xia: ").into_bytes(), // no Via
        full.replace("CSeq: 1 OPTIONS", "CSeq: banana").into_bytes(),
        full.replace("SIP/2.0\r\n", "SIP/9.9\r\n").into_bytes(),
        full.replace("OPTIONS sip", "FROBNICATE sip")
            .replace("1 OPTIONS", "1 FROBNICATE")
            .into_bytes(),
        format!(
            "{}X-Big: {}\r\n\r\n",
            &full[..full.len() - 2],
            "a".repeat(9000)
        )
        .into_bytes(),
        b"\r\n\r\n".to_vec(),
        Vec::new(),
    ];
    for message in &garbage {
        if let Some(answer) = udp_exchange(&socket, app.sip, message) {
            if message.as_slice() == b"\r\n\r\n" {
                // A keepalive ping (RFC 5626) gets its pong.
                assert_eq!(answer, "\r\n");
                continue;
            }
            // Anything answered must be a well-formed error, never a success.
            assert!(
                answer.starts_with("SIP/2.0 4") || answer.starts_with("SIP/2.0 5"),
                "{answer:?}"
            );
        }
    }
    let answer = options_answered(app.sip, "after-garbage");
    assert!(answer.starts_with("SIP/2.0 200"), "still serving: {answer}");
    // The HTTP side never noticed.
    assert_eq!(app.get("/v1/extensions").await.0, 200);
}

#[tokio::test]
async fn malformed_tcp_streams_are_closed_and_the_server_keeps_serving() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for junk in [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n".to_vec(),
        vec![b'A'; 70_000],
    ] {
        let mut stream = TcpStream::connect(app.sip).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let _ = stream.write_all(&junk);
        let mut buf = [0u8; 1024];
        // Either closed or silent; never a crash.
        let _ = stream.read(&mut buf);
    }
    // A well-formed request over a fresh TCP connection is still answered.
    let mut stream = TcpStream::connect(app.sip).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let local = stream.local_addr().unwrap();
    stream
        .write_all(request("OPTIONS", app.sip, local, "TCP", "tcp-ok").as_bytes())
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    let answer = options_answered(app.sip, "udp-after-tcp-junk");
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
}

/// Set against a burst (RELIABILITY.md, mutated messages): the SIP UDP socket's receive
/// buffer holds a burst of large datagrams (Linux's default held three, and a phone's
/// answers were dropped with them), and no transparent huge pages back the heap (2 MiB
/// pages pinned by a few live blocks kept tens of megabytes after a flood).
#[tokio::test]
async fn the_sip_socket_buffers_a_burst_and_the_heap_has_no_huge_pages() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // `ss -m` shows the buffer the kernel granted as skmem's `rb`: twice what was asked
    // for (the other half is its bookkeeping), at most `net.core.rmem_max` unless the
    // process may force more (root, CAP_NET_ADMIN).
    let port = format!(":{}", app.sip.port());
    let out = std::process::Command::new("ss")
        .args(["-uamnH", "sport", "=", &port])
        .output()
        .expect("ss runs (Debian package iproute2)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let granted: usize = text
        .split(",rb")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no receive buffer in ss's answer: {text:?}"));
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let root = status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    let rmem_max: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let wanted = if root { 8 << 20 } else { rmem_max.min(8 << 20) };
    assert!(
        granted >= 2 * wanted,
        "the SIP socket's receive buffer: {granted} bytes, wanted {wanted} (root {root})"
    );

    let server = std::fs::read_to_string(format!("/proc/{}/status", app.pid())).unwrap();
    let thp = server
        .lines()
        .find_map(|l| l.strip_prefix("THP_enabled:"))
        .expect("the kernel reports THP_enabled (Linux 5.0 and later)");
    assert_eq!(
        thp.trim(),
        "0",
        "transparent huge pages are off for the server"
    );
}
