//! Profiles from recordings: what a traced workload did becomes the smallest profile that lets
//! it run (`rpod run --annotation io.containers.trace-syscall=...`, `rpod seccomp record`).
//!
//! A [`Recording`] is the set of syscalls a workload made, with how often, and for the syscalls
//! chosen for argument recording ([`ArgSpec`]), the values one argument took. [`to_profile`]
//! turns it into a profile: default `SCMP_ACT_ERRNO` (EPERM), the recorded arch, one sorted
//! ALLOW rule, plus one rule per recorded argument value. With a base profile (`if:`), the base
//! is kept as it is, what it blocks stays blocked, and what was recorded is added.
//!
//! What a reviewer would approve (docs/recorded-profiles.md): the arguments of
//! [`ALWAYS_RECORDED`] are generalised by meaning ([`generalise`]), `clone3` answers ENOSYS so
//! the libc falls back to a `clone` checked for namespace flags, and every syscall stays within
//! a base profile (podman's default unless `--base`/`base:` names another,
//! [`to_profile_within`]).
//!
//! ```
//! use profiles::record::{Recording, to_profile};
//! use profiles::Arch;
//!
//! let mut rec = Recording::new(Arch::X86_64);
//! rec.syscalls.insert("read".into(), 3);
//! rec.syscalls.insert("exit_group".into(), 1);
//! let out = to_profile(&rec, None).unwrap();
//! assert_eq!(out.profile.syscalls[0].names, ["exit_group", "read"]);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bpf::Action;
use crate::model::{ActionKind, ArgCondition, Op, Profile, Rule};
use crate::resolve::Context;
use crate::solve::{witness_of, Literal};
use crate::Arch;

pub mod generalise;

/// The syscalls whose arguments every recording records, so the profile can limit them by
/// meaning ([`generalise`], docs/recorded-profiles.md): the ones a reviewer asks about.
pub const ALWAYS_RECORDED: &[&str] = &["clone", "fcntl", "ioctl", "prctl", "socket"];

/// [`ALWAYS_RECORDED`] with their [`default_arg`]s, what the engine asks the recorder for
/// when the user names nothing else for them.
#[must_use]
pub fn always_recorded() -> BTreeMap<String, ArgSpec> {
    ALWAYS_RECORDED
        .iter()
        .filter_map(|n| default_arg(n).map(|a| ((*n).to_string(), a)))
        .collect()
}

/// errno of `clone3`'s rule: ENOSYS makes glibc and musl fall back to `clone`, whose flags
/// seccomp can read (clone3 passes them in a struct it cannot).
pub const CLONE3_ERRNO: u32 = 38;

/// Which argument of a syscall is recorded, and which of its bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ArgSpec {
    pub index: u8,
    /// AND-ed with the value before it is recorded; `u64::MAX` keeps every bit.
    pub mask: u64,
}

/// Low 32 bits: the argument is a C `int`/`unsigned int`; the x86_64 and arm64 ABIs leave the
/// register's upper half undefined, so only the low half is compared (MASKED_EQ).
const INT: u64 = 0xffff_ffff;
const PROT_EXEC: u64 = 0x4;

/// The argument rpod records for a syscall when the user names it without an index, and why:
/// what distinguishes one use of the syscall from another for a reviewer.
#[must_use]
pub fn default_arg(syscall: &str) -> Option<ArgSpec> {
    let (index, mask) = match syscall {
        // The address family (AF_UNIX, AF_INET, AF_NETLINK...).
        "socket" | "socketpair" => (0, INT),
        // The clone flags (namespaces, threads); clone3 passes a struct, which seccomp cannot read.
        "clone" => (0, u64::MAX),
        // The request code.
        "ioctl" => (1, INT),
        // The option (PR_SET_NAME, PR_SET_SECCOMP...).
        "prctl" => (0, INT),
        // Whether PROT_EXEC was asked for.
        "mmap" | "mprotect" | "pkey_mprotect" => (2, PROT_EXEC),
        // The persona.
        "personality" => (0, INT),
        // The option of arch_prctl (ARCH_SET_FS...), the command of fcntl, bpf, keyctl.
        "arch_prctl" | "bpf" | "keyctl" => (0, INT),
        "fcntl" => (1, INT),
        // The level and option name.
        "setsockopt" | "getsockopt" => (1, INT),
        _ => return None,
    };
    Some(ArgSpec { index, mask })
}

/// Parses `--args` items: `NAME` (the [`default_arg`]), `NAME:INDEX`, or `NAME:INDEX:MASK`
/// (MASK in decimal or 0x hex).
///
/// # Errors
/// An unknown syscall name, no default for the name, an index above 5, a bad mask.
pub fn parse_arg_specs(list: &str) -> Result<BTreeMap<String, ArgSpec>, RecordError> {
    let mut out = BTreeMap::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut parts = item.split(':');
        let name = parts.next().unwrap_or_default();
        if !crate::syscalls::is_known(name) {
            return Err(RecordError::UnknownSyscall {
                item: item.to_string(),
                suggestion: crate::syscalls::suggest(name).map(str::to_string),
            });
        }
        let spec = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => default_arg(name).ok_or_else(|| RecordError::NoDefaultArg {
                item: item.to_string(),
            })?,
            (Some(i), mask, None) => {
                let index = i.parse::<u8>().ok().filter(|i| *i < 6).ok_or_else(|| {
                    RecordError::BadArgSpec {
                        item: item.to_string(),
                        why: format!("argument index {i:?} is not 0-5"),
                    }
                })?;
                let mask = match mask {
                    None => u64::MAX,
                    Some(m) => parse_u64(m).ok_or_else(|| RecordError::BadArgSpec {
                        item: item.to_string(),
                        why: format!("mask {m:?} is not a number"),
                    })?,
                };
                ArgSpec { index, mask }
            }
            _ => {
                return Err(RecordError::BadArgSpec {
                    item: item.to_string(),
                    why: "too many ':'".into(),
                })
            }
        };
        out.insert(name.to_string(), spec);
    }
    Ok(out)
}

fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The values one argument of one syscall took, with how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedArg {
    pub index: u8,
    pub mask: u64,
    /// Masked value -> calls.
    #[serde(with = "hex_keys")]
    pub values: BTreeMap<u64, u64>,
}

/// What a traced workload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    pub arch: Arch,
    /// libseccomp name -> calls, by the workload.
    pub syscalls: BTreeMap<String, u64>,
    /// libseccomp name -> calls made by the launcher between installing the filter and
    /// exec'ing the workload (a container runtime's last steps: capset, setgroups, ...). The
    /// profile allows them too: the filter sees them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub handoff: BTreeMap<String, u64>,
    /// Syscalls made through the 32-bit ABI (`arch`'s compat arch: x86 on x86_64, arm on
    /// aarch64), named from that arch's table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compat: Option<CompatCalls>,
    /// Numbers with no libseccomp name on this arch (calls the kernel answers with ENOSYS, or
    /// syscalls newer than libseccomp): they cannot be named in an OCI profile.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unnamed: BTreeMap<u32, u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, RecordedArg>,
}

impl Recording {
    #[must_use]
    pub fn new(arch: Arch) -> Recording {
        Recording {
            arch,
            syscalls: BTreeMap::new(),
            handoff: BTreeMap::new(),
            compat: None,
            unnamed: BTreeMap::new(),
            args: BTreeMap::new(),
        }
    }
}

/// Distinct values above which an argument rule is not worth it: the syscall is allowed whole.
pub const MAX_VALUES_PER_SYSCALL: usize = 64;

/// The 32-bit calls of a recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatCalls {
    pub arch: Arch,
    /// libseccomp name (in `arch`'s table) -> calls.
    pub syscalls: BTreeMap<String, u64>,
}

/// A profile built from a recording, with what a reviewer should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub profile: Profile,
    /// Recorded syscalls the base profile blocks; they stay blocked.
    pub kept_blocked: Vec<String>,
    /// Syscalls whose argument values were too many to list; allowed with any argument.
    pub widened: Vec<String>,
    /// Numbers seen that no OCI profile can name.
    pub unnamed: Vec<u32>,
    /// Recorded syscalls (or argument values of them) the base profile does not allow: they
    /// get what the base gives them, not ALLOW.
    pub beyond_base: Vec<String>,
    /// Syscalls the input allows only for some arguments and this recording has no argument
    /// values for: the input's rules are kept as they are (not widened).
    pub kept_input_rules: Vec<String>,
    /// Syscalls the input allowed only for some arguments that this recording needed with any
    /// argument: the input's argument rules were replaced by the unconditional allow.
    pub replaced_input_rules: Vec<String>,
}

/// Builds the profile for `rec`, on top of `input` when given (`if:`), within rpod's default
/// profile (podman's): [`to_profile_within`] with [`crate::default_profile::default_profile`].
///
/// # Errors
/// As [`to_profile_within`].
pub fn to_profile(rec: &Recording, input: Option<&Profile>) -> Result<Built, RecordError> {
    to_profile_within(rec, input, Some(&crate::default_profile::default_profile()))
}

