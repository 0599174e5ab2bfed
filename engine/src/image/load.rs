//! `rpod load`: docker-archive, oci-archive, and OCI image layout directories.
//!
//! - docker-archive (`docker save`, `skopeo copy ... docker-archive:`): a tar with
//!   `manifest.json` (`[{"Config": ..., "RepoTags": [...], "Layers": [...]}]`), the config and
//!   the layer tars. Each layer's diff id is checked against the config; a config file named by
//!   its digest (`<hex>.json`, `blobs/sha256/<hex>`) must have that digest. Names come from
//!   `RepoTags`, Docker Hub style (`busybox` is `docker.io/library/busybox:latest`).
//! - OCI layout (a directory with `index.json` and `blobs/sha256/`) and oci-archive (a tar of
//!   one): every blob is checked against its descriptor's digest and size. A nested index
//!   (multi-platform) contributes its first manifest for this host's platform. Names come from
//!   the `io.containerd.image.name` annotation (Docker Hub style), else
//!   `org.opencontainers.image.ref.name` (short names local: `busybox` is
//!   `localhost/busybox:latest`).
//!
//! An archive may be gzip-compressed. Archive members are copied into the store's work dir
//! first (a tar cannot be read out of order); their paths are only ever used as map keys, never
//! to write anything, so a hostile member name is harmless, and members that are not regular
//! files (FIFOs, devices) are skipped, so a name that needs one is missing. When a
//! docker-archive has both `manifest.json` and `index.json` (newer `docker save`),
//! `manifest.json` is used, for its names.
//!
//! # What is opened, and how (issue 12)
//!
//! The path given is opened by [`open_input`]: a regular file (an archive) or a directory (a
//! layout); a FIFO, device or socket is refused by its type before anything waits on it. Every
//! file of a layout directory (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) is opened from
//! the directory's fd with `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` and must be a
//! regular file. A symlink in the layout is followed only while it stays inside it: one
//! pointing at `/etc/hostname`, or climbing out with `..`, is refused
//! ([`ImageError::OutsideLayout`]). Why not refuse every symlink: a layout that dedups blobs
//! with relative links (`blobs/sha256/a -> b`) is harmless, and the tools differ (skopeo's and
//! umoci's layout readers `open` blob paths and follow any symlink, go-containerregistry refuses
//! symlinked blobs, ocidir-rs follows only those that stay inside, the cap-std model); staying
//! inside is what makes a layout mean the same wherever it is copied. The directory named on
//! the command line may itself be a symlink (the user chose it).
//!
//! Every descriptor is checked on every load, even when the image (its config) is already
//! stored: each layer blob's file type, size and digest, and its diff id against the config.
//! An archive that lies fails to load, whatever the store already holds. For a stored image
//! the blobs are only read and hashed in one pass (the store has its own copies, possibly
//! compressed differently), so a re-load stores nothing but the names.
//!
//! [`Loaded::names`] are the names the archive itself gives, which `rpod load` prints as podman
//! does (`Loaded image: NAME`, or `Loaded image: sha256:ID` for an unnamed image); the image may
//! hold other names from earlier.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use serde::Deserialize;

use super::import::descriptor;
use super::open::{open_beneath, open_input, Input};
use super::reference::Name;
use super::unpack::{clean_path, decompress};
use super::{
    add_layer, canonical_json, host_platform, layer_media_type, lookup, DefaultDomain, Image,
    ImageError, Limits, UnpackError,
};
use crate::storage::{
    is_sha256_hex, Digest, HashingReader, NewImage, NewLayer, Staging, StorageError, Store,
};

/// Options of [`load`].
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub limits: Limits,
    /// Largest JSON document (index, manifest, config) read into memory.
    pub max_json_size: u64,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            limits: Limits::default(),
            max_json_size: 16 << 20,
        }
    }
}

/// An image [`load`] stored (or found already stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub image: Image,
    /// The names the archive gave it, normalized, in archive order, each once; the image may
    /// have more (podman's `Loaded image:` lines show these, or the id when there are none).
    pub names: Vec<String>,
}

