//! How risky it is to allow a syscall: the one table of dangerous syscalls ([`RISKY`]) and the
//! argument checks for `clone`, `clone3`, `unshare` and `personality` ([`assess`]). `lint`
//! reports these as findings, `explain` marks the same syscalls inline; [`Severity`] and
//! [`LintId`] are the vocabulary both use.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::arch::Arch;
use crate::model::{ArgCondition, Op};
use crate::solve;

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
    /// A rule never decides anything: other rules of the same syscall match every call it
    /// matches, with its action or winning over it.
    DeadRule,
    /// The profile denies a call a runtime makes between installing the filter and exec'ing
    /// the workload. Only the engine knows the runtimes' handoffs; `rpod seccomp lint` adds
    /// these findings, `profiles` only names them.
    MissingRuntimeHandoff,
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
        LintId::DeadRule,
        LintId::MissingRuntimeHandoff,
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
            LintId::DeadRule => "dead-rule",
            LintId::MissingRuntimeHandoff => "missing-runtime-handoff",
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
pub(crate) const CLONE_NEWUSER: u64 = 0x1000_0000;
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
