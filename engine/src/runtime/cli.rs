//! The command line runc and crun share: global `--root`, `--log`, `--log-format json`, then
//! `create`, `start`, `state`, `kill`, `delete`, `exec`, `run`. The one place rpod spawns a
//! runtime.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use nix::sys::signal::Signal;
use oci_spec::runtime::Process;
use serde::Deserialize;

use super::error::RuntimeError;
use super::{CreateOptions, ExecOptions, OciRuntime, ProcessIo, RuntimeDirs, State};

/// One runtime binary and where it keeps state and logs.
#[derive(Debug, Clone)]
pub struct Cli {
    pub name: &'static str,
    pub binary: PathBuf,
    pub dirs: RuntimeDirs,
}

/// A line of the runtime's `--log-format json` log: runc (logrus) and crun both write
/// `{"level": ..., "msg": ..., "time": ...}`.
#[derive(Deserialize)]
struct LogLine {
    #[serde(default)]
    level: String,
    #[serde(default)]
    msg: String,
}

/// Where the container's log was before a call, so only that call's lines are read.
struct LogMark {
    path: PathBuf,
    offset: u64,
}

/// runc validates ids with `^[\w+-\.]+$`; rpod also keeps them off dot files, as the id
/// names the log file.
fn check_id(id: &str) -> Result<(), RuntimeError> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::InvalidId { id: id.into() })
    }
}

impl Cli {
    pub fn new(name: &'static str, binary: PathBuf, dirs: RuntimeDirs) -> Cli {
        Cli { name, binary, dirs }
    }

    pub fn log_path(&self, id: &str) -> PathBuf {
        super::log_file(&self.dirs, id)
    }

