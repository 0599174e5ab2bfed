//! `cargo xtask gen-syscalls`: writes `profiles/src/syscalls/generated.rs`.
//!
//! A table maps the numbers the kernel puts in `seccomp_data.nr` on one architecture to the names
//! libseccomp uses, because OCI profiles name syscalls the way libseccomp does and runc and crun
//! resolve them through it (`newfstatat`, `_llseek`, `umount2`, `arm_sync_file_range`).
//!
//! Two sources, in this order:
//! 1. libseccomp itself: `seccomp_syscall_resolve_num_arch` for every number in the ranges an
//!    architecture uses (0..1024; x32 numbers carry `__X32_SYSCALL_BIT`; ARM adds its private
//!    range at `__ARM_NR_BASE`). These rows are `libseccomp: true`.
//! 2. [`NEWER`]: syscalls the kernel has and the installed libseccomp does not know yet, taken
//!    from the kernel's syscall tables. They are `libseccomp: false`, because runc and crun built
//!    against that libseccomp cannot resolve them and skip their rules. An entry libseccomp
//!    already resolves (same name, same number) is left to libseccomp, so upgrading libseccomp
//!    only flips flags; a conflict (same number, another name) stops the generator.
//!
//! libseccomp's negative "pseudo" numbers (`__PNR_*`, e.g. x86's `socket` resolves by name to
//! -101, the `socketcall` multiplexer) never appear: only kernel numbers are resolved.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use libseccomp::{ScmpArch, ScmpSyscall, ScmpVersion};

/// `__X32_SYSCALL_BIT` (arch/x86/include/uapi/asm/unistd.h): x32 syscalls are `x86_64`'s
/// `AUDIT_ARCH` with this bit set in the number.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// `__ARM_NR_BASE` (arch/arm/include/uapi/asm/unistd.h): `breakpoint`, `cacheflush`, `usr26`,
/// `usr32`, `set_tls`, `get_tls` live at 0x0f0001..=0x0f0006.
const ARM_NR_BASE: u32 = 0x000f_0000;

/// Numbers below this are searched on every architecture. The highest syscall number on any
/// of these ABIs is well below it (x32's legacy range ends at 547).
const SEARCHED: u32 = 1024;

/// The file this generator owns, relative to the workspace root.
const OUTPUT: &str = "profiles/src/syscalls/generated.rs";

/// One architecture with a table (`profiles::Arch::has_table`).
struct Abi {
    /// The `profiles::Arch` variant.
    variant: &'static str,
    /// The name of the table's constant in the generated file.
    table: &'static str,
    /// The short name, as in `profiles::Arch::short_name`.
    short: &'static str,
    scmp: ScmpArch,
    /// Added to a generic number to get this ABI's (x32's bit); the generator resolves
    /// `offset..offset + SEARCHED`.
    offset: u32,
    /// An architecture-private range beyond that (ARM's).
    private: Option<Range<u32>>,
}

