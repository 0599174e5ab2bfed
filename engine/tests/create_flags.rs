//! `rpod run`/`create` flags and container setup as podman 4.3.1 has them (issue 13), end to
//! end: each test runs real containers (root, runc, this machine's cgroup v1) of the busybox
//! image and checks from inside the container, or through `inspect`, that the flag took effect.

use std::path::Path;

mod support;
use support::{code, eventually, ready, stderr, stdout, Env};

/// `rpod run --rm ARGS...`'s stdout; the run must succeed.
fn run(e: &Env, args: &[&str]) -> String {
    let mut all = vec!["run", "--rm"];
    all.extend_from_slice(args);
    e.out(&all)
}

fn inspect(e: &Env, name: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&e.out(&["inspect", name])).expect("json");
    v[0].clone()
}

fn process_alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| !r.trim_start().starts_with('Z'))
        })
}

fn monitor_pid(e: &Env, id: &str) -> i32 {
    let f = e
        .dir
        .path()
        .join("run/containers")
        .join(id)
        .join("monitor.pid");
    eventually("the monitor's pid file", || {
        std::fs::read_to_string(&f)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    })
}

#[test]
fn restart_on_failure_runs_the_container_again_up_to_the_count() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&[
        "run",
        "-d",
        "--name",
        "flaky",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        "echo try; exit 3",
    ]);
    let v = eventually("two restarts and the final exit", || {
        let v = inspect(&e, "flaky");
        (v["RestartCount"] == 2 && v["State"]["Status"] == "exited").then_some(v)
    });
    assert_eq!(v["State"]["ExitCode"], 3);
    assert_eq!(
        v["HostConfig"]["RestartPolicy"],
        serde_json::json!({"Name": "on-failure", "MaximumRetryCount": 2})
    );
    // Once the monitor is gone, nothing runs it again: three runs in all.
    let id = v["Id"].as_str().expect("id").to_string();
    let f = e
        .dir
        .path()
        .join("run/containers")
        .join(&id)
        .join("monitor.pid");
    eventually("the monitor to finish", || (!f.exists()).then_some(()));
    assert_eq!(e.out(&["logs", "flaky"]), "try\ntry\ntry\n");
    assert_eq!(inspect(&e, "flaky")["RestartCount"], 2);
    e.out(&["rm", "flaky"]);
}

#[test]
fn restart_always_restarts_a_clean_exit_and_stop_ends_the_loop() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let id = e.out(&[
        "run",
        "-d",
        "--name",
        "loop",
        "--restart",
        "always",
        "busybox",
        "sh",
        "-c",
        "echo up; sleep 0.2",
    ]);
    let id = id.trim();
    eventually("two restarts after exit 0", || {
        (inspect(&e, "loop")["RestartCount"].as_u64() >= Some(2)).then_some(())
    });
    let monitor = monitor_pid(&e, id);
    e.out(&["stop", "-t", "1", "loop"]);
    eventually("the monitor to end its loop", || {
        (!process_alive(monitor)).then_some(())
    });
    let v = inspect(&e, "loop");
    assert_eq!(v["State"]["Status"], "exited", "{v}");
    let count = v["RestartCount"].as_u64();
    assert_eq!(inspect(&e, "loop")["RestartCount"].as_u64(), count);
    e.out(&["rm", "loop"]);
}

#[test]
fn restart_and_rm_conflict_as_in_podman() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let o = e.rpod(&["run", "--rm", "--restart", "always", "busybox", "true"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("the --rm option conflicts with --restart"),
        "{}",
        stderr(&o)
    );
    let o = e.rpod(&["run", "--rm", "--restart", "sometimes", "busybox", "true"]);
    assert_eq!(code(&o), 125, "{}", stderr(&o));
}

