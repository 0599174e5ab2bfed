//! Values while a template runs, and how JSON data stand for podman's Go values.
//!
//! The data are `serde_json::Value`s. Go's rules depend on types the JSON does not carry, so
//! these are the conventions (each one a Go rule applied to what the JSON most likely was):
//!
//! - A JSON integer is a Go `int`, a JSON float a `float64` (so `3.0` prints `3`, and `eq 1 1.0`
//!   is an error as in Go), a string a `string`, a bool a `bool`.
//! - `null` is a nil pointer: it prints `<nil>`, is false, ranges zero times.
//! - An object is a **struct** when it has fields and every key starts with an ASCII capital
//!   letter (Go's exported fields), otherwise a **map** (labels, annotations: their keys are
//!   free text). The difference shows in four places, as in Go: a missing field of a struct is
//!   an error, of a map `<no value>`; `%v` prints a struct's values in field order `{a b}` and
//!   a map as `map[k:v]` in key order; `json` keeps a struct's field order and sorts a map's
//!   keys; `index` of a missing map key is `""` when the map's values are strings
//!   (`map[string]string`, podman's labels), else `<no value>`.
//! - An empty object is a map, unless the caller declares it a struct: JSON cannot tell
//!   `struct{}` from an empty map, so [`crate::Template::render_typed`] takes the JSON
//!   pointers of the data's struct values (a `*` segment for every member), and those print
//!   `{}` and are true, as Go's empty struct.
//! - Go's invalid value (a missing map key) is [`Val::NoValue`], printed `<no value>`.

use std::borrow::Cow;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'d> {
    /// Go's invalid `reflect.Value`: what a missing map key gives.
    NoValue,
    Json(Cow<'d, Value>),
}

impl<'d> Val<'d> {
    pub fn owned(v: Value) -> Val<'d> {
        Val::Json(Cow::Owned(v))
    }

    pub fn str(s: impl Into<String>) -> Val<'d> {
        Val::owned(Value::String(s.into()))
    }

    pub fn int(i: i64) -> Val<'d> {
        Val::owned(Value::from(i))
    }

    pub fn bool(b: bool) -> Val<'d> {
        Val::owned(Value::Bool(b))
    }

    pub fn json(&self) -> Option<&Value> {
        match self {
            Val::NoValue => None,
            Val::Json(v) => Some(v),
        }
    }
}

std::thread_local! {
    /// The objects of the data being rendered that the caller declared Go structs
    /// ([`crate::Template::render_typed`]), by address: the data are borrowed for the whole
    /// render, so an object reached by field access, `index` or `range` is the same object.
    /// Empty outside a render.
    static DECLARED_STRUCTS: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn address(map: &serde_json::Map<String, Value>) -> usize {
    std::ptr::from_ref(map) as usize
}

/// Declares the objects `structs` of the data about to be rendered Go structs, until the
/// returned guard is dropped.
pub(crate) fn declare_structs<'d>(
    structs: impl Iterator<Item = &'d serde_json::Map<String, Value>>,
) -> DeclaredStructs {
    let addresses: Vec<usize> = structs.map(address).collect();
    let previous = DECLARED_STRUCTS.with(|d| std::mem::replace(&mut *d.borrow_mut(), addresses));
    DeclaredStructs { previous }
}

/// Restores the declarations of an outer render when a render ends.
pub(crate) struct DeclaredStructs {
    previous: Vec<usize>,
}

impl Drop for DeclaredStructs {
    fn drop(&mut self) {
        let previous = std::mem::take(&mut self.previous);
        DECLARED_STRUCTS.with(|d| *d.borrow_mut() = previous);
    }
}

/// Whether an object stands for a Go struct (see the module docs): declared one by the
/// caller, or with fields that are all exported names. An empty object is a map unless
/// declared (Go's `struct{}`, podman's `ExposedPorts` values, prints `{}`; an empty map
/// `map[]`).
pub(crate) fn is_struct(map: &serde_json::Map<String, Value>) -> bool {
    let named = !map.is_empty()
        && map
            .keys()
            .all(|k| k.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
    named || DECLARED_STRUCTS.with(|d| d.borrow().contains(&address(map)))
}

/// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
pub(crate) fn truth(v: &Val<'_>) -> bool {
    match v {
        Val::NoValue => false,
        Val::Json(v) => match &**v {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            // A struct is always true in Go; a map when it has entries.
            Value::Object(m) => !m.is_empty() || is_struct(m),
        },
    }
}

/// The Go type name of a value, as `printf`'s error markers and error messages show it.
pub(crate) fn type_name(v: &Val<'_>) -> String {
    match v.json() {
        None | Some(Value::Null) => "<nil>".into(),
        Some(Value::Bool(_)) => "bool".into(),
        Some(Value::Number(n)) => {
            if n.is_f64() {
                "float64".into()
            } else {
                "int".into()
            }
        }
        Some(Value::String(_)) => "string".into(),
        Some(Value::Array(a)) => {
            if !a.is_empty() && a.iter().all(Value::is_string) {
                "[]string".into()
            } else {
                "[]interface {}".into()
            }
        }
        Some(Value::Object(m)) => {
            if is_struct(m) {
                "struct".into()
            } else if m.values().all(Value::is_string) {
                "map[string]string".into()
            } else {
                "map[string]interface {}".into()
            }
        }
    }
}

/// A number's kind for Go's comparison rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Uint(u64),
    Float(f64),
}

pub(crate) fn as_num(v: &Value) -> Option<Num> {
    let Value::Number(n) = v else { return None };
    if n.is_f64() {
        n.as_f64().map(Num::Float)
    } else if let Some(i) = n.as_i64() {
        Some(Num::Int(i))
    } else {
        n.as_u64().map(Num::Uint)
    }
}

pub(crate) fn as_int(v: &Val<'_>) -> Option<i64> {
    match v.json().and_then(as_num) {
        Some(Num::Int(i)) => Some(i),
        Some(Num::Uint(u)) => i64::try_from(u).ok(),
        _ => None,
    }
}
