//! Replacing a file the user named (`-o OUT`, `fmt` in place, a recording's `of:`), the one way
//! rpod writes such a file.
//!
//! - **Atomic**: the bytes go to a temporary file in the same directory, fsynced, then renamed
//!   over the target; a reader sees the old file or the new one, and on an error the
//!   temporary file is removed and the target is untouched.
//! - **No symlink followed**: a symlink at the target is replaced, not written through. The
//!   callers refuse one first (`-o`, `of:`, issue 12: replacing it silently broke the link); one
//!   that appears between their check and the rename is replaced, never followed.
//! - **Mode**: the permission bits of the regular file replaced, else what a plain
//!   `open(O_CREAT, 0666)` gives (0666 less the umask). The temporary file is created 0600,
//!   which must not leak into the result (a 0644 policy became 0600, issue 11); set-id bits do
//!   not survive a rewrite.
//!
//! Devices, FIFOs and directories are the caller's to refuse or write in place: renaming over
//! `/dev/null` would make it a regular file for the whole machine.

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Replaces `path` with `bytes` as the module says.
///
/// # Errors
/// When the temporary file cannot be created, written or renamed (missing or read-only
/// directory, a directory at `path`).
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mode = match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => m.permissions().mode() & 0o777,
        _ => 0o666 & !umask(),
    };
    let mut tmp = tempfile::Builder::new().prefix(".rpod-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The process's umask, read without changing it (`Umask:` in /proc/self/status, Linux 4.7+);
/// where that is missing, 022 (changing the umask to read it would race with other threads).
fn umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn an_existing_files_mode_is_kept() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        for m in [0o644, 0o640, 0o600] {
            fs::write(&p, "old").unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(m)).unwrap();
            replace(&p, b"new").unwrap();
            assert_eq!(
                (mode(&p), fs::read_to_string(&p).unwrap().as_str()),
                (m, "new")
            );
        }
    }

    #[test]
    fn a_new_file_follows_the_umask() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("new");
        replace(&p, b"x").unwrap();
        assert_eq!(mode(&p), 0o666 & !umask());
    }

    #[test]
    fn set_id_bits_do_not_survive() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o4755)).unwrap();
        replace(&p, b"new").unwrap();
        assert_eq!(mode(&p), 0o755);
    }

    #[test]
    fn a_symlink_is_replaced_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("target");
        fs::write(&target, "keep").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        replace(&link, b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
        assert!(fs::symlink_metadata(&link).unwrap().is_file());
    }

    #[test]
    fn a_failed_replace_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("dir");
        fs::create_dir(&p).unwrap();
        assert!(replace(&p, b"x").is_err());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
        assert!(replace(&d.path().join("missing/f"), b"x").is_err());
    }
}
