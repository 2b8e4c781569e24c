//! What users see: diagrams, lint findings, estimate tables and parser errors.

use pipeprep_design::estimate::{self, EstimateInput};
use pipeprep_design::lint::{self, LintContext};
use pipeprep_design::{arrow, render};

use crate::common::{CLICKSTREAM, catalog, prices};

#[test]
fn clickstream_ascii() {
    let mut g = arrow::parse(CLICKSTREAM).unwrap();
    g.resolve(&catalog());
    insta::assert_snapshot!(render::ascii(&g, &catalog()));
}

#[test]
fn clickstream_mermaid() {
    let g = arrow::parse(CLICKSTREAM).unwrap();
    insta::assert_snapshot!(render::mermaid(&g));
}

#[test]
fn clickstream_svg() {
    let g = arrow::parse(CLICKSTREAM).unwrap();
    insta::assert_snapshot!(render::svg(&g, &catalog()));
}

#[test]
fn bank_style_reference_with_orchestration_ascii() {
    let g = arrow::parse(
        "Click events -> Kafka -> Flink (5s window) -> Redis (dashboard)\n\
         Kafka -> S3 (raw) -> Spark (hourly) -> Snowflake (reports)\n\
         Airflow (hourly schedule) -> Spark (hourly)\n\
         Snowflake (reports) -> Looker (weekly business review)\n",
    )
    .unwrap();
    insta::assert_snapshot!(render::ascii(&g, &catalog()));
}

fn findings_text(design: &str, ctx: &LintContext) -> String {
    let g = arrow::parse(design).unwrap();
    let mut out = String::new();
    for f in lint::lint(&g, &catalog(), &prices(), ctx) {
        out.push_str(&format!(
            "[{}] {}: {}\n  fix: {}\n  nodes: {:?}\n",
            f.severity.as_str(),
            f.rule,
            f.message,
            f.suggestion,
            f.nodes
        ));
    }
    out
}

fn spec_ctx() -> LintContext {
    LintContext {
        peak_events_per_sec: Some(100_000.0),
        event_size_bytes: Some(1000.0),
        latency_sla_sec: Some(5.0),
        ..LintContext::default()
    }
}

#[test]
fn clickstream_lint() {
    insta::assert_snapshot!(findings_text(CLICKSTREAM, &spec_ctx()));
}

#[test]
fn just_lambda_lint() {
    let ctx = LintContext {
        events_per_day: Some(2e9),
        budget_usd_month: Some(10_000.0),
        at_least_once: true,
        ..spec_ctx()
    };
    insta::assert_snapshot!(findings_text("API Gateway -> Lambda -> DynamoDB", &ctx));
}

#[test]
fn one_billion_a_day_estimate() {
    let input = EstimateInput::per_day(1e9, estimate::parse_bytes("1KiB").unwrap())
        .and_then(|i| i.with_peak_factor(5.0))
        .and_then(|i| i.with_retention_sec(estimate::parse_duration("2y").unwrap()))
        .and_then(|i| i.with_compression_ratio(5.0))
        .and_then(|i| i.with_dedup_window_sec(86_400.0))
        .and_then(|i| i.with_bloom_fpr(0.01))
        .unwrap();
    insta::assert_snapshot!(estimate::estimate(&input, &catalog(), &prices()).to_text());
}

#[test]
fn arrow_error_messages() {
    let cases = [
        "Kafka Flink",
        "Kafka -> Flink ->",
        "-> Flink",
        "Kafka -> -> Flink",
        "Kafka -> (5s window)",
        "Kafka -> Flink (5s window",
        "Kafka -> Flink 5s) -> Redis",
        "Kafka -> Spark (hourly) job",
        "  |\nKafka -> Flink",
        "Kafka -> Flink\n  |",
        "Kafka -> Flink\n  |   |\nS3 -> Spark",
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|c| format!("{c:?}\n  {}", arrow::parse(c).unwrap_err()))
        .collect();
    insta::assert_snapshot!(out.join("\n"));
}
