//! Opening the files users hand to `import` and `load` without hanging and without leaving the
//! place they named (issue 12).
//!
//! - A FIFO opened for reading blocks until a writer appears, forever if none does; a device
//!   node may act on open (a tape rewinds, a terminal becomes the controlling one). So a path is
//!   first opened with `O_PATH` (which opens nothing: no reader or writer is waited for, no
//!   driver is called), its type is checked with `fstat`, and only a regular file (or, where
//!   one is expected, a directory) is opened for reading, with `O_NONBLOCK | O_NOCTTY` in case
//!   it was swapped in between; the second `fstat` must show the same inode.
//! - The path a user names on the command line is followed if it is a symlink: it is the user's
//!   own choice, as for `cat` or `podman load`.
//! - A name inside an OCI layout directory (`index.json`, `oci-layout`, `blobs/sha256/<hex>`)
//!   is resolved with `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` from the directory's
//!   fd: a symlink is followed only while it stays inside the layout (see `load.rs` for why),
//!   an absolute one or one climbing out with `..` is refused (`EXDEV`), as are `/proc` magic
//!   links.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags, Stat};
use rustix::io::Errno;

use super::ImageError;

/// What a user named: a regular file (already open for reading) or a directory (an `O_PATH`
/// fd, good as the base of [`open_beneath`]).
#[derive(Debug)]
pub enum Input {
    File(File),
    Dir(OwnedFd),
}

/// The name of a file type, for messages.
fn kind_name(t: FileType) -> &'static str {
    match t {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Symlink => "symlink",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Unknown => "file of unknown type",
    }
}

fn same_file(a: &Stat, b: &Stat) -> bool {
    a.st_dev == b.st_dev && a.st_ino == b.st_ino
}

/// Opens for reading the regular file whose `O_PATH` fd's `fstat` was `before`; `reopen`
/// opens the same name again with the flags given.
fn reopen_regular(
    before: &Stat,
    shown: &Path,
    reopen: impl Fn(OFlags) -> Result<OwnedFd, Errno>,
) -> Result<File, ImageError> {
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = reopen(flags).map_err(|e| ImageError::io("open", shown)(e.into()))?;
    let after = rustix::fs::fstat(&fd).map_err(|e| ImageError::io("stat", shown)(e.into()))?;
    let kind = FileType::from_raw_mode(after.st_mode);
    if kind != FileType::RegularFile || !same_file(before, &after) {
        return Err(ImageError::Io {
            action: "open",
            path: shown.to_owned(),
            source: io::Error::other("it was replaced while being opened"),
        });
    }
    // Reads of a regular file ignore O_NONBLOCK; clear it anyway, for whoever reads the fd.
    rustix::fs::fcntl_setfl(&fd, OFlags::empty())
        .map_err(|e| ImageError::io("open", shown)(e.into()))?;
    Ok(File::from(fd))
}

/// Opens the file or directory a user named (symlinks followed). A directory is accepted only
/// with `allow_dir`.
///
/// # Errors
///
/// [`ImageError::NotRegularFile`] for a FIFO, device, socket (or an unwanted directory),
/// naming its type; an I/O error naming the path.
pub fn open_input(path: &Path, allow_dir: bool) -> Result<Input, ImageError> {
    let path_fd = rustix::fs::open(path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| ImageError::io("open", path)(e.into()))?;
    let st = rustix::fs::fstat(&path_fd).map_err(|e| ImageError::io("stat", path)(e.into()))?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::Directory if allow_dir => Ok(Input::Dir(path_fd)),
        FileType::RegularFile => reopen_regular(&st, path, |flags| {
            rustix::fs::open(path, flags, Mode::empty())
        })
        .map(Input::File),
        other => Err(ImageError::NotRegularFile {
            path: path.to_owned(),
            kind: kind_name(other),
        }),
    }
}

/// Opens the regular file a user named (a symlink is followed).
///
/// # Errors
///
/// As [`open_input`]; a directory is refused too.
pub fn open_regular(path: &Path) -> Result<File, ImageError> {
    match open_input(path, false)? {
        Input::File(f) => Ok(f),
        Input::Dir(_) => Err(ImageError::NotRegularFile {
            path: path.to_owned(),
            kind: "directory",
        }),
    }
}

fn openat_beneath(dir: impl AsFd, name: &str, flags: OFlags) -> Result<OwnedFd, Errno> {
    let mut tries = 0;
    loop {
        match rustix::fs::openat2(
            dir.as_fd(),
            name,
            flags,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
        ) {
            // openat2 asks for a retry when a rename raced with a ".." lookup.
            Err(Errno::AGAIN) if tries < 16 => tries += 1,
            other => return other,
        }
    }
}

