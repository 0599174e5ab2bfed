//! Dependencies between containers: a container created with `--network/--pid/--uts/--ipc
//! container:NAME` depends on NAME (podman's `Dependencies`).
//!
//! podman 4.3.1 (run here): `create --net container:NAME` works while NAME is only created;
//! the namespace is joined when the dependent starts; `inspect` lists NAME's id under
//! `Dependencies`; `rm NAME` fails while a dependent exists ("container ID has dependent
//! containers which must be removed before it: DEP: container already exists", 125) and
//! `rm --depend NAME` removes the dependents first.
//!
//! rpod records the dependency (by id) in the container's [`super::Meta`] at create, and at
//! each start rewrites the namespace paths in the bundle to the dependency's current process
//! ([`Container::join_dependencies`]). Where podman starts a dependency that is not running,
//! rpod refuses the start with [`Error::DependencyNotRunning`] (a deliberate difference: a
//! start that silently starts other containers is not what a script asked for). The IPC
//! namespace brings the joined container's /dev/shm, bound at create, so `--ipc container:`
//! still needs it running at create.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Container, Error};
use crate::storage::{ContainerRecord, ContainerState, Store};

/// One namespace joined from another container.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dependency {
    /// `network`, `pid`, `uts` or `ipc` (the OCI namespace type).
    pub kind: String,
    /// The container's id.
    pub id: String,
}

/// The namespace path written at create for a dependency that does not run yet: it names no
/// file, so a start that did not join the dependency fails in the runtime instead of joining
/// some other namespace.
#[must_use]
pub fn unresolved(id: &str) -> PathBuf {
    PathBuf::from(format!("/nonexistent/rpod-dependency/{id}"))
}

/// The `/proc/PID/ns/` file of an OCI namespace type.
fn ns_file(kind: &str) -> &str {
    match kind {
        "network" => "net",
        other => other,
    }
}

/// The containers that depend on container `id`, by id (sorted).
///
/// # Errors
/// Storage errors.
pub fn dependents(store: &Store, id: &str) -> Result<Vec<ContainerRecord>, Error> {
    let mut out: Vec<ContainerRecord> = store
        .containers()?
        .into_iter()
        .filter(|c| super::meta(c).is_ok_and(|m| m.depends_on.iter().any(|d| d.id == id)))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

impl Container<'_> {
    /// The ids of the containers this one depends on (podman's `Dependencies`), without
    /// duplicates, in the order given.
    #[must_use]
    pub fn dependencies(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for d in self.meta().map(|m| m.depends_on).unwrap_or_default() {
            if !ids.contains(&d.id) {
                ids.push(d.id);
            }
        }
        ids
    }

    /// Before a start: points the bundle's namespaces at the current process of each container
    /// this one depends on.
    ///
    /// # Errors
    /// [`Error::DependencyNotRunning`]; [`Error::DependencyGone`]; an unreadable or unwritable
    /// bundle.
    pub fn join_dependencies(&self) -> Result<(), Error> {
        let deps = self.meta()?.depends_on;
        if deps.is_empty() {
            return Ok(());
        }
        let path = self.record.bundle.join("config.json");
        let name = self.record.name.clone();
        let text = std::fs::read_to_string(&path).map_err(|source| Error::ReadBundle {
            name: name.clone(),
            source,
        })?;
        let mut spec: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| Error::ParseBundle {
                name: name.clone(),
                source,
            })?;
        for d in &deps {
            let dep = self
                .store
                .container(&d.id)?
                .ok_or_else(|| Error::DependencyGone {
                    name: name.clone(),
                    id: d.id.clone(),
                })?;
            let dep = super::reconcile(self.store, self.runtimes, dep)?;
            let pid = match dep.pid {
                Some(pid) if dep.state == ContainerState::Running && pid > 0 => pid,
                _ => {
                    return Err(Error::DependencyNotRunning {
                        name: name.clone(),
                        dependency: dep.name,
                    })
                }
            };
            let ns_path = format!("/proc/{pid}/ns/{}", ns_file(&d.kind));
            if let Some(list) = spec
                .pointer_mut("/linux/namespaces")
                .and_then(serde_json::Value::as_array_mut)
            {
                for ns in list {
                    if ns.get("type").and_then(serde_json::Value::as_str) == Some(&d.kind) {
                        ns["path"] = serde_json::Value::from(ns_path.clone());
                    }
                }
            }
        }
        let out = serde_json::to_vec_pretty(&spec).map_err(|source| Error::ParseBundle {
            name: name.clone(),
            source,
        })?;
        let tmp = self.record.bundle.join(".config.json.tmp");
        std::fs::write(&tmp, out).map_err(Error::io("write", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(Error::io("write", &path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_files_are_the_kernels_names() {
        assert_eq!(ns_file("network"), "net");
        assert_eq!(ns_file("pid"), "pid");
        assert_eq!(ns_file("uts"), "uts");
    }

    #[test]
    fn an_unresolved_dependency_names_no_file() {
        assert!(!unresolved("abc").exists());
    }
}
