//! crun, the C OCI runtime (Debian 12: 1.8.1).
//!
//! Same command line as runc for everything rpod uses. crun 1.8.1 refuses a cgroup v1 hybrid
//! host unless every v1 controller it knows is mounted ("cgroups in hybrid mode not
//! supported"); on such a machine the `hugetlb` controller must be mounted first
//! (`docs/host.md`, "Cgroups"). crun caches compiled seccomp filters and accepts raw BPF in the annotation
//! `run.oci.seccomp_bpf_data`.

use std::path::PathBuf;

use super::cli::Cli;
use super::RuntimeDirs;

/// The `crun` binary at a path, with its state and logs in `dirs`.
pub type Crun = Cli;

/// A crun runtime.
#[must_use]
pub fn new(binary: PathBuf, dirs: RuntimeDirs) -> Crun {
    Cli::new("crun", binary, dirs)
}
