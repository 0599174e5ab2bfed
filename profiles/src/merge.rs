//! `rpod seccomp merge A B...`: one profile that allows what any input allows.
//!
//! The rule, for every syscall and every argument value:
//! - it is allowed when some input allows it (an ALLOW rule, or an ALLOW default with no rule
//!   of that input matching), unless another input *explicitly* gives it a different action (a
//!   rule, not a default): that is a *conflict*;
//! - in a conflict the stricter action wins ([`Action::strictness`]: KILL_PROCESS > KILL_THREAD >
//!   TRAP > ERRNO > NOTIFY > TRACE > LOG > ALLOW), or with [`Prefer::Permissive`] the most permissive one;
//!   rules of different inputs with different non-ALLOW actions conflict the same way; between
//!   two actions of the same rank (ERRNO(1) and ERRNO(38)) the earlier input wins;
//! - when no input allows it and no rule matches, the merged default action applies: the
//!   stricter of the inputs' defaults (the first input's on a tie) unless given; when no input
//!   allows it but rules match, their action (conflicts as above);
//! - rules are read as written: a rule whose action equals its profile's default still counts
//!   as explicit (runc drops it, but it states intent), two rules of one input that disagree
//!   conflict like rules of two inputs (libseccomp would pick one), a rule comparing one
//!   argument twice is an AND (runc enforces an OR). [`Merged::notes`] lists the last case and
//!   MASKED_EQ conditions whose `valueTwo` has bits outside the mask (never true as written,
//!   libseccomp compares `valueTwo & value`).
//!
//! The inputs are resolved for one [`Context`] first (`includes`/`excludes`, `archMap`); the
//! output has neither. Argument conditions stay exact: each syscall's argument space is split
//! into the cells of the conditions all inputs use on it ([`solve::cells`]), every cell gets its
//! merged action, and the cells of each action are written back as rules ([`solve::cover`]).
//! OCI rules are AND-ed conditions with at most one condition per argument (libseccomp takes
//! one; runc splits a rule with more, turning AND into OR), so a negated condition is written
//! with the negated operator (EQ<->NE, LT<->GE, LE<->GT), a negated MASKED_EQ as one rule per
//! bit, and two conditions on one argument as one condition when they mean one, otherwise as a
//! union of EQ/LE/GE/MASKED_EQ conditions (aligned ranges). Rules with different actions are
//! disjoint, so libseccomp's tree cannot pick a winner the profile did not mean.
//!
//! Every result is checked twice before it is returned:
//! - as written: the output must decide every cell of the inputs' and the output's conditions
//!   as the rule says; on 32-bit arches the same check runs with libseccomp's low-word
//!   comparisons;
//! - as enforced: libseccomp 2.5.4 builds wrong filters for some rule sets that compare
//!   different arguments of one syscall (it gave KILL_PROCESS to `write(1, 1)` for ALLOW if
//!   `args[1] == 0`, ALLOW if `args[0] <= 0`, ERRNO if `args[0] > 0 && args[1] != 0`, in that
//!   order), depending on the order of the rules, and loops forever on others. So the rules
//!   of each syscall are built with libseccomp in a few orders (and, failing that, as one rule
//!   per cell), each built filter is run in the emulator on every cell of every constant on
//!   every compared argument ([`solve::spread`]), and the first order that decides all cells
//!   right is written ([`build::first_built_right`]); the whole profile is then built and
//!   checked once more.
//!
//! Where a check fails, or the result would need more than [`MAX_RULES_PER_SYSCALL`] rules,
//! merging fails with [`MergeError::NotExpressible`] naming the syscall, the inputs' rules and
//! a witness. A libseccomp build that uses [`build::CPU_BUDGET`] of CPU time without returning
//! is given up (CPU time, not wall time, so machine load does not change the result), and its
//! thread is left spinning (safe Rust cannot stop it); after two such builds for
//! one syscall the merge fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Serialize, Serializer};

use crate::arch::Arch;
use crate::bpf::{self, Action};
use crate::model::{ArgCondition, Filter, Op, Profile, Rule};
use crate::resolve::{Context, Resolved, ResolvedRule};
use crate::solve::{self, next_fixed, prev_fixed, ArgSet, Literal, ARGS, MAX_32BIT};
use crate::syscalls;
use crate::{build, compile};

/// The most rules the merge writes for one syscall before it calls the result inexpressible.
pub const MAX_RULES_PER_SYSCALL: usize = 256;

/// The most cells the checks of a merged syscall run (the output's conditions add cells to
/// the inputs', so this is above [`solve::MAX_CELLS`]).
pub const MAX_CHECK_CELLS: usize = 1 << 16;

/// Which action wins a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Prefer {
    #[default]
    Stricter,
    Permissive,
}

/// How to merge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergeOptions {
    pub prefer: Prefer,
    /// The merged default action; by default the stricter of the inputs' defaults.
    pub default_action: Option<Action>,
    /// The output's architectures. Inputs are then read as covering exactly these. Without it
    /// every input must cover the same architectures (a merged rule applies on all of them).
    pub arches: Option<Vec<Arch>>,
}

fn as_display<T: fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// What one input does in a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// 1-based position of the input.
    pub input: usize,
    /// Index into that input's `syscalls[]`; `None` when its default action applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    #[serde(serialize_with = "as_display")]
    pub action: Action,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Some(r) => write!(f, "input {} syscalls[{r}] {}", self.input, self.action),
            None => write!(f, "input {} default {}", self.input, self.action),
        }
    }
}

/// Inputs that disagree on a syscall for some arguments, and what the merge did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub syscall: String,
    /// Where they disagree: conjunctions joined by `||`, or `any arguments`.
    pub condition: String,
    /// A point where they disagree.
    pub args: [u64; ARGS],
    pub sides: Vec<Side>,
    #[serde(serialize_with = "as_display")]
    pub winner: Action,
    pub prefer: Prefer,
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

impl fmt::Display for Conflict {
    /// `socket: input 1 syscalls[2] ALLOW vs input 2 syscalls[0] ERRNO(22) where args[0] ==
    /// 0x10 && args[2] == 0x9 (e.g. socket(0x10, 0, 0x9, 0, 0, 0)); ERRNO(22) wins (stricter)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sides: Vec<String> = self.sides.iter().map(ToString::to_string).collect();
        write!(f, "{}: {} ", self.syscall, sides.join(" vs "))?;
        if self.condition == ANY {
            write!(f, "for any arguments")?;
        } else {
            write!(
                f,
                "where {} (e.g. {})",
                self.condition,
                call(&self.syscall, &self.args)
            )?;
        }
        let why = match self.prefer {
            Prefer::Stricter => "stricter",
            Prefer::Permissive => "permissive",
        };
        write!(f, "; {} wins ({why})", self.winner)
    }
}

/// Something the merge read differently from how runc enforces an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputNote {
    /// 1-based position of the input.
    pub input: usize,
    pub rule: usize,
    pub message: String,
}

impl fmt::Display for InputNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "input {} syscalls[{}]: {}",
            self.input, self.rule, self.message
        )
    }
}

/// The merged profile and how it came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merged {
    pub profile: Profile,
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<InputNote>,
    /// Syscalls whose libseccomp-built filter was checked on the cells of the profile's own
    /// comparisons only (every constant on every argument gave too many cells): a wrong
    /// decision libseccomp makes by comparing one argument against another's constant would
    /// not have been seen there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partially_checked: Vec<String>,
}

impl Merged {
    /// The merged profile as JSON, with a trailing newline. Write this, not
    /// `profile.normalized()`: the rules of a syscall are in the order libseccomp was checked
    /// to build correctly, and libseccomp 2.5.4 builds some other orders wrongly.
    #[must_use]
    pub fn to_json_pretty(&self) -> String {
        self.profile.to_json_pretty()
    }
}

/// One rule of one input, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// 1-based position of the input.
    pub input: usize,
    pub rule: usize,
    pub action: Action,
    pub args: Vec<ArgCondition>,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "input {} syscalls[{}] {}",
            self.input, self.rule, self.action
        )?;
        if !self.args.is_empty() {
            let c: Vec<String> = self.args.iter().map(ToString::to_string).collect();
            write!(f, " if {}", c.join(" && "))?;
        }
        Ok(())
    }
}

/// Why a syscall's merge cannot be written exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inexact {
    /// The conditions split the arguments into more cells than rpod enumerates.
    TooManyCells { total: usize, limit: usize },
    /// Writing the result needs more rules than [`MAX_RULES_PER_SYSCALL`].
    TooManyRules { rules: usize },
    /// On a 32-bit arch libseccomp compares low words only, and there the output would
    /// decide differently than the merge rule says.
    LowWordOnly {
        arches: Vec<Arch>,
        expected: Action,
        got: Action,
    },
    /// The output read as written decides differently than the merge rule says (a bug).
    Mismatch { expected: Action, got: Action },
    /// libseccomp builds a filter that differs from the rules, refuses them or does not
    /// finish, in every rule order rpod tried.
    Libseccomp {
        version: String,
        failure: LibseccompFailure,
    },
}

/// What went wrong inside libseccomp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibseccompFailure {
    /// `seccomp_rule_add` or the export used [`build::CPU_BUDGET`] of CPU time without returning.
    Hang,
    Refused {
        message: String,
    },
    Wrong {
        arch: Arch,
        expected: Action,
        got: Action,
    },
}

impl From<build::Failure> for LibseccompFailure {
    fn from(f: build::Failure) -> Self {
        match f {
            build::Failure::Hang => LibseccompFailure::Hang,
            build::Failure::Refused { message } => LibseccompFailure::Refused { message },
        }
    }
}

