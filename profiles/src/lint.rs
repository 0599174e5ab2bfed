//! `rpod seccomp lint`: what a security reviewer would flag in a profile.
//!
//! A profile is linted for one container context (host architecture, capabilities, kernel), as
//! the runtime would receive it: `includes`/`excludes` are resolved first, so a rule that only
//! applies with `CAP_SYS_ADMIN` is judged only when the container has it (and then reported as
//! info: the capability, not the profile, carries that risk). The enforced filter is compiled
//! with libseccomp and run in the emulator wherever a finding depends on what libseccomp made of
//! the profile (overlapping rules, shadowed allows, architecture guards), so findings describe
//! the filter the kernel gets, not just the JSON.
//!
//! Every finding has a stable [`LintId`], a [`Severity`], a location (the JSON path of the rule
//! and the syscall), a message and a concrete fix. [`RISKY`] is the one table of dangerous
//! syscalls; [`crate::explain`] marks the same syscalls inline.
//!
//! ```
//! use profiles::{lint, load, resolve::Context, Arch};
//!
//! let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
//!                "syscalls": [{"names": ["read", "unshare"], "action": "SCMP_ACT_ALLOW"}]}"#;
//! let profile = load::from_str(json)?.profile;
//! let cx = Context { host_arch: Arch::X86_64, ..Context::default() };
//! let report = lint::lint(&profile, &cx);
//! assert!(report.findings.iter().any(|f| f.id == lint::LintId::DangerousAllow));
//! assert!(lint::fails(&report.findings, lint::Severity::High));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::arch::Arch;
use crate::bpf::{self, Action};
use crate::compile::{self, Compiled, NoteKind};
use crate::explain::{self, ContextSummary};
use crate::model::{ArgCondition, KernelVersion, Op, Profile};
use crate::resolve::{Context, Resolved, ResolvedRule};
use crate::{errno, solve, syscalls};

/// How much a finding matters, from `info` (worth knowing) to `critical` (a known container
/// escape or a host takeover if reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: &'static [Severity] = &[
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A severity name that is not one of `info`, `low`, `medium`, `high`, `critical`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity '{name}' (expected info, low, medium, high or critical)")]
pub struct UnknownSeverity {
    pub name: String,
}

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        Severity::ALL
            .iter()
            .copied()
            .find(|v| v.name() == lower)
            .ok_or_else(|| UnknownSeverity {
                name: s.to_string(),
            })
    }
}

/// The stable id of a kind of finding (what `--format json` and CI filters match on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LintId {
    /// A syscall from [`RISKY`] is allowed (ALLOW or LOG).
    DangerousAllow,
    /// `clone` may create namespaces (no rule masks `CLONE_NEW*`), or `clone3` is allowed.
    UnconditionalCloneNamespaces,
    /// `personality` is allowed for more than the query and the values podman permits.
    PersonalityBeyondQuery,
    /// `socketcall` is allowed on an arch that has it while socket syscalls are restricted.
    MultiplexerSocketcall,
    /// `ipc` is allowed on an arch that has it while SysV IPC syscalls are restricted.
    MultiplexerIpc,
    /// A syscall of an ABI the filter does not cover is not killed.
    MissingArchGuard,
    /// A compat ABI of the host is not covered: its syscalls get libseccomp's bad-arch action.
    CompatArchKilled,
    /// The default action allows (a denylist).
    DefaultAllow,
    /// The default action kills only the calling thread.
    DefaultKillThread,
    /// The default errno is not ENOSYS, so libc cannot fall back to older syscalls.
    DefaultErrnoNotEnosys,
    /// A denylist denies a syscall but not another entry point to the same operation.
    DenylistGap,
    /// A rule's action equals the default action; runc and crun drop it.
    RuleEqualsDefault,
    /// Two rules with different actions match the same call.
    OverlappingRules,
    /// A rule compares one argument twice; runc turns the AND into an OR.
    SameArgumentTwice,
    /// A syscall the linked libseccomp cannot resolve; runc and crun skip it.
    UnknownToLibseccomp,
    /// A constant above 32 bits on a 32-bit arch, where libseccomp ignores the high word.
    HighWordOn32bit,
    /// A filter flag that is applied at install time, not in the BPF program.
    FlagNotInBpf,
    /// A rule repeats another.
    DuplicateRule,
    /// `SCMP_ACT_ERRNO` with errno 0: the syscall "succeeds" without running.
    ErrnoZero,
    /// libseccomp refused the profile; runc and crun would refuse to start the container.
    CompileFailed,
    /// libseccomp built a filter that disagrees with the rules (checked in the emulator).
    LibseccompMisbuild,
    /// Too many argument combinations to check libseccomp's filter against the rules.
    NotVerified,
}

impl LintId {
    pub const ALL: &'static [LintId] = &[
        LintId::DangerousAllow,
        LintId::UnconditionalCloneNamespaces,
        LintId::PersonalityBeyondQuery,
        LintId::MultiplexerSocketcall,
        LintId::MultiplexerIpc,
        LintId::MissingArchGuard,
        LintId::CompatArchKilled,
        LintId::DefaultAllow,
        LintId::DefaultKillThread,
        LintId::DefaultErrnoNotEnosys,
        LintId::DenylistGap,
        LintId::RuleEqualsDefault,
        LintId::OverlappingRules,
        LintId::SameArgumentTwice,
        LintId::UnknownToLibseccomp,
        LintId::HighWordOn32bit,
        LintId::FlagNotInBpf,
        LintId::DuplicateRule,
        LintId::ErrnoZero,
        LintId::CompileFailed,
        LintId::LibseccompMisbuild,
        LintId::NotVerified,
    ];

    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            LintId::DangerousAllow => "dangerous-allow",
            LintId::UnconditionalCloneNamespaces => "unconditional-clone-namespaces",
            LintId::PersonalityBeyondQuery => "personality-beyond-query",
            LintId::MultiplexerSocketcall => "multiplexer-socketcall",
            LintId::MultiplexerIpc => "multiplexer-ipc",
            LintId::MissingArchGuard => "missing-arch-guard",
            LintId::CompatArchKilled => "compat-arch-killed",
            LintId::DefaultAllow => "default-allow",
            LintId::DefaultKillThread => "default-kill-thread",
            LintId::DefaultErrnoNotEnosys => "default-errno-not-enosys",
            LintId::DenylistGap => "denylist-gap",
            LintId::RuleEqualsDefault => "rule-equals-default",
            LintId::OverlappingRules => "overlapping-rules",
            LintId::SameArgumentTwice => "same-argument-twice",
            LintId::UnknownToLibseccomp => "unknown-to-libseccomp",
            LintId::HighWordOn32bit => "high-word-on-32bit",
            LintId::FlagNotInBpf => "flag-not-in-bpf",
            LintId::DuplicateRule => "duplicate-rule",
            LintId::ErrnoZero => "errno-zero",
            LintId::CompileFailed => "compile-failed",
            LintId::LibseccompMisbuild => "libseccomp-misbuild",
            LintId::NotVerified => "not-verified",
        }
    }
}

impl fmt::Display for LintId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for LintId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// Where a finding is: a JSON path into the profile and, for rules, the syscall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// `syscalls[3]`, `defaultAction`, `architectures`; empty for the profile as a whole.
    pub path: String,
    /// The index into `syscalls[]` when the finding is about a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syscall: Option<String>,
}

impl Location {
    fn top(path: &str) -> Location {
        Location {
            path: path.to_string(),
            rule: None,
            syscall: None,
        }
    }

    fn rule(rule: usize, syscall: Option<&str>) -> Location {
        Location {
            path: format!("syscalls[{rule}]"),
            rule: Some(rule),
            syscall: syscall.map(str::to_string),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "profile"
        } else {
            &self.path
        };
        match &self.syscall {
            Some(s) => write!(f, "{path} {s}"),
            None => f.write_str(path),
        }
    }
}

/// One thing a reviewer should know about the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: LintId,
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    pub fix: String,
}

/// How many findings of each severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

/// The result of linting one profile for one context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub context: ContextSummary,
    /// The architectures the filter covers, host first.
    pub arches: Vec<Arch>,
    /// Sorted by severity (worst first), then location.
    pub findings: Vec<Finding>,
    pub counts: Counts,
}

/// Whether any finding is at least `fail_on` (the exit status of `rpod seccomp lint`).
#[must_use]
pub fn fails(findings: &[Finding], fail_on: Severity) -> bool {
    findings.iter().any(|f| f.severity >= fail_on)
}

/// A syscall that should not be allowed lightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Risk {
    pub syscall: &'static str,
    pub severity: Severity,
    /// The capability the kernel asks for, which a profile can mirror with `includes.caps`.
    pub needs: Option<&'static str>,
    /// One line, lowercase, no trailing period.
    pub reason: &'static str,
}

const fn risk(
    syscall: &'static str,
    severity: Severity,
    needs: Option<&'static str>,
    reason: &'static str,
) -> Risk {
    Risk {
        syscall,
        severity,
        needs,
        reason,
    }
}

const MOUNT_API: &str = "mounts filesystems, exposing their code to the container, and can cover or uncover paths; a new user namespace grants the capability for some filesystems";

