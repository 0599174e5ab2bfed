//! The functions a template can call: Go's predefined ones (`and or not len index slice print
//! printf println html js urlquery eq ne lt le gt ge call`) and the ones podman adds in
//! containers/common `pkg/report` (`json lower upper title truncate pad split join`).

use serde_json::Value;

use crate::error::{ExecError, ExecErrorKind};
use crate::exec::{err, Exec, MAX_OUTPUT};
use crate::gofmt;
use crate::parse::{Arg, Span};
use crate::value::{as_int, as_num, is_struct, truth, type_name, Num, Val};

/// Every function name a template may use.
pub const NAMES: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js",
    "urlquery", "eq", "ne", "lt", "le", "gt", "ge", "call", // Go's
    "json", "lower", "upper", "title", "truncate", "pad", "split", "join", // podman's
];

pub(crate) fn is_func(name: &str) -> bool {
    NAMES.contains(&name)
}

fn call_err(span: &Span, func: &str, message: impl Into<String>) -> ExecError {
    err(
        span,
        ExecErrorKind::Call {
            func: func.to_string(),
            message: message.into(),
        },
    )
}

fn arity(span: &Span, func: &str, want: &str, got: usize) -> ExecError {
    err(
        span,
        ExecErrorKind::WrongArgCount {
            func: func.to_string(),
            want: want.to_string(),
            got,
        },
    )
}

fn want_str(span: &Span, v: &Val<'_>) -> Result<String, ExecError> {
    match v.json() {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(err(
            span,
            ExecErrorKind::WrongType {
                expected: "string",
                got: type_name(v),
            },
        )),
    }
}

fn want_int(span: &Span, v: &Val<'_>) -> Result<i64, ExecError> {
    as_int(v).ok_or_else(|| {
        err(
            span,
            ExecErrorKind::WrongType {
                expected: "int",
                got: type_name(v),
            },
        )
    })
}

