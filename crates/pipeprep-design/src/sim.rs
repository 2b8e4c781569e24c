//! The failure simulation: an injected failure drawn on a design, as SVG over the same layout
//! [`crate::render::svg`] uses, animated by CSS classes only (the page's stylesheet holds the
//! keyframes, so a strict Content-Security-Policy needs no inline style or script).
//!
//! The picture carries the numbers. For a backlog (a broker lost, a consumer down) the chart
//! under the graph is the backlog over time: it grows at the inflow while the part is down and
//! drains at capacity − inflow afterwards, so its shape is the arithmetic; the CSS only draws it
//! from left to right. The catch-up time is `backlog ÷ (capacity − inflow)`, and a pipeline whose
//! capacity is not above its inflow never catches up — the chart then keeps rising.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::graph::{DesignGraph, NodeId};
use crate::num::fmt_fixed;
use crate::render::{Band, Layout, NodeBox, layout, svg_annotated, xml_escape};

/// The shape of an injected failure, as the simulation draws it (the bank's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// A broker (or a storage node) dies: writes stall or fail until leaders move, a backlog
    /// builds, then drains.
    BrokerLoss,
    /// A consumer, connector or job is down or cannot keep up for a while: lag grows at the
    /// inflow rate, then drains at capacity minus inflow.
    Outage,
    /// One key, partition or shard carries far more than its share.
    HotKey,
    /// Events arrive after their window closed (or with clocks that lie).
    LateData,
    /// A producer changes a field's name, type or meaning.
    SchemaChange,
    /// The same event is counted more than once (retries, replays, reruns).
    Duplicates,
    /// State (checkpoints, join buffers, dedup sets) grows without bound.
    StateGrowth,
    /// The bill or the request count explodes (small files, per-request pricing, rewrites).
    CostSpike,
    /// Wrong or forbidden data reaches consumers although every job succeeded.
    BadData,
}

impl FailureKind {
    pub const ALL: [FailureKind; 9] = [
        FailureKind::BrokerLoss,
        FailureKind::Outage,
        FailureKind::HotKey,
        FailureKind::LateData,
        FailureKind::SchemaChange,
        FailureKind::Duplicates,
        FailureKind::StateGrowth,
        FailureKind::CostSpike,
        FailureKind::BadData,
    ];

    /// The id as the bank files spell it.
    pub fn id(self) -> &'static str {
        match self {
            FailureKind::BrokerLoss => "broker-loss",
            FailureKind::Outage => "outage",
            FailureKind::HotKey => "hot-key",
            FailureKind::LateData => "late-data",
            FailureKind::SchemaChange => "schema-change",
            FailureKind::Duplicates => "duplicates",
            FailureKind::StateGrowth => "state-growth",
            FailureKind::CostSpike => "cost-spike",
            FailureKind::BadData => "bad-data",
        }
    }

    /// True for the kinds whose simulation is a backlog that builds and drains.
    pub fn builds_backlog(self) -> bool {
        matches!(self, FailureKind::BrokerLoss | FailureKind::Outage)
    }
}

/// When the backlog is gone, if ever.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CatchUp {
    /// Seconds after the part is back.
    After(f64),
    /// Capacity is not above inflow: the backlog never shrinks.
    Never,
}

/// `backlog ÷ (capacity − inflow)`, in seconds; [`CatchUp::Never`] when capacity ≤ inflow.
/// `None` for inputs that are not finite or are negative.
pub fn catch_up(backlog: f64, capacity_per_sec: f64, inflow_per_sec: f64) -> Option<CatchUp> {
    let ok = |v: f64| v.is_finite() && v >= 0.0;
    if !ok(backlog) || !ok(capacity_per_sec) || !ok(inflow_per_sec) {
        return None;
    }
    if capacity_per_sec <= inflow_per_sec {
        return Some(CatchUp::Never);
    }
    Some(CatchUp::After(
        backlog / (capacity_per_sec - inflow_per_sec),
    ))
}

/// The numbers of a backlog: what piles up while a part is down and how long it takes to drain.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    pub inflow_per_sec: f64,
    pub capacity_per_sec: f64,
    /// How long the part was down.
    pub outage_sec: f64,
    /// `inflow × outage`.
    pub events: f64,
    pub catch_up: CatchUp,
}

