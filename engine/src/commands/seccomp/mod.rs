//! `rpod seccomp ...`: one file per verb, sharing how inputs and contexts are read.

mod compile;
mod diff;
mod disasm;
mod explain;
mod lint;
mod merge;
mod simulate;
mod validate;

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context as _;
use profiles::compile::Note;
use profiles::load::Problem;
use profiles::model::{KernelVersion, Profile};
use profiles::resolve::Context;
use profiles::{bpf, caps, load, Arch};

use super::{hinted, io};
use crate::cli::seccomp::{ContextArgs, Seccomp};

/// Runs one `rpod seccomp` subcommand.
///
/// # Errors
/// Any rpod error (exit 125).
pub fn run(cmd: Seccomp) -> anyhow::Result<u8> {
    match cmd {
        Seccomp::Validate(a) => validate::run(&a),
        Seccomp::Compile(a) => compile::run(&a),
        Seccomp::Simulate(a) => simulate::run(&a),
        Seccomp::Disasm(a) => disasm::run(&a),
        Seccomp::Explain(a) => explain::run(&a),
        Seccomp::Diff(a) => diff::run(&a),
        Seccomp::Merge(a) => merge::run(&a),
        Seccomp::Lint(a) => lint::run(&a),
    }
}

/// Loads a profile, printing its warnings to stderr.
fn load_profile(path: &Path) -> anyhow::Result<Profile> {
    let text = io::read_text(path)?;
    let loaded = load::from_str(&text).map_err(|e| {
        hinted(
            e,
            format!("invalid profile {}", path.display()),
            "fix the fields named above; `rpod seccomp validate` checks again",
        )
    })?;
    print_problems(path, &loaded.warnings);
    Ok(loaded.profile)
}

fn print_problems(path: &Path, problems: &[Problem]) {
    for p in problems {
        eprintln!("{}: {p}", path.display());
    }
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

/// A BPF program to run: from a raw `.bpf` file, or compiled from a profile for the context.
struct Program {
    program: bpf::Program,
    /// The architecture syscall names and numbers are read for.
    arch: Arch,
}

/// Whether an input is a raw BPF program rather than a profile.
fn is_raw_bpf(path: &Path, bytes: &[u8]) -> bool {
    if path.extension().is_some_and(|e| e == "bpf") {
        return true;
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    first.is_some() && first != Some(&b'{')
}

fn load_program(path: &Path, args: &ContextArgs) -> anyhow::Result<Program> {
    let bytes = io::read_input(path)?;
    let (cx, arches) = context(args)?;
    if is_raw_bpf(path, &bytes) {
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
        });
    }
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{} is not UTF-8 JSON", path.display()))?;
    let loaded = load::from_str(&text).map_err(|e| {
        hinted(
            e,
            format!("invalid profile {}", path.display()),
            "fix the fields named above; `rpod seccomp validate` checks again",
        )
    })?;
    print_problems(path, &loaded.warnings);
    let resolved = loaded.profile.resolve(&cx);
    let compiled = profiles::compile::compile(&resolved, arches.as_deref())
        .with_context(|| format!("cannot compile {}", path.display()))?;
    print_notes(&compiled.notes);
    Ok(Program {
        program: compiled.program,
        arch: cx.host_arch,
    })
}
