//! Start-up latency as a user feels it: from spawning `pipeprep practice` to the first
//! interviewer line on stdout (process start, bank and lexicon load, greeting).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};

const BIN: &str = env!("CARGO_BIN_EXE_pipeprep");

fn first_interviewer_line(home: &std::path::Path) {
    let mut child = Command::new(BIN)
        .args([
            "practice",
            "--scenario",
            "clickstream-analytics",
            "--seed",
            "1",
            "--answers",
            "-",
        ])
        .env("PIPEPREP_HOME", home)
        .env_remove("PIPEPREP_BANK")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pipeprep");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).expect("read stdout");
        assert!(n > 0, "pipeprep ended before the first interviewer line");
        if line.starts_with("Interviewer:") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn startup(c: &mut Criterion) {
    let home = tempfile::tempdir().expect("temp home");
    c.bench_function("practice: spawn to first Interviewer line", |b| {
        b.iter(|| first_interviewer_line(home.path()));
    });
}

criterion_group!(benches, startup);
criterion_main!(benches);
