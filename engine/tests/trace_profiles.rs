//! Recorded profiles a reviewer would approve (issue 14, docs/recorded-profiles.md), end to
//! end: a recording of a real workload passes `rpod seccomp lint --fail-on high` and runs the
//! workload again when enforced; argument values are generalised by meaning; the recording
//! stays within its base profile and says where the workload needed more; an input's argument
//! rules are not widened silently (defect 5). Root, the eBPF recorder and runc.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::recording::{can_record, read_json};
use support::{code, stderr, stdout, Env};

const ANNOTATION: &str = "io.containers.trace-syscall";

fn rpod_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rpod"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("rpod runs")
}

/// `rpod seccomp lint P --fail-on high` passes.
fn assert_lint_clean_at_high(p: &Path) {
    let o = rpod_host(&["seccomp", "lint", p.to_str().unwrap(), "--fail-on", "high"]);
    assert_eq!(
        code(&o),
        0,
        "lint --fail-on high: {}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// What the profile does with one call (`rpod seccomp simulate`), e.g. "ALLOW", "ERRNO(22)".
fn simulate(p: &Path, args: &[&str]) -> String {
    let mut a = vec!["seccomp", "simulate", p.to_str().unwrap()];
    a.extend(args);
    let o = rpod_host(&a);
    assert_eq!(code(&o), 0, "simulate {args:?}: {}", stderr(&o));
    stdout(&o).trim().to_string()
}

/// Records `cmd` in a busybox container, checks lint, and runs `again` under the profile.
fn record_then_enforce(e: &Env, name: &str, cmd: &[&str], again: &[&str]) -> (Value, Output) {
    let out = e.dir.path().join(format!("{name}.json"));
    let annotation = format!("{ANNOTATION}=of:{}", out.display());
    let mut args = vec!["run", "--rm", "--annotation", &annotation, "busybox"];
    args.extend(cmd);
    let o = e.rpod(&args);
    assert_eq!(code(&o), 0, "recording {name}: {}", stderr(&o));
    assert_lint_clean_at_high(&out);
    let opt = format!("seccomp={}", out.display());
    let mut args = vec!["run", "--rm", "--security-opt", &opt, "busybox"];
    args.extend(again);
    (read_json(&out), e.rpod(&args))
}

fn rules_for<'a>(profile: &'a Value, name: &str) -> Vec<&'a Value> {
    profile["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["names"].as_array().unwrap().iter().any(|n| n == name))
        .collect()
}

#[test]
fn a_recorded_threaded_program_passes_lint_and_starts_its_threads_through_the_clone_fallback() {
    if !can_record() {
        return;
    }
    // syscall-markers is a glibc program with threads (pthread_create: clone3 first).
    let markers = rpod_tests::test_binary("syscall-markers");
    let e = Env::with(|rootfs| rpod_tests::install_binary(rootfs, &markers, "/markers"));
    let (profile, o) = record_then_enforce(
        &e,
        "markers",
        &["/markers", "/tmp/work"],
        &["/markers", "/tmp/work"],
    );
    assert_eq!(code(&o), 0, "enforced: {}", stderr(&o));
    assert_eq!(stdout(&o), "markers done\n");
    let clone3 = rules_for(&profile, "clone3");
    assert_eq!(clone3.len(), 1, "{profile:#}");
    assert_eq!(clone3[0]["action"], "SCMP_ACT_ERRNO");
    assert_eq!(clone3[0]["errnoRet"], 38);
    let clone = rules_for(&profile, "clone");
    assert!(
        clone
            .iter()
            .all(|r| r["args"][0]["op"] == "SCMP_CMP_MASKED_EQ"),
        "clone is limited by its namespace flags: {clone:?}"
    );
}

#[test]
fn a_recorded_loopback_server_and_client_pass_lint_and_run_with_sockets_limited_to_ip() {
    if !can_record() {
        return;
    }
    let e = Env::new();
    let script = "httpd -f -p 127.0.0.1:8080 -h /etc & \
                  for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://127.0.0.1:8080/group && break; sleep 0.2; done; \
                  kill %1";
    let (profile, o) =
        record_then_enforce(&e, "http", &["sh", "-c", script], &["sh", "-c", script]);
    assert_eq!(code(&o), 0, "enforced: {}", stderr(&o));
    assert!(stdout(&o).contains("root:x:0:"), "{}", stdout(&o));
    let out = e.dir.path().join("http.json");
    // IPv4 seen, so IPv6 (same meaning); no netlink, no packet sockets.
    assert_eq!(simulate(&out, &["socket", "2", "1", "0"]), "ALLOW");
    assert_eq!(simulate(&out, &["socket", "10", "1", "0"]), "ALLOW");
    assert_eq!(simulate(&out, &["socket", "17", "3", "0"]), "ERRNO(1)");
    assert!(!rules_for(&profile, "socket").is_empty());
}

#[test]
fn tty_ioctls_seen_once_allow_the_harmless_tty_group_but_not_tiocsti() {
    if !can_record() || !rpod_tests::require("script (util-linux)", rpod_tests::on_path("script")) {
        return;
    }
    let e = Env::new();
    let out = e.dir.path().join("tty.json");
    let run = |extra: &str, cmd: &str| {
        let line = format!(
            "{} --root {} --runroot {} run --rm -t {extra} busybox sh -c '{cmd}'",
            env!("CARGO_BIN_EXE_rpod"),
            e.dir.path().join("root").display(),
            e.dir.path().join("run").display(),
        );
        Command::new("script")
            .args(["-qec", &line])
            .arg(e.dir.path().join("typescript"))
            .stdin(Stdio::null())
            .output()
            .expect("script")
    };
    // Recorded: reading the terminal's settings only (`; true` makes sh fork, as below).
    let o = run(
        &format!("--annotation {ANNOTATION}=of:{}", out.display()),
        "stty size; true",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_lint_clean_at_high(&out);
    // Enforced: setting them (TCSETS, TIOCSWINSZ), never recorded, same meaning.
    let o = run(
        &format!("--security-opt seccomp={}", out.display()),
        "stty rows 33 cols 77 && stty -echo && stty echo && stty size",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("33 77"), "{}", stdout(&o));
    assert_eq!(
        simulate(&out, &["ioctl", "0", "0x5412"]),
        "ERRNO(1)",
        "TIOCSTI"
    );
}

#[test]
fn netlink_audit_sockets_stay_einval_as_in_podmans_default() {
    if !can_record() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("nl.json");
    // busybox's ip opens an AF_NETLINK (NETLINK_ROUTE) socket. --for-container: the profile
    // is linted as a container's (a host recording without the runtimes' handoff is a high
    // finding of its own).
    let o = rpod_host(&[
        "seccomp",
        "record",
        "--for-container",
        "-o",
        out.to_str().unwrap(),
        "--",
        "busybox",
        "ip",
        "link",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(simulate(&out, &["socket", "16", "3", "0"]), "ALLOW");
    assert_eq!(simulate(&out, &["socket", "16", "3", "9"]), "ERRNO(22)");
    assert_lint_clean_at_high(&out);
}

#[test]
fn calls_beyond_the_base_are_denied_as_the_base_does_and_reported() {
    if !can_record() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base.json");
    fs::write(
        &base,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#,
    )
    .unwrap();
    let out = d.path().join("mk.json");
    let target = d.path().join("made");
    let o = rpod_host(&[
        "seccomp",
        "record",
        "--base",
        base.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--",
        "busybox",
        "mkdir",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("beyond what the base profile allows"),
        "{}",
        stderr(&o)
    );
    let counts = read_json(&d.path().join("mk.counts.json"));
    assert_eq!(counts["beyond_base"]["mkdir"], 1, "{counts:#}");
    // The base's own answer, not the recording's default.
    assert_eq!(simulate(&out, &["mkdir"]), "ERRNO(13)");
    assert_eq!(simulate(&out, &["exit_group"]), "ALLOW");
}

#[test]
fn an_inputs_argument_rules_are_kept_not_widened_without_argument_values() {
    if !can_record() {
        return;
    }
    // Defect 5: if: with argument rules, a recording that has no values for that syscall.
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in.json");
    fs::write(
        &input,
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":448,"op":"SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap();
    let out = d.path().join("out.json");
    let target = d.path().join("made");
    let o = rpod_host(&[
        "seccomp",
        "record",
        "-i",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--",
        "busybox",
        "mkdir",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the input's rules are kept"),
        "{}",
        stderr(&o)
    );
    let profile = read_json(&out);
    let mkdir = rules_for(&profile, "mkdir");
    assert_eq!(mkdir.len(), 1, "{profile:#}");
    assert_eq!(mkdir[0]["args"][0]["value"], 448);
    assert_eq!(simulate(&out, &["mkdir", "0", "511"]).as_str(), "ERRNO(1)");
}
