//! Syscall name/number tables per architecture, with libseccomp's names.
//!
//! `generated.rs` is written by `cargo xtask gen-syscalls` (see `xtask/src/gen_syscalls.rs`);
//! do not edit it by hand. Names are libseccomp's (`newfstatat`, `_llseek`, `umount2`), so they
//! match what runc and crun resolve. Numbers are what the kernel puts in `seccomp_data.nr` for
//! that arch, including x32's `__X32_SYSCALL_BIT` and ARM's private `0x0f0000` range.

mod generated;

use std::sync::OnceLock;

use crate::arch::Arch;

pub use generated::LIBSECCOMP_VERSION;

/// One table row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub name: &'static str,
    pub nr: u32,
    /// False for syscalls newer than the libseccomp the table was generated from; runc and crun
    /// built against that libseccomp cannot resolve them and skip their rules.
    pub libseccomp: bool,
}

/// The table for `arch`, sorted by number; empty for arches without a table.
#[must_use]
pub fn table(arch: Arch) -> &'static [Entry] {
    generated::TABLES
        .iter()
        .find(|(a, _)| *a == arch)
        .map_or(&[], |(_, t)| *t)
}

/// Per arch, the table's entries sorted by name, built on first use: profiles look names up
/// thousands of times (podman's default names 400 syscalls for three arches).
fn by_name(arch: Arch) -> &'static [Entry] {
    static INDEX: OnceLock<Vec<Vec<Entry>>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        Arch::ALL
            .iter()
            .map(|a| {
                let mut v = table(*a).to_vec();
                v.sort_unstable_by_key(|e| e.name);
                v
            })
            .collect()
    });
    let i = Arch::ALL
        .iter()
        .position(|a| *a == arch)
        .expect("every arch is in Arch::ALL");
    &index[i]
}

/// The syscall number of `name` on `arch`.
#[must_use]
pub fn number(arch: Arch, name: &str) -> Option<u32> {
    entry(arch, name).map(|e| e.nr)
}

/// The table entry of `name` on `arch`.
#[must_use]
pub fn entry(arch: Arch, name: &str) -> Option<Entry> {
    let t = by_name(arch);
    t.binary_search_by(|e| e.name.cmp(name)).ok().map(|i| t[i])
}

/// The name of syscall `nr` on `arch`.
#[must_use]
pub fn name(arch: Arch, nr: u32) -> Option<&'static str> {
    let t = table(arch);
    t.binary_search_by_key(&nr, |e| e.nr)
        .ok()
        .map(|i| t[i].name)
}

/// Whether any table knows `name`.
#[must_use]
pub fn is_known(name: &str) -> bool {
    all_names().binary_search(&name).is_ok()
}

/// Every name known on some arch, sorted and deduplicated.
#[must_use]
pub fn all_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<&'static str> = generated::TABLES
            .iter()
            .flat_map(|(_, t)| t.iter().map(|e| e.name))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    })
}

/// The known name nearest to a misspelt one.
#[must_use]
pub fn suggest(name: &str) -> Option<&'static str> {
    crate::suggest::nearest(name, all_names().iter().copied())
}

/// The syscalls `socketcall` multiplexes.
pub const SOCKET_CALLS: &[&str] = &[
    "accept",
    "accept4",
    "bind",
    "connect",
    "getpeername",
    "getsockname",
    "getsockopt",
    "listen",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "send",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setsockopt",
    "shutdown",
    "socket",
    "socketpair",
];

/// The syscalls `ipc` multiplexes.
pub const IPC_CALLS: &[&str] = &[
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
];

