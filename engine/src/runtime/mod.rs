//! The seam to the OCI runtime: [`OciRuntime`], implemented by [`Runc`] and [`Crun`] by
//! invoking their binaries, so the rest of the engine does not care which one runs a
//! container.
//!
//! Terms (OCI runtime spec, "lifecycle"): `create` sets the container up from a bundle and
//! leaves its process waiting before the user's program; `start` lets it exec; `state` reports
//! `created`, `running` or `stopped`; `kill` signals it; `delete` removes what the runtime
//! keeps (`--force` kills a running one first). `run` is create + start + wait in one call,
//! with the runtime as the parent of the container process (no monitor needed), and `exec`
//! starts another process in a running container.
//!
//! Every call passes `--root` (the runtime's state directory, under rpod's runroot) and
//! `--log FILE --log-format json` (one log per container), and an error carries what the
//! runtime logged ([`RuntimeError::Failed`]).
//!
//! After `create` the container's first process is not rpod's child: the runtime exits and
//! the process is reparented. Whoever waits for it (the per-container monitor) must be a
//! child subreaper (`PR_SET_CHILD_SUBREAPER`) or read its status from the runtime.
//!
//! ```no_run
//! use std::path::Path;
//! use rpod::runtime::{self, ProcessIo};
//!
//! let rt = runtime::from_name("runc", Path::new("/run/rpod"))?;
//! // A bundle written with rpod::bundle::write_bundle.
//! let code = rt.run("c1", Path::new("/var/lib/rpod/c1/bundle"), ProcessIo::inherit())?;
//! println!("{} {} exited with {code}", rt.name(), rt.version()?);
//! # Ok::<(), rpod::runtime::RuntimeError>(())
//! ```

mod cli;
pub use cli::Cli;
pub mod crun;
mod error;
#[cfg(test)]
pub(crate) mod fake;
pub mod handoff;
pub mod runc;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;
use oci_spec::runtime::Process;
use serde::Deserialize;

pub use crun::Crun;
pub use error::{Denied, RuntimeError};
pub use runc::Runc;

/// The runtime used when none is asked for, as podman on Debian.
pub const DEFAULT_RUNTIME: &str = "runc";

/// Where a runtime keeps its state (`--root`) and rpod keeps its per-container logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeDirs {
    pub root: PathBuf,
    pub log_dir: PathBuf,
}

impl RuntimeDirs {
    /// `RUNROOT/runtime/NAME` for state and `RUNROOT/runtime/NAME-log` for logs. The state
    /// directory is the runtime's alone (runc and crun list every entry in it).
    #[must_use]
    pub fn under(runroot: &Path, name: &str) -> RuntimeDirs {
        let base = runroot.join("runtime");
        RuntimeDirs {
            root: base.join(name),
            log_dir: base.join(format!("{name}-log")),
        }
    }
}

/// The container's status as the runtime reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        })
    }
}

/// `runtime state ID` (OCI runtime spec "state"; runc and crun add fields, ignored here).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct State {
    pub id: String,
    pub status: Status,
    /// The container's first process on the host; 0 once stopped.
    #[serde(default)]
    pub pid: i32,
    pub bundle: PathBuf,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// Standard input, output and error of the container's process (in the runtime's
/// pass-through mode the runtime hands its own stdio to the container).
#[derive(Debug)]
pub struct ProcessIo {
    pub stdin: std::process::Stdio,
    pub stdout: std::process::Stdio,
    pub stderr: std::process::Stdio,
}

impl ProcessIo {
    /// rpod's own stdio.
    #[must_use]
    pub fn inherit() -> ProcessIo {
        ProcessIo {
            stdin: std::process::Stdio::inherit(),
            stdout: std::process::Stdio::inherit(),
            stderr: std::process::Stdio::inherit(),
        }
    }

    /// `/dev/null` for all three.
    #[must_use]
    pub fn null() -> ProcessIo {
        ProcessIo {
            stdin: std::process::Stdio::null(),
            stdout: std::process::Stdio::null(),
            stderr: std::process::Stdio::null(),
        }
    }
}

/// How to create a container.
#[derive(Debug)]
pub struct CreateOptions {
    /// The runtime writes the container process's pid here.
    pub pid_file: Option<PathBuf>,
    /// For `process.terminal`: a unix socket on which the runtime sends the pty master
    /// (SCM_RIGHTS), as conmon receives it. Required by runc and crun when the spec asks for
    /// a terminal.
    pub console_socket: Option<PathBuf>,
    /// The container process's stdio (ignored with a terminal).
    pub io: ProcessIo,
}

/// How to run another process in a container.
#[derive(Debug)]
pub struct ExecOptions {
    /// Return once the process started instead of waiting for it.
    pub detach: bool,
    pub pid_file: Option<PathBuf>,
    /// Allocate a terminal and send its master on this socket.
    pub console_socket: Option<PathBuf>,
    pub io: ProcessIo,
}

