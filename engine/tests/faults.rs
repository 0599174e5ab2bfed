//! Fault injection (issue 12): `kill -9` of rpod at random points of `run`, `run -d`, `import`,
//! `load` and `rm`, each followed by the next command and a recovery check. (`pull` does not
//! exist yet: add it here when it does.)
//!
//! Each kill lands after a delay drawn from a seeded RNG, below the time the same command takes
//! uninterrupted; the seed is printed, and `RPOD_FAULT_SEED=N` replays a run. A kill that came
//! after the command finished does not count: the test requires a floor of kills that really
//! interrupted the command (it died by the signal), shrinking the delays when commands outrun
//! them, so the count does not depend on the machine's speed.
//!
//! After each kill the next command (`rpod ps -a`, which opens the store and reconciles every
//! container) must leave:
//! - no phantom: every container the runtime knows has a record, and one the runtime runs is
//!   `running` in `ps` (and the other way round);
//! - no container lost: a created, running or exited container has its directory;
//! - no leaked directory: every container directory belongs to a record;
//! - no leaked mount under the store but the root of a created or running container;
//! - no leaked work directory (`ROOT/tmp/work-*`): the next command removes a killed one's;
//! - database integrity (SQLite's `integrity_check`, and every image's layers and blobs there).
//!
//! The check waits for these to hold while processes the kill orphaned finish (a `runc run`
//! whose rpod died goes on creating its container), failing after 60 s with what is still
//! wrong. Then `rm -f` of every container must leave nothing: no record, runtime state, mount
//! or directory.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod support;
use support::{code, ps_states_of, ready, Env};

/// splitmix64: small, seedable, good enough to spread kill times.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A delay in `[0, span)`.
    fn below(&mut self, span: Duration) -> Duration {
        let us = u64::try_from(span.as_micros()).unwrap_or(u64::MAX).max(1);
        Duration::from_micros(self.next() % us)
    }
}

/// The seed: `RPOD_FAULT_SEED`, else the clock.
fn seed() -> u64 {
    match std::env::var("RPOD_FAULT_SEED") {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("RPOD_FAULT_SEED={s} is not a number")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| {
                u64::try_from(d.as_nanos() & u128::from(u64::MAX)).unwrap_or(1)
            }),
    }
}

/// A docker-archive holding the busybox rootfs tar as its one layer.
fn docker_archive(rootfs_tar: &[u8]) -> Vec<u8> {
    let diff_id = rpod::storage::Digest::of_bytes(rootfs_tar);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
    })
    .to_string();
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["loaded:latest"],
        "Layers": ["layer.tar"],
    }])
    .to_string();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("config.json", config.as_bytes()),
        ("manifest.json", manifest.as_bytes()),
        ("layer.tar", rootfs_tar),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(u64::try_from(data.len()).expect("size"));
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).expect("tar entry");
    }
    b.into_inner().expect("tar")
}

/// Command lines of live processes that mention `dir`, other than the monitors and runtimes of
/// running containers (which live as long as their container): the commands still at work.
fn commands_at_work(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
        .map(|c| {
            c.split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
        })
        .filter(|args| args.iter().any(|a| a.contains(&dir)))
        .filter(|args| {
            let monitor = args.windows(2).any(|w| w == ["container", "monitor"]);
            let runtime_run = args
                .first()
                .is_some_and(|a0| a0.ends_with("runc") || a0.ends_with("crun"))
                && args.iter().any(|a| a == "run");
            !monitor && !runtime_run
        })
        .map(|args| args.join(" "))
        .collect()
}

