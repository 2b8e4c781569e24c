//! A live interview backed by the store: every event is committed together with the turns it
//! produced before the caller shows anything, and a stored interview is rebuilt by replaying its
//! events through the state machine — or, when the store keeps the engine's state with each
//! turn (PostgreSQL) and that snapshot is valid here, restored from it (see [`crate::snapshot`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pipeprep_core::interview::{Effect, Event, Interview, InterviewConfig};
use pipeprep_core::{Knowledge, Speaker, render};
use pipeprep_store::{
    Finish, LlmUsage, NewSession, SqliteStore, Status, Step, Store, StoreError, Stored, TurnRow,
};

use crate::bad;
use crate::voice::{LlmVoice, Piece, Said, Spoken};

/// The database file: `--db`, else `$PIPEPREP_HOME/pipeprep.db`, else the XDG data directory.
pub fn db_path(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    Ok(crate::config::Dirs::discover()?.data.join("pipeprep.db"))
}

/// Opens the database to read and write (`practice`, `resume`, `history --delete`).
pub fn open_store(flag: Option<&Path>) -> Result<SqliteStore> {
    SqliteStore::open(&db_path(flag)?).map_err(store_error)
}

/// Opens the database only to read it (`history`, `progress`, `export`): it works beside an
/// interview in progress, on a full disk and on a read-only file system, and never changes
/// the file.
pub fn open_store_read_only(flag: Option<&Path>) -> Result<SqliteStore> {
    SqliteStore::open_read_only(&db_path(flag)?).map_err(store_error)
}

/// A file that is not pipeprep's is bad input (exit 2); anything else is a runtime failure.
fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Corrupt { .. } | StoreError::TooNew { .. } | StoreError::Foreign { .. } => {
            bad(e.to_string())
        }
        other => anyhow::Error::new(other),
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A short id that is easy to type: 8 hex digits from the clock and the process id.
fn new_id(salt: u64) -> String {
    let mut z = (now_ms() as u64)
        ^ (u64::from(std::process::id()) << 32)
        ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    format!("{:08x}", (z ^ (z >> 31)) as u32)
}

fn phase_id(p: pipeprep_core::Phase) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub struct LiveSession<'k> {
    k: &'k Knowledge,
    store: &'k dyn Store,
    id: String,
    iv: Interview,
    seq: u64,
    /// Interview time already used before this process (from the stored events).
    pub resumed_at_ms: u64,
    /// The LLM voice, when one is configured; `None` is the offline interviewer.
    voice: Option<LlmVoice>,
    /// Every turn as it was said (voiced text for the interviewer), for the prompt's recent turns.
    said: Vec<Said>,
    /// The scorecard of a resumed interview whose events had already ended it.
    finished: Option<pipeprep_core::Scorecard>,
    /// How the interview came to be in memory.
    rebuilt: Rebuilt,
}

/// How a [`LiveSession`] got its interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuilt {
    /// Created here.
    New,
    /// Restored from the latest snapshot stored with its events (and the events after it).
    Restored,
    /// Replayed from the stored events (no snapshot, or one that could not be used here).
    Replayed,
}

impl<'k> LiveSession<'k> {
    /// Creates a stored session and runs its first event (the greeting).
    pub fn start(
        k: &'k Knowledge,
        store: &'k dyn Store,
        cfg: InterviewConfig,
    ) -> Result<(Self, Vec<Effect>)> {
        Self::start_with_voice(k, store, cfg, None)
    }

    /// As [`start`](Self::start), with the interviewer voiced by an LLM from the greeting on.
    pub fn start_with_voice(
        k: &'k Knowledge,
        store: &'k dyn Store,
        cfg: InterviewConfig,
        voice: Option<LlmVoice>,
    ) -> Result<(Self, Vec<Effect>)> {
        let mut s = Self::create(k, store, cfg, voice)?;
        let effects = s.handle(Event::Start { at_ms: 0 })?;
        Ok((s, effects))
    }

