//! The `lanchat` binary: parses flags and hands over to the library.
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lanchat::args::{default_data_dir, Cli, CoordinatorArgs, Mode};
use lanchat::cli::{self, Outcome};
use lanchat::coordinator::{Coordinator, CoordinatorConfig};

fn main() -> ExitCode {
    let args = Cli::parse();
    let quiet = matches!(args.command, Some(Mode::Cli(_)));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LANCHAT_LOG")
                .unwrap_or_else(|_| if quiet { "warn" } else { "info" }.into()),
        )
        .init();
    let result = match args.command {
        Some(Mode::Coordinator(c)) => coordinator(c).map(|()| ExitCode::SUCCESS),
        Some(Mode::Cli(c)) => cli::run(c)
            .map_err(Into::into)
            .map(|outcome| match outcome {
                Outcome::Done => ExitCode::SUCCESS,
                Outcome::LoginRefused => ExitCode::from(1),
            }),
        None => {
            eprintln!(
                "lanchat: the desktop GUI is not part of this build yet.\n\
                 Use `lanchat cli` (terminal client) or `lanchat coordinator`; see --help."
            );
            Ok(ExitCode::from(2))
        }
    };
    result.unwrap_or_else(|e: anyhow::Error| {
        eprintln!("lanchat: {e:#}");
        ExitCode::FAILURE
    })
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "lanchat".into())
}

fn coordinator(args: CoordinatorArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let config = CoordinatorConfig {
            data_dir: args.data.unwrap_or_else(|| default_data_dir("coordinator")),
            listen: args.listen,
            name: args.name.unwrap_or_else(host_name),
            discovery: (!args.no_discovery).then(|| args.net.discovery()),
            max_share_bytes: args.max_share_mib.saturating_mul(1024 * 1024),
            message_rate: args.max_messages_per_second,
        };
        let name = config.name.clone();
        let data = config.data_dir.clone();
        let coordinator = Coordinator::start(config)?;
        let fp = coordinator.fingerprint();
        // Tests and admins read these lines; keep their shape.
        println!(
            "lanchat coordinator '{name}' listening on {}",
            coordinator.local_addr()?
        );
        println!("fingerprint: {fp}");
        println!("full fingerprint: {}", fp.full_hex());
        println!("data: {}", data.display());
        use std::io::Write;
        std::io::stdout().flush()?;
        wait_for_signal().await;
        tracing::info!("shutting down");
        coordinator
            .shutdown("the coordinator is shutting down")
            .await;
        Ok(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
