//! Images: adding them (`import`, `load`), finding them by what users type, listing, tagging,
//! removing, inspecting, and the data of `system df`.
//!
//! An image is an OCI image config (its sha256 is the image id) plus an ordered list of layers,
//! lowest first; each layer is a tar whose sha256 is its diff id, unpacked once in the store
//! (see [`crate::storage`]) by [`unpack`], which is where hostile archives are stopped. Names
//! are fully qualified `domain/path:tag` (see [`mod@reference`]); one image has any number of names,
//! a name points to one image.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rpod::image::{self, ImportOptions};
//! use rpod::storage::Store;
//! let store = Store::open("/var/lib/rpod".as_ref(), "/run/rpod".as_ref())?;
//! let mut tar = std::fs::File::open("rootfs.tar")?;
//! let opts = ImportOptions {
//!     reference: Some("busybox".into()),
//!     changes: vec!["CMD=/bin/sh".into()],
//!     ..ImportOptions::default()
//! };
//! let img = image::import(&store, &mut tar, &opts)?;
//! assert_eq!(img.names, ["localhost/busybox:latest"]);
//! let lower_dirs = store.layer_dirs(&img.id)?; // lowest first
//! # Ok(())
//! # }
//! ```

pub mod commit;
mod error;
pub mod import;
pub mod load;
pub mod open;
pub mod reference;
pub mod unpack;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use oci_spec::image::{Arch, ImageConfiguration, Os};
use serde::Serialize;
use serde_json::Value;

use crate::storage::{Blob, Digest, ImageRecord, LayerRecord, RemovedImage, Staging, Store};
use crate::time;

pub use error::{ImageError, UnpackError};
pub use import::{import, ImportOptions};
pub use load::{load, LoadOptions, Loaded};
pub use open::{open_input, open_regular, Input};
pub use reference::{normalize_name, DefaultDomain};
pub use unpack::Limits;

/// A stored image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// 64 hex digits, the config's sha256.
    pub id: String,
    /// Sorted, fully qualified.
    pub names: Vec<String>,
    /// The manifest's digest.
    pub digest: Digest,
    /// RFC 3339, from the config.
    pub created: Option<String>,
    /// Sum of the uncompressed sizes of its distinct layers.
    pub size: u64,
    /// The parsed config: `config()` holds Env, Cmd, Entrypoint, WorkingDir, User, ...
    pub config: ImageConfiguration,
    /// Lowest first.
    pub layers: Vec<LayerRecord>,
    record: ImageRecord,
}

impl Image {
    fn from_record(record: ImageRecord) -> Result<Image, ImageError> {
        let config: ImageConfiguration =
            serde_json::from_str(&record.config).map_err(|source| ImageError::Json {
                archive: "the store".into(),
                what: "stored image config",
                name: record.id.clone(),
                source,
            })?;
        Ok(Image {
            id: record.id.clone(),
            names: record.names.clone(),
            digest: record.manifest_digest.clone(),
            created: record.created.clone(),
            size: record.size,
            config,
            layers: record.layers.clone(),
            record,
        })
    }

    /// The config JSON exactly as stored (its sha256 is the id).
    #[must_use]
    pub fn config_json(&self) -> &str {
        &self.record.config
    }

    /// The manifest JSON exactly as stored.
    #[must_use]
    pub fn manifest_json(&self) -> &str {
        &self.record.manifest
    }

    /// The first 12 hex digits of the id, as `podman images` shows it.
    #[must_use]
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
}

/// How a reference matched.
enum Matched {
    Name(String),
    Id,
}

