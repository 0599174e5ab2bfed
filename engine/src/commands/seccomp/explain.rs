//! `rpod seccomp explain PROFILE`.

use super::{context, load_profile};
use crate::cli::seccomp::{ExplainArgs, OutputFormat};
use rpod::exit::ExitStatus;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let profile = load_profile(&args.profile, &args.context)?;
    let (cx, _) = context(&args.context)?;
    let explanation = profiles::explain::explain(&profile, &cx);
    match args.format {
        OutputFormat::Text => print!("{}", explanation.to_text()),
        OutputFormat::Json => print!("{}", explanation.to_json_pretty()),
    }
    Ok(ExitStatus::Success)
}
