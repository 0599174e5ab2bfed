//! `-v HOST:CTR[:OPTIONS]` bind mounts.
//!
//! Options, comma-separated, as podman takes them for a bind mount: `ro`/`rw`; a propagation
//! (`rprivate`, the default, `private`, `rshared`, `shared`, `rslave`, `slave`); `bind` for a
//! non-recursive bind (default `rbind`); `nosuid`, `suid`, `nodev`, `dev`, `noexec`, `exec`; and
//! `z`/`Z`, SELinux relabeling, which like podman on a host without SELinux do nothing.
//! A HOST that is not an absolute path names a volume (`-v NAME:/path`), and `-v /path` alone
//! asks for an anonymous one: [`Volume::named`] says which, and the container layer resolves it
//! to the volume's directory (creating the volume if needed, as podman does).

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use oci_spec::runtime::{Mount, MountBuilder};

use super::error::BundleError;

const PROPAGATIONS: &[&str] = &[
    "rprivate", "private", "rshared", "shared", "rslave", "slave",
];
const FLAGS: &[&str] = &["nosuid", "suid", "nodev", "dev", "noexec", "exec"];

/// A host directory or file bind-mounted into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub source: PathBuf,
    pub destination: PathBuf,
    pub read_only: bool,
    /// `rbind` (default) or `bind`.
    pub recursive: bool,
    pub propagation: String,
    /// `nosuid`, `nodev`, ... in the order given.
    pub flags: Vec<String>,
    /// A named or anonymous volume: `source` is empty until the container layer resolves it.
    pub named: Option<Named>,
}

/// The volume a `-v` names instead of a host path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// `-v NAME:/path`.
    Name(String),
    /// `-v /path`: a new volume with a generated name, removed by `rm -v`.
    Anonymous,
}

impl Volume {
    /// A read-write recursive bind of `source` at `destination`.
    #[must_use]
    pub fn bind(source: impl Into<PathBuf>, destination: impl Into<PathBuf>) -> Volume {
        Volume {
            source: source.into(),
            destination: destination.into(),
            read_only: false,
            recursive: true,
            propagation: "rprivate".into(),
            flags: Vec::new(),
            named: None,
        }
    }

    pub(crate) fn to_mount(&self) -> Result<Mount, BundleError> {
        let mut options = vec![
            if self.recursive { "rbind" } else { "bind" }.to_string(),
            self.propagation.clone(),
            if self.read_only { "ro" } else { "rw" }.to_string(),
        ];
        options.extend(self.flags.iter().cloned());
        MountBuilder::default()
            .destination(&self.destination)
            .typ("bind")
            .source(&self.source)
            .options(options)
            .build()
            .map_err(|source| BundleError::Build {
                what: "volume mount",
                source,
            })
    }
}

fn clean_absolute(p: &str) -> Option<PathBuf> {
    let path = Path::new(p);
    if !path.is_absolute() {
        return None;
    }
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
}

impl FromStr for Volume {
    type Err = BundleError;

