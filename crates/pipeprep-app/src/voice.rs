//! The LLM voice: for each act the engine chose, the candidate's own LLM writes the interviewer's
//! message in the persona. The engine still owns the flow and the score; the LLM only words the
//! act.
//!
//! The prompt is a conversation: the persona and its rules as the system message, a few short
//! examples of the register, the scenario, the turns so far as alternating assistant/user
//! messages (old ones dropped in steps, so each prompt extends the one before and a server's
//! prompt cache covers it), and the act with what it must convey as the last message. The reply streams through a guard that
//! releases only complete sentences that pass every check (no narration, no speaking for the
//! candidate, no echo of the prompt, no sign-off, no give-away, nothing unfinished). At the end,
//! whatever the act had to convey and the reply left out is said in the offline phrasing after
//! it. On the first failure the interview says so once and carries on with the offline voice.

use std::time::Instant;

use anyhow::Result;
use pipeprep_core::Knowledge;
use pipeprep_core::interview::{Act, Interview};
use pipeprep_core::{Essential, essentials, number_values};
use pipeprep_llm::guard::{self, Catch, EchoCheck};
use pipeprep_llm::{ChatBackend, ChatRequest, Usage};

/// How many earlier turns the prompt keeps right after it drops old ones.
pub const RECENT_TURNS: usize = 4;
/// The most characters of earlier turns the prompt carries (about 1,000 tokens). The history
/// grows until it passes this, then the oldest turns go all in one step, down to the last
/// [`RECENT_TURNS`]. A local server (llama.cpp, Ollama) reuses its cache for the longest prefix
/// a request shares with the one before: a history that only grows keeps that prefix whole, so
/// each turn the model reads only the last reply, the new answer and the notes. Dropping one
/// turn per turn instead changes the prompt right after the examples and makes the model read
/// the whole history again every time.
pub const HISTORY_CHARS: usize = 4000;
/// The most characters of one earlier turn the prompt carries.
const TURN_CHARS: usize = 600;
/// The most characters of the scenario's prompt the notes carry.
const SCENARIO_CHARS: usize = 700;
/// The most tokens of one message: about 250 words, more than a spoken turn needs.
const MAX_TOKENS: u32 = 320;

/// The persona and the rules, the same for every message (so servers can reuse its cache).
pub const SYSTEM_PROMPT: &str = "You are Sam, a Principal Data Engineer interviewing a candidate for a data-pipeline \
system-design round. You are warm, curious and brief, and you speak directly to the candidate as \"you\".\n\
How this works: each candidate message ends with private notes from the interview plan, in square brackets. \
The notes say what your next message must get across. Reply with that one message only, in your own words.\n\
Rules:\n\
- Say everything the notes list: every number, name and question, unchanged. Add no numbers of your own.\n\
- Ask, don't lecture. Never suggest tools, components or techniques the candidate has not named, unless the notes give them to you.\n\
- Speak only as yourself. Never write the candidate's lines or suggest what they could say, never describe the interview from outside, never mention the notes.\n\
- Two to five sentences of plain conversational text. No headings, no lists, no greetings at the end, no signature.";

/// The labels the notes use; a reply that starts a line with one of them echoes the prompt.
pub const NOTE_HEADINGS: &[&str] = &[
    "Notes",
    "Interview plan",
    "Scenario",
    "Phase",
    "Requirements revealed",
    "Requirements revealed earlier",
    "Candidate's design",
    "Reference solution",
    "Your next message",
    "Must get across",
    "What to convey",
    "Act",
    "Rules",
    "Recent turns",
];

/// Examples of the register, from an interview about another system, as (candidate message
/// with notes, interviewer reply) pairs.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "How many readings come in at peak, and how fresh do the alerts need to be?\n\n\
[Notes. Your next message: reveal the requirement the candidate asked about. Must get across: \
Good question. At peak the sensors send 40K readings per second, and an alert must fire within 10 s. \
What else would you like to pin down before you design?]",
        "At peak the sensor fleet sends about 40K readings a second, and an alert has to fire within 10 s \
of the reading that triggers it. What else would you like to pin down before you start designing?",
    ),
    (
        "I'd write every reading straight into Postgres and run the alert queries there.\n\n\
[Notes. Your next message: probe a choice the candidate made. Must get across: \
You picked Postgres. What made it the right call here, and what would you lose with an alternative?]",
        "Postgres is a comfortable place to start. What makes it the right home for this workload, \
and what would you give up if you picked something else?",
    ),
];

/// Tokens and turns so far, for the end-of-interview line and the session row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoiceStats {
    pub usage: Usage,
    /// Messages the LLM wrote that were said.
    pub voiced: u32,
    /// Messages said in the offline voice, wholly or in part: after a failure, replaced by the
    /// guard, or completed with what the reply left out.
    pub offline: u32,
}

/// An interviewer turn or a candidate turn, as it was said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub interviewer: bool,
    pub text: String,
}

/// How the second opinion ended, for the scorecard's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    /// Not asked (offline) or no usable reply.
    None,
    /// Received, checked, and at least one dimension reviewed.
    Applied,
    /// Received and set aside, with the reason ("it gave every dimension the same level").
    Ignored(String),
}

pub struct LlmVoice {
    backend: Box<dyn ChatBackend>,
    rt: tokio::runtime::Runtime,
    /// The `--llm` spec as given, for the notice.
    spec: String,
    model: String,
    /// Set after the first failure: every later turn is offline.
    offline: bool,
    stats: VoiceStats,
    review: Review,
    /// The model runs on this machine (a loopback address): no per-token price.
    local: bool,
    /// The second opinion's whole budget (`llm_timeout` in the config file).
    opinion_budget: std::time::Duration,
    /// The previous turn's prompt as one string, to log how much of the next one a server's
    /// prompt cache can reuse.
    last_prompt: String,
    /// The notes sent so far, so each prompt repeats them where they were.
    past: Past,
}

/// The second opinion's budget when the config file sets none: a 1.5B model on two CPU cores
/// writes its few hundred tokens of JSON in one to two minutes.
pub const DEFAULT_LLM_TIMEOUT_S: u64 = 180;

impl LlmVoice {
    pub fn new(backend: Box<dyn ChatBackend>, spec: String, model: String) -> Result<Self> {
        Ok(Self {
            backend,
            rt: crate::llm::runtime()?,
            spec,
            model,
            offline: false,
            stats: VoiceStats::default(),
            review: Review::None,
            local: false,
            opinion_budget: std::time::Duration::from_secs(DEFAULT_LLM_TIMEOUT_S),
            last_prompt: String::new(),
            past: Past::default(),
        })
    }

    /// Marks the model as running on this machine (its server is on a loopback address).
    pub fn set_local(&mut self, local: bool) {
        self.local = local;
    }

    /// Sets the second opinion's whole budget (`llm_timeout`).
    pub fn set_opinion_budget(&mut self, budget: std::time::Duration) {
        self.opinion_budget = budget;
    }

    pub fn is_local(&self) -> bool {
        self.local
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn stats(&self) -> VoiceStats {
        self.stats
    }

    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// True when the scorecard carries the LLM's verified second opinion.
    pub fn reviewed(&self) -> bool {
        self.review == Review::Applied
    }

    pub fn review(&self) -> &Review {
        &self.review
    }

    /// Asks for a second opinion on the engine's scorecard and applies what can be verified.
    /// The reply streams under its own budget (`llm_timeout`). On a failure, or a reply that is
    /// not the JSON asked for, the card stays the engine's; returns the line to tell the
    /// candidate, if any.
    pub fn second_opinion(
        &mut self,
        k: &Knowledge,
        iv: &Interview,
        card: &mut pipeprep_core::Scorecard,
    ) -> Option<String> {
        if self.offline {
            return None;
        }
        let mut req = crate::opinion::request(card, iv.transcript(), iv.scenario());
        req.budget = Some(self.opinion_budget);
        let started = Instant::now();
        let result = self.rt.block_on(self.backend.complete(&req, &mut |_| {}));
        let ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(c) => {
                self.stats.usage += c.usage;
                let outcome = crate::opinion::apply(k, card, iv.transcript(), &c.text, &self.model);
                let (line, note) = match outcome {
                    crate::opinion::Outcome::Applied(_) => {
                        self.review = Review::Applied;
                        ("applied".to_string(), None)
                    }
                    crate::opinion::Outcome::Ignored(why) => {
                        let note = format!("the LLM's second opinion was ignored: {why}");
                        self.review = Review::Ignored(why.clone());
                        (format!("ignored: {why}"), Some(note))
                    }
                    crate::opinion::Outcome::Unreadable => ("unreadable".to_string(), None),
                };
                log_event(&serde_json::json!({
                    "kind": "opinion", "outcome": line, "ms": ms,
                    "completion_tokens": c.usage.completion_tokens, "reply": c.text,
                }));
                note
            }
            Err(e) => {
                self.offline = true;
                log_event(&serde_json::json!({
                    "kind": "opinion", "outcome": "failed", "ms": ms, "error": e.to_string(),
                }));
                let what = if matches!(e, pipeprep_llm::LlmError::RequestTimeout { .. }) {
                    format!(
                        "the LLM's second opinion did not finish within llm_timeout ({} s); set `llm_timeout = SECONDS` in the config file to give it longer",
                        self.opinion_budget.as_secs()
                    )
                } else {
                    format!("the LLM at {} is not answering ({e})", self.spec)
                };
                Some(format!(
                    "{what}; the scorecard is the rubric engine's alone"
                ))
            }
        }
    }

