//! Syscalls as a policy names them: numbers, libseccomp names, and argument names and sizes per
//! architecture.
//!
//! A policy names a syscall by the kernel's name for its entry point (`newfstat`, as Kafel and
//! the kernel's trace events do) or by libseccomp's (`fstat`, what OCI JSON must say); both
//! resolve, per architecture, to the number the kernel puts in `seccomp_data.nr`. A rule may
//! then name arguments (`write { fd == 1 && count < 4096 }`): each has a position and a size,
//! and a 4-byte argument is compared on its low word only, because the kernel truncates it to
//! its C type.
//!
//! Where the data comes from:
//! - numbers and libseccomp names: `profiles::syscalls` (libseccomp plus newer kernel tables);
//! - argument names and C types: the `sys_enter_*` trace events of an x86_64 kernel
//!   (`generated.rs`, written by `cargo xtask gen-syscall-args`);
//! - which x86_64 signature applies to a syscall on another architecture: the tables below,
//!   checked by hand against each architecture's syscall table in Linux 6.12
//!   (`arch/*/entry/syscalls/syscall_*.tbl`, `arch/*/kernel/syscalls/syscall*.tbl`,
//!   `arch/arm/tools/syscall.tbl`, `scripts/syscall.tbl`) and the definitions of the entry
//!   points they name. A syscall whose entry point has another signature there, or one that was
//!   not verified, has no known arguments (`args: None`) and a policy must name them itself.
//!
//! ```
//! use kafel_dsl::syscalls::{lookup, Arg};
//! use profiles::Arch;
//!
//! let write = lookup(Arch::X86_64, "write").expect("x86_64 has write");
//! assert_eq!(write.nr, 1);
//! assert_eq!(write.args.expect("known")[0], Arg { name: "fd", size: 4 });
//! // The kernel's name and libseccomp's resolve to the same syscall.
//! assert_eq!(lookup(Arch::X86_64, "newfstat"), lookup(Arch::X86_64, "fstat"));
//! ```

mod generated;

use std::sync::OnceLock;

use profiles::syscalls as table;
use profiles::Arch;

/// One named argument of a syscall on one arch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    pub name: &'static str,
    /// 4 or 8: a 4-byte argument is compared on its low word only
    pub size: u8,
}

/// A syscall as a policy names it, resolved for one arch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syscall {
    /// What the kernel puts in seccomp_data.nr on this arch (x32 numbers include 0x40000000).
    pub nr: u32,
    /// libseccomp's name for `nr` on this arch (what OCI JSON must say), if it has one. For a
    /// syscall newer than the libseccomp the tables were generated from, the kernel table's
    /// name, which is what a newer libseccomp will call it.
    pub libseccomp_name: Option<&'static str>,
    /// The argument names and sizes, in order (at most 6); `None` when rpod does not know them
    /// for this arch (the policy must then name them: `pread64(fd, buf, count, pos_lo, pos_hi)`).
    pub args: Option<Vec<Arg>>,
}

/// Looks a syscall up by kernel name (`newfstat`) or libseccomp name (`fstat`) on `arch`.
///
/// A libseccomp name wins: on x86 `umount` is libseccomp's (number 22, the kernel's
/// `oldumount`), while on x86_64, where libseccomp has no `umount`, it is the kernel's name for
/// `umount2`. Names are case-sensitive.
#[must_use]
pub fn lookup(arch: Arch, name: &str) -> Option<Syscall> {
    let libseccomp_name = match table::entry(arch, name) {
        Some(entry) => entry.name,
        None => alias_target(arch, name)?,
    };
    let nr = table::number(arch, libseccomp_name)?;
    Some(Syscall {
        nr,
        libseccomp_name: Some(libseccomp_name),
        args: args(arch, libseccomp_name),
    })
}

/// The syscall with number `nr` on `arch` (for `SYSCALL[n]` and decompiling); args as `lookup`.
///
/// An unknown number gives `libseccomp_name: None` and `args: None`.
#[must_use]
pub fn by_number(arch: Arch, nr: u32) -> Syscall {
    let libseccomp_name = table::name(arch, nr);
    Syscall {
        nr,
        libseccomp_name,
        args: libseccomp_name.and_then(|name| args(arch, name)),
    }
}

