//! The interview state machine: `handle(event) -> effects`.
//!
//! The machine owns the phase and its soft time budget, the revealed requirements, the
//! candidate's design, hints, flags, injected failures and the next act. Time arrives in events
//! and randomness from a seed, so replaying the same events gives the same interview.

use std::collections::{BTreeMap, BTreeSet};

use pipeprep_analyzer::Analysis;
use pipeprep_bank::{Dimension, Scenario};
use pipeprep_design::DesignGraph;
use pipeprep_design::lint::{LintContext, Severity};
use serde::{Deserialize, Serialize};

use crate::knowledge::Knowledge;
use crate::scorer::{Scorecard, score};
use crate::transcript::{Speaker, Transcript, Turn};
use crate::voice::{self, Rng, Voice};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Requirements,
    Architecture,
    DeepDive,
    Failures,
    Done,
}

impl Phase {
    pub fn number(self) -> usize {
        match self {
            Phase::Requirements => 1,
            Phase::Architecture => 2,
            Phase::DeepDive => 3,
            Phase::Failures => 4,
            Phase::Done => 5,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Phase::Requirements => "Requirements",
            Phase::Architecture => "Architecture",
            Phase::DeepDive => "Deep dive",
            Phase::Failures => "Failure scenarios",
            Phase::Done => "Scorecard",
        }
    }

    /// Soft time budget in minutes (DESIGN.md §1). Shown, never enforced by cutting anyone off.
    pub fn budget_min(self) -> u64 {
        match self {
            Phase::Requirements => 10,
            Phase::Architecture => 25,
            Phase::DeepDive => 15,
            Phase::Failures => 10,
            Phase::Done => 0,
        }
    }

    /// After this many candidate answers in a phase, the interview moves on (so a script of ten
    /// answers reaches the wrap-up): 3 + 2 + 2 + 3.
    pub fn max_exchanges(self) -> usize {
        match self {
            Phase::Requirements => 3,
            Phase::Architecture => 2,
            Phase::DeepDive => 2,
            Phase::Failures => 3,
            Phase::Done => 0,
        }
    }

    fn next(self) -> Phase {
        match self {
            Phase::Requirements => Phase::Architecture,
            Phase::Architecture => Phase::DeepDive,
            Phase::DeepDive => Phase::Failures,
            Phase::Failures | Phase::Done => Phase::Done,
        }
    }
}

/// In-interview commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Hint,
    Diagram,
    Estimate(String),
    Next,
    End,
    Quit,
    Help,
}

