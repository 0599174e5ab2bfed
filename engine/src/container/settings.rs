//! What `run`/`create` flags ask of the container's life besides its OCI spec: the restart
//! policy, how it is stopped, its time limit, labels and logging (podman 4.3.1's `--restart`,
//! `--stop-signal`, `--stop-timeout`, `--timeout`, `--label`, `--log-driver`, `--log-opt`,
//! `--rmi`). Kept in the record's [`super::Meta`]; the monitor ([`super::monitor`]) and
//! [`super::Container::stop`] act on them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `--restart`: when the monitor runs the container again after it exited. As in podman, a
/// container stopped by the user (`rpod stop`) is not restarted, and nothing is restarted after
/// a reboot (there is no daemon); `unless-stopped` is therefore the same as `always`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "policy")]
pub enum RestartPolicy {
    #[default]
    No,
    /// On a non-zero exit, at most `max` times (0: no limit).
    OnFailure {
        max: u32,
    },
    Always,
    UnlessStopped,
}

/// Why a `--restart` value is refused.
#[derive(Debug, thiserror::Error)]
pub enum RestartPolicyError {
    #[error("invalid restart policy '{value}': use no, on-failure[:max_retries], always or unless-stopped")]
    Unknown { value: String },
    #[error(
        "invalid restart policy '{value}': the maximum retry count must be a positive integer"
    )]
    Retries { value: String },
    #[error("invalid restart policy '{value}': restart attempts can only be set with on-failure")]
    RetriesWithoutOnFailure { value: String },
}

impl FromStr for RestartPolicy {
    type Err = RestartPolicyError;

    fn from_str(value: &str) -> Result<RestartPolicy, RestartPolicyError> {
        let (name, retries) = match value.split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (value, None),
        };
        let policy = match name {
            "" | "no" => RestartPolicy::No,
            "on-failure" => RestartPolicy::OnFailure {
                max: match retries {
                    None => 0,
                    Some(r) => r.parse().map_err(|_| RestartPolicyError::Retries {
                        value: value.into(),
                    })?,
                },
            },
            "always" => RestartPolicy::Always,
            "unless-stopped" => RestartPolicy::UnlessStopped,
            _ => {
                return Err(RestartPolicyError::Unknown {
                    value: value.into(),
                })
            }
        };
        if retries.is_some() && name != "on-failure" {
            return Err(RestartPolicyError::RetriesWithoutOnFailure {
                value: value.into(),
            });
        }
        Ok(policy)
    }
}

impl std::fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestartPolicy::No => f.write_str("no"),
            RestartPolicy::OnFailure { max: 0 } => f.write_str("on-failure"),
            RestartPolicy::OnFailure { max } => write!(f, "on-failure:{max}"),
            RestartPolicy::Always => f.write_str("always"),
            RestartPolicy::UnlessStopped => f.write_str("unless-stopped"),
        }
    }
}

impl RestartPolicy {
    /// The policy's name without the retry count (inspect's `RestartPolicy.Name`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure { .. } => "on-failure",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
        }
    }

    /// `on-failure:N`'s N (0 otherwise, or without a limit).
    #[must_use]
    pub fn max_retries(self) -> u32 {
        match self {
            RestartPolicy::OnFailure { max } => max,
            _ => 0,
        }
    }

    /// Whether a container that exited with `code`, restarted `count` times already and not
    /// stopped by the user, runs again (podman's `shouldRestart`).
    #[must_use]
    pub fn restarts(self, code: i32, count: u32, stopped_by_user: bool) -> bool {
        if stopped_by_user {
            return false;
        }
        match self {
            RestartPolicy::No => false,
            RestartPolicy::OnFailure { max } => code != 0 && (max == 0 || count < max),
            RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
        }
    }
}

/// `--log-driver`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogDriver {
    /// podman's k8s-file format in the container's log file.
    #[default]
    K8sFile,
    /// No log: the output is only shown to a foreground `run`.
    None,
    /// The container's stdio are the caller's own (nothing copies them, nothing is logged).
    Passthrough,
}

