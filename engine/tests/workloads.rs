//! Real workloads under recorded profiles, end to end (issue 14): nginx, redis, python3 and
//! postgres, from Debian packages (`scripts/test-images.sh`, cached per machine), each
//!
//! 1. recorded twice with the annotation while a client drives it from the host (a thread in
//!    the container's network namespace, or `nsenter --net` for psql) and one `rpod exec` runs
//!    in it: `of:A`, then `if:A;of:B`, so B merges two runs and its counts file says which
//!    syscalls a run missed (`not_in_every_recording`);
//! 2. linted: `rpod seccomp lint B --fail-on high` passes;
//! 3. enforced: the same workload under B, under runc and under crun, answers the client the
//!    same, `rpod exec` into it works, nothing is denied, it stops with the recorded exit code;
//! 4. changed (nginx `sendfile on`, redis `appendonly`+`appendfsync always`, python's forked
//!    pool), under runc and under crun: the denials are reported by name (`rpod seccomp
//!    denials CTR --format json`, and the summary line of a foreground `rpod run`).
//!
//! One test per workload, the four in parallel (a store each, the clients in the containers'
//! own network namespaces: no port is shared). Each test runs every step and fails at the end
//! with the list of steps that failed, so one missing feature does not hide the others. The
//! figures measured (syscalls allowed, against podman's default; syscalls a run missed) go to
//! stderr (`cargo test --test workloads -- --nocapture`).

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::recording::{allowed, can_record, try_read_json as read_json};
use support::workloads::{env_with, files, in_netns};
use support::{code, crun_ready, eventually, stderr, stdout, Env, RemoveAll};

const ANNOTATION: &str = "io.containers.trace-syscall";
const PODMAN_DEFAULT: &str = "/usr/share/containers/seccomp.json";

/// A server, how to start it and how to drive it.
struct Workload {
    image: &'static str,
    /// `run` options before the image (user, volumes, stop signal).
    options: Vec<String>,
    /// The server's command line.
    command: Vec<String>,
    /// The client: waits until the server answers, drives it, checks its answers.
    drive: fn(u32) -> Result<(), String>,
}

/// The steps that failed, reported together at the end.
struct Steps {
    workload: &'static str,
    failed: Vec<String>,
}

impl Steps {
    fn check(&mut self, step: &str, r: Result<(), String>) {
        match r {
            Ok(()) => eprintln!("workloads: {}: ok: {step}", self.workload),
            Err(e) => {
                eprintln!("workloads: {}: FAILED: {step}: {e}", self.workload);
                self.failed.push(format!("{step}: {e}"));
            }
        }
    }

    fn finish(self) {
        assert!(
            self.failed.is_empty(),
            "{}: {} steps failed:\n  {}",
            self.workload,
            self.failed.len(),
            self.failed.join("\n  ")
        );
    }
}

/// The syscalls `profile` allows by a rule without argument conditions.
fn allowed_whole(profile: &Value) -> BTreeSet<String> {
    profile["syscalls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["action"] == "SCMP_ACT_ALLOW")
        .filter(|r| r["args"].as_array().is_none_or(Vec::is_empty))
        .flat_map(|r| r["names"].as_array().into_iter().flatten())
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

/// The counts file next to a profile (`a.json` -> `a.counts.json`).
fn counts_of(profile: &Path) -> PathBuf {
    profile.with_extension("counts.json")
}

fn inspect(e: &Env, ctr: &str, format: &str) -> String {
    stdout(&e.rpod(&["inspect", "--format", format, ctr]))
        .trim()
        .to_string()
}

/// The host pid of the container's first process, once it runs.
fn pid_of(e: &Env, ctr: &str) -> Result<u32, String> {
    let pid = inspect(e, ctr, "{{.State.Pid}}");
    match pid.parse::<u32>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!(
            "{ctr} has no pid ({pid:?}); logs: {}",
            logs(e, ctr)
        )),
    }
}