/// Builds the profile for `rec`, on top of `input` when given (`if:`), never looser than
/// `base` (`--base`, `base:`) on any syscall: docs/recorded-profiles.md.
///
/// Without an input: `defaultAction` `SCMP_ACT_ERRNO` (EPERM), `architectures` the recording's
/// arch, one ALLOW rule with the sorted names, then the argument rules.
///
/// With an input: every input rule is kept in order; a recorded syscall that an input rule
/// gives another action than ALLOW stays as the input says (listed in [`Built::kept_blocked`]);
/// the other recorded syscalls are added to the input's first plain ALLOW rule (or a new one),
/// or as argument rules for values the input does not already allow. A syscall the input
/// allows only for some arguments keeps those rules when the recording has no argument values
/// for it ([`Built::kept_input_rules`]), and loses them only when the recording needed it with
/// any argument ([`Built::replaced_input_rules`]).
///
/// Argument values of the syscalls recorded by default ([`ALWAYS_RECORDED`]) are generalised
/// by meaning ([`generalise`]); `clone3` gets ENOSYS ([`CLONE3_ERRNO`]) and `clone` an
/// argument rule instead. Each syscall's rules are then intersected with `base`'s rules for it
/// (resolved for podman's default capabilities on the recording's arch): what the base denies
/// for some arguments stays denied with the base's action, and recorded calls the base does
/// not allow at all are left out ([`Built::beyond_base`]).
///
/// # Errors
/// An input whose default action is ALLOW: adding allow rules to it would change nothing, and a
/// recorded profile must deny what was not recorded.
pub fn to_profile_within(
    rec: &Recording,
    input: Option<&Profile>,
    base: Option<&Profile>,
) -> Result<Built, RecordError> {
    let mut profile = match input {
        Some(b) => {
            if b.default_action == ActionKind::Allow {
                return Err(RecordError::AllowAllBase);
            }
            b.clone()
        }
        None => {
            let mut p = Profile::new(ActionKind::Errno);
            p.default_errno_ret = Some(1);
            p
        }
    };
    // An input that lists no arches covers the native one (and runtimes add its compat arches);
    // one that lists some gets the recording's.
    let compat = rec.compat.as_ref().filter(|c| !c.syscalls.is_empty());
    let mut arches = vec![rec.arch];
    arches.extend(compat.map(|c| c.arch));
    if input.is_none() || !profile.architectures.is_empty() {
        for a in arches {
            if !profile.architectures.contains(&a) {
                profile.architectures.push(a);
            }
        }
    }
    let mut blocked = BTreeSet::new();
    let mut allowed_whole = BTreeSet::new();
    let mut allowed_some = BTreeSet::new();
    for r in &profile.syscalls {
        for n in &r.names {
            if r.action != ActionKind::Allow {
                blocked.insert(n.clone());
            } else if r.args.is_empty() && r.includes.is_empty() && r.excludes.is_empty() {
                allowed_whole.insert(n.clone());
            } else {
                allowed_some.insert(n.clone());
            }
        }
    }
    let base = base.map(|b| {
        b.resolve(&Context {
            host_arch: rec.arch,
            ..Context::default()
        })
    });
    let mut built = Built {
        profile: Profile::new(ActionKind::Errno),
        kept_blocked: Vec::new(),
        widened: Vec::new(),
        unnamed: rec.unnamed.keys().copied().collect(),
        beyond_base: Vec::new(),
        kept_input_rules: Vec::new(),
        replaced_input_rules: Vec::new(),
    };
    let mut whole = Vec::new();
    let mut arg_rules = Vec::new();
    // OCI names apply to every listed arch: a name recorded on one is allowed on all of them.
    let mut names: BTreeSet<&str> = rec
        .syscalls
        .keys()
        .chain(rec.handoff.keys())
        .chain(compat.into_iter().flat_map(|c| c.syscalls.keys()))
        .map(String::as_str)
        .collect();
    // clone3 answers ENOSYS, so the libc falls back to clone: clone must be allowed. And a
    // workload that only cloned gets the same answer for clone3, not the default EPERM on which
    // glibc would not fall back (docs/recorded-profiles.md).
    if names.contains("clone3") {
        names.insert("clone");
    }
    if names.contains("clone") {
        names.insert("clone3");
    }
    for name in names {
        if name == "clone3" {
            if !blocked.contains(name) && !allowed_whole.contains(name) {
                arg_rules.push(rule(
                    name,
                    ActionKind::Errno,
                    Some(CLONE3_ERRNO),
                    Vec::new(),
                ));
            }
            continue;
        }
        if blocked.contains(name) {
            built.kept_blocked.push(name.to_string());
            continue;
        }
        if allowed_whole.contains(name) {
            continue;
        }
        let Some(wanted) = wanted_rules(rec, name, &allowed_some, &mut built) else {
            continue;
        };
        let decided: Vec<(Action, Vec<ArgCondition>)> = match &base {
            None => wanted.into_iter().map(|w| (Action::Allow, w)).collect(),
            Some(base) => {
                let (decided, beyond) = within_base(base, name, wanted);
                if beyond {
                    built.beyond_base.push(name.to_string());
                }
                decided
            }
        };
        if decided
            .iter()
            .any(|(a, w)| *a == Action::Allow && w.is_empty())
        {
            if allowed_some.contains(name) {
                // The input's argument rules for it are dead now: drop them, and say so.
                for r in &mut profile.syscalls {
                    if r.action == ActionKind::Allow && !r.args.is_empty() {
                        r.names.retain(|n| n != name);
                    }
                }
                profile.syscalls.retain(|r| !r.names.is_empty());
                built.replaced_input_rules.push(name.to_string());
            }
            whole.push(name.to_string());
            continue;
        }
        for (action, conds) in decided {
            let (kind, errno) = action.to_oci();
            let covered = profile.syscalls.iter().any(|r| {
                r.names.iter().any(|n| n == name)
                    && r.includes.is_empty()
                    && r.excludes.is_empty()
                    && r.action == kind
                    && (r.args == conds || (kind == ActionKind::Allow && implies(&conds, &r.args)))
            });
            if !covered {
                arg_rules.push(rule(name, kind, errno, conds));
            }
        }
    }
    if !whole.is_empty() {
        let plain = profile.syscalls.iter_mut().find(|r| {
            r.action == ActionKind::Allow
                && r.args.is_empty()
                && r.includes.is_empty()
                && r.excludes.is_empty()
        });
        match plain {
            Some(r) => {
                r.names.extend(whole);
                r.names.sort();
                r.names.dedup();
            }
            None => {
                whole.sort();
                let rule = rule_of(whole, ActionKind::Allow, None, Vec::new());
                // The plain ALLOW list first, as the hook writes it.
                let at = usize::from(input.is_some()) * profile.syscalls.len();
                profile.syscalls.insert(at, rule);
            }
        }
    }
    arg_rules.dedup();
    profile.syscalls.extend(arg_rules);
    built.profile = profile;
    Ok(built)
}

fn rule(name: &str, action: ActionKind, errno: Option<u32>, args: Vec<ArgCondition>) -> Rule {
    rule_of(vec![name.to_string()], action, errno, args)
}

