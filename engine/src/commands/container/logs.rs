//! `rpod logs`: one or several containers' output, with podman's `--since --until --tail
//! -t --names -f`. Several containers' lines are merged in time order, each prefixed with the
//! container's short id (its name with `--names`), as podman shows them.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

use super::lifecycle::{is_missing, no_such_container};
use crate::cli::container::LogsArgs;
use crate::commands::usage;
use rpod::container::log_filter::{self, Line, Window};
use rpod::container::{Container, LogCursor, Stream};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

/// A duration as Go writes one: `1h30m`, `10m`, `5s`, `250ms`, `1.5h` (units h m s ms us ns).
pub fn go_duration(s: &str) -> Option<Duration> {
    if s.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(n);
        let value: f64 = num.parse().ok()?;
        let u = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(u);
        let scale = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * scale;
        rest = next;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// `--since`/`--until`: RFC 3339, Unix seconds (with a fraction), or a duration before now;
/// nanoseconds since the epoch.
pub fn time_arg(flag: &str, v: &str, now: SystemTime) -> anyhow::Result<i128> {
    if let Some(n) = log_filter::stamp_nanos(v) {
        return Ok(n);
    }
    if let Ok(secs) = v.parse::<f64>() {
        #[expect(clippy::cast_possible_truncation, reason = "nanoseconds fit in i128")]
        return Ok((secs * 1e9) as i128);
    }
    if let Some(d) = go_duration(v) {
        let t = now.checked_sub(d).unwrap_or(UNIX_EPOCH);
        let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        return Ok(i128::try_from(since.as_nanos()).unwrap_or(i128::MAX));
    }
    Err(usage(
        format!("invalid --{flag} {v:?}"),
        "give an RFC 3339 time (2026-01-02T15:04:05Z), Unix seconds, or a duration (10m)",
    ))
}

/// What goes before each line: the container (when several, or `--names`), the time (`-t`).
fn prefix(label: Option<&str>, l: &Line, timestamps: bool) -> String {
    let mut p = String::new();
    if let Some(n) = label {
        p.push_str(n);
        p.push(' ');
    }
    if timestamps {
        p.push_str(&l.time);
        p.push(' ');
    }
    p
}

fn emit(label: Option<&str>, l: &Line, timestamps: bool) -> anyhow::Result<()> {
    let p = prefix(label, l, timestamps);
    let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        w.write_all(p.as_bytes())?;
        w.write_all(&l.text)?;
        w.flush()
    };
    match l.stream {
        Stream::Stdout => write(&mut std::io::stdout().lock()),
        Stream::Stderr => write(&mut std::io::stderr().lock()),
    }
    .context("cannot write the log")
}

pub fn logs(store: &Store, rt: &dyn Runtimes, a: &LogsArgs) -> anyhow::Result<ExitStatus> {
    let now = SystemTime::now();
    let window = Window {
        since: a
            .since
            .as_deref()
            .map(|v| time_arg("since", v, now))
            .transpose()?,
        until: a
            .until
            .as_deref()
            .map(|v| time_arg("until", v, now))
            .transpose()?,
        tail: usize::try_from(a.tail).ok(),
    };
    let mut found = Vec::new();
    for n in &a.containers {
        match Container::lookup(store, rt, n) {
            Ok(c) => {
                // podman's refusal: a none or passthrough container keeps no log.
                let driver = c.meta()?.settings.log_driver;
                if driver != rpod::container::settings::LogDriver::K8sFile {
                    return Err(rpod::container::Error::NotLogging {
                        driver: driver.as_str(),
                    }
                    .into());
                }
                found.push(c);
            }
            Err(e) if is_missing(&e) => return Err(no_such_container(n)),
            Err(e) => return Err(e.into()),
        }
    }
    let several = found.len() > 1;
    let labels: Vec<Option<String>> = found
        .iter()
        .map(|c| {
            if a.names {
                Some(c.name().to_string())
            } else if several {
                Some(c.id()[..12.min(c.id().len())].to_string())
            } else {
                None
            }
        })
        .collect();
    let mut merged: Vec<(usize, Line)> = Vec::new();
    let mut cursors = Vec::new();
    for (i, c) in found.iter().enumerate() {
        let mut cursor = LogCursor::default();
        let lines = log_filter::read_new_lines(&c.meta()?.log_path, &mut cursor)?;
        cursors.push(cursor);
        merged.extend(window.apply(lines).into_iter().map(|l| (i, l)));
    }
    // Stable: one container's lines keep their order when stamps tie.
    merged.sort_by_key(|(_, l)| l.nanos);
    for (i, l) in &merged {
        emit(labels[*i].as_deref(), l, a.timestamps)?;
    }
    if !a.follow {
        return Ok(ExitStatus::Success);
    }
    // Follow: what is new in each log, until every container has exited (or is gone).
    let mut live: Vec<bool> = vec![true; found.len()];
    loop {
        for (i, c) in found.iter_mut().enumerate() {
            if !live[i] {
                continue;
            }
            // Read the state first: lines written before an exit are read after it.
            let running =
                c.refresh()? && (c.is_running() || c.record().state == ContainerState::Created);
            let lines = log_filter::read_new_lines(&c.meta()?.log_path, &mut cursors[i])?;
            let window = Window {
                tail: None,
                ..window
            };
            for l in lines.iter().filter(|l| window.admits(l)) {
                emit(labels[i].as_deref(), l, a.timestamps)?;
            }
            live[i] = running;
        }
        if live.iter().all(|l| !l) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::io::stdout().flush().context("cannot write the log")?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_as_go_writes_them() {
        assert_eq!(go_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(go_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(go_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(go_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(go_duration("10"), None);
        assert_eq!(go_duration("x"), None);
    }

    #[test]
    fn since_takes_rfc3339_unix_seconds_and_durations() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            time_arg("since", "1970-01-01T00:00:10Z", now).expect("rfc3339"),
            10_000_000_000
        );
        assert_eq!(
            time_arg("since", "10.5", now).expect("unix"),
            10_500_000_000
        );
        assert_eq!(
            time_arg("since", "10m", now).expect("duration"),
            (1_000_000 - 600) * 1_000_000_000
        );
        assert!(time_arg("since", "yesterday", now).is_err());
    }
}
