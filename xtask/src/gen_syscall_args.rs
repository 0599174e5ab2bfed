//! `cargo xtask gen-syscall-args`: writes `kafel-dsl/src/syscalls/generated.rs`.
//!
//! Kafel policies name syscall arguments (`write { fd == 1 && count < 4096 }`), and a 4-byte
//! argument must be compared on its low word only. Both the names and the C types come from
//! the running kernel's tracefs: every syscall defined with `SYSCALL_DEFINEn` has an event
//! `events/syscalls/sys_enter_<name>/format` whose fields after `__syscall_nr` are its
//! arguments, in order, with their C types (`field:unsigned int fd; offset:16; size:8;`). The
//! `size:` there is the 8-byte slot of the trace record, not the argument's size, so the size
//! is taken from the C type with [`size_of`].
//!
//! Event names are the kernel's entry points (`sys_enter_newfstat` for x86_64's `fstat`), and
//! the signatures are those of the architecture the kernel was built for; `kafel-dsl`'s
//! `syscalls` module maps libseccomp names and other architectures onto them, assuming x86_64.
//! So this generator runs only on x86_64, and only by hand: CI kernels differ in version and
//! configuration (a kernel without `CONFIG_MODULES` has no `init_module` event), so the table
//! is not checked in `make lint`.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};

use crate::gen_syscalls::Outcome;

/// The file this generator owns, relative to the workspace root.
const OUTPUT: &str = "kafel-dsl/src/syscalls/generated.rs";

/// Where tracefs is mounted on current kernels (Documentation/trace/ftrace.rst); debugfs
/// mounts it again under `tracing/` for older tools.
const TRACEFS: &str = "/sys/kernel/tracing";
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

/// A syscall has at most six arguments (`struct seccomp_data.args[6]`).
const MAX_ARGS: usize = 6;

/// One argument of a syscall, as the tracefs format describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Arg {
    name: String,
    /// The C type as tracefs prints it, e.g. `const char *`.
    c_type: String,
    /// 4 or 8: the size of the C type on x86_64.
    size: u8,
}

/// One `sys_enter_*` event.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Event {
    /// The event name without `sys_enter_`: the kernel's name for the entry point.
    name: String,
    args: Vec<Arg>,
}

/// Regenerates the file; writes it only when it changed, through a temporary file and a rename.
pub fn write() -> Result<Outcome> {
    ensure!(
        std::env::consts::ARCH == "x86_64",
        "gen-syscall-args reads x86_64 signatures and must run on an x86_64 kernel (this is {})",
        std::env::consts::ARCH
    );
    let dir = events_dir()?;
    let events = read_events(&dir)?;
    let release = kernel_release()?;
    let text = render(&release, &events);
    let path = output_path();
    if fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        return Ok(Outcome::UpToDate);
    }
    let parent = path
        .parent()
        .context("output path has no parent directory")?;
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = parent.join(".generated.rs.tmp");
    let mut file =
        fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(file);
    fs::rename(&tmp, &path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(Outcome::Written(path))
}

fn output_path() -> PathBuf {
    // xtask/ sits in the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(OUTPUT)
}

/// The `events/syscalls` directory of tracefs, mounting tracefs first if it is not.
fn events_dir() -> Result<PathBuf> {
    for root in [TRACEFS, DEBUGFS_TRACING] {
        let dir = Path::new(root).join("events/syscalls");
        if dir.is_dir() {
            return Ok(dir);
        }
    }
    // `mount` rather than mount(2): xtask has no unsafe code and no libc binding, and the
    // command's own message says why it failed (not root, no tracefs in this kernel).
    let output = Command::new("mount")
        .args(["-t", "tracefs", "nodev", TRACEFS])
        .output()
        .context("cannot run `mount -t tracefs nodev /sys/kernel/tracing`")?;
    let dir = Path::new(TRACEFS).join("events/syscalls");
    if dir.is_dir() {
        return Ok(dir);
    }
    let why = String::from_utf8_lossy(&output.stderr).trim().to_string();
    bail!(
        "no syscall events under {TRACEFS}: `mount -t tracefs nodev {TRACEFS}` {}{}\n  \
         hint: run as root on a kernel built with CONFIG_FTRACE_SYSCALLS",
        if output.status.success() {
            "succeeded but the kernel has no syscall trace events"
        } else {
            "failed"
        },
        if why.is_empty() {
            String::new()
        } else {
            format!(": {why}")
        }
    )
}

/// `6.18` from `/proc/sys/kernel/osrelease` (`6.18.44-fc-v669`).
fn kernel_release() -> Result<String> {
    let path = "/proc/sys/kernel/osrelease";
    let release = fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    major_minor(release.trim()).with_context(|| format!("unexpected kernel release in {path}"))
}

