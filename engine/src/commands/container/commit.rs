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
    // podman 4.3 refuses -m with its default OCI format ("messages are only compatible with
    // the docker image format"); rpod stores OCI only and keeps the message as the history
    // entry's comment, where `import -m` puts it too. Without -m the comment is podman's
    // "FROM <image>".
    let from = store
        .image(c.record().image_id.as_deref().unwrap_or_default())?
        .and_then(|i| i.names.first().cloned())
        .or_else(|| c.record().image_id.clone())
        .unwrap_or_default();
    let opts = CommitOptions {
        reference: a.image.clone(),
        changes: a.changes.clone(),
        message: Some(a.message.clone().unwrap_or(format!("FROM {from}"))),
        author: a.author.clone(),
        // podman's, for a commit.
        created_by: "/bin/sh".to_owned(),
        ..CommitOptions::default()
    };
    let img = commit::commit(&c, &opts)?;
    // podman prints the new image's id (its progress lines, which -q hides, go to stderr).
    println!("{}", img.id);
    Ok(ExitStatus::Success)
}
