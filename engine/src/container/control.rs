//! Operations on an existing container besides create/run/stop/rm: pause and unpause (the
//! runtime's cgroup freezer), rename, restart's preparation, the container's processes (for
//! `top` and `stats`), its named volumes, and the event each lifecycle step leaves in
//! [`crate::events`].

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::{alive, meta, monitor_pid, Container, Error};
use crate::bundle::{Named, Volume};
use crate::events::{self, Event};
use crate::storage::{ContainerRecord, ContainerState, StorageError, Store};

/// Resolves the named and anonymous volumes of `-v` to their directories (creating a named
/// volume that does not exist, as podman does), and returns their names for the record.
pub(super) fn resolve_volumes(store: &Store, vols: &mut [Volume]) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for v in vols.iter_mut() {
        let vol = match &v.named {
            None => continue,
            Some(Named::Name(n)) => crate::volume::get_or_create(store, n),
            Some(Named::Anonymous) => crate::volume::create(
                store,
                &crate::volume::NewVolume {
                    anonymous: true,
                    ..crate::volume::NewVolume::default()
                },
            ),
        };
        let vol = match vol {
            Ok(vol) => vol,
            Err(e) => {
                // The anonymous volumes made for the earlier `-v`s belong to nobody.
                let _ = crate::volume::remove_anonymous(store, &names);
                return Err(e.into());
            }
        };
        v.source.clone_from(&vol.mountpoint);
        names.push(vol.name);
    }
    Ok(names)
}

/// Writes a container event; a failure loses the event, never the operation (see
/// [`crate::events`]).
pub(super) fn event(store: &Store, c: &ContainerRecord, status: &str, exit_code: Option<i32>) {
    let image = meta(c).map(|m| m.image).unwrap_or_default();
    let mut e = Event::container(&c.id, &c.name, &image, status);
    e.exit_code = exit_code;
    let _ = events::append(store.runroot(), &e);
}

