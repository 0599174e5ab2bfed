//! `rpod seccomp diff A B`: what two profiles do differently once enforced.
//!
//! Both profiles are compiled with libseccomp the way runc does ([`compile::compile`]) and the
//! two BPF programs are run in the emulator, so everything libseccomp and the runtime change
//! (dropped rules, split rules, 32-bit truncation, the x32 guard, socketcall multiplexing) is
//! part of the comparison. For each architecture, every syscall number of its table is
//! checked, plus one number above the table (how unknown syscalls are handled) and, on x86_64
//! when x32 is not compared, one x32 number.
//!
//! Arguments are covered exactly: the conditions both profiles use on a syscall split its
//! argument space into cells ([`solve::cells`]) on which both filters decide uniformly, and
//! each cell's witness is run. On a 32-bit arch the conditions are taken as libseccomp
//! enforces them there (low words, [`solve::enforced`]); for a multiplexer (`socketcall`,
//! `ipc`) the conditions of the syscalls it carries and its sub-call numbers count too. Every
//! constant is also tried on every compared argument ([`solve::spread`]): libseccomp 2.5.4
//! sometimes builds a comparison of one argument against another's constant, and a filter
//! that does so is not uniform on the plain cells. Cells with the same difference are merged
//! back into a short condition ([`solve::cover`]). Above [`solve::MAX_CELLS`] cells a syscall
//! is sampled instead, and the result says so.
//!
//! What this assumes: that a filter's decision for a syscall depends only on how each argument
//! compares with the profiles' constants, so one witness per cell speaks for the cell. That
//! holds for a correct libseccomp build and for the wrong builds seen so far (an argument
//! compared with another argument's constant); a build that compared only one 32-bit half of
//! a 64-bit argument would not be caught.
//!
//! Differences that are the same on several architectures are reported once, with the list of
//! architectures.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::arch::{Arch, X32_SYSCALL_BIT};
use crate::bpf::{self, Action};
use crate::compile::{self, CompileError};
use crate::model::{ArgCondition, Op};
use crate::resolve::Resolved;
use crate::solve::{self, ARGS, MAX_32BIT};
use crate::syscalls;

/// The label of the syscall number just above an arch's table.
pub const UNKNOWN_SYSCALL: &str = "(unknown syscall)";
/// The label of an x32 syscall number seen by an x86_64 filter without x32.
pub const X32_SYSCALL: &str = "(x32 syscall)";

/// What to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    /// The architectures to compare; by default the union of both profiles' architectures.
    pub arches: Option<Vec<Arch>>,
    /// How the two profiles are named in the output, e.g. their file names.
    pub labels: [String; 2],
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            arches: None,
            labels: ["A".to_string(), "B".to_string()],
        }
    }
}

/// A failure to build one of the two filters.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("cannot compile {label}")]
    Compile {
        label: String,
        #[source]
        source: CompileError,
    },
}

fn as_display<T: fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// One difference: on these arches, this syscall with arguments in `condition` gets `in_a`
/// from the first profile and `in_b` from the second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub arches: Vec<Arch>,
    /// The syscall name, or [`UNKNOWN_SYSCALL`] / [`X32_SYSCALL`].
    pub syscall: String,
    /// A conjunction of argument conditions, or `any arguments`.
    pub condition: String,
    #[serde(serialize_with = "as_display")]
    pub in_a: Action,
    #[serde(serialize_with = "as_display")]
    pub in_b: Action,
    /// Arguments inside `condition` for which the two filters were run.
    pub args: [u64; ARGS],
}

/// A syscall whose argument cells were too many to check all: a sample was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sampled {
    pub arch: Arch,
    pub syscall: String,
    /// Argument cells run.
    pub checked: usize,
    /// Argument cells there are (saturating).
    pub total: usize,
}

