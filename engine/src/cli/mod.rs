//! Command-line definitions (clap derive). No logic and no I/O here: `commands` does the work.

pub mod container;
pub mod family;
pub mod fs;
pub mod more;
pub mod seccomp;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use container::*;
pub use family::{ContainerCommand, ImageCommand};

/// rpod: a daemonless, podman-compatible container engine built around seccomp.
///
/// Containers run through runc (or crun) under a seccomp profile: podman's default, a JSON
/// profile, or a Kafel-like policy. `rpod seccomp ...` reviews, compiles and simulates them.
/// Exit codes: 0 success, 1 a check found something (diff, lint, validate), 125 an rpod error,
/// 126 a command that cannot be invoked, 127 a command not found, else the container's own.
///
/// Configuration: rpod reads the first of these files that exists (they are not merged):
/// $XDG_CONFIG_HOME/rpod/rpod.toml (for users other than root, ~/.config/rpod/rpod.toml when
/// XDG_CONFIG_HOME is unset), then /etc/rpod/rpod.toml. Its keys are `root` and `runroot`
/// (absolute paths, e.g. `root = "/srv/rpod"`); --root and --runroot override them.
#[derive(Debug, Parser)]
#[command(name = "rpod", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Where images, layers and the state database live (default /var/lib/rpod for root, else
    /// $XDG_DATA_HOME/rpod or ~/.local/share/rpod; or `root` in the config file).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where runtime state lives, cleared at boot (default /run/rpod for root, else
    /// $XDG_RUNTIME_DIR/rpod or /tmp/rpod-UID; or `runroot` in the config file).
    #[arg(long, global = true, value_name = "DIR")]
    pub runroot: Option<PathBuf>,
    /// Redirect stdout to /dev/null: rpod's own output is dropped, a container's (`run`,
    /// `start -a`, `exec`) is not.
    #[arg(long, global = true)]
    pub noout: bool,
    /// Log messages at and above LEVEL on stderr: trace, debug, info, warn, warning, error,
    /// fatal, panic (debug and info say what rpod does).
    #[arg(long, global = true, value_name = "LEVEL", default_value = "warn")]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Seccomp profiles and policies: validate, compile, decompile, record, fmt, simulate, disasm,
    /// explain, diff, merge, lint, denials.
    #[command(subcommand)]
    Seccomp(seccomp::Seccomp),
    /// Run a command in a new container.
    ///
    /// Example: rpod run --rm --security-opt seccomp=policy.kafel busybox ls /
    Run(RunArgs),
    /// Create a container without starting it.
    Create(CreateArgs),
    /// Start created containers (`-a` waits and exits with the container's code).
    Start(StartArgs),
    /// List containers.
    Ps(PsArgs),
    /// Print a container's output.
    Logs(LogsArgs),
    /// Stop containers: SIGTERM, then SIGKILL after --time seconds.
    Stop(StopArgs),
    /// Send a signal to containers.
    Kill(KillArgs),
    /// Remove containers.
    Rm(RmArgs),
    /// Run a command in a running container.
    Exec(ExecArgs),
    /// Show a container's or an image's configuration and state as JSON.
    Inspect(InspectArgs),
    /// Wait for containers to exit and print their exit codes.
    Wait(WaitArgs),
    /// Print the path of a container's root filesystem.
    Mount(MountArgs),
    /// Unmount a container's root filesystem (when it is not running).
    Umount(MountArgs),
    /// Manage containers: attach, cleanup, commit, cp, create, diff, exec, exists, export,
    /// init, inspect, kill, ps (ls, list), logs, mount, pause, port, rename, restart, rm, run,
    /// start, stats, stop, top, umount, unpause, wait.
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Create an image from a root filesystem tarball.
    Import(ImportArgs),
    /// Load images from a docker-archive, an oci-archive or an OCI layout directory.
    Load(LoadArgs),
    /// List images.
    Images(ImagesArgs),
    /// Remove images.
    Rmi(RmiArgs),
    /// Add names to an image.
    Tag(TagArgs),
    /// Show history of a specified image.
    History(HistoryArgs),
    /// Manage images: diff, exists, history, import, inspect, ls (list), load, rm, tag.
    #[command(subcommand)]
    Image(ImageCommand),
    /// System information: df, info.
    #[command(subcommand)]
    System(SystemCommand),
    /// Display the rpod version information.
    Version(SystemFormatArgs),
    /// Display rpod related system information.
    Info(SystemFormatArgs),
    /// Copy files/folders between a container and the local filesystem.
    Cp(fs::CpArgs),
    /// Export a container's filesystem contents as a tar archive.
    Export(fs::ExportArgs),
    /// Inspect changes to the container's or image's file systems.
    Diff(fs::DiffArgs),
    /// Create new image based on the changed container.
    Commit(fs::CommitArgs),
    /// Manage volumes: create, ls, inspect, rm, prune, exists.
    #[command(subcommand)]
    Volume(more::VolumeCommand),
    /// Pause all the processes in one or more containers.
    Pause(more::PauseArgs),
    /// Unpause the processes in one or more containers.
    Unpause(more::PauseArgs),
    /// Restart one or more containers.
    Restart(more::RestartArgs),
    /// Initialize one or more containers.
    Init(more::InitArgs),
    /// Rename an existing container.
    Rename(more::RenameArgs),
    /// Display the running processes of a container.
    Top(more::TopArgs),
    /// List port mappings for a container (rpod publishes none yet).
    Port(more::PortArgs),
    /// Display a snapshot of container resource usage statistics (--no-stream).
    Stats(more::StatsArgs),
    /// Show container events (create, start, died, stop, remove, pause, unpause, rename, restart).
    Events(more::EventsArgs),
    /// Attach to a running container's output until it exits.
    Attach(more::AttachArgs),
}

