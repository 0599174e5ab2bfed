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
//! monitor is gone is marked exited by [`reconcile`], and `rpod rm` removes what is left.

pub mod monitor;
pub mod tty;

use std::fs;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

use crate::bundle::{self, ContainerConfig};
use crate::image;
use crate::storage::Store;
use crate::storage::{ContainerRecord, ContainerState};

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

#[must_use]
pub fn paths(store: &Store, id: &str) -> Paths {
    let dir = store.root().join("containers").join(id);
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
fn new_id() -> anyhow::Result<String> {
    let mut b = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .context("cannot read /dev/urandom for a container id")?;
    Ok(hex::encode(b))
}

/// podman-like generated names: adjective_noun.
fn new_name(store: &Store, id: &str) -> anyhow::Result<String> {
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
    /// `--entrypoint`: replaces the image's (an empty string clears it).
    pub entrypoint: Option<String>,
    pub config: ContainerConfig,
    pub runtime: String,
    pub rm: bool,
    pub seccomp: SeccompSource,
    /// Record the container's syscalls into a profile.
    pub trace: Option<crate::trace::Request>,
}

/// The command line from the image's Entrypoint/Cmd and the user's, as podman combines them.
fn command_line(img: &image::Image, req: &CreateRequest) -> Vec<String> {
    let cfg = img.config.config().clone().unwrap_or_default();
    let entrypoint: Vec<String> = match &req.entrypoint {
        Some(e) if e.is_empty() => Vec::new(),
        Some(e) => vec![e.clone()],
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

/// Records a container and mounts its root filesystem; writes its bundle.
///
/// # Errors
/// Unknown image, name in use, no command, mount or bundle failures; nothing is left behind.
pub fn create(store: &Store, req: CreateRequest) -> anyhow::Result<ContainerRecord> {
    let img = image::lookup(store, &req.image)?;
    let args = command_line(&img, &req);
    if args.is_empty() {
        bail!(crate::commands::hinted(
            anyhow::anyhow!("the image has no Cmd or Entrypoint"),
            format!("no command to run in {}", req.image),
            "give one after the image: rpod run IMAGE COMMAND...",
        ));
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
    config.env = env;
    if config.cwd.is_none() {
        config.cwd = icfg.working_dir().clone().filter(|w| !w.is_empty());
    }
    if config.user.is_none() {
        config.user = icfg.user().clone().filter(|u| !u.is_empty());
    }
    let meta = Meta {
        image: req.image.clone(),
        command: args,
        rm: req.rm,
        seccomp: req.seccomp.clone(),
        log_path: p.log.clone(),
        rootfs: p.merged.clone(),
        hostname: config.hostname.clone(),
        tty: config.terminal,
        trace: req.trace.clone(),
    };
    let record = ContainerRecord {
        id: id.clone(),
        name,
        image_id: Some(img.id.clone()),
        created: SystemTime::now(),
        state: ContainerState::Configured,
        spec_json: serde_json::to_string(&meta)?,
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
    let mut record = record;
    match store.insert_container(&record) {
        Err(crate::storage::StorageError::ContainerNameInUse { .. }) if req.name.is_none() => {
            record.name = format!("rpod_{}", &id[..12]);
            store.insert_container(&record)?;
        }
        other => other?,
    }
    let made = (|| -> anyhow::Result<()> {
        for d in [&p.upper, &p.work, &p.merged, &p.bundle] {
            fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        mount_rootfs(store, &img.id, &p)?;
        let spec = config.to_oci(&p.merged)?;
        bundle::write_bundle(&p.bundle, &spec)?;
        store.set_container_state(&id, ContainerState::Created)?;
        Ok(())
    })();
    if let Err(e) = made {
        let _ = remove_files(store, &record, true);
        let _ = store.delete_container(&id);
        return Err(e);
    }
    Ok(store.container(&id)?.unwrap_or(record))
}

fn mount_rootfs(store: &Store, image_id: &str, p: &Paths) -> anyhow::Result<()> {
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
    .with_context(|| {
        format!(
            "cannot mount the overlay root filesystem at {}",
            p.merged.display()
        )
    })
}

/// Unmounts the root filesystem (already unmounted is fine).
pub fn unmount_rootfs(p: &Paths) -> anyhow::Result<()> {
    match nix::mount::umount2(&p.merged, nix::mount::MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL | nix::errno::Errno::ENOENT) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot unmount {}", p.merged.display())),
    }
}

/// Removes a container's files (not its row): the runtime's state when `runtime_state` (a
/// created container; `runc run` removes its own when the process exits), the mount, the
/// directories.
pub fn remove_files(store: &Store, c: &ContainerRecord, runtime_state: bool) -> anyhow::Result<()> {
    let p = paths(store, &c.id);
    if runtime_state {
        if let Ok(rt) = crate::runtime::from_name(&c.runtime, store.runroot()) {
            let _ = rt.delete(&c.id, true);
        }
    }
    unmount_rootfs(&p)?;
    for d in [&p.dir, &p.bundle] {
        if d.exists() {
            fs::remove_dir_all(d).with_context(|| format!("cannot remove {}", d.display()))?;
        }
    }
    Ok(())
}

/// The container's metadata.
///
/// # Errors
/// A record written by another rpod version.
pub fn meta(c: &ContainerRecord) -> anyhow::Result<Meta> {
    serde_json::from_str(&c.spec_json)
        .with_context(|| format!("container {} has unreadable metadata", c.name))
}

/// Whether process `pid` exists and is not a zombie waiting to be reaped.
#[must_use]
pub fn alive(pid: i32) -> bool {
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
#[must_use]
pub fn monitor_pid(p: &Paths) -> Option<i32> {
    fs::read_to_string(&p.monitor_pid).ok()?.trim().parse().ok()
}

/// Fixes a record whose monitor died (killed, machine crash): running or created containers
/// without a living monitor are exited (code -1 if unknown). Returns the record as it now is.
pub fn reconcile(store: &Store, c: ContainerRecord) -> anyhow::Result<ContainerRecord> {
    if !matches!(
        c.state,
        ContainerState::Running | ContainerState::Configured
    ) {
        return Ok(c);
    }
    let p = paths(store, &c.id);
    let monitor_alive = monitor_pid(&p).is_some_and(alive);
    if monitor_alive {
        return Ok(c);
    }
    // Configured rows younger than a few seconds are being created right now.
    if c.state == ContainerState::Configured && c.created.elapsed().is_ok_and(|e| e.as_secs() < 30)
    {
        return Ok(c);
    }
    if c.state == ContainerState::Running {
        if let Some(pid) = c.pid {
            if alive(pid) {
                return Ok(c);
            }
        }
    }
    store.set_container_exited(&c.id, c.exit_code.unwrap_or(-1), SystemTime::now())?;
    let _ = unmount_rootfs(&p);
    Ok(store.container(&c.id)?.unwrap_or(c))
}

/// Appends the container's output to its log, one line per entry, in podman's k8s-file
/// format: `TIMESTAMP STREAM F LINE` (P for a partial line at the end of the stream).
pub fn copy_to_log(
    mut from: impl std::io::Read,
    stream: &'static str,
    log: &std::sync::Mutex<fs::File>,
    mut echo: Option<&mut dyn std::io::Write>,
) {
    let mut reader = std::io::BufReader::new(&mut from);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if let Some(w) = echo.as_deref_mut() {
            let _ = w.write_all(&line);
            let _ = w.flush();
        }
        let full = line.ends_with(b"\n");
        let body = if full {
            &line[..line.len() - 1]
        } else {
            &line[..]
        };
        let ts = timestamp();
        if let Ok(mut f) = log.lock() {
            let _ = write!(f, "{ts} {stream} {} ", if full { "F" } else { "P" });
            let _ = f.write_all(body);
            let _ = f.write_all(b"\n");
        }
    }
}

/// RFC 3339 with nanoseconds, UTC.
#[must_use]
pub fn timestamp() -> String {
    let d = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, dd) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        d.subsec_nanos()
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The log lines' text (without timestamps and streams), joining partial lines.
pub fn read_log(
    path: &Path,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> anyhow::Result<u64> {
    let f = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut n = 0;
    let mut r = std::io::BufReader::new(f);
    let mut line = Vec::new();
    loop {
        line.clear();
        let got = r.read_until(b'\n', &mut line)?;
        if got == 0 || !line.ends_with(b"\n") {
            break;
        }
        n += u64::try_from(got).unwrap_or(0);
        let mut parts = line.splitn(4, |b| *b == b' ');
        let (_ts, stream, tag, body) = (parts.next(), parts.next(), parts.next(), parts.next());
        let body = body.unwrap_or(b"\n");
        let w: &mut dyn std::io::Write = if stream == Some(b"stderr".as_slice()) {
            &mut *err
        } else {
            &mut *out
        };
        if tag == Some(b"P".as_slice()) {
            w.write_all(&body[..body.len().saturating_sub(1)])?;
        } else {
            w.write_all(body)?;
        }
    }
    out.flush()?;
    err.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn log_lines_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let log = std::sync::Mutex::new(fs::File::create(&path).unwrap());
        copy_to_log(&b"hello\nworld"[..], "stdout", &log, None);
        copy_to_log(&b"oops\n"[..], "stderr", &log, None);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(" stdout F hello\n"), "{text}");
        assert!(text.contains(" stdout P world\n"), "{text}");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        read_log(&path, &mut out, &mut err).unwrap();
        assert_eq!(out, b"hello\nworld");
        assert_eq!(err, b"oops\n");
    }
}
