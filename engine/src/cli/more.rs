//! Everyday commands podman has beside run/ps/rm: volume, pause, unpause, restart, rename, top,
//! port, stats, events, attach (podman's names, flags and help wording).

use clap::{Args, Subcommand};

/// `rpod volume ...`.
#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a new volume.
    Create(VolumeCreateArgs),
    /// List volumes.
    #[command(visible_alias = "list")]
    Ls(VolumeLsArgs),
    /// Display detailed information on one or more volumes.
    Inspect(VolumeInspectArgs),
    /// Remove one or more volumes.
    #[command(visible_alias = "remove")]
    Rm(VolumeRmArgs),
    /// Remove all unused volumes.
    Prune(VolumePruneArgs),
    /// Check if the given volume exists (exit 0 if it does, 1 if not).
    Exists(VolumeExistsArgs),
}

#[derive(Debug, Args)]
pub struct VolumeCreateArgs {
    /// Set metadata for a volume (e.g., --label mykey=value).
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Set driver specific options (UID, GID, o=nocopy; rpod mounts no devices yet).
    #[arg(short, long = "opt", value_name = "KEY=VALUE")]
    pub opts: Vec<String>,
    /// Specify volume driver name (only `local`).
    #[arg(short, long, default_value = "local")]
    pub driver: String,
    /// Do not fail if the volume already exists.
    #[arg(long)]
    pub ignore: bool,
    /// The volume's name (default: generated).
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Print volume output in quiet mode (names only).
    #[arg(short, long)]
    pub quiet: bool,
    /// Filter volume output (name=, label=KEY[=VALUE], driver=, dangling=true|false).
    #[arg(short, long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Format volume output using JSON or a Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Do not print headers.
    #[arg(short, long)]
    pub noheading: bool,
}

#[derive(Debug, Args)]
pub struct VolumeInspectArgs {
    /// Inspect all volumes.
    #[arg(short, long)]
    pub all: bool,
    /// Format volume output using JSON (the default) or a Go template.
    #[arg(short, long)]
    pub format: Option<String>,
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// Remove all volumes.
    #[arg(short, long)]
    pub all: bool,
    /// Remove a volume by force, even if it is being used by a container (the containers are
    /// removed too).
    #[arg(short, long)]
    pub force: bool,
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>').
    #[arg(long = "filter", value_name = "FILTERS")]
    pub filters: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeExistsArgs {
    pub name: String,
}

/// `pause` and `unpause`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Act on all running (for pause) or paused (for unpause) containers.
    #[arg(short, long)]
    pub all: bool,
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Restart all non-running containers too (with --running, only running ones).
    #[arg(short, long)]
    pub all: bool,
    /// Restart only running containers.
    #[arg(long)]
    pub running: bool,
    /// Seconds to wait for stop before killing the container (default: the container's
    /// --stop-timeout, 10 unless set).
    #[arg(short, long)]
    pub time: Option<u64>,
    pub containers: Vec<String>,
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Initialize all containers (every created one).
    #[arg(short, long)]
    pub all: bool,
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    pub container: String,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct TopArgs {
    pub container: String,
    /// ps(1) AIX format descriptors: user pid ppid pcpu etime tty time args comm (podman's
    /// default: user pid ppid pcpu etime tty time args).
    pub descriptors: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// Display port information for all containers.
    #[arg(short, long)]
    pub all: bool,
    pub container: Option<String>,
    /// A private port (rpod publishes none yet).
    pub port: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Disable streaming stats and only pull the first result, default setting is false.
    #[arg(long)]
    pub no_stream: bool,
    /// Time in seconds between stats reports.
    #[arg(short, long, default_value_t = 5)]
    pub interval: u64,
    /// Disable resetting the screen between intervals.
    #[arg(long)]
    pub no_reset: bool,
    /// Show all containers (default: running ones).
    #[arg(short, long)]
    pub all: bool,
    /// Pretty-print container statistics to JSON or using a Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Do not truncate the container id.
    #[arg(long)]
    pub no_trunc: bool,
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Show all events created since timestamp (RFC 3339, Unix seconds, or a duration like 10m).
    #[arg(long)]
    pub since: Option<String>,
    /// Show all events created until timestamp (as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Filter output (container=, event=, image=, type=; one key given twice is OR-ed).
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Format the output to JSON Lines or using the given Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Stream new events; `--stream=false` prints the existing ones and exits.
    #[arg(long, default_value = "true", num_args = 0..=1, default_missing_value = "true",
          action = clap::ArgAction::Set)]
    pub stream: bool,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Do not attach STDIN (rpod attaches output only: always the case).
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy received signals to the container process (non-TTY mode only). SIGCHLD, SIGSTOP,
    /// and SIGKILL are not proxied.
    #[arg(long, default_value = "true", num_args = 0..=1, default_missing_value = "true",
          action = clap::ArgAction::Set)]
    pub sig_proxy: bool,
    pub container: String,
}
