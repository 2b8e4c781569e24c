//! `pipeprep grade`: bad input, HTML output, stdin and generic transcripts.

use crate::common::{DIMENSIONS, Sandbox, clickstream_transcript, s};

/// A short transcript without front matter: graded against the rubric alone.
const GENERIC: &str = "\
Interviewer: Tell me how you would build a pipeline for our order events.
Candidate: First, what is the peak volume in events per second, and how fresh must the data be?
Interviewer: About 5K events per second at peak, and the dashboard should be under a minute old.
Candidate: Then Kafka -> Flink -> Postgres. Flink checkpoints to S3, so after a crash it replays
from the last committed Kafka offsets; I would alert on consumer lag.
";

#[test]
fn binary_file_is_rejected_with_its_line() {
    let sb = Sandbox::new();
    let file = sb.write(
        "binary.md",
        b"Interviewer: hello\nCandidate: hi\nsome \x00\x01\x02 bytes\n",
    );
    let run = sb.run(&["grade", s(&file)]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(
        line.contains(&format!("{}:3:", file.display())),
        "the NUL byte is on line 3: {line}"
    );
    assert!(
        run.stdout.is_empty(),
        "no partial scorecard: {}",
        run.stdout
    );
}

#[test]
fn invalid_utf8_is_rejected() {
    let sb = Sandbox::new();
    let file = sb.write(
        "latin1.md",
        b"Interviewer: hello\nCandidate: caf\xe9 au lait\n",
    );
    let run = sb.run(&["grade", s(&file)]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(line.contains(&format!("{}:2:", file.display())), "{line}");
    assert!(line.contains("UTF-8"), "{line}");
    assert!(run.stdout.is_empty());
}

#[test]
fn text_without_turns_is_rejected() {
    let sb = Sandbox::new();
    for (name, text) in [
        ("notes.md", "Some notes about Kafka.\nNo speakers here.\n"),
        (
            "front-matter-only.md",
            "---\nscenario: clickstream-analytics\n---\n",
        ),
        ("empty.md", ""),
    ] {
        let file = sb.write(name, text);
        let run = sb.run(&["grade", s(&file)]);
        run.expect_code(2);
        let line = run.one_line_error();
        assert!(
            line.contains(&format!("{}:", file.display())),
            "{name}: {line}"
        );
        assert!(
            line.contains("Interviewer:") || line.contains("Candidate:"),
            "{name}: the error says what a turn looks like: {line}"
        );
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn missing_file_is_bad_input() {
    let sb = Sandbox::new();
    let run = sb.run(&["grade", "no-such-transcript.md"]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(line.contains("no-such-transcript.md"), "{line}");
}

#[test]
fn unknown_scenario_in_front_matter_is_bad_input() {
    let sb = Sandbox::new();
    let file = sb.write(
        "t.md",
        format!("---\nscenario: clickstrem-analytics\n---\n{GENERIC}"),
    );
    let run = sb.run(&["grade", s(&file)]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(line.contains("clickstream-analytics"), "{line}");
}

/// The `<tag ...>` openings of `tag` in `html`.
fn tags<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i;
        let end = lower[start..]
            .find('>')
            .map_or(html.len(), |e| start + e + 1);
        out.push(&html[start..end]);
        from = end;
    }
    out
}

#[test]
fn html_is_self_contained() {
    let sb = Sandbox::new();
    let transcript = clickstream_transcript(&sb);
    let file = sb.write("transcript.md", &transcript);
    let run = sb.run(&["grade", s(&file), "--format", "html"]);
    run.expect_code(0);
    let html = &run.stdout;
    assert!(
        html.to_ascii_lowercase().starts_with("<!doctype html>"),
        "{}",
        &html[..html.len().min(200)]
    );
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "HTML has a script"
    );
    for tag in ["link", "img"] {
        for t in tags(html, tag) {
            assert!(
                !t.to_ascii_lowercase().contains("http"),
                "external asset: {t}"
            );
        }
    }
    for (_, title) in DIMENSIONS {
        assert!(html.contains(title), "`{title}` missing from the HTML");
    }
}

#[test]
fn grades_stdin_as_markdown() {
    let sb = Sandbox::new();
    let transcript = clickstream_transcript(&sb);
    let run = sb.run_stdin(&["grade", "-", "--format", "md"], transcript.as_bytes());
    run.expect_code(0);
    assert!(run.stdout.contains("Scorecard"), "{}", run.stdout);
    assert!(
        run.stdout.contains("clickstream-analytics"),
        "{}",
        run.stdout
    );
    for (_, title) in DIMENSIONS {
        assert!(run.stdout.contains(title), "`{title}` missing");
    }
    // The same transcript from a file gives the same scorecard.
    let file = sb.write("transcript.md", &transcript);
    let from_file = sb.run(&["grade", s(&file), "--format", "md"]);
    from_file.expect_code(0);
    assert_eq!(run.stdout, from_file.stdout);
}

#[test]
fn generic_transcript_is_graded_against_the_rubric() {
    let sb = Sandbox::new();
    let run = sb.run_stdin(&["grade", "-", "--format", "md"], GENERIC.as_bytes());
    run.expect_code(0);
    assert!(run.stdout.contains("Scorecard"), "{}", run.stdout);
    assert!(
        run.stdout.to_lowercase().contains("generic"),
        "the scenario is shown as generic:\n{}",
        run.stdout
    );
    for (_, title) in DIMENSIONS {
        assert!(run.stdout.contains(title), "`{title}` missing");
    }

    let json = sb.run_stdin(&["grade", "-", "--format", "json"], GENERIC.as_bytes());
    json.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert!(
        v["scenario"].is_null(),
        "generic scenario is null: {}",
        v["scenario"]
    );
    assert_eq!(v["dimensions"].as_array().map(Vec::len), Some(7));
}

#[test]
fn scenario_flag_overrides_front_matter() {
    let sb = Sandbox::new();
    let transcript = format!("---\nscenario: clickstream-analytics\n---\n{GENERIC}");
    let run = sb.run_stdin(
        &[
            "grade",
            "-",
            "--scenario",
            "late-arrivals",
            "--format",
            "json",
        ],
        transcript.as_bytes(),
    );
    run.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(v["scenario"], "late-arrivals");
}

#[test]
fn a_huge_transcript_is_graded_up_to_the_cap_with_a_notice() {
    let sb = Sandbox::new();
    // An interviewer turn of 5 MB (cheap to grade), then a candidate turn past the cap.
    let mut text = String::from(
        "Interviewer: Tell me about the pipeline.\nCandidate: Kafka -> Flink -> Redis, because the dashboard needs seconds.\nInterviewer: go on\n",
    );
    let filler = "the interviewer keeps talking about nothing in particular here\n";
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(filler);
    }
    text.push_str("Candidate: SENTINEL I would add a dead letter queue for poison messages.\n");
    let file = sb.write("huge.md", text.as_bytes());
    let run = sb.run(&["grade", s(&file), "--format", "json"]);
    run.expect_code(0);
    let notes: Vec<&str> = run.stderr.lines().filter(|l| l.contains("note:")).collect();
    assert_eq!(notes.len(), 1, "{}", run.stderr);
    assert!(notes[0].contains("5.0 MB"), "{}", notes[0]);
    assert!(notes[0].contains("graded its first 4.0 MB"), "{}", notes[0]);
    assert!(notes[0].contains("aside"), "{}", notes[0]);
    assert!(
        !run.stdout.contains("SENTINEL"),
        "the cut turn is not graded"
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON scorecard");
    assert!(v["dimensions"].is_array(), "{v}");
    // The same from stdin.
    let run = sb.run_stdin(&["grade", "-", "--format", "json"], text.as_bytes());
    run.expect_code(0);
    assert!(run.stderr.contains("`<stdin>` is 5.0 MB"), "{}", run.stderr);
}
