//! The PostgreSQL store, for a team's shared deployment: accounts, cohorts, and sessions that
//! each belong to one user. Several pipeprep instances can use one database at the same time.
//!
//! Why tokio-postgres with a deadpool pool behind a synchronous API: the `Store` trait is
//! synchronous (the terminal loop and the scripted runner call it directly, and a web server
//! calls it from blocking tasks, as it must for SQLite anyway), but a shared server wants a real
//! connection pool whose connections outlive a request. The store owns a small tokio runtime (one
//! worker thread) that drives the connections; every call blocks the calling thread on it, so no
//! caller needs a runtime of its own. A call made from inside some other tokio runtime is run on a
//! scoped helper thread instead of panicking.
//!
//! Sessions are reached only through [`UserStore`], a view scoped to one user: every query names
//! the owner, so another user's session id reads as "not found".

use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use crate::{
    Finish, LlmUsage, NewSession, SavedState, Status, Step, Store, StoreError, Stored, Summary,
    TurnRow,
};

/// The embedded migrations, in order; `pipeprep_schema` holds one row per applied version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_accounts_and_sessions.sql"),
    include_str!("../migrations/postgres/0002_session_snapshots.sql"),
];

/// Serialises migrations between instances starting at the same moment ("PPRP").
const MIGRATION_LOCK: i64 = 0x5050_5250;

/// Connections per instance. Each turn holds one for a few short statements.
pub const POOL_SIZE: usize = 16;
/// How long a call waits for a free connection or for the server to answer a connect.
const WAIT: Duration = Duration::from_secs(10);

/// A user's role: learners practise; instructors also see their cohorts' progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Learner,
    Instructor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Instructor => "instructor",
        }
    }

    fn parse(s: &str) -> Role {
        if s == "instructor" {
            Role::Instructor
        } else {
            Role::Learner
        }
    }
}

/// An account. The password hash never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
}

/// A learner's record in a cohort: finished interviews and each dimension's level over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerProgress {
    pub username: String,
    pub sessions_finished: u64,
    /// One point per dimension of each finished session, oldest first.
    pub points: Vec<DimensionPoint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimensionPoint {
    pub session_id: String,
    pub finished_ms: i64,
    pub dimension: String,
    pub level: String,
}

/// How a cohort stands on one rubric dimension: the mean level (0 novice … 2 expert) of each
/// learner's latest finished interview that scored it.
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionStanding {
    pub dimension: String,
    pub mean_rank: f64,
    pub learners: u64,
}

struct Inner {
    /// `None` only while dropping.
    rt: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// The URL without its password, for messages.
    shown: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside another runtime; this does not.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// The PostgreSQL store. Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.inner.shown)
            .finish_non_exhaustive()
    }
}

/// Parses a libpq-style URL (`postgresql://user@host:port/db`) or key=value string; the error
/// never repeats the string, which may hold a password.
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    let config: tokio_postgres::Config =
        url.parse()
            .map_err(|e: tokio_postgres::Error| StoreError::BadUrl {
                detail: e.to_string(),
            })?;
    if config.get_ssl_mode() == SslMode::Require {
        return Err(StoreError::BadUrl {
            detail: "sslmode=require: pipeprep does not speak TLS to PostgreSQL yet; use a unix socket or a private network with sslmode=disable".into(),
        });
    }
    if config.get_user().is_none() {
        return Err(StoreError::BadUrl {
            detail: "no user name in it".into(),
        });
    }
    Ok(config)
}

/// `user@host:port/db`, with no password, for messages and `Debug`.
pub fn redacted(config: &tokio_postgres::Config) -> String {
    let mut s = String::from("postgresql://");
    if let Some(u) = config.get_user() {
        let _ = write!(s, "{u}@");
    }
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            };
            match config.get_ports().get(i).or(config.get_ports().first()) {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
        .collect();
    s.push_str(&hosts.join(","));
    if let Some(db) = config.get_dbname() {
        let _ = write!(s, "/{db}");
    }
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The rank of a scorecard level, or none for a word that is not one.
fn level_rank(level: &str) -> Option<i16> {
    match level {
        "novice" => Some(0),
        "intermediate" => Some(1),
        "expert" => Some(2),
        _ => None,
    }
}

/// The (dimension, level) pairs of a scorecard in `grade --format json` shape; anything else
/// (an empty object, another shape) has none.
fn scorecard_dimensions(json: &str) -> Vec<(String, String, i16)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let Some(dims) = v.get("dimensions").and_then(|d| d.as_array()) else {
        return Vec::new();
    };
    dims.iter()
        .filter_map(|d| {
            let id = d.get("id")?.as_str()?;
            let level = d.get("level")?.as_str()?;
            Some((id.to_string(), level.to_string(), level_rank(level)?))
        })
        .collect()
}

