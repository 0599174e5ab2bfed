//! Getting libseccomp to build rules correctly: what `merge` and the Kafel lowering need before
//! they write rules that runc will hand to libseccomp.
//!
//! libseccomp 2.5.4 does three things with some rule sets that compare several arguments of one
//! syscall, depending on the order in which the rules are added (runc and crun add them in
//! profile order; see `docs/profiles-libseccomp.md`):
//! - it loops forever in `seccomp_rule_add`, so every build runs on its own thread and is given
//!   up after a timeout ([`bounded`]); safe Rust cannot stop the thread, which is left behind
//!   until the process ends (it holds no lock rpod needs), and a search stops after
//!   [`MAX_HANGS`] of them;
//! - it refuses chains it thinks collide (`EEXIST`; on x86 it also rewrites socket rules into
//!   `socketcall` rules);
//! - it builds a filter that disagrees with the rules.
//!
//! So a caller offers candidate rule lists in its order of preference ([`likely_orders`] gives
//! the orders libseccomp gets right most often), and [`first_built_right`] builds each with
//! libseccomp and hands the filter to the caller's own check (the emulator on every cell for
//! `merge`, an exact symbolic run for the Kafel lowering), returning the first list whose filter
//! passes, or a typed [`SearchFailure`] that says why the last one did not.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::arch::Arch;
use crate::bpf::{self, Action};
use crate::compile::{self, Compiled, Options};
use crate::model::{ArgCondition, Op};
use crate::resolve::{Resolved, ResolvedRule};
use crate::solve::MAX_32BIT;

/// How long one libseccomp build may take before it is given up.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// How many builds of one search may hang: each leaves a thread spinning in libseccomp.
pub const MAX_HANGS: usize = 2;

/// Why libseccomp gave no filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// libseccomp did not return within the timeout.
    Hang,
    /// libseccomp (or rpod around it) refused; the message has the cause chain.
    Refused { message: String },
}

/// [`compile::compile_with`] on another thread, given up after `timeout`: libseccomp 2.5.4 can
/// loop forever in `seccomp_rule_add` on some rule sets (`docs/profiles-libseccomp.md`).
///
/// # Errors
/// [`Failure::Hang`] after `timeout`, [`Failure::Refused`] with libseccomp's reason.
pub fn bounded(
    r: &Resolved,
    arches: Option<&[Arch]>,
    options: Options,
    timeout: Duration,
) -> Result<Compiled, Failure> {
    let r = r.clone();
    let arches = arches.map(<[Arch]>::to_vec);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let out = compile::compile_with(&r, arches.as_deref(), options)
            .map_err(|e| crate::chain::one_line(&e));
        // The receiver is gone only after a timeout, and then nobody wants the result.
        let _ = tx.send(out);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(message)) => Err(Failure::Refused { message }),
        Err(_) => Err(Failure::Hang),
    }
}

/// One rule for the syscalls being built: its action and AND-ed conditions.
pub type Rule = (Action, Vec<ArgCondition>);

/// What a search builds: the syscalls that all get the candidate rules, and the filter around
/// them.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub names: &'a [String],
    pub default: Action,
    pub arches: &'a [Arch],
    pub options: Options,
    pub timeout: Duration,
}

impl Target<'_> {
    /// The profile runc would receive for `rules`, in that order.
    #[must_use]
    pub fn resolved(&self, rules: &[Rule]) -> Resolved {
        Resolved {
            default_action: self.default,
            arches: self.arches.to_vec(),
            rules: rules
                .iter()
                .enumerate()
                .map(|(i, (action, args))| ResolvedRule {
                    names: self.names.to_vec(),
                    action: *action,
                    args: args.clone(),
                    origin: i,
                })
                .collect(),
            flags: Vec::new(),
            dropped: Vec::new(),
        }
    }
}

/// A caller's judgement of a filter libseccomp built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<E> {
    /// The filter does what the rules say.
    Right,
    /// It does not; try the next candidate.
    Wrong(E),
    /// It cannot be judged, and no other order would change that: stop searching.
    GiveUp(E),
}

/// Why no candidate was built right: what happened to the last one tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchFailure<E> {
    /// libseccomp gave no filter (or, with no candidates at all, [`Failure::Hang`]).
    Libseccomp(Failure),
    /// The check found the filter wrong.
    Wrong(E),
    /// The check gave up.
    GaveUp(E),
}

/// The first of `candidates` that libseccomp builds, within the target's timeout, into a filter
/// `check` accepts (it is given the filter and the candidate). Stops at the first [`Verdict::GiveUp`] and after [`MAX_HANGS`] hangs.
///
/// # Errors
/// What went wrong with the last candidate tried.
pub fn first_built_right<E>(
    target: &Target<'_>,
    candidates: impl IntoIterator<Item = Vec<Rule>>,
    mut check: impl FnMut(&bpf::Program, &[Rule]) -> Verdict<E>,
) -> Result<Vec<Rule>, SearchFailure<E>> {
    let mut last = SearchFailure::Libseccomp(Failure::Hang);
    let mut hangs = 0;
    for rules in candidates {
        let r = target.resolved(&rules);
        match bounded(&r, Some(target.arches), target.options, target.timeout) {
            Ok(c) => match check(&c.program, &rules) {
                Verdict::Right => return Ok(rules),
                Verdict::Wrong(e) => last = SearchFailure::Wrong(e),
                Verdict::GiveUp(e) => return Err(SearchFailure::GaveUp(e)),
            },
            Err(Failure::Hang) => {
                last = SearchFailure::Libseccomp(Failure::Hang);
                hangs += 1;
                if hangs == MAX_HANGS {
                    break;
                }
            }
            // Refusals (EEXIST for chains libseccomp thinks collide) depend on the order too.
            Err(f) => last = SearchFailure::Libseccomp(f),
        }
    }
    Err(last)
}

