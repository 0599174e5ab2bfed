//! The parser: tokens to a tree of nodes, with Go's parse-time checks (functions and variables
//! are defined, `break` and `continue` sit inside a `range`, a `{{end}}` closes something).
//!
//! The grammar, Go's `text/template` as of Go 1.19 (the Go podman 4.3 is built with), over the
//! tokens of [`crate::lex`]; SP is white space inside an action:
//!
//! ```text
//! template  = list EOF ;
//! list      = { TEXT | "{{" action "}}" } ;
//! action    = pipeline
//!           | "if" pipeline "}}" list else "{{" "end"
//!           | "range" pipeline "}}" list else "{{" "end"      (* may declare two variables *)
//!           | "with" pipeline "}}" list else "{{" "end"
//!           | "define" STRING "}}" list "{{" "end"
//!           | "block" STRING pipeline "}}" list "{{" "end"  (* = define, then template *)
//!           | "template" STRING [ pipeline ]
//!           | "break" | "continue" ;                         (* only inside a range *)
//! else      = [ "{{" "else" ( "}}" list | "if" pipeline "}}" list else ) ] ;
//!                                                            (* else-if only after an if *)
//! pipeline  = [ VAR [ "," VAR ] ( ":=" | "=" ) ] command { "|" command } ;
//! command   = operand { SP operand } ;
//! operand   = term { FIELD } ;                               (* (x).A.B, $v.A *)
//! term      = NUMBER | CHAR | STRING | "true" | "false" | "nil" | "." | FIELD
//!           | VAR | IDENT | "(" pipeline ")" ;
//! ```
//!
//! The parser is recursive descent and stops at the first error (like Go's). Nesting of
//! parentheses and blocks is bounded ([`MAX_DEPTH`]), so a hostile template cannot overflow the
//! stack.

use std::collections::HashMap;

use crate::error::{ParseError, ParseErrorKind};
use crate::lex::{pos_at, Pos, Tok, Token};

/// The deepest nesting of parentheses and blocks a template may have.
pub const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    Float(f64),
}

#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub pos: Pos,
    /// The source text, for error messages (Go's `at <...>`).
    pub text: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template {
        span: Span,
        name: String,
        pipe: Option<Pipe>,
    },
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub decl: Vec<String>,
    /// `=` rather than `:=`.
    pub assign: bool,
    pub cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    pub span: Span,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(crate) struct Arg {
    pub span: Span,
    pub kind: ArgKind,
}

#[derive(Debug, Clone)]
pub(crate) enum ArgKind {
    Dot,
    Nil,
    Bool(bool),
    Number(Number),
    Str(String),
    Func(String),
    /// `.A.B` on dot.
    Field(Vec<String>),
    /// `$x.A.B` (an empty name is `$`).
    Var(String, Vec<String>),
    /// `(pipeline).A.B`
    Chain(Box<Pipe>, Vec<String>),
}

pub(crate) struct Parsed {
    pub root: Vec<Node>,
    pub defines: HashMap<String, Vec<Node>>,
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    i: usize,
    funcs: &'a dyn Fn(&str) -> bool,
    /// Variables in scope, innermost last; `$` is always there.
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    defines: HashMap<String, Vec<Node>>,
}

/// How a list ended: `{{end}}`, `{{else}}`, `{{else if ...}}` (the parser is then after `if`),
/// or the end of the template.
enum ListEnd {
    End,
    Else,
    ElseIf,
    Eof,
}

