//! The errors of the storage layer.

use std::io;
use std::path::PathBuf;

use super::digest::{Digest, InvalidDigest};

/// What can go wrong in [`Store`](super::Store) and its configuration.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot create {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot open the state database {path}")]
    OpenDb {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "the state database {path} has schema version {found}; this rpod understands versions up to {supported}"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("cannot {action} in the state database")]
    Db {
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    #[error("cannot lock the store at {path}")]
    Lock {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(transparent)]
    InvalidDigest(#[from] InvalidDigest),

    #[error("{what} has digest {actual}, expected {expected}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },

    #[error("no image with id {id}")]
    ImageNotFound { id: String },

    #[error("image {id} is in use by container(s) {}", containers.join(", "))]
    ImageInUse { id: String, containers: Vec<String> },

    #[error("layer {diff_id} is not in the store")]
    LayerMissing { diff_id: Digest },

    #[error("cannot read the config file {path}")]
    ConfigRead {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("invalid config file {path}")]
    ConfigParse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },

    #[error("'{key}' in {path} must be an absolute path, not '{}'", value.display())]
    ConfigRelativePath {
        path: PathBuf,
        key: &'static str,
        value: PathBuf,
    },

    #[error("invalid container id '{id}': expected 64 lowercase hex digits")]
    InvalidContainerId { id: String },

    #[error("the container name '{name}' is already in use")]
    ContainerNameInUse { name: String },

    #[error("a container with id {id} already exists")]
    ContainerIdInUse { id: String },

    #[error("no container with name or id '{reference}'")]
    ContainerNotFound { reference: String },

    #[error("'{prefix}' matches more than one container: {}", matches.join(", "))]
    ContainerAmbiguous {
        prefix: String,
        matches: Vec<String>,
    },

    #[error("container {id} has the unknown state '{value}' in the state database")]
    UnknownContainerState { id: String, value: String },

    #[error("{what} of container {id} is out of range")]
    TimeOutOfRange { id: String, what: &'static str },
}

impl StorageError {
    pub(crate) fn db(action: &'static str) -> impl FnOnce(rusqlite::Error) -> StorageError {
        move |source| StorageError::Db { action, source }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> StorageError {
        let path = path.into();
        move |source| StorageError::Io {
            action,
            path,
            source,
        }
    }
}
