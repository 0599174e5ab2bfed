//! `rpod run`, `rpod create`, `rpod start`, and the hidden `rpod container monitor`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use crate::cli::container::{CreateArgs, MonitorArgs, RunArgs, StartArgs};
use crate::commands::{hinted, io, usage};
use rpod::bundle::{ContainerConfig, NamespaceMode, NetworkMode, Seccomp};
use rpod::container::{self, Attach, Container, CreateRequest, SeccompSource};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};
use rpod::trace::{self, Session, Window};

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
    let profile = rpod::seccomp::container_profile(path, bytes, &mut std::io::stderr())?;
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
fn resolve_container_ns(
    store: &Store,
    runtimes: &dyn Runtimes,
    value: &Option<String>,
) -> anyhow::Result<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    let Some(name) = v.strip_prefix("container:") else {
        return Ok(Some(v.clone()));
    };
    if name.parse::<i32>().is_ok() || name.starts_with('/') {
        return Ok(Some(v.clone()));
    }
    let c = Container::lookup(store, runtimes, name)?;
    let c = c.record();
    match c.pid {
        Some(pid) if c.state == ContainerState::Running && pid > 0 => {
            Ok(Some(format!("container:{pid}")))
        }
        _ => Err(usage(
            format!("container {name} is not running"),
            "a namespace can only be joined while its container runs",
        )),
    }
}

/// The annotations as `KEY=VALUE` pairs, and the recording they ask for (parsed, not yet
/// checked): read once, at the start of `run` and `create`.
struct Annotations {
    pairs: anyhow::Result<BTreeMap<String, String>>,
    trace: Option<Result<trace::Request, trace::TraceError>>,
}

impl Annotations {
    fn parse(list: &[String]) -> Annotations {
        let pairs = list
            .iter()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .ok_or_else(|| usage(format!("invalid --annotation {kv}"), "write KEY=VALUE"))
            })
            .collect::<anyhow::Result<BTreeMap<_, _>>>();
        let trace = match &pairs {
            // No recording asked for: nothing to read on the start path.
            Ok(map)
                if !map.contains_key(trace::ANNOTATION)
                    && !map.contains_key(trace::ARGS_ANNOTATION) =>
            {
                None
            }
            Ok(map) => match std::env::current_dir() {
                Ok(cwd) => trace::Request::from_annotations(map, &cwd).transpose(),
                Err(e) => Some(Err(trace::TraceError::Cwd(e))),
            },
            Err(_) => None,
        };
        Annotations { pairs, trace }
    }

    /// The recording to load the recorder for at once, if the request asks for one that
    /// parses (a bad one is reported by `request` and drops the recorder).
    fn wanted_recording(&self) -> Option<&trace::Request> {
        self.trace.as_ref().and_then(|t| t.as_ref().ok())
    }
}

