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

use crate::dialogue::{self, DialogueAct, MetaKind};
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
    /// Explain a concept the candidate asked about, from the glossary.
    ExplainConcept,
    /// A question back in answer to "what would you do?".
    Nudge,
    /// A one-line answer to an off-topic or meta remark; nothing moves.
    Redirect,
    /// Acknowledge what an answer covered and ask only for what is missing.
    FollowUp,
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

/// The whole state of an interview. It serialises (the server stores it every few turns, so
/// another instance can carry the interview on without replaying it) without its scenario, which
/// is the bank's: a deserialised interview must be given it back with
/// [`restore`](Interview::restore) before it is used. Bump [`STATE_LAYOUT`] whenever a field is
/// added, removed or changes meaning.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Interview {
    cfg: InterviewConfig,
    #[serde(skip)]
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
    war_story_told: bool,
    challenged: bool,
    /// The question on the table and what a complete answer covers.
    table: Table,
    /// The question on the table in words, for "can you repeat the question?".
    table_text: String,
    /// The previous candidate message and when it arrived (for continuations).
    last_candidate: Option<(String, u64)>,
    /// Architecture follow-ups answered with substance once a design exists.
    arch_followups: usize,
    probes_answered: usize,
    twist_answered: bool,
    asked_tradeoffs: BTreeSet<String>,
    asked_layers: BTreeSet<String>,
    /// Answers in a row in this phase that added nothing.
    phase_stalls: usize,
    /// The message being handled carries on the previous one.
    continuing: bool,
    /// The message being handled added flows or boxes to the design.
    design_grew: bool,
    /// Whether this message's unanswerable questions get an "unknown" line.
    unknown_allowed: bool,
    /// Misconceptions already pushed on.
    challenged_claims: BTreeSet<String>,
    /// The sentence in which the candidate said what they are stuck on, for this message.
    stuck_words: Option<String>,
    /// The part of a failure answer the candidate asked help with ("what should I look at
    /// first?" is detection), for this turn's hint.
    hint_lead: Option<Part>,
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

/// The version of the serialised [`Interview`]: a saved state of another version is not read.
pub const STATE_LAYOUT: u32 = 1;

/// The most boxes the interviewer keeps of a candidate's design. Real designs have tens; a
/// pasted generated chain of thousands would make every reply (diagram, linter, prompts) slow
/// and says nothing more. The first boxes are kept, and the candidate is told.
pub const MAX_DESIGN_NODES: usize = 200;

