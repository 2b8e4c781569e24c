//! The engine bench's two workloads, run a given number of times, for instruction-count
//! profiling (`valgrind --tool=callgrind --toggle-collect='*workload*measured*'`): counts are
//! repeatable on a loaded machine where wall-clock figures are not.
//!
//! `cargo run --release -p pipeprep-core --example workload -- turn|grade [times]`

use std::hint::black_box;

use pipeprep_core::interview::Event;
use pipeprep_core::{Knowledge, Transcript, score};

#[path = "../benches/inputs/mod.rs"]
mod inputs;
use inputs::{answer, asked_for_volume, sixty_turns};

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
            let base = asked_for_volume(&k);
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
            let transcript = Transcript::parse(&sixty_turns()).expect("transcript");
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
