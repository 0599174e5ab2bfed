//! Classic BPF as seccomp runs it: the program type, an emulator and a disassembler.
//!
//! A seccomp filter is a classic BPF program (`struct sock_filter[]`, at most
//! [`BPF_MAXINSNS`] instructions) that reads the 64-byte `struct seccomp_data` of one syscall
//! and returns a 32-bit value: the upper 16 bits pick the action
//! ([`SECCOMP_RET_ACTION_FULL`]), the lower 16 bits carry its data ([`SECCOMP_RET_DATA`]), e.g.
//! the errno of `SECCOMP_RET_ERRNO`. Jumps only go forward, so every program ends.
//!
//! - [`Program`] is a sequence of [`Insn`]s that passed the checks the kernel makes when the
//!   filter is installed (`bpf_check_classic` and `seccomp_check_filter`); what it rejects, the
//!   kernel rejects with `EINVAL`, and the other way round.
//! - [`emulator::run`] runs a program on a [`SeccompData`] the way the kernel does and returns
//!   the raw value and the decoded [`Action`].
//! - [`disasm::disasm`] prints a program one line per instruction, with syscall and
//!   architecture names, in the style of `seccomp-tools disasm`.
//!
//! ```
//! use profiles::bpf::{self, code::*, Action, Insn, Program};
//! use profiles::Arch;
//!
//! // Everything but syscall 83 (mkdir on x86_64) is allowed; mkdir fails with EPERM.
//! let prog = Program::new(vec![
//!     Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0),
//!     Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 83, 0, 1),
//!     Insn::stmt(BPF_RET | BPF_K, bpf::SECCOMP_RET_ERRNO | 1),
//!     Insn::stmt(BPF_RET | BPF_K, bpf::SECCOMP_RET_ALLOW),
//! ])?;
//! // The bytes `seccomp_export_bpf` writes, and that `seccomp(2)` takes.
//! assert_eq!(Program::from_bytes(&prog.to_bytes())?, prog);
//! assert_eq!(bpf::simulate(&prog, Arch::X86_64, 83, [0; 6]).action, Action::Errno(1));
//! assert_eq!(bpf::simulate(&prog, Arch::X86_64, 0, [0; 6]).action, Action::Allow);
//! assert!(bpf::disasm::disasm(&prog).starts_with(" 0000: A = sys_number\n"));
//! # Ok::<(), bpf::ProgramError>(())
//! ```

pub mod disasm;
pub mod emulator;
mod program;

use std::fmt;

pub use emulator::{simulate, Outcome, SeccompData};
pub use program::{AluOp, Insn, JmpOp, Op, Program, ProgramError, Reg, RetVal, Src};

/// `BPF_MAXINSNS` from `include/uapi/linux/bpf_common.h`: the longest program the kernel takes.
pub const BPF_MAXINSNS: usize = 4096;
/// `BPF_MEMWORDS` from `include/uapi/linux/filter.h`: the number of scratch slots `M[0..16]`.
pub const BPF_MEMWORDS: u32 = 16;
/// `sizeof(struct seccomp_data)`: what `BPF_LD|BPF_W|BPF_LEN` loads.
pub const SECCOMP_DATA_SIZE: u32 = 64;

/// Opcode parts of `struct sock_filter.code`, named as in `include/uapi/linux/bpf_common.h` and
/// `filter.h`. An opcode is `class | size | mode` for loads, `class | op | src` for ALU and jumps.
pub mod code {
    // Instruction classes.
    pub const BPF_LD: u16 = 0x00;
    pub const BPF_LDX: u16 = 0x01;
    pub const BPF_ST: u16 = 0x02;
    pub const BPF_STX: u16 = 0x03;
    pub const BPF_ALU: u16 = 0x04;
    pub const BPF_JMP: u16 = 0x05;
    pub const BPF_RET: u16 = 0x06;
    pub const BPF_MISC: u16 = 0x07;

    // Load sizes.
    pub const BPF_W: u16 = 0x00;
    pub const BPF_H: u16 = 0x08;
    pub const BPF_B: u16 = 0x10;

