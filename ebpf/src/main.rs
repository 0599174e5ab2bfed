//! rpod's syscall recorder, kernel side. See `rpod-ebpf-common` for the maps' model.
//!
//! Four raw tracepoints, all cheap for tasks that are not recorded (one array lookup):
//! - `sys_enter`: count the syscall when the task is in the window, record the chosen
//!   argument, notice a seccomp filter install about to happen, and at the installer's next
//!   syscall, whether it succeeded (its filter chain changed: the window opens);
//! - `sched_process_fork`: a child or thread of a traced task is traced, with its flags; a task
//!   forked by an untraced parent into the recorded container's pid namespace (`rpod exec`)
//!   joins the tree;
//! - `sched_process_exec`: a host recording opens at exec; a non-leader thread that execs takes
//!   the leader's id;
//! - `sched_process_exit`: forget the task.
//!
//! Raw tracepoints: on the hot path they skip the perf record classic tracepoints build for
//! every call, they need no tracefs, and they detach in microseconds (a classic tracepoint's
//! perf event took 80 ms each to release here). The syscall's arguments are read from the
//! `pt_regs` the kernel passes, whose layout is user ABI (`asm/ptrace.h`); the only kernel
//! struct offset needed, `task_struct.pid`, comes from BTF.
#![cfg_attr(target_arch = "bpf", no_std)]
#![cfg_attr(target_arch = "bpf", no_main)]
#![cfg_attr(not(target_arch = "bpf"), allow(dead_code, unused_imports))]

#[cfg(target_arch = "bpf")]
mod program {
    use aya_ebpf::{
        helpers::{bpf_get_current_pid_tgid, bpf_get_current_task, bpf_probe_read_kernel},
        macros::{map, raw_tracepoint},
        maps::{Array, HashMap, PerCpuArray},
        programs::RawTracePointContext,
    };
    use rpod_ebpf_common::{
        slot, stats, task, ArgKey, ArgSpec, MAX_ARG_VALUES, MAX_SYSCALL_NR, MAX_TASKS,
    };

    /// Offset of `pid` in `struct task_struct`, set by the loader from the kernel's BTF.
    #[no_mangle]
    static TASK_PID: u32 = 0;
    /// 1 when some syscall's argument is recorded (`ARG_SPECS` is not all zero).
    #[no_mangle]
    static ARGS_ON: u32 = 0;
    /// Offset of `seccomp.filter` in `struct task_struct` (the task's filter chain), from BTF.
    #[no_mangle]
    static TASK_SECCOMP_FILTER: u32 = 0;
    /// Offsets of `task_struct.nsproxy`, `nsproxy.pid_ns_for_children`, `pid_namespace.ns.inum`.
    #[no_mangle]
    static TASK_NSPROXY: u32 = 0;
    #[no_mangle]
    static NSPROXY_PIDNS: u32 = 0;
    #[no_mangle]
    static PIDNS_INUM: u32 = 0;
    /// The recorder's own pid namespace: never followed (a `--pid=host` container).
    #[no_mangle]
    static HOST_PIDNS: u32 = 0;
    /// 1 when tasks forked into the container's pid namespace join the tree.
    #[no_mangle]
    static FOLLOW_PIDNS: u32 = 0;

    /// Flags by thread id; 0 for tasks outside the tree. An array, not a hash: the lookup every
    /// syscall on the machine pays is then an inlined bounds check and add. The loader sizes
    /// it to `kernel.pid_max`.
    #[map]
    static TASKS: Array<u32> = Array::with_max_entries(MAX_TASKS, 0);
    /// Thread groups whose filter was installed with TSYNC: all their threads are in the window.
    #[map]
    static TSYNC: HashMap<u32, u32> = HashMap::with_max_entries(1024, 0);
    /// The filter chain of a task that entered a filter install, as it was then: a different
    /// one at its next syscall means the install succeeded.
    #[map]
    static PENDING_FILTER: HashMap<u32, u64> = HashMap::with_max_entries(1024, 0);
    #[map]
    static COUNTS: PerCpuArray<u64> =
        PerCpuArray::with_max_entries(slot::BLOCKS * MAX_SYSCALL_NR, 0);
    /// One bit per `COUNTS` slot this CPU has used, so the loader reads 64 words and the
    /// slots used instead of all 4096.
    #[map]
    static USED: PerCpuArray<u64> =
        PerCpuArray::with_max_entries(slot::BLOCKS * MAX_SYSCALL_NR / 64, 0);
    #[map]
    static ARG_SPECS: Array<ArgSpec> = Array::with_max_entries(MAX_SYSCALL_NR, 0);
    #[map]
    static ARG_VALUES: HashMap<ArgKey, u64> = HashMap::with_max_entries(MAX_ARG_VALUES, 0);
    #[map]
    static STATS: PerCpuArray<u64> = PerCpuArray::with_max_entries(stats::LEN, 0);
    /// Argument values seen while the task was still the runtime's (its handoff).
    #[map]
    static HANDOFF_ARG_VALUES: HashMap<ArgKey, u64> = HashMap::with_max_entries(MAX_ARG_VALUES, 0);
    /// Pid namespaces (inode numbers) of the recorded container: a task forked into one by an
    /// untraced parent joins the tree.
    #[map]
    static PIDNS: HashMap<u32, u32> = HashMap::with_max_entries(64, 0);

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

