//! Profiles from recordings: what a traced workload did becomes the smallest profile that lets
//! it run (`rpod run --annotation io.containers.trace-syscall=...`, `rpod seccomp record`).
//!
//! A [`Recording`] is the set of syscalls a workload made, with how often, and for the syscalls
//! chosen for argument recording ([`ArgSpec`]), the values one argument took. [`to_profile`]
//! turns it into a profile: default `SCMP_ACT_ERRNO` (EPERM), the recorded arch, one sorted
//! ALLOW rule, plus one rule per recorded argument value. With a base profile (`if:`), the base
//! is kept as it is, what it blocks stays blocked, and what was recorded is added.
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

use crate::model::{ActionKind, ArgCondition, Op, Profile, Rule};
use crate::Arch;

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
}

/// Builds the profile for `rec`, on top of `base` when given (`if:`).
///
/// Without a base: `defaultAction` `SCMP_ACT_ERRNO` (EPERM), `architectures` the recording's
/// arch, one ALLOW rule with the sorted names, then one rule per recorded argument value.
///
/// With a base: every base rule is kept in order; a recorded syscall that a base rule gives
/// another action than ALLOW stays as the base says (listed in [`Built::kept_blocked`]); the
/// other recorded syscalls are added to the base's first plain ALLOW rule (or a new one), or as
/// argument rules for values the base does not already allow.
///
/// # Errors
/// A base whose default action is ALLOW: adding allow rules to it would change nothing, and a
/// recorded profile must deny what was not recorded.
pub fn to_profile(rec: &Recording, base: Option<&Profile>) -> Result<Built, RecordError> {
    let mut profile = match base {
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
    // A base that lists no arches covers the native one (and runtimes add its compat arches);
    // one that lists some gets the recording's.
    let compat = rec.compat.as_ref().filter(|c| !c.syscalls.is_empty());
    let mut arches = vec![rec.arch];
    arches.extend(compat.map(|c| c.arch));
    if base.is_none() || !profile.architectures.is_empty() {
        for a in arches {
            if !profile.architectures.contains(&a) {
                profile.architectures.push(a);
            }
        }
    }
    let mut blocked = BTreeSet::new();
    let mut allowed_whole = BTreeSet::new();
    for r in &profile.syscalls {
        for n in &r.names {
            if r.action != ActionKind::Allow {
                blocked.insert(n.clone());
            } else if r.args.is_empty() && r.includes.is_empty() && r.excludes.is_empty() {
                allowed_whole.insert(n.clone());
            }
        }
    }
    let mut built = Built {
        profile: Profile::new(ActionKind::Errno),
        kept_blocked: Vec::new(),
        widened: Vec::new(),
        unnamed: rec.unnamed.keys().copied().collect(),
    };
    let mut whole = Vec::new();
    let mut arg_rules = Vec::new();
    // OCI names apply to every listed arch: a name recorded on one is allowed on all of them.
    let names: BTreeSet<&String> = rec
        .syscalls
        .keys()
        .chain(rec.handoff.keys())
        .chain(compat.into_iter().flat_map(|c| c.syscalls.keys()))
        .collect();
    for name in names {
        if blocked.contains(name) {
            built.kept_blocked.push(name.clone());
            continue;
        }
        if allowed_whole.contains(name) {
            continue;
        }
        // The launcher's calls carry no argument record: allowed whole.
        let Some(arg) = rec
            .args
            .get(name)
            .filter(|a| !a.values.is_empty() && !rec.handoff.contains_key(name))
        else {
            whole.push(name.clone());
            continue;
        };
        if arg.values.len() > MAX_VALUES_PER_SYSCALL || covers_all(arg) {
            if arg.values.len() > MAX_VALUES_PER_SYSCALL {
                built.widened.push(name.clone());
            }
            whole.push(name.clone());
            continue;
        }
        for &value in arg.values.keys() {
            let cond = condition(arg, value);
            let already = profile.syscalls.iter().any(|r| {
                r.action == ActionKind::Allow
                    && r.names.contains(name)
                    && r.includes.is_empty()
                    && r.excludes.is_empty()
                    && (r.args.contains(&cond)
                        || r.args
                            .iter()
                            .all(|c| c.index == arg.index && c.matches(value)))
            });
            if !already {
                arg_rules.push(Rule {
                    names: vec![name.clone()],
                    action: ActionKind::Allow,
                    errno_ret: None,
                    args: vec![cond],
                    comment: String::new(),
                    includes: crate::model::Filter::default(),
                    excludes: crate::model::Filter::default(),
                });
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
                let rule = Rule {
                    names: whole,
                    action: ActionKind::Allow,
                    errno_ret: None,
                    args: Vec::new(),
                    comment: String::new(),
                    includes: crate::model::Filter::default(),
                    excludes: crate::model::Filter::default(),
                };
                // The plain ALLOW list first, as the hook writes it.
                let at = usize::from(base.is_some()) * profile.syscalls.len();
                profile.syscalls.insert(at, rule);
            }
        }
    }
    profile.syscalls.extend(arg_rules);
    built.profile = profile;
    Ok(built)
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
        r.args.insert(
            "socket".into(),
            RecordedArg {
                index: 0,
                mask: INT,
                values: [(1, 2), (16, 1)].into(),
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
        let p = to_profile(&r, None).unwrap().profile;
        assert_eq!(p.syscalls[0].names, ["read"]);
        let socket: Vec<_> = p
            .syscalls
            .iter()
            .filter(|r| r.names == ["socket"])
            .collect();
        assert_eq!(socket.len(), 2);
        assert_eq!(
            socket[1].args[0].to_string(),
            "(args[0] & 0xffffffff) == 0x10"
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
                mask: INT,
                values: [(1, 1)].into(),
            },
        );
        let first = to_profile(&a, None).unwrap().profile;
        a.args.get_mut("socket").unwrap().values = [(1, 1), (2, 1)].into();
        let second = to_profile(&a, Some(&first)).unwrap().profile;
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