/// In `profiles::Arch::ALL` order; `profiles` tests that the generated tables match
/// `Arch::with_tables()`.
const ABIS: &[Abi] = &[
    Abi {
        variant: "X86_64",
        table: "X86_64",
        short: "x86_64",
        scmp: ScmpArch::X8664,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "X86",
        table: "X86",
        short: "x86",
        scmp: ScmpArch::X86,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "X32",
        table: "X32",
        short: "x32",
        scmp: ScmpArch::X32,
        // libseccomp's x32 resolver also answers for numbers without the bit (it strips it),
        // but the kernel hands x32 syscalls to the filter with the bit set; the bare numbers
        // are x86_64's.
        offset: X32_SYSCALL_BIT,
        private: None,
    },
    Abi {
        variant: "Aarch64",
        table: "AARCH64",
        short: "aarch64",
        scmp: ScmpArch::Aarch64,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "Arm",
        table: "ARM",
        short: "arm",
        scmp: ScmpArch::Arm,
        offset: 0,
        private: Some(ARM_NR_BASE..ARM_NR_BASE + 0x10),
    },
    Abi {
        variant: "Riscv64",
        table: "RISCV64",
        short: "riscv64",
        scmp: ScmpArch::Riscv64,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "S390x",
        table: "S390X",
        short: "s390x",
        scmp: ScmpArch::S390X,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "S390",
        table: "S390",
        short: "s390",
        scmp: ScmpArch::S390,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "Ppc64le",
        table: "PPC64LE",
        short: "ppc64le",
        scmp: ScmpArch::Ppc64Le,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "Ppc64",
        table: "PPC64",
        short: "ppc64",
        scmp: ScmpArch::Ppc64,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "Ppc",
        table: "PPC",
        short: "ppc",
        scmp: ScmpArch::Ppc,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "Mips",
        table: "MIPS",
        short: "mips",
        scmp: ScmpArch::Mips,
        offset: MIPS_O32_BASE,
        private: None,
    },
    Abi {
        variant: "Mipsel",
        table: "MIPSEL",
        short: "mipsel",
        scmp: ScmpArch::Mipsel,
        offset: MIPS_O32_BASE,
        private: None,
    },
    Abi {
        variant: "Mips64",
        table: "MIPS64",
        short: "mips64",
        scmp: ScmpArch::Mips64,
        offset: MIPS_N64_BASE,
        private: None,
    },
    Abi {
        variant: "Mipsel64",
        table: "MIPSEL64",
        short: "mipsel64",
        scmp: ScmpArch::Mipsel64,
        offset: MIPS_N64_BASE,
        private: None,
    },
    Abi {
        variant: "Mips64n32",
        table: "MIPS64N32",
        short: "mips64n32",
        scmp: ScmpArch::Mips64N32,
        offset: MIPS_N32_BASE,
        private: None,
    },
    Abi {
        variant: "Mipsel64n32",
        table: "MIPSEL64N32",
        short: "mipsel64n32",
        scmp: ScmpArch::Mipsel64N32,
        offset: MIPS_N32_BASE,
        private: None,
    },
    Abi {
        variant: "Parisc",
        table: "PARISC",
        short: "parisc",
        scmp: ScmpArch::Parisc,
        offset: 0,
        private: None,
    },
    Abi {
        variant: "Parisc64",
        table: "PARISC64",
        short: "parisc64",
        scmp: ScmpArch::Parisc64,
        offset: 0,
        private: None,
    },
];

// MIPS numbers each ABI from its own base (arch/mips/include/uapi/asm/unistd.h: __NR_O32_Linux
// 4000, __NR_64_Linux 5000, __NR_N32_Linux 6000); new syscalls keep the unified number there too.
const MIPS_O32_BASE: u32 = 4000;
const MIPS_N64_BASE: u32 = 5000;
const MIPS_N32_BASE: u32 = 6000;

/// Which tables a newer syscall belongs to.
enum Scope {
    /// Since Linux 5.1 (424, `pidfd_send_signal`) a new syscall gets the same number on every
    /// architecture: `scripts/syscall.tbl` for arm64 and riscv, `arch/arm/tools/syscall.tbl`,
    /// `arch/powerpc/kernel/syscalls/syscall.tbl`, `arch/s390/kernel/syscalls/syscall.tbl`,
    /// `arch/x86/entry/syscalls/syscall_32.tbl`, and `syscall_64.tbl` as `common`, which also
    /// gives it to x32 (number | `__X32_SYSCALL_BIT`).
    Unified,
    /// Only these ABIs (short names); x32 still gets its bit.
    Only(&'static [&'static str]),
    /// Every ABI but these.
    Except(&'static [&'static str]),
}

/// A syscall the kernel has that libseccomp may not know.
struct Newer {
    name: &'static str,
    /// The generic number (without x32's bit).
    nr: u32,
    scope: Scope,
    /// The first kernel release with it, written in a comment above the entry.
    since: &'static str,
}

impl Newer {
    const fn unified(name: &'static str, nr: u32, since: &'static str) -> Self {
        Self {
            name,
            nr,
            scope: Scope::Unified,
            since,
        }
    }

    const fn only(
        name: &'static str,
        nr: u32,
        since: &'static str,
        abis: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            nr,
            scope: Scope::Only(abis),
            since,
        }
    }

    const fn except(
        name: &'static str,
        nr: u32,
        since: &'static str,
        abis: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            nr,
            scope: Scope::Except(abis),
            since,
        }
    }
}

