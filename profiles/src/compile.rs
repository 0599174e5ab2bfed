//! Compiling a resolved profile to classic BPF through libseccomp, the way runc does.
//!
//! runc (libcontainer/seccomp/patchbpf and seccomp_linux.go) and crun both hand each rule to
//! libseccomp. Some profiles do not mean, once enforced, what they say; every such case is
//! returned as a [`Note`] rather than passed over:
//! - a rule whose action equals the default action is skipped (libseccomp refuses it with EACCES);
//! - a rule that compares one argument twice is split by runc into one rule per condition, which
//!   turns the AND into an OR;
//! - a syscall name the linked libseccomp does not know is skipped;
//! - on a 32-bit arch libseccomp compares the low word only, so a constant above 2^32 changes;
//! - overlapping rules with different actions are resolved by libseccomp's decision tree, not by
//!   the order in the profile.

use std::collections::BTreeMap;

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use serde::Serialize;

use crate::arch::Arch;
use crate::bpf::{self, Action};
use crate::model::{ArgCondition, Flag, Op};
use crate::resolve::{Resolved, ResolvedRule};
use crate::{solve, syscalls};

/// What libseccomp or a runtime does to a profile that changes its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    RuleEqualsDefault,
    SameArgumentTwice,
    UnknownToLibseccomp,
    HighWordIgnored,
    OverlappingActions,
    FlagNotInBpf,
    /// libseccomp built a filter that disagrees with the rules (a libseccomp 2.5 bug with
    /// rules comparing different arguments of one syscall).
    LibseccompMisbuild,
    /// Too many argument combinations to check the built filter completely.
    NotVerified,
    /// runc's ENOSYS stub answers syscalls above the profile's highest number (never from
    /// [`compile`]; see `enforce`).
    EnosysStub,
}

/// One way the enforced filter differs from what the profile says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    pub kind: NoteKind,
    /// Index into the profile's `syscalls[]`, when the note is about a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syscall: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(r) = self.rule {
            write!(f, "syscalls[{r}]: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub program: bpf::Program,
    pub arches: Vec<Arch>,
    pub notes: Vec<Note>,
}

/// A failure inside libseccomp.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("libseccomp does not support architecture {arch}")]
    UnsupportedArch { arch: Arch },
    #[error("libseccomp refused {what}")]
    Libseccomp {
        what: String,
        #[source]
        source: libseccomp::error::SeccompError,
    },
    #[error("cannot export the filter from libseccomp")]
    Export {
        #[source]
        source: std::io::Error,
    },
    #[error("libseccomp produced a filter the kernel would refuse")]
    Invalid {
        #[source]
        source: bpf::ProgramError,
    },
}

/// The arch libseccomp calls `a`: the inverse of the mapping below (a seccomp notification
/// names its arch so).
#[must_use]
pub fn arch_from_scmp(a: ScmpArch) -> Option<Arch> {
    Arch::ALL.iter().copied().find(|&x| scmp_arch(x) == a)
}

pub(crate) fn scmp_arch(a: Arch) -> ScmpArch {
    match a {
        Arch::X86_64 => ScmpArch::X8664,
        Arch::X86 => ScmpArch::X86,
        Arch::X32 => ScmpArch::X32,
        Arch::Aarch64 => ScmpArch::Aarch64,
        Arch::Arm => ScmpArch::Arm,
        Arch::Riscv64 => ScmpArch::Riscv64,
        Arch::S390x => ScmpArch::S390X,
        Arch::S390 => ScmpArch::S390,
        Arch::Ppc64le => ScmpArch::Ppc64Le,
        Arch::Ppc64 => ScmpArch::Ppc64,
        Arch::Ppc => ScmpArch::Ppc,
        Arch::Mips => ScmpArch::Mips,
        Arch::Mipsel => ScmpArch::Mipsel,
        Arch::Mips64 => ScmpArch::Mips64,
        Arch::Mipsel64 => ScmpArch::Mipsel64,
        Arch::Mips64n32 => ScmpArch::Mips64N32,
        Arch::Mipsel64n32 => ScmpArch::Mipsel64N32,
        Arch::Parisc => ScmpArch::Parisc,
        Arch::Parisc64 => ScmpArch::Parisc64,
    }
}