/// Dangerous syscalls, sorted by name. Severities weigh what the syscall reaches when the
/// capability check passes (a container with the capability, or a user namespace where one
/// suffices) against how often the kernel code behind it has been the way in.
/// `clone`, `clone3`, `unshare` and `personality` are judged by their arguments in [`assess`].
pub static RISKY: &[Risk] = &[
    risk("acct", Severity::Low, Some("CAP_SYS_PACCT"), "switches host-wide process accounting on or off"),
    risk("add_key", Severity::Medium, None, "the kernel keyring is not namespaced: containers of one user share keys, and keyring bugs reach the host kernel"),
    risk("bpf", Severity::High, Some("CAP_BPF"), "loads programs into the kernel and can read kernel memory; the verifier is a frequent source of kernel exploits"),
    risk("clock_settime", Severity::Medium, Some("CAP_SYS_TIME"), "sets the host's clock, which is not namespaced"),
    risk("clock_settime64", Severity::Medium, Some("CAP_SYS_TIME"), "sets the host's clock, which is not namespaced"),
    risk("delete_module", Severity::High, Some("CAP_SYS_MODULE"), "unloads host kernel modules, security modules included"),
    risk("fanotify_init", Severity::Low, Some("CAP_SYS_ADMIN"), "watches and can block file access on a whole filesystem"),
    risk("finit_module", Severity::Critical, Some("CAP_SYS_MODULE"), "loads code into the host kernel"),
    risk("fsconfig", Severity::High, Some("CAP_SYS_ADMIN"), MOUNT_API),
    risk("fsmount", Severity::High, Some("CAP_SYS_ADMIN"), MOUNT_API),
    risk("fsopen", Severity::High, Some("CAP_SYS_ADMIN"), MOUNT_API),
    risk("fspick", Severity::High, Some("CAP_SYS_ADMIN"), MOUNT_API),
    risk("init_module", Severity::Critical, Some("CAP_SYS_MODULE"), "loads code into the host kernel"),
    risk("io_uring_enter", Severity::High, None, "io_uring runs file and network operations inside the kernel without their own syscalls, so seccomp never sees them; a large, often exploited attack surface"),
    risk("io_uring_register", Severity::High, None, "io_uring runs file and network operations inside the kernel without their own syscalls, so seccomp never sees them; a large, often exploited attack surface"),
    risk("io_uring_setup", Severity::High, None, "io_uring runs file and network operations inside the kernel without their own syscalls, so seccomp never sees them; a large, often exploited attack surface"),
    risk("ioperm", Severity::High, Some("CAP_SYS_RAWIO"), "gives direct access to hardware I/O ports"),
    risk("iopl", Severity::High, Some("CAP_SYS_RAWIO"), "gives direct access to all hardware I/O ports"),
    risk("kexec_file_load", Severity::Critical, Some("CAP_SYS_BOOT"), "replaces the running host kernel"),
    risk("kexec_load", Severity::Critical, Some("CAP_SYS_BOOT"), "replaces the running host kernel"),
    risk("keyctl", Severity::Medium, None, "the kernel keyring is not namespaced: containers of one user share keys, and keyring bugs reach the host kernel"),
    risk("lookup_dcookie", Severity::Low, Some("CAP_SYS_ADMIN"), "returns host paths of kernel directory entries (oprofile)"),
    risk("mount", Severity::High, Some("CAP_SYS_ADMIN"), MOUNT_API),
    risk("mount_setattr", Severity::High, Some("CAP_SYS_ADMIN"), "changes mount properties such as read-only and idmapping"),
    risk("move_mount", Severity::High, Some("CAP_SYS_ADMIN"), MOUNT_API),
    risk("open_by_handle_at", Severity::Critical, Some("CAP_DAC_READ_SEARCH"), "opens any file of a mounted filesystem by its handle, outside the container's mounts (the \"shocker\" escape)"),
    risk("open_tree", Severity::High, Some("CAP_SYS_ADMIN"), MOUNT_API),
    risk("open_tree_attr", Severity::High, Some("CAP_SYS_ADMIN"), MOUNT_API),
    risk("perf_event_open", Severity::High, Some("CAP_PERFMON"), "exposes kernel addresses and hardware counters; a frequent source of kernel exploits and side channels"),
    risk("pidfd_getfd", Severity::Low, Some("CAP_SYS_PTRACE"), "copies file descriptors out of another process (ptrace access rules)"),
    risk("pivot_root", Severity::Medium, Some("CAP_SYS_ADMIN"), "changes the root mount of the mount namespace"),
    risk("process_vm_readv", Severity::Low, Some("CAP_SYS_PTRACE"), "reads another process's memory (ptrace access rules)"),
    risk("process_vm_writev", Severity::Medium, Some("CAP_SYS_PTRACE"), "writes another process's memory (ptrace access rules)"),
    risk("ptrace", Severity::Medium, Some("CAP_SYS_PTRACE"), "reads and changes other processes; before Linux 4.8 a tracer could change a syscall after seccomp allowed it"),
    risk("reboot", Severity::Low, Some("CAP_SYS_BOOT"), "kills the container's init, and reboots the host when the container shares the host's PID namespace"),
    risk("request_key", Severity::Medium, None, "the kernel keyring is not namespaced: containers of one user share keys, and keyring bugs reach the host kernel"),
    risk("setns", Severity::Medium, Some("CAP_SYS_ADMIN"), "joins other namespaces given a namespace fd, e.g. one leaked through a shared /proc"),
    risk("settimeofday", Severity::Medium, Some("CAP_SYS_TIME"), "sets the host's clock, which is not namespaced"),
    risk("stime", Severity::Medium, Some("CAP_SYS_TIME"), "sets the host's clock, which is not namespaced"),
    risk("swapoff", Severity::Medium, Some("CAP_SYS_ADMIN"), "changes the host's swap devices"),
    risk("swapon", Severity::Medium, Some("CAP_SYS_ADMIN"), "changes the host's swap devices"),
    risk("syslog", Severity::Low, Some("CAP_SYSLOG"), "reads and clears the kernel log, which leaks kernel addresses"),
    risk("umount", Severity::Medium, Some("CAP_SYS_ADMIN"), "removes mounts, which can uncover paths the runtime masked (/proc/kcore, /sys/firmware)"),
    risk("umount2", Severity::Medium, Some("CAP_SYS_ADMIN"), "removes mounts, which can uncover paths the runtime masked (/proc/kcore, /sys/firmware)"),
    risk("unshare", Severity::High, None, "creates namespaces; a new user namespace gives the process every capability over what it creates, reaching kernel code (netfilter, filesystems) otherwise reserved to root"),
    risk("userfaultfd", Severity::Medium, None, "lets a process stall the kernel on a page fault, a common way to win kernel race conditions"),
];

/// The [`RISKY`] entry for `name`.
#[must_use]
pub fn risk_of(name: &str) -> Option<&'static Risk> {
    RISKY
        .binary_search_by(|r| r.syscall.cmp(name))
        .ok()
        .map(|i| &RISKY[i])
}

// Namespace flags from include/uapi/linux/sched.h.
const CLONE_NEWTIME: u64 = 0x0000_0080;
const CLONE_NEWNS: u64 = 0x0002_0000;
const CLONE_NEWCGROUP: u64 = 0x0200_0000;
const CLONE_NEWUTS: u64 = 0x0400_0000;
const CLONE_NEWIPC: u64 = 0x0800_0000;
const CLONE_NEWUSER: u64 = 0x1000_0000;
const CLONE_NEWPID: u64 = 0x2000_0000;
const CLONE_NEWNET: u64 = 0x4000_0000;

/// The namespace flags `clone` takes. CLONE_NEWTIME (0x80) shares its bit with the exit signal
/// in `clone`'s flags, so only `clone3` and `unshare` can ask for a time namespace.
const CLONE_NS_FLAGS: &[(u64, &str)] = &[
    (CLONE_NEWNS, "CLONE_NEWNS"),
    (CLONE_NEWCGROUP, "CLONE_NEWCGROUP"),
    (CLONE_NEWUTS, "CLONE_NEWUTS"),
    (CLONE_NEWIPC, "CLONE_NEWIPC"),
    (CLONE_NEWUSER, "CLONE_NEWUSER"),
    (CLONE_NEWPID, "CLONE_NEWPID"),
    (CLONE_NEWNET, "CLONE_NEWNET"),
];

/// moby's mask: every namespace flag `clone` takes (0x7e020000).
pub const CLONE_NS_MASK: u64 = CLONE_NEWNS
    | CLONE_NEWCGROUP
    | CLONE_NEWUTS
    | CLONE_NEWIPC
    | CLONE_NEWUSER
    | CLONE_NEWPID
    | CLONE_NEWNET;

/// `personality` values podman and moby allow: PER_LINUX, PER_LINUX32, UNAME26,
/// PER_LINUX32|UNAME26, and 0xffffffff, which only queries the current persona.
pub const PERSONALITY_ALLOWED: &[u64] = &[0, 0x8, 0x2_0000, 0x2_0008, 0xffff_ffff];

/// Persona flags whose use weakens exploit mitigations (include/uapi/linux/personality.h).
const PERSONALITY_WEAKENING: &[(u64, &str)] = &[
    (0x0004_0000, "ADDR_NO_RANDOMIZE turns off ASLR"),
    (
        0x0040_0000,
        "READ_IMPLIES_EXEC makes readable memory executable",
    ),
    (0x0010_0000, "MMAP_PAGE_ZERO maps page 0"),
];

/// The argument that holds `clone`'s flags: s390 and s390x swap the first two arguments
/// (moby's profile carries a separate rule for them).
#[must_use]
pub fn clone_flags_index(arch: Arch) -> u8 {
    if matches!(arch, Arch::S390 | Arch::S390x) {
        1
    } else {
        0
    }
}

/// Why allowing one syscall under one rule's conditions is risky.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub id: LintId,
    pub severity: Severity,
    /// One line, lowercase, no trailing period.
    pub reason: String,
    /// A capability the kernel asks for; `includes.caps` can mirror it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<&'static str>,
    /// Arguments the rule lets through that show the risk, when the risk depends on them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<[u64; 6]>,
}

fn masked(index: u8, bits: u64) -> ArgCondition {
    ArgCondition {
        index,
        value: bits,
        value_two: bits,
        op: Op::MaskedEq,
    }
}

/// Whether a rule with `args` lets a call through whose flags argument has `bit` set.
fn lets_bit_through(args: &[ArgCondition], index: u8, bit: u64) -> Option<[u64; 6]> {
    solve::rules_overlap(args, &[masked(index, bit)])
}

