//! `rpod seccomp explain`: a profile as a reviewer reads it.
//!
//! The profile is resolved for one container context (host architecture, capabilities, kernel),
//! then described per action: the default action first, as "everything not listed below", then
//! each action the rules use, per set of architectures on which the syscalls exist, grouped by
//! [`Category`]. Argument conditions are printed as expressions with the well-known constants
//! of that syscall and argument (`args[0] == AF_NETLINK(16)`, `(args[0] & CLONE_NEW*(0x7e020000))
//! == 0`). Syscalls from [`crate::analysis::risk::RISKY`] (and `clone`, `clone3`, `unshare`,
//! `personality`, judged by their arguments) carry a marker and a one-line reason.
//!
//! The explanation also says which architectures the filter covers and what libseccomp does
//! with the others (checked in the compiled filter), which rules `includes`/`excludes` dropped
//! for this context and why, and the compile notes: where libseccomp or the runtime change what
//! the profile means. The filter read is the one a runtime installs ([`crate::enforce`]): runc's
//! ENOSYS stub is a meaning change like libseccomp's, and the explanation names its runtime.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::risk::{self, Severity};
use crate::analysis::text::wrap_after;
use crate::analysis::{action_label, compat_arches, overridden, Analysis};
use crate::arch::Arch;
use crate::bpf::{self, Action};
use crate::category::{self, Category};
use crate::compile::Note;
use crate::enforce::{self, StubLimit, Target};
use crate::model::{ArgCondition, Filter, Profile};
use crate::resolve::Context;
use crate::syscalls;

pub use crate::analysis::text::{condition, wrap};
pub use crate::analysis::ContextSummary;

/// What a profile does, for one context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub context: ContextSummary,
    /// Whose filter is explained: `runc`, `crun`, or `none` (libseccomp's alone).
    pub runtime: Target,
    /// runc's ENOSYS stub: per arch, the number above which every syscall gets ENOSYS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enosys_above: Vec<StubLimit>,
    /// The default action, e.g. `ERRNO(38 ENOSYS)`.
    pub default_action: String,
    pub architectures: Architectures,
    /// The default action's section first (it lists only rules equal to the default), then
    /// ALLOW, LOG, NOTIFY, TRACE, ERRNO, TRAP, KILL.
    pub actions: Vec<ActionSection>,
    /// Rules that `includes`/`excludes` leave out for this context.
    pub dropped: Vec<DroppedRule>,
    /// Where libseccomp or the runtime change the profile's meaning.
    pub notes: Vec<Note>,
    /// Why libseccomp refused the profile, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile_error: Option<String>,
}

/// The architectures a filter covers and what happens to the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Architectures {
    /// Host first.
    pub covered: Vec<Arch>,
    /// The host's compat ABIs the filter leaves out, with what the compiled filter does to
    /// their syscalls.
    pub uncovered_compat: Vec<UncoveredArch>,
    /// What the compiled filter returns for a syscall of any other architecture
    /// (libseccomp's `SCMP_FLTATR_ACT_BADARCH`, KILL_THREAD unless changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_arches: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UncoveredArch {
    pub arch: Arch,
    /// The action the compiled filter returns for its syscalls; `None` if not compiled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// The syscalls that get one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionSection {
    pub action: String,
    pub is_default: bool,
    /// Distinct syscall names in this section.
    pub syscall_count: usize,
    /// Widest architecture set first; the last group (empty `arches`) lists names that exist
    /// on no architecture of the filter.
    pub groups: Vec<ArchGroup>,
}

/// Syscalls that exist on exactly these architectures of the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchGroup {
    pub arches: Vec<Arch>,
    pub categories: Vec<CategoryGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryGroup {
    pub category: Category,
    pub syscalls: Vec<SyscallEntry>,
}

