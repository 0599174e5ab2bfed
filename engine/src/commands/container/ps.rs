//! `rpod ps`.

use std::time::SystemTime;

use serde::Serialize;

use crate::cli::container::PsArgs;
use crate::cli::seccomp::OutputFormat;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Row {
    id: String,
    names: Vec<String>,
    image: String,
    command: Vec<String>,
    state: String,
    exit_code: Option<i32>,
    pid: i32,
    created: u64,
    seccomp: String,
    /// With `--ns`: the namespace inodes of the running process (`pid`, `mnt`, `net`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    namespaces: Option<std::collections::BTreeMap<String, String>>,
}

/// The namespaces of `pid` as `/proc/PID/ns/*` names them (`net:[4026531840]` -> `4026531840`).
fn namespaces(pid: i32) -> std::collections::BTreeMap<String, String> {
    ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"]
        .iter()
        .filter_map(|ns| {
            let link = std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).ok()?;
            let text = link.to_string_lossy();
            let inode = text.split('[').nth(1)?.trim_end_matches(']').to_string();
            Some(((*ns).to_string(), inode))
        })
        .collect()
}

fn ago(t: SystemTime) -> String {
    let s = t.elapsed().map(|d| d.as_secs()).unwrap_or(0);
    match s {
        0..=59 => format!("{s} seconds ago"),
        60..=3599 => format!("{} minutes ago", s / 60),
        _ => format!("{} hours ago", s / 3600),
    }
}

pub fn run(store: &Store, rt: &dyn Runtimes, a: &PsArgs) -> anyhow::Result<ExitStatus> {
    let mut rows = Vec::new();
    for container in Container::all(store, rt)? {
        let m = container.meta().ok();
        let c = container.record();
        if !a.all && c.state != ContainerState::Running {
            continue;
        }
        rows.push((
            c.created,
            Row {
                id: c.id.clone(),
                names: vec![c.name.clone()],
                image: m.as_ref().map(|m| m.image.clone()).unwrap_or_default(),
                command: m.as_ref().map(|m| m.command.clone()).unwrap_or_default(),
                state: c.state.as_str().to_string(),
                exit_code: c.exit_code,
                pid: c.pid.unwrap_or(0),
                created: c
                    .created
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                seccomp: m.map(|m| m.seccomp.profile).unwrap_or_default(),
                namespaces: (a.ns && c.state == ContainerState::Running)
                    .then(|| namespaces(c.pid.unwrap_or(0))),
            },
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    if a.format == OutputFormat::Json {
        let v: Vec<&Row> = rows.iter().map(|(_, r)| r).collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitStatus::Success);
    }
    if a.quiet {
        // podman's -q: the short ids, one per line.
        for (_, r) in &rows {
            println!("{}", &r.id[..12]);
        }
        return Ok(ExitStatus::Success);
    }
    println!(
        "{:<12}  {:<22}  {:<24}  {:<16}  {:<22}  NAMES",
        "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS"
    );
    for (created, r) in &rows {
        let status = match (r.state.as_str(), r.exit_code) {
            ("exited", Some(code)) => format!("Exited ({code})"),
            ("running", _) => "Up".to_string(),
            (s, _) => s.to_string(),
        };
        let cmd = column(&r.command.join(" "), 24);
        println!(
            "{:<12}  {:<22}  {:<24}  {:<16}  {:<22}  {}",
            &r.id[..12],
            r.image,
            cmd,
            ago(*created),
            status,
            r.names.join(",")
        );
        if a.ns {
            let ns = r.namespaces.as_ref().map_or_else(String::new, |m| {
                m.iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            println!("              seccomp: {}  {ns}", r.seccomp);
        }
    }
    Ok(ExitStatus::Success)
}

/// `text` for a table column of `width` characters: control characters escaped (a command
/// with a newline would break the table), cut at a character boundary with `...` when longer
/// (a byte cut panicked inside a multibyte character, issue 12).
fn column(text: &str, width: usize) -> String {
    let shown = rpod::term::shown(text);
    if shown.chars().count() <= width {
        return shown.into_owned();
    }
    let mut cut: String = shown.chars().take(width.saturating_sub(3)).collect();
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::column;

    #[test]
    fn a_column_is_cut_at_a_character_and_shows_controls_escaped() {
        assert_eq!(column("sleep 600", 24), "sleep 600");
        // 'ñ' is two bytes: byte 21 falls inside one.
        let cmd = format!("echo x{}", "ñ".repeat(30));
        assert!(!cmd.is_char_boundary(21));
        assert_eq!(column(&cmd, 24), format!("echo x{}...", "ñ".repeat(15)));
        assert_eq!(column("sh -c 'a\nb'", 24), "sh -c 'a\\nb'");
    }
}
