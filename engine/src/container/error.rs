//! Why a container operation failed: one variant per refusal, each with what the user needs
//! (the container's name, the path, the state) and, where there is one, a hint ([`Hint`]).

use std::path::PathBuf;

use crate::bundle::BundleError;
use crate::exit::ExitStatus;
use crate::hint::Hint;
use crate::image::ImageError;
use crate::runtime::RuntimeError;
use crate::storage::{ContainerState, StorageError};
use crate::trace::SessionError;

/// What a refused operation wanted of a container that is not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// `kill`.
    Signal,
    /// `exec`.
    Exec,
}

/// The state a container was in, as the cause of a refusal (`caused by: state exited`).
#[derive(Debug, thiserror::Error)]
#[error("state {}", .0.as_str())]
pub struct InState(pub ContainerState);

/// A container that is running, as the cause of a refusal.
#[derive(Debug, thiserror::Error)]
#[error("container {0} is running")]
pub struct IsRunning(pub String);

/// The image gives no command and none was given.
#[derive(Debug, thiserror::Error)]
#[error("the image has no Cmd or Entrypoint")]
pub struct NoCmd;

/// podman's message for a command the runtime could not start (libpod's
/// `getOCIRuntimeError`): `RUNTIME: REASON: ` and the cause, `OCI runtime attempted to invoke a
/// command that was not found` (127) or `OCI permission denied` (126).
fn podman_form(status: ExitStatus, error: &RuntimeError) -> String {
    let cause = match status {
        ExitStatus::Container(127) => {
            "OCI runtime attempted to invoke a command that was not found"
        }
        ExitStatus::Container(126) => "OCI permission denied",
        _ => return error.to_string(),
    };
    match error {
        RuntimeError::Failed {
            runtime, message, ..
        } => format!("{runtime}: {message}: {cause}"),
        other => format!("{other}: {cause}"),
    }
}

