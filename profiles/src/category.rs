//! What each syscall is for, so a reviewer reads a profile by area ("network", "mounts")
//! instead of as 400 names in a row.
//!
//! Every name in the syscall tables ([`crate::syscalls::all_names`]) has a category from an
//! explicit list; a name the tables learn later falls back to careful prefix patterns
//! (`sched_*`, `rt_sig*`, `io_uring_*`, `*xattr*`, ...) and then to [`Category::Other`]. A unit
//! test keeps [`Category::Other`] empty for every known name, so a regenerated table with a new
//! syscall fails the test until someone files it.

use std::fmt;

use serde::Serialize;

/// An area of the kernel's syscall interface. The order is the order [`crate::explain`] prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Reading and writing through file descriptors, fd table, device control (`ioctl`).
    FileIo,
    /// Paths, metadata, directories, links, permissions, extended attributes.
    Filesystem,
    /// Mounting, the new mount API, `pivot_root`, `chroot`.
    Mount,
    Network,
    /// Creating, running and reaping processes and threads; per-process settings.
    Process,
    /// User and group ids, supplementary groups, capabilities.
    Credentials,
    /// Creating and joining namespaces.
    Namespace,
    /// Scheduler policy, priorities, CPU affinity, I/O priority.
    Scheduling,
    Memory,
    /// Pipes, futexes, System V and POSIX IPC.
    Ipc,
    Signal,
    /// Clocks, sleeping, timers.
    Time,
    /// `epoll`, `poll`, `select`, `eventfd`, `inotify`, `fanotify`.
    Event,
    /// Linux native asynchronous I/O (`io_setup`, `io_submit`, ...).
    Aio,
    /// io_uring: operations submitted through a shared ring run without their own syscall.
    IoUring,
    /// Host-wide administration and information (`reboot`, `sethostname`, `swapon`, `uname`).
    System,
    /// seccomp, Landlock and LSM interfaces.
    Security,
    /// The kernel key retention service (`keyctl`, `add_key`, `request_key`).
    Keyring,
    /// Debugging, tracing, BPF, performance counters and access to other processes.
    Debug,
    /// Loading kernel modules and new kernels (`kexec`).
    Module,
    /// Syscalls that exist on one architecture only (`arch_prctl`, `cacheflush`, `s390_*`).
    Arch,
    /// Removed, never implemented, or kept for ancient binaries (`afs_syscall`, `nfsservctl`).
    Obsolete,
    /// Not classified; no known name lands here (see the tests).
    Other,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::FileIo,
        Category::Filesystem,
        Category::Mount,
        Category::Network,
        Category::Process,
        Category::Credentials,
        Category::Namespace,
        Category::Scheduling,
        Category::Memory,
        Category::Ipc,
        Category::Signal,
        Category::Time,
        Category::Event,
        Category::Aio,
        Category::IoUring,
        Category::System,
        Category::Security,
        Category::Keyring,
        Category::Debug,
        Category::Module,
        Category::Arch,
        Category::Obsolete,
        Category::Other,
    ];

    /// The stable id used in JSON (`file-io`, `io-uring`).
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Category::FileIo => "file-io",
            Category::Filesystem => "filesystem",
            Category::Mount => "mount",
            Category::Network => "network",
            Category::Process => "process",
            Category::Credentials => "credentials",
            Category::Namespace => "namespace",
            Category::Scheduling => "scheduling",
            Category::Memory => "memory",
            Category::Ipc => "ipc",
            Category::Signal => "signal",
            Category::Time => "time",
            Category::Event => "event",
            Category::Aio => "aio",
            Category::IoUring => "io-uring",
            Category::System => "system",
            Category::Security => "security",
            Category::Keyring => "keyring",
            Category::Debug => "debug",
            Category::Module => "module",
            Category::Arch => "arch",
            Category::Obsolete => "obsolete",
            Category::Other => "other",
        }
    }

    /// A short title for people (`file I/O`, `mounts and root`).
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Category::FileIo => "file I/O",
            Category::Filesystem => "files and directories",
            Category::Mount => "mounts and root",
            Category::Network => "network",
            Category::Process => "processes",
            Category::Credentials => "credentials",
            Category::Namespace => "namespaces",
            Category::Scheduling => "scheduling",
            Category::Memory => "memory",
            Category::Ipc => "IPC and futexes",
            Category::Signal => "signals",
            Category::Time => "time and timers",
            Category::Event => "events and polling",
            Category::Aio => "async I/O (aio)",
            Category::IoUring => "io_uring",
            Category::System => "system",
            Category::Security => "security",
            Category::Keyring => "kernel keyring",
            Category::Debug => "debug and tracing",
            Category::Module => "modules and kexec",
            Category::Arch => "arch-specific",
            Category::Obsolete => "obsolete",
            Category::Other => "other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

