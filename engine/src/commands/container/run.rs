//! `rpod run`, `rpod create`, `rpod start`, and the hidden `rpod container monitor`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::bundle::{ContainerConfig, NamespaceMode, NetworkMode, Seccomp};
use crate::cli::container::{MonitorArgs, RunArgs, StartArgs};
use crate::commands::{hinted, io, recorder_error, trace_error};
use crate::container::{self, monitor, CreateRequest, SeccompSource};
use crate::exit;
use crate::storage::{ContainerState, Store};
use crate::trace;

fn usage(what: impl Into<String>, hint: &str) -> anyhow::Error {
    let what = what.into();
    hinted(anyhow::anyhow!("{what}"), what, hint)
}

/// The seccomp choice of `--security-opt seccomp=...`, with where it came from.
fn seccomp_of(value: &str) -> anyhow::Result<(Seccomp, SeccompSource)> {
    if value == "unconfined" {
        return Ok((
            Seccomp::Unconfined,
            SeccompSource {
                profile: "unconfined".into(),
                digest: None,
            },
        ));
    }
    let path = Path::new(value);
    let bytes = io::read_input(path)?;
    let digest = container::sha256_hex(&bytes);
    let profile = super::super::seccomp::profile_for_container(path, bytes)?;
    Ok((
        Seccomp::Profile(profile),
        SeccompSource {
            profile: std::fs::canonicalize(path)
                .unwrap_or_else(|_| path.to_path_buf())
                .display()
                .to_string(),
            digest: Some(digest),
        },
    ))
}

/// `container:NAME` becomes `container:PID` of that running container (podman's form); pids
/// and paths pass through.
fn resolve_container_ns(store: &Store, value: &Option<String>) -> anyhow::Result<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    let Some(name) = v.strip_prefix("container:") else {
        return Ok(Some(v.clone()));
    };
    if name.parse::<i32>().is_ok() || name.starts_with('/') {
        return Ok(Some(v.clone()));
    }
    let c = container::reconcile(store, store.lookup_container(name)?)?;
    match c.pid {
        Some(pid) if c.state == ContainerState::Running && pid > 0 => {
            Ok(Some(format!("container:{pid}")))
        }
        _ => bail!(usage(
            format!("container {name} is not running"),
            "a namespace can only be joined while its container runs",
        )),
    }
}