    fn from_str(spec: &str) -> Result<Volume, BundleError> {
        let bad = |reason: &str| BundleError::InvalidVolume {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let parts: Vec<&str> = spec.split(':').collect();
        let (src, dst, opts) = match parts.as_slice() {
            [d] if d.starts_with('/') => ("", *d, ""),
            [s, d] => (*s, *d, ""),
            [s, d, o] => (*s, *d, *o),
            _ => return Err(bad("expected HOST:CONTAINER[:OPTIONS]")),
        };
        if dst.is_empty() || (src.is_empty() && parts.len() > 1) {
            return Err(bad("expected HOST:CONTAINER[:OPTIONS]"));
        }
        let (source, named) = if src.is_empty() {
            (PathBuf::new(), Some(Named::Anonymous))
        } else if let Some(p) = clean_absolute(src) {
            (p, None)
        } else if crate::volume::valid_name(src) {
            (PathBuf::new(), Some(Named::Name(src.to_string())))
        } else {
            return Err(bad(
                "the host path must be absolute, or a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
            ));
        };
        let destination =
            clean_absolute(dst).ok_or_else(|| bad("the container path must be absolute"))?;
        if destination == Path::new("/") {
            return Err(bad("cannot mount over the container's root directory"));
        }
        let mut v = Volume::bind(source, destination);
        v.named = named;
        let (mut ro, mut rw, mut propagation) = (false, false, None);
        for o in opts.split(',').filter(|o| !o.is_empty()) {
            match o {
                "ro" => ro = true,
                "rw" => rw = true,
                "z" | "Z" => {}
                "bind" => v.recursive = false,
                "rbind" => v.recursive = true,
                p if PROPAGATIONS.contains(&p) => {
                    if propagation.replace(p).is_some() {
                        return Err(bad("more than one propagation option"));
                    }
                }
                f if FLAGS.contains(&f) => v.flags.push(f.to_string()),
                other => {
                    return Err(bad(&format!(
                        "unknown option '{other}' (known: ro, rw, z, Z, bind, rbind, {}, {})",
                        PROPAGATIONS.join(", "),
                        FLAGS.join(", ")
                    )))
                }
            }
        }
        if ro && rw {
            return Err(bad("'ro' and 'rw' both given"));
        }
        v.read_only = ro;
        if let Some(p) = propagation {
            v.propagation = p.to_string();
        }
        Ok(v)
    }
}

impl fmt::Display for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.source.display(),
            self.destination.display(),
            if self.read_only { "ro" } else { "rw" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_podman_forms() {
        let v: Volume = "/srv/data:/data".parse().unwrap();
        assert_eq!(v, Volume::bind("/srv/data", "/data"));
        let v: Volume = "/srv/data/:/data/../etc/x:ro".parse().unwrap();
        assert_eq!(v.destination, Path::new("/etc/x"));
        assert!(v.read_only);
        let v: Volume = "/a:/b:rw,z,rshared,nosuid,bind".parse().unwrap();
        assert!(!v.read_only && !v.recursive);
        assert_eq!(v.propagation, "rshared");
        assert_eq!(v.flags, ["nosuid"]);
        let m = v.to_mount().unwrap();
        assert_eq!(
            m.options().as_deref().unwrap(),
            ["bind", "rshared", "rw", "nosuid"]
        );
    }

    #[test]
    fn a_name_is_a_named_volume_and_a_lone_path_an_anonymous_one() {
        let v: Volume = "data:/d:ro".parse().unwrap();
        assert_eq!(v.named, Some(Named::Name("data".into())));
        assert_eq!(v.destination, Path::new("/d"));
        assert!(v.read_only);
        let v: Volume = "/anon".parse().unwrap();
        assert_eq!(v.named, Some(Named::Anonymous));
        assert_eq!(v.destination, Path::new("/anon"));
        let v: Volume = "/h:/c".parse().unwrap();
        assert_eq!(v.named, None);
    }

    #[test]
    fn rejects_what_podman_rejects_or_rpod_cannot_do() {
        for (spec, why) in [
            ("/a:/b:ro:x", "expected HOST:CONTAINER[:OPTIONS]"),
            ("./data:/b", "or a volume name"),
            ("a/b:/c", "or a volume name"),
            ("rel", "expected HOST:CONTAINER[:OPTIONS]"),
            (":/b", "expected HOST:CONTAINER[:OPTIONS]"),
            ("/a:b", "the container path must be absolute"),
            ("/a:/", "cannot mount over the container's root directory"),
            ("/a:/b:ro,rw", "'ro' and 'rw' both given"),
            ("/a:/b:shared,slave", "more than one propagation option"),
            ("/a:/b:exec,sync", "unknown option 'sync'"),
        ] {
            let e = spec.parse::<Volume>().unwrap_err().to_string();
            assert!(e.contains(why), "{spec}: {e}");
        }
    }
}