/// The known name (kernel or libseccomp, on any arch) nearest to a misspelt one, for "did you
/// mean".
#[must_use]
pub fn suggest(name: &str) -> Option<&'static str> {
    profiles::suggest::nearest(name, known_names().iter().copied())
}

/// Whether `name` is a syscall name on any arch rpod knows (so "unknown on x86_64 but exists on
/// arm" can be told apart from a typo).
#[must_use]
pub fn is_known_anywhere(name: &str) -> bool {
    known_names().binary_search(&name).is_ok()
}

/// Kernel names that differ from libseccomp's on this arch, e.g. ("newfstat", "fstat") on
/// x86_64 — for docs and tests.
///
/// Sorted by kernel name. A kernel name that is also a libseccomp name on `arch` is not an
/// alias there (x86's `umount`, `select`, `getrlimit` are older syscalls).
#[must_use]
pub fn kernel_aliases(arch: Arch) -> Vec<(&'static str, &'static str)> {
    let rules = Rules::of(arch);
    let mut aliases: Vec<(&'static str, &'static str)> = rules
        .entries
        .iter()
        .flat_map(|list| list.iter())
        .filter(|(libseccomp, kernel)| {
            kernel != libseccomp
                && table::entry(arch, libseccomp).is_some()
                && table::entry(arch, kernel).is_none()
        })
        .map(|(libseccomp, kernel)| (*kernel, *libseccomp))
        .collect();
    aliases.sort_unstable();
    aliases.dedup();
    aliases
}

/// The release of the kernel whose trace events gave the argument names.
pub use generated::LINUX_RELEASE;

/// The libseccomp name on `arch` whose entry point the kernel calls `kernel`.
fn alias_target(arch: Arch, kernel: &str) -> Option<&'static str> {
    kernel_aliases(arch)
        .into_iter()
        .find(|(k, _)| *k == kernel)
        .map(|(_, libseccomp)| libseccomp)
}

/// Every libseccomp name on some arch and every kernel alias, sorted and deduplicated.
fn known_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = table::all_names().to_vec();
        for arch in Arch::with_tables() {
            names.extend(kernel_aliases(arch).into_iter().map(|(kernel, _)| kernel));
        }
        names.sort_unstable();
        names.dedup();
        names
    })
}

/// An entry point's arguments as its trace event lists them: `(name, C type, size in bytes on
/// x86_64)`.
type Signature = &'static [(&'static str, &'static str, u8)];

/// The x86_64 signature of the entry point the kernel calls `kernel`, from its trace event.
fn signature(kernel: &str) -> Option<Signature> {
    generated::SYSCALLS
        .binary_search_by(|(name, _)| (*name).cmp(kernel))
        .ok()
        .map(|i| generated::SYSCALLS[i].1)
}

/// The arguments of the syscall libseccomp calls `name` on `arch`.
fn args(arch: Arch, name: &'static str) -> Option<Vec<Arg>> {
    let rules = Rules::of(arch);
    if rules.unknown.iter().any(|list| list.contains(&name)) {
        return None;
    }
    let (kernel, order) = if name == "clone" {
        ("clone", Some(rules.clone))
    } else {
        (rules.entry_point(name), None)
    };
    let signature = signature(kernel)?;
    if rules.abi == Abi::Ilp32 && signature.iter().any(|(_, c_type, _)| is_always_64(c_type)) {
        // A 64-bit value takes two registers here, and the pair may start at the next even
        // register (arm, mips and ppc EABIs), so the x86_64 positions are wrong.
        return None;
    }
    let mut args: Vec<Arg> = signature
        .iter()
        .map(|(arg, _, size)| Arg {
            name: arg,
            size: if rules.abi == Abi::Ilp32 { 4 } else { *size },
        })
        .collect();
    if let Some(order) = order {
        args = order.arrange(&args)?;
    }
    Some(args)
}

/// C types that are 64 bits wide on every ABI (`include/linux/types.h`, `int-ll64.h`); `off_t`
/// and `long` are 32-bit on a 32-bit ABI and stay in one register.
fn is_always_64(c_type: &str) -> bool {
    let bare = c_type.trim_start_matches("const ").trim();
    matches!(
        bare,
        "loff_t" | "u64" | "__u64" | "s64" | "__s64" | "long long" | "unsigned long long"
    )
}

