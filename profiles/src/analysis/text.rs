//! Argument conditions as a reviewer reads them: `args[0] == AF_NETLINK(16)`,
//! `(args[0] & CLONE_NEW*(0x7e020000)) == 0`, with the well-known constants of that syscall and
//! argument; and the line wrapping `lint` and `explain` print with.

use crate::arch::Arch;
use crate::model::{ArgCondition, Op};

use super::risk::{clone_flags_index, CLONE_NS_MASK};

type Names = &'static [(u64, &'static str)];

const AF: Names = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (3, "AF_AX25"),
    (4, "AF_IPX"),
    (5, "AF_APPLETALK"),
    (9, "AF_X25"),
    (10, "AF_INET6"),
    (12, "AF_DECnet"),
    (15, "AF_KEY"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (21, "AF_RDS"),
    (24, "AF_PPPOX"),
    (26, "AF_LLC"),
    (29, "AF_CAN"),
    (30, "AF_TIPC"),
    (31, "AF_BLUETOOTH"),
    (36, "AF_IEEE802154"),
    (38, "AF_ALG"),
    (39, "AF_NFC"),
    (40, "AF_VSOCK"),
    (42, "AF_QIPCRTR"),
    (43, "AF_SMC"),
    (44, "AF_XDP"),
    (45, "AF_MCTP"),
];

const SOCK_TYPE: Names = &[
    (1, "SOCK_STREAM"),
    (2, "SOCK_DGRAM"),
    (3, "SOCK_RAW"),
    (4, "SOCK_RDM"),
    (5, "SOCK_SEQPACKET"),
    (6, "SOCK_DCCP"),
    (10, "SOCK_PACKET"),
];

const SOCK_FLAGS: Names = &[(0x800, "SOCK_NONBLOCK"), (0x8_0000, "SOCK_CLOEXEC")];

const NETLINK: Names = &[
    (0, "NETLINK_ROUTE"),
    (2, "NETLINK_USERSOCK"),
    (4, "NETLINK_SOCK_DIAG"),
    (6, "NETLINK_XFRM"),
    (7, "NETLINK_SELINUX"),
    (9, "NETLINK_AUDIT"),
    (10, "NETLINK_FIB_LOOKUP"),
    (11, "NETLINK_CONNECTOR"),
    (12, "NETLINK_NETFILTER"),
    (15, "NETLINK_KOBJECT_UEVENT"),
    (16, "NETLINK_GENERIC"),
    (21, "NETLINK_CRYPTO"),
];

const IPPROTO: Names = &[
    (0, "IPPROTO_IP"),
    (1, "IPPROTO_ICMP"),
    (6, "IPPROTO_TCP"),
    (17, "IPPROTO_UDP"),
    (58, "IPPROTO_ICMPV6"),
    (132, "IPPROTO_SCTP"),
    (255, "IPPROTO_RAW"),
];

