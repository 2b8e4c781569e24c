//! The engine bench's two workloads, run a given number of times, for instruction-count
//! profiling (`valgrind --tool=callgrind --toggle-collect='*workload*measured*'`): counts are
//! repeatable on a loaded machine where wall-clock figures are not.
//!
//! `cargo run --release -p pipeprep-core --example workload -- turn|grade [times]`

use std::hint::black_box;

use pipeprep_core::interview::{Event, Interview, InterviewConfig};
use pipeprep_core::{Knowledge, Transcript, score};

/// The same paragraph as `benches/engine.rs`.
const PARAGRAPH: &str = "We ingest click events into Kafka with acks=all and min.insync.replicas=2, partitioned by user id, \
and Flink computes five-second event-time windows with a watermark of ten minutes, writing idempotent upserts into Redis for the dashboard. \
Because the reports must be exact, raw events also land in S3 as Parquet with ZSTD, and an hourly Spark job reconciles late data into Snowflake. \
We alert on consumer lag and freshness, route poison pills to a dead letter queue, and replay from Kafka offsets after a bad deploy. \
At ten times the traffic we would add partitions, salt hot keys, and let backpressure slow the sources while the dashboard degrades gracefully. ";

fn answer(words: usize) -> String {
    let mut s = String::new();
    while s.split_whitespace().count() < words {
        s.push_str(PARAGRAPH);
    }
    s
}

/// What the profiler counts: everything else (bank load, lazy tables, the warm-up) is outside.
#[inline(never)]
fn measured(work: &dyn Fn()) {
    work();
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "turn".into());
    let times: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let k = Knowledge::new(pipeprep_bank::embedded().expect("embedded bank")).expect("knowledge");
    match which.as_str() {
        "turn" => {
            let text = answer(2000);
            let cfg = InterviewConfig {
                scenario: "clickstream-analytics".into(),
                seed: 1,
                hard: false,
                focus: vec![],
            };
            let mut base = Interview::new(&k, cfg).expect("scenario");
            base.handle(&k, Event::Start { at_ms: 0 });
            base.handle(
                &k,
                Event::Answer {
                    text: "What's the volume and the peak?".into(),
                    at_ms: 1000,
                },
            );
            let turn = || {
                let mut iv = base.clone();
                black_box(iv.handle(
                    &k,
                    Event::Answer {
                        text: text.clone(),
                        at_ms: 2000,
                    },
                ));
            };
            turn();
            for _ in 0..times {
                measured(&turn);
            }
        }
        "grade" => {
            let mut t = String::from("---\nscenario: clickstream-analytics\n---\n");
            for i in 0..30 {
                t.push_str(&format!(
                    "Interviewer: Question {i}: tell me more about that part of the design?\n"
                ));
                t.push_str(&format!("Candidate: {}\n", answer(340)));
            }
            let transcript = Transcript::parse(&t).expect("transcript");
            let grade = || {
                black_box(score(&k, &transcript, None));
            };
            grade();
            for _ in 0..times {
                measured(&grade);
            }
        }
        other => {
            eprintln!("unknown workload `{other}`: use `turn` or `grade`");
            std::process::exit(2);
        }
    }
}