    /// Says the message for `act`, passing it to `show` as it streams in: the LLM's words,
    /// released sentence by sentence through the [`StreamGuard`], then whatever the act had to
    /// convey that they left out, in the offline phrasing; or the offline phrasing alone. On
    /// the first failure `show` gets one notice and every later turn is offline.
    pub fn speak(
        &mut self,
        k: &Knowledge,
        iv: &Interview,
        act: Act,
        offline_text: &str,
        recent: &[Said],
        show: &mut (dyn FnMut(Piece<'_>) + Send),
    ) -> Spoken {
        let offline = |voice: &'static str| Spoken {
            text: offline_text.to_string(),
            voice,
        };
        if self.offline {
            self.stats.offline += 1;
            show(Piece::Text(offline_text));
            return offline(OFFLINE);
        }
        let (req, note) = build(iv, act, offline_text, recent, &self.past);
        self.past.notes.insert(recent.len(), note);
        let prompt = flat_prompt(&req);
        let reused = common_prefix_chars(&self.last_prompt, &prompt);
        let prompt_chars = prompt.chars().count();
        self.last_prompt = prompt;
        let mut g = StreamGuard::new(k, iv, act, offline_text);
        let started = Instant::now();
        let mut first_sentence_ms: Option<u64> = None;
        let result = {
            let mut on_delta = |d: &str| {
                let ready = g.push(d);
                if !ready.is_empty() {
                    first_sentence_ms.get_or_insert_with(|| started.elapsed().as_millis() as u64);
                    show(Piece::Text(&ready));
                }
            };
            self.rt.block_on(self.backend.complete(&req, &mut on_delta))
        };
        let mut log = serde_json::json!({
            "kind": "turn", "act": act_name(act), "offline": offline_text,
        });
        let verdict = match &result {
            Ok(c) => {
                self.stats.usage += c.usage;
                log["reply"] = c.text.clone().into();
                log["first_token_ms"] = c.first_token_ms.into();
                log["total_ms"] = c.total_ms.into();
                log["completion_tokens"] = c.usage.completion_tokens.into();
                log["prompt_tokens"] = c.usage.prompt_tokens.into();
                log["truncated"] = c.truncated.into();
                g.finish(c.truncated)
            }
            Err(e) => {
                self.offline = true;
                log["error"] = e.to_string().into();
                log["reply"] = g.raw().into();
                let cut = !g.said().is_empty();
                let why = if cut {
                    "stopped in the middle of a reply"
                } else {
                    "is not answering"
                };
                show(Piece::Notice(&format!(
                    "the LLM at {} {why} ({e}); continuing with the offline interviewer",
                    self.spec
                )));
                // What was shown stays; the rest of the act follows in the offline phrasing.
                g.abandon()
            }
        };
        let spoken = match verdict {
            Verdict::Passed { tail } => {
                if !tail.is_empty() {
                    first_sentence_ms.get_or_insert_with(|| started.elapsed().as_millis() as u64);
                    show(Piece::Text(&tail));
                }
                self.stats.voiced += 1;
                Spoken {
                    text: g.said(),
                    voice: LLM,
                }
            }
            Verdict::Completed { tail, missing } => {
                if !tail.is_empty() {
                    show(Piece::Text(&tail));
                }
                self.stats.offline += 1;
                let rest = format!("{}{missing}", g.joint());
                show(Piece::Text(&rest));
                Spoken {
                    text: format!("{}{rest}", g.said()),
                    voice: LLM_THEN_OFFLINE,
                }
            }
            Verdict::Replaced => {
                self.stats.offline += 1;
                show(Piece::Text(offline_text));
                offline(OFFLINE)
            }
        };
        log["voice"] = spoken.voice.into();
        log["shown"] = spoken.text.clone().into();
        log["voiced"] = g.said().into();
        log["catches"] = g
            .catches()
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .into();
        log["essentials"] = g.essentials().len().into();
        log["conveyed"] = g
            .essentials()
            .iter()
            .all(|e| e.conveyed_by(&spoken.text))
            .into();
        log["missing"] = g.missing().into();
        let leaked = g.leaked(&g.said());
        log["leaks_shown"] = leaked.len().into();
        log["leaked"] = leaked.into();
        log["first_sentence_ms"] = first_sentence_ms.into();
        log["prompt_chars"] = prompt_chars.into();
        log["prompt_chars_reused"] = reused.into();
        log["notes"] = req
            .messages
            .last()
            .map(|m| m.content.clone())
            .unwrap_or_default()
            .into();
        log_event(&log);
        spoken
    }
}

/// A request as one string in the order a chat template lays it out, each message behind a role
/// marker: two requests share a prefix here exactly where a server's rendered prompts do.
pub fn flat_prompt(req: &ChatRequest) -> String {
    let mut out = format!("<system>\n{}", req.system);
    for m in &req.messages {
        out.push_str(&format!("\n<{}>\n{}", m.role.as_str(), m.content));
    }
    out
}

/// How many characters `a` and `b` share at their start.
pub fn common_prefix_chars(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Appends one JSON line to the file named by `PIPEPREP_VOICE_LOG`, when it is set: what each
/// voiced turn asked, received, caught and showed, for `scripts/llm-eval`. Errors are ignored:
/// the log is a measuring aid and must never disturb an interview.
fn log_event(v: &serde_json::Value) {
    let Some(path) = std::env::var_os(crate::env::PIPEPREP_VOICE_LOG).filter(|p| !p.is_empty())
    else {
        return;
    };
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{v}");
    }
}

/// Who worded a stored interviewer turn (the `voice` of a stored turn).
pub const ENGINE: &str = "engine";
pub const LLM: &str = "llm";
pub const OFFLINE: &str = "offline";
pub const LLM_THEN_OFFLINE: &str = "llm+offline";

/// What reaches the screen while the interviewer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// The next piece of the message.
    Text(&'a str),
    /// A line about the LLM, not part of the message (it stopped answering).
    Notice(&'a str),
}

/// A message as it was said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spoken {
    pub text: String,
    /// [`LLM`], [`OFFLINE`] or [`LLM_THEN_OFFLINE`].
    pub voice: &'static str,
}

fn act_name(act: Act) -> String {
    serde_json::to_value(act)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn act_purpose(act: Act) -> &'static str {
    match act {
        Act::GreetScenario => "welcome the candidate and present the scenario",
        Act::RevealRequirement => "reveal the requirement the candidate asked about",
        Act::AssumeReasonable => "tell the candidate to assume something reasonable",
        Act::SteerBack => "gently bring the candidate back to the requirements",
        Act::AskDesign => "invite the candidate to sketch the design",
        Act::Acknowledge => "acknowledge the answer and ask the next question",
        Act::ProbeChoice => "probe a choice the candidate made",
        Act::LintProbe => "ask about a weak spot in the candidate's design",
        Act::ChallengeEstimate => "challenge an estimate",
        Act::Hint => "give a hint",
        Act::ScaleTwist => "introduce a change in scale or requirements",
        Act::InjectFailure => "describe a failure and ask how the design copes",
        Act::FollowUpFailure => "follow up on the failure",
        Act::WrapUp => "wrap up the interview",
        Act::ExplainConcept => {
            "explain the concept the candidate asked about, in two to four sentences, and end with the question that ties it to their design"
        }
        Act::Nudge => {
            "answer the request for your opinion with a question that helps the candidate reason it out, without giving the answer"
        }
        Act::Redirect => "answer the remark in one line and return to the open question",
        Act::FollowUp => "say which parts the answer covered and ask only for what is missing",
    }
}

fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

/// True when the act may see the reference solution: a deep hint (level 3 or 4 of a ladder) or
/// the wrap-up.
pub fn needs_reference(iv: &Interview, act: Act, offline_text: &str) -> bool {
    match act {
        Act::WrapUp => true,
        Act::Hint => iv.scenario().hints.iter().any(|ladder| {
            ladder
                .levels
                .iter()
                .skip(2)
                .any(|t| !t.trim().is_empty() && offline_text.contains(t.trim()))
        }),
        _ => false,
    }
}

/// Where the history in the prompt starts: replaying the turns in order, it moves only when
/// the history since the last move passes [`HISTORY_CHARS`], and then keeps the last
/// [`RECENT_TURNS`]. The same turns always give the same start, and a longer history never
/// starts earlier, so between two moves every request extends the one before.
pub fn history_start(recent: &[Said]) -> usize {
    history_starts(recent).last().copied().unwrap_or(0)
}

/// [`history_start`] of every prefix of `recent`, from the empty one to the whole.
fn history_starts(recent: &[Said]) -> Vec<usize> {
    let size = |t: &Said| clip(&t.text, TURN_CHARS).chars().count();
    let mut starts = Vec::with_capacity(recent.len() + 1);
    starts.push(0);
    let mut start = 0;
    let mut chars = 0;
    for (n, t) in recent.iter().enumerate() {
        chars += size(t);
        if chars > HISTORY_CHARS && n + 1 - start > RECENT_TURNS {
            start = n + 1 - RECENT_TURNS;
            chars = recent[start..=n].iter().map(size).sum();
        }
        starts.push(start);
    }
    starts
}

/// What earlier requests sent: the notes sent when the history held `n` turns (they followed
/// turn `n - 1`), by `n`. A prompt that keeps them where they were extends the previous request
/// and, when the reply was said as written (a voiced turn's text is the model's own), the reply
/// the server generated for it, so a prompt cache reads only the new answer and the new notes.
#[derive(Debug, Clone, Default)]
pub struct Past {
    pub notes: std::collections::BTreeMap<usize, String>,
}

/// The first real user message: the scenario, which every message may need, and the
/// requirements said in turns the history has dropped. It depends only on those dropped turns,
/// so it stays the same, and in the cached prefix, until the next drop.
fn opener(iv: &Interview, earlier: &[String]) -> String {
    let sc = iv.scenario();
    let mut o = format!(
        "[Notes. {OPENER} Scenario: {} — {}",
        sc.title,
        clip(&sc.prompt, SCENARIO_CHARS)
    );
    if !earlier.is_empty() {
        o.push_str("\nRequirements revealed earlier: ");
        o.push_str(&earlier.join(" "));
    }
    o.push(']');
    o
}

/// The revealed requirements that every essential of is conveyed by the interviewer's turns
/// in `turns` (or, with `also`, by that text).
fn requirements_said(iv: &Interview, turns: &[Said], also: &str) -> Vec<String> {
    let said: String = turns
        .iter()
        .filter(|t| t.interviewer)
        .map(|t| clip(&t.text, TURN_CHARS))
        .chain(std::iter::once(also.to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    iv.revealed()
        .into_iter()
        .filter(|r| {
            let es = essentials(Act::RevealRequirement, r);
            !es.is_empty() && es.iter().all(|e| e.conveyed_by(&said))
        })
        .map(|r| clip(r, 200))
        .collect()
}

const OPENER: &str = "A new interview starts here; the examples above were about another system.";

/// How the notes give the candidate's design.
const DESIGN_LINE: &str = "Candidate's design: ";

/// The design line of the last notes in `kept` that gave one.
fn last_design<'a>(kept: impl DoubleEndedIterator<Item = &'a String>) -> Option<&'a str> {
    kept.rev().find_map(|n| {
        let at = n.find(DESIGN_LINE)?;
        let line = &n[at..];
        Some(&line[..line.find('\n').map_or(line.len(), |e| e + 1)])
    })
}

/// Acts whose wording depends on the shape of the candidate's design.
fn needs_design(act: Act) -> bool {
    matches!(
        act,
        Act::ProbeChoice
            | Act::LintProbe
            | Act::ChallengeEstimate
            | Act::Hint
            | Act::ScaleTwist
            | Act::InjectFailure
            | Act::FollowUpFailure
            | Act::WrapUp
    )
}

/// The notes for one message: the state the model needs that the history in the prompt does not
/// already show, the act, and what it must get across. They come last and change every turn, so
/// every word here is read again on every turn: a requirement an interviewer turn in the history
/// already said is not repeated, and the design is given only to the acts that ask about it.
fn notes(
    iv: &Interview,
    act: Act,
    offline_text: &str,
    history: &[Said],
    earlier: &[String],
    last_design: Option<&str>,
) -> String {
    let sc = iv.scenario();
    let mut n = String::from("[Notes. ");
    n.push_str(&format!("Phase: {}.\n", iv.phase().title()));
    // What the model sees anyway: the opener's list, the interviewer's turns in the history,
    // and this message's own text (a requirement revealed now is already what to get across).
    let seen = requirements_said(iv, history, offline_text);
    let revealed: Vec<String> = iv
        .revealed()
        .into_iter()
        .map(|r| clip(r, 200))
        .filter(|r| !earlier.contains(r) && !seen.contains(r))
        .collect();
    if !revealed.is_empty() {
        n.push_str("Requirements revealed earlier: ");
        n.push_str(&revealed.join(" "));
        n.push('\n');
    }
    let design = iv.design();
    if !design.is_empty() && needs_design(act) {
        let flows: Vec<String> = design
            .edges()
            .iter()
            .take(16)
            .map(|e| {
                format!(
                    "{} -> {}",
                    design.node(e.from).display(),
                    design.node(e.to).display()
                )
            })
            .collect();
        let shown = if flows.is_empty() {
            design
                .nodes()
                .iter()
                .map(|n| n.display())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            flows.join("; ")
        };
        let line = format!("{DESIGN_LINE}{}\n", clip(&shown, 600));
        // Notes earlier in the prompt that gave this same design already said it.
        if last_design != Some(line.as_str()) {
            n.push_str(&line);
        }
    }
    if needs_reference(iv, act, offline_text) {
        n.push_str(&format!(
            "Reference solution (reveal no more than this message needs): {}\n",
            sc.reference.architecture.trim().replace('\n', "; ")
        ));
    }
    n.push_str(&format!(
        "Your next message: {}. Must get across: {}]",
        act_purpose(act),
        offline_text.trim()
    ));
    n
}

/// The request for one message, as a conversation that each turn only extends: the persona and
/// rules as the system message; the examples; an opener with the scenario; the turns since
/// [`history_start`] as alternating assistant (interviewer) and user (candidate) messages; and
/// last, the notes with the act and what it must convey, appended to the candidate's latest
/// message. Everything before the notes is the previous request's prompt plus the turns said
/// since, except when old turns are dropped.
pub fn request(iv: &Interview, act: Act, offline_text: &str, recent: &[Said]) -> ChatRequest {
    build(iv, act, offline_text, recent, &Past::default()).0
}

/// [`request`] for a voice that remembers what it sent: the notes of earlier requests since the
/// last drop stay after the turns they followed. Returns the request and its notes.
pub fn build(
    iv: &Interview,
    act: Act,
    offline_text: &str,
    recent: &[Said],
    past: &Past,
) -> (ChatRequest, String) {
    let mut turns: Vec<(bool, String)> = Vec::new();
    for (user, reply) in EXAMPLES {
        turns.push((false, (*user).to_string()));
        turns.push((true, (*reply).to_string()));
    }
    let starts = history_starts(recent);
    let start = starts[recent.len()];
    let window = &recent[start..];
    let earlier = requirements_said(iv, &recent[..start], "");
    // Notes sent since the last drop, where they were: a drop starts a new prompt, and the
    // notes before it would only be read again.
    let past_notes = |n: usize| {
        past.notes
            .get(&n)
            .filter(|_| n < recent.len() && starts[n] == start)
    };
    // The real interview starts with a user message that says so (the examples end with the
    // assistant), so the roles keep alternating; a candidate turn right after it joins it.
    turns.push((false, opener(iv, &earlier)));
    if start == 0
        && let Some(n) = past_notes(0)
    {
        turns.push((false, n.clone()));
    }
    for (i, t) in window.iter().enumerate() {
        turns.push((t.interviewer, clip(&t.text, TURN_CHARS)));
        if let Some(n) = past_notes(start + i + 1) {
            turns.push((false, n.clone()));
        }
    }
    let kept = (0..recent.len()).filter_map(past_notes);
    let note = notes(iv, act, offline_text, window, &earlier, last_design(kept));
    turns.push((false, note.clone()));
    // Merge neighbours with the same role (the opener and a candidate turn, a candidate turn
    // and its notes, or two interviewer turns in a row).
    let mut req = ChatRequest::new(SYSTEM_PROMPT);
    for (assistant, text) in turns {
        if text.trim().is_empty() {
            continue;
        }
        let role = if assistant {
            pipeprep_llm::Role::Assistant
        } else {
            pipeprep_llm::Role::User
        };
        match req.messages.last_mut() {
            Some(m) if m.role == role => {
                m.content.push_str("\n\n");
                m.content.push_str(&text);
            }
            _ => req.messages.push(pipeprep_llm::Message {
                role,
                content: text,
            }),
        }
    }
    req.max_tokens = MAX_TOKENS;
    req.temperature = 0.5;
    (req, note)
}

/// The instruction text of a request (what a reply must never repeat): the system prompt and
/// the fixed wording of the notes, not the facts or turns they carry.
fn instructions() -> Vec<&'static str> {
    vec![
        SYSTEM_PROMPT,
        OPENER,
        "reveal no more than this message needs",
    ]
}

