//! What a runtime does between installing the container's seccomp filter and exec'ing the
//! workload: the *handoff*. The filter sees these calls, so a recorded profile must allow them,
//! and for the profile to start the container under either runtime it must allow both
//! runtimes' handoffs, whichever one the recording ran under. A profile that denies one of the
//! chosen runtime's handoff calls kills (or fails) the runtime before the workload starts, and
//! runc says only "container process is already dead": [`check`] says which calls, before the
//! container is created.
//!
//! Measured with rpod's recorder on runc 1.1.5 and crun 1.8.1 (Debian 12), with and without
//! `no-new-privileges` (runc installs the filter before dropping capabilities when it is off,
//! right before execve when it is on; crun likewise), 6 runs each, and 30 more runs of runc:
//! only the Go runtime's `futex` and `rt_sigreturn` came and went (a profile recorded without
//! `futex` crashed runc with "futexwakeup ... returned -1").
//!
//! `rpod exec` has a handoff of its own ([`EXEC_HANDOFF`]): `runc exec`/`crun exec` enter the
//! running container, install its filter and exec the command, with other calls than at run
//! (crun's exec `statx`es `/proc/self/setgroups`, `fchown`s the stdio fds, calls `umask` and
//! `ioctl(TCGETS)`; issue 14: a profile without `statx` failed every `rpod exec` under crun).
//! Measured with rpod's recorder following the exec'd processes (`tracer`'s
//! `follow_pid_namespace`), runc 1.1.5 and crun 1.8.1, with and without no-new-privileges,
//! 9 recordings of each of the 4 combinations (6 with 3 plain execs each, 3 with 6 execs each:
//! plain, `--user 1:1`, `-w /tmp`, `-i`, `-t`, `-it`): every call below was seen in all 9
//! recordings of its runtime with no-new-privileges off, except runc's `fchown` (3 of 9: the
//! ones with `--user` and `-t`), `futex` (2 of 9) and `rt_sigreturn` (1 of 9); with
//! no-new-privileges the handoff is a subset, the same in all 9 (runc: close, epoll_ctl,
//! execve, fstatfs, getdents64, openat; crun: close, execve, umask, write). Every recorded
//! container profile allows both runtimes' run and exec handoffs ([`syscalls`]).
//!
//! The handoff's argument values ([`HANDOFF_ARGS`]) were measured the same way, for the
//! syscalls whose arguments rpod records by default: a recorded profile that restricts
//! `prctl`, `fcntl` or `ioctl` allows these values so the runtimes still start the workload.

use std::path::Path;

use oci_spec::runtime::Spec;
use profiles::analysis::allows;
use profiles::bpf;
use profiles::bpf::Action;
use profiles::enforce::{enforce, Target};
use profiles::model::{ArgCondition, Op};
use profiles::resolve::Context;
use profiles::solve;
use sha2::{Digest as _, Sha256};

use super::error::{Denied, RuntimeError};

/// Which runtime makes a handoff call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Both,
    Runc,
    Crun,
}

/// Every handoff call, with the runtime that makes it.
const HANDOFF: &[(&str, Who)] = &[
    // Both runtimes.
    ("capset", Who::Both),
    ("close", Who::Both),
    ("execve", Who::Both),
    ("prctl", Who::Both),
    ("write", Who::Both),
    // runc: finalizing the process (capabilities, user, cwd, fds, sync with its parent).
    ("capget", Who::Runc),
    ("chdir", Who::Runc),
    ("epoll_ctl", Who::Runc),
    ("faccessat2", Who::Runc),
    ("fcntl", Who::Runc),
    ("fstat", Who::Runc),
    ("fstatfs", Who::Runc),
    ("getcwd", Who::Runc),
    ("getdents64", Who::Runc),
    ("getpid", Who::Runc),
    ("getppid", Who::Runc),
    ("newfstatat", Who::Runc),
    ("openat", Who::Runc),
    ("read", Who::Runc),
    ("setgid", Who::Runc),
    ("setgroups", Who::Runc),
    ("setuid", Who::Runc),
    // crun: user and signal setup.
    ("rt_sigaction", Who::Crun),
    ("rt_sigprocmask", Who::Crun),
    ("setresgid", Who::Crun),
    ("setresuid", Who::Crun),
    // The Go runtime (runc): a wakeup and a preemption signal's return, seen in 3 of 30 runs
    // of `true`; the other 28 calls of the handoff were the same in every run.
    ("futex", Who::Runc),
    ("rt_sigreturn", Who::Runc),
];