fn scmp_action(a: Action) -> ScmpAction {
    match a {
        Action::KillProcess => ScmpAction::KillProcess,
        Action::KillThread => ScmpAction::KillThread,
        Action::Trap(_) => ScmpAction::Trap,
        Action::Errno(e) => ScmpAction::Errno(i32::from(e)),
        Action::UserNotif => ScmpAction::Notify,
        Action::Trace(t) => ScmpAction::Trace(t),
        Action::Log => ScmpAction::Log,
        Action::Allow => ScmpAction::Allow,
    }
}

fn scmp_cmp(c: &ArgCondition) -> ScmpArgCompare {
    let (op, datum) = match c.op {
        Op::Ne => (ScmpCompareOp::NotEqual, c.value),
        Op::Lt => (ScmpCompareOp::Less, c.value),
        Op::Le => (ScmpCompareOp::LessOrEqual, c.value),
        Op::Eq => (ScmpCompareOp::Equal, c.value),
        Op::Ge => (ScmpCompareOp::GreaterEqual, c.value),
        Op::Gt => (ScmpCompareOp::Greater, c.value),
        Op::MaskedEq => (ScmpCompareOp::MaskedEqual(c.value), c.value_two),
    };
    ScmpArgCompare::new(u32::from(c.index), op, datum)
}

fn lib_err(
    what: impl Into<String>,
) -> impl FnOnce(libseccomp::error::SeccompError) -> CompileError {
    let what = what.into();
    move |source| CompileError::Libseccomp { what, source }
}

/// The libseccomp version linked into rpod, e.g. `2.5.4`.
#[must_use]
pub fn libseccomp_version() -> String {
    libseccomp::ScmpVersion::current()
        .map(|v| format!("{}.{}.{}", v.major, v.minor, v.micro))
        .unwrap_or_else(|_| "unknown".into())
}

/// How libseccomp lays out the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `SCMP_FLTATR_CTL_OPTIMIZE=2`: a binary tree of syscall numbers instead of a linear
    /// list (same meaning, fewer instructions per syscall for large profiles).
    pub binary_tree: bool,
    /// Check the built filter against the rules in the emulator (see `verify`); callers that
    /// check it exactly themselves turn this off.
    pub verify: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            binary_tree: true,
            verify: true,
        }
    }
}

/// Compiles `r` for its architectures (or `arches` when given) with the binary-tree optimizer.
///
/// # Errors
/// Fails when libseccomp refuses the arch set, an action or a rule.
pub fn compile(r: &Resolved, arches: Option<&[Arch]>) -> Result<Compiled, CompileError> {
    compile_with(r, arches, Options::default())
}

