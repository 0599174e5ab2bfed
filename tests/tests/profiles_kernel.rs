//! `rpod seccomp simulate` against the kernel, on whole profiles compiled by `profiles`.
//!
//! For podman's and moby's default profiles and a hand-written profile using every op and
//! action, every x86_64 syscall is made by a probe process under the real filter with several
//! argument patterns (zeros, all ones, alternating bits, the constants of the profile's own
//! rules for that syscall), and the kernel's answer must equal the emulator's: the errno, the
//! signal, or, when both sides return, the same value. A call the filter denies never runs, so
//! any arguments are safe; a call it allows runs for real, so it is made only with arguments
//! [`harmless_args`] makes harmless (a bad fd, a NULL pointer), where it fails with its own
//! errno (`EBADF`, `EFAULT`) and `ALLOW` cannot pass for `ERRNO(0)`.

use std::collections::HashMap;
use std::sync::Mutex;

use profiles::bpf::{self, Action, Program};
use profiles::compile::compile;
use profiles::load;
use profiles::resolve::{Context, Resolved};
use profiles::{syscalls, Arch};
use rpod_tests::{
    expected_with, harmless_args, harmless_names, require, seccomp_available, KernelOutcome, Probe,
    ProbeMode,
};

/// Syscalls recent kernels run without consulting seccomp at all ("seccomp: passthrough
/// uretprobe systemcall without filtering"): x86_64's `uretprobe`, and `uprobe` with it. Outside
/// a probe trampoline they deliver SIGILL whatever the filter says (seen on 6.18).
const BYPASS_SECCOMP: &[&str] = &["uretprobe", "uprobe"];

/// Argument patterns every syscall is probed with, besides the rules' own constants.
const PATTERNS: &[[u64; 6]] = &[
    [0; 6],
    [u64::MAX; 6],
    [0x5555_aaaa_5555_aaaa; 6],
    [1, 2, 3, 4, 5, 6],
    [0xffff_ffff; 6],
    [0x8000_0000_0000_0000; 6],
];

struct Kernel {
    probe: Probe,
    /// What each (syscall, arguments) gives when allowed, from a probe under an allow-all filter.
    allowed: Mutex<HashMap<(u32, [u64; 6]), KernelOutcome>>,
}

impl Kernel {
    fn allowed(&self, nr: u32, args: [u64; 6]) -> KernelOutcome {
        if let Some(o) = self.allowed.lock().expect("cache").get(&(nr, args)) {
            return *o;
        }
        let o = self.probe.allowed(nr, args);
        self.allowed.lock().expect("cache").insert((nr, args), o);
        o
    }
}

fn kernel() -> Option<Kernel> {
    require("seccomp", seccomp_available()).then(|| Kernel {
        probe: Probe::new(env!("CARGO_BIN_EXE_seccomp-probe")),
        allowed: Mutex::new(HashMap::new()),
    })
}

fn resolved(json: &str, cx: &Context) -> Resolved {
    load::from_str(json)
        .expect("fixture loads")
        .profile
        .resolve(cx)
}

fn compiled(r: &Resolved) -> Program {
    compile(r, Some(&[Arch::X86_64]))
        .expect("fixture compiles")
        .program
}

/// Counts of what a comparison did.
#[derive(Debug, Default)]
struct Counts {
    /// Denied calls made in the kernel.
    denied: usize,
    /// Allowed calls made in the kernel (with harmless arguments).
    allowed: usize,
    /// Allowed calls not made: no harmless form known.
    skipped: usize,
    /// Allowed calls made whose own result was an errno, so ALLOW and ERRNO(0) differ.
    allowed_failing: usize,
}

/// Makes syscall `name` (`nr`) with `args` under `program` in the kernel, if that is safe, and
/// compares the kernel's answer with the emulator's.
fn check_one(
    k: &Kernel,
    program: &Program,
    name: &str,
    nr: u32,
    args: [u64; 6],
    label: &str,
    counts: &mut Counts,
) {
    let action = bpf::simulate(program, Arch::X86_64, nr, args).action;
    let allowed = if matches!(action, Action::Allow | Action::Log) {
        match harmless_args(name, args) {
            Some(safe) if safe == args => {
                let o = k.allowed(nr, args);
                counts.allowed += 1;
                if matches!(o, KernelOutcome::Errno(_)) {
                    counts.allowed_failing += 1;
                }
                o
            }
            _ => {
                counts.skipped += 1;
                return;
            }
        }
    } else {
        counts.denied += 1;
        // Not used: the call does not run.
        KernelOutcome::Returned(0)
    };
    let got = k.probe.run(&program.to_bytes(), nr, args);
    let want = expected_with(action, ProbeMode::Process, allowed);
    assert_eq!(
        got, want,
        "{label}: {name} ({nr}) args {args:#x?}: the emulator says {action}"
    );
}

