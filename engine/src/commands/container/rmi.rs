//! `rpod rmi`, with podman's exit codes: 1 when an image is not there, 2 when containers use
//! it; each image is tried and the worst status kept. `--force` removes the containers that
//! use an image first, and a missing image is then no error; `--all` removes every image.

use super::lifecycle::is_missing;
use crate::cli::container::RmiArgs;
use crate::commands::report::{self, Collect};
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::image::{self, ImageError, Removal};
use rpod::runtime::Runtimes;
use rpod::storage::{StorageError, Store};

fn in_use(e: &ImageError) -> Option<&[String]> {
    match e {
        ImageError::Storage(StorageError::ImageInUse { containers, .. }) => Some(containers),
        _ => None,
    }
}

fn print(r: &Removal) {
    match r {
        Removal::Untagged { name, .. } => println!("Untagged: {name}"),
        Removal::Deleted(d) => {
            for n in &d.names {
                println!("Untagged: {n}");
            }
            println!("Deleted: {}", d.id);
        }
    }
}

pub fn rmi(store: &Store, rt: &dyn Runtimes, a: &RmiArgs) -> anyhow::Result<ExitStatus> {
    let refs: Vec<String> = if a.all {
        image::list(store)?.into_iter().map(|i| i.id).collect()
    } else {
        a.images.clone()
    };
    let mut failed = Collect::default();
    for r in &refs {
        report::info(format_args!("removing image {r}"));
        let mut result = image::remove(store, r, a.force);
        let users = result
            .as_ref()
            .err()
            .and_then(in_use)
            .map(<[String]>::to_vec);
        if let (true, Some(users)) = (a.force, users) {
            // podman's --force: the containers go first, running ones stopped.
            for id in &users {
                report::info(format_args!("removing container {id} that uses {r}"));
                match Container::lookup(store, rt, id) {
                    Ok(c) => c.remove(true)?,
                    Err(e) if is_missing(&e) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            result = image::remove(store, r, a.force);
        }
        match result {
            Ok(removal) => print(&removal),
            Err(ImageError::NotFound { .. }) if a.ignore || a.force => {
                report::debug(format_args!("ignoring missing image {r}"));
            }
            Err(e @ ImageError::NotFound { .. }) => failed.fail(ExitStatus::Missing, e),
            Err(e) => match in_use(&e) {
                Some(users) => failed.fail(
                    ExitStatus::InUse,
                    anyhow::anyhow!(
                        "image used by {}: image is in use by a container: consider listing external containers and force-removing image",
                        users.join(", ")
                    ),
                ),
                None => failed.fail(ExitStatus::RpodError, e),
            },
        }
    }
    failed.finish(ExitStatus::Success)
}