fn major_minor(release: &str) -> Result<String> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) if !major.is_empty() && !minor.is_empty() => {
            Ok(format!("{major}.{minor}"))
        }
        _ => bail!("'{release}' is not a Linux release"),
    }
}

/// Every `sys_enter_*` event in `dir`, sorted by name.
fn read_events(dir: &Path) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let file_name = entry.file_name();
        let Some(name) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix("sys_enter_"))
        else {
            continue;
        };
        let path = entry.path().join("format");
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let args = parse_format(&text).with_context(|| format!("in {}", path.display()))?;
        events.push(Event {
            name: name.to_string(),
            args,
        });
    }
    ensure!(
        !events.is_empty(),
        "{} has no sys_enter_* events",
        dir.display()
    );
    events.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(events)
}

/// The arguments in one event's `format` file: the fields after `__syscall_nr`.
fn parse_format(text: &str) -> Result<Vec<Arg>> {
    let mut args = Vec::new();
    let mut seen_nr = false;
    for line in text.lines() {
        let Some(field) = line
            .trim()
            .strip_prefix("field:")
            .and_then(|rest| rest.split(';').next())
        else {
            continue;
        };
        let (c_type, name) = split_field(field)?;
        if name == "__syscall_nr" {
            seen_nr = true;
            continue;
        }
        // The common_* fields of every trace record come before __syscall_nr.
        if !seen_nr {
            continue;
        }
        let size = size_of(&c_type).with_context(|| format!("argument '{name}'"))?;
        args.push(Arg {
            name: name.to_string(),
            c_type,
            size,
        });
    }
    ensure!(seen_nr, "no __syscall_nr field: not a syscall event");
    ensure!(
        args.len() <= MAX_ARGS,
        "{} arguments, a syscall has at most {MAX_ARGS}",
        args.len()
    );
    Ok(args)
}

/// `const char * buf` -> (`const char *`, `buf`).
fn split_field(field: &str) -> Result<(String, &str)> {
    let field = field.trim();
    let start = field
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let (c_type, name) = field.split_at(start);
    let c_type = c_type.trim();
    ensure!(
        !name.is_empty() && !c_type.is_empty(),
        "cannot split field '{field}' into a type and a name"
    );
    Ok((c_type.to_string(), name))
}

/// The size on x86_64 of an argument of C type `c_type`: 4 or 8.
///
/// Types narrower than 4 bytes (`umode_t` is an `unsigned short`) count as 4, because a seccomp
/// filter compares 32-bit words and Kafel knows only 4- and 8-byte arguments. The kernel
/// truncates such an argument to its type (the `SYSCALL_DEFINEn` wrapper casts it), so a rule
/// on the low word also sees bits the kernel ignores; a policy should mask them
/// (`mode & 07777`).
///
/// An unknown type stops the generator: guessing 4 for a 64-bit type would let a filter pass
/// any value whose high word differs.
fn size_of(c_type: &str) -> Result<u8> {
    let bare = c_type.trim_start_matches("const ").trim();
    if bare.contains('*') {
        return Ok(8);
    }
    if bare.starts_with("enum ") {
        return Ok(4);
    }
    let size = match bare {
        // int and its typedefs (include/uapi/asm-generic/posix_types.h, include/linux/types.h).
        "int" | "unsigned int" | "unsigned" | "signed int" | "u32" | "__u32" | "s32" | "__s32"
        | "pid_t" | "uid_t" | "gid_t" | "qid_t" | "clockid_t" | "timer_t" | "mqd_t" | "key_t"
        | "key_serial_t" | "rwf_t" | "old_uid_t" | "old_gid_t" => 4,
        // Narrower than 4 bytes: see above.
        "umode_t" | "unsigned short" | "short" | "u16" | "__u16" | "unsigned char" | "char"
        | "u8" | "__u8" => 4,
        // long and its typedefs, and the explicitly 64-bit types.
        "long"
        | "unsigned long"
        | "size_t"
        | "ssize_t"
        | "off_t"
        | "loff_t"
        | "aio_context_t"
        | "u64"
        | "__u64"
        | "s64"
        | "__s64"
        | "long long"
        | "unsigned long long"
        | "time_t"
        | "__kernel_old_time_t"
        | "clock_t" => 8,
        // Pointer typedefs (include/uapi/linux/capability.h).
        "cap_user_header_t" | "cap_user_data_t" => 8,
        _ => bail!("unknown C type '{c_type}': add it to size_of in xtask/src/gen_syscall_args.rs"),
    };
    Ok(size)
}

/// rustfmt's `fn_call_width`: a tuple or array whose contents are wider goes one item a line.
const CALL_WIDTH: usize = 60;
const MAX_WIDTH: usize = 100;

