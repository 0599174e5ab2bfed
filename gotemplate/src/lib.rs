//! Go's `text/template`, over JSON data, with the functions podman adds: what rpod's
//! `--format` runs.
//!
//! The model: a template is text with actions in `{{ }}`. An action evaluates a *pipeline*
//! (commands joined by `|`, each command's value passed as the last argument of the next) and
//! prints its value as Go's `fmt` `%v` would; control actions (`if`, `range`, `with`, `define`,
//! `template`, `block`, `break`, `continue`) choose what runs. `.` (dot) is the current value,
//! `.Name` a field of it, `$` the data the template started with, `$x` a variable.
//! The language is Go 1.19's (the Go podman 4.3 is built with); the grammar is in
//! [`parse`](crate::parse) and how JSON data stand for podman's Go values in `value`
//! (in short: an object whose keys are all capitalised is a struct, whose missing field is an
//! error; other objects are maps, whose missing key prints `<no value>`).
//!
//! Functions: Go's `and or not len index slice print printf println html js urlquery eq ne lt
//! le gt ge call`, and podman's (containers/common `pkg/report`) `json lower upper title
//! truncate pad split join`.
//!
//! ```
//! use gotemplate::Template;
//! let t = Template::parse(r#"{{.Name}}: {{range $i, $p := .Ports}}{{if $i}},{{end}}{{$p}}{{end}}"#)
//!     .expect("parses");
//! let data = serde_json::json!({"Name": "web", "Ports": [80, 443]});
//! assert_eq!(t.render(&data).expect("runs"), "web: 80,443");
//! ```
//!
//! Hostile templates are bounded: nesting (parentheses, blocks) at
//! [`parse::MAX_DEPTH`], template calls at [`exec::MAX_EXEC_DEPTH`], output at
//! [`exec::MAX_OUTPUT`] bytes; each limit is an error, not a crash.

#![forbid(unsafe_code)]

use std::collections::HashMap;

mod error;
pub mod exec;
mod funcs;
mod gofmt;
mod lex;
pub mod parse;
pub mod tabwriter;
mod value;

pub use error::{ExecError, ExecErrorKind, ParseError, ParseErrorKind};
pub use funcs::NAMES as FUNCTIONS;
pub use lex::Pos;

use parse::Node;
use value::Val;

/// A parsed template, ready to run over any data.
#[derive(Debug, Clone)]
pub struct Template {
    root: Vec<Node>,
    defines: HashMap<String, Vec<Node>>,
    src: String,
}

impl Template {
    /// Parses template source.
    ///
    /// # Errors
    /// A [`ParseError`] with the line and column of the first error.
    pub fn parse(src: &str) -> Result<Template, ParseError> {
        let parsed = parse::parse(src, &funcs::is_func)?;
        Ok(Template {
            root: parsed.root,
            defines: parsed.defines,
            src: src.to_string(),
        })
    }

    /// The source the template was parsed from.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Runs the template over `data`.
    ///
    /// # Errors
    /// An [`ExecError`] naming the action and its position: a missing struct field (with the
    /// fields there are), a function called with wrong arguments, an output over the limit.
    pub fn render(&self, data: &serde_json::Value) -> Result<String, ExecError> {
        let dot = Val::Json(std::borrow::Cow::Borrowed(data));
        let mut ex = exec::Exec {
            tmpl: self,
            out: String::new(),
            vars: vec![(String::new(), dot.clone())],
            depth: 0,
        };
        ex.walk(&dot, &self.root)?;
        Ok(ex.out)
    }

    /// [`Template::render`], where the objects at `structs` (JSON pointers, RFC 6901, in
    /// which a `*` segment stands for every member of an object or array) are Go structs: the
    /// data's own way to say what JSON cannot, that an empty object is `struct{}` (printed
    /// `{}`, true) rather than an empty map (`map[]`, false). A pointer that names nothing, or
    /// something other than an object, declares nothing.
    ///
    /// ```
    /// use gotemplate::Template;
    /// let data = serde_json::json!({"Ports": {"80/tcp": {}}, "Labels": {}});
    /// let t = Template::parse("{{.Ports}} {{.Labels}}").expect("parses");
    /// assert_eq!(t.render_typed(&data, &["/Ports/*"]).expect("runs"), "map[80/tcp:{}] map[]");
    /// assert_eq!(t.render(&data).expect("runs"), "map[80/tcp:map[]] map[]");
    /// ```
    ///
    /// # Errors
    /// As [`Template::render`].
    pub fn render_typed(
        &self,
        data: &serde_json::Value,
        structs: &[&str],
    ) -> Result<String, ExecError> {
        let mut found = Vec::new();
        for p in structs {
            resolve(data, p, &mut found);
        }
        let _declared = value::declare_structs(found.into_iter());
        self.render(data)
    }
}

/// The objects JSON pointer `pointer` names in `data`, `*` standing for every member.
fn resolve<'d>(
    data: &'d serde_json::Value,
    pointer: &str,
    out: &mut Vec<&'d serde_json::Map<String, serde_json::Value>>,
) {
    use serde_json::Value;
    let Some(rest) = pointer.strip_prefix('/') else {
        if pointer.is_empty() {
            if let Value::Object(m) = data {
                out.push(m);
            }
        }
        return;
    };
    let (segment, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let children: Vec<&Value> = match (segment, data) {
        ("*", Value::Object(m)) => m.values().collect(),
        ("*", Value::Array(a)) => a.iter().collect(),
        (s, Value::Object(m)) => m
            .get(&s.replace("~1", "/").replace("~0", "~"))
            .into_iter()
            .collect(),
        (s, Value::Array(a)) => s
            .parse::<usize>()
            .ok()
            .and_then(|i| a.get(i))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    for c in children {
        resolve(c, tail, out);
    }
}

#[cfg(test)]
mod tests;