/// Loads every image in the archive or layout directory at `path`; returns them in archive
/// order, each once.
///
/// # Errors
///
/// A path that is neither a regular file nor a directory, an unknown format, a missing,
/// oversized or non-regular member, a member symlink leading out of a layout directory, a
/// digest, size or diff id mismatch, an unsupported media type, a refused layer, or a storage
/// error.
pub fn load(store: &Store, path: &Path, opts: &LoadOptions) -> Result<Vec<Loaded>, ImageError> {
    let input = open_input(path, true)?;
    let staging = store.staging()?;
    let ids = load_with(&staging, path, input, opts);
    drop(staging);
    let ids = match ids {
        Ok(ids) => ids,
        Err(e) => {
            // What a refused archive stored (blobs, layers) is garbage now. Best effort: gc
            // skips the work if another command holds the store, and its own errors must not
            // hide the reason the load failed.
            let _ = store.gc();
            return Err(e);
        }
    };
    let mut out: Vec<Loaded> = Vec::new();
    for (id, names) in ids {
        let i = match out.iter().position(|l| l.image.id == id) {
            Some(i) => i,
            None => {
                out.push(Loaded {
                    image: lookup(store, &id)?,
                    names: Vec::new(),
                });
                out.len() - 1
            }
        };
        for n in names {
            if !out[i].names.contains(&n) {
                out[i].names.push(n);
            }
        }
    }
    Ok(out)
}

/// Image ids with the names the archive gave each, in archive order.
type LoadedIds = Vec<(String, Vec<String>)>;

fn load_with(
    staging: &Staging<'_>,
    path: &Path,
    input: Input,
    opts: &LoadOptions,
) -> Result<LoadedIds, ImageError> {
    let ids = match input {
        Input::Dir(fd) => {
            let src = DirSource {
                root: path.to_owned(),
                fd,
            };
            // Opened the safe way: a FIFO or an escaping symlink named index.json is refused.
            if src.open("index.json")?.is_none() {
                return Err(ImageError::UnknownFormat {
                    path: path.to_owned(),
                });
            }
            load_oci(staging, &src, opts)?
        }
        Input::File(file) => {
            let src = extract(staging, file, path, opts)?;
            if src.resolve("manifest.json").is_some() {
                load_docker(staging, &src, opts)?
            } else if src.resolve("index.json").is_some() {
                load_oci(staging, &src, opts)?
            } else {
                return Err(ImageError::UnknownFormat {
                    path: path.to_owned(),
                });
            }
        }
    };
    Ok(ids)
}

/// Where named members come from.
trait Source {
    fn archive(&self) -> &Path;
    /// `None` when there is no such member.
    fn open(&self, name: &str) -> Result<Option<File>, ImageError>;
}

/// An OCI layout directory: every member is opened beneath it (see the module docs).
struct DirSource {
    /// As the user named it, for messages.
    root: PathBuf,
    fd: OwnedFd,
}

impl Source for DirSource {
    fn archive(&self) -> &Path {
        &self.root
    }

    fn open(&self, name: &str) -> Result<Option<File>, ImageError> {
        open_beneath(&self.fd, &self.root, name)
    }
}

/// An archive's members, copied into the work dir.
struct Extracted {
    archive: PathBuf,
    files: HashMap<String, PathBuf>,
    symlinks: HashMap<String, String>,
}

fn clean_name(raw: &[u8]) -> Option<String> {
    let comps = clean_path(raw)?;
    let parts: Option<Vec<&str>> = comps.iter().map(|c| c.to_str()).collect();
    let joined = parts?.join("/");
    (!joined.is_empty()).then_some(joined)
}

impl Extracted {
    fn resolve(&self, name: &str) -> Option<&PathBuf> {
        let mut name = clean_name(name.as_bytes())?;
        for _ in 0..16 {
            if let Some(p) = self.files.get(&name) {
                return Some(p);
            }
            name = self.symlinks.get(&name)?.clone();
        }
        None
    }
}

