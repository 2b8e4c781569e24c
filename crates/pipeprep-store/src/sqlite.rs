//! The SQLite store: one file, WAL mode, a busy timeout, versioned migrations, and a check that
//! the file is pipeprep's before anything is written to it.
//!
//! rusqlite rather than sqlx: the store is used from a synchronous terminal loop and the scripted
//! runner, so an async runtime would add weight and nothing else; SQLite is compiled from the
//! bundled sources, so nothing is needed on the machine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};

use crate::identity::{self, Found};
use crate::{
    Finish, LlmUsage, NewSession, Status, Step, Store, StoreError, Stored, Summary, TurnRow,
};

/// How long a write waits for another process holding the lock.
pub const BUSY_WAIT: Duration = Duration::from_secs(5);

/// Migrations, in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    config_json TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    last_at_ms INTEGER NOT NULL DEFAULT 0,
    scorecard_json TEXT,
    overall_level TEXT,
    overall_score INTEGER
);
CREATE INDEX sessions_by_created ON sessions(created_ms);
CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    event_json TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    text TEXT NOT NULL,
    phase TEXT NOT NULL,
    act TEXT,
    PRIMARY KEY (session_id, idx)
);
",
    r"
ALTER TABLE sessions ADD COLUMN llm_model TEXT;
ALTER TABLE sessions ADD COLUMN prompt_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN completion_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN offline_turns INTEGER;
ALTER TABLE sessions ADD COLUMN llm_reviewed INTEGER;
",
    r"
ALTER TABLE turns ADD COLUMN voice TEXT;
",
];

#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// The schema version of the file, which a read-only store may not have migrated.
    version: i64,
}

fn map_err(path: &Path, e: rusqlite::Error) -> StoreError {
    let p = path.display().to_string();
    let detail = e.to_string();
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
            path: p,
            holder: crate::holder::describe(path),
            wait_s: BUSY_WAIT.as_secs(),
        },
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt { path: p, detail }
        }
        Some(ErrorCode::DiskFull) => StoreError::DiskFull { path: p },
        // SQLite reports running out of space while growing its shared-memory or journal files
        // as a plain I/O error; the free space tells which it was.
        Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) if disk_full(path) => {
            StoreError::DiskFull { path: p }
        }
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            StoreError::Unwritable { path: p, detail }
        }
        _ => StoreError::Other { path: p, detail },
    }
}

/// Whether the file system holding `path` has (almost) no space left for an ordinary user.
#[cfg(unix)]
fn disk_full(path: &Path) -> bool {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d,
        None => Path::new("."),
    };
    rustix::fs::statvfs(dir).is_ok_and(|st| st.f_bavail.saturating_mul(st.f_frsize) < 64 * 1024)
}

#[cfg(not(unix))]
fn disk_full(_path: &Path) -> bool {
    false
}

/// Refuses a file that is not SQLite at all, before SQLite sees it.
fn check_header(path: &Path) -> Result<(), StoreError> {
    let mut head = [0u8; 16];
    let readable = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok();
    if !readable || &head != b"SQLite format 3\0" {
        return Err(StoreError::Corrupt {
            path: path.display().to_string(),
            detail: "no SQLite header".into(),
        });
    }
    Ok(())
}

/// Whether the database has no WAL file with content (so the main file holds everything).
fn wal_is_empty(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_os_string();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(true, |m| m.len() == 0)
}

/// A path as an SQLite URI (`file:` with the reserved characters escaped), for `immutable=1`.
fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(char::from(b)),
        }
    }
    uri
}

