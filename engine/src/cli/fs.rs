//! The filesystem commands: `cp`, `export`, `diff`, `commit` (podman's flags).

use std::path::PathBuf;

use clap::{ArgAction, Args, ValueEnum};

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Archive mode (copy all uid/gid information): files copied to a container are owned by
    /// its primary uid/gid (onto the host: by the caller); with --archive=false they keep the
    /// uid/gid of the source (default true).
    #[arg(
        short,
        long,
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true"
    )]
    pub archive: bool,
    /// Allow to overwrite directories with non-directories and vice versa.
    #[arg(long)]
    pub overwrite: bool,
    /// `[CONTAINER:]SRC_PATH`, or `-` for a tar archive on stdin (extracted into the
    /// destination directory).
    #[arg(allow_hyphen_values = true)]
    pub src: String,
    /// `[CONTAINER:]DEST_PATH`, or `-` for a tar archive of the source on stdout.
    #[arg(allow_hyphen_values = true)]
    pub dest: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to a specified file (default: stdout, which must be redirected).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The container whose filesystem to export.
    pub container: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// `A /path`, `C /path`, `D /path` lines.
    #[default]
    Text,
    /// `{"changed": [...], "added": [...], "deleted": [...]}`.
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Change the output format (json).
    #[arg(long, value_enum, default_value_t)]
    pub format: DiffFormat,
    /// A container (its changes to its image) or an image (its top layer's changes).
    pub name: String,
}

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Apply the following possible instructions to the created image (default []): CMD |
    /// ENTRYPOINT | ENV | EXPOSE | LABEL | ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR.
    #[arg(short, long = "change", value_name = "INSTRUCTION")]
    pub changes: Vec<String>,
    /// Set commit message for committed image.
    #[arg(short, long)]
    pub message: Option<String>,
    /// Set the author for the image committed.
    #[arg(short, long)]
    pub author: Option<String>,
    /// Pause container during commit.
    #[arg(short, long)]
    pub pause: bool,
    /// Format of the image manifest and metadata: oci or docker (default oci). Checked by the
    /// command, so an unknown one gets podman's message.
    #[arg(short, long, default_value = "oci", value_name = "FORMAT")]
    pub format: String,
    /// Suppress output.
    #[arg(short, long)]
    pub quiet: bool,
    /// The container to commit.
    pub container: String,
    /// `NAME[:TAG]` for the new image.
    pub image: Option<String>,
}
