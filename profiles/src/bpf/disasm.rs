//! A readable listing of a seccomp filter, one line per instruction.
//!
//! The syntax follows `seccomp-tools disasm`: `A = sys_number`, `if (A == read) goto 0011`,
//! `if (A != ARCH_X86_64) goto 0012`, `mem[0] = A`, `return ERRNO(1)`. Where it is known what A
//! holds on every path to a comparison, the constant is printed by name: an `ARCH_*` name when
//! A is `seccomp_data.arch`, a syscall name when A is `seccomp_data.nr`. Syscall names come from
//! the table of the architecture that the path to the comparison has just checked (after
//! `if (A == ARCH_AARCH64)`, aarch64 numbers), or of [`Options::default_arch`] where no check
//! was seen; with neither, numbers stay numbers. Argument words print as `args[1].lo` and
//! `args[1].hi` (the kernel's byte order of the checked arch decides which offset is which).
//!
//! The listing is deterministic: it depends on the instructions and the options only.

use std::fmt::{self, Write as _};

use serde::Serialize;

use super::program::{target, AluOp, JmpOp, Op, Reg, RetVal, Src};
use super::{Action, Insn, Program, BPF_MEMWORDS};
use crate::arch::{Arch, X32_SYSCALL_BIT};
use crate::syscalls;

/// How to print a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Also print each instruction's raw fields (`CODE JT JF K`) with a header, as
    /// `seccomp-tools disasm` does.
    pub raw: bool,
    /// The syscall table to use where the program has not checked the arch on the way to a
    /// comparison (e.g. `Some(Arch::native())` for a filter known to be for this machine).
    pub default_arch: Option<Arch>,
}

/// One line of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub index: usize,
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
    /// The instruction in `seccomp-tools` syntax, e.g. `if (A == read) goto 0011`.
    pub text: String,
}

/// The listing of a checked program with default [`Options`]: no raw columns, and syscall
/// numbers named only after an arch check.
#[must_use]
pub fn disasm(prog: &Program) -> String {
    disasm_with(prog, &Options::default())
}

/// A program displays as its disassembly with default options: the disassembler owns a
/// program's text form, so `program` does not depend on it.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&disasm(self))
    }
}

/// The listing of a checked program.
#[must_use]
pub fn disasm_with(prog: &Program, opts: &Options) -> String {
    render(&lines(prog.insns(), opts), opts)
}

/// The listing of instructions that may not form a valid program (a file the kernel would
/// reject, say); opcodes seccomp does not allow print as `/* invalid opcode 0x.. */`.
#[must_use]
pub fn disasm_insns(insns: &[Insn], opts: &Options) -> String {
    render(&lines(insns, opts), opts)
}

fn render(lines: &[Line], opts: &Options) -> String {
    let mut out = String::new();
    if opts.raw {
        out.push_str(" line  CODE  JT   JF      K\n");
        out.push_str("=================================\n");
    }
    for l in lines {
        if opts.raw {
            let _ = writeln!(
                out,
                " {:04}: {:#04x} {:#04x} {:#04x} {:#010x}  {}",
                l.index, l.code, l.jt, l.jf, l.k, l.text
            );
        } else {
            let _ = writeln!(out, " {:04}: {}", l.index, l.text);
        }
    }
    out
}

/// What a register or scratch slot is known to hold on every path to an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Unknown,
    /// The `seccomp_data` word at this offset.
    Data(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    a: Val,
    x: Val,
    mem: [Val; BPF_MEMWORDS as usize],
    /// The arch every path here has checked with `A == ARCH_*`.
    arch: Option<Arch>,
}

impl State {
    const START: State = State {
        a: Val::Unknown,
        x: Val::Unknown,
        mem: [Val::Unknown; BPF_MEMWORDS as usize],
        arch: None,
    };

    fn merge(&mut self, other: &State) {
        let m = |a: &mut Val, b: Val| {
            if *a != b {
                *a = Val::Unknown;
            }
        };
        m(&mut self.a, other.a);
        m(&mut self.x, other.x);
        for (a, b) in self.mem.iter_mut().zip(other.mem) {
            m(a, b);
        }
        if self.arch != other.arch {
            self.arch = None;
        }
    }

    fn reg(&self, r: Reg) -> Val {
        match r {
            Reg::A => self.a,
            Reg::X => self.x,
        }
    }

    fn set(&mut self, r: Reg, v: Val) {
        match r {
            Reg::A => self.a = v,
            Reg::X => self.x = v,
        }
    }
}