/// Why a `--log-driver` is refused.
#[derive(Debug, thiserror::Error)]
pub enum LogDriverError {
    #[error("the journald log driver is not available: rpod does not write to the systemd journal; use k8s-file (default), none or passthrough")]
    Journald,
    #[error("invalid log driver '{value}': use k8s-file, none or passthrough")]
    Unknown { value: String },
}

impl FromStr for LogDriver {
    type Err = LogDriverError;

    fn from_str(value: &str) -> Result<LogDriver, LogDriverError> {
        match value {
            "" | "k8s-file" => Ok(LogDriver::K8sFile),
            "none" => Ok(LogDriver::None),
            "passthrough" => Ok(LogDriver::Passthrough),
            "journald" => Err(LogDriverError::Journald),
            _ => Err(LogDriverError::Unknown {
                value: value.into(),
            }),
        }
    }
}

impl LogDriver {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LogDriver::K8sFile => "k8s-file",
            LogDriver::None => "none",
            LogDriver::Passthrough => "passthrough",
        }
    }
}

/// The life settings of a container (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub restart: RestartPolicy,
    /// `--stop-timeout`: seconds `stop` waits after the stop signal (podman's default 10).
    pub stop_timeout: Option<u64>,
    /// `--stop-signal`, as given (a name or a number); SIGTERM when `None`.
    pub stop_signal: Option<String>,
    /// `--timeout`: seconds the container may run before the monitor kills it.
    pub timeout: Option<u64>,
    /// `--label`/`--label-file`.
    pub labels: BTreeMap<String, String>,
    pub log_driver: LogDriver,
    /// `--log-opt max-size=`: the log is truncated when it would grow past this (conmon's
    /// `--log-size-max`).
    pub log_max_size: Option<u64>,
    /// `--log-opt tag=`.
    pub log_tag: Option<String>,
    /// `--rmi`: remove the image after the container (implies `--rm`).
    pub rmi: bool,
    /// `--systemd`.
    pub systemd: Option<String>,
    /// `--preserve-fds`.
    pub preserve_fds: u32,
}

/// podman's default `stop` timeout.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The file the number of restarts is kept in, in the container's directory.
pub(crate) fn restart_count_file(dir: &Path) -> PathBuf {
    dir.join("restart-count")
}

/// The marker `stop` leaves for the monitor, in the bundle directory: do not restart.
pub(crate) fn stopped_marker(bundle: &Path) -> PathBuf {
    bundle.join("stopped-by-user")
}

/// The number of times the monitor restarted the container (0 when never).
#[must_use]
pub fn restart_count(dir: &Path) -> u32 {
    std::fs::read_to_string(restart_count_file(dir))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies_parse_as_podmans() {
        assert_eq!("no".parse::<RestartPolicy>().unwrap(), RestartPolicy::No);
        assert_eq!(
            "on-failure:3".parse::<RestartPolicy>().unwrap(),
            RestartPolicy::OnFailure { max: 3 }
        );
        assert_eq!(
            "on-failure".parse::<RestartPolicy>().unwrap(),
            RestartPolicy::OnFailure { max: 0 }
        );
        assert!("always:3".parse::<RestartPolicy>().is_err());
        assert!("on-failure:-1".parse::<RestartPolicy>().is_err());
        assert!("sometimes".parse::<RestartPolicy>().is_err());
    }

    #[test]
    fn on_failure_counts_retries_and_a_user_stop_ends_every_policy() {
        let p = RestartPolicy::OnFailure { max: 2 };
        assert!(p.restarts(3, 0, false));
        assert!(p.restarts(3, 1, false));
        assert!(!p.restarts(3, 2, false));
        assert!(!p.restarts(0, 0, false));
        assert!(RestartPolicy::Always.restarts(0, 100, false));
        assert!(!RestartPolicy::Always.restarts(0, 0, true));
        assert!(!RestartPolicy::No.restarts(1, 0, false));
    }

    #[test]
    fn journald_is_refused_with_its_reason() {
        let e = "journald".parse::<LogDriver>().unwrap_err().to_string();
        assert!(e.contains("not available"), "{e}");
        assert_eq!("none".parse::<LogDriver>().unwrap(), LogDriver::None);
    }
}
