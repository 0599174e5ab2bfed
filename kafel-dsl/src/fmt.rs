//! The canonical layout of a policy, as `rpod seccomp fmt` prints it.
//!
//! ```text
//! #define AF_INET 2
//!
//! POLICY net {
//!   ALLOW {
//!     socket(domain, type) { domain == AF_INET && (type & 0xf) == 1 },
//!     read // trailing comments stay on their line
//!   }
//! }
//!
//! USE net
//! DEFAULT KILL
//! ```
//!
//! The rules:
//! - one top-level item per line group; a blank line between items of different kinds
//!   (`#define`s, `#include`s, `POLICY`s, the main policy's statements and `DEFAULT`), and
//!   wherever the author left one or more (kept to one); none at the start or end of a block;
//! - an action block opens with `ALLOW {` on its line, has one filter per line indented two
//!   spaces and separated by `,` (no trailing comma), and closes with `}`; an empty block is
//!   `ALLOW {}`; a `POLICY` body is laid out the same way with statements;
//! - a filter's expression stays on the filter's line (`write { fd == 1 && count < 4096 }`);
//!   past [`WIDTH`] columns, its outermost `,`/`||`/`&&` chain is split one operand per line;
//! - single spaces around binary operators, none after `!` or inside parentheses; the
//!   parentheses, `,` versus `||`, number spelling and keyword spelling (`KILL_THREAD`, `DENY`)
//!   are kept as written;
//! - a comment stays with what it precedes, on its own line, or trails the code it followed on
//!   the same line. A comment written inside a one-line construct (`DEFAULT /* x */ KILL`, in
//!   the middle of an expression) moves to its own line just before that construct.
//!
//! The layout depends only on the tree, the comments and where the author put line breaks, so
//! formatting is idempotent, and it never changes the meaning: parsing the output gives the
//! same tree up to spans.

use crate::ast::{
    Action, ActionBlock, ActionKind, Comment, Expr, File, Filter, Item, Operand, Statement,
    SyscallRef, Value,
};
use crate::source::Span;

/// Lines longer than this break a filter's expression over several lines.
pub const WIDTH: usize = 100;

const INDENT: &str = "  ";

/// Formats a parsed file canonically. The output ends with a newline unless it is empty.
#[must_use]
pub fn format(file: &File) -> String {
    let mut p = Printer {
        out: String::new(),
        line: String::new(),
        comments: &file.comments,
        next: 0,
        newlines: &file.newlines,
    };
    p.items(&file.items);
    p.out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Define,
    Include,
    Policy,
    /// Statements of the main policy, and `DEFAULT`.
    Main,
}

fn group(item: &Item) -> Group {
    match item {
        Item::Define { .. } => Group::Define,
        Item::Include { .. } => Group::Include,
        Item::Policy { .. } => Group::Policy,
        Item::Statement(_) | Item::Default { .. } => Group::Main,
    }
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Define { span, .. }
        | Item::Include { span, .. }
        | Item::Policy { span, .. }
        | Item::Default { span, .. } => *span,
        Item::Statement(s) => statement_span(s),
    }
}

fn statement_span(s: &Statement) -> Span {
    match s {
        Statement::Use { span, .. } => *span,
        Statement::Block(b) => b.span,
    }
}

struct Printer<'a> {
    out: String,
    /// The line being built; flushed by [`Printer::end_line`].
    line: String,
    comments: &'a [Comment],
    /// The first comment not printed yet.
    next: usize,
    newlines: &'a [usize],
}

