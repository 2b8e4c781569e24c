use pipeprep_store::{Finish, NewSession, SqliteStore, Status, Step, Store, StoreError, TurnRow};

pub fn turn(speaker: &str, text: &str) -> TurnRow {
    TurnRow {
        speaker: speaker.into(),
        text: text.into(),
        phase: "requirements".into(),
        act: None,
        voice: None,
    }
}

pub fn session(id: &str, created: i64) -> NewSession {
    NewSession {
        id: id.into(),
        scenario: "late-arrivals".into(),
        config_json: "{\"seed\":1}".into(),
        created_ms: created,
    }
}

pub fn step(seq: u64, at: u64, turns: Vec<TurnRow>) -> Step {
    Step {
        seq,
        at_ms: at,
        event_json: format!("{{\"kind\":\"answer\",\"n\":{seq}}}"),
        turns,
        now_ms: 1000 + at as i64,
        finish: None,
        snapshot: None,
    }
}

/// A session's life: create, append, reword, load, list, finish (alone and with the last
/// step), a failed step that stores nothing, delete.
pub fn lifecycle(store: &dyn Store) {
    store.create(&session("a1", 100)).unwrap();
    store.create(&session("b2", 200)).unwrap();
    assert!(matches!(
        store.create(&session("a1", 300)),
        Err(StoreError::Exists(_))
    ));

    store
        .append("a1", &step(0, 0, vec![turn("interviewer", "Welcome!")]))
        .unwrap();
    let first = store
        .append(
            "a1",
            &step(
                1,
                90_000,
                vec![
                    turn("candidate", "What's the volume?"),
                    turn("interviewer", "1B a day."),
                ],
            ),
        )
        .unwrap();
    assert_eq!(first, 1, "the index of the first turn this step stored");
    // The interviewer's turn, said in the LLM's words after it was stored in the engine's.
    store
        .reword("a1", 2, "About a billion events a day.", "llm")
        .unwrap();
    assert!(store.reword("a1", 9, "x", "llm").is_err());
    assert!(matches!(
        store.append("zz", &step(0, 0, vec![])),
        Err(StoreError::NotFound(_))
    ));

    // Replay: events and turns come back in order, byte for byte.
    let s = store.load("a1").unwrap();
    assert_eq!(s.events.len(), 2);
    assert_eq!(
        s.events[1],
        (1, 90_000, "{\"kind\":\"answer\",\"n\":1}".to_string())
    );
    let texts: Vec<&str> = s.turns.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Welcome!",
            "What's the volume?",
            "About a billion events a day."
        ]
    );
    assert_eq!(s.turns[2].voice.as_deref(), Some("llm"));
    assert_eq!(s.turns[0].voice, None);
    assert_eq!(s.summary.last_at_ms, 90_000);
    assert_eq!(s.summary.status, Status::Active);
    assert_eq!(s.config_json, "{\"seed\":1}");

    // List: newest first, with turn counts.
    let list = store.list().unwrap();
    assert_eq!(
        list.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        ["b2", "a1"]
    );
    assert_eq!(list[1].turns, 3);

    store
        .finish(
            "a1",
            &Finish {
                scorecard_json: "{}".into(),
                level: "intermediate".into(),
                score: 55,
                now_ms: 5,
            },
        )
        .unwrap();
    let s = store.load("a1").unwrap();
    assert_eq!(s.summary.status, Status::Finished);
    assert_eq!(s.summary.overall_level.as_deref(), Some("intermediate"));
    assert_eq!(s.summary.overall_score, Some(55));
    assert_eq!(s.scorecard_json.as_deref(), Some("{}"));

    // The event that ends an interview commits with its turns and the result, together.
    let last = Step {
        finish: Some(Finish {
            scorecard_json: "{\"overall\":1}".into(),
            level: "expert".into(),
            score: 90,
            now_ms: 6,
        }),
        ..step(
            0,
            10,
            vec![turn("candidate", "/end"), turn("interviewer", "Thanks!")],
        )
    };
    store.append("b2", &last).unwrap();
    let s = store.load("b2").unwrap();
    assert_eq!(s.summary.status, Status::Finished);
    assert_eq!(s.scorecard_json.as_deref(), Some("{\"overall\":1}"));
    assert_eq!(s.turns.len(), 2);
    // A step that fails stores neither its turns nor its result.
    assert!(store.append("b2", &last).is_err(), "seq 0 is taken");
    assert_eq!(store.load("b2").unwrap().turns.len(), 2);

    // Delete removes the session with its events and turns.
    assert!(store.delete("a1").unwrap());
    assert!(!store.delete("a1").unwrap());
    assert!(matches!(store.load("a1"), Err(StoreError::NotFound(_))));
    assert_eq!(store.list().unwrap().len(), 1);
}

