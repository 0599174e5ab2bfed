//! What the recording suites share: whether this machine can record, and reading profiles.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::ready;

/// Root, a store, and what the recorder needs: the kernel's BTF and tracefs.
pub fn can_record() -> bool {
    ready()
        && rpod_tests::require(
            "bpf",
            Path::new("/sys/kernel/btf/vmlinux").exists()
                && Path::new("/sys/kernel/tracing").exists(),
        )
}

/// The JSON file at `p`, or why not.
pub fn try_read_json(p: &Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", p.display()))
}

/// The JSON file at `p`; panics naming the file when it cannot be read or parsed.
pub fn read_json(p: &Path) -> Value {
    try_read_json(p).unwrap_or_else(|e| panic!("{e}"))
}

/// Every syscall an ALLOW rule of `profile` names (with or without argument conditions).
pub fn allowed(profile: &Value) -> BTreeSet<String> {
    profile["syscalls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["action"] == "SCMP_ACT_ALLOW")
        .flat_map(|r| r["names"].as_array().into_iter().flatten())
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}