fn logs(e: &Env, ctr: &str) -> String {
    let o = e.rpod(&["logs", ctr]);
    let mut s = stdout(&o);
    s.push_str(&stderr(&o));
    s.chars()
        .rev()
        .take(2000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// `rpod run -d` of the workload with `extra` options; the container's name.
fn start(
    e: &Env,
    w: &Workload,
    name: &str,
    extra: &[String],
    command: &[String],
) -> Result<u32, String> {
    let mut args: Vec<String> = vec!["run".into(), "-d".into(), "--name".into(), name.into()];
    args.extend(extra.iter().cloned());
    args.extend(w.options.iter().cloned());
    args.push(w.image.into());
    args.extend(command.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = e.rpod(&args);
    if !o.status.success() {
        return Err(format!("rpod {args:?}: {}", stderr(&o)));
    }
    pid_of(e, name)
}

/// `rpod exec CTR cat /proc/1/cmdline`: the exec'd process runs in the container (its PID 1
/// is the server) and works.
fn exec(e: &Env, w: &Workload, ctr: &str) -> Result<(), String> {
    let o = e.rpod(&["exec", ctr, "cat", "/proc/1/cmdline"]);
    if code(&o) != 0 {
        return Err(format!(
            "rpod exec {ctr} cat /proc/1/cmdline: exit {}: {}",
            code(&o),
            stderr(&o)
        ));
    }
    // nginx and postgres rewrite their argv (the process title): the program's name stays.
    let program = w.command[0].rsplit('/').next().unwrap_or_default();
    if !stdout(&o).contains(program) {
        return Err(format!(
            "rpod exec printed {:?}, not the command line of {program}",
            stdout(&o)
        ));
    }
    Ok(())
}

/// Stops the container (SIGTERM, or its stop signal) and returns its exit code.
fn stop(e: &Env, ctr: &str) -> Result<i32, String> {
    let o = e.rpod(&["stop", "-t", "30", ctr]);
    if !o.status.success() {
        return Err(format!("rpod stop {ctr}: {}", stderr(&o)));
    }
    let status = eventually(&format!("{ctr} to exit"), || {
        let s = inspect(e, ctr, "{{.State.Status}}");
        (s == "exited" || s == "stopped").then_some(s)
    });
    inspect(e, ctr, "{{.State.ExitCode}}")
        .parse()
        .map_err(|err| format!("{ctr} is {status} with no exit code: {err}"))
}

/// One recorded run: start with the annotation, drive, exec, stop, wait for the profile.
/// Returns the exit code.
fn record(e: &Env, w: &Workload, name: &str, value: &str, out: &Path) -> Result<i32, String> {
    let annotation = format!("{ANNOTATION}={value}");
    let pid = start(e, w, name, &["--annotation".into(), annotation], &w.command)?;
    // The exec is recorded too (the oci hook records the whole PID namespace); its failure is
    // reported after the server stopped and the profile was written.
    let driven = (w.drive)(pid)
        .map_err(|err| format!("client: {err}; logs: {}", logs(e, name)))
        .and_then(|()| exec(e, w, name));
    let exit = stop(e, name)?;
    // The monitor writes the profile, then the counts file, after the last process is gone.
    eventually(
        &format!("{} to be written", counts_of(out).display()),
        || counts_of(out).is_file().then_some(()),
    );
    let _ = e.rpod(&["rm", name]);
    driven?;
    if exit != 0 {
        return Err(format!(
            "the recorded server exited {exit}; logs: {}",
            logs(e, name)
        ));
    }
    Ok(exit)
}

/// The syscall names a denials report lists: `rpod seccomp denials CTR --format json`, an
/// array of denials (or `{"denials": [...]}`), each naming its syscall in `syscall` (or `name`).
fn denied(e: &Env, ctr: &str) -> Result<BTreeSet<String>, String> {
    let o = e.rpod(&["seccomp", "denials", ctr, "--format", "json"]);
    if !o.status.success() {
        return Err(format!(
            "rpod seccomp denials {ctr} --format json: exit {}: {}",
            code(&o),
            stderr(&o)
        ));
    }
    let v: Value = serde_json::from_slice(&o.stdout)
        .map_err(|err| format!("denials JSON: {err}: {}", stdout(&o)))?;
    let list = v
        .as_array()
        .or_else(|| v["denials"].as_array())
        .ok_or_else(|| {
            format!("denials JSON is neither an array nor {{\"denials\": [...]}}: {v}")
        })?;
    // A call the profile answers ENOSYS on purpose ("fall back": clone3 in a recorded profile,
    // docs/recorded-profiles.md) is not a denial of the workload.
    let on_purpose: BTreeSet<&str> = v["enosys_on_purpose"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    list.iter()
        .filter(|d| !on_purpose.contains(d["syscall"].as_str().unwrap_or_default()))
        .map(|d| {
            d["syscall"]
                .as_str()
                .or_else(|| d["name"].as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("a denial without a syscall name: {d}"))
        })
        .collect()
}

/// Steps 1-3 (and the measurements) for one workload; returns the store and the merged
/// profile for the changed workload's step.
fn recorded_lint_clean_and_enforced(w: &Workload, steps: &mut Steps) -> Option<(Env, PathBuf)> {
    if !can_record() {
        return None;
    }
    // Before the first rpod command: crun's runs live in this thread's own mount namespace.
    let crun = crun_ready();
    let e = env_with(w.image)?;
    let first = e.dir.path().join("first.json");
    let merged = e.dir.path().join("merged.json");
    {
        let _guard = RemoveAll(&e);
        let r = record(&e, w, "rec1", &format!("of:{}", first.display()), &first);
        steps.check("recorded with of:", r.map(drop));
        let r = record(
            &e,
            w,
            "rec2",
            &format!("if:{};of:{}", first.display(), merged.display()),
            &merged,
        );
        steps.check("recorded again with if:first;of:merged", r.map(drop));
    }
    let (Ok(p1), Ok(p2), Ok(counts)) = (
        read_json(&first),
        read_json(&merged),
        read_json(&counts_of(&merged)),
    ) else {
        steps.check("profiles written", Err("no recording to go on with".into()));
        return None;
    };
    let (a1, a2) = (allowed(&p1), allowed(&p2));
    steps.check("the merge keeps the first run's syscalls", {
        let lost: Vec<&String> = a1.difference(&a2).collect();
        if lost.is_empty() {
            Ok(())
        } else {
            Err(format!("lost {lost:?}"))
        }
    });
    steps.check(
        "the merged counts file counts 2 runs and names the syscalls one run missed",
        {
            let n = counts["recordings"].as_u64();
            let rare: BTreeSet<String> = counts["syscalls"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, c)| c["recordings"].as_u64() < n)
                .map(|(k, _)| k.clone())
                .collect();
            let listed: BTreeSet<String> = counts["not_in_every_recording"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if n != Some(2) {
                Err(format!("recordings: {:?}", counts["recordings"]))
            } else if rare != listed {
                Err(format!("seen in one run: {rare:?}, listed: {listed:?}"))
            } else {
                Ok(())
            }
        },
    );
    // The figures the issue quotes.
    let podman = read_json(Path::new(PODMAN_DEFAULT))
        .map(|p| allowed(&p).len())
        .unwrap_or(0);
    eprintln!(
        "workloads: {}: measured: {} syscalls allowed after one run, {} after two (podman's default allows {podman}: {:.0}% smaller); not in every run: {}",
        w.image,
        a1.len(),
        a2.len(),
        if podman > 0 { 100.0 * (1.0 - a2.len() as f64 / podman as f64) } else { 0.0 },
        counts["not_in_every_recording"]
    );

    let o = e.rpod(&[
        "seccomp",
        "lint",
        merged.to_str().expect("utf8"),
        "--fail-on",
        "high",
    ]);
    steps.check(
        "the recorded profile passes lint --fail-on high",
        if code(&o) == 0 {
            Ok(())
        } else {
            Err(format!("exit {}: {}{}", code(&o), stdout(&o), stderr(&o)))
        },
    );

    let seccomp = format!("seccomp={}", merged.display());
    let mut runtimes = vec!["runc"];
    if crun {
        runtimes.push("crun");
    }
    for runtime in runtimes {
        let _guard = RemoveAll(&e);
        let name = format!("enforced-{runtime}");
        let extra = [
            "--runtime".to_string(),
            runtime.to_string(),
            "--security-opt".to_string(),
            seccomp.clone(),
        ];
        let pid = match start(&e, w, &name, &extra, &w.command) {
            Ok(p) => p,
            Err(err) => {
                steps.check(
                    &format!("starts under {runtime} with the recorded profile"),
                    Err(err),
                );
                continue;
            }
        };
        steps.check(
            &format!("the workload runs under {runtime} with the recorded profile"),
            (w.drive)(pid).map_err(|err| format!("{err}; logs: {}", logs(&e, &name))),
        );
        steps.check(
            &format!("rpod exec works under {runtime} with the recorded profile"),
            exec(&e, w, &name),
        );
        let exit = stop(&e, &name);
        steps.check(
            &format!("stops under {runtime} with the recorded exit code 0"),
            match exit {
                Ok(0) => Ok(()),
                Ok(c) => Err(format!("exit {c}; logs: {}", logs(&e, &name))),
                Err(err) => Err(err),
            },
        );
        steps.check(
            &format!("nothing of the recorded workload is denied under {runtime}"),
            denied(&e, &name).and_then(|d| {
                if d.is_empty() {
                    Ok(())
                } else {
                    Err(format!("denied: {d:?}"))
                }
            }),
        );
    }
    Some((e, merged))
}

/// The runtimes the changed workloads run under: both report an errno denial (crun through
/// the kernel's audit records, runc through the monitor's seccomp notifications,
/// docs/denials.md). crun where installed (`crun_ready` was called on this thread by
/// [`recorded_lint_clean_and_enforced`]).
fn changed_runtimes() -> Vec<&'static str> {
    let mut r = vec!["runc"];
    if Path::new("/usr/bin/crun").is_file() {
        r.push("crun");
    }
    r
}

/// How a changed workload runs: under the recorded profile, with `runtime`.
fn changed_run_options(profile: &Path, runtime: &str) -> Vec<String> {
    vec![
        "--security-opt".to_string(),
        format!("seccomp={}", profile.display()),
        "--runtime".to_string(),
        runtime.to_string(),
    ]
}

/// The changed workload's denials: non-empty, each a syscall the profile does not allow, and
/// `expect` among them when given.
fn check_denials(
    steps: &mut Steps,
    e: &Env,
    ctr: &str,
    profile: &Path,
    expect: Option<&str>,
) -> BTreeSet<String> {
    // Allowed whatever the arguments (a syscall with argument rules may be denied some calls).
    let allow = read_json(profile)
        .map(|p| allowed_whole(&p))
        .unwrap_or_default();
    let d = denied(e, ctr);
    let names = d.as_ref().cloned().unwrap_or_default();
    eprintln!("workloads: {ctr}: denied: {names:?}");
    steps.check(
        &format!(
            "{ctr}: the changed workload's denials are reported by name{}",
            expect.map(|s| format!(" ({s})")).unwrap_or_default()
        ),
        d.and_then(|d| {
            let wrongly: Vec<&String> = d.iter().filter(|n| allow.contains(*n)).collect();
            if d.is_empty() {
                Err("no denial reported".into())
            } else if !wrongly.is_empty() {
                Err(format!(
                    "reported as denied but allowed by the profile: {wrongly:?}"
                ))
            } else if expect.is_some_and(|s| !d.contains(s)) {
                Err(format!("{expect:?} not among {d:?}"))
            } else {
                Ok(())
            }
        }),
    );
    names
}

fn volume(host: &Path, ctr: &str) -> String {
    format!("{}:{ctr}:ro", host.display())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

/// Connects to 127.0.0.1:`port` (in the calling thread's network namespace) once the server
/// listens.
fn connect(port: u16) -> TcpStream {
    let s = eventually(&format!("a server on 127.0.0.1:{port}"), || {
        TcpStream::connect(("127.0.0.1", port)).ok()
    });
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    s
}

// ---- nginx -------------------------------------------------------------------------------

/// The file nginx serves (1000 lines, 72 kB: larger than one read, so sendfile matters).
fn nginx_page() -> String {
    (0..1000)
        .map(|i| format!("line {i:05} {}\n", "nginx".repeat(12)))
        .collect()
}

fn http_get(port: u16) -> Result<(String, String), String> {
    let mut s = connect(port);
    s.write_all(b"GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| format!("send: {e}"))?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)
        .map_err(|e| format!("read: {e}"))?;
    let (head, body) = resp
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP response: {resp:?}"))?;
    Ok((head.to_string(), body.to_string()))
}

fn drive_nginx(pid: u32) -> Result<(), String> {
    in_netns(pid, || {
        let page = nginx_page();
        for _ in 0..20 {
            let (head, body) = http_get(8080)?;
            if !head.starts_with("HTTP/1.1 200") || body != page {
                return Err(format!(
                    "GET /index.html: {head:?}, {} of {} bytes",
                    body.len(),
                    page.len()
                ));
            }
        }
        Ok(())
    })
}

fn nginx_workload(srv: &Path) -> Workload {
    Workload {
        image: "nginx",
        options: vec![
            "-v".into(),
            volume(&files(), "/w"),
            "-v".into(),
            volume(srv, "/srv"),
        ],
        command: strings(&["nginx", "-c", "/w/nginx.conf"]),
        drive: drive_nginx,
    }
}

#[test]
fn nginx_recorded_is_lint_clean_runs_under_runc_and_crun_and_sendfile_on_is_denied_by_name() {
    let mut steps = Steps {
        workload: "nginx",
        failed: Vec::new(),
    };
    let srv = tempfile::tempdir().expect("tempdir");
    std::fs::write(srv.path().join("index.html"), nginx_page()).expect("page");
    let w = nginx_workload(srv.path());
    let Some((e, profile)) = recorded_lint_clean_and_enforced(&w, &mut steps) else {
        return steps.finish();
    };
    let _guard = RemoveAll(&e);
    let changed = strings(&["nginx", "-c", "/w/nginx-sendfile.conf"]);
    for runtime in changed_runtimes() {
        let ctr = format!("sendfile-{runtime}");
        let seccomp = changed_run_options(&profile, runtime);
        match start(&e, &w, &ctr, &seccomp, &changed) {
            Ok(pid) => {
                // What the client sees is measured, not asserted: the point is that it is
                // denied and said so.
                let got = in_netns(pid, || http_get(8080).map(|(_, b)| b.len()));
                eprintln!("workloads: nginx with sendfile on under the recorded profile ({runtime}) served {got:?} of {} bytes", nginx_page().len());
                let _ = stop(&e, &ctr);
                check_denials(&mut steps, &e, &ctr, &profile, Some("sendfile"));
            }
            Err(err) => steps.check(&format!("{ctr}: nginx with sendfile on starts"), Err(err)),
        }
    }
    steps.finish();
}

// ---- redis -------------------------------------------------------------------------------

/// One RESP command; the reply's first line.
fn redis(s: &mut BufReader<TcpStream>, args: &[&str]) -> Result<String, String> {
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.get_mut()
        .write_all(req.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut line = String::new();
    s.read_line(&mut line).map_err(|e| format!("read: {e}"))?;
    if line.starts_with('$') && !line.starts_with("$-1") {
        let mut value = String::new();
        s.read_line(&mut value).map_err(|e| format!("read: {e}"))?;
        return Ok(value.trim_end().to_string());
    }
    Ok(line.trim_end().to_string())
}

fn drive_redis(pid: u32) -> Result<(), String> {
    in_netns(pid, || {
        let mut s = BufReader::new(connect(6379));
        // Loading the dataset answers -LOADING: wait for PONG.
        eventually("redis to answer PING", || {
            (redis(&mut s, &["PING"]).ok()? == "+PONG").then_some(())
        });
        for i in 0..100 {
            let (k, v) = (format!("key{i}"), format!("value{i}"));
            let set = redis(&mut s, &["SET", &k, &v])?;
            let get = redis(&mut s, &["GET", &k])?;
            if set != "+OK" || get != v {
                return Err(format!("SET {k} {v}: {set:?}, GET: {get:?}"));
            }
        }
        let incr = (0..50).map(|_| redis(&mut s, &["INCR", "counter"])).last();
        match incr {
            Some(Ok(r)) if r == ":50" => Ok(()),
            r => Err(format!("INCR x50: {r:?}")),
        }
    })
}

fn redis_workload() -> Workload {
    Workload {
        image: "redis",
        options: vec![],
        command: strings(&[
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/tmp",
            "--daemonize",
            "no",
        ]),
        drive: drive_redis,
    }
}

#[test]
fn redis_recorded_is_lint_clean_runs_under_runc_and_crun_and_appendfsync_is_denied_by_name() {
    let mut steps = Steps {
        workload: "redis",
        failed: Vec::new(),
    };
    let w = redis_workload();
    let Some((e, profile)) = recorded_lint_clean_and_enforced(&w, &mut steps) else {
        return steps.finish();
    };
    let _guard = RemoveAll(&e);
    let changed = strings(&[
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        "6379",
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        "/tmp",
        "--daemonize",
        "no",
    ]);
    for runtime in changed_runtimes() {
        let ctr = format!("aof-{runtime}");
        let seccomp = changed_run_options(&profile, runtime);
        match start(&e, &w, &ctr, &seccomp, &changed) {
            Ok(pid) => {
                // Redis may refuse to start (no appendonlydir) or refuse writes: measured,
                // once it answers or has exited.
                let got = eventually("redis with appendonly to answer or exit", || {
                    if inspect(&e, &ctr, "{{.State.Status}}") != "running" {
                        return Some(Err("exited".to_string()));
                    }
                    in_netns(pid, || {
                        let c =
                            TcpStream::connect(("127.0.0.1", 6379)).map_err(|e| e.to_string())?;
                        redis(&mut BufReader::new(c), &["SET", "k", "v"])
                    })
                    .ok()
                    .map(Ok)
                });
                eprintln!("workloads: redis with appendfsync always under the recorded profile ({runtime}): SET -> {got:?}; logs: {}", logs(&e, &ctr));
                let _ = stop(&e, &ctr);
                check_denials(&mut steps, &e, &ctr, &profile, None);
            }
            // It may also exit before its pid is read: what was denied is still to be
            // reported.
            Err(_) if inspect(&e, &ctr, "{{.State.Status}}") == "exited" => {
                eprintln!("workloads: redis with appendfsync always under the recorded profile ({runtime}) exited at once; logs: {}", logs(&e, &ctr));
                check_denials(&mut steps, &e, &ctr, &profile, None);
            }
            Err(err) => steps.check(&format!("{ctr}: redis with appendonly starts"), Err(err)),
        }
    }
    steps.finish();
}

// ---- python3 -----------------------------------------------------------------------------

fn drive_python(pid: u32) -> Result<(), String> {
    in_netns(pid, || {
        let mut s = BufReader::new(connect(8000));
        for i in 0..200 {
            let line = format!("hello {i}");
            s.get_mut()
                .write_all(format!("{line}\n").as_bytes())
                .map_err(|e| format!("send: {e}"))?;
            let mut back = String::new();
            s.read_line(&mut back).map_err(|e| format!("read: {e}"))?;
            let want = format!("{} {}\n", line.len(), line.to_uppercase());
            if back != want {
                return Err(format!("sent {line:?}, got {back:?}"));
            }
        }
        Ok(())
    })
}

#[test]
fn python3_recorded_is_lint_clean_runs_under_runc_and_crun_and_a_forked_pool_is_denied_by_name() {
    let mut steps = Steps {
        workload: "python3",
        failed: Vec::new(),
    };
    let w = Workload {
        image: "python3",
        options: vec!["-v".into(), volume(&files(), "/w")],
        command: strings(&["python3", "/w/server.py", "serve"]),
        drive: drive_python,
    };
    let Some((e, profile)) = recorded_lint_clean_and_enforced(&w, &mut steps) else {
        return steps.finish();
    };
    let _guard = RemoveAll(&e);
    // The changed workload in the foreground: `rpod run` itself says what was denied.
    for runtime in changed_runtimes() {
        let ctr = format!("pool-{runtime}");
        let mut args = strings(&["run", "--name", &ctr]);
        args.extend(changed_run_options(&profile, runtime));
        args.extend(strings(&[
            "-v",
            &volume(&files(), "/w"),
            "python3",
            "python3",
        ]));
        args.extend(strings(&["/w/server.py", "pool"]));
        let o = e.rpod(&args.iter().map(String::as_str).collect::<Vec<_>>());
        eprintln!(
            "workloads: python3 pool under the recorded profile ({runtime}): exit {}, stdout {:?}, stderr {:?}",
            code(&o),
            stdout(&o),
            stderr(&o)
        );
        steps.check(
            &format!(
                "{ctr}: the forked pool fails under the recording of a server that never forked"
            ),
            if code(&o) != 0 {
                Ok(())
            } else {
                Err(format!("exit 0: {}", stdout(&o)))
            },
        );
        let names = check_denials(&mut steps, &e, &ctr, &profile, None);
        steps.check(
            &format!("{ctr}: rpod run's summary line names what was denied"),
            {
                let err = stderr(&o);
                let missing: Vec<&String> =
                    names.iter().filter(|n| !err.contains(n.as_str())).collect();
                if names.is_empty() {
                    Err("nothing reported to look for".into())
                } else if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("stderr does not name {missing:?}: {err:?}"))
                }
            },
        );
    }
    steps.finish();
}

// ---- postgres ----------------------------------------------------------------------------

/// `psql` on the host, in the container's network namespace, over TCP to 127.0.0.1.
fn psql(pid: u32, sql: &str) -> Result<String, String> {
    let o = Command::new("nsenter")
        .arg(format!("--net=/proc/{pid}/ns/net"))
        .args([
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-X",
            "-A",
            "-t",
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .map_err(|e| format!("nsenter psql: {e}"))?;
    if o.status.success() {
        Ok(stdout(&o).trim().to_string())
    } else {
        Err(format!("psql -c {sql:?}: {}", stderr(&o)))
    }
}

fn drive_postgres(pid: u32) -> Result<(), String> {
    eventually("postgres to accept connections", || {
        psql(pid, "select 1").ok()
    });
    psql(
        pid,
        "create table if not exists t (i int primary key, s text)",
    )?;
    psql(pid, "truncate t")?;
    psql(
        pid,
        "insert into t select g, md5(g::text) from generate_series(1, 10000) g",
    )?;
    let got = psql(pid, "select count(*), sum(i) from t where s like '%a%'")?;
    let all = psql(pid, "select count(*), sum(i) from t")?;
    psql(pid, "checkpoint")?;
    if all != "10000|50005000" || got.is_empty() {
        return Err(format!("select: {all:?} {got:?}"));
    }
    Ok(())
}

#[test]
fn postgres_recorded_as_a_non_root_user_is_lint_clean_and_runs_under_runc_and_crun() {
    let mut steps = Steps {
        workload: "postgres",
        failed: Vec::new(),
    };
    if !rpod_tests::require(
        "psql (postgresql-client)",
        Command::new("psql")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
    ) {
        return;
    }
    let w = Workload {
        image: "postgres",
        options: strings(&["--user", "postgres"]),
        command: strings(&[
            "/usr/lib/postgresql/15/bin/postgres",
            "-D",
            "/var/lib/postgresql/data",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=/tmp",
        ]),
        drive: drive_postgres,
    };
    let _ = recorded_lint_clean_and_enforced(&w, &mut steps);
    steps.finish();
}
