//! `rpod seccomp lint PROFILE [--fail-on SEVERITY]`.

use profiles::lint::{self, Severity};

use super::{context, load_profile, within_budget};
use crate::cli::seccomp::{FailOn, LintArgs, OutputFormat};
use rpod::exit::ExitStatus;

pub fn run(args: &LintArgs) -> anyhow::Result<ExitStatus> {
    let profile = load_profile(&args.profile, &args.context)?;
    let (cx, _) = context(&args.context)?;
    let report = within_budget("lint", &args.profile, || lint::lint(&profile, &cx))?;
    match args.format {
        OutputFormat::Text => print!("{}", report.to_text()),
        OutputFormat::Json => print!("{}", report.to_json_pretty()),
    }
    let threshold = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    };
    let failed = threshold.is_some_and(|t| lint::fails(&report.findings, t));
    Ok(if failed {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}
