//! The flags podman scripts use on the lifecycle commands, podman's exit codes and podman's
//! error wording (issue 13), end to end against a busybox image (root, runc). Each expectation
//! was checked against podman 4.3.1 on this machine; where rpod differs, the test says why.

mod support;
use support::{code, eventually, ready, stderr, stdout, Env, RemoveAll};

const NO_SUCH: &str = "Error: no container with name or ID \"nosuch\" found: no such container\n";

/// A container that runs until `/tmp/go` exists in it, then exits with `code`.
fn gated(e: &Env, name: &str, code: u8) -> String {
    let script = format!("while [ ! -f /tmp/go ]; do sleep 0.05; done; exit {code}");
    e.out(&["run", "-d", "--name", name, "busybox", "sh", "-c", &script])
        .trim()
        .to_string()
}

#[test]
fn rm_exits_1_for_a_missing_container_2_for_a_running_one_and_ignore_and_force_skip_missing() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let o = e.rpod(&["rm", "nosuch"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (1, NO_SUCH));
    assert_eq!(code(&e.rpod(&["rm", "-i", "nosuch"])), 0);
    assert_eq!(code(&e.rpod(&["rm", "--ignore", "nosuch"])), 0);
    assert_eq!(
        code(&e.rpod(&["rm", "-f", "nosuch"])),
        0,
        "podman: -f ignores missing"
    );
    let id = gated(&e, "r", 0);
    let o = e.rpod(&["rm", "r"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!("Error: cannot remove container {id} as it is running - running or paused containers cannot be removed without force: container state improper\n")
    );
    // Every name is looked up first: a missing one removes nothing.
    e.out(&["create", "--name", "c", "busybox", "true"]);
    let o = e.rpod(&["rm", "c", "nosuch"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (1, NO_SUCH));
    assert_eq!(e.ps_states().len(), 2, "nothing removed");
    // Found ones: each removed or reported, the worst status wins.
    let o = e.rpod(&["rm", "r", "c"]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "c\n", "the created one went");
    // -t needs -f, as podman.
    let o = e.rpod(&["rm", "-t", "0", "r"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).starts_with("Error: --force option must be specified"),
        "{}",
        stderr(&o)
    );
    // -v and --depend are accepted; with --depend podman prints ids (its dependency walk
    // reports containers, not the names given).
    assert_eq!(
        e.out(&["rm", "-f", "-t", "0", "-v", "--depend", "r"]),
        format!("{id}\n")
    );
    assert!(e.ps_states().is_empty());
}

#[test]
fn rm_all_force_and_cidfile_remove_what_podman_removes() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let a = gated(&e, "a", 0);
    let b = e
        .out(&["create", "--name", "b", "busybox", "true"])
        .trim()
        .to_string();
    let cid = e.dir.path().join("cid");
    std::fs::write(&cid, format!("{b}\n")).expect("cidfile");
    assert_eq!(
        e.out(&["rm", "--cidfile", cid.to_str().expect("utf8")]),
        format!("{b}\n")
    );
    e.out(&["create", "--name", "c", "busybox", "true"]);
    // The common housekeeping line of podman scripts.
    let out = e.out(&["rm", "-t", "0", "--all", "--force", "--ignore"]);
    assert!(out.lines().any(|l| l == a), "full ids with --all: {out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(e.ps_states().is_empty());
    assert!(e.mounts().is_empty(), "{:?}", e.mounts());
}

#[test]
fn stop_prints_the_names_given_and_warns_as_podman_when_it_resorts_to_sigkill() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    // A shell as pid 1 has no SIGTERM handler: the kernel drops the signal, SIGKILL ends it.
    gated(&e, "s", 0);
    let o = e.rpod(&["stop", "-t", "1", "s"]);
    assert_eq!((code(&o), stdout(&o).as_str()), (0, "s\n"));
    assert!(
        stderr(&o).contains(
            "level=warning msg=\"StopSignal SIGTERM failed to stop container s in 1 seconds, resorting to SIGKILL\""
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(e.out(&["wait", "s"]), "137\n");
    gated(&e, "z", 0);
    let o = e.rpod(&["stop", "-t", "0", "z"]);
    assert_eq!(
        (stdout(&o).as_str(), stderr(&o).as_str()),
        ("z\n", ""),
        "-t 0: no warning"
    );
    let o = e.rpod(&["stop", "nosuch"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (125, NO_SUCH));
    assert_eq!(code(&e.rpod(&["stop", "--ignore", "nosuch"])), 0);
    let t = gated(&e, "t", 0);
    let cid = e.dir.path().join("cid");
    std::fs::write(&cid, &t).expect("cidfile");
    assert_eq!(
        e.out(&["stop", "-t", "0", "--cidfile", cid.to_str().expect("utf8")]),
        format!("{t}\n")
    );
    let u = gated(&e, "u", 0);
    assert_eq!(
        e.out(&["stop", "--all", "--time", "0"]),
        format!("{u}\n"),
        "only running ones"
    );
    e.out(&["rm", "-a"]);
}

#[test]
fn kill_all_signals_every_running_container_and_s_picks_the_signal() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let script = "trap 'exit 7' USR1; while true; do sleep 0.05; done";
    e.out(&["run", "-d", "--name", "k", "busybox", "sh", "-c", script]);
    e.out(&["create", "--name", "idle", "busybox", "true"]);
    // The trap is set once the shell runs its loop: send until it answers.
    eventually("the trap to take USR1", || {
        let _ = e.rpod(&["kill", "-s", "USR1", "k"]);
        (e.ps_states().values().filter(|s| *s == "exited").count() == 1).then_some(())
    });
    assert_eq!(e.out(&["wait", "k"]), "7\n");
    let id = gated(&e, "g", 0);
    assert_eq!(e.out(&["kill", "--all"]), format!("{id}\n"));
    assert_eq!(e.out(&["wait", "g"]), "137\n");
    let o = e.rpod(&["kill", "-s", "TERM", "nosuch"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (125, NO_SUCH));
    e.out(&["rm", "-a"]);
}

#[test]
fn logs_since_until_tail_timestamps_and_names_select_and_label_lines() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&[
        "run",
        "--name",
        "l",
        "busybox",
        "sh",
        "-c",
        "echo one; sleep 0.01; echo two; echo three >&2",
    ]);
    e.out(&["run", "--name", "m", "busybox", "echo", "other"]);
    let o = e.rpod(&["logs", "l"]);
    assert_eq!(
        (stdout(&o).as_str(), stderr(&o).as_str()),
        ("one\ntwo\n", "three\n")
    );
    let stamped = e.out(&["logs", "-t", "l"]);
    let stamps: Vec<&str> = stamped
        .lines()
        .map(|l| l.split(' ').next().expect("stamp"))
        .collect();
    assert_eq!(stamps.len(), 2, "{stamped}");
    assert!(
        stamped.lines().next().expect("line").ends_with(" one"),
        "{stamped}"
    );
    assert_eq!(e.out(&["logs", "--since", stamps[1], "l"]), "two\n");
    assert_eq!(e.out(&["logs", "--until", stamps[0], "l"]), "one\n");
    assert_eq!(
        e.out(&["logs", "--since", "1h", "l"]),
        "one\ntwo\n",
        "a duration"
    );
    assert_eq!(
        e.out(&["logs", "--since", "4102444800", "l"]),
        "",
        "Unix seconds (2100)"
    );
    // One stream: the order of lines is the container's (two streams are copied apart).
    e.out(&[
        "run",
        "--name",
        "t",
        "busybox",
        "sh",
        "-c",
        "echo a; echo b; echo c",
    ]);
    assert_eq!(e.out(&["logs", "--tail", "2", "t"]), "b\nc\n");
    assert_eq!(e.out(&["logs", "--tail", "0", "t"]), "");
    assert_eq!(e.out(&["logs", "-n", "m"]), "m other\n");
    let id = e.out(&["inspect", "m"]);
    let id: serde_json::Value = serde_json::from_str(&id).expect("inspect json");
    let short = &id[0]["Id"].as_str().expect("id")[..12];
    let both = e.out(&["logs", "l", "m"]);
    assert!(
        both.lines().any(|l| l == format!("{short} other")),
        "{both}"
    );
    assert!(
        both.lines().all(|l| l.len() > 13),
        "every line labelled: {both}"
    );
    let o = e.rpod(&["logs", "--since", "yesterday", "l"]);
    assert_eq!(code(&o), 125);
    let o = e.rpod(&["logs", "nosuch"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (125, NO_SUCH));
    // -f ends when the container has.
    assert_eq!(e.out(&["logs", "-f", "m"]), "other\n");
}

#[test]
fn exec_takes_env_env_file_workdir_user_and_detach() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    gated(&e, "x", 0);
    let env = e.dir.path().join("env");
    std::fs::write(&env, "# comment\nFROMFILE=f\nBOTH=file\n").expect("env file");
    let env = env.to_str().expect("utf8");
    assert_eq!(
        e.out(&[
            "exec",
            "--env-file",
            env,
            "-e",
            "BOTH=flag",
            "-w",
            "/tmp",
            "-u",
            "1:2",
            "x",
            "sh",
            "-c",
            "echo $FROMFILE $BOTH $(pwd) $(id -u):$(id -g)"
        ]),
        "f flag /tmp 1:2\n"
    );
    // podman prints the detached exec session's id.
    let session = e.out(&["exec", "-d", "x", "touch", "/tmp/detached"]);
    let session = session.trim();
    assert!(
        session.len() == 64 && session.chars().all(|c| c.is_ascii_hexdigit()),
        "{session:?}"
    );
    eventually("the detached exec to run", || {
        (code(&e.rpod(&["exec", "x", "test", "-f", "/tmp/detached"])) == 0).then_some(())
    });
    // -t: the process has a terminal; its output comes through it (a pty turns \n into \r\n).
    let o = e.rpod(&[
        "exec",
        "-t",
        "x",
        "sh",
        "-c",
        "test -t 0 && test -t 1 && echo tty; exit 4",
    ]);
    assert_eq!(
        (code(&o), stdout(&o).as_str()),
        (4, "tty\r\n"),
        "{}",
        stderr(&o)
    );
    let o = e.rpod(&["exec", "x", "sh", "-c", "test -t 1"]);
    assert_eq!(code(&o), 1, "no terminal without -t");
    assert_eq!(code(&e.rpod(&["exec", "-t", "x", "no-such-command"])), 127);
    assert_eq!(code(&e.rpod(&["exec", "-t", "-d", "x", "true"])), 125);
    assert_eq!(
        code(&e.rpod(&["exec", "--preserve-fds", "0", "x", "true"])),
        0
    );
    let o = e.rpod(&["exec", "--preserve-fds", "1", "x", "true"]);
    assert_eq!(code(&o), 125, "refused, not ignored: {}", stderr(&o));
    let o = e.rpod(&["exec", "nosuch", "true"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (125, NO_SUCH));
    e.out(&["exec", "x", "touch", "/tmp/go"]);
    assert_eq!(e.out(&["wait", "x"]), "0\n");
}

#[test]
fn an_exec_that_fails_or_exits_127_leaves_the_containers_exit_code_alone() {
    // Issue 13: `wait` reported 127 after an exec of a missing command: the runtime logged the
    // exec's error in the container's log, and the monitor read it as the container's own.
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    gated(&e, "x", 5);
    assert_eq!(code(&e.rpod(&["exec", "x", "no-such-command"])), 127);
    assert_eq!(code(&e.rpod(&["exec", "x", "sh", "-c", "exit 127"])), 127);
    assert_eq!(code(&e.rpod(&["exec", "x", "/etc/passwd"])), 126);
    e.out(&["exec", "x", "touch", "/tmp/go"]);
    assert_eq!(e.out(&["wait", "x"]), "5\n");
    let ps: serde_json::Value =
        serde_json::from_str(&e.out(&["ps", "-a", "--format", "json"])).expect("ps json");
    assert_eq!(ps[0]["ExitCode"], 5, "{ps}");
    e.out(&["rm", "x"]);
}

#[test]
fn wait_condition_and_interval_return_at_the_state_asked_for() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&["create", "--name", "c", "busybox", "true"]);
    assert_eq!(e.out(&["wait", "--condition", "created", "c"]), "-1\n");
    gated(&e, "r", 3);
    assert_eq!(
        e.out(&["wait", "--condition", "running", "--interval", "50ms", "r"]),
        "-1\n"
    );
    let o = e.rpod(&["wait", "--condition", "bogus", "r"]);
    assert_eq!(
        (code(&o), stderr(&o).as_str()),
        (
            125,
            "Error: unknown container state: bogus: invalid argument\n"
        )
    );
    assert_eq!(e.out(&["wait", "--ignore", "nosuch"]), "-1\n");
    let o = e.rpod(&["wait", "nosuch"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (125, NO_SUCH));
    e.out(&["exec", "r", "touch", "/tmp/go"]);
    assert_eq!(
        e.out(&["wait", "--condition", "exited", "-i", "10", "r"]),
        "3\n"
    );
    e.out(&["rm", "-a"]);
}

#[test]
fn start_all_filter_and_attach_as_podman() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&[
        "create",
        "--name",
        "a1",
        "busybox",
        "sh",
        "-c",
        "echo out-a1; exit 3",
    ]);
    let o = e.rpod(&["start", "-a", "a1"]);
    assert_eq!((code(&o), stdout(&o).as_str()), (3, "out-a1\n"));
    e.out(&["create", "--name", "one", "busybox", "true"]);
    e.out(&["create", "--name", "two", "busybox", "true"]);
    let o = e.rpod(&["start", "-a", "one", "two"]);
    assert_eq!(code(&o), 125);
    assert_eq!(
        stderr(&o),
        "Error: you cannot start and attach multiple containers at once\n"
    );
    let one: serde_json::Value = serde_json::from_str(&e.out(&["inspect", "one"])).expect("json");
    let id = one[0]["Id"].as_str().expect("id").to_string();
    assert_eq!(
        e.out(&["start", "--all", "--filter", "name=one"]),
        format!("{id}\n")
    );
    assert_eq!(e.out(&["wait", "one"]), "0\n");
    assert_eq!(e.out(&["start", "two"]), "two\n");
    let o = e.rpod(&["start", "nosuch"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (125, NO_SUCH));
    e.out(&["wait", "two"]);
    e.out(&["rm", "-a"]);
}

#[test]
fn rmi_exits_1_for_a_missing_image_2_for_one_in_use_and_force_removes_its_containers() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let o = e.rpod(&["rmi", "nosuch"]);
    assert_eq!(
        (code(&o), stderr(&o).as_str()),
        (1, "Error: nosuch: image not known\n")
    );
    assert_eq!(code(&e.rpod(&["rmi", "-i", "nosuch"])), 0);
    let c = e
        .out(&["create", "--name", "user", "busybox", "true"])
        .trim()
        .to_string();
    let o = e.rpod(&["rmi", "busybox"]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        format!("Error: image used by {c}: image is in use by a container: consider listing external containers and force-removing image\n")
    );
    // Each image is tried: the missing one is reported after the other's failure, worst wins.
    assert_eq!(code(&e.rpod(&["rmi", "nosuch", "busybox"])), 2);
    let o = e.rpod(&["rmi", "-f", "busybox"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Untagged: localhost/busybox:latest"),
        "{}",
        stdout(&o)
    );
    assert!(e.ps_states().is_empty(), "its container went first");
    assert_eq!(
        code(&e.rpod(&["rmi", "-f", "busybox"])),
        0,
        "podman: -f ignores missing"
    );
    assert_eq!(e.out(&["rmi", "-a"]), "");
}

#[test]
fn mount_of_a_created_or_exited_container_shows_the_images_files() {
    if !ready() {
        return;
    }
    let e = Env::with(|root| std::fs::write(root.join("file"), "from the image\n").expect("file"));
    let _cleanup = RemoveAll(&e);
    e.out(&["create", "--name", "c", "busybox", "true"]);
    e.out(&[
        "run",
        "--name",
        "x",
        "busybox",
        "sh",
        "-c",
        "echo written > /made",
    ]);
    for name in ["c", "x"] {
        let path = e.out(&["mount", name]).trim().to_string();
        assert_eq!(
            std::fs::read_to_string(format!("{path}/file")).expect("the image's file"),
            "from the image\n",
            "{name}"
        );
        assert_eq!(e.out(&["umount", name]), format!("{name}\n"));
        assert!(
            !std::path::Path::new(&format!("{path}/file")).exists(),
            "unmounted"
        );
    }
    let path = e.out(&["mount", "x"]).trim().to_string();
    assert_eq!(
        std::fs::read_to_string(format!("{path}/made")).expect("the container's write"),
        "written\n"
    );
    e.out(&["rm", "c", "x"]);
    assert!(e.mounts().is_empty(), "{:?}", e.mounts());
}

#[test]
fn noout_drops_rpods_output_but_not_the_containers_and_log_level_is_checked() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let o = e.rpod(&["--noout", "create", "--name", "q", "busybox", "true"]);
    assert_eq!((code(&o), stdout(&o).as_str()), (0, ""));
    assert_eq!(e.ps_states().len(), 1, "created all the same");
    assert_eq!(
        e.out(&["--noout", "run", "--rm", "busybox", "echo", "hi"]),
        "hi\n"
    );
    assert_eq!(e.out(&["--noout", "start", "-a", "q"]), "");
    let o = e.rpod(&["--log-level", "bogus", "ps"]);
    assert_eq!(
        (code(&o), stderr(&o).as_str()),
        (1, "Log Level \"bogus\" is not supported, choose from: trace, debug, info, warn, warning, error, fatal, panic\n")
    );
    let o = e.rpod(&["--log-level", "debug", "rm", "q"]);
    assert_eq!(stdout(&o), "q\n");
    assert!(
        stderr(&o).contains("level=info msg=\"removing container"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("level=debug"), "{}", stderr(&o));
    let o = e.rpod(&["--log-level", "error", "stop", "-t", "0", "nosuch"]);
    assert_eq!(stderr(&o), NO_SUCH);
}

#[test]
fn exec_in_a_container_that_is_not_running_is_podmans_255() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&["create", "--name", "c", "busybox", "true"]);
    let want =
        "Error: can only create exec sessions on running containers: container state improper\n";
    for args in [&["exec", "c", "true"][..], &["exec", "-t", "c", "true"]] {
        let o = e.rpod(args);
        assert_eq!((code(&o), stderr(&o).as_str()), (255, want), "{args:?}");
    }
}

#[test]
fn start_runs_an_exited_container_again_and_its_log_keeps_both_runs() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&[
        "create",
        "--name",
        "x",
        "busybox",
        "sh",
        "-c",
        "echo run; exit 4",
    ]);
    for _ in 0..2 {
        let o = e.rpod(&["start", "-a", "x"]);
        assert_eq!(
            (code(&o), stdout(&o).as_str()),
            (4, "run\n"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(e.out(&["start", "x"]), "x\n");
    assert_eq!(e.out(&["wait", "x"]), "4\n");
    assert_eq!(e.out(&["logs", "x"]), "run\nrun\nrun\n");
}
