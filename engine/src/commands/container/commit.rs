//! `rpod commit`: a container's changes as a new image.

use anyhow::bail;

use crate::cli::fs::{CommitArgs, ImageFormat};
use rpod::container::{commit, Container};
use rpod::exit::ExitStatus;
use rpod::image::commit::CommitOptions;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

pub fn run(store: &Store, rt: &dyn Runtimes, a: &CommitArgs) -> anyhow::Result<ExitStatus> {
    if a.format == ImageFormat::Docker {
        // A docker-format image would need a second manifest and config format in the store.
        bail!("--format docker is not supported: rpod stores OCI images only (use --format oci)");
    }
    let c = Container::lookup(store, rt, &a.container)?;
    if a.pause && c.is_running() {
        bail!(
            "cannot pause container {} during the commit: rpod cannot pause containers yet (commit without -p)",
            c.name()
        );
    }
    let opts = CommitOptions {
        reference: a.image.clone(),
        changes: a.changes.clone(),
        message: a.message.clone(),
        author: a.author.clone(),
        created_by: format!("rpod commit {}", c.name()),
        ..CommitOptions::default()
    };
    let img = commit::commit(&c, &opts)?;
    // podman prints the new image's id (its progress lines, which -q hides, go to stderr).
    println!("{}", img.id);
    Ok(ExitStatus::Success)
}
