//! Exact reasoning about argument conditions.
//!
//! An *atom* is one [`ArgCondition`] (`args[i] op value`); a *literal* is an atom or its
//! negation. Every atom constrains one unsigned 64-bit argument, so a conjunction of literals
//! splits into six independent per-argument problems, each an [`ArgSet`]:
//!
//! - an interval `[lo, hi]` (EQ, LT, LE, GT, GE and their negations),
//! - excluded values (NE, negated EQ),
//! - fixed bits `x & M == V` (MASKED_EQ; unsatisfiable when `valueTwo` has bits outside the mask
//!   or two masks disagree on a bit),
//! - negated masked comparisons `x & m != v` ("some bit of `m` differs from `v`").
//!
//! [`ArgSet::min`] finds the smallest member: first the smallest `x >= lo` with `x & M == V`
//! (found bit by bit: the candidates are the free bits of `!M` counted upwards), skipping
//! excluded values; when that violates a negated mask, a search chooses the bits from the top,
//! 0 before 1, pruning prefixes outside `[lo, hi]` or whose chosen bits already equal some
//! `v` on all of its `m`, and remembering failed states (bit, masks still matching, whether
//! the prefix still equals `lo`'s and `hi`'s), so no state is explored twice. The answer is
//! exact: "unsatisfiable" is never returned for a satisfiable set.
//!
//! On top of that: [`witness`] (a satisfying assignment of all six arguments),
//! [`rules_overlap`], [`enforced_pieces`], and [`cells`], which splits the argument
//! space of one syscall into the satisfiable combinations of a set of atoms, each with one
//! witness; every point of a cell gives the same truth value to every atom, so a filter built
//! from those atoms decides the same way on the whole cell. [`cover`] turns a set of cells back
//! into a short disjunction of conjunctions.

use std::fmt;

use serde::Serialize;

use crate::model::{ArgCondition, Op};

/// Arguments a syscall has in `seccomp_data`.
pub const ARGS: usize = 6;

/// The most argument cells [`cells`] enumerates before it falls back to sampling.
pub const MAX_CELLS: usize = 4096;

/// The largest argument value a 32-bit ABI can pass: libseccomp compares only the low word there.
pub const MAX_32BIT: u64 = 0xffff_ffff;

/// An atom or its negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Literal {
    pub cond: ArgCondition,
    pub positive: bool,
}

impl Literal {
    #[must_use]
    pub fn new(cond: ArgCondition, positive: bool) -> Literal {
        Literal { cond, positive }
    }

    /// Whether an argument value satisfies the literal.
    #[must_use]
    pub fn holds(&self, arg: u64) -> bool {
        self.cond.matches(arg) == self.positive
    }

    /// The literal as one OCI condition: the atom itself, or the atom with the negated operator
    /// (EQ<->NE, LT<->GE, LE<->GT). A negated MASKED_EQ has no single-condition form: `None`.
    #[must_use]
    pub fn as_condition(&self) -> Option<ArgCondition> {
        if self.positive {
            return Some(self.cond);
        }
        let op = match self.cond.op {
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
            Op::Lt => Op::Ge,
            Op::Ge => Op::Lt,
            Op::Le => Op::Gt,
            Op::Gt => Op::Le,
            Op::MaskedEq => return None,
        };
        Some(ArgCondition {
            op,
            value_two: 0,
            ..self.cond
        })
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_condition() {
            Some(c) => c.fmt(f),
            None => write!(
                f,
                "(args[{}] & {:#x}) != {:#x}",
                self.cond.index, self.cond.value, self.cond.value_two
            ),
        }
    }
}

/// The condition as libseccomp enforces it: MASKED_EQ compares `valueTwo & value` (libseccomp's
/// `_db_node_mask_fixup` masks the datum), and on a 32-bit arch only the low words of the
/// argument and of both constants take part (`_db_rule_gen_32`).
#[must_use]
pub fn enforced(c: &ArgCondition, bits32: bool) -> ArgCondition {
    let mut out = *c;
    if out.op == Op::MaskedEq {
        out.value_two &= out.value;
    } else {
        out.value_two = 0;
    }
    if bits32 {
        out.value &= MAX_32BIT;
        out.value_two &= MAX_32BIT;
    }
    out
}

/// The smallest `x >= lo` with `x & mask == bits`; `bits` must lie inside `mask`.
pub(crate) fn next_fixed(lo: u64, mask: u64, bits: u64) -> Option<u64> {
    let bad = (lo ^ bits) & mask;
    if bad == 0 {
        return Some(lo);
    }
    // A larger x agrees with lo above some bit i, has 1 at i where lo has 0, and is minimal
    // below i; the smallest valid i gives the smallest x. Bits of lo above i must already
    // agree with the fixed bits, so i is at least the highest disagreeing bit.
    let start = 63 - bad.leading_zeros();
    for i in start..64 {
        let b = 1u64 << i;
        if lo & b == 0 && (mask & b == 0 || bits & b != 0) {
            let above = if i == 63 { 0 } else { !((b << 1) - 1) };
            return Some((lo & above) | b | (bits & (b - 1)));
        }
    }
    None
}

/// The largest `x <= hi` with `x & mask == bits`.
pub(crate) fn prev_fixed(hi: u64, mask: u64, bits: u64) -> Option<u64> {
    next_fixed(!hi, mask, !bits & mask).map(|x| !x)
}

/// The values of one argument that satisfy a conjunction of literals on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgSet {
    lo: u64,
    hi: u64,
    mask: u64,
    bits: u64,
    /// Sorted, without duplicates.
    excluded: Vec<u64>,
    /// `x & m != v`, each with `v` inside `m`.
    not_masked: Vec<(u64, u64)>,
    empty: bool,
}

impl Default for ArgSet {
    fn default() -> Self {
        ArgSet::full()
    }
}

impl ArgSet {
    /// Every 64-bit value.
    #[must_use]
    pub fn full() -> ArgSet {
        ArgSet::up_to(u64::MAX)
    }

    /// The values `0..=max` (`MAX_32BIT` for a 32-bit ABI).
    #[must_use]
    pub fn up_to(max: u64) -> ArgSet {
        ArgSet {
            lo: 0,
            hi: max,
            mask: 0,
            bits: 0,
            excluded: Vec::new(),
            not_masked: Vec::new(),
            empty: false,
        }
    }

