//! Copying files into and out of a container's root filesystem (`rpod cp`, `rpod export`).
//!
//! # Threat model
//!
//! The container's root is hostile: its processes run as root inside it, may create any
//! symlink, hard link, FIFO or device there, and may change the tree while rpod reads or writes
//! it. rpod runs as root on the host. What must hold whatever the container does:
//!
//! - **Nothing outside the container's root is read, created, changed or followed** through a
//!   path inside the container. Every container path is cleaned lexically (a leading `/` is the
//!   container's root, `..` stops there, as podman reads `ctr:path` relative to the root) and
//!   opened with `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)` from an fd
//!   of the root: symlinks are followed as a `chroot` into the container would (podman's
//!   copier runs chrooted), `evil -> /etc` means the container's `/etc`, `../../x` stops at the
//!   container's `/`, and `/proc/self/root`-style magic links are refused.
//! - **Reading a tree** (the source of a copy, `export`) never follows a link below the named
//!   path: each child is opened with `O_PATH | O_NOFOLLOW` relative to its directory's fd, its
//!   type taken from `fstat` of that fd, and only then a regular file or directory is reopened
//!   through the fd itself (`/proc/self/fd/N`, the same inode), so a name swapped for a symlink
//!   or a FIFO between the two steps changes nothing. Symlinks are archived as links, FIFOs and
//!   devices as nodes; their targets are never opened. Sockets are skipped (tar has no type).
//! - **Writing a tree** goes through the layer unpacker ([`crate::image::unpack::unpack_at`])
//!   rooted at the destination directory's fd: the archive rpod wrote may describe a tree the
//!   container changed while it was read, so it is treated as hostile like a layer. Entries
//!   land below the destination directory or nowhere; final components are created without
//!   following them (`O_EXCL | O_NOFOLLOW`, `mkdirat`, `symlinkat`); `.wh.` names stay files.
//! - **Onto the host**, device nodes in the archive are skipped (podman's `IgnoreDevices`): a
//!   container's `mknod` must not give host users a node of a host disk. The host paths a user
//!   names are the user's own and are followed normally; what comes *from* the container is
//!   confined to the destination directory.
//! - **Ownership**: with `--archive` (podman's default) files written into a container belong to
//!   the container's user (its primary uid and gid from the OCI spec), files written onto the
//!   host to the caller; without it they keep the source's owners, as podman.
//!
//! The copy semantics are podman's (podman-cp(1)): a file onto an existing directory lands in
//! it under its own name, onto anything else (or nothing) under the destination's name; a
//! directory onto a missing path becomes that path, into an existing directory under its own
//! name, or, when the source ends in `/.`, its contents go into the directory. A destination
//! ending in `/` must be a directory.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd as _, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags, Stat, CWD};
use rustix::io::Errno;