    /// Creates a stored session without starting it: the caller sends `Event::Start` (through
    /// [`step`](Self::step), to show the greeting as it streams in).
    pub fn create(
        k: &'k Knowledge,
        store: &'k dyn Store,
        cfg: InterviewConfig,
        voice: Option<LlmVoice>,
    ) -> Result<Self> {
        let iv = Interview::new(k, cfg.clone()).map_err(bad)?;
        let config_json = serde_json::to_string(&cfg)?;
        let mut salt = cfg.seed;
        let id = loop {
            let id = new_id(salt);
            match store.create(&NewSession {
                id: id.clone(),
                scenario: cfg.scenario.clone(),
                config_json: config_json.clone(),
                created_ms: now_ms(),
            }) {
                Ok(()) => break id,
                Err(pipeprep_store::StoreError::Exists(_)) => salt = salt.wrapping_add(1),
                Err(e) => return Err(e.into()),
            }
        };
        Ok(LiveSession {
            k,
            store,
            id,
            iv,
            seq: 0,
            resumed_at_ms: 0,
            voice,
            said: Vec::new(),
            finished: None,
            rebuilt: Rebuilt::New,
        })
    }

    /// Rebuilds a stored session by replaying its events. Returns it with the stored turns.
    pub fn resume(k: &'k Knowledge, store: &'k dyn Store, id: &str) -> Result<(Self, Stored)> {
        let stored = store.load(id).map_err(|e| bad(e.to_string()))?;
        let live = Self::from_stored(k, store, &stored)?;
        Ok((live, stored))
    }

    /// Rebuilds a session the caller has already loaded from `store` (a server instance reads
    /// it once to learn whether it is finished, how many events it has, and to rebuild it).
    pub fn from_stored(k: &'k Knowledge, store: &'k dyn Store, stored: &Stored) -> Result<Self> {
        let id = stored.summary.id.as_str();
        if stored.summary.status == Status::Finished {
            return Err(bad(format!(
                "session `{id}` is finished — see it with `pipeprep export {id}`, or start a new one with `pipeprep practice`"
            )));
        }
        let (iv, card, rebuilt) = restore_or_replay(k, stored)?;
        if iv.transcript().turns.len() != stored.turns.len() {
            eprintln!(
                "note: the problem bank changed since session `{id}` was recorded; the interview continues from the replayed state"
            );
        }
        // A store from before the finish committed with the last turn could keep the wrap-up of
        // an interview that a kill stopped before it was marked finished: finish it now.
        let finished = match card {
            Some(card) if iv.is_done() => {
                store.finish(id, &finish_row(&card))?;
                eprintln!(
                    "note: session `{id}` had already ended but was stopped before it was marked finished; it is now, and here is its scorecard"
                );
                Some(card)
            }
            _ => None,
        };
        let seq = stored.events.last().map_or(0, |e| e.0 + 1);
        let at = stored.summary.last_at_ms;
        let said = stored
            .turns
            .iter()
            .map(|t| Said {
                interviewer: t.speaker == "interviewer",
                text: t.text.clone(),
            })
            .collect();
        Ok(LiveSession {
            k,
            store,
            id: id.to_string(),
            iv,
            seq,
            resumed_at_ms: at,
            voice: None,
            said,
            finished,
            rebuilt,
        })
    }

