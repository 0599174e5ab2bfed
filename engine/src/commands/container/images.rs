//! `rpod import|load|images|tag|system df`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::report::{self, Format};
use crate::cli::container::{DfArgs, ImagesArgs, ImagesSort, ImportArgs, LoadArgs, TagArgs};
use rpod::exit::ExitStatus;
use rpod::image::{self, ImportOptions, LoadOptions};
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

pub fn import(store: &Store, a: &ImportArgs) -> anyhow::Result<ExitStatus> {
    let mut opts = ImportOptions {
        reference: a.reference.clone(),
        changes: a.changes.clone(),
        message: a.message.clone(),
        ..ImportOptions::default()
    };
    let img = if a.tarball.as_os_str() == "-" {
        image::import(store, &mut std::io::stdin().lock(), &opts)?
    } else {
        // A FIFO or device is refused by its type before anything waits on it (issue 12);
        // `-` reads a pipe.
        let mut f = image::open_regular(&a.tarball)?;
        // As podman: the file's modification time is the image's creation time.
        opts.created = f.metadata().and_then(|m| m.modified()).ok();
        image::import(store, &mut f, &opts)?
    };
    println!("sha256:{}", img.id);
    Ok(ExitStatus::Success)
}

pub fn load(store: &Store, a: &LoadArgs) -> anyhow::Result<ExitStatus> {
    let loaded = image::load(store, Path::new(&a.input), &LoadOptions::default())?;
    // As podman: the names the archive gave, not every name the image has (issue 12).
    for l in loaded {
        if l.names.is_empty() {
            println!("Loaded image: sha256:{}", l.image.id);
        }
        for n in &l.names {
            println!("Loaded image: {n}");
        }
    }
    Ok(ExitStatus::Success)
}

/// The filter keys `images --filter` takes.
const IMAGE_FILTERS: &[&str] = &["before", "dangling", "label", "reference", "since"];

/// One row of `rpod images` as a Go template sees it (podman's `imageReporter`): one row per
/// name an image has, `<none>` for an image without one.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImageRow {
    #[serde(rename = "ID")]
    short_id: String,
    id: String,
    repository: String,
    tag: String,
    digest: String,
    created: String,
    created_at: String,
    created_since: String,
    created_time: String,
    size: String,
    virtual_size: u64,
    shared_size: u64,
    read_only: bool,
    containers: usize,
    labels: BTreeMap<String, String>,
    history: String,
    names: Vec<String>,
    repo_tags: Vec<String>,
    repo_digests: Vec<String>,
    dangling: bool,
    parent_id: String,
    /// For sorting only.
    #[serde(skip)]
    created_unix: i64,
    #[serde(skip)]
    bytes: u64,
}

const IMAGE_HEADERS: &[(&str, &str)] = &[
    ("ID", "IMAGE ID"),
    ("Id", "IMAGE ID"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("CreatedTime", "CREATED AT"),
    ("ReadOnly", "R/O"),
];

/// Go's `path.Match` for `*` and `?` (neither crosses `/`); other characters are literal.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text)
                || (text.first().is_some_and(|c| *c != b'/') && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(c)) if *c != b'/' => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(c)) if p == c => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// `reference=PATTERN` against a name as podman tries it: the full name, the repository, and
/// both without the registry (`localhost/busybox:latest`, `busybox`, ...).
fn reference_matches(pattern: &str, name: &str) -> bool {
    let (repo, _) = split_name(name);
    let short = |s: &str| -> String {
        s.strip_prefix("docker.io/library/")
            .or_else(|| {
                s.split_once('/')
                    .filter(|(d, _)| d.contains('.') || d.contains(':') || *d == "localhost")
                    .map(|(_, r)| r)
            })
            .unwrap_or(s)
            .to_owned()
    };
    [name.to_owned(), repo.to_owned(), short(name), short(repo)]
        .iter()
        .any(|c| glob(pattern.as_bytes(), c.as_bytes()))
}

/// `repo:tag` of a stored name (`localhost/busybox:latest` -> `localhost/busybox`, `latest`).
fn split_name(n: &str) -> (&str, &str) {
    match n.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (n, "latest"),
    }
}

fn image_filters(
    store: &Store,
    list: Vec<image::ImageSummary>,
    filters: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<Vec<image::ImageSummary>> {
    let mut dangling = Vec::new();
    for v in filters.get("dangling").into_iter().flatten() {
        dangling.push(match v.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => anyhow::bail!("non-boolean value {v:?} for the dangling filter"),
        });
    }
    // before/since: relative to the newest (before) or oldest (since) of the images named.
    let created_of = |key: &str| -> anyhow::Result<Vec<i64>> {
        filters
            .get(key)
            .into_iter()
            .flatten()
            .map(|r| {
                let id = image::lookup(store, r)?.id;
                Ok(list.iter().find(|i| i.id == id).map_or(0, |i| i.created))
            })
            .collect()
    };
    let before = created_of("before")?;
    let since = created_of("since")?;
    let keep = |i: &image::ImageSummary| {
        filters.get("reference").is_none_or(|pats| {
            pats.iter()
                .any(|p| i.names.iter().any(|n| reference_matches(p, n)))
        }) && (dangling.is_empty() || dangling.contains(&i.dangling))
            && filters
                .get("label")
                .is_none_or(|l| report::labels_match(l, &i.labels))
            && before.iter().all(|t| i.created < *t)
            && since.iter().all(|t| i.created > *t)
    };
    Ok(list.into_iter().filter(keep).collect())
}

