//! The failure simulation on the page: the failure the interviewer injected, drawn on the
//! candidate's own design with the scenario's rates and the capacity the candidate gave; and
//! after the interview the same for a scenario's reference design (`/scenarios/{id}/failure/{n}`).
//!
//! The drawing and the arithmetic are `pipeprep_design::sim`; this module finds the numbers:
//! the inflow from the estimator (the scenario's peak, else its average), the partitions the
//! estimator sizes, the outage from the failure's `outage_min`, and the capacity from what the
//! candidate said ("the consumers can process 300K events/s").

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use pipeprep_bank::{Failure, Scenario};
use pipeprep_core::Knowledge;
use pipeprep_design::estimate::{EstimateInput, estimate};
use pipeprep_design::sim::{self, Backlog, Facts, FailureKind};
use pipeprep_design::{DesignGraph, arrow};

use crate::Shared;
use crate::error::ApiError;
use crate::html::{esc, page};

/// A failure as the page shows it.
#[derive(Debug, Clone)]
pub struct FailureView {
    /// Index into the scenario's failures.
    pub index: usize,
    pub id: String,
    pub kind: FailureKind,
    pub svg: String,
    /// The arithmetic in words (backlog kinds), or what the drawing shows.
    pub statements: Vec<String>,
    /// Where the capacity came from, for backlog kinds.
    pub capacity_note: Option<String>,
}

/// Words that make a sentence's rate a statement of capacity rather than of load.
const CAPACITY_WORDS: &[&str] = &[
    "capacity",
    "process",
    "throughput",
    "handle",
    "consume",
    "catch up",
    "catch-up",
    "headroom",
    "drain",
    "sized for",
    "scale to",
    "keep up",
];

/// Sentences of a turn: split at `!`, `?`, `;`, line ends, and at a `.` followed by white space
/// or the end (so `2.5M events/s` stays whole).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_is_space = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if matches!(c, '!' | '?' | ';' | '\n') || (c == '.' && next_is_space) {
            out.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&text[start..]);
    out
}

/// The highest rate the candidate gave as a capacity, with the sentence that gave it.
pub fn stated_capacity<'a>(turns: impl IntoIterator<Item = &'a str>) -> Option<(f64, String)> {
    let mut best: Option<(f64, String)> = None;
    for text in turns {
        for sentence in sentences(text) {
            let lower = sentence.to_lowercase();
            if !CAPACITY_WORDS.iter().any(|w| lower.contains(w)) {
                continue;
            }
            for q in pipeprep_analyzer::quantities(sentence) {
                if q.kind == pipeprep_analyzer::QuantityKind::Rate
                    && q.value.is_finite()
                    && q.value > 0.0
                    && best.as_ref().is_none_or(|(v, _)| q.value > *v)
                {
                    best = Some((q.value, sentence.trim().to_string()));
                }
            }
        }
    }
    best
}

/// The scenario's rates as the estimator computes them: (peak or average events/s, partitions
/// of a Kafka log sized for that peak, when the event size is known).
fn rates(k: &Knowledge, s: &Scenario) -> (Option<f64>, Option<u32>) {
    let p = &s.params;
    let Some(per_day) = p.events_per_day else {
        return (p.peak_events_per_sec, None);
    };
    let Ok(mut input) = EstimateInput::per_day(per_day, p.event_size_bytes.unwrap_or(1.0)) else {
        return (p.peak_events_per_sec, None);
    };
    if let Some(peak) = p.peak_events_per_sec {
        input = input
            .clone()
            .with_peak_factor((peak / (per_day / 86_400.0)).max(1.0))
            .unwrap_or(input);
    }
    let est = estimate(&input, &k.bank.catalog, &k.bank.prices);
    let rate = est
        .get("events-per-sec-peak")
        .or_else(|| est.get("events-per-sec-avg"))
        .map(|f| f.value)
        .filter(|v| v.is_finite() && *v > 0.0);
    let partitions = p
        .event_size_bytes
        .and_then(|_| est.get("kafka-partitions"))
        .map(|f| f.value)
        .filter(|v| v.is_finite() && *v >= 1.0 && *v <= 100_000.0)
        .map(|v| v as u32);
    (rate, partitions)
}

