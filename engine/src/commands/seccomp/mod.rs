//! `rpod seccomp ...`: one file per verb, sharing how inputs and contexts are read.

mod compile;
mod decompile;
mod denials;
pub use denials::run as denials;
mod diff;
mod disasm;
mod explain;
mod fmt;
mod lint;
mod merge;
mod record;
mod simulate;
mod validate;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use profiles::compile::Note;
use profiles::model::{KernelVersion, Profile};
use profiles::resolve::Context;
use profiles::{bpf, caps, Arch};
use rpod::exit::ExitStatus;

use profiles::enforce::{self, Target};

use super::{hinted, io};
use crate::cli::seccomp::{ContextArgs, RuntimeArgs, RuntimeChoice, Seccomp};
use rpod::seccomp::{self as input, display_name, kind_of, Kind};

/// Runs one `rpod seccomp` subcommand.
///
/// # Errors
/// Any rpod error (exit 125).
pub fn run(cmd: Seccomp) -> anyhow::Result<ExitStatus> {
    match cmd {
        Seccomp::Validate(a) => validate::run(&a),
        Seccomp::Compile(a) => compile::run(&a),
        Seccomp::Decompile(a) => decompile::run(&a),
        Seccomp::Record(a) => record::run(&a),
        Seccomp::Fmt(a) => fmt::run(&a),
        Seccomp::Simulate(a) => simulate::run(&a),
        Seccomp::Disasm(a) => disasm::run(&a),
        Seccomp::Explain(a) => explain::run(&a),
        Seccomp::Diff(a) => diff::run(&a),
        Seccomp::Merge(a) => merge::run(&a),
        Seccomp::Lint(a) => lint::run(&a),
        Seccomp::Denials(a) => denials(&a, None, None),
    }
}

/// Parses and resolves a policy for `arches` (empty: this machine's), printing its warnings.
fn compile_policy(
    path: &Path,
    bytes: Vec<u8>,
    arches: &[Arch],
    include_dirs: &[PathBuf],
) -> anyhow::Result<kafel_dsl::Policy> {
    let mut stderr = std::io::stderr();
    Ok(input::compile_policy(
        path,
        bytes,
        arches,
        include_dirs,
        &mut stderr,
    )?)
}

/// Lowers a policy to an OCI profile, printing the warnings.
fn policy_profile(path: &Path, policy: &kafel_dsl::Policy) -> anyhow::Result<Profile> {
    Ok(input::policy_profile(path, policy, &mut std::io::stderr())?)
}

/// Loads a profile (OCI JSON, or a policy lowered to it for the `--arch`es, else this machine's),
/// printing its warnings to stderr.
fn load_profile(path: &Path, args: &ContextArgs) -> anyhow::Result<Profile> {
    let (_, arches) = context(args)?;
    profile_from(
        path,
        io::read_input(path)?,
        arches.as_deref().unwrap_or(&[]),
    )
}

/// [`load_profile`] of bytes already read.
fn profile_from(path: &Path, bytes: Vec<u8>, arches: &[Arch]) -> anyhow::Result<Profile> {
    Ok(input::profile_from(
        path,
        bytes,
        arches,
        &mut std::io::stderr(),
    )?)
}

fn print_notes(notes: &[Note]) {
    for n in notes {
        eprintln!("warning: {n}");
    }
}

/// The context (`--arch`, `--cap-add`, `--cap-drop`, `--kernel`) and the filter's arch list
/// when `--arch` was given.
fn context(args: &ContextArgs) -> anyhow::Result<(Context, Option<Vec<Arch>>)> {
    let mut cx = Context::default();
    let mut arches = Vec::new();
    for a in &args.arches {
        let arch: Arch = a.parse().map_err(|e| {
            hinted(
                e,
                format!("invalid --arch {a}"),
                "use x86_64, x86, x32, aarch64, arm, riscv64, s390x, s390, ppc64le, ppc64 or ppc",
            )
        })?;
        if !arches.contains(&arch) {
            arches.push(arch);
        }
    }
    if let Some(first) = arches.first() {
        cx.host_arch = *first;
    }
    for c in &args.cap_drop {
        if c.eq_ignore_ascii_case("all") {
            cx.caps.clear();
        } else {
            cx.caps.remove(&cap_name(c)?);
        }
    }
    for c in &args.cap_add {
        if c.eq_ignore_ascii_case("all") {
            cx.caps = caps::CAPABILITIES
                .iter()
                .map(|(n, _)| (*n).to_string())
                .collect::<BTreeSet<_>>();
        } else {
            cx.caps.insert(cap_name(c)?);
        }
    }
    if let Some(k) = &args.kernel {
        let v: KernelVersion = k.parse().map_err(|()| {
            hinted(
                anyhow::anyhow!("'{k}' is not MAJOR.MINOR"),
                format!("invalid --kernel {k}"),
                "write it like 6.1",
            )
        })?;
        cx.kernel = Some(v);
    }
    Ok((cx, (!arches.is_empty()).then_some(arches)))
}

/// `SYS_ADMIN` or `cap_sys_admin` -> `CAP_SYS_ADMIN`, checked against the kernel's list.
fn cap_name(c: &str) -> anyhow::Result<String> {
    let upper = c.to_ascii_uppercase();
    let name = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    if caps::is_known(&name) {
        Ok(name)
    } else {
        let hint = caps::suggest(&name).map_or_else(
            || "see capabilities(7) for the list".to_string(),
            |s| format!("did you mean {s}?"),
        );
        Err(hinted(
            anyhow::anyhow!("unknown capability '{c}'"),
            format!("invalid capability {c}"),
            hint,
        ))
    }
}

