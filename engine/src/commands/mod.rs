//! What each command does: resolve settings, call the library, print, return an exit status.

pub mod container;
pub mod format;
pub mod io;
pub mod report;
pub mod seccomp;

use std::fmt;

use rpod::exit::ExitStatus;
use rpod::hint::Hinted;

use crate::cli::{Cli, Command};

/// An error with a message and call-site advice, over a cause (`main` prints the hint last).
pub fn hinted(
    cause: impl Into<anyhow::Error>,
    message: impl fmt::Display,
    hint: impl Into<String>,
) -> anyhow::Error {
    let cause: Box<dyn std::error::Error + Send + Sync> = cause.into().into();
    anyhow::Error::new(Hinted::new(message, hint, Some(cause)))
}

/// A usage error: a message and what to write instead, with no cause.
pub fn usage(message: impl fmt::Display, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted::new(message, hint, None))
}

/// Runs a parsed command line and returns the process exit code.
///
/// # Errors
/// Any rpod error; `main` prints it and exits 125.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        // Denials read a container's state, so they need the store options.
        Command::Seccomp(crate::cli::seccomp::Seccomp::Denials(a)) => {
            seccomp::denials(&a, cli.root.as_deref(), cli.runroot.as_deref())
        }
        Command::Seccomp(cmd) => seccomp::run(cmd),
        Command::Version(a) => container::version(&a),
        _ => container::run(cli),
    }
}
