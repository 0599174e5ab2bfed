//! crun, the C OCI runtime (Debian 12: 1.8.1).
//!
//! Same command line as runc for everything rpod uses. crun 1.8.1 refuses a cgroup v1 hybrid
//! host unless every v1 controller it knows is mounted ("cgroups in hybrid mode not
//! supported"); on such a machine the `hugetlb` controller must be mounted first (see
//! NOTES.md). crun caches compiled seccomp filters and accepts raw BPF in the annotation
//! `run.oci.seccomp_bpf_data`.

use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;
use oci_spec::runtime::Process;

use super::cli::Cli;
use super::{CreateOptions, ExecOptions, OciRuntime, ProcessIo, RuntimeDirs, RuntimeError, State};

/// The `crun` binary at a path, with its state and logs in `dirs`.
#[derive(Debug, Clone)]
pub struct Crun {
    cli: Cli,
}

impl Crun {
    #[must_use]
    pub fn new(binary: PathBuf, dirs: RuntimeDirs) -> Crun {
        Crun {
            cli: Cli::new("crun", binary, dirs),
        }
    }
}

impl OciRuntime for Crun {
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