impl Printer<'_> {
    fn line_breaks(&self, from: usize, to: usize) -> usize {
        if from >= to {
            return 0;
        }
        self.newlines.partition_point(|&n| n < to) - self.newlines.partition_point(|&n| n < from)
    }

    /// Whether the author left a blank line between byte offsets `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        self.line_breaks(from, to) >= 2
    }

    fn open_line(&mut self, depth: usize) {
        for _ in 0..depth {
            self.line.push_str(INDENT);
        }
    }

    fn push(&mut self, s: &str) {
        self.line.push_str(s);
    }

    fn end_line(&mut self) {
        self.out.push_str(self.line.trim_end());
        self.out.push('\n');
        self.line.clear();
    }

    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn peek_comment(&self, before: usize) -> Option<&Comment> {
        self.comments
            .get(self.next)
            .filter(|c| c.span.start < before)
    }

    /// Prints the comments before a node at `start`, each on its own line, with the author's
    /// blank lines, then any blank line due before the node itself; then hoists the comments
    /// written inside the node's one-line part (up to `inline_end`) to lines of their own.
    /// `last_end` is where the previous sibling (or comment) ended, `None` at the top of a block.
    fn leading(
        &mut self,
        start: usize,
        inline_end: usize,
        depth: usize,
        last_end: &mut Option<usize>,
        force_blank: bool,
    ) {
        let mut first = true;
        while let Some(c) = self.peek_comment(start) {
            let (span, text) = (c.span, comment_text(c));
            self.next += 1;
            if let Some(end) = *last_end {
                if self.blank_between(end, span.start) || (force_blank && first) {
                    self.blank_line();
                }
            }
            first = false;
            self.open_line(depth);
            self.push(&text);
            self.end_line();
            *last_end = Some(span.end);
        }
        if let Some(end) = *last_end {
            if self.blank_between(end, start) || (force_blank && first) {
                self.blank_line();
            }
        }
        while let Some(c) = self.peek_comment(inline_end) {
            let text = comment_text(c);
            self.next += 1;
            self.open_line(depth);
            self.push(&text);
            self.end_line();
        }
    }

    /// Appends the comments on the same line as `end` (and before `limit`) to the current line.
    fn trailing(&mut self, end: usize, limit: usize) {
        while let Some(c) = self.peek_comment(limit) {
            if self.line_breaks(end, c.span.start) > 0 {
                break;
            }
            let text = comment_text(c);
            self.next += 1;
            self.push(" ");
            self.push(&text);
        }
    }

    fn items(&mut self, items: &[Item]) {
        let mut last_end = None;
        let mut last_group = None;
        for (k, item) in items.iter().enumerate() {
            let span = item_span(item);
            let g = group(item);
            let force = last_group.is_some_and(|l| l != g);
            let next_start = items.get(k + 1).map_or(usize::MAX, |n| item_span(n).start);
            match item {
                Item::Define { name, value, .. } => {
                    self.leading(span.start, span.end, 0, &mut last_end, force);
                    self.push(&format!("#define {} {}", name.name, number_text(value)));
                }
                Item::Include { paths, .. } => {
                    self.leading(span.start, span.end, 0, &mut last_end, force);
                    self.push("#include");
                    for p in paths {
                        self.push(&format!(" \"{}\"", p.path));
                    }
                }
                Item::Default { action, .. } => {
                    self.leading(span.start, span.end, 0, &mut last_end, force);
                    self.push(&format!("DEFAULT {}", action_text(action)));
                }
                Item::Policy { name, body, .. } => {
                    self.leading(span.start, name.span.end, 0, &mut last_end, force);
                    self.push(&format!("POLICY {}", name.name));
                    self.policy_body(name.span.end, body, span.end, 0);
                }
                Item::Statement(s) => self.statement(s, 0, &mut last_end, force),
            }
            self.trailing(span.end, next_start);
            self.end_line();
            last_end = Some(span.end);
            last_group = Some(g);
        }
        self.dangling(usize::MAX, 0, &mut last_end);
    }

    /// A statement, left on its last line (the caller adds `,` and trailing comments).
    fn statement(
        &mut self,
        s: &Statement,
        depth: usize,
        last_end: &mut Option<usize>,
        force: bool,
    ) {
        match s {
            Statement::Use { name, span } => {
                self.leading(span.start, span.end, depth, last_end, force);
                self.open_line(depth);
                self.push(&format!("USE {}", name.name));
            }
            Statement::Block(b) => self.block(b, depth, last_end, force),
        }
    }

    fn block(&mut self, b: &ActionBlock, depth: usize, last_end: &mut Option<usize>, force: bool) {
        let header_end = b.action.span.end;
        self.leading(b.span.start, header_end, depth, last_end, force);
        self.open_line(depth);
        self.push(&action_text(&b.action));
        let Some(first) = b.filters.first() else {
            self.empty_body(header_end, b.span.end, depth);
            return;
        };
        self.push(" {");
        self.trailing(header_end, first.span.start);
        self.end_line();
        let mut last = None;
        for (k, f) in b.filters.iter().enumerate() {
            self.leading(f.span.start, f.span.end, depth + 1, &mut last, false);
            self.open_line(depth + 1);
            self.filter(f, depth + 1);
            let next_start = b.filters.get(k + 1).map_or(b.span.end, |n| n.span.start);
            if next_start != b.span.end {
                self.push(",");
            }
            self.trailing(f.span.end, next_start);
            self.end_line();
            last = Some(f.span.end);
        }
        self.close_body(b.span.end, depth, &mut last);
    }

    fn policy_body(&mut self, header_end: usize, body: &[Statement], end: usize, depth: usize) {
        let Some(first) = body.first() else {
            self.empty_body(header_end, end, depth);
            return;
        };
        self.push(" {");
        self.trailing(header_end, statement_span(first).start);
        self.end_line();
        let mut last = None;
        for (k, s) in body.iter().enumerate() {
            self.statement(s, depth + 1, &mut last, false);
            let span = statement_span(s);
            let next_start = body.get(k + 1).map_or(end, |n| statement_span(n).start);
            if k + 1 < body.len() {
                self.push(",");
            }
            self.trailing(span.end, next_start);
            self.end_line();
            last = Some(span.end);
        }
        self.close_body(end, depth, &mut last);
    }

    /// `{}`; `{ /* comment */ }` when `/* */` comments are all inside on the header's line;
    /// else the comments go on lines of their own.
    fn empty_body(&mut self, header_end: usize, end: usize, depth: usize) {
        let inside = self.comments[self.next..]
            .iter()
            .take_while(|c| c.span.start < end);
        let mut inline = String::new();
        let mut all_inline = true;
        for c in inside {
            let text = comment_text(c);
            if text.starts_with("//")
                || text.contains('\n')
                || self.line_breaks(header_end, c.span.start) > 0
            {
                all_inline = false;
                break;
            }
            inline.push(' ');
            inline.push_str(&text);
        }
        if all_inline {
            self.next += self.comments[self.next..]
                .iter()
                .take_while(|c| c.span.start < end)
                .count();
            if inline.is_empty() {
                self.push(" {}");
            } else {
                self.push(&format!(" {{{inline} }}"));
            }
            return;
        }
        self.push(" {");
        self.trailing(header_end, end);
        self.end_line();
        self.close_body(end, depth, &mut None);
    }

    /// The comments left before the `}` at `end`, then the `}` (its line left open).
    fn close_body(&mut self, end: usize, depth: usize, last: &mut Option<usize>) {
        self.dangling(end, depth + 1, last);
        self.open_line(depth);
        self.push("}");
    }

    /// Comments after the last element of a block or file (before `end`), on lines of their
    /// own, with the author's blank lines between them.
    fn dangling(&mut self, end: usize, depth: usize, last: &mut Option<usize>) {
        while let Some(c) = self.peek_comment(end) {
            let (span, text) = (c.span, comment_text(c));
            self.next += 1;
            if last.is_some_and(|e| self.blank_between(e, span.start)) {
                self.blank_line();
            }
            self.open_line(depth);
            self.push(&text);
            self.end_line();
            *last = Some(span.end);
        }
    }

    /// A filter, left on its last line.
    fn filter(&mut self, f: &Filter, depth: usize) {
        let head = filter_head(f);
        let Some(e) = &f.expr else {
            self.push(&head);
            return;
        };
        let inline = format!("{head} {{ {} }}", expr_text(e, 0));
        let width = depth * INDENT.len() + inline.chars().count() + 1;
        let (parts, sep) = chain(e);
        if width <= WIDTH || parts.len() < 2 {
            self.push(&inline);
            return;
        }
        self.push(&head);
        self.push(" {");
        self.end_line();
        let last = parts.len() - 1;
        for (k, (part, min)) in parts.iter().enumerate() {
            self.open_line(depth + 1);
            self.push(&expr_text(part, *min));
            if k < last {
                self.push(sep);
            }
            self.end_line();
        }
        self.open_line(depth);
        self.push("}");
    }
}

