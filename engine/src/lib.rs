//! The rpod engine: command-line definitions (`cli`) and what each command does (`commands`).
//!
//! `cli` holds clap structs only; `commands` resolves settings, calls the library crates
//! (`profiles` for seccomp) and returns an exit status. `main` alone prints errors.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod cli;
pub mod commands;
pub mod container;
pub mod exit;
pub mod image;
pub mod runtime;
pub mod storage;
pub mod trace;