impl Backlog {
    /// `None` for inputs that are not finite or not positive.
    pub fn new(inflow_per_sec: f64, capacity_per_sec: f64, outage_sec: f64) -> Option<Backlog> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if !pos(inflow_per_sec) || !pos(outage_sec) || !capacity_per_sec.is_finite() {
            return None;
        }
        let events = inflow_per_sec * outage_sec;
        let catch_up = catch_up(events, capacity_per_sec.max(0.0), inflow_per_sec)?;
        Some(Backlog {
            inflow_per_sec,
            capacity_per_sec: capacity_per_sec.max(0.0),
            outage_sec,
            events,
            catch_up,
        })
    }

    /// The backlog over time as (seconds, events) corners: up while down, then down to zero at
    /// the catch-up time; when it never catches up, the line goes on for as long again as the
    /// outage, still rising (or flat when capacity equals inflow).
    pub fn curve(&self) -> Vec<(f64, f64)> {
        let mut pts = vec![(0.0, 0.0), (self.outage_sec, self.events)];
        match self.catch_up {
            CatchUp::After(t) => pts.push((self.outage_sec + t, 0.0)),
            CatchUp::Never => {
                let more = (self.inflow_per_sec - self.capacity_per_sec) * self.outage_sec;
                pts.push((2.0 * self.outage_sec, self.events + more));
            }
        }
        pts
    }

    /// The share of the drawn time line during which the part is down, in tenths (1..=9): the
    /// CSS classes `f1`..`f9` time the node animations to the chart.
    pub fn down_tenths(&self) -> u32 {
        let end = self.curve().last().map_or(self.outage_sec, |p| p.0);
        let f = (self.outage_sec / end.max(f64::MIN_POSITIVE) * 10.0).round();
        (f as u32).clamp(1, 9)
    }

    /// The arithmetic in words, for the page beside the drawing.
    pub fn statements(&self) -> Vec<String> {
        let mut out = vec![format!(
            "Backlog after {}: {} events = inflow {} events/s × {} s",
            duration(self.outage_sec),
            count(self.events),
            count(self.inflow_per_sec),
            count(self.outage_sec)
        )];
        match self.catch_up {
            CatchUp::After(t) => out.push(format!(
                "Catch-up time = backlog ÷ (capacity − inflow) = {} ÷ ({} − {}) = {} s ≈ {}",
                count(self.events),
                count(self.capacity_per_sec),
                count(self.inflow_per_sec),
                count(t),
                duration(t)
            )),
            CatchUp::Never => out.push(format!(
                "Capacity {} events/s ≤ inflow {} events/s: catch-up time = backlog ÷ (capacity − inflow) has no positive answer, so the backlog never shrinks — it never catches up",
                count(self.capacity_per_sec),
                count(self.inflow_per_sec)
            )),
        }
        out
    }
}

/// `1,234,567` (no decimals below a million is what people read; above it the same).
fn count(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 10.0 {
        fmt_fixed(v, 0)
    } else {
        fmt_fixed(v, 1)
    }
}

/// `45 s`, `12 min`, `2.5 h`, `3.0 days`.
pub fn duration(sec: f64) -> String {
    if !sec.is_finite() {
        return "n/a".into();
    }
    if sec < 120.0 {
        format!("{} s", fmt_fixed(sec, 0))
    } else if sec < 2.0 * 3600.0 {
        format!("{} min", fmt_fixed(sec / 60.0, 0))
    } else if sec < 2.0 * 86_400.0 {
        format!("{} h", fmt_fixed(sec / 3600.0, 1))
    } else {
        format!("{} days", fmt_fixed(sec / 86_400.0, 1))
    }
}

/// What the simulation knows besides the graph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    /// The failure's title (its id, say), shown in the drawing.
    pub title: String,
    /// For backlog kinds: the numbers, when the scenario has a rate and the failure a duration.
    pub backlog: Option<Backlog>,
    /// Partitions (or shards) of the log, for a hot key; `None` when not sized.
    pub partitions: Option<u32>,
    /// The peak rate, for a hot key's per-partition share.
    pub peak_per_sec: Option<f64>,
}

/// The parts of the design a failure lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// The log or queue (the first durable log; else the first ingestion node).
    pub log: Option<NodeId>,
    /// What reads the log (a processing successor of it; else any successor).
    pub consumer: Option<NodeId>,
    /// The first stateful processing node.
    pub processor: Option<NodeId>,
    /// The first storage node.
    pub storage: Option<NodeId>,
    /// The last serving node (else the last storage node).
    pub sink: Option<NodeId>,
}

impl Targets {
    pub fn of(g: &DesignGraph, cat: &Catalog, bands: &[Band]) -> Targets {
        let n = g.nodes().len();
        let in_band =
            |b: Band| -> Vec<NodeId> { (0..n).filter(|&i| bands.get(i) == Some(&b)).collect() };
        let log = (0..n)
            .find(|&i| cat.component_of(g.node(i)).is_some_and(|c| c.durable_log))
            .or_else(|| in_band(Band::Ingestion).first().copied());
        let consumer = log.and_then(|l| {
            g.successors(l)
                .find(|&s| bands.get(s) == Some(&Band::Processing))
                .or_else(|| g.successors(l).next())
        });
        let processor = in_band(Band::Processing).first().copied();
        let consumer = consumer.or(processor);
        let storage = in_band(Band::Storage).first().copied();
        let sink = in_band(Band::Serving)
            .last()
            .copied()
            .or_else(|| in_band(Band::Storage).last().copied())
            .or_else(|| (0..n).rfind(|&i| g.successors(i).next().is_none()));
        Targets {
            log,
            consumer,
            processor,
            storage,
            sink,
        }
    }
}