fn namespace_assessment(
    id: LintId,
    args: &[ArgCondition],
    index: u8,
    flags: &[(u64, &str)],
) -> Option<Assessment> {
    if let Some(w) = lets_bit_through(args, index, CLONE_NEWUSER) {
        let example = if args.is_empty() {
            String::new()
        } else {
            format!(" (e.g. args[{index}] = {:#x})", w[usize::from(index)])
        };
        return Some(Assessment {
            id,
            severity: Severity::High,
            reason: format!(
                "it can create a user namespace{example}, which gives the process every capability over the namespaces it creates, reaching kernel code (netfilter, filesystems) otherwise reserved to root"
            ),
            needs: None,
            witness: Some(w),
        });
    }
    let mut open = Vec::new();
    let mut witness = None;
    for (bit, flag) in flags {
        if let Some(w) = lets_bit_through(args, index, *bit) {
            open.push(*flag);
            witness.get_or_insert(w);
        }
    }
    if open.is_empty() {
        return None;
    }
    Some(Assessment {
        id,
        severity: Severity::Medium,
        reason: format!(
            "it can create namespaces ({}), which without CLONE_NEWUSER needs CAP_SYS_ADMIN",
            open.join(", ")
        ),
        needs: Some("CAP_SYS_ADMIN"),
        witness,
    })
}

/// Why allowing `name` when `args` hold (one rule's conditions) is risky on a filter for
/// `host`, or `None` when it is not.
#[must_use]
pub fn assess(name: &str, args: &[ArgCondition], host: Arch) -> Option<Assessment> {
    match name {
        "clone" => namespace_assessment(
            LintId::UnconditionalCloneNamespaces,
            args,
            clone_flags_index(host),
            CLONE_NS_FLAGS,
        ),
        "clone3" => Some(Assessment {
            id: LintId::UnconditionalCloneNamespaces,
            severity: Severity::High,
            reason: "its flags live in struct clone_args in memory, which seccomp cannot read, so any namespace flag passes, CLONE_NEWUSER included".into(),
            needs: None,
            witness: None,
        }),
        "unshare" => {
            let mut flags = CLONE_NS_FLAGS.to_vec();
            flags.push((CLONE_NEWTIME, "CLONE_NEWTIME"));
            namespace_assessment(LintId::DangerousAllow, args, 0, &flags)
        }
        "personality" => personality_assessment(args),
        _ => risk_of(name).map(|r| Assessment {
            id: LintId::DangerousAllow,
            severity: r.severity,
            reason: r.reason.to_string(),
            needs: r.needs,
            witness: None,
        }),
    }
}

fn personality_assessment(args: &[ArgCondition]) -> Option<Assessment> {
    let outside: Vec<ArgCondition> = PERSONALITY_ALLOWED
        .iter()
        .map(|v| ArgCondition {
            index: 0,
            value: *v,
            value_two: 0,
            op: Op::Ne,
        })
        .collect();
    let w = solve::rules_overlap(args, &outside)?;
    let weakening: Vec<&str> = PERSONALITY_WEAKENING
        .iter()
        .filter(|(bit, _)| {
            let exact = ArgCondition {
                index: 0,
                value: *bit,
                value_two: 0,
                op: Op::Eq,
            };
            solve::rules_overlap(args, &[exact]).is_some()
        })
        .map(|(_, what)| *what)
        .collect();
    let effect = if weakening.is_empty() {
        format!("e.g. {:#x}", w[0])
    } else {
        weakening.join("; ")
    };
    Some(Assessment {
        id: LintId::PersonalityBeyondQuery,
        severity: Severity::Low,
        reason: format!(
            "it accepts personas beyond the query (0xffffffff) and those podman permits: {effect}"
        ),
        needs: None,
        witness: Some(w),
    })
}

/// Whether an action lets the syscall run.
#[must_use]
pub fn allows(a: Action) -> bool {
    matches!(a, Action::Allow | Action::Log)
}

/// The action with its errno name: `ERRNO(38 ENOSYS)`, `ALLOW`.
#[must_use]
pub fn action_label(a: Action) -> String {
    match a {
        Action::Errno(e) => match errno::name(u32::from(e)) {
            Some(n) => format!("ERRNO({e} {n})"),
            None => a.to_string(),
        },
        _ => a.to_string(),
    }
}

/// The architectures whose syscalls reach a kernel built for `host` (its compat ABIs).
#[must_use]
pub fn compat_arches(host: Arch) -> &'static [Arch] {
    match host {
        Arch::X86_64 => &[Arch::X86, Arch::X32],
        Arch::Aarch64 => &[Arch::Arm],
        Arch::S390x => &[Arch::S390],
        Arch::Ppc64 => &[Arch::Ppc],
        Arch::Mips64 => &[Arch::Mips, Arch::Mips64n32],
        Arch::Mips64n32 => &[Arch::Mips, Arch::Mips64],
        Arch::Mipsel64 => &[Arch::Mipsel, Arch::Mipsel64n32],
        Arch::Mipsel64n32 => &[Arch::Mipsel, Arch::Mipsel64],
        _ => &[],
    }
}

/// What the compiled filter does with `name` called with `args`, on the first of `arches`
/// where the syscall exists, with that arch.
#[must_use]
pub fn enforced(
    compiled: &Compiled,
    arches: &[Arch],
    name: &str,
    args: [u64; 6],
) -> Option<(Arch, Action)> {
    arches.iter().find_map(|a| {
        syscalls::number(*a, name)
            .map(|nr| (*a, bpf::simulate(&compiled.program, *a, nr, args).action))
    })
}

/// Whether `name` exists on any of `arches`.
#[must_use]
pub fn exists_on_any(arches: &[Arch], name: &str) -> bool {
    arches.iter().any(|a| syscalls::number(*a, name).is_some())
}

/// The conjunctions libseccomp receives for a rule's conditions: the rule itself, or one per
/// condition when an argument repeats (runc and crun split such rules), with MASKED_EQ
/// comparing `valueTwo & value` as libseccomp does.
fn pieces(args: &[ArgCondition]) -> Vec<Vec<ArgCondition>> {
    let mut counts = [0usize; 6];
    for c in args {
        if let Some(n) = counts.get_mut(usize::from(c.index)) {
            *n += 1;
        }
    }
    let args: Vec<ArgCondition> = args.iter().map(|c| solve::enforced(c, false)).collect();
    if counts.iter().any(|n| *n > 1) {
        args.into_iter().map(|c| vec![c]).collect()
    } else {
        vec![args]
    }
}

/// The multiplexer (`socketcall`, `ipc`) through which libseccomp filters `name` on `arch`
/// when the syscall has no number of its own there (`recv` on x86).
#[must_use]
pub fn multiplexer(arch: Arch, name: &str) -> Option<&'static str> {
    if syscalls::number(arch, name).is_some() {
        return None;
    }
    [("socketcall", SOCKET_CALLS), ("ipc", IPC_CALLS)]
        .into_iter()
        .find(|(mux, calls)| calls.contains(&name) && syscalls::number(arch, mux).is_some())
        .map(|(mux, _)| mux)
}

/// The action the compiled filter takes instead of `rule`'s for a call the rule matches, when
/// another rule wins in libseccomp (`None` when the rule is enforced or cannot be checked).
pub(crate) fn overridden(an: &Analysis<'_>, name: &str, rule: &ResolvedRule) -> Option<Action> {
    let c = an.compiled.as_ref().ok()?;
    // A rule equal to the default is dropped, but gets its action anyway where no other rule
    // matches; `rule-equals-default` covers the rest.
    for piece in pieces(&rule.args) {
        let w = witness(&piece)?;
        let (_, act) = enforced(c, &an.resolved.arches, name, w)?;
        if act != rule.action {
            return Some(act);
        }
    }
    None
}

/// A witness for one rule: arguments that satisfy all its conditions.
fn witness(args: &[ArgCondition]) -> Option<[u64; 6]> {
    solve::rules_overlap(args, &[])
}

