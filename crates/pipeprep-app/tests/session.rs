//! A live session against a store that refuses to write: the turn fails with a message and the
//! interview is left exactly as it was, so what is stored and what the interviewer knows never
//! diverge.

use std::cell::Cell;

use pipeprep_app::session::LiveSession;
use pipeprep_core::Knowledge;
use pipeprep_core::interview::{Event, InterviewConfig};
use pipeprep_store::{Finish, LlmUsage, NewSession, Step, Store, StoreError, Stored, Summary};

/// Accepts the session and the greeting, then fails every write like a full disk.
struct FailingStore {
    appends: Cell<usize>,
}

impl Store for FailingStore {
    fn create(&self, _: &NewSession) -> Result<(), StoreError> {
        Ok(())
    }
    fn append(&self, _: &str, _: &Step) -> Result<u64, StoreError> {
        self.appends.set(self.appends.get() + 1);
        if self.appends.get() > 1 {
            Err(StoreError::DiskFull {
                path: "test.db".into(),
            })
        } else {
            Ok(0)
        }
    }
    fn reword(&self, _: &str, _: u64, _: &str, _: &str) -> Result<(), StoreError> {
        Err(StoreError::DiskFull {
            path: "test.db".into(),
        })
    }
    fn finish(&self, _: &str, _: &Finish) -> Result<(), StoreError> {
        Ok(())
    }
    fn record_llm(&self, _: &str, _: &LlmUsage) -> Result<(), StoreError> {
        Ok(())
    }
    fn list(&self) -> Result<Vec<Summary>, StoreError> {
        Ok(vec![])
    }
    fn load(&self, id: &str) -> Result<Stored, StoreError> {
        Err(StoreError::NotFound(id.into()))
    }
    fn delete(&self, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
}

#[test]
fn a_failed_save_fails_the_turn_and_changes_nothing() {
    let k = Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap();
    let store = FailingStore {
        appends: Cell::new(0),
    };
    let cfg = InterviewConfig {
        scenario: "clickstream-analytics".into(),
        seed: 1,
        hard: false,
        focus: vec![],
    };
    let (mut live, greeting) = LiveSession::start(&k, &store, cfg).unwrap();
    assert!(!greeting.is_empty());
    let before = live.interview().transcript().clone();
    let err = live
        .handle(Event::Answer {
            text: "What is the peak?".into(),
            at_ms: 1000,
        })
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("not saved") && msg.contains("disk") && msg.contains("full"),
        "{msg}"
    );
    assert_eq!(
        live.interview().transcript(),
        &before,
        "the interview did not move on"
    );
    assert!(
        live.interview().revealed().is_empty(),
        "no requirement was revealed"
    );
}

/// Ten answers that take an interview from the requirements to the wrap-up.
const ANSWERS: [&str; 10] = [
    "What is the peak traffic in events per second, and how big is each event?",
    "What latency does the dashboard need, and how fresh must the hourly reports be?",
    "How long do we keep the raw data, and what is the budget?",
    "Click Events -> Kafka -> Flink (5s window) -> Redis (Dashboard)\nKafka -> S3 (Raw Data) -> Spark Hourly -> Snowflake (Reports)",
    "Flink over Spark Structured Streaming because the dashboard needs seconds, not micro-batches.",
    "At 10x I would add Kafka partitions and Flink parallelism, and watch for hot keys.",
    "If a broker dies, replication factor 3 keeps the data; consumers resume from committed offsets.",
    "For duplicates I would deduplicate on event id in Flink with a TTL'd keyed state.",
    "Data quality: schema registry, null checks and freshness alerts on the hourly tables.",
    "Cost: S3 lifecycle to Glacier after 90 days and spot instances for the hourly Spark jobs.",
];

/// The i-th candidate event: the answers, then `/end` (as a scripted run ends).
fn answer(i: usize) -> Event {
    let at_ms = (i as u64 + 1) * 90_000;
    match ANSWERS.get(i) {
        Some(text) => Event::Answer {
            text: (*text).into(),
            at_ms,
        },
        None => Event::Command {
            command: pipeprep_core::interview::Command::End,
            at_ms,
        },
    }
}

/// Two pipeprep instances on one PostgreSQL database take turns on one interview: each rebuilds
/// it from the stored events (as `resume` does) and carries on. The stored interview is the
/// same, turn for turn, as one process running it alone against SQLite.
#[test]
fn an_interview_moves_between_two_instances_on_one_postgres_database() {
    let Some(url) = std::env::var("PIPEPREP_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        assert!(
            std::env::var_os("PIPEPREP_REQUIRE_PG").is_none(),
            "PIPEPREP_REQUIRE_PG is set but PIPEPREP_TEST_DATABASE_URL is not"
        );
        println!(
            "SKIPPED: PIPEPREP_TEST_DATABASE_URL is not set — `bash .ci/run` starts a PostgreSQL test cluster"
        );
        return;
    };
    let k = Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap();
    let cfg = InterviewConfig {
        scenario: "clickstream-analytics".into(),
        seed: 7,
        hard: false,
        focus: vec![],
    };

    // The reference: one process, one SQLite file.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = pipeprep_store::SqliteStore::open(&dir.path().join("p.db")).unwrap();
    let (mut alone, _) = LiveSession::start(&k, &sqlite, cfg.clone()).unwrap();
    let mut used = 0;
    while !alone.interview().is_done() && used <= ANSWERS.len() {
        alone.handle(answer(used)).unwrap();
        used += 1;
    }
    let reference = sqlite.load(alone.id()).unwrap();
    assert_eq!(reference.summary.status, pipeprep_store::Status::Finished);

    // Two instances: each its own PgStore (own pool), one database.
    let a = pipeprep_store::PgStore::open(&url).unwrap();
    let b = pipeprep_store::PgStore::open(&url).unwrap();
    let name = format!(
        "two-instances-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let user = a
        .create_user(&name, "two instances pw", pipeprep_store::Role::Learner, 1)
        .unwrap();
    let (on_a, on_b) = (a.for_user(&user), b.for_user(&user));
    let (live, _) = LiveSession::start(&k, &on_a, cfg).unwrap();
    let id = live.id().to_string();
    drop(live);
    // Alternate instances every two answers; each picks up from the database alone.
    for (i, chunk) in (0..used).collect::<Vec<_>>().chunks(2).enumerate() {
        let store: &dyn Store = if i % 2 == 0 { &on_b } else { &on_a };
        let (mut live, _) = LiveSession::resume(&k, store, &id).unwrap();
        for &n in chunk {
            live.handle(answer(n)).unwrap();
        }
    }
    let shared = on_a.load(&id).unwrap();
    assert_eq!(shared.summary.status, pipeprep_store::Status::Finished);
    assert_eq!(
        shared.turns, reference.turns,
        "the same interview, turn for turn"
    );
    assert_eq!(
        shared.events.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>(),
        reference
            .events
            .iter()
            .map(|e| (e.0, e.1))
            .collect::<Vec<_>>()
    );
    assert_eq!(shared.scorecard_json, reference.scorecard_json);
    assert_eq!(on_b.list().unwrap().len(), 1);
}
