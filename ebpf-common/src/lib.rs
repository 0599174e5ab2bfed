//! What the kernel-side recorder (`ebpf`) and its loader (`tracer`) agree on: map names, map
//! value layouts, task flags and limits. `no_std`, so the eBPF program can use it.
//!
//! The model: `TASKS` (indexed by thread id) holds the [`task`] flags of every task of the
//! recorded process tree, 0 for the others. A task is *in the window* once it, or the thread group it belongs to, has
//! installed a seccomp filter (or exec'd, for a host recording). Syscalls made in the window
//! are counted per number in `COUNTS`; for the syscalls the user chose, one argument is masked
//! and counted per value in `ARG_VALUES`.
#![no_std]

/// Flags of a traced task, the value of the `TASKS` map.
pub mod task {
    /// Syscalls are recorded: the task (or an ancestor) installed a seccomp filter, or exec'd
    /// while [`OPEN_ON_EXEC`] was set.
    pub const OPEN: u32 = 1;
    /// The task entered `seccomp(SECCOMP_SET_MODE_FILTER)` or `prctl(PR_SET_SECCOMP, 2)`; the
    /// window opens if its filter chain has changed at its next syscall.
    pub const PENDING: u32 = 2;
    /// The pending filter install asked for `SECCOMP_FILTER_FLAG_TSYNC`: on success every
    /// thread of the process is in the window.
    pub const PENDING_TSYNC: u32 = 4;
    /// Open the window when the task calls execve (host recordings: `rpod seccomp record`).
    pub const OPEN_ON_EXEC: u32 = 8;
    /// In the window, but still the runtime: the filter is installed and the task has not
    /// exec'd the workload yet. Its syscalls are counted apart (`COUNTS[MAX_SYSCALL_NR + nr]`).
    pub const HANDOFF: u32 = 16;
    /// The task's mode was read since its last exec (`pt_regs`' code segment).
    pub const MODE_KNOWN: u32 = 32;
    /// The task runs 32-bit code: its syscall numbers are the compat arch's.
    pub const COMPAT: u32 = 64;
    /// The task is in the traced tree. Every member has it, so 0 means "not traced".
    pub const TRACED: u32 = 128;
    /// Flags a child task inherits from the task that forked it.
    pub const INHERITED: u32 = TRACED | OPEN | OPEN_ON_EXEC | HANDOFF | MODE_KNOWN | COMPAT;
}

/// Syscall numbers below this are counted. `COUNTS` has four blocks of this many slots, see
/// [`slot`]; above it (invalid numbers, which the kernel
/// answers with ENOSYS) only the `STATS` counter [`stats::OUT_OF_RANGE`] moves.
pub const MAX_SYSCALL_NR: u32 = 1024;
/// Where `COUNTS` keeps a syscall: block 0 the workload's native calls, 1 the handoff's native
/// calls, 2 the workload's 32-bit (compat) calls, 3 the handoff's compat calls.
pub mod slot {
    pub const HANDOFF: u32 = 1;
    pub const COMPAT: u32 = 2;
    pub const BLOCKS: u32 = 4;
}

/// Size of the `TASKS` array (indexed by thread id) in the object file; the loader resizes
/// it to the kernel's `pid_max`.
pub const MAX_TASKS: u32 = 32768;
/// Distinct (syscall, argument value) pairs in one recording.
pub const MAX_ARG_VALUES: u32 = 8192;

/// Indexes of the per-CPU `STATS` array: what the recorder could not keep. A recording whose
/// `LOST_*` counters are not zero is incomplete, and the tracer says so.
pub mod stats {
    /// A forked task could not be added to `TASKS` (map full).
    pub const LOST_TASKS: u32 = 0;
    /// An argument value could not be added to `ARG_VALUES` (map full).
    pub const LOST_ARG_VALUES: u32 = 1;
    /// Syscalls in the window with a number at or above `MAX_SYSCALL_NR` (or negative).
    pub const OUT_OF_RANGE: u32 = 2;
    /// +1 when a task enters the window, -1 (wrapping) when one in it exits: the sum over the
    /// CPUs is the number of tasks in the window.
    pub const OPEN_DELTA: u32 = 3;
    pub const LEN: u32 = 4;
}

/// Which argument of a syscall to record, the value of the `ARG_SPECS` array (indexed by
/// syscall number). `mask` is AND-ed with the register before counting, so `mmap`'s `prot` can
/// be reduced to its PROT_EXEC bit.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgSpec {
    pub mask: u64,
    /// Argument index 0-5.
    pub index: u32,
    /// 1 when this syscall's argument is recorded.
    pub enabled: u32,
}

/// Key of the `ARG_VALUES` hash map: a syscall, the argument index and the masked value.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArgKey {
    pub nr: u32,
    pub index: u32,
    pub value: u64,
}

/// Globals the loader sets.
pub mod globals {
    /// Byte offset of `pid` in `struct task_struct`, from the kernel's BTF.
    pub const TASK_PID: &str = "TASK_PID";
    /// 1 when some syscall's argument is recorded.
    pub const ARGS_ON: &str = "ARGS_ON";
    /// Byte offset of `seccomp.filter` in `struct task_struct`, from the kernel's BTF.
    pub const TASK_SECCOMP_FILTER: &str = "TASK_SECCOMP_FILTER";
}

#[cfg(feature = "user")]
mod user {
    // SAFETY: plain #[repr(C)] integers with no padding (u64 + u32 + u32; u32 + u32 + u64).
    unsafe impl aya::Pod for super::ArgSpec {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::ArgKey {}
}