/// Syscalls neither profile names, which the two filters treat differently for any arguments
/// (mostly: the two default actions differ). Listed together to keep the output short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unnamed {
    pub arches: Vec<Arch>,
    #[serde(serialize_with = "as_display")]
    pub in_a: Action,
    #[serde(serialize_with = "as_display")]
    pub in_b: Action,
    /// Sorted names; [`UNKNOWN_SYSCALL`] and [`X32_SYSCALL`] stand for numbers no table names.
    pub syscalls: Vec<String>,
}

/// The semantic difference of two profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub a: String,
    pub b: String,
    /// The architectures compared, in `Arch` order.
    pub arches: Vec<Arch>,
    /// Architectures asked for that rpod has no syscall table for: not compared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<Arch>,
    /// Syscall numbers checked, over all architectures.
    pub syscalls_checked: usize,
    pub equivalent: bool,
    /// Syscalls neither profile names that differ, grouped.
    pub unnamed: Vec<Unnamed>,
    /// Differences on syscalls at least one profile names.
    pub differences: Vec<Difference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sampled: Vec<Sampled>,
}

impl Diff {
    /// True when no difference was found (exit code 0); see [`Diff::exhaustive`].
    #[must_use]
    pub fn equivalent(&self) -> bool {
        self.differences.is_empty() && self.unnamed.is_empty()
    }

    /// True when every argument cell of every syscall of every asked architecture was checked,
    /// so "equivalent" is a proof, not a sample.
    #[must_use]
    pub fn exhaustive(&self) -> bool {
        self.sampled.is_empty() && self.not_compared.is_empty()
    }

    /// Pretty JSON with a trailing newline (`--format json`).
    #[must_use]
    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a diff always serializes");
        s.push('\n');
        s
    }
}

const ANY: &str = "any arguments";

/// Conditions longer than this are not padded to.
const CONDITION_WIDTH: usize = 40;

fn join_arches(arches: &[Arch]) -> String {
    arches
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn call(name: &str, args: &[u64; ARGS]) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if *a == 0 {
                "0".into()
            } else {
                format!("{a:#x}")
            }
        })
        .collect();
    format!("{name}({})", args.join(", "))
}

impl fmt::Display for Diff {
    /// One line per difference, columns aligned, then a summary line:
    ///
    /// ```text
    /// x86_64, x86, x32  mkdir   any arguments                      ALLOW -> ERRNO(1)
    /// x86_64            socket  args[0] == 0x10 && args[2] == 0x9  ERRNO(22) -> ALLOW  (e.g. socket(0x10, 0, 0x9, 0, 0, 0))
    /// ```
    ///
    /// Syscalls neither profile names come first, one line per group (`(212 other syscalls)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rows: Vec<([String; 4], Option<String>)> = Vec::new();
        for u in &self.unnamed {
            rows.push((
                [
                    join_arches(&u.arches),
                    format!(
                        "({} other {})",
                        u.syscalls.len(),
                        if u.syscalls.len() == 1 {
                            "syscall"
                        } else {
                            "syscalls"
                        }
                    ),
                    ANY.to_string(),
                    format!("{} -> {}", u.in_a, u.in_b),
                ],
                None,
            ));
        }
        for d in &self.differences {
            let example =
                (d.condition != ANY).then(|| format!("(e.g. {})", call(&d.syscall, &d.args)));
            rows.push((
                [
                    join_arches(&d.arches),
                    d.syscall.clone(),
                    d.condition.clone(),
                    format!("{} -> {}", d.in_a, d.in_b),
                ],
                example,
            ));
        }
        let mut width = [0usize; 4];
        for (r, _) in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        // One long condition should not push every other line's actions far to the right.
        width[2] = width[2].min(CONDITION_WIDTH);
        for (r, example) in &rows {
            let line = format!(
                "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                example.as_deref().unwrap_or(""),
                w0 = width[0],
                w1 = width[1],
                w2 = width[2],
                w3 = width[3]
            );
            writeln!(f, "{}", line.trim_end())?;
        }
        let arches = join_arches(&self.arches);
        if self.equivalent() {
            writeln!(
                f,
                "{} and {} are equivalent on {arches} ({} syscall numbers checked)",
                self.a, self.b, self.syscalls_checked
            )?;
        } else {
            let named: std::collections::BTreeSet<&str> = self
                .differences
                .iter()
                .map(|d| d.syscall.as_str())
                .collect();
            let other: std::collections::BTreeSet<&str> = self
                .unnamed
                .iter()
                .flat_map(|u| u.syscalls.iter().map(String::as_str))
                .collect();
            let n = named.len() + other.len();
            writeln!(
                f,
                "{} and {} differ in {n} {} on {arches} ({} syscall numbers checked)",
                self.a,
                self.b,
                if n == 1 { "syscall" } else { "syscalls" },
                self.syscalls_checked
            )?;
        }
        if !self.unnamed.is_empty() {
            writeln!(
                f,
                "other syscalls: named by neither profile, or numbers no table names; --format json lists them"
            )?;
        }
        for s in &self.sampled {
            writeln!(
                f,
                "sampled: {} on {}: {} of {} argument cells checked, differences there may be missing",
                s.syscall, s.arch, s.checked, s.total
            )?;
        }
        for a in &self.not_compared {
            writeln!(f, "not compared: {a} (rpod has no syscall table for it)")?;
        }
        Ok(())
    }
}

