//! The Kafel-like policy language: a `nom` parser to a spanned AST, lowered to an OCI seccomp
//! profile (`profiles::model::Profile`) or compiled straight to a BPF program.
//!
//! The model: a policy is a list of *action blocks* (`ALLOW { read, write { fd == 1 } }`),
//! possibly grouped in named `POLICY`s pulled in with `USE`, and a `DEFAULT` action. For one
//! syscall the filters match first-match in the order written; no match gives the default.
//!
//! ```
//! use kafel_dsl::{compile_str, Options};
//! use profiles::Arch;
//!
//! let policy = compile_str(
//!     "policy.kafel",
//!     "ERRNO(1) { ptrace } ALLOW { write { fd == 1 } } DEFAULT KILL_PROCESS",
//!     &Options { arches: vec![Arch::X86_64], ..Options::default() },
//! )
//! .expect("valid policy");
//! let json = policy.to_profile().expect("expressible in OCI JSON").profile;
//! assert_eq!(json.syscalls.len(), 2);
//! ```
//!
//! # Layers
//!
//! - **Front end**: [`source`] (files and spans), [`parse`] (text to the spanned [`ast`]),
//!   [`include`](mod@include) (`#include` resolution), [`diag`] (rustc-style diagnostics), [`fmt`] (the
//!   formatter), [`syscalls`] (the policy language's own syscall names and signatures).
//! - **Middle**: [`sema`] resolves names, constants and `USE` into the first-match [`ir`].
//! - **Back ends**: [`codegen`] compiles the IR straight to a `profiles::bpf::Program` (the full
//!   meaning); [`lower`] writes an OCI profile, cutting the policy into disjoint regions with a
//!   [`bdd`] and having libseccomp build them through `profiles::build` (the order search `merge`
//!   uses too), each build checked exactly by [`verify`].
//! - **Back to text**: [`decompile`] turns an OCI profile into a policy, using the shared
//!   analysis of `profiles` (`profiles::analysis`, `profiles::syscalls`, `profiles::build`).
//!
//! The crate depends on `profiles` only; no module imports one that imports it.
#![forbid(unsafe_code)]

pub mod ast;
pub mod bdd;
pub mod codegen;
pub mod decompile;
pub mod diag;
pub mod fmt;
pub mod include;
pub mod ir;
pub mod lower;
pub mod parse;
pub mod sema;
pub mod source;
pub mod syscalls;
pub mod verify;

use std::path::PathBuf;

use profiles::Arch;

use crate::diag::{Diagnostic, Severity};
use crate::source::{SourceFile, Sources};

/// How to compile.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Target architectures, host first; empty means the machine's own.
    pub arches: Vec<Arch>,
    /// `-I` directories searched for `#include` after the including file's own directory.
    pub search_path: Vec<PathBuf>,
}

/// A policy that parsed and resolved.
#[derive(Debug, Clone)]
pub struct Policy {
    pub sources: Sources,
    pub program: ir::Program,
    pub warnings: Vec<Diagnostic>,
}

/// Diagnostics that stop compilation, with the sources they point into. Its message is the
/// count (`2 errors`); [`Error::render`] shows them.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{summary}")]
pub struct Error {
    pub summary: String,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

impl Error {
    fn new(diagnostics: Vec<Diagnostic>, sources: &Sources) -> Error {
        // Counts the errors a cap left out too (`diag::capped`), and keeps the report bounded.
        let n = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.left_out.max(1))
            .sum::<usize>();
        let len = diagnostics.len();
        let diagnostics = diag::capped(diagnostics, len);
        let summary = if n == 1 {
            "1 error".to_string()
        } else {
            format!("{n} errors")
        };
        Error {
            summary,
            diagnostics,
            sources: sources.clone(),
        }
    }

    /// Every diagnostic, rustc style.
    #[must_use]
    pub fn render(&self) -> String {
        diag::render_all(&self.diagnostics, &self.sources)
    }
}

/// The OCI profile of a policy and the warnings about it.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub profile: profiles::model::Profile,
    pub warnings: Vec<Diagnostic>,
}

impl Policy {
    /// Lowers to an OCI profile with exactly the policy's meaning.
    ///
    /// # Errors
    /// What OCI JSON cannot say (argument against argument, `TRAP(n)` data, a syscall
    /// libseccomp has no name for, a meaning that differs between target arches).
    pub fn to_profile(&self) -> Result<Lowered, Error> {
        lower::to_profile(&self.program)
            .map(|l| Lowered {
                profile: l.profile,
                warnings: l.warnings,
            })
            .map_err(|d| Error::new(d, &self.sources))
    }

    /// Compiles to a BPF program with the policy's full meaning.
    ///
    /// # Errors
    /// A rule too deep for BPF scratch memory, or a program over 4096 instructions.
    pub fn to_bpf(&self) -> Result<profiles::bpf::Program, Error> {
        codegen::to_bpf(&self.program).map_err(|d| Error::new(d, &self.sources))
    }

    /// Renders diagnostics against this policy's sources.
    #[must_use]
    pub fn render(&self, diags: &[Diagnostic]) -> String {
        diag::render_all(diags, &self.sources)
    }
}

fn arches(opts: &Options) -> Vec<Arch> {
    if opts.arches.is_empty() {
        vec![Arch::native()]
    } else {
        let mut v: Vec<Arch> = Vec::new();
        for a in &opts.arches {
            if !v.contains(a) {
                v.push(*a);
            }
        }
        v
    }
}

/// Parses (with includes) and resolves a policy.
///
/// # Errors
/// Every syntax and name error found, rendered with [`Error::render`].
pub fn compile(main: SourceFile, opts: &Options) -> Result<Policy, Error> {
    let loaded = include::load(
        main,
        &include::IncludeOptions {
            search_path: opts.search_path.clone(),
            ..include::IncludeOptions::default()
        },
    );
    let (mut errors, mut warnings): (Vec<_>, Vec<_>) = loaded
        .diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        errors.extend(warnings);
        errors.sort_by_key(|d| (d.span.file, d.span.start));
        return Err(Error::new(errors, &loaded.sources));
    }
    match sema::analyze(&loaded.items, &arches(opts)) {
        Ok(a) => {
            warnings.extend(a.warnings);
            Ok(Policy {
                sources: loaded.sources,
                program: a.program,
                warnings,
            })
        }
        Err(d) => Err(Error::new(d, &loaded.sources)),
    }
}

/// [`compile`] for text in memory (includes resolve against the current directory).
///
/// # Errors
/// As [`compile`].
pub fn compile_str(name: &str, text: &str, opts: &Options) -> Result<Policy, Error> {
    compile(SourceFile::new(name, None, text), opts)
}

/// Whether `text` looks like a policy rather than JSON: JSON starts with `{` after blanks.
#[must_use]
pub fn looks_like_policy(text: &str) -> bool {
    !text.trim_start().starts_with('{')
}
