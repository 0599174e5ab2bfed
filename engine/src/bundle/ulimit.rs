//! `--ulimit NAME=SOFT[:HARD]` and the resource limits every container gets.
//!
//! An unprivileged process may lower its hard limit but never raise it (setrlimit(2):
//! raising needs CAP_SYS_RESOURCE), and the runtime applies the container's limits from a
//! child of rpod. So a limit above rpod's own hard limit cannot be honoured. For podman's
//! defaults (nofile and nproc 1048576, which fail on a machine without CAP_SYS_RESOURCE with
//! "setrlimit: Operation not permitted") rpod clamps to the hard limit; a limit the user asked
//! for explicitly is never lowered behind their back: it is an error.

use std::fmt;
use std::str::FromStr;

use nix::sys::resource::Resource;
use oci_spec::runtime::PosixRlimitType;

use super::error::BundleError;

/// `RLIM_INFINITY` on Linux.
pub const UNLIMITED: u64 = u64::MAX;

/// podman's default for nofile and nproc in a rootful container (`RLimitDefaultValue`).
pub const PODMAN_DEFAULT_LIMIT: u64 = 1_048_576;

macro_rules! kinds {
    ($( $variant:ident => $name:literal, $res:ident, $oci:ident; )*) => {
        /// A resource limit, by the name `--ulimit` uses.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum UlimitKind { $( $variant, )* }

        impl UlimitKind {
            pub const ALL: &'static [UlimitKind] = &[$( UlimitKind::$variant, )*];

            /// The name as `--ulimit` and podman write it (`nofile`).
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $( UlimitKind::$variant => $name, )* }
            }

            pub(crate) fn resource(self) -> Resource {
                match self { $( UlimitKind::$variant => Resource::$res, )* }
            }

            pub(crate) fn oci(self) -> PosixRlimitType {
                match self { $( UlimitKind::$variant => PosixRlimitType::$oci, )* }
            }
        }
    };
}

kinds! {
    As => "as", RLIMIT_AS, RlimitAs;
    Core => "core", RLIMIT_CORE, RlimitCore;
    Cpu => "cpu", RLIMIT_CPU, RlimitCpu;
    Data => "data", RLIMIT_DATA, RlimitData;
    Fsize => "fsize", RLIMIT_FSIZE, RlimitFsize;
    Locks => "locks", RLIMIT_LOCKS, RlimitLocks;
    Memlock => "memlock", RLIMIT_MEMLOCK, RlimitMemlock;
    Msgqueue => "msgqueue", RLIMIT_MSGQUEUE, RlimitMsgqueue;
    Nice => "nice", RLIMIT_NICE, RlimitNice;
    Nofile => "nofile", RLIMIT_NOFILE, RlimitNofile;
    Nproc => "nproc", RLIMIT_NPROC, RlimitNproc;
    Rss => "rss", RLIMIT_RSS, RlimitRss;
    Rtprio => "rtprio", RLIMIT_RTPRIO, RlimitRtprio;
    Rttime => "rttime", RLIMIT_RTTIME, RlimitRttime;
    Sigpending => "sigpending", RLIMIT_SIGPENDING, RlimitSigpending;
    Stack => "stack", RLIMIT_STACK, RlimitStack;
}

impl fmt::Display for UlimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `--ulimit`: `nofile=1024:2048`, `nofile=1024` (soft = hard), `-1` or `unlimited` for
/// no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ulimit {
    pub kind: UlimitKind,
    pub soft: u64,
    pub hard: u64,
}

impl FromStr for Ulimit {
    type Err = BundleError;

    fn from_str(spec: &str) -> Result<Ulimit, BundleError> {
        let bad = |reason: String| BundleError::InvalidUlimit {
            spec: spec.to_string(),
            reason,
        };
        let (name, values) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected NAME=SOFT[:HARD]".into()))?;
        let name = name.trim().to_ascii_lowercase();
        let name = name.strip_prefix("rlimit_").unwrap_or(&name);
        let kind = UlimitKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = UlimitKind::ALL.iter().map(|k| k.name()).collect();
                bad(format!(
                    "unknown limit '{name}' (known: {})",
                    known.join(", ")
                ))
            })?;
        let value = |s: &str| -> Result<u64, BundleError> {
            match s.trim() {
                "-1" | "unlimited" => Ok(UNLIMITED),
                v => v.parse::<u64>().map_err(|_| {
                    bad(format!(
                        "'{v}' is not a number (or -1/unlimited for no limit)"
                    ))
                }),
            }
        };
        let (soft, hard) = match values.split_once(':') {
            Some((s, h)) => (value(s)?, value(h)?),
            None => {
                let v = value(values)?;
                (v, v)
            }
        };
        if soft > hard {
            return Err(bad(format!(
                "soft limit {} is above hard limit {}",
                show(soft),
                show(hard)
            )));
        }
        Ok(Ulimit { kind, soft, hard })
    }
}

