//! `rpod commit`: a container's changes as a new image.

use anyhow::bail;

use crate::cli::fs::CommitArgs;
use rpod::container::{commit, Container};
use rpod::exit::ExitStatus;
use rpod::image::commit::CommitOptions;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

pub fn run(store: &Store, rt: &dyn Runtimes, a: &CommitArgs) -> anyhow::Result<ExitStatus> {
    let format = match a.format.as_str() {
        "docker" => rpod::image::commit::ImageFormat::Docker,
        "oci" => rpod::image::commit::ImageFormat::Oci,
        // podman's words.
        other => bail!("unrecognized image format \"{other}\""),
    };
    // podman 4.3 refuses -m with the OCI format, its default: the OCI config has no comment.
    if a.message.is_some() && format == rpod::image::commit::ImageFormat::Oci {
        bail!("messages are only compatible with the docker image format (-f docker)");
    }
    let mut c = Container::lookup(store, rt, &a.container)?;
    // The comment is podman's "FROM <image>".
    let from = store
        .image(c.record().image_id.as_deref().unwrap_or_default())?
        .and_then(|i| i.names.first().cloned())
        .or_else(|| c.record().image_id.clone())
        .unwrap_or_default();
    let opts = CommitOptions {
        format,
        comment: a.message.clone(),
        reference: a.image.clone(),
        changes: a.changes.clone(),
        message: Some(format!("FROM {from}")),
        author: a.author.clone(),
        // podman's, for a commit.
        created_by: "/bin/sh".to_owned(),
        ..CommitOptions::default()
    };
    // -p: freeze a running container while its changes are read, so
    // the layer is one moment's state; thaw it after, whether the commit worked or not.
    let paused = a.pause && c.record().state == ContainerState::Running;
    if paused {
        c.pause()?;
    }
    let made = commit::commit(&c, &opts);
    if paused {
        c.unpause()?;
    }
    let img = made?;
    // podman prints the new image's id (its progress lines, which -q hides, go to stderr).
    println!("{}", img.id);
    Ok(ExitStatus::Success)
}
