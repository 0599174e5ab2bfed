//! `struct sock_filter` instructions and the checks the kernel makes before it installs them.

use super::code::*;
use super::{BPF_MAXINSNS, BPF_MEMWORDS, SECCOMP_DATA_SIZE};

/// One classic BPF instruction: the kernel's `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Insn {
    pub code: u16,
    /// Jump offset if the condition holds (relative to the next instruction).
    pub jt: u8,
    /// Jump offset if it does not.
    pub jf: u8,
    pub k: u32,
}

impl Insn {
    /// Size of one instruction in a filter file.
    pub const SIZE: usize = 8;

    /// `BPF_STMT(code, k)`.
    #[must_use]
    pub const fn stmt(code: u16, k: u32) -> Insn {
        Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// `BPF_JUMP(code, k, jt, jf)`.
    #[must_use]
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn { code, jt, jf, k }
    }

    /// The 8 bytes `seccomp_export_bpf` writes on a little-endian machine.
    #[must_use]
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0..2].copy_from_slice(&self.code.to_le_bytes());
        b[2] = self.jt;
        b[3] = self.jf;
        b[4..8].copy_from_slice(&self.k.to_le_bytes());
        b
    }

    /// Reads one instruction written by [`Insn::to_bytes`].
    #[must_use]
    pub fn from_bytes(b: [u8; 8]) -> Insn {
        Insn {
            code: u16::from_le_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// The decoded instruction, if `code` is one that seccomp allows.
    #[must_use]
    pub fn op(self) -> Option<Op> {
        Op::decode(self)
    }
}

/// A register of the BPF machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reg {
    /// The accumulator.
    A,
    /// The index register.
    X,
}

/// The second operand of an ALU op or a conditional jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Src {
    K(u32),
    X,
}

/// ALU operations seccomp allows. `BPF_MOD` is not one: `seccomp_check_filter` never listed
/// it (a patch to add it was declined as redundant in 2020).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AluOp {
    Add,
    Sub,
    Mul,
    Div,
    Or,
    And,
    Lsh,
    Rsh,
    Xor,
}

/// Conditional jumps; all compare unsigned 32-bit values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JmpOp {
    Jeq,
    Jgt,
    Jge,
    Jset,
}

/// What a `BPF_RET` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetVal {
    K(u32),
    A,
}

/// A decoded instruction of the seccomp subset of classic BPF (`seccomp_check_filter`'s list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `A = *(u32 *)(seccomp_data + k)` (`BPF_LD|BPF_W|BPF_ABS`).
    LoadData(u32),
    /// `reg = sizeof(struct seccomp_data)` (`BPF_LD|BPF_W|BPF_LEN`, `BPF_LDX|BPF_W|BPF_LEN`).
    LoadLen(Reg),
    /// `reg = k` (`BPF_LD|BPF_IMM`, `BPF_LDX|BPF_IMM`).
    LoadImm(Reg, u32),
    /// `reg = M[k]` (`BPF_LD|BPF_MEM`, `BPF_LDX|BPF_MEM`).
    LoadMem(Reg, u32),
    /// `M[k] = reg` (`BPF_ST`, `BPF_STX`).
    Store(Reg, u32),
    /// `A = A op src` (`BPF_ALU|op|BPF_K`, `BPF_ALU|op|BPF_X`).
    Alu(AluOp, Src),
    /// `A = -A` (`BPF_ALU|BPF_NEG`).
    Neg,
    /// `pc += k` (`BPF_JMP|BPF_JA`).
    Ja(u32),
    /// `pc += (A op src) ? jt : jf`.
    Jump { op: JmpOp, src: Src, jt: u8, jf: u8 },
    /// `BPF_RET|BPF_K`, `BPF_RET|BPF_A`.
    Ret(RetVal),
    /// `X = A` (`BPF_MISC|BPF_TAX`).
    Tax,
    /// `A = X` (`BPF_MISC|BPF_TXA`).
    Txa,
}

