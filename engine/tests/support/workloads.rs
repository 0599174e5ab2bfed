//! Real-workload images (nginx, redis, python3, postgres) for engine/tests/workloads.rs: built
//! from Debian packages by `scripts/test-images.sh` (mmdebstrap), cached once per machine
//! outside the clone, and imported into a fresh store with `rpod import`.

use std::path::{Path, PathBuf};
use std::process::Command;

use rpod_tests::require;

use super::Env;

/// `scripts/test-images.sh` of this checkout.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/test-images.sh")
}

/// `tests/workloads/` of this checkout: the servers' configurations and scripts.
pub fn files() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/workloads")
}

/// The rootfs tar of image `name`, built (or taken from the cache) by the script. `None`
/// (and a visible skip) when mmdebstrap is not installed; a failed build fails the test.
pub fn image_tar(name: &str) -> Option<PathBuf> {
    if !require(
        "mmdebstrap",
        Path::new("/usr/bin/mmdebstrap").is_file() || Path::new("/bin/mmdebstrap").is_file(),
    ) {
        return None;
    }
    let o = Command::new(script())
        .arg(name)
        .output()
        .expect("scripts/test-images.sh runs");
    assert!(
        o.status.success(),
        "scripts/test-images.sh {name} failed (it needs the Debian archive, or a cached image): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let path = PathBuf::from(
        out.lines()
            .last()
            .expect("the script prints the tar's path"),
    );
    assert!(path.is_file(), "{} is not a file", path.display());
    Some(path)
}

/// A fresh store holding only image `name` (imported from [`image_tar`]).
pub fn env_with(name: &str) -> Option<Env> {
    let tar = image_tar(name)?;
    let e = Env {
        dir: super::short_tempdir_in(&std::env::temp_dir()),
    };
    let o = e.rpod(&["import", tar.to_str().expect("utf8"), name]);
    assert!(
        o.status.success(),
        "import {}: {}",
        tar.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    Some(e)
}

/// Runs `f` on a thread that joined the network namespace of process `pid` (a container's
/// process): `127.0.0.1` there is the container's loopback. Only that thread moves
/// (setns(2) changes the calling thread's namespace), the test's other threads do not. A panic
/// of `f` (a deadline passed) comes back as an error.
pub fn in_netns<T: Send + 'static>(
    pid: u32,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let ns = std::fs::File::open(format!("/proc/{pid}/ns/net"))
        .map_err(|e| format!("cannot open the network namespace of {pid}: {e}"))?;
    std::thread::spawn(move || {
        nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)
            .map_err(|e| format!("setns(CLONE_NEWNET) into the namespace of {pid}: {e}"))?;
        f()
    })
    .join()
    .unwrap_or_else(|p| {
        Err(p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(ToString::to_string))
            .unwrap_or_else(|| "the client panicked".into()))
    })
}