/// The listing as data, one [`Line`] per instruction.
#[must_use]
pub fn lines(insns: &[Insn], opts: &Options) -> Vec<Line> {
    // Jumps only go forward, so one pass in index order sees every predecessor of an
    // instruction before the instruction itself.
    let mut states: Vec<Option<State>> = vec![None; insns.len()];
    if let Some(first) = states.first_mut() {
        *first = Some(State::START);
    }
    let mut out = Vec::with_capacity(insns.len());
    for (pc, insn) in insns.iter().enumerate() {
        // An instruction no path reaches is printed as if nothing were known.
        let st = states[pc].unwrap_or(State::START);
        let op = insn.op();
        let text = match op {
            Some(op) => text(pc, op, &st, opts),
            None => format!("/* invalid opcode {:#06x} */", insn.code),
        };
        out.push(Line {
            index: pc,
            code: insn.code,
            jt: insn.jt,
            jf: insn.jf,
            k: insn.k,
            text,
        });
        if let Some(op) = op {
            for (next, s) in successors(pc, op, &st) {
                if let Some(slot) = states.get_mut(next) {
                    match slot {
                        Some(cur) => cur.merge(&s),
                        None => *slot = Some(s),
                    }
                }
            }
        }
    }
    out
}

/// The states flowing out of instruction `pc` to each of its successors.
fn successors(pc: usize, op: Op, st: &State) -> Vec<(usize, State)> {
    let mut s = *st;
    match op {
        Op::LoadData(k) => s.a = Val::Data(k),
        Op::LoadLen(r) | Op::LoadImm(r, _) => s.set(r, Val::Unknown),
        Op::LoadMem(r, k) => s.set(r, st.mem[slot(k)]),
        Op::Store(r, k) => s.mem[slot(k)] = st.reg(r),
        Op::Alu(..) | Op::Neg => s.a = Val::Unknown,
        Op::Tax => s.x = s.a,
        Op::Txa => s.a = s.x,
        Op::Ret(_) => return Vec::new(),
        Op::Ja(k) => return vec![(target(pc, k), s)],
        Op::Jump { op, src, jt, jf } => {
            let mut taken = s;
            // `A == ARCH_*` narrows the arch on the taken branch.
            if let (JmpOp::Jeq, Src::K(k), Val::Data(4)) = (op, src, s.a) {
                taken.arch = Arch::from_audit_arch(k);
            }
            let t = target(pc, u32::from(jt));
            let f = target(pc, u32::from(jf));
            return if t == f {
                vec![(t, s)]
            } else {
                vec![(t, taken), (f, s)]
            };
        }
    }
    vec![(pc + 1, s)]
}

fn slot(k: u32) -> usize {
    usize::try_from(k % BPF_MEMWORDS).unwrap_or(0)
}

fn text(pc: usize, op: Op, st: &State, opts: &Options) -> String {
    let goto = |off: u32| format!("goto {:04}", target(pc, off));
    match op {
        Op::LoadData(k) => format!("A = {}", field(k, st.arch)),
        Op::LoadLen(r) => format!("{} = sizeof(seccomp_data)", reg(r)),
        Op::LoadImm(r, k) => format!("{} = {k:#x}", reg(r)),
        Op::LoadMem(r, k) => format!("{} = mem[{k}]", reg(r)),
        Op::Store(r, k) => format!("mem[{k}] = {}", reg(r)),
        Op::Alu(op, src) => {
            let sym = match op {
                AluOp::Add => "+",
                AluOp::Sub => "-",
                AluOp::Mul => "*",
                AluOp::Div => "/",
                AluOp::Or => "|",
                AluOp::And => "&",
                AluOp::Lsh => "<<",
                AluOp::Rsh => ">>",
                AluOp::Xor => "^",
            };
            let rhs = match (op, src) {
                (_, Src::X) => "X".to_string(),
                (AluOp::Lsh | AluOp::Rsh, Src::K(k)) => k.to_string(),
                (_, Src::K(k)) => format!("{k:#x}"),
            };
            format!("A {sym}= {rhs}")
        }
        Op::Neg => "A = -A".to_string(),
        Op::Tax => "X = A".to_string(),
        Op::Txa => "A = X".to_string(),
        Op::Ja(k) => goto(k),
        Op::Jump { op, src, jt, jf } => {
            let rhs = match src {
                Src::X => "X".to_string(),
                Src::K(k) => constant(op, k, st, opts),
            };
            let cond = |negate: bool| match (op, negate) {
                (JmpOp::Jset, false) => format!("if (A & {rhs})"),
                (JmpOp::Jset, true) => format!("if (!(A & {rhs}))"),
                (JmpOp::Jeq, false) => format!("if (A == {rhs})"),
                (JmpOp::Jeq, true) => format!("if (A != {rhs})"),
                (JmpOp::Jgt, false) => format!("if (A > {rhs})"),
                (JmpOp::Jgt, true) => format!("if (A <= {rhs})"),
                (JmpOp::Jge, false) => format!("if (A >= {rhs})"),
                (JmpOp::Jge, true) => format!("if (A < {rhs})"),
            };
            let (jt, jf) = (u32::from(jt), u32::from(jf));
            if jt == jf {
                if jt == 0 {
                    "/* no-op */".to_string()
                } else {
                    goto(jt)
                }
            } else if jf == 0 {
                format!("{} {}", cond(false), goto(jt))
            } else if jt == 0 {
                format!("{} {}", cond(true), goto(jf))
            } else {
                format!("{} {} else {}", cond(false), goto(jt), goto(jf))
            }
        }
        Op::Ret(RetVal::A) => "return A".to_string(),
        Op::Ret(RetVal::K(k)) => {
            let action = Action::from_ret(k);
            match Action::known(k) {
                None => format!("return {action} /* {k:#010x}: unknown action */"),
                Some(a) if a.to_ret() != k => format!("return {action} /* {k:#010x} */"),
                Some(_) => format!("return {action}"),
            }
        }
    }
}

