//! `rpod rm`, with podman's semantics: every name is looked up first and a missing one stops
//! the command before anything is removed (exit 1; `--ignore` and `--force` skip it); then each
//! container is removed, an error reported and the rest still removed, and the command ends
//! with the worst status: 2 for a running container without `--force`.

use std::time::Duration;

use super::lifecycle::{is_missing, no_such_container, targets};
use crate::cli::container::RmArgs;
use crate::commands::report::{self, Collect};
use crate::commands::usage;
use rpod::container::{self, Stopped};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

const NO_SUCH: ExitStatus = ExitStatus::Missing;
const IN_USE: ExitStatus = ExitStatus::InUse;

pub fn rm(store: &Store, rt: &dyn Runtimes, a: &RmArgs) -> anyhow::Result<ExitStatus> {
    if a.time.is_some() && !a.force {
        return Err(usage(
            "--force option must be specified to use the --time option",
            "rpod rm -f -t SECONDS NAME stops a running container first",
        ));
    }
    let found = targets(store, rt, &a.containers, &a.cidfiles, a.all, |_| true)?;
    let mut ready = Vec::new();
    for t in found {
        match t.found {
            Ok(c) => ready.push((t.given, c)),
            Err(e) if is_missing(&e) => {
                if a.ignore || a.force {
                    report::debug(format_args!("ignoring missing container {}", t.given));
                    continue;
                }
                // podman looks every name up before it removes anything.
                return Err(report::Failures {
                    status: NO_SUCH,
                    errors: vec![no_such_container(&t.given)],
                }
                .into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut failed = Collect::default();
    // --depend: each container's dependents first, deepest first, printed by id as podman does.
    let ready = if a.depend {
        with_dependents(store, rt, ready)?
    } else {
        ready
    };
    for (given, c) in ready {
        // A container others join: podman's refusal (125) while they exist.
        let deps = rpod::container::depend::dependents(store, c.id())?;
        if !deps.is_empty() {
            let ids: Vec<&str> = deps.iter().map(|d| d.id.as_str()).collect();
            failed.fail(
                ExitStatus::RpodError,
                anyhow::anyhow!(
                    "container {} has dependent containers which must be removed before it: {}: container already exists",
                    c.id(),
                    ids.join(", ")
                ),
            );
            continue;
        }
        let (id, name) = (c.id().to_string(), c.name().to_string());
        report::info(format_args!("removing container {id}"));
        // -v: its anonymous volumes go with it (named ones stay, as podman).
        let volumes = a
            .volumes
            .then(|| c.meta().map(|m| m.volumes).unwrap_or_default());
        // Without -t, the container's own --stop-timeout (podman's default 10 s).
        let timeout = a.time.map_or_else(|| c.stop_timeout(), Duration::from_secs);
        let how = if c.record().state == rpod::storage::ContainerState::Paused {
            "paused"
        } else {
            "running"
        };
        let signal = c.stop_signal();
        match c.remove_stopping(a.force, timeout) {
            Ok(stopped) => {
                if let Some(v) = volumes {
                    if let Err(e) = rpod::volume::remove_anonymous(store, &v) {
                        failed.fail(ExitStatus::RpodError, anyhow::Error::from(container::Error::from(e)));
                    }
                }
                // As podman: -t 0 asks for SIGKILL, no warning then.
                if stopped == Stopped::Killed && !timeout.is_zero() {
                    report::warn(format_args!(
                        "StopSignal {} failed to stop container {name} in {} seconds, resorting to SIGKILL",
                        signal.as_str(),
                        timeout.as_secs()
                    ));
                }
                println!("{given}");
            }
            Err(container::Error::RemoveRunning { .. }) => failed.fail(
                IN_USE,
                anyhow::anyhow!(
                    "cannot remove container {id} as it is {how} - running or paused containers cannot be removed without force: container state improper"
                ),
            ),
            Err(e) if is_missing(&e) => {
                if !(a.ignore || a.force) {
                    failed.fail(NO_SUCH, no_such_container(&given));
                }
            }
            Err(e) => failed.fail(ExitStatus::RpodError, e),
        }
    }
    failed.finish(ExitStatus::Success)
}

/// The containers to remove for `rm --depend`: every container's dependents (and theirs)
/// before it, each once, named by id.
fn with_dependents<'a>(
    store: &'a Store,
    rt: &'a dyn Runtimes,
    named: Vec<(String, container::Container<'a>)>,
) -> anyhow::Result<Vec<(String, container::Container<'a>)>> {
    fn visit<'a>(
        store: &'a Store,
        rt: &'a dyn Runtimes,
        c: container::Container<'a>,
        seen: &mut Vec<String>,
        out: &mut Vec<(String, container::Container<'a>)>,
    ) -> anyhow::Result<()> {
        if seen.iter().any(|s| s == c.id()) {
            return Ok(());
        }
        seen.push(c.id().to_string());
        for d in rpod::container::depend::dependents(store, c.id())? {
            let dep = container::Container::reconciled(store, rt, d)?;
            visit(store, rt, dep, seen, out)?;
        }
        out.push((c.id().to_string(), c));
        Ok(())
    }
    let (mut seen, mut out) = (Vec::new(), Vec::new());
    for (_, c) in named {
        visit(store, rt, c, &mut seen, &mut out)?;
    }
    Ok(out)
}
