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
