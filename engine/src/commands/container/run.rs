//! `rpod run`, `rpod create`, `rpod start`, and the hidden `rpod container monitor`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use super::create_flags as flags;
use crate::cli::container::{CreateArgs, MonitorArgs, RunArgs};
use crate::commands::{hinted, io, usage};
use rpod::bundle::{self, ContainerConfig, MountSpec, NamespaceMode, NetworkMode, Seccomp};
use rpod::container::settings::RestartPolicy;
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
    kind: &'static str,
    value: &Option<String>,
    depends_on: &mut Vec<rpod::container::depend::Dependency>,
) -> anyhow::Result<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    let Some(name) = v.strip_prefix("container:") else {
        return Ok(Some(v.clone()));
    };
    if name.parse::<i32>().is_ok() || name.starts_with('/') {
        return Ok(Some(v.clone()));
    }
    let c = match Container::lookup(store, runtimes, name) {
        Ok(c) => c,
        Err(e) if super::lifecycle::is_missing(&e) => {
            return Err(super::lifecycle::no_such_container(name))
        }
        Err(e) => return Err(e.into()),
    };
    let c = c.record();
    // Recorded: the namespace is joined when the container starts (podman's dependency), and
    // `rm` refuses the container joined while this one exists.
    depends_on.push(rpod::container::depend::Dependency {
        kind: kind.to_string(),
        id: c.id.clone(),
    });
    match c.pid {
        Some(pid) if c.state == ContainerState::Running && pid > 0 => {
            Ok(Some(format!("container:{pid}")))
        }
        // The IPC namespace also brings its /dev/shm, bound at create: it needs the process.
        _ if kind == "ipc" => Err(usage(
            format!("container {name} is not running"),
            "an IPC namespace can only be joined while its container runs",
        )),
        // Joined at start ([`rpod::container::depend`]); until then a path that names nothing,
        // so a start that skipped the join fails instead of joining another namespace.
        _ => Ok(Some(format!(
            "container:{}",
            rpod::container::depend::unresolved(&c.id).display()
        ))),
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
    let mut depends_on = Vec::new();
    a.pid = resolve_container_ns(store, runtimes, "pid", &a.pid, &mut depends_on)?;
    a.ipc = resolve_container_ns(store, runtimes, "ipc", &a.ipc, &mut depends_on)?;
    a.uts = resolve_container_ns(store, runtimes, "uts", &a.uts, &mut depends_on)?;
    a.network = resolve_container_ns(store, runtimes, "network", &a.network, &mut depends_on)?;
    let mut c = ContainerConfig::new(a.command.clone());
    c.terminal = a.tty;
    // podman: the env files first, then --env; a later entry replaces an earlier one.
    // Socket activation's variables first: the user's may replace them.
    let mut env_entries = flags::listen_env();
    for f in &a.env_file {
        env_entries.extend(flags::read_key_value_file(f, "--env-file")?);
    }
    env_entries.extend(a.env.iter().cloned());
    for e in &env_entries {
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
    for m in &a.mount {
        match bundle::mount::parse(m).map_err(|e| match e {
            // podman's own words, unwrapped.
            e @ bundle::BundleError::MountType { .. } => anyhow::Error::new(e),
            e => hinted(e, format!("invalid --mount {m}"), MOUNT_HINT),
        })? {
            MountSpec::Bind(v) => c.volumes.push(v),
            MountSpec::Tmpfs(t) => c.tmpfs.push(t),
        }
    }
    if let Some(tz) = &a.tz {
        c.volumes.push(flags::timezone(tz)?);
    }
    flags::resources(&a, &mut c)?;
    if a.init || a.init_path.is_some() {
        c.init = Some(match &a.init_path {
            Some(p) => p.clone(),
            None => flags::find_init()?,
        });
    }
    c.group_add.clone_from(&a.group_add);
    if flags::systemd_mode(a.systemd.as_deref(), &a.command) {
        flags::systemd_mounts(&mut c);
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
        } else if let Some(v) = o.strip_prefix("no-new-privileges") {
            c.no_new_privileges = match v {
                "" | ":true" | "=true" => true,
                ":false" | "=false" => false,
                _ => return Err(usage(
                    format!("invalid --security-opt {o}"),
                    "write no-new-privileges, no-new-privileges:true or no-new-privileges:false",
                )),
            };
        } else if o.starts_with("label=") || o.starts_with("label:") {
            // SELinux labels: this host has no SELinux, where podman too applies none
            // (label=disable, label=type:..., label=level:... are all accepted and do nothing).
        } else if let Some(v) = o.strip_prefix("mask=") {
            c.mask
                .extend(v.split(':').filter(|p| !p.is_empty()).map(String::from));
        } else if let Some(v) = o.strip_prefix("unmask=") {
            c.unmask
                .extend(v.split(':').filter(|p| !p.is_empty()).map(String::from));
        } else {
            return Err(usage(
                format!("unsupported --security-opt {o}"),
                "rpod supports seccomp=FILE, seccomp=unconfined, no-new-privileges[:true|false], \
                 label=..., mask=PATHS and unmask=PATHS",
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
    check_pull(&a)?;
    let (settings, log_path) = flags::settings(&a)?;
    if settings.restart != RestartPolicy::No && a.rm {
        // podman's words, with no hint line after them (scripts match podman's stderr).
        return Err(anyhow::anyhow!(
            "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\""
        ));
    }
    let entrypoint = a.entrypoint.as_deref().map(flags::entrypoint).transpose()?;
    Ok(CreateRequest {
        image: a.image,
        name: a.name,
        command: a.command,
        entrypoint,
        config: c,
        runtime: a.runtime,
        rm: a.rm,
        seccomp: source,
        trace,
        settings,
        log_path,
        depends_on,
    })
}

const MOUNT_HINT: &str =
    "write type=bind,source=HOST,destination=CTR[,ro], type=volume,source=NAME,destination=CTR or type=tmpfs,destination=CTR";

/// `--pull`: rpod has no registry client yet, so only images already in the store run. With
/// `never` and `missing` a missing image is podman's "NAME: image not known" (from create).
fn check_pull(a: &CreateArgs) -> anyhow::Result<()> {
    match a.pull.as_deref() {
        Some(p @ ("always" | "newer")) => Err(usage(
            format!("--pull={p} needs a registry, and rpod does not support registries yet"),
            "load the image with rpod load or rpod import, and use --pull=never or missing",
        )),
        _ => Ok(()),
    }
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
    let cidfile = flags::CidFile::open(a.cidfile.as_deref())?;
    let req = request(store, rt, a, annotations)?;
    let c = Container::create(store, rt, req)?;
    cidfile.write(c.id())?;
    println!("{}", c.id());
    Ok(ExitStatus::Success)
}

pub fn run(store: &Store, rt: &dyn Runtimes, a: RunArgs) -> anyhow::Result<ExitStatus> {
    let RunArgs {
        detach,
        attach,
        sig_proxy,
        rmi,
        create: mut a,
    } = a;
    // podman accepts -a with -d, and detaches: the streams are only in the log.
    // --rmi implies --rm (podman).
    a.rm |= rmi;
    let shown = |s: &str| attach.is_empty() || attach.iter().any(|x| x == s);
    let interactive = a.interactive || attach.iter().any(|x| x == "stdin");
    let streams = (shown("stdout"), shown("stderr"));
    let cidfile = flags::CidFile::open(a.cidfile.as_deref())?;
    // Load the recorder while the request is checked and the container prepared (aya's load
    // takes tens of ms); a kernel that refuses it fails the run before anything started, and
    // the container is removed. Detached, the monitor records; this one only proves it can.
    let annotations = Annotations::parse(&a.annotations);
    let loading = annotations
        .wanted_recording()
        .map(|t| Session::load(Window::Container, &t.args));
    let mut req = request(store, rt, a, annotations)?;
    req.settings.rmi = rmi;
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
    cidfile.write(c.id())?;
    if detach {
        drop(session);
        c.join_dependencies()?;
        c.start_detached(monitor_command(store, c.id())?)?;
        println!("{}", c.id());
        return Ok(ExitStatus::Success);
    }
    let id = c.id().to_string();
    c.join_dependencies()?;
    let attach = foreground_streams(interactive, streams);
    let status = if sig_proxy {
        let runtime = rt.get(&c.record().runtime)?;
        with_signal_proxy(runtime.as_ref(), &id, || c.run(attach, session))??
    } else {
        c.run(attach, session)?
    };
    // The restart policy: podman's foreground run returns the first status and the container
    // is restarted in the background.
    if let ExitStatus::Container(code) = status {
        if let Ok(mut again) = Container::lookup(store, rt, &id) {
            again.restart_detached(code, monitor_command(store, &id)?)?;
        }
    }
    Ok(status)
}

/// `--sig-proxy` (podman's default for a foreground run): a signal sent to rpod goes on to the
/// container's process through the runtime while `f` runs, instead of ending rpod. SIGINT and
/// SIGQUIT are left out: a terminal sends them to the whole foreground process group, the
/// runtime included, which passes them on itself (they would arrive twice).
fn with_signal_proxy<T>(
    runtime: &dyn rpod::runtime::OciRuntime,
    id: &str,
    f: impl FnOnce() -> T,
) -> anyhow::Result<T> {
    use signal_hook::consts::{SIGALRM, SIGHUP, SIGTERM, SIGUSR1, SIGUSR2};
    proxy_signals(
        &[SIGHUP, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM],
        runtime,
        id,
        f,
    )
}

/// Sends each of `which` that rpod receives while `f` runs to the container's process
/// through the runtime (`run --sig-proxy`, `attach --sig-proxy`).
pub(super) fn proxy_signals<T>(
    which: &[i32],
    runtime: &dyn rpod::runtime::OciRuntime,
    id: &str,
    f: impl FnOnce() -> T,
) -> anyhow::Result<T> {
    let mut signals = signal_hook::iterator::Signals::new(which)
        .context("cannot install the signal handlers of --sig-proxy")?;
    let handle = signals.handle();
    Ok(std::thread::scope(|s| {
        s.spawn(|| {
            for sig in signals.forever() {
                if let Ok(sig) = nix::sys::signal::Signal::try_from(sig) {
                    let _ = runtime.kill(id, sig, false);
                }
            }
        });
        let out = f();
        handle.close();
        out
    }))
}

/// The foreground, showing only the streams `-a` names (the others are still logged).
fn foreground_streams(stdin: bool, (out, err): (bool, bool)) -> Attach {
    let pick = |show: bool, w: Box<dyn std::io::Write + Send>| -> Box<dyn std::io::Write + Send> {
        if show {
            w
        } else {
            Box::new(std::io::sink())
        }
    };
    Attach::Foreground {
        stdin,
        // rpod's stdout as it was before --noout: a container's output is not rpod's own.
        stdout: pick(
            out,
            match crate::commands::report::container_stdout() {
                Ok(f) => Box::new(f),
                Err(_) => Box::new(std::io::stdout()),
            },
        ),
        stderr: pick(err, Box::new(std::io::stderr())),
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

/// The hidden monitor: its own session, then run the container to completion.
pub fn monitor(store: &Store, rt: &dyn Runtimes, a: &MonitorArgs) -> anyhow::Result<ExitStatus> {
    let _ = nix::unistd::setsid();
    let c = Container::lookup(store, rt, &a.container)?;
    // A start forgets the exec sessions of the last run (podman keeps them until then).
    c.exec_sessions().remove_all()?;
    if let Err(e) = c.join_dependencies() {
        // Exited 125: the `start` waiting for this monitor reports the failure.
        store.set_container_exited(c.id(), 125, std::time::SystemTime::now())?;
        return Err(e.into());
    }
    Ok(c.run(Attach::Detached, None)?)
}
