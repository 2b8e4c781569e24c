//! The scorer: rubric levels from evidence, every justification quoting the candidate.
//!
//! Principles (DESIGN.md §4): a level comes only from what the candidate said; a dimension with no
//! evidence is novice and says so; buzzwords without reasoning, dismissed concepts and
//! instructions typed by the candidate earn nothing; the same transcript always gives the same
//! output.

use std::collections::{BTreeMap, BTreeSet};

use pipeprep_analyzer::{Analysis, QuantityKind};
use pipeprep_bank::{Dimension, Scenario};
use pipeprep_design::{DesignGraph, Layer};
use serde::Serialize;

use crate::knowledge::Knowledge;
use crate::transcript::{Speaker, Transcript};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Novice,
    Intermediate,
    Expert,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Novice => "novice",
            Level::Intermediate => "intermediate",
            Level::Expert => "expert",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Level::Novice => "Novice",
            Level::Intermediate => "Intermediate",
            Level::Expert => "Expert",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Level> {
        match s {
            "novice" => Some(Level::Novice),
            "intermediate" => Some(Level::Intermediate),
            "expert" => Some(Level::Expert),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// 1-based index of the turn in the transcript.
    pub turn: usize,
    /// Verbatim text of the candidate.
    pub quote: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionScore {
    pub id: Dimension,
    pub level: Level,
    pub justification: String,
    pub evidence: Vec<Evidence>,
    /// Position inside the level, 0..1, for the overall score.
    #[serde(skip)]
    pub strength: f64,
    /// The interpretable evidence the fitted level model read (empty when the dimension was not
    /// demonstrated at all); `grade --eval DIR --features` prints it for re-fitting.
    #[serde(skip)]
    pub features: Vec<(&'static str, f64)>,
    /// What the level rests on, without the gaps the justification also names: the only part a
    /// strength may repeat (a strength never carries a weakness clause).
    #[serde(skip)]
    pub credit: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlagKind {
    Red,
    Green,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub id: &'static str,
    pub kind: FlagKind,
    pub message: String,
    pub turn: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overall {
    pub level: Level,
    pub score: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourcePick {
    pub title: String,
    pub url: String,
    pub dimension: Dimension,
}

/// A false claim the candidate made, with the kind correction the scorecard gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub id: String,
    pub dimension: Dimension,
    pub turn: usize,
    pub quote: String,
    pub correction: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The highest level the claim leaves its dimension.
    #[serde(skip)]
    pub cap: Level,
}

/// The scorecard, in the JSON shape of DESIGN.md §3.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub scenario: Option<String>,
    pub dimensions: Vec<DimensionScore>,
    pub overall: Overall,
    pub flags: Vec<Flag>,
    pub hints_used: usize,
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
    pub resources: Vec<ResourcePick>,
    /// Known misconceptions the candidate stated; each caps its dimension. An additive key of the
    /// JSON contract, present only when there is something to correct, so consumers of the
    /// DESIGN.md §3 shape see exactly that shape otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
}

const EDGE_TOPICS: &[&str] = &[
    "peak",
    "late-data",
    "budget",
    "consistency",
    "ordering",
    "dedup",
    "growth",
    "accuracy",
    "availability",
    "compliance",
];

const AD_MULTIPATH: &[&str] = &[
    "separate-sla-paths",
    "lambda-architecture",
    "kappa-architecture",
    "batch-reconciliation",
    "medallion-architecture",
];
const TS_INTERNALS: &[&str] = &[
    "engine-internals",
    "state-backend",
    "incremental-checkpoints",
    "keyed-state",
    "producer-acks",
    "min-insync-replicas",
    "consumer-groups",
    "log-compaction",
    "offset-management",
    "kafka-transactions",
    "two-phase-commit",
    "predicate-pushdown",
    "checkpointing",
    "breaking-conventions",
    "state-ttl",
    "message-queue-vs-log",
    "partition-count-sizing",
];
const SC_ADVANCED: &[&str] = &[
    "hot-partition",
    "data-skew",
    "key-salting",
    "two-stage-aggregation",
    "backpressure",
    "graceful-degradation",
    "load-shedding",
    "capacity-headroom",
    "burst-buffering",
    "consistent-hashing",
    "bloom-filter",
    "approximate-algorithms",
    "hyperloglog",
    "capacity-planning",
    "partition-count-sizing",
    "rate-limiting",
    "dedup-window",
    "state-ttl",
];
/// Cost levers that are also performance choices; with the specific levers (`CO_SPECIFIC`) they
/// make up everything that optimises cost.
const CO_GENERAL: &[&str] = &[
    "partition-pruning",
    "compression-codec",
    "columnar-format",
    "pre-aggregation",
    "sampling",
    "autoscaling",
];
const DQ_SCHEMA: &[&str] = &[
    "schema-registry",
    "data-contract",
    "schema-validation",
    "schema-evolution",
    "backward-compatibility",
    "forward-compatibility",
    "contract-tests-ci",
    "defensive-parsing",
    "schema-merging",
    "row-format-serialization",
];
const DQ_CONTENT: &[&str] = &[
    "row-count-checks",
    "completeness-checks",
    "reconciliation",
    "null-checks",
    "uniqueness-checks",
    "referential-integrity",
    "range-distribution-checks",
    "anomaly-detection",
    "data-quality-framework",
    "quarantine-bad-records",
    "write-audit-publish",
    "deduplication",
    "data-diff",
];
const DQ_FRESHNESS: &[&str] = &[
    "freshness-monitoring",
    "slo-monitoring",
    "data-observability",
    "data-lineage",
    "audit-trail",
];
const DQ_TESTS: &[&str] = &[
    "unit-tests",
    "integration-tests",
    "data-diff",
    "synthetic-data",
];
const OPS: &[&str] = &[
    "on-call-runbook",
    "alerting",
    "observability",
    "debugging-tooling",
    "consumer-lag-monitoring",
    "slo-monitoring",
    "postmortem",
];
const TESTING: &[&str] = &[
    "unit-tests",
    "integration-tests",
    "contract-tests-ci",
    "staging-environment",
    "canary-deploy",
    "data-diff",
    "synthetic-data",
    "load-testing",
    "chaos-testing",
];

/// One credited concept with its best evidence.
#[derive(Debug, Clone)]
struct Credit {
    weight: f64,
    turn: usize,
    quote: String,
}

/// What the candidate showed over the whole transcript.
struct Ledger<'a> {
    k: &'a Knowledge,
    scenario: Option<&'a Scenario>,
    /// (turn index, analysis) for candidate turns.
    turns: Vec<(usize, Analysis)>,
    credits: BTreeMap<String, Credit>,
    components: BTreeMap<String, Credit>,
    design: DesignGraph,
    /// topic -> (turn, question text), first time asked.
    topics_asked: BTreeMap<String, (usize, String)>,
    first_design_turn: Option<usize>,
    content_words: usize,
    tradeoff_quotes: Vec<(usize, String)>,
    /// Sentences that weigh one tool against another.
    tool_comparisons: Vec<(usize, String)>,
    reasoned_sentences: usize,
    wrong_estimates: Vec<(usize, String, String)>,
    money_quotes: Vec<(usize, String)>,
    cost_sentences: Vec<(usize, String)>,
    injection_turns: Vec<usize>,
    /// Known false claims, first statement of each.
    misconceptions: Vec<Correction>,
    hints_asked: usize,
    /// Concepts credited (weight >= 0.6) in the answers to each injected failure.
    failure_answers: Vec<BTreeSet<String>>,
    /// The best quote per concept within those answers: failure evidence from the failure phase.
    failure_credits: BTreeMap<String, Credit>,
    /// Per injected failure, the kinds of answer (0 detection, 1 recovery, 2 prevention) its
    /// sentences give in plain words ("we'd page on...", "rerun the day", "from now on..."),
    /// with the first sentence of each kind.
    failure_kinds: Vec<[Option<(usize, String)>; 3]>,
    /// Detection, recovery and prevention concepts for this transcript.
    det: BTreeSet<String>,
    rec: BTreeSet<String>,
    prev: BTreeSet<String>,
}

/// Is this sentence a bare list of terms ("Kafka, Flink, exactly-once, watermarks")? Three or more
/// comma-separated fragments, most of them one to three words long.
fn is_list(sentence: &str) -> bool {
    // Counted as they come: no list of segment lengths to allocate per sentence.
    let (mut segments, mut short) = (0usize, 0usize);
    for seg in sentence
        .split([',', ';', '/'])
        .flat_map(|seg| seg.split(" and "))
    {
        let n = pipeprep_analyzer::text::words(seg).count();
        if n > 0 {
            segments += 1;
            short += usize::from(n <= 3);
        }
    }
    segments >= 3 && short * 3 >= segments * 2
}

/// The words of `s`, counted, and whether one of them is one of the small words English cannot
/// do without, in one pass. A sentence of six or more words with none of them is word salad
/// ("lorem ipsum dolor sit amet exactly once"), not an answer.
fn english_words(s: &str) -> (usize, bool) {
    const FUNCTION: &[&str] = &[
        "the", "a", "an", "to", "of", "and", "in", "on", "for", "with", "we", "i", "it", "is",
        "are", "be", "that", "this", "would", "will", "by", "from", "so", "if", "or", "as", "at",
        "then", "into", "our", "they", "can", "use",
    ];
    // The function words are ASCII without a `k`, so only an ASCII word can lowercase to one
    // (the Kelvin sign is the one non-ASCII letter that lowercases to ASCII): comparing without
    // a lowercased copy of every word gives the same answer.
    let mut words = 0;
    let mut function = false;
    for (_, _, w) in pipeprep_analyzer::text::words(s) {
        words += 1;
        function = function || (w.is_ascii() && FUNCTION.iter().any(|f| w.eq_ignore_ascii_case(f)));
    }
    (words, function)
}

/// How much a mention counts: 1.0 with a reason or a trade-off in the same sentence, 0.6 in a
/// plain sentence, 0.25 in a bare list or a fragment.
fn sentence_weight(a: &Analysis, si: usize) -> f64 {
    let s = &a.sentences[si];
    if is_list(s) {
        return 0.25;
    }
    let (words, function) = english_words(s);
    let english = words < 6 || function;
    if a.is_reasoned(si) && english {
        return 1.0;
    }
    if words < 6 || !english { 0.25 } else { 0.6 }
}

#[derive(PartialEq, Eq)]
enum FailurePrompt {
    New,
    FollowUp,
    No,
}

/// Does an interviewer turn inject a failure (or follow up on one)?
fn failure_prompt(text: &str, scenario: Option<&Scenario>) -> FailurePrompt {
    let lower = text.to_lowercase();
    if let Some(s) = scenario {
        for f in &s.failures {
            let p: String = f
                .prompt
                .trim()
                .chars()
                .take(50)
                .collect::<String>()
                .to_lowercase();
            if !p.is_empty() && lower.contains(&p) {
                return FailurePrompt::New;
            }
        }
    }
    const INCIDENT: &[&str] = &[
        "fail",
        "outage",
        "goes down",
        "went down",
        "is down",
        "crash",
        "broke",
        "lost",
        "backlog",
        "duplicate",
        "corrupt",
        "incident",
        "paged",
        "3 am",
        "3am",
        "on call",
        "on-call",
        "stale",
        "disk",
        "poison",
        "throttl",
        "dies",
        "died",
        "unavailable",
        "spike",
        "wrong numbers",
        "doubled",
        "missing",
        "bad deploy",
        "alarm",
    ];
    const FOLLOW: &[&str] = &[
        "detect",
        "recover",
        "prevent",
        "happen again",
        "how would you know",
        "notice",
    ];
    // An incident the interviewer narrates; the weaker words ("duplicate", "missing", "lag")
    // also appear in plain answers about the requirements, so they need a question with them.
    const STRONG: &[&str] = &[
        "here's a failure",
        "here is a failure",
        "failure:",
        "a different night",
        "another night",
        "one night",
        "another failure",
        "next failure",
        "new failure",
        "what happened",
        "what went wrong",
        "3 am",
        "3am",
        "paged",
        "incident",
        "outage",
        "goes down",
        "went down",
        "crash",
        "on call",
        "on-call",
        "corrupt",
        "poison",
    ];
    const MORE: &[&str] = &[
        "stops updating",
        "stopped",
        "drops to zero",
        "dropped",
        "froze",
        "frozen",
        "falls behind",
        "fell behind",
        "timed out",
        "timeouts",
        "error rate",
        "errors",
        "mismatch",
        "rebalanc",
        "evicted",
        "out of memory",
        "blind",
        "stuck",
        "gone",
        "deleted",
    ];
    let asks = lower.contains('?');
    if STRONG.iter().any(|w| lower.contains(w))
        || (asks && INCIDENT.iter().chain(MORE).any(|w| lower.contains(w)))
    {
        FailurePrompt::New
    } else if FOLLOW.iter().any(|w| lower.contains(w)) {
        FailurePrompt::FollowUp
    } else {
        FailurePrompt::No
    }
}

/// How many kinds of tool a sentence describes in plain words (a store, a queue, the warehouse,
/// a stream processor, ...), each counted once.
/// An interviewer turn that asks why one tool was chosen over another ("Why MirrorMaker 2
/// rather than the alternatives?", "Why an in-memory store, rather than the database…?").
fn asks_why_choice(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("why ")
        && [
            "rather than",
            "instead of",
            " over ",
            "and not ",
            "why did you pick",
            "why did you choose",
            "why that one",
            "alternatives",
        ]
        .iter()
        .any(|m| lower.contains(m))
}

fn tool_kinds(lower: &str) -> usize {
    // Each word marks the kinds it names (a bit each): one lookup per word.
    let mut named = 0u16;
    for w in lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
    {
        if let Some(bits) = TOOL_KIND_WORDS.get(w) {
            named |= bits;
        }
    }
    named.count_ones() as usize
}

/// Kinds of tool named without a product: words for the same kind are one entry.
const TOOL_KINDS: &[&[&str]] = &[
    &["database", "databases", "db"],
    &["store", "stores", "key-value", "in-memory"],
    &["engine", "engines", "processor", "framework"],
    &["queue", "queues", "broker", "brokers"],
    &["log", "logs", "stream", "streams"],
    &["warehouse", "warehouses"],
    &["cache", "caches"],
    &["cluster", "clusters", "machines", "servers"],
    &["service", "services", "managed", "serverless", "functions"],
    &["lake", "bucket", "files", "object"],
    &["scheduler", "orchestrator", "cron"],
    &["relay", "poller", "polling", "tailing", "reader"],
    &["job", "jobs", "batch"],
];

/// Each word of [`TOOL_KINDS`] with a bit per kind it belongs to.
static TOOL_KIND_WORDS: std::sync::LazyLock<std::collections::HashMap<&'static str, u16>> =
    std::sync::LazyLock::new(|| {
        let mut m = std::collections::HashMap::new();
        for (i, kind) in TOOL_KINDS.iter().enumerate() {
            for w in *kind {
                *m.entry(*w).or_insert(0u16) |= 1 << i;
            }
        }
        m
    });

/// Does a sentence of a failure answer detect (0), recover (1) or prevent (2), in any words? A
/// labelled answer ("Detection: ...") says so itself; otherwise the verbs of each kind.
fn answer_kind(sentence: &str, kind: usize) -> bool {
    const DETECT: &[&str] = &[
        "detect",
        "alert",
        "alarm",
        "page ",
        "paged",
        "pages ",
        "notice",
        "monitor",
        "we'd see",
        "we would see",
        "would show",
        "catch it",
        "spot it",
        "how we'd know",
        "tells us",
        "compare ",
        "check the",
        "lag per",
        "dashboard shows",
    ];
    const RECOVER: &[&str] = &[
        "recover",
        "replay",
        "rerun",
        "re-run",
        "recompute",
        "restore",
        "roll back",
        "rollback",
        "revert",
        "backfill",
        "reprocess",
        "repair",
        "restart",
        "fail over",
        "failover",
        "drain",
        "catch up",
        "re-snapshot",
        "resume",
        "overwrite",
        "rewind",
        "reset the offset",
        "skip ahead",
        "fix the data",
        "clean up",
    ];
    const PREVENT: &[&str] = &[
        "prevent",
        "going forward",
        "for good",
        "next time",
        "never again",
        "from now on",
        "by default",
        "can't happen",
        "cannot happen",
        "won't happen again",
        "add a test",
        "load test",
        "in ci",
        "guardrail",
        "long term",
        "long-term",
        "permanent",
        "root cause",
        "make it impossible",
        "so it never",
    ];
    let lower = sentence.to_lowercase();
    let lists = [DETECT, RECOVER, PREVENT];
    let labels = [
        ["detection", "detect:", "detecting"],
        ["recovery", "recover:", "recovering"],
        ["prevention", "prevent:", "preventing"],
    ];
    labels[kind]
        .iter()
        .any(|l| lower.trim_start().starts_with(l))
        || lists[kind].iter().any(|w| lower.contains(w))
}

fn better(slot: &mut Option<Credit>, c: Credit) {
    match slot {
        Some(old) if old.weight >= c.weight => {}
        _ => *slot = Some(c),
    }
}

impl<'a> Ledger<'a> {
    fn build(k: &'a Knowledge, t: &Transcript, scenario: Option<&'a Scenario>) -> Self {
        let mut l = Ledger {
            k,
            scenario,
            turns: Vec::new(),
            credits: BTreeMap::new(),
            components: BTreeMap::new(),
            design: DesignGraph::new(),
            topics_asked: BTreeMap::new(),
            first_design_turn: None,
            content_words: 0,
            tradeoff_quotes: Vec::new(),
            tool_comparisons: Vec::new(),
            reasoned_sentences: 0,
            wrong_estimates: Vec::new(),
            money_quotes: Vec::new(),
            cost_sentences: Vec::new(),
            injection_turns: Vec::new(),
            misconceptions: Vec::new(),
            hints_asked: 0,
            failure_answers: Vec::new(),
            failure_credits: BTreeMap::new(),
            failure_kinds: Vec::new(),
            det: k.detection.clone(),
            rec: k.recovery.clone(),
            prev: k.prevention.clone(),
        };
        if let Some(s) = scenario {
            for f in &s.failures {
                l.det.extend(f.detection.iter().cloned());
                l.rec.extend(f.recovery.iter().cloned());
                l.prev.extend(f.prevention.iter().cloned());
            }
        }
        let mut in_failure = false;
        let mut why_choice = false;
        for (i, turn) in t.turns.iter().enumerate() {
            if turn.speaker == Speaker::Interviewer {
                why_choice = asks_why_choice(&turn.text);
                match failure_prompt(&turn.text, scenario) {
                    FailurePrompt::New if i > 0 => {
                        in_failure = true;
                        l.failure_answers.push(BTreeSet::new());
                        l.failure_kinds.push([None, None, None]);
                    }
                    FailurePrompt::FollowUp if in_failure => {}
                    _ => in_failure = false,
                }
                continue;
            }
            let trimmed = turn.text.trim();
            if trimmed.eq_ignore_ascii_case("/hint") {
                l.hints_asked += 1;
                continue;
            }
            if trimmed.starts_with('/') && !trimmed.contains(' ') {
                continue; // other in-interview commands are not answers
            }
            let a = k.analyzer.analyze(&turn.text);
            if a.asked_hint {
                l.hints_asked += 1;
            }
            // "Why an in-memory store rather than the database you use elsewhere?" answered with
            // reasons about the kinds of tool: a comparison, whatever the words.
            let reasoned = if why_choice {
                (0..a.sentences.len())
                    .find(|&si| {
                        a.is_reasoned(si)
                            && !a.questions.iter().any(|q| q.sentence == si)
                            && (tool_kinds(&a.sentences[si].to_lowercase()) >= 1
                                || a.components.iter().any(|h| h.sentence == si))
                    })
                    .map(|si| a.sentences[si].clone())
            } else {
                None
            };
            l.absorb(i + 1, a, in_failure);
            if let Some(q) = reasoned
                && !l.tool_comparisons.iter().any(|(t, _)| *t == i + 1)
            {
                l.tool_comparisons.push((i + 1, q));
            }
            why_choice = false;
        }
        l
    }

    /// Takes in one candidate turn; `in_failure` when it answers an injected failure.
    fn absorb(&mut self, turn: usize, a: Analysis, in_failure: bool) {
        // Each sentence's weight, once: hits in a sentence all share it.
        let weights: Vec<f64> = (0..a.sentences.len())
            .map(|si| sentence_weight(&a, si))
            .collect();
        let in_question: BTreeSet<usize> = a.questions.iter().map(|q| q.sentence).collect();
        self.content_words += a.content_words;
        for h in &a.misconceptions {
            if self.misconceptions.iter().any(|c| c.id == h.id) {
                continue;
            }
            if let Some(m) = self.k.bank.misconceptions.iter().find(|m| m.id == h.id) {
                self.misconceptions.push(Correction {
                    id: m.id.clone(),
                    dimension: m.dimension,
                    turn,
                    quote: a.sentences[h.sentence].clone(),
                    correction: m.correction.trim().to_string(),
                    source: m.source.clone(),
                    cap: Level::from_str_opt(&m.cap).unwrap_or(Level::Intermediate),
                });
            }
        }
        if !a.injections.is_empty() {
            self.injection_turns.push(turn);
        }
        let injected: BTreeSet<usize> = a.injections.iter().copied().collect();
        if in_failure {
            let got: Vec<&pipeprep_analyzer::ConceptHit> = a
                .concepts
                .iter()
                .filter(|h| {
                    h.counts() && !injected.contains(&h.sentence) && weights[h.sentence] >= 0.6
                })
                .collect();
            if let Some(group) = self.failure_answers.last_mut() {
                group.extend(got.iter().map(|h| h.id.clone()));
            }
            let questions: BTreeSet<usize> = a.questions.iter().map(|q| q.sentence).collect();
            if let Some(kinds) = self.failure_kinds.last_mut() {
                for (si, sentence) in a.sentences.iter().enumerate() {
                    if injected.contains(&si) || questions.contains(&si) || weights[si] < 0.6 {
                        continue;
                    }
                    for (kind, slot) in kinds.iter_mut().enumerate() {
                        if slot.is_none() && answer_kind(sentence, kind) {
                            *slot = Some((turn, sentence.clone()));
                        }
                    }
                }
            }
            for h in got {
                let mut slot = self.failure_credits.remove(&h.id);
                better(
                    &mut slot,
                    Credit {
                        weight: weights[h.sentence],
                        turn,
                        quote: a.sentences[h.sentence].clone(),
                    },
                );
                if let Some(s) = slot {
                    self.failure_credits.insert(h.id.clone(), s);
                }
            }
        }
        for h in a
            .concepts
            .iter()
            .filter(|h| h.counts() && !injected.contains(&h.sentence))
        {
            let c = Credit {
                weight: if in_question.contains(&h.sentence) {
                    0.3
                } else {
                    weights[h.sentence]
                },
                turn,
                quote: a.sentences[h.sentence].clone(),
            };
            let mut slot = self.credits.remove(&h.id);
            better(&mut slot, c);
            if let Some(s) = slot {
                self.credits.insert(h.id.clone(), s);
            }
        }
        for h in a
            .components
            .iter()
            .filter(|h| !h.negated && !injected.contains(&h.sentence))
        {
            let c = Credit {
                weight: weights[h.sentence],
                turn,
                quote: a.sentences[h.sentence].clone(),
            };
            let mut slot = self.components.remove(&h.id);
            better(&mut slot, c);
            if let Some(s) = slot {
                self.components.insert(h.id.clone(), s);
            }
        }
        let designs = a.design.edges().len() >= 2 || a.named_components().len() >= 3;
        if designs && self.first_design_turn.is_none() {
            self.first_design_turn = Some(turn);
        }
        for q in &a.questions {
            for topic in &q.topics {
                self.topics_asked
                    .entry(topic.clone())
                    .or_insert((turn, q.text.clone()));
            }
        }
        let questions_here: BTreeSet<usize> = a.questions.iter().map(|q| q.sentence).collect();
        for (si, sentence) in a.sentences.iter().enumerate() {
            if injected.contains(&si) {
                continue;
            }
            let mut ids: Vec<&str> = a
                .components
                .iter()
                .filter(|h| h.sentence == si)
                .map(|h| h.id.as_str())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let lower = sentence.to_lowercase();
            let weighs = [
                " over ",
                "instead of",
                "rather than",
                " vs",
                "versus",
                "compared to",
                "compared with",
                "better than",
                "cheaper than",
                "trade-off",
                "tradeoff",
                "whereas",
                "unlike",
                "not worth",
                "alternative",
                "could do",
                "could use",
                "instead",
                "prefer",
                "as truth",
                "two systems",
            ]
            .iter()
            .any(|m| lower.contains(m));
            // Tools described rather than named ("an in-memory store with an expiry versus a
            // merge in the warehouse") compare just as well when the sentence gives a reason.
            let kinds = tool_kinds(&lower);
            let described =
                a.is_reasoned(si) && !questions_here.contains(&si) && kinds + ids.len() >= 2;
            if weighs
                && (ids.len() >= 2 || (ids.len() == 1 && a.tradeoffs.contains(&si)) || described)
            {
                self.tool_comparisons.push((turn, sentence.clone()));
            }
        }
        // A comparison spread over a turn: options laid out ("two ways", "the other choice") and
        // one picked with a reason, with at least two kinds of tool described in the turn.
        if !self.tool_comparisons.iter().any(|(t, _)| *t == turn) {
            let whole = a.sentences.join(" ").to_lowercase();
            const OPTIONS: &[&str] = &[
                "two ways",
                "two options",
                "three options",
                "two choices",
                "the other choice",
                "the other option",
                "either works",
                "either would work",
                "option one",
                "first option",
            ];
            const PICK: &[&str] = &[
                "i'd pick",
                "i would pick",
                "i'd choose",
                "i would choose",
                "i'd go with",
                "i would go with",
                "i'd take",
                "my pick",
                "i'd rather",
            ];
            let laid_out = OPTIONS.iter().any(|o| whole.contains(o));
            let picked = a.sentences.iter().enumerate().find(|(si, s)| {
                let x = s.to_lowercase();
                !injected.contains(si) && PICK.iter().any(|p| x.contains(p)) && a.is_reasoned(*si)
            });
            if laid_out
                && tool_kinds(&whole) + a.named_components().len() >= 2
                && let Some((_, s)) = picked
            {
                self.tool_comparisons.push((turn, s.clone()));
            }
        }
        for &si in &a.tradeoffs {
            if !injected.contains(&si) && !a.questions.iter().any(|q| q.sentence == si) {
                self.tradeoff_quotes.push((turn, a.sentences[si].clone()));
            }
        }
        self.reasoned_sentences += a.reasoning.iter().filter(|s| !injected.contains(s)).count();
        let questions: BTreeSet<usize> = a.questions.iter().map(|q| q.sentence).collect();
        for (si, s) in a.sentences.iter().enumerate() {
            if injected.contains(&si) || questions.contains(&si) {
                continue;
            }
            let lower = s
                .to_lowercase()
                .replace("at the cost of", "")
                .replace("the cost is", "")
                .replace("cost of complexity", "")
                .replace("spend the time", "")
                .replace("spend most of", "")
                .replace("spend time", "")
                .replace("spend our time", "")
                .replace("spend more time", "");
            let words: Vec<String> = pipeprep_analyzer::text::words(&lower)
                .map(|(_, _, w)| w.to_string())
                .collect();
            let has = |w: &str| words.iter().any(|x| x == w);
            let money = [
                "cost", "costs", "budget", "pricing", "spend", "bill", "dollars", "savings",
                "cheaper", "pricey",
            ]
            .iter()
            .any(|w| has(w))
                || lower.contains('$')
                || ((has("cheap") || has("expensive"))
                    && [
                        "run", "cluster", "instance", "storage", "month", "pay", "price",
                        "operate", "keep", "host",
                    ]
                    .iter()
                    .any(|w| lower.contains(w)));
            let dismissed = [
                "no need to think about cost",
                "cost doesn't matter",
                "don't care about cost",
                "ignore cost",
                "not worry about cost",
                "cost is not",
                "cost isn't",
                "cheap by definition",
                "not a concern",
                "don't worry about",
                "don't think cost",
                "worry about cost",
                "cost doesn't",
                "costs don't",
                "haven't looked at",
                "haven't thought about",
                "not something i've",
                "not really something",
                "leave that to",
                "leave it to",
                "leave the cost",
                "look at the bill",
                "wouldn't worry",
                "would not worry",
                "whatever it costs",
                "no idea what it costs",
                "don't know what it costs",
                "don't know how much",
                "owns the budget",
                "not my area",
                "someone else's problem",
            ]
            .iter()
            .any(|p| lower.contains(p));
            if money && !dismissed && weights[si] >= 0.6 {
                self.cost_sentences.push((turn, s.clone()));
            }
        }
        for q in &a.quantities {
            if matches!(q.kind, QuantityKind::Usd | QuantityKind::UsdPerMonth)
                && let Some(s) = a.sentences.iter().find(|s| s.contains(&q.text))
            {
                self.money_quotes.push((turn, s.clone()));
            }
        }
        self.check_estimates(turn, &a);
        // The same limit as the interview, so a pasted giant chain costs the same to grade.
        self.design
            .merge_within(&a.design, crate::interview::MAX_DESIGN_NODES);
        self.turns.push((turn, a));
    }

    /// A sentence that converts one rate into another ("1B a day is about 1K per second") and is
    /// off by more than 2x; or a claimed average rate more than 2x away from the scenario's.
    fn check_estimates(&mut self, turn: usize, a: &Analysis) {
        for w in pipeprep_analyzer::wrong_conversions(&a.sentences) {
            let truth = format!(
                "{} is about {:.0} per second, not {}",
                w.from, w.per_sec, w.claimed
            );
            self.wrong_estimates.push((turn, w.sentence, truth));
        }
    }

    fn w(&self, concept: &str) -> f64 {
        self.credits.get(concept).map_or(0.0, |c| c.weight)
    }

    fn count(&self, set: &[&str], min_w: f64) -> usize {
        set.iter().filter(|c| self.w(c) >= min_w).count()
    }

    /// Distinct concepts of a dimension mentioned with substance (not in a bare list).
    fn dim_n(&self, d: Dimension) -> usize {
        self.credits
            .iter()
            .filter(|(id, c)| c.weight >= 0.6 && self.k.dims_of(id).contains(&d))
            .count()
    }

    fn dim_sum(&self, d: Dimension) -> f64 {
        self.credits
            .iter()
            .filter(|(id, _)| self.k.dims_of(id).contains(&d))
            .map(|(_, c)| c.weight)
            .sum()
    }

    fn dim_concepts(&self, d: Dimension) -> Vec<(&String, &Credit)> {
        let mut v: Vec<_> = self
            .credits
            .iter()
            .filter(|(id, _)| self.k.dims_of(id).contains(&d))
            .collect();
        v.sort_by(|a, b| {
            b.1.weight
                .total_cmp(&a.1.weight)
                .then(a.1.turn.cmp(&b.1.turn))
                .then(a.0.cmp(b.0))
        });
        v
    }

    fn evidence_for(&self, ids: &[&String]) -> Vec<Evidence> {
        let mut out: Vec<Evidence> = Vec::new();
        for id in ids {
            if let Some(c) = self.credits.get(*id) {
                let e = Evidence {
                    turn: c.turn,
                    quote: c.quote.clone(),
                };
                if !out.contains(&e) {
                    out.push(e);
                }
            }
            if out.len() >= 3 {
                break;
            }
        }
        out
    }

    /// Components that are part of the design: in an arrow chain or named with substance.
    fn design_components(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self
            .design
            .components()
            .iter()
            .filter(|_| !self.design.edges().is_empty())
            .map(|s| s.to_string())
            .collect();
        out.extend(
            self.components
                .iter()
                .filter(|(_, c)| c.weight >= 0.6)
                .map(|(id, _)| id.clone()),
        );
        out
    }

    fn layers(&self) -> BTreeSet<Layer> {
        let mut ls = BTreeSet::new();
        for id in &self.design_components() {
            if let Some(c) = self.k.bank.catalog.get(id) {
                ls.insert(match c.layer {
                    Layer::Orchestration | Layer::Quality => continue,
                    Layer::Serving => Layer::Storage,
                    other => other,
                });
            }
        }
        ls
    }

    /// Serverless functions with no durable buffer at a volume they cannot take.
    fn under_engineered(&self) -> bool {
        let need = self.scenario.and_then(|s| {
            s.params
                .peak_events_per_sec
                .or(s.params.events_per_day.map(|d| d / 86_400.0 * 3.0))
        });
        need.is_some_and(|n| n >= 10_000.0)
            && self.components.contains_key("lambda")
            && !self
                .components
                .keys()
                .any(|c| self.k.bank.catalog.get(c).is_some_and(|x| x.durable_log))
    }

    /// A capacity the candidate designs for that is 100x or more beyond the need.
    fn over_engineered(&self) -> Option<String> {
        for (_, a) in &self.turns {
            for s in &a.sentences {
                let x = s.to_lowercase();
                if (x.contains("1000x")
                    || x.contains("1,000x")
                    || x.contains("thousand times")
                    || x.contains("100x"))
                    && !x.contains("not ")
                {
                    return Some(s.chars().take(80).collect());
                }
            }
        }
        let need = self.scenario.and_then(|s| {
            s.params
                .peak_events_per_sec
                .or(s.params.events_per_day.map(|d| d / 86_400.0 * 3.0))
        })?;
        for (_, a) in &self.turns {
            if let Some(q) = a
                .quantities
                .iter()
                .find(|q| q.kind == QuantityKind::Rate && q.value >= need * 100.0)
            {
                return Some(q.text.clone());
            }
        }
        None
    }

    /// Separate paths for different SLAs: named, or a fast and a batch engine both in the design
    /// with a replayable source or a real chain behind them.
    fn multipath(&self) -> bool {
        self.count(AD_MULTIPATH, 0.6) >= 1
            || (self.has_fast_and_batch()
                && (self.w("raw-zone") >= 0.6
                    || self.w("durable-log") >= 0.6
                    || self.design.edges().len() >= 4))
    }

    fn has_fast_and_batch(&self) -> bool {
        let mut fast = false;
        let mut batch = false;
        for id in &self.design_components() {
            if let Some(c) = self.k.bank.catalog.get(id)
                && c.layer == Layer::Processing
            {
                if c.batch || c.latency >= pipeprep_design::Latency::Minutes {
                    batch = true;
                } else if c.latency <= pipeprep_design::Latency::Seconds {
                    fast = true;
                }
            }
        }
        fast && batch
    }
}

/// A quote short enough for one scorecard line.
pub fn clip_quote(quote: &str) -> String {
    if quote.chars().count() > 160 {
        let cut: String = quote.chars().take(157).collect();
        format!("{cut}...")
    } else {
        quote.to_string()
    }
}

fn quote_line(turn: usize, quote: &str) -> String {
    format!("turn {turn}: \"{}\"", clip_quote(quote))
}

/// Scores a transcript. `hints_used` overrides the count found in the transcript (the live
/// interview knows exactly how many it gave).
pub fn score(k: &Knowledge, t: &Transcript, hints_used: Option<usize>) -> Scorecard {
    let scenario = t.scenario.as_deref().and_then(|id| k.scenario(id));
    let l = Ledger::build(k, t, scenario);
    let insufficient = l.content_words < 15;
    let mut dims = Vec::new();
    for d in Dimension::ALL {
        let mut ds = if insufficient {
            DimensionScore {
                id: d,
                level: Level::Novice,
                justification: "Insufficient evidence: the answers were too short or not meaningful enough to assess this dimension.".into(),
                evidence: Vec::new(),
                strength: 0.0,
                features: Vec::new(),
                credit: String::new(),
            }
        } else {
            cap_for_misconceptions(&l, score_dim(&l, d))
        };
        ds.evidence.retain(|e| {
            t.turns
                .get(e.turn - 1)
                .is_some_and(|turn| turn.text.contains(&e.quote))
        });
        // Every level above novice rests on something the candidate said (DESIGN.md §2).
        if ds.level > Level::Novice && ds.evidence.is_empty() {
            ds = not_demonstrated(d, "nothing the candidate said could be quoted for it");
        }
        dims.push(ds);
    }
    let flags = flags(&l, t, &dims, insufficient);
    let overall = overall(&dims);
    let strengths = strengths(&l, &dims);
    let improvements = improvements(&l, &dims);
    let resources = resources(&l, &dims);
    Scorecard {
        scenario: t.scenario.clone(),
        dimensions: dims,
        overall,
        flags,
        hints_used: hints_used.unwrap_or(l.hints_asked),
        strengths,
        improvements,
        resources,
        corrections: l.misconceptions.clone(),
    }
}

/// A confident false claim caps the dimension it belongs to (label conventions: wrong is worse
/// than missing), and the justification says which claim and quotes it.
fn cap_for_misconceptions(l: &Ledger<'_>, mut ds: DimensionScore) -> DimensionScore {
    for c in l.misconceptions.iter().filter(|c| c.dimension == ds.id) {
        let cap = c.cap;
        if ds.level > cap {
            ds.level = cap;
            ds.strength = ds.strength.min(0.5);
            // A capped dimension is not praised: the claim is what the scorecard leads with.
            ds.credit.clear();
            let base = ds.justification.trim_end_matches('.').to_string();
            ds.justification = format!(
                "{base}; capped at {} by a claim that does not hold ({})",
                cap.as_str(),
                quote_line(c.turn, &c.quote)
            ) + ".";
            let e = Evidence {
                turn: c.turn,
                quote: c.quote.clone(),
            };
            if !ds.evidence.contains(&e) {
                ds.evidence.insert(0, e);
                ds.evidence.truncate(3);
            }
        }
    }
    ds
}

/// A yes/no feature of the level model.
fn yes(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Counts enter the level model on a log scale: the first mention matters more than the tenth.
fn ln1p(x: f64) -> f64 {
    x.max(0.0).ln_1p()
}

/// The level the fitted model (`bank/levels.toml`) gives these features. The built-in bank has a
/// model for every dimension and a user's bank can only replace one, so the novice fallback is
/// for a bank loaded without the built-in layer.
fn fitted_level(l: &Ledger<'_>, d: Dimension, feats: &[(&'static str, f64)]) -> Level {
    let Some(m) = l.k.bank.levels.iter().find(|m| m.id == d) else {
        return Level::Novice;
    };
    let score: f64 = m
        .features
        .iter()
        .zip(&m.weights)
        .map(|(name, w)| {
            w * feats
                .iter()
                .find(|(f, _)| f == name)
                .map_or(0.0, |(_, v)| *v)
        })
        .sum();
    if score < m.thresholds[0] {
        Level::Novice
    } else if score < m.thresholds[1] {
        Level::Intermediate
    } else {
        Level::Expert
    }
}

fn not_demonstrated(d: Dimension, what: &str) -> DimensionScore {
    DimensionScore {
        id: d,
        level: Level::Novice,
        justification: format!("Not demonstrated: {what}."),
        evidence: Vec::new(),
        strength: 0.0,
        features: Vec::new(),
        credit: String::new(),
    }
}

fn names(l: &Ledger<'_>, ids: &[&String]) -> String {
    let v: Vec<String> = ids.iter().take(4).map(|id| l.k.concept_name(id)).collect();
    v.join(", ")
}

fn score_dim(l: &Ledger<'_>, d: Dimension) -> DimensionScore {
    match d {
        Dimension::RequirementsExtraction => score_requirements(l),
        Dimension::ArchitectureDesign => score_architecture(l),
        Dimension::ToolSelection => score_tools(l),
        Dimension::FailureModes => score_failures(l),
        Dimension::ScalingStrategy => score_scaling(l),
        Dimension::CostAwareness => score_cost(l),
        Dimension::DataQuality => score_quality(l),
    }
}

fn score_requirements(l: &Ledger<'_>) -> DimensionScore {
    let d = Dimension::RequirementsExtraction;
    let before_design = |turn: usize| l.first_design_turn.is_none_or(|f| turn <= f);
    let asked: Vec<(&String, &(usize, String))> = l.topics_asked.iter().collect();
    let early: Vec<&String> = asked
        .iter()
        .filter(|(_, (turn, _))| before_design(*turn))
        .map(|(t, _)| *t)
        .collect();
    let edge: Vec<&String> = early
        .iter()
        .copied()
        .filter(|t| EDGE_TOPICS.contains(&t.as_str()))
        .collect();
    let re_concepts = l.dim_concepts(d);
    let re_sum: f64 = re_concepts.iter().map(|(_, c)| c.weight).sum();
    let mut evidence: Vec<Evidence> = Vec::new();
    // Quotes from the requirements conversation: questions asked before the design come first,
    // in the order they were asked, and later ones only when there were none before.
    let mut by_time: Vec<&(usize, String)> = asked.iter().map(|(_, tq)| *tq).collect();
    by_time.sort_by_key(|(turn, _)| (!before_design(*turn), *turn));
    let any_early = by_time.iter().any(|(turn, _)| before_design(*turn));
    for (turn, q) in by_time
        .into_iter()
        .filter(|(turn, _)| !any_early || before_design(*turn))
    {
        let e = Evidence {
            turn: *turn,
            quote: q.clone(),
        };
        if !evidence.contains(&e) && evidence.len() < 3 {
            evidence.push(e);
        }
    }
    if asked.is_empty() && re_sum < 1.0 {
        return not_demonstrated(
            d,
            "no clarifying questions about volume, latency, retention or other constraints were asked",
        );
    }
    let topic_names = |v: &[&String]| {
        v.iter()
            .map(|t| l.k.bank.topic(t).map_or(t.as_str(), |x| x.name.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all_topics: Vec<&String> = asked.iter().map(|(t, _)| *t).collect();
    let feats = vec![
        ("early_topics", ln1p(early.len() as f64)),
        ("edge_topics", ln1p(edge.len() as f64)),
        ("all_topics", ln1p(all_topics.len() as f64)),
        ("requirement_concepts", ln1p(re_sum)),
        ("questions_only", yes(l.first_design_turn.is_none())),
    ];
    let fitted = fitted_level(l, d, &feats);
    let (level, strength, credit, gap) = if fitted == Level::Expert {
        (
            Level::Expert,
            ((early.len() + edge.len()) as f64 / 10.0).min(1.0),
            if edge.is_empty() {
                format!("Asked about {} before designing", topic_names(&all_topics))
            } else {
                format!(
                    "Asked about {} before designing, including edge cases ({})",
                    topic_names(&early),
                    topic_names(&edge)
                )
            },
            String::new(),
        )
    } else if fitted == Level::Intermediate {
        let mut gap = String::new();
        if early.is_empty() && l.first_design_turn.is_some() {
            gap.push_str("; the questions came after the design, not before it");
        }
        if edge.is_empty() {
            gap.push_str("; did not probe edge cases such as peaks, late data or budget");
        }
        (
            Level::Intermediate,
            (all_topics.len() as f64 / 6.0).min(1.0),
            format!("Asked about {}", topic_names(&all_topics)),
            gap,
        )
    } else {
        if evidence.is_empty() {
            evidence = l.evidence_for(&re_concepts.iter().map(|(id, _)| *id).collect::<Vec<_>>());
        }
        (
            Level::Novice,
            0.5,
            String::new(),
            "Few requirements were established before designing; key constraints such as volume and latency went unasked".to_string(),
        )
    };
    DimensionScore {
        id: d,
        level,
        justification: with_quotes(format!("{credit}{gap}"), &evidence),
        evidence,
        strength,
        features: feats,
        credit,
    }
}

fn with_quotes(why: String, ev: &[Evidence]) -> String {
    if ev.is_empty() {
        format!("{why}.")
    } else {
        let q: Vec<String> = ev
            .iter()
            .take(2)
            .map(|e| quote_line(e.turn, &e.quote))
            .collect();
        format!("{why} ({}).", q.join("; "))
    }
}

fn score_architecture(l: &Ledger<'_>) -> DimensionScore {
    let d = Dimension::ArchitectureDesign;
    let layers = l.layers();
    let concepts = l.dim_concepts(d);
    let n = l.dim_n(d);
    let comps = l.design_components();
    let multipath = l.multipath();
    let substantive: Vec<&String> = concepts
        .iter()
        .filter(|(_, c)| c.weight >= 0.6)
        .map(|(id, _)| *id)
        .collect();
    let mut ev = l.evidence_for(&substantive);
    if ev.len() < 2 {
        for (_, c) in l.components.iter().filter(|(_, c)| c.weight >= 0.6).take(2) {
            let e = Evidence {
                turn: c.turn,
                quote: c.quote.clone(),
            };
            if !ev.contains(&e) {
                ev.push(e);
            }
        }
    }
    if comps.is_empty() && n == 0 {
        return not_demonstrated(d, "no pipeline design was described with its reasons");
    }
    let reasoned = l.reasoned_sentences + l.tradeoff_quotes.len();
    let single = comps.len() <= 1 && n < 2;
    let feats = vec![
        ("layers", ln1p(layers.len() as f64)),
        ("multipath", yes(multipath)),
        ("reasoned", ln1p(reasoned as f64)),
        ("architecture_concepts", ln1p(n as f64)),
        ("components", ln1p(comps.len() as f64)),
        ("single_tool", yes(single)),
        ("under_engineered", yes(l.under_engineered())),
    ];
    let fitted = fitted_level(l, d, &feats);
    let (level, strength, credit, gap) = if fitted == Level::Novice && single {
        let name = comps
            .iter()
            .next()
            .and_then(|c| l.k.bank.catalog.get(c))
            .map_or("one tool".to_string(), |c| c.name.clone());
        (
            Level::Novice,
            0.3,
            String::new(),
            format!("A single tool ({name}) was proposed for every job"),
        )
    } else if fitted == Level::Novice && l.under_engineered() {
        (
            Level::Novice,
            0.4,
            String::new(),
            "Every job goes through serverless functions with no buffer, far below what the volume needs".to_string(),
        )
    } else if fitted == Level::Expert {
        (
            Level::Expert,
            (n as f64 / 6.0).min(1.0),
            if multipath {
                "A layered design with separate paths for different SLAs, justified".to_string()
            } else {
                format!(
                    "A layered design across {} layers with clear separation of concerns, justified",
                    layers.len()
                )
            },
            String::new(),
        )
    } else if fitted == Level::Intermediate {
        let gap = if multipath {
            ""
        } else {
            "; no separate paths for the different SLAs"
        };
        (
            Level::Intermediate,
            (n as f64 / 4.0).min(1.0),
            format!(
                "A layered design across {} layers with some justification",
                layers.len()
            ),
            gap.to_string(),
        )
    } else {
        (
            Level::Novice,
            0.5,
            String::new(),
            "Tools were named without a layered, justified design".to_string(),
        )
    };
    DimensionScore {
        id: d,
        level,
        justification: with_quotes(format!("{credit}{gap}"), &ev),
        evidence: ev,
        strength,
        features: feats,
        credit,
    }
}

fn score_tools(l: &Ledger<'_>) -> DimensionScore {
    let d = Dimension::ToolSelection;
    // Boxes described in plain words are design, not tool choices.
    let mut comps = l.design_components();
    comps.retain(|c| l.k.bank.catalog.get(c).is_none_or(|c| !c.generic));
    let comparisons: Vec<&(usize, String)> = l.tool_comparisons.iter().collect();
    let compared = comparisons.len()
        + usize::from(l.w("tool-comparison") >= 0.6)
        + usize::from(l.w("breaking-conventions") >= 0.6);
    let scenario_internals: Vec<&str> = l
        .scenario
        .and_then(|s| s.expectation(d))
        .map(|e| {
            e.expert
                .iter()
                .map(String::as_str)
                .filter(|c| l.k.dims_of(c).contains(&d))
                .collect()
        })
        .unwrap_or_default();
    let mut internals: Vec<&str> = TS_INTERNALS
        .iter()
        .copied()
        .filter(|c| l.w(c) >= 0.6)
        .collect();
    for c in scenario_internals {
        if l.w(c) >= 0.6 && !internals.contains(&c) {
            internals.push(c);
        }
    }
    let mut ev: Vec<Evidence> = comparisons
        .iter()
        .take(2)
        .map(|(t, q)| Evidence {
            turn: *t,
            quote: q.clone(),
        })
        .collect();
    for id in &internals {
        if let Some(c) = l.credits.get(*id) {
            let e = Evidence {
                turn: c.turn,
                quote: c.quote.clone(),
            };
            if !ev.contains(&e) && ev.len() < 3 {
                ev.push(e);
            }
        }
    }
    if comps.is_empty() && comparisons.is_empty() {
        return not_demonstrated(d, "no tools were chosen with a reason");
    }
    let feats = vec![
        ("comparisons", ln1p(compared as f64)),
        ("internals", ln1p(internals.len() as f64)),
        ("components", ln1p(comps.len() as f64)),
        ("reasoned", ln1p(l.reasoned_sentences as f64)),
        ("over_engineered", yes(l.over_engineered().is_some())),
    ];
    let fitted = fitted_level(l, d, &feats);
    // The tools chosen are evidence of the selection whatever the level.
    if ev.is_empty()
        && let Some((_, c)) = l.components.iter().max_by(|a, b| {
            a.1.weight
                .total_cmp(&b.1.weight)
                .then(b.1.turn.cmp(&a.1.turn))
        })
    {
        ev.push(Evidence {
            turn: c.turn,
            quote: c.quote.clone(),
        });
    }
    let (level, strength, credit, gap) = if fitted == Level::Expert {
        let names: Vec<String> = internals
            .iter()
            .take(3)
            .map(|c| l.k.concept_name(c))
            .collect();
        (
            Level::Expert,
            ((compared + internals.len()) as f64 / 8.0).min(1.0),
            if names.is_empty() {
                "Compared options with trade-offs and showed how the tools work inside".to_string()
            } else {
                format!(
                    "Compared options with trade-offs and showed how the tools work inside ({})",
                    names.join(", ")
                )
            },
            String::new(),
        )
    } else if fitted == Level::Intermediate {
        (
            Level::Intermediate,
            (compared as f64 / 3.0).min(1.0),
            "Compared tools with some trade-offs".to_string(),
            ", with little on their internals".to_string(),
        )
    } else {
        (
            Level::Novice,
            0.5,
            String::new(),
            // The quotes may show a comparison; then say what is missing beside it.
            match compared {
                0 => "Tools were named without comparing alternatives or saying why".to_string(),
                1 => "One choice was compared with an alternative; the other tools were named without saying why".to_string(),
                _ => "A few choices were compared, without the trade-offs that decide between them".to_string(),
            },
        )
    };
    let (level, gap) = match l.over_engineered() {
        Some(over) if level == Level::Expert => (
            Level::Intermediate,
            format!(
                "{gap}; but the tools were chosen for far more than the need ({over}), which is a selection misjudgement"
            ),
        ),
        _ => (level, gap),
    };
    DimensionScore {
        id: d,
        level,
        justification: with_quotes(format!("{credit}{gap}"), &ev),
        evidence: ev,
        strength,
        features: feats,
        credit,
    }
}

fn score_failures(l: &Ledger<'_>) -> DimensionScore {
    let d = Dimension::FailureModes;
    // Judge the answers to the injected failures when there were any; otherwise the whole talk.
    let answered: BTreeSet<&String> = l.failure_answers.iter().flatten().collect();
    let said = |c: &&String| {
        if l.failure_answers.is_empty() {
            l.w(c) >= 0.6
        } else {
            answered.contains(c)
        }
    };
    let det: Vec<&String> = l.det.iter().filter(said).collect();
    let rec: Vec<&String> = l.rec.iter().filter(said).collect();
    let prev: Vec<&String> = l.prev.iter().filter(said).collect();
    let concepts = l.dim_concepts(d);
    let n = l.dim_n(d);
    let ids: Vec<&String> = concepts
        .iter()
        .filter(|(_, c)| c.weight >= 0.6)
        .map(|(id, _)| *id)
        .collect();
    // Quotes from the answers to the injected failures when there were any: one per kind
    // (detection, recovery, prevention) first, then the other failure concepts.
    let ev = {
        let mut out: Vec<Evidence> = Vec::new();
        if !l.failure_answers.is_empty() {
            let kinds = [&det, &rec, &prev];
            let firsts = kinds.iter().enumerate().filter_map(|(i, k)| {
                k.iter()
                    .filter_map(|c| l.failure_credits.get(*c))
                    .max_by(|a, b| a.weight.total_cmp(&b.weight).then(b.turn.cmp(&a.turn)))
                    .map(|c| (c.turn, c.quote.clone()))
                    .or_else(|| l.failure_kinds.iter().find_map(|w| w[i].clone()))
            });
            let rest = ids
                .iter()
                .filter_map(|c| l.failure_credits.get(*c))
                .map(|c| (c.turn, c.quote.clone()));
            for (turn, quote) in firsts.chain(rest) {
                let e = Evidence { turn, quote };
                if !out.contains(&e) && out.len() < 3 {
                    out.push(e);
                }
            }
        }
        if out.is_empty() {
            out = l.evidence_for(&ids);
        }
        out
    };
    // How completely each injected failure was answered: categories covered per answer.
    let per_answer: Vec<usize> = l
        .failure_answers
        .iter()
        .zip(&l.failure_kinds)
        .map(|(g, words)| {
            [&l.det, &l.rec, &l.prev]
                .iter()
                .zip(words)
                .filter(|(set, said)| g.iter().any(|c| set.contains(c)) || said.is_some())
                .count()
        })
        .collect();
    // Kinds given in plain words in any failure answer, beside the concepts named.
    let said_kind = |kind: usize| -> bool { l.failure_kinds.iter().any(|k| k[kind].is_some()) };
    let full_answers = per_answer.iter().filter(|n| **n == 3).count();
    let good_answers = per_answer.iter().filter(|n| **n >= 2).count();
    let core = det.len() + rec.len() + prev.len();
    let worded = (0..3).filter(|k| said_kind(*k)).count();
    if n == 0 && core == 0 && worded == 0 {
        return not_demonstrated(d, "failures and recovery were not discussed");
    }
    let kinds = [
        !det.is_empty() || said_kind(0),
        !rec.is_empty() || said_kind(1),
        !prev.is_empty() || said_kind(2),
    ];
    let covered = kinds.iter().filter(|b| **b).count();
    let answered_well = if l.failure_answers.len() >= 2 {
        full_answers >= 1 && good_answers >= 2
    } else {
        full_answers >= 1
    };
    let feats = vec![
        ("covered_kinds", covered as f64),
        ("core_concepts", ln1p(core as f64)),
        ("full_answers", ln1p(full_answers as f64)),
        ("good_answers", ln1p(good_answers as f64)),
        ("failure_concepts", ln1p(n as f64)),
        ("answered_well", yes(answered_well)),
    ];
    let fitted = fitted_level(l, d, &feats);
    let (level, strength, credit, gap) = if fitted == Level::Expert {
        (
            Level::Expert,
            (core as f64 / 9.0).min(1.0),
            {
                // Name the concepts of each kind, or say it was given in the candidate's words.
                let kind = |what: &str, ids: &[&String]| {
                    if ids.is_empty() {
                        format!("{what} in their own words")
                    } else {
                        format!("{what} ({})", names(l, ids))
                    }
                };
                format!(
                    "Covered {}, {} and {} for the failures raised",
                    kind("detection", &det),
                    kind("recovery", &rec),
                    kind("prevention", &prev)
                )
            },
            String::new(),
        )
    } else if fitted == Level::Intermediate {
        let missing: Vec<&str> = ["detection", "recovery", "prevention"]
            .into_iter()
            .zip(kinds)
            .filter(|(_, has)| !has)
            .map(|(k, _)| k)
            .collect();
        let gap = if missing.is_empty() {
            "; not every failure got detection, recovery and prevention".to_string()
        } else {
            format!("; {} not covered", missing.join(" and "))
        };
        (
            Level::Intermediate,
            (core as f64 / 6.0).min(1.0),
            format!("Discussed common failures ({})", names(l, &ids)),
            gap,
        )
    } else {
        (
            Level::Novice,
            0.5,
            String::new(),
            // Name what was touched, so the quotes below read as what they are.
            if ids.is_empty() {
                "Failures were touched only in passing, without detection or recovery".to_string()
            } else {
                format!(
                    "Touched on {} in passing, without detection or recovery for a failure",
                    names(l, &ids)
                )
            },
        )
    };
    DimensionScore {
        id: d,
        level,
        justification: with_quotes(format!("{credit}{gap}"), &ev),
        evidence: ev,
        strength,
        features: feats,
        credit,
    }
}

fn score_scaling(l: &Ledger<'_>) -> DimensionScore {
    let d = Dimension::ScalingStrategy;
    let adv: Vec<&str> = SC_ADVANCED
        .iter()
        .copied()
        .filter(|c| l.w(c) >= 0.6)
        .collect();
    let concepts = l.dim_concepts(d);
    let n = l.dim_n(d);
    let ids: Vec<&String> = concepts
        .iter()
        .filter(|(_, c)| c.weight >= 0.6)
        .map(|(id, _)| *id)
        .collect();
    let mut ev = l.evidence_for(&ids);
    if let Some((turn, q, _)) = l.wrong_estimates.first() {
        ev.insert(
            0,
            Evidence {
                turn: *turn,
                quote: q.clone(),
            },
        );
        ev.truncate(3);
    }
    if n == 0 && l.wrong_estimates.is_empty() {
        return not_demonstrated(
            d,
            "how the design scales was not discussed beyond adding servers",
        );
    }
    let reasoned_adv = adv.iter().any(|c| l.w(c) >= 1.0);
    let feats = vec![
        ("advanced", ln1p(adv.len() as f64)),
        ("scaling_concepts", ln1p(n as f64)),
        ("reasoned_advanced", yes(reasoned_adv)),
        ("wrong_estimate", yes(!l.wrong_estimates.is_empty())),
        ("over_engineered", yes(l.over_engineered().is_some())),
    ];
    let fitted = fitted_level(l, d, &feats);
    let (mut level, strength, mut credit, mut gap) = if fitted == Level::Expert {
        let names: Vec<String> = adv.iter().take(4).map(|c| l.k.concept_name(c)).collect();
        (
            Level::Expert,
            (n as f64 / 7.0).min(1.0),
            format!("Addressed {}", names.join(", ")),
            String::new(),
        )
    } else if fitted == Level::Intermediate {
        (
            Level::Intermediate,
            (n as f64 / 4.0).min(1.0),
            format!("Used horizontal scaling ideas ({})", names(l, &ids)),
            " without skew, backpressure or degradation in depth".to_string(),
        )
    } else {
        (
            Level::Novice,
            0.5,
            String::new(),
            if ids.is_empty() {
                "Scaling was left at adding more servers".to_string()
            } else {
                format!(
                    "Touched on {} without a plan for the peak, hot keys or growth",
                    names(l, &ids)
                )
            },
        )
    };
    if let Some((_, _, truth)) = l.wrong_estimates.first() {
        // A rate off by more than 2x undermines whatever was sized on it.
        level = if level == Level::Expert {
            Level::Intermediate
        } else {
            Level::Novice
        };
        gap.push_str(&format!("; an estimate was off by more than 2x ({truth})"));
    }
    if let Some(over) = l.over_engineered() {
        level = Level::Novice;
        credit.clear();
        gap = format!(
            "Sized for far more than the requirement ({over}), which is a scaling misjudgement"
        );
    }
    if level == Level::Novice {
        credit.clear();
    }
    DimensionScore {
        id: d,
        level,
        justification: with_quotes(format!("{credit}{gap}"), &ev),
        evidence: ev,
        strength,
        features: feats,
        credit,
    }
}

const CO_SPECIFIC: &[&str] = &[
    "spot-instances",
    "arm-graviton",
    "reserved-capacity",
    "auto-suspend",
    "ephemeral-clusters",
    "right-sizing",
    "storage-tiering",
    "resource-monitors",
    "cost-per-event",
    "cost-estimate",
    "bytes-scanned-cost",
    "request-costs",
    "data-transfer-costs",
    "pay-per-use",
    "cold-storage-retrieval",
    "cost-attribution",
];

fn score_cost(l: &Ledger<'_>) -> DimensionScore {
    let d = Dimension::CostAwareness;
    let specific: Vec<&str> = CO_SPECIFIC
        .iter()
        .copied()
        .filter(|c| l.w(c) >= 0.6)
        .collect();
    let opt: Vec<&str> = CO_SPECIFIC
        .iter()
        .chain(CO_GENERAL)
        .copied()
        .filter(|c| l.w(c) >= 0.6)
        .collect();
    let ids: Vec<String> = specific.iter().map(|s| s.to_string()).collect();
    let idr: Vec<&String> = ids.iter().collect();
    let mut ev = l.evidence_for(&idr);
    for (t, q) in l.money_quotes.iter().chain(l.cost_sentences.iter()) {
        let e = Evidence {
            turn: *t,
            quote: q.clone(),
        };
        if !ev.contains(&e) && ev.len() < 3 {
            ev.push(e);
        }
    }
    let numbers =
        !l.money_quotes.is_empty() || l.w("cost-estimate") >= 0.6 || l.w("cost-per-event") >= 0.6;
    let talked = l.cost_sentences.len();
    if specific.is_empty() && talked == 0 {
        return not_demonstrated(d, "cost was not considered");
    }
    let feats = vec![
        ("specific_levers", ln1p(specific.len() as f64)),
        ("levers", ln1p(opt.len() as f64)),
        ("numbers", yes(numbers)),
        ("cost_sentences", ln1p(talked as f64)),
    ];
    let fitted = fitted_level(l, d, &feats);
    let (level, strength, credit, gap) = if fitted == Level::Expert {
        let n: Vec<String> = specific
            .iter()
            .take(4)
            .map(|c| l.k.concept_name(c))
            .collect();
        (
            Level::Expert,
            (opt.len() as f64 / 6.0).min(1.0),
            if n.is_empty() {
                "Optimised cost against the SLA with concrete levers and numbers".to_string()
            } else {
                format!(
                    "Optimised cost against the SLA with specifics ({}) and numbers",
                    n.join(", ")
                )
            },
            String::new(),
        )
    } else if fitted == Level::Intermediate {
        (
            Level::Intermediate,
            ((specific.len() + talked) as f64 / 4.0).min(1.0),
            "Treated cost as a factor in the design".to_string(),
            " without optimising it against the SLA in detail".to_string(),
        )
    } else {
        (
            Level::Novice,
            0.5,
            String::new(),
            "Cost came up only in passing, not as a factor in the design".to_string(),
        )
    };
    DimensionScore {
        id: d,
        level,
        justification: with_quotes(format!("{credit}{gap}"), &ev),
        evidence: ev,
        strength,
        features: feats,
        credit,
    }
}

fn score_quality(l: &Ledger<'_>) -> DimensionScore {
    let d = Dimension::DataQuality;
    let groups = [
        ("schema", l.count(DQ_SCHEMA, 0.6)),
        ("completeness and correctness", l.count(DQ_CONTENT, 0.6)),
        ("freshness and monitoring", l.count(DQ_FRESHNESS, 0.6)),
    ];
    let covered: Vec<&str> = groups
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(g, _)| *g)
        .collect();
    // Data quality is checks on the data itself; generic monitoring of machines does not count.
    let checks: Vec<&str> = DQ_SCHEMA
        .iter()
        .chain(DQ_CONTENT)
        .chain(DQ_FRESHNESS)
        .chain(DQ_TESTS)
        .copied()
        .collect();
    let owned: Vec<String> = checks
        .iter()
        .filter(|c| l.w(c) >= 0.6)
        .map(|c| c.to_string())
        .collect();
    let ids: Vec<&String> = owned.iter().collect();
    let n = ids.len();
    let ev = l.evidence_for(&ids);
    if n == 0 {
        return not_demonstrated(
            d,
            "data validation and quality were not discussed with any substance",
        );
    }
    // Breadth across kinds of checks: schema talk alone (however rich) is one kind.
    let breadth = groups[0].1.min(2) + groups[1].1 + groups[2].1 + l.count(DQ_TESTS, 0.6);
    let feats = vec![
        ("kinds_covered", covered.len() as f64),
        ("quality_concepts", ln1p(n as f64)),
        ("breadth", ln1p(breadth as f64)),
    ];
    let fitted = fitted_level(l, d, &feats);
    let (level, strength, credit, gap) = if fitted == Level::Expert {
        (
            Level::Expert,
            (n as f64 / 7.0).min(1.0),
            format!(
                "End-to-end data quality across {}: {}",
                covered.join(", "),
                names(l, &ids)
            ),
            String::new(),
        )
    } else if fitted == Level::Intermediate {
        (
            Level::Intermediate,
            (n as f64 / 4.0).min(1.0),
            format!("Brought in validation ({})", names(l, &ids)),
            " without end-to-end coverage of schema, completeness and freshness".to_string(),
        )
    } else {
        (
            Level::Novice,
            0.5,
            String::new(),
            format!(
                "Data checks came up only in passing ({}), not as part of the pipeline",
                names(l, &ids)
            ),
        )
    };
    DimensionScore {
        id: d,
        level,
        justification: with_quotes(format!("{credit}{gap}"), &ev),
        evidence: ev,
        strength,
        features: feats,
        credit,
    }
}

/// The overall level and score from the dimensions (used again after a verified second opinion).
pub fn overall(dims: &[DimensionScore]) -> Overall {
    let total: f64 = dims
        .iter()
        .map(|d| {
            let base = match d.level {
                Level::Novice => 5.0,
                Level::Intermediate => 40.0,
                Level::Expert => 72.0,
            };
            base + d.strength.clamp(0.0, 1.0) * 26.0
        })
        .sum();
    let score = (total / dims.len() as f64).round().clamp(0.0, 100.0) as u32;
    let level = if score >= 70 {
        Level::Expert
    } else if score >= 38 {
        Level::Intermediate
    } else {
        Level::Novice
    };
    Overall { level, score }
}

fn flags(l: &Ledger<'_>, t: &Transcript, dims: &[DimensionScore], insufficient: bool) -> Vec<Flag> {
    let mut out = Vec::new();
    let first_candidate = t
        .turns
        .iter()
        .position(|x| x.speaker == Speaker::Candidate)
        .map_or(1, |i| i + 1);
    let asked_before = l
        .topics_asked
        .values()
        .filter(|(turn, _)| l.first_design_turn.is_none_or(|f| *turn < f))
        .count();
    if let Some(f) = l.first_design_turn {
        if asked_before == 0 {
            // The flag agrees with the requirements level: when that level is above novice, the
            // message says what was missing rather than that nothing was asked.
            let later = l.topics_asked.values().map(|(t, _)| *t).min();
            let message = match (dims[0].level, later) {
                (Level::Novice, _) => {
                    "Went straight to tools without asking about the requirements".to_string()
                }
                (_, Some(q)) => format!(
                    "Proposed a design before asking about the requirements; the first question came later, at turn {q}"
                ),
                (_, None) => "Proposed a design without asking about the requirements; the constraints were assumed, not asked".to_string(),
            };
            out.push(Flag {
                id: "ignoring_requirements",
                kind: FlagKind::Red,
                message,
                turn: f,
            });
        }
    } else if l.topics_asked.is_empty() && !insufficient && l.scenario.is_some() {
        out.push(Flag {
            id: "ignoring_requirements",
            kind: FlagKind::Red,
            message: "Never asked about the requirements".into(),
            turn: first_candidate,
        });
    }
    let comps: Vec<&String> = l.components.keys().collect();
    let everything = l.turns.iter().find(|(_, a)| {
        a.sentences.iter().any(|s| {
            let x = s.to_lowercase();
            (x.contains("for everything")
                || x.contains("do it all")
                || x.contains("handle everything")
                || x.contains("all of it in"))
                && !x.contains("not ")
        })
    });
    // One tool for everything and an expert architecture cannot both be true.
    let layered = dims[1].level == Level::Expert;
    if comps.len() == 1
        && l.dim_sum(Dimension::ArchitectureDesign) < 1.0
        && !insufficient
        && !layered
    {
        out.push(Flag {
            id: "single_tool",
            kind: FlagKind::Red,
            message: format!("One tool ({}) for every job", comps[0]),
            turn: l.components[comps[0]].turn,
        });
    } else if let Some((turn, _)) = everything
        && !comps.is_empty()
        && !layered
    {
        out.push(Flag {
            id: "single_tool",
            kind: FlagKind::Red,
            message: "Proposed one tool for real-time and batch alike".into(),
            turn: *turn,
        });
    }
    if dims[3].level == Level::Novice && !insufficient && l.dim_sum(Dimension::FailureModes) < 0.5 {
        out.push(Flag {
            id: "ignoring_failures",
            kind: FlagKind::Red,
            message: "No discussion of what happens when things break".into(),
            turn: first_candidate,
        });
    }
    if let Some(s) = l.scenario {
        let need = s
            .params
            .peak_events_per_sec
            .or(s.params.events_per_day.map(|d| d / 86_400.0 * 3.0));
        if let Some(need) = need {
            for (turn, a) in &l.turns {
                if let Some(q) = a
                    .quantities
                    .iter()
                    .find(|q| q.kind == QuantityKind::Rate && q.value >= need * 100.0)
                {
                    out.push(Flag {
                        id: "over_engineering",
                        kind: FlagKind::Red,
                        message: format!(
                            "Designed for {} when the need is about {:.0}/s",
                            q.text, need
                        ),
                        turn: *turn,
                    });
                    break;
                }
            }
            let serverless_only = l.components.contains_key("lambda")
                && !l
                    .components
                    .keys()
                    .any(|c| l.k.bank.catalog.get(c).is_some_and(|x| x.durable_log));
            if need >= 10_000.0 && serverless_only {
                let turn = l.components["lambda"].turn;
                out.push(Flag {
                    id: "under_engineering",
                    kind: FlagKind::Red,
                    message: format!(
                        "Serverless functions with no buffer at about {need:.0} events/s"
                    ),
                    turn,
                });
            }
        }
    }
    let over_words = l.turns.iter().find(|(_, a)| {
        a.sentences.iter().any(|s| {
            let x = s.to_lowercase();
            x.contains("1000x") || x.contains("1,000x") || x.contains("thousand times")
        })
    });
    if let Some((turn, _)) = over_words
        && !out.iter().any(|f| f.id == "over_engineering")
    {
        out.push(Flag {
            id: "over_engineering",
            kind: FlagKind::Red,
            message: "Sized for 1000x when the requirement is far smaller".into(),
            turn: *turn,
        });
    }
    if asked_before >= 2 || (l.first_design_turn.is_none() && l.topics_asked.len() >= 2) {
        let turn = l
            .topics_asked
            .values()
            .map(|(t, _)| *t)
            .min()
            .unwrap_or(first_candidate);
        out.push(Flag {
            id: "clarifying_questions",
            kind: FlagKind::Green,
            message: "Asked clarifying questions before designing".into(),
            turn,
        });
    }
    if l.tradeoff_quotes.len() >= 2 {
        out.push(Flag {
            id: "tradeoffs_unprompted",
            kind: FlagKind::Green,
            message: "Weighed trade-offs".into(),
            turn: l.tradeoff_quotes[0].0,
        });
    }
    let green = |ids: &[&str]| {
        ids.iter()
            .filter_map(|c| l.credits.get(*c))
            .filter(|c| c.weight >= 0.6)
            .map(|c| c.turn)
            .min()
    };
    if let Some(turn) = green(OPS) {
        out.push(Flag {
            id: "operational_concerns",
            kind: FlagKind::Green,
            message: "Raised operational concerns (monitoring, on-call, debugging)".into(),
            turn,
        });
    }
    let levers: Vec<&str> = CO_SPECIFIC.iter().chain(CO_GENERAL).copied().collect();
    let cost_turn = green(&levers)
        .or_else(|| l.money_quotes.first().map(|x| x.0))
        .or_else(|| l.cost_sentences.first().map(|x| x.0));
    if let Some(turn) = cost_turn
        && dims[5].level >= Level::Intermediate
    {
        out.push(Flag {
            id: "cost_considered",
            kind: FlagKind::Green,
            message: "Considered cost".into(),
            turn,
        });
    }
    if let Some(turn) = green(TESTING) {
        out.push(Flag {
            id: "testing_strategy",
            kind: FlagKind::Green,
            message: "Talked about testing".into(),
            turn,
        });
    }
    out
}

/// The best-rated dimensions, each with what earned its level (never its gaps) and a quote that
/// is not a claim the scorecard corrects.
fn strengths(l: &Ledger<'_>, dims: &[DimensionScore]) -> Vec<String> {
    let corrected = |e: &Evidence| {
        l.misconceptions
            .iter()
            .any(|c| c.turn == e.turn && c.quote == e.quote)
    };
    let mut ranked: Vec<(&DimensionScore, &Evidence)> = dims
        .iter()
        .filter(|d| d.level > Level::Novice && !d.credit.is_empty())
        .filter_map(|d| d.evidence.iter().find(|e| !corrected(e)).map(|e| (d, e)))
        .collect();
    ranked.sort_by(|(a, _), (b, _)| {
        b.level
            .cmp(&a.level)
            .then(b.strength.total_cmp(&a.strength))
            .then(a.id.cmp(&b.id))
    });
    ranked
        .into_iter()
        .take(3)
        .map(|(d, e)| {
            let why = match d.id {
                Dimension::RequirementsExtraction => "pinning the constraints down first is what keeps a design from solving the wrong problem",
                Dimension::ArchitectureDesign => "a clear separation of layers lets each part meet its own SLA and fail on its own",
                Dimension::ToolSelection => "justifying a tool against its alternatives is exactly what a design review asks for",
                Dimension::FailureModes => "pipelines are judged by how they behave at 3 AM, not on the happy path",
                Dimension::ScalingStrategy => "scale problems come from skew and bursts, not from the average",
                Dimension::CostAwareness => "a design that meets the SLA at a tenth of the bill is the one that gets approved",
                Dimension::DataQuality => "bad data that flows silently costs more trust than a late pipeline",
            };
            format!("{}: {} ({}) — {why}.", d.id.title(), lowercase_first(&d.credit), quote_line(e.turn, &e.quote))
        })
        .collect()
}

fn lowercase_first(s: &str) -> String {
    let s = s.trim_end_matches('.');
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Concepts a scenario (or the rubric, in generic mode) expects for the next level up.
fn missing_for(l: &Ledger<'_>, d: Dimension, level: Level) -> Vec<String> {
    let want: Vec<String> = match (l.scenario.and_then(|s| s.expectation(d)), level) {
        (Some(e), Level::Novice) => e
            .intermediate
            .iter()
            .chain(e.expert.iter())
            .cloned()
            .collect(),
        (Some(e), _) => e
            .expert
            .iter()
            .chain(e.intermediate.iter())
            .cloned()
            .collect(),
        (None, _) => {
            let set: &[&str] = match d {
                Dimension::RequirementsExtraction => &[
                    "peak-traffic",
                    "latency-sla",
                    "late-data",
                    "cost-constraint",
                ],
                Dimension::ArchitectureDesign => {
                    &["separate-sla-paths", "raw-zone", "layered-architecture"]
                }
                Dimension::ToolSelection => {
                    &["tool-comparison", "state-backend", "engine-internals"]
                }
                Dimension::FailureModes => &[
                    "dead-letter-queue",
                    "replay-from-log",
                    "consumer-lag-monitoring",
                    "idempotent-writes",
                ],
                Dimension::ScalingStrategy => &[
                    "hot-partition",
                    "backpressure",
                    "key-salting",
                    "graceful-degradation",
                ],
                Dimension::CostAwareness => &[
                    "spot-instances",
                    "storage-tiering",
                    "cost-estimate",
                    "auto-suspend",
                ],
                Dimension::DataQuality => &[
                    "schema-registry",
                    "freshness-monitoring",
                    "row-count-checks",
                    "reconciliation",
                ],
            };
            set.iter().map(|s| s.to_string()).collect()
        }
    };
    let earned = earned(l, d);
    let mut out: Vec<String> = Vec::new();
    for c in want {
        // Anything the candidate said, even in a list or a question, is not "brought in" again,
        // and neither is what the level itself rests on.
        let have = l.w(&c) > 0.0 || earned.contains(&c.as_str());
        if !have && l.k.concept(&c).is_some() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Concepts the dimension's level already rests on through derived evidence (separate paths
/// found from the design, numbers from the money quoted), so an improvement never asks for them.
fn earned(l: &Ledger<'_>, d: Dimension) -> Vec<&'static str> {
    let mut out = Vec::new();
    match d {
        Dimension::ArchitectureDesign if l.multipath() => {
            out.extend_from_slice(AD_MULTIPATH);
            out.push("separate-sla-paths");
        }
        Dimension::CostAwareness if !l.money_quotes.is_empty() => {
            out.extend_from_slice(&["cost-estimate", "cost-per-event"]);
        }
        Dimension::ToolSelection if !l.tool_comparisons.is_empty() => {
            out.push("tool-comparison");
        }
        // The intermediate justification credits horizontal scaling ideas by name.
        Dimension::ScalingStrategy if l.dim_n(d) > 0 => {
            out.push("horizontal-scaling");
        }
        _ => {}
    }
    out
}

/// How an improvement for a dimension ends: what a strong answer does with the concept.
fn closer(d: Dimension) -> &'static str {
    match d {
        Dimension::RequirementsExtraction => {
            "Ask about it before drawing anything and state the answer back."
        }
        Dimension::ArchitectureDesign => {
            "Say which requirement each part serves and why it sits where it does."
        }
        Dimension::ToolSelection => {
            "Name the option you would not pick and what choosing it would cost."
        }
        Dimension::FailureModes => {
            "Walk through how you would notice the failure, recover from it and stop it recurring."
        }
        Dimension::ScalingStrategy => "Size it from this problem's peak, not its average.",
        Dimension::CostAwareness => {
            "Put a rough monthly figure on it and set it against the budget."
        }
        Dimension::DataQuality => {
            "Say where the check runs and what happens to the records that fail it."
        }
    }
}

fn improvements(l: &Ledger<'_>, dims: &[DimensionScore]) -> Vec<String> {
    let mut ranked: Vec<&DimensionScore> = dims.iter().collect();
    ranked.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(a.strength.total_cmp(&b.strength))
            .then(a.id.cmp(&b.id))
    });
    let mut out = Vec::new();
    // One concept per improvement: two dimensions sharing a concept never ask for it twice.
    let mut suggested: BTreeSet<String> = BTreeSet::new();
    for d in ranked {
        if out.len() >= 3 {
            break;
        }
        if d.level == Level::Expert {
            continue;
        }
        if d.id == Dimension::RequirementsExtraction {
            let asked: BTreeSet<&str> = l.topics_asked.keys().map(String::as_str).collect();
            let must: Vec<String> = l
                .scenario
                .map(|s| {
                    s.requirements
                        .iter()
                        .filter(|r| r.essential && !r.all_topics().any(|t| asked.contains(t)))
                        .map(|r| r.topic.clone())
                        .collect()
                })
                .unwrap_or_else(|| {
                    ["volume", "latency", "peak", "late-data"]
                        .iter()
                        .filter(|t| !asked.contains(*t))
                        .map(|t| t.to_string())
                        .collect()
                });
            if !must.is_empty() {
                let names: Vec<String> = must
                    .iter()
                    .take(4)
                    .map(|t| l.k.bank.topic(t).map_or(t.clone(), |x| x.name.clone()))
                    .collect();
                out.push(format!(
                    "Requirements extraction: before drawing anything, ask about {}. A strong answer opens with those questions and states the numbers back (\"so about 12K events/s on average, 3x that at peak\") so every later choice can be checked against them.",
                    names.join(", ")
                ));
                continue;
            }
        }
        let missing: Vec<String> = missing_for(l, d.id, d.level)
            .into_iter()
            .filter(|c| !suggested.contains(c))
            .collect();
        if let Some(c) = missing.first() {
            let concept = l.k.concept(c);
            let explain = concept.map_or(String::new(), |x| {
                format!("{}. ", x.explain.trim().trim_end_matches('.'))
            });
            let also: Vec<String> = missing
                .iter()
                .skip(1)
                .take(2)
                .map(|x| l.k.concept_name(x))
                .collect();
            let also = if also.is_empty() {
                String::new()
            } else {
                format!(" Also worth covering: {}.", also.join(", "))
            };
            out.push(format!(
                "{}: bring in {}. {explain}{}{also}",
                d.id.title(),
                l.k.concept_name(c),
                closer(d.id)
            ));
            suggested.extend(missing.into_iter().take(3));
        }
    }
    // Strong everywhere: the next step is what the scenario still expects at expert level.
    for d in dims.iter().filter(|d| d.level == Level::Expert) {
        if out.len() >= 3 {
            break;
        }
        if let Some(c) = missing_for(l, d.id, Level::Expert)
            .into_iter()
            .find(|c| !suggested.contains(c))
        {
            let explain = l.k.concept(&c).map_or(String::new(), |x| {
                x.explain.trim().trim_end_matches('.').to_string()
            });
            out.push(format!(
                "{}: already strong; to go further, bring in {}. {}.",
                d.id.title(),
                l.k.concept_name(&c),
                explain
            ));
            suggested.insert(c);
        }
    }
    out
}

/// The products this design works with: the scenario's reference stack and every component the
/// candidate named.
fn stack(l: &Ledger<'_>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = l.components.keys().cloned().collect();
    out.extend(l.design_components());
    if let Some(s) = l.scenario {
        out.extend(s.reference.components.iter().map(|c| c.component.clone()));
    }
    out
}

/// Does a resource fit this design? One about particular products (its title or id names them:
/// "Flink cluster sizing", "dbt snapshots and tests") fits only when one of them is in the stack.
fn fits_stack(l: &Ledger<'_>, r: &pipeprep_bank::Resource, stack: &BTreeSet<String>) -> bool {
    let about = format!("{}. {}", r.title, r.id.replace('-', " "));
    let products = l.k.analyzer.analyze(&about);
    let named = products.named_components();
    named.is_empty() || named.iter().any(|c| stack.contains(*c))
}

/// The catalog resource for a dimension that teaches most of what is missing, not already picked;
/// none when no resource teaches any of it or the ones that do are about another stack.
fn best_resource(
    l: &Ledger<'_>,
    d: Dimension,
    level: Level,
    taken: &[ResourcePick],
    stack: &BTreeSet<String>,
) -> Option<ResourcePick> {
    let missing: BTreeSet<String> = missing_for(l, d, level).into_iter().collect();
    l.k.bank
        .resources
        .iter()
        .filter(|r| r.dimensions.contains(&d) && !taken.iter().any(|o| o.url == r.url))
        .map(|r| {
            (
                r.concepts.iter().filter(|c| missing.contains(*c)).count(),
                r,
            )
        })
        .filter(|(n, r)| *n > 0 && fits_stack(l, r, stack))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.id.cmp(&a.1.id)))
        .map(|(_, r)| ResourcePick {
            title: r.title.clone(),
            url: r.url.clone(),
            dimension: d,
        })
}

fn resources(l: &Ledger<'_>, dims: &[DimensionScore]) -> Vec<ResourcePick> {
    let mut weak: Vec<&DimensionScore> = dims.iter().filter(|d| d.level < Level::Expert).collect();
    weak.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(a.strength.total_cmp(&b.strength))
            .then(a.id.cmp(&b.id))
    });
    let stack = stack(l);
    let mut out: Vec<ResourcePick> = Vec::new();
    for d in weak.into_iter().take(3) {
        if let Some(r) = best_resource(l, d.id, d.level, &out, &stack) {
            out.push(r);
        }
    }
    // At least two: when few dimensions are weak, study what the scenario still expects at the top.
    for d in dims.iter().filter(|d| d.level == Level::Expert) {
        if out.len() >= 2 {
            break;
        }
        if let Some(r) = best_resource(l, d.id, Level::Expert, &out, &stack) {
            out.push(r);
        }
    }
    out
}
