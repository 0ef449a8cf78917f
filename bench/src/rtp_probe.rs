//! rtp-probe: one measured call through a running Switchboard.
//!
//! Registers a callee extension, calls it from a caller extension (digest
//! authentication handled by rsipstack), then streams RTP both ways at 50 packets/s
//! with a send timestamp in each payload. Both ends live in this process, on one clock,
//! so the time each packet spends getting through Switchboard's relay is measured
//! directly: loss, transit time and its variation (the jitter the relay adds).
//!
//! usage: rtp-probe SIP_ADDR CALLER CALLER_PASSWORD CALLEE CALLEE_PASSWORD SECONDS
//! prints one JSON object.

#![allow(clippy::print_stdout)] // A command-line tool: its result goes to stdout.

use engine::sdp::AudioDescription;
use rsipstack::EndpointBuilder;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::DialogState;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::registration::Registration;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::{Header, Method, Uri};
use rsipstack::transaction::Endpoint;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, TransportLayer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn endpoint(token: &CancellationToken) -> Result<Endpoint, Error> {
    let transport = TransportLayer::new(token.child_token());
    let udp =
        UdpConnection::create_connection("127.0.0.1:0".parse()?, None, Some(token.child_token()))
            .await?;
    transport.add_transport(udp.into());
    let ep = EndpointBuilder::new()
        .with_transport_layer(transport)
        .with_cancel_token(token.child_token())
        .build();
    let serving = ep.inner.clone();
    tokio::spawn(async move { serving.serve().await });
    Ok(ep)
}

