//! The state database: opening it safely for many concurrent rpod processes, and its schema.
//!
//! WAL mode lets readers run beside one writer; `busy_timeout` makes a writer wait for another
//! instead of failing; every write transaction starts `IMMEDIATE`, so it takes the write lock up
//! front and never has to upgrade a read lock (an upgrade that loses a race fails with
//! `SQLITE_BUSY` at once, whatever the timeout). `synchronous = NORMAL` in WAL mode keeps the
//! database consistent when a process is killed at any point; after a power cut the last
//! transactions may be lost, never half-applied.
//!
//! The schema is versioned with `PRAGMA user_version`; [`SCHEMA_VERSION`] is what this rpod
//! writes. A database from a newer rpod is refused rather than misread.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use super::StorageError;

/// The schema version this code creates and understands.
pub const SCHEMA_VERSION: i64 = 1;

/// How long a writer waits for another before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Version 1. Digests are stored as 64 hex digits (ids) or `sha256:<hex>` (blob digests, as
/// they appear in manifests); times as Unix seconds (images) or nanoseconds (containers).
const SCHEMA_V1: &str = "
CREATE TABLE images (
    id              TEXT PRIMARY KEY CHECK (length(id) = 64),  -- hex of the config's sha256
    config          TEXT NOT NULL,     -- the config JSON, exactly the bytes that hash to id
    manifest        TEXT NOT NULL,     -- the image manifest JSON
    manifest_digest TEXT NOT NULL,     -- sha256:<hex> of manifest
    created         TEXT,              -- RFC 3339, from the config
    size            INTEGER NOT NULL,  -- sum of the uncompressed sizes of its distinct layers
    added           INTEGER NOT NULL   -- Unix seconds when this store got it
) STRICT;

CREATE TABLE names (
    name     TEXT PRIMARY KEY,         -- normalized, domain/path:tag
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX names_by_image ON names(image_id);

CREATE TABLE layers (
    diff_id  TEXT PRIMARY KEY,         -- sha256:<hex> of the uncompressed tar; dir layers/<hex>
    size     INTEGER NOT NULL,         -- length of the uncompressed tar
    unpacked INTEGER NOT NULL DEFAULT 0 CHECK (unpacked IN (0, 1))
) STRICT;

CREATE TABLE image_layers (
    image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,      -- 0 = lowest
    diff_id     TEXT NOT NULL REFERENCES layers(diff_id),
    blob_digest TEXT NOT NULL,         -- sha256:<hex>; file blobs/sha256/<hex>
    media_type  TEXT NOT NULL,
    blob_size   INTEGER NOT NULL,
    PRIMARY KEY (image_id, idx)
) STRICT;
CREATE INDEX image_layers_by_diff_id ON image_layers(diff_id);
CREATE INDEX image_layers_by_blob ON image_layers(blob_digest);

CREATE TABLE containers (
    id          TEXT PRIMARY KEY CHECK (length(id) = 64),
    name        TEXT NOT NULL UNIQUE,
    image_id    TEXT REFERENCES images(id),   -- NULL for a container without an image
    created     INTEGER NOT NULL,             -- Unix nanoseconds
    state       TEXT NOT NULL,
    spec_json   TEXT NOT NULL,
    pid         INTEGER,
    exit_code   INTEGER,
    started_at  INTEGER,
    finished_at INTEGER,
    runtime     TEXT NOT NULL,
    bundle      TEXT NOT NULL
) STRICT;
CREATE INDEX containers_by_image ON containers(image_id);
";

/// Opens (creating if needed) the database at `path` and brings its schema to
/// [`SCHEMA_VERSION`].
pub(crate) fn open(path: &Path) -> Result<Connection, StorageError> {
    let fail = |source| StorageError::OpenDb {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(fail)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
    // Switching to WAL takes the write lock once per database; afterwards it is a no-op read.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(fail)?;
    debug_assert_eq!(mode.to_ascii_lowercase(), "wal");
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(fail)?;
    migrate(&conn, path)?;
    Ok(conn)
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

fn migrate(conn: &Connection, path: &Path) -> Result<(), StorageError> {
    let fail = |source| StorageError::OpenDb {
        path: path.to_owned(),
        source,
    };
    let too_new = |found| StorageError::SchemaTooNew {
        path: path.to_owned(),
        found,
        supported: SCHEMA_VERSION,
    };
    let found = user_version(conn).map_err(fail)?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    if found > SCHEMA_VERSION {
        return Err(too_new(found));
    }
    // Another process may be creating the schema right now: decide under the write lock.
    let tx = write_tx(conn).map_err(fail)?;
    let found = user_version(&tx).map_err(fail)?;
    if found == 0 {
        tx.execute_batch(SCHEMA_V1).map_err(fail)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(fail)?;
    } else if found > SCHEMA_VERSION {
        return Err(too_new(found));
    }
    tx.commit().map_err(fail)
}

/// A write transaction that holds the write lock from its first statement.
pub(crate) fn write_tx(conn: &Connection) -> rusqlite::Result<Transaction<'_>> {
    Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
}

/// A read transaction: a consistent snapshot across several queries.
pub(crate) fn read_tx(conn: &Connection) -> rusqlite::Result<Transaction<'_>> {
    Transaction::new_unchecked(conn, TransactionBehavior::Deferred)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_the_schema_once_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rpod.db");
        let conn = open(&path).expect("first open");
        assert_eq!(user_version(&conn).expect("version"), SCHEMA_VERSION);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("journal mode");
        assert_eq!(mode, "wal");
        drop(conn);
        let conn = open(&path).expect("second open");
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(tables, 5);
    }

    #[test]
    fn a_database_from_a_newer_rpod_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rpod.db");
        let conn = open(&path).expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump version");
        drop(conn);
        let err = open(&path).expect_err("newer schema");
        assert!(
            matches!(err, StorageError::SchemaTooNew { found: 2, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn foreign_keys_are_enforced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open(&dir.path().join("rpod.db")).expect("open");
        let err = conn.execute(
            "INSERT INTO names (name, image_id) VALUES ('localhost/x:latest', ?1)",
            ["0".repeat(64)],
        );
        assert!(err.is_err(), "a name for a missing image must be refused");
    }
}