/// Removes `<think>…</think>` reasoning (and an unclosed `<think>` to the end).
pub fn strip_think(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("<think>") {
        out.push_str(&rest[..i]);
        match rest[i..].find("</think>") {
            Some(j) => rest = &rest[i + j + "</think>".len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn words(s: &str) -> String {
    guard::padded_words(s)
}

fn has_word(hay: &str, needle: &str) -> bool {
    let n = words(needle);
    !n.trim().is_empty() && hay.contains(&n)
}

const STOP: &[&str] = &[
    "about",
    "after",
    "again",
    "their",
    "there",
    "these",
    "thing",
    "think",
    "those",
    "through",
    "would",
    "could",
    "should",
    "which",
    "while",
    "where",
    "what",
    "when",
    "with",
    "your",
    "yours",
    "this",
    "that",
    "have",
    "from",
    "they",
    "them",
    "then",
    "than",
    "will",
    "just",
    "like",
    "really",
    "great",
    "let's",
    "going",
    "question",
    "answer",
    "interview",
];

fn content_words(s: &str) -> std::collections::BTreeSet<String> {
    words(s)
        .split_whitespace()
        .filter(|w| w.chars().count() >= 5 && !STOP.contains(w))
        .map(str::to_string)
        .collect()
}

/// Checks a whole reply as [`StreamGuard`] would. Returns the text the candidate would see
/// (the voiced part and anything appended), or `None` when the offline phrasing replaces it.
pub fn guard(
    k: &Knowledge,
    iv: &Interview,
    act: Act,
    offline_text: &str,
    reply: &str,
) -> Option<String> {
    let mut g = StreamGuard::new(k, iv, act, offline_text);
    // Piece by piece, as a stream arrives, so a failing sentence stops only what follows it.
    let mut from = 0;
    for (i, c) in reply.char_indices() {
        if matches!(c, '.' | '!' | '?' | ':' | '\n') {
            let to = i + c.len_utf8();
            g.push(&reply[from..to]);
            from = to;
        }
    }
    g.push(&reply[from..]);
    match g.finish(false) {
        Verdict::Passed { .. } => Some(g.said()),
        Verdict::Completed { missing, .. } => Some(format!("{}{}{missing}", g.said(), g.joint())),
        Verdict::Replaced => None,
    }
}

/// How a streamed reply ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Everything the act had to convey was said; `tail` is the last piece, not shown yet.
    Passed { tail: String },
    /// Something was shown, but the act's substance was not all there (the reply left it out,
    /// or a sentence was stopped): `tail` is the last voiced piece, not shown yet, and
    /// `missing` the sentences of the offline phrasing that carry what is missing.
    Completed { tail: String, missing: String },
    /// Nothing was shown (empty, off the subject, or its first sentence failed a check): say
    /// the offline phrasing instead.
    Replaced,
}

/// The guard for a reply that streams in. A sentence is released (shown) only once it is
/// complete and the reply so far passes every check; nothing is released until the reply has
/// touched the subject, so a reply that changes the subject is never shown at all. The first
/// sentence that fails stops the release for good.
pub struct StreamGuard<'k> {
    k: &'k Knowledge,
    /// Whether the give-away checks apply (not in hints and the wrap-up).
    leaks_checked: bool,
    /// Flows of the reference architecture nobody has said, as padded word strings.
    flows: Vec<String>,
    /// Reference components that neither the candidate nor the interviewer has named.
    unnamed: Vec<String>,
    /// Reference techniques (concept ids) the candidate has not proposed and the interviewer
    /// has not raised.
    unproposed: Vec<String>,
    echo: EchoCheck,
    /// Long runs of the candidate's own words: said back as the interviewer's, they are the
    /// model playing the candidate ("I would add Kafka partitions keyed by user id, …").
    candidate_echo: EchoCheck,
    /// Every number the interview has given (scenario, requirements revealed, the act's text,
    /// what anyone said, the reference for a deep hint); a reply may say no other.
    known_numbers: Vec<f64>,
    /// The most words a reply may run to before it is a lecture (outside hints and the
    /// wrap-up): half again the offline text, at least [`MIN_RUN_ON`].
    max_words: usize,
    topic: std::collections::BTreeSet<String>,
    essentials: Vec<Essential>,
    raw: String,
    shown: String,
    on_topic: bool,
    tripped: bool,
    catches: Vec<Catch>,
    missing: usize,
    /// What is missing includes a set-up to retell (the scenario, a failure, a twist).
    missing_setup: bool,
}

impl std::fmt::Debug for StreamGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamGuard")
            .field("shown", &self.shown)
            .field("tripped", &self.tripped)
            .field("catches", &self.catches)
            .finish_non_exhaustive()
    }
}

/// Unproposed reference items (components or techniques) that make a reply a give-away outside
/// hints and the wrap-up. One is enough: even a question that names a technique nobody has
/// raised ("would a dead-letter queue help?") hands the candidate that part of the answer, and
/// the act's own text (which may name it) is never counted.
const GIVE_AWAY_AT: usize = 1;

/// Words in a row from a candidate turn that make a reply the candidate's lines: an interviewer
/// may quote a phrase back, not a whole clause.
const CANDIDATE_RUN: usize = 10;

/// A reply may always run to this many words before it counts as a lecture (the persona is told
/// two to five sentences; a real 1.5B model answered its own scale twist in 200 words).
const MIN_RUN_ON: usize = 60;

/// Numbers small enough to be ordinary talk ("one or two things", "2 paths") rather than facts.
const SMALL_NUMBER: f64 = 2.0;

