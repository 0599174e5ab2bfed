//! The event log: what happened to containers (create, init, start, died, stop, remove,
//! pause, unpause, rename, restart), one JSON object a line, in podman's event fields, read by
//! `rpod events`.
//!
//! # Where and how
//!
//! `RUNROOT/events/events.log` (podman's `file` events logger keeps its log in its runroot
//! too, so events go with the boot like the containers' runtime state). Each event is one
//! `write(2)` of a whole line on a file opened `O_APPEND`, under an exclusive `flock` of
//! `events.lock`, so lines of concurrent writers never interleave. Bounded: a writer that
//! finds the log at [`MAX_LOG`] bytes or more renames it to `events.log.1` (replacing the older
//! one) before appending, so the two files never hold more than about twice that; readers
//! read `events.log.1` then `events.log`.
//!
//! Writing an event is best effort for the lifecycle: a container is not refused or left
//! half-done because its event could not be written (the caller ignores the error; the event
//! is lost, as podman's are when its journal is unavailable).

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rustix::fs::FlockOperation;
use serde::{Deserialize, Serialize};

/// The size at which the log is rotated.
pub const MAX_LOG: u64 = 1 << 20;

const DIR: &str = "events";
const LOG: &str = "events.log";
const OLD: &str = "events.log.1";
const LOCK: &str = "events.lock";

/// One event, with podman's field names (`podman events --format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Status")]
    pub status: String,
    /// RFC 3339 with nanoseconds, UTC.
    #[serde(rename = "Time")]
    pub time: String,
    #[serde(rename = "Type")]
    pub kind: String,
    /// The exit code, on `died`.
    #[serde(
        rename = "ContainerExitCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exit_code: Option<i32>,
    #[serde(rename = "Attributes", default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl Event {
    /// A container event happening now.
    #[must_use]
    pub fn container(id: &str, name: &str, image: &str, status: &str) -> Event {
        Event {
            id: id.into(),
            image: image.into(),
            name: name.into(),
            status: status.into(),
            time: crate::time::format_rfc3339(SystemTime::now()),
            kind: "container".into(),
            exit_code: None,
            attributes: std::collections::BTreeMap::new(),
        }
    }

    /// Unix nanoseconds of [`Event::time`] (0 when unreadable).
    #[must_use]
    pub fn unix_nanos(&self) -> i128 {
        let secs = crate::time::parse_rfc3339(&self.time).unwrap_or(0);
        // The fraction, as written by format_rfc3339: ".NNNNNNNNNZ".
        let frac = self
            .time
            .split_once('.')
            .map(|(_, f)| f.trim_end_matches('Z'))
            .and_then(|f| {
                format!("{f:0<9}")
                    .get(..9)
                    .and_then(|f| f.parse::<i128>().ok())
            })
            .unwrap_or(0);
        i128::from(secs) * 1_000_000_000 + frac
    }
}

/// Why the event log could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("cannot {what} the event log {}", path.display())]
pub struct EventsError {
    what: &'static str,
    path: PathBuf,
    #[source]
    source: io::Error,
}

