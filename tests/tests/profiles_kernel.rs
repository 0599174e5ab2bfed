//! `rpod seccomp simulate` against the kernel, on whole profiles compiled by `profiles`.
//!
//! For podman's and moby's default profiles and a hand-written profile using every op and
//! action, each x86_64 syscall the filter does not let run is made by a probe process under the
//! real filter, and the kernel's verdict must equal the emulator's. Syscalls the filter allows
//! run for real, so only a set known to be harmless with the probe's arguments is made.

use profiles::bpf::{self, Action, Program};
use profiles::compile::compile;
use profiles::load;
use profiles::resolve::Context;
use profiles::{syscalls, Arch};
use rpod_tests::{expected, require, seccomp_available, KernelOutcome, Probe, ProbeMode};

/// Allowed syscalls that are harmless to run in the probe with the given arguments.
const SAFE_ALLOWED: &[(&str, [u64; 6])] = &[
    ("getppid", [0; 6]),
    ("getuid", [0; 6]),
    ("getpid", [0; 6]),
    ("umask", [0o22, 0, 0, 0, 0, 0]),
    ("close", [u64::MAX, 0, 0, 0, 0, 0]),
    ("dup", [u64::MAX, 0, 0, 0, 0, 0]),
    ("fcntl", [u64::MAX, 1, 0, 0, 0, 0]),
    ("lseek", [u64::MAX, 0, 0, 0, 0, 0]),
    ("personality", [0xffff_ffff, 0, 0, 0, 0, 0]),
];

/// Syscalls recent kernels run without consulting seccomp at all ("seccomp: passthrough
/// uretprobe systemcall without filtering"): x86_64's `uretprobe`, and `uprobe` with it. Outside
/// a probe trampoline they deliver SIGILL whatever the filter says (seen on 6.18).
const BYPASS_SECCOMP: &[&str] = &["uretprobe", "uprobe"];

fn probe() -> Option<Probe> {
    require("seccomp", seccomp_available()).then(|| Probe::new(env!("CARGO_BIN_EXE_seccomp-probe")))
}

fn compiled(json: &str, cx: &Context) -> Program {
    let p = load::from_str(json).expect("fixture loads").profile;
    compile(&p.resolve(cx), Some(&[Arch::X86_64]))
        .expect("fixture compiles")
        .program
}

/// What the probe's syscall returns when allowed, from a run under an allow-all filter.
fn allowed_result(probe: &Probe, nr: u32, args: [u64; 6]) -> i64 {
    let allow_all = bpf::Insn::stmt(
        bpf::code::BPF_RET | bpf::code::BPF_K,
        bpf::SECCOMP_RET_ALLOW,
    )
    .to_bytes();
    match probe.run(&allow_all, nr, args) {
        KernelOutcome::Returned(v) => v,
        KernelOutcome::Errno(e) => -i64::from(e),
        other => panic!("syscall {nr} under an allow-all filter gave {other:?}"),
    }
}

/// Compares emulator and kernel on every syscall the filter denies, and on the safe allowed
/// ones; returns how many probes ran.
fn agree_on_whole_table(probe: &Probe, program: &Program, label: &str) -> usize {
    let bytes = program.to_bytes();
    let mut probes = 0;
    for e in syscalls::table(Arch::X86_64) {
        if BYPASS_SECCOMP.contains(&e.name) {
            continue;
        }
        let args = [0u64; 6];
        let action = bpf::simulate(program, Arch::X86_64, e.nr, args).action;
        if matches!(action, Action::Allow | Action::Log) {
            continue;
        }
        let got = probe.run(&bytes, e.nr, args);
        let want = expected(action, ProbeMode::Process, 0);
        assert_eq!(
            got, want,
            "{label}: {} ({}) simulated {action}",
            e.name, e.nr
        );
        probes += 1;
    }
    for (name, args) in SAFE_ALLOWED {
        let nr = syscalls::number(Arch::X86_64, name).expect("x86_64 syscall");
        let action = bpf::simulate(program, Arch::X86_64, nr, *args).action;
        let got = probe.run(&bytes, nr, *args);
        let want = match expected(action, ProbeMode::Process, 0) {
            KernelOutcome::Returned(_) if matches!(action, Action::Allow | Action::Log) => {
                match allowed_result(probe, nr, *args) {
                    v if v < 0 => KernelOutcome::Errno(i32::try_from(-v).expect("errno")),
                    v => KernelOutcome::Returned(v),
                }
            }
            other => other,
        };
        // getpid/getppid/umask return process-specific values; compare the kind for those.
        match (got, want) {
            (KernelOutcome::Returned(_), KernelOutcome::Returned(_)) => {}
            _ => assert_eq!(got, want, "{label}: {name} simulated {action}"),
        }
        probes += 1;
    }
    probes
}

