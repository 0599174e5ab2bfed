//! Exec sessions: every `rpod exec` is a session with an id, as podman's are (libpod's
//! `ExecSession`): `exec -d` prints the id, and `inspect` lists the ids as `ExecIDs`.
//!
//! # What podman 4.3.1 does (run here, with crun)
//! - `exec -d` prints the session's 64-hex id; the session stays in `ExecIDs` after its process
//!   exits, with its exit code, and after the container stops, until it is started again
//!   (`stop` then `inspect` lists it; `start` then `inspect` lists none).
//! - An attached `exec` is listed while it runs and removed when it ends.
//! - A command the runtime cannot start is an error (127/126 attached, 125 with `-d`). podman
//!   leaves such a session behind in `ExecIDs`, with no process; rpod removes it: a session
//!   that never ran anything lists nothing a script can use (a deliberate difference).
//!
//! # Layout and crash safety
//! `RUNROOT/containers/ID/exec/` (the bundle directory, gone with the container and at a
//! reboot, as the processes are):
//! - `SESSION.json`: the record ([`ExecSession`]), always replaced whole (a temporary file
//!   renamed over it), so a reader sees the old record or the new one, never a torn one;
//! - `SESSION.pid`: the process's pid, written by the runtime (`exec --pid-file`) once the
//!   process started;
//! - `SESSION.process.json`: for `-d`, the OCI process its monitor runs.
//!
//! A detached session has its own monitor (`rpod container exec-monitor CTR SESSION`, in its
//! own process group, as a container's monitor is): it runs the runtime's `exec` to the end and
//! records the exit code. A session whose monitor is gone without recording one (killed, a
//! crash) is reported exited with -1, as a container whose monitor died is.

use std::fs;
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::{command_failed, Container, Error, ExecRequest};
use crate::exit::ExitStatus;
use crate::runtime::{ExecOptions, ProcessIo};

/// One exec session's record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExecSession {
    /// 64 hex digits, as a container's id.
    pub id: String,
    /// The command line run.
    pub command: Vec<String>,
    /// `exec -d`: kept after it exits, until the container starts again.
    pub detached: bool,
    /// The process that waits for it (rpod's `exec`, or the detached session's monitor).
    pub monitor_pid: i32,
    /// Its exit code once it ended (-1: its monitor died without recording one).
    pub exit_code: Option<i32>,
    /// The runtime's reason when it could not start the command (podman's message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created: SystemTime,
}

/// The exec sessions of one container: the directory that holds them.
#[derive(Debug, Clone)]
pub struct Sessions {
    dir: PathBuf,
}

impl Sessions {
    /// The sessions of the container whose bundle is `bundle`.
    #[must_use]
    pub fn of(bundle: &Path) -> Sessions {
        Sessions {
            dir: bundle.join("exec"),
        }
    }

    fn record_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Where the runtime writes the session's pid.
    #[must_use]
    pub fn pid_file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.pid"))
    }

    fn process_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.process.json"))
    }

    /// Writes a new session's record, making the directory.
    pub(super) fn create(&self, s: &ExecSession) -> Result<(), Error> {
        fs::create_dir_all(&self.dir).map_err(Error::io("create", &self.dir))?;
        self.save(s)
    }

    /// Replaces a session's record whole (a temporary file renamed over it). The directory is
    /// not made again: a container started again meanwhile forgot its sessions, and a monitor
    /// recording a late exit code must not bring them back.
    fn save(&self, s: &ExecSession) -> Result<(), Error> {
        let path = self.record_path(&s.id);
        let tmp = self.dir.join(format!(".{}.json.tmp", s.id));
        let text = serde_json::to_vec(s).map_err(|source| Error::ExecSessionRecord {
            path: path.clone(),
            source,
        })?;
        fs::write(&tmp, text).map_err(Error::io("write", &tmp))?;
        fs::rename(&tmp, &path).map_err(Error::io("write", &path))
    }

    /// The session `id`, if it exists; one whose monitor died without an exit code is
    /// reported exited with -1.
    ///
    /// # Errors
    /// An unreadable record.
    pub fn get(&self, id: &str) -> Result<Option<ExecSession>, Error> {
        let path = self.record_path(id);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("read", &path)(e)),
        };
        let mut s: ExecSession = serde_json::from_slice(&text)
            .map_err(|source| Error::ExecSessionRecord { path, source })?;
        if s.exit_code.is_none() && !super::alive(s.monitor_pid) {
            s.exit_code = Some(-1);
        }
        Ok(Some(s))
    }

    /// Every session, sorted by id.
    ///
    /// # Errors
    /// An unreadable directory or record.
    pub fn list(&self) -> Result<Vec<ExecSession>, Error> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("read", &self.dir)(e)),
        };
        let mut out = Vec::new();
        for e in entries {
            let name = e.map_err(Error::io("read", &self.dir))?.file_name();
            let name = name.to_string_lossy();
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            if id.starts_with('.') || id.ends_with(".process") {
                continue;
            }
            if let Some(s) = self.get(id)? {
                out.push(s);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The pid the runtime wrote for session `id`, once its process started.
    #[must_use]
    pub fn pid(&self, id: &str) -> Option<i32> {
        fs::read_to_string(self.pid_file(id))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Removes session `id`'s files.
    pub(super) fn remove(&self, id: &str) {
        for p in [
            self.record_path(id),
            self.pid_file(id),
            self.process_path(id),
        ] {
            let _ = fs::remove_file(p);
        }
    }

    /// Removes every session (the container starts again: podman forgets them then).
    ///
    /// # Errors
    /// A directory that cannot be removed.
    pub fn remove_all(&self) -> Result<(), Error> {
        match fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("remove", &self.dir)(e))
            }
            _ => Ok(()),
        }
    }
}

