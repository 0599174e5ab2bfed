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
/// a cause gives ([`report_lines`]).
fn report(e: &anyhow::Error, podman_form: bool) {
    for line in report_lines(e, podman_form) {
        eprintln!("{line}");
    }
}

/// Whether a cause's text says nothing new: it is empty, or a message shown before it holds it
/// already. A wrapper may include its source's text in its own: aya's `EbpfError` variants are
/// `#[error("program error: {0}")]` / `"BTF error: {0}"` over `#[from]` sources, and its
/// `ProgramError::LoadError` says "the BPF_PROG_LOAD syscall returned {io_error}", so a recorder
/// that could not load (`rpod seccomp record`, the trace-syscall annotation) printed
/// `caused by: program error: X` and then `caused by: X` (issue 14).
fn repeats(shown: &[String], text: &str) -> bool {
    text.is_empty() || shown.iter().any(|s| s.contains(text))
}

/// The lines [`report`] prints, each cause's text once. Each line is one line: control
/// characters in a message (a file name with a newline) are shown escaped ([`rpod::term`]).
///
/// Engine commands (`podman_form`) print podman's `Error: ` and the causes on the same line,
/// Go's way (`Error: cannot remove x: container x is running`), podman's wording where a script
/// may match it, and rpod's hint on a line after.
fn report_lines(e: &anyhow::Error, podman_form: bool) -> Vec<String> {
    use rpod::term::shown;
    let mut out = Vec::new();
    if podman_form {
        if let Some(w) = podman_wording(e) {
            out.push(format!("Error: {}", shown(&w)));
            return out;
        }
        // A policy's diagnostics (file:line:col and a caret) still come first.
        if let Some(k) = e.chain().find_map(|c| c.downcast_ref::<kafel_dsl::Error>()) {
            out.push(k.render());
        }
        let mut problems = Vec::new();
        let mut chain: Vec<String> = Vec::new();
        for cause in e.chain() {
            if let Some(invalid) = cause.downcast_ref::<profiles::load::Invalid>() {
                problems.extend(invalid.problems.iter().map(ToString::to_string));
            }
            let m = cause.to_string();
            if !repeats(&chain, &m) {
                chain.push(m);
            }
        }
        out.push(format!("Error: {}", shown(&chain.join(": "))));
        for p in &problems {
            out.push(format!("  {}", shown(p)));
        }
        if let Some(h) = e.chain().find_map(rpod::hint_of) {
            out.push(format!("  hint: {}", shown(&h)));
        }
        return out;
    }
    // A policy's diagnostics come first, rustc style, then the one-line summary.
    let mut said = vec![e.to_string()];
    if let Some(k) = e.chain().find_map(|c| c.downcast_ref::<kafel_dsl::Error>()) {
        out.push(k.render());
        out.push(format!("error: {}", shown(&format!("{e}: {k}"))));
        said.push(k.to_string());
    } else {
        out.push(format!("error: {}", shown(&e.to_string())));
    }
    let hint = e.chain().find_map(rpod::hint_of);
    for cause in e.chain().skip(1) {
        if cause.downcast_ref::<kafel_dsl::Error>().is_some() {
            continue;
        }
        if let Some(invalid) = cause.downcast_ref::<profiles::load::Invalid>() {
            for p in &invalid.problems {
                out.push(format!("  {}", shown(&p.to_string())));
            }
            continue;
        }
        let m = cause.to_string();
        if repeats(&said, &m) {
            continue;
        }
        out.push(format!("  caused by: {}", shown(&m)));
        said.push(m);
    }
    if let Some(h) = hint {
        out.push(format!("  hint: {}", shown(&h)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wrapper that shows its source's text in its own, as aya's `ProgramError::LoadError`
    /// ("the BPF_PROG_LOAD syscall returned {io_error}. Verifier output: ...") does.
    #[derive(Debug, thiserror::Error)]
    #[error("the kernel refused the program: {source}")]
    struct ShowsItsSource {
        source: std::io::Error,
    }

    /// Issue 14: a recording that could not start printed `error: X` then `caused by: X`.
    #[test]
    fn a_cause_the_message_already_shows_is_printed_once() {
        let inner = ShowsItsSource {
            source: std::io::Error::from_raw_os_error(13),
        };
        let e = anyhow::Error::new(inner).context("cannot record syscalls");
        let seccomp = report_lines(&e, false);
        assert_eq!(
            seccomp,
            [
                "error: cannot record syscalls",
                "  caused by: the kernel refused the program: Permission denied (os error 13)",
            ]
        );
        assert_eq!(
            report_lines(&e, true),
            ["Error: cannot record syscalls: the kernel refused the program: Permission denied (os error 13)"]
        );
    }

    /// Transparent wrappers (`#[error(transparent)]`, `Box<E>`) and a message equal to its
    /// cause's: each text once, in both forms.
    #[test]
    fn a_transparent_wrapper_does_not_repeat_its_source() {
        let e = anyhow::Error::new(rpod::container::Error::Recording(Box::new(
            rpod::trace::SessionError::Write(rpod::trace::TraceError::Write {
                path: "/t/o.json".into(),
                source: std::io::Error::from_raw_os_error(13),
            }),
        )));
        assert_eq!(
            report_lines(&e, false),
            [
                "error: cannot write /t/o.json",
                "  caused by: Permission denied (os error 13)",
            ]
        );
        let e = anyhow::Error::new(std::io::Error::from_raw_os_error(13))
            .context("Permission denied (os error 13)");
        assert_eq!(
            report_lines(&e, false),
            ["error: Permission denied (os error 13)"]
        );
        assert_eq!(
            report_lines(&e, true),
            ["Error: Permission denied (os error 13)"]
        );
    }
}
