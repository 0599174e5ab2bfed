//! `rpod top CONTAINER [DESCRIPTORS...]`: the container's processes, read from /proc of the
//! host pids in its cgroup, in podman's columns (psgo's AIX descriptors) and table layout.

use std::fs;
use std::path::Path;

use super::lifecycle::is_missing;
use crate::cli::more::TopArgs;
use crate::commands::usage;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

/// podman's default descriptors.
const DEFAULT: &[&str] = &[
    "user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args",
];

/// Descriptor -> header (psgo's names; `comm` and `args` are both COMMAND).
const KNOWN: &[(&str, &str)] = &[
    ("user", "USER"),
    ("pid", "PID"),
    ("ppid", "PPID"),
    ("pcpu", "%CPU"),
    ("etime", "ELAPSED"),
    ("tty", "TTY"),
    ("time", "TIME"),
    ("args", "COMMAND"),
    ("comm", "COMMAND"),
    ("uid", "UID"),
    ("gid", "GID"),
    ("nice", "NI"),
];

/// Go's `tabwriter` as podman sets it up (min width 12, padding 2, blanks): every column but
/// the last is padded to its widest cell plus 2, at least 12.
pub(super) fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count() + 2)
                .max()
                .unwrap_or(0)
                .max(12)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}", w = widths[i]));
            }
        }
        out.push('\n');
    }
    out
}

/// A Go `time.Duration` printed as Go prints it (`3.218929ms`, `8.4s`, `1m30s`, `0s`).
pub(super) fn go_duration(nanos: u128) -> String {
    fn frac(n: u128, unit: u128, digits: usize) -> String {
        let (int, rest) = (n / unit, n % unit);
        if rest == 0 {
            int.to_string()
        } else {
            let f = format!("{rest:0digits$}");
            format!("{int}.{}", f.trim_end_matches('0'))
        }
    }
    const S: u128 = 1_000_000_000;
    match nanos {
        0 => "0s".into(),
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => format!("{}µs", frac(n, 1_000, 3)),
        n if n < S => format!("{}ms", frac(n, 1_000_000, 6)),
        n => {
            let (h, m) = (n / (3600 * S), n / (60 * S) % 60);
            let s = frac(n % (60 * S), S, 9);
            if h > 0 {
                format!("{h}h{m}m{s}s")
            } else if m > 0 {
                format!("{m}m{s}s")
            } else {
                format!("{s}s")
            }
        }
    }
}

/// What /proc says of one process.
struct Proc {
    pid: i32,
    ns_pid: String,
    ppid: i32,
    uid: u32,
    gid: u32,
    comm: String,
    args: String,
    tty_nr: i64,
    nice: String,
    /// utime + stime, clock ticks.
    cpu_ticks: u64,
    /// Since boot, clock ticks.
    start_ticks: u64,
}

fn read_proc(pid: i32) -> Option<Proc> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.rfind(')')?;
    let comm = stat.get(stat.find('(')? + 1..close)?.to_string();
    // Fields after "(comm)": state is field 3, so index i here is field i + 3.
    let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |k: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    let ids = |k: &str| {
        field(k)
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
    };
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Proc {
        pid,
        // The pid in the container's namespace: the last of NSpid.
        ns_pid: field("NSpid:")
            .split_whitespace()
            .last()
            .map_or_else(|| pid.to_string(), str::to_string),
        ppid: i32::try_from(num(1)?).ok()?,
        uid: ids("Uid:")?,
        gid: ids("Gid:")?,
        args: if args.is_empty() {
            format!("[{comm}]")
        } else {
            args
        },
        comm,
        tty_nr: num(4)?,
        nice: num(16)?.to_string(),
        cpu_ticks: u64::try_from(num(11)? + num(12)?).ok()?,
        start_ticks: u64::try_from(num(19)?).ok()?,
    })
}

/// The user name of `uid` in the container's /etc/passwd, else the number (as psgo does).
fn user_name(rootfs: &Path, uid: u32) -> String {
    // Read inside the container's root (its /etc/passwd may be a link to a host file, or a
    // FIFO): bundle::user's rules, not a plain read.
    rpod::bundle::user_name(rootfs, uid)
        .ok()
        .flatten()
        .unwrap_or_else(|| uid.to_string())
}