    /// Whether this interview was created here, restored from a snapshot or replayed.
    pub fn rebuilt(&self) -> Rebuilt {
        self.rebuilt
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn interview(&self) -> &Interview {
        &self.iv
    }

    /// The scorecard of a resumed interview that had already ended: there is nothing left to
    /// answer, only this to show.
    pub fn finished(&self) -> Option<&pipeprep_core::Scorecard> {
        self.finished.as_ref()
    }

    /// Voices the rest of the interview with an LLM.
    pub fn set_voice(&mut self, voice: LlmVoice) {
        self.voice = Some(voice);
    }

    pub fn voice(&self) -> Option<&LlmVoice> {
        self.voice.as_ref()
    }

    /// Who scored: "rubric engine", "rubric engine + LLM (MODEL)" after a verified second
    /// opinion, or the engine with a note that the LLM's opinion was set aside and why.
    pub fn scored_by(&self) -> String {
        let engine = pipeprep_core::render::ENGINE_LABEL;
        match self.voice.as_ref().map(|v| (v, v.review())) {
            Some((v, crate::voice::Review::Applied)) => format!("{engine} + LLM ({})", v.model()),
            Some((v, crate::voice::Review::Ignored(why))) => format!(
                "{engine} (the second opinion of {} was ignored: {why})",
                v.model()
            ),
            _ => engine.to_string(),
        }
    }

    /// The end-of-interview line about the LLM (turns, tokens, cost), when one voiced it.
    pub fn llm_summary(&self) -> Option<String> {
        self.voice.as_ref().map(|v| {
            crate::voice::summary_line(v.model(), v.stats(), v.is_local(), &self.k.bank.prices)
        })
    }

    /// Handles an event and returns its effects with the words that were said; notices about
    /// the LLM go to standard error. [`step`](Self::step) also shows the words as they come.
    pub fn handle(&mut self, event: Event) -> Result<Vec<Effect>> {
        self.step(event, &mut |shown| {
            if let Shown::Notice(n) = shown {
                eprintln!("{n}");
            }
        })
    }

    /// Handles an event in two commits. First the state machine decides and the event is
    /// committed with the turns it produced, in the engine's phrasing, and the scorecard when
    /// the interview ends; nothing is shown before that commit. If it fails, the interview is
    /// left as it was before the event, so nothing diverges from what is stored. Then each
    /// effect is passed to `show` in order; with an LLM voice an interviewer message streams
    /// in sentence by sentence and its stored words are replaced by the ones said (if that
    /// second write fails, the engine's phrasing stays stored and the interview goes on).
    pub fn step(
        &mut self,
        event: Event,
        show: &mut (dyn FnMut(Shown<'_>) + Send),
    ) -> Result<Vec<Effect>> {
        let before = self.iv.clone();
        let first_new = self.iv.transcript().turns.len();
        let phase_before = self.iv.phase();
        let at_ms = match &event {
            Event::Start { at_ms }
            | Event::Answer { at_ms, .. }
            | Event::Command { at_ms, .. }
            | Event::Tick { at_ms } => *at_ms,
        };
        let mut effects = self.iv.handle(self.k, event.clone());
        if matches!(event, Event::Tick { .. }) || before.is_done() {
            // Ticks change nothing worth keeping, and after the end the interviewer only says
            // that it is over: nothing to store.
            for e in &effects {
                show(Shown::Effect(e));
            }
            return Ok(effects);
        }
        let worded_by = match &self.voice {
            Some(_) => crate::voice::OFFLINE,
            None => crate::voice::ENGINE,
        };
        let mut says = effects.iter().filter_map(|e| match e {
            Effect::Say { act, phase, .. } => Some((*act, *phase)),
            _ => None,
        });
        let turns: Vec<TurnRow> = self.iv.transcript().turns[first_new..]
            .iter()
            .map(|t| match t.speaker {
                Speaker::Candidate => TurnRow {
                    speaker: "candidate".into(),
                    text: t.text.clone(),
                    phase: phase_id(phase_before),
                    act: None,
                    voice: None,
                },
                Speaker::Interviewer => {
                    let (act, phase) = says
                        .next()
                        .map_or((None, phase_before), |(a, p)| (Some(a), p));
                    TurnRow {
                        speaker: "interviewer".into(),
                        text: t.text.clone(),
                        phase: phase_id(phase),
                        act: act
                            .and_then(|a| serde_json::to_value(a).ok())
                            .and_then(|v| v.as_str().map(str::to_string)),
                        voice: Some(worded_by.to_string()),
                    }
                }
            })
            .collect();
        // The result commits with the turn that ends the interview, never after it.
        let finish = effects.iter().find_map(|e| match e {
            Effect::Finish { scorecard } => Some(finish_row(scorecard)),
            _ => None,
        });
        // The state after this event, for a store that keeps it, every
        // [`SNAPSHOT_EVERY`] events (an interview that ends here is never rebuilt, so it needs
        // none).
        let snapshot = if finish.is_none()
            && self.seq.is_multiple_of(SNAPSHOT_EVERY)
            && self.store.keeps_snapshots()
        {
            crate::snapshot::encode(self.k, &self.iv)
        } else {
            None
        };
        let step = Step {
            seq: self.seq,
            at_ms,
            event_json: serde_json::to_string(&event)?,
            turns,
            now_ms: now_ms(),
            finish,
            snapshot,
        };
        let first_idx = match self.store.append(&self.id, &step) {
            Ok(i) => i,
            Err(e) => {
                self.iv = before;
                return Err(NotSaved(e).into());
            }
        };
        self.seq += 1;

        // Stored: now say it. Interviewer turns pair with the Say effects in order.
        let stats_before = self.voice.as_ref().map(LlmVoice::stats);
        let mut interviewer_idx = Vec::new();
        for (i, t) in self.iv.transcript().turns[first_new..].iter().enumerate() {
            match t.speaker {
                Speaker::Candidate => self.said.push(Said {
                    interviewer: false,
                    text: t.text.clone(),
                }),
                Speaker::Interviewer => interviewer_idx.push(first_idx + i as u64),
            }
        }
        let mut interviewer_idx = interviewer_idx.into_iter();
        for e in &mut effects {
            match e {
                Effect::Say { act, text, .. } => {
                    show(Shown::SayStart);
                    let spoken = match self.voice.as_mut() {
                        Some(voice) => {
                            let mut pass = |p: Piece<'_>| match p {
                                Piece::Text(t) => show(Shown::Text(t)),
                                Piece::Notice(n) => show(Shown::Notice(n)),
                            };
                            voice.speak(self.k, &self.iv, *act, text, &self.said, &mut pass)
                        }
                        None => {
                            show(Shown::Text(text));
                            Spoken {
                                text: text.clone(),
                                voice: crate::voice::ENGINE,
                            }
                        }
                    };
                    show(Shown::SayEnd);
                    let idx = interviewer_idx.next();
                    if spoken.voice != worded_by
                        && let Some(idx) = idx
                        && let Err(err) =
                            self.store.reword(&self.id, idx, &spoken.text, spoken.voice)
                    {
                        show(Shown::Notice(&format!(
                            "the interviewer's words could not be saved ({err}); the saved transcript keeps the engine's phrasing of this turn"
                        )));
                    }
                    self.said.push(Said {
                        interviewer: true,
                        text: spoken.text.clone(),
                    });
                    *text = spoken.text;
                }
                Effect::Finish { scorecard } => {
                    if let Some(voice) = self.voice.as_mut().filter(|v| !v.is_offline()) {
                        show(Shown::Notice(
                            "asking the LLM for a second opinion on the scorecard…",
                        ));
                        if let Some(notice) = voice.second_opinion(self.k, &self.iv, scorecard) {
                            show(Shown::Notice(&notice));
                        }
                        if voice.reviewed() {
                            self.store.finish(&self.id, &finish_row(scorecard))?;
                        }
                    }
                    show(Shown::Effect(e));
                }
                other => show(Shown::Effect(other)),
            }
        }
        if let Some(v) = &self.voice
            && (Some(v.stats()) != stats_before || v.reviewed())
        {
            let st = v.stats();
            self.store.record_llm(
                &self.id,
                &LlmUsage {
                    model: v.model().to_string(),
                    prompt_tokens: u64::from(st.usage.prompt_tokens),
                    completion_tokens: u64::from(st.usage.completion_tokens),
                    offline_turns: u64::from(st.offline),
                    reviewed: v.reviewed(),
                },
            )?;
        }
        Ok(effects)
    }
}

/// An event that could not be stored, so the interviewer did not reply and the interview is as
/// it was before it. Front ends say what to do next: the terminal lets the candidate send the
/// answer again; a scripted run stops and says how to resume.
#[derive(Debug, thiserror::Error)]
#[error("the answer was not saved: {0}")]
pub struct NotSaved(pub StoreError);

/// What the caller shows while an event is handled, in order.
#[derive(Debug, Clone, Copy)]
pub enum Shown<'a> {
    /// The interviewer starts a message.
    SayStart,
    /// The next piece of the message, as it arrives.
    Text(&'a str),
    /// The message is complete.
    SayEnd,
    /// A line about the LLM or the store, not part of the interview.
    Notice(&'a str),
    /// Any other effect, in its place: a diagram, the scorecard, a suspension.
    Effect(&'a Effect),
}

fn finish_row(scorecard: &pipeprep_core::Scorecard) -> Finish {
    Finish {
        scorecard_json: render::json(scorecard),
        level: scorecard.overall.level.as_str().to_string(),
        score: scorecard.overall.score,
        now_ms: now_ms(),
    }
}

/// Rebuilds a stored interview by replaying its events (the state machine is deterministic).
pub fn replay(k: &Knowledge, stored: &Stored) -> Result<Interview> {
    replay_with_card(k, stored).map(|(iv, _)| iv)
}

/// How often a turn stores the engine state: every this many events. Each snapshot is about
/// 15 KB for PostgreSQL to write (measured: 0.3–0.4 ms of its CPU per turn when every turn stored
/// one); a takeover restores the last one and replays the at most `SNAPSHOT_EVERY - 1` events
/// after it (about 0.25 ms each).
pub const SNAPSHOT_EVERY: u64 = 4;

/// The stored interview from its snapshot when that is usable here, else replayed from its
/// events; with the scorecard when the events ended the interview. A snapshot is used only when
/// it decodes, carries this build's and this bank's fingerprint, is of the stored configuration,
/// is not of an ended interview, and accounts for the stored events or fewer (numbered without
/// a gap): the events after it, if any (the one that ended the interview stores none), are
/// replayed on top, which is exact since the restored state is the replayed one. Anything else
/// replays every event, which gives the same interview.
pub fn restore_or_replay(
    k: &Knowledge,
    stored: &Stored,
) -> Result<(Interview, Option<pipeprep_core::Scorecard>, Rebuilt)> {
    if let Some((iv, card)) = usable_snapshot(k, stored) {
        return Ok((iv, card, Rebuilt::Restored));
    }
    let (iv, card) = replay_with_card(k, stored)?;
    Ok((iv, card, Rebuilt::Replayed))
}

fn usable_snapshot(
    k: &Knowledge,
    stored: &Stored,
) -> Option<(Interview, Option<pipeprep_core::Scorecard>)> {
    let saved = stored.snapshot.as_ref()?;
    let count = stored.events.len() as u64;
    let next_seq = stored.events.last().map_or(0, |e| e.0 + 1);
    // Event numbers are unique and in order, so this says they are exactly 0..count.
    if saved.events > count || next_seq != count {
        return None;
    }
    let mut iv = crate::snapshot::decode(k, &saved.data).ok()?;
    let cfg: InterviewConfig = serde_json::from_str(&stored.config_json).ok()?;
    if iv.config() != &cfg || iv.is_done() {
        return None;
    }
    let card = play(k, &mut iv, &stored.events[saved.events as usize..]).ok()?;
    Some((iv, card))
}

/// Runs stored events through the interview; returns the scorecard when one of them ended it.
fn play(
    k: &Knowledge,
    iv: &mut Interview,
    events: &[(u64, u64, String)],
) -> Result<Option<pipeprep_core::Scorecard>> {
    let mut card = None;
    for (_, _, json) in events {
        let ev: Event = serde_json::from_str(json).context("a stored event is unreadable")?;
        for e in iv.handle(k, ev) {
            if let Effect::Finish { scorecard } = e {
                card = Some(*scorecard);
            }
        }
    }
    Ok(card)
}

/// As [`replay`], with the scorecard when the events ended the interview.
fn replay_with_card(
    k: &Knowledge,
    stored: &Stored,
) -> Result<(Interview, Option<pipeprep_core::Scorecard>)> {
    let id = &stored.summary.id;
    let cfg: InterviewConfig = serde_json::from_str(&stored.config_json)
        .context("the stored configuration is unreadable")?;
    let mut iv = Interview::new(k, cfg).map_err(|e| {
        bad(format!(
            "{e} — the scenario of session `{id}` is no longer in the bank"
        ))
    })?;
    let card = play(k, &mut iv, &stored.events)?;
    Ok((iv, card))
}

/// The latest session that is not finished.
pub fn latest_active(store: &dyn Store) -> Result<Option<String>> {
    Ok(store
        .list()?
        .into_iter()
        .find(|s| s.status == Status::Active)
        .map(|s| s.id))
}

/// A session id from the user: an id, or `last` for the newest session.
pub fn resolve_id(store: &dyn Store, id: &str) -> Result<String> {
    if id == "last" {
        return store
            .list()?
            .into_iter()
            .next()
            .map(|s| s.id)
            .ok_or_else(|| bad("there are no sessions yet — run `pipeprep practice` first"));
    }
    Ok(id.to_string())
}
