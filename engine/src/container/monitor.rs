//! The per-container monitor: runs the OCI runtime, keeps the output in the log, records the
//! exit code and cleans up, as podman's conmon does.
//!
//! In the foreground (`rpod run` without `-d`) the output is also copied to rpod's own stdout
//! and stderr. Detached, `rpod container monitor ID` runs in its own session with stdio on
//! /dev/null, so it outlives the `rpod run -d` that started it.

use std::fs;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;

use super::{meta, paths, remove_files, unmount_rootfs};
use crate::runtime::{self, ProcessIo};
use crate::storage::ContainerState;
use crate::storage::Store;

/// How the monitor shows output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// Copy the container's output to rpod's stdout/stderr too; stdin is passed through.
    Foreground { stdin: bool },
    /// Only the log.
    Detached,
}

/// Runs container `id` to completion. Returns its exit code (128+N when killed by signal N).
///
/// # Errors
/// Runtime failures (with 126/127 codes available through
/// [`runtime::RuntimeError::command_exit_code`]); storage errors.
pub fn run(store: &Store, id: &str, attach: Attach) -> anyhow::Result<i32> {
    run_with(store, id, attach, None)
}

/// [`run`], with the syscall recorder already started on this thread when the container
/// records (`rpod run` loads it before creating the container); started here otherwise.
///
/// # Errors
/// As [`run`]; a recorder that cannot start; a recorded profile that cannot be written (after
/// the container ran and was cleaned up).
pub fn run_with(
    store: &Store,
    id: &str,
    attach: Attach,
    recorder: Option<tracer::Recorder>,
) -> anyhow::Result<i32> {
    let c = store
        .container(id)?
        .with_context(|| format!("no container {id}"))?;
    let m = meta(&c)?;
    let p = paths(store, id);
    // The recorder's tree is rooted at this thread, which starts the runtime below.
    let recording = match (&m.trace, recorder) {
        (Some(t), Some(r)) => Some((t, r)),
        (Some(t), None) => {
            let options = tracer::Options {
                start: tracer::Start::SeccompFilter,
                args: t.args.clone(),
            };
            let r = tracer::Recorder::start(&options).map_err(|e| {
                let e = anyhow::Error::new(e).context("cannot record syscalls");
                // Detached, nobody sees this process's stderr: the log says why.
                if let Ok(mut f) = fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&m.log_path)
                {
                    let _ = writeln!(f, "{} stderr F rpod: error: {e:#}", super::timestamp());
                }
                let _ = store.set_container_exited(id, 125, SystemTime::now());
                let _ = cleanup(store, id);
                e
            })?;
            Some((t, r))
        }
        (None, _) => None,
    };
    fs::write(&p.monitor_pid, std::process::id().to_string())
        .with_context(|| format!("cannot write {}", p.monitor_pid.display()))?;
    let rt = runtime::from_name(&c.runtime, store.runroot())?;
    let log = Mutex::new(
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&m.log_path)
            .with_context(|| format!("cannot open the log {}", m.log_path.display()))?,
    );
    let (out_r, out_w) = std::io::pipe().context("cannot create a pipe")?;
    let (err_r, err_w) = std::io::pipe().context("cannot create a pipe")?;
    let stdin = match attach {
        Attach::Foreground { stdin: true } => std::process::Stdio::inherit(),
        _ => std::process::Stdio::null(),
    };
    let io = ProcessIo {
        stdin,
        stdout: out_w.into(),
        stderr: err_w.into(),
    };
    store.set_container_running(id, 0, SystemTime::now())?;
    if m.tty {
        let result = super::tty::run(rt.as_ref(), id, &c.bundle, &log, &|pid| {
            let _ = store.set_container_running(id, pid, SystemTime::now());
        });
        let code = result.as_ref().map_or(125, |c| *c);
        // The profile before the exit is reported, so `rpod wait` can be followed by its use.
        let recorded = recording.map(|(t, r)| finish_recording(t, r, &log, true));
        store.set_container_exited(id, code, SystemTime::now())?;
        cleanup(store, id)?;
        if let Some(Err(e)) = recorded {
            return Err(e);
        }
        return result;
    }
    let foreground = matches!(attach, Attach::Foreground { .. });
    let started = Instant::now();
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            let mut so = std::io::stdout();
            let echo: Option<&mut dyn std::io::Write> =
                if foreground { Some(&mut so) } else { None };
            super::copy_to_log(out_r, "stdout", &log, echo);
        });
        s.spawn(|| {
            let mut se = std::io::stderr();
            let echo: Option<&mut dyn std::io::Write> =
                if foreground { Some(&mut se) } else { None };
            super::copy_to_log(err_r, "stderr", &log, echo);
        });
        // Detached, record the container's pid once the runtime reports it (for ps and
        // stop); the foreground path skips this to start as fast as `runc run`.
        let recorder = (!foreground).then(|| {
            let (root, runroot) = (store.root().to_path_buf(), store.runroot().to_path_buf());
            let rt = &rt;
            let done = &done;
            s.spawn(move || {
                let Ok(own) = Store::open(&root, &runroot) else {
                    return;
                };
                let deadline = started + Duration::from_secs(10);
                while Instant::now() < deadline && !done.load(Ordering::Relaxed) {
                    if let Ok(st) = rt.state(id) {
                        // Only once started: a process killed while the runtime sets it up
                        // makes the runtime fail instead of reporting 128+N.
                        if st.pid > 0 && st.status == runtime::Status::Running {
                            let _ = own.set_container_running(id, st.pid, SystemTime::now());
                            return;
                        }
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        });
        let r = rt.run(id, &c.bundle, io);
        done.store(true, Ordering::Relaxed);
        if let Some(h) = recorder {
            let _ = h.join();
        }
        r
    });
    // The container's own code; a runtime that also logged an error (runc does when the
    // process is killed) still reports 128+N; 126/127 when the command cannot be run.
    let code = match &result {
        Ok(code) => Some(*code),
        Err(runtime::RuntimeError::Failed { code: Some(c), .. }) if *c > 128 => Some(*c),
        Err(e) => e.command_exit_code().map(i32::from),
    };
    let _ = std::io::stdout().flush();
    // The profile before the exit is reported, so `rpod wait` can be followed by its use.
    let recorded = recording.map(|(t, r)| finish_recording(t, r, &log, foreground));
    store.set_container_exited(id, code.unwrap_or(125), SystemTime::now())?;
    cleanup(store, id)?;
    if let Some(Err(e)) = recorded {
        return Err(e);
    }
    match (code, result) {
        (Some(c), Err(e)) if c < 128 => {
            // Not found / cannot invoke: podman prints the runtime's reason and exits 126/127.
            let msg = format!("error: {e}\n");
            if foreground {
                let _ = std::io::stderr().write_all(msg.as_bytes());
            } else if let Ok(mut f) = log.lock() {
                let _ = write!(f, "{} stderr F {}", super::timestamp(), msg);
            }
            Ok(c)
        }
        (Some(c), _) => Ok(c),
        (None, Err(e)) => Err(e.into()),
        (None, Ok(_)) => unreachable!("Ok always has a code"),
    }
}

/// Reads the recording once the container's last process is gone and writes the profile.
/// In the foreground the outcome goes to stderr; detached, to the container's log.
fn finish_recording(
    req: &crate::trace::Request,
    recorder: tracer::Recorder,
    log: &Mutex<fs::File>,
    foreground: bool,
) -> anyhow::Result<()> {
    let say = |line: &str| {
        if foreground {
            eprintln!("{line}");
        } else if let Ok(mut f) = log.lock() {
            let _ = writeln!(f, "{} stderr F {line}", super::timestamp());
        }
    };
    let result = (|| -> anyhow::Result<crate::trace::Written> {
        let mut finished = recorder.finish(Duration::from_secs(2))?;
        // Both runtimes' handoffs, so the profile starts the container under either; the
        // ones not seen in this run are counted 0 in the side file.
        for s in runtime::handoff::SYSCALLS {
            finished
                .recording
                .handoff
                .entry((*s).to_string())
                .or_insert(0);
        }
        // Read the input again: the recording may have taken hours.
        let base = req.check()?;
        Ok(crate::trace::write(req, base.as_ref(), &finished)?)
    })();
    match result {
        Ok(w) => {
            for warning in &w.warnings {
                say(&format!("rpod: warning: {warning}"));
            }
            say(&format!(
                "rpod: {} syscalls allowed in {} (counts in {})",
                w.syscalls,
                req.output.display(),
                w.counts.display()
            ));
            Ok(())
        }
        Err(e) => {
            if !foreground {
                say(&format!("rpod: error: no profile written: {e:#}"));
            }
            Err(e.context(format!("no profile written to {}", req.output.display())))
        }
    }
}

/// After an exit: unmount, delete the runtime's state, and remove the container for `--rm`.
/// Safe to run twice (`rpod container cleanup`).
pub fn cleanup(store: &Store, id: &str) -> anyhow::Result<()> {
    let Some(c) = store.container(id)? else {
        return Ok(());
    };
    let p = paths(store, id);
    // `runc run` (and crun's) deleted its state when the process exited.
    unmount_rootfs(&p)?;
    let _ = fs::remove_file(&p.monitor_pid);
    if meta(&c).is_ok_and(|m| m.rm) {
        store.set_container_state(id, ContainerState::Removing)?;
        remove_files(store, &c, false)?;
        store.delete_container(id)?;
    }
    Ok(())
}