impl fmt::Display for Inexact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inexact::TooManyCells { total, limit } => write!(
                f,
                "its conditions split the arguments into {total} cells, more than the {limit} rpod checks"
            ),
            Inexact::TooManyRules { rules } => write!(
                f,
                "writing the result needs {rules} rules, more than {MAX_RULES_PER_SYSCALL}"
            ),
            Inexact::LowWordOnly {
                arches,
                expected,
                got,
            } => write!(
                f,
                "on {} libseccomp compares only the low 32 bits, and there the merged rules give {got} where the inputs give {expected}",
                arches
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Inexact::Mismatch { expected, got } => write!(
                f,
                "the merged rules give {got} where the inputs give {expected} (an rpod bug, please report it)"
            ),
            Inexact::Libseccomp { version, failure } => match failure {
                LibseccompFailure::Hang => write!(
                    f,
                    "libseccomp {version} does not finish building a filter from the merged rules, in any order rpod tried"
                ),
                LibseccompFailure::Refused { message } => write!(
                    f,
                    "libseccomp {version} refuses the merged rules: {message}"
                ),
                LibseccompFailure::Wrong {
                    arch,
                    expected,
                    got,
                } => write!(
                    f,
                    "libseccomp {version} builds a filter that gives {got} on {arch} where the merged rules say {expected}, in every order rpod tried"
                ),
            },
        }
    }
}

fn list_arches(a: &[Arch]) -> String {
    a.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_rules(r: &[RuleRef]) -> String {
    r.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// An input's `listenerPath` and `listenerMetadata` (for SCMP_ACT_NOTIFY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub path: Option<String>,
    pub metadata: Option<String>,
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' (metadata '{}')",
            self.path.as_deref().unwrap_or(""),
            self.metadata.as_deref().unwrap_or("")
        )
    }
}

/// A merge that cannot be done exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: no input profiles")]
    NoInputs,
    #[error(
        "input {input} covers {} but input 1 covers {}; every rule of a merged profile applies on every architecture it lists",
        list_arches(.arches),
        list_arches(.first)
    )]
    ArchesDiffer {
        input: usize,
        arches: Vec<Arch>,
        first: Vec<Arch>,
    },
    #[error(
        "input {input} allows every syscall it does not name (default action ALLOW), which a profile with default action {default} cannot say for syscall numbers no table names"
    )]
    DefaultAllows { input: usize, default: Action },
    #[error(
        "default action ALLOW would allow syscalls that no input allows (input {input} has default action {its})"
    )]
    DefaultWidens { input: usize, its: Action },
    #[error(
        "input {input} names the seccomp listener {other}, but an earlier input names {first}"
    )]
    ListenerDiffers {
        input: usize,
        first: Listener,
        other: Listener,
    },
    #[error("cannot merge '{syscall}' exactly: {why}; rules: {}; e.g. {}", list_rules(.rules), call(.syscall, .args))]
    NotExpressible {
        syscall: String,
        why: Box<Inexact>,
        rules: Vec<RuleRef>,
        args: [u64; ARGS],
    },
}

impl MergeError {
    /// How to get past the error.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            MergeError::NoInputs => "give at least one profile".to_string(),
            MergeError::ArchesDiffer { first, .. } => format!(
                "give the architectures to merge for (e.g. --arch {}); every input is then read as covering them",
                list_arches(first)
            ),
            MergeError::DefaultAllows { input, .. } => format!(
                "merge with `--default-action allow` (so the merged profile keeps what that input allows), or give input {input} a denying default"
            ),
            MergeError::DefaultWidens { .. } => {
                "no input allows by default: leave out `--default-action allow`, or give a denying one".to_string()
            }
            MergeError::ListenerDiffers { .. } => {
                "make the inputs name the same listenerPath and listenerMetadata".to_string()
            }
            MergeError::NotExpressible { syscall, why, .. } => match why.as_ref() {
                Inexact::LowWordOnly { .. } => format!(
                    "keep the constants of the conditions on '{syscall}' below 2^32, or merge for 64-bit architectures only"
                ),
                Inexact::Mismatch { .. } => "report this with both inputs attached".to_string(),
                Inexact::Libseccomp { .. } => format!(
                    "libseccomp mishandles some rules that compare different arguments of one syscall; simplify the conditions on '{syscall}' (e.g. compare the same arguments in every rule), or use another libseccomp"
                ),
                _ => format!(
                    "simplify the conditions on '{syscall}' in one input, or merge with --prefer permissive or stricter to change which rules win"
                ),
            },
        })
    }
}

/// The merged action at one point: the winner, and the sides when it was a conflict.
fn decide(
    inputs: &[&Resolved],
    rules: &[Vec<&ResolvedRule>],
    matches: &dyn Fn(&ResolvedRule) -> bool,
    default: Action,
    prefer: Prefer,
) -> (Action, Option<Vec<Side>>) {
    let mut sides: Vec<Side> = Vec::new();
    for (i, (r, own)) in inputs.iter().zip(rules).enumerate() {
        let hits: Vec<&&ResolvedRule> = own.iter().filter(|x| matches(x)).collect();
        if hits.is_empty() {
            if r.default_action == Action::Allow {
                sides.push(Side {
                    input: i + 1,
                    rule: None,
                    action: Action::Allow,
                });
            }
        } else {
            sides.extend(hits.iter().map(|x| Side {
                input: i + 1,
                rule: Some(x.origin),
                action: x.action,
            }));
        }
    }
    let mut actions: Vec<Action> = Vec::new();
    for s in &sides {
        if !actions.contains(&s.action) {
            actions.push(s.action);
        }
    }
    match actions.as_slice() {
        [] => (default, None),
        [one] => (*one, None),
        _ => {
            // Sides are in input order, so on equal strictness the earlier input wins.
            let pick = match prefer {
                Prefer::Stricter => {
                    actions
                        .iter()
                        .copied()
                        .fold(None, |best: Option<Action>, a| match best {
                            Some(b) if b.strictness() >= a.strictness() => Some(b),
                            _ => Some(a),
                        })
                }
                Prefer::Permissive => {
                    actions
                        .iter()
                        .copied()
                        .fold(None, |best: Option<Action>, a| match best {
                            Some(b) if b.strictness() <= a.strictness() => Some(b),
                            _ => Some(a),
                        })
                }
            };
            (pick.unwrap_or(default), Some(sides))
        }
    }
}

fn holds(
    args: &[ArgCondition],
    w: &[u64; ARGS],
    tf: &dyn Fn(&ArgCondition) -> ArgCondition,
) -> bool {
    args.iter().all(|c| {
        w.get(usize::from(c.index))
            .is_none_or(|x| tf(c).matches(*x))
    })
}

fn cond(index: u8, op: Op, value: u64, value_two: u64) -> ArgCondition {
    ArgCondition {
        index,
        value,
        value_two,
        op,
    }
}

/// `[a, b]` intersected with `x & mask == bits` as a union of single conditions (`None` = no
/// condition needed).
fn interval_atoms(index: u8, a: u64, b: u64, mask: u64, bits: u64) -> Vec<Option<ArgCondition>> {
    let (Some(a), Some(b)) = (next_fixed(a, mask, bits), prev_fixed(b, mask, bits)) else {
        return Vec::new();
    };
    if a > b {
        return Vec::new();
    }
    if a == b {
        return vec![Some(cond(index, Op::Eq, a, 0))];
    }
    if mask == 0 {
        return match (a, b) {
            (0, u64::MAX) => vec![None],
            (0, b) => vec![Some(cond(index, Op::Le, b, 0))],
            (a, u64::MAX) => vec![Some(cond(index, Op::Ge, a, 0))],
            _ => solve::prefix_patterns(a, b, u64::MAX)
                .into_iter()
                .map(|(m, s)| {
                    Some(if m == u64::MAX {
                        cond(index, Op::Eq, s, 0)
                    } else {
                        cond(index, Op::MaskedEq, m, s)
                    })
                })
                .collect(),
        };
    }
    if Some(a) == next_fixed(0, mask, bits) && Some(b) == prev_fixed(u64::MAX, mask, bits) {
        return vec![Some(cond(index, Op::MaskedEq, mask, bits))];
    }
    let mut out = Vec::new();
    for (bm, s) in solve::prefix_patterns(a, b, u64::MAX) {
        if (s ^ bits) & mask & bm != 0 {
            continue;
        }
        let m = bm | mask;
        let v = (s & bm) | bits;
        out.push(match m {
            u64::MAX => Some(cond(index, Op::Eq, v, 0)),
            0 => None,
            _ => Some(cond(index, Op::MaskedEq, m, v)),
        });
    }
    out
}

/// The values of argument `index` satisfying all `atoms` (positive) as a union of single
/// conditions: empty when unsatisfiable, `[None]` when every value satisfies them.
fn single_atoms(index: u8, atoms: &[ArgCondition]) -> Vec<Option<ArgCondition>> {
    let mut set = ArgSet::full();
    for a in atoms {
        set.add(a, true);
    }
    let Some((lo, hi, mask, bits, excluded)) = set.parts() else {
        return Vec::new();
    };
    if let [only] = atoms {
        // One value or all but one: EQ/NE, which libseccomp builds as two nodes where a range
        // takes three; it mishandles trees of range comparisons more often (see
        // `LibseccompFailure`).
        if lo == hi {
            return vec![Some(cond(index, Op::Eq, lo, 0))];
        }
        if mask == 0 && excluded.is_empty() {
            match (lo, hi) {
                (0, h) if h == u64::MAX - 1 => return vec![Some(cond(index, Op::Ne, u64::MAX, 0))],
                (1, u64::MAX) => return vec![Some(cond(index, Op::Ne, 0, 0))],
                _ => {}
            }
        }
        return vec![Some(*only)];
    }
    let whole =
        Some(lo) == next_fixed(0, mask, bits) && Some(hi) == prev_fixed(u64::MAX, mask, bits);
    if whole && excluded.is_empty() {
        return vec![match mask {
            0 => None,
            u64::MAX => Some(cond(index, Op::Eq, bits, 0)),
            _ => Some(cond(index, Op::MaskedEq, mask, bits)),
        }];
    }
    if whole && mask == 0 {
        if let [e] = excluded.as_slice() {
            return vec![Some(cond(index, Op::Ne, *e, 0))];
        }
    }
    let mut out = Vec::new();
    let mut start = Some(lo);
    for e in excluded {
        if let Some(s) = start {
            if e > s {
                out.extend(interval_atoms(index, s, e - 1, mask, bits));
            }
        }
        start = e.checked_add(1);
    }
    if let Some(s) = start {
        if s <= hi {
            out.extend(interval_atoms(index, s, hi, mask, bits));
        }
    }
    out
}