use Category::{
    Aio, Arch, Credentials, Event, FileIo, Filesystem, IoUring, Ipc, Keyring, Memory, Module,
    Mount, Namespace, Network, Obsolete, Process, Scheduling, Security, Signal, System, Time,
};

/// Explicit classification, sorted by name (a test checks the order). Variants that differ by a
/// `32`, `64` or `_time64` suffix (`setuid32`, `fstat64`, `clock_gettime64`,
/// `futex_time64`) are found through their base name.
static NAMES: &[(&str, Category)] = &[
    ("_llseek", FileIo),
    ("_newselect", Event),
    ("_sysctl", Obsolete),
    ("accept", Network),
    ("accept4", Network),
    ("access", Filesystem),
    ("acct", System),
    ("add_key", Keyring),
    ("adjtimex", Time),
    ("afs_syscall", Obsolete),
    ("alarm", Time),
    ("arch_prctl", Arch),
    ("arm_fadvise64_64", FileIo),
    ("arm_sync_file_range", FileIo),
    ("bdflush", Obsolete),
    ("bind", Network),
    ("bpf", Category::Debug),
    ("break", Obsolete),
    ("breakpoint", Arch),
    ("brk", Memory),
    ("cachectl", Arch),
    ("cacheflush", Arch),
    ("cachestat", FileIo),
    ("capget", Credentials),
    ("capset", Credentials),
    ("chdir", Filesystem),
    ("chmod", Filesystem),
    ("chown", Filesystem),
    ("chroot", Mount),
    ("clock_adjtime", Time),
    ("clock_getres", Time),
    ("clock_gettime", Time),
    ("clock_nanosleep", Time),
    ("clock_settime", Time),
    ("clone", Process),
    ("clone3", Process),
    ("close", FileIo),
    ("close_range", FileIo),
    ("connect", Network),
    ("copy_file_range", FileIo),
    ("creat", Filesystem),
    ("create_module", Module),
    ("delete_module", Module),
    ("dup", FileIo),
    ("dup2", FileIo),
    ("dup3", FileIo),
    ("epoll_create", Event),
    ("epoll_create1", Event),
    ("epoll_ctl", Event),
    ("epoll_ctl_old", Event),
    ("epoll_pwait", Event),
    ("epoll_pwait2", Event),
    ("epoll_wait", Event),
    ("epoll_wait_old", Event),
    ("eventfd", Event),
    ("eventfd2", Event),
    ("execve", Process),
    ("execveat", Process),
    ("exit", Process),
    ("exit_group", Process),
    ("faccessat", Filesystem),
    ("faccessat2", Filesystem),
    ("fadvise64", FileIo),
    ("fadvise64_64", FileIo),
    ("fallocate", FileIo),
    ("fanotify_init", Event),
    ("fanotify_mark", Event),
    ("fchdir", Filesystem),
    ("fchmod", Filesystem),
    ("fchmodat", Filesystem),
    ("fchmodat2", Filesystem),
    ("fchown", Filesystem),
    ("fchownat", Filesystem),
    ("fcntl", FileIo),
    ("fdatasync", FileIo),
    ("fgetxattr", Filesystem),
    ("file_getattr", Filesystem),
    ("file_setattr", Filesystem),
    ("finit_module", Module),
    ("flistxattr", Filesystem),
    ("flock", FileIo),
    ("fork", Process),
    ("fremovexattr", Filesystem),
    ("fsconfig", Mount),
    ("fsetxattr", Filesystem),
    ("fsmount", Mount),
    ("fsopen", Mount),
    ("fspick", Mount),
    ("fstat", Filesystem),
    ("fstatat", Filesystem),
    ("fstatfs", Filesystem),
    ("fsync", FileIo),
    ("ftime", Obsolete),
    ("ftruncate", FileIo),
    ("futex", Ipc),
    ("futex_requeue", Ipc),
    ("futex_wait", Ipc),
    ("futex_waitv", Ipc),
    ("futex_wake", Ipc),
    ("futimesat", Filesystem),
    ("get_kernel_syms", Module),
    ("get_mempolicy", Memory),
    ("get_robust_list", Process),
    ("get_thread_area", Arch),
    ("get_tls", Arch),
    ("getcpu", Scheduling),
    ("getcwd", Filesystem),
    ("getdents", Filesystem),
    ("getegid", Credentials),
    ("geteuid", Credentials),
    ("getgid", Credentials),
    ("getgroups", Credentials),
    ("getitimer", Time),
    ("getpeername", Network),
    ("getpgid", Process),
    ("getpgrp", Process),
    ("getpid", Process),
    ("getpmsg", Obsolete),
    ("getppid", Process),
    ("getpriority", Scheduling),
    ("getrandom", System),
    ("getresgid", Credentials),
    ("getresuid", Credentials),
    ("getrlimit", Process),
    ("getrusage", Process),
    ("getsid", Process),
    ("getsockname", Network),
    ("getsockopt", Network),
    ("gettid", Process),
    ("gettimeofday", Time),
    ("getuid", Credentials),
    ("getxattr", Filesystem),
    ("getxattrat", Filesystem),
    ("gtty", Obsolete),
    ("idle", Obsolete),
    ("init_module", Module),
    ("inotify_add_watch", Event),
    ("inotify_init", Event),
    ("inotify_init1", Event),
    ("inotify_rm_watch", Event),
    ("io_cancel", Aio),
    ("io_destroy", Aio),
    ("io_getevents", Aio),
    ("io_pgetevents", Aio),
    ("io_setup", Aio),
    ("io_submit", Aio),
    ("io_uring_enter", IoUring),
    ("io_uring_register", IoUring),
    ("io_uring_setup", IoUring),
    ("ioctl", FileIo),
    ("ioperm", System),
    ("iopl", System),
    ("ioprio_get", Scheduling),
    ("ioprio_set", Scheduling),
    ("ipc", Ipc),
    ("kcmp", Category::Debug),
    ("kexec_file_load", Module),
    ("kexec_load", Module),
    ("keyctl", Keyring),
    ("kill", Signal),
    ("landlock_add_rule", Security),
    ("landlock_create_ruleset", Security),
    ("landlock_restrict_self", Security),
    ("lchown", Filesystem),
    ("lgetxattr", Filesystem),
    ("link", Filesystem),
    ("linkat", Filesystem),
    ("listen", Network),
    ("listmount", Mount),
    ("listns", Namespace),
    ("listxattr", Filesystem),
    ("listxattrat", Filesystem),
    ("llistxattr", Filesystem),
    ("lock", Obsolete),
    ("lookup_dcookie", Category::Debug),
    ("lremovexattr", Filesystem),
    ("lseek", FileIo),
    ("lsetxattr", Filesystem),
    ("lsm_get_self_attr", Security),
    ("lsm_list_modules", Security),
    ("lsm_set_self_attr", Security),
    ("lstat", Filesystem),
    ("madvise", Memory),
    ("map_shadow_stack", Memory),
    ("mbind", Memory),
    ("membarrier", Memory),
    ("memfd_create", Memory),
    ("memfd_secret", Memory),
    ("migrate_pages", Memory),
    ("mincore", Memory),
    ("mkdir", Filesystem),
    ("mkdirat", Filesystem),
    ("mknod", Filesystem),
    ("mknodat", Filesystem),
    ("mlock", Memory),
    ("mlock2", Memory),
    ("mlockall", Memory),
    ("mmap", Memory),
    ("mmap2", Memory),
    ("modify_ldt", Arch),
    ("mount", Mount),
    ("mount_setattr", Mount),
    ("move_mount", Mount),
    ("move_pages", Memory),
    ("mprotect", Memory),
    ("mpx", Obsolete),
    ("mq_getsetattr", Ipc),
    ("mq_notify", Ipc),
    ("mq_open", Ipc),
    ("mq_timedreceive", Ipc),
    ("mq_timedsend", Ipc),
    ("mq_unlink", Ipc),
    ("mremap", Memory),
    ("mseal", Memory),
    ("msgctl", Ipc),
    ("msgget", Ipc),
    ("msgrcv", Ipc),
    ("msgsnd", Ipc),
    ("msync", Memory),
    // powerpc's number 201, reserved and never implemented.
    ("multiplexer", Obsolete),
    ("munlock", Memory),
    ("munlockall", Memory),
    ("munmap", Memory),
    ("name_to_handle_at", Filesystem),
    ("nanosleep", Time),
    ("newfstatat", Filesystem),
    ("nfsservctl", Obsolete),
    ("nice", Scheduling),
    ("oldfstat", Filesystem),
    ("oldlstat", Filesystem),
    ("oldolduname", System),
    ("oldstat", Filesystem),
    ("olduname", System),
    ("open", Filesystem),
    ("open_by_handle_at", Filesystem),
    ("open_tree", Mount),
    ("open_tree_attr", Mount),
    ("openat", Filesystem),
    ("openat2", Filesystem),
    ("pause", Signal),
    ("pciconfig_iobase", System),
    ("pciconfig_read", System),
    ("pciconfig_write", System),
    ("perf_event_open", Category::Debug),
    ("personality", Process),
    ("pidfd_getfd", Category::Debug),
    ("pidfd_open", Process),
    ("pidfd_send_signal", Signal),
    ("pipe", Ipc),
    ("pipe2", Ipc),
    ("pivot_root", Mount),
    ("pkey_alloc", Memory),
    ("pkey_free", Memory),
    ("pkey_mprotect", Memory),
    ("poll", Event),
    ("ppoll", Event),
    ("prctl", Process),
    ("pread", FileIo),
    ("preadv", FileIo),
    ("preadv2", FileIo),
    ("prlimit", Process),
    ("process_madvise", Memory),
    ("process_mrelease", Memory),
    ("process_vm_readv", Category::Debug),
    ("process_vm_writev", Category::Debug),
    ("prof", Obsolete),
    ("profil", Obsolete),
    ("pselect6", Event),
    ("ptrace", Category::Debug),
    ("putpmsg", Obsolete),
    ("pwrite", FileIo),
    ("pwritev", FileIo),
    ("pwritev2", FileIo),
    ("query_module", Module),
    ("quotactl", System),
    ("quotactl_fd", System),
    ("read", FileIo),
    ("readahead", FileIo),
    ("readdir", Filesystem),
    ("readlink", Filesystem),
    ("readlinkat", Filesystem),
    ("readv", FileIo),
    ("reboot", System),
    ("recv", Network),
    ("recvfrom", Network),
    ("recvmmsg", Network),
    ("recvmsg", Network),
    ("remap_file_pages", Memory),
    ("removexattr", Filesystem),
    ("removexattrat", Filesystem),
    ("rename", Filesystem),
    ("renameat", Filesystem),
    ("renameat2", Filesystem),
    ("request_key", Keyring),
    ("restart_syscall", Signal),
    ("riscv_flush_icache", Arch),
    ("riscv_hwprobe", Arch),
    ("rmdir", Filesystem),
    ("rseq", Process),
    ("rseq_slice_yield", Scheduling),
    ("rt_sigaction", Signal),
    ("rt_sigpending", Signal),
    ("rt_sigprocmask", Signal),
    ("rt_sigqueueinfo", Signal),
    ("rt_sigreturn", Signal),
    ("rt_sigsuspend", Signal),
    ("rt_sigtimedwait", Signal),
    ("rt_tgsigqueueinfo", Signal),
    // powerpc's Run-Time Abstraction Services call into firmware.
    ("rtas", Arch),
    ("s390_guarded_storage", Arch),
    ("s390_pci_mmio_read", Arch),
    ("s390_pci_mmio_write", Arch),
    ("s390_runtime_instr", Arch),
    ("s390_sthyi", Arch),
    ("sched_get_priority_max", Scheduling),
    ("sched_get_priority_min", Scheduling),
    ("sched_getaffinity", Scheduling),
    ("sched_getattr", Scheduling),
    ("sched_getparam", Scheduling),
    ("sched_getscheduler", Scheduling),
    ("sched_rr_get_interval", Scheduling),
    ("sched_setaffinity", Scheduling),
    ("sched_setattr", Scheduling),
    ("sched_setparam", Scheduling),
    ("sched_setscheduler", Scheduling),
    ("sched_yield", Scheduling),
    ("seccomp", Security),
    // Reserved for LSMs in the i386 and x86_64 tables, never implemented.
    ("security", Obsolete),
    ("select", Event),
    ("semctl", Ipc),
    ("semget", Ipc),
    ("semop", Ipc),
    ("semtimedop", Ipc),
    ("send", Network),
    ("sendfile", FileIo),
    ("sendmmsg", Network),
    ("sendmsg", Network),
    ("sendto", Network),
    ("set_mempolicy", Memory),
    ("set_mempolicy_home_node", Memory),
    ("set_robust_list", Process),
    ("set_thread_area", Arch),
    ("set_tid_address", Process),
    ("set_tls", Arch),
    ("setdomainname", System),
    ("setfsgid", Credentials),
    ("setfsuid", Credentials),
    ("setgid", Credentials),
    ("setgroups", Credentials),
    ("sethostname", System),
    ("setitimer", Time),
    ("setns", Namespace),
    ("setpgid", Process),
    ("setpriority", Scheduling),
    ("setregid", Credentials),
    ("setresgid", Credentials),
    ("setresuid", Credentials),
    ("setreuid", Credentials),
    ("setrlimit", Process),
    ("setsid", Process),
    ("setsockopt", Network),
    ("settimeofday", Time),
    ("setuid", Credentials),
    ("setxattr", Filesystem),
    ("setxattrat", Filesystem),
    ("sgetmask", Signal),
    ("shmat", Ipc),
    ("shmctl", Ipc),
    ("shmdt", Ipc),
    ("shmget", Ipc),
    ("shutdown", Network),
    ("sigaction", Signal),
    ("sigaltstack", Signal),
    ("signal", Signal),
    ("signalfd", Signal),
    ("signalfd4", Signal),
    ("sigpending", Signal),
    ("sigprocmask", Signal),
    ("sigreturn", Signal),
    ("sigsuspend", Signal),
    ("socket", Network),
    ("socketcall", Network),
    ("socketpair", Network),
    ("splice", FileIo),
    ("spu_create", Arch),
    ("spu_run", Arch),
    ("ssetmask", Signal),
    ("stat", Filesystem),
    ("statfs", Filesystem),
    ("statmount", Mount),
    ("statx", Filesystem),
    ("stime", Time),
    ("stty", Obsolete),
    ("subpage_prot", Arch),
    ("swapcontext", Arch),
    ("swapoff", System),
    ("swapon", System),
    ("switch_endian", Arch),
    ("symlink", Filesystem),
    ("symlinkat", Filesystem),
    ("sync", FileIo),
    ("sync_file_range", FileIo),
    ("sync_file_range2", FileIo),
    ("syncfs", FileIo),
    ("sys_debug_setcontext", Arch),
    // MIPS o32's indirect syscall (podman's profile lists it).
    ("syscall", Arch),
    ("sysfs", Obsolete),
    ("sysinfo", System),
    ("syslog", System),
    ("sysmips", Arch),
    ("tee", FileIo),
    ("tgkill", Signal),
    ("time", Time),
    ("timer_create", Time),
    ("timer_delete", Time),
    ("timer_getoverrun", Time),
    ("timer_gettime", Time),
    ("timer_settime", Time),
    ("timerfd", Time),
    ("timerfd_create", Time),
    ("timerfd_gettime", Time),
    ("timerfd_settime", Time),
    ("times", Time),
    ("tkill", Signal),
    ("truncate", Filesystem),
    ("tuxcall", Obsolete),
    ("ugetrlimit", Process),
    ("ulimit", Obsolete),
    ("umask", Filesystem),
    ("umount", Mount),
    ("umount2", Mount),
    ("uname", System),
    ("unlink", Filesystem),
    ("unlinkat", Filesystem),
    ("unshare", Namespace),
    ("uprobe", Category::Debug),
    ("uretprobe", Category::Debug),
    ("uselib", Obsolete),
    ("userfaultfd", Memory),
    ("usr26", Arch),
    ("usr32", Arch),
    ("ustat", Obsolete),
    ("utime", Filesystem),
    ("utimensat", Filesystem),
    ("utimes", Filesystem),
    ("vfork", Process),
    ("vhangup", System),
    ("vm86", Arch),
    ("vm86old", Arch),
    ("vmsplice", FileIo),
    ("vserver", Obsolete),
    ("wait4", Process),
    ("waitid", Process),
    ("waitpid", Process),
    ("write", FileIo),
    ("writev", FileIo),
];

