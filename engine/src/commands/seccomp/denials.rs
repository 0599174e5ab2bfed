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
    // The errno and the first call's arguments are known where the monitor answered the
    // call itself (runc: rpod::denials::notify); the kernel's audit record has neither.
    let with_args = report.denials.iter().any(|d| d.args.is_some());
    println!(
        "SYSCALL\tCOUNT\tACTION\tPID\tCOMMAND{}",
        if with_args {
            "\tFIRST CALL'S ARGUMENTS"
        } else {
            ""
        }
    );
    for d in &report.denials {
        let action = match d.errno {
            Some(e) => format!(
                "{}({})",
                d.action,
                profiles::errno::name(u32::from(e)).map_or_else(|| e.to_string(), str::to_string)
            ),
            None => d.action.clone(),
        };
        let args = d.args.map_or_else(String::new, |a| {
            let a: Vec<String> = a.iter().map(|x| format!("{x:#x}")).collect();
            format!("\t{}", a.join(", "))
        });
        println!(
            "{}\t{}\t{action}\t{}\t{}{args}",
            d.syscall, d.count, d.pid, d.comm
        );
    }
    Ok(ExitStatus::Success)
}