/// A count for Go's `strings.Repeat`: negative is Go's error, too large ours.
fn repeat_count(span: &Span, n: i64) -> Result<usize, ExecError> {
    if n < 0 {
        return Err(call_err(span, "pad", "strings: negative Repeat count"));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > MAX_OUTPUT {
        return Err(err(span, ExecErrorKind::OutputTooLarge(MAX_OUTPUT)));
    }
    Ok(n)
}

/// Calls function `name` with the unevaluated `args`, and the previous command's value `last`
/// as the final argument.
pub(crate) fn call<'t, 'd>(
    ex: &mut Exec<'t, 'd>,
    dot: &Val<'d>,
    name: &str,
    span: &Span,
    args: &'t [Arg],
    last: Option<Val<'d>>,
) -> Result<Val<'d>, ExecError> {
    let count = args.len() + usize::from(last.is_some());
    // `and` and `or` evaluate their arguments one by one and stop at the deciding one.
    if name == "and" || name == "or" {
        if count == 0 {
            return Err(arity(span, name, "at least 1", 0));
        }
        let want = name == "or";
        let mut v = Val::NoValue;
        for a in args {
            v = ex.arg(dot, a)?;
            if truth(&v) == want {
                return Ok(v);
            }
        }
        if let Some(l) = last {
            v = l;
        }
        return Ok(v);
    }
    let mut vals = Vec::with_capacity(count);
    for a in args {
        vals.push(ex.arg(dot, a)?);
    }
    if let Some(l) = last {
        vals.push(l);
    }
    let exact = |n: usize| -> Result<(), ExecError> {
        if vals.len() == n {
            Ok(())
        } else {
            Err(arity(span, name, &n.to_string(), vals.len()))
        }
    };
    let at_least = |n: usize| -> Result<(), ExecError> {
        if vals.len() >= n {
            Ok(())
        } else {
            Err(arity(span, name, &format!("at least {n}"), vals.len()))
        }
    };
    let out = match name {
        "not" => {
            exact(1)?;
            Val::bool(!truth(&vals[0]))
        }
        "len" => {
            exact(1)?;
            let n = match vals[0].json() {
                Some(Value::String(s)) => s.len(),
                Some(Value::Array(a)) => a.len(),
                Some(Value::Object(m)) => m.len(),
                Some(Value::Null) => return Err(call_err(span, name, "len of nil pointer")),
                _ => {
                    return Err(call_err(
                        span,
                        name,
                        format!("len of type {}", type_name(&vals[0])),
                    ))
                }
            };
            Val::int(i64::try_from(n).unwrap_or(i64::MAX))
        }
        "index" => {
            at_least(1)?;
            let mut vals = vals.into_iter();
            let mut item = vals.next().unwrap_or(Val::NoValue);
            for key in vals {
                item = index(span, item, &key)?;
            }
            item
        }
        "slice" => {
            at_least(1)?;
            slice(span, &vals)?
        }
        "print" => Val::str(gofmt::sprint(&vals)),
        "println" => Val::str(gofmt::sprintln(&vals)),
        "printf" => {
            at_least(1)?;
            let format = want_str(span, &vals[0])?;
            Val::str(gofmt::sprintf(&format, &vals[1..]))
        }
        "html" | "js" | "urlquery" => {
            // Go's evalArgs: a lone string as is, anything else through Sprint.
            let s = match vals.as_slice() {
                [v] if matches!(v.json(), Some(Value::String(_))) => want_str(span, v)?,
                _ => gofmt::sprint(&vals),
            };
            Val::str(match name {
                "html" => gofmt::html_escape(&s),
                "js" => gofmt::js_escape(&s),
                _ => gofmt::url_query_escape(&s),
            })
        }
        "eq" | "ne" => {
            at_least(1)?;
            if vals.len() < 2 {
                return Err(call_err(span, name, "missing argument for comparison"));
            }
            let mut any = false;
            for other in &vals[1..] {
                if eq(&vals[0], other).map_err(|m| call_err(span, name, m))? {
                    any = true;
                    break;
                }
            }
            if name == "ne" {
                if vals.len() != 2 {
                    return Err(arity(span, name, "2", vals.len()));
                }
                Val::bool(!any)
            } else {
                Val::bool(any)
            }
        }
        "lt" | "le" | "gt" | "ge" => {
            exact(2)?;
            let lt = less(&vals[0], &vals[1]).map_err(|m| call_err(span, name, m))?;
            let e = || eq(&vals[0], &vals[1]).map_err(|m| call_err(span, name, m));
            Val::bool(match name {
                "lt" => lt,
                "le" => lt || e()?,
                "gt" => !lt && !e()?,
                _ => !lt,
            })
        }
        "call" => {
            at_least(1)?;
            // The data are JSON: nothing in them is a function.
            return Err(call_err(
                span,
                name,
                format!("non-function of type {}", type_name(&vals[0])),
            ));
        }
        "json" => {
            exact(1)?;
            Val::str(gofmt::json(&vals[0]))
        }
        "lower" => {
            exact(1)?;
            Val::str(want_str(span, &vals[0])?.to_lowercase())
        }
        "upper" => {
            exact(1)?;
            Val::str(want_str(span, &vals[0])?.to_uppercase())
        }
        "title" => {
            exact(1)?;
            Val::str(gofmt::title(&want_str(span, &vals[0])?))
        }
        "truncate" => {
            // podman: truncate(source string, length int) cuts to at most `length` bytes; we
            // cut at a character boundary so the output stays UTF-8.
            exact(2)?;
            let s = want_str(span, &vals[0])?;
            let n = usize::try_from(want_int(span, &vals[1])?.max(0)).unwrap_or(usize::MAX);
            if s.len() < n {
                Val::str(s)
            } else {
                let mut end = n;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                Val::str(&s[..end])
            }
        }
        "pad" => {
            // podman: pad(source string, prefix, suffix int): spaces around a non-empty string.
            exact(3)?;
            let s = want_str(span, &vals[0])?;
            let before = repeat_count(span, want_int(span, &vals[1])?)?;
            let after = repeat_count(span, want_int(span, &vals[2])?)?;
            if s.is_empty() {
                Val::str(s)
            } else {
                Val::str(format!("{}{s}{}", " ".repeat(before), " ".repeat(after)))
            }
        }
        "split" => {
            // Go's strings.Split: an empty separator splits after each character.
            exact(2)?;
            let s = want_str(span, &vals[0])?;
            let sep = want_str(span, &vals[1])?;
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep.as_str())
                    .map(|p| Value::String(p.to_string()))
                    .collect()
            };
            Val::owned(Value::Array(parts))
        }
        "join" => {
            exact(2)?;
            let sep = want_str(span, &vals[1])?;
            let parts = match vals[0].json() {
                Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(&sep),
                Some(Value::Null) => String::new(),
                _ => {
                    return Err(err(
                        span,
                        ExecErrorKind::WrongType {
                            expected: "[]string",
                            got: type_name(&vals[0]),
                        },
                    ))
                }
            };
            Val::str(parts)
        }
        other => {
            return Err(call_err(span, other, "function not defined"));
        }
    };
    Ok(out)
}