impl SqliteStore {
    /// Opens (or creates) the database file for reading and writing. A file that is not
    /// pipeprep's — not SQLite, or another program's SQLite database — is reported and never
    /// written to: it is recognised before the first write, the switch to WAL included.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let exists = match std::fs::metadata(path) {
            Ok(meta) => meta.len() > 0,
            Err(_) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Unwritable {
                        path: dir.display().to_string(),
                        detail: e.to_string(),
                    })?;
                }
                false
            }
        };
        if exists {
            check_header(path)?;
            // Look before writing, through a connection that cannot write.
            Self::open_read_only(path)?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| map_err(path, e))?;
        conn.busy_timeout(BUSY_WAIT).map_err(|e| map_err(path, e))?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            version: 0,
        };
        // Two processes switching a new file to WAL at the same moment get "busy" at once,
        // without SQLite's busy handler; retry within the same budget.
        let started = std::time::Instant::now();
        loop {
            match store.setup() {
                Err(StoreError::Locked { .. }) if started.elapsed() < BUSY_WAIT => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(e) => return Err(e),
                Ok(()) => {
                    store.version = MIGRATIONS.len() as i64;
                    return Ok(store);
                }
            }
        }
    }

    /// Opens the database for reading only: no file is created, nothing is migrated, the
    /// journal mode is left alone and no write lock is ever taken, so it works beside a writer,
    /// on a full disk and on a read-only file system. A missing or empty file reads as a
    /// database with no sessions.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
        if empty {
            return Self::empty(path);
        }
        check_header(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |flags: OpenFlags, name: &str| -> rusqlite::Result<(Connection, Found)> {
            let conn = Connection::open_with_flags(name, flags)?;
            conn.busy_timeout(BUSY_WAIT)?;
            let found = identity::classify(&conn, MIGRATIONS.len() as i64)?;
            Ok((conn, found))
        };
        let (conn, found) = match open(flags, &path.to_string_lossy()) {
            Ok(x) => x,
            // A WAL database on a read-only or full file system whose shared-memory file cannot
            // be created. With no WAL file, everything is in the main file and it can be read
            // as immutable.
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(ErrorCode::CannotOpen | ErrorCode::SystemIoFailure | ErrorCode::ReadOnly)
                ) && wal_is_empty(path) =>
            {
                open(
                    flags | OpenFlags::SQLITE_OPEN_URI,
                    &format!("{}?immutable=1", file_uri(path)),
                )
                .map_err(|e| map_err(path, e))?
            }
            Err(e) => return Err(map_err(path, e)),
        };
        let p = path.display().to_string();
        let known = MIGRATIONS.len() as i64;
        match found {
            Found::Empty => Self::empty(path),
            Found::Foreign(why) => Err(StoreError::Foreign { path: p, why }),
            Found::Ours { version, .. } if version > known => Err(StoreError::TooNew {
                path: p,
                found: version,
                known,
            }),
            Found::Ours { version, .. } => Ok(SqliteStore {
                conn,
                path: path.to_path_buf(),
                version,
            }),
        }
    }

    /// A store with no sessions, for reading a database that does not exist yet.
    fn empty(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|e| map_err(path, e))?;
        let store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            version: MIGRATIONS.len() as i64,
        };
        for sql in MIGRATIONS {
            store.conn.execute_batch(sql).map_err(|e| store.err(e))?;
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        map_err(&self.path, e)
    }

    fn setup(&self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.err(e))?;
        let up_to_date = matches!(
            identity::classify(&self.conn, MIGRATIONS.len() as i64).map_err(|e| self.err(e))?,
            Found::Ours { version, stamped: true } if version == MIGRATIONS.len() as i64
        );
        if !up_to_date {
            // Migrate under the write lock, looking at the file again inside it: two processes
            // opening a new file at the same moment must not both run the same migration, and
            // nothing is written unless the file is still pipeprep's (or empty) under the lock.
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| self.err(e))?;
            let result = self.migrate();
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            self.conn.execute_batch(end).map_err(|e| self.err(e))?;
            result?;
        }
        // WAL lets readers work while a turn is written; FULL sync makes each committed turn
        // survive a power cut, not just a crash. Switched only once the file is known to be
        // pipeprep's: the switch itself writes to the file.
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| self.conn.pragma_update(None, "synchronous", "FULL"))
            .map_err(|e| self.err(e))
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        let p = self.path.display().to_string();
        let version = match identity::classify(&self.conn, known).map_err(|e| self.err(e))? {
            Found::Foreign(why) => return Err(StoreError::Foreign { path: p, why }),
            Found::Empty => 0,
            Found::Ours { version, .. } if version > known => {
                return Err(StoreError::TooNew {
                    path: p,
                    found: version,
                    known,
                });
            }
            Found::Ours { version, .. } => version,
        };
        self.conn
            .pragma_update(None, "application_id", identity::APPLICATION_ID)
            .map_err(|e| self.err(e))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            self.conn.execute_batch(sql).map_err(|e| self.err(e))?;
            self.conn
                .pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn finish_in(conn: &Connection, id: &str, f: &Finish) -> rusqlite::Result<usize> {
        conn.execute(
            "UPDATE sessions SET status = 'finished', scorecard_json = ?2, overall_level = ?3, overall_score = ?4, \
             updated_ms = ?5 WHERE id = ?1",
            params![id, f.scorecard_json, f.level, f.score as i64, f.now_ms],
        )
    }

    fn summary_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Summary> {
        let status: String = row.get(2)?;
        Ok(Summary {
            id: row.get(0)?,
            scenario: row.get(1)?,
            status: if status == "finished" {
                Status::Finished
            } else {
                Status::Active
            },
            created_ms: row.get(3)?,
            updated_ms: row.get(4)?,
            last_at_ms: row.get::<_, i64>(5)? as u64,
            overall_level: row.get(6)?,
            overall_score: row.get::<_, Option<i64>>(7)?.map(|s| s as u32),
            turns: row.get::<_, i64>(8)? as usize,
            llm: match row.get::<_, Option<String>>(9)? {
                Some(model) => Some(LlmUsage {
                    model,
                    prompt_tokens: row.get::<_, Option<i64>>(10)?.unwrap_or(0) as u64,
                    completion_tokens: row.get::<_, Option<i64>>(11)?.unwrap_or(0) as u64,
                    offline_turns: row.get::<_, Option<i64>>(12)?.unwrap_or(0) as u64,
                    reviewed: row.get::<_, Option<i64>>(13)?.unwrap_or(0) != 0,
                }),
                None => None,
            },
        })
    }
}