    // Load modes.
    pub const BPF_IMM: u16 = 0x00;
    pub const BPF_ABS: u16 = 0x20;
    pub const BPF_IND: u16 = 0x40;
    pub const BPF_MEM: u16 = 0x60;
    pub const BPF_LEN: u16 = 0x80;
    pub const BPF_MSH: u16 = 0xa0;

    // ALU operations.
    pub const BPF_ADD: u16 = 0x00;
    pub const BPF_SUB: u16 = 0x10;
    pub const BPF_MUL: u16 = 0x20;
    pub const BPF_DIV: u16 = 0x30;
    pub const BPF_OR: u16 = 0x40;
    pub const BPF_AND: u16 = 0x50;
    pub const BPF_LSH: u16 = 0x60;
    pub const BPF_RSH: u16 = 0x70;
    pub const BPF_NEG: u16 = 0x80;
    pub const BPF_MOD: u16 = 0x90;
    pub const BPF_XOR: u16 = 0xa0;

    // Jump operations.
    pub const BPF_JA: u16 = 0x00;
    pub const BPF_JEQ: u16 = 0x10;
    pub const BPF_JGT: u16 = 0x20;
    pub const BPF_JGE: u16 = 0x30;
    pub const BPF_JSET: u16 = 0x40;

    // Operand source: the constant `k` or the index register X.
    pub const BPF_K: u16 = 0x00;
    pub const BPF_X: u16 = 0x08;
    /// `BPF_RET | BPF_A` returns the accumulator.
    pub const BPF_A: u16 = 0x10;

    // BPF_MISC operations.
    pub const BPF_TAX: u16 = 0x00;
    pub const BPF_TXA: u16 = 0x80;
}

// SECCOMP_RET_* from include/uapi/linux/seccomp.h.
pub const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const SECCOMP_RET_KILL_THREAD: u32 = 0x0000_0000;
pub const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
pub const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
pub const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
pub const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
pub const SECCOMP_RET_LOG: u32 = 0x7ffc_0000;
pub const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
/// The action part of a return value (includes the sign bit that KILL_PROCESS uses).
pub const SECCOMP_RET_ACTION_FULL: u32 = 0xffff_0000;
/// The data part of a return value (errno, trap or trace data).
pub const SECCOMP_RET_DATA: u32 = 0x0000_ffff;

/// What the kernel does with a filter's return value.
///
/// Decoded as `__seccomp_filter` does: the action is `ret & SECCOMP_RET_ACTION_FULL`, the data
/// `ret & SECCOMP_RET_DATA`. An action value the kernel does not know kills the process
/// (`default:` in `__seccomp_filter`; seccomp(2): "treated as SECCOMP_RET_KILL_PROCESS" since
/// Linux 4.14), so it decodes to [`Action::KillProcess`]; [`Action::known`] tells the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    KillProcess,
    KillThread,
    /// SIGSYS with the data in `si_errno`.
    Trap(u16),
    /// The syscall fails with this errno; the kernel caps it at `MAX_ERRNO` (4095), and 0 makes
    /// the syscall return 0 without running.
    Errno(u16),
    /// `SECCOMP_RET_USER_NOTIF`: ask the supervisor holding the listener fd.
    UserNotif,
    /// Tell a ptrace tracer (`PTRACE_EVENT_SECCOMP` with this data); ENOSYS without one.
    Trace(u16),
    Log,
    Allow,
}

impl Action {
    /// The action the kernel takes for return value `ret` (unknown actions kill the process).
    #[must_use]
    pub fn from_ret(ret: u32) -> Action {
        Action::known(ret).unwrap_or(Action::KillProcess)
    }

    /// The action for `ret` if its action bits are one the kernel defines.
    #[must_use]
    pub fn known(ret: u32) -> Option<Action> {
        let data = data_of(ret);
        Some(match ret & SECCOMP_RET_ACTION_FULL {
            SECCOMP_RET_KILL_PROCESS => Action::KillProcess,
            SECCOMP_RET_KILL_THREAD => Action::KillThread,
            SECCOMP_RET_TRAP => Action::Trap(data),
            SECCOMP_RET_ERRNO => Action::Errno(data),
            SECCOMP_RET_USER_NOTIF => Action::UserNotif,
            SECCOMP_RET_TRACE => Action::Trace(data),
            SECCOMP_RET_LOG => Action::Log,
            SECCOMP_RET_ALLOW => Action::Allow,
            _ => return None,
        })
    }