/// The generated file, laid out as rustfmt would (rustfmt skips `@generated` files by default).
fn render(release: &str, events: &[Event]) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "// @generated by `cargo xtask gen-syscall-args` from the tracefs of Linux {release}; \
         do not edit

//! Syscall argument names, C types and sizes from the `sys_enter_*` events of Linux {release}'s
//! tracefs on x86_64, sorted by event name (the kernel's name for the entry point, such as
//! `newfstat`). A size is the C type's on x86_64: 4 or 8 bytes (narrower types count as 4).

use super::Signature;

/// The Linux release whose tracefs this table was read from.
pub const LINUX_RELEASE: &str = \"{release}\";

/// `(kernel name, [(argument name, C type, size in bytes on x86_64)])`, sorted by kernel name.
pub static SYSCALLS: &[(&str, Signature)] = &[
"
    );
    for event in events {
        let args: Vec<String> = event
            .args
            .iter()
            .map(|a| format!("(\"{}\", \"{}\", {})", a.name, a.c_type, a.size))
            .collect();
        let joined = args.join(", ");
        let contents = format!("\"{}\", &[{joined}]", event.name);
        let line = format!("    ({contents}),");
        if contents.len() <= CALL_WIDTH && line.len() <= MAX_WIDTH {
            let _ = writeln!(out, "{line}");
        } else if joined.len() <= CALL_WIDTH {
            let _ = writeln!(
                out,
                "    (\n        \"{}\",\n        &[{joined}],\n    ),",
                event.name
            );
        } else {
            let _ = writeln!(out, "    (\n        \"{}\",\n        &[", event.name);
            for arg in &args {
                let _ = writeln!(out, "            {arg},");
            }
            out.push_str("        ],\n    ),\n");
        }
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITE: &str = "name: sys_enter_write
ID: 840
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * buf;\toffset:24;\tsize:8;\tsigned:0;
\tfield:size_t count;\toffset:32;\tsize:8;\tsigned:0;

print fmt: \"fd: 0x%08lx, buf: 0x%08lx, count: 0x%08lx\", ((unsigned long)(REC->fd)), ...
";

    fn arg(name: &str, c_type: &str, size: u8) -> Arg {
        Arg {
            name: name.to_string(),
            c_type: c_type.to_string(),
            size,
        }
    }

    #[test]
    fn parses_the_arguments_after_syscall_nr_with_sizes_from_the_c_type() {
        let args = parse_format(WRITE).expect("write's format parses");
        assert_eq!(
            args,
            vec![
                arg("fd", "unsigned int", 4),
                arg("buf", "const char *", 8),
                arg("count", "size_t", 8),
            ]
        );
    }

    #[test]
    fn splits_pointer_to_pointer_fields() {
        assert_eq!(
            split_field("const char *const * argv").expect("splits"),
            ("const char *const *".to_string(), "argv")
        );
        assert_eq!(
            split_field("struct robust_list_head * * head_ptr").expect("splits"),
            ("struct robust_list_head * *".to_string(), "head_ptr")
        );
    }

    #[test]
    fn sizes_follow_the_c_type_and_unknown_types_are_errors() {
        assert_eq!(size_of("umode_t").expect("known"), 4);
        assert_eq!(size_of("const clockid_t").expect("known"), 4);
        assert_eq!(size_of("const enum landlock_rule_type").expect("known"), 4);
        assert_eq!(size_of("loff_t").expect("known"), 8);
        assert_eq!(size_of("cap_user_data_t").expect("known"), 8);
        assert_eq!(size_of("struct stat *").expect("known"), 8);
        assert!(size_of("__kernel_weird_t").is_err());
    }

    #[test]
    fn events_without_syscall_nr_are_rejected() {
        assert!(parse_format("format:\n\tfield:int common_pid;\toffset:4;\n").is_err());
    }

    #[test]
    fn release_is_major_and_minor() {
        assert_eq!(major_minor("6.18.44-fc-v669").expect("parses"), "6.18");
        assert_eq!(major_minor("5.10.0").expect("parses"), "5.10");
        assert!(major_minor("linux").is_err());
    }

    #[test]
    fn render_keeps_lines_within_rustfmt_width() {
        let events = vec![
            Event {
                name: "getpid".to_string(),
                args: vec![],
            },
            Event {
                name: "write".to_string(),
                args: parse_format(WRITE).expect("parses"),
            },
        ];
        let text = render("6.18", &events);
        assert!(text.starts_with(
            "// @generated by `cargo xtask gen-syscall-args` from the tracefs of Linux 6.18"
        ));
        assert!(text.contains("    (\"getpid\", &[]),\n"));
        assert!(text.contains("            (\"buf\", \"const char *\", 8),\n"));
        assert!(text.lines().all(|l| l.len() <= MAX_WIDTH));
    }
}