fn fmt_args(w: &[u64; 6]) -> String {
    // Trailing zero arguments say nothing; keep at least the first.
    let last = w.iter().rposition(|v| *v != 0).unwrap_or(0);
    w[..=last]
        .iter()
        .map(|v| format!("{v:#x}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn conditions(args: &[ArgCondition], name: &str, host: Arch) -> String {
    args.iter()
        .map(|c| explain::condition(name, c, host, args))
        .collect::<Vec<_>>()
        .join(" && ")
}

/// Everything lint and explain need about one profile in one context.
pub(crate) struct Analysis<'a> {
    pub profile: &'a Profile,
    pub kernel: Option<KernelVersion>,
    pub resolved: Resolved,
    pub compiled: Result<Compiled, compile::CompileError>,
}

impl<'a> Analysis<'a> {
    pub fn new(profile: &'a Profile, cx: &Context) -> Analysis<'a> {
        let resolved = profile.resolve(cx);
        let compiled = compile::compile(&resolved, None);
        Analysis {
            profile,
            kernel: cx.kernel,
            resolved,
            compiled,
        }
    }

    pub fn host(&self) -> Arch {
        self.resolved.arches[0]
    }

    /// The capabilities a rule asks for in `includes.caps`.
    pub fn gating_caps(&self, origin: usize) -> &[String] {
        self.profile
            .syscalls
            .get(origin)
            .map_or(&[], |r| r.includes.caps.as_slice())
    }

    /// [`assess`] for a rule of this profile: a rule that only applies with a capability
    /// (`includes.caps`) is info, since the capability carries the risk; an allow that the
    /// enforced filter does not honour (another rule wins in libseccomp) is not a risk.
    pub fn assess_rule(&self, name: &str, rule: &ResolvedRule) -> Option<Assessment> {
        if !allows(rule.action) || rule.action == self.resolved.default_action {
            return None;
        }
        if !exists_on_any(&self.resolved.arches, name) {
            return None;
        }
        // Judge what libseccomp receives; the worst piece counts.
        let (piece, mut a) = pieces(&rule.args)
            .into_iter()
            .filter_map(|p| assess(name, &p, self.host()).map(|a| (p, a)))
            .max_by(|x, y| {
                x.1.severity
                    .cmp(&y.1.severity)
                    .then(y.0.len().cmp(&x.0.len()))
            })?;
        if let Ok(c) = &self.compiled {
            let args = a.witness.or_else(|| witness(&piece));
            if let Some(args) = args {
                if let Some((_, act)) = enforced(c, &self.resolved.arches, name, args) {
                    if !allows(act) {
                        return None;
                    }
                }
            }
        }
        // Since Linux 4.8 seccomp runs after the ptrace syscall-entry stop and checks again
        // what a tracer changed; before, a tracer could rewrite an allowed syscall into any
        // other. moby's default allows ptrace only from 4.8 for this reason.
        let old_kernel = KernelVersion { major: 4, minor: 8 };
        if name == "ptrace" && self.kernel.is_some_and(|k| k < old_kernel) {
            a.severity = a.severity.max(Severity::High);
            a.reason = format!(
                "{}; this kernel is older than 4.8, so a tracer in the container can turn any allowed syscall into a forbidden one",
                a.reason
            );
        }
        let caps = self.gating_caps(rule.origin);
        if !caps.is_empty() {
            a.severity = Severity::Info;
            a.reason = format!(
                "{} (allowed only with {}, which carries this risk)",
                a.reason,
                caps.join(", ")
            );
        }
        Some(a)
    }
}

/// Lints `profile` as resolved for `cx`.
#[must_use]
pub fn lint(profile: &Profile, cx: &Context) -> Report {
    let an = Analysis::new(profile, cx);
    let mut out = Vec::new();
    default_action(&an, &mut out);
    dangerous_allows(&an, &mut out);
    multiplexers(&an, &mut out);
    arch_guards(&an, &mut out);
    denylist_gaps(&an, &mut out);
    overlaps(&an, &mut out);
    duplicates(&an, &mut out);
    errno_zero(&an, &mut out);
    compile_findings(&an, &mut out);
    sort(&mut out);
    let mut counts = Counts::default();
    for f in &out {
        *match f.severity {
            Severity::Critical => &mut counts.critical,
            Severity::High => &mut counts.high,
            Severity::Medium => &mut counts.medium,
            Severity::Low => &mut counts.low,
            Severity::Info => &mut counts.info,
        } += 1;
    }
    Report {
        context: ContextSummary::new(cx),
        arches: an.resolved.arches.clone(),
        findings: out,
        counts,
    }
}

fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.rule.is_some().cmp(&b.location.rule.is_some()))
            .then_with(|| a.location.rule.cmp(&b.location.rule))
            .then_with(|| a.location.path.cmp(&b.location.path))
            .then_with(|| a.location.syscall.cmp(&b.location.syscall))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.message.cmp(&b.message))
    });
    findings.dedup();
}

fn default_action(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    let d = an.resolved.default_action;
    match d {
        Action::Allow | Action::Log => out.push(Finding {
            id: LintId::DefaultAllow,
            severity: Severity::Medium,
            location: Location::top("defaultAction"),
            message: format!(
                "the default action is {d}: every syscall the profile does not name runs, including syscalls added to the kernel after the profile was written and other entry points to a denied operation"
            ),
            fix: "write an allowlist: \"defaultAction\": \"SCMP_ACT_ERRNO\" with \"defaultErrnoRet\": 38 (ENOSYS), and ALLOW rules for what the workload needs (`rpod seccomp record` lists it)".into(),
        }),
        Action::KillThread => out.push(Finding {
            id: LintId::DefaultKillThread,
            severity: Severity::Low,
            location: Location::top("defaultAction"),
            message: "the default action kills only the calling thread (SCMP_ACT_KILL is KILL_THREAD); the other threads go on with the process in an inconsistent state".into(),
            fix: "use \"SCMP_ACT_KILL_PROCESS\", or \"SCMP_ACT_ERRNO\" so programs see an error they can handle".into(),
        }),
        Action::Errno(e) if e != 38 && e != 0 => out.push(Finding {
            id: LintId::DefaultErrnoNotEnosys,
            severity: Severity::Info,
            location: Location::top("defaultErrnoRet"),
            message: format!(
                "syscalls the profile does not name fail with {}; libc falls back to an older syscall only on ENOSYS (clone3 to clone, faccessat2 to faccessat, statx to fstatat), so programs built for a newer kernel fail instead",
                action_label(d)
            ),
            fix: "set \"defaultErrnoRet\": 38 (ENOSYS), as podman's default does, and return EPERM only from rules for syscalls denied on purpose".into(),
        }),
        _ => {}
    }
}

fn dangerous_allows(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    let default = action_label(an.resolved.default_action);
    let host = an.host();
    for rule in &an.resolved.rules {
        for name in &rule.names {
            let Some(a) = an.assess_rule(name, rule) else {
                continue;
            };
            let cond = if rule.args.is_empty() {
                String::new()
            } else {
                format!(" when {}", conditions(&rule.args, name, host))
            };
            let verb = if rule.action == Action::Log {
                "allowed and logged"
            } else {
                "allowed"
            };
            let needs = a
                .needs
                .filter(|c| !a.reason.contains(c))
                .map(|c| format!(" (the kernel asks for {c})"))
                .unwrap_or_default();
            let message = format!("{name} is {verb}{cond}: {}{needs}", a.reason);
            let fix = fix_for(&a, name, &default);
            out.push(Finding {
                id: a.id,
                severity: a.severity,
                location: Location::rule(rule.origin, Some(name)),
                message,
                fix,
            });
        }
    }
}

fn fix_for(a: &Assessment, name: &str, default: &str) -> String {
    match (a.id, name) {
        _ if a.severity == Severity::Info => "nothing to change if containers given this capability are trusted with it; otherwise drop the capability".into(),
        (LintId::UnconditionalCloneNamespaces, "clone3") => "return ENOSYS for clone3 ({\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}) so libc falls back to clone, whose flags seccomp can check".into(),
        (LintId::UnconditionalCloneNamespaces, _) => format!(
            "allow clone only without namespace flags: \"args\": [{{\"index\": 0, \"value\": {CLONE_NS_MASK}, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}}] (index 1 on s390 and s390x), as moby's default does; add an unconditional clone rule under \"includes\": {{\"caps\": [\"CAP_SYS_ADMIN\"]}}"
        ),
        (LintId::PersonalityBeyondQuery, _) => "allow personality only for 0, 8, 0x20000, 0x20008 and 0xffffffff, one SCMP_CMP_EQ rule each, as podman and moby do".into(),
        (_, "unshare") => format!(
            "remove unshare from the rule (the default action {default} applies), or allow it only without CLONE_NEWUSER: \"args\": [{{\"index\": 0, \"value\": {CLONE_NEWUSER}, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}}]; containers that need namespaces can get it under \"includes\": {{\"caps\": [\"CAP_SYS_ADMIN\"]}}"
        ),
        _ => match a.needs {
            Some(cap) => format!(
                "remove {name} from this rule so the default action ({default}) applies; if some containers need it, allow it in a rule with \"includes\": {{\"caps\": [\"{cap}\"]}}"
            ),
            None => format!(
                "remove {name} from this rule so the default action ({default}) applies; give the containers that need it their own profile"
            ),
        },
    }
}

/// The syscalls `socketcall` multiplexes.
const SOCKET_CALLS: &[&str] = &[
    "accept",
    "accept4",
    "bind",
    "connect",
    "getpeername",
    "getsockname",
    "getsockopt",
    "listen",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "send",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setsockopt",
    "shutdown",
    "socket",
    "socketpair",
];

/// The syscalls `ipc` multiplexes.
const IPC_CALLS: &[&str] = &[
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
];

/// How the profile treats one syscall, for the multiplexer and denylist checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Treatment {
    /// Some rule allows it without conditions.
    Allowed,
    /// Allowed under conditions, or with an explicit non-allow rule.
    Restricted,
    /// No rule names it: the default action applies.
    Default,
}

fn treatment(an: &Analysis<'_>, name: &str) -> Treatment {
    let d = an.resolved.default_action;
    let rules: Vec<&ResolvedRule> = an
        .resolved
        .rules
        .iter()
        .filter(|r| r.action != d && r.names.iter().any(|n| n == name))
        .collect();
    if rules.is_empty() {
        return Treatment::Default;
    }
    if rules.iter().any(|r| allows(r.action) && r.args.is_empty())
        && rules.iter().all(|r| allows(r.action))
    {
        Treatment::Allowed
    } else {
        Treatment::Restricted
    }
}

fn first_rule_for(
    an: &Analysis<'_>,
    name: &str,
    pred: impl Fn(&ResolvedRule) -> bool,
) -> Option<usize> {
    an.resolved
        .rules
        .iter()
        .find(|r| pred(r) && r.names.iter().any(|n| n == name))
        .map(|r| r.origin)
}