pub fn images(store: &Store, a: &ImagesArgs) -> anyhow::Result<ExitStatus> {
    let format = Format::parse(a.format.as_deref())?;
    let mut filters = report::parse_filters(&a.filter, IMAGE_FILTERS)?;
    if let Some(r) = &a.image {
        // podman: `images NAME` is `images --filter reference=NAME`.
        filters
            .entry("reference".to_owned())
            .or_default()
            .push(r.clone());
    }
    let list = image_filters(store, image::list(store)?, &filters)?;
    if matches!(format, Format::Json) {
        print!(
            "{}",
            report::render_rows(&format, &list, &|_| String::new(), true)?
        );
        return Ok(ExitStatus::Success);
    }
    let mut rows = Vec::new();
    for i in &list {
        let names: Vec<Option<&String>> = if i.names.is_empty() {
            vec![None]
        } else {
            i.names.iter().map(Some).collect()
        };
        let created = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(i.created).unwrap_or(0));
        for n in names {
            let (repository, tag) = n.map_or(("<none>", "<none>"), |n| split_name(n));
            rows.push(ImageRow {
                short_id: if a.no_trunc {
                    format!("sha256:{}", i.id)
                } else {
                    i.id.chars().take(12).collect()
                },
                id: i.id.clone(),
                repository: repository.to_owned(),
                tag: tag.to_owned(),
                digest: i.digest.clone(),
                created: report::ago(created),
                created_at: report::go_time_unix(i.created),
                created_since: report::ago(created),
                created_time: report::go_time_unix(i.created),
                size: report::human_size(i.size),
                virtual_size: i.virtual_size,
                shared_size: i.shared_size,
                read_only: false,
                containers: i.containers,
                labels: i.labels.clone(),
                history: i.history.join(", "),
                names: i.names.clone(),
                repo_tags: i.repo_tags.clone(),
                repo_digests: i.repo_digests.clone(),
                dangling: i.dangling,
                parent_id: i.parent_id.clone(),
                created_unix: i.created,
                bytes: i.size,
            });
        }
    }
    match a.sort {
        ImagesSort::Created => rows.sort_by_key(|r| std::cmp::Reverse(r.created_unix)),
        ImagesSort::Id => rows.sort_by(|x, y| x.id.cmp(&y.id)),
        ImagesSort::Repository => rows.sort_by(|x, y| x.repository.cmp(&y.repository)),
        ImagesSort::Size => rows.sort_by_key(|r| r.bytes),
        ImagesSort::Tag => rows.sort_by(|x, y| x.tag.cmp(&y.tag)),
    }
    let out = match &format {
        Format::Default if a.quiet => {
            // podman's -q: each image once, in the listed order.
            let mut seen = std::collections::HashSet::new();
            rows.iter()
                .filter(|r| seen.insert(r.id.clone()))
                .map(|r| format!("{}\n", r.short_id))
                .collect()
        }
        Format::Default => {
            let mut head = vec!["REPOSITORY", "TAG"];
            if a.digests {
                head.push("DIGEST");
            }
            head.extend(["IMAGE ID", "CREATED", "SIZE"]);
            let mut cells: Vec<Vec<String>> = Vec::new();
            if !a.noheading {
                cells.push(head.iter().map(|h| (*h).to_owned()).collect());
            }
            for r in &rows {
                let mut row = vec![r.repository.clone(), r.tag.clone()];
                if a.digests {
                    row.push(r.digest.clone());
                }
                row.extend([r.short_id.clone(), r.created_since.clone(), r.size.clone()]);
                cells.push(row);
            }
            report::table(&cells)
        }
        _ => report::render_rows(
            &format,
            &rows,
            &|f| report::header(f, IMAGE_HEADERS),
            a.noheading,
        )?,
    };
    print!("{out}");
    Ok(ExitStatus::Success)
}

pub fn tag(store: &Store, a: &TagArgs) -> anyhow::Result<ExitStatus> {
    for n in &a.names {
        image::tag(store, &a.image, n)?;
    }
    Ok(ExitStatus::Success)
}

/// One line of `system df`'s summary (podman's `dfSummary`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DfRow {
    #[serde(rename = "Type")]
    kind: String,
    total: usize,
    active: usize,
    size: String,
    reclaimable: String,
    /// For `--format json`.
    raw_size: u64,
    raw_reclaimable: u64,
}