fn err<'p>(what: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> EventsError + 'p {
    move |source| EventsError {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// The current log file (`RUNROOT/events/events.log`).
#[must_use]
pub fn log_path(runroot: &Path) -> PathBuf {
    runroot.join(DIR).join(LOG)
}

/// Appends `event` to the log under `runroot`, rotating it at [`MAX_LOG`].
///
/// # Errors
/// The directory, lock or file cannot be made or written.
pub fn append(runroot: &Path, event: &Event) -> Result<(), EventsError> {
    append_bounded(runroot, event, MAX_LOG)
}

fn append_bounded(runroot: &Path, event: &Event, max: u64) -> Result<(), EventsError> {
    let dir = runroot.join(DIR);
    fs::create_dir_all(&dir).map_err(err("create", &dir))?;
    let lock_path = dir.join(LOCK);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(err("open", &lock_path))?;
    loop {
        match rustix::fs::flock(&lock, FlockOperation::LockExclusive) {
            Ok(()) => break,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(err("lock", &lock_path)(e.into())),
        }
    }
    let log = dir.join(LOG);
    if fs::metadata(&log).is_ok_and(|m| m.len() >= max) {
        fs::rename(&log, dir.join(OLD)).map_err(err("rotate", &log))?;
    }
    let mut line = serde_json::to_vec(event).map_err(|e| err("encode", &log)(e.into()))?;
    line.push(b'\n');
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(err("open", &log))?;
    // One write of the whole line (O_APPEND): readers never see half of it from us.
    f.write_all(&line).map_err(err("write", &log))
}

/// Every event in the log, oldest first (the rotated file, then the current one). Lines that
/// do not parse (a foreign or truncated line) are skipped.
///
/// # Errors
/// A file that exists but cannot be read.
pub fn read_all(runroot: &Path) -> Result<Vec<Event>, EventsError> {
    let dir = runroot.join(DIR);
    // Shared with other readers, not with a writer: a rotation between reading the old file
    // and the current one lost the events it moved.
    let _lock = lock_shared(&dir)?;
    let mut out = Vec::new();
    for name in [OLD, LOG] {
        let p = dir.join(name);
        match fs::read(&p) {
            Ok(bytes) => out.extend(parse_lines(&bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(err("read", &p)(e)),
        }
    }
    Ok(out)
}

/// The log's lock, shared (readers); `None` when nothing was ever logged (no directory).
fn lock_shared(dir: &Path) -> Result<Option<fs::File>, EventsError> {
    let lock_path = dir.join(LOCK);
    let lock = match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err("open", &lock_path)(e)),
    };
    loop {
        match rustix::fs::flock(&lock, FlockOperation::LockShared) {
            Ok(()) => return Ok(Some(lock)),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(err("lock", &lock_path)(e.into())),
        }
    }
}

/// The complete lines of `bytes` that parse as events.
#[must_use]
pub fn parse_lines(bytes: &[u8]) -> Vec<Event> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect()
}

/// Follows the log from its current end: each call returns the events appended since the
/// last. Each poll reads under the shared lock and knows the file by its inode: after a
/// rotation the rest of the file it was reading (now `events.log.1`) is read first, then the
/// new log from its start; the events of a file rotated twice between two polls are lost.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    offset: u64,
    pending: Vec<u8>,
    /// The inode of the file `offset` is in (`None` before it existed).
    ino: Option<u64>,
}

impl Follower {
    /// A follower that starts at the log's current end.
    #[must_use]
    pub fn at_end(runroot: &Path) -> Follower {
        use std::os::unix::fs::MetadataExt as _;
        let path = log_path(runroot);
        let _lock = path.parent().and_then(|d| lock_shared(d).ok());
        let meta = fs::metadata(&path).ok();
        Follower {
            path,
            offset: meta.as_ref().map_or(0, fs::Metadata::len),
            pending: Vec::new(),
            ino: meta.map(|m| m.ino()),
        }
    }

