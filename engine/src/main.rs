//! The `rpod` binary: parses the command line (`cli`), runs a command (`commands`), and is
//! the one place that prints an error and turns an [`ExitStatus`] into the process's exit
//! code. Everything else is the `rpod` library.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use cli::Cli;
use rpod::exit::ExitStatus;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version are not errors; every usage error is podman's 125.
            let status = if e.use_stderr() {
                ExitStatus::RpodError
            } else {
                ExitStatus::Success
            };
            let _ = e.print();
            return status.into();
        }
    };
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            report(&e);
            exit_status(&e).into()
        }
    }
}

/// The status rpod ends with on an error: 125, or the container's 126/127 when its command
/// could not be run.
fn exit_status(e: &anyhow::Error) -> ExitStatus {
    e.chain()
        .find_map(|c| c.downcast_ref::<rpod::container::Error>())
        .map_or(ExitStatus::RpodError, rpod::container::Error::exit_status)
}

/// Prints an error once: the message, its causes, every profile problem, and the first hint
/// a cause gives. Each line is one line: control characters in a message (a file name with a
/// newline) are shown escaped ([`rpod::term`]).
fn report(e: &anyhow::Error) {
    use rpod::term::shown;
    // A policy's diagnostics come first, rustc style, then the one-line summary.
    if let Some(k) = e.chain().find_map(|c| c.downcast_ref::<kafel_dsl::Error>()) {
        eprintln!("{}", k.render());
        eprintln!("error: {}", shown(&format!("{e}: {k}")));
    } else {
        eprintln!("error: {}", shown(&e.to_string()));
    }
    let hint = e.chain().find_map(rpod::hint_of);
    for cause in e.chain().skip(1) {
        if cause.downcast_ref::<kafel_dsl::Error>().is_some() {
            continue;
        }
        if let Some(invalid) = cause.downcast_ref::<profiles::load::Invalid>() {
            for p in &invalid.problems {
                eprintln!("  {}", shown(&p.to_string()));
            }
            continue;
        }
        eprintln!("  caused by: {}", shown(&cause.to_string()));
    }
    if let Some(h) = hint {
        eprintln!("  hint: {}", shown(&h));
    }
}
