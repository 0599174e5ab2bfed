//! The rpod engine library: images, storage, OCI bundles, the runtime seam, the container
//! lifecycle and syscall recording. The `rpod` binary (`main.rs` with `cli/` and `commands/`)
//! is built on it; the library cannot see the binary's modules, so an upward import from a
//! library module into the command line is a compile error.
//!
//! The layers, bottom up (each module uses only those before it):
//! - [`time`], [`exit`] (`ExitStatus`, podman's exit codes), [`hint`] (the one hint
//!   convention of every error), [`replace`] (writing a file the user named: atomic, its mode
//!   kept or the umask followed), [`term`] (outside text shown on a terminal, control
//!   characters escaped);
//! - [`storage`]: SQLite state, blobs and layers under `--root`/`--runroot`;
//! - [`volume`]: named volumes under the root; [`events`]: the lifecycle event log;
//! - [`image`]: import, load and the safe unpacking of layers;
//! - [`seccomp`]: seccomp inputs (OCI JSON, Kafel-like policies, BPF) read into profiles;
//! - [`bundle`]: a container's OCI `config.json`, seccomp profile attached;
//! - [`runtime`]: the `OciRuntime` seam (runc, crun) and the runtimes' seccomp handoff;
//! - [`trace`]: recording a workload's syscalls (the annotation, a `Session`, the profile);
//! - [`container`]: one container's lifecycle (`Container`), its monitor and its log.
//!
//! Library modules never print: they return typed errors and write output only to the
//! writers they are given. An error type that can tell the user what to do implements
//! [`hint::Hint`]; [`hint_of`] is where the binary asks a cause for its hint.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod container;
pub mod denials;
pub mod events;
pub mod exit;
pub mod hint;
pub mod image;
pub mod replace;
pub mod runtime;
pub mod seccomp;
pub mod storage;
pub mod term;
pub mod time;
pub mod trace;
pub mod volume;

use hint::{Hint, Hinted};

/// The hint of one error in a chain of causes, if its type gives one. Every error type of the
/// engine and of the crates below it that implements [`Hint`] is listed here, once: the crate
/// root owns the list, so `hint` itself depends on no module that implements it.
#[must_use]
pub fn hint_of(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    fn ask<E: Hint + std::error::Error + 'static>(
        cause: &(dyn std::error::Error + 'static),
    ) -> Option<String> {
        cause.downcast_ref::<E>().and_then(Hint::hint)
    }
    ask::<Hinted>(cause)
        .or_else(|| ask::<container::Error>(cause))
        .or_else(|| ask::<volume::VolumeError>(cause))
        .or_else(|| ask::<runtime::RuntimeError>(cause))
        .or_else(|| ask::<seccomp::InputError>(cause))
        .or_else(|| ask::<trace::TraceError>(cause))
        .or_else(|| ask::<trace::SessionError>(cause))
        .or_else(|| ask::<tracer::Error>(cause))
        .or_else(|| ask::<profiles::merge::MergeError>(cause))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of each hinting type: its hint is found through the chain's `dyn Error`.
    #[test]
    fn every_hinting_error_type_is_asked() {
        let errors: Vec<Box<dyn std::error::Error + 'static>> = vec![
            Box::new(Hinted::new("m", "h", None)),
            Box::new(container::Error::RemoveRunning {
                name: "c".into(),
                running: container::IsRunning("c".into()),
            }),
            Box::new(seccomp::InputError::Invalid {
                path: "p.json".into(),
                source: profiles::load::from_str("{}").expect_err("no defaultAction"),
            }),
            Box::new(trace::TraceError::ArgsWithoutRecording),
            Box::new(trace::SessionError::Write(
                trace::TraceError::ArgsWithoutRecording,
            )),
            Box::new(profiles::merge::MergeError::NoInputs),
            Box::new(runtime::RuntimeError::HandoffDenied {
                runtime: "runc",
                profile: "p.json".into(),
                needed: 24,
                denied: Vec::new(),
            }),
        ];
        for e in &errors {
            assert!(hint_of(e.as_ref()).is_some(), "no hint found for {e:?}");
        }
        assert_eq!(hint_of(&std::io::Error::other("x")), None);
    }
}
