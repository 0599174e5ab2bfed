//! Strict loading of profile JSON, reporting every problem with its JSON path.
//!
//! serde's derive stops at the first error and cannot say "did you mean"; a reviewer fixing a
//! profile wants the whole list at once, so the JSON is walked by hand.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::arch::Arch;
use crate::model::{
    ActionKind, ArchMapEntry, ArchName, ArgCondition, Filter, Flag, KernelVersion, Op, Profile,
    Rule,
};
use crate::{caps, errno, suggest, syscalls};

/// Profiles larger than this are refused before parsing (podman's default is 20 KiB).
pub const MAX_PROFILE_BYTES: usize = 16 * 1024 * 1024;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in a profile, located by its JSON path (`syscalls[12].args[0].op`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.path.is_empty() {
            write!(f, "{sev}: {}", self.message)?;
        } else {
            write!(f, "{sev}: {}: {}", self.path, self.message)?;
        }
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// Every problem found; at least one is an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.problems))]
pub struct Invalid {
    pub problems: Vec<Problem>,
}

fn summary(problems: &[Problem]) -> String {
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let first = problems
        .iter()
        .find(|p| p.severity == Severity::Error)
        .map(|p| p.to_string().trim_start_matches("error: ").to_string())
        .unwrap_or_default();
    if errors == 1 {
        first
    } else {
        format!("{first} (and {} more errors)", errors - 1)
    }
}

/// A loaded profile and the warnings about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub profile: Profile,
    pub warnings: Vec<Problem>,
}

