//! `rpod seccomp explain POLICY|PROFILE [--runtime runc|crun|none]`.

use super::{context, load_profile, target, within_budget};
use crate::cli::seccomp::{ExplainArgs, OutputFormat};
use rpod::exit::ExitStatus;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let profile = load_profile(&args.profile, &args.context)?;
    let (cx, _) = context(&args.context)?;
    let explanation = within_budget("explain", &args.profile, || {
        profiles::explain::explain_for(&profile, &cx, target(args.runtime))
    })?;
    match args.format {
        OutputFormat::Text => print!("{}", explanation.to_text()),
        OutputFormat::Json => print!("{}", explanation.to_json_pretty()),
    }
    Ok(ExitStatus::Success)
}