/// Whose filter a command shows: `--runtime`, else the runtime `rpod run` uses
/// ([`rpod::runtime::DEFAULT_RUNTIME`]).
fn target(args: RuntimeArgs) -> Target {
    match args.runtime {
        Some(RuntimeChoice::Runc) => Target::Runc,
        Some(RuntimeChoice::Crun) => Target::Crun,
        Some(RuntimeChoice::None) => Target::Compiled,
        None => rpod::runtime::DEFAULT_RUNTIME
            .parse()
            .expect("the default runtime is runc or crun"),
    }
}

/// A BPF program to run: from a raw `.bpf` file, or the filter a runtime installs for a policy
/// or profile in the context.
struct Program {
    program: bpf::Program,
    /// The architecture syscall names and numbers are read for.
    arch: Arch,
    /// Whose filter: `None` for a raw .bpf file.
    runtime: Option<Target>,
    /// One line for people: what the program is.
    what: &'static str,
}

const POLICY_OWN_BPF: &str = "rpod's own BPF for the policy (Kafel semantics); no runtime loads it: `rpod run` hands the runtime the policy lowered to OCI JSON";
const RAW_BPF: &str = "the raw BPF program as given";

/// The program for `path`: a raw .bpf file as it is; a policy or profile as `runtime`
/// installs it (a policy lowered to OCI JSON first, as `rpod run` does), or with
/// `--runtime none` libseccomp's filter alone (a policy: rpod's own BPF). The runtime's and
/// libseccomp's notes go to stderr.
fn load_program(path: &Path, args: &ContextArgs, runtime: RuntimeArgs) -> anyhow::Result<Program> {
    let bytes = io::read_input(path)?;
    let (cx, arches) = context(args)?;
    let kind = kind_of(path, &bytes);
    if kind == Kind::Bpf {
        if runtime.runtime.is_some() {
            return Err(super::usage(
                format!(
                    "--runtime {} does not apply to {}: a raw BPF program is loaded as it is",
                    target(runtime),
                    path.display()
                ),
                "give the policy or profile the program came from to see what a runtime installs",
            ));
        }
        let program = bpf::Program::from_bytes(&bytes).map_err(|e| {
            hinted(
                e,
                format!("{} is not a valid seccomp BPF program", path.display()),
                "expected the raw struct sock_filter array that `rpod seccomp compile --format bpf` writes",
            )
        })?;
        return Ok(Program {
            program,
            arch: cx.host_arch,
            runtime: None,
            what: RAW_BPF,
        });
    }
    let target = target(runtime);
    let (resolved, arches) =
        if kind == Kind::Policy {
            let policy = compile_policy(path, bytes, arches.as_deref().unwrap_or(&[]), &[])?;
            if target == Target::Compiled {
                let program = policy.to_bpf().map_err(|e| {
                    anyhow::Error::new(e).context(format!("cannot compile {}", display_name(path)))
                })?;
                return Ok(Program {
                    program,
                    arch: policy.program.arches[0],
                    runtime: Some(target),
                    what: POLICY_OWN_BPF,
                });
            }
            let profile =
                policy_profile(path, &policy).map_err(|e| {
                    hinted(
                e,
                format!("cannot build what {target} installs for {}", display_name(path)),
                "`--runtime none` shows rpod's own BPF of the policy, with its full meaning",
            )
                })?;
            let cx = Context {
                host_arch: policy.program.arches[0],
                ..cx.clone()
            };
            (profile.resolve(&cx), Some(policy.program.arches.clone()))
        } else {
            let profile = profile_from(path, bytes, &[])?;
            (profile.resolve(&cx), arches)
        };
    let enforced = enforced(path, &resolved, arches.as_deref(), target)?;
    print_notes(&enforced.notes);
    Ok(Program {
        arch: enforced.arches.first().copied().unwrap_or(cx.host_arch),
        what: enforced.describe(),
        program: enforced.program,
        runtime: Some(target),
    })
}

/// Runs an analysis of `path` within [`profiles::solve::SEARCH_BUDGET`] search states, with the
/// error a user reads when it needs more (issue 12); `verb` completes "cannot ...".
fn within_budget<T>(verb: &str, path: &Path, f: impl FnOnce() -> T) -> anyhow::Result<T> {
    profiles::solve::bounded(profiles::solve::SEARCH_BUDGET, f).map_err(|e| {
        hinted(
            e,
            format!("cannot {verb} {}", display_name(path)),
            "its argument conditions are too intricate to analyse: many masked comparisons of one argument, in rules with different actions; merge or simplify them",
        )
    })
}

/// [`enforce::enforce`] with the error a user reads.
fn enforced(
    path: &Path,
    resolved: &profiles::resolve::Resolved,
    arches: Option<&[Arch]>,
    target: Target,
) -> anyhow::Result<enforce::Enforced> {
    within_budget("compile", path, || {
        enforce::enforce(resolved, arches, target)
    })?
    .map_err(|e| match e {
        enforce::EnforceError::Refused { .. } => hinted(
            e,
            format!("cannot compile {}", display_name(path)),
            "run the container with crun (--runtime crun), or change the profile",
        ),
        e => anyhow::Error::new(e).context(format!("cannot compile {}", display_name(path))),
    })
}
