//! Why a container's OCI configuration could not be built or written.

use std::path::PathBuf;

/// An error building or writing an OCI bundle. Each variant names what the user asked for
/// (the flag's value) and why it cannot be honoured; none is a silent downgrade.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("no command given: a container needs at least one argument to run")]
    NoCommand,

    #[error("working directory '{cwd}' is not an absolute path")]
    RelativeCwd { cwd: String },

    #[error("invalid environment entry '{entry}': expected KEY=VALUE with a non-empty KEY")]
    InvalidEnv { entry: String },

    #[error("invalid volume '{spec}': {reason}")]
    InvalidVolume { spec: String, reason: String },

    #[error("volume source {path} cannot be used")]
    VolumeSource {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid {flag} '{value}': {reason}")]
    InvalidSize {
        flag: &'static str,
        value: String,
        reason: String,
    },

    #[error("invalid --cpus {cpus}: expected a number of CPUs, 0 or more")]
    InvalidCpus { cpus: f64 },

    #[error("invalid --device '{spec}': {reason}")]
    InvalidDevice { spec: String, reason: String },

    #[error("device {path} cannot be added to the container")]
    DeviceSource {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid --device-cgroup-rule '{spec}': expected 'TYPE MAJOR:MINOR ACCESS', TYPE a, b or c, MAJOR and MINOR numbers or *, ACCESS some of rwm")]
    InvalidDeviceRule { spec: String },

    #[error("invalid --mount '{spec}': {reason}")]
    InvalidMount { spec: String, reason: String },

    /// `--mount type=` names no type rpod mounts (podman's words).
    #[error("invalid filesystem type \"{typ}\"")]
    MountType { typ: String },

    #[error("invalid --group-add '{group}': {reason}")]
    InvalidGroupAdd { group: String, reason: String },

    #[error(
        "the init binary {path} cannot be used (install Debian's catatonit, or give --init-path)"
    )]
    InitBinary {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid ulimit '{spec}': {reason}")]
    InvalidUlimit { spec: String, reason: String },

    #[error(
        "ulimit {name}={requested} is above this process's hard limit {hard}; \
         raising a hard limit needs CAP_SYS_RESOURCE, which rpod does not hold here"
    )]
    UlimitAboveHardLimit {
        name: &'static str,
        requested: String,
        hard: String,
    },

    #[error("invalid {kind} namespace mode '{value}': {reason}")]
    InvalidNamespace {
        kind: &'static str,
        value: String,
        reason: String,
    },

    #[error("invalid network mode '{value}': {reason}")]
    InvalidNetwork { value: String, reason: String },

    #[error(
        "cannot set the hostname: the container shares another UTS namespace (--uts={uts}), \
         whose hostname it would change"
    )]
    HostnameWithoutUtsNamespace { uts: String },

    #[error("unknown capability '{name}'{}", suggestion.map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownCapability {
        name: String,
        suggestion: Option<&'static str>,
    },

    #[error("capability {name} is both added and dropped")]
    CapabilityAddedAndDropped { name: String },

    #[error(
        "cannot add capability {name}: rpod itself does not hold it (not in its bounding set), \
         so the runtime could not grant it"
    )]
    CapabilityNotHeld { name: String },

    #[error("invalid user '{spec}': {reason}")]
    InvalidUser { spec: String, reason: String },

    #[error("cannot read {path} in the container's root filesystem")]
    ReadRootfs {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the OCI runtime spec cannot express {what}")]
    Unrepresentable { what: String },

    #[error("cannot read {what} of this machine")]
    Host {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot build the OCI {what}")]
    Build {
        what: &'static str,
        #[source]
        source: oci_spec::OciSpecError,
    },

    #[error("cannot serialize the OCI configuration")]
    Serialize {
        #[source]
        source: serde_json::Error,
    },

    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
