//! The executor: walks the parsed tree over the data, as Go's `text/template/exec.go` does.
//!
//! Bounds against hostile templates: template calls nest at most [`MAX_EXEC_DEPTH`] deep, and
//! one execution writes at most [`MAX_OUTPUT`] bytes (a huge `range`, `pad`, or a `printf`
//! width is refused with an error instead of exhausting memory).

use std::borrow::Cow;

use serde_json::Value;

use crate::error::{ExecError, ExecErrorKind};
use crate::funcs;
use crate::lex::Pos;
use crate::parse::{Arg, ArgKind, Branch, Cmd, Node, Number, Pipe, Span};
use crate::value::{is_struct, truth, type_name, Val};
use crate::Template;

/// How deep `{{template}}` calls may nest (a template that calls itself stops here).
pub const MAX_EXEC_DEPTH: usize = 100;
/// The most bytes one execution may write.
pub const MAX_OUTPUT: usize = 16 << 20;

pub(crate) struct Exec<'t, 'd> {
    pub tmpl: &'t Template,
    pub out: String,
    pub vars: Vec<(String, Val<'d>)>,
    pub depth: usize,
}

pub(crate) enum Flow {
    Normal,
    Break,
    Continue,
}

pub(crate) fn err(span: &Span, kind: ExecErrorKind) -> ExecError {
    ExecError {
        pos: span.pos,
        context: span.text.clone(),
        kind,
    }
}

fn borrowed<'d>(v: &Val<'d>, f: impl FnOnce(&Value) -> Option<&Value>) -> Option<Val<'d>> {
    match v {
        Val::NoValue => None,
        Val::Json(Cow::Borrowed(b)) => {
            let b: &'d Value = b;
            f(b).map(|x| Val::Json(Cow::Borrowed(x)))
        }
        Val::Json(Cow::Owned(o)) => f(o).map(|x| Val::owned(x.clone())),
    }
}

impl<'t, 'd> Exec<'t, 'd> {
    fn write(&mut self, s: &str, span: &Span) -> Result<(), ExecError> {
        if self.out.len() + s.len() > MAX_OUTPUT {
            return Err(err(span, ExecErrorKind::OutputTooLarge(MAX_OUTPUT)));
        }
        self.out.push_str(s);
        Ok(())
    }

