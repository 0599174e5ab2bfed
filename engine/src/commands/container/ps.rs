//! `rpod ps`, shaped as podman 4's: the same flags, filters, sort keys, columns and wording,
//! `--format json` in podman's `ListContainer` shape, and Go templates over podman's
//! `psReporter` fields (`{{.ID}}` is the short id, `{{.Names}}` one string, `{{.Status}}`
//! "Up 3 seconds ago").
//!
//! Deliberate differences: rpod has no pods, networks or port mappings, so `Pod`, `PodName`,
//! `Ports` are empty and `Networks` is empty; the JSON keeps rpod's `Seccomp` (the profile the
//! container runs under), which podman does not have.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde::Serialize;

use super::report::{self, Format};
use crate::cli::container::{PsArgs, PsSort};
use rpod::container::{Container, Meta};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerRecord, ContainerState, Store};

/// The filter keys `ps --filter` takes.
const FILTERS: &[&str] = &[
    "ancestor", "before", "exited", "id", "label", "name", "pod", "since", "status",
];

/// podman's container states, which `--filter status=` accepts.
const STATUSES: &[&str] = &[
    "configured",
    "created",
    "exited",
    "initialized",
    "paused",
    "removing",
    "running",
    "stopped",
    "stopping",
    "unknown",
];

/// What is known of one container, gathered once for filters, sorting and printing.
pub(super) struct Listed {
    pub record: ContainerRecord,
    pub meta: Option<Meta>,
    /// The image's labels with the container's own over them (podman copies the image's at
    /// create).
    pub labels: BTreeMap<String, String>,
    /// Where the container's volumes are mounted.
    pub mounts: Vec<String>,
    /// (bytes the container wrote, the image's size), with `--size`.
    pub size: Option<(u64, u64)>,
    /// The image's full name, as podman shows it (`localhost/busybox:latest`).
    pub image_name: String,
}

/// The name podman shows for a container's image: the name the user gave, normalized, when
/// the image still has it; else the image's first name; else what the user gave (an id).
pub(super) fn image_name(given: &str, names: &[String]) -> String {
    match rpod::image::normalize_name(given, rpod::image::DefaultDomain::Localhost) {
        Ok(n) if names.contains(&n) => n,
        _ => names.first().cloned().unwrap_or_else(|| given.to_owned()),
    }
}

/// podman's `ListContainer` (`ps --format json`), with `Created` as Unix seconds as podman's
/// `ps` prints it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonRow {
    auto_remove: bool,
    command: Vec<String>,
    created_at: String,
    exited: bool,
    exited_at: i64,
    exit_code: i32,
    id: String,
    image: String,
    #[serde(rename = "ImageID")]
    image_id: String,
    is_infra: bool,
    labels: BTreeMap<String, String>,
    mounts: Vec<String>,
    names: Vec<String>,
    namespaces: BTreeMap<String, String>,
    networks: Vec<String>,
    pid: i32,
    pod: String,
    pod_name: String,
    ports: Option<Vec<String>>,
    size: Option<SizeJson>,
    started_at: i64,
    state: String,
    status: String,
    created: i64,
    /// rpod's: the seccomp profile the container runs under.
    seccomp: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SizeJson {
    rw_size: u64,
    root_fs_size: u64,
}

/// podman's `psReporter`: what a Go template sees.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TemplateRow {
    #[serde(rename = "ID")]
    id: String,
    image: String,
    #[serde(rename = "ImageID")]
    image_id: String,
    command: String,
    created_at: String,
    created_human: String,
    created: String,
    running_for: String,
    status: String,
    state: String,
    names: String,
    labels: BTreeMap<String, String>,
    mounts: Vec<String>,
    pid: i32,
    exit_code: i32,
    exited: bool,
    exited_at: i64,
    started_at: i64,
    ports: String,
    pod: String,
    pod_name: String,
    size: String,
    networks: String,
    namespaces: BTreeMap<String, String>,
    restarts: String,
    auto_remove: bool,
    is_infra: bool,
    #[serde(rename = "Cgroup")]
    cgroup: String,
    #[serde(rename = "IPC")]
    ipc: String,
    #[serde(rename = "MNT")]
    mnt: String,
    #[serde(rename = "NET")]
    net: String,
    #[serde(rename = "PIDNS")]
    pidns: String,
    #[serde(rename = "User")]
    user: String,
    #[serde(rename = "UTS")]
    uts: String,
    seccomp: String,
}

