//! rpod as users run it, end to end (root, runc, the real kernel): import a busybox image built
//! from Debian's busybox-static, then `rpod run`, `ps`, `logs`, `exec`, `stop`, `rm`, with the
//! seccomp profile really enforced. Every test uses its own `--root`/`--runroot`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rpod_tests::require;

mod support;
use support::{code, crun_ready, eventually, ready, Env};

/// `--root`/`--runroot` relative to the current directory name the same store as the absolute
/// paths (runc runs in the bundle directory: a relative rootfs path would be wrong there).
#[test]
fn relative_root_and_runroot_are_taken_from_the_current_directory() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let o = Command::new(env!("CARGO_BIN_EXE_rpod"))
        .current_dir(e.dir.path())
        .args([
            "--root",
            "root",
            "--runroot",
            "run",
            "run",
            "--rm",
            "busybox",
        ])
        .args(["echo", "relative"])
        .stdin(Stdio::null())
        .output()
        .expect("rpod runs");
    assert_eq!(
        (code(&o), String::from_utf8_lossy(&o.stdout).as_ref()),
        (0, "relative\n"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn run_prints_output_and_exits_with_the_containers_code() {
    if !ready() {
        return;
    }
    let e = Env::new();
    assert_eq!(
        e.out(&["run", "--rm", "busybox", "echo", "hello"]),
        "hello\n"
    );
    assert_eq!(
        code(&e.rpod(&["run", "--rm", "busybox", "sh", "-c", "exit 3"])),
        3
    );
    assert_eq!(
        code(&e.rpod(&["run", "--rm", "busybox", "no-such-command"])),
        127
    );
    assert_eq!(
        code(&e.rpod(&["run", "--rm", "busybox", "/etc/passwd"])),
        126
    );
    assert_eq!(code(&e.rpod(&["run", "--rm", "no-such-image"])), 125);
    // --rm leaves nothing behind.
    assert_eq!(e.out(&["ps", "-a", "--format", "json"]).trim(), "[]");
}

#[test]
fn the_default_profile_is_loaded_and_denies_what_podman_denies() {
    if !ready() {
        return;
    }
    let e = Env::with(install_probe);
    let status = |extra: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "busybox",
            "grep",
            "-E",
            "^(Seccomp|NoNewPrivs|CapEff):",
            "/proc/self/status",
        ]);
        e.out(&args)
    };
    let default = status(&[]);
    assert!(default.contains("Seccomp:\t2"), "{default}");
    // podman's default capability set: chown dac_override fowner fsetid kill setgid setuid
    // setpcap net_bind_service sys_chroot setfcap.
    assert!(default.contains("CapEff:\t00000000800405fb"), "{default}");
    assert!(status(&["--security-opt", "seccomp=unconfined"]).contains("Seccomp:\t0"));
    assert!(status(&["--security-opt", "no-new-privileges"]).contains("NoNewPrivs:\t1"));
    let dropped = status(&["--cap-drop", "ALL"]);
    assert!(dropped.contains("CapEff:\t0000000000000000"), "{dropped}");

    // What the filter answers, through `rpod run` (issue 11): `seccomp-probe` in the
    // container makes one syscall and prints the kernel's answer. It installs an allow-all
    // filter of its own first, which leaves the container's filter in charge.
    let rootfs = e.dir.path().join("rootfs");
    let nr = |name: &str| {
        profiles::syscalls::number(profiles::Arch::native(), name)
            .unwrap_or_else(|| panic!("{name} has a number on this arch"))
    };
    // CAP_BPF and CAP_SYS_BOOT lift the kernel's own checks for bpf and kexec_load, so with
    // them only the filter can answer EPERM; podman's profile denies both regardless.
    let caps = ["--cap-add", "BPF", "--cap-add", "SYS_BOOT"];
    const UFFD_USER_MODE_ONLY: u64 = 1;
    let cases: [(&str, u32, [u64; 6], &str); 7] = [
        // Denied on purpose by podman's profile: EPERM.
        ("bpf", nr("bpf"), [0; 6], "ERRNO 1"),
        (
            "perf_event_open",
            nr("perf_event_open"),
            [0, 0, u64::MAX, u64::MAX, 0, 0],
            "ERRNO 1",
        ),
        (
            "userfaultfd",
            nr("userfaultfd"),
            [UFFD_USER_MODE_ONLY, 0, 0, 0, 0, 0],
            "ERRNO 1",
        ),
        // More segments than KEXEC_SEGMENT_MAX: EINVAL once permitted, never a real load.
        (
            "kexec_load",
            nr("kexec_load"),
            [0, 1000, 0, 0, 0, 0],
            "ERRNO 1",
        ),
        // Not listed in podman's profile (newer than it): ENOSYS from the filter; the kernel
        // itself answers EBADF for this fd.
        (
            "cachestat",
            nr("cachestat"),
            [u64::MAX, 0, 0, 0, 0, 0],
            "ERRNO 38",
        ),
        // A number no kernel knows: ENOSYS (from the filter, and from the kernel).
        ("syscall 1000", 1000, [0; 6], "ERRNO 38"),
        // Allowed: it runs, and the probe is the container's first process.
        ("getpid", nr("getpid"), [0; 6], "RET 1"),
    ];
    let probe = |extra: &[&str], nr: u32, args: [u64; 6]| {
        let mut argv = vec!["run", "--rm"];
        argv.extend_from_slice(extra);
        let nr = nr.to_string();
        let args: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
        argv.extend_from_slice(&["busybox", "/probe", "/allow.bpf", &nr]);
        argv.extend(args.iter().map(String::as_str));
        e.out(&argv).trim().to_string()
    };
    let podman = require("podman", rpod_tests::on_path("podman"));
    for (name, nr, args, want) in cases {
        let got = probe(&caps, nr, args);
        assert_eq!(got, want, "{name} under the default profile, with {caps:?}");
        if want != "RET 1" && name != "syscall 1000" {
            let unconfined = [&["--security-opt", "seccomp=unconfined"], &caps[..]].concat();
            let without = probe(&unconfined, nr, args);
            assert_ne!(
                without, want,
                "{name} without a filter gives the same answer, so the filter is not shown to deny it"
            );
        }
        // Without the extra capabilities: the same answer.
        assert_eq!(probe(&[], nr, args), want, "{name} in a default container");
        if podman {
            let theirs = podman_probe(&e.dir.path().join("podman"), &rootfs, &caps, nr, args);
            assert_eq!(got, theirs, "{name}: rpod and podman answer differently");
        }
    }
}

