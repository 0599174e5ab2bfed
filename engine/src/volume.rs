//! Named volumes: directories kept under the store's root that containers mount by name
//! (`-v NAME:/path`), as podman's `local` driver keeps them.
//!
//! # Layout
//!
//! ```text
//! <root>/volumes/NAME/      one volume (podman's path: volumes/NAME/_data is its mountpoint)
//!   _data/                  what containers see at the mount path (0755, root)
//!   volume.json             its metadata: name, creation time, labels, options, anonymous
//! ```
//!
//! # Crash safety and concurrency
//!
//! The store's rule (see [`crate::storage`]): a volume appears by one `rename(2)` of a complete
//! directory (`_data` and `volume.json` written first in a work dir of `tmp/`), so
//! `volumes/NAME` always holds both; two `create`s of one name race on that rename and exactly
//! one wins (the loser's rename fails with `EEXIST`/`ENOTEMPTY`). Removal goes the other way:
//! the directory is renamed into a work dir of `tmp/` first, then deleted; a command killed
//! in between leaves garbage in `tmp/` that the next [`Store::open`] removes.
//!
//! Which containers use a volume is read from the containers' records (their [`Meta`]'s
//! `volumes`), so it survives a reboot like the records do. Not guarded: a container being
//! created at the moment its volume is removed may end up with a missing volume (its start then
//! fails on the missing source); podman has the same window without its lock.
//!
//! [`Meta`]: crate::container::Meta

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::exit::ExitStatus;
use crate::hint::Hint;
use crate::storage::{StorageError, Store};

const VOLUMES_DIR: &str = "volumes";
const DATA_DIR: &str = "_data";
const META_FILE: &str = "volume.json";

/// Options the `local` driver takes (`podman volume create --opt`); the ones that mount a
/// device are refused by rpod for now, not ignored.
const KNOWN_OPTIONS: &[&str] = &[
    "device", "type", "o", "UID", "GID", "size", "inodes", "noquota", "copy", "nocopy",
];
const MOUNT_OPTIONS: &[&str] = &["device", "type", "o", "size", "inodes"];

/// Why a volume operation failed.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("no volume with name \"{name}\" found: no such volume")]
    NotFound { name: String },

    #[error("volume with name {name} already exists: volume already exists")]
    Exists { name: String },

    #[error("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument")]
    InvalidName { name: String },

    #[error("invalid mount option {option} for driver 'local': invalid argument")]
    UnknownOption { option: String },

    #[error(
        "volume option {option} (mounting a device or filesystem) is not supported by rpod yet"
    )]
    MountOption { option: String },

    #[error("invalid volume option {option}: {reason}")]
    BadOption { option: String, reason: String },

    #[error("volume {name} is being used by the following container(s): {}: volume is being used", containers.join(", "))]
    InUse {
        name: String,
        containers: Vec<String>,
    },

    #[error("cannot {what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot read volume metadata {}", path.display())]
    Meta {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl VolumeError {
    /// podman's exit codes: `volume rm` exits 1 for no such volume, 2 for one in use.
    #[must_use]
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            VolumeError::NotFound { .. } => ExitStatus::Container(1),
            VolumeError::InUse { .. } => ExitStatus::Container(2),
            _ => ExitStatus::RpodError,
        }
    }

    fn io<'p>(what: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> VolumeError + 'p {
        move |source| VolumeError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

impl Hint for VolumeError {
    fn hint(&self) -> Option<String> {
        match self {
            // No hint: podman's message is the whole output (scripts match it exactly), and
            // it already names the containers.
            VolumeError::MountOption { .. } => Some(
                "create the volume without it; bind-mount a host directory with -v /path:/dst"
                    .into(),
            ),
            VolumeError::InvalidName { name } => Some(format!(
                "'{name}' is not a volume name; a host path must be absolute"
            )),
            _ => None,
        }
    }
}

/// One volume, as `volume inspect` shows it (podman's field names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    pub name: String,
    pub driver: String,
    pub mountpoint: PathBuf,
    pub created_at: String,
    pub labels: BTreeMap<String, String>,
    pub scope: String,
    pub options: BTreeMap<String, String>,
    /// Made for a `-v /path` without a name: `rm -v` of its container removes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
}