    /// The canonical return value for this action (data bits zero where the action has none).
    #[must_use]
    pub fn to_ret(self) -> u32 {
        match self {
            Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
            Action::KillThread => SECCOMP_RET_KILL_THREAD,
            Action::Trap(d) => SECCOMP_RET_TRAP | u32::from(d),
            Action::Errno(d) => SECCOMP_RET_ERRNO | u32::from(d),
            Action::UserNotif => SECCOMP_RET_USER_NOTIF,
            Action::Trace(d) => SECCOMP_RET_TRACE | u32::from(d),
            Action::Log => SECCOMP_RET_LOG,
            Action::Allow => SECCOMP_RET_ALLOW,
        }
    }
}

/// Orderings of actions. There is one notion of *strictness*, the kernel's; two outputs list
/// actions in orders of their own, kept apart under their own names because their golden files
/// depend on them (they differ from strictness, and from each other, in where NOTIFY, TRACE,
/// ERRNO and TRAP go).
impl Action {
    /// How strict the action is: KILL_PROCESS 7 > KILL_THREAD 6 > TRAP 5 > ERRNO 4 > NOTIFY 3 >
    /// TRACE 2 > LOG 1 > ALLOW 0, the precedence seccomp(2) gives the actions when several
    /// filters return ("the return value ... will always use the highest precedence value").
    /// The data (errno, trap or trace value) does not count. `merge` resolves conflicts with it.
    #[must_use]
    pub const fn strictness(self) -> u8 {
        match self {
            Action::KillProcess => 7,
            Action::KillThread => 6,
            Action::Trap(_) => 5,
            Action::Errno(_) => 4,
            Action::UserNotif => 3,
            Action::Trace(_) => 2,
            Action::Log => 1,
            Action::Allow => 0,
        }
    }

    /// The data the action carries (errno, trap or trace value), 0 for the others.
    #[must_use]
    pub const fn data(self) -> u16 {
        match self {
            Action::Trap(d) | Action::Errno(d) | Action::Trace(d) => d,
            _ => 0,
        }
    }

    /// The order of `rpod seccomp explain`'s sections (after the default action's): ALLOW,
    /// LOG, NOTIFY, TRACE, ERRNO, TRAP, KILL_THREAD, KILL_PROCESS, by data within one action.
    /// It is [`Action::strictness`] except that NOTIFY comes before TRACE.
    #[must_use]
    pub const fn explain_order(self) -> (u8, u16) {
        let rank = match self {
            Action::Allow => 1,
            Action::Log => 2,
            Action::UserNotif => 3,
            Action::Trace(_) => 4,
            Action::Errno(_) => 5,
            Action::Trap(_) => 6,
            Action::KillThread => 7,
            Action::KillProcess => 8,
        };
        (rank, self.data())
    }

    /// The order of the action blocks `rpod seccomp decompile` writes: ALLOW, LOG, ERRNO, TRAP,
    /// TRACE, USER_NOTIF, KILL, KILL_PROCESS, by data within one action. Unlike
    /// [`Action::strictness`] it puts ERRNO and TRAP before TRACE and USER_NOTIF.
    #[must_use]
    pub const fn decompile_order(self) -> (u8, u16) {
        let rank = match self {
            Action::Allow => 0,
            Action::Log => 1,
            Action::Errno(_) => 2,
            Action::Trap(_) => 3,
            Action::Trace(_) => 4,
            Action::UserNotif => 5,
            Action::KillThread => 6,
            Action::KillProcess => 7,
        };
        (rank, self.data())
    }
}

fn data_of(ret: u32) -> u16 {
    // Lossless: the mask leaves 16 bits.
    u16::try_from(ret & SECCOMP_RET_DATA).unwrap_or(u16::MAX)
}