use super::{Container, Error};
use crate::image::unpack::{self, Extract, Limits};
use crate::image::UnpackError;

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// podman's wording: `"/x" could not be found on container c: no such file or directory`.
    #[error("\"{path}\" could not be found on {place}: no such file or directory")]
    NotFound { path: String, place: String },

    #[error("\"{path}\" on {place} is not a directory: a destination ending in '/' must be one")]
    NotADirectory { path: String, place: String },

    /// podman's wording.
    #[error("destination must be a directory when copying a directory (\"{src}\" onto \"{path}\" on {place})")]
    DirOntoFile {
        src: String,
        path: String,
        place: String,
    },

    /// podman's wording.
    #[error("destination must be a directory when copying from stdin (\"{path}\" on {place})")]
    StdinNeedsDir { path: String, place: String },

    #[error("\"{path}\" on {place} is a {kind}: only files, directories and symlinks are copied")]
    Unsupported {
        path: String,
        place: String,
        kind: &'static str,
    },

    #[error("\"{path}\" on {place} is nested more than {limit} directories deep")]
    TooDeep {
        path: String,
        place: String,
        limit: usize,
    },

    #[error("cannot {action} \"{path}\" on {place}")]
    Io {
        action: &'static str,
        path: String,
        place: String,
        #[source]
        source: io::Error,
    },

    /// overlayfs `redirect_dir` or `metacopy` (module parameters or mount options): the upper
    /// dir then holds references into the lower layers, not the changes themselves.
    #[error("\"{path}\" in the container's upper dir carries overlayfs {feature}, which rpod cannot turn into a layer (turn off overlay's redirect_dir and metacopy)")]
    OverlayFeature { path: String, feature: &'static str },

    #[error("cannot write the archive")]
    WriteArchive(#[source] io::Error),

    #[error("cannot copy into \"{path}\" on {place}")]
    Extract {
        path: String,
        place: String,
        #[source]
        source: UnpackError,
    },

    #[error(transparent)]
    Container(#[from] Error),
}

/// Deeper trees are refused: each level holds a directory fd while it is read.
pub const MAX_DEPTH: usize = 256;

/// One side of a copy: the host, or the root directory of a container.
#[derive(Debug)]
pub struct Place {
    /// `None`: the host, paths resolved as usual.
    root: Option<OwnedFd>,
    /// For messages: `the host`, `container NAME`.
    shown: String,
    /// The container's bind mounts and volumes ([`Place::with_mounts`]).
    mounts: Vec<MountedDir>,
    /// What a relative container path is relative to: the container's working directory
    /// (podman's `cp ctr:rel` lands in the workdir, `ctr:../x` in its parent); `/` if unset.
    workdir: String,
}

/// A host directory mounted into the container (`-v`, `--mount type=bind|volume`).
#[derive(Debug)]
struct MountedDir {
    /// The mount point in the container, cleaned.
    dest: Vec<OsString>,
    /// The host directory (`O_PATH`), the root paths below `dest` are resolved in.
    dir: OwnedFd,
}

impl Place {
    /// The host.
    #[must_use]
    pub fn host() -> Place {
        Place {
            root: None,
            shown: "the host".into(),
            mounts: Vec::new(),
            workdir: "/".into(),
        }
    }

    /// The container root at `root` (a directory, not followed if it is a symlink).
    ///
    /// # Errors
    /// [`CopyError::Io`] when it cannot be opened.
    pub fn container_root(root: &Path, name: &str) -> Result<Place, CopyError> {
        let shown = format!("container {name}");
        let fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| CopyError::Io {
            action: "open the root filesystem",
            path: root.display().to_string(),
            place: shown.clone(),
            source: e.into(),
        })?;
        Ok(Place {
            root: Some(fd),
            shown,
            mounts: Vec::new(),
            workdir: "/".into(),
        })
    }

    /// The same root, where paths below a mount point of `mounts` (container destination,
    /// host directory) are resolved in the host directory, as podman's cp does (a copy into a
    /// volume lands in the volume, running or not, not under the mount point in the root), and
    /// relative paths are relative to `workdir`. A mount whose host directory cannot be opened
    /// as a directory (a file bind mount) is left out: paths there resolve in the root.
    ///
    /// Resolution is lexical for the mount point: the longest mount destination that is a
    /// prefix of the cleaned path wins, and the rest is resolved inside that directory
    /// (`RESOLVE_IN_ROOT`, so a symlink in a volume stays in the volume). A symlink in the
    /// root that leads into a mount point is resolved in the root, not in the mount: the
    /// deliberate difference from a lookup in the container's mount namespace, which rpod
    /// cannot make without entering it.
    #[must_use]
    pub fn with_mounts(mut self, mounts: &[(String, std::path::PathBuf)], workdir: &str) -> Place {
        for (dest, src) in mounts {
            let Some(dest) = unpack::clean_path(dest.as_bytes()) else {
                continue;
            };
            if let Ok(dir) = rustix::fs::open(
                src,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                self.mounts.push(MountedDir { dest, dir });
            }
        }
        if workdir.starts_with('/') {
            workdir.clone_into(&mut self.workdir);
        }
        self
    }

    fn io(&self, action: &'static str, path: &str) -> impl FnOnce(Errno) -> CopyError + '_ {
        let path = path.to_owned();
        move |e| CopyError::Io {
            action,
            path,
            place: self.shown.clone(),
            source: e.into(),
        }
    }

    /// Opens `path` (following symlinks, inside the root for a container).
    fn open(&self, path: &str, flags: OFlags) -> Result<OwnedFd, Errno> {
        let flags = flags | OFlags::CLOEXEC;
        let Some(root) = &self.root else {
            return rustix::fs::openat(CWD, path, flags, Mode::empty());
        };
        // Relative to the working directory, so `..` climbs from there and stops at `/`.
        let full = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("{}/{path}", self.workdir)
        };
        let comps = unpack::clean_path(full.as_bytes()).unwrap_or_default();
        let (root, comps) = match self
            .mounts
            .iter()
            .filter(|m| comps.starts_with(&m.dest))
            .max_by_key(|m| m.dest.len())
        {
            Some(m) => (&m.dir, &comps[m.dest.len()..]),
            None => (root, &comps[..]),
        };
        let mut rel = Vec::new();
        for (i, c) in comps.iter().enumerate() {
            if i > 0 {
                rel.push(b'/');
            }
            rel.extend_from_slice(c.as_bytes());
        }
        if rel.is_empty() {
            rel.push(b'.');
        }
        let mut tries = 0;
        loop {
            match rustix::fs::openat2(
                root,
                OsStr::from_bytes(&rel),
                flags,
                Mode::empty(),
                ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS | ResolveFlags::NO_XDEV,
            ) {
                // openat2 asks for a retry when a rename raced with a ".." lookup.
                Err(Errno::AGAIN) if tries < 16 => tries += 1,
                other => return other,
            }
        }
    }
}

/// `path` split into (parent, last name), lexically: `/a/b/` is (`/a`, `b`); `/` has no name.
fn split(path: &str) -> (String, Option<OsString>) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((parent, name)) if !name.is_empty() && name != "." && name != ".." => {
            let parent = if parent.is_empty() { "/" } else { parent };
            (parent.to_owned(), Some(OsString::from(name)))
        }
        None if !trimmed.is_empty() && trimmed != "." && trimmed != ".." => {
            (".".to_owned(), Some(OsString::from(trimmed)))
        }
        _ => (path.to_owned(), None),
    }
}

/// Whether `path` asks for a directory's contents (`dir/.`), as podman-cp(1) reads it.
fn wants_contents(path: &str) -> bool {
    path == "." || path.ends_with("/.")
}

/// What the source of a copy is: opened (`O_PATH`), with its type.
#[derive(Debug)]
pub struct Source {
    fd: OwnedFd,
    st: Stat,
    /// The name its top entry takes by default: its own.
    name: OsString,
    contents: bool,
    path: String,
}

impl Source {
    /// Opens `path` on `place` (a symlink at the end is followed, inside the root).
    ///
    /// # Errors
    /// [`CopyError::NotFound`]; an I/O error.
    pub fn open(place: &Place, path: &str) -> Result<Source, CopyError> {
        let fd = match place.open(path, OFlags::PATH) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::NOTDIR) => {
                return Err(CopyError::NotFound {
                    path: path.to_owned(),
                    place: place.shown.clone(),
                })
            }
            Err(e) => return Err(place.io("open", path)(e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(place.io("stat", path))?;
        let name = split(path).1.unwrap_or_else(|| OsString::from("."));
        let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
        Ok(Source {
            fd,
            st,
            name,
            contents: is_dir && wants_contents(path),
            path: path.to_owned(),
        })
    }

    /// The name of its top entry in an archive of it alone (`cp SRC -`): its own, or none for
    /// a directory's contents (`dir/.`).
    #[must_use]
    pub fn own_name(&self) -> Option<&OsStr> {
        (!self.contents).then_some(self.name.as_os_str())
    }

    #[must_use]
    pub fn is_dir(&self) -> bool {
        FileType::from_raw_mode(self.st.st_mode) == FileType::Directory
    }
}

/// Where a copy goes: the directory to extract into and the name the source's top entry takes
/// there (`None`: the source directory's contents go into it).
#[derive(Debug)]
pub struct Target {
    dir: OwnedFd,
    top: Option<OsString>,
    path: String,
}

/// Works out where `src` lands for the destination `path` on `place`, as podman-cp(1) says.
///
/// # Errors
/// A missing parent, a trailing `/` on a non-directory, a directory onto a file.
pub fn target(place: &Place, path: &str, src: &Source) -> Result<Target, CopyError> {
    let not_found = || CopyError::NotFound {
        path: path.to_owned(),
        place: place.shown.clone(),
    };
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY;
    match place.open(path, OFlags::PATH) {
        Ok(fd) => {
            let st = rustix::fs::fstat(&fd).map_err(place.io("stat", path))?;
            if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
                let dir = place
                    .open(path, dir_flags)
                    .map_err(place.io("open", path))?;
                let top = if src.contents {
                    None
                } else {
                    Some(src.name.clone())
                };
                return Ok(Target {
                    dir,
                    top,
                    path: path.to_owned(),
                });
            }
            if path.ends_with('/') {
                return Err(CopyError::NotADirectory {
                    path: path.to_owned(),
                    place: place.shown.clone(),
                });
            }
            if src.is_dir() {
                return Err(CopyError::DirOntoFile {
                    src: src.path.clone(),
                    path: path.to_owned(),
                    place: place.shown.clone(),
                });
            }
        }
        Err(Errno::NOENT) => {
            if path.ends_with('/') && !src.is_dir() {
                return Err(not_found());
            }
        }
        Err(Errno::NOTDIR) => return Err(not_found()),
        Err(e) => return Err(place.io("open", path)(e)),
    }
    // A file onto a file or nothing, a directory onto nothing: the entry takes the last name
    // of `path`, in its parent (which must exist, as podman's).
    let (parent, name) = split(path);
    let Some(name) = name else {
        return Err(not_found());
    };
    let dir = match place.open(&parent, dir_flags) {
        Ok(fd) => fd,
        Err(Errno::NOENT | Errno::NOTDIR) => return Err(not_found()),
        Err(e) => return Err(place.io("open", &parent)(e)),
    };
    Ok(Target {
        dir,
        top: Some(name),
        path: path.to_owned(),
    })
}

