//! Complain mode and what each runtime needs to report denials.
//!
//! `--annotation io.rpod.seccomp.mode=complain` runs the container with every action of its
//! profile that is not ALLOW turned into `SCMP_ACT_LOG`: what the profile would deny is
//! allowed and logged (always, whatever the filter flags: `kernel/seccomp.c` logs LOG results
//! unconditionally). The profile as given is kept in the container's directory, and at exit
//! the logged syscalls become a profile delta, an OCI profile with the same default action
//! and architectures that allows exactly those syscalls, for `rpod seccomp merge`. The audit
//! record names the syscall and its arch, not its arguments, so the delta allows each logged
//! syscall whole, except those the profile allows for some arguments only: those are left out
//! and named for review (docs/denials.md).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;
use serde_json::{json, Value};

use super::{Error, Report};

/// The annotation that selects the mode: `complain`, or `enforce` (the default).
pub const MODE_ANNOTATION: &str = "io.rpod.seccomp.mode";
/// `io.rpod.seccomp.denials=off`: no flag, no collector (for a host whose kernel log must not
/// get the records, or to measure what reporting costs).
pub const REPORT_ANNOTATION: &str = "io.rpod.seccomp.denials";
/// The marker `prepare` leaves in the container's directory when reporting is off or the
/// container has no seccomp filter.
pub const OFF: &str = "denials-off";
/// The delta complain mode writes in the container's directory.
pub const DELTA: &str = "seccomp-delta.json";
/// The profile as given, kept for the delta.
const BASE: &str = "complain-base.json";

const LOG: &str = "SCMP_ACT_LOG";
const ALLOW: &str = "SCMP_ACT_ALLOW";

/// Adjusts the spec's seccomp section before the bundle is written:
/// - for crun, adds `SECCOMP_FILTER_FLAG_LOG`, so ERRNO, TRAP and TRACE results are logged
///   too;
/// - for runc, which refuses any flag ("seccomp flags are not yet supported by runc"), gives
///   the profile's ERRNO results to the monitor as user notifications ([`super::notify`]);
/// - in complain mode, turns every action that is not ALLOW into LOG and keeps the profile as
///   given in `dir`;
/// - `listener`, `cache`: the socket runc hands the listener fd to and where rewrites are kept
///   ([`super::notify::route`]);
/// - leaves the [`OFF`] marker in `dir` when reporting is off or there is no filter.
///
/// # Errors
/// [`Error::Mode`] for an unknown mode, [`Error::ComplainUnconfined`] for complain mode
/// without a filter, [`Error::Write`] when the kept profile cannot be written.
pub fn prepare(
    spec: &mut Spec,
    runtime: &str,
    dir: &Path,
    listener: &Path,
    cache: &Path,
) -> Result<(), Error> {
    let complain = mode(spec)?;
    let report = match spec
        .annotations()
        .as_ref()
        .and_then(|a| a.get(REPORT_ANNOTATION).cloned())
        .as_deref()
    {
        None | Some("on") => true,
        Some("off") => false,
        Some(other) => {
            return Err(Error::Report {
                value: other.to_string(),
            })
        }
    };
    let has_filter = spec.linux().as_ref().is_some_and(|l| l.seccomp().is_some());
    // Without a filter nothing can be denied: no collector (no netlink socket, no new audit
    // session, no warning when CAP_AUDIT_READ is missing).
    let off = dir.join(OFF);
    if report && has_filter {
        let _ = fs::remove_file(&off);
    } else {
        fs::write(&off, "").map_err(|source| Error::Write { path: off, source })?;
    }
    write_enosys_on_purpose(spec, dir)?;
    if !has_filter {
        return if complain {
            Err(Error::ComplainUnconfined)
        } else {
            Ok(())
        };
    }
    if !report && complain {
        return Err(Error::ComplainUnreported);
    }
    let _ = fs::remove_file(dir.join(super::notify::ORIGINAL));
    let _ = fs::remove_file(dir.join(super::notify::UNROUTED));
    if !report {
        return Ok(());
    }
    let mut v = serde_json::to_value(&*spec).map_err(Error::Spec)?;
    let sc = &mut v["linux"]["seccomp"];
    if runtime == "crun" {
        let flags = sc
            .as_object_mut()
            .map(|o| o.entry("flags").or_insert_with(|| json!([])));
        if let Some(Value::Array(f)) = flags {
            if !f.iter().any(|x| x == "SECCOMP_FILTER_FLAG_LOG") {
                f.push(json!("SECCOMP_FILTER_FLAG_LOG"));
            }
        }
    }
    if complain {
        let path = dir.join(BASE);
        let text = serde_json::to_string_pretty(sc).map_err(Error::Spec)?;
        fs::write(&path, text).map_err(|source| Error::Write { path, source })?;
        to_log(sc);
    } else if runtime == "runc" {
        super::notify::route(sc, dir, listener, cache)?;
    }
    *spec = serde_json::from_value(v).map_err(Error::Spec)?;
    Ok(())
}