/// Where the capacity of a drawing comes from.
pub enum Capacity {
    /// The candidate said it, in this sentence.
    Stated(f64, String),
    /// The candidate did not say: the drawing assumes a pipeline sized exactly for the inflow.
    Unstated,
    /// The reference design: the peak with the 2× headroom the sizing guidance asks for.
    Reference,
}

/// The headroom of the reference design: the low end of "leave 2–3× headroom" for consumer
/// parallelism (reference/domain-facts.md, K15).
pub const REFERENCE_HEADROOM: f64 = 2.0;

/// The drawing and its words for failure `index` of `s` on design `g`.
pub fn view(
    k: &Knowledge,
    s: &Scenario,
    index: usize,
    g: &DesignGraph,
    capacity: &Capacity,
) -> Option<FailureView> {
    let f: &Failure = s.failures.get(index)?;
    let (inflow, partitions) = rates(k, s);
    let mut facts = Facts {
        title: f.id.clone(),
        backlog: None,
        partitions,
        peak_per_sec: inflow,
    };
    let mut capacity_note = None;
    let mut statements = Vec::new();
    if f.kind.builds_backlog() {
        let cap = match capacity {
            Capacity::Stated(v, sentence) => {
                capacity_note = Some(format!(
                    "Capacity {} events/s, from what you said: “{}”",
                    crate::snapshot::number(*v),
                    sentence
                ));
                inflow.map(|_| *v)
            }
            Capacity::Unstated => {
                capacity_note = Some("You have not said how many events per second your consumers can process, so the drawing assumes a pipeline sized exactly for the inflow. Say it (e.g. “the consumers can process 300K events/s”) and the drain is drawn at your number.".into());
                inflow
            }
            Capacity::Reference => {
                capacity_note = inflow.map(|i| format!(
                    "Capacity {} events/s: the peak × {REFERENCE_HEADROOM} headroom that consumer sizing guidance asks for (reference/domain-facts.md K15: leave 2–3× headroom).",
                    crate::snapshot::number(i * REFERENCE_HEADROOM)
                ));
                inflow.map(|i| i * REFERENCE_HEADROOM)
            }
        };
        facts.backlog = match (inflow, cap, f.outage_min) {
            (Some(i), Some(c), Some(m)) => Backlog::new(i, c, m * 60.0),
            _ => None,
        };
        match &facts.backlog {
            Some(b) => statements = b.statements(),
            None => statements.push(match (inflow, f.outage_min) {
                (None, _) => "This scenario gives no event rate, so the backlog is drawn without numbers.".into(),
                _ => "This failure gives no duration, so the backlog is drawn without numbers: each minute down adds a minute of inflow, which drains at capacity − inflow.".into(),
            }),
        }
    } else {
        statements.push(kind_summary(f.kind).to_string());
    }
    Some(FailureView {
        index,
        id: f.id.clone(),
        kind: f.kind,
        svg: sim::svg(g, &k.bank.catalog, f.kind, &facts),
        statements,
        capacity_note,
    })
}

fn kind_summary(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::HotKey => {
            "One key carries a large share of the traffic: its partition glows hot while the others idle."
        }
        FailureKind::LateData => {
            "Events arrive after their event-time window closed and fall outside it."
        }
        FailureKind::SchemaChange => {
            "A producer changed a field: the flagged edge carries records the reader does not expect."
        }
        FailureKind::Duplicates => "The same events arrive more than once and are counted twice.",
        FailureKind::StateGrowth => "The job's state grows without bound.",
        FailureKind::CostSpike => "The bill grows with requests and files, not with data.",
        FailureKind::BadData => "Wrong or forbidden data reaches the consumers.",
        FailureKind::BrokerLoss | FailureKind::Outage => {
            "A part is down: a backlog builds, then drains."
        }
    }
}