    /// Intersects the set with `cond` (or its negation); the argument index is not checked.
    pub fn add(&mut self, cond: &ArgCondition, positive: bool) {
        if self.empty {
            return;
        }
        let v = cond.value;
        match (cond.op, positive) {
            (Op::Eq, true) | (Op::Ne, false) => self.restrict(v, v),
            (Op::Ne, true) | (Op::Eq, false) => {
                if let Err(i) = self.excluded.binary_search(&v) {
                    self.excluded.insert(i, v);
                }
            }
            (Op::Lt, true) | (Op::Ge, false) => match v.checked_sub(1) {
                Some(h) => self.restrict(0, h),
                None => self.empty = true,
            },
            (Op::Le, true) | (Op::Gt, false) => self.restrict(0, v),
            (Op::Gt, true) | (Op::Le, false) => match v.checked_add(1) {
                Some(l) => self.restrict(l, u64::MAX),
                None => self.empty = true,
            },
            (Op::Ge, true) | (Op::Lt, false) => self.restrict(v, u64::MAX),
            (Op::MaskedEq, true) => self.fix(v, cond.value_two),
            (Op::MaskedEq, false) => {
                let (m, want) = (v, cond.value_two);
                if want & !m != 0 {
                    // `x & m` never equals a value with bits outside m: the negation always holds.
                } else if m == 0 {
                    // `x & 0 == 0` always holds, so its negation never does.
                    self.empty = true;
                } else if !self.not_masked.contains(&(m, want)) {
                    self.not_masked.push((m, want));
                }
            }
        }
    }

    fn restrict(&mut self, lo: u64, hi: u64) {
        self.lo = self.lo.max(lo);
        self.hi = self.hi.min(hi);
        if self.lo > self.hi {
            self.empty = true;
        }
    }

    fn fix(&mut self, m: u64, v: u64) {
        if v & !m != 0 || (self.bits ^ v) & self.mask & m != 0 {
            self.empty = true;
            return;
        }
        self.mask |= m;
        self.bits |= v;
    }

    /// Whether `x` is in the set.
    #[must_use]
    pub fn contains(&self, x: u64) -> bool {
        !self.empty
            && self.lo <= x
            && x <= self.hi
            && x & self.mask == self.bits
            && self.excluded.binary_search(&x).is_err()
            && self.not_masked.iter().all(|&(m, v)| x & m != v)
    }

    /// The smallest member, `None` when the set is empty.
    #[must_use]
    pub fn min(&self) -> Option<u64> {
        if self.empty {
            return None;
        }
        min_member(
            self.lo,
            self.hi,
            self.mask,
            self.bits,
            &self.excluded,
            &self.not_masked,
        )
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.min().is_none()
    }

    /// The set as plain parts, or `None` when it is empty or has negated masked comparisons:
    /// (lowest, highest, fixed-bit mask, fixed bits, excluded values), with `lowest`/`highest`
    /// members of the fixed-bit set and only excluded values that would otherwise be members.
    #[must_use]
    pub fn parts(&self) -> Option<(u64, u64, u64, u64, Vec<u64>)> {
        if self.empty || !self.not_masked.is_empty() {
            return None;
        }
        let lo = next_fixed(self.lo, self.mask, self.bits)?;
        let hi = prev_fixed(self.hi, self.mask, self.bits)?;
        if lo > hi {
            return None;
        }
        let excluded: Vec<u64> = self
            .excluded
            .iter()
            .copied()
            .filter(|&e| lo <= e && e <= hi && e & self.mask == self.bits)
            .collect();
        self.min()?;
        Some((lo, hi, self.mask, self.bits, excluded))
    }
}

/// The smallest `x` in `[lo, hi]` with `x & mask == bits`, not excluded, and `x & m != v` for
/// every negated masked comparison.
fn min_member(
    lo: u64,
    hi: u64,
    mask: u64,
    bits: u64,
    excluded: &[u64],
    not_masked: &[(u64, u64)],
) -> Option<u64> {
    // The smallest member of the relaxation (without the negated masks) is a lower bound; if
    // it satisfies the negated masks too, it is the answer. That is the common case.
    let x = relaxed_min(lo, hi, mask, bits, excluded)?;
    if not_masked.iter().all(|&(m, v)| x & m != v) {
        return Some(x);
    }
    // Otherwise: the negated masks are clauses over the 64 bits ("some bit of m differs from
    // v"), an excluded value is one with m = all bits. Choose bits from the top, 0 before 1,
    // so the first complete choice is the smallest member. Whether bits k..0 can be completed
    // depends only on k, the clauses still matching the prefix and whether the prefix still
    // equals lo's and hi's; failed states are remembered, so each is explored once.
    let clauses: Vec<(u64, u64)> = not_masked
        .iter()
        .copied()
        .chain(excluded.iter().map(|e| (u64::MAX, *e)))
        // A clause the fixed bits already satisfy can be dropped.
        .filter(|&(m, v)| (v ^ bits) & m & mask == 0)
        .collect();
    let mut search = BitSearch {
        lo,
        hi,
        mask,
        bits,
        clauses: &clauses,
        failed: std::collections::HashSet::new(),
        steps: 0,
    };
    let alive: Vec<bool> = vec![true; clauses.len()];
    let found = search.dfs(63, 0, &alive, true, true);
    #[cfg(test)]
    SEARCH_STEPS.with(|s| s.set(s.get() + search.steps));
    found
}

/// The search states the witness searches of one command may visit ([`bounded`]). The
/// search is a satisfiability problem over an argument's 64 bits (negated masked comparisons
/// are clauses), exponential in the worst case: a 11 KB profile of 80 masked rules kept `lint`
/// busy 6 s and `explain` 12 s (issue 12). Two million states is about a second of one core
/// (release build); lint, explain and diff of podman's default profile take 0.02 to 0.04 s
/// within it.
pub const SEARCH_BUDGET: u64 = 2_000_000;

/// A [`bounded`] computation visited more than its budget of search states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the analysis visited more than {budget} search states")]
pub struct Exhausted {
    pub budget: u64,
}