pub(crate) fn parse(src: &str, funcs: &dyn Fn(&str) -> bool) -> Result<Parsed, ParseError> {
    let toks = crate::lex::lex(src)?;
    let mut p = Parser {
        src,
        toks,
        i: 0,
        funcs,
        vars: vec![String::new()],
        range_depth: 0,
        depth: 0,
        defines: HashMap::new(),
    };
    let (root, end) = p.list()?;
    match end {
        ListEnd::Eof => {}
        ListEnd::End => return Err(p.err_prev(ParseErrorKind::UnexpectedKeyword("end".into()))),
        ListEnd::Else | ListEnd::ElseIf => {
            return Err(p.err_prev(ParseErrorKind::UnexpectedKeyword("else".into())))
        }
    }
    Ok(Parsed {
        root,
        defines: p.defines,
    })
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].tok
    }

    fn peek_nonspace(&self) -> &Tok {
        let mut j = self.i;
        while self.toks[j].tok == Tok::Space {
            j += 1;
        }
        &self.toks[j].tok
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.i].tok.clone();
        if t != Tok::Eof {
            self.i += 1;
        }
        t
    }

    fn skip_space(&mut self) {
        while *self.peek() == Tok::Space {
            self.i += 1;
        }
    }

    fn pos(&self) -> Pos {
        pos_at(self.src, self.toks[self.i].off)
    }

    fn err(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            pos: self.pos(),
            kind,
        }
    }

    fn err_prev(&self, kind: ParseErrorKind) -> ParseError {
        let j = self.i.saturating_sub(1);
        ParseError {
            pos: pos_at(self.src, self.toks[j].off),
            kind,
        }
    }

    fn unexpected(&self, context: &'static str) -> ParseError {
        let found = match self.peek() {
            Tok::Close => "\"}}\"".to_string(),
            Tok::Eof => "EOF".to_string(),
            Tok::RParen => "\")\"".to_string(),
            Tok::Pipe => "\"|\"".to_string(),
            t => format!("{t:?}"),
        };
        self.err(ParseErrorKind::Unexpected { found, context })
    }

    /// The source text from token `from` up to the current token, trimmed.
    fn span_from(&self, from: usize) -> Span {
        let start = self.toks[from].off;
        let end = self.toks[self.i].off.max(start);
        Span {
            pos: pos_at(self.src, start),
            text: self.src[start..end].trim().to_string(),
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(ParseErrorKind::TooDeep(MAX_DEPTH)));
        }
        Ok(())
    }

    fn expect_close(&mut self, context: &'static str) -> Result<(), ParseError> {
        self.skip_space();
        if *self.peek() == Tok::Close {
            self.i += 1;
            Ok(())
        } else {
            Err(self.unexpected(context))
        }
    }

    fn list(&mut self) -> Result<(Vec<Node>, ListEnd), ParseError> {
        let mut nodes = Vec::new();
        loop {
            match self.next() {
                Tok::Eof => return Ok((nodes, ListEnd::Eof)),
                Tok::Text(t) => nodes.push(Node::Text(t)),
                Tok::Open => {
                    self.skip_space();
                    let word = match self.peek() {
                        Tok::Ident(w) => Some(w.clone()),
                        _ => None,
                    };
                    match word.as_deref() {
                        Some("end") => {
                            self.i += 1;
                            self.expect_close("end")?;
                            return Ok((nodes, ListEnd::End));
                        }
                        Some("else") => {
                            self.i += 1;
                            self.skip_space();
                            if *self.peek() == Tok::Ident("if".into()) {
                                self.i += 1;
                                return Ok((nodes, ListEnd::ElseIf));
                            }
                            self.expect_close("else")?;
                            return Ok((nodes, ListEnd::Else));
                        }
                        _ => {}
                    }
                    if let Some(node) = self.action(word.as_deref())? {
                        nodes.push(node);
                    }
                }
                _ => return Err(self.err_prev(ParseErrorKind::BadCharacter('?'))),
            }
        }
    }

    fn action(&mut self, word: Option<&str>) -> Result<Option<Node>, ParseError> {
        let start = self.i;
        match word {
            Some(kw @ ("if" | "range" | "with")) => {
                self.i += 1;
                self.enter()?;
                let node = self.branch(kw, start)?;
                self.depth -= 1;
                Ok(Some(node))
            }
            Some(kw @ ("break" | "continue")) => {
                self.i += 1;
                if self.range_depth == 0 {
                    return Err(
                        self.err_prev(ParseErrorKind::OutsideRange(if kw == "break" {
                            "break"
                        } else {
                            "continue"
                        })),
                    );
                }
                self.expect_close(if kw == "break" { "break" } else { "continue" })?;
                Ok(Some(if kw == "break" {
                    Node::Break
                } else {
                    Node::Continue
                }))
            }
            Some(kw @ ("define" | "block")) => {
                self.i += 1;
                self.skip_space();
                let Tok::Str(name) = self.next() else {
                    self.i -= 1;
                    return Err(self.unexpected(if kw == "define" {
                        "define clause"
                    } else {
                        "block clause"
                    }));
                };
                let pipe = if kw == "block" {
                    self.skip_space();
                    Some(self.pipeline("block", false)?)
                } else {
                    self.expect_close("define clause")?;
                    None
                };
                let span = self.span_from(start);
                self.enter()?;
                // A definition sees only `$` (it runs with its own variables).
                let saved_vars = std::mem::replace(&mut self.vars, vec![String::new()]);
                let saved_range = std::mem::replace(&mut self.range_depth, 0);
                let (body, end) = self.list()?;
                self.vars = saved_vars;
                self.range_depth = saved_range;
                self.depth -= 1;
                if !matches!(end, ListEnd::End) {
                    return Err(self.err_prev(ParseErrorKind::Unexpected {
                        found: "EOF".into(),
                        context: "define clause",
                    }));
                }
                self.defines.insert(name.clone(), body);
                Ok(pipe.map(|pipe| Node::Template {
                    span,
                    name,
                    pipe: Some(pipe),
                }))
            }
            Some("template") => {
                self.i += 1;
                self.skip_space();
                let Tok::Str(name) = self.next() else {
                    self.i -= 1;
                    return Err(self.unexpected("template clause"));
                };
                self.skip_space();
                let pipe = if *self.peek() == Tok::Close {
                    self.i += 1;
                    None
                } else {
                    Some(self.pipeline("template", false)?)
                };
                Ok(Some(Node::Template {
                    span: self.span_from(start),
                    name,
                    pipe,
                }))
            }
            _ => {
                let pipe = self.pipeline("command", false)?;
                Ok(Some(Node::Action(pipe)))
            }
        }
    }

    fn branch(&mut self, kw: &str, start: usize) -> Result<Node, ParseError> {
        let context: &'static str = match kw {
            "if" => "if",
            "range" => "range",
            _ => "with",
        };
        self.skip_space();
        let mark = self.vars.len();
        let pipe = self.pipeline(context, kw == "range")?;
        if kw == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.list()?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        let else_list = match end {
            ListEnd::End => None,
            ListEnd::Eof => {
                return Err(self.err_prev(ParseErrorKind::Unexpected {
                    found: "EOF".into(),
                    context,
                }))
            }
            ListEnd::Else => {
                let (list, end) = self.list()?;
                if !matches!(end, ListEnd::End) {
                    return Err(self.err_prev(ParseErrorKind::Unexpected {
                        found: "EOF".into(),
                        context,
                    }));
                }
                Some(list)
            }
            ListEnd::ElseIf => {
                if kw != "if" {
                    return Err(self.err_prev(ParseErrorKind::Unexpected {
                        found: "if".into(),
                        context: "else",
                    }));
                }
                // `{{else if x}}...{{end}}` is `{{else}}{{if x}}...{{end}}{{end}}`: one {{end}}.
                self.enter()?;
                let inner = self.branch("if", start)?;
                self.depth -= 1;
                Some(vec![inner])
            }
        };
        self.vars.truncate(mark);
        let _ = start;
        let branch = Branch {
            pipe,
            list,
            else_list,
        };
        Ok(match kw {
            "if" => Node::If(branch),
            "range" => Node::Range(branch),
            _ => Node::With(branch),
        })
    }

    /// A pipeline up to and including its `}}` (or `)` when `in_paren`, see [`Self::term`]).
    fn pipeline(&mut self, context: &'static str, is_range: bool) -> Result<Pipe, ParseError> {
        self.pipeline_until(context, is_range, false)
    }

    fn pipeline_until(
        &mut self,
        context: &'static str,
        is_range: bool,
        in_paren: bool,
    ) -> Result<Pipe, ParseError> {
        let mut decl = Vec::new();
        let mut assign = false;
        // A declaration: `$x :=`, `$x =`, `$i, $e :=`.
        if let Tok::Var(name) = self.peek().clone() {
            let save = self.i;
            self.i += 1;
            let after = self.peek_nonspace().clone();
            match after {
                Tok::Declare | Tok::Assign | Tok::Comma => {
                    self.skip_space();
                    decl.push(name);
                    if after == Tok::Comma {
                        self.i += 1;
                        self.skip_space();
                        if !is_range {
                            return Err(self.err(ParseErrorKind::TooManyDeclarations));
                        }
                        let Tok::Var(second) = self.next() else {
                            self.i -= 1;
                            return Err(self.unexpected("range declaration"));
                        };
                        decl.push(second);
                        self.skip_space();
                    }
                    match self.next() {
                        Tok::Declare => {}
                        Tok::Assign => assign = true,
                        _ => {
                            self.i -= 1;
                            return Err(self.unexpected("declaration"));
                        }
                    }
                    self.skip_space();
                    if assign {
                        for v in &decl {
                            if !self.vars.contains(v) {
                                return Err(
                                    self.err_prev(ParseErrorKind::UndefinedVariable(v.clone()))
                                );
                            }
                        }
                    }
                }
                _ => self.i = save,
            }
        }
        let mut cmds = Vec::new();
        loop {
            self.skip_space();
            if cmds.is_empty() && matches!(self.peek(), Tok::Close | Tok::RParen) {
                return Err(self.err(ParseErrorKind::MissingValue(context)));
            }
            match self.peek() {
                Tok::Close if !in_paren => {
                    self.i += 1;
                    break;
                }
                Tok::RParen if in_paren => {
                    self.i += 1;
                    break;
                }
                Tok::Pipe if !cmds.is_empty() => {
                    self.i += 1;
                    self.skip_space();
                }
                _ => {}
            }
            if cmds.is_empty() && matches!(self.peek(), Tok::Close | Tok::RParen) {
                return Err(self.err(ParseErrorKind::MissingValue(context)));
            }
            cmds.push(self.command()?);
            self.skip_space();
            match self.peek() {
                Tok::Pipe | Tok::Close | Tok::RParen => {}
                _ => return Err(self.unexpected("command")),
            }
        }
        if cmds.is_empty() {
            return Err(self.err(ParseErrorKind::MissingValue(context)));
        }
        // Declared variables come into scope after the pipeline.
        if !assign {
            for v in &decl {
                self.vars.push(v.clone());
            }
        }
        Ok(Pipe { decl, assign, cmds })
    }

    fn command(&mut self) -> Result<Cmd, ParseError> {
        let start = self.i;
        let mut args = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Tok::Close | Tok::RParen | Tok::Pipe | Tok::Eof => break,
                _ => {}
            }
            args.push(self.operand()?);
            match self.peek() {
                Tok::Space | Tok::Close | Tok::RParen | Tok::Pipe => {}
                _ => return Err(self.unexpected("operand")),
            }
        }
        if args.is_empty() {
            return Err(self.err(ParseErrorKind::EmptyCommand));
        }
        let span = self.span_from(start);
        if args.len() > 1 {
            match &args[0].kind {
                ArgKind::Func(_) | ArgKind::Field(_) | ArgKind::Var(..) | ArgKind::Chain(..) => {}
                ArgKind::Nil => {}
                _ => {
                    return Err(ParseError {
                        pos: args[0].span.pos,
                        kind: ParseErrorKind::ArgumentToNonFunction(args[0].span.text.clone()),
                    })
                }
            }
        }
        Ok(Cmd { span, args })
    }

    fn fields(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Tok::Field(f) = self.peek() {
            out.push(f.clone());
            self.i += 1;
        }
        out
    }

    fn operand(&mut self) -> Result<Arg, ParseError> {
        let start = self.i;
        let kind = match self.next() {
            Tok::Dot => ArgKind::Dot,
            Tok::Nil => ArgKind::Nil,
            Tok::Bool(b) => ArgKind::Bool(b),
            Tok::Str(s) => ArgKind::Str(s),
            Tok::Char(c) => ArgKind::Number(Number::Int(i64::from(u32::from(c)))),
            Tok::Number(text) => ArgKind::Number(self.number(&text)?),
            Tok::Field(f) => {
                let mut chain = vec![f];
                chain.extend(self.fields());
                ArgKind::Field(chain)
            }
            Tok::Var(name) => {
                if !self.vars.contains(&name) {
                    return Err(self.err_prev(ParseErrorKind::UndefinedVariable(name)));
                }
                ArgKind::Var(name, self.fields())
            }
            Tok::Ident(name) => {
                if !(self.funcs)(&name) {
                    return Err(self.err_prev(ParseErrorKind::UndefinedFunction(name)));
                }
                ArgKind::Func(name)
            }
            Tok::LParen => {
                self.enter()?;
                let pipe = self.pipeline_until("parenthesized pipeline", false, true)?;
                self.depth -= 1;
                ArgKind::Chain(Box::new(pipe), self.fields())
            }
            _ => {
                self.i -= 1;
                return Err(self.unexpected("operand"));
            }
        };
        // A field chain after a literal (`"x".A`) is refused, as in Go.
        if let Tok::Field(_) = self.peek() {
            return Err(self.unexpected("operand"));
        }
        Ok(Arg {
            span: self.span_from(start),
            kind,
        })
    }

    fn number(&self, text: &str) -> Result<Number, ParseError> {
        let bad = || self.err_prev(ParseErrorKind::BadNumber(text.to_string()));
        // Go: an underscore only between digits, or after a base prefix.
        let b = text.trim_start_matches(['+', '-']).as_bytes();
        for (k, &c) in b.iter().enumerate() {
            if c == b'_' {
                let before = k.checked_sub(1).map(|j| b[j]);
                let after = b.get(k + 1).copied();
                let prefix = k == 2 && b[0] == b'0' && b[1].is_ascii_alphabetic();
                let ok_before = prefix || before.is_some_and(|x| x.is_ascii_hexdigit());
                if !ok_before || !after.is_some_and(|x| x.is_ascii_hexdigit()) {
                    return Err(bad());
                }
            }
        }
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        let (neg, body) = match clean.strip_prefix('-') {
            Some(b) => (true, b.to_string()),
            None => (false, clean.trim_start_matches('+').to_string()),
        };
        let lower = body.to_ascii_lowercase();
        let int = if let Some(h) = lower.strip_prefix("0x") {
            if h.contains('.') || h.contains('p') {
                return hex_float(h)
                    .map(|f| Number::Float(if neg { -f } else { f }))
                    .ok_or_else(bad);
            }
            Some(u64::from_str_radix(h, 16))
        } else if let Some(o) = lower.strip_prefix("0o") {
            Some(u64::from_str_radix(o, 8))
        } else if let Some(b) = lower.strip_prefix("0b") {
            Some(u64::from_str_radix(b, 2))
        } else if lower.contains(['.', 'e']) {
            None
        } else if lower.len() > 1 && lower.starts_with('0') {
            Some(u64::from_str_radix(&lower[1..], 8))
        } else {
            Some(lower.parse::<u64>())
        };
        match int {
            Some(Ok(v)) => {
                let v = i128::from(v);
                let v = if neg { -v } else { v };
                i64::try_from(v)
                    .map(Number::Int)
                    .map_err(|_| self.err_prev(ParseErrorKind::IntegerOverflow(text.to_string())))
            }
            Some(Err(e)) => {
                if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) {
                    Err(self.err_prev(ParseErrorKind::IntegerOverflow(text.to_string())))
                } else {
                    Err(bad())
                }
            }
            None => {
                let f: f64 = lower.parse().map_err(|_| bad())?;
                Ok(Number::Float(if neg { -f } else { f }))
            }
        }
    }
}

/// A hexadecimal float (`1.8p+1`, without the `0x`).
fn hex_float(h: &str) -> Option<f64> {
    let (mant, exp) = match h.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => return None,
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0f64;
    for c in int.chars().chain(frac.chars()) {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let frac_len = i32::try_from(frac.len()).ok()?;
    Some(v * 2f64.powi(exp - 4 * frac_len))
}
