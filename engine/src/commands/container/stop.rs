//! `rpod stop`: SIGTERM, then SIGKILL after `--time`, with podman's warning when it comes to
//! that; the names as given are printed (full ids with `--all`).

use std::time::Duration;

use super::lifecycle::{is_missing, no_such_container, targets};
use crate::cli::container::StopArgs;
use crate::commands::report::{self, Collect};
use rpod::container::Stopped;
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
                // As podman: -t 0 asks for SIGKILL, no warning then.
                if stopped == Stopped::Killed && !timeout.is_zero() {
                    report::warn(format_args!(
                        "StopSignal SIGTERM failed to stop container {} in {} seconds, resorting to SIGKILL",
                        c.name(),
                        timeout.as_secs()
                    ));
                }
                println!("{given}");
            }
            Err(e) => failed.fail(ExitStatus::RpodError, e),
        }
    }
    failed.finish(ExitStatus::Success)
}