/// What `runc exec`/`crun exec` call between installing the container's filter in the process
/// they start and exec'ing the command (`rpod exec`), with the runtime that makes it.
const EXEC_HANDOFF: &[(&str, Who)] = &[
    // Both runtimes.
    ("capset", Who::Both),
    ("close", Who::Both),
    ("execve", Who::Both),
    // The owner of the stdio fds (runc: with --user or -t; crun: always).
    ("fchown", Who::Both),
    ("openat", Who::Both),
    ("prctl", Who::Both),
    ("read", Who::Both),
    ("setgroups", Who::Both),
    // runc: as at run, without getpid, getppid and write.
    ("capget", Who::Runc),
    ("chdir", Who::Runc),
    ("epoll_ctl", Who::Runc),
    ("faccessat2", Who::Runc),
    ("fcntl", Who::Runc),
    ("fstat", Who::Runc),
    ("fstatfs", Who::Runc),
    ("getcwd", Who::Runc),
    ("getdents64", Who::Runc),
    ("newfstatat", Who::Runc),
    ("setgid", Who::Runc),
    ("setuid", Who::Runc),
    // The Go runtime, now and then (futex 2 of 9, rt_sigreturn 1 of 9 recordings).
    ("futex", Who::Runc),
    ("rt_sigreturn", Who::Runc),
    // crun: `statx("/proc/self/setgroups")`, `ioctl(TCGETS)` on stdio, the umask, the user.
    ("ioctl", Who::Crun),
    ("setresgid", Who::Crun),
    ("setresuid", Who::Crun),
    ("statx", Who::Crun),
    ("umask", Who::Crun),
    ("write", Who::Crun),
];

/// Argument values a handoff passes, for a syscall whose argument rpod records by default
/// ([`profiles::record::default_arg`]): `(syscall, argument index, mask, values)`. Measured
/// with the handoffs above (run and exec, both runtimes, no-new-privileges off; with it on the
/// handoffs make none of these calls).
pub const HANDOFF_ARGS: &[(&str, u8, u64, &[u64])] = &[
    // PR_SET_KEEPCAPS (8), PR_CAPBSET_DROP (24), PR_CAP_AMBIENT (47): both runtimes, run and
    // exec, when they drop capabilities after the filter is in place.
    ("prctl", 0, 0xffff_ffff, &[8, 24, 47]),
    // F_SETFD (2): runc marks its fds close-on-exec.
    ("fcntl", 1, 0xffff_ffff, &[2]),
    // TCGETS (0x5401): crun's exec asks whether stdio is a terminal.
    ("ioctl", 1, 0xffff_ffff, &[0x5401]),
];

/// The values the handoffs pass in argument `index` of `syscall`, masked with `mask`; `None`
/// when they were not measured for that argument (or for bits outside the measured mask).
#[must_use]
pub fn arg_values(syscall: &str, index: u8, mask: u64) -> Option<Vec<u64>> {
    let &(.., values) = HANDOFF_ARGS
        .iter()
        .find(|&&(name, i, m, _)| name == syscall && i == index && mask & !m == 0)?;
    let mut out: Vec<u64> = values.iter().map(|v| v & mask).collect();
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The portable handoff, both runtimes' calls at run and at exec: allowed by every recorded
/// container profile.
pub fn syscalls() -> impl Iterator<Item = &'static str> {
    HANDOFF.iter().map(|&(name, _)| name).chain(
        EXEC_HANDOFF
            .iter()
            .map(|&(name, _)| name)
            .filter(|n| !HANDOFF.iter().any(|&(h, _)| h == *n)),
    )
}