fn rule_of(
    names: Vec<String>,
    action: ActionKind,
    errno_ret: Option<u32>,
    args: Vec<ArgCondition>,
) -> Rule {
    Rule {
        names,
        action,
        errno_ret,
        args,
        comment: String::new(),
        includes: crate::model::Filter::default(),
        excludes: crate::model::Filter::default(),
    }
}

/// The ALLOW rules the recording asks for one syscall (an empty rule: any argument); `None`
/// when the input's argument rules for it are kept as they are.
fn wanted_rules(
    rec: &Recording,
    name: &str,
    input_some: &BTreeSet<String>,
    built: &mut Built,
) -> Option<Vec<Vec<ArgCondition>>> {
    let seen = rec.args.get(name).filter(|a| !a.values.is_empty());
    let in_handoff = rec.handoff.contains_key(name);
    // A launcher's call carries no argument record (the recorder sees the workload only): a
    // syscall still listed as a handoff call is allowed whole. The engine moves a handoff call
    // whose values it knows into `syscalls` with those values in `args` before building.
    let arg = seen.filter(|_| !in_handoff).cloned();
    let default_spec = default_arg(name);
    let Some(arg) = arg else {
        if input_some.contains(name) && !in_handoff {
            // Defect 5: nothing says the workload needed more than the input's rules.
            built.kept_input_rules.push(name.to_string());
            return None;
        }
        if name == "clone" && !rec.syscalls.contains_key("clone") {
            // Only clone3 was called: the fallback's flags are glibc's and musl's, none of
            // them a namespace flag (docs/recorded-profiles.md).
            let rules = generalise::rules(name, &BTreeSet::new(), rec.arch)?;
            return Some(rules.into_iter().map(|c| vec![c]).collect());
        }
        return Some(vec![Vec::new()]);
    };
    if arg.values.len() > MAX_VALUES_PER_SYSCALL {
        built.widened.push(name.to_string());
        return Some(vec![Vec::new()]);
    }
    if default_spec
        == Some(ArgSpec {
            index: arg.index,
            mask: arg.mask,
        })
    {
        let values: BTreeSet<u64> = arg.values.keys().copied().collect();
        if let Some(rules) = generalise::rules(name, &values, rec.arch) {
            return Some(rules.into_iter().map(|c| vec![c]).collect());
        }
    }
    if covers_all(&arg) {
        return Some(vec![Vec::new()]);
    }
    Some(
        arg.values
            .keys()
            .map(|&v| vec![condition(&arg, v)])
            .collect(),
    )
}

fn lit(c: &ArgCondition, positive: bool) -> Literal {
    Literal::new(*c, positive)
}

/// Whether every call matching `a` matches `b` (both AND-ed conditions).
fn implies(a: &[ArgCondition], b: &[ArgCondition]) -> bool {
    let pos: Vec<Literal> = a.iter().map(|c| lit(c, true)).collect();
    b.iter().all(|c| {
        let mut l = pos.clone();
        l.push(lit(c, false));
        witness_of(&l).is_none()
    })
}

/// One rule matching the calls both match, when one OCI rule (one condition per argument)
/// says it exactly; `None` when no call matches both, or when saying it needs two conditions
/// on one argument (the call is then left to the default action: stricter, never looser).
fn combine(w: &[ArgCondition], b: &[ArgCondition]) -> Option<Vec<ArgCondition>> {
    let mut out = w.to_vec();
    for c in b {
        match out.iter().position(|x| x.index == c.index) {
            None => out.push(*c),
            Some(i) => {
                let r = out[i];
                witness_of(&[lit(&r, true), lit(c, true)])?;
                if implies(&[r], &[*c]) {
                    continue;
                }
                if implies(&[*c], &[r]) {
                    out[i] = *c;
                    continue;
                }
                return None;
            }
        }
    }
    let all: Vec<Literal> = out.iter().map(|c| lit(c, true)).collect();
    witness_of(&all)?;
    out.sort_by_key(|c| c.index);
    Some(out)
}

/// `wanted` (ALLOW rules of one syscall) cut down to what the base allows, with the base's own
/// action where it gives another; `true` when some wanted rule meets no ALLOW of the base.
fn within_base(
    base: &crate::resolve::Resolved,
    name: &str,
    wanted: Vec<Vec<ArgCondition>>,
) -> (Vec<(Action, Vec<ArgCondition>)>, bool) {
    let rules: Vec<&crate::resolve::ResolvedRule> = base
        .rules
        .iter()
        .filter(|r| r.names.iter().any(|n| n == name))
        .collect();
    if rules.is_empty() {
        return if base.default_action == Action::Allow {
            (
                wanted.into_iter().map(|w| (Action::Allow, w)).collect(),
                false,
            )
        } else {
            (Vec::new(), true)
        };
    }
    let mut out: Vec<(Action, Vec<ArgCondition>)> = Vec::new();
    let mut beyond = false;
    for w in wanted {
        let mut allowed = false;
        for r in &rules {
            if let Some(c) = combine(&w, &r.args) {
                allowed |= r.action == Action::Allow;
                if !out.iter().any(|(a, x)| *a == r.action && *x == c) {
                    out.push((r.action, c));
                }
            }
        }
        beyond |= !allowed;
    }
    (out, beyond)
}

/// Whether every value the mask allows was seen (e.g. mmap with and without PROT_EXEC).
fn covers_all(arg: &RecordedArg) -> bool {
    let bits = arg.mask.count_ones();
    bits <= 6 && arg.values.len() as u64 >= 1u64 << bits
}