/// Opens the regular file `name` (relative) inside the directory `dir` (shown as `shown` in
/// messages), never leaving it. `None` when there is no such file.
///
/// # Errors
///
/// [`ImageError::OutsideLayout`] for a symlink leading out of `dir` or a magic link,
/// [`ImageError::NotRegularFile`] for anything but a regular file, or an I/O error.
pub(crate) fn open_beneath(
    dir: &OwnedFd,
    shown: &Path,
    name: &str,
) -> Result<Option<File>, ImageError> {
    let full: PathBuf = shown.join(name);
    let outside = || ImageError::OutsideLayout {
        archive: shown.to_owned(),
        name: name.to_owned(),
    };
    let path_fd = match openat_beneath(dir, name, OFlags::PATH | OFlags::CLOEXEC) {
        Ok(fd) => fd,
        Err(Errno::NOENT | Errno::NOTDIR) => return Ok(None),
        Err(Errno::XDEV | Errno::LOOP) => return Err(outside()),
        Err(e) => return Err(ImageError::io("open", full)(e.into())),
    };
    let st = rustix::fs::fstat(&path_fd).map_err(|e| ImageError::io("stat", &full)(e.into()))?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => {
            reopen_regular(&st, &full, |flags| openat_beneath(dir, name, flags)).map(Some)
        }
        other => Err(ImageError::NotRegularFile {
            path: full,
            kind: kind_name(other),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fs::CWD;
    use std::io::Read as _;
    use std::os::unix::fs::symlink;

    fn dir_fd(p: &Path) -> OwnedFd {
        match open_input(p, true).expect("open the dir") {
            Input::Dir(fd) => fd,
            Input::File(_) => panic!("a directory opened as a file"),
        }
    }

    fn mkfifo(p: &Path) {
        rustix::fs::mknodat(CWD, p, FileType::Fifo, Mode::from_bits_truncate(0o600), 0)
            .expect("mkfifo");
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let d = tempfile::tempdir().expect("tempdir");
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        // Both would block forever in open(2) if the FIFO were opened for reading.
        let err = open_input(&fifo, true).expect_err("a FIFO is not an input");
        assert_eq!(
            err.to_string(),
            format!("{} is a FIFO, not a regular file", fifo.display())
        );
        let err = open_beneath(&dir_fd(d.path()), d.path(), "fifo").expect_err("FIFO member");
        assert!(
            matches!(err, ImageError::NotRegularFile { kind: "FIFO", .. }),
            "{err}"
        );
    }

    #[test]
    fn devices_and_unwanted_directories_are_refused() {
        let err = open_input(Path::new("/dev/null"), false).expect_err("a device");
        assert_eq!(
            err.to_string(),
            "/dev/null is a character device, not a regular file"
        );
        let d = tempfile::tempdir().expect("tempdir");
        let err = open_regular(d.path()).expect_err("a dir where a file is wanted");
        assert!(
            matches!(
                err,
                ImageError::NotRegularFile {
                    kind: "directory",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn symlinks_inside_the_dir_are_followed_and_those_leaving_it_refused() {
        let d = tempfile::tempdir().expect("tempdir");
        let root = d.path().join("layout");
        std::fs::create_dir_all(root.join("blobs")).expect("mkdir");
        std::fs::write(root.join("real"), b"inside").expect("write");
        std::fs::write(d.path().join("secret"), b"outside").expect("write");
        symlink("../real", root.join("blobs/in")).expect("symlink");
        symlink("../../secret", root.join("blobs/up")).expect("symlink");
        symlink(d.path().join("secret"), root.join("blobs/abs")).expect("symlink");
        symlink("/proc/self/root/etc/hostname", root.join("blobs/magic")).expect("symlink");
        let fd = dir_fd(&root);
        let mut text = String::new();
        open_beneath(&fd, &root, "blobs/in")
            .expect("an inside symlink")
            .expect("exists")
            .read_to_string(&mut text)
            .expect("read");
        assert_eq!(text, "inside");
        for name in ["blobs/up", "blobs/abs", "blobs/magic", "../secret"] {
            let err = open_beneath(&fd, &root, name).expect_err(name);
            assert!(
                matches!(err, ImageError::OutsideLayout { .. }),
                "{name}: {err}"
            );
        }
        assert!(open_beneath(&fd, &root, "missing")
            .expect("missing")
            .is_none());
        assert!(open_beneath(&fd, &root, "real/x")
            .expect("not a dir")
            .is_none());
    }

    #[test]
    fn the_named_path_itself_may_be_a_symlink() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::write(d.path().join("a.tar"), b"tar").expect("write");
        symlink("a.tar", d.path().join("link.tar")).expect("symlink");
        assert!(matches!(
            open_input(&d.path().join("link.tar"), false).expect("followed"),
            Input::File(_)
        ));
    }
}