fn request(store: &Store, mut a: RunArgs) -> anyhow::Result<CreateRequest> {
    a.pid = resolve_container_ns(store, &a.pid)?;
    a.ipc = resolve_container_ns(store, &a.ipc)?;
    a.uts = resolve_container_ns(store, &a.uts)?;
    let mut c = ContainerConfig::new(a.command.clone());
    c.terminal = a.tty;
    for e in &a.env {
        if e.contains('=') {
            c.env.push(e.clone());
        } else if let Ok(v) = std::env::var(e) {
            c.env.push(format!("{e}={v}"));
        }
    }
    c.cwd.clone_from(&a.workdir);
    c.user.clone_from(&a.user);
    c.hostname.clone_from(&a.hostname);
    for v in &a.volumes {
        c.volumes.push(v.parse().map_err(|e| {
            hinted(
                e,
                format!("invalid -v {v}"),
                "write HOST:CONTAINER or HOST:CONTAINER:ro",
            )
        })?);
    }
    let ns = |kind: &'static str, v: &Option<String>| -> anyhow::Result<NamespaceMode> {
        match v {
            None => Ok(NamespaceMode::Private),
            Some(v) => NamespaceMode::parse(kind, v).map_err(|e| {
                hinted(
                    e,
                    format!("invalid --{kind} {v}"),
                    "use private, host or container:NAME",
                )
            }),
        }
    };
    c.pid = ns("pid", &a.pid)?;
    c.ipc = ns("ipc", &a.ipc)?;
    c.uts = ns("uts", &a.uts)?;
    if let Some(n) = &a.network {
        c.network = n
            .parse::<NetworkMode>()
            .map_err(|e| hinted(e, format!("invalid --network {n}"), "use none or host"))?;
    }
    c.cap_add.clone_from(&a.cap_add);
    c.cap_drop.clone_from(&a.cap_drop);
    c.privileged = a.privileged;
    c.read_only = a.read_only;
    let mut source = SeccompSource::default_profile();
    for o in &a.security_opt {
        if let Some(v) = o
            .strip_prefix("seccomp=")
            .or_else(|| o.strip_prefix("seccomp:"))
        {
            let (s, src) = seccomp_of(v)?;
            c.seccomp = s;
            source = src;
        } else if o == "no-new-privileges" || o == "no-new-privileges=true" {
            c.no_new_privileges = true;
        } else {
            bail!(usage(
                format!("unsupported --security-opt {o}"),
                "rpod supports seccomp=FILE, seccomp=unconfined and no-new-privileges",
            ));
        }
    }
    if a.privileged && c.seccomp == Seccomp::Default {
        source = SeccompSource {
            profile: "unconfined".into(),
            digest: None,
        };
    }
    let mut annotations = BTreeMap::new();
    for kv in &a.annotations {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| usage(format!("invalid --annotation {kv}"), "write KEY=VALUE"))?;
        annotations.insert(k.to_string(), v.to_string());
    }
    let trace = trace_request(&annotations, &a.security_opt)?;
    if trace.is_some() {
        // The window opens when the runtime installs the container's filter: record under one
        // that allows everything, so no syscall is hidden from the tracepoint.
        c.seccomp = Seccomp::Profile(profiles::model::Profile::new(
            profiles::model::ActionKind::Allow,
        ));
        source = SeccompSource {
            profile: "allow-all (recording syscalls)".into(),
            digest: None,
        };
    }
    c.annotations = annotations;
    for u in &a.ulimits {
        c.ulimits.push(u.parse().map_err(|e| {
            hinted(
                e,
                format!("invalid --ulimit {u}"),
                "write TYPE=SOFT[:HARD], e.g. nofile=1024:2048",
            )
        })?);
    }
    // Fail now, not inside the monitor, on an unknown runtime.
    crate::runtime::from_name(&a.runtime, Path::new("/run/rpod"))?;
    Ok(CreateRequest {
        image: a.image,
        name: a.name,
        command: a.command,
        entrypoint: a.entrypoint,
        config: c,
        runtime: a.runtime,
        rm: a.rm,
        seccomp: source,
        trace,
    })
}

