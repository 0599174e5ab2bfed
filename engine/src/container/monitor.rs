//! The per-container monitor: runs the OCI runtime, keeps the output in the log, records the
//! exit code and cleans up, as podman's conmon does.
//!
//! In the foreground (`rpod run` without `-d`) the output is also copied to the writers the
//! caller passes (rpod's own stdout and stderr), and so are rpod's notes about the recording.
//! Detached, `rpod container monitor ID` runs in its own session with stdio on /dev/null, so
//! it outlives the `rpod run -d` that started it, and its notes go to the container's log.

use std::fs;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::settings::{restart_count_file, stopped_marker, LogDriver};
use super::{command_failed, log::Stream, Container, Error, LogWriter};
use crate::exit::ExitStatus;
use crate::runtime::{self, ProcessIo, RuntimeError};
use crate::storage::Store;
use crate::trace::{self, Session, Window};

/// How the monitor shows output.
pub enum Attach {
    /// Copy the container's output to these writers too; stdin is passed through when
    /// `stdin`.
    Foreground {
        stdin: bool,
        stdout: Box<dyn Write + Send>,
        stderr: Box<dyn Write + Send>,
    },
    /// Only the log.
    Detached,
}

impl std::fmt::Debug for Attach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Attach::Foreground { stdin, .. } => {
                write!(f, "Foreground {{ stdin: {stdin} }}")
            }
            Attach::Detached => f.write_str("Detached"),
        }
    }
}

/// Where rpod's notes about the container go: the foreground's stderr, else the log.
struct Notes<'l> {
    stderr: Option<std::sync::Mutex<Box<dyn Write + Send>>>,
    log: &'l LogWriter,
}

impl Notes<'_> {
    fn say(&self, line: &str) {
        match &self.stderr {
            Some(w) => {
                if let Ok(mut w) = w.lock() {
                    let _ = writeln!(w, "{line}");
                    let _ = w.flush();
                }
            }
            None => self.log.note(line),
        }
    }
}

