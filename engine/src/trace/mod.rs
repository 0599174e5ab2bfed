//! Recording a workload's syscalls into a profile: the `io.containers.trace-syscall`
//! annotation (podman's oci-seccomp-bpf-hook syntax) and `rpod seccomp record`.
//!
//! A [`Request`] says where the profile goes (`of:`), what it starts from (`if:`) and which
//! arguments to record. It is checked before anything runs ([`Request::check`]): a recording
//! that cannot be written is an error at `rpod run`, not a surprise after the workload ran.
//! [`write`] turns a [`tracer::Finished`] into the profile and the counts side file
//! (`OUT.counts.json`, how often each syscall was seen over the recordings merged), each
//! written to a temporary file and renamed into place. A [`Session`] is one recording: the
//! recorder loaded, attached and finished into a profile.

pub mod prepare;
pub mod session;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use profiles::model::{ActionKind, Profile};
use profiles::record::{ArgSpec, Counts, RecordError};
use serde::{Deserialize, Serialize};

pub use session::{Loading, Session, SessionError, Window};

/// podman's annotation: `of:OUT` or `if:IN;of:OUT`.
pub const ANNOTATION: &str = "io.containers.trace-syscall";
/// rpod's: the syscalls whose arguments are recorded (`socket,clone,ioctl:1,mmap:2:0x4`).
pub const ARGS_ANNOTATION: &str = "io.rpod.trace-syscall.args";

