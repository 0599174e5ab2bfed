//! `rpod seccomp compile POLICY|PROFILE [-o OUT] [--format json|bpf] [--runtime runc|crun|none]
//! [--arch ARCH]... [-I DIR]...`.
//!
//! `--format bpf` writes the program the runtime installs (runc's ENOSYS stub and libseccomp's
//! filter, crun's libseccomp filter) and says on stderr whose it is; `--runtime none` writes
//! libseccomp's filter alone for a profile, rpod's own program for a policy. A policy compiled
//! to BPF without `--runtime` is rpod's own program: that is the way out for what OCI JSON
//! cannot say (`docs/kafel.md`), so it must not need the JSON.

use profiles::compile::NoteKind;
use profiles::enforce::Target;

use super::{
    compile_policy, context, display_name, enforced, kind_of, print_notes, profile_from, target,
    Kind, POLICY_OWN_BPF,
};
use crate::cli::seccomp::{CompileArgs, CompileFormat};
use crate::commands::io;
use rpod::exit::ExitStatus;

pub fn run(args: &CompileArgs) -> anyhow::Result<ExitStatus> {
    let (cx, arches) = context(&args.context)?;
    let explicit = args.runtime.runtime.is_some();
    let target = target(args.runtime);
    let bytes = io::read_input(&args.profile)?;
    let bpf = args.format == CompileFormat::Bpf;
    let out = if kind_of(&args.profile, &bytes) == Kind::Policy {
        let policy = compile_policy(
            &args.profile,
            bytes,
            arches.as_deref().unwrap_or(&[]),
            &args.include_dirs,
        )?;
        if bpf && (target == Target::Compiled || !explicit) {
            eprintln!("note: wrote {POLICY_OWN_BPF}");
            policy
                .to_bpf()
                .map_err(|e| {
                    anyhow::Error::new(e)
                        .context(format!("cannot compile {}", display_name(&args.profile)))
                })?
                .to_bytes()
        } else {
            let profile = super::policy_profile(&args.profile, &policy)?;
            // What the runtime will build from this JSON, for the policy's arches.
            let mut cx = cx;
            cx.host_arch = policy.program.arches[0];
            let resolved = profile.resolve(&cx);
            let built = enforced(
                &args.profile,
                &resolved,
                Some(&policy.program.arches),
                target,
            );
            match (bpf, built) {
                (true, built) => {
                    let built = built?;
                    let what = built.describe();
                    print_notes(&without_unknown_names(built.notes));
                    eprintln!("note: wrote the filter {what}");
                    built.program.to_bytes()
                }
                (false, Ok(built)) => {
                    print_notes(&without_unknown_names(built.notes));
                    profile.to_json_pretty().into_bytes()
                }
                // The JSON is still what was asked for; why the runtime would not load it
                // (libseccomp cannot build it, or the runtime refuses it) is a warning.
                (false, Err(e)) => {
                    eprintln!("warning: {e:#}");
                    profile.to_json_pretty().into_bytes()
                }
            }
        }
    } else {
        let mut profile = profile_from(&args.profile, bytes, &[])?;
        let resolved = profile.resolve(&cx);
        let built = enforced(&args.profile, &resolved, arches.as_deref(), target)?;
        print_notes(&built.notes);
        if bpf {
            eprintln!("note: wrote the filter {}", built.describe());
            built.program.to_bytes()
        } else {
            if let Some(arches) = &arches {
                // An explicit arch list replaces the profile's, as `architectures` (what
                // runc reads); archMap is an engine-side convenience that would contradict
                // it.
                profile.architectures.clone_from(arches);
                profile.arch_map.clear();
            }
            profile.normalized().to_json_pretty().into_bytes()
        }
    };
    io::write_output(args.output.as_deref(), &out, bpf)?;
    Ok(ExitStatus::Success)
}

/// Lowering a policy already warned, with carets, about names libseccomp lacks.
fn without_unknown_names(notes: Vec<profiles::compile::Note>) -> Vec<profiles::compile::Note> {
    notes
        .into_iter()
        .filter(|n| n.kind != NoteKind::UnknownToLibseccomp)
        .collect()
}
