//! `rpod seccomp validate PROFILE`.

use profiles::load::{self, Problem, Severity};
use serde::Serialize;

use crate::cli::seccomp::{OutputFormat, ValidateArgs};
use crate::commands::io;
use rpod::exit::ExitStatus;

#[derive(Serialize)]
struct Report<'a> {
    valid: bool,
    problems: &'a [Problem],
}

pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitStatus> {
    let text = io::read_text(&args.profile)?;
    let problems = match load::from_str(&text) {
        Ok(l) => l.warnings,
        Err(e) => e.problems,
    };
    let valid = !problems.iter().any(|p| p.severity == Severity::Error);
    match args.format {
        OutputFormat::Json => {
            let report = Report {
                valid,
                problems: &problems,
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        OutputFormat::Text => {
            for p in &problems {
                println!("{}: {p}", args.profile.display());
            }
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            let warnings = problems.len() - errors;
            if valid {
                eprintln!(
                    "{}: valid ({warnings} warning{})",
                    args.profile.display(),
                    if warnings == 1 { "" } else { "s" }
                );
            } else {
                eprintln!(
                    "{}: invalid ({errors} error{}, {warnings} warning{})",
                    args.profile.display(),
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(if valid {
        ExitStatus::Success
    } else {
        ExitStatus::Found
    })
}
