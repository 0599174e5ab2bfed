//! Lowering a first-match policy to an OCI profile, keeping its meaning exactly.
//!
//! OCI JSON has no rule order: conditions in a rule are AND-ed, rules are OR-ed, and when rules
//! with different actions overlap libseccomp picks one its own way. So, for each syscall:
//! 1. the region where each action applies is computed in a BDD over the argument bits: rule
//!    *i* applies where its condition holds and no earlier rule's does (rules whose action is
//!    the default still carve their exceptions out of later rules);
//! 2. each non-default region is cut argument by argument into disjoint products of per-argument
//!    value sets;
//! 3. each value set becomes the fewest OCI conditions that cover it exactly: one comparison
//!    (`==`, `!=`, `<=`, `>=`, a masked pattern) when it is one, else a union of intervals or
//!    of masked patterns (`SCMP_CMP_MASKED_EQ` with prefix masks);
//! 4. the rules written are read back under each target arch's libseccomp semantics (32-bit
//!    arches compare low words only) and compared with the policy's regions there. OCI JSON has
//!    one rule set per syscall name for all arches, so a syscall whose meaning differs between
//!    the target arches cannot be said in it.
//!
//! What OCI cannot say at all (an argument compared with another argument, a syscall number
//! libseccomp has no name for, `TRAP(n)` with data) is an error pointing at the rule, with
//! `--format bpf` as the way out.

use std::collections::BTreeMap;

use profiles::bpf::Action;
use profiles::model::{ActionKind, ArgCondition, Op, Profile, Rule as OciRule};
use profiles::{build, compile, syscalls as table, Arch};

use crate::ast::CmpOp;
use crate::bdd::{self, Bdd, Node, FALSE, TRUE};
use crate::diag::Diagnostic;
use crate::ir::{Cond, Program, Val};
use crate::source::Span;

/// Past this many OCI rules for one syscall the policy is better compiled to BPF.
const MAX_RULES_PER_SYSCALL: usize = 512;
/// Past this many pieces for one argument's value set, give up on that decomposition.
const MAX_PIECES: usize = 128;
const LOW: u64 = 0xffff_ffff;
/// How many libseccomp builds may hang in one lowering (each costs `build::CPU_BUDGET` of CPU
/// time and leaves a thread spinning): three rule styles per syscall, two hangs each, over many
/// syscalls made a lowering take minutes (issue 12).
const MAX_HANGS: usize = 2 * build::MAX_HANGS;

/// rpod checks each built program exactly itself ([`crate::verify`]); the emulator check in
/// `compile` would only cost time.
const BUILD_OPTIONS: compile::Options = compile::Options {
    binary_tree: true,
    verify: false,
};

const BPF_HINT: &str =
    "help: `rpod seccomp compile --format bpf` compiles the policy to BPF with its full meaning";

/// The profile, and warnings about what runc will do with it.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub profile: Profile,
    pub warnings: Vec<Diagnostic>,
}

/// Lowers `p` to an OCI profile with the same meaning on every arch of `p`.
///
/// # Errors
/// Diagnostics naming each rule that cannot be said in OCI JSON, and why.
pub fn to_profile(p: &Program) -> Result<Lowered, Vec<Diagnostic>> {
    to_profile_within(p, bdd::DEFAULT_BUDGET)
}