/// How an ABI passes syscall arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Abi {
    /// 64-bit registers and LP64 types: an argument has its x86_64 size.
    Lp64,
    /// ILP32 userspace on 64-bit registers (x32, MIPS n32): the kernel's native 64-bit entry
    /// points read whole registers, so an argument has its x86_64 size there too. Not 4 bytes
    /// for a pointer or `size_t` as in userspace C: `read`'s `count` is a 64-bit `size_t` in
    /// the kernel, and a filter comparing its low word only would pass `0x1_0000_0010` for 16.
    /// The compat entry points (`compat_sys_*`), whose types are 32-bit, are listed as unknown.
    Ilp32OnLp64,
    /// 32-bit registers: every argument is 4 bytes, and a 64-bit C type takes two registers.
    Ilp32,
}

/// The order of `clone`'s arguments (kernel/fork.c, `CONFIG_CLONE_BACKWARDS*` in arch/Kconfig).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloneOrder {
    /// x86_64's: `clone_flags, newsp, parent_tidptr, child_tidptr, tls`.
    Generic,
    /// `CLONE_BACKWARDS` (arm, arm64, mips, parisc, powerpc, riscv, x86-32): tls 4th.
    Backwards,
    /// `CLONE_BACKWARDS2` (s390): the stack first, then the flags.
    Backwards2,
}

impl CloneOrder {
    /// `args` (x86_64's order) in this order.
    fn arrange(self, args: &[Arg]) -> Option<Vec<Arg>> {
        let names: &[&str] = match self {
            CloneOrder::Generic => return Some(args.to_vec()),
            CloneOrder::Backwards => &[
                "clone_flags",
                "newsp",
                "parent_tidptr",
                "tls",
                "child_tidptr",
            ],
            CloneOrder::Backwards2 => &[
                "newsp",
                "clone_flags",
                "parent_tidptr",
                "child_tidptr",
                "tls",
            ],
        };
        if args.len() != names.len() {
            return None;
        }
        names
            .iter()
            .map(|name| args.iter().find(|a| a.name == *name).copied())
            .collect()
    }
}

/// What rpod knows about the entry points of one architecture.
struct Rules {
    abi: Abi,
    clone: CloneOrder,
    /// `(libseccomp name, kernel name)`: the entry point of the syscall libseccomp calls by the
    /// first name is the kernel's `sys_<second name>`, with that trace event's arguments. A
    /// libseccomp name not listed is `sys_<same name>`, or has no trace event and so no known
    /// arguments.
    entries: &'static [&'static [(&'static str, &'static str)]],
    /// libseccomp names whose entry point here is not the x86_64 one of the same name (an older
    /// syscall, an arch-specific or compat wrapper, `sys_ni_syscall`): no known arguments.
    unknown: &'static [&'static [&'static str]],
}