/// A cube (conjunction of literals) as OCI rules (each at most one condition per argument),
/// or the count when there would be more than `cap`.
fn cube_rules(lits: &[Literal], cap: usize) -> Result<Vec<Vec<ArgCondition>>, usize> {
    let mut per_arg: Vec<Vec<ArgCondition>> = Vec::new();
    for k in 0..u8::try_from(ARGS).unwrap_or(u8::MAX) {
        let on: Vec<&Literal> = lits.iter().filter(|l| l.cond.index == k).collect();
        if on.is_empty() {
            continue;
        }
        let base: Vec<ArgCondition> = on.iter().filter_map(|l| l.as_condition()).collect();
        let mut alts: Vec<Vec<ArgCondition>> = vec![base];
        for l in on.iter().filter(|l| l.as_condition().is_none()) {
            let (m, v) = (l.cond.value, l.cond.value_two);
            if v & !m != 0 {
                continue; // `x & m` never equals v: the negation always holds.
            }
            // x & m != v: some bit of m differs from v.
            let mut next = Vec::new();
            for alt in &alts {
                for b in (0..64).map(|i| 1u64 << i).filter(|b| m & b != 0) {
                    let mut a = alt.clone();
                    a.push(cond(k, Op::MaskedEq, b, !v & b));
                    next.push(a);
                }
            }
            if next.len() > cap * 64 {
                return Err(next.len());
            }
            alts = next;
        }
        let mut union: Vec<Option<ArgCondition>> = Vec::new();
        for alt in &alts {
            for a in single_atoms(k, alt) {
                if !union.contains(&a) {
                    union.push(a);
                }
            }
            if union.len() > cap {
                return Err(union.len());
            }
        }
        if union.is_empty() {
            return Ok(Vec::new());
        }
        if union.contains(&None) {
            continue;
        }
        per_arg.push(union.into_iter().flatten().collect());
    }
    let total = per_arg
        .iter()
        .fold(1usize, |n, alts| n.saturating_mul(alts.len()));
    if total > cap {
        return Err(total);
    }
    let mut rules: Vec<Vec<ArgCondition>> = vec![Vec::new()];
    for alts in &per_arg {
        rules = rules
            .iter()
            .flat_map(|r| {
                alts.iter().map(move |a| {
                    let mut r = r.clone();
                    r.push(*a);
                    r
                })
            })
            .collect();
    }
    Ok(rules)
}

/// Whether every point of rule `a` is in rule `b`.
fn subsumed(a: &[ArgCondition], b: &[ArgCondition]) -> bool {
    b.iter().all(|x| {
        let mut test: Vec<(ArgCondition, bool)> = a.iter().map(|c| (*c, true)).collect();
        test.push((*x, false));
        solve::witness(&test).is_none()
    })
}

/// Drops duplicate rules and rules another rule contains.
fn prune(mut rules: Vec<Vec<ArgCondition>>) -> Vec<Vec<ArgCondition>> {
    for r in &mut rules {
        r.sort();
    }
    rules.sort_by(|x, y| (x.len(), x).cmp(&(y.len(), y)));
    rules.dedup();
    let mut keep: Vec<Vec<ArgCondition>> = Vec::new();
    for r in rules {
        if !keep.iter().any(|k| subsumed(&r, k)) {
            keep.push(r);
        }
    }
    keep
}

const ANY: &str = "any arguments";

/// The merge of one syscall: output rules, conflicts.
struct SyscallMerge {
    /// Equivalent rule sets, preferred first: the short one from the cover, then one rule set
    /// per cell (disjoint rules), which libseccomp builds correctly more often.
    shapes: Vec<Vec<OutRule>>,
    conflicts: Vec<Conflict>,
}

struct Cx<'a> {
    inputs: Vec<&'a Resolved>,
    default: Action,
    prefer: Prefer,
    arches: Vec<Arch>,
}

impl Cx<'_> {
    fn rule_refs(&self, rules: &[Vec<&ResolvedRule>]) -> Vec<RuleRef> {
        rules
            .iter()
            .enumerate()
            .flat_map(|(i, own)| {
                own.iter().map(move |r| RuleRef {
                    input: i + 1,
                    rule: r.origin,
                    action: r.action,
                    args: r.args.clone(),
                })
            })
            .collect()
    }

    fn inexact(
        &self,
        name: &str,
        rules: &[Vec<&ResolvedRule>],
        why: Inexact,
        args: [u64; ARGS],
    ) -> MergeError {
        MergeError::NotExpressible {
            syscall: name.to_string(),
            why: Box::new(why),
            rules: self.rule_refs(rules),
            args,
        }
    }

    fn merge_syscall(
        &self,
        name: &str,
        rules: &[Vec<&ResolvedRule>],
    ) -> Result<SyscallMerge, MergeError> {
        let atoms: Vec<ArgCondition> = rules
            .iter()
            .flatten()
            .flat_map(|r| r.args.iter().copied())
            .collect();
        let cs = solve::cells(&atoms, u64::MAX);
        if !cs.complete {
            let w = cs.cells.first().map_or([0; ARGS], |c| c.witness);
            return Err(self.inexact(
                name,
                rules,
                Inexact::TooManyCells {
                    total: cs.total,
                    limit: solve::MAX_CELLS,
                },
                w,
            ));
        }
        let stated = |c: &ArgCondition| *c;
        let mut outcome: Vec<Action> = Vec::new();
        // (sides, winner) -> cells
        let mut groups: Vec<(Vec<Side>, Action, Vec<usize>)> = Vec::new();
        for (i, cell) in cs.cells.iter().enumerate() {
            let w = cell.witness;
            let (action, sides) = decide(
                &self.inputs,
                rules,
                &|r: &ResolvedRule| holds(&r.args, &w, &stated),
                self.default,
                self.prefer,
            );
            outcome.push(action);
            if let Some(sides) = sides {
                match groups.iter_mut().find(|g| g.0 == sides && g.1 == action) {
                    Some(g) => g.2.push(i),
                    None => groups.push((sides, action, vec![i])),
                }
            }
        }
        let mut conflicts = Vec::new();
        for (sides, winner, members) in groups {
            let on: Vec<bool> = (0..cs.cells.len()).map(|i| members.contains(&i)).collect();
            let conds: Vec<String> = solve::cover(&cs, &on)
                .iter()
                .map(|(l, _)| solve::describe(&solve::simplify(l)))
                .collect();
            conflicts.push(Conflict {
                syscall: name.to_string(),
                condition: conds.join(" || "),
                args: cs.cells[members[0]].witness,
                sides,
                winner,
                prefer: self.prefer,
            });
        }
        let mut actions: Vec<Action> = Vec::new();
        for a in &outcome {
            if *a != self.default && !actions.contains(a) {
                actions.push(*a);
            }
        }
        let mut out: Vec<OutRule> = Vec::new();
        for action in &actions {
            let on: Vec<bool> = outcome.iter().map(|a| a == action).collect();
            let mut written = Vec::new();
            for (lits, members) in solve::cover(&cs, &on) {
                let room = MAX_RULES_PER_SYSCALL.saturating_sub(out.len() + written.len());
                match cube_rules(&lits, room) {
                    Ok(r) => written.extend(r),
                    Err(n) => {
                        let w = cs.cells[members[0]].witness;
                        let rules_needed = out.len() + written.len() + n;
                        return Err(self.inexact(
                            name,
                            rules,
                            Inexact::TooManyRules {
                                rules: rules_needed,
                            },
                            w,
                        ));
                    }
                }
            }
            out.extend(prune(written).into_iter().map(|r| (*action, r)));
        }
        self.verify_shape(name, rules, &out)?;
        let mut shapes = vec![out];
        // The same cells written one by one: disjoint rules.
        let mut cells_shape: Vec<OutRule> = Vec::new();
        let mut fits = true;
        for (cell, action) in cs.cells.iter().zip(&outcome) {
            if *action == self.default {
                continue;
            }
            let room = MAX_RULES_PER_SYSCALL.saturating_sub(cells_shape.len());
            match cube_rules(&solve::simplify(&cs.literals(cell)), room) {
                Ok(r) => cells_shape.extend(r.into_iter().map(|c| (*action, c))),
                Err(_) => {
                    fits = false;
                    break;
                }
            }
        }
        if fits
            && !shapes.contains(&cells_shape)
            && self.verify_shape(name, rules, &cells_shape).is_ok()
        {
            shapes.push(cells_shape);
        }
        // Last, with every range written as masked patterns: libseccomp 2.5.4 builds
        // `<= 0xfffffff7` OR `>= 0x100000000` on one argument wrong in every order, and the
        // same values as aligned prefix patterns right (what the policy lowering falls back
        // to, `kafel_dsl::lower`'s masked style).
        let masked: Vec<Vec<OutRule>> = shapes.iter().filter_map(|s| masked_only(s)).collect();
        for m in masked {
            if !shapes.contains(&m) && self.verify_shape(name, rules, &m).is_ok() {
                shapes.push(m);
            }
        }
        Ok(SyscallMerge { shapes, conflicts })
    }

    /// [`Cx::verify`] for 64-bit and, when the output covers one, 32-bit arches.
    fn verify_shape(
        &self,
        name: &str,
        rules: &[Vec<&ResolvedRule>],
        out: &[OutRule],
    ) -> Result<(), MergeError> {
        self.verify(name, rules, out, false)?;
        if self.arches.iter().any(|a| a.is_32bit()) {
            self.verify(name, rules, out, true)?;
        }
        Ok(())
    }

    /// The rules of a group of syscalls (which all get the same rules) in an order libseccomp
    /// builds correctly, checked by running the built filter on every cell.
    fn libseccomp_order(
        &self,
        names: &[String],
        shapes: &[Vec<OutRule>],
        inputs: &[RuleRef],
    ) -> Result<Vec<OutRule>, MergeError> {
        let target = build::Target {
            names,
            default: self.default,
            arches: &self.arches,
            options: compile::Options::default(),
        };
        let candidates = shapes.iter().flat_map(|rules| {
            build::likely_orders(rules)
                .into_iter()
                .map(|order| order.iter().map(|i| rules[*i].clone()).collect::<Vec<_>>())
        });
        let mut witness = [0u64; ARGS];
        let mut partial = false;
        let found =
            build::first_built_right(&target, candidates, |prog, rules| {
                match check_program(prog, names, rules, self.default, &self.arches, &mut partial) {
                    Ok(()) => build::Verdict::Right,
                    Err(f @ CheckFailure::Wrong { args, .. }) => {
                        witness = args;
                        build::Verdict::Wrong(f)
                    }
                    Err(f @ CheckFailure::TooManyCells { .. }) => build::Verdict::GiveUp(f),
                }
            });
        let failure = match found {
            Ok(ordered) => return Ok(ordered),
            Err(build::SearchFailure::Libseccomp(f)) => f.into(),
            Err(
                build::SearchFailure::Wrong(CheckFailure::Wrong {
                    arch,
                    expected,
                    got,
                    ..
                })
                | build::SearchFailure::GaveUp(CheckFailure::Wrong {
                    arch,
                    expected,
                    got,
                    ..
                }),
            ) => LibseccompFailure::Wrong {
                arch,
                expected,
                got,
            },
            Err(
                build::SearchFailure::GaveUp(CheckFailure::TooManyCells { total })
                | build::SearchFailure::Wrong(CheckFailure::TooManyCells { total }),
            ) => {
                return Err(MergeError::NotExpressible {
                    syscall: names.first().cloned().unwrap_or_default(),
                    why: Box::new(Inexact::TooManyCells {
                        total,
                        limit: MAX_CHECK_CELLS,
                    }),
                    rules: inputs.to_vec(),
                    args: witness,
                });
            }
        };
        Err(MergeError::NotExpressible {
            syscall: names.first().cloned().unwrap_or_default(),
            why: Box::new(Inexact::Libseccomp {
                version: compile::libseccomp_version(),
                failure,
            }),
            rules: inputs.to_vec(),
            args: witness,
        })
    }

    /// Checks the output against the merge rule on every cell of the inputs' and the output's
    /// conditions, as written (64-bit) or as libseccomp enforces them on a 32-bit arch.
    fn verify(
        &self,
        name: &str,
        rules: &[Vec<&ResolvedRule>],
        out: &[(Action, Vec<ArgCondition>)],
        low_word: bool,
    ) -> Result<(), MergeError> {
        let tf = |c: &ArgCondition| {
            if low_word {
                solve::enforced(c, true)
            } else {
                *c
            }
        };
        let atoms: Vec<ArgCondition> = rules
            .iter()
            .flatten()
            .flat_map(|r| r.args.iter())
            .chain(out.iter().flat_map(|(_, a)| a.iter()))
            .map(tf)
            .collect();
        let cs = solve::cells_up_to(
            &atoms,
            if low_word { MAX_32BIT } else { u64::MAX },
            MAX_CHECK_CELLS,
        );
        if !cs.complete {
            let w = cs.cells.first().map_or([0; ARGS], |c| c.witness);
            return Err(self.inexact(
                name,
                rules,
                Inexact::TooManyCells {
                    total: cs.total,
                    limit: MAX_CHECK_CELLS,
                },
                w,
            ));
        }
        for cell in &cs.cells {
            let w = cell.witness;
            let (expected, _) = decide(
                &self.inputs,
                rules,
                &|r: &ResolvedRule| holds(&r.args, &w, &tf),
                self.default,
                self.prefer,
            );
            let mut got: Vec<Action> = Vec::new();
            for (a, args) in out {
                if holds(args, &w, &tf) && !got.contains(a) {
                    got.push(*a);
                }
            }
            let got_one = match got.as_slice() {
                [] => self.default,
                [a] => *a,
                // Two actions at one point: libseccomp would decide, so it is not exact.
                [a, ..] => {
                    if *a == expected {
                        got[1]
                    } else {
                        *a
                    }
                }
            };
            if got.len() > 1 || got_one != expected {
                let why = if low_word {
                    Inexact::LowWordOnly {
                        arches: self
                            .arches
                            .iter()
                            .copied()
                            .filter(|a| a.is_32bit())
                            .collect(),
                        expected,
                        got: got_one,
                    }
                } else {
                    Inexact::Mismatch {
                        expected,
                        got: got_one,
                    }
                };
                return Err(self.inexact(name, rules, why, w));
            }
        }
        Ok(())
    }
}