/// [`to_profile`] with a decision diagram of `budget` steps (see [`bdd`]): past it, an error
/// that names the syscall whose conditions took them.
///
/// # Errors
/// As [`to_profile`].
pub fn to_profile_within(p: &Program, budget: usize) -> Result<Lowered, Vec<Diagnostic>> {
    let mut b = Bdd::with_budget(budget);
    let mut hangs = build::Hangs::new(MAX_HANGS);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    // Per arch and syscall number: the non-default regions, by action.
    let mut regions: BTreeMap<(Arch, u32), Vec<(Action, Node)>> = BTreeMap::new();
    // libseccomp name -> (first span, arches where the policy has rules for it).
    let mut names: BTreeMap<&'static str, Span> = BTreeMap::new();
    for (&(arch, nr), s) in &p.syscalls {
        let mut covered = FALSE;
        let mut by_action: Vec<(Action, Node)> = Vec::new();
        let mut action_spans: Vec<(Action, Span)> = Vec::new();
        let mut failed = false;
        for r in &s.rules {
            let c = match cond(&mut b, &r.cond) {
                Ok(c) => c,
                Err(why) => {
                    errors.push(
                        Diagnostic::error(
                            r.span,
                            format!("OCI JSON cannot express this rule: {why}"),
                        )
                        .with_label("seccomp JSON compares an argument with a constant only")
                        .with_note(BPF_HINT),
                    );
                    failed = true;
                    continue;
                }
            };
            let nc = b.not(covered);
            let here = b.and(c, nc);
            if c == FALSE {
                warnings.push(
                    Diagnostic::warning(r.span, format!("this rule never matches on {arch}"))
                        .with_label("its condition is false for every argument value")
                        .with_note("note: a 4-byte argument is its low word: compared with a constant above 0xffffffff it is never equal"),
                );
            } else if here == FALSE {
                warnings.push(
                    Diagnostic::warning(r.span, format!("this rule never applies on {arch}"))
                        .with_label(format!(
                            "earlier rules for {} match every call it matches",
                            s.written
                        )),
                );
            }
            covered = b.or(covered, c);
            if b.exhausted() {
                return Err(vec![too_complex(r.span, &s.written, &b)]);
            }
            if r.action == p.default || here == FALSE {
                continue;
            }
            match by_action.iter_mut().find(|(a, _)| *a == r.action) {
                Some((_, n)) => *n = b.or(*n, here),
                None => {
                    action_spans.push((r.action, r.span));
                    by_action.push((r.action, here));
                }
            }
        }
        if failed || by_action.is_empty() {
            continue;
        }
        let span = s.rules[0].span;
        for (a, _) in &by_action {
            if let Err(why) = oci_action(*a) {
                let at = action_spans
                    .iter()
                    .find(|(x, _)| x == a)
                    .map_or(span, |(_, sp)| *sp);
                errors.push(
                    Diagnostic::error(at, format!("OCI JSON cannot express the action {a}"))
                        .with_label(why)
                        .with_note(BPF_HINT),
                );
            }
        }
        let Some(name) = s.libseccomp_name else {
            errors.push(
                Diagnostic::error(
                    span,
                    format!("{} has no libseccomp name on {arch}", s.written),
                )
                .with_label(format!(
                    "OCI JSON names syscalls, and number {nr} has no name libseccomp knows"
                ))
                .with_note(BPF_HINT),
            );
            continue;
        };
        if table::entry(arch, name).is_some_and(|e| !e.libseccomp) {
            warnings.push(
                Diagnostic::warning(
                    span,
                    format!(
                        "libseccomp {} does not know {name}: runc and crun built with it skip its rules",
                        table::LIBSECCOMP_VERSION
                    ),
                )
                .with_label("the default action applies to it instead"),
            );
        }
        names.entry(name).or_insert(span);
        regions.insert((arch, nr), by_action);
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // One rule set per name, written from the first arch that has the name, checked on all.
    let mut ordered: Vec<(&'static str, Vec<FlatRule>)> = Vec::new();
    // The libseccomp here may not build filters for every arch (mixed endianness); then the
    // rules are written as computed, exact by construction, but unchecked against libseccomp.
    let empty = profiles::resolve::Resolved {
        default_action: Action::Allow,
        arches: p.arches.clone(),
        rules: Vec::new(),
        flags: Vec::new(),
        dropped: Vec::new(),
    };
    let checkable = match build::bounded(&empty, Some(&p.arches), BUILD_OPTIONS) {
        Ok(_) => true,
        Err(e) => {
            let why = match e {
                build::Failure::Refused { message } => message,
                build::Failure::Hang => format!(
                    "it did not answer within {}s of CPU time",
                    build::CPU_BUDGET.as_secs()
                ),
            };
            warnings.push(
                Diagnostic::warning(
                    p.default_span.unwrap_or_default(),
                    "the OCI rules were not checked against libseccomp",
                )
                .with_label(format!(
                    "libseccomp on this machine cannot build this filter: {why}"
                )),
            );
            false
        }
    };
    for (name, span) in names {
        let arches_with: Vec<(Arch, u32)> = p
            .arches
            .iter()
            .filter_map(|&a| table::number(a, name).map(|nr| (a, nr)))
            .collect();
        let Some(&(first, nr)) = arches_with.iter().find(|k| regions.contains_key(k)) else {
            continue;
        };
        let mine = regions[&(first, nr)].clone();
        // The fewest conditions first; if libseccomp cannot build them right in any order,
        // masked patterns only (libseccomp 2.5.4 misbuilds some `<=`/`>=` mixes on one
        // argument), then one rule per BDD path.
        let mut last_failure = None;
        let mut done = false;
        for style in [Style::Fewest, Style::Masks, Style::Paths] {
            let mut written: Vec<(Action, Vec<Vec<ArgCondition>>)> = Vec::new();
            let mut too_many = false;
            for (action, region) in &mine {
                match emit_region(&mut b, *region, first.is_32bit(), style) {
                    Some(rs) => written.push((*action, rs)),
                    None => too_many = true,
                }
                if b.exhausted() {
                    return Err(vec![too_complex(span, name, &b)]);
                }
            }
            if too_many {
                last_failure.get_or_insert(
                    Diagnostic::error(
                        span,
                        format!("{name} needs more than {MAX_RULES_PER_SYSCALL} OCI rules"),
                    )
                    .with_label("its argument conditions split into too many pieces")
                    .with_note(BPF_HINT),
                );
                continue;
            }
            let mut semantic = Vec::new();
            for &(arch, nr) in &arches_with {
                let want = regions.get(&(arch, nr)).cloned().unwrap_or_default();
                if let Some(why) = mismatch(&mut b, &written, &want, arch.is_32bit()) {
                    semantic.push(if arch == first {
                        Diagnostic::error(
                            span,
                            format!("internal error: the OCI rules for {name} would change its meaning ({why})"),
                        )
                        .with_note("note: please report this policy; `--format bpf` is not affected")
                    } else {
                        Diagnostic::error(
                            span,
                            format!("{name} means something else on {arch} than on {first}"),
                        )
                        .with_label(why)
                        .with_note("note: OCI JSON has one rule set per syscall name for all arches")
                        .with_note(format!(
                            "help: compile for one arch at a time (--arch {first}), or use --format bpf"
                        ))
                    });
                }
            }
            if b.exhausted() {
                return Err(vec![too_complex(span, name, &b)]);
            }
            if !semantic.is_empty() {
                errors.extend(semantic);
                done = true;
                break;
            }
            if checkable && hangs.spent() {
                // The errors of the syscalls before this one are kept: they may be why.
                errors.extend(last_failure.take());
                errors.push(
                    Diagnostic::error(
                        span,
                        format!("rpod gave up asking libseccomp to build the OCI rules for {name}"),
                    )
                    .with_label(format!(
                        "libseccomp did not finish building {MAX_HANGS} rule sets of this policy, each given {}s of CPU time",
                        build::CPU_BUDGET.as_secs()
                    ))
                    .with_note("help: simplify the argument conditions of this syscall and of those with conditions before it, or compare fewer arguments in one rule")
                    .with_note(BPF_HINT),
                );
                return Err(errors);
            }
            let order = if checkable {
                libseccomp_order(
                    p,
                    name,
                    &written,
                    &arches_with,
                    &regions,
                    &mut b,
                    &mut hangs,
                )
            } else {
                Ok(written
                    .iter()
                    .flat_map(|(a, rs)| rs.iter().map(move |r| (*a, r.clone())))
                    .collect())
            };
            match order {
                Ok(order) => {
                    ordered.push((name, order));
                    done = true;
                    break;
                }
                Err(_) if b.exhausted() => return Err(vec![too_complex(span, name, &b)]),
                Err(why) => {
                    last_failure = Some(
                        Diagnostic::error(
                            span,
                            format!(
                                "libseccomp {} cannot build the OCI rules for {name} correctly",
                                table::LIBSECCOMP_VERSION
                            ),
                        )
                        .with_label(why)
                        .with_note(
                            "note: runc builds OCI JSON with libseccomp; rpod tried several rule sets and orders",
                        )
                        .with_note(BPF_HINT),
                    );
                }
            }
        }
        if !done {
            errors.extend(last_failure);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    if p.default == Action::UserNotif {
        return Err(vec![Diagnostic::error(
            p.default_span.unwrap_or_default(),
            "OCI JSON cannot use USER_NOTIF as the default action",
        )
        .with_label("runc refuses SCMP_ACT_NOTIFY as the default action")
        .with_note(BPF_HINT)]);
    }
    let (default_action, default_errno_ret) = oci_action(p.default).map_err(|why| {
        vec![Diagnostic::error(
            p.default_span.unwrap_or_default(),
            format!("OCI JSON cannot express the default action {}", p.default),
        )
        .with_label(why)
        .with_note(BPF_HINT)]
    })?;
    let mut profile = Profile::new(default_action);
    profile.default_errno_ret = default_errno_ret;
    profile.architectures = p.arches.clone();
    profile.architectures.sort();
    // Unconditional rules grouped by action; rules with arguments per syscall, in the order
    // libseccomp was seen to build correctly.
    let mut plain: BTreeMap<OciAction, Vec<String>> = BTreeMap::new();
    let mut conditional = Vec::new();
    for (name, rules) in ordered {
        for (action, args) in rules {
            let (kind, errno_ret) = oci_action(action).expect("checked above");
            if args.is_empty() {
                plain
                    .entry((kind, errno_ret))
                    .or_default()
                    .push(name.to_string());
            } else {
                conditional.push(oci_rule(vec![name.to_string()], kind, errno_ret, args));
            }
        }
    }
    for ((kind, errno_ret), mut names) in plain {
        names.sort();
        names.dedup();
        profile
            .syscalls
            .push(oci_rule(names, kind, errno_ret, Vec::new()));
    }
    profile.syscalls.extend(conditional);
    Ok(Lowered { profile, warnings })
}

/// The error for a syscall whose conditions spent the diagram's budget.
fn too_complex(span: Span, name: &str, b: &Bdd) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("the argument conditions of {name} are too complex to lower to OCI JSON"),
    )
    .with_label(format!(
        "cutting them into OCI rules took more than {} decision-diagram steps",
        b.budget()
    ))
    .with_note("help: compare fewer arguments in one rule, with fewer different masks and ranges")
    .with_note(BPF_HINT)
}

fn oci_rule(
    names: Vec<String>,
    action: ActionKind,
    errno_ret: Option<u32>,
    args: Vec<ArgCondition>,
) -> OciRule {
    OciRule {
        names,
        action,
        errno_ret,
        args,
        comment: String::new(),
        includes: profiles::model::Filter::default(),
        excludes: profiles::model::Filter::default(),
    }
}

/// The rules for `name` in an order libseccomp builds correctly on every arch that has the
/// syscall, checked exactly (see [`crate::verify`]). Tries the rules as written, with every
/// rule comparing the same arguments (an always-true `>= 0` where a rule leaves one free:
/// libseccomp 2.5.4 hangs on some mixes), and reversed.
fn libseccomp_order(
    p: &Program,
    name: &'static str,
    written: &[(Action, Vec<Vec<ArgCondition>>)],
    arches_with: &[(Arch, u32)],
    regions: &BTreeMap<(Arch, u32), Vec<(Action, Node)>>,
    b: &mut Bdd,
    hangs: &mut build::Hangs,
) -> Result<Vec<FlatRule>, String> {
    let flat: Vec<(Action, Vec<ArgCondition>)> = written
        .iter()
        .flat_map(|(a, rs)| rs.iter().map(move |r| (*a, r.clone())))
        .collect();
    if flat.iter().all(|(_, args)| args.is_empty()) {
        return Ok(flat);
    }
    let mut used: Vec<u8> = flat
        .iter()
        .flat_map(|(_, args)| args.iter().map(|c| c.index))
        .collect();
    used.sort_unstable();
    used.dedup();
    let padded: Vec<(Action, Vec<ArgCondition>)> = flat
        .iter()
        .map(|(a, args)| {
            let mut args = args.clone();
            for &i in &used {
                if !args.iter().any(|c| c.index == i) {
                    args.push(cond_of(i, Op::Ge, 0, 0));
                }
            }
            args.sort();
            (*a, args)
        })
        .collect();
    let rev = |v: &[(Action, Vec<ArgCondition>)]| v.iter().rev().cloned().collect::<Vec<_>>();
    let candidates = [flat.clone(), padded.clone(), rev(&flat), rev(&padded)];
    let names = [name.to_string()];
    let target = build::Target {
        names: &names,
        default: p.default,
        arches: &p.arches,
        options: BUILD_OPTIONS,
    };
    build::first_built_right_within(
        &target,
        candidates,
        |prog, _| match built_matches(b, prog, p.default, arches_with, regions) {
            // A check on a spent diagram proves nothing: stop the search.
            Err(why) if b.exhausted() => build::Verdict::GiveUp(why),
            Ok(()) if b.exhausted() => build::Verdict::GiveUp(String::new()),
            Ok(()) => build::Verdict::Right,
            Err(why) => build::Verdict::Wrong(why),
        },
        hangs,
    )
    .map_err(|f| match f {
        build::SearchFailure::Libseccomp(build::Failure::Hang) => {
            "libseccomp did not finish building them".to_string()
        }
        build::SearchFailure::Libseccomp(build::Failure::Refused { message }) => {
            format!("libseccomp refused them: {message}")
        }
        build::SearchFailure::Wrong(why) | build::SearchFailure::GaveUp(why) => why,
    })
}

/// Whether `prog` gives exactly the policy's regions for the syscall on each arch.
fn built_matches(
    b: &mut Bdd,
    prog: &profiles::bpf::Program,
    default: Action,
    arches_with: &[(Arch, u32)],
    regions: &BTreeMap<(Arch, u32), Vec<(Action, Node)>>,
) -> Result<(), String> {
    for &(arch, nr) in arches_with {
        let got = crate::verify::regions(b, prog, arch, nr)
            .map_err(|u| format!("rpod cannot read libseccomp's program: {}", u.0))?;
        let mut want: Vec<(Action, Node)> = regions.get(&(arch, nr)).cloned().unwrap_or_default();
        let covered = want.iter().fold(FALSE, |acc, (_, n)| b.or(acc, *n));
        let rest = b.not(covered);
        match want.iter_mut().find(|(a, _)| *a == default) {
            Some((_, n)) => *n = b.or(*n, rest),
            None => want.push((default, rest)),
        }
        for (a, n) in &want {
            let g = got
                .iter()
                .filter(|(x, _)| x == a)
                .fold(FALSE, |acc, (_, m)| b.or(acc, *m));
            if g != *n {
                return Err(format!(
                    "libseccomp's filter gives {a} to other arguments on {arch}"
                ));
            }
        }
    }
    Ok(())
}

/// One OCI rule for one syscall: its action and AND-ed conditions.
type FlatRule = (Action, Vec<ArgCondition>);

/// An OCI action and its `errnoRet`.
type OciAction = (ActionKind, Option<u32>);

/// The OCI action for a seccomp action, or why there is none.
fn oci_action(a: Action) -> Result<OciAction, String> {
    match a.to_oci_exact() {
        // SCMP_ACT_KILL is the name every runtime knows for killing the thread.
        Ok((ActionKind::KillThread, data)) => Ok((ActionKind::Kill, data)),
        Ok(oci) => Ok(oci),
        Err(why) => Err(why.to_string()),
    }
}

/// An operand as a function of one argument: bit i is x's where `mask` has it and `set` does
/// not, 1 where `set` has it, 0 elsewhere.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lin {
    Const(u64),
    Arg { index: u8, mask: u64, set: u64 },
}

fn lin(v: &Val) -> Result<Lin, String> {
    Ok(match v {
        Val::Const(c) => Lin::Const(*c),
        Val::Arg { index, size } => Lin::Arg {
            index: *index,
            mask: if *size == 4 { LOW } else { u64::MAX },
            set: 0,
        },
        Val::And(a, b) | Val::Or(a, b) => {
            let and = matches!(v, Val::And(..));
            match (lin(a)?, lin(b)?) {
                (Lin::Const(x), Lin::Const(y)) => Lin::Const(if and { x & y } else { x | y }),
                (Lin::Arg { index, mask, set }, Lin::Const(k))
                | (Lin::Const(k), Lin::Arg { index, mask, set }) => {
                    if and {
                        Lin::Arg {
                            index,
                            mask: mask & k,
                            set: set & k,
                        }
                    } else {
                        Lin::Arg {
                            index,
                            mask,
                            set: set | k,
                        }
                    }
                }
                (
                    Lin::Arg {
                        index: i,
                        mask: m1,
                        set: s1,
                    },
                    Lin::Arg {
                        index: j,
                        mask: m2,
                        set: s2,
                    },
                ) if i == j => {
                    // Bitwise on one argument: per bit the value is 0, 1 or x.
                    let x1 = m1 & !s1;
                    let x2 = m2 & !s2;
                    if and {
                        let set = s1 & s2;
                        let xs = (x1 & (x2 | s2)) | (x2 & s1);
                        Lin::Arg {
                            index: i,
                            mask: xs | set,
                            set,
                        }
                    } else {
                        let set = s1 | s2;
                        Lin::Arg {
                            index: i,
                            mask: (x1 | x2) | set,
                            set,
                        }
                    }
                }
                _ => return Err("it combines two different arguments with '&' or '|'".to_string()),
            }
        }
    })
}

fn cond(b: &mut Bdd, c: &Cond) -> Result<Node, String> {
    Ok(match c {
        Cond::True => TRUE,
        Cond::False => FALSE,
        Cond::And(x, y) => {
            let x = cond(b, x)?;
            let y = cond(b, y)?;
            b.and(x, y)
        }
        Cond::Or(x, y) => {
            let x = cond(b, x)?;
            let y = cond(b, y)?;
            b.or(x, y)
        }
        Cond::Not(x) => {
            let x = cond(b, x)?;
            b.not(x)
        }
        Cond::Cmp { op, lhs, rhs } => match (lin(lhs)?, lin(rhs)?) {
            (Lin::Const(x), Lin::Const(y)) => {
                if op.eval(x, y) {
                    TRUE
                } else {
                    FALSE
                }
            }
            (Lin::Arg { index, mask, set }, Lin::Const(k)) => b.cmp(index, mask, set, *op, k),
            (Lin::Const(k), Lin::Arg { index, mask, set }) => {
                b.cmp(index, mask, set, op.swapped(), k)
            }
            (l @ Lin::Arg { index: i, .. }, r @ Lin::Arg { index: j, .. }) => {
                if l == r {
                    if op.eval(0, 0) {
                        TRUE
                    } else {
                        FALSE
                    }
                } else if i == j {
                    return Err("it compares an argument with itself under different masks".into());
                } else {
                    return Err(format!("it compares argument {i} with argument {j}"));
                }
            }
        },
    })
}

/// The OCI rules (lists of AND-ed conditions, OR-ed together) for `region`.
/// How to choose the conditions for one argument's set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// The fewest conditions, comparisons and patterns mixed.
    Fewest,
    /// Masked patterns and `==` only.
    Masks,
    /// One disjoint pattern per path of the set's diagram.
    Paths,
}

