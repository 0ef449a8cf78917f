//! first-audio: how soon a caller hears an application's audio.
//!
//! Calls NUMBER as an extension (digest authentication by rsipstack) CALLS times, one
//! after the other, and measures for each the time from sending the first INVITE to the
//! first RTP packet of the played audio arriving on its media socket (silence frames do
//! not count): digest challenge, webhook request and answer, 200 OK, the first 20 ms
//! frame of the recording. Hangs up each call as
//! soon as that packet arrived.
//!
//! With LISTEN_SECONDS, the last call is kept that long and the pacing of the played
//! audio is measured: each packet's lateness against a 20 ms grid started by the first
//! (p99 of lateness minus the earliest), and RFC 3550's interarrival jitter.
//!
//! usage: first-audio SIP_ADDR CALLER PASSWORD NUMBER CALLS [LISTEN_SECONDS]
//! prints one JSON object (milliseconds).

#![allow(clippy::print_stdout)] // A command-line tool: its result goes to stdout.

use rsipstack::EndpointBuilder;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::Uri;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, TransportLayer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn sdp(port: u16) -> Vec<u8> {
    format!(
        "v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=probe\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    )
    .into_bytes()
}

/// Receives the played stream for `seconds`: lateness of each packet against a 20 ms
/// grid from the first one, and RFC 3550 interarrival jitter (by RTP timestamp).
async fn measure_pacing(socket: &UdpSocket, seconds: u64) -> serde_json::Value {
    let mut buf = [0u8; 1500];
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut first: Option<(Instant, u32)> = None;
    let mut lateness = Vec::new();
    let mut jitter = 0.0f64;
    let mut last_transit: Option<f64> = None;
    while let Ok(Ok((n, _))) =
        tokio::time::timeout_at(until.into(), socket.recv_from(&mut buf)).await
    {
        if n < 12 {
            continue;
        }
        let now = Instant::now();
        let ts = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let (t0, ts0) = *first.get_or_insert((now, ts));
        // Where this packet belongs on the sender's clock (8 kHz timestamps).
        let due_ms = f64::from(ts.wrapping_sub(ts0)) / 8.0;
        let arrived_ms = now.duration_since(t0).as_secs_f64() * 1000.0;
        let transit = arrived_ms - due_ms;
        lateness.push(transit);
        if let Some(last) = last_transit {
            jitter += ((transit - last).abs() - jitter) / 16.0;
        }
        last_transit = Some(transit);
    }
    if lateness.is_empty() {
        return serde_json::Value::Null;
    }
    let min = lateness.iter().copied().fold(f64::INFINITY, f64::min);
    let mut added: Vec<f64> = lateness.iter().map(|t| t - min).collect();
    added.sort_by(f64::total_cmp);
    let at = |q: f64| added[((added.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    serde_json::json!({
        "packets": added.len(),
        "added_jitter_ms": {"p50": at(0.5), "p99": at(0.99), "max": at(1.0)},
        "rfc3550_jitter_ms": jitter,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    if !(6..=7).contains(&args.len()) {
        eprintln!("usage: first-audio SIP_ADDR CALLER PASSWORD NUMBER CALLS [LISTEN_SECONDS]");
        std::process::exit(2);
    }
    let listen: u64 = args.get(6).map_or(Ok(0), |a| a.parse())?;
    let mut pacing = serde_json::Value::Null;
    let server: SocketAddr = args[1].parse()?;
    let (caller, password, number) = (&args[2], &args[3], &args[4]);
    let calls: usize = args[5].parse()?;
    let token = CancellationToken::new();
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
    let dialogs = Arc::new(DialogLayer::new(ep.inner.clone()));
    let mut samples = Vec::with_capacity(calls);
    let mut failures = 0;
    for call_index in 0..calls {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let (states, mut states_rx) = dialogs.new_dialog_state_channel();
        tokio::spawn(async move { while states_rx.recv().await.is_some() {} });
        let option = InviteOption {
            caller: Uri::try_from(format!("sip:{caller}@{}", server.ip()).as_str())?,
            callee: Uri::try_from(format!("sip:{number}@{server}").as_str())?,
            destination: Some(SipAddr::from(server)),
            contact: dialogs.build_local_contact(Some(caller.clone()), None)?,
            credential: Some(Credential {
                username: caller.clone(),
                password: password.clone(),
                realm: None,
                auth_username: None,
            }),
            offer: Some(sdp(socket.local_addr()?.port())),
            ..InviteOption::default()
        };
        let start = Instant::now();
        let mut buf = [0u8; 1500];
        // The first packet carrying sound: µ-law silence (0xFF) before the audio starts
        // does not count.
        let first_packet = async {
            loop {
                let (n, _) = socket.recv_from(&mut buf).await?;
                if n > 12 && buf[12..n].iter().any(|b| *b != 0xff && *b != 0x7f) {
                    return Ok::<_, std::io::Error>(start.elapsed());
                }
            }
        };
        let invite = dialogs.do_invite(option, states);
        tokio::pin!(first_packet);
        tokio::pin!(invite);
        // The first packet may arrive before do_invite returns (it returns after ACK).
        let mut dialog = None;
        let mut elapsed = None;
        let deadline = tokio::time::sleep(Duration::from_secs(10));
        tokio::pin!(deadline);
        while elapsed.is_none() || dialog.is_none() {
            tokio::select! {
                r = &mut invite, if dialog.is_none() => match r {
                    Ok((d, Some(resp))) if resp.status_code.code() == 200 => dialog = Some(d),
                    _ => break,
                },
                r = &mut first_packet, if elapsed.is_none() => elapsed = r.ok(),
                () = &mut deadline => break,
            }
        }
        match (dialog, elapsed) {
            (Some(d), Some(t)) => {
                samples.push(t.as_secs_f64() * 1000.0);
                if listen > 0 && call_index + 1 == calls {
                    pacing = measure_pacing(&socket, listen).await;
                }
                let _ = d.bye().await;
            }
            (d, _) => {
                failures += 1;
                if let Some(d) = d {
                    let _ = d.bye().await;
                }
            }
        }
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "{}",
        serde_json::json!({
            "calls": calls, "measured": samples.len(), "failed": failures,
            "invite_to_first_rtp_ms": {"min": at(0.0), "p50": at(0.5), "p99": at(0.99), "max": at(1.0)},
            "pacing": pacing
        })
    );
    token.cancel();
    Ok(())
}