/// Input profiles larger than this are refused.
const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// A recording to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The profile to start from (`if:`).
    pub input: Option<PathBuf>,
    /// Where the profile is written (`of:`).
    pub output: PathBuf,
    /// Syscalls whose argument values become rules.
    #[serde(default)]
    pub args: BTreeMap<String, ArgSpec>,
    /// The profile the recorded one must stay within (`base:`); rpod's default profile
    /// (podman's) when `None`. docs/recorded-profiles.md.
    #[serde(default)]
    pub base: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("invalid {ANNOTATION} value {value:?}: {why}")]
    Syntax { value: String, why: String },
    #[error("invalid list of syscalls whose arguments to record")]
    Args(#[source] RecordError),
    #[error("{ARGS_ANNOTATION} without {ANNOTATION}")]
    ArgsWithoutRecording,
    /// Relative paths in the annotation are taken from the current directory.
    #[error("cannot read the current directory")]
    Cwd(#[source] std::io::Error),
    #[error("cannot record to {}: {why}", path.display())]
    Output { path: PathBuf, why: String },
    #[error("cannot use {} as the input profile: {why}", path.display())]
    Input { path: PathBuf, why: String },
    #[error("cannot use {} as the base profile: {why}", path.display())]
    Base { path: PathBuf, why: String },
    #[error("cannot build the recorded profile")]
    Build(#[source] RecordError),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("nothing was recorded: no process installed its seccomp filter (did the runtime fail before starting the workload?)")]
    Empty,
}

impl crate::hint::Hint for TraceError {
    fn hint(&self) -> Option<String> {
        match self {
            TraceError::Syntax { .. } => Some(format!(
                "write {ANNOTATION}=of:/path/out.json or {ANNOTATION}=if:/path/in.json;of:/path/out.json"
            )),
            TraceError::ArgsWithoutRecording => {
                Some(format!("add --annotation {ANNOTATION}=of:/path/out.json"))
            }
            TraceError::Args(_) => Some(
                "write NAME, NAME:INDEX or NAME:INDEX:MASK items separated by commas, e.g. socket,ioctl,mmap".into(),
            ),
            TraceError::Output { .. } => {
                Some("name a regular file (or a new one) in an existing, writable directory".into())
            }
            TraceError::Base { .. } => Some(
                "the base must be a JSON seccomp profile, e.g. /usr/share/containers/seccomp.json; the recorded profile allows nothing it denies".into(),
            ),
            TraceError::Input { .. } => Some(
                "the input must be a JSON seccomp profile that denies by default, such as an earlier recording".into(),
            ),
            _ => None,
        }
    }
}

impl Request {
    /// The recording a container's annotations ask for ([`ANNOTATION`], with
    /// [`ARGS_ANNOTATION`]); `None` when they ask for none. Parsed, not yet checked.
    ///
    /// # Errors
    /// As [`Request::parse`]; [`TraceError::ArgsWithoutRecording`] for an argument list without
    /// a recording.
    pub fn from_annotations(
        annotations: &BTreeMap<String, String>,
        cwd: &Path,
    ) -> Result<Option<Request>, TraceError> {
        let args = annotations.get(ARGS_ANNOTATION).map(String::as_str);
        match annotations.get(ANNOTATION) {
            Some(value) => Request::parse(value, args, cwd).map(Some),
            None if args.is_some() => Err(TraceError::ArgsWithoutRecording),
            None => Ok(None),
        }
    }

    /// Parses the annotation's value (`of:OUT` or `if:IN;of:OUT`, in any order) and the
    /// optional argument list. Relative paths are taken from `cwd` (podman's hook needs
    /// absolute ones; `rpod run` resolves them where it runs).
    ///
    /// # Errors
    /// [`TraceError::Syntax`] for a missing `of:`, an unknown or repeated key, an empty path;
    /// [`TraceError::Args`] for a bad argument list.
    pub fn parse(value: &str, args: Option<&str>, cwd: &Path) -> Result<Request, TraceError> {
        let bad = |why: &str| TraceError::Syntax {
            value: value.to_string(),
            why: why.to_string(),
        };
        let (mut input, mut output, mut base) = (None, None, None);
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, path) = part
                .split_once(':')
                .ok_or_else(|| bad(&format!("{part:?} is not if:PATH or of:PATH")))?;
            let slot = match key.trim() {
                "if" => &mut input,
                "of" => &mut output,
                // rpod's: the profile the recording stays within (docs/recorded-profiles.md).
                "base" => &mut base,
                k => return Err(bad(&format!("unknown key {k:?} (only if:, of: and base:)"))),
            };
            if slot.is_some() {
                return Err(bad(&format!("{key}: is given twice")));
            }
            let path = path.trim();
            if path.is_empty() {
                return Err(bad(&format!("{key}: has no path")));
            }
            *slot = Some(cwd.join(path));
        }
        let output = output.ok_or_else(|| bad("no of:PATH says where the profile goes"))?;
        let args = match args {
            Some(a) => profiles::record::parse_arg_specs(a).map_err(TraceError::Args)?,
            None => BTreeMap::new(),
        };
        Ok(Request {
            input,
            output,
            args,
            base,
        })
    }

    /// Checks, before the workload runs, that the output can be written and the input read;
    /// returns the input profile.
    ///
    /// # Errors
    /// An output that is a symlink, a directory or another non-regular file, in a missing or
    /// unwritable directory; an input that cannot be read or is not a profile that denies by
    /// default.
    pub fn check(&self) -> Result<Option<Profile>, TraceError> {
        check_output(&self.output)?;
        check_output(&counts_path(&self.output))?;
        let dir = parent(&self.output);
        // Writable? Create and drop a temporary file where the real one will be made.
        tempfile::NamedTempFile::new_in(dir).map_err(|e| TraceError::Output {
            path: self.output.clone(),
            why: format!("cannot create a file in {}: {e}", dir.display()),
        })?;
        if let Some(b) = &self.base {
            load_base(b)?;
        }
        self.input.as_deref().map(load_input).transpose()
    }
}

/// The argument specs the recorder is given: the user's, and for the syscalls rpod limits by
/// meaning ([`profiles::record::ALWAYS_RECORDED`]: clone, socket, ioctl, prctl, fcntl) their
/// default argument when the user named none (docs/recorded-profiles.md).
#[must_use]
pub fn recorder_args(user: &BTreeMap<String, ArgSpec>) -> BTreeMap<String, ArgSpec> {
    let mut args = profiles::record::always_recorded();
    args.extend(user.iter().map(|(k, v)| (k.clone(), *v)));
    args
}

