//! Why an OCI runtime call failed, with the runtime's own words.

use std::path::PathBuf;

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
