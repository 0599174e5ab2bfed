//! `rpod seccomp decompile PROFILE [-o OUT]`: an OCI profile as a Kafel-like policy.

use anyhow::bail;

use super::{context, display_name, kind_of, profile_from, within_budget, Kind};
use crate::cli::seccomp::DecompileArgs;
use crate::commands::{hinted, io};
use rpod::exit::ExitStatus;

pub fn run(args: &DecompileArgs) -> anyhow::Result<ExitStatus> {
    let bytes = io::read_input(&args.profile)?;
    if kind_of(&args.profile, &bytes) != Kind::Json {
        bail!(hinted(
            anyhow::anyhow!("not JSON"),
            format!("{} is not an OCI profile", display_name(&args.profile)),
            "decompile reads OCI seccomp JSON; a policy is already readable (`rpod seccomp fmt`)",
        ));
    }
    let profile = profile_from(&args.profile, bytes, &[])?;
    let (cx, arches) = context(&args.context)?;
    let arches = arches.unwrap_or_else(|| profile.arches_for(cx.host_arch));
    let name = display_name(&args.profile);
    let text = within_budget("decompile", &args.profile, || {
        kafel_dsl::decompile::decompile(
            &profile,
            &kafel_dsl::decompile::Options {
                source_name: &name,
                context: &cx,
                arches: &arches,
            },
        )
    })?;
    io::write_output(args.output.as_deref(), text.as_bytes(), false)?;
    Ok(ExitStatus::Success)
}
