//! Helpers shared by rpod's end-to-end suites.
//!
//! - [`require`]: how a suite decides to run or skip when the machine lacks something (root,
//!   runc, seccomp, BPF). Skips are loud, and `RPOD_TEST_REQUIRE` turns them into failures, as
//!   CI sets it: a skipped suite in CI is a failed one.
//! - [`Probe`]: runs the `seccomp-probe` binary, which installs a raw seccomp filter in a fresh
//!   process and makes one syscall, and classifies what the kernel did ([`KernelOutcome`]).
//!   [`expected`] says what the kernel should do for an action of `profiles`' emulator, so the
//!   two can be compared.
//! - [`hostile`]: the hostile seccomp inputs of issue 12, for the suites that check the bounds.
#![forbid(unsafe_code)]

pub mod hostile;

use std::io::Write as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use profiles::bpf::Action;

/// The environment variable that makes missing features fail instead of skip: `all`, or a
/// comma-separated list of feature names (`seccomp,runc`).
pub const REQUIRE_VAR: &str = "RPOD_TEST_REQUIRE";

/// The environment variable naming a file each skip is appended to (`FEATURE<TAB>TEST`), so
/// `make test` can count skipped tests: libtest reports a test that returned early as passed.
pub const SKIP_LOG_VAR: &str = "RPOD_TEST_SKIP_LOG";

/// Whether a test that needs `feature` should run.
///
/// `true` when `available`. Otherwise, if [`REQUIRE_VAR`] is `all` or names `feature`, panics
/// (the machine was meant to have it); if not, prints a loud skip notice to stderr and returns
/// `false`.
///
/// # Panics
///
/// When `feature` is required and not available.
#[must_use]
pub fn require(feature: &str, available: bool) -> bool {
    let run = decide(
        feature,
        available,
        &std::env::var(REQUIRE_VAR).unwrap_or_default(),
    );
    if !run {
        log_skip(feature);
    }
    run
}

fn decide(feature: &str, available: bool, wanted: &str) -> bool {
    if available {
        return true;
    }
    let required = wanted
        .split(',')
        .map(str::trim)
        .any(|w| w == "all" || w == feature);
    assert!(
        !required,
        "{feature} is not available on this machine, and {REQUIRE_VAR}={wanted} requires it"
    );
    eprintln!(
        "\n**************** SKIPPED: {feature} is not available on this machine ****************\n\
         **************** set {REQUIRE_VAR}=all to make this a failure ****************\n"
    );
    false
}

/// Appends `FEATURE<TAB>TEST` to the file [`SKIP_LOG_VAR`] names, if any (the test is the
/// current thread's name, which libtest sets to the test's path).
fn log_skip(feature: &str) {
    let Some(path) = std::env::var_os(SKIP_LOG_VAR) else {
        return;
    };
    let test = std::thread::current()
        .name()
        .unwrap_or("an unnamed test")
        .to_string();
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{feature}\t{test}");
    }
}

/// Whether the kernel has seccomp: `/proc/self/status` has a `Seccomp:` line
/// (CONFIG_SECCOMP); filter mode needs CONFIG_SECCOMP_FILTER as well, which the probe tests.
#[must_use]
pub fn seccomp_available() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Seccomp:")))
}

/// What the kernel did with the probe's syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KernelOutcome {
    /// The syscall returned this value (it ran, or `ERRNO(0)` skipped it).
    Returned(i64),
    /// The syscall failed with this errno.
    Errno(i32),
    /// SIGSYS from `SECCOMP_RET_TRAP` with this `si_errno` (the filter's data).
    Trap(i32),
    /// The process died of SIGSYS without a word: `KILL_PROCESS`, or `KILL_THREAD` of the only
    /// thread.
    Killed,
    /// In [`ProbeMode::Thread`]: the thread that made the syscall died, the process lived.
    ThreadKilled,
    /// `seccomp(SECCOMP_SET_MODE_FILTER)` failed with this errno.
    InstallFailed(i32),
}

/// Where the probe makes its syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeMode {
    /// In the single thread of the probe process.
    Process,
    /// In a second thread, so `KILL_THREAD` and `KILL_PROCESS` can be told apart.
    Thread,
}

