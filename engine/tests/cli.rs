//! The `rpod seccomp` command line, run as a user would: exit codes, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rpod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rpod"))
        .args(args)
        .output()
        .expect("run rpod")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../profiles/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn podman_default() -> String {
    fixture("podman-default.json")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

const SMALL: &str = r#"{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
    {"names": ["write", "read", "exit_group"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
    {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"}
  ]
}"#;

#[test]
fn validate_accepts_podmans_default_and_lists_every_problem_of_a_bad_profile() {
    let o = rpod(&["seccomp", "validate", &podman_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["mkdri"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQUAL"}]}]}"#,
    );
    let o = rpod(&["seccomp", "validate", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("syscalls[0].names[0]: unknown syscall 'mkdri' (hint: did you mean 'mkdir'?)"),
        "{out}"
    );
    assert!(
        out.contains("syscalls[1].args[0].op: unknown operator 'SCMP_CMP_EQUAL'"),
        "{out}"
    );
    assert!(
        stderr(&o).contains("invalid (2 errors, 0 warnings)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn compile_json_is_normalized_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let once = dir.path().join("once.json");
    let twice = dir.path().join("twice.json");
    let o = rpod(&[
        "seccomp",
        "compile",
        &podman_default(),
        "-o",
        once.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = rpod(&[
        "seccomp",
        "compile",
        once.to_str().unwrap(),
        "-o",
        twice.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let a = std::fs::read_to_string(&once).unwrap();
    assert_eq!(a, std::fs::read_to_string(&twice).unwrap());
    assert!(a.ends_with("}\n"));
    // Equivalent to the original, as diff sees it.
    let o = rpod(&["seccomp", "diff", &podman_default(), once.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn simulate_prints_exactly_the_action_for_profiles_and_bpf_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "small.json", SMALL);
    let bpf = dir.path().join("small.bpf");
    let o = rpod(&[
        "seccomp",
        "compile",
        p.to_str().unwrap(),
        "--format",
        "bpf",
        "-o",
        bpf.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for input in [p.to_str().unwrap(), bpf.to_str().unwrap()] {
        for (args, expected) in [
            (vec!["write", "1"], "ALLOW\n"),
            (vec!["socket", "2", "1", "0"], "ALLOW\n"),
            (vec!["socket", "0x10", "3", "9"], "ERRNO(1)\n"),
            (vec!["41", "10"], "ERRNO(1)\n"),
            (vec!["ptrace"], "KILL_PROCESS\n"),
            (vec!["mkdir", "-1"], "ERRNO(1)\n"),
        ] {
            let mut cmd = vec!["seccomp", "simulate", input];
            cmd.extend(args.iter().copied());
            let o = rpod(&cmd);
            assert_eq!(o.status.code(), Some(0), "{cmd:?}: {}", stderr(&o));
            assert_eq!(stdout(&o), expected, "{cmd:?}");
        }
    }
    let o = rpod(&[
        "seccomp",
        "simulate",
        p.to_str().unwrap(),
        "read",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["action"], "ALLOW");
    assert_eq!(v["syscall"], "read");
    assert!(v["instructions"].as_u64().unwrap() > 2, "{v}");
}

#[test]
fn simulate_on_another_arch_uses_that_arch_numbers() {
    let o = rpod(&[
        "seccomp",
        "simulate",
        &podman_default(),
        "--arch",
        "aarch64",
        "bpf",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "ERRNO(1)\n");
    let o = rpod(&[
        "seccomp",
        "simulate",
        &podman_default(),
        "--arch",
        "aarch64",
        "--cap-add",
        "SYS_ADMIN",
        "bpf",
    ]);
    assert_eq!(stdout(&o), "ALLOW\n", "{}", stderr(&o));
    let o = rpod(&[
        "seccomp",
        "simulate",
        &podman_default(),
        "--arch",
        "aarch64",
        "open",
    ]);
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("'open' has no number on aarch64"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn errors_exit_125_with_what_and_a_hint() {
    let o = rpod(&["seccomp", "simulate", "/nonexistent.json", "read"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).starts_with("error: cannot open /nonexistent.json"),
        "{}",
        stderr(&o)
    );
    let o = rpod(&["seccomp", "simulate", &podman_default(), "opn"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("hint: did you mean 'open'?"),
        "{}",
        stderr(&o)
    );
    let o = rpod(&["seccomp", "frobnicate"]);
    assert_eq!(o.status.code(), Some(125), "usage errors are podman's 125");
    let o = rpod(&[
        "seccomp",
        "lint",
        &podman_default(),
        "--cap-add",
        "SYS_ADMN",
    ]);
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("did you mean CAP_SYS_ADMIN?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn compile_into_a_missing_directory_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing/out.bpf");
    let o = rpod(&[
        "seccomp",
        "compile",
        &podman_default(),
        "--format",
        "bpf",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).contains("no such directory"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn diff_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.json", SMALL);
    let b = write(
        dir.path(),
        "b.json",
        &SMALL.replace(
            "\"ptrace\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"",
            "\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\"",
        ),
    );
    let o = rpod(&["seccomp", "diff", a.to_str().unwrap(), a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = rpod(&[
        "seccomp",
        "diff",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("ptrace"), "{text}");
    serde_json::from_str::<serde_json::Value>(&text).expect("diff --format json is JSON");
}

#[test]
fn lint_fails_at_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "risky.json",
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["read", "bpf", "ptrace"], "action": "SCMP_ACT_ALLOW"}]}"#,
    );
    let o = rpod(&["seccomp", "lint", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("bpf"), "{}", stdout(&o));
    let o = rpod(&[
        "seccomp",
        "lint",
        p.to_str().unwrap(),
        "--fail-on",
        "never",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("lint --format json is JSON");
}

#[test]
fn merge_writes_a_valid_profile_that_allows_the_union() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.json",
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#,
    );
    let b = write(
        dir.path(),
        "b.json",
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["write"], "action": "SCMP_ACT_ALLOW"}]}"#,
    );
    let out = dir.path().join("merged.json");
    let o = rpod(&[
        "seccomp",
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (sys, expected) in [
        ("read", "ALLOW\n"),
        ("write", "ALLOW\n"),
        ("mkdir", "ERRNO(1)\n"),
    ] {
        let o = rpod(&["seccomp", "simulate", out.to_str().unwrap(), sys]);
        assert_eq!(stdout(&o), expected, "{sys}: {}", stderr(&o));
    }
}

#[test]
fn explain_answers_for_a_context() {
    let o = rpod(&[
        "seccomp",
        "explain",
        &podman_default(),
        "--arch",
        "aarch64",
        "--cap-add",
        "SYS_ADMIN",
        "--kernel",
        "6.1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("aarch64"), "{text}");
    let o = rpod(&["seccomp", "explain", &podman_default(), "--format", "json"]);
    serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("explain --format json is JSON");
}

#[test]
fn disasm_names_syscalls_and_arches() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "small.json", SMALL);
    let o = rpod(&["seccomp", "disasm", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("ARCH_X86_64"), "{text}");
    assert!(text.contains("ptrace"), "{text}");
}

#[test]
fn golden_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let small = write(dir.path(), "small.json", SMALL);
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "ENOSYS", "flag": [],
            "syscalls": [{"names": ["mkdri", "read"], "action": "SCMP_ACT_ALOW", "errnoRet": 1,
                          "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQUAL"}],
                          "includes": {"caps": ["SYS_ADMIN"], "minKernel": "five"}}]}"#,
    );
    // Paths vary per run; the transcripts name the files by their base name.
    let scrub = |s: String| s.replace(&format!("{}/", dir.path().display()), "");
    let small = small.to_str().unwrap();
    let o = rpod(&["seccomp", "disasm", small]);
    insta::assert_snapshot!("disasm_small", stdout(&o));
    let o = rpod(&["seccomp", "validate", bad.to_str().unwrap()]);
    insta::assert_snapshot!(
        "validate_bad",
        scrub(format!(
            "exit {:?}\n{}{}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        ))
    );
    let o = rpod(&["seccomp", "compile", bad.to_str().unwrap()]);
    insta::assert_snapshot!(
        "compile_bad",
        scrub(format!(
            "exit {:?}\n{}{}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        ))
    );
    let o = rpod(&["seccomp", "compile", small]);
    insta::assert_snapshot!("compile_small_json", stdout(&o));
}
