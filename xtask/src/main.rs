//! Project automation for rpod, run as `cargo xtask <command>` (the alias is in
//! `.cargo/config.toml`).
//!
//! Commands:
//! - `gen-syscalls`: regenerate `profiles/src/syscalls/generated.rs`, the per-architecture syscall
//!   tables, from the installed libseccomp plus the list of newer syscalls kept in
//!   `gen_syscalls.rs`.
//! - `gen-syscalls --check`: regenerate in memory and exit 1 if the file differs (for CI).
//! - `gen-syscall-args`: regenerate `kafel-dsl/src/syscalls/generated.rs`, the syscall argument
//!   names and sizes, from the running x86_64 kernel's tracefs (as root). Not part of CI: the
//!   table depends on the kernel's version and configuration.
//! - `layers`: no import cycles between the modules of a library crate, and no printing in
//!   library code (for CI; see `layers.rs`).

mod gen_syscall_args;
mod gen_syscalls;
mod layers;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask gen-syscalls [--check]\n       cargo xtask gen-syscall-args\n       cargo xtask layers";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen-syscalls"] => gen_syscalls::write(),
        ["gen-syscalls", "--check"] => gen_syscalls::check(),
        ["gen-syscall-args"] => gen_syscall_args::write(),
        ["layers"] => {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            return match layers::check(&root) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: {err}");
                    ExitCode::FAILURE
                }
            };
        }
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("error: unexpected arguments {args:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(gen_syscalls::Outcome::Written(path)) => {
            eprintln!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Ok(gen_syscalls::Outcome::UpToDate) => ExitCode::SUCCESS,
        Ok(gen_syscalls::Outcome::Stale(path)) => {
            eprintln!(
                "error: {} is out of date\n  hint: run `cargo xtask gen-syscalls` and commit the result",
                path.display()
            );
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