fn index<'d>(span: &Span, item: Val<'d>, key: &Val<'_>) -> Result<Val<'d>, ExecError> {
    let Some(j) = item.json() else {
        return Err(call_err(span, "index", "index of untyped nil"));
    };
    match j {
        Value::Array(a) => {
            let i = position(span, "index", key, a.len())?;
            if i >= a.len() {
                return Err(call_err(span, "index", format!("index out of range: {i}")));
            }
            Ok(element(&item, |v| v.as_array().and_then(|a| a.get(i))))
        }
        Value::String(s) => {
            let i = position(span, "index", key, s.len())?;
            match s.as_bytes().get(i) {
                Some(b) => Ok(Val::int(i64::from(*b))),
                None => Err(call_err(span, "index", format!("index out of range: {i}"))),
            }
        }
        Value::Object(m) if is_struct(m) => {
            Err(call_err(span, "index", "can't index item of type struct"))
        }
        Value::Object(m) => {
            let Some(Value::String(k)) = key.json() else {
                return Err(call_err(
                    span,
                    "index",
                    format!("value has type {}; should be string", type_name(key)),
                ));
            };
            if m.contains_key(k) {
                return Ok(element(&item, |v| v.get(k.as_str())));
            }
            // Go gives the map's zero value: "" for map[string]string (podman's labels).
            if !is_struct(m) && m.values().all(Value::is_string) {
                Ok(Val::str(""))
            } else {
                Ok(Val::NoValue)
            }
        }
        Value::Null => Ok(Val::NoValue),
        _ => Err(call_err(
            span,
            "index",
            format!("can't index item of type {}", type_name(&item)),
        )),
    }
}

fn element<'d>(item: &Val<'d>, f: impl FnOnce(&Value) -> Option<&Value>) -> Val<'d> {
    match item {
        Val::NoValue => Val::NoValue,
        Val::Json(std::borrow::Cow::Borrowed(b)) => {
            let b: &'d Value = b;
            f(b).map_or(Val::NoValue, |x| Val::Json(std::borrow::Cow::Borrowed(x)))
        }
        Val::Json(std::borrow::Cow::Owned(o)) => {
            f(o).map_or(Val::NoValue, |x| Val::owned(x.clone()))
        }
    }
}

fn position(span: &Span, func: &str, key: &Val<'_>, _len: usize) -> Result<usize, ExecError> {
    let Some(i) = as_int(key) else {
        return Err(call_err(
            span,
            func,
            format!("cannot index slice/array with type {}", type_name(key)),
        ));
    };
    usize::try_from(i).map_err(|_| call_err(span, func, format!("index out of range: {i}")))
}

fn slice<'d>(span: &Span, vals: &[Val<'d>]) -> Result<Val<'d>, ExecError> {
    let item = &vals[0];
    let len = match item.json() {
        Some(Value::String(s)) => s.len(),
        Some(Value::Array(a)) => a.len(),
        _ => {
            return Err(call_err(
                span,
                "slice",
                format!("can't slice item of type {}", type_name(item)),
            ))
        }
    };
    let idx = &vals[1..];
    if idx.len() > 3 {
        return Err(call_err(
            span,
            "slice",
            format!("too many slice indexes: {}", idx.len()),
        ));
    }
    let mut cuts = [0usize, len, len];
    for (k, v) in idx.iter().enumerate() {
        let i = position(span, "slice", v, len)?;
        if i > len {
            return Err(call_err(span, "slice", format!("index out of range: {i}")));
        }
        cuts[k] = i;
    }
    if idx.len() < 2 {
        cuts[1] = len;
    }
    if cuts[0] > cuts[1] {
        return Err(call_err(
            span,
            "slice",
            format!("invalid slice index: {} > {}", cuts[0], cuts[1]),
        ));
    }
    match item.json() {
        Some(Value::String(s)) => {
            if idx.len() == 3 {
                return Err(call_err(span, "slice", "cannot 3-index slice a string"));
            }
            let b = &s.as_bytes()[cuts[0]..cuts[1]];
            Ok(Val::str(String::from_utf8_lossy(b).into_owned()))
        }
        Some(Value::Array(a)) => {
            if idx.len() == 3 && cuts[1] > cuts[2] {
                return Err(call_err(
                    span,
                    "slice",
                    format!("invalid slice index: {} > {}", cuts[1], cuts[2]),
                ));
            }
            Ok(Val::owned(Value::Array(a[cuts[0]..cuts[1]].to_vec())))
        }
        _ => Ok(Val::NoValue),
    }
}

