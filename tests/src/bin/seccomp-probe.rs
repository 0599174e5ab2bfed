//! `seccomp-probe [--thread] FILTER.bpf NR A0 A1 A2 A3 A4 A5`: installs a raw seccomp filter,
//! makes one syscall, and says on stdout what the kernel did with it.
//!
//! The filter file is `struct sock_filter` records as `seccomp_export_bpf` writes them; it is
//! handed to `seccomp(SECCOMP_SET_MODE_FILTER)` unchecked, so the kernel's own checks can be
//! tested too. Numbers are decimal, 0x-hex, or negative decimal (two's complement).
//!
//! One line on stdout, exit status 0:
//! - `RET <value>`: the syscall returned a value >= 0 (it ran, or ERRNO(0) skipped it);
//! - `ERRNO <errno>`: it failed with this errno;
//! - `TRAP <si_errno>`: SIGSYS with `si_code == SYS_SECCOMP`; `si_errno` is the filter's data;
//! - `THREAD_KILLED` (`--thread`): the thread that made the syscall vanished, the process lives.
//!
//! `INSTALL_FAILED <errno>` with status 3 when the kernel refuses the filter. A process killed
//! by the filter dies of SIGSYS and prints nothing (core dumps are switched off first). Status 2
//! is a usage error, 4 an internal one.
//!
//! With `--thread` a second thread installs the filter and makes the syscall while the main
//! thread, unfiltered, watches it: a filter binds only the thread that installs it, so this
//! tells `SECCOMP_RET_KILL_THREAD` (the thread dies) from `SECCOMP_RET_KILL_PROCESS`.
//!
//! Everything the process does after the filter is installed passes through the filter too: a
//! filter for this probe must let through what it does after its syscall (`write`,
//! `sigaltstack`, `munmap`, `exit_group`; with `--thread` also `futex`, `rt_sigprocmask`,
//! `madvise`, `exit`), or the probe dies before it can report.

use std::ffi::{c_int, c_long, c_void};
use std::io::Write as _;
use std::path::Path;
use std::process::exit;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `SYS_SECCOMP` from `include/uapi/asm-generic/siginfo.h`: the `si_code` of a seccomp SIGSYS.
const SYS_SECCOMP: c_int = 1;

const USAGE: &str = "usage: seccomp-probe [--thread] FILTER.bpf NR A0 A1 A2 A3 A4 A5";

fn main() {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    let threaded = argv.first().is_some_and(|a| a == "--thread");
    if threaded {
        argv.remove(0);
    }
    if argv.len() != 8 {
        usage(&format!("expected 8 arguments, got {}", argv.len()));
    }
    let filter = read_filter(Path::new(&argv[0]));
    let nr = parse(&argv[1]);
    let mut args: [c_long; 6] = [0; 6];
    for (slot, a) in args.iter_mut().zip(&argv[2..]) {
        *slot = parse(a);
    }

    no_core_dumps();
    catch_sigsys();
    no_new_privs();

    if threaded {
        run_in_thread(filter, nr, args);
    } else {
        if let Err(errno) = install(&filter) {
            install_failed(errno);
        }
        let line = make_syscall(nr, args);
        print_and_exit(&line);
    }
}

fn usage(msg: &str) -> ! {
    eprintln!("seccomp-probe: {msg}\n{USAGE}");
    exit(2)
}

fn internal(msg: &str) -> ! {
    eprintln!("seccomp-probe: {msg}");
    exit(4)
}

fn install_failed(errno: i32) -> ! {
    print_and_exit_with(&format!("INSTALL_FAILED {errno}"), 3)
}

fn print_and_exit(line: &str) -> ! {
    print_and_exit_with(line, 0)
}

fn print_and_exit_with(line: &str, status: i32) -> ! {
    let mut out = std::io::stdout().lock();
    // One write(2) per line, then exit_group(2): the fewest syscalls past the filter.
    let _ = out.write_all(format!("{line}\n").as_bytes());
    let _ = out.flush();
    exit(status)
}

/// Decimal, 0x-hex, or negative decimal as two's complement; as the C `long` a register holds.
fn parse(s: &str) -> c_long {
    let v = if let Some(hex) = s.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).map(|v| i64::from_ne_bytes(v.to_ne_bytes()))
    } else if s.starts_with('-') {
        s.parse::<i64>()
    } else {
        s.parse::<u64>()
            .map(|v| i64::from_ne_bytes(v.to_ne_bytes()))
    };
    v.unwrap_or_else(|e| usage(&format!("bad number '{s}': {e}")))
}

fn read_filter(path: &Path) -> Vec<libc::sock_filter> {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|e| usage(&format!("cannot read {}: {e}", path.display())));
    let chunks = bytes.chunks_exact(8);
    if !chunks.remainder().is_empty() {
        usage(&format!(
            "{} has {} bytes, not a multiple of 8",
            path.display(),
            bytes.len()
        ));
    }
    chunks
        .map(|c| libc::sock_filter {
            code: u16::from_le_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect()
}

/// Kill actions force a core dump (`force_sig_seccomp(..., true)`); a non-dumpable process
/// gets none, so killed probes leave no cores and do not wait for a dump helper.
fn no_core_dumps() {
    // SAFETY: prctl(PR_SET_DUMPABLE, 0) only changes a flag of this process.
    let rc = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    if rc != 0 {
        internal(&format!(
            "prctl(PR_SET_DUMPABLE): {}",
            std::io::Error::last_os_error()
        ));
    }
}

fn no_new_privs() {
    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1) only changes a flag of this process; without it
    // an unprivileged process may not install a filter (EACCES).
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc != 0 {
        internal(&format!(
            "prctl(PR_SET_NO_NEW_PRIVS): {}",
            std::io::Error::last_os_error()
        ));
    }
}