fn condition(arg: &RecordedArg, value: u64) -> ArgCondition {
    if arg.mask == u64::MAX {
        ArgCondition {
            index: arg.index,
            value,
            value_two: 0,
            op: Op::Eq,
        }
    } else {
        ArgCondition {
            index: arg.index,
            value: arg.mask,
            value_two: value & arg.mask,
            op: Op::MaskedEq,
        }
    }
}

/// How often each syscall was seen over one or more recordings: the side file
/// (`OUT.counts.json`) that lets a reviewer see what is rare.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Recordings merged into this file.
    pub recordings: u64,
    pub syscalls: BTreeMap<String, SyscallCount>,
    /// The launcher's calls (see [`Recording::handoff`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub handoff: BTreeMap<String, SyscallCount>,
    /// 32-bit calls, by arch (see [`Recording::compat`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub compat: BTreeMap<Arch, BTreeMap<String, SyscallCount>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, RecordedArg>,
    /// Syscalls the workload called beyond what the base profile allows (some arguments or
    /// all), with the number of recordings in which that happened ([`Built::beyond_base`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub beyond_base: BTreeMap<String, u64>,
    /// The workload's syscalls missing from at least one of the recordings (seen in fewer
    /// than `recordings`): the paths a single run may miss. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_in_every_recording: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyscallCount {
    /// Calls over all recordings.
    pub calls: u64,
    /// Recordings in which the syscall was seen.
    pub recordings: u64,
}

impl Counts {
    /// Adds one recording.
    pub fn add(&mut self, rec: &Recording) {
        self.recordings += 1;
        fn add(into: &mut BTreeMap<String, SyscallCount>, from: &BTreeMap<String, u64>) {
            for (name, &calls) in from {
                let c = into.entry(name.clone()).or_default();
                c.calls = c.calls.saturating_add(calls);
                c.recordings += 1;
            }
        }
        add(&mut self.syscalls, &rec.syscalls);
        add(&mut self.handoff, &rec.handoff);
        if let Some(c) = &rec.compat {
            add(self.compat.entry(c.arch).or_default(), &c.syscalls);
        }
        self.not_in_every_recording = self.rare();
        for (name, arg) in &rec.args {
            match self.args.get_mut(name) {
                Some(a) if a.index == arg.index && a.mask == arg.mask => {
                    for (&v, &n) in &arg.values {
                        let e = a.values.entry(v).or_default();
                        *e = e.saturating_add(n);
                    }
                }
                _ => {
                    self.args.insert(name.clone(), arg.clone());
                }
            }
        }
    }

    /// Notes the syscalls one recording needed beyond the base profile.
    pub fn add_beyond_base(&mut self, names: &[String]) {
        for n in names {
            *self.beyond_base.entry(n.clone()).or_default() += 1;
        }
    }

    /// The workload's syscalls seen in fewer recordings than were merged, sorted by name.
    #[must_use]
    pub fn rare(&self) -> Vec<String> {
        self.syscalls
            .iter()
            .filter(|(_, c)| c.recordings < self.recordings)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Pretty, deterministic JSON with a trailing newline.
    #[must_use]
    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("counts always serialize");
        s.push('\n');
        s
    }
}

/// Argument values as hex strings in JSON ("0x1": 3), the way people read flags.
mod hex_keys {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &BTreeMap<u64, u64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(k, v)| (format!("{k:#x}"), v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u64, u64>, D::Error> {
        let raw = BTreeMap::<String, u64>::deserialize(d)?;
        raw.into_iter()
            .map(|(k, v)| {
                super::parse_u64(&k)
                    .map(|k| (k, v))
                    .ok_or_else(|| serde::de::Error::custom(format!("bad argument value {k:?}")))
            })
            .collect()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error("unknown syscall in --args item {item:?}{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownSyscall {
        item: String,
        suggestion: Option<String>,
    },
    #[error("--args item {item:?} names no argument, and rpod has no default for that syscall; write NAME:INDEX or NAME:INDEX:MASK")]
    NoDefaultArg { item: String },
    #[error("bad --args item {item:?}: {why}")]
    BadArgSpec { item: String, why: String },
    #[error("the input profile allows every syscall by default, so a recorded allow list would change nothing; use an input whose defaultAction denies")]
    AllowAllBase,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(names: &[&str]) -> Recording {
        let mut r = Recording::new(Arch::X86_64);
        for n in names {
            r.syscalls.insert((*n).to_string(), 1);
        }
        r
    }

    #[test]
    fn a_recording_becomes_one_sorted_allow_list_with_eperm_default() {
        let out = to_profile(&rec(&["write", "read", "exit_group"]), None).unwrap();
        let json: serde_json::Value = serde_json::from_str(&out.profile.to_json_pretty()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "defaultAction": "SCMP_ACT_ERRNO",
                "defaultErrnoRet": 1,
                "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [{"names": ["exit_group", "read", "write"], "action": "SCMP_ACT_ALLOW"}]
            })
        );
    }

    #[test]
    fn the_output_loads_back_as_a_profile() {
        let mut r = rec(&["read", "socket"]);
        r.args.insert(
            "socket".into(),
            RecordedArg {
                index: 0,
                mask: INT,
                values: [(1, 2), (10, 1)].into(),
            },
        );
        let out = to_profile(&r, None).unwrap();
        let text = out.profile.to_json_pretty();
        let back = crate::load::from_str(&text).unwrap().profile;
        assert_eq!(back, out.profile);
    }