/// Syscalls that libseccomp also filters through a multiplexer (`socketcall`, `ipc`) on arches
/// that have one, with their sub-call numbers (`SYS_SOCKET` = 1, ...; `SEMOP` = 1, ...).
/// libseccomp adds such a rule to the multiplexer with `args[0] == subcall` in place of the
/// rule's own first condition (`x86_rule_add`), so the multiplexer's cells need these atoms.
const SOCKETCALL: &[(&str, u64)] = &[
    ("socket", 1),
    ("bind", 2),
    ("connect", 3),
    ("listen", 4),
    ("accept", 5),
    ("getsockname", 6),
    ("getpeername", 7),
    ("socketpair", 8),
    ("send", 9),
    ("recv", 10),
    ("sendto", 11),
    ("recvfrom", 12),
    ("shutdown", 13),
    ("setsockopt", 14),
    ("getsockopt", 15),
    ("sendmsg", 16),
    ("recvmsg", 17),
    ("accept4", 18),
    ("recvmmsg", 19),
    ("sendmmsg", 20),
];
const IPC: &[(&str, u64)] = &[
    ("semop", 1),
    ("semget", 2),
    ("semctl", 3),
    ("semtimedop", 4),
    ("msgsnd", 11),
    ("msgrcv", 12),
    ("msgget", 13),
    ("msgctl", 14),
    ("shmat", 21),
    ("shmdt", 22),
    ("shmget", 23),
    ("shmctl", 24),
];

/// Every argument condition the rules of `r` put on each syscall name.
fn atoms_by_name(r: &Resolved) -> BTreeMap<&str, Vec<ArgCondition>> {
    let mut out: BTreeMap<&str, Vec<ArgCondition>> = BTreeMap::new();
    for rule in &r.rules {
        for n in &rule.names {
            out.entry(n.as_str())
                .or_default()
                .extend(rule.args.iter().copied());
        }
    }
    out
}

/// The atoms that decide `name` on an arch: both profiles' conditions on it (and, for a
/// multiplexer, on the syscalls it multiplexes, plus the sub-call numbers), as libseccomp
/// enforces them there.
fn atoms_for(
    name: &str,
    maps: [&BTreeMap<&str, Vec<ArgCondition>>; 2],
    bits32: bool,
) -> Vec<ArgCondition> {
    let family: &[(&str, u64)] = match name {
        "socketcall" => SOCKETCALL,
        "ipc" => IPC,
        _ => &[],
    };
    let mut atoms = Vec::new();
    for m in maps {
        for n in std::iter::once(name).chain(family.iter().map(|(n, _)| *n)) {
            if let Some(a) = m.get(n) {
                atoms.extend(a.iter().map(|c| solve::enforced(c, bits32)));
            }
        }
    }
    atoms.extend(family.iter().map(|(_, sub)| ArgCondition {
        index: 0,
        value: *sub,
        value_two: 0,
        op: Op::Eq,
    }));
    atoms.sort();
    atoms.dedup();
    atoms
}

