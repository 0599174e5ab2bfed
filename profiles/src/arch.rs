//! Architectures as OCI profiles, libseccomp and the kernel name them.
//!
//! A seccomp filter sees the architecture of each syscall as an `AUDIT_ARCH_*` value in
//! `seccomp_data.arch`; OCI profiles name it `SCMP_ARCH_*`; people write `x86_64` or `aarch64`.
//! x32 shares `AUDIT_ARCH_X86_64` and marks its syscalls with bit 30 of the number
//! (`__X32_SYSCALL_BIT`), which is why it needs its own guard.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `__X32_SYSCALL_BIT` from `arch/x86/include/uapi/asm/unistd.h`.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

// AUDIT_ARCH_* from include/uapi/linux/audit.h: EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.
const AUDIT_ARCH_64BIT: u32 = 0x8000_0000;
const AUDIT_ARCH_LE: u32 = 0x4000_0000;

macro_rules! arches {
    ($( $variant:ident => $scmp:literal, $short:literal, $audit:expr, $tables:literal; )*) => {
        /// Every architecture an OCI profile may name (`SCMP_ARCH_*`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Arch { $( $variant, )* }

        impl Arch {
            /// All architectures, in a fixed order.
            pub const ALL: &'static [Arch] = &[$( Arch::$variant, )*];

            /// The OCI/libseccomp name, e.g. `SCMP_ARCH_X86_64`.
            #[must_use]
            pub fn scmp_name(self) -> &'static str {
                match self { $( Arch::$variant => $scmp, )* }
            }

            /// The short name people write, e.g. `x86_64`, `aarch64`.
            #[must_use]
            pub fn short_name(self) -> &'static str {
                match self { $( Arch::$variant => $short, )* }
            }

            /// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch`.
            #[must_use]
            pub fn audit_arch(self) -> u32 {
                match self { $( Arch::$variant => $audit, )* }
            }

            /// Whether rpod ships a syscall table for this architecture.
            #[must_use]
            pub fn has_table(self) -> bool {
                match self { $( Arch::$variant => $tables, )* }
            }
        }
    };
}

const EM_386: u32 = 3;
const EM_MIPS: u32 = 8;
const EM_PARISC: u32 = 15;
const EM_PPC: u32 = 20;
const EM_PPC64: u32 = 21;
const EM_S390: u32 = 22;
const EM_ARM: u32 = 40;
const EM_X86_64: u32 = 62;
const EM_AARCH64: u32 = 183;
const EM_RISCV: u32 = 243;
// MIPS n32 is marked with __AUDIT_ARCH_CONVENTION_MIPS64_N32.
const AUDIT_ARCH_CONVENTION_MIPS64_N32: u32 = 0x2000_0000;

arches! {
    X86_64 => "SCMP_ARCH_X86_64", "x86_64", EM_X86_64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, true;
    X86 => "SCMP_ARCH_X86", "x86", EM_386 | AUDIT_ARCH_LE, true;
    X32 => "SCMP_ARCH_X32", "x32", EM_X86_64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, true;
    Aarch64 => "SCMP_ARCH_AARCH64", "aarch64", EM_AARCH64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, true;
    Arm => "SCMP_ARCH_ARM", "arm", EM_ARM | AUDIT_ARCH_LE, true;
    Riscv64 => "SCMP_ARCH_RISCV64", "riscv64", EM_RISCV | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, true;
    S390x => "SCMP_ARCH_S390X", "s390x", EM_S390 | AUDIT_ARCH_64BIT, true;
    S390 => "SCMP_ARCH_S390", "s390", EM_S390, true;
    Ppc64le => "SCMP_ARCH_PPC64LE", "ppc64le", EM_PPC64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, true;
    Ppc64 => "SCMP_ARCH_PPC64", "ppc64", EM_PPC64 | AUDIT_ARCH_64BIT, true;
    Ppc => "SCMP_ARCH_PPC", "ppc", EM_PPC, true;
    Mips => "SCMP_ARCH_MIPS", "mips", EM_MIPS, true;
    Mipsel => "SCMP_ARCH_MIPSEL", "mipsel", EM_MIPS | AUDIT_ARCH_LE, true;
    Mips64 => "SCMP_ARCH_MIPS64", "mips64", EM_MIPS | AUDIT_ARCH_64BIT, true;
    Mipsel64 => "SCMP_ARCH_MIPSEL64", "mipsel64", EM_MIPS | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, true;
    Mips64n32 => "SCMP_ARCH_MIPS64N32", "mips64n32", EM_MIPS | AUDIT_ARCH_64BIT | AUDIT_ARCH_CONVENTION_MIPS64_N32, true;
    Mipsel64n32 => "SCMP_ARCH_MIPSEL64N32", "mipsel64n32", EM_MIPS | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE | AUDIT_ARCH_CONVENTION_MIPS64_N32, true;
    Parisc => "SCMP_ARCH_PARISC", "parisc", EM_PARISC, true;
    Parisc64 => "SCMP_ARCH_PARISC64", "parisc64", EM_PARISC | AUDIT_ARCH_64BIT, true;
}

