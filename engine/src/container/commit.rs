//! `rpod commit`: a container's changes as a new image.
//!
//! The new image is the container's image plus one layer: the overlay upper dir as an OCI
//! layer ([`super::copy::layer_tar`]: whiteouts become `.wh.` files, opaque directories
//! `.wh..wh..opq`). The layer goes through the same unpacker as any layer, so what the
//! container wrote (a hostile tree) is checked like a pulled layer before it is stored.
//!
//! Its config is the image's with the container's process settings, as podman's commit takes
//! them (libpod `container_commit.go`): the environment and working directory of the OCI spec,
//! and the command line split back into the image's Entrypoint and a Cmd; then `--change`.

use std::io;

use oci_spec::image::Config;

use super::copy::{layer_tar, CopyError};
use super::{Container, Error};
use crate::image::commit::CommitOptions;
use crate::image::{self, Image, ImageError};

/// Why a commit failed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("container {name} has no image of rpod's to commit on")]
    NoImage { name: String },

    #[error(transparent)]
    Container(#[from] Error),

    #[error(transparent)]
    Image(#[from] ImageError),

    #[error("cannot archive the changes of container {name}")]
    Archive {
        name: String,
        #[source]
        source: Box<CopyError>,
    },
}

/// The config the new image starts from: the image's, with the container's settings.
fn container_config(c: &Container<'_>, parent: &Image) -> Config {
    let mut config = parent.config.config().clone().unwrap_or_default();
    let spec: serde_json::Value = std::fs::read_to_string(c.record().bundle.join("config.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let process = &spec["process"];
    if let Some(env) = process["env"].as_array() {
        // HOME and HOSTNAME are the engine's, set again at every run (bundle's environment):
        // podman's committed Env has neither unless the image or the user gave them.
        let image_env = config.env().clone().unwrap_or_default();
        let engine_set = |e: &str| {
            (e.starts_with("HOME=") || e.starts_with("HOSTNAME="))
                && !image_env.iter().any(|i| i == e)
        };
        config.set_env(Some(
            env.iter()
                .filter_map(|e| e.as_str())
                .filter(|e| !engine_set(e))
                .map(str::to_owned)
                .collect(),
        ));
    }
    if let Some(cwd) = process["cwd"].as_str() {
        config.set_working_dir(Some(cwd.to_owned()));
    }
    if let Ok(meta) = c.meta() {
        let entrypoint = config.entrypoint().clone().unwrap_or_default();
        match meta.command.strip_prefix(entrypoint.as_slice()) {
            Some(cmd) => {
                config.set_cmd(Some(cmd.to_vec()));
            }
            None => {
                // `--entrypoint` replaced the image's: the whole command line is the new Cmd.
                config.set_entrypoint(None);
                config.set_cmd(Some(meta.command.clone()));
            }
        }
    }
    config
}

/// Commits the container's changes as a new image.
///
/// # Errors
/// [`CommitError`].
pub fn commit(c: &Container<'_>, opts: &CommitOptions) -> Result<Image, CommitError> {
    let name = c.name().to_owned();
    let image_id = c
        .record()
        .image_id
        .clone()
        .ok_or_else(|| CommitError::NoImage { name: name.clone() })?;
    let parent = image::lookup(c.store, &image_id)?;
    let config = container_config(c, &parent);
    let archive_err = |source| CommitError::Archive {
        name: name.clone(),
        source: Box::new(source),
    };
    // The whole layer is written before any of it is stored: a tree that cannot be read to the
    // end must not become a truncated layer. An unnamed file in the store's file system, gone
    // with the process however it ends.
    let mut tar = tempfile::tempfile_in(c.store.root())
        .map_err(|e| archive_err(CopyError::WriteArchive(e)))?;
    {
        let mut w = io::BufWriter::with_capacity(1 << 16, &mut tar);
        layer_tar(&c.paths().upper, &mut w).map_err(archive_err)?;
        io::Write::flush(&mut w).map_err(|e| archive_err(CopyError::WriteArchive(e)))?;
    }
    io::Seek::rewind(&mut tar).map_err(|e| archive_err(CopyError::WriteArchive(e)))?;
    Ok(image::commit::commit(
        c.store, &parent, config, &mut tar, opts,
    )?)
}
