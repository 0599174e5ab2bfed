//! podman's command families, `rpod container <verb>` and `rpod image <verb>`: each verb takes
//! the same arguments as its top-level twin (`rpod container rm` is `rpod rm`) and
//! [`ContainerCommand::into_top`] / [`ImageCommand::into_top`] turn it into that command, so
//! one piece of code runs both. Only what has no top-level twin stays in the family:
//! `container cleanup|exists`, `image exists`, and the hidden monitor.

use clap::{Args, Subcommand};

use super::container::*;
use super::fs::{CommitArgs, CpArgs, DiffArgs, ExportArgs};
use super::more::{
    AttachArgs, InitArgs, PauseArgs, PortArgs, RenameArgs, RestartArgs, StatsArgs, TopArgs,
};
use super::Command;

/// `rpod container ...`.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Attach to a running container's output until it exits.
    Attach(AttachArgs),
    /// Unmount and release what an exited container holds (run by its monitor).
    Cleanup(CleanupArgs),
    /// Create new image based on the changed container.
    Commit(CommitArgs),
    /// Copy files/folders between a container and the local filesystem.
    Cp(CpArgs),
    /// Create a container without starting it.
    Create(CreateArgs),
    /// Inspect changes to the container's file systems.
    Diff(DiffArgs),
    /// Run a command in a running container.
    Exec(ExecArgs),
    /// Check if a container exists (exit 0 if it does, 1 if not).
    Exists(ExistsArgs),
    /// Export a container's filesystem contents as a tar archive.
    Export(ExportArgs),
    /// Initialize one or more containers.
    Init(InitArgs),
    /// Display the configuration of containers.
    Inspect(InspectArgs),
    /// Send a signal to containers.
    Kill(KillArgs),
    /// Print a container's output.
    Logs(LogsArgs),
    /// List containers.
    #[command(visible_aliases = ["ls", "list"])]
    Ps(PsArgs),
    /// Print the path of a container's root filesystem.
    Mount(MountArgs),
    /// Pause all the processes in one or more containers.
    Pause(PauseArgs),
    /// List port mappings for a container (rpod publishes none yet).
    Port(PortArgs),
    /// Rename an existing container.
    Rename(RenameArgs),
    /// Restart one or more containers.
    Restart(RestartArgs),
    /// Remove containers.
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Run a command in a new container.
    Run(RunArgs),
    /// Start created containers.
    Start(StartArgs),
    /// Display a snapshot of container resource usage statistics (--no-stream).
    Stats(StatsArgs),
    /// Stop containers: SIGTERM, then SIGKILL after --time seconds.
    Stop(StopArgs),
    /// Display the running processes of a container.
    Top(TopArgs),
    /// Unmount a container's root filesystem (when it is not running).
    #[command(visible_alias = "unmount")]
    Umount(MountArgs),
    /// Unpause the processes in one or more containers.
    Unpause(PauseArgs),
    /// Wait for containers to exit and print their exit codes.
    Wait(WaitArgs),
    /// The per-container monitor (started by `rpod run -d`).
    #[command(hide = true)]
    Monitor(MonitorArgs),
    /// The monitor of a detached exec session (started by `rpod exec -d`).
    #[command(hide = true)]
    ExecMonitor(ExecMonitorArgs),
}

/// `rpod image ...`.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Inspect changes to an image's file systems.
    Diff(DiffArgs),
    /// Check if an image exists in local storage (exit 0 if it does, 1 if not).
    Exists(ExistsArgs),
    /// Show history of a specified image.
    History(HistoryArgs),
    /// Create an image from a root filesystem tarball.
    Import(ImportArgs),
    /// Display the configuration of images.
    Inspect(InspectArgs),
    /// List images.
    #[command(visible_alias = "list")]
    Ls(ImagesArgs),
    /// Load images from a docker-archive, an oci-archive or an OCI layout directory.
    Load(LoadArgs),
    /// Remove images.
    #[command(visible_alias = "remove")]
    Rm(RmiArgs),
    /// Add names to an image.
    Tag(TagArgs),
}

/// `container exists` and `image exists`.
#[derive(Debug, Args)]
pub struct ExistsArgs {
    /// The container or image (name or id).
    pub name: String,
}

impl ContainerCommand {
    /// The top-level command this verb is the twin of; `cleanup`, `exists` and the monitor stay
    /// `Command::Container`.
    #[must_use]
    pub fn into_top(self) -> Command {
        use ContainerCommand as C;
        match self {
            C::Attach(a) => Command::Attach(a),
            C::Commit(a) => Command::Commit(a),
            C::Cp(a) => Command::Cp(a),
            C::Create(a) => Command::Create(a),
            C::Diff(a) => Command::Diff(a),
            C::Exec(a) => Command::Exec(a),
            C::Export(a) => Command::Export(a),
            C::Inspect(mut a) => {
                a.kind = InspectType::Container;
                Command::Inspect(a)
            }
            C::Init(a) => Command::Init(a),
            C::Kill(a) => Command::Kill(a),
            C::Logs(a) => Command::Logs(a),
            C::Ps(a) => Command::Ps(a),
            C::Mount(a) => Command::Mount(a),
            C::Pause(a) => Command::Pause(a),
            C::Port(a) => Command::Port(a),
            C::Rename(a) => Command::Rename(a),
            C::Restart(a) => Command::Restart(a),
            C::Rm(a) => Command::Rm(a),
            C::Run(a) => Command::Run(a),
            C::Start(a) => Command::Start(a),
            C::Stats(a) => Command::Stats(a),
            C::Stop(a) => Command::Stop(a),
            C::Top(a) => Command::Top(a),
            C::Umount(a) => Command::Umount(a),
            C::Unpause(a) => Command::Unpause(a),
            C::Wait(a) => Command::Wait(a),
            own @ (C::Cleanup(_) | C::Exists(_) | C::Monitor(_) | C::ExecMonitor(_)) => {
                Command::Container(own)
            }
        }
    }
}

impl ImageCommand {
    /// The top-level command this verb is the twin of; `exists` stays `Command::Image`.
    #[must_use]
    pub fn into_top(self) -> Command {
        use ImageCommand as I;
        match self {
            I::Diff(a) => Command::Diff(a),
            I::History(a) => Command::History(a),
            I::Import(a) => Command::Import(a),
            I::Inspect(mut a) => {
                a.kind = InspectType::Image;
                Command::Inspect(a)
            }
            I::Ls(a) => Command::Images(a),
            I::Load(a) => Command::Load(a),
            I::Rm(a) => Command::Rmi(a),
            I::Tag(a) => Command::Tag(a),
            own @ I::Exists(_) => Command::Image(own),
        }
    }
}
