//! Sessions that last. Every interview is kept as the events that drove it plus the turns it
//! produced, committed together before the reply is shown, so a crash, a kill or a power loss
//! loses no answered turn and `resume` rebuilds the interview by replaying the events.
//!
//! The store speaks strings (JSON produced by the app), so it knows nothing of the interview's
//! types. Two implementations: SQLite for one person ([`SqliteStore`], the default) and
//! PostgreSQL for a team ([`PgStore`]: accounts, cohorts, and each user's sessions through a
//! [`UserStore`] scoped to that user).

mod holder;
mod identity;
mod pg;
mod sqlite;

pub use identity::APPLICATION_ID;
pub use pg::{
    DimensionPoint, DimensionStanding, LearnerProgress, POOL_SIZE, PgStore, Role, User, UserStore,
    check_password, check_username, parse_url as parse_database_url,
};
pub use sqlite::SqliteStore;

/// Wall-clock milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A new session's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: String,
    pub scenario: String,
    /// The interview configuration (seed included), as JSON.
    pub config_json: String,
    pub created_ms: i64,
}

/// One turn of the transcript as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRow {
    /// `interviewer` or `candidate`.
    pub speaker: String,
    pub text: String,
    /// The phase it was said in (`requirements`, `architecture`, ...).
    pub phase: String,
    /// The interviewer's act (`reveal_requirement`, `hint`, ...); none for candidate turns.
    pub act: Option<String>,
    /// Who worded an interviewer turn: `engine` (no LLM configured), `llm`, `offline` (an LLM
    /// was configured but the engine's phrasing was said) or `llm+offline` (the LLM's reply was
    /// cut and the engine's phrasing finished it). None for candidate turns and older sessions.
    pub voice: Option<String>,
}

/// One handled event and the turns it produced, committed in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub seq: u64,
    /// Interview time of the event, in ms since the interview started.
    pub at_ms: u64,
    pub event_json: String,
    pub turns: Vec<TurnRow>,
    /// Wall clock, for `updated`.
    pub now_ms: i64,
    /// The result, when this event ends the interview. It commits with the event and its turns,
    /// so a kill can never leave an interview that said goodbye but is not marked finished.
    pub finish: Option<Finish>,
    /// The engine's state after this event, opaque to the store. A store that keeps
    /// snapshots ([`Store::keeps_snapshots`]) writes it with the event, replacing the session's
    /// previous one; the others ignore it.
    pub snapshot: Option<Vec<u8>>,
}

/// The engine's saved state of a session, as the store returns it with the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedState {
    /// How many of the session's events it accounts for (the event numbers `0..events`).
    pub events: u64,
    pub data: Vec<u8>,
}

/// The result of a finished interview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    pub scorecard_json: String,
    pub level: String,
    pub score: u32,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Finished,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Finished => "finished",
        }
    }
}

/// A session in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: String,
    pub scenario: String,
    pub status: Status,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Interview time used, from the last event.
    pub last_at_ms: u64,
    pub overall_level: Option<String>,
    pub overall_score: Option<u32>,
    pub turns: usize,
    /// The LLM that voiced the interview and what it used; `None` for the offline interviewer.
    pub llm: Option<LlmUsage>,
}

/// Which LLM voiced a session and its totals so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmUsage {
    pub model: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Interviewer turns said in the offline voice (after a failure, or replaced by the guard).
    pub offline_turns: u64,
    /// True when the stored scorecard carries the LLM's verified second opinion.
    pub reviewed: bool,
}

/// A whole stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub summary: Summary,
    pub config_json: String,
    /// (seq, at_ms, event JSON), in order.
    pub events: Vec<(u64, u64, String)>,
    pub turns: Vec<TurnRow>,
    pub scorecard_json: Option<String>,
    /// The latest saved engine state, read with the events; `None` from a store that keeps
    /// none or for a session that has none yet.
    pub snapshot: Option<SavedState>,
}

