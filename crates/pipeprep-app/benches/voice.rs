//! What pipeprep adds before the LLM's first token: the engine's decision, the compact prompt and
//! the HTTP request body, from a candidate's answer to bytes ready to send; and the same through
//! a live session, which also commits the turn to SQLite (WAL, synchronous=FULL) before it asks.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pipeprep_app::session::LiveSession;
use pipeprep_app::voice;
use pipeprep_core::Knowledge;
use pipeprep_core::interview::{Effect, Event, Interview, InterviewConfig};
use pipeprep_llm::{BoxFuture, ChatBackend, ChatRequest, Completion, LlmError, LlmSpec, Usage};
use pipeprep_store::SqliteStore;

/// A backend that notes when it was asked and answers at once with one on-topic sentence.
struct Stopwatch(Arc<Mutex<Option<Instant>>>);

impl ChatBackend for Stopwatch {
    fn label(&self) -> String {
        "bench:stopwatch".into()
    }
    fn complete<'a>(
        &'a self,
        _req: &'a ChatRequest,
        on_delta: &'a mut (dyn FnMut(&str) + Send),
    ) -> BoxFuture<'a, Result<Completion, LlmError>> {
        let mut asked = self.0.lock().unwrap();
        asked.get_or_insert_with(Instant::now);
        drop(asked);
        Box::pin(async move {
            let text = "How many click events per second do you expect at peak?";
            on_delta(text);
            Ok(Completion {
                text: text.into(),
                usage: Usage::default(),
                provider: "bench".into(),
                model: "stopwatch".into(),
                first_token_ms: 0,
                total_ms: 0,
                truncated: false,
            })
        })
    }
}

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

/// From the answer to the first request, through `LiveSession::step`: decide, commit the event
/// and the engine's turns (an fsync'd SQLite transaction), build and hand over the request.
fn live_overhead(c: &mut Criterion) {
    let k = Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("bench.db")).unwrap();
    let cfg = InterviewConfig {
        scenario: "clickstream-analytics".into(),
        seed: 1,
        hard: false,
        focus: vec![],
    };
    let mut text = String::new();
    while text.split_whitespace().count() < 60 {
        text.push_str(ANSWER);
    }
    c.bench_function("answer to request, live session with SQLite commit", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let asked = Arc::new(Mutex::new(None));
                let voice = pipeprep_app::voice::LlmVoice::new(
                    Box::new(Stopwatch(Arc::clone(&asked))),
                    "bench:stopwatch".into(),
                    "stopwatch".into(),
                )
                .unwrap();
                let mut live = LiveSession::create(&k, &store, cfg.clone(), Some(voice)).unwrap();
                live.handle(Event::Start { at_ms: 0 }).unwrap();
                *asked.lock().unwrap() = None;
                let started = Instant::now();
                live.handle(Event::Answer {
                    text: text.clone(),
                    at_ms: 90_000,
                })
                .unwrap();
                let at = asked.lock().unwrap().expect("the LLM was asked");
                total += at - started;
            }
            total
        })
    });
}

criterion_group!(benches, overhead, live_overhead);
criterion_main!(benches);