thread_local! {
    /// States left for the [`bounded`] call running on this thread; `None` outside one.
    static BUDGET_LEFT: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
    /// How many states the searches on this thread visited (the measure of their work).
    static STATES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Runs `f` with at most `budget` search states for the searches it makes on this thread.
/// Once they are spent every search answers at once (with no witness), so `f` ends soon, and
/// its result is thrown away: what it computed since cannot be trusted.
///
/// # Errors
/// [`Exhausted`] when the budget was spent.
pub fn bounded<T>(budget: u64, f: impl FnOnce() -> T) -> Result<T, Exhausted> {
    let outer = BUDGET_LEFT.with(|b| b.replace(Some(budget)));
    let out = f();
    let left = BUDGET_LEFT.with(|b| b.replace(outer));
    match left {
        Some(0) => Err(Exhausted { budget }),
        _ => Ok(out),
    }
}

/// The states left to the [`bounded`] call running on this thread; `None` outside one.
#[must_use]
pub fn budget_left() -> Option<u64> {
    BUDGET_LEFT.with(std::cell::Cell::get)
}

/// Runs `f` on this thread with `left` states (`None`: unbounded), as a worker does for the
/// thread that handed it the work, and returns what `f` left of them.
pub fn with_budget_left<T>(left: Option<u64>, f: impl FnOnce() -> T) -> (T, Option<u64>) {
    let outer = BUDGET_LEFT.with(|b| b.replace(left));
    let out = f();
    (out, BUDGET_LEFT.with(|b| b.replace(outer)))
}

/// Takes from this thread's budget what a worker spent of it: `left` is what the worker left.
pub fn charge(left: Option<u64>) {
    if let Some(left) = left {
        BUDGET_LEFT.with(|b| {
            if let Some(mine) = b.get() {
                b.set(Some(mine.min(left)));
            }
        });
    }
}

/// How many search states this thread has visited so far.
#[must_use]
pub fn states_visited() -> u64 {
    STATES.with(std::cell::Cell::get)
}

/// Takes one state from the budget, if there is one; false once it is spent.
fn take_state() -> bool {
    let taken = BUDGET_LEFT.with(|b| match b.get() {
        None => true,
        Some(0) => false,
        Some(n) => {
            b.set(Some(n - 1));
            true
        }
    });
    if taken {
        STATES.with(|s| s.set(s.get() + 1));
    }
    taken
}

#[cfg(test)]
thread_local! {
    /// How many states [`min_member`]'s searches visited on this thread: the measure of the
    /// search's work that its tests bound (a step count, not a time, so load cannot move it).
    static SEARCH_STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The state of [`min_member`]'s search.
struct BitSearch<'a> {
    lo: u64,
    hi: u64,
    mask: u64,
    bits: u64,
    clauses: &'a [(u64, u64)],
    failed: std::collections::HashSet<(u32, Vec<bool>, bool, bool)>,
    steps: u64,
}

impl BitSearch<'_> {
    /// The smallest completion of `prefix` (bits above `k` chosen) in bits `k..=0`.
    /// `alive[j]`: the prefix agrees with clause j on its bits so far (it may still be violated).
    fn dfs(
        &mut self,
        k: u32,
        prefix: u64,
        alive: &[bool],
        tight_lo: bool,
        tight_hi: bool,
    ) -> Option<u64> {
        if !take_state() {
            return None;
        }
        self.steps += 1;
        #[cfg(test)]
        assert!(
            self.steps <= tests::SEARCH_LIMIT.with(std::cell::Cell::get),
            "the search visited more states than the test allows"
        );
        let key = (k, alive.to_vec(), tight_lo, tight_hi);
        if self.failed.contains(&key) {
            return None;
        }
        let b = 1u64 << k;
        let below = b - 1;
        for bit in [0u64, b] {
            if self.mask & b != 0 && self.bits & b != bit {
                continue;
            }
            if tight_lo && bit < self.lo & b {
                continue;
            }
            if tight_hi && bit > self.hi & b {
                continue;
            }
            let next: Vec<bool> = alive
                .iter()
                .zip(self.clauses)
                .map(|(a, &(m, v))| *a && (m & b == 0 || v & b == bit))
                .collect();
            // A clause whose bits are all chosen and all equal to v is violated.
            if next
                .iter()
                .zip(self.clauses)
                .any(|(a, &(m, _))| *a && m & below == 0)
            {
                continue;
            }
            let tl = tight_lo && bit == self.lo & b;
            let th = tight_hi && bit == self.hi & b;
            if k == 0 {
                return Some(prefix | bit);
            }
            if let Some(x) = self.dfs(k - 1, prefix | bit, &next, tl, th) {
                return Some(x);
            }
        }
        self.failed.insert(key);
        None
    }
}

fn relaxed_min(lo: u64, hi: u64, mask: u64, bits: u64, excluded: &[u64]) -> Option<u64> {
    let mut from = lo;
    loop {
        let x = next_fixed(from, mask, bits)?;
        if x > hi {
            return None;
        }
        if excluded.binary_search(&x).is_err() {
            return Some(x);
        }
        from = x.checked_add(1)?;
    }
}

/// The per-argument sets of a conjunction of literals over the domain `0..=max`.
fn arg_sets<'a>(
    conds: impl IntoIterator<Item = (&'a ArgCondition, bool)>,
    max: u64,
) -> [ArgSet; ARGS] {
    let mut sets: [ArgSet; ARGS] = std::array::from_fn(|_| ArgSet::up_to(max));
    for (c, positive) in conds {
        // Loading refuses an index above 5; libseccomp has no seventh argument either.
        if let Some(s) = sets.get_mut(usize::from(c.index)) {
            s.add(c, positive);
        }
    }
    sets
}

fn min_args(sets: &[ArgSet; ARGS]) -> Option<[u64; ARGS]> {
    let mut out = [0u64; ARGS];
    for (o, s) in out.iter_mut().zip(sets) {
        *o = s.min()?;
    }
    Some(out)
}

/// A satisfying assignment of all six arguments for the conjunction of `conds` (each atom with
/// `true` for itself, `false` for its negation): the smallest value for every argument,
/// arguments no literal mentions are 0. `None` exactly when the conjunction is unsatisfiable.
/// Conditions on an index above 5 (which loading refuses) are ignored.
#[must_use]
pub fn witness(conds: &[(ArgCondition, bool)]) -> Option<[u64; ARGS]> {
    min_args(&arg_sets(conds.iter().map(|(c, p)| (c, *p)), u64::MAX))
}

/// [`witness`] for literals.
#[must_use]
pub fn witness_of(lits: &[Literal]) -> Option<[u64; ARGS]> {
    min_args(&arg_sets(
        lits.iter().map(|l| (&l.cond, l.positive)),
        u64::MAX,
    ))
}

