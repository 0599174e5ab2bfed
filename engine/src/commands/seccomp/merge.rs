//! `rpod seccomp merge A B... [-o OUT] [--prefer stricter|permissive]`.
//!
//! The merged profile goes to OUT (or stdout); conflicts and notes go to stderr. With
//! `--format json` and `-o`, stdout gets a JSON report of the conflicts and notes.

use anyhow::Context as _;
use profiles::bpf::Action;
use profiles::merge::{self, MergeOptions, Prefer};
use serde::Serialize;

use super::{context, display_name, load_profile, within_budget};
use crate::cli::seccomp::{self as cli, MergeArgs, OutputFormat};
use crate::commands::io;
use rpod::exit::ExitStatus;

#[derive(Serialize)]
struct Report<'a> {
    conflicts: &'a [merge::Conflict],
    notes: &'a [merge::InputNote],
}

pub fn run(args: &MergeArgs) -> anyhow::Result<ExitStatus> {
    let inputs = args
        .profiles
        .iter()
        .map(|p| load_profile(p, &args.context))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (cx, arches) = context(&args.context)?;
    let opts = MergeOptions {
        prefer: match args.prefer {
            cli::Prefer::Stricter => Prefer::Stricter,
            cli::Prefer::Permissive => Prefer::Permissive,
        },
        default_action: args.default_action.map(|a| match a {
            cli::DefaultAction::Allow => Action::Allow,
            cli::DefaultAction::Errno => Action::Errno(profiles::resolve::DEFAULT_ERRNO),
            cli::DefaultAction::KillProcess => Action::KillProcess,
            cli::DefaultAction::KillThread => Action::KillThread,
            cli::DefaultAction::Trap => Action::Trap(0),
            cli::DefaultAction::Log => Action::Log,
        }),
        arches,
    };
    // MergeError gives its own hint (rpod::hint_of).
    let merged = within_budget("merge", &args.profiles[0], || {
        merge::merge(&inputs, &cx, &opts)
    })?
    .context("cannot merge the profiles")?;
    for (i, p) in args.profiles.iter().enumerate() {
        eprintln!("input {}: {}", i + 1, display_name(p));
    }
    for c in &merged.conflicts {
        eprintln!("conflict: {c}");
    }
    for n in &merged.notes {
        eprintln!("note: {n}");
    }
    // Not normalized: libseccomp 2.5.4 builds some rule orders wrongly, and merge wrote the
    // order it checked.
    let json = merged.to_json_pretty();
    io::write_output(args.output.as_deref(), json.as_bytes(), false)?;
    if args.format == OutputFormat::Json && args.output.is_some() {
        let report = Report {
            conflicts: &merged.conflicts,
            notes: &merged.notes,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(ExitStatus::Success)
}
