//! A live interview backed by the store: every event is committed together with the turns it
//! produced before the caller shows anything, and a stored interview is rebuilt by replaying its
//! events through the state machine.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pipeprep_core::interview::{Effect, Event, Interview, InterviewConfig};
use pipeprep_core::{Knowledge, Speaker, render};
use pipeprep_store::{
    Finish, LlmUsage, NewSession, SqliteStore, Status, Step, Store, Stored, TurnRow,
};

use crate::bad;
use crate::voice::{LlmVoice, Said};

/// The database file: `--db`, else `$PIPEPREP_HOME/pipeprep.db`, else the XDG data directory.
pub fn db_path(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    Ok(crate::config::Dirs::discover()?.data.join("pipeprep.db"))
}

pub fn open_store(flag: Option<&Path>) -> Result<SqliteStore> {
    let path = db_path(flag)?;
    SqliteStore::open(&path).map_err(|e| match e {
        pipeprep_store::StoreError::Corrupt { .. } | pipeprep_store::StoreError::TooNew { .. } => {
            bad(e.to_string())
        }
        other => anyhow::Error::new(other),
    })
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
        let mut s = LiveSession {
            k,
            store,
            id,
            iv,
            seq: 0,
            resumed_at_ms: 0,
            voice,
            said: Vec::new(),
        };
        let effects = s.handle(Event::Start { at_ms: 0 })?;
        Ok((s, effects))
    }

    /// Rebuilds a stored session by replaying its events. Returns it with the stored turns.
    pub fn resume(k: &'k Knowledge, store: &'k dyn Store, id: &str) -> Result<(Self, Stored)> {
        let stored = store.load(id).map_err(|e| bad(e.to_string()))?;
        if stored.summary.status == Status::Finished {
            return Err(bad(format!(
                "session `{id}` is finished — see it with `pipeprep export {id}`, or start a new one with `pipeprep practice`"
            )));
        }
        let iv = replay(k, &stored)?;
        if iv.transcript().turns.len() != stored.turns.len() {
            eprintln!(
                "note: the problem bank changed since session `{id}` was recorded; the interview continues from the replayed state"
            );
        }
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
        Ok((
            LiveSession {
                k,
                store,
                id: id.to_string(),
                iv,
                seq,
                resumed_at_ms: at,
                voice: None,
                said,
            },
            stored,
        ))
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn interview(&self) -> &Interview {
        &self.iv
    }

    /// Voices the rest of the interview with an LLM.
    pub fn set_voice(&mut self, voice: LlmVoice) {
        self.voice = Some(voice);
    }

    pub fn voice(&self) -> Option<&LlmVoice> {
        self.voice.as_ref()
    }

    /// Who scored: "rubric engine", or "rubric engine + LLM (MODEL)" after a verified second
    /// opinion.
    pub fn scored_by(&self) -> String {
        match &self.voice {
            Some(v) if v.reviewed() => {
                format!(
                    "{} + LLM ({})",
                    pipeprep_core::render::ENGINE_LABEL,
                    v.model()
                )
            }
            _ => pipeprep_core::render::ENGINE_LABEL.to_string(),
        }
    }

    /// The end-of-interview line about the LLM (turns, tokens, cost), when one voiced it.
    pub fn llm_summary(&self) -> Option<String> {
        self.voice
            .as_ref()
            .map(|v| crate::voice::summary_line(v.model(), v.stats(), &self.k.bank.prices))
    }

    /// Handles an event: the state machine decides, the event and the turns it produced are
    /// committed, and only then are the effects returned. If the commit fails, the interview is
    /// left as it was before the event, so nothing diverges from what is stored.
    pub fn handle(&mut self, event: Event) -> Result<Vec<Effect>> {
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
        if matches!(event, Event::Tick { .. }) {
            return Ok(effects); // ticks change nothing worth keeping
        }
        let said_before = self.said.len();
        let voice_stats_before = self.voice.as_ref().map(LlmVoice::stats);
        // Each interviewer turn is voiced (by the LLM, or offline) before anything is committed,
        // so the stored turn is the text actually shown, and it is shown only once stored.
        {
            let mut say_slots = effects.iter_mut().filter_map(|e| match e {
                Effect::Say { act, text, .. } => Some((*act, text)),
                _ => None,
            });
            for t in &self.iv.transcript().turns[first_new..] {
                match t.speaker {
                    Speaker::Candidate => self.said.push(Said {
                        interviewer: false,
                        text: t.text.clone(),
                    }),
                    Speaker::Interviewer => {
                        let text = match (say_slots.next(), self.voice.as_mut()) {
                            (Some((act, slot)), Some(voice)) => {
                                let voiced = voice.say(&self.iv, act, slot, &self.said);
                                *slot = voiced.clone();
                                voiced
                            }
                            (Some((_, slot)), None) => slot.clone(),
                            (None, _) => t.text.clone(),
                        };
                        self.said.push(Said {
                            interviewer: true,
                            text,
                        });
                    }
                }
            }
        }
        // The LLM's second opinion on the scorecard, also before anything is committed.
        if let Some(voice) = self.voice.as_mut() {
            for e in effects.iter_mut() {
                if let Effect::Finish { scorecard } = e {
                    voice.second_opinion(&self.iv, scorecard);
                }
            }
        }
        let mut says = effects.iter().filter_map(|e| match e {
            Effect::Say { act, phase, .. } => Some((*act, *phase)),
            _ => None,
        });
        let mut said_texts = self.said[said_before..].iter().map(|s| s.text.clone());
        let turns: Vec<TurnRow> = self.iv.transcript().turns[first_new..]
            .iter()
            .map(|t| match t.speaker {
                Speaker::Candidate => TurnRow {
                    speaker: "candidate".into(),
                    text: said_texts.next().unwrap_or_else(|| t.text.clone()),
                    phase: phase_id(phase_before),
                    act: None,
                },
                Speaker::Interviewer => {
                    let (act, phase) = says
                        .next()
                        .map_or((None, phase_before), |(a, p)| (Some(a), p));
                    TurnRow {
                        speaker: "interviewer".into(),
                        text: said_texts.next().unwrap_or_else(|| t.text.clone()),
                        phase: phase_id(phase),
                        act: act
                            .and_then(|a| serde_json::to_value(a).ok())
                            .and_then(|v| v.as_str().map(str::to_string)),
                    }
                }
            })
            .collect();
        let step = Step {
            seq: self.seq,
            at_ms,
            event_json: serde_json::to_string(&event)?,
            turns,
            now_ms: now_ms(),
        };
        if let Err(e) = self.store.append(&self.id, &step) {
            self.iv = before;
            self.said.truncate(said_before);
            return Err(anyhow::Error::new(e).context(
                "this answer was not saved, so the interviewer did not reply; try again",
            ));
        }
        self.seq += 1;
        if let Some(v) = &self.voice
            && (Some(v.stats()) != voice_stats_before || v.reviewed())
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
        for e in &effects {
            if let Effect::Finish { scorecard } = e {
                let fin = Finish {
                    scorecard_json: render::json(scorecard),
                    level: scorecard.overall.level.as_str().to_string(),
                    score: scorecard.overall.score,
                    now_ms: now_ms(),
                };
                self.store.finish(&self.id, &fin)?;
            }
        }
        Ok(effects)
    }
}

/// Rebuilds a stored interview by replaying its events (the state machine is deterministic).
pub fn replay(k: &Knowledge, stored: &Stored) -> Result<Interview> {
    let id = &stored.summary.id;
    let cfg: InterviewConfig = serde_json::from_str(&stored.config_json)
        .context("the stored configuration is unreadable")?;
    let mut iv = Interview::new(k, cfg).map_err(|e| {
        bad(format!(
            "{e} — the scenario of session `{id}` is no longer in the bank"
        ))
    })?;
    for (_, _, json) in &stored.events {
        let ev: Event = serde_json::from_str(json).context("a stored event is unreadable")?;
        iv.handle(k, ev);
    }
    Ok(iv)
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
