//! What the page shows beside the conversation: the phase and its clock, the hints used, the
//! candidate's design as the engine understood it (drawn by `pipeprep-design`), the linter's
//! findings on it and the estimator's figures for the numbers the candidate has asked about.

use pipeprep_core::Knowledge;
use pipeprep_core::interview::{Interview, Phase};
use pipeprep_design::estimate::{EstimateInput, estimate};
use pipeprep_design::lint::{Finding, lint};
use pipeprep_design::render::{Mark, svg_annotated};
use pipeprep_design::{DesignGraph, Figure};

/// The state of an interview at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub scenario: String,
    pub title: String,
    pub phase: Phase,
    pub phase_elapsed_ms: u64,
    pub phase_budget_ms: u64,
    pub total_elapsed_ms: u64,
    pub hints: usize,
    pub done: bool,
    pub design: DesignGraph,
    /// The annotated SVG (empty when there is no design yet).
    pub svg: String,
    pub findings: Vec<Finding>,
    pub figures: Vec<Figure>,
    /// Why there are no figures, when there are none.
    pub figures_note: Option<String>,
    pub revealed: Vec<String>,
    /// The failure injected last, drawn on the design.
    pub failure: Option<crate::sim::FailureView>,
}

impl Snapshot {
    pub fn of(k: &Knowledge, iv: &Interview, _now_ms: u64, done: bool) -> Snapshot {
        let st = iv.status();
        let design = iv.design().clone();
        let scenario = iv.scenario();
        // The linter credits what the candidate already talked about, as the interviewer does.
        let mut mentioned: Vec<String> = Vec::new();
        for t in &iv.transcript().turns {
            if t.speaker == pipeprep_core::Speaker::Candidate {
                for c in k.analyzer.analyze(&t.text).credited() {
                    if !mentioned.iter().any(|m| m == c) {
                        mentioned.push(c.to_string());
                    }
                }
            }
        }
        let ctx = pipeprep_core::interview::lint_context(&scenario.params, mentioned);
        let findings = if design.is_empty() {
            Vec::new()
        } else {
            lint(&design, &k.bank.catalog, &k.bank.prices, &ctx)
        };
        let marks: Vec<Mark> = findings
            .iter()
            .flat_map(|f| {
                f.nodes.iter().map(move |&n| Mark {
                    node: n,
                    severity: f.severity,
                    title: format!("{}: {}", f.rule, f.message),
                })
            })
            .collect();
        let svg = if design.is_empty() {
            String::new()
        } else {
            svg_annotated(&design, &k.bank.catalog, &marks)
        };
        let revealed: Vec<String> = iv.revealed().into_iter().map(str::to_string).collect();
        let (figures, figures_note) = figures(k, iv, &design, &revealed);
        Snapshot {
            scenario: scenario.id.clone(),
            title: scenario.title.clone(),
            phase: st.phase,
            phase_elapsed_ms: st.phase_elapsed_ms,
            phase_budget_ms: st.phase_budget_ms,
            total_elapsed_ms: st.total_elapsed_ms,
            hints: st.hints,
            done,
            design,
            svg,
            findings,
            figures,
            figures_note,
            revealed,
            failure: crate::sim::for_interview(k, iv),
        }
    }
}

/// The estimator's figures for the scenario's numbers, once the candidate has asked for them
/// (the same rule `/estimate` follows): volume or peak gives the rates, size the bandwidth and
/// storage, retention the total kept. Only the figures that concern the design's components.
fn figures(
    k: &Knowledge,
    iv: &Interview,
    design: &DesignGraph,
    revealed: &[String],
) -> (Vec<Figure>, Option<String>) {
    let s = iv.scenario();
    let known = |topic: &str| {
        s.requirements
            .iter()
            .filter(|r| revealed.contains(&r.value))
            .any(|r| r.all_topics().any(|t| t == topic))
    };
    let p = &s.params;
    let Some(per_day) = p
        .events_per_day
        .filter(|_| known("volume") || known("peak"))
    else {
        return (
            Vec::new(),
            Some("Ask about the data volume and the estimator's figures appear here.".into()),
        );
    };
    let size_known = p
        .event_size_bytes
        .filter(|_| known("data-size") || known("volume"));
    // The rates need no size; bandwidth, storage and partitions wait until the size is known.
    let size = size_known.unwrap_or(1.0);
    let mut input = match EstimateInput::per_day(per_day, size) {
        Ok(i) => i,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    if let Some(peak) = p.peak_events_per_sec {
        input = input
            .clone()
            .with_peak_factor((peak / (per_day / 86_400.0)).max(1.0))
            .unwrap_or(input);
    }
    if known("retention")
        && let Some(d) = p.retention_days
    {
        input = input
            .clone()
            .with_retention_sec(d * 86_400.0)
            .unwrap_or(input);
    }
    let est = estimate(&input, &k.bank.catalog, &k.bank.prices);
    let comps: Vec<String> = design.components().iter().map(|c| c.to_string()).collect();
    let has = |needle: &str| comps.iter().any(|c| c.contains(needle));
    let wanted = |id: &str| match id {
        "events-per-sec-avg" | "events-per-sec-peak" => true,
        _ if size_known.is_none() => false,
        "mib-per-sec-peak" | "storage-total-compressed" => true,
        "kafka-partitions" | "kafka-disk" => has("kafka"),
        "kinesis-shards" | "kinesis-cost-month" => has("kinesis"),
        "lambda-requests-cost-month" | "lambda-compute-cost-month" => has("lambda"),
        "dynamodb-write-cost-month" => has("dynamodb"),
        _ => false,
    };
    let figs: Vec<Figure> = est.figures.into_iter().filter(|f| wanted(f.id)).collect();
    let note = size_known
        .is_none()
        .then(|| "Ask about the event size for bandwidth, storage and partitions.".to_string());
    (figs, note)
}

/// `1,234,567` or `3.4` — figures as people read them.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        return pipeprep_core::interview::thousands(v);
    }
    if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
