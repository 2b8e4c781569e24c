//! One thread per live interview. The thread owns its own store connection and the app's
//! `LiveSession` — the very runner the terminal uses — so the engine, the two commits per turn and
//! the LLM voice behave exactly as in `pipeprep practice`. Requests send it jobs and read what it
//! shows from a channel, piece by piece, which is what the server-sent events stream.
//!
//! A session can be continued in the terminal (or on another server instance) while the page is
//! open: the store refuses an event whose number is already taken, before anything is said, and
//! the worker then rebuilds the interview from the store and answers the turn again. A rebuild
//! restores the engine state stored with a recent turn when it is valid here, and otherwise
//! replays the events as `pipeprep resume` does (`pipeprep_app::session::restore_or_replay`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pipeprep_app::session::{LiveSession, NotSaved, Rebuilt, Shown};
use pipeprep_core::interview::{Command, Effect, Event, InterviewConfig};
use pipeprep_store::{Status, Store, StoreError};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::Shared;
use crate::error::ApiError;
use crate::snapshot::Snapshot;

/// A worker with no job for this long ends; the next request resumes the session from the
/// store, so nothing is lost by it.
const IDLE: Duration = Duration::from_secs(30 * 60);

/// What a turn shows, in order, as it is produced.
#[derive(Debug, Clone)]
pub enum Update {
    /// The interviewer starts a message.
    SayStart,
    /// The next sentence of the message (with its trailing white space, so the pieces join back
    /// to the message).
    Sentence(String),
    SayEnd,
    /// A line about the LLM or the store, not part of the interview.
    Notice(String),
    /// Tool output (a diagram, an estimate, the command list): shown, not part of the transcript.
    Shown(String),
    /// The turn is stored and said.
    Done(TurnResult),
    /// The turn failed; nothing was stored unless the error says so.
    Failed(ApiError),
}

/// The JSON answer to a turn (DESIGN.md §3): the phase after it, whether the interview is over,
/// and the turns it added. `shown` and `suspended` are additions a client may ignore.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TurnResult {
    pub phase: String,
    pub finished: bool,
    pub turns: Vec<TurnOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shown: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TurnOut {
    pub speaker: String,
    pub text: String,
}

/// How a worker gets its session.
pub enum Init {
    New(InterviewConfig),
    Resume(String),
}

enum Job {
    /// Start a new session's interview (the greeting).
    Start(UnboundedSender<Update>),
    /// A candidate's answer or command.
    Turn(String, UnboundedSender<Update>),
    /// The state of the interview, for the phase bar and the design panel.
    Snapshot(tokio::sync::oneshot::Sender<Snapshot>),
}

struct Handle {
    jobs: mpsc::Sender<Job>,
    busy: Arc<AtomicBool>,
}

/// How interviews were rebuilt from the store: restored from their snapshot, or replayed from
/// their events. Counted so that tests and measurements can tell the two apart; the replies are
/// the same either way.
#[derive(Debug, Default)]
pub struct Rebuilds {
    restored: AtomicU64,
    replayed: AtomicU64,
}

impl Rebuilds {
    pub fn restored(&self) -> u64 {
        self.restored.load(Ordering::Relaxed)
    }

    pub fn replayed(&self) -> u64 {
        self.replayed.load(Ordering::Relaxed)
    }

    fn count(&self, how: Rebuilt) {
        match how {
            Rebuilt::Restored => self.restored.fetch_add(1, Ordering::Relaxed),
            Rebuilt::Replayed => self.replayed.fetch_add(1, Ordering::Relaxed),
            Rebuilt::New => 0,
        };
    }
}

/// The live workers by session id.
#[derive(Default)]
pub struct Workers {
    map: Mutex<HashMap<String, Handle>>,
}

impl Workers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Handle>> {
        // A worker that panicked while the lock was held leaves the map usable.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True while some worker is answering a turn.
    pub fn any_busy(&self) -> bool {
        self.lock().values().any(|h| h.busy.load(Ordering::SeqCst))
    }
}