/// `MAX_ERRNO` from include/linux/err.h: the kernel caps `SECCOMP_RET_ERRNO` data at it.
pub const MAX_ERRNO: u16 = 4095;

/// What the kernel does, seen from the probe, for a filter that returns `action` for its
/// syscall; `allowed` is what the syscall returns when it runs.
///
/// TRACE without a tracer and USER_NOTIF without a listener fail the syscall with ENOSYS
/// (`__seccomp_filter`, `seccomp_do_user_notification`); LOG runs it like ALLOW; ERRNO(0) skips
/// it and returns 0; KILL_THREAD of a process's only thread kills the process.
#[must_use]
pub fn expected(action: Action, mode: ProbeMode, allowed: i64) -> KernelOutcome {
    match action {
        Action::Allow | Action::Log => KernelOutcome::Returned(allowed),
        Action::Errno(0) => KernelOutcome::Returned(0),
        Action::Errno(e) => KernelOutcome::Errno(i32::from(e.min(MAX_ERRNO))),
        Action::Trap(d) => KernelOutcome::Trap(i32::from(d)),
        Action::Trace(_) | Action::UserNotif => KernelOutcome::Errno(libc::ENOSYS),
        Action::KillProcess => KernelOutcome::Killed,
        Action::KillThread => match mode {
            ProbeMode::Process => KernelOutcome::Killed,
            ProbeMode::Thread => KernelOutcome::ThreadKilled,
        },
    }
}

/// [`expected`] where an allowed syscall's own outcome is known: `allowed` is what the
/// syscall gives under an allow-all filter ([`Probe::allowed`]), a value or an errno. This is
/// what tells `ALLOW` (the call runs, e.g. `EBADF`) from `ERRNO(0)` (skipped, returns 0).
#[must_use]
pub fn expected_with(action: Action, mode: ProbeMode, allowed: KernelOutcome) -> KernelOutcome {
    match action {
        Action::Allow | Action::Log => allowed,
        other => expected(other, mode, 0),
    }
}

/// The `seccomp-probe` binary. Integration tests of this package find it with
/// `env!("CARGO_BIN_EXE_seccomp-probe")`.
#[derive(Debug, Clone)]
pub struct Probe {
    path: PathBuf,
    mode: ProbeMode,
}

impl Probe {
    /// The probe at `path`, making its syscall in [`ProbeMode::Process`].
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Probe {
        Probe {
            path: path.into(),
            mode: ProbeMode::Process,
        }
    }

    /// The same probe in another mode.
    #[must_use]
    pub fn with_mode(&self, mode: ProbeMode) -> Probe {
        Probe {
            path: self.path.clone(),
            mode,
        }
    }

    #[must_use]
    pub fn mode(&self) -> ProbeMode {
        self.mode
    }

    /// Installs `filter` (raw `struct sock_filter` bytes, unchecked) in a fresh process, makes
    /// syscall `nr` with `args` there, and reports what happened.
    ///
    /// # Panics
    ///
    /// If the probe cannot be started or ends in a way the protocol does not allow (another
    /// signal, a usage error, output it does not understand), with everything it printed.
    #[must_use]
    pub fn run(&self, filter: &[u8], nr: u32, args: [u64; 6]) -> KernelOutcome {
        let mut file = tempfile::Builder::new()
            .prefix("rpod-filter-")
            .suffix(".bpf")
            .tempfile()
            .expect("cannot create a temporary filter file");
        file.write_all(filter)
            .and_then(|()| file.flush())
            .expect("cannot write the temporary filter file");
        let mut cmd = Command::new(&self.path);
        if self.mode == ProbeMode::Thread {
            cmd.arg("--thread");
        }
        cmd.arg(file.path())
            .arg(nr.to_string())
            .args(args.iter().map(|a| format!("{a:#x}")))
            .stdin(Stdio::null());
        let out = cmd.output().unwrap_or_else(|e| {
            panic!("cannot run the seccomp probe {}: {e}", self.path.display())
        });
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stdout.trim();
        let fail = || -> ! {
            panic!(
                "the seccomp probe ended unexpectedly: {:?}\n  command: {cmd:?}\n  stdout: {stdout:?}\n  stderr: {stderr:?}",
                out.status
            )
        };
        let num = |s: &str| s.parse::<i64>().unwrap_or_else(|_| fail());
        let errno = |s: &str| s.parse::<i32>().unwrap_or_else(|_| fail());
        match (out.status.code(), out.status.signal()) {
            (Some(0), _) => match line.split_once(' ') {
                Some(("RET", v)) => KernelOutcome::Returned(num(v)),
                Some(("ERRNO", v)) => KernelOutcome::Errno(errno(v)),
                Some(("TRAP", v)) => KernelOutcome::Trap(errno(v)),
                None if line == "THREAD_KILLED" => KernelOutcome::ThreadKilled,
                _ => fail(),
            },
            (Some(3), _) => match line.split_once(' ') {
                Some(("INSTALL_FAILED", v)) => KernelOutcome::InstallFailed(errno(v)),
                _ => fail(),
            },
            (None, Some(libc::SIGSYS)) if line.is_empty() => KernelOutcome::Killed,
            _ => fail(),
        }
    }