/// The directory `path` on `place`, for a tar stream from stdin.
///
/// # Errors
/// [`CopyError::StdinNeedsDir`]; [`CopyError::NotFound`].
pub fn target_dir(place: &Place, path: &str) -> Result<Target, CopyError> {
    match place.open(path, OFlags::RDONLY | OFlags::DIRECTORY) {
        Ok(dir) => Ok(Target {
            dir,
            top: None,
            path: path.to_owned(),
        }),
        Err(Errno::NOTDIR) => Err(CopyError::StdinNeedsDir {
            path: path.to_owned(),
            place: place.shown.clone(),
        }),
        Err(Errno::NOENT) => Err(CopyError::NotFound {
            path: path.to_owned(),
            place: place.shown.clone(),
        }),
        Err(e) => Err(place.io("open", path)(e)),
    }
}

/// How files are written.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// The owner every file gets (`--archive`); `None` keeps the source's.
    pub owner: Option<(u32, u32)>,
    /// `--overwrite`: a directory may replace a non-directory and the other way round.
    pub overwrite: bool,
    /// Skip device nodes (onto the host).
    pub skip_devices: bool,
}

/// Extracts the tar stream `tar` into `target` (see the module docs).
///
/// # Errors
/// [`CopyError::Extract`] with the unpacker's refusal.
pub fn extract(
    place: &Place,
    tar: impl Read,
    target: Target,
    opts: WriteOptions,
) -> Result<(), CopyError> {
    let how = Extract {
        whiteouts: false,
        owner: opts.owner,
        replace_kind: opts.overwrite,
        skip_devices: opts.skip_devices,
        root_meta: false,
    };
    unpack::unpack_at(tar, target.dir, &Limits::default(), &how)
        .map(|_| ())
        .map_err(|source| CopyError::Extract {
            path: target.path,
            place: place.shown.clone(),
            source,
        })
}

/// Copies `src` on `from` to `target` on `to`: a tar stream written by one thread and
/// extracted by this one.
///
/// # Errors
/// Reading the source or writing the destination failed.
pub fn copy(
    from: &Place,
    src: &Source,
    to: &Place,
    target: Target,
    opts: WriteOptions,
) -> Result<(), CopyError> {
    let (reader, writer) = io::pipe().map_err(CopyError::WriteArchive)?;
    let top = target.top.clone();
    std::thread::scope(|s| {
        let producer = s.spawn(move || {
            let mut w = io::BufWriter::with_capacity(1 << 16, writer);
            let r = write_tar(from, src, top.as_deref(), &mut w);
            // The pipe closes here, so the reader sees the end even after an error.
            let flushed = w.flush().map_err(CopyError::WriteArchive);
            drop(w);
            r.and(flushed)
        });
        let extracted = extract(to, reader, target, opts);
        let produced = producer.join().expect("the archive writer does not panic");
        // The source's error explains a truncated archive better than the extractor's.
        produced.and(extracted)
    })
}

/// Writes `src` as a tar stream, its top entry named `top` (`None`: its contents, unnamed).
///
/// # Errors
/// Reading the source or writing to `out` failed.
pub fn write_tar(
    place: &Place,
    src: &Source,
    top: Option<&OsStr>,
    out: &mut dyn Write,
) -> Result<(), CopyError> {
    let mut w = TarWriter {
        b: tar::Builder::new(out),
        links: HashMap::new(),
        place,
        path: &src.path,
        layer: false,
    };
    w.b.follow_symlinks(false);
    let fd = src.fd.try_clone().map_err(|e| CopyError::Io {
        action: "open",
        path: src.path.clone(),
        place: place.shown.clone(),
        source: e,
    })?;
    let name = top.map(|t| t.as_bytes().to_vec()).unwrap_or_default();
    w.entry(&fd, &src.st, &name, None, top.is_none(), 0)?;
    w.b.finish().map_err(CopyError::WriteArchive)
}

/// The whole root filesystem of a container as a tar stream (`rpod export`): entries named
/// relative to `/`, without a leading `./`, as podman's.
///
/// # Errors
/// As [`write_tar`].
pub fn export(place: &Place, out: &mut dyn Write) -> Result<(), CopyError> {
    let src = Source::open(place, "/")?;
    write_tar(place, &src, None, out)
}

struct TarWriter<'a, 'o> {
    b: tar::Builder<&'o mut dyn Write>,
    /// Regular files with more than one link, by (dev, ino): the name archived first.
    links: HashMap<(u64, u64), Vec<u8>>,
    place: &'a Place,
    path: &'a str,
    /// An overlay upper dir as an OCI layer: whiteouts become `.wh.` files, opaque directories
    /// get `.wh..wh..opq`.
    layer: bool,
}

/// Paths podman leaves out of a container's diff (`changes::container_changes`) and a commit: what the engine mounts over (libpod's
/// `initInodes`).
pub const MOUNTED_OVER: &[&str] = &[
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/mtab",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/.containerenv",
    "/run/notify",
    "/run/secrets",
    "/sys",
];

