//! `switchboard simulate`: a call into an application URL without SIP, RTP or phones
//! (the engine's [`engine::simulate`]), printed step by step: each signed request and
//! the document it got, what the caller hears, the keys it presses, how each `dial`
//! ends, and the call's final status. `--json` prints one JSON object per line.

use engine::simulate::{DialOutcome, Keys, Simulation, Step};
use engine::store::{AppWebhooks, WebhookPolicy};
use std::collections::VecDeque;
use std::io::{BufRead as _, IsTerminal as _, Write as _};

/// Arguments of `switchboard simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The application's voice URL: it gets the call's first request.
    pub url: String,
    /// The caller's number.
    #[arg(long, default_value = "+15550100")]
    pub from: String,
    /// The number called.
    #[arg(long, default_value = "5000")]
    pub to: String,
    /// The application's signing secret (`POST /v1/applications` shows it), so the app
    /// can verify the requests as it does for real calls.
    #[arg(
        long,
        env = "SWITCHBOARD_SIMULATE_SECRET",
        default_value = "whsec_simulator"
    )]
    pub secret: String,
    /// How the voice URL is requested: POST or GET.
    #[arg(long, default_value = "POST")]
    pub method: String,
    /// Keys pressed at each `gather`, comma-separated (`1,42#`). Without it, keys are
    /// asked at the terminal (or none, when input is not a terminal).
    #[arg(long)]
    pub keys: Option<String>,
    /// How every `dial` ends: answered, busy, no-answer or failed.
    #[arg(long, default_value = "answered")]
    pub dial: String,
    /// The caller hangs up after this many (simulated) seconds.
    #[arg(long, default_value_t = 600)]
    pub max_seconds: u64,
    /// One JSON object per step, for scripts and CI.
    #[arg(long)]
    pub json: bool,
}

/// Runs the simulation; Ok(false) when the call failed (its application did not answer
/// usably).
pub fn run(args: &SimulateArgs) -> anyhow::Result<bool> {
    let voice_url = url::Url::parse(&args.url)
        .map_err(|e| anyhow::anyhow!("{} is not a URL: {e}", args.url))?;
    let method = match args.method.to_ascii_uppercase().as_str() {
        "POST" => contract::models::applications::WebhookMethod::Post,
        "GET" => contract::models::applications::WebhookMethod::Get,
        other => anyhow::bail!("--method {other}: use POST or GET"),
    };
    let dial = DialOutcome::parse(&args.dial).ok_or_else(|| {
        anyhow::anyhow!(
            "--dial {}: use answered, busy, no-answer or failed",
            args.dial
        )
    })?;
    let keys = match &args.keys {
        Some(list) => Keys::Given(list.split(',').map(|k| k.trim().to_owned()).collect()),
        None if std::io::stdin().is_terminal() && !args.json => Keys::Ask(Box::new(ask_keys)),
        None => Keys::Given(VecDeque::new()),
    };
    let simulation = Simulation {
        app: AppWebhooks {
            application_id: "simulator".to_owned(),
            voice_url,
            method,
            fallback_url: None,
            status_callback: None,
            secret: args.secret.clone(),
            policy: WebhookPolicy::default(),
        },
        from: args.from.clone(),
        to: args.to.clone(),
        keys,
        dial,
        max_duration: std::time::Duration::from_secs(args.max_seconds),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let json = args.json;
    let status = runtime.block_on(engine::simulate::run(simulation, |step| {
        let mut out = std::io::stdout().lock();
        let line = if json {
            serde_json::to_string(step).unwrap_or_default()
        } else {
            describe(step)
        };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }));
    Ok(status != contract::models::calls::CallStatus::Failed)
}

/// Asks for the keys of a `gather` at the terminal.
fn ask_keys() -> Option<String> {
    eprint!("keys (Enter for none)> ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    let keys = line.trim().to_owned();
    (!keys.is_empty()).then_some(keys)
}

/// A step as a line for people.
fn describe(step: &Step) -> String {
    let compact = |v: &serde_json::Value| serde_json::to_string(v).unwrap_or_default();
    match step {
        Step::Request { at, url, body } => format!(
            "{at:7.2}s  -> {url}  (digits: {}, dial_call_status: {})",
            body["digits"].as_str().unwrap_or("-"),
            body["dial_call_status"].as_str().unwrap_or("-")
        ),
        Step::Document { at, url, verbs } => format!("{at:7.2}s  <- {url}: {}", compact(verbs)),
        Step::Failed { at, message } => {
            format!("{at:7.2}s  !! {message} (the caller hears the failure tone)")
        }
        Step::Answered { at } => format!("{at:7.2}s  answered"),
        Step::Says { at, text } => format!("{at:7.2}s  says: \"{text}\""),
        Step::Plays { at, audio } => format!("{at:7.2}s  plays: {audio}"),
        Step::Keys { at, digits } => format!("{at:7.2}s  keys: {digits}"),
        Step::Dials {
            at,
            targets,
            outcome,
        } => format!(
            "{at:7.2}s  dials {} -> {}",
            compact(targets),
            serde_json::to_value(outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        Step::Records { at } => format!("{at:7.2}s  records the caller"),
        Step::Rejected { at, code } => format!("{at:7.2}s  rejected with {code}"),
        Step::Ended { at, status, reason } => {
            format!("{at:7.2}s  ended: {} ({reason})", status.as_str())
        }
    }
}