/// What can go wrong, said so that the user knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database `{path}` is locked by {holder}, which held it for more than {wait_s} s — wait until it has finished, or pass --db with another file"
    )]
    Locked {
        path: String,
        /// Who holds the lock, as far as can be told: "another pipeprep (pid 12)",
        /// "`sqlite3` (pid 34)", or "another program (maybe another pipeprep)".
        holder: String,
        wait_s: u64,
    },
    #[error(
        "`{path}` is not a pipeprep database or is damaged ({detail}) — it was left untouched; move it away or pass --db with another file"
    )]
    Corrupt { path: String, detail: String },
    #[error(
        "`{path}` is not a pipeprep database ({why}) — pipeprep left it untouched; pass --db with another file"
    )]
    Foreign { path: String, why: String },
    #[error(
        "cannot write to `{path}` ({detail}) — check the directory's permissions or pass --db with a writable file"
    )]
    Unwritable { path: String, detail: String },
    #[error(
        "the disk holding `{path}` is full — free some space; everything already saved is intact"
    )]
    DiskFull { path: String },
    #[error(
        "`{path}` was written by a newer pipeprep (schema {found}, this one knows up to {known}) — upgrade pipeprep"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("session `{0}` already exists")]
    Exists(String),
    #[error("no session `{0}` — `pipeprep history` lists them")]
    NotFound(String),
    /// An event with this number is already stored: another front end (the terminal, another
    /// server instance) moved the interview on, and the copy that sent this one is behind.
    #[error(
        "session `{0}` was moved on elsewhere meanwhile, so this answer was not saved — send it again"
    )]
    Behind(String),
    #[error("database error on `{path}`: {detail}")]
    Other { path: String, detail: String },
    #[error(
        "the database URL is not valid ({detail}) — give postgresql://USER@HOST:PORT/DB or key=value pairs such as `host=/run/postgresql user=pipeprep dbname=pipeprep`"
    )]
    BadUrl { detail: String },
    #[error(
        "cannot reach the database `{url}` ({detail}) — check that PostgreSQL is running and the URL (--database-url, PIPEPREP_DATABASE_URL or `database_url` in the config file)"
    )]
    Unreachable { url: String, detail: String },
    /// A user name, password or cohort name that cannot be used; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error("the user name `{0}` is taken — choose another")]
    UserExists(String),
    #[error("no user `{0}` — create it with `pipeprep users add {0}`")]
    NoUser(String),
    #[error("no cohort `{0}` that you lead")]
    NoCohort(String),
}

/// The store contract. The SQLite implementation is the default; the contract tests in
/// `tests/it` are written against this trait and run against SQLite and PostgreSQL.
pub trait Store {
    fn create(&self, session: &NewSession) -> Result<(), StoreError>;
    /// Commits an event and the turns it produced, atomically, with the result when the event
    /// ends the interview. Returns the index of the first turn it stored (turns are numbered
    /// from 0 within a session). An event whose number is already stored is refused with
    /// [`StoreError::Behind`] and nothing is written.
    fn append(&self, id: &str, step: &Step) -> Result<u64, StoreError>;
    /// Replaces the words of a stored turn (an interviewer turn first stored in the engine's
    /// phrasing and then said in the LLM's words) and who worded it.
    fn reword(&self, id: &str, idx: u64, text: &str, voice: &str) -> Result<(), StoreError>;
    fn finish(&self, id: &str, finish: &Finish) -> Result<(), StoreError>;
    /// Records the LLM's model and token totals for a session (replacing earlier totals).
    fn record_llm(&self, id: &str, usage: &LlmUsage) -> Result<(), StoreError>;
    /// All sessions, newest first.
    fn list(&self) -> Result<Vec<Summary>, StoreError>;
    fn load(&self, id: &str) -> Result<Stored, StoreError>;
    /// Whether a session is finished and how many events it has stored, without loading it:
    /// what a cached interview checks before each turn to see whether another front end (the
    /// terminal, another server instance) moved it on.
    fn progress(&self, id: &str) -> Result<(Status, u64), StoreError> {
        let s = self.load(id)?;
        Ok((s.summary.status, s.events.len() as u64))
    }
    /// Returns whether a session was deleted.
    fn delete(&self, id: &str) -> Result<bool, StoreError>;
    /// Whether [`Step::snapshot`] is kept and returned by [`load`](Store::load), so the caller
    /// need not make one for nothing. PostgreSQL keeps them (another instance may take the
    /// interview over); SQLite does not (one person resumes a session now and then, and the
    /// replay costs a few milliseconds once).
    fn keeps_snapshots(&self) -> bool {
        false
    }
}