/// Puts `seccomp-probe` (with the libraries it links) at `/probe` in a rootfs, and an allow-all
/// filter for it at `/allow.bpf`.
fn install_probe(rootfs: &Path) {
    rpod_tests::install_binary(rootfs, &rpod_tests::test_binary("seccomp-probe"), "/probe");
    let allow = profiles::bpf::Insn::stmt(
        profiles::bpf::code::BPF_RET | profiles::bpf::code::BPF_K,
        profiles::bpf::SECCOMP_RET_ALLOW,
    )
    .to_bytes();
    std::fs::write(rootfs.join("allow.bpf"), allow).expect("allow.bpf");
}

/// What `seccomp-probe` reports under podman's own default profile, run by podman on the same
/// rootfs. podman 4.3 asks for rlimits this machine cannot grant without CAP_SYS_RESOURCE
/// (`docs/host.md`), so the hard limits are passed explicitly (instead of the containers.conf
/// drop-in an administrator would write); its storage lives under `dir`, runc is its runtime
/// (crun needs the hugetlb controller), and it has no network.
fn podman_probe(dir: &Path, rootfs: &Path, extra: &[&str], nr: u32, args: [u64; 6]) -> String {
    use nix::sys::resource::{getrlimit, Resource};
    let (_, nofile) = getrlimit(Resource::RLIMIT_NOFILE).expect("RLIMIT_NOFILE");
    let (_, nproc) = getrlimit(Resource::RLIMIT_NPROC).expect("RLIMIT_NPROC");
    // podman lowers its own nproc to 32768 at start.
    let nproc = nproc.min(32768);
    let o = Command::new("podman")
        .arg("--root")
        .arg(dir.join("root"))
        .arg("--runroot")
        .arg(dir.join("run"))
        .args(["--runtime", "runc", "--cgroup-manager", "cgroupfs"])
        .args([
            "--events-backend",
            "file",
            "run",
            "--rm",
            "--network",
            "none",
        ])
        .arg(format!("--ulimit=nofile={nofile}:{nofile}"))
        .arg(format!("--ulimit=nproc={nproc}:{nproc}"))
        .args(extra)
        .arg("--rootfs")
        .arg(rootfs)
        .args(["/probe", "/allow.bpf", &nr.to_string()])
        .args(args.iter().map(|a| format!("{a:#x}")))
        .stdin(Stdio::null())
        .output()
        .expect("podman runs");
    assert!(
        o.status.success(),
        "podman run of the probe: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn a_profile_that_denies_mkdir_makes_only_mkdir_fail() {
    if !ready() {
        return;
    }
    let e = Env::new();
    for (name, text) in [
        ("deny.kafel", "DEFAULT ALLOW\nERRNO(1) { mkdir, mkdirat }\n"),
        (
            "deny.json",
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#,
        ),
    ] {
        let path = e.dir.path().join(name);
        std::fs::write(&path, text).expect("profile");
        let opt = format!("seccomp={}", path.display());
        let o = e.rpod(&[
            "run",
            "--rm",
            "--security-opt",
            &opt,
            "busybox",
            "sh",
            "-c",
            "echo before; mkdir /tmp/x; echo status=$?; touch /tmp/y && echo touched",
        ]);
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(out, "before\nstatus=1\ntouched\n", "{name}: {err}");
        assert!(err.contains("Operation not permitted"), "{name}: {err}");
    }
}

#[test]
fn detached_containers_are_listed_logged_stopped_and_removed() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let id = e.out(&[
        "run",
        "-d",
        "--name",
        "web",
        "busybox",
        "sh",
        "-c",
        "echo started; exec sleep 60",
    ]);
    assert_eq!(id.trim().len(), 64);
    let ps = e.out(&["ps", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&ps).expect("json");
    assert_eq!(v[0]["Names"][0], "web");
    assert_eq!(v[0]["State"], "running");
    assert!(v[0]["Pid"].as_i64().unwrap_or(0) > 0);
    // The log has the first line once the shell ran.
    let logs = eventually("the first log line", || {
        Some(e.out(&["logs", "web"])).filter(|l| !l.is_empty())
    });
    assert_eq!(logs, "started\n");
    assert_eq!(e.out(&["exec", "web", "echo", "from-exec"]), "from-exec\n");
    assert_eq!(code(&e.rpod(&["exec", "web", "sh", "-c", "exit 4"])), 4);
    let inspect: serde_json::Value =
        serde_json::from_str(&e.out(&["inspect", "web"])).expect("json");
    assert_eq!(inspect[0]["Seccomp"]["Profile"], "default");
    assert!(inspect[0]["Seccomp"]["Digest"]
        .as_str()
        .unwrap_or("")
        .starts_with("sha256:"));
    e.out(&["stop", "-t", "1", "web"]);
    let ps = e.out(&["ps", "-a", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&ps).expect("json");
    assert_eq!(v[0]["State"], "exited");
    assert_eq!(
        v[0]["ExitCode"], 137,
        "sleep ignores nothing but SIGTERM as pid 1: killed"
    );
    e.out(&["rm", "web"]);
    assert_eq!(e.out(&["ps", "-a", "--format", "json"]).trim(), "[]");
}

#[test]
fn pid_host_and_volumes() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let mine = std::process::id().to_string();
    let ps = e.out(&["run", "--rm", "--pid=host", "busybox", "ls", "/proc"]);
    assert!(ps.lines().any(|l| l == mine), "the host's pids are visible");
    let ps = e.out(&["run", "--rm", "busybox", "ls", "/proc"]);
    assert!(!ps.lines().any(|l| l == mine));
    let vol = e.dir.path().join("vol");
    std::fs::create_dir(&vol).expect("vol");
    let spec = format!("{}:/data", vol.display());
    e.out(&[
        "run",
        "--rm",
        "-v",
        &spec,
        "busybox",
        "sh",
        "-c",
        "echo hi > /data/f",
    ]);
    assert_eq!(
        std::fs::read_to_string(vol.join("f")).expect("written"),
        "hi\n"
    );
    let ro = format!("{}:/data:ro", vol.display());
    let o = e.rpod(&[
        "run",
        "--rm",
        "-v",
        &ro,
        "busybox",
        "sh",
        "-c",
        "echo x > /data/g",
    ]);
    assert_ne!(code(&o), 0);
    assert!(!vol.join("g").exists());
}

#[test]
fn twenty_parallel_runs_leave_no_phantom_containers() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let children: Vec<_> = (0..20)
        .map(|_| {
            e.cmd(&["run", "--rm", "busybox", "true"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(e.out(&["ps", "-a", "--format", "json"]).trim(), "[]");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let root: PathBuf = e.dir.path().join("root");
    assert!(
        !mounts.contains(root.to_str().expect("utf8")),
        "no container root filesystem stays mounted"
    );
}

#[test]
fn create_start_attach_kill_wait_and_image_inspect() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let id = e.out(&[
        "create",
        "--name",
        "job",
        "busybox",
        "sh",
        "-c",
        "echo attached; exit 7",
    ]);
    assert_eq!(id.trim().len(), 64);
    let ps: serde_json::Value =
        serde_json::from_str(&e.out(&["ps", "-a", "--format", "json"])).expect("json");
    assert_eq!(ps[0]["State"], "created");
    let o = e.rpod(&["start", "-a", "job"]);
    assert_eq!(code(&o), 7);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "attached\n");
    assert_eq!(e.out(&["wait", "job"]), "7\n");
    e.out(&["rm", "job"]);

    e.out(&["run", "-d", "--name", "sleeper", "busybox", "sleep", "60"]);
    e.out(&["kill", "-s", "KILL", "sleeper"]);
    assert_eq!(e.out(&["wait", "sleeper"]), "137\n");
    e.out(&["rm", "sleeper"]);

    let img: serde_json::Value =
        serde_json::from_str(&e.out(&["image", "inspect", "busybox"])).expect("json");
    assert_eq!(img[0]["RepoTags"][0], "localhost/busybox:latest");
    assert_eq!(img[0]["Config"]["Cmd"][0], "/bin/sh");
    // An image in use cannot be removed; once its containers are gone it can.
    e.out(&["create", "--name", "user", "busybox", "true"]);
    assert_eq!(
        code(&e.rpod(&["rmi", "busybox"])),
        2,
        "podman's code for in use"
    );
    e.out(&["rm", "user"]);
    e.out(&["rmi", "busybox"]);
    assert_eq!(e.out(&["images", "--format", "json"]).trim(), "[]");
}

#[test]
fn crun_runs_the_same_container_when_the_machine_lets_it() {
    if !ready() || !crun_ready() {
        return;
    }
    let e = Env::new();
    let out = e.out(&[
        "run",
        "--rm",
        "--runtime",
        "crun",
        "busybox",
        "grep",
        "Seccomp:",
        "/proc/self/status",
    ]);
    assert_eq!(out, "Seccomp:\t2\n");
    assert_eq!(
        code(&e.rpod(&[
            "run",
            "--rm",
            "--runtime",
            "crun",
            "busybox",
            "sh",
            "-c",
            "exit 5"
        ])),
        5
    );
}

#[test]
fn a_killed_monitor_leaves_a_state_the_next_command_repairs() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let id = e.out(&["run", "-d", "--name", "orphan", "busybox", "sleep", "60"]);
    let id = id.trim();
    let pid_file = e
        .dir
        .path()
        .join("run/containers")
        .join(id)
        .join("monitor.pid");
    let monitor: i32 = std::fs::read_to_string(&pid_file)
        .expect("monitor.pid")
        .trim()
        .parse()
        .expect("pid");
    // The container's own process, then its monitor, die without cleaning up.
    let ps: serde_json::Value =
        serde_json::from_str(&e.out(&["ps", "--format", "json"])).expect("json");
    let container_pid = i32::try_from(ps[0]["Pid"].as_i64().expect("pid")).expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitor),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill monitor");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(container_pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill container");
    // ps notices the dead monitor once both processes are gone.
    eventually("ps to show the orphan exited", || {
        let ps: serde_json::Value =
            serde_json::from_str(&e.out(&["ps", "-a", "--format", "json"])).expect("json");
        (ps[0]["State"] == "exited").then_some(())
    });
    e.out(&["rm", "orphan"]);
    assert_eq!(e.out(&["ps", "-a", "--format", "json"]).trim(), "[]");
    let mounts = std::fs::read_to_string("/proc/thread-self/mountinfo").expect("mountinfo");
    assert!(!mounts.contains(id), "its root filesystem is unmounted");
}

