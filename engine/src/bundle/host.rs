//! What a container's configuration depends on besides the user's flags: the facts of the
//! machine and of rpod's own process, read once per container.
//!
//! Kept apart so [`super::ContainerConfig::to_oci_on`] is a pure function of its inputs (unit
//! tests and the golden file use a fixed [`Host`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use profiles::caps::CAPABILITIES;
use profiles::model::KernelVersion;
use profiles::Arch;

use super::error::BundleError;
use super::ulimit::{UlimitKind, UNLIMITED};

/// `CAP_SYS_RESOURCE`: lets a process raise a hard rlimit.
const CAP_SYS_RESOURCE: u8 = 24;

/// Facts of this machine and of rpod's process that shape a container's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The architecture seccomp profiles are resolved for (`includes.arches`, `archMap`).
    pub arch: Arch,
    /// The running kernel, for `includes.minKernel`; `None` takes every rule as applicable.
    pub kernel: Option<KernelVersion>,
    /// rpod's capability bounding set (`CapBnd`): what a runtime it starts can grant. `ALL`
    /// and `--privileged` mean exactly these, as in podman.
    pub bounding_caps: BTreeSet<String>,
    /// Whether rpod holds CAP_SYS_RESOURCE (effective), so limits may exceed its own.
    pub can_raise_rlimits: bool,
    /// rpod's hard limit for each resource; a missing kind means unlimited.
    pub hard_limits: BTreeMap<UlimitKind, u64>,
    /// cgroup v2 unified mode (then a container gets its own cgroup namespace, as in podman).
    pub cgroup2: bool,
    /// Whether the pids controller is mounted, so podman's default pids limit can apply.
    pub pids_controller: bool,
}

impl Host {
    /// Reads the facts of this machine and process.
    ///
    /// # Errors
    ///
    /// When `/proc/self/status` or a resource limit cannot be read.
    pub fn current() -> Result<Host, BundleError> {
        let status =
            std::fs::read_to_string("/proc/self/status").map_err(|source| BundleError::Host {
                what: "the capabilities (/proc/self/status)",
                source,
            })?;
        let mask = |field: &str| -> Result<u64, BundleError> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
                .ok_or_else(|| BundleError::Host {
                    what: "the capabilities (/proc/self/status)",
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("no {field} line"),
                    ),
                })
        };
        let bounding = mask("CapBnd:")?;
        let effective = mask("CapEff:")?;
        let bounding_caps = CAPABILITIES
            .iter()
            .filter(|(_, bit)| bounding & (1u64 << bit) != 0)
            .map(|(name, _)| (*name).to_string())
            .collect();
        let mut hard_limits = BTreeMap::new();
        for kind in UlimitKind::ALL {
            let (_, hard) =
                nix::sys::resource::getrlimit(kind.resource()).map_err(|e| BundleError::Host {
                    what: "the resource limits",
                    source: e.into(),
                })?;
            if hard != UNLIMITED {
                hard_limits.insert(*kind, hard);
            }
        }
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .and_then(|r| r.trim().parse().ok());
        let controllers = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers").ok();
        let cgroup2 = controllers.is_some();
        let pids_controller = match &controllers {
            Some(c) => c.split_whitespace().any(|c| c == "pids"),
            None => Path::new("/sys/fs/cgroup/pids").is_dir(),
        };
        Ok(Host {
            arch: Arch::native(),
            kernel,
            bounding_caps,
            can_raise_rlimits: effective & (1u64 << CAP_SYS_RESOURCE) != 0,
            hard_limits,
            cgroup2,
            pids_controller,
        })
    }

    /// rpod's hard limit for `kind` ([`UNLIMITED`] when there is none).
    #[must_use]
    pub fn hard_limit(&self, kind: UlimitKind) -> u64 {
        self.hard_limits.get(&kind).copied().unwrap_or(UNLIMITED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let h = Host::current().expect("host facts are readable");
        assert_eq!(h.arch, Arch::native());
        assert!(h.bounding_caps.iter().all(|c| profiles::caps::is_known(c)));
        let (_, nofile) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
        assert_eq!(h.hard_limit(UlimitKind::Nofile), nofile);
    }
}
