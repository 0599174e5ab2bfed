//! Denials you can see: which syscalls a container's seccomp filter denied, how often, from
//! which process (docs/denials.md).
//!
//! The mechanism. The runtime installs the container's filter with `SECCOMP_FILTER_FLAG_LOG`
//! (added by `bundle::seccomp`), so the kernel logs every ERRNO, TRAP, TRACE and KILL result
//! (and LOG, complain mode) through `audit_seccomp()` as an `AUDIT_SECCOMP` (1326) record
//! (`kernel/seccomp.c`, `seccomp_log()`; which actions: `/proc/sys/kernel/seccomp/actions_logged`).
//! An allowed syscall never gets there, so nothing costs anything until something is denied.
//! The monitor reads those records from the audit netlink socket's read-only multicast group
//! (`AUDIT_NLGRP_READLOG`, CAP_AUDIT_READ), which gets every record, unlike the kernel log,
//! where audit records without auditd are rate-limited printks (10 per 5 s here).
//!
//! Scope. Before the monitor's thread starts the runtime it takes a new audit session
//! (writes its login uid to `/proc/thread-self/loginuid`): the kernel gives the thread a fresh
//! session id, inherited by every process forked from it and by nothing else, and every
//! record carries it (`ses=`). Records of other sessions are ignored: other processes on the
//! machine are never counted, and none is looked at.
//!
//! Crash safety: the counts are written to `denials.json` in the container's directory by
//! write-to-temporary and rename, when they change (at most every 200 ms) and at exit.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    bind, recv, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr, SockFlag,
    SockProtocol, SockType,
};
use profiles::Arch;

mod complain;
pub mod notify;
use serde::{Deserialize, Serialize};

/// `AUDIT_SECCOMP` (include/uapi/linux/audit.h).
const AUDIT_SECCOMP: u16 = 1326;
/// `AUDIT_NLGRP_READLOG`: the read-only multicast group, bit 0 of the groups mask.
const AUDIT_NLGRP_READLOG: u32 = 1;
/// The file in the container's directory.
pub const FILE: &str = "denials.json";