#[test]
fn pid_container_joins_another_containers_pid_namespace() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&["run", "-d", "--name", "first", "busybox", "sleep", "60"]);
    let ps = e.out(&[
        "run",
        "--rm",
        "--pid=container:first",
        "busybox",
        "ps",
        "-o",
        "comm",
    ]);
    assert!(
        ps.lines().any(|l| l.trim() == "sleep"),
        "the first container's sleep is visible:\n{ps}"
    );
    e.out(&["rm", "-f", "-t", "0", "first"]);
}

#[test]
fn tty_gives_the_process_a_terminal() {
    if !ready()
        || !require(
            "script (util-linux)",
            Path::new("/usr/bin/script").is_file(),
        )
    {
        return;
    }
    let e = Env::new();
    let rpod = format!(
        "{} --root {} --runroot {} run --rm -it busybox sh",
        env!("CARGO_BIN_EXE_rpod"),
        e.dir.path().join("root").display(),
        e.dir.path().join("run").display()
    );
    // `script` gives rpod a terminal of its own, as a person's shell would. Its typescript
    // goes to the test's directory: a /dev/null that is a regular file would grow with it.
    let mut child = Command::new("script")
        .args(["-qec", &rpod])
        .arg(e.dir.path().join("typescript"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"tty; echo from-the-terminal\nexit 2\n")
        .expect("type");
    let o = child.wait_with_output().expect("wait");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("/dev/pts/0"),
        "the shell has a terminal:\n{out}"
    );
    assert!(out.contains("from-the-terminal"), "{out}");
    assert_eq!(code(&o), 2, "the container's exit code:\n{out}");
}