/// LLM usage is stored per session, listed, and refused for an unknown session.
pub fn llm_usage_is_recorded_and_listed(store: &dyn Store) {
    store.create(&session("a1", 100)).unwrap();
    store.create(&session("b2", 200)).unwrap();
    let usage = pipeprep_store::LlmUsage {
        model: "llama3.2".into(),
        prompt_tokens: 1234,
        completion_tokens: 567,
        offline_turns: 2,
        reviewed: true,
    };
    store.record_llm("a1", &usage).unwrap();
    assert_eq!(store.load("a1").unwrap().summary.llm, Some(usage.clone()));
    assert_eq!(
        store.load("b2").unwrap().summary.llm,
        None,
        "offline session"
    );
    let listed = store.list().unwrap();
    assert_eq!(
        listed.iter().find(|s| s.id == "a1").unwrap().llm,
        Some(usage)
    );
    assert!(matches!(
        store.record_llm(
            "zz",
            &pipeprep_store::LlmUsage {
                model: "m".into(),
                prompt_tokens: 0,
                completion_tokens: 0,
                offline_turns: 0,
                reviewed: false,
            }
        ),
        Err(StoreError::NotFound(_))
    ));
}

/// Text comes back byte for byte: quotes, backslashes, new lines, emoji, mixed scripts.
pub fn text_round_trips_exactly(store: &dyn Store) {
    store.create(&session("u1", 1)).unwrap();
    let odd = "It's \"exactly-once\" \\ not 'at-least-once';\n-- DROP TABLE turns;\n\u{1F680} 東京 Ünïcödé\t$1 %s";
    store
        .append(
            "u1",
            &Step {
                event_json: "{\"text\":\"line\\nbreak \\\"q\\\"\"}".into(),
                ..step(0, 0, vec![turn("candidate", odd)])
            },
        )
        .unwrap();
    let s = store.load("u1").unwrap();
    assert_eq!(s.turns[0].text, odd);
    assert_eq!(s.events[0].2, "{\"text\":\"line\\nbreak \\\"q\\\"\"}");
}

/// Turns are numbered across steps without gaps, and a reword touches only its own turn.
pub fn turns_are_numbered_in_order(store: &dyn Store) {
    store.create(&session("n1", 1)).unwrap();
    let mut expected = 0;
    for seq in 0..5u64 {
        let turns = vec![
            turn("candidate", &format!("c{seq}")),
            turn("interviewer", &format!("i{seq}")),
        ];
        assert_eq!(
            store.append("n1", &step(seq, seq * 10, turns)).unwrap(),
            expected
        );
        expected += 2;
    }
    store.reword("n1", 5, "reworded", "llm+offline").unwrap();
    let s = store.load("n1").unwrap();
    assert_eq!(s.turns.len(), 10);
    assert_eq!(s.summary.turns, 10);
    assert_eq!(s.turns[5].text, "reworded");
    assert_eq!(s.turns[5].voice.as_deref(), Some("llm+offline"));
    assert_eq!(s.turns[4].text, "c2");
    assert_eq!(s.turns[6].text, "c3");
    assert_eq!(s.summary.last_at_ms, 40);
}

/// `progress` says what a full load would: the status and the number of stored events, and
/// "not found" for a session that does not exist.
pub fn progress_matches_what_is_stored(store: &dyn Store) {
    store.create(&session("p1", 1)).unwrap();
    assert_eq!(store.progress("p1").unwrap(), (Status::Active, 0));
    for seq in 0..3u64 {
        store
            .append("p1", &step(seq, seq, vec![turn("candidate", "c")]))
            .unwrap();
    }
    assert_eq!(store.progress("p1").unwrap(), (Status::Active, 3));
    let mut last = step(3, 3, vec![turn("interviewer", "bye")]);
    last.finish = Some(Finish {
        scorecard_json: "{}".into(),
        level: "intermediate".into(),
        score: 50,
        now_ms: 9,
    });
    store.append("p1", &last).unwrap();
    let loaded = store.load("p1").unwrap();
    assert_eq!(
        store.progress("p1").unwrap(),
        (loaded.summary.status, loaded.events.len() as u64)
    );
    assert_eq!(store.progress("p1").unwrap(), (Status::Finished, 4));
    assert!(matches!(
        store.progress("nope"),
        Err(StoreError::NotFound(_))
    ));
}

