//! `--user` resolved against the image's `/etc/passwd` and `/etc/group`, as podman (buildah's
//! `chrootuser.GetUser`) does:
//!
//! - empty: root (0:0);
//! - `UID` alone: that uid with the primary group of its passwd entry, or gid 0 if there is none;
//! - `NAME`: the passwd entry's uid and primary gid (an error if there is none);
//! - `USER:GROUP`: the group part, a number or a name from `/etc/group`, replaces the gid.
//!
//! The user also gets the supplementary groups that list its name in `/etc/group`, and `HOME`
//! from its passwd entry (`/` when there is none).
//!
//! The files are read inside the root filesystem: symlinks (absolute or relative) are resolved
//! with the rootfs as `/`, so a hostile image cannot make rpod read a host file. An image may
//! have no `/etc/passwd` or an empty one (scratch images): numeric users need none, and a name
//! is an error that says which of the two it is. A file that is not a regular file (a FIFO would
//! block the read forever, a device would read the host's device) is refused.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use super::error::BundleError;

/// At most this many symlinks on the way, as the kernel's `MAXSYMLINKS`.
const MAX_SYMLINKS: usize = 40;
/// passwd and group files larger than this are not read (a hostile image could ship a huge one).
const MAX_FILE: u64 = 16 << 20;

/// A resolved `--user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub home: String,
}

/// `path` (absolute, as seen in the container) resolved inside `root`, following symlinks as if
/// `root` were `/`. `..` never leaves `root`.
pub(crate) fn resolve_in_root(root: &Path, path: &Path) -> Result<PathBuf, std::io::Error> {
    let mut todo: Vec<OsString> = components(path);
    todo.reverse();
    let mut done: Vec<OsString> = Vec::new();
    let mut links = 0;
    while let Some(part) = todo.pop() {
        if part == ".." {
            done.pop();
            continue;
        }
        let mut candidate = root.to_path_buf();
        candidate.extend(&done);
        candidate.push(&part);
        match std::fs::symlink_metadata(&candidate) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "too many levels of symbolic links",
                    ));
                }
                let target = std::fs::read_link(&candidate)?;
                if target.is_absolute() {
                    done.clear();
                }
                let mut more = components(&target);
                more.reverse();
                todo.extend(more);
            }
            _ => done.push(part),
        }
    }
    let mut out = root.to_path_buf();
    out.extend(&done);
    Ok(out)
}

fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some("..".into()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

/// The contents of `path` in the container's root filesystem, `None` if it does not exist.
fn read_in_root(root: &Path, path: &str) -> Result<Option<String>, BundleError> {
    let err = |source| BundleError::ReadRootfs {
        path: PathBuf::from(path),
        source,
    };
    let real = resolve_in_root(root, Path::new(path)).map_err(err)?;
    match std::fs::symlink_metadata(&real) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not a regular file in the image",
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e)),
    }
    let file = match std::fs::File::open(&real) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE).read_to_end(&mut bytes).map_err(err)?;
    // Bytes that are not UTF-8 would only appear in fields rpod ignores.
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The name of `uid` in the container's `/etc/passwd` (read inside `root`, as `--user` is),
/// `None` when there is no such entry or file (`rpod top` shows the number then, as psgo).
///
/// # Errors
/// The file cannot be read, or is not a regular file.
pub fn user_name(root: &Path, uid: u32) -> Result<Option<String>, BundleError> {
    let passwd = read_in_root(root, "/etc/passwd")?;
    Ok(passwd.as_deref().and_then(|p| {
        passwd_entries(p)
            .find(|e| e.uid == uid)
            .map(|e| e.name.to_owned())
    }))
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

fn passwd_entries(text: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() < 7 || l.starts_with('#') {
            return None;
        }
        Some(PasswdEntry {
            name: f[0],
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            home: f[5],
        })
    })
}

struct GroupEntry<'a> {
    name: &'a str,
    gid: u32,
    members: Vec<&'a str>,
}

fn group_entries(text: &str) -> impl Iterator<Item = GroupEntry<'_>> {
    text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() < 4 || l.starts_with('#') {
            return None;
        }
        Some(GroupEntry {
            name: f[0],
            gid: f[2].parse().ok()?,
            members: f[3].split(',').filter(|m| !m.is_empty()).collect(),
        })
    })
}

