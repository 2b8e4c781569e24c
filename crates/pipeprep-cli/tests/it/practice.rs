//! `pipeprep practice`: unknown ids, scripted interviews from a file or stdin, and a live pipe.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{
    CLICKSTREAM_ANSWERS, DIMENSIONS, Sandbox, bank_scenario_ids, clickstream_transcript, s,
};

#[test]
fn unknown_scenario_is_one_line_with_a_real_id() {
    let sb = Sandbox::new();
    let run = sb.run(&["practice", "--scenario", "nope"]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(line.contains("unknown scenario"), "{line}");
    let ids = bank_scenario_ids();
    assert!(
        ids.iter().any(|id| line.contains(id.as_str())),
        "the error names no real scenario id: {line}"
    );
}

#[test]
fn misspelt_scenario_suggests_the_right_one() {
    let sb = Sandbox::new();
    let run = sb.run(&["practice", "--scenario", "clickstrem-analytics"]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(line.contains("unknown scenario"), "{line}");
    assert!(line.contains("clickstream-analytics"), "{line}");
}

/// The first line of each answer in `CLICKSTREAM_ANSWERS`.
fn answer_first_lines() -> Vec<&'static str> {
    CLICKSTREAM_ANSWERS
        .split("\n---\n")
        .map(|a| a.lines().next().expect("non-empty answer").trim())
        .collect()
}

#[test]
fn scripted_interview_prints_transcript_and_scorecard() {
    let sb = Sandbox::new();
    let out = clickstream_transcript(&sb);

    assert!(
        out.starts_with("---\nscenario: clickstream-analytics\n---\n"),
        "no front matter:\n{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[3].starts_with("Interviewer:"),
        "the interviewer speaks first: {}",
        lines[3]
    );
    let interviewer = lines
        .iter()
        .filter(|l| l.starts_with("Interviewer:"))
        .count();
    let candidate: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("Candidate:"))
        .collect();
    assert!(interviewer >= 10, "{interviewer} interviewer turns");
    let answers = answer_first_lines();
    assert_eq!(answers.len(), 10);
    assert_eq!(
        candidate.len(),
        answers.len(),
        "one Candidate turn per answer"
    );
    for (turn, answer) in candidate.iter().zip(&answers) {
        assert_eq!(**turn, format!("Candidate: {answer}"));
    }

    // The scorecard comes after the last turn and lists the 7 dimensions in rubric order.
    let last_turn = out.rfind("\nCandidate:").unwrap();
    let card_at = out[last_turn..]
        .find("Scorecard")
        .map(|i| i + last_turn)
        .unwrap_or_else(|| panic!("no scorecard after the last answer:\n{out}"));
    let card = &out[card_at..];
    let mut from = 0;
    for (_, title) in DIMENSIONS {
        let at = card[from..]
            .find(title)
            .unwrap_or_else(|| panic!("`{title}` missing or out of order in:\n{card}"));
        from += at + title.len();
    }
}

#[test]
fn scripted_transcript_grades_to_the_json_contract() {
    let sb = Sandbox::new();
    let transcript = clickstream_transcript(&sb);
    let file = sb.write("transcript.md", &transcript);
    let run = sb.run(&["grade", s(&file), "--format", "json"]);
    run.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("grade --format json is not JSON ({e}):\n{}", run.stdout));
    let obj = v.as_object().expect("one JSON object");

    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = vec![
        "scenario",
        "dimensions",
        "overall",
        "flags",
        "hints_used",
        "strengths",
        "improvements",
        "resources",
    ];
    want.sort_unstable();
    assert_eq!(keys, want, "top-level keys");

    assert_eq!(v["scenario"], "clickstream-analytics");
    let levels = ["novice", "intermediate", "expert"];
    let dims = v["dimensions"].as_array().expect("dimensions array");
    let ids: Vec<&str> = dims.iter().map(|d| d["id"].as_str().unwrap()).collect();
    let want_ids: Vec<&str> = DIMENSIONS.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, want_ids, "all seven dimensions in rubric order");

    let mut quotes = 0;
    for d in dims {
        let level = d["level"].as_str().expect("level");
        assert!(levels.contains(&level), "bad level {level}");
        assert!(d["justification"].as_str().is_some_and(|j| !j.is_empty()));
        for e in d["evidence"].as_array().expect("evidence array") {
            let quote = e["quote"].as_str().expect("quote is a string");
            assert!(e["turn"].as_u64().is_some(), "turn is a number: {e}");
            assert!(
                transcript.contains(quote),
                "evidence quote not verbatim in the transcript: {quote:?}"
            );
            quotes += 1;
        }
    }
    assert!(quotes > 0, "a strong transcript has evidence");

    let overall = &v["overall"];
    assert!(levels.contains(&overall["level"].as_str().expect("overall level")));
    let score = overall["score"].as_u64().expect("overall score");
    assert!(score <= 100, "score {score}");

    let flag_ids = [
        ("ignoring_requirements", "red"),
        ("single_tool", "red"),
        ("ignoring_failures", "red"),
        ("over_engineering", "red"),
        ("under_engineering", "red"),
        ("clarifying_questions", "green"),
        ("tradeoffs_unprompted", "green"),
        ("operational_concerns", "green"),
        ("cost_considered", "green"),
        ("testing_strategy", "green"),
    ];
    for f in v["flags"].as_array().expect("flags array") {
        let id = f["id"].as_str().expect("flag id");
        let kind = f["kind"].as_str().expect("flag kind");
        assert!(flag_ids.contains(&(id, kind)), "unknown flag {id} ({kind})");
    }
    assert!(v["hints_used"].as_u64().is_some());
    for key in ["strengths", "improvements"] {
        for item in v[key].as_array().expect(key) {
            assert!(
                item.as_str().is_some_and(|s| !s.is_empty()),
                "{key}: {item}"
            );
        }
    }
    for r in v["resources"].as_array().expect("resources array") {
        assert!(r["title"].as_str().is_some(), "{r}");
        assert!(r["url"].as_str().is_some(), "{r}");
        assert!(want_ids.contains(&r["dimension"].as_str().expect("dimension")));
    }
}