fn emit_region(
    b: &mut Bdd,
    region: Node,
    arch32: bool,
    style: Style,
) -> Option<Vec<Vec<ArgCondition>>> {
    let mut out = Vec::new();
    let mut products = Vec::new();
    // Each product is at least one rule.
    if !collect_products(b, region, 0, &mut Vec::new(), &mut products) {
        return None;
    }
    for sets in products {
        // Per argument, the conditions whose union is its set (empty: any value).
        let mut per_arg: Vec<(u8, Vec<ArgCondition>)> = Vec::new();
        for (i, s) in sets.iter().enumerate() {
            let index = u8::try_from(i).expect("6 arguments");
            if *s == TRUE {
                continue;
            }
            per_arg.push((index, emit_set(b, index, *s, arch32, style)?));
        }
        let mut partial: Vec<Vec<ArgCondition>> = vec![Vec::new()];
        for (_, conds) in per_arg {
            let mut next = Vec::with_capacity(partial.len() * conds.len());
            for p in &partial {
                for c in &conds {
                    let mut q = p.clone();
                    q.push(*c);
                    next.push(q);
                }
            }
            partial = next;
            if out.len() + partial.len() > MAX_RULES_PER_SYSCALL {
                return None;
            }
        }
        out.extend(partial);
    }
    for r in &mut out {
        r.sort();
    }
    out.sort();
    Some(out)
}

