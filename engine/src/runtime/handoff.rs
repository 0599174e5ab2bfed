//! What a runtime does between installing the container's seccomp filter and exec'ing the
//! workload: the *handoff*. The filter sees these calls, so a recorded profile must allow them,
//! and for the profile to start the container under either runtime it must allow both
//! runtimes' handoffs, whichever one the recording ran under.
//!
//! Measured with rpod's recorder on runc 1.1.5 and crun 1.8.1 (Debian 12), with and without
//! `no-new-privileges` (runc installs the filter before dropping capabilities when it is off,
//! right before execve when it is on; crun likewise), 6 runs each, and 30 more runs of runc:
//! only the Go runtime's `futex` and `rt_sigreturn` came and went (a profile recorded without
//! `futex` crashed runc with "futexwakeup ... returned -1").

/// The portable handoff: allowed by every recorded container profile.
pub const SYSCALLS: &[&str] = &[
    // Both runtimes.
    "capset",
    "close",
    "execve",
    "prctl",
    "write",
    // runc: finalizing the process (capabilities, user, cwd, fds, sync with its parent).
    "capget",
    "chdir",
    "epoll_ctl",
    "faccessat2",
    "fcntl",
    "fstat",
    "fstatfs",
    "getcwd",
    "getdents64",
    "getpid",
    "getppid",
    "newfstatat",
    "openat",
    "read",
    "setgid",
    "setgroups",
    "setuid",
    // crun: user and signal setup.
    "rt_sigaction",
    "rt_sigprocmask",
    "setresgid",
    "setresuid",
    // The Go runtime (runc): a wakeup and a preemption signal's return, seen in 3 of 30 runs
    // of `true`; the other 28 calls of the handoff were the same in every run.
    "futex",
    "rt_sigreturn",
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_handoff_syscall_has_a_libseccomp_name() {
        for s in super::SYSCALLS {
            assert!(profiles::syscalls::is_known(s), "{s}");
        }
        let mut sorted = super::SYSCALLS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), super::SYSCALLS.len(), "no duplicates");
    }
}