/// An event number stored twice (two front ends on one session, one of them behind) is refused
/// as `Behind`, and nothing of the refused step is written.
pub fn an_event_number_taken_is_refused_as_behind(store: &dyn Store) {
    store.create(&session("b1", 1)).unwrap();
    store
        .append("b1", &step(0, 0, vec![turn("candidate", "first")]))
        .unwrap();
    let again = store.append("b1", &step(0, 5, vec![turn("candidate", "stale copy")]));
    assert!(matches!(again, Err(StoreError::Behind(_))), "{again:?}");
    let s = store.load("b1").unwrap();
    assert_eq!(s.events.len(), 1);
    assert_eq!(s.turns.len(), 1);
    assert_eq!(s.turns[0].text, "first");
    assert_eq!(s.summary.last_at_ms, 0, "the refused step changed nothing");
}

/// Defines one test per contract function for a backend; `$open` makes a fresh store with
/// whatever must outlive it (or returns early when the backend is not available).
#[macro_export]
macro_rules! contract_tests {
    ($open:block; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let (_keep, store): (_, Box<dyn pipeprep_store::Store>) = $open;
                $crate::contract::$name(&*store);
            }
        )*
    };
}

/// Runs every contract function against each backend: SQLite always, PostgreSQL when a test
/// cluster's URL is in PIPEPREP_TEST_DATABASE_URL (`.ci/run` always provides one).
macro_rules! every_contract {
    ($open:block) => {
        $crate::contract_tests!($open;
            lifecycle,
            llm_usage_is_recorded_and_listed,
            text_round_trips_exactly,
            turns_are_numbered_in_order,
            progress_matches_what_is_stored,
            an_event_number_taken_is_refused_as_behind,
        );
    };
}

mod on_sqlite {
    every_contract!({
        let dir = tempfile::tempdir().unwrap();
        let store =
            pipeprep_store::SqliteStore::open(&dir.path().join("nested/dir/pipeprep.db")).unwrap();
        (dir, Box::new(store))
    });
}

mod on_postgres {
    every_contract!({
        let Some(db) = crate::pg::fresh_db() else {
            return;
        };
        let user = db
            .store
            .create_user(
                "contract-user",
                "contract password",
                pipeprep_store::Role::Learner,
                1,
            )
            .unwrap();
        let store = db.store.for_user(&user);
        (db, Box::new(store))
    });
}

#[test]
fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store.create(&session("keep", 1)).unwrap();
        store
            .append("keep", &step(0, 0, vec![turn("interviewer", "hi")]))
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.load("keep").unwrap().turns.len(), 1);
}

#[test]
fn a_version_1_database_gains_the_llm_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, scenario TEXT NOT NULL, config_json TEXT NOT NULL, \
             created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'active', \
             last_at_ms INTEGER NOT NULL DEFAULT 0, scorecard_json TEXT, overall_level TEXT, overall_score INTEGER);
             CREATE INDEX sessions_by_created ON sessions(created_ms);
             CREATE TABLE events (session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, seq INTEGER NOT NULL, \
             at_ms INTEGER NOT NULL, event_json TEXT NOT NULL, PRIMARY KEY (session_id, seq));
             CREATE TABLE turns (session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, idx INTEGER NOT NULL, \
             speaker TEXT NOT NULL, text TEXT NOT NULL, phase TEXT NOT NULL, act TEXT, PRIMARY KEY (session_id, idx));
             INSERT INTO sessions (id, scenario, config_json, created_ms, updated_ms) VALUES ('old1', 'late-arrivals', '{}', 1, 1);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.load("old1").unwrap().summary.llm, None);
    store
        .record_llm(
            "old1",
            &pipeprep_store::LlmUsage {
                model: "m".into(),
                prompt_tokens: 1,
                completion_tokens: 2,
                offline_turns: 0,
                reviewed: false,
            },
        )
        .unwrap();
    assert_eq!(
        store.list().unwrap()[0].llm.as_ref().unwrap().prompt_tokens,
        1
    );
}
