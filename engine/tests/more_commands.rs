//! Issue 13's everyday commands, end to end against real busybox containers (root, runc):
//! volume, named volumes in -v, pause/unpause, restart, rename, events, top, port, stats,
//! attach. Each test names the rule it checks; expected text and exit codes are podman
//! 4.3.1's, seen on this machine.

use std::path::PathBuf;
use std::process::Stdio;

mod support;
use support::{code, eventually, ready, stderr, stdout, Env, RemoveAll};

impl Env {
    fn volume_data(&self, name: &str) -> PathBuf {
        self.dir
            .path()
            .join("root/volumes")
            .join(name)
            .join("_data")
    }

    fn state_of(&self, name: &str) -> String {
        let o = self.out(&["inspect", name]);
        let v: serde_json::Value = serde_json::from_str(&o).expect("inspect json");
        let c = if v.is_array() { &v[0] } else { &v };
        c["State"]["Status"]
            .as_str()
            .or_else(|| c["State"].as_str())
            .unwrap_or_else(|| panic!("no state in {c}"))
            .to_string()
    }

    /// `run -d` a long sleep named `name`.
    fn sleeper(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["run", "-d", "--name", name];
        args.extend(extra);
        args.extend(["busybox", "sleep", "1000"]);
        self.out(&args).trim().to_string()
    }

    fn events(&self, extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["events", "--stream=false", "--format", "json"];
        args.extend(extra);
        self.out(&args)
            .lines()
            .map(|l| serde_json::from_str(l).expect("event json line"))
            .collect()
    }
}

/// podman's `volume create/ls/inspect/exists/rm` output and exit codes.
#[test]
fn volume_commands_print_and_exit_as_podman() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    assert_eq!(e.out(&["volume", "create", "v1"]), "v1\n");
    let o = e.rpod(&["volume", "create", "v1"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("volume with name v1 already exists: volume already exists"),
        "{}",
        stderr(&o)
    );
    e.out(&["volume", "create", "--label", "a=b", "v2"]);
    assert_eq!(
        e.out(&["volume", "ls"]),
        "DRIVER      VOLUME NAME\nlocal       v1\nlocal       v2\n"
    );
    assert_eq!(e.out(&["volume", "ls", "-q"]), "v1\nv2\n");
    assert_eq!(
        e.out(&["volume", "ls", "-q", "--filter", "label=a=b"]),
        "v2\n"
    );
    let v: serde_json::Value =
        serde_json::from_str(&e.out(&["volume", "inspect", "v2"])).expect("json");
    assert_eq!(v[0]["Name"], "v2");
    assert_eq!(v[0]["Driver"], "local");
    assert_eq!(v[0]["Labels"]["a"], "b");
    assert_eq!(
        v[0]["Mountpoint"].as_str().map(PathBuf::from),
        Some(e.volume_data("v2"))
    );
    assert!(e.volume_data("v2").is_dir());
    let all: serde_json::Value =
        serde_json::from_str(&e.out(&["volume", "inspect", "--all"])).expect("json");
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    assert_eq!(code(&e.rpod(&["volume", "exists", "v1"])), 0);
    assert_eq!(code(&e.rpod(&["volume", "exists", "nope"])), 1);
    let o = e.rpod(&["volume", "rm", "nope"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("no volume with name \"nope\" found: no such volume"));
    assert_eq!(code(&e.rpod(&["volume", "inspect", "nope"])), 125);
    assert_eq!(code(&e.rpod(&["volume", "create", "bad/name"])), 125);
    assert_eq!(e.out(&["volume", "rm", "v1", "v2"]), "v1\nv2\n");
    assert_eq!(e.out(&["volume", "ls", "-q"]), "");
}

/// `-v NAME:/path` creates the volume when missing, and its data outlives the container.
#[test]
fn a_named_volume_is_created_on_use_and_keeps_its_data() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&[
        "run",
        "--rm",
        "-v",
        "data:/d",
        "busybox",
        "sh",
        "-c",
        "echo kept > /d/f",
    ]);
    assert_eq!(e.out(&["volume", "ls", "-q"]), "data\n");
    assert_eq!(
        std::fs::read_to_string(e.volume_data("data").join("f")).expect("on the host"),
        "kept\n"
    );
    assert_eq!(
        e.out(&[
            "run",
            "--rm",
            "-v",
            "data:/other:ro",
            "busybox",
            "cat",
            "/other/f"
        ]),
        "kept\n"
    );
    let o = e.rpod(&[
        "run",
        "--rm",
        "-v",
        "data:/d:ro",
        "busybox",
        "touch",
        "/d/x",
    ]);
    assert_ne!(code(&o), 0, "a :ro volume is read-only");
}

