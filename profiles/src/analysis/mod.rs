//! What a profile enforces: the analysis `lint`, `explain` (and, through [`ContextSummary`],
//! the Kafel decompiler) share, so that each reads the same enforced filter the same way.
//!
//! An `Analysis` is one profile resolved for one container [`Context`] and compiled with
//! libseccomp; a rule is judged by what the compiled filter does with it ([`enforced`],
//! `overridden`): the filter the kernel gets, not the JSON. [`risk`] says how risky an allowed
//! syscall is, [`text`] writes argument conditions with the constants a reviewer knows.
//!
//! Layers: `model`/`resolve` (what the JSON says, for one context) -> `compile` (what
//! libseccomp builds) -> this module -> `lint`, `explain`.

pub mod risk;
pub mod text;

use serde::Serialize;

use crate::arch::Arch;
use crate::bpf::{self, Action};
use crate::compile::{self, Compiled};
use crate::model::{ArgCondition, KernelVersion, Profile};
use crate::resolve::{Context, Resolved, ResolvedRule};
use crate::{errno, solve, syscalls};

use self::risk::{assess, Assessment, Severity};

/// The context a profile was resolved for, as printed and serialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextSummary {
    pub host_arch: Arch,
    /// Sorted.
    pub caps: Vec<String>,
    /// `None`: every `minKernel` is taken as satisfied (a current kernel).
    pub kernel: Option<String>,
}

impl ContextSummary {
    #[must_use]
    pub fn new(cx: &Context) -> ContextSummary {
        ContextSummary {
            host_arch: cx.host_arch,
            caps: cx.caps.iter().cloned().collect(),
            kernel: cx.kernel.map(|k| k.to_string()),
        }
    }

    /// One line: `context: host x86_64, kernel current, caps CAP_CHOWN, ...`.
    #[must_use]
    pub fn describe(&self) -> String {
        let kernel = self.kernel.as_deref().unwrap_or("current");
        let caps = if self.caps.is_empty() {
            "none".to_string()
        } else {
            self.caps.join(", ")
        };
        format!(
            "context: host {}, kernel {kernel}, capabilities {caps}",
            self.host_arch
        )
    }
}

/// Whether an action lets the syscall run.
#[must_use]
pub fn allows(a: Action) -> bool {
    matches!(a, Action::Allow | Action::Log)
}

/// The action with its errno name: `ERRNO(38 ENOSYS)`, `ALLOW`.
#[must_use]
pub fn action_label(a: Action) -> String {
    match a {
        Action::Errno(e) => match errno::name(u32::from(e)) {
            Some(n) => format!("ERRNO({e} {n})"),
            None => a.to_string(),
        },
        _ => a.to_string(),
    }
}

/// The architectures whose syscalls reach a kernel built for `host` (its compat ABIs).
#[must_use]
pub fn compat_arches(host: Arch) -> &'static [Arch] {
    match host {
        Arch::X86_64 => &[Arch::X86, Arch::X32],
        Arch::Aarch64 => &[Arch::Arm],
        Arch::S390x => &[Arch::S390],
        Arch::Ppc64 => &[Arch::Ppc],
        Arch::Mips64 => &[Arch::Mips, Arch::Mips64n32],
        Arch::Mips64n32 => &[Arch::Mips, Arch::Mips64],
        Arch::Mipsel64 => &[Arch::Mipsel, Arch::Mipsel64n32],
        Arch::Mipsel64n32 => &[Arch::Mipsel, Arch::Mipsel64],
        _ => &[],
    }
}

/// What the compiled filter does with `name` called with `args`, on the first of `arches`
/// where the syscall exists, with that arch.
#[must_use]
pub fn enforced(
    compiled: &Compiled,
    arches: &[Arch],
    name: &str,
    args: [u64; 6],
) -> Option<(Arch, Action)> {
    arches.iter().find_map(|a| {
        syscalls::number(*a, name)
            .map(|nr| (*a, bpf::simulate(&compiled.program, *a, nr, args).action))
    })
}

/// Whether `name` exists on any of `arches`.
#[must_use]
pub fn exists_on_any(arches: &[Arch], name: &str) -> bool {
    arches.iter().any(|a| syscalls::number(*a, name).is_some())
}

