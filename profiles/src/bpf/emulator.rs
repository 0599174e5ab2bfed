//! Runs a seccomp filter on one syscall the way the kernel does.
//!
//! The machine: a 32-bit accumulator A and index register X, both 0 at the start (the kernel's
//! cBPF-to-eBPF conversion clears them), 16 scratch words, and `seccomp_data` readable in
//! aligned 32-bit words. Arithmetic wraps at 32 bits, comparisons are unsigned, and shifts by X
//! use X's low 5 bits, as the kernel's 32-bit eBPF shifts do. Division by X = 0 ends the filter
//! with 0 (`SECCOMP_RET_KILL_THREAD`): `bpf_convert_filter` inserts that check for classic
//! programs ("for cBPF programs, this was always return 0").

use std::fmt;

use super::program::{target, AluOp, JmpOp, Op, Program, Reg, RetVal, Src};
use super::{Action, BPF_MEMWORDS, SECCOMP_DATA_SIZE};
use crate::arch::Arch;

/// `struct seccomp_data`: what a filter sees of one syscall.
///
/// ```text
/// offset 0   int   nr
/// offset 4   __u32 arch                 (AUDIT_ARCH_*)
/// offset 8   __u64 instruction_pointer
/// offset 16  __u64 args[6]              (args[i] at 16 + 8 * i)
/// ```
///
/// The kernel lays it out in its own byte order: on a little-endian arch the low word of a
/// 64-bit field comes first (`args[i]` low at `16 + 8i`, high at `20 + 8i`), on a big-endian
/// one (s390x, ppc64) the high word does. The emulator takes the order from the
/// `__AUDIT_ARCH_LE` bit of `arch`, which is what the kernel of that arch uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeccompData {
    /// The syscall number (the kernel's `int nr`; a filter loads its 32 bits unsigned).
    pub nr: i32,
    /// The `AUDIT_ARCH_*` value of the calling convention.
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

/// `__AUDIT_ARCH_LE` from include/uapi/linux/audit.h.
const AUDIT_ARCH_LE: u32 = 0x4000_0000;

impl SeccompData {
    /// The data of syscall `nr` with `args` on `arch`, at instruction pointer 0. `nr` is taken
    /// as the filter sees it: its 32 bits, so `u32::MAX` is the kernel's -1.
    #[must_use]
    pub fn new(arch: Arch, nr: u32, args: [u64; 6]) -> SeccompData {
        SeccompData {
            nr: i32::from_ne_bytes(nr.to_ne_bytes()),
            arch: arch.audit_arch(),
            instruction_pointer: 0,
            args,
        }
    }

    /// Whether the kernel for `arch` lays the struct out little-endian.
    #[must_use]
    pub fn is_little_endian(&self) -> bool {
        self.arch & AUDIT_ARCH_LE != 0
    }

    /// The 32-bit word at byte `offset`, as `BPF_LD|BPF_W|BPF_ABS` loads it; `None` for an
    /// offset that is not a multiple of 4 below 64 (which no checked program uses).
    #[must_use]
    pub fn word(&self, offset: u32) -> Option<u32> {
        if offset >= SECCOMP_DATA_SIZE || !offset.is_multiple_of(4) {
            return None;
        }
        let field = match offset {
            0 => return Some(u32::from_ne_bytes(self.nr.to_ne_bytes())),
            4 => return Some(self.arch),
            8 | 12 => self.instruction_pointer,
            _ => self.args[usize::try_from((offset - 16) / 8).ok()?],
        };
        let first = offset.is_multiple_of(8);
        Some(if first == self.is_little_endian() {
            low(field)
        } else {
            high(field)
        })
    }

    /// The 64 bytes of the struct in the byte order of `arch`.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        let le = self.is_little_endian();
        for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
            let offset = u32::try_from(i * 4).unwrap_or(0);
            let w = self.word(offset).unwrap_or(0);
            chunk.copy_from_slice(&if le { w.to_le_bytes() } else { w.to_be_bytes() });
        }
        out
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "taking the low 32 bits is the point"
)]
fn low(v: u64) -> u32 {
    v as u32
}

fn high(v: u64) -> u32 {
    // Clippy sees that the shift leaves 32 bits.
    (v >> 32) as u32
}

/// The result of running a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The raw `SECCOMP_RET_*` value the program returned.
    pub ret: u32,
    /// What the kernel does with it.
    pub action: Action,
    /// Instructions executed, the final return included.
    pub insns_executed: usize,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (ret {:#010x}, {} instructions)",
            self.action, self.ret, self.insns_executed
        )
    }
}