impl Op {
    /// Decodes `insn` if its opcode is on seccomp's list. Only the exact opcodes count, as in
    /// the kernel's `switch (code)`: stray bits (`BPF_LD|BPF_H|BPF_IMM`) are rejected.
    #[must_use]
    pub fn decode(insn: Insn) -> Option<Op> {
        let k = insn.k;
        let alu = |op| {
            if insn.code & BPF_X == 0 {
                Op::Alu(op, Src::K(k))
            } else {
                Op::Alu(op, Src::X)
            }
        };
        let jump = |op| Op::Jump {
            op,
            src: if insn.code & BPF_X == 0 {
                Src::K(k)
            } else {
                Src::X
            },
            jt: insn.jt,
            jf: insn.jf,
        };
        const LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
        const LD_W_LEN: u16 = BPF_LD | BPF_W | BPF_LEN;
        const LDX_W_LEN: u16 = BPF_LDX | BPF_W | BPF_LEN;
        const LD_IMM: u16 = BPF_LD | BPF_IMM;
        const LDX_IMM: u16 = BPF_LDX | BPF_IMM;
        const LD_MEM: u16 = BPF_LD | BPF_MEM;
        const LDX_MEM: u16 = BPF_LDX | BPF_MEM;
        const RET_K: u16 = BPF_RET | BPF_K;
        const RET_A: u16 = BPF_RET | BPF_A;
        const TAX: u16 = BPF_MISC | BPF_TAX;
        const TXA: u16 = BPF_MISC | BPF_TXA;
        const NEG: u16 = BPF_ALU | BPF_NEG;
        const JA: u16 = BPF_JMP | BPF_JA;
        Some(match insn.code {
            LD_W_ABS => Op::LoadData(k),
            LD_W_LEN => Op::LoadLen(Reg::A),
            LDX_W_LEN => Op::LoadLen(Reg::X),
            LD_IMM => Op::LoadImm(Reg::A, k),
            LDX_IMM => Op::LoadImm(Reg::X, k),
            LD_MEM => Op::LoadMem(Reg::A, k),
            LDX_MEM => Op::LoadMem(Reg::X, k),
            BPF_ST => Op::Store(Reg::A, k),
            BPF_STX => Op::Store(Reg::X, k),
            RET_K => Op::Ret(RetVal::K(k)),
            RET_A => Op::Ret(RetVal::A),
            TAX => Op::Tax,
            TXA => Op::Txa,
            NEG => Op::Neg,
            JA => Op::Ja(k),
            c if c & !(BPF_X | 0xf0) == BPF_ALU => match c & 0xf0 {
                BPF_ADD => alu(AluOp::Add),
                BPF_SUB => alu(AluOp::Sub),
                BPF_MUL => alu(AluOp::Mul),
                BPF_DIV => alu(AluOp::Div),
                BPF_OR => alu(AluOp::Or),
                BPF_AND => alu(AluOp::And),
                BPF_LSH => alu(AluOp::Lsh),
                BPF_RSH => alu(AluOp::Rsh),
                BPF_XOR => alu(AluOp::Xor),
                _ => return None,
            },
            c if c & !(BPF_X | 0xf0) == BPF_JMP => match c & 0xf0 {
                BPF_JEQ => jump(JmpOp::Jeq),
                BPF_JGT => jump(JmpOp::Jgt),
                BPF_JGE => jump(JmpOp::Jge),
                BPF_JSET => jump(JmpOp::Jset),
                _ => return None,
            },
            _ => return None,
        })
    }
}

