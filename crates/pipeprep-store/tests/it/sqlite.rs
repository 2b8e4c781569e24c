use pipeprep_store::{NewSession, SqliteStore, Store, StoreError};

#[test]
fn a_file_that_is_not_a_database_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "my precious notes, not a database\n").unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("notes.db") && msg.contains("left untouched"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "my precious notes, not a database\n"
    );
}

#[test]
fn a_path_that_cannot_be_written_gives_a_clear_error() {
    // A directory that is really a file cannot hold a database, even for root.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let err = SqliteStore::open(&blocker.join("p.db")).unwrap_err();
    assert!(matches!(err, StoreError::Unwritable { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("not-a-dir") && msg.contains("--db"), "{msg}");
}

#[test]
fn two_connections_write_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let threads: Vec<_> = [("x", path.clone()), ("y", path.clone())]
        .into_iter()
        .map(|(name, p)| {
            std::thread::spawn(move || {
                let s = SqliteStore::open(&p).unwrap();
                s.create(&NewSession {
                    id: name.into(),
                    scenario: "s".into(),
                    config_json: "{}".into(),
                    created_ms: 1,
                })
                .unwrap();
                for i in 0..50u64 {
                    s.append(
                        name,
                        &pipeprep_store::Step {
                            seq: i,
                            at_ms: i,
                            event_json: "{}".into(),
                            turns: vec![],
                            now_ms: 1,
                            finish: None,
                            snapshot: None,
                        },
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(a.load("x").unwrap().events.len(), 50);
    assert_eq!(b.load("y").unwrap().events.len(), 50);
}

#[test]
fn a_database_from_before_per_turn_voices_opens_and_keeps_its_turns() {
    // A file as the previous release left it (schema version 2): one session, two turns.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, scenario TEXT NOT NULL, config_json TEXT NOT NULL, \
               created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'active', \
               last_at_ms INTEGER NOT NULL DEFAULT 0, scorecard_json TEXT, overall_level TEXT, overall_score INTEGER, \
               llm_model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, offline_turns INTEGER, llm_reviewed INTEGER);
             CREATE TABLE events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL, \
               event_json TEXT NOT NULL, PRIMARY KEY (session_id, seq));
             CREATE TABLE turns (session_id TEXT NOT NULL, idx INTEGER NOT NULL, speaker TEXT NOT NULL, \
               text TEXT NOT NULL, phase TEXT NOT NULL, act TEXT, PRIMARY KEY (session_id, idx));
             INSERT INTO sessions (id, scenario, config_json, created_ms, updated_ms) VALUES ('old1', 'late-arrivals', '{}', 1, 1);
             INSERT INTO turns VALUES ('old1', 0, 'interviewer', 'Welcome back.', 'requirements', 'greet_scenario');
             INSERT INTO turns VALUES ('old1', 1, 'candidate', 'Hello.', 'requirements', NULL);
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let s = store.load("old1").unwrap();
    assert_eq!(s.turns.len(), 2);
    assert_eq!(s.turns[0].text, "Welcome back.");
    assert_eq!(s.turns[0].voice, None, "older turns carry no voice");
    store.reword("old1", 0, "Welcome back!", "llm").unwrap();
    assert_eq!(
        store.load("old1").unwrap().turns[0].voice.as_deref(),
        Some("llm")
    );
}
