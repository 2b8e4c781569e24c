//! The design linter: the interviewer's red flags as rules over a design graph, the scenario's
//! requirements and the component catalog.
//!
//! Every limit a rule compares against is read from the catalog (`Component::limit`) and its
//! source URL is quoted in the message; the linter's own thresholds (what counts as
//! over-engineering, the per-event duration of a function) are named constants below. A rule
//! about a practice (dedup, late data, monitoring) is satisfied either by a component in the
//! graph or by the concept being in `LintContext::mentioned`.

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Component, Delivery, Latency, Layer};
use crate::estimate::{self, LAMBDA_SECONDS};
use crate::graph::{DesignGraph, NodeId};
use crate::num::{MIB, fmt_int, fmt_num, fmt_usd};
use crate::prices::PriceTable;

/// What the linter knows about the problem, beyond the graph.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LintContext {
    pub peak_events_per_sec: Option<f64>,
    pub events_per_day: Option<f64>,
    pub event_size_bytes: Option<f64>,
    /// The tightest end-to-end SLA of any consumer.
    pub latency_sla_sec: Option<f64>,
    pub late_data: bool,
    pub at_least_once: bool,
    pub evolving_schema: bool,
    pub budget_usd_month: Option<f64>,
    /// Concept ids the candidate already talked about (`watermark`, `dead-letter-queue`, …).
    pub mentioned: Vec<String>,
    /// How long raw data is kept, for the storage part of `over-budget`.
    pub retention_days: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem the linter found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Kebab-case rule id, one of [`RULES`].
    pub rule: &'static str,
    pub severity: Severity,
    /// What is wrong, with the numbers.
    pub message: String,
    /// A concrete change.
    pub suggestion: String,
    /// The nodes involved, if any.
    pub nodes: Vec<NodeId>,
}

/// Every rule id, in the order rules run.
pub const RULES: &[&str] = &[
    "sla-through-batch",
    "throughput-limit",
    "under-engineering",
    "single-tool",
    "over-engineering",
    "over-budget",
    "no-replay-source",
    "no-dedup",
    "no-late-data-strategy",
    "no-schema-contract",
    "no-monitoring",
    "no-dead-letter",
];

/// Seconds-level SLAs: at or below this, a path through batch steps cannot meet it.
const SECONDS_LEVEL_SLA: f64 = 60.0;
/// Above this rate, per-event functions without a buffer in front are under-engineering.
const UNDER_ENGINEERING_EVENTS_PER_SEC: f64 = 10_000.0;
/// At or below this rate, three or more big-data systems are over-engineering.
const OVER_ENGINEERING_EVENTS_PER_SEC: f64 = 1_000.0;
const OVER_ENGINEERING_MIN_HEAVY: usize = 3;
/// Systems built for far more than a thousand events a second.
const HEAVY: &[&str] = &[
    "kafka",
    "pulsar",
    "flink",
    "spark-structured-streaming",
    "kafka-streams",
    "cassandra",
    "druid",
    "pinot",
    "clickhouse",
    "bigtable",
    "hdfs",
    "emr",
];
/// Queues that absorb bursts and let consumers take batches, though they keep no replayable log.
const QUEUES: &[&str] = &["sqs", "rabbitmq", "firehose"];
/// Components that pass each request on as it comes.
const PER_REQUEST: &[&str] = &["api-gateway"];
/// Words in node names and labels that show a practice is designed in, e.g.
/// `Flink (watermark 1h)` or `SQS (failed records)`. Matched on word boundaries; a trailing `*`
/// matches any ending (`idempot*` finds `idempotent`, while `late` does not match `latest`).
const DEDUP_WORDS: &[&str] = &[
    "dedup*",
    "idempot*",
    "upsert*",
    "merge",
    "exactly-once",
    "exactly once",
    "bloom",
    "on conflict",
];
const LATE_WORDS: &[&str] = &[
    "watermark*",
    "late",
    "late-arriving",
    "lateness",
    "side output",
    "event time",
    "event-time",
    "recompute*",
    "reconcil*",
    "recount*",
    "re-aggregat*",
];
const SCHEMA_WORDS: &[&str] = &["schema*", "contract*", "avro", "protobuf"];
const DEAD_LETTER_WORDS: &[&str] = &[
    "dead letter",
    "dead-letter",
    "dlq",
    "quarantine*",
    "failed records",
    "rejected",
];
const MONITORING_WORDS: &[&str] = &[
    "alert*",
    "monitor*",
    "lag",
    "consumer lag",
    "freshness",
    "observability",
    "pager",
];
/// Object stores and table formats that can hold an immutable raw zone to replay from.
const RAW_ZONES: &[&str] = &["s3", "hdfs", "iceberg", "delta-lake", "hudi"];
const MONITORING_COMPONENTS: &[&str] = &["prometheus", "great-expectations", "datahub"];
/// Columnar compression assumed for stored raw data in `over-budget`. JSON to Parquet is 5–10×;
/// the optimistic end keeps the estimate a lower bound, so an error is never a guess.
const ASSUMED_COMPRESSION: f64 = 10.0;
/// Words in a node's name or label that mark a scheduled step.
/// (`batch` alone is not one: `Lambda (batch enrich)` consumes batches continuously.)
const BATCH_WORDS: &[&str] = &["hourly", "daily", "nightly", "weekly", "monthly", "cron"];

struct View<'a> {
    g: &'a DesignGraph,
    comps: Vec<Option<&'a Component>>,
}