/// The products of `f` (a set per argument from `arg` on) after `prefix`, into `out`; false
/// once there are more than [`MAX_RULES_PER_SYSCALL`] (or the diagram's budget is spent): the
/// number of products can grow exponentially with the arguments compared (issue 12).
fn collect_products(
    b: &mut Bdd,
    f: Node,
    arg: u8,
    prefix: &mut Vec<Node>,
    out: &mut Vec<Vec<Node>>,
) -> bool {
    if f == FALSE {
        return true;
    }
    if arg == 6 {
        out.push(prefix.clone());
        return out.len() <= MAX_RULES_PER_SYSCALL;
    }
    let parts = b.cut(f, arg);
    if out.len() + parts.len() > MAX_RULES_PER_SYSCALL || b.exhausted() {
        return false;
    }
    for &(s, g) in &parts {
        // All rules of a region share one action, so they may overlap: values of this argument
        // whose remaining condition is weaker than g may join s (fewer, wider conditions).
        let mut s = s;
        for &(s2, h) in &parts {
            let nh = b.not(h);
            if b.and(g, nh) == FALSE {
                s = b.or(s, s2);
            }
        }
        prefix.push(s);
        let fits = collect_products(b, g, arg + 1, prefix, out);
        prefix.pop();
        if !fits || b.exhausted() {
            return false;
        }
    }
    true
}