/// Comment text as printed: no trailing blanks, LF line ends.
fn comment_text(c: &Comment) -> String {
    if c.text.starts_with("//") {
        c.text.trim_end().to_owned()
    } else {
        c.text.replace("\r\n", "\n")
    }
}

fn number_text(n: &crate::ast::Number) -> String {
    if n.text.is_empty() {
        n.value.to_string()
    } else {
        n.text.clone()
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Number(n) => number_text(n),
        Value::Ident(i) => i.name.clone(),
    }
}

fn action_text(a: &Action) -> String {
    // The keyword as written, if it is a spelling of this action (`KILL_THREAD` for KILL).
    let keyword = match (a.kind, a.keyword.as_str()) {
        (ActionKind::Kill, "KILL_THREAD") => "KILL_THREAD",
        (kind, _) => kind.keyword(),
    };
    match &a.value {
        Some(v) => format!("{keyword}({})", value_text(v)),
        None => keyword.to_owned(),
    }
}

fn filter_head(f: &Filter) -> String {
    let mut s = match &f.syscall {
        SyscallRef::Name(i) => i.name.clone(),
        SyscallRef::Number { value, .. } => format!("SYSCALL[{}]", value_text(value)),
    };
    if let Some(params) = &f.params {
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        s.push('(');
        s.push_str(&names.join(", "));
        s.push(')');
    }
    if let Some(arches) = &f.arches {
        let names: Vec<&str> = arches.iter().map(|a| a.name.as_str()).collect();
        if let [one] = names.as_slice() {
            s.push_str(" ON ");
            s.push_str(one);
        } else {
            s.push_str(" ON { ");
            s.push_str(&names.join(", "));
            s.push_str(" }");
        }
    }
    s
}

