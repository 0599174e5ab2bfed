//! rpod's syscall recorder, kernel side. See `rpod-ebpf-common` for the maps' model.
//!
//! Four hooks, all cheap for tasks that are not recorded (one hash lookup):
//! - `sys_enter` (raw tracepoint): count the syscall when the task is in the window, record
//!   the chosen argument, and notice a seccomp filter install about to happen;
//! - `sys_exit` (raw tracepoint): a filter install that returned 0 opens the window;
//! - `sched_process_fork`: a child or thread of a traced task is traced, with its flags;
//! - `sched_process_exec`: a host recording opens at exec; a non-leader thread that execs takes
//!   the leader's id;
//! - `sched_process_exit`: forget the task.
//!
//! Raw tracepoints are used on the hot path because they skip the perf record the classic
//! `raw_syscalls` tracepoints build for every syscall; the syscall's arguments are read from
//! the `pt_regs` the kernel passes, whose layout is user ABI (`asm/ptrace.h`).
#![cfg_attr(target_arch = "bpf", no_std)]
#![cfg_attr(target_arch = "bpf", no_main)]
#![cfg_attr(not(target_arch = "bpf"), allow(dead_code, unused_imports))]

#[cfg(target_arch = "bpf")]
mod program {
    use aya_ebpf::{
        helpers::{bpf_get_current_pid_tgid, bpf_probe_read_kernel},
        macros::{map, raw_tracepoint, tracepoint},
        maps::{Array, HashMap, PerCpuArray},
        programs::{RawTracePointContext, TracePointContext},
    };
    use rpod_ebpf_common::{
        slot, stats, task, ArgKey, ArgSpec, MAX_ARG_VALUES, MAX_SYSCALL_NR, MAX_TASKS,
    };

    /// Offsets in tracepoint records, set by the loader from tracefs.
    #[no_mangle]
    static FORK_PARENT_PID: u32 = 12;
    #[no_mangle]
    static FORK_CHILD_PID: u32 = 20;
    #[no_mangle]
    static EXIT_PID: u32 = 24;
    #[no_mangle]
    static EXEC_PID: u32 = 12;
    #[no_mangle]
    static EXEC_OLD_PID: u32 = 16;

    #[map]
    static TASKS: HashMap<u32, u32> = HashMap::with_max_entries(MAX_TASKS, 0);
    /// Thread groups whose filter was installed with TSYNC: all their threads are in the window.
    #[map]
    static TSYNC: HashMap<u32, u32> = HashMap::with_max_entries(1024, 0);
    #[map]
    static COUNTS: PerCpuArray<u64> =
        PerCpuArray::with_max_entries(slot::BLOCKS * MAX_SYSCALL_NR, 0);
    #[map]
    static ARG_SPECS: Array<ArgSpec> = Array::with_max_entries(MAX_SYSCALL_NR, 0);
    #[map]
    static ARG_VALUES: HashMap<ArgKey, u64> = HashMap::with_max_entries(MAX_ARG_VALUES, 0);
    #[map]
    static STATS: PerCpuArray<u64> = PerCpuArray::with_max_entries(stats::LEN, 0);

    #[cfg(bpf_target_arch = "x86_64")]
    mod arch {
        /// Offsets of di, si, dx, r10, r8, r9 in x86_64's `struct pt_regs`: the syscall ABI's
        /// argument registers.
        pub const ARG_OFFSETS: [usize; 6] = [112, 104, 96, 56, 72, 64];
        pub const NR_SECCOMP: i64 = 317;
        pub const NR_PRCTL: i64 = 157;
        /// `cs` in `struct pt_regs`: `__USER32_CS` (0x23) when the task runs 32-bit code,
        /// whose syscalls use the i386 table.
        pub const MODE_OFFSET: usize = 136;
        pub fn is_compat(mode: u64) -> bool {
            mode == 0x23
        }
    }
    #[cfg(bpf_target_arch = "aarch64")]
    mod arch {
        /// `regs[0..6]` of arm64's `struct user_pt_regs`.
        pub const ARG_OFFSETS: [usize; 6] = [0, 8, 16, 24, 32, 40];
        pub const NR_SECCOMP: i64 = 277;
        pub const NR_PRCTL: i64 = 167;
        /// `pstate`, after regs[31], sp and pc: PSR_MODE32_BIT for AArch32 tasks.
        pub const MODE_OFFSET: usize = 264;
        pub fn is_compat(mode: u64) -> bool {
            mode & 0x10 != 0
        }
    }
    use arch::{is_compat, ARG_OFFSETS, MODE_OFFSET, NR_PRCTL, NR_SECCOMP};

