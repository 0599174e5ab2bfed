//! Container commands, with podman's names and flags.

use std::path::PathBuf;

use clap::Args;

use super::seccomp::OutputFormat;

/// `rpod run`: `rpod create`'s options and `-d`. A flag given twice takes its last value, as in
/// podman (`args_override_self`; repeatable flags still collect every value).
#[derive(Debug, Args, Clone)]
#[command(args_override_self = true)]
pub struct RunArgs {
    /// Run in the background and print the container id.
    #[arg(short, long)]
    pub detach: bool,
    /// Attach to STDIN, STDOUT or STDERR (repeatable; default: stdout and stderr).
    #[arg(short, long, value_name = "STREAM", value_parser = ["stdin", "stdout", "stderr"])]
    pub attach: Vec<String>,
    /// Proxy received signals to the container process (`--sig-proxy=false` to not).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_value_t = true,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub sig_proxy: bool,
    /// Remove the container and its image after it exits (with `--rm`).
    #[arg(long)]
    pub rmi: bool,
    #[command(flatten)]
    pub create: CreateArgs,
}

/// `rpod create` (podman's `create` has no `-d`: a created container is not started).
#[derive(Debug, Args, Clone)]
#[command(args_override_self = true)]
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
    /// Overwrite the default entrypoint of the image: a command, or a JSON array
    /// (`'["/bin/echo","x"]'`); `""` clears it.
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
    /// Network: `none` (only loopback), `host`, or `container:NAME|ID`.
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
    /// `no-new-privileges[:true|false]`, `label=disable`, `mask=PATH:PATH`, `unmask=ALL|PATH:PATH`.
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
    /// Logging driver: `k8s-file` (default), `none`, `passthrough` (`journald` is not
    /// available: rpod has no journald support).
    #[arg(long, value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// Logging driver option: `path=FILE`, `max-size=SIZE`, `tag=TAG` (repeatable).
    #[arg(long, value_name = "OPT")]
    pub log_opt: Vec<String>,
    /// Restart policy: `no`, `on-failure[:MAX]`, `always`, `unless-stopped`.
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<String>,
    /// Memory limit (format: `NUMBER[UNIT]`, units b, k, m, g).
    #[arg(short, long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Number of CPUs (fractions allowed): a CFS quota of NUMBER x 100000 per 100000 us.
    #[arg(long, value_name = "NUMBER")]
    pub cpus: Option<f64>,
    /// Tune the container's pids limit (`-1` for unlimited).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Add a host device: `HOST[:CONTAINER][:PERMISSIONS]` (permissions from `rwm`).
    #[arg(long, value_name = "HOST[:CTR[:PERM]]")]
    pub device: Vec<String>,
    /// A rule for the devices cgroup: `TYPE MAJOR:MINOR ACCESS` (e.g. `c 1:3 mr`).
    #[arg(long, value_name = "RULE")]
    pub device_cgroup_rule: Vec<String>,
    /// Kernel memory limit: no longer supported by the kernel; accepted with a warning.
    #[arg(long, value_name = "SIZE")]
    pub kernel_memory: Option<String>,
    /// Pass N additional file descriptors (3 .. 3+N-1) to the container.
    #[arg(long, value_name = "N")]
    pub preserve_fds: Option<u32>,
    /// Pull image policy: `always`, `missing` (default), `never`, `newer`.
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing", "never", "newer"])]
    pub pull: Option<String>,
    /// Set the timezone in the container (`local` for the host's, or a zoneinfo name).
    #[arg(long, value_name = "TZ")]
    pub tz: Option<String>,
    /// Maximum time in seconds a container may run before it is killed (0: no limit).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Timeout in seconds to stop the container (default 10).
    #[arg(long, value_name = "SECONDS")]
    pub stop_timeout: Option<u64>,
    /// Signal to stop the container (default SIGTERM).
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Attach a filesystem mount: `type=bind|volume|tmpfs,source=...,destination=...[,ro]`.
    #[arg(long, value_name = "MOUNT")]
    pub mount: Vec<String>,
    /// Run an init (catatonit) inside the container that forwards signals and reaps processes.
    #[arg(long)]
    pub init: bool,
    /// Path to the container-init binary.
    #[arg(long, value_name = "PATH")]
    pub init_path: Option<PathBuf>,
    /// Read in a file of environment variables (`KEY=VALUE` lines, `#` comments; repeatable).
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Set metadata on the container (`KEY=VALUE`; repeatable).
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Read in a line-delimited file of labels.
    #[arg(long, value_name = "FILE")]
    pub label_file: Vec<PathBuf>,
    /// Add additional groups to assign to the primary user (name or gid; repeatable).
    #[arg(long, value_name = "GROUP")]
    pub group_add: Vec<String>,
    /// Write the container id to the file.
    #[arg(long, value_name = "FILE")]
    pub cidfile: Option<PathBuf>,
    /// Run the container in systemd mode: `true` (default), `false`, `always`.
    #[arg(long, value_name = "MODE", value_parser = ["true", "false", "always"])]
    pub systemd: Option<String>,
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
