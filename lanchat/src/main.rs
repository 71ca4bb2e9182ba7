//! The `lanchat` binary: an office LAN messenger. It parses flags and hands over to the
//! libraries: the coordinator (`lanchat coordinator`), the terminal and bot client
//! (`lanchat cli`), and the desktop GUI (`lanchat`, `lanchat gui`).
//!
//! # Layout
//! - `args`: command-line flags.
//! - `cli`: the terminal and bot client over the client engine.
//! - `windows` (Windows only): the parent console, the coordinator as a service.
// On Windows no console window opens behind the desktop app; `cli` and `coordinator` attach
// to the console they are started from (see `windows::attach_parent_console`).
#![cfg_attr(windows, windows_subsystem = "windows")]
mod args;
mod cli;
#[cfg(windows)]
mod windows;

use std::future::Future;
use std::process::ExitCode;

use anyhow::Context;
use args::{default_data_dir, Cli, CoordinatorAction, CoordinatorArgs, GuiArgs, Mode, NetArgs};
use clap::Parser;
use cli::Outcome;
use lanchat_coordinator::config::host_name;
use lanchat_coordinator::{Coordinator, CoordinatorConfig};
use lanchat_net::invite::Invite;

fn main() -> ExitCode {
    #[cfg(windows)]
    windows::attach_parent_console();
    let args = Cli::parse();
    let quiet = matches!(args.command, Some(Mode::Cli(_) | Mode::Gui(_)) | None);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LANCHAT_LOG")
                .unwrap_or_else(|_| if quiet { "warn" } else { "info" }.into()),
        )
        .init();
    let result = match args.command {
        #[cfg(windows)]
        Some(Mode::Coordinator(c)) if c.service => {
            let data = c.data.clone();
            let report = data.unwrap_or_else(|| default_data_dir("coordinator"));
            windows::service::start(
                report.join("coordinator.txt"),
                Box::new(|stop| {
                    coordinator(c, async {
                        let _ = stop.await;
                    })
                }),
            )
            .map(|()| ExitCode::SUCCESS)
        }
        Some(Mode::Coordinator(c)) => coordinator(c, wait_for_signal()).map(|()| ExitCode::SUCCESS),
        Some(Mode::Cli(c)) => cli::run(c)
            .map_err(Into::into)
            .map(|outcome| match outcome {
                Outcome::Done => ExitCode::SUCCESS,
                Outcome::LoginRefused => ExitCode::from(1),
            }),
        Some(Mode::Gui(g)) => gui(g).map(|()| ExitCode::SUCCESS),
        // `lanchat` alone takes the GUI's flags too (`lanchat --iface 10.0.0.5`).
        None => gui(args.gui).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e: anyhow::Error| {
        eprintln!("lanchat: {e:#}");
        ExitCode::FAILURE
    })
}

fn gui(args: GuiArgs) -> anyhow::Result<()> {
    let engine = lanchat_client::EngineConfig {
        data_dir: args.data.unwrap_or_else(|| default_data_dir("client")),
        discovery: Some(args.net.discovery()),
        coordinator: args.trust.target(),
        accept_new_fingerprint: false,
        // The login window lists first contacts with their fingerprints and trusts one only
        // when the person presses Trust.
        trust_first_contact: false,
        trusted: args.trust.trusted(),
        hints: args.trust.hints(),
        client_name: format!("lanchat-gui/{}", env!("CARGO_PKG_VERSION")),
        peer_listen: Some(args.peer_listen),
        // Set from the GUI's "keep me signed in" setting.
        remember_session: false,
    };
    let downloads = args
        .downloads
        .or_else(dirs::download_dir)
        .unwrap_or_else(|| default_data_dir("downloads"));
    lanchat_ui::run(lanchat_ui::UiOptions {
        engine,
        downloads,
        host: Some(host_hook(args.net)),
        hidden: args.hidden,
    })?;
    Ok(())
}