fn resolve(store: &Store, reference: &str) -> Result<(ImageRecord, Matched), ImageError> {
    let not_found = || ImageError::NotFound {
        reference: reference.to_owned(),
    };
    let by_id =
        |id: &str| -> Result<ImageRecord, ImageError> { store.image(id)?.ok_or_else(not_found) };
    if let Some(hex) = reference.strip_prefix("sha256:") {
        let ids = store.image_ids_with_prefix(hex)?;
        return match ids.as_slice() {
            [id] if !hex.is_empty() => Ok((by_id(id)?, Matched::Id)),
            [] | [_] => Err(not_found()),
            _ => Err(ImageError::Ambiguous {
                reference: reference.to_owned(),
                candidates: ids,
            }),
        };
    }
    if let Ok(name) = reference::Name::parse(reference) {
        let names = store.names()?;
        let stored: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
        let candidates = reference::candidates(&name, &stored);
        let found: Vec<(&String, &String)> = candidates
            .iter()
            .filter_map(|c| names.iter().find(|(n, _)| n == c).map(|(n, id)| (n, id)))
            .collect();
        // The local and Docker Hub names win outright, in that order; other domains only when
        // they are not ambiguous.
        let fixed = if name.domain.is_some() { 1 } else { 2 };
        if let Some((n, id)) = found
            .iter()
            .find(|(n, _)| candidates[..fixed.min(candidates.len())].contains(n))
        {
            return Ok((by_id(id)?, Matched::Name((*n).clone())));
        }
        let ids: HashSet<&String> = found.iter().map(|(_, id)| *id).collect();
        match ids.len() {
            0 => {}
            1 => {
                let (n, id) = found[0];
                return Ok((by_id(id)?, Matched::Name(n.clone())));
            }
            _ => {
                let mut candidates: Vec<String> = found.iter().map(|(n, _)| (*n).clone()).collect();
                candidates.sort();
                return Err(ImageError::Ambiguous {
                    reference: reference.to_owned(),
                    candidates,
                });
            }
        }
    }
    let is_hex = !reference.is_empty()
        && reference.len() <= 64
        && reference
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if is_hex {
        let ids = store.image_ids_with_prefix(reference)?;
        match ids.len() {
            0 => {}
            1 => return Ok((by_id(&ids[0])?, Matched::Id)),
            _ => {
                return Err(ImageError::Ambiguous {
                    reference: reference.to_owned(),
                    candidates: ids,
                })
            }
        }
    }
    Err(not_found())
}

/// Finds the image a user means: `busybox`, `busybox:latest`, `localhost/busybox:1`, a full id,
/// `sha256:<id>`, or a unique id prefix. Names win over id prefixes; a short name tries
/// `localhost/`, then `docker.io/library/`, then any other registry if only one has it.
///
/// # Errors
///
/// [`ImageError::NotFound`], [`ImageError::Ambiguous`], or a storage error.
pub fn lookup(store: &Store, reference: &str) -> Result<Image, ImageError> {
    Image::from_record(resolve(store, reference)?.0)
}

/// One line of `rpod images`, in the fields and names of `podman images --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageSummary {
    pub id: String,
    pub parent_id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub size: u64,
    pub shared_size: u64,
    pub virtual_size: u64,
    pub labels: BTreeMap<String, String>,
    pub containers: usize,
    pub names: Vec<String>,
    pub digest: String,
    pub history: Vec<String>,
    /// Unix seconds.
    pub created: i64,
    pub created_at: String,
    pub dangling: bool,
}

fn labels(config: &ImageConfiguration) -> BTreeMap<String, String> {
    config
        .config()
        .as_ref()
        .and_then(|c| c.labels().clone())
        .map(|l| l.into_iter().collect())
        .unwrap_or_default()
}

fn repo_digests(names: &[String], digest: &Digest) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .map(|n| format!("{}@{digest}", reference::repository(n)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// All images for `rpod images`: newest first, then by id.
///
/// # Errors
///
/// A storage error or a corrupt stored config.
pub fn list(store: &Store) -> Result<Vec<ImageSummary>, ImageError> {
    let mut out = Vec::new();
    for record in store.images()? {
        let containers = store.containers_using_image(&record.id)?.len();
        let image = Image::from_record(record)?;
        let created = image
            .created
            .as_deref()
            .and_then(time::parse_rfc3339)
            .unwrap_or(image.record.added);
        out.push(ImageSummary {
            parent_id: String::new(),
            repo_tags: image.names.clone(),
            repo_digests: repo_digests(&image.names, &image.digest),
            size: image.size,
            shared_size: 0,
            virtual_size: image.size,
            labels: labels(&image.config),
            containers,
            names: image.names.clone(),
            digest: image.digest.to_string(),
            history: image.names.clone(),
            created,
            created_at: time::format_unix(created),
            dangling: image.names.is_empty(),
            id: image.id,
        });
    }
    out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// Gives the image `reference` resolves to the name `new_name` (normalized, `localhost/` for
/// short names); a name held by another image moves. Returns the normalized name.
///
/// # Errors
///
/// An invalid name, an unknown image, or a storage error.
pub fn tag(store: &Store, reference: &str, new_name: &str) -> Result<String, ImageError> {
    let name = normalize_name(new_name, DefaultDomain::Localhost)?;
    let (record, _) = resolve(store, reference)?;
    store.set_name(&name, &record.id)?;
    Ok(name)
}

/// What [`remove`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// The reference was one of several names: only that name is gone.
    Untagged { id: String, name: String },
    /// The image is gone, with the layers and blobs nothing else used.
    Deleted(RemovedImage),
}

/// `rpod rmi`: by a name the image has among others, removes just that name (podman's
/// "Untagged"); otherwise removes the image. By id, an image with several names needs `force`.
/// An image containers were made from is never removed: podman's `rmi -f` removes those
/// containers first, which is the container layer's job ([`ImageError::Storage`] with
/// [`StorageError::ImageInUse`](crate::storage::StorageError::ImageInUse) lists them).
///
/// # Errors
///
/// Unknown or ambiguous reference, [`ImageError::SeveralNames`], image in use, or a storage
/// error.
pub fn remove(store: &Store, reference: &str, force: bool) -> Result<Removal, ImageError> {
    let (record, matched) = resolve(store, reference)?;
    match matched {
        Matched::Name(name) if record.names.len() > 1 => {
            store.remove_name(&name)?;
            return Ok(Removal::Untagged {
                id: record.id,
                name,
            });
        }
        Matched::Id if record.names.len() > 1 && !force => {
            return Err(ImageError::SeveralNames {
                id: record.id,
                names: record.names,
            });
        }
        _ => {}
    }
    Ok(Removal::Deleted(store.remove_image(&record.id)?))
}

/// `rpod image inspect`, in podman's field names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectImage {
    pub id: String,
    pub digest: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub parent: String,
    pub comment: String,
    pub created: Option<String>,
    /// The config's `config` object, keys sorted.
    pub config: Value,
    pub version: String,
    pub author: String,
    pub architecture: String,
    pub os: String,
    pub size: u64,
    pub virtual_size: u64,
    #[serde(rename = "RootFS")]
    pub root_fs: InspectRootFs,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub manifest_type: String,
    pub user: String,
    pub history: Vec<Value>,
    pub names_history: Vec<String>,
}

/// `RootFS` of [`InspectImage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectRootFs {
    #[serde(rename = "Type")]
    pub kind: String,
    /// The diff ids, lowest first (podman calls them `Layers`).
    pub layers: Vec<String>,
}

