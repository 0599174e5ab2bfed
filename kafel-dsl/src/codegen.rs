//! Compiling a policy straight to a seccomp BPF program, with Kafel's full semantics: rules in
//! first-match order, any comparison of `&`/`|` combinations of arguments and constants
//! (argument against argument included), 64-bit unsigned comparisons built from 32-bit ones.
//!
//! Layout: check the arch (unknown arches, and x32 syscalls unless x32 is a target, are killed),
//! load the syscall number, find the syscall's rules with a binary search of `jge`/`jeq`, then
//! test its rules in order; the first that holds returns its action, the default ends it.
//!
//! Code is generated backwards, from the last instruction to the first, so every jump target
//! is already placed when the jump is written; a target beyond the 255 instructions a
//! conditional jump can reach gets a `ja` trampoline (32-bit offset) next to the jump.

use profiles::bpf::code::*;
use profiles::bpf::{Action, Insn, Program, BPF_MAXINSNS, BPF_MEMWORDS};
use profiles::Arch;

use crate::ast::CmpOp;
use crate::diag::Diagnostic;
use crate::ir::{Cond, Program as Policy, Val, BAD_ARCH_ACTION};
use crate::source::Span;

/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARGS: u32 = 16;
/// At most this many syscalls are tested one after another before splitting the range.
const LINEAR: usize = 3;

/// A place in the program, counted from its end (see the module docs).
type Label = usize;

/// Compiles `p` to a BPF program.
///
/// # Errors
/// A rule needing more scratch memory than BPF has, or a program over the kernel's 4096
/// instructions.
pub fn to_bpf(p: &Policy) -> Result<Program, Vec<Diagnostic>> {
    let mut g = Gen::default();
    let mut errors = Vec::new();
    let bad = g.ret(BAD_ARCH_ACTION);

    // Per AUDIT_ARCH value, the arches that share it (x86_64 and x32).
    let mut groups: Vec<(u32, Vec<Arch>)> = Vec::new();
    for &a in &p.arches {
        match groups.iter_mut().find(|(v, _)| *v == a.audit_arch()) {
            Some((_, v)) => v.push(a),
            None => groups.push((a.audit_arch(), vec![a])),
        }
    }
    let mut entries = Vec::new();
    for (audit, arches) in groups.iter().rev() {
        let entry = if *audit == Arch::X86_64.audit_arch() {
            let x64 = if arches.contains(&Arch::X86_64) {
                g.arch_block(p, Arch::X86_64, &mut errors)
            } else {
                g.ret(BAD_ARCH_ACTION)
            };
            let x32 = if arches.contains(&Arch::X32) {
                g.arch_block(p, Arch::X32, &mut errors)
            } else {
                g.ret(BAD_ARCH_ACTION)
            };
            // -1 (a tracer skipping the syscall) goes to the x86_64 rules, as in libseccomp.
            let x32 = if arches.contains(&Arch::X86_64) {
                g.jump(BPF_JMP | BPF_JEQ | BPF_K, u32::MAX, x64, x32)
            } else {
                x32
            };
            // Kafel forgets this test, so x32 syscalls pass a pure x86_64 policy.
            let split = g.jump(
                BPF_JMP | BPF_JGE | BPF_K,
                profiles::arch::X32_SYSCALL_BIT,
                x32,
                x64,
            );
            g.goto(split);
            g.emit(Insn::stmt(BPF_LD | BPF_W | BPF_ABS, NR))
        } else {
            let tree = g.arch_block(p, arches[0], &mut errors);
            g.goto(tree);
            g.emit(Insn::stmt(BPF_LD | BPF_W | BPF_ABS, NR))
        };
        entries.push((*audit, entry));
    }
    let mut next = g.ret_far(BAD_ARCH_ACTION, bad);
    for (audit, entry) in entries {
        next = g.jump(BPF_JMP | BPF_JEQ | BPF_K, audit, entry, next);
    }
    g.goto(next);
    g.emit(Insn::stmt(BPF_LD | BPF_W | BPF_ABS, ARCH));
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut insns = g.code;
    insns.reverse();
    if insns.len() > BPF_MAXINSNS {
        return Err(vec![Diagnostic::error(
            p.default_span.unwrap_or_default(),
            format!(
                "the BPF program has {} instructions; the kernel takes at most {BPF_MAXINSNS}",
                insns.len()
            ),
        )]);
    }
    Program::new(insns).map_err(|e| {
        vec![Diagnostic::error(
            Span::default(),
            format!("internal error: generated BPF is invalid: {e}"),
        )]
    })
}

