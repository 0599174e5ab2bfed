//! Container records: the rows the container layer keeps in the state database.
//!
//! The storage layer knows nothing of runtimes or monitors; it stores what it is given and
//! keeps names unique and ids well-formed. Each call is one transaction.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, OptionalExtension, Row};

use super::db::write_tx;
use super::digest::is_sha256_hex;
use super::{StorageError, Store};

/// A container's lifecycle state, stored as its lowercase name (podman's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerState {
    /// Recorded, no runtime state yet.
    Configured,
    /// Created in the runtime, not started.
    Created,
    /// `rpod init`: ready to start, its root filesystem mounted (podman's "initialized").
    Initialized,
    Running,
    Paused,
    /// Stopped by rpod, not yet cleaned up.
    Stopped,
    /// Its process exited; `exit_code` says how.
    Exited,
    /// Being removed.
    Removing,
}

impl ContainerState {
    /// The stored (and printed) name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerState::Configured => "configured",
            ContainerState::Created => "created",
            ContainerState::Initialized => "initialized",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Stopped => "stopped",
            ContainerState::Exited => "exited",
            ContainerState::Removing => "removing",
        }
    }

    const ALL: [ContainerState; 8] = [
        ContainerState::Configured,
        ContainerState::Created,
        ContainerState::Initialized,
        ContainerState::Running,
        ContainerState::Paused,
        ContainerState::Stopped,
        ContainerState::Exited,
        ContainerState::Removing,
    ];
}

impl FromStr for ContainerState {
    type Err = ();

    fn from_str(s: &str) -> Result<ContainerState, ()> {
        ContainerState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(())
    }
}

/// One row of the `containers` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRecord {
    /// 64 lowercase hex digits.
    pub id: String,
    pub name: String,
    /// The image's id; `None` for a container without an image.
    pub image_id: Option<String>,
    pub created: SystemTime,
    pub state: ContainerState,
    /// The OCI runtime spec (or whatever the container layer keeps there), as JSON.
    pub spec_json: String,
    pub pid: Option<i32>,
    pub exit_code: Option<i32>,
    pub started_at: Option<SystemTime>,
    pub finished_at: Option<SystemTime>,
    /// `runc`, `crun` or a path.
    pub runtime: String,
    pub bundle: PathBuf,
}

const COLUMNS: &str = "id, name, image_id, created, state, spec_json, pid, exit_code, \
                       started_at, finished_at, runtime, bundle";

fn to_nanos(id: &str, what: &'static str, t: SystemTime) -> Result<i64, StorageError> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .ok_or_else(|| StorageError::TimeOutOfRange {
            id: id.to_owned(),
            what,
        })
}

fn from_nanos(n: i64) -> SystemTime {
    // Negative values are never written (to_nanos refuses times before the epoch).
    UNIX_EPOCH + Duration::from_nanos(u64::try_from(n).unwrap_or(0))
}

struct RawRow {
    record: ContainerRecord,
    state: String,
}

fn read_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    let state: String = r.get(4)?;
    Ok(RawRow {
        record: ContainerRecord {
            id: r.get(0)?,
            name: r.get(1)?,
            image_id: r.get(2)?,
            created: from_nanos(r.get(3)?),
            state: ContainerState::Configured,
            spec_json: r.get(5)?,
            pid: r.get(6)?,
            exit_code: r.get(7)?,
            started_at: r.get::<_, Option<i64>>(8)?.map(from_nanos),
            finished_at: r.get::<_, Option<i64>>(9)?.map(from_nanos),
            runtime: r.get(10)?,
            bundle: PathBuf::from(r.get::<_, String>(11)?),
        },
        state,
    })
}

