//! Helpers shared by the fuzz targets (see `docs/fuzzing.md`).
//!
//! - [`fix_tar_checksums`]: a tar header carries a checksum, so almost every mutation of a header
//!   byte makes the `tar` crate refuse the entry before rpod sees it. The image targets repair the
//!   checksums of the input first, so mutations reach the unpacker's rules instead of the tar
//!   reader's first check.
//! - [`Sandbox`]: a scratch directory with a canary tree beside the directory under test, to
//!   assert that nothing was written outside it.

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

const BLOCK: usize = 512;

/// With `RPOD_FUZZ_SAVE=PATH` in the environment, writes `data` (an input as the code under test
/// receives it, after [`fix_tar_checksums`]) to PATH, to replay a finding through the CLI.
///
/// # Panics
/// When PATH cannot be written.
pub fn save_input(data: &[u8]) {
    if let Some(path) = std::env::var_os("RPOD_FUZZ_SAVE") {
        fs::write(&path, data).expect("write RPOD_FUZZ_SAVE");
    }
}

/// Whether `data` starts with the gzip magic.
#[must_use]
pub fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// The input of an image target as the code under test receives it: the header checksums of a
/// tar (not of a gzip) repaired ([`fix_tar_checksums`]), and saved for [`save_input`].
#[must_use]
pub fn archive_input(data: &[u8]) -> Vec<u8> {
    let mut data = data.to_vec();
    if !is_gzip(&data) {
        fix_tar_checksums(&mut data);
    }
    save_input(&data);
    data
}

/// Rewrites, in place, the checksum of every header of the tar stream in `data`, walking it as a
/// tar reader does (header, then its data rounded up to 512 bytes), and recursively of member
/// data that is itself a tar (ustar magic at offset 257: layers inside an image archive). Stops
/// at the first header whose size field is not octal or base-256, or runs past the end; an
/// all-zero block (the end marker) is left alone. Input that is not a tar comes out as it came.
pub fn fix_tar_checksums(data: &mut [u8]) {
    fix(data, 0);
}

fn fix(data: &mut [u8], depth: u32) {
    let mut off = 0usize;
    while off + BLOCK <= data.len() {
        let header = &mut data[off..off + BLOCK];
        if header.iter().all(|&b| b == 0) {
            off += BLOCK;
            continue;
        }
        let Some(size) = parse_size(&header[124..136]) else {
            return;
        };
        header[148..156].fill(b' ');
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        let field = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(field.as_bytes());
        let start = off + BLOCK;
        let Some(end) = usize::try_from(size)
            .ok()
            .and_then(|s| start.checked_add(s))
            .filter(|&e| e <= data.len())
        else {
            return;
        };
        let member = &mut data[start..end];
        if depth < 2 && member.len() >= BLOCK && &member[257..262] == b"ustar" {
            fix(member, depth + 1);
        }
        off = start + (end - start).div_ceil(BLOCK) * BLOCK;
    }
}

/// A tar size field: octal digits (spaces and NULs around them), or GNU base-256 (high bit set).
fn parse_size(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut n: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            n = n.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(n);
    }
    let digits: &[u8] = {
        let s = field
            .iter()
            .position(|&b| b != b' ' && b != 0)
            .unwrap_or(field.len());
        let rest = &field[s..];
        let e = rest
            .iter()
            .position(|&b| b == b' ' || b == 0)
            .unwrap_or(rest.len());
        &rest[..e]
    };
    if digits.is_empty() {
        return Some(0);
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) {
            return None;
        }
        n = n.checked_mul(8)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

/// One node of the canary tree as it must stay.
#[derive(Debug, PartialEq, Eq)]
struct Node {
    path: PathBuf,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: (i64, i64),
    content: Option<Vec<u8>>,
}

/// `<tmp>/rpod-fuzz-<pid>/case/` holding `inside/` (what the code under test may write to,
/// created empty) and `outside/` (a canary tree: a file and a directory). [`Sandbox::check`]
/// panics if anything but `inside/` changed: a new name in `case/` or in the process's scratch
/// directory, or any change to the canaries (content, mode, owner, mtime).
pub struct Sandbox {
    scratch: PathBuf,
    case: PathBuf,
    before: Vec<Node>,
}

impl Sandbox {
    /// A fresh sandbox (the previous one of this process is removed first).
    ///
    /// # Panics
    /// When the scratch directory cannot be made: the harness cannot run.
    #[must_use]
    pub fn new() -> Sandbox {
        let scratch = std::env::temp_dir().join(format!("rpod-fuzz-{}", std::process::id()));
        let case = scratch.join("case");
        if case.exists() {
            fs::remove_dir_all(&case).expect("remove the previous case directory");
        }
        fs::create_dir_all(case.join("inside")).expect("create the sandbox");
        fs::create_dir_all(case.join("outside/dir")).expect("create the canary directory");
        fs::write(case.join("outside/canary"), b"canary\n").expect("write the canary file");
        let before = snapshot(&case.join("outside"));
        Sandbox {
            scratch,
            case,
            before,
        }
    }

    /// The directory the code under test may write to.
    #[must_use]
    pub fn inside(&self) -> PathBuf {
        self.case.join("inside")
    }

    /// Panics when anything outside [`Sandbox::inside`] changed.
    ///
    /// # Panics
    /// That is its purpose: a write outside the directory under test is a finding.
    pub fn check(&self) {
        assert_eq!(
            names(&self.scratch),
            ["case"],
            "something was created beside the sandbox in {}",
            self.scratch.display()
        );
        assert_eq!(
            names(&self.case),
            ["inside", "outside"],
            "something was created beside inside/ in {}",
            self.case.display()
        );
        let after = snapshot(&self.case.join("outside"));
        assert_eq!(after, self.before, "the canary tree outside/ was changed");
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.case);
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("list a sandbox directory")
        .map(|e| {
            e.expect("read a sandbox entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

fn snapshot(root: &Path) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = fs::symlink_metadata(&p).expect("stat a canary");
        let content = if m.is_file() {
            Some(fs::read(&p).expect("read a canary file"))
        } else {
            None
        };
        if m.is_dir() {
            let mut kids: Vec<PathBuf> = fs::read_dir(&p)
                .expect("list a canary directory")
                .map(|e| e.expect("read a canary entry").path())
                .collect();
            kids.sort();
            stack.extend(kids);
        }
        out.push(Node {
            path: p,
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            mtime: (m.mtime(), m.mtime_nsec()),
            content,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutated_header_gets_a_valid_checksum() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_path("a").unwrap();
        h.set_size(3);
        h.set_cksum();
        b.append(&h, &b"abc"[..]).unwrap();
        let mut data = b.into_inner().unwrap();
        data[0] = b'/';
        assert!(tar::Archive::new(&data[..])
            .entries()
            .unwrap()
            .next()
            .unwrap()
            .is_err());
        fix_tar_checksums(&mut data);
        let mut a = tar::Archive::new(&data[..]);
        let e = a.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(&*e.path_bytes(), b"/");
    }
}