/// An anonymous volume (`-v /path`) goes with `rm -v` of its container; a named one stays;
/// `run --rm` removes its anonymous volumes too.
#[test]
fn rm_v_removes_only_the_containers_anonymous_volumes() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&[
        "create", "--name", "k", "-v", "/anon", "-v", "named:/n", "busybox", "true",
    ]);
    let vols = e.out(&["volume", "ls", "-q"]);
    let anon: Vec<&str> = vols.lines().filter(|v| *v != "named").collect();
    assert_eq!(anon.len(), 1, "{vols}");
    assert_eq!(anon[0].len(), 64, "a generated name");
    e.out(&["rm", "-v", "k"]);
    assert_eq!(e.out(&["volume", "ls", "-q"]), "named\n");
    e.out(&["run", "--rm", "-v", "/anon2", "busybox", "true"]);
    assert_eq!(e.out(&["volume", "ls", "-q"]), "named\n");
    // Without -v the anonymous volume stays, as in podman.
    e.out(&["create", "--name", "k2", "-v", "/anon3", "busybox", "true"]);
    e.out(&["rm", "k2"]);
    assert_eq!(e.out(&["volume", "ls", "-q"]).lines().count(), 2);
}

/// A volume a container uses: `volume rm` exits 2; `-f` removes the container first; prune
/// keeps it and removes the unused ones.
#[test]
fn a_volume_in_use_is_kept_unless_forced() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&[
        "create", "--name", "user", "-v", "used:/d", "busybox", "true",
    ]);
    e.out(&["volume", "create", "unused"]);
    let o = e.rpod(&["volume", "rm", "used"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("volume used is being used by the following container(s): "),
        "{}",
        stderr(&o)
    );
    assert_eq!(e.out(&["volume", "prune", "-f"]), "unused\n");
    assert_eq!(e.out(&["volume", "ls", "-q"]), "used\n");
    assert_eq!(e.out(&["volume", "rm", "-f", "used"]), "used\n");
    assert_eq!(
        e.out(&["ps", "-a", "-q"]).trim(),
        "",
        "the container went too"
    );
    assert!(!e.volume_data("used").exists());
}