impl Container<'_> {
    /// Records `status` for this container in the event log.
    pub fn event(&self, status: &str) {
        event(self.store, &self.record, status, None);
    }

    /// Removes the container's anonymous volumes once its record is gone (`rm -v`; `run --rm`
    /// does it on its own). Named volumes stay.
    ///
    /// # Errors
    /// A volume that cannot be removed.
    pub fn remove_anonymous_volumes(&self) -> Result<Vec<String>, Error> {
        let names = self.meta().map(|m| m.volumes).unwrap_or_default();
        Ok(crate::volume::remove_anonymous(self.store, &names)?)
    }

    /// `rpod init`: makes a created container ready to start, its state `initialized`.
    ///
    /// podman's init has the runtime create the container (its process waits to be started).
    /// rpod's monitor starts a container with the runtime's `run` (create and start at once,
    /// the monitor the parent of the container's process), so init does what comes before it:
    /// the runtime and the bundle are checked and the root filesystem is mounted. `start`
    /// takes an initialized container as a created one; no process exists before it.
    ///
    /// # Errors
    /// [`Error::AlreadyInitialized`] (initialized, running or paused), [`Error::CannotInit`]
    /// (exited or stopped); a root filesystem that cannot be mounted.
    pub fn init(&mut self) -> Result<(), Error> {
        self.check_runtime()?;
        match self.record.state {
            ContainerState::Configured | ContainerState::Created => {}
            ContainerState::Initialized | ContainerState::Running | ContainerState::Paused => {
                return Err(Error::AlreadyInitialized {
                    id: self.record.id.clone(),
                })
            }
            other => {
                return Err(Error::CannotInit {
                    name: self.record.name.clone(),
                    state: other.as_str(),
                })
            }
        }
        if !self.record.bundle.join("config.json").is_file() {
            return Err(Error::Io {
                what: "find the bundle of",
                path: self.record.bundle.clone(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        self.mount()?;
        self.store
            .set_container_state(&self.record.id, ContainerState::Initialized)?;
        self.refresh()?;
        self.event("init");
        Ok(())
    }

    /// Freezes the running container (`runtime pause`); the state becomes `paused`.
    ///
    /// # Errors
    /// [`Error::AlreadyPaused`], [`Error::CannotPause`]; the runtime's refusal.
    pub fn pause(&mut self) -> Result<(), Error> {
        self.check_runtime()?;
        match self.record.state {
            ContainerState::Running => {}
            ContainerState::Paused => {
                return Err(Error::AlreadyPaused {
                    id: self.record.id.clone(),
                })
            }
            other => {
                return Err(Error::CannotPause {
                    state: other.as_str(),
                })
            }
        }
        self.runtime()?.pause(&self.record.id)?;
        // Compare and set: a monitor that recorded the exit (or a `stop`) meanwhile keeps its
        // word; `paused` over `exited` would leave a record no command can end.
        let set = self.store.set_container_state_if(
            &self.record.id,
            ContainerState::Running,
            ContainerState::Paused,
        )?;
        self.refresh()?;
        if !set {
            return Err(Error::CannotPause {
                state: self.record.state.as_str(),
            });
        }
        self.event("pause");
        Ok(())
    }

    /// Thaws a paused container (`runtime resume`); the state becomes `running`.
    ///
    /// # Errors
    /// [`Error::NotPaused`]; the runtime's refusal.
    pub fn unpause(&mut self) -> Result<(), Error> {
        self.refresh()?;
        if self.record.state != ContainerState::Paused {
            return Err(Error::NotPaused {
                id: self.record.id.clone(),
            });
        }
        self.runtime()?.resume(&self.record.id)?;
        let set = self.store.set_container_state_if(
            &self.record.id,
            ContainerState::Paused,
            ContainerState::Running,
        )?;
        self.refresh()?;
        if !set {
            return Err(Error::NotPaused {
                id: self.record.id.clone(),
            });
        }
        self.event("unpause");
        Ok(())
    }

    /// Kills a paused container and thaws it so the signal is delivered: frozen tasks of a
    /// cgroup v1 freezer do not die until thawed (podman's `rm -f` of a paused container does
    /// the same).
    pub(super) fn kill_paused(&mut self) -> Result<(), Error> {
        let rt = self.runtime()?;
        rt.kill(&self.record.id, Signal::SIGKILL, true)?;
        // runc's `kill --all` thaws the cgroup itself and the container may be gone already;
        // crun's leaves it frozen.
        if rt
            .state(&self.record.id)
            .is_ok_and(|st| st.status == crate::runtime::Status::Paused)
        {
            rt.resume(&self.record.id)?;
        }
        // Unless the monitor recorded the exit meanwhile.
        self.store.set_container_state_if(
            &self.record.id,
            ContainerState::Paused,
            ContainerState::Running,
        )?;
        self.refresh()?;
        Ok(())
    }

    /// Gives the container a new name.
    ///
    /// # Errors
    /// [`Error::InvalidName`]; [`Error::RenameInUse`] when another container has it.
    pub fn rename(&mut self, new: &str) -> Result<(), Error> {
        if !crate::volume::valid_name(new) {
            return Err(Error::InvalidName { name: new.into() });
        }
        match self.store.rename_container(&self.record.id, new) {
            Err(StorageError::ContainerNameInUse { .. }) => {
                return Err(Error::RenameInUse {
                    id: self.record.id.clone(),
                    name: new.into(),
                })
            }
            other => other?,
        }
        self.refresh()?;
        self.event("rename");
        Ok(())
    }

    /// Waits until the container's monitor is gone (it unmounts and cleans up after the
    /// exit), so a new monitor does not race it; at most `timeout`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn wait_monitor_gone(&mut self, timeout: Duration) -> Result<bool, Error> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !monitor_pid(&self.paths).is_some_and(alive) {
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(false)
    }

    /// Makes an exited (or created) container startable again by a new monitor: its record
    /// goes back to `created`, so [`Container::start_detached`] waits for the new run.
    ///
    /// A start by the user: an earlier `stop`/`kill` no longer holds the restart policy back
    /// and the restart count starts from 0 ([`Container::reset_restarts`]).
    ///
    /// # Errors
    /// [`Error::StartRunning`] when it runs; storage errors.
    pub fn prepare_start(&mut self) -> Result<(), Error> {
        self.check_runtime()?;
        if self.is_running() {
            return Err(Error::StartRunning {
                name: self.record.name.clone(),
                running: super::IsRunning(self.record.name.clone()),
            });
        }
        self.reset_restarts()?;
        self.store
            .set_container_state(&self.record.id, ContainerState::Created)?;
        self.refresh()?;
        Ok(())
    }

    /// The cgroup directory of the running container for a cgroup v1 `controller` (`pids`,
    /// `memory`, `cpuacct`, `blkio`), or its cgroup v2 directory; from `/proc/PID/cgroup` of
    /// its first process.
    #[must_use]
    pub fn cgroup_dir(&self, controller: &str) -> Option<PathBuf> {
        let pid = self.record.pid.filter(|p| *p > 0)?;
        let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let base = std::path::Path::new("/sys/fs/cgroup");
        let mut v2 = None;
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
            let rel = path.trim_start_matches('/');
            if ctrls.split(',').any(|c| c == controller) {
                return Some(base.join(controller).join(rel));
            }
            if ctrls.is_empty() {
                v2 = Some(base.join(rel));
            }
        }
        v2.filter(|d| d.join("cgroup.procs").exists())
    }

    /// The host pids of the container's processes, sorted (its `pids` cgroup; its first
    /// process alone when no cgroup is found).
    ///
    /// # Errors
    /// [`Error::TopNotRunning`] when it does not run.
    pub fn pids(&mut self) -> Result<Vec<i32>, Error> {
        self.check_runtime()?;
        if !self.is_running() {
            return Err(Error::TopNotRunning);
        }
        let mut pids: Vec<i32> = self
            .cgroup_dir("pids")
            .and_then(|d| fs::read_to_string(d.join("cgroup.procs")).ok())
            .map(|t| t.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default();
        if pids.is_empty() {
            pids.extend(self.record.pid.filter(|p| *p > 0));
        }
        pids.sort_unstable();
        Ok(pids)
    }
}