/// A 32-bit half of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Half {
    Const(u32),
    Load(u32),
    And(Box<Half>, Box<Half>),
    Or(Box<Half>, Box<Half>),
}

fn split(v: &Val, little_endian: bool) -> (Half, Half) {
    match v {
        Val::Const(c) => (Half::Const(hi32(*c)), Half::Const(lo32(*c))),
        Val::Arg { index, size } => {
            let base = ARGS + 8 * u32::from(*index);
            let (lo, hi) = if little_endian {
                (base, base + 4)
            } else {
                (base + 4, base)
            };
            let high = if *size == 4 {
                Half::Const(0)
            } else {
                Half::Load(hi)
            };
            (high, Half::Load(lo))
        }
        Val::And(a, b) | Val::Or(a, b) => {
            let and = matches!(v, Val::And(..));
            let (ah, al) = split(a, little_endian);
            let (bh, bl) = split(b, little_endian);
            (combine(and, ah, bh), combine(and, al, bl))
        }
    }
}

fn hi32(x: u64) -> u32 {
    u32::try_from(x >> 32).expect("shifted")
}

fn lo32(x: u64) -> u32 {
    u32::try_from(x & 0xffff_ffff).expect("masked")
}

fn combine(and: bool, a: Half, b: Half) -> Half {
    match (and, a, b) {
        (true, Half::Const(x), Half::Const(y)) => Half::Const(x & y),
        (false, Half::Const(x), Half::Const(y)) => Half::Const(x | y),
        (true, Half::Const(0), _) | (true, _, Half::Const(0)) => Half::Const(0),
        (true, Half::Const(u32::MAX), o) | (true, o, Half::Const(u32::MAX)) => o,
        (false, Half::Const(0), o) | (false, o, Half::Const(0)) => o,
        (false, Half::Const(u32::MAX), _) | (false, _, Half::Const(u32::MAX)) => {
            Half::Const(u32::MAX)
        }
        (true, a, b) => Half::And(Box::new(a), Box::new(b)),
        (false, a, b) => Half::Or(Box::new(a), Box::new(b)),
    }
}

/// The 32-bit jumps BPF has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum J {
    Eq,
    Gt,
    Ge,
}

#[derive(Default)]
struct Gen {
    /// The program, last instruction first.
    code: Vec<Insn>,
    /// The latest return instruction emitted for each return value.
    rets: std::collections::HashMap<u32, Label>,
}

/// Scratch memory ran out: the span of the rule is added by the caller.
struct TooDeep;

impl Gen {
    fn here(&self) -> Label {
        self.code.len()
    }

    fn emit(&mut self, i: Insn) -> Label {
        self.code.push(i);
        self.here()
    }

    /// Makes the code emitted next (which runs just before) continue at `l`.
    fn goto(&mut self, l: Label) {
        if l != self.here() {
            let off = u32::try_from(self.here() - l).expect("programs are small");
            self.emit(Insn::stmt(BPF_JMP | BPF_JA, off));
        }
    }

    fn ret(&mut self, a: Action) -> Label {
        self.emit(Insn::stmt(BPF_RET | BPF_K, a.to_ret()))
    }

    /// A return of `a`: reuses `existing` when a jump from here reaches it.
    fn ret_far(&mut self, a: Action, existing: Label) -> Label {
        if self.here() - existing < 200 {
            existing
        } else {
            self.ret(a)
        }
    }

    /// A conditional jump to `t` when it holds, else to `f`, adding trampolines where a target
    /// is out of reach.
    fn jump(&mut self, code: u16, k: u32, mut t: Label, mut f: Label) -> Label {
        if t == f {
            return t;
        }
        loop {
            let n = self.here();
            let (dt, df) = (n - t, n - f);
            if dt <= 255 && df <= 255 {
                let jt = u8::try_from(dt).expect("checked");
                let jf = u8::try_from(df).expect("checked");
                return self.emit(Insn::jump(code, k, jt, jf));
            }
            let far = if dt >= df { &mut t } else { &mut f };
            let off = u32::try_from(n - *far).expect("programs are small");
            *far = self.emit(Insn::stmt(BPF_JMP | BPF_JA, off));
        }
    }

