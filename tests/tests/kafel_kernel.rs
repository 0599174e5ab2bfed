//! rpod's own BPF for Kafel-like policies, in the kernel: every corpus policy of `kafel-dsl`
//! (tests/corpus) compiled with `--format bpf` and installed by a probe process, which makes
//! each syscall the policy names with boundary values of its constants. The kernel's verdict
//! must be what the policy's own semantics say. Allowed calls are not made (they would run for
//! real); they are covered by the emulator differential tests in kafel-dsl.
//!
//! The probe itself needs a few syscalls after the one it tests (to report, to return from its
//! SIGSYS handler, to exit), which a default-deny policy would refuse; so each probe runs the
//! policy with those syscalls allowed first, except the one under test.

use std::path::Path;

use kafel_dsl::source::SourceFile;
use profiles::bpf::Action;
use profiles::Arch;
use rpod_tests::{expected, require, seccomp_available, Probe, ProbeMode};

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
    let mut probes = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("policy");
        // Only the policies for this machine's arch can be installed here.
        if text.lines().any(|l| l.starts_with("// arches:")) {
            continue;
        }
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let policy = kafel_dsl::compile(
            SourceFile::new(name.clone(), Some(path.clone()), text),
            &kafel_dsl::Options {
                arches: vec![Arch::X86_64],
                ..kafel_dsl::Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}:\n{}", e.render()));
        let p = &policy.program;
        let mut targets: Vec<(u32, Vec<u64>)> = p
            .syscalls
            .iter()
            .map(|(&(_, nr), s)| {
                let mut cs = Vec::new();
                for r in &s.rules {
                    r.cond.constants(&mut cs);
                }
                (nr, values(&cs))
            })
            .collect();
        // Unnamed syscalls (getpid is 39), an x32 number, and -1.
        targets.extend([39, 0x4000_0027, u32::MAX].map(|nr| (nr, values(&[]))));
        for (nr, vals) in targets {
            if PROBE_NEEDS.contains(&nr) {
                continue;
            }
            let bytes = probe_filter(p, nr);
            for i in 0..3 {
                for &v in &vals {
                    let mut args = [0u64; 6];
                    args[i] = v;
                    let action = p.eval(Arch::X86_64, nr, &args);
                    if matches!(action, Action::Allow | Action::Log) {
                        continue;
                    }
                    let got = probe.run(&bytes, nr, args);
                    assert_eq!(
                        got,
                        expected(action, ProbeMode::Process, 0),
                        "{name}: syscall {nr:#x} args {args:#x?}: the policy says {action}"
                    );
                    probes += 1;
                }
            }
        }
    }
    assert!(probes > 500, "only {probes} kernel probes ran");
    eprintln!("{probes} kernel probes agreed with the policies");
}
