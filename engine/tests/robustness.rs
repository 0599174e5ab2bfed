//! The review's robustness list for podman's command line (issue 13), end to end against real
//! busybox containers under runc, each test with its own store: restart policy against `kill`,
//! `--log-opt path=` safety, `cp` through volumes, volumes of a failed `create`, `restart -t`.

mod support;
use support::{code, eventually, ready, stderr, Env};

/// Removes every container of the store when the test ends, failed or not: a failing test
/// must not leave containers running on the machine.
struct Reap<'e>(&'e Env);

impl Drop for Reap<'_> {
    fn drop(&mut self) {
        let _ = self.0.rpod(&["rm", "-f", "-a", "-t", "0"]);
    }
}

/// Kills a child process (an `attach`) that is still running when the test ends.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn state(e: &Env, name: &str) -> String {
    e.out(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.RestartCount}}",
        name,
    ])
    .trim()
    .to_string()
}

/// As podman 4.3.1 (`kill` sets StoppedByUser): `kill` of a `--restart always` container
/// leaves it exited; it is not run again.
#[test]
fn a_killed_restart_always_container_stays_exited() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _reap = Reap(&e);
    e.out(&[
        "run",
        "-d",
        "--name",
        "k",
        "--restart",
        "always",
        "busybox",
        "sleep",
        "600",
    ]);
    e.out(&["kill", "k"]);
    // The monitor ends once it has decided not to restart: nothing runs after that.
    eventually("the container to exit", || {
        (state(&e, "k") == "exited 0").then_some(())
    });
    e.out(&["wait", "k"]);
    let ps = e.out(&["ps", "-q"]);
    assert!(ps.trim().is_empty(), "still running: {ps}");
    assert_eq!(state(&e, "k"), "exited 0");
    e.out(&["rm", "-f", "k"]);
}

/// Issue 13: `--log-opt path=` followed a symlink (the container's output was appended to
/// its target as root); it is refused at create with the reason, and the target untouched.
#[test]
fn a_log_path_that_is_a_symlink_is_refused_at_create() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _reap = Reap(&e);
    let victim = e.dir.path().join("victim");
    std::fs::write(&victim, "keep\n").expect("victim");
    let link = e.dir.path().join("ctr.log");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    let opt = format!("path={}", link.display());
    let o = e.rpod(&["create", "--log-opt", &opt, "busybox", "echo", "x"]);
    assert_eq!(code(&o), 125, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is a symlink: rpod writes a container's log to a regular file only"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep\n");
    assert!(
        e.out(&["ps", "-a", "-q"]).trim().is_empty(),
        "no container made"
    );
}

/// As podman 4.3.1: a copy into a running container's volume lands in the volume (podman
/// writes into the mounted volume), not under the mount point in the root filesystem, where
/// the container would not see it.
#[test]
fn cp_into_a_running_containers_volume_writes_into_the_volume() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _reap = Reap(&e);
    let f = e.dir.path().join("f");
    std::fs::write(&f, "from the host\n").expect("f");
    e.out(&["volume", "create", "v"]);
    e.out(&[
        "run", "-d", "--name", "c", "-w", "/tmp", "-v", "v:/data", "busybox", "sleep", "600",
    ]);
    let f = f.to_str().expect("utf-8");
    e.out(&["cp", f, "c:/data/in"]);
    e.out(&["cp", f, "c:rel"]);
    assert_eq!(e.out(&["exec", "c", "cat", "/data/in"]), "from the host\n");
    assert_eq!(e.out(&["exec", "c", "cat", "/tmp/rel"]), "from the host\n");
    let mountpoint = e.out(&["volume", "inspect", "--format", "{{.Mountpoint}}", "v"]);
    let in_volume = std::path::Path::new(mountpoint.trim()).join("in");
    assert_eq!(
        std::fs::read_to_string(in_volume).expect("in the volume"),
        "from the host\n"
    );
    e.out(&["rm", "-f", "-t", "0", "c"]);
}

/// Issue 13: a create that failed after making an anonymous volume (here: the name is taken)
/// left the volume behind, one more for every try.
#[test]
fn a_create_that_fails_late_leaves_no_anonymous_volume() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _reap = Reap(&e);
    e.out(&["create", "--name", "taken", "busybox", "true"]);
    let before = e.out(&["volume", "ls", "-q"]);
    let o = e.rpod(&[
        "create", "--name", "taken", "-v", "/data", "busybox", "true",
    ]);
    assert_eq!(code(&o), 125, "{}", stderr(&o));
    assert_eq!(
        e.out(&["volume", "ls", "-q"]),
        before,
        "an anonymous volume leaked"
    );
}