impl SqliteStore {
    /// The session summary query. A read-only store may read a file an older pipeprep wrote and
    /// did not migrate: columns it did not have yet read as NULL.
    fn summary_sql(&self) -> String {
        let llm = if self.version >= 2 {
            "s.llm_model, s.prompt_tokens, s.completion_tokens, s.offline_turns, s.llm_reviewed"
        } else {
            "NULL, NULL, NULL, NULL, NULL"
        };
        format!(
            "SELECT s.id, s.scenario, s.status, s.created_ms, s.updated_ms, s.last_at_ms, \
             s.overall_level, s.overall_score, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id), \
             {llm} FROM sessions s"
        )
    }
}

impl Store for SqliteStore {
    fn create(&self, s: &NewSession) -> Result<(), StoreError> {
        let r = self.conn.execute(
            "INSERT INTO sessions (id, scenario, config_json, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![s.id, s.scenario, s.config_json, s.created_ms],
        );
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                Err(StoreError::Exists(s.id.clone()))
            }
            Err(e) => Err(self.err(e)),
        }
    }

    fn append(&self, id: &str, step: &Step) -> Result<u64, StoreError> {
        // IMMEDIATE takes the write lock up front (waiting for it), so the read below cannot be
        // invalidated by another writer and fail the upgrade.
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(|e| self.err(e))?;
        let next: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(idx) + 1, 0) FROM turns WHERE session_id = ?1",
                [id],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let n = tx
            .execute(
                "UPDATE sessions SET last_at_ms = ?2, updated_ms = ?3 WHERE id = ?1",
                params![id, step.at_ms as i64, step.now_ms],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(StoreError::NotFound(id.to_string()));
        }
        tx.execute(
            "INSERT INTO events (session_id, seq, at_ms, event_json) VALUES (?1, ?2, ?3, ?4)",
            params![id, step.seq as i64, step.at_ms as i64, step.event_json],
        )
        .map_err(|e| match e.sqlite_error_code() {
            // The number is taken: another front end moved the interview on.
            Some(ErrorCode::ConstraintViolation) => StoreError::Behind(id.to_string()),
            _ => self.err(e),
        })?;
        for (i, t) in step.turns.iter().enumerate() {
            tx.execute(
                "INSERT INTO turns (session_id, idx, speaker, text, phase, act, voice) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, next + i as i64, t.speaker, t.text, t.phase, t.act, t.voice],
            )
            .map_err(|e| self.err(e))?;
        }
        if let Some(f) = &step.finish {
            Self::finish_in(&tx, id, f).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(next as u64)
    }

    fn reword(&self, id: &str, idx: u64, text: &str, voice: &str) -> Result<(), StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE turns SET text = ?3, voice = ?4 WHERE session_id = ?1 AND idx = ?2",
                params![id, idx as i64, text, voice],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            Err(StoreError::Other {
                path: self.path.display().to_string(),
                detail: format!("session `{id}` has no turn {idx}"),
            })
        } else {
            Ok(())
        }
    }

    fn finish(&self, id: &str, f: &Finish) -> Result<(), StoreError> {
        let n = Self::finish_in(&self.conn, id, f).map_err(|e| self.err(e))?;
        if n == 0 {
            Err(StoreError::NotFound(id.to_string()))
        } else {
            Ok(())
        }
    }

    fn record_llm(&self, id: &str, u: &LlmUsage) -> Result<(), StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE sessions SET llm_model = ?2, prompt_tokens = ?3, completion_tokens = ?4, \
                 offline_turns = ?5, llm_reviewed = ?6 WHERE id = ?1",
                params![
                    id,
                    u.model,
                    u.prompt_tokens as i64,
                    u.completion_tokens as i64,
                    u.offline_turns as i64,
                    i64::from(u.reviewed)
                ],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            Err(StoreError::NotFound(id.to_string()))
        } else {
            Ok(())
        }
    }

    fn list(&self) -> Result<Vec<Summary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{} ORDER BY s.created_ms DESC, s.id DESC",
                self.summary_sql()
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], Self::summary_of)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    fn load(&self, id: &str) -> Result<Stored, StoreError> {
        // One read transaction, so a writer committing meanwhile cannot split the session.
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let summary = tx
            .query_row(
                &format!("{} WHERE s.id = ?1", self.summary_sql()),
                [id],
                Self::summary_of,
            )
            .optional()
            .map_err(|e| self.err(e))?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        let (config_json, scorecard_json): (String, Option<String>) = tx
            .query_row(
                "SELECT config_json, scorecard_json FROM sessions WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        let mut stmt = tx
            .prepare("SELECT seq, at_ms, event_json FROM events WHERE session_id = ?1 ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let events = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        let mut stmt = tx
            .prepare(
                &format!(
                    "SELECT speaker, text, phase, act, {} FROM turns WHERE session_id = ?1 ORDER BY idx",
                    if self.version >= 3 { "voice" } else { "NULL" }
                ),
            )
            .map_err(|e| self.err(e))?;
        let turns = stmt
            .query_map([id], |r| {
                Ok(TurnRow {
                    speaker: r.get(0)?,
                    text: r.get(1)?,
                    phase: r.get(2)?,
                    act: r.get(3)?,
                    voice: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(Stored {
            summary,
            config_json,
            events,
            turns,
            scorecard_json,
            // SQLite keeps no snapshots: one person's resume replays the events once.
            snapshot: None,
        })
    }

    fn progress(&self, id: &str) -> Result<(Status, u64), StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT s.status, (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id) \
                 FROM sessions s WHERE s.id = ?1",
                [id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let (status, events) = row.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        let status = if status == "finished" {
            Status::Finished
        } else {
            Status::Active
        };
        Ok((status, events.max(0) as u64))
    }

    fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM sessions WHERE id = ?1", [id])
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }
}