fn multiplexers(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    let Ok(compiled) = &an.compiled else {
        return;
    };
    let default_allows = allows(an.resolved.default_action);
    for (mux, calls, id, what) in [
        (
            "socketcall",
            SOCKET_CALLS,
            LintId::MultiplexerSocketcall,
            "runs the socket syscalls by call number, with their arguments in memory, which seccomp cannot read",
        ),
        (
            "ipc",
            IPC_CALLS,
            LintId::MultiplexerIpc,
            "runs the System V IPC syscalls by call number",
        ),
    ] {
        let on: Vec<(Arch, u32)> = an
            .resolved
            .arches
            .iter()
            .filter_map(|a| syscalls::number(*a, mux).map(|nr| (*a, nr)))
            .collect();
        let mut with_rules = Vec::new();
        let mut by_default = Vec::new();
        let mut arches_hit = BTreeSet::new();
        let mut first_restricted: Option<(usize, &str)> = None;
        for name in calls {
            let t = treatment(an, name);
            if t == Treatment::Allowed || (t == Treatment::Default && default_allows) {
                continue;
            }
            let Some(call) = mux_call_number(name) else {
                continue;
            };
            // What the enforced filter does with the multiplexed call (other arguments 0).
            let hit: Vec<Arch> = on
                .iter()
                .filter(|(a, nr)| {
                    allows(bpf::simulate(&compiled.program, *a, *nr, [call, 0, 0, 0, 0, 0]).action)
                })
                .map(|(a, _)| *a)
                .collect();
            if hit.is_empty() {
                continue;
            }
            arches_hit.extend(hit);
            if t == Treatment::Restricted {
                let rules: Vec<String> = an
                    .resolved
                    .rules
                    .iter()
                    .filter(|r| r.action != an.resolved.default_action)
                    .filter(|r| r.names.iter().any(|n| n == name))
                    .map(|r| format!("syscalls[{}]", r.origin))
                    .collect();
                if first_restricted.is_none() {
                    first_restricted = first_rule_for(an, name, |r| {
                        r.action != an.resolved.default_action
                    })
                    .map(|i| (i, *name));
                }
                with_rules.push(format!("{name} ({})", rules.join(", ")));
            } else {
                by_default.push(*name);
            }
        }
        if arches_hit.is_empty() {
            continue;
        }
        let mut what_is = Vec::new();
        if !with_rules.is_empty() {
            what_is.push(format!(
                "{} {} restricted by rules",
                with_rules.join(", "),
                if with_rules.len() == 1 { "is" } else { "are" }
            ));
        }
        if !by_default.is_empty() {
            what_is.push(format!(
                "{} {} left to the default action {}",
                by_default.join(", "),
                if by_default.len() == 1 { "is" } else { "are" },
                action_label(an.resolved.default_action)
            ));
        }
        let arches: Vec<String> = arches_hit.iter().map(ToString::to_string).collect();
        let allow_rule = first_rule_for(an, mux, |r| allows(r.action));
        let (location, how) = match allow_rule {
            Some(i) => (
                Location::rule(i, Some(mux)),
                format!("syscalls[{i}] allows {mux}"),
            ),
            None => (
                first_restricted.map_or_else(
                    || Location::top(""),
                    |(i, name)| Location::rule(i, Some(name)),
                ),
                format!(
                    "libseccomp turns each rule on these calls into a {mux} rule whose first condition becomes the call number, so the rule's other conditions compare {mux}'s own registers"
                ),
            ),
        };
        out.push(Finding {
            id,
            severity: Severity::Medium,
            location,
            message: format!(
                "{mux} {what}; {how}, and the compiled filter lets these calls through it on {} (checked with the other arguments 0), although {}",
                arches.join(", "),
                what_is.join(", and "),
            ),
            fix: format!(
                "deny {mux} ({{\"names\": [\"{mux}\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}}: libc then uses the direct syscalls, on x86 since Linux 4.3), or drop the compat arches that have it from the filter"
            ),
        });
    }
}

/// The call number `socketcall` or `ipc` takes for `name` (`SYS_SOCKET` = 1, `SHMGET` = 23;
/// include/uapi/linux/net.h and ipc.h), as libseccomp's `(-pseudo) % 100` computes it.
fn mux_call_number(name: &str) -> Option<u64> {
    Some(match name {
        "socket" => 1,
        "bind" => 2,
        "connect" => 3,
        "listen" => 4,
        "accept" => 5,
        "getsockname" => 6,
        "getpeername" => 7,
        "socketpair" => 8,
        "send" => 9,
        "recv" => 10,
        "sendto" => 11,
        "recvfrom" => 12,
        "shutdown" => 13,
        "setsockopt" => 14,
        "getsockopt" => 15,
        "sendmsg" => 16,
        "recvmsg" => 17,
        "accept4" => 18,
        "recvmmsg" => 19,
        "sendmmsg" => 20,
        "semop" => 1,
        "semget" => 2,
        "semctl" => 3,
        "semtimedop" => 4,
        "msgsnd" => 11,
        "msgrcv" => 12,
        "msgget" => 13,
        "msgctl" => 14,
        "shmat" => 21,
        "shmdt" => 22,
        "shmget" => 23,
        "shmctl" => 24,
        _ => return None,
    })
}

fn arch_guards(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    let Ok(c) = &an.compiled else {
        return;
    };
    let host = an.host();
    let covered = &an.resolved.arches;
    // Probe with what the host side allows outright: if the filter lets one of these through
    // on an ABI it does not cover, that ABI is unguarded.
    let probes: Vec<&str> = an
        .resolved
        .rules
        .iter()
        .filter(|r| allows(r.action) && r.args.is_empty())
        .flat_map(|r| r.names.iter().map(String::as_str))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for abi in compat_arches(host) {
        if covered.contains(abi) {
            continue;
        }
        let mut results: Vec<(String, u32, Action)> = Vec::new();
        if abi.has_table() {
            for name in &probes {
                if let Some(nr) = syscalls::number(*abi, name) {
                    let act = bpf::simulate(&c.program, *abi, nr, [0; 6]).action;
                    results.push(((*name).to_string(), nr, act));
                }
            }
        } else {
            let act = bpf::simulate(&c.program, *abi, 0, [0; 6]).action;
            results.push(("syscall 0".into(), 0, act));
        }
        let leaked: Vec<&(String, u32, Action)> =
            results.iter().filter(|(_, _, a)| allows(*a)).collect();
        if let Some((name, nr, act)) = leaked.first() {
            out.push(Finding {
                id: LintId::MissingArchGuard,
                severity: Severity::Critical,
                location: Location::top("architectures"),
                message: format!(
                    "the filter does not cover {abi}, yet it returns {act} for {abi} syscall {nr:#x} ({name}) and {} more: that ABI is not filtered at all",
                    leaked.len() - 1
                ),
                fix: format!(
                    "add \"{}\" to \"architectures\" (or the host's \"archMap\" entry) so the filter checks it, and report the compiler that produced this program",
                    abi.scmp_name()
                ),
            });
        } else if let Some((_, _, act)) = results.first() {
            let how = if *abi == Arch::X32 {
                "the x32 bit of the syscall number"
            } else {
                "its AUDIT_ARCH value"
            };
            out.push(Finding {
                id: LintId::CompatArchKilled,
                severity: Severity::Info,
                location: Location::top("architectures"),
                message: format!(
                    "{abi} is not in the filter; libseccomp recognises its syscalls by {how} and returns its bad-arch action ({act}, checked in the compiled filter), so {abi} programs in the container are killed rather than filtered"
                ),
                fix: format!(
                    "nothing to change if the container runs no {abi} programs; otherwise add \"{}\" to the host's \"archMap\" entry",
                    abi.scmp_name()
                ),
            });
        }
    }
}

/// Other entry points to the same operation, for denylists.
fn siblings(name: &str) -> Vec<String> {
    let mut v: Vec<String> = ["32", "64", "_time64"]
        .iter()
        .map(|s| format!("{name}{s}"))
        .collect();
    let extra: &[&str] = match name {
        "open" => &["openat", "openat2", "creat"],
        "openat" => &["openat2"],
        "execve" => &["execveat"],
        "clone" => &["clone3", "fork", "vfork"],
        "fork" | "vfork" => &["clone", "clone3"],
        "mmap" => &["mmap2"],
        "socket" | "connect" | "bind" | "accept" | "sendto" | "sendmsg" => &["socketcall"],
        "shmget" | "shmat" | "msgget" | "semget" => &["ipc"],
        "rename" => &["renameat", "renameat2"],
        "unlink" | "rmdir" => &["unlinkat"],
        "mkdir" => &["mkdirat"],
        "chmod" => &["fchmod", "fchmodat", "fchmodat2"],
        "chown" => &["fchown", "lchown", "fchownat"],
        "link" => &["linkat"],
        "symlink" => &["symlinkat"],
        "mknod" => &["mknodat"],
        "umount2" => &["umount"],
        "umount" => &["umount2"],
        "mount" => &["fsopen", "fsmount", "move_mount", "open_tree"],
        "kexec_load" => &["kexec_file_load"],
        "init_module" => &["finit_module"],
        "dup2" => &["dup3"],
        "pipe" => &["pipe2"],
        "accept4" => &["accept"],
        "settimeofday" => &["clock_settime", "stime"],
        "clock_settime" => &["settimeofday", "stime"],
        "ptrace" => &["process_vm_writev"],
        _ => &[],
    };
    v.extend(extra.iter().map(|s| (*s).to_string()));
    v
}

fn denylist_gaps(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    if !allows(an.resolved.default_action) {
        return;
    }
    let mut seen = BTreeSet::new();
    for rule in &an.resolved.rules {
        if allows(rule.action) || !rule.args.is_empty() {
            continue;
        }
        for name in &rule.names {
            if !seen.insert(name.clone()) {
                continue;
            }
            // sibling -> the filter's arches that have it
            let open: Vec<(String, Vec<String>)> = siblings(name)
                .into_iter()
                .filter(|sib| treatment(an, sib) == Treatment::Default)
                .map(|sib| {
                    let on: Vec<String> = an
                        .resolved
                        .arches
                        .iter()
                        .filter(|a| syscalls::number(**a, &sib).is_some())
                        .map(ToString::to_string)
                        .collect();
                    (sib, on)
                })
                .filter(|(_, on)| !on.is_empty())
                .collect();
            if open.is_empty() {
                continue;
            }
            let severity =
                risk_of(name).map_or(Severity::Low, |r| r.severity.max(Severity::Medium));
            let listed: Vec<String> = open
                .iter()
                .map(|(sib, on)| format!("{sib} (on {})", on.join(", ")))
                .collect();
            let names: Vec<String> = open.iter().map(|(sib, _)| format!("\"{sib}\"")).collect();
            out.push(Finding {
                id: LintId::DenylistGap,
                severity,
                location: Location::rule(rule.origin, Some(name)),
                message: format!(
                    "{name} is denied ({}), but {} {} the same operation and the default action allows {}",
                    action_label(rule.action),
                    listed.join(", "),
                    if open.len() == 1 { "reaches" } else { "reach" },
                    if open.len() == 1 { "it" } else { "them" },
                ),
                fix: format!("add {} to this rule's names", names.join(", ")),
            });
        }
    }
}

