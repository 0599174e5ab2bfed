//! A new image from an existing one plus one layer (`rpod commit`): the parent's layers, the
//! new layer on top, the config the caller gives with `--change` instructions applied
//! ([`super::import::apply_changes`], the same rules as `import`), and one history entry.

use std::io::Read;
use std::time::SystemTime;

use oci_spec::image::{Config, HistoryBuilder, ImageManifest, ImageManifestBuilder, MediaType};

use super::import::{apply_changes, descriptor};
use super::{
    add_layer, canonical_json, layer_media_type, lookup, normalize_name, DefaultDomain, Image,
    ImageError, Limits,
};
use crate::storage::{Digest, NewImage, NewLayer, Staging, Store};
use crate::time;

/// The manifest and config format of a committed image (`commit --format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImageFormat {
    /// OCI image manifest v1 (podman's default).
    #[default]
    Oci,
    /// Docker image manifest v2, schema 2 (podman's `--format docker`): the Docker media
    /// types for the manifest, the config and the layers, and the config's `comment`.
    Docker,
}

/// Docker v2 schema 2 media types (the Docker registry's image manifest spec), as podman's
/// `--format docker` writes them (containers/image `manifest.DockerV2Schema2*`).
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";
const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A layer's media type in `format` (the same blob: only the name of its type differs).
fn layer_type(format: ImageFormat, media_type: &str) -> String {
    match (format, media_type) {
        (ImageFormat::Docker, OCI_LAYER) => DOCKER_LAYER.to_owned(),
        (ImageFormat::Docker, OCI_LAYER_GZIP) => DOCKER_LAYER_GZIP.to_owned(),
        (ImageFormat::Oci, DOCKER_LAYER) => OCI_LAYER.to_owned(),
        (ImageFormat::Oci, DOCKER_LAYER_GZIP) => OCI_LAYER_GZIP.to_owned(),
        (_, other) => other.to_owned(),
    }
}

/// Options of [`commit`].
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// The manifest and config format.
    pub format: ImageFormat,
    /// The config's `comment` (Docker format only: the OCI config has no such field).
    pub comment: Option<String>,
    /// `NAME[:TAG]`; short names get `localhost/`. `None` leaves the image unnamed.
    pub reference: Option<String>,
    /// `--change` instructions, applied in order over the config given.
    pub changes: Vec<String>,
    /// `--message`: the history entry's comment.
    pub message: Option<String>,
    /// `--author`: the config's and the history entry's author.
    pub author: Option<String>,
    /// The history entry's `created_by`.
    pub created_by: String,
    pub limits: Limits,
}

/// Stores the image `parent` plus the layer tar `layer`, with `config` (the process settings)
/// and the options' changes.
///
/// # Errors
/// An invalid name or change (before anything is read), a layer the unpacker refuses, a
/// storage error.
pub fn commit(
    store: &Store,
    parent: &Image,
    config: Config,
    layer: &mut dyn Read,
    opts: &CommitOptions,
) -> Result<Image, ImageError> {
    let names = match &opts.reference {
        Some(r) => vec![normalize_name(r, DefaultDomain::Localhost)?],
        None => Vec::new(),
    };
    let mut config = config;
    apply_changes(&mut config, &opts.changes)?;
    let staging = store.staging()?;
    let result = commit_with(&staging, parent, config, layer, opts, names);
    drop(staging);
    match result {
        Ok(id) => lookup(store, &id),
        Err(e) => {
            // Best effort, as import: the blob stored for a refused layer is garbage.
            let _ = store.gc();
            Err(e)
        }
    }
}

