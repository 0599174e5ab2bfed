//! `rpod seccomp decompile`: an OCI seccomp profile back to Kafel-like policy text.
//!
//! The promise: compiling the text gives the filter the profile gives once runc and libseccomp
//! have enforced it, for the context it was decompiled for: the same action for every
//! (arch, syscall, arguments). The text is read first-match: within one syscall its filters
//! match in the order written, a syscall no filter names gets `DEFAULT`.
//!
//! How a profile becomes text:
//! - `includes`/`excludes` are resolved for [`Options::context`] (capabilities, host arch,
//!   kernel); the header says so, since the text holds for that context only.
//! - A rule whose action equals the default is left out: runc drops it (libseccomp refuses it).
//! - A rule that compares one argument twice becomes one filter per condition, OR-ed: runc adds
//!   such a rule one condition at a time. MASKED_EQ compares `valueTwo & value`, as libseccomp
//!   does (`_db_node_mask_fixup`).
//! - Every filter that compares arguments declares them: `write(fd, buf, count) { fd == 1 }`.
//!   An argument that gets its name from the built-in table is compared on its low word when it
//!   is 32-bit (Kafel's semantics), a declared one on all 64 bits, which is what OCI means.
//! - A syscall that only some of the arches have gets an arch guard (`_llseek ON x86`), so the
//!   text compiles for any one of them, and without `--arch` (this machine's arch, as
//!   `rpod run --security-opt seccomp=X.kafel` does) to that arch's filter. The arch list itself
//!   is not in the text (the language has no directive for it): the header names the `--arch`
//!   flags that compile it for all of them.
//! - Blocks are ordered ALLOW, LOG, ERRNO (by value), TRAP, TRACE, USER_NOTIF, KILL,
//!   KILL_PROCESS, and syscalls are sorted by name inside a block. Rules with one action for one
//!   syscall are joined with `||`. A constant with a well-known name for its argument (socket
//!   families and protocols, clone and unshare flags, ioctl requests, prctl options, fcntl
//!   commands, mmap protections and flags, personas; the tables of
//!   [`profiles::analysis::text`]) is written by name, or as the flags it is made of
//!   (`(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD)`), and `#define`d before `DEFAULT`, so
//!   the text compiles to the same numbers. Other numbers below 4096 are decimal (fds, small
//!   enums, errnos), larger ones and every mask hexadecimal (flag words, `0xffffffff`).
//!
//! Order between actions: when a syscall's rules overlap with different actions, OCI says
//! nothing about which wins and libseccomp's decision tree decides; it does not keep the first
//! rule in general (an unconditional rule added after a conditional one replaces it; an
//! `== 0` rule wins over an earlier `< 5` rule). So for such a syscall the rules are built with
//! libseccomp alone and the filter it produces is run in the emulator on every combination of
//! the rules' comparisons ([`solve::cells`]); the text then lists the rules in an order whose
//! first match gives the same action on every combination, leaving out rules that never decide
//! anything, in an extra block after the others when the canonical block order would put them
//! the wrong way round. When no order of the rules does it, the argument regions of each
//! action are written instead (disjoint, so their order does not matter). Where libseccomp
//! mis-builds (gives a call an action no matching rule has), the text follows the rules, as it
//! does for syscalls whose rules do not overlap (`rpod seccomp compile` reports misbuilds).
//!
//! What cannot be decompiled (each is a comment in the text): syscall names that exist on none
//! of the arches (`// not on x86_64: syscall`), among them calls libseccomp files under a
//! multiplexer (`recv` becomes x86's `socketcall` call 10), `flags`, `listenerPath`,
//! `listenerMetadata`. Every other choice the text makes is a note in its header.
//!
//! ```
//! use kafel_dsl::decompile::{decompile, Options};
//! use profiles::{load, resolve::Context, Arch};
//!
//! let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
//!     {"names": ["write"], "action": "SCMP_ACT_ALLOW",
//!      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
//!     {"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#;
//! let profile = load::from_str(json)?.profile;
//! let cx = Context { host_arch: Arch::X86_64, ..Context::default() };
//! let opts = Options { source_name: "p.json", context: &cx, arches: &[Arch::X86_64] };
//! let text = decompile(&profile, &opts);
//! assert!(text.contains("\nDEFAULT ERRNO(1) // EPERM\n\nALLOW {\n  read,\n  write("));
//! assert!(text.contains(" == 1 }\n}\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use profiles::analysis::text::constant_names;
use profiles::analysis::ContextSummary;
use profiles::bpf::{self, Action};
use profiles::model::{ArgCondition, Op, Profile};
use profiles::resolve::{Context, Resolved, ResolvedRule};
use profiles::solve::{self, Cells, Literal, ARGS, MAX_32BIT};
use profiles::{build, compile, errno, syscalls, Arch};

/// What to decompile for.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The profile's file name, for the header.
    pub source_name: &'a str,
    /// The container the profile is resolved for (`includes`/`excludes`, host arch).
    pub context: &'a Context,
    /// The arches the text is meant for, the host's first; empty takes the profile's own
    /// (`architectures` and the host's `archMap` entry).
    pub arches: &'a [Arch],
}

/// The policy text for `profile`, resolved for `opts.context`.
#[must_use]
pub fn decompile(profile: &Profile, opts: &Options) -> String {
    let plan = plan(profile, opts);
    render(&plan, profile, opts)
}

/// Comment and filter lines are wrapped at this many columns.
const WIDTH: usize = 100;

/// Numbers below this are written in decimal: fds, small enums and errnos read better so.
const DECIMAL_BELOW: u64 = 4096;

// ---------------------------------------------------------------------------------------------
// The syscall table: kafel-dsl's own, since a name the compiler does not resolve cannot be
// written.

/// Where a profile's syscall name means the same syscall to the policy compiler.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Written {
    /// The arches where libseccomp and the compiler both resolve it, to the same number.
    on: Vec<Arch>,
    /// The arches where libseccomp has no such syscall but the compiler reads the name as a
    /// kernel name for another one (x86_64's `umount` is `umount2`), with that one's name.
    elsewhere: Vec<(Arch, &'static str)>,
}

fn written(arches: &[Arch], name: &str) -> Written {
    let mut w = Written::default();
    for &a in arches {
        let text = crate::syscalls::lookup(a, name);
        match (syscalls::number(a, name), text) {
            (Some(nr), Some(s)) if s.nr == nr => w.on.push(a),
            (None, Some(s)) => w.elsewhere.push((a, s.libseccomp_name.unwrap_or("?"))),
            // Unknown to both; or (never seen: the compiler looks libseccomp names up first)
            // known to libseccomp only, which the text cannot say on that arch.
            _ => {}
        }
    }
    w
}

/// The argument names of `name` on `arch`, when the table has its signature.
fn table_args(arch: Arch, name: &str) -> Option<Vec<&'static str>> {
    crate::syscalls::lookup(arch, name)?
        .args
        .map(|args| args.iter().map(|a| a.name).collect())
}

/// The names to declare for arguments `0..=last` of `name`: the table's on the first arch that
/// has the signature, `aN` beyond it or where a name would not parse or would repeat.
fn param_names(arches: &[Arch], name: &str, last: usize) -> Vec<String> {
    let table = arches
        .iter()
        .find_map(|a| table_args(*a, name))
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for i in 0..=last {
        let fallback = format!("a{i}");
        let candidate = table.get(i).map_or(fallback.clone(), |s| (*s).to_string());
        let ok = is_ident(&candidate) && !out.contains(&candidate);
        out.push(if ok { candidate } else { fallback });
    }
    out
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------------------------------------
// The plan: what the text says, before it is printed

/// A conjunction of literals; empty means "any arguments".
type Conj = Vec<Literal>;

/// One conjunction of one rule, as libseccomp receives it.
#[derive(Debug, Clone)]
struct Piece {
    action: Action,
    conj: Conj,
    /// Index of the rule in the profile's `syscalls[]`.
    origin: usize,
}

/// Consecutive filters of one action for one syscall: an OR of conjunctions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    action: Action,
    conjs: Vec<Conj>,
}