/// The action the compiled filter takes instead of `rule`'s for a call the rule matches, when
/// another rule wins in libseccomp (`None` when the rule is enforced or cannot be checked).
pub(crate) fn overridden(an: &Analysis<'_>, name: &str, rule: &ResolvedRule) -> Option<Action> {
    let c = an.compiled.as_ref().ok()?;
    // A rule equal to the default is dropped, but gets its action anyway where no other rule
    // matches; `rule-equals-default` covers the rest.
    for piece in solve::enforced_pieces(&rule.args, false) {
        let w = witness(&piece)?;
        let (_, act) = enforced(c, &an.resolved.arches, name, w)?;
        if act != rule.action {
            return Some(act);
        }
    }
    None
}

/// A witness for one rule: arguments that satisfy all its conditions.
pub(crate) fn witness(args: &[ArgCondition]) -> Option<[u64; 6]> {
    solve::rules_overlap(args, &[])
}

/// Everything lint and explain need about one profile in one context.
pub(crate) struct Analysis<'a> {
    pub profile: &'a Profile,
    pub kernel: Option<KernelVersion>,
    pub resolved: Resolved,
    pub compiled: Result<Compiled, compile::CompileError>,
}

impl<'a> Analysis<'a> {
    pub fn new(profile: &'a Profile, cx: &Context) -> Analysis<'a> {
        let resolved = profile.resolve(cx);
        let compiled = compile::compile(&resolved, None);
        Analysis {
            profile,
            kernel: cx.kernel,
            resolved,
            compiled,
        }
    }

    pub fn host(&self) -> Arch {
        self.resolved.arches[0]
    }

    /// The capabilities a rule asks for in `includes.caps`.
    pub fn gating_caps(&self, origin: usize) -> &[String] {
        self.profile
            .syscalls
            .get(origin)
            .map_or(&[], |r| r.includes.caps.as_slice())
    }

    /// [`assess`] for a rule of this profile: a rule that only applies with a capability
    /// (`includes.caps`) is info, since the capability carries the risk; an allow that the
    /// enforced filter does not honour (another rule wins in libseccomp) is not a risk.
    pub fn assess_rule(&self, name: &str, rule: &ResolvedRule) -> Option<Assessment> {
        if !allows(rule.action) || rule.action == self.resolved.default_action {
            return None;
        }
        if !exists_on_any(&self.resolved.arches, name) {
            return None;
        }
        // Judge what libseccomp receives; the worst piece counts.
        let (piece, mut a) = solve::enforced_pieces(&rule.args, false)
            .into_iter()
            .filter_map(|p| assess(name, &p, self.host()).map(|a| (p, a)))
            .max_by(|x, y| {
                x.1.severity
                    .cmp(&y.1.severity)
                    .then(y.0.len().cmp(&x.0.len()))
            })?;
        if let Ok(c) = &self.compiled {
            let args = a.witness.or_else(|| witness(&piece));
            if let Some(args) = args {
                if let Some((_, act)) = enforced(c, &self.resolved.arches, name, args) {
                    if !allows(act) {
                        return None;
                    }
                }
            }
        }
        // Since Linux 4.8 seccomp runs after the ptrace syscall-entry stop and checks again
        // what a tracer changed; before, a tracer could rewrite an allowed syscall into any
        // other. moby's default allows ptrace only from 4.8 for this reason.
        let old_kernel = KernelVersion { major: 4, minor: 8 };
        if name == "ptrace" && self.kernel.is_some_and(|k| k < old_kernel) {
            a.severity = a.severity.max(Severity::High);
            a.reason = format!(
                "{}; this kernel is older than 4.8, so a tracer in the container can turn any allowed syscall into a forbidden one",
                a.reason
            );
        }
        let caps = self.gating_caps(rule.origin);
        if !caps.is_empty() {
            a.severity = Severity::Info;
            a.reason = format!(
                "{} (allowed only with {}, which carries this risk)",
                a.reason,
                caps.join(", ")
            );
        }
        Some(a)
    }
}
