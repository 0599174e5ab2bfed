//! Command-line definitions (clap derive). No logic and no I/O here: `commands` does the work.

pub mod container;
pub mod seccomp;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use container::*;

/// rpod: a daemonless, podman-compatible container engine built around seccomp.
///
/// Containers run through runc (or crun) under a seccomp profile: podman's default, a JSON
/// profile, or a Kafel-like policy. `rpod seccomp ...` reviews, compiles and simulates them.
/// Exit codes: 0 success, 1 a check found something (diff, lint, validate), 125 an rpod error,
/// 126 a command that cannot be invoked, 127 a command not found, else the container's own.
#[derive(Debug, Parser)]
#[command(name = "rpod", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Where images, layers and the state database live (default /var/lib/rpod, or `root` in
    /// /etc/rpod/rpod.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where runtime state lives, cleared at boot (default /run/rpod, or `runroot` in the
    /// config file).
    #[arg(long, global = true, value_name = "DIR")]
    pub runroot: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work on seccomp profiles: validate, compile, simulate, disasm, explain, diff, merge, lint.
    #[command(subcommand)]
    Seccomp(seccomp::Seccomp),
    /// Run a command in a new container.
    ///
    /// Example: rpod run --rm --security-opt seccomp=policy.kafel busybox ls /
    Run(RunArgs),
    /// Create a container without starting it.
    Create(RunArgs),
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
    /// Container housekeeping.
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
    /// Image housekeeping.
    #[command(subcommand)]
    Image(ImageCommand),
    /// System information.
    #[command(subcommand)]
    System(SystemCommand),
}

#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Unmount and release what an exited container holds (run by its monitor).
    Cleanup(CleanupArgs),
    /// The per-container monitor (started by `rpod run -d`).
    #[command(hide = true)]
    Monitor(MonitorArgs),
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Show an image's configuration as JSON.
    Inspect(InspectArgs),
}

#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Disk space used by images and containers.
    Df(ImagesArgs),
}
