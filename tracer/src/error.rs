use std::path::PathBuf;

/// Why a recording could not start or be read. Each variant names the kernel object involved,
/// and the kernel's own words (the verifier log included) are kept.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the kernel's BTF {}: {why}", path.display())]
    Btf { path: PathBuf, why: String },
    #[error("cannot read /proc/sys/kernel/pid_max: {why}")]
    PidMax { why: String },
    #[error("cannot read the recorder's own pid namespace: {why}")]
    PidNamespace { why: String },
    #[error("cannot load the syscall recorder into the kernel")]
    Load(#[source] aya::EbpfError),
    #[error("the kernel refused the recorder's program `{program}`")]
    Program {
        program: &'static str,
        #[source]
        source: aya::programs::ProgramError,
    },
    #[error("the recorder's map `{map}` is missing or unusable")]
    Map {
        map: &'static str,
        #[source]
        source: Option<aya::maps::MapError>,
    },
    #[error("syscall {name} has no number on {arch}")]
    NoNumber { name: String, arch: &'static str },
}

impl Error {
    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Btf { .. } | Error::Load(_) | Error::Program { .. } => Some(
                "recording needs root (CAP_BPF and CAP_PERFMON) and a kernel with BPF raw tracepoints and BTF (CONFIG_DEBUG_INFO_BTF, /sys/kernel/btf/vmlinux)",
            ),
            _ => None,
        }
    }
}