/// The stderr an attached exec shares with its runtime: runc and crun print their own failure
/// ("exec failed: unable to start container process: ...") on the stderr they hand to the
/// process, and rpod reports that failure itself, in podman's form. So stderr goes through a
/// pipe: what arrives before the process has started (before the runtime wrote its pid file)
/// is held, and dropped if the runtime then fails with that very message; once the pid file
/// exists everything is passed on as it comes. The runtime writes the pid file only after the
/// process started, so nothing the process writes is dropped: a process that started made the
/// runtime succeed.
struct StderrRelay {
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(Vec<u8>, Box<dyn Write + Send>)>,
}

impl StderrRelay {
    /// Starts relaying; returns the relay and the pipe's write end for the runtime.
    fn start(
        pid_file: PathBuf,
        mut out: Box<dyn Write + Send>,
    ) -> Result<(StderrRelay, std::io::PipeWriter), Error> {
        let (mut reader, writer) = std::io::pipe().map_err(Error::Pipe)?;
        // Non-blocking: the relay stops once the runtime exited and the pipe is drained, even
        // when a background process of the exec still holds the write end.
        let flags = nix::fcntl::fcntl(&reader, nix::fcntl::FcntlArg::F_GETFL)
            .map_err(|e| Error::Pipe(e.into()))?;
        let flags = nix::fcntl::OFlag::from_bits_retain(flags) | nix::fcntl::OFlag::O_NONBLOCK;
        nix::fcntl::fcntl(&reader, nix::fcntl::FcntlArg::F_SETFL(flags))
            .map_err(|e| Error::Pipe(e.into()))?;
        let done = Arc::new(AtomicBool::new(false));
        let finished = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            let mut started = false;
            let mut buf = [0u8; 8192];
            loop {
                // Read before the flag: what the runtime wrote before it exited is in the pipe.
                let last = finished.load(Ordering::Acquire);
                if !started && pid_file.exists() {
                    started = true;
                    let _ = out.write_all(&held);
                    let _ = out.flush();
                    held.clear();
                }
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) if started => {
                        let _ = out.write_all(&buf[..n]);
                        let _ = out.flush();
                    }
                    Ok(n) => held.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if last {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            (held, out)
        });
        Ok((StderrRelay { done, thread }, writer))
    }

    /// Once the runtime exited: passes on what was held, without the lines that are the
    /// runtime's own `failure` message.
    fn finish(self, failure: Option<&str>) {
        self.done.store(true, Ordering::Release);
        let Ok((held, mut out)) = self.thread.join() else {
            return;
        };
        let text = String::from_utf8_lossy(&held);
        let kept: String = text
            .split_inclusive('\n')
            .filter(|line| {
                let l = line.trim();
                !failure.is_some_and(|f| !l.is_empty() && f.contains(l))
            })
            .collect();
        let _ = out.write_all(kept.as_bytes());
        let _ = out.flush();
    }
}