impl Command {
    /// Parses `/hint`, `/estimate --events-per-day 1B`, ... Returns `None` for ordinary text.
    pub fn parse(text: &str) -> Option<Result<Command, String>> {
        let t = text.trim();
        let rest = t.strip_prefix('/')?;
        let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        Some(match name.to_lowercase().as_str() {
            "hint" => Ok(Command::Hint),
            "diagram" => Ok(Command::Diagram),
            "estimate" => Ok(Command::Estimate(args.trim().to_string())),
            "next" => Ok(Command::Next),
            "end" => Ok(Command::End),
            "quit" | "exit" => Ok(Command::Quit),
            "help" | "?" => Ok(Command::Help),
            other => Err(format!(
                "unknown command `/{other}` — type /help for the list"
            )),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Start { at_ms: u64 },
    Answer { text: String, at_ms: u64 },
    Command { command: Command, at_ms: u64 },
    Tick { at_ms: u64 },
}

/// What the interviewer does in a message. The LLM voice (when configured) words the same act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    GreetScenario,
    RevealRequirement,
    AssumeReasonable,
    SteerBack,
    AskDesign,
    Acknowledge,
    ProbeChoice,
    LintProbe,
    ChallengeEstimate,
    Hint,
    ScaleTwist,
    InjectFailure,
    FollowUpFailure,
    WrapUp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// An interviewer turn (part of the transcript).
    Say {
        act: Act,
        text: String,
        phase: Phase,
    },
    /// Tool output for the candidate (diagram, estimate, help); not part of the transcript.
    Show { text: String },
    /// The interview is over.
    Finish { scorecard: Box<Scorecard> },
    /// The candidate asked to stop and resume later.
    Suspend,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterviewConfig {
    pub scenario: String,
    pub seed: u64,
    /// `hard` starts with follow-up constraints (as for a strong candidate).
    pub hard: bool,
    /// Dimensions to lean on (from `--focus`).
    pub focus: Vec<Dimension>,
}

/// A snapshot for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub scenario: String,
    pub phase: Phase,
    pub phase_elapsed_ms: u64,
    pub phase_budget_ms: u64,
    pub total_elapsed_ms: u64,
    pub hints: usize,
}

#[derive(Debug, Clone)]
pub struct Interview {
    cfg: InterviewConfig,
    scenario: Scenario,
    phase: Phase,
    started_at: Option<u64>,
    now: u64,
    phase_started: u64,
    phase_exchanges: usize,
    transcript: Transcript,
    revealed: BTreeSet<usize>,
    questions_asked: usize,
    steered_back: bool,
    design: DesignGraph,
    credited: BTreeSet<String>,
    hint_levels: BTreeMap<String, usize>,
    hints_given: usize,
    misses_in_a_row: usize,
    strong: usize,
    weak: usize,
    probed: BTreeSet<String>,
    lint_probed: BTreeSet<String>,
    twist_given: bool,
    failures: Vec<usize>,
    followed_up: bool,
    /// Concepts credited in the answers to the current failure.
    failure_concepts: BTreeSet<String>,
    war_story_told: bool,
    challenged: bool,
    rng: Rng,
    voice: Voice,
}

fn elapsed_label(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60)
}

impl Status {
    pub fn line(&self) -> String {
        format!(
            "{} · phase {}/4 {} · {} of {} min · total {} · hints {}",
            self.scenario,
            self.phase.number().min(4),
            self.phase.title(),
            elapsed_label(self.phase_elapsed_ms),
            self.phase_budget_ms / 60_000,
            elapsed_label(self.total_elapsed_ms),
            self.hints
        )
    }
}

/// The most boxes the interviewer keeps of a candidate's design. Real designs have tens; a
/// pasted generated chain of thousands would make every reply (diagram, linter, prompts) slow
/// and says nothing more. The first boxes are kept, and the candidate is told.
pub const MAX_DESIGN_NODES: usize = 200;

pub const HELP: &str = "Commands:\n  /hint       a hint for where you are (each one goes a level deeper)\n  /diagram    your design as I understood it, with the design linter's findings\n  /estimate   capacity and cost, e.g. /estimate --events-per-day 1B --event-size 1KB --peak-factor 3\n              (with no flags it uses the scenario's numbers once you have asked for them)\n  /next       move on to the next phase\n  /end        finish now and show the scorecard\n  /quit       stop and save; resume later with `pipeprep resume`\n  /help       this list";

impl Interview {
    pub fn new(k: &Knowledge, cfg: InterviewConfig) -> Result<Self, String> {
        let scenario = k
            .scenario(&cfg.scenario)
            .cloned()
            .ok_or_else(|| format!("unknown scenario `{}`", cfg.scenario))?;
        let rng = Rng::new(cfg.seed);
        Ok(Interview {
            transcript: Transcript {
                scenario: Some(scenario.id.clone()),
                turns: Vec::new(),
            },
            strong: usize::from(cfg.hard) * 2,
            cfg,
            scenario,
            phase: Phase::Requirements,
            started_at: None,
            now: 0,
            phase_started: 0,
            phase_exchanges: 0,
            revealed: BTreeSet::new(),
            questions_asked: 0,
            steered_back: false,
            design: DesignGraph::new(),
            credited: BTreeSet::new(),
            hint_levels: BTreeMap::new(),
            hints_given: 0,
            misses_in_a_row: 0,
            weak: 0,
            probed: BTreeSet::new(),
            lint_probed: BTreeSet::new(),
            twist_given: false,
            failures: Vec::new(),
            followed_up: false,
            failure_concepts: BTreeSet::new(),
            war_story_told: false,
            challenged: false,
            rng,
            voice: Voice::default(),
        })
    }