/// Binding strength: `,` 0, `||` 1, `&&` 2, then `!`, comparisons and parentheses.
fn expr_prec(e: &Expr) -> u8 {
    match e {
        Expr::Or { comma: true, .. } => 0,
        Expr::Or { comma: false, .. } => 1,
        Expr::And(..) => 2,
        Expr::Cmp { .. } | Expr::Not { .. } | Expr::Paren { .. } => 3,
    }
}

/// `e` as text, in parentheses if it binds looser than `min` (only a tree built by hand needs
/// that; the parser records the parentheses it read as `Paren`).
fn expr_text(e: &Expr, min: u8) -> String {
    if expr_prec(e) < min {
        return format!("({})", expr_text(e, 0));
    }
    match e {
        Expr::Cmp { op, lhs, rhs, .. } => format!(
            "{} {} {}",
            operand_text(lhs, 0),
            op.symbol(),
            operand_text(rhs, 0)
        ),
        Expr::And(a, b) => format!("{} && {}", expr_text(a, 2), expr_text(b, 3)),
        Expr::Or {
            lhs,
            rhs,
            comma: true,
        } => format!("{}, {}", expr_text(lhs, 0), expr_text(rhs, 1)),
        Expr::Or {
            lhs,
            rhs,
            comma: false,
        } => format!("{} || {}", expr_text(lhs, 1), expr_text(rhs, 2)),
        Expr::Not { expr, .. } => format!("!{}", expr_text(expr, 3)),
        Expr::Paren { expr, .. } => format!("({})", expr_text(expr, 0)),
    }
}

