//! `rpod seccomp disasm PROFILE|FILE.bpf`.

use super::load_program;
use crate::cli::seccomp::DisasmArgs;
use crate::exit;

pub fn run(args: &DisasmArgs) -> anyhow::Result<u8> {
    let p = load_program(&args.input, &args.context)?;
    print!("{}", profiles::bpf::disasm::disasm(&p.program));
    Ok(exit::OK)
}
