//! A scripted [`OciRuntime`] for unit tests of the container lifecycle: no root, no runc. Each
//! call is logged; `run` and `exec` return what the test queued; `kill` runs the test's hook
//! (which plays the container's exit).

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nix::sys::signal::Signal;
use oci_spec::runtime::Process;

use super::{
    CreateOptions, ExecOptions, OciRuntime, ProcessIo, RuntimeDirs, RuntimeError, Runtimes, State,
    Status,
};

type KillHook = Arc<dyn Fn(Signal) + Send + Sync>;

/// What the next `run` does.
enum Run {
    Return(Result<i32, RuntimeError>),
    /// `sh -c SCRIPT` with the container's stdio; its exit code.
    Shell(String),
}

#[derive(Default)]
struct Script {
    calls: Vec<String>,
    run: VecDeque<Run>,
    exec: VecDeque<Result<i32, RuntimeError>>,
    on_kill: Option<KillHook>,
    /// What `state` reports from now on: `None` is the default (running, with the test's own
    /// pid); `Some(None)`, a container the runtime does not know.
    state: Option<Option<(Status, i32)>>,
}

/// The fake runtime, named `fake`; clones share one script.
#[derive(Clone)]
pub struct Fake {
    dirs: RuntimeDirs,
    script: Arc<Mutex<Script>>,
}

impl fmt::Debug for Fake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fake")
            .field("calls", &self.calls())
            .finish()
    }
}

impl Fake {
    pub fn new(runroot: &Path) -> Fake {
        Fake {
            dirs: RuntimeDirs::under(runroot, "fake"),
            script: Arc::default(),
        }
    }

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script
            .lock()
            .expect("the fake runtime's script is not poisoned")
    }

    /// The calls made so far: `run ID`, `kill ID SIGTERM`, `delete ID`, `exec ID sh`...
    pub fn calls(&self) -> Vec<String> {
        self.script().calls.clone()
    }

    /// The next `run` returns this.
    pub fn on_run(&self, result: Result<i32, RuntimeError>) {
        self.script().run.push_back(Run::Return(result));
    }

    /// The next `run` runs `sh -c script` with the container's stdio, as the container's
    /// process would write to it.
    pub fn on_run_shell(&self, script: &str) {
        self.script().run.push_back(Run::Shell(script.into()));
    }

    /// The next `exec` returns this.
    pub fn on_exec(&self, result: Result<i32, RuntimeError>) {
        self.script().exec.push_back(result);
    }

    /// `state` reports `status` and `pid` from now on; `None`: the runtime does not know the
    /// container ("container does not exist", as runc says).
    pub fn on_state(&self, state: Option<(Status, i32)>) {
        self.script().state = Some(state);
    }

    /// `kill` calls `hook` with the signal.
    pub fn on_kill(&self, hook: impl Fn(Signal) + Send + Sync + 'static) {
        self.script().on_kill = Some(Arc::new(hook));
    }

    fn log(&self, call: String) {
        self.script().calls.push(call);
    }
}

impl Runtimes for Fake {
    fn get(&self, name: &str) -> Result<Box<dyn OciRuntime>, RuntimeError> {
        match name {
            "fake" => Ok(Box::new(self.clone())),
            _ => Err(RuntimeError::Unknown { name: name.into() }),
        }
    }
}

impl OciRuntime for Fake {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn binary(&self) -> &Path {
        Path::new("/nonexistent/fake")
    }

    fn dirs(&self) -> &RuntimeDirs {
        &self.dirs
    }

    fn version(&self) -> Result<String, RuntimeError> {
        Ok("0.0".into())
    }

    fn create(&self, id: &str, _bundle: &Path, _opts: CreateOptions) -> Result<(), RuntimeError> {
        self.log(format!("create {id}"));
        Ok(())
    }

    fn start(&self, id: &str) -> Result<(), RuntimeError> {
        self.log(format!("start {id}"));
        Ok(())
    }

    fn state(&self, id: &str) -> Result<State, RuntimeError> {
        self.log(format!("state {id}"));
        let (status, pid) = match self.script().state {
            None => (
                Status::Running,
                i32::try_from(std::process::id()).unwrap_or(1),
            ),
            Some(Some(s)) => s,
            Some(None) => {
                return Err(RuntimeError::Failed {
                    runtime: "fake".into(),
                    op: "state",
                    id: id.into(),
                    code: Some(1),
                    message: "container does not exist".into(),
                })
            }
        };
        Ok(State {
            id: id.into(),
            status,
            pid,
            bundle: PathBuf::from("/nonexistent"),
            annotations: Default::default(),
        })
    }

    fn kill(&self, id: &str, signal: Signal, _all: bool) -> Result<(), RuntimeError> {
        self.log(format!("kill {id} {signal}"));
        // Unlocked while the hook runs: it may script the runtime's next answers.
        let hook = self.script().on_kill.clone();
        if let Some(hook) = hook {
            hook(signal);
        }
        Ok(())
    }

    fn pause(&self, id: &str) -> Result<(), RuntimeError> {
        self.log(format!("pause {id}"));
        Ok(())
    }

    fn resume(&self, id: &str) -> Result<(), RuntimeError> {
        self.log(format!("resume {id}"));
        Ok(())
    }

    fn delete(&self, id: &str, force: bool) -> Result<(), RuntimeError> {
        self.log(format!(
            "delete {id}{}",
            if force { " --force" } else { "" }
        ));
        Ok(())
    }

    fn exec(&self, id: &str, process: &Process, _opts: ExecOptions) -> Result<i32, RuntimeError> {
        let args = process.args().clone().unwrap_or_default().join(" ");
        self.log(format!("exec {id} {args}"));
        self.script().exec.pop_front().unwrap_or(Ok(0))
    }

    fn run_preserving_fds(
        &self,
        id: &str,
        bundle: &Path,
        io: ProcessIo,
        fds: u32,
    ) -> Result<i32, RuntimeError> {
        if fds > 0 {
            self.log(format!("preserve-fds {fds}"));
        }
        self.run(id, bundle, io)
    }

    fn run(&self, id: &str, _bundle: &Path, io: ProcessIo) -> Result<i32, RuntimeError> {
        self.log(format!("run {id}"));
        let next = self.script().run.pop_front();
        match next {
            None => Ok(0),
            Some(Run::Return(r)) => r,
            Some(Run::Shell(script)) => {
                let status = std::process::Command::new("sh")
                    .args(["-c", &script])
                    .stdin(io.stdin)
                    .stdout(io.stdout)
                    .stderr(io.stderr)
                    .status()
                    .map_err(|source| RuntimeError::Spawn {
                        runtime: "fake".into(),
                        op: "run",
                        source,
                    })?;
                Ok(status.code().unwrap_or(-1))
            }
        }
    }
}