/// What `volume create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewVolume {
    /// `None`: a generated name (64 hex digits, as podman's).
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    pub anonymous: bool,
}

/// Whether `name` is a volume name podman accepts: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
#[must_use]
pub fn valid_name(name: &str) -> bool {
    let mut b = name.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn volumes_dir(store: &Store) -> PathBuf {
    store.root().join(VOLUMES_DIR)
}

/// The directory containers mount for volume `name` (`volumes/NAME/_data`).
#[must_use]
pub fn data_path(store: &Store, name: &str) -> PathBuf {
    volumes_dir(store).join(name).join(DATA_DIR)
}

fn parse_id_part(option: &str, v: &str) -> Result<u32, VolumeError> {
    v.parse().map_err(|_| VolumeError::BadOption {
        option: option.to_string(),
        reason: format!("'{v}' is not a number"),
    })
}

/// Creates a volume.
///
/// # Errors
/// [`VolumeError::InvalidName`], [`VolumeError::Exists`], [`VolumeError::UnknownOption`],
/// [`VolumeError::MountOption`]; I/O errors.
pub fn create(store: &Store, req: &NewVolume) -> Result<Volume, VolumeError> {
    let name = match &req.name {
        Some(n) => n.clone(),
        None => {
            let mut b = [0u8; 32];
            fs::File::open("/dev/urandom")
                .and_then(|mut f| io::Read::read_exact(&mut f, &mut b))
                .map_err(VolumeError::io("read", Path::new("/dev/urandom")))?;
            hex::encode(b)
        }
    };
    if !valid_name(&name) {
        return Err(VolumeError::InvalidName { name });
    }
    let (mut uid, mut gid) = (None, None);
    for (k, v) in &req.options {
        if !KNOWN_OPTIONS.contains(&k.as_str()) {
            return Err(VolumeError::UnknownOption { option: k.clone() });
        }
        if MOUNT_OPTIONS.contains(&k.as_str())
            && !(k == "o" && matches!(v.as_str(), "nocopy" | "copy"))
        {
            return Err(VolumeError::MountOption {
                option: format!("{k}={v}"),
            });
        }
        match k.as_str() {
            "UID" => uid = Some(parse_id_part(k, v)?),
            "GID" => gid = Some(parse_id_part(k, v)?),
            _ => {}
        }
    }
    let final_dir = volumes_dir(store).join(&name);
    if final_dir.exists() {
        return Err(VolumeError::Exists { name });
    }
    let staging = store.staging()?;
    let work = staging.temp_path("volume");
    let data = work.join(DATA_DIR);
    fs::create_dir_all(&data).map_err(VolumeError::io("create", &data))?;
    fs::set_permissions(&data, fs::Permissions::from_mode(0o755))
        .map_err(VolumeError::io("set the mode of", &data))?;
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::chown(&data, uid, gid).map_err(VolumeError::io("chown", &data))?;
    }
    let vol = Volume {
        name: name.clone(),
        driver: "local".into(),
        mountpoint: final_dir.join(DATA_DIR),
        created_at: crate::time::format_rfc3339(SystemTime::now()),
        labels: req.labels.clone(),
        scope: "local".into(),
        options: req.options.clone(),
        anonymous: req.anonymous,
    };
    let meta = work.join(META_FILE);
    let json = serde_json::to_vec_pretty(&vol).map_err(|source| VolumeError::Meta {
        path: meta.clone(),
        source,
    })?;
    fs::write(&meta, json).map_err(VolumeError::io("write", &meta))?;
    let parent = volumes_dir(store);
    fs::create_dir_all(&parent).map_err(VolumeError::io("create", &parent))?;
    // rename(2) onto an existing non-empty directory fails: the other creator won.
    match fs::rename(&work, &final_dir) {
        Ok(()) => Ok(vol),
        Err(e)
            if matches!(
                e.raw_os_error().map(nix::errno::Errno::from_raw),
                Some(nix::errno::Errno::EEXIST | nix::errno::Errno::ENOTEMPTY)
            ) =>
        {
            Err(VolumeError::Exists { name })
        }
        Err(e) => Err(VolumeError::io("create", &final_dir)(e)),
    }
}