/// Sorts the keys of every object, so output does not depend on hash order.
#[must_use]
pub fn sorted_json(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_json(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted_json).collect()),
        other => other,
    }
}

/// Serializes with sorted keys: the same value always gives the same bytes (and digest).
pub(crate) fn canonical_json(what: &'static str, v: &impl Serialize) -> Result<String, ImageError> {
    let value = serde_json::to_value(v).map_err(|source| ImageError::Serialize { what, source })?;
    serde_json::to_string(&sorted_json(value))
        .map_err(|source| ImageError::Serialize { what, source })
}

/// `rpod image inspect REFERENCE`.
///
/// # Errors
///
/// Unknown or ambiguous reference, or a storage error.
pub fn inspect(store: &Store, reference: &str) -> Result<InspectImage, ImageError> {
    let image = lookup(store, reference)?;
    let raw: Value = serde_json::from_str(image.config_json()).unwrap_or(Value::Null);
    let manifest: Value = serde_json::from_str(image.manifest_json()).unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let config = sorted_json(
        raw.get("config")
            .cloned()
            .unwrap_or(Value::Object(Default::default())),
    );
    let user = text(&config, "User");
    let annotations = manifest
        .get("annotations")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let manifest_type = manifest
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or("application/vnd.oci.image.manifest.v1+json")
        .to_owned();
    let history = raw
        .get("history")
        .and_then(Value::as_array)
        .map(|h| h.iter().cloned().map(sorted_json).collect())
        .unwrap_or_default();
    Ok(InspectImage {
        repo_digests: repo_digests(&image.names, &image.digest),
        digest: image.digest.to_string(),
        repo_tags: image.names.clone(),
        parent: String::new(),
        comment: text(&raw, "comment"),
        created: image.created.clone(),
        config,
        version: text(&raw, "docker_version"),
        author: text(&raw, "author"),
        architecture: image.config.architecture().to_string(),
        os: image.config.os().to_string(),
        size: image.size,
        virtual_size: image.size,
        root_fs: InspectRootFs {
            kind: "layers".to_owned(),
            layers: image.layers.iter().map(|l| l.diff_id.to_string()).collect(),
        },
        labels: labels(&image.config),
        annotations,
        manifest_type,
        user,
        history,
        names_history: image.names.clone(),
        id: image.id,
    })
}

/// Per-image numbers of [`DiskUsage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageUsage {
    pub id: String,
    pub names: Vec<String>,
    pub created: Option<String>,
    /// All its layers.
    pub size: u64,
    /// Of which layers other images use too.
    pub shared_size: u64,
    /// Of which layers only it uses.
    pub unique_size: u64,
    pub containers: usize,
}

/// The image half of `rpod system df`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskUsage {
    pub total: usize,
    /// Images at least one container was made from.
    pub active: usize,
    /// Unpacked layers, each counted once (uncompressed tar sizes).
    pub size: u64,
    /// Layers only unused images need.
    pub reclaimable: u64,
    /// Stored blobs (compressed as received), each counted once.
    pub blobs_size: u64,
    /// By id.
    pub images: Vec<ImageUsage>,
}