/// Whether the entry `name` (relative to the container's root) is only what the runtime made
/// to mount the engine's files over (an empty `/run/.containerenv`, a `/run` holding only
/// such): podman's diff leaves these paths out ([`MOUNTED_OVER`]), and a
/// committed layer must not carry them either.
fn mount_stub(fd: &OwnedFd, st: &Stat, name: &[u8]) -> bool {
    let mut abs = b"/".to_vec();
    abs.extend_from_slice(name);
    if !MOUNTED_OVER.iter().any(|p| p.as_bytes() == abs.as_slice()) {
        return false;
    }
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => st.st_size == 0,
        FileType::Directory => {
            let Ok(dir) = reopen(fd, OFlags::RDONLY | OFlags::DIRECTORY) else {
                return false;
            };
            if is_opaque(&dir) {
                return false;
            }
            let Ok(mut list) = rustix::fs::Dir::read_from(&dir) else {
                return false;
            };
            while let Some(e) = list.read() {
                let Ok(e) = e else { return false };
                let child = e.file_name().to_bytes();
                if child == b"." || child == b".." {
                    continue;
                }
                let Ok(cfd) = rustix::fs::openat(
                    &dir,
                    OsStr::from_bytes(child),
                    OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                ) else {
                    return false;
                };
                let Ok(cst) = rustix::fs::fstat(&cfd) else {
                    return false;
                };
                if !mount_stub(&cfd, &cst, &join_name(name, child)) {
                    return false;
                }
            }
            true
        }
        _ => false,
    }
}

fn join_name(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    if prefix.is_empty() {
        name.to_vec()
    } else {
        let mut v = prefix.to_vec();
        v.push(b'/');
        v.extend_from_slice(name);
        v
    }
}

/// Reopens the `O_PATH` fd `fd` with `flags`: the same inode, whatever its name is now.
fn reopen(fd: &OwnedFd, flags: OFlags) -> Result<OwnedFd, Errno> {
    let proc_path = format!("/proc/self/fd/{}", fd.as_raw_fd());
    rustix::fs::open(
        proc_path.as_str(),
        flags | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK,
        Mode::empty(),
    )
}

impl TarWriter<'_, '_> {
    fn err(&self, action: &'static str, name: &[u8]) -> impl FnOnce(io::Error) -> CopyError {
        let path = format!(
            "{}{}{}",
            self.path.trim_end_matches('/'),
            if name.is_empty() { "" } else { "/" },
            String::from_utf8_lossy(name)
        );
        let place = self.place.shown.clone();
        move |source| CopyError::Io {
            action,
            path,
            place,
            source,
        }
    }