/// Resolves `spec` (`None` or empty for root) against the files in `root`.
pub(crate) fn resolve(root: &Path, spec: Option<&str>) -> Result<User, BundleError> {
    let spec = spec.unwrap_or("").trim();
    let bad = |reason: String| BundleError::InvalidUser {
        spec: spec.to_string(),
        reason,
    };
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let user_part = if user_part.is_empty() { "0" } else { user_part };
    let passwd_file = read_in_root(root, "/etc/passwd")?;
    let passwd = passwd_file.as_deref().unwrap_or_default();
    let (uid, name, mut gid, home) = if let Ok(uid) = user_part.parse::<u32>() {
        match passwd_entries(passwd).find(|e| e.uid == uid) {
            Some(e) => (uid, Some(e.name.to_string()), e.gid, e.home.to_string()),
            None => (uid, None, 0, "/".to_string()),
        }
    } else {
        let e = passwd_entries(passwd)
            .find(|e| e.name == user_part)
            .ok_or_else(|| {
                bad(not_found(
                    "user",
                    user_part,
                    "/etc/passwd",
                    passwd_file.as_deref(),
                    passwd_entries(passwd).next().is_none(),
                ))
            })?;
        (e.uid, Some(e.name.to_string()), e.gid, e.home.to_string())
    };
    let group_file = read_in_root(root, "/etc/group")?;
    let group = group_file.as_deref().unwrap_or_default();
    if let Some(g) = group_part {
        if g.is_empty() {
            return Err(bad("the group after ':' is empty".into()));
        }
        gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group_entries(group)
                .find(|e| e.name == g)
                .map(|e| e.gid)
                .ok_or_else(|| {
                    bad(not_found(
                        "group",
                        g,
                        "/etc/group",
                        group_file.as_deref(),
                        group_entries(group).next().is_none(),
                    ))
                })?,
        };
    }
    let mut additional_gids: Vec<u32> = match &name {
        Some(n) => group_entries(group)
            .filter(|e| e.members.contains(&n.as_str()) && e.gid != gid)
            .map(|e| e.gid)
            .collect(),
        None => Vec::new(),
    };
    additional_gids.sort_unstable();
    additional_gids.dedup();
    let home = if home.is_empty() { "/".into() } else { home };
    Ok(User {
        uid,
        gid,
        additional_gids,
        home,
    })
}

/// `--group-add`: each entry a gid or a group name in the root filesystem's `/etc/group`.
pub(crate) fn group_ids(root: &Path, groups: &[String]) -> Result<Vec<u32>, BundleError> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let group_file = read_in_root(root, "/etc/group")?;
    let group = group_file.as_deref().unwrap_or_default();
    groups
        .iter()
        .map(|g| {
            if let Ok(n) = g.parse::<u32>() {
                return Ok(n);
            }
            group_entries(group)
                .find(|e| e.name == g)
                .map(|e| e.gid)
                .ok_or_else(|| BundleError::InvalidGroupAdd {
                    group: g.clone(),
                    reason: if g == "keep-groups" {
                        "keep-groups applies to rootless containers only, which rpod does not run"
                            .into()
                    } else {
                        not_found(
                            "group",
                            g,
                            "/etc/group",
                            group_file.as_deref(),
                            group_entries(group).next().is_none(),
                        )
                    },
                })
        })
        .collect()
}

