//! Containers: from an image and a [`ContainerConfig`] to a running process and back.
//!
//! rpod is daemonless. Each container has a *monitor* (rpod itself, as podman has conmon): the
//! process that runs the OCI runtime, copies the container's output to its log file, records
//! the exit code, and cleans up (unmounts the root filesystem, and removes the container for
//! `--rm`). For `rpod run` in the foreground the `rpod run` process is the monitor; `run -d`
//! starts `rpod container monitor ID` in its own session.
//!
//! Where things live (`ROOT` and `RUNROOT` from [`crate::storage`]):
//! - `ROOT/containers/ID/{upper,work,merged}`: the overlay root filesystem (layers read-only
//!   below, the container's writes in `upper`), and `ctr.log` (podman's k8s-file format);
//! - `RUNROOT/containers/ID/`: the OCI bundle (`config.json`), `monitor.pid`.
//!
//! A command killed at any point leaves a state the next command repairs: a container whose
//! monitor is gone is marked exited by [`reconcile`] once the runtime no longer runs it, and
//! `rpod rm` removes what is left.
//!
//! # The record and the runtime (issue 12)
//!
//! The record says what rpod last did; only the OCI runtime knows whether the container's
//! processes exist (`runtime state ID`). The rule: **nothing is decided about a container whose
//! monitor is gone, and nothing it may still use is unmounted or deleted, on the record's word
//! alone**. podman keeps the same rule by syncing every container with `runtime state` before
//! each operation (libpod's `syncContainer`); rpod asks only where the record can be wrong:
//! - A record `running`/`paused` whose monitor is alive is right (the monitor records the
//!   exit). Once the monitor is gone (killed, crashed, a reboot), [`reconcile`] asks the
//!   runtime: a process there (`created`, `running`, `paused`) keeps the container running,
//!   with the runtime's pid; so does a runtime still at work on it (`runc run` outlived a
//!   killed monitor and is creating it). `stopped`, or unknown to the runtime, makes it exited
//!   (-1). The recorded pid alone proves nothing: after a reboot it may name another process.
//! - Before `container cleanup`, `rm` and `umount` unmount or delete anything, and before
//!   `stop`, `kill` and `exec` give up on a container, the runtime is asked even when the record
//!   says the container is not running ([`Container::check_runtime`]): a container the runtime
//!   runs is recorded running again, and the command refuses (`rm -f` stops it first) or acts. This is what `cleanup` of a running container once got wrong: it unmounted
//!   the root and deleted the record and directories while runc ran on.
//! - A runtime that cannot be asked (uninstalled, failing) leaves the record as it is; the
//!   command that needs the runtime reports why.
//! - What needs the root filesystem mounts it if it is not (`start`, `mount`), as podman does:
//!   `cleanup`, `umount` and [`reconcile`] unmount it once nothing runs.
//!
//! [`Container`] owns one container: its record, its paths, and the OCI runtime it names
//! (looked up through [`Runtimes`], so a fake runtime drives the same logic in unit tests).
//! Its methods are the lifecycle: [`Container::create`], [`Container::run`] (the monitor's
//! job), [`Container::start_detached`], [`Container::stop`], [`Container::kill`],
//! [`Container::exec`], [`Container::wait`], [`Container::remove`]. States move
//! configured -> created -> running -> exited (or removing -> gone), and only forward, except
//! where the runtime says a container the record calls exited still runs (see below).
//! Errors are [`Error`], each with its hint; nothing here prints: output goes to the writers a
//! caller passes in and to the container's log ([`log`]).

pub mod changes;
pub mod commit;
mod control;
pub mod copy;
pub mod depend;
mod error;
pub mod exec_session;
pub mod log;
pub mod log_filter;
mod monitor;
pub mod settings;
mod tty;

use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};

use crate::bundle::{self, ContainerConfig};
use crate::exit::ExitStatus;
use crate::image;
use crate::runtime::{ExecOptions, OciRuntime, ProcessIo, Runtimes};
use crate::storage::Store;
use crate::storage::{ContainerRecord, ContainerState};

pub use error::{Error, ExitCode, InState, IsRunning, NoCmd, Wanted};
pub use log::{LogCursor, LogReader, LogWriter, Stream};
pub use monitor::Attach;

/// What rpod keeps about a container besides the OCI spec (stored as the record's JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// The image as the user named it.
    pub image: String,
    /// The process's command line.
    pub command: Vec<String>,
    /// Remove the container when it exits (`--rm`).
    pub rm: bool,
    /// The seccomp profile the container runs under.
    pub seccomp: SeccompSource,
    pub log_path: PathBuf,
    pub rootfs: PathBuf,
    pub hostname: Option<String>,
    /// `-t`: the process has a terminal.
    #[serde(default)]
    pub tty: bool,
    /// The syscall recording the monitor makes (`io.containers.trace-syscall`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<crate::trace::Request>,
    /// Restart policy, stop signal and timeout, labels, logging (`run`/`create` flags).
    #[serde(default)]
    pub settings: settings::Settings,
    /// The volumes it mounts by name (`-v NAME:/path`, anonymous ones too): `volume rm`
    /// refuses them while the container exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    /// The containers whose namespaces it joins (`--network/--pid/--uts/--ipc container:NAME`),
    /// joined at each start ([`depend`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<depend::Dependency>,
}

/// Which seccomp profile a container runs under, for `inspect`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SeccompSource {
    /// `default` (rpod's, podman's profile), `unconfined`, or the file given.
    pub profile: String,
    /// sha256 of the profile's text as given (of rpod's embedded default for `default`).
    pub digest: Option<String>,
}

impl SeccompSource {
    #[must_use]
    pub fn default_profile() -> SeccompSource {
        SeccompSource {
            profile: "default".into(),
            digest: Some(sha256_hex(
                profiles::default_profile::DEFAULT_JSON.as_bytes(),
            )),
        }
    }
}

/// `sha256:HEX` of `bytes`, as storage names blobs.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::storage::Digest::of_bytes(bytes).to_string()
}

/// Paths of one container.
#[derive(Debug, Clone)]
pub struct Paths {
    pub dir: PathBuf,
    pub upper: PathBuf,
    pub work: PathBuf,
    pub merged: PathBuf,
    pub log: PathBuf,
    pub bundle: PathBuf,
    pub monitor_pid: PathBuf,
}

/// Container `id`'s directory under the store's root (its layers, log, denials): [`Paths::dir`].
#[must_use]
pub fn dir(store: &Store, id: &str) -> PathBuf {
    store.root().join("containers").join(id)
}

/// Where container `id`'s files are.
fn paths(store: &Store, id: &str) -> Paths {
    let dir = dir(store, id);
    let bundle = store.runroot().join("containers").join(id);
    Paths {
        upper: dir.join("upper"),
        work: dir.join("work"),
        merged: dir.join("merged"),
        log: dir.join("ctr.log"),
        monitor_pid: bundle.join("monitor.pid"),
        dir,
        bundle,
    }
}

/// A new container id: 64 hex digits from the kernel's random source.
fn new_id() -> Result<String, Error> {
    let mut b = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .map_err(Error::Random)?;
    Ok(hex::encode(b))
}

/// podman-like generated names: adjective_noun.
fn new_name(store: &Store, id: &str) -> Result<String, Error> {
    const A: &[&str] = &[
        "brave", "calm", "eager", "fond", "keen", "lucid", "merry", "quiet", "sharp", "tender",
    ];
    const N: &[&str] = &[
        "lovelace", "hopper", "turing", "ritchie", "thompson", "torvalds", "knuth", "liskov",
        "hamilton", "dijkstra",
    ];
    let bytes = hex::decode(&id[..8]).unwrap_or_default();
    for i in 0..bytes.len() {
        let name = format!(
            "{}_{}",
            A[usize::from(bytes[i]) % A.len()],
            N[usize::from(bytes[(i + 1) % bytes.len()]) % N.len()]
        );
        if store.container_by_name(&name)?.is_none() {
            return Ok(name);
        }
    }
    Ok(format!("rpod_{}", &id[..12]))
}

/// What `rpod run`/`create` asks for.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub image: String,
    pub name: Option<String>,
    /// The command after the image (empty: the image's Cmd).
    pub command: Vec<String>,
    /// `--entrypoint`: replaces the image's (empty clears it).
    pub entrypoint: Option<Vec<String>>,
    pub config: ContainerConfig,
    pub runtime: String,
    pub rm: bool,
    pub seccomp: SeccompSource,
    /// Record the container's syscalls into a profile.
    pub trace: Option<crate::trace::Request>,
    /// Restart policy, stop signal and timeout, labels, logging.
    pub settings: settings::Settings,
    /// `--log-opt path=`: the log file instead of `ctr.log` in the container's directory.
    pub log_path: Option<PathBuf>,
    /// The containers whose namespaces it joins, by id.
    pub depends_on: Vec<depend::Dependency>,
}

/// The command line from the image's Entrypoint/Cmd and the user's, as podman combines them.
fn command_line(img: &image::Image, req: &CreateRequest) -> Vec<String> {
    let cfg = img.config.config().clone().unwrap_or_default();
    let entrypoint: Vec<String> = match &req.entrypoint {
        Some(e) => e.clone(),
        None => cfg.entrypoint().clone().unwrap_or_default(),
    };
    let cmd = if req.command.is_empty() {
        if req.entrypoint.is_some() {
            Vec::new()
        } else {
            cfg.cmd().clone().unwrap_or_default()
        }
    } else {
        req.command.clone()
    };
    entrypoint.into_iter().chain(cmd).collect()
}

/// Another process to run in a running container (`rpod exec`): it inherits the container's
/// process settings from its config.json, with these changes.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    pub command: Vec<String>,
    /// `KEY=VALUE` added to the container's environment.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    /// `UID[:GID]`, numeric.
    pub user: Option<String>,
    /// Return once the process started (`exec -d`): its output goes nowhere.
    pub detach: bool,
}

