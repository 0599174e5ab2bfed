//! The seccomp profile model: OCI `linux.seccomp` plus the extensions found in the wild
//! (containers/common's `archMap`, `errno`, `defaultErrno`; moby's `includes`/`excludes`,
//! `comment`; the legacy Docker `name`).
//!
//! Terms: a *profile* has a default action and *rules*. A rule names syscalls, an action and
//! up to six *argument conditions*. Conditions within one rule are AND-ed; rules for one
//! syscall are OR-ed. `includes`/`excludes` make a rule conditional on the capabilities,
//! architecture and kernel of the container; [`crate::resolve`] turns a profile into the flat
//! rule list a runtime receives for one such context.

use serde::Serialize;

use crate::arch::Arch;
use crate::bpf::Action;

/// What `SCMP_ACT_*` a profile names, without its data (errno or trace value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionKind {
    KillProcess,
    /// `SCMP_ACT_KILL` is libseccomp's old name for killing the thread.
    Kill,
    KillThread,
    Trap,
    Errno,
    Notify,
    Trace,
    Log,
    Allow,
}

impl ActionKind {
    pub const ALL: &'static [ActionKind] = &[
        ActionKind::KillProcess,
        ActionKind::Kill,
        ActionKind::KillThread,
        ActionKind::Trap,
        ActionKind::Errno,
        ActionKind::Notify,
        ActionKind::Trace,
        ActionKind::Log,
        ActionKind::Allow,
    ];

    #[must_use]
    pub fn scmp_name(self) -> &'static str {
        match self {
            ActionKind::KillProcess => "SCMP_ACT_KILL_PROCESS",
            ActionKind::Kill => "SCMP_ACT_KILL",
            ActionKind::KillThread => "SCMP_ACT_KILL_THREAD",
            ActionKind::Trap => "SCMP_ACT_TRAP",
            ActionKind::Errno => "SCMP_ACT_ERRNO",
            ActionKind::Notify => "SCMP_ACT_NOTIFY",
            ActionKind::Trace => "SCMP_ACT_TRACE",
            ActionKind::Log => "SCMP_ACT_LOG",
            ActionKind::Allow => "SCMP_ACT_ALLOW",
        }
    }

    #[must_use]
    pub fn from_scmp_name(s: &str) -> Option<ActionKind> {
        ActionKind::ALL.iter().copied().find(|a| a.scmp_name() == s)
    }

    /// Whether the action carries a value (`errnoRet`): ERRNO and TRACE.
    #[must_use]
    pub fn takes_errno(self) -> bool {
        matches!(self, ActionKind::Errno | ActionKind::Trace)
    }
}

/// Why a seccomp action has no OCI spelling that runc loads as exactly that action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotInOci {
    /// Measured with libseccomp 2.5.4: `seccomp_rule_add` refuses `SCMP_ACT_ERRNO(4095)`
    /// (EINVAL), although the kernel returns errnos up to `MAX_ERRNO` (4095).
    #[error("libseccomp refuses ERRNO({errno}) (it takes 0-4094), so runc could not load it")]
    ErrnoAboveLibseccomp { errno: u16 },
    /// OCI JSON has no field for the data of `SCMP_ACT_TRAP`.
    #[error("SCMP_ACT_TRAP carries no data in OCI JSON, so TRAP({data}) would become TRAP(0)")]
    TrapData { data: u16 },
}

/// The one mapping from a seccomp action to what an OCI profile writes
/// ([`crate::resolve::action`] is the way back).
impl Action {
    /// The `SCMP_ACT_*` and `errnoRet` that say this action: `SCMP_ACT_KILL_THREAD` for
    /// KILL_THREAD, ERRNO and TRACE with their value. TRAP's data is dropped: OCI has no field
    /// for it, and resolving a profile always gives TRAP(0).
    #[must_use]
    pub fn to_oci(self) -> (ActionKind, Option<u32>) {
        match self {
            Action::KillProcess => (ActionKind::KillProcess, None),
            Action::KillThread => (ActionKind::KillThread, None),
            Action::Trap(_) => (ActionKind::Trap, None),
            Action::Errno(e) => (ActionKind::Errno, Some(u32::from(e))),
            Action::UserNotif => (ActionKind::Notify, None),
            Action::Trace(t) => (ActionKind::Trace, Some(u32::from(t))),
            Action::Log => (ActionKind::Log, None),
            Action::Allow => (ActionKind::Allow, None),
        }
    }

