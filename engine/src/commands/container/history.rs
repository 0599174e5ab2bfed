//! `rpod history IMAGE` (and `rpod image history`): the image config's history entries, newest
//! first, as podman prints them: columns ID, CREATED, CREATED BY, SIZE, COMMENT; template
//! fields ID, Created, CreatedBy, Size, Comment, Tags. The newest entry carries the image's id
//! and names, older ones `<missing>` (rpod keeps no intermediate images). An entry that made a
//! layer (not `empty_layer`) gets that layer's size, matched from the top layer down.

use serde::Serialize;

use super::report::{self, Format};
use crate::cli::container::HistoryArgs;
use rpod::exit::ExitStatus;
use rpod::image;
use rpod::storage::Store;

/// podman truncates CREATED BY to this many characters (with `...`) unless `--no-trunc`.
const CREATED_BY_WIDTH: usize = 45;

/// One entry as a Go template sees it (podman's `historyReporter`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Row {
    #[serde(rename = "ID")]
    id: String,
    created: String,
    created_by: String,
    size: String,
    comment: String,
    tags: Vec<String>,
}

/// One entry in `--format json` (podman's `ImageHistory`, with its field names).
#[derive(Serialize)]
struct JsonRow {
    id: String,
    created: Option<String>,
    #[serde(rename = "CreatedBy")]
    created_by: String,
    size: u64,
    comment: String,
    tags: Vec<String>,
}

pub fn run(store: &Store, a: &HistoryArgs) -> anyhow::Result<ExitStatus> {
    let format = Format::parse(a.format.as_deref())?;
    let img = image::lookup(store, &a.image)?;
    let history = img.config.history().clone().unwrap_or_default();
    // Sizes of the layers, top first, handed out to the entries that made one.
    let mut layer_sizes = img.layers.iter().rev().map(|l| l.size);
    let mut entries = Vec::new();
    for (n, h) in history.iter().rev().enumerate() {
        let size = if h.empty_layer().unwrap_or(false) {
            0
        } else {
            layer_sizes.next().unwrap_or(0)
        };
        let top = n == 0;
        entries.push(JsonRow {
            id: if top {
                img.id.clone()
            } else {
                "<missing>".to_owned()
            },
            created: h.created().clone(),
            created_by: h.created_by().clone().unwrap_or_default(),
            size,
            comment: h.comment().clone().unwrap_or_default(),
            tags: if top { img.names.clone() } else { Vec::new() },
        });
    }
    if matches!(format, Format::Json) {
        print!(
            "{}",
            report::render_rows(&format, &entries, &|_| String::new(), true)?
        );
        return Ok(ExitStatus::Success);
    }
    if a.quiet {
        for e in &entries {
            println!("{}", short_id(&e.id, a.no_trunc));
        }
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Row> = entries
        .iter()
        .map(|e| Row {
            id: short_id(&e.id, a.no_trunc),
            created: created(e.created.as_deref(), a.human),
            created_by: if a.no_trunc {
                e.created_by.clone()
            } else {
                truncate(&e.created_by)
            },
            size: if a.human {
                report::human_size(e.size)
            } else {
                e.size.to_string()
            },
            comment: e.comment.clone(),
            tags: e.tags.clone(),
        })
        .collect();
    let format = format
        .or_default("table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}")?;
    print!(
        "{}",
        report::render_rows(&format, &rows, &|f| report::header(f, &[]), false)?
    );
    Ok(ExitStatus::Success)
}

fn short_id(id: &str, no_trunc: bool) -> String {
    if no_trunc || id == "<missing>" {
        id.to_owned()
    } else {
        id.chars().take(12).collect()
    }
}

/// `N units ago` (human) or the RFC 3339 time as stored.
fn created(t: Option<&str>, human: bool) -> String {
    let Some(t) = t else {
        return String::new();
    };
    if !human {
        return t.to_owned();
    }
    rpod::time::parse_rfc3339(t)
        .and_then(|s| u64::try_from(s).ok())
        .map_or_else(
            || t.to_owned(),
            |s| report::ago(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s)),
        )
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= CREATED_BY_WIDTH {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(CREATED_BY_WIDTH - 3).collect();
        t.push_str("...");
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_is_truncated_to_45_characters_like_podman() {
        let long = "/bin/sh -c #(nop) ADD file:8ed95db90bed62dd3dfd649b0d784173407443eb in /";
        assert_eq!(
            truncate(long),
            "/bin/sh -c #(nop) ADD file:8ed95db90bed62d..."
        );
        assert_eq!(truncate("rpod import"), "rpod import");
    }
}