    /// What syscall `nr` with `args` gives in the probe under an allow-all filter: the call
    /// run for real (so `args` must be harmless, see [`harmless_args`]).
    ///
    /// # Panics
    /// If the kernel refuses the filter or the call does anything but return or fail.
    #[must_use]
    pub fn allowed(&self, nr: u32, args: [u64; 6]) -> KernelOutcome {
        let allow_all = profiles::bpf::Insn::stmt(
            profiles::bpf::code::BPF_RET | profiles::bpf::code::BPF_K,
            profiles::bpf::SECCOMP_RET_ALLOW,
        )
        .to_bytes();
        match self.run(&allow_all, nr, args) {
            o @ (KernelOutcome::Returned(_) | KernelOutcome::Errno(_)) => o,
            other => panic!("syscall {nr} {args:#x?} under an allow-all filter gave {other:?}"),
        }
    }
}

/// [`Probe::run`] for the probe at `probe` in [`ProbeMode::Process`].
#[must_use]
pub fn run_probe(probe: &Path, filter: &[u8], nr: u32, args: [u64; 6]) -> KernelOutcome {
    Probe::new(probe).run(filter, nr, args)
}

/// An `int` fd argument of -1 (all 64 bits set, so it reads as -1 whatever the argument's
/// width): never open, so a call on it fails with `EBADF` before it does anything.
pub const BAD_FD: u64 = u64::MAX;