    #[test]
    fn recorded_argument_values_become_one_rule_each() {
        let mut r = rec(&["read", "socket", "mmap"]);
        // Not socket's default spec (the low word): exact values, no generalisation.
        r.args.insert(
            "socket".into(),
            RecordedArg {
                index: 0,
                mask: u64::MAX - 1,
                values: [(0, 2), (16, 1)].into(),
            },
        );
        r.args.insert(
            "mmap".into(),
            RecordedArg {
                index: 2,
                mask: PROT_EXEC,
                values: [(0, 9)].into(),
            },
        );
        let p = to_profile_within(&r, None, None).unwrap().profile;
        assert_eq!(p.syscalls[0].names, ["read"]);
        let socket: Vec<_> = p
            .syscalls
            .iter()
            .filter(|r| r.names == ["socket"])
            .collect();
        assert_eq!(socket.len(), 2);
        assert_eq!(
            socket[1].args[0].to_string(),
            "(args[0] & 0xfffffffffffffffe) == 0x10"
        );
        let mmap: Vec<_> = p.syscalls.iter().filter(|r| r.names == ["mmap"]).collect();
        assert_eq!(mmap[0].args[0].to_string(), "(args[2] & 0x4) == 0x0");
    }

    #[test]
    fn both_values_of_a_one_bit_mask_allow_the_syscall_whole() {
        let mut r = rec(&["mprotect"]);
        r.args.insert(
            "mprotect".into(),
            RecordedArg {
                index: 2,
                mask: PROT_EXEC,
                values: [(0, 1), (4, 1)].into(),
            },
        );
        let p = to_profile(&r, None).unwrap().profile;
        assert_eq!(p.syscalls.len(), 1);
        assert_eq!(p.syscalls[0].names, ["mprotect"]);
    }

    #[test]
    fn a_base_keeps_its_rules_and_what_it_blocks_stays_blocked() {
        let base = crate::load::from_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
                "syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},
                            {"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#,
        )
        .unwrap()
        .profile;
        let out = to_profile(&rec(&["write", "mkdir", "read"]), Some(&base)).unwrap();
        assert_eq!(out.kept_blocked, ["mkdir"]);
        assert_eq!(out.profile.syscalls[0].names, ["read", "write"]);
        assert_eq!(out.profile.syscalls[1], base.syscalls[1]);
    }

    #[test]
    fn recording_again_on_the_previous_output_only_grows_the_list() {
        let first = to_profile(&rec(&["read", "write"]), None).unwrap().profile;
        let second = to_profile(&rec(&["read", "openat"]), Some(&first))
            .unwrap()
            .profile;
        assert_eq!(second.syscalls.len(), 1);
        assert_eq!(second.syscalls[0].names, ["openat", "read", "write"]);
        let third = to_profile(&rec(&["read"]), Some(&second)).unwrap().profile;
        assert_eq!(third, second);
    }

    #[test]
    fn argument_values_merge_across_recordings() {
        let mut a = rec(&["socket"]);
        a.args.insert(
            "socket".into(),
            RecordedArg {
                index: 0,
                mask: u64::MAX,
                values: [(1, 1)].into(),
            },
        );
        let first = to_profile_within(&a, None, None).unwrap().profile;
        a.args.get_mut("socket").unwrap().values = [(1, 1), (2, 1)].into();
        let second = to_profile_within(&a, Some(&first), None).unwrap().profile;
        let socket: Vec<_> = second
            .syscalls
            .iter()
            .filter(|r| r.names == ["socket"])
            .collect();
        assert_eq!(socket.len(), 2, "{second:#?}");
    }