/// The multiplexer (`socketcall`, `ipc`) through which libseccomp filters `name` on `arch`
/// when the syscall has no number of its own there (`recv` on x86).
#[must_use]
pub fn multiplexer(arch: Arch, name: &str) -> Option<&'static str> {
    if number(arch, name).is_some() {
        return None;
    }
    [("socketcall", SOCKET_CALLS), ("ipc", IPC_CALLS)]
        .into_iter()
        .find(|(mux, calls)| calls.contains(&name) && number(arch, mux).is_some())
        .map(|(mux, _)| mux)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::X32_SYSCALL_BIT;

    /// The names used in a profile's `syscalls[].names`.
    fn profile_names(json: &str) -> Vec<String> {
        let profile: serde_json::Value = serde_json::from_str(json).expect("fixture is JSON");
        profile["syscalls"]
            .as_array()
            .expect("syscalls is an array")
            .iter()
            .flat_map(|rule| rule["names"].as_array().expect("names is an array"))
            .map(|name| name.as_str().expect("a name is a string").to_string())
            .collect()
    }

    #[test]
    fn there_is_one_table_per_arch_with_a_table_in_arch_order() {
        let arches: Vec<Arch> = generated::TABLES.iter().map(|(a, _)| *a).collect();
        let expected: Vec<Arch> = Arch::with_tables().collect();
        assert_eq!(arches, expected);
        for (arch, t) in generated::TABLES {
            assert!(t.len() > 250, "{arch}: only {} entries", t.len());
        }
    }

    #[test]
    fn every_table_is_sorted_without_duplicate_numbers_or_names() {
        for (arch, t) in generated::TABLES {
            for pair in t.windows(2) {
                assert!(
                    pair[0].nr < pair[1].nr,
                    "{arch}: {:?} before {:?}",
                    pair[0],
                    pair[1]
                );
            }
            let mut names: Vec<&str> = t.iter().map(|e| e.name).collect();
            names.sort_unstable();
            let len = names.len();
            names.dedup();
            assert_eq!(names.len(), len, "{arch}: a name appears twice");
        }
    }

    #[test]
    fn x86_64_numbers() {
        assert_eq!(number(Arch::X86_64, "read"), Some(0));
        assert_eq!(number(Arch::X86_64, "write"), Some(1));
        assert_eq!(number(Arch::X86_64, "newfstatat"), Some(262));
        assert_eq!(number(Arch::X86_64, "umount2"), Some(166));
        assert_eq!(name(Arch::X86_64, 59), Some("execve"));
        // x86_64 has no socketcall multiplexer and no _llseek.
        assert_eq!(number(Arch::X86_64, "socketcall"), None);
        assert_eq!(number(Arch::X86_64, "_llseek"), None);
    }

    #[test]
    fn x32_numbers_carry_the_x32_bit() {
        assert_eq!(number(Arch::X32, "read"), Some(X32_SYSCALL_BIT));
        // x32's own numbers for calls whose structures differ from x86_64's.
        assert_eq!(
            number(Arch::X32, "rt_sigaction"),
            Some(X32_SYSCALL_BIT + 512)
        );
        assert_eq!(number(Arch::X32, "execve"), Some(X32_SYSCALL_BIT + 520));
        assert!(table(Arch::X32).iter().all(|e| e.nr & X32_SYSCALL_BIT != 0));
        // x86_64's rt_sigaction number is not an x32 syscall.
        assert_eq!(name(Arch::X32, X32_SYSCALL_BIT + 13), None);
    }

    #[test]
    fn aarch64_has_only_the_at_variants() {
        assert_eq!(number(Arch::Aarch64, "open"), None);
        assert_eq!(number(Arch::Aarch64, "openat"), Some(56));
        assert_eq!(number(Arch::Aarch64, "newfstatat"), Some(79));
        assert_eq!(number(Arch::Aarch64, "umount2"), Some(39));
    }

    #[test]
    fn x86_has_the_multiplexers_and_the_direct_socket_calls() {
        assert_eq!(number(Arch::X86, "socketcall"), Some(102));
        assert_eq!(number(Arch::X86, "ipc"), Some(117));
        assert_eq!(number(Arch::X86, "socket"), Some(359));
        assert_eq!(number(Arch::X86, "_llseek"), Some(140));
        assert_eq!(number(Arch::X86, "umount2"), Some(52));
    }

    #[test]
    fn arm_has_its_private_range_and_libseccomp_names() {
        assert_eq!(number(Arch::Arm, "breakpoint"), Some(0x000f_0001));
        assert_eq!(number(Arch::Arm, "cacheflush"), Some(0x000f_0002));
        assert_eq!(number(Arch::Arm, "set_tls"), Some(0x000f_0005));
        assert_eq!(number(Arch::Arm, "_llseek"), Some(140));
        // libseccomp 2.5 names ARM's 341 after the kernel's table, not sync_file_range2.
        assert_eq!(name(Arch::Arm, 341), Some("arm_sync_file_range"));
        assert_eq!(number(Arch::Arm, "arm_fadvise64_64"), Some(270));
    }

    #[test]
    fn riscv64_s390x_and_ppc64le_numbers() {
        assert_eq!(number(Arch::Riscv64, "openat"), Some(56));
        assert_eq!(number(Arch::Riscv64, "riscv_flush_icache"), Some(259));
        assert_eq!(number(Arch::Riscv64, "riscv_hwprobe"), Some(258));
        assert_eq!(number(Arch::S390x, "read"), Some(3));
        assert_eq!(number(Arch::S390x, "socketcall"), Some(102));
        assert_eq!(number(Arch::S390x, "s390_runtime_instr"), Some(342));
        assert_eq!(number(Arch::S390, "_llseek"), Some(140));
        assert_eq!(number(Arch::Ppc64le, "read"), Some(3));
        assert_eq!(number(Arch::Ppc64le, "sync_file_range2"), Some(308));
        assert_eq!(number(Arch::Ppc64le, "newfstatat"), Some(291));
    }

    /// MIPS numbers each ABI from its own base (o32 4000, n64 5000, n32 6000).
    fn mips_base(arch: Arch) -> u32 {
        match arch {
            Arch::Mips | Arch::Mipsel => 4000,
            Arch::Mips64 | Arch::Mipsel64 => 5000,
            Arch::Mips64n32 | Arch::Mipsel64n32 => 6000,
            _ => 0,
        }
    }

    #[test]
    fn unified_numbers_are_the_same_on_every_arch() {
        // Since Linux 5.1 a new syscall has one number everywhere (x32 adds its bit).
        for name in [
            "pidfd_open",
            "clone3",
            "openat2",
            "mseal",
            "statmount",
            "listns",
        ] {
            let expected = number(Arch::X86_64, name).expect("x86_64 has it");
            for (arch, _) in generated::TABLES {
                let nr = number(*arch, name).unwrap_or_else(|| panic!("{arch} lacks {name}"));
                assert_eq!(
                    nr & !X32_SYSCALL_BIT,
                    expected + mips_base(*arch),
                    "{arch}: {name}"
                );
            }
        }
    }

    #[test]
    fn syscalls_newer_than_libseccomp_are_present_and_flagged() {
        for (arch, t) in generated::TABLES {
            let mseal = entry(*arch, "mseal").unwrap_or_else(|| panic!("{arch} lacks mseal"));
            assert_eq!(mseal.nr & !X32_SYSCALL_BIT, 462 + mips_base(*arch));
            // Regenerating with a libseccomp that knows mseal flips the flag.
            if LIBSECCOMP_VERSION == "2.5.4" {
                assert!(
                    !mseal.libseccomp,
                    "{arch}: mseal resolved by libseccomp 2.5.4"
                );
            }
            assert!(
                t.iter().any(|e| e.libseccomp),
                "{arch}: nothing from libseccomp"
            );
        }
        assert!(entry(Arch::X86_64, "read").expect("read").libseccomp);
        // uretprobe is in x86's 64-bit table only (`common`: x86_64 and x32).
        assert_eq!(number(Arch::X86_64, "uretprobe"), Some(335));
        assert_eq!(number(Arch::X32, "uretprobe"), Some(X32_SYSCALL_BIT + 335));
        assert_eq!(number(Arch::X86, "uretprobe"), None);
        assert_eq!(
            number(Arch::X32, "map_shadow_stack"),
            Some(X32_SYSCALL_BIT + 453)
        );
    }

    #[test]
    fn libseccomp_version_is_recorded() {
        let parts: Vec<&str> = LIBSECCOMP_VERSION.split('.').collect();
        assert_eq!(parts.len(), 3, "{LIBSECCOMP_VERSION}");
        assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()));
    }

    #[test]
    fn every_name_in_mobys_default_profile_is_known() {
        let names = profile_names(include_str!("../../tests/fixtures/moby-default.json"));
        assert!(names.len() > 300);
        let unknown: Vec<&String> = names.iter().filter(|n| !is_known(n)).collect();
        assert!(unknown.is_empty(), "unknown: {unknown:?}");
    }

    #[test]
    fn every_name_in_podmans_default_profile_is_known() {
        // Including `syscall`, MIPS o32's indirect call, which only the MIPS tables have.
        let names = profile_names(include_str!("../../tests/fixtures/podman-default.json"));
        let unknown: Vec<&String> = names.iter().filter(|n| !is_known(n)).collect();
        assert!(unknown.is_empty(), "unknown: {unknown:?}");
        assert_eq!(number(Arch::Mips, "syscall"), Some(4000));
        assert_eq!(number(Arch::Mips64, "read"), Some(5000));
        assert_eq!(number(Arch::Mips64n32, "read"), Some(6000));
    }

    #[test]
    fn lookups_agree_with_each_other() {
        assert_eq!(name(Arch::S390x, 3), Some("read"));
        assert_eq!(name(Arch::X86_64, 100_000), None);
        assert!(is_known("_newselect"));
        assert!(!is_known("opn"));
        let all = all_names();
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(all.contains(&"arm_fadvise64_64"));
    }
}