/// Starts a worker: it opens its store, creates or resumes the session and waits for jobs.
/// Returns the session id once the session exists.
async fn spawn(shared: &Arc<Shared>, init: Init) -> Result<String, ApiError> {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (jobs_tx, jobs_rx) = mpsc::channel();
    let busy = Arc::new(AtomicBool::new(false));
    let worker_shared = Arc::clone(shared);
    let worker_busy = Arc::clone(&busy);
    std::thread::Builder::new()
        .name("pipeprep-session".into())
        .spawn(move || run(worker_shared, init, jobs_rx, worker_busy, ready_tx))
        .map_err(|e| ApiError::internal(format!("cannot start a session thread: {e}")))?;
    let id = ready_rx
        .await
        .map_err(|_| ApiError::internal("the session thread stopped before it was ready"))??;
    shared.workers.lock().insert(
        id.clone(),
        Handle {
            jobs: jobs_tx,
            busy,
        },
    );
    Ok(id)
}

/// Creates a stored session and returns its id; its greeting comes from [`start`].
pub async fn create(shared: &Arc<Shared>, cfg: InterviewConfig) -> Result<String, ApiError> {
    spawn(shared, Init::New(cfg)).await
}

/// Sends the first event of a new session.
pub async fn start(shared: &Arc<Shared>, id: &str) -> Result<UnboundedReceiver<Update>, ApiError> {
    send_turn(shared, id, None).await
}

/// Sends a candidate's answer or command; the updates arrive on the returned channel.
pub async fn turn(
    shared: &Arc<Shared>,
    id: &str,
    text: String,
) -> Result<UnboundedReceiver<Update>, ApiError> {
    send_turn(shared, id, Some(text)).await
}

async fn send_turn(
    shared: &Arc<Shared>,
    id: &str,
    text: Option<String>,
) -> Result<UnboundedReceiver<Update>, ApiError> {
    // A worker that ended while idle is replaced once by a resumed one.
    for attempt in 0..2 {
        let handle = {
            let map = shared.workers.lock();
            map.get(id).map(|h| (h.jobs.clone(), Arc::clone(&h.busy)))
        };
        let Some((jobs, busy)) = handle else {
            spawn(shared, Init::Resume(id.to_string())).await?;
            continue;
        };
        if busy.swap(true, Ordering::SeqCst) {
            return Err(ApiError::Conflict(
                "the interviewer is still answering the previous message — wait for the reply, then send again".into(),
            ));
        }
        let (tx, rx) = unbounded_channel();
        let job = match &text {
            None => Job::Start(tx),
            Some(t) => Job::Turn(t.clone(), tx),
        };
        if jobs.send(job).is_ok() {
            return Ok(rx);
        }
        busy.store(false, Ordering::SeqCst);
        shared.workers.lock().remove(id);
        if attempt == 1 {
            break;
        }
    }
    Err(ApiError::internal("the session thread is not answering"))
}

/// The interview's state from its worker, or rebuilt from the store when no worker runs it
/// (a finished interview, or one last touched before this server started).
pub async fn snapshot(shared: &Arc<Shared>, id: &str) -> Result<Snapshot, ApiError> {
    let jobs = shared.workers.lock().get(id).map(|h| h.jobs.clone());
    if let Some(jobs) = jobs {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if jobs.send(Job::Snapshot(tx)).is_ok()
            && let Ok(s) = rx.await
        {
            return Ok(s);
        }
    }
    let shared = Arc::clone(shared);
    let id = id.to_string();
    tokio::task::spawn_blocking(move || {
        let store = (shared.open_store)().map_err(ApiError::from_anyhow)?;
        let stored = store.load(&id).map_err(ApiError::from_store)?;
        let (iv, _, how) = pipeprep_app::session::restore_or_replay(&shared.knowledge, &stored)
            .map_err(ApiError::from_anyhow)?;
        shared.rebuilds.count(how);
        let at = stored.summary.last_at_ms;
        Ok(Snapshot::of(
            &shared.knowledge,
            &iv,
            at,
            stored.summary.status == Status::Finished,
        ))
    })
    .await
    .map_err(|e| ApiError::internal(format!("snapshot task: {e}")))?
}

