//! The component catalog: what each tool is for, how fast it is, what it costs, where it breaks.
//! The bank loads it from `bank/components.toml`; the linter, the estimator and the interviewer's
//! probes read it.

use serde::{Deserialize, Serialize};

/// The layer of a pipeline a component usually serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    Source,
    Ingestion,
    Processing,
    Orchestration,
    Storage,
    Serving,
    Quality,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Source => "source",
            Layer::Ingestion => "ingestion",
            Layer::Processing => "processing",
            Layer::Orchestration => "orchestration",
            Layer::Storage => "storage",
            Layer::Serving => "serving",
            Layer::Quality => "quality",
        }
    }
}

/// The end-to-end latency class a component typically delivers, fastest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum Latency {
    #[serde(rename = "sub-100ms")]
    Sub100ms,
    #[serde(rename = "sub-second")]
    SubSecond,
    #[serde(rename = "seconds")]
    Seconds,
    #[serde(rename = "minutes")]
    Minutes,
    #[serde(rename = "hours")]
    Hours,
}

impl Latency {
    /// A typical lower bound in seconds, used to compare against an SLA.
    pub fn typical_seconds(self) -> f64 {
        match self {
            Latency::Sub100ms => 0.05,
            Latency::SubSecond => 0.5,
            Latency::Seconds => 5.0,
            Latency::Minutes => 300.0,
            Latency::Hours => 3600.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Latency::Sub100ms => "sub-100ms",
            Latency::SubSecond => "sub-second",
            Latency::Seconds => "seconds",
            Latency::Minutes => "minutes",
            Latency::Hours => "hours",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Managed {
    Managed,
    SelfHosted,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

/// A documented limit of a component, with its source.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub metric: String,
    pub value: f64,
    #[serde(default)]
    pub note: String,
    pub source: String,
}

/// Limit metrics the linter and estimator understand.
pub const LIMIT_METRICS: &[&str] = &[
    "mb_per_sec_per_partition",
    "records_per_sec_per_shard",
    "mb_per_sec_per_shard",
    "concurrent_executions",
    "max_duration_sec",
    "writes_per_sec_per_partition",
    "reads_per_sec_per_partition",
    "puts_per_sec_per_prefix",
    "gets_per_sec_per_prefix",
    "ops_per_sec_per_node",
    "records_per_sec_per_core",
    "mb_per_sec",
    "max_message_kb",
];

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub layer: Layer,
    pub latency: Latency,
    pub managed: Managed,
    pub cost_profile: String,
    #[serde(default)]
    pub strengths: Vec<String>,
    #[serde(default)]
    pub weaknesses: Vec<String>,
    #[serde(default)]
    pub alternatives: Vec<String>,
    #[serde(default)]
    pub delivery: Option<Delivery>,
    #[serde(default)]
    pub durable_log: bool,
    #[serde(default)]
    pub batch: bool,
    #[serde(default, rename = "limit")]
    pub limits: Vec<Limit>,
    /// A kind of box described in plain words ("a durable append-only log"), not a product:
    /// it places the candidate's box in a layer but is never probed or credited as a tool.
    #[serde(default)]
    pub generic: bool,
}

impl Component {
    pub fn limit(&self, metric: &str) -> Option<&Limit> {
        self.limits.iter().find(|l| l.metric == metric)
    }
}

/// All components, with name and alias lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    components: Vec<Component>,
    /// Every normalised id, name and alias with its component index, longest first; built once
    /// because resolving runs for every node of every answer.
    names: Vec<(String, usize)>,
}

/// Lowercases and folds punctuation so `Amazon MSK`, `amazon-msk` and `AMAZON  MSK` compare equal.
pub fn normalize_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for ch in s.chars() {
        if ch.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(ch.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

impl Catalog {
    pub fn new(components: Vec<Component>) -> Self {
        let mut names: Vec<(String, usize)> = Vec::new();
        for (i, c) in components.iter().enumerate() {
            let all = [normalize_name(&c.id), normalize_name(&c.name)]
                .into_iter()
                .chain(c.aliases.iter().map(|a| normalize_name(a)));
            for n in all {
                if !n.is_empty() && !names.iter().any(|(m, j)| *m == n && *j == i) {
                    names.push((n, i));
                }
            }
        }
        // Longest first, then catalog order, so the first hit is the most specific.
        names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        Self { components, names }
    }

    pub fn components(&self) -> &[Component] {
        &self.components
    }

    pub fn get(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }

    /// The component of a design node: the one it was resolved to, or else what its name resolves
    /// to now, so tools work on graphs that were never passed through `DesignGraph::resolve`.
    pub fn component_of(&self, node: &crate::graph::Node) -> Option<&Component> {
        match node.component.as_deref() {
            Some(id) => self.get(id),
            None => self.resolve(&node.name),
        }
    }

    /// Resolves a node name to a component: exact id, name or alias first; then the longest
    /// alias that the name starts with (`Spark hourly` is Spark, `Kafka topic orders` is Kafka).
    pub fn resolve(&self, name: &str) -> Option<&Component> {
        let n = normalize_name(name);
        if n.is_empty() {
            return None;
        }
        // An exact id, name or alias first, in catalog order.
        if let Some((_, i)) = self
            .names
            .iter()
            .filter(|(m, _)| *m == n)
            .min_by_key(|(_, i)| *i)
        {
            return Some(&self.components[*i]);
        }
        // Then the longest alias the name starts or ends with.
        self.names
            .iter()
            .find(|(alias, _)| {
                n.len() > alias.len()
                    && ((n.starts_with(alias.as_str()) && n.as_bytes()[alias.len()] == b' ')
                        || (n.ends_with(alias.as_str())
                            && n.as_bytes()[n.len() - alias.len() - 1] == b' '))
            })
            .map(|(_, i)| &self.components[*i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(id: &str, aliases: &[&str]) -> Component {
        Component {
            id: id.into(),
            name: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            layer: Layer::Processing,
            latency: Latency::Seconds,
            managed: Managed::Both,
            cost_profile: String::new(),
            strengths: vec![],
            weaknesses: vec![],
            alternatives: vec![],
            delivery: None,
            durable_log: false,
            batch: false,
            limits: vec![],
            generic: false,
        }
    }

    #[test]
    fn resolves_aliases_case_and_punctuation_tolerant() {
        let cat = Catalog::new(vec![
            comp("kafka", &["msk", "amazon msk"]),
            comp("spark", &["spark", "apache spark"]),
            comp(
                "spark-structured-streaming",
                &["spark structured streaming"],
            ),
        ]);
        assert_eq!(cat.resolve("Amazon-MSK").unwrap().id, "kafka");
        assert_eq!(cat.resolve("Spark hourly").unwrap().id, "spark");
        assert_eq!(
            cat.resolve("Spark Structured Streaming").unwrap().id,
            "spark-structured-streaming"
        );
        assert!(cat.resolve("Click events").is_none());
    }
}
