//! `rpod version` and `rpod info` (`rpod system info`), shaped as podman's.
//!
//! podman's data has two spellings: `--format json` prints its JSON tags (`host.arch`,
//! `store.graphRoot`, `host.ociRuntime`), while a Go template sees the Go field names
//! (`{{.Host.Arch}}`, `{{.Store.GraphRoot}}`, `{{.Host.OCIRuntime.Name}}`,
//! `{{.Host.Security.SECCOMPEnabled}}`). [`Node`] carries both, so each is right where podman's
//! is. The text form is podman's YAML-like listing of the JSON keys.
//!
//! Deliberate differences: `Version` is rpod's version; `GoVersion` is absent and
//! `RustVersion` names the toolchain the repository pins; `Built`/`BuiltTime` are the zero
//! time, as Debian's podman build prints them; `seccompProfilePath` is empty because rpod's
//! default profile is built in (podman's default when containers.conf names no file).

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::report::{self, Format};
use crate::cli::container::SystemFormatArgs;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Environment, Store};

/// A value with podman's two spellings: (Go field names, JSON tags).
struct Node {
    go: Value,
    json: Value,
}

fn leaf(v: impl Into<Value>) -> Node {
    let v = v.into();
    Node {
        go: v.clone(),
        json: v,
    }
}

/// An object from `(Go name, JSON tag, value)` fields, in podman's order.
fn obj(fields: Vec<(&str, &str, Node)>) -> Node {
    let mut go = Map::new();
    let mut js = Map::new();
    for (g, j, n) in fields {
        go.insert(g.to_owned(), n.go);
        js.insert(j.to_owned(), n.json);
    }
    Node {
        go: Value::Object(go),
        json: Value::Object(js),
    }
}

/// The toolchain `rust-toolchain.toml` pins (what builds rpod), as `rustc 1.95.0`.
fn rust_version() -> String {
    let pinned = include_str!("../../../../rust-toolchain.toml")
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel"))
        .map(|v| {
            v.trim_start_matches([' ', '='])
                .trim()
                .trim_matches('"')
                .to_owned()
        })
        .unwrap_or_default();
    format!("rustc {pinned}")
}

fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

fn version_node() -> Node {
    let v = env!("CARGO_PKG_VERSION");
    let fields = vec![
        ("APIVersion", leaf(v)),
        ("Version", leaf(v)),
        ("RustVersion", leaf(rust_version())),
        ("GitCommit", leaf("")),
        ("BuiltTime", leaf("Thu Jan  1 00:00:00 1970")),
        ("Built", leaf(0)),
        ("OsArch", leaf(format!("linux/{}", goarch()))),
        ("Os", leaf("linux")),
    ];
    obj(fields.into_iter().map(|(k, n)| (k, k, n)).collect())
}

pub fn version(a: &SystemFormatArgs) -> anyhow::Result<ExitStatus> {
    let format = Format::parse(a.format.as_deref())?;
    let v = obj(vec![("Client", "Client", version_node())]);
    let out = match &format {
        Format::Default => {
            let c = &v.json["Client"];
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            format!(
                "Client:       rpod\nVersion:      {}\nAPI Version:  {}\nRust Version: {}\nBuilt:        {}\nOS/Arch:      {}\n",
                s("Version"),
                s("APIVersion"),
                s("RustVersion"),
                s("BuiltTime"),
                s("OsArch"),
            )
        }
        Format::Json => report::render_one(&format, &v.json)?,
        Format::Template { .. } => report::render_one(&format, &v.go)?,
    };
    print!("{out}");
    Ok(ExitStatus::Success)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A `/proc/meminfo` value in bytes.
fn meminfo(key: &str) -> u64 {
    read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn os_release(key: &str) -> String {
    read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_default()
}

/// `v2` on the unified hierarchy, else `v1`.
fn cgroup_version() -> &'static str {
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        "v2"
    } else {
        "v1"
    }
}