/// How a syscall is made harmless in the probe: the argument slots to overwrite, and with what.
enum Harmless {
    /// Always harmless with any arguments (queries, or changes to the probe process alone).
    Any,
    /// Harmless once these slots hold these values (a bad fd or a NULL pointer the kernel
    /// checks before it does anything); the other slots stay as given.
    Force(&'static [(usize, u64)]),
    /// `read`/`write`: the buffer NULL, so nothing is read into or written from the probe's
    /// memory; the fd and count stay (stdin is /dev/null, stdout a pipe the probe reports on).
    NullBuffer,
    /// `close`: any fd but the probe's stdout and stderr.
    Close,
    /// `fcntl`: `F_GETFD` and `F_GETFL` only read the fd's flags, so any fd; other commands on
    /// [`BAD_FD`].
    Fcntl,
}

/// x86_64 syscalls the kernel tests may let run for real in the probe, and how.
///
/// Chosen so that, whatever the other arguments, the call touches nothing outside the probe
/// process and does not stop the probe from reporting: fd calls on [`BAD_FD`] fail with
/// `EBADF` (the kernel looks the fd up before it reads any other argument's memory), path and
/// buffer calls on a NULL pointer fail with `EFAULT`. Most fail with an errno other than 0, so
/// `ALLOW` and `ERRNO(0)` give different answers.
const HARMLESS: &[(&str, Harmless)] = &[
    ("getuid", Harmless::Any),
    ("getgid", Harmless::Any),
    ("geteuid", Harmless::Any),
    ("getegid", Harmless::Any),
    ("getppid", Harmless::Any),
    ("getpgrp", Harmless::Any),
    ("umask", Harmless::Any),
    ("personality", Harmless::Any),
    ("read", Harmless::NullBuffer),
    ("write", Harmless::NullBuffer),
    ("close", Harmless::Close),
    ("fstat", Harmless::Force(&[(0, BAD_FD)])),
    ("lseek", Harmless::Force(&[(0, BAD_FD)])),
    ("ioctl", Harmless::Force(&[(0, BAD_FD)])),
    ("pread64", Harmless::Force(&[(0, BAD_FD)])),
    ("pwrite64", Harmless::Force(&[(0, BAD_FD)])),
    ("readv", Harmless::Force(&[(0, BAD_FD)])),
    ("writev", Harmless::Force(&[(0, BAD_FD)])),
    ("fsync", Harmless::Force(&[(0, BAD_FD)])),
    ("fdatasync", Harmless::Force(&[(0, BAD_FD)])),
    ("ftruncate", Harmless::Force(&[(0, BAD_FD)])),
    ("getdents64", Harmless::Force(&[(0, BAD_FD)])),
    ("fchmod", Harmless::Force(&[(0, BAD_FD)])),
    ("fchown", Harmless::Force(&[(0, BAD_FD)])),
    ("fchdir", Harmless::Force(&[(0, BAD_FD)])),
    ("flock", Harmless::Force(&[(0, BAD_FD)])),
    ("dup", Harmless::Force(&[(0, BAD_FD)])),
    ("dup2", Harmless::Force(&[(0, BAD_FD)])),
    ("fcntl", Harmless::Fcntl),
    ("fstatfs", Harmless::Force(&[(0, BAD_FD)])),
    ("fgetxattr", Harmless::Force(&[(0, BAD_FD)])),
    ("flistxattr", Harmless::Force(&[(0, BAD_FD)])),
    ("fadvise64", Harmless::Force(&[(0, BAD_FD)])),
    ("syncfs", Harmless::Force(&[(0, BAD_FD)])),
    ("sendto", Harmless::Force(&[(0, BAD_FD)])),
    ("recvfrom", Harmless::Force(&[(0, BAD_FD)])),
    ("sendmsg", Harmless::Force(&[(0, BAD_FD)])),
    ("recvmsg", Harmless::Force(&[(0, BAD_FD)])),
    ("shutdown", Harmless::Force(&[(0, BAD_FD)])),
    ("listen", Harmless::Force(&[(0, BAD_FD)])),
    ("getsockname", Harmless::Force(&[(0, BAD_FD)])),
    ("getpeername", Harmless::Force(&[(0, BAD_FD)])),
    ("getsockopt", Harmless::Force(&[(0, BAD_FD)])),
    ("epoll_ctl", Harmless::Force(&[(0, BAD_FD)])),
    ("timerfd_gettime", Harmless::Force(&[(0, BAD_FD)])),
    ("inotify_rm_watch", Harmless::Force(&[(0, BAD_FD)])),
    ("open", Harmless::Force(&[(0, 0)])),
    ("creat", Harmless::Force(&[(0, 0)])),
    ("mkdir", Harmless::Force(&[(0, 0)])),
    ("rmdir", Harmless::Force(&[(0, 0)])),
    ("unlink", Harmless::Force(&[(0, 0)])),
    ("chdir", Harmless::Force(&[(0, 0)])),
    ("chmod", Harmless::Force(&[(0, 0)])),
    ("access", Harmless::Force(&[(0, 0)])),
    ("stat", Harmless::Force(&[(0, 0), (1, 0)])),
    ("lstat", Harmless::Force(&[(0, 0), (1, 0)])),
    ("truncate", Harmless::Force(&[(0, 0)])),
    ("readlink", Harmless::Force(&[(0, 0), (1, 0)])),
    ("statfs", Harmless::Force(&[(0, 0), (1, 0)])),
    ("uname", Harmless::Force(&[(0, 0)])),
    ("sysinfo", Harmless::Force(&[(0, 0)])),
    ("getcwd", Harmless::Force(&[(0, 0)])),
    ("openat", Harmless::Force(&[(1, 0)])),
    ("mkdirat", Harmless::Force(&[(1, 0)])),
    ("unlinkat", Harmless::Force(&[(1, 0)])),
    ("faccessat", Harmless::Force(&[(1, 0)])),
    ("readlinkat", Harmless::Force(&[(1, 0), (2, 0)])),
    ("newfstatat", Harmless::Force(&[(1, 0), (2, 0)])),
    ("nanosleep", Harmless::Force(&[(0, 0), (1, 0)])),
    ("getrlimit", Harmless::Force(&[(1, 0)])),
    ("getrusage", Harmless::Force(&[(1, 0)])),
    ("pipe", Harmless::Force(&[(0, 0)])),
    ("pipe2", Harmless::Force(&[(0, 0)])),
];

/// `args` made harmless for x86_64 syscall `name` in the probe (see [`HARMLESS`]), or `None`
/// when the syscall is not one the tests may let run. The result may differ from `args` in the
/// slots the safety needs: compute the filter's answer for the returned arguments.
#[must_use]
pub fn harmless_args(name: &str, args: [u64; 6]) -> Option<[u64; 6]> {
    let (_, how) = HARMLESS.iter().find(|(n, _)| *n == name)?;
    let mut a = args;
    match how {
        Harmless::Any => {}
        Harmless::Force(slots) => {
            for &(i, v) in *slots {
                // An fd slot keeps a value the kernel reads as a negative `int` (never open).
                if !(v == BAD_FD && is_bad_fd(a[i])) {
                    a[i] = v;
                }
            }
        }
        Harmless::NullBuffer => a[1] = 0,
        Harmless::Fcntl => {
            // F_GETFD is 1, F_GETFL 3; the kernel reads cmd as an unsigned int.
            if !matches!(a[1] & 0xffff_ffff, 1 | 3) && !is_bad_fd(a[0]) {
                a[0] = BAD_FD;
            }
        }
        Harmless::Close => {
            // The kernel reads the fd as an unsigned int: only its low word counts.
            if matches!(a[0] & 0xffff_ffff, 1 | 2) {
                a[0] = BAD_FD;
            }
        }
    }
    Some(a)
}

/// Whether the kernel reads `v` as a negative `int` fd: its low word has the top bit set.
fn is_bad_fd(v: u64) -> bool {
    v & 0x8000_0000 != 0
}

/// The names [`harmless_args`] knows, for tests that check their own coverage.
pub fn harmless_names() -> impl Iterator<Item = &'static str> {
    HARMLESS.iter().map(|(n, _)| *n)
}

