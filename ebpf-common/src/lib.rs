//! What the kernel-side recorder (`ebpf`) and its loader (`tracer`) agree on: map names, map
//! value layouts, task flags and limits. `no_std`, so the eBPF program can use it.
//!
//! The model: `TASKS` (indexed by thread id) holds the [`task`] flags of every task of the
//! recorded process tree, 0 for the others. A task is *in the window* once it, or the thread group it belongs to, has
//! installed a seccomp filter (or exec'd, for a host recording). Syscalls made in the window
//! are counted per number in `COUNTS`; for the syscalls the user chose, one argument is masked
//! and counted per value in `ARG_VALUES` (in `HANDOFF_ARG_VALUES` while the task is still the
//! runtime's handoff, so the workload's values are never mixed with the runtime's).
//!
//! Processes that join the container later (`rpod exec`: `runc exec`/`crun exec` enter the
//! container's namespaces and fork) come from another rpod process, outside the tree. The
//! program follows them by pid namespace: when a task of the tree opens its window, its pid
//! namespace (unless it is the recorder's own) goes into `PIDNS`; a task forked by an untraced
//! parent into one of those namespaces joins the tree ([`task::JOINED`]) and, like the
//! container's init, is recorded from its own filter install on, its handoff apart.
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
    /// The task joined the tree from outside: forked by an untraced parent into a pid namespace
    /// of the recorded container (`rpod exec`). Its handoff is counted apart
    /// ([`super::slot::JOINED`]).
    pub const JOINED: u32 = 256;
    /// Flags a child task inherits from the task that forked it.
    pub const INHERITED: u32 =
        TRACED | OPEN | OPEN_ON_EXEC | HANDOFF | MODE_KNOWN | COMPAT | JOINED;
}

/// Syscall numbers below this are counted. `COUNTS` has four blocks of this many slots, see
/// [`slot`]; above it (invalid numbers, which the kernel
/// answers with ENOSYS) only the `STATS` counter [`stats::OUT_OF_RANGE`] moves.
pub const MAX_SYSCALL_NR: u32 = 1024;
/// Where `COUNTS` keeps a syscall: the block is the sum of the bits that apply: [`slot::HANDOFF`]
/// (the runtime's handoff), [`slot::COMPAT`] (32-bit calls), [`slot::JOINED`] (with HANDOFF:
/// the handoff of a process that joined the container, `runc exec`/`crun exec`). Block 0 is the
/// workload's native calls.
pub mod slot {
    pub const HANDOFF: u32 = 1;
    pub const COMPAT: u32 = 2;
    pub const JOINED: u32 = 4;
    pub const BLOCKS: u32 = 8;
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
    /// Byte offsets of `task_struct.nsproxy`, `nsproxy.pid_ns_for_children` and
    /// `pid_namespace.ns.inum`, from the kernel's BTF: a task's pid namespace inode number.
    pub const TASK_NSPROXY: &str = "TASK_NSPROXY";
    pub const NSPROXY_PIDNS: &str = "NSPROXY_PIDNS";
    pub const PIDNS_INUM: &str = "PIDNS_INUM";
    /// The recorder's own pid namespace (inode number): never followed.
    pub const HOST_PIDNS: &str = "HOST_PIDNS";
    /// 1 when tasks forked into the recorded container's pid namespace join the tree.
    pub const FOLLOW_PIDNS: &str = "FOLLOW_PIDNS";
}

/// Maps the loader reads or writes by name.
pub mod maps {
    /// Pid namespaces (inode number -> 1) whose new tasks join the tree.
    pub const PIDNS: &str = "PIDNS";
    /// Argument values seen in the handoff, same key as `ARG_VALUES`.
    pub const HANDOFF_ARG_VALUES: &str = "HANDOFF_ARG_VALUES";
}

#[cfg(feature = "user")]
mod user {
    // SAFETY: plain #[repr(C)] integers with no padding (u64 + u32 + u32; u32 + u32 + u64).
    unsafe impl aya::Pod for super::ArgSpec {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::ArgKey {}
}
