//! What the engine's end-to-end suites share: a fresh store with a busybox image, and the
//! checks for what the machine must have.

#![allow(dead_code, reason = "each suite uses its own part")]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rpod_tests::require;

pub fn ready() -> bool {
    require("root", nix::unistd::geteuid().is_root())
        && require(
            "runc",
            std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("runc").is_file())),
        )
        && require("busybox-static", Path::new("/bin/busybox").is_file())
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    /// A fresh store with `busybox` imported.
    pub fn new() -> Env {
        Env::with(|_| {})
    }

    /// A fresh store with `busybox` imported, after `extra` added files to its rootfs.
    pub fn with(extra: impl FnOnce(&Path)) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let rootfs = dir.path().join("rootfs");
        rpod_tests::busybox_rootfs(&rootfs, "root:x:0:0:root:/root:/bin/sh\n", "root:x:0:\n");
        extra(&rootfs);
        let tar = dir.path().join("busybox.tar");
        let st = Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .expect("tar");
        assert!(st.success());
        let e = Env { dir };
        let o = e.rpod(&[
            "import",
            tar.to_str().expect("utf8"),
            "busybox",
            "--change",
            "CMD=[\"/bin/sh\"]",
        ]);
        assert!(
            o.status.success(),
            "import: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        e
    }

    pub fn rpod(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("rpod runs")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rpod"));
        c.arg("--root")
            .arg(self.dir.path().join("root"))
            .arg("--runroot")
            .arg(self.dir.path().join("run"))
            .args(args)
            .stdin(Stdio::null());
        c
    }

    pub fn out(&self, args: &[&str]) -> String {
        let o = self.rpod(args);
        assert!(
            o.status.success(),
            "rpod {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).to_string()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Nothing may stay mounted under the temp dir.
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        for line in mounts.lines() {
            if let Some(p) = line.split(' ').nth(4) {
                if p.starts_with(self.dir.path().to_str().unwrap_or("\0")) {
                    let _ = nix::mount::umount2(p, nix::mount::MntFlags::MNT_DETACH);
                }
            }
        }
    }
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// crun can run here: installed, and, on a cgroup v1 "hybrid" machine, every v1 controller
/// mounted (crun 1.8 refuses otherwise; this machine kind lacks hugetlb, see `docs/host.md`), which
/// this mounts as an administrator would.
pub fn crun_ready() -> bool {
    if !require("crun", Path::new("/usr/bin/crun").is_file()) {
        return false;
    }
    let hugetlb = Path::new("/sys/fs/cgroup/hugetlb");
    if Path::new("/sys/fs/cgroup/unified").exists() && !hugetlb.join("tasks").exists() {
        let _ = std::fs::create_dir_all(hugetlb);
        let st = Command::new("mount")
            .args(["-t", "cgroup", "-o", "hugetlb", "cgroup"])
            .arg(hugetlb)
            .status()
            .expect("mount");
        assert!(
            st.success(),
            "cannot mount the hugetlb cgroup controller for crun"
        );
    }
    true
}

/// Polls `check` until it gives a value, and returns it. Waits for a condition instead of
/// sleeping a fixed time (issue 11); the 60 s cap only keeps a broken build from hanging the
/// suite, it is not a figure any test asserts.
pub fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "gave up after 60 s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
