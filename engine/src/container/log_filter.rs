//! Reading a container's log as lines with their times (`rpod logs --since --until --tail -t`).
//!
//! The log is podman's k8s-file format ([`super::log`]): `TIME STREAM F|P TEXT`, one entry a
//! line, `P` for a piece of a line the container had not ended yet. A *line* here is the
//! pieces up to and including an `F` entry, stamped with its first piece's time, as podman
//! shows it.

use std::io::{BufRead as _, Seek as _, SeekFrom};
use std::path::Path;

use super::log::LogCursor;
use super::{Error, Stream};
use crate::time;

/// One line of a container's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// RFC 3339 with nanoseconds, as the log has it.
    pub time: String,
    /// Nanoseconds since the Unix epoch (0 when the stamp does not parse).
    pub nanos: i128,
    pub stream: Stream,
    /// The text with its newline (none for a last line the container left unended).
    pub text: Vec<u8>,
}

/// Which lines to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Only lines at or after this time (ns since the epoch).
    pub since: Option<i128>,
    /// Only lines at or before this time.
    pub until: Option<i128>,
    /// Only the last N lines (after `since`/`until`).
    pub tail: Option<usize>,
}

impl Window {
    /// Whether `l` is inside the time window.
    #[must_use]
    pub fn admits(&self, l: &Line) -> bool {
        self.since.is_none_or(|s| l.nanos >= s) && self.until.is_none_or(|u| l.nanos <= u)
    }

    /// The lines inside the window, the last `tail` of them.
    #[must_use]
    pub fn apply(&self, lines: Vec<Line>) -> Vec<Line> {
        let mut kept: Vec<Line> = lines.into_iter().filter(|l| self.admits(l)).collect();
        if let Some(n) = self.tail {
            let skip = kept.len().saturating_sub(n);
            kept.drain(..skip);
        }
        kept
    }
}

/// Nanoseconds since the epoch of an RFC 3339 stamp (`2026-01-01T00:00:00.123456789Z`).
#[must_use]
pub fn stamp_nanos(ts: &str) -> Option<i128> {
    let secs = time::parse_rfc3339(ts)?;
    // The fraction, if any, sits between the seconds and the zone.
    let frac = ts
        .get(19..)
        .and_then(|r| r.strip_prefix('.'))
        .map(|r| {
            r.bytes()
                .take_while(u8::is_ascii_digit)
                .collect::<Vec<u8>>()
        })
        .unwrap_or_default();
    let mut nanos: i128 = 0;
    for i in 0..9 {
        nanos = nanos * 10 + i128::from(frac.get(i).map_or(0, |d| d - b'0'));
    }
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

/// The complete lines of the log at `path` from byte `offset` on, and the offset after the
/// last entry read (a line still in pieces is left for the next read). A log not yet written
/// has none.
///
/// # Errors
/// [`Error::Io`] when the log cannot be read.
pub fn read_lines(path: &Path, offset: u64) -> Result<(Vec<Line>, u64), Error> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), offset)),
        Err(e) => return Err(Error::io("read", path)(e)),
    };
    f.seek(SeekFrom::Start(offset))
        .map_err(Error::io("read", path))?;
    lines_in(f, offset, path)
}

/// [`read_lines`] for a follower (`logs -f`): the lines logged after `cursor`, which moves
/// past them; it survives the log's truncation by `max-size` ([`LogCursor`]).
///
/// # Errors
/// As [`read_lines`].
pub fn read_new_lines(path: &Path, cursor: &mut LogCursor) -> Result<Vec<Line>, Error> {
    let Some(f) = cursor.open(path)? else {
        return Ok(Vec::new());
    };
    let (lines, end) = lines_in(f, cursor.offset, path)?;
    cursor.offset = end;
    Ok(lines)
}