/// After this many answers in a row that add nothing, the interviewer moves to the next phase.
pub const STALLED_ANSWERS: usize = 3;

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
            war_story_told: false,
            challenged: false,
            table: Table::Requirements,
            table_text: String::new(),
            last_candidate: None,
            arch_followups: 0,
            probes_answered: 0,
            twist_answered: false,
            asked_tradeoffs: BTreeSet::new(),
            asked_layers: BTreeSet::new(),
            phase_stalls: 0,
            continuing: false,
            design_grew: false,
            stuck_words: None,
            hint_lead: None,
            challenged_claims: BTreeSet::new(),
            unknown_allowed: true,
            rng,
            voice: Voice::default(),
        })
    }

    /// Gives a deserialised interview its scenario back from the bank. The caller makes sure
    /// the bank is the one the interview was saved with (the server compares fingerprints);
    /// an interview whose scenario is not in the bank is refused.
    pub fn restore(mut self, k: &Knowledge) -> Result<Self, String> {
        let scenario = k
            .scenario(&self.cfg.scenario)
            .ok_or_else(|| format!("unknown scenario `{}`", self.cfg.scenario))?;
        if self.transcript.scenario.as_deref() != Some(scenario.id.as_str()) {
            return Err(format!(
                "the saved transcript is of scenario {:?}, not `{}`",
                self.transcript.scenario, scenario.id
            ));
        }
        self.scenario = scenario.clone();
        Ok(self)
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

    /// The scenario's failures injected so far, in order, as indexes into its `failures`.
    pub fn injected_failures(&self) -> &[usize] {
        &self.failures
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
                self.table = Table::Requirements;
                self.table_text = "What would you like to know before you design anything?".into();
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
                let text = self.hint(k, &[]);
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

    /// The hint ladder for what is on the table: the current failure, the probed choice, the
    /// twist, the open requirements, or (while designing) the area the candidate is weakest in.
    /// `about` names concepts the candidate said they are stuck on; a ladder about them wins.
    fn ladder(&self, k: &Knowledge, about: &[String]) -> (String, Vec<String>) {
        // The scenario's own ladder that shares the most concepts with `concepts` (at least
        // `min` of them), first in bank order on a tie.
        let best_ladder = |concepts: &[String], min: usize| {
            self.scenario
                .hints
                .iter()
                .map(|h| {
                    let n = h.concepts.iter().filter(|c| concepts.contains(c)).count();
                    (n, h)
                })
                .filter(|(n, _)| *n >= min.max(1))
                .max_by_key(|(n, h)| (*n, std::cmp::Reverse(h.area.clone())))
                .map(|(_, h)| (format!("area:{}", h.area), h.levels.clone()))
        };
        let scenario_ladder = |concepts: &[String]| best_ladder(concepts, 1);
        if let Some(l) = scenario_ladder(about) {
            return l;
        }
        // "Stuck on where to keep seven years of data": the scenario ladder closest in meaning.
        if let Some(words) = &self.stuck_words
            && let Some(i) = self.ladder_by_meaning(words)
        {
            let h = &self.scenario.hints[i];
            return (format!("area:{}", h.area), h.levels.clone());
        }
        match &self.table {
            Table::Failure { index, covered, .. } => {
                let f = &self.scenario.failures[*index];
                let id = format!("failure:{}", f.id);
                (id, failure_ladder(k, f, covered, self.hint_lead))
            }
            Table::Probe { key, expects, .. } => best_ladder(expects, 2).unwrap_or_else(|| {
                (
                    format!("probe:{key}"),
                    concept_ladder(k, expects, &self.credited),
                )
            }),
            Table::Twist { expects } => {
                ("twist".into(), concept_ladder(k, expects, &self.credited))
            }
            Table::Requirements => ("requirements".into(), self.requirements_ladder(k)),
            Table::Design | Table::Followup | Table::Closed => self.weakest_area_ladder(),
        }
    }

    /// The scenario ladder whose first rungs are closest in meaning to what the candidate said
    /// they are stuck on, when one is clearly closest.
    fn ladder_by_meaning(&self, words: &str) -> Option<usize> {
        let t = pipeprep_analyzer::semantic::table();
        let q = t.embed(words);
        let mut scores: Vec<(f32, usize)> = self
            .scenario
            .hints
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let best = h
                    .levels
                    .iter()
                    .take(2)
                    .flat_map(|l| l.split(". "))
                    .map(|s| pipeprep_analyzer::semantic::dot(&q, &t.embed(s)))
                    .fold(f32::MIN, f32::max);
                (best, i)
            })
            .collect();
        scores.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (best, i) = *scores.first()?;
        let second = scores.get(1).map_or(0.0, |s| s.0);
        (best >= 0.5 && best - second >= 0.04).then_some(i)
    }

    /// The scenario ladder for the area the candidate is weakest in: the fewest concepts credited.
    fn weakest_area_ladder(&self) -> (String, Vec<String>) {
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
                let level = self
                    .hint_levels
                    .get(&format!("area:{}", h.area))
                    .copied()
                    .unwrap_or(0);
                (covered, level >= h.levels.len(), i)
            })
            .min_by_key(|(covered, exhausted, i)| (*exhausted, *covered, *i))
            .map(|(_, _, i)| i);
        let all_climbed = pick.is_none_or(|i| {
            self.hint_levels
                .get(&format!("area:{}", ladders[i].area))
                .copied()
                .unwrap_or(0)
                >= ladders[i].levels.len()
        });
        match pick {
            Some(i) if !all_climbed => (
                format!("area:{}", ladders[i].area),
                ladders[i].levels.clone(),
            ),
            _ => (
                "layers".into(),
                vec!["Think about the layers one at a time: how data gets in, how it is processed, where it is stored and who reads it.".into()],
            ),
        }
    }

    /// Requirements not asked about yet, most important first.
    fn requirements_ladder(&self, k: &Knowledge) -> Vec<String> {
        let open: Vec<String> = self
            .scenario
            .requirements
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.revealed.contains(i))
            .map(|(i, r)| (!r.essential, i))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|(_, i)| &self.scenario.requirements[i])
            .map(|r| {
                k.bank
                    .topic(&r.topic)
                    .map_or(r.topic.clone(), |t| t.name.clone())
            })
            .collect();
        if open.is_empty() {
            return vec!["You have the requirements I can give you. State any assumptions you're making, then sketch the pipeline from the sources to the people who read the data.".into()];
        }
        let first = &open[0];
        let some = open.iter().take(3).cloned().collect::<Vec<_>>();
        vec![
            "Which facts would change your design the most if they turned out differently? Ask about those first.".into(),
            format!("Nobody has told you about {first} yet. What would you want to know there, and why does it matter for the design?"),
            format!("Worth asking about: {}.", join_and(&some)),
            format!("Ask about {} before you draw anything; each one decides a layer of the design.", join_and(&open)),
        ]
    }

    /// Gives the next level of the ladder for what is on the table (counted as a hint). A ladder
    /// already climbed to the top gives way to the area the candidate is weakest in.
    fn hint(&mut self, k: &Knowledge, about: &[String]) -> String {
        self.hints_given += 1;
        let climbed = |me: &Self, id: &str, levels: &[String]| {
            levels.is_empty() || me.hint_levels.get(id).copied().unwrap_or(0) >= levels.len()
        };
        let (mut id, mut levels) = self.ladder(k, about);
        if climbed(self, &id, &levels) {
            (id, levels) = self.weakest_area_ladder();
        }
        if climbed(self, &id, &levels) {
            let t = self.voice.say(&mut self.rng, voice::HINTS_EXHAUSTED, "");
            return if t.is_empty() {
                "Take your best guess and we'll work from there.".into()
            } else {
                t
            };
        }
        let level = self.hint_levels.entry(id).or_insert(0);
        *level += 1;
        let text = levels[*level - 1].clone();
        self.voice
            .say(&mut self.rng, voice::HINT_INTRO, text.trim())
    }

    /// A Socratic nudge for an opinion request: the first rung of the ladder for what is on the
    /// table, never the answer, and not counted as a hint.
    fn nudge(&mut self, k: &Knowledge) -> String {
        let (id, levels) = self.ladder(k, &[]);
        let level = self.hint_levels.get(&id).copied().unwrap_or(0);
        let rung = levels
            .get(level.min(levels.len().saturating_sub(1)))
            .cloned()
            .unwrap_or_default();
        // Only the question in the rung: the first hint level of every ladder is a question.
        let question = first_question(&rung).unwrap_or(rung);
        self.voice.say(&mut self.rng, voice::NUDGE, question.trim())
    }

    /// A nudge for an opinion on named tools ("Is Flink overkill here?", "ClickHouse or
    /// DynamoDB for the hot store?"): the requirements that decide that kind of choice, then a
    /// question that leaves the choice to the candidate. `None` when no tool is named or no
    /// requirement bears on it.
    fn choice_nudge(&mut self, k: &Knowledge, a: &Analysis, sentence: usize) -> Option<String> {
        let mut named: Vec<(&str, pipeprep_design::catalog::Layer)> = Vec::new();
        for h in a
            .components
            .iter()
            .filter(|h| h.sentence == sentence && !h.negated)
        {
            let Some(c) = k.bank.catalog.get(&h.id) else {
                continue;
            };
            if !named
                .iter()
                .any(|(m, _)| m.eq_ignore_ascii_case(&h.matched))
            {
                named.push((h.matched.as_str(), c.layer));
            }
        }
        let (_, layer) = *named.first()?;
        use pipeprep_design::catalog::Layer;
        let deciding: &[&str] = match layer {
            Layer::Processing => &["freshness", "latency", "team", "accuracy"],
            Layer::Storage | Layer::Serving => {
                &["query-patterns", "latency", "freshness", "retention"]
            }
            Layer::Ingestion | Layer::Source => &["volume", "peak", "ordering", "team"],
            Layer::Orchestration => &["team", "latency"],
            Layer::Quality => &["accuracy", "consistency"],
        };
        let mut picked: Vec<usize> = Vec::new();
        for t in deciding {
            if picked.len() == 2 {
                break;
            }
            if let Some(i) = self
                .scenario
                .requirements
                .iter()
                .position(|r| r.all_topics().any(|rt| rt == *t))
                .filter(|i| !picked.contains(i))
            {
                picked.push(i);
            }
        }
        if picked.is_empty() {
            return None;
        }
        // A fact the candidate already has is recalled by its first sentence; a new one is
        // told whole.
        let facts: Vec<String> = picked
            .iter()
            .map(|&i| {
                let value = self.scenario.requirements[i].value.trim();
                if self.revealed.contains(&i) {
                    voice::split_keep(value)
                        .into_iter()
                        .next()
                        .unwrap_or_default()
                } else {
                    value.to_string()
                }
            })
            .collect();
        self.revealed.extend(picked.iter().copied());
        let lead = if picked.len() == 1 {
            "Here's what decides it"
        } else {
            "Two things decide it"
        };
        let given = if picked.len() == 1 { "that" } else { "those" };
        let ask = match named.as_slice() {
            [(x, _), (y, _), ..] => format!(
                "Given {given}, which of {x} and {y} fits better, and what would you give up?"
            ),
            [(x, _)] => {
                format!("Given {given}, what does {x} buy you here, and what would it cost you?")
            }
            [] => return None,
        };
        Some(self.voice.say_whole(
            &mut self.rng,
            voice::NUDGE,
            &format!("{lead}: {} {ask}", facts.join(" ")),
        ))
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
        let previous = self.last_candidate.take();
        let acts = dialogue::acts(
            &a,
            &dialogue::Context {
                previous: previous
                    .as_ref()
                    .map(|(t, at)| (t.as_str(), self.now.saturating_sub(*at))),
                explainable: &k.glossary_ids,
            },
        );
        self.last_candidate = Some((raw.to_string(), self.now));
        // Sentences that ask rather than state: their concepts are not credited.
        let asking: BTreeSet<usize> = acts.iter().filter_map(DialogueAct::sentence).collect();
        let new_concepts: Vec<String> = stated_concepts(&a, &asking)
            .into_iter()
            .filter(|c| !self.credited.contains(c))
            .collect();
        self.credited.extend(new_concepts.iter().cloned());
        let (nodes_before, edges_before) = (self.design.nodes().len(), self.design.edges().len());
        let left_out = self.design.merge_within(&a.design, MAX_DESIGN_NODES);
        // Worth a play-back: the design grew by a flow or by two boxes.
        self.design_grew = self.design.edges().len() > edges_before
            || self.design.nodes().len() >= nodes_before + 2;
        let reasoned = !a.reasoning.is_empty() || !a.tradeoffs.is_empty();
        if new_concepts.len() >= 3 && reasoned {
            self.strong += 1;
        }
        let answering = acts
            .iter()
            .any(|x| matches!(x, DialogueAct::Answer | DialogueAct::Continuation));
        self.continuing = acts.contains(&DialogueAct::Continuation);
        self.stuck_words = None;
        self.hint_lead = None;
        let only_asking = !acts.is_empty() && !answering;
        if !only_asking && (a.struggle || (new_concepts.is_empty() && a.questions.is_empty())) {
            self.weak += 1;
            self.misses_in_a_row += 1;
        } else if !only_asking {
            self.misses_in_a_row = 0;
        }
        let progress = !new_concepts.is_empty()
            || !a.questions.is_empty()
            || !a.design.is_empty()
            || (a.content_words >= 15 && !a.struggle);
        if progress {
            self.phase_stalls = 0;
        } else if !only_asking {
            self.phase_stalls += 1;
        }
        let mut replies: Vec<String> = Vec::new();
        if a.ignored_bytes > 0 {
            let kb = format!("{} KB", pipeprep_analyzer::MAX_ANALYZED_BYTES / 1024);
            replies.push(self.voice.say(&mut self.rng, voice::IGNORED_INPUT, &kb));
        }
        if left_out > 0 {
            let kept = format!("{MAX_DESIGN_NODES} boxes");
            replies.push(self.voice.say(&mut self.rng, voice::DESIGN_CAPPED, &kept));
        }
        let mut first_act: Option<Act> = None;
        let note = |act: Act, first: &mut Option<Act>| {
            if first.is_none() {
                *first = Some(act);
            }
        };
        // 1. About the interview itself, and anything off topic: one line each, nothing moves.
        let mut redirected = false;
        for x in &acts {
            match x {
                DialogueAct::Meta { kind, .. } => {
                    let t = self.meta_reply(*kind);
                    replies.push(t);
                    note(Act::Redirect, &mut first_act);
                }
                DialogueAct::OffTopic { .. } if !redirected => {
                    redirected = true;
                    let t = self.voice.say(&mut self.rng, voice::OFF_TOPIC, "");
                    replies.push(t);
                    note(Act::Redirect, &mut first_act);
                }
                _ => {}
            }
        }
        // 2. Every requirement question in the message, answered together.
        let asked: Vec<&pipeprep_analyzer::Question> = acts
            .iter()
            .filter_map(|x| match x {
                DialogueAct::RequirementQuestion { sentence, .. } => {
                    a.questions.iter().find(|q| q.sentence == *sentence)
                }
                _ => None,
            })
            .collect();
        let mut revealed_any = false;
        // A requirement asked in the same breath as a concept ("what's a watermark, and how late
        // can mobile events be?"), or an assumption the scenario contradicts ("I'll assume the
        // devices are always online"): the facts, by their distinctive words.
        let mut side: Vec<String> = acts
            .iter()
            .filter_map(|x| match x {
                DialogueAct::ConceptQuestion { sentence, .. } => a.sentences.get(*sentence),
                _ => None,
            })
            .flat_map(|s| clauses(s))
            .collect();
        if self.phase == Phase::Requirements {
            side.extend(
                dialogue::assumptions(&a)
                    .into_iter()
                    .filter_map(|i| a.sentences.get(i).cloned()),
            );
        }
        let side_facts: Vec<usize> = side
            .iter()
            .filter_map(|c| self.requirement_by_words(c))
            .filter(|i| !self.revealed.contains(i))
            .collect::<BTreeSet<usize>>()
            .into_iter()
            .collect();
        if !side_facts.is_empty() {
            let body: Vec<String> = side_facts
                .iter()
                .map(|&i| self.scenario.requirements[i].value.trim().to_string())
                .collect();
            self.revealed.extend(side_facts.iter().copied());
            let t = self
                .voice
                .say(&mut self.rng, voice::SIDE_FACT, &body.join(" "));
            replies.push(t);
            revealed_any = true;
            note(Act::RevealRequirement, &mut first_act);
        }
        if !asked.is_empty() {
            // After the requirements phase, a question next to a request for help or an
            // opinion is part of that request, not a requirement to declare unknown.
            let helped = acts.iter().any(|x| {
                matches!(
                    x,
                    DialogueAct::OpinionRequest { .. }
                        | DialogueAct::Stuck { .. }
                        | DialogueAct::ConceptQuestion { .. }
                )
            });
            self.unknown_allowed = self.phase == Phase::Requirements || !helped;
            let (text, revealed) = self.answer_requirements(k, &asked);
            revealed_any = revealed;
            // A question folded into a request for help says nothing of its own, so it is not
            // the reply's act either.
            if !text.is_empty() {
                replies.push(text);
                note(
                    if revealed {
                        Act::RevealRequirement
                    } else {
                        Act::AssumeReasonable
                    },
                    &mut first_act,
                );
            }
        }
        // 3. Concepts the candidate asked about, explained from the glossary (two at most).
        let mut explained: Vec<&str> = Vec::new();
        for x in &acts {
            if let DialogueAct::ConceptQuestion { concept, .. } = x
                && !explained.contains(&concept.as_str())
                && explained.len() < 2
                && let Some(c) = k.concept(concept)
            {
                explained.push(concept);
                let text = match c.glossary.as_deref() {
                    Some(g) => g.trim().to_string(),
                    None => format!(
                        "{} Where would that matter in your design?",
                        c.explain.trim()
                    ),
                };
                replies.push(text);
                note(Act::ExplainConcept, &mut first_act);
            }
        }
        // 4. "What would you do?": a question back about that part, never the answer.
        let opinion = acts
            .iter()
            .any(|x| matches!(x, DialogueAct::OpinionRequest { .. }));
        // 5. Stuck, or a hint asked for in words: the ladder for what is on the table.
        let stuck: Option<Vec<String>> = acts.iter().find_map(|x| match x {
            DialogueAct::Stuck { concepts, .. } => Some(concepts.clone()),
            _ => None,
        });
        let struggling = a.struggle && a.words <= 12 && acts.is_empty();
        // Asked for in words, always; offered to a candidate who is struggling, until they have
        // stalled long enough that moving on serves them better.
        let wants_hint =
            stuck.is_some() || a.asked_hint || (struggling && self.phase_stalls < STALLED_ANSWERS);
        if wants_hint {
            let about = stuck.unwrap_or_default();
            self.hint_lead = part_asked_about(raw);
            self.stuck_words = acts.iter().find_map(|x| match x {
                DialogueAct::Stuck { sentence, .. } => {
                    a.sentences.get(*sentence).map(|s| dialogue::stuck_on(s))
                }
                _ => None,
            });
            replies.push(self.hint(k, &about));
            note(Act::Hint, &mut first_act);
            // A hint never comes with a phase change: the candidate gets to use it first.
            let text = replies.join(" ");
            return vec![self.say(Act::Hint, text)];
        }
        if opinion {
            let on_tools = acts.iter().find_map(|x| match x {
                DialogueAct::OpinionRequest { sentence } => self.choice_nudge(k, &a, *sentence),
                _ => None,
            });
            let t = match on_tools {
                Some(t) => t,
                None => self.nudge(k),
            };
            replies.push(t);
            note(Act::Nudge, &mut first_act);
        }
        let prefix = {
            let mut p = replies.join(" ");
            if !p.is_empty() {
                p.push(' ');
            }
            p
        };
        let in_requirements = self.phase == Phase::Requirements;
        if !answering && (!in_requirements || asked.is_empty()) {
            // Only questions or remarks: they are answered above and the question on the table
            // stays. Repeat it when nothing else in the reply asks something.
            let mut text = prefix.trim().to_string();
            if text.is_empty() {
                return self.by_phase(k, &a, &acts, String::new(), revealed_any);
            }
            if !text.ends_with('?') && !self.table_text.is_empty() {
                let back = self.voice.say(&mut self.rng, voice::BACK_TO, "");
                text = format!("{text} {back} {}", self.table_text);
            }
            let act = first_act.unwrap_or(Act::Acknowledge);
            return vec![self.say(act, text)];
        }
        // A recognised misconception stated as the candidate's own: a senior interviewer pushes
        // on it before anything else (once per claim), without lecturing.
        // (A wrong conversion is challenged with its own arithmetic by the phase.)
        if self.phase != Phase::Requirements
            && (self.challenged || self.estimate_challenge(&a).is_none())
            && let Some(m) = a
                .misconceptions
                .iter()
                .find(|m| !self.challenged_claims.contains(&m.id))
            && let Some(entry) = k.bank.misconceptions.iter().find(|e| e.id == m.id)
        {
            self.challenged_claims.insert(m.id.clone());
            let fact = entry.fact.trim().to_string();
            let t = self.voice.say(&mut self.rng, voice::CHALLENGE_CLAIM, &fact);
            return vec![self.say(Act::ChallengeEstimate, format!("{prefix}{t}"))];
        }
        // A bound stated as always true that a requirement contradicts ("duplicates always
        // arrive within seconds" where partners replay 3-day-old copies): the fact, once.
        if self.phase != Phase::Requirements
            && let Some(i) = self.assumption_conflict(&a)
        {
            self.challenged_claims.insert(format!("requirement:{i}"));
            let fact = self.scenario.requirements[i].value.trim().to_string();
            let pool = if self.revealed.contains(&i) {
                voice::CONFLICT_KNOWN
            } else {
                voice::CONFLICT_NEW
            };
            self.revealed.insert(i);
            let t = self.voice.say(&mut self.rng, pool, &fact);
            self.table = Table::Followup;
            self.table_text = t.clone();
            return vec![self.say(Act::ChallengeEstimate, format!("{prefix}{t}"))];
        }
        // Two answers in a row that miss: help with the question on the table instead of
        // piling another question on top (unless it is time to move on altogether).
        if self.misses_in_a_row >= 2
            && self.phase != Phase::Requirements
            && self.phase_stalls < STALLED_ANSWERS
            && !self.continuing
        {
            self.misses_in_a_row = 0;
            let text = format!("{prefix}{}", self.hint(k, &[]));
            return vec![self.say(Act::Hint, text)];
        }
        self.by_phase(k, &a, &acts, prefix, revealed_any)
    }

    fn by_phase(
        &mut self,
        k: &Knowledge,
        a: &Analysis,
        acts: &[DialogueAct],
        prefix: String,
        revealed_any: bool,
    ) -> Vec<Effect> {
        // Three answers in a row that add nothing: the interviewer moves things along rather
        // than circling, and in the requirements phase hands over the facts that matter.
        if self.phase_stalls >= STALLED_ANSWERS && self.phase != Phase::Done {
            return self.move_along(k, prefix);
        }
        match self.phase {
            Phase::Requirements => self.requirements(k, a, acts, prefix, revealed_any),
            Phase::Architecture => self.architecture(k, a, prefix),
            Phase::DeepDive => self.deep_dive(k, a, prefix),
            Phase::Failures => self.failures_turn(k, a, prefix),
            Phase::Done => Vec::new(),
        }
    }

    /// A one-line answer about the interview itself.
    fn meta_reply(&mut self, kind: MetaKind) -> String {
        match kind {
            MetaKind::TimeLeft => {
                let s = self.status();
                let minutes = |ms: u64| match ms / 60_000 {
                    0 => "less than a minute".to_string(),
                    1 => "about 1 minute".to_string(),
                    n => format!("about {n} minutes"),
                };
                format!(
                    "We're {} into the {} part, which usually takes around {} minutes, and {} into the hour overall.",
                    minutes(s.phase_elapsed_ms),
                    self.phase.title().to_lowercase(),
                    self.phase.budget_min(),
                    minutes(s.total_elapsed_ms)
                )
            }
            MetaKind::HowAmIDoing => self.voice.say(&mut self.rng, voice::HOW_AM_I_DOING, ""),
            MetaKind::Repeat => {
                if self.table_text.is_empty() {
                    "There's no open question right now; tell me where you'd like to go next."
                        .into()
                } else {
                    format!("Sure. {}", self.table_text)
                }
            }
        }
    }

    /// Whether one of the question's topics is named in this clause of it.
    fn clause_has_topic(&self, k: &Knowledge, clause: &str, topics: &[String]) -> bool {
        !topics_named_in(k, clause, topics).is_empty()
    }

    /// Answers every requirement question asked, at once. A question the scenario cannot answer
    /// gets one sentence with a sensible assumption, never beside a "don't know" for an answered
    /// one on the same topic.
    fn answer_requirements(
        &mut self,
        k: &Knowledge,
        asked: &[&pipeprep_analyzer::Question],
    ) -> (String, bool) {
        let mut fresh: Vec<usize> = Vec::new();
        let mut again: Vec<usize> = Vec::new();
        let mut unknown_topics: Vec<String> = Vec::new();
        let mut unknown_plain = false;
        for q in asked {
            self.questions_asked += 1;
            let before = fresh.len() + again.len();
            // Each clause of a compound question is a question of its own: "how long do we keep
            // the raw data, and what latency do we need?"
            // "If we ran on spot machines and a night got cut short, how bad would a late
            // finish be?": the condition sets the scene; the question is what follows it.
            let focused = conditional_main(&q.text)
                .map(|main| (main, topics_named_in(k, main, &q.topics)))
                .filter(|(_, named)| !named.is_empty());
            let (text, topics) = match focused {
                Some((main, named)) => (main.to_string(), named),
                None => (q.text.clone(), q.topics.clone()),
            };
            let parts = clauses(&text);
            let mut unanswered_clause = false;
            for clause in &parts {
                if let Some(i) = self.requirement_by_words(clause) {
                    file_requirement(&self.revealed, i, &mut fresh, &mut again);
                } else if parts.len() > 1
                    && asks_something(clause)
                    && !self.clause_has_topic(k, clause, &topics)
                    && self.requirement_by_meaning(clause).is_none()
                {
                    // "How many devices are there, and is there a data catalog?": the second
                    // clause is a question of its own that nothing here answers.
                    unanswered_clause = true;
                }
            }
            if unanswered_clause {
                unknown_plain = true;
            }
            let mut matched = fresh.len() + again.len() > before;
            for (i, r) in self.scenario.requirements.iter().enumerate() {
                if topics.iter().any(|t| r.all_topics().any(|rt| rt == t)) {
                    matched = true;
                    file_requirement(&self.revealed, i, &mut fresh, &mut again);
                }
            }
            if !matched && topics.is_empty() {
                // No topic word: the requirement whose wording is closest in meaning, when it
                // is clearly closest.
                if let Some(i) = self.requirement_by_meaning(&text) {
                    matched = true;
                    file_requirement(&self.revealed, i, &mut fresh, &mut again);
                }
            }
            if !matched {
                if topics.is_empty() {
                    unknown_plain = true;
                } else {
                    for t in &topics {
                        if !unknown_topics.contains(t) {
                            unknown_topics.push(t.clone());
                        }
                    }
                }
            }
        }
        let mut parts: Vec<String> = Vec::new();
        if !fresh.is_empty() {
            let body: Vec<String> = fresh
                .iter()
                .map(|&i| self.scenario.requirements[i].value.trim().to_string())
                .collect();
            for &i in &fresh {
                self.revealed.insert(i);
            }
            parts.push(
                self.voice
                    .say(&mut self.rng, voice::REVEAL, &body.join(" ")),
            );
        }
        if !again.is_empty() {
            // Asked again: the gist once more (its first sentence), not a pointer upwards.
            let body: Vec<String> = again
                .iter()
                .map(|&i| {
                    let v = self.scenario.requirements[i].value.trim();
                    let first = crate::voice::first_sentence(v);
                    lower_first(first.trim_end_matches('.'))
                })
                .collect();
            parts.push(format!("As I mentioned, {}.", body.join("; ")));
        }
        for t in &unknown_topics {
            let (name, assume) = match k.bank.topic(t) {
                Some(topic) => (topic.name.clone(), topic.assume.clone()),
                None => (t.clone(), None),
            };
            let line = match assume {
                Some(x) => format!(
                    "We haven't pinned down {name}; assume {} and tell me if your design depends on it.",
                    x.trim().trim_end_matches('.')
                ),
                None => format!(
                    "We haven't pinned down {name}; make a sensible assumption and say it out loud."
                ),
            };
            parts.push(line);
        }
        if unknown_plain && self.unknown_allowed {
            // A genuinely unknown question: once, with a sensible way forward. Before the design
            // that is an assumption to state; later, the candidate's own call.
            let phrasings = if !fresh.is_empty() || !again.is_empty() {
                voice::UNKNOWN_BESIDE
            } else if self.phase == Phase::Requirements {
                voice::UNKNOWN
            } else {
                voice::UNKNOWN_LATER
            };
            parts.push(self.voice.say(&mut self.rng, phrasings, ""));
        }
        (parts.join(" "), !fresh.is_empty())
    }

    /// Moves past a phase the candidate is stuck in, saying so kindly.
    fn move_along(&mut self, k: &Knowledge, prefix: String) -> Vec<Effect> {
        let mut text = prefix;
        if self.phase == Phase::Requirements {
            let facts: Vec<String> = self
                .scenario
                .requirements
                .iter()
                .enumerate()
                .filter(|(i, r)| r.essential && !self.revealed.contains(i))
                .map(|(_, r)| r.value.trim().to_string())
                .collect();
            let idx: Vec<usize> = (0..self.scenario.requirements.len())
                .filter(|&i| self.scenario.requirements[i].essential)
                .collect();
            self.revealed.extend(idx);
            if !facts.is_empty() {
                let t = self
                    .voice
                    .say(&mut self.rng, voice::HAND_OVER_FACTS, &facts.join(" "));
                text.push_str(&t);
                text.push(' ');
            }
        } else {
            let t = self.voice.say(&mut self.rng, voice::MOVE_ALONG, "");
            text.push_str(&t);
            text.push(' ');
        }
        self.advance(k, text)
    }

    /// The requirement a question's clause is about, by its distinctive words: words of the
    /// clause that occur in only one or two requirements of this scenario ("replica", "chargeback",
    /// "idempotency"), with the meaning of the words as the tie-breaker. None when nothing in the
    /// clause is distinctive, or two requirements tie.
    fn requirement_by_words(&self, clause: &str) -> Option<usize> {
        let reqs = &self.scenario.requirements;
        let per_req: Vec<BTreeMap<String, BTreeSet<String>>> =
            reqs.iter().map(|r| distinctive_words(&r.value)).collect();
        let mine = distinctive_words(clause);
        let mut scores: Vec<(f32, usize)> = per_req
            .iter()
            .enumerate()
            .map(|(i, ws)| {
                let score: f32 = mine
                    .iter()
                    .filter_map(|(w, forms)| ws.get(w).map(|theirs| (w, forms, theirs)))
                    .map(|(w, forms, theirs)| {
                        let df = per_req.iter().filter(|o| o.contains_key(w)).count();
                        let base = if df <= 2 { 1.0 / df as f32 } else { 0.0 };
                        // The same word beats a shared stem ("labels"/"labels" over
                        // "scored"/"scoring"), so such a tie has a winner.
                        if forms.is_disjoint(theirs) {
                            base * 0.9
                        } else {
                            base
                        }
                    })
                    .sum();
                (score, i)
            })
            .collect();
        scores.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (best, i) = *scores.first()?;
        let (second, j) = scores.get(1).copied().unwrap_or((0.0, i));
        if best >= 0.9 && second >= 0.9 && second >= best * 0.6 && j != i {
            // Two requirements share the question's words about equally ("labels come back
            // as soon as the payment is scored": the labels' delay, or scoring falling back):
            // the one closer in meaning, when it clearly is.
            let q = pipeprep_analyzer::semantic::table().embed(clause);
            let (mi, mj) = (
                closest_sentence(&reqs[i].value, &q),
                closest_sentence(&reqs[j].value, &q),
            );
            if mj > mi + 0.05 {
                return Some(j);
            }
        }
        if best >= 0.9 && best > second {
            return Some(i);
        }
        None
    }

    /// The requirement a topic-less question is about, by meaning: the best match at cosine
    /// ≥ 0.55 that beats the runner-up by 0.12 (static embeddings are coarse; a near tie is
    /// treated as not understood rather than answered wrongly).
    fn requirement_by_meaning(&self, question: &str) -> Option<usize> {
        let t = pipeprep_analyzer::semantic::table();
        let q = t.embed(question);
        let mut scores: Vec<(f32, usize)> = self
            .scenario
            .requirements
            .iter()
            .enumerate()
            .map(|(i, r)| (closest_sentence(&r.value, &q), i))
            .collect();
        scores.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (best, i) = *scores.first()?;
        let second = scores.get(1).map_or(0.0, |s| s.0);
        (best >= 0.55 && best - second >= 0.12).then_some(i)
    }

    /// A requirement that contradicts a bound the candidate states as certain: the sentence
    /// says "always", "never", "instantly"… with a time bound, shares a distinctive word with
    /// the requirement, and the requirement names a time at least ten times longer.
    fn assumption_conflict(&self, a: &Analysis) -> Option<usize> {
        let reqs = &self.scenario.requirements;
        let per_req: Vec<BTreeMap<String, BTreeSet<String>>> =
            reqs.iter().map(|r| distinctive_words(&r.value)).collect();
        let times = |t: &str| -> Vec<f64> {
            pipeprep_analyzer::quantities(t)
                .into_iter()
                .filter(|q| q.kind == pipeprep_analyzer::QuantityKind::Seconds)
                .map(|q| q.value)
                .collect()
        };
        let longest = |t: &str| times(t).into_iter().reduce(f64::max);
        for (si, sentence) in a.sentences.iter().enumerate() {
            if a.questions.iter().any(|q| q.sentence == si) {
                continue;
            }
            let lower = sentence.to_lowercase();
            if !certainty_cue().is_match(&lower) {
                continue;
            }
            let Some(bound) = stated_time_bound(&lower).or_else(|| longest(&lower)) else {
                continue;
            };
            let mine = distinctive_words(&lower);
            let best = per_req
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.challenged_claims.contains(&format!("requirement:{i}")))
                .filter_map(|(i, ws)| {
                    let shared = mine
                        .keys()
                        .filter(|w| ws.contains_key(*w))
                        .filter(|w| per_req.iter().filter(|o| o.contains_key(*w)).count() <= 2)
                        .count();
                    let theirs = times(&reqs[i].value);
                    let longest = theirs.iter().copied().reduce(f64::max)?;
                    // The requirement names the candidate's own bound too ("scoring within
                    // 100 ms" beside "2 seconds for the whole authorisation"): no conflict.
                    let agrees = theirs.iter().any(|&t| t >= bound / 3.0 && t <= bound * 3.0);
                    (shared > 0 && longest >= bound * 10.0 && !agrees).then_some((shared, i))
                })
                .max_by_key(|&(shared, i)| (shared, std::cmp::Reverse(i)));
            if let Some((_, i)) = best {
                return Some(i);
            }
        }
        None
    }

    fn well_past_budget(&self) -> bool {
        self.now.saturating_sub(self.phase_started) > self.phase.budget_min() * 60_000 * 3 / 2
    }

    /// Moves to the next phase and says its opening act. `prefix` is said first.
    fn advance(&mut self, k: &Knowledge, prefix: String) -> Vec<Effect> {
        self.phase = self.phase.next();
        self.phase_started = self.now;
        self.phase_exchanges = 0;
        self.phase_stalls = 0;
        self.misses_in_a_row = 0;
        self.table = Table::Closed;
        self.table_text.clear();
        match self.phase {
            Phase::Architecture => {
                let phrasing = if self.questions_asked > 0 {
                    voice::ASK_DESIGN
                } else {
                    voice::ASK_DESIGN_NO_QUESTIONS
                };
                let ask = self.voice.say(&mut self.rng, phrasing, "");
                self.table = Table::Design;
                self.table_text = "Walk me through your design, from ingestion to serving.".into();
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

    fn requirements(
        &mut self,
        k: &Knowledge,
        a: &Analysis,
        acts: &[DialogueAct],
        prefix: String,
        revealed_any: bool,
    ) -> Vec<Effect> {
        self.phase_exchanges += 1;
        let asked = acts
            .iter()
            .any(|x| matches!(x, DialogueAct::RequirementQuestion { .. }));
        let designing = a.design.edges().len() >= 2 || a.named_components().len() >= 3;
        if designing && self.questions_asked == 0 && !self.steered_back {
            self.steered_back = true;
            let t = self.voice.say(&mut self.rng, voice::STEER_BACK, "");
            return vec![self.say(Act::SteerBack, format!("{prefix}{t}"))];
        }
        if designing && self.questions_asked > 0 && !revealed_any {
            // They are ready to design: this answer starts the architecture.
            self.phase = Phase::Architecture;
            self.phase_started = self.now;
            self.phase_exchanges = 0;
            self.table = Table::Design;
            return self.architecture(k, a, prefix);
        }
        let essentials_done = self
            .scenario
            .requirements
            .iter()
            .enumerate()
            .filter(|(_, r)| r.essential)
            .all(|(i, _)| self.revealed.contains(&i));
        let mut text = prefix;
        // Covered, and this message asked nothing new, or the candidate says they are ready
        // to design: on to the design.
        let ready = !asked && self.questions_asked > 0 && dialogue::ready_to_design(&a.sentences);
        if (essentials_done && !asked && self.questions_asked > 0)
            || ready
            || self.well_past_budget()
        {
            if !asked && !designing && !ready && a.words > 3 {
                let t = self.voice.say(&mut self.rng, voice::ACKNOWLEDGE, "");
                text.push_str(&t);
                text.push(' ');
            }
            return self.advance(k, text);
        }
        if !asked {
            // A statement, not a question: invite questions without lecturing.
            let t = self.voice.say(&mut self.rng, voice::ACKNOWLEDGE, "");
            text.push_str(&t);
            text.push(' ');
        }
        let more = if essentials_done {
            self.voice.say(&mut self.rng, voice::ESSENTIALS_DONE, "")
        } else {
            self.voice.say(&mut self.rng, voice::REVEAL_MORE, "")
        };
        text.push_str(&more);
        self.table = Table::Requirements;
        self.table_text = "What else would you like to know before designing?".into();
        let act = if revealed_any {
            Act::RevealRequirement
        } else if asked {
            Act::AssumeReasonable
        } else {
            Act::Acknowledge
        };
        vec![self.say(act, text)]
    }

    /// The design in a sentence: what takes the data in, what processes it, where it is kept and
    /// what serves it, by the candidate's names.
    fn design_summary(&self, k: &Knowledge) -> String {
        use pipeprep_design::Layer;
        let g = &self.design;
        // 0 sources, 1 ingestion, 2 processing, 3 storage, 4 serving.
        let mut slots: [Vec<String>; 6] = Default::default();
        let mut seen: Vec<String> = Vec::new();
        for (id, n) in g.nodes().iter().enumerate() {
            let layer = n
                .component
                .as_deref()
                .and_then(|c| k.bank.catalog.get(c))
                .map(|c| c.layer);
            let fed = g.predecessors(id).next().is_some();
            let slot = match layer {
                Some(Layer::Ingestion) => 1,
                Some(Layer::Processing) | Some(Layer::Orchestration) => 2,
                Some(Layer::Storage) => 3,
                Some(Layer::Serving) => 4,
                // A box the catalog does not know: a source when nothing flows into it, else
                // where the data ends up.
                Some(Layer::Source) | None if !fed => 0,
                None => 5,
                Some(_) => continue,
            };
            // One name per component: "Spark Streaming" and "Spark Structured Streaming" are one.
            let key = n
                .component
                .clone()
                .unwrap_or_else(|| n.name.trim().to_lowercase());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            // Plain words read as a phrase: "the durable append-only log".
            let name = n.name.trim();
            let name = if name.starts_with(char::is_lowercase) {
                format!("the {name}")
            } else {
                name.to_string()
            };
            if slots[slot].len() < 3 {
                slots[slot].push(name);
            }
        }
        // Several boxes, or a source in plain words such as "Devices".
        let plural = |v: &Vec<String>| v.len() > 1;
        let sources_plural =
            slots[0].len() > 1 || slots[0].first().is_some_and(|n| n.ends_with('s'));
        let mut clauses: Vec<String> = Vec::new();
        match (slots[0].is_empty(), slots[1].is_empty()) {
            (false, false) => clauses.push(format!(
                "{} come{} in through {}",
                join_and(&slots[0]),
                if sources_plural { "" } else { "s" },
                join_and(&slots[1])
            )),
            (true, false) => clauses.push(format!(
                "{} take{} the data in",
                join_and(&slots[1]),
                if plural(&slots[1]) { "" } else { "s" }
            )),
            (false, true) => clauses.push(format!("the data starts at {}", join_and(&slots[0]))),
            (true, true) => {}
        }
        for (slot, verb) in [(2, "process"), (3, "keep"), (4, "serve")] {
            let v = &slots[slot];
            if v.is_empty() {
                continue;
            }
            let obj = if slot == 2 { "it" } else { "the results" };
            clauses.push(format!(
                "{} {verb}{} {obj}",
                join_and(v),
                if plural(v) { "" } else { "es" }
                    .replace("es", if verb.ends_with('s') { "es" } else { "s" })
            ));
        }
        if !slots[5].is_empty() {
            clauses.push(format!("the data ends up in {}", join_and(&slots[5])));
        }
        join_and(&clauses)
    }

    /// The rest of an earlier answer arrived after a new question was asked: note it and put
    /// the question back on the table.
    fn restate(&mut self, prefix: String) -> Vec<Effect> {
        let t = self.voice.say(&mut self.rng, voice::NOTED_CONTINUATION, "");
        let q = self.table_text.clone();
        let text = format!("{prefix}{t} {q}");
        vec![self.say(Act::Acknowledge, text)]
    }

    /// A wrong estimate in this answer, as a challenge sentence.
    fn estimate_challenge(&self, a: &Analysis) -> Option<String> {
        let w = pipeprep_analyzer::wrong_conversions(&a.sentences)
            .into_iter()
            .next()?;
        // Only arithmetic that is demonstrably wrong is challenged: a number the candidate
        // chose on purpose (a 10x what-if, a headroom factor) is theirs to choose.
        Some(format!(
            "{} works out to about {} per second on average, not {}.",
            w.from,
            thousands(w.per_sec),
            w.claimed
        ))
    }

    fn architecture(&mut self, k: &Knowledge, a: &Analysis, prefix: String) -> Vec<Effect> {
        self.phase_exchanges += 1;
        let substance = !stated_concepts(a, &BTreeSet::new()).is_empty() || a.words >= 15;
        if matches!(self.table, Table::Followup) && substance && !self.continuing {
            self.arch_followups += 1;
        }
        let mut text = prefix;
        if self.design_grew {
            let summary = self.design_summary(k);
            text.push_str(&self.voice.say(&mut self.rng, voice::ACK_DESIGN, &summary));
            text.push(' ');
        }
        if self.well_past_budget() {
            return self.advance(k, text);
        }
        if let Some(ch) = self.estimate_challenge(a).filter(|_| !self.challenged) {
            self.challenged = true;
            text.push_str(
                &self
                    .voice
                    .say(&mut self.rng, voice::CHALLENGE_ESTIMATE, &ch),
            );
            self.table = Table::Followup;
            self.table_text = ch;
            return vec![self.say(Act::ChallengeEstimate, text)];
        }
        let missing = self.missing_layer(k);
        if missing.is_none() && self.arch_followups >= 2 {
            return self.advance(k, text);
        }
        if let Some(q) = self.lint_question(k) {
            text.push_str(&self.voice.say(&mut self.rng, voice::LINT_PROBE, &q));
            self.table = Table::Followup;
            self.table_text = q;
            return vec![self.say(Act::LintProbe, text)];
        }
        // A missing layer is asked about once; after that the conversation goes elsewhere.
        let t = match missing.filter(|l| !self.asked_layers.contains(*l)) {
            Some(layer) => {
                self.asked_layers.insert(layer.to_string());
                self.voice.say(&mut self.rng, voice::ASK_LAYER, layer)
            }
            None => self.depth_question(),
        };
        text.push_str(&t);
        self.table = Table::Followup;
        self.table_text = t.clone();
        vec![self.say(Act::Acknowledge, text)]
    }

    /// A question about the design as a whole, once each: a trade-off the scenario is known
    /// for, then layout, retention, replay and monitoring.
    fn depth_question(&mut self) -> String {
        let tradeoff = self
            .scenario
            .tradeoffs
            .iter()
            .find(|t| !self.asked_tradeoffs.contains(&t.decision))
            .map(|t| t.decision.clone());
        if let Some(d) = tradeoff {
            self.asked_tradeoffs.insert(d.clone());
            let d = lower_first(d.trim().trim_end_matches('.'));
            return self.voice.say(&mut self.rng, voice::ASK_TRADEOFF, &d);
        }
        self.voice.say(&mut self.rng, voice::ASK_STORAGE_DEPTH, "")
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
        // Sources belong on the scorecard and in /estimate, not in the middle of a sentence.
        let msg = strip_sources(f.message.trim());
        let msg = msg.trim().trim_end_matches('.');
        let mut chars = msg.chars();
        let msg = chars.next().map_or(String::new(), |c| {
            c.to_uppercase().collect::<String>() + chars.as_str()
        });
        Some(format!("{msg}."))
    }

    /// Asks about one of the candidate's own choices (never a tool they did not pick).
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
            .find(|p| {
                // A probe whose points the candidate already made is not asked again.
                let made = p
                    .expects
                    .iter()
                    .filter(|c| self.credited.contains(*c))
                    .count();
                mine.contains(&p.key)
                    && !self.probed.contains(&p.key)
                    && (p.expects.is_empty() || made * 2 < p.expects.len())
            })
            .cloned();
        if let Some(p) = bank_probe {
            self.probed.insert(p.key.clone());
            let q = self.voice.fresh(p.question.trim());
            // Make sure the question says which of their choices it is about.
            let comp = k.bank.catalog.get(&p.key);
            let lower = q.to_lowercase();
            let named = comp.is_some_and(|c| {
                std::iter::once(&c.name)
                    .chain(c.aliases.iter())
                    .any(|n| lower.contains(&n.to_lowercase()))
            });
            let q = match comp {
                Some(c) if !named => format!("About your choice of {}: {q}", c.name),
                _ => q,
            };
            self.table = Table::Probe {
                key: p.key.clone(),
                parts: parts_asked(&p.question),
                covered: Vec::new(),
                expects: p.expects.clone(),
                followed_up: false,
            };
            self.table_text = q.clone();
            return q;
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
                let q = self.voice.say(&mut self.rng, voice::PROBE_GENERIC, &what);
                self.table = Table::Probe {
                    key: id.clone(),
                    parts: vec![Part::Reason],
                    covered: Vec::new(),
                    expects: vec!["tool-comparison".into()],
                    followed_up: false,
                };
                self.table_text = q.clone();
                return q;
            }
        }
        // No choice of theirs left to probe: a decision the scenario is known for.
        let q = self.depth_question();
        self.table = Table::Probe {
            key: "design".into(),
            parts: vec![Part::Reason],
            covered: Vec::new(),
            expects: Vec::new(),
            followed_up: false,
        };
        self.table_text = q.clone();
        q
    }

    /// What this answer covers of the parts on the table, with the candidate's words for each.
    fn covered_parts(
        &self,
        k: &Knowledge,
        a: &Analysis,
        parts: &[Part],
        failure: Option<&pipeprep_bank::Failure>,
    ) -> Vec<(Part, String)> {
        let mut out = Vec::new();
        for &p in parts {
            let concepts: Vec<&str> = match (p, failure) {
                (Part::Detection, Some(f)) => f
                    .detection
                    .iter()
                    .map(String::as_str)
                    .chain(k.detection.iter().map(String::as_str))
                    .collect(),
                (Part::Recovery, Some(f)) => f
                    .recovery
                    .iter()
                    .map(String::as_str)
                    .chain(k.recovery.iter().map(String::as_str))
                    .collect(),
                (Part::Prevention, Some(f)) => f
                    .prevention
                    .iter()
                    .map(String::as_str)
                    .chain(k.prevention.iter().map(String::as_str))
                    .collect(),
                _ => Vec::new(),
            };
            if let Some(words) = dialogue::part_evidence(a, p, &concepts) {
                out.push((p, words));
            }
        }
        out
    }

    fn deep_dive(&mut self, k: &Knowledge, a: &Analysis, prefix: String) -> Vec<Effect> {
        self.phase_exchanges += 1;
        let mut text = prefix;
        // What the answer did for the question on the table.
        match self.table.clone() {
            Table::Probe {
                key,
                parts,
                mut covered,
                expects,
                followed_up,
            } => {
                let now = self.covered_parts(k, a, &parts, None);
                if self.continuing && now.is_empty() && !parts.is_empty() {
                    // The rest of the previous answer, not an answer to this question.
                    return self.restate(text);
                }
                let missing = add_coverage(&mut covered, &now, &parts);
                if !missing.is_empty() && !followed_up && !now.is_empty() {
                    let ask = follow_up_text(&mut self.voice, &mut self.rng, &now, &missing);
                    self.table = Table::Probe {
                        key,
                        parts,
                        covered,
                        expects,
                        followed_up: true,
                    };
                    self.table_text = ask.clone();
                    text.push_str(&ask);
                    return vec![self.say(Act::FollowUp, text)];
                }
                self.probes_answered += 1;
            }
            Table::Twist { .. } => self.twist_answered = true,
            _ => {}
        }
        if let Some(ch) = self.estimate_challenge(a).filter(|_| !self.challenged) {
            self.challenged = true;
            text.push_str(
                &self
                    .voice
                    .say(&mut self.rng, voice::CHALLENGE_ESTIMATE, &ch),
            );
            self.table = Table::Followup;
            self.table_text = ch;
            return vec![self.say(Act::ChallengeEstimate, text)];
        }
        let goals = self.twist_answered && self.probes_answered >= 1;
        if goals || self.well_past_budget() {
            return self.advance(k, text);
        }
        if !self.twist_given && self.probes_answered >= 1 {
            self.twist_given = true;
            let body = self.twist();
            text.push_str(&body);
            return vec![self.say(Act::ScaleTwist, text)];
        }
        let p = self.probe(k);
        text.push_str(&p);
        vec![self.say(Act::ProbeChoice, text)]
    }

    /// The scale twist: growth, a tighter SLA or a budget cut before any other kind. A strong
    /// candidate gets it plainly; a struggling one gets it with a first step to take.
    fn twist(&mut self) -> String {
        let kinds = ["scale", "sla", "budget"];
        let pool: Vec<usize> = (0..self.scenario.twists.len())
            .filter(|&i| kinds.contains(&self.scenario.twists[i].kind.as_str()))
            .collect();
        let idx = if pool.is_empty() {
            self.rng.below(self.scenario.twists.len().max(1))
        } else {
            pool[self.rng.below(pool.len())]
        };
        let (twist, expects) = self
            .scenario
            .twists
            .get(idx)
            .map(|t| (t.prompt.trim().to_string(), t.expects.clone()))
            .unwrap_or_else(|| {
                (
                    "Traffic just grew tenfold and the latency target halved. What changes first?"
                        .to_string(),
                    Vec::new(),
                )
            });
        self.table = Table::Twist { expects };
        self.table_text = twist.clone();
        if self.strong > self.weak {
            self.voice.say(&mut self.rng, voice::TWIST_STRONG, &twist)
        } else {
            self.voice.say(&mut self.rng, voice::TWIST_SCAFFOLD, &twist)
        }
    }

    fn inject_failure(&mut self) -> String {
        let n = self.scenario.failures.len();
        if n == 0 {
            self.table = Table::Closed;
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
        self.table = Table::Failure {
            index: idx,
            covered: Vec::new(),
            followed_up: false,
        };
        let prompt = self.scenario.failures[idx].prompt.trim().to_string();
        self.table_text = prompt.clone();
        prompt
    }

    fn failures_turn(&mut self, k: &Knowledge, a: &Analysis, prefix: String) -> Vec<Effect> {
        self.phase_exchanges += 1;
        let mut text = prefix;
        if let Table::Failure {
            index,
            mut covered,
            followed_up,
        } = self.table.clone()
        {
            let f = self.scenario.failures[index].clone();
            let parts = [Part::Detection, Part::Recovery, Part::Prevention];
            let now = self.covered_parts(k, a, &parts, Some(&f));
            if self.continuing && now.is_empty() {
                return self.restate(text);
            }
            let missing = add_coverage(&mut covered, &now, &parts);
            if !missing.is_empty() && !followed_up && !self.well_past_budget() {
                let ask = follow_up_text(&mut self.voice, &mut self.rng, &now, &missing);
                self.table = Table::Failure {
                    index,
                    covered,
                    followed_up: true,
                };
                self.table_text = ask.clone();
                text.push_str(&ask);
                return vec![self.say(Act::FollowUpFailure, text)];
            }
        }
        if self.failures.len() >= 2 || self.well_past_budget() {
            if let Some(story) = self.war_story(k) {
                let s = self.voice.say(&mut self.rng, voice::WAR_STORY, &story);
                text.push_str(&s);
                text.push(' ');
            }
            return self.advance(k, text);
        }
        let f = self.inject_failure();
        text.push_str(&self.voice.say(&mut self.rng, voice::NEXT_FAILURE, &f));
        vec![self.say(Act::InjectFailure, text)]
    }

    /// A war story that does not retell an incident of this interview: the one sharing the
    /// fewest words with the failures injected, and only if it shares few.
    fn war_story(&mut self, k: &Knowledge) -> Option<String> {
        if self.war_story_told {
            return None;
        }
        let injected: BTreeSet<String> = self
            .failures
            .iter()
            .flat_map(|&i| content_stems(k, &self.scenario.failures[i].prompt))
            .collect();
        let best = self
            .scenario
            .war_stories
            .iter()
            .map(|s| {
                let overlap = content_stems(k, s)
                    .iter()
                    .filter(|w| injected.contains(*w))
                    .count();
                (overlap, s.trim().to_string())
            })
            .min_by_key(|(o, _)| *o)?;
        if best.0 > 3 {
            return None;
        }
        self.war_story_told = true;
        Some(best.1)
    }
}

/// The kinds of point a complete answer to the question on the table covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Part {
    Detection,
    Recovery,
    Prevention,
    /// A number: how many partitions, shards, nodes.
    Count,
    /// What to key or partition by.
    Key,
    /// Why: a reason or a trade-off.
    Reason,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Detection => "detection",
            Part::Recovery => "recovery",
            Part::Prevention => "prevention",
            Part::Count => "the number",
            Part::Key => "the key",
            Part::Reason => "the reasoning",
        }
    }

    fn ask(self) -> &'static str {
        match self {
            Part::Detection => {
                "what would tell you it was happening before anyone downstream noticed"
            }
            Part::Recovery => "how would you put the affected data right",
            Part::Prevention => "what would stop it from happening again",
            Part::Count => "how many would you start with, and from what arithmetic",
            Part::Key => "what would you key it by",
            Part::Reason => "what makes that the right call for this workload",
        }
    }
}

