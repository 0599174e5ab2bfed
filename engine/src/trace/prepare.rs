//! What a recorded profile is built from, besides what the workload called: the syscalls the
//! kernel makes the workload issue on its own ([`KERNEL_ISSUED`]), and for the syscalls whose
//! arguments were recorded, the values the runtime's handoff passes (the measured constants of
//! [`crate::runtime::handoff::arg_values`]). The recording itself, and so the counts file,
//! stays what was seen; only the profile's input is prepared here.

use std::collections::BTreeMap;

use profiles::record::{RecordedArg, Recording};

use crate::runtime::handoff;

/// Syscalls a workload may issue without its code ever asking, so a recording sees them only if
/// the right event happened while it ran. Every recorded profile allows them.
///
/// - `restart_syscall`: when a sleep such as `nanosleep`/`clock_nanosleep`/`poll` with a
///   timeout is interrupted by a signal that does not end it (SIGSTOP then SIGCONT, a debugger
///   attaching, a handled signal), the kernel rewrites the syscall number in the task's
///   registers so that the interrupted call resumes as `restart_syscall` (-ERESTART_RESTARTBLOCK,
///   `kernel/signal.c`, `arch/x86/kernel/signal.c`). Denied, `kill -STOP`/`-CONT` of a sleeping
///   process makes its sleep fail (busybox `sleep` then exits 1 at once).
/// - `rt_sigreturn`: the kernel delivers a signal by running the handler on a frame whose
///   return address is the libc's restorer, which calls `rt_sigreturn`. It is recorded only if a
///   handler ran while recording; a workload that installs a SIGTERM or SIGCHLD handler and was
///   never signalled then would crash (a denied sigreturn returns into garbage) the first time a
///   signal arrives. Signal arrival is the environment's doing, not the code path's.
///
/// Not here: `exit`/`exit_group` (the workload's own code calls them, and every recording of a
/// process that ends normally has them), `execve` (the runtime's handoff).
pub const KERNEL_ISSUED: &[&str] = &["restart_syscall", "rt_sigreturn"];

/// The 32-bit counterparts, added when the workload made 32-bit calls: i386 delivers a
/// handler installed without `SA_SIGINFO` through `sigreturn`.
pub const KERNEL_ISSUED_COMPAT: &[&str] = &["restart_syscall", "rt_sigreturn", "sigreturn"];

/// The recording [`profiles::record::to_profile`] is given for `finished`, and what a user
/// should know about it.
///
/// - [`KERNEL_ISSUED`] are added as calls of the workload (0 calls).
/// - For a syscall whose arguments were recorded and which the runtime's handoff also calls
///   (`prctl`, `fcntl`, ...): the handoff's own values are not in `finished.recording.args`
///   (the recorder keeps the workload's values only, from its exec on), so the measured values
///   of both runtimes' handoffs ([`handoff::arg_values`]) and the ones this run's handoff
///   passed are added to the workload's, and the syscall is allowed for those values only
///   instead of whole. Where rpod has no measured values for that argument, the syscall is
///   allowed whole, with a warning. Nothing is added when argument values were lost (the map
///   filled up): the recording then allows those syscalls whole.
#[must_use]
pub fn for_profile(finished: &tracer::Finished) -> (Recording, Vec<String>) {
    let mut rec = finished.recording.clone();
    let mut warnings = Vec::new();
    for s in KERNEL_ISSUED {
        rec.syscalls.entry((*s).to_string()).or_insert(0);
    }
    if let Some(compat) = rec.compat.as_mut().filter(|c| !c.syscalls.is_empty()) {
        for s in KERNEL_ISSUED_COMPAT {
            if profiles::syscalls::number(compat.arch, s).is_some() {
                compat.syscalls.entry((*s).to_string()).or_insert(0);
            }
        }
    }
    if finished.lost_arg_values > 0 {
        return (rec, warnings);
    }
    for (name, spec) in &finished.arg_specs {
        if !rec.handoff.contains_key(name) {
            continue;
        }
        let Some(measured) = handoff::arg_values(name, spec.index, spec.mask) else {
            warnings.push(format!(
                "{name} is also called by the container runtime between installing the filter and starting the workload, with values of argument {} that rpod has not measured; {name} is allowed with any argument",
                spec.index
            ));
            continue;
        };
        let entry = rec.args.entry(name.clone()).or_insert_with(|| RecordedArg {
            index: spec.index,
            mask: spec.mask,
            values: BTreeMap::new(),
        });
        for v in &measured {
            entry.values.entry(*v).or_insert(0);
        }
        let mut unmeasured = Vec::new();
        if let Some(seen) = finished.handoff_args.get(name) {
            for (&v, &calls) in &seen.values {
                if !measured.contains(&v) {
                    unmeasured.push(format!("{v:#x}"));
                }
                *entry.values.entry(v).or_default() += calls;
            }
        }
        if !unmeasured.is_empty() {
            warnings.push(format!(
                "the container runtime called {name} with argument {} = {}, which rpod's measured handoff values lack; allowed, but a profile recorded under the other runtime may not have it",
                spec.index,
                unmeasured.join(", ")
            ));
        }
        // Allowed through the argument rules now, not whole as a handoff call.
        let calls = rec.handoff.remove(name).unwrap_or(0);
        *rec.syscalls.entry(name.clone()).or_default() += calls;
    }
    (rec, warnings)
}