impl<'a> View<'a> {
    fn new(g: &'a DesignGraph, cat: &'a Catalog) -> Self {
        let comps = g.nodes().iter().map(|n| cat.component_of(n)).collect();
        View { g, comps }
    }

    fn n(&self) -> usize {
        self.g.nodes().len()
    }

    fn name(&self, i: NodeId) -> String {
        format!("`{}`", self.g.node(i).display())
    }

    /// "`A` needs" or "`A` and `B` each need".
    fn subject_needs(&self, ids: &[NodeId]) -> String {
        match ids {
            [one] => format!("{} needs", self.name(*one)),
            [init @ .., last] => format!("{} and {} each need", self.names(init), self.name(*last)),
            [] => "it needs".to_string(),
        }
    }

    fn names(&self, ids: &[NodeId]) -> String {
        ids.iter()
            .map(|&i| self.name(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn is_source(&self, i: NodeId) -> bool {
        self.g.predecessors(i).next().is_none()
    }

    fn is_sink(&self, i: NodeId) -> bool {
        self.g.successors(i).next().is_none()
    }

    fn cross_cutting(&self, i: NodeId) -> bool {
        self.comps[i].is_some_and(|c| matches!(c.layer, Layer::Orchestration | Layer::Quality))
    }

    fn is_function(&self, i: NodeId) -> bool {
        self.comps[i].is_some_and(|c| c.limit("concurrent_executions").is_some())
    }

    /// A node that writes once per request or event: a function, or an HTTP gateway.
    fn writes_per_request(&self, i: NodeId) -> bool {
        self.is_function(i) || self.comps[i].is_some_and(|c| PER_REQUEST.contains(&c.id.as_str()))
    }

    /// Does any node's name or label say it does this (`Flink (watermark 1h)`)?
    fn labelled(&self, words: &[&str]) -> bool {
        self.g.nodes().iter().any(|n| {
            let text = n.display().to_lowercase();
            words.iter().any(|w| has_word(&text, w))
        })
    }

    fn is_buffer(&self, i: NodeId) -> bool {
        self.comps[i].is_some_and(|c| c.durable_log || QUEUES.contains(&c.id.as_str()))
    }

    /// A step that cannot deliver within seconds: a batch component, a minutes/hours latency
    /// class, or a node the candidate labelled as scheduled (`Spark (hourly)`).
    fn slow_reason(&self, i: NodeId) -> Option<String> {
        if let Some(c) = self.comps[i] {
            if c.batch {
                return Some("batch".to_string());
            }
            if c.latency >= Latency::Minutes {
                return Some(format!("{} latency", c.latency.as_str()));
            }
        }
        let n = self.g.node(i);
        let text = format!("{} {}", n.name, n.label.as_deref().unwrap_or("")).to_lowercase();
        text.split(|c: char| !c.is_alphanumeric())
            .find(|w| BATCH_WORDS.contains(w))
            .map(|w| format!("labelled {w}"))
    }

    /// Function nodes with no buffer or log anywhere upstream: invoked once per event.
    fn unbuffered_functions(&self) -> Vec<NodeId> {
        // One walk downstream from every buffer marks the nodes with a buffer upstream, instead
        // of a walk upstream from every function (quadratic on a long chain of functions).
        let mut buffered = vec![false; self.n()];
        let mut stack: Vec<NodeId> = (0..self.n())
            .filter(|&i| self.is_buffer(i))
            .flat_map(|i| self.g.successors(i))
            .collect();
        while let Some(x) = stack.pop() {
            if !buffered[x] {
                buffered[x] = true;
                stack.extend(self.g.successors(x));
            }
        }
        (0..self.n())
            .filter(|&i| self.is_function(i) && !buffered[i])
            .collect()
    }

    /// Distinct components in first-seen order, with their nodes.
    fn present(&self) -> Vec<(&'a Component, Vec<NodeId>)> {
        let mut out: Vec<(&'a Component, Vec<NodeId>)> = Vec::new();
        for (i, c) in self.comps.iter().enumerate() {
            let Some(c) = *c else { continue };
            match out.iter_mut().find(|(k, _)| k.id == c.id) {
                Some((_, ids)) => ids.push(i),
                None => out.push((c, vec![i])),
            }
        }
        out
    }
}

/// `pattern` in `text` on word boundaries; a trailing `*` allows any ending.
fn has_word(text: &str, pattern: &str) -> bool {
    let (pat, prefix) = match pattern.strip_suffix('*') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let boundary = |c: Option<char>| !c.is_some_and(char::is_alphanumeric);
    text.match_indices(pat).any(|(i, m)| {
        boundary(text[..i].chars().next_back())
            && (prefix || boundary(text[i + m.len()..].chars().next()))
    })
}

fn mentioned(ctx: &LintContext, ids: &[&str]) -> bool {
    ctx.mentioned
        .iter()
        .any(|m| ids.iter().any(|id| m.trim().eq_ignore_ascii_case(id)))
}

/// The event rate to size against: the peak, or the daily average when no peak is known.
fn rate(ctx: &LintContext) -> Option<(f64, &'static str)> {
    ctx.peak_events_per_sec
        .filter(|r| r.is_finite() && *r > 0.0)
        .map(|r| (r, "peak"))
        .or_else(|| {
            ctx.events_per_day
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| (d / 86_400.0, "average; no peak given"))
        })
}

/// Runs every rule. Findings come errors first, then warnings, then infos; within a severity in
/// rule order, so the same input always gives the same list.
pub fn lint(
    g: &DesignGraph,
    cat: &Catalog,
    prices: &PriceTable,
    ctx: &LintContext,
) -> Vec<Finding> {
    if g.is_empty() {
        return Vec::new();
    }
    let v = View::new(g, cat);
    let mut out = Vec::new();
    sla_through_batch(&v, ctx, &mut out);
    throughput_limit(&v, ctx, &mut out);
    under_engineering(&v, ctx, &mut out);
    single_tool(&v, &mut out);
    over_engineering(&v, ctx, &mut out);
    over_budget(&v, ctx, prices, &mut out);
    practices(&v, ctx, &mut out);
    out.sort_by_key(|f| f.severity);
    out
}

fn push(
    out: &mut Vec<Finding>,
    rule: &'static str,
    severity: Severity,
    message: String,
    suggestion: String,
    nodes: Vec<NodeId>,
) {
    out.push(Finding {
        rule,
        severity,
        message,
        suggestion,
        nodes,
    });
}

fn sla_through_batch(v: &View, ctx: &LintContext, out: &mut Vec<Finding>) {
    let Some(sla) = ctx.latency_sla_sec.filter(|s| *s <= SECONDS_LEVEL_SLA) else {
        return;
    };
    let n = v.n();
    let sources: Vec<NodeId> = (0..n)
        .filter(|&i| v.is_source(i) && !v.cross_cutting(i))
        .collect();
    let sinks: Vec<bool> = (0..n).map(|i| v.is_sink(i)).collect();
    if sources.is_empty() || !sinks.contains(&true) {
        return;
    }
    let slow: Vec<Option<String>> = (0..n).map(|i| v.slow_reason(i)).collect();
    // Is some sink reachable from a source through fast nodes only?
    let mut seen = vec![false; n];
    let mut stack: Vec<NodeId> = sources
        .iter()
        .copied()
        .filter(|&s| slow[s].is_none())
        .collect();
    while let Some(x) = stack.pop() {
        if seen[x] {
            continue;
        }
        seen[x] = true;
        if sinks[x] {
            return;
        }
        stack.extend(v.g.successors(x).filter(|&y| slow[y].is_none()));
    }
    let culprits: Vec<NodeId> = (0..n)
        .filter(|&i| slow[i].is_some() && !v.cross_cutting(i))
        .collect();
    let why: Vec<String> = culprits
        .iter()
        .map(|&i| format!("{} ({})", v.name(i), slow[i].as_deref().unwrap_or("slow")))
        .collect();
    push(
        out,
        "sla-through-batch",
        Severity::Error,
        format!(
            "the tightest latency SLA is {} s, but every path from a source to a sink goes through a batch or minutes-latency step: {}",
            fmt_num(sla),
            why.join(", ")
        ),
        "add a streaming path for the seconds-level consumer, e.g. `Kafka -> Flink -> Redis`, and keep the batch path for reports and backfills".to_string(),
        culprits,
    );
}

fn throughput_limit(v: &View, ctx: &LintContext, out: &mut Vec<Finding>) {
    let Some((r, kind)) = rate(ctx) else { return };
    let mib = ctx.event_size_bytes.map(|b| r * b / MIB);
    let unbuffered = v.unbuffered_functions();
    for (c, ids) in v.present() {
        if let Some(l) = c.limit("concurrent_executions") {
            let ids: Vec<NodeId> = ids
                .iter()
                .copied()
                .filter(|i| unbuffered.contains(i))
                .collect();
            let needed = r * LAMBDA_SECONDS;
            if !ids.is_empty() && needed > l.value {
                push(
                    out,
                    "throughput-limit",
                    Severity::Error,
                    format!(
                        "at {} events/s ({kind}), invoking {} once per event needs about {} × {} s = {} concurrent executions, above the limit of {} (source: {})",
                        fmt_int(r),
                        v.names(&ids),
                        fmt_int(r),
                        fmt_num(LAMBDA_SECONDS),
                        fmt_int(needed),
                        fmt_int(l.value),
                        l.source
                    ),
                    format!(
                        "put Kinesis or Kafka in front and let {} consume batches of up to 10,000 records, or move the per-event work to a stream processor such as Flink; if per-event calls must stay, request a concurrency quota above {} and measure the real duration",
                        v.names(&ids),
                        fmt_int(needed)
                    ),
                    ids,
                );
            }
        }
        if let Some(s) = estimate::kinesis_shards(c, r, mib)
            && s.shards > 1.0
        {
            let per_shard = c
                .limit("records_per_sec_per_shard")
                .map(|l| format!(" takes more than {} records/s", fmt_int(l.value)))
                .unwrap_or_else(|| " is hot".to_string());
            push(
                out,
                "throughput-limit",
                Severity::Warning,
                format!(
                    "at {} events/s ({kind}), {} at least {} shards: {} (source: {})",
                    fmt_int(r),
                    v.subject_needs(&ids),
                    fmt_int(s.shards),
                    s.formula,
                    s.source
                ),
                format!(
                    "provision {} shards plus headroom (or on-demand mode) and use a partition key with many distinct values, so no single shard{per_shard}",
                    fmt_int(s.shards)
                ),
                ids.clone(),
            );
        }
        if let Some(l) = c.limit("writes_per_sec_per_partition")
            && r > l.value
        {
            push(
                    out,
                    "throughput-limit",
                    Severity::Warning,
                    format!(
                        "at up to {} writes/s ({kind}), any partition key that takes a large share of the traffic throttles: {} caps one partition at {} writes/s ({} WCU per partition, source: {})",
                        fmt_int(r),
                        v.names(&ids),
                        fmt_int(l.value),
                        fmt_int(l.value),
                        l.source
                    ),
                    "spread writes over a high-cardinality partition key (add a suffix to hot keys), or aggregate in the stream processor and write fewer, larger updates".to_string(),
                    ids.clone(),
                );
        }
        if let Some(l) = c.limit("puts_per_sec_per_prefix") {
            // Only an object per event is a problem; a log or a processor writes batched files.
            let per_event: Vec<NodeId> = ids
                .iter()
                .copied()
                .filter(|&i| v.g.predecessors(i).any(|p| v.writes_per_request(p)))
                .collect();
            if !per_event.is_empty() && r > l.value {
                push(
                    out,
                    "throughput-limit",
                    Severity::Warning,
                    format!(
                        "writing one object per event at {} events/s ({kind}) is above the {} PUT/s per prefix of {} (source: {})",
                        fmt_int(r),
                        fmt_int(l.value),
                        v.names(&per_event),
                        l.source
                    ),
                    "batch events into files of 100–250 MB (Firehose, a Kafka Connect S3 sink or the stream processor's file sink) and spread keys across prefixes".to_string(),
                    per_event,
                );
            }
        }
        if let Some(l) = c.limit("ops_per_sec_per_node")
            && r > l.value
        {
            let nodes = (r / l.value).ceil();
            // A log is a cluster of brokers by design, and a store behind a stream processor
            // gets aggregated or batched writes: there the count is planning information. A
            // store written once per event is where a single node melts.
            let per_event = ids.iter().any(|&i| {
                v.g.predecessors(i)
                    .any(|p| v.writes_per_request(p) || v.is_source(p) || v.is_buffer(p))
            });
            let (severity, suggestion) = if c.durable_log {
                (
                    Severity::Info,
                    format!(
                        "plan at least {} brokers and spread the topic's partitions across them; production clusters run several brokers for replication anyway",
                        fmt_int(nodes)
                    ),
                )
            } else if !per_event {
                (
                    Severity::Info,
                    format!(
                        "plan at least {} nodes, or keep the writes aggregated upstream (one update per key per window) so fewer are needed",
                        fmt_int(nodes)
                    ),
                )
            } else {
                (
                    Severity::Warning,
                    format!(
                        "shard it across at least {} nodes by key (e.g. Redis Cluster, or more database nodes), pipeline commands, or pre-aggregate upstream so it takes one update per key per window instead of one per event",
                        fmt_int(nodes)
                    ),
                )
            };
            push(
                out,
                "throughput-limit",
                severity,
                format!(
                    "at {} events/s ({kind}), {} at least {} nodes at about {} ops/s per node (source: {})",
                    fmt_int(r),
                    v.subject_needs(&ids),
                    fmt_int(nodes),
                    fmt_int(l.value),
                    l.source
                ),
                suggestion,
                ids.clone(),
            );
        }
    }
}

fn under_engineering(v: &View, ctx: &LintContext, out: &mut Vec<Finding>) {
    let Some((r, kind)) = rate(ctx) else { return };
    if r <= UNDER_ENGINEERING_EVENTS_PER_SEC {
        return;
    }
    let fns = v.unbuffered_functions();
    if fns.is_empty() {
        return;
    }
    let other_processing = (0..v.n())
        .any(|i| !v.is_function(i) && v.comps[i].is_some_and(|c| c.layer == Layer::Processing));
    if other_processing {
        return;
    }
    push(
        out,
        "under-engineering",
        Severity::Error,
        format!(
            "one tool doing every job: at {} events/s ({kind}) every event goes straight into {} with no buffer or log between ingestion and processing, so bursts have nowhere to wait and nothing can be replayed",
            fmt_int(r),
            v.names(&fns)
        ),
        "put a durable log (Kafka or Kinesis) between ingestion and processing, and do the per-event work in a stream processor (Flink, Spark Structured Streaming) or in functions that consume batches from the log".to_string(),
        fns,
    );
}

fn single_tool(v: &View, out: &mut Vec<Finding>) {
    let n = v.n();
    let data_nodes: Vec<NodeId> = (0..n).filter(|&i| !v.cross_cutting(i)).collect();
    let middle: Vec<NodeId> = data_nodes
        .iter()
        .copied()
        .filter(|&i| !v.is_source(i) && !v.is_sink(i))
        .collect();
    let mut distinct: Vec<&str> = Vec::new();
    for &i in &data_nodes {
        if let Some(c) = v.comps[i]
            && !distinct.contains(&c.id.as_str())
        {
            distinct.push(&c.id);
        }
    }
    let all_middle_resolved = middle.iter().all(|&i| v.comps[i].is_some());
    let middle_one_tool = middle.len() >= 2 && all_middle_resolved && {
        let first = v.comps[middle[0]].map(|c| &c.id);
        middle.iter().all(|&i| v.comps[i].map(|c| &c.id) == first)
    };
    let one_tool_overall = data_nodes.len() >= 3 && distinct.len() == 1 && all_middle_resolved;
    if !(middle_one_tool || one_tool_overall) {
        return;
    }
    let tool_nodes: Vec<NodeId> = if middle_one_tool {
        middle.clone()
    } else {
        data_nodes
            .iter()
            .copied()
            .filter(|&i| v.comps[i].is_some())
            .collect()
    };
    let tool = v.comps[tool_nodes[0]].map_or("one tool", |c| c.name.as_str());
    push(
        out,
        "single-tool",
        Severity::Error,
        format!(
            "one tool doing every job: {tool} is ingestion, processing and storage here ({})",
            v.names(&tool_nodes)
        ),
        "split the layers: a log such as Kafka or Kinesis for ingestion and replay, a processor for transformation, and a store chosen for how the data is read".to_string(),
        tool_nodes,
    );
}

fn over_engineering(v: &View, ctx: &LintContext, out: &mut Vec<Finding>) {
    let Some((r, kind)) = rate(ctx) else { return };
    if r > OVER_ENGINEERING_EVENTS_PER_SEC {
        return;
    }
    let heavy: Vec<(&Component, Vec<NodeId>)> = v
        .present()
        .into_iter()
        .filter(|(c, _)| HEAVY.contains(&c.id.as_str()))
        .collect();
    if heavy.len() < OVER_ENGINEERING_MIN_HEAVY {
        return;
    }
    let names: Vec<&str> = heavy.iter().map(|(c, _)| c.name.as_str()).collect();
    push(
        out,
        "over-engineering",
        Severity::Warning,
        format!(
            "capacity far beyond the stated need: {} events/s ({kind}) fits on one small machine, yet the design runs {} distributed systems ({}), each with its own cluster to operate",
            fmt_num(r),
            heavy.len(),
            names.join(", ")
        ),
        "start with the simplest design that meets the SLA, e.g. a managed queue (SQS or Pub/Sub) into Postgres or a warehouse with scheduled SQL, and say which growth signal would make you add a log or a stream processor".to_string(),
        heavy.into_iter().flat_map(|(_, ids)| ids).collect(),
    );
}

fn over_budget(v: &View, ctx: &LintContext, prices: &PriceTable, out: &mut Vec<Finding>) {
    let Some(budget) = ctx.budget_usd_month else {
        return;
    };
    let mut items: Vec<(String, estimate::Cost, Vec<NodeId>)> = Vec::new();
    if let Some(per_day) = ctx.events_per_day {
        let fns = v.unbuffered_functions();
        if !fns.is_empty() {
            if let Ok(c) = estimate::lambda_requests_month(per_day, prices) {
                items.push(("function invocations".into(), c, fns.clone()));
            }
            if let Ok(c) = estimate::lambda_compute_month(per_day, prices) {
                items.push(("function compute".into(), c, fns.clone()));
            }
        }
        let ddb: Vec<NodeId> = (0..v.n())
            .filter(|&i| v.comps[i].is_some_and(|c| c.id == "dynamodb"))
            .collect();
        if !ddb.is_empty()
            && let Ok(c) = estimate::dynamodb_writes_month(per_day, ctx.event_size_bytes, prices)
        {
            items.push(("DynamoDB on-demand writes".into(), c, ddb));
        }
        let raw: Vec<NodeId> = (0..v.n())
            .filter(|&i| v.comps[i].is_some_and(|c| RAW_ZONES.contains(&c.id.as_str())))
            .collect();
        if let (false, Some(size), Some(days)) =
            (raw.is_empty(), ctx.event_size_bytes, ctx.retention_days)
        {
            let bytes = per_day * size * days / ASSUMED_COMPRESSION;
            if let Ok(mut c) = estimate::s3_storage_month(bytes, prices) {
                c.formula = format!(
                    "{} events/day × {} B × {} days ÷ {} (columnar compression, the optimistic end of 5–10×) = {}",
                    fmt_int(per_day),
                    fmt_num(size),
                    fmt_num(days),
                    fmt_num(ASSUMED_COMPRESSION),
                    c.formula
                );
                items.push(("raw-zone storage at the end of retention".into(), c, raw));
            }
        }
    }
    if let Some((r, _)) = rate(ctx) {
        let mib = ctx.event_size_bytes.map(|b| r * b / MIB);
        for (c, ids) in v.present() {
            if let Some(s) = estimate::kinesis_shards(c, r, mib)
                && let Ok(cost) = estimate::kinesis_month(s.shards, prices)
            {
                items.push((format!("{} shards", v.names(&ids)), cost, ids));
            }
        }
    }
    let total: f64 = items.iter().map(|(_, c, _)| c.usd_month).sum();
    if items.is_empty() || total <= budget {
        return;
    }
    let lines: Vec<String> = items
        .iter()
        .map(|(what, c, _)| format!("{what}: {}", c.formula))
        .collect();
    let (biggest, _, _) = items
        .iter()
        .max_by(|a, b| a.1.usd_month.total_cmp(&b.1.usd_month))
        .map(|(w, c, n)| (w.clone(), c.usd_month, n.clone()))
        .unwrap_or_default();
    let suggestion = if biggest.starts_with("function") {
        "stop paying per event: feed the functions from Kinesis or Kafka in batches, or move the steady per-event work to a stream processor that costs the same at any event count".to_string()
    } else if biggest.starts_with("DynamoDB") {
        "aggregate in the stream processor and write one item per key per window, or switch steady traffic to provisioned capacity".to_string()
    } else if biggest.starts_with("raw-zone") {
        "move older data to cheaper classes with lifecycle rules (Standard-IA, Glacier) and keep only compressed columnar files".to_string()
    } else {
        "size shards for the peak with on-demand mode, or batch records (aggregate small events) to need fewer shards".to_string()
    };
    let mut nodes: Vec<NodeId> = items
        .iter()
        .flat_map(|(_, _, n)| n.iter().copied())
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    push(
        out,
        "over-budget",
        Severity::Error,
        format!(
            "estimated {}/month is over the {}/month budget: {}",
            fmt_usd(total),
            fmt_usd(budget),
            lines.join("; ")
        ),
        suggestion,
        nodes,
    );
}

fn practices(v: &View, ctx: &LintContext, out: &mut Vec<Finding>) {
    let present = v.present();
    let has_replay = present
        .iter()
        .any(|(c, _)| c.durable_log || RAW_ZONES.contains(&c.id.as_str()));
    if !has_replay {
        push(
            out,
            "no-replay-source",
            Severity::Warning,
            "nothing in the design can be replayed: there is no durable log (Kafka, Kinesis, Pub/Sub) and no raw zone in object storage, so a bug or an outage downstream loses data for good".to_string(),
            "keep an immutable copy of the raw events, e.g. `Kafka -> S3 (raw)`, so you can reprocess after a bug or backfill a new consumer".to_string(),
            Vec::new(),
        );
    }

    if ctx.at_least_once {
        let by_component = present
            .iter()
            .any(|(c, _)| c.delivery == Some(Delivery::ExactlyOnce));
        let said = mentioned(
            ctx,
            &[
                "deduplication",
                "idempotent-writes",
                "idempotency-key",
                "exactly-once",
            ],
        ) || v.labelled(DEDUP_WORDS);
        if !by_component && !said {
            push(
                out,
                "no-dedup",
                Severity::Warning,
                "the sources deliver at least once, so duplicates will arrive, and nothing in the design removes them".to_string(),
                "deduplicate on an event id within a window (keyed state in the stream processor, or a Bloom filter for long windows) and make the final writes idempotent, e.g. `INSERT ... ON CONFLICT DO NOTHING`".to_string(),
                Vec::new(),
            );
        }
    }

    if ctx.late_data
        && !mentioned(
            ctx,
            &[
                "watermark",
                "allowed-lateness",
                "side-output-late-data",
                "event-time",
                "batch-reconciliation",
            ],
        )
        && !v.labelled(LATE_WORDS)
    {
        push(
            out,
            "no-late-data-strategy",
            Severity::Warning,
            "events can arrive late, and the design does not say how late events are handled: windows will close without them and the numbers will be silently wrong".to_string(),
            "window on event time with a watermark (e.g. event time minus 1 hour), send later events to a side output, and reconcile with a periodic batch recompute".to_string(),
            Vec::new(),
        );
    }

    if ctx.evolving_schema {
        let registry: Vec<NodeId> = (0..v.n())
            .filter(|&i| v.comps[i].is_some_and(|c| c.id.contains("schema-registry")))
            .collect();
        let said = mentioned(
            ctx,
            &[
                "schema-registry",
                "data-contract",
                "schema-evolution",
                "schema-validation",
            ],
        ) || v.labelled(SCHEMA_WORDS);
        if registry.is_empty() && !said {
            push(
                out,
                "no-schema-contract",
                Severity::Warning,
                "producers change their schemas, and nothing checks a change before it reaches the consumers: the next new or renamed field breaks a job in production".to_string(),
                "register schemas (Avro or Protobuf) in a schema registry with a BACKWARD compatibility rule, so breaking changes are rejected at the producer".to_string(),
                Vec::new(),
            );
        }
    }

    let monitored = present.iter().any(|(c, _)| {
        MONITORING_COMPONENTS.contains(&c.id.as_str())
            || c.layer == Layer::Quality && c.id != "schema-registry"
    }) || mentioned(
        ctx,
        &[
            "observability",
            "alerting",
            "consumer-lag-monitoring",
            "freshness-monitoring",
            "data-quality-framework",
            "data-observability",
        ],
    ) || v.labelled(MONITORING_WORDS);
    if !monitored {
        push(
            out,
            "no-monitoring",
            Severity::Warning,
            "nothing watches the pipeline: no monitoring or data-quality component and no mention of alerting, lag or freshness checks, so a stalled consumer is found by the people reading the dashboard".to_string(),
            "alert on consumer lag and data freshness per table (Prometheus or CloudWatch), and add data-quality checks (row counts, nulls, schema) at each layer boundary".to_string(),
            Vec::new(),
        );
    }

    if !mentioned(ctx, &["dead-letter-queue", "quarantine-bad-records"])
        && !v.labelled(DEAD_LETTER_WORDS)
    {
        push(
            out,
            "no-dead-letter",
            Severity::Info,
            "the design does not say where malformed or unprocessable records go: one bad record can stop a consumer or be dropped silently".to_string(),
            "route records that fail parsing or validation to a dead-letter topic or quarantine table with the error, alert on its rate, and replay them after a fix".to_string(),
            Vec::new(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow;
    use crate::testkit::{catalog, prices};

    const CLICKSTREAM: &str = "Click Events -> Kafka -> Flink (5s window) -> Redis (Dashboard)\nKafka -> S3 (Raw Data) -> Spark Hourly -> Snowflake (Reports)\n";

    fn run(design: &str, ctx: &LintContext) -> Vec<Finding> {
        let g = arrow::parse(design).unwrap();
        lint(&g, &catalog(), &prices(), ctx)
    }

    fn rules(f: &[Finding], sev: Severity) -> Vec<&'static str> {
        f.iter()
            .filter(|x| x.severity == sev)
            .map(|x| x.rule)
            .collect()
    }

    fn clickstream_ctx() -> LintContext {
        LintContext {
            peak_events_per_sec: Some(100_000.0),
            event_size_bytes: Some(1000.0),
            latency_sla_sec: Some(5.0),
            ..LintContext::default()
        }
    }

    #[test]
    fn reference_clickstream_design_has_no_error() {
        let f = run(CLICKSTREAM, &clickstream_ctx());
        assert_eq!(rules(&f, Severity::Error), Vec::<&str>::new(), "{f:#?}");
        // The hourly path alone would not meet a 5 s SLA, but the Flink path does.
        assert!(!f.iter().any(|x| x.rule == "sla-through-batch"));
        // It still gets reminders about what it leaves out.
        assert!(f.iter().any(|x| x.rule == "no-monitoring"));
    }

    #[test]
    fn lambda_at_100k_per_second_is_flagged_twice() {
        let f = run("API Gateway -> Lambda -> DynamoDB", &clickstream_ctx());
        let errors = rules(&f, Severity::Error);
        assert!(errors.contains(&"throughput-limit"), "{f:#?}");
        assert!(errors.contains(&"under-engineering"), "{f:#?}");
        let t = f
            .iter()
            .find(|x| x.rule == "throughput-limit" && x.severity == Severity::Error)
            .unwrap();
        assert!(
            t.message
                .contains("100,000 × 0.05 s = 5,000 concurrent executions"),
            "{}",
            t.message
        );
        assert!(
            t.message.contains("above the limit of 1,000"),
            "{}",
            t.message
        );
        assert!(
            t.message.contains("https://docs.aws.amazon.com/lambda/"),
            "{}",
            t.message
        );
        assert!(t.suggestion.contains("batches of up to 10,000 records"));
        assert_eq!(t.nodes, [1]);
        // The DynamoDB hot-partition warning cites the catalog limit.
        let d = f
            .iter()
            .find(|x| x.rule == "throughput-limit" && x.severity == Severity::Warning)
            .unwrap();
        assert!(
            d.message.contains("1,000 WCU per partition"),
            "{}",
            d.message
        );
    }

    #[test]
    fn lambda_behind_a_log_is_fine() {
        let f = run("Apps -> Kinesis -> Lambda -> DynamoDB", &clickstream_ctx());
        assert!(
            !rules(&f, Severity::Error).contains(&"under-engineering"),
            "{f:#?}"
        );
        assert!(
            !f.iter()
                .any(|x| x.message.contains("concurrent executions"))
        );
        let k = f.iter().find(|x| x.message.contains("shards")).unwrap();
        assert!(k.message.contains("at least 100 shards"), "{}", k.message);
    }

    #[test]
    fn batch_only_design_misses_a_seconds_sla() {
        let f = run(
            "Events -> S3 (raw) -> Spark (hourly) -> Redis (dashboard)",
            &clickstream_ctx(),
        );
        let s = f
            .iter()
            .find(|x| x.rule == "sla-through-batch")
            .expect("flagged");
        assert_eq!(s.severity, Severity::Error);
        assert!(s.message.contains("5 s"), "{}", s.message);
        assert!(s.message.contains("`Spark (hourly)`"), "{}", s.message);
        // A relaxed SLA is fine.
        let relaxed = LintContext {
            latency_sla_sec: Some(3600.0),
            ..clickstream_ctx()
        };
        assert!(
            !run(
                "Events -> S3 (raw) -> Spark (hourly) -> Redis (dashboard)",
                &relaxed
            )
            .iter()
            .any(|x| x.rule == "sla-through-batch")
        );
    }

    #[test]
    fn single_tool_designs() {
        let f = run("App -> Postgres -> Dashboard", &LintContext::default());
        assert!(
            rules(&f, Severity::Error).contains(&"single-tool"),
            "{f:#?}"
        );
        let f = run(
            "App -> Spark (ingest) -> Spark (transform) -> Snowflake",
            &LintContext::default(),
        );
        assert!(
            rules(&f, Severity::Error).contains(&"single-tool"),
            "{f:#?}"
        );
        let f = run(CLICKSTREAM, &LintContext::default());
        assert!(!f.iter().any(|x| x.rule == "single-tool"));
    }

    #[test]
    fn heavy_stack_for_a_trickle_is_over_engineering() {
        let ctx = LintContext {
            peak_events_per_sec: Some(50.0),
            ..LintContext::default()
        };
        let f = run("Orders -> Kafka -> Flink -> Cassandra", &ctx);
        let o = f
            .iter()
            .find(|x| x.rule == "over-engineering")
            .expect("flagged");
        assert!(
            o.message
                .starts_with("capacity far beyond the stated need: 50 events/s"),
            "{}",
            o.message
        );
        assert_eq!(o.nodes, [1, 2, 3]);
        assert!(
            !run(CLICKSTREAM, &clickstream_ctx())
                .iter()
                .any(|x| x.rule == "over-engineering")
        );
    }

    #[test]
    fn over_budget_shows_the_arithmetic() {
        let ctx = LintContext {
            events_per_day: Some(1e9),
            event_size_bytes: Some(1000.0),
            budget_usd_month: Some(5_000.0),
            ..LintContext::default()
        };
        let f = run("API Gateway -> Lambda -> S3", &ctx);
        let b = f.iter().find(|x| x.rule == "over-budget").expect("flagged");
        assert_eq!(b.severity, Severity::Error);
        assert!(
            b.message
                .starts_with("estimated $9,125/month is over the $5,000/month budget"),
            "{}",
            b.message
        );
        assert!(
            b.message.contains("$0.20 per million = $6,000/month"),
            "{}",
            b.message
        );
        assert!(b.suggestion.contains("batches"));
        let rich = LintContext {
            budget_usd_month: Some(20_000.0),
            ..ctx
        };
        assert!(
            !run("API Gateway -> Lambda -> S3", &rich)
                .iter()
                .any(|x| x.rule == "over-budget")
        );
    }

    #[test]
    fn practice_rules_are_satisfied_by_components_or_mentions() {
        let ctx = LintContext {
            at_least_once: true,
            late_data: true,
            evolving_schema: true,
            ..LintContext::default()
        };
        let design = "Apps -> Kafka -> Spark (hourly) -> Snowflake";
        let f = run(design, &ctx);
        for rule in [
            "no-dedup",
            "no-late-data-strategy",
            "no-schema-contract",
            "no-monitoring",
            "no-dead-letter",
        ] {
            assert!(f.iter().any(|x| x.rule == rule), "{rule} missing: {f:#?}");
        }
        let said = LintContext {
            mentioned: [
                "deduplication",
                "watermark",
                "data-contract",
                "alerting",
                "dead-letter-queue",
            ]
            .map(String::from)
            .to_vec(),
            ..ctx.clone()
        };
        assert!(
            run(design, &said)
                .iter()
                .all(|x| !x.rule.starts_with("no-")),
            "{:#?}",
            run(design, &said)
        );
        // Components count too: Flink delivers exactly once, a registry and Prometheus exist.
        let f = run(
            "Apps -> Kafka -> Flink -> Snowflake\nSchema Registry -> Kafka\nPrometheus -> Flink",
            &ctx,
        );
        for rule in ["no-dedup", "no-schema-contract", "no-monitoring"] {
            assert!(!f.iter().any(|x| x.rule == rule), "{rule}: {f:#?}");
        }
        let f = run("Apps -> Lambda -> Postgres", &LintContext::default());
        assert!(f.iter().any(|x| x.rule == "no-replay-source"));
    }

    #[test]
    fn context_reads_from_partial_json() {
        let ctx: LintContext =
            serde_json::from_str(r#"{"peak_events_per_sec": 1000.0, "late_data": true}"#).unwrap();
        assert_eq!(ctx.peak_events_per_sec, Some(1000.0));
        assert!(ctx.late_data && ctx.mentioned.is_empty());
    }

    #[test]
    fn label_words_match_on_word_boundaries() {
        assert!(has_word("flink (watermark 1h)", "watermark*"));
        assert!(has_word("spark (late re-aggregation)", "late"));
        assert!(!has_word("flink (dedup, latest position)", "late"));
        assert!(has_word("postgres (idempotent upserts)", "idempot*"));
        assert!(!has_word("flag service", "lag"));
    }

    #[test]
    fn node_labels_count_as_evidence() {
        let ctx = LintContext {
            late_data: true,
            at_least_once: true,
            evolving_schema: true,
            ..LintContext::default()
        };
        let design = "Apps -> Kafka (Avro) -> Spark (hourly dedup, watermark 1h) -> Snowflake\nSpark (hourly dedup, watermark 1h) -> S3 (quarantine)\nKafka (Avro) -> Consumer lag alerts";
        let f = run(design, &ctx);
        assert!(f.iter().all(|x| !x.rule.starts_with("no-")), "{f:#?}");
    }

    #[test]
    fn batch_consumers_and_batched_writes_are_not_scheduled_steps() {
        // `batch enrich` consumes batches from a log continuously; it is not an hourly job.
        let ctx = LintContext {
            latency_sla_sec: Some(60.0),
            ..clickstream_ctx()
        };
        let f = run(
            "Apps -> API Gateway -> Kinesis -> Lambda (batch enrich) -> Kinesis (enriched) -> Personalisation",
            &ctx,
        );
        assert!(!f.iter().any(|x| x.rule == "sla-through-batch"), "{f:#?}");
        // A log feeding S3 writes batched files; a function writes one object per event.
        let puts = |design: &str| {
            run(design, &ctx)
                .into_iter()
                .any(|x| x.message.contains("PUT/s per prefix"))
        };
        assert!(!puts("Apps -> Kafka -> S3 (raw)"));
        assert!(puts("Apps -> Kinesis -> Lambda -> S3 (raw)"));
    }

    #[test]
    fn store_behind_a_processor_gets_planning_info_not_a_warning() {
        let ctx = LintContext {
            peak_events_per_sec: Some(250_000.0),
            ..LintContext::default()
        };
        let sev = |design: &str| {
            run(design, &ctx)
                .into_iter()
                .find(|x| x.message.contains("ops/s per node"))
                .map(|x| x.severity)
        };
        assert_eq!(
            sev("Ads -> Kafka -> Flink (join) -> Cassandra"),
            Some(Severity::Info)
        );
        assert_eq!(sev("Ads -> Kafka -> Cassandra"), Some(Severity::Warning));
        let f = run("Ads -> Kafka -> Redis (a)\nKafka -> Redis (b)", &ctx);
        let r = f
            .iter()
            .find(|x| x.message.contains("ops/s per node") && x.message.contains("Redis"))
            .unwrap();
        assert!(
            r.message
                .contains("`Redis (a)` and `Redis (b)` each need at least 3 nodes"),
            "{}",
            r.message
        );
    }

    #[test]
    fn findings_are_ordered_by_severity_and_deterministic() {
        let ctx = LintContext {
            at_least_once: true,
            ..clickstream_ctx()
        };
        let a = run("API Gateway -> Lambda -> DynamoDB", &ctx);
        let b = run("API Gateway -> Lambda -> DynamoDB", &ctx);
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].severity <= w[1].severity));
        for f in &a {
            assert!(RULES.contains(&f.rule));
            assert!(
                !f.message.ends_with('.') && !f.suggestion.ends_with('.'),
                "{f:?}"
            );
        }
        assert!(lint(&DesignGraph::new(), &catalog(), &prices(), &ctx).is_empty());
    }
}