/// A rule of the output: action and conditions.
type OutRule = build::Rule;

/// `rules` with every range comparison (`<`, `<=`, `>`, `>=`, `!=`) replaced by the aligned
/// prefix patterns ([`solve::prefix_patterns`]) of the values it accepts, one rule per
/// combination; `None` when that needs more than [`MAX_RULES_PER_SYSCALL`] rules or changes
/// nothing.
fn masked_only(rules: &[OutRule]) -> Option<Vec<OutRule>> {
    let interval = |index: u8, lo: u64, hi: u64| -> Vec<Option<ArgCondition>> {
        solve::prefix_patterns(lo, hi, u64::MAX)
            .into_iter()
            .map(|(mask, value)| match mask {
                0 => None,
                u64::MAX => Some(cond(index, Op::Eq, value, 0)),
                _ => Some(cond(index, Op::MaskedEq, mask, value)),
            })
            .collect()
    };
    let mut changed = false;
    let mut out: Vec<OutRule> = Vec::new();
    for (action, conds) in rules {
        let mut partial: Vec<Vec<ArgCondition>> = vec![Vec::new()];
        for c in conds {
            let (i, v) = (c.index, c.value);
            let alts: Vec<Option<ArgCondition>> = match c.op {
                Op::Eq | Op::MaskedEq => vec![Some(*c)],
                Op::Le => interval(i, 0, v),
                Op::Lt if v == 0 => Vec::new(),
                Op::Lt => interval(i, 0, v - 1),
                Op::Ge => interval(i, v, u64::MAX),
                Op::Gt if v == u64::MAX => Vec::new(),
                Op::Gt => interval(i, v + 1, u64::MAX),
                Op::Ne => {
                    let mut a = if v == 0 {
                        Vec::new()
                    } else {
                        interval(i, 0, v - 1)
                    };
                    if v < u64::MAX {
                        a.extend(interval(i, v + 1, u64::MAX));
                    }
                    a
                }
            };
            if !matches!(c.op, Op::Eq | Op::MaskedEq) {
                changed = true;
            }
            let mut next = Vec::with_capacity(partial.len() * alts.len());
            for p in &partial {
                for a in &alts {
                    let mut q = p.clone();
                    q.extend(a.iter().copied());
                    next.push(q);
                }
            }
            partial = next;
            if out.len() + partial.len() > MAX_RULES_PER_SYSCALL {
                return None;
            }
        }
        out.extend(partial.into_iter().map(|c| (*action, c)));
    }
    changed.then_some(out)
}

/// Why a built filter could not be confirmed.
enum CheckFailure {
    Wrong {
        arch: Arch,
        args: [u64; ARGS],
        expected: Action,
        got: Action,
    },
    TooManyCells {
        total: usize,
    },
}

