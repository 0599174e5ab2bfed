//! `rpod start`: created (or initialized) containers, detached through their monitor, or with
//! `-a` in the foreground (their output here, their exit code rpod's). `--all` starts every
//! created container `--filter` accepts (`--filter` alone implies `--all`); a named exited
//! container runs again, as podman's; `--all` leaves exited ones.

use anyhow::Context as _;

use super::lifecycle::{is_missing, no_such_container};
use super::run::monitor_command;
use crate::cli::container::StartArgs;
use crate::commands::report::{self, Collect};
use crate::commands::usage;
use rpod::container::{self, Attach, Container};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

/// One `--filter KEY=VALUE` of `start --all`.
enum Filter {
    Id(String),
    /// podman's is a regular expression; rpod matches the text inside the name.
    Name(String),
    Status(String),
}

impl Filter {
    fn parse(kv: &str) -> anyhow::Result<Filter> {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| usage(format!("invalid filter {kv:?}"), "write KEY=VALUE"))?;
        Ok(match k {
            "id" => Filter::Id(v.to_string()),
            "name" => Filter::Name(v.to_string()),
            "status" => Filter::Status(v.to_string()),
            _ => {
                return Err(usage(
                    format!("{k} is an invalid filter"),
                    "rpod start --filter takes id, name and status",
                ))
            }
        })
    }

    fn key(&self) -> u8 {
        match self {
            Filter::Id(_) => 0,
            Filter::Name(_) => 1,
            Filter::Status(_) => 2,
        }
    }

    fn accepts(&self, c: &Container<'_>) -> bool {
        match self {
            Filter::Id(p) => c.id().starts_with(p.as_str()),
            Filter::Name(n) => c.name().contains(n.as_str()),
            Filter::Status(s) => c.record().state.as_str() == s,
        }
    }
}

/// As podman: values of one key are OR-ed, different keys AND-ed.
fn accepted(filters: &[Filter], c: &Container<'_>) -> bool {
    (0..3).all(|k| {
        let of_key: Vec<&Filter> = filters.iter().filter(|f| f.key() == k).collect();
        of_key.is_empty() || of_key.iter().any(|f| f.accepts(c))
    })
}

/// Created, or made ready by `rpod init`.
fn startable(state: ContainerState) -> bool {
    matches!(state, ContainerState::Created | ContainerState::Initialized)
}

pub fn start(store: &Store, rt: &dyn Runtimes, a: &StartArgs) -> anyhow::Result<ExitStatus> {
    if a.attach && a.containers.len() > 1 {
        // podman's words, with no hint line after them (scripts match podman's stderr).
        return Err(anyhow::anyhow!(
            "you cannot start and attach multiple containers at once"
        ));
    }
    let filters = a
        .filters
        .iter()
        .map(|f| Filter::parse(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // podman: --filter alone starts the containers it accepts, as with --all.
    let list: Vec<(String, Result<Container<'_>, container::Error>)> =
        if a.all || !filters.is_empty() {
            Container::all(store, rt)?
                .into_iter()
                .filter(|c| startable(c.record().state) && accepted(&filters, c))
                .map(|c| (c.id().to_string(), Ok(c)))
                .collect()
        } else {
            a.containers
                .iter()
                .map(|n| (n.clone(), Container::lookup(store, rt, n)))
                .collect()
        };
    let mut failed = Collect::default();
    let mut last = ExitStatus::Success;
    for (given, found) in list {
        let mut c = match found {
            Ok(c) => c,
            Err(e) if is_missing(&e) => {
                failed.fail(ExitStatus::RpodError, no_such_container(&given));
                continue;
            }
            Err(e) => {
                failed.fail(ExitStatus::RpodError, e);
                continue;
            }
        };
        let state = c.record().state;
        // An exited container runs again (podman): its record goes back to created once its
        // last monitor is gone.
        if matches!(state, ContainerState::Exited | ContainerState::Stopped) {
            c.wait_monitor_gone(std::time::Duration::from_secs(30))?;
            c.prepare_start()?;
        } else if state == ContainerState::Running && !a.attach {
            // podman: starting a running container does nothing and says so by its name.
            println!("{given}");
            continue;
        } else if !startable(state) {
            failed.fail(
                ExitStatus::RpodError,
                usage(
                    format!("container {} is {}, not created", c.name(), state.as_str()),
                    "only created containers can be started; `rpod run` makes a new one",
                ),
            );
            continue;
        }
        // A start by the user: a `stop`/`kill` before it no longer holds the restart policy
        // back, and the restart count starts from 0 (podman's).
        c.reset_restarts()?;
        report::info(format_args!("starting container {}", c.id()));
        if a.attach {
            let stdout = report::container_stdout().context("cannot open stdout")?;
            let attach = Attach::Foreground {
                stdin: a.interactive,
                stdout: Box::new(stdout),
                stderr: Box::new(std::io::stderr()),
            };
            // A start forgets the exec sessions of the last run (podman keeps them until then).
            c.exec_sessions().remove_all()?;
            c.join_dependencies()?;
            last = match c.run(attach, None) {
                Ok(status) => status,
                // The runtime could not start the command (126/127): podman says why and
                // exits with it.
                Err(e @ container::Error::CommandFailed { .. }) => {
                    let status = e.exit_status();
                    failed.fail(status, e);
                    status
                }
                Err(e) => return Err(e.into()),
            };
        } else {
            c.join_dependencies()?;
            c.start_detached(monitor_command(store, c.id())?)?;
            println!("{given}");
        }
    }
    failed.finish(last)
}