impl Arch {
    /// The architecture rpod itself was built for.
    #[must_use]
    pub fn native() -> Arch {
        if cfg!(target_arch = "x86_64") {
            Arch::X86_64
        } else if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else if cfg!(target_arch = "riscv64") {
            Arch::Riscv64
        } else if cfg!(target_arch = "s390x") {
            Arch::S390x
        } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
            Arch::Ppc64le
        } else if cfg!(target_arch = "arm") {
            Arch::Arm
        } else {
            Arch::X86
        }
    }

    /// The architectures whose syscall tables rpod ships.
    pub fn with_tables() -> impl Iterator<Item = Arch> {
        Arch::ALL.iter().copied().filter(|a| a.has_table())
    }

    /// Whether arguments are 32 bits wide on this ABI (the upper word of `seccomp_data.args[i]`
    /// is then whatever the kernel's sign/zero extension left there).
    #[must_use]
    pub fn is_32bit(self) -> bool {
        self.audit_arch() & AUDIT_ARCH_64BIT == 0 || matches!(self, Arch::X32)
    }

    /// Looks an architecture up by its AUDIT_ARCH value (x86_64 wins over x32).
    #[must_use]
    pub fn from_audit_arch(value: u32) -> Option<Arch> {
        Arch::ALL.iter().copied().find(|a| a.audit_arch() == value)
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// An architecture name that is neither `SCMP_ARCH_*` nor a known short name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown architecture '{name}'{}", suggestion.map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default())]
pub struct UnknownArch {
    pub name: String,
    pub suggestion: Option<&'static str>,
}

impl FromStr for Arch {
    type Err = UnknownArch;

    /// Accepts `SCMP_ARCH_X86_64`, `x86_64`, and the common aliases `amd64`, `arm64`, `i386`,
    /// `i686`, `ppc64el` (case-insensitive for short names).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(a) = Arch::ALL.iter().find(|a| a.scmp_name() == s) {
            return Ok(*a);
        }
        let lower = s.to_ascii_lowercase();
        let alias = match lower.as_str() {
            "amd64" | "x86-64" => Some(Arch::X86_64),
            "arm64" => Some(Arch::Aarch64),
            "i386" | "i686" | "x86_32" => Some(Arch::X86),
            "ppc64el" => Some(Arch::Ppc64le),
            _ => None,
        };
        if let Some(a) = alias {
            return Ok(a);
        }
        if let Some(a) = Arch::ALL.iter().find(|a| a.short_name() == lower) {
            return Ok(*a);
        }
        let candidates = Arch::ALL
            .iter()
            .flat_map(|a| [a.scmp_name(), a.short_name()]);
        Err(UnknownArch {
            name: s.to_string(),
            suggestion: crate::suggest::nearest(s, candidates),
        })
    }
}

impl Serialize for Arch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.scmp_name())
    }
}

impl<'de> Deserialize<'de> for Arch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // Profiles must use the SCMP_ARCH_* spelling, as runc and crun require.
        Arch::ALL
            .iter()
            .copied()
            .find(|a| a.scmp_name() == s)
            .ok_or_else(|| {
                let hint = crate::suggest::nearest(&s, Arch::ALL.iter().map(|a| a.scmp_name()));
                serde::de::Error::custom(UnknownArch {
                    name: s,
                    suggestion: hint,
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_values_match_the_kernel() {
        // Values from include/uapi/linux/audit.h.
        assert_eq!(Arch::X86_64.audit_arch(), 0xc000_003e);
        assert_eq!(Arch::X86.audit_arch(), 0x4000_0003);
        assert_eq!(Arch::Aarch64.audit_arch(), 0xc000_00b7);
        assert_eq!(Arch::Arm.audit_arch(), 0x4000_0028);
        assert_eq!(Arch::Riscv64.audit_arch(), 0xc000_00f3);
        assert_eq!(Arch::S390x.audit_arch(), 0x8000_0016);
        assert_eq!(Arch::Ppc64le.audit_arch(), 0xc000_0015);
    }

    #[test]
    fn parses_short_and_scmp_names() {
        assert_eq!("SCMP_ARCH_AARCH64".parse::<Arch>().unwrap(), Arch::Aarch64);
        assert_eq!("arm64".parse::<Arch>().unwrap(), Arch::Aarch64);
        assert_eq!("X86_64".parse::<Arch>().unwrap(), Arch::X86_64);
        let err = "aarch46".parse::<Arch>().unwrap_err();
        assert_eq!(err.suggestion, Some("aarch64"));
    }
}