impl Container<'_> {
    /// This container's exec sessions.
    #[must_use]
    pub fn exec_sessions(&self) -> Sessions {
        Sessions::of(&self.record.bundle)
    }

    pub(super) fn new_session(
        &self,
        command: &[String],
        detached: bool,
    ) -> Result<ExecSession, Error> {
        Ok(ExecSession {
            id: super::new_id()?,
            command: command.to_vec(),
            detached,
            monitor_pid: i32::try_from(std::process::id()).unwrap_or(-1),
            exit_code: None,
            error: None,
            created: SystemTime::now(),
        })
    }

    /// Runs another process in the running container as an attached exec session, and
    /// returns its status. Its stderr goes to `err` (see [`StderrRelay`]: the runtime's own
    /// failure line is left out, the returned error says it); the session is listed while it
    /// runs and removed when it ends.
    ///
    /// # Errors
    /// As [`Container::exec`].
    pub fn exec_session(
        &mut self,
        req: &ExecRequest,
        stdin: Stdio,
        stdout: Stdio,
        err: Box<dyn Write + Send>,
    ) -> Result<ExitStatus, Error> {
        let (rt, process) = self.exec_process(req, false)?;
        let sessions = self.exec_sessions();
        let session = self.new_session(&req.command, false)?;
        sessions.create(&session)?;
        let pid_file = sessions.pid_file(&session.id);
        let result = StderrRelay::start(pid_file.clone(), err).and_then(|(relay, writer)| {
            let opts = ExecOptions {
                detach: false,
                pid_file: Some(pid_file),
                console_socket: None,
                io: ProcessIo {
                    stdin,
                    stdout,
                    stderr: writer.into(),
                },
            };
            let r = rt.exec(&self.record.id, &process, opts);
            relay.finish(r.as_ref().err().and_then(|e| e.message()));
            r.map(ExitStatus::Container).map_err(command_failed)
        });
        sessions.remove(&session.id);
        result
    }

    /// `exec -d`: starts the process as a detached session under its own monitor (`monitor`
    /// is the command that runs [`Container::exec_monitor`] for a session id), waits until it
    /// started, and returns the session's id.
    ///
    /// # Errors
    /// As [`Container::exec`]; [`Error::ExecStart`] with the runtime's reason when it could
    /// not start the command; [`Error::SpawnMonitor`].
    pub fn exec_detached(
        &mut self,
        req: &ExecRequest,
        monitor: impl FnOnce(&str) -> std::process::Command,
    ) -> Result<String, Error> {
        let (_rt, process) = self.exec_process(req, false)?;
        let sessions = self.exec_sessions();
        let mut session = self.new_session(&req.command, true)?;
        fs::create_dir_all(&sessions.dir).map_err(Error::io("create", &sessions.dir))?;
        let process_path = sessions.process_path(&session.id);
        let text = serde_json::to_vec(&process).map_err(|source| Error::ExecSessionRecord {
            path: process_path.clone(),
            source,
        })?;
        fs::write(&process_path, text).map_err(Error::io("write", &process_path))?;
        // Recorded before the monitor exists, with rpod's pid: the monitor writes its own.
        sessions.create(&session)?;
        let mut cmd = monitor(&session.id);
        let null = super::null_device(Path::new("/dev/null"))?;
        let clone = || null.try_clone().map_err(Error::SpawnMonitor);
        cmd.stdin(Stdio::from(clone()?))
            .stdout(Stdio::from(clone()?))
            .stderr(Stdio::from(null));
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                sessions.remove(&session.id);
                return Err(Error::SpawnMonitor(e));
            }
        };
        session.monitor_pid = i32::try_from(child.id()).unwrap_or(-1);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let exited = child.try_wait().map_err(Error::SpawnMonitor)?;
            if sessions.pid_file(&session.id).exists() {
                return Ok(session.id);
            }
            match sessions.get(&session.id)? {
                Some(s) if s.error.is_some() => {
                    sessions.remove(&session.id);
                    return Err(Error::ExecStart {
                        message: s.error.unwrap_or_default(),
                    });
                }
                // It ran and ended before we looked.
                Some(s) if s.exit_code.is_some() && exited.is_some() => return Ok(session.id),
                None => return Ok(session.id),
                _ => {}
            }
            if let Some(status) = exited {
                sessions.remove(&session.id);
                return Err(Error::MonitorDied {
                    name: self.record.name.clone(),
                    status,
                });
            }
            if Instant::now() >= deadline {
                return Err(Error::StartTimeout {
                    id: session.id.clone(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The monitor of detached session `id` (`rpod container exec-monitor`): runs its process
    /// to the end and records the exit code, or the runtime's reason when it could not start.
    ///
    /// # Errors
    /// No such session; as [`Container::exec`] for the runtime itself.
    pub fn exec_monitor(&mut self, id: &str) -> Result<(), Error> {
        let sessions = self.exec_sessions();
        let mut session = sessions.get(id)?.ok_or_else(|| Error::NoExecSession {
            id: id.to_string(),
            container: self.record.name.clone(),
        })?;
        session.monitor_pid = i32::try_from(std::process::id()).unwrap_or(-1);
        sessions.save(&session)?;
        let path = sessions.process_path(id);
        let text = fs::read(&path).map_err(Error::io("read", &path))?;
        let process: oci_spec::runtime::Process = serde_json::from_slice(&text)
            .map_err(|source| Error::ExecSessionRecord { path, source })?;
        let rt = self.runtime()?;
        let opts = ExecOptions {
            detach: false,
            pid_file: Some(sessions.pid_file(id)),
            console_socket: None,
            io: ProcessIo::null(),
        };
        match rt.exec(&self.record.id, &process, opts) {
            Ok(code) => session.exit_code = Some(code),
            Err(e) => {
                let e = command_failed(e);
                session.exit_code = Some(e.exit_status().code().into());
                session.error = Some(e.to_string());
            }
        }
        // The container may have started again meanwhile and forgotten its sessions.
        let _ = sessions.save(&session);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, monitor_pid: i32) -> ExecSession {
        ExecSession {
            id: id.into(),
            command: vec!["true".into()],
            detached: true,
            monitor_pid,
            exit_code: None,
            error: None,
            created: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn sessions_are_listed_sorted_and_a_dead_monitor_without_a_code_is_minus_1() {
        let d = tempfile::tempdir().unwrap();
        let s = Sessions::of(d.path());
        let me = i32::try_from(std::process::id()).unwrap();
        s.create(&session("bb", me)).unwrap();
        // pid 0 is no process: the monitor is gone.
        s.create(&session("aa", 0)).unwrap();
        let got = s.list().unwrap();
        assert_eq!(
            got.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["aa", "bb"]
        );
        assert_eq!(got[0].exit_code, Some(-1));
        assert_eq!(got[1].exit_code, None);
        s.remove("aa");
        assert_eq!(s.list().unwrap().len(), 1);
        s.remove_all().unwrap();
        assert!(s.list().unwrap().is_empty());
    }

    #[test]
    fn a_late_exit_code_does_not_bring_back_removed_sessions() {
        let d = tempfile::tempdir().unwrap();
        let s = Sessions::of(d.path());
        s.create(&session("aa", 0)).unwrap();
        s.remove_all().unwrap();
        assert!(s.save(&session("aa", 0)).is_err());
        assert!(s.list().unwrap().is_empty());
    }

    fn relayed(held_and_live: &[u8], failure: Option<&str>, started: bool) -> Vec<u8> {
        #[derive(Clone)]
        struct Shared(Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let d = tempfile::tempdir().unwrap();
        let pid_file = d.path().join("pid");
        if started {
            fs::write(&pid_file, "1").unwrap();
        }
        let out = Shared(Arc::default());
        let (relay, mut w) = StderrRelay::start(pid_file, Box::new(out.clone())).unwrap();
        w.write_all(held_and_live).unwrap();
        drop(w);
        relay.finish(failure);
        let got = out.0.lock().unwrap().clone();
        got
    }

    #[test]
    fn the_runtimes_own_failure_line_is_dropped_and_nothing_else() {
        let msg = "exec failed: unable to start container process: exec: \"x\": executable file not found in $PATH";
        assert_eq!(
            relayed(format!("{msg}\n").as_bytes(), Some(msg), false),
            b""
        );
        assert_eq!(
            relayed(format!("other\n{msg}\n").as_bytes(), Some(msg), false),
            b"other\n"
        );
    }

    #[test]
    fn a_started_process_keeps_all_its_stderr_and_a_success_drops_nothing() {
        let msg = "exec failed: x";
        assert_eq!(
            relayed(b"exec failed: x\n", Some(msg), true),
            b"exec failed: x\n"
        );
        assert_eq!(
            relayed(b"exec failed: x\n", None, false),
            b"exec failed: x\n"
        );
    }
}
