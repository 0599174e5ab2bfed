//! `rpod seccomp record [-o OUT] [-i IN] [--args LIST] [--base FILE] [--for-container]
//! [--runs N] -- COMMAND...`: a host command's syscalls, from its execve to the exit of its last
//! descendant, as a profile; with `--for-container`, also the runtimes' handoff a container's
//! profile needs; with `--runs N`, N runs merged.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};

use crate::cli::seccomp::RecordArgs;
use crate::commands::io;
use profiles::record::Counts;
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
    // Ctrl-C reaches the command from the terminal; rpod outlives it to write the profile
    // (and starts no further run). SIGTERM and SIGHUP sent to rpod are passed on to the
    // command.
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGQUIT, SIGTERM, SIGHUP])
        .context("cannot install signal handlers")?;
    let handle = signals.handle();
    let child_pid = Arc::new(AtomicI32::new(0));
    let interrupted = Arc::new(AtomicBool::new(false));
    // A SIGTERM/SIGHUP that arrives while no command runs (between spawning it and noting its
    // pid) waits here; whichever side takes it from `pending` passes it on, so it is passed on
    // exactly once.
    let pending = Arc::new(AtomicI32::new(0));
    let forwarder = {
        let (child_pid, interrupted, pending) = (
            Arc::clone(&child_pid),
            Arc::clone(&interrupted),
            Arc::clone(&pending),
        );
        std::thread::spawn(move || {
            for sig in signals.forever() {
                interrupted.store(true, Ordering::SeqCst);
                if sig == SIGTERM || sig == SIGHUP {
                    pending.store(sig, Ordering::SeqCst);
                    pass_on(child_pid.load(Ordering::SeqCst), &pending);
                }
            }
        })
    };
    let result = record_runs(
        a,
        &args,
        request.as_ref(),
        (base, within.as_ref()),
        (&child_pid, &pending),
        &interrupted,
    );
    handle.close();
    let _ = forwarder.join();
    result
}

/// Runs the command `--runs` times, recording each run, and merges the recordings as `-i` of
/// the previous output would. Exit status: the first failed run's, else 0.
fn record_runs(
    a: &RecordArgs,
    args: &std::collections::BTreeMap<String, profiles::record::ArgSpec>,
    request: Option<&trace::Request>,
    (mut base, within): (
        Option<profiles::model::Profile>,
        Option<&profiles::model::Profile>,
    ),
    (child_pid, pending): (&AtomicI32, &AtomicI32),
    interrupted: &AtomicBool,
) -> anyhow::Result<ExitStatus> {
    let runs = a.runs;
    let program = &a.command[0];
    let name = program.to_string_lossy();
    let mut first_failure = None;
    // These runs alone (the counts file also holds the input's): for the stderr line.
    let mut counts = Counts::default();
    let mut written = None;
    for run in 1..=runs {
        // Checked before each run, not only after the last one: a signal that came between
        // two runs starts no more.
        if run > 1 && interrupted.load(Ordering::SeqCst) {
            eprintln!(
                "rpod: interrupted after run {} of {runs}; the recordings so far are merged",
                run - 1
            );
            break;
        }
        let prefix = if runs > 1 {
            format!("run {run}/{runs}: ")
        } else {
            String::new()
        };
        let session = Session::start(Window::Command, args)?;
        let status = match Command::new(program).args(&a.command[1..]).spawn() {
            Ok(mut child) => {
                let pid = i32::try_from(child.id()).unwrap_or(0);
                child_pid.store(pid, Ordering::SeqCst);
                pass_on(pid, pending);
                let s = child.wait();
                child_pid.store(0, Ordering::SeqCst);
                s.map_err(Some)
            }
            Err(e) => Err(Some(e)),
        };
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
            // (counted 0, not seen here), so the profile starts a container under either.
            // Without them runc or crun dies before the workload starts (issue 14).
            for s in rpod::runtime::handoff::syscalls() {
                finished.recording.handoff.entry(s.to_string()).or_insert(0);
            }
        }
        if status.is_err() {
            // Nothing ran: no profile (the runs before this one are written).
            return Ok(exit);
        }
        if first_failure.is_none() && exit != ExitStatus::Container(0) {
            first_failure = Some(exit);
        }
        counts.add(&finished.recording);
        match request {
            Some(req) => {
                // After the first run, the previous output is the input (its counts file too).
                let req = if run == 1 {
                    req.clone()
                } else {
                    trace::Request {
                        input: Some(req.output.clone()),
                        ..req.clone()
                    }
                };
                let base = if run == 1 {
                    base.take()
                } else {
                    Some(trace::load_input(&req.output)?)
                };
                let w = trace::write(&req, base.as_ref(), &finished)?;
                for warning in &w.warnings {
                    eprintln!("rpod: warning: {prefix}{warning}");
                }
                written = Some(w);
            }
            None => {
                let built = trace::build_within(base.as_ref(), within, &finished)?;
                for warning in &built.warnings {
                    eprintln!("rpod: warning: {prefix}{warning}");
                }
                base = Some(built.profile);
            }
        }
    }
    let rare: Vec<String> = counts
        .rare()
        .iter()
        .map(|n| {
            format!(
                "{n} ({} of {})",
                counts.syscalls[n].recordings, counts.recordings
            )
        })
        .collect();
    if counts.recordings > 1 {
        if rare.is_empty() {
            eprintln!(
                "rpod: every recorded syscall was seen in each of the {} runs",
                counts.recordings
            );
        } else {
            eprintln!(
                "rpod: not seen in every run: {} (a single run may miss these)",
                rare.join(", ")
            );
        }
    }
    match (request, written) {
        (Some(req), Some(w)) => eprintln!(
            "rpod: {} syscalls allowed in {} (counts in {})",
            w.syscalls,
            req.output.display(),
            w.counts.display()
        ),
        _ => {
            if let Some(profile) = &base {
                io::write_output(None, profile.to_json_pretty().as_bytes(), false)?;
            }
        }
    }
    Ok(first_failure.unwrap_or(ExitStatus::Container(0)))
}

/// Sends the signal waiting in `pending` (if any) to `pid` (if the command runs).
fn pass_on(pid: i32, pending: &AtomicI32) {
    if pid <= 0 {
        return;
    }
    let sig = pending.swap(0, Ordering::SeqCst);
    if let Ok(s) = nix::sys::signal::Signal::try_from(sig) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), s);
    }
}