    /// Dispatch on the syscall number (already in A) for one arch, with each syscall's rules.
    fn arch_block(&mut self, p: &Policy, arch: Arch, errors: &mut Vec<Diagnostic>) -> Label {
        let le = arch.audit_arch() & 0x4000_0000 != 0;
        let mut targets: Vec<(u32, Label)> = Vec::new();
        for (&(a, nr), s) in p.syscalls.range((arch, 0)..=(arch, u32::MAX)).rev() {
            debug_assert_eq!(a, arch);
            // Rules after one that always matches are never reached.
            let last = s
                .rules
                .iter()
                .position(|r| r.cond == Cond::True)
                .map_or(s.rules.len(), |i| i + 1);
            let rules = &s.rules[..last];
            if rules.iter().all(|r| r.action == p.default) {
                continue;
            }
            let always = rules.last().is_some_and(|r| r.cond == Cond::True);
            let mut next = if always {
                // Never taken: the last rule always matches.
                self.here()
            } else {
                self.ret_shared(p.default)
            };
            let mut failed = false;
            for r in rules.iter().rev() {
                let t = self.ret_shared(r.action);
                match self.cond(&r.cond, le, t, next) {
                    Ok(l) => next = l,
                    Err(TooDeep) => {
                        failed = true;
                        errors.push(
                            Diagnostic::error(r.span, "expression too deep for BPF").with_label(
                                format!(
                                    "it needs more than the {BPF_MEMWORDS} words of scratch memory"
                                ),
                            ),
                        );
                    }
                }
            }
            if !failed {
                targets.push((nr, next));
            }
        }
        targets.reverse();
        let default = self.ret_shared(p.default);
        self.tree(&targets, default)
    }

    /// A return of `a`, shared with an earlier one while jumps from here can still reach it.
    fn ret_shared(&mut self, a: Action) -> Label {
        let ret = a.to_ret();
        if let Some(&l) = self.rets.get(&ret) {
            if self.here() - l < 200 {
                return l;
            }
        }
        let l = self.ret(a);
        self.rets.insert(ret, l);
        l
    }

    fn tree(&mut self, items: &[(u32, Label)], default: Label) -> Label {
        if items.len() <= LINEAR {
            let mut next = default;
            for &(nr, l) in items.iter().rev() {
                next = self.jump(BPF_JMP | BPF_JEQ | BPF_K, nr, l, next);
            }
            return next;
        }
        let mid = items.len() / 2;
        let right = self.tree(&items[mid..], default);
        let default = self.ret_far_label(default);
        let left = self.tree(&items[..mid], default);
        self.jump(BPF_JMP | BPF_JGE | BPF_K, items[mid].0, right, left)
    }

    fn ret_far_label(&mut self, l: Label) -> Label {
        // A copy of a return instruction nearer to the code that jumps to it.
        let insn = self.code[l - 1];
        if insn.code == BPF_RET | BPF_K && self.here() - l >= 200 {
            self.emit(insn)
        } else {
            l
        }
    }

    fn cond(&mut self, c: &Cond, le: bool, t: Label, f: Label) -> Result<Label, TooDeep> {
        Ok(match c {
            Cond::True => t,
            Cond::False => f,
            Cond::And(a, b) => {
                let lb = self.cond(b, le, t, f)?;
                self.cond(a, le, lb, f)?
            }
            Cond::Or(a, b) => {
                let lb = self.cond(b, le, t, f)?;
                self.cond(a, le, t, lb)?
            }
            Cond::Not(a) => self.cond(a, le, f, t)?,
            Cond::Cmp { op, lhs, rhs } => {
                let (lh, ll) = split(lhs, le);
                let (rh, rl) = split(rhs, le);
                match op {
                    CmpOp::Eq => {
                        let low = self.cmp32(&ll, J::Eq, &rl, t, f)?;
                        self.cmp32(&lh, J::Eq, &rh, low, f)?
                    }
                    CmpOp::Ne => {
                        let low = self.cmp32(&ll, J::Eq, &rl, f, t)?;
                        self.cmp32(&lh, J::Eq, &rh, low, t)?
                    }
                    CmpOp::Gt => self.gt64((&lh, &ll), (&rh, &rl), J::Gt, t, f)?,
                    CmpOp::Ge => self.gt64((&lh, &ll), (&rh, &rl), J::Ge, t, f)?,
                    CmpOp::Lt => self.gt64((&rh, &rl), (&lh, &ll), J::Gt, t, f)?,
                    CmpOp::Le => self.gt64((&rh, &rl), (&lh, &ll), J::Ge, t, f)?,
                }
            }
        })
    }