fn cond_of(index: u8, op: Op, value: u64, value_two: u64) -> ArgCondition {
    ArgCondition {
        index,
        value,
        value_two,
        op,
    }
}

/// Whether `s` (a set of values of `arg`) tests a bit of the high word.
fn uses_high_word(b: &Bdd, s: Node) -> bool {
    let mut stack = vec![s];
    let mut seen = std::collections::HashSet::new();
    while let Some(n) = stack.pop() {
        if n <= TRUE || !seen.insert(n) {
            continue;
        }
        let (_, bit) = bdd::arg_bit(b.top(n));
        if bit >= 32 {
            return true;
        }
        let (lo, hi) = b.children(n);
        stack.push(lo);
        stack.push(hi);
    }
    false
}

/// The fewest OCI conditions on argument `index` whose union is the set `s`.
///
/// Three ways to read the comparisons: on a 64-bit arch they compare all 64 bits (`native`,
/// `top` = u64::MAX); when the set ignores the high word (a 32-bit argument) only masked
/// patterns inside the low word say it exactly; on a 32-bit arch libseccomp compares low
/// words, so every comparison works within the low word.
fn emit_set(
    b: &mut Bdd,
    index: u8,
    s: Node,
    arch32: bool,
    style: Style,
) -> Option<Vec<ArgCondition>> {
    let high = uses_high_word(b, s);
    let (top, native) = if arch32 {
        (LOW, true)
    } else if high {
        (u64::MAX, true)
    } else {
        (LOW, false)
    };
    // The values up to `top`: where the set ignores the high word this is its low-word image.
    let range = b.cmp(index, u64::MAX, 0, CmpOp::Le, top);
    let s = b.and(s, range);
    let mut best: Option<Vec<ArgCondition>> = None;
    let mut consider = |c: Vec<ArgCondition>| {
        if best.as_ref().is_none_or(|b| c.len() < b.len()) {
            best = Some(c);
        }
    };
    // Patterns found in `s` also test the high word against 0 where `top` cuts it off: drop
    // those bits, the comparison is within the low word.
    let cube = |mask: u64, value: u64| {
        let (mask, value) = (mask & top, value & top);
        if native && mask == top {
            cond_of(index, Op::Eq, value, 0)
        } else {
            cond_of(index, Op::MaskedEq, mask, value)
        }
    };
    if style == Style::Paths {
        return b
            .paths(s, MAX_PIECES)
            .map(|p| p.into_iter().map(|(m, v)| cube(m, v)).collect());
    }
    if let Some((mask, value)) = b.cube(s) {
        return Some(vec![cube(mask, value)]);
    }
    let ranges = native && style == Style::Fewest;
    if ranges {
        let all_but = b.not(s);
        let co = b.and(all_but, range);
        if let Some((mask, value)) = b.cube(co) {
            if mask & top == top {
                return Some(vec![cond_of(index, Op::Ne, value & top, 0)]);
            }
        }
    }
    if let Some(ivs) = intervals(b, index, s, top) {
        let mut conds = Vec::new();
        for (lo, hi) in ivs {
            if ranges && lo == 0 {
                conds.push(cond_of(index, Op::Le, hi, 0));
            } else if ranges && hi == top {
                conds.push(cond_of(index, Op::Ge, lo, 0));
            } else {
                for (mask, value) in profiles::solve::prefix_patterns(lo, hi, top) {
                    conds.push(cube(mask, value));
                }
            }
            if conds.len() > MAX_PIECES {
                break;
            }
        }
        if conds.len() <= MAX_PIECES {
            consider(conds);
        }
    }
    // Masked patterns may overlap (they share one action), so grow each as far as the set
    // allows: "(prot & 4) == 4" rather than 61 prefix patterns.
    if let Some(cubes) = prime_cover(b, index, s, FALSE) {
        consider(cubes.into_iter().map(|(m, v)| cube(m, v)).collect());
    }
    if ranges {
        // One-sided ranges are single comparisons; patterns cover what lies between.
        let mut conds = Vec::new();
        let mut rest = s;
        let lo_end = b.extreme(s, false).filter(|&x| x == 0).and_then(|_| {
            let not_s = b.not(s);
            b.extreme(not_s, false)
        });
        if let Some(gap) = lo_end {
            conds.push(cond_of(index, Op::Le, gap - 1, 0));
            let ge = b.cmp(index, u64::MAX, 0, CmpOp::Ge, gap);
            rest = b.and(rest, ge);
        }
        if b.extreme(s, true) == Some(top) {
            let not_s = b.not(s);
            let below = b.and(not_s, range);
            if let Some(gap) = b.extreme(below, true) {
                conds.push(cond_of(index, Op::Ge, gap + 1, 0));
                let le = b.cmp(index, u64::MAX, 0, CmpOp::Le, gap);
                rest = b.and(rest, le);
            }
        }
        if !conds.is_empty() {
            // The patterns may reach into the ranges already covered.
            let not_rest = b.not(rest);
            let covered = b.and(s, not_rest);
            if let Some(cubes) = prime_cover(b, index, rest, covered) {
                conds.extend(cubes.into_iter().map(|(m, v)| cube(m, v)));
                consider(conds);
            }
        }
    }
    if let Some(paths) = b.paths(s, MAX_PIECES) {
        consider(paths.into_iter().map(|(m, v)| cube(m, v)).collect());
    }
    best
}