/// Reads a base profile (`base:`, `--base`): any profile; a recording never allows more
/// than it does.
///
/// # Errors
/// [`TraceError::Base`].
pub fn load_base(path: &Path) -> Result<Profile, TraceError> {
    let bad = |why: String| TraceError::Base {
        path: path.to_path_buf(),
        why,
    };
    let text = read_limited(path).map_err(bad)?;
    Ok(profiles::load::from_str(&text)
        .map_err(|e| bad(e.to_string()))?
        .profile)
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn check_output(path: &Path) -> Result<(), TraceError> {
    let bad = |why: String| TraceError::Output {
        path: path.to_path_buf(),
        why,
    };
    let dir = parent(path);
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(bad(format!("{} is not a directory", dir.display()))),
        Err(e) => return Err(bad(format!("directory {}: {e}", dir.display()))),
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(bad(
            "it is a symlink; rpod does not write a profile through a symlink".into(),
        )),
        Ok(m) if m.is_dir() => Err(bad("it is a directory".into())),
        Ok(m) if !m.is_file() => Err(bad(
            "it is not a regular file (a device, socket or FIFO)".into()
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(bad(e.to_string())),
    }
}

fn read_limited(path: &Path) -> Result<String, String> {
    // O_NONBLOCK: a FIFO put there is refused below instead of waiting for a writer.
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(|e| e.to_string())?;
    let m = f.metadata().map_err(|e| e.to_string())?;
    if !m.is_file() {
        return Err("not a regular file".into());
    }
    let mut text = String::new();
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!("larger than {} MiB", MAX_INPUT_BYTES >> 20));
    }
    Ok(text)
}

/// Reads an input profile (`if:`), which must deny by default.
///
/// # Errors
/// [`TraceError::Input`].
pub fn load_input(path: &Path) -> Result<Profile, TraceError> {
    let bad = |why: String| TraceError::Input {
        path: path.to_path_buf(),
        why,
    };
    let text = read_limited(path).map_err(bad)?;
    let profile = profiles::load::from_str(&text)
        .map_err(|e| bad(e.to_string()))?
        .profile;
    if profile.default_action == ActionKind::Allow {
        return Err(bad(RecordError::AllowAllBase.to_string()));
    }
    Ok(profile)
}

/// The counts side file of a profile: `ls.json` -> `ls.counts.json`.
#[must_use]
pub fn counts_path(profile: &Path) -> PathBuf {
    match profile.extension() {
        Some(e) if e == "json" => profile.with_extension("counts.json"),
        _ => {
            let mut s = profile.as_os_str().to_owned();
            s.push(".counts.json");
            PathBuf::from(s)
        }
    }
}

/// A recorded profile, built, with what a user should know about it.
#[derive(Debug)]
pub struct Built {
    pub profile: Profile,
    pub warnings: Vec<String>,
    /// Syscalls the workload needed beyond the base profile (counted in the counts file).
    pub beyond_base: Vec<String>,
}

/// Builds the profile of `finished` on top of `base` (the checked input, `if:`).
///
/// # Errors
/// Nothing recorded; a base that allows everything.
pub fn build(base: Option<&Profile>, finished: &tracer::Finished) -> Result<Built, TraceError> {
    build_within(base, None, finished)
}