/// Headers podman gives `ps` fields whose words alone would not say it.
const HEADERS: &[(&str, &str)] = &[
    ("Cgroup", "CGROUPNS"),
    ("CreatedHuman", "CREATED"),
    ("ID", "CONTAINER ID"),
    ("IPC", "IPC"),
    ("MNT", "MNT"),
    ("NET", "NET"),
    ("Networks", "NETWORKS"),
    ("PIDNS", "PIDNS"),
    ("Pod", "POD ID"),
    ("PodName", "PODNAME"),
    ("Restarts", "RESTARTS"),
    ("RunningFor", "RUNNING FOR"),
    ("UTS", "UTS"),
    ("User", "USERNS"),
];

/// The namespaces of `pid` as `/proc/PID/ns/*` names them (`net:[4026531840]` ->
/// `4026531840`), under podman's keys.
fn namespaces(pid: i32) -> BTreeMap<String, String> {
    [
        ("cgroup", "Cgroup"),
        ("ipc", "IPC"),
        ("mnt", "MNT"),
        ("net", "NET"),
        ("pid", "PIDNS"),
        ("user", "User"),
        ("uts", "UTS"),
    ]
    .iter()
    .filter_map(|(ns, key)| {
        let link = std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).ok()?;
        let text = link.to_string_lossy();
        let inode = text.split('[').nth(1)?.trim_end_matches(']').to_string();
        Some(((*key).to_string(), inode))
    })
    .collect()
}

fn secs(t: SystemTime) -> i64 {
    report::unix_or_zero(Some(t))
}