    /// `l > r` (or `>=` with `J::Ge`) on 64-bit values: the high words decide unless equal.
    fn gt64(
        &mut self,
        l: (&Half, &Half),
        r: (&Half, &Half),
        low: J,
        t: Label,
        f: Label,
    ) -> Result<Label, TooDeep> {
        if let (Half::Const(a), Half::Const(b)) = (l.0, r.0) {
            return Ok(match a.cmp(b) {
                std::cmp::Ordering::Greater => t,
                std::cmp::Ordering::Less => f,
                std::cmp::Ordering::Equal => self.cmp32(l.1, low, r.1, t, f)?,
            });
        }
        let lo = self.cmp32(l.1, low, r.1, t, f)?;
        let eq = self.cmp32(l.0, J::Eq, r.0, lo, f)?;
        self.cmp32(l.0, J::Gt, r.0, t, eq)
    }

    /// A 32-bit comparison `x j y`, jumping to `t` or `f`.
    fn cmp32(&mut self, x: &Half, j: J, y: &Half, t: Label, f: Label) -> Result<Label, TooDeep> {
        if t == f {
            return Ok(t);
        }
        let op = match j {
            J::Eq => BPF_JEQ,
            J::Gt => BPF_JGT,
            J::Ge => BPF_JGE,
        };
        match (x, y) {
            (Half::Const(a), Half::Const(b)) => {
                let holds = match j {
                    J::Eq => a == b,
                    J::Gt => a > b,
                    J::Ge => a >= b,
                };
                Ok(if holds { t } else { f })
            }
            (_, Half::Const(k)) => {
                let l = self.jump(BPF_JMP | op | BPF_K, *k, t, f);
                self.compute(x, 0)?;
                Ok(self.finish(l))
            }
            (Half::Const(k), _) => {
                // k > y is !(y >= k); k >= y is !(y > k); equality is symmetric.
                let (op, t, f) = match j {
                    J::Eq => (BPF_JEQ, t, f),
                    J::Gt => (BPF_JGE, f, t),
                    J::Ge => (BPF_JGT, f, t),
                };
                let l = self.jump(BPF_JMP | op | BPF_K, *k, t, f);
                self.compute(y, 0)?;
                Ok(self.finish(l))
            }
            _ => {
                // A = y; M[0] = A; A = x; X = M[0]; jump on A op X.
                let l = self.jump(BPF_JMP | op | BPF_X, 0, t, f);
                self.emit(Insn::stmt(BPF_LDX | BPF_W | BPF_MEM, 0));
                self.compute(x, 1)?;
                self.emit(Insn::stmt(BPF_ST, 0));
                self.compute(y, 1)?;
                Ok(self.finish(l))
            }
        }
    }

    fn finish(&self, _jump: Label) -> Label {
        self.here()
    }

    /// Emits (backwards) the code that leaves `h` in A, using scratch words from `slot` up.
    fn compute(&mut self, h: &Half, slot: u32) -> Result<(), TooDeep> {
        match h {
            Half::Const(k) => {
                self.emit(Insn::stmt(BPF_LD | BPF_IMM, *k));
            }
            Half::Load(off) => {
                self.emit(Insn::stmt(BPF_LD | BPF_W | BPF_ABS, *off));
            }
            Half::And(a, b) | Half::Or(a, b) => {
                let alu = if matches!(h, Half::And(..)) {
                    BPF_AND
                } else {
                    BPF_OR
                };
                match (&**a, &**b) {
                    (o, Half::Const(k)) | (Half::Const(k), o) => {
                        self.emit(Insn::stmt(BPF_ALU | alu | BPF_K, *k));
                        self.compute(o, slot)?;
                    }
                    (a, b) => {
                        if slot >= BPF_MEMWORDS {
                            return Err(TooDeep);
                        }
                        // Forward: A = b; M[slot] = A; A = a; X = M[slot]; A op= X.
                        self.emit(Insn::stmt(BPF_ALU | alu | BPF_X, 0));
                        self.emit(Insn::stmt(BPF_LDX | BPF_W | BPF_MEM, slot));
                        self.compute(a, slot + 1)?;
                        self.emit(Insn::stmt(BPF_ST, slot));
                        self.compute(b, slot + 1)?;
                    }
                }
            }
        }
        Ok(())
    }
}
