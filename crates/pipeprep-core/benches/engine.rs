//! Engine speed: one interview turn on a 2,000-word answer (analyze + decide + phrase), and
//! grading a 60-turn, 10,000-word transcript.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pipeprep_core::interview::{Event, Interview, InterviewConfig};
use pipeprep_core::{Knowledge, Transcript, score};

mod inputs;
use inputs::{answer, asked_for_volume, sixty_turns};

fn engine_turn(c: &mut Criterion) {
    let k = Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap();
    let text = answer(2000);
    let base = asked_for_volume(&k);
    // Criterion reports means; the target is a p99, so time 1,000 single turns as well.
    let mut times: Vec<std::time::Duration> = (0..1000)
        .map(|_| {
            let mut iv = base.clone();
            let start = std::time::Instant::now();
            black_box(iv.handle(
                &k,
                Event::Answer {
                    text: text.clone(),
                    at_ms: 2000,
                },
            ));
            start.elapsed()
        })
        .collect();
    times.sort();
    eprintln!(
        "engine turn, 2,000-word answer: p50 {:?}, p99 {:?}, max {:?} over {} turns",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[times.len() - 1],
        times.len()
    );
    c.bench_function("engine turn, 2,000-word answer", |b| {
        b.iter_batched(
            || base.clone(),
            |mut iv| {
                black_box(iv.handle(
                    &k,
                    Event::Answer {
                        text: text.clone(),
                        at_ms: 2000,
                    },
                ))
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

fn grading(c: &mut Criterion) {
    let k = Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap();
    let transcript = Transcript::parse(&sixty_turns()).unwrap();
    let words: usize = transcript
        .turns
        .iter()
        .map(|t| t.text.split_whitespace().count())
        .sum();
    assert!(
        transcript.turns.len() == 60 && words >= 10_000,
        "{} turns, {words} words",
        transcript.turns.len()
    );
    c.bench_function("grade 60 turns, 10,000 words", |b| {
        b.iter(|| black_box(score(&k, &transcript, None)))
    });
}

/// An arrow chain of `n` new boxes starting at `from`.
fn chain(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("Step{i}"))
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Ten answers that are each a 32 KB arrow chain (3,500 new boxes), then the reply to an
/// eleventh: what a candidate who pastes generated diagrams waits for. The design is capped,
/// so this stays in milliseconds however much was pasted.
fn after_ten_pasted_chains(c: &mut Criterion) {
    let k = Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap();
    let cfg = InterviewConfig {
        scenario: "clickstream-analytics".into(),
        seed: 1,
        hard: false,
        focus: vec![],
    };
    let mut base = Interview::new(&k, cfg).unwrap();
    base.handle(&k, Event::Start { at_ms: 0 });
    for turn in 0..9 {
        base.handle(
            &k,
            Event::Answer {
                text: chain(turn * 3500, 3500),
                at_ms: 1000 * (turn as u64 + 1),
            },
        );
    }
    let tenth = chain(9 * 3500, 3500);
    let started = std::time::Instant::now();
    black_box(base.clone().handle(
        &k,
        Event::Answer {
            text: tenth.clone(),
            at_ms: 10_000,
        },
    ));
    eprintln!(
        "reply to the tenth 32 KB arrow answer: {:?}",
        started.elapsed()
    );
    c.bench_function("reply to the tenth 32 KB arrow answer", |b| {
        b.iter_batched(
            || base.clone(),
            |mut iv| {
                black_box(iv.handle(
                    &k,
                    Event::Answer {
                        text: tenth.clone(),
                        at_ms: 10_000,
                    },
                ))
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, engine_turn, grading, after_ten_pasted_chains);
criterion_main!(benches);