impl Source for Extracted {
    fn archive(&self) -> &Path {
        &self.archive
    }

    fn open(&self, name: &str) -> Result<Option<File>, ImageError> {
        match self.resolve(name) {
            Some(p) => File::open(p).map(Some).map_err(ImageError::io("open", p)),
            None => Ok(None),
        }
    }
}

fn extract(
    staging: &Staging<'_>,
    file: File,
    archive: &Path,
    opts: &LoadOptions,
) -> Result<Extracted, ImageError> {
    let read_err = |source| ImageError::ArchiveRead {
        archive: archive.to_owned(),
        source,
    };
    let io_read_err = |source| read_err(super::UnpackError::Read { source });
    let stream = decompress(file).map_err(read_err)?;
    let mut tar = tar::Archive::new(stream);
    let mut out = Extracted {
        archive: archive.to_owned(),
        files: HashMap::new(),
        symlinks: HashMap::new(),
    };
    let mut count = 0u64;
    for entry in tar.entries().map_err(io_read_err)? {
        let mut entry = entry.map_err(io_read_err)?;
        count += 1;
        if count > opts.limits.max_entries {
            return Err(read_err(super::UnpackError::TooManyEntries {
                limit: opts.limits.max_entries,
            }));
        }
        // Names are only keys: one that does not clean (`..` above the root) can never be
        // asked for, so it is skipped.
        let Some(name) = clean_name(&entry.path_bytes()) else {
            continue;
        };
        let link = entry.link_name_bytes().map(|l| l.into_owned());
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if entry.size() > opts.limits.max_layer_size {
                    return Err(ImageError::FileTooLarge {
                        archive: archive.to_owned(),
                        name,
                        limit: opts.limits.max_layer_size,
                    });
                }
                let tmp = staging.temp_path("member");
                let mut f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&tmp)
                    .map_err(ImageError::io("create", &tmp))?;
                io::copy(&mut entry, &mut f).map_err(io_read_err)?;
                out.files.insert(name, tmp);
            }
            tar::EntryType::Link => {
                let target = link.as_deref().and_then(clean_name);
                if let Some(p) = target.and_then(|t| out.files.get(&t).cloned()) {
                    out.files.insert(name, p);
                }
            }
            tar::EntryType::Symlink => {
                let Some(target) = link else { continue };
                let full = if target.first() == Some(&b'/') {
                    target
                } else {
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    [dir.as_bytes(), b"/", &target].concat()
                };
                if let Some(t) = clean_name(&full) {
                    out.symlinks.insert(name, t);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn read_member(src: &dyn Source, name: &str, limit: u64) -> Result<Vec<u8>, ImageError> {
    let Some(f) = src.open(name)? else {
        return Err(ImageError::MissingFile {
            archive: src.archive().to_owned(),
            name: name.to_owned(),
        });
    };
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(ImageError::io("read", src.archive().join(name)))?;
    if buf.len() as u64 > limit {
        return Err(ImageError::FileTooLarge {
            archive: src.archive().to_owned(),
            name: name.to_owned(),
            limit,
        });
    }
    Ok(buf)
}

fn parse_json<T: for<'de> Deserialize<'de>>(
    src: &dyn Source,
    what: &'static str,
    name: &str,
    bytes: &[u8],
) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|source| ImageError::Json {
        archive: src.archive().to_owned(),
        what,
        name: name.to_owned(),
        source,
    })
}

fn invalid(src: &dyn Source, what: &'static str, reason: impl Into<String>) -> ImageError {
    ImageError::InvalidArchive {
        archive: src.archive().to_owned(),
        what,
        reason: reason.into(),
    }
}

fn sha256_of(src: &dyn Source, d: &oci_spec::image::Digest) -> Result<Digest, ImageError> {
    Digest::parse(d.as_ref())
        .map_err(|_| invalid(src, "digest", format!("'{d}' is not a sha256 digest")))
}

fn utf8(src: &dyn Source, what: &'static str, bytes: Vec<u8>) -> Result<String, ImageError> {
    String::from_utf8(bytes).map_err(|_| invalid(src, what, "it is not UTF-8"))
}