fn tty_name(tty_nr: i64) -> String {
    if tty_nr == 0 {
        return "?".into();
    }
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    match major {
        136..=143 => format!("pts/{}", (major - 136) * 256 + minor),
        4 if minor < 64 => format!("tty{minor}"),
        _ => "?".into(),
    }
}

pub fn run(store: &Store, rt: &dyn Runtimes, a: &TopArgs) -> anyhow::Result<ExitStatus> {
    let mut c = match Container::lookup(store, rt, &a.container) {
        // podman's words for top.
        Err(e) if is_missing(&e) => anyhow::bail!(
            "unable to look up requested container: no container with name or ID {:?} found: no such container",
            a.container
        ),
        other => other?,
    };
    let descriptors: Vec<String> = if a.descriptors.is_empty() {
        DEFAULT.iter().map(ToString::to_string).collect()
    } else {
        // podman also takes them comma-separated.
        a.descriptors
            .iter()
            .flat_map(|d| d.split(',').map(str::to_string).collect::<Vec<_>>())
            .filter(|d| !d.is_empty())
            .collect()
    };
    let headers = descriptors
        .iter()
        .map(|d| {
            KNOWN
                .iter()
                .find(|(k, _)| k == d)
                .map(|(_, h)| (*h).to_string())
                .ok_or_else(|| {
                    usage(
                        format!("unknown descriptor: {d}"),
                        format!(
                            "known descriptors: {}",
                            KNOWN.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                        ),
                    )
                })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pids = c.pids()?;
    let rootfs = c.paths().merged.clone();
    let tck = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|t| u64::try_from(t).ok())
        .filter(|t| *t > 0)
        .unwrap_or(100);
    let uptime_ns: u128 = fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| {
            u.split_whitespace()
                .next()
                .and_then(|s| s.parse::<f64>().ok())
        })
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        .map_or(0, |d| d.as_nanos());
    let procs: Vec<Proc> = pids.iter().filter_map(|p| read_proc(*p)).collect();
    let ns_of = |host: i32| {
        procs
            .iter()
            .find(|p| p.pid == host)
            .map_or_else(|| "0".to_string(), |p| p.ns_pid.clone())
    };
    let mut rows = vec![headers];
    for p in &procs {
        let elapsed =
            uptime_ns.saturating_sub(u128::from(p.start_ticks) * 1_000_000_000 / u128::from(tck));
        let cpu_ns = u128::from(p.cpu_ticks) * 1_000_000_000 / u128::from(tck);
        let row = descriptors
            .iter()
            .map(|d| match d.as_str() {
                "user" => user_name(&rootfs, p.uid),
                "pid" => p.ns_pid.clone(),
                "ppid" => ns_of(p.ppid),
                "pcpu" => {
                    let pct = if elapsed == 0 {
                        0.0
                    } else {
                        cpu_ns as f64 / elapsed as f64 * 100.0
                    };
                    format!("{pct:.3}")
                }
                "etime" => go_duration(elapsed),
                "tty" => tty_name(p.tty_nr),
                "time" => go_duration(cpu_ns),
                "args" => p.args.clone(),
                "comm" => p.comm.clone(),
                "uid" => p.uid.to_string(),
                "gid" => p.gid.to_string(),
                "nice" => p.nice.clone(),
                _ => unreachable!("descriptors are checked above"),
            })
            .collect();
        rows.push(row);
    }
    print!("{}", table(&rows));
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(3_218_929), "3.218929ms");
        assert_eq!(go_duration(10_000_000), "10ms");
        assert_eq!(go_duration(8_426_967_622), "8.426967622s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(1_500), "1.5µs");
    }

    #[test]
    fn the_table_pads_like_podmans_tabwriter() {
        let t = table(&[
            vec!["USER".into(), "ELAPSED".into(), "COMMAND".into()],
            vec!["0".into(), "8.426967622s".into(), "sleep 100".into()],
        ]);
        assert_eq!(
            t,
            "USER        ELAPSED       COMMAND\n0           8.426967622s  sleep 100\n"
        );
    }
}