/// Prefixes for names the tables may learn later, tried in order after the explicit list.
static PREFIXES: &[(&str, Category)] = &[
    ("io_uring_", IoUring),
    ("io_", Aio),
    ("sched_", Scheduling),
    ("rt_sig", Signal),
    ("sig", Signal),
    ("clock_", Time),
    ("timer", Time),
    ("epoll_", Event),
    ("inotify_", Event),
    ("fanotify_", Event),
    ("futex", Ipc),
    ("mq_", Ipc),
    ("msg", Ipc),
    ("sem", Ipc),
    ("shm", Ipc),
    ("landlock_", Security),
    ("lsm_", Security),
    ("pkey_", Memory),
    ("s390_", Arch),
    ("riscv_", Arch),
    ("arm_", Arch),
    ("spu_", Arch),
    ("kexec_", Module),
    ("pidfd_", Process),
    ("fs", Mount),
    ("mount", Mount),
];

fn lookup(name: &str) -> Option<Category> {
    NAMES
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| NAMES[i].1)
}

/// The base name of a width or time64 variant: `setuid32` -> `setuid`, `fstat64` -> `fstat`,
/// `clock_gettime64` -> `clock_gettime`, `futex_time64` -> `futex`, `fstatat64` -> `fstatat`.
fn base_name(name: &str) -> Option<&str> {
    name.strip_suffix("_time64")
        .or_else(|| name.strip_suffix("32"))
        .or_else(|| name.strip_suffix("64"))
}