fn reg(r: Reg) -> &'static str {
    match r {
        Reg::A => "A",
        Reg::X => "X",
    }
}

/// The name of the `seccomp_data` word at `offset`.
fn field(offset: u32, arch: Option<Arch>) -> String {
    // Which half of a 64-bit field comes first depends on the kernel's byte order.
    let le = arch.is_none_or(|a| a.audit_arch() & 0x4000_0000 != 0);
    let half = |first: bool| if first == le { "lo" } else { "hi" };
    match offset {
        0 => "sys_number".to_string(),
        4 => "arch".to_string(),
        8 | 12 => format!("instruction_pointer.{}", half(offset == 8)),
        16..=63 if offset.is_multiple_of(4) => {
            let i = (offset - 16) / 8;
            format!("args[{i}].{}", half(offset.is_multiple_of(8)))
        }
        _ => format!("data[{offset}]"),
    }
}

/// The constant of a comparison, by name where A is known to be the arch or syscall number.
fn constant(op: JmpOp, k: u32, st: &State, opts: &Options) -> String {
    if op != JmpOp::Jset {
        match st.a {
            Val::Data(4) => {
                if let Some(name) = arch_name(k) {
                    return name.to_string();
                }
            }
            // libseccomp's x86_64 prologue tests `A >= 0x40000000` to catch x32 calls; that
            // bound is x32's `read` only by accident.
            Val::Data(0) if op != JmpOp::Jeq && k == X32_SYSCALL_BIT => {}
            Val::Data(0) => {
                if let Some(name) = st.arch.or(opts.default_arch).and_then(|a| syscall(a, k)) {
                    return name.to_string();
                }
            }
            _ => {}
        }
    }
    format!("{k:#x}")
}

fn syscall(arch: Arch, nr: u32) -> Option<&'static str> {
    // x32 shares AUDIT_ARCH_X86_64 and marks its numbers with bit 30.
    let arch = if arch == Arch::X86_64 && nr & X32_SYSCALL_BIT != 0 {
        Arch::X32
    } else {
        arch
    };
    syscalls::name(arch, nr)
}

/// `AUDIT_ARCH_*` without the `AUDIT_` prefix, as seccomp-tools prints them.
fn arch_name(value: u32) -> Option<&'static str> {
    Some(match Arch::from_audit_arch(value)? {
        Arch::X86_64 | Arch::X32 => "ARCH_X86_64",
        Arch::X86 => "ARCH_I386",
        Arch::Aarch64 => "ARCH_AARCH64",
        Arch::Arm => "ARCH_ARM",
        Arch::Riscv64 => "ARCH_RISCV64",
        Arch::S390x => "ARCH_S390X",
        Arch::S390 => "ARCH_S390",
        Arch::Ppc64le => "ARCH_PPC64LE",
        Arch::Ppc64 => "ARCH_PPC64",
        Arch::Ppc => "ARCH_PPC",
        Arch::Mips => "ARCH_MIPS",
        Arch::Mipsel => "ARCH_MIPSEL",
        Arch::Mips64 => "ARCH_MIPS64",
        Arch::Mipsel64 => "ARCH_MIPSEL64",
        Arch::Mips64n32 => "ARCH_MIPS64N32",
        Arch::Mipsel64n32 => "ARCH_MIPSEL64N32",
        Arch::Parisc => "ARCH_PARISC",
        Arch::Parisc64 => "ARCH_PARISC64",
    })
}