/// What is on the table: the last question the interviewer asked and what a full answer covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Table {
    /// Before the design: "what would you like to know?"
    Requirements,
    /// "Walk me through your design": the four layers.
    Design,
    /// A question about the design: a missing layer, a linter finding, an estimate, a trade-off.
    Followup,
    /// A probe of one of the candidate's choices.
    Probe {
        key: String,
        parts: Vec<Part>,
        covered: Vec<Part>,
        expects: Vec<String>,
        followed_up: bool,
    },
    Twist {
        expects: Vec<String>,
    },
    Failure {
        index: usize,
        covered: Vec<Part>,
        followed_up: bool,
    },
    Closed,
}

/// A requirement a question is about: new (`fresh`) or asked again (`again`), each once.
fn file_requirement(
    revealed: &BTreeSet<usize>,
    i: usize,
    fresh: &mut Vec<usize>,
    again: &mut Vec<usize>,
) {
    if fresh.contains(&i) || again.contains(&i) {
        return;
    }
    if revealed.contains(&i) {
        again.push(i);
    } else {
        fresh.push(i);
    }
}

/// Adds what an answer covered to the table's coverage; returns the parts still missing.
fn add_coverage(covered: &mut Vec<Part>, now: &[(Part, String)], parts: &[Part]) -> Vec<Part> {
    for (p, _) in now {
        if !covered.contains(p) {
            covered.push(*p);
        }
    }
    parts
        .iter()
        .copied()
        .filter(|p| !covered.contains(p))
        .collect()
}