impl Rules {
    fn of(arch: Arch) -> Rules {
        use Abi::{Ilp32, Ilp32OnLp64, Lp64};
        use CloneOrder::{Backwards, Backwards2, Generic};
        let (abi, clone, entries, unknown): (_, _, &'static [_], &'static [_]) = match arch {
            Arch::X86_64 => (Lp64, Generic, &[X86_64], &[]),
            Arch::X32 => (Ilp32OnLp64, Generic, &[X86_64], &[X32_COMPAT]),
            Arch::X86 => (
                Ilp32,
                Backwards,
                &[
                    NEW_STAT, UMOUNT2, NEWSELECT, UGETRLIMIT, UID32, TIME64, TIME64_PTR,
                ],
                &[UID16, X86_OLD],
            ),
            Arch::Aarch64 | Arch::Riscv64 => {
                (Lp64, Backwards, &[NEW_STAT, UMOUNT2, SENDFILE64], &[])
            }
            Arch::Arm => (
                Ilp32,
                Backwards,
                &[
                    NEW_STAT, UMOUNT2, NEWSELECT, UGETRLIMIT, UID32, TIME64, TIME64_PTR,
                ],
                &[UID16, ARM_OWN],
            ),
            Arch::S390x => (
                Lp64,
                Backwards2,
                &[NEW_STAT, UMOUNT2, SENDFILE64],
                &[S390_OLD],
            ),
            Arch::S390 => (
                Ilp32,
                Backwards2,
                &[NEW_STAT, UMOUNT2, NEWSELECT, UGETRLIMIT, UID32, TIME64],
                &[UID16, S390_OLD, S390_OWN],
            ),
            Arch::Ppc64 | Arch::Ppc64le => (
                Lp64,
                Backwards,
                &[NEW_STAT, UMOUNT2, SENDFILE64, NEWSELECT, UGETRLIMIT],
                &[PPC_NI, PPC64_NI],
            ),
            Arch::Ppc => (
                Ilp32,
                Backwards,
                &[NEW_STAT, UMOUNT2, NEWSELECT, UGETRLIMIT, TIME64, TIME64_PTR],
                &[PPC_NI],
            ),
            Arch::Mips | Arch::Mipsel => (
                Ilp32,
                Backwards,
                &[NEW_STAT, UMOUNT2, NEWSELECT, TIME64, TIME64_PTR],
                &[MIPS_OWN, MIPS_O32_OWN],
            ),
            Arch::Mips64 | Arch::Mipsel64 => (
                Lp64,
                Backwards,
                &[NEW_STAT, UMOUNT2, SENDFILE64, NEWSELECT],
                &[MIPS_OWN, MIPS_OLD_IPC],
            ),
            Arch::Mips64n32 | Arch::Mipsel64n32 => (
                Ilp32OnLp64,
                Backwards,
                &[NEW_STAT, UMOUNT2, TIME64],
                &[MIPS_OWN, MIPS_N32_COMPAT],
            ),
            Arch::Parisc => (
                Ilp32,
                Backwards,
                &[NEW_STAT, UMOUNT2, NEWSELECT, TIME64, TIME64_PTR],
                &[PARISC_OWN],
            ),
            Arch::Parisc64 => (
                Lp64,
                Backwards,
                &[NEW_STAT, UMOUNT2, NEWSELECT],
                &[PARISC_OWN],
            ),
        };
        Rules {
            abi,
            clone,
            entries,
            unknown,
        }
    }

