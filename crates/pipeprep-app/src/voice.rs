//! The LLM voice: for each act the engine chose, the candidate's own LLM writes the interviewer's
//! message in the persona. The engine still owns the flow and the score; the LLM only words the
//! act. The prompt is compact (persona, a small state block, the act, the last few turns), the
//! reference solution goes only into acts that need it, and a guard replaces any message that
//! gives the solution away, changes the subject or is empty with the offline phrasing. On the
//! first failure the interview says so once and carries on with the offline voice.

use anyhow::Result;
use pipeprep_core::interview::{Act, Interview};
use pipeprep_llm::{ChatBackend, ChatRequest, Usage};

/// How many earlier turns the prompt carries.
pub const RECENT_TURNS: usize = 4;
/// The most characters of one earlier turn the prompt carries.
const TURN_CHARS: usize = 600;
/// The most characters of the scenario's prompt the state block carries.
const SCENARIO_CHARS: usize = 700;

/// The persona and the rules, the same for every message (so providers can cache it).
pub const SYSTEM_PROMPT: &str = "You are the interviewer in a mock system-design interview about data pipelines: a warm, \
experienced Principal Data Engineer. An interview engine runs the interview: it decides what \
happens next (the act) and what it must convey. Your only job is to say that in your own words, \
as one natural message to the candidate.\n\
Rules:\n\
- Keep the engine's decision: convey everything in \"What to convey\" (every question, number, \
requirement and instruction in it) and nothing that contradicts it. Do not move to another topic.\n\
- Be Socratic: ask, do not lecture. Never give away the solution, tools or architecture the \
candidate has not proposed, unless the act is a hint or the wrap-up and the reference is given.\n\
- Never scold, never rate or grade the candidate, never mention scores, levels or the engine.\n\
- Refer to what the candidate just said when it helps, briefly.\n\
- 1 to 4 short paragraphs, plain text or light markdown, no headings, no sign-off.";

/// Tokens and turns so far, for the end-of-interview line and the session row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoiceStats {
    pub usage: Usage,
    /// Messages the LLM wrote that were said.
    pub voiced: u32,
    /// Messages said in the offline voice: after a failure, or replaced by the guard.
    pub offline: u32,
}

/// An interviewer turn or a candidate turn, as it was said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub interviewer: bool,
    pub text: String,
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
    /// True once the LLM's second opinion on the scorecard was received and checked.
    reviewed: bool,
    /// The model runs on this machine (a loopback address): no per-token price.
    local: bool,
}

impl LlmVoice {
    pub fn new(backend: Box<dyn ChatBackend>, spec: String, model: String) -> Result<Self> {
        Ok(Self {
            backend,
            rt: crate::llm::runtime()?,
            spec,
            model,
            offline: false,
            stats: VoiceStats::default(),
            reviewed: false,
            local: false,
        })
    }

    /// Marks the model as running on this machine (its server is on a loopback address).
    pub fn set_local(&mut self, local: bool) {
        self.local = local;
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
        self.reviewed
    }

    /// Asks for a second opinion on the engine's scorecard and applies what can be verified.
    /// On a failure, or a reply that is not the JSON asked for, the card stays the engine's;
    /// a failure to answer returns the line to tell the candidate.
    pub fn second_opinion(
        &mut self,
        iv: &Interview,
        card: &mut pipeprep_core::Scorecard,
    ) -> Option<String> {
        if self.offline {
            return None;
        }
        let req = crate::opinion::request(card, iv.transcript(), iv.scenario());
        match self.rt.block_on(self.backend.complete(&req, &mut |_| {})) {
            Ok(c) => {
                self.stats.usage += c.usage;
                if crate::opinion::apply(card, iv.transcript(), &c.text, &self.model).is_some() {
                    self.reviewed = true;
                }
                None
            }
            Err(e) => {
                self.offline = true;
                Some(format!(
                    "the LLM at {} is not answering ({e}); the scorecard is the rubric engine's alone",
                    self.spec
                ))
            }
        }
    }

