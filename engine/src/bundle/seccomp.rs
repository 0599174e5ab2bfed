//! A seccomp profile to the `linux.seccomp` section a runtime receives.
//!
//! The profile is first resolved for the container (`profiles::resolve`): `includes`/`excludes`
//! against its bounding capability set (containers/common checks
//! `Process.Capabilities.Bounding`), the host's architecture and kernel; `archMap` becomes the
//! host's architecture plus its sub-architectures. What is left is exactly what runc and crun
//! hand to libseccomp, with every errno spelled out (`errnoRet`) so the runtime's own default
//! (EPERM) never decides.

use oci_spec::runtime::{
    Arch as OciArch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArg, LinuxSeccompArgBuilder,
    LinuxSeccompBuilder, LinuxSeccompFilterFlag, LinuxSeccompOperator, LinuxSyscall,
    LinuxSyscallBuilder,
};
use profiles::bpf::Action;
use profiles::model::{ActionKind, ArgCondition, Op, Profile};
use profiles::resolve::Context;

use super::error::BundleError;
use super::host::Host;

/// The action as oci-spec's type, with its data: [`Action::to_oci`] says which OCI action and
/// data an action is (TRAP without data, as runc and crun take it).
fn action(a: Action) -> (LinuxSeccompAction, Option<u32>) {
    let (kind, data) = a.to_oci();
    let oci = match kind {
        ActionKind::KillProcess => LinuxSeccompAction::ScmpActKillProcess,
        ActionKind::Kill => LinuxSeccompAction::ScmpActKill,
        ActionKind::KillThread => LinuxSeccompAction::ScmpActKillThread,
        ActionKind::Trap => LinuxSeccompAction::ScmpActTrap,
        ActionKind::Errno => LinuxSeccompAction::ScmpActErrno,
        ActionKind::Notify => LinuxSeccompAction::ScmpActNotify,
        ActionKind::Trace => LinuxSeccompAction::ScmpActTrace,
        ActionKind::Log => LinuxSeccompAction::ScmpActLog,
        ActionKind::Allow => LinuxSeccompAction::ScmpActAllow,
    };
    (oci, data)
}

fn op(o: Op) -> LinuxSeccompOperator {
    match o {
        Op::Ne => LinuxSeccompOperator::ScmpCmpNe,
        Op::Lt => LinuxSeccompOperator::ScmpCmpLt,
        Op::Le => LinuxSeccompOperator::ScmpCmpLe,
        Op::Eq => LinuxSeccompOperator::ScmpCmpEq,
        Op::Ge => LinuxSeccompOperator::ScmpCmpGe,
        Op::Gt => LinuxSeccompOperator::ScmpCmpGt,
        Op::MaskedEq => LinuxSeccompOperator::ScmpCmpMaskedEq,
    }
}

fn arg(c: &ArgCondition) -> Result<LinuxSeccompArg, BundleError> {
    let mut b = LinuxSeccompArgBuilder::default()
        .index(usize::from(c.index))
        .value(c.value)
        .op(op(c.op));
    // valueTwo only means something for MASKED_EQ; runtimes read a missing one as 0.
    if c.op == Op::MaskedEq || c.value_two != 0 {
        b = b.value_two(c.value_two);
    }
    b.build().map_err(|source| BundleError::Build {
        what: "seccomp argument condition",
        source,
    })
}

/// oci-spec spells architectures and flags as closed enums; the profile's names are the
/// same strings, so they convert through serde, and a name oci-spec lacks is reported.
fn by_name<T: serde::de::DeserializeOwned>(name: &str, what: &str) -> Result<T, BundleError> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| {
        BundleError::Unrepresentable {
            what: format!("the seccomp {what} {name}"),
        }
    })
}

