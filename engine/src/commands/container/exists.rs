//! `rpod container exists` and `rpod image exists`: exit 0 when it is there, 1 when it is not
//! (podman's codes), 125 when the store cannot be read; nothing is printed.

use crate::cli::family::ExistsArgs;
use rpod::exit::ExitStatus;
use rpod::image::{self, ImageError};
use rpod::storage::{StorageError, Store};

pub fn container(store: &Store, a: &ExistsArgs) -> anyhow::Result<ExitStatus> {
    match store.lookup_container(&a.name) {
        Ok(_) => Ok(ExitStatus::Success),
        Err(StorageError::ContainerNotFound { .. }) => Ok(ExitStatus::Missing),
        Err(e) => Err(e.into()),
    }
}

pub fn image(store: &Store, a: &ExistsArgs) -> anyhow::Result<ExitStatus> {
    match image::lookup(store, &a.name) {
        Ok(_) => Ok(ExitStatus::Success),
        Err(ImageError::NotFound { .. }) => Ok(ExitStatus::Missing),
        Err(e) => Err(e.into()),
    }
}