/// The recording the annotations ask for, checked before anything runs: a profile that could
/// not be written is an error now, not after the workload ran.
fn trace_request(
    annotations: &BTreeMap<String, String>,
    security_opt: &[String],
) -> anyhow::Result<Option<trace::Request>> {
    let args = annotations.get(trace::ARGS_ANNOTATION).map(String::as_str);
    let Some(value) = annotations.get(trace::ANNOTATION) else {
        if args.is_some() {
            bail!(usage(
                format!("{} without {}", trace::ARGS_ANNOTATION, trace::ANNOTATION),
                &format!("add --annotation {}=of:/path/out.json", trace::ANNOTATION),
            ));
        }
        return Ok(None);
    };
    if let Some(o) = security_opt.iter().find(|o| o.starts_with("seccomp")) {
        bail!(usage(
            format!("--security-opt {o} cannot be combined with {}", trace::ANNOTATION),
            "a recording runs under an allow-all filter; to start from a profile, write if:PROFILE;of:OUT",
        ));
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let req = trace::Request::parse(value, args, &cwd).map_err(trace_error)?;
    req.check().map_err(trace_error)?;
    Ok(Some(req))
}

pub fn create(store: &Store, a: RunArgs) -> anyhow::Result<u8> {
    let req = request(store, a)?;
    let c = container::create(store, req)?;
    println!("{}", c.id);
    Ok(exit::OK)
}

pub fn run(store: &Store, a: RunArgs) -> anyhow::Result<u8> {
    let detach = a.detach;
    let interactive = a.interactive;
    // Load the recorder while the request is checked and the container prepared (aya's load
    // takes tens of ms); a kernel that refuses it fails the run before anything started, and
    // the container is removed. Detached, the monitor records; this one only proves it can.
    let loading = early_loader(&a.annotations);
    let req = request(store, a)?;
    let fallback = req.trace.as_ref().map(recorder_options);
    let created = container::create(store, req);
    let loaded = match (loading, fallback) {
        (Some(h), _) => Some(h.join().expect("the recorder's loader does not panic")),
        (None, Some(options)) => Some(tracer::Recorder::load(&options)),
        (None, None) => None,
    };
    let c = created?;
    let recorder = match loaded {
        None => None,
        Some(loaded) => match loaded.and_then(tracer::Loaded::attach) {
            Ok(r) => Some(r),
            Err(e) => {
                let _ = container::remove_files(store, &c, false);
                let _ = store.delete_container(&c.id);
                return Err(recorder_error(e));
            }
        },
    };
    if detach {
        drop(recorder);
        spawn_monitor(store, &c.id)?;
        println!("{}", c.id);
        return Ok(exit::OK);
    }
    let code = monitor::run_with(
        store,
        &c.id,
        monitor::Attach::Foreground { stdin: interactive },
        recorder,
    )?;
    Ok(exit_byte(code))
}

/// Starts loading the recorder at once when the annotations ask for a recording, before they
/// are checked (a bad request drops it).
fn early_loader(
    annotations: &[String],
) -> Option<std::thread::JoinHandle<Result<tracer::Loaded, tracer::Error>>> {
    let value = |key: &str| {
        annotations
            .iter()
            .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
    };
    value(trace::ANNOTATION)?;
    let args = match value(trace::ARGS_ANNOTATION) {
        Some(list) => profiles::record::parse_arg_specs(list).ok()?,
        None => BTreeMap::new(),
    };
    let options = tracer::Options {
        start: tracer::Start::SeccompFilter,
        args,
    };
    Some(std::thread::spawn(move || tracer::Recorder::load(&options)))
}

fn recorder_options(t: &trace::Request) -> tracer::Options {
    tracer::Options {
        start: tracer::Start::SeccompFilter,
        args: t.args.clone(),
    }
}

/// The container's code as rpod's own (podman's convention: 0-255 as is).
fn exit_byte(code: i32) -> u8 {
    u8::try_from(code.rem_euclid(256)).unwrap_or(exit::RPOD_ERROR)
}

/// Starts `rpod container monitor ID` in its own process group and waits until the container
/// is running (or already gone).
fn spawn_monitor(store: &Store, id: &str) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find rpod's own executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--root")
        .arg(store.root())
        .arg("--runroot")
        .arg(store.runroot())
        .args(["container", "monitor", id])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn()
        .context("cannot start the container's monitor")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(c) = store.container(id)? else {
            return Ok(());
        };
        match c.state {
            ContainerState::Running if c.pid.is_some_and(|p| p > 0) => return Ok(()),
            ContainerState::Exited | ContainerState::Stopped | ContainerState::Removing => {
                if c.exit_code.is_some_and(|e| e >= 125) {
                    bail!(hinted(
                        anyhow::anyhow!("exit code {}", c.exit_code.unwrap_or(-1)),
                        format!("container {} failed to start", c.name),
                        format!("see `rpod logs {}` and the runtime's log", c.name),
                    ));
                }
                return Ok(());
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    bail!("container {id} did not start within 30 s")
}

pub fn start(store: &Store, a: &StartArgs) -> anyhow::Result<u8> {
    let mut last = exit::OK;
    for name in &a.containers {
        let c = store.lookup_container(name)?;
        if c.state != ContainerState::Created {
            bail!(usage(
                format!("container {} is {}, not created", c.name, c.state.as_str()),
                "only created containers can be started; `rpod run` makes a new one",
            ));
        }
        if a.attach {
            let code = monitor::run(store, &c.id, monitor::Attach::Foreground { stdin: false })?;
            last = exit_byte(code);
        } else {
            spawn_monitor(store, &c.id)?;
            println!("{}", c.name);
        }
    }
    Ok(last)
}

/// The hidden monitor: its own session, then run the container to completion.
pub fn monitor(store: &Store, a: &MonitorArgs) -> anyhow::Result<u8> {
    let _ = nix::unistd::setsid();
    let code = monitor::run(store, &a.container, monitor::Attach::Detached)?;
    Ok(exit_byte(code))
}
