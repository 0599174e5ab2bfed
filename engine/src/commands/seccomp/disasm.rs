//! `rpod seccomp disasm POLICY|PROFILE|FILE.bpf [--runtime runc|crun|none]`.
//!
//! The first line says whose program it is (`; ...`), the listing follows.

use super::load_program;
use crate::cli::seccomp::DisasmArgs;
use rpod::exit::ExitStatus;

pub fn run(args: &DisasmArgs) -> anyhow::Result<ExitStatus> {
    let p = load_program(&args.input, &args.context, args.runtime)?;
    match p.runtime {
        Some(r) => println!("; runtime {r}: {}", p.what),
        None => println!("; {}", p.what),
    }
    print!("{}", profiles::bpf::disasm::disasm(&p.program));
    Ok(ExitStatus::Success)
}