/// The interview clock: time already used before this worker, plus the time since it started.
struct Clock {
    base: u64,
    since: Instant,
}

impl Clock {
    fn new(base: u64) -> Self {
        Clock {
            base,
            since: Instant::now(),
        }
    }
    fn now(&self) -> u64 {
        self.base + self.since.elapsed().as_millis() as u64
    }
}

fn run(
    shared: Arc<Shared>,
    init: Init,
    jobs: mpsc::Receiver<Job>,
    busy: Arc<AtomicBool>,
    ready: tokio::sync::oneshot::Sender<Result<String, ApiError>>,
) {
    let k = &*shared.knowledge;
    let store: Box<dyn Store> = match (shared.open_store)() {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(ApiError::from_anyhow(e)));
            return;
        }
    };
    let voice = || match &shared.llm {
        Some(sel) => pipeprep_app::llm::voice(sel).map(Some),
        None => Ok(None),
    };
    // Events stored when this worker last wrote or read the session: more in the store means
    // another front end carried the interview on. A resumed session is read once, for all of
    // it: whether it is finished, its events and the rebuild (a takeover after an instance
    // died does this for every interview that instance served, so each query counts).
    let opened = match init {
        Init::New(cfg) => voice()
            .and_then(|v| LiveSession::create(k, &*store, cfg, v))
            .map(|l| (l, 0)),
        Init::Resume(id) => match rebuild(k, &*store, &id, voice, &shared.rebuilds) {
            Ok(opened) => Ok(opened),
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        },
    };
    let (mut live, mut synced) = match opened {
        Ok(l) => l,
        Err(e) => {
            let _ = ready.send(Err(ApiError::from_anyhow(e)));
            return;
        }
    };
    let id = live.id().to_string();
    let mut clock = Clock::new(live.resumed_at_ms);
    if ready.send(Ok(id.clone())).is_err() {
        return;
    }
    loop {
        let job = match jobs.recv_timeout(IDLE) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        };
        match job {
            Job::Snapshot(reply) => {
                // Another instance may have moved the interview on: the diagram and the phase
                // shown must be what is stored, not this worker's older copy.
                match store.progress(&id) {
                    Ok((_, stored)) if stored == synced => {}
                    Ok((Status::Active, _)) => {
                        match rebuild(k, &*store, &id, voice, &shared.rebuilds) {
                            Ok((l, stored)) => {
                                live = l;
                                clock = Clock::new(live.resumed_at_ms);
                                synced = stored;
                            }
                            // Dropping the reply makes the caller rebuild the state from the store.
                            Err(_) => continue,
                        }
                    }
                    // Finished elsewhere, or unreadable: the caller rebuilds it from the store.
                    _ => continue,
                }
                let _ = live.handle(Event::Tick { at_ms: clock.now() });
                let snap =
                    Snapshot::of(k, live.interview(), clock.now(), live.interview().is_done());
                let _ = reply.send(snap);
            }
            Job::Start(tx) => {
                let (last, _) = answer(&mut live, Event::Start { at_ms: 0 }, &tx);
                synced = synced_after(synced, &last);
                busy.store(false, Ordering::SeqCst);
                let _ = tx.send(last);
            }
            Job::Turn(text, tx) => {
                if live.interview().is_done() {
                    busy.store(false, Ordering::SeqCst);
                    let _ = tx.send(Update::Failed(ApiError::finished(&id)));
                    continue;
                }
                // The terminal or another instance may have carried the interview on since the
                // last turn here. Nothing is read to find out: the store refuses an event whose
                // number is taken (`Behind`) before anything is said, and then this worker
                // rebuilds the interview from the store and answers once more.
                let mut rebuilt = false;
                let last = loop {
                    let event = match Command::parse(&text) {
                        Some(Ok(command)) => Event::Command {
                            command,
                            at_ms: clock.now(),
                        },
                        Some(Err(msg)) => break Update::Failed(ApiError::BadRequest(msg)),
                        None => Event::Answer {
                            text: text.clone(),
                            at_ms: clock.now(),
                        },
                    };
                    let (last, behind) = answer(&mut live, event, &tx);
                    if !behind || rebuilt {
                        break last;
                    }
                    rebuilt = true;
                    match rebuild(k, &*store, &id, voice, &shared.rebuilds) {
                        Ok((l, stored)) => {
                            live = l;
                            clock = Clock::new(live.resumed_at_ms);
                            synced = stored;
                        }
                        Err(e) => break Update::Failed(e),
                    }
                };
                synced = synced_after(synced, &last);
                busy.store(false, Ordering::SeqCst);
                let _ = tx.send(last);
            }
        }
    }
    // Forget this worker unless a newer one took its place.
    let mut map = shared.workers.lock();
    if map.get(&id).is_some_and(|h| Arc::ptr_eq(&h.busy, &busy)) {
        map.remove(&id);
    }
}