impl Container<'_> {
    /// Runs the container to completion as its monitor and returns its status (128+N when
    /// killed by signal N). `session` is the recording `rpod run` attached to this thread
    /// already; a container that records and has none gets one started here (detached).
    ///
    /// # Errors
    /// [`Error::CommandFailed`] (126/127) when the runtime could not start the command, after
    /// the container is cleaned up; runtime failures; a recorder that cannot start; a recorded
    /// profile that cannot be written ([`Error::NotRecorded`], after the container ran and
    /// was cleaned up); storage errors.
    pub fn run(mut self, attach: Attach, session: Option<Session>) -> Result<ExitStatus, Error> {
        let foreground = matches!(attach, Attach::Foreground { .. });
        let mut result = self.run_once(attach, session, None);
        // The restart policy (podman's): the monitor runs the container again. A foreground
        // `run` returns the first status, as podman's does; its caller hands the restarts to
        // a detached monitor ([`Container::restart_detached`]).
        if foreground {
            return result;
        }
        // No delay between two runs: podman 4.3.1 has none either (its cleanup process
        // restarts at once; `--restart on-failure:5` of `false` ran 5 times within 1.5 s here).
        while let Ok(ExitStatus::Container(code)) = result {
            if !self.decide_restart(code)? {
                break;
            }
            result = self.run_once(Attach::Detached, None, Some(code));
        }
        result
    }

    /// Whether the container, which exited with `code`, runs again by its restart policy:
    /// not when the user stopped or killed it, nor when it was removed meanwhile.
    ///
    /// # Errors
    /// Storage errors.
    pub fn should_restart(&mut self, code: i32) -> Result<bool, Error> {
        if !self.refresh()? {
            return Ok(false);
        }
        let policy = self.meta()?.settings.restart;
        let stopped = stopped_marker(&self.paths.bundle).exists();
        Ok(policy.restarts(code, self.restart_count(), stopped))
    }

    /// The monitor's decision to run the container again, made under the restart lock (see
    /// [`Container::hold_restarts`]): when it restarts, the record says `running` and the
    /// monitor's pid is written before the lock is released, so a `stop`, `kill` or `rm` that
    /// takes the lock next sees a running container with a live monitor and ends it.
    pub(super) fn decide_restart(&mut self, code: i32) -> Result<bool, Error> {
        let Some(_lock) = restart_lock(&self.paths.bundle) else {
            return Ok(false);
        };
        if !self.should_restart(code)? {
            return Ok(false);
        }
        self.count_restart()?;
        self.claim_running()?;
        Ok(true)
    }

    /// Records the container running (no pid yet) with this process as its monitor.
    fn claim_running(&self) -> Result<(), Error> {
        fs::write(&self.paths.monitor_pid, std::process::id().to_string())
            .map_err(Error::io("write", &self.paths.monitor_pid))?;
        self.store
            .set_container_running(&self.record.id, 0, SystemTime::now())?;
        Ok(())
    }

    /// Ends restarts by the policy (podman's `StoppedByUser`, set by `stop` and `kill`): the
    /// marker first, then the restart lock taken and released. A monitor deciding to restart
    /// holds the lock from reading the marker to recording the container running, so once
    /// this returns either the monitor saw the marker (no restart) or the record already says
    /// running (the caller refreshes and ends that run). Without it, a `stop` between two runs
    /// found nothing running and returned while the monitor started the container again.
    pub fn hold_restarts(&self) {
        let _ = fs::write(stopped_marker(&self.paths.bundle), b"");
        drop(restart_lock(&self.paths.bundle));
    }

    /// [`Container::hold_restarts`], then the record read again if it did not say running: a
    /// monitor may have recorded a restart meanwhile, which the caller must see to end it.
    pub(super) fn end_restarts(&mut self) -> Result<(), Error> {
        self.hold_restarts();
        if !self.is_running() {
            self.refresh()?;
        }
        Ok(())
    }

    /// A start by the user (`start`, `restart`): an earlier `stop` or `kill` no longer holds
    /// restarts back, and the restart count starts again from 0 (podman resets its
    /// `RestartCount` in `init` unless the restart policy restarts).
    pub fn reset_restarts(&self) -> Result<(), Error> {
        for f in [
            stopped_marker(&self.paths.bundle),
            restart_count_file(&self.paths.dir),
        ] {
            match fs::remove_file(&f) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove", &f)(e));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// One more restart in the container's count (inspect's `RestartCount`).
    fn count_restart(&self) -> Result<(), Error> {
        let f = restart_count_file(&self.paths.dir);
        fs::write(&f, (self.restart_count() + 1).to_string()).map_err(Error::io("write", &f))
    }

    /// After a foreground run whose container exited with `code`: starts a detached monitor
    /// (`monitor`, as for [`Container::start_detached`]) that restarts it, if its policy says
    /// so. Returns whether it did.
    ///
    /// # Errors
    /// As [`Container::start_detached`].
    pub fn restart_detached(
        &mut self,
        code: i32,
        monitor: std::process::Command,
    ) -> Result<bool, Error> {
        if !self.decide_restart(code)? {
            return Ok(false);
        }
        self.start_detached(monitor)?;
        Ok(true)
    }

    /// One run of the container, from the runtime's start to the cleanup after its exit.
    /// `again`: the previous run's exit code when the restart policy runs it again.
    pub(super) fn run_once(
        &mut self,
        attach: Attach,
        session: Option<Session>,
        again: Option<i32>,
    ) -> Result<ExitStatus, Error> {
        let id = self.record.id.clone();
        if !self.refresh()? {
            return Err(Error::Gone { id });
        }
        // A restart that a `stop`/`kill` overtook after the decision (it saw the container
        // running and signalled a process not made yet): it does not run.
        if let Some(code) = again {
            let _lock = restart_lock(&self.paths.bundle);
            if stopped_marker(&self.paths.bundle).exists() {
                store_exit(self.store, &id, code)?;
                self.after_exit()?;
                return Ok(ExitStatus::Container(code));
            }
        }
        let m = self.meta()?;
        let store = self.store;
        // `rpod umount` may have unmounted a created container's root: the runtime would run
        // on an empty directory.
        if let Err(e) = self.mount() {
            let _ = store.set_container_exited(&id, 125, SystemTime::now());
            return Err(e);
        }
        // The recorder's tree is rooted at this thread, which starts the runtime below.
        let recording = match (&m.trace, session) {
            (Some(t), Some(s)) => Some((t, s)),
            (Some(t), None) => match Session::start(Window::Container, &t.args) {
                Ok(s) => Some((t, s)),
                Err(e) => {
                    // Detached, nobody sees this process's stderr: the log says why.
                    if let Ok(log) = LogWriter::open(&m.log_path) {
                        log.note(&format!("rpod: error: {}", profiles::chain::one_line(&e)));
                    }
                    let _ = store.set_container_exited(&id, 125, SystemTime::now());
                    let _ = self.after_exit();
                    return Err(Error::Recording(Box::new(e)));
                }
            },
            (None, _) => None,
        };
        {
            // Under the restart lock, as a restart: a `stop` or `rm` that takes it next sees
            // this run (see [`Container::hold_restarts`]).
            let _lock = restart_lock(&self.paths.bundle);
            self.claim_running()?;
        }
        // Denials you can see (crate::denials): this thread, which starts the runtime, takes
        // an audit session the container's processes inherit.
        let denials = crate::denials::enabled(&self.paths.dir).then(|| {
            crate::denials::Collector::start(self.paths.dir.clone(), &self.paths.listener)
        });
        // Under runc the runtime cannot start the container without the listener it was
        // told to connect to (crate::denials::notify): say why here, not runc's "failed to
        // connect with seccomp agent".
        if let Some(Err(
            e @ (crate::denials::Error::Listen { .. } | crate::denials::Error::ListenerPath { .. }),
        )) = denials
        {
            if let Ok(log) = LogWriter::open(&m.log_path) {
                log.note(&format!("rpod: error: {}", profiles::chain::one_line(&e)));
            }
            let _ = store.set_container_exited(&id, 125, SystemTime::now());
            let _ = self.after_exit();
            return Err(Error::Denials(e));
        }
        let rt = self.runtime()?;
        let settings = &m.settings;
        let log = match settings.log_driver {
            LogDriver::K8sFile => LogWriter::open_limited(&m.log_path, settings.log_max_size)?,
            LogDriver::None | LogDriver::Passthrough => LogWriter::discard(),
        };
        let passthrough = settings.log_driver == LogDriver::Passthrough;
        let (out_r, out_w) = std::io::pipe().map_err(Error::Pipe)?;
        let (err_r, err_w) = std::io::pipe().map_err(Error::Pipe)?;
        let (stdin, echo) = match attach {
            Attach::Foreground {
                stdin,
                stdout,
                stderr,
            } => (stdin, Some((stdout, stderr))),
            Attach::Detached => (false, None),
        };
        let foreground = echo.is_some();
        // passthrough: the runtime's stdio are the monitor's own (a foreground run's terminal,
        // a detached monitor's /dev/null); nothing copies them, so the pipes stay unused.
        let io = ProcessIo {
            stdin: if stdin {
                std::process::Stdio::inherit()
            } else {
                super::null_device(std::path::Path::new("/dev/null"))?.into()
            },
            stdout: if passthrough {
                drop(out_w);
                std::process::Stdio::inherit()
            } else {
                out_w.into()
            },
            stderr: if passthrough {
                drop(err_w);
                std::process::Stdio::inherit()
            } else {
                err_w.into()
            },
        };
        self.event("start");
        let (mut echo_out, echo_err) = match echo {
            Some((o, e)) => (Some(o), Some(std::sync::Mutex::new(e))),
            None => (None, None),
        };
        if m.tty {
            let result = super::tty::run(
                rt.as_ref(),
                &id,
                &self.record.bundle,
                &log,
                echo_out,
                &|pid| {
                    let _ = store.set_container_running(&id, pid, SystemTime::now());
                },
            );
            let code = result.as_ref().map_or(125, |c| *c);
            // The profile before the exit is reported, so `rpod wait` can be followed by its
            // use.
            let notes = Notes {
                stderr: echo_err,
                log: &log,
            };
            let recorded = recording.map(|(t, s)| finish_recording(t, s, &notes));
            finish_denials(denials, &self.record.name, &notes);
            store.set_container_exited(&id, code, SystemTime::now())?;
            super::control::event(store, &self.record, "died", Some(code));
            self.after_exit()?;
            if let Some(Err(e)) = recorded {
                return Err(e);
            }
            return result.map(ExitStatus::Container);
        }
        let started = Instant::now();
        let done = AtomicBool::new(false);
        let timed_out = AtomicBool::new(false);
        let (finished, finish_wait) = std::sync::mpsc::channel::<()>();
        let result = std::thread::scope(|s| {
            // --timeout: kill the container when it outlives its time (conmon's --timeout).
            if let Some(secs) = settings.timeout.filter(|t| *t > 0) {
                let (rt, id, timed_out) = (&rt, &id, &timed_out);
                s.spawn(move || {
                    if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                        finish_wait.recv_timeout(Duration::from_secs(secs))
                    {
                        timed_out.store(true, Ordering::SeqCst);
                        let _ = rt.kill(id, nix::sys::signal::Signal::SIGKILL, true);
                    }
                });
            }
            let log = &log;
            let echo_out = &mut echo_out;
            s.spawn(move || {
                let w = echo_out.as_mut().map(|w| w as &mut dyn Write);
                log.copy(out_r, Stream::Stdout, w);
            });
            let echo_err = &echo_err;
            s.spawn(move || {
                let mut guard = echo_err.as_ref().and_then(|m| m.lock().ok());
                let w = guard.as_deref_mut().map(|w| w as &mut dyn Write);
                log.copy(err_r, Stream::Stderr, w);
            });
            // Detached, record the container's pid once the runtime reports it (for ps and
            // stop); the foreground path skips this to start as fast as `runc run`.
            let watcher = (!foreground).then(|| {
                let (root, runroot) = (store.root().to_path_buf(), store.runroot().to_path_buf());
                let (rt, done, id) = (&rt, &done, &id);
                s.spawn(move || {
                    let Ok(own) = Store::open(&root, &runroot) else {
                        return;
                    };
                    let deadline = started + Duration::from_secs(10);
                    while Instant::now() < deadline && !done.load(Ordering::Relaxed) {
                        if let Ok(st) = rt.state(id) {
                            // Only once started: a process killed while the runtime sets it
                            // up makes the runtime fail instead of reporting 128+N.
                            if st.pid > 0 && st.status == runtime::Status::Running {
                                let _ = own.set_container_running(id, st.pid, SystemTime::now());
                                return;
                            }
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                })
            });
            let r = rt.run_preserving_fds(&id, &self.record.bundle, io, settings.preserve_fds);
            done.store(true, Ordering::Relaxed);
            drop(finished);
            if let Some(h) = watcher {
                let _ = h.join();
            }
            r
        });
        // The container's own code; a runtime that also logged an error (runc does when the
        // process is killed) still reports 128+N; 126/127 when the command cannot be run.
        let code = match &result {
            // podman reports a container killed for its --timeout as 255 (conmon's -1).
            _ if timed_out.load(Ordering::SeqCst) => Some(255),
            Ok(code) => Some(*code),
            Err(RuntimeError::Failed { code: Some(c), .. }) if *c > 128 => Some(*c),
            Err(e) => e.command_exit_code().map(i32::from),
        };
        let notes = Notes {
            stderr: echo_err
                .and_then(|m| m.into_inner().ok())
                .map(std::sync::Mutex::new),
            log: &log,
        };
        // The profile before the exit is reported, so `rpod wait` can be followed by its use.
        let recorded = recording.map(|(t, s)| finish_recording(t, s, &notes));
        finish_denials(denials, &self.record.name, &notes);
        store.set_container_exited(&id, code.unwrap_or(125), SystemTime::now())?;
        super::control::event(store, &self.record, "died", code.or(Some(125)));
        self.after_exit()?;
        if let Some(Err(e)) = recorded {
            return Err(e);
        }
        match (code, result) {
            (Some(c), Err(e)) if c < 128 => {
                // Not found / cannot invoke: podman prints the runtime's reason and exits
                // 126/127. Detached, the log keeps it.
                if !foreground {
                    log.note(&format!("error: {e}"));
                }
                Err(command_failed(e))
            }
            (Some(c), _) => Ok(ExitStatus::Container(c)),
            (None, Err(e)) => Err(e.into()),
            (None, Ok(_)) => unreachable!("Ok always has a code"),
        }
    }
}

/// The lock the monitor's restart decision and [`Container::hold_restarts`] take (an
/// exclusive `flock` on `restart.lock` in the bundle directory; the kernel drops it when its
/// holder dies). `None` when the bundle is gone (the container was removed).
fn restart_lock(bundle: &std::path::Path) -> Option<fs::File> {
    let path = bundle.join("restart.lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ok()?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).ok()?;
    Some(file)
}

/// Records an exit with `code` now.
fn store_exit(store: &Store, id: &str, code: i32) -> Result<(), Error> {
    Ok(store.set_container_exited(id, code, SystemTime::now())?)
}

/// Stops the denial collector; in the foreground, the one-line summary when something was
/// denied (podman-style quiet otherwise), or why denials were not watched.
fn finish_denials(
    collector: Option<Result<crate::denials::Collector, crate::denials::Error>>,
    name: &str,
    notes: &Notes<'_>,
) {
    let foreground = notes.stderr.is_some();
    let Some(collector) = collector else {
        return;
    };
    match collector.and_then(crate::denials::Collector::finish) {
        Ok(done) => {
            if let (Some(w), true) = (&done.warning, foreground) {
                notes.say(&format!("rpod: warning: seccomp denials: {w}"));
            }
            if let (Some(line), true) = (done.report.summary(name), foreground) {
                notes.say(&line);
            }
            // Complain mode: said in the log too, where a detached container's notes go.
            if let Some(d) = done.delta {
                let (n, path) = (d.allowed, d.path.display());
                let review = if d.needs_review.is_empty() {
                    String::new()
                } else {
                    format!("; needs argument review, not in the delta: {} (record their arguments with the io.rpod.trace-syscall.args annotation)", d.needs_review.join(", "))
                };
                notes.say(&format!(
                    "rpod: complain mode: {n} {} the profile would deny were allowed and logged; profile delta in {path} (rpod seccomp merge PROFILE {path} -o NEW){review}",
                    if n == 1 { "syscall" } else { "syscalls" },
                ));
            }
        }
        Err(e) if foreground => notes.say(&format!(
            "rpod: warning: seccomp denials: {}",
            profiles::chain::one_line(&e)
        )),
        Err(_) => {}
    }
}

/// Reads the recording once the container's last process is gone and writes the profile; the
/// outcome goes to the notes.
fn finish_recording(
    req: &trace::Request,
    session: Session,
    notes: &Notes<'_>,
) -> Result<(), Error> {
    match session.finish_into(req) {
        Ok(w) => {
            for warning in &w.warnings {
                notes.say(&format!("rpod: warning: {warning}"));
            }
            notes.say(&format!(
                "rpod: {} syscalls allowed in {} (counts in {})",
                w.syscalls,
                req.output.display(),
                w.counts.display()
            ));
            Ok(())
        }
        Err(source) => {
            let e = Error::NotRecorded {
                output: req.output.clone(),
                source: Box::new(source),
            };
            if notes.stderr.is_none() {
                notes.say(&format!("rpod: error: {}", profiles::chain::one_line(&e)));
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_recordings_log_line_carries_its_causes() {
        let e = Error::NotRecorded {
            output: "/t/out.json".into(),
            source: Box::new(trace::SessionError::Write(trace::TraceError::Empty)),
        };
        assert!(
            profiles::chain::one_line(&e)
                .starts_with("no profile written to /t/out.json: nothing was recorded"),
            "{}",
            profiles::chain::one_line(&e)
        );
    }
}