/// Whether an executable named `name` is on `$PATH`.
#[must_use]
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

/// Whether `path` is an ELF executable without a program interpreter (statically linked):
/// a dynamic busybox (Debian's `busybox` package) cannot run in an empty rootfs.
#[must_use]
pub fn is_static_elf(path: &Path) -> bool {
    let Ok(b) = std::fs::read(path) else {
        return false;
    };
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 {
        return false;
    }
    let u16at = |o: usize| usize::from(u16::from_le_bytes([b[o], b[o + 1]]));
    let Ok(phoff) = usize::try_from(u64::from_le_bytes([
        b[32], b[33], b[34], b[35], b[36], b[37], b[38], b[39],
    ])) else {
        return false;
    };
    let (phentsize, phnum) = (u16at(54), u16at(56));
    (0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        // PT_INTERP = 3
        o + 4 > b.len() || u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) != 3
    })
}

/// Fills `root` with a busybox root filesystem: Debian's static `/bin/busybox` copied in,
/// `busybox --install -s` run inside it by chroot, and `/etc/passwd` and `/etc/group` with
/// the given contents.
///
/// # Panics
/// When busybox cannot be copied or installed (the caller checked [`is_static_elf`]).
pub fn busybox_rootfs(root: &Path, passwd: &str, group: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    for d in [
        "bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home/app", "tmp", "proc", "sys",
        "dev",
    ] {
        std::fs::create_dir_all(root.join(d)).expect("cannot create rootfs directories");
    }
    std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777))
        .expect("cannot chmod /tmp");
    // Copied by a `cp` process, not std::fs::copy: a file this process holds open for writing
    // is inherited by every child another test thread forks meanwhile (until it execs), and
    // the chroot below then fails with ETXTBSY ("Text file busy") when suites run in parallel.
    let cp = Command::new("cp")
        .arg("/bin/busybox")
        .arg(root.join("bin/busybox"))
        .status()
        .expect("cannot run cp");
    assert!(cp.success(), "cannot copy /bin/busybox");
    let out = Command::new("chroot")
        .arg(root)
        .args(["/bin/busybox", "--install", "-s"])
        .output()
        .expect("cannot run chroot");
    assert!(
        out.status.success(),
        "busybox --install -s failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(root.join("etc/passwd"), passwd).expect("cannot write /etc/passwd");
    std::fs::write(root.join("etc/group"), group).expect("cannot write /etc/group");
}

