//! Resource test of the seccomp toolbox on hostile input (issue 12): each input that made rpod
//! hang, run out of memory or overflow its stack is given to the binary under `prlimit`
//! (1 GiB of address space, 60 s of CPU: generous guards, not timings), which must end on its
//! own with rpod's answer, not be killed by a limit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rpod_tests::hostile::{bit_tests, masked_rules};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rpod-seccomp-bounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write the input");
    p.display().to_string()
}

/// `rpod seccomp ARGS` under the limits.
fn bounded(args: &[&str]) -> Output {
    Command::new("prlimit")
        .args(["--as=1073741824", "--cpu=60", "--"])
        .arg(env!("CARGO_BIN_EXE_rpod"))
        .arg("seccomp")
        .args(args)
        .output()
        .expect("run prlimit")
}

/// Asserts rpod answered `code` (not a signal from a limit) and said `what` on stderr.
fn answers(args: &[&str], code: i32, what: &str) {
    let o = bounded(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(code),
        "rpod seccomp {args:?}: {:?}, stderr (start): {:.2000}",
        o.status,
        err
    );
    assert!(
        err.contains(what),
        "rpod seccomp {args:?} should say {what:?}; stderr (start): {err:.2000}"
    );
    // The report is bounded too: at most 51 diagnostics of at most a window of a line each
    // (the 10 MB name is quoted once in its message).
    assert!(
        o.stderr.len() < 11 << 20,
        "stderr is {} bytes",
        o.stderr.len()
    );
}

#[test]
fn hostile_policies_and_profiles_are_refused_within_bounds_issue_12() {
    if !rpod_tests::require("prlimit", rpod_tests::on_path("prlimit")) {
        return;
    }
    let dir = scratch();
    // Item 2: one error per filter on a 270 KB line took 24 GB and 51 s.
    let errors = write(
        &dir,
        "errors.kafel",
        &format!(
            "POLICY a {{ ALLOW {{ {} }} }} USE a DEFAULT KILL\n",
            "read(1), ".repeat(30_000)
        ),
    );
    answers(
        &["compile", &errors, "-o", "/dev/null"],
        125,
        "too many errors: 29950 more not shown after the first 50",
    );
    // Item 2: JSON nested 100,000 deep given to fmt (the policy parser) ran out of memory;
    // fmt now says it is JSON, and the policy parser, given it, counts its errors.
    let deep_text = "{\"a\":".repeat(100_000);
    let deep = write(&dir, "deep.json", &deep_text);
    answers(&["fmt", "--check", &deep], 125, "OCI JSON, not a policy");
    let deep_policy = write(&dir, "deep.kafel", &format!("DEFAULT KILL {deep_text}"));
    answers(&["fmt", "--check", &deep_policy], 125, "too many errors");
    // A 2 MB one-line policy formats.
    let wide = write(
        &dir,
        "wide.kafel",
        &format!(
            "DEFAULT KILL ALLOW {{ {}write }}\n",
            "read, ".repeat(350_000)
        ),
    );
    answers(&["fmt", "--check", &wide], 1, "is not formatted");
    // A 100,000-term chain overflowed the stack of every pass after the parser.
    let chain = write(
        &dir,
        "chain.kafel",
        &format!(
            "DEFAULT KILL ALLOW {{ read {{ {} }} }}\n",
            vec!["fd == 1"; 100_000].join(" || ")
        ),
    );
    answers(
        &["fmt", "--check", &chain],
        125,
        "filter expression too long",
    );
    answers(
        &["compile", "--format", "bpf", &chain, "-o", "/dev/null"],
        125,
        "filter expression too long",
    );
    // Item 8: a 10 MB name asked for a suggestion against every syscall name.
    let name = write(
        &dir,
        "name.kafel",
        &format!("DEFAULT KILL ALLOW {{ {} }}\n", "o".repeat(10 << 20)),
    );
    answers(
        &["compile", &name, "-o", "/dev/null"],
        125,
        "unknown syscall",
    );
    // Item 1: OR-ed bit tests over six arguments never finished lowering to OCI JSON.
    let bits = write(&dir, "bits.kafel", &bit_tests(20));
    answers(
        &["compile", &bits, "-o", "/dev/null"],
        125,
        "too complex to lower to OCI JSON",
    );
    answers(&["lint", &bits], 125, "too complex to lower to OCI JSON");
    answers(
        &["compile", "--format", "bpf", &bits, "-o", "/dev/null"],
        0,
        "wrote rpod's own BPF",
    );
    // Item 1: 80 masked rules of one argument kept lint busy 6 s and explain 12 s.
    let masked = write(&dir, "masked.json", &masked_rules(80));
    answers(&["lint", &masked], 125, "cannot lint");
    answers(&["explain", &masked], 125, "cannot explain");
    // decompile's searches run inside libseccomp builds, on threads of their own.
    answers(&["decompile", &masked], 125, "cannot decompile");
    std::fs::remove_dir_all(&dir).expect("remove the scratch directory");
}