/// The volume called `name`.
///
/// # Errors
/// [`VolumeError::NotFound`]; an unreadable `volume.json`.
pub fn get(store: &Store, name: &str) -> Result<Volume, VolumeError> {
    if !valid_name(name) {
        return Err(VolumeError::NotFound { name: name.into() });
    }
    let meta = volumes_dir(store).join(name).join(META_FILE);
    let text = match fs::read(&meta) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(VolumeError::NotFound { name: name.into() })
        }
        Err(e) => return Err(VolumeError::io("read", &meta)(e)),
    };
    serde_json::from_slice(&text).map_err(|source| VolumeError::Meta { path: meta, source })
}

/// Whether volume `name` exists.
///
/// # Errors
/// An unreadable `volume.json`.
pub fn exists(store: &Store, name: &str) -> Result<bool, VolumeError> {
    match get(store, name) {
        Ok(_) => Ok(true),
        Err(VolumeError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Every volume, sorted by name.
///
/// # Errors
/// An unreadable volume directory or metadata.
pub fn list(store: &Store) -> Result<Vec<Volume>, VolumeError> {
    let dir = volumes_dir(store);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(VolumeError::io("read", &dir)(e)),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| get(store, n))
        .filter(|r| !matches!(r, Err(VolumeError::NotFound { .. })))
        .collect()
}

/// The volume `name`, created (as podman does for `-v NAME:/path`) when it does not exist.
///
/// # Errors
/// As [`create`] and [`get`].
pub fn get_or_create(store: &Store, name: &str) -> Result<Volume, VolumeError> {
    match get(store, name) {
        Err(VolumeError::NotFound { .. }) if valid_name(name) => {
            match create(
                store,
                &NewVolume {
                    name: Some(name.into()),
                    ..NewVolume::default()
                },
            ) {
                // Created by another rpod meanwhile.
                Err(VolumeError::Exists { .. }) => get(store, name),
                other => other,
            }
        }
        Err(VolumeError::NotFound { .. }) => Err(VolumeError::InvalidName { name: name.into() }),
        other => other,
    }
}

/// Ids of the containers whose records name volume `name`, sorted.
///
/// # Errors
/// Storage errors.
pub fn users(store: &Store, name: &str) -> Result<Vec<String>, VolumeError> {
    let mut ids: Vec<String> = store
        .containers()?
        .into_iter()
        .filter(|c| {
            serde_json::from_str::<UsesVolumes>(&c.spec_json)
                .is_ok_and(|m| m.volumes.iter().any(|v| v == name))
        })
        .map(|c| c.id)
        .collect();
    ids.sort();
    Ok(ids)
}

/// The part of a container's metadata that names its volumes (read without the container
/// layer, which sits above this module).
#[derive(Deserialize)]
struct UsesVolumes {
    #[serde(default)]
    volumes: Vec<String>,
}

/// Removes volume `name`; refused while a container uses it (the caller removes those
/// first for `-f`).
///
/// # Errors
/// [`VolumeError::NotFound`], [`VolumeError::InUse`]; I/O errors.
pub fn remove(store: &Store, name: &str) -> Result<(), VolumeError> {
    get(store, name)?;
    let containers = users(store, name)?;
    if !containers.is_empty() {
        return Err(VolumeError::InUse {
            name: name.into(),
            containers,
        });
    }
    let staging = store.staging()?;
    let dir = volumes_dir(store).join(name);
    let doomed = staging.temp_path("volume-removed");
    match fs::rename(&dir, &doomed) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(VolumeError::NotFound { name: name.into() })
        }
        Err(e) => return Err(VolumeError::io("remove", &dir)(e)),
    }
    fs::remove_dir_all(&doomed).map_err(VolumeError::io("remove", &doomed))
}

