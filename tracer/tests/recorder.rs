//! The recorder against the real kernel: root, BPF, tracefs. Each test records a command run
//! by its own thread, so tests may run in parallel.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use tracer::{Options, Recorder, Start};

fn can_record() -> bool {
    rpod_tests::require(
        "bpf",
        nix::unistd::geteuid().is_root()
            && std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
    )
}

fn record(opts: &Options, cmd: &mut Command) -> tracer::Finished {
    let rec = Recorder::start(opts).expect("the recorder loads");
    let status = cmd.status().expect("the command runs");
    assert!(status.success(), "{cmd:?}: {status}");
    rec.finish(Duration::from_secs(2))
        .expect("the recording is read")
}

fn names(f: &tracer::Finished) -> BTreeSet<&str> {
    f.recording.syscalls.keys().map(String::as_str).collect()
}

#[test]
fn a_host_command_is_recorded_from_exec_to_exit() {
    if !can_record() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    let f = record(
        &Options {
            start: Start::Exec,
            ..Options::default()
        },
        Command::new("/bin/busybox").args(["mkdir", d.to_str().unwrap()]),
    );
    let n = names(&f);
    eprintln!("{f:?}");
    assert!(n.contains("mkdir"), "{n:?}");
    assert!(n.contains("exit_group"), "{n:?}");
    assert!(!n.contains("rmdir"), "{n:?}");
    assert!(f.is_complete(), "{f:?}");
}