/// [`compile`] with explicit [`Options`].
///
/// # Errors
/// Fails when libseccomp refuses the arch set, an action or a rule.
pub fn compile_with(
    r: &Resolved,
    arches: Option<&[Arch]>,
    options: Options,
) -> Result<Compiled, CompileError> {
    let arches: Vec<Arch> = arches.map_or_else(|| r.arches.clone(), <[Arch]>::to_vec);
    let mut notes = Vec::new();
    let mut ctx = ScmpFilterContext::new(scmp_action(r.default_action))
        .map_err(lib_err("the default action"))?;
    // runc leaves no_new_privs to the runtime; the attribute does not change the BPF anyway.
    ctx.set_ctl_nnp(false)
        .map_err(lib_err("the NNP attribute"))?;
    for a in &arches {
        ctx.add_arch(scmp_arch(*a))
            .map_err(|_| CompileError::UnsupportedArch { arch: *a })?;
    }
    let native = ScmpArch::native();
    if !arches.iter().any(|a| scmp_arch(*a) == native) {
        ctx.remove_arch(native)
            .map_err(lib_err("removing the native arch"))?;
    }
    // Level 2 = binary tree; runc turns it on for large profiles, rpod by default (same
    // meaning, fewer instructions per syscall).
    let level = if options.binary_tree { 2 } else { 1 };
    ctx.set_ctl_optimize(level)
        .map_err(lib_err("the optimization level"))?;
    for f in &r.flags {
        match f {
            Flag::Log => {
                ctx.set_ctl_log(true)
                    .map_err(lib_err("SECCOMP_FILTER_FLAG_LOG"))?;
            }
            Flag::SpecAllow => {
                ctx.set_ctl_ssb(true)
                    .map_err(lib_err("SECCOMP_FILTER_FLAG_SPEC_ALLOW"))?;
            }
            Flag::Tsync => {
                ctx.set_ctl_tsync(true)
                    .map_err(lib_err("SECCOMP_FILTER_FLAG_TSYNC"))?;
            }
            Flag::NewListener | Flag::TsyncEsrch | Flag::WaitKillableRecv => {}
        }
        notes.push(Note {
            kind: NoteKind::FlagNotInBpf,
            rule: None,
            syscall: None,
            message: format!(
                "{} is applied when the filter is installed; it is not part of the BPF program",
                f.name()
            ),
        });
    }
    let any_32bit = arches.iter().any(|a| a.is_32bit());
    for rule in &r.rules {
        if rule.action == r.default_action {
            notes.push(Note {
                kind: NoteKind::RuleEqualsDefault,
                rule: Some(rule.origin),
                syscall: None,
                message: format!(
                    "action {} equals the default action; runc and crun drop this rule ({})",
                    rule.action,
                    rule.names.join(", ")
                ),
            });
            continue;
        }
        let mut counts = [0u8; 6];
        for c in &rule.args {
            counts[usize::from(c.index)] += 1;
        }
        let split = counts.iter().any(|n| *n > 1);
        if split {
            notes.push(Note {
                kind: NoteKind::SameArgumentTwice,
                rule: Some(rule.origin),
                syscall: None,
                message: format!(
                    "compares one argument more than once; runc adds each condition as its own rule, so they are OR-ed, not AND-ed ({})",
                    rule.args.iter().map(ToString::to_string).collect::<Vec<_>>().join(" && ")
                ),
            });
        }
        if any_32bit {
            if let Some(c) = rule
                .args
                .iter()
                .find(|c| c.value > u64::from(u32::MAX) || c.value_two > u64::from(u32::MAX))
            {
                let on: Vec<String> = arches
                    .iter()
                    .filter(|a| a.is_32bit())
                    .map(ToString::to_string)
                    .collect();
                notes.push(Note {
                    kind: NoteKind::HighWordIgnored,
                    rule: Some(rule.origin),
                    syscall: None,
                    message: format!(
                        "{c} uses the upper 32 bits, which libseccomp ignores on {}",
                        on.join(", ")
                    ),
                });
            }
        }
        let action = scmp_action(rule.action);
        let conditions: Vec<ScmpArgCompare> = rule.args.iter().map(scmp_cmp).collect();
        for name in &rule.names {
            let Ok(sys) = ScmpSyscall::from_name(name) else {
                let on_any = arches.iter().any(|a| syscalls::number(*a, name).is_some());
                if on_any {
                    notes.push(Note {
                        kind: NoteKind::UnknownToLibseccomp,
                        rule: Some(rule.origin),
                        syscall: Some(name.clone()),
                        message: format!(
                            "libseccomp {} does not know '{name}'; runc and crun skip it, so it gets the default action",
                            libseccomp_version()
                        ),
                    });
                }
                continue;
            };
            if split {
                for c in &conditions {
                    ctx.add_rule_conditional(action, sys, std::slice::from_ref(c))
                        .map_err(lib_err(format!("the rule for '{name}'")))?;
                }
            } else {
                ctx.add_rule_conditional(action, sys, &conditions)
                    .map_err(lib_err(format!("the rule for '{name}'")))?;
            }
        }
    }
    notes.extend(overlap_notes(r));
    let mut file = tempfile_for_export()?;
    ctx.export_bpf(&file)
        .map_err(lib_err("exporting the filter"))?;
    let bytes = read_back(&mut file)?;
    let program =
        bpf::Program::from_bytes(&bytes).map_err(|source| CompileError::Invalid { source })?;
    if options.verify {
        notes.extend(verify(r, &arches, &program));
    }
    notes.sort();
    notes.dedup();
    Ok(Compiled {
        program,
        arches,
        notes,
    })
}

/// `args[0]=0x10, args[2]=0x9` for the arguments either rule compares.
fn example_args(a: &ResolvedRule, b: &ResolvedRule, w: &[u64; solve::ARGS]) -> String {
    let mut idx: Vec<usize> = a
        .args
        .iter()
        .chain(&b.args)
        .map(|c| usize::from(c.index))
        .filter(|i| *i < solve::ARGS)
        .collect();
    idx.sort_unstable();
    idx.dedup();
    if idx.is_empty() {
        return "any arguments".to_string();
    }
    let parts: Vec<String> = idx
        .iter()
        .map(|i| format!("args[{i}]={:#x}", w[*i]))
        .collect();
    format!("e.g. {}", parts.join(", "))
}