/// Patterns `(mask, value)` covering `s` exactly, each as large as fits in `s` plus `free`
/// (values covered anyway, with the same action): take a pattern of what is left, drop each
/// fixed bit that can go, repeat. `None` past [`MAX_PIECES`].
fn prime_cover(b: &mut Bdd, index: u8, s: Node, free: Node) -> Option<Vec<(u64, u64)>> {
    let allowed = b.or(s, free);
    let not_allowed = b.not(allowed);
    let mut rest = s;
    let mut out = Vec::new();
    while rest != FALSE {
        let (mut mask, value) = first_path(b, rest);
        for bit in 0..64 {
            let m = 1u64 << bit;
            if mask & m == 0 {
                continue;
            }
            let wider = mask & !m;
            let c = b.cmp(index, wider, 0, CmpOp::Eq, value & wider);
            if b.and(c, not_allowed) == FALSE {
                mask = wider;
            }
        }
        let value = value & mask;
        let c = b.cmp(index, mask, 0, CmpOp::Eq, value);
        let not_c = b.not(c);
        rest = b.and(rest, not_c);
        out.push((mask, value));
        if out.len() > MAX_PIECES {
            return None;
        }
    }
    Some(out)
}

/// One pattern inside the non-empty set `s`: the bits tested on one path to TRUE.
fn first_path(b: &Bdd, s: Node) -> (u64, u64) {
    let (mut mask, mut value) = (0u64, 0u64);
    let mut n = s;
    while n != TRUE {
        let (_, bit) = bdd::arg_bit(b.top(n));
        let (lo, hi) = b.children(n);
        mask |= 1 << bit;
        if lo == FALSE {
            value |= 1 << bit;
            n = hi;
        } else {
            n = lo;
        }
    }
    (mask, value)
}

