//! `rpod port [--all] [CONTAINER [PORT]]`: rpod publishes no ports yet (its networks are
//! `none` and `host`), so every container has no mappings and nothing is printed, as podman
//! prints nothing for a container without published ports.

use crate::cli::more::PortArgs;
use crate::commands::usage;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

pub fn run(store: &Store, rt: &dyn Runtimes, a: &PortArgs) -> anyhow::Result<ExitStatus> {
    match (&a.container, a.all) {
        (Some(_), true) => Err(usage(
            "the --all option and a container cannot be used together",
            "rpod port CONTAINER or rpod port --all",
        )),
        (None, false) => Err(usage(
            "you must supply a running container name or id",
            "rpod port CONTAINER or rpod port --all",
        )),
        (Some(name), false) => {
            Container::lookup(store, rt, name)?;
            Ok(ExitStatus::Success)
        }
        (None, true) => Ok(ExitStatus::Success),
    }
}
