//! `rpod rename OLD NEW`.

use crate::cli::more::RenameArgs;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

pub fn run(store: &Store, rt: &dyn Runtimes, a: &RenameArgs) -> anyhow::Result<ExitStatus> {
    let mut c = Container::lookup(store, rt, &a.container)?;
    c.rename(&a.name)?;
    Ok(ExitStatus::Success)
}