/// Reads a JSON blob named by a descriptor, checking its size and digest.
fn read_blob(
    src: &dyn Source,
    desc: &Descriptor,
    what: &str,
    opts: &LoadOptions,
) -> Result<Vec<u8>, ImageError> {
    let digest = sha256_of(src, desc.digest())?;
    let name = format!("blobs/sha256/{}", digest.hex());
    let bytes = read_member(src, &name, opts.max_json_size)?;
    if bytes.len() as u64 != desc.size() {
        return Err(ImageError::SizeMismatch {
            archive: src.archive().to_owned(),
            what: what.to_owned(),
            expected: desc.size(),
            actual: bytes.len() as u64,
        });
    }
    let actual = Digest::of_bytes(&bytes);
    if actual != digest {
        return Err(ImageError::DigestMismatch {
            archive: src.archive().to_owned(),
            what: what.to_owned(),
            expected: digest.to_string(),
            actual,
        });
    }
    Ok(bytes)
}

fn parse_diff_id(src: &dyn Source, diff_id: &str) -> Result<Digest, ImageError> {
    Digest::parse(diff_id).map_err(|_| {
        invalid(
            src,
            "image config",
            format!("diff id '{diff_id}' is not a sha256 digest"),
        )
    })
}

/// Checks one layer blob of an image the store already holds, without storing anything: its
/// digest and size against its descriptor (when there is one) and its uncompressed stream
/// against the config's diff id, in one pass.
fn verify_layer(
    src: &dyn Source,
    reader: &mut dyn Read,
    expected_blob: Option<(&Digest, u64)>,
    expected_diff_id: &str,
    index: usize,
    opts: &LoadOptions,
) -> Result<(), ImageError> {
    let expected = parse_diff_id(src, expected_diff_id)?;
    let what = format!("layer {index}");
    let unpack_err = |source| ImageError::Unpack {
        layer: format!("{what} in {}", src.archive().display()),
        source,
    };
    let read_err = |source: io::Error| {
        if source.kind() == io::ErrorKind::FileTooLarge {
            ImageError::Unpack {
                layer: format!("{what} in {}", src.archive().display()),
                source: UnpackError::LayerTooLarge {
                    limit: opts.limits.max_layer_size,
                },
            }
        } else {
            ImageError::io("read", src.archive().to_owned())(source)
        }
    };
    let mut blob = HashingReader::with_limit(reader, opts.limits.max_layer_size);
    let (diff_id, _) = {
        let stream = decompress(&mut blob).map_err(unpack_err)?;
        HashingReader::with_limit(stream, opts.limits.max_layer_size)
            .finish()
            .map_err(read_err)?
    };
    // What the decompressor left unread (gzip padding) is part of the blob too.
    let (digest, size) = blob.finish().map_err(read_err)?;
    if let Some((expected_digest, _)) = expected_blob {
        if digest != *expected_digest {
            return Err(ImageError::DigestMismatch {
                archive: src.archive().to_owned(),
                what,
                expected: expected_digest.to_string(),
                actual: digest,
            });
        }
    }
    check_size(src, index, expected_blob, size)?;
    check_diff_id(src, index, expected_diff_id, &expected, diff_id)
}

/// A layer blob's size against its descriptor's (when there is one).
fn check_size(
    src: &dyn Source,
    index: usize,
    expected_blob: Option<(&Digest, u64)>,
    actual: u64,
) -> Result<(), ImageError> {
    match expected_blob {
        Some((_, expected)) if expected != actual => Err(ImageError::SizeMismatch {
            archive: src.archive().to_owned(),
            what: format!("layer {index}"),
            expected,
            actual,
        }),
        _ => Ok(()),
    }
}

