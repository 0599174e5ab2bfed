//! `rpod seccomp denials CONTAINER [--format json]`: what the container's filter denied
//! (`rpod::denials`).

use std::path::Path;

use crate::cli::seccomp::{DenialsArgs, OutputFormat};
use crate::commands::container::open_store;
use rpod::exit::ExitStatus;

/// # Errors
/// No such container; an unreadable denials file.
pub fn run(
    args: &DenialsArgs,
    root: Option<&Path>,
    runroot: Option<&Path>,
) -> anyhow::Result<ExitStatus> {
    let store = open_store(root, runroot)?;
    let record = store.lookup_container(&args.container)?;
    let report = rpod::denials::Report::load(&rpod::container::dir(&store, &record.id))?;
    if args.format == OutputFormat::Json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitStatus::Success);
    }
    if report.denials.is_empty() {
        eprintln!("nothing denied in {}", record.name);
        return Ok(ExitStatus::Success);
    }
    println!("SYSCALL\tCOUNT\tACTION\tPID\tCOMMAND");
    for d in &report.denials {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            d.syscall, d.count, d.action, d.pid, d.comm
        );
    }
    Ok(ExitStatus::Success)
}