/// A point both rules accept (their conditions AND-ed), `None` when they are disjoint.
#[must_use]
pub fn rules_overlap(a: &[ArgCondition], b: &[ArgCondition]) -> Option<[u64; ARGS]> {
    min_args(&arg_sets(a.iter().chain(b).map(|c| (c, true)), u64::MAX))
}

/// Whether every literal holds for `args`.
#[must_use]
pub fn satisfies(lits: &[Literal], args: &[u64; ARGS]) -> bool {
    lits.iter().all(|l| {
        args.get(usize::from(l.cond.index))
            .is_none_or(|a| l.holds(*a))
    })
}

/// The conjunctions libseccomp receives for a rule's conditions `args`: the rule itself, or one
/// rule per condition when an argument repeats (runc and crun split such rules, see `compile`),
/// with MASKED_EQ as libseccomp enforces it (low words only on a 32-bit arch).
#[must_use]
pub fn enforced_pieces(args: &[ArgCondition], bits32: bool) -> Vec<Vec<ArgCondition>> {
    let mut counts = [0usize; ARGS];
    for c in args {
        if let Some(n) = counts.get_mut(usize::from(c.index)) {
            *n += 1;
        }
    }
    let args: Vec<ArgCondition> = args.iter().map(|c| enforced(c, bits32)).collect();
    if counts.iter().any(|n| *n > 1) {
        args.into_iter().map(|c| vec![c]).collect()
    } else {
        vec![args]
    }
}

/// One satisfiable combination of atom truth values, with a point in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `truth[i]` is the truth value of `Cells::atoms[i]` everywhere in the cell.
    pub truth: Vec<bool>,
    /// The smallest point of the cell, argument by argument.
    pub witness: [u64; ARGS],
}

/// The argument space of one syscall split by a set of atoms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cells {
    /// Sorted, without duplicates.
    pub atoms: Vec<ArgCondition>,
    pub cells: Vec<Cell>,
    /// False when there were more than [`MAX_CELLS`] combinations: `cells` is then a sample
    /// (every per-argument cell, or boundary values, combined one and two arguments at a time).
    pub complete: bool,
    /// How many combinations there are (saturating), for reporting a sample.
    pub total: usize,
}

impl Cells {
    /// The cell as a conjunction of literals (every atom, true or negated).
    #[must_use]
    pub fn literals(&self, cell: &Cell) -> Vec<Literal> {
        self.atoms
            .iter()
            .zip(&cell.truth)
            .map(|(a, t)| Literal::new(*a, *t))
            .collect()
    }
}

/// The cells of one argument: (truth values of its atoms, smallest member).
type ArgCells = Vec<(Vec<bool>, u64)>;

fn arg_cells(atoms: &[ArgCondition], max: u64, limit: usize) -> Option<ArgCells> {
    fn dfs(
        atoms: &[ArgCondition],
        set: &ArgSet,
        truth: &mut Vec<bool>,
        out: &mut ArgCells,
        limit: usize,
    ) -> bool {
        let Some(atom) = atoms.get(truth.len()) else {
            // The prefix was checked satisfiable before descending.
            if let Some(x) = set.min() {
                out.push((truth.clone(), x));
            }
            return out.len() <= limit;
        };
        for value in [false, true] {
            let mut s = set.clone();
            s.add(atom, value);
            if s.min().is_some() {
                truth.push(value);
                let ok = dfs(atoms, &s, truth, out, limit);
                truth.pop();
                if !ok {
                    return false;
                }
            }
        }
        true
    }
    let mut out = Vec::new();
    dfs(atoms, &ArgSet::up_to(max), &mut Vec::new(), &mut out, limit).then_some(out)
}

/// Values at the edges of every atom: where a comparison flips, the masked value with the other
/// bits clear and set, and the value next to it.
fn boundary_values(atoms: &[ArgCondition], max: u64) -> Vec<u64> {
    let mut v = vec![0, max];
    for a in atoms {
        match a.op {
            Op::MaskedEq => {
                let low = a.value & a.value.wrapping_neg();
                v.extend([a.value_two, a.value_two | !a.value, a.value_two ^ low]);
            }
            _ => v.extend([
                a.value.saturating_sub(1),
                a.value,
                a.value.saturating_add(1),
            ]),
        }
    }
    v.retain(|x| *x <= max);
    v.sort_unstable();
    v.dedup();
    v
}

/// `[lo, hi]` as aligned power-of-two blocks, each a masked pattern `(mask, value)` within
/// `top` (`x & mask == value`; mask 0 is every value, `top` one value). libseccomp 2.5.4
/// builds such patterns right where it misbuilds some mixes of `<=` and `>=` on one argument;
/// `merge` and the policy lowering both fall back to them.
#[must_use]
pub fn prefix_patterns(mut lo: u64, hi: u64, top: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    loop {
        // The largest block starting at lo that fits.
        let mut k = if lo == 0 { 64 } else { lo.trailing_zeros() };
        while k > 0 {
            let size_m1 = if k == 64 { u64::MAX } else { (1u64 << k) - 1 };
            if lo.checked_add(size_m1).is_some_and(|end| end <= hi) {
                break;
            }
            k -= 1;
        }
        let size_m1 = if k == 64 { u64::MAX } else { (1u64 << k) - 1 };
        out.push((top & !size_m1, lo));
        let end = lo + size_m1;
        if end >= hi {
            break;
        }
        lo = end + 1;
    }
    out
}

/// Splits the argument space (each argument in `0..=max`) by `atoms` into the satisfiable
/// combinations of their truth values, each with its smallest point. Exact when the result is
/// `complete`; above [`MAX_CELLS`] combinations it samples (and says so).
#[must_use]
pub fn cells(atoms: &[ArgCondition], max: u64) -> Cells {
    cells_up_to(atoms, max, MAX_CELLS)
}

