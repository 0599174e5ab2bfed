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
//! The monitor holds a unix socket at `listenerPath`, `RUNROOT/seccomp-listeners/ID32.sock`
//! (`container::Paths::listener`; not in the bundle, whose path is too long for one). runc
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
//! - syscall numbers libseccomp has no name for: the default action, as before;
//! - syscalls above runc's ENOSYS stub on some arch of the profile: runc answers every number
//!   above the highest one the profile names with ENOSYS, so that a libc falls back; naming
//!   a newer syscall would move the stub (and turn ENOSYS into the default errno), and OCI names
//!   a syscall for all arches at once, so a syscall newer than the profile on one of its arches
//!   (x32's `futex_waitv` in podman's default) keeps the default action everywhere.
//!
//! Threat model. Whoever holds a listener fd decides the denied calls of the container: it
//! could let them run. The socket's directory is root's and 0700 (checked), and the socket is
//! made by the monitor before the runtime starts, a stale one removed first (never through a
//! symlink). The monitor never answers "continue": a call is only ever answered with an errno,
//! so a bug in the rewrite could at worst deny with a different errno, never allow. When the
//! monitor is gone (killed), the kernel answers every notification ENOSYS: still denied.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::IoSliceMut;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use kafel_dsl::decompile::{decompile, Options as DecompileOptions};
use kafel_dsl::ir::{Cond, Rule};
use kafel_dsl::source::Span;
use nix::poll::PollFlags;
use profiles::bpf::{self, Action};
use profiles::enforce::{enforce, Target};
use profiles::model::{Profile, Rule as OciRule};
use profiles::resolve::Context;
use profiles::{syscalls, Arch};
use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
use serde_json::Value;

use super::{Error, ENOSYS};

/// The directory of the listener sockets in the run root (created 0700): one
/// `<first 32 hex digits of the id>.sock` per container (`container::Paths::listener`).
pub const LISTENERS: &str = "seccomp-listeners";
/// The container's profile as given (before [`rewrite`]), in the container's directory: the
/// monitor answers from it. Its presence says the container uses this route.
pub const ORIGINAL: &str = "seccomp-notify-original.json";
/// The syscalls [`Rewritten::unrouted`] names, one per line, in the container's directory.
pub const UNROUTED: &str = "seccomp-unrouted";
/// The longest path a unix socket address holds (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;
/// Connections kept waiting for their message, at most.
const MAX_PENDING: usize = 16;
/// Syscalls runc refuses NOTIFY for.
const NEVER_NOTIFY: &[&str] = &["write"];

