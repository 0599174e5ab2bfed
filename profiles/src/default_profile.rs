//! rpod's default seccomp profile: podman's.
//!
//! `data/default.json` is containers/common's `seccomp.json` as Debian 12 ships it
//! (golang-github-containers-common 0.50.1, Apache-2.0): the same allowed set as podman, EPERM
//! for the syscalls it denies on purpose, ENOSYS for everything it does not list, so that
//! programs probing for new syscalls fall back instead of failing. It is embedded so the
//! binary needs no file at run time.

use crate::load;
use crate::model::Profile;

/// The default profile as JSON.
pub const DEFAULT_JSON: &str = include_str!("../data/default.json");

/// The default profile.
#[must_use]
pub fn default_profile() -> Profile {
    load::from_str(DEFAULT_JSON)
        .expect("the embedded default profile is valid (checked by a unit test)")
        .profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::{self, Action};
    use crate::compile::compile;
    use crate::resolve::Context;
    use crate::{syscalls, Arch};

    #[test]
    fn loads_without_warnings() {
        let l = load::from_str(DEFAULT_JSON).expect("default profile loads");
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    }

    #[test]
    fn denies_what_podman_denies() {
        let r = default_profile().resolve(&Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        });
        let c = compile(&r, None).expect("default profile compiles");
        let act = |name: &str| {
            let nr = syscalls::number(Arch::X86_64, name).expect(name);
            bpf::simulate(&c.program, Arch::X86_64, nr, [0; 6]).action
        };
        for denied in [
            "bpf",
            "perf_event_open",
            "userfaultfd",
            "kexec_load",
            "init_module",
            "swapon",
            "acct",
            "clock_settime",
            "open_by_handle_at",
        ] {
            assert_eq!(act(denied), Action::Errno(1), "{denied}");
        }
        for allowed in ["read", "write", "openat", "clone", "execve", "exit_group"] {
            assert_eq!(act(allowed), Action::Allow, "{allowed}");
        }
        // Not listed at all: ENOSYS, so callers fall back.
        assert_eq!(
            bpf::simulate(&c.program, Arch::X86_64, 1000, [0; 6]).action,
            Action::Errno(38)
        );
        // personality is allowed for the query and the values podman lists only.
        let p = syscalls::number(Arch::X86_64, "personality").unwrap();
        assert_eq!(
            bpf::simulate(&c.program, Arch::X86_64, p, [0xffff_ffff, 0, 0, 0, 0, 0]).action,
            Action::Allow
        );
        assert_eq!(
            bpf::simulate(&c.program, Arch::X86_64, p, [0x0040_0000, 0, 0, 0, 0, 0]).action,
            Action::Errno(38)
        );
    }
}