/// libseccomp's order of the first node of each condition (`_db_chain_lt` in `db.c`): argument,
/// then operator class (GE/GT before LE/LT before EQ/NE/MASKED_EQ), then the compared value
/// (high word, then low word; reversed for LE/LT). libseccomp builds the chain in argument order.
#[must_use]
pub fn chain_key(args: &[ArgCondition]) -> Vec<(u8, u8, i64, i64)> {
    let mut key: Vec<(u8, u8, i64, i64)> = args
        .iter()
        .map(|c| {
            let datum = if c.op == Op::MaskedEq {
                c.value_two & c.value
            } else {
                c.value
            };
            let hi = i64::from(u32::try_from(datum >> 32).unwrap_or(u32::MAX));
            let lo = i64::from(u32::try_from(datum & MAX_32BIT).unwrap_or(u32::MAX));
            match c.op {
                Op::Ge | Op::Gt => (c.index, 1, hi, lo),
                Op::Le | Op::Lt => (c.index, 2, -hi, -lo),
                Op::Eq | Op::Ne | Op::MaskedEq => (c.index, 3, hi, lo),
            }
        })
        .collect();
    key.sort_unstable();
    key
}

/// Rule orders to try with libseccomp (indices into `rules`), best first: most conditions first
/// (fewest failures and no hang in random tests), then other simple orders, then every order of
/// up to five rules.
#[must_use]
pub fn likely_orders(rules: &[Rule]) -> Vec<Vec<usize>> {
    let n = rules.len();
    let mut desc: Vec<usize> = (0..n).collect();
    desc.sort_by(|a, b| chain_key(&rules[*b].1).cmp(&chain_key(&rules[*a].1)));
    let mut most = desc.clone();
    most.sort_by_key(|i| std::cmp::Reverse(rules[*i].1.len()));
    let mut fewest = desc.clone();
    fewest.sort_by_key(|i| rules[*i].1.len());
    let mut deny_first = desc.clone();
    deny_first.sort_by_key(|i| std::cmp::Reverse(rules[*i].0.strictness()));
    let mut allow_first = desc.clone();
    allow_first.sort_by_key(|i| rules[*i].0.strictness());
    // Ascending chain order hung libseccomp most often in random tests: it comes last.
    let mut out = vec![
        most.clone(),
        desc.clone(),
        deny_first,
        fewest,
        allow_first,
        most.iter().rev().copied().collect(),
        desc.iter().rev().copied().collect(),
    ];
    if n <= 5 {
        let mut perm: Vec<usize> = (0..n).collect();
        out.push(perm.clone());
        // Lexicographic successors (Narayana Pandita).
        while let Some(i) = (1..n).rev().find(|i| perm[i - 1] < perm[*i]) {
            let j = (i..n).rev().find(|j| perm[*j] > perm[i - 1]).unwrap_or(i);
            perm.swap(i - 1, j);
            perm[i..].reverse();
            out.push(perm.clone());
        }
    }
    let mut seen = BTreeSet::new();
    out.retain(|o| seen.insert(o.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Op;

    fn cond(index: u8, op: Op, value: u64) -> ArgCondition {
        ArgCondition {
            index,
            value,
            value_two: 0,
            op,
        }
    }

    #[test]
    fn likely_orders_try_every_order_of_a_few_rules_once() {
        let rules: Vec<Rule> = vec![
            (Action::Allow, vec![cond(0, Op::Eq, 1)]),
            (
                Action::Errno(1),
                vec![cond(0, Op::Gt, 5), cond(1, Op::Eq, 0)],
            ),
            (Action::Log, Vec::new()),
        ];
        let orders = likely_orders(&rules);
        assert_eq!(orders.len(), 6, "{orders:?}");
        // The rule with the most conditions goes first in the first order.
        assert_eq!(orders[0][0], 1);
    }

    #[test]
    fn the_search_returns_the_first_order_the_check_accepts() {
        let names = vec!["read".to_string()];
        let target = Target {
            names: &names,
            default: Action::Errno(1),
            arches: &[Arch::X86_64],
            options: Options::default(),
            timeout: TIMEOUT,
        };
        let a: Vec<Rule> = vec![(Action::Allow, vec![cond(0, Op::Eq, 1)])];
        let b: Vec<Rule> = vec![(Action::Allow, vec![cond(0, Op::Eq, 2)])];
        let mut seen = 0;
        let got = first_built_right(&target, [a, b.clone()], |_, _| {
            seen += 1;
            if seen == 1 {
                Verdict::Wrong("first")
            } else {
                Verdict::Right
            }
        });
        assert_eq!(got, Ok(b));
        let gave_up = first_built_right(&target, [Vec::new(), Vec::new()], |_, _| {
            Verdict::GiveUp("too many cells")
        });
        assert_eq!(gave_up, Err(SearchFailure::GaveUp("too many cells")));
    }

    #[test]
    fn a_refusal_is_typed_and_keeps_libseccomp_s_reason() {
        let names = vec!["read".to_string()];
        let target = Target {
            names: &names,
            default: Action::Allow,
            arches: &[Arch::X86_64],
            options: Options::default(),
            timeout: TIMEOUT,
        };
        // libseccomp takes errnos up to 4094 (`docs/profiles-libseccomp.md`).
        let rules: Vec<Rule> = vec![(Action::Errno(5000), Vec::new())];
        let got = first_built_right(&target, [rules], |_, _| Verdict::<()>::Right);
        assert!(
            matches!(&got, Err(SearchFailure::Libseccomp(Failure::Refused { message })) if message.starts_with("libseccomp refused")),
            "{got:?}"
        );
    }
}