/// An error from the container lifecycle.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Storage(#[from] StorageError),

    #[error(transparent)]
    Image(#[from] ImageError),

    #[error(transparent)]
    Bundle(#[from] BundleError),

    #[error(transparent)]
    Volume(#[from] crate::volume::VolumeError),

    #[error(transparent)]
    Denials(#[from] crate::denials::Error),

    /// `init` of a container already initialized, running or paused (podman's words).
    #[error("container {id} has already been created in runtime: container state improper")]
    AlreadyInitialized { id: String },

    /// `init` of an exited container: rpod starts created containers only.
    #[error("container {name} is {state}: rpod initializes created containers only")]
    CannotInit { name: String, state: &'static str },

    /// `pause` of a paused container (podman's words).
    #[error("\"{id}\" is already paused: container state improper")]
    AlreadyPaused { id: String },

    /// `pause` of a container that is not running (podman's words).
    #[error("\"{state}\" is not running, can't pause: container state improper")]
    CannotPause { state: &'static str },

    /// `unpause` of a container that is not paused (podman's words).
    #[error("\"{id}\" is not paused, can't unpause: container state improper")]
    NotPaused { id: String },

    /// `rename` to a name another container has (podman's words).
    #[error("renaming container {id}: name {name} already in use, cannot rename container {id}: container already exists")]
    RenameInUse { id: String, name: String },

    #[error("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument")]
    InvalidName { name: String },

    /// `top` of a container that does not run (podman's words).
    #[error("top can only be used on running containers")]
    TopNotRunning,

    /// `stop` of a paused container (podman's words; `rm -f` kills it).
    #[error("can only stop created or running containers. {id} is in state paused: container state improper")]
    StopPaused { id: String },

    /// The runtime refused or failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),

    /// The runtime could not start the container's command: not found (127) or not
    /// executable (126). The container ran nothing; the status is podman's.
    #[error("{}", podman_form(*status, error))]
    CommandFailed {
        status: ExitStatus,
        error: RuntimeError,
    },

    /// `--workdir` names a directory the root filesystem lacks (podman creates only the
    /// image's WORKDIR): podman's message and 126.
    #[error("workdir \"{workdir}\" does not exist on container {id}")]
    WorkdirMissing { workdir: String, id: String },

    /// `--workdir` names a file (podman's wording).
    #[error("workdir \"{workdir}\" exists on container {id}, but is not a directory")]
    WorkdirNotDirectory { workdir: String, id: String },

    /// `--workdir` names a path that cannot be a directory (a file on the way).
    #[error("detecting workdir \"{workdir}\" on container {id}")]
    WorkdirUnusable {
        workdir: String,
        id: String,
        #[source]
        source: std::io::Error,
    },

    /// `logs` of a container whose log driver keeps nothing (podman's message).
    #[error("this container is using the '{driver}' log driver, cannot read logs: this container is not logging output")]
    NotLogging { driver: &'static str },

    #[error("no command to run in {image}")]
    NoCommand {
        image: String,
        #[source]
        source: NoCmd,
    },

    #[error("cannot read /dev/urandom for a container id")]
    Random(#[source] std::io::Error),

    #[error("cannot {what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot mount the overlay root filesystem at {}", path.display())]
    Mount {
        path: PathBuf,
        #[source]
        source: nix::Error,
    },

    #[error("cannot unmount {}", path.display())]
    Unmount {
        path: PathBuf,
        #[source]
        source: nix::Error,
    },

    #[error("container {name} has unreadable metadata")]
    Metadata {
        name: String,
        #[source]
        source: serde_json::Error,
    },

    /// The container's record went away while it was being run (`rpod rm` from elsewhere).
    #[error("no container {id}")]
    Gone { id: String },

    #[error("container {name} is not running")]
    NotRunning {
        name: String,
        wanted: Wanted,
        #[source]
        state: InState,
    },

    #[error("cannot remove {name}")]
    RemoveRunning {
        name: String,
        #[source]
        running: IsRunning,
    },

    /// `--log-opt path=` names something the monitor must not append to ([`super::log::check_path`]).
    #[error("log path {} is a {found}: rpod writes a container's log to a regular file only", path.display())]
    LogPathUnsafe { path: PathBuf, found: &'static str },

    #[error("log path {}: its directory does not exist", path.display())]
    LogDirMissing { path: PathBuf },

    /// `start`/`restart` of an exited container that runs again meanwhile (its restart
    /// policy, another `start`): a new monitor would run it twice.
    #[error("cannot start {name} again")]
    StartRunning {
        name: String,
        #[source]
        running: IsRunning,
    },

    /// `rpod container cleanup` of a container the runtime still runs (issue 12: it unmounted
    /// the root and deleted the record while runc ran on).
    #[error("cannot clean up {name}")]
    CleanupRunning {
        name: String,
        #[source]
        running: IsRunning,
    },

    #[error("container {name} is running; stop it before unmounting")]
    UnmountRunning { name: String },

    #[error("container {name} did not stop")]
    DidNotStop { name: String },

    #[error("container {name} failed to start")]
    FailedToStart {
        name: String,
        #[source]
        status: ExitCode,
    },

    /// `run -d`/`start`: the detached monitor ended (killed, crashed) before the container ran.
    #[error("the monitor of container {name} ended ({status}) before the container ran")]
    MonitorDied {
        name: String,
        status: std::process::ExitStatus,
    },

    #[error("container {id} did not start within 30 s")]
    StartTimeout { id: String },

    #[error("container {name} was removed before it could be waited for")]
    RemovedWhileWaiting { name: String },

    #[error("cannot start the container's monitor")]
    SpawnMonitor(#[source] std::io::Error),

    #[error("cannot open {path}")]
    OpenNullDevice {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Rust's `Stdio::null` opens `/dev/null` whatever it is; a regular file there would get the
    /// container's output appended and give its contents as input.
    #[error("{path} is not the null device (character device 1:3) but {found}")]
    NotNullDevice { path: PathBuf, found: String },

    #[error("cannot create a pipe")]
    Pipe(#[source] std::io::Error),

    /// An exec session's record or process file that cannot be written or read.
    #[error("exec session file {path} is unreadable or cannot be written")]
    ExecSessionRecord {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// `exec -d`: the runtime could not start the command (its reason, in podman's form).
    #[error("{message}")]
    ExecStart { message: String },

    /// A start of a container that joins the namespace of one that is not running.
    #[error("container {name} joins the namespaces of container {dependency}, which is not running: start {dependency} first")]
    DependencyNotRunning { name: String, dependency: String },

    #[error("container {name} depends on container {id}, which no longer exists")]
    DependencyGone { name: String, id: String },

    #[error("no exec session with ID {id} found in container {container}: no such exec session")]
    NoExecSession { id: String, container: String },

    #[error("cannot read the bundle of {name}")]
    ReadBundle {
        name: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the bundle of {name} has an unreadable config.json")]
    ParseBundle {
        name: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("the container's config.json has no process")]
    NoProcess,

    /// Setting up the container's terminal (`-t`).
    #[error("{what}")]
    Terminal {
        what: &'static str,
        #[source]
        source: Option<std::io::Error>,
    },

    /// The recorder could not start for a detached container.
    #[error(transparent)]
    Recording(Box<SessionError>),

    /// The container ran, but its recorded profile could not be written.
    #[error("no profile written to {}", output.display())]
    NotRecorded {
        output: PathBuf,
        #[source]
        source: Box<SessionError>,
    },
}

/// A container's exit code, as the cause of a failure to start.
#[derive(Debug, thiserror::Error)]
#[error("exit code {0}")]
pub struct ExitCode(pub i32);

impl Error {
    /// The exit status rpod ends with on this error: the container's 126 or 127 when its
    /// command could not be run, otherwise 125.
    #[must_use]
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::CommandFailed { status, .. } => *status,
            Error::WorkdirMissing { .. }
            | Error::WorkdirUnusable { .. }
            | Error::WorkdirNotDirectory { .. } => ExitStatus::CannotInvoke,
            Error::Volume(e) => e.exit_status(),
            _ => ExitStatus::RpodError,
        }
    }

    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { what, path, source }
    }

    pub(crate) fn terminal(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::Terminal {
            what,
            source: Some(source),
        }
    }
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        Some(match self {
            Error::NoCommand { .. } => "give one after the image: rpod run IMAGE COMMAND...".into(),
            Error::NotRunning {
                wanted: Wanted::Signal,
                ..
            } => "nothing to signal".into(),
            Error::NotRunning {
                wanted: Wanted::Exec,
                ..
            } => "start it first".into(),
            Error::RemoveRunning { .. } => "stop it first, or use rm -f".into(),
            Error::LogPathUnsafe { .. } => {
                "give the path of a regular file, or of one that does not exist yet".into()
            }
            Error::LogDirMissing { .. } => "create the directory first".into(),
            Error::StartRunning { name, .. } => {
                format!("it runs already; `rpod restart {name}` stops and starts it")
            }
            Error::CleanupRunning { name, .. } => format!(
                "its root filesystem is in use: stop it first (rpod stop {name}), or remove it with rpod rm -f {name}"
            ),
            Error::FailedToStart { name, .. } | Error::MonitorDied { name, .. } => {
                format!("see `rpod logs {name}` and the runtime's log")
            }
            Error::Recording(e) | Error::NotRecorded { source: e, .. } => return e.hint(),
            Error::Runtime(e) => return e.hint(),
            Error::Volume(e) => return e.hint(),
            Error::NotNullDevice { path, .. } => format!(
                "as root, put the null device back: rm {0} && mknod -m 666 {0} c 1 3",
                path.display()
            ),
            _ => return None,
        })
    }
}