    /// [`Action::to_oci`] when runc loads the result as exactly this action.
    ///
    /// # Errors
    /// TRAP with data, or an errno libseccomp refuses.
    pub fn to_oci_exact(self) -> Result<(ActionKind, Option<u32>), NotInOci> {
        match self {
            Action::Errno(errno) if errno >= 4095 => Err(NotInOci::ErrnoAboveLibseccomp { errno }),
            Action::Trap(data) if data != 0 => Err(NotInOci::TrapData { data }),
            _ => Ok(self.to_oci()),
        }
    }

    /// The `SCMP_ACT_*` name of [`Action::to_oci`]: `SCMP_ACT_ERRNO` for ERRNO(38).
    #[must_use]
    pub fn scmp_name(self) -> &'static str {
        self.to_oci().0.scmp_name()
    }
}

impl Serialize for ActionKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.scmp_name())
    }
}

/// A comparison operator (`SCMP_CMP_*`). Comparisons are unsigned 64-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    /// `(arg & value) == valueTwo`.
    MaskedEq,
}

impl Op {
    pub const ALL: &'static [Op] = &[Op::Ne, Op::Lt, Op::Le, Op::Eq, Op::Ge, Op::Gt, Op::MaskedEq];

    #[must_use]
    pub fn scmp_name(self) -> &'static str {
        match self {
            Op::Ne => "SCMP_CMP_NE",
            Op::Lt => "SCMP_CMP_LT",
            Op::Le => "SCMP_CMP_LE",
            Op::Eq => "SCMP_CMP_EQ",
            Op::Ge => "SCMP_CMP_GE",
            Op::Gt => "SCMP_CMP_GT",
            Op::MaskedEq => "SCMP_CMP_MASKED_EQ",
        }
    }

    #[must_use]
    pub fn from_scmp_name(s: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|o| o.scmp_name() == s)
    }

    /// The operator as a person writes it (`==`, `<`, `&`).
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::MaskedEq => "&",
        }
    }
}

impl Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.scmp_name())
    }
}

/// One argument condition: `args[index] op value` (`valueTwo` only for MASKED_EQ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ArgCondition {
    pub index: u8,
    pub value: u64,
    #[serde(rename = "valueTwo")]
    pub value_two: u64,
    pub op: Op,
}

impl ArgCondition {
    /// `args[index] op value`, with `valueTwo` 0 (give MASKED_EQ's `valueTwo` in a literal).
    #[must_use]
    pub const fn compare(index: u8, op: Op, value: u64) -> ArgCondition {
        ArgCondition {
            index,
            value,
            value_two: 0,
            op,
        }
    }

    /// Whether a 64-bit argument value satisfies the condition.
    #[must_use]
    pub fn matches(&self, arg: u64) -> bool {
        match self.op {
            Op::Ne => arg != self.value,
            Op::Lt => arg < self.value,
            Op::Le => arg <= self.value,
            Op::Eq => arg == self.value,
            Op::Ge => arg >= self.value,
            Op::Gt => arg > self.value,
            Op::MaskedEq => arg & self.value == self.value_two,
        }
    }
}

impl std::fmt::Display for ArgCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.op {
            Op::MaskedEq => write!(
                f,
                "(args[{}] & {:#x}) == {:#x}",
                self.index, self.value, self.value_two
            ),
            op => write!(f, "args[{}] {} {:#x}", self.index, op.symbol(), self.value),
        }
    }
}

/// An architecture named in `includes`/`excludes`, kept as written (moby writes Go names such as
/// `amd64`, others write `x86_64` or `SCMP_ARCH_X86_64`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArchName {
    pub written: String,
    pub arch: Arch,
}

impl Serialize for ArchName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.written)
    }
}

/// A kernel version `major.minor` as `minKernel` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
}

impl std::str::FromStr for KernelVersion {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut parts = s.trim().split(['.', '-']);
        let major = parts.next().ok_or(())?.parse().map_err(|_| ())?;
        let minor = match parts.next() {
            Some(m) => m.parse().map_err(|_| ())?,
            None => 0,
        };
        Ok(KernelVersion { major, minor })
    }
}

impl std::fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for KernelVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// moby's `includes`/`excludes`: a rule applies only when these hold (includes) or do not
/// (excludes) for the container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arches: Vec<ArchName>,
    #[serde(rename = "minKernel", skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<KernelVersion>,
}

impl Filter {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.caps.is_empty() && self.arches.is_empty() && self.min_kernel.is_none()
    }
}

/// One entry of `syscalls[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub names: Vec<String>,
    pub action: ActionKind,
    /// `errnoRet` for ERRNO and TRACE (the value returned or passed to the tracer).
    #[serde(rename = "errnoRet", skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<ArgCondition>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(skip_serializing_if = "Filter::is_empty")]
    pub includes: Filter,
    #[serde(skip_serializing_if = "Filter::is_empty")]
    pub excludes: Filter,
}