/// Why denials cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the audit netlink socket (needs CAP_AUDIT_READ and CONFIG_AUDIT)")]
    Socket(#[source] nix::Error),
    #[error("cannot make the collector's pipe")]
    Pipe(#[source] std::io::Error),
    #[error("cannot take an audit session for the container: {path}")]
    Session {
        path: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unknown seccomp mode {value:?} in the annotation io.rpod.seccomp.mode (use complain or enforce)")]
    Mode { value: String },
    #[error("unknown value {value:?} in the annotation io.rpod.seccomp.denials (use on or off)")]
    Report { value: String },
    #[error("complain mode (io.rpod.seccomp.mode=complain) needs denial reporting, and io.rpod.seccomp.denials is off")]
    ComplainUnreported,
    #[error("complain mode (io.rpod.seccomp.mode=complain) needs a seccomp profile, and the container runs unconfined")]
    ComplainUnconfined,
    #[error("cannot rewrite the container's seccomp section")]
    Spec(#[source] serde_json::Error),
    #[error("the seccomp listener path {} is longer than a unix socket address holds (107 bytes); use a shorter --runroot, or --runtime crun, or --annotation io.rpod.seccomp.denials=off", path.display())]
    ListenerPath { path: PathBuf },
    #[error("cannot listen for the container's seccomp notifications on {} (it must be a socket rpod can make in a directory of root's that only root can write to; remove what is there, or run with --annotation io.rpod.seccomp.denials=off)", path.display())]
    Listen {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot report the denials of this profile under runc (use --runtime crun, or --annotation io.rpod.seccomp.denials=off to run without reporting)")]
    Route(#[source] notify::RewriteError),
    #[error("{} is not a denials file", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// One syscall denied to one process with one result, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denial {
    /// libseccomp's name, or `#N` for a number this arch's table lacks.
    pub syscall: String,
    pub nr: u32,
    /// The syscall's arch (`SCMP_ARCH_*`).
    pub arch: String,
    /// The filter's action: `SCMP_ACT_ERRNO`, `SCMP_ACT_KILL_PROCESS`, `SCMP_ACT_LOG` (allowed,
    /// complain mode), ...
    pub action: String,
    pub count: u64,
    /// Host pid of the process.
    pub pid: u32,
    pub comm: String,
    /// The errno the call got, when known: under runc, where the monitor answers the call
    /// itself ([`notify`]); the kernel's audit record carries the action only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno: Option<u16>,
    /// The arguments of the first such call, when known (as `errno`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<[u64; 6]>,
}

/// A container's denials, the content of `denials.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Sorted by syscall, action, pid.
    pub denials: Vec<Denial>,
    /// Syscalls the profile answers ENOSYS by a rule of its own, whatever the arguments: "not
    /// implemented here" on purpose, which C libraries take as "fall back" (a recorded
    /// profile answers `clone3` so, and glibc's threads then use `clone`:
    /// docs/recorded-profiles.md). Their calls are listed but not [`Report::notable`]. (The
    /// kernel's audit record carries the action, not the errno, so this comes from the
    /// profile: [`complain::prepare`].)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enosys_on_purpose: Vec<String>,
}

impl Report {
    /// Calls denied in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.denials.iter().map(|d| d.count).sum()
    }

    /// Whether anything was denied (LOG results of complain mode are not denials).
    pub fn denied(&self) -> impl Iterator<Item = &Denial> {
        self.denials.iter().filter(|d| d.action != "SCMP_ACT_LOG")
    }

    /// The denials worth a user's attention: [`Report::denied`] without the calls answered
    /// ENOSYS. ENOSYS says "not implemented here" and C libraries fall back on it (a recorded
    /// profile answers `clone3` so, on purpose, and glibc's threads then use `clone`:
    /// docs/recorded-profiles.md); `rpod seccomp denials` still lists them.
    pub fn notable(&self) -> impl Iterator<Item = &Denial> {
        self.denied()
            .filter(|d| d.action != ERRNO || !self.enosys_on_purpose.contains(&d.syscall))
    }

    /// The one line `rpod run` prints at exit, `None` when nothing [`Report::notable`] was
    /// denied:
    /// `rpod: seccomp denied 3 syscalls in NAME: sendfile x2 (nginx, pid 12), fsync x1 (redis, pid 40)`.
    /// Syscalls by count, most first; each names the process that made most of its calls.
    #[must_use]
    pub fn summary(&self, container: &str) -> Option<String> {
        let mut by: BTreeMap<&str, (u64, &Denial)> = BTreeMap::new();
        let mut total = 0;
        for d in self.notable() {
            total += d.count;
            let e = by.entry(d.syscall.as_str()).or_insert((0, d));
            e.0 += d.count;
            if d.count > e.1.count {
                e.1 = d;
            }
        }
        if total == 0 {
            return None;
        }
        let mut list: Vec<_> = by.into_iter().collect();
        list.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        let parts: Vec<String> = list
            .iter()
            .map(|(name, (n, d))| format!("{name} x{n} ({}, pid {})", d.comm, d.pid))
            .collect();
        let calls = if total == 1 { "syscall" } else { "syscalls" };
        Some(format!(
            "rpod: seccomp denied {total} {calls} in {container}: {} (rpod seccomp denials {container})",
            parts.join(", ")
        ))
    }

    /// Reads `denials.json` in `dir`; an empty report when there is none (nothing denied).
    ///
    /// # Errors
    /// [`Error::Read`], [`Error::Parse`].
    pub fn load(dir: &Path) -> Result<Report, Error> {
        let path = dir.join(FILE);
        match fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|source| Error::Parse { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Report::default()),
            Err(source) => Err(Error::Read { path, source }),
        }
    }

    /// Writes `denials.json` in `dir` (temporary file and rename: a reader never sees half).
    ///
    /// # Errors
    /// [`Error::Write`].
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(FILE);
        let tmp = dir.join(format!(".{FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(
                serde_json::to_string_pretty(self)
                    .unwrap_or_default()
                    .as_bytes(),
            )?;
            f.write_all(b"\n")?;
            f.sync_data()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|source| Error::Write { path, source })
    }
}

pub use complain::{complains, prepare, Delta, DELTA, MODE_ANNOTATION, REPORT_ANNOTATION};

/// Whether the container in `dir` reports denials (`io.rpod.seccomp.denials` not `off`, and a
/// seccomp filter in force).
#[must_use]
pub fn enabled(dir: &Path) -> bool {
    !dir.join(complain::OFF).exists()
}

/// One `AUDIT_SECCOMP` record's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub ses: u32,
    pub pid: u32,
    pub comm: String,
    pub arch: u32,
    pub nr: u32,
    pub code: u32,
}

