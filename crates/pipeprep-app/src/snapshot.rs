//! The engine's state saved with every few turns, so that a server instance taking an interview over
//! (another instance wrote it, or died) restores it in microseconds instead of replaying every
//! event through the engine, which re-reads every answer.
//!
//! A snapshot is only a shortcut: the events stay the record. It is used when it is whole, of
//! this format, and made by an engine with the same fingerprint — the same state layout, the
//! same pipeprep version and the same bank — and otherwise ignored, and the events are
//! replayed. Either way the interview is the same, so the reply is too.
//!
//! Layout: `PPSN`, a format byte, the fingerprint and a checksum of the payload (8 bytes each,
//! little-endian), then the payload: the [`Interview`] as JSON. The checksum catches a damaged
//! payload that would still decode (a changed letter in a quote).
//!
//! Why JSON: measured on 15-answer interviews (`examples/rebuild_cost.rs`), CBOR through
//! ciborium — the only binary serde format in the tree — was 13.9 KB against 14.7 KB, since it
//! also writes every field name and the state is mostly the candidate's and the interviewer's
//! words, and slower to read (0.083 ms against 0.063 ms). JSON needs no new dependency and can
//! be read in `psql`; PostgreSQL compresses the column. The state holds no floating-point
//! numbers, whose JSON round trip could be off by one unit in the last place: give a new one a
//! test in `a_restored_interview_replies_as_the_original_from_every_turn`'s spirit, or a
//! representation that is exact.

use pipeprep_core::Knowledge;
use pipeprep_core::interview::{Interview, STATE_LAYOUT};
use pipeprep_core::knowledge::Fnv;

const MAGIC: &[u8; 4] = b"PPSN";
/// The envelope's version: bump when the layout above or the payload's encoding changes.
const FORMAT: u8 = 1;
const HEADER: usize = MAGIC.len() + 1 + 8 + 8;

/// Why a snapshot was not used; the caller replays the events instead.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Unusable {
    #[error("not a pipeprep snapshot")]
    NotOurs,
    #[error("snapshot format {0}, this build reads {FORMAT}")]
    Format(u8),
    #[error(
        "made by another build or with another bank (fingerprint {found:016x}, here {here:016x})"
    )]
    Foreign { found: u64, here: u64 },
    #[error("the snapshot is damaged (checksum)")]
    Damaged,
    #[error("the snapshot does not decode: {0}")]
    Corrupt(String),
    #[error("the snapshot does not fit the bank: {0}")]
    Misfit(String),
}

/// What a snapshot must have been made with to be used here: the state layout, this format,
/// the pipeprep version and the bank's content.
pub fn fingerprint(k: &Knowledge) -> u64 {
    let mut h = Fnv::new();
    h.eat(env!("CARGO_PKG_VERSION").as_bytes());
    h.eat(&STATE_LAYOUT.to_le_bytes());
    h.eat(&[FORMAT]);
    h.eat(&k.content_hash().to_le_bytes());
    h.finish()
}

fn checksum(payload: &[u8]) -> u64 {
    let mut h = Fnv::new();
    h.eat(payload);
    h.finish()
}

/// The interview's state as stored beside its events; `None` if it cannot be written (then the
/// turn is stored without one and a takeover replays).
pub fn encode(k: &Knowledge, iv: &Interview) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(8 * 1024);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    out.extend_from_slice(&fingerprint(k).to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    serde_json::to_writer(&mut out, iv).ok()?;
    let sum = checksum(&out[HEADER..]);
    out[HEADER - 8..HEADER].copy_from_slice(&sum.to_le_bytes());
    Some(out)
}

