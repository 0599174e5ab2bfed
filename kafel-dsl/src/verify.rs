//! Exact checking of a BPF program against a policy: the program is run symbolically for one
//! arch and syscall number, giving for each action the set of argument values (a BDD) that
//! reaches it; these are compared with the policy's own regions.
//!
//! This is how rpod knows that the OCI JSON it writes is built correctly by libseccomp (which
//! runc links): libseccomp 2.5.4 hangs in `seccomp_rule_add`, or builds a filter that disagrees
//! with its rules, for some rule sets comparing several arguments of one syscall. Probing
//! chosen values could miss a wrong corner; the symbolic run cannot.

use std::collections::HashMap;

use profiles::bpf::code::*;
use profiles::bpf::{Action, Program};
use profiles::Arch;

use crate::ast::CmpOp;
use crate::bdd::{Bdd, Node, FALSE, TRUE};

/// What the accumulator holds on some path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum A {
    Unset,
    Const(u32),
    /// `(word & mask) | set` where `word` is the low or high word of argument `arg`.
    Word {
        arg: u8,
        high: bool,
        mask: u32,
        set: u32,
    },
}

/// The program does something the symbolic run does not model (scratch memory, X register,
/// arithmetic); the caller falls back to probing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// For `(arch, nr)`, the argument values leading to each action the program returns.
///
/// # Errors
/// An instruction outside what libseccomp and rpod generate.
pub fn regions(
    b: &mut Bdd,
    prog: &Program,
    arch: Arch,
    nr: u32,
) -> Result<Vec<(Action, Node)>, Unsupported> {
    let insns = prog.insns();
    let little_endian = arch.audit_arch() & 0x4000_0000 != 0;
    let mut states: Vec<HashMap<A, Node>> = vec![HashMap::new(); insns.len() + 1];
    states[0].insert(A::Unset, TRUE);
    let mut out: Vec<(Action, Node)> = Vec::new();
    for (i, insn) in insns.iter().enumerate() {
        let here = std::mem::take(&mut states[i]);
        let mut entries: Vec<(A, Node)> = here.into_iter().collect();
        entries.sort_by_key(|(_, n)| *n);
        for (a, cond) in entries {
            if cond == FALSE {
                continue;
            }
            let class = insn.code & 0x07;
            let next =
                |states: &mut Vec<HashMap<A, Node>>, b: &mut Bdd, to: usize, a: A, c: Node| {
                    let e = states[to].entry(a).or_insert(FALSE);
                    *e = b.or(*e, c);
                };
            match class {
                BPF_LD => {
                    let na = if insn.code == BPF_LD | BPF_W | BPF_ABS {
                        match insn.k {
                            0 => A::Const(nr),
                            4 => A::Const(arch.audit_arch()),
                            off @ 16..=63 if off % 4 == 0 => {
                                let arg = u8::try_from((off - 16) / 8).expect("< 6");
                                let upper = (off - 16) % 8 == 4;
                                A::Word {
                                    arg,
                                    high: upper == little_endian,
                                    mask: u32::MAX,
                                    set: 0,
                                }
                            }
                            off => return Err(Unsupported(format!("load of offset {off}"))),
                        }
                    } else if insn.code == BPF_LD | BPF_IMM {
                        A::Const(insn.k)
                    } else {
                        return Err(Unsupported(format!("load {:#x}", insn.code)));
                    };
                    next(&mut states, b, i + 1, na, cond);
                }
                BPF_ALU => {
                    let op = insn.code & 0xf0;
                    if insn.code & BPF_X != 0 || (op != BPF_AND && op != BPF_OR) {
                        return Err(Unsupported(format!("alu {:#x}", insn.code)));
                    }
                    let na = match a {
                        A::Const(c) if op == BPF_AND => A::Const(c & insn.k),
                        A::Const(c) => A::Const(c | insn.k),
                        A::Word {
                            arg,
                            high,
                            mask,
                            set,
                        } if op == BPF_AND => A::Word {
                            arg,
                            high,
                            mask: mask & insn.k,
                            set: set & insn.k,
                        },
                        A::Word {
                            arg,
                            high,
                            mask,
                            set,
                        } => A::Word {
                            arg,
                            high,
                            mask,
                            set: set | insn.k,
                        },
                        A::Unset => return Err(Unsupported("alu on an unset A".into())),
                    };
                    next(&mut states, b, i + 1, na, cond);
                }
                BPF_JMP => {
                    let op = insn.code & 0xf0;
                    if op == BPF_JA {
                        let to = i + 1 + insn.k as usize;
                        next(&mut states, b, to, a, cond);
                        continue;
                    }
                    if insn.code & BPF_X != 0 {
                        return Err(Unsupported("jump on X".into()));
                    }
                    let holds = match a {
                        A::Const(c) => {
                            let h = match op {
                                BPF_JEQ => c == insn.k,
                                BPF_JGT => c > insn.k,
                                BPF_JGE => c >= insn.k,
                                BPF_JSET => c & insn.k != 0,
                                _ => return Err(Unsupported(format!("jump {:#x}", insn.code))),
                            };
                            if h {
                                TRUE
                            } else {
                                FALSE
                            }
                        }
                        A::Word {
                            arg,
                            high,
                            mask,
                            set,
                        } => {
                            let shift = if high { 32 } else { 0 };
                            let m = u64::from(mask) << shift;
                            let s = u64::from(set) << shift;
                            let k = u64::from(insn.k) << shift;
                            match op {
                                BPF_JEQ => b.cmp(arg, m, s, CmpOp::Eq, k),
                                BPF_JGT => b.cmp(arg, m, s, CmpOp::Gt, k),
                                BPF_JGE => b.cmp(arg, m, s, CmpOp::Ge, k),
                                BPF_JSET => b.cmp(arg, m & k, s & k, CmpOp::Ne, 0),
                                _ => return Err(Unsupported(format!("jump {:#x}", insn.code))),
                            }
                        }
                        A::Unset => return Err(Unsupported("jump on an unset A".into())),
                    };
                    let t = b.and(cond, holds);
                    let nh = b.not(holds);
                    let f = b.and(cond, nh);
                    next(&mut states, b, i + 1 + usize::from(insn.jt), a, t);
                    next(&mut states, b, i + 1 + usize::from(insn.jf), a, f);
                }
                BPF_RET => {
                    if insn.code != BPF_RET | BPF_K {
                        return Err(Unsupported("return of A".into()));
                    }
                    let action = Action::from_ret(insn.k);
                    match out.iter_mut().find(|(x, _)| *x == action) {
                        Some((_, n)) => *n = b.or(*n, cond),
                        None => out.push((action, cond)),
                    }
                }
                _ => return Err(Unsupported(format!("instruction {:#x}", insn.code))),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use profiles::bpf::Insn;

    #[test]
    fn a_masked_test_of_the_low_word_becomes_its_set() {
        // ld arg1 low; and 0xf0; jeq 0x30 -> ERRNO(1) else ALLOW
        let prog = Program::new(vec![
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 24),
            Insn::stmt(BPF_ALU | BPF_AND | BPF_K, 0xf0),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0x30, 0, 1),
            Insn::stmt(BPF_RET | BPF_K, Action::Errno(1).to_ret()),
            Insn::stmt(BPF_RET | BPF_K, Action::Allow.to_ret()),
        ])
        .expect("valid");
        let mut b = Bdd::new();
        let r = regions(&mut b, &prog, Arch::X86_64, 0).expect("supported");
        let want = b.cmp(1, 0xf0, 0, CmpOp::Eq, 0x30);
        assert!(r.contains(&(Action::Errno(1), want)));
        let nw = b.not(want);
        assert!(r.contains(&(Action::Allow, nw)));
    }
}
