//! From syntax to meaning: resolves `#define`s, policies and `USE`, syscall and argument names
//! per architecture, and action values, into an [`ir::Program`](crate::ir::Program).
//!
//! Kafel's rules, and where rpod differs on purpose:
//! - constants and policies may be used before they are defined (Kafel needs them first);
//! - an identifier in an expression is a constant if one is defined with that name, else an
//!   argument (Kafel's order; rpod warns when a constant hides an argument);
//! - every defined policy is checked, even when nothing uses it;
//! - a syscall unknown on one of the target arches is left out there; unknown on all of them it
//!   is an error.

use std::collections::{BTreeMap, HashMap, HashSet};

use profiles::bpf::Action;
use profiles::Arch;

use crate::ast::{self, ActionKind, Expr, Item, Operand, Statement, SyscallRef, Value};
use crate::diag::Diagnostic;
use crate::ir::{Cond, Program, Rule, Syscall, Val};
use crate::source::Span;
use crate::syscalls;

/// Kafel's limit on nested `USE`; deeper nesting is surely a mistake.
const MAX_USE_DEPTH: usize = 64;
/// The kernel caps an errno at MAX_ERRNO (include/linux/err.h); a larger ERRNO(n) would not
/// return what the policy says.
const MAX_ERRNO: u64 = 4095;

/// The resolved policy and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub program: Program,
    pub warnings: Vec<Diagnostic>,
}

/// Resolves `items` (the main file with includes expanded) for `arches` (first = host).
///
/// # Errors
/// Every error found, in source order, with warnings mixed in.
pub fn analyze(items: &[Item], arches: &[Arch]) -> Result<Analysis, Vec<Diagnostic>> {
    let mut cx = Cx::default();
    cx.collect(items);
    let default = match cx.default {
        Some(a) => {
            let span = a.span;
            (cx.action(a), Some(span))
        }
        // Kafel: no DEFAULT means KILL.
        None => (Some(Action::KillThread), None),
    };
    let mut program = Program {
        arches: arches.to_vec(),
        default: default.0.unwrap_or(Action::KillThread),
        default_span: default.1,
        syscalls: BTreeMap::new(),
    };

    // The main policy, in order, with USE expanded.
    let mut entries = Vec::new();
    let mut stack = Vec::new();
    let main = cx.main.clone();
    for (s, pos) in &main {
        cx.expand(s, *pos, &mut stack, &mut entries);
    }
    let mut reached: HashSet<*const ast::ActionBlock> = HashSet::new();
    for (block, pos) in &entries {
        reached.insert(std::ptr::from_ref(*block));
        let Some(action) = cx.action(&block.action) else {
            continue;
        };
        cx.pos = *pos;
        for f in &block.filters {
            cx.filter(f, action, arches, Some(&mut program));
        }
    }
    // Every policy is checked, used or not: its USEs and its filters.
    let policies: Vec<_> = cx.policy_order.clone();
    for name in policies {
        let (body, _, pos) = cx.policies[&name];
        let mut unused = Vec::new();
        for s in body {
            cx.expand(s, pos, &mut vec![name.clone()], &mut unused);
        }
        for s in body {
            if let Statement::Block(b) = s {
                if reached.contains(&std::ptr::from_ref(b)) {
                    continue;
                }
                if let Some(action) = cx.action(&b.action) {
                    cx.pos = pos;
                    for f in &b.filters {
                        cx.filter(f, action, arches, None);
                    }
                }
            }
        }
    }
    if cx.main.is_empty() && cx.default.is_none() && !cx.had_policy {
        cx.warnings.push(Diagnostic::warning(
            Span::default(),
            "the policy is empty: every syscall is killed",
        ));
    }

    for (_, at, more) in std::mem::take(&mut cx.off_target) {
        if more > 0 {
            let w = &mut cx.warnings[at];
            *w = w.clone().with_note(format!(
                "note: {more} more filter{} with the same guard {} to none of the target arches",
                if more == 1 { "" } else { "s" },
                if more == 1 { "applies" } else { "apply" }
            ));
        }
    }
    let mut errors = dedup(cx.errors);
    let warnings = dedup(cx.warnings);
    if errors.is_empty() {
        Ok(Analysis { program, warnings })
    } else {
        errors.extend(warnings);
        errors.sort_by_key(|d| (d.span.file, d.span.start));
        Err(errors)
    }
}

