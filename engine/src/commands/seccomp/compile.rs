//! `rpod seccomp compile PROFILE [-o OUT] [--format json|bpf] [--arch ARCH]...`.

use anyhow::Context as _;

use super::{context, load_profile, print_notes};
use crate::cli::seccomp::{CompileArgs, CompileFormat};
use crate::commands::io;
use crate::exit;

pub fn run(args: &CompileArgs) -> anyhow::Result<u8> {
    let mut profile = load_profile(&args.profile)?;
    let (cx, arches) = context(&args.context)?;
    let bytes = match args.format {
        CompileFormat::Json => {
            // The runtime will compile this JSON; say now what it will not enforce as written.
            let resolved = profile.resolve(&cx);
            let compiled = profiles::compile::compile(&resolved, arches.as_deref())
                .with_context(|| format!("cannot compile {}", args.profile.display()))?;
            print_notes(&compiled.notes);
            if let Some(arches) = &arches {
                // An explicit arch list replaces the profile's, as `architectures` (what runc
                // reads); archMap is an engine-side convenience that would contradict it.
                profile.architectures.clone_from(arches);
                profile.arch_map.clear();
            }
            profile.normalized().to_json_pretty().into_bytes()
        }
        CompileFormat::Bpf => {
            let resolved = profile.resolve(&cx);
            let compiled = profiles::compile::compile(&resolved, arches.as_deref())
                .with_context(|| format!("cannot compile {}", args.profile.display()))?;
            print_notes(&compiled.notes);
            compiled.program.to_bytes()
        }
    };
    io::write_output(
        args.output.as_deref(),
        &bytes,
        args.format == CompileFormat::Bpf,
    )?;
    Ok(exit::OK)
}