fn commit_with(
    staging: &Staging<'_>,
    parent: &Image,
    config: Config,
    layer: &mut dyn Read,
    opts: &CommitOptions,
    names: Vec<String>,
) -> Result<String, ImageError> {
    let blob = staging.put_blob(layer, None)?;
    let media_type = layer_media_type(&blob.path)?;
    let (diff_id, _size) = add_layer(staging, &blob, None, &opts.limits)?;
    let oci_err = |what: &'static str| {
        move |e: oci_spec::OciSpecError| ImageError::InvalidChange {
            change: what.to_owned(),
            reason: e.to_string(),
        }
    };

    let created = time::format_rfc3339(SystemTime::now());
    let mut image_config = parent.config.clone();
    image_config.set_config(Some(config));
    image_config.set_created(Some(created.clone()));
    if let Some(a) = &opts.author {
        image_config.set_author(Some(a.clone()));
    }
    let mut rootfs = image_config.rootfs().clone();
    let mut diff_ids = rootfs.diff_ids().clone();
    diff_ids.push(diff_id.to_string());
    rootfs.set_diff_ids(diff_ids);
    image_config.set_rootfs(rootfs);
    let mut history = HistoryBuilder::default()
        .created(created.clone())
        .created_by(opts.created_by.clone());
    if let Some(m) = &opts.message {
        history = history.comment(m.clone());
    }
    if let Some(a) = &opts.author {
        history = history.author(a.clone());
    }
    let mut all_history = image_config.history().clone().unwrap_or_default();
    all_history.push(history.build().map_err(oci_err("history"))?);
    image_config.set_history(Some(all_history));
    let config_json = match (opts.format, &opts.comment) {
        (ImageFormat::Docker, Some(comment)) => {
            let mut v =
                serde_json::to_value(&image_config).map_err(|source| ImageError::Serialize {
                    what: "config",
                    source,
                })?;
            v["comment"] = serde_json::Value::from(comment.clone());
            canonical_json("config", &v)?
        }
        _ => canonical_json("config", &image_config)?,
    };
    let config_digest = Digest::of_bytes(config_json.as_bytes());

    let parent_manifest: ImageManifest =
        serde_json::from_str(parent.manifest_json()).map_err(|source| ImageError::Json {
            archive: "the store".into(),
            what: "stored image manifest",
            name: parent.id.clone(),
            source,
        })?;
    let mut layers = parent_manifest.layers().clone();
    layers.push(descriptor(
        MediaType::from(media_type),
        &blob.digest,
        blob.size,
    )?);
    for l in &mut layers {
        let t = layer_type(opts.format, l.media_type().as_ref());
        l.set_media_type(MediaType::from(t.as_str()));
    }
    let (manifest_type, config_type) = match opts.format {
        ImageFormat::Oci => (MediaType::ImageManifest, MediaType::ImageConfig),
        ImageFormat::Docker => (
            MediaType::from(DOCKER_MANIFEST),
            MediaType::from(DOCKER_CONFIG),
        ),
    };
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(manifest_type)
        .config(descriptor(
            config_type,
            &config_digest,
            config_json.len() as u64,
        )?)
        .layers(layers)
        .build()
        .map_err(oci_err("manifest"))?;
    let manifest_json = canonical_json("manifest", &manifest)?;

    let mut new_layers: Vec<NewLayer> = parent
        .layers
        .iter()
        .map(|l| NewLayer {
            diff_id: l.diff_id.clone(),
            blob: l.blob.clone(),
            media_type: layer_type(opts.format, &l.media_type),
            blob_size: l.blob_size,
        })
        .collect();
    new_layers.push(NewLayer {
        diff_id,
        blob: blob.digest.clone(),
        media_type: layer_type(opts.format, media_type),
        blob_size: blob.size,
    });
    Ok(staging.commit_image(&NewImage {
        config: config_json,
        manifest: manifest_json,
        created: Some(created),
        layers: new_layers,
        names,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_types_follow_the_format_and_keep_the_compression() {
        assert_eq!(layer_type(ImageFormat::Docker, OCI_LAYER), DOCKER_LAYER);
        assert_eq!(
            layer_type(ImageFormat::Docker, OCI_LAYER_GZIP),
            DOCKER_LAYER_GZIP
        );
        assert_eq!(
            layer_type(ImageFormat::Oci, DOCKER_LAYER_GZIP),
            OCI_LAYER_GZIP
        );
        assert_eq!(layer_type(ImageFormat::Oci, OCI_LAYER), OCI_LAYER);
    }
}