/// "Host a coordinator on this computer" for the GUI: an embedded coordinator on its own
/// runtime, announcing itself with the GUI's discovery settings so the GUI's engine (and
/// every other machine) finds it as usual. Started once; later calls describe it again.
fn host_hook(net: NetArgs) -> lanchat_ui::HostHook {
    let mut hosted: Option<(tokio::runtime::Runtime, Coordinator)> = None;
    Box::new(move || {
        if hosted.is_none() {
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            // Loopback-only discovery (tests) keeps the coordinator on loopback too.
            let local_only = !net.ifaces.is_empty() && net.ifaces.iter().all(|i| i.is_loopback());
            let ip = if local_only { "127.0.0.1" } else { "0.0.0.0" };
            let mut last_error = String::new();
            // The usual port if it is free, else any.
            for port in [CoordinatorConfig::DEFAULT_PORT, 0] {
                let config = CoordinatorConfig {
                    listen: format!("{ip}:{port}").parse().expect("valid address"),
                    discovery: Some(net.discovery()),
                    ..CoordinatorConfig::new(default_data_dir("coordinator"))
                };
                let started = {
                    let _inside = runtime.enter();
                    Coordinator::start(config)
                };
                match started {
                    Ok(c) => {
                        hosted = Some((runtime, c));
                        break;
                    }
                    Err(e) => last_error = e.to_string(),
                }
            }
            if hosted.is_none() {
                return Err(last_error);
            }
        }
        let (_, c) = hosted.as_ref().expect("started above");
        let addr = c.local_addr().map_err(|e| e.to_string())?;
        Ok(lanchat_ui::Hosted {
            description: format!(
                "Hosting coordinator '{}' on {addr}, fingerprint {}",
                host_name(),
                c.fingerprint()
            ),
            name: host_name(),
            fingerprint: c.fingerprint(),
        })
    })
}

/// Runs a coordinator until `stop` completes, then shuts it down cleanly (or rotates its key).
fn coordinator(args: CoordinatorArgs, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
    if let Some(CoordinatorAction::RotateKey) = args.action {
        let data_dir = args.data.unwrap_or_else(|| default_data_dir("coordinator"));
        let rotation = lanchat_coordinator::keys::rotate(&data_dir)?;
        println!(
            "rolled the coordinator's key over in {}",
            data_dir.display()
        );
        println!("old fingerprint: {}", rotation.old);
        println!("new fingerprint: {}", rotation.new);
        println!("new full fingerprint: {}", rotation.new.full_hex());
        println!(
            "start the coordinator again: clients that pinned the old key accept the new one by \
             themselves (the old key vouches for it)"
        );
        return Ok(());
    }
    #[cfg(windows)]
    let service = args.service;
    #[cfg(not(windows))]
    let service = false;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let data_dir = args.data.unwrap_or_else(|| default_data_dir("coordinator"));
        let mut config = CoordinatorConfig::new(data_dir)
            .with_max_share_mib(args.max_share_mib)
            .with_quotas_mib(args.user_quota_mib, args.total_quota_mib);
        config.login_timeout = std::time::Duration::from_secs(args.login_timeout_secs);
        config.max_unauthenticated_per_address = args.max_unauthenticated_per_address;
        config.listen = args.listen;
        config.name = args.name.unwrap_or(config.name);
        config.discovery = (!args.no_discovery).then(|| args.net.discovery());
        config.message_rate = args.max_messages_per_second;
        let name = config.name.clone();
        let data = config.data_dir.clone();
        let coordinator = Coordinator::start(config)?;
        let fp = coordinator.fingerprint();
        let local = coordinator.local_addr()?;
        // Tests and admins read these lines; keep their shape. A service has no console:
        // its lines go to a file in its data directory.
        let mut lines = format!(
            "lanchat coordinator '{name}' listening on {local}\nfingerprint: {fp}\n\
             full fingerprint: {}\n",
            fp.full_hex()
        );
        let invite = Invite {
            fingerprint: fp,
            addr: (!local.ip().is_unspecified()).then_some(local),
        };
        lines += &format!("invite: {invite}\ndata: {}\n", data.display());
        if service {
            let path = data.join("coordinator.txt");
            std::fs::write(&path, &lines)
                .with_context(|| format!("cannot write {}", path.display()))?;
        } else {
            use std::io::Write;
            let mut stdout = std::io::stdout();
            stdout.write_all(lines.as_bytes())?;
            stdout.flush()?;
        }
        stop.await;
        tracing::info!("shutting down");
        coordinator
            .shutdown("the coordinator is shutting down")
            .await;
        Ok(())
    })
}

/// Waits until the coordinator is asked to stop: Ctrl-C or SIGTERM on Unix; Ctrl-C,
/// Ctrl-Break, the console window closing, logoff or shutdown on Windows (a service is stopped
/// by the service manager instead, see `windows::service`).
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
    #[cfg(windows)]
    {
        use tokio::signal::windows::{ctrl_break, ctrl_close, ctrl_logoff, ctrl_shutdown};
        if let (Ok(mut brk), Ok(mut close), Ok(mut logoff), Ok(mut shutdown)) =
            (ctrl_break(), ctrl_close(), ctrl_logoff(), ctrl_shutdown())
        {
            // Windows ends the process a few seconds after a close, logoff or shutdown
            // event: the clean shutdown (sessions told, database closed) fits in that.
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = brk.recv() => {}
                _ = close.recv() => {}
                _ = logoff.recv() => {}
                _ = shutdown.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