/// Data for `rpod system df`.
///
/// # Errors
///
/// A storage error.
pub fn disk_usage(store: &Store) -> Result<DiskUsage, ImageError> {
    let records = store.images()?;
    let mut users: HashMap<&Digest, usize> = HashMap::new();
    let mut layer_size: HashMap<&Digest, u64> = HashMap::new();
    let mut blob_size: HashMap<&Digest, u64> = HashMap::new();
    for r in &records {
        let distinct: HashSet<&Digest> = r.layers.iter().map(|l| &l.diff_id).collect();
        for d in distinct {
            *users.entry(d).or_default() += 1;
        }
        for l in &r.layers {
            layer_size.insert(&l.diff_id, l.size);
            blob_size.insert(&l.blob, l.blob_size);
        }
    }
    let mut active_layers: HashSet<&Digest> = HashSet::new();
    let mut images = Vec::new();
    let mut active = 0;
    for r in &records {
        let containers = store.containers_using_image(&r.id)?.len();
        let distinct: HashSet<&Digest> = r.layers.iter().map(|l| &l.diff_id).collect();
        if containers > 0 {
            active += 1;
            active_layers.extend(distinct.iter().copied());
        }
        let shared: u64 = distinct
            .iter()
            .filter(|d| users[*d] > 1)
            .map(|d| layer_size[*d])
            .sum();
        images.push(ImageUsage {
            id: r.id.clone(),
            names: r.names.clone(),
            created: r.created.clone(),
            size: r.size,
            shared_size: shared,
            unique_size: r.size.saturating_sub(shared),
            containers,
        });
    }
    Ok(DiskUsage {
        total: records.len(),
        active,
        size: layer_size.values().sum(),
        reclaimable: layer_size
            .iter()
            .filter(|(d, _)| !active_layers.contains(*d))
            .map(|(_, s)| s)
            .sum(),
        blobs_size: blob_size.values().sum(),
        images,
    })
}

/// The platform this rpod runs images for, in GOOS/GOARCH terms.
#[must_use]
pub fn host_platform() -> (Os, Arch) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    };
    (Os::Linux, Arch::from(arch))
}

/// The OCI media type of a layer blob, from its first bytes.
pub(crate) fn layer_media_type(blob: &Path) -> Result<&'static str, ImageError> {
    let mut head = [0u8; 8];
    let mut f = File::open(blob).map_err(ImageError::io("open the blob", blob))?;
    let n = read_up_to(&mut f, &mut head).map_err(ImageError::io("read the blob", blob))?;
    let compression =
        unpack::Compression::detect(&head[..n]).map_err(|source| ImageError::Unpack {
            layer: blob.display().to_string(),
            source,
        })?;
    Ok(match compression {
        unpack::Compression::None => "application/vnd.oci.image.layer.v1.tar",
        unpack::Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Makes sure the layer in `blob` is unpacked in the store and returns its actual diff id and
/// uncompressed size. When `expected` is already unpacked, the blob is only hashed (so a
/// mismatch is still caught by the caller), not unpacked again.
pub(crate) fn add_layer(
    staging: &Staging<'_>,
    blob: &Blob,
    expected: Option<&Digest>,
    limits: &Limits,
) -> Result<(Digest, u64), ImageError> {
    let unpack_err = |source| ImageError::Unpack {
        layer: blob.digest.to_string(),
        source,
    };
    let open = || File::open(&blob.path).map_err(ImageError::io("open the blob", &blob.path));
    if let Some(expected) = expected {
        if staging.has_layer(expected)? {
            let stream = unpack::decompress(open()?).map_err(unpack_err)?;
            let hashed = crate::storage::HashingReader::with_limit(stream, limits.max_layer_size);
            return hashed
                .finish()
                .map_err(|source| unpack_err(UnpackError::Read { source }));
        }
    }
    let dir = staging.new_layer_dir()?;
    let unpacked = unpack::unpack(open()?, &dir, limits).map_err(unpack_err)?;
    staging.commit_layer(&dir, &unpacked.diff_id, unpacked.size)?;
    Ok((unpacked.diff_id, unpacked.size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_json_sorts_nested_keys() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":2}}"#).expect("json");
        assert_eq!(
            serde_json::to_string(&sorted_json(v)).expect("json"),
            r#"{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn host_platform_uses_go_names() {
        let (os, arch) = host_platform();
        assert_eq!(os.to_string(), "linux");
        if cfg!(target_arch = "x86_64") {
            assert_eq!(arch.to_string(), "amd64");
        }
    }
}