/// [`cells`] with another limit than [`MAX_CELLS`] (per argument and in total).
#[must_use]
pub fn cells_up_to(atoms: &[ArgCondition], max: u64, limit: usize) -> Cells {
    let mut atoms: Vec<ArgCondition> = atoms.to_vec();
    atoms.sort();
    atoms.dedup();
    let mut complete = true;
    // Per argument: the indices of its atoms and its cells.
    let mut per_arg: Vec<(Vec<usize>, ArgCells)> = Vec::new();
    for k in 0..ARGS {
        let idx: Vec<usize> = (0..atoms.len())
            .filter(|i| usize::from(atoms[*i].index) == k)
            .collect();
        let own: Vec<ArgCondition> = idx.iter().map(|i| atoms[*i]).collect();
        let cells = if let Some(c) = arg_cells(&own, max, limit) {
            c
        } else {
            complete = false;
            let mut seen: Vec<(Vec<bool>, u64)> = Vec::new();
            for x in boundary_values(&own, max) {
                let truth: Vec<bool> = own.iter().map(|a| a.matches(x)).collect();
                if !seen.iter().any(|(t, _)| *t == truth) {
                    seen.push((truth, x));
                }
            }
            seen
        };
        per_arg.push((idx, cells));
    }
    let total = per_arg
        .iter()
        .fold(1usize, |acc, (_, c)| acc.saturating_mul(c.len()));
    let combine = |choice: &[usize]| -> Cell {
        let mut truth = vec![false; atoms.len()];
        let mut witness = [0u64; ARGS];
        for (k, (idx, cells)) in per_arg.iter().enumerate() {
            let (t, x) = &cells[choice[k]];
            for (i, v) in idx.iter().zip(t) {
                truth[*i] = *v;
            }
            witness[k] = *x;
        }
        Cell { truth, witness }
    };
    let mut out = Vec::new();
    if complete && total <= limit {
        // Mixed-radix enumeration of the product, the last argument fastest.
        let mut choice = vec![0usize; ARGS];
        'outer: loop {
            out.push(combine(&choice));
            for k in (0..ARGS).rev() {
                choice[k] += 1;
                if choice[k] < per_arg[k].1.len() {
                    continue 'outer;
                }
                choice[k] = 0;
            }
            break;
        }
    } else {
        complete = false;
        let base = vec![0usize; ARGS];
        let mut seen = std::collections::BTreeSet::new();
        let mut push = |choice: Vec<usize>, out: &mut Vec<Cell>| {
            if out.len() < limit && seen.insert(choice.clone()) {
                out.push(combine(&choice));
            }
        };
        push(base.clone(), &mut out);
        for k in 0..ARGS {
            for c in 0..per_arg[k].1.len() {
                let mut ch = base.clone();
                ch[k] = c;
                push(ch, &mut out);
            }
        }
        for k1 in 0..ARGS {
            for k2 in k1 + 1..ARGS {
                for c1 in 0..per_arg[k1].1.len() {
                    for c2 in 0..per_arg[k2].1.len() {
                        let mut ch = base.clone();
                        ch[k1] = c1;
                        ch[k2] = c2;
                        push(ch, &mut out);
                    }
                }
            }
        }
    }
    Cells {
        atoms,
        cells: out,
        complete,
        total,
    }
}

/// Every constant of `atoms` on every argument `atoms` compare: the atoms whose cells a check
/// of a libseccomp-built filter runs. A correct filter decides by the profile's own
/// comparisons, but libseccomp 2.5.4 sometimes compares one argument against another's
/// constant (seen: ERRNO if `args[0] > 4` next to rules on `args[1]` came out as
/// `args[1] > 4` for some inputs); the cells of the spread atoms catch that.
#[must_use]
pub fn spread(atoms: &[ArgCondition]) -> Vec<ArgCondition> {
    let mut indices: Vec<u8> = atoms.iter().map(|a| a.index).collect();
    indices.sort_unstable();
    indices.dedup();
    let mut out: Vec<ArgCondition> = atoms
        .iter()
        .flat_map(|a| {
            indices
                .iter()
                .map(move |i| ArgCondition { index: *i, ..*a })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Drops literals the others imply, keeping the meaning; the rest sorted by argument.
#[must_use]
pub fn simplify(lits: &[Literal]) -> Vec<Literal> {
    let mut keep: Vec<Literal> = lits.to_vec();
    keep.sort_by_key(|l| {
        (
            l.cond.index,
            !l.positive,
            l.cond.op,
            l.cond.value,
            l.cond.value_two,
        )
    });
    keep.dedup();
    let mut i = 0;
    while i < keep.len() {
        let mut test: Vec<(ArgCondition, bool)> = keep
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, l)| (l.cond, l.positive))
            .collect();
        test.push((keep[i].cond, !keep[i].positive));
        if witness(&test).is_none() {
            keep.remove(i);
        } else {
            i += 1;
        }
    }
    // `args[0] > 0x0 && args[0] <= 0x1` reads better as `args[0] == 0x1`.
    for index in 0..u8::try_from(ARGS).unwrap_or(u8::MAX) {
        let on: Vec<&Literal> = keep.iter().filter(|l| l.cond.index == index).collect();
        if on.is_empty() || (on.len() == 1 && on[0].positive && on[0].cond.op == Op::Eq) {
            continue;
        }
        let mut set = ArgSet::full();
        for l in &on {
            set.add(&l.cond, l.positive);
        }
        let Some(v) = set.min() else { continue };
        let eq = ArgCondition {
            index,
            value: v,
            value_two: 0,
            op: Op::Eq,
        };
        set.add(&eq, false);
        if set.is_empty() {
            let at = keep.iter().position(|l| l.cond.index == index).unwrap_or(0);
            keep.retain(|l| l.cond.index != index);
            keep.insert(at, Literal::new(eq, true));
        }
    }
    keep
}

/// A conjunction as people read it: `args[0] == 0x10 && args[2] != 0x9`, or `any arguments`.
#[must_use]
pub fn describe(lits: &[Literal]) -> String {
    if lits.is_empty() {
        "any arguments".to_string()
    } else {
        lits.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" && ")
    }
}

/// Truth values packed into words for fast containment tests.
#[derive(Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn from_bools(b: &[bool]) -> Bits {
        let mut w = vec![0u64; b.len().div_ceil(64)];
        for (i, v) in b.iter().enumerate() {
            if *v {
                w[i / 64] |= 1 << (i % 64);
            }
        }
        Bits(w)
    }

    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
}

/// Whether a cell (its truth bits) lies in the cube (`care` bits must equal `value`).
fn in_cube(cell: &Bits, care: &Bits, value: &Bits) -> bool {
    cell.0
        .iter()
        .zip(&care.0)
        .zip(&value.0)
        .all(|((c, m), v)| (c ^ v) & m == 0)
}