    #[test]
    fn compat_calls_add_their_arch_and_names() {
        let mut r = rec(&["read"]);
        r.compat = Some(CompatCalls {
            arch: Arch::X86,
            syscalls: [("mkdir".to_string(), 1)].into(),
        });
        let p = to_profile(&r, None).unwrap().profile;
        assert_eq!(p.architectures, [Arch::X86_64, Arch::X86]);
        assert_eq!(p.syscalls[0].names, ["mkdir", "read"]);
        let mut c = Counts::default();
        c.add(&r);
        assert_eq!(c.compat[&Arch::X86]["mkdir"].calls, 1);
        let back: Counts = serde_json::from_str(&c.to_json_pretty()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn an_allow_all_base_is_refused() {
        let base = Profile::new(ActionKind::Allow);
        assert_eq!(
            to_profile(&rec(&["read"]), Some(&base)).unwrap_err(),
            RecordError::AllowAllBase
        );
    }

    #[test]
    fn arg_specs_parse_defaults_indexes_and_masks() {
        let s = parse_arg_specs("socket, ioctl:1,mmap:2:0x4").unwrap();
        assert_eq!(
            s["socket"],
            ArgSpec {
                index: 0,
                mask: INT
            }
        );
        assert_eq!(
            s["ioctl"],
            ArgSpec {
                index: 1,
                mask: u64::MAX
            }
        );
        assert_eq!(s["mmap"], ArgSpec { index: 2, mask: 4 });
        assert!(matches!(
            parse_arg_specs("sockt"),
            Err(RecordError::UnknownSyscall { .. })
        ));
        assert!(matches!(
            parse_arg_specs("read"),
            Err(RecordError::NoDefaultArg { .. })
        ));
        assert!(matches!(
            parse_arg_specs("read:6"),
            Err(RecordError::BadArgSpec { .. })
        ));
    }

    #[test]
    fn counts_add_up_over_recordings() {
        let mut c = Counts::default();
        c.add(&rec(&["read", "write"]));
        c.add(&rec(&["read"]));
        assert_eq!(c.recordings, 2);
        assert_eq!(
            c.syscalls["read"],
            SyscallCount {
                calls: 2,
                recordings: 2
            }
        );
        assert_eq!(
            c.syscalls["write"],
            SyscallCount {
                calls: 1,
                recordings: 1
            }
        );
        assert_eq!(c.not_in_every_recording, ["write"]);
        let back: Counts = serde_json::from_str(&c.to_json_pretty()).unwrap();
        assert_eq!(back, c);
    }
    /// What the compiled profile does with one call on x86_64 (the BPF emulator).
    fn act(p: &Profile, name: &str, args: [u64; 6]) -> Action {
        let r = p.resolve(&Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        });
        let c = crate::compile::compile(&r, None).expect("recorded profile compiles");
        let nr = crate::syscalls::number(Arch::X86_64, name).expect(name);
        crate::bpf::simulate(&c.program, Arch::X86_64, nr, args).action
    }

    fn with_args(mut r: Recording, name: &str, values: &[u64]) -> Recording {
        let spec = default_arg(name).unwrap();
        r.args.insert(
            name.into(),
            RecordedArg {
                index: spec.index,
                mask: spec.mask,
                values: values.iter().map(|v| (*v, 1)).collect(),
            },
        );
        r
    }

    /// A thread and a fork under musl/glibc, a socket, a terminal, what a shell does.
    fn workload() -> Recording {
        let r = rec(&[
            "read",
            "write",
            "execve",
            "exit_group",
            "clone",
            "clone3",
            "socket",
            "ioctl",
            "prctl",
            "fcntl",
            "wait4",
            "mmap",
        ]);
        let r = with_args(r, "clone", &[0x3d0f00, 0x1200011]);
        let r = with_args(r, "socket", &[2]);
        let r = with_args(r, "ioctl", &[0x5401, 0x5413]);
        let r = with_args(r, "prctl", &[15]);
        with_args(r, "fcntl", &[1, 2])
    }

    #[test]
    fn a_plain_recording_passes_lint_at_high() {
        let out = to_profile(&workload(), None).unwrap();
        let cx = Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        };
        let report = crate::lint::lint(&out.profile, &cx);
        assert!(
            !crate::lint::fails(&report.findings, crate::analysis::risk::Severity::High),
            "{}",
            report.to_text()
        );
    }