/// As podman 4.3.1: the warning names the stop signal sent ("StopSignal SIGUSR1 failed to
/// stop container s1 in 1 seconds, resorting to SIGKILL"), not always SIGTERM.
#[test]
fn the_stop_warning_names_the_containers_stop_signal() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _reap = Reap(&e);
    e.out(&[
        "run",
        "-d",
        "--name",
        "s",
        "--stop-signal",
        "SIGUSR1",
        "busybox",
        "sh",
        "-c",
        "trap '' USR1; sleep 600",
    ]);
    let o = e.rpod(&["stop", "-t", "1", "s"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "StopSignal SIGUSR1 failed to stop container s in 1 seconds, resorting to SIGKILL"
        ),
        "{}",
        stderr(&o)
    );
    e.out(&["rm", "s"]);
}

/// As podman 4.3.1: `restart` without `-t` waits the container's `--stop-timeout` (it used a
/// fixed 10 s), and warns as `stop` does when SIGKILL ends it.
#[test]
fn restart_without_t_waits_the_containers_stop_timeout() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _reap = Reap(&e);
    e.out(&[
        "run",
        "-d",
        "--name",
        "r",
        "--stop-timeout",
        "1",
        "busybox",
        "sh",
        "-c",
        "trap '' TERM; sleep 600",
    ]);
    let o = e.rpod(&["restart", "r"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "StopSignal SIGTERM failed to stop container r in 1 seconds, resorting to SIGKILL"
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(state(&e, "r"), "running 0");
    e.out(&["rm", "-f", "-t", "0", "r"]);
}

/// Whether process `pid` catches signal `sig` (its `SigCgt` mask in /proc): the handlers are
/// in place, so a signal sent now is proxied, not fatal.
fn catches(pid: u32, sig: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|m| m & (1 << (sig - 1)) != 0)
}

/// As podman 4.3.1 (`--sig-proxy` is attach's default): a signal sent to `attach` goes on to
/// the container's process (it was accepted and ignored).
#[test]
fn attach_proxies_signals_to_the_container() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _reap = Reap(&e);
    e.out(&[
        "run",
        "-d",
        "--name",
        "a",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-usr1; exit 7' USR1; while :; do sleep 0.1; done",
    ]);
    let mut attach = KillOnDrop(Some(
        e.cmd(&["attach", "a"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("attach"),
    ));
    let pid = attach.0.as_ref().expect("child").id();
    eventually("attach to catch SIGUSR1", || {
        catches(pid, nix::libc::SIGUSR1).then_some(())
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid")),
        nix::sys::signal::Signal::SIGUSR1,
    )
    .expect("signal attach");
    let out = attach
        .0
        .take()
        .expect("child")
        .wait_with_output()
        .expect("attach ends");
    assert_eq!(out.status.code(), Some(7), "the container's exit code");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "got-usr1\n");
    e.out(&["rm", "a"]);
}

/// As podman 4.3.1: `stats` without `--no-stream` streams, a report every `--interval`
/// seconds until interrupted (it was refused).
#[test]
fn stats_without_no_stream_streams_reports() {
    use std::io::BufRead as _;
    if !ready() {
        return;
    }
    let e = Env::new();
    let _reap = Reap(&e);
    e.out(&["run", "-d", "--name", "st", "busybox", "sleep", "600"]);
    let mut stats = KillOnDrop(Some(
        e.cmd(&["stats", "--interval", "1", "--format", "{{.Name}}", "st"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("stats"),
    ));
    let out = stats
        .0
        .as_mut()
        .and_then(|c| c.stdout.take())
        .expect("stdout");
    // Two reports: it goes on after the first. A stats that ends closes stdout: the read
    // then fails the test instead of waiting.
    let lines: Vec<String> = std::io::BufReader::new(out)
        .lines()
        .take(2)
        .map(|l| l.expect("a line"))
        .collect();
    assert_eq!(lines, ["st", "st"]);
    assert!(
        stats
            .0
            .as_mut()
            .expect("child")
            .try_wait()
            .expect("wait")
            .is_none(),
        "still streaming"
    );
}
