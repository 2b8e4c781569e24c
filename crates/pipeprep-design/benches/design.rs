//! Parse, lint and render a 20-node design: the work `/diagram` and the linter do on every
//! candidate turn, which must stay far below a human's reaction time.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pipeprep_design::lint::{self, LintContext};
use pipeprep_design::{Catalog, Component, Price, PriceTable, arrow, render};

const DESIGN: &str = "\
Mobile apps -> API Gateway (collector) -> Kafka (raw) -> Flink (dedup 24h) -> Kafka (clean)
Web -> API Gateway (collector)
Kafka (clean) -> Flink (5s window) -> Redis (dashboard) -> API service (live)
Kafka (clean) -> S3 (raw) -> Spark (hourly) -> Snowflake (reports) -> Looker (exec)
Kafka (clean) -> ClickHouse (ops) -> Grafana (ops)
Snowflake (reports) -> dbt (marts)
Airflow (hourly schedule) -> Spark (hourly)
Great Expectations (checks) -> Snowflake (reports)
Schema Registry -> Kafka (raw)
Prometheus (lag alerts) -> Flink (dedup 24h)
";

#[derive(serde::Deserialize)]
struct Components {
    component: Vec<Component>,
}

#[derive(serde::Deserialize)]
struct Prices {
    price: Vec<Price>,
}

fn bench(c: &mut Criterion) {
    let cat: Components = toml::from_str(include_str!("../../../bank/components.toml")).unwrap();
    let cat = Catalog::new(cat.component);
    let prices: Prices = toml::from_str(include_str!("../../../bank/prices.toml")).unwrap();
    let prices = PriceTable::new(prices.price);
    let ctx = LintContext {
        peak_events_per_sec: Some(100_000.0),
        events_per_day: Some(2e9),
        event_size_bytes: Some(1000.0),
        latency_sla_sec: Some(5.0),
        late_data: true,
        at_least_once: true,
        evolving_schema: true,
        budget_usd_month: Some(50_000.0),
        retention_days: Some(730.0),
        ..LintContext::default()
    };
    let g = arrow::parse(DESIGN).unwrap();
    assert_eq!(g.nodes().len(), 20, "the bench design should have 20 nodes");

    c.bench_function("parse 20-node design", |b| {
        b.iter(|| arrow::parse(black_box(DESIGN)))
    });
    c.bench_function("extract 20-node design", |b| {
        b.iter(|| arrow::extract(black_box(DESIGN)))
    });
    c.bench_function("lint 20-node design", |b| {
        b.iter(|| lint::lint(black_box(&g), &cat, &prices, &ctx))
    });
    c.bench_function("render ascii 20-node design", |b| {
        b.iter(|| render::ascii(black_box(&g), &cat))
    });
    c.bench_function("render svg 20-node design", |b| {
        b.iter(|| render::svg(black_box(&g), &cat))
    });
    // A pasted 200,000-node chain: everything must stay linear in its size.
    let long: String = (0..200_000)
        .map(|i| format!("Step{i}"))
        .collect::<Vec<_>>()
        .join(" -> ");
    let mut big = arrow::parse(&long).unwrap();
    big.resolve(&cat);
    assert_eq!(big.nodes().len(), 200_000);
    let mut slow = c.benchmark_group("200,000-node chain");
    slow.sample_size(10);
    slow.bench_function("parse", |b| b.iter(|| arrow::parse(black_box(&long))));
    slow.bench_function("lint", |b| {
        b.iter(|| lint::lint(black_box(&big), &cat, &prices, &ctx))
    });
    slow.bench_function("render ascii", |b| {
        b.iter(|| render::ascii(black_box(&big), &cat))
    });
    slow.bench_function("render mermaid", |b| {
        b.iter(|| render::mermaid(black_box(&big)))
    });
    slow.bench_function("render svg", |b| {
        b.iter(|| render::svg(black_box(&big), &cat))
    });
    slow.finish();
    c.bench_function("parse + lint + render", |b| {
        b.iter(|| {
            let mut g = arrow::parse(black_box(DESIGN)).unwrap();
            g.resolve(&cat);
            let f = lint::lint(&g, &cat, &prices, &ctx);
            (
                f,
                render::ascii(&g, &cat),
                render::mermaid(&g),
                render::svg(&g, &cat),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
