//! Resolving `includes`/`excludes` and `archMap` for one container context, the way podman's
//! containers/common and moby do before handing a profile to the runtime.
//!
//! The context is the *host* architecture (moby and podman match `includes.arches` against the
//! engine's own GOARCH, and the resulting rule then applies to every arch in the filter), the
//! container's capability set (`includes.caps` needs all listed caps, `excludes.caps` drops the
//! rule if any is held) and the kernel version (`includes.minKernel` needs at least that kernel;
//! rpod reads `excludes.minKernel` symmetrically: the rule is dropped from that kernel on).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::arch::Arch;
use crate::bpf::Action;
use crate::caps;
use crate::model::{ActionKind, ArgCondition, Filter, Flag, KernelVersion, Profile};

/// EPERM, what runc returns for ERRNO and TRACE rules without `errnoRet`.
pub const DEFAULT_ERRNO: u16 = 1;

/// The container a profile is resolved for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub host_arch: Arch,
    pub caps: BTreeSet<String>,
    /// `None` takes every `minKernel` as satisfied (a current kernel).
    pub kernel: Option<KernelVersion>,
}

impl Default for Context {
    /// The native arch, podman's default capabilities, a current kernel.
    fn default() -> Self {
        Context {
            host_arch: Arch::native(),
            caps: caps::PODMAN_DEFAULT
                .iter()
                .map(|c| (*c).to_string())
                .collect(),
            kernel: None,
        }
    }
}

impl Context {
    fn kernel_at_least(&self, v: KernelVersion) -> bool {
        self.kernel.is_none_or(|k| k >= v)
    }

    fn included(&self, f: &Filter) -> bool {
        (f.caps.is_empty() || f.caps.iter().all(|c| self.caps.contains(c)))
            && (f.arches.is_empty() || f.arches.iter().any(|a| a.arch == self.host_arch))
            && f.min_kernel.is_none_or(|v| self.kernel_at_least(v))
    }

    fn excluded(&self, f: &Filter) -> bool {
        f.caps.iter().any(|c| self.caps.contains(c))
            || f.arches.iter().any(|a| a.arch == self.host_arch)
            || f.min_kernel.is_some_and(|v| self.kernel_at_least(v))
    }
}

/// A rule as the runtime receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedRule {
    pub names: Vec<String>,
    pub action: Action,
    pub args: Vec<ArgCondition>,
    /// Index of the rule in the profile's `syscalls[]`.
    pub origin: usize,
}

/// A profile flattened for one context: what runc or crun would be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub default_action: Action,
    /// The filter's architectures; the first is the host's.
    pub arches: Vec<Arch>,
    pub rules: Vec<ResolvedRule>,
    pub flags: Vec<Flag>,
    /// Indices of rules dropped by `includes`/`excludes`.
    pub dropped: Vec<usize>,
}

/// The concrete action for an `SCMP_ACT_*` and its `errnoRet`.
#[must_use]
pub fn action(kind: ActionKind, errno_ret: Option<u32>) -> Action {
    let data = errno_ret.map_or(DEFAULT_ERRNO, |e| {
        // Loading already bounds errnos to 4095.
        u16::try_from(e).unwrap_or(u16::MAX)
    });
    match kind {
        ActionKind::KillProcess => Action::KillProcess,
        ActionKind::Kill | ActionKind::KillThread => Action::KillThread,
        ActionKind::Trap => Action::Trap(0),
        ActionKind::Errno => Action::Errno(data),
        ActionKind::Notify => Action::UserNotif,
        ActionKind::Trace => Action::Trace(data),
        ActionKind::Log => Action::Log,
        ActionKind::Allow => Action::Allow,
    }
}

impl Profile {
    /// The architectures the filter covers on `host`: the host itself, `architectures`, and the
    /// `archMap` entry for the host.
    #[must_use]
    pub fn arches_for(&self, host: Arch) -> Vec<Arch> {
        let mut out = vec![host];
        let extra = self.architectures.iter().copied().chain(
            self.arch_map
                .iter()
                .filter(|m| m.architecture == host)
                .flat_map(|m| m.sub_architectures.iter().copied()),
        );
        for a in extra {
            if !out.contains(&a) {
                out.push(a);
            }
        }
        out
    }

    /// Flattens the profile for `cx`.
    #[must_use]
    pub fn resolve(&self, cx: &Context) -> Resolved {
        let mut rules = Vec::new();
        let mut dropped = Vec::new();
        for (i, r) in self.syscalls.iter().enumerate() {
            if cx.included(&r.includes) && !cx.excluded(&r.excludes) {
                rules.push(ResolvedRule {
                    names: r.names.clone(),
                    action: action(r.action, r.errno_ret),
                    args: r.args.clone(),
                    origin: i,
                });
            } else {
                dropped.push(i);
            }
        }
        Resolved {
            default_action: action(self.default_action, self.default_errno_ret),
            arches: self.arches_for(cx.host_arch),
            rules,
            flags: self.flags.clone(),
            dropped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load;

    const PROFILE: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
        "syscalls": [
          {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
          {"names": ["clone3"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.3"}}
        ]}"#;

    fn names(r: &Resolved) -> Vec<&str> {
        r.rules
            .iter()
            .flat_map(|r| r.names.iter().map(String::as_str))
            .collect()
    }

    #[test]
    fn caps_arch_and_kernel_select_rules() {
        let p = load::from_str(PROFILE).unwrap().profile;
        let mut cx = Context {
            host_arch: Arch::X86_64,
            caps: BTreeSet::new(),
            kernel: Some(KernelVersion {
                major: 4,
                minor: 19,
            }),
        };
        let r = p.resolve(&cx);
        assert_eq!(names(&r), ["read", "bpf", "arch_prctl"]);
        assert_eq!(r.arches, [Arch::X86_64, Arch::X86, Arch::X32]);
        assert_eq!(r.default_action, Action::Errno(38));

        cx.caps.insert("CAP_SYS_ADMIN".into());
        cx.host_arch = Arch::Aarch64;
        cx.kernel = Some(KernelVersion { major: 6, minor: 1 });
        let r = p.resolve(&cx);
        assert_eq!(names(&r), ["read", "mount", "clone3"]);
        assert_eq!(r.arches, [Arch::Aarch64, Arch::Arm]);
    }

    #[test]
    fn errno_defaults_to_eperm_like_runc() {
        assert_eq!(action(ActionKind::Errno, None), Action::Errno(1));
        assert_eq!(action(ActionKind::Trace, None), Action::Trace(1));
        assert_eq!(action(ActionKind::Kill, None), Action::KillThread);
    }
}