    /// The rest of the rotated file from `offset`, if it is still the one this follower
    /// read (its inode).
    fn rest_of_rotated(&self) -> Result<Vec<u8>, EventsError> {
        use std::io::{Read as _, Seek as _};
        use std::os::unix::fs::MetadataExt as _;
        let old = self.path.with_file_name(OLD);
        let mut f = match fs::File::open(&old) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(err("open", &old)(e)),
        };
        let meta = f.metadata().map_err(err("read", &old))?;
        if Some(meta.ino()) != self.ino || meta.len() < self.offset {
            return Ok(Vec::new());
        }
        f.seek(io::SeekFrom::Start(self.offset))
            .map_err(err("read", &old))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).map_err(err("read", &old))?;
        Ok(buf)
    }

    /// The events appended since the last call.
    ///
    /// # Errors
    /// A log that exists but cannot be read.
    pub fn poll(&mut self) -> Result<Vec<Event>, EventsError> {
        use std::io::{Read as _, Seek as _};
        use std::os::unix::fs::MetadataExt as _;
        let _lock = match self.path.parent() {
            Some(d) => lock_shared(d)?,
            None => None,
        };
        let mut f = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(err("open", &self.path)(e)),
        };
        let meta = f.metadata().map_err(err("read", &self.path))?;
        if self.ino != Some(meta.ino()) {
            // Rotated (or made): the rest of the file read so far, then the new one.
            if self.ino.is_some() {
                let rest = self.rest_of_rotated()?;
                self.pending.extend(rest);
            }
            self.ino = Some(meta.ino());
            self.offset = 0;
        } else if meta.len() < self.offset {
            self.offset = 0;
            self.pending.clear();
        }
        f.seek(io::SeekFrom::Start(self.offset))
            .map_err(err("read", &self.path))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).map_err(err("read", &self.path))?;
        self.offset += buf.len() as u64;
        self.pending.extend(buf);
        // Only whole lines; a partial one waits for its end.
        let Some(end) = self.pending.iter().rposition(|b| *b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.pending.split_off(end + 1);
        let done = std::mem::replace(&mut self.pending, rest);
        Ok(parse_lines(&done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_events_read_back_in_order_with_podmans_fields() {
        let d = tempfile::tempdir().expect("tempdir");
        let mut died = Event::container("a", "web", "busybox", "died");
        died.exit_code = Some(3);
        append(d.path(), &Event::container("a", "web", "busybox", "start")).expect("append");
        append(d.path(), &died).expect("append");
        let all = read_all(d.path()).expect("read");
        assert_eq!(
            all.iter().map(|e| e.status.as_str()).collect::<Vec<_>>(),
            ["start", "died"]
        );
        let line = fs::read_to_string(log_path(d.path())).expect("log");
        let v: serde_json::Value =
            serde_json::from_str(line.lines().nth(1).expect("2 lines")).expect("json");
        for k in [
            "ID",
            "Image",
            "Name",
            "Status",
            "Time",
            "Type",
            "Attributes",
        ] {
            assert!(v.get(k).is_some(), "{k} missing in {v}");
        }
        assert_eq!(v["ContainerExitCode"], 3);
    }

    #[test]
    fn the_log_is_rotated_at_its_bound_and_both_files_are_read() {
        let d = tempfile::tempdir().expect("tempdir");
        for i in 0..50 {
            append_bounded(
                d.path(),
                &Event::container(&i.to_string(), "n", "i", "start"),
                1000,
            )
            .expect("append");
        }
        let cur = fs::metadata(log_path(d.path())).expect("log").len();
        let old = fs::metadata(d.path().join(DIR).join(OLD))
            .expect("rotated")
            .len();
        // Each file holds at most the bound plus one line.
        assert!(cur < 1300 && old < 1300, "{cur} {old}");
        let ids: Vec<String> = read_all(d.path())
            .expect("read")
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids.last().map(String::as_str), Some("49"));
        assert!(ids
            .windows(2)
            .all(|w| w[0].parse::<u32>().unwrap() + 1 == w[1].parse::<u32>().unwrap()));
    }

    #[test]
    fn a_follower_sees_only_new_whole_lines() {
        let d = tempfile::tempdir().expect("tempdir");
        append(d.path(), &Event::container("old", "n", "i", "start")).expect("append");
        let mut f = Follower::at_end(d.path());
        assert!(f.poll().expect("poll").is_empty());
        append(d.path(), &Event::container("new", "n", "i", "stop")).expect("append");
        let got = f.poll().expect("poll");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, "new");
    }

    /// Issue 13: a follower lost the events between its offset and a rotation (it read the
    /// new file from its start once it was shorter, or missed it once it was longer).
    #[test]
    fn a_follower_reads_across_a_rotation_without_losing_events() {
        let d = tempfile::tempdir().expect("tempdir");
        for i in 0..3 {
            append_bounded(
                d.path(),
                &Event::container(&format!("a{i}"), "n", "i", "x"),
                1000,
            )
            .expect("append");
        }
        let mut f = Follower::at_end(d.path());
        let mut got = Vec::new();
        for i in 0..12 {
            append_bounded(
                d.path(),
                &Event::container(&i.to_string(), "n", "i", "x"),
                1000,
            )
            .expect("append");
            // Poll now and then, so rotations fall between polls.
            if i % 4 == 3 {
                got.extend(f.poll().expect("poll").into_iter().map(|e| e.id));
            }
        }
        let want: Vec<String> = (0..12).map(|i: i32| i.to_string()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn event_times_compare_to_the_nanosecond() {
        let mut e = Event::container("a", "n", "i", "start");
        e.time = "2026-01-01T00:00:01.5Z".into();
        assert_eq!(e.unix_nanos(), 1_767_225_601_500_000_000);
    }
}