    fn header(st: &Stat, kind: tar::EntryType) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(st.st_mode & 0o7777);
        h.set_uid(u64::from(st.st_uid));
        h.set_gid(u64::from(st.st_gid));
        h.set_mtime(u64::try_from(st.st_mtime).unwrap_or(0));
        h.set_size(0);
        h
    }

    /// Archives the object `fd` (an `O_PATH` fd, already `fstat`ed as `st`) as `name`, and,
    /// for a directory, everything below it. `parent` and `base` name it for `readlinkat`.
    fn entry(
        &mut self,
        fd: &OwnedFd,
        st: &Stat,
        name: &[u8],
        link: Option<(&OwnedFd, &OsStr)>,
        unnamed_root: bool,
        depth: usize,
    ) -> Result<(), CopyError> {
        let kind = FileType::from_raw_mode(st.st_mode);
        let shown = name.to_vec();
        let io_err = |w: &Self, action| w.err(action, &shown);
        match kind {
            FileType::Directory => {
                if depth > MAX_DEPTH {
                    return Err(CopyError::TooDeep {
                        path: self.path.to_owned(),
                        place: self.place.shown.clone(),
                        limit: MAX_DEPTH,
                    });
                }
                let dir = reopen(fd, OFlags::RDONLY | OFlags::DIRECTORY)
                    .map_err(|e| io_err(self, "open the directory")(e.into()))?;
                if !unnamed_root {
                    let mut h = Self::header(st, tar::EntryType::Directory);
                    let mut n = name.to_vec();
                    n.push(b'/');
                    self.b
                        .append_data(&mut h, OsStr::from_bytes(&n), io::empty())
                        .map_err(CopyError::WriteArchive)?;
                }
                if self.layer {
                    self.refuse_overlay_refs(&dir, name)?;
                }
                if self.layer && is_opaque(&dir) {
                    self.whiteout(&join_name(name, b".wh..wh..opq"))?;
                }
                let mut children = Vec::new();
                let mut list = rustix::fs::Dir::read_from(&dir)
                    .map_err(|e| io_err(self, "list the directory")(e.into()))?;
                while let Some(e) = list.read() {
                    let e = e.map_err(|e| io_err(self, "list the directory")(e.into()))?;
                    let child = e.file_name().to_bytes();
                    if child != b"." && child != b".." {
                        children.push(OsStr::from_bytes(child).to_owned());
                    }
                }
                // Sorted: the same tree gives the same archive.
                children.sort();
                for child in children {
                    let cname = join_name(name, child.as_bytes());
                    let cfd = match rustix::fs::openat(
                        &dir,
                        child.as_os_str(),
                        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                        Mode::empty(),
                    ) {
                        Ok(fd) => fd,
                        // Removed while the directory was read: nothing to archive.
                        Err(Errno::NOENT) => continue,
                        Err(e) => return Err(self.err("open", &cname)(e.into())),
                    };
                    let cst =
                        rustix::fs::fstat(&cfd).map_err(|e| self.err("stat", &cname)(e.into()))?;
                    if self.layer && mount_stub(&cfd, &cst, &cname) {
                        continue;
                    }
                    self.entry(
                        &cfd,
                        &cst,
                        &cname,
                        Some((&dir, child.as_os_str())),
                        false,
                        depth + 1,
                    )?;
                }
                Ok(())
            }
            FileType::RegularFile => {
                let key = (st.st_dev, st.st_ino);
                if st.st_nlink > 1 {
                    if let Some(first) = self.links.get(&key) {
                        let mut h = Self::header(st, tar::EntryType::Link);
                        let first = first.clone();
                        return self
                            .b
                            .append_link(&mut h, OsStr::from_bytes(name), OsStr::from_bytes(&first))
                            .map_err(CopyError::WriteArchive);
                    }
                    self.links.insert(key, name.to_vec());
                }
                let file = File::from(
                    reopen(fd, OFlags::RDONLY)
                        .map_err(|e| io_err(self, "open the file")(e.into()))?,
                );
                if self.layer {
                    self.refuse_overlay_refs(&file, name)?;
                }
                let mut h = Self::header(st, tar::EntryType::Regular);
                let size = u64::try_from(st.st_size).unwrap_or(0);
                h.set_size(size);
                // The header promises `size` bytes: a file that shrank while being read is
                // padded with zeros, one that grew is cut, so the archive stays well formed.
                let data = file.take(size).chain(io::repeat(0)).take(size);
                let n = if name.is_empty() {
                    self.src_name()
                } else {
                    name.to_vec()
                };
                self.b
                    .append_data(&mut h, OsStr::from_bytes(&n), data)
                    .map_err(CopyError::WriteArchive)
            }
            FileType::Symlink => {
                let target = match link {
                    Some((dir, base)) => rustix::fs::readlinkat(dir, base, Vec::new()),
                    None => rustix::fs::readlinkat(fd, "", Vec::new()),
                }
                .map_err(|e| io_err(self, "read the symlink")(e.into()))?;
                let mut h = Self::header(st, tar::EntryType::Symlink);
                self.b
                    .append_link(
                        &mut h,
                        OsStr::from_bytes(name),
                        OsStr::from_bytes(target.as_bytes()),
                    )
                    .map_err(CopyError::WriteArchive)
            }
            FileType::CharacterDevice if self.layer && st.st_rdev == 0 => {
                // An overlayfs whiteout: OCI's `.wh.NAME`.
                let (parent, base) = match name.iter().rposition(|&b| b == b'/') {
                    Some(i) => (&name[..i], &name[i + 1..]),
                    None => (&name[..0], name),
                };
                let mut wh = b".wh.".to_vec();
                wh.extend_from_slice(base);
                self.whiteout(&join_name(parent, &wh))
            }
            FileType::Fifo | FileType::CharacterDevice | FileType::BlockDevice => {
                let t = match kind {
                    FileType::Fifo => tar::EntryType::Fifo,
                    FileType::CharacterDevice => tar::EntryType::Char,
                    _ => tar::EntryType::Block,
                };
                let mut h = Self::header(st, t);
                let rdev = st.st_rdev;
                h.set_device_major(rustix::fs::major(rdev))
                    .and_then(|()| h.set_device_minor(rustix::fs::minor(rdev)))
                    .map_err(CopyError::WriteArchive)?;
                let n = if name.is_empty() {
                    self.src_name()
                } else {
                    name.to_vec()
                };
                self.b
                    .append_data(&mut h, OsStr::from_bytes(&n), io::empty())
                    .map_err(CopyError::WriteArchive)
            }
            // tar cannot hold a socket; podman's copier skips them too.
            FileType::Socket | FileType::Unknown => {
                if name.is_empty() || unnamed_root {
                    return Err(CopyError::Unsupported {
                        path: self.path.to_owned(),
                        place: self.place.shown.clone(),
                        kind: "socket",
                    });
                }
                Ok(())
            }
        }
    }

    /// Refuses an upper-dir entry that only points into a lower layer (overlayfs
    /// `redirect_dir`, `metacopy`): archiving it would lose the data it stands for.
    fn refuse_overlay_refs(&self, fd: &impl AsFd, name: &[u8]) -> Result<(), CopyError> {
        for (xattr, feature) in [
            ("trusted.overlay.redirect", "redirect_dir"),
            ("trusted.overlay.metacopy", "metacopy"),
        ] {
            let mut buf = [0u8; 1];
            match rustix::fs::fgetxattr(fd, xattr, &mut buf) {
                Ok(_) | Err(Errno::RANGE) => {
                    return Err(CopyError::OverlayFeature {
                        path: format!("/{}", String::from_utf8_lossy(name)),
                        feature,
                    })
                }
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// An empty `0:0` file named `name`: an OCI whiteout marker.
    fn whiteout(&mut self, name: &[u8]) -> Result<(), CopyError> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_size(0);
        self.b
            .append_data(&mut h, OsStr::from_bytes(name), io::empty())
            .map_err(CopyError::WriteArchive)
    }

    /// The name of a non-directory source whose contents were asked for (cannot happen for
    /// what [`target`] returns; kept total).
    fn src_name(&self) -> Vec<u8> {
        split(self.path)
            .1
            .map_or_else(|| b"file".to_vec(), |n| n.as_bytes().to_vec())
    }
}

/// Whether the directory `dir` is an overlayfs opaque directory.
pub(crate) fn is_opaque(dir: &OwnedFd) -> bool {
    let mut v = [0u8; 2];
    matches!(
        rustix::fs::fgetxattr(dir, "trusted.overlay.opaque", &mut v),
        Ok(1) if v[0] == b'y'
    )
}

/// The overlay upper directory `upper` as an OCI layer tar (`rpod commit`): entries relative
/// to the root, whiteouts as `.wh.NAME`, opaque directories marked with `.wh..wh..opq`.
///
/// # Errors
/// Reading the directory or writing `out` failed.
pub fn layer_tar(upper: &Path, out: &mut dyn Write) -> Result<(), CopyError> {
    let place = Place::container_root(upper, "layer")?;
    let src = Source::open(&place, "/")?;
    let mut w = TarWriter {
        b: tar::Builder::new(out),
        links: HashMap::new(),
        place: &place,
        path: "/",
        layer: true,
    };
    w.entry(&src.fd, &src.st, b"", None, true, 0)?;
    w.b.finish().map_err(CopyError::WriteArchive)
}

/// The mounted root filesystem of a container, for the length of a copy: unmounted again
/// afterwards if this mounted it and the container is not running (podman's cp does the same).
pub struct MountedRoot<'c, 'a> {
    container: &'c mut Container<'a>,
    mounted_here: bool,
}

impl<'a> Container<'a> {
    /// Mounts the root filesystem if it is not mounted, until the guard is dropped.
    ///
    /// # Errors
    /// As [`Container::mount`].
    pub fn mount_for_copy<'c>(&'c mut self) -> Result<MountedRoot<'c, 'a>, Error> {
        let mounted_here = !super::may_be_mount_point(&self.paths.merged);
        self.mount()?;
        Ok(MountedRoot {
            container: self,
            mounted_here,
        })
    }
}

impl MountedRoot<'_, '_> {
    /// The container's root as a [`Place`].
    ///
    /// # Errors
    /// The root cannot be opened.
    pub fn place(&self) -> Result<Place, CopyError> {
        Place::container_root(&self.container.paths.merged, self.container.name())
    }

