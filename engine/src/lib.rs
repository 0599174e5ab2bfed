//! The rpod engine library: images, storage, OCI bundles, the runtime seam, the container
//! lifecycle and syscall recording. The `rpod` binary (`main.rs` with `cli/` and `commands/`)
//! is built on it; the library cannot see the binary's modules, so an upward import from a
//! library module into the command line is a compile error.
//!
//! The layers, bottom up (each module uses only those before it):
//! - [`time`], [`exit`] (`ExitStatus`, podman's exit codes), [`hint`] (the one hint
//!   convention of every error);
//! - [`storage`]: SQLite state, blobs and layers under `--root`/`--runroot`;
//! - [`image`]: import, load and the safe unpacking of layers;
//! - [`seccomp`]: seccomp inputs (OCI JSON, Kafel-like policies, BPF) read into profiles;
//! - [`bundle`]: a container's OCI `config.json`, seccomp profile attached;
//! - [`runtime`]: the `OciRuntime` seam (runc, crun) and the runtimes' seccomp handoff;
//! - [`trace`]: recording a workload's syscalls (the annotation, a `Session`, the profile);
//! - [`container`]: one container's lifecycle (`Container`), its monitor and its log.
//!
//! Library modules never print: they return typed errors (each with its hint) and write
//! output only to the writers they are given.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod container;
pub mod exit;
pub mod hint;
pub mod image;
pub mod runtime;
pub mod seccomp;
pub mod storage;
pub mod time;
pub mod trace;