pub fn df(store: &Store, rt: &dyn Runtimes, a: &DfArgs) -> anyhow::Result<ExitStatus> {
    let format = Format::parse(a.format.as_deref())?;
    let du = image::disk_usage(store)?;
    let containers = super::ps::gather(store, rt, true)?;
    let running = containers
        .iter()
        .filter(|c| c.record.state == ContainerState::Running)
        .count();
    let written: u64 = containers.iter().map(|c| c.size.map_or(0, |s| s.0)).sum();
    let reclaim_written: u64 = containers
        .iter()
        .filter(|c| c.record.state != ContainerState::Running)
        .map(|c| c.size.map_or(0, |s| s.0))
        .sum();
    let pct = |part: u64, whole: u64| part.saturating_mul(100).checked_div(whole).unwrap_or(0);
    let rows = vec![
        DfRow {
            kind: "Images".into(),
            total: du.total,
            active: du.active,
            size: report::human_size(du.size),
            reclaimable: format!(
                "{} ({}%)",
                report::human_size(du.reclaimable),
                pct(du.reclaimable, du.size)
            ),
            raw_size: du.size,
            raw_reclaimable: du.reclaimable,
        },
        DfRow {
            kind: "Containers".into(),
            total: containers.len(),
            active: running,
            size: report::human_size(written),
            reclaimable: format!(
                "{} ({}%)",
                report::human_size(reclaim_written),
                pct(reclaim_written, written)
            ),
            raw_size: written,
            raw_reclaimable: reclaim_written,
        },
        // rpod has no named volumes yet.
        DfRow {
            kind: "Local Volumes".into(),
            total: 0,
            active: 0,
            size: report::human_size(0),
            reclaimable: format!("{} (0%)", report::human_size(0)),
            raw_size: 0,
            raw_reclaimable: 0,
        },
    ];
    let out = match &format {
        Format::Json if a.verbose => report::render_one(
            &format,
            &serde_json::json!({ "Images": du, "Containers": containers.iter().map(|c| serde_json::json!({
                "ContainerID": c.record.id,
                "Image": c.meta.as_ref().map(|m| m.image.clone()).unwrap_or_default(),
                "Size": c.size.map_or(0, |s| s.0),
                "Status": c.record.state.as_str(),
                "Names": c.record.name,
            })).collect::<Vec<_>>() }),
        )?,
        Format::Json => report::render_rows(&format, &rows, &|_| String::new(), true)?,
        Format::Template { .. } => {
            report::render_rows(&format, &rows, &|f| report::header(f, &[]), false)?
        }
        Format::Default if a.verbose => {
            let mut out = String::from("Images space usage:\n\n");
            let mut cells = vec![[
                "REPOSITORY",
                "TAG",
                "IMAGE ID",
                "CREATED",
                "SIZE",
                "SHARED SIZE",
                "UNIQUE SIZE",
                "CONTAINERS",
            ]
            .map(str::to_owned)
            .to_vec()];
            for i in &du.images {
                let names: Vec<Option<&String>> = if i.names.is_empty() {
                    vec![None]
                } else {
                    i.names.iter().map(Some).collect()
                };
                for n in names {
                    let (repo, tag) = n.map_or(("<none>", "<none>"), |n| split_name(n));
                    let created = i
                        .created
                        .as_deref()
                        .and_then(rpod::time::parse_rfc3339)
                        .and_then(|s| u64::try_from(s).ok())
                        .map_or_else(String::new, |s| {
                            report::ago(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s))
                        });
                    cells.push(vec![
                        repo.to_owned(),
                        tag.to_owned(),
                        i.id.chars().take(12).collect(),
                        created,
                        report::human_size(i.size),
                        report::human_size(i.shared_size),
                        report::human_size(i.unique_size),
                        i.containers.to_string(),
                    ]);
                }
            }
            out.push_str(&report::table(&cells));
            out.push_str("\nContainers space usage:\n\n");
            let mut cells = vec![[
                "CONTAINER ID",
                "IMAGE",
                "COMMAND",
                "LOCAL VOLUMES",
                "SIZE",
                "CREATED",
                "STATUS",
                "NAMES",
            ]
            .map(str::to_owned)
            .to_vec()];
            for c in &containers {
                cells.push(vec![
                    c.record.id.chars().take(12).collect(),
                    c.record
                        .image_id
                        .as_deref()
                        .unwrap_or_default()
                        .chars()
                        .take(12)
                        .collect(),
                    c.meta
                        .as_ref()
                        .map(|m| m.command.join(" "))
                        .map(|s| rpod::term::shown(&s).into_owned())
                        .unwrap_or_default(),
                    "0".to_owned(),
                    report::human_size(c.size.map_or(0, |s| s.0)),
                    report::ago(c.record.created),
                    c.record.state.as_str().to_owned(),
                    c.record.name.clone(),
                ]);
            }
            out.push_str(&report::table(&cells));
            out.push_str("\nLocal Volumes space usage:\n\n");
            out.push_str(&report::table(&[["VOLUME NAME", "LINKS", "SIZE"]
                .map(str::to_owned)
                .to_vec()]));
            out
        }
        Format::Default => {
            let mut cells = vec![["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
                .map(str::to_owned)
                .to_vec()];
            for r in &rows {
                cells.push(vec![
                    r.kind.clone(),
                    r.total.to_string(),
                    r.active.to_string(),
                    r.size.clone(),
                    r.reclaimable.clone(),
                ]);
            }
            report::table(&cells)
        }
    };
    print!("{out}");
    Ok(ExitStatus::Success)
}
