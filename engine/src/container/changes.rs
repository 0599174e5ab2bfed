//! What a container changed in its root filesystem (`rpod diff`), from its overlay upper dir.
//!
//! The rules are containers-storage's for overlay (`archive.OverlayChanges`), which podman 4.3
//! prints: the upper dir is walked depth first, names in byte order, and each entry is
//! - `D` when it is a whiteout (a `0:0` character device), or an opaque directory that also
//!   exists in a lower layer (it was removed and made again);
//! - `C` when the same path exists in a lower layer, except a directory whose size, mode and
//!   mtime are those of the lower one (it only holds changes) is not listed;
//! - `A` otherwise.
//!
//! The parent directories of an `A` or `D` that are not listed yet are listed as `C` before it.
//! For a container, podman leaves out the files it mounts over (`/etc/hosts`, `/proc`, ...:
//! libpod's `initInodes`); so does rpod. Nothing is followed: lower paths are looked up with
//! `lstat`, and the walk opens each directory with `O_NOFOLLOW` below the one it came from.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use serde::Serialize;

pub use super::copy::MOUNTED_OVER;

/// One change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    #[serde(rename = "C")]
    Changed,
    #[serde(rename = "A")]
    Added,
    #[serde(rename = "D")]
    Deleted,
}

impl Kind {
    /// podman's letter.
    #[must_use]
    pub fn letter(self) -> char {
        match self {
            Kind::Changed => 'C',
            Kind::Added => 'A',
            Kind::Deleted => 'D',
        }
    }
}

/// A path and how it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: Kind,
    /// Absolute, inside the container.
    pub path: String,
}

/// Why changes could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}", path.display())]
pub struct ChangesError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

fn err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(Errno) -> ChangesError + 'a {
    move |e| ChangesError {
        action,
        path: path.to_owned(),
        source: e.into(),
    }
}

/// The changes of `upper` over `lowers` (top layer first).
///
/// # Errors
/// A directory that cannot be read.
pub fn changes(upper: &Path, lowers: &[PathBuf]) -> Result<Vec<Change>, ChangesError> {
    let root = rustix::fs::open(
        upper,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(err("open", upper))?;
    let lowers: Vec<OwnedFd> = lowers
        .iter()
        .map(|l| {
            rustix::fs::open(
                l,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(err("open", l))
        })
        .collect::<Result<_, _>>()?;
    let mut w = Walk {
        upper,
        lowers,
        out: Vec::new(),
        changed_dirs: HashSet::new(),
    };
    w.dir(&root, b"", 0)?;
    Ok(w.out)
}

/// [`changes`] without what podman leaves out of a container's diff ([`MOUNTED_OVER`]).
///
/// # Errors
/// As [`changes`].
pub fn container_changes(upper: &Path, lowers: &[PathBuf]) -> Result<Vec<Change>, ChangesError> {
    let mut all = changes(upper, lowers)?;
    all.retain(|c| !MOUNTED_OVER.contains(&c.path.as_str()));
    Ok(all)
}

struct Walk<'a> {
    upper: &'a Path,
    lowers: Vec<OwnedFd>,
    out: Vec<Change>,
    changed_dirs: HashSet<Vec<u8>>,
}

impl Walk<'_> {
    /// `lstat` of `rel` (relative, no leading `/`) in the first lower layer that has it.
    fn lower(&self, rel: &[u8]) -> Option<Stat> {
        self.lowers.iter().find_map(|l| {
            // RESOLVE_IN_ROOT keeps a symlinked parent inside the layer; the name itself is
            // not followed.
            let parent_and_name = rel.iter().rposition(|&b| b == b'/');
            let (parent, name) = match parent_and_name {
                Some(i) => (&rel[..i], &rel[i + 1..]),
                None => (&b"."[..], rel),
            };
            let dir = rustix::fs::openat2(
                l,
                OsStr::from_bytes(parent),
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
                rustix::fs::ResolveFlags::IN_ROOT | rustix::fs::ResolveFlags::NO_MAGICLINKS,
            )
            .ok()?;
            rustix::fs::statat(&dir, OsStr::from_bytes(name), AtFlags::SYMLINK_NOFOLLOW).ok()
        })
    }

    fn dir(&mut self, fd: &OwnedFd, rel: &[u8], depth: usize) -> Result<(), ChangesError> {
        let shown = self.upper.join(OsStr::from_bytes(rel));
        if depth > super::copy::MAX_DEPTH {
            return Err(ChangesError {
                action: "walk (too deep)",
                path: shown,
                source: io::Error::other("nested too deep"),
            });
        }
        let mut names: Vec<OsString> = Vec::new();
        let mut list = rustix::fs::Dir::read_from(fd).map_err(err("list", &shown))?;
        while let Some(e) = list.read() {
            let e = e.map_err(err("list", &shown))?;
            let n = e.file_name().to_bytes();
            if n != b"." && n != b".." {
                names.push(OsStr::from_bytes(n).to_owned());
            }
        }
        names.sort();
        for name in names {
            let crel = if rel.is_empty() {
                name.as_bytes().to_vec()
            } else {
                [rel, b"/", name.as_bytes()].concat()
            };
            let st = match rustix::fs::statat(fd, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => st,
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(err("stat", &shown.join(&name))(e)),
            };
            let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
            let child = if is_dir {
                Some(
                    rustix::fs::openat(
                        fd,
                        name.as_os_str(),
                        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                        Mode::empty(),
                    )
                    .map_err(err("open", &shown.join(&name)))?,
                )
            } else {
                None
            };
            self.entry(&crel, &st, child.as_ref());
            if let Some(child) = child {
                self.dir(&child, &crel, depth + 1)?;
            }
        }
        Ok(())
    }

    fn entry(&mut self, rel: &[u8], st: &Stat, dir: Option<&OwnedFd>) {
        let kind_of = |st: &Stat| FileType::from_raw_mode(st.st_mode);
        let whiteout = kind_of(st) == FileType::CharacterDevice && st.st_rdev == 0;
        let opaque_redone = dir.is_some_and(super::copy::is_opaque) && self.lower(rel).is_some();
        let kind = if whiteout || opaque_redone {
            Kind::Deleted
        } else {
            match self.lower(rel) {
                None => Kind::Added,
                Some(low) => {
                    let both_dirs =
                        kind_of(&low) == FileType::Directory && kind_of(st) == FileType::Directory;
                    if both_dirs
                        && low.st_size == st.st_size
                        && low.st_mode == st.st_mode
                        && low.st_mtime == st.st_mtime
                        && low.st_mtime_nsec == st.st_mtime_nsec
                    {
                        // Only a parent of changes; they list it when they need it.
                        return;
                    }
                    Kind::Changed
                }
            }
        };
        if dir.is_some() {
            self.changed_dirs.insert(rel.to_vec());
        }
        if matches!(kind, Kind::Added | Kind::Deleted) {
            let mut tail = Vec::new();
            let mut parent = rel;
            while let Some(i) = parent.iter().rposition(|&b| b == b'/') {
                parent = &parent[..i];
                if self.changed_dirs.insert(parent.to_vec()) {
                    tail.push(Change {
                        kind: Kind::Changed,
                        path: abs(parent),
                    });
                }
            }
            tail.reverse();
            self.out.extend(tail);
        }
        self.out.push(Change {
            kind,
            path: abs(rel),
        });
    }
}