/// The category of syscall `name` (a libseccomp name, as in profiles).
#[must_use]
pub fn of(name: &str) -> Category {
    if let Some(c) = lookup(name) {
        return c;
    }
    if let Some(c) = base_name(name).and_then(lookup) {
        return c;
    }
    if name.contains("xattr") {
        return Filesystem;
    }
    PREFIXES
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map_or(Category::Other, |(_, c)| *c)
}

/// Known names that are allowed to be [`Category::Other`]: reviewed, and empty today.
pub const REVIEWED_OTHER: &[&str] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscalls;

    #[test]
    fn explicit_list_is_sorted_and_unique() {
        for w in NAMES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} must sort before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn every_known_syscall_has_a_category() {
        let other: Vec<&str> = syscalls::all_names()
            .iter()
            .copied()
            .filter(|n| of(n) == Category::Other && !REVIEWED_OTHER.contains(n))
            .collect();
        assert!(
            other.is_empty(),
            "add these syscalls to category::NAMES: {other:?}"
        );
    }

    #[test]
    fn explicit_entries_are_real_names_or_bases() {
        // An entry nobody can reach is a typo. Bases reached only through a suffixed name
        // (`fstatat` via `fstatat64`, `pread` via `pread64`) count as reached.
        let names = syscalls::all_names();
        let reached = |entry: &str| {
            names
                .iter()
                .any(|n| *n == entry || base_name(n) == Some(entry))
        };
        let unreached: Vec<&str> = NAMES
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| !reached(n))
            .collect();
        assert!(unreached.is_empty(), "not in any table: {unreached:?}");
    }

    #[test]
    fn variants_follow_their_base() {
        assert_eq!(of("setuid32"), Category::Credentials);
        assert_eq!(of("fstat64"), Category::Filesystem);
        assert_eq!(of("clock_gettime64"), Category::Time);
        assert_eq!(of("futex_time64"), Category::Ipc);
        assert_eq!(of("sendfile64"), Category::FileIo);
        assert_eq!(of("io_pgetevents_time64"), Category::Aio);
        assert_eq!(of("semtimedop_time64"), Category::Ipc);
    }

    #[test]
    fn the_risky_ones_land_where_a_reviewer_looks() {
        assert_eq!(of("io_uring_enter"), Category::IoUring);
        assert_eq!(of("mount"), Category::Mount);
        assert_eq!(of("fsopen"), Category::Mount);
        assert_eq!(of("unshare"), Category::Namespace);
        assert_eq!(of("kexec_file_load"), Category::Module);
        assert_eq!(of("bpf"), Category::Debug);
        assert_eq!(of("keyctl"), Category::Keyring);
        assert_eq!(of("socketcall"), Category::Network);
    }

    #[test]
    fn future_names_fall_back_to_patterns() {
        assert_eq!(of("io_uring_foo"), Category::IoUring);
        assert_eq!(of("sched_getfoo"), Category::Scheduling);
        assert_eq!(of("fgetxattrat2"), Category::Filesystem);
        assert_eq!(of("completely_new"), Category::Other);
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<&str> = Category::ALL.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Category::ALL.len());
    }
}
