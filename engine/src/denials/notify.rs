//! Denials under runc: the profile's denials go to the monitor as seccomp user notifications.
//!
//! Why. The kernel logs an ERRNO result only for a filter installed with
//! `SECCOMP_FILTER_FLAG_LOG`, and runc 1.1.5 refuses every seccomp flag ("seccomp flags are not
//! yet supported by runc"). So under runc, rpod's default runtime, the audit route of
//! [`super`] sees KILL and LOG results only (docs/denials.md).
//!
//! How. runc does take `SCMP_ACT_NOTIFY` rules with a `listenerPath` (not as the default
//! action: it refuses that). So [`rewrite`] turns the container's profile into one that gives
//! every call the original denies with an errno to the listener instead, and allows and kills
//! exactly what the original does:
//! 1. the profile is decompiled to a first-match program (`kafel_dsl::decompile`, which
//!    follows libseccomp's own resolution of overlapping rules);
//! 2. in it, each ERRNO rule becomes USER_NOTIF, and when the default is ERRNO every syscall
//!    libseccomp knows on the profile's arches gets a last USER_NOTIF rule: what fell through
//!    to the default now notifies;
//! 3. the program is lowered back to OCI JSON (`kafel_dsl::lower`), which writes each region
//!    as disjoint rules and checks them against libseccomp's build for every arch; the default
//!    action stays the original's, for the numbers libseccomp has no name for.
//!
//! The monitor holds a unix socket at `listenerPath` in the container's bundle directory. runc
//! connects to it once per filter it installs (`runc run`, and each `runc exec`, whose process
//! gets a filter of its own) and passes the listener fd. For each notification the monitor runs
//! the original profile's filter (built by libseccomp, in the BPF emulator) on the call's arch,
//! number and arguments, answers with the errno the original gives, and counts the denial with
//! the arguments of its first call. A denied call costs a round trip to the monitor; an allowed
//! call costs what it did (the allowed regions are the original's, and syscalls allowed
//! without conditions stay in the kernel's constant-action cache).
//!
//! Kept as they are:
//! - `write`: runc refuses NOTIFY on it (it writes to its sync pipe after installing the
//!   filter);
//! - unconditional ERRNO(ENOSYS) rules, "not implemented here" on purpose (a recorded profile's
//!   `clone3`): glibc calls `clone3` for every thread it makes, and a round trip each time would
//!   cost real time for calls [`super::Report::notable`] leaves out anyway;
//! - syscall numbers libseccomp has no name for: the default action, as before.
//!
//! Threat model. Whoever holds a listener fd decides the denied calls of the container: it
//! could let them run. The socket is in the bundle directory, which is root's and 0700, and is
//! made by the monitor before the runtime starts, a stale one removed first (never through a
//! symlink). The monitor never answers "continue": a call is only ever answered with an errno,
//! so a bug in the rewrite could at worst deny with a different errno, never allow. When the
//! monitor is gone (killed), the kernel answers every notification ENOSYS: still denied.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::IoSliceMut;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use kafel_dsl::decompile::{decompile, Options as DecompileOptions};
use kafel_dsl::ir::{Cond, Rule};
use kafel_dsl::source::Span;
use profiles::bpf::{self, Action};
use profiles::model::{Profile, Rule as OciRule};
use profiles::resolve::Context;
use profiles::{syscalls, Arch};
use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
use serde_json::Value;

use super::Error;

/// The socket's name in the bundle directory (`listenerPath`).
pub const SOCKET: &str = "seccomp.sock";
/// The container's profile as given (before [`rewrite`]), in the container's directory: the
/// monitor answers from it. Its presence says the container uses this route.
pub const ORIGINAL: &str = "seccomp-notify-original.json";
/// The syscalls [`Rewritten::unrouted`] names, one per line, in the container's directory.
pub const UNROUTED: &str = "seccomp-unrouted";
/// ENOSYS (asm-generic, x86_64 and aarch64).
const ENOSYS: u16 = 38;
/// The longest path a unix socket address holds (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;
/// Syscalls runc refuses NOTIFY for.
const NEVER_NOTIFY: &[&str] = &["write"];

/// Why a profile's denials cannot be routed to the monitor.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error("the container's seccomp profile does not load: {0}")]
    Load(String),
    #[error("the container's seccomp profile cannot be read back as a program: {0}")]
    Decompile(String),
    #[error("the denials of the container's seccomp profile cannot be written as OCI rules: {0}")]
    Lower(String),
}

/// What [`rewrite`] made of a profile.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rewritten {
    /// The profile to give runc.
    pub profile: Value,
    /// Syscalls whose denials stay unreported under runc: their rules are the original's,
    /// because the regions they deny cannot be written as OCI rules that mean the same on
    /// every arch of the profile (a 32-bit arch compares low words only: podman's
    /// `personality` rules). The calls are denied as before; only the report misses them.
    pub unrouted: Vec<String>,
}