/// Whether `spec` asks for complain mode ([`MODE_ANNOTATION`] `complain`).
#[must_use]
pub fn complains(spec: &Spec) -> bool {
    mode(spec).unwrap_or(false)
}

/// [`MODE_ANNOTATION`]: true for `complain`, false for `enforce` or none.
///
/// # Errors
/// [`Error::Mode`] for another value.
fn mode(spec: &Spec) -> Result<bool, Error> {
    match spec
        .annotations()
        .as_ref()
        .and_then(|a| a.get(MODE_ANNOTATION))
        .map(String::as_str)
    {
        None | Some("enforce") => Ok(false),
        Some("complain") => Ok(true),
        Some(other) => Err(Error::Mode {
            value: other.to_string(),
        }),
    }
}

/// The file listing the syscalls the container's profile answers ENOSYS by a rule of its own
/// ([`super::Report::enosys_on_purpose`]), one per line.
const ENOSYS_ON_PURPOSE: &str = "seccomp-enosys";

/// Writes [`ENOSYS_ON_PURPOSE`] for `spec`'s profile (before complain mode rewrites it): the
/// names of unconditional rules whose action is ERRNO(ENOSYS).
fn write_enosys_on_purpose(spec: &Spec, dir: &Path) -> Result<(), Error> {
    use oci_spec::runtime::LinuxSeccompAction;
    let mut names = Vec::new();
    if let Some(sc) = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
        for r in sc.syscalls().iter().flatten() {
            if r.action() == LinuxSeccompAction::ScmpActErrno
                && r.errno_ret() == Some(u32::from(super::ENOSYS))
                && r.args().as_ref().is_none_or(Vec::is_empty)
            {
                names.extend(r.names().iter().cloned());
            }
        }
    }
    let path = dir.join(ENOSYS_ON_PURPOSE);
    fs::write(&path, names.join("\n")).map_err(|source| Error::Write { path, source })
}

/// What [`write_enosys_on_purpose`] wrote for the container in `dir` (none if nothing).
pub(super) fn enosys_on_purpose(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join(ENOSYS_ON_PURPOSE))
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Every action that is not ALLOW becomes LOG (and loses its errno).
fn to_log(sc: &mut Value) {
    if sc["defaultAction"] != ALLOW {
        sc["defaultAction"] = json!(LOG);
        if let Some(o) = sc.as_object_mut() {
            o.remove("defaultErrnoRet");
        }
    }
    if let Some(rules) = sc["syscalls"].as_array_mut() {
        for r in rules {
            if r["action"] != ALLOW {
                r["action"] = json!(LOG);
                if let Some(o) = r.as_object_mut() {
                    o.remove("errnoRet");
                }
            }
        }
    }
}

/// What [`write_delta`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// The delta's path.
    pub path: PathBuf,
    /// How many syscalls it allows.
    pub allowed: usize,
    /// Logged syscalls the kept profile allows for some arguments only: left out of the delta
    /// (allowing them whole would widen the profile's rule to every argument once merged).
    pub needs_review: Vec<String>,
}

/// In complain mode (the kept profile is in `dir`), writes the delta of `report`'s logged
/// syscalls to `dir`/[`DELTA`] and says what it holds and what it left out.
///
/// # Errors
/// [`Error::Read`], [`Error::Parse`] for the kept profile; [`Error::Write`].
pub(super) fn write_delta(dir: &Path, report: &Report) -> Result<Option<Delta>, Error> {
    let base_path = dir.join(BASE);
    let base = match fs::read(&base_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read {
                path: base_path,
                source,
            })
        }
    };
    let base: Value = serde_json::from_slice(&base).map_err(|source| Error::Parse {
        path: base_path,
        source,
    })?;
    let (delta, needs_review) = delta(&base, report);
    let allowed = delta["syscalls"]
        .as_array()
        .and_then(|r| r.first())
        .and_then(|r| r["names"].as_array())
        .map_or(0, Vec::len);
    let path = dir.join(DELTA);
    let text = serde_json::to_string_pretty(&delta).map_err(Error::Spec)? + "\n";
    fs::write(&path, text).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    Ok(Some(Delta {
        path,
        allowed,
        needs_review,
    }))
}

