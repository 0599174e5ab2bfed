//! `rpod init [--all] CONTAINER...`: created containers made ready to start (state
//! `initialized`); `start` then starts them. See [`rpod::container::Container::init`] for what
//! rpod's init does before the runtime is asked.

use super::lifecycle::{is_missing, no_such_container};
use crate::cli::more::InitArgs;
use crate::commands::usage;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

pub fn run(store: &Store, rt: &dyn Runtimes, a: &InitArgs) -> anyhow::Result<ExitStatus> {
    if a.all {
        if !a.containers.is_empty() {
            return Err(usage(
                "--all and containers cannot be used together",
                "name containers or use --all",
            ));
        }
        for mut c in Container::all(store, rt)? {
            if c.record().state == ContainerState::Created {
                c.init()?;
                // podman prints the id for --all.
                println!("{}", c.id());
            }
        }
        return Ok(ExitStatus::Success);
    }
    if a.containers.is_empty() {
        return Err(usage(
            "you must provide at least one container name or id",
            "or use --all",
        ));
    }
    for given in &a.containers {
        let mut c = match Container::lookup(store, rt, given) {
            Err(e) if is_missing(&e) => return Err(no_such_container(given)),
            other => other?,
        };
        c.init()?;
        println!("{given}");
    }
    Ok(ExitStatus::Success)
}
