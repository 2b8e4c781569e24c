//! What taking over an interview costs a server instance, in its parts: counting the stored
//! events (`progress`), reading the session with its snapshot (`load`), and either replaying its
//! events through the engine (`replay`) or restoring the engine state stored with a turn
//! (`restore`, what a takeover does when the snapshot is valid). Also the snapshot's size, the
//! cost of writing it with each turn (`encode`), and reading the same state as JSON (what is
//! stored) and as CBOR (the binary encoding it was compared with).
//! Interviews of the given length are stored first through the real session runner,
//! then each is measured; figures are per interview, wall time on this thread and CPU time of
//! this process (the store's runtime thread included, PostgreSQL not).
//!
//! ```text
//! eval "$(scripts/pg-test-cluster start)"
//! cargo run --release -p pipeprep-app --example rebuild_cost -- [answers 15] [sessions 200]
//! ```

use std::time::Instant;

use anyhow::{Context, Result};
use pipeprep_app::session::{LiveSession, Rebuilt, replay, restore_or_replay};
use pipeprep_app::snapshot;
use pipeprep_core::interview::{Event, InterviewConfig};
use pipeprep_store::{PgStore, Role, Store};

/// The scripted candidate's ten answers, one per line (the same script for the replay, rebuild,
/// API and load measurements).
static ANSWERS: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
    include_str!("../../pipeprep-core/examples/clickstream-answers.txt")
        .lines()
        .collect()
});

/// CPU seconds (user + system) of this process, from `/proc/self/stat` (100 ticks a second).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(close) = stat.rfind(')') else {
        return 0.0;
    };
    let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let field = |n: usize| {
        f.get(n - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field(14) + field(15)) as f64 / 100.0
}

#[derive(Default)]
struct Part {
    wall: f64,
    cpu: f64,
}

impl Part {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let (t, c) = (Instant::now(), cpu_seconds());
        let out = f();
        self.wall += t.elapsed().as_secs_f64();
        self.cpu += cpu_seconds() - c;
        out
    }
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let answers: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(15);
    let sessions: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let url = std::env::var("PIPEPREP_TEST_DATABASE_URL")
        .context("set PIPEPREP_TEST_DATABASE_URL (scripts/pg-test-cluster start)")?;
    let pg = PgStore::open(&url)?;
    let now = pipeprep_app::session::now_ms();
    let user = pg.create_user(
        &format!("rebuild-cost-{now}"),
        "rebuild cost password",
        Role::Learner,
        now,
    )?;
    let store = pg.for_user(&user);
    let k = pipeprep_app::knowledge(pipeprep_app::load_bank(None)?)?;

    let mut ids = Vec::new();
    for seed in 0..sessions {
        let cfg = InterviewConfig {
            scenario: "clickstream-analytics".into(),
            seed,
            hard: false,
            focus: Vec::new(),
        };
        let (mut live, _) = LiveSession::start(&k, &store, cfg)?;
        for i in 0..answers {
            live.handle(Event::Answer {
                text: format!(
                    "{} (candidate {seed}, answer {i})",
                    ANSWERS[i % ANSWERS.len()]
                ),
                at_ms: 3000 * (i as u64 + 1),
            })?;
        }
        ids.push(live.id().to_string());
    }

    let (mut progress, mut load, mut rebuild) = (Part::default(), Part::default(), Part::default());
    let (mut restore, mut encode, mut json_decode, mut cbor_decode) = (
        Part::default(),
        Part::default(),
        Part::default(),
        Part::default(),
    );
    let (mut stored_bytes, mut cbor_bytes, mut restored) = (0usize, 0usize, 0usize);
    for id in &ids {
        progress.time(|| store.progress(id))?;
        let stored = load.time(|| store.load(id))?;
        let iv = rebuild.time(|| replay(&k, &stored))?;
        let (_, _, how) = restore.time(|| restore_or_replay(&k, &stored))?;
        restored += usize::from(how == Rebuilt::Restored);
        stored_bytes += stored.snapshot.as_ref().map_or(0, |s| s.data.len());
        encode.time(|| snapshot::encode(&k, &iv));
        let json = serde_json::to_string(&iv)?;
        json_decode.time(|| serde_json::from_str::<pipeprep_core::Interview>(&json))?;
        let mut cbor = Vec::new();
        ciborium::into_writer(&iv, &mut cbor)?;
        cbor_bytes += cbor.len();
        cbor_decode
            .time(|| ciborium::from_reader::<pipeprep_core::Interview, _>(cbor.as_slice()))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let n = ids.len().max(1) as f64;
    let ms = |s: f64| s * 1000.0 / n;
    println!(
        "{} interviews of {answers} answers, per interview:",
        ids.len()
    );
    for (name, p) in [
        ("progress", &progress),
        ("load", &load),
        ("replay", &rebuild),
        ("restore", &restore),
        ("encode", &encode),
        ("cbor read", &cbor_decode),
        ("json read", &json_decode),
    ] {
        println!(
            "  {name:<9} wall {:.3} ms, CPU {:.3} ms",
            ms(p.wall),
            ms(p.cpu)
        );
    }
    println!(
        "  replay per event: wall {:.3} ms",
        ms(rebuild.wall) / (answers as f64 + 1.0)
    );
    println!(
        "  snapshot: {restored} of {} restored, {:.0} bytes as stored (JSON); as CBOR {:.0} bytes",
        ids.len(),
        stored_bytes as f64 / n,
        cbor_bytes as f64 / n
    );
    Ok(())
}