/// A binary of this package (`seccomp-probe`, `syscall-markers`), built by
/// `cargo test --workspace`; built here when a suite runs alone.
///
/// # Panics
/// When cargo cannot build it.
#[must_use]
pub fn test_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let target_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let bin = target_dir.join(name);
    if !bin.is_file() {
        let status = Command::new(option_env!("CARGO").unwrap_or("cargo"))
            .args(["build", "-p", "rpod-tests", "--bin", name])
            .status()
            .expect("cannot run cargo");
        assert!(status.success(), "cargo build of {name} failed");
    }
    assert!(bin.is_file(), "{name} not found at {}", bin.display());
    bin
}

/// Copies a dynamically linked binary into `rootfs` at `dest` (relative to the rootfs), with
/// the shared libraries `ldd` lists at their own paths, so it runs in a busybox container.
///
/// # Panics
/// When `ldd` fails or a file cannot be copied.
pub fn install_binary(rootfs: &Path, binary: &Path, dest: &str) {
    let ldd = Command::new("ldd")
        .arg(binary)
        .output()
        .expect("cannot run ldd");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        let lib = match line.split_once("=>") {
            Some((_, rest)) => rest.trim(),
            None => line.trim(),
        };
        let Some(path) = lib.split_whitespace().next().filter(|p| p.starts_with('/')) else {
            continue;
        };
        let dst = rootfs.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(dst.parent().expect("a library path has a parent"))
            .expect("cannot create a library directory");
        std::fs::copy(path, &dst).unwrap_or_else(|e| panic!("cannot copy {path}: {e}"));
    }
    let dst = rootfs.join(dest.trim_start_matches('/'));
    std::fs::copy(binary, &dst)
        .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", binary.display(), dst.display()));
}