/// Why a byte string or instruction list is not a program the kernel would install.
///
/// Each variant is a check of `bpf_check_classic` (net/core/filter.c) or `seccomp_check_filter`
/// (kernel/seccomp.c); the kernel answers all of them with `EINVAL`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    #[error("a seccomp filter of {len} bytes is not a whole number of 8-byte instructions")]
    PartialInstruction { len: usize },
    #[error("a seccomp filter needs at least one instruction")]
    Empty,
    #[error("a seccomp filter has at most {max} instructions, this one has {len}", max = BPF_MAXINSNS)]
    TooLong { len: usize },
    #[error("instruction {index}: opcode {code:#06x} ({}) is not allowed in a seccomp filter", mnemonic(*code))]
    UnsupportedOpcode { index: usize, code: u16 },
    #[error("instruction {index}: load from offset {offset} of seccomp_data (must be a multiple of 4 below 64)")]
    BadDataOffset { index: usize, offset: u32 },
    #[error("instruction {index}: scratch slot {slot} does not exist (there are 16)")]
    BadScratchSlot { index: usize, slot: u32 },
    #[error("instruction {index}: shift by the constant {amount} (must be below 32)")]
    ShiftTooLarge { index: usize, amount: u32 },
    #[error("instruction {index}: division by the constant 0")]
    DivisionByZero { index: usize },
    #[error("instruction {index}: jump to {target} is past the last instruction ({last})")]
    JumpOutOfRange {
        index: usize,
        target: u64,
        last: usize,
    },
    #[error("instruction {index}: the last instruction must be a return")]
    NoFinalReturn { index: usize },
    #[error(
        "instruction {index}: reads scratch slot {slot}, which is not written on every path to it"
    )]
    UninitializedScratch { index: usize, slot: u32 },
}

/// A short name for an opcode, for messages; `?` for codes classic BPF does not define.
fn mnemonic(code: u16) -> &'static str {
    if code > 0xff {
        return "?";
    }
    let mode = code & 0xe0;
    let size = code & 0x18;
    match code & 0x07 {
        BPF_LD | BPF_LDX => {
            let x = code & 0x07 == BPF_LDX;
            match (x, mode, size) {
                (false, BPF_ABS, BPF_W) => "ld w abs",
                (false, BPF_ABS, BPF_H) => "ld h abs",
                (false, BPF_ABS, BPF_B) => "ld b abs",
                (false, BPF_IND, _) => "ld ind",
                (_, BPF_IMM, _) => "ld imm with a size",
                (_, BPF_MEM, _) => "ld mem with a size",
                (_, BPF_LEN, _) => "ld len with a size",
                (true, BPF_ABS, _) => "ldx abs",
                (true, BPF_IND, _) => "ldx ind",
                (true, BPF_MSH, BPF_B) => "ldx msh",
                _ => "?",
            }
        }
        BPF_ALU => match code & 0xf0 {
            BPF_MOD => "alu mod",
            BPF_NEG => "alu neg with a source",
            _ => "?",
        },
        BPF_JMP => "jmp",
        BPF_RET => "ret",
        BPF_MISC => "misc",
        _ => "?",
    }
}

/// A classic BPF program that the kernel would install as a seccomp filter.
///
/// Built by [`Program::new`] or [`Program::from_bytes`], which make the checks of
/// `bpf_check_classic` and `seccomp_check_filter`: 1 to 4096 instructions, only seccomp's
/// opcodes, 4-aligned loads inside `seccomp_data`, scratch slots below 16 and written before
/// read, constant shifts below 32, no division by the constant 0, jumps inside the program,
/// and a return as the last instruction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Program {
    insns: Vec<Insn>,
    ops: Vec<Op>,
}

impl Program {
    /// Checks `insns` as the kernel does when the filter is installed.
    ///
    /// # Errors
    ///
    /// The first check that fails, with the index of the instruction.
    pub fn new(insns: Vec<Insn>) -> Result<Program, ProgramError> {
        let ops = check(&insns)?;
        Ok(Program { insns, ops })
    }

    /// Parses and checks a filter file: `struct sock_filter` records of 8 bytes, little-endian
    /// (what `seccomp_export_bpf` writes on x86_64, aarch64, riscv64 and ppc64le).
    ///
    /// # Errors
    ///
    /// [`ProgramError::PartialInstruction`] if the length is not a multiple of 8, then the
    /// checks of [`Program::new`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Program, ProgramError> {
        let chunks = bytes.chunks_exact(Insn::SIZE);
        if !chunks.remainder().is_empty() {
            return Err(ProgramError::PartialInstruction { len: bytes.len() });
        }
        let insns = chunks
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                Insn::from_bytes(b)
            })
            .collect();
        Program::new(insns)
    }

    /// The filter file: 8 little-endian bytes per instruction.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.insns.iter().flat_map(|i| i.to_bytes()).collect()
    }

    /// The instructions.
    #[must_use]
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// The decoded instructions, one per entry of [`Program::insns`].
    #[must_use]
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The instructions, giving up the checked wrapper.
    #[must_use]
    pub fn into_insns(self) -> Vec<Insn> {
        self.insns
    }
}

