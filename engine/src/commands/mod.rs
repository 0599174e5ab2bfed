//! What each command does: resolve settings, call the library, print, return an exit status.

pub mod container;
pub mod io;
pub mod seccomp;

use std::fmt;

use crate::cli::{Cli, Command};

/// A hint for the user, attached to an error's chain; `main` prints it last.
#[derive(Debug)]
pub struct Hint(pub String);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Hint {}

/// An error with a message and a hint, over a cause.
pub fn hinted(
    cause: impl Into<anyhow::Error>,
    message: impl fmt::Display + Send + Sync + 'static,
    hint: impl Into<String>,
) -> anyhow::Error {
    cause.into().context(Hint(hint.into())).context(message)
}

/// A recording request's error, its causes on one line, with its hint.
pub fn trace_error(e: crate::trace::TraceError) -> anyhow::Error {
    let mut what = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        what = format!("{what}: {c}");
        cause = c.source();
    }
    match e.hint() {
        Some(h) => hinted(anyhow::anyhow!("{what}"), what, h),
        None => anyhow::anyhow!("{what}"),
    }
}

/// The recorder could not load or attach: the kernel's words, and what the user can do.
pub fn recorder_error(e: tracer::Error) -> anyhow::Error {
    let what = "cannot record syscalls";
    match e.hint() {
        Some(h) => hinted(anyhow::Error::new(e), what, h),
        None => anyhow::Error::new(e).context(what),
    }
}

/// Runs a parsed command line and returns the process exit code.
///
/// # Errors
/// Any rpod error; `main` prints it and exits 125.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Seccomp(cmd) => seccomp::run(cmd),
        _ => container::run(cli),
    }
}
