//! `--mount type=bind|tmpfs,...`: podman's long form of a mount (pkg/specgenutil/volumes.go).
//!
//! Keys: `type` (required); `source`/`src`; `destination`/`dst`/`target`; `ro`/`readonly`
//! (optionally `=true|false`), `rw`; for binds `bind-propagation`, `bind-nonrecursive`,
//! `relabel` (no SELinux here: nothing to do, as podman on such a host); for tmpfs `tmpfs-size`,
//! `tmpfs-mode`, `notmpcopyup`; and the flags `nosuid`, `suid`, `nodev`, `dev`, `noexec`,
//! `exec`. `type=volume` needs named volumes, which this module leaves to `-v`'s parser.

use std::path::PathBuf;

use oci_spec::runtime::{Mount, MountBuilder};

use super::error::BundleError;
use super::volume::Volume;

/// A tmpfs mounted in the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tmpfs {
    pub destination: PathBuf,
    pub options: Vec<String>,
}

impl Tmpfs {
    pub(crate) fn to_mount(&self) -> Result<Mount, BundleError> {
        MountBuilder::default()
            .destination(&self.destination)
            .typ("tmpfs")
            .source("tmpfs")
            .options(self.options.clone())
            .build()
            .map_err(|source| BundleError::Build {
                what: "tmpfs mount",
                source,
            })
    }
}

/// One `--mount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSpec {
    Bind(Volume),
    Tmpfs(Tmpfs),
}

const FLAGS: &[&str] = &["nosuid", "suid", "nodev", "dev", "noexec", "exec"];

/// Parses one `--mount` value.
///
/// # Errors
/// [`BundleError::InvalidMount`] naming the key at fault.
pub fn parse(spec: &str) -> Result<MountSpec, BundleError> {
    let bad = |reason: String| BundleError::InvalidMount {
        spec: spec.into(),
        reason,
    };
    let mut typ = None;
    let (mut src, mut dst) = (None, None);
    let mut read_only = false;
    let mut recursive = true;
    let mut propagation = None;
    let mut flags = Vec::new();
    let (mut size, mut mode, mut copyup) = (None, None, true);
    for kv in spec.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = match kv.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (kv, None),
        };
        let truth = |v: Option<&str>| match v {
            None | Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(o) => Err(bad(format!("{k}={o}: expected true or false"))),
        };
        let need = |v: Option<&str>| {
            v.filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| bad(format!("{k} needs a value")))
        };
        match k {
            "type" => typ = Some(need(v)?),
            "source" | "src" => src = Some(need(v)?),
            "destination" | "dst" | "target" => dst = Some(need(v)?),
            "ro" | "readonly" => read_only = truth(v)?,
            "rw" => read_only = !truth(v)?,
            "bind-propagation" => propagation = Some(need(v)?),
            "bind-nonrecursive" => recursive = !truth(v)?,
            "relabel" | "z" | "Z" => {}
            "tmpfs-size" => size = Some(need(v)?),
            "tmpfs-mode" => mode = Some(need(v)?),
            "notmpcopyup" => copyup = false,
            "tmpcopyup" => copyup = true,
            f if FLAGS.contains(&f) && v.is_none() => flags.push(f.to_string()),
            _ => return Err(bad(format!("unknown option {kv}"))),
        }
    }
    let dst = dst.ok_or_else(|| bad("destination is required".into()))?;
    if !dst.starts_with('/') {
        return Err(bad("the destination must be an absolute path".into()));
    }
    match typ.as_deref() {
        Some("bind") => {
            let src = src.ok_or_else(|| bad("a bind mount needs a source".into()))?;
            let mut v: Volume = format!("{src}:{dst}").parse()?;
            v.read_only = read_only;
            v.recursive = recursive;
            if let Some(p) = propagation {
                v.propagation = p;
            }
            v.flags = flags;
            Ok(MountSpec::Bind(v))
        }
        Some("tmpfs") => {
            if src.is_some() {
                return Err(bad("a tmpfs has no source".into()));
            }
            let mut options = vec![if read_only { "ro" } else { "rw" }.to_string()];
            // podman's tmpfs defaults: nosuid, nodev (and noexec unless exec is given).
            options.extend(["nosuid".to_string(), "nodev".to_string()]);
            options.extend(flags);
            if let Some(s) = size {
                // A size is checked here, not by the kernel at run time.
                let bytes = super::resources::parse_size("--mount tmpfs-size", &s)?;
                options.push(format!("size={bytes}"));
            }
            if let Some(m) = mode {
                if u32::from_str_radix(&m, 8).is_err() {
                    return Err(bad(format!("tmpfs-mode={m}: expected an octal mode")));
                }
                options.push(format!("mode={m}"));
            }
            if copyup {
                options.push("tmpcopyup".into());
            }
            Ok(MountSpec::Tmpfs(Tmpfs {
                destination: dst.into(),
                options,
            }))
        }
        Some("volume") => {
            // A named volume (created on first use), or an anonymous one without a source:
            // the container layer resolves it as `-v NAME:/path`.
            let mut v: Volume = match &src {
                Some(s) => format!("{s}:{dst}").parse()?,
                None => dst.parse()?,
            };
            if v.named.is_none() {
                return Err(bad(format!(
                    "a volume's source is a volume name, not a path ({})",
                    src.unwrap_or_default()
                )));
            }
            v.read_only = read_only;
            v.flags = flags;
            Ok(MountSpec::Bind(v))
        }
        Some(t) => Err(BundleError::MountType { typ: t.into() }),
        None => Err(bad("type is required (bind, tmpfs or volume)".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_and_tmpfs_take_podmans_keys() {
        let MountSpec::Bind(v) = parse("type=bind,src=/tmp,dst=/data,ro=true").unwrap() else {
            panic!("bind")
        };
        assert!(v.read_only);
        assert_eq!(v.destination, PathBuf::from("/data"));
        let MountSpec::Tmpfs(t) =
            parse("type=tmpfs,destination=/scratch,tmpfs-size=1m,tmpfs-mode=700").unwrap()
        else {
            panic!("tmpfs")
        };
        assert!(t.options.contains(&"size=1048576".to_string()), "{t:?}");
        assert!(t.options.contains(&"mode=700".to_string()), "{t:?}");
    }

    #[test]
    fn mistakes_name_the_key() {
        for (spec, want) in [
            ("type=bind,dst=/x", "needs a source"),
            ("type=tmpfs", "destination is required"),
            (
                "type=bind,src=/tmp,dst=/x,ro=maybe",
                "expected true or false",
            ),
            ("type=glue,dst=/x", "invalid filesystem type \"glue\""),
            ("type=bind,src=/tmp,dst=/x,bogus", "unknown option bogus"),
        ] {
            let e = parse(spec).unwrap_err().to_string();
            assert!(e.contains(want), "{spec}: {e}");
        }
    }
}