fn sdp(port: u16) -> Vec<u8> {
    format!(
        "v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=probe\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    )
    .into_bytes()
}

fn relay_address(body: &[u8]) -> Result<SocketAddr, Error> {
    let d = AudioDescription::parse(std::str::from_utf8(body)?)?;
    Ok(SocketAddr::new(d.address, d.port))
}

/// Transit times (µs) of the packets one direction received, and how many were sent.
#[derive(Default)]
struct Direction {
    /// (arrival µs since start, transit µs) of every packet, for PROBE_SERIES.
    series: Vec<(u64, u64)>,
    sent: u64,
    transit_us: Vec<u64>,
    jitter: f64,
    last_transit: Option<f64>,
}

impl Direction {
    fn received(&mut self, transit_us: u64) {
        // RFC 3550 §6.4.1 interarrival jitter, in µs.
        let t = transit_us as f64;
        if let Some(last) = self.last_transit {
            self.jitter += ((t - last).abs() - self.jitter) / 16.0;
        }
        self.last_transit = Some(t);
        self.transit_us.push(transit_us);
    }

    fn report(&mut self) -> serde_json::Value {
        self.transit_us.sort_unstable();
        let n = self.transit_us.len();
        let at = |q: f64| {
            self.transit_us
                .get(((n as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        let min = at(0.0);
        let ms = |us: u64| us as f64 / 1000.0;
        serde_json::json!({
            "sent": self.sent,
            "received": n,
            "loss_percent": if self.sent == 0 { 0.0 } else { 100.0 * (self.sent.saturating_sub(n as u64)) as f64 / self.sent as f64 },
            "transit_ms": {"min": ms(min), "p50": ms(at(0.5)), "p99": ms(at(0.99)), "max": ms(at(1.0))},
            "added_jitter_ms": {"p50": ms(at(0.5) - min), "p99": ms(at(0.99) - min), "max": ms(at(1.0) - min)},
            "rfc3550_jitter_ms": self.jitter / 1000.0,
        })
    }
}

fn packet(seq: u16, start: Instant) -> Vec<u8> {
    let mut payload = [0xffu8; 160];
    let now = start.elapsed().as_micros() as u64;
    payload[..8].copy_from_slice(&now.to_be_bytes());
    rtp_rs::RtpPacketBuilder::new()
        .payload_type(0)
        .ssrc(0x5eed)
        .sequence(rtp_rs::Seq::from(seq))
        .timestamp(u32::from(seq) * 160)
        .payload(&payload)
        .build()
        .expect("RTP packet")
}

/// Receives on `socket` until `until`, recording transit times.
async fn receive(socket: Arc<UdpSocket>, start: Instant, until: Instant) -> Direction {
    let mut d = Direction::default();
    let mut buf = [0u8; 1500];
    while let Ok(Ok(n)) = tokio::time::timeout_at(until.into(), socket.recv(&mut buf)).await {
        let now = start.elapsed().as_micros() as u64;
        if let Ok(r) = rtp_rs::RtpReader::new(&buf[..n]) {
            let p = r.payload();
            if p.len() >= 8 {
                let sent = u64::from_be_bytes(p[..8].try_into().unwrap_or([0; 8]));
                d.received(now.saturating_sub(sent));
                d.series.push((now, now.saturating_sub(sent)));
            }
        }
    }
    d
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 7 {
        eprintln!(
            "usage: rtp-probe SIP_ADDR CALLER CALLER_PASSWORD CALLEE CALLEE_PASSWORD SECONDS"
        );
        std::process::exit(2);
    }
    let server: SocketAddr = args[1].parse()?;
    let (caller, caller_pw, callee, callee_pw) = (&args[2], &args[3], &args[4], &args[5]);
    let seconds: u64 = args[6].parse()?;
    let token = CancellationToken::new();
    let server_uri = Uri::try_from(format!("sip:{server}").as_str())?;

    // The callee registers and answers.
    let callee_ep = endpoint(&token).await?;
    let mut incoming = callee_ep.incoming_transactions()?;
    let callee_dialogs = Arc::new(DialogLayer::new(callee_ep.inner.clone()));
    let credential = |user: &str, pw: &str| Credential {
        username: user.to_owned(),
        password: pw.to_owned(),
        realm: None,
        auth_username: None,
    };
    let mut registration =
        Registration::new(callee_ep.inner.clone(), Some(credential(callee, callee_pw)));
    let response = registration.register(server_uri.clone(), Some(300)).await?;
    if response.status_code.code() != 200 {
        return Err(format!("callee registration failed: {}", response.status_code).into());
    }

    let socket_a = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
    let socket_b = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
    let port_b = socket_b.local_addr()?.port();
    let (relay_b_tx, relay_b_rx) = tokio::sync::oneshot::channel();
    let answering = callee_dialogs.clone();
    tokio::spawn(async move {
        let mut relay_b_tx = Some(relay_b_tx);
        let (states, mut states_rx) = answering.new_dialog_state_channel();
        tokio::spawn(async move { while states_rx.recv().await.is_some() {} });
        while let Some(mut tx) = incoming.recv().await {
            if tx.original.method == Method::Invite && relay_b_tx.is_some() {
                if let (Ok(addr), Some(sender)) =
                    (relay_address(&tx.original.body), relay_b_tx.take())
                {
                    let _ = sender.send(addr);
                }
                if let Ok(mut dialog) =
                    answering.get_or_create_server_invite(&tx, states.clone(), None, None)
                {
                    let _ = dialog.accept(
                        Some(vec![Header::ContentType("application/sdp".into())]),
                        Some(sdp(port_b)),
                    );
                    tokio::spawn(async move {
                        let _ = dialog.handle(&mut tx).await;
                    });
                }
            } else if let Some(mut d) = answering.match_dialog(&tx) {
                tokio::spawn(async move {
                    let _ = d.handle(&mut tx).await;
                });
            }
        }
    });

    // The caller calls.
    let caller_ep = endpoint(&token).await?;
    let caller_dialogs = Arc::new(DialogLayer::new(caller_ep.inner.clone()));
    let (states, mut states_rx) = caller_dialogs.new_dialog_state_channel();
    tokio::spawn(async move {
        while let Some(s) = states_rx.recv().await {
            if matches!(s, DialogState::Terminated(..)) {
                break;
            }
        }
    });
    let contact = caller_dialogs.build_local_contact(Some(caller.clone()), None)?;
    let option = InviteOption {
        caller: Uri::try_from(format!("sip:{caller}@{}", server.ip()).as_str())?,
        callee: Uri::try_from(format!("sip:{callee}@{server}").as_str())?,
        destination: Some(SipAddr::from(server)),
        contact,
        credential: Some(credential(caller, caller_pw)),
        offer: Some(sdp(socket_a.local_addr()?.port())),
        ..InviteOption::default()
    };
    let (dialog, response) = caller_dialogs.do_invite(option, states).await?;
    let response = response.ok_or("no answer to the INVITE")?;
    if response.status_code.code() != 200 {
        return Err(format!("the call failed: {}", response.status_code).into());
    }
    let relay_a = relay_address(&response.body)?;
    let relay_b = tokio::time::timeout(Duration::from_secs(5), relay_b_rx).await??;

    // Media, both ways, 50 packets/s, for `seconds`.
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds) + Duration::from_millis(500);
    let a_to_b = tokio::spawn(receive(socket_b.clone(), start, until));
    let b_to_a = tokio::spawn(receive(socket_a.clone(), start, until));
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let packets = seconds * 50;
    for i in 0..packets {
        tick.tick().await;
        let seq = i as u16;
        socket_a.send_to(&packet(seq, start), relay_a).await?;
        socket_b.send_to(&packet(seq, start), relay_b).await?;
    }
    let (mut ab, mut ba) = (a_to_b.await?, b_to_a.await?);
    if let Ok(prefix) = std::env::var("PROBE_SERIES") {
        for (name, d) in [("a_to_b", &ab), ("b_to_a", &ba)] {
            let text: String = d
                .series
                .iter()
                .map(|(at, t)| format!("{at} {t}\n"))
                .collect();
            std::fs::write(format!("{prefix}.{name}"), text)?;
        }
    }
    ab.sent = packets;
    ba.sent = packets;
    let _ = dialog.bye().await;
    println!(
        "{}",
        serde_json::json!({"caller_to_callee": ab.report(), "callee_to_caller": ba.report()})
    );
    token.cancel();
    Ok(())
}