/// [`build`], within the profile `within` (`base:`, `--base`) instead of rpod's default.
///
/// # Errors
/// As [`build`].
pub fn build_within(
    base: Option<&Profile>,
    within: Option<&Profile>,
    finished: &tracer::Finished,
) -> Result<Built, TraceError> {
    if finished.seen == 0 {
        return Err(TraceError::Empty);
    }
    // What the profile allows besides the recorded calls: the kernel's own, and the handoff's
    // argument values for the syscalls whose arguments were recorded.
    let (recording, mut warnings) = prepare::for_profile(finished);
    let default;
    let within = match within {
        Some(w) => w,
        None => {
            default = profiles::default_profile::default_profile();
            &default
        }
    };
    let built = profiles::record::to_profile_within(&recording, base, Some(within))
        .map_err(TraceError::Build)?;
    if finished.lost_tasks > 0 {
        warnings.push(format!(
            "{} processes or threads could not be tracked: the profile may miss their syscalls",
            finished.lost_tasks
        ));
    }
    if finished.still_running > 0 {
        warnings.push(format!(
            "{} processes of the workload were still running when the recording ended; later syscalls are not in the profile",
            finished.still_running
        ));
    }
    if finished.lost_arg_values > 0 {
        warnings.push("too many argument values to keep: the syscalls chosen for argument recording are allowed with any argument".into());
    }
    if finished.out_of_range > 0 {
        warnings.push(format!(
            "{} calls had a number outside the syscall tables (invalid numbers, or x32's); no profile can allow them by name",
            finished.out_of_range
        ));
    }
    if !built.kept_blocked.is_empty() {
        warnings.push(format!(
            "the input profile blocks {}, which the workload called; they stay blocked",
            built.kept_blocked.join(", ")
        ));
    }
    if !built.widened.is_empty() {
        warnings.push(format!(
            "{} took more than {} argument values; allowed with any argument",
            built.widened.join(", "),
            profiles::record::MAX_VALUES_PER_SYSCALL
        ));
    }
    if !built.beyond_base.is_empty() {
        warnings.push(format!(
            "the workload called {} beyond what the base profile allows; the profile denies those calls as the base does (give another base with --base or base:PATH to allow them; counted under beyond_base in the counts file)",
            built.beyond_base.join(", ")
        ));
    }
    if !built.kept_input_rules.is_empty() {
        warnings.push(format!(
            "the input profile allows {} only for some arguments and this recording has no argument values for them: the input's rules are kept, calls outside them stay denied (record their arguments with --args or {ARGS_ANNOTATION})",
            built.kept_input_rules.join(", ")
        ));
    }
    if !built.replaced_input_rules.is_empty() {
        warnings.push(format!(
            "the workload needed {} with any argument: the input's argument rules for them are replaced by an unconditional allow",
            built.replaced_input_rules.join(", ")
        ));
    }
    if !built.unnamed.is_empty() {
        let nrs: Vec<String> = built.unnamed.iter().map(u32::to_string).collect();
        warnings.push(format!(
            "syscall numbers {} have no name in libseccomp; the profile cannot list them (they get the default action)",
            nrs.join(", ")
        ));
    }
    Ok(Built {
        profile: built.profile,
        warnings,
        beyond_base: built.beyond_base,
    })
}

/// What [`write`] wrote, and what a user should know about it.
#[derive(Debug)]
pub struct Written {
    pub syscalls: usize,
    pub counts: PathBuf,
    pub warnings: Vec<String>,
}

/// Builds the profile of `finished` (on top of `base`, the checked input) and writes it and
/// its counts side file (merged with the input's, when it has one).
///
/// # Errors
/// As [`build`]; the output became a symlink or a non-regular file since the check; a write
/// that fails.
pub fn write(
    req: &Request,
    base: Option<&Profile>,
    finished: &tracer::Finished,
) -> Result<Written, TraceError> {
    let within = req.base.as_deref().map(load_base).transpose()?;
    let built = build_within(base, within.as_ref(), finished)?;
    let mut counts = req
        .input
        .as_deref()
        .map(counts_path)
        .and_then(|p| read_limited(&p).ok())
        .and_then(|t| serde_json::from_str::<Counts>(&t).ok())
        .unwrap_or_default();
    counts.add(&finished.recording);
    counts.add_beyond_base(&built.beyond_base);
    let counts_file = counts_path(&req.output);
    check_output(&req.output)?;
    check_output(&counts_file)?;
    replace(&req.output, built.profile.to_json_pretty().as_bytes())?;
    replace(&counts_file, counts.to_json_pretty().as_bytes())?;
    let allowed: std::collections::BTreeSet<&String> = built
        .profile
        .syscalls
        .iter()
        .filter(|r| r.action == ActionKind::Allow)
        .flat_map(|r| &r.names)
        .collect();
    Ok(Written {
        syscalls: allowed.len(),
        counts: counts_file,
        warnings: built.warnings,
    })
}