#[test]
fn memory_cpus_and_pids_limits_reach_the_cgroup() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let out = run(
        &e,
        &[
            "--memory",
            "64m",
            "--cpus",
            "0.5",
            "--pids-limit",
            "100",
            "busybox",
            "cat",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
            "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
            "/sys/fs/cgroup/pids/pids.max",
        ],
    );
    assert_eq!(out, "67108864\n134217728\n50000\n100000\n100\n");
    // -1: no limit; unset: podman's 2048.
    assert_eq!(
        run(
            &e,
            &[
                "--pids-limit",
                "-1",
                "busybox",
                "cat",
                "/sys/fs/cgroup/pids/pids.max"
            ]
        ),
        "max\n"
    );
    assert_eq!(
        run(&e, &["busybox", "cat", "/sys/fs/cgroup/pids/pids.max"]),
        "2048\n"
    );
    let o = e.rpod(&["run", "--rm", "--memory", "1m", "busybox", "true"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("minimum memory limit allowed is 6MB"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn kernel_memory_is_accepted_with_podmans_warning() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let o = e.rpod(&["run", "--rm", "--kernel-memory", "10m", "busybox", "true"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("The --kernel-memory flag is no longer supported. This flag is a noop."),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_device_is_made_with_its_permissions_and_cgroup_rules_are_added() {
    if !ready() {
        return;
    }
    let e = Env::new();
    // /dev/loop-control (10:237) is none of the runtime's default devices: only the rule
    // that --device adds lets the container open it, and only for reading.
    if !rpod_tests::require("/dev/loop-control", Path::new("/dev/loop-control").exists()) {
        return;
    }
    let probe = "stat -c '%t:%T' /dev/lc; (: < /dev/lc) 2>/dev/null && echo read-ok; \
                 (: > /dev/lc) 2>/dev/null || echo write-denied; \
                 grep -c '^c 42:\\* rm$' /sys/fs/cgroup/devices/devices.list";
    let out = run(
        &e,
        &[
            "--device",
            "/dev/loop-control:/dev/lc:r",
            "--device-cgroup-rule",
            "c 42:* rm",
            "busybox",
            "sh",
            "-c",
            probe,
        ],
    );
    assert_eq!(out, "a:ed\nread-ok\nwrite-denied\n1\n");
    // Without the rule the node is not even there, let alone readable.
    let o = e.rpod(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "(: < /dev/loop-control) 2>/dev/null || echo denied",
    ]);
    assert_eq!(stdout(&o), "denied\n");
    let o = e.rpod(&["run", "--rm", "--device", "/no/such/dev", "busybox", "true"]);
    assert_eq!(code(&o), 125);
    assert!(stderr(&o).contains("/no/such/dev"), "{}", stderr(&o));
}

#[test]
fn env_files_come_before_env_flags_and_skip_comments() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let f = e.dir.path().join("env");
    std::fs::write(&f, "# a comment\n\nA=from-file\n  B=two words\nC=file\n").expect("env file");
    let out = run(
        &e,
        &[
            "--env-file",
            f.to_str().expect("utf8"),
            "-e",
            "C=flag",
            "busybox",
            "sh",
            "-c",
            "echo \"$A|$B|$C\"",
        ],
    );
    assert_eq!(out, "from-file|two words|flag\n");
}

#[test]
fn labels_from_files_and_flags_are_kept_in_inspect() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let f = e.dir.path().join("labels");
    std::fs::write(&f, "# c\ntier=file\nteam=core\nbare\n").expect("label file");
    e.out(&[
        "create",
        "--name",
        "lab",
        "--label-file",
        f.to_str().expect("utf8"),
        "-l",
        "tier=flag",
        "--label",
        "x=1",
        "busybox",
        "true",
    ]);
    let v = inspect(&e, "lab");
    assert_eq!(
        v["Config"]["Labels"],
        serde_json::json!({"bare": "", "team": "core", "tier": "flag", "x": "1"})
    );
}

#[test]
fn an_entrypoint_in_json_form_is_the_whole_entrypoint() {
    if !ready() {
        return;
    }
    let e = Env::new();
    assert_eq!(
        run(
            &e,
            &["--entrypoint", r#"["/bin/echo","x"]"#, "busybox", "y"]
        ),
        "x y\n"
    );
    assert_eq!(
        run(&e, &["--entrypoint", "/bin/echo", "busybox", "z"]),
        "z\n"
    );
}

#[test]
fn cidfile_gets_the_id_and_an_existing_one_is_refused() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let f = e.dir.path().join("cid");
    let id = e.out(&[
        "create",
        "--cidfile",
        f.to_str().expect("utf8"),
        "busybox",
        "true",
    ]);
    assert_eq!(std::fs::read_to_string(&f).expect("cidfile"), id.trim());
    let o = e.rpod(&[
        "run",
        "--rm",
        "--cidfile",
        f.to_str().expect("utf8"),
        "busybox",
        "true",
    ]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("container id file exists"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        e.out(&["ps", "-a", "-q"]).lines().count(),
        1,
        "nothing was created"
    );
}

#[test]
fn a_flag_given_twice_takes_the_last_value() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&[
        "create", "--name", "first", "--name", "second", "busybox", "true",
    ]);
    assert_eq!(inspect(&e, "second")["Name"], "second");
    assert_eq!(
        run(&e, &["-w", "/tmp", "-w", "/etc", "busybox", "pwd"]),
        "/etc\n"
    );
    // Repeatable flags still collect.
    assert_eq!(
        run(
            &e,
            &["-e", "A=1", "-e", "B=2", "busybox", "sh", "-c", "echo $A$B"]
        ),
        "12\n"
    );
}

#[test]
fn init_runs_catatonit_as_pid_1() {
    if !ready() || !rpod_tests::require("catatonit", Path::new("/usr/bin/catatonit").is_file()) {
        return;
    }
    let e = Env::new();
    let out = run(
        &e,
        &[
            "--init",
            "busybox",
            "sh",
            "-c",
            "tr '\\0' ' ' < /proc/1/cmdline",
        ],
    );
    assert!(out.starts_with("/run/podman-init -- sh -c"), "{out}");
    // The exit code passes through the init.
    assert_eq!(
        code(&e.rpod(&["run", "--rm", "--init", "busybox", "sh", "-c", "exit 7"])),
        7
    );
}

#[test]
fn mount_binds_and_tmpfs_take_podmans_keys() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let host = e.dir.path().join("data");
    std::fs::create_dir(&host).expect("dir");
    std::fs::write(host.join("f"), "hello\n").expect("file");
    let bind = format!(
        "type=bind,source={},destination=/data,ro=true",
        host.display()
    );
    let out = run(
        &e,
        &[
            "--mount",
            &bind,
            "--mount",
            "type=tmpfs,destination=/scratch,tmpfs-size=1m",
            "busybox",
            "sh",
            "-c",
            "cat /data/f; touch /data/g 2>/dev/null || echo read-only; \
             grep ' /scratch ' /proc/mounts | cut -d' ' -f3,4",
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..2], ["hello", "read-only"], "{out}");
    assert!(
        lines[2].starts_with("tmpfs ") && lines[2].contains("size=1024k"),
        "{out}"
    );
    let o = e.rpod(&[
        "run",
        "--rm",
        "--mount",
        "type=bind,destination=/x",
        "busybox",
        "true",
    ]);
    assert_eq!(code(&o), 125);
    assert!(stderr(&o).contains("needs a source"), "{}", stderr(&o));
}

