//! Just enough of the kernel's BTF (`/sys/kernel/btf/vmlinux`, format in the kernel's
//! Documentation/bpf/btf.rst) to find where a struct member lives: the program reads the child's
//! pid from the `task_struct` that `sched_process_fork` passes, and that offset differs between
//! kernel builds. No headers, no CO-RE library: one walk over the type section.

use std::path::{Path, PathBuf};

use crate::Error;

const MAGIC: u16 = 0xeb9f;
const KIND_STRUCT: u32 = 4;

/// A kernel BTF blob, read once.
pub struct Btf {
    path: PathBuf,
    data: Vec<u8>,
}

impl Btf {
    /// Reads the BTF blob at `path`.
    ///
    /// # Errors
    /// [`Error::Btf`] when it cannot be read.
    pub fn read(path: &Path) -> Result<Btf, Error> {
        let data = std::fs::read(path).map_err(|e| Error::Btf {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        Ok(Btf {
            path: path.to_path_buf(),
            data,
        })
    }

    /// The byte offset of `member` in `struct name`.
    ///
    /// # Errors
    /// [`Error::Btf`] when the blob is malformed or has no such struct or member.
    pub fn member_offset(&self, name: &str, member: &str) -> Result<u32, Error> {
        find(&self.data, name, member).map_err(|why| Error::Btf {
            path: self.path.clone(),
            why,
        })
    }
}

fn u16_at(d: &[u8], at: usize) -> Result<u16, String> {
    d.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| "truncated".to_string())
}

fn u32_at(d: &[u8], at: usize) -> Result<u32, String> {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| "truncated".to_string())
}

fn str_at(strings: &[u8], off: u32) -> &[u8] {
    let s = strings.get(off as usize..).unwrap_or_default();
    &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]
}

/// Bytes after the 12-byte `struct btf_type` for each kind (btf.rst, "Type Encoding").
fn trailer(kind: u32, vlen: usize) -> Result<usize, String> {
    Ok(match kind {
        // INT, VAR, DECL_TAG: one u32.
        1 | 14 | 17 => 4,
        // ARRAY: struct btf_array.
        3 => 12,
        // STRUCT, UNION, DATASEC, ENUM64: 12 bytes per member, variable or value.
        4 | 5 | 15 | 19 => 12 * vlen,
        // ENUM, FUNC_PROTO: 8 bytes per value or parameter.
        6 | 13 => 8 * vlen,
        // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG: nothing.
        2 | 7..=12 | 16 | 18 => 0,
        _ => return Err(format!("unknown BTF kind {kind}")),
    })
}

fn find(d: &[u8], name: &str, member: &str) -> Result<u32, String> {
    if u16_at(d, 0)? != MAGIC {
        return Err("not little-endian BTF (bad magic)".into());
    }
    let hdr_len = u32_at(d, 4)? as usize;
    let (type_off, type_len) = (u32_at(d, 8)? as usize, u32_at(d, 12)? as usize);
    let (str_off, str_len) = (u32_at(d, 16)? as usize, u32_at(d, 20)? as usize);
    let types = d
        .get(hdr_len + type_off..hdr_len + type_off + type_len)
        .ok_or("type section out of bounds")?;
    let strings = d
        .get(hdr_len + str_off..hdr_len + str_off + str_len)
        .ok_or("string section out of bounds")?;
    let mut at = 0;
    while at + 12 <= types.len() {
        let (name_off, info) = (u32_at(types, at)?, u32_at(types, at + 4)?);
        let kind = (info >> 24) & 0x1f;
        let vlen = (info & 0xffff) as usize;
        if kind == KIND_STRUCT && str_at(strings, name_off) == name.as_bytes() {
            let kflag = info >> 31 == 1;
            for m in 0..vlen {
                let base = at + 12 + 12 * m;
                if str_at(strings, u32_at(types, base)?) == member.as_bytes() {
                    let raw = u32_at(types, base + 8)?;
                    // With kflag the low 24 bits are the bit offset, the high 8 a bitfield size.
                    let bits = if kflag { raw & 0x00ff_ffff } else { raw };
                    if bits % 8 != 0 {
                        return Err(format!("{name}.{member} is a bitfield"));
                    }
                    return Ok(bits / 8);
                }
            }
            return Err(format!("struct {name} has no member {member}"));
        }
        at += 12 + trailer(kind, vlen)?;
    }
    Err(format!("no struct {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BTF blob with `int` and `struct task { int a; int pid; }`.
    fn blob() -> Vec<u8> {
        let strings = b"\0int\0task\0a\0pid\0";
        let mut types = Vec::new();
        // [1] INT "int" size 4, encoding word
        for v in [1u32, 1 << 24, 4, 32] {
            types.extend(v.to_le_bytes());
        }
        // [2] STRUCT "task" vlen 2 size 8; members a@0, pid@32 bits
        for v in [5u32, (4 << 24) | 2, 8, 10, 1, 0, 12, 1, 32] {
            types.extend(v.to_le_bytes());
        }
        let mut d = Vec::new();
        d.extend(MAGIC.to_le_bytes());
        d.extend([1u8, 0]);
        for v in [
            24u32,
            0,
            u32::try_from(types.len()).unwrap(),
            u32::try_from(types.len()).unwrap(),
            u32::try_from(strings.len()).unwrap(),
        ] {
            d.extend(v.to_le_bytes());
        }
        d.extend(types);
        d.extend(strings);
        d
    }

    #[test]
    fn finds_a_members_byte_offset() {
        assert_eq!(find(&blob(), "task", "pid"), Ok(4));
        assert_eq!(find(&blob(), "task", "a"), Ok(0));
        assert!(find(&blob(), "task", "tgid")
            .unwrap_err()
            .contains("no member"));
        assert!(find(&blob(), "mm", "pid")
            .unwrap_err()
            .contains("no struct"));
        assert!(find(&blob()[..10], "task", "pid").is_err());
    }

    #[test]
    fn reads_this_kernels_task_struct() {
        let path = Path::new("/sys/kernel/btf/vmlinux");
        if !rpod_tests::require("BTF", path.exists()) {
            return;
        }
        let btf = Btf::read(path).unwrap();
        let pid = btf.member_offset("task_struct", "pid").unwrap();
        let tgid = btf.member_offset("task_struct", "tgid").unwrap();
        assert_eq!(tgid, pid + 4, "pid_t pid; pid_t tgid; are adjacent");
        // struct seccomp { int mode; atomic_t filter_count; struct seccomp_filter *filter; }
        assert_eq!(btf.member_offset("seccomp", "filter").unwrap(), 8);
        // What the program reads to follow the container's pid namespace (issue 14).
        btf.member_offset("task_struct", "nsproxy").unwrap();
        btf.member_offset("nsproxy", "pid_ns_for_children").unwrap();
        btf.member_offset("pid_namespace", "ns").unwrap();
        btf.member_offset("ns_common", "inum").unwrap();
    }
}