    pub fn config(&self) -> &InterviewConfig {
        &self.cfg
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    pub fn design(&self) -> &DesignGraph {
        &self.design
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn hints_given(&self) -> usize {
        self.hints_given
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub fn status(&self) -> Status {
        let start = self.started_at.unwrap_or(self.now);
        Status {
            scenario: self.scenario.id.clone(),
            phase: self.phase,
            phase_elapsed_ms: self.now.saturating_sub(self.phase_started),
            phase_budget_ms: self.phase.budget_min() * 60_000,
            total_elapsed_ms: self.now.saturating_sub(start),
            hints: self.hints_given,
        }
    }

    /// Revealed requirements, in bank order.
    pub fn revealed(&self) -> Vec<&str> {
        self.revealed
            .iter()
            .map(|&i| self.scenario.requirements[i].value.as_str())
            .collect()
    }

    pub fn handle(&mut self, k: &Knowledge, event: Event) -> Vec<Effect> {
        match event {
            Event::Start { at_ms } => {
                self.now = at_ms;
                if self.started_at.is_some() {
                    return Vec::new();
                }
                self.started_at = Some(at_ms);
                self.phase_started = at_ms;
                let greet = self.voice.say(&mut self.rng, voice::GREET, "");
                let prompt = self.voice.fresh(self.scenario.prompt.trim());
                let text = format!("{greet}\n\n{prompt}");
                vec![self.say(Act::GreetScenario, text)]
            }
            Event::Tick { at_ms } => {
                self.now = self.now.max(at_ms);
                Vec::new()
            }
            Event::Command { command, at_ms } => {
                self.now = self.now.max(at_ms);
                self.command(k, command)
            }
            Event::Answer { text, at_ms } => {
                self.now = self.now.max(at_ms);
                self.answer(k, &text)
            }
        }
    }

    fn say(&mut self, act: Act, text: String) -> Effect {
        let text = text.trim().to_string();
        self.transcript.turns.push(Turn {
            speaker: Speaker::Interviewer,
            text: text.clone(),
            line: 0,
        });
        Effect::Say {
            act,
            text,
            phase: self.phase,
        }
    }

    fn finish(&mut self, k: &Knowledge) -> Vec<Effect> {
        let text = self.voice.say(&mut self.rng, voice::WRAP_UP, "");
        let said = self.say(Act::WrapUp, text);
        self.phase = Phase::Done;
        let card = score(k, &self.transcript, Some(self.hints_given));
        vec![
            said,
            Effect::Finish {
                scorecard: Box::new(card),
            },
        ]
    }

    fn command(&mut self, k: &Knowledge, c: Command) -> Vec<Effect> {
        if self.phase == Phase::Done
            && !matches!(c, Command::Help | Command::Diagram | Command::Estimate(_))
        {
            let t = self.voice.say(&mut self.rng, voice::AFTER_END, "");
            return vec![Effect::Show { text: t }];
        }
        match c {
            Command::Help => vec![Effect::Show {
                text: HELP.to_string(),
            }],
            Command::Quit => vec![Effect::Suspend],
            Command::End => {
                self.transcript.turns.push(Turn {
                    speaker: Speaker::Candidate,
                    text: "/end".into(),
                    line: 0,
                });
                self.finish(k)
            }
            Command::Next => {
                self.transcript.turns.push(Turn {
                    speaker: Speaker::Candidate,
                    text: "/next".into(),
                    line: 0,
                });
                self.advance(k, String::new())
            }
            Command::Hint => {
                self.transcript.turns.push(Turn {
                    speaker: Speaker::Candidate,
                    text: "/hint".into(),
                    line: 0,
                });
                let text = self.hint(k);
                vec![self.say(Act::Hint, text)]
            }
            Command::Diagram => vec![Effect::Show {
                text: self.diagram(k),
            }],
            Command::Estimate(args) => vec![Effect::Show {
                text: self.estimate(k, &args),
            }],
        }
    }

    /// The candidate's design as understood, with the linter's findings.
    pub fn diagram(&self, k: &Knowledge) -> String {
        if self.design.is_empty() {
            return "No design yet. Describe one with arrows (`Kafka -> Flink -> Redis`) or in prose and I'll draw it.".into();
        }
        let mut out = pipeprep_design::render::ascii(&self.design, &k.bank.catalog);
        let findings = pipeprep_design::lint::lint(
            &self.design,
            &k.bank.catalog,
            &k.bank.prices,
            &self.lint_context(),
        );
        if findings.is_empty() {
            out.push_str("\nLinter: no findings.\n");
        } else {
            out.push_str("\nLinter:\n");
            for f in findings {
                let sev = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "info",
                };
                out.push_str(&format!(
                    "  [{sev}] {}: {} — {}\n",
                    f.rule, f.message, f.suggestion
                ));
            }
        }
        out
    }

    fn estimate(&self, k: &Knowledge, args: &str) -> String {
        let p = &self.scenario.params;
        let known = |topic: &str| {
            self.revealed.iter().any(|&i| {
                self.scenario.requirements[i]
                    .all_topics()
                    .any(|t| t == topic)
            })
        };
        let mut defaults: Vec<(String, String)> = Vec::new();
        if known("volume") || known("peak") {
            if let Some(v) = p.events_per_day {
                defaults.push(("events-per-day".into(), format!("{v}")));
            }
            if let (Some(peak), Some(day)) = (p.peak_events_per_sec, p.events_per_day) {
                defaults.push((
                    "peak-factor".into(),
                    format!("{:.2}", (peak / (day / 86_400.0)).max(1.0)),
                ));
            }
        }
        if (known("data-size") || known("volume"))
            && let Some(v) = p.event_size_bytes
        {
            defaults.push(("event-size".into(), format!("{v}B")));
        }
        if known("retention")
            && let Some(v) = p.retention_days
        {
            defaults.push(("retention".into(), format!("{v}d")));
        }
        match crate::estimate_args::run(args, &defaults, &k.bank.catalog, &k.bank.prices) {
            Ok(text) => text,
            Err(e) => format!(
                "{e}\nUsage: /estimate --events-per-day 1B --event-size 1KB [--peak-factor 3] [--retention 2y] [--compression 5] [--dedup-window 24h] [--bloom-fpr 0.01]"
            ),
        }
    }

    fn lint_context(&self) -> LintContext {
        lint_context(
            &self.scenario.params,
            self.credited.iter().cloned().collect(),
        )
    }

    fn hint(&mut self, k: &Knowledge) -> String {
        self.hints_given += 1;
        // The ladder for the area the candidate is weakest in: the fewest of its concepts credited.
        let ladders = &self.scenario.hints;
        let pick = ladders
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let covered = h
                    .concepts
                    .iter()
                    .filter(|c| self.credited.contains(*c))
                    .count();
                let level = self.hint_levels.get(&h.area).copied().unwrap_or(0);
                (covered, level >= 4, i)
            })
            .min_by_key(|(covered, exhausted, i)| (*exhausted, *covered, *i))
            .map(|(_, _, i)| i);
        let Some(i) = pick else {
            return "Think about the layers one at a time: how data gets in, how it is processed, where it is stored and who reads it.".into();
        };
        let area = ladders[i].area.clone();
        let level = self.hint_levels.entry(area).or_insert(0);
        *level = (*level + 1).min(4);
        let text = ladders[i].levels[*level - 1].clone();
        let _ = k;
        self.voice
            .say(&mut self.rng, voice::HINT_INTRO, text.trim())
    }