    /// The kernel name of the entry point libseccomp calls `name`.
    fn entry_point(&self, name: &'static str) -> &'static str {
        self.entries
            .iter()
            .flat_map(|list| list.iter())
            .find(|(libseccomp, _)| *libseccomp == name)
            .map_or(name, |(_, kernel)| kernel)
    }
}

// The tables below name entry points as arch/x86/entry/syscalls/syscall_64.tbl and the other
// architectures' tables do (`<number> <abi> <name> <entry point>`), without `sys_`. A wrong row
// maps a policy to the wrong syscall number, so each was checked against those tables.

/// x86_64 and x32, from syscall_64.tbl: `4 common stat sys_newstat`,
/// `5 common fstat sys_newfstat`, `6 common lstat sys_newlstat`,
/// `40 common sendfile sys_sendfile64`, `63 common uname sys_newuname`,
/// `166 common umount2 sys_umount`.
const X86_64: &[(&str, &str)] = &[
    ("stat", "newstat"),
    ("fstat", "newfstat"),
    ("lstat", "newlstat"),
    ("sendfile", "sendfile64"),
    ("uname", "newuname"),
    ("umount2", "umount"),
];

/// Every table but riscv's and arm64's, which only have `fstat` and `uname` of these (e.g.
/// `106 i386 stat sys_newstat`, `80 64 fstat sys_newfstat` in scripts/syscall.tbl,
/// `122 common uname sys_newuname` on s390, `106 o32 stat sys_newstat`).
const NEW_STAT: &[(&str, &str)] = &[
    ("stat", "newstat"),
    ("fstat", "newfstat"),
    ("lstat", "newlstat"),
    ("uname", "newuname"),
];

/// Every table: `umount2` is `sys_umount`; `umount`, where an ABI has it, is `sys_oldumount`.
const UMOUNT2: &[(&str, &str)] = &[("umount2", "umount")];

/// The 64-bit ABIs with a `sendfile` of 64-bit offsets (`71 64 sendfile sys_sendfile64` in
/// scripts/syscall.tbl; s390x, ppc64 and mips n64 alike). Not parisc64, whose `sendfile` is
/// `sys_sendfile`, nor the 32-bit ABIs, which have `sendfile64` besides.
const SENDFILE64: &[(&str, &str)] = &[("sendfile", "sendfile64")];

/// `142 i386 _newselect sys_select` (also arm, s390, powerpc, mips o32 and n64, parisc); the
/// older `select`, where an ABI has it, is `sys_old_select` or `sys_ni_syscall`.
const NEWSELECT: &[(&str, &str)] = &[("_newselect", "select")];

/// `191 i386 ugetrlimit sys_getrlimit` (also arm, s390; 190 on powerpc); `getrlimit` at 76 is
/// `sys_old_getrlimit` or absent.
const UGETRLIMIT: &[(&str, &str)] = &[("ugetrlimit", "getrlimit")];

/// The 32-bit uid calls (x86, arm, s390: `199 i386 getuid32 sys_getuid`); the unsuffixed names
/// are the 16-bit calls in [`UID16`].
const UID32: &[(&str, &str)] = &[
    ("chown32", "chown"),
    ("fchown32", "fchown"),
    ("lchown32", "lchown"),
    ("getuid32", "getuid"),
    ("getgid32", "getgid"),
    ("geteuid32", "geteuid"),
    ("getegid32", "getegid"),
    ("setuid32", "setuid"),
    ("setgid32", "setgid"),
    ("setreuid32", "setreuid"),
    ("setregid32", "setregid"),
    ("setresuid32", "setresuid"),
    ("getresuid32", "getresuid"),
    ("setresgid32", "setresgid"),
    ("getresgid32", "getresgid"),
    ("getgroups32", "getgroups"),
    ("setgroups32", "setgroups"),
    ("setfsuid32", "setfsuid"),
    ("setfsgid32", "setfsgid"),
];

/// The 64-bit time calls of the 32-bit ABIs (403..=423 since Linux 5.1, e.g.
/// `403 i386 clock_gettime64 sys_clock_gettime`); the unsuffixed names there are the `_time32`
/// entry points, which take the same arguments in the same order. MIPS n32 and s390 have these
/// as `sys_*` too.
const TIME64: &[(&str, &str)] = &[
    ("clock_gettime64", "clock_gettime"),
    ("clock_settime64", "clock_settime"),
    ("clock_adjtime64", "clock_adjtime"),
    ("clock_getres_time64", "clock_getres"),
    ("clock_nanosleep_time64", "clock_nanosleep"),
    ("timer_gettime64", "timer_gettime"),
    ("timer_settime64", "timer_settime"),
    ("timerfd_gettime64", "timerfd_gettime"),
    ("timerfd_settime64", "timerfd_settime"),
    ("utimensat_time64", "utimensat"),
    ("mq_timedsend_time64", "mq_timedsend"),
    ("mq_timedreceive_time64", "mq_timedreceive"),
    ("semtimedop_time64", "semtimedop"),
    ("futex_time64", "futex"),
    ("sched_rr_get_interval_time64", "sched_rr_get_interval"),
];

/// More 64-bit time calls that are `sys_*` on x86, arm, powerpc, mips o32 and parisc, but
/// `compat_sys_*` on s390 and MIPS n32 (`413 32 pselect6_time64 - compat_sys_pselect6_time64`).
const TIME64_PTR: &[(&str, &str)] = &[
    ("pselect6_time64", "pselect6"),
    ("ppoll_time64", "ppoll"),
    ("io_pgetevents_time64", "io_pgetevents"),
    ("recvmmsg_time64", "recvmmsg"),
    ("rt_sigtimedwait_time64", "rt_sigtimedwait"),
];

/// The 16-bit uid calls of x86, arm and s390 (`23 i386 setuid sys_setuid16`). Their arguments
/// are `old_uid_t`, 16 bits: the kernel ignores the upper bits (`setuid(0x10000)` is
/// `setuid(0)`), which a comparison of the low word does not, so rpod gives no argument
/// names rather than ones that invite a bypassable rule.
const UID16: &[&str] = &[
    "chown",
    "fchown",
    "lchown",
    "getuid",
    "getgid",
    "geteuid",
    "getegid",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "getresuid",
    "setresgid",
    "getresgid",
    "getgroups",
    "setgroups",
    "setfsuid",
    "setfsgid",
];

/// x86's older calls: `90 i386 mmap sys_old_mmap` (one pointer to a struct),
/// `82 i386 select sys_old_select`, `22 i386 umount sys_oldumount` (no flags).
const X86_OLD: &[&str] = &["mmap", "select", "umount"];

/// arm (EABI): `rt_sigreturn` is `sys_rt_sigreturn_wrapper`; the IPC controls are
/// `sys_old_semctl`, `sys_old_msgctl`, `sys_old_shmctl`, which read `cmd` without `IPC_64`.
const ARM_OWN: &[&str] = &["rt_sigreturn", "semctl", "msgctl", "shmctl"];

/// s390 and s390x: `90 common mmap sys_old_mmap`, `22 common umount sys_oldumount`.
const S390_OLD: &[&str] = &["mmap", "umount"];

/// s390 (31-bit): `101 32 ioperm -` (no entry point).
const S390_OWN: &[&str] = &["ioperm"];

/// powerpc: `sys_ni_syscall` for x86's I/O calls; `22 32 umount sys_oldumount` and
/// `82 32 select sys_old_select` on ppc, `sys_ni_syscall` on ppc64.
const PPC_NI: &[&str] = &["ioperm", "iopl", "modify_ldt", "select", "umount"];

/// ppc64: `76 64 getrlimit sys_ni_syscall` (ppc's 76 is `sys_old_getrlimit`, with the same
/// arguments as `getrlimit`).
const PPC64_NI: &[&str] = &["getrlimit"];

/// All MIPS ABIs: `pipe` is `sysm_pipe` (no arguments: both fds come back in registers),
/// `rt_sigreturn` is the ABI's own.
const MIPS_OWN: &[&str] = &["pipe", "rt_sigreturn"];

/// MIPS o32: `4022 o32 umount sys_oldumount`; `sys_ni_syscall` for x86's I/O calls.
const MIPS_O32_OWN: &[&str] = &["umount", "ioperm", "iopl", "modify_ldt"];

/// MIPS n64: `30 n64 shmctl sys_old_shmctl` and the same for semctl and msgctl.
const MIPS_OLD_IPC: &[&str] = &["semctl", "msgctl", "shmctl"];

/// parisc and parisc64: `173 common rt_sigreturn sys_rt_sigreturn_wrapper`.
const PARISC_OWN: &[&str] = &["rt_sigreturn"];

/// x32's own numbers 512..=547 in syscall_64.tbl whose entry points are `compat_sys_*`, with
/// 32-bit types where x86_64's have 64-bit ones (`514 x32 ioctl compat_sys_ioctl`;
/// `534 x32 preadv compat_sys_preadv64` even takes the offset in one register).
const X32_COMPAT: &[&str] = &[
    "rt_sigaction",
    "rt_sigreturn",
    "ioctl",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "execve",
    "ptrace",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "sigaltstack",
    "timer_create",
    "mq_notify",
    "waitid",
    "set_robust_list",
    "get_robust_list",
    "io_setup",
    "io_submit",
    "preadv",
    "pwritev",
    "rt_tgsigqueueinfo",
    "recvmmsg",
    "sendmmsg",
    "execveat",
    "preadv2",
    "pwritev2",
];

/// MIPS n32's `compat_sys_*` entry points (arch/mips/kernel/syscalls/syscall_n32.tbl, e.g.
/// `15 n32 ioctl compat_sys_ioctl`), for the reason given at [`X32_COMPAT`].
const MIPS_N32_COMPAT: &[&str] = &[
    "epoll_pwait",
    "epoll_pwait2",
    "execve",
    "execveat",
    "fcntl",
    "fstatfs",
    "get_robust_list",
    "getdents",
    "getitimer",
    "getrlimit",
    "getrusage",
    "gettimeofday",
    "io_pgetevents",
    "io_setup",
    "io_submit",
    "ioctl",
    "keyctl",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "msgctl",
    "msgrcv",
    "msgsnd",
    "ppoll",
    "preadv",
    "preadv2",
    "pselect6",
    "ptrace",
    "pwritev",
    "pwritev2",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_setaffinity",
    "semctl",
    "sendmmsg",
    "sendmsg",
    "set_robust_list",
    "setitimer",
    "setrlimit",
    "settimeofday",
    "shmctl",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "statfs",
    "sysinfo",
    "timer_create",
    "times",
    "ustat",
    "wait4",
    "waitid",
];

#[cfg(test)]
mod tests {
    use super::*;
    use profiles::arch::X32_SYSCALL_BIT;