/// Why a profile's denials cannot be routed to the monitor.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error("the container's seccomp profile does not load")]
    Load(#[source] profiles::load::Invalid),
    /// The decompiled text does not compile (a bug of the decompiler): its diagnostics.
    #[error("the container's seccomp profile cannot be read back as a program:\n{0}")]
    Decompile(String),
    #[error("the rewritten profile cannot be written as JSON")]
    Serialize(#[source] serde_json::Error),
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
        .map_err(RewriteError::Load)?
        .profile;
    let cx = Context {
        host_arch: Arch::native(),
        ..Context::default()
    };
    // What runc installs for the profile as given. A profile runc or libseccomp refuses
    // (filter flags, rules libseccomp rejects) is not rewritten: runc then says why, as it
    // would with reporting off. runc's ENOSYS stub answers every number above the highest one
    // the profile names; the rewrite must not name higher ones, or the stub would move.
    let resolved = loaded.resolve(&cx);
    let arches_of_profile = resolved.arches.clone();
    let Ok(enforced) = enforce(&resolved, None, Target::Runc) else {
        return Ok(None);
    };
    let stub: BTreeMap<Arch, u32> = enforced.stub.iter().map(|l| (l.arch, l.last)).collect();
    // OCI names a syscall for every arch at once: a name is added only where it stays at or
    // below the stub on each arch that has it.
    let below_stub = |name: &str| {
        enforced.stub.is_empty()
            || arches_of_profile.iter().all(|&a| {
                syscalls::entry(a, name)
                    .filter(|e| e.libseccomp)
                    .is_none_or(|e| stub.get(&a).is_some_and(|&last| e.nr <= last))
            })
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
                if !e.libseccomp || NEVER_NOTIFY.contains(&e.name) || !below_stub(e.name) {
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
    out.flags.clone_from(&loaded.flags);
    for (a, names) in unconditional {
        let Some((action, errno_ret)) = a.oci() else {
            return Ok(None);
        };
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
    let profile = serde_json::to_value(&out).map_err(RewriteError::Serialize)?;
    Ok(Some(Rewritten { profile, unrouted }))
}

/// An action, ordered (for grouping names by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ActionKey(Action);

impl ActionKey {
    /// The OCI action. Every action here came from the OCI profile (or is NOTIFY), so it has
    /// one; `None` would be a bug of the decompiler, and the caller then leaves the profile as
    /// given.
    fn oci(self) -> Option<(profiles::model::ActionKind, Option<u32>)> {
        self.0.to_oci_exact().ok()
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
/// given in `dir`/[`ORIGINAL`] and replaces it by its [`rewrite`] with the listener at
/// `socket`. A profile that denies nothing with an errno is left alone.
///
/// The rewrite of a profile is kept in `cache` (in the run root), named by the digest of the
/// profile and of this build of rpod ([`build_id`]): it takes about 100 ms for podman's
/// default profile, and a container start should not pay it each time. Written by temporary
/// file and rename; an entry that does not read back is made again.
///
/// # Errors
/// [`Error::ListenerPath`], [`Error::Route`], [`Error::Write`].
pub(super) fn route(sc: &mut Value, dir: &Path, socket: &Path, cache: &Path) -> Result<(), Error> {
    // runc refuses NOTIFY below libseccomp API level 6 (kernels before 5.7): reporting then
    // sees what the kernel logs without the flag (KILL and LOG), as before.
    if libseccomp::get_api() < 6 {
        return Ok(());
    }
    // A profile with a listener of its own (an agent of the user's) keeps it: its denials
    // are reported through audit only (KILL and LOG under runc).
    let has_notify = sc["syscalls"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["action"] == "SCMP_ACT_NOTIFY"));
    if sc.get("listenerPath").is_some_and(|p| !p.is_null()) || has_notify {
        return Ok(());
    }
    let text = serde_json::to_string(sc).map_err(Error::Spec)?;
    let key = crate::storage::Digest::of_bytes(format!("{}\n{text}", build_id()).as_bytes());
    let cached = cache.join(key.hex());
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
    check_socket_path(socket)?;
    let listener = socket.to_string_lossy().into_owned();
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

/// This build of rpod: its version and its executable's size, modification time and inode, so
/// a rebuilt rpod (whose rewrite may differ) never reads an earlier build's cache entries.
fn build_id() -> String {
    let exe = fs::metadata("/proc/self/exe")
        .map(|m| format!("{} {}.{} {}", m.len(), m.mtime(), m.mtime_nsec(), m.ino()))
        .unwrap_or_default();
    format!("{} {exe}", env!("CARGO_PKG_VERSION"))
}

/// A cache entry: the rewrite, or `null` when the profile routes nothing.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cached(Option<Rewritten>);

/// Checks that `path` fits in a unix socket address.
///
/// # Errors
/// [`Error::ListenerPath`] when the path is too long for a unix socket.
pub fn check_socket_path(path: &Path) -> Result<(), Error> {
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(Error::ListenerPath {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// The original filter as runc installs it (libseccomp's program behind runc's ENOSYS stub,
/// `profiles::enforce`), for answering.
pub(super) fn original_filter(dir: &Path) -> Option<bpf::Program> {
    let text = fs::read_to_string(dir.join(ORIGINAL)).ok()?;
    let profile = profiles::load::from_str(&text).ok()?.profile;
    let cx = Context {
        host_arch: Arch::native(),
        ..Context::default()
    };
    enforce(&profile.resolve(&cx), None, Target::Runc)
        .ok()
        .map(|e| e.program)
}

/// The listener: the socket runc connects to, and the listener fds it passed.
pub(super) struct Listener {
    socket: UnixListener,
    /// Listener fds, one per filter runc installed (`runc run`, each `runc exec`).
    fds: Vec<OwnedFd>,
    /// Connections accepted whose message has not arrived yet (never waited for: the same
    /// thread answers the notifications).
    pending: Vec<UnixStream>,
    path: PathBuf,
    /// Built on the first notification (libseccomp takes 10-20 ms for three arches; a
    /// container that is never denied anything never pays it).
    filter: Option<Option<bpf::Program>>,
    dir: PathBuf,
}

/// What [`Listener::answer`] did.
pub(super) enum Answer {
    Answered(Notified),
    /// No notification was pending after all.
    Gone,
    /// The fd cannot be answered on: the caller drops it.
    Broken,
}

/// Whether `fd` is a seccomp listener (`anon_inode:seccomp notify` in /proc), so that the
/// monitor only ever polls and answers listener fds.
fn is_listener(fd: &OwnedFd) -> bool {
    fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .is_ok_and(|l| l.as_os_str() == "anon_inode:seccomp notify")
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
    /// Binds the socket at `path` when the container in `dir` uses this route. Its directory
    /// is made 0700 when missing, and must be root's and not a symlink.
    ///
    /// # Errors
    /// [`Error::ListenerPath`], [`Error::Listen`].
    pub fn open(dir: &Path, path: &Path) -> Result<Option<Listener>, Error> {
        if !dir.join(ORIGINAL).exists() {
            return Ok(None);
        }
        check_socket_path(path)?;
        let path = path.to_path_buf();
        let err = |source| Error::Listen {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(err)?;
            let m = fs::symlink_metadata(parent).map_err(err)?;
            if !m.is_dir() || m.uid() != 0 || m.mode() & 0o022 != 0 {
                return Err(err(std::io::Error::other(
                    "its directory is not a directory of root's that only root can write to",
                )));
            }
        }
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
            pending: Vec::new(),
            path,
            filter: None,
            dir: dir.to_path_buf(),
        }))
    }

    /// The fds to poll, in the order [`Listener::on_ready`] takes their results: the socket,
    /// the listener fds, the pending connections.
    pub fn poll_fds(&self) -> impl Iterator<Item = BorrowedFd<'_>> {
        std::iter::once(self.socket.as_fd())
            .chain(self.fds.iter().map(AsFd::as_fd))
            .chain(self.pending.iter().map(AsFd::as_fd))
    }

    /// Handles what poll found ready (`ready` in [`Listener::poll_fds`]'s order): answers the
    /// notifications (a process waits on each), drops the listener fds whose processes are all
    /// gone, reads the connections that sent their message and accepts new ones.
    pub fn on_ready(&mut self, ready: &[Option<PollFlags>]) -> Vec<Notified> {
        let flags = |i: usize| {
            ready
                .get(i)
                .copied()
                .flatten()
                .unwrap_or(PollFlags::empty())
        };
        let hangup = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
        let mut out = Vec::new();
        let mut drop_fds = Vec::new();
        for i in 0..self.fds.len() {
            let r = flags(1 + i);
            if r.contains(PollFlags::POLLIN) {
                match self.answer(i) {
                    Answer::Answered(n) => out.push(n),
                    Answer::Gone => {}
                    Answer::Broken => drop_fds.push(i),
                }
            } else if r.intersects(hangup) {
                drop_fds.push(i);
            }
        }
        let first_pending = 1 + self.fds.len();
        let ready_pending: Vec<bool> = (0..self.pending.len())
            .map(|i| !flags(first_pending + i).is_empty())
            .collect();
        for i in drop_fds.into_iter().rev() {
            self.fds.remove(i);
        }
        let mut keep = Vec::new();
        for (conn, r) in std::mem::take(&mut self.pending)
            .into_iter()
            .zip(ready_pending)
        {
            if !r || !self.take_fds(&conn) {
                keep.push(conn);
            }
        }
        self.pending = keep;
        if flags(0).contains(PollFlags::POLLIN) {
            while let Ok((conn, _)) = self.socket.accept() {
                if conn.set_nonblocking(true).is_err() {
                    continue;
                }
                if !self.take_fds(&conn) {
                    self.pending.push(conn);
                }
            }
            // Only root reaches the socket (its directory is root's, 0700); still, connections
            // that never send are not kept without bound.
            if self.pending.len() > MAX_PENDING {
                let extra = self.pending.len() - MAX_PENDING;
                self.pending.drain(..extra);
            }
        }
        out
    }

    /// Reads the runtime's message on `conn` without waiting and keeps the listener fds it
    /// carries; false when nothing has arrived yet. runc sends the container's state (JSON)
    /// with the fd in one message (`utils.SendFds`); only the fd matters.
    fn take_fds(&mut self, conn: &UnixStream) -> bool {
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let mut buf = vec![0u8; 1 << 16];
        let mut iov = [IoSliceMut::new(&mut buf)];
        match rustix::net::recvmsg(
            conn,
            &mut iov,
            &mut control,
            RecvFlags::CMSG_CLOEXEC | RecvFlags::DONTWAIT,
        ) {
            Err(rustix::io::Errno::AGAIN) => false,
            Err(_) => true,
            Ok(_) => {
                for msg in control.drain() {
                    if let RecvAncillaryMessage::ScmRights(fds) = msg {
                        self.fds.extend(fds.filter(is_listener));
                    }
                }
                true
            }
        }
    }

    /// Answers one notification on `self.fds[i]`.
    pub fn answer(&mut self, i: usize) -> Answer {
        use libseccomp::{ScmpNotifReq, ScmpNotifResp, ScmpNotifRespFlags};
        let fd = self.fds[i].as_raw_fd();
        // ECANCELED: the ioctl failed, i.e. the call went away between poll and receive (a
        // fatal signal; the kernel says ENOENT, which libseccomp 2.5 reports as ECANCELED).
        // Only seccomp listener fds are polled ([`is_listener`]), and one whose processes are
        // all gone reports POLLHUP and is dropped.
        let req = match ScmpNotifReq::receive(fd) {
            Ok(r) => r,
            Err(e) if e.errno() == Some(libseccomp::error::SeccompErrno::ECANCELED) => {
                return Answer::Gone
            }
            // Any other failure comes after the kernel handed the notification over
            // (libseccomp-rs could not convert it): nobody can answer it now. Dropping the fd
            // makes the kernel answer it, and the filter's later calls, ENOSYS: still denied.
            Err(_) => return Answer::Broken,
        };
        let arch = profiles::compile::arch_from_scmp(req.data.arch);
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
        Answer::Answered(Notified {
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

#[cfg(test)]
mod tests {
    //! The rewrite's promise, checked differentially: on every arch of the profile, for every
    //! syscall number libseccomp knows (and a few it does not), at the boundary values of every
    //! constant of both profiles in every argument and at random combinations of them, the
    //! rewritten filter (as libseccomp builds it) gives the original's action, or NOTIFY where
    //! the original answers with an errno; and NOTIFY wherever the original answers with an
    //! errno, except for the syscalls the module doc keeps.
    use super::*;
    use profiles::bpf::emulator::simulate;
    use profiles::model::ArgCondition;

    /// A profile resolved for podman's default capabilities on this host, as the runtime spec
    /// holds it (no includes, the host's arches).
    fn as_runtime_section(json: &str) -> Value {
        let p = profiles::load::from_str(json).expect("loads").profile;
        let cx = Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        };
        let r = p.resolve(&cx);
        let (default_action, default_errno_ret) = r.default_action.to_oci_exact().expect("oci");
        let mut out = Profile::new(default_action);
        out.default_errno_ret = default_errno_ret;
        out.architectures.clone_from(&r.arches);
        for rule in &r.rules {
            let (action, errno_ret) = rule.action.to_oci_exact().expect("oci");
            out.syscalls.push(OciRule {
                names: rule.names.clone(),
                action,
                errno_ret,
                args: rule.args.clone(),
                comment: String::new(),
                includes: Default::default(),
                excludes: Default::default(),
            });
        }
        serde_json::to_value(&out).expect("json")
    }

    fn build(v: &Value) -> (bpf::Program, Profile) {
        let p = profiles::load::from_str(&v.to_string())
            .expect("loads")
            .profile;
        let cx = Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        };
        // As runc installs it: libseccomp's program behind runc's ENOSYS stub.
        let e = enforce(&p.resolve(&cx), None, Target::Runc).expect("runc takes it");
        (e.program, p)
    }

    fn constants(p: &Profile) -> Vec<u64> {
        let mut v = vec![0, 1, u64::from(u32::MAX), u64::MAX];
        for c in p.syscalls.iter().flat_map(|r| r.args.iter()) {
            let ArgCondition {
                value, value_two, ..
            } = *c;
            for x in [value, value_two] {
                v.extend([x, x.wrapping_add(1), x.wrapping_sub(1), x & 0xffff_ffff, !x]);
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Names the original answers ERRNO(ENOSYS) by an unconditional rule of their own.
    fn enosys_rules(p: &Profile) -> BTreeSet<String> {
        p.syscalls
            .iter()
            .filter(|r| {
                r.action == profiles::model::ActionKind::Errno
                    && r.errno_ret == Some(38)
                    && r.args.is_empty()
            })
            .flat_map(|r| r.names.iter().cloned())
            .collect()
    }

    fn check(name: &str, json: &str) -> Rewritten {
        let section = as_runtime_section(json);
        let rewritten = rewrite(&section)
            .expect("rewrites")
            .expect("routes something");
        let (orig, orig_p) = build(&section);
        let (new, new_p) = build(&rewritten.profile);
        let mut values = constants(&orig_p);
        values.extend(constants(&new_p));
        values.sort_unstable();
        values.dedup();
        let kept_enosys = enosys_rules(&orig_p);
        let cx = Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        };
        // runc's ENOSYS stub: numbers above the highest the original names answer ENOSYS in
        // the kernel, on purpose ("not implemented here"), and stay so.
        let stub: BTreeMap<Arch, u32> = enforce(&orig_p.resolve(&cx), None, Target::Runc)
            .expect("runc takes it")
            .stub
            .iter()
            .map(|l| (l.arch, l.last))
            .collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut probes = 0usize;
        for arch in orig_p.arches_for(Arch::X86_64) {
            // Every number libseccomp names, every number up to 600 (runc's ENOSYS stub sits
            // above the highest the profile names), and the same with x32's bit 30.
            let mut nrs: Vec<(u32, &str)> = syscalls::table(arch)
                .iter()
                .map(|e| (e.nr, e.name))
                .collect();
            for nr in (0..600).chain([1000, 0x3fff_ffff]) {
                nrs.push((nr, syscalls::name(arch, nr).unwrap_or("#unnamed")));
                nrs.push((
                    nr | 0x4000_0000,
                    syscalls::name(arch, nr | 0x4000_0000).unwrap_or("#x32"),
                ));
            }
            for (nr, sys) in nrs {
                let mut args_list: Vec<[u64; 6]> = vec![[0; 6]];
                for i in 0..6 {
                    for &v in &values {
                        let mut a = [0; 6];
                        a[i] = v;
                        args_list.push(a);
                    }
                }
                for _ in 0..8 {
                    let mut a = [0; 6];
                    for x in &mut a {
                        *x = values[usize::try_from(next() % values.len() as u64).unwrap()];
                    }
                    args_list.push(a);
                }
                for args in args_list {
                    probes += 1;
                    let o = simulate(&orig, arch, nr, args).action;
                    let n = simulate(&new, arch, nr, args).action;
                    let notify_ok = matches!(o, Action::Errno(_)) && n == Action::UserNotif;
                    assert!(
                        n == o || notify_ok,
                        "{name}: {arch} {sys} {args:x?}: original {o}, rewritten {n}"
                    );
                    let must_route = matches!(o, Action::Errno(_))
                        && syscalls::entry(arch, sys).is_some_and(|e| e.libseccomp)
                        && !NEVER_NOTIFY.contains(&sys)
                        && !rewritten.unrouted.iter().any(|u| u == sys)
                        && !(o == Action::Errno(38) && kept_enosys.contains(sys))
                        && orig_p.arches_for(Arch::X86_64).iter().all(|&a| {
                            syscalls::entry(a, sys)
                                .filter(|e| e.libseccomp)
                                .is_none_or(|e| stub.get(&a).is_none_or(|&last| e.nr <= last))
                        });
                    assert!(
                        !must_route || n == Action::UserNotif,
                        "{name}: {arch} {sys} {args:x?}: denied with {o} but not routed"
                    );
                }
            }
        }
        assert!(probes > 20_000, "{name}: only {probes} probes");
        rewritten
    }

    fn fixture(name: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../profiles/tests/fixtures")
            .join(name);
        fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn podmans_default_profile_is_routed_exactly_on_its_three_arches() {
        let r = check("podman", &fixture("podman-default.json"));
        // 32-bit arches compare low words only: podman's personality values cannot be
        // complemented the same way on all three arches.
        assert_eq!(r.unrouted, ["personality"]);
        assert_eq!(r.profile["defaultAction"], "SCMP_ACT_ERRNO");
        assert!(
            r.profile.get("listenerPath").is_none(),
            "the caller sets it"
        );
    }

    #[test]
    fn mobys_default_profile_is_routed_exactly() {
        check("moby", &fixture("moby-default.json"));
    }

    #[test]
    fn a_recorded_profile_with_argument_rules_is_routed_exactly() {
        // What `rpod seccomp record` writes (docs/recorded-profiles.md): clone without
        // namespace flags, clone3 answered ENOSYS, socket limited to families, ioctl and fcntl
        // groups, the base's netlink-audit EINVAL.
        let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [
              {"names": ["read", "write", "exit_group", "futex", "openat", "close", "mmap"],
               "action": "SCMP_ACT_ALLOW"},
              {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
              {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
              {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
              {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
              {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
               "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"},
                        {"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}]},
              {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 1, "value": 21505, "op": "SCMP_CMP_EQ"}]},
              {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 1, "value": 21523, "op": "SCMP_CMP_EQ"}]},
              {"names": ["fcntl"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 1, "value": 4, "op": "SCMP_CMP_LE"}]},
              {"names": ["prctl"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "value": 15, "op": "SCMP_CMP_EQ"}]}
            ]}"#;
        let r = check("recorded", json);
        assert!(r.unrouted.is_empty(), "{:?}", r.unrouted);
        // clone3 stays ERRNO(ENOSYS): glibc calls it for every thread.
        let rules = r.profile["syscalls"].as_array().unwrap();
        assert!(rules.iter().any(|x| x["action"] == "SCMP_ACT_ERRNO"
            && x["names"].as_array().unwrap().iter().any(|n| n == "clone3")));
    }

    #[test]
    fn a_profile_that_denies_nothing_with_an_errno_is_left_alone() {
        let json = r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_KILL_PROCESS"}]}"#;
        assert!(rewrite(&as_runtime_section(json)).unwrap().is_none());
    }

    #[test]
    fn a_denylist_profile_routes_only_its_errno_rules() {
        let json = r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["acct", "swapon"], "action": "SCMP_ACT_ERRNO"},
                         {"names": ["reboot"], "action": "SCMP_ACT_KILL_PROCESS"}]}"#;
        check("denylist", json);
    }

    #[test]
    fn a_profile_with_a_listener_of_its_own_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut sc = serde_json::json!({"defaultAction": "SCMP_ACT_ERRNO",
            "listenerPath": "/run/agent.sock",
            "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                         {"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}]});
        let before = sc.clone();
        route(&mut sc, dir.path(), dir.path(), &dir.path().join("cache")).unwrap();
        assert_eq!(sc, before);
        assert!(!dir.path().join(ORIGINAL).exists());
    }

    #[test]
    fn the_monitor_answers_as_runc_would_including_its_enosys_stub() {
        // moby's default names syscalls up to some number; runc answers every higher one
        // ENOSYS (so a libc falls back), not the default EPERM: the monitor's answer must too.
        let dir = tempfile::tempdir().unwrap();
        let section = as_runtime_section(&fixture("moby-default.json"));
        fs::write(dir.path().join(ORIGINAL), section.to_string()).unwrap();
        let filter = original_filter(dir.path()).expect("built");
        let (_, p) = build(&section);
        let cx = Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        };
        let e = enforce(&p.resolve(&cx), None, Target::Runc).unwrap();
        let last = e.stub.iter().find(|l| l.arch == Arch::X86_64).unwrap().last;
        let above = syscalls::table(Arch::X86_64)
            .iter()
            .find(|s| s.nr > last)
            .expect("a syscall newer than the profile");
        let answer = |nr| simulate(&filter, Arch::X86_64, nr, [0; 6]).action;
        assert_eq!(answer(above.nr), Action::Errno(38), "{}", above.name);
        // A syscall the profile does not name, below the stub: the default errno.
        let acct = syscalls::number(Arch::X86_64, "acct").unwrap();
        assert_eq!(answer(acct), Action::Errno(1));
    }

    #[test]
    fn a_listener_path_too_long_for_a_unix_socket_is_refused() {
        let long = Path::new("/run").join("x".repeat(100)).join("a.sock");
        assert!(matches!(
            check_socket_path(&long),
            Err(Error::ListenerPath { .. })
        ));
        assert!(check_socket_path(Path::new("/run/rpod/seccomp-listeners/abc.sock")).is_ok());
    }
}