fn dedup(mut v: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    v.retain(|d| seen.insert((d.span, d.message.clone())));
    v.sort_by_key(|d| (d.span.file, d.span.start));
    v
}

#[derive(Default)]
struct Cx<'a> {
    /// Name -> value, where, and the index of the item defining it.
    defines: HashMap<String, (u64, Span, usize)>,
    /// Index of the item whose filters are being resolved (see [`Cx::val`]).
    pos: usize,
    policies: HashMap<String, (&'a [Statement], Span, usize)>,
    policy_order: Vec<String>,
    main: Vec<(&'a Statement, usize)>,
    default: Option<&'a ast::Action>,
    had_policy: bool,
    /// USE loops already reported, as sorted member lists.
    loops: HashSet<Vec<String>>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Guards naming no target arch, as sorted arch lists: the index of the warning about the
    /// first such filter, and how many more filters have the same guard.
    off_target: Vec<(Vec<Arch>, usize, usize)>,
    /// Filters already counted in `off_target` (a policy may be used twice).
    off_target_seen: HashSet<Span>,
}

impl<'a> Cx<'a> {
    fn collect(&mut self, items: &'a [Item]) {
        for (pos, item) in items.iter().enumerate() {
            match item {
                Item::Define { name, value, .. } => {
                    if let Some((old, _, _)) = self.defines.get(&name.name) {
                        // Kafel accepts a redefinition with the same value.
                        if *old != value.value {
                            self.errors.push(
                                Diagnostic::error(
                                    name.span,
                                    format!(
                                        "constant '{}' redefined with a different value",
                                        name.name
                                    ),
                                )
                                .with_label(format!("was {old}, now {}", value.value)),
                            );
                        }
                    } else {
                        self.defines
                            .insert(name.name.clone(), (value.value, name.span, pos));
                    }
                }
                Item::Include { .. } => {}
                Item::Policy { name, body, .. } => {
                    self.had_policy = true;
                    if self.policies.contains_key(&name.name) {
                        self.errors.push(
                            Diagnostic::error(
                                name.span,
                                format!("policy '{}' is defined twice", name.name),
                            )
                            .with_label("rename one of them"),
                        );
                    } else {
                        self.policies
                            .insert(name.name.clone(), (body.as_slice(), name.span, pos));
                        self.policy_order.push(name.name.clone());
                    }
                }
                Item::Statement(s) => self.main.push((s, pos)),
                Item::Default { action, span } => {
                    if self.default.is_some() {
                        self.errors.push(
                            Diagnostic::error(*span, "DEFAULT is given twice")
                                .with_label("a policy has one default action"),
                        );
                    } else {
                        self.default = Some(action);
                    }
                }
            }
        }
    }

    /// Appends the action blocks of `s`, expanding `USE`.
    fn expand(
        &mut self,
        s: &'a Statement,
        pos: usize,
        stack: &mut Vec<String>,
        out: &mut Vec<(&'a ast::ActionBlock, usize)>,
    ) {
        match s {
            Statement::Block(b) => out.push((b, pos)),
            Statement::Use { name, span } => {
                let Some(&(body, _, body_pos)) = self.policies.get(&name.name) else {
                    let known: Vec<&str> = self.policies.keys().map(String::as_str).collect();
                    let mut d =
                        Diagnostic::error(name.span, format!("undefined policy '{}'", name.name));
                    if let Some(s) = profiles::suggest::nearest(&name.name, known) {
                        d = d.with_label(format!("did you mean '{s}'?"));
                    }
                    self.errors.push(d);
                    return;
                };
                if let Some(start) = stack.iter().position(|n| *n == name.name) {
                    let mut chain = stack[start..].to_vec();
                    chain.push(name.name.clone());
                    // One error per loop, wherever the check entered it.
                    let mut key = stack[start..].to_vec();
                    key.sort();
                    if !self.loops.insert(key) {
                        return;
                    }
                    self.errors.push(
                        Diagnostic::error(*span, format!("policy '{}' uses itself", name.name))
                            .with_label(format!("USE loop: {}", chain.join(" -> "))),
                    );
                    return;
                }
                if stack.len() >= MAX_USE_DEPTH {
                    self.errors.push(
                        Diagnostic::error(
                            *span,
                            format!("USE nested more than {MAX_USE_DEPTH} policies deep"),
                        )
                        .with_label(format!("reached through {}", stack.join(" -> "))),
                    );
                    return;
                }
                stack.push(name.name.clone());
                for s in body {
                    self.expand(s, body_pos, stack, out);
                }
                stack.pop();
            }
        }
    }

    fn constant(&mut self, v: &Value, what: &str) -> Option<u64> {
        match v {
            Value::Number(n) => Some(n.value),
            Value::Ident(i) => {
                if let Some((c, _, _)) = self.defines.get(&i.name) {
                    Some(*c)
                } else {
                    let mut d =
                        Diagnostic::error(i.span, format!("undefined constant '{}'", i.name));
                    let known: Vec<&str> = self.defines.keys().map(String::as_str).collect();
                    if let Some(s) = profiles::suggest::nearest(&i.name, known) {
                        d = d.with_label(format!("did you mean '{s}'?"));
                    } else {
                        d = d
                            .with_label(format!("{what} must be a number or a #define'd constant"));
                    }
                    self.errors.push(d);
                    None
                }
            }
        }
    }

    fn action(&mut self, a: &ast::Action) -> Option<Action> {
        let value = match &a.value {
            Some(v) => Some((self.constant(v, "the value")?, v.span())),
            None => None,
        };
        let bounded = |cx: &mut Self, max: u64, what: &str, why: &str| -> Option<u16> {
            let (v, span) = value?;
            if v > max {
                cx.errors.push(
                    Diagnostic::error(span, format!("{what} {v} is out of range (0-{max})"))
                        .with_label(why.to_string()),
                );
                return None;
            }
            u16::try_from(v).ok()
        };
        Some(match a.kind {
            ActionKind::Allow => Action::Allow,
            ActionKind::Log => Action::Log,
            ActionKind::Kill | ActionKind::Deny => Action::KillThread,
            ActionKind::KillProcess => Action::KillProcess,
            ActionKind::UserNotif => Action::UserNotif,
            ActionKind::Errno => Action::Errno(bounded(
                self,
                MAX_ERRNO,
                "errno",
                "the kernel caps errno values at 4095",
            )?),
            ActionKind::Trap => Action::Trap(bounded(
                self,
                0xffff,
                "trap value",
                "seccomp passes 16 bits of data",
            )?),
            ActionKind::Trace => Action::Trace(bounded(
                self,
                0xffff,
                "trace value",
                "seccomp passes 16 bits of data",
            )?),
        })
    }

    /// Resolves one filter on every arch; pushes its rules when `program` is given.
    fn filter(
        &mut self,
        f: &ast::Filter,
        action: Action,
        arches: &[Arch],
        mut program: Option<&mut Program>,
    ) {
        let guard = f.arches.as_ref().map(|list| self.guard(list));
        if let Some(g) = &guard {
            if !g.is_empty() && !g.iter().any(|a| arches.contains(a)) {
                self.off_target(f.span, g);
            }
        }
        let mut found_on_some = false;
        let mut checked = false;
        for &arch in arches {
            if let Some(g) = &guard {
                if !g.contains(&arch) {
                    continue;
                }
            }
            checked = true;
            let Some((nr, written, libseccomp_name, args)) = self.syscall(&f.syscall, arch) else {
                continue;
            };
            found_on_some = true;
            let params = self.params(f, arch, &written, args);
            let cond = match &f.expr {
                None => Some(Cond::True),
                Some(e) => params.and_then(|p| self.cond(e, &p, &written, arch)),
            };
            let Some(cond) = cond else { continue };
            if let Some(p) = program.as_deref_mut() {
                p.syscalls
                    .entry((arch, nr))
                    .or_insert_with(|| Syscall {
                        written: written.clone(),
                        libseccomp_name,
                        rules: Vec::new(),
                    })
                    .rules
                    .push(Rule {
                        action,
                        cond,
                        span: f.span,
                    });
            }
        }
        if checked && !found_on_some {
            if let SyscallRef::Name(id) = &f.syscall {
                let target: Vec<&str> = arches.iter().map(|a| a.short_name()).collect();
                let d = if syscalls::is_known_anywhere(&id.name) {
                    Diagnostic::error(
                        id.span,
                        format!(
                            "syscall '{}' does not exist on {}",
                            id.name,
                            target.join(", ")
                        ),
                    )
                    .with_label("remove it, or compile for an arch that has it (--arch)")
                } else {
                    let mut d =
                        Diagnostic::error(id.span, format!("unknown syscall '{}'", id.name));
                    if let Some(s) = syscalls::suggest(&id.name) {
                        d = d.with_label(format!("did you mean '{s}'?"));
                    }
                    d
                };
                self.errors.push(d);
            }
        }
    }

    /// Warns about a filter whose guard names none of the target arches: once per guard (the
    /// first filter), counting the others in a note, since a decompiled multi-arch policy has
    /// dozens of such filters and compiling it for one of its arches is meant.
    fn off_target(&mut self, span: Span, guard: &[Arch]) {
        let mut key = guard.to_vec();
        key.sort();
        key.dedup();
        if !self.off_target_seen.insert(span) {
            return;
        }
        if let Some((_, _, more)) = self.off_target.iter_mut().find(|(k, _, _)| *k == key) {
            *more += 1;
            return;
        }
        let names: Vec<&str> = guard.iter().map(|a| a.short_name()).collect();
        self.off_target.push((key, self.warnings.len(), 0));
        self.warnings.push(
            Diagnostic::warning(span, "this filter applies to none of the target arches")
                .with_label(format!(
                    "only on {}; compile with --arch {}",
                    names.join(", "),
                    names[0]
                )),
        );
    }

    fn guard(&mut self, list: &[ast::Ident]) -> Vec<Arch> {
        let mut out = Vec::new();
        for id in list {
            match id.name.parse::<Arch>() {
                Ok(a) => out.push(a),
                Err(e) => {
                    let mut d =
                        Diagnostic::error(id.span, format!("unknown architecture '{}'", id.name));
                    if let Some(s) = e.suggestion {
                        d = d.with_label(format!("did you mean '{s}'?"));
                    }
                    self.errors.push(d);
                }
            }
        }
        // x32 shares x86_64's AUDIT_ARCH; a guard names them separately.
        out
    }

    /// Number, spelling, libseccomp name and argument table of the filter's syscall on `arch`.
    #[expect(clippy::type_complexity, reason = "a private tuple read right below")]
    fn syscall(
        &mut self,
        s: &SyscallRef,
        arch: Arch,
    ) -> Option<(
        u32,
        String,
        Option<&'static str>,
        Option<Vec<syscalls::Arg>>,
    )> {
        let custom = |cx: &mut Self, v: u64, span: Span, written: String| {
            // A negative 32-bit number is its two's complement: Kafel's README writes
            // `SYSCALL[-1]` for `seccomp_data.nr == -1` (an `int`), i.e. 0xffffffff.
            let v = if v >= 0xffff_ffff_8000_0000 {
                v & 0xffff_ffff
            } else {
                v
            };
            let Ok(nr) = u32::try_from(v) else {
                cx.errors.push(
                    Diagnostic::error(span, format!("syscall number {v} is out of range"))
                        .with_label("syscall numbers are 32-bit"),
                );
                return None;
            };
            let s = syscalls::by_number(arch, nr);
            Some((nr, written, s.libseccomp_name, s.args))
        };
        match s {
            SyscallRef::Name(id) => {
                if let Some((v, _, _)) = self.defines.get(&id.name) {
                    let v = *v;
                    return custom(self, v, id.span, id.name.clone());
                }
                let s = syscalls::lookup(arch, &id.name)?;
                Some((s.nr, id.name.clone(), s.libseccomp_name, s.args))
            }
            SyscallRef::Number { value, span } => {
                let v = self.constant(value, "a syscall number")?;
                custom(self, v, *span, format!("SYSCALL[{v}]"))
            }
        }
    }

    /// The argument names in scope for a filter: explicit parameters (64-bit, as Kafel's
    /// custom arguments are) or the table's. `None` in the vector: names unknown.
    fn params(
        &mut self,
        f: &ast::Filter,
        arch: Arch,
        written: &str,
        table: Option<Vec<syscalls::Arg>>,
    ) -> Option<Params> {
        // On a 32-bit ABI the registers are 32 bits and the kernel zero-extends them into
        // seccomp_data.args, so every argument is its low word. x32 passes 64-bit registers,
        // but libseccomp (and so runc) compares only their low words there; rpod does the same
        // in BPF so both outputs of one policy agree.
        let word = if arch.is_32bit() { 4 } else { 8 };
        if let Some(ps) = &f.params {
            let mut names: Vec<(String, u8)> = Vec::new();
            let mut ok = true;
            for p in ps {
                if names.iter().any(|(n, _)| *n == p.name) {
                    self.errors.push(Diagnostic::error(
                        p.span,
                        format!("argument '{}' is named twice", p.name),
                    ));
                    ok = false;
                } else if names.len() == 6 {
                    self.errors.push(
                        Diagnostic::error(p.span, "too many arguments")
                            .with_label("a syscall has at most 6"),
                    );
                    ok = false;
                } else {
                    names.push((p.name.clone(), word));
                }
            }
            return ok.then_some(Params {
                names: Some(names),
                explicit: true,
            });
        }
        let _ = written;
        Some(Params {
            names: table.map(|t| {
                t.into_iter()
                    .map(|a| (a.name.to_string(), a.size.min(word)))
                    .collect()
            }),
            explicit: false,
        })
    }

    fn cond(&mut self, e: &Expr, p: &Params, syscall: &str, arch: Arch) -> Option<Cond> {
        Some(match e {
            Expr::Cmp { op, lhs, rhs, .. } => {
                let l = self.val(lhs, p, syscall, arch);
                let r = self.val(rhs, p, syscall, arch);
                Cond::Cmp {
                    op: *op,
                    lhs: l?,
                    rhs: r?,
                }
            }
            Expr::And(a, b) => {
                let a = self.cond(a, p, syscall, arch);
                let b = self.cond(b, p, syscall, arch);
                Cond::And(Box::new(a?), Box::new(b?))
            }
            Expr::Or { lhs, rhs, .. } => {
                let a = self.cond(lhs, p, syscall, arch);
                let b = self.cond(rhs, p, syscall, arch);
                Cond::Or(Box::new(a?), Box::new(b?))
            }
            Expr::Not { expr, .. } => Cond::Not(Box::new(self.cond(expr, p, syscall, arch)?)),
            Expr::Paren { expr, .. } => self.cond(expr, p, syscall, arch)?,
        })
    }

    fn val(&mut self, o: &Operand, p: &Params, syscall: &str, arch: Arch) -> Option<Val> {
        Some(match o {
            Operand::Number(n) => Val::Const(n.value),
            Operand::Paren { inner, .. } => self.val(inner, p, syscall, arch)?,
            Operand::BitAnd(a, b) => {
                let a = self.val(a, p, syscall, arch);
                let b = self.val(b, p, syscall, arch);
                Val::And(Box::new(a?), Box::new(b?))
            }
            Operand::BitOr(a, b) => {
                let a = self.val(a, p, syscall, arch);
                let b = self.val(b, p, syscall, arch);
                Val::Or(Box::new(a?), Box::new(b?))
            }
            Operand::Ident(id) => {
                let arg = p.names.as_ref().and_then(|ns| {
                    ns.iter()
                        .position(|(n, _)| *n == id.name)
                        .map(|i| (i, ns[i].1))
                });
                // Kafel resolves constants in order: one defined after this filter does not
                // hide an argument of the same name.
                let constant = self
                    .defines
                    .get(&id.name)
                    .filter(|(_, _, at)| arg.is_none() || *at < self.pos);
                if let Some((c, _, _)) = constant {
                    if arg.is_some() {
                        self.warnings.push(
                            Diagnostic::warning(
                                id.span,
                                format!(
                                    "constant '{}' hides the argument of the same name",
                                    id.name
                                ),
                            )
                            .with_label(format!("this is the constant {c}, as in Kafel")),
                        );
                    }
                    return Some(Val::Const(*c));
                }
                match (arg, &p.names) {
                    (Some((i, size)), _) => Val::Arg {
                        index: u8::try_from(i).expect("at most 6 arguments"),
                        size,
                    },
                    (None, None) => {
                        self.errors.push(
                            Diagnostic::error(
                                id.span,
                                format!(
                                    "rpod does not know the argument names of {syscall} on {arch}"
                                ),
                            )
                            .with_label(format!("name them: {syscall}(a, b, c) {{ ... }}")),
                        );
                        return None;
                    }
                    (None, Some(ns)) => {
                        let names: Vec<&str> = ns.iter().map(|(n, _)| n.as_str()).collect();
                        let mut d = Diagnostic::error(
                            id.span,
                            format!("unknown argument or constant '{}'", id.name),
                        );
                        if let Some(s) = profiles::suggest::nearest(&id.name, names.iter().copied())
                        {
                            d = d.with_label(format!("did you mean '{s}'?"));
                        }
                        d = d.with_note(if names.is_empty() {
                            format!("note: {syscall} takes no arguments")
                        } else if p.explicit {
                            format!("note: this filter names the arguments {}", names.join(", "))
                        } else {
                            format!("note: the arguments of {syscall} are {}", names.join(", "))
                        });
                        self.errors.push(d);
                        return None;
                    }
                }
            }
        })
    }
}

struct Params {
    /// Names and sizes in argument order; `None` when rpod does not know them.
    names: Option<Vec<(String, u8)>>,
    explicit: bool,
}

#[cfg(test)]
mod tests {
    use profiles::Arch;

    use crate::diag::Severity;
    use crate::{compile_str, Options};

    /// Issue 11: a decompiled multi-arch policy guards dozens of filters `ON x86`; compiled for
    /// x86_64 alone it said so once per filter. One warning per guard, counting the rest.
    #[test]
    fn filters_for_no_target_arch_are_warned_about_once_per_guard() {
        let text = "DEFAULT KILL\nALLOW { _llseek ON x86, mmap2 ON x86, chown32 ON x86, \
                    read ON aarch64, write }\n";
        let opts = Options {
            arches: vec![Arch::X86_64],
            ..Options::default()
        };
        let p = compile_str("p.kafel", text, &opts).expect("compiles with warnings");
        let w: Vec<_> = p
            .warnings
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect();
        assert_eq!(w.len(), 2, "{}", p.render(&p.warnings));
        assert_eq!(w[0].label, "only on x86; compile with --arch x86");
        assert_eq!(
            w[0].notes,
            ["note: 2 more filters with the same guard apply to none of the target arches"]
        );
        assert_eq!(w[1].label, "only on aarch64; compile with --arch aarch64");
        assert!(w[1].notes.is_empty(), "{:?}", w[1].notes);
        // Compiled for x86, the guarded filters apply and nothing is said.
        let opts = Options {
            arches: vec![Arch::X86],
            ..Options::default()
        };
        let p = compile_str("p.kafel", text, &opts).expect("compiles");
        assert_eq!(p.warnings.len(), 1, "{}", p.render(&p.warnings));
    }
}