    /// Says the message for `act`, passing it to `show` as it streams in: the LLM's words,
    /// released sentence by sentence through the [`StreamGuard`], else the offline phrasing.
    /// On the first failure `show` gets one notice and every later turn is offline.
    pub fn speak(
        &mut self,
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
        let req = request(iv, act, offline_text, recent);
        let mut g = StreamGuard::new(iv, act, offline_text);
        let result = {
            let mut on_delta = |d: &str| {
                let ready = g.push(d);
                if !ready.is_empty() {
                    show(Piece::Text(&ready));
                }
            };
            self.rt.block_on(self.backend.complete(&req, &mut on_delta))
        };
        let verdict = match result {
            Ok(c) => {
                self.stats.usage += c.usage;
                g.finish()
            }
            Err(e) => {
                self.offline = true;
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
                if cut { Verdict::Cut } else { Verdict::Replaced }
            }
        };
        match verdict {
            Verdict::Passed { tail } => {
                if !tail.is_empty() {
                    show(Piece::Text(&tail));
                }
                self.stats.voiced += 1;
                Spoken {
                    text: g.said(),
                    voice: LLM,
                }
            }
            Verdict::Replaced => {
                self.stats.offline += 1;
                show(Piece::Text(offline_text));
                offline(OFFLINE)
            }
            Verdict::Cut => {
                self.stats.offline += 1;
                let rest = format!("\n\n{}", offline_text.trim());
                show(Piece::Text(&rest));
                Spoken {
                    text: format!("{}{rest}", g.said()),
                    voice: LLM_THEN_OFFLINE,
                }
            }
        }
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
        Act::GreetScenario => "open the interview and present the scenario",
        Act::RevealRequirement => "answer the candidate's question by revealing a requirement",
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

/// The compact request for one message: the fixed persona, then one user message with the state,
/// the last few turns, the act and what it must convey.
pub fn request(iv: &Interview, act: Act, offline_text: &str, recent: &[Said]) -> ChatRequest {
    let sc = iv.scenario();
    let mut u = String::new();
    u.push_str(&format!(
        "Scenario: {} — {}\n",
        sc.title,
        clip(&sc.prompt, SCENARIO_CHARS)
    ));
    u.push_str(&format!(
        "Phase: {}; hints given: {}\n",
        iv.phase().title(),
        iv.hints_given()
    ));
    let revealed = iv.revealed();
    if !revealed.is_empty() {
        u.push_str("Requirements revealed so far:\n");
        for r in revealed {
            u.push_str(&format!("- {}\n", clip(r, 200)));
        }
    }
    let design = iv.design();
    if !design.is_empty() {
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
        u.push_str(&format!(
            "Candidate's design so far: {}\n",
            clip(&shown, 600)
        ));
    }
    if needs_reference(iv, act, offline_text) {
        u.push_str(&format!(
            "Reference solution (for this message only; reveal no more than the act needs):\n{}\n",
            sc.reference.architecture.trim()
        ));
    }
    let start = recent.len().saturating_sub(RECENT_TURNS);
    if start < recent.len() {
        u.push_str("\nRecent turns (oldest first):\n");
        for t in &recent[start..] {
            let who = if t.interviewer {
                "Interviewer"
            } else {
                "Candidate"
            };
            u.push_str(&format!("{who}: {}\n", clip(&t.text, TURN_CHARS)));
        }
    }
    u.push_str(&format!(
        "\nAct: {} ({})\nWhat to convey:\n{}\n\nWrite only the interviewer's next message.",
        act_name(act),
        act_purpose(act),
        offline_text.trim()
    ));
    let mut req = ChatRequest::new(SYSTEM_PROMPT).user(u);
    req.max_tokens = 400;
    req
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

/// Lowercase words separated by single spaces, padded with a space on each side.
fn words(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    format!(
        " {} ",
        mapped.split_whitespace().collect::<Vec<_>>().join(" ")
    )
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

/// Checks a whole reply. Returns the text to say, or `None` when the offline phrasing must be
/// said instead: an empty reply; outside a hint or the wrap-up, one that quotes a flow of the
/// reference architecture or names three or more of its components that neither the candidate
/// nor the engine's message mentioned; one that shares no content word with what it had to
/// convey and the scenario (it changed the subject). The same checks as [`StreamGuard`], which
/// applies them sentence by sentence while a reply streams in.
pub fn guard(iv: &Interview, act: Act, offline_text: &str, reply: &str) -> Option<String> {
    let mut g = StreamGuard::new(iv, act, offline_text);
    g.push(reply);
    match g.finish() {
        Verdict::Passed { .. } => Some(g.said()),
        Verdict::Replaced | Verdict::Cut => None,
    }
}

/// How a streamed reply ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every sentence passed; `tail` is the last piece, not shown yet.
    Passed { tail: String },
    /// Nothing was shown (empty, off the subject, or its first sentence gave the solution
    /// away): say the offline phrasing instead.
    Replaced,
    /// Some sentences were shown, then one would have given the solution away: it and the rest
    /// are dropped, and the offline phrasing follows what was shown.
    Cut,
}

/// The guard for a reply that streams in. A sentence is released (shown) only once it is
/// complete and the reply so far passes the checks of [`guard`]; nothing is released until the
/// reply has touched the subject, so a reply that changes the subject is never shown at all.
#[derive(Debug)]
pub struct StreamGuard {
    /// Whether the give-away checks apply (not in hints and the wrap-up).
    leaks_checked: bool,
    /// Flows of the reference architecture nobody has said, as padded word strings.
    flows: Vec<String>,
    /// Reference components that neither the candidate nor the engine's message named.
    unnamed: Vec<String>,
    topic: std::collections::BTreeSet<String>,
    raw: String,
    shown: String,
    on_topic: bool,
    tripped: bool,
}

impl StreamGuard {
    pub fn new(iv: &Interview, act: Act, offline_text: &str) -> Self {
        let sc = iv.scenario();
        let leaks_checked = !matches!(act, Act::Hint | Act::WrapUp);
        let (mut flows, mut unnamed) = (Vec::new(), Vec::new());
        if leaks_checked {
            let allowed = words(offline_text);
            let candidate: String = iv
                .transcript()
                .turns
                .iter()
                .filter(|t| t.speaker == pipeprep_core::Speaker::Candidate)
                .map(|t| words(&t.text))
                .collect();
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
                .filter(|id| !has_word(&allowed, id) && !has_word(&candidate, id))
                .collect();
        }
        Self {
            leaks_checked,
            flows,
            unnamed,
            topic: content_words(&format!("{offline_text} {} {}", sc.title, sc.prompt)),
            raw: String::new(),
            shown: String::new(),
            on_topic: false,
            tripped: false,
        }
    }

    /// The reply without reasoning blocks and leading blank space.
    /// A leading speaker label ("Interviewer:", which models like to write) is dropped; while
    /// what has arrived could still be the start of one, nothing is visible yet.
    fn visible(&self) -> String {
        let text = strip_think(&self.raw);
        let text = text.trim_start();
        for label in ["**interviewer:**", "**interviewer**:", "interviewer:"] {
            match text.get(..label.len()) {
                Some(head) if head.eq_ignore_ascii_case(label) => {
                    return text[label.len()..].trim_start().to_string();
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
        text.to_string()
    }

    /// True when `text` must not be said: it gives the solution away, or it speaks for the
    /// candidate (see [`speaks_for_candidate`]), which would also break the transcript format.
    fn fails(&self, text: &str) -> bool {
        if speaks_for_candidate(text) {
            return true;
        }
        if !self.leaks_checked {
            return false;
        }
        let said = words(text);
        self.flows.iter().any(|f| said.contains(f.as_str()))
            || self.unnamed.iter().filter(|id| has_word(&said, id)).count() >= 3
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
        let Some(end) = last_boundary(rest) else {
            return String::new();
        };
        let upto = format!("{}{}", self.shown, &rest[..end]);
        if self.fails(&upto) {
            self.tripped = true;
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

    /// Ends the stream and judges what has not been shown yet.
    pub fn finish(&mut self) -> Verdict {
        let visible = self.visible();
        let tail = visible
            .get(self.shown.len()..)
            .unwrap_or_default()
            .trim_end()
            .to_string();
        let whole = format!("{}{tail}", self.shown);
        let off_topic = !self.on_topic && content_words(&whole).is_disjoint(&self.topic);
        if !self.tripped && !whole.trim().is_empty() && !off_topic && !self.fails(&whole) {
            self.shown = whole;
            return Verdict::Passed { tail };
        }
        self.tripped = true;
        if self.shown.trim().is_empty() {
            self.shown.clear();
            Verdict::Replaced
        } else {
            Verdict::Cut
        }
    }

    /// What was shown (after [`finish`](Self::finish): the whole reply when it passed).
    pub fn said(&self) -> String {
        self.shown.trim().to_string()
    }
}

/// True when `text` puts words in the candidate's mouth: a speaker label for the candidate
/// (`Candidate:`, `You:`, `Interviewee:`) at the start of a line, after any markdown (`**`, `>`,
/// `-`, `#`), in any case, with a space or bold markers before the colon or a full-width colon;
/// or `Candidate:` in the middle of a line.
fn speaks_for_candidate(text: &str) -> bool {
    /// True when a colon (ASCII or full-width) follows optional bold/italic markers and spaces.
    fn colon_follows(s: &str) -> bool {
        let rest = s.trim_start_matches(['*', '_', ' ', '\t']);
        rest.starts_with([':', '\u{ff1a}'])
    }
    text.lines().any(|line| {
        let lead = line.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '*' | '_' | '>' | '-' | '#' | '•' | '+')
        });
        let lower = lead.to_ascii_lowercase();
        let at_start = ["candidate", "you", "interviewee"]
            .iter()
            .any(|name| lower.starts_with(name) && colon_follows(&lower[name.len()..]));
        at_start
            || lower.match_indices("candidate").any(|(at, m)| {
                let word_start = lower[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                word_start && colon_follows(&lower[at + m.len()..])
            })
    })
}

/// The end of the last complete sentence or line in `s` (a byte offset just after `.`, `!`,
/// `?` or `:` followed by white space, after `.`, `!` or `?` that ends what has arrived, or
/// after a line break), if any. A false end ("e.g." mid-sentence) only releases a piece a little
/// early; the checks always run on everything released so far.
fn last_boundary(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut found = None;
    for (i, &b) in bytes.iter().enumerate() {
        let end_mark = match bytes.get(i + 1) {
            Some(n) => matches!(b, b'.' | b'!' | b'?' | b':') && n.is_ascii_whitespace(),
            None => matches!(b, b'.' | b'!' | b'?'),
        };
        if b == b'\n' || end_mark {
            found = Some(i + 1);
        }
    }
    found
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
    format!(
        "LLM: {} turns voiced by {model}, {} offline; tokens in {} / out {}{approx}; {cost}",
        stats.voiced, stats.offline, u.prompt_tokens, u.completion_tokens
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pipeprep_core::interview::{Effect, Event, InterviewConfig};
    use pipeprep_llm::{BoxFuture, Completion, FakeBackend, LlmError};
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
            guard(&iv, Act::Acknowledge, offline, good).as_deref(),
            Some(
                "Before we design anything: how many click events per second do you expect at peak?"
            )
        );
        assert_eq!(guard(&iv, Act::Acknowledge, offline, "  \n "), None);
        assert_eq!(
            guard(&iv, Act::Acknowledge, offline, "<think>x</think>"),
            None
        );
        // Gives the reference flow away outside a hint.
        let leak = "You could do Kafka -> Flink (5s window) -> Redis (dashboard), right?";
        assert_eq!(guard(&iv, Act::Acknowledge, offline, leak), None);
        // Names three reference components nobody mentioned.
        let tools =
            "Think about traffic: Flink, Redis and Snowflake would handle the click events.";
        assert_eq!(guard(&iv, Act::Acknowledge, offline, tools), None);
        // The same in the wrap-up is fine.
        assert!(guard(&iv, Act::WrapUp, offline, leak).is_some());
        // Changes the subject.
        assert_eq!(
            guard(
                &iv,
                Act::Acknowledge,
                offline,
                "Lovely weather today, isn't it?"
            ),
            None
        );
    }

    /// Feeds `reply` to a stream guard a few characters at a time, as a provider would.
    fn stream(iv: &Interview, act: Act, offline: &str, reply: &str) -> (Vec<String>, Verdict) {
        let mut g = StreamGuard::new(iv, act, offline);
        let chars: Vec<char> = reply.chars().collect();
        let mut shown = Vec::new();
        for chunk in chars.chunks(3) {
            let ready = g.push(&chunk.iter().collect::<String>());
            if !ready.is_empty() {
                shown.push(ready);
            }
        }
        (shown, g.finish())
    }

    #[test]
    fn a_streamed_reply_is_shown_sentence_by_sentence_before_it_ends() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        let reply = "<think>they asked about volume</think>Good question to start with. \
                     Before we size anything: how many click events per second at peak?\n\n\
                     And is that spread evenly over the day";
        let (shown, verdict) = stream(&iv, Act::Acknowledge, offline, reply);
        // The first sentence touches nothing of the subject, so it waits for the second;
        // from then on every complete sentence is released as soon as it ends.
        assert_eq!(
            shown,
            [
                "Good question to start with. Before we size anything:",
                " how many click events per second at peak?\n\n"
            ]
        );
        assert_eq!(
            verdict,
            Verdict::Passed {
                tail: "And is that spread evenly over the day".into()
            }
        );
        let whole: String = shown.concat() + "And is that spread evenly over the day";
        assert_eq!(guard(&iv, Act::Acknowledge, offline, reply), Some(whole));
    }

    #[test]
    fn a_speaker_label_is_dropped_and_a_reply_that_speaks_for_the_candidate_is_cut() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        let (shown, verdict) = stream(
            &iv,
            Act::Acknowledge,
            offline,
            "**Interviewer:** How many click events per second at peak?",
        );
        assert_eq!(shown, ["How many click events per second at peak?"]);
        assert!(matches!(verdict, Verdict::Passed { .. }));
        // "I" could start "Interviewer:", so it waits for the next characters, then shows.
        let (shown, _) = stream(
            &iv,
            Act::Acknowledge,
            offline,
            "I see. Click events at peak?",
        );
        assert_eq!(shown.concat(), "I see. Click events at peak?");
        let (shown, verdict) = stream(
            &iv,
            Act::WrapUp,
            offline,
            "How many click events at peak?\nCandidate: about 100K per second.\n",
        );
        assert_eq!(shown.concat(), "How many click events at peak?\n");
        assert_eq!(verdict, Verdict::Cut);
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
            let (shown, verdict) = stream(&iv, Act::Acknowledge, offline, &reply);
            assert_eq!(
                shown.concat(),
                "How many click events at peak?\n",
                "{label}"
            );
            assert_eq!(verdict, Verdict::Cut, "{label}");
            assert_eq!(
                guard(&iv, Act::Acknowledge, offline, &reply),
                None,
                "{label}"
            );
            let reply = format!("{label} about 100K click events per second at peak.");
            let (shown, verdict) = stream(&iv, Act::WrapUp, offline, &reply);
            assert!(shown.is_empty(), "{label}: {shown:?}");
            assert_eq!(verdict, Verdict::Replaced, "{label}");
        }
        // In the middle of a line, too.
        let reply = "How many click events at peak? Candidate: about 100K per second.";
        assert_eq!(guard(&iv, Act::Acknowledge, offline, reply), None);
        // Addressing the candidate, or the word "candidates", is fine.
        let reply = "How many click events at peak would you expect, and would candidates for the key matter?";
        assert!(guard(&iv, Act::Acknowledge, offline, reply).is_some());
    }

    #[test]
    fn a_sentence_that_gives_the_solution_away_is_never_shown() {
        let k = knowledge();
        let iv = interview(&k);
        let offline = "What peak traffic do you expect for the click events?";
        // The second sentence names three reference components nobody mentioned.
        let reply = "Let's think about the click events at peak. \
                     Flink, Redis and Snowflake would make this easy. How many per second?";
        let (shown, verdict) = stream(&iv, Act::Acknowledge, offline, reply);
        assert_eq!(shown, ["Let's think about the click events at peak."]);
        assert_eq!(verdict, Verdict::Cut);
        assert!(shown.iter().all(|s| !s.contains("Flink")));
        // Off the subject from the start: nothing at all is shown.
        let (shown, verdict) = stream(
            &iv,
            Act::Acknowledge,
            offline,
            "Lovely weather today. Did you see the match?",
        );
        assert!(shown.is_empty(), "{shown:?}");
        assert_eq!(verdict, Verdict::Replaced);
        // Only reasoning, never an answer: nothing shown, replaced.
        let (shown, verdict) = stream(&iv, Act::Acknowledge, offline, "<think>hmm. ok. so.");
        assert!(shown.is_empty());
        assert_eq!(verdict, Verdict::Replaced);
        // In a hint the same components are allowed.
        let (_, verdict) = stream(&iv, Act::Hint, offline, reply);
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
    fn prompt_is_compact_and_carries_the_reference_only_when_needed() {
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
        assert_eq!(req.messages.len(), 1);
        let u = &req.messages[0].content;
        assert!(!u.contains("turn number 5"), "only the last four turns");
        assert!(u.contains("turn number 6") && u.contains("turn number 9"));
        assert!(u.contains("Act: acknowledge") && u.contains("Say this."));
        let flow = iv.scenario().reference.architecture.lines().next().unwrap();
        assert!(!u.contains(flow), "no reference outside hints and wrap-up");
        let wrap = request(&iv, Act::WrapUp, "Thanks.", &recent);
        assert!(wrap.messages[0].content.contains(flow));
        let ladder = &iv.scenario().hints[0];
        let shallow = request(&iv, Act::Hint, &ladder.levels[0], &recent);
        assert!(!shallow.messages[0].content.contains(flow));
        let deep = request(&iv, Act::Hint, &ladder.levels[2], &recent);
        assert!(deep.messages[0].content.contains(flow));
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
        // The greeting arrived sentence by sentence.
        assert_eq!(
            &log[..5],
            [
                "<say>",
                "Welcome!",
                " We run a busy online store and want click events analysed.",
                " What would you like to know first?",
                "</say>"
            ]
        );
        let stored = store.load(live.id()).unwrap();
        assert_eq!(stored.turns[0].voice.as_deref(), Some(LLM));
        assert_eq!(
            stored.turns[0].text,
            "Welcome! We run a busy online store and want click events analysed. What would you like to know first?"
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
                .starts_with("Good that you ask about click events.\n\n"),
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
        // The complete sentence was shown, the unfinished one never was, and the engine's
        // greeting followed so the act was still conveyed.
        assert_eq!(
            shown,
            format!(
                "Welcome! Today we look at click events for a busy online store.\n\n{}",
                offline.trim()
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
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("p.db")).unwrap();
        let fake = Arc::new(
            FakeBackend::new()
                .reply("Welcome! We run a busy online store with click events; what would you like to know first?")
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
        assert_eq!(
            said,
            [
                "Welcome! We run a busy online store with click events; what would you like to know first?"
            ]
        );
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
            line.starts_with("LLM: 1 turns voiced by scripted")
                && line.contains("no price in the table for scripted"),
            "{line}"
        );
    }
}