    fn global(v: &u32) -> u32 {
        // SAFETY: a read of a static the loader may have rewritten; volatile so the compiler
        // does not fold the default value in.
        unsafe { core::ptr::read_volatile(v) }
    }

    fn add_stat(index: u32, delta: u64) {
        if let Some(p) = STATS.get_ptr_mut(index) {
            // SAFETY: per-CPU slot, this program is the only writer on this CPU.
            unsafe { *p = (*p).wrapping_add(delta) };
        }
    }

    fn bump(index: u32) {
        add_stat(index, 1);
    }

    /// A task enters (`true`) or leaves the window: the per-CPU deltas sum to the number of
    /// tasks in it, which the loader watches to know when the last one exited.
    fn count_open(entering: bool) {
        add_stat(stats::OPEN_DELTA, if entering { 1 } else { u64::MAX });
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

    /// The current task's seccomp filter chain (`current->seccomp.filter`).
    fn current_filter() -> u64 {
        // SAFETY: a helper with no arguments; the pointer is only read through the checked
        // bpf_probe_read_kernel.
        let task = unsafe { bpf_get_current_task() } as *const u8;
        // SAFETY: the offset comes from this kernel's BTF; the helper checks the read.
        unsafe {
            bpf_probe_read_kernel(
                task.add(global(&TASK_SECCOMP_FILTER) as usize)
                    .cast::<u64>(),
            )
        }
        .unwrap_or(0)
    }

    /// The pid namespace (inode number) `task`'s children are created in, which is the task's
    /// own at fork and for a runtime's init; 0 when it cannot be read (an exiting task).
    fn pidns_of(task: *const u8) -> u32 {
        let read_ptr = |p: *const u8, off: u32| -> u64 {
            if p.is_null() {
                return 0;
            }
            // SAFETY: offsets from this kernel's BTF; the helper checks the read.
            unsafe { bpf_probe_read_kernel(p.add(off as usize).cast::<u64>()) }.unwrap_or(0)
        };
        let nsproxy = read_ptr(task, global(&TASK_NSPROXY)) as *const u8;
        let pidns = read_ptr(nsproxy, global(&NSPROXY_PIDNS)) as *const u8;
        if pidns.is_null() {
            return 0;
        }
        // SAFETY: as above.
        unsafe { bpf_probe_read_kernel(pidns.add(global(&PIDNS_INUM) as usize).cast::<u32>()) }
            .unwrap_or(0)
    }

    /// A task of the tree opened its window: its pid namespace is the container's, and tasks
    /// forked into it later (`rpod exec`) join the tree. Never the recorder's own namespace.
    fn follow_pidns() {
        if global(&FOLLOW_PIDNS) == 0 {
            return;
        }
        // SAFETY: a helper with no arguments.
        let task = unsafe { bpf_get_current_task() } as *const u8;
        let ns = pidns_of(task);
        if ns != 0 && ns != global(&HOST_PIDNS) {
            let _ = PIDNS.insert(&ns, &1, 0);
        }
    }

    /// A task that entered a filter install makes its next syscall: if its filter chain
    /// changed, the install succeeded and the window opens (before this syscall, which the
    /// filter sees). This replaces a sys_exit hook, which would cost every syscall on the
    /// machine a second program run.
    fn settle_pending(tid: u32, tgid: u32, flags: u32) -> u32 {
        // SAFETY: a copy of the value is taken at once.
        let before = unsafe { PENDING_FILTER.get(&tid) }.copied();
        let _ = PENDING_FILTER.remove(&tid);
        let mut next = flags & !(task::PENDING | task::PENDING_TSYNC);
        if before.is_some_and(|b| b != current_filter()) && flags & task::OPEN == 0 {
            next |= task::OPEN | task::HANDOFF;
            count_open(true);
            follow_pidns();
            if flags & task::PENDING_TSYNC != 0 {
                let _ = TSYNC.insert(&tgid, &1, 0);
            }
        }
        next
    }

    /// Counts the chosen argument of syscall `nr`: the workload's in `ARG_VALUES`, the
    /// runtime's (`handoff`) apart in `HANDOFF_ARG_VALUES`.
    fn record_arg(regs: *const u8, nr: u32, handoff: bool) {
        let Some(spec) = ARG_SPECS.get(nr) else {
            return;
        };
        if spec.enabled == 0 || spec.index as usize >= 6 {
            return;
        }
        let key = ArgKey {
            nr,
            index: spec.index,
            value: arg(regs, spec.index as usize) & spec.mask,
        };
        let values = if handoff {
            &HANDOFF_ARG_VALUES
        } else {
            &ARG_VALUES
        };
        match values.get_ptr_mut(&key) {
            Some(p) => {
                // SAFETY: a value pointer of ARG_VALUES. Two CPUs may race on the count (the
                // BPF target has no fetch-add in core); the count is a hint for reviewers, the
                // key is what matters.
                unsafe { *p += 1 };
            }
            None => {
                if values.insert(&key, &1, 0).is_err() {
                    bump(stats::LOST_ARG_VALUES);
                }
            }
        }
    }

    #[raw_tracepoint(tracepoint = "sys_enter")]
    pub fn sys_enter(ctx: RawTracePointContext) -> i32 {
        let ids = bpf_get_current_pid_tgid();
        let Some(state) = TASKS.get_ptr_mut(ids as u32) else {
            return 0;
        };
        // SAFETY: a value pointer of TASKS, valid for this program run; only this task
        // writes its own entry.
        let mut flags = unsafe { *state };
        if flags == 0 {
            return 0;
        }
        let regs: *const u8 = ctx.arg(0);
        let nr: i64 = ctx.arg(1);
        if flags & task::PENDING != 0 {
            flags = settle_pending(ids as u32, (ids >> 32) as u32, flags);
            // SAFETY: as above.
            unsafe { *state = flags };
        }
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
            if nr >= 0 && nr < i64::from(MAX_SYSCALL_NR) {
                let nr = nr as u32;
                // A task's mode only changes at exec: read it once per exec.
                if flags & task::MODE_KNOWN == 0 {
                    flags |= task::MODE_KNOWN;
                    if is_compat(reg(regs, MODE_OFFSET)) {
                        flags |= task::COMPAT;
                    }
                    // SAFETY: as above.
                    unsafe { *state = flags };
                }
                let compat = flags & task::COMPAT != 0;
                let joined = if flags & task::JOINED != 0 {
                    slot::JOINED
                } else {
                    0
                };
                let block = if handoff { slot::HANDOFF + joined } else { 0 }
                    + if compat { slot::COMPAT } else { 0 };
                let index = block * MAX_SYSCALL_NR + nr;
                if let Some(p) = COUNTS.get_ptr_mut(index) {
                    // SAFETY: per-CPU slots.
                    unsafe {
                        if *p == 0 {
                            if let Some(u) = USED.get_ptr_mut(index / 64) {
                                *u |= 1 << (index % 64);
                            }
                        }
                        *p += 1;
                    }
                }
                // Argument specs are by native number.
                if !compat && global(&ARGS_ON) != 0 {
                    record_arg(regs, nr, handoff);
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
            if pending != 0
                && PENDING_FILTER
                    .insert(&(ids as u32), &current_filter(), 0)
                    .is_ok()
            {
                // SAFETY: as above.
                unsafe { *state = flags | pending };
            }
        }
        0
    }

    /// `sched_process_fork(parent, child)`, run by the parent.
    #[raw_tracepoint(tracepoint = "sched_process_fork")]
    pub fn sched_process_fork(ctx: RawTracePointContext) -> i32 {
        let ids = bpf_get_current_pid_tgid();
        let Some(flags) = TASKS.get(ids as u32).copied() else {
            return 0;
        };
        let child: *const u8 = ctx.arg(1);
        if flags == 0 {
            return join(child);
        }
        // SAFETY: the offset comes from this kernel's BTF; the helper checks the read.
        let child =
            unsafe { bpf_probe_read_kernel(child.add(global(&TASK_PID) as usize).cast::<u32>()) };
        let mut inherited = flags & task::INHERITED;
        // SAFETY: a plain lookup.
        if inherited & task::OPEN == 0 && unsafe { TSYNC.get(&((ids >> 32) as u32)) }.is_some() {
            inherited |= task::OPEN | task::HANDOFF;
        }
        match child.ok().and_then(|c| TASKS.get_ptr_mut(c)) {
            Some(p) => {
                // SAFETY: the child's entry; the child has not run yet.
                unsafe { *p = inherited };
                if inherited & task::OPEN != 0 {
                    count_open(true);
                }
            }
            None => bump(stats::LOST_TASKS),
        }
        0
    }

    /// An untraced task forked `child`: if the child is in a pid namespace of the recorded
    /// container (`runc exec` entered it), the child joins the tree. Like the container's init,
    /// it is recorded from its own filter install on. Forks are rare next to syscalls, and this
    /// costs a few reads only while a container recording follows its namespace.
    fn join(child: *const u8) -> i32 {
        if global(&FOLLOW_PIDNS) == 0 {
            return 0;
        }
        let ns = pidns_of(child);
        if ns == 0 || ns == global(&HOST_PIDNS) {
            return 0;
        }
        // SAFETY: a plain lookup.
        if unsafe { PIDNS.get(&ns) }.is_none() {
            return 0;
        }
        // SAFETY: the offset comes from this kernel's BTF; the helper checks the read.
        let pid =
            unsafe { bpf_probe_read_kernel(child.add(global(&TASK_PID) as usize).cast::<u32>()) };
        match pid.ok().and_then(|c| TASKS.get_ptr_mut(c)) {
            // SAFETY: the child's entry; the child has not run yet.
            Some(p) => unsafe { *p = task::TRACED | task::JOINED },
            None => bump(stats::LOST_TASKS),
        }
        0
    }

    /// `sched_process_exec(p, old_pid, bprm)`, run by the task that exec'd (now `p`).
    #[raw_tracepoint(tracepoint = "sched_process_exec")]
    pub fn sched_process_exec(ctx: RawTracePointContext) -> i32 {
        let pid = bpf_get_current_pid_tgid() as u32;
        let old: u64 = ctx.arg(1);
        let old = old as u32;
        let Some(old_state) = TASKS.get_ptr_mut(old) else {
            return 0;
        };
        // SAFETY: a value pointer of TASKS.
        let flags = unsafe { *old_state };
        if flags == 0 {
            return 0;
        }
        // The exec ends the runtime's handoff and may change the mode.
        let mut next = flags & !(task::HANDOFF | task::MODE_KNOWN | task::COMPAT);
        if flags & task::OPEN_ON_EXEC != 0 {
            next = (next & !task::OPEN_ON_EXEC) | task::OPEN;
            if flags & task::OPEN == 0 {
                count_open(true);
            }
        }
        if old != pid {
            // A non-leader thread exec'd and now has the leader's id (de_thread).
            // SAFETY: as above.
            unsafe { *old_state = 0 };
        }
        match TASKS.get_ptr_mut(pid) {
            // SAFETY: this task's own entry.
            Some(p) => unsafe { *p = next },
            None => bump(stats::LOST_TASKS),
        }
        0
    }

    /// `sched_process_exit(p, ...)`, run by the exiting task.
    #[raw_tracepoint(tracepoint = "sched_process_exit")]
    pub fn sched_process_exit(_ctx: RawTracePointContext) -> i32 {
        let tid = bpf_get_current_pid_tgid() as u32;
        if let Some(p) = TASKS.get_ptr_mut(tid) {
            // SAFETY: this task's own entry.
            unsafe {
                if *p & task::OPEN != 0 {
                    count_open(false);
                }
                *p = 0;
            }
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
