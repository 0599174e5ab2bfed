//! The host's device nodes, which a `--privileged` container gets, as podman's
//! `addPrivilegedDevices` (after runc's `GetDevices`): every block and character device under
//! `/dev`, except the per-container trees the runtime mounts itself.

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::Path;

use oci_spec::runtime::{LinuxDevice, LinuxDeviceBuilder, LinuxDeviceType};

use super::error::BundleError;

/// Directories under `/dev` that are not the host's devices (runc `GetDevices`).
const SKIP_DIRS: &[&str] = &["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];

/// Device nodes under `dev` (normally `/dev`), sorted by path, as they appear in the container.
pub(crate) fn host_devices(dev: &Path) -> Result<Vec<LinuxDevice>, BundleError> {
    let mut out = Vec::new();
    walk(dev, Path::new("/dev"), &mut out)?;
    out.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(out)
}

fn walk(dir: &Path, in_container: &Path, out: &mut Vec<LinuxDevice>) -> Result<(), BundleError> {
    let read = std::fs::read_dir(dir).map_err(|source| BundleError::Host {
        what: "the device nodes (/dev)",
        source,
    })?;
    for entry in read.flatten() {
        let name = entry.file_name();
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let ft = meta.file_type();
        if ft.is_dir() {
            if SKIP_DIRS.iter().any(|s| name == *s) {
                continue;
            }
            walk(&entry.path(), &in_container.join(&name), out)?;
            continue;
        }
        // /dev/console belongs to the container's terminal, set up by the runtime.
        if name == "console" {
            continue;
        }
        let typ = if ft.is_char_device() {
            LinuxDeviceType::C
        } else if ft.is_block_device() {
            LinuxDeviceType::B
        } else {
            continue;
        };
        let rdev = meta.rdev();
        let number = |v: u64| {
            i64::try_from(v).map_err(|_| BundleError::Unrepresentable {
                what: format!("device number {v} of {}", entry.path().display()),
            })
        };
        let device = LinuxDeviceBuilder::default()
            .path(in_container.join(&name))
            .typ(typ)
            .major(number(nix::sys::stat::major(rdev))?)
            .minor(number(nix::sys::stat::minor(rdev))?)
            .file_mode(meta.mode() & 0o7777)
            .uid(meta.uid())
            .gid(meta.gid())
            .build()
            .map_err(|source| BundleError::Build {
                what: "device",
                source,
            })?;
        out.push(device);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_character_devices_and_skips_the_rest() {
        // /dev/null may be a plain file in a sandbox; any char device proves the walk.
        let devs = host_devices(Path::new("/dev")).unwrap();
        for d in &devs {
            assert!(d.path().starts_with("/dev"));
            assert!(!d.path().starts_with("/dev/pts"));
            assert_ne!(d.path(), Path::new("/dev/console"));
        }
        // Sorted by path, each once: compared pairwise, so an empty or one-entry list cannot
        // pass by comparing a sort with itself (issue 11).
        assert!(devs.windows(2).all(|w| w[0].path() < w[1].path()));
        use std::os::unix::fs::FileTypeExt as _;
        let char_dev = |p: &str| std::fs::metadata(p).is_ok_and(|m| m.file_type().is_char_device());
        if rpod_tests::require(
            "/dev/null and /dev/zero as character devices",
            char_dev("/dev/null") && char_dev("/dev/zero"),
        ) {
            let paths: Vec<&Path> = devs.iter().map(|d| d.path().as_path()).collect();
            assert!(paths.contains(&Path::new("/dev/null")), "{paths:?}");
            assert!(paths.contains(&Path::new("/dev/zero")), "{paths:?}");
        }
    }
}
