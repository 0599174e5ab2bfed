//! Seccomp inputs as users give them: an OCI profile (JSON), a Kafel-like policy, or a raw BPF
//! program, told apart by extension and then by content ([`kind_of`]). This is the one place
//! that turns such a file into a [`Profile`]: for `rpod seccomp ...` and for the profile a
//! container runs under (`--security-opt seccomp=FILE`, [`container_profile`]).
//!
//! Nothing here prints: what a user should see besides the profile (a policy's warnings with
//! their carets, a profile's tolerated problems, what libseccomp or runc would enforce
//! differently) comes back as text in [`Loaded::warnings`], for the caller to print.

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

/// How a path is named in messages: `<stdin>` for `-`.
#[must_use]
pub fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Why an input could not be read as a profile.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
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
            InputError::NotText {
                kind: Kind::Policy, ..
            } => Some("policies are text; a raw BPF program needs the .bpf extension".into()),
            InputError::NotText { .. } => {
                Some("profiles are JSON; a raw BPF program needs the .bpf extension".into())
            }
            InputError::Invalid { .. } => {
                Some("fix the fields named above; `rpod seccomp validate` checks again".into())
            }
            InputError::Policy { .. } | InputError::Lower { .. } => None,
        }
    }
}

/// A profile read from an input, with what the user should be told about it.
#[derive(Debug)]
pub struct Loaded {
    pub profile: Profile,
    /// Text for stderr, in order, each piece ending in a newline.
    pub warnings: String,
}

/// A policy parsed and resolved for `arches` (empty: this machine's), with its warnings.
///
/// # Errors
/// [`InputError::NotText`], [`InputError::Policy`].
pub fn compile_policy(
    path: &Path,
    bytes: Vec<u8>,
    arches: &[Arch],
    include_dirs: &[PathBuf],
) -> Result<(kafel_dsl::Policy, String), InputError> {
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
    let warnings = policy.render(&policy.warnings);
    Ok((policy, warnings))
}

/// A policy lowered to an OCI profile, with the lowering's warnings.
///
/// # Errors
/// [`InputError::Lower`].
pub fn policy_profile(path: &Path, policy: &kafel_dsl::Policy) -> Result<Loaded, InputError> {
    let lowered = policy.to_profile().map_err(|source| InputError::Lower {
        name: display_name(path),
        source,
    })?;
    Ok(Loaded {
        warnings: policy.render(&lowered.warnings),
        profile: lowered.profile,
    })
}

/// A profile from OCI JSON or a policy (lowered for `arches`, else this machine's).
///
/// # Errors
/// As [`compile_policy`] and [`policy_profile`]; [`InputError::NotText`] and
/// [`InputError::Invalid`] for JSON.
pub fn profile_from(path: &Path, bytes: Vec<u8>, arches: &[Arch]) -> Result<Loaded, InputError> {
    if kind_of(path, &bytes) == Kind::Policy {
        let (policy, mut warnings) = compile_policy(path, bytes, arches, &[])?;
        let lowered = policy_profile(path, &policy)?;
        warnings.push_str(&lowered.warnings);
        return Ok(Loaded {
            profile: lowered.profile,
            warnings,
        });
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
    let warnings = loaded
        .warnings
        .iter()
        .map(|p| format!("{}: {p}\n", path.display()))
        .collect();
    Ok(Loaded {
        profile: loaded.profile,
        warnings,
    })
}

/// The profile for `rpod run --security-opt seccomp=FILE`: OCI JSON or a policy (compiled for
/// this machine's arch). What libseccomp or runc would enforce differently from the profile as
/// written is among the warnings, so it is said before the container starts.
///
/// # Errors
/// As [`profile_from`].
pub fn container_profile(path: &Path, bytes: Vec<u8>) -> Result<Loaded, InputError> {
    let mut loaded = profile_from(path, bytes, &[])?;
    let resolved = loaded.profile.resolve(&Context::default());
    if let Ok(compiled) = profiles::compile::compile(&resolved, None) {
        for n in compiled
            .notes
            .iter()
            .filter(|n| !matches!(n.kind, NoteKind::FlagNotInBpf | NoteKind::NotVerified))
        {
            loaded
                .warnings
                .push_str(&format!("warning: {}: {n}\n", path.display()));
        }
    }
    Ok(loaded)
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
        let e = profile_from(
            Path::new("p.json"),
            b"{\"defaultAction\":\"NOPE\"}".to_vec(),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "invalid profile p.json");
        assert!(e
            .hint()
            .is_some_and(|h| h.contains("rpod seccomp validate")));
    }

    #[test]
    fn a_policy_becomes_a_profile() {
        let l = profile_from(
            Path::new("p.kafel"),
            b"ALLOW { read } DEFAULT KILL".to_vec(),
            &[],
        )
        .expect("policy");
        assert!(l
            .profile
            .syscalls
            .iter()
            .any(|r| r.names.contains(&"read".to_string())));
    }
}
