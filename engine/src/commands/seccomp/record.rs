//! `rpod seccomp record [-o OUT] [-i IN] [--args LIST] [--for-container] -- COMMAND...`: a host
//! command's syscalls, from its execve to the exit of its last descendant, as a profile; with
//! `--for-container`, also the runtimes' handoff a container's profile needs.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Command;

use anyhow::Context as _;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};

use crate::cli::seccomp::RecordArgs;
use crate::commands::io;
use rpod::exit::ExitStatus;
use rpod::trace::{self, Session, TraceError, Window};

pub fn run(a: &RecordArgs) -> anyhow::Result<ExitStatus> {
    let args = match &a.args {
        Some(list) => profiles::record::parse_arg_specs(list).map_err(TraceError::Args)?,
        None => Default::default(),
    };
    // Everything that could fail after the command ran is checked first.
    let request = match &a.output {
        Some(out) if out.as_os_str() != "-" => {
            let req = trace::Request {
                input: a.input.clone(),
                output: out.clone(),
                args: args.clone(),
                base: a.base.clone(),
            };
            req.check()?;
            Some(req)
        }
        _ => None,
    };
    let base = match &a.input {
        Some(i) => Some(trace::load_input(i)?),
        None => None,
    };
    let within = a.base.as_deref().map(trace::load_base).transpose()?;
    let session = Session::start(Window::Command, &args)?;

    // Ctrl-C reaches the command from the terminal; rpod outlives it to write the profile.
    // SIGTERM and SIGHUP sent to rpod are passed on to the command.
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGQUIT, SIGTERM, SIGHUP])
        .context("cannot install signal handlers")?;
    let handle = signals.handle();
    let program = &a.command[0];
    let child = Command::new(program).args(&a.command[1..]).spawn();
    let (status, forwarder) = match child {
        Ok(mut child) => {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
            let forwarder = std::thread::spawn(move || {
                for sig in signals.forever() {
                    if sig == SIGTERM || sig == SIGHUP {
                        if let Ok(s) = nix::sys::signal::Signal::try_from(sig) {
                            let _ = nix::sys::signal::kill(pid, s);
                        }
                    }
                }
            });
            (child.wait().map_err(Some), Some(forwarder))
        }
        Err(e) => (Err(Some(e)), None),
    };
    handle.close();
    if let Some(f) = forwarder {
        let _ = f.join();
    }
    let name = program.to_string_lossy();
    let exit = match &status {
        Ok(s) => match s.code() {
            Some(code) => ExitStatus::Container(code),
            None => ExitStatus::signaled(s.signal().unwrap_or(0)),
        },
        Err(Some(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("rpod: {name}: command not found");
            ExitStatus::NotFound
        }
        Err(e) => {
            eprintln!(
                "rpod: cannot run {name}: {}",
                e.as_ref().map_or_else(String::new, ToString::to_string)
            );
            ExitStatus::CannotInvoke
        }
    };
    let mut finished = session.finish()?;
    if a.for_container {
        // What a container's recording gets in `Session::finish`: both runtimes' handoffs
        // (counted 0, not seen here), so the profile starts a container under either. Without
        // them runc or crun dies before the workload starts (issue 14).
        for s in rpod::runtime::handoff::syscalls() {
            finished.recording.handoff.entry(s.to_string()).or_insert(0);
        }
    }
    if status.is_err() {
        // Nothing ran: no profile.
        return Ok(exit);
    }
    match &request {
        Some(req) => {
            let w = trace::write(req, base.as_ref(), &finished)?;
            for warning in &w.warnings {
                eprintln!("rpod: warning: {warning}");
            }
            eprintln!(
                "rpod: {} syscalls allowed in {} (counts in {})",
                w.syscalls,
                req.output.display(),
                w.counts.display()
            );
        }
        None => {
            let built = trace::build_within(base.as_ref(), within.as_ref(), &finished)?;
            for warning in &built.warnings {
                eprintln!("rpod: warning: {warning}");
            }
            io::write_output(None, built.profile.to_json_pretty().as_bytes(), false)?;
        }
    }
    Ok(exit)
}
