//! Seccomp profiles: the model, and the tools that load, compile, evaluate and review them.
//!
//! A *profile* (OCI `linux.seccomp`, as podman, moby, runc and crun read it) has a default
//! action and a list of *rules*. A rule names syscalls, an action, and up to six argument
//! *conditions*. Conditions within a rule are AND-ed; rules for one syscall are OR-ed; a
//! syscall no rule matches gets the default action. `includes`/`excludes` make a rule depend
//! on the container's capabilities, architecture and kernel; [`resolve`] flattens them.
//!
//! ```
//! use profiles::{load, resolve::Context, compile, bpf, Arch, syscalls};
//!
//! let json = r#"{"defaultAction": "SCMP_ACT_ERRNO",
//!                "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]}"#;
//! let profile = load::from_str(json)?.profile;
//! let filter = compile::compile(&profile.resolve(&Context::default()), Some(&[Arch::X86_64]))?;
//! let write = syscalls::number(Arch::X86_64, "write").unwrap();
//! let mkdir = syscalls::number(Arch::X86_64, "mkdir").unwrap();
//! assert_eq!(bpf::simulate(&filter.program, Arch::X86_64, write, [1, 0, 0, 0, 0, 0]).action, bpf::Action::Allow);
//! assert_eq!(bpf::simulate(&filter.program, Arch::X86_64, mkdir, [0; 6]).action, bpf::Action::Errno(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layers
//!
//! Each module imports only from its own layer or the ones above it, and no import cycle runs
//! between modules (`cargo xtask layers` checks):
//!
//! 1. **Model**, what a profile says: [`arch`], [`syscalls`] (per-arch tables, libseccomp's
//!    names, the `socketcall`/`ipc` multiplexers), [`bpf`] (the program type, [`bpf::Action`]
//!    with its orderings, the emulator, the disassembler: it needs only `arch` and `syscalls`),
//!    [`model`] (the OCI profile, [`model::ActionKind`] and the one mapping between it and
//!    [`bpf::Action`]), [`load`] (JSON with diagnostics), [`errno`], [`caps`], [`category`],
//!    [`suggest`], [`default_profile`], [`record`] (a recording to a profile), [`chain`] (an
//!    error and its causes as one line).
//! 2. **Resolve**: [`resolve`] flattens `includes`/`excludes` and `archMap` for one container
//!    context, giving what runc or crun receive.
//! 3. **Mechanics**: [`solve`] (exact reasoning about argument conditions: cells, witnesses,
//!    covers).
//! 4. **Compile backends**: [`compile`] (through libseccomp, as runc does, with [`compile::Note`]s
//!    for every change of meaning) and [`build`] (getting libseccomp to build rules correctly:
//!    a CPU-time bound per build, typed failure, rule-order search). Kafel policies compile
//!    straight to BPF in the `kafel-dsl` crate. [`enforce`]: the filter runc or crun really
//!    installs (runc's ENOSYS stub, each runtime's conversion).
//! 5. **Analysis**, what a profile enforces: [`analysis`] (the compiled filter read back,
//!    [`analysis::risk`] for dangerous syscalls, [`analysis::text`] for conditions as a
//!    reviewer reads them).
//! 6. **Tools**: [`lint`], [`explain`], [`diff`], [`merge`], each one `rpod seccomp` verb.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod arch;
pub mod bpf;
pub mod build;
pub mod caps;
pub mod category;
pub mod chain;
pub mod compile;
pub mod default_profile;
pub mod diff;
pub mod enforce;
pub mod errno;
pub mod explain;
pub mod lint;
pub mod load;
pub mod merge;
pub mod model;
pub mod record;
pub mod resolve;
pub mod solve;
pub mod suggest;
pub mod syscalls;

pub use arch::Arch;