#[test]
fn containerenv_and_the_container_variable_are_set_as_podman_sets_them() {
    if !ready() {
        return;
    }
    let e = Env::new();
    // Unprivileged: the file exists, empty (podman 4.3 writes its fields only when privileged).
    assert_eq!(
        run(
            &e,
            &[
                "busybox",
                "sh",
                "-c",
                "wc -c < /run/.containerenv; echo $container"
            ]
        ),
        "0\npodman\n"
    );
    let out = run(
        &e,
        &[
            "--privileged",
            "--name",
            "priv",
            "busybox",
            "cat",
            "/run/.containerenv",
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("engine=\"rpod-{}\"", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(lines[1], "name=\"priv\"");
    assert!(
        lines[2].starts_with("id=\"") && lines[2].len() == 64 + 5,
        "{out}"
    );
    assert_eq!(lines[3], "image=\"busybox\"");
    assert!(lines[4].starts_with("imageid=\""), "{out}");
    assert_eq!(lines[5], "rootless=0");
    // The user's own value wins.
    assert_eq!(
        run(
            &e,
            &[
                "-e",
                "container=mine",
                "busybox",
                "sh",
                "-c",
                "echo $container"
            ]
        ),
        "mine\n"
    );
}

#[test]
fn the_root_directory_keeps_the_images_mode() {
    if !ready() {
        return;
    }
    let e = Env::with(|root| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    });
    assert_eq!(run(&e, &["busybox", "stat", "-c", "%a", "/"]), "555\n");
}

#[test]
fn a_workdir_that_does_not_exist_exits_126_as_in_podman() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let o = e.rpod(&["run", "--rm", "--workdir", "/nope/x", "busybox", "pwd"]);
    assert_eq!(code(&o), 126, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("workdir \"/nope/x\" does not exist on container"),
        "{}",
        stderr(&o)
    );
    let o = e.rpod(&[
        "run",
        "--rm",
        "--workdir",
        "/etc/passwd/x",
        "busybox",
        "pwd",
    ]);
    assert_eq!(code(&o), 126, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("detecting workdir \"/etc/passwd/x\""),
        "{}",
        stderr(&o)
    );
    assert_eq!(e.out(&["ps", "-a", "-q"]), "", "nothing is left");
}

#[test]
fn log_drivers_and_options() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let o = e.rpod(&["run", "--rm", "--log-driver", "journald", "busybox", "true"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("journald log driver is not available"),
        "{}",
        stderr(&o)
    );
    // none: shown in the foreground, nothing logged, and logs says so as podman does.
    let shown = e.out(&[
        "run",
        "--name",
        "quiet",
        "--log-driver",
        "none",
        "busybox",
        "echo",
        "hi",
    ]);
    assert_eq!(shown, "hi\n");
    let o = e.rpod(&["logs", "quiet"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains(
            "this container is using the 'none' log driver, cannot read logs: \
             this container is not logging output"
        ),
        "{}",
        stderr(&o)
    );
    // passthrough: the foreground's own stdout.
    assert_eq!(
        e.out(&[
            "run",
            "--name",
            "pass",
            "--log-driver",
            "passthrough",
            "busybox",
            "echo",
            "through"
        ]),
        "through\n"
    );
    assert_eq!(code(&e.rpod(&["logs", "pass"])), 125);
    // path= and max-size=: the log is where asked and truncated before it passes the size.
    let log = e.dir.path().join("my.log");
    e.out(&[
        "run",
        "--name",
        "sized",
        "--log-opt",
        &format!("path={}", log.display()),
        "--log-opt",
        "max-size=200",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3 4 5 6 7 8; do echo line$i; done",
    ]);
    let text = std::fs::read_to_string(&log).expect("the log is at path=");
    assert!(text.len() <= 200, "{text}");
    assert!(
        text.contains("line8") && !text.contains("line1\n"),
        "{text}"
    );
    assert_eq!(
        inspect(&e, "sized")["HostConfig"]["LogConfig"]["Path"],
        log.display().to_string()
    );
}

#[test]
fn attach_shows_only_the_named_streams() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let o = e.rpod(&[
        "run",
        "--rm",
        "-a",
        "stderr",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), ("", "err\n"));
    // With -d, podman detaches and prints the id.
    let id = e.out(&["run", "-d", "-a", "stdout", "busybox", "echo", "logged"]);
    assert_eq!(id.trim().len(), 64);
}

#[test]
fn timeout_kills_the_container_with_podmans_status() {
    if !ready() {
        return;
    }
    let e = Env::new();
    // Killed at 1 s: the shell never gets past its 2 s sleep.
    let o = e.rpod(&[
        "run",
        "--rm",
        "--timeout",
        "1",
        "busybox",
        "sh",
        "-c",
        "sleep 2; echo survived",
    ]);
    assert_eq!((code(&o), stdout(&o).as_str()), (255, ""), "{}", stderr(&o));
}

#[test]
fn stop_uses_the_stop_signal_and_inspect_shows_it() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&[
        "run",
        "-d",
        "--name",
        "sig",
        "--stop-signal",
        "USR1",
        "--stop-timeout",
        "30",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-usr1; exit 5' USR1; echo ready; while true; do sleep 0.1; done",
    ]);
    eventually("the trap", || {
        (e.out(&["logs", "sig"]) == "ready\n").then_some(())
    });
    let v = inspect(&e, "sig");
    assert_eq!(
        v["Config"]["StopSignal"], 10,
        "SIGUSR1, as a number like podman's"
    );
    assert_eq!(v["Config"]["StopTimeout"], 30);
    e.out(&["stop", "sig"]);
    assert_eq!(inspect(&e, "sig")["State"]["ExitCode"], 5);
    assert_eq!(e.out(&["logs", "sig"]), "ready\ngot-usr1\n");
    e.out(&["rm", "sig"]);
}

