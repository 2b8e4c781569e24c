//! The engine bench's inputs, shared with `examples/workload.rs` (which counts the same work's
//! instructions), so the two always measure the same thing.

use pipeprep_core::Knowledge;
use pipeprep_core::interview::{Event, Interview, InterviewConfig};

/// A senior candidate's paragraph, repeated to the length wanted.
const PARAGRAPH: &str = "We ingest click events into Kafka with acks=all and min.insync.replicas=2, partitioned by user id, \
and Flink computes five-second event-time windows with a watermark of ten minutes, writing idempotent upserts into Redis for the dashboard. \
Because the reports must be exact, raw events also land in S3 as Parquet with ZSTD, and an hourly Spark job reconciles late data into Snowflake. \
We alert on consumer lag and freshness, route poison pills to a dead letter queue, and replay from Kafka offsets after a bad deploy. \
At ten times the traffic we would add partitions, salt hot keys, and let backpressure slow the sources while the dashboard degrades gracefully. ";

/// An answer of at least `words` words.
pub fn answer(words: usize) -> String {
    let mut s = String::new();
    while s.split_whitespace().count() < words {
        s.push_str(PARAGRAPH);
    }
    s
}

/// A clickstream interview just started, with one requirement question asked: the state the
/// timed turn is answered in.
pub fn asked_for_volume(k: &Knowledge) -> Interview {
    let cfg = InterviewConfig {
        scenario: "clickstream-analytics".into(),
        seed: 1,
        hard: false,
        focus: vec![],
    };
    let mut base = Interview::new(k, cfg).expect("the clickstream scenario");
    base.handle(k, Event::Start { at_ms: 0 });
    base.handle(
        k,
        Event::Answer {
            text: "What's the volume and the peak?".into(),
            at_ms: 1000,
        },
    );
    base
}

/// A transcript of 60 turns and over 10,000 words: 30 questions and 30 long answers.
pub fn sixty_turns() -> String {
    let mut t = String::from("---\nscenario: clickstream-analytics\n---\n");
    for i in 0..30 {
        t.push_str(&format!(
            "Interviewer: Question {i}: tell me more about that part of the design?\n"
        ));
        t.push_str(&format!("Candidate: {}\n", answer(340)));
    }
    t
}