    fn arg(name: &'static str, size: u8) -> Arg {
        Arg { name, size }
    }

    fn args_of(arch: Arch, name: &str) -> Option<Vec<Arg>> {
        lookup(arch, name)
            .unwrap_or_else(|| panic!("{arch} has {name}"))
            .args
    }

    #[test]
    fn write_on_x86_64_has_a_32_bit_fd() {
        let write = lookup(Arch::X86_64, "write").expect("x86_64 has write");
        assert_eq!(write.nr, 1);
        assert_eq!(write.libseccomp_name, Some("write"));
        assert_eq!(
            write.args,
            Some(vec![arg("fd", 4), arg("buf", 8), arg("count", 8)])
        );
    }

    #[test]
    fn kernel_and_libseccomp_names_resolve_to_the_same_syscall() {
        let kernel = lookup(Arch::X86_64, "newfstat").expect("kernel name resolves");
        let libseccomp = lookup(Arch::X86_64, "fstat").expect("libseccomp name resolves");
        assert_eq!(kernel, libseccomp);
        assert_eq!(kernel.nr, 5);
        assert_eq!(kernel.libseccomp_name, Some("fstat"));
        assert_eq!(kernel.args, Some(vec![arg("fd", 4), arg("statbuf", 8)]));
        let uname = lookup(Arch::X86_64, "newuname").expect("newuname resolves");
        assert_eq!(uname.libseccomp_name, Some("uname"));
        assert_eq!(uname.nr, 63);
        let umount = lookup(Arch::X86_64, "umount").expect("umount resolves");
        assert_eq!(umount.libseccomp_name, Some("umount2"));
        assert_eq!(umount.args, Some(vec![arg("name", 8), arg("flags", 4)]));
    }

