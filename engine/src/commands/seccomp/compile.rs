//! `rpod seccomp compile POLICY|PROFILE [-o OUT] [--format json|bpf] [--arch ARCH]... [-I DIR]...`.

use anyhow::Context as _;

use super::{compile_policy, context, display_name, kind_of, print_notes, profile_from, Kind};
use crate::cli::seccomp::{CompileArgs, CompileFormat};
use crate::commands::io;
use rpod::exit::ExitStatus;

pub fn run(args: &CompileArgs) -> anyhow::Result<ExitStatus> {
    let (cx, arches) = context(&args.context)?;
    let bytes = io::read_input(&args.profile)?;
    let out = if kind_of(&args.profile, &bytes) == Kind::Policy {
        let policy = compile_policy(
            &args.profile,
            bytes,
            arches.as_deref().unwrap_or(&[]),
            &args.include_dirs,
        )?;
        match args.format {
            CompileFormat::Json => {
                let profile = super::policy_profile(&args.profile, &policy)?;
                // What runc will build from this JSON: libseccomp's own notes. When this
                // machine's libseccomp cannot build it, lowering has already said so.
                let mut cx = cx;
                cx.host_arch = policy.program.arches[0];
                if let Ok(compiled) =
                    profiles::compile::compile(&profile.resolve(&cx), Some(&policy.program.arches))
                {
                    // Lowering already warned, with carets, about names libseccomp lacks.
                    let notes: Vec<_> = compiled
                        .notes
                        .into_iter()
                        .filter(|n| n.kind != profiles::compile::NoteKind::UnknownToLibseccomp)
                        .collect();
                    print_notes(&notes);
                }
                profile.to_json_pretty().into_bytes()
            }
            CompileFormat::Bpf => policy
                .to_bpf()
                .map_err(|e| {
                    anyhow::Error::new(e)
                        .context(format!("cannot compile {}", display_name(&args.profile)))
                })?
                .to_bytes(),
        }
    } else {
        let mut profile = profile_from(&args.profile, bytes, &[])?;
        let resolved = profile.resolve(&cx);
        let compiled = profiles::compile::compile(&resolved, arches.as_deref())
            .with_context(|| format!("cannot compile {}", args.profile.display()))?;
        print_notes(&compiled.notes);
        match args.format {
            CompileFormat::Json => {
                if let Some(arches) = &arches {
                    // An explicit arch list replaces the profile's, as `architectures` (what
                    // runc reads); archMap is an engine-side convenience that would contradict
                    // it.
                    profile.architectures.clone_from(arches);
                    profile.arch_map.clear();
                }
                profile.normalized().to_json_pretty().into_bytes()
            }
            CompileFormat::Bpf => compiled.program.to_bytes(),
        }
    };
    io::write_output(
        args.output.as_deref(),
        &out,
        args.format == CompileFormat::Bpf,
    )?;
    Ok(ExitStatus::Success)
}
