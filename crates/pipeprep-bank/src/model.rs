//! The bank's data types, deserialized straight from the TOML files (see `bank/README.md`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The seven rubric dimensions, in rubric order. Their ids are a public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    RequirementsExtraction,
    ArchitectureDesign,
    ToolSelection,
    FailureModes,
    ScalingStrategy,
    CostAwareness,
    DataQuality,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::RequirementsExtraction,
        Dimension::ArchitectureDesign,
        Dimension::ToolSelection,
        Dimension::FailureModes,
        Dimension::ScalingStrategy,
        Dimension::CostAwareness,
        Dimension::DataQuality,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Dimension::RequirementsExtraction => "requirements_extraction",
            Dimension::ArchitectureDesign => "architecture_design",
            Dimension::ToolSelection => "tool_selection",
            Dimension::FailureModes => "failure_modes",
            Dimension::ScalingStrategy => "scaling_strategy",
            Dimension::CostAwareness => "cost_awareness",
            Dimension::DataQuality => "data_quality",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Dimension::RequirementsExtraction => "Requirements extraction",
            Dimension::ArchitectureDesign => "Architecture design",
            Dimension::ToolSelection => "Tool selection",
            Dimension::FailureModes => "Failure modes",
            Dimension::ScalingStrategy => "Scaling strategy",
            Dimension::CostAwareness => "Cost awareness",
            Dimension::DataQuality => "Data quality",
        }
    }

    pub fn from_id(id: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.id() == id)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    #[default]
    Medium,
    Hard,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    pub name: String,
    pub keywords: Vec<String>,
    /// A sensible assumption the interviewer offers when a scenario does not say: "a team of
    /// four or five engineers who know SQL and Python".
    #[serde(default)]
    pub assume: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub id: String,
    pub dimensions: Vec<Dimension>,
    pub terms: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    pub explain: String,
    /// Plain-language phrasings that show the concept without its terms: the anchors the
    /// analyzer's semantic layer compares candidate sentences with.
    #[serde(default)]
    pub examples: Vec<String>,
    /// What the interviewer says when a candidate asks what the concept is: 2-4 sentences that
    /// end with a question tying it back to the candidate's design.
    #[serde(default)]
    pub glossary: Option<String>,
}

/// A fitted ordinal model for one rubric dimension (`levels.toml`, written by
/// `calibration/fit.py`): score = Σ weight × feature; below the first threshold is novice, below the
/// second intermediate, else expert. Feature names are the scorer's; weights are data so they can
/// be re-fitted without a code change.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LevelModel {
    pub id: Dimension,
    pub features: Vec<String>,
    pub weights: Vec<f64>,
    pub thresholds: [f64; 2],
}

/// Recognition by meaning (`[semantic]` in `levels.toml`), chosen with the level model.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SemanticSettings {
    /// Cosine similarity to an example phrasing at which a sentence shows the concept.
    pub min_similarity: f32,
}

/// How a misconception pattern is compiled, in validation and in the analyzer alike: over the
/// bytes of a lowercased sentence, with ASCII word boundaries and classes. Unicode `\b` and
/// `.{0,80}` gaps made automata of hundreds of megabytes and a start-up of most of a second; the
/// patterns are English, so ASCII semantics mean the same and compile in milliseconds.
pub fn misconception_pattern(p: &str) -> String {
    format!("(?i-u){p}")
}

/// A claim candidates make with confidence that is false. Recognising it caps the dimension it
/// touches and puts a short correction on the scorecard: fluency must not earn what substance
/// would not.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Misconception {
    pub id: String,
    /// The one rubric dimension the claim undermines.
    pub dimension: Dimension,
    /// The highest level that dimension can reach while the claim stands: novice or intermediate.
    pub cap: String,
    /// Rust regexes matched case-insensitively against one lowercased sentence at a time.
    pub patterns: Vec<String>,
    /// Phrasings of the claim; each must match a pattern (checked by the test suite).
    pub claims: Vec<String>,
    /// Correct or negated statements about the same things; none may match (checked too).
    #[serde(default)]
    pub not_claims: Vec<String>,
    /// What is true instead.
    pub fact: String,
    /// The kind correction the scorecard shows.
    pub correction: String,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub id: String,
    pub title: String,
    pub author: String,
    pub url: String,
    pub kind: String,
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub concepts: Vec<String>,
}