/// One note for each syscall and each pair of rules on it with different actions whose
/// conditions overlap: libseccomp's decision tree, not the order in the profile, decides which
/// action such a syscall gets. The note is on the later rule and names a witness.
///
/// The rules are read as libseccomp receives them: a rule whose action equals the default is
/// left out (runc drops it; `compile` notes it), a rule comparing one argument twice counts as
/// one rule per condition, and MASKED_EQ compares `valueTwo & value`. Values are 64-bit; on a
/// 32-bit arch more rules may overlap (see [`solve::enforced`]).
#[must_use]
pub fn overlap_notes(r: &Resolved) -> Vec<Note> {
    let mut by_name: BTreeMap<&str, Vec<&ResolvedRule>> = BTreeMap::new();
    for rule in &r.rules {
        if rule.action == r.default_action {
            continue;
        }
        for name in &rule.names {
            let list = by_name.entry(name.as_str()).or_default();
            if !list.iter().any(|x| std::ptr::eq(*x, rule)) {
                list.push(rule);
            }
        }
    }
    let mut notes = Vec::new();
    for (name, rules) in by_name {
        for (j, later) in rules.iter().enumerate() {
            for earlier in &rules[..j] {
                if earlier.action == later.action {
                    continue;
                }
                let pieces_a = solve::enforced_pieces(&earlier.args, false);
                let pieces_b = solve::enforced_pieces(&later.args, false);
                let w = pieces_a
                    .iter()
                    .flat_map(|a| pieces_b.iter().map(move |b| (a, b)))
                    .find_map(|(a, b)| solve::rules_overlap(a, b));
                if let Some(w) = w {
                    notes.push(Note {
                        kind: NoteKind::OverlappingActions,
                        rule: Some(later.origin),
                        syscall: Some(name.to_string()),
                        message: format!(
                            "overlaps syscalls[{}] ({} vs {}) for {}; the profile does not say which applies, libseccomp's build decides (simulate the example to see)",
                            earlier.origin,
                            earlier.action,
                            later.action,
                            example_args(earlier, later, &w)
                        ),
                    });
                }
            }
        }
    }
    notes.sort();
    notes.dedup();
    notes
}

/// Most argument combinations checked per syscall and arch.
const MAX_VERIFY_CELLS: usize = 4096;

/// Checks the filter libseccomp built against the rules, for every syscall with argument
/// conditions: libseccomp 2.5.4 hangs on or mis-builds some rule sets that compare different
/// arguments of one syscall (found while building `merge`), and runc would load the same wrong
/// filter. Each combination of the rules' comparisons is evaluated by the emulator; where the
/// rules overlap with different actions there is no single intended answer, and
/// [`overlap_notes`] already says so.
fn verify(r: &Resolved, arches: &[Arch], program: &bpf::Program) -> Vec<Note> {
    let mut notes = Vec::new();
    let mut names: Vec<&str> = r
        .rules
        .iter()
        .filter(|rule| !rule.args.is_empty())
        .flat_map(|rule| rule.names.iter().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        for &arch in arches {
            let Some(nr) = syscalls::entry(arch, name)
                .filter(|e| e.libseccomp)
                .map(|e| e.nr)
            else {
                continue;
            };
            let bits32 = arch.is_32bit();
            // What libseccomp receives: rules equal to the default are dropped, and a rule
            // comparing one argument twice is split into one rule per condition, as runc does.
            let mut pieces: Vec<(Action, Vec<ArgCondition>)> = Vec::new();
            for rule in r.rules.iter().filter(|x| x.names.iter().any(|n| n == name)) {
                if rule.action != r.default_action {
                    pieces.extend(
                        solve::enforced_pieces(&rule.args, bits32)
                            .into_iter()
                            .map(|c| (rule.action, c)),
                    );
                }
            }
            let atoms: Vec<ArgCondition> =
                pieces.iter().flat_map(|(_, c)| c.iter().copied()).collect();
            let max = if bits32 { solve::MAX_32BIT } else { u64::MAX };
            let cells = solve::cells_up_to(&atoms, max, MAX_VERIFY_CELLS);
            if !cells.complete {
                notes.push(Note {
                    kind: NoteKind::NotVerified,
                    rule: None,
                    syscall: Some(name.to_string()),
                    message: format!(
                        "{name} on {arch}: {} argument combinations, too many to check the filter libseccomp built against the rules",
                        cells.total
                    ),
                });
                continue;
            }
            for cell in &cells.cells {
                let w = cell.witness;
                let mut matching = pieces
                    .iter()
                    .filter(|(_, c)| c.iter().all(|x| x.matches(w[usize::from(x.index)])))
                    .map(|(a, _)| *a);
                let expected = match matching.next() {
                    None => r.default_action,
                    Some(a) if matching.all(|b| b == a) => a,
                    Some(_) => continue,
                };
                let got = bpf::simulate(program, arch, nr, w).action;
                if got != expected {
                    let args: Vec<String> = w.iter().map(|a| format!("{a:#x}")).collect();
                    notes.push(Note {
                        kind: NoteKind::LibseccompMisbuild,
                        rule: None,
                        syscall: Some(name.to_string()),
                        message: format!(
                            "libseccomp {} built a filter that returns {got} for {name}({}) on {arch} where the rules say {expected}; runc and crun would load the same filter (reorder or split the rules for {name})",
                            libseccomp_version(),
                            args.join(", ")
                        ),
                    });
                    break;
                }
            }
        }
    }
    notes
}