/// Height of the strip under the graph that holds the chart or the time line.
const STRIP_H: i64 = 240;
/// Width of the chart's plot area; the CSS cursor moves exactly this far (`sim-cursor`).
pub const CHART_W: i64 = 480;
const CHART_H: i64 = 110;

/// The design with the failure drawn on it: the annotated graph (its own `<svg>`, unchanged)
/// inside an outer `<svg>` with the overlays and, below, the strip that shows the failure over
/// time. Every animated element has the class `sim-anim`.
pub fn svg(g: &DesignGraph, cat: &Catalog, kind: FailureKind, facts: &Facts) -> String {
    let l = layout(g, cat);
    let t = Targets::of(g, cat, &l.band_of);
    let base = svg_annotated(g, cat, &[]);
    let width = l.width.max(CHART_W + 180);
    let height = l.height + STRIP_H;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sim sim-{}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" role=\"img\" aria-labelledby=\"sim-title\">",
        kind.id()
    );
    let _ = write!(
        s,
        "<title id=\"sim-title\">Failure simulation ({}): {}</title>",
        kind.id(),
        xml_escape(&facts.title)
    );
    let _ = write!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    s.push_str(base.trim_end());
    let strip_y = l.height;
    let _ = write!(
        s,
        "<line x1=\"0\" y1=\"{strip_y}\" x2=\"{width}\" y2=\"{strip_y}\" stroke=\"#d9dde3\"/>"
    );
    let node = |id: Option<NodeId>| id.and_then(|i| l.nodes.get(i).and_then(|b| b.as_ref()));
    match kind {
        FailureKind::BrokerLoss | FailureKind::Outage => {
            backlog_overlay(&mut s, g, &l, &t, kind, facts);
            backlog_chart(&mut s, strip_y, facts.backlog.as_ref());
        }
        FailureKind::HotKey => {
            hot_key(&mut s, node(t.log.or(t.processor)), strip_y, facts);
        }
        FailureKind::LateData => {
            if let Some(e) = edge_into(g, &l, t.processor.or(t.consumer)) {
                flow(&mut s, e, "");
            }
            if let Some(b) = node(t.processor.or(t.consumer)) {
                tag(&mut s, b, "window closes", "sim-warn");
            }
            late_timeline(&mut s, strip_y);
        }
        FailureKind::SchemaChange => {
            let target = t.consumer.or(t.processor);
            if let Some(e) = edge_into(g, &l, target) {
                let _ = write!(
                    s,
                    "<path class=\"sim-anim sim-flag\" d=\"{e}\" fill=\"none\" stroke=\"#c62828\" stroke-width=\"5\"/>"
                );
            }
            if let Some(b) = node(target) {
                tag(&mut s, b, "schema changed", "sim-bad");
            }
            strip_text(
                &mut s,
                strip_y,
                &[
                    "The producer renamed or retyped a field. The flagged edge carries records the reader's schema",
                    "does not expect: it crashes, or worse, loads nulls. A schema registry with compatibility rules",
                    "rejects the change at the producer; a contract test catches it before deploy.",
                ],
            );
        }
        FailureKind::Duplicates => {
            if let Some(e) = edge_into(g, &l, t.sink) {
                flow(&mut s, e, " dup");
            }
            if let Some(b) = node(t.sink) {
                tag(&mut s, b, "counted twice ×2", "sim-bad");
            }
            strip_text(
                &mut s,
                strip_y,
                &[
                    "Retries, replays and reruns deliver the same event again (at-least-once delivery).",
                    "Every copy that reaches the sink is counted: the orange pairs are one event each.",
                    "An idempotency key with a dedup window, or idempotent writes at the sink, keeps one.",
                ],
            );
        }
        FailureKind::StateGrowth => {
            if let Some(b) = node(t.processor.or(t.consumer)) {
                grow_bar(&mut s, b, "state", "#8e44ad");
            }
            strip_text(
                &mut s,
                strip_y,
                &[
                    "State with no bound (join buffers, dedup sets, open sessions) grows every day;",
                    "checkpoints take longer than their interval and restarts crawl.",
                    "State TTLs, bounded windows and a cap per key stop it.",
                ],
            );
        }
        FailureKind::CostSpike => {
            if let Some(b) = node(t.storage.or(t.sink)) {
                grow_bar(&mut s, b, "cost $", "#c62828");
            }
            strip_text(
                &mut s,
                strip_y,
                &[
                    "Per-request and per-file charges grow with the number of objects, not the bytes:",
                    "small files, one request per record and full rewrites multiply the bill.",
                    "Compact files, batch requests and alert on cost per day.",
                ],
            );
        }
        FailureKind::BadData => {
            if let Some(e) = edge_into(g, &l, t.sink) {
                flow(&mut s, e, " bad");
            }
            if let Some(b) = node(t.sink) {
                tag(&mut s, b, "wrong data served", "sim-bad");
            }
            strip_text(
                &mut s,
                strip_y,
                &[
                    "Every job succeeded, yet the red records reaching the consumers are wrong or must not be there.",
                    "Checks on meaning (distributions, reconciliation, lineage of sensitive fields) catch",
                    "what row counts and null checks let through.",
                ],
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// The path of the first edge into `to` (or, without one, of the first edge at all).
fn edge_into<'a>(g: &DesignGraph, l: &'a Layout, to: Option<NodeId>) -> Option<&'a str> {
    let k = to
        .and_then(|t| g.edges().iter().position(|e| e.to == t))
        .or_else(|| (!g.edges().is_empty()).then_some(0))?;
    l.edges.get(k)?.as_deref()
}

/// Dots moving along an edge (a dashed copy of its path whose dash offset the CSS animates).
fn flow(s: &mut String, d: &str, extra: &str) {
    let _ = write!(
        s,
        "<path class=\"sim-anim sim-flow{extra}\" d=\"{d}\" fill=\"none\" stroke-width=\"5\" stroke-linecap=\"round\"/>"
    );
}

/// A label above a node, pulsing.
fn tag(s: &mut String, b: &NodeBox, text: &str, class: &str) {
    let w = 12 + 7 * text.chars().count() as i64;
    let (cx, _) = b.center();
    // Astride the box's top edge: clear of the band titles above and of the boxes around.
    let y = b.y - 12;
    let _ = write!(
        s,
        "<g class=\"sim-anim sim-tag {class}\"><rect x=\"{}\" y=\"{y}\" width=\"{w}\" height=\"20\" rx=\"10\" ry=\"10\"/><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text></g>",
        cx - w / 2,
        y + 14,
        xml_escape(text)
    );
}

/// A bar at the foot of a node that grows over the cycle.
fn grow_bar(s: &mut String, b: &NodeBox, label: &str, color: &str) {
    let (x, y) = (b.x + 8, b.y + b.h + 4);
    let w = NodeBox::W - 16;
    let _ = write!(
        s,
        "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"10\" fill=\"none\" stroke=\"{color}\"/><rect class=\"sim-anim sim-grow\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"10\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" fill=\"{color}\" font-weight=\"bold\">{} ↑</text>",
        x,
        y + 24,
        xml_escape(label)
    );
}

fn strip_text(s: &mut String, strip_y: i64, lines: &[&str]) {
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"20\" y=\"{}\" fill=\"#333333\" font-size=\"13\">{}</text>",
            strip_y + 40 + 22 * i as i64,
            xml_escape(line)
        );
    }
}

