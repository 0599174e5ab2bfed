//! runc, the reference OCI runtime and rpod's default (Debian 12: 1.1.5, libseccomp 2.5.4).
//!
//! runc turns `linux.seccomp` into a libseccomp filter, adds a stub that returns ENOSYS for
//! syscall numbers above the highest one in the profile, and drops a rule whose action equals
//! the default action. On cgroup v1 it works with the controllers this machine mounts.

use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;
use oci_spec::runtime::Process;

use super::cli::Cli;
use super::{CreateOptions, ExecOptions, OciRuntime, ProcessIo, RuntimeDirs, RuntimeError, State};

/// The `runc` binary at a path, with its state and logs in `dirs`.
#[derive(Debug, Clone)]
pub struct Runc {
    cli: Cli,
}

impl Runc {
    #[must_use]
    pub fn new(binary: PathBuf, dirs: RuntimeDirs) -> Runc {
        Runc {
            cli: Cli::new("runc", binary, dirs),
        }
    }
}

impl OciRuntime for Runc {
    fn name(&self) -> &'static str {
        self.cli.name
    }

    fn binary(&self) -> &Path {
        &self.cli.binary
    }

    fn dirs(&self) -> &RuntimeDirs {
        &self.cli.dirs
    }

    fn version(&self) -> Result<String, RuntimeError> {
        self.cli.version()
    }

    fn create(&self, id: &str, bundle: &Path, opts: CreateOptions) -> Result<(), RuntimeError> {
        self.cli.create(id, bundle, opts)
    }

    fn start(&self, id: &str) -> Result<(), RuntimeError> {
        self.cli.start(id)
    }

    fn state(&self, id: &str) -> Result<State, RuntimeError> {
        self.cli.state(id)
    }

    fn kill(&self, id: &str, signal: Signal, all: bool) -> Result<(), RuntimeError> {
        self.cli.kill(id, signal, all)
    }

    fn delete(&self, id: &str, force: bool) -> Result<(), RuntimeError> {
        self.cli.delete(id, force)
    }

    fn exec(&self, id: &str, process: &Process, opts: ExecOptions) -> Result<i32, RuntimeError> {
        self.cli.exec(id, process, opts)
    }

    fn run(&self, id: &str, bundle: &Path, io: ProcessIo) -> Result<i32, RuntimeError> {
        self.cli.run(id, bundle, io)
    }
}
