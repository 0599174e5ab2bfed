//! Reading inputs and writing outputs safely.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::{bail, Context};

use super::{hinted, usage};

/// Inputs larger than this are refused (profiles and BPF programs are far smaller).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a whole input file, or stdin for `-`, refusing directories, devices and huge files.
///
/// # Errors
/// When the file cannot be opened or read, is not a regular file, or is too large.
pub fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read stdin")?;
    } else {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, before
        // the check below could refuse it. It does not change reads of a regular file.
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let meta = file
            .metadata()
            .with_context(|| format!("cannot stat {}", path.display()))?;
        if meta.is_dir() {
            bail!("{} is a directory, not a file", path.display());
        }
        if !meta.is_file() {
            bail!(
                "{} is not a regular file (a device, socket or FIFO)",
                path.display()
            );
        }
        file.take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!(
            "{} is larger than {} MiB; refusing to read it",
            path.display(),
            MAX_INPUT_BYTES / 1024 / 1024
        );
    }
    Ok(bytes)
}

/// Reads a UTF-8 text input.
///
/// # Errors
/// As [`read_input`], or when the text is not UTF-8.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = read_input(path)?;
    String::from_utf8(bytes).map_err(|e| {
        hinted(
            e,
            format!("{} is not UTF-8 text", path.display()),
            "profiles and policies are UTF-8 text; a raw BPF program is read only by `rpod seccomp simulate` and `rpod seccomp disasm`",
        )
    })
}

/// Reads a small UTF-8 file a flag names (`--env-file`, `--label-file`, `--cidfile`) with
/// [`read_input`]'s checks: a FIFO, a device or a huge file is refused, not waited on or
/// read to the end.
///
/// # Errors
/// As [`read_input`], or when the text is not UTF-8.
pub fn read_flag_file(path: &Path, flag: &str) -> anyhow::Result<String> {
    let bytes =
        read_input(path).with_context(|| format!("cannot read {flag} {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{flag} {} is not UTF-8 text", path.display()))
}

