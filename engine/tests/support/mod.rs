//! What the engine's end-to-end suites share: a fresh store with a busybox image, and the
//! checks for what the machine must have.

#![allow(dead_code, reason = "each suite uses its own part")]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rpod_tests::require;

pub mod recording;
pub mod workloads;

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
        Env::with_in(&std::env::temp_dir(), extra)
    }

    /// [`Env::with`], in a temporary directory under `parent`.
    pub fn with_in(parent: &Path, extra: impl FnOnce(&Path)) -> Env {
        let dir = short_tempdir_in(parent);
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
        // Nothing may stay mounted under the temp dir. The thread's own view: a test that runs
        // crun has a mount namespace of its own (`crun_ready`).
        let mounts = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap_or_default();
        for line in mounts.lines() {
            if let Some(p) = line.split(' ').nth(4) {
                if p.starts_with(self.dir.path().to_str().unwrap_or("\0")) {
                    let _ = nix::mount::umount2(p, nix::mount::MntFlags::MNT_DETACH);
                }
            }
        }
    }
}

/// A temporary directory under `parent` with a short name (`rXXXXXX`): a store's run root is
/// `DIR/run`, and under runc the container's seccomp listener is
/// `RUNROOT/seccomp-listeners/<32 hex>.sock`, which must fit a unix socket address (107 bytes,
/// `denials::Error::ListenerPath`): short store paths keep well inside it.
pub fn short_tempdir_in(parent: &Path) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("r")
        .tempdir_in(parent)
        .expect("tempdir")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Removes every container of the store when dropped, also when a test fails midway: a
/// running or paused container would outlive the test (its store goes with the temporary
/// directory, its processes and runc's state do not).
pub struct RemoveAll<'a>(pub &'a Env);

impl Drop for RemoveAll<'_> {
    fn drop(&mut self) {
        let _ = self.0.rpod(&["rm", "-a", "-f", "-t", "0"]);
    }
}

/// crun can run here: installed, and, on a cgroup v1 "hybrid" machine, every v1 controller
/// mounted (crun 1.8 refuses otherwise; this machine kind lacks hugetlb, see `docs/host.md`).
///
/// The calling test thread gets its own mount namespace with the controller mounted
/// ([`cgroups_with_hugetlb_for_this_thread`]), so the host's mounts do not change and nothing
/// is left to unmount, even when the test panics. Call it before the test's first `rpod`
/// command, so all of the test's containers live in that namespace.
pub fn crun_ready() -> bool {
    if !require("crun", Path::new("/usr/bin/crun").is_file()) {
        return false;
    }
    let v1 = cgroup_mounts()
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .any(|m| m.fstype == "cgroup");
    if v1 {
        cgroups_with_hugetlb_for_this_thread()
            .unwrap_or_else(|e| panic!("cannot give crun the hugetlb cgroup controller: {e}"));
    }
    true
}

/// A cgroup file system mounted under /sys/fs/cgroup, as the calling thread sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    pub path: String,
    pub fstype: String,
    /// The superblock's options without `rw`/`ro`: the controllers, `name=`, `nsdelegate`.
    pub options: String,
}

/// The cgroup mounts under /sys/fs/cgroup in the calling thread's mount namespace
/// (`/proc/thread-self`: `/proc/self` shows the main thread's, which a test thread may not share).
pub fn cgroup_mounts() -> Result<Vec<CgroupMount>, String> {
    let info = std::fs::read_to_string("/proc/thread-self/mountinfo")
        .map_err(|e| format!("cannot read /proc/thread-self/mountinfo: {e}"))?;
    let mut out = Vec::new();
    for line in info.lines() {
        // `id parent major:minor root mount-point options [optional...] - fstype source super`
        let (left, right) = line.split_once(" - ").unwrap_or((line, ""));
        let path = left.split(' ').nth(4).unwrap_or("");
        let mut right = right.split(' ');
        let fstype = right.next().unwrap_or("");
        let options = right.nth(1).unwrap_or("");
        if path.starts_with("/sys/fs/cgroup/") && fstype.starts_with("cgroup") {
            out.push(CgroupMount {
                path: path.to_string(),
                fstype: fstype.to_string(),
                options: options
                    .split(',')
                    .filter(|o| *o != "rw" && *o != "ro")
                    .collect::<Vec<_>>()
                    .join(","),
            });
        }
    }
    Ok(out)
}

