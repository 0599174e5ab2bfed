//! `rpod wait`: until each container reaches one of the `--condition` states, then its exit
//! code (-1 when it has none yet), polling every `--interval`.

use std::time::Duration;

use super::lifecycle::{is_missing, no_such_container};
use crate::cli::container::WaitArgs;
use crate::commands::report::Collect;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

/// The states a `--condition` name stands for. podman's `stopped` (after the process, before
/// cleanup) and `exited` are one state in rpod: either matches both.
fn states_of(condition: &str) -> anyhow::Result<Vec<ContainerState>> {
    Ok(match condition {
        "configured" => vec![ContainerState::Configured],
        "created" => vec![ContainerState::Created],
        "running" => vec![ContainerState::Running],
        "paused" => vec![ContainerState::Paused],
        "stopped" | "exited" => vec![ContainerState::Stopped, ContainerState::Exited],
        "removing" => vec![ContainerState::Removing],
        _ => anyhow::bail!("unknown container state: {condition}: invalid argument"),
    })
}

/// `--interval`: a Go duration (`250ms`), or milliseconds.
fn interval_of(v: &str) -> anyhow::Result<Duration> {
    if let Ok(ms) = v.parse::<u64>() {
        return Ok(Duration::from_millis(ms));
    }
    super::logs::go_duration(v).ok_or_else(|| {
        crate::commands::usage(
            format!("invalid --interval {v:?}"),
            "give a duration (250ms, 1s) or milliseconds",
        )
    })
}

pub fn wait(store: &Store, rt: &dyn Runtimes, a: &WaitArgs) -> anyhow::Result<ExitStatus> {
    let mut wanted = Vec::new();
    for c in &a.conditions {
        wanted.extend(states_of(c)?);
    }
    let every = interval_of(&a.interval)?;
    let mut failed = Collect::default();
    for name in &a.containers {
        let mut c = match Container::lookup(store, rt, name) {
            Ok(c) => c,
            Err(e) if is_missing(&e) && a.ignore => {
                println!("-1");
                continue;
            }
            Err(e) if is_missing(&e) => {
                failed.fail(ExitStatus::RpodError, no_such_container(name));
                continue;
            }
            Err(e) => {
                failed.fail(ExitStatus::RpodError, e);
                continue;
            }
        };
        loop {
            if !c.refresh()? {
                failed.fail(ExitStatus::RpodError, no_such_container(name));
                break;
            }
            if wanted.contains(&c.record().state) {
                println!("{}", c.record().exit_code.unwrap_or(-1));
                break;
            }
            std::thread::sleep(every);
        }
    }
    failed.finish(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_go_durations_or_milliseconds() {
        assert_eq!(
            interval_of("250ms").expect("ms"),
            Duration::from_millis(250)
        );
        assert_eq!(interval_of("2s").expect("s"), Duration::from_secs(2));
        assert_eq!(interval_of("100").expect("n"), Duration::from_millis(100));
        assert!(interval_of("soon").is_err());
    }

    #[test]
    fn unknown_conditions_are_podmans_error() {
        let e = states_of("bogus").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown container state: bogus: invalid argument"
        );
        assert!(states_of("stopped")
            .expect("s")
            .contains(&ContainerState::Exited));
    }
}