/// Parses the text of an `AUDIT_SECCOMP` record (`kernel/auditsc.c`, `audit_seccomp()` and
/// `audit_log_task()`): `audit(T:S): auid=.. uid=.. gid=.. ses=N ... pid=P comm="C" exe=".."
/// sig=0 arch=c000003e syscall=110 compat=0 ip=0x.. code=0x50000`.
pub(crate) fn parse(text: &str) -> Option<Record> {
    let field = |k: &str| {
        text.split(' ')
            .find_map(|w| w.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
    };
    // comm is quoted, or hex when it has spaces or quotes (audit_log_untrustedstring).
    let comm = field("comm").map_or_else(String::new, |c| {
        if let Some(q) = c.strip_prefix('"') {
            q.trim_end_matches('"').to_string()
        } else {
            (0..c.len() / 2)
                .filter_map(|i| u8::from_str_radix(c.get(2 * i..2 * i + 2)?, 16).ok())
                .map(char::from)
                .collect()
        }
    });
    Some(Record {
        ses: field("ses")?.parse().ok()?,
        pid: field("pid")?.parse().ok()?,
        comm,
        arch: u32::from_str_radix(field("arch")?, 16).ok()?,
        nr: field("syscall")?.parse().ok()?,
        code: u32::from_str_radix(field("code")?.trim_start_matches("0x"), 16).ok()?,
    })
}

fn action_name(code: u32) -> &'static str {
    // SECCOMP_RET_* (include/uapi/linux/seccomp.h), action part.
    match code & 0xffff_0000 {
        0x0000_0000 => "SCMP_ACT_KILL_THREAD",
        0x8000_0000 => "SCMP_ACT_KILL_PROCESS",
        0x0003_0000 => "SCMP_ACT_TRAP",
        0x0005_0000 => "SCMP_ACT_ERRNO",
        0x7fc0_0000 => "SCMP_ACT_NOTIFY",
        0x7ff0_0000 => "SCMP_ACT_TRACE",
        0x7ffc_0000 => "SCMP_ACT_LOG",
        _ => "SCMP_ACT_UNKNOWN",
    }
}

type Key = (u32, u32, u32, u32); // pid, arch, nr, action and its data (the errno)

const ERRNO: &str = "SCMP_ACT_ERRNO";

/// ENOSYS (asm-generic, x86_64 and aarch64): "not implemented here", which C libraries take as
/// "fall back" ([`Report::enosys_on_purpose`], [`notify`]'s kept rules).
const ENOSYS: u16 = 38;

/// Distinct (pid, syscall, result) entries kept; past it, calls are counted under pid 0 and
/// comm `(other)`, so a container of many short-lived processes that are each denied
/// something cannot grow the monitor's memory or `denials.json` without bound.
const MAX_ENTRIES: usize = 4096;

/// One entry's count, process name, and what the call got and carried when known.
struct Entry {
    count: u64,
    comm: String,
    errno: Option<u16>,
    args: Option<[u64; 6]>,
}

#[derive(Default)]
struct Counts {
    counts: BTreeMap<Key, Entry>,
    /// [`Report::enosys_on_purpose`].
    enosys_on_purpose: Vec<String>,
}