/// Runs `prog` on every cell of `rules` for each of `names` on each arch (conditions as
/// libseccomp enforces them there) and compares with the rules read as written: the one
/// matching action, else `default`. Sets `partial` when only the rules' own cells fitted.
fn check_program(
    prog: &bpf::Program,
    names: &[String],
    rules: &[OutRule],
    default: Action,
    arches: &[Arch],
    partial: &mut bool,
) -> Result<(), CheckFailure> {
    for &arch in arches {
        let bits32 = arch.is_32bit();
        let rules32: Vec<(Action, Vec<ArgCondition>)> = rules
            .iter()
            .map(|(a, c)| (*a, c.iter().map(|x| solve::enforced(x, bits32)).collect()))
            .collect();
        let own: Vec<ArgCondition> = rules32
            .iter()
            .flat_map(|(_, c)| c.iter().copied())
            .collect();
        let max = if bits32 { MAX_32BIT } else { u64::MAX };
        let mut cs = solve::cells_up_to(&solve::spread(&own), max, MAX_CHECK_CELLS);
        if !cs.complete {
            // Too many with every constant on every argument: check the rules' own cells,
            // which finds every wrong decision except one libseccomp makes by comparing an
            // argument against another argument's constant.
            *partial = true;
            cs = solve::cells_up_to(&own, max, MAX_CHECK_CELLS);
        }
        if !cs.complete {
            return Err(CheckFailure::TooManyCells { total: cs.total });
        }
        for name in names {
            let Some(nr) = syscalls::number(arch, name) else {
                continue;
            };
            for cell in &cs.cells {
                let w = cell.witness;
                let expected = rules32
                    .iter()
                    .find(|(_, c)| holds(c, &w, &|x| *x))
                    .map_or(default, |(a, _)| *a);
                let got = bpf::simulate(prog, arch, nr, w).action;
                if got != expected {
                    return Err(CheckFailure::Wrong {
                        arch,
                        args: w,
                        expected,
                        got,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Merges `inputs`, each resolved for `cx`.
///
/// # Errors
/// Fails when the inputs cover different architectures (and none are given), when the default
/// action cannot express the union, when listeners differ, or when a syscall's result cannot be
/// written exactly (see [`MergeError`]).
pub fn merge(inputs: &[Profile], cx: &Context, opts: &MergeOptions) -> Result<Merged, MergeError> {
    let resolved: Vec<Resolved> = inputs.iter().map(|p| p.resolve(cx)).collect();
    let Some(first) = resolved.first() else {
        return Err(MergeError::NoInputs);
    };
    let arches = match &opts.arches {
        Some(a) => {
            let mut out: Vec<Arch> = Vec::new();
            for x in a {
                if !out.contains(x) {
                    out.push(*x);
                }
            }
            out
        }
        None => {
            let set = |r: &Resolved| r.arches.iter().copied().collect::<BTreeSet<Arch>>();
            for (i, r) in resolved.iter().enumerate().skip(1) {
                if set(r) != set(first) {
                    return Err(MergeError::ArchesDiffer {
                        input: i + 1,
                        arches: r.arches.clone(),
                        first: first.arches.clone(),
                    });
                }
            }
            first.arches.clone()
        }
    };
    let default = opts.default_action.unwrap_or_else(|| {
        resolved
            .iter()
            .map(|r| r.default_action)
            .fold(first.default_action, |best, a| {
                if a.strictness() > best.strictness() {
                    a
                } else {
                    best
                }
            })
    });
    let allowing = resolved
        .iter()
        .position(|r| r.default_action == Action::Allow);
    match (allowing, default == Action::Allow) {
        (Some(i), false) => {
            return Err(MergeError::DefaultAllows {
                input: i + 1,
                default,
            })
        }
        (None, true) => {
            return Err(MergeError::DefaultWidens {
                input: 1,
                its: first.default_action,
            })
        }
        _ => {}
    }
    let mut chosen: Option<Listener> = None;
    for (i, p) in inputs.iter().enumerate() {
        let l = Listener {
            path: p.listener_path.clone(),
            metadata: p.listener_metadata.clone(),
        };
        if l.path.is_none() && l.metadata.is_none() {
            continue;
        }
        match &chosen {
            None => chosen = Some(l),
            Some(c) if *c == l => {}
            Some(c) => {
                return Err(MergeError::ListenerDiffers {
                    input: i + 1,
                    first: c.clone(),
                    other: l,
                })
            }
        }
    }
    let mut notes = Vec::new();
    for (i, r) in resolved.iter().enumerate() {
        for rule in &r.rules {
            let mut seen = [0usize; ARGS];
            for c in &rule.args {
                if let Some(n) = seen.get_mut(usize::from(c.index)) {
                    *n += 1;
                }
            }
            for c in rule
                .args
                .iter()
                .filter(|c| c.op == Op::MaskedEq && c.value_two & !c.value != 0)
            {
                notes.push(InputNote {
                    input: i + 1,
                    rule: rule.origin,
                    message: format!(
                        "{c} is never true as written (valueTwo has bits outside the mask); libseccomp compares valueTwo & value, the merge reads it as written"
                    ),
                });
            }
            if let Some(k) = seen.iter().position(|n| *n > 1) {
                notes.push(InputNote {
                    input: i + 1,
                    rule: rule.origin,
                    message: format!(
                        "compares args[{k}] more than once; runc enforces such a rule as an OR of its conditions, the merge reads it as written (AND)"
                    ),
                });
            }
        }
    }
    // Per input: the rules naming each syscall.
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let by_name: Vec<BTreeMap<&str, Vec<&ResolvedRule>>> = resolved
        .iter()
        .map(|r| {
            let mut m: BTreeMap<&str, Vec<&ResolvedRule>> = BTreeMap::new();
            for rule in &r.rules {
                for n in &rule.names {
                    names.insert(n.as_str());
                    let v = m.entry(n.as_str()).or_default();
                    if !v.iter().any(|x| std::ptr::eq(*x, rule)) {
                        v.push(rule);
                    }
                }
            }
            m
        })
        .collect();
    let job = Cx {
        inputs: resolved.iter().collect(),
        default,
        prefer: opts.prefer,
        arches: arches.clone(),
    };
    // A syscall with one rule: grouped with others by (action, conditions), like podman's
    // big ALLOW list. Several rules: libseccomp must see them in an order it builds correctly,
    // so syscalls with the same rules form a group that is ordered and checked once.
    type RuleKey = (u8, String, Vec<ArgCondition>);
    let key = |(a, c): &OutRule| (a.strictness(), a.to_string(), c.clone());
    let mut single: BTreeMap<RuleKey, (Action, Vec<String>)> = BTreeMap::new();
    // Rule set -> (its shapes, the syscalls that get it, their inputs' rules).
    type Group = (Vec<Vec<OutRule>>, Vec<String>, Vec<RuleRef>);
    let mut multi: BTreeMap<Vec<RuleKey>, Group> = BTreeMap::new();
    let mut conflicts = Vec::new();
    let mut refs_by_name: BTreeMap<String, Vec<RuleRef>> = BTreeMap::new();
    for name in names {
        let rules: Vec<Vec<&ResolvedRule>> = by_name
            .iter()
            .map(|m| m.get(name).cloned().unwrap_or_default())
            .collect();
        let merged = job.merge_syscall(name, &rules)?;
        refs_by_name.insert(name.to_string(), job.rule_refs(&rules));
        conflicts.extend(merged.conflicts);
        match merged.shapes[0].as_slice() {
            [] => {}
            [one] => single
                .entry(key(one))
                .or_insert_with(|| (one.0, Vec::new()))
                .1
                .push(name.to_string()),
            many => {
                let mut k: Vec<RuleKey> = many.iter().map(key).collect();
                k.sort();
                let entry = multi
                    .entry(k)
                    .or_insert_with(|| (merged.shapes.clone(), Vec::new(), Vec::new()));
                entry.1.push(name.to_string());
                entry.2.extend(job.rule_refs(&rules));
            }
        }
    }
    let rule = |names: Vec<String>, action: Action, args: Vec<ArgCondition>| {
        let (kind, errno_ret) = action.to_oci();
        Rule {
            names,
            action: kind,
            errno_ret,
            args,
            comment: String::new(),
            includes: Filter::default(),
            excludes: Filter::default(),
        }
    };
    let mut syscalls: Vec<Rule> = single
        .into_iter()
        .map(|((_, _, args), (action, names))| rule(names, action, args))
        .collect();
    for (_, (shapes, names, refs)) in multi {
        let ordered = job.libseccomp_order(&names, &shapes, &refs)?;
        syscalls.extend(
            ordered
                .iter()
                .map(|(a, c)| rule(names.clone(), *a, c.clone())),
        );
    }
    let (default_kind, default_errno) = default.to_oci();
    let mut flags: Vec<_> = resolved
        .iter()
        .flat_map(|r| r.flags.iter().copied())
        .collect();
    flags.sort();
    flags.dedup();
    let (listener_path, listener_metadata) = chosen.map_or((None, None), |l| (l.path, l.metadata));
    let profile = Profile {
        default_action: default_kind,
        default_errno_ret: default_errno,
        architectures: arches.clone(),
        arch_map: Vec::new(),
        flags,
        listener_path,
        listener_metadata,
        syscalls,
    };
    // The whole profile once more through libseccomp, every syscall it names: each group's
    // rules were built apart from the others', but this is what runc will be given.
    let whole = profile.resolve(&Context {
        host_arch: *profile.architectures.first().unwrap_or(&cx.host_arch),
        ..cx.clone()
    });
    let fail = |name: &str, why: Inexact, args| MergeError::NotExpressible {
        syscall: name.to_string(),
        why: Box::new(why),
        rules: refs_by_name.get(name).cloned().unwrap_or_default(),
        args,
    };
    let libseccomp = |failure| Inexact::Libseccomp {
        version: compile::libseccomp_version(),
        failure,
    };
    let mut partially_checked = Vec::new();
    if !whole.rules.is_empty() {
        let first = whole.rules[0].names.first().cloned().unwrap_or_default();
        let prog = build::bounded(&whole, None, compile::Options::default())
            .map_err(|f| fail(&first, libseccomp(f.into()), [0; ARGS]))?
            .program;
        let named: BTreeSet<&String> = whole.rules.iter().flat_map(|r| &r.names).collect();
        for name in named {
            let rules: Vec<OutRule> = whole
                .rules
                .iter()
                .filter(|r| r.names.contains(name))
                .map(|r| (r.action, r.args.clone()))
                .collect();
            let mut partial = false;
            match check_program(
                &prog,
                std::slice::from_ref(name),
                &rules,
                default,
                &arches,
                &mut partial,
            ) {
                Ok(()) => {
                    if partial {
                        partially_checked.push(name.clone());
                    }
                }
                Err(CheckFailure::Wrong {
                    arch,
                    args,
                    expected,
                    got,
                }) => {
                    let f = LibseccompFailure::Wrong {
                        arch,
                        expected,
                        got,
                    };
                    return Err(fail(name, libseccomp(f), args));
                }
                Err(CheckFailure::TooManyCells { total }) => {
                    let why = Inexact::TooManyCells {
                        total,
                        limit: MAX_CHECK_CELLS,
                    };
                    return Err(fail(name, why, [0; ARGS]));
                }
            }
        }
    }
    conflicts.sort_by(|a, b| {
        (&a.syscall, &a.condition, a.args).cmp(&(&b.syscall, &b.condition, b.args))
    });
    Ok(Merged {
        profile,
        conflicts,
        notes,
        partially_checked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf;
    use crate::build::chain_key;
    use crate::compile;
    use crate::load;
    use crate::model::ActionKind;
    use crate::syscalls;

    fn cx() -> Context {
        Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        }
    }

    fn profile(json: &str) -> Profile {
        load::from_str(json).expect("profile loads").profile
    }

    fn fixture(name: &str) -> Profile {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        profile(&std::fs::read_to_string(&path).expect("fixture is readable"))
    }

    /// Runs inputs and output through libseccomp and the emulator on x86_64 for every cell of
    /// every syscall they name, and checks the output against the merge rule computed from the
    /// inputs' enforced actions.
    /// Orders rules so that libseccomp adds each syscall's rules in descending chain order.
    ///
    /// libseccomp 2.5.4 loops forever in `seccomp_rule_add` for some rule sequences whose chains
    /// share a first comparison, e.g. `read` LOG if `args[0] >= 7 && args[1] >= 7` followed by
    /// ERRNO if `args[0] >= 7 && args[1] == 0` (the reverse order is fine); runc and crun add rules
    /// in profile order and hang the same way. This order avoided the loop in 1700 random rule sets
    /// (35 looped in the given order), but not every miscompilation, see [`LibseccompFailure`].
    fn sort_for_libseccomp(rules: &mut [Rule]) {
        rules.sort_by(|a, b| {
            chain_key(&b.args)
                .cmp(&chain_key(&a.args))
                .then_with(|| a.action.cmp(&b.action))
                .then_with(|| a.errno_ret.cmp(&b.errno_ret))
                .then_with(|| a.names.cmp(&b.names))
        });
    }

    /// Compiles for x86_64 within the CPU budget of [`build::bounded`]: libseccomp 2.5.4 can
    /// loop forever on some rule orders (see `sort_for_libseccomp`), which must fail the test,
    /// not hang it, and a loaded machine must not fail it (`None` is a hang).
    fn compile_x86_64(r: &Resolved) -> Option<Result<bpf::Program, String>> {
        match build::bounded(r, Some(&[Arch::X86_64]), compile::Options::default()) {
            Ok(c) => Some(Ok(c.program)),
            Err(build::Failure::Hang) => None,
            Err(build::Failure::Refused { message }) => Some(Err(message)),
        }
    }

    fn check_with_emulator(inputs: &[Profile], merged: &Merged, prefer: Prefer) {
        let resolved: Vec<Resolved> = inputs.iter().map(|p| p.resolve(&cx())).collect();
        let programs: Vec<bpf::Program> = resolved
            .iter()
            .map(|r| {
                compile_x86_64(r)
                    .expect("libseccomp does not hang on the input")
                    .expect("input compiles")
            })
            .collect();
        check_programs(&resolved, &programs, merged, prefer);
    }

    fn check_programs(
        resolved: &[Resolved],
        programs: &[bpf::Program],
        merged: &Merged,
        prefer: Prefer,
    ) {
        let arch = Arch::X86_64;
        let out_r = merged.profile.resolve(&cx());
        let out = compile_x86_64(&out_r)
            .expect("libseccomp does not hang on the merged profile")
            .expect("output compiles");
        let default = out_r.default_action;
        let mut names: BTreeSet<&str> = resolved
            .iter()
            .chain(std::iter::once(&out_r))
            .flat_map(|r| {
                r.rules
                    .iter()
                    .flat_map(|x| x.names.iter().map(String::as_str))
            })
            .collect();
        // A few syscalls nobody names: the defaults decide.
        names.extend(["getpid", "mkdir", "reboot"]);
        for name in names {
            let Some(nr) = syscalls::number(arch, name) else {
                continue;
            };
            let atoms: Vec<ArgCondition> = resolved
                .iter()
                .chain(std::iter::once(&out_r))
                .flat_map(|r| r.rules.iter())
                .filter(|x| x.names.iter().any(|n| n == name))
                .flat_map(|x| x.args.iter().copied())
                .collect();
            let mut cs = solve::cells_up_to(&solve::spread(&atoms), u64::MAX, MAX_CHECK_CELLS);
            if !cs.complete {
                cs = solve::cells_up_to(&atoms, u64::MAX, MAX_CHECK_CELLS);
            }
            assert!(cs.complete, "{name}: {} cells", cs.total);
            for cell in &cs.cells {
                let w = cell.witness;
                let mut sides: Vec<(Action, bool)> = Vec::new();
                let mut cands: Vec<Action> = Vec::new();
                for (r, p) in resolved.iter().zip(programs) {
                    let enforced = bpf::simulate(p, arch, nr, w).action;
                    let mut hits: Vec<Action> = Vec::new();
                    for x in &r.rules {
                        if x.names.iter().any(|n| n == name)
                            && x.args.iter().all(|c| c.matches(w[usize::from(c.index)]))
                            && !hits.contains(&x.action)
                        {
                            hits.push(x.action);
                        }
                    }
                    sides.push((enforced, !hits.is_empty()));
                    // An input whose own rules for this syscall overlap with different
                    // actions is ambiguous: libseccomp's tree decides, and it is not even
                    // consistent away from the overlap (libseccomp 2.5.4 gives the default to
                    // write(0, 1) with ERRNO if args[0] >= 2 and ALLOW if args[0] >= 0 &&
                    // args[1] != 0). The merge reads such rules as written; so does the check.
                    let ambiguous = hits.len() > 1
                        || compile::overlap_notes(r)
                            .iter()
                            .any(|n| n.syscall.as_deref() == Some(name));
                    let mine = if ambiguous {
                        if hits.is_empty() {
                            vec![r.default_action]
                        } else {
                            hits
                        }
                    } else {
                        vec![enforced]
                    };
                    for a in mine {
                        if (sides.last().is_some_and(|s| s.1) || a == Action::Allow)
                            && !cands.contains(&a)
                        {
                            cands.push(a);
                        }
                    }
                }
                let expected = match cands.as_slice() {
                    [] => default,
                    [a] => *a,
                    // The first of the strictest (max_by_key keeps the last, hence rev) or
                    // the first of the most permissive: on a tie the earlier input wins.
                    _ => *match prefer {
                        Prefer::Stricter => cands.iter().rev().max_by_key(|a| a.strictness()),
                        Prefer::Permissive => cands.iter().min_by_key(|a| a.strictness()),
                    }
                    .expect("candidates"),
                };
                let got = bpf::simulate(&out, arch, nr, w).action;
                assert_eq!(got, expected, "{name}{w:?}: inputs {sides:?}");
            }
        }
    }

    const SOCKET_ALLOW: &str = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,
        "syscalls":[{"names":["socket","read"],"action":"SCMP_ACT_ALLOW"}]}"#;
    const SOCKET_DENY_AUDIT: &str = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,
        "syscalls":[{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":22,
          "args":[{"index":0,"value":16,"op":"SCMP_CMP_EQ"},{"index":2,"value":9,"op":"SCMP_CMP_EQ"}]},
          {"names":["write"],"action":"SCMP_ACT_ALLOW"}]}"#;

    #[test]
    fn stricter_rule_carves_out_of_an_unconditional_allow() {
        let inputs = [profile(SOCKET_ALLOW), profile(SOCKET_DENY_AUDIT)];
        let m = merge(&inputs, &cx(), &MergeOptions::default()).expect("merges");
        check_with_emulator(&inputs, &m, Prefer::Stricter);
        // podman's way of writing it: ALLOW if args[0] != 16, ALLOW if args[2] != 9; in the
        // order libseccomp was checked to build correctly (the rule with more conditions first).
        let socket: Vec<String> = m
            .profile
            .syscalls
            .iter()
            .filter(|r| r.names.iter().any(|n| n == "socket"))
            .map(|r| {
                format!(
                    "{} {}",
                    r.action.scmp_name(),
                    r.args
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" && ")
                )
            })
            .collect();
        assert_eq!(
            socket,
            [
                "SCMP_ACT_ERRNO args[0] == 0x10 && args[2] == 0x9",
                "SCMP_ACT_ALLOW args[2] != 0x9",
                "SCMP_ACT_ALLOW args[0] != 0x10",
            ]
        );
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(
            m.conflicts[0].to_string(),
            "socket: input 1 syscalls[0] ALLOW vs input 2 syscalls[0] ERRNO(22) where args[0] == 0x10 && args[2] == 0x9 (e.g. socket(0x10, 0, 0x9, 0, 0, 0)); ERRNO(22) wins (stricter)"
        );
        insta::assert_snapshot!("merge_socket_carve_out", m.profile.to_json_pretty());
    }

    #[test]
    fn permissive_lets_the_allow_win() {
        let inputs = [profile(SOCKET_ALLOW), profile(SOCKET_DENY_AUDIT)];
        let opts = MergeOptions {
            prefer: Prefer::Permissive,
            ..MergeOptions::default()
        };
        let m = merge(&inputs, &cx(), &opts).expect("merges");
        check_with_emulator(&inputs, &m, Prefer::Permissive);
        let socket: Vec<&Rule> = m
            .profile
            .syscalls
            .iter()
            .filter(|r| r.names.iter().any(|n| n == "socket"))
            .collect();
        assert_eq!(socket.len(), 1);
        assert!(socket[0].args.is_empty());
        assert_eq!(m.conflicts[0].winner, Action::Allow);
    }

    #[test]
    fn union_of_allow_rules_with_every_op() {
        let a = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
              {"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
              {"names":["lseek"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":1,"op":"SCMP_CMP_LE"}]},
              {"names":["kill"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":100,"op":"SCMP_CMP_GT"}]},
              {"names":["setuid"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1000,"op":"SCMP_CMP_GE"}]},
              {"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":4,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
              {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
              {"names":["bpf"],"action":"SCMP_ACT_ERRNO","errnoRet":1}
            ]}"#,
        );
        let b = profile(
            r#"{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[
              {"names":["read","close"],"action":"SCMP_ACT_ALLOW"},
              {"names":["lseek"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":5,"op":"SCMP_CMP_LT"}]},
              {"names":["kill"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_NE"}]},
              {"names":["setuid"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},
              {"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":3,"value":32,"valueTwo":32,"op":"SCMP_CMP_MASKED_EQ"}]},
              {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},
              {"names":["bpf"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}
            ]}"#,
        );
        let inputs = [a, b];
        let m = merge(&inputs, &cx(), &MergeOptions::default()).expect("merges");
        check_with_emulator(&inputs, &m, Prefer::Stricter);
        // The default is the stricter one.
        assert_eq!(m.profile.default_action, ActionKind::KillProcess);
        // bpf(0, ...) is allowed by input 2 but input 1 denies bpf outright: a conflict.
        assert_eq!(m.conflicts.len(), 1, "{:?}", m.conflicts);
        assert_eq!(m.conflicts[0].syscall, "bpf");
        insta::assert_snapshot!("merge_every_op", m.profile.to_json_pretty());
    }

    #[test]
    fn negated_masked_and_ranges_stay_exact() {
        // Input 1 allows clone for any flags; input 2 denies it when all the namespace flags of
        // 0x7e020000 are set. The allowed rest is a negated MASKED_EQ: one rule per flag bit.
        let a = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW"},
              {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":10,"op":"SCMP_CMP_GE"}]}]}"#,
        );
        let b = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
              {"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[{"index":0,"value":2114060288,"valueTwo":2114060288,"op":"SCMP_CMP_MASKED_EQ"}]},
              {"names":["read"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":20,"op":"SCMP_CMP_EQ"}]},
              {"names":["read"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":15,"op":"SCMP_CMP_GT"},{"index":1,"value":4,"op":"SCMP_CMP_LT"}]}]}"#,
        );
        let inputs = [a, b];
        let m = merge(&inputs, &cx(), &MergeOptions::default()).expect("merges");
        check_with_emulator(&inputs, &m, Prefer::Stricter);
        insta::assert_snapshot!("merge_negated_and_ranges", m.profile.to_json_pretty());
        let text: Vec<String> = m.conflicts.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!("merge_negated_and_ranges_conflicts", text.join("\n"));
    }

    #[test]
    fn podman_and_moby_defaults_merge() {
        let inputs = [fixture("podman-default.json"), fixture("moby-default.json")];
        let m = merge(&inputs, &cx(), &MergeOptions::default()).expect("merges");
        check_with_emulator(&inputs, &m, Prefer::Stricter);
        let text: Vec<String> = m.conflicts.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!("merge_podman_moby_conflicts", text.join("\n"));
        insta::assert_snapshot!("merge_podman_moby", m.profile.to_json_pretty());
    }

    #[test]
    fn merging_a_profile_with_itself_only_settles_its_own_overlaps() {
        // podman's default allows setns in its main list and denies it without CAP_SYS_ADMIN;
        // libseccomp keeps whichever rule it saw first. The merge reads both as written, so
        // that is a conflict, settled like one between inputs; nothing else changes.
        let p = fixture("podman-default.json");
        let twice =
            merge(&[p.clone(), p.clone()], &cx(), &MergeOptions::default()).expect("merges");
        let once =
            merge(std::slice::from_ref(&p), &cx(), &MergeOptions::default()).expect("merges");
        assert_eq!(twice.profile, once.profile, "merging is idempotent");
        let conflicted: BTreeSet<&str> =
            once.conflicts.iter().map(|c| c.syscall.as_str()).collect();
        assert_eq!(conflicted, BTreeSet::from(["setns"]));
        assert_eq!(once.conflicts[0].winner, Action::Errno(1));
        check_with_emulator(&[p], &once, Prefer::Stricter);
    }

    #[test]
    fn defaults_that_cannot_express_the_union_are_refused() {
        let deny_list = profile(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["bpf"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        let allow_list = profile(SOCKET_ALLOW);
        let err = merge(
            &[allow_list.clone(), deny_list.clone()],
            &cx(),
            &MergeOptions::default(),
        )
        .expect_err("the stricter default would deny what input 2 allows");
        assert!(
            matches!(err, MergeError::DefaultAllows { input: 2, .. }),
            "{err}"
        );
        assert!(err.hint().is_some());
        // With ALLOW as the default it is exact: only the explicit deny remains.
        let opts = MergeOptions {
            default_action: Some(Action::Allow),
            ..MergeOptions::default()
        };
        let inputs = [allow_list.clone(), deny_list];
        let m = merge(&inputs, &cx(), &opts).expect("merges");
        check_with_emulator(&inputs, &m, Prefer::Stricter);
        assert_eq!(m.profile.syscalls.len(), 1);
        let err = merge(&[allow_list], &cx(), &opts).expect_err("widens");
        assert!(matches!(err, MergeError::DefaultWidens { .. }), "{err}");
    }

    #[test]
    fn different_arches_need_an_explicit_choice() {
        let a = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#,
        );
        let b = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"syscalls":[{"names":["write"],"action":"SCMP_ACT_ALLOW"}]}"#,
        );
        let err = merge(&[a.clone(), b.clone()], &cx(), &MergeOptions::default())
            .expect_err("arches differ");
        assert_eq!(
            err.to_string(),
            "input 2 covers x86_64, x86 but input 1 covers x86_64; every rule of a merged profile applies on every architecture it lists"
        );
        let opts = MergeOptions {
            arches: Some(vec![Arch::X86_64, Arch::X86]),
            ..MergeOptions::default()
        };
        let m = merge(&[a, b], &cx(), &opts).expect("merges");
        assert_eq!(m.profile.architectures, [Arch::X86_64, Arch::X86]);
    }

    #[test]
    fn high_constants_are_refused_on_32_bit_arches() {
        // Allowed: args[0] >= 5 except 2^32 + 7. On x86 libseccomp compares low words, so the
        // inputs there mean "except 7"; no set of one-condition-per-argument rules says both.
        let a = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"syscalls":[{"names":["close"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":5,"op":"SCMP_CMP_GE"}]}]}"#,
        );
        let b = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"syscalls":[{"names":["close"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":4294967303,"op":"SCMP_CMP_EQ"}]}]}"#,
        );
        let err = merge(&[a.clone(), b.clone()], &cx(), &MergeOptions::default())
            .expect_err("inexact on x86");
        let MergeError::NotExpressible {
            syscall,
            why,
            rules,
            ..
        } = &err
        else {
            panic!("unexpected {err}");
        };
        assert_eq!(syscall, "close");
        assert!(matches!(why.as_ref(), Inexact::LowWordOnly { .. }), "{err}");
        assert_eq!(rules.len(), 2);
        insta::assert_snapshot!(
            "merge_error_low_word",
            format!("{err}\nhint: {}", err.hint().unwrap_or_default())
        );
        // For x86_64 alone it is exact.
        let opts = MergeOptions {
            arches: Some(vec![Arch::X86_64]),
            ..MergeOptions::default()
        };
        let inputs = [a, b];
        let m = merge(&inputs, &cx(), &opts).expect("merges for x86_64");
        let text: Vec<String> = m.conflicts.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            ["close: input 1 syscalls[0] ALLOW vs input 2 syscalls[0] KILL_PROCESS where args[0] == 0x100000007 (e.g. close(0x100000007, 0, 0, 0, 0, 0)); KILL_PROCESS wins (stricter)"]
        );
    }

    #[test]
    fn notes_say_what_the_merge_reads_differently_from_runc() {
        let a = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
              {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":5,"op":"SCMP_CMP_GE"},{"index":0,"value":9,"op":"SCMP_CMP_LE"}]},
              {"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":4,"valueTwo":6,"op":"SCMP_CMP_MASKED_EQ"}]}]}"#,
        );
        let m = merge(&[a], &cx(), &MergeOptions::default()).expect("merges");
        let notes: Vec<String> = m.notes.iter().map(ToString::to_string).collect();
        assert_eq!(
            notes,
            [
                "input 1 syscalls[0]: compares args[0] more than once; runc enforces such a rule as an OR of its conditions, the merge reads it as written (AND)",
                "input 1 syscalls[1]: (args[2] & 0x4) == 0x6 is never true as written (valueTwo has bits outside the mask); libseccomp compares valueTwo & value, the merge reads it as written",
            ]
        );
        // 5 <= fd <= 9 as one-condition rules; the never-true mmap rule is gone.
        let rules: Vec<String> = m
            .profile
            .syscalls
            .iter()
            .map(|r| {
                let c: Vec<String> = r.args.iter().map(ToString::to_string).collect();
                format!("{} {}", r.names.join(","), c.join(" && "))
            })
            .collect();
        assert_eq!(
            rules,
            [
                "read (args[0] & 0xfffffffffffffffe) == 0x8",
                "read (args[0] & 0xfffffffffffffffe) == 0x6",
                "read args[0] == 0x5",
            ]
        );
    }

    #[test]
    fn listeners_must_agree() {
        let a = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","listenerPath":"/run/a.sock","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}"#,
        );
        let b = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","listenerPath":"/run/b.sock","syscalls":[{"names":["write"],"action":"SCMP_ACT_NOTIFY"}]}"#,
        );
        let err =
            merge(&[a.clone(), b], &cx(), &MergeOptions::default()).expect_err("two listeners");
        assert_eq!(
            err.to_string(),
            "input 2 names the seccomp listener '/run/b.sock' (metadata ''), but an earlier input names '/run/a.sock' (metadata '')"
        );
        let m = merge(&[a.clone(), a], &cx(), &MergeOptions::default()).expect("one listener");
        assert_eq!(m.profile.listener_path.as_deref(), Some("/run/a.sock"));
    }

    #[test]
    fn rules_are_ordered_so_libseccomp_builds_them_right() {
        // libseccomp 2.5.4 builds these three disjoint rules, in this order, into a filter
        // that kills write(1, 1) instead of returning EPERM.
        let naive = profile(include_str!("../tests/fixtures/libseccomp-misbuild.json"));
        let nr = syscalls::number(Arch::X86_64, "write").expect("write");
        if compile::libseccomp_version() == "2.5.4" {
            let prog = compile_x86_64(&naive.resolve(&cx()))
                .expect("no hang")
                .expect("compiles");
            assert_eq!(
                bpf::simulate(&prog, Arch::X86_64, nr, [1, 1, 0, 0, 0, 0]).action,
                Action::KillProcess,
                "libseccomp 2.5.4 miscompiles this order; if it no longer does, update the docs"
            );
        }
        // Inputs whose merge is those rules: the written order is one libseccomp gets right.
        let a = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
              {"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":0,"op":"SCMP_CMP_EQ"}]},
              {"names":["write"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        let b = profile(
            r#"{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[
              {"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_LE"}]}]}"#,
        );
        let opts = MergeOptions {
            prefer: Prefer::Permissive,
            ..MergeOptions::default()
        };
        let inputs = [a, b];
        let m = merge(&inputs, &cx(), &opts).expect("merges");
        check_with_emulator(&inputs, &m, Prefer::Permissive);
        let out = compile_x86_64(&m.profile.resolve(&cx()))
            .expect("no hang")
            .expect("compiles");
        assert_eq!(
            bpf::simulate(&out, Arch::X86_64, nr, [1, 1, 0, 0, 0, 0]).action,
            Action::Errno(1)
        );
    }

    /// Issue 11: README's one-argument misbuild. libseccomp 2.5.4 builds `<= 0xfffffff7` OR
    /// `>= 0x100000000` to allow `0xfffffff8` in every order; the merge of the profile with
    /// itself must still succeed (as masked patterns) and be built right.
    #[test]
    fn merge_repairs_a_one_argument_range_misbuild_with_masked_patterns() {
        let p = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
              {"names":["lseek"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":4294967287,"op":"SCMP_CMP_LE"}]},
              {"names":["lseek"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":4294967296,"op":"SCMP_CMP_GE"}]}]}"#,
        );
        let nr = syscalls::number(Arch::X86_64, "lseek").expect("x86_64 has lseek");
        let gap = [0, 0xffff_fff8, 0, 0, 0, 0];
        let input = compile_x86_64(&p.resolve(&cx()))
            .expect("no hang")
            .expect("compiles");
        assert_eq!(
            bpf::simulate(&input, Arch::X86_64, nr, gap).action,
            Action::Allow,
            "libseccomp 2.5.4 misbuilds the input; if it no longer does, update README.md"
        );
        let inputs = [p.clone(), p];
        let m = merge(&inputs, &cx(), &MergeOptions::default()).expect("merges");
        // (Not `check_with_emulator`: it compares with the inputs as libseccomp built them,
        // the misbuild itself.) Both ends of each of the rules' three cells:
        assert!(
            m.profile
                .syscalls
                .iter()
                .flat_map(|r| &r.args)
                .all(|c| matches!(c.op, Op::MaskedEq | Op::Eq)),
            "written as masked patterns: {}",
            m.profile.to_json_pretty()
        );
        let out = compile_x86_64(&m.profile.resolve(&cx()))
            .expect("no hang")
            .expect("compiles");
        for (offset, want) in [
            (0, Action::Allow),
            (0xffff_fff7, Action::Allow),
            (0xffff_fff8, Action::Errno(1)),
            (0xffff_ffff, Action::Errno(1)),
            (0x1_0000_0000, Action::Allow),
            (u64::MAX, Action::Allow),
        ] {
            assert_eq!(
                bpf::simulate(&out, Arch::X86_64, nr, [0, offset, 0, 0, 0, 0]).action,
                want,
                "lseek(0, {offset:#x})"
            );
        }
    }

    #[test]
    fn single_atoms_and_blocks() {
        let s = |atoms: &[ArgCondition]| -> Vec<String> {
            single_atoms(0, atoms)
                .iter()
                .map(|a| a.map_or("-".to_string(), |c| c.to_string()))
                .collect()
        };
        let c = |op, v| cond(0, op, v, 0);
        assert_eq!(s(&[c(Op::Ge, 5), c(Op::Le, 5)]), ["args[0] == 0x5"]);
        assert_eq!(
            s(&[c(Op::Ge, 4), c(Op::Le, 7)]),
            ["(args[0] & 0xfffffffffffffffc) == 0x4"]
        );
        assert_eq!(s(&[c(Op::Ge, 3), c(Op::Lt, 9)]).len(), 3);
        assert_eq!(s(&[c(Op::Ne, 3), c(Op::Ne, 3)]), ["args[0] != 0x3"]);
        assert_eq!(s(&[c(Op::Gt, 3), c(Op::Lt, 3)]), Vec::<String>::new());
        assert_eq!(s(&[c(Op::Ge, 0), c(Op::Le, u64::MAX)]), ["-"]);
        assert_eq!(
            s(&[
                cond(0, Op::MaskedEq, 0xf, 0x1),
                cond(0, Op::MaskedEq, 0xf0, 0x20)
            ]),
            ["(args[0] & 0xff) == 0x21"]
        );
        // x != 5 && x >= 3: [3, 4] and [6, MAX].
        assert_eq!(
            s(&[c(Op::Ne, 5), c(Op::Ge, 3)]),
            ["args[0] == 0x3", "args[0] == 0x4", "args[0] >= 0x6"]
        );
    }

    /// Whether `prog` decides every cell of `r`'s syscalls on x86_64 as its rules say, except
    /// where rules with different actions overlap.
    fn built_as_written(r: &Resolved, prog: &bpf::Program) -> bool {
        let names: BTreeSet<&str> = r
            .rules
            .iter()
            .flat_map(|x| x.names.iter().map(String::as_str))
            .collect();
        names.into_iter().all(|name| {
            let Some(nr) = syscalls::number(Arch::X86_64, name) else {
                return true;
            };
            let rules: Vec<&ResolvedRule> = r
                .rules
                .iter()
                .filter(|x| x.names.iter().any(|n| n == name))
                .collect();
            let atoms: Vec<ArgCondition> =
                rules.iter().flat_map(|x| x.args.iter().copied()).collect();
            let mut cs = solve::cells_up_to(&solve::spread(&atoms), u64::MAX, MAX_CHECK_CELLS);
            if !cs.complete {
                cs = solve::cells_up_to(&atoms, u64::MAX, MAX_CHECK_CELLS);
            }
            cs.complete
                && cs.cells.iter().all(|cell| {
                    let w = cell.witness;
                    let mut hits: Vec<Action> = Vec::new();
                    for x in &rules {
                        if holds(&x.args, &w, &|c| *c) && !hits.contains(&x.action) {
                            hits.push(x.action);
                        }
                    }
                    let got = bpf::simulate(prog, Arch::X86_64, nr, w).action;
                    match hits.as_slice() {
                        [] => got == r.default_action,
                        [a] => got == *a,
                        _ => true,
                    }
                })
        })
    }

    fn arb_atom(index: u8) -> impl Strategy<Value = ArgCondition> {
        (0usize..7, 0u64..8, 0u64..8).prop_map(move |(op, v, v2)| {
            let op = Op::ALL[op];
            ArgCondition {
                index,
                value: v,
                value_two: if op == Op::MaskedEq { v2 & v } else { 0 },
                op,
            }
        })
    }

    fn arb_rule() -> impl Strategy<Value = Rule> {
        let action = prop_oneof![
            Just((ActionKind::Allow, None)),
            Just((ActionKind::Errno, Some(1))),
            Just((ActionKind::Errno, Some(5))),
            Just((ActionKind::Log, None)),
            Just((ActionKind::KillProcess, None)),
        ];
        (
            prop::sample::subsequence(vec!["read", "write"], 1..=2),
            action,
            prop::option::of(arb_atom(0)),
            prop::option::of(arb_atom(1)),
        )
            .prop_map(|(names, (action, errno_ret), a0, a1)| Rule {
                names: names.iter().map(|n| (*n).to_string()).collect(),
                action,
                errno_ret,
                args: a0.into_iter().chain(a1).collect(),
                comment: String::new(),
                includes: Filter::default(),
                excludes: Filter::default(),
            })
    }

    fn arb_profile() -> impl Strategy<Value = Profile> {
        let default = prop_oneof![
            Just((ActionKind::Errno, Some(1))),
            Just((ActionKind::KillProcess, None)),
        ];
        (default, prop::collection::vec(arb_rule(), 0..4)).prop_map(|((kind, errno), rules)| {
            let mut p = Profile::new(kind);
            p.default_errno_ret = errno;
            p.syscalls = rules;
            p
        })
    }

    use proptest::prelude::*;

    proptest! {
        // A fixed seed: some inputs make libseccomp loop, which costs a spinning thread.
        #![proptest_config(ProptestConfig {
            cases: 48,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5ecc_0f11),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Random small profiles: the output, compiled by libseccomp, does what the rule says.
        #[test]
        fn merged_filters_follow_the_rule(
            inputs in prop::collection::vec(arb_profile(), 1..4),
            permissive in any::<bool>(),
        ) {
            let prefer = if permissive { Prefer::Permissive } else { Prefer::Stricter };
            let opts = MergeOptions { prefer, ..MergeOptions::default() };
            // Inputs in libseccomp's safe order, so it does not hang on them; their meaning
            // only changes where their own rules overlap, which the check reads as written.
            let inputs: Vec<Profile> = inputs
                .into_iter()
                .map(|mut p| {
                    sort_for_libseccomp(&mut p.syscalls);
                    p
                })
                .collect();
            let resolved: Vec<Resolved> = inputs.iter().map(|p| p.resolve(&cx())).collect();
            // libseccomp refuses some overlapping rules (EEXIST); such inputs cannot be run.
            let programs: Vec<bpf::Program> = resolved
                .iter()
                .filter_map(|r| compile_x86_64(r).and_then(Result::ok))
                .collect();
            prop_assume!(programs.len() == resolved.len());
            // libseccomp 2.5.4 also builds some inputs wrongly (e.g. ERRNO if args[0] < 0 &&
            // args[1] != 0 with LOG if args[0] < 1 gives ERRNO to write(0, 1)); the check
            // needs inputs that mean what they say.
            prop_assume!(resolved.iter().zip(&programs).all(|(r, p)| built_as_written(r, p)));
            match merge(&inputs, &cx(), &opts) {
                Ok(m) => check_programs(&resolved, &programs, &m, prefer),
                // Honest refusals: too many rules, or libseccomp builds every order wrongly.
                Err(MergeError::NotExpressible { why, .. }) => {
                    prop_assert!(
                        matches!(
                            why.as_ref(),
                            Inexact::TooManyRules { .. }
                                | Inexact::TooManyCells { .. }
                                | Inexact::Libseccomp { .. }
                        ),
                        "{why}"
                    );
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}