/// Moves the calling thread into a mount namespace of its own whose /sys/fs/cgroup is a fresh
/// tmpfs holding the host's cgroup mounts (mounted again: a v1 hierarchy mounted with the same
/// controllers is the same hierarchy) plus the hugetlb controller crun 1.8.1 needs.
///
/// Why not mount hugetlb on the host and unmount it afterwards: tests run in parallel threads and
/// in several test binaries at once, so one test's unmount would pull the controller from under
/// another's crun; and `mkdir /sys/fs/cgroup/hugetlb` would change the host's tmpfs. A mount
/// namespace is per thread (`unshare(CLONE_NEWNS)` unshares the thread's `fs_struct`, see
/// unshare(2)), the runtimes started from the thread inherit it, and it goes away with the
/// thread and its children, whatever the test did: there is nothing to restore. `/` is made a
/// slave first, so nothing mounted here propagates back to the host (mount_namespaces(7)).
pub fn cgroups_with_hugetlb_for_this_thread() -> Result<(), String> {
    use nix::mount::{mount, MsFlags};
    let root = Path::new("/sys/fs/cgroup");
    let mut mounts = cgroup_mounts()?;
    let links: Vec<(std::ffi::OsString, std::path::PathBuf)> = std::fs::read_dir(root)
        .map_err(|e| format!("cannot list {}: {e}", root.display()))?
        .filter_map(Result::ok)
        .filter_map(|d| Some((d.file_name(), std::fs::read_link(d.path()).ok()?)))
        .collect();
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("unshare(CLONE_NEWNS): {e}"))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )
    .map_err(|e| format!("cannot make / a slave mount in the new namespace: {e}"))?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("tmpfs"), root, Some("tmpfs"), flags, Some("mode=755"))
        .map_err(|e| format!("cannot mount a tmpfs on {}: {e}", root.display()))?;
    if !mounts
        .iter()
        .any(|m| m.options.split(',').any(|o| o == "hugetlb"))
    {
        mounts.push(CgroupMount {
            path: "/sys/fs/cgroup/hugetlb".to_string(),
            fstype: "cgroup".to_string(),
            options: "hugetlb".to_string(),
        });
    }
    for m in &mounts {
        std::fs::create_dir_all(&m.path).map_err(|e| format!("mkdir {}: {e}", m.path))?;
        let data = Some(m.options.as_str()).filter(|o| !o.is_empty());
        mount(
            Some("cgroup"),
            m.path.as_str(),
            Some(m.fstype.as_str()),
            flags,
            data,
        )
        .map_err(|e| format!("mount -t {} -o {} {}: {e}", m.fstype, m.options, m.path))?;
    }
    for (name, target) in links {
        std::os::unix::fs::symlink(&target, root.join(&name))
            .map_err(|e| format!("ln -s {} {name:?}: {e}", target.display()))?;
    }
    Ok(())
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

/// What the runtime, the records and the files say about containers, for tests that compare
/// them (issue 12: a record must not outlive or lose what runc runs).
impl Env {
    /// `runc list` of this store's runtime root: id -> status (`running`, `stopped`, ...).
    pub fn runc_list(&self) -> std::collections::BTreeMap<String, String> {
        let o = Command::new("runc")
            .arg("--root")
            .arg(self.dir.path().join("run/runtime/runc"))
            .args(["list", "--format", "json"])
            .output()
            .expect("runc list runs");
        assert!(
            o.status.success(),
            "runc list: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("runc list json");
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c["id"].as_str().expect("id").to_string(),
                            c["status"].as_str().expect("status").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `rpod ps -a --format json`: id -> state.
    pub fn ps_states(&self) -> std::collections::BTreeMap<String, String> {
        ps_states_of(self.out(&["ps", "-a", "--format", "json"]).as_bytes())
    }

    /// Mount points under this store, as the calling thread sees them.
    pub fn mounts(&self) -> Vec<String> {
        let info = std::fs::read_to_string("/proc/thread-self/mountinfo").expect("mountinfo");
        let under = self.dir.path().to_str().expect("utf8").to_string();
        info.lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|p| p.starts_with(&under))
            .map(ToString::to_string)
            .collect()
    }

    /// Container ids that have a directory under ROOT/containers or RUNROOT/containers.
    pub fn container_dirs(&self) -> std::collections::BTreeSet<String> {
        ["root/containers", "run/containers"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.dir.path().join(d)).ok())
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }
}

/// The output of `rpod ps --format json`: id -> state.
pub fn ps_states_of(json: &[u8]) -> std::collections::BTreeMap<String, String> {
    let v: serde_json::Value = serde_json::from_slice(json).expect("ps json");
    v.as_array()
        .expect("ps array")
        .iter()
        .map(|c| {
            (
                c["Id"].as_str().expect("Id").to_string(),
                c["State"].as_str().expect("State").to_string(),
            )
        })
        .collect()
}