impl Counts {
    fn add(&mut self, r: &Record) {
        self.add_call((r.pid, r.arch, r.nr, r.code), &r.comm, None);
    }

    /// A call the monitor answered itself ([`notify`]): its errno and arguments are known.
    fn add_notified(&mut self, n: &notify::Notified) {
        self.add_call(
            (n.pid, n.arch, n.nr, n.ret),
            &n.comm,
            Some((u16::try_from(n.ret & 0xffff).unwrap_or(0), n.args)),
        );
    }

    fn add_call(&mut self, mut key: Key, comm: &str, known: Option<(u16, [u64; 6])>) {
        if self.counts.len() >= MAX_ENTRIES && !self.counts.contains_key(&key) {
            key.0 = 0;
        }
        let comm = if key.0 == 0 { "(other)" } else { comm };
        let e = self.counts.entry(key).or_insert_with(|| Entry {
            count: 0,
            comm: comm.to_string(),
            errno: known.map(|k| k.0),
            args: known.map(|k| k.1),
        });
        e.count += 1;
    }

    fn report(&self) -> Report {
        let mut denials: Vec<Denial> = self
            .counts
            .iter()
            .map(|(&(pid, arch, nr, code), e)| {
                let a = Arch::from_audit_arch(arch);
                Denial {
                    syscall: a
                        .and_then(|a| profiles::syscalls::name(a, nr))
                        .map_or_else(|| format!("#{nr}"), str::to_string),
                    nr,
                    arch: a.map_or_else(|| format!("{arch:#x}"), |a| a.scmp_name().to_string()),
                    action: action_name(code).to_string(),
                    count: e.count,
                    pid,
                    comm: e.comm.clone(),
                    errno: e.errno,
                    args: e.args,
                }
            })
            .collect();
        denials.sort_by(|a, b| (&a.syscall, &a.action, a.pid).cmp(&(&b.syscall, &b.action, b.pid)));
        Report {
            denials,
            enosys_on_purpose: self.enosys_on_purpose.clone(),
        }
    }
}

/// What a finished collector found.
#[derive(Debug, Clone, Default)]
pub struct Finished {
    pub report: Report,
    /// Complain mode: the delta written, what it allows and what it left out.
    pub delta: Option<Delta>,
    /// What was not watched, and why (the audit socket could not be opened while runc's
    /// denials were answered by the monitor: KILL and LOG results were not seen).
    pub warning: Option<String>,
}

/// A running collector: a thread reading the audit socket for one session.
pub struct Collector {
    /// Closing it wakes the reader to stop.
    stop: Option<std::io::PipeWriter>,
    handle: Option<JoinHandle<Report>>,
    /// The container's directory: where `denials.json` and, in complain mode, the delta go.
    dir: PathBuf,
    warning: Option<String>,
}

// A monitor that returns early (an error before the runtime ran) drops the collector: the
// pipe's writer closes and the reader stops too.

/// Gives the calling thread a new audit session and returns its id: every process it forks
/// from now on carries it. The login uid written is the thread's own when set, else its uid
/// (what a root login would have given the container anyway).
fn new_session() -> Result<u32, Error> {
    let err = |path| move |source| Error::Session { path, source };
    let current = fs::read_to_string("/proc/thread-self/loginuid")
        .map_err(err("/proc/thread-self/loginuid"))?;
    let uid = match current.trim().parse::<u32>() {
        Ok(u) if u != u32::MAX => u,
        _ => nix::unistd::getuid().as_raw(),
    };
    fs::write("/proc/thread-self/loginuid", uid.to_string())
        .map_err(err("/proc/thread-self/loginuid"))?;
    let ses = fs::read_to_string("/proc/thread-self/sessionid")
        .map_err(err("/proc/thread-self/sessionid"))?;
    ses.trim().parse().map_err(|_| Error::Session {
        path: "/proc/thread-self/sessionid",
        source: std::io::Error::other("not a number"),
    })
}

