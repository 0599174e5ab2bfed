//! Recording one workload several times (issue 14): `rpod seccomp record --runs N` and the
//! annotation's `if:` merge both count per run, and the counts file names the syscalls that
//! were not seen in every run (`not_in_every_recording`).

mod support;

use std::path::Path;

use serde_json::Value;
use support::recording::{can_record, read_json};
use support::{code, stderr, stdout, Env, RemoveAll};

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|n| n.as_str().expect("a name").to_string())
        .collect()
}

/// A shell command that makes and removes a directory in every run but the first (a flag
/// file remembers the first run): the path one run misses.
fn sometimes_mkdir(dir: &Path) -> String {
    let (flag, d) = (dir.join("flag"), dir.join("d"));
    format!(
        "if [ -e {f} ]; then mkdir {d}; rmdir {d}; fi; : > {f}",
        f = flag.display(),
        d = d.display()
    )
}

#[test]
fn record_runs_merges_every_run_and_names_the_syscalls_a_run_missed() {
    if !can_record() {
        return;
    }
    let e = Env::new();
    let out = e.dir.path().join("sh.json");
    let script = sometimes_mkdir(e.dir.path());
    let o = e.rpod(&[
        "seccomp",
        "record",
        "--runs",
        "3",
        "-o",
        out.to_str().unwrap(),
        "--",
        "/bin/sh",
        "-c",
        &script,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let counts = read_json(&e.dir.path().join("sh.counts.json"));
    assert_eq!(counts["recordings"], 3, "{counts:#}");
    assert_eq!(counts["syscalls"]["mkdir"]["recordings"], 2);
    assert_eq!(counts["syscalls"]["execve"]["recordings"], 3);
    let rare = names(&counts["not_in_every_recording"]);
    assert!(
        rare.contains(&"mkdir".to_string()) && rare.contains(&"rmdir".to_string()),
        "{rare:?}"
    );
    for n in &rare {
        assert!(
            counts["syscalls"][n]["recordings"].as_u64() < Some(3),
            "{n} listed but seen in every run"
        );
    }
    assert!(!rare.contains(&"execve".to_string()), "{rare:?}");
    let err = stderr(&o);
    assert!(
        err.contains("not seen in every run:") && err.contains("mkdir (2 of 3)"),
        "{err}"
    );
    // The profile is the merge of the three: mkdir, seen in two runs, is allowed.
    let profile = read_json(&out);
    let allowed: Vec<String> = profile["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "SCMP_ACT_ALLOW")
        .flat_map(|r| names(&r["names"]))
        .collect();
    assert!(allowed.contains(&"mkdir".to_string()), "{allowed:?}");
}

#[test]
fn record_runs_to_stdout_prints_one_merged_profile() {
    if !can_record() {
        return;
    }
    let e = Env::new();
    let script = sometimes_mkdir(e.dir.path());
    let o = e.rpod(&[
        "seccomp", "record", "--runs", "2", "--", "/bin/sh", "-c", &script,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let profile: Value = serde_json::from_str(&stdout(&o)).expect("one JSON profile on stdout");
    assert!(
        profile.to_string().contains("\"mkdir\""),
        "the second run's mkdir is merged: {profile}"
    );
    assert!(stderr(&o).contains("mkdir (1 of 2)"), "{}", stderr(&o));
}

#[test]
fn a_single_run_lists_nothing_as_missed() {
    if !can_record() {
        return;
    }
    let e = Env::new();
    let out = e.dir.path().join("t.json");
    let o = e.rpod(&[
        "seccomp",
        "record",
        "-o",
        out.to_str().unwrap(),
        "--",
        "/bin/true",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let counts = read_json(&e.dir.path().join("t.counts.json"));
    assert_eq!(counts["recordings"], 1);
    assert!(counts.get("not_in_every_recording").is_none(), "{counts:#}");
    assert!(
        !stderr(&o).contains("not seen in every run"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn runs_must_be_at_least_one() {
    let e = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let o = e.rpod(&["seccomp", "record", "--runs", "0", "--", "/bin/true"]);
    assert_eq!(code(&o), 125, "{}", stderr(&o));
    assert!(stderr(&o).contains("--runs"), "{}", stderr(&o));
}

#[test]
fn the_annotations_if_merge_counts_runs_and_names_what_one_run_missed() {
    if !can_record() {
        return;
    }
    let e = Env::new();
    let _guard = RemoveAll(&e);
    let (first, merged) = (e.dir.path().join("a.json"), e.dir.path().join("b.json"));
    let a = format!("io.containers.trace-syscall=of:{}", first.display());
    let o = e.rpod(&["run", "--rm", "--annotation", &a, "busybox", "ls", "/"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let b = format!(
        "io.containers.trace-syscall=if:{};of:{}",
        first.display(),
        merged.display()
    );
    let o = e.rpod(&[
        "run",
        "--rm",
        "--annotation",
        &b,
        "busybox",
        "sh",
        "-c",
        "ls /; mkdir /tmp/x",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let counts = read_json(&e.dir.path().join("b.counts.json"));
    assert_eq!(counts["recordings"], 2, "{counts:#}");
    assert_eq!(counts["syscalls"]["mkdir"]["recordings"], 1);
    assert_eq!(counts["syscalls"]["getdents64"]["recordings"], 2);
    let rare = names(&counts["not_in_every_recording"]);
    assert!(rare.contains(&"mkdir".to_string()), "{rare:?}");
    assert!(!rare.contains(&"getdents64".to_string()), "{rare:?}");
}