/// Where an exec's terminal goes (`exec -t`, [`Container::exec_tty`]).
pub struct TtyIo {
    /// Pass rpod's stdin to the terminal (`-i`).
    pub stdin: bool,
    pub out: Box<dyn Write + Send>,
}

/// How [`Container::stop_reporting`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It was not running.
    NotRunning,
    /// It exited within the timeout after SIGTERM.
    Exited,
    /// It outlived the timeout and was killed with SIGKILL.
    Killed,
}

/// One container, with the runtime it names.
pub struct Container<'a> {
    store: &'a Store,
    runtimes: &'a dyn Runtimes,
    record: ContainerRecord,
    paths: Paths,
}

impl std::fmt::Debug for Container<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("record", &self.record)
            .field("runtimes", &self.runtimes)
            .finish_non_exhaustive()
    }
}

impl<'a> Container<'a> {
    /// The container called `reference` (a name, an id or an id's prefix), with its state
    /// repaired if its monitor died ([`reconcile`]).
    ///
    /// # Errors
    /// No such container; storage errors.
    pub fn lookup(
        store: &'a Store,
        runtimes: &'a dyn Runtimes,
        reference: &str,
    ) -> Result<Container<'a>, Error> {
        let record = reconcile(store, runtimes, store.lookup_container(reference)?)?;
        Ok(Container::from_record(store, runtimes, record))
    }

    /// Every container, each with its state repaired if its monitor died.
    ///
    /// # Errors
    /// Storage errors.
    pub fn all(store: &'a Store, runtimes: &'a dyn Runtimes) -> Result<Vec<Container<'a>>, Error> {
        store
            .containers()?
            .into_iter()
            .map(|r| Container::reconciled(store, runtimes, r))
            .collect()
    }

    /// The container of a record already read, with its state repaired if its monitor died.
    ///
    /// # Errors
    /// Storage errors.
    pub fn reconciled(
        store: &'a Store,
        runtimes: &'a dyn Runtimes,
        record: ContainerRecord,
    ) -> Result<Container<'a>, Error> {
        let record = reconcile(store, runtimes, record)?;
        Ok(Container::from_record(store, runtimes, record))
    }

    /// The container of a record already read.
    #[must_use]
    pub fn from_record(
        store: &'a Store,
        runtimes: &'a dyn Runtimes,
        record: ContainerRecord,
    ) -> Container<'a> {
        let paths = paths(store, &record.id);
        Container {
            store,
            runtimes,
            record,
            paths,
        }
    }

    /// Records a container and mounts its root filesystem; writes its bundle. The container
    /// is `created`.
    ///
    /// # Errors
    /// Unknown image, name in use, no command, mount or bundle failures; nothing is left behind.
    pub fn create(
        store: &'a Store,
        runtimes: &'a dyn Runtimes,
        req: CreateRequest,
    ) -> Result<Container<'a>, Error> {
        let img = image::lookup(store, &req.image)?;
        let args = command_line(&img, &req);
        if args.is_empty() {
            return Err(Error::NoCommand {
                image: req.image,
                source: NoCmd,
            });
        }
        if let Some(path) = &req.log_path {
            log::check_path(path)?;
        }
        let id = new_id()?;
        let name = match &req.name {
            Some(n) => n.clone(),
            None => new_name(store, &id)?,
        };
        let p = paths(store, &id);
        let mut config = req.config.clone();
        config.args = args.clone();

        // The image's environment and working directory come first; the user's override them.
        let icfg = img.config.config().clone().unwrap_or_default();
        let mut env: Vec<String> = icfg.env().clone().unwrap_or_default();
        for e in &req.config.env {
            let key = e.split('=').next().unwrap_or_default();
            env.retain(|x| x.split('=').next() != Some(key));
            env.push(e.clone());
        }
        // podman sets `container=podman` unless the image or the user set it
        // (pkg/specgen/generate): systemd-detect-virt and scripts know that value, and an rpod
        // container is to behave as podman's; /run/.containerenv names rpod as the engine.
        if !env.iter().any(|e| e.split('=').next() == Some("container")) {
            env.push("container=podman".into());
        }
        config.env = env;
        // The user's --workdir must exist (podman: 126); the image's is created.
        let user_workdir = config.cwd.clone();
        if config.cwd.is_none() {
            config.cwd = icfg.working_dir().clone().filter(|w| !w.is_empty());
        }
        if config.user.is_none() {
            config.user = icfg.user().clone().filter(|u| !u.is_empty());
        }
        let volumes = control::resolve_volumes(store, &mut config.volumes)?;
        // From here on a failure removes the anonymous volumes just made for this container
        // (issue 13: a name already in use left one behind for every try).
        let made_volumes = volumes.clone();
        let forget_volumes = |e: Error| {
            let _ = crate::volume::remove_anonymous(store, &made_volumes);
            e
        };
        let meta = Meta {
            image: req.image.clone(),
            command: args,
            rm: req.rm,
            seccomp: req.seccomp.clone(),
            log_path: req.log_path.clone().unwrap_or_else(|| p.log.clone()),
            rootfs: p.merged.clone(),
            hostname: config.hostname.clone(),
            tty: config.terminal,
            trace: req.trace.clone(),
            settings: settings::Settings {
                // The image's STOPSIGNAL unless --stop-signal (podman).
                stop_signal: req
                    .settings
                    .stop_signal
                    .clone()
                    .or_else(|| icfg.stop_signal().clone()),
                ..req.settings.clone()
            },
            volumes,
            depends_on: req.depends_on.clone(),
        };
        let mut record = ContainerRecord {
            id: id.clone(),
            name,
            image_id: Some(img.id.clone()),
            created: SystemTime::now(),
            state: ContainerState::Configured,
            spec_json: serde_json::to_string(&meta)
                .map_err(|source| Error::Metadata {
                    name: req.name.clone().unwrap_or_else(|| id.clone()),
                    source,
                })
                .map_err(forget_volumes)?,
            pid: None,
            exit_code: None,
            started_at: None,
            finished_at: None,
            runtime: req.runtime.clone(),
            bundle: p.bundle.clone(),
        };
        // The row first: the name is reserved and a failure below is cleaned by `remove`.
        // Another rpod may take a generated name between the check and the insert: then the
        // id-based name, which nobody else can have.
        match store.insert_container(&record) {
            Err(crate::storage::StorageError::ContainerNameInUse { .. }) if req.name.is_none() => {
                record.name = format!("rpod_{}", &id[..12]);
                store
                    .insert_container(&record)
                    .map_err(|e| forget_volumes(e.into()))?;
            }
            other => other.map_err(|e| forget_volumes(e.into()))?,
        }
        let made = (|| -> Result<(), Error> {
            for d in [&p.upper, &p.work, &p.merged, &p.bundle] {
                fs::create_dir_all(d).map_err(Error::io("create", d))?;
            }
            init_upper(store, &img.id, &p)?;
            mount_rootfs(store, &img.id, &p)?;
            if let Some(w) = &user_workdir {
                check_workdir(&p.merged, w, &id)?;
            }
            let env_file = p.bundle.join("containerenv");
            fs::write(
                &env_file,
                containerenv(&record, &req, &img.id, config.privileged),
            )
            .map_err(Error::io("write", &env_file))?;
            let mut ro = bundle::Volume::bind(&env_file, "/run/.containerenv");
            ro.read_only = true;
            config.volumes.insert(0, ro);
            let mut spec = config.to_oci(&p.merged)?;
            // A filter that kills the runtime's own calls after it is installed fails with
            // "container process is already dead" (runc): say which calls, before starting.
            let runtime = runtimes.get(&req.runtime)?.name();
            // The handoff is checked on the profile as given when runc's denials are routed
            // to the monitor (below): the rewrite allows exactly what the original allows, but
            // its argument rules, written as disjoint regions, can be too many to analyse.
            let given = spec.clone();
            // Denials you can see: the log flag where the runtime takes it; complain mode.
            crate::denials::prepare(
                &mut spec,
                runtime,
                &p.dir,
                &p.bundle,
                &store.runroot().join("seccomp-notify"),
            )?;
            crate::runtime::handoff::check_remembered(
                &store.runroot().join("handoff-checked"),
                runtime,
                &req.seccomp.profile,
                if p.dir.join(crate::denials::notify::ORIGINAL).exists() {
                    &given
                } else {
                    &spec
                },
            )?;
            bundle::write_bundle(&p.bundle, &spec)?;
            store.set_container_state(&id, ContainerState::Created)?;
            Ok(())
        })();
        let c = Container::from_record(store, runtimes, record);
        if let Err(e) = made {
            let _ = c.remove_files(true);
            let _ = store.delete_container(&id);
            let _ = c.remove_anonymous_volumes();
            return Err(e);
        }
        let record = store.container(&id)?.unwrap_or(c.record);
        control::event(store, &record, "create", None);
        Ok(Container::from_record(store, runtimes, record))
    }

    /// The record as last read.
    #[must_use]
    pub fn record(&self) -> &ContainerRecord {
        &self.record
    }

    #[must_use]
    pub fn id(&self) -> &str {
        &self.record.id
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.record.name
    }

    #[must_use]
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// What rpod keeps about the container besides its spec.
    ///
    /// # Errors
    /// A record written by another rpod version.
    pub fn meta(&self) -> Result<Meta, Error> {
        meta(&self.record)
    }

    /// Whether the container's process runs (or is paused).
    #[must_use]
    pub fn is_running(&self) -> bool {
        matches!(
            self.record.state,
            ContainerState::Running | ContainerState::Paused
        )
    }

    /// Reads the record again (reconciled); `false` when the container is gone.
    ///
    /// # Errors
    /// Storage errors.
    pub fn refresh(&mut self) -> Result<bool, Error> {
        match self.store.container(&self.record.id)? {
            Some(r) => {
                self.record = reconcile(self.store, self.runtimes, r)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Takes the runtime's word on a record that says the container is not running (see the
    /// module's rule): a container the runtime runs (created, running, paused) is recorded
    /// running again, with the runtime's pid, so the caller refuses or stops it.
    ///
    /// # Errors
    /// The runtime cannot be asked (other than "no such container"); storage errors.
    pub fn check_runtime(&mut self) -> Result<(), Error> {
        if self.is_running() {
            return Ok(());
        }
        if let RuntimeView::Live(pid) = runtime_view(self.runtimes, &self.record)? {
            self.store.set_container_running(
                &self.record.id,
                pid,
                self.record.started_at.unwrap_or_else(SystemTime::now),
            )?;
            self.refresh()?;
        }
        Ok(())
    }

    /// The root filesystem, mounted if it is not (`rpod mount`; the monitor before the runtime
    /// starts the container): `cleanup` and `umount` unmount it, and an exited container's is
    /// unmounted by [`reconcile`].
    ///
    /// # Errors
    /// The image's layers are gone; [`Error::Mount`].
    pub fn mount(&self) -> Result<&std::path::Path, Error> {
        // A container without an image has no root filesystem of rpod's to mount.
        if let Some(image) = &self.record.image_id {
            if !may_be_mount_point(&self.paths.merged) {
                mount_rootfs(self.store, image, &self.paths)?;
            }
        }
        Ok(&self.paths.merged)
    }

    /// The OCI runtime the container runs under.
    fn runtime(&self) -> Result<Box<dyn OciRuntime>, Error> {
        Ok(self.runtimes.get(&self.record.runtime)?)
    }

    /// Sends `signal` to every process of the running container.
    ///
    /// # Errors
    /// [`Error::NotRunning`]; the runtime's refusal.
    pub fn kill(&mut self, signal: Signal) -> Result<(), Error> {
        // podman's kill sets StoppedByUser: a killed container is not restarted by its policy
        // (podman 4.3.1: `kill` of a `--restart always` container leaves it exited).
        self.end_restarts()?;
        self.check_runtime()?;
        if !self.is_running() {
            return Err(self.not_running(Wanted::Signal));
        }
        self.runtime()?.kill(&self.record.id, signal, true)?;
        Ok(())
    }

    fn not_running(&self, wanted: Wanted) -> Error {
        Error::NotRunning {
            name: self.record.name.clone(),
            wanted,
            state: InState(self.record.state),
        }
    }

    /// Waits up to `timeout` for the container to exit; `true` when it has (or is gone).
    fn wait_exit(&mut self, timeout: Duration) -> Result<bool, Error> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.refresh()? || !self.is_running() {
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(false)
    }

    /// SIGTERM, then SIGKILL after `timeout` (podman's `stop -t`); a container that is not
    /// running is left as it is.
    ///
    /// # Errors
    /// [`Error::DidNotStop`] when it outlives SIGKILL by 10 s; the runtime's refusal.
    pub fn stop(&mut self, timeout: Duration) -> Result<(), Error> {
        self.stop_reporting(timeout).map(|_| ())
    }

    /// [`Container::stop`], saying how it went: podman warns when SIGTERM was not enough.
    ///
    /// # Errors
    /// As [`Container::stop`].
    pub fn stop_reporting(&mut self, timeout: Duration) -> Result<Stopped, Error> {
        // Before anything else: a monitor between two runs of a restart policy must not start
        // another (podman's StoppedByUser), and one that decided to is seen running below.
        self.end_restarts()?;
        self.check_runtime()?;
        if !self.is_running() {
            return Ok(Stopped::NotRunning);
        }
        if self.record.state == ContainerState::Paused {
            return Err(Error::StopPaused {
                id: self.record.id.clone(),
            });
        }
        self.event("stop");
        let rt = self.runtime()?;
        // To the container's first process only, as podman: a shell that traps the signal
        // runs its handler without its children dying of it first (SIGKILL below goes to all).
        if let Err(e) = rt.kill(&self.record.id, self.stop_signal(), false) {
            if !e.is_missing_container() {
                return Err(e.into());
            }
        }
        if self.wait_exit(timeout)? {
            return Ok(Stopped::Exited);
        }
        // SIGKILL is sent again until the container is seen exited: a monitor records its
        // container running just before the runtime creates it, and a signal sent in between
        // reaches no one (issue 12: `rm -f` right after a `run -d` left it running).
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let _ = rt.kill(&self.record.id, Signal::SIGKILL, true);
            if self.wait_exit(Duration::from_millis(250))? {
                return Ok(Stopped::Killed);
            }
            if Instant::now() >= deadline {
                return Err(Error::DidNotStop {
                    name: self.record.name.clone(),
                });
            }
        }
    }

    /// `--stop-signal` (SIGTERM unless set).
    #[must_use]
    pub fn stop_signal(&self) -> Signal {
        use std::str::FromStr as _;
        self.meta()
            .ok()
            .and_then(|m| m.settings.stop_signal)
            .and_then(|s| Signal::from_str(&s).ok())
            .unwrap_or(Signal::SIGTERM)
    }

    /// `--stop-timeout` (podman's 10 s unless set): what `stop` waits when not told.
    #[must_use]
    pub fn stop_timeout(&self) -> Duration {
        self.meta()
            .ok()
            .and_then(|m| m.settings.stop_timeout)
            .map_or(settings::DEFAULT_STOP_TIMEOUT, Duration::from_secs)
    }

    /// How many times the monitor restarted the container (`--restart`).
    #[must_use]
    pub fn restart_count(&self) -> u32 {
        settings::restart_count(&self.paths.dir)
    }

    /// Removes the container: its runtime state, mount, directories and record. A running
    /// container is refused unless `force`, which stops it at once.
    ///
    /// # Errors
    /// [`Error::RemoveRunning`]; as [`Container::stop`]; files that cannot be removed.
    pub fn remove(self, force: bool) -> Result<(), Error> {
        self.remove_stopping(force, Duration::ZERO).map(|_| ())
    }

    /// [`Container::remove`], where `force` stops a running container with SIGTERM and
    /// SIGKILL after `timeout` (podman's `rm -f -t`); says how it was stopped.
    ///
    /// # Errors
    /// As [`Container::remove`].
    pub fn remove_stopping(mut self, force: bool, timeout: Duration) -> Result<Stopped, Error> {
        // A monitor between two runs of its restart policy must not run the container again
        // while its files go; one that decided to already is seen running below.
        self.check_runtime()?;
        if self.is_running() && !force {
            return Err(Error::RemoveRunning {
                name: self.record.name.clone(),
                running: IsRunning(self.record.name.clone()),
            });
        }
        self.end_restarts()?;
        self.check_runtime()?;
        let mut stopped = Stopped::NotRunning;
        if self.is_running() {
            if !force {
                return Err(Error::RemoveRunning {
                    name: self.record.name.clone(),
                    running: IsRunning(self.record.name.clone()),
                });
            }
            if self.record.state == ContainerState::Paused {
                self.kill_paused()?;
            }
            stopped = self.stop_reporting(timeout)?;
        }
        // The monitor may have removed it (--rm) while we stopped it.
        if self.refresh()? {
            self.store
                .set_container_state(&self.record.id, ContainerState::Removing)?;
            self.remove_files(true)?;
            self.store.delete_container(&self.record.id)?;
            self.event("remove");
        }
        Ok(stopped)
    }

    /// Removes the container's files (not its row): the runtime's state when `runtime_state`
    /// (a created container; `runc run` removes its own when the process exits), the mount,
    /// the directories.
    fn remove_files(&self, runtime_state: bool) -> Result<(), Error> {
        if runtime_state {
            if let Ok(rt) = self.runtime() {
                let _ = rt.delete(&self.record.id, true);
            }
        }
        unmount_rootfs(&self.paths)?;
        for d in [&self.paths.dir, &self.paths.bundle] {
            if d.exists() {
                fs::remove_dir_all(d).map_err(Error::io("remove", d))?;
            }
        }
        Ok(())
    }

    /// Removes a container that could not be started (its recorder failed): files and record.
    ///
    /// # Errors
    /// Files that cannot be removed; storage errors.
    pub fn discard(self) -> Result<(), Error> {
        self.remove_files(false)?;
        self.store.delete_container(&self.record.id)?;
        Ok(())
    }

    /// Unmounts the root filesystem of a container that is not running (as the runtime says).
    ///
    /// # Errors
    /// [`Error::UnmountRunning`]; [`Error::Unmount`]; the runtime's failure to answer.
    pub fn unmount(&mut self) -> Result<(), Error> {
        self.check_runtime()?;
        if self.is_running() {
            return Err(Error::UnmountRunning {
                name: self.record.name.clone(),
            });
        }
        unmount_rootfs(&self.paths)
    }

    /// Runs another process in the running container and returns its status.
    ///
    /// # Errors
    /// [`Error::NotRunning`]; [`Error::CommandFailed`] (126/127) when the runtime cannot start
    /// the command; an unreadable bundle; the runtime's refusal.
    pub fn exec(&mut self, req: &ExecRequest, io: ProcessIo) -> Result<ExitStatus, Error> {
        let (rt, process) = self.exec_process(req, false)?;
        let opts = ExecOptions {
            detach: req.detach,
            pid_file: None,
            console_socket: None,
            io,
        };
        match rt.exec(&self.record.id, &process, opts) {
            Ok(code) => Ok(ExitStatus::Container(code)),
            Err(e) => Err(command_failed(e)),
        }
    }

    /// [`Container::exec`] with a terminal (`exec -t`): its output goes to `io.out`.
    ///
    /// # Errors
    /// As [`Container::exec`]; [`Error::Terminal`].
    pub fn exec_tty(&mut self, req: &ExecRequest, io: TtyIo) -> Result<ExitStatus, Error> {
        let (rt, process) = self.exec_process(req, true)?;
        // A session while it runs, as an attached exec without a terminal.
        let sessions = self.exec_sessions();
        let session = self.new_session(&req.command, false)?;
        sessions.create(&session)?;
        let r = tty::exec(rt.as_ref(), &self.record.id, &process, io.stdin, io.out)
            .map(ExitStatus::Container);
        sessions.remove(&session.id);
        r
    }

    /// The runtime and the process spec of an exec: the container's process with the
    /// request's changes.
    fn exec_process(
        &mut self,
        req: &ExecRequest,
        terminal: bool,
    ) -> Result<(Box<dyn OciRuntime>, oci_spec::runtime::Process), Error> {
        self.check_runtime()?;
        if !self.is_running() {
            return Err(self.not_running(Wanted::Exec));
        }
        let rt = self.runtime()?;
        let name = &self.record.name;
        let config =
            fs::read_to_string(self.record.bundle.join("config.json")).map_err(|source| {
                Error::ReadBundle {
                    name: name.clone(),
                    source,
                }
            })?;
        let spec: oci_spec::runtime::Spec =
            serde_json::from_str(&config).map_err(|source| Error::ParseBundle {
                name: name.clone(),
                source,
            })?;
        let mut process = spec.process().clone().ok_or(Error::NoProcess)?;
        process.set_args(Some(req.command.clone()));
        process.set_terminal(Some(terminal));
        let mut env = process.env().clone().unwrap_or_default();
        env.extend(req.env.iter().cloned());
        process.set_env(Some(env));
        if let Some(w) = &req.workdir {
            process.set_cwd(w.into());
        }
        if let Some(u) = &req.user {
            // A name or number, resolved in the container's /etc/passwd and /etc/group as
            // `run --user` is (podman: exec -u nobody).
            let root = spec
                .root()
                .as_ref()
                .map(|r| r.path().clone())
                .unwrap_or_else(|| self.paths().merged.clone());
            let resolved = crate::bundle::resolve_user(&root, Some(u))?;
            let mut user = process.user().clone();
            user.set_uid(resolved.uid);
            user.set_gid(resolved.gid);
            user.set_additional_gids(
                (!resolved.additional_gids.is_empty()).then_some(resolved.additional_gids),
            );
            process.set_user(user);
        }
        Ok((rt, process))
    }

    /// Waits until the container exits and returns its exit code as recorded (128+N for
    /// signal N, -1 when its monitor died without recording one), as `podman wait` prints it.
    ///
    /// # Errors
    /// [`Error::RemovedWhileWaiting`]; storage errors.
    pub fn wait(&mut self) -> Result<i32, Error> {
        loop {
            if !self.refresh()? {
                return Err(Error::RemovedWhileWaiting {
                    name: self.record.name.clone(),
                });
            }
            if matches!(
                self.record.state,
                ContainerState::Exited | ContainerState::Stopped
            ) {
                return Ok(self.record.exit_code.unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Copies the container's output from its log to `out` and `err`; with `follow`, goes on
    /// until the container is gone or exited.
    ///
    /// # Errors
    /// An unreadable log; storage errors.
    pub fn logs(
        &mut self,
        follow: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<(), Error> {
        let meta = self.meta()?;
        if meta.settings.log_driver != settings::LogDriver::K8sFile {
            return Err(Error::NotLogging {
                driver: meta.settings.log_driver.as_str(),
            });
        }
        let reader = LogReader::new(&meta.log_path);
        if !follow {
            reader.copy_to(out, err)?;
            return Ok(());
        }
        // Follow: print what is new until the container is gone or exited.
        let mut seen: u64 = 0;
        loop {
            let mut buf_out = Vec::new();
            let mut buf_err = Vec::new();
            reader.copy_to(&mut buf_out, &mut buf_err)?;
            let all = [buf_out, buf_err].concat();
            let len = u64::try_from(all.len()).unwrap_or(0);
            if len > seen {
                let write = |out: &mut dyn Write| {
                    out.write_all(&all[usize::try_from(seen).unwrap_or(0)..])?;
                    out.flush()
                };
                write(out).map_err(Error::io("write the log of", self.record.name.as_str()))?;
                seen = len;
            }
            if !self.refresh()?
                || !(self.is_running() || self.record.state == ContainerState::Created)
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts the container's monitor (`monitor`: the command that runs
    /// [`Container::run`] for this container, detached) in its own process group, with stdio
    /// on /dev/null, and waits until the container is running (or already gone).
    ///
    /// # Errors
    /// [`Error::SpawnMonitor`]; [`Error::FailedToStart`] when the container exited with 125
    /// or more before it was seen running; [`Error::MonitorDied`] when the monitor ended
    /// without starting it; [`Error::StartTimeout`] after 30 s.
    pub fn start_detached(&self, mut monitor: std::process::Command) -> Result<(), Error> {
        let null = null_device(std::path::Path::new("/dev/null"))?;
        let clone = || null.try_clone().map_err(Error::SpawnMonitor);
        monitor
            .stdin(Stdio::from(clone()?))
            .stdout(Stdio::from(clone()?))
            .stderr(Stdio::from(null));
        std::os::unix::process::CommandExt::process_group(&mut monitor, 0);
        let mut child = monitor.spawn().map_err(Error::SpawnMonitor)?;
        let id = &self.record.id;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            // Checked before the record: a monitor gone before the record moved will never
            // move it (issue 12: this waited 30 s for a monitor killed at its start).
            let exited = child.try_wait().map_err(Error::SpawnMonitor)?;
            let Some(c) = self.store.container(id)? else {
                return Ok(());
            };
            match c.state {
                ContainerState::Running if c.pid.is_some_and(|p| p > 0) => return Ok(()),
                ContainerState::Exited | ContainerState::Stopped | ContainerState::Removing => {
                    if c.exit_code.is_some_and(|e| e >= 125) {
                        return Err(Error::FailedToStart {
                            name: c.name,
                            status: ExitCode(c.exit_code.unwrap_or(-1)),
                        });
                    }
                    return Ok(());
                }
                _ => {}
            }
            if let Some(status) = exited {
                // Its record says what it got to; the runtime says whether the container runs.
                let c = reconcile(self.store, self.runtimes, c)?;
                if c.state == ContainerState::Running && c.pid.is_some_and(|p| p > 0) {
                    return Ok(());
                }
                return Err(Error::MonitorDied {
                    name: c.name,
                    status,
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Err(Error::StartTimeout { id: id.clone() })
    }

    /// `rpod container cleanup`: what the monitor does after an exit ([`Container::after_exit`]),
    /// for a container whose monitor could not. Refused while the container runs, as the
    /// runtime says: its root filesystem and directories are in use. Safe to run twice.
    ///
    /// # Errors
    /// [`Error::CleanupRunning`]; the runtime's failure to answer; as [`Container::after_exit`].
    pub fn cleanup(&mut self) -> Result<(), Error> {
        if !self.refresh()? {
            return Ok(());
        }
        self.check_runtime()?;
        if self.is_running() {
            return Err(Error::CleanupRunning {
                name: self.record.name.clone(),
                running: IsRunning(self.record.name.clone()),
            });
        }
        self.after_exit()
    }

    /// After an exit (the monitor's last step): unmount, and remove the container for `--rm`.
    /// `runc run` (and crun's) deleted its own state when the process exited.
    ///
    /// # Errors
    /// An unmount or removal that fails; storage errors.
    pub(crate) fn after_exit(&mut self) -> Result<(), Error> {
        if !self.refresh()? {
            return Ok(());
        }
        unmount_rootfs(&self.paths)?;
        let _ = fs::remove_file(&self.paths.monitor_pid);
        if let Some(m) = self.meta().ok().filter(|m| m.rm) {
            self.store
                .set_container_state(&self.record.id, ContainerState::Removing)?;
            self.remove_files(false)?;
            self.store.delete_container(&self.record.id)?;
            self.event("remove");
            // podman's `run --rm` removes the container's anonymous volumes too.
            self.remove_anonymous_volumes()?;
            // --rmi: the image too, unless another container uses it (podman's rule: a failure
            // to remove it does not fail the run).
            // By the name the user gave while it still names this image: another tag of it
            // is untagged only, as `podman rmi NAME` does.
            if m.settings.rmi {
                if let Some(image) = &self.record.image_id {
                    let by_name = image::lookup(self.store, &m.image).is_ok_and(|i| i.id == *image);
                    let reference = if by_name { m.image.as_str() } else { image };
                    let _ = image::remove(self.store, reference, false);
                }
            }
        }
        Ok(())
    }
}

/// A runtime error, as podman reports it: the container's 126/127 when the command could not
/// be run, else the runtime's failure.
fn command_failed(e: crate::runtime::RuntimeError) -> Error {
    match e.command_exit_code() {
        Some(code) => Error::CommandFailed {
            status: ExitStatus::Container(i32::from(code)),
            error: e,
        },
        None => Error::Runtime(e),
    }
}

/// `/run/.containerenv` as podman 4.3 writes it: empty, except for a privileged container,
/// which learns the engine, its name and id, and its image (libpod `makePlatformBindMounts`).
fn containerenv(
    record: &ContainerRecord,
    req: &CreateRequest,
    image_id: &str,
    privileged: bool,
) -> String {
    if !privileged {
        return String::new();
    }
    format!(
        "engine=\"rpod-{}\"\nname=\"{}\"\nid=\"{}\"\nimage=\"{}\"\nimageid=\"{}\"\nrootless=0\n",
        env!("CARGO_PKG_VERSION"),
        record.name,
        record.id,
        req.image,
        image_id
    )
}

/// The user's `--workdir` must be a directory in the root filesystem (resolved inside it).
fn check_workdir(rootfs: &std::path::Path, workdir: &str, id: &str) -> Result<(), Error> {
    let real =
        bundle::resolve_in_root(rootfs, std::path::Path::new(workdir)).map_err(|source| {
            Error::WorkdirUnusable {
                workdir: workdir.into(),
                id: id.into(),
                source,
            }
        })?;
    match fs::metadata(&real) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::WorkdirNotDirectory {
            workdir: workdir.into(),
            id: id.into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::WorkdirMissing {
            workdir: workdir.into(),
            id: id.into(),
        }),
        Err(source) => Err(Error::WorkdirUnusable {
            workdir: workdir.into(),
            id: id.into(),
            source,
        }),
    }
}

/// Gives a new container's upper directory the mode and owner of the image's root. overlayfs
/// shows the upper directory's attributes for the merged root (once there is an upper layer,
/// it is the topmost), and rpod created it 0755 root: an image whose `/` is 0555 showed 0755.
/// Done once, at create: later the container's own `chmod /` lives in the upper directory.
fn init_upper(store: &Store, image_id: &str, p: &Paths) -> Result<(), Error> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let layers = store.layer_dirs(image_id)?;
    // layer_dirs lists the base layer first: the image's root is the last layer's.
    let Some(top) = layers.last() else {
        return Ok(());
    };
    let m = fs::metadata(top).map_err(Error::io("read", top))?;
    fs::set_permissions(&p.upper, fs::Permissions::from_mode(m.mode() & 0o7777))
        .map_err(Error::io("set the mode of", &p.upper))?;
    std::os::unix::fs::chown(&p.upper, Some(m.uid()), Some(m.gid()))
        .map_err(Error::io("set the owner of", &p.upper))
}

fn mount_rootfs(store: &Store, image_id: &str, p: &Paths) -> Result<(), Error> {
    let mut layers = store.layer_dirs(image_id)?;
    // overlayfs lists the top layer first.
    layers.reverse();

    let lower: Vec<String> = layers.iter().map(|l| l.display().to_string()).collect();
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        p.upper.display(),
        p.work.display()
    );
    nix::mount::mount(
        Some("overlay"),
        &p.merged,
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(opts.as_str()),
    )
    .map_err(|source| Error::Mount {
        path: p.merged.clone(),
        source,
    })
}

/// Whether `path` may be the root of a mount, as the kernel says it (statx(2)'s
/// `STATX_ATTR_MOUNT_ROOT`, Linux 5.8), or, on an older kernel, because its device differs
/// from its parent's. A path that does not exist is not; when the answer is unknown (an error
/// other than ENOENT) it may be, so the caller unmounts rather than deleting through a mount.
fn may_be_mount_point(path: &std::path::Path) -> bool {
    use rustix::fs::{AtFlags, StatxAttributes, StatxFlags};
    match rustix::fs::statx(
        rustix::fs::CWD,
        path,
        AtFlags::NO_AUTOMOUNT | AtFlags::SYMLINK_NOFOLLOW,
        StatxFlags::empty(),
    ) {
        Ok(st) if st.stx_attributes_mask.contains(StatxAttributes::MOUNT_ROOT) => {
            st.stx_attributes.contains(StatxAttributes::MOUNT_ROOT)
        }
        Err(rustix::io::Errno::NOENT) => false,
        Ok(_) | Err(rustix::io::Errno::NOSYS) => {
            use std::os::unix::fs::MetadataExt as _;
            match (fs::symlink_metadata(path), path.parent().map(fs::metadata)) {
                (Ok(m), Some(Ok(parent))) => m.dev() != parent.dev(),
                _ => true,
            }
        }
        Err(_) => true,
    }
}

/// Unmounts the root filesystem (already unmounted is fine).
fn unmount_rootfs(p: &Paths) -> Result<(), Error> {
    // Nothing mounted needs no umount (nor the privilege it takes).
    if !may_be_mount_point(&p.merged) {
        return Ok(());
    }
    match nix::mount::umount2(&p.merged, nix::mount::MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL | nix::errno::Errno::ENOENT) => Ok(()),
        Err(source) => Err(Error::Unmount {
            path: p.merged.clone(),
            source,
        }),
    }
}

/// The container's metadata.
///
/// # Errors
/// A record written by another rpod version.
fn meta(c: &ContainerRecord) -> Result<Meta, Error> {
    serde_json::from_str(&c.spec_json).map_err(|source| Error::Metadata {
        name: c.name.clone(),
        source,
    })
}

/// Whether process `pid` exists and is not a zombie waiting to be reaped.
fn alive(pid: i32) -> bool {
    if pid <= 0 || nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err() {
        return false;
    }
    // /proc/PID/stat: "pid (comm) S ...", the state after the last ')'.
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rfind(')')
                .and_then(|i| s[i + 1..].split_whitespace().next().map(|st| st != "Z"))
        })
        .unwrap_or(false)
}

/// The pid of the container's monitor, if it wrote one.
fn monitor_pid(p: &Paths) -> Option<i32> {
    fs::read_to_string(&p.monitor_pid).ok()?.trim().parse().ok()
}

/// What the runtime says of a container, for [`reconcile`] and [`Container::check_runtime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuntimeView {
    /// A process of the container exists (`created`, `running`, `paused`), with the runtime's
    /// pid (0 while a runtime still at work on it has not made it yet).
    Live(i32),
    /// `stopped`, or unknown to the runtime, and no runtime process at work on it.
    Gone,
}

/// Asks the container's runtime (`state ID`) whether a process of the container exists.
///
/// # Errors
/// The runtime cannot be found or answers other than "no such container".
fn runtime_view(runtimes: &dyn Runtimes, c: &ContainerRecord) -> Result<RuntimeView, Error> {
    let rt = runtimes.get(&c.runtime)?;
    match rt.state(&c.id) {
        Ok(st) if st.status != crate::runtime::Status::Stopped => Ok(RuntimeView::Live(st.pid)),
        Ok(_) => Ok(RuntimeView::Gone),
        // `runc run` orphaned by a killed monitor goes on creating the container: until it
        // writes its state, the runtime does not know the container, but will run it.
        Err(e) if e.is_missing_container() => Ok(if runtime_at_work(rt.binary(), &c.id) {
            RuntimeView::Live(0)
        } else {
            RuntimeView::Gone
        }),
        Err(e) => Err(e.into()),
    }
}

/// Whether a process of the runtime `binary` is creating container `id` (a `runc run ... ID`
/// whose monitor was killed). Read from /proc; a process that goes away meanwhile is not
/// counted.
fn runtime_at_work(binary: &std::path::Path, id: &str) -> bool {
    let Some(name) = binary.file_name() else {
        return false;
    };
    let Ok(procs) = fs::read_dir("/proc") else {
        return false;
    };
    procs.filter_map(Result::ok).any(|p| {
        if !p
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            return false;
        }
        fs::read(p.path().join("cmdline")).is_ok_and(|c| creates(&c, name, id))
    })
}

/// Whether `cmdline` (NUL-separated, as /proc has it) is the runtime `name` running or creating
/// container `id`. Only `run` and `create` make a container: another rpod's `runc state ID` or
/// `runc delete ID` does not, and must not make a stopped container look alive.
fn creates(cmdline: &[u8], name: &std::ffi::OsStr, id: &str) -> bool {
    let mut args = cmdline.split(|b| *b == 0);
    let is_runtime = args.next().is_some_and(|a0| {
        std::path::Path::new(std::ffi::OsStr::from_bytes(a0)).file_name() == Some(name)
    });
    let args: Vec<&[u8]> = args.collect();
    is_runtime
        && args.iter().any(|a| *a == b"run" || *a == b"create")
        && args.contains(&id.as_bytes())
}

/// Fixes a record whose monitor died (killed, machine crash), taking the runtime's word (see
/// the module's rule): a running container that the runtime no longer runs, and a configured
/// one older than 30 s, are exited (code -1 if unknown) and unmounted. Returns the record as
/// it now is.
///
/// # Errors
/// Storage errors.
fn reconcile(
    store: &Store,
    runtimes: &dyn Runtimes,
    c: ContainerRecord,
) -> Result<ContainerRecord, Error> {
    if !matches!(
        c.state,
        ContainerState::Running | ContainerState::Paused | ContainerState::Configured
    ) {
        return Ok(c);
    }
    let p = paths(store, &c.id);
    if monitor_pid(&p).is_some_and(alive) {
        return Ok(c);
    }
    if c.state == ContainerState::Configured {
        // Configured rows younger than a few seconds are being created right now; a configured
        // container has no runtime state (the monitor's `run` makes it).
        if c.created.elapsed().is_ok_and(|e| e.as_secs() < 30) {
            return Ok(c);
        }
    } else {
        match runtime_view(runtimes, &c) {
            Ok(RuntimeView::Live(pid)) => {
                // The monitor of a foreground run records no pid: the runtime's is the one.
                if pid > 0 && c.pid != Some(pid) {
                    store.set_container_running(
                        &c.id,
                        pid,
                        c.started_at.unwrap_or_else(SystemTime::now),
                    )?;
                    return Ok(store.container(&c.id)?.unwrap_or(c));
                }
                return Ok(c);
            }
            Ok(RuntimeView::Gone) => {}
            // Cannot tell: leave the record; the command that needs the runtime says why.
            Err(_) => return Ok(c),
        }
    }
    store.set_container_exited(&c.id, c.exit_code.unwrap_or(-1), SystemTime::now())?;
    let _ = unmount_rootfs(&p);
    Ok(store.container(&c.id)?.unwrap_or(c))
}

/// `path` (the host's `/dev/null`) opened for reading and writing, once it is known to be the
/// null device: character device 1:3 (`Documentation/admin-guide/devices.txt`). A regular file
/// there (a tool that renamed a file over it once made one, see `commands/io.rs`) would collect
/// a detached container's output and feed its contents to the container as input.
pub(crate) fn null_device(path: &std::path::Path) -> Result<fs::File, Error> {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    let open_err = |source| Error::OpenNullDevice {
        path: path.to_path_buf(),
        source,
    };
    // O_RDWR does not block on a FIFO (fifo(7)), so a FIFO there is refused below, not waited on.
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(open_err)?;
    let m = f.metadata().map_err(open_err)?;
    let t = m.file_type();
    let (major, minor) = (
        nix::sys::stat::major(m.rdev()),
        nix::sys::stat::minor(m.rdev()),
    );
    if t.is_char_device() && (major, minor) == (1, 3) {
        return Ok(f);
    }
    let found = if t.is_char_device() {
        format!("character device {major}:{minor}")
    } else if t.is_file() {
        "a regular file".to_string()
    } else if t.is_fifo() {
        "a FIFO".to_string()
    } else if t.is_block_device() {
        format!("block device {major}:{minor}")
    } else {
        "not a device".to_string()
    };
    Err(Error::NotNullDevice {
        path: path.to_path_buf(),
        found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hint::Hint;
    use crate::runtime::fake::Fake;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn only_the_null_device_is_taken_for_dev_null() {
        use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
        // Issue 11: code took /dev/null for the null device; a regular file or a FIFO there is
        // an error that says what it is and how to put the device back.
        let d = tempfile::tempdir().expect("tempdir");
        let file = d.path().join("null");
        fs::write(&file, "data").expect("file");
        let e = null_device(&file).expect_err("a regular file");
        assert_eq!(
            e.to_string(),
            format!(
                "{} is not the null device (character device 1:3) but a regular file",
                file.display()
            )
        );
        assert!(e.hint().is_some_and(|h| h.contains("mknod -m 666")), "{e}");
        let fifo = d.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        assert!(
            matches!(null_device(&fifo), Err(Error::NotNullDevice { found, .. }) if found == "a FIFO")
        );
        assert!(matches!(
            null_device(&d.path().join("missing")),
            Err(Error::OpenNullDevice { .. })
        ));
        // The real one, where this machine has it (a sandbox may not).
        let real = std::path::Path::new("/dev/null");
        let is_null = fs::metadata(real).is_ok_and(|m| {
            m.file_type().is_char_device() && m.rdev() == nix::sys::stat::makedev(1, 3)
        });
        if rpod_tests::require("/dev/null as the null device", is_null) {
            null_device(real).expect("the host's /dev/null");
        }
        // /dev/zero is a character device, but not the null one.
        if rpod_tests::require(
            "/dev/zero",
            fs::metadata("/dev/zero").is_ok_and(|m| m.rdev() == nix::sys::stat::makedev(1, 5)),
        ) {
            assert!(matches!(
                null_device(std::path::Path::new("/dev/zero")),
                Err(Error::NotNullDevice { found, .. }) if found == "character device 1:5"
            ));
        }
    }
    use crate::runtime::RuntimeError;

    /// A store in a temporary directory with one container record in `state`, its
    /// directories made; no image, no mount, no root needed.
    struct Fixture {
        _dir: tempfile::TempDir,
        store: Store,
        fake: Fake,
        id: String,
    }

    fn fixture(state: ContainerState, rm: bool) -> Fixture {
        fixture_with(state, rm, settings::Settings::default())
    }

    fn fixture_with(state: ContainerState, rm: bool, settings: settings::Settings) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("root"), &dir.path().join("run")).expect("store");
        let fake = Fake::new(store.runroot());
        let id = "ab".repeat(32);
        let p = paths(&store, &id);
        for d in [&p.dir, &p.merged, &p.bundle] {
            fs::create_dir_all(d).expect("container dirs");
        }
        let meta = Meta {
            image: "busybox".into(),
            command: vec!["true".into()],
            rm,
            seccomp: SeccompSource::default_profile(),
            log_path: p.log.clone(),
            rootfs: p.merged.clone(),
            hostname: None,
            tty: false,
            trace: None,
            settings,
            volumes: Vec::new(),
            depends_on: Vec::new(),
        };
        let record = ContainerRecord {
            id: id.clone(),
            name: "web".into(),
            image_id: None,
            created: SystemTime::now(),
            state,
            spec_json: serde_json::to_string(&meta).expect("meta"),
            pid: (state == ContainerState::Running)
                .then(|| i32::try_from(std::process::id()).expect("pid")),
            exit_code: None,
            started_at: None,
            finished_at: None,
            runtime: "fake".into(),
            bundle: p.bundle.clone(),
        };
        store.insert_container(&record).expect("insert");
        Fixture {
            _dir: dir,
            store,
            fake,
            id,
        }
    }

    impl Fixture {
        fn container(&self) -> Container<'_> {
            Container::lookup(&self.store, &self.fake, &self.id).expect("lookup")
        }

        fn record(&self) -> Option<ContainerRecord> {
            self.store.container(&self.id).expect("read record")
        }

        fn log(&self) -> String {
            fs::read_to_string(paths(&self.store, &self.id).log).unwrap_or_default()
        }

        /// On a `kill` (with `signal`, or any signal), the container exits with `code`, as its
        /// monitor would record it, and the runtime no longer knows it.
        fn exits_on_kill(&self, signal: Option<Signal>, code: i32) {
            let (root, runroot, id, fake) = (
                self.store.root().to_path_buf(),
                self.store.runroot().to_path_buf(),
                self.id.clone(),
                self.fake.clone(),
            );
            self.fake.on_kill(move |sig| {
                if signal.is_some_and(|s| s != sig) {
                    return;
                }
                let s = Store::open(&root, &runroot).expect("store");
                s.set_container_exited(&id, code, SystemTime::now())
                    .expect("exited");
                fake.on_state(None);
            });
        }
    }

    fn failed(code: i32, message: &str) -> RuntimeError {
        RuntimeError::Failed {
            runtime: "fake".into(),
            op: "run",
            id: "x".into(),
            code: Some(code),
            message: message.into(),
        }
    }

    #[test]
    fn run_moves_created_to_exited_with_the_code() {
        let f = fixture(ContainerState::Created, false);
        f.fake.on_run(Ok(3));
        let status = f.container().run(Attach::Detached, None).expect("run");
        assert_eq!(status, ExitStatus::Container(3));
        let r = f.record().expect("kept without --rm");
        assert_eq!((r.state, r.exit_code), (ContainerState::Exited, Some(3)));
        assert!(f.fake.calls().contains(&format!("run {}", f.id)));
        assert!(!paths(&f.store, &f.id).monitor_pid.exists(), "cleaned up");
    }

    #[test]
    fn exit_codes_above_255_are_kept_and_wrap_only_at_the_process_edge() {
        let f = fixture(ContainerState::Created, false);
        f.fake.on_run(Ok(300));
        let status = f.container().run(Attach::Detached, None).expect("run");
        assert_eq!(status, ExitStatus::Container(300));
        assert_eq!(status.code(), 44);
        assert_eq!(f.record().and_then(|r| r.exit_code), Some(300));
    }

    #[test]
    fn a_container_killed_by_a_signal_exits_128_plus_n_even_when_the_runtime_complains() {
        let f = fixture(ContainerState::Created, false);
        // runc logs an error and exits 137 when the process is killed by SIGKILL.
        f.fake.on_run(Err(failed(137, "signal: killed")));
        let status = f.container().run(Attach::Detached, None).expect("run");
        assert_eq!(status, ExitStatus::signaled(9));
        assert_eq!(f.record().and_then(|r| r.exit_code), Some(137));
    }

    #[test]
    fn a_command_not_found_is_127_with_the_runtimes_reason_in_the_log() {
        let f = fixture(ContainerState::Created, false);
        f.fake.on_run(Err(failed(
            1,
            "exec: \"nope\": executable file not found in $PATH",
        )));
        let e = f.container().run(Attach::Detached, None).unwrap_err();
        assert_eq!(e.exit_status(), ExitStatus::Container(127));
        assert!(matches!(e, Error::CommandFailed { .. }), "{e:?}");
        assert_eq!(f.record().and_then(|r| r.exit_code), Some(127));
        assert!(f.log().contains("stderr F error: "), "{}", f.log());
    }

    #[test]
    fn a_runtime_failure_is_an_rpod_error_and_the_container_exits_125() {
        let f = fixture(ContainerState::Created, false);
        f.fake.on_run(Err(failed(1, "seccomp: bad profile")));
        let e = f.container().run(Attach::Detached, None).unwrap_err();
        assert!(matches!(e, Error::Runtime(_)), "{e:?}");
        assert_eq!(e.exit_status(), ExitStatus::RpodError);
        assert_eq!(f.record().and_then(|r| r.exit_code), Some(125));
    }

    #[test]
    fn run_with_rm_removes_the_container_after_the_exit() {
        let f = fixture(ContainerState::Created, true);
        f.fake.on_run(Ok(0));
        f.container().run(Attach::Detached, None).expect("run");
        assert!(f.record().is_none(), "--rm removes the record");
        assert!(!paths(&f.store, &f.id).dir.exists(), "and the files");
    }

    #[test]
    fn the_foreground_echoes_the_output_and_the_log_keeps_it_by_stream() {
        let f = fixture(ContainerState::Created, false);
        f.fake
            .on_run_shell("echo out; echo err >&2; printf partial; exit 7");
        let (out, err) = (SharedBuf::default(), SharedBuf::default());
        let status = f
            .container()
            .run(
                Attach::Foreground {
                    stdin: false,
                    stdout: Box::new(out.clone()),
                    stderr: Box::new(err.clone()),
                },
                None,
            )
            .expect("run");
        assert_eq!(status, ExitStatus::Container(7));
        assert_eq!(out.text(), "out\npartial");
        assert_eq!(err.text(), "err\n");
        let log = f.log();
        assert!(log.contains(" stdout F out\n"), "{log}");
        assert!(log.contains(" stderr F err\n"), "{log}");
        assert!(log.contains(" stdout P partial\n"), "{log}");
    }

    #[test]
    fn detached_the_output_goes_to_the_log() {
        let f = fixture(ContainerState::Created, false);
        f.fake.on_run_shell("echo detached");
        f.container().run(Attach::Detached, None).expect("run");
        assert!(f.log().contains(" stdout F detached\n"), "{}", f.log());
    }

    #[test]
    fn kill_refuses_a_container_that_is_not_running_without_calling_the_runtime() {
        let f = fixture(ContainerState::Exited, false);
        f.fake.on_state(None);
        let e = f.container().kill(Signal::SIGTERM).unwrap_err();
        assert_eq!(e.to_string(), "container web is not running");
        assert_eq!(
            std::error::Error::source(&e).map(ToString::to_string),
            Some("state exited".into())
        );
        assert_eq!(e.hint().as_deref(), Some("nothing to signal"));
        // Only asked whether it runs (issue 12: the record may say exited while it runs).
        assert_eq!(f.fake.calls(), vec![format!("state {}", f.id)]);
    }

    #[test]
    fn stop_sends_sigterm_and_returns_once_the_monitor_records_the_exit() {
        let f = fixture(ContainerState::Running, false);
        f.exits_on_kill(Some(Signal::SIGTERM), 143);
        f.container().stop(Duration::from_secs(5)).expect("stop");
        // The fixture has no monitor: the lookup asks the runtime whether it still runs.
        assert_eq!(
            f.fake.calls(),
            vec![format!("state {}", f.id), format!("kill {} SIGTERM", f.id)]
        );
        assert_eq!(f.record().and_then(|r| r.exit_code), Some(143));
    }

    fn always() -> settings::Settings {
        settings::Settings {
            restart: settings::RestartPolicy::Always,
            ..settings::Settings::default()
        }
    }

    /// Issue 13: a `stop` while the monitor had just decided to restart (the record still
    /// exited) found nothing running and returned; the monitor then ran the container again.
    #[test]
    fn a_stop_after_a_restart_decision_sees_the_container_running_and_ends_it() {
        let f = fixture_with(ContainerState::Exited, false, always());
        let mut monitor = f.container();
        assert!(
            monitor.decide_restart(1).expect("decide"),
            "always restarts"
        );
        // The runtime has not made the container yet: the stop signal reaches no one, and
        // the monitor's run sees the stop and records the exit instead of running it.
        f.fake.on_state(None);
        let (root, runroot) = (
            f.store.root().to_path_buf(),
            f.store.runroot().to_path_buf(),
        );
        let (fake, id) = (f.fake.clone(), f.id.clone());
        let stopper = std::thread::scope(|s| {
            let h = s.spawn(move || {
                let store = Store::open(&root, &runroot).expect("store");
                Container::lookup(&store, &fake, &id)
                    .expect("lookup")
                    .stop_reporting(Duration::from_secs(20))
            });
            let marker = settings::stopped_marker(&paths(&f.store, &f.id).bundle);
            let deadline = Instant::now() + Duration::from_secs(20);
            while !marker.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            let status = monitor
                .run_once(Attach::Detached, None, Some(1))
                .expect("the overtaken run");
            assert_eq!(status, ExitStatus::Container(1));
            h.join().expect("stop thread")
        });
        assert_eq!(
            stopper.expect("stop"),
            Stopped::Exited,
            "it saw the restart"
        );
        assert!(
            !f.fake.calls().iter().any(|c| c.starts_with("run ")),
            "the container did not run again: {:?}",
            f.fake.calls()
        );
        assert_eq!(f.record().map(|r| r.state), Some(ContainerState::Exited));
    }

    /// Issue 13, as podman 4.3.1 (`kill` sets StoppedByUser): a killed `--restart always`
    /// container stays exited.
    #[test]
    fn a_killed_container_is_not_restarted_by_its_policy() {
        let f = fixture_with(ContainerState::Running, false, always());
        f.exits_on_kill(None, 137);
        f.container().kill(Signal::SIGKILL).expect("kill");
        assert!(!f.container().should_restart(137).expect("decide"));
    }

    /// Issue 13, as podman 4.3.1 (`init` resets `RestartCount` unless the policy restarts): a
    /// start by the user counts restarts from 0 again and forgets an earlier stop.
    #[test]
    fn a_user_start_resets_the_restart_count_and_the_stop() {
        let f = fixture_with(ContainerState::Exited, false, always());
        let p = paths(&f.store, &f.id);
        fs::write(settings::restart_count_file(&p.dir), "5").expect("count");
        fs::write(settings::stopped_marker(&p.bundle), "").expect("marker");
        f.fake.on_state(None);
        let mut c = f.container();
        c.prepare_start().expect("prepare");
        assert_eq!(c.restart_count(), 0);
        assert!(
            c.should_restart(0).expect("decide"),
            "the stop is forgotten"
        );
    }

    /// Issue 13: pause wrote `paused` over an exit the monitor recorded while it paused (a
    /// concurrent stop), leaving a record no command could end.
    #[test]
    fn pause_does_not_overwrite_an_exit_recorded_meanwhile() {
        let f = fixture(ContainerState::Running, false);
        let mut c = f.container();
        f.store
            .set_container_exited(&f.id, 143, SystemTime::now())
            .expect("the monitor records the exit");
        let e = c.pause().unwrap_err();
        assert!(matches!(e, Error::CannotPause { .. }), "{e:?}");
        assert_eq!(f.record().map(|r| r.state), Some(ContainerState::Exited));
    }

    /// Issue 13: `start` of a container that runs again was refused as a removal ("cannot
    /// remove").
    #[test]
    fn starting_a_running_container_again_is_refused_as_a_start() {
        let f = fixture(ContainerState::Running, false);
        let e = f.container().prepare_start().unwrap_err();
        assert!(matches!(e, Error::StartRunning { .. }), "{e:?}");
        assert!(e.to_string().starts_with("cannot start web"), "{e}");
    }

    #[test]
    fn rm_refuses_a_running_container_and_force_stops_it_first() {
        let f = fixture(ContainerState::Running, false);
        let e = f.container().remove(false).unwrap_err();
        assert_eq!(e.to_string(), "cannot remove web");
        assert_eq!(e.hint().as_deref(), Some("stop it first, or use rm -f"));
        assert!(f.record().is_some());
        f.exits_on_kill(None, 137);
        f.container().remove(true).expect("rm -f");
        assert!(f.record().is_none());
        assert!(!paths(&f.store, &f.id).dir.exists());
        assert!(f.fake.calls().contains(&format!("delete {} --force", f.id)));
    }

    #[test]
    fn exec_returns_the_process_status_and_maps_a_missing_command_to_127() {
        let f = fixture(ContainerState::Running, false);
        let spec = oci_spec::runtime::Spec::default();
        fs::write(
            paths(&f.store, &f.id).bundle.join("config.json"),
            serde_json::to_string(&spec).expect("spec"),
        )
        .expect("config.json");
        let req = ExecRequest {
            command: vec!["sh".into(), "-c".into(), "exit 44".into()],
            ..ExecRequest::default()
        };
        f.fake.on_exec(Ok(300));
        let mut c = f.container();
        assert_eq!(
            c.exec(&req, ProcessIo::null()).expect("exec"),
            ExitStatus::Container(300)
        );
        assert!(f
            .fake
            .calls()
            .contains(&format!("exec {} sh -c exit 44", f.id)));
        f.fake.on_exec(Err(failed(
            1,
            "exec failed: executable file not found in $PATH",
        )));
        let e = c.exec(&req, ProcessIo::null()).unwrap_err();
        assert_eq!(e.exit_status(), ExitStatus::Container(127));
        let bad_user = ExecRequest {
            user: Some("nosuchuser".into()),
            ..req
        };
        let e = c.exec(&bad_user, ProcessIo::null()).unwrap_err();
        assert!(matches!(e, Error::Bundle(_)), "{e:?}");
    }

    #[test]
    fn exec_refuses_a_container_that_is_not_running() {
        let f = fixture(ContainerState::Created, false);
        f.fake.on_state(None);
        let e = f
            .container()
            .exec(&ExecRequest::default(), ProcessIo::null())
            .unwrap_err();
        assert_eq!(e.hint().as_deref(), Some("start it first"));
    }

    #[test]
    fn a_running_container_whose_monitor_and_process_died_is_exited_with_minus_1() {
        let f = fixture(ContainerState::Running, false);
        f.fake.on_state(None);
        let mut child = std::process::Command::new("true").spawn().expect("true");
        let dead = i32::try_from(child.id()).expect("pid");
        child.wait().expect("reaped");
        f.store
            .set_container_running(&f.id, dead, SystemTime::now())
            .expect("running");
        let mut c = f.container();
        assert_eq!(c.record().state, ContainerState::Exited);
        assert_eq!(c.wait().expect("wait"), -1);
        assert_eq!(ExitStatus::Container(-1).code(), 255);
    }

    /// The runtime the fixture's record names, stopped (`runc state` after the process died).
    fn stopped() -> Option<(crate::runtime::Status, i32)> {
        Some((crate::runtime::Status::Stopped, 0))
    }

    #[test]
    fn cleanup_refuses_a_container_the_runtime_runs_and_keeps_its_record_and_files() {
        // Issue 12: `container cleanup` of a running container unmounted its root and deleted
        // its record and directories while runc ran on; `rm -f` could not find it after.
        let f = fixture(ContainerState::Running, true);
        f.fake
            .on_state(Some((crate::runtime::Status::Running, 4242)));
        let e = f.container().cleanup().unwrap_err();
        assert!(matches!(e, Error::CleanupRunning { .. }), "{e:?}");
        assert_eq!(e.to_string(), "cannot clean up web");
        assert_eq!(
            e.hint().as_deref(),
            Some("its root filesystem is in use: stop it first (rpod stop web), or remove it with rpod rm -f web")
        );
        assert!(f.record().is_some(), "the record stays");
        assert!(paths(&f.store, &f.id).dir.is_dir(), "and its directory");
        // A record that says exited while the runtime runs the container: the runtime wins.
        let f = fixture(ContainerState::Exited, true);
        f.fake
            .on_state(Some((crate::runtime::Status::Paused, 4242)));
        let e = f.container().cleanup().unwrap_err();
        assert!(matches!(e, Error::CleanupRunning { .. }), "{e:?}");
        let r = f.record().expect("kept");
        assert_eq!((r.state, r.pid), (ContainerState::Running, Some(4242)));
        // Once the runtime no longer runs it, cleanup does its job (--rm: the record goes).
        f.fake.on_state(stopped());
        let mut c = Container::from_record(&f.store, &f.fake, f.record().expect("record"));
        let _ = f.store.set_container_exited(&f.id, 0, SystemTime::now());
        c.cleanup().expect("cleanup of a stopped container");
        assert!(f.record().is_none());
    }

    #[test]
    fn a_running_record_whose_monitor_died_follows_the_runtime_not_the_pid() {
        // Issue 12: the record's pid was taken as proof; a foreground run records none (its
        // container was marked exited and unmounted while runc ran it), and after a reboot the
        // pid may name another process.
        let f = fixture(ContainerState::Running, false);
        f.store
            .set_container_running(&f.id, 0, SystemTime::now())
            .expect("pid 0, as a foreground run records");
        f.fake
            .on_state(Some((crate::runtime::Status::Running, 4242)));
        let r = f.container().record().clone();
        assert_eq!((r.state, r.pid), (ContainerState::Running, Some(4242)));
        // The runtime's `created` (runc create, the -t path) is a process too.
        f.fake
            .on_state(Some((crate::runtime::Status::Created, 4242)));
        assert_eq!(f.container().record().state, ContainerState::Running);
        // Gone from the runtime, with a pid that is alive (this test's own): exited.
        f.store
            .set_container_running(
                &f.id,
                i32::try_from(std::process::id()).expect("pid"),
                SystemTime::now(),
            )
            .expect("running");
        f.fake.on_state(None);
        let r = f.container().record().clone();
        assert_eq!((r.state, r.exit_code), (ContainerState::Exited, Some(-1)));
        // `stopped` in the runtime is exited too.
        let f = fixture(ContainerState::Running, false);
        f.fake.on_state(stopped());
        assert_eq!(f.container().record().state, ContainerState::Exited);
    }

    #[test]
    fn stop_kills_again_a_container_the_runtime_created_after_the_first_signal() {
        // Issue 12: the monitor records its container running before the runtime creates it;
        // a SIGKILL sent in between reached no one, and `rm -f` gave up while it ran on.
        let f = fixture(ContainerState::Running, false);
        let p = paths(&f.store, &f.id);
        fs::write(&p.monitor_pid, std::process::id().to_string()).expect("a live monitor");
        let kills = Arc::new(AtomicUsize::new(0));
        let (root, runroot, id, seen) = (
            f.store.root().to_path_buf(),
            f.store.runroot().to_path_buf(),
            f.id.clone(),
            kills.clone(),
        );
        f.fake.on_kill(move |sig| {
            // The first SIGKILL misses (no container yet); the next one ends it.
            if sig == Signal::SIGKILL && seen.fetch_add(1, Ordering::SeqCst) >= 1 {
                let s = Store::open(&root, &runroot).expect("store");
                s.set_container_exited(&id, 137, SystemTime::now())
                    .expect("exited");
            }
        });
        let mut c = f.container();
        c.stop(Duration::ZERO)
            .expect("stopped by the second SIGKILL");
        assert_eq!(kills.load(Ordering::SeqCst), 2);
        assert_eq!(f.record().expect("record").state, ContainerState::Exited);
    }

    #[test]
    fn stop_kill_and_exec_take_the_runtimes_word_over_an_exited_record() {
        let f = fixture(ContainerState::Exited, false);
        f.fake
            .on_state(Some((crate::runtime::Status::Running, 4242)));
        f.container().kill(Signal::SIGHUP).expect("kill");
        assert!(f.fake.calls().contains(&format!("kill {} SIGHUP", f.id)));
        let _ = f.store.set_container_exited(&f.id, 0, SystemTime::now());
        f.fake.on_exec(Ok(0));
        fs::write(
            paths(&f.store, &f.id).bundle.join("config.json"),
            serde_json::to_string(&oci_spec::runtime::Spec::default()).expect("spec"),
        )
        .expect("config.json");
        let req = ExecRequest {
            command: vec!["true".into()],
            ..ExecRequest::default()
        };
        f.container().exec(&req, ProcessIo::null()).expect("exec");
        let _ = f.store.set_container_exited(&f.id, 0, SystemTime::now());
        f.exits_on_kill(None, 143);
        f.container().stop(Duration::from_secs(5)).expect("stop");
        assert!(f.fake.calls().contains(&format!("kill {} SIGTERM", f.id)));
        assert_eq!(f.record().and_then(|r| r.exit_code), Some(143));
    }

    #[test]
    fn run_d_reports_a_monitor_that_died_before_starting_the_container_at_once() {
        // Issue 12: `run -d` waited 30 s for the record of a monitor killed at its start.
        // MonitorDied, not the StartTimeout of the 30 s wait: no clock needed to tell them.
        let f = fixture(ContainerState::Created, false);
        let e = f
            .container()
            .start_detached(std::process::Command::new("false"))
            .unwrap_err();
        assert!(matches!(e, Error::MonitorDied { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "the monitor of container web ended (exit status: 1) before the container ran"
        );
    }

    #[test]
    fn a_runtime_that_cannot_answer_leaves_the_record_as_it_is() {
        let f = fixture(ContainerState::Running, false);
        let mut r = f.record().expect("record");
        r.runtime = "kata".into();
        f.store.delete_container(&f.id).expect("delete");
        f.store.insert_container(&r).expect("insert");
        let c = f.container();
        assert_eq!(c.record().state, ContainerState::Running);
        let mut c = Container::from_record(&f.store, &f.fake, f.record().expect("record"));
        let _ = f.store.set_container_exited(&f.id, 0, SystemTime::now());
        c.refresh().expect("refresh");
        let e = c.cleanup().unwrap_err();
        assert!(e.to_string().contains("unknown OCI runtime 'kata'"), "{e}");
        assert!(f.record().is_some());
    }

    #[test]
    fn rm_and_umount_take_the_runtimes_word_over_an_exited_record() {
        let f = fixture(ContainerState::Exited, false);
        f.fake
            .on_state(Some((crate::runtime::Status::Running, 4242)));
        let e = f.container().remove(false).unwrap_err();
        assert!(matches!(e, Error::RemoveRunning { .. }), "{e:?}");
        let e = f.container().unmount().unwrap_err();
        assert!(matches!(e, Error::UnmountRunning { .. }), "{e:?}");
        assert!(f.record().is_some());
        // rm -f stops it through the runtime first.
        f.exits_on_kill(None, 137);
        f.container().remove(true).expect("rm -f");
        assert!(f.record().is_none());
        assert!(
            f.fake.calls().contains(&format!("kill {} SIGKILL", f.id)),
            "{:?}",
            f.fake.calls()
        );
        // Not running anywhere: rm without -f removes it.
        let f = fixture(ContainerState::Exited, false);
        f.fake.on_state(None);
        f.container().remove(false).expect("rm");
        assert!(f.record().is_none());
    }

    #[test]
    fn only_a_runtime_running_or_creating_the_container_counts_as_at_work() {
        let id = "ab".repeat(32);
        let runc = std::ffi::OsStr::new("runc");
        let cmd = |args: &[&str]| args.join("\0").into_bytes();
        let run = cmd(&[
            "/usr/sbin/runc",
            "--root",
            "/r",
            "run",
            "--bundle",
            "/b",
            &id,
        ]);
        assert!(creates(&run, runc, &id));
        assert!(creates(&cmd(&["runc", "create", &id]), runc, &id));
        // Another rpod asking about it, or deleting it, makes nothing.
        assert!(!creates(&cmd(&["runc", "state", &id]), runc, &id));
        assert!(!creates(
            &cmd(&["runc", "delete", "--force", &id]),
            runc,
            &id
        ));
        assert!(!creates(&cmd(&["crun", "run", &id]), runc, &id));
        assert!(!creates(&run, runc, &"cd".repeat(32)));
    }

    #[test]
    fn mount_points_are_told_by_the_kernel_and_a_missing_path_is_none() {
        assert!(may_be_mount_point(std::path::Path::new("/proc")));
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!may_be_mount_point(dir.path()));
        assert!(!may_be_mount_point(&dir.path().join("missing")));
    }

    #[test]
    fn wait_reports_a_container_removed_meanwhile() {
        let f = fixture(ContainerState::Exited, false);
        let mut c = f.container();
        f.store.delete_container(&f.id).expect("delete");
        let e = c.wait().unwrap_err();
        assert!(matches!(e, Error::RemovedWhileWaiting { .. }), "{e:?}");
    }

    #[test]
    fn an_unknown_runtime_is_reported_when_the_container_needs_it() {
        let f = fixture(ContainerState::Running, false);
        let mut r = f.record().expect("record");
        r.runtime = "kata".into();
        let mut c = Container::from_record(&f.store, &f.fake, r);
        let e = c.kill(Signal::SIGTERM).unwrap_err();
        assert!(e.to_string().contains("unknown OCI runtime 'kata'"), "{e}");
    }

    /// A writer the test reads back after the monitor's threads wrote to it.
    #[derive(Clone, Default)]
    struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl SharedBuf {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().expect("buffer")).into_owned()
        }
    }

    impl Write for SharedBuf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("buffer").extend_from_slice(b);
            Ok(b.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