    #[test]
    fn clone3_answers_enosys_and_clone_runs_without_namespace_flags() {
        let p = to_profile(&workload(), None).unwrap().profile;
        assert_eq!(act(&p, "clone3", [0; 6]), Action::Errno(38));
        // glibc's pthread_create fallback flags, and fork's.
        assert_eq!(act(&p, "clone", [0x3d0f00, 0, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(act(&p, "clone", [0x1200011, 0, 0, 0, 0, 0]), Action::Allow);
        // posix_spawn's fallback, never recorded: vfork flags are not namespace flags.
        assert_eq!(act(&p, "clone", [0x4111, 0, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(
            act(&p, "clone", [0x1000_0011, 0, 0, 0, 0, 0]),
            Action::Errno(1)
        );
    }

    #[test]
    fn clone_alone_still_answers_clone3_with_enosys() {
        let r = with_args(rec(&["clone", "exit_group"]), "clone", &[0x1200011]);
        let p = to_profile(&r, None).unwrap().profile;
        assert_eq!(act(&p, "clone3", [0; 6]), Action::Errno(38));
    }

    #[test]
    fn clone3_alone_still_allows_the_clone_fallback() {
        let p = to_profile(&rec(&["clone3", "exit_group"]), None)
            .unwrap()
            .profile;
        assert_eq!(act(&p, "clone", [0x3d0f00, 0, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(
            act(&p, "clone", [0x2000_0011, 0, 0, 0, 0, 0]),
            Action::Errno(1)
        );
    }

    #[test]
    fn socket_is_limited_to_the_families_seen() {
        let p = to_profile(&workload(), None).unwrap().profile;
        assert_eq!(act(&p, "socket", [2, 1, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(act(&p, "socket", [10, 1, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(act(&p, "socket", [16, 3, 0, 0, 0, 0]), Action::Errno(1));
        assert_eq!(act(&p, "socket", [17, 3, 0, 0, 0, 0]), Action::Errno(1));
    }

    #[test]
    fn ioctl_prctl_fcntl_are_limited_by_meaning() {
        let p = to_profile(&workload(), None).unwrap().profile;
        // TCSETSW: the same meaning as the TCGETS seen.
        assert_eq!(act(&p, "ioctl", [0, 0x5403, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(act(&p, "ioctl", [0, 0x5412, 0, 0, 0, 0]), Action::Errno(1));
        assert_eq!(act(&p, "prctl", [16, 0, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(act(&p, "prctl", [22, 0, 0, 0, 0, 0]), Action::Errno(1));
        assert_eq!(act(&p, "fcntl", [0, 1, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(act(&p, "fcntl", [0, 4, 0, 0, 0, 0]), Action::Errno(1));
    }

    #[test]
    fn netlink_audit_stays_einval_as_in_the_default_profile() {
        let r = with_args(rec(&["socket"]), "socket", &[16]);
        let p = to_profile(&r, None).unwrap().profile;
        assert_eq!(act(&p, "socket", [16, 3, 0, 0, 0, 0]), Action::Allow);
        assert_eq!(act(&p, "socket", [16, 3, 9, 0, 0, 0]), Action::Errno(22));
        // Without a base, the recording alone would allow it.
        let loose = to_profile_within(&r, None, None).unwrap().profile;
        assert_eq!(act(&loose, "socket", [16, 3, 9, 0, 0, 0]), Action::Allow);
    }

    #[test]
    fn calls_the_base_does_not_allow_are_left_out_and_reported() {
        let r = with_args(
            rec(&["bpf", "personality", "read"]),
            "personality",
            &[0x40_0000],
        );
        let out = to_profile(&r, None).unwrap();
        assert_eq!(out.beyond_base, ["bpf", "personality"]);
        assert_eq!(act(&out.profile, "bpf", [0; 6]), Action::Errno(1));
        assert_eq!(
            act(&out.profile, "personality", [0x40_0000, 0, 0, 0, 0, 0]),
            Action::Errno(1)
        );
        assert_eq!(act(&out.profile, "read", [0; 6]), Action::Allow);
        let mut c = Counts::default();
        c.add_beyond_base(&out.beyond_base);
        assert_eq!(c.beyond_base["bpf"], 1);
        // Another base (--base) that allows them lets them through.
        let open = crate::load::from_str(r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}"#)
            .unwrap()
            .profile;
        let out = to_profile_within(&r, None, Some(&open)).unwrap();
        assert!(out.beyond_base.is_empty());
        assert_eq!(act(&out.profile, "bpf", [0; 6]), Action::Allow);
    }

    #[test]
    fn personality_values_the_base_allows_are_kept() {
        let r = with_args(rec(&["personality"]), "personality", &[0xffff_ffff]);
        let out = to_profile(&r, None).unwrap();
        assert!(out.beyond_base.is_empty());
        assert_eq!(
            act(&out.profile, "personality", [0xffff_ffff, 0, 0, 0, 0, 0]),
            Action::Allow
        );
    }

    fn input_with_personality_rule() -> Profile {
        crate::load::from_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
                "syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},
                            {"names":["personality"],"action":"SCMP_ACT_ALLOW",
                             "args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]}"#,
        )
        .unwrap()
        .profile
    }

    #[test]
    fn an_inputs_argument_rules_are_not_widened_without_argument_values() {
        // Defect 5: if: with argument rules, a recording without the args annotation.
        let input = input_with_personality_rule();
        let out = to_profile(&rec(&["personality", "read"]), Some(&input)).unwrap();
        assert_eq!(out.kept_input_rules, ["personality"]);
        assert_eq!(out.profile.syscalls, input.syscalls);
        assert_eq!(
            act(&out.profile, "personality", [0, 0, 0, 0, 0, 0]),
            Action::Errno(1)
        );
    }

    #[test]
    fn an_inputs_argument_rules_are_replaced_only_when_any_argument_was_needed() {
        let input = input_with_personality_rule();
        let mut r = rec(&["personality"]);
        r.args.insert(
            "personality".into(),
            RecordedArg {
                index: 0,
                mask: u64::MAX,
                values: (0..=MAX_VALUES_PER_SYSCALL as u64)
                    .map(|v| (v, 1))
                    .collect(),
            },
        );
        let out = to_profile_within(&r, Some(&input), None).unwrap();
        assert_eq!(out.replaced_input_rules, ["personality"]);
        // No dead rule left behind: personality is named once, unconditionally.
        let named: Vec<_> = out
            .profile
            .syscalls
            .iter()
            .filter(|x| x.names.iter().any(|n| n == "personality"))
            .collect();
        assert_eq!(named.len(), 1);
        assert!(named[0].args.is_empty());
        // Values inside the input's rules add nothing.
        r.args.get_mut("personality").unwrap().values = [(8, 1)].into();
        let out = to_profile_within(&r, Some(&input), None).unwrap();
        assert_eq!(out.profile.syscalls, input.syscalls);
    }

    #[test]
    fn a_handoff_syscall_with_recorded_values_is_allowed_whole() {
        let mut r = with_args(rec(&["prctl"]), "prctl", &[15]);
        let p = to_profile(&r, None).unwrap().profile;
        assert_eq!(act(&p, "prctl", [22, 0, 0, 0, 0, 0]), Action::Errno(1));
        // The runtime's prctl values are not in the record: it cannot be limited.
        r.handoff.insert("prctl".into(), 2);
        let p = to_profile(&r, None).unwrap().profile;
        assert_eq!(act(&p, "prctl", [22, 0, 0, 0, 0, 0]), Action::Allow);
    }

    #[test]
    fn recording_twice_on_the_output_adds_no_rules() {
        let first = to_profile(&workload(), None).unwrap().profile;
        let second = to_profile(&workload(), Some(&first)).unwrap();
        assert_eq!(second.profile, first);
        assert!(second.kept_blocked.is_empty(), "{:?}", second.kept_blocked);
    }

    #[test]
    fn a_syscall_seen_in_every_recording_is_not_listed_as_rare() {
        let mut c = Counts::default();
        c.add(&rec(&["read", "kill"]));
        assert!(c.not_in_every_recording.is_empty(), "one recording");
        assert!(!c.to_json_pretty().contains("not_in_every_recording"));
        c.add(&rec(&["read"]));
        c.add(&rec(&["read", "write"]));
        assert_eq!(c.not_in_every_recording, ["kill", "write"]);
        assert_eq!(c.rare(), c.not_in_every_recording);
    }
}
