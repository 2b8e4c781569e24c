//! What rebuilding an interview costs: the events of a teams_load candidate replayed through a
//! fresh engine, timed per interview and per event.
//!
//! `cargo run --release -p pipeprep-core --example replay_cost -- [answers] [times]`

use std::time::Instant;

use pipeprep_core::Knowledge;
use pipeprep_core::interview::{Event, Interview, InterviewConfig};

/// The scripted candidate's ten answers, one per line (the same script for the replay, rebuild,
/// API and load measurements).
static ANSWERS: std::sync::LazyLock<Vec<&str>> =
    std::sync::LazyLock::new(|| include_str!("clickstream-answers.txt").lines().collect());

fn main() {
    let mut args = std::env::args().skip(1);
    let answers: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(15);
    let times: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    let k = Knowledge::new(pipeprep_bank::embedded().expect("embedded bank")).expect("knowledge");
    let mut events = vec![Event::Start { at_ms: 0 }];
    for i in 0..answers {
        events.push(Event::Answer {
            text: format!("{} (candidate 7, answer {i})", ANSWERS[i % ANSWERS.len()]),
            at_ms: 3000 * (i as u64 + 1),
        });
    }
    let jsons: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).expect("json"))
        .collect();
    let cfg = InterviewConfig {
        scenario: "clickstream-analytics".into(),
        seed: 7,
        hard: false,
        focus: Vec::new(),
    };
    // Warm the lazy tables.
    let mut iv = Interview::new(&k, cfg.clone()).expect("scenario");
    for e in &events {
        iv.handle(&k, e.clone());
    }
    let mut per_event = vec![0u128; events.len()];
    let mut new_ns = 0u128;
    let mut parse_ns = 0u128;
    let mut clone_ns = 0u128;
    let mut analyze_ns = 0u128;
    let t_all = Instant::now();
    for _ in 0..times {
        let t = Instant::now();
        let mut iv = Interview::new(&k, cfg.clone()).expect("scenario");
        new_ns += t.elapsed().as_nanos();
        for (i, j) in jsons.iter().enumerate() {
            let t = Instant::now();
            let ev: Event = serde_json::from_str(j).expect("event");
            parse_ns += t.elapsed().as_nanos();
            if let Event::Answer { text, .. } = &ev {
                let t = Instant::now();
                std::hint::black_box(k.analyzer.analyze(text));
                analyze_ns += t.elapsed().as_nanos();
            }
            let t = Instant::now();
            std::hint::black_box(iv.handle(&k, ev));
            per_event[i] += t.elapsed().as_nanos();
        }
        let t = Instant::now();
        std::hint::black_box(iv.clone());
        clone_ns += t.elapsed().as_nanos();
    }
    let total = t_all.elapsed().as_nanos() - analyze_ns;
    let n = times as u128;
    let ms = |ns: u128| ns as f64 / 1e6;
    println!(
        "{answers} answers: rebuild {:.2} ms (new {:.3} ms, parse {:.3} ms), analyze alone {:.2} ms, clone {:.3} ms",
        ms(total / n),
        ms(new_ns / n),
        ms(parse_ns / n),
        ms(analyze_ns / n),
        ms(clone_ns / n)
    );
    for (i, t) in per_event.iter().enumerate() {
        println!("  event {i}: {:.3} ms", ms(t / n));
    }
}