/// One syscall under one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyscallEntry {
    pub name: String,
    /// The conditions under which the action applies: OR of ANDs, one inner list per rule.
    /// Empty: always.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<Vec<String>>,
    /// The same conditions as the profile writes them, parallel to `when`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Vec<ArgCondition>>,
    /// Indices into the profile's `syscalls[]`.
    pub rules: Vec<usize>,
    /// Architectures where the syscall has no number of its own and libseccomp filters it
    /// through a multiplexer (`socketcall`, `ipc`) instead, e.g. `recv` on x86.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// What the compiled filter does instead, when another rule wins in libseccomp.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskMark>,
}

/// Why a reviewer should look twice (from [`risk::assess`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskMark {
    pub id: risk::LintId,
    pub severity: Severity,
    pub reason: String,
}

/// A rule left out for this context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedRule {
    pub rule: usize,
    pub action: String,
    pub names: Vec<String>,
    pub reasons: Vec<String>,
}

/// Explains `profile` as resolved for `cx`, as runc installs it.
#[must_use]
pub fn explain(profile: &Profile, cx: &Context) -> Explanation {
    explain_for(profile, cx, Target::Runc)
}

/// Explains `profile` as resolved for `cx` and installed by `target`.
#[must_use]
pub fn explain_for(profile: &Profile, cx: &Context, target: Target) -> Explanation {
    let an = Analysis::new(profile, cx);
    let host = an.host();
    let arches = &an.resolved.arches;
    let default = an.resolved.default_action;

    // action -> name -> entry
    let mut by_action: BTreeMap<(u8, u16), (Action, BTreeMap<String, SyscallEntry>)> =
        BTreeMap::new();
    for rule in &an.resolved.rules {
        let slot = by_action
            .entry(action_rank(rule.action, default))
            .or_insert_with(|| (rule.action, BTreeMap::new()));
        for name in &rule.names {
            let e = slot.1.entry(name.clone()).or_insert_with(|| SyscallEntry {
                name: name.clone(),
                when: Vec::new(),
                args: Vec::new(),
                rules: Vec::new(),
                via: Vec::new(),
                overridden: None,
                risk: None,
            });
            e.rules.push(rule.origin);
            let cond: Vec<String> = rule
                .args
                .iter()
                .map(|c| condition(name, c, host, &rule.args))
                .collect();
            e.when.push(cond);
            e.args.push(rule.args.clone());
            if e.overridden.is_none() {
                e.overridden = overridden(&an, name, rule).map(action_label);
            }
            if let Some(a) = an.assess_rule(name, rule) {
                let worse = e.risk.as_ref().is_none_or(|r| a.severity > r.severity);
                if worse {
                    e.risk = Some(RiskMark {
                        id: a.id,
                        severity: a.severity,
                        reason: a.reason,
                    });
                }
            }
        }
    }
    by_action
        .entry(action_rank(default, default))
        .or_insert_with(|| (default, BTreeMap::new()));

    let mut actions = Vec::new();
    for (action, entries) in by_action.into_values() {
        let count = entries.len();
        let mut groups: BTreeMap<Vec<Arch>, BTreeMap<Category, Vec<SyscallEntry>>> =
            BTreeMap::new();
        for (_, mut e) in entries {
            // An unconditional rule makes the others for the same syscall moot.
            if e.when.iter().any(Vec::is_empty) {
                e.when.clear();
                e.args.clear();
            }
            let mut both: Vec<(Vec<String>, Vec<ArgCondition>)> =
                e.when.drain(..).zip(e.args.drain(..)).collect();
            both.sort();
            both.dedup();
            (e.when, e.args) = both.into_iter().unzip();
            let mut on = Vec::new();
            for a in arches {
                if syscalls::number(*a, &e.name).is_some() {
                    on.push(*a);
                } else if let Some(mux) = syscalls::multiplexer(*a, &e.name) {
                    on.push(*a);
                    e.via.push(format!("{mux} on {a}"));
                }
            }
            groups
                .entry(on)
                .or_default()
                .entry(category::of(&e.name))
                .or_default()
                .push(e);
        }
        let mut groups: Vec<ArchGroup> = groups
            .into_iter()
            .map(|(arches, cats)| ArchGroup {
                arches,
                categories: cats
                    .into_iter()
                    .map(|(category, syscalls)| CategoryGroup { category, syscalls })
                    .collect(),
            })
            .collect();
        // Widest set first, then in architecture order; "on none" last.
        groups.sort_by(|a, b| {
            a.arches
                .is_empty()
                .cmp(&b.arches.is_empty())
                .then_with(|| b.arches.len().cmp(&a.arches.len()))
                .then_with(|| a.arches.cmp(&b.arches))
        });
        actions.push(ActionSection {
            action: action_label(action),
            is_default: action == default,
            syscall_count: count,
            groups,
        });
    }

    let enforced = an
        .compiled
        .as_ref()
        .map_err(|e| crate::chain::one_line(e))
        .and_then(|_| {
            enforce::enforce(&an.resolved, None, target).map_err(|e| crate::chain::one_line(&e))
        });
    let stub = enforced
        .as_ref()
        .map(|c| c.stub.clone())
        .unwrap_or_default();
    let (notes, compile_error, architectures) = match &enforced {
        Ok(c) => (
            c.notes.clone(),
            None,
            Architectures {
                covered: arches.clone(),
                uncovered_compat: compat_arches(host)
                    .iter()
                    .filter(|a| !arches.contains(a))
                    .map(|a| UncoveredArch {
                        arch: *a,
                        action: Some(action_label(probe_arch(c, *a))),
                    })
                    .collect(),
                other_arches: Arch::ALL
                    .iter()
                    .find(|a| !arches.contains(a) && !compat_arches(host).contains(a))
                    .map(|a| action_label(probe_arch(c, *a))),
            },
        ),
        Err(e) => (
            Vec::new(),
            Some(e.clone()),
            Architectures {
                covered: arches.clone(),
                uncovered_compat: compat_arches(host)
                    .iter()
                    .filter(|a| !arches.contains(a))
                    .map(|a| UncoveredArch {
                        arch: *a,
                        action: None,
                    })
                    .collect(),
                other_arches: None,
            },
        ),
    };

    let dropped = an
        .resolved
        .dropped
        .iter()
        .filter_map(|i| profile.syscalls.get(*i).map(|r| (*i, r)))
        .map(|(i, r)| DroppedRule {
            rule: i,
            action: action_label(crate::resolve::action(r.action, r.errno_ret)),
            names: r.names.clone(),
            reasons: drop_reasons(&r.includes, &r.excludes, cx),
        })
        .collect();

    Explanation {
        context: ContextSummary::new(cx),
        runtime: target,
        enosys_above: stub,
        default_action: action_label(default),
        architectures,
        actions,
        dropped,
        notes,
        compile_error,
    }
}

