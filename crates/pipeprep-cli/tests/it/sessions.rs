//! Sessions that last: a SIGKILL loses no answered turn, resume continues in the same phase,
//! two processes share the database, and history, progress, export and --focus weakest read
//! real stored sessions.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::common::Sandbox;

fn export_json(sb: &Sandbox, id: &str) -> serde_json::Value {
    let run = sb.run(&["export", id, "--format", "json"]);
    run.expect_code(0);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn sigkill_mid_interview_loses_nothing_and_resume_continues_in_the_same_phase() {
    let sb = Sandbox::new();
    let db = sb.home().join("crash.db");
    let mut child = sb
        .cmd(&[
            "--db",
            db.to_str().unwrap(),
            "practice",
            "--scenario",
            "late-arrivals",
            "--seed",
            "2",
            "--answers",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let answers = [
        "How many events per day, and what does the peak look like?",
        "How late can events arrive, and what latency do the dashboards need?",
        "How long do we keep the data, and is there a budget?",
    ];
    let wait_for_reply = |rx: &mpsc::Receiver<String>| loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a reply within 20 s");
        if line.starts_with("Interviewer:") {
            break;
        }
    };
    wait_for_reply(&rx); // the greeting
    for a in answers {
        writeln!(stdin, "{a}\n---").unwrap();
        stdin.flush().unwrap();
        wait_for_reply(&rx);
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let dbs = db.to_str().unwrap();
    let history = sb.run(&["--db", dbs, "history"]);
    history.expect_code(0);
    assert!(history.stdout.contains("active"), "{}", history.stdout);
    let before = {
        let run = sb.run(&["--db", dbs, "export", "last", "--format", "json"]);
        run.expect_code(0);
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()
    };
    let turns = before["turns"].as_array().unwrap();
    let said: Vec<&str> = turns
        .iter()
        .filter(|t| t["speaker"] == "candidate")
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert_eq!(said, answers, "every answered turn is stored");
    let phase_at_kill = turns.last().unwrap()["phase"].as_str().unwrap().to_string();

    let resumed = sb.run_stdin(
        &["--db", dbs, "resume", "--answers", "-"],
        b"Mobile apps -> Kafka -> Flink (event time, 1h watermark) -> Redis\n---\n/end\n",
    );
    resumed.expect_code(0);
    for a in answers {
        assert!(
            resumed.stdout.contains(&format!("Candidate: {a}")),
            "the resumed transcript shows `{a}`"
        );
    }
    let after = {
        let run = sb.run(&["--db", dbs, "export", "last", "--format", "json"]);
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()
    };
    let new_turns = &after["turns"].as_array().unwrap()[turns.len()..];
    assert_eq!(new_turns[0]["speaker"], "candidate");
    assert_eq!(
        new_turns[0]["phase"].as_str().unwrap(),
        phase_at_kill,
        "continues in the phase it stopped in"
    );
    assert_eq!(after["status"], "finished");
    assert!(resumed.stdout.contains("## Scorecard"));
}

#[test]
fn two_processes_write_the_same_database() {
    let sb = Sandbox::new();
    let answers = "What's the volume?\n---\nKafka -> Flink -> Redis\n---\n/end\n";
    let spawn = |seed: &str| {
        let mut c = sb
            .cmd(&[
                "practice",
                "--scenario",
                "dedup-at-scale",
                "--seed",
                seed,
                "--answers",
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(answers.as_bytes())
            .unwrap();
        c
    };
    let a = spawn("1");
    let b = spawn("2");
    for c in [a, b] {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let history = sb.run(&["history"]);
    assert_eq!(
        history.stdout.matches("finished").count(),
        2,
        "{}",
        history.stdout
    );
}

#[test]
fn history_progress_and_export_show_stored_sessions() {
    let sb = Sandbox::new();
    let run = sb.run_stdin(
        &["practice", "--scenario", "clickstream-analytics", "--seed", "5", "--answers", "-"],
        b"What is the peak, and what latency does the dashboard need?\n---\nKafka -> Flink -> Redis because the dashboard needs seconds\n---\n/end\n",
    );
    run.expect_code(0);
    let id = run.stderr.split_whitespace().nth(1).unwrap().to_string();
    let history = sb.run(&["history"]);
    assert!(
        history.stdout.contains(&id) && history.stdout.contains("clickstream-analytics"),
        "{}",
        history.stdout
    );
    let progress = sb.run(&["progress"]);
    assert!(
        progress.stdout.contains("requirements_extraction")
            && progress.stdout.contains("1 finished"),
        "{}",
        progress.stdout
    );
    let v = export_json(&sb, &id);
    assert_eq!(v["scenario"], "clickstream-analytics");
    assert!(
        v["turns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["act"] == "greet_scenario" && t["phase"] == "requirements")
    );
    let keys: Vec<&str> = v["scorecard"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "scenario",
        "dimensions",
        "overall",
        "flags",
        "hints_used",
        "strengths",
        "improvements",
        "resources",
    ] {
        assert!(keys.contains(&k), "scorecard has `{k}`");
    }
    let md = sb.run(&["export", &id, "--format", "md"]);
    assert!(
        md.stdout.contains("Candidate: What is the peak") && md.stdout.contains("## Scorecard"),
        "{}",
        md.stdout
    );
    let html = sb.run(&["export", "last", "--format", "html"]);
    assert!(html.stdout.starts_with("<!doctype html>") && !html.stdout.contains("<script"));
    let del = sb.run(&["history", "--delete", &id]);
    del.expect_code(0);
    assert!(!sb.run(&["history"]).stdout.contains(&id));
    sb.run(&["export", &id]).expect_code(2);
}

#[test]
fn focus_weakest_picks_a_scenario_for_the_weakest_dimension() {
    let sb = Sandbox::new();
    // Two interviews strong on everything but cost, which is never mentioned.
    let answers = "How many events a day, what is the peak, and what latency do the dashboards need?\n---\nHow long do we keep data, can events arrive late or twice, and who consumes the data?\n---\nKafka -> Flink (5s window) -> Redis (dashboard)\nKafka -> S3 (raw) -> Spark (hourly) -> Snowflake\nTwo paths because the dashboard needs seconds while the reports are hourly; the raw zone lets us replay.\n---\nI picked Flink over Spark Structured Streaming because event-time windows are first-class, and the RocksDB state backend with incremental checkpoints keeps recovery fast.\n---\nAt 10x I'd size partitions from throughput, salt hot keys with two-stage aggregation, and rely on backpressure so the dashboard degrades gracefully.\n---\nI'd alert on consumer lag, restart from the last checkpoint and replay the backlog from Kafka; writes are idempotent upserts so replays don't double count.\n---\nPrevention: canary deploys, a runbook, and a schema registry with compatibility checks in CI, row count checks and freshness monitoring.\n---\n/end\n";
    for seed in ["1", "2"] {
        sb.run_stdin(
            &[
                "practice",
                "--scenario",
                "clickstream-analytics",
                "--seed",
                seed,
                "--answers",
                "-",
            ],
            answers.as_bytes(),
        )
        .expect_code(0);
    }
    // The weakest dimension is the lowest average level over the stored scorecards.
    let rank = |l: &str| match l {
        "novice" => 0,
        "intermediate" => 1,
        _ => 2,
    };
    let list = sb.run(&["history"]).stdout;
    let ids: Vec<String> = list
        .lines()
        .filter(|l| l.contains("finished"))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 2, "{list}");
    let mut totals = [0; 7];
    let mut dims: Vec<String> = Vec::new();
    for id in &ids {
        let v = export_json(&sb, id);
        for (i, d) in v["scorecard"]["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            totals[i] += rank(d["level"].as_str().unwrap());
            if dims.len() < 7 {
                dims.push(d["id"].as_str().unwrap().to_string());
            }
        }
    }
    let min = *totals.iter().min().unwrap();
    let weakest = dims[totals.iter().position(|t| *t == min).unwrap()].clone();

    let run = sb.run_stdin(
        &[
            "practice",
            "--focus",
            "weakest",
            "--seed",
            "3",
            "--answers",
            "-",
        ],
        b"/end\n",
    );
    run.expect_code(0);
    assert!(
        run.stderr.contains(&format!("focusing on {weakest}")),
        "{}",
        run.stderr
    );
    // The scenario chosen is one of those that expect the most of that dimension, and not the one
    // just practised.
    let scenario = run
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .trim_start_matches("scenario: ")
        .to_string();
    assert_ne!(scenario, "clickstream-analytics");
    let weight = |id: &str| {
        let v: toml::Value =
            toml::from_str(&crate::common::bank_file(&format!("scenarios/{id}.toml"))).unwrap();
        let e = &v["expectations"][weakest.as_str()];
        e["intermediate"].as_array().unwrap().len() + e["expert"].as_array().unwrap().len()
    };
    let best = crate::common::bank_scenario_ids()
        .iter()
        .filter(|id| id.as_str() != "clickstream-analytics")
        .map(|id| weight(id))
        .max()
        .unwrap();
    assert_eq!(
        weight(&scenario),
        best,
        "{scenario} exercises {weakest} as much as any scenario"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_reported_and_kept() {
    let sb = Sandbox::new();
    let path = sb.write("notes.db", "not a database\n");
    let run = sb.run(&["--db", path.to_str().unwrap(), "history"]);
    run.expect_code(2);
    assert!(run.one_line_error().contains("notes.db"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a database\n");
}