impl Collector {
    /// Opens the audit socket, gives the calling thread (the one that will start the runtime)
    /// a new audit session, and starts reading records into `dir`/`denials.json` (an earlier
    /// run's is removed).
    ///
    /// # Errors
    /// [`Error::Socket`], [`Error::Session`].
    pub fn start(dir: PathBuf, listener: &Path) -> Result<Collector, Error> {
        // Under runc the container cannot start without its listener ([`notify`]): made
        // first, and an error stops the start.
        let listener = notify::Listener::open(&dir, listener)?;
        // The report is of this run: an earlier run's would stay when this one denies nothing
        // (the file is written only when something was denied).
        let _ = fs::remove_file(dir.join(FILE));
        let audit = (|| {
            let fd = socket(
                AddressFamily::Netlink,
                SockType::Raw,
                SockFlag::SOCK_CLOEXEC,
                SockProtocol::NetlinkAudit,
            )
            .map_err(Error::Socket)?;
            bind(fd.as_raw_fd(), &NetlinkAddr::new(0, AUDIT_NLGRP_READLOG))
                .map_err(Error::Socket)?;
            let _ = setsockopt(&fd, sockopt::RcvBuf, &(1 << 20));
            let ses = new_session()?;
            Ok::<_, Error>((fd, ses))
        })();
        let (audit, warning) = match (audit, &listener) {
            (Ok(a), _) => (Some(a), None),
            (Err(e), Some(_)) => (
                None,
                Some(format!(
                    "KILL and LOG results were not watched: {}",
                    profiles::chain::one_line(&e)
                )),
            ),
            (Err(e), None) => return Err(e),
        };
        let (wake, stop) = std::io::pipe().map_err(Error::Pipe)?;
        let d = dir.clone();
        let handle = std::thread::spawn(move || read_loop(audit.as_ref(), listener, &d, &wake));
        Ok(Collector {
            stop: Some(stop),
            handle: Some(handle),
            dir,
            warning,
        })
    }

    /// Stops reading once the records already queued are in, writes the file and returns the
    /// report. Always waits a little for records still on their way: 100 ms after the stop
    /// when this session had records; else until the kernel's audit queue is empty (asked by
    /// `AUDIT_GET` every millisecond, at most 100 ms) and 1 ms more.
    /// In complain mode ([`prepare`]), also writes the profile delta ([`DELTA`]).
    ///
    /// # Errors
    /// [`Error::Read`], [`Error::Parse`] (the kept profile) or [`Error::Write`] (the delta)
    /// in complain mode. The report is then not returned, but its counts are already in
    /// `denials.json`.
    pub fn finish(mut self) -> Result<Finished, Error> {
        drop(self.stop.take());
        let report = self
            .handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let delta = complain::write_delta(&self.dir, &report)?;
        Ok(Finished {
            report,
            delta,
            warning: self.warning.take(),
        })
    }
}

/// `AUDIT_GET` (include/uapi/linux/audit.h): asks for `struct audit_status`.
const AUDIT_GET: u16 = 1000;

/// The kernel's audit queue length (`struct audit_status.backlog`), through a request on an
/// audit netlink socket of its own; `None` when the kernel does not answer.
fn audit_backlog() -> Option<u32> {
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkAudit,
    )
    .ok()?;
    // struct nlmsghdr: len 16, type AUDIT_GET, flags NLM_F_REQUEST, seq 1, pid 0.
    let mut req = [0u8; 16];
    req[0..4].copy_from_slice(&16u32.to_ne_bytes());
    req[4..6].copy_from_slice(&AUDIT_GET.to_ne_bytes());
    req[6..8].copy_from_slice(&1u16.to_ne_bytes());
    req[8..12].copy_from_slice(&1u32.to_ne_bytes());
    nix::sys::socket::sendto(
        fd.as_raw_fd(),
        &req,
        &NetlinkAddr::new(0, 0),
        MsgFlags::empty(),
    )
    .ok()?;
    // On the container's exit path: a kernel that does not answer must not hang it there.
    setsockopt(
        &fd,
        sockopt::ReceiveTimeout,
        &nix::sys::time::TimeVal::new(0, 20_000),
    )
    .ok()?;
    let mut buf = [0u8; 256];
    let n = recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()).ok()?;
    // After the header: mask, enabled, failure, pid, rate_limit, backlog_limit, lost, backlog.
    let ty = u16::from_ne_bytes([buf[4], buf[5]]);
    if ty != AUDIT_GET || n < 16 + 32 {
        return None;
    }
    Some(u32::from_ne_bytes([buf[44], buf[45], buf[46], buf[47]]))
}

