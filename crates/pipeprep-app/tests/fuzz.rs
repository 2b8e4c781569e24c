//! Fuzzing on stable Rust: every parser that reads user text gets generated input — arbitrary
//! Unicode, mixed scripts, emoji, combining marks, characters whose lowercase is longer than
//! they are, lines that look like turn starts, arrows and numbers, very long lines — and must
//! never panic; where a round trip holds, it is checked.
//!
//! The run is deterministic (a fixed seed) and bounded: `PIPEPREP_FUZZ_CASES` cases per parser
//! (default 32, so the ordinary test run stays quick); `.ci/run` runs it with a larger budget.
//! `PIPEPREP_FUZZ_SEED` picks another seed for a longer exploratory run.

use std::io::Cursor;
use std::sync::OnceLock;

use pipeprep_bank::BankFile;
use pipeprep_core::transcript::{Speaker, Transcript, Turn};
use pipeprep_core::{Knowledge, estimate_args};
use pipeprep_design::{LintContext, arrow, estimate, lint, render};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn cases() -> u32 {
    std::env::var("PIPEPREP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
}

fn runner() -> TestRunner {
    let seed: u64 = std::env::var("PIPEPREP_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_0013);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        // Shrinking a long generated text can take long; a failure prints its input anyway.
        max_shrink_iters: 256,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap())
}

/// Pieces that reach the corners of the parsers far more often than random Unicode would.
const PIECES: &[&str] = &[
    // scripts, emoji, combining marks, and characters whose lowercase is longer (`İ`) or whose
    // uppercase is (`ß`, `ŉ`), which breaks code that slices one string at another's offsets
    "日本語の面接",
    "データパイプライン",
    "Candidaté",
    "🔥🔥🔥",
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "e\u{301}",
    "\u{301}\u{302}",
    "İ",
    "ß",
    "ŉ",
    "Ω",
    "ﬃ",
    "\u{200b}",
    "\u{feff}",
    "\u{202e}",
    "العربية",
    "עברית",
    "Ελληνικά",
    "한국어",
    "—",
    "…",
    // turn starts and their near misses
    "Candidate:",
    "Interviewer:",
    "**Candidate:**",
    "**Interviewer**:",
    "candidate：",
    "> Candidate:",
    "- Candidate:",
    "You:",
    "\\Candidate:",
    "\\\\Interviewer:",
    "INTERVIEWER:",
    "---",
    "scenario: clickstream-analytics",
    // arrows and design notation
    "->",
    "-->",
    "=>",
    "→",
    "──▶",
    "(",
    ")",
    "|",
    "#",
    "//",
    "Kafka",
    "Flink (5s window)",
    "S3 (raw)",
    "- Devices → managed MQTT",
    "Phase 0 — Prep (1 week)",
    // numbers, units and options
    "1B",
    "100K/s",
    "2.5 MiB",
    "1e309",
    "1e308",
    "NaN",
    "inf",
    "-1",
    "0",
    "1,000,000",
    "24h",
    "7 days",
    "--events-per-day",
    "--event-size",
    "--peak-factor",
    "--bloom-fpr=",
    "p99 < 200ms",
    "5x the average",
    // TOML-ish
    "id = \"",
    "\"",
    "'",
    "[[scenario]]",
    "=",
    "[",
    "]",
    "{",
    "}",
    "(?i)",
    "\\d{1000}",
    // separators
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    ". ",
    "? ",
    ", ",
    ": ",
    "\u{0}",
    "\u{7f}",
];

/// Mixed text: generated pieces, arbitrary characters, and now and then one piece repeated into
/// a very long line.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => prop::sample::select(PIECES).prop_map(str::to_string),
        3 => "\\PC{0,12}",
        1 => any::<char>().prop_map(String::from),
        1 => (prop::sample::select(PIECES), 100usize..3000).prop_map(|(p, n)| p.repeat(n)),
    ];
    prop::collection::vec(piece, 0..48).prop_map(|v| v.concat())
}

/// Text with no `\r` and no leading or trailing white space: the form a turn's text has after
/// the transcript reader normalised it.
fn turn_text() -> impl Strategy<Value = String> {
    text().prop_map(|s| s.replace('\r', "").trim().to_string())
}