#[test]
fn security_opts_no_new_privileges_label_mask_and_unmask() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let nnp = |opt: &str| {
        run(
            &e,
            &[
                "--security-opt",
                opt,
                "busybox",
                "grep",
                "NoNewPrivs",
                "/proc/self/status",
            ],
        )
    };
    assert!(nnp("no-new-privileges").ends_with("1\n"));
    assert!(nnp("no-new-privileges:true").ends_with("1\n"));
    assert!(nnp("no-new-privileges:false").ends_with("0\n"));
    run(&e, &["--security-opt", "label=disable", "busybox", "true"]);
    // /proc/timer_list is masked by default; unmask shows it, mask hides another path.
    let size = |opts: &[&str], path: &str| {
        let mut a: Vec<&str> = Vec::new();
        for o in opts {
            a.extend(["--security-opt", o]);
        }
        a.extend(["busybox", "sh", "-c"]);
        let cmd = format!("cat {path} | wc -c");
        a.push(&cmd);
        run(&e, &a).trim().parse::<u64>().expect("a count")
    };
    assert_eq!(size(&[], "/proc/timer_list"), 0);
    assert!(size(&["unmask=/proc/timer_list"], "/proc/timer_list") > 0);
    assert!(size(&["unmask=ALL"], "/proc/timer_list") > 0);
    assert!(size(&[], "/proc/version") > 0);
    assert_eq!(size(&["mask=/proc/version"], "/proc/version"), 0);
}

