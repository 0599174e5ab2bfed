//! What the listing commands (`ps`, `images`, `inspect`, `system df`, `info`, `version`) share:
//! podman's human durations and sizes (docker/go-units, which podman prints through), Go's
//! `time.Time` text, podman's table layout, its header names, and `--filter` parsing.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `--format`: the format module's, which every listing command renders through.
pub use crate::commands::format::{render_one, render_one_typed, render_rows, Format};

/// Go's zero `time.Time` in Unix seconds: what podman prints for a time that never happened
/// (`StartedAt` of a created container).
pub const GO_ZERO_UNIX: i64 = -62_135_596_800;

/// go-units' `HumanDuration`, which podman uses for CREATED and STATUS: "Less than a second",
/// "1 second", "N seconds", "About a minute", "N minutes", "About an hour", "N hours", then
/// days, weeks, months, years.
#[must_use]
pub fn human_duration(d: Duration) -> String {
    let seconds = d.as_secs();
    let minutes = seconds / 60;
    // go-units rounds to the nearest hour here (d.Round(time.Hour)).
    let hours = (seconds + 1800) / 3600;
    if seconds < 1 {
        "Less than a second".to_owned()
    } else if seconds == 1 {
        "1 second".to_owned()
    } else if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "About a minute".to_owned()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".to_owned()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", seconds / 3600 / 24 / 365)
    }
}

/// How long ago `t` was, as podman's CREATED column says it ("3 seconds ago"). A time in the
/// future (a clock step) counts as now.
#[must_use]
pub fn ago(t: SystemTime) -> String {
    format!("{} ago", human_duration(t.elapsed().unwrap_or_default()))
}

/// go-units' `HumanSizeWithPrecision(n, 3)`: decimal units, three significant digits
/// (`1997944` -> `2 MB`), as `podman images` and `podman ps -s` print sizes.
#[must_use]
pub fn human_size(n: u64) -> String {
    go_units_size(n, 3, " ")
}

/// go-units' sizes, the one formatter of sizes for every command: decimal units, `precision`
/// significant digits (`HumanSizeWithPrecision(n, 3)` for `inspect`'s log size, `HumanSize`'s
/// 4 for `stats`), `sep` between the number and the unit (`10.2kB`, or `2 MB` in the tables).
#[must_use]
pub fn go_units_size(n: u64, precision: usize, sep: &str) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    #[expect(clippy::cast_precision_loss, reason = "a size for people")]
    let mut size = n as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{sep}{}", go_g(size, precision), UNITS[unit])
}

/// Go's `%.{precision}g` for 0 <= v < 1000: `precision` significant digits, trailing zeros
/// dropped.
fn go_g(v: f64, precision: usize) -> String {
    let mut decimals = precision.saturating_sub(1);
    let s = loop {
        let s = format!("{v:.decimals$}");
        let int_digits = s
            .split('.')
            .next()
            .map_or(0, |i| if i == "0" { 0 } else { i.len() });
        if decimals == 0 || int_digits + decimals <= precision {
            break s;
        }
        decimals -= 1;
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else if s.len() > precision {
        // Rounded up to 10^precision: %g switches to an exponent, as Go does.
        format!("1e+{:02}", s.len() - 1)
    } else {
        s
    }
}

/// Go's `time.Time.String()` in UTC (`2026-12-07 17:03:23.658639382 +0000 UTC`): what
/// podman's templates print for `{{.CreatedAt}}` and a time field.
#[must_use]
pub fn go_time(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    go_time_parts(
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        d.subsec_nanos(),
    )
}

/// [`go_time`] of Unix seconds.
#[must_use]
pub fn go_time_unix(secs: i64) -> String {
    go_time_parts(secs, 0)
}

fn go_time_parts(secs: i64, nanos: u32) -> String {
    // rpod::time writes `YYYY-MM-DDTHH:MM:SSZ`; Go's String() has a space and the zone.
    let iso = rpod::time::format_unix(secs);
    let (date, time) = iso
        .trim_end_matches('Z')
        .split_once('T')
        .unwrap_or((&iso, ""));
    let frac = if nanos == 0 {
        String::new()
    } else {
        format!(".{nanos:09}").trim_end_matches('0').to_owned()
    };
    format!("{date} {time}{frac} +0000 UTC")
}

/// Unix seconds of `t`, or Go's zero time when there is none.
#[must_use]
pub fn unix_or_zero(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(GO_ZERO_UNIX)
}

/// RFC 3339 of `t`, or Go's zero time (`0001-01-01T00:00:00Z`) as podman's inspect prints it.
#[must_use]
pub fn rfc3339_or_zero(t: Option<SystemTime>) -> String {
    t.map_or_else(
        || "0001-01-01T00:00:00Z".to_owned(),
        rpod::time::format_rfc3339,
    )
}

/// podman's table layout (Go's text/tabwriter as podman sets it up: minimum width 12,
/// padding 2, spaces), one line per row.
#[must_use]
pub fn table(rows: &[Vec<String>]) -> String {
    let text: String = rows.iter().map(|r| r.join("\t") + "\n").collect();
    gotemplate::tabwriter::align(&text, gotemplate::tabwriter::PODMAN)
}

/// The header of a field in a `table` template: the command's override (`ID` -> `CONTAINER
/// ID` in `ps`), else podman's rule (the format module's: camel-case words upper-cased).
#[must_use]
pub fn header(field: &str, overrides: &[(&str, &str)]) -> String {
    overrides.iter().find(|(f, _)| *f == field).map_or_else(
        || crate::commands::format::default_header(field),
        |(_, h)| (*h).to_owned(),
    )
}

/// `--filter KEY=VALUE` flags grouped by key, as podman groups them: values of one key are
/// ORed (except `label`, where every one must match), different keys ANDed.
///
/// # Errors
/// A filter without `=`, or a key not in `valid` (the message names the valid ones).
pub fn parse_filters(
    flags: &[String],
    valid: &[&str],
) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in flags {
        let Some((key, value)) = f.split_once('=') else {
            anyhow::bail!("invalid filter {f:?}: filters are KEY=VALUE");
        };
        if !valid.contains(&key) {
            anyhow::bail!(
                "{key} is an invalid filter: valid filters are {}",
                valid.join(", ")
            );
        }
        out.entry(key.to_owned())
            .or_default()
            .push(value.to_owned());
    }
    Ok(out)
}