/// `profile` resolved for a container with bounding set `caps` on `host`.
pub(crate) fn to_oci(
    profile: &Profile,
    caps: &[&str],
    host: &Host,
) -> Result<LinuxSeccomp, BundleError> {
    let cx = Context {
        host_arch: host.arch,
        caps: caps.iter().map(|c| (*c).to_string()).collect(),
        kernel: host.kernel,
    };
    let resolved = profile.resolve(&cx);
    let (default_action, default_errno) = action(resolved.default_action);
    let architectures = resolved
        .arches
        .iter()
        .map(|a| by_name::<OciArch>(a.scmp_name(), "architecture"))
        .collect::<Result<Vec<_>, _>>()?;
    let flags = resolved
        .flags
        .iter()
        .map(|f| by_name::<LinuxSeccompFilterFlag>(f.name(), "flag"))
        .collect::<Result<Vec<_>, _>>()?;
    let syscalls = resolved
        .rules
        .iter()
        .map(|r| {
            let (act, errno) = action(r.action);
            let mut b = LinuxSyscallBuilder::default()
                .names(r.names.clone())
                .action(act);
            if let Some(e) = errno {
                b = b.errno_ret(e);
            }
            if !r.args.is_empty() {
                b = b.args(r.args.iter().map(arg).collect::<Result<Vec<_>, _>>()?);
            }
            b.build().map_err(|source| BundleError::Build {
                what: "seccomp rule",
                source,
            })
        })
        .collect::<Result<Vec<LinuxSyscall>, _>>()?;
    let mut b = LinuxSeccompBuilder::default()
        .default_action(default_action)
        .architectures(architectures)
        .syscalls(syscalls);
    if let Some(e) = default_errno {
        b = b.default_errno_ret(e);
    }
    if !flags.is_empty() {
        b = b.flags(flags);
    }
    if let Some(p) = &profile.listener_path {
        b = b.listener_path(p);
    }
    if let Some(m) = &profile.listener_metadata {
        b = b.listener_metadata(m);
    }
    b.build().map_err(|source| BundleError::Build {
        what: "seccomp section",
        source,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use profiles::default_profile::default_profile;
    use profiles::{load, Arch};

    use super::*;

    fn host() -> Host {
        Host {
            arch: Arch::X86_64,
            kernel: None,
            bounding_caps: BTreeSet::new(),
            can_raise_rlimits: false,
            hard_limits: BTreeMap::new(),
            cgroup2: false,
            pids_controller: true,
        }
    }

    /// The action a resolved section gives `name` when no argument matters.
    fn action_of(s: &LinuxSeccomp, name: &str) -> Vec<(LinuxSeccompAction, Option<u32>)> {
        s.syscalls()
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter(|r| r.names().iter().any(|n| n == name))
            .map(|r| (r.action(), r.errno_ret()))
            .collect()
    }

    #[test]
    fn default_profile_for_default_caps_denies_what_podman_denies() {
        let caps: Vec<&str> = profiles::caps::PODMAN_DEFAULT.to_vec();
        let s = to_oci(&default_profile(), &caps, &host()).unwrap();
        assert_eq!(s.default_action(), LinuxSeccompAction::ScmpActErrno);
        assert_eq!(s.default_errno_ret(), Some(38));
        assert_eq!(
            s.architectures().as_deref().unwrap(),
            [
                OciArch::ScmpArchX86_64,
                OciArch::ScmpArchX86,
                OciArch::ScmpArchX32
            ]
        );
        let eperm = (LinuxSeccompAction::ScmpActErrno, Some(1));
        for denied in [
            "bpf",
            "perf_event_open",
            "userfaultfd",
            "kexec_load",
            "mount",
        ] {
            let got = action_of(&s, denied);
            if denied == "mount" {
                // podman's profile allows mount; capabilities stop it.
                assert_eq!(got, [(LinuxSeccompAction::ScmpActAllow, None)]);
            } else {
                assert_eq!(got, [eperm], "{denied}");
            }
        }
        // Rules for other arches are gone.
        assert!(action_of(&s, "s390_runtime_instr").is_empty());
        assert_eq!(action_of(&s, "arch_prctl").len(), 1);
    }

    #[test]
    fn capability_dependent_rules_follow_the_bounding_set() {
        let mut caps: Vec<&str> = profiles::caps::PODMAN_DEFAULT.to_vec();
        caps.push("CAP_SYS_ADMIN");
        let s = to_oci(&default_profile(), &caps, &host()).unwrap();
        assert_eq!(
            action_of(&s, "bpf"),
            [(LinuxSeccompAction::ScmpActAllow, None)]
        );
    }

    #[test]
    fn arguments_errnos_and_flags_are_carried_over() {
        let p = load::from_str(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                "syscalls": [
                  {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
                   "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
                  {"names": ["clone"], "action": "SCMP_ACT_KILL_PROCESS",
                   "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
                  {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}
                ]}"#,
        )
        .unwrap()
        .profile;
        let s = to_oci(&p, &[], &host()).unwrap();
        assert_eq!(s.default_errno_ret(), None);
        assert_eq!(
            s.flags().as_deref().unwrap(),
            [LinuxSeccompFilterFlag::SeccompFilterFlagLog]
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json["syscalls"],
            serde_json::json!([
              {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
               "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
              {"names": ["clone"], "action": "SCMP_ACT_KILL_PROCESS",
               "args": [{"index": 0, "value": 2_114_060_288_u64, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
              {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
            ])
        );
    }

    #[test]
    fn what_oci_spec_cannot_say_is_an_error() {
        let p = load::from_str(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC_ESRCH"], "syscalls": []}"#,
        )
        .unwrap()
        .profile;
        let e = to_oci(&p, &[], &host()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the OCI runtime spec cannot express the seccomp flag SECCOMP_FILTER_FLAG_TSYNC_ESRCH"
        );
    }
}