const CLONE_FLAGS: Names = &[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"),
    (0x2000, "CLONE_PTRACE"),
    (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"),
    (0x1_0000, "CLONE_THREAD"),
    (0x2_0000, "CLONE_NEWNS"),
    (0x4_0000, "CLONE_SYSVSEM"),
    (0x8_0000, "CLONE_SETTLS"),
    (0x10_0000, "CLONE_PARENT_SETTID"),
    (0x20_0000, "CLONE_CHILD_CLEARTID"),
    (0x40_0000, "CLONE_DETACHED"),
    (0x80_0000, "CLONE_UNTRACED"),
    (0x100_0000, "CLONE_CHILD_SETTID"),
    (0x200_0000, "CLONE_NEWCGROUP"),
    (0x400_0000, "CLONE_NEWUTS"),
    (0x800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
    (0x8000_0000, "CLONE_IO"),
];

const UNSHARE_FLAGS: Names = &[
    (0x80, "CLONE_NEWTIME"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x2_0000, "CLONE_NEWNS"),
    (0x4_0000, "CLONE_SYSVSEM"),
    (0x200_0000, "CLONE_NEWCGROUP"),
    (0x400_0000, "CLONE_NEWUTS"),
    (0x800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
];

const NSTYPE: Names = &[
    (0, "any namespace"),
    (0x80, "CLONE_NEWTIME"),
    (0x2_0000, "CLONE_NEWNS"),
    (0x200_0000, "CLONE_NEWCGROUP"),
    (0x400_0000, "CLONE_NEWUTS"),
    (0x800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
];

const PERSONA: Names = &[
    (0, "PER_LINUX"),
    (0x8, "PER_LINUX32"),
    (0x2_0000, "UNAME26"),
    (0x2_0008, "PER_LINUX32|UNAME26"),
    (0xffff_ffff, "query"),
];

const PERSONA_FLAGS: Names = &[
    (0x8, "PER_LINUX32"),
    (0x2_0000, "UNAME26"),
    (0x4_0000, "ADDR_NO_RANDOMIZE"),
    (0x8_0000, "FDPIC_FUNCPTRS"),
    (0x10_0000, "MMAP_PAGE_ZERO"),
    (0x20_0000, "ADDR_COMPAT_LAYOUT"),
    (0x40_0000, "READ_IMPLIES_EXEC"),
    (0x80_0000, "ADDR_LIMIT_32BIT"),
    (0x100_0000, "SHORT_INODE"),
    (0x200_0000, "WHOLE_SECONDS"),
    (0x400_0000, "STICKY_TIMEOUTS"),
    (0x800_0000, "ADDR_LIMIT_3GB"),
];

const PROT: Names = &[(0, "PROT_NONE")];
const PROT_FLAGS: Names = &[
    (0x1, "PROT_READ"),
    (0x2, "PROT_WRITE"),
    (0x4, "PROT_EXEC"),
    (0x8, "PROT_SEM"),
];

const PRCTL: Names = &[
    (1, "PR_SET_PDEATHSIG"),
    (2, "PR_GET_PDEATHSIG"),
    (3, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (7, "PR_GET_KEEPCAPS"),
    (8, "PR_SET_KEEPCAPS"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (39, "PR_GET_NO_NEW_PRIVS"),
    (47, "PR_CAP_AMBIENT"),
    (0x5961_6d61, "PR_SET_PTRACER"),
];

const PTRACE: Names = &[
    (0, "PTRACE_TRACEME"),
    (1, "PTRACE_PEEKTEXT"),
    (2, "PTRACE_PEEKDATA"),
    (3, "PTRACE_PEEKUSER"),
    (4, "PTRACE_POKETEXT"),
    (5, "PTRACE_POKEDATA"),
    (6, "PTRACE_POKEUSER"),
    (7, "PTRACE_CONT"),
    (8, "PTRACE_KILL"),
    (9, "PTRACE_SINGLESTEP"),
    (12, "PTRACE_GETREGS"),
    (13, "PTRACE_SETREGS"),
    (16, "PTRACE_ATTACH"),
    (17, "PTRACE_DETACH"),
    (24, "PTRACE_SYSCALL"),
    (0x4200, "PTRACE_SETOPTIONS"),
    (0x4206, "PTRACE_SEIZE"),
];

const SECCOMP_OPS: Names = &[
    (0, "SECCOMP_SET_MODE_STRICT"),
    (1, "SECCOMP_SET_MODE_FILTER"),
    (2, "SECCOMP_GET_ACTION_AVAIL"),
    (3, "SECCOMP_GET_NOTIF_SIZES"),
];

// Terminal ioctls as numbered on x86, arm, aarch64, riscv and s390 (asm-generic/ioctls.h).
const TTY_IOCTL: Names = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x540e, "TIOCSCTTY"),
    (0x5412, "TIOCSTI"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541b, "FIONREAD"),
    (0x541c, "TIOCLINUX"),
];

const MOUNT_FLAGS: Names = &[
    (0x1, "MS_RDONLY"),
    (0x2, "MS_NOSUID"),
    (0x4, "MS_NODEV"),
    (0x8, "MS_NOEXEC"),
    (0x10, "MS_SYNCHRONOUS"),
    (0x20, "MS_REMOUNT"),
    (0x1000, "MS_BIND"),
    (0x2000, "MS_MOVE"),
    (0x4000, "MS_REC"),
    (0x2_0000, "MS_UNBINDABLE"),
    (0x4_0000, "MS_PRIVATE"),
    (0x8_0000, "MS_SLAVE"),
    (0x10_0000, "MS_SHARED"),
];

/// The constants for one argument: exact values first, then flags a value may be made of.
fn constants(
    syscall: &str,
    index: u8,
    host: Arch,
    rule_args: &[ArgCondition],
) -> Option<(Names, Names)> {
    let pinned_family = || {
        rule_args
            .iter()
            .find(|c| c.index == 0 && c.op == Op::Eq)
            .map(|c| c.value)
    };
    Some(match (syscall, index) {
        ("socket" | "socketpair", 0) => (AF, &[]),
        ("socket" | "socketpair", 1) => (SOCK_TYPE, SOCK_FLAGS),
        ("socket", 2) => match pinned_family() {
            Some(16) => (NETLINK, &[]),
            Some(2 | 10) => (IPPROTO, &[]),
            _ => return None,
        },
        ("clone", i) if i == clone_flags_index(host) => (&[], CLONE_FLAGS),
        ("unshare", 0) => (&[], UNSHARE_FLAGS),
        ("setns", 1) => (NSTYPE, &[]),
        ("personality", 0) => (PERSONA, PERSONA_FLAGS),
        ("mmap" | "mmap2" | "mprotect" | "pkey_mprotect", 2) => (PROT, PROT_FLAGS),
        ("prctl", 0) => (PRCTL, &[]),
        ("ptrace", 0) => (PTRACE, &[]),
        ("seccomp", 0) => (SECCOMP_OPS, &[]),
        ("ioctl", 1) => (TTY_IOCTL, &[]),
        ("mount", 3) => (&[], MOUNT_FLAGS),
        _ => return None,
    })
}

/// A number as people write it: decimal below 4096, hex above.
fn num(v: u64) -> String {
    if v < 4096 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// `NAME(v)` for a known value, `A|B(v)` for known flags, else the number.
fn symbolic(v: u64, names: Option<(Names, Names)>) -> String {
    let Some((values, flags)) = names else {
        return num(v);
    };
    if let Some((_, n)) = values.iter().find(|(x, _)| *x == v) {
        return format!("{n}({})", num(v));
    }
    if flags.is_empty() || v == 0 {
        return num(v);
    }
    if flags == CLONE_FLAGS && v == CLONE_NS_MASK {
        return format!("CLONE_NEW*({v:#x})");
    }
    let known: u64 = flags.iter().fold(0, |m, (b, _)| m | b);
    if v & !known != 0 {
        return num(v);
    }
    let parts: Vec<&str> = flags
        .iter()
        .filter(|(b, _)| v & b != 0)
        .map(|(_, n)| *n)
        .collect();
    format!("{}({})", parts.join("|"), num(v))
}

/// One condition as an expression with well-known constants: `args[0] == AF_NETLINK(16)`,
/// `(args[0] & CLONE_NEW*(0x7e020000)) == 0`. `rule_args` are the other conditions of the same
/// rule (the meaning of socket's protocol depends on the family).
#[must_use]
pub fn condition(
    syscall: &str,
    c: &ArgCondition,
    host: Arch,
    rule_args: &[ArgCondition],
) -> String {
    let names = constants(syscall, c.index, host, rule_args);
    match c.op {
        Op::MaskedEq => {
            let value = if c.value_two == 0 {
                "0".to_string()
            } else if c.value_two == c.value {
                // (x & m) == m: every flag in m is set; the mask already names them.
                num(c.value_two)
            } else {
                symbolic(c.value_two, names)
            };
            format!(
                "(args[{}] & {}) == {value}",
                c.index,
                symbolic(c.value, names)
            )
        }
        // A named constant reads as a claim about that value; after < or >= it would mislead.
        Op::Eq | Op::Ne => format!(
            "args[{}] {} {}",
            c.index,
            c.op.symbol(),
            symbolic(c.value, names)
        ),
        op => format!("args[{}] {} {}", c.index, op.symbol(), num(c.value)),
    }
}

// ---------------------------------------------------------------------------------------------
// Text

/// Wraps `text` at `width` columns, the first line indented by `first`, the others by `rest`;
/// every line ends with a newline. Words longer than a line are kept whole.
#[must_use]
pub fn wrap(text: &str, width: usize, first: usize, rest: usize) -> String {
    wrap_after(&" ".repeat(first), text, width, rest)
}

/// [`wrap`] with the first line starting with `prefix` as given (spaces kept).
pub(crate) fn wrap_after(prefix: &str, text: &str, width: usize, rest: usize) -> String {
    let mut out = String::new();
    let mut line = prefix.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}