/// podman's label filter: every `KEY` or `KEY=VALUE` in `wanted` is among `labels`.
#[must_use]
pub fn labels_match(wanted: &[String], labels: &BTreeMap<String, String>) -> bool {
    wanted.iter().all(|w| match w.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|l| l == v),
        None => labels.contains_key(w.as_str()),
    })
}

/// Bytes of the regular files under `dir` (symlinks not followed), for `ps --size` and
/// `inspect --size`: what a container wrote.
#[must_use]
pub fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.len();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn durations_read_as_go_units_prints_them() {
        let s = Duration::from_secs;
        assert_eq!(
            human_duration(Duration::from_millis(400)),
            "Less than a second"
        );
        assert_eq!(human_duration(s(1)), "1 second");
        assert_eq!(human_duration(s(59)), "59 seconds");
        assert_eq!(human_duration(s(60)), "About a minute");
        assert_eq!(human_duration(s(119)), "About a minute");
        assert_eq!(human_duration(s(120)), "2 minutes");
        assert_eq!(human_duration(s(3599)), "59 minutes");
        assert_eq!(human_duration(s(3600)), "About an hour");
        assert_eq!(human_duration(s(5399)), "About an hour");
        assert_eq!(human_duration(s(5400)), "2 hours");
        assert_eq!(human_duration(s(47 * 3600)), "47 hours");
        assert_eq!(human_duration(s(48 * 3600)), "2 days");
        assert_eq!(human_duration(s(14 * 86400)), "2 weeks");
        assert_eq!(human_duration(s(60 * 86400)), "2 months");
        assert_eq!(human_duration(s(730 * 86400)), "2 years");
    }

    #[test]
    fn sizes_have_three_significant_digits_in_decimal_units() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1 kB");
        assert_eq!(human_size(1_997_944), "2 MB");
        assert_eq!(human_size(12_345_678), "12.3 MB");
        assert_eq!(human_size(123_456_789), "123 MB");
        assert_eq!(human_size(1_500), "1.5 kB");
    }

    #[test]
    fn times_print_as_go_prints_a_time() {
        let t = UNIX_EPOCH + Duration::new(1_796_662_981, 658_639_382);
        assert_eq!(go_time(t), "2026-12-07 17:03:01.658639382 +0000 UTC");
        assert_eq!(go_time_unix(1_796_662_981), "2026-12-07 17:03:01 +0000 UTC");
        let t = UNIX_EPOCH + Duration::new(1, 500_000_000);
        assert_eq!(go_time(t), "1970-01-01 00:00:01.5 +0000 UTC");
    }

    #[test]
    fn a_table_pads_columns_to_twelve_or_the_widest_cell_plus_two() {
        let rows = vec![
            vec!["CONTAINER ID".into(), "IMAGE".into(), "NAMES".into()],
            vec![
                "0123456789ab".into(),
                "localhost/busybox:latest".into(),
                "web".into(),
            ],
        ];
        assert_eq!(
            table(&rows),
            "CONTAINER ID  IMAGE                     NAMES\n\
             0123456789ab  localhost/busybox:latest  web\n"
        );
    }

    #[test]
    fn headers_split_camel_case_like_podman() {
        assert_eq!(header("CreatedAt", &[]), "CREATED AT");
        assert_eq!(header("ImageID", &[]), "IMAGE ID");
        assert_eq!(header("ID", &[("ID", "CONTAINER ID")]), "CONTAINER ID");
        assert_eq!(header("OCIRuntime", &[]), "OCI RUNTIME");
        assert_eq!(header("Names", &[]), "NAMES");
    }

    #[test]
    fn filters_group_by_key_and_refuse_unknown_keys_naming_the_valid_ones() {
        let f = parse_filters(
            &["name=a".into(), "name=b".into(), "id=12".into()],
            &["id", "name"],
        )
        .expect("valid");
        assert_eq!(f["name"], ["a", "b"]);
        let e = parse_filters(&["colour=red".into()], &["id", "name"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "colour is an invalid filter: valid filters are id, name"
        );
        assert!(parse_filters(&["name".into()], &["name"]).is_err());
    }

    #[test]
    fn every_label_filter_must_match() {
        let labels: BTreeMap<String, String> =
            [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        assert!(labels_match(&["a".into(), "b=2".into()], &labels));
        assert!(!labels_match(&["a".into(), "b=3".into()], &labels));
        assert!(!labels_match(&["c".into()], &labels));
    }
}