/// Checks a user name: 1–64 characters of letters, digits, `.`, `_` and `-`.
pub fn check_username(name: &str) -> Result<(), StoreError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 64 || !name.chars().all(ok_char) {
        return Err(StoreError::Invalid(format!(
            "user name `{}` is not allowed — use 1 to 64 letters, digits, `.`, `_` or `-`",
            name.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

/// Checks a password's length: at least 8 characters, at most 1024 bytes (Argon2 time is bounded).
pub fn check_password(password: &str) -> Result<(), StoreError> {
    if password.chars().count() < 8 {
        return Err(StoreError::Invalid(
            "the password is too short — use at least 8 characters".into(),
        ));
    }
    if password.len() > 1024 {
        return Err(StoreError::Invalid(
            "the password is longer than 1024 bytes — use a shorter one".into(),
        ));
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String, StoreError> {
    use argon2::PasswordHasher as _;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Other {
            path: "argon2".into(),
            detail: e.to_string(),
        })
}

fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::PasswordVerifier as _;
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash of no one's password, checked when the user does not exist so that a login for an
/// unknown name takes as long as one with a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("no such user, no such password").unwrap_or_default())
}

type Client = deadpool_postgres::Client;

impl PgStore {
    /// Connects to the database named by `url` and brings its schema up to date. Every instance
    /// may call this at the same moment: migrations run one at a time under an advisory lock.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let mut config = parse_url(url)?;
        config.connect_timeout(WAIT);
        let shown = redacted(&config);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pipeprep-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Other {
                path: shown.clone(),
                detail: format!("cannot start the database runtime: {e}"),
            })?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Other {
                path: shown.clone(),
                detail: e.to_string(),
            })?;
        let store = PgStore {
            inner: Arc::new(Inner {
                rt: Some(rt),
                pool,
                shown,
            }),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The database as shown in messages: the URL without a password.
    pub fn shown(&self) -> &str {
        &self.inner.shown
    }

    /// Runs a future on the store's runtime and waits for it.
    fn run<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(rt) = self.inner.rt.as_ref() else {
            unreachable!("the runtime lives as long as the store")
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Blocking inside another runtime panics; a plain thread may block.
            std::thread::scope(|s| match s.spawn(|| rt.block_on(fut)).join() {
                Ok(out) => out,
                Err(panic) => std::panic::resume_unwind(panic),
            })
        } else {
            rt.block_on(fut)
        }
    }

    fn err(&self, e: tokio_postgres::Error) -> StoreError {
        match e.as_db_error() {
            Some(db) => StoreError::Other {
                path: self.inner.shown.clone(),
                detail: db.message().to_string(),
            },
            None => StoreError::Unreachable {
                url: self.inner.shown.clone(),
                detail: e.to_string(),
            },
        }
    }

    fn pool_err(&self, e: PoolError) -> StoreError {
        match e {
            PoolError::Backend(e) => self.err(e),
            PoolError::Timeout(_) => StoreError::Unreachable {
                url: self.inner.shown.clone(),
                detail: "no connection within 10 s".into(),
            },
            other => StoreError::Other {
                path: self.inner.shown.clone(),
                detail: other.to_string(),
            },
        }
    }

    async fn client(&self) -> Result<Client, StoreError> {
        self.inner.pool.get().await.map_err(|e| self.pool_err(e))
    }

    fn migrate(&self) -> Result<(), StoreError> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(|e| self.err(e))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(|e| self.err(e))?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS pipeprep_schema (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)",
            )
            .await
            .map_err(|e| self.err(e))?;
            let row = tx
                .query_one("SELECT COALESCE(MAX(version), 0) FROM pipeprep_schema", &[])
                .await
                .map_err(|e| self.err(e))?;
            let version: i32 = row.get(0);
            let known = MIGRATIONS.len() as i32;
            if version > known {
                return Err(StoreError::TooNew {
                    path: self.inner.shown.clone(),
                    found: i64::from(version),
                    known: i64::from(known),
                });
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.batch_execute(sql).await.map_err(|e| self.err(e))?;
                tx.execute(
                    "INSERT INTO pipeprep_schema (version, applied_ms) VALUES ($1, $2)",
                    &[&(i as i32 + 1), &crate::now_ms()],
                )
                .await
                .map_err(|e| self.err(e))?;
            }
            tx.commit().await.map_err(|e| self.err(e))
        })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.run(async {
            let c = self.client().await?;
            let row = c
                .query_one("SELECT COALESCE(MAX(version), 0) FROM pipeprep_schema", &[])
                .await
                .map_err(|e| self.err(e))?;
            Ok(i64::from(row.get::<_, i32>(0)))
        })
    }

    /// The sessions of one user, as a [`Store`].
    pub fn for_user(&self, user: &User) -> UserStore {
        UserStore {
            pg: self.clone(),
            owner: user.id,
        }
    }

    // ----- accounts -----

    /// Creates an account with an Argon2id hash of `password`.
    pub fn create_user(
        &self,
        username: &str,
        password: &str,
        role: Role,
        now_ms: i64,
    ) -> Result<User, StoreError> {
        check_username(username)?;
        check_password(password)?;
        // Hashing is CPU work: done on the caller's thread, not the runtime's.
        let hash = hash_password(password)?;
        self.run(async {
            let c = self.client().await?;
            let r = c
                .query_one(
                    "INSERT INTO users (username, password_hash, role, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
                    &[&username, &hash, &role.as_str(), &now_ms],
                )
                .await;
            match r {
                Ok(row) => Ok(User {
                    id: row.get(0),
                    username: username.to_string(),
                    role,
                }),
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    Err(StoreError::UserExists(username.to_string()))
                }
                Err(e) => Err(self.err(e)),
            }
        })
    }

    /// The account named `username`, if there is one.
    pub fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self.user_and_hash(username)?.map(|(u, _)| u))
    }

    fn user_and_hash(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        self.run(async {
            let c = self.client().await?;
            let row = c
                .query_opt(
                    "SELECT id, username, role, password_hash FROM users WHERE username = $1",
                    &[&username],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(row.map(|r| {
                (
                    User {
                        id: r.get(0),
                        username: r.get(1),
                        role: Role::parse(r.get(2)),
                    },
                    r.get(3),
                )
            }))
        })
    }

    /// The user whose password this is, or `None` for a wrong password or an unknown name (the
    /// two take the same time and cannot be told apart).
    pub fn check_login(&self, username: &str, password: &str) -> Result<Option<User>, StoreError> {
        match self.user_and_hash(username)? {
            Some((user, hash)) if password_matches(password, &hash) => Ok(Some(user)),
            Some(_) => Ok(None),
            None => {
                let _ = password_matches(password, decoy_hash());
                Ok(None)
            }
        }
    }

    /// Replaces a user's password.
    pub fn set_password(&self, username: &str, password: &str) -> Result<(), StoreError> {
        check_password(password)?;
        let hash = hash_password(password)?;
        let n = self.run(async {
            let c = self.client().await?;
            c.execute(
                "UPDATE users SET password_hash = $2 WHERE username = $1",
                &[&username, &hash],
            )
            .await
            .map_err(|e| self.err(e))
        })?;
        if n == 0 {
            return Err(StoreError::NoUser(username.to_string()));
        }
        Ok(())
    }

    /// Starts a login session: returns a new random token (64 hex digits) for the client to
    /// keep; the store keeps only its SHA-256.
    pub fn issue_token(
        &self,
        user: &User,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Other {
            path: "getrandom".into(),
            detail: e.to_string(),
        })?;
        let token = hex(&bytes);
        let expires = now_ms.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        self.run(async {
            let c = self.client().await?;
            c.execute(
                "INSERT INTO auth_tokens (token_hash, user_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
                &[&token_hash(&token), &user.id, &now_ms, &expires],
            )
            .await
            .map_err(|e| self.err(e))
        })?;
        Ok(token)
    }

    /// The user a token belongs to, while it has not expired or been revoked.
    pub fn user_for_token(&self, token: &str, now_ms: i64) -> Result<Option<User>, StoreError> {
        self.run(self.user_for_token_in(token, now_ms))
    }

    /// [`user_for_token`](Self::user_for_token) for async callers: the query runs on the
    /// store's own runtime and the caller awaits it, so a request needs neither a blocking
    /// thread nor a helper thread to look up its login.
    pub async fn user_for_token_async(
        &self,
        token: String,
        now_ms: i64,
    ) -> Result<Option<User>, StoreError> {
        let Some(rt) = self.inner.rt.as_ref() else {
            unreachable!("the runtime lives as long as the store")
        };
        let this = self.clone();
        rt.spawn(async move { this.user_for_token_in(&token, now_ms).await })
            .await
            .map_err(|e| StoreError::Other {
                path: self.inner.shown.clone(),
                detail: format!("the login lookup stopped: {e}"),
            })?
    }

    async fn user_for_token_in(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<User>, StoreError> {
        let c = self.client().await?;
        // Every request runs this: a statement prepared once per connection.
        let st = c
            .prepare_cached(
                "SELECT u.id, u.username, u.role FROM auth_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.expires_ms > $2",
            )
            .await
            .map_err(|e| self.err(e))?;
        let row = c
            .query_opt(&st, &[&token_hash(token), &now_ms])
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.map(|r| User {
            id: r.get(0),
            username: r.get(1),
            role: Role::parse(r.get(2)),
        }))
    }

    /// Ends a login session (logout). Returns whether the token was live.
    pub fn revoke_token(&self, token: &str) -> Result<bool, StoreError> {
        self.run(async {
            let c = self.client().await?;
            let n = c
                .execute(
                    "DELETE FROM auth_tokens WHERE token_hash = $1",
                    &[&token_hash(token)],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(n > 0)
        })
    }

    /// Deletes expired tokens; returns how many.
    pub fn purge_expired_tokens(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.run(async {
            let c = self.client().await?;
            c.execute("DELETE FROM auth_tokens WHERE expires_ms <= $1", &[&now_ms])
                .await
                .map_err(|e| self.err(e))
        })
    }

    /// Counts a failed login for `key` (a user name, an address) in a fixed window of
    /// `window`, shared by every instance on the database; returns the failures in the current
    /// window, this one included.
    pub fn note_login_failure(
        &self,
        key: &str,
        now_ms: i64,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        self.run(async {
            let c = self.client().await?;
            let row = c
                .query_one(
                    "INSERT INTO login_attempts AS a (key, window_start_ms, failures) VALUES ($1, $2, 1) \
                     ON CONFLICT (key) DO UPDATE SET \
                       failures = CASE WHEN a.window_start_ms + $3 <= $2 THEN 1 ELSE a.failures + 1 END, \
                       window_start_ms = CASE WHEN a.window_start_ms + $3 <= $2 THEN $2 ELSE a.window_start_ms END \
                     RETURNING failures",
                    &[&key, &now_ms, &window_ms],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(row.get::<_, i32>(0).max(0) as u32)
        })
    }

    /// The failed logins for `key` in the window that is open at `now_ms` (0 when it has closed).
    pub fn login_failures(
        &self,
        key: &str,
        now_ms: i64,
        window: Duration,
    ) -> Result<u32, StoreError> {
        Ok(self.login_window(key, now_ms, window)?.0)
    }

    /// The failed logins for `key` in the window open at `now_ms` and how long that window
    /// has left (0 and zero when none is open): what a refused login's Retry-After says.
    pub fn login_window(
        &self,
        key: &str,
        now_ms: i64,
        window: Duration,
    ) -> Result<(u32, Duration), StoreError> {
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        self.run(async {
            let c = self.client().await?;
            let row = c
                .query_opt(
                    "SELECT failures, window_start_ms FROM login_attempts \
                     WHERE key = $1 AND window_start_ms + $3 > $2",
                    &[&key, &now_ms, &window_ms],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(row.map_or((0, Duration::ZERO), |r| {
                let failures = r.get::<_, i32>(0).max(0) as u32;
                let ends = r.get::<_, i64>(1).saturating_add(window_ms);
                let left = u64::try_from(ends.saturating_sub(now_ms)).unwrap_or(0);
                (failures, Duration::from_millis(left))
            }))
        })
    }

    /// Forgets the failures of `key` (after a successful login).
    pub fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        self.run(async {
            let c = self.client().await?;
            c.execute("DELETE FROM login_attempts WHERE key = $1", &[&key])
                .await
                .map_err(|e| self.err(e))?;
            Ok(())
        })
    }

    // ----- cohorts -----

    /// Creates a cohort led by `instructor`, who must have the instructor role.
    pub fn create_cohort(
        &self,
        instructor: &User,
        name: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        check_username(name).map_err(|_| {
            StoreError::Invalid(format!(
                "cohort name `{}` is not allowed — use 1 to 64 letters, digits, `.`, `_` or `-`",
                name.chars().take(80).collect::<String>()
            ))
        })?;
        self.run(async {
            let c = self.client().await?;
            let role = c
                .query_opt("SELECT role FROM users WHERE id = $1", &[&instructor.id])
                .await
                .map_err(|e| self.err(e))?
                .map(|r| r.get::<_, String>(0));
            if role.as_deref() != Some("instructor") {
                return Err(StoreError::Invalid(format!(
                    "`{}` is not an instructor — create the account with `pipeprep users add NAME --instructor`",
                    instructor.username
                )));
            }
            match c
                .execute(
                    "INSERT INTO cohorts (name, instructor_id, created_ms) VALUES ($1, $2, $3)",
                    &[&name, &instructor.id, &now_ms],
                )
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(
                    StoreError::Invalid(format!("cohort `{name}` already exists — pick another name")),
                ),
                Err(e) => Err(self.err(e)),
            }
        })
    }

    /// Creates the cohort unless `instructor` already leads one of that name; returns whether
    /// it was created.
    pub fn ensure_cohort(
        &self,
        instructor: &User,
        name: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let exists = self.run(async {
            let c = self.client().await?;
            match self.led_cohort(&c, instructor, name).await {
                Ok(_) => Ok(true),
                Err(StoreError::NoCohort(_)) => Ok(false),
                Err(e) => Err(e),
            }
        })?;
        if exists {
            return Ok(false);
        }
        self.create_cohort(instructor, name, now_ms)?;
        Ok(true)
    }

    /// The id of `cohort` when `instructor` leads it; another instructor's cohort is not found.
    async fn led_cohort(
        &self,
        c: &impl GenericClient,
        instructor: &User,
        cohort: &str,
    ) -> Result<i64, StoreError> {
        c.query_opt(
            "SELECT id FROM cohorts WHERE name = $1 AND instructor_id = $2",
            &[&cohort, &instructor.id],
        )
        .await
        .map_err(|e| self.err(e))?
        .map(|r| r.get(0))
        .ok_or_else(|| StoreError::NoCohort(cohort.to_string()))
    }

    /// Adds a learner to a cohort the instructor leads. Returns false when already a member.
    pub fn add_to_cohort(
        &self,
        instructor: &User,
        cohort: &str,
        learner: &str,
    ) -> Result<bool, StoreError> {
        self.run(async {
            let c = self.client().await?;
            let cohort_id = self.led_cohort(&c, instructor, cohort).await?;
            let learner_id: i64 = c
                .query_opt("SELECT id FROM users WHERE username = $1", &[&learner])
                .await
                .map_err(|e| self.err(e))?
                .map(|r| r.get(0))
                .ok_or_else(|| StoreError::NoUser(learner.to_string()))?;
            let n = c
                .execute(
                    "INSERT INTO cohort_members (cohort_id, learner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&cohort_id, &learner_id],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(n > 0)
        })
    }

    /// The names of the cohorts `instructor` leads, in order.
    pub fn cohorts_led(&self, instructor: &User) -> Result<Vec<String>, StoreError> {
        self.run(async {
            let c = self.client().await?;
            let rows = c
                .query(
                    "SELECT name FROM cohorts WHERE instructor_id = $1 ORDER BY name",
                    &[&instructor.id],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    /// One user's own record, in the shape of a cohort learner's: finished interviews and each
    /// dimension's level per finished interview, oldest first.
    pub fn own_progress(&self, user: &User) -> Result<LearnerProgress, StoreError> {
        self.run(async {
            let c = self.client().await?;
            let finished: i64 = c
                .query_one(
                    "SELECT COUNT(*) FROM sessions WHERE owner_id = $1 AND status = 'finished'",
                    &[&user.id],
                )
                .await
                .map_err(|e| self.err(e))?
                .get(0);
            let points = c
                .query(
                    "SELECT s.id, s.finished_ms, d.dimension, d.level FROM sessions s \
                     JOIN session_dimensions d ON d.session_id = s.id \
                     WHERE s.owner_id = $1 AND s.status = 'finished' \
                     ORDER BY s.finished_ms, s.id, d.dimension",
                    &[&user.id],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(LearnerProgress {
                username: user.username.clone(),
                sessions_finished: finished.max(0) as u64,
                points: points
                    .iter()
                    .map(|p| DimensionPoint {
                        session_id: p.get(0),
                        finished_ms: p.get::<_, Option<i64>>(1).unwrap_or(0),
                        dimension: p.get(2),
                        level: p.get(3),
                    })
                    .collect(),
            })
        })
    }

    /// Every learner of a cohort the instructor leads, by name: finished interviews and each
    /// dimension's level per finished interview, oldest first.
    pub fn cohort_progress(
        &self,
        instructor: &User,
        cohort: &str,
    ) -> Result<Vec<LearnerProgress>, StoreError> {
        self.run(async {
            let c = self.client().await?;
            let cohort_id = self.led_cohort(&c, instructor, cohort).await?;
            let learners = c
                .query(
                    "SELECT u.id, u.username, \
                       (SELECT COUNT(*) FROM sessions s WHERE s.owner_id = u.id AND s.status = 'finished') \
                     FROM cohort_members m JOIN users u ON u.id = m.learner_id \
                     WHERE m.cohort_id = $1 ORDER BY u.username",
                    &[&cohort_id],
                )
                .await
                .map_err(|e| self.err(e))?;
            let points = c
                .query(
                    "SELECT s.owner_id, s.id, s.finished_ms, d.dimension, d.level \
                     FROM cohort_members m JOIN sessions s ON s.owner_id = m.learner_id \
                     JOIN session_dimensions d ON d.session_id = s.id \
                     WHERE m.cohort_id = $1 AND s.status = 'finished' \
                     ORDER BY s.finished_ms, s.id, d.dimension",
                    &[&cohort_id],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(learners
                .iter()
                .map(|l| {
                    let id: i64 = l.get(0);
                    LearnerProgress {
                        username: l.get(1),
                        sessions_finished: l.get::<_, i64>(2).max(0) as u64,
                        points: points
                            .iter()
                            .filter(|p| p.get::<_, i64>(0) == id)
                            .map(|p| DimensionPoint {
                                session_id: p.get(1),
                                finished_ms: p.get::<_, Option<i64>>(2).unwrap_or(0),
                                dimension: p.get(3),
                                level: p.get(4),
                            })
                            .collect(),
                    }
                })
                .collect())
        })
    }

    /// The cohort's dimensions, weakest first: the mean level over each learner's latest
    /// finished interview with a scorecard.
    pub fn cohort_weakest(
        &self,
        instructor: &User,
        cohort: &str,
    ) -> Result<Vec<DimensionStanding>, StoreError> {
        self.run(async {
            let c = self.client().await?;
            let cohort_id = self.led_cohort(&c, instructor, cohort).await?;
            let rows = c
                .query(
                    "WITH latest AS ( \
                       SELECT DISTINCT ON (s.owner_id) s.id FROM cohort_members m \
                       JOIN sessions s ON s.owner_id = m.learner_id \
                       WHERE m.cohort_id = $1 AND s.status = 'finished' \
                         AND EXISTS (SELECT 1 FROM session_dimensions d WHERE d.session_id = s.id) \
                       ORDER BY s.owner_id, s.finished_ms DESC, s.id DESC) \
                     SELECT d.dimension, AVG(d.rank)::float8, COUNT(*) \
                     FROM latest l JOIN session_dimensions d ON d.session_id = l.id \
                     GROUP BY d.dimension ORDER BY 2, 1",
                    &[&cohort_id],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(rows
                .iter()
                .map(|r| DimensionStanding {
                    dimension: r.get(0),
                    mean_rank: r.get(1),
                    learners: r.get::<_, i64>(2).max(0) as u64,
                })
                .collect())
        })
    }
}

/// One user's sessions in the PostgreSQL store. Every read and write names the owner, so a
/// session of another user is "not found" to every method.
#[derive(Debug, Clone)]
pub struct UserStore {
    pg: PgStore,
    owner: i64,
}

/// The columns of a session's [`Summary`] (see `summary_of`), as a literal both queries below
/// are built from.
macro_rules! summary_columns {
    () => {
        "SELECT s.id, s.scenario, s.status, s.created_ms, s.updated_ms, s.last_at_ms, \
         s.overall_level, s.overall_score, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id), \
         s.llm_model, s.prompt_tokens, s.completion_tokens, s.offline_turns, s.llm_reviewed"
    };
}

const SUMMARY_SQL: &str = concat!(summary_columns!(), " FROM sessions s");

/// One session's summary followed by its configuration and scorecard (columns
/// [`SESSION_SQL_CONFIG`] and the one after it), for [`Store::load`].
const SESSION_SQL: &str = concat!(
    summary_columns!(),
    ", s.config_json, s.scorecard_json FROM sessions s WHERE s.id = $1 AND s.owner_id = $2"
);
const SESSION_SQL_CONFIG: usize = 14;

fn summary_of(r: &tokio_postgres::Row) -> Summary {
    let status: String = r.get(2);
    Summary {
        id: r.get(0),
        scenario: r.get(1),
        status: if status == "finished" {
            Status::Finished
        } else {
            Status::Active
        },
        created_ms: r.get(3),
        updated_ms: r.get(4),
        last_at_ms: r.get::<_, i64>(5).max(0) as u64,
        overall_level: r.get(6),
        overall_score: r.get::<_, Option<i32>>(7).map(|s| s.max(0) as u32),
        turns: r.get::<_, i64>(8).max(0) as usize,
        llm: r.get::<_, Option<String>>(9).map(|model| LlmUsage {
            model,
            prompt_tokens: r.get::<_, Option<i64>>(10).unwrap_or(0).max(0) as u64,
            completion_tokens: r.get::<_, Option<i64>>(11).unwrap_or(0).max(0) as u64,
            offline_turns: r.get::<_, Option<i64>>(12).unwrap_or(0).max(0) as u64,
            reviewed: r.get::<_, Option<bool>>(13).unwrap_or(false),
        }),
    }
}

impl UserStore {
    /// The owner's user id.
    pub fn owner(&self) -> i64 {
        self.owner
    }

    fn err(&self, e: tokio_postgres::Error) -> StoreError {
        self.pg.err(e)
    }

    /// An event insert that failed: a number already taken means this copy is behind.
    fn event_err(&self, id: &str, e: tokio_postgres::Error) -> StoreError {
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            StoreError::Behind(id.to_string())
        } else {
            self.err(e)
        }
    }

    /// Records the result in the session row and its dimensions; returns the rows updated.
    async fn finish_in(
        &self,
        c: &impl GenericClient,
        id: &str,
        f: &Finish,
    ) -> Result<u64, StoreError> {
        let n = c
            .execute(
                "UPDATE sessions SET status = 'finished', scorecard_json = $3, overall_level = $4, \
                 overall_score = $5, updated_ms = $6, finished_ms = COALESCE(finished_ms, $6) \
                 WHERE id = $1 AND owner_id = $2",
                &[
                    &id,
                    &self.owner,
                    &f.scorecard_json,
                    &f.level,
                    &(i32::try_from(f.score).unwrap_or(i32::MAX)),
                    &f.now_ms,
                ],
            )
            .await
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Ok(0);
        }
        c.execute(
            "DELETE FROM session_dimensions WHERE session_id = $1",
            &[&id],
        )
        .await
        .map_err(|e| self.err(e))?;
        for (dim, level, rank) in scorecard_dimensions(&f.scorecard_json) {
            c.execute(
                "INSERT INTO session_dimensions (session_id, dimension, level, rank) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (session_id, dimension) DO UPDATE SET level = EXCLUDED.level, rank = EXCLUDED.rank",
                &[&id, &dim, &level, &rank],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        Ok(n)
    }

    /// Appends a step one statement at a time: the step that ends the interview, whose result
    /// is written in the same transaction.
    fn append_in_steps(&self, id: &str, step: &Step) -> Result<u64, StoreError> {
        self.pg.run(async {
            let mut c = self.pg.client().await?;
            let tx = c.transaction().await.map_err(|e| self.err(e))?;
            let touch = tx
                .prepare_cached(
                    "UPDATE sessions SET last_at_ms = $3, updated_ms = $4 WHERE id = $1 AND owner_id = $2",
                )
                .await
                .map_err(|e| self.err(e))?;
            // The row lock taken here orders concurrent appends to one session (from two
            // instances, say), so the turn numbers below cannot collide.
            let n = tx
                .execute(&touch, &[&id, &self.owner, &(step.at_ms as i64), &step.now_ms])
                .await
                .map_err(|e| self.err(e))?;
            if n == 0 {
                return Err(StoreError::NotFound(id.to_string()));
            }
            let next_sql = tx
                .prepare_cached("SELECT COALESCE(MAX(idx) + 1, 0) FROM turns WHERE session_id = $1")
                .await
                .map_err(|e| self.err(e))?;
            let next: i64 = tx
                .query_one(&next_sql, &[&id])
                .await
                .map_err(|e| self.err(e))?
                .get(0);
            let event = tx
                .prepare_cached(
                    "INSERT INTO events (session_id, seq, at_ms, event_json) VALUES ($1, $2, $3, $4)",
                )
                .await
                .map_err(|e| self.err(e))?;
            tx.execute(
                &event,
                &[&id, &(step.seq as i64), &(step.at_ms as i64), &step.event_json],
            )
            .await
            .map_err(|e| self.event_err(id, e))?;
            if !step.turns.is_empty() {
                let turns = tx
                    .prepare_cached(
                        "INSERT INTO turns (session_id, idx, speaker, text, phase, act, voice) \
                         SELECT $1, $2 + t.n - 1, t.speaker, t.text, t.phase, t.act, t.voice \
                         FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) \
                         WITH ORDINALITY AS t(speaker, text, phase, act, voice, n)",
                    )
                    .await
                    .map_err(|e| self.err(e))?;
                let col = |f: fn(&TurnRow) -> Option<&str>| -> Vec<Option<&str>> {
                    step.turns.iter().map(f).collect()
                };
                tx.execute(
                    &turns,
                    &[
                        &id,
                        &next,
                        &col(|t| Some(t.speaker.as_str())),
                        &col(|t| Some(t.text.as_str())),
                        &col(|t| Some(t.phase.as_str())),
                        &col(|t| t.act.as_deref()),
                        &col(|t| t.voice.as_deref()),
                    ],
                )
                .await
                .map_err(|e| self.err(e))?;
            }
            if let Some(f) = &step.finish {
                self.finish_in(&tx, id, f).await?;
            }
            tx.commit().await.map_err(|e| self.err(e))?;
            Ok(next.max(0) as u64)
        })
    }
}

impl Store for UserStore {
    fn create(&self, s: &NewSession) -> Result<(), StoreError> {
        self.pg.run(async {
            let c = self.pg.client().await?;
            let r = c
                .execute(
                    "INSERT INTO sessions (id, owner_id, scenario, config_json, created_ms, updated_ms) \
                     VALUES ($1, $2, $3, $4, $5, $5)",
                    &[&s.id, &self.owner, &s.scenario, &s.config_json, &s.created_ms],
                )
                .await;
            match r {
                Ok(_) => Ok(()),
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    Err(StoreError::Exists(s.id.clone()))
                }
                Err(e) => Err(self.err(e)),
            }
        })
    }

    fn append(&self, id: &str, step: &Step) -> Result<u64, StoreError> {
        if step.finish.is_some() {
            return self.append_in_steps(id, step);
        }
        // Every turn runs this, so it costs one round trip: the statements are prepared once
        // per connection and sent together (tokio-postgres pipelines requests that are awaited
        // together), and the server runs them in order in one transaction. The inserts check
        // the owner themselves, since COMMIT is already on its way when the UPDATE answers;
        // they run after the UPDATE has taken the session's row lock, so a concurrent append
        // from another instance has committed before they read the turn numbers.
        self.pg.run(async {
            let c = self.pg.client().await?;
            let prepare = |sql: &'static str| c.prepare_cached(sql);
            let touch = prepare(
                "UPDATE sessions SET last_at_ms = $3, updated_ms = $4 WHERE id = $1 AND owner_id = $2",
            )
            .await
            .map_err(|e| self.err(e))?;
            let event = prepare(
                "INSERT INTO events (session_id, seq, at_ms, event_json) \
                 SELECT $1::text, $3::bigint, $4::bigint, $5::text \
                 WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.id = $1 AND s.owner_id = $2)",
            )
            .await
            .map_err(|e| self.err(e))?;
            let turns = prepare(
                "INSERT INTO turns (session_id, idx, speaker, text, phase, act, voice) \
                 SELECT $1::text, b.next + u.n - 1, u.speaker, u.text, u.phase, u.act, u.voice \
                 FROM (SELECT COALESCE(MAX(idx) + 1, 0) AS next FROM turns WHERE session_id = $1) b, \
                 UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) \
                 WITH ORDINALITY AS u(speaker, text, phase, act, voice, n) \
                 WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.id = $1 AND s.owner_id = $2) \
                 RETURNING idx",
            )
            .await
            .map_err(|e| self.err(e))?;
            // The engine's state after this event replaces the session's previous one in the
            // same transaction, so it can never account for an event that was not stored.
            let snapshot = match &step.snapshot {
                Some(data) => Some((
                    prepare(
                        "INSERT INTO session_snapshots (session_id, events, data) \
                         SELECT $1::text, $3::bigint, $4::bytea \
                         WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.id = $1 AND s.owner_id = $2) \
                         ON CONFLICT (session_id) DO UPDATE SET events = EXCLUDED.events, data = EXCLUDED.data",
                    )
                    .await
                    .map_err(|e| self.err(e))?,
                    data.as_slice(),
                )),
                None => None,
            };
            let col = |f: fn(&TurnRow) -> Option<&str>| -> Vec<Option<&str>> {
                step.turns.iter().map(f).collect()
            };
            let (speakers, texts, phases, acts, voices) = (
                col(|t| Some(t.speaker.as_str())),
                col(|t| Some(t.text.as_str())),
                col(|t| Some(t.phase.as_str())),
                col(|t| t.act.as_deref()),
                col(|t| t.voice.as_deref()),
            );
            let at = step.at_ms as i64;
            let seq = step.seq as i64;
            let touch_params: [&(dyn ToSql + Sync); 4] = [&id, &self.owner, &at, &step.now_ms];
            let event_params: [&(dyn ToSql + Sync); 5] =
                [&id, &self.owner, &seq, &at, &step.event_json];
            let turns_params: [&(dyn ToSql + Sync); 7] =
                [&id, &self.owner, &speakers, &texts, &phases, &acts, &voices];
            let events_after = seq + 1;
            let saved = async {
                match &snapshot {
                    Some((statement, data)) => {
                        let params: [&(dyn ToSql + Sync); 4] =
                            [&id, &self.owner, &events_after, data];
                        c.execute(statement, &params).await.map(Some)
                    }
                    None => Ok(None),
                }
            };
            let (begin, touched, stored_event, stored_turns, saved, commit) = tokio::join!(
                c.batch_execute("BEGIN"),
                c.execute(&touch, &touch_params),
                c.execute(&event, &event_params),
                c.query(&turns, &turns_params),
                saved,
                // After a failed statement the server answers COMMIT with a rollback.
                c.batch_execute("COMMIT"),
            );
            begin.map_err(|e| self.err(e))?;
            let touched = touched.map_err(|e| self.err(e))?;
            stored_event.map_err(|e| self.event_err(id, e))?;
            let stored_turns = stored_turns.map_err(|e| self.err(e))?;
            saved.map_err(|e| self.err(e))?;
            commit.map_err(|e| self.err(e))?;
            if touched == 0 {
                return Err(StoreError::NotFound(id.to_string()));
            }
            match stored_turns.iter().map(|r| r.get::<_, i64>(0)).min() {
                Some(first) => Ok(first.max(0) as u64),
                None => {
                    let next: i64 = c
                        .query_one(
                            "SELECT COALESCE(MAX(idx) + 1, 0) FROM turns WHERE session_id = $1",
                            &[&id],
                        )
                        .await
                        .map_err(|e| self.err(e))?
                        .get(0);
                    Ok(next.max(0) as u64)
                }
            }
        })
    }

    fn reword(&self, id: &str, idx: u64, text: &str, voice: &str) -> Result<(), StoreError> {
        self.pg.run(async {
            let c = self.pg.client().await?;
            let n = c
                .execute(
                    "UPDATE turns SET text = $4, voice = $5 WHERE session_id = $1 AND idx = $3 \
                     AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = $1 AND s.owner_id = $2)",
                    &[&id, &self.owner, &(idx as i64), &text, &voice],
                )
                .await
                .map_err(|e| self.err(e))?;
            if n > 0 {
                return Ok(());
            }
            let owned = c
                .query_opt(
                    "SELECT 1 FROM sessions WHERE id = $1 AND owner_id = $2",
                    &[&id, &self.owner],
                )
                .await
                .map_err(|e| self.err(e))?
                .is_some();
            if owned {
                Err(StoreError::Other {
                    path: self.pg.inner.shown.clone(),
                    detail: format!("session `{id}` has no turn {idx}"),
                })
            } else {
                Err(StoreError::NotFound(id.to_string()))
            }
        })
    }

    fn finish(&self, id: &str, f: &Finish) -> Result<(), StoreError> {
        self.pg.run(async {
            let mut c = self.pg.client().await?;
            let tx = c.transaction().await.map_err(|e| self.err(e))?;
            if self.finish_in(&tx, id, f).await? == 0 {
                return Err(StoreError::NotFound(id.to_string()));
            }
            tx.commit().await.map_err(|e| self.err(e))
        })
    }

    fn record_llm(&self, id: &str, u: &LlmUsage) -> Result<(), StoreError> {
        self.pg.run(async {
            let c = self.pg.client().await?;
            let n = c
                .execute(
                    "UPDATE sessions SET llm_model = $3, prompt_tokens = $4, completion_tokens = $5, \
                     offline_turns = $6, llm_reviewed = $7 WHERE id = $1 AND owner_id = $2",
                    &[
                        &id,
                        &self.owner,
                        &u.model,
                        &(u.prompt_tokens as i64),
                        &(u.completion_tokens as i64),
                        &(u.offline_turns as i64),
                        &u.reviewed,
                    ],
                )
                .await
                .map_err(|e| self.err(e))?;
            if n == 0 {
                Err(StoreError::NotFound(id.to_string()))
            } else {
                Ok(())
            }
        })
    }

    fn list(&self) -> Result<Vec<Summary>, StoreError> {
        self.pg.run(async {
            let c = self.pg.client().await?;
            let rows = c
                .query(
                    &format!(
                        "{SUMMARY_SQL} WHERE s.owner_id = $1 ORDER BY s.created_ms DESC, s.id DESC"
                    ),
                    &[&self.owner],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(rows.iter().map(summary_of).collect())
        })
    }

    fn load(&self, id: &str) -> Result<Stored, StoreError> {
        // A server instance that takes over another's interviews loads each of them at once, so
        // this costs one round trip: the statements are prepared once per connection and sent
        // together (as in `append`), in one read-only snapshot so that a turn committed
        // meanwhile cannot split the session.
        self.pg.run(async {
            let c = self.pg.client().await?;
            let prepare = |sql: &'static str| c.prepare_cached(sql);
            let head = prepare(SESSION_SQL).await.map_err(|e| self.err(e))?;
            let events = prepare(
                "SELECT seq, at_ms, event_json FROM events WHERE session_id = $1 ORDER BY seq",
            )
            .await
            .map_err(|e| self.err(e))?;
            let turns = prepare(
                "SELECT speaker, text, phase, act, voice FROM turns WHERE session_id = $1 ORDER BY idx",
            )
            .await
            .map_err(|e| self.err(e))?;
            let saved = prepare("SELECT events, data FROM session_snapshots WHERE session_id = $1")
                .await
                .map_err(|e| self.err(e))?;
            let head_params: [&(dyn ToSql + Sync); 2] = [&id, &self.owner];
            let id_param: [&(dyn ToSql + Sync); 1] = [&id];
            let (begin, head, events, turns, saved, commit) = tokio::join!(
                c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
                c.query_opt(&head, &head_params),
                c.query(&events, &id_param),
                c.query(&turns, &id_param),
                c.query_opt(&saved, &id_param),
                c.batch_execute("COMMIT"),
            );
            begin.map_err(|e| self.err(e))?;
            let head = head
                .map_err(|e| self.err(e))?
                .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
            let events = events.map_err(|e| self.err(e))?;
            let turns = turns.map_err(|e| self.err(e))?;
            let saved = saved.map_err(|e| self.err(e))?;
            commit.map_err(|e| self.err(e))?;
            // The events and turns were read without the owner: they are only returned when
            // the session is this user's.
            Ok(Stored {
                summary: summary_of(&head),
                config_json: head.get(SESSION_SQL_CONFIG),
                events: events
                    .iter()
                    .map(|r| {
                        (
                            r.get::<_, i64>(0).max(0) as u64,
                            r.get::<_, i64>(1).max(0) as u64,
                            r.get::<_, String>(2),
                        )
                    })
                    .collect(),
                turns: turns
                    .iter()
                    .map(|r| TurnRow {
                        speaker: r.get(0),
                        text: r.get(1),
                        phase: r.get(2),
                        act: r.get(3),
                        voice: r.get(4),
                    })
                    .collect(),
                scorecard_json: head.get(SESSION_SQL_CONFIG + 1),
                snapshot: saved.map(|r| SavedState {
                    events: r.get::<_, i64>(0).max(0) as u64,
                    data: r.get(1),
                }),
            })
        })
    }

    fn keeps_snapshots(&self) -> bool {
        true
    }

    fn progress(&self, id: &str) -> Result<(Status, u64), StoreError> {
        self.pg.run(async {
            let c = self.pg.client().await?;
            let st = c
                .prepare_cached(
                    "SELECT s.status, (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id) \
                     FROM sessions s WHERE s.id = $1 AND s.owner_id = $2",
                )
                .await
                .map_err(|e| self.err(e))?;
            let row = c
                .query_opt(&st, &[&id, &self.owner])
                .await
                .map_err(|e| self.err(e))?
                .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
            let status: String = row.get(0);
            let status = if status == "finished" {
                Status::Finished
            } else {
                Status::Active
            };
            Ok((status, row.get::<_, i64>(1).max(0) as u64))
        })
    }

    fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.pg.run(async {
            let c = self.pg.client().await?;
            let n = c
                .execute(
                    "DELETE FROM sessions WHERE id = $1 AND owner_id = $2",
                    &[&id, &self.owner],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(n > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_with_a_password_is_shown_without_it() {
        let c = parse_url("postgresql://team:s3cret@db.internal:6543/pipeprep").unwrap();
        let shown = redacted(&c);
        assert_eq!(shown, "postgresql://team@db.internal:6543/pipeprep");
        let c = parse_url("host=/run/postgresql user=pp dbname=x password=hunter2").unwrap();
        assert_eq!(redacted(&c), "postgresql://pp@/run/postgresql/x");
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_them() {
        for url in [
            "postgresql://u:pw@host:notaport/db",
            "not a url at all = = =",
            "postgresql://host/db?sslmode=require&user=u",
            "postgresql://localhost/db",
        ] {
            let e = parse_url(url).unwrap_err();
            assert!(matches!(e, StoreError::BadUrl { .. }), "{url}: {e}");
            assert!(!e.to_string().contains("pw@"), "{e}");
        }
    }

    #[test]
    fn scorecard_levels_are_read_from_the_grade_json_shape() {
        let json = r#"{"dimensions":[{"id":"failure_modes","level":"expert"},
            {"id":"cost_awareness","level":"novice"},{"id":"x","level":"genius"}]}"#;
        assert_eq!(
            scorecard_dimensions(json),
            vec![
                ("failure_modes".to_string(), "expert".to_string(), 2),
                ("cost_awareness".to_string(), "novice".to_string(), 0)
            ]
        );
        assert!(scorecard_dimensions("{}").is_empty());
        assert!(scorecard_dimensions("not json").is_empty());
    }

    #[test]
    fn user_names_and_passwords_are_checked() {
        assert!(check_username("ana.lima_2").is_ok());
        for bad in ["", "has space", "semi;colon", &"x".repeat(65), "ünï"] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
        assert!(check_password(&"p".repeat(1025)).is_err());
    }

    #[test]
    fn a_password_verifies_only_against_its_own_argon2id_hash() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(password_matches("correct horse", &h));
        assert!(!password_matches("correct horsf", &h));
        assert!(!password_matches("correct horse", "not a hash"));
    }
}