// libseccomp 2.5 exports only to a file descriptor (seccomp_export_bpf_mem is 2.6), so the
// program goes through an unlinked temporary file.
fn tempfile_for_export() -> Result<std::fs::File, CompileError> {
    tempfile::tempfile().map_err(|source| CompileError::Export { source })
}

fn read_back(file: &mut std::fs::File) -> Result<Vec<u8>, CompileError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(|source| CompileError::Export { source })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_arch_maps_to_libseccomp_and_back() {
        for &a in Arch::ALL {
            assert_eq!(arch_from_scmp(scmp_arch(a)), Some(a), "{a}");
        }
    }
    use crate::bpf::{emulator, SeccompData};
    use crate::load;
    use crate::resolve::Context;

    fn compiled(json: &str) -> Compiled {
        let p = load::from_str(json).unwrap().profile;
        compile(&p.resolve(&Context::default()), Some(&[Arch::X86_64])).unwrap()
    }

    fn run(c: &Compiled, name: &str, args: [u64; 6]) -> Action {
        let nr = syscalls::number(Arch::X86_64, name).unwrap();
        emulator::run(
            &c.program,
            &SeccompData {
                nr: i32::try_from(nr).unwrap(),
                arch: Arch::X86_64.audit_arch(),
                instruction_pointer: 0,
                args,
            },
        )
        .action
    }

    fn c(index: u8, op: Op, value: u64) -> ArgCondition {
        ArgCondition::compare(index, op, value)
    }

    fn rule(
        names: &[&str],
        action: Action,
        args: Vec<ArgCondition>,
        origin: usize,
    ) -> ResolvedRule {
        ResolvedRule {
            names: names.iter().map(|s| (*s).to_string()).collect(),
            action,
            args,
            origin,
        }
    }

    fn resolved(default_action: Action, rules: Vec<ResolvedRule>) -> Resolved {
        Resolved {
            default_action,
            arches: vec![crate::Arch::X86_64],
            rules,
            flags: Vec::new(),
            dropped: Vec::new(),
        }
    }

    #[test]
    fn overlap_notes_name_both_rules_and_a_witness() {
        let r = resolved(
            Action::Errno(38),
            vec![
                rule(&["socket", "read"], Action::Allow, vec![c(1, Op::Gt, 3)], 0),
                rule(
                    &["socket"],
                    Action::Errno(1),
                    vec![c(0, Op::Eq, 16), c(2, Op::Eq, 9)],
                    1,
                ),
                // Disjoint from rule 1: no note.
                rule(&["socket"], Action::Log, vec![c(0, Op::Ne, 16)], 2),
                // Equal to the default: runc drops it, no note.
                rule(&["read"], Action::Errno(38), vec![], 3),
                rule(&["read"], Action::Errno(1), vec![], 4),
            ],
        );
        // Sorted like every note: by rule, then syscall.
        let notes = overlap_notes(&r);
        let text: Vec<String> = notes
            .iter()
            .map(|n| format!("{} {n}", n.syscall.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            text,
            [
                "socket syscalls[1]: overlaps syscalls[0] (ALLOW vs ERRNO(1)) for e.g. args[0]=0x10, args[1]=0x4, args[2]=0x9; the profile does not say which applies, libseccomp's build decides (simulate the example to see)",
                "socket syscalls[2]: overlaps syscalls[0] (ALLOW vs LOG) for e.g. args[0]=0x0, args[1]=0x4; the profile does not say which applies, libseccomp's build decides (simulate the example to see)",
                "read syscalls[4]: overlaps syscalls[0] (ALLOW vs ERRNO(1)) for e.g. args[1]=0x4; the profile does not say which applies, libseccomp's build decides (simulate the example to see)",
            ]
        );
        assert!(notes.iter().all(|n| n.kind == NoteKind::OverlappingActions));
    }

    #[test]
    fn podman_default_lists_setns_both_allowed_and_denied() {
        // containers/common 0.50.1 allows setns in its main list and denies it without
        // CAP_SYS_ADMIN; which one runc enforces is up to libseccomp.
        let notes_of = |file: &str| -> Vec<String> {
            let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).expect("fixture is readable");
            let p = crate::load::from_str(&text).expect("fixture loads").profile;
            let cx = crate::resolve::Context {
                host_arch: crate::Arch::X86_64,
                ..crate::resolve::Context::default()
            };
            overlap_notes(&p.resolve(&cx))
                .iter()
                .map(|n| format!("{} {n}", n.syscall.as_deref().unwrap_or("")))
                .collect()
        };
        assert_eq!(
            notes_of("podman-default.json"),
            ["setns syscalls[15]: overlaps syscalls[1] (ALLOW vs ERRNO(1)) for any arguments; the profile does not say which applies, libseccomp's build decides (simulate the example to see)"]
        );
        assert!(notes_of("moby-default.json").is_empty());
    }

    #[test]
    fn overlap_notes_read_split_rules_as_runc_does() {
        // 5 <= fd < 10 and fd == 20 are disjoint as written, but runc turns the first rule into
        // fd >= 5 || fd < 10, which overlaps fd == 20.
        let r = resolved(
            Action::Errno(1),
            vec![
                rule(
                    &["read"],
                    Action::Allow,
                    vec![c(0, Op::Ge, 5), c(0, Op::Lt, 10)],
                    0,
                ),
                rule(&["read"], Action::KillProcess, vec![c(0, Op::Eq, 20)], 1),
            ],
        );
        let notes = overlap_notes(&r);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].message.contains("args[0]=0x14"),
            "{}",
            notes[0].message
        );
    }

    #[test]
    fn rule_equal_to_default_is_reported() {
        let c = compiled(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        assert_eq!(c.notes.len(), 1);
        assert_eq!(c.notes[0].kind, NoteKind::RuleEqualsDefault);
        assert_eq!(run(&c, "mkdir", [0; 6]), Action::Errno(1));
        assert_eq!(run(&c, "read", [0; 6]), Action::Allow);
    }

    #[test]
    fn same_argument_twice_becomes_or_like_runc() {
        let c = compiled(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[
                {"index":0,"value":5,"op":"SCMP_CMP_GE"},{"index":0,"value":10,"op":"SCMP_CMP_LT"}]}]}"#,
        );
        assert!(c
            .notes
            .iter()
            .any(|n| n.kind == NoteKind::SameArgumentTwice));
        // The profile says 5 <= fd < 10; enforced, fd 20 passes because 20 >= 5.
        assert_eq!(run(&c, "read", [20, 0, 0, 0, 0, 0]), Action::Allow);
    }

    #[test]
    fn a_filter_libseccomp_builds_wrongly_is_reported() {
        // Found while building merge: with these rules in this order libseccomp 2.5.4 builds a
        // filter that kills write(1, 1) instead of returning EPERM.
        let c = compiled(include_str!("../tests/fixtures/libseccomp-misbuild.json"));
        let wrong = run(&c, "write", [1, 1, 0, 0, 0, 0]) != Action::Errno(1);
        if libseccomp_version() == "2.5.4" {
            assert!(wrong, "libseccomp 2.5.4 is known to get this one wrong");
        }
        let reported = c
            .notes
            .iter()
            .any(|n| n.kind == NoteKind::LibseccompMisbuild);
        assert_eq!(wrong, reported, "{:?}", c.notes);
    }

    #[test]
    fn correct_filters_are_verified_silently() {
        let c = compiled(include_str!("../tests/fixtures/podman-default.json"));
        assert!(
            !c.notes
                .iter()
                .any(|n| matches!(n.kind, NoteKind::LibseccompMisbuild | NoteKind::NotVerified)),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn masked_eq_and_errno_values() {
        let c = compiled(
            r#"{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[
              {"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":4,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
              {"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#,
        );
        assert_eq!(run(&c, "mmap", [0, 0, 3, 0, 0, 0]), Action::Allow);
        assert_eq!(run(&c, "mmap", [0, 0, 7, 0, 0, 0]), Action::KillProcess);
        assert_eq!(run(&c, "mkdir", [0; 6]), Action::Errno(13));
        assert_eq!(run(&c, "getpid", [0; 6]), Action::KillProcess);
    }
}