#[cfg(test)]
mod tests {
    use super::super::code::*;
    use super::super::{
        SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
    };
    use super::*;

    fn listing(insns: Vec<Insn>) -> String {
        disasm(&Program::new(insns).expect("test program is valid"))
    }

    const LD_NR: Insn = Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0);
    const LD_ARCH: Insn = Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 4);

    fn jeq(k: u32, jt: u8, jf: u8) -> Insn {
        Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf)
    }

    fn ret(k: u32) -> Insn {
        Insn::stmt(BPF_RET | BPF_K, k)
    }

    #[test]
    fn names_arches_and_syscalls_of_the_checked_arch() {
        let text = listing(vec![
            LD_ARCH,
            jeq(Arch::X86_64.audit_arch(), 0, 4),
            LD_NR,
            jeq(59, 1, 0),
            ret(SECCOMP_RET_ALLOW),
            ret(SECCOMP_RET_ERRNO | 1),
            ret(SECCOMP_RET_KILL_PROCESS),
        ]);
        assert_eq!(
            text,
            " 0000: A = arch\n\
             \x200001: if (A != ARCH_X86_64) goto 0006\n\
             \x200002: A = sys_number\n\
             \x200003: if (A == execve) goto 0005\n\
             \x200004: return ALLOW\n\
             \x200005: return ERRNO(1)\n\
             \x200006: return KILL_PROCESS\n"
        );
    }

    #[test]
    fn each_arch_branch_uses_its_own_table() {
        // x86_64: 0x3b is execve; aarch64: 0xdd is execve, 0x3b is pipe2.
        let text = listing(vec![
            LD_ARCH,
            jeq(Arch::X86_64.audit_arch(), 0, 3),
            LD_NR,
            jeq(59, 5, 6),
            LD_ARCH,
            jeq(Arch::Aarch64.audit_arch(), 0, 4),
            LD_NR,
            jeq(0xdd, 1, 2),
            ret(SECCOMP_RET_ALLOW),
            ret(SECCOMP_RET_ERRNO | 1),
            ret(SECCOMP_RET_KILL_THREAD),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[3], " 0003: if (A == execve) goto 0009 else goto 0010");
        assert_eq!(lines[5], " 0005: if (A != ARCH_AARCH64) goto 0010");
        assert_eq!(lines[7], " 0007: if (A == execve) goto 0009 else goto 0010");
        assert_eq!(lines[10], " 0010: return KILL_THREAD");
    }

    #[test]
    fn without_an_arch_check_numbers_stay_numbers() {
        let insns = vec![LD_NR, jeq(59, 0, 1), ret(0), ret(SECCOMP_RET_ALLOW)];
        assert_eq!(
            listing(insns.clone()).lines().nth(1),
            Some(" 0001: if (A != 0x3b) goto 0003")
        );
        let opts = Options {
            default_arch: Some(Arch::X86_64),
            ..Options::default()
        };
        let text = disasm_insns(&insns, &opts);
        assert_eq!(
            text.lines().nth(1),
            Some(" 0001: if (A != execve) goto 0003")
        );
    }

    #[test]
    fn x32_boundary_and_x32_numbers() {
        let text = listing(vec![
            LD_ARCH,
            jeq(Arch::X86_64.audit_arch(), 0, 5),
            LD_NR,
            Insn::jump(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
            jeq(X32_SYSCALL_BIT | 1, 1, 2),
            jeq(59, 0, 1),
            ret(SECCOMP_RET_ALLOW),
            ret(SECCOMP_RET_KILL_PROCESS),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[3], " 0003: if (A < 0x40000000) goto 0005");
        // 0x40000001 is x32's write: numbers with the x32 bit use the x32 table.
        assert_eq!(lines[4], " 0004: if (A == write) goto 0006 else goto 0007");
        assert_eq!(lines[5], " 0005: if (A != execve) goto 0007");
    }

    #[test]
    fn a_merge_of_different_loads_forgets_what_a_holds() {
        // Instruction 3 is reached with A = nr (from 1) and A = args[0].lo (from 2).
        let text = listing(vec![
            LD_NR,
            jeq(1, 1, 0),
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            jeq(0xc000_003e, 0, 1),
            ret(0),
            ret(SECCOMP_RET_ALLOW),
        ]);
        assert_eq!(
            text.lines().nth(3),
            Some(" 0003: if (A != 0xc000003e) goto 0005")
        );
    }

    #[test]
    fn prints_every_instruction_kind() {
        let insns = vec![
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 8),
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 12),
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 24),
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 60),
            Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0),
            Insn::stmt(BPF_LDX | BPF_W | BPF_LEN, 0),
            Insn::stmt(BPF_LD | BPF_IMM, 10),
            Insn::stmt(BPF_LDX | BPF_IMM, 3),
            Insn::stmt(BPF_ST, 2),
            Insn::stmt(BPF_STX, 3),
            Insn::stmt(BPF_LD | BPF_MEM, 2),
            Insn::stmt(BPF_LDX | BPF_MEM, 3),
            Insn::stmt(BPF_ALU | BPF_ADD | BPF_K, 1),
            Insn::stmt(BPF_ALU | BPF_SUB | BPF_X, 0),
            Insn::stmt(BPF_ALU | BPF_MUL | BPF_K, 3),
            Insn::stmt(BPF_ALU | BPF_DIV | BPF_K, 2),
            Insn::stmt(BPF_ALU | BPF_OR | BPF_K, 0x10),
            Insn::stmt(BPF_ALU | BPF_AND | BPF_K, 0xff),
            Insn::stmt(BPF_ALU | BPF_XOR | BPF_X, 0),
            Insn::stmt(BPF_ALU | BPF_LSH | BPF_K, 4),
            Insn::stmt(BPF_ALU | BPF_RSH | BPF_X, 0),
            Insn::stmt(BPF_ALU | BPF_NEG, 0),
            Insn::stmt(BPF_MISC | BPF_TAX, 0),
            Insn::stmt(BPF_MISC | BPF_TXA, 0),
            Insn::jump(BPF_JMP | BPF_JGT | BPF_K, 5, 1, 0),
            Insn::jump(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1),
            Insn::jump(BPF_JMP | BPF_JSET | BPF_K, 4, 0, 1),
            Insn::jump(BPF_JMP | BPF_JSET | BPF_K, 4, 1, 1),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 0),
            Insn::stmt(BPF_JMP | BPF_JA, 0),
            Insn::stmt(BPF_RET | BPF_A, 0),
            ret(SECCOMP_RET_ALLOW | 5),
            ret(0x0001_0000),
        ];
        let expected = " 0000: A = instruction_pointer.lo
 0001: A = instruction_pointer.hi
 0002: A = args[1].lo
 0003: A = args[5].hi
 0004: A = sizeof(seccomp_data)
 0005: X = sizeof(seccomp_data)
 0006: A = 0xa
 0007: X = 0x3
 0008: mem[2] = A
 0009: mem[3] = X
 0010: A = mem[2]
 0011: X = mem[3]
 0012: A += 0x1
 0013: A -= X
 0014: A *= 0x3
 0015: A /= 0x2
 0016: A |= 0x10
 0017: A &= 0xff
 0018: A ^= X
 0019: A <<= 4
 0020: A >>= X
 0021: A = -A
 0022: X = A
 0023: A = X
 0024: if (A > 0x5) goto 0026
 0025: if (A < X) goto 0027
 0026: if (!(A & 0x4)) goto 0028
 0027: goto 0029
 0028: /* no-op */
 0029: goto 0030
 0030: return A
 0031: return ALLOW /* 0x7fff0005 */
 0032: return KILL_PROCESS /* 0x00010000: unknown action */
";
        assert_eq!(listing(insns), expected);
    }

    #[test]
    fn raw_columns_and_invalid_opcodes() {
        let insns = [
            Insn::stmt(BPF_ALU | BPF_MOD | BPF_K, 3),
            ret(SECCOMP_RET_ALLOW),
        ];
        let opts = Options {
            raw: true,
            ..Options::default()
        };
        assert_eq!(
            disasm_insns(&insns, &opts),
            " line  CODE  JT   JF      K\n\
             =================================\n\
             \x200000: 0x94 0x00 0x00 0x00000003  /* invalid opcode 0x0094 */\n\
             \x200001: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n"
        );
    }

    #[test]
    fn big_endian_arch_names_the_high_word_first() {
        let text = listing(vec![
            LD_ARCH,
            jeq(Arch::S390x.audit_arch(), 0, 1),
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            ret(SECCOMP_RET_ALLOW),
        ]);
        assert_eq!(
            text.lines().nth(1),
            Some(" 0001: if (A != ARCH_S390X) goto 0003")
        );
        assert_eq!(text.lines().nth(2), Some(" 0002: A = args[0].hi"));
    }
}
