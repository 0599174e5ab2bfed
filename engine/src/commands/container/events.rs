//! `rpod events [--since] [--until] [--filter] [--format json] [--stream=false]`: the event
//! log ([`rpod::events`]) in podman's line format or as JSON lines. Streaming (the default)
//! prints what is there, then follows the log until interrupted or `--until` passes.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::report;
use crate::cli::more::EventsArgs;
use crate::commands::format::{render_one, Format};
use rpod::events::{self, Event, Follower};
use rpod::exit::ExitStatus;
use rpod::storage::Store;

/// A time as podman takes it (RFC 3339, Unix seconds, or a duration before now), as Unix
/// nanoseconds: the same rule as `logs --since`.
fn parse_time(flag: &str, s: &str) -> anyhow::Result<i128> {
    super::logs::time_arg(flag, s, SystemTime::now())
}

/// Now, in Unix nanoseconds.
fn now_nanos() -> i128 {
    i128::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    )
    .unwrap_or(i128::MAX)
}

/// podman's filters: keys AND-ed, one key given twice OR-ed (parsed by
/// [`report::parse_filters`], the one reading of `--filter` for every command).
struct Filters(std::collections::BTreeMap<String, Vec<String>>);

const FILTERS: &[&str] = &["container", "event", "image", "type"];

impl Filters {
    fn parse(list: &[String]) -> anyhow::Result<Filters> {
        report::parse_filters(list, FILTERS).map(Filters)
    }

    fn pass(&self, e: &Event) -> bool {
        self.0.iter().all(|(k, vals)| {
            vals.iter().any(|v| match k.as_str() {
                "container" => e.name == *v || (v.len() >= 3 && e.id.starts_with(v.as_str())),
                "event" => e.status == *v,
                "image" => e.image == *v,
                "type" => e.kind == *v,
                _ => false,
            })
        })
    }
}

/// podman's default line: `2024-01-02 15:04:05.123456789 +0000 UTC container start ID (image=I, name=N)`.
fn line(e: &Event) -> String {
    let t = e.time.trim_end_matches('Z').replacen('T', " ", 1);
    let mut attrs = vec![format!("image={}", e.image), format!("name={}", e.name)];
    attrs.extend(e.attributes.iter().map(|(k, v)| format!("{k}={v}")));
    format!(
        "{t} +0000 UTC {} {} {} ({})",
        e.kind,
        e.status,
        e.id,
        attrs.join(", ")
    )
}

pub fn run(store: &Store, a: &EventsArgs) -> anyhow::Result<ExitStatus> {
    // podman prints JSON one event a line (not an indented array); a template runs once per
    // event over the JSON form's fields ({{.Name}}, {{.Status}}, {{.Attributes}}...).
    let format = Format::parse(a.format.as_deref())?;
    let since = a
        .since
        .as_deref()
        .map(|s| parse_time("since", s))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_time("until", s))
        .transpose()?;
    let filters = Filters::parse(&a.filters)?;
    let mut out = std::io::stdout().lock();
    let show = |e: &Event, out: &mut std::io::StdoutLock<'_>| -> anyhow::Result<()> {
        let t = e.unix_nanos();
        if since.is_some_and(|s| t < s) || until.is_some_and(|u| t > u) || !filters.pass(e) {
            return Ok(());
        }
        match &format {
            Format::Json => writeln!(out, "{}", serde_json::to_string(e)?)?,
            Format::Template { .. } => write!(out, "{}", render_one(&format, e)?)?,
            Format::Default => writeln!(out, "{}", line(e))?,
        }
        out.flush()?;
        Ok(())
    };
    // The follower starts before the read, so no event falls between them (one written
    // in between may be printed twice, never lost).
    let mut follower = Follower::at_end(store.runroot());
    for e in events::read_all(store.runroot())? {
        show(&e, &mut out)?;
    }
    if !a.stream {
        return Ok(ExitStatus::Success);
    }
    loop {
        for e in follower.poll()? {
            show(&e, &mut out)?;
        }
        if until.is_some_and(|u| now_nanos() > u) {
            return Ok(ExitStatus::Success);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_unix_seconds_or_durations_before_now() {
        assert_eq!(
            parse_time("since", "2026-01-01T00:00:01.5Z").unwrap(),
            1_767_225_601_500_000_000
        );
        assert_eq!(parse_time("since", "100").unwrap(), 100_000_000_000);
        let now = now_nanos();
        let t = parse_time("since", "1h30m").unwrap();
        assert!((now - t - 5_400_000_000_000).abs() < 10_000_000_000);
        assert!(parse_time("since", "yesterday").is_err());
    }

    #[test]
    fn the_default_line_is_podmans() {
        let mut e = Event::container("abc", "web", "busybox", "start");
        e.time = "2026-12-07T17:04:31.409776927Z".into();
        assert_eq!(
            line(&e),
            "2026-12-07 17:04:31.409776927 +0000 UTC container start abc (image=busybox, name=web)"
        );
    }
}
