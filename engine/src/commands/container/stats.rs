//! `rpod stats [--no-stream] [-i N] [--format json] [CONTAINER...]`: a sample of each container's
//! cgroup counters (cgroup v1: cpuacct, memory, pids, blkio), in podman's columns. The CPU
//! percentages are averages since the container started (podman's first sample is the same).
//! Network I/O is `0B / 0B`: rpod's networks are `none` (no traffic to count) and `host` (the
//! host's counters are not the container's), where podman shows the same for `none`.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;

use super::top::{go_duration, table};
use crate::cli::more::StatsArgs;
use crate::commands::format::{render_rows, Format};
use crate::commands::usage;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

/// One row, with podman's JSON field names.
#[derive(Debug, Serialize)]
struct Row {
    id: String,
    name: String,
    cpu_time: String,
    cpu_percent: String,
    avg_cpu: String,
    mem_usage: String,
    mem_percent: String,
    net_io: String,
    block_io: String,
    pids: String,
}

/// One row as a `--format` template sees it: podman's template field names (`{{.CPUPerc}}`),
/// which are not its JSON ones.
#[derive(Debug, Serialize)]
struct TemplateRow<'a> {
    #[serde(rename = "ID")]
    id: &'a str,
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "CPUPerc")]
    cpu_percent: &'a str,
    #[serde(rename = "MemUsage")]
    mem_usage: &'a str,
    #[serde(rename = "MemPerc")]
    mem_percent: &'a str,
    #[serde(rename = "NetIO")]
    net_io: &'a str,
    #[serde(rename = "BlockIO")]
    block_io: &'a str,
    #[serde(rename = "PIDs")]
    pids: &'a str,
    #[serde(rename = "CPU")]
    cpu_time: &'a str,
    #[serde(rename = "AVGCPU")]
    avg_cpu: &'a str,
}

impl<'a> From<&'a Row> for TemplateRow<'a> {
    fn from(r: &'a Row) -> Self {
        TemplateRow {
            id: &r.id,
            name: &r.name,
            cpu_percent: &r.cpu_percent,
            mem_usage: &r.mem_usage,
            mem_percent: &r.mem_percent,
            net_io: &r.net_io,
            block_io: &r.block_io,
            pids: &r.pids,
            cpu_time: &r.cpu_time,
            avg_cpu: &r.avg_cpu,
        }
    }
}

/// docker/go-units' `HumanSize`: decimal units, 4 significant digits (`196.6kB`, `25.28GB`).
fn human(bytes: u64) -> String {
    super::report::go_units_size(bytes, 4, "")
}

fn read_u64(p: &Path) -> Option<u64> {
    fs::read_to_string(p).ok()?.trim().parse().ok()
}

/// The host's memory (`MemTotal`), the limit podman shows for an unlimited container.
fn host_memory() -> u64 {
    fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}

fn pct(part: f64, whole: f64) -> String {
    let p = if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    };
    format!("{p:.2}%")
}

fn sample(c: &Container<'_>) -> Row {
    let r = c.record();
    let running = c.is_running();
    let cg = |ctrl: &str| running.then(|| c.cgroup_dir(ctrl)).flatten();
    let cpu_ns = cg("cpuacct")
        .and_then(|d| read_u64(&d.join("cpuacct.usage")))
        .unwrap_or(0);
    let mem = cg("memory")
        .and_then(|d| read_u64(&d.join("memory.usage_in_bytes")))
        .unwrap_or(0);
    let limit = if running {
        let host = host_memory();
        cg("memory")
            .and_then(|d| read_u64(&d.join("memory.limit_in_bytes")))
            .map_or(host, |l| l.min(host))
    } else {
        0
    };
    let pids = cg("pids")
        .and_then(|d| read_u64(&d.join("pids.current")))
        .unwrap_or(0);
    let (mut read, mut write) = (0u64, 0u64);
    if let Some(t) =
        cg("blkio").and_then(|d| fs::read_to_string(d.join("blkio.throttle.io_service_bytes")).ok())
    {
        for l in t.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            if let [_, op, n] = f.as_slice() {
                let n: u64 = n.parse().unwrap_or(0);
                match *op {
                    "Read" => read += n,
                    "Write" => write += n,
                    _ => {}
                }
            }
        }
    }
    let up_ns = r
        .started_at
        .filter(|_| running)
        .and_then(|s| SystemTime::now().duration_since(s).ok())
        .map_or(0.0, |d| d.as_nanos() as f64);
    let cpu = pct(cpu_ns as f64, up_ns);
    Row {
        id: r.id.clone(),
        name: r.name.clone(),
        cpu_time: go_duration(u128::from(cpu_ns)),
        cpu_percent: cpu.clone(),
        avg_cpu: cpu,
        mem_usage: format!("{} / {}", human(mem), human(limit)),
        mem_percent: pct(mem as f64, limit as f64),
        net_io: "0B / 0B".into(),
        block_io: format!("{} / {}", human(read), human(write)),
        pids: pids.to_string(),
    }
}