    const SECCOMP_SET_MODE_FILTER: u64 = 1;
    const SECCOMP_FILTER_FLAG_TSYNC: u64 = 1;
    const PR_SET_SECCOMP: u64 = 22;
    const SECCOMP_MODE_FILTER: u64 = 2;

    fn global(v: &u32) -> usize {
        // SAFETY: a read of a static the loader may have rewritten; volatile so the compiler
        // does not fold the default value in.
        unsafe { core::ptr::read_volatile(v) as usize }
    }

    fn bump(index: u32) {
        if let Some(p) = STATS.get_ptr_mut(index) {
            // SAFETY: per-CPU slot, this program is the only writer on this CPU.
            unsafe { *p += 1 };
        }
    }

    /// The u64 at `off` in the `pt_regs` at `regs`.
    fn reg(regs: *const u8, off: usize) -> u64 {
        // SAFETY: `regs` is the kernel's pt_regs pointer for this syscall; the helper checks
        // the read.
        unsafe { bpf_probe_read_kernel(regs.add(off).cast::<u64>()) }.unwrap_or(0)
    }

    /// Syscall argument `i` from the `pt_regs` at `regs`.
    fn arg(regs: *const u8, i: usize) -> u64 {
        reg(regs, ARG_OFFSETS[i])
    }

    #[raw_tracepoint(tracepoint = "sys_enter")]
    pub fn sys_enter(ctx: RawTracePointContext) -> i32 {
        let ids = bpf_get_current_pid_tgid();
        let tid = ids as u32;
        let Some(state) = TASKS.get_ptr_mut(&tid) else {
            return 0;
        };
        let regs: *const u8 = ctx.arg(0);
        let nr: i64 = ctx.arg(1);
        // SAFETY: a value pointer of TASKS, valid for this program run.
        let flags = unsafe { *state };
        // Threads of a process whose filter was installed with TSYNC are the runtime's.
        let (open, handoff) = if flags & task::OPEN != 0 {
            (true, flags & task::HANDOFF != 0)
        } else {
            let tgid = (ids >> 32) as u32;
            // SAFETY: a plain lookup; the value is not read.
            let tsync = unsafe { TSYNC.get(&tgid) }.is_some();
            (tsync, tsync)
        };
        if open {
            bump(stats::SEEN);
            if nr >= 0 && nr < i64::from(MAX_SYSCALL_NR) {
                let nr = nr as u32;
                let compat = is_compat(reg(regs, MODE_OFFSET));
                let block =
                    if handoff { slot::HANDOFF } else { 0 } + if compat { slot::COMPAT } else { 0 };
                if let Some(p) = COUNTS.get_ptr_mut(block * MAX_SYSCALL_NR + nr) {
                    // SAFETY: per-CPU slot.
                    unsafe { *p += 1 };
                }
                // Argument specs are by native number.
                let spec = if compat { None } else { ARG_SPECS.get(nr) };
                if let Some(spec) = spec {
                    if spec.enabled != 0 && (spec.index as usize) < 6 {
                        let key = ArgKey {
                            nr,
                            index: spec.index,
                            value: arg(regs, spec.index as usize) & spec.mask,
                        };
                        match ARG_VALUES.get_ptr_mut(&key) {
                            Some(p) => {
                                // SAFETY: a value pointer of ARG_VALUES. Two CPUs may race on
                                // the count (the BPF target has no fetch-add in core); the
                                // count is a hint for reviewers, the key is what matters.
                                unsafe { *p += 1 };
                            }
                            None => {
                                if ARG_VALUES.insert(&key, &1, 0).is_err() {
                                    bump(stats::LOST_ARG_VALUES);
                                }
                            }
                        }
                    }
                }
            } else {
                bump(stats::OUT_OF_RANGE);
            }
        }
        if nr == NR_SECCOMP || nr == NR_PRCTL {
            let (a0, a1) = (arg(regs, 0), arg(regs, 1));
            let pending = if nr == NR_SECCOMP && a0 == SECCOMP_SET_MODE_FILTER {
                task::PENDING
                    | if a1 & SECCOMP_FILTER_FLAG_TSYNC != 0 {
                        task::PENDING_TSYNC
                    } else {
                        0
                    }
            } else if nr == NR_PRCTL && a0 == PR_SET_SECCOMP && a1 == SECCOMP_MODE_FILTER {
                task::PENDING
            } else {
                0
            };
            if pending != 0 {
                // SAFETY: as above; only this task writes its own entry.
                unsafe { *state = flags | pending };
            }
        }
        0
    }