/// What is wrong after the next command (`ps -a`), or `Ok` (see the module's list).
fn inconsistencies(e: &Env) -> Result<(), String> {
    let busy = commands_at_work(e.dir.path());
    if !busy.is_empty() {
        return Err(format!("commands still at work: {busy:?}"));
    }
    // Before anything in this test opens the store (which would clean work dirs itself).
    let ps = e.rpod(&["ps", "-a", "--format", "json"]);
    if !ps.status.success() {
        return Err(format!(
            "the next command failed: rpod ps -a: {}",
            String::from_utf8_lossy(&ps.stderr)
        ));
    }
    let tmp = e.dir.path().join("root/tmp");
    let work: Vec<String> = std::fs::read_dir(&tmp)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|x| x.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("work-"))
                .collect()
        })
        .unwrap_or_default();
    let mut wrong = Vec::new();
    if !work.is_empty() {
        wrong.push(format!("work dirs left after the next command: {work:?}"));
    }
    let states = ps_states_of(&ps.stdout);
    let runc = e.runc_list();
    for (id, status) in &runc {
        match states.get(id) {
            None => wrong.push(format!("phantom: runc has {id} ({status}), rpod does not")),
            Some(st) if status != "stopped" && st != "running" => {
                wrong.push(format!("runc runs {id} ({status}) but rpod says {st}"))
            }
            Some(_) => {}
        }
    }
    for (id, st) in &states {
        if st == "running" && runc.get(id).is_none_or(|s| s == "stopped") {
            wrong.push(format!("rpod says {id} runs, runc has {:?}", runc.get(id)));
        }
        if ["created", "running", "exited"].contains(&st.as_str())
            && !e.dir.path().join("root/containers").join(id).is_dir()
        {
            wrong.push(format!("lost: {id} is {st} without its directory"));
        }
    }
    for id in e.container_dirs() {
        if !states.contains_key(&id) {
            wrong.push(format!("leaked directory of {id}, which has no record"));
        }
    }
    for m in e.mounts() {
        let rel = Path::new(&m)
            .strip_prefix(e.dir.path().join("root/containers"))
            .ok()
            .map(|p| p.to_string_lossy().into_owned());
        let ok = rel.as_deref().is_some_and(|r| {
            r.strip_suffix("/merged").is_some_and(|id| {
                states.get(id).is_some_and(|st| {
                    ["configured", "created", "running", "removing"].contains(&st.as_str())
                })
            })
        });
        if !ok {
            wrong.push(format!("leaked mount {m}"));
        }
    }
    let db = rusqlite::Connection::open(e.dir.path().join("root/rpod.db")).expect("open db");
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    if integrity != "ok" {
        wrong.push(format!("database: {integrity}"));
    }
    let store = rpod::storage::Store::open(&e.dir.path().join("root"), &e.dir.path().join("run"))
        .expect("open the store");
    for p in store.check().expect("check the store") {
        use rpod::storage::StoreProblem as P;
        // Unreferenced files and tmp leftovers are gc's garbage, not damage.
        if !matches!(p, P::Unreferenced { .. } | P::TempLeft { .. }) {
            wrong.push(format!("store: {p:?}"));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n  "))
    }
}

