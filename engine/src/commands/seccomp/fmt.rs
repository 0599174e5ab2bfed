//! `rpod seccomp fmt [--check] POLICY...`: canonical formatting of Kafel-like policies.

use std::path::Path;

use anyhow::bail;

use super::display_name;
use crate::cli::seccomp::FmtArgs;
use crate::commands::{hinted, io};
use rpod::exit::ExitStatus;

pub fn run(args: &FmtArgs) -> anyhow::Result<ExitStatus> {
    let mut unformatted = 0;
    for path in &args.files {
        let text = io::read_text(path)?;
        let formatted = format(path, &text)?;
        if path.as_os_str() == "-" {
            if args.check {
                if formatted != text {
                    eprintln!("<stdin> is not formatted");
                    unformatted += 1;
                }
            } else {
                io::write_output(None, formatted.as_bytes(), false)?;
            }
            continue;
        }
        if formatted == text {
            continue;
        }
        if args.check {
            eprintln!("{} is not formatted", path.display());
            print_first_difference(&text, &formatted);
            unformatted += 1;
        } else {
            io::write_output(Some(path), formatted.as_bytes(), false)?;
            eprintln!("formatted {}", path.display());
        }
    }
    if unformatted > 0 {
        eprintln!("hint: run `rpod seccomp fmt` on the files above");
        return Ok(ExitStatus::Found);
    }
    Ok(ExitStatus::Success)
}

fn format(path: &Path, text: &str) -> anyhow::Result<String> {
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

/// Shows where a file first differs from its formatted form.
fn print_first_difference(old: &str, new: &str) {
    for (i, (a, b)) in old.lines().zip(new.lines()).enumerate() {
        if a != b {
            eprintln!("  line {}:\n  - {a}\n  + {b}", i + 1);
            return;
        }
    }
    let (o, n) = (old.lines().count(), new.lines().count());
    eprintln!("  {o} lines, formatted {n} lines");
}