/// The parts a probe question asks for, read from its wording.
fn parts_asked(question: &str) -> Vec<Part> {
    let q = question.to_lowercase();
    let mut out = Vec::new();
    if q.contains("how many") || q.contains("how big") || q.contains("what size") {
        out.push(Part::Count);
    }
    if q.contains(" key ")
        || q.contains("key it")
        || q.contains(" keyed")
        || q.contains("partition it by")
        || q.contains("partition by")
    {
        out.push(Part::Key);
    }
    if q.contains("why") || q.contains("what made") {
        out.push(Part::Reason);
    }
    out
}

/// "Your “replay from the checkpoint” covers recovery. What would tell you …, and what would
/// stop it from happening again?" The framing goes through the voice, so no sentence repeats.
fn follow_up_text(
    voice: &mut Voice,
    rng: &mut Rng,
    now: &[(Part, String)],
    missing: &[Part],
) -> String {
    let mut out = String::new();
    if !now.is_empty() {
        let mut said: Vec<String> = Vec::new();
        for (p, words) in now.iter().take(3) {
            said.push(format!("“{words}” covers {}", p.name()));
        }
        out.push_str(&capitalise(&join_and(&said)));
        out.push_str(". ");
    }
    let asks: Vec<String> = missing.iter().map(|p| p.ask().to_string()).collect();
    let asks = match asks.len() {
        0 | 1 => asks.join(""),
        n => format!("{}, and {}", asks[..n - 1].join(", "), asks[n - 1]),
    };
    let phrasings = if now.is_empty() {
        voice::FOLLOW_UP_NOTHING
    } else {
        voice::FOLLOW_UP_MISSING
    };
    out.push_str(&voice.say(rng, phrasings, &asks));
    out
}