// ---------------------------------------------------------------------------------------------
// The runtime's handoff (issue 11): a filter that denies what runc or crun call after installing
// it is refused before the container starts, naming the runtime and the calls; one that allows
// them runs, whatever else it denies.

/// The README's example policy: deny by default, `write` only to fds 1 and 2.
const README_POLICY: &str = "\
ERRNO(1) { ptrace, mkdir }
ALLOW {
  read, write { fd == 1 || fd == 2 }, exit_group,
  socket(domain, type, protocol) { domain == 1 || domain == 2 }
}
DEFAULT KILL_PROCESS
";

/// What `busybox mkdir DIR` calls after its exec (`strace -f` of Debian's busybox-static 1.35).
const MKDIR_WORKLOAD: &[&str] = &[
    "arch_prctl",
    "brk",
    "exit_group",
    "getrandom",
    "getuid",
    "mprotect",
    "prctl",
    "prlimit64",
    "readlink",
    "rseq",
    "set_robust_list",
    "set_tid_address",
    "write",
];

/// `rpod run --runtime RUNTIME` of `busybox mkdir /tmp/x` under `policy`.
fn run_under(e: &Env, runtime: &str, policy: &str) -> std::process::Output {
    let path = e.dir.path().join(format!("{runtime}.kafel"));
    std::fs::write(&path, policy).expect("write the policy");
    let opt = format!("seccomp={}", path.display());
    e.rpod(&[
        "run",
        "--rm",
        "--runtime",
        runtime,
        "--security-opt",
        &opt,
        "busybox",
        "mkdir",
        "/tmp/x",
    ])
}

