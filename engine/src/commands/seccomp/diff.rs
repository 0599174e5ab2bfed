//! `rpod seccomp diff A B`: exit 0 when equivalent, 1 when not.

use anyhow::Context as _;
use profiles::diff::{self, DiffOptions};

use super::{context, load_profile, within_budget};
use crate::cli::seccomp::{DiffArgs, OutputFormat};
use rpod::exit::ExitStatus;

pub fn run(args: &DiffArgs) -> anyhow::Result<ExitStatus> {
    let a = load_profile(&args.a, &args.context)?;
    let b = load_profile(&args.b, &args.context)?;
    let (cx, arches) = context(&args.context)?;
    let opts = DiffOptions {
        arches,
        labels: [args.a.display().to_string(), args.b.display().to_string()],
    };
    let d = within_budget("compare", &args.a, || {
        diff::diff(&a.resolve(&cx), &b.resolve(&cx), &opts)
    })?
    .context("cannot compare the profiles")?;
    match args.format {
        OutputFormat::Text => print!("{d}"),
        OutputFormat::Json => print!("{}", d.to_json_pretty()),
    }
    Ok(if d.equivalent() {
        ExitStatus::Success
    } else {
        ExitStatus::Found
    })
}