/// The part of a failure answer a request for help is about: "what should I look at first?" is
/// detection, "how do I fix it?" recovery, "how do I stop it happening again?" prevention.
fn part_asked_about(message: &str) -> Option<Part> {
    static CUES: std::sync::OnceLock<[(Part, regex::Regex); 3]> = std::sync::OnceLock::new();
    let cues = CUES.get_or_init(|| {
        let re = |p: &str| regex::Regex::new(p).expect("a valid cue pattern");
        [
            (
                Part::Prevention,
                re(r"\b(prevent|stop (it|this|that) (from )?happening|never happen|recurr?|again next time)"),
            ),
            (
                Part::Detection,
                re(r"\b(look at|check|notice|spot|detect|find out|know (that|when|if)|tell (that|when|if)|see (that|when|if)|monitor|alert)"),
            ),
            (
                Part::Recovery,
                re(r"\b(fix|recover|put (it|things|the data) right|clean (it )?up|repair|catch up|do (right )?now)"),
            ),
        ]
    });
    let lower = message.to_lowercase();
    cues.iter()
        .filter_map(|(p, r)| r.find(&lower).map(|m| (m.start(), *p)))
        .min()
        .map(|(_, p)| p)
}

/// A ladder for one failure from its detection, recovery and prevention concepts, aimed at the
/// parts not yet covered: the part the candidate asked about first, else recovery (what to do
/// now), then detection, then prevention.
fn failure_ladder(
    k: &Knowledge,
    f: &pipeprep_bank::Failure,
    covered: &[Part],
    lead: Option<Part>,
) -> Vec<String> {
    let mut sets = vec![
        (Part::Recovery, &f.recovery),
        (Part::Detection, &f.detection),
        (Part::Prevention, &f.prevention),
    ];
    if let Some(i) = lead.and_then(|l| sets.iter().position(|(p, _)| *p == l)) {
        let led = sets.remove(i);
        sets.insert(0, led);
    }
    let open: Vec<(Part, &Vec<String>)> = sets
        .iter()
        .filter(|(p, s)| !covered.contains(p) && !s.is_empty())
        .map(|(p, s)| (*p, *s))
        .collect();
    let open = if open.is_empty() {
        sets.iter()
            .filter(|(_, s)| !s.is_empty())
            .copied()
            .collect()
    } else {
        open
    };
    let Some(first) = open.first().copied() else {
        return vec![format!(
            "Take the incident in three parts: how you'd notice it, how you'd put the data right, and how you'd stop it recurring. {}?",
            capitalise(Part::Recovery.ask())
        )];
    };
    let explain = |id: &str| {
        k.concept(id)
            .map(|c| c.explain.trim().to_string())
            .unwrap_or_else(|| k.concept_name(id))
    };
    let l1 = format!(
        "Think about {} first. One idea to pull on: {}",
        first.0.name(),
        explain(&first.1[0])
    );
    let named: Vec<String> = open
        .iter()
        .map(|(p, s)| format!("for {}, {}", p.name(), k.concept_name(&s[0])))
        .collect();
    let l2 = format!("Some places to look: {}.", named.join("; "));
    let l3: Vec<String> = open
        .iter()
        .map(|(p, s)| {
            let more: Vec<String> = s
                .iter()
                .skip(1)
                .take(1)
                .map(|c| k.concept_name(c))
                .collect();
            let also = if more.is_empty() {
                String::new()
            } else {
                format!(" ({} helps too)", more.join(", "))
            };
            format!("{}: {}{also}", capitalise(p.name()), explain(&s[0]))
        })
        .collect();
    vec![l1, l2, l3.join(" ")]
}