    fn answer(&mut self, k: &Knowledge, raw: &str) -> Vec<Effect> {
        if self.started_at.is_none() {
            let mut out = self.handle(k, Event::Start { at_ms: self.now });
            out.extend(self.answer(k, raw));
            return out;
        }
        if self.phase == Phase::Done {
            let t = self.voice.say(&mut self.rng, voice::AFTER_END, "");
            return vec![Effect::Show { text: t }];
        }
        self.transcript.turns.push(Turn {
            speaker: Speaker::Candidate,
            text: raw.to_string(),
            line: 0,
        });
        let a = k.analyzer.analyze(raw);
        let new_concepts: Vec<String> = a
            .credited()
            .into_iter()
            .filter(|c| !self.credited.contains(*c))
            .map(str::to_string)
            .collect();
        self.credited.extend(new_concepts.iter().cloned());
        let left_out = self.design.merge_within(&a.design, MAX_DESIGN_NODES);
        let reasoned = !a.reasoning.is_empty() || !a.tradeoffs.is_empty();
        if new_concepts.len() >= 3 && reasoned {
            self.strong += 1;
        }
        if a.struggle || (new_concepts.is_empty() && a.questions.is_empty()) {
            self.weak += 1;
            self.misses_in_a_row += 1;
        } else {
            self.misses_in_a_row = 0;
        }
        self.phase_exchanges += 1;
        let mut prefix = String::new();
        if a.ignored_bytes > 0 {
            let kb = format!("{} KB", pipeprep_analyzer::MAX_ANALYZED_BYTES / 1024);
            prefix = self.voice.say(&mut self.rng, voice::IGNORED_INPUT, &kb);
            prefix.push(' ');
        }
        if left_out > 0 {
            let kept = format!("{MAX_DESIGN_NODES} boxes");
            prefix.push_str(&self.voice.say(&mut self.rng, voice::DESIGN_CAPPED, &kept));
            prefix.push(' ');
        }
        let struggling = a.struggle && a.words <= 12;
        if a.asked_hint || (struggling && self.phase != Phase::Failures) {
            let text = format!("{prefix}{}", self.hint(k));
            let mut out = vec![self.say(Act::Hint, text)];
            if self.over_budget() {
                out.extend(self.move_on(k, String::new()));
            }
            return out;
        }
        let mut out = match self.phase {
            Phase::Requirements => self.requirements(k, &a, prefix),
            Phase::Architecture => self.architecture(k, &a, prefix),
            Phase::DeepDive => self.deep_dive(k, &a, prefix),
            Phase::Failures => self.failures_turn(k, &a, prefix),
            Phase::Done => Vec::new(),
        };
        // A struggling candidate who keeps missing gets a nudge without asking.
        if (self.misses_in_a_row >= 2 || struggling)
            && self.phase != Phase::Done
            && self.phase != Phase::Requirements
        {
            self.misses_in_a_row = 0;
            let text = self.hint(k);
            out.push(self.say(Act::Hint, text));
        }
        out
    }