/// `pause` freezes the container's cgroup (state paused in ps and inspect), podman's errors for
/// pausing twice and unpausing a running one, and `rm -f` of a paused container works.
#[test]
fn pause_freezes_the_container_and_unpause_thaws_it() {
    if !ready()
        || !rpod_tests::require(
            "the cgroup v1 freezer",
            std::path::Path::new("/sys/fs/cgroup/freezer").is_dir(),
        )
    {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let id = e.sleeper("p", &[]);
    assert_eq!(e.out(&["pause", "p"]), "p\n");
    assert_eq!(e.state_of("p"), "paused");
    assert_eq!(e.ps_states().get(&id).map(String::as_str), Some("paused"));
    assert_eq!(e.runc_list().get(&id).map(String::as_str), Some("paused"));
    let o = e.rpod(&["pause", "p"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains(&format!(
            "\"{id}\" is already paused: container state improper"
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(e.out(&["unpause", "p"]), "p\n");
    assert_eq!(e.state_of("p"), "running");
    assert_eq!(e.runc_list().get(&id).map(String::as_str), Some("running"));
    let o = e.rpod(&["unpause", "p"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("is not paused, can't unpause"),
        "{}",
        stderr(&o)
    );
    e.out(&["pause", "--all"]);
    assert_eq!(e.state_of("p"), "paused");
    e.out(&["rm", "-f", "p"]);
    assert!(e.runc_list().is_empty(), "{:?}", e.runc_list());
}

/// `restart` stops and starts the container again: a new process, the same container.
#[test]
fn restart_runs_the_container_again() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&[
        "run",
        "-d",
        "--name",
        "r",
        "-v",
        "rv:/d",
        "busybox",
        "sh",
        "-c",
        "echo up >> /d/starts; exec sleep 1000",
    ]);
    let starts = e.volume_data("rv").join("starts");
    eventually("the first start", || {
        (std::fs::read_to_string(&starts).ok()? == "up\n").then_some(())
    });
    assert_eq!(e.out(&["restart", "-t", "0", "r"]), "r\n");
    assert_eq!(e.state_of("r"), "running");
    eventually("the second start", || {
        (std::fs::read_to_string(&starts).ok()? == "up\nup\n").then_some(())
    });
    // An exited container is started again too.
    e.out(&["stop", "-t", "0", "r"]);
    e.out(&["restart", "r"]);
    assert_eq!(e.state_of("r"), "running");
    e.out(&["rm", "-f", "r"]);
}

/// `rename` changes the name; a name in use is podman's error.
#[test]
fn rename_changes_the_name_and_refuses_one_in_use() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    // Names that are not hex: a hex name would also match the ids by prefix.
    let id = e
        .out(&["create", "--name", "alpha", "busybox", "true"])
        .trim()
        .to_string();
    e.out(&["create", "--name", "beta", "busybox", "true"]);
    assert_eq!(e.out(&["rename", "alpha", "gamma"]), "");
    assert_ne!(
        code(&e.rpod(&["inspect", "alpha"])),
        0,
        "the old name is gone"
    );
    let v: serde_json::Value = serde_json::from_str(&e.out(&["inspect", "gamma"])).expect("json");
    let c = if v.is_array() { &v[0] } else { &v };
    assert_eq!(c["Id"], id.as_str());
    let o = e.rpod(&["rename", "gamma", "beta"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains(&format!(
            "renaming container {id}: name beta already in use, cannot rename container {id}: container already exists"
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&e.rpod(&["rename", "nope", "x"])), 125);
}

/// The lifecycle leaves its events in order, with podman's fields; filters and --since work.
#[test]
fn events_record_the_container_lifecycle() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let id = e.sleeper("ev", &[]);
    e.out(&["pause", "ev"]);
    e.out(&["unpause", "ev"]);
    e.out(&["rename", "ev", "ev2"]);
    e.out(&["stop", "-t", "0", "ev2"]);
    e.out(&["rm", "ev2"]);
    let all = e.events(&[]);
    let statuses: Vec<&str> = all
        .iter()
        .filter(|v| v["ID"] == id.as_str())
        .map(|v| v["Status"].as_str().expect("Status"))
        .collect();
    assert_eq!(
        statuses,
        ["create", "start", "pause", "unpause", "rename", "stop", "died", "remove"]
    );
    let died = all.iter().find(|v| v["Status"] == "died").expect("died");
    assert_eq!(died["ContainerExitCode"], 137);
    assert_eq!(died["Type"], "container");
    assert_eq!(died["Image"], "busybox");
    let only = e.events(&["--filter", "event=pause"]);
    assert_eq!(only.len(), 1);
    assert!(e.events(&["--since", "2999-01-01T00:00:00Z"]).is_empty());
    let text = e.out(&["events", "--stream=false", "--filter", "event=create"]);
    assert!(
        text.trim_end()
            .ends_with(&format!("container create {id} (image=busybox, name=ev)")),
        "{text}"
    );
}

/// `top` lists the container's processes from its cgroup, in podman's default columns.
#[test]
fn top_lists_the_containers_processes() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.sleeper("t", &[]);
    let out = e.out(&["top", "t"]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    assert_eq!(
        header,
        ["USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"]
    );
    let row: Vec<&str> = lines
        .next()
        .expect("one process")
        .split_whitespace()
        .collect();
    assert_eq!(row[0], "root");
    assert_eq!(row[1], "1", "the pid in the container's namespace");
    assert_eq!(row[5], "?");
    assert_eq!(&row[7..], ["sleep", "1000"]);
    assert_eq!(lines.next(), None);
    assert_eq!(
        e.out(&["top", "t", "pid", "comm"])
            .lines()
            .nth(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["1", "sleep"])
    );
    e.out(&["create", "--name", "idle", "busybox", "true"]);
    let o = e.rpod(&["top", "idle"]);
    assert_eq!(code(&o), 125);
    assert!(stderr(&o).contains("top can only be used on running containers"));
    e.out(&["rm", "-f", "t"]);
}

/// `port` prints nothing for a container (rpod publishes no ports) and fails for a missing one.
#[test]
fn port_prints_nothing_for_a_container_without_ports() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&["create", "--name", "np", "busybox", "true"]);
    assert_eq!(e.out(&["port", "np"]), "");
    assert_eq!(e.out(&["port", "--all"]), "");
    assert_eq!(code(&e.rpod(&["port", "nope"])), 125);
}

/// `stats --no-stream --format json` reads the container's cgroup: its pids and memory.
#[test]
fn stats_reports_the_containers_cgroup_counters() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let id = e.sleeper("s", &[]);
    let v: serde_json::Value =
        serde_json::from_str(&e.out(&["stats", "--no-stream", "--format", "json", "s"]))
            .expect("json");
    let row = &v[0];
    assert_eq!(row["id"], &id[..12]);
    assert_eq!(row["name"], "s");
    assert_eq!(row["pids"], "1");
    let mem = row["mem_usage"].as_str().expect("mem_usage");
    assert!(!mem.starts_with("0B"), "memory is counted: {mem}");
    assert_eq!(row["net_io"], "0B / 0B");
    let table = e.out(&["stats", "--no-stream"]);
    assert!(
        table.starts_with("ID            NAME        CPU %"),
        "{table}"
    );
    assert_eq!(table.lines().count(), 2);
    e.out(&["rm", "-f", "s"]);
}

/// `attach` prints the output written after it attached and exits with the container's code.
#[test]
fn attach_follows_the_output_and_exits_with_the_containers_code() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    e.out(&[
        "run",
        "-d",
        "--name",
        "at",
        "-v",
        "gate:/g",
        "busybox",
        "sh",
        "-c",
        "echo before; while [ ! -e /g/go ]; do sleep 0.05; done; echo after; echo oops >&2; exit 3",
    ]);
    eventually("the first line", || {
        e.out(&["logs", "at"]).contains("before").then_some(())
    });
    let child = e
        .cmd(&["attach", "at"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("attach");
    // Its baseline is taken before its first sleep in the follow loop: open the gate then, so
    // "after" is new output to it (/proc/PID/wchan names the kernel's sleep).
    let wchan = format!("/proc/{}/wchan", child.id());
    eventually("attach to follow the log", || {
        (std::fs::read_to_string(&wchan).ok()? == "hrtimer_nanosleep").then_some(())
    });
    std::fs::write(e.volume_data("gate").join("go"), "").expect("open the gate");
    let o = child.wait_with_output().expect("attach ends");
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert_eq!(stdout(&o), "after\n");
    assert_eq!(stderr(&o), "oops\n");
    e.out(&["rm", "at"]);
}

/// `init` makes a created container `initialized` (its root filesystem mounted), refuses one
/// already initialized with podman's words, and `start` then runs it.
#[test]
fn init_makes_a_created_container_ready_and_start_runs_it() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let id = e
        .out(&["create", "--name", "i", "busybox", "echo", "started"])
        .trim()
        .to_string();
    assert_eq!(e.out(&["init", "i"]), "i\n");
    assert_eq!(e.state_of("i"), "initialized");
    let merged = e.out(&["mount", "i"]);
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    assert!(
        mounts.contains(&format!(" {} ", merged.trim())),
        "root filesystem not mounted at {merged}"
    );
    let o = e.rpod(&["init", "i"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains(&format!(
            "container {id} has already been created in runtime: container state improper"
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(e.out(&["start", "-a", "i"]), "started\n");
    assert_eq!(e.state_of("i"), "exited");
    let o = e.rpod(&["init", "nosuch"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("no container with name or ID \"nosuch\" found"),
        "{}",
        stderr(&o)
    );
    let events: Vec<String> = e
        .events(&["--filter", "container=i"])
        .iter()
        .map(|ev| ev["Status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(events.contains(&"init".to_string()), "{events:?}");
}

/// `start` of an exited container runs it again, as podman's (`cp` into an exited container,
/// then starting it, depends on it).
#[test]
fn start_runs_an_exited_container_again() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let _cleanup = RemoveAll(&e);
    let o = e.rpod(&[
        "run",
        "--name",
        "x",
        "busybox",
        "sh",
        "-c",
        "echo again; exit 4",
    ]);
    assert_eq!((code(&o), stdout(&o).as_str()), (4, "again\n"));
    assert_eq!(e.state_of("x"), "exited");
    let o = e.rpod(&["start", "-a", "x"]);
    assert_eq!((code(&o), stdout(&o).as_str()), (4, "again\n"));
    assert_eq!(e.out(&["start", "x"]), "x\n");
    assert_eq!(e.out(&["wait", "x"]), "4\n");
}