#[cfg(test)]
mod tests {
    use profiles::record::ArgSpec;
    use profiles::Arch;

    use super::*;

    fn finished(rec: Recording) -> tracer::Finished {
        tracer::Finished {
            recording: rec,
            seen: 1,
            lost_tasks: 0,
            lost_arg_values: 0,
            out_of_range: 0,
            still_running: 0,
            exec_handoff: BTreeMap::new(),
            handoff_args: BTreeMap::new(),
            arg_specs: BTreeMap::new(),
        }
    }

    fn arg(index: u8, mask: u64, values: &[u64]) -> RecordedArg {
        RecordedArg {
            index,
            mask,
            values: values.iter().map(|v| (*v, 1)).collect(),
        }
    }

    #[test]
    fn the_kernels_own_calls_are_always_in_the_profile() {
        let mut rec = Recording::new(Arch::X86_64);
        rec.syscalls.insert("nanosleep".into(), 1);
        let (rec, warnings) = for_profile(&finished(rec));
        let built = profiles::record::to_profile(&rec, None).unwrap();
        let names = &built.profile.syscalls[0].names;
        for s in KERNEL_ISSUED {
            assert!(names.iter().any(|n| n == s), "{s}: {names:?}");
        }
        assert!(warnings.is_empty());
    }

    #[test]
    fn the_handoffs_measured_prctl_options_join_the_workloads_and_nothing_else() {
        let mut rec = Recording::new(Arch::X86_64);
        rec.syscalls.insert("prctl".into(), 2);
        rec.handoff.insert("prctl".into(), 300);
        // PR_SET_NAME by the workload.
        rec.args.insert("prctl".into(), arg(0, 0xffff_ffff, &[15]));
        let mut f = finished(rec);
        f.arg_specs.insert(
            "prctl".into(),
            ArgSpec {
                index: 0,
                mask: 0xffff_ffff,
            },
        );
        // PR_CAPBSET_DROP seen in this run's handoff.
        f.handoff_args
            .insert("prctl".into(), arg(0, 0xffff_ffff, &[24]));
        let (rec, warnings) = for_profile(&f);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(!rec.handoff.contains_key("prctl"), "not allowed whole");
        let values: Vec<u64> = rec.args["prctl"].values.keys().copied().collect();
        let measured = handoff::arg_values("prctl", 0, 0xffff_ffff).unwrap();
        assert!(values.contains(&15) && values.contains(&24));
        for v in &measured {
            assert!(values.contains(v), "{v}");
        }
        assert_eq!(values.len(), measured.len() + 1, "{values:?}");
        let built = profiles::record::to_profile(&rec, None).unwrap();
        let prctl: Vec<_> = built
            .profile
            .syscalls
            .iter()
            .filter(|r| r.names.iter().any(|n| n == "prctl"))
            .collect();
        assert!(prctl.iter().all(|r| !r.args.is_empty()), "{prctl:?}");
    }

