//! Container commands, with podman's names and flags.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

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
    #[arg(long, value_name = "MODE")]
    pub systemd: Option<String>,
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
    /// Filter the containers to start (implies `--all`): `id=PREFIX`, `name=TEXT` (in the name), `status=STATE`
    /// (repeatable; different keys must all match).
    #[arg(
        long = "filter",
        value_name = "KEY=VALUE",
        conflicts_with = "containers"
    )]
    pub filters: Vec<String>,
    /// Keep STDIN open even if not attached (with `-a`: pass rpod's stdin to the container).
    #[arg(short, long)]
    pub interactive: bool,
    /// Containers (names or ids).
    #[arg(required_unless_present_any = ["all", "filters"], conflicts_with = "all")]
    pub containers: Vec<String>,
}

/// What `ps --sort` orders by (podman's choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PsSort {
    Command,
    Created,
    Id,
    Image,
    Names,
    Runningfor,
    Size,
    Status,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all the containers, default is only running containers.
    #[arg(short, long)]
    pub all: bool,
    /// Show containers in storage not controlled by rpod (rpod keeps no other containers, so
    /// this is the same list).
    #[arg(long)]
    pub external: bool,
    /// Filter output based on conditions given: id, name, status, label, ancestor, exited,
    /// before, since, pod (`KEY=VALUE`, repeatable: values of one key are ORed, except
    /// label's, which must all match; different keys are ANDed).
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Pretty-print containers to JSON or using a Go template.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Print the n last created containers (all states).
    #[arg(short = 'n', long, value_name = "N")]
    pub last: Option<usize>,
    /// Act on the latest container rpod is aware of.
    #[arg(short, long, conflicts_with = "last")]
    pub latest: bool,
    /// Display namespace information.
    #[arg(long, conflicts_with_all = ["quiet", "size"])]
    pub ns: bool,
    /// Display the extended information.
    #[arg(long)]
    pub no_trunc: bool,
    /// Do not print headers.
    #[arg(long)]
    pub noheading: bool,
    /// Print the ID and name of the pod the containers are associated with (rpod has no pods:
    /// the columns are empty).
    #[arg(short, long)]
    pub pod: bool,
    /// Print the numeric IDs of the containers only.
    #[arg(short, long, conflicts_with = "size")]
    pub quiet: bool,
    /// Display the total file sizes.
    #[arg(short, long)]
    pub size: bool,
    /// Sort output by: command, created, id, image, names, runningfor, size, status.
    #[arg(long, value_enum, value_name = "CHOICE")]
    pub sort: Option<PsSort>,
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
    /// Seconds to wait for stop before killing the container (default: the container's
    /// --stop-timeout, 10 unless set).
    #[arg(short, long, value_name = "SECONDS")]
    pub time: Option<u64>,
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
    /// Remove container and all containers that depend on the selected container.
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
    /// Remove anonymous volumes associated with the container (named volumes stay).
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

/// What `inspect --type` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum InspectType {
    Container,
    Image,
    #[default]
    All,
}

/// `--type`'s value, refused in podman's words (which name the types podman has).
fn inspect_type(s: &str) -> Result<InspectType, String> {
    InspectType::from_str(s, false).map_err(|_| {
        format!(
            "invalid type {s:?}: must be \"image\", \"container\", \"pod\", \"network\", \"volume\", or \"all\""
        )
    })
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format the output to a Go template or json.
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Display filesystem usage (containers: SizeRw and SizeRootFs).
    #[arg(short, long)]
    pub size: bool,
    /// Specify inspect-object type: container, image, all (containers first, as podman).
    #[arg(short, long = "type", value_parser = inspect_type, default_value = "all", value_name = "TYPE")]
    pub kind: InspectType,
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
pub struct ExecMonitorArgs {
    /// The container (its id).
    pub container: String,
    /// The exec session's id.
    pub session: String,
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

/// What `images --sort` orders by (podman's choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ImagesSort {
    #[default]
    Created,
    Id,
    Repository,
    Size,
    Tag,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Show all images (rpod keeps no intermediate images, so the same list).
    #[arg(short, long)]
    pub all: bool,
    /// Show digests.
    #[arg(long)]
    pub digests: bool,
    /// Filter output based on conditions provided: reference, dangling, label, before, since
    /// (`KEY=VALUE`, repeatable).
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Change the output format to JSON or a Go template.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not print column headings.
    #[arg(short, long)]
    pub noheading: bool,
    /// Do not truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Display only image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Sort by created, id, repository, size, tag.
    #[arg(long, value_enum, default_value_t, value_name = "CHOICE")]
    pub sort: ImagesSort,
    /// List only the images this reference matches (as `--filter reference=IMAGE`).
    #[arg(value_name = "IMAGE")]
    pub image: Option<String>,
}

/// `rpod system df`.
#[derive(Debug, Args)]
pub struct DfArgs {
    /// Pretty-print images using a Go template (`json` for JSON).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Show detailed information on disk usage.
    #[arg(short, long)]
    pub verbose: bool,
}

/// `rpod version` and `rpod info`.
#[derive(Debug, Args)]
pub struct SystemFormatArgs {
    /// Change the output format to JSON or a Go template.
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
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

/// `rpod history` and `rpod image history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Change the output to JSON or a Go template.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Display sizes and dates in human readable format.
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub human: bool,
    /// Do not truncate the output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Display the numeric IDs only.
    #[arg(short, long)]
    pub quiet: bool,
    /// The image (name or id).
    pub image: String,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    pub image: String,
    #[arg(required = true)]
    pub names: Vec<String>,
}