/// Installs `filter` for the calling thread.
fn install(filter: &[libc::sock_filter]) -> Result<(), i32> {
    let len = u16::try_from(filter.len())
        .unwrap_or_else(|_| usage("a filter has at most 65535 instructions here"));
    let prog = libc::sock_fprog {
        len,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points at `filter`, which outlives the call; the kernel copies the
    // instructions and never writes through the pointer.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0 as c_int,
            &raw const prog,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn make_syscall(nr: c_long, a: [c_long; 6]) -> String {
    // SAFETY: the tests choose syscalls that touch no memory of this process through their
    // arguments (getppid, getuid and the like ignore them), so any values are harmless.
    let rc = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if rc == -1 {
        format!("ERRNO {}", last_errno())
    } else {
        format!("RET {rc}")
    }
}

fn catch_sigsys() {
    let handler: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) = on_sigsys;
    // SAFETY: all-zero is a valid `struct sigaction` (no flags, empty mask) to fill in.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler as libc::sighandler_t;
    sa.sa_flags = libc::SA_SIGINFO;
    // SAFETY: `sa` is a valid sigaction whose handler only calls async-signal-safe functions.
    let rc = unsafe { libc::sigaction(libc::SIGSYS, &raw const sa, std::ptr::null_mut()) };
    if rc != 0 {
        internal(&format!(
            "sigaction(SIGSYS): {}",
            std::io::Error::last_os_error()
        ));
    }
}

/// Reports SECCOMP_RET_TRAP. Kill actions never get here: the kernel resets the handler
/// before it delivers their SIGSYS.
extern "C" fn on_sigsys(_sig: c_int, info: *mut libc::siginfo_t, _ctx: *mut c_void) {
    // SAFETY: for an SA_SIGINFO handler the kernel passes a valid siginfo_t.
    let (code, errno) = unsafe { ((*info).si_code, (*info).si_errno) };
    let mut buf = [0u8; 48];
    let len = if code == SYS_SECCOMP {
        format_line(&mut buf, b"TRAP ", errno)
    } else {
        format_line(&mut buf, b"SIGSYS_CODE ", code)
    };
    // SAFETY: write(2) and _exit(2) are async-signal-safe; `buf` holds `len` bytes.
    unsafe {
        libc::write(1, buf.as_ptr().cast(), len);
        libc::_exit(0);
    }
}

/// Writes `prefix`, `value` in decimal and a newline into `buf` without allocating (this runs in
/// a signal handler); returns the length.
fn format_line(buf: &mut [u8; 48], prefix: &[u8], value: c_int) -> usize {
    let mut len = 0;
    for &b in prefix {
        buf[len] = b;
        len += 1;
    }
    if value < 0 {
        buf[len] = b'-';
        len += 1;
    }
    let mut v = value.unsigned_abs();
    let mut digits = [0u8; 10];
    let mut n = 0;
    loop {
        digits[n] = b'0' + u8::try_from(v % 10).unwrap_or(0);
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for d in digits[..n].iter().rev() {
        buf[len] = *d;
        len += 1;
    }
    buf[len] = b'\n';
    len + 1
}

enum Msg {
    Tid(u32),
    Line(String),
    InstallFailed(i32),
}

fn run_in_thread(filter: Vec<libc::sock_filter>, nr: c_long, args: [c_long; 6]) -> ! {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        // Learn our tid before the filter is in place: /proc/thread-self -> "PID/task/TID".
        let tid = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|p| p.file_name()?.to_str()?.parse().ok())
            .unwrap_or_else(|| internal("cannot read /proc/thread-self"));
        let _ = tx.send(Msg::Tid(tid));
        if let Err(errno) = install(&filter) {
            let _ = tx.send(Msg::InstallFailed(errno));
            return;
        }
        let line = make_syscall(nr, args);
        let _ = tx.send(Msg::Line(line));
    });
    let tid = match rx.recv() {
        Ok(Msg::Tid(t)) => t,
        _ => internal("the worker thread did not start"),
    };
    // A killed thread never drops its end of the channel, so watch /proc for it to go.
    let task = format!("/proc/self/task/{tid}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match rx.recv_timeout(Duration::from_millis(2)) {
            Ok(Msg::Line(line)) => print_and_exit(&line),
            Ok(Msg::InstallFailed(errno)) => install_failed(errno),
            Ok(Msg::Tid(_)) => internal("the worker sent its tid twice"),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                internal("the worker thread ended without a result")
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if !Path::new(&task).exists() {
                    // Gone: a last look in case its result raced with its exit.
                    if let Ok(Msg::Line(line)) = rx.try_recv() {
                        print_and_exit(&line);
                    }
                    drop(worker);
                    print_and_exit("THREAD_KILLED");
                }
                if Instant::now() > deadline {
                    internal("the worker thread neither finished nor died within 10 s");
                }
            }
        }
    }
}
