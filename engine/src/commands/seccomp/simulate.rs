//! `rpod seccomp simulate POLICY|PROFILE|FILE.bpf [--runtime runc|crun|none] [--arch ARCH]
//! SYSCALL [ARG0..ARG5]`.
//!
//! Other tools parse this output: the text form is exactly the action (`ALLOW`, `ERRNO(1)`,
//! `KILL_PROCESS`, ...) on one line. Keep it so. Whose filter was run (runc's, crun's, ...) is
//! said on stderr, and in the JSON form.

use anyhow::bail;
use profiles::{bpf, syscalls, Arch};
use serde::Serialize;

use super::load_program;
use crate::cli::seccomp::{OutputFormat, SimulateArgs};
use crate::commands::hinted;
use rpod::exit::ExitStatus;

#[derive(Serialize)]
struct Report {
    /// `runc`, `crun`, `none`, or null for a raw .bpf file.
    runtime: Option<String>,
    /// Whose program was run, for people.
    filter: &'static str,
    arch: String,
    syscall: Option<&'static str>,
    nr: u32,
    args: [String; 6],
    action: String,
    /// The raw `SECCOMP_RET_*` value the filter returned.
    ret: String,
    instructions: usize,
}

pub fn run(args: &SimulateArgs) -> anyhow::Result<ExitStatus> {
    let p = load_program(&args.input, &args.context, args.runtime)?;
    let nr = syscall_number(p.arch, &args.syscall)?;
    let mut values = [0u64; 6];
    for (i, a) in args.args.iter().enumerate() {
        values[i] = parse_arg(a).map_err(|e| {
            hinted(
                e,
                format!("invalid argument {i}: '{a}'"),
                "write arguments in decimal (16), 0x-hex (0x10) or as a negative decimal (-1)",
            )
        })?;
    }
    let outcome = bpf::simulate(&p.program, p.arch, nr, values);
    let name = syscalls::name(p.arch, nr);
    if matches!(p.arch, Arch::X86_64) && matches!(name, Some("uretprobe" | "uprobe")) {
        // Found by the kernel-agreement suite: seccomp lets these through unfiltered.
        eprintln!(
            "note: recent kernels run x86_64 {} without consulting seccomp (seen on 6.18); there the answer below is never applied",
            name.unwrap_or_default()
        );
    }
    match args.format {
        OutputFormat::Text => {
            match p.runtime {
                Some(r) => eprintln!("note: simulated for runtime {r}: {}", p.what),
                None => eprintln!("note: simulated {}", p.what),
            }
            println!("{}", outcome.action);
        }
        OutputFormat::Json => {
            let report = Report {
                runtime: p.runtime.map(|r| r.to_string()),
                filter: p.what,
                arch: p.arch.to_string(),
                syscall: name,
                nr,
                args: values.map(|v| format!("{v:#x}")),
                action: outcome.action.to_string(),
                ret: format!("{:#010x}", outcome.ret),
                instructions: outcome.insns_executed,
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(ExitStatus::Success)
}

fn syscall_number(arch: Arch, s: &str) -> anyhow::Result<u32> {
    if let Ok(n) = parse_arg(s) {
        return u32::try_from(n).map_err(|_| anyhow::anyhow!("syscall number {s} is out of range"));
    }
    if let Some(n) = syscalls::number(arch, s) {
        return Ok(n);
    }
    if syscalls::is_known(s) {
        bail!(hinted(
            anyhow::anyhow!("'{s}' has no number on {arch}"),
            format!("cannot simulate '{s}'"),
            format!("pick another --arch, or give the number; {arch} has no '{s}'"),
        ));
    }
    let hint = syscalls::suggest(s).map_or_else(
        || "give the syscall number instead".to_string(),
        |n| format!("did you mean '{n}'?"),
    );
    Err(hinted(
        anyhow::anyhow!("unknown syscall '{s}'"),
        format!("cannot simulate '{s}'"),
        hint,
    ))
}

/// Decimal, 0x-hex, or a negative decimal taken as two's complement (`-1` = `0xffffffffffffffff`).
fn parse_arg(s: &str) -> Result<u64, std::num::ParseIntError> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16)
    } else if s.starts_with('-') {
        s.parse::<i64>().map(i64::cast_unsigned)
    } else {
        s.parse::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_arg;

    #[test]
    fn arguments_in_every_notation() {
        assert_eq!(parse_arg("16").unwrap(), 16);
        assert_eq!(parse_arg("0x10").unwrap(), 16);
        assert_eq!(parse_arg("-1").unwrap(), u64::MAX);
        assert!(parse_arg("ten").is_err());
        assert!(parse_arg("0x1_0000_0000_0000_0000").is_err());
    }
}
