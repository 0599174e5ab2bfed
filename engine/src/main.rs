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
            if let Some(text) = podman_usage_error(&e) {
                eprintln!("{text}");
            } else {
                let _ = e.print();
            }
            return status.into();
        }
    };
    if !commands::report::set_level(&cli.log_level) {
        // podman's text and status for an unknown level (logrus's, not an `Error:` line).
        eprintln!(
            "Log Level \"{}\" is not supported, choose from: {}",
            rpod::term::shown(&cli.log_level),
            commands::report::LEVELS.join(", ")
        );
        return ExitStatus::Found.into();
    }
    // rpod's own nouns keep rustc's form; engine commands print podman's.
    let podman_form = !matches!(cli.command, cli::Command::Seccomp(_));
    if cli.noout {
        if let Err(e) = commands::report::noout() {
            report(&e, podman_form);
            return ExitStatus::RpodError.into();
        }
    }
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            if let Some(f) = e.downcast_ref::<commands::report::Failures>() {
                for one in &f.errors {
                    report(one, podman_form);
                }
                return f.status.into();
            }
            report(&e, podman_form);
            exit_status(&e).into()
        }
    }
}

/// podman's (cobra's) text for the usage errors scripts match on: an unknown flag, and a value
/// that a flag's own parser refused (its message as it is); `None` keeps clap's text.
fn podman_usage_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    // rpod's own nouns keep clap's form (STYLE.md, Errors).
    if std::env::args().nth(1).as_deref() == Some("seccomp") {
        return None;
    }
    match e.kind() {
        ErrorKind::UnknownArgument => {
            let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
                return None;
            };
            // `Usage: rpod rm [OPTIONS] ...` -> `rpod rm`
            let usage = e
                .get(ContextKind::Usage)
                .map(ToString::to_string)
                .unwrap_or_default();
            let command: Vec<&str> = usage
                .trim_start()
                .trim_start_matches("Usage:")
                .split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect();
            let flag = arg.split('=').next().unwrap_or(arg);
            let flag = &*rpod::term::shown(flag);
            // cobra: `unknown flag: --name`, `unknown shorthand flag: 'd' in -d`
            let what = match flag.strip_prefix('-') {
                Some(short) if !short.starts_with('-') => {
                    let c = short.chars().next().unwrap_or('-');
                    format!("unknown shorthand flag: '{c}' in {flag}")
                }
                _ => format!("unknown flag: {flag}"),
            };
            Some(format!("Error: {what}\nSee '{} --help'", command.join(" ")))
        }
        ErrorKind::ValueValidation => std::error::Error::source(e).map(|s| format!("Error: {s}")),
        _ => None,
    }
}

/// podman's words for the errors scripts match on, wherever they sit in the chain.
fn podman_wording(e: &anyhow::Error) -> Option<String> {
    use rpod::storage::StorageError;
    e.chain().find_map(|c| {
        let storage = c.downcast_ref::<StorageError>().or_else(|| {
            match c.downcast_ref::<rpod::container::Error>() {
                Some(rpod::container::Error::Storage(s)) => Some(s),
                _ => None,
            }
        });
        match storage {
            Some(StorageError::ContainerNotFound { reference }) => Some(format!(
                "no container with name or ID \"{reference}\" found: no such container"
            )),
            _ => None,
        }
    })
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
///
/// Engine commands (`podman_form`) print podman's `Error: ` and the causes on the same line,
/// Go's way (`Error: cannot remove x: container x is running`), podman's wording where a script
/// may match it, and rpod's hint on a line after.
fn report(e: &anyhow::Error, podman_form: bool) {
    use rpod::term::shown;
    if podman_form {
        if let Some(w) = podman_wording(e) {
            eprintln!("Error: {}", shown(&w));
            return;
        }
        // A policy's diagnostics (file:line:col and a caret) still come first.
        if let Some(k) = e.chain().find_map(|c| c.downcast_ref::<kafel_dsl::Error>()) {
            eprintln!("{}", k.render());
        }
        let mut problems = Vec::new();
        let mut chain = Vec::new();
        for cause in e.chain() {
            match cause.downcast_ref::<profiles::load::Invalid>() {
                Some(invalid) => {
                    problems.extend(invalid.problems.iter().map(ToString::to_string));
                    chain.push(cause.to_string());
                }
                None => chain.push(cause.to_string()),
            }
        }
        let mut line = String::new();
        for m in chain.into_iter().filter(|m| !m.is_empty()) {
            // A transparent wrapper repeats its source's text.
            if line.ends_with(&m) {
                continue;
            }
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&m);
        }
        eprintln!("Error: {}", shown(&line));
        for p in &problems {
            eprintln!("  {}", shown(p));
        }
        if let Some(h) = e.chain().find_map(rpod::hint_of) {
            eprintln!("  hint: {}", shown(&h));
        }
        return;
    }
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