    fn over_budget(&self) -> bool {
        self.now.saturating_sub(self.phase_started) > self.phase.budget_min() * 60_000
            || self.phase_exchanges >= self.phase.max_exchanges()
    }

    /// Moves on when a phase's time or answers run out: phase 4 first injects its second failure.
    fn move_on(&mut self, k: &Knowledge, prefix: String) -> Vec<Effect> {
        if self.phase == Phase::Failures && self.failures.len() < 2 {
            let f = self.inject_failure();
            let text = self.voice.say(&mut self.rng, voice::NEXT_FAILURE, &f);
            return vec![self.say(Act::InjectFailure, format!("{prefix}{text}"))];
        }
        self.advance(k, prefix)
    }

    /// Moves to the next phase and says its opening act. `prefix` is said first.
    fn advance(&mut self, k: &Knowledge, prefix: String) -> Vec<Effect> {
        self.phase = self.phase.next();
        self.phase_started = self.now;
        self.phase_exchanges = 0;
        match self.phase {
            Phase::Architecture => {
                let ask = self.voice.say(&mut self.rng, voice::ASK_DESIGN, "");
                vec![self.say(Act::AskDesign, format!("{prefix}{ask}"))]
            }
            Phase::DeepDive => {
                let intro = self.voice.say(&mut self.rng, voice::MOVE_DEEP_DIVE, "");
                let probe = self.probe(k);
                vec![self.say(Act::ProbeChoice, format!("{prefix}{intro} {probe}"))]
            }
            Phase::Failures => {
                let intro = self.voice.say(&mut self.rng, voice::MOVE_FAILURES, "");
                let f = self.inject_failure();
                let f = self.voice.fresh(&f);
                vec![self.say(Act::InjectFailure, format!("{prefix}{intro} {f}"))]
            }
            Phase::Done | Phase::Requirements => {
                let mut out = Vec::new();
                if !prefix.trim().is_empty() {
                    out.push(self.say(Act::Acknowledge, prefix));
                }
                out.extend(self.finish(k));
                out
            }
        }
    }

    fn requirements(&mut self, k: &Knowledge, a: &Analysis, prefix: String) -> Vec<Effect> {
        let mut parts: Vec<String> = Vec::new();
        let mut revealed_any = false;
        let mut unknown = false;
        let mut repeated: Vec<String> = Vec::new();
        for q in &a.questions {
            self.questions_asked += 1;
            let mut matched = false;
            for (i, r) in self.scenario.requirements.iter().enumerate() {
                if q.topics.iter().any(|t| r.all_topics().any(|rt| rt == t)) {
                    matched = true;
                    if self.revealed.insert(i) {
                        parts.push(r.value.trim().to_string());
                        revealed_any = true;
                    } else {
                        repeated.push(
                            k.bank
                                .topic(&r.topic)
                                .map_or(r.topic.clone(), |t| t.name.clone()),
                        );
                    }
                }
            }
            if !matched {
                unknown = true;
            }
        }
        let designing = a.design.edges().len() >= 2 || a.named_components().len() >= 3;
        if designing && self.questions_asked == 0 && !self.steered_back {
            self.steered_back = true;
            let t = self.voice.say(&mut self.rng, voice::STEER_BACK, "");
            return vec![self.say(Act::SteerBack, format!("{prefix}{t}"))];
        }
        if designing && self.questions_asked > 0 && !revealed_any {
            // They are ready to design: treat this answer as the start of the architecture.
            self.phase = Phase::Architecture;
            self.phase_started = self.now;
            self.phase_exchanges = 0;
            return self.architecture(k, a, prefix);
        }
        let mut text = prefix;
        if revealed_any {
            let body = parts.join(" ");
            text.push_str(&self.voice.say(&mut self.rng, voice::REVEAL, &body));
            text.push(' ');
        }
        if unknown {
            text.push_str(&self.voice.say(&mut self.rng, voice::UNKNOWN, ""));
            text.push(' ');
        }
        if !repeated.is_empty() && !revealed_any {
            repeated.dedup();
            text.push_str(&self.voice.say(
                &mut self.rng,
                voice::ALREADY_REVEALED,
                &repeated.join(" and "),
            ));
            text.push(' ');
        }
        let essentials_done = self
            .scenario
            .requirements
            .iter()
            .enumerate()
            .filter(|(_, r)| r.essential)
            .all(|(i, _)| self.revealed.contains(&i));
        if self.over_budget() || (essentials_done && self.phase_exchanges >= 2) {
            return self.advance(k, text);
        }
        if a.questions.is_empty() {
            // A statement, not a question: invite questions without lecturing.
            let t = self.voice.say(&mut self.rng, voice::ACKNOWLEDGE, "");
            text.push_str(&t);
            text.push(' ');
        }
        let more = self.voice.say(&mut self.rng, voice::REVEAL_MORE, "");
        text.push_str(&more);
        let act = if revealed_any {
            Act::RevealRequirement
        } else if unknown {
            Act::AssumeReasonable
        } else {
            Act::Acknowledge
        };
        vec![self.say(act, text)]
    }