/// The stored events this worker's interview accounts for after a turn. A stored turn is one
/// event more; after a failure (another instance may have stored a turn of this session at the
/// same moment, so this one was refused) the next turn rebuilds the interview from the store.
/// Reading the count back from the store instead could take in another instance's event that
/// this engine never saw.
fn synced_after(before: u64, last: &Update) -> u64 {
    match last {
        Update::Done(_) => before.saturating_add(1),
        _ => u64::MAX,
    }
}

/// Rebuilds the interview from one read of the session (its events and the snapshot stored with
/// the last of them, in one round trip): restored from the snapshot when it is valid here, else
/// replayed as `pipeprep resume` does, and counted in `counts`. Returns it with the number of
/// events it accounts for; a finished session is the "finished" conflict.
fn rebuild<'k>(
    k: &'k pipeprep_core::Knowledge,
    store: &'k dyn Store,
    id: &str,
    voice: impl Fn() -> anyhow::Result<Option<pipeprep_app::voice::LlmVoice>>,
    counts: &Rebuilds,
) -> Result<(LiveSession<'k>, u64), ApiError> {
    let stored = store.load(id).map_err(ApiError::from_store)?;
    if stored.summary.status == Status::Finished {
        return Err(ApiError::finished(id));
    }
    let mut live = LiveSession::from_stored(k, store, &stored).map_err(ApiError::from_anyhow)?;
    counts.count(live.rebuilt());
    if let Some(v) = voice().map_err(ApiError::from_anyhow)? {
        live.set_voice(v);
    }
    Ok((live, stored.events.len() as u64))
}

/// Runs one event through the session, passing what it shows to `tx` sentence by sentence.
/// Returns the last update (the result or the failure) for the caller to send once the session
/// is ready for the next turn, and whether the store refused the event because another front
/// end had moved the interview on (nothing was shown then).
fn answer(
    live: &mut LiveSession<'_>,
    event: Event,
    tx: &UnboundedSender<Update>,
) -> (Update, bool) {
    let first_new = live.interview().transcript().turns.len();
    let mut shown = Vec::new();
    let mut suspended = false;
    let mut pending = String::new();
    let result = live.step(event, &mut |s| match s {
        Shown::SayStart => {
            pending.clear();
            let _ = tx.send(Update::SayStart);
        }
        Shown::Text(t) => {
            pending.push_str(t);
            // Release every complete sentence; keep the unfinished rest for the next piece.
            let (done, rest) = split_complete(&pending);
            for s in done {
                let _ = tx.send(Update::Sentence(s));
            }
            pending = rest;
        }
        Shown::SayEnd => {
            if !pending.is_empty() {
                let _ = tx.send(Update::Sentence(std::mem::take(&mut pending)));
            }
            let _ = tx.send(Update::SayEnd);
        }
        Shown::Notice(n) => {
            let _ = tx.send(Update::Notice(n.to_string()));
        }
        Shown::Effect(Effect::Show { text }) => {
            shown.push(text.clone());
            let _ = tx.send(Update::Shown(text.clone()));
        }
        Shown::Effect(Effect::Suspend) => suspended = true,
        Shown::Effect(Effect::Finish { .. } | Effect::Say { .. }) => {}
    });
    match result {
        Ok(_) => {
            let iv = live.interview();
            let turns = iv.transcript().turns[first_new.min(iv.transcript().turns.len())..]
                .iter()
                .map(|t| TurnOut {
                    speaker: match t.speaker {
                        pipeprep_core::Speaker::Candidate => "candidate".into(),
                        pipeprep_core::Speaker::Interviewer => "interviewer".into(),
                    },
                    text: t.text.clone(),
                })
                .collect::<Vec<_>>();
            (
                Update::Done(TurnResult {
                    phase: crate::phase_id(iv.phase()),
                    finished: iv.is_done(),
                    turns,
                    shown,
                    suspended,
                }),
                false,
            )
        }
        Err(e) => {
            let behind = e
                .downcast_ref::<NotSaved>()
                .is_some_and(|ns| matches!(ns.0, StoreError::Behind(_)));
            let err = if let Some(ns) = e.downcast_ref::<NotSaved>() {
                if !behind {
                    eprintln!("pipeprep serve: session {}: {ns}", live.id());
                }
                ApiError::Internal(
                    "the answer was not saved, so the interviewer did not reply — send it again"
                        .into(),
                )
            } else {
                ApiError::from_anyhow(e)
            };
            (Update::Failed(err), behind)
        }
    }
}