    #[test]
    fn x32_numbers_carry_the_x32_bit() {
        let read = lookup(Arch::X32, "read").expect("x32 has read");
        assert_eq!(read.nr, X32_SYSCALL_BIT);
        let fstat = lookup(Arch::X32, "newfstat").expect("x32 has newfstat");
        assert_eq!(fstat.nr, X32_SYSCALL_BIT | 5);
        // The kernel reads whole registers for x32's sys_read: count is 64 bits there.
        assert_eq!(
            read.args,
            Some(vec![arg("fd", 4), arg("buf", 8), arg("count", 8)])
        );
        // x32's own ioctl is compat_sys_ioctl, with a 32-bit arg.
        let ioctl = lookup(Arch::X32, "ioctl").expect("x32 has ioctl");
        assert_eq!(ioctl.nr, X32_SYSCALL_BIT | 514);
        assert_eq!(ioctl.args, None);
    }

    #[test]
    fn split_64_bit_arguments_on_32_bit_arches_have_no_names() {
        assert_eq!(args_of(Arch::X86, "pread64"), None);
        assert_eq!(args_of(Arch::Arm, "fallocate"), None);
        assert_eq!(
            args_of(Arch::X86, "write"),
            Some(vec![arg("fd", 4), arg("buf", 4), arg("count", 4)])
        );
        // A 64-bit register holds a 64-bit offset whole.
        assert_eq!(
            args_of(Arch::Aarch64, "pread64"),
            Some(vec![
                arg("fd", 4),
                arg("buf", 8),
                arg("count", 8),
                arg("pos", 8)
            ])
        );
        assert_eq!(
            args_of(Arch::X32, "pread64"),
            Some(vec![
                arg("fd", 4),
                arg("buf", 8),
                arg("count", 8),
                arg("pos", 8)
            ])
        );
    }

    #[test]
    fn older_syscalls_of_the_same_name_have_no_names() {
        // x86's umount is oldumount (number 22), not x86_64's umount2.
        let umount = lookup(Arch::X86, "umount").expect("x86 has umount");
        assert_eq!(umount.nr, 22);
        assert_eq!(umount.args, None);
        let umount2 = lookup(Arch::X86, "umount2").expect("x86 has umount2");
        assert_eq!(umount2.args, Some(vec![arg("name", 4), arg("flags", 4)]));
        assert_eq!(args_of(Arch::X86, "mmap"), None);
        assert_eq!(args_of(Arch::S390x, "mmap"), None);
        assert_eq!(args_of(Arch::X86, "setuid"), None);
        assert_eq!(args_of(Arch::X86, "setuid32"), Some(vec![arg("uid", 4)]));
        // The time32 variants take the same arguments.
        assert_eq!(
            args_of(Arch::Arm, "futex"),
            args_of(Arch::Arm, "futex_time64")
        );
        assert!(args_of(Arch::Arm, "futex").is_some());
    }

