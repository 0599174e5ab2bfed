//! `rpod restart [-t N] [--all] [--running] CONTAINER...`: stop (SIGTERM, SIGKILL after
//! `-t`), wait for the old monitor to finish its cleanup, then start a new monitor.

use std::time::Duration;

use crate::cli::more::RestartArgs;
use crate::commands::usage;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

pub fn run(store: &Store, rt: &dyn Runtimes, a: &RestartArgs) -> anyhow::Result<ExitStatus> {
    let list: Vec<(String, Container<'_>)> = if a.all || a.running {
        if !a.containers.is_empty() {
            return Err(usage(
                "--all and containers cannot be used together",
                "name containers or use --all",
            ));
        }
        Container::all(store, rt)?
            .into_iter()
            .filter(|c| !a.running || c.is_running())
            .map(|c| (c.id().to_string(), c))
            .collect()
    } else {
        if a.containers.is_empty() {
            return Err(usage(
                "you must provide at least one container name or id",
                "or use --all",
            ));
        }
        a.containers
            .iter()
            .map(|n| Ok((n.clone(), Container::lookup(store, rt, n)?)))
            .collect::<anyhow::Result<_>>()?
    };
    for (shown, mut c) in list {
        // Without -t, the container's own --stop-timeout, as podman's restart (10 s unless set).
        let timeout = a.time.map_or_else(|| c.stop_timeout(), Duration::from_secs);
        let stopped = c.stop_reporting(timeout)?;
        super::stop::warn_killed(&c, stopped, timeout);
        // The old monitor unmounts after the exit: the new one must not mount before that.
        c.wait_monitor_gone(Duration::from_secs(30))?;
        c.prepare_start()?;
        c.start_detached(super::run::monitor_command(store, c.id())?)?;
        c.event("restart");
        println!("{shown}");
    }
    Ok(ExitStatus::Success)
}