/// A layer's uncompressed digest against the config's diff id (`expected_text` as written).
fn check_diff_id(
    src: &dyn Source,
    index: usize,
    expected_text: &str,
    expected: &Digest,
    actual: Digest,
) -> Result<(), ImageError> {
    if actual == *expected {
        return Ok(());
    }
    Err(ImageError::DiffIdMismatch {
        archive: src.archive().to_owned(),
        index,
        expected: expected_text.to_owned(),
        actual,
    })
}

/// Unpacks one layer and checks it against the config's diff id.
fn store_layer(
    staging: &Staging<'_>,
    src: &dyn Source,
    reader: &mut dyn Read,
    expected_blob: Option<(&Digest, u64)>,
    expected_diff_id: &str,
    index: usize,
    opts: &LoadOptions,
) -> Result<NewLayer, ImageError> {
    let expected = parse_diff_id(src, expected_diff_id)?;
    let blob = staging
        .put_blob(reader, expected_blob.map(|(d, _)| d))
        .map_err(|e| match e {
            StorageError::DigestMismatch {
                expected, actual, ..
            } => ImageError::DigestMismatch {
                archive: src.archive().to_owned(),
                what: format!("layer {index}"),
                expected: expected.to_string(),
                actual,
            },
            e => e.into(),
        })?;
    check_size(src, index, expected_blob, blob.size)?;
    let media_type = layer_media_type(&blob.path)?;
    let (actual, _) = add_layer(staging, &blob, Some(&expected), &opts.limits)?;
    check_diff_id(src, index, expected_diff_id, &expected, actual)?;
    Ok(NewLayer {
        diff_id: expected,
        blob: blob.digest,
        media_type: media_type.to_owned(),
        blob_size: blob.size,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn load_docker(
    staging: &Staging<'_>,
    src: &Extracted,
    opts: &LoadOptions,
) -> Result<LoadedIds, ImageError> {
    let bytes = read_member(src, "manifest.json", opts.max_json_size)?;
    let entries: Vec<DockerEntry> =
        parse_json(src, "docker-archive manifest", "manifest.json", &bytes)?;
    let mut ids = Vec::new();
    for entry in entries {
        let config_bytes = read_member(src, &entry.config, opts.max_json_size)?;
        let config_digest = Digest::of_bytes(&config_bytes);
        let stem = entry.config.rsplit('/').next().unwrap_or("");
        let stem = stem.strip_suffix(".json").unwrap_or(stem);
        if is_sha256_hex(stem) && stem != config_digest.hex() {
            return Err(ImageError::DigestMismatch {
                archive: src.archive().to_owned(),
                what: format!("config '{}'", entry.config),
                expected: format!("sha256:{stem}"),
                actual: config_digest,
            });
        }
        let config: ImageConfiguration =
            parse_json(src, "image config", &entry.config, &config_bytes)?;
        let names = entry
            .repo_tags
            .unwrap_or_default()
            .iter()
            .map(|t| Ok(Name::parse(t)?.normalized(DefaultDomain::DockerHub)))
            .collect::<Result<Vec<_>, ImageError>>()?;
        let config_json = utf8(src, "image config", config_bytes)?;
        // Every layer is read and checked even when the image is already stored (issue 12):
        // what the archive holds must be what its config says, or the load fails.
        let diff_ids = config.rootfs().diff_ids();
        if diff_ids.len() != entry.layers.len() {
            return Err(invalid(
                src,
                "docker-archive manifest",
                format!(
                    "'{}' lists {} layers, its config {} diff ids",
                    entry.config,
                    entry.layers.len(),
                    diff_ids.len()
                ),
            ));
        }
        let stored = staging.has_image(&config_digest)?;
        let mut layers = Vec::new();
        for (i, (name, diff_id)) in entry.layers.iter().zip(diff_ids).enumerate() {
            let Some(mut f) = src.open(name)? else {
                return Err(ImageError::MissingFile {
                    archive: src.archive().to_owned(),
                    name: name.clone(),
                });
            };
            if stored {
                verify_layer(src, &mut f, None, diff_id, i, opts)?;
            } else {
                layers.push(store_layer(staging, src, &mut f, None, diff_id, i, opts)?);
            }
        }
        if stored {
            // The same config is the same image, its layers checked above: only the names
            // are new.
            let id = staging.commit_image(&NewImage {
                created: config.created().clone(),
                config: config_json,
                manifest: String::new(),
                layers: Vec::new(),
                names: names.clone(),
            })?;
            ids.push((id, names));
            continue;
        }
        let manifest = oci_spec::image::ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(descriptor(
                MediaType::ImageConfig,
                &config_digest,
                config_json.len() as u64,
            )?)
            .layers(
                layers
                    .iter()
                    .map(|l| {
                        descriptor(MediaType::from(l.media_type.as_str()), &l.blob, l.blob_size)
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )
            .build()
            .map_err(|e| invalid(src, "manifest", e.to_string()))?;
        let manifest_json = canonical_json("manifest", &manifest)?;
        let id = staging.commit_image(&NewImage {
            created: config.created().clone(),
            config: config_json,
            manifest: manifest_json,
            layers,
            names: names.clone(),
        })?;
        ids.push((id, names));
    }
    Ok(ids)
}

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const LAYER_TYPES: [&str; 6] = [
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
];

fn names_of(desc: &Descriptor) -> Result<Vec<String>, ImageError> {
    let Some(ann) = desc.annotations() else {
        return Ok(Vec::new());
    };
    if let Some(n) = ann.get("io.containerd.image.name") {
        return Ok(vec![Name::parse(n)?.normalized(DefaultDomain::DockerHub)]);
    }
    if let Some(n) = ann.get(oci_spec::image::ANNOTATION_REF_NAME) {
        return Ok(vec![Name::parse(n)?.normalized(DefaultDomain::Localhost)]);
    }
    Ok(Vec::new())
}

fn load_oci(
    staging: &Staging<'_>,
    src: &dyn Source,
    opts: &LoadOptions,
) -> Result<LoadedIds, ImageError> {
    if let Some(mut f) = src.open("oci-layout")? {
        let mut text = String::new();
        f.by_ref()
            .take(4096)
            .read_to_string(&mut text)
            .map_err(ImageError::io("read", src.archive().join("oci-layout")))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| ImageError::Json {
                archive: src.archive().to_owned(),
                what: "oci-layout file",
                name: "oci-layout".to_owned(),
                source,
            })?;
        let version = v
            .get("imageLayoutVersion")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if !version.starts_with("1.") {
            return Err(invalid(
                src,
                "oci-layout file",
                format!("unsupported imageLayoutVersion '{version}'"),
            ));
        }
    }
    let bytes = read_member(src, "index.json", opts.max_json_size)?;
    let index: ImageIndex = parse_json(src, "image index", "index.json", &bytes)?;
    let mut ids = Vec::new();
    for desc in index.manifests() {
        visit(staging, src, desc, names_of(desc)?, 0, opts, &mut ids)?;
    }
    Ok(ids)
}

fn visit(
    staging: &Staging<'_>,
    src: &dyn Source,
    desc: &Descriptor,
    names: Vec<String>,
    depth: usize,
    opts: &LoadOptions,
    ids: &mut LoadedIds,
) -> Result<(), ImageError> {
    let media = desc.media_type().to_string();
    if media == MediaType::ImageManifest.to_string() || media == DOCKER_MANIFEST {
        let id = load_manifest(staging, src, desc, names.clone(), opts)?;
        ids.push((id, names));
        return Ok(());
    }
    if media != MediaType::ImageIndex.to_string() && media != DOCKER_LIST {
        return Err(ImageError::UnsupportedMediaType {
            archive: src.archive().to_owned(),
            media_type: media,
        });
    }
    if depth >= 4 {
        return Err(invalid(src, "image index", "indexes are nested too deeply"));
    }
    let bytes = read_blob(src, desc, "image index", opts)?;
    let index: ImageIndex = parse_json(src, "image index", desc.digest().as_ref(), &bytes)?;
    let (os, arch) = host_platform();
    let chosen = index.manifests().iter().find(|d| {
        d.platform()
            .as_ref()
            .is_none_or(|p| *p.os() == os && *p.architecture() == arch)
    });
    let Some(chosen) = chosen else {
        return Err(ImageError::NoMatchingPlatform {
            archive: src.archive().to_owned(),
            os: "linux",
            arch: std::env::consts::ARCH,
        });
    };
    let mut all = names;
    all.extend(names_of(chosen)?);
    visit(staging, src, chosen, all, depth + 1, opts, ids)
}

fn load_manifest(
    staging: &Staging<'_>,
    src: &dyn Source,
    desc: &Descriptor,
    names: Vec<String>,
    opts: &LoadOptions,
) -> Result<String, ImageError> {
    let bytes = read_blob(src, desc, "manifest", opts)?;
    let manifest: ImageManifest = parse_json(src, "manifest", desc.digest().as_ref(), &bytes)?;
    let config_bytes = read_blob(src, manifest.config(), "image config", opts)?;
    let config: ImageConfiguration = parse_json(
        src,
        "image config",
        manifest.config().digest().as_ref(),
        &config_bytes,
    )?;
    let mut names = names;
    names.sort();
    names.dedup();
    // Every layer descriptor is checked (file type, size, digest, diff id) even when the image
    // is already stored (issue 12): a layout that lies about its blobs fails to load.
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != manifest.layers().len() {
        return Err(invalid(
            src,
            "manifest",
            format!(
                "{} lists {} layers, its config {} diff ids",
                desc.digest(),
                manifest.layers().len(),
                diff_ids.len()
            ),
        ));
    }
    let config_digest = sha256_of(src, manifest.config().digest())?;
    // Stored already: the layers are checked, not stored again, and only the names are new.
    let stored = staging.has_image(&config_digest)?;
    let mut layers = Vec::new();
    for (i, (layer, diff_id)) in manifest.layers().iter().zip(diff_ids).enumerate() {
        let media = layer.media_type().to_string();
        if !LAYER_TYPES.contains(&media.as_str()) {
            return Err(ImageError::UnsupportedMediaType {
                archive: src.archive().to_owned(),
                media_type: media,
            });
        }
        let digest = sha256_of(src, layer.digest())?;
        let name = format!("blobs/sha256/{}", digest.hex());
        let Some(mut f) = src.open(&name)? else {
            return Err(ImageError::MissingFile {
                archive: src.archive().to_owned(),
                name,
            });
        };
        let expected_blob = Some((&digest, layer.size()));
        if stored {
            verify_layer(src, &mut f, expected_blob, diff_id, i, opts)?;
            continue;
        }
        let mut new = store_layer(staging, src, &mut f, expected_blob, diff_id, i, opts)?;
        new.media_type = media;
        layers.push(new);
    }
    Ok(staging.commit_image(&NewImage {
        created: config.created().clone(),
        config: utf8(src, "image config", config_bytes)?,
        manifest: utf8(src, "manifest", bytes)?,
        layers,
        names,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_clean_to_keys() {
        assert_eq!(
            clean_name(b"./manifest.json").as_deref(),
            Some("manifest.json")
        );
        assert_eq!(
            clean_name(b"/blobs/sha256/ab").as_deref(),
            Some("blobs/sha256/ab")
        );
        assert_eq!(clean_name(b"../x"), None);
        assert_eq!(clean_name(b"./"), None);
    }

    #[test]
    fn symlinked_members_resolve_lexically() {
        let mut e = Extracted {
            archive: PathBuf::from("a.tar"),
            files: HashMap::new(),
            symlinks: HashMap::new(),
        };
        e.files
            .insert("abc/layer.tar".into(), PathBuf::from("/w/1"));
        e.symlinks
            .insert("xyz/layer.tar".into(), "abc/layer.tar".into());
        e.symlinks.insert("loop".into(), "loop".into());
        assert_eq!(e.resolve("./xyz/layer.tar"), Some(&PathBuf::from("/w/1")));
        assert_eq!(e.resolve("loop"), None);
        assert_eq!(e.resolve("missing"), None);
    }
}