/// A ladder from the concepts a question expects, skipping those already credited.
fn concept_ladder(k: &Knowledge, expects: &[String], credited: &BTreeSet<String>) -> Vec<String> {
    let open: Vec<&String> = expects.iter().filter(|c| !credited.contains(*c)).collect();
    let open: Vec<&String> = if open.is_empty() {
        expects.iter().collect()
    } else {
        open
    };
    let Some(first) = open.first() else {
        return Vec::new();
    };
    let explain = |id: &str| {
        k.concept(id)
            .map(|c| c.explain.trim().to_string())
            .unwrap_or_else(|| k.concept_name(id))
    };
    let names: Vec<String> = open.iter().take(2).map(|c| k.concept_name(c)).collect();
    vec![
        format!("One idea to pull on: {}", explain(first)),
        format!("Two things worth covering here: {}.", join_and(&names)),
        open.iter()
            .take(2)
            .map(|c| explain(c))
            .collect::<Vec<_>>()
            .join(" "),
    ]
}

/// Concepts credited in sentences that state rather than ask, without repeats, in order.
fn stated_concepts(a: &Analysis, asking: &BTreeSet<usize>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in a.concepts.iter().filter(|h| h.counts()) {
        if asking.contains(&h.sentence) || a.questions.iter().any(|q| q.sentence == h.sentence) {
            continue;
        }
        if !out.contains(&h.id) {
            out.push(h.id.clone());
        }
    }
    out
}