fn abs(rel: &[u8]) -> String {
    format!("/{}", String::from_utf8_lossy(rel))
}

/// podman's `diff --format json`: the paths by kind, each list omitted when empty.
#[derive(Debug, Default, Serialize)]
pub struct ChangesJson {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
}

impl ChangesJson {
    #[must_use]
    pub fn from_changes(changes: &[Change]) -> ChangesJson {
        let mut j = ChangesJson::default();
        for c in changes {
            let list = match c.kind {
                Kind::Changed => &mut j.changed,
                Kind::Added => &mut j.added,
                Kind::Deleted => &mut j.deleted,
            };
            list.push(c.path.clone());
        }
        j
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letters(c: &[Change]) -> Vec<String> {
        c.iter()
            .map(|c| format!("{} {}", c.kind.letter(), c.path))
            .collect()
    }

    #[test]
    fn added_changed_and_deleted_are_told_apart_with_parents_listed_first() {
        // A whiteout is a 0:0 character device: mknod needs root.
        if !rpod_tests::require("root", nix::unistd::geteuid().is_root()) {
            return;
        }
        let d = tempfile::tempdir().expect("tempdir");
        let (upper, lower) = (d.path().join("u"), d.path().join("l"));
        std::fs::create_dir_all(lower.join("etc")).expect("mkdir");
        std::fs::write(lower.join("etc/passwd"), b"x").expect("write");
        std::fs::write(lower.join("etc/gone"), b"x").expect("write");
        std::fs::create_dir_all(upper.join("etc")).expect("mkdir");
        std::fs::create_dir_all(upper.join("new/sub")).expect("mkdir");
        std::fs::write(upper.join("etc/passwd"), b"y").expect("write");
        std::fs::write(upper.join("new/sub/f"), b"y").expect("write");
        let whiteout = upper.join("etc/gone");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &whiteout,
            FileType::CharacterDevice,
            Mode::empty(),
            0,
        )
        .expect("a whiteout node as root");
        let got = letters(&changes(&upper, &[lower]).expect("changes"));
        assert_eq!(
            got,
            [
                "C /etc",
                "D /etc/gone",
                "C /etc/passwd",
                "A /new",
                "A /new/sub",
                "A /new/sub/f"
            ]
        );
    }

    #[test]
    fn mounted_over_paths_are_left_out_of_a_containers_diff() {
        let d = tempfile::tempdir().expect("tempdir");
        let (upper, lower) = (d.path().join("u"), d.path().join("l"));
        std::fs::create_dir_all(upper.join("etc")).expect("mkdir");
        std::fs::create_dir_all(&lower).expect("mkdir");
        std::fs::write(upper.join("etc/hosts"), b"").expect("write");
        std::fs::create_dir(upper.join("proc")).expect("mkdir");
        let got = letters(&container_changes(&upper, &[lower]).expect("changes"));
        assert_eq!(got, ["A /etc"]);
    }
}