    #[test]
    fn clone_follows_each_arches_argument_order() {
        let names = |arch| -> Vec<&str> {
            args_of(arch, "clone")
                .expect("clone's arguments are known")
                .iter()
                .map(|a| a.name)
                .collect()
        };
        assert_eq!(
            names(Arch::X86_64),
            [
                "clone_flags",
                "newsp",
                "parent_tidptr",
                "child_tidptr",
                "tls"
            ]
        );
        for arch in [
            Arch::Aarch64,
            Arch::Riscv64,
            Arch::Arm,
            Arch::X86,
            Arch::Ppc64le,
        ] {
            assert_eq!(
                names(arch),
                [
                    "clone_flags",
                    "newsp",
                    "parent_tidptr",
                    "tls",
                    "child_tidptr"
                ],
                "{arch}"
            );
        }
        assert_eq!(
            names(Arch::S390x),
            [
                "newsp",
                "clone_flags",
                "parent_tidptr",
                "child_tidptr",
                "tls"
            ]
        );
    }

    #[test]
    fn unknown_names_and_numbers() {
        assert_eq!(lookup(Arch::X86_64, "opne"), None);
        assert_eq!(lookup(Arch::X86_64, "Write"), None);
        // aarch64 has only the *at variants.
        assert_eq!(lookup(Arch::Aarch64, "open"), None);
        assert!(is_known_anywhere("open"));
        assert!(is_known_anywhere("newfstat"));
        assert!(!is_known_anywhere("opne"));
        assert_eq!(
            by_number(Arch::X86_64, 100_000),
            Syscall {
                nr: 100_000,
                libseccomp_name: None,
                args: None,
            }
        );
        let read = by_number(Arch::X86_64, 0);
        assert_eq!(read.libseccomp_name, Some("read"));
        assert!(read.args.is_some());
    }

    #[test]
    fn suggests_the_nearest_name() {
        assert_eq!(suggest("opne"), Some("open"));
        assert_eq!(suggest("newfsat"), Some("newfstat"));
        assert_eq!(suggest("zzzzzzzz"), None);
    }

    #[test]
    fn x86_64_aliases_are_the_entry_points_of_syscall_64_tbl() {
        assert_eq!(
            kernel_aliases(Arch::X86_64),
            [
                ("newfstat", "fstat"),
                ("newlstat", "lstat"),
                ("newstat", "stat"),
                ("newuname", "uname"),
                ("sendfile64", "sendfile"),
                ("umount", "umount2"),
            ]
        );
    }

    #[test]
    fn every_alias_maps_to_a_libseccomp_name_and_back() {
        for arch in Arch::with_tables() {
            for (kernel, libseccomp) in kernel_aliases(arch) {
                assert!(
                    table::entry(arch, libseccomp).is_some(),
                    "{arch}: {kernel} -> {libseccomp}"
                );
                assert!(table::entry(arch, kernel).is_none(), "{arch}: {kernel}");
                assert_eq!(lookup(arch, kernel), lookup(arch, libseccomp), "{arch}");
            }
            let aliases = kernel_aliases(arch);
            assert!(
                aliases.windows(2).all(|w| w[0].0 < w[1].0),
                "{arch}: one kernel name, two syscalls"
            );
        }
    }

    #[test]
    fn the_generated_table_is_sorted_and_well_formed() {
        let names: Vec<&str> = generated::SYSCALLS.iter().map(|(n, _)| *n).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert!(names.len() > 300, "only {} syscalls", names.len());
        for (name, args) in generated::SYSCALLS {
            assert!(args.len() <= 6, "{name}");
            assert!(
                args.iter().all(|(_, _, size)| *size == 4 || *size == 8),
                "{name}"
            );
            assert_eq!(signature(name), Some(*args));
        }
        assert!(LINUX_RELEASE.split('.').count() == 2);
    }

    #[test]
    fn rule_tables_name_real_syscalls() {
        for arch in Arch::with_tables() {
            let rules = Rules::of(arch);
            for (libseccomp, kernel) in rules.entries.iter().flat_map(|l| l.iter()) {
                assert!(table::is_known(libseccomp), "{libseccomp}");
                assert!(signature(kernel).is_some(), "{kernel} has no trace event");
            }
            for name in rules.unknown.iter().flat_map(|l| l.iter()) {
                assert!(table::entry(arch, name).is_some(), "{arch}: {name}");
            }
        }
    }
}
