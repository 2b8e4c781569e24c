//! PostgreSQL: a fresh database per test on the cluster PIPEPREP_TEST_DATABASE_URL names.
//! Without it (a developer's `cargo test`), these tests print `SKIPPED: …` and pass; `.ci/run`
//! starts a cluster and sets PIPEPREP_REQUIRE_PG, under which a missing URL fails instead.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pipeprep_store::{
    Finish, LlmUsage, PgStore, Role, SavedState, Status, Step, Store, StoreError, User, UserStore,
};

use crate::contract::{session, step, turn};

pub struct TestDb {
    pub store: PgStore,
    pub url: String,
}

/// A new, empty database on the test cluster, with pipeprep's schema; `None` (after printing
/// why) when no cluster was given.
pub fn fresh_db() -> Option<TestDb> {
    let url = std::env::var("PIPEPREP_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty());
    let Some(url) = url else {
        assert!(
            std::env::var_os("PIPEPREP_REQUIRE_PG").is_none(),
            "PIPEPREP_REQUIRE_PG is set but PIPEPREP_TEST_DATABASE_URL is not: start a cluster with scripts/pg-test-cluster"
        );
        println!(
            "SKIPPED: PIPEPREP_TEST_DATABASE_URL is not set — `eval \"$(scripts/pg-test-cluster start)\"` (or `bash .ci/run`) runs the PostgreSQL tests"
        );
        return None;
    };
    let url = create_database(&url);
    let store = PgStore::open(&url).unwrap();
    Some(TestDb { store, url })
}

/// Creates a uniquely named database through the cluster URL and returns a URL for it.
fn create_database(admin_url: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "pp_test_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
            .await
            .expect("connect to the test cluster");
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        drop(client);
        let _ = task.await;
    });
    let config: tokio_postgres::Config = admin_url.parse().unwrap();
    let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut parts = Vec::new();
    for (i, h) in config.get_hosts().iter().enumerate() {
        let host = match h {
            tokio_postgres::config::Host::Tcp(s) => s.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        };
        parts.push(format!("host={}", quote(&host)));
        if let Some(port) = config.get_ports().get(i) {
            parts.push(format!("port={port}"));
        }
    }
    if let Some(u) = config.get_user() {
        parts.push(format!("user={}", quote(u)));
    }
    if let Some(p) = config.get_password() {
        parts.push(format!("password={}", quote(&String::from_utf8_lossy(p))));
    }
    parts.push(format!("dbname={name}"));
    parts.join(" ")
}

fn scorecard(levels: &[(&str, &str)]) -> String {
    let dims: Vec<String> = levels
        .iter()
        .map(|(id, level)| {
            format!("{{\"id\":\"{id}\",\"level\":\"{level}\",\"justification\":\"…\"}}")
        })
        .collect();
    format!(
        "{{\"scenario\":\"late-arrivals\",\"dimensions\":[{}]}}",
        dims.join(",")
    )
}

fn finish(levels: &[(&str, &str)], at: i64) -> Finish {
    Finish {
        scorecard_json: scorecard(levels),
        level: "intermediate".into(),
        score: 50,
        now_ms: at,
    }
}

fn user(db: &TestDb, name: &str, role: Role) -> User {
    db.store
        .create_user(name, "a long enough password", role, 1)
        .unwrap()
}

/// Everything user A has, and what A's session looks like, to compare after B's attempts.
fn seed_alice(db: &TestDb) -> (UserStore, pipeprep_store::Stored) {
    let alice = db.store.for_user(&user(db, "alice", Role::Learner));
    alice.create(&session("alice-1", 10)).unwrap();
    alice
        .append(
            "alice-1",
            &step(0, 0, vec![turn("interviewer", "Welcome, Alice.")]),
        )
        .unwrap();
    alice
        .append(
            "alice-1",
            &step(1, 90, vec![turn("candidate", "Kafka into Flink.")]),
        )
        .unwrap();
    let before = alice.load("alice-1").unwrap();
    (alice, before)
}