    #[raw_tracepoint(tracepoint = "sys_exit")]
    pub fn sys_exit(ctx: RawTracePointContext) -> i32 {
        let ids = bpf_get_current_pid_tgid();
        let tid = ids as u32;
        let Some(state) = TASKS.get_ptr_mut(&tid) else {
            return 0;
        };
        // SAFETY: a value pointer of TASKS.
        let flags = unsafe { *state };
        if flags & task::PENDING == 0 {
            return 0;
        }
        let ret: i64 = ctx.arg(1);
        let mut next = flags & !(task::PENDING | task::PENDING_TSYNC);
        if ret == 0 && flags & task::OPEN == 0 {
            next |= task::OPEN | task::HANDOFF;
            if flags & task::PENDING_TSYNC != 0 {
                let _ = TSYNC.insert(&((ids >> 32) as u32), &1, 0);
            }
        }
        // SAFETY: only this task writes its own entry.
        unsafe { *state = next };
        0
    }

    #[tracepoint(category = "sched", name = "sched_process_fork")]
    pub fn sched_process_fork(ctx: TracePointContext) -> u32 {
        // SAFETY: offsets from this kernel's format file; the helper checks the reads.
        let (Ok(parent), Ok(child)) = (
            unsafe { ctx.read_at::<u32>(global(&FORK_PARENT_PID)) },
            unsafe { ctx.read_at::<u32>(global(&FORK_CHILD_PID)) },
        ) else {
            return 0;
        };
        // SAFETY: a copy of the value is taken at once.
        let Some(flags) = (unsafe { TASKS.get(&parent) }).copied() else {
            return 0;
        };
        let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
        let mut inherited = flags & task::INHERITED;
        // SAFETY: a plain lookup.
        if inherited & task::OPEN == 0 && unsafe { TSYNC.get(&tgid) }.is_some() {
            inherited |= task::OPEN | task::HANDOFF;
        }
        if TASKS.insert(&child, &inherited, 0).is_err() {
            bump(stats::LOST_TASKS);
        }
        0
    }

    #[tracepoint(category = "sched", name = "sched_process_exec")]
    pub fn sched_process_exec(ctx: TracePointContext) -> u32 {
        // SAFETY: offsets from this kernel's format file.
        let (Ok(pid), Ok(old)) = (unsafe { ctx.read_at::<u32>(global(&EXEC_PID)) }, unsafe {
            ctx.read_at::<u32>(global(&EXEC_OLD_PID))
        }) else {
            return 0;
        };
        // SAFETY: a copy of the value is taken at once.
        let Some(flags) = (unsafe { TASKS.get(&old) }).copied() else {
            return 0;
        };
        // The exec ends the runtime's handoff: the workload starts.
        let mut next = flags & !task::HANDOFF;
        if flags & task::OPEN_ON_EXEC != 0 {
            next = (next & !task::OPEN_ON_EXEC) | task::OPEN;
        }
        if old != pid {
            // A non-leader thread exec'd and now has the leader's id (de_thread).
            let _ = TASKS.remove(&old);
        }
        if TASKS.insert(&pid, &next, 0).is_err() {
            bump(stats::LOST_TASKS);
        }
        0
    }

    #[tracepoint(category = "sched", name = "sched_process_exit")]
    pub fn sched_process_exit(ctx: TracePointContext) -> u32 {
        // SAFETY: offset from this kernel's format file.
        if let Ok(pid) = unsafe { ctx.read_at::<u32>(global(&EXIT_PID)) } {
            let _ = TASKS.remove(&pid);
        }
        0
    }

    #[panic_handler]
    fn panic(_info: &core::panic::PanicInfo) -> ! {
        loop {}
    }

    // The kernel only lets GPL-compatible programs call bpf_probe_read_kernel.
    #[unsafe(link_section = "license")]
    #[unsafe(no_mangle)]
    static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";
}

#[cfg(not(target_arch = "bpf"))]
fn main() {}