/// An OCI runtime. Container ids are `[A-Za-z0-9_+.-]+`, not starting with `.`.
pub trait OciRuntime: fmt::Debug + Send + Sync {
    /// `runc` or `crun`.
    fn name(&self) -> &'static str;

    /// The binary invoked.
    fn binary(&self) -> &Path;

    /// Its state and log directories.
    fn dirs(&self) -> &RuntimeDirs;

    /// The runtime's version (`1.1.5+ds1`), from `--version`.
    ///
    /// # Errors
    ///
    /// When the binary cannot be run or prints no version.
    fn version(&self) -> Result<String, RuntimeError>;

    /// `create --bundle BUNDLE ID`: the container exists, its process waits to be started.
    ///
    /// # Errors
    ///
    /// With the runtime's message when it refuses the bundle (a bad seccomp profile, a
    /// missing command, an rlimit it may not raise).
    fn create(&self, id: &str, bundle: &Path, opts: CreateOptions) -> Result<(), RuntimeError>;

    /// `start ID`: the container's process execs the user's program.
    ///
    /// # Errors
    ///
    /// With the runtime's message.
    fn start(&self, id: &str) -> Result<(), RuntimeError>;

    /// `state ID`.
    ///
    /// # Errors
    ///
    /// With the runtime's message; [`RuntimeError::is_missing_container`] tells a container
    /// that does not exist.
    fn state(&self, id: &str) -> Result<State, RuntimeError>;

    /// `kill [--all] ID SIGNAL`: `all` signals every process in the container.
    ///
    /// # Errors
    ///
    /// With the runtime's message (a stopped container cannot be signalled).
    fn kill(&self, id: &str, signal: Signal, all: bool) -> Result<(), RuntimeError>;

    /// `pause ID`: freezes every process of the container (the cgroup freezer).
    ///
    /// # Errors
    ///
    /// With the runtime's message (a container that is not running cannot be paused).
    fn pause(&self, id: &str) -> Result<(), RuntimeError>;

    /// `resume ID`: thaws a paused container.
    ///
    /// # Errors
    ///
    /// With the runtime's message (a container that is not paused cannot be resumed).
    fn resume(&self, id: &str) -> Result<(), RuntimeError>;

    /// `delete [--force] ID`, and the container's runtime log.
    ///
    /// # Errors
    ///
    /// With the runtime's message (a running container needs `force`).
    fn delete(&self, id: &str, force: bool) -> Result<(), RuntimeError>;

    /// `exec --process FILE ID`: runs `process` in the container; returns its exit code, or
    /// 0 once it started when `detach`.
    ///
    /// # Errors
    ///
    /// With the runtime's message when the process cannot be started.
    fn exec(&self, id: &str, process: &Process, opts: ExecOptions) -> Result<i32, RuntimeError>;

    /// `run --bundle BUNDLE ID`: create, start, wait; returns the container's exit code
    /// (128 + N when killed by signal N). The runtime removes the container afterwards, and
    /// rpod its log. With `process.terminal` the runtime uses rpod's own terminal (stdin
    /// must be one).
    ///
    /// # Errors
    ///
    /// With the runtime's message when the runtime itself failed (it logged an error),
    /// as opposed to the container exiting non-zero.
    fn run(&self, id: &str, bundle: &Path, io: ProcessIo) -> Result<i32, RuntimeError>;

    /// [`OciRuntime::run`], passing the caller's file descriptors 3 .. 3+`fds` on to the
    /// container (`--preserve-fds`, podman's socket activation).
    ///
    /// # Errors
    ///
    /// As [`OciRuntime::run`].
    fn run_preserving_fds(
        &self,
        id: &str,
        bundle: &Path,
        io: ProcessIo,
        fds: u32,
    ) -> Result<i32, RuntimeError>;

    /// The JSON log the runtime writes for container `id`.
    fn log_path(&self, id: &str) -> PathBuf {
        log_file(self.dirs(), id)
    }
}

fn log_file(dirs: &RuntimeDirs, id: &str) -> PathBuf {
    dirs.log_dir.join(format!("{id}.json"))
}

