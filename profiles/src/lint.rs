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

use serde::Serialize;

use crate::analysis::risk::CLONE_NEWUSER;
use crate::analysis::text::{condition, wrap};
use crate::analysis::{Analysis, ContextSummary};
use crate::arch::Arch;
use crate::bpf::{self, Action};
use crate::compile::{self, NoteKind};
use crate::model::{ArgCondition, Profile};
use crate::resolve::{Context, ResolvedRule};
use crate::syscalls::{IPC_CALLS, SOCKET_CALLS};
use crate::{solve, syscalls};

/// Where a finding is: a JSON path into the profile and, for rules, the syscall.
pub use crate::analysis::risk::{
    assess, clone_flags_index, risk_of, Assessment, LintId, Risk, Severity, UnknownSeverity,
    CLONE_NS_MASK, PERSONALITY_ALLOWED, RISKY,
};
pub use crate::analysis::{action_label, allows, compat_arches, enforced, exists_on_any};
pub use crate::syscalls::multiplexer;

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
    /// A finding about a top-level field (`defaultAction`), or the profile as a whole (`""`).
    #[must_use]
    pub fn top(path: &str) -> Location {
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
        .map(|c| condition(name, c, host, args))
        .collect::<Vec<_>>()
        .join(" && ")
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
    dead_rules(&an, &mut out);
    errno_zero(&an, &mut out);
    compile_findings(&an, &mut out);
    Report {
        context: ContextSummary::new(cx),
        arches: an.resolved.arches.clone(),
        findings: Vec::new(),
        counts: Counts::default(),
    }
    .with(out)
}

