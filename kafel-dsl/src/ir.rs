//! The resolved policy: what [`crate::sema`] makes of the syntax tree, and what the evaluator,
//! the OCI lowering and the BPF code generator consume.
//!
//! Terms: for each architecture and syscall number there is an ordered list of [`Rule`]s; the
//! first rule whose condition holds decides the action (Kafel's first-match semantics, after
//! `USE` expansion). A syscall without a matching rule gets the policy's default action. An
//! architecture the policy was not compiled for is killed, whatever the default says, and so is
//! an x32 syscall (number with bit 30 set on `AUDIT_ARCH_X86_64`) unless x32 was asked for.

use std::collections::BTreeMap;

use profiles::bpf::Action;
use profiles::Arch;

use crate::ast::CmpOp;
use crate::source::Span;

/// A value computed from the syscall's arguments: `&` and `|` of arguments and constants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Val {
    Const(u64),
    /// Argument `index`; a 4-byte argument is its low word (zero-extended), as in Kafel.
    Arg {
        index: u8,
        size: u8,
    },
    And(Box<Val>, Box<Val>),
    Or(Box<Val>, Box<Val>),
}

impl Val {
    /// The value for the given argument registers.
    #[must_use]
    pub fn eval(&self, args: &[u64; 6]) -> u64 {
        match self {
            Val::Const(c) => *c,
            Val::Arg { index, size } => {
                let v = args[usize::from(*index)];
                if *size == 4 {
                    v & 0xffff_ffff
                } else {
                    v
                }
            }
            Val::And(a, b) => a.eval(args) & b.eval(args),
            Val::Or(a, b) => a.eval(args) | b.eval(args),
        }
    }
}

/// A condition on the arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cond {
    True,
    False,
    Cmp { op: CmpOp, lhs: Val, rhs: Val },
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

impl Cond {
    #[must_use]
    pub fn eval(&self, args: &[u64; 6]) -> bool {
        match self {
            Cond::True => true,
            Cond::False => false,
            Cond::Cmp { op, lhs, rhs } => op.eval(lhs.eval(args), rhs.eval(args)),
            Cond::And(a, b) => a.eval(args) && b.eval(args),
            Cond::Or(a, b) => a.eval(args) || b.eval(args),
            Cond::Not(a) => !a.eval(args),
        }
    }

    /// Every constant compared against or used as a mask, for boundary-value tests.
    pub fn constants(&self, out: &mut Vec<u64>) {
        fn val(v: &Val, out: &mut Vec<u64>) {
            match v {
                Val::Const(c) => out.push(*c),
                Val::Arg { .. } => {}
                Val::And(a, b) | Val::Or(a, b) => {
                    val(a, out);
                    val(b, out);
                }
            }
        }
        match self {
            Cond::True | Cond::False => {}
            Cond::Cmp { lhs, rhs, .. } => {
                val(lhs, out);
                val(rhs, out);
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.constants(out);
                b.constants(out);
            }
            Cond::Not(a) => a.constants(out),
        }
    }
}

/// One filter of the policy, for one syscall on one arch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub action: Action,
    pub cond: Cond,
    /// The filter as written (`write { fd == 1 }`), for messages.
    pub span: Span,
}

/// The rules of one syscall on one arch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syscall {
    /// How the policy named it first (`newfstat`, `SYSCALL[5]`).
    pub written: String,
    /// libseccomp's name for the number on this arch, which OCI JSON must use.
    pub libseccomp_name: Option<&'static str>,
    pub rules: Vec<Rule>,
}

/// A policy resolved for a set of architectures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The architectures the filter accepts; the first is the host's.
    pub arches: Vec<Arch>,
    pub default: Action,
    /// Where `DEFAULT` was written, if it was.
    pub default_span: Option<Span>,
    pub syscalls: BTreeMap<(Arch, u32), Syscall>,
}

/// What a filter does with a syscall made on an arch outside the policy (and with x32 syscalls
/// when x32 is not one of the policy's arches): Kafel kills the thread.
pub const BAD_ARCH_ACTION: Action = Action::KillThread;

impl Program {
    /// The action the policy takes: Kafel's semantics, evaluated directly (the reference the
    /// OCI lowering and the BPF code generator are tested against).
    #[must_use]
    pub fn eval(&self, arch: Arch, nr: u32, args: &[u64; 6]) -> Action {
        let Some(arch) = self.effective_arch(arch, nr) else {
            return BAD_ARCH_ACTION;
        };
        match self.syscalls.get(&(arch, nr)) {
            Some(s) => s
                .rules
                .iter()
                .find(|r| r.cond.eval(args))
                .map_or(self.default, |r| r.action),
            None => self.default,
        }
    }

    /// Which of the policy's arches handles a syscall: x86_64 and x32 share an AUDIT_ARCH value
    /// and differ in bit 30 of the number.
    #[must_use]
    pub fn effective_arch(&self, arch: Arch, nr: u32) -> Option<Arch> {
        let audit = arch.audit_arch();
        if audit == Arch::X86_64.audit_arch() {
            // -1 is not an x32 number: it is what a tracer sets to skip a syscall, and
            // libseccomp lets it through to the x86_64 rules (so does rpod's BPF).
            let minus_one = nr == u32::MAX && self.arches.contains(&Arch::X86_64);
            let want = if nr & profiles::arch::X32_SYSCALL_BIT != 0 && !minus_one {
                Arch::X32
            } else {
                Arch::X86_64
            };
            return self.arches.contains(&want).then_some(want);
        }
        self.arches.contains(&arch).then_some(arch)
    }
}