#[test]
fn scripted_interview_is_deterministic_from_file_and_stdin() {
    let sb = Sandbox::new();
    let answers = sb.write("answers.txt", CLICKSTREAM_ANSWERS);
    let args = [
        "practice",
        "--scenario",
        "clickstream-analytics",
        "--seed",
        "3",
        "--answers",
        s(&answers),
    ];
    let first = sb.run(&args);
    first.expect_code(0);
    let second = sb.run(&args);
    second.expect_code(0);
    assert!(
        first.stdout_bytes == second.stdout_bytes,
        "two runs with the same seed and answers differ"
    );

    let piped = sb.run_stdin(
        &[
            "practice",
            "--scenario",
            "clickstream-analytics",
            "--seed",
            "3",
            "--answers",
            "-",
        ],
        CLICKSTREAM_ANSWERS.as_bytes(),
    );
    piped.expect_code(0);
    assert!(
        piped.stdout_bytes == first.stdout_bytes,
        "--answers - gives a different interview than --answers FILE"
    );
}

#[test]
fn missing_answers_file_is_bad_input() {
    let sb = Sandbox::new();
    let run = sb.run(&[
        "practice",
        "--scenario",
        "late-arrivals",
        "--answers",
        "no-such-file.txt",
    ]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(line.contains("no-such-file.txt"), "{line}");
}

/// A scripted late-arrivals interview (seed 1) reading its answers from a pipe.
fn piped_practice(sb: &Sandbox, stderr: Stdio) -> std::process::Child {
    sb.cmd(&[
        "practice",
        "--scenario",
        "late-arrivals",
        "--seed",
        "1",
        "--answers",
        "-",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(stderr)
    .spawn()
    .expect("spawn pipeprep")
}

/// A live pipe: the reply to each answer is flushed as soon as its `---` arrives, before stdin
/// is closed, so another program can hold a conversation through the pipe.
#[test]
fn live_pipe_replies_per_turn() {
    let sb = Sandbox::new();
    let mut child = piped_practice(&sb, Stdio::null());
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(b"How late can events arrive, and how many are late?\n---\n")
        .expect("write the first answer");
    stdin.flush().expect("flush stdin");

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let mut interviewer = 0;
    while interviewer < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if line.starts_with("Interviewer:") {
                    interviewer += 1;
                }
                seen.push(line);
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "no reply to the first answer while stdin is open ({e}); output so far:\n{}",
                    seen.join("\n")
                );
            }
        }
    }
    assert!(
        seen.iter()
            .any(|l| l.starts_with("Candidate: How late can events arrive")),
        "the answer is echoed as a Candidate turn before the reply:\n{}",
        seen.join("\n")
    );

    // Now end the input: the interview wraps up and exits cleanly.
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pipeprep did not exit after stdin was closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().expect("reader thread");
    let rest: Vec<String> = rx.try_iter().collect();
    assert_eq!(status.code(), Some(0), "exit status {status}");
    assert!(
        rest.iter().any(|l| l.contains("Scorecard")),
        "a scorecard follows the end of input:\n{}",
        rest.join("\n")
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    let sb = Sandbox::new();
    let mut child = piped_practice(&sb, Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    // Read the front matter, then close our end like `| head -3` does.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..3 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
    }
    drop(out);
    let _ = stdin.write_all(b"What is the peak?\n---\n/end\n");
    drop(stdin);
    let result = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(
        !stderr.contains("error") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