impl TryFrom<Vec<Insn>> for Program {
    type Error = ProgramError;

    fn try_from(insns: Vec<Insn>) -> Result<Self, Self::Error> {
        Program::new(insns)
    }
}

fn check(insns: &[Insn]) -> Result<Vec<Op>, ProgramError> {
    let len = insns.len();
    if len == 0 {
        return Err(ProgramError::Empty);
    }
    if len > BPF_MAXINSNS {
        return Err(ProgramError::TooLong { len });
    }
    let mut ops = Vec::with_capacity(len);
    for (index, insn) in insns.iter().enumerate() {
        let op = Op::decode(*insn).ok_or(ProgramError::UnsupportedOpcode {
            index,
            code: insn.code,
        })?;
        // Offsets are relative to the next instruction; the target must be an instruction.
        let jump_ok = |off: u64| {
            let target = index as u64 + 1 + off;
            if target < len as u64 {
                Ok(())
            } else {
                Err(ProgramError::JumpOutOfRange {
                    index,
                    target,
                    last: len - 1,
                })
            }
        };
        match op {
            Op::LoadData(offset) if offset >= SECCOMP_DATA_SIZE || offset % 4 != 0 => {
                return Err(ProgramError::BadDataOffset { index, offset });
            }
            Op::LoadMem(_, slot) | Op::Store(_, slot) if slot >= BPF_MEMWORDS => {
                return Err(ProgramError::BadScratchSlot { index, slot });
            }
            Op::Alu(AluOp::Lsh | AluOp::Rsh, Src::K(amount)) if amount >= 32 => {
                return Err(ProgramError::ShiftTooLarge { index, amount });
            }
            Op::Alu(AluOp::Div, Src::K(0)) => return Err(ProgramError::DivisionByZero { index }),
            Op::Ja(k) => jump_ok(u64::from(k))?,
            Op::Jump { jt, jf, .. } => {
                jump_ok(u64::from(jt))?;
                jump_ok(u64::from(jf))?;
            }
            _ => {}
        }
        ops.push(op);
    }
    if !matches!(ops[len - 1], Op::Ret(_)) {
        return Err(ProgramError::NoFinalReturn { index: len - 1 });
    }
    check_scratch(&ops)?;
    Ok(ops)
}