/// How long `-o FIFO` waits for a reader to open it: long enough for `cat FIFO & rpod ... -o
/// FIFO` to win the race, short enough that a forgotten reader is an error, not a hang.
const FIFO_READER_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens a device or FIFO for writing in place. O_NONBLOCK: opening a FIFO with no reader
/// fails with ENXIO instead of waiting forever; for a FIFO (`fifo`) that is retried for
/// [`FIFO_READER_WAIT`] (a socket or a device without a driver fails with ENXIO too, and
/// waiting would not help them). The flag is cleared once open, so a slow reader is then
/// waited for.
fn open_for_writing(path: &Path, fifo: bool) -> io::Result<fs::File> {
    let deadline = std::time::Instant::now() + FIFO_READER_WAIT;
    loop {
        let opened = fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(path);
        match opened {
            Err(e)
                if fifo
                    && e.raw_os_error() == Some(nix::libc::ENXIO)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(f) => {
                nix::fcntl::fcntl(
                    &f,
                    nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::empty()),
                )?;
                return Ok(f);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Writes `bytes` to `path` atomically (a temporary file in the same directory, fsynced, then
/// renamed over the target), or to stdout when `path` is `None` or `-`. A symlink at `path` is
/// refused, as a recording's `of:` refuses one: writing through it would write somewhere the
/// command line does not name, replacing it would silently break the link. A device or FIFO
/// is written to in place, and a FIFO only when a reader is there (with none, the open would
/// wait forever). This is the one way the CLI writes an output file (`compile`, `decompile`,
/// `merge -o`, `fmt`).
///
/// The file keeps the mode of the one it replaces, else follows the umask ([`rpod::replace`]).
/// On an error nothing is left: the temporary file is removed and the target is untouched.
///
/// # Errors
/// When the directory is missing or not writable, or the target is a directory.
pub fn write_output(path: Option<&Path>, bytes: &[u8], binary: bool) -> anyhow::Result<()> {
    let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
        let mut out = io::stdout().lock();
        if binary && out.is_terminal() {
            bail!(hinted(
                anyhow::anyhow!("stdout is a terminal"),
                "refusing to write a binary BPF program to a terminal",
                "write it to a file with -o FILE, or pipe it"
            ));
        }
        out.write_all(bytes).context("cannot write to stdout")?;
        return out.flush().context("cannot write to stdout");
    };
    match checked_target(path)? {
        Target::InPlace(mut f) => f
            .write_all(bytes)
            .with_context(|| format!("cannot write {}", path.display())),
        Target::Replace => rpod::replace::replace(path, bytes)
            .with_context(|| format!("cannot write {}", path.display())),
    }
}

/// Where an output file goes, once [`checked_target`] has looked at what is there.
enum Target {
    /// A device or FIFO, opened for writing in place.
    InPlace(fs::File),
    /// A regular file or nothing: write a temporary file and rename it over the path.
    Replace,
}

/// The checks of [`write_output`], for any writer of an output file: a directory or a symlink
/// at `path` is refused, a device or FIFO is opened in place (a FIFO only with a reader), and
/// the directory must exist.
fn checked_target(path: &Path) -> anyhow::Result<Target> {
    let existing = fs::symlink_metadata(path).ok();
    if existing.as_ref().is_some_and(fs::Metadata::is_dir) {
        bail!("{} is a directory; give a file name", path.display());
    }
    if existing.as_ref().is_some_and(fs::Metadata::is_symlink) {
        let target = fs::read_link(path).map_or_else(|_| "?".into(), |t| t.display().to_string());
        return Err(usage(
            format!(
                "{} is a symlink (to {target}); rpod does not write an output through or over a symlink",
                path.display()
            ),
            "give the path of the file itself, or remove the link first",
        ));
    }
    // A device or FIFO (`-o /dev/null`, `-o /dev/stdout`, a named pipe) is written to, not
    // replaced: renaming a file over /dev/null would turn it into a regular file for the
    // whole machine (it happened here).
    let special = existing.as_ref().map(|m| {
        use std::os::unix::fs::FileTypeExt as _;
        let t = m.file_type();
        (
            t.is_char_device() || t.is_block_device() || t.is_fifo() || t.is_socket(),
            t.is_fifo(),
        )
    });
    if let Some((true, fifo)) = special {
        let f = match open_for_writing(path, fifo) {
            Err(e) if fifo && e.raw_os_error() == Some(nix::libc::ENXIO) => {
                return Err(hinted(
                    e,
                    format!(
                        "{} is a FIFO that no process opened for reading within {} s",
                        path.display(),
                        FIFO_READER_WAIT.as_secs()
                    ),
                    "start the reader first (e.g. `cat FIFO &`), or write to a file",
                ))
            }
            r => r.with_context(|| format!("cannot open {}", path.display()))?,
        };
        return Ok(Target::InPlace(f));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(hinted(
            anyhow::anyhow!("no such directory: {}", dir.display()),
            format!("cannot write {}", path.display()),
            "create the directory first",
        ));
    }
    Ok(Target::Replace)
}

/// [`write_output`] for a large output written as it is made (`export -o`): `fill` writes it.
/// The same checks; a regular file is written to a temporary file in its directory, renamed
/// over `path` only when `fill` succeeded (0666 less the umask, as Go's `os.Create`).
///
/// # Errors
/// As [`write_output`], and `fill`'s own.
pub fn write_output_stream(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    match checked_target(path)? {
        Target::InPlace(f) => {
            let mut w = io::BufWriter::with_capacity(1 << 16, f);
            fill(&mut w)?;
            w.flush()
                .with_context(|| format!("cannot write {}", path.display()))
        }
        Target::Replace => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let tmp = tempfile::Builder::new()
                .prefix(".rpod-output-")
                .tempfile_in(dir)
                .with_context(|| format!("cannot create a file in {}", dir.display()))?;
            let mut w = io::BufWriter::with_capacity(1 << 16, tmp.as_file());
            fill(&mut w)?;
            w.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
            drop(w);
            let umask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
            nix::sys::stat::umask(umask);
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o666 & !umask.bits()))
                .with_context(|| format!("cannot write {}", path.display()))?;
            tmp.persist(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Consistent with a recording's `of:` (issue 12): a symlink is neither written through
    /// nor silently replaced.
    #[test]
    fn write_output_refuses_a_symlink_and_leaves_both_files_alone() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("out.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = write_output(Some(&link), b"new", false).unwrap_err();
        assert!(format!("{err:#}").contains("is a symlink"), "{err:#}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_link(&link).unwrap(), victim);
    }

    /// `compile -o FIFO` with no reader waited forever (issue 12).
    #[test]
    fn write_output_refuses_a_fifo_without_a_reader_after_a_bounded_wait() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(write_output(Some(&fifo), b"x", false).map_err(|e| format!("{e:#}")));
        });
        // A hang guard, not a timing assertion: blocked, the open would never return.
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("write_output returned");
        assert!(got.unwrap_err().contains("no process opened"));
    }

    /// A socket fails its open with ENXIO as a reader-less FIFO does: it is not waited for nor
    /// called a FIFO (issue 12 review).
    #[test]
    fn write_output_to_a_socket_says_it_cannot_open_it_not_that_a_fifo_lacks_a_reader() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let err = format!("{:#}", write_output(Some(&sock), b"x", false).unwrap_err());
        assert!(err.starts_with("cannot open"), "{err}");
        assert!(!err.contains("FIFO"), "{err}");
        assert!(std::os::unix::fs::FileTypeExt::is_socket(
            &fs::symlink_metadata(&sock).unwrap().file_type()
        ));
    }

    #[test]
    fn write_output_to_a_fifo_writes_into_it_and_keeps_it() {
        // Regression (issue 3 session): `-o /dev/null` renamed a file over /dev/null.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(&fifo).unwrap())
        };
        write_output(Some(&fifo), b"through the pipe", false).unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        use std::os::unix::fs::FileTypeExt as _;
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn write_output_into_a_missing_directory_fails_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_output(Some(&dir.path().join("nope/out.json")), b"x", false).unwrap_err();
        assert!(format!("{err:#}").contains("no such directory"), "{err:#}");
    }

    #[test]
    fn read_input_refuses_directories_and_huge_files() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_input(dir.path()).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        let big = dir.path().join("big.json");
        let f = fs::File::create(&big).unwrap();
        f.set_len(MAX_INPUT_BYTES + 1).unwrap();
        let err = read_input(&big).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
    }

    /// A FIFO with no writer is refused at once: opening it must not wait for one (it did,
    /// for every `rpod seccomp` command and `run --security-opt seccomp=FIFO`).
    #[test]
    fn read_input_refuses_a_fifo_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_input(&fifo).map_err(|e| e.to_string()));
        });
        // A hang guard, not a timing assertion: blocked, the open would never return.
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("read_input returned");
        assert!(got.unwrap_err().contains("not a regular file"));
    }
}
