//! The errors of the image layer.

use std::io;
use std::path::PathBuf;

use crate::storage::{Digest, StorageError};

/// What can go wrong unpacking one layer. Entry paths are as written in the archive.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("cannot read the layer archive")]
    Read {
        #[source]
        source: io::Error,
    },

    #[error("the layer is compressed with {format}, which rpod does not support (only gzip)")]
    UnsupportedCompression { format: &'static str },

    #[error("entry '{}' escapes the layer root", entry.display())]
    Breakout { entry: PathBuf },

    #[error("hard link '{}' points outside the layer, to '{}'", entry.display(), target.display())]
    LinkBreakout { entry: PathBuf, target: PathBuf },

    #[error("hard link '{}' points to '{}', which is not in the layer", entry.display(), target.display())]
    LinkTargetMissing {
        entry: PathBuf,
        target: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("entry '{}' has {size} bytes, more than the limit of {limit}", entry.display())]
    EntryTooLarge {
        entry: PathBuf,
        size: u64,
        limit: u64,
    },

    #[error("the layer is larger than the limit of {limit} bytes uncompressed")]
    LayerTooLarge { limit: u64 },

    #[error("the layer has more than {limit} entries")]
    TooManyEntries { limit: u64 },

    #[error("entry '{}' has the unsupported type '{}'", entry.display(), char::from(*kind))]
    UnsupportedType { entry: PathBuf, kind: u8 },

    #[error("entry '{}' has an invalid owner {uid}:{gid}", entry.display())]
    InvalidOwner { entry: PathBuf, uid: u64, gid: u64 },

    #[error("entry '{}' is not a valid whiteout", entry.display())]
    InvalidWhiteout { entry: PathBuf },

    #[error("entry '{}' is the layer root but not a directory", entry.display())]
    RootNotDirectory { entry: PathBuf },

    #[error("entry '{}': cannot {action}", entry.display())]
    Io {
        action: &'static str,
        entry: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What can go wrong in the image layer.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Storage(#[from] StorageError),

    #[error("cannot unpack layer {layer}")]
    Unpack {
        layer: String,
        #[source]
        source: UnpackError,
    },

    #[error("invalid image name '{name}': {reason}")]
    InvalidName { name: String, reason: &'static str },

    #[error("{reference}: image not known")]
    NotFound { reference: String },

    #[error("'{reference}' matches more than one image: {}", candidates.join(", "))]
    Ambiguous {
        reference: String,
        candidates: Vec<String>,
    },

    #[error(
        "image {id} has several names ({}); remove them one by one or force the removal",
        names.join(", ")
    )]
    SeveralNames { id: String, names: Vec<String> },

    #[error("invalid --change '{change}': {reason}")]
    InvalidChange { change: String, reason: String },

    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{} is a {kind}, not a regular file", path.display())]
    NotRegularFile { path: PathBuf, kind: &'static str },

    #[error("'{name}' in {} is a symlink that leads outside the layout directory (or a /proc magic link); copy the file into the layout", archive.display())]
    OutsideLayout { archive: PathBuf, name: String },

    #[error("cannot read the archive {}", archive.display())]
    ArchiveRead {
        archive: PathBuf,
        #[source]
        source: UnpackError,
    },

    #[error("{} is neither a docker-archive, an oci-archive nor an OCI layout directory", path.display())]
    UnknownFormat { path: PathBuf },

    #[error("'{name}' is missing from {}", archive.display())]
    MissingFile { archive: PathBuf, name: String },

    #[error("'{name}' in {} is larger than the limit of {limit} bytes", archive.display())]
    FileTooLarge {
        archive: PathBuf,
        name: String,
        limit: u64,
    },

    #[error("invalid {what} '{name}' in {}", archive.display())]
    Json {
        archive: PathBuf,
        what: &'static str,
        name: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("invalid {what} in {}: {reason}", archive.display())]
    InvalidArchive {
        archive: PathBuf,
        what: &'static str,
        reason: String,
    },

    #[error("{what} in {} has digest {actual}, expected {expected}", archive.display())]
    DigestMismatch {
        archive: PathBuf,
        what: String,
        expected: String,
        actual: Digest,
    },

    #[error("{what} in {} has {actual} bytes, expected {expected}", archive.display())]
    SizeMismatch {
        archive: PathBuf,
        what: String,
        expected: u64,
        actual: u64,
    },

    #[error("layer {index} in {} has diff id {actual}, but the image config says {expected}", archive.display())]
    DiffIdMismatch {
        archive: PathBuf,
        index: usize,
        expected: String,
        actual: Digest,
    },

    #[error("unsupported media type '{media_type}' in {}", archive.display())]
    UnsupportedMediaType {
        archive: PathBuf,
        media_type: String,
    },

    #[error("no image for {os}/{arch} in {}", archive.display())]
    NoMatchingPlatform {
        archive: PathBuf,
        os: &'static str,
        arch: &'static str,
    },

    #[error("cannot serialize the image {what}")]
    Serialize {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl ImageError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> ImageError {
        let path = path.into();
        move |source| ImageError::Io {
            action,
            path,
            source,
        }
    }
}