/// One finding before arches are merged.
type Found = (String, String, Action, Action, [u64; ARGS]);

/// Compares one syscall number on one arch.
fn compare(
    programs: [&bpf::Program; 2],
    arch: Arch,
    nr: u32,
    label: &str,
    atoms: &[ArgCondition],
    found: &mut Vec<Found>,
    sampled: &mut Vec<Sampled>,
) {
    let max = if arch.is_32bit() { MAX_32BIT } else { u64::MAX };
    // Spread: a correct filter decides by the profiles' own comparisons, but libseccomp
    // 2.5.4 sometimes compares an argument against another argument's constant.
    let cs = solve::cells(&solve::spread(atoms), max);
    let run = |p: &bpf::Program, args: [u64; ARGS]| bpf::simulate(p, arch, nr, args).action;
    let outcomes: Vec<(Action, Action)> = cs
        .cells
        .iter()
        .map(|c| (run(programs[0], c.witness), run(programs[1], c.witness)))
        .collect();
    let mut pairs: Vec<(Action, Action)> = Vec::new();
    for o in &outcomes {
        if o.0 != o.1 && !pairs.contains(o) {
            pairs.push(*o);
        }
    }
    if !cs.complete {
        sampled.push(Sampled {
            arch,
            syscall: label.to_string(),
            checked: cs.cells.len(),
            total: cs.total,
        });
        for (cell, o) in cs.cells.iter().zip(&outcomes) {
            if o.0 != o.1 {
                let cond = solve::describe(&solve::simplify(&cs.literals(cell)));
                found.push((label.to_string(), cond, o.0, o.1, cell.witness));
            }
        }
        return;
    }
    for pair in pairs {
        let on: Vec<bool> = outcomes.iter().map(|o| *o == pair).collect();
        for (lits, members) in solve::cover(&cs, &on) {
            let cond = solve::describe(&solve::simplify(&lits));
            let w = cs.cells[members[0]].witness;
            found.push((label.to_string(), cond, pair.0, pair.1, w));
        }
    }
}

