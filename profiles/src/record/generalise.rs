//! Generalising recorded argument values by meaning (docs/recorded-profiles.md, "The rules").
//!
//! A recording sees the values one run used; the next run of the same program may use a
//! sibling value with the same meaning (`TCSETSW` instead of `TCSETS`, `F_DUPFD_CLOEXEC` instead
//! of `F_DUPFD`, an IPv6 socket when the name resolved to an IPv6 address). So for the
//! syscalls rpod records by default ([`super::ALWAYS_RECORDED`]) a seen value allows its whole
//! group, and only groups whose members are harmless together; a value in no group is allowed
//! exactly. Each group is one row of the table in docs/recorded-profiles.md.

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::risk::{clone_flags_index, CLONE_NS_MASK};
use crate::analysis::text::generic_numbers;
use crate::model::{ArgCondition, Op};
use crate::Arch;

/// A C `int` argument: only the low word is compared (see `super::INT`).
const INT: u64 = 0xffff_ffff;

/// One group of values with one meaning: seeing a member allows all of them, unless the member
/// only reads (`reads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// The rule's name (docs/recorded-profiles.md and the unit tests use it).
    pub name: &'static str,
    pub members: &'static [u64],
    /// Members that read an attribute the others set: seeing one allows only itself. A program
    /// that reads a setting was not seen changing it (`PR_GET_DUMPABLE` must not allow
    /// `PR_SET_DUMPABLE`, which makes a process that dropped privileges dumpable and
    /// ptrace-attachable again); one that sets it may read it back.
    pub reads: &'static [u64],
}

const fn group(name: &'static str, members: &'static [u64]) -> Group {
    Group {
        name,
        members,
        reads: &[],
    }
}

/// A set/get pair: seeing the set allows the get too, seeing the get allows only the get.
const fn set_get(name: &'static str, members: &'static [u64; 2]) -> Group {
    Group {
        name,
        members,
        reads: members.split_at(1).1,
    }
}

/// socket(2) families: IPv4 and IPv6 are one meaning (a resolver may return either).
pub const SOCKET_GROUPS: &[Group] = &[group("socket-ip", &[2, 10])];

/// ioctl(2) requests.
pub const IOCTL_GROUPS: &[Group] = &[
    // Terminal attributes, size, flushing and the foreground process group: what a shell,
    // stty or a pager does to its own terminal. TIOCSTI (0x5412, fakes typed input),
    // TIOCLINUX, TIOCCONS, TIOCSETD and TIOCSCTTY are not in it: they act beyond the
    // caller's own terminal settings, and stay exact.
    group(
        "ioctl-tty",
        &[
            0x5401, // TCGETS
            0x5402, // TCSETS
            0x5403, // TCSETSW
            0x5404, // TCSETSF
            0x5409, // TCSBRK
            0x540a, // TCXONC
            0x540b, // TCFLSH
            0x540f, // TIOCGPGRP
            0x5410, // TIOCSPGRP
            0x5411, // TIOCOUTQ
            0x5413, // TIOCGWINSZ
            0x5414, // TIOCSWINSZ
            0x541b, // FIONREAD
            0x5429, // TIOCGSID
        ],
    ),
    // The descriptor's own flags, the ioctl spelling of fcntl's F_SETFL/F_SETFD.
    group(
        "ioctl-fd-flags",
        &[
            0x5421, // FIONBIO
            0x5450, // FIONCLEX
            0x5451, // FIOCLEX
            0x5452, // FIOASYNC
        ],
    ),
];

/// prctl(2) options: a set/get pair of one harmless per-process attribute, the set first.
pub const PRCTL_GROUPS: &[Group] = &[
    set_get("prctl-pdeathsig", &[1, 2]), // PR_SET_PDEATHSIG, PR_GET_PDEATHSIG
    set_get("prctl-dumpable", &[4, 3]),  // PR_SET_DUMPABLE, PR_GET_DUMPABLE
    set_get("prctl-name", &[15, 16]),    // PR_SET_NAME, PR_GET_NAME
    set_get("prctl-timerslack", &[30, 29]), // PR_SET_TIMERSLACK, PR_GET_TIMERSLACK
    set_get("prctl-subreaper", &[36, 37]), // PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER
    set_get("prctl-no-new-privs", &[38, 39]), // PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS
];

/// fcntl(2) commands.
pub const FCNTL_GROUPS: &[Group] = &[
    group("fcntl-dup", &[0, 1030]),       // F_DUPFD, F_DUPFD_CLOEXEC
    group("fcntl-fd-flags", &[1, 2]),     // F_GETFD, F_SETFD
    group("fcntl-status-flags", &[3, 4]), // F_GETFL, F_SETFL
    // F_GETLK, F_SETLK, F_SETLKW and the open-file-description variants.
    group("fcntl-locks", &[5, 6, 7, 36, 37, 38]),
    // F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX.
    group("fcntl-owner", &[8, 9, 10, 11, 15, 16]),
    group("fcntl-pipe-size", &[1031, 1032]), // F_SETPIPE_SZ, F_GETPIPE_SZ
    group("fcntl-seals", &[1033, 1034]),     // F_ADD_SEALS, F_GET_SEALS
];

