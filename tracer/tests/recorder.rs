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
    assert!(n.contains("mkdir"), "{n:?}");
    assert!(n.contains("exit_group"), "{n:?}");
    assert!(!n.contains("rmdir"), "{n:?}");
    assert!(f.is_complete(), "{f:?}");
}

fn all_names(f: &tracer::Finished) -> BTreeSet<&str> {
    f.recording
        .syscalls
        .keys()
        .chain(f.recording.handoff.keys())
        .map(String::as_str)
        .collect()
}

#[test]
fn the_window_opens_when_the_seccomp_filter_is_installed() {
    if !can_record() {
        return;
    }
    let probe = rpod_tests::Probe::new(rpod_tests::test_binary("seccomp-probe"));
    let allow = profiles::bpf::Insn::stmt(
        profiles::bpf::code::BPF_RET | profiles::bpf::code::BPF_K,
        profiles::bpf::SECCOMP_RET_ALLOW,
    )
    .to_bytes();
    let rmdir = profiles::syscalls::number(profiles::Arch::native(), "rmdir").unwrap();
    for mode in [
        rpod_tests::ProbeMode::Process,
        rpod_tests::ProbeMode::Thread,
    ] {
        let rec = Recorder::start(&Options::default()).expect("the recorder loads");
        let outcome = probe.with_mode(mode).run(&allow, rmdir, [0; 6]);
        assert_eq!(outcome, rpod_tests::KernelOutcome::Errno(libc::EFAULT));
        let f = rec.finish(Duration::from_secs(2)).unwrap();
        let n = all_names(&f);
        assert!(n.contains("rmdir"), "{mode:?}: {n:?}");
        // Before the install: the exec, reading the filter file, no_new_privs.
        for before in ["execve", "openat", "read"] {
            assert!(
                !n.contains(before),
                "{mode:?}: {before} was before the window: {n:?}"
            );
        }
        // No exec after the install: everything is the launcher's handoff.
        assert!(
            f.recording.syscalls.is_empty(),
            "{:?}",
            f.recording.syscalls
        );
    }
}

#[test]
fn only_the_starting_threads_descendants_are_recorded() {
    if !can_record() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir(&b).unwrap();
    // Another thread of this process, started before the recording (so outside the tree),
    // removes b during it.
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn({
        let b = b.clone();
        move || {
            wait.recv().unwrap();
            Command::new("/bin/busybox")
                .arg("rmdir")
                .arg(&b)
                .status()
                .unwrap()
        }
    });
    let rec = Recorder::start(&Options {
        start: Start::Exec,
        ..Options::default()
    })
    .unwrap();
    go.send(()).unwrap();
    assert!(other.join().unwrap().success());
    let st = Command::new("/bin/busybox")
        .arg("mkdir")
        .arg(&a)
        .status()
        .unwrap();
    assert!(st.success());
    let f = rec.finish(Duration::from_secs(2)).unwrap();
    let n = names(&f);
    assert!(n.contains("mkdir"), "{n:?}");
    assert!(
        !n.contains("rmdir"),
        "a process outside the tree was recorded: {n:?}"
    );
}

#[test]
fn thirty_two_bit_calls_are_named_from_the_i386_table() {
    if !can_record() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let elf = dir.path().join("mkdir32");
    std::fs::write(&elf, rpod_tests::i386_mkdir_elf()).unwrap();
    std::fs::set_permissions(&elf, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let f = record(
        &Options {
            start: Start::Exec,
            ..Options::default()
        },
        &mut Command::new(&elf),
    );
    let compat = f
        .recording
        .compat
        .as_ref()
        .expect("32-bit calls recorded apart");
    assert_eq!(compat.arch, profiles::Arch::X86);
    let names: Vec<&str> = compat.syscalls.keys().map(String::as_str).collect();
    assert_eq!(names, ["exit", "mkdir"]);
    // i386's 39 and 1 are x86_64's getpid and write: neither may appear.
    assert_eq!(f.recording.syscalls.keys().collect::<Vec<_>>(), ["execve"]);
}