/// A short disjunction of conjunctions of literals that holds on exactly the cells marked in
/// `on` among the cells of `cells` (which must be complete; unsatisfiable combinations may go
/// either way). Each conjunction comes with the indices of the `on` cells it contains.
///
/// Each uncovered `on` cell is grown into a maximal cube by dropping literals while no other
/// cell enters (Espresso's EXPAND), then cubes whose cells others cover are dropped.
#[must_use]
pub fn cover(cells: &Cells, on: &[bool]) -> Vec<(Vec<Literal>, Vec<usize>)> {
    let n = cells.atoms.len();
    let bits: Vec<Bits> = cells
        .cells
        .iter()
        .map(|c| Bits::from_bools(&c.truth))
        .collect();
    let off: Vec<&Bits> = bits
        .iter()
        .zip(on)
        .filter(|(_, o)| !**o)
        .map(|(b, _)| b)
        .collect();
    let full = Bits::from_bools(&vec![true; n]);
    let mut covered = vec![false; bits.len()];
    let mut cubes: Vec<(Bits, Bits, Vec<usize>)> = Vec::new();
    for (seed, seed_bits) in bits.iter().enumerate() {
        if !on[seed] || covered[seed] {
            continue;
        }
        let mut care = full.clone();
        for i in 0..n {
            let mut trial = care.clone();
            trial.clear(i);
            if !off.iter().any(|c| in_cube(c, &trial, seed_bits)) {
                care = trial;
            }
        }
        let members: Vec<usize> = (0..bits.len())
            .filter(|j| on[*j] && in_cube(&bits[*j], &care, seed_bits))
            .collect();
        for j in &members {
            covered[*j] = true;
        }
        cubes.push((care, seed_bits.clone(), members));
    }
    // Irredundant: drop a cube when the others cover all its cells, last ones first.
    let mut i = cubes.len();
    while i > 0 {
        i -= 1;
        let others_cover = cubes[i].2.iter().all(|c| {
            cubes
                .iter()
                .enumerate()
                .any(|(j, cube)| j != i && cube.2.contains(c))
        });
        if others_cover {
            cubes.remove(i);
        }
    }
    cubes
        .into_iter()
        .map(|(care, value, members)| {
            let lits = (0..n)
                .filter(|i| care.get(*i))
                .map(|i| Literal::new(cells.atoms[i], value.get(i)))
                .collect();
            (lits, members)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12: negated masked comparisons make the witness search a satisfiability problem;
    /// within `bounded` it stops at the budget and says so instead of running on.
    #[test]
    fn a_bounded_search_stops_at_its_budget_and_says_so() {
        // x & m != v for 60 three-bit patterns over 24 bits, from a fixed sequence.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let not_masked: Vec<(u64, u64)> = (0..60)
            .map(|_| {
                let m = (0..3).fold(0u64, |m, _| m | 1 << (next() % 24));
                (m, m & next())
            })
            .collect();
        let search = || min_member(0, u64::MAX, 0, 0, &[], &not_masked);
        let unbounded = search();
        let before = states_visited();
        assert_eq!(bounded(SEARCH_BUDGET, search), Ok(unbounded));
        let needed = states_visited() - before;
        assert!(needed > 10, "the search is not trivial: {needed} states");
        let before = states_visited();
        assert_eq!(
            bounded(needed / 2, search),
            Err(Exhausted { budget: needed / 2 })
        );
        // It stopped there: the states past the budget are refused, not visited.
        assert!(states_visited() - before <= needed / 2);
    }

    #[test]
    fn prefix_patterns_cover_an_interval_exactly_with_aligned_blocks() {
        for (a, b) in [
            (0u64, 0u64),
            (3, 9),
            (1, u64::MAX),
            (0, u64::MAX - 1),
            (5, 5),
            (7, 1 << 40),
            (0, 0xffff_fff7),
            (0x1_0000_0000, u64::MAX),
        ] {
            let bl = prefix_patterns(a, b, u64::MAX);
            let mut next = a;
            for &(mask, value) in &bl {
                assert_eq!(value, next, "{a:#x} {b:#x} {bl:x?}");
                assert_eq!(value & !mask, 0, "aligned: {a:#x} {b:#x} {bl:x?}");
                next = (value | !mask).wrapping_add(1);
            }
            assert_eq!(next, b.wrapping_add(1), "{a:#x} {b:#x} {bl:x?}");
        }
        // Within the low word (a 32-bit argument): the patterns leave the high word free.
        for (lo, hi) in [(5u64, 9u64), (0, 0), (1, 254), (0x10, 0x1f), (3, 3)] {
            let pats = prefix_patterns(lo, hi, MAX_32BIT);
            for x in 0..300u64 {
                let n = pats.iter().filter(|(m, v)| x & m == *v).count();
                assert_eq!(n, usize::from((lo..=hi).contains(&x)), "x={x} [{lo},{hi}]");
            }
        }
        assert_eq!(prefix_patterns(0, u64::MAX, u64::MAX), [(0, 0)]);
        assert_eq!(prefix_patterns(4, 7, 0xffff_ffff), [(0xffff_fffc, 4)]);
    }

    thread_local! {
        /// The most states one search may visit on this thread (a test sets it; the search
        /// panics past it, so a runaway search fails instead of hanging).
        pub(super) static SEARCH_LIMIT: std::cell::Cell<u64> = const { std::cell::Cell::new(u64::MAX) };
    }
    use proptest::prelude::*;

    fn c(index: u8, op: Op, value: u64) -> ArgCondition {
        ArgCondition {
            index,
            value,
            value_two: 0,
            op,
        }
    }

    fn m(index: u8, mask: u64, value_two: u64) -> ArgCondition {
        ArgCondition {
            index,
            value: mask,
            value_two,
            op: Op::MaskedEq,
        }
    }

    #[test]
    fn next_fixed_finds_the_smallest_candidate() {
        assert_eq!(next_fixed(5, 0b1, 0b0), Some(6));
        assert_eq!(next_fixed(6, 0b1, 0b0), Some(6));
        assert_eq!(next_fixed(0, 0b100, 0b100), Some(4));
        assert_eq!(next_fixed(5, 0b100, 0b100), Some(5));
        assert_eq!(next_fixed(8, 0b100, 0b100), Some(12));
        assert_eq!(next_fixed(u64::MAX, 1, 0), None);
        assert_eq!(next_fixed(u64::MAX - 1, 1 << 63, 0), None);
        assert_eq!(prev_fixed(7, 0b1, 0b0), Some(6));
        assert_eq!(prev_fixed(0, 0b1, 0b1), None);
        for lo in 0..64u64 {
            for mask in 0..16u64 {
                for bits in (0..16u64).filter(|b| b & !mask == 0) {
                    let brute = (lo..128).find(|x| x & mask == bits);
                    assert_eq!(
                        next_fixed(lo, mask, bits),
                        brute,
                        "{lo} {mask:#b} {bits:#b}"
                    );
                }
            }
        }
    }

    #[test]
    fn witness_of_interval_exclusions_and_masks() {
        let w = witness(&[
            (c(0, Op::Ge, 5), true),
            (c(0, Op::Ne, 5), true),
            (c(0, Op::Eq, 6), false),
            (m(0, 1, 1), true),
            (c(2, Op::Eq, 9), true),
        ])
        .expect("satisfiable");
        assert_eq!(w, [7, 0, 9, 0, 0, 0]);
        assert_eq!(witness(&[(c(0, Op::Lt, 0), true)]), None);
        assert_eq!(witness(&[(c(0, Op::Gt, u64::MAX), true)]), None);
        assert_eq!(
            witness(&[(m(1, 0xf, 0x10), true)]),
            None,
            "valueTwo outside the mask"
        );
        assert_eq!(witness(&[(m(1, 0xf, 0x10), false)]), Some([0; 6]));
        assert_eq!(
            witness(&[(m(1, 0x3, 0x1), true), (m(1, 0x6, 0x6), true)]),
            None
        );
        assert_eq!(
            witness(&[(m(1, 0x3, 0x1), true), (m(1, 0x6, 0x0), true)]),
            Some([0, 1, 0, 0, 0, 0])
        );
    }

    #[test]
    fn negated_masks_branch_on_a_differing_bit() {
        // x & 0xff != 0 with x <= 0x100 and x != 1: smallest is 2.
        let w = witness(&[
            (m(0, 0xff, 0), false),
            (c(0, Op::Le, 0x100), true),
            (c(0, Op::Ne, 1), true),
        ]);
        assert_eq!(w, Some([2, 0, 0, 0, 0, 0]));
        // Every value of the low two bits excluded: unsatisfiable below 4.
        let all = [
            (m(0, 3, 0), false),
            (m(0, 3, 1), false),
            (m(0, 3, 2), false),
            (m(0, 3, 3), false),
        ];
        assert_eq!(witness(&all), None);
        let mut three = all[..3].to_vec();
        three.push((c(0, Op::Ge, 8), true));
        assert_eq!(witness(&three), Some([11, 0, 0, 0, 0, 0]));
        assert_eq!(witness(&[(m(0, 0, 0), false)]), None);
    }

    #[test]
    fn many_negated_masks_stay_fast() {
        // Outside 100 aligned ranges (negated prefix masks) and with the low two bits
        // neither 0 nor 1 nor 2: the search must not branch on every mask.
        let mut conds: Vec<(ArgCondition, bool)> = (0..100u64)
            .map(|i| (m(0, !((1u64 << 8) - 1), i << 8), false))
            .collect();
        conds.extend([
            (m(0, 3, 0), false),
            (m(0, 3, 1), false),
            (m(0, 3, 2), false),
        ]);
        // Bounded by the states the search visits, not by time (issue 11): branching on every
        // mask would visit about 2^100 states.
        SEARCH_STEPS.with(|s| s.set(0));
        SEARCH_LIMIT.with(|l| l.set(5_000));
        assert_eq!(witness(&conds), Some([(100 << 8) | 3, 0, 0, 0, 0, 0]));
        conds.push((m(0, 3, 3), false));
        assert_eq!(witness(&conds), None);
        let steps = SEARCH_STEPS.with(std::cell::Cell::get);
        assert!(steps <= 5_000, "the search visited {steps} states");
    }

    #[test]
    fn overlap_of_rules() {
        let a = [c(0, Op::Eq, 16), c(2, Op::Eq, 9)];
        assert_eq!(rules_overlap(&a, &[c(2, Op::Ne, 9)]), None);
        assert_eq!(
            rules_overlap(&a, &[c(1, Op::Gt, 3)]),
            Some([16, 4, 9, 0, 0, 0])
        );
        assert_eq!(rules_overlap(&[], &[]), Some([0; 6]));
    }

    #[test]
    fn cells_split_the_space_and_cover_merges_them_back() {
        let atoms = [c(0, Op::Eq, 16), c(2, Op::Eq, 9)];
        let cs = cells(&atoms, u64::MAX);
        assert!(cs.complete);
        assert_eq!(cs.cells.len(), 4);
        // On: everything except a0 == 16 && a2 == 9, which is how podman writes socket.
        let on: Vec<bool> = cs
            .cells
            .iter()
            .map(|c| !(c.truth[0] && c.truth[1]))
            .collect();
        let cubes = cover(&cs, &on);
        let text: Vec<String> = cubes.iter().map(|(l, _)| describe(&simplify(l))).collect();
        assert_eq!(text, ["args[2] != 0x9", "args[0] != 0x10"]);
        let all = vec![true; cs.cells.len()];
        let cubes = cover(&cs, &all);
        assert_eq!(cubes.len(), 1);
        assert!(cubes[0].0.is_empty());
    }

    #[test]
    fn cells_skip_impossible_combinations() {
        // personality: five values of one argument give six cells, not 32.
        let atoms: Vec<ArgCondition> = [0, 8, 0x20000, 0x20008, 0xffff_ffff]
            .iter()
            .map(|v| c(0, Op::Eq, *v))
            .collect();
        let cs = cells(&atoms, u64::MAX);
        assert!(cs.complete);
        assert_eq!(cs.cells.len(), 6);
        for cell in &cs.cells {
            assert!(satisfies(&cs.literals(cell), &cell.witness));
        }
        // On a 32-bit ABI nothing lies above 0xffffffff.
        let cs = cells(&[c(0, Op::Gt, MAX_32BIT)], MAX_32BIT);
        assert_eq!(cs.cells.len(), 1);
    }

    #[test]
    fn too_many_cells_fall_back_to_sampling() {
        let atoms: Vec<ArgCondition> = (0..13).map(|b| m(0, 1 << b, 0)).collect();
        let cs = cells(&atoms, u64::MAX);
        assert!(!cs.complete);
        assert!(!cs.cells.is_empty() && cs.cells.len() <= MAX_CELLS);
        for cell in &cs.cells {
            assert!(satisfies(&cs.literals(cell), &cell.witness));
        }
        let atoms: Vec<ArgCondition> = (0..6u8)
            .flat_map(|i| (0..5).map(move |v| c(i, Op::Eq, v)))
            .collect();
        let cs = cells(&atoms, u64::MAX);
        assert!(!cs.complete);
        assert_eq!(cs.total, 6usize.pow(6));
    }

    #[test]
    fn literals_read_as_negated_operators() {
        let l = |cond, p| Literal::new(cond, p).to_string();
        assert_eq!(l(c(1, Op::Lt, 4), false), "args[1] >= 0x4");
        assert_eq!(l(c(1, Op::Gt, 4), false), "args[1] <= 0x4");
        assert_eq!(l(c(1, Op::Eq, 4), false), "args[1] != 0x4");
        assert_eq!(l(m(1, 0xf0, 0x10), false), "(args[1] & 0xf0) != 0x10");
        assert_eq!(l(m(1, 0xf0, 0x10), true), "(args[1] & 0xf0) == 0x10");
        let s = simplify(&[
            Literal::new(c(0, Op::Eq, 8), true),
            Literal::new(c(0, Op::Eq, 0), false),
            Literal::new(c(0, Op::Gt, 3), true),
        ]);
        assert_eq!(describe(&s), "args[0] == 0x8");
    }

    #[test]
    fn enforced_masks_value_two_and_truncates_on_32_bit() {
        let e = enforced(&m(0, 0xf, 0x13), false);
        assert_eq!(e.value_two, 0x3);
        let e = enforced(&c(0, Op::Le, 0x1_0000_0005), true);
        assert_eq!(e.value, 5);
    }

    // Small constants (< 16) make every value >= 16 behave like one of 16..32, so trying
    // 0..32 for each argument decides satisfiability exactly.
    fn small_atom() -> impl Strategy<Value = (ArgCondition, bool)> {
        (0u8..2, 0usize..7, 0u64..16, 0u64..16, any::<bool>()).prop_map(|(i, op, v, v2, pos)| {
            (
                ArgCondition {
                    index: i,
                    value: v,
                    value_two: v2,
                    op: Op::ALL[op],
                },
                pos,
            )
        })
    }

    fn wide_atom() -> impl Strategy<Value = (ArgCondition, bool)> {
        let value = prop_oneof![
            any::<u64>(),
            Just(0u64),
            Just(u64::MAX),
            (0u32..64).prop_map(|b| 1u64 << b)
        ];
        (0u8..6, 0usize..7, value.clone(), value, any::<bool>()).prop_map(|(i, op, v, v2, pos)| {
            (
                ArgCondition {
                    index: i,
                    value: v,
                    value_two: v2,
                    op: Op::ALL[op],
                },
                pos,
            )
        })
    }

    fn holds(conds: &[(ArgCondition, bool)], w: &[u64; ARGS]) -> bool {
        conds
            .iter()
            .all(|(c, p)| c.matches(w[usize::from(c.index)]) == *p)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn witness_is_exact_on_small_domains(conds in prop::collection::vec(small_atom(), 0..7)) {
            let w = witness(&conds);
            let brute = (0u64..32)
                .flat_map(|a| (0u64..32).map(move |b| [a, b, 0, 0, 0, 0]))
                .find(|w| holds(&conds, w));
            match w {
                Some(w) => {
                    prop_assert!(holds(&conds, &w), "{w:?} violates {conds:?}");
                    // The smallest per argument: a brute-force point is never smaller.
                    let b = brute.expect("brute force agrees it is satisfiable");
                    let lows = [0u8, 1].map(|i| {
                        (0u64..32).find(|x| conds.iter().filter(|(c, _)| c.index == i).all(|(c, p)| c.matches(*x) == *p))
                    });
                    prop_assert_eq!(Some(w[0]), lows[0], "{:?}", b);
                    prop_assert_eq!(Some(w[1]), lows[1]);
                }
                None => prop_assert!(brute.is_none(), "unsat claimed but {brute:?} satisfies {conds:?}"),
            }
        }

        #[test]
        fn witness_satisfies_wide_constraints(conds in prop::collection::vec(wide_atom(), 0..8)) {
            if let Some(w) = witness(&conds) {
                prop_assert!(holds(&conds, &w), "{w:?} violates {conds:?}");
            }
        }

        #[test]
        fn cells_are_exact_on_small_domains(conds in prop::collection::vec(small_atom(), 0..6)) {
            let atoms: Vec<ArgCondition> = conds.iter().map(|(c, _)| *c).collect();
            let cs = cells(&atoms, u64::MAX);
            prop_assert!(cs.complete);
            let mut seen = std::collections::BTreeSet::new();
            for cell in &cs.cells {
                prop_assert!(satisfies(&cs.literals(cell), &cell.witness));
                prop_assert!(seen.insert(cell.truth.clone()), "duplicate cell");
            }
            // Every point of the (representative) domain falls in a listed cell.
            for a in 0u64..32 {
                for b in 0u64..32 {
                    let w = [a, b, 0, 0, 0, 0];
                    let truth: Vec<bool> = cs.atoms.iter().map(|c| c.matches(w[usize::from(c.index)])).collect();
                    prop_assert!(seen.contains(&truth), "no cell for {w:?}");
                }
            }
        }

        #[test]
        fn cover_is_exact(conds in prop::collection::vec(small_atom(), 0..6), pick in any::<u64>()) {
            let atoms: Vec<ArgCondition> = conds.iter().map(|(c, _)| *c).collect();
            let cs = cells(&atoms, u64::MAX);
            let on: Vec<bool> = (0..cs.cells.len()).map(|i| pick >> (i % 64) & 1 == 1).collect();
            let cubes = cover(&cs, &on);
            for a in 0u64..32 {
                for b in 0u64..32 {
                    let w = [a, b, 0, 0, 0, 0];
                    let truth: Vec<bool> = cs.atoms.iter().map(|c| c.matches(w[usize::from(c.index)])).collect();
                    let cell = cs.cells.iter().position(|c| c.truth == truth).expect("a cell");
                    let in_cover = cubes.iter().any(|(l, _)| satisfies(l, &w));
                    prop_assert_eq!(in_cover, on[cell], "{:?}", w);
                }
            }
        }
    }
}
