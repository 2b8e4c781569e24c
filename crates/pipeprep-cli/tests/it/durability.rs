//! Nothing breaks the store: a kill at the last moment, another application's file, a full or
//! read-only disk, a lock held by another program. Each test asserts what the user sees: the
//! exit code, the message, and what is (or is not) in the file afterwards.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{Sandbox, s};

fn sql(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).expect("open the database for inspection")
}

fn count(db: &Path, query: &str, id: &str) -> i64 {
    sql(db)
        .query_row(query, [id], |r| r.get(0))
        .expect("count rows")
}

fn session_id(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("session "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no session id in:\n{stderr}"))
        .to_string()
}

const SHORT_ANSWERS: &[u8] =
    b"What is the peak, and what latency does the dashboard need?\n---\nKafka -> Flink -> Redis because the dashboard needs seconds\n---\n/end\n";

#[test]
fn resume_of_an_interview_killed_before_it_was_marked_finished_shows_its_scorecard() {
    let sb = Sandbox::new();
    let db = sb.home().join("p.db");
    let run = sb.run_stdin(
        &[
            "--db",
            s(&db),
            "practice",
            "--scenario",
            "clickstream-analytics",
            "--seed",
            "5",
            "--answers",
            "-",
        ],
        SHORT_ANSWERS,
    );
    run.expect_code(0);
    let id = session_id(&run.stderr);
    let card = &run.stdout[run.stdout.find("## Scorecard").expect("a scorecard")..];
    // What a kill between the last turn and the finish used to leave behind.
    sql(&db)
        .execute(
            "UPDATE sessions SET status = 'active', scorecard_json = NULL, overall_level = NULL, \
             overall_score = NULL WHERE id = ?1",
            [&id],
        )
        .unwrap();
    let events = count(
        &db,
        "SELECT COUNT(*) FROM events WHERE session_id = ?1",
        &id,
    );

    let resumed = sb.run_stdin(&["--db", s(&db), "resume", "--answers", "-"], b"x\n---\n");
    resumed.expect_code(0);
    assert!(
        resumed.stdout.ends_with(card),
        "the resumed run ends with the same scorecard:\n{}\n--- stderr:\n{}",
        resumed.stdout,
        resumed.stderr
    );
    assert!(
        resumed.stderr.contains("already ended") && resumed.stderr.contains("not used"),
        "{}",
        resumed.stderr
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM events WHERE session_id = ?1",
            &id
        ),
        events,
        "nothing is appended to a finished interview"
    );
    let history = sb.run(&["--db", s(&db), "history"]);
    assert!(history.stdout.contains("finished"), "{}", history.stdout);
    let progress = sb.run(&["--db", s(&db), "progress"]);
    assert!(
        progress.stdout.contains("1 finished"),
        "{}",
        progress.stdout
    );
    // A second resume says it is finished, as for any finished interview.
    let again = sb.run_stdin(&["--db", s(&db), "resume", &id, "--answers", "-"], b"");
    again.expect_code(2);
    assert!(
        again.one_line_error().contains("is finished"),
        "{}",
        again.stderr
    );
}

/// Spawns a scripted interview fed through a pipe; returns the child, its stdin and a channel
/// of its stdout lines.
fn spawn_piped(
    sb: &Sandbox,
    db: &Path,
    seed: &str,
) -> (
    std::process::Child,
    std::process::ChildStdin,
    mpsc::Receiver<String>,
) {
    let mut child = sb
        .cmd(&[
            "--db",
            s(db),
            "practice",
            "--scenario",
            "late-arrivals",
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
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, stdin, rx)
}

#[track_caller]
fn wait_for_reply(rx: &mpsc::Receiver<String>) {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a reply within 20 s");
        if line.starts_with("Interviewer:") {
            return;
        }
    }
}

#[test]
fn sigkill_right_after_the_last_answer_leaves_every_interview_finishable() {
    let sb = Sandbox::new();
    let db = sb.home().join("kill.db");
    let answer = "How many events a day, and how late can they arrive?";
    // Delays in microseconds after `/end` is sent: the finish commit lands in this window.
    let delays_us = [0u64, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000];
    let started = Instant::now();
    let mut outcomes = Vec::new();
    for (trial, delay) in delays_us.iter().enumerate() {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the kill trials take too long"
        );
        let (mut child, mut stdin, rx) = spawn_piped(&sb, &db, &trial.to_string());
        wait_for_reply(&rx);
        writeln!(stdin, "{answer}\n---").unwrap();
        stdin.flush().unwrap();
        wait_for_reply(&rx);
        stdin.write_all(b"/end\n---\n").unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_micros(*delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        drop(stdin);
    }
    let conn = sql(&db);
    let ids: Vec<(String, String, Option<String>)> = conn
        .prepare("SELECT id, status, scorecard_json FROM sessions ORDER BY created_ms")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids.len(), delays_us.len(), "one session per trial");
    for (id, status, card) in &ids {
        let outcome = if status == "finished" {
            assert!(card.is_some(), "finished session `{id}` has its scorecard");
            "finished"
        } else {
            let resumed = sb.run_stdin(&["--db", s(&db), "resume", id, "--answers", "-"], b"");
            resumed.expect_code(0);
            assert!(
                resumed.stdout.contains("## Scorecard"),
                "session `{id}` resumes to a scorecard:\n{}",
                resumed.stderr
            );
            "resumed"
        };
        outcomes.push(outcome);
        let export = sb.run(&["--db", s(&db), "export", id, "--format", "json"]);
        export.expect_code(0);
        let v: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
        assert_eq!(v["status"], "finished", "session `{id}`");
        let turns = v["turns"].as_array().unwrap();
        let said = |text: &str| turns.iter().filter(|t| t["text"] == text).count();
        assert_eq!(said(answer), 1, "session `{id}` has the answer once");
        assert_eq!(said("/end"), 1, "session `{id}` ends once");
        let wrap_ups = turns.iter().filter(|t| t["act"] == "wrap_up").count();
        assert_eq!(wrap_ups, 1, "session `{id}` has one wrap-up");
    }
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    eprintln!(
        "kill trials (delay µs → outcome): {:?}",
        delays_us.iter().zip(&outcomes).collect::<Vec<_>>()
    );
}
