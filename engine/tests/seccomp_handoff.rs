//! A profile must allow what runc and crun do between installing the filter and exec'ing the
//! workload (their handoff, `rpod::runtime::handoff`). Issue 14, defect 6: a recording of a host
//! command (`rpod seccomp record`) has none, the container did not start, and nothing said why.
//! `rpod seccomp record --for-container` adds the handoff; `rpod seccomp lint` and `rpod run`
//! name the missing calls and point to it.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::recording::can_record;
use support::{code, crun_ready, stderr, stdout, Env};

fn rpod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rpod"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("rpod runs")
}

/// What a host recording of a small static program looks like: its own calls, no handoff.
const HOST_RECORDING: &str = r#"{
  "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [{"names": ["arch_prctl", "brk", "exit_group", "getuid", "read",
                          "set_tid_address"], "action": "SCMP_ACT_ALLOW"}]
}"#;

fn missing_handoff(o: &Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("lint --format json");
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["id"] == "missing-runtime-handoff")
        .map(|f| f["message"].as_str().expect("message").to_string())
        .collect()
}

#[test]
fn lint_names_the_runtime_handoff_a_host_recording_lacks() {
    if !cfg!(target_arch = "x86_64") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let host = dir.path().join("host.json");
    fs::write(&host, HOST_RECORDING).expect("write");
    let o = rpod(&[
        "seccomp",
        "lint",
        "--format",
        "json",
        host.to_str().expect("utf8"),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let found = missing_handoff(&o);
    assert_eq!(found.len(), 2, "one finding per runtime: {found:?}");
    assert!(found
        .iter()
        .any(|m| m.starts_with("crun ") && m.contains("setresuid")));
    assert!(found
        .iter()
        .any(|m| m.starts_with("runc ") && m.contains("setgroups")));
    let text = rpod(&["seccomp", "lint", host.to_str().expect("utf8")]);
    assert!(
        stdout(&text).contains("rpod seccomp record --for-container"),
        "{}",
        stdout(&text)
    );

    // With both runtimes' handoff allowed, nothing is missing.
    let mut p: serde_json::Value = serde_json::from_str(HOST_RECORDING).expect("json");
    let handoff: Vec<&str> = rpod::runtime::handoff::syscalls().collect();
    p["syscalls"]
        .as_array_mut()
        .expect("syscalls")
        .push(serde_json::json!({"names": handoff, "action": "SCMP_ACT_ALLOW"}));
    let full = dir.path().join("for-container.json");
    fs::write(&full, p.to_string()).expect("write");
    let o = rpod(&[
        "seccomp",
        "lint",
        "--format",
        "json",
        full.to_str().expect("utf8"),
    ]);
    assert_eq!(missing_handoff(&o), Vec::<String>::new());
}

/// The same host recording, with and without `--for-container`, used for a container.
#[test]
fn a_host_recording_for_a_container_starts_it_under_runc_and_crun() {
    if !can_record() {
        return;
    }
    let crun = crun_ready();
    let e = Env::new();
    let d = e.dir.path();
    let record = |out: &Path, extra: &[&str]| {
        let mut args = vec!["seccomp", "record", "-o", out.to_str().expect("utf8")];
        args.extend(extra);
        args.extend(["--", "/bin/busybox", "true"]);
        let o = rpod(&args);
        assert_eq!(code(&o), 0, "record {extra:?}: {}", stderr(&o));
    };
    let plain = d.join("plain.json");
    let for_container = d.join("for-container.json");
    record(&plain, &[]);
    record(&for_container, &["--for-container"]);
    let run = |profile: &Path, runtime: &str| {
        e.rpod(&[
            "run",
            "--rm",
            "--runtime",
            runtime,
            "--security-opt",
            &format!("seccomp={}", profile.display()),
            "busybox",
            "true",
        ])
    };
    let mut runtimes = vec!["runc"];
    if crun {
        runtimes.push("crun");
    }
    for runtime in runtimes {
        let o = run(&plain, runtime);
        assert_eq!(code(&o), 125, "{runtime}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("--for-container") && stderr(&o).contains(runtime),
            "{runtime}: the error must name the runtime and --for-container: {}",
            stderr(&o)
        );
        let o = run(&for_container, runtime);
        assert_eq!(code(&o), 0, "{runtime}: {}", stderr(&o));
    }
    let lint = |p: &Path| {
        rpod(&[
            "seccomp",
            "lint",
            "--format",
            "json",
            p.to_str().expect("utf8"),
        ])
    };
    assert_eq!(missing_handoff(&lint(&plain)).len(), 2);
    assert_eq!(missing_handoff(&lint(&for_container)), Vec::<String>::new());
}
