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
//! to write anything, so a hostile member name is harmless. When a docker-archive has both
//! `manifest.json` and `index.json` (newer `docker save`), `manifest.json` is used, for its names.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use serde::Deserialize;

use super::import::descriptor;
use super::reference::Name;
use super::unpack::{clean_path, decompress};
use super::{
    add_layer, canonical_json, host_platform, layer_media_type, lookup, DefaultDomain, Image,
    ImageError, Limits,
};
use crate::storage::{is_sha256_hex, Digest, NewImage, NewLayer, Staging, StorageError, Store};

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

/// Loads every image in the archive or layout directory at `path`; returns them in archive
/// order, each once.
///
/// # Errors
///
/// An unknown format, a missing or oversized member, a digest, size or diff id mismatch, an
/// unsupported media type, a refused layer, or a storage error.
pub fn load(store: &Store, path: &Path, opts: &LoadOptions) -> Result<Vec<Image>, ImageError> {
    let meta = fs::metadata(path).map_err(ImageError::io("read", path))?;
    let staging = store.staging()?;
    let ids = load_with(&staging, path, &meta, opts);
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
    let mut out: Vec<Image> = Vec::new();
    for id in ids {
        if !out.iter().any(|i| i.id == id) {
            out.push(lookup(store, &id)?);
        }
    }
    Ok(out)
}

fn load_with(
    staging: &Staging<'_>,
    path: &Path,
    meta: &fs::Metadata,
    opts: &LoadOptions,
) -> Result<Vec<String>, ImageError> {
    let ids = if meta.is_dir() {
        if !path.join("index.json").is_file() {
            return Err(ImageError::UnknownFormat {
                path: path.to_owned(),
            });
        }
        let src = DirSource {
            root: path.to_owned(),
        };
        load_oci(staging, &src, opts)?
    } else {
        let file = File::open(path).map_err(ImageError::io("open", path))?;
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
    };
    Ok(ids)
}

/// Where named members come from.
trait Source {
    fn archive(&self) -> &Path;
    /// `None` when there is no such member.
    fn open(&self, name: &str) -> Result<Option<File>, ImageError>;
}

struct DirSource {
    root: PathBuf,
}

impl Source for DirSource {
    fn archive(&self) -> &Path {
        &self.root
    }

    fn open(&self, name: &str) -> Result<Option<File>, ImageError> {
        let path = self.root.join(name);
        match File::open(&path) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ImageError::io("open", path)(e)),
        }
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
    let expected = Digest::parse(expected_diff_id).map_err(|_| {
        invalid(
            src,
            "image config",
            format!("diff id '{expected_diff_id}' is not a sha256 digest"),
        )
    })?;
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
    if let Some((_, size)) = expected_blob {
        if blob.size != size {
            return Err(ImageError::SizeMismatch {
                archive: src.archive().to_owned(),
                what: format!("layer {index}"),
                expected: size,
                actual: blob.size,
            });
        }
    }
    let media_type = layer_media_type(&blob.path)?;
    let (actual, _) = add_layer(staging, &blob, Some(&expected), &opts.limits)?;
    if actual != expected {
        return Err(ImageError::DiffIdMismatch {
            archive: src.archive().to_owned(),
            index,
            expected: expected_diff_id.to_owned(),
            actual,
        });
    }
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
) -> Result<Vec<String>, ImageError> {
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
        if staging.has_image(&config_digest)? {
            // The same config is the same image, layers and all: only the names are new.
            ids.push(staging.commit_image(&NewImage {
                created: config.created().clone(),
                config: config_json,
                manifest: String::new(),
                layers: Vec::new(),
                names,
            })?);
            continue;
        }
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
        let mut layers = Vec::new();
        for (i, (name, diff_id)) in entry.layers.iter().zip(diff_ids).enumerate() {
            let Some(mut f) = src.open(name)? else {
                return Err(ImageError::MissingFile {
                    archive: src.archive().to_owned(),
                    name: name.clone(),
                });
            };
            layers.push(store_layer(staging, src, &mut f, None, diff_id, i, opts)?);
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
        ids.push(staging.commit_image(&NewImage {
            created: config.created().clone(),
            config: config_json,
            manifest: manifest_json,
            layers,
            names,
        })?);
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
) -> Result<Vec<String>, ImageError> {
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
    ids: &mut Vec<String>,
) -> Result<(), ImageError> {
    let media = desc.media_type().to_string();
    if media == MediaType::ImageManifest.to_string() || media == DOCKER_MANIFEST {
        ids.push(load_manifest(staging, src, desc, names, opts)?);
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
    let config_digest = sha256_of(src, manifest.config().digest())?;
    if staging.has_image(&config_digest)? {
        // The same config is the same image, layers and all: only the names are new.
        return Ok(staging.commit_image(&NewImage {
            created: config.created().clone(),
            config: utf8(src, "image config", config_bytes)?,
            manifest: utf8(src, "manifest", bytes)?,
            layers: Vec::new(),
            names,
        })?);
    }
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
        let mut stored = store_layer(
            staging,
            src,
            &mut f,
            Some((&digest, layer.size())),
            diff_id,
            i,
            opts,
        )?;
        stored.media_type = media;
        layers.push(stored);
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