/// Removes the anonymous volumes among `names` that no container uses any more (`rm -v` and
/// `run --rm` after the container's record is gone); named volumes are kept, as podman does.
/// Returns the names removed.
///
/// # Errors
/// As [`remove`].
pub fn remove_anonymous(store: &Store, names: &[String]) -> Result<Vec<String>, VolumeError> {
    let mut removed = Vec::new();
    for n in names {
        match get(store, n) {
            Ok(v) if v.anonymous => match remove(store, n) {
                Ok(()) => removed.push(n.clone()),
                Err(VolumeError::InUse { .. } | VolumeError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            },
            Ok(_) | Err(VolumeError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// Removes every volume no container uses; returns their names, sorted.
///
/// # Errors
/// As [`remove`].
pub fn prune(store: &Store) -> Result<Vec<String>, VolumeError> {
    let mut removed = Vec::new();
    for v in list(store)? {
        match remove(store, &v.name) {
            Ok(()) => removed.push(v.name),
            Err(VolumeError::InUse { .. } | VolumeError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(&dir.path().join("root"), &dir.path().join("run")).expect("open");
        (dir, s)
    }

    #[test]
    fn names_follow_podmans_pattern() {
        for ok in ["a", "v1", "A_b.c-d", "0"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "_a", ".a", "-a", "a/b", "a:b", "a b", "/abs"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn create_get_list_remove_round_trip_and_nothing_is_left_in_tmp() {
        let (_d, s) = store();
        let v = create(
            &s,
            &NewVolume {
                name: Some("v1".into()),
                labels: [("a".to_string(), "b".to_string())].into(),
                ..NewVolume::default()
            },
        )
        .expect("create");
        assert_eq!(v.mountpoint, s.root().join("volumes/v1/_data"));
        assert!(v.mountpoint.is_dir());
        assert_eq!(get(&s, "v1").expect("get"), v);
        assert!(matches!(
            create(
                &s,
                &NewVolume {
                    name: Some("v1".into()),
                    ..NewVolume::default()
                }
            ),
            Err(VolumeError::Exists { .. })
        ));
        let anon = create(&s, &NewVolume::default()).expect("generated name");
        assert_eq!(anon.name.len(), 64);
        let names: Vec<String> = list(&s)
            .expect("list")
            .into_iter()
            .map(|v| v.name)
            .collect();
        assert_eq!(names.len(), 2);
        remove(&s, "v1").expect("rm");
        assert!(matches!(get(&s, "v1"), Err(VolumeError::NotFound { .. })));
        assert!(matches!(
            remove(&s, "v1"),
            Err(VolumeError::NotFound { .. })
        ));
        assert_eq!(prune(&s).expect("prune"), vec![anon.name]);
        let tmp: Vec<_> = fs::read_dir(s.root().join("tmp")).expect("tmp").collect();
        assert!(tmp.is_empty(), "{tmp:?}");
    }

    #[test]
    fn options_that_mount_are_refused_unknown_ones_are_podmans_error() {
        let (_d, s) = store();
        let with = |k: &str, v: &str| NewVolume {
            name: Some("x".into()),
            options: [(k.to_string(), v.to_string())].into(),
            ..NewVolume::default()
        };
        assert_eq!(
            create(&s, &with("foo", "bar")).unwrap_err().to_string(),
            "invalid mount option foo for driver 'local': invalid argument"
        );
        assert!(matches!(
            create(&s, &with("type", "tmpfs")),
            Err(VolumeError::MountOption { .. })
        ));
        assert!(!volumes_dir(&s).join("x").exists());
        create(&s, &with("o", "nocopy")).expect("nocopy is kept");
    }
}