/// `profile` with its ERRNO results given to a listener (see the module doc; the caller sets
/// `listenerPath`);
/// `None` when the profile denies nothing with an errno (nothing to route).
///
/// Each syscall name is written on its own: one whose rules (after the steps of the module
/// doc) are unconditional on every arch becomes one rule; one with argument conditions is
/// lowered alone, and when that fails its original rules are kept and it is named in
/// [`Rewritten::unrouted`].
///
/// # Errors
/// [`RewriteError`] when the profile does not load or does not read back as a program.
pub fn rewrite(profile: &Value) -> Result<Option<Rewritten>, RewriteError> {
    let text = profile.to_string();
    let loaded = profiles::load::from_str(&text)
        .map_err(|e| RewriteError::Load(format!("{e:?}")))?
        .profile;
    let cx = Context {
        host_arch: Arch::native(),
        ..Context::default()
    };
    let arches = loaded.arches_for(cx.host_arch);
    let policy_text = decompile(
        &loaded,
        &DecompileOptions {
            source_name: "container profile",
            context: &cx,
            arches: &arches,
        },
    );
    let policy = kafel_dsl::compile_str(
        "container profile",
        &policy_text,
        &kafel_dsl::Options {
            arches: arches.clone(),
            search_path: Vec::new(),
        },
    )
    .map_err(|e| RewriteError::Decompile(e.render()))?;
    let mut program = policy.program;
    let default_denies = matches!(program.default, Action::Errno(_));
    let mut routed = false;
    for s in program.syscalls.values_mut() {
        if s.libseccomp_name.is_some_and(|n| NEVER_NOTIFY.contains(&n)) {
            continue;
        }
        let span = s.rules.first().map(|r| r.span).unwrap_or_default();
        for r in &mut s.rules {
            if let Action::Errno(e) = r.action {
                if !(e == ENOSYS && r.cond == Cond::True) {
                    r.action = Action::UserNotif;
                    routed = true;
                }
            }
        }
        if default_denies {
            s.rules.push(Rule {
                action: Action::UserNotif,
                cond: Cond::True,
                span,
            });
        }
    }
    if default_denies {
        for &arch in &program.arches {
            for e in syscalls::table(arch) {
                if !e.libseccomp || NEVER_NOTIFY.contains(&e.name) {
                    continue;
                }
                program
                    .syscalls
                    .entry((arch, e.nr))
                    .or_insert_with(|| kafel_dsl::ir::Syscall {
                        written: e.name.to_string(),
                        libseccomp_name: Some(e.name),
                        rules: vec![Rule {
                            action: Action::UserNotif,
                            cond: Cond::True,
                            span: Span::default(),
                        }],
                    });
                routed = true;
            }
        }
    }
    if !routed {
        return Ok(None);
    }

    // Per libseccomp name, its entries on every arch.
    let mut by_name: BTreeMap<&'static str, Vec<(Arch, u32)>> = BTreeMap::new();
    for (&key, s) in &program.syscalls {
        if let Some(n) = s.libseccomp_name {
            by_name.entry(n).or_default().push(key);
        }
    }
    let default = program.default;
    let mut unconditional: BTreeMap<ActionKey, Vec<String>> = BTreeMap::new();
    let mut rules: Vec<OciRule> = Vec::new();
    let mut unrouted = Vec::new();
    for (name, keys) in by_name {
        // First-match: the first unconditional rule decides, when every rule before it is
        // unconditional too (then it is the first rule).
        let firsts: BTreeSet<Option<ActionKey>> = keys
            .iter()
            .map(|k| {
                let s = &program.syscalls[k];
                match s.rules.first() {
                    Some(r) if r.cond == Cond::True => Some(ActionKey(r.action)),
                    None => Some(ActionKey(default)),
                    Some(_) => None,
                }
            })
            .collect();
        if let [Some(a)] = firsts.into_iter().collect::<Vec<_>>()[..] {
            if a.0 != default {
                unconditional.entry(a).or_default().push(name.to_string());
            }
            continue;
        }
        let mut one = kafel_dsl::ir::Program {
            arches: program.arches.clone(),
            default,
            default_span: program.default_span,
            syscalls: BTreeMap::new(),
        };
        for k in &keys {
            one.syscalls.insert(*k, program.syscalls[k].clone());
        }
        match kafel_dsl::lower::to_profile(&one) {
            Ok(l) => rules.extend(l.profile.syscalls),
            Err(_) => {
                unrouted.push(name.to_string());
                rules.extend(
                    loaded
                        .syscalls
                        .iter()
                        .filter(|r| r.names.iter().any(|n| n == name))
                        .map(|r| OciRule {
                            names: vec![name.to_string()],
                            ..r.clone()
                        }),
                );
            }
        }
    }
    let mut out = Profile::new(loaded.default_action);
    out.default_errno_ret = loaded.default_errno_ret;
    out.architectures.clone_from(&loaded.architectures);
    out.arch_map.clone_from(&loaded.arch_map);
    for (a, names) in unconditional {
        let (action, errno_ret) = a.oci();
        out.syscalls.push(OciRule {
            names,
            action,
            errno_ret,
            args: Vec::new(),
            comment: String::new(),
            includes: Default::default(),
            excludes: Default::default(),
        });
    }
    out.syscalls.extend(rules);
    let profile = serde_json::to_value(&out).map_err(|e| RewriteError::Lower(e.to_string()))?;
    Ok(Some(Rewritten { profile, unrouted }))
}

