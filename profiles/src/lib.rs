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
#![forbid(unsafe_code)]

pub mod analysis;
pub mod arch;
pub mod bpf;
pub mod build;
pub mod caps;
pub mod category;
pub mod compile;
pub mod default_profile;
pub mod diff;
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
