//! Recorded profiles and what happens after the container started (issue 14): `rpod exec` into
//! a container under a recorded profile (both runtimes' exec handoffs), `rpod exec` into a
//! container being recorded (its processes are recorded, nothing else), a stopped and continued
//! sleep (the kernel's `restart_syscall`), and argument values recorded after the runtime's
//! handoff only. Root, the real kernel, the eBPF recorder, runc and crun.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::Value;
use support::recording::{allowed, can_record, read_json};
use support::{code, crun_ready, eventually, Env};

const ANNOTATION: &str = "io.containers.trace-syscall";
const ARGS: &str = "io.rpod.trace-syscall.args";
/// A container that runs until /tmp/stop exists (made by an `rpod exec`).
const UNTIL_STOP: &str = "while [ ! -e /tmp/stop ]; do sleep 0.05; done";

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A detached container, removed (`rm -f`) when the test is done with it, failed or not: a
/// failing assertion must not leave it running.
struct Running<'a> {
    e: &'a Env,
    id: String,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let _ = self.e.rpod(&["rm", "-f", &self.id]);
    }
}

/// `rpod run -d EXTRA... busybox sh -c UNTIL_STOP`.
fn start_until_stop<'a>(e: &'a Env, extra: &[&str]) -> Running<'a> {
    let mut args = vec!["run", "-d"];
    args.extend(extra);
    args.extend(["busybox", "sh", "-c", UNTIL_STOP]);
    Running {
        e,
        id: e.out(&args).trim().to_string(),
    }
}

/// `rpod exec ID touch /tmp/stop`, then `rpod wait ID`: the container's exit code.
fn stop(running: Running<'_>) -> String {
    let e = running.e;
    let o = e.rpod(&["exec", &running.id, "touch", "/tmp/stop"]);
    assert_eq!(code(&o), 0, "exec touch /tmp/stop: {}", stderr(&o));
    e.out(&["wait", &running.id]).trim().to_string()
}

/// Records `sh -c UNTIL_STOP` (stopped by an exec) under `runtime` into `out`.
fn record_until_stop(e: &Env, runtime: &str, out: &Path, extra: &[&str]) {
    let annotation = format!("{ANNOTATION}=of:{}", out.display());
    let mut args = vec!["--runtime", runtime, "--annotation", &annotation];
    args.extend(extra);
    assert_eq!(stop(start_until_stop(e, &args)), "0");
}

/// Issue 14, defect 1: crun's exec calls `statx` (and fchown, umask, ioctl) after installing
/// the filter; a recorded profile must let `rpod exec` work under either runtime, whichever
/// runtime it was recorded under.
#[test]
fn rpod_exec_works_under_both_runtimes_in_a_container_running_a_recorded_profile() {
    if !can_record() || !crun_ready() {
        return;
    }
    let e = Env::new();
    for recorded_under in ["runc", "crun"] {
        let out = e.dir.path().join(format!("loop-{recorded_under}.json"));
        record_until_stop(&e, recorded_under, &out, &[]);
        let seccomp = format!("seccomp={}", out.display());
        for runtime in ["runc", "crun"] {
            for nnp in [false, true] {
                let mut extra = vec!["--runtime", runtime, "--security-opt", &seccomp];
                if nnp {
                    extra.extend(["--security-opt", "no-new-privileges"]);
                }
                let id = start_until_stop(&e, &extra);
                let o = e.rpod(&["exec", &id.id, "true"]);
                let what = format!("recorded under {recorded_under}, exec under {runtime} (no-new-privileges {nnp})");
                assert_eq!(code(&o), 0, "{what}: {}", stderr(&o));
                assert_eq!(stop(id), "0", "{what}");
            }
        }
    }
}