/// Structured facts of a scenario, for the linter and the estimator.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub events_per_day: Option<f64>,
    pub peak_events_per_sec: Option<f64>,
    pub event_size_bytes: Option<f64>,
    pub latency_sla_sec: Option<f64>,
    pub retention_days: Option<f64>,
    pub budget_usd_month: Option<f64>,
    #[serde(default)]
    pub late_data: bool,
    #[serde(default)]
    pub at_least_once: bool,
    #[serde(default)]
    pub evolving_schema: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub topic: String,
    #[serde(default)]
    pub topics: Vec<String>,
    pub value: String,
    #[serde(default)]
    pub essential: bool,
}

impl Requirement {
    /// Every topic whose question reveals this requirement (always includes `topic`).
    pub fn all_topics(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.topic.as_str()).chain(
            self.topics
                .iter()
                .map(String::as_str)
                .filter(move |t| *t != self.topic),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RefComponent {
    pub component: String,
    #[serde(default)]
    pub role: String,
    pub why: String,
    #[serde(default)]
    pub alternatives: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub architecture: String,
    #[serde(default)]
    pub why: String,
    #[serde(default, rename = "component")]
    pub components: Vec<RefComponent>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tradeoff {
    pub decision: String,
    #[serde(default)]
    pub options: Vec<String>,
    pub discussion: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    pub key: String,
    pub question: String,
    #[serde(default)]
    pub expects: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Twist {
    pub kind: String,
    pub prompt: String,
    #[serde(default)]
    pub expects: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    pub id: String,
    /// What goes wrong, in a form the failure simulation can draw on the candidate's design.
    pub kind: FailureKind,
    /// For `broker-loss` and `outage`: how long the part was down or unable to keep up, in
    /// minutes, as the prompt tells it. The simulation builds the backlog from it.
    #[serde(default)]
    pub outage_min: Option<f64>,
    pub prompt: String,
    pub detection: Vec<String>,
    pub recovery: Vec<String>,
    pub prevention: Vec<String>,
}

/// The kinds live with the simulation that draws them.
pub use pipeprep_design::sim::FailureKind;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HintLadder {
    pub area: String,
    #[serde(default)]
    pub concepts: Vec<String>,
    pub levels: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub intermediate: Vec<String>,
    pub expert: Vec<String>,
}

/// The default is an empty scenario, only a placeholder: a saved interview leaves its scenario to
/// the bank and is given it back when it is restored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub difficulty: Difficulty,
    #[serde(default)]
    pub tags: Vec<String>,
    pub prompt: String,
    #[serde(default)]
    pub params: Params,
    #[serde(default, rename = "requirement")]
    pub requirements: Vec<Requirement>,
    pub reference: Reference,
    #[serde(default, rename = "tradeoff")]
    pub tradeoffs: Vec<Tradeoff>,
    #[serde(default, rename = "probe")]
    pub probes: Vec<Probe>,
    #[serde(default, rename = "twist")]
    pub twists: Vec<Twist>,
    #[serde(default, rename = "failure")]
    pub failures: Vec<Failure>,
    #[serde(default)]
    pub hints: Vec<HintLadder>,
    #[serde(default)]
    pub expectations: BTreeMap<Dimension, Expectation>,
    #[serde(default)]
    pub war_stories: Vec<String>,
}

impl Scenario {
    pub fn expectation(&self, dim: Dimension) -> Option<&Expectation> {
        self.expectations.get(&dim)
    }

    /// Every concept id the scenario references, for validation.
    pub fn referenced_concepts(&self) -> Vec<&str> {
        let mut lists: Vec<&[String]> = Vec::new();
        for p in &self.probes {
            lists.push(&p.expects);
        }
        for t in &self.twists {
            lists.push(&t.expects);
        }
        for f in &self.failures {
            lists.extend([
                f.detection.as_slice(),
                f.recovery.as_slice(),
                f.prevention.as_slice(),
            ]);
        }
        for h in &self.hints {
            lists.push(&h.concepts);
        }
        for e in self.expectations.values() {
            lists.extend([e.intermediate.as_slice(), e.expert.as_slice()]);
        }
        lists.into_iter().flatten().map(String::as_str).collect()
    }
}