/// The node-level part of a backlog: the log fills (a bar beside it), the part that is down is
/// crossed out for the outage share of the cycle, and the flow out of the log stops meanwhile.
fn backlog_overlay(
    s: &mut String,
    g: &DesignGraph,
    l: &Layout,
    t: &Targets,
    kind: FailureKind,
    facts: &Facts,
) {
    let f = facts.backlog.as_ref().map_or(5, Backlog::down_tenths);
    let never = facts
        .backlog
        .as_ref()
        .is_some_and(|b| b.catch_up == CatchUp::Never);
    let down = if kind == FailureKind::BrokerLoss {
        t.log
    } else {
        t.consumer.or(t.processor)
    };
    let node = |id: Option<NodeId>| id.and_then(|i| l.nodes.get(i).and_then(|b| b.as_ref()));
    // The flow out of the log (or into the down part) stops while it is down.
    let edge = t
        .log
        .zip(t.consumer)
        .and_then(|(a, b)| g.edges().iter().position(|e| e.from == a && e.to == b))
        .or_else(|| down.and_then(|d| g.edges().iter().position(|e| e.to == d)));
    if let Some(d) = edge.and_then(|k| l.edges.get(k)).and_then(|d| d.as_deref()) {
        let _ = write!(
            s,
            "<path class=\"sim-anim sim-flow sim-after f{f}\" d=\"{d}\" fill=\"none\" stroke-width=\"5\" stroke-linecap=\"round\"/>"
        );
    }
    if let Some(b) = node(down) {
        // A red wash and border, not a cross: the component's name stays readable.
        let _ = write!(
            s,
            "<g class=\"sim-anim sim-down f{f}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" ry=\"8\" fill=\"#c62828\" fill-opacity=\"0.22\" stroke=\"#c62828\" stroke-width=\"4\"/></g>",
            b.x - 2,
            b.y - 2,
            NodeBox::W + 4,
            b.h + 4
        );
        let what = if kind == FailureKind::BrokerLoss {
            "broker down"
        } else {
            "down"
        };
        tag(s, b, what, "sim-bad");
    }
    if let Some(b) = node(t.log.or(down)) {
        // The queue depth: a bar under the log that fills while down and empties as it drains.
        let (x, y) = (b.x, b.y + b.h + 6);
        let w = NodeBox::W;
        let flat = facts
            .backlog
            .as_ref()
            .is_some_and(|b| b.capacity_per_sec == b.inflow_per_sec);
        let class = if never && flat {
            "sim-pile never-flat".to_string()
        } else if never {
            "sim-pile never".to_string()
        } else {
            format!("sim-pile f{f}")
        };
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"14\" fill=\"#ffffff\" stroke=\"#b7672a\"/><rect class=\"sim-anim {class}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"14\" fill=\"#e08a00\"/><text x=\"{x}\" y=\"{}\" fill=\"#8a4b12\" font-weight=\"bold\">queue depth / consumer lag</text>",
            y + 28
        );
    }
}

