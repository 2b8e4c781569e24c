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
