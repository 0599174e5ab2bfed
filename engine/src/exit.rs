//! Exit codes, as podman uses them.

/// Success.
pub const OK: u8 = 0;
/// A check found something: `diff` found a difference, `lint` a finding at `--fail-on` or above,
/// `validate` an invalid profile, `fmt --check` an unformatted file.
pub const FOUND: u8 = 1;
/// An error in rpod itself, usage errors included (podman's 125).
pub const RPOD_ERROR: u8 = 125;
/// The command could not be invoked (podman's and the shell's 126).
pub const CANNOT_INVOKE: u8 = 126;
/// The command was not found (podman's and the shell's 127).
pub const NOT_FOUND: u8 = 127;