impl fmt::Display for Ulimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}:{}", self.kind, show(self.soft), show(self.hard))
    }
}

pub(crate) fn show(v: u64) -> String {
    if v == UNLIMITED {
        "unlimited".into()
    } else {
        v.to_string()
    }
}

/// The limits a container gets: podman's defaults (nofile, nproc) clamped to `hard_limit`,
/// then the user's, which replace a default of the same kind and must not exceed
/// `hard_limit` unless `can_raise`. Sorted by kind.
pub(crate) fn effective(
    requested: &[Ulimit],
    hard_limit: impl Fn(UlimitKind) -> u64,
    can_raise: bool,
) -> Result<Vec<Ulimit>, BundleError> {
    let mut out: Vec<Ulimit> = Vec::new();
    for kind in [UlimitKind::Nofile, UlimitKind::Nproc] {
        let v = if can_raise {
            PODMAN_DEFAULT_LIMIT
        } else {
            PODMAN_DEFAULT_LIMIT.min(hard_limit(kind))
        };
        out.push(Ulimit {
            kind,
            soft: v,
            hard: v,
        });
    }
    for u in requested {
        let hard = hard_limit(u.kind);
        if !can_raise && u.hard > hard {
            return Err(BundleError::UlimitAboveHardLimit {
                name: u.kind.name(),
                requested: format!("{}:{}", show(u.soft), show(u.hard)),
                hard: show(hard),
            });
        }
        out.retain(|o| o.kind != u.kind);
        out.push(*u);
    }
    out.sort_by_key(|u| u.kind);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_podman_forms() {
        let u: Ulimit = "nofile=1024:2048".parse().unwrap();
        assert_eq!((u.kind, u.soft, u.hard), (UlimitKind::Nofile, 1024, 2048));
        let u: Ulimit = "nproc=100".parse().unwrap();
        assert_eq!((u.soft, u.hard), (100, 100));
        let u: Ulimit = "core=-1".parse().unwrap();
        assert_eq!((u.soft, u.hard), (UNLIMITED, UNLIMITED));
        let u: Ulimit = "RLIMIT_STACK=8192:unlimited".parse().unwrap();
        assert_eq!(
            (u.kind, u.soft, u.hard),
            (UlimitKind::Stack, 8192, UNLIMITED)
        );
        assert_eq!(u.to_string(), "stack=8192:unlimited");
    }

    #[test]
    fn rejects_what_is_not_a_limit() {
        for bad in [
            "nofile",
            "nofiles=1",
            "nofile=x",
            "nofile=10:5",
            "nofile=1:2:3",
        ] {
            let e = bad.parse::<Ulimit>().unwrap_err();
            assert!(matches!(e, BundleError::InvalidUlimit { .. }), "{bad}: {e}");
        }
        let e = "nofile=10:5".parse::<Ulimit>().unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid ulimit 'nofile=10:5': soft limit 10 is above hard limit 5"
        );
    }

    #[test]
    fn defaults_are_clamped_to_the_hard_limit() {
        let hard = |k: UlimitKind| {
            if k == UlimitKind::Nofile {
                20000
            } else {
                96365
            }
        };
        let got = effective(&[], hard, false).unwrap();
        assert_eq!(
            got,
            [
                Ulimit {
                    kind: UlimitKind::Nofile,
                    soft: 20000,
                    hard: 20000
                },
                Ulimit {
                    kind: UlimitKind::Nproc,
                    soft: 96365,
                    hard: 96365
                },
            ]
        );
        let got = effective(&[], hard, true).unwrap();
        assert_eq!(got[0].hard, PODMAN_DEFAULT_LIMIT);
    }

    #[test]
    fn an_explicit_limit_above_the_hard_limit_is_an_error_not_a_clamp() {
        let hard = |_| 20000;
        let req = ["nofile=1024:1048576".parse().unwrap()];
        let e = effective(&req, hard, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ulimit nofile=1024:1048576 is above this process's hard limit 20000; raising a hard \
             limit needs CAP_SYS_RESOURCE, which rpod does not hold here"
        );
        // With CAP_SYS_RESOURCE the runtime can raise it.
        assert!(effective(&req, hard, true).is_ok());
        // Within the limit it replaces the default.
        let req = ["nofile=1024:2048".parse().unwrap()];
        let got = effective(&req, hard, false).unwrap();
        assert_eq!(
            got[0],
            Ulimit {
                kind: UlimitKind::Nofile,
                soft: 1024,
                hard: 2048
            }
        );
        assert_eq!(got.len(), 2);
    }
}
