//! The container log, in podman's k8s-file format: one entry a line,
//! `TIMESTAMP STREAM TAG TEXT`, where TIMESTAMP is RFC 3339 with nanoseconds, STREAM is
//! `stdout` or `stderr`, and TAG is `F` for a full line or `P` for a partial one (output that
//! ended without a newline). [`LogWriter`] writes it (the monitor: the container's output and
//! rpod's own notes about the container); [`LogReader`] reads it back (`rpod logs`). Nothing
//! else touches the format.

use std::fs;
use std::io::{BufRead as _, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::Error;
use crate::time;

/// Which of the container's output streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Appends entries to a container's log; shared by the threads that copy stdout and stderr.
#[derive(Debug)]
pub struct LogWriter {
    /// `None`: `--log-driver none`, entries are dropped.
    file: Option<Mutex<fs::File>>,
    /// `--log-opt max-size`: the file is truncated before an entry that would pass it, as
    /// conmon's `--log-size-max` does.
    max_size: Option<u64>,
}

impl LogWriter {
    /// Opens `path` for appending, creating it.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be opened.
    pub fn open(path: &Path) -> Result<LogWriter, Error> {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(Error::io("open the log", path))?;
        Ok(LogWriter {
            file: Some(Mutex::new(file)),
            max_size: None,
        })
    }

    /// [`LogWriter::open`], truncating the file whenever it would grow past `max_size` bytes.
    ///
    /// # Errors
    /// As [`LogWriter::open`].
    pub fn open_limited(path: &Path, max_size: Option<u64>) -> Result<LogWriter, Error> {
        let mut w = LogWriter::open(path)?;
        w.max_size = max_size;
        Ok(w)
    }

    /// A writer that keeps nothing (`--log-driver none`).
    #[must_use]
    pub fn discard() -> LogWriter {
        LogWriter {
            file: None,
            max_size: None,
        }
    }

    /// Appends one entry: `body` (without its newline), full or partial. A write that fails
    /// (a full disk) loses the entry, not the container.
    pub fn entry(&self, stream: Stream, body: &[u8], full: bool) {
        let head = format!(
            "{} {} {} ",
            time::now_rfc3339(),
            stream.as_str(),
            if full { "F" } else { "P" }
        );
        let Some(file) = &self.file else { return };
        if let Ok(mut f) = file.lock() {
            let mut line = Vec::with_capacity(head.len() + body.len() + 1);
            line.extend_from_slice(head.as_bytes());
            line.extend_from_slice(body);
            line.push(b'\n');
            if let Some(max) = self.max_size {
                let len = f.metadata().map_or(0, |m| m.len());
                if len + u64::try_from(line.len()).unwrap_or(u64::MAX) > max {
                    let _ = f.set_len(0);
                }
            }
            let _ = f.write_all(&line);
        }
    }

    /// Appends rpod's own note about the container (`rpod: ...`) as a full stderr line.
    pub fn note(&self, text: &str) {
        self.entry(Stream::Stderr, text.as_bytes(), true);
    }

    /// Copies `from` to the log line by line until it ends, and to `echo` as it comes (the
    /// foreground's terminal).
    pub fn copy(&self, from: impl Read, stream: Stream, mut echo: Option<&mut dyn Write>) {
        let mut reader = std::io::BufReader::new(from);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if let Some(w) = echo.as_deref_mut() {
                let _ = w.write_all(&line);
                let _ = w.flush();
            }
            match line.strip_suffix(b"\n") {
                Some(body) => self.entry(stream, body, true),
                None => self.entry(stream, &line, false),
            }
        }
    }
}

/// Reads a container's log back as the container wrote it.
#[derive(Debug, Clone)]
pub struct LogReader {
    path: PathBuf,
}

impl LogReader {
    #[must_use]
    pub fn new(path: &Path) -> LogReader {
        LogReader {
            path: path.to_path_buf(),
        }
    }

    /// Writes the text of every complete entry to `out` or `err` by stream (a partial entry's
    /// text without the newline the format added), and returns how many bytes of the log it
    /// read. A log not yet written is empty.
    ///
    /// # Errors
    /// [`Error::Io`] when the log cannot be read or the output written.
    pub fn copy_to(&self, out: &mut dyn Write, err: &mut dyn Write) -> Result<u64, Error> {
        let f = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io("read", &self.path)(e)),
        };
        // A read that fails is the log's; a write that fails is the reader's (a closed pipe).
        let write_err = Error::io("write out the log", &self.path);
        let mut n = 0;
        let mut r = std::io::BufReader::new(f);
        let mut line = Vec::new();
        loop {
            line.clear();
            let got = r
                .read_until(b'\n', &mut line)
                .map_err(Error::io("read", &self.path))?;
            if got == 0 || !line.ends_with(b"\n") {
                break;
            }
            n += u64::try_from(got).unwrap_or(0);
            let mut parts = line.splitn(4, |b| *b == b' ');
            let (_ts, stream, tag, body) = (parts.next(), parts.next(), parts.next(), parts.next());
            let body = body.unwrap_or(b"\n");
            let w: &mut dyn Write = if stream == Some(b"stderr".as_slice()) {
                &mut *err
            } else {
                &mut *out
            };
            let text = if tag == Some(b"P".as_slice()) {
                &body[..body.len().saturating_sub(1)]
            } else {
                body
            };
            if let Err(e) = w.write_all(text) {
                return Err(write_err(e));
            }
        }
        out.flush().and_then(|()| err.flush()).map_err(write_err)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let log = LogWriter::open(&path).unwrap();
        log.copy(&b"hello\nworld"[..], Stream::Stdout, None);
        log.copy(&b"oops\n"[..], Stream::Stderr, None);
        log.note("rpod: a note");
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(" stdout F hello\n"), "{text}");
        assert!(text.contains(" stdout P world\n"), "{text}");
        assert!(text.contains(" stderr F rpod: a note\n"), "{text}");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let n = LogReader::new(&path).copy_to(&mut out, &mut err).unwrap();
        assert_eq!(out, b"hello\nworld");
        assert_eq!(err, b"oops\nrpod: a note\n");
        assert_eq!(n, u64::try_from(text.len()).unwrap());
    }

    #[test]
    fn every_entry_is_stamped_with_an_rfc3339_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        LogWriter::open(&path).unwrap().note("x");
        let text = fs::read_to_string(&path).unwrap();
        let ts = text.split(' ').next().unwrap();
        assert!(time::parse_rfc3339(ts).is_some(), "{ts}");
        assert_eq!(ts.len(), "2026-11-29T00:00:00.000000000Z".len(), "{ts}");
    }

    #[test]
    fn a_log_not_yet_written_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let n = LogReader::new(&dir.path().join("none.log"))
            .copy_to(&mut out, &mut err)
            .unwrap();
        assert_eq!((n, out.len(), err.len()), (0, 0, 0));
    }
}
