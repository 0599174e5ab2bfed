//! How an rpod command ends, as podman's exit codes: [`ExitStatus`].
//!
//! Commands return an `ExitStatus`; `main` turns it into the process's exit code, and that is
//! the only place a status becomes a byte ([`ExitStatus::code`]).

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0.
    Success,
    /// 1: a check found something: `diff` found a difference, `lint` a finding at `--fail-on`
    /// or above, `validate` an invalid profile, `fmt --check` an unformatted file.
    Found,
    /// 1: `rm`/`rmi`: no such container or image (podman's documented code).
    Missing,
    /// 2: `rm`/`rmi`: the container is running or the image is in use (podman's).
    InUse,
    /// 125: an error in rpod itself, usage errors included.
    RpodError,
    /// 126: the command could not be invoked (podman's and the shell's).
    CannotInvoke,
    /// 127: the command was not found (podman's and the shell's).
    NotFound,
    /// A container's (or a recorded command's) own status, as the runtime reports it: the
    /// exit code, 128+N when killed by signal N, -1 when unknown (the monitor died).
    Container(i32),
}

impl ExitStatus {
    /// The process exit code. A container's status is taken modulo 256, as a shell and podman
    /// report it (256 exits 0, -1 exits 255).
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Found | ExitStatus::Missing => 1,
            ExitStatus::InUse => 2,
            ExitStatus::RpodError => 125,
            ExitStatus::CannotInvoke => 126,
            ExitStatus::NotFound => 127,
            // rem_euclid(256) is in 0..=255, so the conversion cannot fail.
            ExitStatus::Container(c) => u8::try_from(c.rem_euclid(256)).unwrap_or(u8::MAX),
        }
    }

    /// A container's status from a signal number: 128+N.
    #[must_use]
    pub fn signaled(signal: i32) -> ExitStatus {
        ExitStatus::Container(128 + signal)
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(s.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_codes() {
        assert_eq!(ExitStatus::Success.code(), 0);
        assert_eq!(ExitStatus::Found.code(), 1);
        assert_eq!(ExitStatus::Missing.code(), 1);
        assert_eq!(ExitStatus::InUse.code(), 2);
        assert_eq!(ExitStatus::RpodError.code(), 125);
        assert_eq!(ExitStatus::CannotInvoke.code(), 126);
        assert_eq!(ExitStatus::NotFound.code(), 127);
    }

    #[test]
    fn container_codes_above_255_wrap_and_unknown_is_255() {
        assert_eq!(ExitStatus::Container(3).code(), 3);
        assert_eq!(ExitStatus::Container(256).code(), 0);
        assert_eq!(ExitStatus::Container(300).code(), 44);
        assert_eq!(ExitStatus::Container(-1).code(), 255);
        assert_eq!(ExitStatus::signaled(9).code(), 137);
    }
}
