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

/// Checks a `--log-opt path=` at `create`: the log is appended to, and truncated by
/// `max-size`, by the monitor running as root, so it must be a regular file or not exist yet
/// in an existing directory. A symlink is refused, not followed (a link to /etc/shadow would
/// have the container's output appended to it, as `commands/io.rs` refuses for outputs), and
/// so are FIFOs, devices, sockets and directories. podman's conmon opens the path as given; rpod
/// refuses what it cannot write safely, with the reason at `create` rather than at start.
///
/// # Errors
/// [`Error::LogPathUnsafe`]; [`Error::LogDirMissing`].
pub fn check_path(path: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) => Err(Error::LogPathUnsafe {
            path: path.to_path_buf(),
            found: file_kind(&m.file_type()),
        }),
        Err(_) => match path.parent() {
            Some(dir) if dir.is_dir() => Ok(()),
            _ => Err(Error::LogDirMissing {
                path: path.to_path_buf(),
            }),
        },
    }
}

/// What a file that is not a regular file is, for [`Error::LogPathUnsafe`].
fn file_kind(t: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_symlink() {
        "symlink"
    } else if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() || t.is_block_device() {
        "device"
    } else {
        "special file"
    }
}

/// Opens the log at `path` with `options` (the writer's and the reader's): O_NOFOLLOW, so a
/// symlink put at the path after `create` is not followed (the open fails with ELOOP);
/// O_NONBLOCK, so a FIFO there holds neither the monitor until a reader comes nor `rpod logs`
/// until a writer does. What was opened must be a regular file (see [`check_path`]). `None`
/// when nothing is at `path`; `what` names the action in an [`Error::Io`].
fn open_regular(
    path: &Path,
    options: &mut fs::OpenOptions,
    what: &'static str,
) -> Result<Option<fs::File>, Error> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = match options
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(match e.raw_os_error() {
                Some(nix::libc::ELOOP) => Error::LogPathUnsafe {
                    path: path.to_path_buf(),
                    found: "symlink",
                },
                // open(2): O_NONBLOCK|O_WRONLY on a FIFO no process reads.
                Some(nix::libc::ENXIO) => Error::LogPathUnsafe {
                    path: path.to_path_buf(),
                    found: "FIFO",
                },
                _ => Error::io(what, path)(e),
            });
        }
    };
    let meta = file.metadata().map_err(Error::io(what, path))?;
    if !meta.is_file() {
        return Err(Error::LogPathUnsafe {
            path: path.to_path_buf(),
            found: file_kind(&meta.file_type()),
        });
    }
    Ok(Some(file))
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
        let file = open_regular(
            path,
            fs::OpenOptions::new().create(true).append(true),
            "open the log",
        )?
        .ok_or_else(|| Error::io("open the log", path)(std::io::ErrorKind::NotFound.into()))?;
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

/// Where a follower (`logs -f`, `attach`) is in a container's log: the offset read up to and
/// the file (inode) it is in. The monitor truncates the log in place at `--log-opt max-size`
/// (as conmon does) and a log may be replaced; a follower that kept its offset past the new
/// end read nothing more, ever (issue 13). [`LogCursor::open`] starts again from the top of
/// a file that is shorter than the offset or another inode. A file truncated and grown past
/// the offset between two reads is not told apart: its entries before the offset are missed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogCursor {
    pub offset: u64,
    ino: Option<u64>,
}

impl LogCursor {
    /// Opens the log at `path` positioned where this cursor reads next (see the type's doc);
    /// `None` when there is no log (yet, or any more).
    ///
    /// # Errors
    /// [`Error::Io`] when it exists but cannot be read; [`Error::LogPathUnsafe`] when it is
    /// not a regular file (a symlink is not followed, a FIFO not waited on).
    pub fn open(&mut self, path: &Path) -> Result<Option<fs::File>, Error> {
        use std::io::Seek as _;
        use std::os::unix::fs::MetadataExt as _;
        let Some(mut f) = open_regular(path, fs::OpenOptions::new().read(true), "read")? else {
            return Ok(None);
        };
        let meta = f.metadata().map_err(Error::io("read", path))?;
        if self.ino.is_some_and(|i| i != meta.ino()) || meta.len() < self.offset {
            self.offset = 0;
        }
        self.ino = Some(meta.ino());
        f.seek(std::io::SeekFrom::Start(self.offset))
            .map_err(Error::io("read", path))?;
        Ok(Some(f))
    }
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
        self.copy_new(&mut LogCursor::default(), out, err)
    }

    /// [`LogReader::copy_to`] of what was logged after `cursor`, which moves past it.
    ///
    /// # Errors
    /// As [`LogReader::copy_to`].
    pub fn copy_new(
        &self,
        cursor: &mut LogCursor,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<u64, Error> {
        let Some(f) = cursor.open(&self.path)? else {
            return Ok(0);
        };
        let n = self.copy_entries(f, out, err)?;
        cursor.offset += n;
        Ok(n)
    }

    fn copy_entries(
        &self,
        f: fs::File,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<u64, Error> {
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

    /// Issue 13: `--log-opt path=` followed a symlink (the monitor appended the container's
    /// output to its target) and hung on a FIFO.
    #[test]
    fn a_log_path_that_is_a_symlink_or_fifo_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let fifo = dir.path().join("fifo.log");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        for (path, found) in [(&link, "symlink"), (&fifo, "FIFO")] {
            let e = check_path(path).unwrap_err();
            assert!(
                matches!(&e, Error::LogPathUnsafe { found: f, .. } if *f == found),
                "{e:?}"
            );
            assert!(e.to_string().contains("regular file only"), "{e}");
            // And at the monitor's open, for a path swapped after create.
            let e = LogWriter::open(path).unwrap_err();
            assert!(matches!(&e, Error::LogPathUnsafe { .. }), "{e:?}");
        }
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert!(check_path(&dir.path().join("new.log")).is_ok());
    }

    /// Review of issue 14: `rpod logs` on a `--log-opt path=` swapped for a symlink printed
    /// the link's target, and on a FIFO it blocked forever.
    #[test]
    fn the_reader_neither_follows_a_symlink_nor_waits_on_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "2026-01-01T00:00:00.000000000Z stdout F secret\n").unwrap();
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let fifo = dir.path().join("fifo.log");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        for (path, found) in [(&link, "symlink"), (&fifo, "FIFO")] {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let e = LogReader::new(path)
                .copy_to(&mut out, &mut err)
                .unwrap_err();
            assert!(
                matches!(&e, Error::LogPathUnsafe { found: f, .. } if *f == found),
                "{e:?}"
            );
            assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
        }
        assert!(matches!(
            check_path(&dir.path().join("no/such.log")),
            Err(Error::LogDirMissing { .. })
        ));
    }

    /// Issue 13: after `max-size` truncated the log, a follower (`attach`, `logs -f`) read
    /// nothing more.
    #[test]
    fn a_follower_goes_on_after_the_log_is_truncated_by_max_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let log = LogWriter::open_limited(&path, Some(150)).unwrap();
        let reader = LogReader::new(&path);
        let mut cursor = LogCursor::default();
        let mut seen = Vec::new();
        for i in 0..6 {
            log.copy(format!("line {i}\n").as_bytes(), Stream::Stdout, None);
            reader
                .copy_new(&mut cursor, &mut seen, &mut std::io::sink())
                .unwrap();
        }
        assert!(fs::metadata(&path).unwrap().len() < 150, "it was truncated");
        assert_eq!(
            String::from_utf8(seen).unwrap(),
            "line 0\nline 1\nline 2\nline 3\nline 4\nline 5\n"
        );
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