fn overlaps(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    let d = an.resolved.default_action;
    let rules: Vec<&ResolvedRule> = an.resolved.rules.iter().filter(|r| r.action != d).collect();
    let host = an.host();
    for (j, b) in rules.iter().enumerate() {
        for a in &rules[..j] {
            if a.action == b.action {
                continue;
            }
            for name in b.names.iter().filter(|n| a.names.contains(n)) {
                if !exists_on_any(&an.resolved.arches, name) {
                    continue;
                }
                let (pa, pb) = (pieces(&a.args), pieces(&b.args));
                let Some(w) = pa
                    .iter()
                    .flat_map(|x| pb.iter().map(move |y| (x, y)))
                    .find_map(|(x, y)| solve::rules_overlap(x, y))
                else {
                    continue;
                };
                let result = match &an.compiled {
                    Ok(c) => match enforced(c, &an.resolved.arches, name, w) {
                        Some((arch, act)) => {
                            format!(
                                "; the compiled filter returns {} on {arch}",
                                action_label(act)
                            )
                        }
                        None => String::new(),
                    },
                    Err(_) => String::new(),
                };
                let shape = |r: &ResolvedRule| {
                    if r.args.is_empty() {
                        "unconditional".to_string()
                    } else {
                        conditions(&r.args, name, host)
                    }
                };
                let both_plain = a.args.is_empty() && b.args.is_empty();
                let fix = if both_plain {
                    format!(
                        "name {name} in one of the two rules only; libseccomp keeps the first unconditional rule it is given for a syscall and silently drops later ones, so the order of syscalls[] decides"
                    )
                } else {
                    "make the conditions disjoint (add the negation of one rule's conditions to the other), or merge the rules".to_string()
                };
                out.push(Finding {
                    id: LintId::OverlappingRules,
                    severity: Severity::Medium,
                    location: Location::rule(b.origin, Some(name)),
                    message: format!(
                        "syscalls[{}] ({}, {}) and syscalls[{}] ({}, {}) both match {name}({}); libseccomp resolves the conflict in its own way, not by the order in the profile{result}",
                        a.origin,
                        action_label(a.action),
                        shape(a),
                        b.origin,
                        action_label(b.action),
                        shape(b),
                        fmt_args(&w),
                    ),
                    fix,
                });
            }
        }
    }
}

fn duplicates(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    let rules = &an.resolved.rules;
    for (j, b) in rules.iter().enumerate() {
        let mut b_args = b.args.clone();
        b_args.sort();
        for a in &rules[..j] {
            if a.action != b.action {
                continue;
            }
            let mut a_args = a.args.clone();
            a_args.sort();
            if a_args != b_args {
                continue;
            }
            let shared: Vec<&str> = b
                .names
                .iter()
                .filter(|n| a.names.contains(n))
                .map(String::as_str)
                .collect();
            if shared.is_empty() {
                continue;
            }
            out.push(Finding {
                id: LintId::DuplicateRule,
                severity: Severity::Info,
                location: Location::rule(b.origin, shared.first().copied()),
                message: format!(
                    "syscalls[{}] repeats syscalls[{}] ({}, same action and conditions) for {}",
                    b.origin,
                    a.origin,
                    action_label(b.action),
                    shared.join(", ")
                ),
                fix: if shared.len() == b.names.len() {
                    format!("remove syscalls[{}]", b.origin)
                } else {
                    format!("remove {} from syscalls[{}]", shared.join(", "), b.origin)
                },
            });
            break;
        }
    }
}

fn errno_zero(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    if an.resolved.default_action == Action::Errno(0) {
        out.push(Finding {
            id: LintId::ErrnoZero,
            severity: Severity::Medium,
            location: Location::top("defaultErrnoRet"),
            message: "every syscall the profile does not name returns 0 without running, so programs believe work was done that was not".into(),
            fix: "set \"defaultErrnoRet\" to 38 (ENOSYS) or 1 (EPERM)".into(),
        });
    }
    for rule in &an.resolved.rules {
        if rule.action == Action::Errno(0) && rule.action != an.resolved.default_action {
            out.push(Finding {
                id: LintId::ErrnoZero,
                severity: Severity::Low,
                location: Location::rule(rule.origin, rule.names.first().map(String::as_str)),
                message: format!(
                    "{} return 0 without running (SCMP_ACT_ERRNO with errnoRet 0); callers act on results that were never produced",
                    rule.names.join(", ")
                ),
                fix: "return a real errno (EPERM = 1, ENOSYS = 38) unless faking success is the point, and say so in the rule's comment".into(),
            });
        }
    }
}

fn compile_findings(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    let c = match &an.compiled {
        Ok(c) => c,
        Err(e) => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            out.push(Finding {
                id: LintId::CompileFailed,
                severity: Severity::High,
                location: Location::top(""),
                message: format!(
                    "libseccomp {} refuses the profile ({msg}); runc and crun would not start the container",
                    compile::libseccomp_version()
                ),
                fix: "fix the rule or architecture libseccomp names, then run `rpod seccomp compile` to check".into(),
            });
            return;
        }
    };
    let d = an.resolved.default_action;
    let by_origin: BTreeMap<usize, &ResolvedRule> =
        an.resolved.rules.iter().map(|r| (r.origin, r)).collect();
    for note in &c.notes {
        let rule = note.rule.and_then(|o| by_origin.get(&o).copied());
        // A rule note names no syscall; a one-syscall rule's name says which without looking.
        let single = rule
            .filter(|r| r.names.len() == 1)
            .map(|r| r.names[0].as_str());
        let location = match note.rule {
            Some(o) => Location::rule(o, note.syscall.as_deref().or(single)),
            None => Location::top(if note.kind == NoteKind::FlagNotInBpf {
                "flags"
            } else {
                ""
            }),
        };
        let (id, severity, fix) = match note.kind {
            // Reported with a witness and the enforced action by `overlaps`.
            NoteKind::OverlappingActions => continue,
            NoteKind::RuleEqualsDefault => {
                let lost = rule.and_then(|r| exception_lost(an, r));
                match lost {
                    Some(extra) => {
                        out.push(Finding {
                            id: LintId::RuleEqualsDefault,
                            severity: Severity::Medium,
                            location,
                            message: format!("{}; {extra}", note.message),
                            fix: "state the exception in the other rule instead: add the negation of this rule's conditions to it".into(),
                        });
                        continue;
                    }
                    None => (
                        LintId::RuleEqualsDefault,
                        Severity::Low,
                        "remove the rule; it changes nothing".to_string(),
                    ),
                }
            }
            NoteKind::SameArgumentTwice => {
                let sev = if rule.is_some_and(|r| allows(r.action)) {
                    Severity::High
                } else {
                    Severity::Medium
                };
                (
                    LintId::SameArgumentTwice,
                    sev,
                    "split the range into rules that compare each argument once, or use one SCMP_CMP_MASKED_EQ; runc and crun AND conditions on different arguments only".to_string(),
                )
            }
            NoteKind::UnknownToLibseccomp => {
                let (sev, why) = match rule.map(|r| r.action) {
                    Some(a) if !allows(a) && allows(d) => {
                        (Severity::High, "; the deny is lost, since the default allows")
                    }
                    Some(a) if allows(a) && !allows(d) => {
                        (Severity::Low, "; programs that call it fail instead of running it")
                    }
                    _ => (Severity::Medium, ""),
                };
                out.push(Finding {
                    id: LintId::UnknownToLibseccomp,
                    severity: sev,
                    location,
                    message: format!("{}{why}", note.message),
                    fix: "build the runtime against a newer libseccomp, or keep the rule and expect the default action for this syscall until then".into(),
                });
                continue;
            }
            NoteKind::HighWordIgnored => (
                LintId::HighWordOn32bit,
                Severity::Medium,
                "compare values that fit in 32 bits, or give 32-bit arches their own rule through includes.arches".to_string(),
            ),
            NoteKind::FlagNotInBpf => (
                LintId::FlagNotInBpf,
                Severity::Info,
                "nothing to change; the runtime applies the flag when it installs the filter".to_string(),
            ),
            NoteKind::LibseccompMisbuild => (
                LintId::LibseccompMisbuild,
                Severity::High,
                "reorder this syscall's rules or make them disjoint, then check again; `rpod seccomp merge` of the profile with itself searches for an order libseccomp builds correctly".to_string(),
            ),
            NoteKind::NotVerified => (
                LintId::NotVerified,
                Severity::Info,
                "use fewer distinct constants for this syscall if the filter must be checked".to_string(),
            ),
        };
        out.push(Finding {
            id,
            severity,
            location,
            message: note.message.clone(),
            fix,
        });
    }
}

/// For a rule equal to the default action that was meant as an exception to another rule:
/// what the dropped exception lets through.
fn exception_lost(an: &Analysis<'_>, rule: &ResolvedRule) -> Option<String> {
    for other in &an.resolved.rules {
        if other.action == rule.action {
            continue;
        }
        for name in rule.names.iter().filter(|n| other.names.contains(n)) {
            if let Some(w) = solve::rules_overlap(&rule.args, &other.args) {
                return Some(format!(
                    "it overlaps syscalls[{}] ({}), so {name}({}) gets {} although this rule says {}",
                    other.origin,
                    action_label(other.action),
                    fmt_args(&w),
                    action_label(other.action),
                    action_label(rule.action)
                ));
            }
        }
    }
    None
}

