//! The `switchboard` binary: parse the configuration, start, serve until Ctrl-C or
//! SIGTERM. Failures print one line, `error: …`, and exit with status 1.

use anyhow::Context as _;
use clap::Parser;
use std::io::Write as _;
use switchboard::config::{Cli, Command};
use switchboard::server::Server;

// mimalloc returns freed memory to the system after a burst (a registration storm keeps
// thousands of finished SIP transactions for 32 s); glibc's allocator keeps it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, skipping causes the message already quotes.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Openapi) => {
            std::io::stdout().write_all(contract::ApiDoc::json().as_bytes())?;
            return Ok(());
        }
        Some(Command::Simulate(args)) => {
            return match switchboard::simulate::run(&args)? {
                true => Ok(()),
                false => anyhow::bail!("the call failed"),
            };
        }
        Some(Command::Serve) | None => {}
    }
    let config = cli.settings.resolve()?;
    let huge_pages = no_huge_pages();
    init_logging(&config.log)?;
    if let Err(e) = huge_pages {
        tracing::debug!(error = %e, "transparent huge pages stay allowed");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(collect_when_idle)
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config))
}

/// Keeps transparent huge pages away from the heap. Given them (mimalloc asks with
/// `MADV_HUGEPAGE`, unless built with its `no_thp` feature as here; or a system set to
/// `always`), the kernel backs a 2 MiB region that a few live blocks touch with a whole
/// huge page, and its khugepaged thread keeps collapsing such regions while the server is
/// quiet: the idle server held 14 MB more, and after the mutated-message campaign 20 to
/// 30 MB more than before, growing for a minute after the burst (RELIABILITY.md). A heap
/// of tens of megabytes gains nothing measurable from them. Called first, before the
/// runtime's threads allocate; refused (a sandbox), the default stays.
fn no_huge_pages() -> std::io::Result<()> {
    rustix::thread::disable_transparent_huge_pages(true).map_err(std::io::Error::from)
}

/// Hands memory back after a burst. mimalloc keeps a block freed by another thread in
/// the page of the thread that allocated it until that thread allocates again, so workers
/// that go quiet after a flood of SIP requests (thousands of transactions finished on
/// other threads) kept tens of megabytes they no longer used (RELIABILITY.md, mutated
/// messages). A worker about to park collects its heap, at most once a second: parking
/// happens thousands of times a second under load.
fn collect_when_idle() {
    use std::cell::Cell;
    use std::time::{Duration, Instant};
    thread_local!(static LAST: Cell<Option<Instant>> = const { Cell::new(None) });
    let now = Instant::now();
    let due = LAST.with(|last| {
        let due = last
            .get()
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1));
        if due {
            last.set(Some(now));
        }
        due
    });
    if due {
        // SAFETY: `mi_collect` takes no pointer; it tidies the calling thread's heap.
        #[allow(unsafe_code)]
        unsafe {
            libmimalloc_sys::mi_collect(false)
        };
    }
}

async fn serve(config: switchboard::config::Config) -> anyhow::Result<()> {
    let database = switchboard::storage::redact(&config.database_url);
    let data_dir = config.data_dir.clone();
    let server = Server::start(config).await?;
    let addr = server.http_addr()?;
    let mut out = std::io::stdout().lock();
    if let Some(key) = &server.generated_admin_key {
        // Printed once, on a line of its own, for the admin to copy; only a hash is kept.
        writeln!(out, "admin API key: {key}")?;
    }
    writeln!(out, "sip listening on {} (udp, tcp)", server.sip_addr())?;
    // Last: scripts wait for this line to know the server is ready.
    writeln!(out, "listening on http://{addr}")?;
    out.flush()?;
    drop(out);
    tracing::info!(http = %addr, sip = %server.sip_addr(), %database, data_dir = %data_dir.display(), "switchboard ready; API docs at /docs");
    server.serve(shutdown_signal()).await?;
    tracing::info!("switchboard stopped");
    Ok(())
}

fn init_logging(filter: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .with_context(|| format!("invalid SWITCHBOARD_LOG filter '{filter}'"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
