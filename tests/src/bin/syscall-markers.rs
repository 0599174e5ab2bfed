//! A workload for the recorder's tests: makes *marker* syscalls (legacy ones libc does not
//! use on its own: mkdir, rename, link, symlink, rmdir, chmod, fsync, flock, and a netlink
//! socket) from the main thread, from threads, from a nested thread, from a short-lived child
//! and from an orphaned grandchild that outlives its parent, at known times. A recorder that
//! loses a thread, a child, or the tail of the run misses a marker.
//!
//! `syscall-markers DIR` runs the whole workload in DIR (created if missing) and exits 0 when
//! every marker succeeded. The `child` and `grandchild` modes are its own re-execs.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::io::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};
use std::time::{Duration, Instant};

/// AF_NETLINK: the family the argument-recording test looks for.
const FAMILY: i64 = 16;

fn path(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("no NUL in paths")
}

/// One raw syscall, so glibc's choice of `*at` variants cannot hide the marker.
fn sys(what: &str, nr: libc::c_long, a: [i64; 3]) -> i64 {
    // SAFETY: every caller passes valid pointers (CStrings alive for the call) or integers.
    let rc = unsafe { libc::syscall(nr, a[0], a[1], a[2]) };
    if rc < 0 {
        eprintln!(
            "syscall-markers: {what} failed: {}",
            std::io::Error::last_os_error()
        );
        exit(1);
    }
    rc
}

fn ptr(c: &CString) -> i64 {
    c.as_ptr() as i64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or_default();
    match (mode, args.get(2)) {
        ("child", Some(dir)) => child(Path::new(dir)),
        ("grandchild", Some(dir)) => grandchild(Path::new(dir)),
        (dir, None) if !dir.is_empty() => root(Path::new(dir)),
        _ => {
            eprintln!("usage: syscall-markers DIR");
            exit(2);
        }
    }
}

fn root(dir: &Path) {
    std::fs::create_dir_all(dir).expect("cannot create the work directory");
    let file = dir.join("f");
    std::fs::write(&file, b"x").expect("cannot create f");
    sys(
        "mkdir",
        libc::SYS_mkdir,
        [ptr(&path(&dir.join("a"))), 0o755, 0],
    );
    let threads = vec![
        std::thread::spawn({
            let (f, l) = (path(&file), path(&dir.join("l")));
            move || {
                sys("link", libc::SYS_link, [ptr(&f), ptr(&l), 0]);
            }
        }),
        std::thread::spawn({
            let s = path(&dir.join("s"));
            move || {
                sys(
                    "symlink",
                    libc::SYS_symlink,
                    [ptr(&CString::new("f").unwrap()), ptr(&s), 0],
                );
                let fd = sys(
                    "socket",
                    libc::SYS_socket,
                    [FAMILY, i64::from(libc::SOCK_RAW), 0],
                );
                // SAFETY: a descriptor this thread just opened.
                unsafe { libc::close(i32::try_from(fd).unwrap_or(-1)) };
            }
        }),
        std::thread::spawn({
            let file = file.clone();
            move || {
                std::thread::sleep(Duration::from_millis(100));
                let f = std::fs::File::open(&file).expect("open f");
                let fd = i64::from(f.as_raw_fd());
                sys("flock", libc::SYS_flock, [fd, i64::from(libc::LOCK_EX), 0]);
                // A thread started by a thread.
                std::thread::spawn(move || {
                    sys("fsync", libc::SYS_fsync, [fd, 0, 0]);
                    drop(f);
                })
                .join()
                .expect("nested thread");
            }
        }),
    ];
    let me = std::env::current_exe().expect("own path");
    let status = Command::new(&me)
        .arg("child")
        .arg(dir)
        .status()
        .expect("cannot start the child");
    assert!(status.success(), "child failed");
    for t in threads {
        t.join().expect("a marker thread failed");
    }
    // The grandchild outlives the child; wait for its marker file before exiting (in a
    // container the last process's exit would kill it).
    let done = dir.join("done");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done.exists() {
        assert!(Instant::now() < deadline, "the grandchild never finished");
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("markers done");
}

/// A short-lived child: one marker, then it starts the grandchild and exits at once.
fn child(dir: &Path) {
    let (a, b) = (dir.join("r1"), dir.join("r2"));
    std::fs::write(&a, b"r").expect("cannot create r1");
    sys(
        "rename",
        libc::SYS_rename,
        [ptr(&path(&a)), ptr(&path(&b)), 0],
    );
    let me = std::env::current_exe().expect("own path");
    // Not waited for on purpose: the grandchild is orphaned when this process exits.
    #[expect(
        clippy::zombie_processes,
        reason = "the orphan is the point of the test"
    )]
    Command::new(me)
        .arg("grandchild")
        .arg(dir)
        .spawn()
        .expect("cannot start the grandchild");
}

/// An orphan: its markers come after its parent exited.
fn grandchild(dir: &Path) {
    std::thread::sleep(Duration::from_millis(200));
    sys(
        "chmod",
        libc::SYS_chmod,
        [ptr(&path(&dir.join("f"))), 0o600, 0],
    );
    let d = dir.join("d");
    std::fs::create_dir(&d).expect("cannot create d");
    sys("rmdir", libc::SYS_rmdir, [ptr(&path(&d)), 0, 0]);
    let done: PathBuf = dir.join("done");
    std::fs::write(done, b"").expect("cannot write done");
}
