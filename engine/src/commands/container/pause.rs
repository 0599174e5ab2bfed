//! `rpod pause` and `rpod unpause` (`--all`): the runtime freezes or thaws every process of the
//! container (the cgroup freezer); ps and inspect show `paused`.

use crate::cli::more::PauseArgs;
use crate::commands::usage;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

/// The containers named, or with `--all` every container in `state`.
fn targets<'a>(
    store: &'a Store,
    rt: &'a dyn Runtimes,
    a: &PauseArgs,
    state: ContainerState,
) -> anyhow::Result<Vec<Container<'a>>> {
    if a.all {
        if !a.containers.is_empty() {
            return Err(usage(
                "--all and containers cannot be used together",
                "name containers or use --all",
            ));
        }
        return Ok(Container::all(store, rt)?
            .into_iter()
            .filter(|c| c.record().state == state)
            .collect());
    }
    if a.containers.is_empty() {
        return Err(usage(
            "you must provide at least one container name or id",
            "or use --all",
        ));
    }
    a.containers
        .iter()
        .map(|n| Ok(Container::lookup(store, rt, n)?))
        .collect()
}

pub fn pause(store: &Store, rt: &dyn Runtimes, a: &PauseArgs) -> anyhow::Result<ExitStatus> {
    for (i, mut c) in targets(store, rt, a, ContainerState::Running)?
        .into_iter()
        .enumerate()
    {
        c.pause()?;
        // podman prints what the user typed, or the id for --all.
        println!("{}", a.containers.get(i).map_or(c.id(), String::as_str));
    }
    Ok(ExitStatus::Success)
}

pub fn unpause(store: &Store, rt: &dyn Runtimes, a: &PauseArgs) -> anyhow::Result<ExitStatus> {
    for (i, mut c) in targets(store, rt, a, ContainerState::Paused)?
        .into_iter()
        .enumerate()
    {
        c.unpause()?;
        println!("{}", a.containers.get(i).map_or(c.id(), String::as_str));
    }
    Ok(ExitStatus::Success)
}
