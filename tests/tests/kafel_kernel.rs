//! rpod's own BPF for Kafel-like policies, in the kernel: every corpus policy of `kafel-dsl`
//! (tests/corpus) whose target arches include x86_64, compiled with `--format bpf` and
//! installed by a probe process, which makes each syscall the policy names with boundary values
//! of its constants in each of the six arguments (and a few mixed). The kernel's verdict must be
//! what the policy's own semantics say for x86_64. Allowed calls are made too when
//! `rpod_tests::harmless_args` knows a harmless form (a bad fd, a NULL pointer), and must give
//! what the same call gives under an allow-all filter, so `ALLOW` and `ERRNO(0)` differ.
//!
//! The probe itself needs a few syscalls after the one it tests (to report, to return from its
//! SIGSYS handler, to exit), which a default-deny policy would refuse; so each probe runs the
//! policy with those syscalls allowed first, except the one under test.

use std::path::Path;

use kafel_dsl::source::SourceFile;
use profiles::bpf::Action;
use profiles::{syscalls, Arch};
use rpod_tests::{
    expected_with, harmless_args, require, seccomp_available, KernelOutcome, Probe, ProbeMode,
};

fn probe() -> Option<Probe> {
    require("seccomp", seccomp_available()).then(|| Probe::new(env!("CARGO_BIN_EXE_seccomp-probe")))
}

fn values(constants: &[u64]) -> Vec<u64> {
    let mut v = vec![0, 1, u64::MAX, 0xffff_ffff, 0x1_0000_0000];
    for &c in constants {
        v.extend([
            c,
            c.wrapping_sub(1),
            c.wrapping_add(1),
            c | 0xffff_ffff_0000_0000,
        ]);
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// x86_64 numbers of what the probe does after its syscall: write, munmap, rt_sigreturn,
/// sigaltstack, exit_group.
const PROBE_NEEDS: &[u32] = &[1, 11, 15, 131, 231];

/// The policy's BPF with the probe's own syscalls allowed first.
fn probe_filter(p: &kafel_dsl::ir::Program, under_test: u32) -> Vec<u8> {
    let mut q = p.clone();
    for &nr in PROBE_NEEDS.iter().filter(|n| **n != under_test) {
        let s = q
            .syscalls
            .entry((Arch::X86_64, nr))
            .or_insert_with(|| kafel_dsl::ir::Syscall {
                written: format!("SYSCALL[{nr}]"),
                libseccomp_name: None,
                rules: Vec::new(),
            });
        s.rules.insert(
            0,
            kafel_dsl::ir::Rule {
                action: Action::Allow,
                cond: kafel_dsl::ir::Cond::True,
                span: kafel_dsl::source::Span::default(),
            },
        );
    }
    kafel_dsl::codegen::to_bpf(&q).expect("BPF").to_bytes()
}

/// How an x86_64 call may be made in the probe when the filter lets it run: `Some` with the
/// arguments to use (maybe made harmless), `None` when it must not run.
fn runnable(nr: u32, args: [u64; 6]) -> Option<[u64; 6]> {
    match syscalls::name(Arch::X86_64, nr) {
        Some(name) => harmless_args(name, args),
        // No such syscall (and not an x32 one, whose number has bit 30 set): ENOSYS.
        None if nr & 0x4000_0000 == 0 || nr == u32::MAX => Some(args),
        None => None,
    }
}

/// Counts of what the kernel was asked.
#[derive(Debug, Default)]
struct Counts {
    denied: usize,
    allowed: usize,
    skipped: usize,
}

/// Makes syscall `nr` with `args` under `filter` and compares the kernel with `action`, what the
/// policy says for those arguments; an allowed call only when it is harmless.
fn check_in_kernel(
    probe: &Probe,
    filter: &[u8],
    nr: u32,
    args: [u64; 6],
    action: Action,
    what: &str,
    counts: &mut Counts,
) {
    let allowed = if matches!(action, Action::Allow | Action::Log) {
        if runnable(nr, args) != Some(args) {
            counts.skipped += 1;
            return;
        }
        counts.allowed += 1;
        probe.allowed(nr, args)
    } else {
        counts.denied += 1;
        KernelOutcome::Returned(0)
    };
    let got = probe.run(filter, nr, args);
    assert_eq!(
        got,
        expected_with(action, ProbeMode::Process, allowed),
        "{what}: syscall {nr:#x} args {args:#x?}: the policy says {action}"
    );
}

#[test]
fn corpus_policies_compiled_to_bpf_are_enforced_by_the_kernel_as_written() {
    let Some(probe) = probe() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kafel-dsl/tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("kafel-dsl corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "kafel"))
        .collect();
    files.sort();
    let mut counts = Counts::default();
    let mut multi_arch = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("policy");
        let arches: Vec<Arch> = text
            .lines()
            .find_map(|l| l.strip_prefix("// arches:"))
            .map_or(vec![Arch::X86_64], |a| {
                a.split_whitespace()
                    .map(|a| a.parse().expect("arch"))
                    .collect()
            });
        // Only the x86_64 part of a policy can be enforced on this machine.
        if !arches.contains(&Arch::X86_64) {
            continue;
        }
        if arches.len() > 1 {
            multi_arch += 1;
        }
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let policy = kafel_dsl::compile(
            SourceFile::new(name.clone(), Some(path.clone()), text),
            &kafel_dsl::Options {
                arches,
                ..kafel_dsl::Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}:\n{}", e.render()));
        let p = &policy.program;
        let mut targets: Vec<(u32, Vec<u64>)> = p
            .syscalls
            .iter()
            .filter(|((arch, _), _)| *arch == Arch::X86_64)
            .map(|(&(_, nr), s)| {
                let mut cs = Vec::new();
                for r in &s.rules {
                    r.cond.constants(&mut cs);
                }
                (nr, values(&cs))
            })
            .collect();
        // Unnamed syscalls (getpid is 39, getuid 102), an x32 number, none at all, and -1.
        targets.extend([39, 102, 0x4000_0027, 1000, u32::MAX].map(|nr| (nr, values(&[]))));
        for (nr, vals) in targets {
            if PROBE_NEEDS.contains(&nr) {
                continue;
            }
            let bytes = probe_filter(p, nr);
            let mut probes: Vec<[u64; 6]> = Vec::new();
            for i in 0..6 {
                for &v in &vals {
                    let mut args = [0u64; 6];
                    args[i] = v;
                    probes.push(args);
                }
            }
            // Mixed: every argument set, from the same values in turn.
            for (j, _) in vals.iter().enumerate().take(8) {
                probes.push(std::array::from_fn(|i| vals[(i * 3 + j) % vals.len()]));
            }
            for args in probes {
                let mut args = args;
                let mut action = p.eval(Arch::X86_64, nr, &args);
                if matches!(action, Action::Allow | Action::Log) {
                    // An allowed call runs in its harmless form: ask the policy about that one.
                    if let Some(safe) = runnable(nr, args) {
                        args = safe;
                        action = p.eval(Arch::X86_64, nr, &args);
                    }
                }
                check_in_kernel(&probe, &bytes, nr, args, action, &name, &mut counts);
            }
        }
    }
    eprintln!("corpus in the kernel: {counts:?}, {multi_arch} multi-arch files");
    assert!(
        multi_arch >= 3,
        "only {multi_arch} multi-arch corpus files were checked"
    );
    assert!(
        counts.denied > 1000,
        "only {} denied calls: {counts:?}",
        counts.denied
    );
    assert!(
        counts.allowed > 300,
        "only {} allowed calls: {counts:?}",
        counts.allowed
    );
}
