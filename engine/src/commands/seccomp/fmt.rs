//! `rpod seccomp fmt [--check] POLICY...`: canonical formatting of Kafel-like policies.

use std::path::Path;

use anyhow::bail;
use serde::Serialize;

use super::display_name;
use crate::cli::seccomp::{FmtArgs, OutputFormat};
use crate::commands::{hinted, io, usage};
use rpod::exit::ExitStatus;

/// `--format json`: one entry per file, in the order given.
#[derive(Debug, Serialize)]
struct Report {
    /// Whether this was `--check` (nothing written).
    check: bool,
    files: Vec<FileReport>,
    /// How many files are not (with `--check`) or were not (without it) formatted.
    unformatted: usize,
}

#[derive(Debug, Serialize)]
struct FileReport {
    /// As given; `<stdin>` for `-`.
    path: String,
    /// With `--check`: formatting would change the file; without: it was rewritten.
    changed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_difference: Option<Difference>,
}

/// The first line where a file and its formatted form differ (1-based); `old` or `new` is
/// absent where that side has no such line (or only line endings differ).
#[derive(Debug, Serialize, PartialEq, Eq)]
struct Difference {
    line: usize,
    old: Option<String>,
    new: Option<String>,
}

pub fn run(args: &FmtArgs) -> anyhow::Result<ExitStatus> {
    let json = args.format == OutputFormat::Json;
    if json && !args.check && args.files.iter().any(|p| p.as_os_str() == "-") {
        return Err(usage(
            "fmt - --format json would print the formatted policy and the report on stdout",
            "add --check, or format stdin without --format json",
        ));
    }
    let mut report = Report {
        check: args.check,
        files: Vec::new(),
        unformatted: 0,
    };
    for path in &args.files {
        let text = io::read_text(path)?;
        let formatted = format(path, &text)?;
        let changed = formatted != text;
        report.files.push(FileReport {
            path: display_name(path),
            changed,
            first_difference: changed.then(|| first_difference(&text, &formatted)),
        });
        if changed {
            report.unformatted += 1;
        }
        if path.as_os_str() == "-" {
            if args.check {
                if changed && !json {
                    eprintln!("<stdin> is not formatted");
                }
            } else {
                io::write_output(None, formatted.as_bytes(), false)?;
            }
            continue;
        }
        if !changed {
            continue;
        }
        if args.check {
            if !json {
                eprintln!("{} is not formatted", display_name(path));
                print_first_difference(&text, &formatted);
            }
        } else {
            io::write_output(Some(path), formatted.as_bytes(), false)?;
            if !json {
                eprintln!("formatted {}", display_name(path));
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if args.check && report.unformatted > 0 {
        if !json {
            eprintln!("hint: run `rpod seccomp fmt` on the files above");
        }
        return Ok(ExitStatus::Found);
    }
    Ok(ExitStatus::Success)
}

fn format(path: &Path, text: &str) -> anyhow::Result<String> {
    // JSON is no policy: parsed as one it gave an error per token (issue 12).
    if !kafel_dsl::looks_like_policy(text) {
        bail!(hinted(
            anyhow::anyhow!("it starts with '{{': OCI JSON, not a policy"),
            format!("cannot format {}", display_name(path)),
            "fmt formats Kafel-like policies; `rpod seccomp decompile` turns an OCI profile into one",
        ));
    }
    let mut sources = kafel_dsl::source::Sources::new();
    let file = sources.add(kafel_dsl::source::SourceFile::new(
        display_name(path),
        None,
        text,
    ));
    let (ast, diags) = kafel_dsl::parse::parse(file, text);
    if diags
        .iter()
        .any(|d| d.severity == kafel_dsl::diag::Severity::Error)
    {
        eprint!("{}", kafel_dsl::diag::render_all(&diags, &sources));
        bail!(hinted(
            anyhow::anyhow!("syntax errors"),
            format!("cannot format {}", display_name(path)),
            "fmt only formats policies that parse; fix the errors above",
        ));
    }
    Ok(kafel_dsl::fmt::format(&ast))
}

/// Where a file first differs from its formatted form.
fn first_difference(old: &str, new: &str) -> Difference {
    let (o, n): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let line = o
        .iter()
        .zip(&n)
        .position(|(a, b)| a != b)
        .unwrap_or(o.len().min(n.len()));
    Difference {
        line: line + 1,
        old: o.get(line).map(ToString::to_string),
        new: n.get(line).map(ToString::to_string),
    }
}

/// Shows where a file first differs from its formatted form.
fn print_first_difference(old: &str, new: &str) {
    match first_difference(old, new) {
        Difference {
            line,
            old: Some(a),
            new: Some(b),
        } => eprintln!("  line {line}:\n  - {a}\n  + {b}"),
        _ => eprintln!(
            "  {} lines, formatted {} lines",
            old.lines().count(),
            new.lines().count()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_names_the_line_and_a_missing_side() {
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nB\nc\n"),
            Difference {
                line: 2,
                old: Some("b".into()),
                new: Some("B".into())
            }
        );
        assert_eq!(
            first_difference("a\n", "a\nb\n"),
            Difference {
                line: 2,
                old: None,
                new: Some("b".into())
            }
        );
    }
}