/// The backlog over time, drawn from left to right; a cursor marks now.
fn backlog_chart(s: &mut String, strip_y: i64, b: Option<&Backlog>) {
    let (x0, y0) = (70_i64, strip_y + 40);
    let Some(b) = b else {
        strip_text(
            s,
            strip_y,
            &[
                "No backlog numbers: the scenario gives no event rate, or the failure no duration.",
                "While the part is down, everything that arrives waits; it drains at capacity − inflow.",
            ],
        );
        return;
    };
    let pts = b.curve();
    let t_end = pts.last().map_or(1.0, |p| p.0).max(f64::MIN_POSITIVE);
    let y_max = pts.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1.0);
    let px = |p: (f64, f64)| {
        (
            x0 as f64 + p.0 / t_end * CHART_W as f64,
            (y0 + CHART_H) as f64 - p.1 / y_max * CHART_H as f64,
        )
    };
    let _ = write!(
        s,
        "<text x=\"20\" y=\"{}\" font-weight=\"bold\" fill=\"#333333\" font-size=\"13\">Backlog (events) over time</text>",
        strip_y + 22
    );
    // Axes.
    let _ = write!(
        s,
        "<path d=\"M{x0},{y0} L{x0},{} L{},{}\" fill=\"none\" stroke=\"#555555\"/>",
        y0 + CHART_H,
        x0 + CHART_W,
        y0 + CHART_H
    );
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\">0</text>",
        x0 - 4,
        y0 + 4,
        short(y_max),
        x0 - 4,
        y0 + CHART_H + 4
    );
    let (ox, _) = px((b.outage_sec, 0.0));
    let _ = write!(
        s,
        "<rect x=\"{x0}\" y=\"{y0}\" width=\"{:.1}\" height=\"{CHART_H}\" fill=\"#c62828\" fill-opacity=\"0.08\"/><text x=\"{:.1}\" y=\"{}\" fill=\"#c62828\">down {}</text>",
        ox - x0 as f64,
        x0 as f64 + 4.0,
        y0 + 14,
        duration(b.outage_sec)
    );
    let d: Vec<String> = pts
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let (x, y) = px(p);
            format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" })
        })
        .collect();
    let _ = write!(
        s,
        "<path class=\"sim-anim sim-draw\" pathLength=\"100\" d=\"{}\" fill=\"none\" stroke=\"#e08a00\" stroke-width=\"3\"/>",
        d.join(" ")
    );
    let _ = write!(
        s,
        "<line class=\"sim-anim sim-cursor\" x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{}\" stroke=\"#333333\" stroke-dasharray=\"3 3\"/>",
        y0 + CHART_H
    );
    let end_label = match b.catch_up {
        CatchUp::After(t) => format!("caught up after {}", duration(t)),
        CatchUp::Never => "never catches up".to_string(),
    };
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\">{} · time →</text>",
        x0 + CHART_W,
        y0 + CHART_H + 16,
        end_label
    );
    for (i, line) in b.statements().iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"20\" y=\"{}\" fill=\"{}\" font-size=\"12\">{}</text>",
            y0 + CHART_H + 34 + 16 * i as i64,
            if i == 1 && b.catch_up == CatchUp::Never {
                "#c62828"
            } else {
                "#222222"
            },
            xml_escape(&line.replace("so the backlog never shrinks — ", ""))
        );
    }
}