fn run(name: &str, strategy: impl Strategy<Value = String>, test: impl Fn(&str)) {
    let mut r = runner();
    let result = r.run(&strategy, |s| {
        test(&s);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    eprintln!("{name}: {} cases", cases());
}

#[test]
fn transcript_reader_never_panics_and_reads_back_what_it_wrote() {
    run("transcript reader", text(), |s| {
        let _ = Transcript::parse_bytes(s.as_bytes());
        if let Ok(t) = Transcript::parse(s) {
            let again = Transcript::parse(&t.to_string()).expect("a written transcript parses");
            assert_eq!(turns(&again), turns(&t), "written from {s:?}");
            // Grading is what the user runs on it; the analyzer has its own, longer run below.
            if s.len() < 20_000 {
                let _ = pipeprep_core::score(knowledge(), &t, None);
            }
        }
    });
}

fn turns(t: &Transcript) -> Vec<(Speaker, &str)> {
    t.turns
        .iter()
        .map(|x| (x.speaker, x.text.as_str()))
        .collect()
}

#[test]
fn a_written_transcript_reads_back_as_the_same_turns() {
    let strategy = prop::collection::vec((any::<bool>(), turn_text()), 1..6);
    let mut r = runner();
    r.run(&strategy, |spoken| {
        let t = Transcript {
            scenario: None,
            turns: spoken
                .iter()
                .map(|(iv, text)| Turn {
                    speaker: if *iv {
                        Speaker::Interviewer
                    } else {
                        Speaker::Candidate
                    },
                    text: text.clone(),
                    line: 0,
                })
                .collect(),
        };
        let back = Transcript::parse(&t.to_string()).expect("a written transcript parses");
        prop_assert_eq!(turns(&back), turns(&t));
        Ok(())
    })
    .unwrap();
}

#[test]
fn answers_splitter_never_panics_and_splits_what_was_joined() {
    run("answers splitter", text(), |s| {
        let mut input = Cursor::new(s.as_bytes());
        let mut n = 0;
        while let Some(a) = pipeprep_app::scripted::read_answer(&mut input).unwrap() {
            assert_eq!(a, a.trim(), "an answer is trimmed");
            n += 1;
            assert!(n <= s.len() + 1);
        }
    });
    let answers = prop::collection::vec(turn_text(), 1..5).prop_filter(
        "an answer is not empty and has no separator line",
        |v| {
            v.iter()
                .all(|a| !a.is_empty() && a.lines().all(|l| l.trim_end_matches('\r') != "---"))
        },
    );
    let mut r = runner();
    r.run(&answers, |v| {
        let joined = v.join("\n---\n");
        let mut input = Cursor::new(joined.as_bytes());
        let mut back = Vec::new();
        while let Some(a) = pipeprep_app::scripted::read_answer(&mut input).unwrap() {
            back.push(a);
        }
        prop_assert_eq!(back, v);
        Ok(())
    })
    .unwrap();
}

#[test]
fn arrow_notation_render_and_lint_never_panic() {
    let k = knowledge();
    run("arrow notation", text(), |s| {
        let _ = arrow::parse(s);
        let g = arrow::extract(s);
        let _ = render::ascii(&g, &k.bank.catalog);
        let _ = render::svg(&g, &k.bank.catalog);
        let m = render::mermaid(&g);
        let back = render::parse_mermaid(&m).expect("rendered mermaid parses");
        assert_eq!(back.nodes().len(), g.nodes().len(), "mermaid of {s:?}");
        let ctx = LintContext::default();
        let _ = lint::lint(&g, &k.bank.catalog, &k.bank.prices, &ctx);
    });
}

#[test]
fn analyzer_never_panics() {
    let k = knowledge();
    run("analyzer", text(), |s| {
        let _ = k.analyzer.analyze(s);
        let _ = pipeprep_analyzer::quantities(s);
    });
}

#[test]
fn estimate_arguments_never_panic_and_accepted_values_are_finite() {
    let k = knowledge();
    run("estimate arguments", text(), |s| {
        // The unit parsers may return infinity on overflow (`1e300 TB`); `build` refuses it.
        for parse in [
            estimate::parse_count,
            estimate::parse_bytes,
            estimate::parse_duration,
            estimate::parse_rate,
        ] {
            let _ = parse(s);
        }
        let Ok(mut pairs) = estimate_args::split(s) else {
            return;
        };
        pairs.push(("event-size".into(), "1KB".into()));
        pairs.insert(0, ("events-per-sec".into(), "1K".into()));
        if let Ok(input) = estimate_args::build(&pairs) {
            for v in [
                input.events_per_sec_avg,
                input.event_size_bytes,
                input.peak_factor,
                input.retention_sec,
                input.compression_ratio,
            ] {
                assert!(v.is_finite(), "{v} accepted from {s:?}");
            }
            let est = estimate::estimate(&input, &k.bank.catalog, &k.bank.prices);
            for f in &est.figures {
                assert!(f.value.is_finite(), "{} = {} from {s:?}", f.id, f.value);
            }
            let _ = est.to_text();
        }
    });
}

#[test]
fn config_parser_never_panics() {
    run("config parser", text(), |s| {
        let _ = pipeprep_app::config::parse_config(s, "config.toml");
    });
}

#[test]
fn bank_loader_never_panics() {
    let files = pipeprep_bank::embedded_files();
    let strategy = (
        text(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    );
    let mut r = runner();
    r.run(&strategy, |(s, which, at)| {
        // Alone, as any bank file.
        for rel in ["scenarios/x.toml", "components.toml", "concepts/x.toml"] {
            let _ = pipeprep_bank::load(&[BankFile {
                path: rel.into(),
                rel: rel.into(),
                text: s.clone(),
            }]);
        }
        // Spliced into a real file at a character boundary, so the rest of the bank is valid.
        let mut files = files.clone();
        let f = which.get_mut(&mut files);
        let mut cut = at.index(f.text.len() + 1);
        while !f.text.is_char_boundary(cut) {
            cut -= 1;
        }
        f.text.insert_str(cut, &s);
        if let Ok(bank) = pipeprep_bank::load(&files) {
            let _ = Knowledge::new(bank);
        }
        Ok(())
    })
    .unwrap();
    eprintln!("bank loader: {} cases", cases());
}