fn cgroup_controllers() -> Vec<String> {
    if cgroup_version() == "v2" {
        return read("/sys/fs/cgroup/cgroup.controllers")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
    }
    // /proc/cgroups: name hierarchy num_cgroups enabled.
    read("/proc/cgroups")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(3) == Some(&"1")).then(|| f[0].to_owned())
        })
        .collect()
}

fn uptime() -> String {
    let secs = read("/proc/uptime")
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(0.0);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "whole seconds of an uptime"
    )]
    let whole = secs as u64;
    format!(
        "{}h {}m {:.2}s (Approximately {:.2} days)",
        whole / 3600,
        whole / 60 % 60,
        secs % 60.0,
        secs / 86400.0
    )
}

fn info_node(store: &Store, rt: &dyn Runtimes) -> anyhow::Result<Node> {
    let runtime = rt.get("runc")?;
    let containers = store.containers()?;
    let count = |s: &[ContainerState]| containers.iter().filter(|c| s.contains(&c.state)).count();
    let config_file = Environment::current()
        .config_candidates()
        .into_iter()
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let seccomp_enabled = read("/proc/self/status")
        .lines()
        .any(|l| l.starts_with("Seccomp:"));
    let rootless = !rustix::process::geteuid().is_root();
    let host = obj(vec![
        ("Arch", "arch", leaf(goarch())),
        ("CgroupManager", "cgroupManager", leaf("cgroupfs")),
        ("CgroupsVersion", "cgroupVersion", leaf(cgroup_version())),
        (
            "CgroupControllers",
            "cgroupControllers",
            leaf(json!(cgroup_controllers())),
        ),
        (
            "CPUs",
            "cpus",
            leaf(std::thread::available_parallelism().map_or(1, std::num::NonZero::get)),
        ),
        (
            "Distribution",
            "distribution",
            obj(vec![
                ("Distribution", "distribution", leaf(os_release("ID"))),
                ("Variant", "variant", leaf(os_release("VARIANT_ID"))),
                ("Version", "version", leaf(os_release("VERSION_ID"))),
                ("Codename", "codename", leaf(os_release("VERSION_CODENAME"))),
            ]),
        ),
        ("EventLogger", "eventLogger", leaf("none")),
        (
            "Hostname",
            "hostname",
            leaf(read("/proc/sys/kernel/hostname").trim()),
        ),
        (
            "Kernel",
            "kernel",
            leaf(read("/proc/sys/kernel/osrelease").trim()),
        ),
        ("LogDriver", "logDriver", leaf("k8s-file")),
        ("MemFree", "memFree", leaf(meminfo("MemFree"))),
        ("MemTotal", "memTotal", leaf(meminfo("MemTotal"))),
        (
            "OCIRuntime",
            "ociRuntime",
            obj(vec![
                ("Name", "name", leaf(runtime.name())),
                ("Package", "package", leaf("")),
                ("Path", "path", leaf(runtime.binary().display().to_string())),
                (
                    "Version",
                    "version",
                    leaf(runtime.version().unwrap_or_default().trim().to_owned()),
                ),
            ]),
        ),
        ("OS", "os", leaf("linux")),
        (
            "Security",
            "security",
            obj(vec![
                ("AppArmorEnabled", "apparmorEnabled", leaf(false)),
                (
                    "DefaultCapabilities",
                    "capabilities",
                    leaf(super::inspect::DEFAULT_CAPS.join(",")),
                ),
                ("Rootless", "rootless", leaf(rootless)),
                ("SECCOMPEnabled", "seccompEnabled", leaf(seccomp_enabled)),
                ("SECCOMPProfilePath", "seccompProfilePath", leaf("")),
                ("SELinuxEnabled", "selinuxEnabled", leaf(false)),
            ]),
        ),
        ("SwapFree", "swapFree", leaf(meminfo("SwapFree"))),
        ("SwapTotal", "swapTotal", leaf(meminfo("SwapTotal"))),
        ("Uptime", "uptime", leaf(uptime())),
    ]);
    let store_node = obj(vec![
        ("ConfigFile", "configFile", leaf(config_file)),
        (
            "ContainerStore",
            "containerStore",
            obj(vec![
                ("Number", "number", leaf(containers.len())),
                ("Paused", "paused", leaf(count(&[ContainerState::Paused]))),
                (
                    "Running",
                    "running",
                    leaf(count(&[ContainerState::Running])),
                ),
                (
                    "Stopped",
                    "stopped",
                    leaf(count(&[
                        ContainerState::Configured,
                        ContainerState::Created,
                        ContainerState::Stopped,
                        ContainerState::Exited,
                    ])),
                ),
            ]),
        ),
        ("GraphDriverName", "graphDriverName", leaf("overlay")),
        (
            "GraphRoot",
            "graphRoot",
            leaf(store.root().display().to_string()),
        ),
        (
            "ImageStore",
            "imageStore",
            obj(vec![("Number", "number", leaf(store.images()?.len()))]),
        ),
        (
            "RunRoot",
            "runRoot",
            leaf(store.runroot().display().to_string()),
        ),
    ]);
    Ok(obj(vec![
        ("Host", "host", host),
        ("Store", "store", store_node),
        ("Version", "version", version_node()),
    ]))
}