/// What the compiled filter returns for a syscall of `arch` (one it allows on the host when the
/// arch has a table, else number 0: an uncovered arch is rejected before the number is read).
fn probe_arch(c: &enforce::Enforced, arch: Arch) -> Action {
    let nr = if arch.has_table() {
        syscalls::number(arch, "read").unwrap_or(0)
    } else {
        0
    };
    bpf::simulate(&c.program, arch, nr, [0; 6]).action
}

/// Section order: the default first, then [`Action::explain_order`].
fn action_rank(a: Action, default: Action) -> (u8, u16) {
    if a == default {
        (0, 0)
    } else {
        a.explain_order()
    }
}

fn drop_reasons(inc: &Filter, exc: &Filter, cx: &Context) -> Vec<String> {
    let mut out = Vec::new();
    let missing: Vec<&str> = inc
        .caps
        .iter()
        .filter(|c| !cx.caps.contains(*c))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        out.push(format!("needs {}", missing.join(", ")));
    }
    if !inc.arches.is_empty() && !inc.arches.iter().any(|a| a.arch == cx.host_arch) {
        let names: Vec<&str> = inc.arches.iter().map(|a| a.written.as_str()).collect();
        out.push(format!(
            "only on {} (host is {})",
            names.join(", "),
            cx.host_arch
        ));
    }
    if let (Some(v), Some(k)) = (inc.min_kernel, cx.kernel) {
        if k < v {
            out.push(format!("needs kernel {v} or later (kernel is {k})"));
        }
    }
    let held: Vec<&str> = exc
        .caps
        .iter()
        .filter(|c| cx.caps.contains(*c))
        .map(String::as_str)
        .collect();
    if !held.is_empty() {
        out.push(format!(
            "not with {}, which the container has",
            held.join(", ")
        ));
    }
    if exc.arches.iter().any(|a| a.arch == cx.host_arch) {
        out.push(format!("not on {}", cx.host_arch));
    }
    if let Some(v) = exc.min_kernel {
        if cx.kernel.is_none_or(|k| k >= v) {
            let k = cx
                .kernel
                .map_or_else(|| "current".to_string(), |k| k.to_string());
            out.push(format!("only before kernel {v} (kernel is {k})"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Well-known constants per (syscall, argument)

const WIDTH: usize = 100;
const CAT_INDENT: usize = 4;

impl Explanation {
    /// Human text: aligned, wrapped at 100 columns, deterministic.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        s.push_str(&wrap(&self.context.describe(), WIDTH, 0, 4));
        s.push_str(&wrap(
            &format!(
                "runtime: {}, {}",
                self.runtime,
                self.runtime
                    .describe_filter(self.compile_error.is_some() || !self.enosys_above.is_empty())
            ),
            WIDTH,
            0,
            4,
        ));
        s.push('\n');
        let _ = writeln!(
            s,
            "default action: {} for everything not listed below",
            self.default_action
        );
        s.push_str(&wrap(
            "A syscall listed with conditions gets its action when one of its lines holds, and the default action otherwise (unless it is listed under another action too). Marked with !: risky, see the line under its category.",
            WIDTH,
            2,
            2,
        ));
        self.arch_text(&mut s);
        let col = CAT_INDENT
            + Category::ALL
                .iter()
                .map(|c| c.title().len())
                .max()
                .unwrap_or(0)
            + 2;
        for sec in &self.actions {
            if sec.is_default && sec.syscall_count == 0 {
                continue;
            }
            s.push('\n');
            if sec.is_default {
                let _ = writeln!(
                    s,
                    "{} (the default action; named explicitly, so runc and crun drop these rules): {}",
                    sec.action,
                    plural(sec.syscall_count, "syscall")
                );
            } else {
                let _ = writeln!(
                    s,
                    "{}: {}",
                    sec.action,
                    plural(sec.syscall_count, "syscall")
                );
            }
            for g in &sec.groups {
                if g.arches.is_empty() {
                    s.push_str("  on no architecture of this filter (no effect):\n");
                } else {
                    let a: Vec<String> = g.arches.iter().map(ToString::to_string).collect();
                    let _ = writeln!(s, "  on {}:", a.join(", "));
                }
                for cg in &g.categories {
                    category_text(&mut s, cg, col);
                }
            }
        }
        if !self.dropped.is_empty() {
            s.push('\n');
            s.push_str("rules not in effect for this context:\n");
            for d in &self.dropped {
                let line = format!(
                    "syscalls[{}] {} {}: {}",
                    d.rule,
                    d.action,
                    d.names.join(", "),
                    d.reasons.join("; ")
                );
                s.push_str(&wrap(&line, WIDTH, 2, 6));
            }
        }
        s.push('\n');
        if let Some(e) = &self.compile_error {
            s.push_str(&wrap(
                &format!("libseccomp refuses this profile: {e}"),
                WIDTH,
                0,
                2,
            ));
        } else if self.notes.is_empty() {
            let _ = writeln!(
                s,
                "meaning changes: none ({} enforces what the profile says)",
                self.enforcer()
            );
        } else {
            let _ = writeln!(
                s,
                "meaning changes ({} does not enforce exactly this):",
                self.enforcer()
            );
            for n in &self.notes {
                s.push_str(&wrap(&format!("- {n}"), WIDTH, 2, 4));
            }
        }
        s
    }

    /// Who enforces the filter, in the "meaning changes" line.
    fn enforcer(&self) -> &'static str {
        match self.runtime {
            Target::Runc => "runc with libseccomp",
            Target::Crun => "crun with libseccomp",
            Target::Compiled => "libseccomp",
        }
    }

    fn arch_text(&self, s: &mut String) {
        s.push('\n');
        let a = &self.architectures;
        let covered: Vec<String> = a
            .covered
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if i == 0 {
                    format!("{x} (host)")
                } else {
                    x.to_string()
                }
            })
            .collect();
        let _ = writeln!(s, "architectures: {}", covered.join(", "));
        for u in &a.uncovered_compat {
            let what = match &u.action {
                Some(act) => format!(
                    "{} (compat, not covered): {act} from libseccomp's bad-arch check, so {} programs are killed, not filtered",
                    u.arch, u.arch
                ),
                None => format!("{} (compat, not covered): not checked, the profile did not compile", u.arch),
            };
            s.push_str(&wrap(&what, WIDTH, 2, 4));
        }
        if let Some(o) = &a.other_arches {
            s.push_str(&wrap(
                &format!("any other architecture: {o} (libseccomp's bad-arch action)"),
                WIDTH,
                2,
                4,
            ));
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn category_text(s: &mut String, cg: &CategoryGroup, col: usize) {
    let title = cg.category.title();
    let head = format!(
        "{}{title:<w$}",
        " ".repeat(CAT_INDENT),
        w = col - CAT_INDENT
    );
    let pad = " ".repeat(col);
    let mut first = true;
    let mut lead = || {
        if std::mem::take(&mut first) {
            head.clone()
        } else {
            pad.clone()
        }
    };
    let label = |e: &SyscallEntry| {
        let mut n = e.name.clone();
        if e.risk.is_some() {
            n.push('!');
        }
        if !e.via.is_empty() {
            let _ = write!(n, " (via {})", e.via.join(", "));
        }
        if let Some(o) = &e.overridden {
            let _ = write!(n, " (enforced: {o})");
        }
        n
    };
    let plain: Vec<String> = cg
        .syscalls
        .iter()
        .filter(|e| e.when.is_empty())
        .map(label)
        .collect();
    if !plain.is_empty() {
        s.push_str(&wrap_after(&lead(), &plain.join(", "), WIDTH, col));
    }
    let conditional: Vec<&SyscallEntry> =
        cg.syscalls.iter().filter(|e| !e.when.is_empty()).collect();
    let name_w = conditional
        .iter()
        .map(|e| label(e).len())
        .max()
        .unwrap_or(0);
    for e in &conditional {
        let name = label(e);
        for (i, conj) in e.when.iter().enumerate() {
            let prefix = if i == 0 {
                format!("{}{name:<name_w$}  if ", lead())
            } else {
                format!("{}{:<name_w$}  or ", lead(), "")
            };
            s.push_str(&wrap_after(
                &prefix,
                &conj.join(" && "),
                WIDTH,
                col + name_w + 5,
            ));
        }
    }
    // One line per reason: the mount API's seven syscalls share theirs.
    let mut risky: BTreeMap<(std::cmp::Reverse<Severity>, &str), Vec<&str>> = BTreeMap::new();
    for e in &cg.syscalls {
        if let Some(r) = &e.risk {
            risky
                .entry((std::cmp::Reverse(r.severity), r.reason.as_str()))
                .or_default()
                .push(e.name.as_str());
        }
    }
    for ((sev, reason), names) in risky {
        let prefix = format!("{}! {:<8} ", lead(), sev.0.name());
        let text = format!("{}: {reason}", names.join(", "));
        s.push_str(&wrap_after(&prefix, &text, WIDTH, col + 11));
    }
}

impl Explanation {
    /// Pretty JSON with a trailing newline.
    #[must_use]
    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("an explanation always serializes");
        s.push('\n');
        s
    }

    /// Every syscall name under `action` (as labelled, e.g. `ALLOW`), for tests and tools.
    #[must_use]
    pub fn names_under(&self, action: &str) -> BTreeSet<&str> {
        self.actions
            .iter()
            .filter(|a| a.action == action)
            .flat_map(|a| &a.groups)
            .flat_map(|g| &g.categories)
            .flat_map(|c| &c.syscalls)
            .map(|e| e.name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caps;
    use crate::load;
    use crate::model::{KernelVersion, Op};

    fn fixture(name: &str) -> Profile {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        load::from_str(&text)
            .unwrap_or_else(|e| panic!("{name} does not load: {e}"))
            .profile
    }

    fn x86_64() -> Context {
        Context {
            host_arch: Arch::X86_64,
            caps: caps::PODMAN_DEFAULT
                .iter()
                .map(|c| (*c).to_string())
                .collect(),
            kernel: None,
        }
    }

    fn cond(index: u8, op: Op, value: u64, value_two: u64) -> ArgCondition {
        ArgCondition {
            index,
            value,
            value_two,
            op,
        }
    }

    fn show(syscall: &str, c: ArgCondition, rule: &[ArgCondition]) -> String {
        condition(syscall, &c, Arch::X86_64, rule)
    }

    #[test]
    fn conditions_use_well_known_constants() {
        let netlink = cond(0, Op::Eq, 16, 0);
        let audit = cond(2, Op::Eq, 9, 0);
        assert_eq!(
            show("socket", netlink, &[netlink, audit]),
            "args[0] == AF_NETLINK(16)"
        );
        assert_eq!(
            show("socket", audit, &[netlink, audit]),
            "args[2] == NETLINK_AUDIT(9)"
        );
        // Without the family the protocol number means nothing in particular.
        assert_eq!(show("socket", audit, &[audit]), "args[2] == 9");
        assert_eq!(
            show("socket", cond(0, Op::Ne, 40, 0), &[]),
            "args[0] != AF_VSOCK(40)"
        );
        assert_eq!(
            show("clone", cond(0, Op::MaskedEq, 0x7e02_0000, 0), &[]),
            "(args[0] & CLONE_NEW*(0x7e020000)) == 0"
        );
        assert_eq!(
            show("unshare", cond(0, Op::MaskedEq, 0x1000_0000, 0), &[]),
            "(args[0] & CLONE_NEWUSER(0x10000000)) == 0"
        );
        assert_eq!(
            show("mprotect", cond(2, Op::MaskedEq, 4, 0), &[]),
            "(args[2] & PROT_EXEC(4)) == 0"
        );
        assert_eq!(
            show("mmap", cond(2, Op::MaskedEq, 6, 6), &[]),
            "(args[2] & PROT_WRITE|PROT_EXEC(6)) == 6"
        );
        assert_eq!(
            show("personality", cond(0, Op::Eq, 0xffff_ffff, 0), &[]),
            "args[0] == query(0xffffffff)"
        );
        assert_eq!(
            show("personality", cond(0, Op::Eq, 0x40_0000, 0), &[]),
            "args[0] == READ_IMPLIES_EXEC(0x400000)"
        );
        assert_eq!(
            show("prctl", cond(0, Op::Eq, 22, 0), &[]),
            "args[0] == PR_SET_SECCOMP(22)"
        );
        assert_eq!(
            show("ioctl", cond(1, Op::Eq, 0x5412, 0), &[]),
            "args[1] == TIOCSTI(0x5412)"
        );
        // Orderings compare numbers; a name there would read as a claim about that value.
        assert_eq!(
            show("personality", cond(0, Op::Le, 0xffff_ffff, 0), &[]),
            "args[0] <= 0xffffffff"
        );
        assert_eq!(show("read", cond(0, Op::Ge, 5, 0), &[]), "args[0] >= 5");
        // Bits outside the table keep the number.
        assert_eq!(
            show("clone", cond(0, Op::Eq, 0x1_0000_0000, 0), &[]),
            "args[0] == 0x100000000"
        );
    }

    #[test]
    fn clone_flags_are_named_on_the_arch_that_has_them_there() {
        let c = cond(1, Op::MaskedEq, 0x1000_0000, 0);
        assert_eq!(
            condition("clone", &c, Arch::S390x, &[]),
            "(args[1] & CLONE_NEWUSER(0x10000000)) == 0"
        );
        assert_eq!(
            condition("clone", &c, Arch::X86_64, &[]),
            "(args[1] & 0x10000000) == 0"
        );
    }

    #[test]
    fn wrap_keeps_prefix_and_indents() {
        assert_eq!(wrap("a b c", 3, 0, 2), "a b\n  c\n");
        assert_eq!(wrap_after("x:  ", "one two", 8, 4), "x:  one\n    two\n");
        assert_eq!(
            wrap("averyveryverylongword", 5, 1, 1),
            " averyveryverylongword\n"
        );
    }

    #[test]
    fn podman_default_sections() {
        let e = explain(&fixture("podman-default.json"), &x86_64());
        assert_eq!(e.default_action, "ERRNO(38 ENOSYS)");
        assert!(e.actions[0].is_default);
        assert_eq!(e.actions[1].action, "ALLOW");
        assert_eq!(
            e.architectures.covered,
            [Arch::X86_64, Arch::X86, Arch::X32]
        );
        assert_eq!(e.architectures.other_arches.as_deref(), Some("KILL_THREAD"));
        let allow = e.names_under("ALLOW");
        assert!(allow.contains("clone") && allow.contains("unshare") && allow.contains("socket"));
        let eperm = e.names_under("ERRNO(1 EPERM)");
        assert!(eperm.contains("bpf") && eperm.contains("setns"));
        // The ERRNO rule for setns loses to the ALLOW rule in libseccomp.
        let setns = e
            .actions
            .iter()
            .filter(|a| a.action == "ERRNO(1 EPERM)")
            .flat_map(|a| &a.groups)
            .flat_map(|g| &g.categories)
            .flat_map(|c| &c.syscalls)
            .find(|s| s.name == "setns")
            .expect("setns under EPERM");
        assert_eq!(setns.overridden.as_deref(), Some("ALLOW"));
        // Rules left out, with the reason.
        let dropped = e
            .dropped
            .iter()
            .find(|d| d.rule == 14)
            .expect("rule 14 dropped");
        assert_eq!(dropped.reasons, ["needs CAP_SYS_ADMIN"]);
        let chroot_deny = e
            .dropped
            .iter()
            .find(|d| d.rule == 17)
            .expect("rule 17 dropped");
        assert_eq!(
            chroot_deny.reasons,
            ["not with CAP_SYS_CHROOT, which the container has"]
        );
        let text = e.to_text();
        assert!(
            text.contains("socket  if args[0] == AF_NETLINK(16) && args[2] == NETLINK_AUDIT(9)"),
            "{text}"
        );
        assert!(text.contains("unshare!"), "{text}");
    }

    #[test]
    fn moby_default_on_an_old_kernel_and_through_socketcall() {
        let mut cx = x86_64();
        cx.kernel = Some(KernelVersion { major: 4, minor: 4 });
        let e = explain(&fixture("moby-default.json"), &cx);
        let ptrace = e
            .dropped
            .iter()
            .find(|d| d.rule == 1)
            .expect("rule 1 dropped");
        assert_eq!(
            ptrace.reasons,
            ["needs kernel 4.8 or later (kernel is 4.4)"]
        );
        assert!(!e.names_under("ALLOW").contains("ptrace"));
        // x86 has no recv syscall of its own; libseccomp filters it as socketcall(SYS_RECV).
        let recv = e
            .actions
            .iter()
            .flat_map(|a| &a.groups)
            .flat_map(|g| &g.categories)
            .flat_map(|c| &c.syscalls)
            .find(|s| s.name == "recv")
            .expect("recv listed");
        assert_eq!(recv.via, ["socketcall on x86"]);
        assert_eq!(
            e.names_under("ERRNO(38 ENOSYS)"),
            BTreeSet::from(["clone3"])
        );
    }

    #[test]
    fn uncovered_compat_arches_are_named_with_their_fate() {
        let e = explain(&fixture("lint-noarch.json"), &x86_64());
        let fate: Vec<(Arch, Option<&str>)> = e
            .architectures
            .uncovered_compat
            .iter()
            .map(|u| (u.arch, u.action.as_deref()))
            .collect();
        assert_eq!(
            fate,
            [
                (Arch::X86, Some("KILL_THREAD")),
                (Arch::X32, Some("KILL_THREAD"))
            ]
        );
    }

    #[test]
    fn aarch64_host_covers_arm_through_the_arch_map() {
        let cx = Context {
            host_arch: Arch::Aarch64,
            ..x86_64()
        };
        let e = explain(&fixture("podman-default.json"), &cx);
        assert_eq!(e.architectures.covered, [Arch::Aarch64, Arch::Arm]);
        assert!(e.architectures.uncovered_compat.is_empty());
        // The arm-only rule applies now; the x86 ones are left out.
        assert!(e.names_under("ALLOW").contains("cacheflush"));
        assert!(e.dropped.iter().any(|d| d.rule == 9));
    }

    /// Issue 11: `ALLOW { read, write, close } DEFAULT KILL_PROCESS` said "meaning changes:
    /// none" while runc answers openat with ENOSYS.
    #[test]
    fn runcs_enosys_stub_is_a_meaning_change_and_the_runtime_is_named_issue_11() {
        let p = crate::load::from_str(
            r#"{"defaultAction": "SCMP_ACT_KILL_PROCESS",
                "syscalls": [{"names": ["read", "write", "close"], "action": "SCMP_ACT_ALLOW"}]}"#,
        )
        .unwrap()
        .profile;
        let runc = explain_for(&p, &x86_64(), Target::Runc);
        assert_eq!(runc.runtime, Target::Runc);
        assert_eq!(runc.enosys_above.len(), 1);
        assert_eq!(runc.enosys_above[0].last, 3);
        let text = runc.to_text();
        assert!(
            text.contains("runtime: runc, as runc 1.1 installs it"),
            "{text}"
        );
        assert!(
            text.contains("meaning changes (runc with libseccomp does not enforce exactly this):\n  - on x86_64: runc returns ERRNO(38 ENOSYS) for every syscall number above 3 (close, the highest\n    the profile names), not the default action KILL_PROCESS\n"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&runc.to_json_pretty()).unwrap();
        assert_eq!(json["runtime"], "runc");
        assert_eq!(json["enosys_above"][0]["last"], 3);
        assert_eq!(json["notes"][0]["kind"], "enosys-stub");

        let crun = explain_for(&p, &x86_64(), Target::Crun);
        assert!(crun.enosys_above.is_empty());
        assert!(!crun
            .notes
            .iter()
            .any(|n| n.kind == crate::compile::NoteKind::EnosysStub));
        let text = crun.to_text();
        assert!(text.contains("runtime: crun, "), "{text}");
        assert!(
            text.contains("meaning changes (crun with libseccomp does not enforce exactly this):\n  - crun installs the filter with SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
            "{text}"
        );
        let none = explain_for(&p, &x86_64(), Target::Compiled);
        assert!(
            none.to_text()
                .contains("meaning changes: none (libseccomp enforces what the profile says)"),
            "{}",
            none.to_text()
        );
    }

    const SMALL: &[&str] = &[
        "lint-dangerous",
        "lint-namespaces",
        "lint-multiplexer",
        "lint-socket-rule-x86",
        "lint-denylist",
        "lint-meaning",
        "lint-noarch",
    ];

    fn snapshot(name: &str) {
        let e = explain(&fixture(&format!("{name}.json")), &x86_64());
        insta::assert_snapshot!(format!("{name}.txt"), e.to_text());
        insta::assert_snapshot!(format!("{name}.json"), e.to_json_pretty());
    }

    #[test]
    fn snapshot_podman_default() {
        snapshot("podman-default");
    }

    #[test]
    fn snapshot_moby_default() {
        snapshot("moby-default");
    }

    #[test]
    fn snapshot_small_profiles() {
        for name in SMALL {
            snapshot(name);
        }
    }
}