    fn design_summary(&self) -> String {
        let g = &self.design;
        let mut chains: Vec<String> = Vec::new();
        for e in g.edges().iter().take(8) {
            chains.push(format!(
                "{} → {}",
                g.node(e.from).display(),
                g.node(e.to).display()
            ));
        }
        if chains.is_empty() {
            let names: Vec<String> = g.nodes().iter().take(6).map(|n| n.display()).collect();
            return names.join(", ");
        }
        chains.join(", ")
    }

    /// A wrong estimate in this answer, as a challenge sentence.
    fn estimate_challenge(&self, a: &Analysis) -> Option<String> {
        if let Some(w) = pipeprep_analyzer::wrong_conversions(&a.sentences)
            .into_iter()
            .next()
        {
            return Some(format!(
                "{} works out to about {} per second on average, not {}.",
                w.from,
                thousands(w.per_sec),
                w.claimed
            ));
        }
        // Only arithmetic that is demonstrably wrong is challenged: a number the candidate
        // chose on purpose (a 10x what-if, a headroom factor) is theirs to choose.
        None
    }

    fn architecture(&mut self, k: &Knowledge, a: &Analysis, prefix: String) -> Vec<Effect> {
        let mut text = prefix;
        if !self.design.is_empty() && !a.design.is_empty() {
            let summary = self.design_summary();
            text.push_str(&self.voice.say(&mut self.rng, voice::ACK_DESIGN, &summary));
            text.push(' ');
        }
        if self.over_budget() {
            return self.advance(k, text);
        }
        if let Some(ch) = self.estimate_challenge(a).filter(|_| !self.challenged) {
            self.challenged = true;
            text.push_str(
                &self
                    .voice
                    .say(&mut self.rng, voice::CHALLENGE_ESTIMATE, &ch),
            );
            return vec![self.say(Act::ChallengeEstimate, text)];
        }
        if let Some(q) = self.lint_question(k) {
            text.push_str(&self.voice.say(&mut self.rng, voice::LINT_PROBE, &q));
            return vec![self.say(Act::LintProbe, text)];
        }
        let missing = self.missing_layer(k);
        let t = match missing {
            Some(layer) => self.voice.say(&mut self.rng, voice::ASK_LAYER, layer),
            None => self.voice.say(&mut self.rng, voice::ASK_STORAGE_DEPTH, ""),
        };
        text.push_str(&t);
        vec![self.say(Act::Acknowledge, text)]
    }

    fn missing_layer(&self, k: &Knowledge) -> Option<&'static str> {
        use pipeprep_design::Layer;
        let layers: BTreeSet<Layer> = self
            .design
            .components()
            .iter()
            .filter_map(|c| k.bank.catalog.get(c))
            .map(|c| c.layer)
            .collect();
        if self.design.is_empty() {
            return Some("ingestion");
        }
        [
            (Layer::Ingestion, "ingestion"),
            (Layer::Processing, "processing"),
            (Layer::Storage, "storage"),
            (Layer::Serving, "serving"),
        ]
        .into_iter()
        .find(|(l, _)| {
            // Serving is covered by a store that consumers query directly.
            let covered =
                layers.contains(l) || (*l == Layer::Serving && layers.contains(&Layer::Storage));
            !covered
        })
        .map(|(_, n)| n)
    }

