//! The kernel side of rpod's syscall recorder. The program is the `rpod-syscalls` binary
//! (`src/main.rs`), built for `bpfel-unknown-none` by `tracer/build.rs` with the nightly
//! toolchain and bpf-linker; this library target only lets `tracer` depend on the crate so
//! cargo rebuilds the program when it changes.
#![no_std]