#[test]
fn another_users_session_is_not_found_by_any_store_method() {
    let Some(db) = fresh_db() else { return };
    let (alice, before) = seed_alice(&db);
    let bob = db.store.for_user(&user(&db, "bob", Role::Learner));
    let id = "alice-1";

    let not_found = |r: Result<(), StoreError>, what: &str| match r {
        Err(StoreError::NotFound(shown)) => assert_eq!(shown, id, "{what}"),
        other => panic!("{what}: expected not found, got {other:?}"),
    };
    match bob.load(id) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("load: expected not found, got {other:?}"),
    }
    not_found(
        bob.append(id, &step(2, 100, vec![turn("candidate", "bob was here")]))
            .map(|_| ()),
        "append",
    );
    not_found(bob.reword(id, 0, "bob was here", "llm"), "reword");
    not_found(
        bob.finish(id, &finish(&[("cost_awareness", "expert")], 5)),
        "finish",
    );
    not_found(
        bob.record_llm(
            id,
            &LlmUsage {
                model: "bob-model".into(),
                prompt_tokens: 1,
                completion_tokens: 1,
                offline_turns: 0,
                reviewed: true,
            },
        ),
        "record_llm",
    );
    assert!(!bob.delete(id).unwrap(), "delete reports nothing deleted");
    assert!(bob.list().unwrap().is_empty(), "list shows only bob's own");
    // Ids are global, so creating one that exists is refused — without touching Alice's row.
    assert!(matches!(
        bob.create(&session(id, 20)),
        Err(StoreError::Exists(_))
    ));

    // Alice's session is exactly as it was.
    assert_eq!(alice.load(id).unwrap(), before);
    assert_eq!(alice.list().unwrap().len(), 1);

    // And Bob's own sessions work, invisible to Alice.
    bob.create(&session("bob-1", 30)).unwrap();
    bob.append("bob-1", &step(0, 0, vec![turn("interviewer", "Hi Bob.")]))
        .unwrap();
    assert!(matches!(alice.load("bob-1"), Err(StoreError::NotFound(_))));
    assert_eq!(
        alice
            .list()
            .unwrap()
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["alice-1"]
    );
}

