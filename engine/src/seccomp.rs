//! Seccomp inputs as users give them: an OCI profile (JSON), a Kafel-like policy, or a raw BPF
//! program, told apart by extension and then by content ([`kind_of`]). This is the one place
//! that turns such a file into a [`Profile`]: for `rpod seccomp ...` and for the profile a
//! container runs under (`--security-opt seccomp=FILE`, [`container_profile`]).
//!
//! (`trace::load_input` reads the `if:` input of a recording, which must be JSON that denies by
//! default, with a size bound of its own.)
//!
//! Nothing here prints: what a user should see besides the profile (a policy's warnings with
//! their carets, a profile's tolerated problems, what libseccomp or runc would enforce
//! differently) is written, as it is found, to the `warn` writer the caller passes (rpod's
//! stderr), so warnings found before an error are still seen.

use std::io::Write;
use std::path::{Path, PathBuf};

use profiles::compile::NoteKind;
use profiles::model::Profile;
use profiles::resolve::Context;
use profiles::{load, Arch};

use crate::hint::Hint;

/// What an input file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An OCI seccomp profile.
    Json,
    /// A Kafel-like policy.
    Policy,
    /// A raw `struct sock_filter` array.
    Bpf,
}

/// The kind of an input: by extension, else by content (binary is BPF, text that looks like a
/// policy is one, any other text is JSON).
#[must_use]
pub fn kind_of(path: &Path, bytes: &[u8]) -> Kind {
    match path.extension().and_then(|e| e.to_str()) {
        Some("bpf") => return Kind::Bpf,
        Some("kafel" | "policy") => return Kind::Policy,
        Some("json") => return Kind::Json,
        _ => {}
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => {
            if kafel_dsl::looks_like_policy(text) {
                Kind::Policy
            } else {
                Kind::Json
            }
        }
        _ => Kind::Bpf,
    }
}

/// How a path is named in messages: `<stdin>` for `-`, control characters escaped
/// ([`crate::term`]: a newline in a file name must not forge a line of a diagnostic).
#[must_use]
pub fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        crate::term::shown(&path.display().to_string()).into_owned()
    }
}

/// Why an input could not be read as a profile.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A raw BPF program (`.bpf`, or binary content) where a profile or policy is needed.
    #[error("{} is a raw BPF program, not a profile or policy", path.display())]
    Bpf { path: PathBuf },
    #[error("{} is not UTF-8 text", path.display())]
    NotText {
        path: PathBuf,
        kind: Kind,
        #[source]
        source: std::string::FromUtf8Error,
    },
    /// The policy has errors (rendered with carets by [`kafel_dsl::Error::render`]).
    #[error("cannot compile {name}")]
    Policy {
        name: String,
        #[source]
        source: kafel_dsl::Error,
    },
    /// The policy's meaning cannot be written as OCI JSON.
    #[error("cannot express {name} in OCI JSON")]
    Lower {
        name: String,
        #[source]
        source: kafel_dsl::Error,
    },
    /// The JSON is not a valid profile (every problem in the source).
    #[error("invalid profile {}", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: load::Invalid,
    },
}

impl Hint for InputError {
    fn hint(&self) -> Option<String> {
        match self {
            InputError::Bpf { .. } => Some(
                "only `rpod seccomp simulate` and `rpod seccomp disasm` read BPF programs; give the OCI JSON profile or the policy it was compiled from".into(),
            ),
            InputError::NotText {
                kind: Kind::Policy, ..
            } => Some("a policy is UTF-8 text; check that this is the file you meant".into()),
            InputError::NotText { .. } => Some(
                "a profile is UTF-8 JSON text; check that this is the file you meant".into(),
            ),
            InputError::Invalid { .. } => {
                Some("fix the fields named above; `rpod seccomp validate` checks again".into())
            }
            InputError::Policy { .. } | InputError::Lower { .. } => None,
        }
    }
}

/// A policy parsed and resolved for `arches` (empty: this machine's); its warnings go to
/// `warn`.
///
/// # Errors
/// [`InputError::NotText`], [`InputError::Policy`].
pub fn compile_policy(
    path: &Path,
    bytes: Vec<u8>,
    arches: &[Arch],
    include_dirs: &[PathBuf],
    warn: &mut dyn Write,
) -> Result<kafel_dsl::Policy, InputError> {
    let text = String::from_utf8(bytes).map_err(|source| InputError::NotText {
        path: path.to_path_buf(),
        kind: Kind::Policy,
        source,
    })?;
    let file = kafel_dsl::source::SourceFile::new(
        display_name(path),
        (path.as_os_str() != "-").then(|| path.to_path_buf()),
        text,
    );
    let opts = kafel_dsl::Options {
        arches: arches.to_vec(),
        search_path: include_dirs.to_vec(),
    };
    let policy = kafel_dsl::compile(file, &opts).map_err(|source| InputError::Policy {
        name: display_name(path),
        source,
    })?;
    let _ = warn.write_all(policy.render(&policy.warnings).as_bytes());
    Ok(policy)
}

