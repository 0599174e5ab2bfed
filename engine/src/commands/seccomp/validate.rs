//! `rpod seccomp validate PROFILE|POLICY`.
//!
//! A profile (OCI JSON) is checked by the strict loader: every problem with its JSON path. A
//! policy (told apart as every command does, [`kind_of`]) is valid when it parses, resolves for
//! this machine's arch and lowers to OCI JSON, the form `rpod run --security-opt
//! seccomp=POLICY` hands the runtime (run also checks the runtime's own calls); its diagnostics
//! are printed as `compile` prints them (rustc style, with carets), or in `--format json` as
//! problems located by `file:line:col`.

use profiles::load::{self, Problem, Severity};
use serde::Serialize;

use super::{display_name, kind_of, Kind};
use crate::cli::seccomp::{OutputFormat, ValidateArgs};
use crate::commands::io;
use rpod::exit::ExitStatus;
use rpod::seccomp::InputError;

#[derive(Serialize)]
struct Report<'a> {
    valid: bool,
    problems: &'a [Problem],
}

pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitStatus> {
    let bytes = io::read_input(&args.profile)?;
    let name = display_name(&args.profile);
    let kind = kind_of(&args.profile, &bytes);
    let not_text = |source| InputError::NotText {
        path: args.profile.clone(),
        kind,
        source,
    };
    let (problems, rendered) = match kind {
        Kind::Policy => policy_problems(&args.profile, String::from_utf8(bytes).map_err(not_text)?),
        Kind::Bpf => {
            return Err(InputError::Bpf {
                path: args.profile.clone(),
            }
            .into())
        }
        Kind::Json => {
            let text = String::from_utf8(bytes).map_err(not_text)?;
            let problems = match load::from_str(&text) {
                Ok(l) => l.warnings,
                Err(e) => e.problems,
            };
            let rendered = problems.iter().map(|p| format!("{name}: {p}\n")).collect();
            (problems, rendered)
        }
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
            print!("{rendered}");
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            let warnings = problems.len() - errors;
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            if valid {
                eprintln!("{name}: valid ({warnings} warning{})", plural(warnings));
            } else {
                eprintln!(
                    "{name}: invalid ({errors} error{}, {warnings} warning{})",
                    plural(errors),
                    plural(warnings)
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

/// A policy's diagnostics (parse, resolve, lower for this machine's arch) as problems, and
/// rendered rustc style.
fn policy_problems(path: &std::path::Path, text: String) -> (Vec<Problem>, String) {
    let file = kafel_dsl::source::SourceFile::new(
        display_name(path),
        (path.as_os_str() != "-").then(|| path.to_path_buf()),
        text,
    );
    let (diagnostics, sources) = match kafel_dsl::compile(file, &kafel_dsl::Options::default()) {
        Err(e) => (e.diagnostics, e.sources),
        Ok(policy) => {
            let mut diags = policy.warnings.clone();
            match policy.to_profile() {
                Ok(lowered) => diags.extend(lowered.warnings),
                Err(e) => diags.extend(e.diagnostics),
            }
            (diags, policy.sources)
        }
    };
    let problems = diagnostics
        .iter()
        .map(|d| {
            let mut hint: Vec<&str> = Vec::new();
            if !d.label.is_empty() {
                hint.push(&d.label);
            }
            hint.extend(d.notes.iter().map(String::as_str));
            Problem {
                severity: match d.severity {
                    kafel_dsl::diag::Severity::Error => Severity::Error,
                    kafel_dsl::diag::Severity::Warning => Severity::Warning,
                },
                path: sources.position(d.span),
                message: d.message.clone(),
                hint: (!hint.is_empty()).then(|| hint.join("; ")),
            }
        })
        .collect();
    let mut rendered = kafel_dsl::diag::render_all(&diagnostics, &sources);
    if !rendered.is_empty() && !rendered.ends_with('\n') {
        rendered.push('\n');
    }
    (problems, rendered)
}