/// The syscalls `base` allows by a rule with argument conditions.
fn allowed_for_some_arguments(base: &Value) -> BTreeSet<&str> {
    base["syscalls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["action"] == ALLOW && r["args"].as_array().is_some_and(|a| !a.is_empty()))
        .flat_map(|r| r["names"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect()
}

/// The delta: `base`'s default action and architectures, one rule allowing the syscalls
/// `report` logged (sorted), none when nothing was logged; and, apart, the logged syscalls
/// `base` allows for some arguments (sorted), which the delta leaves out: the record has no
/// arguments, and a rule allowing them whole, merged into `base`, would allow every argument.
fn delta(base: &Value, report: &Report) -> (Value, Vec<String>) {
    let conditional = allowed_for_some_arguments(base);
    let logged: BTreeSet<&str> = report
        .denials
        .iter()
        .filter(|d| d.action == LOG && !d.syscall.starts_with('#'))
        .map(|d| d.syscall.as_str())
        .collect();
    let (review, names): (BTreeSet<&str>, BTreeSet<&str>) =
        logged.into_iter().partition(|n| conditional.contains(n));
    let mut out = BTreeMap::new();
    out.insert("defaultAction", base["defaultAction"].clone());
    if let Some(e) = base.get("defaultErrnoRet") {
        out.insert("defaultErrnoRet", e.clone());
    }
    if let Some(a) = base.get("architectures") {
        out.insert("architectures", a.clone());
    }
    let rules = if names.is_empty() {
        json!([])
    } else {
        json!([{
            "names": names,
            "action": ALLOW,
            "comment": "needed by the workload, logged in complain mode (rpod)"
        }])
    };
    out.insert("syscalls", rules);
    (json!(out), review.into_iter().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::super::Denial;
    use super::*;

    fn denial(syscall: &str, action: &str) -> Denial {
        Denial {
            syscall: syscall.into(),
            nr: 0,
            arch: "SCMP_ARCH_X86_64".into(),
            action: action.into(),
            count: 1,
            pid: 1,
            comm: "x".into(),
            errno: None,
            args: None,
        }
    }

    #[test]
    fn complain_mode_logs_every_action_that_is_not_allow() {
        let mut sc = json!({
            "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
            "syscalls": [
                {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                {"names": ["kexec_load"], "action": "SCMP_ACT_KILL_PROCESS"}
            ]
        });
        to_log(&mut sc);
        assert_eq!(
            sc,
            json!({
                "defaultAction": "SCMP_ACT_LOG",
                "syscalls": [
                    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                    {"names": ["bpf"], "action": "SCMP_ACT_LOG"},
                    {"names": ["kexec_load"], "action": "SCMP_ACT_LOG"}
                ]
            })
        );
    }

    #[test]
    fn the_delta_allows_exactly_the_logged_syscalls_with_the_bases_default() {
        let base = json!({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
            "architectures": ["SCMP_ARCH_X86_64"], "syscalls": []});
        let report = Report {
            denials: vec![
                denial("sync", LOG),
                denial("fsync", LOG),
                denial("sync", LOG),
                denial("bpf", "SCMP_ACT_ERRNO"),
            ],
            enosys_on_purpose: Vec::new(),
        };
        assert_eq!(
            delta(&base, &report).0,
            json!({
                "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [{"names": ["fsync", "sync"], "action": "SCMP_ACT_ALLOW",
                    "comment": "needed by the workload, logged in complain mode (rpod)"}]
            })
        );
    }

    #[test]
    fn a_logged_syscall_the_base_allows_for_some_arguments_is_left_for_review() {
        // clone allowed only without CLONE_NEWUSER, socket only for AF_UNIX: a whole-syscall
        // rule merged into this base would allow them with any argument.
        let base = json!({"defaultAction": "SCMP_ACT_ERRNO",
        "syscalls": [
            {"names": ["read", "clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 268_435_456, "valueTwo": 0,
                       "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "args": []},
            {"names": ["bpf"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}
        ]});
        let report = Report {
            denials: vec![
                denial("socket", LOG),
                denial("clone", LOG),
                denial("sync", LOG),
                denial("mount", LOG),
                denial("bpf", LOG),
            ],
            enosys_on_purpose: Vec::new(),
        };
        let (d, review) = delta(&base, &report);
        assert_eq!(review, ["clone", "socket"]);
        assert_eq!(
            d["syscalls"][0]["names"],
            json!(["bpf", "mount", "sync"]),
            "{d}"
        );
    }
}