    /// [`MountedRoot::place`] for `cp`: with the container's bind mounts and volumes, and its
    /// working directory for relative paths ([`Place::with_mounts`]), from its OCI spec.
    ///
    /// # Errors
    /// The root cannot be opened; the spec cannot be read.
    pub fn cp_place(&self) -> Result<Place, CopyError> {
        let spec = read_spec(self.container)?;
        let mut mounts = Vec::new();
        for m in spec["mounts"].as_array().into_iter().flatten() {
            let bind = m["type"] == "bind"
                || m["options"]
                    .as_array()
                    .is_some_and(|o| o.iter().any(|x| x == "bind" || x == "rbind"));
            if let (true, Some(dest), Some(src)) =
                (bind, m["destination"].as_str(), m["source"].as_str())
            {
                mounts.push((dest.to_owned(), std::path::PathBuf::from(src)));
            }
        }
        let workdir = spec["process"]["cwd"].as_str().unwrap_or("/");
        Ok(self.place()?.with_mounts(&mounts, workdir))
    }

    /// The container.
    #[must_use]
    pub fn container(&self) -> &Container<'_> {
        self.container
    }
}

impl Drop for MountedRoot<'_, '_> {
    fn drop(&mut self) {
        if self.mounted_here {
            // Refused when the container started meanwhile: it needs the mount then.
            let _ = self.container.unmount();
        }
    }
}

/// The uid and gid the container's process runs as, from its OCI spec (`--archive`).
///
/// # Errors
/// The spec cannot be read.
pub fn container_user(c: &Container<'_>) -> Result<(u32, u32), CopyError> {
    let spec = read_spec(c)?;
    let user = &spec["process"]["user"];
    let id = |k: &str| {
        user[k]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
    };
    Ok((id("uid"), id("gid")))
}