    pub fn walk(&mut self, dot: &Val<'d>, nodes: &'t [Node]) -> Result<Flow, ExecError> {
        for node in nodes {
            match node {
                Node::Text(t) => {
                    if self.out.len() + t.len() > MAX_OUTPUT {
                        let span = Span {
                            pos: Pos::default(),
                            text: String::new(),
                        };
                        return Err(err(&span, ExecErrorKind::OutputTooLarge(MAX_OUTPUT)));
                    }
                    self.out.push_str(t);
                }
                Node::Action(pipe) => {
                    let v = self.pipe(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        let s = crate::gofmt::print_value(&v);
                        self.write(&s, &pipe.cmds[0].span)?;
                    }
                }
                Node::If(b) | Node::With(b) => {
                    let mark = self.vars.len();
                    let v = self.pipe(dot, &b.pipe)?;
                    let flow = if truth(&v) {
                        let inner = if matches!(node, Node::With(_)) {
                            v
                        } else {
                            dot.clone()
                        };
                        self.walk(&inner, &b.list)?
                    } else if let Some(e) = &b.else_list {
                        self.walk(dot, e)?
                    } else {
                        Flow::Normal
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(b) => {
                    let flow = self.range(dot, b)?;
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
                Node::Template { span, name, pipe } => {
                    let Some(body) = self.tmpl.defines.get(name) else {
                        return Err(err(span, ExecErrorKind::UndefinedTemplate(name.clone())));
                    };
                    let new_dot = match pipe {
                        Some(p) => self.pipe(dot, p)?,
                        None => Val::NoValue,
                    };
                    if self.depth >= MAX_EXEC_DEPTH {
                        return Err(err(span, ExecErrorKind::TooDeep(MAX_EXEC_DEPTH)));
                    }
                    self.depth += 1;
                    // A template runs with only `$`, set to its dot.
                    let saved =
                        std::mem::replace(&mut self.vars, vec![(String::new(), new_dot.clone())]);
                    let r = self.walk(&new_dot, body);
                    self.vars = saved;
                    self.depth -= 1;
                    r?;
                }
            }
        }
        Ok(Flow::Normal)
    }

    /// Runs a range; the flow returned is the `{{else}}` list's (a `break` there belongs to an
    /// enclosing range).
    fn range(&mut self, dot: &Val<'d>, b: &'t Branch) -> Result<Flow, ExecError> {
        let mark = self.vars.len();
        let v = self.pipe_value(dot, &b.pipe)?;
        let span = &b.pipe.cmds[0].span;
        let items: Vec<(Val<'d>, Val<'d>)> = match &v {
            Val::NoValue => Vec::new(),
            Val::Json(j) => match &**j {
                Value::Array(a) => (0..a.len())
                    .filter_map(|i| {
                        borrowed(&v, |x| x.as_array().and_then(|a| a.get(i)))
                            .map(|e| (Val::int(i64::try_from(i).unwrap_or(i64::MAX)), e))
                    })
                    .collect(),
                // Go ranges over a map in key order (a struct is refused below).
                Value::Object(m) if !is_struct(m) => {
                    let mut keys: Vec<String> = m.keys().cloned().collect();
                    keys.sort();
                    keys.into_iter()
                        .filter_map(|k| borrowed(&v, |x| x.get(&k)).map(|e| (Val::str(k), e)))
                        .collect()
                }
                _ => {
                    return Err(err(
                        span,
                        ExecErrorKind::CannotRange(crate::gofmt::print_value(&v)),
                    ))
                }
            },
        };
        if items.is_empty() {
            let mut flow = Flow::Normal;
            if let Some(e) = &b.else_list {
                flow = self.walk(dot, e)?;
            }
            self.vars.truncate(mark);
            return Ok(flow);
        }
        for (key, elem) in items {
            let iter_mark = self.vars.len();
            match b.pipe.decl.as_slice() {
                [] => {}
                [one] => self.set_var(one, elem.clone(), b.pipe.assign),
                [k, e, ..] => {
                    self.set_var(k, key, b.pipe.assign);
                    self.set_var(e, elem.clone(), b.pipe.assign);
                }
            }
            let flow = self.walk(&elem, &b.list)?;
            self.vars.truncate(iter_mark);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn set_var(&mut self, name: &str, v: Val<'d>, assign: bool) {
        if assign {
            if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                slot.1 = v;
                return;
            }
        }
        self.vars.push((name.to_string(), v));
    }

    /// A pipeline's value, and its declarations made.
    pub fn pipe(&mut self, dot: &Val<'d>, pipe: &'t Pipe) -> Result<Val<'d>, ExecError> {
        let v = self.pipe_value(dot, pipe)?;
        for name in &pipe.decl {
            self.set_var(name, v.clone(), pipe.assign);
        }
        Ok(v)
    }

    /// A pipeline's value, without its declarations (`range` makes them per element).
    fn pipe_value(&mut self, dot: &Val<'d>, pipe: &'t Pipe) -> Result<Val<'d>, ExecError> {
        let mut prev: Option<Val<'d>> = None;
        for cmd in &pipe.cmds {
            prev = Some(self.cmd(dot, cmd, prev)?);
        }
        Ok(prev.unwrap_or(Val::NoValue))
    }

    fn cmd(
        &mut self,
        dot: &Val<'d>,
        cmd: &'t Cmd,
        last: Option<Val<'d>>,
    ) -> Result<Val<'d>, ExecError> {
        let first = &cmd.args[0];
        let has_args = cmd.args.len() > 1 || last.is_some();
        match &first.kind {
            ArgKind::Func(name) => funcs::call(self, dot, name, &cmd.span, &cmd.args[1..], last),
            ArgKind::Nil => Err(err(&first.span, ExecErrorKind::NotACommand("nil".into()))),
            _ if has_args => Err(err(
                &first.span,
                ExecErrorKind::NotAFunction(first.span.text.clone()),
            )),
            _ => self.arg(dot, first),
        }
    }

    /// An argument's value (a function name as an argument is called with no arguments).
    pub fn arg(&mut self, dot: &Val<'d>, arg: &'t Arg) -> Result<Val<'d>, ExecError> {
        match &arg.kind {
            ArgKind::Dot => Ok(dot.clone()),
            // Go passes an untyped nil as the invalid value.
            ArgKind::Nil => Ok(Val::NoValue),
            ArgKind::Bool(b) => Ok(Val::bool(*b)),
            ArgKind::Number(Number::Int(i)) => Ok(Val::int(*i)),
            ArgKind::Number(Number::Float(f)) => Ok(Val::owned(
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            )),
            ArgKind::Str(s) => Ok(Val::str(s.clone())),
            ArgKind::Func(name) => funcs::call(self, dot, name, &arg.span, &[], None),
            ArgKind::Field(chain) => self.fields(dot.clone(), chain, &arg.span),
            ArgKind::Var(name, chain) => {
                let v = self
                    .vars
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map_or(Val::NoValue, |(_, v)| v.clone());
                self.fields(v, chain, &arg.span)
            }
            ArgKind::Chain(pipe, chain) => {
                let v = self.pipe(dot, pipe)?;
                self.fields(v, chain, &arg.span)
            }
        }
    }

    fn fields(&self, mut v: Val<'d>, chain: &[String], span: &Span) -> Result<Val<'d>, ExecError> {
        for name in chain {
            v = field(v, name, span)?;
        }
        Ok(v)
    }
}

/// `.name` on a value: a struct's missing field is an error naming the fields there are; a
/// map's missing key is `<no value>`; a nil pointer is an error (Go's rules, see `value`).
fn field<'d>(recv: Val<'d>, name: &str, span: &Span) -> Result<Val<'d>, ExecError> {
    let Some(j) = recv.json() else {
        return Ok(Val::NoValue);
    };
    match j {
        Value::Object(m) => {
            if let Some(v) = borrowed(&recv, |x| x.get(name)) {
                return Ok(v);
            }
            if is_struct(m) {
                Err(err(
                    span,
                    ExecErrorKind::NoField {
                        field: name.to_string(),
                        type_name: "struct".into(),
                        available: m.keys().cloned().collect(),
                    },
                ))
            } else {
                Ok(Val::NoValue)
            }
        }
        Value::Null => Err(err(
            span,
            ExecErrorKind::NilPointer {
                field: name.to_string(),
            },
        )),
        _ => Err(err(
            span,
            ExecErrorKind::NoField {
                field: name.to_string(),
                type_name: type_name(&recv),
                available: Vec::new(),
            },
        )),
    }
}