/// The outermost chain of one operator, split for a long filter: its operands (each with the
/// binding strength it needs) and the separator printed at the end of each line but the last.
fn chain(e: &Expr) -> (Vec<(&Expr, u8)>, &'static str) {
    let (prec, sep) = match e {
        Expr::Or { comma: true, .. } => (0, ","),
        Expr::Or { comma: false, .. } => (1, " ||"),
        Expr::And(..) => (2, " &&"),
        _ => return (vec![(e, 0)], ""),
    };
    let mut rights = Vec::new();
    let mut cur = e;
    loop {
        match cur {
            Expr::Or { lhs, rhs, .. } if prec < 2 && expr_prec(cur) == prec => {
                rights.push((&**rhs, prec + 1));
                cur = lhs;
            }
            Expr::And(lhs, rhs) if prec == 2 => {
                rights.push((&**rhs, prec + 1));
                cur = lhs;
            }
            _ => break,
        }
    }
    rights.push((cur, prec));
    rights.reverse();
    (rights, sep)
}

fn operand_prec(o: &Operand) -> u8 {
    match o {
        Operand::BitOr(..) => 0,
        Operand::BitAnd(..) => 1,
        Operand::Number(_) | Operand::Ident(_) | Operand::Paren { .. } => 2,
    }
}