impl Report {
    /// The report with `extra` findings added, sorted and counted like the others: what only
    /// the caller knows (the engine adds [`LintId::MissingRuntimeHandoff`]).
    #[must_use]
    pub fn with(mut self, extra: impl IntoIterator<Item = Finding>) -> Report {
        self.findings.extend(extra);
        sort(&mut self.findings);
        let mut counts = Counts::default();
        for f in &self.findings {
            *match f.severity {
                Severity::Critical => &mut counts.critical,
                Severity::High => &mut counts.high,
                Severity::Medium => &mut counts.medium,
                Severity::Low => &mut counts.low,
                Severity::Info => &mut counts.info,
            } += 1;
        }
        self.counts = counts;
        self
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
                let (pa, pb) = (
                    solve::enforced_pieces(&a.args, false),
                    solve::enforced_pieces(&b.args, false),
                );
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

/// Whether one of `pieces` (OR-ed conjunctions, as libseccomp receives a rule) matches `w`.
fn pieces_match(pieces: &[Vec<ArgCondition>], w: &[u64; 6]) -> bool {
    pieces.iter().any(|p| {
        p.iter()
            .all(|c| w.get(usize::from(c.index)).is_some_and(|v| c.matches(*v)))
    })
}

/// How a dead rule is covered for one syscall.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cover {
    /// Rules with the same action match every call it matches: removing it changes nothing.
    Same(BTreeSet<usize>),
    /// On some calls only rules with other actions match it, and the compiled filter gives
    /// theirs (`Action`) everywhere: the rule's own action is never taken.
    Overridden(BTreeSet<usize>, Action),
}

/// Rules that can never decide anything: other rules of the same syscall match every call a
/// rule matches, and on each call one with the same action matches too, or libseccomp's filter
/// takes the other action. An unconditional ALLOW of `socket` merged into a profile that had
/// `socket` argument rules leaves them so (issue 14). Judged per syscall over every
/// combination of the rules' comparisons ([`solve::cells`], one witness each), the compiled
/// filter run where actions differ. Rules are taken from the last: a rule found dead is left
/// out when judging earlier ones, so of two rules that cover each other the later is reported
/// and removing every reported rule keeps the meaning. Identical rules are `duplicate-rule`'s,
/// rules equal to the default `rule-equals-default`'s.
fn dead_rules(an: &Analysis<'_>, out: &mut Vec<Finding>) {
    let d = an.resolved.default_action;
    let arches = &an.resolved.arches;
    let host = an.host();
    let rules: Vec<&ResolvedRule> = an.resolved.rules.iter().filter(|r| r.action != d).collect();
    let pieces: Vec<Vec<Vec<ArgCondition>>> = rules
        .iter()
        .map(|r| solve::enforced_pieces(&r.args, false))
        .collect();
    let sorted = |r: &ResolvedRule| {
        let mut a = r.args.clone();
        a.sort();
        a
    };
    // (rule index in `rules`, syscall) found dead.
    let mut removed: BTreeSet<(usize, &str)> = BTreeSet::new();
    let mut found: BTreeMap<usize, Vec<(Cover, Vec<&str>)>> = BTreeMap::new();
    for (j, r) in rules.iter().enumerate().rev() {
        for name in &r.names {
            if !exists_on_any(arches, name) {
                continue;
            }
            let others: Vec<usize> = (0..rules.len())
                .filter(|&i| {
                    i != j
                        && rules[i].names.contains(name)
                        && !removed.contains(&(i, name.as_str()))
                        && !(rules[i].action == r.action && sorted(rules[i]) == sorted(r))
                })
                .collect();
            if others.is_empty() {
                continue;
            }
            let atoms: Vec<ArgCondition> = std::iter::once(j)
                .chain(others.iter().copied())
                .flat_map(|i| pieces[i].iter().flatten().copied())
                .collect();
            let cells = solve::cells(&atoms, u64::MAX);
            if !cells.complete {
                continue;
            }
            let mut same = BTreeSet::new();
            let mut over = BTreeSet::new();
            let mut over_action = None;
            let mut matched = false;
            let mut decides = false;
            for cell in &cells.cells {
                let w = &cell.witness;
                if !pieces_match(&pieces[j], w) {
                    continue;
                }
                matched = true;
                let matching: Vec<usize> = others
                    .iter()
                    .copied()
                    .filter(|&i| pieces_match(&pieces[i], w))
                    .collect();
                let alike: Vec<usize> = matching
                    .iter()
                    .copied()
                    .filter(|&i| rules[i].action == r.action)
                    .collect();
                if !alike.is_empty() {
                    same.extend(alike.iter().map(|&i| rules[i].origin));
                    continue;
                }
                let taken = match &an.compiled {
                    Ok(c) => enforced(c, arches, name, *w).map(|(_, a)| a),
                    Err(_) => None,
                };
                match taken {
                    Some(a) if !matching.is_empty() && a != r.action => {
                        over.extend(matching.iter().map(|&i| rules[i].origin));
                        over_action.get_or_insert(a);
                    }
                    _ => {
                        decides = true;
                        break;
                    }
                }
            }
            if decides || !matched {
                continue;
            }
            removed.insert((j, name.as_str()));
            let cover = match over_action {
                Some(a) => Cover::Overridden(over.union(&same).copied().collect(), a),
                None => Cover::Same(same),
            };
            let covers = found.entry(j).or_default();
            match covers.iter_mut().find(|(c, _)| *c == cover) {
                Some((_, names)) => names.push(name),
                None => covers.push((cover, vec![name])),
            }
        }
    }
    for (j, covers) in found {
        let r = rules[j];
        let shape = if r.args.is_empty() {
            "unconditional".to_string()
        } else {
            let first = r.names.first().map_or("", String::as_str);
            conditions(&r.args, first, host)
        };
        for (cover, mut names) in covers {
            names.sort_unstable();
            let list = names.join(", ");
            let which = |o: &BTreeSet<usize>| {
                o.iter()
                    .map(|i| format!("syscalls[{i}]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let remove = if names.len() == r.names.len() {
                format!("remove syscalls[{}]", r.origin)
            } else {
                format!("remove {list} from syscalls[{}]", r.origin)
            };
            let (severity, message, fix) = match &cover {
                Cover::Same(o) => {
                    // Covered by an unconditional rule: the shape a merge leaves.
                    let widened = rules
                        .iter()
                        .any(|x| o.contains(&x.origin) && x.args.is_empty());
                    (
                        Severity::Low,
                        format!(
                            "syscalls[{}] ({}, {shape}) never decides {list}: every call it matches is matched by {} with the same action, so it changes nothing{}",
                            r.origin,
                            action_label(r.action),
                            which(o),
                            if widened {
                                format!(" (a merge that widened {list} to unconditional leaves such rules behind)")
                            } else {
                                String::new()
                            },
                        ),
                        if widened {
                            format!(
                                "{remove}; if its conditions were the intent, narrow {} instead",
                                which(o)
                            )
                        } else {
                            remove.clone()
                        },
                    )
                }
                Cover::Overridden(o, a) => (
                    // A deny that is never enforced is a hole the author believes closed.
                    if allows(r.action) || !allows(*a) {
                        Severity::Medium
                    } else {
                        Severity::High
                    },
                    format!(
                        "syscalls[{}] ({}, {shape}) never decides {list}: {} also {} every call it matches, and the compiled filter returns {} for all of them, never this rule's action",
                        r.origin,
                        action_label(r.action),
                        which(o),
                        if o.len() == 1 { "matches" } else { "match" },
                        action_label(*a),
                    ),
                    if r.args.is_empty() {
                        format!(
                            "{remove}, or, if its action is the intent, remove {list} from {}",
                            which(o)
                        )
                    } else {
                        format!(
                            "{remove}, or, if its action is the intent, add the negation of its conditions to {}",
                            which(o)
                        )
                    },
                ),
            };
            out.push(Finding {
                id: LintId::DeadRule,
                severity,
                location: Location::rule(r.origin, names.first().copied()),
                message,
                fix,
            });
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
            let msg = crate::chain::one_line(e);
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
            // Only `enforce` (a runtime's filter) makes these; lint reads libseccomp's.
            NoteKind::EnosysStub => continue,
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
        s.push_str(&wrap(
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
            s.push_str(&wrap(&f.message, 100, 9, 9));
            s.push_str(&wrap(&format!("fix: {}", f.fix), 100, 9, 14));
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
    use crate::compile::{CompileError, Compiled};
    use crate::load;
    use crate::model::{KernelVersion, Op};

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
        "lint-dead",
    ];

    /// Issue 14, defect 5: a merge that widened `socket` to unconditional left its argument
    /// rules behind, and nothing said they were dead.
    #[test]
    fn rules_other_rules_always_decide_for_are_dead() {
        let r = lint(&fixture("lint-dead.json"), &x86_64());
        let dead: BTreeSet<(Severity, String)> = r
            .findings
            .iter()
            .filter(|f| f.id == LintId::DeadRule)
            .map(|f| (f.severity, f.location.to_string()))
            .collect();
        let want: BTreeSet<(Severity, String)> = [
            (Severity::Low, "syscalls[1] socket"),
            (Severity::Low, "syscalls[2] socket"),
            (Severity::Low, "syscalls[6] fcntl"),
        ]
        .into_iter()
        .map(|(s, l)| (s, l.to_string()))
        .collect();
        assert!(want.is_subset(&dead), "{dead:?}\n{}", r.to_text());
        // The merged allow, the first of two equal fcntl rules, the rule that alone allows
        // F_SETFL and the duplicate getpid (duplicate-rule's) are not dead.
        for alive in ["syscalls[3]", "syscalls[5]", "syscalls[7]", "syscalls[8]"] {
            assert!(
                !dead
                    .iter()
                    .any(|(_, l)| l.starts_with(&format!("{alive} "))),
                "{alive} reported dead: {dead:?}"
            );
        }
        assert!(has(
            &r,
            LintId::DuplicateRule,
            Severity::Info,
            "syscalls[8] getpid"
        ));
        let f = r
            .findings
            .iter()
            .find(|f| f.id == LintId::DeadRule && f.location.rule == Some(1))
            .expect("syscalls[1] is dead");
        assert!(f.message.contains("syscalls[3]"), "{}", f.message);
        assert_eq!(
            f.fix,
            "remove syscalls[1]; if its conditions were the intent, narrow syscalls[3] instead"
        );
    }

    /// The deny libseccomp lets an unconditional allow override is never enforced: worse
    /// than a rule that changes nothing.
    #[test]
    fn a_deny_the_filter_never_takes_is_a_high_dead_rule() {
        let r = lint(&fixture("lint-dead.json"), &x86_64());
        let errno_wins = {
            let p = fixture("lint-dead.json");
            let an = Analysis::new(&p, &x86_64());
            let c = an.compiled.as_ref().expect("compiles");
            enforced(c, &an.resolved.arches, "socket", [16, 3, 9, 0, 0, 0]).map(|x| x.1)
        };
        let dead = r
            .findings
            .iter()
            .find(|f| f.id == LintId::DeadRule && f.location.rule == Some(4));
        match errno_wins {
            Some(Action::Errno(22)) => assert!(dead.is_none(), "{dead:?}"),
            Some(other) => {
                let f = dead.expect("the ERRNO rule libseccomp overrides is dead");
                assert_eq!(f.severity, Severity::High);
                assert!(f.message.contains(&action_label(other)), "{}", f.message);
            }
            None => panic!("socket exists on x86_64"),
        }
    }

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
