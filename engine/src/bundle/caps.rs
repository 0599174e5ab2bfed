//! `--cap-add`/`--cap-drop`/`--privileged` to the capability sets the runtime applies, as
//! podman computes them (containers/common `capabilities.MergeCapabilities`, podman
//! `securityConfigureGenerator`).
//!
//! - Names are accepted with or without `CAP_`, in any case; `ALL` means every capability rpod
//!   holds (its bounding set), as podman's `BoundingSet()`.
//! - `--cap-drop ALL` keeps only what `--cap-add` names; `--cap-add ALL` starts from everything
//!   held; naming a capability in both lists is an error.
//! - podman keeps only what the engine holds and drops the rest silently. rpod does that for
//!   the defaults and for `ALL`, but a capability the user names in `--cap-add` that rpod does
//!   not hold is an error: the container would not get it.

use std::collections::BTreeSet;

use profiles::caps::{self, CAPABILITIES, PODMAN_DEFAULT};

use super::error::BundleError;

/// A normalized `--cap-add`/`--cap-drop` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    All,
    One(&'static str),
}

fn normalize(name: &str) -> Result<Cap, BundleError> {
    let upper = name.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return Ok(Cap::All);
    }
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    CAPABILITIES
        .iter()
        .find(|(n, _)| *n == full)
        .map(|(n, _)| Cap::One(n))
        .ok_or_else(|| BundleError::UnknownCapability {
            name: name.to_string(),
            suggestion: caps::suggest(&full),
        })
}

fn normalize_all(names: &[String]) -> Result<Vec<Cap>, BundleError> {
    names.iter().map(|n| normalize(n)).collect()
}

/// Sorts by capability number, the order `/proc/self/status` bits and capabilities(7) use.
fn by_number(set: BTreeSet<&'static str>) -> Vec<&'static str> {
    CAPABILITIES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| set.contains(n))
        .collect()
}

fn held_set(held: &BTreeSet<String>) -> BTreeSet<&'static str> {
    CAPABILITIES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| held.contains(*n))
        .collect()
}

/// The capability sets of a container's process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CapSets {
    /// Bounding set; for root also effective and permitted. What seccomp `includes.caps` is
    /// resolved against (containers/common checks the bounding set).
    pub bounding: Vec<&'static str>,
    /// Effective, permitted, inheritable and ambient for a non-root user: only what
    /// `--cap-add` names, as podman (a non-root process keeps capabilities across execve
    /// only through the ambient set).
    pub user: Vec<&'static str>,
}

/// The capability sets for a container run as root (`root_user`) or another user.
pub(crate) fn resolve(
    add: &[String],
    drop: &[String],
    privileged: bool,
    held: &BTreeSet<String>,
) -> Result<CapSets, BundleError> {
    let held = held_set(held);
    let adds = normalize_all(add)?;
    let drops = normalize_all(drop)?;
    for a in &adds {
        if let Cap::One(name) = a {
            if drops.contains(a) {
                return Err(BundleError::CapabilityAddedAndDropped {
                    name: (*name).to_string(),
                });
            }
            if !held.contains(name) {
                return Err(BundleError::CapabilityNotHeld {
                    name: (*name).to_string(),
                });
            }
        }
    }
    let add_all = adds.contains(&Cap::All);
    let drop_all = drops.contains(&Cap::All);
    if add_all && drop_all {
        return Err(BundleError::CapabilityAddedAndDropped { name: "ALL".into() });
    }
    let named_adds: BTreeSet<&'static str> = adds
        .iter()
        .filter_map(|c| match c {
            Cap::One(n) => Some(*n),
            Cap::All => None,
        })
        .collect();

    let bounding: BTreeSet<&'static str> = if privileged {
        held.clone()
    } else if drop_all {
        named_adds.clone()
    } else {
        let base: BTreeSet<&'static str> = if add_all {
            held.clone()
        } else {
            PODMAN_DEFAULT.iter().copied().collect()
        };
        base.into_iter()
            .chain(named_adds.iter().copied())
            .filter(|c| !drops.contains(&Cap::One(c)))
            .collect()
    };
    let bounding: BTreeSet<&'static str> = bounding.intersection(&held).copied().collect();
    let user: BTreeSet<&'static str> = if add_all {
        bounding.clone()
    } else {
        named_adds.intersection(&bounding).copied().collect()
    };
    Ok(CapSets {
        bounding: by_number(bounding),
        user: by_number(user),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_but(missing: &[&str]) -> BTreeSet<String> {
        CAPABILITIES
            .iter()
            .map(|(n, _)| (*n).to_string())
            .filter(|n| !missing.contains(&n.as_str()))
            .collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    #[test]
    fn default_is_podmans_set() {
        let c = resolve(&[], &[], false, &all_but(&[])).unwrap();
        let mut want: Vec<&str> = PODMAN_DEFAULT.to_vec();
        want.sort_by_key(|n| CAPABILITIES.iter().find(|(c, _)| c == n).unwrap().1);
        assert_eq!(c.bounding, want);
        assert!(c.user.is_empty());
    }

    #[test]
    fn names_are_accepted_with_or_without_prefix_in_any_case() {
        let c = resolve(
            &s(&["net_admin", "CAP_SYS_PTRACE"]),
            &s(&["chown", "Cap_Kill"]),
            false,
            &all_but(&[]),
        )
        .unwrap();
        assert!(c.bounding.contains(&"CAP_NET_ADMIN"));
        assert!(c.bounding.contains(&"CAP_SYS_PTRACE"));
        assert!(!c.bounding.contains(&"CAP_CHOWN"));
        assert!(!c.bounding.contains(&"CAP_KILL"));
        assert_eq!(c.user, ["CAP_NET_ADMIN", "CAP_SYS_PTRACE"]);
    }

    #[test]
    fn all_means_what_rpod_holds() {
        let held = all_but(&["CAP_SYS_RESOURCE"]);
        let c = resolve(&s(&["ALL"]), &s(&["sys_admin"]), false, &held).unwrap();
        assert_eq!(c.bounding.len(), CAPABILITIES.len() - 2);
        assert!(!c.bounding.contains(&"CAP_SYS_RESOURCE"));
        assert!(!c.bounding.contains(&"CAP_SYS_ADMIN"));
        let c = resolve(&[], &[], true, &held).unwrap();
        assert_eq!(c.bounding.len(), CAPABILITIES.len() - 1);
        let c = resolve(&s(&["chown"]), &s(&["all"]), false, &held).unwrap();
        assert_eq!(c.bounding, ["CAP_CHOWN"]);
    }

    #[test]
    fn errors_say_what_cannot_be_done() {
        let held = all_but(&["CAP_SYS_RESOURCE"]);
        let e = resolve(&s(&["sys_resource"]), &[], false, &held).unwrap_err();
        assert!(
            matches!(e, BundleError::CapabilityNotHeld { ref name } if name == "CAP_SYS_RESOURCE")
        );
        let e = resolve(&s(&["chown"]), &s(&["CAP_CHOWN"]), false, &held).unwrap_err();
        assert_eq!(
            e.to_string(),
            "capability CAP_CHOWN is both added and dropped"
        );
        let e = resolve(&s(&["ALL"]), &s(&["ALL"]), false, &held).unwrap_err();
        assert!(matches!(e, BundleError::CapabilityAddedAndDropped { .. }));
        let e = resolve(&s(&["net_admn"]), &[], false, &held).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown capability 'net_admn' (did you mean CAP_NET_ADMIN?)"
        );
    }
}