#[test]
fn podman_default_profile_simulates_as_the_kernel_enforces() {
    let Some(probe) = probe() else { return };
    let json = include_str!("../../profiles/tests/fixtures/podman-default.json");
    for cx in [
        Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        },
        Context {
            host_arch: Arch::X86_64,
            caps: profiles::caps::CAPABILITIES
                .iter()
                .map(|(n, _)| (*n).to_string())
                .collect(),
            kernel: None,
        },
    ] {
        let program = compiled(json, &cx);
        let n = agree_on_whole_table(&probe, &program, "podman default");
        assert!(n > 30, "only {n} probes ran");
    }
}

#[test]
fn moby_default_profile_simulates_as_the_kernel_enforces() {
    let Some(probe) = probe() else { return };
    let json = include_str!("../../profiles/tests/fixtures/moby-default.json");
    let program = compiled(
        json,
        &Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        },
    );
    let n = agree_on_whole_table(&probe, &program, "moby default");
    assert!(n > 30, "only {n} probes ran");
}

/// A profile with every op and action, probed on boundary values of every rule constant.
#[test]
fn every_op_and_action_agrees_on_boundary_values() {
    let Some(probe) = probe() else { return };
    // Rules on syscalls that are harmless to run when allowed (bad fds, queries).
    // The default is ALLOW so the probe can still write its report and exit after its syscall.
    let json = r#"{
      "defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64"],
      "syscalls": [
        {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 9, "args": [{"index": 0, "value": 4096, "op": "SCMP_CMP_GT"}]},
        {"names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77, "args": [{"index": 0, "value": 4294967296, "op": "SCMP_CMP_GE"}]},
        {"names": ["lseek"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 100, "op": "SCMP_CMP_LT"}]},
        {"names": ["lseek"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 1, "value": 200, "op": "SCMP_CMP_LE"}, {"index": 2, "value": 1, "op": "SCMP_CMP_EQ"}]},
        {"names": ["fcntl"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 1, "value": 1030, "op": "SCMP_CMP_EQ"}]},
        {"names": ["fcntl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 1, "value": 1030, "op": "SCMP_CMP_NE"}, {"index": 2, "value": 7, "op": "SCMP_CMP_EQ"}]},
        {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 25, "args": [{"index": 1, "value": 4294901760, "valueTwo": 1409286144, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["getppid"], "action": "SCMP_ACT_LOG"},
        {"names": ["getuid"], "action": "SCMP_ACT_TRACE", "errnoRet": 3},
        {"names": ["getgid"], "action": "SCMP_ACT_KILL_THREAD"},
        {"names": ["getegid"], "action": "SCMP_ACT_KILL"},
        {"names": ["geteuid"], "action": "SCMP_ACT_NOTIFY"}
      ],
      "listenerPath": "/run/agent.sock"
    }"#;
    let cx = Context {
        host_arch: Arch::X86_64,
        ..Context::default()
    };
    let program = compiled(json, &cx);
    let bytes = program.to_bytes();
    let mut probes = 0;
    let bad_fd = u64::MAX;
    let cases: Vec<(&str, [u64; 6])> = [
        vec![4095u64, 4096, 4097, 0, u64::MAX]
            .into_iter()
            .map(|v| ("close", [v, 0, 0, 0, 0, 0]))
            .collect::<Vec<_>>(),
        vec![0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001, u64::MAX]
            .into_iter()
            .map(|v| ("dup", [v, 0, 0, 0, 0, 0]))
            .collect(),
        vec![
            (99, 0),
            (100, 0),
            (101, 1),
            (200, 1),
            (201, 1),
            (200, 0),
            (150, 2),
        ]
        .into_iter()
        .map(|(off, whence)| ("lseek", [bad_fd, off, whence, 0, 0, 0]))
        .collect(),
        vec![
            (1029, 7),
            (1030, 7),
            (1031, 7),
            (1031, 6),
            (0x1_0000_0406, 7),
        ]
        .into_iter()
        .map(|(cmd, arg)| ("fcntl", [bad_fd, cmd, arg, 0, 0, 0]))
        .collect(),
        vec![0x5401, 0x5400_1234, 0x5401_0000, 0x1_5400_0000]
            .into_iter()
            .map(|req| ("ioctl", [bad_fd, req, 0, 0, 0, 0]))
            .collect(),
        ["getppid", "getuid", "getgid", "getegid", "geteuid", "mkdir"]
            .into_iter()
            .map(|n| (n, [0; 6]))
            .collect(),
    ]
    .concat();
    for (name, args) in cases {
        let nr = syscalls::number(Arch::X86_64, name).expect("x86_64 syscall");
        let action = bpf::simulate(&program, Arch::X86_64, nr, args).action;
        let got = probe.run(&bytes, nr, args);
        let want = if matches!(action, Action::Allow | Action::Log) {
            match allowed_result(&probe, nr, args) {
                v if v < 0 => KernelOutcome::Errno(i32::try_from(-v).expect("errno")),
                v => KernelOutcome::Returned(v),
            }
        } else {
            expected(action, ProbeMode::Process, 0)
        };
        match (got, want) {
            (KernelOutcome::Returned(_), KernelOutcome::Returned(_)) => {}
            _ => assert_eq!(got, want, "{name}{args:x?} simulated {action}"),
        }
        probes += 1;
    }
    assert!(probes >= 30);
}