fn content_stems(k: &Knowledge, text: &str) -> BTreeSet<String> {
    let _ = k;
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 5)
        .map(|w| {
            let w = w.to_lowercase();
            w.trim_end_matches('s').to_string()
        })
        .collect()
}

/// Words that say nothing about which requirement a question is about.
const STOP_WORDS: &[&str] = &[
    "what", "which", "when", "where", "does", "have", "with", "that", "this", "there", "their",
    "they", "them", "about", "would", "could", "should", "will", "from", "into", "much", "many",
    "need", "needs", "your", "yours", "ours", "also", "just", "some", "like", "kind", "sort",
    "data", "events", "event", "time", "thing", "things", "than", "then", "more", "most", "able",
    "want", "know", "tell", "sorry", "please", "question", "quick", "okay", "going", "every",
    "each", "only", "such", "been", "were", "being", "over", "under", "much", "here", "long",
    "fast", "case", "mean", "means", "soon", "right",
];

/// The topics among `topics` whose keywords the clause names.
fn topics_named_in(k: &Knowledge, clause: &str, topics: &[String]) -> Vec<String> {
    let lower = clause.to_lowercase();
    topics
        .iter()
        .filter(|t| {
            k.bank
                .topic(t)
                .is_some_and(|topic| topic.keywords.iter().any(|kw| lower.contains(kw.as_str())))
        })
        .cloned()
        .collect()
}