    /// Turns the most serious new linter finding into a question.
    fn lint_question(&mut self, k: &Knowledge) -> Option<String> {
        if self.design.edges().is_empty() {
            return None;
        }
        let findings = pipeprep_design::lint::lint(
            &self.design,
            &k.bank.catalog,
            &k.bank.prices,
            &self.lint_context(),
        );
        let f = findings
            .into_iter()
            .filter(|f| f.severity != Severity::Info && !self.lint_probed.contains(f.rule))
            .min_by_key(|f| (f.severity != Severity::Error, f.rule))?;
        self.lint_probed.insert(f.rule.to_string());
        let msg = f.message.trim().trim_end_matches('.');
        let mut chars = msg.chars();
        let msg = chars.next().map_or(String::new(), |c| {
            c.to_uppercase().collect::<String>() + chars.as_str()
        });
        Some(format!("{msg}. How would you address that?"))
    }

    fn probe(&mut self, k: &Knowledge) -> String {
        let mine: Vec<String> = self
            .design
            .components()
            .iter()
            .map(|s| s.to_string())
            .collect();
        // A bank probe keyed by a component the candidate chose.
        let bank_probe = self
            .scenario
            .probes
            .iter()
            .find(|p| mine.contains(&p.key) && !self.probed.contains(&p.key))
            .map(|p| (p.key.clone(), p.question.clone()));
        if let Some((key, q)) = bank_probe {
            self.probed.insert(key.clone());
            let q = self.voice.fresh(q.trim());
            // Make sure the question says which of their choices it is about.
            let comp = k.bank.catalog.get(&key);
            let lower = q.to_lowercase();
            let named = comp.is_some_and(|c| {
                std::iter::once(&c.name)
                    .chain(c.aliases.iter())
                    .any(|n| lower.contains(&n.to_lowercase()))
            });
            return match comp {
                Some(c) if !named => format!("About your choice of {}: {q}", c.name),
                _ => q,
            };
        }
        // Otherwise ask about their most interesting choice against the catalog's alternatives.
        for id in &mine {
            if self.probed.contains(id) {
                continue;
            }
            if let Some(c) = k.bank.catalog.get(id) {
                if c.alternatives.is_empty() {
                    continue;
                }
                self.probed.insert(id.clone());
                let alts: Vec<String> = c
                    .alternatives
                    .iter()
                    .take(2)
                    .filter_map(|a| k.bank.catalog.get(a))
                    .map(|a| a.name.clone())
                    .collect();
                let what = format!("{} (over, say, {})", c.name, alts.join(" or "));
                return self.voice.say(&mut self.rng, voice::PROBE_GENERIC, &what);
            }
        }
        // No design to probe: a decision probe from the bank.
        if let Some(p) = self
            .scenario
            .probes
            .iter()
            .find(|p| !self.probed.contains(&p.key))
            .cloned()
        {
            self.probed.insert(p.key.clone());
            return self.voice.fresh(p.question.trim());
        }
        self.voice.say(&mut self.rng, voice::ASK_STORAGE_DEPTH, "")
    }

    fn deep_dive(&mut self, k: &Knowledge, a: &Analysis, prefix: String) -> Vec<Effect> {
        let mut text = prefix;
        if let Some(ch) = self.estimate_challenge(a).filter(|_| !self.challenged) {
            self.challenged = true;
            text.push_str(
                &self
                    .voice
                    .say(&mut self.rng, voice::CHALLENGE_ESTIMATE, &ch),
            );
            return vec![self.say(Act::ChallengeEstimate, text)];
        }
        if self.twist_given && self.over_budget() {
            return self.advance(k, text);
        }
        if !self.twist_given && (self.phase_exchanges >= 1 || self.over_budget()) {
            self.twist_given = true;
            // The scale twist: growth, a tighter SLA or a budget cut before any other kind.
            let kinds = ["scale", "sla", "budget"];
            let pool: Vec<usize> = (0..self.scenario.twists.len())
                .filter(|&i| kinds.contains(&self.scenario.twists[i].kind.as_str()))
                .collect();
            let idx = if pool.is_empty() {
                self.rng.below(self.scenario.twists.len().max(1))
            } else {
                pool[self.rng.below(pool.len())]
            };
            let twist = self
                .scenario
                .twists
                .get(idx)
                .map(|t| t.prompt.trim().to_string())
                .unwrap_or_else(|| {
                    "Traffic just grew tenfold and the latency target halved. What changes first?"
                        .to_string()
                });
            let body = if self.strong > self.weak {
                let extra = self.voice.say(&mut self.rng, voice::EXTRA_CONSTRAINT, "");
                let t = self.voice.say(&mut self.rng, voice::TWIST_STRONG, &twist);
                format!("{t} {extra}")
            } else {
                self.voice.say(&mut self.rng, voice::TWIST_SCAFFOLD, &twist)
            };
            text.push_str(&body);
            return vec![self.say(Act::ScaleTwist, text)];
        }
        let p = self.probe(k);
        text.push_str(&p);
        vec![self.say(Act::ProbeChoice, text)]
    }

