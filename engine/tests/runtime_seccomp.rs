//! `rpod seccomp simulate --runtime R` against what R really does (issue 11): for each profile
//! and syscall, the action simulate prints is turned into what the probe must see, and a
//! container run by `rpod run --runtime R` with that profile makes the syscall with
//! `seccomp-probe` (which installs an allow-all filter of its own, so the container's filter
//! decides). runc adds an ENOSYS stub above the profile's highest syscall; crun does not; a
//! model that forgets either fails here.
//!
//! The profiles allow what the probe (a dynamic glibc binary) and the runtime's last steps
//! need: every syscall up to a limit, minus `alarm`, tested inside the range.
//!
//! Needs: root, runc, crun (with the hugetlb controller, see `support::crun_ready`), a static
//! busybox, an x86_64 host (the syscall numbers below are x86_64's).

mod support;

use std::path::Path;

use profiles::bpf::Action;
use profiles::{syscalls, Arch};
use rpod_tests::{expected_with, require, KernelOutcome, ProbeMode};

/// The profile's allow list: every name libseccomp knows on x86_64 with a number up to
/// `last`, except `except`.
fn allow_up_to(last: u32, except: &[&str]) -> Vec<&'static str> {
    syscalls::table(Arch::X86_64)
        .iter()
        .filter(|e| e.nr <= last && e.libseccomp && !except.contains(&e.name))
        .map(|e| e.name)
        .collect()
}

fn profile(default: &str, allow: &[&str], extra_rules: &str) -> String {
    let names: Vec<String> = allow.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        r#"{{"defaultAction": {default}, "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{{"names": [{}], "action": "SCMP_ACT_ALLOW"}}{extra_rules}]}}"#,
        names.join(", ")
    )
}

/// One syscall to make: its number, harmless arguments, and what it gives when it runs.
struct Call {
    what: &'static str,
    nr: u32,
    args: [u64; 6],
    allowed: KernelOutcome,
}

fn calls() -> Vec<Call> {
    let nr = |n| syscalls::number(Arch::X86_64, n).expect("x86_64 syscall");
    vec![
        // No alarm was set: returns 0. Neither runtime calls it after installing the filter.
        Call {
            what: "alarm(0)",
            nr: nr("alarm"),
            args: [0; 6],
            allowed: KernelOutcome::Returned(0),
        },
        // fd -1: EBADF before anything happens.
        Call {
            what: "process_mrelease(-1, 0)",
            nr: nr("process_mrelease"),
            args: [u64::MAX, 0, 0, 0, 0, 0],
            allowed: KernelOutcome::Errno(nix::errno::Errno::EBADF as i32),
        },
        // No such syscall: the kernel itself says ENOSYS when the filter lets it through.
        Call {
            what: "syscall 1000",
            nr: 1000,
            args: [0; 6],
            allowed: KernelOutcome::Errno(nix::errno::Errno::ENOSYS as i32),
        },
    ]
}