/// podman's YAML-like text of `v`: `key: value`, nested maps indented two spaces, lists as
/// `- item`.
fn yaml(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let Value::Object(map) = v else {
        return;
    };
    for (k, v) in map {
        match v {
            Value::Object(m) if m.is_empty() => {
                let _ = writeln!(out, "{pad}{k}: {{}}");
            }
            Value::Object(_) => {
                let _ = writeln!(out, "{pad}{k}:");
                yaml(v, indent + 2, out);
            }
            Value::Array(a) if a.is_empty() => {
                let _ = writeln!(out, "{pad}{k}: []");
            }
            Value::Array(a) => {
                let _ = writeln!(out, "{pad}{k}:");
                for item in a {
                    let _ = writeln!(out, "{pad}- {}", scalar(item));
                }
            }
            other => {
                let _ = writeln!(out, "{pad}{k}: {}", scalar(other));
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        // Quoted where YAML would read another type (`version: "12"`, as podman prints it).
        Value::String(s) if s.is_empty() || s.parse::<f64>().is_ok() => format!("\"{s}\""),
        // A multi-line value (a runtime's --version) as a quoted string, one line.
        Value::String(s) if s.contains('\n') || s.contains(": ") => {
            format!("'{}'", s.replace('\n', " ").replace('\'', "''"))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn info(store: &Store, rt: &dyn Runtimes, a: &SystemFormatArgs) -> anyhow::Result<ExitStatus> {
    let format = Format::parse(a.format.as_deref())?;
    let node = info_node(store, rt)?;
    let out = match &format {
        Format::Default => {
            let mut s = String::new();
            yaml(&node.json, 0, &mut s);
            s
        }
        Format::Json => report::render_one(&format, &node.json)?,
        Format::Template { .. } => report::render_one(&format, &node.go)?,
    };
    print!("{out}");
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_has_go_names_for_templates_and_json_tags_for_json() {
        let n = obj(vec![(
            "Host",
            "host",
            obj(vec![("OCIRuntime", "ociRuntime", leaf("runc"))]),
        )]);
        assert_eq!(n.go["Host"]["OCIRuntime"], "runc");
        assert_eq!(n.json["host"]["ociRuntime"], "runc");
    }

    #[test]
    fn the_text_form_nests_maps_and_lists_like_podman_info() {
        let mut s = String::new();
        yaml(
            &json!({"host": {"arch": "amd64", "cgroupControllers": ["cpu", "pids"], "x": ""}}),
            0,
            &mut s,
        );
        assert_eq!(
            s,
            "host:\n  arch: amd64\n  cgroupControllers:\n  - cpu\n  - pids\n  x: \"\"\n"
        );
    }

    #[test]
    fn the_rust_version_is_the_pinned_toolchain() {
        assert!(rust_version().starts_with("rustc 1."), "{}", rust_version());
    }
}