/// Why a name is not found: the file is missing, has no entries, or lacks that name. A numeric
/// id needs no entry, which the first two cases say.
fn not_found(kind: &str, name: &str, path: &str, file: Option<&str>, no_entries: bool) -> String {
    match file {
        None => format!(
            "no {kind} '{name}': the image has no {path}; give a numeric id (--user UID[:GID])"
        ),
        Some(_) if no_entries => format!(
            "no {kind} '{name}': the image's {path} has no entries; give a numeric id (--user UID[:GID])"
        ),
        Some(_) => format!("no {kind} '{name}' in the image's {path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
                          daemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
                          app:x:1000:1000:app:/home/app:/bin/sh\n\
                          nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    const GROUP: &str = "root:x:0:\n\
                         wheel:x:10:app,root\n\
                         app:x:1000:\n\
                         video:x:44:app\n\
                         nogroup:x:65534:\n";

    fn rootfs() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("etc")).unwrap();
        std::fs::write(d.path().join("etc/passwd"), PASSWD).unwrap();
        std::fs::write(d.path().join("etc/group"), GROUP).unwrap();
        d
    }

    fn user(root: &Path, spec: &str) -> User {
        resolve(root, Some(spec)).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    #[test]
    fn follows_podman_rules() {
        let r = rootfs();
        let u = user(r.path(), "");
        assert_eq!((u.uid, u.gid, u.home.as_str()), (0, 0, "/root"));
        assert_eq!(u.additional_gids, [10]);
        let u = user(r.path(), "app");
        assert_eq!((u.uid, u.gid, u.home.as_str()), (1000, 1000, "/home/app"));
        assert_eq!(u.additional_gids, [10, 44]);
        let u = user(r.path(), "1000");
        assert_eq!((u.uid, u.gid), (1000, 1000));
        let u = user(r.path(), "1000:1000");
        assert_eq!((u.uid, u.gid), (1000, 1000));
        let u = user(r.path(), "4242");
        assert_eq!((u.uid, u.gid, u.home.as_str()), (4242, 0, "/"));
        assert!(u.additional_gids.is_empty());
        let u = user(r.path(), "4242:4343");
        assert_eq!((u.uid, u.gid), (4242, 4343));
        let u = user(r.path(), "nobody:video");
        assert_eq!((u.uid, u.gid), (65534, 44));
        let u = user(r.path(), "app:44");
        assert_eq!(u.additional_gids, [10]);
    }

    #[test]
    fn unknown_names_are_errors() {
        let r = rootfs();
        let e = resolve(r.path(), Some("ghost")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid user 'ghost': no user 'ghost' in the image's /etc/passwd"
        );
        let e = resolve(r.path(), Some("app:ghosts")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid user 'app:ghosts': no group 'ghosts' in the image's /etc/group"
        );
        assert!(resolve(r.path(), Some("app:")).is_err());
    }

    #[test]
    fn a_missing_or_empty_passwd_is_named_in_the_error_and_numbers_still_work() {
        // Issue 11: an image's /etc/passwd may be missing or empty (scratch images).
        let d = tempfile::tempdir().unwrap();
        let e = resolve(d.path(), Some("app")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid user 'app': no user 'app': the image has no /etc/passwd; give a numeric id (--user UID[:GID])"
        );
        std::fs::create_dir(d.path().join("etc")).unwrap();
        for text in ["", "\n# comments only\n"] {
            std::fs::write(d.path().join("etc/passwd"), text).unwrap();
            std::fs::write(d.path().join("etc/group"), text).unwrap();
            let e = resolve(d.path(), Some("app")).unwrap_err();
            assert_eq!(
                e.to_string(),
                "invalid user 'app': no user 'app': the image's /etc/passwd has no entries; give a numeric id (--user UID[:GID])",
                "{text:?}"
            );
            let e = resolve(d.path(), Some("0:wheel")).unwrap_err();
            assert_eq!(
                e.to_string(),
                "invalid user '0:wheel': no group 'wheel': the image's /etc/group has no entries; give a numeric id (--user UID[:GID])",
                "{text:?}"
            );
            let u = resolve(d.path(), None).unwrap();
            assert_eq!((u.uid, u.gid, u.home.as_str()), (0, 0, "/"));
            let u = resolve(d.path(), Some("1000:44")).unwrap();
            assert_eq!((u.uid, u.gid, u.home.as_str()), (1000, 44, "/"));
        }
    }

    #[test]
    fn a_passwd_that_is_not_a_regular_file_is_refused_not_read() {
        // A FIFO would block the read forever; a directory is no passwd file either.
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("etc")).unwrap();
        nix::unistd::mkfifo(&d.path().join("etc/passwd"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let e = resolve(d.path(), None).unwrap_err();
        assert!(
            matches!(&e, BundleError::ReadRootfs { path, source }
                if path == Path::new("/etc/passwd") && source.kind() == std::io::ErrorKind::InvalidData),
            "{e}"
        );
        std::fs::remove_file(d.path().join("etc/passwd")).unwrap();
        std::fs::create_dir(d.path().join("etc/passwd")).unwrap();
        assert!(matches!(
            resolve(d.path(), Some("1000")),
            Err(BundleError::ReadRootfs { .. })
        ));
    }

    #[test]
    fn numeric_users_need_no_passwd_file() {
        let d = tempfile::tempdir().unwrap();
        let u = resolve(d.path(), Some("1000:1000")).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (1000, 1000, "/"));
        let u = resolve(d.path(), None).unwrap();
        assert_eq!((u.uid, u.gid), (0, 0));
    }

    #[test]
    fn symlinks_stay_inside_the_rootfs() {
        // A hostile image points /etc/passwd at the host's: it must resolve inside the rootfs.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("passwd"), "evil:x:0:0::/evil:/bin/sh\n").unwrap();
        let r = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(r.path().join("etc")).unwrap();
        std::fs::create_dir_all(r.path().join("real")).unwrap();
        let abs = outside.path().join("passwd");
        std::os::unix::fs::symlink(&abs, r.path().join("etc/passwd")).unwrap();
        // The absolute target is taken inside the rootfs, where it does not exist.
        assert!(resolve(r.path(), Some("evil")).is_err());
        // `..` cannot climb out either.
        std::fs::remove_file(r.path().join("etc/passwd")).unwrap();
        std::os::unix::fs::symlink(
            "../../../../../../../../real/passwd",
            r.path().join("etc/passwd"),
        )
        .unwrap();
        std::fs::write(r.path().join("real/passwd"), "inside:x:7:7::/in:/bin/sh\n").unwrap();
        let u = resolve(r.path(), Some("inside")).unwrap();
        assert_eq!((u.uid, u.home.as_str()), (7, "/in"));
        assert_eq!(
            resolve_in_root(r.path(), Path::new("/etc/passwd")).unwrap(),
            r.path().join("real/passwd")
        );
    }

    #[test]
    fn symlink_loops_are_refused() {
        let r = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(r.path().join("etc")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", r.path().join("etc/passwd")).unwrap();
        let e = resolve(r.path(), Some("x")).unwrap_err();
        assert!(matches!(e, BundleError::ReadRootfs { .. }), "{e}");
    }
}