#[test]
fn group_add_adds_supplementary_groups() {
    if !ready() {
        return;
    }
    let e = Env::new();
    assert_eq!(
        run(
            &e,
            &[
                "--group-add",
                "44",
                "--group-add",
                "root",
                "busybox",
                "id",
                "-G"
            ]
        ),
        "0 44\n"
    );
    let o = e.rpod(&[
        "run",
        "--rm",
        "--group-add",
        "nosuchgroup",
        "busybox",
        "true",
    ]);
    assert_eq!(code(&o), 125);
}

#[test]
fn net_container_joins_the_named_containers_network_namespace() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&["run", "-d", "--name", "netowner", "busybox", "sleep", "60"]);
    let theirs = e.out(&["exec", "netowner", "readlink", "/proc/self/ns/net"]);
    let ours = run(
        &e,
        &[
            "--net",
            "container:netowner",
            "busybox",
            "readlink",
            "/proc/self/ns/net",
        ],
    );
    assert_eq!(ours, theirs);
    assert_ne!(
        run(&e, &["busybox", "readlink", "/proc/self/ns/net"]),
        theirs
    );
    e.out(&["rm", "-f", "netowner"]);
}

#[test]
fn pull_policies_without_a_registry() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let o = e.rpod(&["run", "--rm", "--pull", "never", "nosuchimage", "true"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("nosuchimage: image not known"),
        "{}",
        stderr(&o)
    );
    let o = e.rpod(&["run", "--rm", "--pull", "always", "busybox", "true"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("does not support registries yet"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        run(&e, &["--pull", "never", "busybox", "echo", "ok"]),
        "ok\n"
    );
    assert_eq!(
        run(&e, &["--pull", "missing", "busybox", "echo", "ok"]),
        "ok\n"
    );
}

#[test]
fn rmi_removes_the_image_after_the_container() {
    if !ready() {
        return;
    }
    let e = Env::new();
    assert_eq!(e.out(&["run", "--rmi", "busybox", "echo", "bye"]), "bye\n");
    assert_eq!(e.out(&["ps", "-a", "-q"]), "");
    assert_eq!(code(&e.rpod(&["image", "inspect", "busybox"])), 125);
}

#[test]
fn tz_binds_the_hosts_zone_file() {
    if !ready()
        || !rpod_tests::require(
            "tzdata",
            Path::new("/usr/share/zoneinfo/Asia/Tokyo").is_file(),
        )
    {
        return;
    }
    let e = Env::new();
    assert_eq!(
        run(&e, &["--tz", "Asia/Tokyo", "busybox", "date", "+%Z"]),
        "JST\n"
    );
    assert_eq!(
        code(&e.rpod(&["run", "--rm", "--tz", "../etc", "busybox", "true"])),
        125
    );
}

#[test]
fn systemd_always_mounts_tmpfs_on_run_and_tmp() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let out = run(
        &e,
        &[
            "--systemd",
            "always",
            "busybox",
            "sh",
            "-c",
            "grep -E ' /(run|tmp) ' /proc/mounts | cut -d' ' -f2,3",
        ],
    );
    assert!(
        out.contains("/run tmpfs") && out.contains("/tmp tmpfs"),
        "{out}"
    );
    let out = run(
        &e,
        &[
            "busybox",
            "sh",
            "-c",
            "grep -cE ' /tmp ' /proc/mounts || true",
        ],
    );
    assert_eq!(out, "0\n");
}

/// `rpod ARGS` with `file` open as fd 3 (not close-on-exec: a shell's redirection), and `env`.
fn with_fd3(e: &Env, file: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let inner = e.cmd(args);
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg("exec 3<\"$0\"; exec \"$@\"")
        .arg(file)
        .arg(inner.get_program())
        .args(inner.get_args())
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null());
    c.output().expect("sh runs rpod")
}