/// How close in meaning a requirement's closest sentence is to an embedded text.
fn closest_sentence(requirement: &str, embedded: &[f32]) -> f32 {
    let t = pipeprep_analyzer::semantic::table();
    requirement
        .split(". ")
        .map(|s| pipeprep_analyzer::semantic::dot(embedded, &t.embed(s)))
        .fold(f32::MIN, f32::max)
}

/// A text's distinctive words (four letters or more, not a stop word) by their light stem, with
/// the lowercased forms each stem took.
fn distinctive_words(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .map(|w| w.to_lowercase())
        .filter(|w| w.len() >= 4 && !STOP_WORDS.contains(&w.as_str()))
    {
        m.entry(stem_lite(&w)).or_default().insert(w);
    }
    m
}

/// The question after a leading condition ("If …, how bad would a late finish be?"), when the
/// sentence opens with one.
fn conditional_main(question: &str) -> Option<&str> {
    let lower = question.to_lowercase();
    if lower.len() != question.len() {
        return None;
    }
    let opens = ["if ", "suppose ", "say ", "assuming ", "what if "]
        .iter()
        .any(|o| lower.trim_start().starts_with(o));
    if !opens {
        return None;
    }
    let i = lower.find(", ")?;
    let main = question[i + 2..].trim();
    // "…, does that have to follow them into the lake?": the question is about the condition.
    let mut words = lower[i + 2..].split_whitespace();
    let refers_back = matches!(
        (words.next(), words.next()),
        (
            Some("does" | "do" | "would" | "will" | "is" | "should" | "can" | "could" | "must"),
            Some("that" | "it" | "this" | "those" | "they")
        )
    );
    (!main.is_empty() && !refers_back).then_some(main)
}

/// Words that state a bound as certain rather than as a guess or a design choice.
fn certainty_cue() -> &'static regex::Regex {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        regex::Regex::new(r"(?-u)\b(always|never|guaranteed|for sure|definitely|instantly|immediately|right away|as soon as)\b")
            .expect("valid certainty regex")
    })
}

/// A time bound said in words ("within seconds", "instantly"), in seconds.
fn stated_time_bound(lower: &str) -> Option<f64> {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        regex::Regex::new(r"(?-u)\b(instantly|immediately|right away|as soon as|within (a|one) second|within seconds|seconds (of|apart|later|after)|within minutes|minutes (of|apart|later|after))\b")
            .expect("valid time-bound regex")
    });
    let m = r.find(lower)?.as_str();
    Some(if m.contains("minutes") {
        600.0
    } else if m.contains("seconds") {
        60.0
    } else {
        1.0
    })
}

/// A light stemmer for matching a question's words with a requirement's: plurals and common
/// endings off ("replicas" → "replica", "retried" → "retri").
fn stem_lite(w: &str) -> String {
    for suffix in ["ings", "ing", "ies", "ied", "es", "ed", "s"] {
        if let Some(stem) = w.strip_suffix(suffix)
            && stem.len() >= 4
        {
            return stem.to_string();
        }
    }
    w.to_string()
}

/// Whether a clause is itself a question: it opens with a question word or an auxiliary
/// ("and is there a catalog", "what about replays").
fn asks_something(clause: &str) -> bool {
    const OPENERS: &[&str] = &[
        "how", "what", "when", "where", "which", "who", "whom", "whose", "why", "is", "are", "was",
        "were", "do", "does", "did", "can", "could", "should", "will", "would", "has", "have",
        "any", "shall", "may", "must",
    ];
    let lower = clause.to_lowercase();
    let mut words = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty());
    let first = match words.next() {
        Some("and" | "or" | "also" | "plus" | "then" | "but") => words.next(),
        w => w,
    };
    first.is_some_and(|w| OPENERS.contains(&w))
}

/// The clauses of a question: split at "?", ";", " and " and ", ".
fn clauses(q: &str) -> Vec<String> {
    q.split(['?', ';', ','])
        .flat_map(|c| c.split(" and "))
        .map(|c| c.trim().to_string())
        .filter(|c| c.split_whitespace().count() >= 2)
        .collect()
}

/// "a", "a and b", "a, b and c".
pub(crate) fn join_and(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if c.clone().next().is_some_and(char::is_lowercase) => {
            f.to_lowercase().collect::<String>() + c.as_str()
        }
        Some(f) => f.to_string() + c.as_str(),
        None => String::new(),
    }
}

/// The first question in a text (a hint rung), if any.
fn first_question(text: &str) -> Option<String> {
    let end = text.find('?')?;
    let start = text[..end].rfind(['.', '!', ':']).map_or(0, |i| i + 1);
    Some(text[start..=end].trim().to_string())
}

/// Removes "(source: …)" asides: sources belong on the scorecard and in /estimate.
fn strip_sources(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("(source") {
        out.push_str(rest[..i].trim_end());
        match rest[i..].find(')') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
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