impl Group {
    /// Whether the values `seen` holds allow the whole group: a member that does not only read.
    fn widened_by(&self, seen: &dyn Fn(u64) -> bool) -> bool {
        self.members
            .iter()
            .any(|&m| seen(m) && !self.reads.contains(&m))
    }
}

/// The groups of a syscall recorded by default.
#[must_use]
pub fn groups(syscall: &str) -> &'static [Group] {
    match syscall {
        "socket" => SOCKET_GROUPS,
        "ioctl" => IOCTL_GROUPS,
        "prctl" => PRCTL_GROUPS,
        "fcntl" => FCNTL_GROUPS,
        _ => &[],
    }
}

/// The ALLOW rules (one condition each) for the values a syscall recorded by default took,
/// generalised by meaning; `None` for a syscall without rules here (its values are allowed
/// exactly by the caller).
///
/// `clone`: the namespace flags (`CLONE_NEW*`) are what matters, the other flags (thread,
/// fork, vfork) are masked out: one rule allows clone without namespace flags, and one rule per
/// namespace combination seen allows exactly that combination.
#[must_use]
pub fn rules(syscall: &str, values: &BTreeSet<u64>, arch: Arch) -> Option<Vec<ArgCondition>> {
    if syscall == "clone" {
        let index = clone_flags_index(arch);
        let mut ns: BTreeSet<u64> = values.iter().map(|v| v & CLONE_NS_MASK).collect();
        ns.insert(0);
        return Some(
            ns.into_iter()
                .map(|v| ArgCondition {
                    index,
                    value: CLONE_NS_MASK,
                    value_two: v,
                    op: Op::MaskedEq,
                })
                .collect(),
        );
    }
    // The ioctl and fcntl groups are asm-generic's numbers: where the arch numbers requests
    // and commands otherwise, a group would add values that mean other requests there, so the
    // seen values are allowed exactly.
    let generic = generic_numbers(arch);
    let (index, groups) = match syscall {
        "socket" => (0, SOCKET_GROUPS),
        "ioctl" if generic => (1, IOCTL_GROUPS),
        "ioctl" => (1, &[][..]),
        "prctl" => (0, PRCTL_GROUPS),
        "fcntl" if generic => (1, FCNTL_GROUPS),
        "fcntl" => (1, &[][..]),
        _ => return None,
    };
    let seen: BTreeSet<u64> = values.iter().map(|v| v & INT).collect();
    let mut allowed = seen.clone();
    for g in groups {
        if g.widened_by(&|m| seen.contains(&m)) {
            allowed.extend(g.members);
        }
    }
    Some(
        allowed
            .into_iter()
            .map(|v| ArgCondition {
                index,
                value: INT,
                value_two: v,
                op: Op::MaskedEq,
            })
            .collect(),
    )
}

