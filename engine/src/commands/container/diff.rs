//! `rpod diff`: what a container changed, or what an image's top layer changed.

use anyhow::bail;

use crate::cli::fs::{DiffArgs, DiffFormat};
use rpod::container::changes::{self, Change, ChangesJson};
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::image;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

fn container_changes(c: &Container<'_>, store: &Store) -> anyhow::Result<Vec<Change>> {
    let Some(image_id) = &c.record().image_id else {
        bail!(
            "container {} has no image of rpod's to compare with",
            c.name()
        );
    };
    let mut lowers = store.layer_dirs(image_id)?;
    lowers.reverse();
    Ok(changes::container_changes(&c.paths().upper, &lowers)?)
}

pub fn run(store: &Store, rt: &dyn Runtimes, a: &DiffArgs) -> anyhow::Result<ExitStatus> {
    // A container first, then an image, as podman.
    let list = match Container::lookup(store, rt, &a.name) {
        Ok(c) => container_changes(&c, store)?,
        Err(container_err) => match image::lookup(store, &a.name) {
            Ok(img) => {
                let mut layers = store.layer_dirs(&img.id)?;
                let Some(top) = layers.pop() else {
                    bail!("image {} has no layers", a.name);
                };
                layers.reverse();
                changes::changes(&top, &layers)?
            }
            Err(image::ImageError::NotFound { .. }) => {
                // podman's words: it looks the name up as a layer last.
                bail!("{} not found: layer not known", a.name)
            }
            Err(_) => return Err(container_err.into()),
        },
    };
    match a.format {
        DiffFormat::Text => {
            for c in &list {
                println!("{} {}", c.kind.letter(), c.path);
            }
        }
        DiffFormat::Json => {
            let j = ChangesJson::from_changes(&list);
            // podman indents its JSON by five spaces.
            let mut out = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"     ");
            serde::Serialize::serialize(
                &j,
                &mut serde_json::Serializer::with_formatter(&mut out, fmt),
            )?;
            println!("{}", String::from_utf8_lossy(&out));
        }
    }
    Ok(ExitStatus::Success)
}