/// Runs `prog` on syscall `nr` with `args` as made on `arch` (instruction pointer 0).
#[must_use]
pub fn simulate(prog: &Program, arch: Arch, nr: u32, args: [u64; 6]) -> Outcome {
    run(prog, &SeccompData::new(arch, nr, args))
}

/// Runs `prog` on `data`.
#[must_use]
pub fn run(prog: &Program, data: &SeccompData) -> Outcome {
    exec(prog, data, |_| {})
}

/// Runs `prog` on `data` and also returns the index of every instruction executed, in order.
#[must_use]
pub fn run_traced(prog: &Program, data: &SeccompData) -> (Outcome, Vec<usize>) {
    let mut path = Vec::new();
    let out = exec(prog, data, |pc| path.push(pc));
    (out, path)
}

fn exec(prog: &Program, data: &SeccompData, mut visit: impl FnMut(usize)) -> Outcome {
    let ops = prog.ops();
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; BPF_MEMWORDS as usize];
    let mut pc = 0usize;
    let mut executed = 0usize;
    let done = |ret: u32, executed: usize| Outcome {
        ret,
        action: Action::from_ret(ret),
        insns_executed: executed,
    };
    // A checked program only jumps forward to instructions that exist and ends with a return,
    // so `pc` stays in range and the loop ends within `ops.len()` steps.
    loop {
        let op = ops[pc];
        visit(pc);
        executed += 1;
        pc += 1;
        match op {
            // The checks guarantee an aligned in-range offset; 0 keeps this total anyway.
            Op::LoadData(k) => a = data.word(k).unwrap_or(0),
            Op::LoadLen(r) => set(r, &mut a, &mut x, SECCOMP_DATA_SIZE),
            Op::LoadImm(r, k) => set(r, &mut a, &mut x, k),
            Op::LoadMem(r, k) => set(r, &mut a, &mut x, mem[slot(k)]),
            Op::Store(Reg::A, k) => mem[slot(k)] = a,
            Op::Store(Reg::X, k) => mem[slot(k)] = x,
            Op::Alu(op, src) => {
                let v = match src {
                    Src::K(k) => k,
                    Src::X => x,
                };
                a = match op {
                    AluOp::Add => a.wrapping_add(v),
                    AluOp::Sub => a.wrapping_sub(v),
                    AluOp::Mul => a.wrapping_mul(v),
                    AluOp::Div => match a.checked_div(v) {
                        Some(q) => q,
                        None => return done(0, executed),
                    },
                    AluOp::Or => a | v,
                    AluOp::And => a & v,
                    AluOp::Lsh => a << (v & 31),
                    AluOp::Rsh => a >> (v & 31),
                    AluOp::Xor => a ^ v,
                };
            }
            Op::Neg => a = a.wrapping_neg(),
            Op::Ja(k) => pc = target(pc - 1, k),
            Op::Jump { op, src, jt, jf } => {
                let v = match src {
                    Src::K(k) => k,
                    Src::X => x,
                };
                let taken = match op {
                    JmpOp::Jeq => a == v,
                    JmpOp::Jgt => a > v,
                    JmpOp::Jge => a >= v,
                    JmpOp::Jset => a & v != 0,
                };
                pc = target(pc - 1, u32::from(if taken { jt } else { jf }));
            }
            Op::Ret(RetVal::K(k)) => return done(k, executed),
            Op::Ret(RetVal::A) => return done(a, executed),
            Op::Tax => x = a,
            Op::Txa => a = x,
        }
    }
}

fn set(r: Reg, a: &mut u32, x: &mut u32, v: u32) {
    match r {
        Reg::A => *a = v,
        Reg::X => *x = v,
    }
}