/// Where podman looks for a runtime besides `$PATH` (containers/common `OCIRuntimes`).
fn fallback_paths(name: &str) -> Vec<PathBuf> {
    [
        "/usr/bin",
        "/usr/sbin",
        "/usr/local/bin",
        "/usr/local/sbin",
        "/sbin",
        "/bin",
    ]
    .iter()
    .map(|d| Path::new(d).join(name))
    .collect()
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn find(name: &str) -> Result<PathBuf, RuntimeError> {
    let in_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let fallback = fallback_paths(name);
    in_path
        .into_iter()
        .chain(fallback.iter().cloned())
        .find(|p| is_executable(p))
        .ok_or_else(|| RuntimeError::NotFound {
            name: name.into(),
            searched: fallback.iter().map(|p| p.display().to_string()).collect(),
        })
}

/// Finds the runtime a container names. The engine looks runtimes up only through this seam,
/// so lifecycle logic runs against a fake in unit tests.
pub trait Runtimes: fmt::Debug + Send + Sync {
    /// The runtime called `name` (as `--runtime` takes it: `runc`, `crun` or a path).
    ///
    /// # Errors
    /// When the name is unknown or the binary is not found.
    fn get(&self, name: &str) -> Result<Box<dyn OciRuntime>, RuntimeError>;
}

/// The runtimes installed on this machine ([`from_name`]), keeping state under a runroot.
#[derive(Debug, Clone)]
pub struct Installed {
    runroot: PathBuf,
}

impl Installed {
    #[must_use]
    pub fn new(runroot: &Path) -> Installed {
        Installed {
            runroot: runroot.to_path_buf(),
        }
    }
}

impl Runtimes for Installed {
    fn get(&self, name: &str) -> Result<Box<dyn OciRuntime>, RuntimeError> {
        from_name(name, &self.runroot)
    }
}

/// The runtime for `--runtime NAME`: `runc`, `crun` (looked up in `$PATH`, then where podman
/// looks), or a path to a binary (crun if its file name starts with `crun`, otherwise a
/// runtime with runc's command line). State and logs go under `runroot`.
///
/// # Errors
///
/// When the name is unknown or the binary is not found.
pub fn from_name(name: &str, runroot: &Path) -> Result<Box<dyn OciRuntime>, RuntimeError> {
    if name.contains('/') {
        let path = PathBuf::from(name);
        if !is_executable(&path) {
            return Err(RuntimeError::NotFound {
                name: name.into(),
                searched: vec![name.into()],
            });
        }
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(if file.starts_with("crun") {
            Box::new(crun::new(path, RuntimeDirs::under(runroot, "crun")))
        } else {
            Box::new(runc::new(path, RuntimeDirs::under(runroot, "runc")))
        });
    }
    match name {
        "runc" => Ok(Box::new(runc::new(
            find("runc")?,
            RuntimeDirs::under(runroot, "runc"),
        ))),
        "crun" => Ok(Box::new(crun::new(
            find("crun")?,
            RuntimeDirs::under(runroot, "crun"),
        ))),
        _ => Err(RuntimeError::Unknown { name: name.into() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_live_under_the_runroot() {
        let d = RuntimeDirs::under(Path::new("/run/rpod"), "runc");
        assert_eq!(d.root, Path::new("/run/rpod/runtime/runc"));
        assert_eq!(d.log_dir, Path::new("/run/rpod/runtime/runc-log"));
    }

    #[test]
    fn from_name_knows_runc_crun_and_paths() {
        let e = from_name("kata", Path::new("/run/rpod")).unwrap_err();
        assert!(matches!(e, RuntimeError::Unknown { .. }), "{e}");
        let e = from_name("/nonexistent/crun", Path::new("/run/rpod")).unwrap_err();
        assert!(matches!(e, RuntimeError::NotFound { .. }), "{e}");
        // A runtime given by path is classified by its file name.
        let dir = tempfile::tempdir().unwrap();
        for (file, name) in [
            ("crun-1.8", "crun"),
            ("runc.amd64", "runc"),
            ("youki", "runc"),
        ] {
            let p = dir.path().join(file);
            std::fs::write(&p, "#!/bin/sh\necho \"$(basename $0) version 9.9\"\n").unwrap();
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            let rt = from_name(p.to_str().unwrap(), dir.path()).unwrap();
            assert_eq!(rt.name(), name);
            assert_eq!(rt.binary(), p);
            assert_eq!(rt.version().unwrap(), "9.9");
        }
    }

    #[test]
    fn parses_runc_and_crun_state() {
        // `runc state` (1.1.5) and `crun state` (1.8.1) output.
        let runc = r#"{"ociVersion": "1.0.2-dev", "id": "c1", "pid": 4242, "status": "running",
            "bundle": "/b", "rootfs": "/b/rootfs", "created": "2024-01-01T00:00:00Z", "owner": ""}"#;
        let s: State = serde_json::from_str(runc).unwrap();
        assert_eq!((s.status, s.pid), (Status::Running, 4242));
        let crun = r#"{"ociVersion": "1.0.0", "id": "c1", "pid": 0, "status": "stopped",
            "bundle": "/b", "rootfs": "/b/rootfs", "created": "2024-01-01T00:00:00Z",
            "annotations": {"a": "b"}, "systemd-scope": "x", "owner": "root"}"#;
        let s: State = serde_json::from_str(crun).unwrap();
        assert_eq!(s.status, Status::Stopped);
        assert_eq!(s.annotations["a"], "b");
    }
}