/// Parses profile JSON strictly. Unknown fields, actions, ops, arches, flags, capabilities,
/// errno names and syscall names are errors (with the nearest valid name as a hint).
///
/// # Errors
/// Returns every problem found when any of them is an error.
pub fn from_str(text: &str) -> Result<Loaded, Invalid> {
    if text.len() > MAX_PROFILE_BYTES {
        return Err(Invalid {
            problems: vec![Problem {
                severity: Severity::Error,
                path: String::new(),
                message: format!(
                    "profile is {} bytes, more than the {} byte limit",
                    text.len(),
                    MAX_PROFILE_BYTES
                ),
                hint: None,
            }],
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| Invalid {
        problems: vec![Problem {
            severity: Severity::Error,
            path: String::new(),
            message: format!("not valid JSON: {e}"),
            hint: None,
        }],
    })?;
    from_value(&value)
}

/// Like [`from_str`] for an already parsed JSON value.
///
/// # Errors
/// Returns every problem found when any of them is an error.
pub fn from_value(value: &Value) -> Result<Loaded, Invalid> {
    let mut cx = Cx::default();
    let profile = cx.profile(value);
    if cx.problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(Invalid {
            problems: cx.problems,
        });
    }
    Ok(Loaded {
        profile: profile.expect("no errors means a profile was built"),
        warnings: cx.problems,
    })
}

#[derive(Default)]
struct Cx {
    problems: Vec<Problem>,
}

const TOP_FIELDS: &[&str] = &[
    "defaultAction",
    "defaultErrnoRet",
    "defaultErrno",
    "architectures",
    "archMap",
    "syscalls",
    "flags",
    "listenerPath",
    "listenerMetadata",
];
const RULE_FIELDS: &[&str] = &[
    "names", "name", "action", "errnoRet", "errno", "args", "comment", "includes", "excludes",
];
const ARG_FIELDS: &[&str] = &["index", "value", "valueTwo", "op"];
const FILTER_FIELDS: &[&str] = &["caps", "arches", "minKernel"];
const ARCHMAP_FIELDS: &[&str] = &["architecture", "subArchitectures"];

impl Cx {
    fn error(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.problems.push(Problem {
            severity: Severity::Error,
            path: path.to_string(),
            message: message.into(),
            hint,
        });
    }

    fn warning(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.problems.push(Problem {
            severity: Severity::Warning,
            path: path.to_string(),
            message: message.into(),
            hint,
        });
    }

    fn object<'v>(
        &mut self,
        path: &str,
        v: &'v Value,
        known: &[&'static str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(map) = v.as_object() else {
            self.error(path, format!("expected an object, found {}", kind(v)), None);
            return None;
        };
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let hint = suggest::nearest(key, known.iter().copied())
                    .map(|s| format!("did you mean '{s}'?"))
                    .or_else(|| Some(format!("known fields: {}", known.join(", "))));
                self.error(&join(path, key), format!("unknown field '{key}'"), hint);
            }
        }
        Some(map)
    }

    fn array<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v Vec<Value>> {
        // Go marshals a nil slice as `null` (moby's riscv64 archMap entry has
        // `"subArchitectures": null`), so null reads as an empty list.
        static EMPTY: Vec<Value> = Vec::new();
        if v.is_null() {
            return Some(&EMPTY);
        }
        if let Some(a) = v.as_array() {
            Some(a)
        } else {
            self.error(path, format!("expected an array, found {}", kind(v)), None);
            None
        }
    }

    fn string<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v str> {
        if let Some(s) = v.as_str() {
            Some(s)
        } else {
            self.error(path, format!("expected a string, found {}", kind(v)), None);
            None
        }
    }

    fn u64(&mut self, path: &str, v: &Value) -> Option<u64> {
        if let Some(n) = v.as_u64() {
            return Some(n);
        }
        let hint = match v {
            Value::Number(n) if n.as_i64().is_some() => Some(
                "seccomp compares unsigned 64-bit values; write a negative number in two's complement"
                    .to_string(),
            ),
            Value::String(s) if s.starts_with("0x") => Some(
                "JSON has no hex numbers; write the value in decimal".to_string(),
            ),
            _ => None,
        };
        self.error(
            path,
            format!("expected an unsigned 64-bit integer, found {}", kind(v)),
            hint,
        );
        None
    }

    fn action(&mut self, path: &str, v: &Value) -> Option<ActionKind> {
        let s = self.string(path, v)?;
        if let Some(a) = ActionKind::from_scmp_name(s) {
            return Some(a);
        }
        let hint = suggest::nearest(s, ActionKind::ALL.iter().map(|a| a.scmp_name()))
            .map(|s| format!("did you mean '{s}'?"));
        self.error(path, format!("unknown action '{s}'"), hint);
        None
    }

    /// An errno given as a number or a name (`"ENOSYS"`).
    fn errno(&mut self, path: &str, v: &Value) -> Option<u32> {
        match v {
            Value::String(s) => {
                if let Some(n) = errno::number(s) {
                    Some(u32::from(n))
                } else {
                    let hint = errno::suggest(s).map(|s| format!("did you mean '{s}'?"));
                    self.error(path, format!("unknown errno name '{s}'"), hint);
                    None
                }
            }
            _ => {
                let n = self.u64(path, v)?;
                // The kernel returns SECCOMP_RET_DATA (16 bits) as a negative errno; libseccomp
                // refuses anything above MAX_ERRNO (4095).
                match u32::try_from(n) {
                    Ok(n) if n <= 4095 => Some(n),
                    _ => {
                        self.error(
                            path,
                            format!("errno {n} is out of range"),
                            Some("an errno is between 0 and 4095".into()),
                        );
                        None
                    }
                }
            }
        }
    }

    fn arch(&mut self, path: &str, v: &Value) -> Option<Arch> {
        let s = self.string(path, v)?;
        if let Some(a) = Arch::ALL.iter().find(|a| a.scmp_name() == s) {
            return Some(*a);
        }
        match s.parse::<Arch>() {
            Ok(a) => self.error(
                path,
                format!("architecture '{s}' must be written '{}'", a.scmp_name()),
                Some("profiles name architectures with SCMP_ARCH_*".into()),
            ),
            Err(e) => self.error(
                path,
                format!("unknown architecture '{s}'"),
                e.suggestion.map(|s| format!("did you mean '{s}'?")),
            ),
        }
        None
    }

    fn arches(&mut self, path: &str, v: &Value) -> Vec<Arch> {
        let Some(items) = self.array(path, v) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, a)| self.arch(&index(path, i), a))
            .collect()
    }

    fn profile(&mut self, v: &Value) -> Option<Profile> {
        let map = self.object("", v, TOP_FIELDS)?;
        let default_action = match map.get("defaultAction") {
            Some(a) => self.action("defaultAction", a),
            None => {
                self.error(
                    "defaultAction",
                    "missing field 'defaultAction'",
                    Some("add \"defaultAction\": \"SCMP_ACT_ERRNO\"".into()),
                );
                None
            }
        };
        let mut default_errno_ret = map
            .get("defaultErrnoRet")
            .and_then(|e| self.errno("defaultErrnoRet", e));
        if let Some(name) = map.get("defaultErrno") {
            if let Some(n) = self.errno("defaultErrno", name) {
                match default_errno_ret {
                    Some(r) if r != n => self.error(
                        "defaultErrno",
                        format!("says errno {n} but defaultErrnoRet says {r}"),
                        Some("remove one of them".into()),
                    ),
                    _ => default_errno_ret = Some(n),
                }
            }
        }
        if let (Some(a), Some(_)) = (default_action, default_errno_ret) {
            if !a.takes_errno() {
                self.error(
                    "defaultErrnoRet",
                    format!("{} takes no errno", a.scmp_name()),
                    Some("use SCMP_ACT_ERRNO or remove defaultErrnoRet".into()),
                );
            }
        }
        let architectures = map
            .get("architectures")
            .map(|a| self.arches("architectures", a))
            .unwrap_or_default();
        let arch_map = map
            .get("archMap")
            .map(|a| self.arch_map(a))
            .unwrap_or_default();
        let flags = map.get("flags").map(|f| self.flags(f)).unwrap_or_default();
        let listener_path = map
            .get("listenerPath")
            .and_then(|p| self.string("listenerPath", p))
            .map(str::to_string);
        let listener_metadata = map
            .get("listenerMetadata")
            .and_then(|p| self.string("listenerMetadata", p))
            .map(str::to_string);
        let mut syscalls = Vec::new();
        if let Some(list) = map.get("syscalls") {
            if !list.is_null() {
                if let Some(items) = self.array("syscalls", list) {
                    for (i, r) in items.iter().enumerate() {
                        if let Some(rule) = self.rule(&index("syscalls", i), r) {
                            syscalls.push(rule);
                        }
                    }
                }
            }
        }
        let uses_notify = default_action == Some(ActionKind::Notify)
            || syscalls.iter().any(|r| r.action == ActionKind::Notify);
        if uses_notify && listener_path.is_none() {
            self.warning(
                "listenerPath",
                "SCMP_ACT_NOTIFY is used but no listenerPath is set",
                Some("runc and crun need listenerPath to hand the notification fd to an agent; without one the container cannot start".into()),
            );
        }
        Some(Profile {
            default_action: default_action?,
            default_errno_ret,
            architectures,
            arch_map,
            flags,
            listener_path,
            listener_metadata,
            syscalls,
        })
    }

    fn arch_map(&mut self, v: &Value) -> Vec<ArchMapEntry> {
        let Some(items) = self.array("archMap", v) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = index("archMap", i);
            let Some(map) = self.object(&path, item, ARCHMAP_FIELDS) else {
                continue;
            };
            let arch = match map.get("architecture") {
                Some(a) => self.arch(&join(&path, "architecture"), a),
                None => {
                    self.error(&path, "missing field 'architecture'", None);
                    None
                }
            };
            let subs = map
                .get("subArchitectures")
                .map(|s| self.arches(&join(&path, "subArchitectures"), s))
                .unwrap_or_default();
            if let Some(architecture) = arch {
                out.push(ArchMapEntry {
                    architecture,
                    sub_architectures: subs,
                });
            }
        }
        out
    }

    fn flags(&mut self, v: &Value) -> Vec<Flag> {
        let Some(items) = self.array("flags", v) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, f) in items.iter().enumerate() {
            let path = index("flags", i);
            let Some(s) = self.string(&path, f) else {
                continue;
            };
            if let Some(flag) = Flag::from_name(s) {
                out.push(flag);
            } else {
                let hint = suggest::nearest(s, Flag::ALL.iter().map(|f| f.name()))
                    .map(|s| format!("did you mean '{s}'?"));
                self.error(&path, format!("unknown flag '{s}'"), hint);
            }
        }
        out
    }

    fn rule(&mut self, path: &str, v: &Value) -> Option<Rule> {
        let map = self.object(path, v, RULE_FIELDS)?;
        let mut names = Vec::new();
        if let Some(list) = map.get("names") {
            let p = join(path, "names");
            if let Some(items) = self.array(&p, list) {
                for (i, n) in items.iter().enumerate() {
                    if let Some(s) = self.string(&index(&p, i), n) {
                        names.push(s.to_string());
                    }
                }
            }
        }
        if let Some(n) = map.get("name") {
            // The Docker 1.10 format named one syscall per rule; moby still accepts it.
            if let Some(s) = self.string(&join(path, "name"), n) {
                names.push(s.to_string());
            }
        }
        if !map.contains_key("names") && !map.contains_key("name") {
            self.error(
                path,
                "rule names no syscall",
                Some("add \"names\": [\"...\"]".into()),
            );
        }
        let mut seen = BTreeSet::new();
        for (i, n) in names.iter().enumerate() {
            let p = if map.contains_key("names") {
                index(&join(path, "names"), i)
            } else {
                join(path, "name")
            };
            if !seen.insert(n.as_str()) {
                self.warning(&p, format!("syscall '{n}' is listed twice"), None);
            }
            if !syscalls::is_known(n) {
                let hint = syscalls::suggest(n).map(|s| format!("did you mean '{s}'?"));
                self.error(&p, format!("unknown syscall '{n}'"), hint);
            }
        }
        let action = match map.get("action") {
            Some(a) => self.action(&join(path, "action"), a),
            None => {
                self.error(path, "missing field 'action'", None);
                None
            }
        };
        let mut errno_ret = map
            .get("errnoRet")
            .and_then(|e| self.errno(&join(path, "errnoRet"), e));
        if let Some(name) = map.get("errno") {
            let p = join(path, "errno");
            if let Some(n) = self.errno(&p, name) {
                match errno_ret {
                    Some(r) if r != n => self.error(
                        &p,
                        format!("says errno {n} but errnoRet says {r}"),
                        Some("remove one of them".into()),
                    ),
                    _ => errno_ret = Some(n),
                }
            }
        }
        if let (Some(a), Some(_)) = (action, errno_ret) {
            if !a.takes_errno() {
                self.error(
                    &join(path, "errnoRet"),
                    format!("{} takes no errno", a.scmp_name()),
                    Some("remove errnoRet, or use SCMP_ACT_ERRNO".into()),
                );
            }
        }
        let mut args = Vec::new();
        if let Some(list) = map.get("args") {
            if !list.is_null() {
                let p = join(path, "args");
                if let Some(items) = self.array(&p, list) {
                    for (i, a) in items.iter().enumerate() {
                        if let Some(c) = self.arg(&index(&p, i), a) {
                            args.push(c);
                        }
                    }
                }
            }
        }
        let comment = map
            .get("comment")
            .and_then(|c| self.string(&join(path, "comment"), c))
            .unwrap_or_default()
            .to_string();
        let includes = map
            .get("includes")
            .map(|f| self.filter(&join(path, "includes"), f))
            .unwrap_or_default();
        let excludes = map
            .get("excludes")
            .map(|f| self.filter(&join(path, "excludes"), f))
            .unwrap_or_default();
        Some(Rule {
            names,
            action: action?,
            errno_ret,
            args,
            comment,
            includes,
            excludes,
        })
    }

    fn arg(&mut self, path: &str, v: &Value) -> Option<ArgCondition> {
        let map = self.object(path, v, ARG_FIELDS)?;
        let idx = match map.get("index") {
            Some(i) => self.u64(&join(path, "index"), i),
            None => {
                self.error(path, "missing field 'index'", None);
                None
            }
        };
        let idx = idx.and_then(|i| match u8::try_from(i) {
            Ok(i) if i < 6 => Some(i),
            _ => {
                self.error(
                    &join(path, "index"),
                    format!("argument index {i} is out of range"),
                    Some("syscalls have arguments 0 to 5".into()),
                );
                None
            }
        });
        let value = match map.get("value") {
            Some(x) => self.u64(&join(path, "value"), x),
            None => {
                self.error(path, "missing field 'value'", None);
                None
            }
        };
        let value_two = match map.get("valueTwo") {
            Some(x) => self.u64(&join(path, "valueTwo"), x),
            None => Some(0),
        };
        let op = match map.get("op") {
            Some(o) => {
                let p = join(path, "op");
                self.string(&p, o).and_then(|s| {
                    let op = Op::from_scmp_name(s);
                    if op.is_none() {
                        let hint = suggest::nearest(s, Op::ALL.iter().map(|o| o.scmp_name()))
                            .map(|s| format!("did you mean '{s}'?"));
                        self.error(&p, format!("unknown operator '{s}'"), hint);
                    }
                    op
                })
            }
            None => {
                self.error(path, "missing field 'op'", None);
                None
            }
        };
        let c = ArgCondition {
            index: idx?,
            value: value?,
            value_two: value_two?,
            op: op?,
        };
        if c.op == Op::MaskedEq && c.value_two & !c.value != 0 {
            self.warning(
                path,
                format!(
                    "(args[{}] & {:#x}) == {:#x} can never be true: valueTwo has bits outside the mask",
                    c.index, c.value, c.value_two
                ),
                Some("valueTwo must only use bits set in value".into()),
            );
        }
        if c.op != Op::MaskedEq && c.value_two != 0 {
            self.warning(
                &join(path, "valueTwo"),
                format!("valueTwo is ignored by {}", c.op.scmp_name()),
                None,
            );
        }
        Some(c)
    }

    fn filter(&mut self, path: &str, v: &Value) -> Filter {
        let Some(map) = self.object(path, v, FILTER_FIELDS) else {
            return Filter::default();
        };
        let mut f = Filter::default();
        if let Some(list) = map.get("caps") {
            let p = join(path, "caps");
            if let Some(items) = self.array(&p, list) {
                for (i, c) in items.iter().enumerate() {
                    let pi = index(&p, i);
                    let Some(s) = self.string(&pi, c) else {
                        continue;
                    };
                    if caps::is_known(s) {
                        f.caps.push(s.to_string());
                    } else {
                        let hint = caps::suggest(s)
                            .or_else(|| caps::suggest(&format!("CAP_{s}")))
                            .map(|s| format!("did you mean '{s}'?"));
                        self.error(&pi, format!("unknown capability '{s}'"), hint);
                    }
                }
            }
        }
        if let Some(list) = map.get("arches") {
            let p = join(path, "arches");
            if let Some(items) = self.array(&p, list) {
                for (i, a) in items.iter().enumerate() {
                    let pi = index(&p, i);
                    let Some(s) = self.string(&pi, a) else {
                        continue;
                    };
                    match s.parse::<Arch>() {
                        Ok(arch) => f.arches.push(ArchName {
                            written: s.to_string(),
                            arch,
                        }),
                        Err(e) => self.error(
                            &pi,
                            format!("unknown architecture '{s}'"),
                            e.suggestion.map(|s| format!("did you mean '{s}'?")),
                        ),
                    }
                }
            }
        }
        if let Some(k) = map.get("minKernel") {
            let p = join(path, "minKernel");
            if let Some(s) = self.string(&p, k) {
                match s.parse::<KernelVersion>() {
                    Ok(v) => f.min_kernel = Some(v),
                    Err(()) => self.error(
                        &p,
                        format!("'{s}' is not a kernel version"),
                        Some("write it as \"MAJOR.MINOR\", e.g. \"5.8\"".into()),
                    ),
                }
            }
        }
        f
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(n) if n.is_i64() && n.as_i64().is_some_and(|i| i < 0) => "a negative number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match from_str(text) {
            Ok(l) => l.warnings.iter().map(ToString::to_string).collect(),
            Err(e) => e.problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn names_the_json_path_of_a_bad_op_and_suggests() {
        let p = problems(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
                {"names":["read"],"action":"SCMP_ACT_ALLOW"},
                {"names":["opn"],"action":"SCMP_ACT_ALOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQQ"}]}]}"#,
        );
        assert_eq!(
            p,
            vec![
                "error: syscalls[1].names[0]: unknown syscall 'opn' (hint: did you mean 'open'?)",
                "error: syscalls[1].action: unknown action 'SCMP_ACT_ALOW' (hint: did you mean 'SCMP_ACT_ALLOW'?)",
                "error: syscalls[1].args[0].op: unknown operator 'SCMP_CMP_EQQ' (hint: did you mean 'SCMP_CMP_EQ'?)",
            ]
        );
    }

    #[test]
    fn unknown_fields_are_errors() {
        let p = problems(r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoret":1}"#);
        assert_eq!(
            p,
            vec!["error: defaultErrnoret: unknown field 'defaultErrnoret' (hint: did you mean 'defaultErrnoRet'?)"]
        );
    }

    #[test]
    fn errno_names_and_numbers() {
        let l = from_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":"ENOSYS","syscalls":[
                {"names":["bpf"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"errno":"EPERM"}]}"#,
        )
        .unwrap();
        assert_eq!(l.profile.default_errno_ret, Some(38));
        assert_eq!(l.profile.syscalls[0].errno_ret, Some(1));
        let p = problems(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["bpf"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"errno":"EACCES"}]}"#,
        );
        assert_eq!(
            p,
            vec!["error: syscalls[0].errno: says errno 13 but errnoRet says 1 (hint: remove one of them)"]
        );
    }

    #[test]
    fn argument_index_and_types() {
        let p = problems(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":-1,"op":"SCMP_CMP_EQ"}]}]}"#,
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("syscalls[0].args[0].index: argument index 6 is out of range"));
        assert!(p[1].contains("syscalls[0].args[0].value: expected an unsigned 64-bit integer, found a negative number"));
    }

    #[test]
    fn invalid_json_is_reported_with_position() {
        let p = problems("{\"defaultAction\": }");
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("not valid JSON"), "{p:?}");
        assert!(p[0].contains("line 1 column"), "{p:?}");
    }

    #[test]
    fn architectures_must_be_scmp_names() {
        let p = problems(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["x86_64","SCMP_ARCH_AARCH46"]}"#,
        );
        assert_eq!(
            p,
            vec![
                "error: architectures[0]: architecture 'x86_64' must be written 'SCMP_ARCH_X86_64' (hint: profiles name architectures with SCMP_ARCH_*)",
                "error: architectures[1]: unknown architecture 'SCMP_ARCH_AARCH46' (hint: did you mean 'SCMP_ARCH_AARCH64'?)",
            ]
        );
    }
}