/// `720M`, `3.6K`: axis labels.
fn short(v: f64) -> String {
    let (d, suffix) = if v >= 1e9 {
        (1e9, "B")
    } else if v >= 1e6 {
        (1e6, "M")
    } else if v >= 1e3 {
        (1e3, "K")
    } else {
        (1.0, "")
    };
    let x = v / d;
    if x >= 100.0 || x.fract() == 0.0 {
        format!("{x:.0}{suffix}")
    } else {
        format!("{x:.1}{suffix}")
    }
}

/// The log's partitions as lanes under it; one glows hot and carries most of the traffic.
fn hot_key(s: &mut String, b: Option<&NodeBox>, strip_y: i64, facts: &Facts) {
    let sized = facts.partitions.filter(|&p| p > 0);
    let lanes = sized.unwrap_or(6).clamp(2, 12) as i64;
    let (x0, y0) = (70_i64, strip_y + 44);
    let lane_h = (100 / lanes).clamp(7, 16);
    let _ = write!(
        s,
        "<text x=\"20\" y=\"{}\" font-weight=\"bold\" fill=\"#333333\" font-size=\"13\">Load per partition{}</text>",
        strip_y + 22,
        match sized {
            Some(p) if p as i64 > lanes => format!(" (first {lanes} of {p})"),
            Some(_) => String::new(),
            None => " (partitions not sized yet: lanes drawn for illustration)".into(),
        }
    );
    let hot = lanes / 2;
    for i in 0..lanes {
        let y = y0 + i * (lane_h + 3);
        let (w, class) = if i == hot {
            (CHART_W, " class=\"sim-anim sim-hot\"")
        } else {
            (CHART_W / 8 + (i * 7) % 23, "")
        };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\" font-size=\"10\">p{i}</text><rect{class} x=\"{x0}\" y=\"{y}\" width=\"{w}\" height=\"{lane_h}\" fill=\"{}\"/>",
            x0 - 4,
            y + lane_h - 2,
            if i == hot { "#c62828" } else { "#7aa6d8" }
        );
    }
    let note = match (facts.peak_per_sec, sized) {
        (Some(peak), Some(p)) => format!(
            "Even spread: {} events/s ÷ {p} partitions = {} per partition; one key with half the traffic puts {} on one.",
            count(peak),
            count(peak / p as f64),
            count(peak / 2.0)
        ),
        (Some(peak), None) => format!(
            "One key with half of the peak {} events/s lands on one partition and one consumer, whatever the partition count.",
            count(peak)
        ),
        _ => "One key's traffic lands on one partition and one consumer, whatever the partition count.".into(),
    };
    let _ = write!(
        s,
        "<text x=\"20\" y=\"{}\" fill=\"#222222\" font-size=\"12\">{}</text>",
        strip_y + STRIP_H - 12,
        xml_escape(&note)
    );
    if let Some(b) = b {
        tag(s, b, "hot partition", "sim-bad");
        let _ = write!(
            s,
            "<rect class=\"sim-anim sim-hot\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" ry=\"8\" fill=\"none\" stroke=\"#c62828\" stroke-width=\"4\"/>",
            b.x - 3,
            b.y - 3,
            NodeBox::W + 6,
            b.h + 6
        );
    }
}