fn operand_text(o: &Operand, min: u8) -> String {
    if operand_prec(o) < min {
        return format!("({})", operand_text(o, 0));
    }
    match o {
        Operand::Number(n) => number_text(n),
        Operand::Ident(i) => i.name.clone(),
        Operand::BitOr(a, b) => format!("{} | {}", operand_text(a, 0), operand_text(b, 1)),
        Operand::BitAnd(a, b) => format!("{} & {}", operand_text(a, 1), operand_text(b, 2)),
        Operand::Paren { inner, .. } => format!("({})", operand_text(inner, 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{CmpOp, Ident, Number};
    use crate::parse::parse;
    use crate::source::FileId;
    use proptest::prelude::*;

    fn fmt(text: &str) -> String {
        let (file, diags) = parse(FileId(0), text);
        assert!(diags.is_empty(), "{text:?} does not parse: {diags:#?}");
        format(&file)
    }

    /// The tree without spans, comments or layout: what a policy means, as written.
    fn shape(text: &str) -> Vec<Item> {
        let (file, diags) = parse(FileId(0), text);
        assert!(diags.is_empty(), "{text:?} does not parse: {diags:#?}");
        let mut items = file.items;
        for item in &mut items {
            strip_item(item);
        }
        items
    }

    fn strip_item(item: &mut Item) {
        match item {
            Item::Define { name, value, span } => {
                *span = Span::default();
                name.span = Span::default();
                value.span = Span::default();
            }
            Item::Include { paths, span } => {
                *span = Span::default();
                for p in paths {
                    p.span = Span::default();
                }
            }
            Item::Policy { name, body, span } => {
                *span = Span::default();
                name.span = Span::default();
                body.iter_mut().for_each(strip_statement);
            }
            Item::Statement(s) => strip_statement(s),
            Item::Default { action, span } => {
                *span = Span::default();
                strip_action(action);
            }
        }
    }

    fn strip_statement(s: &mut Statement) {
        match s {
            Statement::Use { name, span } => {
                *span = Span::default();
                name.span = Span::default();
            }
            Statement::Block(b) => {
                b.span = Span::default();
                strip_action(&mut b.action);
                for f in &mut b.filters {
                    f.span = Span::default();
                    match &mut f.syscall {
                        SyscallRef::Name(i) => i.span = Span::default(),
                        SyscallRef::Number { value, span } => {
                            *span = Span::default();
                            strip_value(value);
                        }
                    }
                    for i in f.params.iter_mut().chain(f.arches.iter_mut()).flatten() {
                        i.span = Span::default();
                    }
                    if let Some(e) = &mut f.expr {
                        strip_expr(e);
                    }
                }
            }
        }
    }

    fn strip_action(a: &mut Action) {
        a.span = Span::default();
        if let Some(v) = &mut a.value {
            strip_value(v);
        }
    }

    fn strip_value(v: &mut Value) {
        match v {
            Value::Number(n) => n.span = Span::default(),
            Value::Ident(i) => i.span = Span::default(),
        }
    }

    fn strip_expr(e: &mut Expr) {
        match e {
            Expr::Cmp { lhs, rhs, span, .. } => {
                *span = Span::default();
                strip_operand(lhs);
                strip_operand(rhs);
            }
            Expr::And(a, b) | Expr::Or { lhs: a, rhs: b, .. } => {
                strip_expr(a);
                strip_expr(b);
            }
            Expr::Not { expr, span } | Expr::Paren { expr, span } => {
                *span = Span::default();
                strip_expr(expr);
            }
        }
    }

    fn strip_operand(o: &mut Operand) {
        match o {
            Operand::Number(n) => n.span = Span::default(),
            Operand::Ident(i) => i.span = Span::default(),
            Operand::BitAnd(a, b) | Operand::BitOr(a, b) => {
                strip_operand(a);
                strip_operand(b);
            }
            Operand::Paren { inner, span } => {
                *span = Span::default();
                strip_operand(inner);
            }
        }
    }

    fn comment_texts(text: &str) -> Vec<String> {
        parse(FileId(0), text)
            .0
            .comments
            .iter()
            .map(comment_text)
            .collect()
    }

    /// Formatting is idempotent, keeps the meaning and keeps every comment, in order.
    fn check_round_trip(text: &str) -> String {
        let once = fmt(text);
        assert_eq!(
            shape(&once),
            shape(text),
            "meaning changed:\n{text}\n---\n{once}"
        );
        assert_eq!(
            comment_texts(&once),
            comment_texts(text),
            "comments changed:\n{once}"
        );
        let twice = fmt(&once);
        assert_eq!(twice, once, "not idempotent:\n{text}\n---\n{once}");
        once
    }

    #[test]
    fn nsjail_one_liner() {
        insta::assert_snapshot!(check_round_trip(
            "KILL_PROCESS { ptrace, process_vm_readv, process_vm_writev } DEFAULT ALLOW"
        ));
    }

    #[test]
    fn policies_defines_and_uses() {
        insta::assert_snapshot!(check_round_trip(
            "#define AF_INET 2\n# define  AF_INET6   0xa\n\
             #include \"base.policy\" \"extra.policy\"; #include \"more.policy\"\n\
             POLICY net { ALLOW { socket(domain, type, protocol) { domain == AF_INET && (type & 0xf) == 1 } } }\n\
             POLICY base { ALLOW { read, write { fd == 1 || fd == 2 }, SYSCALL[231] ON x86_64 }, USE net }\n\
             POLICY nothing {}\n\
             USE base DEFAULT KILL_THREAD"
        ));
    }

    #[test]
    fn comments_stay_with_their_code() {
        insta::assert_snapshot!(check_round_trip(
            "// Copyright header.\n\n\
             // Constants.\n#define ONE 1 // the first\n\n\n\n\
             /* The main policy. */\n\
             ALLOW { // io\n\
             \x20 // read side\n\
             \x20 read, // stdin\n\n\
             \x20 write { fd == ONE /* stdout */ || fd == 2 }\n\
             \x20 // end of io\n\
             }\n\
             ERRNO(1) { /* none yet */ }\n\
             DEFAULT /* safe */ KILL // done\n\
             // trailing comment of the file\n"
        ));
    }

    #[test]
    fn expressions_keep_their_spelling() {
        insta::assert_snapshot!(check_round_trip(
            "ALLOW{write(fd,buf,count){fd==1&&count<4096,(fd==2)||!(fd>=0x10)&&count!=-1},\
             mmap(addr, len, prot){(prot&(0b100|PROT_EXEC))==0,prot<=017},open(){},close{},}"
        ));
    }

    #[test]
    fn long_expressions_break_at_the_outer_operator() {
        insta::assert_snapshot!(check_round_trip(
            "ALLOW { ioctl(fd, request) { request == TCGETS, request == TCSETS, request == TIOCGWINSZ, request == TIOCSWINSZ, request == FIONREAD }, \
             write(fd, buf, count) { (fd == 1 || fd == 2) && count < 4096 && buf != 0 && count != 0 && fd != 1000000000000 } }"
        ));
    }

    #[test]
    fn blank_lines_are_kept_to_one_and_added_between_groups() {
        let out = check_round_trip(
            "\n\n#define A 1\n#define B 2\n\n\n#define C 3\nPOLICY p { USE q }\nPOLICY q {\n\n  ALLOW { read }\n\n}\n\n\nUSE p\nDEFAULT KILL\n\n",
        );
        assert_eq!(
            out,
            "#define A 1\n#define B 2\n\n#define C 3\n\nPOLICY p {\n  USE q\n}\nPOLICY q {\n  ALLOW {\n    read\n  }\n}\n\nUSE p\nDEFAULT KILL\n"
        );
    }

    #[test]
    fn empty_input_stays_empty() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("  \n\n"), "");
        assert_eq!(
            fmt("// only\n\n/* comments */"),
            "// only\n\n/* comments */\n"
        );
    }

    #[test]
    fn hand_built_trees_get_the_parentheses_they_need() {
        let id = |n: &str| {
            Operand::Ident(Ident {
                name: n.into(),
                span: Span::default(),
            })
        };
        let num = |v: u64| {
            Operand::Number(Number {
                value: v,
                text: String::new(),
                span: Span::default(),
            })
        };
        let cmp = |a: &str, v: u64| Expr::Cmp {
            op: CmpOp::Eq,
            lhs: id(a),
            rhs: num(v),
            span: Span::default(),
        };
        // (a == 1 || b == 2) && !(c == 3, d == 4)
        let e = Expr::And(
            Box::new(Expr::Or {
                lhs: Box::new(cmp("a", 1)),
                rhs: Box::new(cmp("b", 2)),
                comma: false,
            }),
            Box::new(Expr::Not {
                expr: Box::new(Expr::Or {
                    lhs: Box::new(cmp("c", 3)),
                    rhs: Box::new(cmp("d", 4)),
                    comma: true,
                }),
                span: Span::default(),
            }),
        );
        assert_eq!(expr_text(&e, 0), "(a == 1 || b == 2) && !(c == 3, d == 4)");
        let o = Operand::BitAnd(
            Box::new(Operand::BitOr(Box::new(id("x")), Box::new(num(1)))),
            Box::new(Operand::BitAnd(Box::new(id("y")), Box::new(num(2)))),
        );
        assert_eq!(operand_text(&o, 0), "(x | 1) & (y & 2)");
    }

    // Generated policies: structure, spelling, comments and layout all random.

    fn ident() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("fd".to_owned()),
            Just("count".to_owned()),
            Just("AF_INET".to_owned()),
            Just("x_1".to_owned()),
            Just("ON".to_owned()),
        ]
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u64..5000).prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| format!("{n:#x}")),
            (0u8..64).prop_map(|n| format!("0b{n:b}")),
            (1u32..512).prop_map(|n| format!("0{n:o}")),
            (1i64..100).prop_map(|n| format!("-{n}")),
        ]
    }

    fn operand() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![ident(), number()];
        leaf.prop_recursive(3, 12, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} | {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}&{b}")),
                inner.prop_map(|a| format!("({a})")),
            ]
        })
    }

    fn condition() -> impl Strategy<Value = String> {
        let cmp = (
            operand(),
            prop_oneof![
                Just("=="),
                Just("!="),
                Just("<"),
                Just("<="),
                Just(">"),
                Just(">=")
            ],
            operand(),
        )
            .prop_map(|(a, op, b)| format!("{a} {op} {b}"));
        cmp.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} || {b}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}, {b})")),
                inner.clone().prop_map(|a| format!("!({a})")),
                inner.prop_map(|a| format!("({a})")),
            ]
        })
    }

    fn filter() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just("read".to_owned()),
                Just("write".to_owned()),
                Just("SYSCALL[231]".to_owned()),
                Just("SYSCALL[NR]".to_owned()),
            ],
            prop::option::of(prop::collection::vec(ident(), 0..3)),
            prop::option::of(prop::collection::vec(
                prop_oneof![Just("x86_64"), Just("aarch64")],
                1..3,
            )),
            prop::option::of(prop::option::of(condition())),
        )
            .prop_map(|(name, params, arches, expr)| {
                let mut s = name;
                if let Some(p) = params {
                    s += &format!("({})", p.join(", "));
                }
                if let Some(a) = arches {
                    s += &format!(" ON {{ {} }}", a.join(", "));
                }
                match expr {
                    Some(Some(e)) => s += &format!(" {{ {e} }}"),
                    Some(None) => s += " {}",
                    None => {}
                }
                s
            })
    }

    fn action() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("ALLOW".to_owned()),
            Just("KILL_THREAD".to_owned()),
            Just("DENY".to_owned()),
            Just("LOG".to_owned()),
            Just("ERRNO(1)".to_owned()),
            Just("TRAP(SIGSYS)".to_owned()),
            Just("TRACE(0x10)".to_owned()),
        ]
    }

    fn block() -> impl Strategy<Value = String> {
        (
            action(),
            prop::collection::vec(filter(), 0..4),
            any::<bool>(),
        )
            .prop_map(|(a, filters, trailing_comma)| {
                let comma = if trailing_comma && !filters.is_empty() {
                    ","
                } else {
                    ""
                };
                format!("{a} {{ {}{comma} }}", filters.join(", "))
            })
    }

    fn statement() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => block(),
            1 => Just("USE other".to_owned()),
        ]
    }

    fn item() -> impl Strategy<Value = String> {
        prop_oneof![
            (ident(), number()).prop_map(|(n, v)| format!("#define {n} {v}\n")),
            Just("#include \"a.policy\" \"b.policy\"\n".to_owned()),
            (ident(), prop::collection::vec(statement(), 0..3))
                .prop_map(|(n, body)| format!("POLICY {n} {{ {} }}", body.join(", "))),
            statement(),
            action().prop_map(|a| format!("DEFAULT {a}")),
        ]
    }

    /// Joins tokens with random layout: spaces, line breaks, blank lines and comments. Include
    /// lines keep their tokens on one line, as the language requires.
    fn layout(text: &str, seps: &[u8]) -> String {
        let mut out = String::new();
        let mut n = 0;
        let mut in_include = false;
        for line in text.split_inclusive('\n') {
            for tok in line.split(' ') {
                if tok.is_empty() {
                    continue;
                }
                if tok.starts_with("#include") {
                    in_include = true;
                }
                if !out.is_empty() && !out.ends_with('\n') {
                    let sep = seps.get(n % seps.len().max(1)).copied().unwrap_or(0);
                    n += 1;
                    out.push_str(match (sep, in_include) {
                        (_, true) | (0..=5, _) => " ",
                        (6, _) => "\n",
                        (7, _) => "\n\n",
                        (8, _) => " /* c */ ",
                        (9, _) => " // line c\n",
                        (10, _) => "\n  // own line\n",
                        _ => "\n\n/* multi\n   line */\n",
                    });
                }
                out.push_str(tok);
                if tok.ends_with('\n') {
                    in_include = false;
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn formatting_is_idempotent_and_meaning_preserving(
            items in prop::collection::vec(item(), 0..6),
            seps in prop::collection::vec(0u8..13, 1..40),
        ) {
            // Separate items so that `#define X 1` `ALLOW` never reads as one line of junk.
            let text = layout(&items.join("\n"), &seps);
            let (file, diags) = parse(FileId(0), &text);
            prop_assert!(diags.is_empty(), "generated text does not parse: {text}\n{diags:#?}");
            let once = format(&file);
            let (again, diags) = parse(FileId(0), &once);
            prop_assert!(diags.is_empty(), "formatted text does not parse:\n{once}\n{diags:#?}");
            prop_assert_eq!(shape(&once), shape(&text), "meaning changed:\n{}\n---\n{}", text, once);
            prop_assert_eq!(comment_texts(&once), comment_texts(&text));
            let twice = format(&again);
            prop_assert_eq!(&twice, &once, "not idempotent:\n{}\n---\n{}", text, once);
        }
    }
}
