//! Everything the interviewer and the scorer know, built once from the bank.

use std::collections::{BTreeMap, BTreeSet};

use pipeprep_analyzer::{Analyzer, ConceptSpec, MisconceptionSpec, TopicSpec};
use pipeprep_bank::{Bank, Concept, Dimension, Scenario};

/// The bank plus the structures derived from it.
pub struct Knowledge {
    pub bank: Bank,
    pub analyzer: Analyzer,
    /// concept id -> dimensions it is evidence for.
    pub concept_dims: BTreeMap<String, Vec<Dimension>>,
    /// Concepts that count as detection, recovery or prevention of any failure (the rubric's
    /// curated sets; a scenario's own failure lists are added when scoring that scenario).
    pub detection: BTreeSet<String>,
    pub recovery: BTreeSet<String>,
    pub prevention: BTreeSet<String>,
    /// Concepts with a glossary entry: the ones the interviewer can explain when asked.
    pub glossary_ids: Vec<String>,
    /// See [`content_hash`](Knowledge::content_hash); computed on first use.
    content_hash: std::sync::OnceLock<u64>,
}

impl std::fmt::Debug for Knowledge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Knowledge")
            .field("scenarios", &self.bank.scenarios.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("the concept lexicon is invalid: {0}")]
    Lexicon(String),
}

const DEFAULT_DETECTION: &[&str] = &[
    "alerting",
    "consumer-lag-monitoring",
    "observability",
    "freshness-monitoring",
    "anomaly-detection",
    "reconciliation",
    "row-count-checks",
    "data-observability",
    "slo-monitoring",
    "completeness-checks",
    "replication-slot-lag",
    "anomaly-detection",
    "uniqueness-checks",
    "range-distribution-checks",
    "data-observability",
];
const DEFAULT_RECOVERY: &[&str] = &[
    "replay-from-log",
    "dead-letter-queue",
    "backfill",
    "failover",
    "rollback",
    "last-good-snapshot",
    "retry-with-backoff",
    "backlog-catch-up",
    "checkpointing",
    "quarantine-bad-records",
    "batch-reconciliation",
    "hot-standby",
    "deduplication",
    "upsert-merge",
    "offset-management",
    "cross-region-replication",
    "load-shedding",
    "graceful-degradation",
    "circuit-breaker",
];
const DEFAULT_PREVENTION: &[&str] = &[
    "idempotent-writes",
    "schema-registry",
    "contract-tests-ci",
    "data-contract",
    "capacity-headroom",
    "replication-factor",
    "multi-az",
    "chaos-testing",
    "canary-deploy",
    "circuit-breaker",
    "rate-limiting",
    "min-insync-replicas",
    "idempotency-key",
    "postmortem",
    "on-call-runbook",
    "schema-validation",
    "backward-compatibility",
    "transactional-outbox",
    "producer-acks",
    "integration-tests",
    "staging-environment",
    "load-testing",
    "timeout-budget",
];

impl Knowledge {
    pub fn new(bank: Bank) -> Result<Self, KnowledgeError> {
        let specs: Vec<ConceptSpec> = bank
            .concepts
            .iter()
            .map(|c| ConceptSpec {
                id: c.id.clone(),
                terms: c.terms.clone(),
                patterns: c.patterns.clone(),
            })
            .collect();
        let topics: Vec<TopicSpec> = bank
            .topics
            .iter()
            .map(|t| TopicSpec {
                id: t.id.clone(),
                keywords: t.keywords.clone(),
            })
            .collect();
        let misconceptions: Vec<MisconceptionSpec> = bank
            .misconceptions
            .iter()
            .map(|m| MisconceptionSpec {
                id: m.id.clone(),
                patterns: m
                    .patterns
                    .iter()
                    .map(|p| pipeprep_bank::misconception_pattern(p))
                    .collect(),
            })
            .collect();
        let analyzer = Analyzer::new(&specs, &bank.catalog, &topics)
            .and_then(|a| a.with_misconceptions(&misconceptions))
            .map_err(|e| KnowledgeError::Lexicon(e.to_string()))?;
        // Without a fitted threshold, meaning is not used: terms alone, as before.
        let analyzer = match bank.semantic {
            Some(sem) => {
                let examples: Vec<(String, Vec<String>)> = bank
                    .concepts
                    .iter()
                    .map(|c| (c.id.clone(), c.examples.clone()))
                    .collect();
                analyzer.with_examples(&examples, sem.min_similarity)
            }
            None => analyzer,
        };
        let concept_dims = bank
            .concepts
            .iter()
            .map(|c| (c.id.clone(), c.dimensions.clone()))
            .collect();
        let mut detection: BTreeSet<String> =
            DEFAULT_DETECTION.iter().map(|s| s.to_string()).collect();
        let mut recovery: BTreeSet<String> =
            DEFAULT_RECOVERY.iter().map(|s| s.to_string()).collect();
        let mut prevention: BTreeSet<String> =
            DEFAULT_PREVENTION.iter().map(|s| s.to_string()).collect();
        // Keep only ids the lexicon knows, so a default never names a concept that does not exist.
        let known: BTreeSet<String> = bank.concepts.iter().map(|c| c.id.clone()).collect();
        detection.retain(|c| known.contains(c));
        recovery.retain(|c| known.contains(c));
        prevention.retain(|c| known.contains(c));
        // Every concept can be explained: from its glossary entry, or from its one-line
        // explanation with a question that ties it back.
        let glossary_ids = bank.concepts.iter().map(|c| c.id.clone()).collect();
        Ok(Knowledge {
            content_hash: std::sync::OnceLock::new(),
            glossary_ids,
            bank,
            analyzer,
            concept_dims,
            detection,
            recovery,
            prevention,
        })
    }

    /// A hash of everything in the bank (scenarios, lexicon, catalog, prices, level model…),
    /// the same for the same bank in the same build: a saved interview is only restored by a
    /// server whose bank hashes alike. It hashes the bank's `Debug` form, which lists every
    /// field in order (the bank holds no hash maps), so nothing has to be kept in step by hand.
    pub fn content_hash(&self) -> u64 {
        *self.content_hash.get_or_init(|| {
            let mut h = Fnv::new();
            let _ = std::fmt::Write::write_fmt(&mut h, format_args!("{:?}", self.bank));
            h.finish()
        })
    }

    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.bank.scenario(id)
    }

    pub fn concept(&self, id: &str) -> Option<&Concept> {
        self.bank.concept(id)
    }

    pub fn dims_of(&self, concept: &str) -> &[Dimension] {
        self.concept_dims.get(concept).map_or(&[], Vec::as_slice)
    }

    /// A readable name for a concept id (its id, spaced: `dead letter queue`).
    pub fn concept_name(&self, id: &str) -> String {
        id.replace('-', " ")
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms, unlike the standard library's hasher
/// (the bank's content hash, and a saved interview's fingerprint and checksum).
pub struct Fnv(u64);

impl Fnv {
    pub fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub fn eat(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv {
    fn default() -> Self {
        Fnv::new()
    }
}

impl std::fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.eat(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_hash_follows_the_bank() {
        let bank = pipeprep_bank::embedded().unwrap();
        let a = Knowledge::new(bank.clone()).unwrap();
        let b = Knowledge::new(bank.clone()).unwrap();
        assert_eq!(a.content_hash(), b.content_hash());
        let mut changed = bank;
        changed.scenarios[0].prompt.push('.');
        let c = Knowledge::new(changed).unwrap();
        assert_ne!(
            a.content_hash(),
            c.content_hash(),
            "a changed prompt is not noticed"
        );
    }
}