/// The interview a snapshot holds, with its scenario from `k`.
pub fn decode(k: &Knowledge, data: &[u8]) -> Result<Interview, Unusable> {
    if data.len() < HEADER || &data[..MAGIC.len()] != MAGIC {
        return Err(Unusable::NotOurs);
    }
    let format = data[MAGIC.len()];
    if format != FORMAT {
        return Err(Unusable::Format(format));
    }
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&data[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let (found, here) = (word(MAGIC.len() + 1), fingerprint(k));
    if found != here {
        return Err(Unusable::Foreign { found, here });
    }
    if word(HEADER - 8) != checksum(&data[HEADER..]) {
        return Err(Unusable::Damaged);
    }
    let iv: Interview =
        serde_json::from_slice(&data[HEADER..]).map_err(|e| Unusable::Corrupt(e.to_string()))?;
    iv.restore(k).map_err(Unusable::Misfit)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::sync::OnceLock;

    use pipeprep_core::interview::{Command, Effect, Event, InterviewConfig};
    use pipeprep_store::{
        Finish, LlmUsage, NewSession, SavedState, SqliteStore, Step, Store, StoreError, Stored,
        Summary,
    };

    use super::*;
    use crate::session::{LiveSession, Rebuilt};

    fn knowledge() -> &'static Knowledge {
        static K: OnceLock<Knowledge> = OnceLock::new();
        K.get_or_init(|| crate::knowledge(crate::load_bank(None).unwrap()).unwrap())
    }

    /// The same build with a bank that differs only in a scenario the tests do not use: its
    /// snapshots are foreign here although its interviews of clickstream go the same way.
    fn other_knowledge() -> Knowledge {
        let mut bank = crate::load_bank(None).unwrap();
        let other = bank
            .scenarios
            .iter_mut()
            .find(|s| s.id == "dedup-at-scale")
            .unwrap();
        other.prompt.push_str(" (edited)");
        crate::knowledge(bank).unwrap()
    }

    /// A scripted candidate from the core's fixtures: answers separated by `---` lines.
    fn script(name: &str) -> Vec<String> {
        let path = format!(
            "{}/../pipeprep-core/tests/fixtures/answers/{name}.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let mut input = std::io::Cursor::new(text);
        std::iter::from_fn(|| crate::scripted::read_answer(&mut input).unwrap())
            .filter(|a| !a.is_empty())
            .collect()
    }

    fn cfg(scenario: &str, seed: u64) -> InterviewConfig {
        InterviewConfig {
            scenario: scenario.into(),
            seed,
            hard: false,
            focus: vec![],
        }
    }

    /// The events of a scripted interview: the greeting, the answers 90 s apart with a hint and
    /// a diagram asked for along the way, and `/end`.
    fn events(answers: &[String]) -> Vec<Event> {
        let mut texts: Vec<String> = answers.to_vec();
        texts.insert(2.min(texts.len()), "/hint".into());
        texts.insert(5.min(texts.len()), "/diagram".into());
        texts.push("/end".into());
        let mut out = vec![Event::Start { at_ms: 0 }];
        for (i, t) in texts.into_iter().enumerate() {
            let at_ms = 90_000 * (i as u64 + 1);
            out.push(match Command::parse(&t) {
                Some(Ok(command)) => Event::Command { command, at_ms },
                _ => Event::Answer { text: t, at_ms },
            });
        }
        out
    }

    /// What the candidate sees of a reply, and the scorecard JSON when it ends the interview.
    fn reply(effects: &[Effect]) -> String {
        let mut out = serde_json::to_string(effects).unwrap();
        for e in effects {
            if let Effect::Finish { scorecard } = e {
                out.push_str(&pipeprep_core::render::json(scorecard));
            }
        }
        out
    }

    /// For several scripted interviews, the state saved after every event and restored carries
    /// on exactly as the original: every later reply and the final scorecard are identical, and
    /// the restored state saves to the same bytes.
    #[test]
    fn a_restored_interview_replies_as_the_original_from_every_turn() {
        let k = knowledge();
        for (name, scenario, seed) in [
            ("clickstream-strong", "clickstream-analytics", 3),
            ("clickstream-weak", "clickstream-analytics", 4),
            ("dedup-middling", "dedup-at-scale", 5),
            ("payments-strong", "exactly-once-payments", 6),
            ("iot-paraphraser", "iot-telemetry", 7),
            ("generic", "late-arrivals", 8),
        ] {
            let events = events(&script(name));
            let mut iv = Interview::new(k, cfg(scenario, seed)).unwrap();
            let mut replies = Vec::new();
            let mut saved = Vec::new();
            for ev in &events {
                replies.push(reply(&iv.handle(k, ev.clone())));
                saved.push(encode(k, &iv).unwrap());
            }
            assert!(
                iv.is_done(),
                "{name}: the script does not end the interview"
            );
            assert!(
                replies.iter().any(|r| r.contains("\"dimensions\"")),
                "{name}: no scorecard"
            );
            // The state after the last event is of an ended interview: nothing follows it.
            for (at, state) in saved.iter().enumerate().take(events.len() - 1) {
                let mut restored = decode(k, state).unwrap();
                assert_eq!(
                    &encode(k, &restored).unwrap(),
                    state,
                    "{name}: the state restored after event {at} saves differently"
                );
                for (j, ev) in events.iter().enumerate().skip(at + 1) {
                    let got = reply(&restored.handle(k, ev.clone()));
                    assert_eq!(
                        got, replies[j],
                        "{name}: restored after event {at}, event {j} gets another reply"
                    );
                }
            }
        }
    }

    /// A store that keeps snapshots in memory beside a SQLite file, as PostgreSQL keeps them.
    struct Keeping {
        inner: SqliteStore,
        saved: RefCell<HashMap<String, SavedState>>,
    }

    impl Store for Keeping {
        fn create(&self, s: &NewSession) -> Result<(), StoreError> {
            self.inner.create(s)
        }
        fn append(&self, id: &str, step: &Step) -> Result<u64, StoreError> {
            let first = self.inner.append(id, step)?;
            if let Some(data) = &step.snapshot {
                self.saved.borrow_mut().insert(
                    id.to_string(),
                    SavedState {
                        events: step.seq + 1,
                        data: data.clone(),
                    },
                );
            }
            Ok(first)
        }
        fn reword(&self, id: &str, idx: u64, text: &str, voice: &str) -> Result<(), StoreError> {
            self.inner.reword(id, idx, text, voice)
        }
        fn finish(&self, id: &str, f: &Finish) -> Result<(), StoreError> {
            self.inner.finish(id, f)
        }
        fn record_llm(&self, id: &str, u: &LlmUsage) -> Result<(), StoreError> {
            self.inner.record_llm(id, u)
        }
        fn list(&self) -> Result<Vec<Summary>, StoreError> {
            self.inner.list()
        }
        fn load(&self, id: &str) -> Result<Stored, StoreError> {
            let mut s = self.inner.load(id)?;
            s.snapshot = self.saved.borrow().get(id).cloned();
            Ok(s)
        }
        fn delete(&self, id: &str) -> Result<bool, StoreError> {
            self.inner.delete(id)
        }
        fn keeps_snapshots(&self) -> bool {
            true
        }
    }

    /// The session runner stores the state with each turn; a rebuild restores it when it is
    /// valid (replaying on top the events after it when it is behind them) and otherwise
    /// (another bank, damaged, cut short, ahead of the events, missing, another format) replays,
    /// and the next reply is the same every way.
    #[test]
    fn an_unusable_snapshot_falls_back_to_the_replay_with_the_same_reply() {
        let k = knowledge();
        let dir = tempfile::tempdir().unwrap();
        let store = Keeping {
            inner: SqliteStore::open(&dir.path().join("t.db")).unwrap(),
            saved: RefCell::default(),
        };
        let answers = script("clickstream-middling");
        let (mut live, _) =
            LiveSession::start(k, &store, cfg("clickstream-analytics", 11)).unwrap();
        for (i, a) in answers.iter().take(4).enumerate() {
            live.handle(Event::Answer {
                text: a.clone(),
                at_ms: 60_000 * (i as u64 + 1),
            })
            .unwrap();
        }
        let stored = store.load(live.id()).unwrap();
        let saved = stored
            .snapshot
            .clone()
            .expect("the runner stored a snapshot");
        assert_eq!(saved.events, 5, "the greeting and four answers");
        let next = Event::Answer {
            text: answers[4].clone(),
            at_ms: 400_000,
        };
        let expected = reply(&live.interview().clone().handle(k, next.clone()));

        let other = other_knowledge();
        let foreign = encode(&other, live.interview()).unwrap();
        assert!(matches!(decode(k, &foreign), Err(Unusable::Foreign { .. })));
        let mut damaged = saved.data.clone();
        let mid = HEADER + (damaged.len() - HEADER) / 2;
        damaged[mid] ^= 0x20;
        assert_eq!(decode(k, &damaged).unwrap_err(), Unusable::Damaged);
        let cut = saved.data[..saved.data.len() - 7].to_vec();
        let mut format = saved.data.clone();
        format[MAGIC.len()] = FORMAT + 1;
        assert_eq!(
            decode(k, &format).unwrap_err(),
            Unusable::Format(FORMAT + 1)
        );
        assert_eq!(decode(k, b"{\"json\":1}").unwrap_err(), Unusable::NotOurs);

        // The state after three answers, the fourth answer's event replayed on top of it.
        let behind = {
            let mut iv = Interview::new(k, cfg("clickstream-analytics", 11)).unwrap();
            for (_, _, json) in &stored.events[..4] {
                iv.handle(k, serde_json::from_str(json).unwrap());
            }
            encode(k, &iv).unwrap()
        };
        let variants: [(&str, Option<SavedState>, Rebuilt); 8] = [
            ("valid", Some(saved.clone()), Rebuilt::Restored),
            (
                "another bank",
                Some(SavedState {
                    data: foreign,
                    ..saved.clone()
                }),
                Rebuilt::Replayed,
            ),
            (
                "damaged",
                Some(SavedState {
                    data: damaged,
                    ..saved.clone()
                }),
                Rebuilt::Replayed,
            ),
            (
                "cut short",
                Some(SavedState {
                    data: cut,
                    ..saved.clone()
                }),
                Rebuilt::Replayed,
            ),
            (
                "another format",
                Some(SavedState {
                    data: format,
                    ..saved.clone()
                }),
                Rebuilt::Replayed,
            ),
            (
                "behind the events",
                Some(SavedState {
                    events: saved.events - 1,
                    data: behind,
                }),
                Rebuilt::Restored,
            ),
            (
                "ahead of the events",
                Some(SavedState {
                    events: saved.events + 1,
                    ..saved.clone()
                }),
                Rebuilt::Replayed,
            ),
            ("missing", None, Rebuilt::Replayed),
        ];
        for (what, snapshot, how) in variants {
            let stored = Stored {
                snapshot,
                ..stored.clone()
            };
            let rebuilt = LiveSession::from_stored(k, &store, &stored).unwrap();
            assert_eq!(rebuilt.rebuilt(), how, "{what}");
            let got = reply(&rebuilt.interview().clone().handle(k, next.clone()));
            assert_eq!(got, expected, "{what}: another reply");
        }
    }
}