/// Event time on a line: a window, its close (the watermark), on-time events falling into it
/// and late ones falling after the close, outside it.
fn late_timeline(s: &mut String, strip_y: i64) {
    let (x0, y_line) = (70_i64, strip_y + 140);
    let (w0, w1) = (x0 + 60, x0 + 300);
    let _ = write!(
        s,
        "<text x=\"20\" y=\"{}\" font-weight=\"bold\" fill=\"#333333\" font-size=\"13\">Event-time window and late events</text>",
        strip_y + 22
    );
    let _ = write!(
        s,
        "<rect x=\"{w0}\" y=\"{}\" width=\"{}\" height=\"40\" fill=\"#e8f0fe\" stroke=\"#4a6fa5\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#4a6fa5\">window</text>",
        y_line - 40,
        w1 - w0,
        (w0 + w1) / 2,
        y_line - 24
    );
    let _ = write!(
        s,
        "<line x1=\"{w1}\" y1=\"{}\" x2=\"{w1}\" y2=\"{}\" stroke=\"#c62828\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\" fill=\"#c62828\">window closed (watermark)</text>",
        y_line - 90,
        y_line + 4,
        w1 + 6,
        y_line - 78
    );
    let _ = write!(
        s,
        "<line x1=\"{x0}\" y1=\"{y_line}\" x2=\"{}\" y2=\"{y_line}\" stroke=\"#555555\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\">event time →</text>",
        x0 + CHART_W,
        x0 + CHART_W,
        y_line + 16
    );
    for (i, x) in [w0 + 30, w0 + 100, w0 + 170].into_iter().enumerate() {
        let _ = write!(
            s,
            "<circle class=\"sim-anim sim-fall d{i}\" cx=\"{x}\" cy=\"{}\" r=\"6\" fill=\"#2e7d32\"/>",
            y_line - 100
        );
    }
    for (i, x) in [w1 + 40, w1 + 110].into_iter().enumerate() {
        let _ = write!(
            s,
            "<circle class=\"sim-anim sim-fall late d{}\" cx=\"{x}\" cy=\"{}\" r=\"6\" fill=\"#c62828\"/>",
            i + 1,
            y_line - 100
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" fill=\"#c62828\">late: outside the window</text><text x=\"20\" y=\"{}\" fill=\"#222222\" font-size=\"12\">Green events land inside their window; red ones arrive after it closed and are dropped unless allowed lateness or a correction path keeps them.</text>",
        w1 + 40,
        y_line - 50,
        strip_y + STRIP_H - 12
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow;
    use crate::testkit::catalog;
    use rstest::rstest;

    #[rstest]
    #[case(720_000_000.0, 300_000.0, 100_000.0, Some(CatchUp::After(3600.0)))]
    #[case(1_000.0, 150.0, 50.0, Some(CatchUp::After(10.0)))]
    #[case(0.0, 10.0, 5.0, Some(CatchUp::After(0.0)))]
    #[case(720_000_000.0, 100_000.0, 100_000.0, Some(CatchUp::Never))]
    #[case(720_000_000.0, 80_000.0, 100_000.0, Some(CatchUp::Never))]
    #[case(f64::NAN, 1.0, 0.5, None)]
    #[case(10.0, f64::INFINITY, 0.5, None)]
    #[case(10.0, 1.0, -0.5, None)]
    fn catch_up_is_backlog_over_spare_capacity(
        #[case] backlog: f64,
        #[case] capacity: f64,
        #[case] inflow: f64,
        #[case] want: Option<CatchUp>,
    ) {
        assert_eq!(catch_up(backlog, capacity, inflow), want);
    }

    #[test]
    fn a_two_hour_outage_at_the_clickstream_peak() {
        // clickstream-analytics: 100K events/s at peak, a consumer down for 2 hours.
        let b = Backlog::new(100_000.0, 300_000.0, 7200.0).unwrap();
        assert_eq!(b.events, 720_000_000.0);
        assert_eq!(b.catch_up, CatchUp::After(3600.0));
        assert_eq!(
            b.curve(),
            vec![(0.0, 0.0), (7200.0, 720_000_000.0), (10_800.0, 0.0)]
        );
        // Down for two thirds of the drawn time line.
        assert_eq!(b.down_tenths(), 7);
        let text = b.statements().join("\n");
        assert!(
            text.contains("720,000,000 events = inflow 100,000 events/s × 7,200 s"),
            "{text}"
        );
        assert!(
            text.contains(
                "Catch-up time = backlog ÷ (capacity − inflow) = 720,000,000 ÷ (300,000 − 100,000) = 3,600 s ≈ 60 min"
            ),
            "{text}"
        );
    }

    #[test]
    fn capacity_at_or_below_inflow_never_catches_up_and_says_so() {
        for capacity in [100_000.0, 50_000.0, 0.0] {
            let b = Backlog::new(100_000.0, capacity, 600.0).unwrap();
            assert_eq!(b.catch_up, CatchUp::Never);
            let end = *b.curve().last().unwrap();
            assert_eq!(end.0, 1200.0);
            assert!(end.1 >= b.events, "the backlog does not shrink: {end:?}");
            assert!(b.statements()[1].contains("never catches up"));
        }
        assert!(Backlog::new(0.0, 1.0, 60.0).is_none());
        assert!(Backlog::new(10.0, f64::NAN, 60.0).is_none());
        assert!(Backlog::new(10.0, 20.0, -1.0).is_none());
    }

    fn design() -> DesignGraph {
        let mut g = arrow::parse(
            "Click events -> Kafka -> Flink (5s window) -> Redis -> Dashboard\nFlink -> S3",
        )
        .unwrap();
        g.resolve(&catalog());
        g
    }

    fn facts(kind: FailureKind) -> Facts {
        Facts {
            title: format!("test {}", kind.id()),
            backlog: kind
                .builds_backlog()
                .then(|| Backlog::new(100_000.0, 300_000.0, 7200.0).unwrap()),
            partitions: Some(24),
            peak_per_sec: Some(100_000.0),
        }
    }

    /// What a user sees, per kind: the animated pieces and the words that name the failure.
    #[rstest]
    #[case(FailureKind::Outage, &["sim-down f7", "sim-pile f7", "sim-draw", "sim-cursor", "3,600 s ≈ 60 min", ">down<"])]
    #[case(FailureKind::BrokerLoss, &["sim-down f7", "sim-pile f7", "broker down", "720M"])]
    #[case(FailureKind::HotKey, &["sim-hot", "hot partition", "100,000 events/s ÷ 24 partitions = 4,167 per partition"])]
    #[case(FailureKind::LateData, &["sim-fall late", "window closed (watermark)", "late: outside the window"])]
    #[case(FailureKind::SchemaChange, &["sim-flag", "schema changed"])]
    #[case(FailureKind::Duplicates, &["sim-flow dup", "counted twice"])]
    #[case(FailureKind::StateGrowth, &["sim-grow", "state ↑"])]
    #[case(FailureKind::CostSpike, &["sim-grow", "cost $ ↑"])]
    #[case(FailureKind::BadData, &["sim-flow bad", "wrong data served"])]
    fn each_kind_draws_what_a_user_would_see(#[case] kind: FailureKind, #[case] want: &[&str]) {
        let g = design();
        let s = svg(&g, &catalog(), kind, &facts(kind));
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(!s.contains("<script") && !s.contains("style="), "CSP-safe");
        assert!(s.contains("class=\"sim-anim"), "animated");
        // The candidate's own graph is inside, node for node.
        for n in g.nodes() {
            assert!(s.contains(&xml_escape(&n.name)), "{}", n.name);
        }
        for w in want {
            assert!(s.contains(w), "{kind:?}: missing {w:?}");
        }
    }

    #[test]
    fn the_outage_lands_on_the_consumer_and_the_broker_loss_on_the_log() {
        let g = design();
        let cat = catalog();
        let l = layout(&g, &cat);
        let t = Targets::of(&g, &cat, &l.band_of);
        let name = |i: Option<NodeId>| i.map(|i| g.node(i).name.clone());
        assert_eq!(name(t.log).as_deref(), Some("Kafka"));
        assert_eq!(name(t.consumer).as_deref(), Some("Flink"));
        assert_eq!(name(t.sink).as_deref(), Some("Dashboard"));
        // The crossed-out box sits on the consumer for an outage, on the log for a broker loss.
        let at = |i: Option<NodeId>| {
            let b = l.nodes[i.unwrap()].as_ref().unwrap();
            format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\"",
                b.x - 2,
                b.y - 2,
                NodeBox::W + 4
            )
        };
        let outage = svg(&g, &cat, FailureKind::Outage, &facts(FailureKind::Outage));
        let down = &outage[outage.find("sim-down").unwrap()..];
        assert!(down.contains(&at(t.consumer)), "{down}");
        let loss = svg(
            &g,
            &cat,
            FailureKind::BrokerLoss,
            &facts(FailureKind::BrokerLoss),
        );
        let down = &loss[loss.find("sim-down").unwrap()..];
        assert!(down.contains(&at(t.log)));
    }

    #[test]
    fn a_pipeline_that_never_catches_up_is_drawn_rising() {
        let g = design();
        let f = Facts {
            backlog: Backlog::new(100_000.0, 100_000.0, 600.0),
            ..facts(FailureKind::Outage)
        };
        let s = svg(&g, &catalog(), FailureKind::Outage, &f);
        assert!(
            s.contains("sim-pile never-flat"),
            "capacity = inflow: the queue stays full"
        );
        let slower = Facts {
            backlog: Backlog::new(100_000.0, 60_000.0, 600.0),
            ..facts(FailureKind::Outage)
        };
        let s2 = svg(&g, &catalog(), FailureKind::Outage, &slower);
        assert!(
            s2.contains("sim-pile never\""),
            "capacity < inflow: the queue keeps growing"
        );
        assert!(s.contains("never catches up"));
        let no_numbers = Facts {
            backlog: None,
            ..facts(FailureKind::Outage)
        };
        let s = svg(&g, &catalog(), FailureKind::Outage, &no_numbers);
        assert!(s.contains("No backlog numbers"));
    }

    #[test]
    fn any_graph_even_an_empty_one_draws_without_panicking() {
        let cat = catalog();
        let empty = DesignGraph::new();
        let mut lone = DesignGraph::new();
        lone.add_node("Mystery", None);
        for g in [&empty, &lone] {
            for kind in FailureKind::ALL {
                let s = svg(g, &cat, kind, &Facts::default());
                assert!(s.contains("<svg"), "{kind:?}");
            }
        }
    }
}