impl Listed {
    fn state(&self) -> &'static str {
        self.record.state.as_str()
    }

    fn image(&self) -> String {
        self.image_name.clone()
    }

    fn command(&self) -> Vec<String> {
        self.meta
            .as_ref()
            .map(|m| m.command.clone())
            .unwrap_or_default()
    }

    fn exited(&self) -> bool {
        matches!(
            self.record.state,
            ContainerState::Exited | ContainerState::Stopped
        )
    }

    /// podman's STATUS: "Up 3 seconds ago", "Exited (0) 2 minutes ago", else the state
    /// capitalised ("Created").
    fn status(&self) -> String {
        let r = &self.record;
        match r.state {
            ContainerState::Running => {
                format!("Up {}", report::ago(r.started_at.unwrap_or(r.created)))
            }
            ContainerState::Exited | ContainerState::Stopped => format!(
                "Exited ({}) {}",
                r.exit_code.unwrap_or(0),
                report::ago(r.finished_at.unwrap_or(r.created))
            ),
            s => {
                let s = s.as_str();
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
        }
    }

    fn namespaces(&self, ns: bool) -> BTreeMap<String, String> {
        match self.record.pid {
            Some(pid) if ns && self.record.state == ContainerState::Running => namespaces(pid),
            _ => BTreeMap::new(),
        }
    }

    fn json(&self, ns: bool) -> JsonRow {
        let r = &self.record;
        JsonRow {
            auto_remove: self.meta.as_ref().is_some_and(|m| m.rm),
            command: self.command(),
            created_at: report::ago(r.created),
            exited: self.exited(),
            exited_at: report::unix_or_zero(r.finished_at),
            exit_code: r.exit_code.unwrap_or(0),
            id: r.id.clone(),
            image: self.image(),
            image_id: r.image_id.clone().unwrap_or_default(),
            is_infra: false,
            labels: self.labels.clone(),
            mounts: self.mounts.clone(),
            names: vec![r.name.clone()],
            namespaces: self.namespaces(ns),
            networks: Vec::new(),
            pid: r.pid.unwrap_or(0),
            pod: String::new(),
            pod_name: String::new(),
            ports: None,
            size: self.size.map(|(rw, root)| SizeJson {
                rw_size: rw,
                root_fs_size: root,
            }),
            started_at: report::unix_or_zero(r.started_at),
            state: self.state().to_owned(),
            status: self.status(),
            created: secs(r.created),
            seccomp: self
                .meta
                .as_ref()
                .map(|m| m.seccomp.profile.clone())
                .unwrap_or_default(),
        }
    }

    fn template(&self, no_trunc: bool, ns: bool) -> TemplateRow {
        let j = self.json(ns);
        let short = |s: &str| {
            if no_trunc {
                s.to_owned()
            } else {
                s.chars().take(12).collect()
            }
        };
        let mut command = j.command.join(" ");
        // podman cuts the command at 17 characters (at a character here, not a byte).
        if !no_trunc && command.chars().count() > 17 {
            command = command.chars().take(17).collect::<String>() + "...";
        }
        let nsv = |k: &str| j.namespaces.get(k).cloned().unwrap_or_default();
        TemplateRow {
            id: short(&j.id),
            image: j.image.clone(),
            image_id: short(&j.image_id),
            command: rpod::term::shown(&command).into_owned(),
            created_at: report::go_time(self.record.created),
            created_human: j.created_at.clone(),
            created: report::go_time(self.record.created),
            running_for: j.created_at.clone(),
            status: j.status.clone(),
            state: j.status.clone(),
            names: j.names.join(","),
            labels: j.labels.clone(),
            mounts: j.mounts.clone(),
            pid: j.pid,
            exit_code: j.exit_code,
            exited: j.exited,
            exited_at: j.exited_at,
            started_at: j.started_at,
            ports: String::new(),
            pod: String::new(),
            pod_name: String::new(),
            // podman's ps prints go-units' sizes as they are, without the space `images`
            // puts between number and unit: `0B (virtual 2.14MB)`.
            size: self.size.map_or_else(String::new, |(rw, root)| {
                format!(
                    "{} (virtual {})",
                    report::human_size(rw).replace(' ', ""),
                    report::human_size(root).replace(' ', "")
                )
            }),
            networks: String::new(),
            cgroup: nsv("Cgroup"),
            ipc: nsv("IPC"),
            mnt: nsv("MNT"),
            net: nsv("NET"),
            pidns: nsv("PIDNS"),
            user: nsv("User"),
            uts: nsv("UTS"),
            namespaces: j.namespaces,
            restarts: "0".to_owned(),
            auto_remove: j.auto_remove,
            is_infra: false,
            seccomp: j.seccomp,
        }
    }
}

/// Every container with what listing needs; `size` walks each container's upper directory.
pub(super) fn gather(store: &Store, rt: &dyn Runtimes, size: bool) -> anyhow::Result<Vec<Listed>> {
    type ImageFacts = (BTreeMap<String, String>, u64, Vec<String>);
    let mut images: HashMap<String, ImageFacts> = HashMap::new();
    let mut out = Vec::new();
    for container in Container::all(store, rt)? {
        let meta = container.meta().ok();
        let record = container.record().clone();
        let (mut labels, image_size, names) = match &record.image_id {
            Some(id) => images
                .entry(id.clone())
                .or_insert_with(|| {
                    rpod::image::lookup(store, id).map_or_else(
                        |_| (BTreeMap::new(), 0, Vec::new()),
                        |img| {
                            let labels = img
                                .config
                                .config()
                                .as_ref()
                                .and_then(|c| c.labels().clone())
                                .map(|l| l.into_iter().collect())
                                .unwrap_or_default();
                            (labels, img.size, img.names)
                        },
                    )
                })
                .clone(),
            None => (BTreeMap::new(), 0, Vec::new()),
        };
        let given = meta.as_ref().map(|m| m.image.clone()).unwrap_or_default();
        if let Some(m) = &meta {
            labels.extend(m.settings.labels.clone());
        }
        let mounts = volume_destinations(&record);
        let size = size.then(|| (report::dir_size(&container.paths().upper), image_size));
        out.push(Listed {
            record,
            meta,
            labels,
            mounts,
            size,
            image_name: image_name(&given, &names),
        });
    }
    Ok(out)
}