/// One `archMap` entry: when the host is `architecture`, the filter also covers the sub-arches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchMapEntry {
    pub architecture: Arch,
    #[serde(rename = "subArchitectures")]
    pub sub_architectures: Vec<Arch>,
}

/// Filter flags (`SECCOMP_FILTER_FLAG_*`) a profile may request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    Tsync,
    Log,
    SpecAllow,
    NewListener,
    TsyncEsrch,
    WaitKillableRecv,
}

impl Flag {
    pub const ALL: &'static [Flag] = &[
        Flag::Tsync,
        Flag::Log,
        Flag::SpecAllow,
        Flag::NewListener,
        Flag::TsyncEsrch,
        Flag::WaitKillableRecv,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Flag::Tsync => "SECCOMP_FILTER_FLAG_TSYNC",
            Flag::Log => "SECCOMP_FILTER_FLAG_LOG",
            Flag::SpecAllow => "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
            Flag::NewListener => "SECCOMP_FILTER_FLAG_NEW_LISTENER",
            Flag::TsyncEsrch => "SECCOMP_FILTER_FLAG_TSYNC_ESRCH",
            Flag::WaitKillableRecv => "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
        }
    }

    #[must_use]
    pub fn from_name(s: &str) -> Option<Flag> {
        Flag::ALL.iter().copied().find(|f| f.name() == s)
    }
}

impl Serialize for Flag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A seccomp profile as written (before `includes`/`excludes` are resolved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    #[serde(rename = "defaultAction")]
    pub default_action: ActionKind,
    #[serde(rename = "defaultErrnoRet", skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<Arch>,
    #[serde(rename = "archMap", skip_serializing_if = "Vec::is_empty")]
    pub arch_map: Vec<ArchMapEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    #[serde(rename = "listenerPath", skip_serializing_if = "Option::is_none")]
    pub listener_path: Option<String>,
    #[serde(rename = "listenerMetadata", skip_serializing_if = "Option::is_none")]
    pub listener_metadata: Option<String>,
    pub syscalls: Vec<Rule>,
}

impl Profile {
    /// An empty profile with the given default action.
    #[must_use]
    pub fn new(default_action: ActionKind) -> Profile {
        Profile {
            default_action,
            default_errno_ret: None,
            architectures: Vec::new(),
            arch_map: Vec::new(),
            flags: Vec::new(),
            listener_path: None,
            listener_metadata: None,
            syscalls: Vec::new(),
        }
    }

    /// The normalized form: names sorted and deduplicated within each rule, argument conditions
    /// sorted, flags and arches sorted and deduplicated. Rules keep their order: OCI says rules
    /// are OR-ed, but when rules with different actions overlap, libseccomp keeps the first one
    /// added (podman's default allows `setns` in its big ALLOW rule before an ERRNO rule for
    /// it), so reordering rules could change what is enforced.
    #[must_use]
    pub fn normalized(&self) -> Profile {
        let mut p = self.clone();
        for r in &mut p.syscalls {
            r.names.sort();
            r.names.dedup();
            r.args.sort();
            r.includes.caps.sort();
            r.includes.arches.sort();
            r.excludes.caps.sort();
            r.excludes.arches.sort();
        }
        p.flags.sort();
        p.flags.dedup();
        p.architectures.sort();
        p.architectures.dedup();
        for m in &mut p.arch_map {
            m.sub_architectures.sort();
            m.sub_architectures.dedup();
        }
        p.arch_map.sort_by_key(|m| m.architecture);
        p
    }

    /// Pretty, deterministic JSON with a trailing newline.
    #[must_use]
    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a profile always serializes");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_oci_and_back_keeps_every_action_runc_can_load() {
        for a in [
            Action::KillProcess,
            Action::KillThread,
            Action::Trap(0),
            Action::Errno(0),
            Action::Errno(4094),
            Action::UserNotif,
            Action::Trace(7),
            Action::Log,
            Action::Allow,
        ] {
            let (kind, errno_ret) = a.to_oci_exact().expect("loadable");
            assert_eq!(crate::resolve::action(kind, errno_ret), a);
        }
        assert_eq!(Action::Errno(38).scmp_name(), "SCMP_ACT_ERRNO");
    }

    #[test]
    fn to_oci_exact_refuses_trap_data_and_errno_4095() {
        assert_eq!(
            Action::Trap(3).to_oci_exact(),
            Err(NotInOci::TrapData { data: 3 })
        );
        assert_eq!(
            Action::Errno(4095).to_oci_exact(),
            Err(NotInOci::ErrnoAboveLibseccomp { errno: 4095 })
        );
        assert_eq!(Action::Trap(3).to_oci(), (ActionKind::Trap, None));
    }
}