fn finish(raw: RawRow) -> Result<ContainerRecord, StorageError> {
    let mut record = raw.record;
    record.state = raw
        .state
        .parse()
        .map_err(|()| StorageError::UnknownContainerState {
            id: record.id.clone(),
            value: raw.state,
        })?;
    Ok(record)
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

impl Store {
    /// Records a new container.
    ///
    /// # Errors
    ///
    /// [`StorageError::InvalidContainerId`], [`StorageError::ContainerIdInUse`],
    /// [`StorageError::ContainerNameInUse`], [`StorageError::ImageNotFound`] when `image_id`
    /// names no image (so an image cannot be removed under a container being created).
    pub fn insert_container(&self, c: &ContainerRecord) -> Result<(), StorageError> {
        if !is_sha256_hex(&c.id) {
            return Err(StorageError::InvalidContainerId { id: c.id.clone() });
        }
        let created = to_nanos(&c.id, "the creation time", c.created)?;
        let started = c
            .started_at
            .map(|t| to_nanos(&c.id, "the start time", t))
            .transpose()?;
        let finished = c
            .finished_at
            .map(|t| to_nanos(&c.id, "the finish time", t))
            .transpose()?;
        let tx = write_tx(&self.conn).map_err(StorageError::db("record a container"))?;
        let exists = |sql: &str, v: &str| -> Result<bool, StorageError> {
            tx.query_row(sql, [v], |_| Ok(()))
                .optional()
                .map(|o| o.is_some())
                .map_err(StorageError::db("record a container"))
        };
        if exists("SELECT 1 FROM containers WHERE id = ?1", &c.id)? {
            return Err(StorageError::ContainerIdInUse { id: c.id.clone() });
        }
        if exists("SELECT 1 FROM containers WHERE name = ?1", &c.name)? {
            return Err(StorageError::ContainerNameInUse {
                name: c.name.clone(),
            });
        }
        if let Some(image) = &c.image_id {
            if !exists("SELECT 1 FROM images WHERE id = ?1", image)? {
                return Err(StorageError::ImageNotFound { id: image.clone() });
            }
        }
        tx.execute(
            &format!("INSERT INTO containers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
            params![
                c.id,
                c.name,
                c.image_id,
                created,
                c.state.as_str(),
                c.spec_json,
                c.pid,
                c.exit_code,
                started,
                finished,
                c.runtime,
                c.bundle.to_string_lossy(),
            ],
        )
        .map_err(|e| {
            if is_unique_violation(&e) {
                StorageError::ContainerNameInUse {
                    name: c.name.clone(),
                }
            } else {
                StorageError::Db {
                    action: "record a container",
                    source: e,
                }
            }
        })?;
        tx.commit().map_err(StorageError::db("record a container"))
    }

    fn container_where(
        &self,
        clause: &str,
        value: &str,
    ) -> Result<Vec<ContainerRecord>, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM containers WHERE {clause} ORDER BY created, id"
            ))
            .map_err(StorageError::db("read containers"))?;
        let rows = stmt
            .query_map([value], read_row)
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(StorageError::db("read containers"))?;
        rows.into_iter().map(finish).collect()
    }

    /// The container with exactly this id.
    ///
    /// # Errors
    ///
    /// A database error or an unknown state.
    pub fn container(&self, id: &str) -> Result<Option<ContainerRecord>, StorageError> {
        Ok(self.container_where("id = ?1", id)?.pop())
    }

    /// The container with exactly this name.
    ///
    /// # Errors
    ///
    /// A database error or an unknown state.
    pub fn container_by_name(&self, name: &str) -> Result<Option<ContainerRecord>, StorageError> {
        Ok(self.container_where("name = ?1", name)?.pop())
    }

    /// Resolves what a user typed, as podman does: a full id, then an exact name, then a unique
    /// id prefix.
    ///
    /// # Errors
    ///
    /// [`StorageError::ContainerNotFound`], [`StorageError::ContainerAmbiguous`].
    pub fn lookup_container(&self, reference: &str) -> Result<ContainerRecord, StorageError> {
        if let Some(c) = self.container(reference)? {
            return Ok(c);
        }
        if let Some(c) = self.container_by_name(reference)? {
            return Ok(c);
        }
        let is_hex = !reference.is_empty()
            && reference.len() < 64
            && reference
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if is_hex {
            // Hex digits hold no LIKE wildcards.
            let mut found = self.container_where("id LIKE ?1 || '%'", reference)?;
            match found.len() {
                0 => {}
                1 => return Ok(found.remove(0)),
                _ => {
                    let mut matches: Vec<String> = found.into_iter().map(|c| c.id).collect();
                    matches.sort();
                    return Err(StorageError::ContainerAmbiguous {
                        prefix: reference.to_owned(),
                        matches,
                    });
                }
            }
        }
        Err(StorageError::ContainerNotFound {
            reference: reference.to_owned(),
        })
    }

    /// All containers, oldest first (then by id).
    ///
    /// # Errors
    ///
    /// A database error or an unknown state.
    pub fn containers(&self) -> Result<Vec<ContainerRecord>, StorageError> {
        self.container_where("?1 = ?1", "")
    }

    /// Ids of the containers made from `image_id`, sorted.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn containers_using_image(&self, image_id: &str) -> Result<Vec<String>, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM containers WHERE image_id = ?1 ORDER BY id")
            .map_err(StorageError::db("read containers"))?;
        stmt.query_map([image_id], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(StorageError::db("read containers"))
    }

    fn update_container(
        &self,
        id: &str,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<(), StorageError> {
        let n = self
            .conn
            .execute(sql, params)
            .map_err(StorageError::db("update a container"))?;
        if n == 0 {
            return Err(StorageError::ContainerNotFound {
                reference: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Sets the state only.
    ///
    /// # Errors
    ///
    /// [`StorageError::ContainerNotFound`] or a database error.
    pub fn set_container_state(&self, id: &str, state: ContainerState) -> Result<(), StorageError> {
        self.update_container(
            id,
            "UPDATE containers SET state = ?2 WHERE id = ?1",
            &[&id, &state.as_str()],
        )
    }

    /// Sets the state to `to` only if it is `from` (compare and set, in one statement): a
    /// change made meanwhile by another process (a monitor recording the exit, a `stop`) is
    /// not overwritten. Returns whether it was set.
    ///
    /// # Errors
    ///
    /// [`StorageError::ContainerNotFound`] or a database error.
    pub fn set_container_state_if(
        &self,
        id: &str,
        from: ContainerState,
        to: ContainerState,
    ) -> Result<bool, StorageError> {
        let n = self
            .conn
            .execute(
                "UPDATE containers SET state = ?3 WHERE id = ?1 AND state = ?2",
                params![id, from.as_str(), to.as_str()],
            )
            .map_err(StorageError::db("update a container"))?;
        if n == 0 && self.container(id)?.is_none() {
            return Err(StorageError::ContainerNotFound {
                reference: id.to_owned(),
            });
        }
        Ok(n == 1)
    }

    /// Records a start: state `running`, the pid, the start time; clears the last exit.
    ///
    /// # Errors
    ///
    /// [`StorageError::ContainerNotFound`] or a database error.
    pub fn set_container_running(
        &self,
        id: &str,
        pid: i32,
        started_at: SystemTime,
    ) -> Result<(), StorageError> {
        let at = to_nanos(id, "the start time", started_at)?;
        self.update_container(
            id,
            "UPDATE containers SET state = 'running', pid = ?2, started_at = ?3, \
             exit_code = NULL, finished_at = NULL WHERE id = ?1",
            &[&id, &pid, &at],
        )
    }

    /// Records an exit: state `exited`, the exit code and time; clears the pid.
    ///
    /// # Errors
    ///
    /// [`StorageError::ContainerNotFound`] or a database error.
    pub fn set_container_exited(
        &self,
        id: &str,
        exit_code: i32,
        finished_at: SystemTime,
    ) -> Result<(), StorageError> {
        let at = to_nanos(id, "the finish time", finished_at)?;
        self.update_container(
            id,
            "UPDATE containers SET state = 'exited', pid = NULL, exit_code = ?2, \
             finished_at = ?3 WHERE id = ?1",
            &[&id, &exit_code, &at],
        )
    }

    /// Gives the container `id` the name `name`.
    ///
    /// # Errors
    ///
    /// [`StorageError::ContainerNameInUse`], [`StorageError::ContainerNotFound`], a database
    /// error.
    pub fn rename_container(&self, id: &str, name: &str) -> Result<(), StorageError> {
        self.update_container(
            id,
            "UPDATE containers SET name = ?2 WHERE id = ?1",
            &[&id, &name],
        )
        .map_err(|e| match e {
            StorageError::Db { source, .. } if is_unique_violation(&source) => {
                StorageError::ContainerNameInUse {
                    name: name.to_owned(),
                }
            }
            other => other,
        })
    }

    /// Deletes the record; `false` if there was none.
    ///
    /// # Errors
    ///
    /// A database error.
    pub fn delete_container(&self, id: &str) -> Result<bool, StorageError> {
        self.conn
            .execute("DELETE FROM containers WHERE id = ?1", [id])
            .map(|n| n > 0)
            .map_err(StorageError::db("delete a container"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(&dir.path().join("root"), &dir.path().join("run")).expect("open");
        (dir, s)
    }

    fn record(id_digit: char, name: &str) -> ContainerRecord {
        ContainerRecord {
            id: id_digit.to_string().repeat(64),
            name: name.to_owned(),
            image_id: None,
            created: UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789),
            state: ContainerState::Configured,
            spec_json: "{}".to_owned(),
            pid: None,
            exit_code: None,
            started_at: None,
            finished_at: None,
            runtime: "runc".to_owned(),
            bundle: PathBuf::from("/run/rpod/b"),
        }
    }

    #[test]
    fn insert_get_list_delete_round_trip() {
        let (_d, s) = store();
        let a = record('a', "alpha");
        s.insert_container(&a).expect("insert");
        let mut b = record('b', "beta");
        b.created += Duration::from_secs(1);
        s.insert_container(&b).expect("insert");
        assert_eq!(s.container(&a.id).expect("get"), Some(a.clone()));
        assert_eq!(s.container_by_name("beta").expect("get"), Some(b.clone()));
        assert_eq!(s.containers().expect("list"), vec![a.clone(), b.clone()]);
        assert!(s.delete_container(&a.id).expect("delete"));
        assert!(!s.delete_container(&a.id).expect("delete again"));
        assert_eq!(s.containers().expect("list"), vec![b]);
    }

    #[test]
    fn names_and_ids_are_unique_and_ids_well_formed() {
        let (_d, s) = store();
        s.insert_container(&record('a', "x")).expect("insert");
        let err = s
            .insert_container(&record('b', "x"))
            .expect_err("same name");
        assert!(
            matches!(err, StorageError::ContainerNameInUse { .. }),
            "{err}"
        );
        let err = s.insert_container(&record('a', "y")).expect_err("same id");
        assert!(
            matches!(err, StorageError::ContainerIdInUse { .. }),
            "{err}"
        );
        let mut bad = record('c', "z");
        bad.id = "C".repeat(64);
        let err = s.insert_container(&bad).expect_err("uppercase id");
        assert!(
            matches!(err, StorageError::InvalidContainerId { .. }),
            "{err}"
        );
        let mut orphan = record('d', "w");
        orphan.image_id = Some("e".repeat(64));
        let err = s.insert_container(&orphan).expect_err("missing image");
        assert!(matches!(err, StorageError::ImageNotFound { .. }), "{err}");
    }

    #[test]
    fn lookup_prefers_full_id_then_name_then_unique_prefix() {
        let (_d, s) = store();
        let mut a = record('a', "abc");
        a.id = format!("ab{}", "1".repeat(62));
        let mut b = record('b', "other");
        b.id = format!("ab{}", "2".repeat(62));
        s.insert_container(&a).expect("insert");
        s.insert_container(&b).expect("insert");
        assert_eq!(s.lookup_container(&a.id).expect("id").id, a.id);
        assert_eq!(s.lookup_container("abc").expect("name").id, a.id);
        assert_eq!(s.lookup_container("ab2").expect("prefix").id, b.id);
        let err = s.lookup_container("ab").expect_err("ambiguous");
        assert_eq!(
            err.to_string(),
            format!("'ab' matches more than one container: {}, {}", a.id, b.id)
        );
        let err = s.lookup_container("zz").expect_err("missing");
        assert_eq!(err.to_string(), "no container with name or id 'zz'");
        assert!(s.lookup_container("a%").is_err());
    }

    #[test]
    fn state_updates_record_pid_exit_and_times() {
        let (_d, s) = store();
        let a = record('a', "x");
        s.insert_container(&a).expect("insert");
        let t1 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        s.set_container_running(&a.id, 4242, t1).expect("running");
        let c = s.container(&a.id).expect("get").expect("exists");
        assert_eq!(
            (c.state, c.pid, c.started_at),
            (ContainerState::Running, Some(4242), Some(t1))
        );
        let t2 = t1 + Duration::from_millis(1500);
        s.set_container_exited(&a.id, 137, t2).expect("exited");
        let c = s.container(&a.id).expect("get").expect("exists");
        assert_eq!(
            (c.state, c.pid, c.exit_code, c.finished_at),
            (ContainerState::Exited, None, Some(137), Some(t2))
        );
        s.set_container_state(&a.id, ContainerState::Removing)
            .expect("state");
        assert_eq!(
            s.container(&a.id).expect("get").expect("exists").state,
            ContainerState::Removing
        );
        let err = s
            .set_container_state(&"f".repeat(64), ContainerState::Running)
            .expect_err("missing");
        assert!(matches!(err, StorageError::ContainerNotFound { .. }));
    }

    #[test]
    fn state_names_round_trip() {
        for st in ContainerState::ALL {
            assert_eq!(st.as_str().parse::<ContainerState>(), Ok(st));
        }
        assert!("zombie".parse::<ContainerState>().is_err());
    }
}