/// A policy lowered to an OCI profile; the lowering's warnings go to `warn`.
///
/// # Errors
/// [`InputError::Lower`].
pub fn policy_profile(
    path: &Path,
    policy: &kafel_dsl::Policy,
    warn: &mut dyn Write,
) -> Result<Profile, InputError> {
    let lowered = policy.to_profile().map_err(|source| InputError::Lower {
        name: display_name(path),
        source,
    })?;
    let _ = warn.write_all(policy.render(&lowered.warnings).as_bytes());
    Ok(lowered.profile)
}

/// A profile from OCI JSON or a policy (lowered for `arches`, else this machine's); warnings
/// and tolerated problems go to `warn`.
///
/// # Errors
/// As [`compile_policy`] and [`policy_profile`]; [`InputError::NotText`] and
/// [`InputError::Invalid`] for JSON.
pub fn profile_from(
    path: &Path,
    bytes: Vec<u8>,
    arches: &[Arch],
    warn: &mut dyn Write,
) -> Result<Profile, InputError> {
    match kind_of(path, &bytes) {
        Kind::Policy => {
            let policy = compile_policy(path, bytes, arches, &[], warn)?;
            return policy_profile(path, &policy, warn);
        }
        Kind::Bpf => {
            return Err(InputError::Bpf {
                path: path.to_path_buf(),
            })
        }
        Kind::Json => {}
    }
    let text = String::from_utf8(bytes).map_err(|source| InputError::NotText {
        path: path.to_path_buf(),
        kind: Kind::Json,
        source,
    })?;
    let loaded = load::from_str(&text).map_err(|source| InputError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    for p in &loaded.warnings {
        let _ = writeln!(warn, "{}: {p}", path.display());
    }
    Ok(loaded.profile)
}

/// The profile for `rpod run --security-opt seccomp=FILE`: OCI JSON or a policy (compiled for
/// this machine's arch). What libseccomp or runc would enforce differently from the profile as
/// written goes to `warn` too, so it is said before the container starts.
///
/// # Errors
/// As [`profile_from`].
pub fn container_profile(
    path: &Path,
    bytes: Vec<u8>,
    warn: &mut dyn Write,
) -> Result<Profile, InputError> {
    let profile = profile_from(path, bytes, &[], warn)?;
    let resolved = profile.resolve(&Context::default());
    if let Ok(compiled) = profiles::compile::compile(&resolved, None) {
        for n in compiled
            .notes
            .iter()
            .filter(|n| !matches!(n.kind, NoteKind::FlagNotInBpf | NoteKind::NotVerified))
        {
            let _ = writeln!(warn, "warning: {}: {n}", path.display());
        }
    }
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_extension_then_content() {
        assert_eq!(kind_of(Path::new("a.bpf"), b"{}"), Kind::Bpf);
        assert_eq!(kind_of(Path::new("a.kafel"), b"{}"), Kind::Policy);
        assert_eq!(
            kind_of(Path::new("a"), b"{\"defaultAction\":1}"),
            Kind::Json
        );
        assert_eq!(kind_of(Path::new("a"), b"ALLOW { read }"), Kind::Policy);
        assert_eq!(kind_of(Path::new("a"), &[0, 0, 0, 0, 6, 0]), Kind::Bpf);
    }

    #[test]
    fn an_invalid_profile_names_the_file_and_hints_at_validate() {
        let json = b"{\"defaultAction\":\"NOPE\"}".to_vec();
        let e = profile_from(Path::new("p.json"), json, &[], &mut Vec::new()).unwrap_err();
        assert_eq!(e.to_string(), "invalid profile p.json");
        assert!(e
            .hint()
            .is_some_and(|h| h.contains("rpod seccomp validate")));
    }

    #[test]
    fn a_policy_becomes_a_profile() {
        let policy = b"ALLOW { read } DEFAULT KILL".to_vec();
        let p = profile_from(Path::new("p.kafel"), policy, &[], &mut Vec::new()).expect("policy");
        assert!(p
            .syscalls
            .iter()
            .any(|r| r.names.iter().any(|n| n == "read")));
    }

    /// Review of issue 10: warnings found before the lowering fails are still written.
    #[test]
    fn a_policys_warnings_are_written_even_when_lowering_fails() {
        let mut warn = Vec::new();
        let policy =
            b"#define buf 1\nALLOW { write(fd, buf, count) { buf == 1 || fd == count } }\nDEFAULT KILL";
        let e = profile_from(Path::new("w.kafel"), policy.to_vec(), &[], &mut warn).unwrap_err();
        assert!(matches!(e, InputError::Lower { .. }), "{e:?}");
        let text = String::from_utf8_lossy(&warn);
        assert!(text.contains("warning"), "{text}");
    }
}