/// The failure injected last in a live interview, on the candidate's design.
pub fn for_interview(
    k: &Knowledge,
    iv: &pipeprep_core::interview::Interview,
) -> Option<FailureView> {
    let index = *iv.injected_failures().last()?;
    let s = iv.scenario();
    let said: Vec<&str> = iv
        .transcript()
        .candidate_turns()
        .map(|(_, t)| t.text.as_str())
        .collect();
    let capacity = match stated_capacity(said) {
        Some((v, sentence)) => Capacity::Stated(v, sentence),
        None => Capacity::Unstated,
    };
    view(k, s, index, iv.design(), &capacity)
}

/// The practice page's simulation row, above the conversation and the panel, full width so the
/// drawing stays legible: empty until a failure is injected (the row is there so the end of each
/// turn can swap it in).
pub fn row_html(v: Option<&FailureView>) -> String {
    match v {
        None => "<div id=\"simulation\" class=\"sim-row\"></div>".to_string(),
        Some(v) => format!(
            "<div id=\"simulation\" class=\"sim-row\">{}</div>",
            section_html(v, "Failure simulation on your design")
        ),
    }
}

/// The section of the practice page (or a reference page) that shows a failure.
pub fn section_html(v: &FailureView, heading: &str) -> String {
    let mut b = format!(
        "<section class=\"simulation\" aria-labelledby=\"sim-h\"><h3 id=\"sim-h\">{} <span class=\"badge kind\">{}</span></h3>",
        esc(heading),
        esc(v.kind.id())
    );
    let _ = write!(
        b,
        "<figure class=\"diagram sim-figure\">{}<figcaption class=\"muted small\">Failure <code>{}</code> drawn on the design; it replays every 12 seconds.</figcaption></figure>",
        v.svg,
        esc(&v.id)
    );
    b.push_str("<ul class=\"sim-numbers\">");
    for s in &v.statements {
        let _ = write!(b, "<li>{}</li>", esc(s));
    }
    if let Some(n) = &v.capacity_note {
        let _ = write!(b, "<li class=\"muted\">{}</li>", esc(n));
    }
    b.push_str("</ul></section>");
    b
}

/// `GET /scenarios/{id}/failure/{n}`: failure `n` (1-based) of a scenario on its reference
/// design, with links to the scenario's other failures.
pub async fn reference_page(
    State(shared): State<Arc<Shared>>,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    let k = &shared.knowledge;
    let not_found = |msg: String| crate::pages::error_page(&ApiError::NotFound(msg));
    let Some(s) = k.scenario(&id) else {
        return not_found(format!("no scenario `{id}` — the problem bank lists them"));
    };
    let Some(index) = n
        .parse::<usize>()
        .ok()
        .filter(|&i| i >= 1 && i <= s.failures.len())
        .map(|i| i - 1)
    else {
        return not_found(format!(
            "scenario `{id}` has failures 1 to {} — there is no failure `{n}`",
            s.failures.len()
        ));
    };
    let mut g = arrow::parse(&s.reference.architecture).unwrap_or_default();
    g.resolve(&k.bank.catalog);
    let Some(v) = view(k, s, index, &g, &Capacity::Reference) else {
        return not_found(format!("no failure `{n}` in `{id}`"));
    };
    let f = &s.failures[index];
    let mut b = format!(
        "<section class=\"card\"><h1>{} · failure {} of {}</h1><p class=\"lead\">{}</p>",
        esc(&s.title),
        index + 1,
        s.failures.len(),
        esc(f.prompt.trim())
    );
    b.push_str(&section_html(&v, "On the reference design"));
    b.push_str("<nav class=\"sim-nav\" aria-label=\"Failures of this scenario\"><ul>");
    for (i, other) in s.failures.iter().enumerate() {
        let current = if i == index {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            b,
            "<li><a href=\"/scenarios/{}/failure/{}\"{current}>{}. {} <span class=\"muted\">({})</span></a></li>",
            esc(&s.id),
            i + 1,
            i + 1,
            esc(&other.id),
            other.kind.id()
        );
    }
    b.push_str("</ul></nav></section>");
    Html(page(&format!("{} · {}", s.title, f.id), &b)).into_response()
}