#[test]
fn preserve_fds_passes_the_callers_fds_on() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let f = e.dir.path().join("payload");
    std::fs::write(&f, "through fd 3\n").expect("payload");
    let o = with_fd3(
        &e,
        &f,
        &[],
        &[
            "run",
            "--rm",
            "--preserve-fds",
            "1",
            "busybox",
            "cat",
            "/proc/self/fd/3",
        ],
    );
    assert_eq!(stdout(&o), "through fd 3\n", "{}", stderr(&o));
    // Without the flag the container does not get it.
    let o = with_fd3(
        &e,
        &f,
        &[],
        &[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "cat <&3 2>/dev/null || echo closed",
        ],
    );
    assert_eq!(stdout(&o), "closed\n", "{}", stderr(&o));
}

#[test]
fn socket_activation_fds_and_variables_reach_the_container() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let f = e.dir.path().join("socket-stand-in");
    std::fs::write(&f, "activated\n").expect("file");
    let o = with_fd3(
        &e,
        &f,
        &[
            ("LISTEN_FDS", "1"),
            ("LISTEN_FDNAMES", "web"),
            ("LISTEN_PID", "12345"),
        ],
        &[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "echo $LISTEN_PID $LISTEN_FDS $LISTEN_FDNAMES; cat <&3",
        ],
    );
    assert_eq!(stdout(&o), "1 1 web\nactivated\n", "{}", stderr(&o));
}

#[test]
fn sig_proxy_passes_a_signal_sent_to_rpod_on_to_the_container() {
    if !ready() {
        return;
    }
    use std::io::BufRead as _;
    let e = Env::new();
    let mut child = e
        .cmd(&[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "trap 'echo got-usr1; exit 9' USR1; echo ready; while :; do sleep 0.1; done",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rpod runs");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("the first line");
    assert_eq!(line, "ready\n");
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGUSR1).expect("signal rpod");
    let status = child.wait().expect("rpod ends");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("the rest");
    // A build that does not proxy dies of the signal and leaves the container running.
    for id in e.out(&["ps", "-a", "-q"]).lines() {
        let _ = e.rpod(&["rm", "-f", id]);
    }
    assert_eq!((status.code(), rest.as_str()), (Some(9), "got-usr1\n"));
}