#[test]
fn a_session_continues_through_a_second_instance() {
    let Some(db) = fresh_db() else { return };
    let (first, _) = seed_alice(&db);
    // Another pipeprep instance: its own pool, the same database.
    let second_store = PgStore::open(&db.url).unwrap();
    let alice = second_store.user("alice").unwrap().unwrap();
    let second = second_store.for_user(&alice);
    assert_eq!(second.load("alice-1").unwrap().turns.len(), 2);
    let idx = second
        .append(
            "alice-1",
            &Step {
                finish: Some(finish(&[("failure_modes", "expert")], 500)),
                ..step(
                    2,
                    180,
                    vec![turn("candidate", "/end"), turn("interviewer", "Thanks!")],
                )
            },
        )
        .unwrap();
    assert_eq!(
        idx, 2,
        "numbering continues from what the first instance stored"
    );
    let s = first.load("alice-1").unwrap();
    assert_eq!(s.summary.status, Status::Finished);
    assert_eq!(s.events.iter().map(|e| e.0).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(s.turns.last().unwrap().text, "Thanks!");
}

#[test]
fn concurrent_appends_from_two_instances_lose_nothing() {
    let Some(db) = fresh_db() else { return };
    let a = db.store.clone();
    let b = PgStore::open(&db.url).unwrap();
    let u = user(&db, "busy", Role::Learner);
    for i in 0..4 {
        a.for_user(&u)
            .create(&session(&format!("s{i}"), i))
            .unwrap();
    }
    // Four threads over two instances, each writing 25 steps of two turns to its own session,
    // plus interleaved steps on a shared one.
    std::thread::scope(|scope| {
        for i in 0..4u64 {
            let store = if i % 2 == 0 {
                a.for_user(&u)
            } else {
                b.for_user(&u)
            };
            scope.spawn(move || {
                for seq in 0..25u64 {
                    let turns = vec![turn("candidate", "q"), turn("interviewer", "a")];
                    store
                        .append(&format!("s{i}"), &step(seq, seq, turns))
                        .unwrap();
                }
            });
        }
    });
    for i in 0..4 {
        let s = a.for_user(&u).load(&format!("s{i}")).unwrap();
        assert_eq!(s.events.len(), 25);
        assert_eq!(s.turns.len(), 50);
    }
    let shared = a.for_user(&u);
    shared.create(&session("shared", 9)).unwrap();
    std::thread::scope(|scope| {
        for (k, store) in [a.for_user(&u), b.for_user(&u)].into_iter().enumerate() {
            scope.spawn(move || {
                for n in 0..20u64 {
                    let seq = n * 2 + k as u64;
                    store
                        .append(
                            "shared",
                            &step(seq, seq, vec![turn("candidate", &seq.to_string())]),
                        )
                        .unwrap();
                }
            });
        }
    });
    let s = shared.load("shared").unwrap();
    assert_eq!(s.turns.len(), 40, "no turn lost or overwritten");
    let mut said: Vec<u64> = s.turns.iter().map(|t| t.text.parse().unwrap()).collect();
    said.sort_unstable();
    assert_eq!(said, (0..40).collect::<Vec<_>>());
}

#[test]
fn accounts_hash_passwords_and_tokens() {
    let Some(db) = fresh_db() else { return };
    let pg = &db.store;
    let ana = pg
        .create_user("ana", "correct horse battery", Role::Learner, 1)
        .unwrap();
    assert_eq!(ana.role, Role::Learner);
    assert!(matches!(
        pg.create_user("ana", "another password", Role::Learner, 2),
        Err(StoreError::UserExists(_))
    ));
    assert!(matches!(
        pg.create_user("has space", "long enough pw", Role::Learner, 2),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        pg.create_user("short-pw", "1234567", Role::Learner, 2),
        Err(StoreError::Invalid(_))
    ));

    assert_eq!(
        pg.check_login("ana", "correct horse battery").unwrap(),
        Some(ana.clone())
    );
    assert_eq!(
        pg.check_login("ana", "correct horse batterY").unwrap(),
        None
    );
    assert_eq!(
        pg.check_login("nobody", "correct horse battery").unwrap(),
        None
    );

    let now = 1_000_000;
    let token = pg
        .issue_token(&ana, now, Duration::from_secs(3600))
        .unwrap();
    assert_eq!(token.len(), 64);
    let other = pg
        .issue_token(&ana, now, Duration::from_secs(7200))
        .unwrap();
    assert_ne!(token, other, "tokens are random");
    assert_eq!(
        pg.user_for_token(&token, now + 1).unwrap(),
        Some(ana.clone())
    );
    assert_eq!(
        pg.user_for_token(&token, now + 3_600_000).unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        pg.user_for_token("0".repeat(64).as_str(), now).unwrap(),
        None
    );
    assert!(pg.revoke_token(&token).unwrap());
    assert_eq!(
        pg.user_for_token(&token, now + 1).unwrap(),
        None,
        "logged out"
    );
    assert_eq!(
        pg.user_for_token(&other, now + 1).unwrap(),
        Some(ana.clone())
    );
    let short = pg.issue_token(&ana, now, Duration::from_secs(1)).unwrap();
    assert_eq!(pg.purge_expired_tokens(now + 3_600_000).unwrap(), 1);
    assert_eq!(pg.user_for_token(&short, now).unwrap(), None, "purged");

    pg.set_password("ana", "a new passphrase").unwrap();
    assert_eq!(
        pg.check_login("ana", "correct horse battery").unwrap(),
        None
    );
    assert!(pg.check_login("ana", "a new passphrase").unwrap().is_some());
    assert!(matches!(
        pg.set_password("nobody", "a new passphrase"),
        Err(StoreError::NoUser(_))
    ));

    // What is at rest: an Argon2id hash, not the password; a SHA-256, not the token.
    let rows = raw_query(
        &db.url,
        "SELECT password_hash FROM users UNION ALL SELECT encode(token_hash, 'hex') FROM auth_tokens",
    );
    assert_eq!(rows.len(), 2);
    assert!(rows[0].starts_with("$argon2id$"), "{}", rows[0]);
    assert!(!rows[0].contains("a new passphrase"));
    assert_ne!(rows[1], other);
    assert_eq!(rows[1].len(), 64);
}

#[test]
fn failed_logins_are_counted_in_a_window_shared_by_instances() {
    let Some(db) = fresh_db() else { return };
    let a = &db.store;
    let b = PgStore::open(&db.url).unwrap();
    let window = Duration::from_secs(60);
    assert_eq!(a.note_login_failure("ana", 1_000, window).unwrap(), 1);
    assert_eq!(b.note_login_failure("ana", 2_000, window).unwrap(), 2);
    assert_eq!(a.note_login_failure("ana", 3_000, window).unwrap(), 3);
    assert_eq!(b.login_failures("ana", 3_500, window).unwrap(), 3);
    assert_eq!(b.login_failures("bob", 3_500, window).unwrap(), 0);
    // The window closes 60 s after its first failure; the next failure opens a new one.
    assert_eq!(a.login_failures("ana", 61_000, window).unwrap(), 0);
    assert_eq!(a.note_login_failure("ana", 61_000, window).unwrap(), 1);
    b.clear_login_failures("ana").unwrap();
    assert_eq!(a.login_failures("ana", 61_500, window).unwrap(), 0);
}

#[test]
fn an_instructor_sees_the_cohorts_progress_and_weakest_dimensions() {
    let Some(db) = fresh_db() else { return };
    let pg = &db.store;
    let teacher = user(&db, "teacher", Role::Instructor);
    let rival = user(&db, "rival", Role::Instructor);
    let ana = user(&db, "ana", Role::Learner);
    let ben = user(&db, "ben", Role::Learner);
    let outsider = user(&db, "outsider", Role::Learner);

    pg.create_cohort(&teacher, "spring-26", 1).unwrap();
    assert!(matches!(
        pg.create_cohort(&ana, "ana-cohort", 1),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        pg.create_cohort(&rival, "spring-26", 1),
        Err(StoreError::Invalid(_))
    ));
    assert!(pg.add_to_cohort(&teacher, "spring-26", "ana").unwrap());
    assert!(pg.add_to_cohort(&teacher, "spring-26", "ben").unwrap());
    assert!(
        !pg.add_to_cohort(&teacher, "spring-26", "ben").unwrap(),
        "already in"
    );
    assert!(matches!(
        pg.add_to_cohort(&teacher, "spring-26", "ghost"),
        Err(StoreError::NoUser(_))
    ));
    assert!(matches!(
        pg.add_to_cohort(&rival, "spring-26", "outsider"),
        Err(StoreError::NoCohort(_))
    ));

    let play = |u: &User, id: &str, at: i64, levels: &[(&str, &str)]| {
        let s = pg.for_user(u);
        s.create(&session(id, at)).unwrap();
        s.append(
            id,
            &Step {
                finish: Some(finish(levels, at)),
                ..step(0, 0, vec![turn("interviewer", "Thanks!")])
            },
        )
        .unwrap();
    };
    // Ana improves on failure modes; Ben is weak on cost. The outsider's sessions never count.
    play(
        &ana,
        "ana-1",
        100,
        &[
            ("failure_modes", "novice"),
            ("cost_awareness", "intermediate"),
        ],
    );
    play(
        &ana,
        "ana-2",
        200,
        &[
            ("failure_modes", "expert"),
            ("cost_awareness", "intermediate"),
        ],
    );
    play(
        &ben,
        "ben-1",
        150,
        &[
            ("failure_modes", "intermediate"),
            ("cost_awareness", "novice"),
        ],
    );
    play(
        &outsider,
        "out-1",
        120,
        &[("failure_modes", "novice"), ("cost_awareness", "novice")],
    );
    // An unfinished session is not progress.
    pg.for_user(&ben).create(&session("ben-2", 300)).unwrap();

    let progress = pg.cohort_progress(&teacher, "spring-26").unwrap();
    assert_eq!(
        progress
            .iter()
            .map(|p| (p.username.as_str(), p.sessions_finished))
            .collect::<Vec<_>>(),
        [("ana", 2), ("ben", 1)]
    );
    let ana_failures: Vec<(&str, i64, &str)> = progress[0]
        .points
        .iter()
        .filter(|p| p.dimension == "failure_modes")
        .map(|p| (p.session_id.as_str(), p.finished_ms, p.level.as_str()))
        .collect();
    assert_eq!(
        ana_failures,
        [("ana-1", 100, "novice"), ("ana-2", 200, "expert")]
    );

    // Latest per learner: ana-2 (failure expert=2, cost intermediate=1), ben-1 (1, 0).
    let weakest = pg.cohort_weakest(&teacher, "spring-26").unwrap();
    let got: Vec<(&str, f64, u64)> = weakest
        .iter()
        .map(|w| (w.dimension.as_str(), w.mean_rank, w.learners))
        .collect();
    assert_eq!(got, [("cost_awareness", 0.5, 2), ("failure_modes", 1.5, 2)]);

    // Only the instructor who leads the cohort sees it.
    for who in [&rival, &ana] {
        assert!(matches!(
            pg.cohort_progress(who, "spring-26"),
            Err(StoreError::NoCohort(_))
        ));
        assert!(matches!(
            pg.cohort_weakest(who, "spring-26"),
            Err(StoreError::NoCohort(_))
        ));
    }
}

/// The engine's state is written with the turn that produced it and replaces the previous one;
/// an append that is refused (another instance took the number) or that names another user's
/// session leaves it as it was, and it goes with its session.
#[test]
fn a_snapshot_is_stored_with_its_turn_and_replaced_by_the_next() {
    let Some(db) = fresh_db() else { return };
    let alice = db.store.for_user(&user(&db, "alice", Role::Learner));
    let bob = db.store.for_user(&user(&db, "bob", Role::Learner));
    assert!(alice.keeps_snapshots());
    alice.create(&session("snap-1", 10)).unwrap();
    assert_eq!(alice.load("snap-1").unwrap().snapshot, None);
    let with = |data: Vec<u8>, s: Step| Step {
        snapshot: Some(data),
        ..s
    };
    alice
        .append(
            "snap-1",
            &with(vec![1, 2, 3], step(0, 0, vec![turn("interviewer", "Hi")])),
        )
        .unwrap();
    assert_eq!(
        alice.load("snap-1").unwrap().snapshot,
        Some(SavedState {
            events: 1,
            data: vec![1, 2, 3]
        })
    );
    let big = vec![4u8; 50_000];
    alice
        .append(
            "snap-1",
            &with(big.clone(), step(1, 5, vec![turn("candidate", "Kafka")])),
        )
        .unwrap();
    let err = alice
        .append(
            "snap-1",
            &with(vec![9], step(1, 6, vec![turn("candidate", "again")])),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Behind(_)), "{err}");
    let err = bob
        .append(
            "snap-1",
            &with(vec![9], step(2, 7, vec![turn("candidate", "bob")])),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let s = alice.load("snap-1").unwrap();
    assert_eq!(s.events.len(), 2);
    assert_eq!(
        s.snapshot,
        Some(SavedState {
            events: 2,
            data: big
        })
    );
    // A step without one leaves the last one (which then accounts for fewer events).
    alice
        .append("snap-1", &step(2, 8, vec![turn("candidate", "Flink")]))
        .unwrap();
    let s = alice.load("snap-1").unwrap();
    assert_eq!((s.events.len(), s.snapshot.unwrap().events), (3, 2));
    assert!(alice.delete("snap-1").unwrap());
    assert_eq!(
        raw_query(&db.url, "SELECT COUNT(*)::text FROM session_snapshots"),
        ["0"]
    );
}

/// A database at schema 1 (before snapshots) gets the snapshot table when an instance opens it.
#[test]
fn a_schema_1_database_is_migrated_to_snapshots() {
    let Some(db) = fresh_db() else { return };
    raw_query(
        &db.url,
        "WITH d AS (DELETE FROM pipeprep_schema WHERE version = 2 RETURNING 1) SELECT 'x'::text",
    );
    raw_query(&db.url, "DROP TABLE session_snapshots");
    let store = PgStore::open(&db.url).unwrap();
    assert_eq!(store.schema_version().unwrap(), 2);
    assert_eq!(
        raw_query(&db.url, "SELECT COUNT(*)::text FROM session_snapshots"),
        ["0"]
    );
}

#[test]
fn instances_starting_together_migrate_once() {
    let Some(db) = fresh_db() else { return };
    let opened: Vec<Result<PgStore, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| PgStore::open(&db.url))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for store in opened {
        assert_eq!(store.unwrap().schema_version().unwrap(), 2);
    }
    raw_query(
        &db.url,
        "INSERT INTO pipeprep_schema VALUES (99, 0) RETURNING 'x'::text",
    );
    let err = PgStore::open(&db.url).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("upgrade pipeprep"), "{err}");
}

#[test]
fn an_unreachable_server_is_one_clear_error_without_the_password() {
    // Needs no cluster: nothing listens in an empty directory.
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "host={} port=5432 user=pp password=hunter2 dbname=pipeprep",
        dir.path().display()
    );
    let err = PgStore::open(&url).unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("cannot reach the database"), "{msg}");
    assert!(msg.contains("pp@"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
}

/// Runs one query through a plain connection and returns the first column as text.
fn raw_query(url: &str, sql: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .query(sql, &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect()
    })
}