/// Waits for [`inconsistencies`] to clear (orphans of the kill finish), then removes every
/// container with `rm -f` and requires that nothing is left of them.
fn recover(e: &Env, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match inconsistencies(e) {
            Ok(()) => break,
            Err(w) if Instant::now() > deadline => {
                panic!("60 s after a kill of `{what}`, still:\n  {w}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    for id in e.ps_states().keys() {
        let o = e.rpod(&["rm", "-f", "-t", "0", id]);
        assert!(
            o.status.success(),
            "after a kill of `{what}`: rm -f {id}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(e.ps_states().is_empty(), "{:?}", e.ps_states());
    assert!(e.runc_list().is_empty(), "runc: {:?}", e.runc_list());
    assert!(e.mounts().is_empty(), "mounts: {:?}", e.mounts());
    assert!(
        e.container_dirs().is_empty(),
        "dirs: {:?}",
        e.container_dirs()
    );
}

/// On the way out (a failed check panics), kills and deletes whatever runc still runs for the
/// store, so a failure leaves no `sleep 600` behind.
struct Reaper<'a>(&'a Env);

impl Drop for Reaper<'_> {
    fn drop(&mut self) {
        let root = self.0.dir.path().join("run/runtime/runc");
        let Ok(out) = std::process::Command::new("runc")
            .arg("--root")
            .arg(&root)
            .args(["list", "-q"])
            .output()
        else {
            return;
        };
        for id in String::from_utf8_lossy(&out.stdout).lines() {
            let _ = std::process::Command::new("runc")
                .arg("--root")
                .arg(&root)
                .args(["delete", "--force", id])
                .status();
        }
    }
}

/// One command to kill: its arguments for attempt `n` (0: the uninterrupted run that times
/// it), and what must exist before it runs.
struct Op<'a> {
    name: &'static str,
    args: &'a dyn Fn(u32) -> Vec<String>,
    setup: &'a dyn Fn(&Env, u32),
}

const INTERRUPTED: u32 = 20;
const ATTEMPTS: u32 = 80;

/// Kills `op` until [`INTERRUPTED`] kills interrupted it, each followed by [`recover`].
/// Returns (interrupted, attempts).
fn kill_at_random_points(e: &Env, rng: &mut Rng, op: &Op<'_>) -> (u32, u32) {
    let spawn = |n: u32| {
        (op.setup)(e, n);
        let args = (op.args)(n);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        e.cmd(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rpod")
    };
    // How long the command takes uninterrupted: kills land below that.
    let start = Instant::now();
    let status = spawn(0).wait().expect("wait");
    let whole = start.elapsed();
    assert!(status.success(), "`{}` fails without a kill", op.name);
    recover(e, op.name);
    let (mut interrupted, mut attempts, mut span) = (0, 0, whole);
    while interrupted < INTERRUPTED {
        attempts += 1;
        assert!(
            attempts <= ATTEMPTS,
            "`{}`: {ATTEMPTS} kills and only {interrupted} interrupted it",
            op.name
        );
        let mut child = spawn(attempts);
        std::thread::sleep(rng.below(span));
        child.kill().expect("kill -9");
        let status = child.wait().expect("wait");
        if std::os::unix::process::ExitStatusExt::signal(&status) == Some(9) {
            interrupted += 1;
        } else {
            span = span * 3 / 4;
        }
        recover(e, op.name);
    }
    eprintln!(
        "`{}` takes {whole:?}; {interrupted} of {attempts} kills interrupted it",
        op.name
    );
    (interrupted, attempts)
}

#[test]
fn kill_9_at_random_points_leaves_a_state_the_next_command_recovers() {
    if !ready() {
        return;
    }
    let seed = seed();
    eprintln!("fault injection seed: {seed} (replay with RPOD_FAULT_SEED={seed})");
    let mut rng = Rng(seed);
    let e = Env::new();
    let _reaper = Reaper(&e);
    let rootfs_tar = e.dir.path().join("busybox.tar");
    let archive = e.dir.path().join("busybox-docker.tar");
    std::fs::write(
        &archive,
        docker_archive(&std::fs::read(&rootfs_tar).expect("busybox.tar")),
    )
    .expect("archive");
    let tar = rootfs_tar.to_str().expect("utf8").to_string();
    let archive = archive.to_str().expect("utf8").to_string();
    let none = |_: &Env, _: u32| {};
    let running = |e: &Env, n: u32| {
        e.out(&[
            "run",
            "-d",
            "--name",
            &format!("rm{n}"),
            "busybox",
            "sleep",
            "600",
        ]);
    };
    let strings = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    let ops = [
        Op {
            name: "run",
            // Timed with `true`; killed while starting `sleep 600`, so a container the runtime
            // runs after its foreground rpod died is there to be compared, not gone before the
            // check (a kill after the start interrupts rpod waiting for it).
            args: &|n| {
                let cmd = if n == 0 { "true" } else { "sleep 600" };
                strings(&[
                    "run",
                    "--name",
                    &format!("fg{n}"),
                    "busybox",
                    "sh",
                    "-c",
                    cmd,
                ])
            },
            setup: &none,
        },
        Op {
            name: "run -d",
            args: &|n| {
                strings(&[
                    "run",
                    "-d",
                    "--name",
                    &format!("bg{n}"),
                    "busybox",
                    "sleep",
                    "600",
                ])
            },
            setup: &none,
        },
        Op {
            name: "import",
            args: &|n| strings(&["import", &tar, &format!("imp{n}")]),
            setup: &none,
        },
        Op {
            name: "load",
            args: &|_| strings(&["load", "-i", &archive]),
            setup: &none,
        },
        Op {
            name: "rm -f",
            args: &|n| strings(&["rm", "-f", "-t", "0", &format!("rm{n}")]),
            setup: &running,
        },
    ];
    let started = Instant::now();
    for op in &ops {
        kill_at_random_points(&e, &mut rng, op);
    }
    eprintln!(
        "{} kinds of command killed in {:?}",
        ops.len(),
        started.elapsed()
    );
    // The store still works: the images that were committed run.
    assert_eq!(code(&e.rpod(&["run", "--rm", "busybox", "true"])), 0);
}