/// Which group names a recording's values triggered (for the docs' table and the tests).
#[must_use]
pub fn groups_used(syscall: &str, values: &BTreeMap<u64, u64>) -> Vec<&'static str> {
    groups(syscall)
        .iter()
        .filter(|g| g.widened_by(&|m| values.contains_key(&m)))
        .map(|g| g.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(v: &[u64]) -> BTreeSet<u64> {
        v.iter().copied().collect()
    }

    fn allowed(syscall: &str, seen: &[u64]) -> BTreeSet<u64> {
        rules(syscall, &vals(seen), Arch::X86_64)
            .unwrap()
            .iter()
            .map(|c| c.value_two)
            .collect()
    }

    #[test]
    fn clone_without_namespace_flags_masks_the_other_flags() {
        // glibc's pthread_create flags, fork's flags: one rule, namespace bits 0.
        let r = rules("clone", &vals(&[0x3d0f00, 0x1200011]), Arch::X86_64).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].to_string(),
            format!("(args[0] & {CLONE_NS_MASK:#x}) == 0x0")
        );
        // A thread with CLONE_NEWUSER is not let through.
        assert!(!r[0].matches(0x3d0f00 | 0x1000_0000));
        assert!(r[0].matches(0x3d0f00 | 0x11));
    }

    #[test]
    fn clone_namespace_combinations_seen_are_allowed_exactly() {
        let r = rules("clone", &vals(&[0x11, 0x2000_0011]), Arch::X86_64).unwrap();
        let two: BTreeSet<u64> = r.iter().map(|c| c.value_two).collect();
        assert_eq!(two, vals(&[0, 0x2000_0000]));
        assert!(!r.iter().any(|c| c.matches(0x1000_0011)));
    }

    #[test]
    fn clone_flags_are_in_the_second_argument_on_s390x() {
        let r = rules("clone", &vals(&[0x11]), Arch::S390x).unwrap();
        assert_eq!(r[0].index, 1);
    }

    #[test]
    fn socket_ip_allows_ipv6_when_ipv4_was_seen() {
        assert_eq!(allowed("socket", &[2]), vals(&[2, 10]));
        assert_eq!(allowed("socket", &[10]), vals(&[2, 10]));
    }

    #[test]
    fn socket_other_families_stay_exact() {
        assert_eq!(allowed("socket", &[1]), vals(&[1]));
        assert_eq!(allowed("socket", &[1, 16]), vals(&[1, 16]));
    }

    #[test]
    fn ioctl_tty_allows_every_harmless_terminal_request_but_not_tiocsti() {
        let a = allowed("ioctl", &[0x5413]);
        assert!(a.contains(&0x5401) && a.contains(&0x5402) && a.contains(&0x5410));
        assert!(!a.contains(&0x5412), "TIOCSTI must stay out");
        assert!(!a.contains(&0x541c) && !a.contains(&0x540e));
        // Seen TIOCSTI is allowed exactly, without the group.
        assert_eq!(allowed("ioctl", &[0x5412]), vals(&[0x5412]));
    }

    #[test]
    fn ioctl_fd_flags_pairs_fionbio_and_fioclex() {
        assert_eq!(
            allowed("ioctl", &[0x5421]),
            vals(&[0x5421, 0x5450, 0x5451, 0x5452])
        );
    }

    #[test]
    fn ioctl_other_requests_stay_exact() {
        assert_eq!(allowed("ioctl", &[0x8912]), vals(&[0x8912]));
    }

    #[test]
    fn prctl_get_set_pairs_and_dangerous_options_exact() {
        assert_eq!(allowed("prctl", &[15]), vals(&[15, 16]));
        assert_eq!(allowed("prctl", &[38]), vals(&[38, 39]));
        // PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_MM, PR_CAP_AMBIENT: exact.
        for v in [24, 28, 35, 47] {
            assert_eq!(allowed("prctl", &[v]), vals(&[v]), "{v}");
        }
    }

    #[test]
    fn prctl_a_get_allows_only_itself_and_a_set_its_get() {
        for (set, get) in [(1, 2), (4, 3), (15, 16), (30, 29), (36, 37), (38, 39)] {
            assert_eq!(allowed("prctl", &[get]), vals(&[get]), "get {get}");
            assert_eq!(allowed("prctl", &[set]), vals(&[set, get]), "set {set}");
        }
        // PR_GET_DUMPABLE after a privilege drop must not re-enable dumps and ptrace.
        assert!(!allowed("prctl", &[3]).contains(&4));
        let seen: BTreeMap<u64, u64> = [(3, 1), (16, 1)].into();
        assert!(groups_used("prctl", &seen).is_empty());
    }

    #[test]
    fn fcntl_groups_by_meaning() {
        assert_eq!(allowed("fcntl", &[0]), vals(&[0, 1030]));
        assert_eq!(allowed("fcntl", &[2, 4]), vals(&[1, 2, 3, 4]));
        assert_eq!(allowed("fcntl", &[6]), vals(&[5, 6, 7, 36, 37, 38]));
        assert_eq!(allowed("fcntl", &[1024]), vals(&[1024]), "F_SETLEASE exact");
    }

    #[test]
    fn ioctl_and_fcntl_stay_exact_where_the_arch_numbers_them_otherwise() {
        let on = |arch, syscall, seen: &[u64]| -> BTreeSet<u64> {
            rules(syscall, &vals(seen), arch)
                .unwrap()
                .iter()
                .map(|c| c.value_two)
                .collect()
        };
        // powerpc's TIOCGWINSZ is 0x40087468; 0x5413 and its siblings mean nothing there.
        for arch in [
            Arch::Ppc64le,
            Arch::Ppc,
            Arch::Mips,
            Arch::Mipsel64,
            Arch::Parisc,
        ] {
            assert_eq!(on(arch, "ioctl", &[0x5413]), vals(&[0x5413]), "{arch:?}");
            // mips' F_GETLK is 14 and F_SETOWN 24: fcntl's groups would allow other commands.
            assert_eq!(on(arch, "fcntl", &[6]), vals(&[6]), "{arch:?}");
            // Arch-independent numbers keep their groups.
            assert_eq!(on(arch, "prctl", &[15]), vals(&[15, 16]), "{arch:?}");
            assert_eq!(on(arch, "socket", &[2]), vals(&[2, 10]), "{arch:?}");
        }
        for arch in [
            Arch::X86_64,
            Arch::Aarch64,
            Arch::Arm,
            Arch::Riscv64,
            Arch::S390x,
        ] {
            assert!(on(arch, "ioctl", &[0x5413]).contains(&0x5401), "{arch:?}");
            assert!(on(arch, "fcntl", &[6]).contains(&7), "{arch:?}");
        }
    }

    #[test]
    fn values_compare_the_low_word_only() {
        // An int argument with garbage in the upper half is recorded masked already; the rule
        // masks it too.
        let r = rules("socket", &vals(&[1]), Arch::X86_64).unwrap();
        assert!(r[0].matches(0xdead_0000_0000_0001));
    }

    #[test]
    fn groups_are_disjoint_within_a_syscall() {
        for s in ["socket", "ioctl", "prctl", "fcntl"] {
            let mut seen = BTreeSet::new();
            for g in groups(s) {
                for m in g.members {
                    assert!(seen.insert(*m), "{s}: {m:#x} in two groups");
                }
            }
        }
    }
}