impl<'k> StreamGuard<'k> {
    pub fn new(k: &'k Knowledge, iv: &Interview, act: Act, offline_text: &str) -> Self {
        let sc = iv.scenario();
        let leaks_checked = !matches!(act, Act::Hint | Act::WrapUp);
        let (mut flows, mut unnamed, mut unproposed) = (Vec::new(), Vec::new(), Vec::new());
        if leaks_checked {
            let allowed = words(offline_text);
            let said: String = iv
                .transcript()
                .turns
                .iter()
                .map(|t| format!("{}\n", t.text))
                .collect();
            let said_words = words(&said);
            let mut raised: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
            for text in [said.as_str(), offline_text] {
                let a = k.analyzer.analyze(text);
                raised.extend(a.credited().into_iter().map(str::to_string));
                raised.extend(a.named_components().into_iter().map(str::to_string));
            }
            flows = sc
                .reference
                .architecture
                .lines()
                .map(words)
                .filter(|f| f.trim().contains(' ') && !allowed.contains(f.as_str()))
                .collect();
            unnamed = sc
                .reference
                .components
                .iter()
                .map(|c| c.component.clone())
                .filter(|id| {
                    !has_word(&allowed, id) && !has_word(&said_words, id) && !raised.contains(id)
                })
                .collect();
            // A requirement topic (peak traffic, latency, retention) is what an interviewer
            // asks about, not a part of the answer.
            let requirement = |c: &str| {
                k.concept_dims
                    .get(c)
                    .is_some_and(|d| d.contains(&pipeprep_bank::Dimension::RequirementsExtraction))
            };
            let mut concepts: Vec<String> = sc
                .referenced_concepts()
                .into_iter()
                .filter(|c| !raised.contains(*c) && !requirement(c))
                .map(str::to_string)
                .collect();
            concepts.sort();
            concepts.dedup();
            unproposed = concepts;
        }
        let mut headings: Vec<&str> = NOTE_HEADINGS.to_vec();
        headings.extend(["Interviewer's notes", "Private notes"]);
        let candidate: Vec<&str> = iv
            .transcript()
            .candidate_turns()
            .map(|(_, t)| t.text.as_str())
            .collect();
        let mut known_numbers = number_values(&format!(
            "{offline_text}\n{}\n{}\n{}",
            sc.title,
            sc.prompt,
            iv.revealed().join("\n")
        ));
        for t in &iv.transcript().turns {
            known_numbers.extend(number_values(&t.text));
        }
        if needs_reference(iv, act, offline_text) {
            known_numbers.extend(number_values(&sc.reference.architecture));
        }
        Self {
            k,
            leaks_checked,
            flows,
            unnamed,
            unproposed,
            echo: EchoCheck::new(&instructions(), &headings),
            candidate_echo: EchoCheck::with_run(&candidate, &[], CANDIDATE_RUN),
            max_words: (offline_text.split_whitespace().count() * 3 / 2).max(MIN_RUN_ON),
            known_numbers,
            topic: content_words(&format!("{offline_text} {} {}", sc.title, sc.prompt)),
            essentials: essentials(act, offline_text),
            raw: String::new(),
            shown: String::new(),
            on_topic: false,
            tripped: false,
            catches: Vec::new(),
            missing: 0,
            missing_setup: false,
        }
    }

    /// The reply as received so far.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Why sentences were held back, in order.
    pub fn catches(&self) -> &[Catch] {
        &self.catches
    }

    /// What the act had to convey.
    pub fn essentials(&self) -> &[Essential] {
        &self.essentials
    }

    /// How many of the essentials the voiced part left out (after [`finish`](Self::finish)).
    pub fn missing(&self) -> usize {
        self.missing
    }

    /// The reply without reasoning blocks, leading blank space, a leading "Interviewer:" label
    /// or an assistant opener ("Certainly!"). While what has arrived could still be the start
    /// of one of those, nothing is visible yet.
    fn visible(&self) -> String {
        let text = strip_think(&self.raw);
        let mut text = text.trim_start();
        for label in [
            "**interviewer:**",
            "**interviewer**:",
            "interviewer:",
            "**sam:**",
            "sam:",
        ] {
            match text.get(..label.len()) {
                Some(head) if head.eq_ignore_ascii_case(label) => {
                    text = text[label.len()..].trim_start();
                    break;
                }
                None if !text.is_empty()
                    && label
                        .get(..text.len())
                        .is_some_and(|l| l.eq_ignore_ascii_case(text)) =>
                {
                    return String::new();
                }
                _ => {}
            }
        }
        let text = guard::strip_opener(text).unwrap_or_default();
        // The notes end in "]": a reply that closes a bracket it never opened copied that.
        match text.trim_end().strip_suffix(']') {
            Some(before) if !before.contains('[') => before.trim_end_matches(']').to_string(),
            _ => text,
        }
    }

    /// Reference items the text names that nobody proposed: components by name, techniques by
    /// their terms or by meaning (the analyzer's semantic layer).
    pub fn leaks_in(&self, text: &str) -> usize {
        self.leaked(text).len()
    }

    /// The reference items of [`leaks_in`](Self::leaks_in), by id.
    pub fn leaked(&self, text: &str) -> Vec<String> {
        if !self.leaks_checked || text.trim().is_empty() {
            return Vec::new();
        }
        let said = words(text);
        let a = self.k.analyzer.analyze(text);
        let mut found: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        for id in &self.unnamed {
            if has_word(&said, id) || a.named_components().contains(&id.as_str()) {
                found.insert(id);
            }
        }
        for c in &self.unproposed {
            if a.has(c) {
                found.insert(c);
            }
        }
        found.into_iter().map(str::to_string).collect()
    }

    /// True when `text` states a number the interview never gave (within 1%, so "100,000" is
    /// "100K").
    fn invents_numbers(&self, text: &str) -> bool {
        number_values(text).into_iter().any(|v| {
            v.abs() > SMALL_NUMBER
                && !self
                    .known_numbers
                    .iter()
                    .any(|k| (k - v).abs() <= k.abs() * 0.01)
        })
    }

    /// Why `text` (everything released so far plus the next sentence) must not be said.
    fn fails(&self, text: &str) -> Option<Catch> {
        if let Some(c) = guard::problem(text) {
            return Some(c);
        }
        if self.echo.echoes(text) {
            return Some(Catch::PromptEcho);
        }
        if self.candidate_echo.echoes(text) {
            return Some(Catch::SpeaksForCandidate);
        }
        if guard::has_table(text) {
            return Some(Catch::Lecture);
        }
        if self.invents_numbers(text) {
            return Some(Catch::InventedNumber);
        }
        if !self.leaks_checked {
            return None;
        }
        if guard::lectures(text) || text.split_whitespace().count() > self.max_words {
            return Some(Catch::Lecture);
        }
        let said = words(text);
        if self.flows.iter().any(|f| said.contains(f.as_str()))
            || self.leaks_in(text) >= GIVE_AWAY_AT
        {
            return Some(Catch::GiveAway);
        }
        None
    }

    fn trip(&mut self, why: Catch) {
        self.tripped = true;
        self.catches.push(why);
    }

    /// Takes the next piece of the stream; returns the text that may be shown now (complete
    /// sentences that passed), possibly empty.
    pub fn push(&mut self, delta: &str) -> String {
        self.raw.push_str(delta);
        if self.tripped {
            return String::new();
        }
        let visible = self.visible();
        let Some(rest) = visible.get(self.shown.len()..) else {
            return String::new();
        };
        let Some(mut end) = guard::last_sentence_end(rest) else {
            return String::new();
        };
        // A sentence that ends in a colon introduces what follows ("To cope with this
        // failure:"): it waits until that has arrived and been checked with it.
        let ready = rest[..end].trim_end();
        if ready.ends_with(':') {
            match guard::last_sentence_end(ready.trim_end_matches(':')) {
                Some(e) if e > 0 => end = e,
                _ => return String::new(),
            }
        }
        let upto = format!("{}{}", self.shown, &rest[..end]);
        if let Some(why) = self.fails(&upto) {
            self.trip(why);
            return String::new();
        }
        if !self.on_topic {
            if content_words(&upto).is_disjoint(&self.topic) {
                return String::new();
            }
            self.on_topic = true;
        }
        self.shown = upto;
        rest[..end].to_string()
    }

    /// Ends the stream (`truncated`: the model stopped at its token limit) and judges what has
    /// not been shown yet, then what the act still needs said.
    pub fn finish(&mut self, truncated: bool) -> Verdict {
        let visible = self.visible();
        let mut tail = visible
            .get(self.shown.len()..)
            .unwrap_or_default()
            .trim_end()
            .to_string();
        if !self.tripped {
            if truncated && !guard::ends_sentence(&tail) {
                // Keep the complete sentences of the tail; the unfinished one is never shown.
                let keep = guard::last_sentence_end(&tail).unwrap_or(0);
                tail.truncate(keep);
                let tail_trimmed = tail.trim_end().len();
                tail.truncate(tail_trimmed);
                self.catches.push(Catch::Unfinished);
            }
            let whole = format!("{}{tail}", self.shown);
            let off_topic = !self.on_topic && content_words(&whole).is_disjoint(&self.topic);
            if whole.trim().is_empty() {
                self.trip(Catch::Empty);
            } else if off_topic {
                self.trip(Catch::OffTopic);
            } else if let Some(why) = self.fails(&whole) {
                self.trip(why);
            } else {
                self.shown = whole;
            }
        }
        if self.tripped {
            tail.clear();
        }
        self.complete(tail)
    }

    /// The stream failed: what was shown stays, and the verdict says what the act still needs.
    pub fn abandon(&mut self) -> Verdict {
        self.tripped = true;
        self.complete(String::new())
    }

    fn complete(&mut self, tail: String) -> Verdict {
        if self.shown.trim().is_empty() {
            self.shown.clear();
            self.missing = self.essentials.len();
            return Verdict::Replaced;
        }
        let said = self.shown.clone();
        let left_out: Vec<&Essential> = self
            .essentials
            .iter()
            .filter(|e| !e.conveyed_by(&said))
            .collect();
        self.missing_setup = left_out.iter().any(|e| e.setup);
        let missing: Vec<&str> = left_out.iter().map(|e| e.sentence.as_str()).collect();
        self.missing = missing.len();
        if missing.is_empty() {
            return Verdict::Passed { tail };
        }
        let mut seen = Vec::new();
        for s in missing {
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        Verdict::Completed {
            tail,
            missing: seen.join(" "),
        }
    }

    /// What goes between the voiced part and the offline sentences that complete it: the same
    /// paragraph, so a left-out question or figure reads as the speaker going on rather than as
    /// a second message; a set-up to retell (the scenario, a failure, a twist) is a block of its
    /// own and starts a new paragraph.
    pub fn joint(&self) -> &'static str {
        if self.missing_setup { "\n\n" } else { " " }
    }

    /// What was shown (after [`finish`](Self::finish): the whole voiced part).
    pub fn said(&self) -> String {
        self.shown.trim().to_string()
    }
}

/// What the tokens cost: dollars from the price table, or why there is no figure.
pub fn cost_text(
    model: &str,
    prompt_tokens: u64,
    completion_tokens: u64,
    local: bool,
    prices: &pipeprep_design::PriceTable,
) -> String {
    match prices
        .llm(model)
        .zip(prices.llm_usd(model, prompt_tokens, completion_tokens))
    {
        Some(((i, o), usd)) => {
            format!(
                "estimated cost ${usd:.4} (at ${}/${} per million tokens in/out, {} price as of {})",
                i.usd,
                o.usd,
                i.id.trim_end_matches("-input-per-million"),
                i.as_of
            )
        }
        None if local => format!(
            "cost: no price in the table for {model}; a model served on this machine costs nothing per token"
        ),
        None => format!("cost: no price in the table for {model}"),
    }
}