#[derive(PartialEq, Clone, Copy, Debug)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Str,
    Other,
}

fn kind(v: &Val<'_>) -> Kind {
    match v.json() {
        None => Kind::Invalid,
        Some(Value::Bool(_)) => Kind::Bool,
        Some(n @ Value::Number(_)) => match as_num(n) {
            Some(Num::Int(_)) => Kind::Int,
            Some(Num::Uint(_)) => Kind::Uint,
            _ => Kind::Float,
        },
        Some(Value::String(_)) => Kind::Str,
        Some(_) => Kind::Other,
    }
}

fn ints(a: &Val<'_>, b: &Val<'_>) -> Option<(i128, i128)> {
    let n = |v: &Val<'_>| match v.json().and_then(as_num) {
        Some(Num::Int(i)) => Some(i128::from(i)),
        Some(Num::Uint(u)) => Some(i128::from(u)),
        _ => None,
    };
    Some((n(a)?, n(b)?))
}

fn floats(a: &Val<'_>, b: &Val<'_>) -> Option<(f64, f64)> {
    let f = |v: &Val<'_>| match v.json().and_then(as_num) {
        Some(Num::Float(x)) => Some(x),
        _ => None,
    };
    Some((f(a)?, f(b)?))
}

/// Go's `eq` for two values: basic kinds compare by value (signed and unsigned integers with
/// each other), different kinds are an error, nil equals only nil.
fn eq(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    let (ka, kb) = (kind(a), kind(b));
    let int_like = |k| matches!(k, Kind::Int | Kind::Uint);
    let nil = |v: &Val<'_>| matches!(v.json(), None | Some(Value::Null));
    if ka == Kind::Invalid || kb == Kind::Invalid {
        // An untyped nil equals a nil pointer and nothing else.
        return Ok(nil(a) && nil(b));
    }
    if ka != kb && !(int_like(ka) && int_like(kb)) {
        return Err("incompatible types for comparison".into());
    }
    Ok(match ka {
        Kind::Invalid => true,
        Kind::Bool => a.json() == b.json(),
        Kind::Int | Kind::Uint => ints(a, b).is_some_and(|(x, y)| x == y),
        Kind::Float => floats(a, b).is_some_and(|(x, y)| x == y),
        Kind::Str => a.json() == b.json(),
        Kind::Other => {
            let (x, y) = (a.json(), b.json());
            let nil = |v: Option<&Value>| matches!(v, Some(Value::Null));
            if nil(x) || nil(y) {
                nil(x) && nil(y)
            } else {
                return Err(format!("non-comparable type {}", type_name(a)));
            }
        }
    })
}

/// Go's `lt`: integers, floats and strings; booleans and everything else are refused.
fn less(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    let (ka, kb) = (kind(a), kind(b));
    let int_like = |k| matches!(k, Kind::Int | Kind::Uint);
    let basic = |k| matches!(k, Kind::Int | Kind::Uint | Kind::Float | Kind::Str);
    if !basic(ka) || !basic(kb) {
        return Err("invalid type for comparison".into());
    }
    if ka != kb && !(int_like(ka) && int_like(kb)) {
        return Err("incompatible types for comparison".into());
    }
    Ok(match ka {
        Kind::Int | Kind::Uint => ints(a, b).is_some_and(|(x, y)| x < y),
        Kind::Float => floats(a, b).is_some_and(|(x, y)| x < y),
        _ => match (a.json(), b.json()) {
            (Some(Value::String(x)), Some(Value::String(y))) => x < y,
            _ => false,
        },
    })
}