/// Without `--no-stream`, a report every `--interval` seconds until interrupted, as podman's.
/// The screen is reset before each report unless `--no-reset`, on a terminal only: rpod writes
/// no escape codes into a pipe or file, where they would only garble what a script reads.
pub fn run(store: &Store, rt: &dyn Runtimes, a: &StatsArgs) -> anyhow::Result<ExitStatus> {
    if a.no_stream {
        return report(store, rt, a);
    }
    if a.interval == 0 {
        return Err(usage(
            "invalid --interval 0",
            "give the seconds between reports, 1 or more",
        ));
    }
    let clear = !a.no_reset && std::io::IsTerminal::is_terminal(&std::io::stdout());
    loop {
        if clear {
            print!("\x1b[2J\x1b[H");
        }
        report(store, rt, a)?;
        std::io::Write::flush(&mut std::io::stdout())?;
        std::thread::sleep(std::time::Duration::from_secs(a.interval));
    }
}

/// One report of the containers' statistics.
fn report(store: &Store, rt: &dyn Runtimes, a: &StatsArgs) -> anyhow::Result<ExitStatus> {
    let containers: Vec<Container<'_>> = if a.containers.is_empty() {
        Container::all(store, rt)?
            .into_iter()
            .filter(|c| a.all || c.is_running())
            .collect()
    } else {
        a.containers
            .iter()
            .map(|n| Ok(Container::lookup(store, rt, n)?))
            .collect::<anyhow::Result<_>>()?
    };
    let mut rows: Vec<Row> = containers.iter().map(sample).collect();
    if !a.no_trunc {
        for r in &mut rows {
            r.id.truncate(12);
        }
    }
    match Format::parse(a.format.as_deref())? {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        format @ Format::Template { .. } => {
            let rows: Vec<TemplateRow<'_>> = rows.iter().map(TemplateRow::from).collect();
            let headers = |f: &str| {
                match f {
                    "CPUPerc" => "CPU %",
                    "MemUsage" => "MEM USAGE / LIMIT",
                    "MemPerc" => "MEM %",
                    "NetIO" => "NET IO",
                    "BlockIO" => "BLOCK IO",
                    "CPU" => "CPU TIME",
                    "AVGCPU" => "AVG CPU %",
                    _ => "",
                }
                .to_string()
            };
            print!("{}", render_rows(&format, &rows, &headers, false)?);
        }
        Format::Default => {
            let mut t = vec![[
                "ID",
                "NAME",
                "CPU %",
                "MEM USAGE / LIMIT",
                "MEM %",
                "NET IO",
                "BLOCK IO",
                "PIDS",
                "CPU TIME",
                "AVG CPU %",
            ]
            .map(String::from)
            .to_vec()];
            for r in rows {
                t.push(vec![
                    r.id,
                    r.name,
                    r.cpu_percent,
                    r.mem_usage,
                    r.mem_percent,
                    r.net_io,
                    r.block_io,
                    r.pids,
                    r.cpu_time,
                    r.avg_cpu,
                ]);
            }
            print!("{}", table(&t));
        }
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_as_go_units_does() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(516), "516B");
        assert_eq!(human(1546), "1.546kB");
        assert_eq!(human(196_608), "196.6kB");
        assert_eq!(human(25_280_000_000), "25.28GB");
        assert_eq!(human(1_000_000), "1MB");
    }
}