/// Compares `a` and `b` as enforced.
///
/// # Errors
/// Fails when libseccomp cannot compile either profile.
pub fn diff(a: &Resolved, b: &Resolved, opts: &DiffOptions) -> Result<Diff, DiffError> {
    let compiled = |r: &Resolved, label: &String| {
        compile::compile(r, None).map_err(|source| DiffError::Compile {
            label: label.clone(),
            source,
        })
    };
    let ca = compiled(a, &opts.labels[0])?;
    let cb = compiled(b, &opts.labels[1])?;
    let mut arches: Vec<Arch> = opts
        .arches
        .clone()
        .unwrap_or_else(|| a.arches.iter().chain(&b.arches).copied().collect());
    arches.sort();
    arches.dedup();
    let (compared, not_compared): (Vec<Arch>, Vec<Arch>) = arches
        .iter()
        .partition(|a| !syscalls::table(**a).is_empty());
    let maps = [&atoms_by_name(a), &atoms_by_name(b)];
    let programs = [&ca.program, &cb.program];
    // (label, condition, A, B, witness) -> arches, which merges equal findings across arches.
    type Key = (String, String, String, String, [u64; ARGS]);
    let mut merged: BTreeMap<Key, (Vec<Arch>, Action, Action)> = BTreeMap::new();
    // (arch, A, B) -> names, then merged across arches with equal name lists.
    let mut unnamed: Vec<(Arch, Action, Action, Vec<String>)> = Vec::new();
    let mut sampled = Vec::new();
    let mut checked = 0usize;
    for &arch in &compared {
        let bits32 = arch.is_32bit();
        let table = syscalls::table(arch);
        // (nr, label, atoms, named by a rule of either profile)
        let mut numbers: Vec<(u32, String, Vec<ArgCondition>, bool)> = table
            .iter()
            .map(|e| {
                let named = is_named(e.name, maps);
                (
                    e.nr,
                    e.name.to_string(),
                    atoms_for(e.name, maps, bits32),
                    named,
                )
            })
            .collect();
        if let Some(last) = table.iter().map(|e| e.nr).max() {
            numbers.push((last + 1, UNKNOWN_SYSCALL.to_string(), Vec::new(), false));
        }
        if arch == Arch::X86_64 && !compared.contains(&Arch::X32) {
            numbers.push((X32_SYSCALL_BIT, X32_SYSCALL.to_string(), Vec::new(), false));
        }
        for (nr, label, atoms, named) in &numbers {
            let mut found = Vec::new();
            compare(programs, arch, *nr, label, atoms, &mut found, &mut sampled);
            for (label, cond, ia, ib, w) in found {
                if !*named {
                    // No rule names it, so there are no atoms and the cell is "any arguments".
                    match unnamed
                        .iter_mut()
                        .find(|u| u.0 == arch && u.1 == ia && u.2 == ib)
                    {
                        Some(u) => u.3.push(label),
                        None => unnamed.push((arch, ia, ib, vec![label])),
                    }
                    continue;
                }
                let key = (label, cond, ia.to_string(), ib.to_string(), w);
                let entry = merged.entry(key).or_insert_with(|| (Vec::new(), ia, ib));
                if !entry.0.contains(&arch) {
                    entry.0.push(arch);
                }
            }
        }
        checked += numbers.len();
    }
    let mut differences: Vec<Difference> = merged
        .into_iter()
        .map(
            |((syscall, condition, _, _, args), (arches, in_a, in_b))| Difference {
                arches,
                syscall,
                condition,
                in_a,
                in_b,
                args,
            },
        )
        .collect();
    differences.sort_by(|x, y| {
        (
            &x.arches,
            &x.syscall,
            &x.condition,
            x.args,
            x.in_a.to_string(),
            x.in_b.to_string(),
        )
            .cmp(&(
                &y.arches,
                &y.syscall,
                &y.condition,
                y.args,
                y.in_a.to_string(),
                y.in_b.to_string(),
            ))
    });
    let mut groups: Vec<Unnamed> = Vec::new();
    for (arch, in_a, in_b, mut names) in unnamed {
        names.sort();
        match groups
            .iter_mut()
            .find(|g| g.in_a == in_a && g.in_b == in_b && g.syscalls == names)
        {
            Some(g) => g.arches.push(arch),
            None => groups.push(Unnamed {
                arches: vec![arch],
                in_a,
                in_b,
                syscalls: names,
            }),
        }
    }
    groups.sort_by(|x, y| {
        (&x.arches, x.in_a.to_string(), x.in_b.to_string()).cmp(&(
            &y.arches,
            y.in_a.to_string(),
            y.in_b.to_string(),
        ))
    });
    Ok(Diff {
        a: opts.labels[0].clone(),
        b: opts.labels[1].clone(),
        arches: compared,
        not_compared,
        syscalls_checked: checked,
        equivalent: differences.is_empty() && groups.is_empty(),
        unnamed: groups,
        differences,
        sampled,
    })
}

