//! The syscall recorder: loads the `ebpf` program with aya, scopes it to one container's
//! process tree, and hands the recorded syscall set to `profiles`.
//!
//! Not implemented yet (issue 5). The crate exports nothing, and no rpod command records.
