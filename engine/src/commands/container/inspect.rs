//! `rpod inspect`, `rpod container inspect` and `rpod image inspect`: podman's inspect JSON
//! (`InspectContainerData`, `ImageData`), so `--format '{{.State.ExitCode}}'` and
//! `{{range .Config.Env}}` work as they do with podman.
//!
//! Deliberate differences: rpod keeps its own keys beside podman's: `Seccomp` (the profile
//! and its digest), `TraceSyscall`, `OCIConfig` (the runtime spec as written), `Bundle`,
//! `LogPath`, `AutoRemove`; `Rootfs` is the container's mounted root (podman's is the
//! `--rootfs` directory, which rpod does not have). No networking, pods, healthchecks or
//! checkpoints: those keys have podman's empty values.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::report::{self, Format};
use crate::cli::container::{InspectArgs, InspectType};
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::image;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerRecord, ContainerState, Store};

/// The capabilities podman (and rpod) give a container by default, to tell `CapAdd` and
/// `CapDrop` from the spec's bounding set.
pub(super) const DEFAULT_CAPS: &[&str] = profiles::caps::PODMAN_DEFAULT;

/// The container's OCI runtime spec as its bundle holds it (gone once it is removed).
pub(super) fn oci_spec(record: &ContainerRecord) -> Option<Value> {
    let text = std::fs::read_to_string(record.bundle.join("config.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// podman's namespace mode: `host` when the spec makes no namespace of that type, `private`
/// otherwise, `container:...`-style paths as `ns:PATH`.
fn ns_mode(spec: &Value, kind: &str) -> String {
    let ns = spec
        .pointer("/linux/namespaces")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|n| n["type"] == kind));
    match ns {
        None => "host".to_owned(),
        Some(n) => match n.get("path").and_then(Value::as_str) {
            Some(p) => format!("ns:{p}"),
            None => "private".to_owned(),
        },
    }
}

/// The container inspect JSON.
fn container_json(store: &Store, container: &Container<'_>, size: bool) -> anyhow::Result<Value> {
    let m = container.meta()?;
    let c = container.record();
    let spec = oci_spec(c).unwrap_or(Value::Null);
    let img = c
        .image_id
        .as_deref()
        .and_then(|id| image::lookup(store, id).ok());
    let icfg = img
        .as_ref()
        .and_then(|i| i.config.config().clone())
        .unwrap_or_default();
    // Entrypoint and Cmd apart again: the image's entrypoint when the command starts with it.
    let image_name = super::ps::image_name(
        &m.image,
        img.as_ref().map_or(&[][..], |i| i.names.as_slice()),
    );
    let entrypoint = icfg.entrypoint().clone().unwrap_or_default();
    let (entry, cmd) = if !entrypoint.is_empty() && m.command.starts_with(&entrypoint) {
        (entrypoint.join(" "), m.command[entrypoint.len()..].to_vec())
    } else {
        (String::new(), m.command.clone())
    };
    // podman: Path is the first word; Args the rest, or the whole command when it is one word.
    let path = m.command.first().cloned().unwrap_or_default();
    let args = if m.command.len() > 1 {
        m.command[1..].to_vec()
    } else {
        m.command.clone()
    };
    let mut labels: BTreeMap<String, String> = icfg
        .labels()
        .clone()
        .map(|l| l.into_iter().collect())
        .unwrap_or_default();
    labels.extend(m.settings.labels.clone());
    let bounding = strings(spec.pointer("/process/capabilities/bounding"));
    let effective = strings(spec.pointer("/process/capabilities/effective"));
    let cap_add: Vec<&String> = bounding
        .iter()
        .filter(|c| !DEFAULT_CAPS.contains(&c.as_str()))
        .collect();
    let cap_drop: Vec<&str> = DEFAULT_CAPS
        .iter()
        .copied()
        .filter(|c| !bounding.iter().any(|b| b == c))
        .collect();
    let privileged = !cap_add.is_empty()
        && strings(spec.pointer("/linux/maskedPaths")).is_empty()
        && bounding.len() >= 38;
    let binds: Vec<(String, String, bool, Vec<String>)> = spec
        .get("mounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|mnt| {
            let options = strings(mnt.get("options"));
            if !options.iter().any(|o| o == "bind" || o == "rbind") {
                return None;
            }
            let rw = !options.iter().any(|o| o == "ro");
            Some((
                mnt.get("source")?.as_str()?.to_owned(),
                mnt.get("destination")?.as_str()?.to_owned(),
                rw,
                options,
            ))
        })
        .collect();
    let state = c.state;
    let running = matches!(state, ContainerState::Running | ContainerState::Paused);
    let lower: Vec<String> = c
        .image_id
        .as_deref()
        .and_then(|id| store.layer_dirs(id).ok())
        .unwrap_or_default()
        .iter()
        .rev()
        .map(|p| p.display().to_string())
        .collect();
    let paths = container.paths();
    let ulimits: Vec<Value> = spec
        .pointer("/process/rlimits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| json!({"Name": r["type"], "Soft": r["soft"], "Hard": r["hard"]}))
        .collect();
    let state_json = json!({
        "OciVersion": spec.get("ociVersion").cloned().unwrap_or(Value::from("")),
        "Status": state.as_str(),
        // podman: a paused container is not Running (its Pid stays).
        "Running": state == ContainerState::Running,
        "Paused": state == ContainerState::Paused,
        "Restarting": false,
        "OOMKilled": false,
        "Dead": false,
        "Pid": c.pid.filter(|_| running).unwrap_or(0),
        "ExitCode": c.exit_code.unwrap_or(0),
        "Error": "",
        "StartedAt": report::rfc3339_or_zero(c.started_at),
        "FinishedAt": report::rfc3339_or_zero(c.finished_at),
        "Health": {"Status": "", "FailingStreak": 0, "Log": null},
    });
    let graphdriver = json!({
        "Name": "overlay",
        "Data": {
            "LowerDir": lower.join(":"),
            "UpperDir": paths.upper,
            "WorkDir": paths.work,
            "MergedDir": paths.merged,
        },
    });
    let mounts: Vec<Value> = binds.iter().map(|(src, dst, rw, options)| json!({
            "Type": "bind",
            "Source": src,
            "Destination": dst,
            "Driver": "",
            "Mode": "",
            "Options": options.iter().filter(|o| *o != "bind" && *o != "rbind").collect::<Vec<_>>(),
            "RW": rw,
            "Propagation": options.iter().find(|o| o.ends_with("private") || o.ends_with("shared") || o.ends_with("slave")).cloned().unwrap_or_default(),
        })).collect::<Vec<_>>();
    let config = json!({
        "Hostname": spec.get("hostname").cloned().unwrap_or(Value::from("")),
        "Domainname": "",
        // podman prints the user as given, empty for the default (root).
        "User": spec.pointer("/process/user").map(|u| format!("{}:{}", u["uid"], u["gid"])).filter(|u| u != "0:0").unwrap_or_default(),
        "AttachStdin": false,
        "AttachStdout": false,
        "AttachStderr": false,
        "Tty": m.tty,
        "OpenStdin": false,
        "StdinOnce": false,
        "Env": strings(spec.pointer("/process/env")),
        "Cmd": cmd,
        "Image": image_name,
        "Volumes": null,
        "WorkingDir": spec.pointer("/process/cwd").cloned().unwrap_or(Value::from("/")),
        "Entrypoint": entry,
        "OnBuild": null,
        "Labels": labels,
        "Annotations": spec.get("annotations").cloned().unwrap_or(json!({})),
        // podman prints the number.
        "StopSignal": container.stop_signal() as i32,
        "Umask": "0022",
        "Timeout": m.settings.timeout.unwrap_or(0),
        "StopTimeout": container.stop_timeout().as_secs(),
    });
    let hostconfig = json!({
        "Binds": binds.iter().map(|(src, dst, rw, _)| format!("{src}:{dst}:{}", if *rw { "rw" } else { "ro" })).collect::<Vec<_>>(),
        "CgroupManager": "cgroupfs",
        "CgroupMode": ns_mode(&spec, "cgroup"),
        "ContainerIDFile": "",
        "LogConfig": {
            "Type": m.settings.log_driver.as_str(),
            "Config": null,
            "Path": m.log_path,
            "Tag": m.settings.log_tag.as_deref().unwrap_or(""),
            // podman's units.HumanSizeWithPrecision(size, 3): 10000 is "10kB".
            "Size": human_size(m.settings.log_max_size.unwrap_or(0)),
        },
        "NetworkMode": if ns_mode(&spec, "network") == "host" { "host" } else { "none" },
        "PortBindings": {},
        "RestartPolicy": {"Name": m.settings.restart.name(), "MaximumRetryCount": m.settings.restart.max_retries()},
        "AutoRemove": m.rm,
        "CapAdd": cap_add,
        "CapDrop": cap_drop,
        "Dns": [],
        "DnsOptions": [],
        "DnsSearch": [],
        "ExtraHosts": [],
        "GroupAdd": [],
        "IpcMode": ns_mode(&spec, "ipc"),
        "PidMode": ns_mode(&spec, "pid"),
        "UTSMode": ns_mode(&spec, "uts"),
        "UsernsMode": "",
        "Privileged": privileged,
        "ReadonlyRootfs": spec.pointer("/root/readonly").and_then(Value::as_bool).unwrap_or(false),
        "SecurityOpt": [],
        "Tmpfs": {},
        "Runtime": "oci",
        "Ulimits": ulimits,
        "Memory": spec.pointer("/linux/resources/memory/limit").cloned().unwrap_or(Value::from(0)),
        "PidsLimit": spec.pointer("/linux/resources/pids/limit").cloned().unwrap_or(Value::from(0)),
        // --cpus as podman keeps it: quota / period in billionths of a CPU.
        "NanoCpus": nano_cpus(&spec),
        // --init: the command runs under the init bound at podman's path.
        "Init": spec.pointer("/process/args/0").and_then(Value::as_str) == Some(rpod::bundle::INIT_PATH),
        "CpuShares": spec.pointer("/linux/resources/cpu/shares").cloned().unwrap_or(Value::from(0)),
        "Devices": [],
    });
    let mut out = json!({
        "Id": c.id,
        "Created": rpod::time::format_rfc3339(c.created),
        "Path": path,
        "Args": args,
        "State": state_json,
        "Image": c.image_id.clone().unwrap_or_default(),
        "ImageDigest": img.as_ref().map(|i| i.digest.to_string()).unwrap_or_default(),
        "ImageName": image_name,
        "Rootfs": m.rootfs,
        "Pod": "",
        "ResolvConfPath": "",
        "HostnamePath": "",
        "HostsPath": "",
        "StaticDir": paths.dir,
        "OCIRuntime": c.runtime,
        "ConmonPidFile": paths.monitor_pid,
        "PidFile": "",
    });
    let more = json!({
        "Name": c.name,
        "RestartCount": container.restart_count(),
        "Driver": "overlay",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "EffectiveCaps": effective,
        "BoundingCaps": bounding,
        "ExecIDs": container.exec_sessions().list()?.into_iter().map(|s| s.id).collect::<Vec<_>>(),
        "GraphDriver": graphdriver,
        "Mounts": mounts,
        "Dependencies": container.dependencies(),
        "NetworkSettings": {"Ports": {}, "SandboxKey": "", "Networks": {}},
        "Namespace": "",
        "IsInfra": false,
        "IsService": false,
        "Config": config,
        "HostConfig": hostconfig,
        // rpod's own keys.
        "Bundle": c.bundle,
        "LogPath": m.log_path,
        "AutoRemove": m.rm,
        "Seccomp": { "Profile": m.seccomp.profile, "Digest": m.seccomp.digest },
        // What the seccomp filter denied (rpod::denials, docs/denials.md).
        "SeccompDenials": rpod::denials::Report::load(&paths.dir).map(|r| r.denials).unwrap_or_default(),
        // The recording the monitor makes (io.containers.trace-syscall), if any.
        "TraceSyscall": m.trace.as_ref().map(|t| json!({
            "Input": t.input,
            "Output": t.output,
            "Args": t.args.keys().collect::<Vec<_>>(),
        })),
        "OCIConfig": spec,
    });
    if let (Value::Object(out), Value::Object(more)) = (&mut out, more) {
        out.extend(more);
    }
    if size {
        out["SizeRw"] = json!(report::dir_size(&paths.upper));
        out["SizeRootFs"] = json!(img.as_ref().map_or(0, |i| i.size));
    }
    Ok(out)
}

/// What `rpod inspect NAME` found.
enum Found {
    Container(Value),
    Image(Value),
}

fn find(
    store: &Store,
    rt: &dyn Runtimes,
    name: &str,
    kind: InspectType,
    size: bool,
) -> anyhow::Result<Found> {
    if kind != InspectType::Image {
        if let Ok(record) = store.lookup_container(name) {
            let container = Container::reconciled(store, rt, record)?;
            return Ok(Found::Container(container_json(store, &container, size)?));
        }
    }
    if kind != InspectType::Container {
        if let Ok(i) = image::inspect(store, name) {
            return Ok(Found::Image(serde_json::to_value(i)?));
        }
    }
    // podman's wording per command.
    Err(match kind {
        InspectType::All => anyhow::anyhow!("no such object: {name:?}"),
        InspectType::Container => anyhow::anyhow!("no such container {name}"),
        InspectType::Image => anyhow::anyhow!("{name}: image not known"),
    })
}

/// `rpod inspect`: `kind` from `--type`, or fixed by `container inspect` / `image inspect`.
pub fn run(
    store: &Store,
    rt: &dyn Runtimes,
    a: &InspectArgs,
    kind: InspectType,
) -> anyhow::Result<ExitStatus> {
    let format = Format::parse(a.format.as_deref())?;
    let kind = if kind == InspectType::All {
        a.kind
    } else {
        kind
    };
    let mut found = Vec::new();
    let mut missing = None;
    for name in &a.names {
        match find(store, rt, name, kind, a.size) {
            Ok(Found::Container(mut v)) => {
                // podman's Go struct always has the sizes (a nil pointer and 0 without
                // --size), so a template may name them; its JSON omits them when empty.
                if matches!(format, Format::Template { .. }) && !a.size {
                    v["SizeRw"] = Value::Null;
                    v["SizeRootFs"] = json!(0);
                }
                found.push(v);
            }
            Ok(Found::Image(v)) => found.push(v),
            // As podman: what was found is printed, then the first error.
            Err(e) => {
                missing.get_or_insert(e);
            }
        }
    }
    let out = match &format {
        Format::Default | Format::Json => report::render_one(&Format::Json, &found)?,
        Format::Template { .. } => found
            .iter()
            .map(|v| report::render_one_typed(&format, v, GO_STRUCTS))
            .collect::<anyhow::Result<String>>()?,
    };
    print!("{out}");
    match missing {
        Some(e) => Err(e.context("inspecting object")),
        None => Ok(ExitStatus::Success),
    }
}

/// Where podman's inspect data hold Go structs that may be empty: `Config.ExposedPorts` (of an
/// image, and of a container) is a `map[string]struct{}`, whose values print `{}`.
const GO_STRUCTS: &[&str] = &["/Config/ExposedPorts/*"];

/// `--cpus` back from the spec's CFS quota and period, in billionths of a CPU (podman's
/// `NanoCpus`); 0 without a quota.
fn nano_cpus(spec: &Value) -> u64 {
    let quota = spec
        .pointer("/linux/resources/cpu/quota")
        .and_then(Value::as_i64);
    let period = spec
        .pointer("/linux/resources/cpu/period")
        .and_then(Value::as_u64);
    match (quota, period) {
        (Some(q), Some(p)) if q > 0 && p > 0 => u64::try_from(q).unwrap_or(0) * 1_000_000_000 / p,
        _ => 0,
    }
}

/// A size as Go's `units.HumanSizeWithPrecision(size, 3)` prints it: decimal units, three
/// significant digits, no trailing zeros (`10kB`, `10.2kB`, `0B`).
fn human_size(bytes: u64) -> String {
    report::go_units_size(bytes, 3, "")
}