fn refuses_the_readme_policy(runtime: &str, theirs: &[&str], not_theirs: &[&str]) {
    let e = Env::new();
    let o = run_under(&e, runtime, README_POLICY);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 125, "{err}");
    assert!(
        err.contains(&format!(
            "syscalls {runtime} makes between installing the filter"
        )),
        "the error names the runtime:\n{err}"
    );
    for s in theirs {
        assert!(err.contains(s), "{s} is named:\n{err}");
    }
    for s in not_theirs {
        assert!(!err.contains(s), "{s} is the other runtime's:\n{err}");
    }
    assert!(
        err.contains("write (allowed only for some arguments)"),
        "{err}"
    );
    assert!(
        err.contains("hint: allow them") && err.contains("ALLOW {"),
        "{err}"
    );
    assert!(
        !err.contains("already dead"),
        "refused before starting:\n{err}"
    );
    assert_eq!(e.out(&["ps", "-a", "--format", "json"]).trim(), "[]");
}

fn runs_a_policy_that_allows_the_handoff(runtime: &str) {
    let e = Env::new();
    let mut allowed: Vec<&str> = rpod::runtime::handoff::of_runtime(runtime)
        .expect("a measured runtime")
        .into_iter()
        .chain(MKDIR_WORKLOAD.iter().copied())
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    let policy = format!(
        "ERRNO(1) {{ mkdir }}\nALLOW {{ {} }}\nDEFAULT KILL_PROCESS\n",
        allowed.join(", ")
    );
    let o = run_under(&e, runtime, &policy);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "mkdir fails, nothing else:\n{policy}\n{err}");
    assert!(err.contains("Operation not permitted"), "{err}");
}

