//! Argument conditions as a reviewer reads them: `args[0] == AF_NETLINK(16)`,
//! `(args[0] & CLONE_NEW*(0x7e020000)) == 0`, with the well-known constants of that syscall and
//! argument; and the line wrapping `lint` and `explain` print with.

use crate::arch::Arch;
use crate::model::{ArgCondition, Op};

use super::risk::{clone_flags_index, CLONE_NS_MASK};

type Names = &'static [(u64, &'static str)];

// Address families (linux/socket.h), the same on every arch.
const AF: Names = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (3, "AF_AX25"),
    (4, "AF_IPX"),
    (5, "AF_APPLETALK"),
    (6, "AF_NETROM"),
    (7, "AF_BRIDGE"),
    (8, "AF_ATMPVC"),
    (9, "AF_X25"),
    (10, "AF_INET6"),
    (11, "AF_ROSE"),
    (12, "AF_DECnet"),
    (13, "AF_NETBEUI"),
    (14, "AF_SECURITY"),
    (15, "AF_KEY"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (18, "AF_ASH"),
    (19, "AF_ECONET"),
    (20, "AF_ATMSVC"),
    (21, "AF_RDS"),
    (22, "AF_SNA"),
    (23, "AF_IRDA"),
    (24, "AF_PPPOX"),
    (25, "AF_WANPIPE"),
    (26, "AF_LLC"),
    (27, "AF_IB"),
    (28, "AF_MPLS"),
    (29, "AF_CAN"),
    (30, "AF_TIPC"),
    (31, "AF_BLUETOOTH"),
    (32, "AF_IUCV"),
    (33, "AF_RXRPC"),
    (34, "AF_ISDN"),
    (35, "AF_PHONET"),
    (36, "AF_IEEE802154"),
    (37, "AF_CAIF"),
    (38, "AF_ALG"),
    (39, "AF_NFC"),
    (40, "AF_VSOCK"),
    (41, "AF_KCM"),
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

// Netlink protocols (linux/netlink.h).
const NETLINK: Names = &[
    (0, "NETLINK_ROUTE"),
    (1, "NETLINK_UNUSED"),
    (2, "NETLINK_USERSOCK"),
    (3, "NETLINK_FIREWALL"),
    (4, "NETLINK_SOCK_DIAG"),
    (5, "NETLINK_NFLOG"),
    (6, "NETLINK_XFRM"),
    (7, "NETLINK_SELINUX"),
    (8, "NETLINK_ISCSI"),
    (9, "NETLINK_AUDIT"),
    (10, "NETLINK_FIB_LOOKUP"),
    (11, "NETLINK_CONNECTOR"),
    (12, "NETLINK_NETFILTER"),
    (13, "NETLINK_IP6_FW"),
    (14, "NETLINK_DNRTMSG"),
    (15, "NETLINK_KOBJECT_UEVENT"),
    (16, "NETLINK_GENERIC"),
    (18, "NETLINK_SCSITRANSPORT"),
    (19, "NETLINK_ECRYPTFS"),
    (20, "NETLINK_RDMA"),
    (21, "NETLINK_CRYPTO"),
    (22, "NETLINK_SMC"),
];

// IP protocols (linux/in.h, linux/in6.h).
const IPPROTO: Names = &[
    (0, "IPPROTO_IP"),
    (1, "IPPROTO_ICMP"),
    (2, "IPPROTO_IGMP"),
    (4, "IPPROTO_IPIP"),
    (6, "IPPROTO_TCP"),
    (8, "IPPROTO_EGP"),
    (12, "IPPROTO_PUP"),
    (17, "IPPROTO_UDP"),
    (22, "IPPROTO_IDP"),
    (29, "IPPROTO_TP"),
    (33, "IPPROTO_DCCP"),
    (41, "IPPROTO_IPV6"),
    (46, "IPPROTO_RSVP"),
    (47, "IPPROTO_GRE"),
    (50, "IPPROTO_ESP"),
    (51, "IPPROTO_AH"),
    (58, "IPPROTO_ICMPV6"),
    (92, "IPPROTO_MTP"),
    (94, "IPPROTO_BEETPH"),
    (98, "IPPROTO_ENCAP"),
    (103, "IPPROTO_PIM"),
    (108, "IPPROTO_COMP"),
    (115, "IPPROTO_L2TP"),
    (132, "IPPROTO_SCTP"),
    (136, "IPPROTO_UDPLITE"),
    (137, "IPPROTO_MPLS"),
    (143, "IPPROTO_ETHERNET"),
    (255, "IPPROTO_RAW"),
    (262, "IPPROTO_MPTCP"),
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

/// The exit signal in clone's low byte (`CSIGNAL`), numbered as on x86, arm and the generic
/// arches (asm-generic/signal.h).
const SIGNALS: Names = &[
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGSTKFLT"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGURG"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGIO"),
    (30, "SIGPWR"),
    (31, "SIGSYS"),
];

/// `CSIGNAL`: clone's low byte is the exit signal, not flags.
const CSIGNAL: u64 = 0xff;

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
// mman-common.h; PROT_SEM is x86's (and the generic arches'), aarch64 has BTI and MTE there.
const PROT_FLAGS: Names = &[
    (0x1, "PROT_READ"),
    (0x2, "PROT_WRITE"),
    (0x4, "PROT_EXEC"),
    (0x8, "PROT_SEM"),
    (0x0100_0000, "PROT_GROWSDOWN"),
    (0x0200_0000, "PROT_GROWSUP"),
];
const PROT_FLAGS_AARCH64: Names = &[
    (0x1, "PROT_READ"),
    (0x2, "PROT_WRITE"),
    (0x4, "PROT_EXEC"),
    (0x8, "PROT_SEM"),
    (0x10, "PROT_BTI"),
    (0x20, "PROT_MTE"),
    (0x0100_0000, "PROT_GROWSDOWN"),
    (0x0200_0000, "PROT_GROWSUP"),
];

// mmap's flags (mman-common.h, asm-generic/mman.h; MAP_32BIT is x86's, named there only:
// `defined_on`): the sharing type is a value in the low bits, the rest are flags.
const MAP_TYPE: Names = &[
    (0x1, "MAP_SHARED"),
    (0x2, "MAP_PRIVATE"),
    (0x3, "MAP_SHARED_VALIDATE"),
];
const MAP_FLAGS: Names = &[
    (0x1, "MAP_SHARED"),
    (0x2, "MAP_PRIVATE"),
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x40, "MAP_32BIT"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x1_0000, "MAP_NONBLOCK"),
    (0x2_0000, "MAP_STACK"),
    (0x4_0000, "MAP_HUGETLB"),
    (0x8_0000, "MAP_SYNC"),
    (0x10_0000, "MAP_FIXED_NOREPLACE"),
    (0x400_0000, "MAP_UNINITIALIZED"),
];

// prctl options (linux/prctl.h, through Linux 6.16).
const PRCTL: Names = &[
    (1, "PR_SET_PDEATHSIG"),
    (2, "PR_GET_PDEATHSIG"),
    (3, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (5, "PR_GET_UNALIGN"),
    (6, "PR_SET_UNALIGN"),
    (7, "PR_GET_KEEPCAPS"),
    (8, "PR_SET_KEEPCAPS"),
    (9, "PR_GET_FPEMU"),
    (10, "PR_SET_FPEMU"),
    (11, "PR_GET_FPEXC"),
    (12, "PR_SET_FPEXC"),
    (13, "PR_GET_TIMING"),
    (14, "PR_SET_TIMING"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (19, "PR_GET_ENDIAN"),
    (20, "PR_SET_ENDIAN"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (25, "PR_GET_TSC"),
    (26, "PR_SET_TSC"),
    (27, "PR_GET_SECUREBITS"),
    (28, "PR_SET_SECUREBITS"),
    (29, "PR_SET_TIMERSLACK"),
    (30, "PR_GET_TIMERSLACK"),
    (31, "PR_TASK_PERF_EVENTS_DISABLE"),
    (32, "PR_TASK_PERF_EVENTS_ENABLE"),
    (33, "PR_MCE_KILL"),
    (34, "PR_MCE_KILL_GET"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (37, "PR_GET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (39, "PR_GET_NO_NEW_PRIVS"),
    (40, "PR_GET_TID_ADDRESS"),
    (41, "PR_SET_THP_DISABLE"),
    (42, "PR_GET_THP_DISABLE"),
    (43, "PR_MPX_ENABLE_MANAGEMENT"),
    (44, "PR_MPX_DISABLE_MANAGEMENT"),
    (45, "PR_SET_FP_MODE"),
    (46, "PR_GET_FP_MODE"),
    (47, "PR_CAP_AMBIENT"),
    (50, "PR_SVE_SET_VL"),
    (51, "PR_SVE_GET_VL"),
    (52, "PR_GET_SPECULATION_CTRL"),
    (53, "PR_SET_SPECULATION_CTRL"),
    (54, "PR_PAC_RESET_KEYS"),
    (55, "PR_SET_TAGGED_ADDR_CTRL"),
    (56, "PR_GET_TAGGED_ADDR_CTRL"),
    (57, "PR_SET_IO_FLUSHER"),
    (58, "PR_GET_IO_FLUSHER"),
    (59, "PR_SET_SYSCALL_USER_DISPATCH"),
    (60, "PR_PAC_SET_ENABLED_KEYS"),
    (61, "PR_PAC_GET_ENABLED_KEYS"),
    (62, "PR_SCHED_CORE"),
    (63, "PR_SME_SET_VL"),
    (64, "PR_SME_GET_VL"),
    (65, "PR_SET_MDWE"),
    (66, "PR_GET_MDWE"),
    (67, "PR_SET_MEMORY_MERGE"),
    (68, "PR_GET_MEMORY_MERGE"),
    (69, "PR_RISCV_V_SET_CONTROL"),
    (70, "PR_RISCV_V_GET_CONTROL"),
    (71, "PR_RISCV_SET_ICACHE_FLUSH_CTX"),
    (72, "PR_PPC_GET_DEXCR"),
    (73, "PR_PPC_SET_DEXCR"),
    (74, "PR_GET_SHADOW_STACK_STATUS"),
    (75, "PR_SET_SHADOW_STACK_STATUS"),
    (76, "PR_LOCK_SHADOW_STACK_STATUS"),
    (77, "PR_TIMER_CREATE_RESTORE_IDS"),
    (78, "PR_FUTEX_HASH"),
    (0x4155_5856, "PR_GET_AUXV"),
    (0x5356_4d41, "PR_SET_VMA"),
    (0x5961_6d61, "PR_SET_PTRACER"),
];

// fcntl commands (asm-generic/fcntl.h, linux/fcntl.h): x86, arm, aarch64, riscv, s390. The
// 64-bit lock commands 12-14 exist only for fcntl64 on 32-bit arches.
const FCNTL: Names = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (17, "F_GETOWNER_UIDS"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1027, "F_DUPFD_QUERY"),
    (1028, "F_CREATED_QUERY"),
    (1029, "F_CANCELLK"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
    (1035, "F_GET_RW_HINT"),
    (1036, "F_SET_RW_HINT"),
    (1037, "F_GET_FILE_RW_HINT"),
    (1038, "F_SET_FILE_RW_HINT"),
];
const FCNTL64: Names = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (12, "F_GETLK64"),
    (13, "F_SETLK64"),
    (14, "F_SETLKW64"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (17, "F_GETOWNER_UIDS"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1027, "F_DUPFD_QUERY"),
    (1028, "F_CREATED_QUERY"),
    (1029, "F_CANCELLK"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
    (1035, "F_GET_RW_HINT"),
    (1036, "F_SET_RW_HINT"),
    (1037, "F_GET_FILE_RW_HINT"),
    (1038, "F_SET_FILE_RW_HINT"),
];

// ptrace requests (linux/ptrace.h; 12-15 are x86's, arm's and mips' register requests, named
// on those only: `defined_on`).
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
    (14, "PTRACE_GETFPREGS"),
    (15, "PTRACE_SETFPREGS"),
    (16, "PTRACE_ATTACH"),
    (17, "PTRACE_DETACH"),
    (24, "PTRACE_SYSCALL"),
    (0x4200, "PTRACE_SETOPTIONS"),
    (0x4201, "PTRACE_GETEVENTMSG"),
    (0x4202, "PTRACE_GETSIGINFO"),
    (0x4203, "PTRACE_SETSIGINFO"),
    (0x4204, "PTRACE_GETREGSET"),
    (0x4205, "PTRACE_SETREGSET"),
    (0x4206, "PTRACE_SEIZE"),
    (0x4207, "PTRACE_INTERRUPT"),
    (0x4208, "PTRACE_LISTEN"),
    (0x4209, "PTRACE_PEEKSIGINFO"),
    (0x420a, "PTRACE_GETSIGMASK"),
    (0x420b, "PTRACE_SETSIGMASK"),
    (0x420c, "PTRACE_SECCOMP_GET_FILTER"),
    (0x420d, "PTRACE_SECCOMP_GET_METADATA"),
    (0x420e, "PTRACE_GET_SYSCALL_INFO"),
    (0x420f, "PTRACE_GET_RSEQ_CONFIGURATION"),
    (0x4210, "PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG"),
    (0x4211, "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG"),
];

const SECCOMP_OPS: Names = &[
    (0, "SECCOMP_SET_MODE_STRICT"),
    (1, "SECCOMP_SET_MODE_FILTER"),
    (2, "SECCOMP_GET_ACTION_AVAIL"),
    (3, "SECCOMP_GET_NOTIF_SIZES"),
];

// ioctl requests as numbered on x86, arm, aarch64, riscv and s390: the terminal and FIO*
// requests of asm-generic/ioctls.h (powerpc, mips, sparc and alpha number them otherwise), the
// socket requests of linux/sockios.h, and the _IOC-encoded requests common software makes
// (their size field as on these 64-bit arches: `long` is 8 bytes).
const IOCTL: Names = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x5405, "TCGETA"),
    (0x5406, "TCSETA"),
    (0x5407, "TCSETAW"),
    (0x5408, "TCSETAF"),
    (0x5409, "TCSBRK"),
    (0x540a, "TCXONC"),
    (0x540b, "TCFLSH"),
    (0x540c, "TIOCEXCL"),
    (0x540d, "TIOCNXCL"),
    (0x540e, "TIOCSCTTY"),
    (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5411, "TIOCOUTQ"),
    (0x5412, "TIOCSTI"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x5415, "TIOCMGET"),
    (0x5416, "TIOCMBIS"),
    (0x5417, "TIOCMBIC"),
    (0x5418, "TIOCMSET"),
    (0x5419, "TIOCGSOFTCAR"),
    (0x541a, "TIOCSSOFTCAR"),
    (0x541b, "FIONREAD"),
    (0x541c, "TIOCLINUX"),
    (0x541d, "TIOCCONS"),
    (0x541e, "TIOCGSERIAL"),
    (0x541f, "TIOCSSERIAL"),
    (0x5420, "TIOCPKT"),
    (0x5421, "FIONBIO"),
    (0x5422, "TIOCNOTTY"),
    (0x5423, "TIOCSETD"),
    (0x5424, "TIOCGETD"),
    (0x5425, "TCSBRKP"),
    (0x5427, "TIOCSBRK"),
    (0x5428, "TIOCCBRK"),
    (0x5429, "TIOCGSID"),
    (0x542e, "TIOCGRS485"),
    (0x542f, "TIOCSRS485"),
    (0x5432, "TCGETX"),
    (0x5433, "TCSETX"),
    (0x5434, "TCSETXF"),
    (0x5435, "TCSETXW"),
    (0x5437, "TIOCVHANGUP"),
    (0x5441, "TIOCGPTPEER"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
    (0x5452, "FIOASYNC"),
    (0x5453, "TIOCSERCONFIG"),
    (0x5454, "TIOCSERGWILD"),
    (0x5455, "TIOCSERSWILD"),
    (0x5456, "TIOCGLCKTRMIOS"),
    (0x5457, "TIOCSLCKTRMIOS"),
    (0x5458, "TIOCSERGSTRUCT"),
    (0x5459, "TIOCSERGETLSR"),
    (0x545a, "TIOCSERGETMULTI"),
    (0x545b, "TIOCSERSETMULTI"),
    (0x545c, "TIOCMIWAIT"),
    (0x545d, "TIOCGICOUNT"),
    (0x5460, "FIOQSIZE"),
    (0x8901, "FIOSETOWN"),
    (0x8902, "SIOCSPGRP"),
    (0x8903, "FIOGETOWN"),
    (0x8904, "SIOCGPGRP"),
    (0x8905, "SIOCATMARK"),
    (0x890b, "SIOCADDRT"),
    (0x890c, "SIOCDELRT"),
    (0x8910, "SIOCGIFNAME"),
    (0x8912, "SIOCGIFCONF"),
    (0x8913, "SIOCGIFFLAGS"),
    (0x8914, "SIOCSIFFLAGS"),
    (0x8915, "SIOCGIFADDR"),
    (0x8916, "SIOCSIFADDR"),
    (0x8917, "SIOCGIFDSTADDR"),
    (0x8919, "SIOCGIFBRDADDR"),
    (0x891b, "SIOCGIFNETMASK"),
    (0x891d, "SIOCGIFMETRIC"),
    (0x8921, "SIOCGIFMTU"),
    (0x8922, "SIOCSIFMTU"),
    (0x8927, "SIOCGIFHWADDR"),
    (0x8933, "SIOCGIFINDEX"),
    (0x8946, "SIOCETHTOOL"),
    (0x8970, "SIOCGIFMAP"),
    (0xb701, "NS_GET_USERNS"),
    (0xb702, "NS_GET_PARENT"),
    (0xb703, "NS_GET_NSTYPE"),
    (0xb704, "NS_GET_OWNER_UID"),
    (0x4004_5431, "TIOCSPTLCK"),
    (0x4004_5436, "TIOCSIG"),
    (0x4004_54ca, "TUNSETIFF"),
    (0x4004_9409, "FICLONE"),
    (0x4008_6602, "FS_IOC_SETFLAGS"),
    (0x4020_940d, "FICLONERANGE"),
    (0x402c_542b, "TCSETS2"),
    (0x402c_542c, "TCSETSW2"),
    (0x402c_542d, "TCSETSF2"),
    (0x8004_5200, "RNDGETENTCNT"),
    (0x8004_5430, "TIOCGPTN"),
    (0x8004_5432, "TIOCGDEV"),
    (0x8004_5438, "TIOCGPKT"),
    (0x8004_5439, "TIOCGPTLCK"),
    (0x8004_5440, "TIOCGEXCL"),
    (0x8008_1272, "BLKGETSIZE64"),
    (0x8008_6601, "FS_IOC_GETFLAGS"),
    (0x802c_542a, "TCGETS2"),
];

// mount flags (linux/mount.h).
const MOUNT_FLAGS: Names = &[
    (0x1, "MS_RDONLY"),
    (0x2, "MS_NOSUID"),
    (0x4, "MS_NODEV"),
    (0x8, "MS_NOEXEC"),
    (0x10, "MS_SYNCHRONOUS"),
    (0x20, "MS_REMOUNT"),
    (0x40, "MS_MANDLOCK"),
    (0x80, "MS_DIRSYNC"),
    (0x100, "MS_NOSYMFOLLOW"),
    (0x400, "MS_NOATIME"),
    (0x800, "MS_NODIRATIME"),
    (0x1000, "MS_BIND"),
    (0x2000, "MS_MOVE"),
    (0x4000, "MS_REC"),
    (0x8000, "MS_SILENT"),
    (0x1_0000, "MS_POSIXACL"),
    (0x2_0000, "MS_UNBINDABLE"),
    (0x4_0000, "MS_PRIVATE"),
    (0x8_0000, "MS_SLAVE"),
    (0x10_0000, "MS_SHARED"),
    (0x20_0000, "MS_RELATIME"),
    (0x40_0000, "MS_KERNMOUNT"),
    (0x80_0000, "MS_I_VERSION"),
    (0x100_0000, "MS_STRICTATIME"),
    (0x200_0000, "MS_LAZYTIME"),
];

/// Whether `host` numbers ioctl requests, fcntl commands and mmap flags as asm-generic does
/// (the tables above); powerpc, mips, sparc and parisc have their own numbers (their uapi
/// `asm/ioctls.h`, `asm/fcntl.h`, `asm/mman.h`). The one answer to that question: naming here
/// and the recorder's groups of siblings (`record::generalise`) both ask it.
pub(crate) fn generic_numbers(host: Arch) -> bool {
    matches!(
        host,
        Arch::X86_64
            | Arch::X86
            | Arch::X32
            | Arch::Aarch64
            | Arch::Arm
            | Arch::Riscv64
            | Arch::S390x
            | Arch::S390
    )
}

/// Whether the constant `name` of the tables above has its table's value on `host`: most are
/// the same on every arch [`generic_numbers`] accepts, these are not.
///
/// - `MAP_32BIT`: x86's uapi `asm/mman.h` only (elsewhere 0x40 is another flag or none).
/// - `PTRACE_GETREGS`, `PTRACE_SETREGS`, `PTRACE_GETFPREGS`, `PTRACE_SETFPREGS` (12-15): the
///   uapi `asm/ptrace.h` (x86's `asm/ptrace-abi.h`) of x86, arm and mips; aarch64, riscv64 and
///   s390 have no such requests (regset requests instead).
/// - `FIOQSIZE`: 0x5460 in `asm-generic/ioctls.h`, but arm's and s390's `asm/ioctls.h` define
///   it as 0x545E: not named there.
/// - `_IOC` numbers with a `long` or `size_t` size (`FS_IOC_GETFLAGS`, `FS_IOC_SETFLAGS`,
///   `BLKGETSIZE64`; size 8 in the tables): only where `long` is 8 bytes. On x86, x32, arm and
///   s390 the same request has size 4 (0x80046601).
fn defined_on(name: &str, host: Arch) -> bool {
    match name {
        "MAP_32BIT" => matches!(host, Arch::X86_64 | Arch::X86 | Arch::X32),
        "PTRACE_GETREGS" | "PTRACE_SETREGS" | "PTRACE_GETFPREGS" | "PTRACE_SETFPREGS" => matches!(
            host,
            Arch::X86_64
                | Arch::X86
                | Arch::X32
                | Arch::Arm
                | Arch::Mips
                | Arch::Mipsel
                | Arch::Mips64
                | Arch::Mipsel64
                | Arch::Mips64n32
                | Arch::Mipsel64n32
        ),
        "FIOQSIZE" => !matches!(host, Arch::Arm | Arch::S390 | Arch::S390x),
        "FS_IOC_GETFLAGS" | "FS_IOC_SETFLAGS" | "BLKGETSIZE64" => matches!(
            host,
            Arch::X86_64 | Arch::Aarch64 | Arch::Riscv64 | Arch::S390x
        ),
        _ => true,
    }
}

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
        ("mmap" | "mmap2" | "mprotect" | "pkey_mprotect", 2) => match host {
            Arch::Aarch64 => (PROT, PROT_FLAGS_AARCH64),
            _ => (PROT, PROT_FLAGS),
        },
        ("mmap" | "mmap2", 3) if generic_numbers(host) => (MAP_TYPE, MAP_FLAGS),
        ("prctl", 0) => (PRCTL, &[]),
        ("fcntl", 1) if generic_numbers(host) => (FCNTL, &[]),
        ("fcntl64", 1) if generic_numbers(host) => (FCNTL64, &[]),
        ("ptrace", 0) => (PTRACE, &[]),
        ("seccomp", 0) => (SECCOMP_OPS, &[]),
        ("ioctl", 1) if generic_numbers(host) => (IOCTL, &[]),
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

/// The named constants whose OR is `v`, each with its value: the name of a known value, else
/// the flags it is made of (clone's exit signal last); `None` when some bit has no name.
fn spelling(
    v: u64,
    (values, flags): (Names, Names),
    host: Arch,
) -> Option<Vec<(&'static str, u64)>> {
    if let Some((x, n)) = values.iter().find(|&&(x, n)| x == v && defined_on(n, host)) {
        return Some(vec![(*n, *x)]);
    }
    if flags.is_empty() || v == 0 {
        return None;
    }
    let (mut rest, mut signal) = (v, None);
    if flags == CLONE_FLAGS && v & CSIGNAL != 0 {
        signal = Some(*SIGNALS.iter().find(|(x, _)| *x == v & CSIGNAL)?);
        rest &= !CSIGNAL;
    }
    let flags = || flags.iter().filter(|&&(_, n)| defined_on(n, host));
    let known: u64 = flags().fold(0, |m, (b, _)| m | b);
    if rest & !known != 0 {
        return None;
    }
    let mut parts: Vec<(&'static str, u64)> = flags()
        .filter(|(b, _)| rest & b != 0)
        .map(|(b, n)| (*n, *b))
        .collect();
    parts.extend(signal.map(|(x, n)| (n, x)));
    Some(parts)
}

/// `NAME(v)` for a known value, `A|B(v)` for known flags, else the number.
fn symbolic(v: u64, names: Option<(Names, Names)>, host: Arch) -> String {
    let Some(names) = names else {
        return num(v);
    };
    if names.1 == CLONE_FLAGS && v == CLONE_NS_MASK {
        return format!("CLONE_NEW*({v:#x})");
    }
    match spelling(v, names, host) {
        Some(parts) => {
            let parts: Vec<&str> = parts.iter().map(|(n, _)| *n).collect();
            format!("{}({})", parts.join("|"), num(v))
        }
        None => num(v),
    }
}

/// `v` as the named constants a program's source would use for argument `index` of `syscall`
/// (`AF_NETLINK`; `CLONE_VM|CLONE_FS|SIGCHLD`), each with its value, for text that must compile
/// back to the same number (the Kafel decompiler `#define`s them). `None` when the argument has
/// no table, a bit of `v` has no name, or a name is not an identifier. `rule_args` are the
/// rule's other conditions (socket's protocol depends on the family).
#[must_use]
pub fn constant_names(
    syscall: &str,
    index: u8,
    host: Arch,
    rule_args: &[ArgCondition],
    v: u64,
) -> Option<Vec<(&'static str, u64)>> {
    let ident = |n: &str| {
        // Constants are capitalized (`AF_DECnet` included); "query" is a description.
        n.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let (values, flags) = constants(syscall, index, host, rule_args)?;
    let idents = |p: &Vec<(&str, u64)>| p.iter().all(|(n, _)| ident(n));
    // A value named by a description (`PER_LINUX32|UNAME26`) may still be spelled by flags.
    spelling(v, (values, flags), host)
        .filter(idents)
        .or_else(|| spelling(v, (&[], flags), host).filter(idents))
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
                symbolic(c.value_two, names, host)
            };
            format!(
                "(args[{}] & {}) == {value}",
                c.index,
                symbolic(c.value, names, host)
            )
        }
        // A named constant reads as a claim about that value; after < or >= it would mislead.
        Op::Eq | Op::Ne => format!(
            "args[{}] {} {}",
            c.index,
            c.op.symbol(),
            symbolic(c.value, names, host)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(index: u8, value: u64) -> ArgCondition {
        ArgCondition {
            index,
            value,
            value_two: 0,
            op: Op::Eq,
        }
    }

    fn shown(syscall: &str, c: &ArgCondition) -> String {
        condition(syscall, c, Arch::X86_64, std::slice::from_ref(c))
    }

    /// Issue 14: explain named few constants; requests and options real software uses read
    /// by name.
    #[test]
    fn constants_real_software_uses_are_named() {
        for (syscall, index, value, want) in [
            ("ioctl", 1, 0x5401, "TCGETS(0x5401)"),
            ("ioctl", 1, 0x5413, "TIOCGWINSZ(0x5413)"),
            ("ioctl", 1, 0x5421, "FIONBIO(0x5421)"),
            ("ioctl", 1, 0x5451, "FIOCLEX(0x5451)"),
            ("ioctl", 1, 0x5450, "FIONCLEX(0x5450)"),
            ("ioctl", 1, 0x540f, "TIOCGPGRP(0x540f)"),
            ("ioctl", 1, 0x8933, "SIOCGIFINDEX(0x8933)"),
            ("ioctl", 1, 0x8004_5430, "TIOCGPTN(0x80045430)"),
            ("fcntl", 1, 1030, "F_DUPFD_CLOEXEC(1030)"),
            ("fcntl", 1, 4, "F_SETFL(4)"),
            ("prctl", 0, 38, "PR_SET_NO_NEW_PRIVS(38)"),
            ("prctl", 0, 0x5356_4d41, "PR_SET_VMA(0x53564d41)"),
            ("socket", 0, 45, "AF_MCTP(45)"),
            ("socket", 0, 28, "AF_MPLS(28)"),
            ("ptrace", 0, 0x420e, "PTRACE_GET_SYSCALL_INFO(0x420e)"),
            (
                "clone",
                0,
                0x1_200_011,
                "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD(0x1200011)",
            ),
            (
                "clone",
                0,
                0x3d_0f00,
                "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID(0x3d0f00)",
            ),
            ("mmap", 3, 0x22, "MAP_PRIVATE|MAP_ANONYMOUS(34)"),
            ("mount", 3, 0x20_0000 | 0x1000 | 0x4000, "MS_BIND|MS_REC|MS_RELATIME(0x205000)"),
        ] {
            assert_eq!(
                shown(syscall, &eq(index, value)),
                format!("args[{index}] == {want}"),
                "{syscall} args[{index}] == {value:#x}"
            );
        }
        // An unknown bit keeps the number: a name must never hide part of a value.
        assert_eq!(
            shown("clone", &eq(0, 0x1_0000_0011)),
            "args[0] == 0x100000011"
        );
        assert_eq!(shown("ioctl", &eq(1, 0x5426)), "args[1] == 0x5426");
        // The protocol is named by the family the rule pins.
        let rule = [eq(0, 16), eq(2, 9)];
        assert_eq!(
            condition("socket", &rule[1], Arch::X86_64, &rule),
            "args[2] == NETLINK_AUDIT(9)"
        );
        // powerpc numbers terminal ioctls otherwise: no name rather than a wrong one.
        assert_eq!(
            condition("ioctl", &eq(1, 0x5401), Arch::Ppc64le, &[]),
            "args[1] == 0x5401"
        );
    }

    /// Issue 14: a name is shown only on the arches where it has that value.
    #[test]
    fn arch_specific_constants_are_named_only_where_they_mean_that_value() {
        let on = |syscall, index, value, host| {
            condition(syscall, &eq(index, value), host, &[])
                .rsplit(' ')
                .next()
                .unwrap()
                .to_string()
        };
        // FIOQSIZE is 0x545E on arm and s390 (their asm/ioctls.h).
        assert_eq!(on("ioctl", 1, 0x5460, Arch::X86_64), "FIOQSIZE(0x5460)");
        assert_eq!(on("ioctl", 1, 0x5460, Arch::Aarch64), "FIOQSIZE(0x5460)");
        for host in [Arch::Arm, Arch::S390, Arch::S390x] {
            assert_eq!(on("ioctl", 1, 0x5460, host), "0x5460", "{host:?}");
        }
        // A `long`-sized request: size 8 only where long is 8 bytes.
        for (v, name) in [
            (0x8008_6601, "FS_IOC_GETFLAGS"),
            (0x4008_6602, "FS_IOC_SETFLAGS"),
            (0x8008_1272, "BLKGETSIZE64"),
        ] {
            for host in [Arch::X86_64, Arch::Aarch64, Arch::Riscv64, Arch::S390x] {
                assert_eq!(
                    on("ioctl", 1, v, host),
                    format!("{name}({v:#x})"),
                    "{host:?}"
                );
            }
            for host in [Arch::X86, Arch::X32, Arch::Arm, Arch::S390] {
                assert_eq!(on("ioctl", 1, v, host), format!("{v:#x}"), "{host:?}");
            }
        }
        // MAP_32BIT: x86 only; elsewhere a value with bit 0x40 keeps its number.
        assert_eq!(
            on("mmap", 3, 0x62, Arch::X86_64),
            "MAP_PRIVATE|MAP_ANONYMOUS|MAP_32BIT(98)"
        );
        for host in [Arch::Aarch64, Arch::Riscv64, Arch::Arm] {
            assert_eq!(on("mmap", 3, 0x62, host), "98", "{host:?}");
            assert_eq!(on("mmap", 3, 0x22, host), "MAP_PRIVATE|MAP_ANONYMOUS(34)");
        }
        // PTRACE_GETREGS and its siblings: x86, arm, mips; not aarch64, riscv64, s390x.
        for host in [Arch::X86_64, Arch::X86, Arch::Arm, Arch::Mips64] {
            assert_eq!(on("ptrace", 0, 12, host), "PTRACE_GETREGS(12)", "{host:?}");
            assert_eq!(
                on("ptrace", 0, 15, host),
                "PTRACE_SETFPREGS(15)",
                "{host:?}"
            );
        }
        for host in [Arch::Aarch64, Arch::Riscv64, Arch::S390x] {
            for v in 12..=15 {
                assert_eq!(on("ptrace", 0, v, host), v.to_string(), "{host:?}");
            }
            assert_eq!(on("ptrace", 0, 16, host), "PTRACE_ATTACH(16)");
        }
        // constant_names (the decompiler's #defines) follows the same rule.
        assert_eq!(constant_names("ioctl", 1, Arch::Arm, &[], 0x5460), None);
        assert_eq!(constant_names("mmap", 3, Arch::Aarch64, &[], 0x62), None);
    }

    #[test]
    fn every_table_is_sorted_unique_and_spelled_as_c_constants() {
        let tables: &[(&str, Names)] = &[
            ("AF", AF),
            ("SOCK_TYPE", SOCK_TYPE),
            ("NETLINK", NETLINK),
            ("IPPROTO", IPPROTO),
            ("CLONE_FLAGS", CLONE_FLAGS),
            ("SIGNALS", SIGNALS),
            ("UNSHARE_FLAGS", UNSHARE_FLAGS),
            ("PROT_FLAGS", PROT_FLAGS),
            ("PROT_FLAGS_AARCH64", PROT_FLAGS_AARCH64),
            ("MAP_TYPE", MAP_TYPE),
            ("MAP_FLAGS", MAP_FLAGS),
            ("PRCTL", PRCTL),
            ("FCNTL", FCNTL),
            ("FCNTL64", FCNTL64),
            ("PTRACE", PTRACE),
            ("IOCTL", IOCTL),
            ("MOUNT_FLAGS", MOUNT_FLAGS),
            ("PERSONA_FLAGS", PERSONA_FLAGS),
        ];
        let mut seen: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for (table, names) in tables {
            for w in names.windows(2) {
                assert!(w[0].0 < w[1].0, "{table}: {:?} before {:?}", w[0], w[1]);
            }
            for (v, n) in *names {
                assert!(
                    n.starts_with(|c: char| c.is_ascii_uppercase())
                        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{table}: {n}"
                );
                // One name, one value, across tables: the decompiler #defines them together.
                if let Some(old) = seen.insert(n, *v) {
                    assert_eq!(old, *v, "{n} has two values");
                }
            }
        }
        for (_, names) in [
            ("CLONE_FLAGS", CLONE_FLAGS),
            ("UNSHARE_FLAGS", UNSHARE_FLAGS),
            ("MOUNT_FLAGS", MOUNT_FLAGS),
            ("MAP_FLAGS", MAP_FLAGS),
        ] {
            for (v, n) in names {
                assert_eq!(v.count_ones(), 1, "{n} is a flag of one bit");
            }
        }
    }

    #[test]
    fn constant_names_or_together_to_the_value() {
        for (syscall, index, v) in [
            ("clone", 0u8, 0x1_200_011u64),
            ("clone", 0, CLONE_NS_MASK),
            ("socket", 0, 16),
            ("ioctl", 1, 0x5401),
            ("personality", 0, 0x2_0008),
            ("mmap", 2, 0x7),
        ] {
            let parts = constant_names(syscall, index, Arch::X86_64, &[], v)
                .unwrap_or_else(|| panic!("{syscall} {v:#x} has names"));
            assert_eq!(parts.iter().fold(0, |m, (_, x)| m | x), v, "{parts:?}");
        }
        assert_eq!(
            constant_names("personality", 0, Arch::X86_64, &[], 0xffff_ffff),
            None
        );
        assert_eq!(constant_names("read", 0, Arch::X86_64, &[], 1), None);
    }
}