/// Issue 14, defect 3: processes started with `rpod exec` into a recording container are
/// recorded (podman's hook records the whole pid namespace), and nothing of another container
/// running meanwhile, exec'd into too, is.
#[test]
fn rpod_exec_into_a_recording_container_is_recorded_and_nothing_else() {
    if !can_record() {
        return;
    }
    let e = Env::new();
    let out = e.dir.path().join("exec.json");
    let annotation = format!("{ANNOTATION}=of:{}", out.display());
    let recorded = start_until_stop(&e, &["--annotation", &annotation]);
    // Another container, not recorded, exec'd into while the recording runs.
    let other = start_until_stop(&e, &[]);
    let o = e.rpod(&["exec", &other.id, "rmdir", "/tmp/no-such-dir"]);
    assert_eq!(
        code(&o),
        1,
        "rmdir of a missing directory fails: {}",
        stderr(&o)
    );
    // Recorded: mkdir comes only from the exec'd process.
    let o = e.rpod(&["exec", &recorded.id, "mkdir", "/tmp/from-exec"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stop(recorded), "0");
    assert_eq!(stop(other), "0");
    let names = allowed(&read_json(&out));
    assert!(names.contains("mkdir"), "the exec'd mkdir: {names:?}");
    assert!(
        !names.contains("rmdir"),
        "the other container's exec: {names:?}"
    );
    let counts = read_json(&e.dir.path().join("exec.counts.json"));
    assert!(
        counts["syscalls"]["mkdir"]["calls"].as_u64().unwrap_or(0) >= 1,
        "{counts:#}"
    );
    // The exec'd process's handoff is the runtime's, not the workload's: runc's exec calls
    // setgroups after installing the filter, the workload (busybox) never does.
    assert!(
        counts["syscalls"].get("setgroups").is_none(),
        "the exec's handoff counted as the workload's: {counts:#}"
    );
    assert!(
        counts["handoff"]["setgroups"]["calls"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    );
}

/// `/proc/PID/stat`'s state letter (after the parenthesised command name).
fn state(pid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// Whether the task is blocked in one of `syscalls` (`/proc/PID/syscall`'s first field is the
/// number of the syscall it is blocked in).
fn asleep_in(pid: i32, syscalls: &[&str]) -> bool {
    let nrs: Vec<String> = syscalls
        .iter()
        .filter_map(|n| profiles::syscalls::number(profiles::Arch::native(), n))
        .map(|nr| nr.to_string())
        .collect();
    fs::read_to_string(format!("/proc/{pid}/syscall"))
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .is_some_and(|nr| nrs.contains(&nr))
}

/// Issue 14, defect 2: the kernel resumes a sleep interrupted by SIGSTOP/SIGCONT as
/// `restart_syscall`, which a recording of `sleep` never sees; every recorded profile allows it.
#[test]
fn a_sleep_under_its_recorded_profile_survives_stop_and_cont() {
    if !can_record() {
        return;
    }
    let e = Env::new();
    let out = e.dir.path().join("sleep.json");
    let annotation = format!("{ANNOTATION}=of:{}", out.display());
    let o = e.rpod(&[
        "run",
        "--rm",
        "--annotation",
        &annotation,
        "busybox",
        "sleep",
        "0.1",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let counts = read_json(&e.dir.path().join("sleep.counts.json"));
    assert!(
        counts["syscalls"].get("restart_syscall").is_none(),
        "a plain sleep never calls restart_syscall itself: {counts:#}"
    );
    let seccomp = format!("seccomp={}", out.display());
    let id = Running {
        e: &e,
        id: e
            .out(&[
                "run",
                "-d",
                "--security-opt",
                &seccomp,
                "busybox",
                "sleep",
                "1000",
            ])
            .trim()
            .to_string(),
    };
    let inspect: Value = serde_json::from_str(&e.out(&["inspect", &id.id])).unwrap();
    let sleep = i32::try_from(inspect[0]["State"]["Pid"].as_i64().expect("a pid")).unwrap();
    eventually("the sleep to be asleep", || {
        asleep_in(sleep, &["nanosleep", "clock_nanosleep"]).then_some(())
    });
    let pid = nix::unistd::Pid::from_raw(sleep);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    eventually("the sleep to stop", || {
        (state(sleep) == Some('T')).then_some(())
    });
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).unwrap();
    // Resumed, the sleep goes on sleeping (in restart_syscall); with restart_syscall denied
    // the interrupted sleep fails with EPERM and busybox's sleep exits at once.
    let resumed = eventually("the sleep to sleep again or end", || match state(sleep) {
        None | Some('Z' | 'X') => Some(false),
        Some('S') if asleep_in(sleep, &["restart_syscall", "nanosleep", "clock_nanosleep"]) => {
            Some(true)
        }
        _ => None,
    });
    assert!(
        resumed,
        "the sleep ended after SIGCONT instead of sleeping on"
    );
    drop(id);
    let names = allowed(&read_json(&out));
    for s in rpod::trace::prepare::KERNEL_ISSUED {
        assert!(names.contains(*s), "{s}: {names:?}");
    }
}

/// The values of a `MASKED_EQ` rule for `name` in the profile, or `None` when a rule allows it
/// whole.
fn rule_values(profile: &Value, name: &str) -> Option<BTreeSet<u64>> {
    let mut values = BTreeSet::new();
    for r in profile["syscalls"].as_array().unwrap() {
        if r["action"] != "SCMP_ACT_ALLOW"
            || !r["names"].as_array().unwrap().iter().any(|n| n == name)
        {
            continue;
        }
        let args = r["args"].as_array().map(Vec::as_slice).unwrap_or_default();
        if args.is_empty() {
            return None;
        }
        for a in args {
            values.insert(a["valueTwo"].as_u64().expect("a masked value"));
        }
    }
    Some(values)
}

/// Issue 14, defect 4: argument values are recorded from the workload's exec on; the runtime's
/// handoff (runc's and crun's prctl calls dropping capabilities) neither hides nor mixes with
/// them, and the profile allows the handoff's measured values so both runtimes still start the
/// workload and exec into it.
#[test]
fn argument_values_are_the_workloads_and_the_profile_adds_the_handoffs_measured_ones() {
    if !can_record() || !crun_ready() {
        return;
    }
    let e = Env::new();
    let out = e.dir.path().join("args.json");
    let args = format!("{ARGS}=prctl,fcntl");
    record_until_stop(&e, "runc", &out, &["--annotation", &args]);
    let counts = read_json(&e.dir.path().join("args.counts.json"));
    // PR_CAPBSET_DROP (24) and PR_CAP_AMBIENT (47) are the runtime's, never busybox's.
    let workload: BTreeSet<String> = counts["args"]["prctl"]["values"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for handoff in ["0x18", "0x2f"] {
        assert!(
            !workload.contains(handoff),
            "the handoff's prctl {handoff} counted as the workload's: {workload:?}"
        );
    }
    let profile = read_json(&out);
    let prctl = rule_values(&profile, "prctl").expect("prctl is not allowed whole");
    for v in rpod::runtime::handoff::arg_values("prctl", 0, 0xffff_ffff).unwrap() {
        assert!(prctl.contains(&v), "the handoff's prctl {v}: {prctl:?}");
    }
    let fcntl = rule_values(&profile, "fcntl").expect("fcntl is not allowed whole");
    assert!(fcntl.contains(&2), "runc's F_SETFD: {fcntl:?}");
    let seccomp = format!("seccomp={}", out.display());
    for runtime in ["runc", "crun"] {
        let id = start_until_stop(&e, &["--runtime", runtime, "--security-opt", &seccomp]);
        let o = e.rpod(&["exec", &id.id, "true"]);
        assert_eq!(code(&o), 0, "exec under {runtime}: {}", stderr(&o));
        assert_eq!(stop(id), "0", "{runtime}");
    }
}

/// The bound of following `rpod exec`: the recorder never follows the host's pid namespace, so
/// recording a `--pid=host` container does not pull in every process the host forks (the exec
/// into it is the documented gap).
#[test]
fn a_pid_host_recording_never_follows_the_hosts_pid_namespace() {
    if !can_record() {
        return;
    }
    let e = Env::new();
    let out = e.dir.path().join("pid-host.json");
    let annotation = format!("{ANNOTATION}=of:{}", out.display());
    let id = start_until_stop(&e, &["--pid=host", "--annotation", &annotation]);
    // A process forked in the host's pid namespace that installs a seccomp filter: runc's exec.
    let o = e.rpod(&["exec", &id.id, "mkdir", "/tmp/from-exec"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stop(id), "0");
    let names = allowed(&read_json(&out));
    assert!(!names.contains("mkdir"), "{names:?}");
    assert!(
        names.contains("clock_nanosleep") || names.contains("nanosleep"),
        "{names:?}"
    );
}
