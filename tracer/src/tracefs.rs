//! tracefs: where it is mounted, and the field offsets of the tracepoint records the program
//! reads. Offsets are read from `events/<category>/<event>/format` at load time because they
//! differ between kernels (`child_pid` of `sched_process_fork` is at 20 on 6.18, 44 before
//! the `__data_loc` comm change).

use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;

const CANDIDATES: &[&str] = &["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// The tracefs directory, mounting tracefs at /sys/kernel/tracing when no mount exists (the
/// kernel has it but nothing mounted it, as on this project's CI machines).
///
/// # Errors
/// [`Error::Tracefs`] when it is neither mounted nor mountable (no root, no tracefs).
pub fn ensure_mounted() -> Result<PathBuf, Error> {
    for c in CANDIDATES {
        if Path::new(c).join("events").is_dir() {
            return Ok(PathBuf::from(c));
        }
    }
    let target = Path::new(CANDIDATES[0]);
    nix::mount::mount(
        Some("tracefs"),
        target,
        Some("tracefs"),
        nix::mount::MsFlags::MS_NOSUID
            | nix::mount::MsFlags::MS_NODEV
            | nix::mount::MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(|e| Error::Tracefs {
        path: target.to_path_buf(),
        source: std::io::Error::from(e),
    })?;
    Ok(target.to_path_buf())
}

/// The byte offset of `field` in the record of `category/event`.
///
/// # Errors
/// [`Error::TracepointFormat`] when the format file cannot be read or has no such field.
pub fn field_offset(
    tracefs: &Path,
    category: &str,
    event: &str,
    field: &str,
) -> Result<u32, Error> {
    let path = tracefs
        .join("events")
        .join(category)
        .join(event)
        .join("format");
    let text = fs::read_to_string(&path).map_err(|e| Error::TracepointFormat {
        path: path.clone(),
        why: e.to_string(),
    })?;
    parse_offset(&text, field).ok_or_else(|| Error::TracepointFormat {
        path,
        why: format!("no field `{field}`"),
    })
}

/// Finds `field:<type> <field>;\toffset:N;` in a tracefs format file.
fn parse_offset(format: &str, field: &str) -> Option<u32> {
    format.lines().find_map(|line| {
        let line = line.trim();
        let decl = line.strip_prefix("field:")?.split(';').next()?;
        let name = decl.rsplit([' ', '*']).next()?;
        if name != field {
            return None;
        }
        let rest = line
            .split(';')
            .find_map(|p| p.trim().strip_prefix("offset:"))?;
        rest.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORK: &str = "name: sched_process_fork\nID: 300\nformat:\n\
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
        \tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n\
        \tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;\n\
        \tfield:__data_loc char[] child_comm;\toffset:16;\tsize:4;\tsigned:0;\n\
        \tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;\n";

    #[test]
    fn offsets_come_from_the_format_file() {
        assert_eq!(parse_offset(FORK, "parent_pid"), Some(12));
        assert_eq!(parse_offset(FORK, "child_pid"), Some(20));
        assert_eq!(parse_offset(FORK, "pid"), None);
        assert_eq!(parse_offset(FORK, "common_pid"), Some(4));
    }

    #[test]
    fn older_kernels_put_child_pid_after_inline_comms() {
        let old = "\tfield:char parent_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n\
                   \tfield:pid_t parent_pid;\toffset:24;\tsize:4;\tsigned:1;\n\
                   \tfield:char child_comm[16];\toffset:28;\tsize:16;\tsigned:0;\n\
                   \tfield:pid_t child_pid;\toffset:44;\tsize:4;\tsigned:1;\n";
        assert_eq!(parse_offset(old, "child_pid"), Some(44));
    }
}