    fn inject_failure(&mut self) -> String {
        let n = self.scenario.failures.len();
        if n == 0 {
            return "A broker disappears during peak traffic. What do you see, and what do you do?"
                .into();
        }
        let start = if self.failures.is_empty() {
            self.rng.below(n)
        } else {
            self.failures[0] + 1
        };
        let idx = (0..n)
            .map(|i| (start + i) % n)
            .find(|i| !self.failures.contains(i))
            .unwrap_or(0);
        self.failures.push(idx);
        self.followed_up = false;
        self.failure_concepts.clear();
        self.scenario.failures[idx].prompt.trim().to_string()
    }

    fn failures_turn(&mut self, k: &Knowledge, a: &Analysis, prefix: String) -> Vec<Effect> {
        let mut text = prefix;
        let current = self.failures.last().copied();
        let missing: Vec<&'static str> = match current.map(|i| &self.scenario.failures[i]) {
            Some(f) => {
                let answered: BTreeSet<&str> = self
                    .failure_concepts
                    .iter()
                    .map(String::as_str)
                    .chain(a.credited())
                    .collect();
                let has = |set: &[String], general: &BTreeSet<String>| {
                    set.iter().any(|c| answered.contains(c.as_str()))
                        || answered.iter().any(|c| general.contains(*c))
                };
                let mut m = Vec::new();
                if !has(&f.detection, &k.detection) {
                    m.push("detect it before a customer tells you");
                }
                if !has(&f.recovery, &k.recovery) {
                    m.push("recover the data that was affected");
                }
                if !has(&f.prevention, &k.prevention) {
                    m.push("prevent it from happening again");
                }
                m
            }
            None => Vec::new(),
        };
        self.failure_concepts
            .extend(a.credited().into_iter().map(str::to_string));
        if self.failures.len() >= 2
            && (self.phase_exchanges >= self.phase.max_exchanges()
                || missing.is_empty()
                || self.followed_up)
        {
            if !self.war_story_told
                && let Some(story) = self.scenario.war_stories.first().cloned()
            {
                self.war_story_told = true;
                let s = self
                    .voice
                    .say(&mut self.rng, voice::WAR_STORY, story.trim());
                text.push_str(&s);
                text.push(' ');
            }
            return self.advance(k, text);
        }
        // Past the second answer with one failure injected, the second failure comes first.
        let second_due = self.failures.len() < 2 && self.phase_exchanges >= 2;
        if !missing.is_empty() && !self.followed_up && !second_due {
            self.followed_up = true;
            let what = missing.join(", and ");
            text.push_str(&self.voice.say(&mut self.rng, voice::FOLLOW_UP, &what));
            return vec![self.say(Act::FollowUpFailure, text)];
        }
        let f = self.inject_failure();
        text.push_str(&self.voice.say(&mut self.rng, voice::NEXT_FAILURE, &f));
        vec![self.say(Act::InjectFailure, text)]
    }
}

/// 11574.07 -> "11,574".
pub fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The linter's view of a scenario's numbers plus what the candidate already talked about.
pub fn lint_context(p: &pipeprep_bank::Params, mentioned: Vec<String>) -> LintContext {
    LintContext {
        peak_events_per_sec: p
            .peak_events_per_sec
            .or(p.events_per_day.map(|d| d / 86_400.0)),
        events_per_day: p.events_per_day,
        event_size_bytes: p.event_size_bytes,
        latency_sla_sec: p.latency_sla_sec,
        late_data: p.late_data,
        at_least_once: p.at_least_once,
        evolving_schema: p.evolving_schema,
        budget_usd_month: p.budget_usd_month,
        mentioned,
        retention_days: p.retention_days,
    }
}