    fn command(&self, log: Option<&Path>) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--root").arg(&self.dirs.root);
        if let Some(l) = log {
            cmd.arg("--log").arg(l).arg("--log-format").arg("json");
        }
        cmd
    }

    fn mark(&self, id: &str) -> Result<LogMark, RuntimeError> {
        check_id(id)?;
        std::fs::create_dir_all(&self.dirs.log_dir).map_err(|source| RuntimeError::Io {
            what: "create the runtime log directory",
            path: self.dirs.log_dir.clone(),
            source,
        })?;
        let path = self.log_path(id);
        let offset = std::fs::metadata(&path).map_or(0, |m| m.len());
        Ok(LogMark { path, offset })
    }

    /// Error and fatal messages the runtime logged since `mark`, joined.
    fn logged_errors(mark: &LogMark) -> Vec<String> {
        let Ok(mut f) = std::fs::File::open(&mark.path) else {
            return Vec::new();
        };
        let mut text = String::new();
        if f.seek(SeekFrom::Start(mark.offset)).is_err() || f.read_to_string(&mut text).is_err() {
            return Vec::new();
        }
        text.lines()
            .filter_map(|l| serde_json::from_str::<LogLine>(l).ok())
            .filter(|l| matches!(l.level.as_str(), "error" | "fatal" | "panic"))
            .map(|l| l.msg.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect()
    }

    fn failed(
        &self,
        op: &'static str,
        id: &str,
        code: Option<i32>,
        mark: &LogMark,
        stderr: &[u8],
    ) -> RuntimeError {
        let logged = Self::logged_errors(mark);
        let message = if logged.is_empty() {
            let s = String::from_utf8_lossy(stderr).trim().to_string();
            if s.is_empty() {
                format!("no message (see {})", mark.path.display())
            } else {
                s
            }
        } else {
            logged.join("; ")
        };
        RuntimeError::Failed {
            runtime: self.name.into(),
            op,
            id: id.into(),
            code,
            message,
        }
    }

    fn spawn_err(&self, op: &'static str) -> impl FnOnce(std::io::Error) -> RuntimeError + '_ {
        move |source| RuntimeError::Spawn {
            runtime: self.name.into(),
            op,
            source,
        }
    }

    /// Runs a command whose output rpod reads (not the container's).
    fn output(&self, op: &'static str, id: &str, args: &[&str]) -> Result<Output, RuntimeError> {
        let mark = self.mark(id)?;
        let out = self
            .command(Some(&mark.path))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(self.spawn_err(op))?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(self.failed(op, id, out.status.code(), &mark, &out.stderr))
        }
    }

    /// Runs a command whose stdio belongs to the container; returns its exit code, or the
    /// runtime's error when the runtime itself logged one.
    fn attached(
        &self,
        op: &'static str,
        id: &str,
        mut cmd: Command,
        io: ProcessIo,
        mark: &LogMark,
    ) -> Result<i32, RuntimeError> {
        let status = cmd
            .stdin(io.stdin)
            .stdout(io.stdout)
            .stderr(io.stderr)
            .status()
            .map_err(self.spawn_err(op))?;
        let logged = Self::logged_errors(mark);
        match status.code() {
            // The container's own status (runc and crun exit with it, 128+N for signal N)
            // unless the runtime logged an error of its own.
            Some(c) if logged.is_empty() => Ok(c),
            code => Err(self.failed(op, id, code, mark, &[])),
        }
    }

    pub fn version(&self) -> Result<String, RuntimeError> {
        let out = self
            .command(None)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(self.spawn_err("--version"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let first = text.lines().next().unwrap_or_default();
        if !out.status.success() || first.is_empty() {
            return Err(RuntimeError::Failed {
                runtime: self.name.into(),
                op: "--version",
                id: String::new(),
                code: out.status.code(),
                message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        // "runc version 1.1.5+ds1", "crun version 1.8.1"
        Ok(first
            .split_once("version ")
            .map_or(first, |(_, v)| v)
            .trim()
            .to_string())
    }

    pub fn create(&self, id: &str, bundle: &Path, opts: CreateOptions) -> Result<(), RuntimeError> {
        let mark = self.mark(id)?;
        let mut cmd = self.command(Some(&mark.path));
        cmd.arg("create").arg("--bundle").arg(bundle);
        if let Some(p) = &opts.pid_file {
            cmd.arg("--pid-file").arg(p);
        }
        if let Some(s) = &opts.console_socket {
            cmd.arg("--console-socket").arg(s);
        }
        cmd.arg(id);
        // `create` exits once the container is created; its status is the runtime's.
        match self.attached("create", id, cmd, opts.io, &mark)? {
            0 => Ok(()),
            code => Err(self.failed("create", id, Some(code), &mark, &[])),
        }
    }

    pub fn start(&self, id: &str) -> Result<(), RuntimeError> {
        self.output("start", id, &["start", id]).map(drop)
    }

    pub fn state(&self, id: &str) -> Result<State, RuntimeError> {
        // A query, polled while `run` starts the container: it must not write its "container
        // does not exist" into the log `run` reads its own errors from (the runtime prints
        // them on stderr without --log).
        check_id(id)?;
        let out = self
            .command(None)
            .args(["state", id])
            .stdin(Stdio::null())
            .output()
            .map_err(self.spawn_err("state"))?;
        if !out.status.success() {
            return Err(RuntimeError::Failed {
                runtime: self.name.into(),
                op: "state",
                id: id.into(),
                code: out.status.code(),
                message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        serde_json::from_slice(&out.stdout).map_err(|source| RuntimeError::State {
            runtime: self.name.into(),
            id: id.into(),
            output: String::from_utf8_lossy(&out.stdout).into_owned(),
            source,
        })
    }

    pub fn kill(&self, id: &str, signal: Signal, all: bool) -> Result<(), RuntimeError> {
        let sig = (signal as i32).to_string();
        let mut args = vec!["kill"];
        if all {
            args.push("--all");
        }
        args.extend([id, sig.as_str()]);
        self.output("kill", id, &args).map(drop)
    }

    pub fn pause(&self, id: &str) -> Result<(), RuntimeError> {
        self.output("pause", id, &["pause", id]).map(drop)
    }

    pub fn resume(&self, id: &str) -> Result<(), RuntimeError> {
        self.output("resume", id, &["resume", id]).map(drop)
    }

    pub fn delete(&self, id: &str, force: bool) -> Result<(), RuntimeError> {
        let mut args = vec!["delete"];
        if force {
            args.push("--force");
        }
        args.push(id);
        self.output("delete", id, &args)?;
        match std::fs::remove_file(self.log_path(id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(RuntimeError::Io {
                what: "remove the runtime log",
                path: self.log_path(id),
                source: e,
            }),
            _ => Ok(()),
        }
    }

    pub fn exec(
        &self,
        id: &str,
        process: &Process,
        opts: ExecOptions,
    ) -> Result<i32, RuntimeError> {
        // The exec's own log, not the container's: the container's monitor reads the errors
        // logged since its `run` began when the container exits, and took an exec's failure
        // ("executable file not found") for the container's, recording 127 (issue 13).
        self.mark(id)?;
        let io_err = |what, source| RuntimeError::Io {
            what,
            path: self.dirs.log_dir.clone(),
            source,
        };
        let file = tempfile::Builder::new()
            .prefix(&format!("{id}.exec-"))
            .suffix(".json")
            .tempfile_in(&self.dirs.log_dir)
            .map_err(|e| io_err("create the exec process file in", e))?;
        serde_json::to_writer(file.as_file(), process)
            .map_err(|e| io_err("write the exec process file in", std::io::Error::other(e)))?;
        let log = tempfile::Builder::new()
            .prefix(&format!("{id}.exec-"))
            .suffix(".log")
            .tempfile_in(&self.dirs.log_dir)
            .map_err(|e| io_err("create the exec log file in", e))?;
        let mark = LogMark {
            path: log.path().to_path_buf(),
            offset: 0,
        };
        let mut cmd = self.command(Some(&mark.path));
        cmd.arg("exec").arg("--process").arg(file.path());
        if opts.detach {
            cmd.arg("--detach");
        }
        if let Some(p) = &opts.pid_file {
            cmd.arg("--pid-file").arg(p);
        }
        if let Some(s) = &opts.console_socket {
            cmd.arg("--tty").arg("--console-socket").arg(s);
        }
        cmd.arg(id);
        self.attached("exec", id, cmd, opts.io, &mark)
    }

    pub fn run(&self, id: &str, bundle: &Path, io: ProcessIo) -> Result<i32, RuntimeError> {
        self.run_preserving_fds(id, bundle, io, 0)
    }

    /// `run --preserve-fds N`: the runtime hands rpod's fds 3 .. 3+N (inherited, not
    /// close-on-exec) to the container's process (runc(8), crun(1)).
    pub fn run_preserving_fds(
        &self,
        id: &str,
        bundle: &Path,
        io: ProcessIo,
        fds: u32,
    ) -> Result<i32, RuntimeError> {
        let mark = self.mark(id)?;
        let mut cmd = self.command(Some(&mark.path));
        cmd.arg("run");
        if fds > 0 {
            cmd.arg("--preserve-fds").arg(fds.to_string());
        }
        cmd.arg("--bundle").arg(bundle).arg(id);
        let result = self.attached("run", id, cmd, io, &mark);
        // The runtime removed the container when it exited; its log has been read.
        let _ = std::fs::remove_file(&mark.path);
        result
    }
}

/// Both runtimes take the same command line for everything rpod uses.
impl OciRuntime for Cli {
    fn name(&self) -> &'static str {
        self.name
    }

    fn binary(&self) -> &Path {
        &self.binary
    }

    fn dirs(&self) -> &RuntimeDirs {
        &self.dirs
    }

    fn version(&self) -> Result<String, RuntimeError> {
        Cli::version(self)
    }

    fn create(&self, id: &str, bundle: &Path, opts: CreateOptions) -> Result<(), RuntimeError> {
        Cli::create(self, id, bundle, opts)
    }

    fn start(&self, id: &str) -> Result<(), RuntimeError> {
        Cli::start(self, id)
    }

    fn state(&self, id: &str) -> Result<State, RuntimeError> {
        Cli::state(self, id)
    }

    fn kill(&self, id: &str, signal: Signal, all: bool) -> Result<(), RuntimeError> {
        Cli::kill(self, id, signal, all)
    }

    fn pause(&self, id: &str) -> Result<(), RuntimeError> {
        Cli::pause(self, id)
    }

    fn resume(&self, id: &str) -> Result<(), RuntimeError> {
        Cli::resume(self, id)
    }

    fn delete(&self, id: &str, force: bool) -> Result<(), RuntimeError> {
        Cli::delete(self, id, force)
    }

    fn exec(&self, id: &str, process: &Process, opts: ExecOptions) -> Result<i32, RuntimeError> {
        Cli::exec(self, id, process, opts)
    }

    fn run(&self, id: &str, bundle: &Path, io: ProcessIo) -> Result<i32, RuntimeError> {
        Cli::run(self, id, bundle, io)
    }

    fn run_preserving_fds(
        &self,
        id: &str,
        bundle: &Path,
        io: ProcessIo,
        fds: u32,
    ) -> Result<i32, RuntimeError> {
        Cli::run_preserving_fds(self, id, bundle, io, fds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_before_they_name_files() {
        for ok in ["abc", "0123456789ab", "web-1.2_x+y"] {
            assert!(check_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "../x", "a b", "ä"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_only_this_calls_error_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(
            &path,
            "{\"level\":\"error\",\"msg\":\"old\",\"time\":\"t\"}\n",
        )
        .unwrap();
        let mark = LogMark {
            offset: std::fs::metadata(&path).unwrap().len(),
            path: path.clone(),
        };
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"level\":\"info\",\"msg\":\"noise\"}\n");
        text.push_str(
            "{\"level\":\"error\",\"msg\":\"runc run failed: seccomp: bad\",\"time\":\"t\"}\n",
        );
        text.push_str("not json\n");
        std::fs::write(&path, text).unwrap();
        assert_eq!(Cli::logged_errors(&mark), ["runc run failed: seccomp: bad"]);
    }
}
