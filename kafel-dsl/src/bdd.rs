//! A small reduced ordered binary decision diagram (BDD) over the 6 × 64 bits of a syscall's
//! arguments, used to lower first-match policies into OCI's unordered, disjoint rules.
//!
//! Variables are ordered argument by argument, most significant bit first, so a set of values
//! of one argument (an interval, a masked pattern, their unions and complements) is a small
//! diagram, and a condition on several arguments can be cut argument by argument into a union
//! of products ("this set for arg 0 and that set for arg 1").
//!
//! Nodes are hash-consed: two equal functions are the same [`Node`], so equality is `==`.
//!
//! Work is bounded by a budget of steps (an operation not answered from a cache, a node made,
//! a node visited by [`Bdd::cut`]): some policies of a few hundred bytes have diagrams that
//! grow without end (issue 12). Once the budget is spent every operation answers [`FALSE`]
//! at once, so a caller's loop ends quickly, and the caller checks [`Bdd::exhausted`] before
//! it trusts a result. Nodes made before that stay valid, so walks over them terminate.

use std::collections::HashMap;

use crate::ast::CmpOp;

/// A function of the argument bits; [`FALSE`] and [`TRUE`] are the constants.
pub type Node = u32;
pub const FALSE: Node = 0;
pub const TRUE: Node = 1;

