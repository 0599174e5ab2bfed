use std::process::ExitCode;

use clap::Parser;

use rpod::cli::Cli;
use rpod::commands::{self, Hint};
use rpod::exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version are not errors; every usage error is podman's 125.
            let code = if e.use_stderr() {
                exit::RPOD_ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report(&e);
            ExitCode::from(exit::RPOD_ERROR)
        }
    }
}

/// Prints an error once: the message, its causes, every profile problem, and hints.
fn report(e: &anyhow::Error) {
    // A policy's diagnostics come first, rustc style, then the one-line summary.
    if let Some(k) = e.downcast_ref::<kafel_dsl::Error>() {
        eprintln!("{}", k.render());
        eprintln!("error: {e}: {k}");
    } else {
        eprintln!("error: {e}");
    }
    // anyhow finds a context value of a given type anywhere in the chain.
    let hint = e.downcast_ref::<Hint>().map(|h| h.0.clone());
    for cause in e.chain().skip(1) {
        if hint.as_deref() == Some(cause.to_string().as_str()) {
            continue;
        }
        if cause.downcast_ref::<kafel_dsl::Error>().is_some() {
            continue;
        }
        if let Some(invalid) = cause.downcast_ref::<profiles::load::Invalid>() {
            for p in &invalid.problems {
                eprintln!("  {p}");
            }
            continue;
        }
        eprintln!("  caused by: {cause}");
    }
    if let Some(h) = hint {
        eprintln!("  hint: {h}");
    }
}