/// Checked against torvalds/linux `scripts/syscall.tbl` and
/// `arch/x86/entry/syscalls/syscall_64.tbl`, the patches that added each call (they touch every
/// architecture's table), and libseccomp's own `src/syscalls.csv` (v6.16 update, 2025-08-26),
/// which lists 451..=467 on all of these ABIs (x32 included), `uretprobe` on `x86_64` and x32
/// only, and `riscv_hwprobe` on riscv64 only.
///
/// 451..=456 matter only with a libseccomp whose table predates Linux 6.7, such as upstream
/// 2.5.4: Debian's 2.5.4-1+deb12u1 ("Add support for syscalls up to Linux 6.7") resolves them,
/// except `map_shadow_stack` on x32, which became `common` in `syscall_64.tbl` in Linux 6.10.
/// So `LIBSECCOMP_VERSION` alone does not say which names a table's libseccomp knew.
const NEWER: &[Newer] = &[
    Newer::unified("cachestat", 451, "6.5"),
    Newer::unified("fchmodat2", 452, "6.6"),
    // `453 64 map_shadow_stack` at first; `common`, so also x32, since 6.10.
    Newer::except("map_shadow_stack", 453, "6.6", &["x32"]),
    Newer::only("map_shadow_stack", 453, "6.10", &["x32"]),
    Newer::unified("futex_wake", 454, "6.7"),
    Newer::unified("futex_wait", 455, "6.7"),
    Newer::unified("futex_requeue", 456, "6.7"),
    Newer::unified("statmount", 457, "6.8"),
    Newer::unified("listmount", 458, "6.8"),
    Newer::unified("lsm_get_self_attr", 459, "6.8"),
    Newer::unified("lsm_set_self_attr", 460, "6.8"),
    Newer::unified("lsm_list_modules", 461, "6.8"),
    Newer::unified("mseal", 462, "6.10"),
    Newer::unified("setxattrat", 463, "6.13"),
    Newer::unified("getxattrat", 464, "6.13"),
    Newer::unified("listxattrat", 465, "6.13"),
    Newer::unified("removexattrat", 466, "6.13"),
    Newer::unified("open_tree_attr", 467, "6.15"),
    Newer::unified("file_getattr", 468, "6.17"),
    Newer::unified("file_setattr", 469, "6.17"),
    // "nstree: add listns()", commit 76b6f5dfb3fd.
    Newer::unified("listns", 470, "6.19"),
    // "rseq: Implement sys_rseq_slice_yield()"; the series moved to 471 when rebased on 6.19-rc1.
    Newer::unified("rseq_slice_yield", 471, "7.0"),
    // `335 common uretprobe` / `336 common uprobe` in syscall_64.tbl: x86_64 and x32, not i386.
    Newer::only("uretprobe", 335, "6.11", &["x86_64", "x32"]),
    Newer::only("uprobe", 336, "6.17", &["x86_64", "x32"]),
    // `258 riscv riscv_hwprobe` in scripts/syscall.tbl (arch-private range 244..=259).
    Newer::only("riscv_hwprobe", 258, "6.4", &["riscv64"]),
];

/// One row of a generated table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    name: String,
    nr: u32,
    /// `None` for a name libseccomp resolved; the kernel release for a [`NEWER`] entry.
    since: Option<&'static str>,
}