const TERMINAL_VAR: u16 = u16::MAX;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Data {
    var: u16,
    lo: Node,
    hi: Node,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum BinOp {
    And,
    Or,
}

/// The variable of bit `bit` (0 = least significant) of argument `arg`.
#[must_use]
pub fn var(arg: u8, bit: u32) -> u16 {
    u16::from(arg) * 64 + u16::try_from(63 - bit).expect("bit < 64")
}

/// Which argument and bit a variable stands for.
#[must_use]
pub fn arg_bit(var: u16) -> (u8, u32) {
    (
        u8::try_from(var / 64).expect("at most 6 arguments"),
        63 - u32::from(var % 64),
    )
}

/// The steps a [`Bdd::new`] diagram may take. Measured for issue 12: lowering podman's default
/// profile (decompiled to a policy, for x86_64, x86 and x32) takes 25,000 steps; the largest
/// lowering in the `kafel-dsl` tests, a random policy of the property tests, 765,000. Four
/// million is five times that, about 2 s of one core and 160 MB when all spent (release build).
pub const DEFAULT_BUDGET: usize = 4_000_000;

/// The node store and operation caches.
pub struct Bdd {
    nodes: Vec<Data>,
    unique: HashMap<Data, Node>,
    memo: HashMap<(BinOp, Node, Node), Node>,
    not_memo: HashMap<Node, Node>,
    steps: usize,
    budget: usize,
}

impl Default for Bdd {
    fn default() -> Self {
        Bdd::new()
    }
}

impl Bdd {
    /// An empty diagram store with [`DEFAULT_BUDGET`].
    #[must_use]
    pub fn new() -> Bdd {
        Bdd::with_budget(DEFAULT_BUDGET)
    }

    /// An empty diagram store that may take `budget` steps.
    #[must_use]
    pub fn with_budget(budget: usize) -> Bdd {
        let t = Data {
            var: TERMINAL_VAR,
            lo: 0,
            hi: 0,
        };
        Bdd {
            nodes: vec![t, Data { lo: 1, hi: 1, ..t }],
            unique: HashMap::new(),
            memo: HashMap::new(),
            not_memo: HashMap::new(),
            steps: 0,
            budget,
        }
    }

    /// Whether the budget is spent: results computed since may be wrong.
    #[must_use]
    pub fn exhausted(&self) -> bool {
        self.steps > self.budget
    }

    /// The steps taken so far.
    #[must_use]
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The budget this store was made with.
    #[must_use]
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Takes one step; whether the budget is now spent.
    fn spend(&mut self) -> bool {
        self.steps = self.steps.saturating_add(1);
        self.exhausted()
    }

    fn data(&self, n: Node) -> Data {
        self.nodes[n as usize]
    }

    /// The variable tested at `n` (`u16::MAX` for the constants).
    #[must_use]
    pub fn top(&self, n: Node) -> u16 {
        self.data(n).var
    }

    /// The children of `n` (for bit 0 and bit 1).
    #[must_use]
    pub fn children(&self, n: Node) -> (Node, Node) {
        let d = self.data(n);
        (d.lo, d.hi)
    }

    /// How many nodes exist (a measure of work).
    #[must_use]
    pub fn size(&self) -> usize {
        self.nodes.len()
    }

    fn mk(&mut self, var: u16, lo: Node, hi: Node) -> Node {
        if lo == hi {
            return lo;
        }
        let d = Data { var, lo, hi };
        if let Some(&n) = self.unique.get(&d) {
            return n;
        }
        if self.spend() {
            return FALSE;
        }
        let n = Node::try_from(self.nodes.len()).expect("fewer than 4 billion nodes");
        self.nodes.push(d);
        self.unique.insert(d, n);
        n
    }

    fn apply(&mut self, op: BinOp, a: Node, b: Node) -> Node {
        match (op, a, b) {
            (BinOp::And, FALSE, _) | (BinOp::And, _, FALSE) => return FALSE,
            (BinOp::And, TRUE, x) | (BinOp::And, x, TRUE) => return x,
            (BinOp::Or, TRUE, _) | (BinOp::Or, _, TRUE) => return TRUE,
            (BinOp::Or, FALSE, x) | (BinOp::Or, x, FALSE) => return x,
            _ => {}
        }
        if a == b {
            return a;
        }
        let key = if a < b { (op, a, b) } else { (op, b, a) };
        if let Some(&n) = self.memo.get(&key) {
            return n;
        }
        if self.spend() {
            return FALSE;
        }
        let (da, db) = (self.data(a), self.data(b));
        let v = da.var.min(db.var);
        let (alo, ahi) = if da.var == v { (da.lo, da.hi) } else { (a, a) };
        let (blo, bhi) = if db.var == v { (db.lo, db.hi) } else { (b, b) };
        let lo = self.apply(op, alo, blo);
        let hi = self.apply(op, ahi, bhi);
        let n = self.mk(v, lo, hi);
        self.memo.insert(key, n);
        n
    }

    pub fn and(&mut self, a: Node, b: Node) -> Node {
        self.apply(BinOp::And, a, b)
    }

    pub fn or(&mut self, a: Node, b: Node) -> Node {
        self.apply(BinOp::Or, a, b)
    }

    pub fn not(&mut self, a: Node) -> Node {
        match a {
            FALSE => return TRUE,
            TRUE => return FALSE,
            _ => {}
        }
        if let Some(&n) = self.not_memo.get(&a) {
            return n;
        }
        if self.spend() {
            return FALSE;
        }
        let d = self.data(a);
        let lo = self.not(d.lo);
        let hi = self.not(d.hi);
        let n = self.mk(d.var, lo, hi);
        self.not_memo.insert(a, n);
        n
    }

    /// `{ x : ((x & mask) | set) op k }` on argument `arg`: each bit of the left side is a bit of
    /// x where `mask` has it and `set` does not, 1 where `set` has it, 0 elsewhere. Built from
    /// the least significant bit up: "equal so far" from above either continues or is decided.
    pub fn cmp(&mut self, arg: u8, mask: u64, set: u64, op: CmpOp, k: u64) -> Node {
        let term = |b: bool| if b { TRUE } else { FALSE };
        let less = term(matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Ne));
        let greater = term(matches!(op, CmpOp::Gt | CmpOp::Ge | CmpOp::Ne));
        let mut equal = term(matches!(op, CmpOp::Eq | CmpOp::Le | CmpOp::Ge));
        for bit in 0..64 {
            let kb = (k >> bit) & 1 == 1;
            let (if0, if1) = (
                if kb { less } else { equal },
                if kb { equal } else { greater },
            );
            equal = if (set >> bit) & 1 == 1 {
                if1
            } else if (mask >> bit) & 1 == 1 {
                self.mk(var(arg, bit), if0, if1)
            } else {
                if0
            };
        }
        equal
    }

    /// `f` with every node reached at or below variable `from` replaced by `map(node)`.
    fn replace_frontier(
        &mut self,
        f: Node,
        from: u16,
        map: &dyn Fn(Node) -> Node,
        memo: &mut HashMap<Node, Node>,
    ) -> Node {
        let d = self.data(f);
        if d.var >= from {
            return map(f);
        }
        if let Some(&n) = memo.get(&f) {
            return n;
        }
        if self.spend() {
            return FALSE;
        }
        let lo = self.replace_frontier(d.lo, from, map, memo);
        let hi = self.replace_frontier(d.hi, from, map, memo);
        let n = self.mk(d.var, lo, hi);
        memo.insert(f, n);
        n
    }

    /// Cuts `f` after argument `arg`: pairs `(S, g)` where `S` is a set of values of `arg` and
    /// `g` a function of the later arguments, with `f = OR of (S and g)`, the `S` disjoint and
    /// the `g` distinct and not FALSE. `f` must not depend on arguments before `arg`.
    pub fn cut(&mut self, f: Node, arg: u8) -> Vec<(Node, Node)> {
        let from = (u16::from(arg) + 1) * 64;
        let mut frontier = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![f];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            if self.spend() {
                return Vec::new();
            }
            let d = self.data(n);
            if d.var >= from {
                if n != FALSE {
                    frontier.push(n);
                }
            } else {
                stack.push(d.hi);
                stack.push(d.lo);
            }
        }
        frontier.sort_unstable();
        frontier
            .into_iter()
            .map(|g| {
                let mut memo = HashMap::new();
                let s = self.replace_frontier(
                    f,
                    from,
                    &|n| if n == g { TRUE } else { FALSE },
                    &mut memo,
                );
                (s, g)
            })
            .collect()
    }

    /// If `s` (a set of values of `arg`) is one pattern `x & mask == value`, that pattern.
    #[must_use]
    pub fn cube(&self, s: Node) -> Option<(u64, u64)> {
        if s == FALSE {
            return None;
        }
        let (mut mask, mut value) = (0u64, 0u64);
        let mut n = s;
        while n != TRUE {
            let d = self.data(n);
            let (_, bit) = arg_bit(d.var);
            mask |= 1 << bit;
            if d.lo == FALSE {
                value |= 1 << bit;
                n = d.hi;
            } else if d.hi == FALSE {
                n = d.lo;
            } else {
                return None;
            }
        }
        Some((mask, value))
    }

    /// The smallest (or largest) value of the set `s` of one argument.
    #[must_use]
    pub fn extreme(&self, s: Node, largest: bool) -> Option<u64> {
        if s == FALSE {
            return None;
        }
        // Bits not tested on the path are free: 0 for the smallest, 1 for the largest.
        let mut x: u64 = if largest { u64::MAX } else { 0 };
        let mut n = s;
        while n != TRUE {
            let d = self.data(n);
            let (_, bit) = arg_bit(d.var);
            let go_hi = if largest {
                d.hi != FALSE
            } else {
                d.lo == FALSE
            };
            if go_hi {
                x |= 1 << bit;
                n = d.hi;
            } else {
                x &= !(1 << bit);
                n = d.lo;
            }
        }
        Some(x)
    }

    /// Disjoint patterns `(mask, value)` whose union is `s`, one per path; `None` past `limit`.
    #[must_use]
    pub fn paths(&self, s: Node, limit: usize) -> Option<Vec<(u64, u64)>> {
        fn walk(
            b: &Bdd,
            n: Node,
            mask: u64,
            value: u64,
            out: &mut Vec<(u64, u64)>,
            limit: usize,
        ) -> bool {
            if n == FALSE {
                return true;
            }
            if n == TRUE {
                out.push((mask, value));
                return out.len() <= limit;
            }
            let d = b.data(n);
            let (_, bit) = arg_bit(d.var);
            walk(b, d.lo, mask | 1 << bit, value, out, limit)
                && walk(b, d.hi, mask | 1 << bit, value | 1 << bit, out, limit)
        }
        let mut out = Vec::new();
        walk(self, s, 0, 0, &mut out, limit).then_some(out)
    }

    /// Evaluates `f` for concrete arguments.
    #[must_use]
    pub fn eval(&self, f: Node, args: &[u64; 6]) -> bool {
        let mut n = f;
        while n > TRUE {
            let d = self.data(n);
            let (arg, bit) = arg_bit(d.var);
            n = if (args[usize::from(arg)] >> bit) & 1 == 1 {
                d.hi
            } else {
                d.lo
            };
        }
        n == TRUE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_match_their_definition_on_boundaries() {
        let mut b = Bdd::new();
        let ops = [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ];
        let cases: [(u64, u64, u64); 4] = [
            (u64::MAX, 0, 5),
            (0xffff_ffff, 0, 0x1_0000_0002),
            (0xf0, 0x3, 0x13),
            (0x8000_0000_0000_00ff, 0x100, 0x8000_0000_0000_0101),
        ];
        for (mask, set, k) in cases {
            for op in ops {
                let n = b.cmp(1, mask, set, op, k);
                for x in [
                    0,
                    1,
                    2,
                    3,
                    4,
                    5,
                    6,
                    k,
                    k.wrapping_sub(1),
                    k.wrapping_add(1),
                    u64::MAX,
                    0x1_0000_0002,
                    0x13,
                    0x8000_0000_0000_0101,
                ] {
                    let args = [0, x, 0, 0, 0, 0];
                    assert_eq!(
                        b.eval(n, &args),
                        op.eval((x & mask) | set, k),
                        "x={x:#x} mask={mask:#x} set={set:#x} {op:?} {k:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn equal_functions_are_the_same_node() {
        let mut b = Bdd::new();
        let lt = b.cmp(0, u64::MAX, 0, CmpOp::Lt, 10);
        let ge = b.cmp(0, u64::MAX, 0, CmpOp::Ge, 10);
        assert_eq!(b.not(lt), ge);
        let le9 = b.cmp(0, u64::MAX, 0, CmpOp::Le, 9);
        assert_eq!(le9, lt);
        assert_eq!(b.extreme(ge, false), Some(10));
        assert_eq!(b.extreme(lt, true), Some(9));
        let masked = b.cmp(2, 0xff, 0, CmpOp::Eq, 3);
        assert_eq!(b.cube(masked), Some((0xff, 3)));
        assert_eq!(b.cube(lt), None);
    }

    #[test]
    fn cut_separates_arguments() {
        let mut b = Bdd::new();
        let a0 = b.cmp(0, u64::MAX, 0, CmpOp::Eq, 1);
        let a1 = b.cmp(1, u64::MAX, 0, CmpOp::Lt, 5);
        let a1b = b.cmp(1, u64::MAX, 0, CmpOp::Eq, 9);
        let l = b.and(a0, a1);
        let n0 = b.not(a0);
        let r = b.and(n0, a1b);
        let f = b.or(l, r);
        let parts = b.cut(f, 0);
        assert_eq!(parts.len(), 2);
        assert!(parts.contains(&(a0, a1)));
        assert!(parts.contains(&(n0, a1b)));
    }
}