/// What the text says about one syscall.
#[derive(Debug, Clone)]
struct SyscallPlan {
    segments: Vec<Segment>,
    /// The segments must appear in this order (they overlap with different actions); otherwise
    /// they are disjoint and each goes to its action's block.
    ordered: bool,
}

/// One action block of the text.
#[derive(Debug, Clone)]
struct Block {
    action: Action,
    /// Sorted by name.
    filters: Vec<(String, Vec<Conj>)>,
    /// Not the first block of its action: names the syscalls that need it.
    extra_for: Vec<String>,
}

#[derive(Debug, Clone)]
struct Plan {
    default_action: Action,
    arches: Vec<Arch>,
    resolved: Resolved,
    blocks: Vec<Block>,
    /// Names no arch has, sorted.
    missing: Vec<String>,
    /// Names no arch has as a syscall of its own that libseccomp filters through a multiplexer
    /// (`socketcall`, `ipc`) on some arches: (multiplexer, those arches, names).
    multiplexed: Vec<(&'static str, Vec<Arch>, Vec<String>)>,
    /// Sentences for the header, sorted and deduplicated.
    notes: Vec<String>,
    /// Syscalls whose filters need an arch guard (`ON { x86 }`), with its arches.
    guards: BTreeMap<String, Vec<Arch>>,
}

fn plan(profile: &Profile, opts: &Options) -> Plan {
    let resolved = profile.resolve(opts.context);
    let arches = if opts.arches.is_empty() {
        resolved.arches.clone()
    } else {
        opts.arches.to_vec()
    };
    let mut notes = BTreeSet::new();
    let mut missing = BTreeSet::new();
    let mut multiplexed: BTreeMap<(&'static str, Vec<Arch>), BTreeSet<String>> = BTreeMap::new();
    let mut pieces: BTreeMap<String, Vec<Piece>> = BTreeMap::new();
    let mut guards: BTreeMap<String, Vec<Arch>> = BTreeMap::new();
    for rule in &resolved.rules {
        if rule.action == resolved.default_action {
            notes.insert(format!(
                "syscalls[{}] ({}): {} equals the default action; runc drops the rule, so does this text",
                rule.origin,
                list_names(&rule.names),
                keyword(rule.action)
            ));
            continue;
        }
        let (conjs, rule_notes) = rule_pieces(rule);
        notes.extend(rule_notes);
        if let Some(n) = high_word_note(rule, &arches) {
            notes.insert(n);
        }
        let mut seen = BTreeSet::new();
        for name in &rule.names {
            if !seen.insert(name) {
                continue;
            }
            let w = written(&arches, name);
            if !w.elsewhere.is_empty() && !w.on.is_empty() {
                let other: Vec<String> = w
                    .elsewhere
                    .iter()
                    .map(|(a, n)| format!("{n} on {a}"))
                    .collect();
                notes.insert(format!(
                    "{name}: the policy compiler reads the name as another syscall where libseccomp has none ({}), so its filters say ON {{ {} }}",
                    other.join(", "),
                    list_arches(&w.on)
                ));
                guards.insert(name.clone(), w.on.clone());
            } else if !w.on.is_empty() && w.on.len() < arches.len() {
                // `_llseek` is x86's only: unguarded, the text would not compile for x86_64
                // alone (an unknown name on every target is an error), which is what
                // `rpod seccomp compile` and `rpod run` do without `--arch`.
                guards.insert(name.clone(), w.on.clone());
            }
            if w.on.is_empty() {
                // libseccomp turns `recv` on x86 into `socketcall(SYS_RECV, ...)`; the text
                // cannot name it, but it can say so.
                let via: Vec<(Arch, &'static str)> = arches
                    .iter()
                    .filter_map(|a| syscalls::multiplexer(*a, name).map(|m| (*a, m)))
                    .collect();
                match via.first() {
                    Some((_, mux)) => {
                        let on = via.iter().map(|(a, _)| *a).collect();
                        multiplexed
                            .entry((*mux, on))
                            .or_default()
                            .insert(name.clone());
                    }
                    None => {
                        missing.insert(name.clone());
                    }
                }
                continue;
            }
            let list = pieces.entry(name.clone()).or_default();
            list.extend(conjs.iter().map(|c| Piece {
                action: rule.action,
                conj: c.clone(),
                origin: rule.origin,
            }));
        }
    }
    let mut per_syscall: BTreeMap<String, SyscallPlan> = BTreeMap::new();
    for (name, list) in &pieces {
        let (sp, sp_notes) = plan_syscall(name, list, &resolved, &arches);
        notes.extend(sp_notes);
        per_syscall.insert(name.clone(), sp);
    }
    if let Some(n) = libseccomp_unknown(&pieces, &arches) {
        notes.insert(n);
    }
    // Where libseccomp builds a filter that disagrees with the rules (rules that do not
    // overlap, which `plan_syscall` does not build), the text follows the rules; say so, since
    // its filter then differs from the one runc loads for the profile.
    if let Ok(built) = build::bounded(&resolved, Some(&arches), compile::Options::default()) {
        for n in built
            .notes
            .iter()
            .filter(|n| n.kind == compile::NoteKind::LibseccompMisbuild)
        {
            let name = n.syscall.as_deref().unwrap_or("a syscall");
            notes.insert(format!(
                "{name}: {}; this text follows the rules, so there its filter differs from the one runc loads for the profile",
                n.message
            ));
        }
    }
    Plan {
        default_action: resolved.default_action,
        arches,
        blocks: layout(&per_syscall),
        missing: missing.into_iter().collect(),
        multiplexed: multiplexed
            .into_iter()
            .map(|((mux, on), names)| (mux, on, names.into_iter().collect()))
            .collect(),
        notes: sorted_notes(notes),
        guards,
        resolved,
    }
}

/// Rule notes first, by rule index, then syscall notes by syscall name, then the rest.
fn sorted_notes(notes: BTreeSet<String>) -> Vec<String> {
    let mut v: Vec<String> = notes.into_iter().collect();
    v.sort_by_cached_key(|n| {
        let rule = n
            .strip_prefix("syscalls[")
            .and_then(|r| r.split(']').next())
            .and_then(|i| i.parse::<usize>().ok());
        match rule {
            Some(i) => (0, i, String::new(), n.clone()),
            None if n.starts_with("libseccomp ") => (2, 0, String::new(), n.clone()),
            None => (
                1,
                0,
                n.split(':').next().unwrap_or("").to_string(),
                n.clone(),
            ),
        }
    });
    v
}

/// `read, write, open` or `read, write, open and 12 more`.
fn list_names(names: &[String]) -> String {
    const SHOWN: usize = 3;
    if names.len() <= SHOWN + 1 {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

/// The conjunctions runc hands libseccomp for a rule, as `profiles::solve::enforced_pieces`
/// computes them (one per condition when an argument repeats, MASKED_EQ with
/// `valueTwo & value`), with a note for each change the text makes. Values stay 64-bit: the text
/// declares 64-bit arguments.
fn rule_pieces(rule: &ResolvedRule) -> (Vec<Conj>, Vec<String>) {
    let mut notes = Vec::new();
    let mut counts = [0usize; ARGS];
    for c in &rule.args {
        if let Some(n) = counts.get_mut(usize::from(c.index)) {
            *n += 1;
        }
    }
    let mut lits = Vec::new();
    for c in &rule.args {
        let e = solve::enforced(c, false);
        if e != *c && c.op == Op::MaskedEq {
            notes.push(format!(
                "syscalls[{}]: libseccomp compares (args[{}] & {:#x}) with {:#x}, not {:#x} (valueTwo has bits outside the mask), so does this text",
                rule.origin,
                c.index,
                c.value,
                e.value_two,
                c.value_two
            ));
        }
        lits.push(Literal::new(e, true));
    }
    if counts.iter().any(|n| *n > 1) {
        notes.push(format!(
            "syscalls[{}]: compares one argument more than once; runc adds each condition as its own rule (OR, not AND), so does this text",
            rule.origin
        ));
        (lits.into_iter().map(|l| vec![l]).collect(), notes)
    } else {
        (vec![lits], notes)
    }
}

/// A note for a constant above 32 bits when the text is also for 32-bit arches: libseccomp
/// compares only the low words of the argument and the constant there, the policy compiler the
/// argument's low word with the whole constant, and one text cannot say both.
fn high_word_note(rule: &ResolvedRule, arches: &[Arch]) -> Option<String> {
    let on: Vec<Arch> = arches.iter().copied().filter(|a| a.is_32bit()).collect();
    let big = rule
        .args
        .iter()
        .find(|c| c.value > MAX_32BIT || (c.op == Op::MaskedEq && c.value_two > MAX_32BIT))?;
    (!on.is_empty()).then(|| {
        format!(
            "syscalls[{}]: {big} uses the upper 32 bits, which libseccomp drops from the constant on {}; the text keeps the whole constant, so runc's filter and the text's may decide differently there",
            rule.origin,
            list_arches(&on)
        )
    })
}

/// A note naming the syscalls of the text that the libseccomp rpod links does not know: runc
/// and crun built against it skip their rules, so there they get the default action.
fn libseccomp_unknown(pieces: &BTreeMap<String, Vec<Piece>>, arches: &[Arch]) -> Option<String> {
    let names: Vec<&str> = pieces
        .keys()
        .filter(|n| {
            !arches
                .iter()
                .any(|a| syscalls::entry(*a, n).is_some_and(|e| e.libseccomp))
        })
        .map(String::as_str)
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "libseccomp {} does not know {}; runc and crun built against it skip their rules (the default action applies there), this text keeps them",
            syscalls::LIBSECCOMP_VERSION,
            names.join(", ")
        )
    })
}

/// Whether one argument vector satisfies a conjunction as an arch compares it (libseccomp
/// compares only the low words on a 32-bit arch).
fn holds(conj: &[Literal], w: &[u64; ARGS], bits32: bool) -> bool {
    conj.iter().all(|l| {
        let c = solve::enforced(&l.cond, bits32);
        w.get(usize::from(c.index))
            .is_none_or(|a| c.matches(*a) == l.positive)
    })
}

/// Whether two conjunctions have a common point (64-bit).
fn overlap(a: &[Literal], b: &[Literal]) -> bool {
    let both: Vec<Literal> = a.iter().chain(b).copied().collect();
    solve::witness_of(&both).is_some()
}

/// The segments of `pieces` in the given order: consecutive pieces of one action joined,
/// duplicate conjunctions dropped, an unconditional conjunction absorbing the others.
fn segments_in_order<'a>(pieces: impl IntoIterator<Item = &'a Piece>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for p in pieces {
        match out.last_mut() {
            Some(s) if s.action == p.action => push_conj(&mut s.conjs, &p.conj),
            _ => out.push(Segment {
                action: p.action,
                conjs: vec![p.conj.clone()],
            }),
        }
    }
    out
}

fn push_conj(conjs: &mut Vec<Conj>, c: &Conj) {
    if conjs.iter().any(Vec::is_empty) || conjs.contains(c) {
        return;
    }
    if c.is_empty() {
        conjs.clear();
    }
    conjs.push(c.clone());
}

/// One segment per action, in order of first appearance (for pieces whose actions never meet).
fn segments_by_action(pieces: &[Piece]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for p in pieces {
        match out.iter_mut().find(|s| s.action == p.action) {
            Some(s) => push_conj(&mut s.conjs, &p.conj),
            None => out.push(Segment {
                action: p.action,
                conjs: vec![p.conj.clone()],
            }),
        }
    }
    out
}

fn plan_syscall(
    name: &str,
    pieces: &[Piece],
    resolved: &Resolved,
    arches: &[Arch],
) -> (SyscallPlan, Vec<String>) {
    let ambiguous = pieces.iter().enumerate().any(|(j, b)| {
        pieces[..j]
            .iter()
            .any(|a| a.action != b.action && overlap(&a.conj, &b.conj))
    });
    if !ambiguous {
        return (
            SyscallPlan {
                segments: segments_by_action(pieces),
                ordered: false,
            },
            Vec::new(),
        );
    }
    match enforced_order(name, pieces, resolved, arches) {
        Ok(r) => r,
        Err(why) => {
            let note = format!(
                "{name}: rules overlap with different actions ({}) and {why}; the filters keep the profile's order",
                origins(pieces)
            );
            (
                SyscallPlan {
                    segments: segments_in_order(pieces),
                    ordered: true,
                },
                vec![note],
            )
        }
    }
}

/// `syscalls[1], syscalls[15]`.
fn origins(pieces: &[Piece]) -> String {
    let set: BTreeSet<usize> = pieces.iter().map(|p| p.origin).collect();
    set.iter()
        .map(|o| format!("syscalls[{o}]"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What libseccomp built for one syscall's rules: the program and the arches it covers.
struct Built {
    program: bpf::Program,
    /// The arches where libseccomp knows the syscall; the first decides the order.
    arches: Vec<Arch>,
}

/// Builds the rules of `name` alone with libseccomp, as runc would hand them over.
fn build(name: &str, resolved: &Resolved, arches: &[Arch]) -> Result<Built, String> {
    let lib_arches: Vec<Arch> = arches
        .iter()
        .copied()
        .filter(|a| syscalls::entry(*a, name).is_some_and(|e| e.libseccomp))
        .collect();
    if lib_arches.is_empty() {
        return Err(format!(
            "libseccomp {} does not know it on {}",
            syscalls::LIBSECCOMP_VERSION,
            list_arches(arches)
        ));
    }
    let rules: Vec<ResolvedRule> = resolved
        .rules
        .iter()
        .filter(|r| r.action != resolved.default_action && r.names.iter().any(|n| n == name))
        .map(|r| ResolvedRule {
            names: vec![name.to_string()],
            ..r.clone()
        })
        .collect();
    let one = Resolved {
        default_action: resolved.default_action,
        arches: lib_arches.clone(),
        rules,
        flags: Vec::new(),
        dropped: Vec::new(),
    };
    let program = build::bounded(&one, None, compile::Options::default())
        .map_err(|f| match f {
            build::Failure::Refused { message } => {
                format!("libseccomp refuses them ({message}), so runc cannot load the profile")
            }
            build::Failure::Hang => format!(
                "libseccomp did not finish building them within {}s of CPU time",
                build::CPU_BUDGET.as_secs()
            ),
        })?
        .program;
    Ok(Built {
        program,
        arches: lib_arches,
    })
}

fn list_arches(arches: &[Arch]) -> String {
    arches
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cells of the pieces' comparisons as `arch` compares them, and the filter's action and
/// each piece's truth on every cell. Every constant is tried on every compared argument
/// ([`solve::spread`]): libseccomp 2.5.4 sometimes compares one argument against another's
/// constant.
struct Table {
    cells: Cells,
    truth: Vec<Action>,
    /// `matches[p][c]`: piece p matches cell c.
    matches: Vec<Vec<bool>>,
}

fn table(name: &str, pieces: &[Piece], built: &Built, arch: Arch) -> Result<Table, String> {
    let bits32 = arch.is_32bit();
    let max = if bits32 { MAX_32BIT } else { u64::MAX };
    let atoms: Vec<ArgCondition> = pieces
        .iter()
        .flat_map(|p| p.conj.iter().map(|l| solve::enforced(&l.cond, bits32)))
        .collect();
    let mut cells = solve::cells(&solve::spread(&atoms), max);
    if !cells.complete {
        cells = solve::cells(&atoms, max);
    }
    if !cells.complete {
        return Err(format!(
            "their comparisons make {} argument combinations on {arch}, more than rpod checks",
            cells.total
        ));
    }
    let nr =
        syscalls::number(arch, name).ok_or_else(|| format!("{name} has no number on {arch}"))?;
    let truth = cells
        .cells
        .iter()
        .map(|c| bpf::simulate(&built.program, arch, nr, c.witness).action)
        .collect();
    let matches = pieces
        .iter()
        .map(|p| {
            cells
                .cells
                .iter()
                .map(|c| holds(&p.conj, &c.witness, bits32))
                .collect()
        })
        .collect();
    Ok(Table {
        cells,
        truth,
        matches,
    })
}

/// The order of `pieces` libseccomp enforces for `name`, with notes; `Err` says why it cannot
/// be found.
fn enforced_order(
    name: &str,
    pieces: &[Piece],
    resolved: &Resolved,
    arches: &[Arch],
) -> Result<(SyscallPlan, Vec<String>), String> {
    let built = build(name, resolved, arches)?;
    let arch = built.arches[0];
    let mut t = table(name, pieces, &built, arch)?;
    let mut notes = Vec::new();
    if let Some(n) = follow_rules_where_misbuilt(name, pieces, &mut t, resolved.default_action) {
        notes.push(n);
    }
    let plan = match greedy_order(pieces, &t, resolved.default_action) {
        Some(Order { order, dead }) => {
            for (p, deciders) in &dead {
                let by: Vec<String> = deciders
                    .iter()
                    .map(|d| {
                        format!(
                            "syscalls[{}] ({})",
                            pieces[*d].origin,
                            keyword(pieces[*d].action)
                        )
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let instead = if by.is_empty() {
                    "it matches no call".to_string()
                } else {
                    format!(
                        "libseccomp gives every call it matches to {}",
                        by.join(" and ")
                    )
                };
                notes.push(format!(
                    "{name}: the {} rule syscalls[{}]{} never applies: {instead}",
                    keyword(pieces[*p].action),
                    pieces[*p].origin,
                    conj_suffix(&pieces[*p].conj),
                ));
            }
            let live: Vec<usize> = (0..pieces.len())
                .filter(|i| !dead.iter().any(|(d, _)| d == i))
                .collect();
            let order_note = if order == live {
                format!(
                    "{name}: the rules {} overlap with different actions; libseccomp applies them in the profile's order, so do the filters",
                    origins(pieces)
                )
            } else {
                format!(
                    "{name}: libseccomp does not apply the overlapping rules {} in the profile's order; the filters follow the order it enforces",
                    origins(pieces)
                )
            };
            let order = compact(&order, pieces, &t);
            let segments = segments_in_order(order.iter().map(|i| &pieces[*i]));
            let ordered = needs_order(&segments, &t, pieces, &order);
            // Once dead rules are gone the rest may not overlap: then there is no order to keep.
            if ordered {
                notes.push(order_note);
            }
            SyscallPlan { segments, ordered }
        }
        None => {
            notes.push(format!(
                "{name}: libseccomp decides the overlapping rules {} in no order of the rules; the filters below list the arguments of each action (disjoint)",
                origins(pieces)
            ));
            SyscallPlan {
                segments: regions(&t, resolved.default_action),
                ordered: false,
            }
        }
    };
    // The other arches get the same text: say where libseccomp decides otherwise there.
    for &other in &built.arches[1..] {
        match table(name, pieces, &built, other) {
            Ok(ot) => {
                let text_order = text_order(&plan);
                let bits32 = other.is_32bit();
                let differs = ot.cells.cells.iter().zip(&ot.truth).find(|(c, truth)| {
                    let said = text_order
                        .iter()
                        .find(|s| s.conjs.iter().any(|k| holds(k, &c.witness, bits32)))
                        .map_or(resolved.default_action, |s| s.action);
                    said != **truth
                });
                if let Some((c, truth)) = differs {
                    notes.push(format!(
                        "{name}: on {other} libseccomp gives {} to {}, the text follows {arch}",
                        keyword(*truth),
                        call(name, &c.witness)
                    ));
                }
            }
            Err(why) => notes.push(format!("{name}: not checked on {other}: {why}")),
        }
    }
    Ok((plan, notes))
}

/// Where libseccomp gives a call an action that no rule matching it has (or, where none
/// matches, not the default), it mis-built the filter (libseccomp 2.5.4 compares one argument
/// against another's constant in some rule sets). The text does not copy that bug: there it
/// takes the first matching rule's action, as for syscalls whose rules do not overlap. Returns
/// a note naming the first such call.
fn follow_rules_where_misbuilt(
    name: &str,
    pieces: &[Piece],
    t: &mut Table,
    default_action: Action,
) -> Option<String> {
    let mut first = None;
    for (c, cell) in t.cells.cells.iter().enumerate() {
        let matching: Vec<Action> = (0..pieces.len())
            .filter(|p| t.matches[*p][c])
            .map(|p| pieces[p].action)
            .collect();
        let got = t.truth[c];
        let ok = if matching.is_empty() {
            got == default_action
        } else {
            matching.contains(&got)
        };
        if !ok {
            let said = matching.first().copied().unwrap_or(default_action);
            first.get_or_insert((cell.witness, got, said));
            t.truth[c] = said;
        }
    }
    first.map(|(w, got, said)| {
        format!(
            "{name}: libseccomp {} builds a filter that gives {} to {} where the rules say {} (a libseccomp bug, `rpod seccomp compile` reports it too); the text follows the rules",
            syscalls::LIBSECCOMP_VERSION,
            keyword(got),
            call(name, &w),
            keyword(said)
        )
    })
}

/// ` (args[0] == 0)` for a conditional piece, empty for an unconditional one.
fn conj_suffix(conj: &[Literal]) -> String {
    if conj.is_empty() {
        String::new()
    } else {
        format!(" ({})", solve::describe(conj))
    }
}

/// `read(0x10, 0x0, 0x9)`, trailing zero arguments left out.
fn call(name: &str, w: &[u64; ARGS]) -> String {
    let last = w.iter().rposition(|v| *v != 0).map_or(0, |i| i + 1);
    let args: Vec<String> = w[..last].iter().map(|v| format!("{v:#x}")).collect();
    format!("{name}({})", args.join(", "))
}

/// An order of a syscall's pieces (indices), and the pieces left out.
struct Order {
    order: Vec<usize>,
    /// Pieces that never decide a call, each with the pieces that decide its calls instead.
    dead: Vec<(usize, Vec<usize>)>,
}

/// Places pieces one at a time: the first (in profile order) whose every still-undecided cell
/// gets the piece's action from libseccomp. Placing such a piece never blocks another, so this
/// finds an order whenever one exists. A piece whose cells are all decided already never
/// applies. `None`: no order of the pieces gives libseccomp's actions.
fn greedy_order(pieces: &[Piece], t: &Table, default_action: Action) -> Option<Order> {
    let n = t.cells.cells.len();
    let mut decided_by: Vec<Option<usize>> = vec![None; n];
    let mut left: Vec<usize> = (0..pieces.len()).collect();
    let mut order = Vec::new();
    let mut dead = Vec::new();
    while !left.is_empty() {
        let pick = left.iter().position(|&p| {
            (0..n).all(|c| {
                !t.matches[p][c] || decided_by[c].is_some() || t.truth[c] == pieces[p].action
            })
        })?;
        let p = left.remove(pick);
        let open: Vec<usize> = (0..n)
            .filter(|&c| t.matches[p][c] && decided_by[c].is_none())
            .collect();
        if open.is_empty() {
            let mut by: Vec<usize> = (0..n)
                .filter(|&c| t.matches[p][c])
                .filter_map(|c| decided_by[c])
                .collect();
            by.sort_unstable();
            by.dedup();
            dead.push((p, by));
            continue;
        }
        for c in open {
            decided_by[c] = Some(p);
        }
        order.push(p);
    }
    // What no piece decides gets the default action from the text; libseccomp must agree.
    let default_ok = (0..n).all(|c| decided_by[c].is_some() || t.truth[c] == default_action);
    default_ok.then_some(Order { order, dead })
}

fn shares_cell(t: &Table, a: usize, b: usize) -> bool {
    t.matches[a]
        .iter()
        .zip(&t.matches[b])
        .any(|(x, y)| *x && *y)
}

/// Moves each piece up next to the last earlier piece of its action when it shares no cell with
/// the pieces in between (so no first match changes): fewer, longer `||` filters.
fn compact(order: &[usize], pieces: &[Piece], t: &Table) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for &p in order {
        let mut at = out.len();
        for k in (0..out.len()).rev() {
            if pieces[out[k]].action == pieces[p].action {
                at = k + 1;
                break;
            }
            if shares_cell(t, out[k], p) {
                break;
            }
        }
        out.insert(at, p);
    }
    out
}

/// Whether segments with different actions share a cell: then their order is part of the
/// meaning.
fn needs_order(segments: &[Segment], t: &Table, pieces: &[Piece], order: &[usize]) -> bool {
    // Segment k holds the consecutive run of `order` with its action.
    let mut seg_of = Vec::with_capacity(order.len());
    let mut k = 0usize;
    for (i, p) in order.iter().enumerate() {
        if i > 0 && pieces[order[i - 1]].action != pieces[*p].action {
            k += 1;
        }
        seg_of.push(k);
    }
    debug_assert_eq!(k + 1, segments.len().max(1));
    order.iter().enumerate().any(|(i, a)| {
        order[..i].iter().enumerate().any(|(j, b)| {
            seg_of[i] != seg_of[j]
                && pieces[*a].action != pieces[*b].action
                && shares_cell(t, *a, *b)
        })
    })
}

/// The argument regions of every non-default action libseccomp gives (each a short OR of
/// conjunctions, [`solve::cover`]); regions of different actions are disjoint.
fn regions(t: &Table, default_action: Action) -> Vec<Segment> {
    let mut actions: Vec<Action> = t
        .truth
        .iter()
        .copied()
        .filter(|a| *a != default_action)
        .collect();
    actions.sort_by_key(|a| a.decompile_order());
    actions.dedup();
    actions
        .into_iter()
        .map(|action| {
            let on: Vec<bool> = t.truth.iter().map(|a| *a == action).collect();
            let conjs = solve::cover(&t.cells, &on)
                .into_iter()
                .map(|(lits, _)| solve::simplify(&lits))
                .collect();
            Segment { action, conjs }
        })
        .collect()
}

/// The segments in the order the text will show them: as given when ordered, else by block.
fn text_order(p: &SyscallPlan) -> Vec<Segment> {
    let mut s = p.segments.clone();
    if !p.ordered {
        s.sort_by_key(|x| x.action.decompile_order());
    }
    s
}

/// Where each syscall's segments go. Every action used gets one block, in [`rank`] order; an
/// ordered syscall's segment goes to the first block of its action after its previous segment's
/// block, and an extra block is added at the end when there is none.
fn layout(per_syscall: &BTreeMap<String, SyscallPlan>) -> Vec<Block> {
    let mut actions: Vec<Action> = per_syscall
        .values()
        .flat_map(|p| p.segments.iter().map(|s| s.action))
        .collect();
    actions.sort_by_key(|a| a.decompile_order());
    actions.dedup();
    let mut blocks: Vec<Block> = actions
        .into_iter()
        .map(|action| Block {
            action,
            filters: Vec::new(),
            extra_for: Vec::new(),
        })
        .collect();
    // Unordered syscalls first, so extra blocks only ever hold what needs them.
    for (name, p) in per_syscall.iter().filter(|(_, p)| !p.ordered) {
        for s in &p.segments {
            if let Some(b) = blocks.iter_mut().find(|b| b.action == s.action) {
                b.filters.push((name.clone(), s.conjs.clone()));
            }
        }
    }
    for (name, p) in per_syscall.iter().filter(|(_, p)| p.ordered) {
        let mut from = 0usize;
        for s in &p.segments {
            let at = match (from..blocks.len()).find(|i| blocks[*i].action == s.action) {
                Some(i) => i,
                None => {
                    blocks.push(Block {
                        action: s.action,
                        filters: Vec::new(),
                        extra_for: Vec::new(),
                    });
                    blocks.len() - 1
                }
            };
            let first_of_action = blocks.iter().position(|b| b.action == s.action) == Some(at);
            let b = &mut blocks[at];
            b.filters.push((name.clone(), s.conjs.clone()));
            if !first_of_action {
                b.extra_for.push(name.clone());
            }
            from = at + 1;
        }
    }
    blocks.retain(|b| !b.filters.is_empty());
    for b in &mut blocks {
        b.filters.sort_by(|a, b| a.0.cmp(&b.0));
        b.extra_for.sort();
        b.extra_for.dedup();
    }
    blocks
}

/// The action as the policy language writes it.
fn keyword(a: Action) -> String {
    match a {
        Action::Allow => "ALLOW".to_string(),
        Action::Log => "LOG".to_string(),
        Action::Errno(e) => format!("ERRNO({e})"),
        Action::Trap(d) => format!("TRAP({d})"),
        Action::Trace(d) => format!("TRACE({d})"),
        Action::UserNotif => "USER_NOTIF".to_string(),
        Action::KillThread => "KILL".to_string(),
        Action::KillProcess => "KILL_PROCESS".to_string(),
    }
}

/// ` // EPERM` after an ERRNO action, empty otherwise.
fn errno_comment(a: Action) -> String {
    match a {
        Action::Errno(e) => errno::name(u32::from(e)).map_or(String::new(), |n| format!(" // {n}")),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Text

fn num(v: u64) -> String {
    if v < DECIMAL_BELOW {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// The `#define`s a policy's text uses: name to value. A name is defined once; a value that
/// would need a name already defined with another value is written as a number.
type Defines = BTreeMap<&'static str, u64>;

/// `v`, an argument of `syscall` compared in `conj`, by the names a program's source uses for
/// it (`AF_NETLINK`, `(CLONE_VM|CLONE_FS|SIGCHLD)`), each added to `defines`; `None` when the
/// argument has no well-known constants for `v` ([`profiles::analysis::text::constant_names`]).
fn named(
    syscall: &str,
    cond: &ArgCondition,
    v: u64,
    conj: &[Literal],
    host: Option<Arch>,
    defines: &mut Defines,
) -> Option<String> {
    let host = host?;
    let others: Vec<ArgCondition> = conj.iter().filter_map(Literal::as_condition).collect();
    let parts = constant_names(syscall, cond.index, host, &others, v)?;
    if parts
        .iter()
        .any(|(n, x)| defines.get(n).is_some_and(|d| d != x))
    {
        return None;
    }
    defines.extend(parts.iter().copied());
    let names: Vec<&str> = parts.iter().map(|(n, _)| *n).collect();
    Some(match names.as_slice() {
        [one] => (*one).to_string(),
        many => format!("({})", many.join("|")),
    })
}

/// One comparison, with the constants of its argument by name where they have one (#defined
/// in `defines`), numbers otherwise.
fn literal(
    syscall: &str,
    l: &Literal,
    conj: &[Literal],
    params: &[String],
    host: Option<Arch>,
    defines: &mut Defines,
) -> String {
    let name = &params[usize::from(l.cond.index)];
    let c = l.cond;
    let mut spell =
        |v: u64, fallback: String| named(syscall, &c, v, conj, host, defines).unwrap_or(fallback);
    match l.as_condition() {
        Some(c) if c.op == Op::MaskedEq => {
            let mask = spell(c.value, format!("{:#x}", c.value));
            // `== 0x0` says "none of these bits" better than any name for 0.
            let value = if c.value_two == 0 {
                "0x0".to_string()
            } else {
                spell(c.value_two, format!("{:#x}", c.value_two))
            };
            format!("({name} & {mask}) == {value}")
        }
        // A name after < or >= would read as a claim about that value; explain does the same.
        Some(c) if matches!(c.op, Op::Eq | Op::Ne) => {
            format!("{name} {} {}", c.op.symbol(), spell(c.value, num(c.value)))
        }
        Some(c) => format!("{name} {} {}", c.op.symbol(), num(c.value)),
        None => {
            let mask = spell(c.value, format!("{:#x}", c.value));
            // `== 0x0` says "none of these bits" better than any name for 0.
            let value = if c.value_two == 0 {
                "0x0".to_string()
            } else {
                spell(c.value_two, format!("{:#x}", c.value_two))
            };
            format!("({name} & {mask}) != {value}")
        }
    }
}

/// `read`, or `write(fd, buf, count) { fd == 1 || fd == 2 }`, wrapped one disjunct per line
/// when long, with ` ON { x86 }` after the arguments when `guard` is given. `indent` is the
/// filter's own indentation.
fn filter_text(
    name: &str,
    conjs: &[Conj],
    arches: &[Arch],
    guard: Option<&Vec<Arch>>,
    indent: &str,
    defines: &mut Defines,
) -> String {
    let on = match guard.map(Vec::as_slice) {
        None => String::new(),
        Some([one]) => format!(" ON {one}"),
        Some(many) => format!(" ON {{ {} }}", list_arches(many)),
    };
    if conjs.iter().any(Vec::is_empty) {
        return format!("{indent}{name}{on}");
    }
    let last = conjs
        .iter()
        .flatten()
        .map(|l| usize::from(l.cond.index))
        .max()
        .unwrap_or(0);
    let params = param_names(arches, name, last);
    let disjuncts: Vec<String> = conjs
        .iter()
        .map(|c| {
            let terms: Vec<String> = c
                .iter()
                .map(|l| literal(name, l, c, &params, arches.first().copied(), defines))
                .collect();
            if terms.len() > 1 && conjs.len() > 1 {
                format!("({})", terms.join(" && "))
            } else {
                terms.join(" && ")
            }
        })
        .collect();
    let head = format!("{indent}{name}({}){on}", params.join(", "));
    let one_line = format!("{head} {{ {} }}", disjuncts.join(" || "));
    // `<`, not `<=`: a column stays free for the comma that follows most filters.
    if one_line.len() < WIDTH || disjuncts.len() == 1 {
        return one_line;
    }
    let mut s = format!("{head} {{\n");
    for (i, d) in disjuncts.iter().enumerate() {
        let or = if i + 1 < disjuncts.len() { " ||" } else { "" };
        let _ = writeln!(s, "{indent}  {d}{or}");
    }
    let _ = write!(s, "{indent}}}");
    s
}

/// `text` as `//` comment lines wrapped at [`WIDTH`], continuation lines indented by `hang`.
fn comment(out: &mut String, text: &str, hang: usize) {
    let mut line = String::from("//");
    let mut words = 0usize;
    for word in text.split_whitespace() {
        if words > 0 && line.len() + 1 + word.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = format!("//{}", " ".repeat(hang));
            words = 0;
        }
        line.push(' ');
        line.push_str(word);
        words += 1;
    }
    out.push_str(&line);
    out.push('\n');
}

fn render(plan: &Plan, profile: &Profile, opts: &Options) -> String {
    let mut out = String::new();
    comment(
        &mut out,
        &format!(
            "Decompiled from {} by rpod seccomp decompile.",
            opts.source_name
        ),
        2,
    );
    let dropped = &plan.resolved.dropped;
    let resolution = if dropped.is_empty() {
        "includes/excludes are resolved for it (none left a rule out).".to_string()
    } else {
        format!(
            "includes/excludes are resolved for it, leaving out {}.",
            dropped
                .iter()
                .map(|i| format!("syscalls[{i}]"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let context = ContextSummary::new(opts.context).describe();
    comment(
        &mut out,
        &format!(
            "Resolved for {}; {resolution}",
            context.trim_start_matches("context: ")
        ),
        2,
    );
    if plan.arches.len() > 1 {
        let flags: Vec<String> = plan.arches.iter().map(|a| format!("--arch {a}")).collect();
        comment(
            &mut out,
            &format!(
                "Written for {}; filters for syscalls only some of them have say ON, so the text compiles for each of them. Without --arch it compiles for this machine's arch alone, as `rpod run` does, and a call made on another arch is killed. For all of them: rpod seccomp compile {} THIS_FILE",
                list_arches(&plan.arches),
                flags.join(" ")
            ),
            2,
        );
    }
    comment(
        &mut out,
        "Filters declare the arguments they compare, so each is compared on all 64 bits as in OCI (an argument named by the built-in table is compared on its low word when it is 32-bit). Constants with a well-known name (socket families, clone flags, ioctl requests, prctl options, ...) are written by name and #defined below; other numbers below 4096 are decimal, larger ones and masks hexadecimal.",
        0,
    );
    if !profile.flags.is_empty() {
        let names: Vec<&str> = profile.flags.iter().map(|f| f.name()).collect();
        comment(
            &mut out,
            &format!(
                "Dropped, the policy language cannot say it: flags {} (give them to the runtime).",
                names.join(", ")
            ),
            2,
        );
    }
    for (field, value) in [
        ("listenerPath", &profile.listener_path),
        ("listenerMetadata", &profile.listener_metadata),
    ] {
        if let Some(v) = value {
            comment(
                &mut out,
                &format!("Dropped, the policy language cannot say it: {field} {v:?} (USER_NOTIF needs a listener set up by the runtime)."),
                2,
            );
        }
    }
    let arches = list_arches(&plan.arches);
    if !plan.missing.is_empty() {
        comment(
            &mut out,
            &format!("not on {arches}: {}", plan.missing.join(", ")),
            2,
        );
    }
    for (mux, on, names) in &plan.multiplexed {
        comment(
            &mut out,
            &format!(
                "not on {arches} as syscalls of their own: {}; libseccomp adds them to {mux}'s call numbers on {}, this text leaves them out",
                names.join(", "),
                list_arches(on)
            ),
            2,
        );
    }
    if !plan.notes.is_empty() {
        out.push_str(
            "//\n// What libseccomp and runc do to this profile, and how the text follows:\n",
        );
        for n in &plan.notes {
            comment(&mut out, &format!("- {n}"), 2);
        }
    }
    let mut defines = Defines::new();
    let mut body = String::new();
    for b in &plan.blocks {
        body.push('\n');
        if !b.extra_for.is_empty() {
            comment(
                &mut body,
                &format!(
                    "Another {} block, after the others: the filters above for {} must match first (their rules overlap with different actions; see the notes).",
                    keyword(b.action),
                    b.extra_for.join(", ")
                ),
                2,
            );
        }
        let _ = writeln!(body, "{} {{{}", keyword(b.action), errno_comment(b.action));
        let lines: Vec<String> = b
            .filters
            .iter()
            .map(|(name, conjs)| {
                let guard = plan.guards.get(name);
                filter_text(
                    name,
                    conjs,
                    guard.unwrap_or(&plan.arches),
                    guard,
                    "  ",
                    &mut defines,
                )
            })
            .collect();
        let _ = writeln!(body, "{}", lines.join(",\n"));
        body.push_str("}\n");
    }
    if !defines.is_empty() {
        out.push('\n');
        for (name, value) in &defines {
            let _ = writeln!(out, "#define {name} {}", num(*value));
        }
    }
    let _ = writeln!(
        out,
        "\nDEFAULT {}{}",
        keyword(plan.default_action),
        errno_comment(plan.default_action)
    );
    out.push_str(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use profiles::load;

    fn fixture(file: &str) -> Profile {
        let path = format!(
            "{}/../profiles/tests/fixtures/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        load::from_str(&text).expect("fixture loads").profile
    }

    fn x86_64_context() -> Context {
        Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        }
    }

    fn decompile_for(p: &Profile, name: &str, arches: &[Arch]) -> String {
        let cx = x86_64_context();
        decompile(
            p,
            &Options {
                source_name: name,
                context: &cx,
                arches,
            },
        )
    }

    fn plan_for(p: &Profile, arches: &[Arch]) -> Plan {
        let cx = x86_64_context();
        plan(
            p,
            &Options {
                source_name: "test.json",
                context: &cx,
                arches,
            },
        )
    }

    fn has_note(pl: &Plan, start: &str) -> bool {
        pl.notes.iter().any(|n| n.starts_with(start))
    }

    /// Every op, every action, a split rule, a rule equal to the default, an unknown name,
    /// flags and a listener, and overlaps libseccomp decides against the profile's order.
    const EVERY: &str = r#"{
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/rpod/notify.sock",
      "syscalls": [
        {"names": ["read", "write", "syscall"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["openat"], "action": "SCMP_ACT_ALLOW", "args": [
          {"index": 2, "value": 3, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 0},
          {"index": 3, "value": 4096, "op": "SCMP_CMP_LT"}]},
        {"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [
          {"index": 2, "value": 3, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 1}]},
        {"names": ["lseek"], "action": "SCMP_ACT_LOG", "args": [{"index": 2, "value": 2, "op": "SCMP_CMP_LE"}]},
        {"names": ["flock"], "action": "SCMP_ACT_LOG", "args": [
          {"index": 1, "value": 3, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 5},
          {"index": 0, "value": 100000, "op": "SCMP_CMP_GT"}]},
        {"names": ["kill"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
        {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_NE"}]},
        {"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
        {"names": ["mount"], "action": "SCMP_ACT_NOTIFY"},
        {"names": ["fork"], "action": "SCMP_ACT_KILL"},
        {"names": ["vfork"], "action": "SCMP_ACT_KILL_THREAD"},
        {"names": ["reboot"], "action": "SCMP_ACT_KILL_PROCESS"},
        {"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "args": [
          {"index": 2, "value": 4, "op": "SCMP_CMP_GE"}, {"index": 2, "value": 7, "op": "SCMP_CMP_GT"}]},
        {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_LE"}]},
        {"names": ["close"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["dup"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["dup2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 9, "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_LT"}]},
        {"names": ["dup2"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["dup3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["dup3"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_NE"}]},
        {"names": ["fcntl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_LT"}]},
        {"names": ["fcntl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}
      ]}"#;

    fn every() -> Profile {
        load::from_str(EVERY)
            .expect("the hand-made profile loads")
            .profile
    }

    #[test]
    fn podman_default_for_x86_64() {
        let p = fixture("podman-default.json");
        let arches = p.arches_for(Arch::X86_64);
        insta::assert_snapshot!(decompile_for(&p, "podman-default.json", &arches));
    }

    #[test]
    fn every_op_and_action() {
        insta::assert_snapshot!(decompile_for(&every(), "every.json", &[Arch::X86_64]));
    }

    /// The blocks of a decompiled text: (action line, syscall names in order).
    fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        let mut depth = 0usize;
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("").trim_end();
            if code.trim().is_empty() || code.starts_with("DEFAULT") || code.starts_with("#define")
            {
                continue;
            }
            if depth == 0 {
                let head = code.trim_end_matches('{').trim().to_string();
                out.push((head, Vec::new()));
                depth = 1;
                continue;
            }
            if depth == 1 && code == "}" {
                depth = 0;
                continue;
            }
            if depth == 1 {
                let name: String = code
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.last_mut().expect("a block is open").1.push(name);
            }
            depth += code.matches('{').count();
            depth -= code.matches('}').count();
        }
        out
    }

    fn pairs(text: &str) -> BTreeSet<(String, String)> {
        blocks(text)
            .into_iter()
            .flat_map(|(a, names)| names.into_iter().map(move |n| (n, a.clone())))
            .collect()
    }

    /// (syscall, action) for every rule libseccomp receives, on names some arch has.
    fn expected_pairs(p: &Profile, arches: &[Arch]) -> BTreeSet<(String, String)> {
        let r = p.resolve(&x86_64_context());
        r.rules
            .iter()
            .filter(|rule| rule.action != r.default_action)
            .flat_map(|rule| {
                rule.names
                    .iter()
                    .filter(|n| !written(arches, n).on.is_empty())
                    .map(|n| (n.clone(), keyword(rule.action)))
            })
            .collect()
    }

    #[test]
    fn every_rule_appears_with_its_action_and_nothing_else() {
        // podman's setns ERRNO(1) rule is the one libseccomp never applies (its ALLOW comes
        // first and is unconditional).
        for (file, never) in [
            ("podman-default.json", vec![("setns", "ERRNO(1)")]),
            ("moby-default.json", vec![]),
        ] {
            let p = fixture(file);
            let arches = p.arches_for(Arch::X86_64);
            let text = decompile_for(&p, file, &arches);
            let mut want = expected_pairs(&p, &arches);
            for (n, a) in never {
                assert!(
                    want.remove(&(n.to_string(), a.to_string())),
                    "{file}: {n} {a}"
                );
                let pl = plan_for(&p, &arches);
                assert!(
                    has_note(&pl, &format!("{n}: the {a} rule")),
                    "{file}: {:?}",
                    pl.notes
                );
            }
            assert_eq!(pairs(&text), want, "{file}");
        }
    }

    #[test]
    fn names_are_sorted_in_every_block_and_blocks_follow_the_action_order() {
        for file in ["podman-default.json", "moby-default.json"] {
            let p = fixture(file);
            let text = decompile_for(&p, file, &p.arches_for(Arch::X86_64));
            let bs = blocks(&text);
            assert!(!bs.is_empty());
            for (action, names) in &bs {
                assert!(
                    names.windows(2).all(|w| w[0] < w[1]),
                    "{file} {action}: {names:?}"
                );
            }
            let heads: Vec<&str> = bs.iter().map(|(a, _)| a.as_str()).collect();
            assert_eq!(heads[0], "ALLOW", "{file}");
        }
        let text = decompile_for(&every(), "every.json", &[Arch::X86_64]);
        let heads: Vec<String> = blocks(&text).into_iter().map(|(a, _)| a).collect();
        assert_eq!(
            heads,
            [
                "ALLOW",
                "LOG",
                "ERRNO(1)",
                "ERRNO(9)",
                "ERRNO(13)",
                "TRAP(0)",
                "TRACE(7)",
                "USER_NOTIF",
                "KILL",
                "KILL_PROCESS",
                "ALLOW"
            ]
        );
    }

    #[test]
    fn output_is_deterministic() {
        let p = fixture("podman-default.json");
        let arches = p.arches_for(Arch::X86_64);
        let a = decompile_for(&p, "podman-default.json", &arches);
        let b = decompile_for(&p, "podman-default.json", &arches);
        assert_eq!(a, b);
    }

    #[test]
    fn names_on_no_arch_are_left_out_with_a_comment() {
        let p = fixture("podman-default.json");
        let text = decompile_for(&p, "podman-default.json", &[Arch::X86_64]);
        // _llseek is x86's and `syscall` MIPS o32's; neither is on x86_64.
        let pl = plan_for(&p, &[Arch::X86_64]);
        for n in ["_llseek", "syscall", "recv"] {
            assert!(pl.missing.iter().any(|m| m == n), "{n}: {:?}", pl.missing);
        }
        assert!(text.contains("\n// not on x86_64: _llseek, "), "{text}");
        assert!(!pairs(&text).iter().any(|(n, _)| n == "_llseek"));
        // With x86 in the filter, _llseek stays.
        let arches = p.arches_for(Arch::X86_64);
        let text = decompile_for(&p, "podman-default.json", &arches);
        assert!(pairs(&text).contains(&("_llseek".to_string(), "ALLOW".to_string())));
        // recv has no number of its own on x86 either: libseccomp files it under socketcall.
        let pl = plan_for(&p, &arches);
        assert!(!pl.missing.iter().any(|m| m == "recv"));
        assert_eq!(
            pl.multiplexed,
            [(
                "socketcall",
                vec![Arch::X86],
                vec!["recv".to_string(), "send".to_string()]
            )]
        );
    }

    #[test]
    fn names_the_compiler_reads_as_another_syscall_get_an_arch_guard() {
        // libseccomp has umount on x86 only; to the policy compiler x86_64's `umount` is the
        // kernel's name for umount2, which the profile did not mean.
        let w = written(&[Arch::X86_64, Arch::X86, Arch::X32], "umount");
        assert_eq!(w.on, [Arch::X86]);
        assert_eq!(
            w.elsewhere,
            [(Arch::X86_64, "umount2"), (Arch::X32, "umount2")]
        );
        let p = fixture("podman-default.json");
        let text = decompile_for(&p, "podman-default.json", &p.arches_for(Arch::X86_64));
        assert!(text.contains("\n  umount ON x86,\n"), "{text}");
        assert!(text.contains("\n  umount2,\n"), "{text}");
    }

    /// First match over the plan's blocks, the way the text reads.
    fn first_match(plan: &Plan, name: &str, w: &[u64; ARGS]) -> Action {
        plan.blocks
            .iter()
            .find(|b| {
                b.filters
                    .iter()
                    .any(|(n, conjs)| n == name && conjs.iter().any(|c| holds(c, w, false)))
            })
            .map_or(plan.default_action, |b| b.action)
    }

    #[test]
    fn the_plan_decides_like_the_filter_libseccomp_builds() {
        // Without the policy compiler (written in parallel) the text cannot be compiled here;
        // the plan it prints from is checked against libseccomp on every combination of every
        // syscall's comparisons instead.
        for (name, p) in [
            ("every.json", every()),
            ("podman-default.json", fixture("podman-default.json")),
            ("moby-default.json", fixture("moby-default.json")),
        ] {
            let cx = x86_64_context();
            let opts = Options {
                source_name: name,
                context: &cx,
                arches: &[Arch::X86_64],
            };
            let pl = plan(&p, &opts);
            let r = p.resolve(&cx);
            let built = compile::compile(&r, Some(&[Arch::X86_64])).expect("libseccomp builds it");
            let mut names: BTreeSet<&str> = BTreeSet::new();
            for rule in &r.rules {
                names.extend(rule.names.iter().map(String::as_str));
            }
            for n in names {
                let Some(nr) = syscalls::number(Arch::X86_64, n) else {
                    continue;
                };
                let atoms: Vec<ArgCondition> = r
                    .rules
                    .iter()
                    .filter(|x| x.names.iter().any(|y| y == n))
                    .flat_map(|x| x.args.iter().copied())
                    .collect();
                let cells = solve::cells(&atoms, u64::MAX);
                assert!(cells.complete, "{name} {n}");
                let misbuilt = built.notes.iter().any(|note| {
                    note.kind == compile::NoteKind::LibseccompMisbuild
                        && note.syscall.as_deref() == Some(n)
                });
                for c in &cells.cells {
                    let want = bpf::simulate(&built.program, Arch::X86_64, nr, c.witness).action;
                    let got = first_match(&pl, n, &c.witness);
                    if misbuilt {
                        // The text says what the rules say, not what libseccomp mis-builds.
                        continue;
                    }
                    assert_eq!(got, want, "{name}: {}", call(n, &c.witness));
                }
            }
        }
    }

    /// A deterministic xorshift generator: the differential test below must not be flaky, and
    /// a libseccomp build that hangs costs seconds.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    #[test]
    fn random_overlapping_rules_decide_like_libseccomp() {
        // Small constants on two arguments make rules overlap often; every op and four actions
        // (one equal to the default). Each plan is checked against the filter libseccomp builds
        // from the same rules, on every cell of every constant on both arguments, except where
        // libseccomp mis-builds (the text follows the rules there, on purpose).
        const OPS: [&str; 7] = ["EQ", "NE", "LT", "GT", "LE", "GE", "MASKED_EQ"];
        const ACTIONS: [&str; 4] = [
            r#""SCMP_ACT_ALLOW""#,
            r#""SCMP_ACT_ERRNO", "errnoRet": 1"#,
            r#""SCMP_ACT_KILL_PROCESS""#,
            r#""SCMP_ACT_ERRNO", "errnoRet": 38"#,
        ];
        let mut rng = Rng(987_654_321);
        let cx = x86_64_context();
        let opts = Options {
            source_name: "random.json",
            context: &cx,
            arches: &[Arch::X86_64],
        };
        let nr = syscalls::number(Arch::X86_64, "read").expect("read is on x86_64");
        let mut checked = 0;
        for _ in 0..1000 {
            let rules: Vec<String> = (0..2 + rng.below(3))
                .map(|_| {
                    let args: Vec<String> = (0..rng.below(3))
                        .map(|_| {
                            let (i, op) = (rng.below(2), OPS[usize::try_from(rng.below(7)).expect("small")]);
                            let (v, v2) = (rng.below(4), rng.below(4));
                            format!(r#"{{"index": {i}, "value": {v}, "valueTwo": {v2}, "op": "SCMP_CMP_{op}"}}"#)
                        })
                        .collect();
                    let action = ACTIONS[usize::try_from(rng.below(4)).expect("small")];
                    format!(r#"{{"names": ["read"], "action": {action}, "args": [{}]}}"#, args.join(", "))
                })
                .collect();
            let json = format!(
                r#"{{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{}]}}"#,
                rules.join(", ")
            );
            let p = load::from_str(&json)
                .expect("generated profile loads")
                .profile;
            let r = p.resolve(&cx);
            let Ok(prog) = build::bounded(&r, None, compile::Options::default()).map(|c| c.program)
            else {
                // libseccomp refuses the rules (or hangs): runc cannot load the profile.
                continue;
            };
            let pl = plan(&p, &opts);
            let atoms: Vec<ArgCondition> = r
                .rules
                .iter()
                .flat_map(|x| x.args.iter().map(|c| solve::enforced(c, false)))
                .collect();
            let cells = solve::cells(&solve::spread(&atoms), u64::MAX);
            assert!(cells.complete, "{json}");
            let pieces: Vec<(Action, Conj)> = r
                .rules
                .iter()
                .filter(|x| x.action != r.default_action)
                .flat_map(|x| rule_pieces(x).0.into_iter().map(|c| (x.action, c)))
                .collect();
            let enforced: Vec<Action> = cells
                .cells
                .iter()
                .map(|c| bpf::simulate(&prog, Arch::X86_64, nr, c.witness).action)
                .collect();
            // A misbuild where the rules agree (`compile` reports those) or where they overlap
            // (the plan notes it).
            let misbuilt = cells.cells.iter().zip(&enforced).any(|(c, got)| {
                let mut said: Vec<Action> = pieces
                    .iter()
                    .filter(|(_, k)| holds(k, &c.witness, false))
                    .map(|(a, _)| *a)
                    .collect();
                said.sort_by_key(|a| a.decompile_order());
                said.dedup();
                match said.as_slice() {
                    [] => *got != r.default_action,
                    [one] => got != one,
                    _ => false,
                }
            }) || pl.notes.iter().any(|n| n.contains("libseccomp bug"));
            if misbuilt {
                continue;
            }
            for (c, want) in cells.cells.iter().zip(&enforced) {
                let got = first_match(&pl, "read", &c.witness);
                assert_eq!(
                    got,
                    *want,
                    "{json}\n{}\n{}",
                    call("read", &c.witness),
                    render(&pl, &p, &opts)
                );
            }
            checked += 1;
        }
        assert!(checked > 900, "only {checked} profiles checked");
    }

    #[test]
    fn overlaps_follow_libseccomp_not_the_profile_order() {
        let text = decompile_for(&every(), "every.json", &[Arch::X86_64]);
        let pl = plan_for(&every(), &[Arch::X86_64]);
        // dup: an unconditional ALLOW added after ERRNO(1) if fd == 0 replaces it.
        assert!(
            has_note(
                &pl,
                "dup: the ERRNO(1) rule syscalls[15] (args[0] == 0x0) never applies"
            ),
            "{:?}",
            pl.notes
        );
        // dup2: libseccomp lets `fd == 0` win over the earlier `fd < 5`: ALLOW must come first.
        let bs = blocks(&text);
        let allow = bs
            .iter()
            .position(|(a, n)| a == "ALLOW" && n.contains(&"dup2".to_string()));
        let errno = bs
            .iter()
            .position(|(a, n)| a == "ERRNO(9)" && n.contains(&"dup2".to_string()));
        assert!(allow < errno, "{bs:?}");
        // dup3: ERRNO(1) if a0 == 0, then ALLOW if a1 == 0: libseccomp gives (0, 0) to ALLOW,
        // so the ALLOW filter comes first although it is later in the profile.
        let allow = bs
            .iter()
            .position(|(a, n)| a == "ALLOW" && n.contains(&"dup3".to_string()));
        let errno = bs
            .iter()
            .position(|(a, n)| a == "ERRNO(1)" && n.contains(&"dup3".to_string()));
        assert!(allow < errno, "{bs:?}");
        // fcntl: `fd == 0` wins over the earlier ALLOW if `fd < 5`, so ERRNO(1) must come
        // first: a second ALLOW block at the end.
        let last = bs.last().expect("blocks");
        assert_eq!(
            (last.0.as_str(), last.1.as_slice()),
            ("ALLOW", &["fcntl".to_string()][..])
        );
        // close: ERRNO(38) equals the default, runc drops it, so close is simply allowed.
        assert!(text.contains("  close,\n"), "{text}");
    }
}