/// The complete lines of `f`, positioned at `offset`, and the offset after the last one.
fn lines_in(f: std::fs::File, offset: u64, path: &Path) -> Result<(Vec<Line>, u64), Error> {
    let mut r = std::io::BufReader::new(f);
    let mut lines = Vec::new();
    let mut done = offset;
    let mut pos = offset;
    // The pieces of the line being put together, per stream.
    let mut open: [Option<Line>; 2] = [None, None];
    let mut entry = Vec::new();
    loop {
        entry.clear();
        let got = r
            .read_until(b'\n', &mut entry)
            .map_err(Error::io("read", path))?;
        if got == 0 || !entry.ends_with(b"\n") {
            break;
        }
        pos += u64::try_from(got).unwrap_or(0);
        let mut parts = entry.splitn(4, |b| *b == b' ');
        let (ts, stream, tag, body) = (parts.next(), parts.next(), parts.next(), parts.next());
        let ts = String::from_utf8_lossy(ts.unwrap_or_default()).into_owned();
        let stream = if stream == Some(b"stderr".as_slice()) {
            Stream::Stderr
        } else {
            Stream::Stdout
        };
        let slot = usize::from(stream == Stream::Stderr);
        let body = body.unwrap_or(b"\n");
        let partial = tag == Some(b"P".as_slice());
        let text = if partial {
            &body[..body.len().saturating_sub(1)]
        } else {
            body
        };
        let line = open[slot].get_or_insert_with(|| Line {
            nanos: stamp_nanos(&ts).unwrap_or(0),
            time: ts,
            stream,
            text: Vec::new(),
        });
        line.text.extend_from_slice(text);
        if !partial {
            lines.extend(open[slot].take());
            if open.iter().all(Option::is_none) {
                done = pos;
            }
        }
    }
    Ok((lines, done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("ctr.log");
        std::fs::write(&p, text).expect("log");
        (d, p)
    }

    const LOG: &str = "2026-01-01T00:00:01.5Z stdout F one\n\
                       2026-01-01T00:00:02Z stderr F two\n\
                       2026-01-01T00:00:03Z stdout P thr\n\
                       2026-01-01T00:00:04Z stdout F ee\n";

    #[test]
    fn pieces_make_one_line_stamped_with_the_first_piece() {
        let (_d, p) = log(LOG);
        let (lines, end) = read_lines(&p, 0).expect("read");
        let texts: Vec<&[u8]> = lines.iter().map(|l| l.text.as_slice()).collect();
        assert_eq!(texts, [&b"one\n"[..], b"two\n", b"three\n"]);
        assert_eq!(lines[2].time, "2026-01-01T00:00:03Z");
        assert_eq!(lines[1].stream, Stream::Stderr);
        assert_eq!(end, u64::try_from(LOG.len()).expect("len"));
    }

    #[test]
    fn a_line_still_in_pieces_is_left_for_the_next_read() {
        let (_d, p) = log("2026-01-01T00:00:01Z stdout F a\n2026-01-01T00:00:02Z stdout P b\n");
        let (lines, end) = read_lines(&p, 0).expect("read");
        assert_eq!(lines.len(), 1);
        assert_eq!(end, 32);
    }

    #[test]
    fn since_until_and_tail_select_lines() {
        let (_d, p) = log(LOG);
        let (lines, _) = read_lines(&p, 0).expect("read");
        let at = |s: &str| stamp_nanos(s).expect("stamp");
        assert_eq!(at("2026-01-01T00:00:01.5Z") % 1_000_000_000, 500_000_000);
        let w = Window {
            since: Some(at("2026-01-01T00:00:02Z")),
            ..Window::default()
        };
        assert_eq!(w.apply(lines.clone()).len(), 2);
        let w = Window {
            until: Some(at("2026-01-01T00:00:01.6Z")),
            ..Window::default()
        };
        assert_eq!(w.apply(lines.clone()).len(), 1);
        let w = Window {
            tail: Some(1),
            ..Window::default()
        };
        assert_eq!(w.apply(lines.clone())[0].text, b"three\n");
        let w = Window {
            tail: Some(0),
            ..Window::default()
        };
        assert!(w.apply(lines).is_empty());
    }
}