/// An action, ordered (for grouping names by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ActionKey(Action);

impl ActionKey {
    fn oci(self) -> (profiles::model::ActionKind, Option<u32>) {
        self.0
            .to_oci_exact()
            .unwrap_or((profiles::model::ActionKind::Errno, Some(1)))
    }
}

impl PartialOrd for ActionKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ActionKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.to_ret().cmp(&other.0.to_ret())
    }
}

/// Routes the denials of the container's seccomp section `sc` to the monitor: keeps `sc` as
/// given in `dir`/[`ORIGINAL`] and replaces it by its [`rewrite`] with the listener in
/// `bundle`. A profile that denies nothing with an errno is left alone.
///
/// The rewrite of a profile is kept in `cache` (in the run root), named by the digest of the
/// profile and rpod's version: it takes about 100 ms for podman's default profile, and a
/// container start should not pay it each time. Written by temporary file and rename; an
/// entry that does not read back is made again.
///
/// # Errors
/// [`Error::ListenerPath`], [`Error::Route`], [`Error::Write`].
pub(super) fn route(sc: &mut Value, dir: &Path, bundle: &Path, cache: &Path) -> Result<(), Error> {
    let text = serde_json::to_string(sc).map_err(Error::Spec)?;
    let key =
        crate::container::sha256_hex(format!("{}\n{text}", env!("CARGO_PKG_VERSION")).as_bytes());
    let cached = cache.join(key.trim_start_matches("sha256:"));
    let new = match fs::read(&cached)
        .ok()
        .and_then(|b| serde_json::from_slice::<Cached>(&b).ok())
    {
        Some(c) => c.0,
        None => {
            let made = rewrite(sc).map_err(Error::Route)?;
            let _ = fs::create_dir_all(cache);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let tmp = cache.join(format!(".tmp-{}-{nanos}", std::process::id()));
            if let Ok(b) = serde_json::to_vec(&Cached(made.clone())) {
                if fs::write(&tmp, b).is_ok() {
                    let _ = fs::rename(&tmp, &cached);
                }
            }
            made
        }
    };
    let Some(mut new) = new else {
        return Ok(());
    };
    // Only a profile that routes something needs the listener (and a path short enough).
    let listener = socket_path(bundle)?.to_string_lossy().into_owned();
    let kept = dir.join(ORIGINAL);
    fs::write(&kept, text).map_err(|source| Error::Write { path: kept, source })?;
    let unrouted = dir.join(UNROUTED);
    fs::write(&unrouted, new.unrouted.join("\n")).map_err(|source| Error::Write {
        path: unrouted,
        source,
    })?;
    new.profile["listenerPath"] = Value::String(listener);
    *sc = new.profile;
    Ok(())
}

/// A cache entry: the rewrite, or `null` when the profile routes nothing.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cached(Option<Rewritten>);

/// Where the listener socket of the container whose bundle is `bundle` is.
///
/// # Errors
/// [`Error::ListenerPath`] when the path is too long for a unix socket.
pub fn socket_path(bundle: &Path) -> Result<PathBuf, Error> {
    let p = bundle.join(SOCKET);
    if p.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(Error::ListenerPath { path: p });
    }
    Ok(p)
}

/// The original filter, as runc builds it with libseccomp, for answering.
pub(super) fn original_filter(dir: &Path) -> Option<bpf::Program> {
    let text = fs::read_to_string(dir.join(ORIGINAL)).ok()?;
    let profile = profiles::load::from_str(&text).ok()?.profile;
    let cx = Context {
        host_arch: Arch::native(),
        ..Context::default()
    };
    profiles::compile::compile(&profile.resolve(&cx), None)
        .ok()
        .map(|c| c.program)
}

