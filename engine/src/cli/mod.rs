//! Command-line definitions (clap derive). No logic and no I/O here: `commands` does the work.

pub mod seccomp;

use clap::{Parser, Subcommand};

/// rpod: a daemonless, podman-compatible container engine built around seccomp.
///
/// Today rpod reviews, compiles and simulates seccomp profiles (`rpod seccomp ...`).
/// Exit codes: 0 success, 1 a check found something (diff, lint, validate), 125 an rpod error.
#[derive(Debug, Parser)]
#[command(name = "rpod", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work on seccomp profiles: validate, compile, simulate, disasm, explain, diff, merge, lint.
    #[command(subcommand)]
    Seccomp(seccomp::Seccomp),
}
