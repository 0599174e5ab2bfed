//! runc, the reference OCI runtime and rpod's default (Debian 12: 1.1.5, libseccomp 2.5.4).
//!
//! runc turns `linux.seccomp` into a libseccomp filter, adds a stub that returns ENOSYS for
//! syscall numbers above the highest one in the profile, and drops a rule whose action equals
//! the default action. On cgroup v1 it works with the controllers this machine mounts.

use std::path::PathBuf;

use super::cli::Cli;
use super::RuntimeDirs;

/// The `runc` binary at a path, with its state and logs in `dirs`.
pub type Runc = Cli;

/// A runc runtime.
#[must_use]
pub fn new(binary: PathBuf, dirs: RuntimeDirs) -> Runc {
    Cli::new("runc", binary, dirs)
}
