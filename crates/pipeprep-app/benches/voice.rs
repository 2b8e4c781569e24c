//! What pipeprep adds before the LLM's first token: the engine's decision, the compact prompt and
//! the HTTP request body, from a candidate's answer to bytes ready to send.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pipeprep_app::voice;
use pipeprep_core::Knowledge;
use pipeprep_core::interview::{Effect, Event, Interview, InterviewConfig};
use pipeprep_llm::LlmSpec;

const ANSWER: &str = "Kafka -> Flink (5s window) -> Redis (dashboard). Kafka -> S3 (raw) -> Spark (hourly) -> Snowflake. \
Two paths because the dashboard needs seconds and the reports must be exact; the raw zone lets us replay. \
I'd size partitions from throughput, salt hot keys, and alert on consumer lag. ";

fn overhead(c: &mut Criterion) {
    let k = Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap();
    let spec: LlmSpec = "openai-compatible:bench@http://127.0.0.1:9/v1"
        .parse()
        .unwrap();
    let cfg = InterviewConfig {
        scenario: "clickstream-analytics".into(),
        seed: 1,
        hard: false,
        focus: vec![],
    };
    let mut base = Interview::new(&k, cfg).unwrap();
    base.handle(&k, Event::Start { at_ms: 0 });
    base.handle(
        &k,
        Event::Answer {
            text: "What's the volume and the peak?".into(),
            at_ms: 1000,
        },
    );
    for (name, words) in [
        ("typical answer (~60 words)", 60),
        ("2,000-word answer", 2000),
    ] {
        let mut text = String::new();
        while text.split_whitespace().count() < words {
            text.push_str(ANSWER);
        }
        c.bench_function(&format!("answer to request bytes, {name}"), |b| {
            b.iter_batched(
                || base.clone(),
                |mut iv| {
                    let effects = iv.handle(
                        &k,
                        Event::Answer {
                            text: text.clone(),
                            at_ms: 2000,
                        },
                    );
                    for e in &effects {
                        if let Effect::Say { act, text, .. } = e {
                            let req = voice::request(&iv, *act, text, &[]);
                            let http = pipeprep_llm::openai::build(&spec, None, &req);
                            black_box(serde_json::to_vec(&http.body).unwrap());
                        }
                    }
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, overhead);
criterion_main!(benches);