/// The kernel's `check_load_and_stores`: a slot may be read only if every path to the read
/// stored it. Done as the kernel does it, in one pass in index order, with one quirk kept on
/// purpose: a return does not reset the set of written slots, so the instruction after a return
/// (reachable only by a jump) also needs the slots written on the path to that return. The
/// kernel rejects some correct programs this way, and so must we.
fn check_scratch(ops: &[Op]) -> Result<(), ProgramError> {
    let mut masks = vec![u16::MAX; ops.len()];
    let mut valid: u16 = 0;
    for (pc, op) in ops.iter().enumerate() {
        valid &= masks[pc];
        match *op {
            Op::Store(_, slot) => valid |= 1 << slot,
            Op::LoadMem(_, slot) if valid & (1 << slot) == 0 => {
                return Err(ProgramError::UninitializedScratch { index: pc, slot });
            }
            Op::Ja(k) => {
                masks[target(pc, k)] &= valid;
                valid = u16::MAX;
            }
            Op::Jump { jt, jf, .. } => {
                masks[target(pc, u32::from(jt))] &= valid;
                masks[target(pc, u32::from(jf))] &= valid;
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The index a jump at `pc` with offset `off` lands on (checked to be in range before use).
pub(crate) fn target(pc: usize, off: u32) -> usize {
    // A u32 always fits in usize on the 32- and 64-bit targets rpod supports.
    pc + 1 + usize::try_from(off).unwrap_or(usize::MAX - pc - 1)
}

#[cfg(test)]
mod tests {
    use super::super::SECCOMP_RET_ALLOW;
    use super::*;

    const RET_ALLOW: Insn = Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

    fn err(insns: Vec<Insn>) -> ProgramError {
        Program::new(insns).expect_err("program should be rejected")
    }

    #[test]
    fn bytes_round_trip() {
        let insns = vec![
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 4),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0xc000_003e, 1, 0),
            Insn::stmt(BPF_RET | BPF_K, 0),
            RET_ALLOW,
        ];
        let prog = Program::new(insns.clone()).unwrap();
        let bytes = prog.to_bytes();
        assert_eq!(bytes.len(), 32);
        assert_eq!(&bytes[8..16], &[0x15, 0, 1, 0, 0x3e, 0, 0, 0xc0]);
        let back = Program::from_bytes(&bytes).unwrap();
        assert_eq!(back.insns(), insns.as_slice());
    }

    #[test]
    fn rejects_bad_lengths() {
        assert_eq!(
            Program::from_bytes(&[0; 12]).unwrap_err(),
            ProgramError::PartialInstruction { len: 12 }
        );
        assert_eq!(Program::from_bytes(&[]).unwrap_err(), ProgramError::Empty);
        let long = vec![RET_ALLOW; BPF_MAXINSNS + 1];
        assert_eq!(err(long), ProgramError::TooLong { len: 4097 });
        assert!(Program::new(vec![RET_ALLOW; BPF_MAXINSNS]).is_ok());
    }

    #[test]
    fn rejects_opcodes_seccomp_does_not_allow() {
        for code in [
            BPF_ALU | BPF_MOD | BPF_K,
            BPF_ALU | BPF_MOD | BPF_X,
            BPF_LD | BPF_H | BPF_ABS,
            BPF_LD | BPF_B | BPF_ABS,
            BPF_LD | BPF_W | BPF_IND,
            BPF_LDX | BPF_B | BPF_MSH,
            BPF_LDX | BPF_W | BPF_ABS,
            BPF_RET | BPF_X,
            BPF_ALU | BPF_NEG | BPF_X,
            BPF_JMP | BPF_JA | BPF_X,
            BPF_LD | BPF_H | BPF_IMM,
            BPF_MISC | 0x08,
            0x100 | BPF_RET,
        ] {
            let e = err(vec![Insn::stmt(code, 1), RET_ALLOW]);
            assert_eq!(
                e,
                ProgramError::UnsupportedOpcode { index: 0, code },
                "{code:#x}"
            );
        }
        let msg = err(vec![Insn::stmt(BPF_ALU | BPF_MOD | BPF_K, 3), RET_ALLOW]).to_string();
        assert_eq!(
            msg,
            "instruction 0: opcode 0x0094 (alu mod) is not allowed in a seccomp filter"
        );
    }

    #[test]
    fn checks_operands() {
        let ld = |k| Insn::stmt(BPF_LD | BPF_W | BPF_ABS, k);
        assert_eq!(
            err(vec![ld(2), RET_ALLOW]),
            ProgramError::BadDataOffset {
                index: 0,
                offset: 2
            }
        );
        assert_eq!(
            err(vec![ld(64), RET_ALLOW]),
            ProgramError::BadDataOffset {
                index: 0,
                offset: 64
            }
        );
        assert!(Program::new(vec![ld(60), RET_ALLOW]).is_ok());
        assert_eq!(
            err(vec![Insn::stmt(BPF_ST, 16), RET_ALLOW]),
            ProgramError::BadScratchSlot { index: 0, slot: 16 }
        );
        assert_eq!(
            err(vec![Insn::stmt(BPF_ALU | BPF_LSH | BPF_K, 32), RET_ALLOW]),
            ProgramError::ShiftTooLarge {
                index: 0,
                amount: 32
            }
        );
        assert_eq!(
            err(vec![Insn::stmt(BPF_ALU | BPF_DIV | BPF_K, 0), RET_ALLOW]),
            ProgramError::DivisionByZero { index: 0 }
        );
        // Division by X = 0 is a run-time matter.
        assert!(Program::new(vec![Insn::stmt(BPF_ALU | BPF_DIV | BPF_X, 0), RET_ALLOW]).is_ok());
    }

    #[test]
    fn checks_jumps() {
        let jeq = |jt, jf| Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, jt, jf);
        assert!(Program::new(vec![jeq(1, 0), RET_ALLOW, RET_ALLOW]).is_ok());
        assert_eq!(
            err(vec![jeq(2, 0), RET_ALLOW, RET_ALLOW]),
            ProgramError::JumpOutOfRange {
                index: 0,
                target: 3,
                last: 2
            }
        );
        assert!(matches!(
            err(vec![jeq(0, 2), RET_ALLOW, RET_ALLOW]),
            ProgramError::JumpOutOfRange { index: 0, .. }
        ));
        let ja = |k| Insn::stmt(BPF_JMP | BPF_JA, k);
        assert!(Program::new(vec![ja(1), RET_ALLOW, RET_ALLOW]).is_ok());
        assert_eq!(
            err(vec![ja(u32::MAX), RET_ALLOW]),
            ProgramError::JumpOutOfRange {
                index: 0,
                target: 1 + u64::from(u32::MAX),
                last: 1
            }
        );
    }

    #[test]
    fn needs_a_final_return() {
        assert_eq!(
            err(vec![RET_ALLOW, Insn::stmt(BPF_LD | BPF_IMM, 0)]),
            ProgramError::NoFinalReturn { index: 1 }
        );
        assert!(Program::new(vec![Insn::stmt(BPF_RET | BPF_A, 0)]).is_ok());
    }

    #[test]
    fn scratch_slots_must_be_written_on_every_path() {
        let st = Insn::stmt(BPF_ST, 3);
        let ld = Insn::stmt(BPF_LD | BPF_MEM, 3);
        let ret_a = Insn::stmt(BPF_RET | BPF_A, 0);
        assert!(Program::new(vec![st, ld, ret_a]).is_ok());
        assert_eq!(
            err(vec![ld, ret_a]),
            ProgramError::UninitializedScratch { index: 0, slot: 3 }
        );
        // Stored on the fall-through path only.
        let jeq = Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
        assert_eq!(
            err(vec![jeq, st, ld, ret_a]),
            ProgramError::UninitializedScratch { index: 2, slot: 3 }
        );
        // Stored before the branch: fine on both paths.
        assert!(Program::new(vec![st, jeq, ld, ld, ret_a]).is_ok());
    }

    #[test]
    fn scratch_check_keeps_the_kernels_return_quirk() {
        // 0: if (A == 0) goto 1 else goto 3; 1: M[0] = A; 2: goto 4; 3: return ALLOW;
        // 4: A = M[0]; 5: return A. The only path to 4 writes M[0], but the kernel carries
        // what was written on the path to the return at 3 (nothing) into 4 and rejects it.
        let prog = vec![
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
            Insn::stmt(BPF_ST, 0),
            Insn::stmt(BPF_JMP | BPF_JA, 1),
            RET_ALLOW,
            Insn::stmt(BPF_LD | BPF_MEM, 0),
            Insn::stmt(BPF_RET | BPF_A, 0),
        ];
        assert_eq!(
            err(prog),
            ProgramError::UninitializedScratch { index: 4, slot: 0 }
        );
    }

    #[test]
    fn decodes_every_allowed_opcode() {
        let allowed: &[u16] = &[
            0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x14, 0x15, 0x16, 0x1c, 0x1d,
            0x20, 0x24, 0x25, 0x2c, 0x2d, 0x34, 0x35, 0x3c, 0x3d, 0x44, 0x45, 0x4c, 0x4d, 0x54,
            0x5c, 0x60, 0x61, 0x64, 0x6c, 0x74, 0x7c, 0x80, 0x81, 0x84, 0x87, 0xa4, 0xac,
        ];
        for code in 0..=0xffff_u16 {
            let ok = Op::decode(Insn::stmt(code, 0)).is_some();
            assert_eq!(ok, allowed.contains(&code), "{code:#x}");
        }
    }
}