    /// What the x86_64 filter built from `p` does with `prctl(option, 0, ...)`.
    fn prctl_action(p: &profiles::model::Profile, option: u64) -> profiles::bpf::Action {
        let r = p.resolve(&profiles::resolve::Context {
            host_arch: Arch::X86_64,
            ..profiles::resolve::Context::default()
        });
        let c = profiles::compile::compile(&r, None).expect("recorded profile compiles");
        let nr = profiles::syscalls::number(Arch::X86_64, "prctl").expect("prctl");
        profiles::bpf::simulate(&c.program, Arch::X86_64, nr, [option, 0, 0, 0, 0, 0]).action
    }

    #[test]
    fn the_runtimes_prctl_is_limited_to_the_handoffs_and_the_workloads_options() {
        use profiles::bpf::Action;
        let mut rec = Recording::new(Arch::X86_64);
        rec.syscalls.insert("prctl".into(), 1);
        rec.handoff.insert("prctl".into(), 2);
        // PR_SET_NAME by the workload.
        rec.args.insert("prctl".into(), arg(0, 0xffff_ffff, &[15]));
        let mut f = finished(rec);
        // An argument rpod has no measured handoff values for: prctl cannot be limited.
        f.arg_specs.insert(
            "prctl".into(),
            ArgSpec {
                index: 0,
                mask: u64::MAX,
            },
        );
        let (r, _) = for_profile(&f);
        let p = profiles::record::to_profile(&r, None).unwrap().profile;
        assert_eq!(prctl_action(&p, 22), Action::Allow, "allowed whole");
        // The measured argument: the handoff's values (PR_SET_KEEPCAPS = 8, ...)
        // and the workload's (PR_SET_NAME, which brings PR_GET_NAME = 16), nothing else.
        f.arg_specs.insert(
            "prctl".into(),
            ArgSpec {
                index: 0,
                mask: 0xffff_ffff,
            },
        );
        let (r, _) = for_profile(&f);
        let p = profiles::record::to_profile(&r, None).unwrap().profile;
        assert_eq!(prctl_action(&p, 8), Action::Allow);
        assert_eq!(prctl_action(&p, 15), Action::Allow);
        assert_eq!(prctl_action(&p, 16), Action::Allow);
        // PR_SET_SECCOMP.
        assert_eq!(prctl_action(&p, 22), Action::Errno(1));
    }

    #[test]
    fn an_unmeasured_handoff_argument_is_allowed_whole_with_a_warning() {
        let mut rec = Recording::new(Arch::X86_64);
        rec.handoff.insert("write".into(), 3);
        rec.args.insert("write".into(), arg(0, u64::MAX, &[1]));
        let mut f = finished(rec);
        f.arg_specs.insert(
            "write".into(),
            ArgSpec {
                index: 0,
                mask: u64::MAX,
            },
        );
        let (rec, warnings) = for_profile(&f);
        assert!(rec.handoff.contains_key("write"));
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("write") && warnings[0].contains("any argument"),
            "{warnings:?}"
        );
    }

    #[test]
    fn lost_argument_values_add_nothing() {
        let mut rec = Recording::new(Arch::X86_64);
        rec.handoff.insert("prctl".into(), 3);
        let mut f = finished(rec);
        f.lost_arg_values = 1;
        f.arg_specs.insert(
            "prctl".into(),
            ArgSpec {
                index: 0,
                mask: 0xffff_ffff,
            },
        );
        let (rec, _) = for_profile(&f);
        assert!(rec.args.is_empty());
        assert!(rec.handoff.contains_key("prctl"));
    }
}