/// The container's OCI spec (`config.json` in its bundle), as JSON.
fn read_spec(c: &Container<'_>) -> Result<serde_json::Value, CopyError> {
    let path = c.record().bundle.join("config.json");
    let io_err = |source| CopyError::Io {
        action: "read the OCI spec",
        path: path.display().to_string(),
        place: "the host".into(),
        source,
    };
    let text = std::fs::read_to_string(&path).map_err(io_err)?;
    serde_json::from_str(&text).map_err(|e| io_err(io::Error::other(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt as _};
    use std::path::PathBuf;

    fn place(dir: &Path) -> Place {
        Place::container_root(dir, "c").expect("open root")
    }

    fn cp_in(host_src: &Path, ctr: &Path, dest: &str) -> Result<(), CopyError> {
        let host = Place::host();
        let src = Source::open(&host, host_src.to_str().expect("utf-8"))?;
        let to = place(ctr);
        let t = target(&to, dest, &src)?;
        copy(&host, &src, &to, t, WriteOptions::default())
    }

    fn cp_out(ctr: &Path, src: &str, host_dest: &Path) -> Result<(), CopyError> {
        let from = place(ctr);
        let src = Source::open(&from, src)?;
        let host = Place::host();
        let t = target(&host, host_dest.to_str().expect("utf-8"), &src)?;
        copy(
            &from,
            &src,
            &host,
            t,
            WriteOptions {
                skip_devices: true,
                ..WriteOptions::default()
            },
        )
    }

    struct T {
        _d: tempfile::TempDir,
        root: PathBuf,
        host: PathBuf,
        outside: PathBuf,
    }

    fn setup() -> T {
        let d = tempfile::tempdir().expect("tempdir");
        let root = d.path().join("root");
        let host = d.path().join("host");
        let outside = d.path().join("outside");
        for p in [&root, &host, &outside] {
            std::fs::create_dir(p).expect("mkdir");
        }
        std::fs::create_dir(root.join("etc")).expect("mkdir");
        std::fs::write(root.join("etc/passwd"), b"inside").expect("write");
        std::fs::write(outside.join("secret"), b"outside").expect("write");
        std::fs::write(host.join("f"), b"new").expect("write");
        T {
            root,
            host,
            outside,
            _d: d,
        }
    }

    #[test]
    fn paths_split_as_podman_reads_them() {
        assert_eq!(split("/a/b"), ("/a".into(), Some("b".into())));
        assert_eq!(split("/a/b/"), ("/a".into(), Some("b".into())));
        assert_eq!(split("/b"), ("/".into(), Some("b".into())));
        assert_eq!(split("b"), (".".into(), Some("b".into())));
        assert_eq!(split("/"), ("/".into(), None));
        assert_eq!(split("/a/."), ("/a/.".into(), None));
        assert!(wants_contents("/a/."));
        assert!(!wants_contents("/a/"));
    }

    /// Issue 13, as podman 4.3.1: a copy into a volume or bind mount lands in its host
    /// directory (podman's cp writes into the mounted volume), not under the mount point in
    /// the root; a symlink inside the volume stays inside the volume.
    #[test]
    fn a_copy_into_a_mount_point_lands_in_the_mounted_directory() {
        let t = setup();
        let vol = t.outside.join("vol");
        std::fs::create_dir_all(&vol).expect("volume");
        std::fs::create_dir_all(t.root.join("data")).expect("mount point");
        symlink("/", vol.join("up")).expect("symlink");
        let to = place(&t.root).with_mounts(&[("/data/".into(), vol.clone())], "/");
        let host = Place::host();
        let src = Source::open(&host, t.host.join("f").to_str().expect("utf-8")).expect("src");
        for dest in ["/data/f1", "/data/../data/up/f2"] {
            let tg = target(&to, dest, &src).expect("target");
            copy(&host, &src, &to, tg, WriteOptions::default()).expect("copy");
        }
        assert_eq!(
            std::fs::read(vol.join("f1")).expect("in the volume"),
            b"new"
        );
        assert!(!t.root.join("data/f1").exists(), "under the mount point");
        assert_eq!(std::fs::read(vol.join("f2")).expect("link kept in"), b"new");
        // And out of it.
        let from = Source::open(&to, "/data/f1").expect("read from the volume");
        assert!(!from.is_dir());
    }

    /// Issue 13, as podman 4.3.1: `cp f ctr:rel` lands in the container's working directory
    /// and `ctr:../x` in its parent; neither climbs out of the root.
    #[test]
    fn relative_container_paths_are_relative_to_the_workdir() {
        let t = setup();
        std::fs::create_dir_all(t.root.join("w/d")).expect("workdir");
        let to = place(&t.root).with_mounts(&[], "/w/d");
        let host = Place::host();
        let src = Source::open(&host, t.host.join("f").to_str().expect("utf-8")).expect("src");
        for dest in ["rel", "../up", "../../../../top"] {
            let tg = target(&to, dest, &src).expect("target");
            copy(&host, &src, &to, tg, WriteOptions::default()).expect("copy");
        }
        assert!(t.root.join("w/d/rel").is_file());
        assert!(t.root.join("w/up").is_file());
        assert!(t.root.join("top").is_file());
        assert!(!t.root.parent().expect("parent").join("top").exists());
    }

    /// A symlink in the destination directory pointing to an absolute host-looking path is
    /// followed inside the root: the write lands in the container's own directory.
    #[test]
    fn an_absolute_symlink_in_the_destination_stays_inside_the_root() {
        let t = setup();
        symlink(&t.outside, t.root.join("evil")).expect("symlink");
        std::fs::create_dir_all(t.root.join(t.outside.strip_prefix("/").expect("abs")))
            .expect("mkdir");
        cp_in(&t.host.join("f"), &t.root, "/evil/").expect("copies");
        assert!(!t.outside.join("f").exists(), "wrote outside the root");
        let inside = t
            .root
            .join(t.outside.strip_prefix("/").expect("abs"))
            .join("f");
        assert_eq!(std::fs::read(inside).expect("inside"), b"new");
    }

    #[test]
    fn dot_dot_climbs_stop_at_the_root() {
        let t = setup();
        symlink("../../../../../../outside", t.root.join("up")).expect("symlink");
        let r = cp_in(&t.host.join("f"), &t.root, "/up/f");
        assert!(matches!(r, Err(CopyError::NotFound { .. })), "{r:?}");
        cp_in(&t.host.join("f"), &t.root, "/../../../f").expect("copies");
        assert_eq!(std::fs::read(t.root.join("f")).expect("f"), b"new");
        assert!(!t.outside.join("f").exists());
        assert_eq!(
            std::fs::read(t.outside.join("secret")).expect("secret"),
            b"outside"
        );
    }

    /// The destination file itself a symlink out of the root: the link is replaced, its
    /// target (outside) untouched.
    #[test]
    fn a_symlink_as_the_destination_file_is_replaced_not_followed_out() {
        let t = setup();
        symlink(t.outside.join("secret"), t.root.join("etc/shadow")).expect("symlink");
        cp_in(&t.host.join("f"), &t.root, "/etc/shadow").expect("copies");
        assert_eq!(
            std::fs::read(t.outside.join("secret")).expect("secret"),
            b"outside"
        );
        let m = std::fs::symlink_metadata(t.root.join("etc/shadow")).expect("shadow");
        assert!(m.is_file());
    }

    #[test]
    fn reading_a_symlink_out_of_the_root_reads_the_containers_file() {
        let t = setup();
        symlink("/etc/passwd", t.root.join("link")).expect("symlink");
        symlink(t.outside.join("secret"), t.root.join("abs")).expect("symlink");
        symlink("/proc/self/root/etc/hostname", t.root.join("magic")).expect("symlink");
        cp_out(&t.root, "/link", &t.host.join("got")).expect("copies");
        assert_eq!(std::fs::read(t.host.join("got")).expect("got"), b"inside");
        let r = cp_out(&t.root, "/abs", &t.host.join("abs"));
        assert!(matches!(r, Err(CopyError::NotFound { .. })), "{r:?}");
        let r = cp_out(&t.root, "/magic", &t.host.join("magic"));
        assert!(r.is_err(), "a magic link was followed");
        assert!(!t.host.join("magic").exists());
    }

    /// Symlinks below a copied directory are archived as links, never followed: a link to the
    /// host's secret copies as a link, not as the secret's contents.
    #[test]
    fn symlinks_inside_a_copied_tree_are_copied_as_links() {
        let t = setup();
        std::fs::create_dir(t.root.join("d")).expect("mkdir");
        symlink(t.outside.join("secret"), t.root.join("d/s")).expect("symlink");
        symlink(&t.outside, t.root.join("d/dir")).expect("symlink");
        cp_out(&t.root, "/d", &t.host.join("d")).expect("copies");
        let m = std::fs::symlink_metadata(t.host.join("d/s")).expect("s");
        assert!(m.file_type().is_symlink());
        assert!(std::fs::symlink_metadata(t.host.join("d/dir"))
            .expect("dir")
            .file_type()
            .is_symlink());
    }

    #[test]
    fn directory_semantics_follow_podman_cp() {
        let t = setup();
        let src = t.host.join("src");
        std::fs::create_dir(&src).expect("mkdir");
        std::fs::write(src.join("a"), b"a").expect("write");
        // Onto nothing: becomes the path.
        cp_in(&src, &t.root, "/new").expect("copies");
        assert_eq!(std::fs::read(t.root.join("new/a")).expect("a"), b"a");
        // Into an existing directory: under its own name.
        cp_in(&src, &t.root, "/etc").expect("copies");
        assert_eq!(std::fs::read(t.root.join("etc/src/a")).expect("a"), b"a");
        // `/.`: the contents.
        let host = Place::host();
        let s = Source::open(&host, &format!("{}/.", src.display())).expect("src");
        let to = place(&t.root);
        let tg = target(&to, "/etc", &s).expect("target");
        copy(&host, &s, &to, tg, WriteOptions::default()).expect("copies");
        assert_eq!(std::fs::read(t.root.join("etc/a")).expect("a"), b"a");
        // Onto a file: refused.
        let r = cp_in(&src, &t.root, "/etc/passwd");
        assert!(matches!(r, Err(CopyError::DirOntoFile { .. })), "{r:?}");
        // A file onto `missing/`: refused; a missing parent: refused.
        let r = cp_in(&t.host.join("f"), &t.root, "/nodir/");
        assert!(matches!(r, Err(CopyError::NotFound { .. })), "{r:?}");
        let r = cp_in(&t.host.join("f"), &t.root, "/nodir/x");
        assert!(matches!(r, Err(CopyError::NotFound { .. })), "{r:?}");
        let r = cp_in(&t.host.join("f"), &t.root, "/etc/passwd/");
        assert!(matches!(r, Err(CopyError::NotADirectory { .. })), "{r:?}");
    }

    #[test]
    fn overwrite_decides_whether_a_file_replaces_a_directory() {
        let t = setup();
        std::fs::create_dir(t.root.join("etc/f")).expect("mkdir");
        std::fs::write(t.root.join("etc/f/keep"), b"k").expect("write");
        let host = Place::host();
        let s = Source::open(&host, t.host.join("f").to_str().expect("utf-8")).expect("src");
        let to = place(&t.root);
        // Into /etc as `f`: a directory is there.
        let tg = target(&to, "/etc", &s).expect("target");
        let r = copy(&host, &s, &to, tg, WriteOptions::default());
        assert!(matches!(r, Err(CopyError::Extract { .. })), "{r:?}");
        assert!(t.root.join("etc/f/keep").exists());
        let tg = target(&to, "/etc", &s).expect("target");
        let opts = WriteOptions {
            overwrite: true,
            ..WriteOptions::default()
        };
        copy(&host, &s, &to, tg, opts).expect("copies");
        assert_eq!(std::fs::read(t.root.join("etc/f")).expect("f"), b"new");
    }

    #[test]
    fn archive_sets_the_owner_and_its_absence_keeps_the_sources() {
        // chown needs root: a visible skip (a failure where RPOD_TEST_REQUIRE asks for root).
        if !rpod_tests::require("root", nix::unistd::geteuid().is_root()) {
            return;
        }
        let t = setup();
        let f = t.host.join("owned");
        std::fs::write(&f, b"x").expect("write");
        std::os::unix::fs::chown(&f, Some(1234), Some(4321)).expect("chown");
        cp_in(&f, &t.root, "/kept").expect("copies");
        let m = std::fs::metadata(t.root.join("kept")).expect("kept");
        assert_eq!((m.uid(), m.gid()), (1234, 4321));
        let host = Place::host();
        let s = Source::open(&host, f.to_str().expect("utf-8")).expect("src");
        let to = place(&t.root);
        let tg = target(&to, "/chowned", &s).expect("target");
        let opts = WriteOptions {
            owner: Some((7, 8)),
            ..WriteOptions::default()
        };
        copy(&host, &s, &to, tg, opts).expect("copies");
        let m = std::fs::metadata(t.root.join("chowned")).expect("chowned");
        assert_eq!((m.uid(), m.gid()), (7, 8));
    }

    /// podman's `IgnoreDevices` onto the host: a container's device node does not appear on
    /// the host; a FIFO does, and copying one never waits for a writer.
    #[test]
    fn device_nodes_are_not_copied_onto_the_host() {
        // mknod of a block device needs root.
        if !rpod_tests::require("root", nix::unistd::geteuid().is_root()) {
            return;
        }
        let t = setup();
        std::fs::create_dir(t.root.join("d")).expect("mkdir");
        let node = |p: &Path, kind, dev| {
            rustix::fs::mknodat(CWD, p, kind, Mode::from_bits_truncate(0o666), dev)
        };
        node(
            &t.root.join("d/disk"),
            FileType::BlockDevice,
            rustix::fs::makedev(8, 0),
        )
        .expect("mknod as root");
        node(&t.root.join("d/fifo"), FileType::Fifo, 0).expect("mkfifo");
        cp_out(&t.root, "/d", &t.host.join("d")).expect("copies");
        assert!(
            !t.host.join("d/disk").exists(),
            "a block device reached the host"
        );
        let m = std::fs::symlink_metadata(t.host.join("d/fifo")).expect("fifo");
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()));
        // Into a container they are kept.
        let other = t.root.join("tmp");
        std::fs::create_dir(&other).expect("mkdir");
        let from = place(&t.root);
        let src = Source::open(&from, "/d").expect("src");
        let to = place(&t.root);
        let tg = target(&to, "/tmp", &src).expect("target");
        copy(&from, &src, &to, tg, WriteOptions::default()).expect("copies");
        assert!(std::os::unix::fs::FileTypeExt::is_block_device(
            &std::fs::symlink_metadata(other.join("d/disk"))
                .expect("disk")
                .file_type()
        ));
    }

    /// `commit`'s layer: an overlay whiteout becomes `.wh.NAME`, an opaque directory gets
    /// `.wh..wh..opq`, everything else is archived as it is.
    #[test]
    fn an_upper_dir_becomes_an_oci_layer_with_whiteouts() {
        // Whiteout nodes and trusted.* xattrs need root.
        if !rpod_tests::require("root", nix::unistd::geteuid().is_root()) {
            return;
        }
        let t = setup();
        let upper = t.root.clone();
        std::fs::create_dir(upper.join("o")).expect("mkdir");
        let wh = rustix::fs::mknodat(
            CWD,
            upper.join("etc/gone"),
            FileType::CharacterDevice,
            Mode::empty(),
            0,
        );
        let opq = rustix::fs::setxattr(
            upper.join("o"),
            "trusted.overlay.opaque",
            b"y",
            rustix::fs::XattrFlags::empty(),
        );
        wh.expect("a whiteout node as root");
        opq.expect("a trusted xattr as root");
        let mut out = Vec::new();
        layer_tar(&upper, &mut out).expect("layer");
        let mut ar = tar::Archive::new(&out[..]);
        let names: Vec<String> = ar
            .entries()
            .expect("tar")
            .map(|e| {
                e.expect("entry")
                    .path()
                    .expect("path")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            ["etc/", "etc/.wh.gone", "etc/passwd", "o/", "o/.wh..wh..opq"]
        );
    }

    /// A redirected directory (overlayfs `redirect_dir`) holds no copy of what it shows: a
    /// layer made from it would lose the lower layer's files, so it is refused.
    #[test]
    fn an_upper_dir_with_overlay_redirects_is_refused_as_a_layer() {
        // trusted.* xattrs need root.
        if !rpod_tests::require("root", nix::unistd::geteuid().is_root()) {
            return;
        }
        let t = setup();
        rustix::fs::setxattr(
            t.root.join("etc"),
            "trusted.overlay.redirect",
            b"/old",
            rustix::fs::XattrFlags::empty(),
        )
        .expect("a trusted xattr as root");
        let r = layer_tar(&t.root, &mut Vec::new());
        assert!(
            matches!(
                r,
                Err(CopyError::OverlayFeature {
                    feature: "redirect_dir",
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn whiteout_names_are_ordinary_files_in_a_copy() {
        let t = setup();
        std::fs::write(t.host.join(".wh.passwd"), b"w").expect("write");
        cp_in(&t.host.join(".wh.passwd"), &t.root, "/etc").expect("copies");
        assert_eq!(
            std::fs::read(t.root.join("etc/passwd")).expect("kept"),
            b"inside"
        );
        assert_eq!(
            std::fs::read(t.root.join("etc/.wh.passwd")).expect("file"),
            b"w"
        );
    }
}
