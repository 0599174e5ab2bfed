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
    /// Attach container's STDOUT and STDERR: wait for it and exit with its code (one container
    /// only, as podman).
    #[arg(short, long)]
    pub attach: bool,
    /// Start all containers regardless of their state or configuration (those not created are
    /// skipped).
    #[arg(long)]
    pub all: bool,
    /// Filter the containers `--all` starts: `id=PREFIX`, `name=TEXT` (in the name), `status=STATE`
    /// (repeatable; different keys must all match).
    #[arg(long = "filter", value_name = "KEY=VALUE", requires = "all")]
    pub filters: Vec<String>,
    /// Keep STDIN open even if not attached (with `-a`: pass rpod's stdin to the container).
    #[arg(short, long)]
    pub interactive: bool,
    /// Containers (names or ids).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
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
    /// Follow log output: go on until the containers exit.
    #[arg(short, long)]
    pub follow: bool,
    /// Output the container name in the log (the short id is shown when several containers
    /// are given without it).
    #[arg(short, long)]
    pub names: bool,
    /// Show logs since TIMESTAMP: RFC 3339, Unix seconds, or a duration before now (`10m`).
    #[arg(long, value_name = "TIMESTAMP")]
    pub since: Option<String>,
    /// Show logs until TIMESTAMP: RFC 3339, Unix seconds, or a duration before now (`10m`).
    #[arg(long, value_name = "TIMESTAMP")]
    pub until: Option<String>,
    /// Output the specified number of LINES at the end of the logs (-1, the default, prints
    /// all lines).
    #[arg(long, value_name = "LINES", default_value_t = -1, allow_negative_numbers = true)]
    pub tail: i64,
    /// Output the timestamps in the log.
    #[arg(short, long)]
    pub timestamps: bool,
    /// Containers (names or ids).
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Stop all running containers.
    #[arg(short, long)]
    pub all: bool,
    /// Read the container ID from the file (repeatable).
    #[arg(long = "cidfile", value_name = "FILE")]
    pub cidfiles: Vec<PathBuf>,
    /// Ignore errors when a specified container is missing.
    #[arg(short, long)]
    pub ignore: bool,
    /// Seconds to wait for stop before killing the container.
    #[arg(short, long, default_value_t = 10)]
    pub time: u64,
    /// Containers (names or ids).
    #[arg(required_unless_present_any = ["all", "cidfiles"], conflicts_with = "all")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal all running containers.
    #[arg(short, long)]
    pub all: bool,
    /// Read the container ID from the file (repeatable).
    #[arg(long = "cidfile", value_name = "FILE")]
    pub cidfiles: Vec<PathBuf>,
    /// Signal to send to the container: a name (`TERM`, `SIGTERM`) or a number.
    #[arg(short, long, default_value = "KILL")]
    pub signal: String,
    /// Containers (names or ids).
    #[arg(required_unless_present_any = ["all", "cidfiles"], conflicts_with = "all")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove all containers.
    #[arg(short, long)]
    pub all: bool,
    /// Read the container ID from the file (repeatable).
    #[arg(long = "cidfile", value_name = "FILE")]
    pub cidfiles: Vec<PathBuf>,
    /// Remove container and all containers that depend on the selected container (rpod
    /// containers depend on others only through `--pid/--ipc/--uts container:NAME`, which
    /// joins a running process: nothing to follow once it is stopped).
    #[arg(long)]
    pub depend: bool,
    /// Force removal of a running or unusable container (stopped first, see --time); a
    /// missing container is not an error.
    #[arg(short, long)]
    pub force: bool,
    /// Ignore errors when a specified container is missing.
    #[arg(short, long)]
    pub ignore: bool,
    /// Seconds to wait for stop before killing the container (with --force; default 10).
    #[arg(short, long, value_name = "SECONDS")]
    pub time: Option<u64>,
    /// Remove anonymous volumes associated with the container (rpod makes none).
    #[arg(short, long)]
    pub volumes: bool,
    /// Containers (names or ids).
    #[arg(required_unless_present_any = ["all", "cidfiles"], conflicts_with = "all")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Run the exec session in detached mode (backgrounded).
    #[arg(short, long)]
    pub detach: bool,
    /// Set environment variables (`KEY=VALUE`, or `KEY` to copy rpod's).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read in a file of environment variables (`KEY=VALUE` lines; `#` comments).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Keep STDIN open even if not attached.
    #[arg(short, long)]
    pub interactive: bool,
    /// Pass N additional file descriptors (3 to 3+N-1) to the process (rpod: only 0, other
    /// values are refused).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub preserve_fds: u32,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    pub tty: bool,
    /// The working directory inside the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The user to run as (`uid[:gid]`, numeric).
    #[arg(short, long)]
    pub user: Option<String>,
    /// The container (name or id).
    pub container: String,
    /// The command and its arguments.
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
    /// Condition to wait on: `configured`, `created`, `running`, `paused`, `stopped`, `exited`
    /// (the last two are the same in rpod) (repeatable: any of them).
    #[arg(long = "condition", value_name = "STATE", default_value = "stopped")]
    pub conditions: Vec<String>,
    /// Ignore errors when a specified container is missing (prints -1 for it).
    #[arg(long)]
    pub ignore: bool,
    /// Time interval to wait before polling for completion: a duration (`250ms`, `1s`) or
    /// milliseconds.
    #[arg(short, long, default_value = "250ms", value_name = "DURATION")]
    pub interval: String,
    /// Containers (names or ids).
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MountArgs {
    /// Containers (names or ids).
    #[arg(required = true)]
    pub containers: Vec<String>,
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
    /// Remove all images.
    #[arg(short, long)]
    pub all: bool,
    /// Force removal of the image: containers using it are removed first, and a missing
    /// image is not an error.
    #[arg(short, long)]
    pub force: bool,
    /// Ignore errors if a specified image does not exist.
    #[arg(short, long)]
    pub ignore: bool,
    /// Images (names or ids).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    pub image: String,
    #[arg(required = true)]
    pub names: Vec<String>,
}