/// The maximal intervals of `s` within `0..=top`, or `None` when there are too many.
fn intervals(b: &mut Bdd, index: u8, s: Node, top: u64) -> Option<Vec<(u64, u64)>> {
    let mut out = Vec::new();
    let not_s = b.not(s);
    let mut from = 0u64;
    loop {
        let ge = b.cmp(index, u64::MAX, 0, CmpOp::Ge, from);
        let rest = b.and(s, ge);
        let Some(lo) = b.extreme(rest, false) else {
            break;
        };
        let ge_lo = b.cmp(index, u64::MAX, 0, CmpOp::Ge, lo);
        let gap = b.and(not_s, ge_lo);
        let hi = match b.extreme(gap, false) {
            Some(g) if g <= top => g - 1,
            _ => top,
        };
        out.push((lo, hi));
        if out.len() > MAX_PIECES {
            return None;
        }
        if hi >= top {
            break;
        }
        from = hi + 1;
    }
    Some(out)
}

/// The set of argument values a condition accepts, as libseccomp enforces it on the arch.
fn cond_set(b: &mut Bdd, c: &ArgCondition, arch32: bool) -> Node {
    let c = profiles::solve::enforced(c, arch32);
    let width = if arch32 { LOW } else { u64::MAX };
    let op = match c.op {
        Op::Eq => CmpOp::Eq,
        Op::Ne => CmpOp::Ne,
        Op::Lt => CmpOp::Lt,
        Op::Le => CmpOp::Le,
        Op::Gt => CmpOp::Gt,
        Op::Ge => CmpOp::Ge,
        Op::MaskedEq => return b.cmp(c.index, c.value & width, 0, CmpOp::Eq, c.value_two),
    };
    b.cmp(c.index, width, 0, op, c.value)
}

/// Why the written rules differ from the wanted regions on an arch, if they do.
fn mismatch(
    b: &mut Bdd,
    written: &[(Action, Vec<Vec<ArgCondition>>)],
    want: &[(Action, Node)],
    arch32: bool,
) -> Option<String> {
    let mut actions: Vec<Action> = written.iter().map(|(a, _)| *a).collect();
    actions.extend(want.iter().map(|(a, _)| *a));
    actions.dedup();
    for a in actions {
        let mut got = FALSE;
        for (_, rs) in written.iter().filter(|(x, _)| *x == a) {
            for r in rs {
                let mut all = TRUE;
                for c in r {
                    let cs = cond_set(b, c, arch32);
                    all = b.and(all, cs);
                }
                got = b.or(got, all);
            }
        }
        let expected = want
            .iter()
            .filter(|(x, _)| *x == a)
            .fold(FALSE, |acc, (_, n)| b.or(acc, *n));
        if got != expected {
            return Some(format!("the rules for {a} differ"));
        }
    }
    None
}