/// All tables, ready to render.
struct Tables {
    version: String,
    tables: Vec<(&'static Abi, Vec<Row>)>,
}

/// What `write` or `check` did.
pub enum Outcome {
    Written(PathBuf),
    UpToDate,
    Stale(PathBuf),
}

/// Regenerates the file; writes it only when it changed, through a temporary file and a rename.
pub fn write() -> Result<Outcome> {
    let path = output_path();
    let text = render(&collect()?);
    if fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        return Ok(Outcome::UpToDate);
    }
    let dir = path
        .parent()
        .context("output path has no parent directory")?;
    let tmp = dir.join(".generated.rs.tmp");
    let mut file =
        fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(file);
    fs::rename(&tmp, &path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(Outcome::Written(path))
}

/// Regenerates in memory and compares with the file on disk.
pub fn check() -> Result<Outcome> {
    let path = output_path();
    let text = render(&collect()?);
    let current =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(if current == text {
        Outcome::UpToDate
    } else {
        Outcome::Stale(path)
    })
}

fn output_path() -> PathBuf {
    // xtask/ sits in the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(OUTPUT)
}

/// The name libseccomp gives `nr` on `arch`, if any.
fn resolve(arch: ScmpArch, nr: u32) -> Result<Option<String>> {
    let raw = i32::try_from(nr).with_context(|| format!("syscall number {nr:#x} exceeds i32"))?;
    // libseccomp reports "no such syscall" as an error without an errno; any number we ask about
    // may be unassigned, so an error here means "no name".
    Ok(ScmpSyscall::from(raw).get_name_by_arch(arch).ok())
}

/// The number libseccomp gives `name` on `arch`; negative for its pseudo numbers.
fn number(arch: ScmpArch, name: &str) -> Result<i32> {
    let sc = ScmpSyscall::from_name_by_arch(name, arch)
        .with_context(|| format!("libseccomp does not know '{name}' on {arch:?}"))?;
    Ok(i32::from(sc))
}

fn version() -> Result<String> {
    let v = ScmpVersion::current().context("cannot read libseccomp's version")?;
    Ok(format!("{}.{}.{}", v.major, v.minor, v.micro))
}

fn collect() -> Result<Tables> {
    // The x32 convention this generator relies on: libseccomp's x32 numbers carry the bit.
    let read_x32 = number(ScmpArch::X32, "read")?;
    ensure!(
        u32::try_from(read_x32).ok() == Some(X32_SYSCALL_BIT),
        "libseccomp resolves x32 'read' to {read_x32:#x}, expected {X32_SYSCALL_BIT:#x}"
    );
    let tables = ABIS
        .iter()
        .map(|abi| Ok((abi, table(abi)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Tables {
        version: version()?,
        tables,
    })
}

fn table(abi: &'static Abi) -> Result<Vec<Row>> {
    let mut rows: BTreeMap<u32, Row> = BTreeMap::new();
    let searched = abi.offset..abi.offset + SEARCHED;
    for range in std::iter::once(searched).chain(abi.private.clone()) {
        for nr in range {
            if let Some(name) = resolve(abi.scmp, nr)? {
                check_round_trip(abi, nr, &name)?;
                rows.insert(
                    nr,
                    Row {
                        name,
                        nr,
                        since: None,
                    },
                );
            }
        }
    }
    for newer in NEWER.iter().filter(|n| applies(n, abi)) {
        let nr = newer.nr + abi.offset;
        if let Some(row) = rows.get(&nr) {
            ensure!(
                row.name == newer.name,
                "{}: libseccomp names {nr:#x} '{}', the kernel table names it '{}'",
                abi.short,
                row.name,
                newer.name
            );
            continue;
        }
        if let Some(row) = rows.values().find(|r| r.name == newer.name) {
            bail!(
                "{}: libseccomp puts '{}' at {:#x}, the kernel table at {nr:#x}",
                abi.short,
                newer.name,
                row.nr
            );
        }
        rows.insert(
            nr,
            Row {
                name: newer.name.to_string(),
                nr,
                since: Some(newer.since),
            },
        );
    }
    Ok(rows.into_values().collect())
}

fn applies(newer: &Newer, abi: &Abi) -> bool {
    match newer.scope {
        Scope::Unified => true,
        Scope::Only(shorts) => shorts.contains(&abi.short),
        Scope::Except(shorts) => !shorts.contains(&abi.short),
    }
}

/// Resolving the name back must give the same number, or one of libseccomp's negative pseudo
/// numbers for a call it also routes through a multiplexer (x86's `socket` resolves to the
/// `socketcall` pseudo number -101 although the kernel has had a direct `socket` at 359 since
/// Linux 4.3; libseccomp filters both).
fn check_round_trip(abi: &Abi, nr: u32, name: &str) -> Result<()> {
    let back = number(abi.scmp, name)?;
    ensure!(
        back < 0 || u32::try_from(back).ok() == Some(nr),
        "{}: libseccomp names {nr:#x} '{name}' but resolves '{name}' to {back:#x}",
        abi.short
    );
    Ok(())
}

/// A syscall number as Rust source: decimal, or grouped hex for x32's and ARM's high numbers.
fn literal(nr: u32) -> String {
    if nr < 0x1_0000 {
        nr.to_string()
    } else {
        let hex = format!("{nr:08x}");
        format!("0x{}_{}", &hex[..4], &hex[4..])
    }
}

/// The generated file, formatted as rustfmt would (rustfmt skips `@generated` files by default,
/// so the layout is kept simple: one entry per line, each under 100 columns).
fn render(t: &Tables) -> String {
    let mut out = String::new();
    let version = &t.version;
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "// @generated by cargo xtask gen-syscalls; do not edit

//! Syscall tables generated from libseccomp {version}.
//!
//! `known` rows are the names libseccomp resolves for the kernel numbers of each architecture
//! (0..1024; x32 with `__X32_SYSCALL_BIT`; ARM's private range at `0x0f_0000`). `newer` rows
//! are syscalls that libseccomp does not know, from the list in `xtask/src/gen_syscalls.rs`,
//! each after a comment with the kernel release that added it.

use super::Entry;
use crate::arch::Arch;

/// The libseccomp release these tables were generated with.
pub const LIBSECCOMP_VERSION: &str = \"{version}\";

/// Every table, in `Arch::ALL` order, each sorted by number.
pub static TABLES: &[(Arch, &[Entry])] = &[
"
    );
    for (abi, _) in &t.tables {
        let _ = writeln!(out, "    (Arch::{}, {}),", abi.variant, abi.table);
    }
    out.push_str(
        "];

/// A syscall libseccomp resolves.
const fn known(name: &'static str, nr: u32) -> Entry {
    Entry {
        name,
        nr,
        libseccomp: true,
    }
}

/// A syscall newer than libseccomp.
const fn newer(name: &'static str, nr: u32) -> Entry {
    Entry {
        name,
        nr,
        libseccomp: false,
    }
}
",
    );
    for (abi, rows) in &t.tables {
        let newer_count = rows.iter().filter(|r| r.since.is_some()).count();
        let _ = write!(
            out,
            "\n/// `{}`: {} known, {} newer.\nconst {}: &[Entry] = &[\n",
            abi.short,
            rows.len() - newer_count,
            newer_count,
            abi.table
        );
        for row in rows {
            let nr = literal(row.nr);
            match row.since {
                None => {
                    let _ = writeln!(out, "    known(\"{}\", {nr}),", row.name);
                }
                Some(since) => {
                    let _ = writeln!(
                        out,
                        "    // Linux {since}\n    newer(\"{}\", {nr}),",
                        row.name
                    );
                }
            }
        }
        out.push_str("];\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(arch: ScmpArch, nr: u32) -> Option<String> {
        resolve(arch, nr).expect("number fits in i32")
    }

    #[test]
    fn libseccomp_names_the_numbers_the_tables_rely_on() {
        assert_eq!(name(ScmpArch::X8664, 0).as_deref(), Some("read"));
        assert_eq!(name(ScmpArch::X8664, 262).as_deref(), Some("newfstatat"));
        assert_eq!(name(ScmpArch::X86, 102).as_deref(), Some("socketcall"));
        assert_eq!(name(ScmpArch::X86, 140).as_deref(), Some("_llseek"));
        assert_eq!(name(ScmpArch::Aarch64, 39).as_deref(), Some("umount2"));
        assert_eq!(
            name(ScmpArch::Arm, ARM_NR_BASE + 2).as_deref(),
            Some("cacheflush")
        );
        assert_eq!(
            name(ScmpArch::X32, X32_SYSCALL_BIT + 512).as_deref(),
            Some("rt_sigaction")
        );
        // x32's rt_sigaction is 512; x86_64's 13 does not exist on x32.
        assert_eq!(name(ScmpArch::X32, X32_SYSCALL_BIT + 13), None);
    }

    #[test]
    fn x32_numbers_carry_the_x32_bit() {
        let nr = number(ScmpArch::X32, "read").expect("x32 knows read");
        assert_eq!(u32::try_from(nr).ok(), Some(X32_SYSCALL_BIT));
    }

    #[test]
    fn multiplexed_names_resolve_to_negative_pseudo_numbers() {
        // By name, libseccomp maps x86's socket to the socketcall pseudo number; by number, 359
        // is socket. The generator only resolves numbers, so no pseudo number reaches a table.
        assert!(number(ScmpArch::X86, "socket").expect("x86 knows socket") < 0);
        assert_eq!(name(ScmpArch::X86, 359).as_deref(), Some("socket"));
        // A name that does not exist on an architecture is a pseudo number too.
        assert!(number(ScmpArch::Aarch64, "open").expect("known name") < 0);
    }

    #[test]
    fn newer_list_names_each_syscall_once_per_abi() {
        for n in NEWER {
            if let Scope::Only(shorts) | Scope::Except(shorts) = n.scope {
                for s in shorts {
                    assert!(ABIS.iter().any(|a| a.short == *s), "unknown ABI {s}");
                }
            }
        }
        for abi in ABIS {
            let mut seen = std::collections::HashSet::new();
            for n in NEWER.iter().filter(|n| applies(n, abi)) {
                assert!(
                    seen.insert(n.name),
                    "{} listed twice for {}",
                    n.name,
                    abi.short
                );
            }
        }
    }

    #[test]
    fn literals_are_decimal_or_grouped_hex() {
        assert_eq!(literal(262), "262");
        assert_eq!(literal(X32_SYSCALL_BIT + 512), "0x4000_0200");
        assert_eq!(literal(ARM_NR_BASE + 2), "0x000f_0002");
    }

    #[test]
    fn generated_file_is_up_to_date() {
        let text = render(&collect().expect("libseccomp answers"));
        let current = fs::read_to_string(output_path()).expect("generated.rs exists");
        assert!(
            current == text,
            "{OUTPUT} is out of date: run `cargo xtask gen-syscalls`"
        );
    }
}