/// Links to every failure of a scenario on its reference design (for the scorecard).
pub fn reference_links(s: &Scenario) -> String {
    if s.failures.is_empty() {
        return String::new();
    }
    let mut b = String::from(
        "<section class=\"card noprint\"><h2>Failures on the reference design</h2><p class=\"muted\">The same simulation as in the interview, on the design the scenario's authors would draw.</p><ul class=\"sim-links\">",
    );
    for (i, f) in s.failures.iter().enumerate() {
        let _ = write!(
            b,
            "<li><a href=\"/scenarios/{}/failure/{}\">{} <span class=\"muted\">({})</span></a></li>",
            esc(&s.id),
            i + 1,
            esc(&f.id),
            f.kind.id()
        );
    }
    b.push_str("</ul></section>");
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capacity_is_the_rate_said_as_a_capacity() {
        let turns = [
            "We get 100K events/s at peak.",
            "The Flink job can process 300K events/s, so it catches up.\nKafka keeps 7 days.",
        ];
        let (v, sentence) = stated_capacity(turns).unwrap();
        assert_eq!(v, 300_000.0);
        assert_eq!(
            sentence,
            "The Flink job can process 300K events/s, so it catches up"
        );
        assert!(stated_capacity(["We get 100K events/s at peak."]).is_none());
        assert!(stated_capacity(["It can handle a lot."]).is_none());
        let (v, _) = stated_capacity(["Consumers handle 2.5M events/s. Fine?"]).unwrap();
        assert_eq!(v, 2_500_000.0);
        assert_eq!(
            sentences("a. b 2.5 c?d\ne"),
            vec!["a", " b 2.5 c", "d", "e"]
        );
    }

    fn knowledge() -> Knowledge {
        Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap()
    }

    #[test]
    fn the_two_hour_backlog_uses_the_scenario_rate_and_the_stated_capacity() {
        let k = knowledge();
        let s = k.scenario("clickstream-analytics").unwrap();
        let i = s
            .failures
            .iter()
            .position(|f| f.id == "two-hour-backlog")
            .unwrap();
        let mut g = arrow::parse("Web -> Kafka -> Flink -> Redis -> Dashboard").unwrap();
        g.resolve(&k.bank.catalog);
        let v = view(
            &k,
            s,
            i,
            &g,
            &Capacity::Stated(300_000.0, "we can process 300K/s".into()),
        )
        .unwrap();
        let text = v.statements.join("\n");
        // 100K events/s at peak for 2 hours: 720M, drained at 200K/s spare: 3,600 s.
        assert!(text.contains("720,000,000 events"), "{text}");
        assert!(text.contains("= 3,600 s ≈ 60 min"), "{text}");
        assert!(v.svg.contains("sim-down") && v.svg.contains("Flink"));
        let unstated = view(&k, s, i, &g, &Capacity::Unstated).unwrap();
        assert!(unstated.statements.join(" ").contains("never catches up"));
        assert!(unstated.capacity_note.unwrap().contains("have not said"));
        let reference = view(&k, s, i, &g, &Capacity::Reference).unwrap();
        assert!(
            reference.statements.join(" ").contains("= 7,200 s ≈ 2.0 h"),
            "{:?}",
            reference.statements
        );
    }

    #[test]
    fn every_failure_of_every_scenario_draws_on_its_reference_design() {
        let k = knowledge();
        for s in &k.bank.scenarios {
            let mut g = arrow::parse(&s.reference.architecture).unwrap();
            g.resolve(&k.bank.catalog);
            for i in 0..s.failures.len() {
                let v = view(&k, s, i, &g, &Capacity::Reference).unwrap();
                assert!(v.svg.contains("sim-anim"), "{}/{}", s.id, v.id);
                assert!(!v.statements.is_empty());
            }
            assert!(view(&k, s, s.failures.len(), &g, &Capacity::Reference).is_none());
        }
    }
}