/// A static i386 ELF (84-byte headers and 24 bytes of code) that calls `mkdir` (i386 number
/// 39) on a path that cannot exist, then `exit(0)` (number 1), both with `int 0x80`: a 32-bit
/// (compat) workload without a 32-bit toolchain.
#[must_use]
pub fn i386_mkdir_elf() -> Vec<u8> {
    const BASE: u32 = 0x0804_8000;
    const CODE: u32 = 52 + 32;
    let path = b"/nonexistent/rpod-compat\0";
    let path_addr = BASE + CODE + 26;
    let mut code = vec![0xb8];
    code.extend(39u32.to_le_bytes()); // mov eax, 39 (mkdir)
    code.push(0xbb);
    code.extend(path_addr.to_le_bytes()); // mov ebx, path
    code.push(0xb9);
    code.extend(0o755u32.to_le_bytes()); // mov ecx, 0755
    code.extend([0xcd, 0x80]); // int 0x80
    code.push(0xb8);
    code.extend(1u32.to_le_bytes()); // mov eax, 1 (exit)
    code.extend([0x31, 0xdb, 0xcd, 0x80]); // xor ebx, ebx; int 0x80
    assert_eq!(code.len(), 26);
    code.extend(path);
    let size = CODE + u32::try_from(code.len()).expect("tiny");
    let mut elf = b"\x7fELF\x01\x01\x01\x00".to_vec();
    elf.extend([0u8; 8]);
    for v in [2u16, 3] {
        elf.extend(v.to_le_bytes()); // ET_EXEC, EM_386
    }
    for v in [1u32, BASE + CODE, 52, 0, 0] {
        elf.extend(v.to_le_bytes()); // version, entry, phoff, shoff, flags
    }
    for v in [52u16, 32, 1, 0, 0, 0] {
        elf.extend(v.to_le_bytes()); // ehsize, phentsize, phnum, shentsize, shnum, shstrndx
    }
    for v in [1u32, 0, BASE, BASE, size, size, 5, 0x1000] {
        elf.extend(v.to_le_bytes()); // PT_LOAD, offset, vaddr, paddr, filesz, memsz, R+X, align
    }
    elf.extend(code);
    elf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_runs_what_is_available() {
        assert!(require("anything", true));
        assert!(decide("seccomp", true, "all"));
    }

    #[test]
    fn require_skips_what_is_missing_unless_required() {
        assert!(!decide("seccomp", false, ""));
        assert!(!decide("seccomp", false, "runc,root"));
    }

    #[test]
    #[should_panic(expected = "seccomp is not available on this machine")]
    fn require_all_makes_a_skip_a_failure() {
        let _ = decide("seccomp", false, "all");
    }

    #[test]
    #[should_panic(expected = "RPOD_TEST_REQUIRE=root, seccomp requires it")]
    fn require_by_name_makes_a_skip_a_failure() {
        let _ = decide("seccomp", false, "root, seccomp");
    }

    #[test]
    fn harmless_args_force_only_what_safety_needs() {
        let h = |n, a| harmless_args(n, a);
        // An fd slot gets BAD_FD unless the kernel already reads it as negative.
        assert_eq!(
            h("lseek", [3, 7, 1, 0, 0, 0]),
            Some([BAD_FD, 7, 1, 0, 0, 0])
        );
        assert_eq!(
            h("lseek", [0xffff_ffff, 7, 1, 0, 0, 0]),
            Some([0xffff_ffff, 7, 1, 0, 0, 0])
        );
        // Pointers become NULL; read and write keep their fd and count.
        assert_eq!(
            h("openat", [5, 0x1000, 2, 0, 0, 0]),
            Some([5, 0, 2, 0, 0, 0])
        );
        assert_eq!(
            h("write", [1, 0x1000, 9, 0, 0, 0]),
            Some([1, 0, 9, 0, 0, 0])
        );
        // close never closes the probe's stdout or stderr, whatever the high word.
        assert_eq!(
            h("close", [0x1_0000_0001, 0, 0, 0, 0, 0]),
            Some([BAD_FD, 0, 0, 0, 0, 0])
        );
        assert_eq!(h("close", [7, 0, 0, 0, 0, 0]), Some([7, 0, 0, 0, 0, 0]));
        // fcntl's queries run on any fd; other commands only on a bad one.
        assert_eq!(h("fcntl", [5, 1, 0, 0, 0, 0]), Some([5, 1, 0, 0, 0, 0]));
        assert_eq!(
            h("fcntl", [5, 2, 1, 0, 0, 0]),
            Some([BAD_FD, 2, 1, 0, 0, 0])
        );
        assert_eq!(h("getuid", [9; 6]), Some([9; 6]));
        assert_eq!(h("kill", [0, 9, 0, 0, 0, 0]), None);
        assert_eq!(h("exit", [0; 6]), None);
    }

    #[test]
    fn expected_outcomes_follow_the_kernel() {
        use KernelOutcome as K;
        let p = ProbeMode::Process;
        assert_eq!(expected(Action::Allow, p, 7), K::Returned(7));
        assert_eq!(expected(Action::Log, p, 7), K::Returned(7));
        assert_eq!(expected(Action::Errno(0), p, 7), K::Returned(0));
        assert_eq!(expected(Action::Errno(77), p, 7), K::Errno(77));
        assert_eq!(expected(Action::Errno(4096), p, 7), K::Errno(4095));
        assert_eq!(expected(Action::Trap(9), p, 7), K::Trap(9));
        assert_eq!(expected(Action::Trace(1), p, 7), K::Errno(libc::ENOSYS));
        assert_eq!(expected(Action::UserNotif, p, 7), K::Errno(libc::ENOSYS));
        assert_eq!(expected(Action::KillThread, p, 7), K::Killed);
        assert_eq!(
            expected(Action::KillThread, ProbeMode::Thread, 7),
            K::ThreadKilled
        );
        assert_eq!(
            expected(Action::KillProcess, ProbeMode::Thread, 7),
            K::Killed
        );
    }
}
