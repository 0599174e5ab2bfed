//! Container commands, with podman's names and flags.

use std::path::PathBuf;

use clap::Args;

use super::seccomp::OutputFormat;

/// `rpod run`: `rpod create`'s options and `-d`.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Run in the background and print the container id.
    #[arg(short, long)]
    pub detach: bool,
    #[command(flatten)]
    pub create: CreateArgs,
}

/// `rpod create` (podman's `create` has no `-d`: a created container is not started).
#[derive(Debug, Args, Clone)]
pub struct CreateArgs {
    /// Remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Keep stdin open (pass rpod's stdin to the container).
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY for the container.
    #[arg(short, long)]
    pub tty: bool,
    /// The container's name (default: generated).
    #[arg(long)]
    pub name: Option<String>,
    /// Set an environment variable (`KEY=VALUE`, or `KEY` to copy rpod's).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Working directory inside the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (`name`, `uid`, `uid:gid`).
    #[arg(short, long)]
    pub user: Option<String>,
    /// Bind mount `HOST:CONTAINER[:ro]`.
    #[arg(short, long = "volume", value_name = "HOST:CTR[:ro]")]
    pub volumes: Vec<String>,
    /// Replace the image's entrypoint (`""` clears it).
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// The container's hostname.
    #[arg(long)]
    pub hostname: Option<String>,
    /// PID namespace: `private`, `host`, `container:NAME`.
    #[arg(long, value_name = "MODE")]
    pub pid: Option<String>,
    /// IPC namespace: `private`, `host`, `container:NAME`.
    #[arg(long, value_name = "MODE")]
    pub ipc: Option<String>,
    /// UTS namespace: `private`, `host`, `container:NAME`.
    #[arg(long, value_name = "MODE")]
    pub uts: Option<String>,
    /// Network: `none` (only loopback) or `host`.
    #[arg(long, alias = "net", value_name = "MODE")]
    pub network: Option<String>,
    /// Add a capability (repeatable; `ALL`).
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a capability (repeatable; `ALL`).
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// All capabilities, no masked paths, no seccomp (unless a profile is given).
    #[arg(long)]
    pub privileged: bool,
    /// Mount the root filesystem read-only.
    #[arg(long)]
    pub read_only: bool,
    /// `seccomp=FILE` (OCI JSON or a Kafel-like policy), `seccomp=unconfined`,
    /// `no-new-privileges`.
    #[arg(long = "security-opt", value_name = "OPT")]
    pub security_opt: Vec<String>,
    /// An annotation `KEY=VALUE` (repeatable).
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// `runc` (default), `crun`, or a path to an OCI runtime.
    #[arg(long, default_value = "runc")]
    pub runtime: String,
    /// A resource limit `TYPE=SOFT[:HARD]` (never above rpod's own hard limit).
    #[arg(long = "ulimit", value_name = "TYPE=SOFT[:HARD]")]
    pub ulimits: Vec<String>,
    /// The image: a name, `name:tag`, or an id (prefix).
    pub image: String,
    /// The command and its arguments (default: the image's).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Attach: wait for the container and print its output; exit with its code.
    #[arg(short, long)]
    pub attach: bool,
    /// Containers (names or ids).
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// All containers, not only running ones.
    #[arg(short, long)]
    pub all: bool,
    /// Show the namespaces' modes.
    #[arg(long)]
    pub ns: bool,
    /// Print only the container ids.
    #[arg(short, long)]
    pub quiet: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow the log until the container exits.
    #[arg(short, long)]
    pub follow: bool,
    pub container: String,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait after SIGTERM before SIGKILL.
    #[arg(short, long, default_value_t = 10)]
    pub time: u64,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal name or number.
    #[arg(short, long, default_value = "KILL")]
    pub signal: String,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Stop running containers first.
    #[arg(short, long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container.
    #[arg(short, long)]
    pub volumes: bool,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Keep stdin open.
    #[arg(short, long)]
    pub interactive: bool,
    /// Set an environment variable.
    #[arg(short, long = "env")]
    pub env: Vec<String>,
    /// Working directory.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// User (`uid[:gid]`).
    #[arg(short, long)]
    pub user: Option<String>,
    pub container: String,
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Containers or images (containers first, as podman).
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MountArgs {
    pub container: String,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    pub container: String,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    pub container: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A root filesystem tarball (optionally gzip; a regular file), or `-` for stdin (a pipe).
    pub tarball: PathBuf,
    /// `NAME[:TAG]` for the image.
    pub reference: Option<String>,
    /// A Dockerfile instruction applied to the image: `CMD=...`, `ENV=K=V`, `ENTRYPOINT=...`,
    /// `WORKDIR=...`, `USER=...` (repeatable).
    #[arg(short, long = "change", value_name = "INSTRUCTION")]
    pub changes: Vec<String>,
    /// The comment of the image's history entry.
    #[arg(short, long)]
    pub message: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// A docker-archive or oci-archive tarball, or an OCI image layout directory (symlinks in
    /// it may not lead outside it).
    #[arg(short, long)]
    pub input: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove even if containers use it.
    #[arg(short, long)]
    pub force: bool,
    #[arg(required = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    pub image: String,
    #[arg(required = true)]
    pub names: Vec<String>,
}
