//! What only Windows needs: the console that a GUI-subsystem `lanchat.exe` was started from,
//! and the coordinator as a Windows service.

/// `lanchat.exe` is built for the GUI subsystem, so that no console window opens behind the
/// desktop app; such a program starts with no console. When it was started from one (cmd,
/// PowerShell) and its output is not redirected, this attaches to that console, so that
/// `lanchat cli`, `lanchat coordinator`, `--help` and errors print where they were typed.
/// Started from the Explorer there is no parent console and nothing changes; redirected
/// output (a pipe, a file) is left as it is.
pub fn attach_parent_console() {
    use std::os::windows::io::AsRawHandle;
    let stdout_unset = std::io::stdout().as_raw_handle().is_null();
    let stderr_unset = std::io::stderr().as_raw_handle().is_null();
    if stdout_unset && stderr_unset {
        // Fails when the parent has no console: then there is nowhere to print anyway.
        let _ = winsafe::AttachConsole(winsafe::PidParent::Parent);
    }
}

/// The coordinator as a Windows service (`lanchat coordinator --service`, registered with
/// `sc.exe create`, see the README): the service manager starts it, and stops it on
/// "stop", on shutdown and before shutdown.
pub mod service {
    use std::ffi::OsString;
    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::time::Duration;

    use anyhow::Context;
    use tokio::sync::oneshot;
    use windows_service::service::{
        ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus,
        ServiceType,
    };
    use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
    use windows_service::{define_windows_service, service_dispatcher};

    /// The service's name (`sc.exe create lanchat-coordinator …`).
    pub const NAME: &str = "lanchat-coordinator";

    /// What the service runs: the coordinator until the receiver fires.
    pub type Run = Box<dyn FnOnce(oneshot::Receiver<()>) -> anyhow::Result<()> + Send>;

    /// The coordinator to run, and the file that says why it stopped if it failed.
    static RUN: Mutex<Option<(Run, PathBuf)>> = Mutex::new(None);

    define_windows_service!(ffi_service_main, service_main);

    /// Hands this process to the service manager, which calls back into `run` on a thread of
    /// its own; returns when the service has stopped. A service has no console: why it failed,
    /// if it did, is appended to `report` (the coordinator's `coordinator.txt`).
    pub fn start(report: PathBuf, run: Run) -> anyhow::Result<()> {
        if let Ok(mut slot) = RUN.lock() {
            *slot = Some((run, report));
        }
        service_dispatcher::start(NAME, ffi_service_main).context(
            "`lanchat coordinator --service` only runs under the Windows service manager \
             (register it with sc.exe, see the README)",
        )
    }

    fn service_main(_arguments: Vec<OsString>) {
        if let Err(e) = serve() {
            tracing::error!("service: {e:#}");
        }
    }

    fn serve() -> anyhow::Result<()> {
        let (run, report_file) = RUN
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
            .context("the service ran twice")?;
        let (stop, stopped) = oneshot::channel();
        let stop = Mutex::new(Some(stop));
        let handler = move |control| match control {
            ServiceControl::Stop | ServiceControl::Shutdown | ServiceControl::Preshutdown => {
                if let Some(stop) = stop.lock().ok().and_then(|mut s| s.take()) {
                    let _ = stop.send(());
                }
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
            _ => ServiceControlHandlerResult::NotImplemented,
        };
        let status = service_control_handler::register(NAME, handler)
            .context("cannot register with the service manager")?;
        let report = |state, accept, exit_code| {
            status.set_service_status(ServiceStatus {
                service_type: ServiceType::OWN_PROCESS,
                current_state: state,
                controls_accepted: accept,
                exit_code,
                checkpoint: 0,
                wait_hint: Duration::from_secs(10),
                process_id: None,
            })
        };
        report(
            ServiceState::Running,
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN,
            ServiceExitCode::Win32(0),
        )?;
        let result = run(stopped);
        let exit_code = match &result {
            Ok(()) => ServiceExitCode::Win32(0),
            Err(e) => {
                use std::io::Write;
                let line = format!("stopped with an error: {e:#}\n");
                let _ = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&report_file)
                    .and_then(|mut f| f.write_all(line.as_bytes()));
                ServiceExitCode::ServiceSpecific(1)
            }
        };
        report(
            ServiceState::Stopped,
            ServiceControlAccept::empty(),
            exit_code,
        )?;
        result
    }
}