/// Whether a rule of either profile names `name` (or, for a multiplexer, a syscall it carries).
fn is_named(name: &str, maps: [&BTreeMap<&str, Vec<ArgCondition>>; 2]) -> bool {
    let family: &[(&str, u64)] = match name {
        "socketcall" => SOCKETCALL,
        "ipc" => IPC,
        _ => &[],
    };
    maps.iter()
        .any(|m| m.contains_key(name) || family.iter().any(|(n, _)| m.contains_key(n)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load;
    use crate::resolve::Context;

    fn cx() -> Context {
        Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        }
    }

    fn resolved(json: &str) -> Resolved {
        load::from_str(json)
            .expect("profile loads")
            .profile
            .resolve(&cx())
    }

    fn fixture(name: &str) -> Resolved {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        resolved(&text)
    }

    fn labels(a: &str, b: &str) -> DiffOptions {
        DiffOptions {
            arches: None,
            labels: [a.to_string(), b.to_string()],
        }
    }

    fn nr(arch: Arch, label: &str) -> u32 {
        match label {
            UNKNOWN_SYSCALL => {
                syscalls::table(arch)
                    .iter()
                    .map(|e| e.nr)
                    .max()
                    .expect("a table")
                    + 1
            }
            X32_SYSCALL => X32_SYSCALL_BIT,
            name => syscalls::number(arch, name).expect("a known name"),
        }
    }

    /// Checks every reported difference by running both filters on its witness.
    fn check_witnesses(a: &Resolved, b: &Resolved, d: &Diff) {
        let ca = compile::compile(a, None).expect("A compiles");
        let cb = compile::compile(b, None).expect("B compiles");
        let run = |arch: Arch, label: &str, args: [u64; ARGS]| {
            let n = nr(arch, label);
            (
                bpf::simulate(&ca.program, arch, n, args).action,
                bpf::simulate(&cb.program, arch, n, args).action,
            )
        };
        for x in &d.differences {
            for arch in &x.arches {
                assert_eq!(
                    run(*arch, &x.syscall, x.args),
                    (x.in_a, x.in_b),
                    "{x:?} on {arch}"
                );
            }
        }
        for u in &d.unnamed {
            for arch in &u.arches {
                for name in &u.syscalls {
                    assert_eq!(
                        run(*arch, name, [0; ARGS]),
                        (u.in_a, u.in_b),
                        "{name} on {arch}"
                    );
                }
            }
        }
    }

    #[test]
    fn podman_default_equals_itself() {
        let p = fixture("podman-default.json");
        let d = diff(
            &p,
            &p,
            &labels("podman-default.json", "podman-default.json"),
        )
        .expect("diff");
        assert!(d.equivalent());
        assert!(d.exhaustive(), "{:?}", d.sampled);
        assert_eq!(d.arches, [Arch::X86_64, Arch::X86, Arch::X32]);
        insta::assert_snapshot!("podman_vs_podman_text", d.to_string());
        insta::assert_snapshot!("podman_vs_podman_json", d.to_json_pretty());
    }

    #[test]
    fn podman_default_vs_moby_default() {
        let p = fixture("podman-default.json");
        let m = fixture("moby-default.json");
        let d = diff(&p, &m, &labels("podman-default.json", "moby-default.json")).expect("diff");
        assert!(!d.equivalent());
        assert!(d.exhaustive(), "{:?}", d.sampled);
        check_witnesses(&p, &m, &d);
        insta::assert_snapshot!("podman_vs_moby_text", d.to_string());
        insta::assert_snapshot!("podman_vs_moby_json", d.to_json_pretty());
    }

    const EVERY_OP_A: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [
          {"names": ["read", "write", "close"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
           "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}]},
          {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_NE"}]},
          {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 9, "op": "SCMP_CMP_NE"}]},
          {"names": ["lseek"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 2, "op": "SCMP_CMP_LE"}]},
          {"names": ["dup2"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 100, "op": "SCMP_CMP_LT"}]},
          {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_GT"}]},
          {"names": ["setuid"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1000, "op": "SCMP_CMP_GE"}]},
          {"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 4, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
          {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
        ]}"#;

    const EVERY_OP_B: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [
          {"names": ["read", "write", "close", "socket"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
          {"names": ["lseek"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 1, "op": "SCMP_CMP_LE"}]},
          {"names": ["dup2"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 100, "op": "SCMP_CMP_LT"}]},
          {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_GT"}]},
          {"names": ["setuid"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1000, "op": "SCMP_CMP_NE"}]},
          {"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 6, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]},
          {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
        ]}"#;

    #[test]
    fn every_op() {
        let a = resolved(EVERY_OP_A);
        let b = resolved(EVERY_OP_B);
        let d = diff(&a, &b, &labels("a.json", "b.json")).expect("diff");
        assert!(d.exhaustive());
        check_witnesses(&a, &b, &d);
        // dup2 is written the same way in both: it differs only where both deny, by errno.
        let dup2: Vec<&Difference> = d
            .differences
            .iter()
            .filter(|x| x.syscall == "dup2")
            .collect();
        assert_eq!(dup2.len(), 1, "{d}");
        assert_eq!(dup2[0].condition, "args[1] >= 0x64");
        assert_eq!(
            (dup2[0].in_a, dup2[0].in_b),
            (Action::Errno(38), Action::Errno(1))
        );
        insta::assert_snapshot!("every_op_text", d.to_string());
        insta::assert_snapshot!("every_op_json", d.to_json_pretty());
    }

    #[test]
    fn identical_differences_merge_across_arches() {
        let a = resolved(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
                "syscalls":[{"names":["mkdir","getpid"],"action":"SCMP_ACT_ALLOW"}]}"#,
        );
        let b = resolved(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
                "syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}]}"#,
        );
        let d = diff(&a, &b, &DiffOptions::default()).expect("diff");
        assert_eq!(
            d.to_string(),
            "x86_64, x86  mkdir  any arguments  ALLOW -> ERRNO(1)\n\
             A and B differ in 1 syscall on x86_64, x86 (846 syscall numbers checked)\n"
                .replace("846", &d.syscalls_checked.to_string())
        );
        // Restricted to one arch on request.
        let d = diff(
            &a,
            &b,
            &DiffOptions {
                arches: Some(vec![Arch::X86]),
                ..DiffOptions::default()
            },
        )
        .expect("diff");
        assert_eq!(d.differences.len(), 1);
        assert_eq!(d.differences[0].arches, [Arch::X86]);
    }

    #[test]
    fn arches_only_one_profile_covers_differ_everywhere() {
        let a = resolved(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_AARCH64"],"syscalls":[]}"#,
        );
        let b = resolved(r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}"#);
        let d = diff(&a, &b, &DiffOptions::default()).expect("diff");
        // B's filter does not cover aarch64: libseccomp kills those syscalls.
        assert!(d.differences.is_empty());
        assert_eq!(d.unnamed.len(), 1);
        let u = &d.unnamed[0];
        assert_eq!(u.arches, [Arch::Aarch64]);
        assert_eq!((u.in_a, u.in_b), (Action::Allow, Action::KillThread));
        assert_eq!(u.syscalls.len(), syscalls::table(Arch::Aarch64).len() + 1);
    }

    #[test]
    fn high_word_is_ignored_on_32_bit_arches() {
        // The two rules differ only above 32 bits: on x86 libseccomp compares the low word,
        // so both allow args[0] == 5 there; on x86_64 they differ.
        let a = resolved(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
                "syscalls":[{"names":["close"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":5,"op":"SCMP_CMP_EQ"}]}]}"#,
        );
        let b = resolved(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
                "syscalls":[{"names":["close"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967301,"op":"SCMP_CMP_EQ"}]}]}"#,
        );
        let d = diff(&a, &b, &DiffOptions::default()).expect("diff");
        check_witnesses(&a, &b, &d);
        assert!(
            d.differences.iter().all(|x| x.arches == [Arch::X86_64]),
            "{d}"
        );
        assert_eq!(d.differences.len(), 2, "{d}");
    }

    #[test]
    fn socketcall_subcalls_are_compared_on_x86() {
        // On x86 libseccomp also filters socket() through socketcall(SYS_SOCKET, ...).
        let a = resolved(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],
                "syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW"}]}"#,
        );
        let b = resolved(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"syscalls":[]}"#,
        );
        let d = diff(
            &a,
            &b,
            &DiffOptions {
                arches: Some(vec![Arch::X86]),
                ..DiffOptions::default()
            },
        )
        .expect("diff");
        check_witnesses(&a, &b, &d);
        let text = d.to_string();
        assert!(text.contains("socketcall  args[0] == 0x1"), "{text}");
        assert!(text.contains("x86  socket      any arguments"), "{text}");
    }
}
