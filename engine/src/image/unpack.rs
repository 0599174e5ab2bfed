//! Unpacking a layer tar safely, for overlayfs.
//!
//! The model: an archive is hostile. Every entry lands inside the layer directory (the "layer
//! root") or the whole layer is refused; nothing outside the root is ever created, changed,
//! followed or linked to. The rules are those of podman (containers-storage's `archive` package,
//! which unpacks inside a `chroot`), enforced here without a chroot:
//!
//! - Paths are cleaned lexically. A leading `/` is dropped (`/etc/passwd` is the layer's
//!   `etc/passwd`); a `..` that climbs above the root refuses the layer (containers-storage's
//!   "breakout" error), and `..` at the root of an absolute path stays at the root.
//! - Every parent directory is opened with `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
//!   RESOLVE_NO_XDEV)` from the layer root: symlinks already in the layer are followed as a
//!   `chroot` would, with `/` and `..` pinned to the layer root, so `evil -> /` then
//!   `evil/etc/passwd` writes the layer's own `etc/passwd`. The final component is then created
//!   with `*at` calls relative to that directory that never follow it (`O_CREAT | O_EXCL |
//!   O_NOFOLLOW`, `mkdirat`, `mknodat`, `symlinkat`, `linkat` without `AT_SYMLINK_FOLLOW`);
//!   whatever was there before (a symlink included) is removed first, as tar does.
//! - Symlink targets are stored as written: they are resolved inside the container later.
//! - A hard link's target is cleaned and resolved like an entry path, so it can only name a
//!   file already in this layer (`/etc/shadow` means the layer's own); one that is not there
//!   refuses the layer.
//! - Device nodes and FIFOs are created with `mknodat` (rootful, as podman), only inside the
//!   root. Owners, modes including setuid/setgid/sticky, and mtimes are kept, as podman does as
//!   root. Extended attributes: `user.*` and `security.capability` are kept; others
//!   (`trusted.*`, which could forge overlayfs metadata, `security.selinux`, ...) are dropped
//!   and counted in [`Unpacked::dropped_xattrs`].
//! - OCI whiteouts become overlayfs whiteouts: `.wh.NAME` a `0:0` character device `NAME`,
//!   `.wh..wh..opq` the `trusted.overlay.opaque=y` attribute on its directory; other
//!   `.wh..wh.*` names (aufs bookkeeping) are skipped.
//! - [`Limits`] refuse absurd archives: an entry claiming more than `max_file_size` bytes is
//!   refused before anything is written; the uncompressed stream is cut at `max_layer_size`
//!   bytes (decompression bombs), and the entry count at `max_entries`.
//!
//! The caller unpacks into an empty private directory and renames it into the store only if
//! this returns `Ok`, so a refused or interrupted layer leaves nothing behind.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags, Timespec, Timestamps, XattrFlags};
use rustix::io::Errno;
use tar::EntryType;

use super::UnpackError;
use crate::storage::{Digest, HashingReader};

/// Bounds on what one layer may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest regular file, from its header, checked before any byte is written.
    pub max_file_size: u64,
    /// Largest uncompressed tar stream.
    pub max_layer_size: u64,
    /// Most entries.
    pub max_entries: u64,
}

impl Default for Limits {
    /// 64 GiB per file, 256 GiB per layer, 4 Mi entries: far above real images (the largest
    /// common base images are a few GiB and under 100k files), far below what breaks a host.
    fn default() -> Limits {
        Limits {
            max_file_size: 64 << 30,
            max_layer_size: 256 << 30,
            max_entries: 4 << 20,
        }
    }
}

/// What [`unpack`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// sha256 of the uncompressed tar stream.
    pub diff_id: Digest,
    /// Length of the uncompressed tar stream.
    pub size: u64,
    /// Entries read (whiteouts and skipped ones included).
    pub entries: u64,
    /// Extended attributes not applied (see the module docs).
    pub dropped_xattrs: u64,
}

/// How a blob is compressed, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

impl Compression {
    /// Recognizes gzip; refuses the other compressions a layer may come in.
    ///
    /// # Errors
    ///
    /// [`UnpackError::UnsupportedCompression`] for zstd, xz and bzip2.
    pub fn detect(head: &[u8]) -> Result<Compression, UnpackError> {
        let format = match head {
            [0x1f, 0x8b, ..] => return Ok(Compression::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
            [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => "xz",
            [b'B', b'Z', b'h', ..] => "bzip2",
            _ => return Ok(Compression::None),
        };
        Err(UnpackError::UnsupportedCompression { format })
    }
}

/// The uncompressed stream of a blob that may be gzip-compressed.
///
/// # Errors
///
/// A read error or an unsupported compression.
pub fn decompress<'a>(blob: impl Read + 'a) -> Result<Box<dyn Read + 'a>, UnpackError> {
    let mut buf = BufReader::with_capacity(1 << 16, blob);
    let head = buf
        .fill_buf()
        .map_err(|source| UnpackError::Read { source })?;
    Ok(match Compression::detect(head)? {
        Compression::None => Box::new(buf),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buf)),
    })
}

/// Unpacks the layer `blob` (a tar, possibly gzip-compressed) into the empty directory `dest`.
///
/// # Errors
///
/// Any violation of the rules in the module docs, a malformed archive, or an I/O error. `dest`
/// is then in an unspecified state and must be discarded.
pub fn unpack(blob: impl Read, dest: &Path, limits: &Limits) -> Result<Unpacked, UnpackError> {
    let root = rustix::fs::open(
        dest,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| UnpackError::Io {
        action: "open the layer directory",
        entry: dest.to_owned(),
        source: e.into(),
    })?;
    unpack_at(blob, root, limits, &Extract::LAYER)
}