/// Writes the file atomically, keeping the mode of the file it replaces or following the umask
/// ([`crate::replace`]), as every output file of rpod.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), TraceError> {
    crate::replace::replace(path, bytes).map_err(|source| TraceError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annotation_takes_of_and_if_in_any_order() {
        let r = Request::parse("if:/a/in.json;of:/b/out.json", None, Path::new("/")).unwrap();
        assert_eq!(r.input.as_deref(), Some(Path::new("/a/in.json")));
        assert_eq!(r.output, Path::new("/b/out.json"));
        let r = Request::parse("of:out.json; if:in.json", Some("socket"), Path::new("/w")).unwrap();
        assert_eq!(r.output, Path::new("/w/out.json"));
        assert_eq!(r.input.as_deref(), Some(Path::new("/w/in.json")));
        assert_eq!(r.args.len(), 1);
    }

    #[test]
    fn the_annotation_takes_a_base_to_stay_within() {
        let r = Request::parse("of:/o.json;base:/b.json", None, Path::new("/")).unwrap();
        assert_eq!(r.base.as_deref(), Some(Path::new("/b.json")));
        assert_eq!(r.input, None);
        // rpod's always-recorded arguments, with a user's spec winning for its syscall.
        let user = profiles::record::parse_arg_specs("ioctl:1").unwrap();
        let args = recorder_args(&user);
        assert_eq!(args["ioctl"], user["ioctl"]);
        assert!(profiles::record::ALWAYS_RECORDED
            .iter()
            .all(|n| args.contains_key(*n)));
    }

    #[test]
    fn a_bad_annotation_says_what_is_wrong() {
        for (v, why) in [
            ("if:/a.json", "no of:PATH"),
            ("of:/a;of:/b", "given twice"),
            ("xf:/a", "unknown key"),
            ("of:", "has no path"),
            ("/tmp/out.json", "is not if:PATH"),
        ] {
            let e = Request::parse(v, None, Path::new("/")).unwrap_err();
            assert!(e.to_string().contains(why), "{v}: {e}");
        }
        assert!(matches!(
            Request::parse("of:/a", Some("sockett"), Path::new("/")),
            Err(TraceError::Args(_))
        ));
    }

    #[test]
    fn outputs_that_are_symlinks_directories_or_in_missing_directories_are_refused() {
        let d = tempfile::tempdir().unwrap();
        // The test's own files, not the host's (issue 11): a target the symlink points at, and a
        // FIFO as a file that is not regular.
        let target = d.path().join("target");
        fs::write(&target, "keep me").unwrap();
        let link = d.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let fifo = d.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let req = |p: &Path| Request {
            input: None,
            output: p.to_path_buf(),
            args: BTreeMap::new(),
            base: None,
        };
        let e = req(&link).check().unwrap_err().to_string();
        assert!(e.contains("symlink"), "{e}");
        let e = req(d.path()).check().unwrap_err().to_string();
        assert!(e.contains("directory"), "{e}");
        let e = req(&d.path().join("no/such/out.json"))
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("No such file"), "{e}");
        let e = req(&fifo).check().unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        req(&d.path().join("new.json")).check().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
    }

    #[test]
    fn inputs_must_be_profiles_that_deny_by_default() {
        let d = tempfile::tempdir().unwrap();
        let allow = d.path().join("allow.json");
        fs::write(&allow, r#"{"defaultAction":"SCMP_ACT_ALLOW"}"#).unwrap();
        let mut r = Request::parse("of:out.json", None, d.path()).unwrap();
        r.input = Some(allow);
        assert!(r
            .check()
            .unwrap_err()
            .to_string()
            .contains("allows every syscall"));
        r.input = Some(d.path().join("missing.json"));
        assert!(matches!(r.check(), Err(TraceError::Input { .. })));
    }

    #[test]
    fn a_symlink_where_the_counts_file_goes_is_refused_too() {
        let d = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(d.path().join("elsewhere"), d.path().join("p.counts.json"))
            .unwrap();
        let r = Request::parse("of:p.json", None, d.path()).unwrap();
        let e = r.check().unwrap_err().to_string();
        assert!(e.contains("p.counts.json") && e.contains("symlink"), "{e}");
    }

    #[test]
    fn the_counts_file_sits_next_to_the_profile() {
        assert_eq!(
            counts_path(Path::new("/t/ls.json")),
            Path::new("/t/ls.counts.json")
        );
        assert_eq!(
            counts_path(Path::new("/t/ls")),
            Path::new("/t/ls.counts.json")
        );
    }
}