/// Splits text into complete sentences (each with the white space after it) and the unfinished
/// rest. A sentence ends at `.`, `!`, `?` or `:` followed by white space, or at a line break.
pub fn split_complete(text: &str) -> (Vec<String>, String) {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let ends = match c {
            '\n' => true,
            '.' => {
                chars.get(i + 1).is_some_and(|(_, n)| n.is_whitespace())
                    && !abbreviation(&text[start..pos])
            }
            '!' | '?' | ':' => chars.get(i + 1).is_some_and(|(_, n)| n.is_whitespace()),
            _ => false,
        };
        if ends {
            // Take the white space that follows with the sentence.
            let mut j = i + 1;
            while j < chars.len() && chars[j].1.is_whitespace() {
                j += 1;
            }
            // A run of white space at the very end may continue in the next piece: keep the
            // sentence, let the next piece start cleanly.
            let end = chars.get(j).map_or(text.len(), |(p, _)| *p);
            let _ = pos;
            out.push(text[start..end].to_string());
            start = end;
            i = j;
            continue;
        }
        i += 1;
    }
    (out, text[start..].to_string())
}

/// "e.g." and friends end a word, not a sentence.
fn abbreviation(before_dot: &str) -> bool {
    let word = before_dot
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .trim_start_matches(['(', '"', '\''])
        .to_lowercase();
    matches!(
        word.as_str(),
        "e.g" | "i.e" | "etc" | "vs" | "approx" | "cf" | "no"
    )
}

/// Splits a whole message into sentences; joined, they give the message back.
pub fn sentences(text: &str) -> Vec<String> {
    let (mut out, rest) = split_complete(text);
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

impl ApiError {
    pub fn finished(id: &str) -> ApiError {
        ApiError::Conflict(format!(
            "session `{id}` is finished — its scorecard is at /s/{id}/scorecard; start a new interview to practise again"
        ))
    }

    pub fn from_store(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(id) => ApiError::NotFound(format!("no session `{id}`")),
            other => ApiError::internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_join_back_to_the_message() {
        let msg = "Welcome! Let's design a pipeline. Volume: 1B events/day.\nWhat would you ask first? e.g. the SLA";
        let parts = sentences(msg);
        assert_eq!(parts.concat(), msg);
        assert_eq!(parts[0], "Welcome! ");
        assert_eq!(parts[1], "Let's design a pipeline. ");
        assert_eq!(parts[2], "Volume: ");
        assert_eq!(parts[5], "e.g. the SLA", "no cut after an abbreviation");
        assert_eq!(parts.len(), 6, "{parts:?}");
    }

    #[test]
    fn numbers_and_unfinished_sentences_are_not_cut() {
        let (done, rest) = split_complete("It handles 1.5 million events. And then");
        assert_eq!(done, vec!["It handles 1.5 million events. ".to_string()]);
        assert_eq!(rest, "And then");
    }
}