/// The profiles: name, JSON.
fn profiles() -> Vec<(&'static str, String)> {
    let rseq = syscalls::number(Arch::X86_64, "rseq").expect("rseq");
    let high = syscalls::number(Arch::X86_64, "futex_requeue").expect("futex_requeue");
    // runc calls faccessat2 after installing the filter; rpod refuses a profile that denies
    // it (the engine's handoff check), so the low profiles name it: their highest syscall is
    // faccessat2 (439).
    let mut low = allow_up_to(rseq, &["alarm"]);
    low.push("faccessat2");
    let all = allow_up_to(high, &["alarm"]);
    vec![
        (
            "kill-process default, allow up to faccessat2",
            profile(r#""SCMP_ACT_KILL_PROCESS""#, &low, ""),
        ),
        (
            "errno (EPERM) default, allow up to faccessat2",
            profile(r#""SCMP_ACT_ERRNO", "defaultErrnoRet": 1"#, &low, ""),
        ),
        (
            "kill-process default, allow everything up to futex_requeue",
            profile(r#""SCMP_ACT_KILL_PROCESS""#, &all, ""),
        ),
        (
            "allow default, alarm EACCES",
            profile(
                r#""SCMP_ACT_ALLOW""#,
                &["read"],
                r#", {"names": ["alarm"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}"#,
            ),
        ),
    ]
}

/// The action `rpod seccomp simulate --runtime R --format json` prints.
fn simulate(env: &support::Env, runtime: &str, profile: &Path, call: &Call) -> (Action, String) {
    let mut args = vec![
        "seccomp".to_string(),
        "simulate".into(),
        "--runtime".into(),
        runtime.into(),
        "--format".into(),
        "json".into(),
        profile.display().to_string(),
        call.nr.to_string(),
    ];
    args.extend(call.args.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.out(&args);
    let report: serde_json::Value = serde_json::from_str(&out).expect("simulate prints JSON");
    assert_eq!(report["runtime"], runtime, "{out}");
    let ret = report["ret"].as_str().expect("ret");
    let ret = u32::from_str_radix(ret.trim_start_matches("0x"), 16).expect("hex ret");
    (
        Action::from_ret(ret),
        report["action"].as_str().unwrap().to_string(),
    )
}

/// What the probe saw in a container run by `runtime` under `profile`.
fn in_container(env: &support::Env, runtime: &str, profile: &Path, call: &Call) -> KernelOutcome {
    let opt = format!("seccomp={}", profile.display());
    let mut args = vec![
        "run".to_string(),
        "--rm".into(),
        "--runtime".into(),
        runtime.into(),
        "--security-opt".into(),
        opt,
        "busybox".into(),
        "/probe".into(),
        "/allow.bpf".into(),
        call.nr.to_string(),
    ];
    args.extend(call.args.iter().map(|a| format!("{a:#x}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = env.rpod(&args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let line = stdout.trim();
    match (support::code(&o), line.split_once(' ')) {
        (0, Some(("RET", v))) => KernelOutcome::Returned(v.parse().expect("RET value")),
        (0, Some(("ERRNO", v))) => KernelOutcome::Errno(v.parse().expect("errno")),
        (0, Some(("TRAP", v))) => KernelOutcome::Trap(v.parse().expect("si_errno")),
        // 128 + SIGSYS: the filter killed the probe.
        (159, None) if line.is_empty() => KernelOutcome::Killed,
        (code, _) => panic!(
            "rpod run --runtime {runtime} under {}: exit {code}\nstdout: {stdout}\nstderr: {stderr}",
            profile.display()
        ),
    }
}

fn env_with_probe() -> support::Env {
    support::Env::with(|rootfs| {
        rpod_tests::install_binary(rootfs, &rpod_tests::test_binary("seccomp-probe"), "/probe");
        let allow = profiles::bpf::Insn::stmt(
            profiles::bpf::code::BPF_RET | profiles::bpf::code::BPF_K,
            profiles::bpf::SECCOMP_RET_ALLOW,
        )
        .to_bytes();
        std::fs::write(rootfs.join("allow.bpf"), allow).expect("write allow.bpf");
    })
}

/// Every (profile, call): simulate's answer for `runtime` is what the container sees. Returns
/// the answers, for the comparison between runtimes.
fn agree(runtime: &str) -> Vec<(String, String)> {
    let env = env_with_probe();
    let mut answers = Vec::new();
    let mut disagreements = Vec::new();
    for (name, json) in profiles() {
        let path = env
            .dir
            .path()
            .join(format!("{}.json", name.replace([' ', ','], "-")));
        std::fs::write(&path, &json).expect("write profile");
        for call in calls() {
            let (action, label) = simulate(&env, runtime, &path, &call);
            let want = expected_with(action, ProbeMode::Process, call.allowed);
            let got = in_container(&env, runtime, &path, &call);
            eprintln!(
                "{runtime}: {name}: {}: simulate {label}, container {got:?}",
                call.what
            );
            if got != want {
                disagreements.push(format!(
                    "{name}: {}: simulate --runtime {runtime} says {label} (so {want:?}), the container saw {got:?}",
                    call.what
                ));
            }
            answers.push((format!("{name}: {}", call.what), label));
        }
    }
    assert!(
        disagreements.is_empty(),
        "simulate does not match {runtime}:\n{}",
        disagreements.join("\n")
    );
    answers
}

fn ready() -> bool {
    support::ready()
        && require("an x86_64 host", Arch::native() == Arch::X86_64)
        && require("seccomp", rpod_tests::seccomp_available())
}

/// runc: ENOSYS above the profile's highest syscall unless the default allows (issue 11).
#[test]
fn simulate_for_runc_is_what_runc_enforces() {
    if !ready() {
        return;
    }
    let answers = agree("runc");
    // The stub is really exercised: runc's answer above the range is not the default's.
    let above = |p: &str, c: &str| {
        answers
            .iter()
            .find(|(k, _)| k == &format!("{p}: {c}"))
            .map(|(_, v)| v.as_str())
            .expect("answer")
    };
    assert_eq!(
        above(
            "kill-process default, allow up to faccessat2",
            "process_mrelease(-1, 0)"
        ),
        "ERRNO(38)"
    );
    assert_eq!(
        above(
            "errno (EPERM) default, allow up to faccessat2",
            "process_mrelease(-1, 0)"
        ),
        "ERRNO(38)"
    );
    assert_eq!(
        above(
            "kill-process default, allow everything up to futex_requeue",
            "syscall 1000"
        ),
        "ERRNO(38)"
    );
    assert_eq!(
        above("kill-process default, allow up to faccessat2", "alarm(0)"),
        "KILL_PROCESS"
    );
}

/// crun: libseccomp's filter as it is; the default action above the range too.
#[test]
fn simulate_for_crun_is_what_crun_enforces() {
    if !ready() || !support::crun_ready() {
        return;
    }
    let answers = agree("crun");
    let above = answers
        .iter()
        .find(|(k, _)| k == "kill-process default, allow up to faccessat2: process_mrelease(-1, 0)")
        .map(|(_, v)| v.as_str());
    assert_eq!(above, Some("KILL_PROCESS"));
}
