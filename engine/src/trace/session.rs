//! A recording session: the recorder loaded, attached to the thread that starts the workload,
//! and finished into a profile. `rpod run` (foreground), the container monitor (detached) and
//! `rpod seccomp record` all record through [`Session`], so the recorder's options are built in
//! one place ([`Window::options`]).
//!
//! Loading the eBPF program takes tens of milliseconds, so `rpod run` starts it on another
//! thread ([`Session::load`]) while it checks the request and prepares the container, then
//! attaches on the thread that starts the runtime ([`Loading::attach`]): the recorder's tree
//! of tasks is rooted at the attaching thread. `docs/trace-syscall.md` says what the window
//! is and why.

use std::collections::BTreeMap;
use std::thread::JoinHandle;
use std::time::Duration;

use profiles::record::ArgSpec;

use super::{Request, TraceError, Written};
use crate::hint::Hint;
use crate::runtime;

/// How long the recorder waits for the last events after the workload ended.
const GRACE: Duration = Duration::from_secs(2);

/// Which syscalls the recording sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A container: from the moment the runtime installs the container's seccomp filter, so
    /// exactly what that filter will see, the runtime's handoff included.
    Container,
    /// A host command: from its execve.
    Command,
}

impl Window {
    /// The recorder's options for this window and these argument rules.
    #[must_use]
    pub fn options(self, args: &BTreeMap<String, ArgSpec>) -> tracer::Options {
        tracer::Options {
            start: match self {
                Window::Container => tracer::Start::SeccompFilter,
                Window::Command => tracer::Start::Exec,
            },
            // rpod's always-recorded arguments too (docs/recorded-profiles.md).
            args: super::recorder_args(args),
            // `rpod exec`'d processes are the container's too (podman's hook records the
            // whole pid namespace).
            follow_pid_namespace: self == Window::Container,
        }
    }
}

/// Why a recording could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The kernel refused the program, or it could not attach.
    #[error("cannot record syscalls")]
    Start(#[source] tracer::Error),
    /// The thread loading the recorder died.
    #[error("cannot record syscalls: the recorder's loader failed")]
    Loader,
    /// The recording could not be read back.
    #[error("cannot read the recording")]
    Read(#[source] tracer::Error),
    /// The recorded profile could not be built or written.
    #[error(transparent)]
    Write(#[from] TraceError),
}

impl Hint for SessionError {
    fn hint(&self) -> Option<String> {
        match self {
            SessionError::Start(e) | SessionError::Read(e) => e.hint().map(str::to_string),
            SessionError::Loader => None,
            SessionError::Write(e) => e.hint(),
        }
    }
}

/// A recorder being loaded on another thread.
#[derive(Debug)]
pub struct Loading {
    window: Window,
    handle: JoinHandle<Result<tracer::Loaded, tracer::Error>>,
}

impl Loading {
    /// Waits for the load and attaches the recorder to this thread: what this thread starts
    /// from now on is recorded.
    ///
    /// # Errors
    /// [`SessionError::Start`] when the kernel refused the program or it cannot attach.
    pub fn attach(self) -> Result<Session, SessionError> {
        let loaded = self
            .handle
            .join()
            .map_err(|_| SessionError::Loader)?
            .map_err(SessionError::Start)?;
        let recorder = loaded.attach().map_err(SessionError::Start)?;
        Ok(Session {
            window: self.window,
            recorder,
        })
    }
}

/// A recording in progress, attached to the thread that starts the workload.
pub struct Session {
    window: Window,
    recorder: tracer::Recorder,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Starts loading the recorder on another thread; [`Loading::attach`] finishes.
    #[must_use]
    pub fn load(window: Window, args: &BTreeMap<String, ArgSpec>) -> Loading {
        let options = window.options(args);
        Loading {
            window,
            handle: std::thread::spawn(move || tracer::Recorder::load(&options)),
        }
    }

    /// Loads the recorder and attaches it to this thread.
    ///
    /// # Errors
    /// [`SessionError::Start`] when the kernel refused the program or it cannot attach.
    pub fn start(
        window: Window,
        args: &BTreeMap<String, ArgSpec>,
    ) -> Result<Session, SessionError> {
        let recorder =
            tracer::Recorder::start(&window.options(args)).map_err(SessionError::Start)?;
        Ok(Session { window, recorder })
    }

    /// Ends the recording once the workload's last process is gone and reads what it saw. A
    /// container's recording lists both runtimes' handoffs, so the profile starts the
    /// container under either; the ones not seen in this run are counted 0.
    ///
    /// # Errors
    /// [`SessionError::Read`].
    pub fn finish(self) -> Result<tracer::Finished, SessionError> {
        let mut finished = self.recorder.finish(GRACE).map_err(SessionError::Read)?;
        if self.window == Window::Container {
            for s in runtime::handoff::syscalls() {
                finished.recording.handoff.entry(s.to_string()).or_insert(0);
            }
        }
        Ok(finished)
    }

    /// [`Session::finish`], then writes the profile `request` asks for. The input (`if:`) is
    /// read again: the recording may have taken hours.
    ///
    /// # Errors
    /// As [`Session::finish`]; as [`Request::check`] and [`super::write`].
    pub fn finish_into(self, request: &Request) -> Result<Written, SessionError> {
        let finished = self.finish()?;
        let base = request.check()?;
        Ok(super::write(request, base.as_ref(), &finished)?)
    }
}