#[test]
fn runc_refuses_a_policy_that_denies_its_handoff_before_starting() {
    if !ready() {
        return;
    }
    refuses_the_readme_policy(
        "runc",
        &["setgroups", "setuid", "capset", "execve", "futex"],
        &["setresuid", "rt_sigprocmask"],
    );
}

#[test]
fn runc_runs_a_deny_by_default_policy_that_allows_its_handoff() {
    if !ready() {
        return;
    }
    runs_a_policy_that_allows_the_handoff("runc");
}

#[test]
fn crun_refuses_a_policy_that_denies_its_handoff_before_starting() {
    if !ready() || !crun_ready() {
        return;
    }
    refuses_the_readme_policy(
        "crun",
        &[
            "setresuid",
            "setresgid",
            "rt_sigprocmask",
            "capset",
            "execve",
        ],
        &["setgroups", "futex"],
    );
}

#[test]
fn crun_runs_a_deny_by_default_policy_that_allows_its_handoff() {
    if !ready() || !crun_ready() {
        return;
    }
    runs_a_policy_that_allows_the_handoff("crun");
}

/// The handoff check judges the filter the runtime really installs: podman's default without
/// `faccessat2` (a profile from before Linux 5.8) runs under runc, whose Go runtime falls back
/// to `faccessat` when `faccessat2` fails with the default's ENOSYS.
#[test]
fn a_profile_older_than_faccessat2_runs_under_runc() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles/data/default.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(default).expect("podman's default"))
            .expect("JSON");
    let mut removed = 0;
    for rule in v["syscalls"].as_array_mut().expect("syscalls") {
        let names = rule["names"].as_array_mut().expect("names");
        let before = names.len();
        names.retain(|n| n != "faccessat2");
        removed += before - names.len();
    }
    assert_eq!(removed, 1, "podman's default names faccessat2 once");
    let p = e.dir.path().join("older.json");
    std::fs::write(&p, v.to_string()).expect("write");
    let o = e.rpod(&[
        "run",
        "--rm",
        "--runtime",
        "runc",
        "--security-opt",
        &format!("seccomp={}", p.display()),
        "busybox",
        "echo",
        "ran",
    ]);
    assert_eq!(
        (code(&o), String::from_utf8_lossy(&o.stdout).as_ref()),
        (0, "ran\n"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The record and the runtime (issue 12): no command acts on rpod's record of a container without
// the runtime's word on whether it still runs (the rule in engine/src/container/mod.rs).

/// The 64-hex id of container `name`, from `ps -a --format json`.
fn id_of(e: &Env, name: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&e.out(&["ps", "-a", "--format", "json"])).expect("ps json");
    v.as_array()
        .expect("ps array")
        .iter()
        .find(|c| c["Names"][0] == name)
        .and_then(|c| c["Id"].as_str())
        .unwrap_or_else(|| panic!("no container {name} in ps: {v}"))
        .to_string()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Issue 12: `container cleanup` of a running container unmounted its root and deleted its
/// record and directories while runc ran on; `ps` lost it and `rm -f` could not find it.
#[test]
fn container_cleanup_refuses_a_running_container_and_rm_f_still_removes_it() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&[
        "run", "-d", "--rm", "--name", "busy", "busybox", "sleep", "600",
    ]);
    let id = id_of(&e, "busy");
    let o = e.rpod(&["container", "cleanup", "busy"]);
    assert_eq!(code(&o), 125, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot clean up busy"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("rpod rm -f busy"), "{}", stderr(&o));
    assert_eq!(e.ps_states().get(&id).map(String::as_str), Some("running"));
    assert_eq!(e.runc_list().get(&id).map(String::as_str), Some("running"));
    assert!(
        e.mounts().iter().any(|m| m.contains(&id)),
        "its root stays mounted"
    );
    assert_eq!(e.out(&["exec", "busy", "cat", "/etc/group"]), "root:x:0:\n");
    // A record that says exited while runc runs the container (what the old reconcile wrote for
    // a foreground run whose rpod was killed): cleanup, rm and umount ask the runtime.
    let store = rpod::storage::Store::open(&e.dir.path().join("root"), &e.dir.path().join("run"))
        .expect("store");
    store
        .set_container_exited(&id, 0, std::time::SystemTime::now())
        .expect("exited");
    // podman's codes: rm of a running container is 2, the others rpod's 125.
    for (args, want) in [
        (&["container", "cleanup", "busy"][..], 125),
        (&["rm", "busy"], 2),
        (&["umount", "busy"], 125),
    ] {
        let o = e.rpod(args);
        assert_eq!(code(&o), want, "rpod {args:?}: {}", stderr(&o));
    }
    assert_eq!(e.ps_states().get(&id).map(String::as_str), Some("running"));
    assert!(e.mounts().iter().any(|m| m.contains(&id)));
    e.out(&["rm", "-f", "-t", "0", "busy"]);
    assert!(e.ps_states().is_empty(), "{:?}", e.ps_states());
    assert!(e.runc_list().is_empty(), "{:?}", e.runc_list());
    assert!(e.mounts().is_empty(), "{:?}", e.mounts());
    assert!(e.container_dirs().is_empty(), "{:?}", e.container_dirs());
}

/// Issue 12: when the foreground `rpod run` (the container's monitor) is killed, the container
/// runs on under runc; its record followed the dead monitor's pid of 0 and said exited, and its
/// root was unmounted under it.
#[test]
fn a_container_whose_foreground_run_was_killed_stays_running_until_the_runtime_says_otherwise() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let mut rpod = e
        .cmd(&["run", "--name", "fg", "busybox", "sleep", "600"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rpod run");
    let id = eventually("runc to run the container", || {
        e.runc_list()
            .into_iter()
            .find(|(_, st)| st == "running")
            .map(|(id, _)| id)
    });
    let state = Command::new("runc")
        .arg("--root")
        .arg(e.dir.path().join("run/runtime/runc"))
        .args(["state", &id])
        .output()
        .expect("runc state");
    let state: serde_json::Value = serde_json::from_slice(&state.stdout).expect("state json");
    let pid = state["pid"].as_i64().expect("pid");
    rpod.kill().expect("kill -9 rpod run");
    rpod.wait().expect("reaped");
    let ps: serde_json::Value =
        serde_json::from_str(&e.out(&["ps", "-a", "--format", "json"])).expect("ps json");
    assert_eq!(ps[0]["State"], "running", "{ps}");
    assert_eq!(ps[0]["Pid"].as_i64(), Some(pid), "the runtime's pid: {ps}");
    assert!(e.mounts().iter().any(|m| m.contains(&id)), "still mounted");
    assert_eq!(
        code(&e.rpod(&["rm", "fg"])),
        2,
        "rm refuses a running one, with podman's 2"
    );
    e.out(&["stop", "-t", "0", "fg"]);
    assert_eq!(e.ps_states().get(&id).map(String::as_str), Some("exited"));
    assert!(
        e.mounts().is_empty(),
        "unmounted once exited: {:?}",
        e.mounts()
    );
    e.out(&["rm", "fg"]);
    assert!(e.runc_list().is_empty(), "{:?}", e.runc_list());
    assert!(e.container_dirs().is_empty(), "{:?}", e.container_dirs());
}

/// What needs a container's root mounts it, as podman does: `start` after `umount` ran on an
/// empty directory (127), and `mount` of an exited container printed a path with nothing there.
#[test]
fn start_after_umount_and_mount_of_an_exited_container_mount_the_root() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&["create", "--name", "c", "busybox", "cat", "/etc/group"]);
    e.out(&["umount", "c"]);
    assert!(e.mounts().is_empty(), "{:?}", e.mounts());
    let o = e.rpod(&["start", "-a", "c"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "root:x:0:\n");
    assert!(e.mounts().is_empty(), "unmounted after the exit");
    let merged = e.out(&["mount", "c"]);
    assert!(
        Path::new(merged.trim()).join("bin/busybox").is_file(),
        "{merged}"
    );
    e.out(&["umount", "c"]);
    e.out(&["rm", "c"]);
    assert!(e.mounts().is_empty(), "{:?}", e.mounts());
}