/// How [`unpack_at`] differs from unpacking a layer (`rpod cp` extracts user files, not layers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extract {
    /// `.wh.` names become overlayfs whiteouts (a layer); otherwise they are ordinary files.
    pub whiteouts: bool,
    /// Every entry gets this owner instead of the archive's (`rpod cp --archive`).
    pub owner: Option<(u32, u32)>,
    /// A directory may replace a non-directory and the other way round (`cp --overwrite`);
    /// otherwise such an entry fails with `EEXIST`.
    pub replace_kind: bool,
    /// Character and block devices are skipped (copying onto the host, as podman's
    /// `IgnoreDevices`: a container's device node must not appear on the host).
    pub skip_devices: bool,
    /// The root entry (`./`) sets the metadata of the directory extracted into.
    pub root_meta: bool,
}

impl Extract {
    /// A layer: whiteouts, the archive's owners, anything replaced, devices made.
    pub const LAYER: Extract = Extract {
        whiteouts: true,
        owner: None,
        replace_kind: true,
        skip_devices: false,
        root_meta: true,
    };
}

/// [`unpack`] into the open directory `root` (every rule of the module docs holds, with `root`
/// as the root), with the differences `how` names.
///
/// # Errors
///
/// As [`unpack`].
pub fn unpack_at(
    blob: impl Read,
    root: OwnedFd,
    limits: &Limits,
    how: &Extract,
) -> Result<Unpacked, UnpackError> {
    let stream = HashingReader::with_limit(decompress(blob)?, limits.max_layer_size);
    let mut u = Unpacker {
        root,
        how: *how,
        parent: None,
        limits: *limits,
        dir_times: Vec::new(),
        entries: 0,
        dropped_xattrs: 0,
    };
    let read_err = |source: io::Error| {
        if source.kind() == io::ErrorKind::FileTooLarge {
            UnpackError::LayerTooLarge {
                limit: limits.max_layer_size,
            }
        } else {
            UnpackError::Read { source }
        }
    };
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries().map_err(read_err)? {
        u.entry(entry.map_err(read_err)?)?;
    }
    u.apply_dir_times();
    let (diff_id, size) = archive.into_inner().finish().map_err(read_err)?;
    Ok(Unpacked {
        diff_id,
        size,
        entries: u.entries,
        dropped_xattrs: u.dropped_xattrs,
    })
}

/// Cleans an archive path into components below the root.
///
/// `None` when a `..` climbs above the root of a relative path. `a/../b` is `b`; `/../b` is `b`
/// (Go's `filepath.Clean` of a rooted path, as containers-storage sees it).
#[must_use]
pub fn clean_path(raw: &[u8]) -> Option<Vec<OsString>> {
    let rooted = raw.first() == Some(&b'/');
    let mut out: Vec<OsString> = Vec::new();
    for c in raw.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                if out.pop().is_none() && !rooted {
                    return None;
                }
            }
            c => out.push(OsStr::from_bytes(c).to_owned()),
        }
    }
    Some(out)
}

fn join(comps: &[OsString]) -> OsString {
    if comps.is_empty() {
        return OsString::from(".");
    }
    let mut out = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(c.as_bytes());
    }
    OsString::from_vec(out)
}

const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// Metadata of one entry.
struct Meta {
    uid: rustix::fs::Uid,
    gid: rustix::fs::Gid,
    mode: Mode,
    times: Timestamps,
    xattrs: Vec<(String, Vec<u8>)>,
}

struct Unpacker {
    root: OwnedFd,
    /// The parent directory of the last regular file, by its components: the next file in the
    /// same directory (the usual case: a tar lists a directory's files together) reuses it
    /// instead of resolving the path again (issue 12: two syscalls per file). Only regular
    /// files use and keep it, and any other entry drops it, so it can never be stale: a regular
    /// file entry creates or replaces a child of its parent, never the parent or a directory
    /// above it, while a directory, symlink, hard link, node or whiteout entry might.
    parent: Option<(Vec<OsString>, OwnedFd)>,
    how: Extract,
    limits: Limits,
    dir_times: Vec<(Vec<OsString>, Timestamps)>,
    entries: u64,
    dropped_xattrs: u64,
}

