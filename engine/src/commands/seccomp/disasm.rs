//! `rpod seccomp disasm PROFILE|FILE.bpf`.

use super::load_program;
use crate::cli::seccomp::DisasmArgs;
use rpod::exit::ExitStatus;

pub fn run(args: &DisasmArgs) -> anyhow::Result<ExitStatus> {
    let p = load_program(&args.input, &args.context)?;
    print!("{}", profiles::bpf::disasm::disasm(&p.program));
    Ok(ExitStatus::Success)
}
