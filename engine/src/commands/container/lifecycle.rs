//! `rpod kill|mount|umount|container cleanup`, and what the lifecycle commands share: finding
//! the containers a command names (names, ids, `--cidfile`, `--all`) and podman's wording for
//! a container that is not there.

use std::path::PathBuf;

use crate::cli::container::{CleanupArgs, KillArgs, MountArgs};
use crate::commands::hinted;
use crate::commands::report::{self, Collect};
use rpod::container::{self, Container};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{StorageError, Store};

/// Whether `e` says the container does not exist.
pub fn is_missing(e: &container::Error) -> bool {
    matches!(
        e,
        container::Error::Storage(StorageError::ContainerNotFound { .. })
    )
}

/// podman's error for a container that is not there (scripts match on it).
pub fn no_such_container(reference: &str) -> anyhow::Error {
    anyhow::anyhow!("no container with name or ID \"{reference}\" found: no such container")
}

/// A container a command names, as the user named it (the full id for `--all`).
pub struct Target<'a> {
    pub given: String,
    pub found: Result<Container<'a>, container::Error>,
}

/// The ids in `--cidfile` files (the first line of each, trimmed).
///
/// # Errors
/// A file that cannot be read.
pub fn cidfile_ids(files: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    files
        .iter()
        .map(|f| {
            let text = crate::commands::io::read_flag_file(f, "--cidfile")?;
            Ok(text.lines().next().unwrap_or_default().trim().to_string())
        })
        .collect()
}

/// The containers named, each looked up (a missing one is an `Err` for the caller to judge),
/// or with `all`, every container `keep` accepts.
///
/// # Errors
/// Storage errors listing every container; an unreadable `--cidfile`.
pub fn targets<'a>(
    store: &'a Store,
    rt: &'a dyn Runtimes,
    names: &[String],
    cidfiles: &[PathBuf],
    all: bool,
    keep: impl Fn(&Container<'_>) -> bool,
) -> anyhow::Result<Vec<Target<'a>>> {
    if all {
        return Ok(Container::all(store, rt)?
            .into_iter()
            .filter(|c| keep(c))
            .map(|c| Target {
                given: c.id().to_string(),
                found: Ok(c),
            })
            .collect());
    }
    let mut given: Vec<String> = names.to_vec();
    given.extend(cidfile_ids(cidfiles)?);
    Ok(given
        .into_iter()
        .map(|g| {
            report::debug(format_args!("looking up container {g}"));
            let found = Container::lookup(store, rt, &g);
            Target { given: g, found }
        })
        .collect())
}

pub fn signal_of(s: &str) -> anyhow::Result<nix::sys::signal::Signal> {
    use std::str::FromStr as _;
    if let Ok(n) = s.parse::<i32>() {
        return nix::sys::signal::Signal::try_from(n).map_err(|e| {
            hinted(
                e,
                format!("invalid signal {s}"),
                "use a name (TERM) or a number (15)",
            )
        });
    }
    let upper = s.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    nix::sys::signal::Signal::from_str(&name).map_err(|e| {
        hinted(
            e,
            format!("invalid signal {s}"),
            "use a name (TERM) or a number (15)",
        )
    })
}

/// `rpod kill`: as podman, the names as given (full ids with `--all`); a missing container
/// is podman's 125, and the others are still signalled.
pub fn kill(store: &Store, rt: &dyn Runtimes, a: &KillArgs) -> anyhow::Result<ExitStatus> {
    let sig = signal_of(&a.signal)?;
    let mut failed = Collect::default();
    for t in targets(store, rt, &a.containers, &a.cidfiles, a.all, |c| {
        c.is_running()
    })? {
        let result = t.found.and_then(|mut c| {
            report::info(format_args!("sending {sig} to container {}", c.id()));
            c.kill(sig)
        });
        match result {
            Ok(()) => println!("{}", t.given),
            Err(e) if is_missing(&e) => {
                failed.fail(ExitStatus::RpodError, no_such_container(&t.given));
            }
            Err(e) => failed.fail(ExitStatus::RpodError, e),
        }
    }
    failed.finish(ExitStatus::Success)
}

/// `rpod mount`: mounts each container's root filesystem (a created or exited container's
/// too: nothing else mounts it for it) and prints where.
pub fn mount(store: &Store, rt: &dyn Runtimes, a: &MountArgs) -> anyhow::Result<ExitStatus> {
    for name in &a.containers {
        let c = Container::lookup(store, rt, name)?;
        report::debug(format_args!("mounting the root filesystem of {}", c.id()));
        println!("{}", c.mount()?.display());
    }
    Ok(ExitStatus::Success)
}

pub fn umount(store: &Store, rt: &dyn Runtimes, a: &MountArgs) -> anyhow::Result<ExitStatus> {
    for name in &a.containers {
        let mut c = Container::lookup(store, rt, name)?;
        c.unmount()?;
        println!("{name}");
    }
    Ok(ExitStatus::Success)
}

pub fn cleanup(store: &Store, rt: &dyn Runtimes, a: &CleanupArgs) -> anyhow::Result<ExitStatus> {
    Container::lookup(store, rt, &a.container)?.cleanup()?;
    Ok(ExitStatus::Success)
}