fn ts(secs: i64, nanos: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: secs,
        tv_nsec: nanos,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

/// Parses a PAX time (`1700000000.123456789`) into seconds and nanoseconds.
fn parse_pax_time(v: &[u8]) -> Option<(i64, i64)> {
    let s = std::str::from_utf8(v).ok()?;
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = secs.parse().ok()?;
    let mut digits: String = frac.chars().take(9).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    while digits.len() < 9 {
        digits.push('0');
    }
    let nanos: i64 = digits.parse().ok()?;
    // A negative time with a fraction counts down from the whole second.
    Some(if secs < 0 && nanos > 0 {
        (secs - 1, 1_000_000_000 - nanos)
    } else {
        (secs, nanos)
    })
}

impl Unpacker {
    fn entry<R: Read>(&mut self, mut entry: tar::Entry<'_, R>) -> Result<(), UnpackError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(UnpackError::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        let raw: Vec<u8> = entry.path_bytes().into_owned();
        let shown = PathBuf::from(OsStr::from_bytes(&raw));
        let kind = entry.header().entry_type();
        if kind == EntryType::XGlobalHeader {
            return Ok(());
        }
        let cached_parent = self.parent.take();
        let comps = clean_path(&raw).ok_or_else(|| UnpackError::Breakout {
            entry: shown.clone(),
        })?;
        let meta = self.meta(&mut entry, &shown)?;
        let Some((name, parent)) = comps.split_last() else {
            // The root itself ("./"): only its metadata.
            if kind != EntryType::Directory {
                return Err(UnpackError::RootNotDirectory { entry: shown });
            }
            if !self.how.root_meta {
                return Ok(());
            }
            let root = self
                .root
                .try_clone()
                .map_err(|e| io_err("open", &shown, e))?;
            self.set_fd_meta(&root, &meta, &shown)?;
            self.dir_times.push((Vec::new(), meta.times));
            return Ok(());
        };
        let name_bytes = name.as_bytes();
        if !self.how.whiteouts {
            // Plain files: `.wh.` names are ordinary names.
        } else if name_bytes == b".wh..wh..opq" {
            let dir = self.ensure_dir(parent, &shown)?;
            return rustix::fs::fsetxattr(&dir, OPAQUE_XATTR, b"y", XattrFlags::empty())
                .map_err(|e| io_err("mark the directory opaque", &shown, e.into()));
        }
        // aufs bookkeeping (`.wh..wh.plnk/...`, `.wh..wh.aufs`): skipped, as containers-storage
        // skips every path that starts with it.
        if self.how.whiteouts
            && (name_bytes.starts_with(b".wh..wh.") || comps[0].as_bytes().starts_with(b".wh..wh."))
        {
            return Ok(());
        }
        if let Some(hidden) = name_bytes
            .strip_prefix(b".wh.")
            .filter(|_| self.how.whiteouts)
        {
            if matches!(hidden, b"" | b"." | b"..") {
                return Err(UnpackError::InvalidWhiteout { entry: shown });
            }
            let dir = self.ensure_dir(parent, &shown)?;
            let hidden = OsStr::from_bytes(hidden);
            return self.make_node(&dir, hidden, FileType::CharacterDevice, 0, 0, &meta, &shown);
        }
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let size = entry.size();
                if size > self.limits.max_file_size {
                    return Err(UnpackError::EntryTooLarge {
                        entry: shown,
                        size,
                        limit: self.limits.max_file_size,
                    });
                }
                // Whiteouts returned above: this creates `name` in `parent`, nothing else.
                let dir = match cached_parent {
                    Some((comps, fd)) if comps == parent => fd,
                    _ => self.ensure_dir(parent, &shown)?,
                };
                self.make_file(&dir, name, &mut entry, &meta, &shown)?;
                self.parent = Some((parent.to_vec(), dir));
                Ok(())
            }
            EntryType::Directory => {
                let dir = self.ensure_dir(parent, &shown)?;
                self.make_dir(&dir, name, &meta, &shown)?;
                self.dir_times.push((comps.clone(), meta.times));
                Ok(())
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(Cow::into_owned)
                    .unwrap_or_default();
                let dir = self.ensure_dir(parent, &shown)?;
                self.make_symlink(&dir, name, &target, &meta, &shown)
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(Cow::into_owned)
                    .unwrap_or_default();
                let dir = self.ensure_dir(parent, &shown)?;
                self.make_hardlink(&dir, &comps, &target, &shown)
            }
            EntryType::Char | EntryType::Block if self.how.skip_devices => Ok(()),
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let (file_type, major, minor) = match kind {
                    EntryType::Fifo => (FileType::Fifo, 0, 0),
                    _ => {
                        let h = entry.header();
                        let major = h.device_major().ok().flatten().unwrap_or(0);
                        let minor = h.device_minor().ok().flatten().unwrap_or(0);
                        let t = if kind == EntryType::Char {
                            FileType::CharacterDevice
                        } else {
                            FileType::BlockDevice
                        };
                        (t, major, minor)
                    }
                };
                let dir = self.ensure_dir(parent, &shown)?;
                self.make_node(&dir, name, file_type, major, minor, &meta, &shown)
            }
            other => Err(UnpackError::UnsupportedType {
                entry: shown,
                kind: other.as_byte(),
            }),
        }
    }

    fn meta<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        shown: &Path,
    ) -> Result<Meta, UnpackError> {
        let h = entry.header();
        let bad_header = |e| UnpackError::Io {
            action: "read the header",
            entry: shown.to_owned(),
            source: e,
        };
        let mut uid = h.uid().map_err(bad_header)?;
        let mut gid = h.gid().map_err(bad_header)?;
        let mut mode = h.mode().map_err(bad_header)? & 0o7777;
        let mut time = (
            i64::try_from(h.mtime().map_err(bad_header)?).unwrap_or(i64::MAX),
            0,
        );
        let mut xattrs = Vec::new();
        if let Some(pax) = entry.pax_extensions().map_err(bad_header)? {
            for ext in pax {
                let ext = ext.map_err(bad_header)?;
                let Ok(key) = ext.key() else {
                    continue;
                };
                let value = ext.value_bytes();
                let num = || std::str::from_utf8(value).ok()?.parse::<u64>().ok();
                match key {
                    "uid" => uid = num().unwrap_or(u64::MAX),
                    "gid" => gid = num().unwrap_or(u64::MAX),
                    "mtime" => {
                        if let Some(t) = parse_pax_time(value) {
                            time = t;
                        }
                    }
                    _ => {
                        if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                            xattrs.push((name.to_owned(), value.to_vec()));
                        }
                    }
                }
            }
        }
        if let Some((u, g)) = self.how.owner {
            // The archive's setuid/setgid bits were meant for the archive's owner: given to
            // another (`cp` onto the host gives every file to the caller, root), they would
            // make a container's setuid-1000 file a setuid-root file.
            if (u64::from(u), u64::from(g)) != (uid, gid) {
                mode &= !0o6000; // S_ISUID | S_ISGID
            }
            (uid, gid) = (u.into(), g.into());
        }
        // uid_t -1 means "leave unchanged" to chown(2): never a real owner.
        let id = |v: u64| u32::try_from(v).ok().filter(|&v| v != u32::MAX);
        let (Some(u), Some(g)) = (id(uid), id(gid)) else {
            return Err(UnpackError::InvalidOwner {
                entry: shown.to_owned(),
                uid,
                gid,
            });
        };
        Ok(Meta {
            uid: rustix::fs::Uid::from_raw(u),
            gid: rustix::fs::Gid::from_raw(g),
            mode: Mode::from_bits_truncate(mode),
            times: ts(time.0, time.1),
            xattrs,
        })
    }

    /// Opens the directory `comps` inside the root, following symlinks as a chroot would.
    fn open_in_root(&self, comps: &[OsString]) -> io::Result<OwnedFd> {
        let path = join(comps);
        let mut tries = 0;
        loop {
            match rustix::fs::openat2(
                &self.root,
                path.as_os_str(),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
                ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS | ResolveFlags::NO_XDEV,
            ) {
                // openat2 asks for a retry when a rename raced with a ".." lookup.
                Err(Errno::AGAIN) if tries < 16 => tries += 1,
                other => return other.map_err(Into::into),
            }
        }
    }

    /// Opens the parent directory `comps`, creating missing components (`0755`, owned by the
    /// caller, as containers-storage does).
    fn ensure_dir(&self, comps: &[OsString], shown: &Path) -> Result<OwnedFd, UnpackError> {
        match self.open_in_root(comps) {
            Ok(fd) => return Ok(fd),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("open the parent directory", shown, e)),
        }
        let mut dir = self
            .root
            .try_clone()
            .map_err(|e| io_err("open the layer root", shown, e))?;
        for i in 0..comps.len() {
            match self.open_in_root(&comps[..=i]) {
                Ok(fd) => dir = fd,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // mkdirat never follows its last component: a dangling symlink there makes
                    // it fail with EEXIST instead of creating a directory elsewhere.
                    rustix::fs::mkdirat(
                        &dir,
                        comps[i].as_os_str(),
                        Mode::from_bits_truncate(0o755),
                    )
                    .map_err(|e| {
                        let action = if e == Errno::EXIST {
                            // podman refuses this too: its chroot'ed open fails the same way.
                            "create a parent directory where a symlink to a missing directory is"
                        } else {
                            "create a parent directory"
                        };
                        io_err(action, shown, e.into())
                    })?;
                    dir = self
                        .open_in_root(&comps[..=i])
                        .map_err(|e| io_err("open a parent directory", shown, e))?;
                    rustix::fs::fchmod(&dir, Mode::from_bits_truncate(0o755)).map_err(|e| {
                        io_err("set the mode of a parent directory", shown, e.into())
                    })?;
                }
                Err(e) => return Err(io_err("open a parent directory", shown, e)),
            }
        }
        Ok(dir)
    }

    /// Removes whatever is at `name` in `dir`, unless it is a directory and `keep_dir`.
    /// Returns whether a directory was kept.
    fn clear(&self, dir: &OwnedFd, name: &OsStr, keep_dir: bool) -> io::Result<bool> {
        match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(e.into()),
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                if keep_dir {
                    Ok(true)
                } else if !self.how.replace_kind {
                    // "file exists": podman's words (Go's EEXIST), which scripts match.
                    Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "a directory is in the way of a non-directory: file exists (--overwrite replaces it)",
                    ))
                } else {
                    remove_tree_at(dir, name)?;
                    Ok(false)
                }
            }
            Ok(_) if keep_dir && !self.how.replace_kind => Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a non-directory is in the way of a directory: file exists (--overwrite replaces it)",
            )),
            Ok(_) => {
                rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
                Ok(false)
            }
        }
    }

    /// Owner, mode, extended attributes and times of an open file or directory. The owner goes
    /// first: chown(2) clears setuid/setgid bits and file capabilities.
    fn set_fd_meta(&mut self, fd: &OwnedFd, meta: &Meta, shown: &Path) -> Result<(), UnpackError> {
        rustix::fs::fchown(fd, Some(meta.uid), Some(meta.gid))
            .map_err(|e| io_err("set the owner", shown, e.into()))?;
        rustix::fs::fchmod(fd, meta.mode).map_err(|e| io_err("set the mode", shown, e.into()))?;
        for (name, value) in &meta.xattrs {
            if name.starts_with("user.") || name == "security.capability" {
                rustix::fs::fsetxattr(fd, name.as_str(), value, XattrFlags::empty())
                    .map_err(|e| io_err("set an extended attribute", shown, e.into()))?;
            } else {
                self.dropped_xattrs += 1;
            }
        }
        rustix::fs::futimens(fd, &meta.times).map_err(|e| io_err("set the times", shown, e.into()))
    }

    fn make_file<R: Read>(
        &mut self,
        dir: &OwnedFd,
        name: &OsStr,
        data: &mut tar::Entry<'_, R>,
        meta: &Meta,
        shown: &Path,
    ) -> Result<(), UnpackError> {
        let create = || {
            rustix::fs::openat(
                dir,
                name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_bits_truncate(0o600),
            )
        };
        // Create first, clear only what is in the way: most names are new, and a stat before
        // each create was one syscall per file for nothing (issue 12). O_EXCL fails on any
        // existing name, a symlink included, so nothing is ever followed.
        let fd = match create() {
            Err(Errno::EXIST) => {
                self.clear(dir, name, false)
                    .map_err(|e| io_err("replace the existing entry", shown, e))?;
                create()
            }
            other => other,
        }
        .map_err(|e| io_err("create the file", shown, e.into()))?;
        let mut file = File::from(fd);
        io::copy(data, &mut file).map_err(|e| {
            if e.kind() == io::ErrorKind::FileTooLarge {
                UnpackError::LayerTooLarge {
                    limit: self.limits.max_layer_size,
                }
            } else {
                io_err("write the file", shown, e)
            }
        })?;
        self.set_fd_meta(&OwnedFd::from(file), meta, shown)
    }

    fn make_dir(
        &mut self,
        dir: &OwnedFd,
        name: &OsStr,
        meta: &Meta,
        shown: &Path,
    ) -> Result<(), UnpackError> {
        let kept = self
            .clear(dir, name, true)
            .map_err(|e| io_err("replace the existing entry", shown, e))?;
        if !kept {
            rustix::fs::mkdirat(dir, name, Mode::from_bits_truncate(0o700))
                .map_err(|e| io_err("create the directory", shown, e.into()))?;
        }
        let fd = rustix::fs::openat(
            dir,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io_err("open the directory", shown, e.into()))?;
        self.set_fd_meta(&fd, meta, shown)
    }

    fn make_symlink(
        &mut self,
        dir: &OwnedFd,
        name: &OsStr,
        target: &[u8],
        meta: &Meta,
        shown: &Path,
    ) -> Result<(), UnpackError> {
        self.clear(dir, name, false)
            .map_err(|e| io_err("replace the existing entry", shown, e))?;
        rustix::fs::symlinkat(OsStr::from_bytes(target), dir, name)
            .map_err(|e| io_err("create the symlink", shown, e.into()))?;
        self.dropped_xattrs += meta.xattrs.len() as u64;
        rustix::fs::chownat(
            dir,
            name,
            Some(meta.uid),
            Some(meta.gid),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| io_err("set the owner", shown, e.into()))?;
        rustix::fs::utimensat(dir, name, &meta.times, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| io_err("set the times", shown, e.into()))
    }

    fn make_hardlink(
        &mut self,
        dir: &OwnedFd,
        comps: &[OsString],
        target: &[u8],
        shown: &Path,
    ) -> Result<(), UnpackError> {
        let target_shown = PathBuf::from(OsStr::from_bytes(target));
        let breakout = || UnpackError::LinkBreakout {
            entry: shown.to_owned(),
            target: target_shown.clone(),
        };
        let tcomps = clean_path(target).ok_or_else(breakout)?;
        let Some((tname, tparent)) = tcomps.split_last() else {
            return Err(breakout());
        };
        if tcomps == comps {
            // A link to itself: the file is already what it names.
            return Ok(());
        }
        let missing = |source| UnpackError::LinkTargetMissing {
            entry: shown.to_owned(),
            target: target_shown.clone(),
            source,
        };
        let tdir = self.open_in_root(tparent).map_err(missing)?;
        let st = rustix::fs::statat(&tdir, tname.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| missing(e.into()))?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
            return Err(missing(io::Error::from(io::ErrorKind::IsADirectory)));
        }
        let name = comps.last().expect("a hard link entry has a name");
        self.clear(dir, name, false)
            .map_err(|e| io_err("replace the existing entry", shown, e))?;
        // Without AT_SYMLINK_FOLLOW, linkat links the target entry itself, never what a symlink
        // there points to.
        rustix::fs::linkat(
            &tdir,
            tname.as_os_str(),
            dir,
            name.as_os_str(),
            AtFlags::empty(),
        )
        .map_err(|e| io_err("create the hard link", shown, e.into()))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call per node kind, all fields needed"
    )]
    fn make_node(
        &mut self,
        dir: &OwnedFd,
        name: &OsStr,
        file_type: FileType,
        major: u32,
        minor: u32,
        meta: &Meta,
        shown: &Path,
    ) -> Result<(), UnpackError> {
        self.clear(dir, name, false)
            .map_err(|e| io_err("replace the existing entry", shown, e))?;
        let perm = if file_type == FileType::CharacterDevice && major == 0 && minor == 0 {
            // An overlayfs whiteout; its mode does not matter, podman uses 0.
            Mode::empty()
        } else {
            meta.mode
        };
        rustix::fs::mknodat(
            dir,
            name,
            file_type,
            perm,
            rustix::fs::makedev(major, minor),
        )
        .map_err(|e| io_err("create the device node or FIFO", shown, e.into()))?;
        self.dropped_xattrs += meta.xattrs.len() as u64;
        rustix::fs::chownat(
            dir,
            name,
            Some(meta.uid),
            Some(meta.gid),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| io_err("set the owner", shown, e.into()))?;
        // The node was just created in this private directory, so following the name cannot
        // reach anything else; mknod's mode went through the umask, this sets it exactly.
        rustix::fs::chmodat(dir, name, perm, AtFlags::empty())
            .map_err(|e| io_err("set the mode", shown, e.into()))?;
        rustix::fs::utimensat(dir, name, &meta.times, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| io_err("set the times", shown, e.into()))
    }

    /// Directory mtimes change as entries are added: set them once everything is in place.
    fn apply_dir_times(&self) {
        for (comps, times) in &self.dir_times {
            // A directory replaced or removed by a later entry has no time to keep.
            if let Ok(fd) = self.open_in_root(comps) {
                let _ = rustix::fs::futimens(&fd, times);
            }
        }
    }
}