/// The exec handoff of the runtime called `runtime`; `None` for a runtime whose handoff was
/// not measured.
#[must_use]
pub fn of_runtime_exec(runtime: &str) -> Option<Vec<&'static str>> {
    of_runtime_in(EXEC_HANDOFF, runtime)
}

/// The handoff of the runtime called `runtime` (as [`super::OciRuntime::name`] says), in
/// [`syscalls`]' order; `None` for a runtime whose handoff was not measured.
#[must_use]
pub fn of_runtime(runtime: &str) -> Option<Vec<&'static str>> {
    of_runtime_in(HANDOFF, runtime)
}

/// The calls of `table` that `runtime` makes (its own and both runtimes'), in the table's order.
fn of_runtime_in(table: &[(&'static str, Who)], runtime: &str) -> Option<Vec<&'static str>> {
    let own = match runtime {
        "runc" => Who::Runc,
        "crun" => Who::Crun,
        _ => return None,
    };
    Some(
        table
            .iter()
            .filter(|&&(_, who)| who == Who::Both || who == own)
            .map(|&(name, _)| name)
            .collect(),
    )
}

/// The handoff calls of `runtime` that the seccomp filter in `spec` denies for some or all
/// arguments, sorted by name, judged on the filter libseccomp builds from `linux.seccomp` (exactly what the
/// runtime is given) on the host's architecture. Empty when there is no filter, the runtime's
/// handoff is not known, or libseccomp cannot build the filter (the runtime then reports that
/// itself).
#[must_use]
pub fn denied(runtime: &str, spec: &Spec) -> Vec<Denied> {
    let Some(handoff) = of_runtime(runtime) else {
        return Vec::new();
    };
    let Some(seccomp) = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) else {
        return Vec::new();
    };
    // Back to the profile model through the OCI JSON the runtime reads: what is checked is what
    // the runtime gets, after rpod resolved `includes`/`excludes` for the container.
    let Ok(json) = serde_json::to_string(seccomp) else {
        return Vec::new();
    };
    let Ok(loaded) = profiles::load::from_str(&json) else {
        return Vec::new();
    };
    let resolved = loaded.profile.resolve(&Context::default());
    // The filter the runtime really installs (runc: its ENOSYS stub in front of libseccomp's).
    let Ok(target) = runtime.parse::<Target>() else {
        return Vec::new();
    };
    let Ok(installed) = enforce(&resolved, None, target) else {
        return Vec::new();
    };
    let host = resolved.arches[..1].to_vec();
    let mut handoff = handoff;
    handoff.sort_unstable();
    handoff
        .into_iter()
        .filter_map(|name| {
            // Every combination of the conditions on `name` (one point each): the filter acts
            // the same way inside one.
            let mut atoms: Vec<_> = resolved
                .rules
                .iter()
                .filter(|r| r.names.iter().any(|n| n == name))
                .flat_map(|r| r.args.iter().copied())
                .collect();
            // A call whose argument values the handoff passes were measured needs those values
            // only: a profile may allow, say, prctl for PR_CAPBSET_DROP and the workload's
            // options and nothing else.
            let measured = HANDOFF_ARGS.iter().find(|&&(n, ..)| n == name);
            if let Some(&(_, index, mask, values)) = measured {
                atoms.extend(values.iter().map(|&v| ArgCondition {
                    index,
                    value: mask,
                    value_two: v,
                    op: Op::MaskedEq,
                }));
            }
            let cells = solve::cells(&atoms, u64::MAX);
            let mut actions: Vec<Action> = Vec::new();
            let needed = |c: &solve::Cell| {
                measured.is_none_or(|&(_, index, mask, values)| {
                    values
                        .iter()
                        .any(|&v| c.witness[usize::from(index)] & mask == v)
                })
            };
            for c in cells.cells.iter().filter(|c| needed(c)) {
                let Some(arch) = host.first().copied() else {
                    continue;
                };
                let Some(nr) = profiles::syscalls::number(arch, name) else {
                    continue;
                };
                let a = bpf::simulate(&installed.program, arch, nr, c.witness).action;
                if !actions.contains(&a) {
                    actions.push(a);
                }
            }
            let first_denial = actions
                .iter()
                .copied()
                .find(|a| !allows(*a) && !tolerated(name, *a))?;
            Some(Denied {
                syscall: name,
                action: first_denial,
                partly: actions.iter().any(|a| allows(*a)),
            })
        })
        .collect()
}

/// Refuses a container whose filter denies a call of `runtime`'s handoff ([`denied`]);
/// `profile` names the filter's source in the error.
///
/// The check is bounded as every analysis of a user's profile is
/// ([`profiles::solve::SEARCH_BUDGET`] search states): a profile of many masked argument rules
/// kept `rpod run` busy 6 to 11 s (issue 12). Past the budget the container is refused, not let
/// through unchecked: a runtime killed in its handoff can hang (runc's init with one thread
/// killed waited out its 300 s timeout).
///
/// # Errors
/// [`RuntimeError::HandoffDenied`], naming the runtime and the calls;
/// [`RuntimeError::HandoffUnchecked`] past the search budget.
pub fn check(runtime: &'static str, profile: &str, spec: &Spec) -> Result<(), RuntimeError> {
    let denied = solve::bounded(solve::SEARCH_BUDGET, || denied(runtime, spec)).map_err(|e| {
        RuntimeError::HandoffUnchecked {
            runtime,
            profile: profile.to_string(),
            budget: e.budget,
        }
    })?;
    if denied.is_empty() {
        return Ok(());
    }
    Err(RuntimeError::HandoffDenied {
        runtime,
        profile: profile.to_string(),
        needed: of_runtime(runtime).map_or(0, |h| h.len()),
        denied,
    })
}

/// Whether the runtime survives `action` on its handoff call `name`: runc's Go runtime asks
/// `faccessat2` first and falls back to `faccessat` when it fails with ENOSYS or EPERM
/// (`golang.org/x/sys/unix.Faccessat`), so a profile older than `faccessat2` (Linux 5.8),
/// such as one whose highest syscall is below it under runc's ENOSYS stub, still runs.
fn tolerated(name: &str, action: Action) -> bool {
    const ENOSYS: u16 = 38;
    const EPERM: u16 = 1;
    name == "faccessat2" && matches!(action, Action::Errno(ENOSYS | EPERM))
}

/// [`check`], remembered in `dir` (under the runroot, cleared at boot): building the filter with
/// libseccomp to check it takes tens of milliseconds, paid once per profile and runtime instead
/// of at every container start (podman's default profile: `rpod create` went from about 30 ms
/// to 60 ms). A pass leaves an empty file named after the runtime and the SHA-256 of the
/// `linux.seccomp` JSON the runtime is given, which is all the check reads; a refusal is not
/// remembered. Failing to remember is not an error: the next start checks again.
///
/// # Errors
/// As [`check`].
pub fn check_remembered(
    dir: &Path,
    runtime: &'static str,
    profile: &str,
    spec: &Spec,
) -> Result<(), RuntimeError> {
    let Some(seccomp) = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) else {
        return Ok(());
    };
    let Ok(json) = serde_json::to_vec(seccomp) else {
        return check(runtime, profile, spec);
    };
    let marker = dir.join(format!("{runtime}-{}", hex::encode(Sha256::digest(&json))));
    if marker.is_file() {
        return Ok(());
    }
    check(runtime, profile, spec)?;
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = std::fs::write(&marker, b"");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_handoff_syscall_has_a_libseccomp_name() {
        for s in syscalls() {
            assert!(profiles::syscalls::is_known(s), "{s}");
        }
        let mut sorted: Vec<&str> = syscalls().collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), syscalls().count(), "no duplicates");
        let mut exec: Vec<&str> = EXEC_HANDOFF.iter().map(|&(n, _)| n).collect();
        exec.sort_unstable();
        exec.dedup();
        assert_eq!(exec.len(), EXEC_HANDOFF.len(), "no duplicates");
        for (name, ..) in HANDOFF_ARGS {
            assert!(profiles::syscalls::is_known(name), "{name}");
        }
    }

    /// Issue 14: crun's exec path calls statx on /proc/self/setgroups after the filter is
    /// installed; a recorded profile lacking it failed every `rpod exec` under crun.
    #[test]
    fn the_portable_handoff_covers_both_runtimes_exec_handoffs() {
        let all: BTreeSet<&str> = syscalls().collect();
        for runtime in ["runc", "crun"] {
            for s in of_runtime_exec(runtime).unwrap() {
                assert!(all.contains(s), "{runtime} exec: {s}");
            }
        }
        let crun = of_runtime_exec("crun").unwrap();
        for s in ["statx", "fchown", "umask", "ioctl", "setgroups"] {
            assert!(crun.contains(&s), "{s}");
        }
        assert_eq!(all.len(), 32, "{all:?}");
        assert_eq!(of_runtime_exec("kata"), None);
    }

    #[test]
    fn the_handoffs_argument_values_are_given_for_the_measured_argument_only() {
        assert_eq!(arg_values("prctl", 0, 0xffff_ffff), Some(vec![8, 24, 47]));
        // A narrower mask: the measured values, masked.
        assert_eq!(arg_values("prctl", 0, 0xff), Some(vec![8, 24, 47]));
        assert_eq!(arg_values("fcntl", 1, 0xffff_ffff), Some(vec![2]));
        // Another argument, or bits beyond the measured ones: not measured.
        assert_eq!(arg_values("prctl", 1, 0xffff_ffff), None);
        assert_eq!(arg_values("prctl", 0, u64::MAX), None);
        assert_eq!(arg_values("write", 0, u64::MAX), None);
    }

    #[test]
    fn each_runtime_has_its_own_handoff_and_the_portable_one_is_their_union() {
        let runc = of_runtime("runc").expect("runc's handoff");
        let crun = of_runtime("crun").expect("crun's handoff");
        assert_eq!(runc.len(), 24);
        assert_eq!(crun.len(), 9);
        for s in ["setgroups", "setuid", "futex"] {
            assert!(runc.contains(&s) && !crun.contains(&s), "{s}");
        }
        for s in ["setresuid", "setresgid", "rt_sigprocmask"] {
            assert!(crun.contains(&s) && !runc.contains(&s), "{s}");
        }
        let union: BTreeSet<&str> = runc.iter().chain(&crun).copied().collect();
        let all: BTreeSet<&str> = syscalls().collect();
        assert!(all.is_superset(&union));
        assert_eq!(of_runtime("kata"), None);
    }

    #[test]
    fn a_runtimes_calls_are_its_own_and_both_runtimes_in_the_tables_order() {
        let table = [("b", Who::Runc), ("a", Who::Both), ("c", Who::Crun)];
        assert_eq!(of_runtime_in(&table, "runc"), Some(vec!["b", "a"]));
        assert_eq!(of_runtime_in(&table, "crun"), Some(vec!["a", "c"]));
        assert_eq!(of_runtime_in(&table, "youki"), None);
        assert_eq!(of_runtime("crun"), of_runtime_in(HANDOFF, "crun"));
        assert_eq!(of_runtime_exec("runc"), of_runtime_in(EXEC_HANDOFF, "runc"));
    }

    /// A spec whose `linux.seccomp` is `profile` (OCI JSON, as the runtime reads it).
    fn spec_with(profile: &str) -> Spec {
        let seccomp: oci_spec::runtime::LinuxSeccomp =
            serde_json::from_str(profile).expect("OCI seccomp JSON");
        let mut linux = oci_spec::runtime::Linux::default();
        linux.set_seccomp(Some(seccomp));
        let mut spec = Spec::default();
        spec.set_linux(Some(linux));
        spec
    }

    #[test]
    fn a_deny_by_default_profile_without_the_handoff_is_refused_naming_the_calls() {
        // The README's policy, in OCI JSON: write only to fds 1 and 2.
        let spec = spec_with(
            r#"{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[
                {"names":["read","exit_group"],"action":"SCMP_ACT_ALLOW"},
                {"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
                {"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]},
                {"names":["ptrace","mkdir"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        let runc = denied("runc", &spec);
        let names: Vec<&str> = runc.iter().map(|d| d.syscall).collect();
        assert!(!names.contains(&"read"), "read is allowed");
        assert!(names.contains(&"setgroups") && names.contains(&"capset"));
        let write = runc.iter().find(|d| d.syscall == "write").expect("write");
        assert!(write.partly, "write is allowed for fds 1 and 2 only");
        assert_eq!(write.action, Action::KillProcess);
        // 24 calls: faccessat2 gets ENOSYS from runc's stub (above ptrace, the highest named),
        // which runc survives; the other 22 denied and `read` allowed.
        assert!(!names.contains(&"faccessat2"), "{names:?}");
        assert_eq!(runc.len(), 22);
        let crun = denied("crun", &spec);
        assert_eq!(crun.len(), 9, "crun reads nothing: {crun:?}");
        let e = check("crun", "readme.kafel", &spec).expect_err("refused");
        assert!(e.to_string().contains("crun"), "{e}");
        assert_eq!(denied("fake", &spec), Vec::new());
    }

    #[test]
    fn a_pass_is_remembered_and_a_refusal_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let checked = dir.path().join("checked");
        let all: Vec<String> = syscalls().map(|s| format!("{s:?}")).collect();
        let ok = spec_with(&format!(
            r#"{{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{{"names":[{}],"action":"SCMP_ACT_ALLOW"}}]}}"#,
            all.join(",")
        ));
        let bad = spec_with(r#"{"defaultAction":"SCMP_ACT_KILL_PROCESS"}"#);
        assert!(check_remembered(&checked, "runc", "bad", &bad).is_err());
        assert!(!checked.exists() || std::fs::read_dir(&checked).unwrap().count() == 0);
        check_remembered(&checked, "runc", "ok", &ok).expect("passes");
        let markers: Vec<_> = std::fs::read_dir(&checked).unwrap().collect();
        assert_eq!(markers.len(), 1);
        check_remembered(&checked, "runc", "ok", &ok).expect("remembered");
        // Another runtime is checked on its own.
        check_remembered(&checked, "crun", "ok", &ok).expect("passes");
        assert_eq!(std::fs::read_dir(&checked).unwrap().count(), 2);
        assert!(check_remembered(&checked, "runc", "bad", &bad).is_err());
    }

    /// A profile older than faccessat2 (Linux 5.8): runc's stub answers ENOSYS, Go falls back
    /// to faccessat, runc runs (podman's default without faccessat2 does, measured); a profile
    /// that kills faccessat2 is refused.
    /// Issue 12: 240 masked ioctl rules kept `rpod run` busy 6 to 11 s before it answered.
    #[test]
    fn a_profile_too_complex_to_check_is_refused_within_the_search_budget() {
        let spec = spec_with(&rpod_tests::hostile::masked_rules(240));
        let e = check("runc", "masked.json", &spec).expect_err("refused");
        assert!(
            matches!(e, RuntimeError::HandoffUnchecked { budget, .. } if budget == solve::SEARCH_BUDGET),
            "{e}"
        );
        assert!(e.to_string().contains("masked.json"), "{e}");
    }

    #[test]
    fn faccessat2_may_fail_with_enosys_or_eperm_but_not_kill() {
        let older: Vec<String> = of_runtime("runc")
            .unwrap()
            .iter()
            .filter(|s| **s != "faccessat2")
            .map(|s| format!("{s:?}"))
            .collect();
        let profile = |extra: &str| {
            spec_with(&format!(
                r#"{{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[
                    {{"names":[{}],"action":"SCMP_ACT_ALLOW"}}{extra}]}}"#,
                older.join(",")
            ))
        };
        assert_eq!(denied("runc", &profile("")), Vec::new());
        let eperm = r#",{"names":["faccessat2"],"action":"SCMP_ACT_ERRNO","errnoRet":1}"#;
        assert_eq!(denied("runc", &profile(eperm)), Vec::new());
        let kill = r#",{"names":["faccessat2"],"action":"SCMP_ACT_KILL_PROCESS"}"#;
        let refused = denied("runc", &profile(kill));
        assert_eq!(
            refused.iter().map(|d| d.syscall).collect::<Vec<_>>(),
            ["faccessat2"]
        );
        let eacces = r#",{"names":["faccessat2"],"action":"SCMP_ACT_ERRNO","errnoRet":13}"#;
        assert_eq!(
            denied("runc", &profile(eacces)).len(),
            1,
            "EACCES has no fallback"
        );
    }

    /// Issue 14: a recorded profile restricts prctl to the workload's options and the
    /// handoff's measured ones; the check accepts that and refuses a profile lacking one.
    #[test]
    fn a_handoff_call_allowed_for_its_measured_values_only_passes() {
        let others: Vec<String> = of_runtime("runc")
            .unwrap()
            .iter()
            .filter(|s| **s != "prctl")
            .map(|s| format!("{s:?}"))
            .collect();
        let profile = |values: &[u64]| {
            let rules: Vec<String> = values
                .iter()
                .map(|v| {
                    format!(
                        r#",{{"names":["prctl"],"action":"SCMP_ACT_ALLOW","args":[{{"index":0,"value":4294967295,"valueTwo":{v},"op":"SCMP_CMP_MASKED_EQ"}}]}}"#
                    )
                })
                .collect();
            spec_with(&format!(
                r#"{{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{{"names":[{}],"action":"SCMP_ACT_ALLOW"}}{}]}}"#,
                others.join(","),
                rules.concat()
            ))
        };
        // PR_SET_NAME (15) for the workload, and the handoff's 8, 24, 47.
        assert_eq!(denied("runc", &profile(&[15, 8, 24, 47])), Vec::new());
        let without_ambient = denied("runc", &profile(&[15, 8, 24]));
        assert_eq!(
            without_ambient
                .iter()
                .map(|d| d.syscall)
                .collect::<Vec<_>>(),
            ["prctl"]
        );
        assert!(without_ambient[0].partly);
    }

    #[test]
    fn a_profile_that_allows_the_handoff_and_denies_other_calls_passes() {
        let handoff: Vec<String> = of_runtime("runc")
            .unwrap()
            .iter()
            .map(|s| format!("{s:?}"))
            .collect();
        let spec = spec_with(&format!(
            r#"{{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[
                {{"names":[{}],"action":"SCMP_ACT_ALLOW"}},
                {{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}}]}}"#,
            handoff.join(",")
        ));
        assert_eq!(denied("runc", &spec), Vec::new());
        assert!(check("runc", "p.json", &spec).is_ok());
        // crun needs its own calls.
        let crun: Vec<&str> = denied("crun", &spec).iter().map(|d| d.syscall).collect();
        assert_eq!(
            crun,
            ["rt_sigaction", "rt_sigprocmask", "setresgid", "setresuid"]
        );
    }
}