fn request(
    store: &Store,
    runtimes: &dyn Runtimes,
    mut a: CreateArgs,
    annotations: Annotations,
) -> anyhow::Result<CreateRequest> {
    a.pid = resolve_container_ns(store, runtimes, &a.pid)?;
    a.ipc = resolve_container_ns(store, runtimes, &a.ipc)?;
    a.uts = resolve_container_ns(store, runtimes, &a.uts)?;
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
            return Err(usage(
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
    let Annotations { pairs, trace } = annotations;
    let annotations = pairs?;
    let trace = trace_request(trace, &a.security_opt)?;
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
    runtimes.get(&a.runtime)?;
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
    parsed: Option<Result<trace::Request, trace::TraceError>>,
    security_opt: &[String],
) -> anyhow::Result<Option<trace::Request>> {
    let Some(parsed) = parsed else {
        return Ok(None);
    };
    // An argument list without a recording is reported as such, before any combination.
    if let Err(e @ trace::TraceError::ArgsWithoutRecording) = parsed {
        return Err(e.into());
    }
    if let Some(o) = security_opt.iter().find(|o| o.starts_with("seccomp")) {
        return Err(usage(
            format!("--security-opt {o} cannot be combined with {}", trace::ANNOTATION),
            "a recording runs under an allow-all filter; to start from a profile, write if:PROFILE;of:OUT",
        ));
    }
    let req = parsed?;
    req.check()?;
    Ok(Some(req))
}

pub fn create(store: &Store, rt: &dyn Runtimes, a: CreateArgs) -> anyhow::Result<ExitStatus> {
    let annotations = Annotations::parse(&a.annotations);
    let req = request(store, rt, a, annotations)?;
    let c = Container::create(store, rt, req)?;
    println!("{}", c.id());
    Ok(ExitStatus::Success)
}

pub fn run(store: &Store, rt: &dyn Runtimes, a: RunArgs) -> anyhow::Result<ExitStatus> {
    let RunArgs { detach, create: a } = a;
    let interactive = a.interactive;
    // Load the recorder while the request is checked and the container prepared (aya's load
    // takes tens of ms); a kernel that refuses it fails the run before anything started, and
    // the container is removed. Detached, the monitor records; this one only proves it can.
    let annotations = Annotations::parse(&a.annotations);
    let loading = annotations
        .wanted_recording()
        .map(|t| Session::load(Window::Container, &t.args));
    let req = request(store, rt, a, annotations)?;
    let created = Container::create(store, rt, req);
    let attached = loading.map(trace::Loading::attach);
    let c = created?;
    let session = match attached {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            let _ = c.discard();
            return Err(e.into());
        }
    };
    if detach {
        drop(session);
        c.start_detached(monitor_command(store, c.id())?)?;
        println!("{}", c.id());
        return Ok(ExitStatus::Success);
    }
    Ok(c.run(foreground(interactive), session)?)
}

/// The foreground: the container's output on rpod's own stdout and stderr.
fn foreground(stdin: bool) -> Attach {
    Attach::Foreground {
        stdin,
        stdout: Box::new(std::io::stdout()),
        stderr: Box::new(std::io::stderr()),
    }
}

/// `rpod container monitor ID`, with this store: the detached monitor of container `id`.
pub(super) fn monitor_command(store: &Store, id: &str) -> anyhow::Result<std::process::Command> {
    let exe = std::env::current_exe().context("cannot find rpod's own executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--root")
        .arg(store.root())
        .arg("--runroot")
        .arg(store.runroot())
        .args(["container", "monitor", id]);
    Ok(cmd)
}

pub fn start(store: &Store, rt: &dyn Runtimes, a: &StartArgs) -> anyhow::Result<ExitStatus> {
    let mut last = ExitStatus::Success;
    for name in &a.containers {
        let c = Container::from_record(store, rt, store.lookup_container(name)?);
        let state = c.record().state;
        if state != ContainerState::Created {
            return Err(usage(
                format!("container {} is {}, not created", c.name(), state.as_str()),
                "only created containers can be started; `rpod run` makes a new one",
            ));
        }
        if a.attach {
            last = match c.run(foreground(false), None) {
                Ok(status) => status,
                // The runtime could not start the command (126/127): podman says why and goes
                // on with the next container; the last one's status is rpod's.
                Err(container::Error::CommandFailed { status, error }) => {
                    eprintln!("error: {error}");
                    status
                }
                Err(e) => return Err(e.into()),
            };
        } else {
            c.start_detached(monitor_command(store, c.id())?)?;
            println!("{}", c.name());
        }
    }
    Ok(last)
}

/// The hidden monitor: its own session, then run the container to completion.
pub fn monitor(store: &Store, rt: &dyn Runtimes, a: &MonitorArgs) -> anyhow::Result<ExitStatus> {
    let _ = nix::unistd::setsid();
    let c = Container::lookup(store, rt, &a.container)?;
    Ok(c.run(Attach::Detached, None)?)
}