/// The argument sets for syscall `name`: the patterns, each rule constant in its own slot (with
/// its neighbours), and each of those made harmless.
fn argument_sets(r: &Resolved, name: &str) -> Vec<[u64; 6]> {
    let mut sets: Vec<[u64; 6]> = PATTERNS.to_vec();
    for rule in r.rules.iter().filter(|x| x.names.iter().any(|n| n == name)) {
        for c in &rule.args {
            for v in [c.value, c.value.wrapping_add(1), c.value.wrapping_sub(1)] {
                let mut a = [0u64; 6];
                a[usize::from(c.index)] = v;
                sets.push(a);
            }
        }
    }
    let safe: Vec<[u64; 6]> = sets
        .iter()
        .filter_map(|a| harmless_args(name, *a))
        .collect();
    sets.extend(safe);
    sets.sort_unstable();
    sets.dedup();
    sets
}

/// Compares emulator and kernel on every x86_64 syscall with every argument set.
fn agree_on_whole_table(k: &Kernel, r: &Resolved, label: &str) -> Counts {
    let program = compiled(r);
    let mut counts = Counts::default();
    for e in syscalls::table(Arch::X86_64) {
        if BYPASS_SECCOMP.contains(&e.name) {
            continue;
        }
        for args in argument_sets(r, e.name) {
            check_one(k, &program, e.name, e.nr, args, label, &mut counts);
        }
    }
    eprintln!("{label}: {counts:?}");
    counts
}

/// Every name the harmless table knows is an x86_64 syscall, and under an allow-all filter the
/// harmless form of most of them fails with an errno (so ALLOW and ERRNO(0) differ there).
#[test]
fn harmless_forms_of_allowed_calls_fail_with_their_own_errno() {
    let Some(k) = kernel() else { return };
    let mut failing = 0;
    let mut total = 0;
    for name in harmless_names() {
        let nr = syscalls::number(Arch::X86_64, name)
            .unwrap_or_else(|| panic!("{name} is not an x86_64 syscall"));
        let args = harmless_args(name, [0; 6]).expect("known");
        total += 1;
        if matches!(k.allowed(nr, args), KernelOutcome::Errno(_)) {
            failing += 1;
        }
    }
    assert!(
        failing * 10 >= total * 8,
        "only {failing} of {total} harmless calls fail with an errno"
    );
}

#[test]
fn podman_default_profile_simulates_as_the_kernel_enforces() {
    let Some(k) = kernel() else { return };
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
        let c = agree_on_whole_table(&k, &resolved(json, &cx), "podman default");
        assert_counts(&c);
    }
}

#[test]
fn moby_default_profile_simulates_as_the_kernel_enforces() {
    let Some(k) = kernel() else { return };
    let json = include_str!("../../profiles/tests/fixtures/moby-default.json");
    let cx = Context {
        host_arch: Arch::X86_64,
        ..Context::default()
    };
    let c = agree_on_whole_table(&k, &resolved(json, &cx), "moby default");
    assert_counts(&c);
}

/// A default profile allows most syscalls and denies dozens: both sides must have been made in
/// the kernel, and most allowed calls made must have failed with their own errno.
fn assert_counts(c: &Counts) {
    assert!(
        c.denied > 300,
        "only {} denied calls were made: {c:?}",
        c.denied
    );
    assert!(
        c.allowed > 300,
        "only {} allowed calls were made: {c:?}",
        c.allowed
    );
    assert!(
        c.allowed_failing * 10 >= c.allowed * 7,
        "too few allowed calls failed with their own errno: {c:?}"
    );
}

/// A profile with every op and action, probed on boundary values of every rule constant.
#[test]
fn every_op_and_action_agrees_on_boundary_values() {
    let Some(k) = kernel() else { return };
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
        {"names": ["fchdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0, "args": [{"index": 1, "value": 5, "op": "SCMP_CMP_EQ"}]},
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
    let program = compiled(&resolved(json, &cx));
    let mut counts = Counts::default();
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
        // ERRNO(0) skips the call and returns 0; allowed, fchdir(-1) fails with EBADF.
        vec![4, 5, 6]
            .into_iter()
            .map(|v| ("fchdir", [bad_fd, v, 0, 0, 0, 0]))
            .collect(),
        ["getppid", "getuid", "getgid", "getegid", "geteuid", "mkdir"]
            .into_iter()
            .map(|n| (n, [0; 6]))
            .collect(),
    ]
    .concat();
    for (name, args) in cases {
        let nr = syscalls::number(Arch::X86_64, name).expect("x86_64 syscall");
        check_one(&k, &program, name, nr, args, "every op", &mut counts);
    }
    eprintln!("every op and action: {counts:?}");
    assert!(counts.denied >= 15, "{counts:?}");
    assert!(counts.allowed >= 12, "{counts:?}");
    assert_eq!(
        counts.skipped, 0,
        "every allowed case is harmless: {counts:?}"
    );
}
