//! Why an OCI runtime call failed, with the runtime's own words.

use std::path::PathBuf;

use profiles::bpf::Action;

use crate::hint::Hint;

/// An error from an OCI runtime (runc, crun) or from invoking it. `Failed` carries the
/// runtime's message (from its JSON log, else its stderr): runc's "seccomp: ..." or crun's
/// "executable file not found" is what the user needs to see.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "unknown OCI runtime '{name}': rpod knows runc and crun by name; give any other as a path"
    )]
    Unknown { name: String },

    #[error("OCI runtime {name} not found (looked in $PATH and {})", searched.join(", "))]
    NotFound { name: String, searched: Vec<String> },

    #[error("invalid container id '{id}': use letters, digits, '_', '+', '-' and '.', not starting with '.'")]
    InvalidId { id: String },

    #[error("cannot run {runtime} {op}")]
    Spawn {
        runtime: String,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error("{runtime} {op} {id} failed{}: {message}", status_text(*code))]
    Failed {
        runtime: String,
        op: &'static str,
        id: String,
        /// The runtime's exit code; `None` when it died of a signal.
        code: Option<i32>,
        message: String,
    },

    #[error("cannot parse the output of {runtime} state {id}: {output:?}")]
    State {
        runtime: String,
        id: String,
        output: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("cannot {what} {path}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The container's filter denies calls the runtime makes after installing it
    /// ([`super::handoff`]): the runtime would die before the command starts.
    #[error(
        "the seccomp profile {profile} denies {} of the {needed} syscalls {runtime} makes between installing the filter and starting the command: {}",
        denied.len(),
        list_denied(denied)
    )]
    HandoffDenied {
        runtime: &'static str,
        /// Where the profile came from (a path, or `default`).
        profile: String,
        /// How many calls the runtime's handoff has.
        needed: usize,
        denied: Vec<Denied>,
    },

    /// The handoff check ([`super::handoff::check`]) ran out of its search budget: the profile's
    /// argument rules are too many to analyse, and an unchecked profile could hang the runtime.
    #[error(
        "cannot check that the seccomp profile {profile} lets {runtime} start the container: its argument rules need more than {budget} search states to analyse"
    )]
    HandoffUnchecked {
        runtime: &'static str,
        profile: String,
        budget: u64,
    },
}

/// A handoff call the container's filter does not let through ([`super::handoff::denied`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub syscall: &'static str,
    /// The filter's action where it does not allow the call.
    pub action: Action,
    /// Allowed for some arguments, not for all (a condition the runtime's call may miss).
    pub partly: bool,
}

fn list_denied(denied: &[Denied]) -> String {
    denied
        .iter()
        .map(|d| {
            if d.partly {
                format!("{} (allowed only for some arguments)", d.syscall)
            } else {
                d.syscall.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Hint for RuntimeError {
    fn hint(&self) -> Option<String> {
        match self {
            RuntimeError::HandoffDenied {
                runtime, denied, ..
            } => {
                let names: Vec<&str> = denied.iter().map(|d| d.syscall).collect();
                let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                Some(format!(
                    "allow them for {runtime} before any rule that denies them: put `ALLOW {{ {} }}` first in the policy, or add {{\"names\": [{}], \"action\": \"SCMP_ACT_ALLOW\"}} to a JSON profile; a recording of a host command lacks them: record it again with `rpod seccomp record --for-container`, which allows them for runc and crun as the io.containers.trace-syscall annotation does",
                    names.join(", "),
                    quoted.join(", ")
                ))
            }
            RuntimeError::HandoffUnchecked { profile, .. } => Some(format!(
                "simplify the profile's argument rules: fewer masked comparisons on one syscall or rules on fewer arguments (`rpod seccomp lint {profile}` is bounded the same way)"
            )),
            _ => None,
        }
    }
}

fn status_text(code: Option<i32>) -> String {
    match code {
        Some(c) => format!(" (exit status {c})"),
        None => " (killed by a signal)".into(),
    }
}

impl RuntimeError {
    /// The runtime's message, for a failed call.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        match self {
            RuntimeError::Failed { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the runtime said the container does not exist (runc: "container does not
    /// exist"; crun: "error opening file `.../status`: No such file or directory"), so a
    /// cleanup can treat it as done.
    #[must_use]
    pub fn is_missing_container(&self) -> bool {
        self.message().is_some_and(|m| {
            m.contains("does not exist")
                || (m.contains("status") && m.contains("No such file or directory"))
        })
    }

    /// podman's exit code when the container's command could not be started: 127 when it
    /// was not found, 126 when it could not be invoked (permission denied).
    #[must_use]
    pub fn command_exit_code(&self) -> Option<u8> {
        let m = self.message()?;
        let lower = m.to_ascii_lowercase();
        let exec_related = lower.contains("exec") || lower.contains("executable");
        if lower.contains("executable file not found")
            || (exec_related && lower.contains("no such file or directory"))
        {
            Some(127)
        } else if exec_related && lower.contains("permission denied") {
            Some(126)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(message: &str) -> RuntimeError {
        RuntimeError::Failed {
            runtime: "runc".into(),
            op: "create",
            id: "c1".into(),
            code: Some(1),
            message: message.into(),
        }
    }

    #[test]
    fn shows_the_runtimes_message() {
        assert_eq!(
            failed("seccomp: config provided but seccomp not supported").to_string(),
            "runc create c1 failed (exit status 1): seccomp: config provided but seccomp not supported"
        );
    }

    #[test]
    fn classifies_podman_exit_codes() {
        // runc 1.1.5 and crun 1.8.1 on Debian 12, verbatim. crun reports a file that is not
        // executable as not found too.
        let runc_missing = "runc run failed: unable to start container process: exec: \"nope\": executable file not found in $PATH";
        let crun_missing = "executable file `nope` not found in $PATH: No such file or directory";
        let runc_denied = "runc run failed: unable to start container process: exec: \"/etc/passwd\": permission denied";
        let crun_denied =
            "executable file `/etc/passwd` not found in $PATH: No such file or directory";
        assert_eq!(failed(runc_missing).command_exit_code(), Some(127));
        assert_eq!(failed(crun_missing).command_exit_code(), Some(127));
        assert_eq!(failed(runc_denied).command_exit_code(), Some(126));
        assert_eq!(failed(crun_denied).command_exit_code(), Some(127));
        assert_eq!(failed("seccomp: bad").command_exit_code(), None);
    }

    #[test]
    fn recognizes_a_missing_container() {
        assert!(failed("container does not exist").is_missing_container());
        assert!(failed(
            "error opening file `/run/rpod/runtime/crun/c1/status`: No such file or directory"
        )
        .is_missing_container());
        assert!(!failed("permission denied").is_missing_container());
    }
}