#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Disk space used by images and containers.
    Df(DfArgs),
    /// Display rpod related system information.
    Info(SystemFormatArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Cli;

    /// Whitespace runs collapsed to one space, so a text wrapped in the help still matches.
    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn words(s: &str) -> Vec<String> {
        s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .map(str::to_string)
            .collect()
    }

    /// Issue 11: `rpod --help` omitted decompile, record and fmt. Every command clap knows,
    /// at every depth, is named in the top-level help: a top-level command on a line of its
    /// own, a nested one in its parent's summary there. Walks the clap tree, so a new command
    /// without a mention fails here.
    #[test]
    fn the_top_level_help_names_every_command() {
        let mut cmd = Cli::command();
        let help = cmd.render_help().to_string();
        let listed: Vec<&str> = help
            .lines()
            .filter_map(|l| l.strip_prefix("  "))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let squashed = squash(&help);
        let mut checked = 0;
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = sub.get_name();
            assert!(
                listed.contains(&name),
                "`rpod --help` does not list {name}:\n{help}"
            );
            let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
            assert!(
                squashed.contains(&squash(&about)),
                "{name}'s summary is not shown whole in `rpod --help`:\n{help}"
            );
            for child in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
                assert!(
                    words(&about).iter().any(|w| w == child.get_name()),
                    "`rpod --help` summarises {name} as \"{about}\" without `{}`",
                    child.get_name()
                );
                // Deeper levels would need the same treatment.
                assert_eq!(
                    child.get_subcommands().filter(|s| !s.is_hide_set()).count(),
                    0,
                    "{name} {} has subcommands of its own",
                    child.get_name()
                );
                checked += 1;
            }
            checked += 1;
        }
        assert!(
            checked > 30,
            "only {checked} commands found in the clap tree"
        );
    }

    /// podman's `create` has no `-d`; `run` has it.
    #[test]
    fn detach_is_an_option_of_run_only() {
        let cmd = Cli::command();
        let sub = |n: &str| cmd.find_subcommand(n).expect(n).clone();
        let has_d = |c: &clap::Command| c.get_arguments().any(|a| a.get_short() == Some('d'));
        assert!(has_d(&sub("run")));
        assert!(!has_d(&sub("create")));
    }
}