fn slot(k: u32) -> usize {
    // Checked below BPF_MEMWORDS; the mask keeps indexing total.
    usize::try_from(k % BPF_MEMWORDS).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::code::*;
    use super::super::{
        Insn, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRAP,
    };
    use super::*;

    fn prog(insns: Vec<Insn>) -> Program {
        Program::new(insns).expect("test program is valid")
    }

    fn data(nr: u32, args: [u64; 6]) -> SeccompData {
        SeccompData::new(Arch::X86_64, nr, args)
    }

    /// A program that computes A from `body` and returns it as TRAP data (low 16 bits).
    fn ret_a(body: &[Insn]) -> Program {
        let mut v = body.to_vec();
        v.push(Insn::stmt(BPF_RET | BPF_A, 0));
        prog(v)
    }

    fn a_after(body: &[Insn], d: &SeccompData) -> u32 {
        run(&ret_a(body), d).ret
    }

    #[test]
    fn allow_list_with_arch_check() {
        // The kernel's samples/seccomp style: arch check, then an allow list of read/write.
        let p = prog(vec![
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 4),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, Arch::X86_64.audit_arch(), 1, 0),
            Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
            Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
            Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ]);
        let out = run(&p, &data(1, [0; 6]));
        assert_eq!(out.action, Action::Allow);
        assert_eq!(out.insns_executed, 6);
        let out = run(&p, &data(0, [0; 6]));
        assert_eq!((out.action, out.insns_executed), (Action::Allow, 5));
        assert_eq!(run(&p, &data(2, [0; 6])).action, Action::Errno(1));
        let arm = SeccompData::new(Arch::Aarch64, 0, [0; 6]);
        let out = run(&p, &arm);
        assert_eq!((out.action, out.insns_executed), (Action::KillProcess, 3));
        let (_, path) = run_traced(&p, &data(1, [0; 6]));
        assert_eq!(path, vec![0, 1, 3, 4, 5, 7]);
    }

    #[test]
    fn loads_follow_the_struct_layout() {
        let d = SeccompData {
            nr: 59,
            arch: Arch::X86_64.audit_arch(),
            instruction_pointer: 0x1122_3344_5566_7788,
            args: [
                0x0000_0001_0000_0002,
                0xffff_ffff_0000_0000,
                3,
                4,
                5,
                0xdead_beef_cafe_f00d,
            ],
        };
        let ld = |k| [Insn::stmt(BPF_LD | BPF_W | BPF_ABS, k)];
        assert_eq!(a_after(&ld(0), &d), 59);
        assert_eq!(a_after(&ld(4), &d), 0xc000_003e);
        assert_eq!(a_after(&ld(8), &d), 0x5566_7788);
        assert_eq!(a_after(&ld(12), &d), 0x1122_3344);
        assert_eq!(a_after(&ld(16), &d), 2);
        assert_eq!(a_after(&ld(20), &d), 1);
        assert_eq!(a_after(&ld(24), &d), 0);
        assert_eq!(a_after(&ld(28), &d), 0xffff_ffff);
        assert_eq!(a_after(&ld(56), &d), 0xcafe_f00d);
        assert_eq!(a_after(&ld(60), &d), 0xdead_beef);
        let bytes = d.to_bytes();
        assert_eq!(&bytes[0..4], &59u32.to_le_bytes());
        assert_eq!(&bytes[16..24], &d.args[0].to_le_bytes());
    }

    #[test]
    fn big_endian_arches_put_the_high_word_first() {
        let d = SeccompData::new(Arch::S390x, 1, [0x0000_0007_0000_0009, 0, 0, 0, 0, 0]);
        assert!(!d.is_little_endian());
        assert_eq!(d.word(16), Some(7));
        assert_eq!(d.word(20), Some(9));
        assert_eq!(&d.to_bytes()[16..24], &d.args[0].to_be_bytes());
    }

    #[test]
    fn registers_start_at_zero() {
        let d = data(5, [9; 6]);
        assert_eq!(run(&prog(vec![Insn::stmt(BPF_RET | BPF_A, 0)]), &d).ret, 0);
        assert_eq!(a_after(&[Insn::stmt(BPF_MISC | BPF_TXA, 0)], &d), 0);
    }

    #[test]
    fn alu_wraps_at_32_bits() {
        let d = data(0, [0; 6]);
        let imm = |k| Insn::stmt(BPF_LD | BPF_IMM, k);
        let alu = |op, k| Insn::stmt(BPF_ALU | op | BPF_K, k);
        assert_eq!(a_after(&[imm(u32::MAX), alu(BPF_ADD, 2)], &d), 1);
        assert_eq!(a_after(&[imm(1), alu(BPF_SUB, 2)], &d), u32::MAX);
        assert_eq!(
            a_after(&[imm(0x8000_0001), alu(BPF_MUL, 4)], &d),
            4,
            "mul keeps the low 32 bits"
        );
        assert_eq!(a_after(&[imm(7), alu(BPF_DIV, 2)], &d), 3);
        assert_eq!(a_after(&[imm(0xf0), alu(BPF_OR, 0x0f)], &d), 0xff);
        assert_eq!(a_after(&[imm(0xf0), alu(BPF_AND, 0x3c)], &d), 0x30);
        assert_eq!(a_after(&[imm(0xf0), alu(BPF_XOR, 0xff)], &d), 0x0f);
        assert_eq!(a_after(&[imm(1), alu(BPF_LSH, 31)], &d), 0x8000_0000);
        assert_eq!(a_after(&[imm(0x8000_0000), alu(BPF_RSH, 31)], &d), 1);
        assert_eq!(
            a_after(&[imm(1), Insn::stmt(BPF_ALU | BPF_NEG, 0)], &d),
            u32::MAX
        );
    }

    #[test]
    fn shifts_by_x_use_the_low_five_bits() {
        let d = data(0, [0; 6]);
        let body = |op, x| {
            [
                Insn::stmt(BPF_LDX | BPF_IMM, x),
                Insn::stmt(BPF_LD | BPF_IMM, 0x10),
                Insn::stmt(BPF_ALU | op | BPF_X, 0),
            ]
        };
        assert_eq!(a_after(&body(BPF_LSH, 33), &d), 0x20);
        assert_eq!(a_after(&body(BPF_RSH, 36), &d), 0x1);
        assert_eq!(a_after(&body(BPF_LSH, 32), &d), 0x10);
    }

    #[test]
    fn division_by_x_zero_returns_zero() {
        let p = prog(vec![
            Insn::stmt(BPF_LD | BPF_IMM, 10),
            Insn::stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
            Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ]);
        let out = run(&p, &data(0, [0; 6]));
        assert_eq!(out.ret, 0);
        assert_eq!(out.action, Action::KillThread);
        assert_eq!(out.insns_executed, 2);
    }

    #[test]
    fn scratch_memory_and_register_moves() {
        let d = data(0, [0x1234, 0, 0, 0, 0, 0]);
        let body = [
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            Insn::stmt(BPF_ST, 15),
            Insn::stmt(BPF_MISC | BPF_TAX, 0),
            Insn::stmt(BPF_LD | BPF_IMM, 1),
            Insn::stmt(BPF_STX, 0),
            Insn::stmt(BPF_LDX | BPF_MEM, 15),
            Insn::stmt(BPF_ALU | BPF_ADD | BPF_X, 0),
            Insn::stmt(BPF_LDX | BPF_W | BPF_LEN, 0),
            Insn::stmt(BPF_ALU | BPF_ADD | BPF_X, 0),
        ];
        assert_eq!(a_after(&body, &d), 1 + 0x1234 + 64);
        assert_eq!(a_after(&[Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0)], &d), 64);
    }

    #[test]
    fn conditional_jumps_compare_unsigned() {
        let check = |code: u16, k: u32, a: u32| {
            let p = prog(vec![
                Insn::stmt(BPF_LD | BPF_IMM, a),
                Insn::stmt(BPF_LDX | BPF_IMM, k),
                Insn::jump(BPF_JMP | code, k, 1, 0),
                Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
                Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            ]);
            run(&p, &data(0, [0; 6])).action == Action::Allow
        };
        for src in [BPF_K, BPF_X] {
            assert!(check(BPF_JEQ | src, 5, 5));
            assert!(!check(BPF_JEQ | src, 5, 6));
            assert!(check(BPF_JGT | src, 5, 0xffff_ffff), "unsigned");
            assert!(!check(BPF_JGT | src, 5, 5));
            assert!(check(BPF_JGE | src, 5, 5));
            assert!(!check(BPF_JGE | src, 5, 4));
            assert!(check(BPF_JSET | src, 0x10, 0x30));
            assert!(!check(BPF_JSET | src, 0x10, 0x20));
        }
        let ja = prog(vec![
            Insn::stmt(BPF_JMP | BPF_JA, 1),
            Insn::stmt(BPF_RET | BPF_K, 0),
            Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ]);
        assert_eq!(run(&ja, &data(0, [0; 6])).action, Action::Allow);
    }

    #[test]
    fn negative_syscall_numbers_load_as_32_bits() {
        let d = SeccompData {
            nr: -1,
            ..data(0, [0; 6])
        };
        assert_eq!(d.word(0), Some(0xffff_ffff));
        assert_eq!(SeccompData::new(Arch::X86_64, u32::MAX, [0; 6]).nr, -1);
        let p = ret_a(&[Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0)]);
        assert_eq!(
            simulate(&p, Arch::X86_64, 0x4000_0001, [0; 6]).ret,
            0x4000_0001
        );
    }

    #[test]
    fn unknown_return_values_kill_the_process() {
        let p = prog(vec![Insn::stmt(BPF_RET | BPF_K, 0x0001_0000)]);
        let out = run(&p, &data(0, [0; 6]));
        assert_eq!(out.ret, 0x0001_0000);
        assert_eq!(out.action, Action::KillProcess);
    }
}
