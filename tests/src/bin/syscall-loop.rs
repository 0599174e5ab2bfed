//! `syscall-loop N`: makes N `getppid` syscalls (raw, so libc cannot cache them) and prints
//! the mean cost in nanoseconds. The syscall-bound loop of `bench/record.sh`.

use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let start = Instant::now();
    for _ in 0..n {
        // SAFETY: getppid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!("{ns:.1}");
}