/// The destinations of the container's bind mounts (its volumes), from its OCI spec.
fn volume_destinations(record: &ContainerRecord) -> Vec<String> {
    let Some(spec) = super::inspect::oci_spec(record) else {
        return Vec::new();
    };
    spec.get("mounts")
        .and_then(serde_json::Value::as_array)
        .map(|mounts| {
            mounts
                .iter()
                .filter(|m| {
                    m.get("options")
                        .and_then(serde_json::Value::as_array)
                        .is_some_and(|o| o.iter().any(|x| x == "bind" || x == "rbind"))
                })
                .filter_map(|m| m.get("destination")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Keeps the containers every filter passes.
fn apply_filters(
    store: &Store,
    list: Vec<Listed>,
    filters: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<Vec<Listed>> {
    if let Some(bad) = filters
        .get("status")
        .into_iter()
        .flatten()
        .find(|s| !STATUSES.contains(&s.as_str()))
    {
        anyhow::bail!(
            "unknown container state: {bad}: valid states are {}",
            STATUSES.join(", ")
        );
    }
    let mut exit_codes = Vec::new();
    for v in filters.get("exited").into_iter().flatten() {
        exit_codes.push(
            v.parse::<i32>()
                .map_err(|e| anyhow::anyhow!("exited code out of range {v:?}: {e}"))?,
        );
    }
    // before/since: the earliest creation time among the containers named.
    let created_of = |key: &str| -> anyhow::Result<Option<SystemTime>> {
        let mut t: Option<SystemTime> = None;
        for v in filters.get(key).into_iter().flatten() {
            let c = store.lookup_container(v)?;
            t = Some(t.map_or(c.created, |t| t.min(c.created)));
        }
        Ok(t)
    };
    let before = created_of("before")?;
    let since = created_of("since")?;
    // ancestor: an image reference resolves to its id; otherwise the value is an id part.
    let ancestors: Vec<String> = filters
        .get("ancestor")
        .into_iter()
        .flatten()
        .map(|a| {
            rpod::image::lookup(store, a)
                .map_or_else(|_| a.trim_start_matches("sha256:").to_owned(), |img| img.id)
        })
        .collect();
    let names: Vec<regex::Regex> = filters
        .get("name")
        .into_iter()
        .flatten()
        .map(|n| regex::Regex::new(&n.replace('/', "")))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("invalid name filter: {e}"))?;
    let keep = |c: &Listed| -> bool {
        let r = &c.record;
        let any = |key: &str, f: &dyn Fn(&String) -> bool| {
            filters.get(key).is_none_or(|vs| vs.iter().any(f))
        };
        any("id", &|v| r.id.starts_with(v.as_str()))
            && (names.is_empty() || names.iter().any(|n| n.is_match(&r.name)))
            && any("status", &|s| {
                let s = if s == "stopped" { "exited" } else { s.as_str() };
                let state = if r.state == ContainerState::Stopped {
                    "exited"
                } else {
                    r.state.as_str()
                };
                state == s
            })
            && filters
                .get("label")
                .is_none_or(|l| report::labels_match(l, &c.labels))
            && (exit_codes.is_empty()
                || (c.exited() && exit_codes.contains(&r.exit_code.unwrap_or(0))))
            && (ancestors.is_empty()
                || ancestors
                    .iter()
                    .any(|a| r.image_id.as_deref().is_some_and(|id| id.contains(a.as_str()))))
            && before.is_none_or(|t| r.created < t)
            && since.is_none_or(|t| r.created > t)
            // rpod has no pods: a pod filter matches no container.
            && !filters.contains_key("pod")
    };
    Ok(list.into_iter().filter(keep).collect())
}

fn sort(list: &mut [Listed], by: PsSort) {
    match by {
        PsSort::Command => list.sort_by_key(|c| c.command().join(" ")),
        PsSort::Created => list.sort_by_key(|c| std::cmp::Reverse(c.record.created)),
        PsSort::Id => list.sort_by(|a, b| a.record.id.cmp(&b.record.id)),
        PsSort::Image => list.sort_by_key(Listed::image),
        PsSort::Names => list.sort_by(|a, b| a.record.name.cmp(&b.record.name)),
        PsSort::Runningfor => {
            list.sort_by_key(|c| std::cmp::Reverse(c.record.started_at));
        }
        PsSort::Size => list.sort_by_key(|c| c.size.map_or(0, |(rw, root)| rw + root)),
        PsSort::Status => list.sort_by_key(|c| c.state()),
    }
}

pub fn run(store: &Store, rt: &dyn Runtimes, a: &PsArgs) -> anyhow::Result<ExitStatus> {
    let format = Format::parse(a.format.as_deref())?;
    let filters = report::parse_filters(&a.filter, FILTERS)?;
    // podman fills Size only with --size; a template asking for it implies it here.
    let size = a.size || a.format.as_deref().is_some_and(|f| f.contains(".Size"));
    let mut list = gather(store, rt, size)?;
    // Creation order, oldest first, as podman lists without --sort.
    list.sort_by(|a, b| {
        a.record
            .created
            .cmp(&b.record.created)
            .then(a.record.id.cmp(&b.record.id))
    });
    // --last and --latest look at every container, and so does a status filter (podman
    // follows Docker there); other filters see only running ones without -a.
    let all = a.all || a.last.is_some() || a.latest || filters.contains_key("status");
    if !all {
        list.retain(|c| c.record.state == ContainerState::Running);
    }
    let mut list = apply_filters(store, list, &filters)?;
    if a.latest || a.last.is_some() {
        // The n newest, newest first, as podman prints them.
        let n = if a.latest { 1 } else { a.last.unwrap_or(0) };
        list.reverse();
        list.truncate(n);
    }
    if let Some(by) = a.sort {
        sort(&mut list, by);
    }
    let out = match &format {
        Format::Json => {
            let rows: Vec<JsonRow> = list.iter().map(|c| c.json(a.ns)).collect();
            report::render_rows(&format, &rows, &|_| String::new(), true)?
        }
        Format::Default if a.quiet => list
            .iter()
            .map(|c| {
                let id = &c.record.id;
                format!("{}\n", if a.no_trunc { id } else { &id[..12] })
            })
            .collect(),
        Format::Default => default_table(&list, a),
        Format::Template { .. } => {
            let rows: Vec<TemplateRow> =
                list.iter().map(|c| c.template(a.no_trunc, a.ns)).collect();
            report::render_rows(&format, &rows, &|f| report::header(f, HEADERS), a.noheading)?
        }
    };
    print!("{out}");
    Ok(ExitStatus::Success)
}

/// podman's default columns (or the namespace columns with `--ns`), one row per container.
fn default_table(list: &[Listed], a: &PsArgs) -> String {
    let mut head: Vec<&str> = if a.ns {
        vec![
            "CONTAINER ID",
            "NAMES",
            "PID",
            "CGROUPNS",
            "IPC",
            "MNT",
            "NET",
            "PIDNS",
            "USERNS",
            "UTS",
        ]
    } else {
        vec![
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES",
        ]
    };
    if !a.ns && a.pod {
        head.extend(["POD ID", "PODNAME"]);
    }
    if !a.ns && a.size {
        head.push("SIZE");
    }
    let mut rows = Vec::new();
    if !a.noheading {
        rows.push(head.iter().map(|h| (*h).to_owned()).collect());
    }
    for c in list {
        let t = c.template(a.no_trunc, a.ns);
        let mut row = if a.ns {
            vec![
                t.id,
                t.names,
                t.pid.to_string(),
                t.cgroup,
                t.ipc,
                t.mnt,
                t.net,
                t.pidns,
                t.user,
                t.uts,
            ]
        } else {
            vec![
                t.id,
                t.image,
                t.command,
                t.created_human,
                t.status,
                t.ports,
                t.names,
            ]
        };
        if !a.ns && a.pod {
            row.extend([t.pod, t.pod_name]);
        }
        if !a.ns && a.size {
            row.push(t.size);
        }
        rows.push(row);
    }
    report::table(&rows)
}