fn io_err(action: &'static str, shown: &Path, source: io::Error) -> UnpackError {
    UnpackError::Io {
        action,
        entry: shown.to_owned(),
        source,
    }
}

/// Removes `name` in `dir` and everything below it, never following a symlink.
fn remove_tree_at(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    // A directory without write permission cannot be emptied by a non-root caller.
    let _ = rustix::fs::fchmod(&fd, Mode::from_bits_truncate(0o700));
    let mut children = Vec::new();
    let mut entries = rustix::fs::Dir::read_from(&fd)?;
    while let Some(entry) = entries.read() {
        let entry = entry?;
        let child = entry.file_name().to_bytes();
        if child != b"." && child != b".." {
            children.push(OsString::from_vec(child.to_vec()));
        }
    }
    for child in children {
        match rustix::fs::statat(&fd, child.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                remove_tree_at(&fd, &child)?;
            }
            Ok(_) => rustix::fs::unlinkat(&fd, child.as_os_str(), AtFlags::empty())?,
            Err(Errno::NOENT) => {}
            Err(e) => return Err(e.into()),
        }
    }
    rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR).map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn clean_path_confines_like_containers_storage() {
        assert_eq!(clean_path(b"a/b/c"), Some(os(&["a", "b", "c"])));
        assert_eq!(clean_path(b"./a//b/./"), Some(os(&["a", "b"])));
        assert_eq!(clean_path(b"/etc/passwd"), Some(os(&["etc", "passwd"])));
        assert_eq!(clean_path(b"a/../b"), Some(os(&["b"])));
        assert_eq!(clean_path(b"/../../b"), Some(os(&["b"])));
        assert_eq!(clean_path(b"./"), Some(vec![]));
        assert_eq!(clean_path(b"../escape"), None);
        assert_eq!(clean_path(b"a/../../escape"), None);
        assert_eq!(clean_path(b"a/b/../../.."), None);
    }

    #[test]
    fn pax_times_parse_with_fractions() {
        assert_eq!(parse_pax_time(b"1700000000"), Some((1_700_000_000, 0)));
        assert_eq!(
            parse_pax_time(b"1700000000.5"),
            Some((1_700_000_000, 500_000_000))
        );
        assert_eq!(parse_pax_time(b"-1.25"), Some((-2, 750_000_000)));
        assert_eq!(parse_pax_time(b"x"), None);
    }

    #[test]
    fn compression_is_detected_and_unknown_ones_refused() {
        assert_eq!(
            Compression::detect(&[0x1f, 0x8b, 8]).ok(),
            Some(Compression::Gzip)
        );
        assert_eq!(Compression::detect(b"etc/").ok(), Some(Compression::None));
        assert_eq!(Compression::detect(b"").ok(), Some(Compression::None));
        let err = Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd]).expect_err("zstd");
        assert_eq!(
            err.to_string(),
            "the layer is compressed with zstd, which rpod does not support (only gzip)"
        );
    }

    /// A tar built entry by entry, owned by the caller's uid so no root is needed.
    struct TarBuilder {
        b: tar::Builder<Vec<u8>>,
        uid: u64,
        gid: u64,
    }

    impl TarBuilder {
        fn new() -> TarBuilder {
            TarBuilder {
                b: tar::Builder::new(Vec::new()),
                uid: u64::from(rustix::process::geteuid().as_raw()),
                gid: u64::from(rustix::process::getegid().as_raw()),
            }
        }

        fn header(&self, kind: EntryType, mode: u32, size: u64) -> tar::Header {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(kind);
            h.set_mode(mode);
            h.set_size(size);
            h.set_uid(self.uid);
            h.set_gid(self.gid);
            h.set_mtime(1_600_000_000);
            h
        }

        /// Writes the name bytes raw, as a hostile archive would (set_path refuses `..`).
        fn raw(&mut self, mut h: tar::Header, name: &str, link: Option<&str>, data: &[u8]) {
            {
                let gnu = h.as_gnu_mut().expect("gnu header");
                gnu.name = [0; 100];
                gnu.name[..name.len()].copy_from_slice(name.as_bytes());
                if let Some(link) = link {
                    gnu.linkname = [0; 100];
                    gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
                }
            }
            h.set_cksum();
            self.b.append(&h, data).expect("append");
        }

        fn file(mut self, name: &str, data: &[u8]) -> Self {
            let h = self.header(EntryType::Regular, 0o644, data.len() as u64);
            self.raw(h, name, None, data);
            self
        }

        fn dir(mut self, name: &str, mode: u32) -> Self {
            let h = self.header(EntryType::Directory, mode, 0);
            self.raw(h, name, None, &[]);
            self
        }

        fn symlink(mut self, name: &str, target: &str) -> Self {
            let h = self.header(EntryType::Symlink, 0o777, 0);
            self.raw(h, name, Some(target), &[]);
            self
        }

        fn hardlink(mut self, name: &str, target: &str) -> Self {
            let h = self.header(EntryType::Link, 0o644, 0);
            self.raw(h, name, Some(target), &[]);
            self
        }

        fn finish(self) -> Vec<u8> {
            self.b.into_inner().expect("finish")
        }
    }

    fn unpack_into(tar: &[u8]) -> (tempfile::TempDir, PathBuf, Result<Unpacked, UnpackError>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("layer");
        std::fs::create_dir(&dest).expect("mkdir");
        let r = unpack(tar, &dest, &Limits::default());
        (dir, dest, r)
    }

    #[test]
    fn files_dirs_links_and_metadata_are_unpacked() {
        let tar = TarBuilder::new()
            .dir("etc/", 0o755)
            .file("etc/hosts", b"127.0.0.1 localhost\n")
            .dir("tmp", 0o1777)
            .symlink("bin/sh", "/bin/busybox")
            .hardlink("etc/hosts2", "/etc/hosts")
            .finish();
        let (_t, dest, r) = unpack_into(&tar);
        let u = r.expect("unpacks");
        assert_eq!(u.diff_id, Digest::of_bytes(&tar));
        assert_eq!(u.size, tar.len() as u64);
        assert_eq!(
            std::fs::read(dest.join("etc/hosts")).expect("read"),
            b"127.0.0.1 localhost\n"
        );
        let m = std::fs::symlink_metadata(dest.join("tmp")).expect("tmp");
        assert_eq!(m.permissions().mode() & 0o7777, 0o1777);
        assert_eq!(m.mtime(), 1_600_000_000);
        assert_eq!(
            std::fs::read_link(dest.join("bin/sh")).expect("link"),
            Path::new("/bin/busybox")
        );
        let a = std::fs::metadata(dest.join("etc/hosts")).expect("hosts");
        let b = std::fs::metadata(dest.join("etc/hosts2")).expect("hosts2");
        assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
        assert_eq!(a.permissions().mode() & 0o7777, 0o644);
        assert_eq!(a.mtime(), 1_600_000_000);
        let etc = std::fs::metadata(dest.join("etc")).expect("etc");
        assert_eq!(
            etc.mtime(),
            1_600_000_000,
            "dir times are set after their entries"
        );
    }

    #[test]
    fn dot_dot_escapes_refuse_the_layer() {
        let tar = TarBuilder::new().file("a/../../escape", b"x").finish();
        let (t, _dest, r) = unpack_into(&tar);
        assert!(matches!(r, Err(UnpackError::Breakout { .. })), "{r:?}");
        assert!(!t.path().join("escape").exists());
    }

    #[test]
    fn absolute_paths_and_symlinked_parents_stay_inside() {
        let outside = tempfile::tempdir().expect("outside");
        let target = outside.path().to_str().expect("utf-8").to_owned();
        let tar = TarBuilder::new()
            .file(&format!("{target}/abs"), b"abs")
            .symlink("evil", &target)
            .file("evil/through-symlink", b"sym")
            .symlink("up", "../../../../../../..")
            .file("up/climb", b"up")
            .finish();
        let (_t, dest, r) = unpack_into(&tar);
        r.expect("neutralised, not refused");
        assert_eq!(
            std::fs::read_dir(outside.path()).expect("read").count(),
            0,
            "nothing may be written outside the layer"
        );
        let inside = dest.join(target.trim_start_matches('/'));
        assert_eq!(std::fs::read(inside.join("abs")).expect("abs"), b"abs");
        assert_eq!(
            std::fs::read(inside.join("through-symlink")).expect("sym"),
            b"sym"
        );
        assert_eq!(std::fs::read(dest.join("climb")).expect("climb"), b"up");
    }

    #[test]
    fn the_cached_parent_of_regular_files_never_outlives_a_change_of_the_tree() {
        // Issue 12: consecutive files in one directory reuse its fd. Any other entry drops it:
        // here `d` becomes a symlink to `e` between two files "in d", and the second must land
        // in e, as a chroot'ed tar puts it, not in the removed directory's orphaned inode.
        let tar = TarBuilder::new()
            .dir("d", 0o755)
            .dir("e", 0o755)
            .file("d/a", b"a")
            .symlink("d", "e")
            .file("d/b", b"b")
            .file("d/c", b"c")
            .finish();
        let (_t, dest, r) = unpack_into(&tar);
        r.expect("unpacks");
        assert!(std::fs::symlink_metadata(dest.join("d"))
            .expect("d")
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(dest.join("e/b")).expect("e/b"), b"b");
        assert_eq!(std::fs::read(dest.join("e/c")).expect("e/c"), b"c");
        assert!(!dest.join("e/a").exists());
    }

    #[test]
    fn a_file_entry_replaces_a_symlink_instead_of_following_it() {
        let outside = tempfile::tempdir().expect("outside");
        let victim = outside.path().join("victim");
        std::fs::write(&victim, b"original").expect("victim");
        let tar = TarBuilder::new()
            .symlink("f", victim.to_str().expect("utf-8"))
            .file("f", b"replaced")
            .finish();
        let (_t, dest, r) = unpack_into(&tar);
        r.expect("unpacks");
        assert_eq!(std::fs::read(&victim).expect("victim"), b"original");
        assert_eq!(std::fs::read(dest.join("f")).expect("f"), b"replaced");
    }

    #[test]
    fn hard_links_must_name_a_file_in_the_layer() {
        let outside = tempfile::tempdir().expect("outside");
        let secret = outside.path().join("secret");
        std::fs::write(&secret, b"s").expect("secret");
        let tar = TarBuilder::new()
            .hardlink("stolen", secret.to_str().expect("utf-8"))
            .finish();
        let (_t, _dest, r) = unpack_into(&tar);
        assert!(
            matches!(r, Err(UnpackError::LinkTargetMissing { .. })),
            "{r:?}"
        );
        assert_eq!(std::fs::metadata(&secret).expect("secret").nlink(), 1);
        let tar = TarBuilder::new().hardlink("x", "../../etc/shadow").finish();
        let (_t, _dest, r) = unpack_into(&tar);
        assert!(matches!(r, Err(UnpackError::LinkBreakout { .. })), "{r:?}");
        // Through a symlinked parent: resolved inside the layer, where there is no such file.
        let tar = TarBuilder::new()
            .symlink("out", outside.path().to_str().expect("utf-8"))
            .hardlink("stolen", "out/secret")
            .finish();
        let (_t, _dest, r) = unpack_into(&tar);
        assert!(
            matches!(r, Err(UnpackError::LinkTargetMissing { .. })),
            "{r:?}"
        );
        assert_eq!(std::fs::metadata(&secret).expect("secret").nlink(), 1);
    }

    #[test]
    fn huge_entries_are_refused_before_writing() {
        let mut b = TarBuilder::new();
        let mut h = b.header(EntryType::Regular, 0o644, 0);
        h.set_size(1 << 62);
        b.raw(h, "huge", None, &[]);
        let tar = b.finish();
        let (_t, dest, r) = unpack_into(&tar);
        assert!(matches!(r, Err(UnpackError::EntryTooLarge { .. })), "{r:?}");
        assert!(!dest.join("huge").exists());
        let tar = TarBuilder::new().file("f", &[1; 4096]).finish();
        let dir = tempfile::tempdir().expect("tempdir");
        let limits = Limits {
            max_layer_size: 2048,
            ..Limits::default()
        };
        let r = unpack(&tar[..], dir.path(), &limits);
        assert!(
            matches!(r, Err(UnpackError::LayerTooLarge { limit: 2048 })),
            "{r:?}"
        );
        let limits = Limits {
            max_entries: 1,
            ..Limits::default()
        };
        let tar = TarBuilder::new().file("a", b"").file("b", b"").finish();
        let r = unpack(&tar[..], dir.path(), &limits);
        assert!(
            matches!(r, Err(UnpackError::TooManyEntries { limit: 1 })),
            "{r:?}"
        );
    }

    #[test]
    fn gzip_layers_hash_to_the_uncompressed_stream() {
        use std::io::Write as _;
        let tar = TarBuilder::new().file("a", b"hello").finish();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).expect("gzip");
        let gz = gz.finish().expect("gzip");
        let (_t, dest, r) = unpack_into(&gz);
        let u = r.expect("unpacks");
        assert_eq!(u.diff_id, Digest::of_bytes(&tar));
        assert_eq!(std::fs::read(dest.join("a")).expect("a"), b"hello");
    }

    #[test]
    fn later_entries_replace_earlier_ones_including_dirs() {
        let tar = TarBuilder::new()
            .file("d/x", b"1")
            .file("d", b"now a file")
            .dir("d2", 0o755)
            .file("d2/keep", b"k")
            .dir("d2", 0o700)
            .finish();
        let (_t, dest, r) = unpack_into(&tar);
        r.expect("unpacks");
        assert_eq!(std::fs::read(dest.join("d")).expect("d"), b"now a file");
        assert_eq!(std::fs::read(dest.join("d2/keep")).expect("keep"), b"k");
        let m = std::fs::metadata(dest.join("d2")).expect("d2");
        assert_eq!(m.permissions().mode() & 0o7777, 0o700);
    }

    /// Review of issue 13: `cp` onto the host gives every file to the caller; a setuid file of
    /// uid 1000 in the container must not become a setuid file of root there.
    #[test]
    fn an_owner_override_drops_setuid_and_setgid() {
        let mut b = TarBuilder::new();
        let mut h = b.header(EntryType::Regular, 0o6755, 0);
        h.set_uid(1000);
        h.set_gid(1000);
        b.raw(h, "suid", None, &[]);
        let mut h = b.header(EntryType::Regular, 0o4755, 0);
        h.set_uid(0);
        h.set_gid(0);
        b.raw(h, "own", None, &[]);
        let tar = b.finish();
        let dir = tempfile::tempdir().expect("tempdir");
        let root = rustix::fs::open(
            dir.path(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .expect("open");
        let how = Extract {
            owner: Some((0, 0)),
            ..Extract::LAYER
        };
        let r = unpack_at(&tar[..], root, &Limits::default(), &how);
        if rustix::process::geteuid().is_root() {
            r.expect("unpacks");
            let mode = |n: &str| {
                std::fs::metadata(dir.path().join(n))
                    .expect(n)
                    .permissions()
                    .mode()
                    & 0o7777
            };
            assert_eq!(
                mode("suid"),
                0o755,
                "a setuid file given to another owner keeps its bits"
            );
            // The archive's own owner: nothing changes hands, the bits stay.
            assert_eq!(mode("own"), 0o4755);
        }
    }

    #[test]
    fn invalid_owners_and_whiteouts_are_refused() {
        let mut b = TarBuilder::new();
        let mut h = b.header(EntryType::Regular, 0o644, 0);
        h.set_uid(u64::from(u32::MAX));
        b.raw(h, "f", None, &[]);
        let (_t, _d, r) = unpack_into(&b.finish());
        assert!(matches!(r, Err(UnpackError::InvalidOwner { .. })), "{r:?}");
        let tar = TarBuilder::new().file("a/.wh..", b"").finish();
        let (_t, _d, r) = unpack_into(&tar);
        assert!(
            matches!(r, Err(UnpackError::InvalidWhiteout { .. })),
            "{r:?}"
        );
        let tar = TarBuilder::new().file("./", b"").finish();
        let (_t, _d, r) = unpack_into(&tar);
        assert!(
            matches!(r, Err(UnpackError::RootNotDirectory { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn aufs_bookkeeping_is_skipped() {
        let tar = TarBuilder::new()
            .file(".wh..wh.plnk/1.2", b"")
            .file(".wh..wh.aufs", b"")
            .finish();
        let (_t, dest, r) = unpack_into(&tar);
        assert_eq!(r.expect("unpacks").entries, 2);
        assert_eq!(std::fs::read_dir(&dest).expect("read").count(), 0);
    }
}