/// Waits (polling every millisecond, until `deadline`) for the audit queue to be empty.
fn wait_for_empty_queue(deadline: Instant) {
    while audit_backlog().is_some_and(|b| b > 0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Reads the audit records of session `ses` (when the audit socket is open) and answers the
/// notifications of `listener` (runc, [`notify`]) until woken by `wake`.
fn read_loop(
    audit: Option<&(OwnedFd, u32)>,
    mut listener: Option<notify::Listener>,
    dir: &Path,
    wake: &std::io::PipeReader,
) -> Report {
    let mut counts = Counts {
        enosys_on_purpose: complain::enosys_on_purpose(dir),
        ..Counts::default()
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut dirty = false;
    let mut last_write = Instant::now();
    let mut last_record: Option<Instant> = None;
    let mut stop_at: Option<Instant> = None;
    loop {
        // Asleep in poll until a record or the stop (the pipe's writer closed): no wake-ups
        // while nothing is denied. Counts that changed are flushed within 200 ms.
        let wait = match (stop_at, dirty) {
            (Some(t), _) => t.saturating_duration_since(Instant::now()),
            (None, true) => Duration::from_millis(200).saturating_sub(last_write.elapsed()),
            (None, false) => Duration::MAX,
        };
        let timeout = if wait == Duration::MAX {
            PollTimeout::NONE
        } else {
            // At most 60 s: a longer wait only loops once more.
            PollTimeout::from(u16::try_from(wait.as_millis().min(60_000)).unwrap_or(60_000))
        };
        // wake, then the audit socket, the listener socket and its listener fds.
        let mut fds = vec![PollFd::new(wake.as_fd(), PollFlags::POLLIN)];
        if let Some((fd, _)) = audit {
            fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLIN));
        }
        let first_listener = fds.len();
        if let Some(l) = &listener {
            fds.extend(l.poll_fds().map(|f| PollFd::new(f, PollFlags::POLLIN)));
        }
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(_) => break,
        }
        let ready: Vec<Option<PollFlags>> = fds.iter().map(PollFd::revents).collect();
        drop(fds);
        let woken = ready[0].is_some_and(|r| !r.is_empty());
        if let Some(l) = &mut listener {
            for n in l.on_ready(&ready[first_listener..]) {
                counts.add_notified(&n);
                dirty = true;
            }
        }
        if stop_at.is_none() && woken && audit.is_none() {
            stop_at = Some(Instant::now());
        }
        if stop_at.is_none() && woken {
            // kauditd delivers asynchronously: a record queued by a process that has exited
            // may still be on its way. When this session had records, give the last ones
            // 100 ms; else wait until the kernel's audit queue is empty (at most 100 ms) and
            // for one more millisecond (kauditd sends right after it dequeues).
            stop_at = Some(if last_record.is_some() {
                Instant::now() + Duration::from_millis(100)
            } else {
                wait_for_empty_queue(Instant::now() + Duration::from_millis(100));
                Instant::now() + Duration::from_millis(1)
            });
        }
        // Everything queued, without blocking.
        while let Some((fd, ses)) = audit {
            let n = match recv(fd.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
                Ok(n) => n,
                // ENOBUFS: the socket overran (records of the machine were dropped); go on.
                Err(nix::errno::Errno::ENOBUFS | nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            };
            if n >= 16 {
                // struct nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32; the text.
                let ty = u16::from_ne_bytes([buf[4], buf[5]]);
                if ty == AUDIT_SECCOMP {
                    let text = String::from_utf8_lossy(&buf[16..n]);
                    if let Some(r) = parse(&text).filter(|r| r.ses == *ses) {
                        counts.add(&r);
                        dirty = true;
                        last_record = Some(Instant::now());
                    }
                }
            }
        }
        if dirty && last_write.elapsed() >= Duration::from_millis(200) {
            let _ = counts.report().save(dir);
            dirty = false;
            last_write = Instant::now();
        }
        if stop_at.is_some_and(|t| Instant::now() >= t) {
            break;
        }
    }
    let report = counts.report();
    if dirty || !report.denials.is_empty() {
        let _ = report.save(dir);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seccomp_record_is_parsed_into_its_fields() {
        let r = parse("audit(1796673208.258:70633): auid=0 uid=0 gid=0 ses=12 pid=20270 comm=\"d\" exe=\"/tmp/d\" sig=0 arch=c000003e syscall=110 compat=0 ip=0x7f7900e13829 code=0x50000").unwrap();
        assert_eq!(
            r,
            Record {
                ses: 12,
                pid: 20270,
                comm: "d".into(),
                arch: 0xc000_003e,
                nr: 110,
                code: 0x50000
            }
        );
        let hex =
            parse("audit(1:2): ses=1 pid=3 comm=6120620A arch=c000003e syscall=1 code=0x80000000")
                .unwrap();
        assert_eq!(hex.comm, "a b\n");
    }

    #[test]
    fn the_summary_names_each_syscall_with_its_count_and_process_most_first() {
        let mut c = Counts::default();
        let rec = |pid, comm: &str, nr, code| Record {
            ses: 1,
            pid,
            comm: comm.into(),
            arch: 0xc000_003e,
            nr,
            code,
        };
        c.add(&rec(12, "nginx", 40, 0x50001));
        c.add(&rec(12, "nginx", 40, 0x50001));
        c.add(&rec(40, "redis", 74, 0x50001));
        c.add(&rec(40, "redis", 1, 0x7ffc_0000));
        let r = c.report();
        assert_eq!(
            r.summary("web").unwrap(),
            "rpod: seccomp denied 3 syscalls in web: sendfile x2 (nginx, pid 12), fsync x1 (redis, pid 40) (rpod seccomp denials web)"
        );
        assert_eq!(Report::default().summary("web"), None);
    }

    #[test]
    fn calls_the_profile_answers_enosys_on_purpose_are_listed_but_not_in_the_summary() {
        let mut c = Counts {
            enosys_on_purpose: vec!["clone3".into()],
            ..Counts::default()
        };
        let rec = |nr| Record {
            ses: 1,
            pid: 7,
            comm: "redis".into(),
            arch: 0xc000_003e,
            nr,
            // The audit record has the action only, never the errno.
            code: 0x50000,
        };
        c.add(&rec(435));
        let r = c.report();
        assert_eq!(r.denied().count(), 1);
        assert_eq!(r.summary("db"), None);
        c.add(&rec(83));
        assert_eq!(
            c.report().summary("db").unwrap(),
            "rpod: seccomp denied 1 syscall in db: mkdir x1 (redis, pid 7) (rpod seccomp denials db)"
        );
    }

    #[test]
    fn distinct_entries_are_bounded_and_the_rest_is_counted_as_other() {
        let mut c = Counts::default();
        for pid in 1..=u32::try_from(MAX_ENTRIES).unwrap() + 10 {
            c.add(&Record {
                ses: 1,
                pid,
                comm: "w".into(),
                arch: 0xc000_003e,
                nr: 83,
                code: 0x50000,
            });
        }
        let r = c.report();
        assert_eq!(r.denials.len(), MAX_ENTRIES + 1);
        assert_eq!(r.total(), u64::try_from(MAX_ENTRIES).unwrap() + 10);
        assert!(r
            .denials
            .iter()
            .any(|d| d.pid == 0 && d.comm == "(other)" && d.count == 10));
    }
}
