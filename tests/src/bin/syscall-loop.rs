//! `syscall-loop N [NR]`: makes N `getppid` syscalls (raw, so libc cannot cache them), or N
//! calls of syscall number NR without arguments, and prints the mean cost in nanoseconds. The
//! syscall-bound loop of `bench/record.sh` and `bench/denials.sh`.

use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let nr: libc::c_long = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(libc::SYS_getppid);
    let start = Instant::now();
    for _ in 0..n {
        // SAFETY: the caller names a syscall that takes no arguments (getppid, getpgrp, ...);
        // its result is ignored.
        unsafe { libc::syscall(nr) };
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!("{ns:.1}");
}
