//! `rpod stop`: SIGTERM, then SIGKILL after `--time`, with podman's warning when it comes to
//! that; the names as given are printed (full ids with `--all`).

use std::time::Duration;

use super::lifecycle::{is_missing, no_such_container, targets};
use crate::cli::container::StopArgs;
use crate::commands::report::{self, Collect};
use rpod::container::{Container, Stopped};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

pub fn stop(store: &Store, rt: &dyn Runtimes, a: &StopArgs) -> anyhow::Result<ExitStatus> {
    let found = targets(store, rt, &a.containers, &a.cidfiles, a.all, |c| {
        c.is_running()
    })?;
    // As podman: a missing container (without --ignore) stops the command before any other
    // is stopped, with its 125.
    let mut ready = Vec::new();
    for t in found {
        match t.found {
            Ok(c) => ready.push((t.given, c)),
            Err(e) if is_missing(&e) && a.ignore => {
                report::debug(format_args!("ignoring missing container {}", t.given));
            }
            Err(e) if is_missing(&e) => return Err(no_such_container(&t.given)),
            Err(e) => return Err(e.into()),
        }
    }
    let mut failed = Collect::default();
    for (given, mut c) in ready {
        report::info(format_args!("stopping container {}", c.id()));
        let timeout = a.time.map_or_else(|| c.stop_timeout(), Duration::from_secs);
        match c.stop_reporting(timeout) {
            Ok(stopped) => {
                warn_killed(&c, stopped, timeout);
                println!("{given}");
            }
            Err(e) => failed.fail(ExitStatus::RpodError, e),
        }
    }
    failed.finish(ExitStatus::Success)
}

/// podman's warning when the stop signal was not enough and SIGKILL ended the container
/// (`stop`, `rm -f`, `restart`), naming the signal sent: podman 4.3.1 prints "StopSignal
/// SIGUSR1 failed to stop container s1 in 1 seconds, resorting to SIGKILL" for
/// `--stop-signal SIGUSR1`. As podman, `-t 0` asks for SIGKILL: no warning then.
pub(super) fn warn_killed(c: &Container<'_>, stopped: Stopped, timeout: Duration) {
    if stopped == Stopped::Killed && !timeout.is_zero() {
        report::warn(format_args!(
            "StopSignal {} failed to stop container {} in {} seconds, resorting to SIGKILL",
            c.stop_signal().as_str(),
            c.name(),
            timeout.as_secs()
        ));
    }
}