impl fmt::Display for Action {
    /// libseccomp's action names without `SCMP_ACT_`: `ALLOW`, `ERRNO(1)`, `NOTIFY`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::KillProcess => f.write_str("KILL_PROCESS"),
            Action::KillThread => f.write_str("KILL_THREAD"),
            Action::Trap(d) => write!(f, "TRAP({d})"),
            Action::Errno(d) => write!(f, "ERRNO({d})"),
            Action::UserNotif => f.write_str("NOTIFY"),
            Action::Trace(d) => write!(f, "TRACE({d})"),
            Action::Log => f.write_str("LOG"),
            Action::Allow => f.write_str("ALLOW"),
        }
    }
}

/// An action serializes as it prints (`"ERRNO(1)"`), for JSON reports.
impl serde::Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_display_names() {
        let cases = [
            (Action::Allow, "ALLOW"),
            (Action::Errno(1), "ERRNO(1)"),
            (Action::KillProcess, "KILL_PROCESS"),
            (Action::KillThread, "KILL_THREAD"),
            (Action::Trap(5), "TRAP(5)"),
            (Action::Trace(3), "TRACE(3)"),
            (Action::Log, "LOG"),
            (Action::UserNotif, "NOTIFY"),
        ];
        for (action, name) in cases {
            assert_eq!(action.to_string(), name);
        }
    }

    #[test]
    fn decodes_return_values_with_the_full_action_mask() {
        assert_eq!(Action::from_ret(0x7fff_0000), Action::Allow);
        // ALLOW ignores its data bits.
        assert_eq!(Action::from_ret(0x7fff_1234), Action::Allow);
        assert_eq!(Action::from_ret(0x0005_0001), Action::Errno(1));
        assert_eq!(Action::from_ret(0x0005_ffff), Action::Errno(0xffff));
        assert_eq!(Action::from_ret(0x0003_0005), Action::Trap(5));
        assert_eq!(Action::from_ret(0x7ff0_0003), Action::Trace(3));
        assert_eq!(Action::from_ret(0x7fc0_0000), Action::UserNotif);
        assert_eq!(Action::from_ret(0x7ffc_0000), Action::Log);
        assert_eq!(Action::from_ret(0), Action::KillThread);
        assert_eq!(Action::from_ret(0x0000_0005), Action::KillThread);
        assert_eq!(Action::from_ret(0x8000_0000), Action::KillProcess);
        // The old 15-bit SECCOMP_RET_ACTION mask would read this as KILL_THREAD.
        assert_eq!(Action::known(0x8000_0000), Some(Action::KillProcess));
    }

    #[test]
    fn unknown_actions_kill_the_process() {
        for ret in [
            0x0001_0000,
            0x0004_0000,
            0x7ffe_0000,
            0x8001_0000,
            0xffff_0000,
        ] {
            assert_eq!(Action::known(ret), None, "{ret:#x}");
            assert_eq!(Action::from_ret(ret), Action::KillProcess, "{ret:#x}");
        }
    }

    #[test]
    fn strictness_follows_the_kernel_precedence_and_ignores_data() {
        // seccomp(2): the highest-precedence value is the one with the most restrictive action.
        let by_precedence = [
            Action::Allow,
            Action::Log,
            Action::Trace(1),
            Action::UserNotif,
            Action::Errno(1),
            Action::Trap(0),
            Action::KillThread,
            Action::KillProcess,
        ];
        for w in by_precedence.windows(2) {
            assert!(w[0].strictness() < w[1].strictness(), "{} < {}", w[0], w[1]);
        }
        assert_eq!(
            Action::Errno(1).strictness(),
            Action::Errno(38).strictness()
        );
    }

    #[test]
    fn to_ret_round_trips() {
        for action in [
            Action::KillProcess,
            Action::KillThread,
            Action::Trap(7),
            Action::Errno(4095),
            Action::UserNotif,
            Action::Trace(9),
            Action::Log,
            Action::Allow,
        ] {
            assert_eq!(Action::from_ret(action.to_ret()), action);
        }
    }
}