/// The listener: the socket runc connects to, and the listener fds it passed.
pub(super) struct Listener {
    pub socket: UnixListener,
    pub fds: Vec<OwnedFd>,
    path: PathBuf,
    /// Built on the first notification (libseccomp takes 10-20 ms for three arches; a
    /// container that is never denied anything never pays it).
    filter: Option<Option<bpf::Program>>,
    dir: PathBuf,
}

/// One answered notification.
pub(super) struct Notified {
    pub pid: u32,
    pub arch: u32,
    pub nr: u32,
    /// The original filter's return value (action and errno).
    pub ret: u32,
    pub args: [u64; 6],
    pub comm: String,
}

impl Listener {
    /// Binds the socket at `bundle`/[`SOCKET`] when the container in `dir` uses this route.
    ///
    /// # Errors
    /// [`Error::Listen`].
    pub fn open(dir: &Path, bundle: &Path) -> Result<Option<Listener>, Error> {
        if !dir.join(ORIGINAL).exists() {
            return Ok(None);
        }
        let path = socket_path(bundle)?;
        let err = |source| Error::Listen {
            path: path.clone(),
            source,
        };
        // A socket left by an earlier run (a monitor that was killed) is removed; anything
        // else there is not ours to remove.
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_socket() => fs::remove_file(&path).map_err(err)?,
            Ok(_) => {
                return Err(err(std::io::Error::other(
                    "something that is not a socket is in its place",
                )))
            }
            Err(_) => {}
        }
        let socket = UnixListener::bind(&path).map_err(err)?;
        socket.set_nonblocking(true).map_err(err)?;
        Ok(Some(Listener {
            socket,
            fds: Vec::new(),
            path,
            filter: None,
            dir: dir.to_path_buf(),
        }))
    }

    /// Takes the listener fd of each runtime connection waiting.
    pub fn accept(&mut self) {
        while let Ok((conn, _)) = self.socket.accept() {
            // runc sends the container's state (JSON) with the fd in one message
            // (`utils.SendFds`); only the fd matters. A connection that sends nothing within
            // a second is dropped.
            let _ = conn.set_nonblocking(false);
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(1)));
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
            let mut control = RecvAncillaryBuffer::new(&mut space);
            let mut buf = vec![0u8; 1 << 16];
            let mut iov = [IoSliceMut::new(&mut buf)];
            if rustix::net::recvmsg(&conn, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC).is_ok()
            {
                for msg in control.drain() {
                    if let RecvAncillaryMessage::ScmRights(fds) = msg {
                        self.fds.extend(fds);
                    }
                }
            }
        }
    }

    /// Answers one notification on `self.fds[i]`; `None` when there was none to take (the
    /// caller dropped it: interrupted, or its process is gone).
    pub fn answer(&mut self, i: usize) -> Option<Notified> {
        use libseccomp::{ScmpNotifReq, ScmpNotifResp, ScmpNotifRespFlags};
        let fd = self.fds[i].as_raw_fd();
        let req = ScmpNotifReq::receive(fd).ok()?;
        let arch = arch_of(req.data.arch);
        let nr = u32::try_from(req.data.syscall.as_raw_syscall()).unwrap_or(u32::MAX);
        let args = req.data.args;
        let dir = self.dir.clone();
        let filter = self.filter.get_or_insert_with(|| original_filter(&dir));
        // The original's answer; EPERM when it cannot be had (never "continue").
        let action = match (filter.as_ref(), arch) {
            (Some(p), Some(a)) => bpf::emulator::simulate(p, a, nr, args).action,
            _ => Action::Errno(1),
        };
        let errno = match action {
            Action::Errno(e) => e,
            _ => 1,
        };
        let resp = ScmpNotifResp::new(
            req.id,
            0,
            -i32::from(errno),
            ScmpNotifRespFlags::empty().bits(),
        );
        // Which process it was: read before answering, and trusted only if the notification
        // is still pending afterwards (the pid was not reused meanwhile).
        let comm = fs::read_to_string(format!("/proc/{}/comm", req.pid))
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default();
        let comm = if libseccomp::notify_id_valid(fd, req.id).is_ok() {
            comm
        } else {
            String::new()
        };
        let _ = resp.respond(fd);
        Some(Notified {
            pid: req.pid,
            arch: arch.map_or(0, Arch::audit_arch),
            nr,
            ret: Action::Errno(errno).to_ret(),
            args,
            comm,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn arch_of(a: libseccomp::ScmpArch) -> Option<Arch> {
    use libseccomp::ScmpArch as S;
    Some(match a {
        S::X8664 => Arch::X86_64,
        S::X86 => Arch::X86,
        S::X32 => Arch::X32,
        S::Aarch64 => Arch::Aarch64,
        S::Arm => Arch::Arm,
        _ => return None,
    })
}