/// The end-of-interview line: turns voiced, tokens, and the cost when the price table has it.
pub fn summary_line(
    model: &str,
    stats: VoiceStats,
    local: bool,
    prices: &pipeprep_design::PriceTable,
) -> String {
    let u = stats.usage;
    let approx = if u.counted { " (some estimated)" } else { "" };
    let cost = cost_text(
        model,
        u64::from(u.prompt_tokens),
        u64::from(u.completion_tokens),
        local,
        prices,
    );
    let turns = if stats.voiced == 1 { "turn" } else { "turns" };
    format!(
        "LLM: {} {turns} voiced by {model}, {} offline; tokens in {} / out {}{approx}; {cost}",
        stats.voiced, stats.offline, u.prompt_tokens, u.completion_tokens
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pipeprep_core::interview::{Effect, Event, InterviewConfig};
    use pipeprep_llm::{BoxFuture, Completion, FakeBackend, LlmError, Role};
    use pipeprep_store::{SqliteStore, Store};

    use super::*;
    use crate::session::LiveSession;

    struct Shared(Arc<FakeBackend>);

    impl ChatBackend for Shared {
        fn label(&self) -> String {
            self.0.label()
        }
        fn complete<'a>(
            &'a self,
            req: &'a ChatRequest,
            on_delta: &'a mut (dyn FnMut(&str) + Send),
        ) -> BoxFuture<'a, Result<Completion, LlmError>> {
            self.0.complete(req, on_delta)
        }
    }

    /// A voice that plays `fake`'s script, shared so the test can inspect it afterwards.
    fn scripted_voice(fake: &Arc<FakeBackend>) -> LlmVoice {
        LlmVoice::new(
            Box::new(Shared(Arc::clone(fake))),
            "fake:scripted".into(),
            "scripted".into(),
        )
        .unwrap()
    }

    fn knowledge() -> pipeprep_core::Knowledge {
        crate::knowledge(crate::load_bank(None).unwrap()).unwrap()
    }

    fn cfg() -> InterviewConfig {
        InterviewConfig {
            scenario: "clickstream-analytics".into(),
            seed: 7,
            hard: false,
            focus: Vec::new(),
        }
    }

    fn interview(k: &pipeprep_core::Knowledge) -> Interview {
        let mut iv = Interview::new(k, cfg()).unwrap();
        iv.handle(k, Event::Start { at_ms: 0 });
        iv
    }

    #[test]
    fn guard_keeps_good_replies_and_replaces_bad_ones() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        let good = "<think>plan</think>Before we design anything: how many click events per second do you expect at peak?";
        assert_eq!(
            guard(&k, &iv, Act::Acknowledge, offline, good).as_deref(),
            Some(
                "Before we design anything: how many click events per second do you expect at peak?"
            )
        );
        assert_eq!(guard(&k, &iv, Act::Acknowledge, offline, "  \n "), None);
        assert_eq!(
            guard(&k, &iv, Act::Acknowledge, offline, "<think>x</think>"),
            None
        );
        // Gives the reference flow away outside a hint.
        let leak = "You could do Kafka -> Flink (5s window) -> Redis (dashboard), right?";
        assert_eq!(guard(&k, &iv, Act::Acknowledge, offline, leak), None);
        // Names reference components nobody mentioned: two are already a design.
        let tools = "Flink and Redis would handle the click events at that traffic.";
        assert_eq!(guard(&k, &iv, Act::Acknowledge, offline, tools), None);
        // The same in the wrap-up is fine.
        assert!(guard(&k, &iv, Act::WrapUp, offline, leak).is_some());
        // Changes the subject.
        assert_eq!(
            guard(
                &k,
                &iv,
                Act::Acknowledge,
                offline,
                "Lovely weather today, isn't it?"
            ),
            None
        );
    }

    /// Feeds `reply` to a stream guard a few characters at a time, as a provider would.
    fn stream_full(
        k: &Knowledge,
        iv: &Interview,
        act: Act,
        offline: &str,
        reply: &str,
        truncated: bool,
    ) -> (Vec<String>, Verdict, Vec<Catch>) {
        let mut g = StreamGuard::new(k, iv, act, offline);
        let chars: Vec<char> = reply.chars().collect();
        let mut shown = Vec::new();
        for chunk in chars.chunks(3) {
            let ready = g.push(&chunk.iter().collect::<String>());
            if !ready.is_empty() {
                shown.push(ready);
            }
        }
        let v = g.finish(truncated);
        (shown, v, g.catches().to_vec())
    }

    fn stream(
        k: &Knowledge,
        iv: &Interview,
        act: Act,
        offline: &str,
        reply: &str,
    ) -> (Vec<String>, Verdict) {
        let (shown, v, _) = stream_full(k, iv, act, offline, reply, false);
        (shown, v)
    }

    #[test]
    fn a_streamed_reply_is_shown_sentence_by_sentence_before_it_ends() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        let reply = "<think>they asked about volume</think>Good question to start with. \
                     Before we size anything: how many click events per second at peak?\n\n\
                     And is that spread evenly over the day";
        let (shown, verdict) = stream(&k, &iv, Act::Acknowledge, offline, reply);
        // The first sentence touches nothing of the subject, so it waits for the second, and
        // a sentence ending in a colon waits for what it introduces; from then on every
        // complete sentence is released as soon as it ends.
        assert_eq!(
            shown,
            [
                "Good question to start with. Before we size anything: how many click events per second at peak?\n\n"
            ]
        );
        assert_eq!(
            verdict,
            Verdict::Passed {
                tail: "And is that spread evenly over the day".into()
            }
        );
        let whole: String = shown.concat() + "And is that spread evenly over the day";
        assert_eq!(
            guard(&k, &iv, Act::Acknowledge, offline, reply),
            Some(whole)
        );
    }

    #[test]
    fn a_reply_stopped_at_the_token_limit_never_shows_its_unfinished_sentence() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        let reply = "How many click events per second do you expect at peak? And **Summary";
        let (shown, verdict, catches) =
            stream_full(&k, &iv, Act::Acknowledge, offline, reply, true);
        assert_eq!(
            shown.concat(),
            "How many click events per second do you expect at peak?"
        );
        assert_eq!(
            verdict,
            Verdict::Passed {
                tail: String::new()
            }
        );
        assert_eq!(catches, [Catch::Unfinished]);
        // Not stopped for length: the last piece is the model's own ending and is shown.
        let (_, verdict, catches) = stream_full(&k, &iv, Act::Acknowledge, offline, reply, false);
        assert!(matches!(verdict, Verdict::Passed { tail } if tail == " And **Summary"));
        assert!(catches.is_empty());
    }

    #[test]
    fn narration_echo_and_sign_offs_are_never_shown() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        for (reply, why) in [
            (
                "How many click events per second do you expect at peak? To respond, you might say: 'About 100K.'",
                Catch::Narration,
            ),
            (
                "How many click events per second do you expect at peak? The candidate should then size the topic.",
                Catch::Narration,
            ),
            (
                "How many click events per second do you expect at peak?\n**Must get across:** the peak.",
                Catch::PromptEcho,
            ),
            (
                "How many click events per second do you expect at peak?\n\nBest regards, [Your Name]",
                Catch::SignOff,
            ),
        ] {
            let (shown, verdict, catches) =
                stream_full(&k, &iv, Act::Acknowledge, offline, reply, false);
            assert_eq!(
                shown.concat().trim(),
                "How many click events per second do you expect at peak?",
                "{reply}"
            );
            assert_eq!(catches, [why], "{reply}");
            assert_eq!(
                verdict,
                Verdict::Passed {
                    tail: String::new()
                },
                "{reply}"
            );
        }
        // An assistant opener is dropped, not failed.
        let (shown, _, catches) = stream_full(
            &k,
            &iv,
            Act::Acknowledge,
            offline,
            "Certainly! how many click events per second do you expect at peak?",
            false,
        );
        assert_eq!(
            shown.concat(),
            "How many click events per second do you expect at peak?"
        );
        assert!(catches.is_empty());
    }

    /// Two replies Qwen2.5-Coder-1.5B wrote in a recorded run (scripts/llm-eval): it answered
    /// its own probe with facts nobody gave, and it replayed the candidate's answer as its own
    /// before the twist's question.
    #[test]
    fn invented_facts_and_the_candidates_own_lines_are_never_shown() {
        let k = knowledge();
        let mut iv = interview(&k);
        // The answer gives "the last 24 hours" and "$50K a month".
        iv.handle(
            &k,
            Event::Answer {
                text: "How long do we need to keep the raw data, and what is the monthly budget?"
                    .into(),
                at_ms: 30_000,
            },
        );
        assert!(iv.revealed().iter().any(|r| r.contains("24 hours")));
        assert!(iv.revealed().iter().any(|r| r.contains("$50K")));
        let answer = "To scale 10x I would add Kafka partitions keyed by user id, scale Flink \
                      parallelism horizontally, and watch for hot partitions and backpressure; \
                      salting hot keys helps with skew.";
        iv.handle(
            &k,
            Event::Answer {
                text: answer.into(),
                at_ms: 90_000,
            },
        );
        let probe = "What exactly lives in Redis, how big does it get, and what does the \
                     dashboard show right after Redis restarts?";
        let reply = "The Redis store holds user activity data for the last 24 hours. It's a 10GB \
                     database, and after a restart, it takes about 3 minutes to load all the data.";
        let (shown, verdict, catches) = stream_full(&k, &iv, Act::ProbeChoice, probe, reply, false);
        assert_eq!(
            shown.concat().trim(),
            "The Redis store holds user activity data for the last 24 hours."
        );
        assert_eq!(catches, [Catch::InventedNumber]);
        // The probe itself was never asked: the engine's question follows.
        assert!(
            matches!(&verdict, Verdict::Completed { missing, .. } if missing == probe),
            "{verdict:?}"
        );
        // "$50,000" is the budget's "$50K", not an invention.
        let (_, _, catches) = stream_full(
            &k,
            &iv,
            Act::ProbeChoice,
            probe,
            "With $50,000 a month for everything, what exactly lives in Redis, and what does the \
             dashboard show right after Redis restarts?",
            false,
        );
        assert!(catches.is_empty(), "{catches:?}");

        let twist = "Marketing is telling us Black Friday will be ten times bigger this year. \
                     What changes in your design?";
        let reply = "Marketing is telling us Black Friday will be ten times bigger this year. \
                     I would add Kafka partitions keyed by user id, scale Flink parallelism \
                     horizontally, and watch for hot partitions and backpressure. What changes?";
        let (shown, _, catches) = stream_full(&k, &iv, Act::ScaleTwist, twist, reply, false);
        assert_eq!(
            shown.concat().trim(),
            "Marketing is telling us Black Friday will be ten times bigger this year."
        );
        assert_eq!(catches, [Catch::SpeaksForCandidate]);
        // Quoting a phrase back is what interviewers do.
        let (_, _, catches) = stream_full(
            &k,
            &iv,
            Act::ScaleTwist,
            twist,
            "Marketing is telling us Black Friday will be ten times bigger this year. You \
             mentioned salting hot keys: what changes in your design?",
            false,
        );
        assert!(catches.is_empty(), "{catches:?}");
    }

    /// Replies to `inject_failure` that the 1.5B model wrote in a recorded run: the set-up, then
    /// a worked answer as a list. Only the set-up is ever shown; the question follows offline.
    #[test]
    fn a_worked_answer_in_a_list_is_never_shown() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "A celebrity posts a link to one product, and half the traffic is about \
                       that product. The dashboard latency climbs to 40 seconds. How do you find \
                       the cause, and what do you change?";
        for reply in [
            "A celebrity posts a link to one product, and half the traffic is about that product. \
             The dashboard latency climbs to 40 seconds.\n\nTo cope with this failure:\n1. \
             **Identify the Failure**: The celebrity post triggers a high volume of requests.",
            "A celebrity posts a link to one product, and half the traffic is about that product. \
             The dashboard latency climbs to 40 seconds.\n\n- **Kafka**: Ensure that Kafka is \
             configured to handle higher throughput.",
        ] {
            let (shown, verdict, catches) =
                stream_full(&k, &iv, Act::InjectFailure, offline, reply, false);
            let shown = shown.concat();
            assert!(shown.trim_end().ends_with("40 seconds."), "{shown:?}");
            assert!(
                !shown.contains("cope") && !shown.contains("Kafka"),
                "{shown:?}"
            );
            assert_eq!(catches, [Catch::Lecture], "{reply}");
            assert!(
                matches!(&verdict, Verdict::Completed { missing, .. }
                    if missing.contains("How do you find the cause")),
                "{verdict:?}"
            );
        }
        // The wrap-up the model wrote: its own score table is never shown, in any act.
        let wrap = "Thank you for your time. Here's the scorecard, grounded in your own words.";
        let reply = "Thank you for your time. Here's the scorecard, grounded in your own words:\n\
                     | Requirement | Implementation | Score |\n| --- | --- | --- |\n\
                     | Event Rate | Kafka -> Flink (5s window) -> Redis (dashboard) | 8/10 |\n";
        let (shown, _, catches) = stream_full(&k, &iv, Act::WrapUp, wrap, reply, false);
        assert!(
            !shown.concat().contains('|') && !shown.concat().contains("8/10"),
            "{shown:?}"
        );
        assert_eq!(catches, [Catch::Lecture]);
        // The scale twist the model answered itself, in prose: cut once it runs on.
        let twist = "Let's raise the stakes. A new IoT product line launches next quarter and volume \
                     goes to 10 billion events a day. Which parts of your dedup design scale \
                     linearly, and which ones break?";
        let reply = "As the IoT product line launches next quarter and volume goes to 10 billion \
                     events a day, we need to scale up our deduplication process.\n\nOne part of \
                     the design that scales linearly is the Kafka producer and consumer side. \
                     Kafka is designed for high-throughput and can handle a large number of \
                     messages per second. We can scale up the number of brokers and partitions in \
                     Kafka to handle more events per second.\n\nAnother part of the design that \
                     breaks down is the Flink deduplication step.";
        // The candidate's design named Kafka and Flink, as in the recorded run.
        let mut designed = interview(&k);
        designed.handle(
            &k,
            Event::Answer {
                text: "Producers -> Kafka -> Flink (dedup by event_id) -> S3".into(),
                at_ms: 60_000,
            },
        );
        let (shown, verdict, catches) =
            stream_full(&k, &designed, Act::ScaleTwist, twist, reply, false);
        let shown = shown.concat();
        assert!(
            shown.contains("10 billion") && !shown.contains("breaks down"),
            "{shown:?}"
        );
        assert_eq!(catches, [Catch::Lecture]);
        assert!(
            matches!(&verdict, Verdict::Completed { missing, .. } if missing.contains("Which parts")),
            "{verdict:?}"
        );
        // A hint may lay out steps.
        let (_, _, catches) = stream_full(
            &k,
            &iv,
            Act::Hint,
            offline,
            "Think about the celebrity product in two steps:\n1. find what makes the dashboard latency \
             climb\n2. spread that traffic.",
            false,
        );
        assert!(catches.is_empty(), "{catches:?}");
    }

    #[test]
    fn what_the_reply_left_out_follows_in_the_offline_phrasing() {
        let k = knowledge();
        let mut iv = interview(&k);
        let effects = iv.handle(
            &k,
            Event::Answer {
                text:
                    "What is the peak traffic of click events, and how fresh must the dashboard be?"
                        .into(),
                at_ms: 90_000,
            },
        );
        let (act, offline) = effects
            .iter()
            .find_map(|e| match e {
                Effect::Say { act, text, .. } => Some((*act, text.clone())),
                _ => None,
            })
            .unwrap();
        assert_eq!(act, Act::RevealRequirement, "{offline}");
        // The model repeats the question back instead of giving the numbers.
        let echo = "So you want to know how busy the click events get at peak, and how fresh the dashboard must be. Those are great things to pin down.";
        let (_, verdict) = stream(&k, &iv, act, &offline, echo);
        let Verdict::Completed { missing, .. } = verdict else {
            panic!("{verdict:?}")
        };
        let must = essentials(act, &offline);
        assert!(must.iter().any(|e| !e.numbers.is_empty()), "{must:?}");
        let appended = format!("{echo}\n\n{missing}");
        assert!(must.iter().all(|e| e.conveyed_by(&appended)), "{appended}");
    }

    #[test]
    fn the_notes_closing_bracket_copied_at_the_end_is_dropped() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        // As a real 1.5B model ended a probe: the notes' "]" after the last sentence.
        let (shown, verdict) = stream(
            &k,
            &iv,
            Act::Acknowledge,
            offline,
            "How many click events per second do you expect at peak?]",
        );
        assert_eq!(
            shown.concat(),
            "How many click events per second do you expect at peak?"
        );
        assert!(matches!(verdict, Verdict::Passed { .. }), "{verdict:?}");
        // A bracket the reply opened itself stays.
        let (shown, _) = stream(
            &k,
            &iv,
            Act::Acknowledge,
            offline,
            "How many click events per second do you expect at peak [on Black Friday]?",
        );
        assert!(shown.concat().contains("[on Black Friday]"), "{shown:?}");
    }

    #[test]
    fn a_give_away_by_meaning_is_caught_without_the_tools_names() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        // No component or technique named: two of the reference's techniques (deduplication,
        // key salting), each described in plain words, are recognised by meaning.
        let reply = "How many click events per second do you expect at peak? \
                     You will remember the ids you have already processed and discard any event whose id shows up again. \
                     Heavy keys are split into artificial sub-keys for the first pass and regrouped in a second pass.";
        let (shown, _, catches) = stream_full(&k, &iv, Act::Acknowledge, offline, reply, false);
        assert_eq!(catches, [Catch::GiveAway], "{shown:?}");
        assert!(shown.iter().all(|s| !s.contains("sub-keys")), "{shown:?}");
        // One technique is enough, even asked as a question; the requirement question before
        // it (peak traffic is a topic to ask about, not part of the answer) is shown.
        let reply = "How many click events per second do you expect at peak? \
                     Would salting the hot keys help?";
        let (shown, _, catches) = stream_full(&k, &iv, Act::Acknowledge, offline, reply, false);
        assert_eq!(catches, [Catch::GiveAway], "{shown:?}");
        assert_eq!(
            shown.concat().trim(),
            "How many click events per second do you expect at peak?"
        );
    }

    #[test]
    fn a_speaker_label_is_dropped_and_a_reply_that_speaks_for_the_candidate_is_cut() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        let (shown, verdict) = stream(
            &k,
            &iv,
            Act::Acknowledge,
            offline,
            "**Interviewer:** How many click events per second at peak?",
        );
        assert_eq!(shown, ["How many click events per second at peak?"]);
        assert!(matches!(verdict, Verdict::Passed { .. }));
        // "I" could start "Interviewer:", so it waits for the next characters, then shows.
        let (shown, _) = stream(
            &k,
            &iv,
            Act::Acknowledge,
            offline,
            "I see. Click events at peak?",
        );
        assert_eq!(shown.concat(), "I see. Click events at peak?");
        let (shown, verdict) = stream(
            &k,
            &iv,
            Act::WrapUp,
            offline,
            "How many click events at peak?\nCandidate: about 100K per second.\n",
        );
        assert_eq!(shown.concat(), "How many click events at peak?\n");
        assert_eq!(
            verdict,
            Verdict::Passed {
                tail: String::new()
            },
            "the question was asked"
        );
    }

    #[test]
    fn every_way_of_labelling_the_candidate_fails_the_reply() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        for label in [
            "**Candidate**:",
            "**Candidate:**",
            "Candidate :",
            "> Candidate:",
            "- Candidate:",
            "Candidate\u{ff1a}",
            "You:",
            "CANDIDATE:",
            "candidate:",
            "_Candidate_:",
            "### Candidate:",
        ] {
            let reply = format!("How many click events at peak?\n{label} about 100K per second.\n");
            let (shown, verdict) = stream(&k, &iv, Act::Acknowledge, offline, &reply);
            assert_eq!(
                shown.concat(),
                "How many click events at peak?\n",
                "{label}"
            );
            assert_eq!(
                verdict,
                Verdict::Passed {
                    tail: String::new()
                },
                "{label}"
            );
            assert_eq!(
                guard(&k, &iv, Act::Acknowledge, offline, &reply).as_deref(),
                Some("How many click events at peak?"),
                "{label}"
            );
            let reply = format!("{label} about 100K click events per second at peak.");
            let (shown, verdict) = stream(&k, &iv, Act::WrapUp, offline, &reply);
            assert!(shown.is_empty(), "{label}: {shown:?}");
            assert_eq!(verdict, Verdict::Replaced, "{label}");
        }
        // In the middle of a line, too.
        let reply = "How many click events at peak? Candidate: about 100K per second.";
        assert_eq!(
            guard(&k, &iv, Act::Acknowledge, offline, reply).as_deref(),
            Some("How many click events at peak?")
        );
        // Addressing the candidate, or the word "candidates", is fine.
        let reply = "How many click events at peak would you expect, and would candidates for the key matter?";
        assert!(guard(&k, &iv, Act::Acknowledge, offline, reply).is_some());
    }

    #[test]
    fn a_sentence_that_gives_the_solution_away_is_never_shown() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        // The second sentence names three reference components nobody mentioned.
        let reply = "Let's think about the click events at peak. \
                     Flink, Redis and Snowflake would make this easy. How many per second?";
        let (shown, verdict) = stream(&k, &iv, Act::Acknowledge, offline, reply);
        assert_eq!(shown, ["Let's think about the click events at peak."]);
        // The question was never asked, so the engine's phrasing of it follows.
        assert_eq!(
            verdict,
            Verdict::Completed {
                tail: String::new(),
                missing: offline.into()
            }
        );
        assert!(shown.iter().all(|s| !s.contains("Flink")));
        // The question follows in the same paragraph: one speaker going on, not a second message.
        assert_eq!(
            guard(&k, &iv, Act::Acknowledge, offline, reply).as_deref(),
            Some(
                "Let's think about the click events at peak. What peak traffic do you expect for the click events?"
            )
        );
        // Off the subject from the start: nothing at all is shown.
        let (shown, verdict) = stream(
            &k,
            &iv,
            Act::Acknowledge,
            offline,
            "Lovely weather today. Did you see the match?",
        );
        assert!(shown.is_empty(), "{shown:?}");
        assert_eq!(verdict, Verdict::Replaced);
        // Only reasoning, never an answer: nothing shown, replaced.
        let (shown, verdict) = stream(&k, &iv, Act::Acknowledge, offline, "<think>hmm. ok. so.");
        assert!(shown.is_empty());
        assert_eq!(verdict, Verdict::Replaced);
        // In a hint the same components are allowed.
        let (_, verdict) = stream(&k, &iv, Act::Hint, offline, reply);
        assert!(matches!(verdict, Verdict::Passed { .. }));
    }

    #[test]
    fn the_cost_line_prices_listed_models_and_says_when_it_cannot() {
        let k = knowledge();
        let prices = &k.bank.prices;
        let stats = VoiceStats {
            usage: Usage {
                prompt_tokens: 10_000,
                completion_tokens: 2_000,
                counted: false,
            },
            voiced: 12,
            offline: 0,
        };
        // 10,000 x $0.15 + 2,000 x $0.60 per million = $0.0015 + $0.0012.
        let line = summary_line("gpt-4o-mini-2024-07-18", stats, false, prices);
        assert!(
            line.contains("estimated cost $0.0027") && line.contains("as of 2026-11-25"),
            "{line}"
        );
        let line = summary_line("llama3.1:8b", stats, true, prices);
        assert!(
            line.ends_with("no price in the table for llama3.1:8b; a model served on this machine costs nothing per token"),
            "{line}"
        );
        let line = summary_line("mystery-model", stats, false, prices);
        assert!(
            line.ends_with("cost: no price in the table for mystery-model"),
            "{line}"
        );
    }

    #[test]
    fn the_prompt_is_a_conversation_with_the_act_last() {
        let k = knowledge();
        let iv = interview(&k);
        let recent: Vec<Said> = (0..10)
            .map(|i| Said {
                interviewer: i % 2 == 0,
                text: format!("turn number {i}"),
            })
            .collect();
        let req = request(&iv, Act::Acknowledge, "Say this.", &recent);
        assert_eq!(req.system, SYSTEM_PROMPT);
        // Roles alternate, starting and ending with the user; the examples come first.
        for (i, m) in req.messages.iter().enumerate() {
            let want = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            assert_eq!(m.role, want, "message {i}");
        }
        assert_eq!(req.messages[1].content, EXAMPLES[0].1);
        let all: String = req.messages.iter().map(|m| m.content.as_str()).collect();
        assert!(all.contains("turn number 0"), "ten turns: none dropped yet");
        let last = &req.messages.last().unwrap().content;
        assert!(last.starts_with("turn number 9"), "{last}");
        // Past the budget (at the eleventh of these turns) the oldest go in one step and the
        // last four stay; the twelfth joins them.
        let longer: Vec<Said> = (0..12)
            .map(|i| Said {
                interviewer: i % 2 == 0,
                text: format!("turn number {i}: {}", "so on and so forth ".repeat(20)),
            })
            .collect();
        let trimmed = request(&iv, Act::Acknowledge, "Say this.", &longer);
        let kept: String = trimmed
            .messages
            .iter()
            .map(|m| m.content.as_str())
            .collect();
        assert!(!kept.contains("turn number 6"), "the oldest turns dropped");
        assert!(kept.contains("turn number 7:"), "{kept}");
        assert!(last.contains("Must get across: Say this."), "{last}");
        let interviewer_turn = req
            .messages
            .iter()
            .find(|m| m.content == "turn number 8")
            .unwrap();
        assert_eq!(interviewer_turn.role, Role::Assistant);
        let flow = iv.scenario().reference.architecture.lines().next().unwrap();
        assert!(
            !all.contains(flow),
            "no reference outside hints and wrap-up"
        );
        let text = |r: &ChatRequest| r.messages.last().unwrap().content.clone();
        assert!(text(&request(&iv, Act::WrapUp, "Thanks.", &recent)).contains(flow));
        let ladder = &iv.scenario().hints[0];
        assert!(!text(&request(&iv, Act::Hint, &ladder.levels[0], &recent)).contains(flow));
        assert!(text(&request(&iv, Act::Hint, &ladder.levels[2], &recent)).contains(flow));
        // The greeting: no turns yet, the scenario in full, still alternating.
        let greet = request(&iv, Act::GreetScenario, "Welcome!", &[]);
        assert_eq!(greet.messages.last().unwrap().role, Role::User);
        assert!(
            text(&greet).contains(
                iv.scenario()
                    .prompt
                    .trim()
                    .chars()
                    .take(60)
                    .collect::<String>()
                    .as_str()
            )
        );
    }

    #[test]
    fn the_notes_repeat_a_requirement_only_when_the_history_no_longer_shows_it() {
        let k = knowledge();
        let mut iv = interview(&k);
        let effects = iv.handle(
            &k,
            Event::Answer {
                text: "What is the peak traffic of click events?".into(),
                at_ms: 90_000,
            },
        );
        let reveal = effects
            .iter()
            .find_map(|e| match e {
                Effect::Say { text, .. } => Some(text.clone()),
                _ => None,
            })
            .unwrap();
        let notes_of = |r: &ChatRequest| {
            let last = &r.messages.last().unwrap().content;
            last[last.rfind("[Notes. Phase").unwrap()..].to_string()
        };
        // The message that reveals it carries it once, as what to get across.
        let now = notes_of(&request(&iv, Act::RevealRequirement, &reveal, &[]));
        assert!(!now.contains("Requirements revealed earlier"), "{now}");
        // Said in a turn the prompt still holds: not repeated.
        let held = [
            Said {
                interviewer: true,
                text: reveal.clone(),
            },
            Said {
                interviewer: false,
                text: "Thanks.".into(),
            },
        ];
        let later = notes_of(&request(&iv, Act::Acknowledge, "Go on.", &held));
        assert!(!later.contains("Requirements revealed earlier"), "{later}");
        // Dropped from the history: the notes carry it.
        let gone = [Said {
            interviewer: false,
            text: "Thanks.".into(),
        }];
        let later = notes_of(&request(&iv, Act::Acknowledge, "Go on.", &gone));
        assert!(
            later.contains("Requirements revealed earlier: ") && later.contains("100K"),
            "{later}"
        );
        // Said in a turn the history has since dropped: the opener carries it, where it stays
        // the same turn after turn, and the notes do not repeat it.
        let mut long = held.to_vec();
        for i in 0..16 {
            long.push(Said {
                interviewer: i % 2 == 0,
                text: format!(
                    "Turn {i}. {}",
                    "We keep talking about the design. ".repeat(10)
                ),
            });
        }
        assert!(history_start(&long) > 0);
        let req = request(&iv, Act::Acknowledge, "Go on.", &long);
        let opener = &req.messages[2 * EXAMPLES.len()].content;
        assert!(
            opener.contains("Requirements revealed earlier: ") && opener.contains("100K"),
            "{opener}"
        );
        let later = notes_of(&req);
        assert!(!later.contains("Requirements revealed earlier"), "{later}");
        long.push(Said {
            interviewer: false,
            text: "More.".into(),
        });
        let next = request(&iv, Act::Acknowledge, "Go on.", &long);
        assert_eq!(next.messages[2 * EXAMPLES.len()].content, *opener);
    }

    #[test]
    fn each_prompt_extends_the_one_before_except_when_old_turns_are_dropped() {
        let k = knowledge();
        let iv = interview(&k);
        // Turns of uneven length, as in an interview: long interviewer turns, shorter answers.
        let said: Vec<Said> = (0..40)
            .map(|i| Said {
                interviewer: i % 2 == 0,
                text: if i % 2 == 0 {
                    format!(
                        "Interviewer turn {i}: {} What would you do about late events?",
                        "Here is what the business told us about the traffic. ".repeat(1 + i % 7)
                    )
                } else {
                    format!(
                        "Candidate turn {i}: I would key the stream by user id and window it.{}",
                        " Then I would check the counts.".repeat(i % 5)
                    )
                },
            })
            .collect();
        let fixed = {
            let greet = flat_prompt(&request(&iv, Act::GreetScenario, "Welcome!", &[]));
            greet[..greet.rfind("[Notes. Phase").unwrap()]
                .trim_end()
                .to_string()
        };
        let mut before: Option<String> = None;
        let mut drops = Vec::new();
        for n in 0..=said.len() {
            let req = request(&iv, Act::Acknowledge, "Noted. What next?", &said[..n]);
            let now = flat_prompt(&req);
            // The persona, the examples and the scenario never change.
            assert!(now.starts_with(&fixed), "turn {n}: the fixed part changed");
            if let Some(prev) = before {
                // Everything of the previous prompt but its notes is still there, in place.
                let kept = prev[..prev.rfind("[Notes. Phase").unwrap()].trim_end();
                if !now.starts_with(kept) {
                    assert_ne!(
                        history_start(&said[..n]),
                        history_start(&said[..n - 1]),
                        "turn {n}: the prompt changed before its notes with no turns dropped"
                    );
                    drops.push(n);
                }
            }
            let history: usize = said[history_start(&said[..n])..n]
                .iter()
                .map(|t| t.text.chars().count())
                .sum();
            assert!(
                history <= HISTORY_CHARS + TURN_CHARS,
                "turn {n}: {history} characters of history"
            );
            before = Some(now);
        }
        // Old turns were dropped, and in steps: several turns apart, not on every turn.
        assert!(drops.len() >= 2, "{drops:?}");
        assert!(
            drops.windows(2).all(|w| w[1] - w[0] >= 2 * RECENT_TURNS),
            "{drops:?}"
        );
    }

    #[test]
    fn a_voice_that_keeps_its_notes_extends_its_whole_previous_prompt() {
        let k = knowledge();
        let iv = interview(&k);
        let said: Vec<Said> = (0..40)
            .map(|i| Said {
                interviewer: i % 2 == 0,
                text: format!(
                    "Turn {i}: {}",
                    "We keep talking about the design of the pipeline. ".repeat(1 + i % 5)
                ),
            })
            .collect();
        let mut past = Past::default();
        let mut before: Option<String> = None;
        let (mut kept, mut drops) = (0, 0);
        // The interviewer speaks at every even turn, as in an interview.
        for n in (0..=said.len()).step_by(2) {
            let offline = format!("Noted, turn {n}. What next?");
            let (req, note) = build(&iv, Act::Acknowledge, &offline, &said[..n], &past);
            let now = flat_prompt(&req);
            assert!(now.ends_with(&note), "turn {n}: the notes come last");
            if let Some(prev) = &before {
                // The previous request whole, notes included, then the turns said since.
                if now.starts_with(prev.as_str()) {
                    kept += 1;
                    assert!(
                        now[prev.len()..]
                            .starts_with(&format!("\n<assistant>\n{}", said[n - 2].text.trim())),
                        "turn {n}: {}",
                        &now[prev.len()..]
                    );
                } else {
                    drops += 1;
                    assert_ne!(
                        history_start(&said[..n]),
                        history_start(&said[..n - 2]),
                        "turn {n}: the prompt changed with no turns dropped"
                    );
                    // Notes from before the drop are not carried into the new prompt.
                    let old = format!("Noted, turn {}.", n - 2);
                    assert!(!now.contains(&old), "turn {n}: {now}");
                }
            }
            past.notes.insert(n, note);
            before = Some(now);
        }
        assert!(
            drops >= 1 && kept > 3 * drops,
            "kept {kept}, dropped {drops}"
        );
        // A fresh voice (after a resume) knows no notes: the same turns, only the new notes.
        let fresh = flat_prompt(&request(&iv, Act::Acknowledge, "Go on.", &said[..6]));
        assert_eq!(fresh.matches("[Notes. Phase").count(), 1, "{fresh}");
    }

    #[test]
    fn the_notes_give_the_design_again_only_when_it_changed() {
        let k = knowledge();
        let mut iv = interview(&k);
        let mut said = Vec::new();
        let mut past = Past::default();
        let mut design_lines = Vec::new();
        for (i, answer) in [
            "Producers -> Kafka -> Flink -> S3",
            "Kafka is partitioned by user id.",
            "Flink -> Redis for the dashboard",
        ]
        .into_iter()
        .enumerate()
        {
            iv.handle(
                &k,
                Event::Answer {
                    text: answer.into(),
                    at_ms: 60_000 * (i as u64 + 1),
                },
            );
            said.push(Said {
                interviewer: false,
                text: answer.into(),
            });
            let (_, note) = build(&iv, Act::ProbeChoice, "Why Kafka?", &said, &past);
            design_lines.push(note.contains(DESIGN_LINE));
            past.notes.insert(said.len(), note);
            said.push(Said {
                interviewer: true,
                text: "Why Kafka?".into(),
            });
        }
        // Given with the first design, not with the same design again, given again once it grew.
        assert_eq!(design_lines, [true, false, true]);
        // A voice that knows no earlier notes always gives it.
        let (_, note) = build(&iv, Act::ProbeChoice, "Why Kafka?", &said, &Past::default());
        assert!(note.contains(DESIGN_LINE), "{note}");
    }

    #[test]
    fn streamed_words_are_shown_in_order_and_stored_with_who_worded_them() {
        let k = knowledge();
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("p.db")).unwrap();
        let fake = Arc::new(
            FakeBackend::new()
                .reply("Welcome! We run a busy online store and want click events analysed. What would you like to know first?")
                // Gives three reference components away in its second sentence.
                .reply("Good that you ask about click events. Flink, Redis and Snowflake would do it.")
                .fail(LlmError::ScriptExhausted),
        );
        let voice = scripted_voice(&fake);
        let mut live = LiveSession::create(&k, &store, cfg(), Some(voice)).unwrap();
        let mut log: Vec<String> = Vec::new();
        let mut record = |s: crate::session::Shown<'_>| {
            use crate::session::Shown;
            log.push(match s {
                Shown::SayStart => "<say>".into(),
                Shown::Text(t) => t.to_string(),
                Shown::SayEnd => "</say>".into(),
                Shown::Notice(n) => format!("notice: {n}"),
                Shown::Effect(_) => "effect".into(),
            });
        };
        let greeting = live.step(Event::Start { at_ms: 0 }, &mut record).unwrap();
        let turn = live
            .step(
                Event::Answer {
                    text: "What is the peak traffic of click events?".into(),
                    at_ms: 90_000,
                },
                &mut record,
            )
            .unwrap();
        let third = live
            .step(
                Event::Answer {
                    text: "And the latency?".into(),
                    at_ms: 180_000,
                },
                &mut record,
            )
            .unwrap();
        // The greeting arrived sentence by sentence; it never presented the scenario, so the
        // scenario followed in the engine's words and the turn is stored as completed offline.
        let scenario = k
            .bank
            .scenario("clickstream-analytics")
            .unwrap()
            .prompt
            .trim()
            .to_string();
        assert_eq!(
            &log[..6],
            [
                "<say>",
                "Welcome!",
                " We run a busy online store and want click events analysed.",
                " What would you like to know first?",
                &format!("\n\n{scenario}"),
                "</say>"
            ]
        );
        let stored = store.load(live.id()).unwrap();
        assert_eq!(stored.turns[0].voice.as_deref(), Some(LLM_THEN_OFFLINE));
        assert_eq!(
            stored.turns[0].text,
            format!(
                "Welcome! We run a busy online store and want click events analysed. What would you like to know first?\n\n{scenario}"
            )
        );
        let said = |effects: &[Effect]| -> Vec<String> {
            effects
                .iter()
                .filter_map(|e| match e {
                    Effect::Say { text, .. } => Some(text.clone()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(said(&greeting), [stored.turns[0].text.clone()]);
        // The give-away sentence never reached the screen; the engine's phrasing followed.
        assert!(log.iter().all(|l| !l.contains("Snowflake")), "{log:?}");
        let second = &stored.turns[2];
        assert_eq!(second.voice.as_deref(), Some(LLM_THEN_OFFLINE));
        assert!(
            second
                .text
                .starts_with("Good that you ask about click events. About 2 billion events"),
            "{}",
            second.text
        );
        assert_eq!(said(&turn), std::slice::from_ref(&second.text));
        // The third call fails: one notice, the engine's words, stored as offline.
        assert_eq!(
            log.iter().filter(|l| l.starts_with("notice: ")).count(),
            1,
            "{log:?}"
        );
        assert!(
            log.iter()
                .any(|l| l.contains("continuing with the offline interviewer"))
        );
        let last = stored_last_interviewer(&store, live.id());
        assert_eq!(last.voice.as_deref(), Some(OFFLINE));
        assert_eq!(said(&third).last(), Some(&last.text));
        assert_eq!(fake.remaining(), 0);
    }

    /// Sends one sentence of a reply, then the connection drops.
    struct CutMidway;

    impl ChatBackend for CutMidway {
        fn label(&self) -> String {
            "cut:midway".into()
        }
        fn complete<'a>(
            &'a self,
            _req: &'a ChatRequest,
            on_delta: &'a mut (dyn FnMut(&str) + Send),
        ) -> BoxFuture<'a, Result<Completion, LlmError>> {
            Box::pin(async move {
                on_delta("Welcome! Today we look at click events ");
                on_delta("for a busy online store. And then");
                Err(LlmError::Stream(pipeprep_llm::StreamError::Cut {
                    marker: "[DONE]",
                    reason: "connection reset".into(),
                }))
            })
        }
    }

    #[test]
    fn a_stream_cut_midway_keeps_what_was_said_and_finishes_in_the_offline_voice() {
        let k = knowledge();
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("p.db")).unwrap();
        let voice =
            LlmVoice::new(Box::new(CutMidway), "cut:midway".into(), "midway".into()).unwrap();
        let mut live = LiveSession::create(&k, &store, cfg(), Some(voice)).unwrap();
        let mut shown = String::new();
        let mut notices = Vec::new();
        let effects = live
            .step(Event::Start { at_ms: 0 }, &mut |s| match s {
                crate::session::Shown::Text(t) => shown.push_str(t),
                crate::session::Shown::Notice(n) => notices.push(n.to_string()),
                _ => {}
            })
            .unwrap();
        let offline = Interview::new(&k, cfg())
            .unwrap()
            .handle(&k, Event::Start { at_ms: 0 })
            .into_iter()
            .find_map(|e| match e {
                Effect::Say { text, .. } => Some(text),
                _ => None,
            })
            .unwrap();
        // The complete sentence was shown, the unfinished one never was, and the scenario (what
        // the greeting had to convey) followed in the engine's words, without its framing.
        let scenario = k
            .bank
            .scenario("clickstream-analytics")
            .unwrap()
            .prompt
            .trim()
            .to_string();
        assert!(offline.ends_with(&scenario), "{offline}");
        assert_eq!(
            shown,
            format!(
                "Welcome! Today we look at click events for a busy online store.\n\n{scenario}"
            )
        );
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].contains("stopped in the middle of a reply"),
            "{}",
            notices[0]
        );
        let turn = stored_last_interviewer(&store, live.id());
        assert_eq!(turn.voice.as_deref(), Some(LLM_THEN_OFFLINE));
        assert_eq!(turn.text, shown);
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Say { text, .. } if *text == shown))
        );
        assert!(live.voice().unwrap().is_offline());
    }

    fn stored_last_interviewer(store: &SqliteStore, id: &str) -> pipeprep_store::TurnRow {
        store
            .load(id)
            .unwrap()
            .turns
            .into_iter()
            .rev()
            .find(|t| t.speaker == "interviewer")
            .unwrap()
    }

    #[test]
    fn voiced_text_is_stored_and_a_failure_goes_offline_for_good() {
        let k = knowledge();
        // A greeting that presents the scenario in its own words passes as it is.
        let greeting_reply = "Welcome! We run a busy online store: every page view, search, add-to-cart and checkout on the web site and mobile apps sends a click event. \
Operations wants a live dashboard to spot a broken checkout or a product going viral while it is happening. \
Analytics wants regular reports on funnels and campaign performance, and wants to keep the history to go back and re-analyse it. \
We would like you to design the pipeline behind both. Before you draw anything, what would you like to know?".to_string();
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("p.db")).unwrap();
        let fake = Arc::new(
            FakeBackend::new()
                .reply(greeting_reply.clone())
                .fail(LlmError::ScriptExhausted),
        );
        let voice = scripted_voice(&fake);
        let (mut live, greeting) =
            LiveSession::start_with_voice(&k, &store, cfg(), Some(voice)).unwrap();
        let said: Vec<&str> = greeting
            .iter()
            .filter_map(|e| match e {
                Effect::Say { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(said, [greeting_reply.as_str()]);
        let stored = store.load(live.id()).unwrap();
        assert_eq!(stored.turns[0].text, said[0], "stored as said");
        assert_eq!(
            stored.summary.llm.as_ref().map(|l| l.model.as_str()),
            Some("scripted")
        );

        // The next call fails: offline from now on, without asking again.
        let e1 = live
            .handle(Event::Answer {
                text: "What is the peak traffic?".into(),
                at_ms: 90_000,
            })
            .unwrap();
        let e2 = live
            .handle(Event::Answer {
                text: "And the latency?".into(),
                at_ms: 180_000,
            })
            .unwrap();
        assert!(
            e1.iter()
                .chain(&e2)
                .any(|e| matches!(e, Effect::Say { .. }))
        );
        assert_eq!(fake.requests().len(), 2, "no calls after the failure");
        let v = live.voice().unwrap();
        assert!(v.is_offline());
        assert_eq!(v.stats().voiced, 1);
        assert!(v.stats().offline >= 2);
        let line = live.llm_summary().unwrap();
        assert!(
            line.starts_with("LLM: 1 turn voiced by scripted")
                && line.contains("no price in the table for scripted"),
            "{line}"
        );
    }
}