impl Report {
    /// Human text: one block per finding, worst first, and a summary line.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let arches: Vec<String> = self.arches.iter().map(ToString::to_string).collect();
        s.push_str(&explain::wrap(
            &format!(
                "{}; filter arches {}",
                self.context.describe(),
                arches.join(", ")
            ),
            100,
            0,
            4,
        ));
        for f in &self.findings {
            s.push('\n');
            s.push_str(&format!(
                "{:<9}{}  [{}]\n",
                f.severity.name(),
                f.location,
                f.id
            ));
            s.push_str(&explain::wrap(&f.message, 100, 9, 9));
            s.push_str(&explain::wrap(&format!("fix: {}", f.fix), 100, 9, 14));
        }
        let c = &self.counts;
        s.push('\n');
        s.push_str(&format!(
            "{} findings: {} critical, {} high, {} medium, {} low, {} info\n",
            self.findings.len(),
            c.critical,
            c.high,
            c.medium,
            c.low,
            c.info
        ));
        s
    }

    /// Pretty JSON with a trailing newline.
    #[must_use]
    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a lint report always serializes");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::bpf::{code, Insn, Program};
    use crate::caps;
    use crate::compile::CompileError;
    use crate::load;

    fn fixture(name: &str) -> Profile {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        load::from_str(&text)
            .unwrap_or_else(|e| panic!("{name} does not load: {e}"))
            .profile
    }

    /// podman's default capabilities on x86_64 and a current kernel, spelled out so the
    /// snapshots do not depend on the machine running the tests.
    fn x86_64() -> Context {
        Context {
            host_arch: Arch::X86_64,
            caps: caps::PODMAN_DEFAULT
                .iter()
                .map(|c| (*c).to_string())
                .collect(),
            kernel: None,
        }
    }

    fn with_cap(cap: &str) -> Context {
        let mut cx = x86_64();
        cx.caps.insert(cap.to_string());
        cx
    }

    /// `(id, severity, location)` of every finding.
    fn found(r: &Report) -> BTreeSet<(LintId, Severity, String)> {
        r.findings
            .iter()
            .map(|f| (f.id, f.severity, f.location.to_string()))
            .collect()
    }

    fn has(r: &Report, id: LintId, severity: Severity, location: &str) -> bool {
        found(r).contains(&(id, severity, location.to_string()))
    }

    #[test]
    fn severities_are_ordered_and_parse() {
        assert!(Severity::Info < Severity::Low);
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::Medium < Severity::High);
        assert!(Severity::High < Severity::Critical);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        let err = "severe".parse::<Severity>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown severity 'severe' (expected info, low, medium, high or critical)"
        );
    }

    #[test]
    fn fails_at_or_above_the_threshold() {
        let r = lint(&fixture("lint-namespaces.json"), &x86_64());
        assert!(fails(&r.findings, Severity::High));
        assert!(fails(&r.findings, Severity::Info));
        assert!(!fails(&r.findings, Severity::Critical));
        assert!(!fails(&[], Severity::Info));
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let ids: BTreeSet<&str> = LintId::ALL.iter().map(|i| i.id()).collect();
        assert_eq!(ids.len(), LintId::ALL.len());
        assert!(ids.iter().all(|i| i
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')));
    }

    #[test]
    fn risky_table_is_sorted_and_names_real_syscalls() {
        for w in RISKY.windows(2) {
            assert!(
                w[0].syscall < w[1].syscall,
                "{} before {}",
                w[0].syscall,
                w[1].syscall
            );
        }
        for r in RISKY {
            assert!(syscalls::is_known(r.syscall), "{}", r.syscall);
            assert!(
                r.needs.is_none_or(caps::is_known),
                "{}: {:?}",
                r.syscall,
                r.needs
            );
            assert!(!r.reason.ends_with('.'), "{}", r.syscall);
        }
    }

    #[test]
    fn dangerous_allows_by_severity() {
        let r = lint(&fixture("lint-dangerous.json"), &x86_64());
        for (sev, name) in [
            (Severity::Critical, "kexec_load"),
            (Severity::Critical, "init_module"),
            (Severity::Critical, "open_by_handle_at"),
            (Severity::High, "bpf"),
            (Severity::High, "io_uring_setup"),
            (Severity::Medium, "ptrace"),
            (Severity::Medium, "keyctl"),
            (Severity::Medium, "userfaultfd"),
        ] {
            assert!(
                has(
                    &r,
                    LintId::DangerousAllow,
                    sev,
                    &format!("syscalls[0] {name}")
                ),
                "{name}: {:#?}",
                found(&r)
            );
        }
        // LOG lets the syscall run, so it counts as an allow.
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::High,
            "syscalls[1] perf_event_open"
        ));
        // Not for this context: mount needs CAP_SYS_ADMIN.
        assert!(!r
            .findings
            .iter()
            .any(|f| f.location.syscall.as_deref() == Some("mount")));
        // The ERRNO rule for setns comes first, so libseccomp keeps it and drops the ALLOW:
        // the compiled filter denies setns, and only the overlap is reported.
        assert!(!has(
            &r,
            LintId::DangerousAllow,
            Severity::Medium,
            "syscalls[4] setns"
        ));
        let overlap = r
            .findings
            .iter()
            .find(|f| f.id == LintId::OverlappingRules)
            .expect("setns overlap");
        assert_eq!(overlap.location.to_string(), "syscalls[4] setns");
        assert!(
            overlap
                .message
                .contains("the compiled filter returns ERRNO(1 EPERM) on x86_64"),
            "{}",
            overlap.message
        );
    }

    #[test]
    fn an_allow_gated_by_a_capability_is_info() {
        let r = lint(&fixture("lint-dangerous.json"), &with_cap("CAP_SYS_ADMIN"));
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::Info,
            "syscalls[2] mount"
        ));
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::Info,
            "syscalls[2] umount2"
        ));
        let f = r
            .findings
            .iter()
            .find(|f| f.location.syscall.as_deref() == Some("mount"))
            .expect("mount finding");
        assert!(
            f.message.contains("allowed only with CAP_SYS_ADMIN"),
            "{}",
            f.message
        );
    }

    #[test]
    fn namespace_flags_and_personality() {
        let r = lint(&fixture("lint-namespaces.json"), &x86_64());
        // moby's mask keeps every namespace flag out of clone.
        assert!(!r
            .findings
            .iter()
            .any(|f| f.location.syscall.as_deref() == Some("clone")));
        assert!(has(
            &r,
            LintId::UnconditionalCloneNamespaces,
            Severity::High,
            "syscalls[2] clone3"
        ));
        // Masking CLONE_NEWUSER leaves the namespaces that need CAP_SYS_ADMIN.
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::Medium,
            "syscalls[1] unshare"
        ));
        assert!(has(
            &r,
            LintId::PersonalityBeyondQuery,
            Severity::Low,
            "syscalls[3] personality"
        ));
        let p = r
            .findings
            .iter()
            .find(|f| f.id == LintId::PersonalityBeyondQuery)
            .expect("personality finding");
        assert!(p.message.contains("ADDR_NO_RANDOMIZE"), "{}", p.message);
    }

    #[test]
    fn clone_flags_live_in_the_second_argument_on_s390() {
        let mask0 = [ArgCondition {
            index: 0,
            value: CLONE_NS_MASK,
            value_two: 0,
            op: Op::MaskedEq,
        }];
        let mask1 = [ArgCondition {
            index: 1,
            ..mask0[0]
        }];
        assert!(assess("clone", &mask0, Arch::X86_64).is_none());
        assert!(assess("clone", &mask1, Arch::S390x).is_none());
        let wrong = assess("clone", &mask0, Arch::S390x).expect("index 0 guards nothing on s390x");
        assert_eq!(wrong.severity, Severity::High);
        assert_eq!(
            wrong.witness.map(|w| w[1] & CLONE_NEWUSER),
            Some(CLONE_NEWUSER)
        );
        let unconditional = assess("clone", &[], Arch::X86_64).expect("any flags");
        assert_eq!(unconditional.id, LintId::UnconditionalCloneNamespaces);
    }

    #[test]
    fn personality_values_podman_permits_are_fine() {
        for v in PERSONALITY_ALLOWED {
            let eq = [ArgCondition {
                index: 0,
                value: *v,
                value_two: 0,
                op: Op::Eq,
            }];
            assert!(assess("personality", &eq, Arch::X86_64).is_none(), "{v:#x}");
        }
        assert!(assess("personality", &[], Arch::X86_64).is_some());
    }

    #[test]
    fn multiplexers_walk_around_rules_on_x86() {
        let r = lint(&fixture("lint-multiplexer.json"), &x86_64());
        assert!(has(
            &r,
            LintId::MultiplexerSocketcall,
            Severity::Medium,
            "syscalls[0] socketcall"
        ));
        assert!(has(
            &r,
            LintId::MultiplexerIpc,
            Severity::Medium,
            "syscalls[0] ipc"
        ));
        let ipc = r
            .findings
            .iter()
            .find(|f| f.id == LintId::MultiplexerIpc)
            .expect("ipc finding");
        assert!(
            ipc.message.contains("shmget (syscalls[2])"),
            "{}",
            ipc.message
        );
        // shmat is allowed outright, so passing it through ipc changes nothing.
        assert!(!ipc.message.contains("shmat"), "{}", ipc.message);
    }

    #[test]
    fn a_socket_rule_opens_socketcall_on_x86() {
        // libseccomp turns `socket` with args[0] != AF_VSOCK into socketcall(SYS_SOCKET) on x86,
        // replacing the family check by the call number: any family passes.
        let p = fixture("lint-socket-rule-x86.json");
        let r = lint(&p, &x86_64());
        assert!(
            has(
                &r,
                LintId::MultiplexerSocketcall,
                Severity::Medium,
                "syscalls[1] socket"
            ),
            "{:#?}",
            found(&r)
        );
        let c = compile::compile(&p.resolve(&x86_64()), None).expect("compiles");
        let socketcall = syscalls::number(Arch::X86, "socketcall").expect("x86 socketcall");
        let sys_socket = bpf::simulate(&c.program, Arch::X86, socketcall, [1, 0, 0, 0, 0, 0]);
        assert_eq!(sys_socket.action, Action::Allow);
        let sys_bind = bpf::simulate(&c.program, Arch::X86, socketcall, [2, 0, 0, 0, 0, 0]);
        assert_eq!(sys_bind.action, Action::Errno(1));
    }

    #[test]
    fn denylist_gaps_and_lost_denies() {
        let r = lint(&fixture("lint-denylist.json"), &x86_64());
        assert!(has(
            &r,
            LintId::DefaultAllow,
            Severity::Medium,
            "defaultAction"
        ));
        assert!(has(
            &r,
            LintId::DenylistGap,
            Severity::Critical,
            "syscalls[0] kexec_load"
        ));
        assert!(has(
            &r,
            LintId::DenylistGap,
            Severity::Low,
            "syscalls[0] setuid"
        ));
        assert!(has(
            &r,
            LintId::DenylistGap,
            Severity::High,
            "syscalls[0] mount"
        ));
        // libseccomp 2.5.4 cannot resolve mseal, so runc skips the rule and the default allows it.
        if compile::libseccomp_version() == "2.5.4" {
            assert!(has(
                &r,
                LintId::UnknownToLibseccomp,
                Severity::High,
                "syscalls[1] mseal"
            ));
        }
        assert!(has(
            &r,
            LintId::ErrnoZero,
            Severity::Low,
            "syscalls[2] sync"
        ));
        let gap = r
            .findings
            .iter()
            .find(|f| f.id == LintId::DenylistGap && f.message.contains("setuid32"))
            .expect("setuid32 gap");
        assert!(gap.message.contains("setuid32 (on x86)"), "{}", gap.message);
        assert_eq!(gap.fix, "add \"setuid32\" to this rule's names");
    }

    #[test]
    fn meaning_changes_from_libseccomp_and_runc() {
        let r = lint(&fixture("lint-meaning.json"), &x86_64());
        assert!(has(
            &r,
            LintId::DefaultKillThread,
            Severity::Low,
            "defaultAction"
        ));
        assert!(has(
            &r,
            LintId::SameArgumentTwice,
            Severity::High,
            "syscalls[1] write"
        ));
        // The dropped KILL rule was an exception to the ALLOW rule for close: it is lost.
        assert!(has(
            &r,
            LintId::RuleEqualsDefault,
            Severity::Medium,
            "syscalls[3] close"
        ));
        assert!(has(
            &r,
            LintId::HighWordOn32bit,
            Severity::Medium,
            "syscalls[4] lseek"
        ));
        assert!(has(
            &r,
            LintId::OverlappingRules,
            Severity::Medium,
            "syscalls[6] fcntl"
        ));
        assert!(has(
            &r,
            LintId::DuplicateRule,
            Severity::Info,
            "syscalls[8] getpid"
        ));
        assert!(has(&r, LintId::FlagNotInBpf, Severity::Info, "flags"));
        if compile::libseccomp_version() == "2.5.4" {
            assert!(has(
                &r,
                LintId::UnknownToLibseccomp,
                Severity::Low,
                "syscalls[0] mseal"
            ));
        }
    }

    #[test]
    fn uncovered_compat_arches_are_killed_not_open() {
        let p = fixture("lint-noarch.json");
        let r = lint(&p, &x86_64());
        assert_eq!(
            found(&r),
            BTreeSet::from([(
                LintId::CompatArchKilled,
                Severity::Info,
                "architectures".to_string()
            )])
        );
        assert_eq!(r.findings.len(), 2, "x86 and x32");
        // The x32 bit is checked by libseccomp's x86_64 filter: an x32 read is killed, not run.
        let c = compile::compile(&p.resolve(&x86_64()), None).expect("compiles");
        let read_x32 = syscalls::number(Arch::X32, "read").expect("x32 read");
        assert_eq!(read_x32, crate::arch::X32_SYSCALL_BIT);
        assert_eq!(
            bpf::simulate(&c.program, Arch::X32, read_x32, [0; 6]).action,
            Action::KillThread
        );
        assert_eq!(
            bpf::simulate(&c.program, Arch::X86_64, 0, [0; 6]).action,
            Action::Allow
        );
    }

    #[test]
    fn a_filter_that_ignores_the_arch_is_a_missing_guard() {
        let p = fixture("lint-noarch.json");
        let cx = x86_64();
        let allow_all = Program::new(vec![Insn {
            code: code::BPF_RET | code::BPF_K,
            jt: 0,
            jf: 0,
            k: bpf::SECCOMP_RET_ALLOW,
        }])
        .expect("valid program");
        let an = Analysis {
            profile: &p,
            kernel: None,
            resolved: p.resolve(&cx),
            compiled: Ok(Compiled {
                program: allow_all,
                arches: vec![Arch::X86_64],
                notes: Vec::new(),
            }),
        };
        let mut out = Vec::new();
        arch_guards(&an, &mut out);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert!(out
            .iter()
            .all(|f| f.id == LintId::MissingArchGuard && f.severity == Severity::Critical));
        assert!(
            out[0].message.contains("returns ALLOW"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn a_profile_libseccomp_refuses_is_reported() {
        let p = fixture("lint-noarch.json");
        let cx = x86_64();
        let an = Analysis {
            profile: &p,
            kernel: None,
            resolved: p.resolve(&cx),
            compiled: Err(CompileError::UnsupportedArch {
                arch: Arch::Parisc64,
            }),
        };
        let mut out = Vec::new();
        compile_findings(&an, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id, LintId::CompileFailed);
        assert_eq!(out[0].severity, Severity::High);
        assert!(
            out[0].message.contains("runc and crun would not start"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn ptrace_before_linux_4_8_is_high() {
        let p = fixture("lint-dangerous.json");
        let mut cx = x86_64();
        cx.kernel = Some(KernelVersion { major: 4, minor: 4 });
        let r = lint(&p, &cx);
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::High,
            "syscalls[0] ptrace"
        ));
    }

    #[test]
    fn podman_default_as_a_reviewer_sees_it() {
        let r = lint(&fixture("podman-default.json"), &x86_64());
        // Namespaces are open: clone has no CLONE_NEW* mask, clone3 and unshare are allowed.
        assert!(has(
            &r,
            LintId::UnconditionalCloneNamespaces,
            Severity::High,
            "syscalls[1] clone"
        ));
        assert!(has(
            &r,
            LintId::UnconditionalCloneNamespaces,
            Severity::High,
            "syscalls[1] clone3"
        ));
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::High,
            "syscalls[1] unshare"
        ));
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::High,
            "syscalls[1] mount"
        ));
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::High,
            "syscalls[1] fsopen"
        ));
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::Medium,
            "syscalls[1] keyctl"
        ));
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::Medium,
            "syscalls[1] ptrace"
        ));
        // setns is in the big ALLOW rule and in the ERRNO rule for containers without
        // CAP_SYS_ADMIN; libseccomp keeps the first, so setns is allowed.
        let setns = r
            .findings
            .iter()
            .find(|f| f.id == LintId::OverlappingRules)
            .expect("setns overlap");
        assert_eq!(setns.location.to_string(), "syscalls[15] setns");
        assert!(setns.message.contains("returns ALLOW"), "{}", setns.message);
        // socket's NETLINK_AUDIT rule does not hold for 32-bit programs.
        assert!(has(
            &r,
            LintId::MultiplexerSocketcall,
            Severity::Medium,
            "syscalls[1] socketcall"
        ));
        assert!(has(
            &r,
            LintId::DuplicateRule,
            Severity::Info,
            "syscalls[33] socket"
        ));
        // What podman gets right: personality, the kernel-module and BPF denials, ENOSYS.
        assert_eq!(r.counts.critical, 0);
        assert!(!r.findings.iter().any(|f| matches!(
            f.id,
            LintId::PersonalityBeyondQuery
                | LintId::DefaultErrnoNotEnosys
                | LintId::DefaultAllow
                | LintId::MissingArchGuard
        )));
        for denied in [
            "bpf",
            "perf_event_open",
            "kexec_load",
            "init_module",
            "userfaultfd",
        ] {
            assert!(
                !r.findings
                    .iter()
                    .any(|f| f.location.syscall.as_deref() == Some(denied)),
                "{denied}"
            );
        }
    }

    #[test]
    fn moby_default_as_a_reviewer_sees_it() {
        let p = fixture("moby-default.json");
        let r = lint(&p, &x86_64());
        for name in ["io_uring_setup", "io_uring_enter", "io_uring_register"] {
            assert!(has(
                &r,
                LintId::DangerousAllow,
                Severity::High,
                &format!("syscalls[0] {name}")
            ));
        }
        assert!(has(
            &r,
            LintId::DefaultErrnoNotEnosys,
            Severity::Info,
            "defaultErrnoRet"
        ));
        assert!(!r.findings.iter().any(|f| matches!(
            f.location.syscall.as_deref(),
            Some("clone" | "clone3" | "unshare" | "mount")
        )));
        assert_eq!(r.counts.critical, 0);
        // On an old kernel the ptrace rule (minKernel 4.8) is left out.
        let mut old = x86_64();
        old.kernel = Some(KernelVersion { major: 4, minor: 4 });
        let r = lint(&p, &old);
        assert!(!r
            .findings
            .iter()
            .any(|f| f.location.syscall.as_deref() == Some("ptrace")));
        // With CAP_SYS_ADMIN the profile opens namespaces and mounts on purpose: info.
        let r = lint(&p, &with_cap("CAP_SYS_ADMIN"));
        assert!(has(
            &r,
            LintId::UnconditionalCloneNamespaces,
            Severity::Info,
            "syscalls[14] clone"
        ));
        assert!(has(
            &r,
            LintId::DangerousAllow,
            Severity::Info,
            "syscalls[14] mount"
        ));
    }

    const SMALL: &[&str] = &[
        "lint-dangerous",
        "lint-namespaces",
        "lint-multiplexer",
        "lint-socket-rule-x86",
        "lint-denylist",
        "lint-meaning",
        "lint-noarch",
    ];

    fn snapshot(name: &str) {
        let r = lint(&fixture(&format!("{name}.json")), &x86_64());
        insta::assert_snapshot!(format!("{name}.txt"), r.to_text());
        insta::assert_snapshot!(format!("{name}.json"), r.to_json_pretty());
    }

    #[test]
    fn snapshot_podman_default() {
        snapshot("podman-default");
    }

    #[test]
    fn snapshot_moby_default() {
        snapshot("moby-default");
    }

    #[test]
    fn snapshot_small_profiles() {
        for name in SMALL {
            snapshot(name);
        }
    }
}
