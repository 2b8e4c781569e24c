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
    let run = sb.run_stdin(&scripted_run(s(&db)), SHORT_ANSWERS);
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

/// Writes an SQLite file the way another program would, and closes it.
fn foreign_db(path: &Path, sql_text: &str) -> Vec<u8> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(sql_text).unwrap();
    drop(conn);
    std::fs::read(path).unwrap()
}

/// The application id in an SQLite header (bytes 68..72, big-endian).
fn application_id(path: &Path) -> [u8; 4] {
    let bytes = std::fs::read(path).unwrap();
    bytes[68..72].try_into().unwrap()
}

#[test]
fn another_programs_sqlite_file_is_refused_and_left_byte_for_byte() {
    let sb = Sandbox::new();
    let cases = [
        (
            "contacts.db",
            "CREATE TABLE contacts (name TEXT, phone TEXT); INSERT INTO contacts VALUES ('Ada', '555');",
            "`contacts`",
        ),
        (
            "tracker.db",
            "CREATE TABLE sessions (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO sessions (title) VALUES ('gym');",
            "`sessions`",
        ),
        (
            "versioned.db",
            "CREATE TABLE notes (body TEXT); PRAGMA user_version = 7;",
            "`notes`",
        ),
        (
            "marked.db",
            "PRAGMA application_id = 1234; CREATE TABLE t (x);",
            "application_id",
        ),
    ];
    for (name, setup, why) in cases {
        let path = sb.home().join(name);
        let before = foreign_db(&path, setup);
        let db = s(&path);
        let runs = [
            sb.run(&["--db", db, "history"]),
            sb.run(&["--db", db, "progress"]),
            sb.run(&["--db", db, "export", "last"]),
            sb.run_stdin(&["--db", db, "practice", "--answers", "-"], b"/end\n"),
            sb.run(&["--db", db, "resume"]),
        ];
        for run in runs {
            run.expect_code(2);
            let line = run.one_line_error();
            assert!(
                line.contains(&format!("`{}`", path.display()))
                    && line.contains("not a pipeprep database")
                    && line.contains(why)
                    && line.contains("--db"),
                "{line}"
            );
        }
        assert!(
            std::fs::read(&path).unwrap() == before,
            "{name} is unchanged, byte for byte"
        );
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        assert!(!Path::new(&wal).exists(), "{name} was not switched to WAL");
    }
}

#[test]
fn an_empty_file_becomes_a_pipeprep_database_marked_as_such() {
    let sb = Sandbox::new();
    let path = sb.home().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    sb.run_stdin(&["--db", s(&path), "practice", "--answers", "-"], b"/end\n")
        .expect_code(0);
    assert_eq!(&application_id(&path), b"PPRP");
    let history = sb.run(&["--db", s(&path), "history"]);
    history.expect_code(0);
    assert!(history.stdout.contains("finished"), "{}", history.stdout);
}

#[test]
fn a_database_from_an_older_pipeprep_is_read_as_it_is_and_marked_at_the_first_write() {
    let sb = Sandbox::new();
    let path = sb.home().join("old.db");
    // Schema version 3, as pipeprep wrote it before it set an application id.
    let before = foreign_db(
        &path,
        "CREATE TABLE sessions (id TEXT PRIMARY KEY, scenario TEXT NOT NULL, config_json TEXT NOT NULL, \
           created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'active', \
           last_at_ms INTEGER NOT NULL DEFAULT 0, scorecard_json TEXT, overall_level TEXT, overall_score INTEGER, \
           llm_model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, offline_turns INTEGER, llm_reviewed INTEGER);
         CREATE INDEX sessions_by_created ON sessions(created_ms);
         CREATE TABLE events (session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, seq INTEGER NOT NULL, \
           at_ms INTEGER NOT NULL, event_json TEXT NOT NULL, PRIMARY KEY (session_id, seq));
         CREATE TABLE turns (session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, idx INTEGER NOT NULL, \
           speaker TEXT NOT NULL, text TEXT NOT NULL, phase TEXT NOT NULL, act TEXT, voice TEXT, PRIMARY KEY (session_id, idx));
         INSERT INTO sessions (id, scenario, config_json, created_ms, updated_ms) \
           VALUES ('0ld5e55n', 'late-arrivals', '{}', 1, 1);
         PRAGMA user_version = 3;",
    );
    let history = sb.run(&["--db", s(&path), "history"]);
    history.expect_code(0);
    assert!(history.stdout.contains("0ld5e55n"), "{}", history.stdout);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "reading writes nothing"
    );
    sb.run_stdin(&["--db", s(&path), "practice", "--answers", "-"], b"/end\n")
        .expect_code(0);
    assert_eq!(
        &application_id(&path),
        b"PPRP",
        "adopted at the first write"
    );
    let history = sb.run(&["--db", s(&path), "history"]);
    assert!(
        history.stdout.contains("0ld5e55n") && history.stdout.contains("finished"),
        "{}",
        history.stdout
    );
}

/// The arguments of a scripted clickstream interview (seed 5, answers on stdin) into `db`.
fn scripted_run(db: &str) -> [&str; 9] {
    [
        "--db",
        db,
        "practice",
        "--scenario",
        "clickstream-analytics",
        "--seed",
        "5",
        "--answers",
        "-",
    ]
}

/// Runs one practice interview to the end in the sandbox's default database.
fn finished_interview(sb: &Sandbox, db: &Path) -> String {
    let run = sb.run_stdin(&scripted_run(s(db)), SHORT_ANSWERS);
    run.expect_code(0);
    session_id(&run.stderr)
}

/// Holds SQLite's write lock on `db` from this test process, as another program would.
fn hold_write_lock(db: &Path) -> rusqlite::Connection {
    let conn = sql(db);
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

#[test]
fn reading_commands_work_beside_a_writer_that_holds_the_lock() {
    let sb = Sandbox::new();
    let db = sb.home().join("p.db");
    let id = finished_interview(&sb, &db);
    let _lock = hold_write_lock(&db);
    for args in [
        vec!["history"],
        vec!["progress"],
        vec!["export", "last", "--format", "json"],
    ] {
        let started = Instant::now();
        let mut full = vec!["--db", s(&db)];
        full.extend(args.iter().copied());
        let run = sb.run(&full);
        run.expect_code(0);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{args:?} did not wait for the writer"
        );
        if args[0] != "progress" {
            assert!(run.stdout.contains(&id), "{args:?}: {}", run.stdout);
        }
    }
}

#[test]
fn a_lock_held_by_another_program_is_blamed_on_that_program() {
    let sb = Sandbox::new();
    let db = sb.home().join("p.db");
    finished_interview(&sb, &db);
    let _lock = hold_write_lock(&db);
    let run = sb.run_stdin(&["--db", s(&db), "practice", "--answers", "-"], b"/end\n");
    run.expect_code(1);
    assert!(
        run.stderr.contains("locked by `")
            && run
                .stderr
                .contains(&format!("(pid {})", std::process::id())),
        "names this test process as the holder:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("another pipeprep"), "{}", run.stderr);
}

#[test]
fn a_scripted_answer_blocked_by_a_lock_says_it_was_not_saved_and_how_to_continue() {
    let sb = Sandbox::new();
    let db = sb.home().join("p.db");
    let (mut child, mut stdin, rx) = spawn_piped(&sb, &db, "4");
    wait_for_reply(&rx);
    let answer = "How many events a day, and how late can they arrive?";
    let lock = hold_write_lock(&db);
    writeln!(stdin, "{answer}\n---").unwrap();
    stdin.flush().unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    drop(lock);
    assert_eq!(status.code(), Some(1), "{stderr}");
    let id = session_id(&stderr);
    assert!(
        stderr.contains("answer 1 of the script was not saved")
            && stderr.contains(&format!("pipeprep resume {id} --answers"))
            && stderr.contains(&format!("(pid {})", std::process::id())),
        "{stderr}"
    );
    assert!(
        !stderr.contains("try again"),
        "the process has exited:\n{stderr}"
    );
    // Once the other program has finished, resume continues from that answer.
    let resumed = sb.run_stdin(
        &["--db", s(&db), "resume", &id, "--answers", "-"],
        format!("{answer}\n---\n/end\n").as_bytes(),
    );
    resumed.expect_code(0);
    assert_eq!(
        resumed
            .stdout
            .matches(&format!("Candidate: {answer}"))
            .count(),
        1,
        "{}",
        resumed.stdout
    );
    assert!(resumed.stdout.contains("## Scorecard"));
}

/// A private mount namespace with a small tmpfs of its own, so a test can fill a disk or make it
/// read-only, even as root (for whom permissions do not stop writes). `None`, with the reason
/// printed, when this machine does not allow it (no `unshare`/`nsenter`, or no privilege).
struct Ns {
    /// The process that keeps the namespace alive: `sleep`, started by this test.
    keeper: std::process::Child,
    /// The tmpfs mount point (its path is the same inside and outside the namespace).
    dir: std::path::PathBuf,
}

impl Ns {
    fn new(sb: &Sandbox, size: &str) -> Option<Ns> {
        let dir = sb.dir("small-disk");
        let script = format!(
            "mount -t tmpfs -o size={size} tmpfs '{}' && echo mounted && exec sleep 120",
            dir.display()
        );
        let child = std::process::Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                eprintln!("SKIPPED: cannot run `unshare` ({e}); this test needs a mount namespace");
                return None;
            }
        };
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if line.trim() != "mounted" {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            eprintln!(
                "SKIPPED: cannot mount a tmpfs in a private mount namespace here ({}); this test needs it",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(Ns { keeper: child, dir })
    }

    /// A command run inside the namespace.
    fn cmd(&self, program: &str, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new("nsenter");
        c.arg(format!("--mount=/proc/{}/ns/mnt", self.keeper.id()))
            .arg("--")
            .arg(program)
            .args(args);
        c
    }

    /// Runs a shell command inside the namespace and panics unless it succeeds.
    #[track_caller]
    fn sh(&self, script: &str) {
        let out = self.cmd("sh", &["-c", script]).output().unwrap();
        assert!(
            out.status.success(),
            "`{script}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `pipeprep ARGS` inside the namespace, with the sandbox's environment.
    fn pipeprep(&self, sb: &Sandbox, args: &[&str], input: &[u8]) -> crate::common::Run {
        let base = sb.cmd(args);
        let mut c = self.cmd(crate::common::BIN, args);
        for (k, v) in base.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.current_dir(base.get_current_dir().unwrap());
        crate::common::run_with_stdin(c, input)
    }

    fn fill(&self) {
        // dd stops at "no space left"; that is the point.
        let _ = self
            .cmd(
                "dd",
                &[
                    "if=/dev/zero",
                    &format!("of={}/filler", self.dir.display()),
                    "bs=4096",
                ],
            )
            .output();
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        // Ends only the keeper this test started; the namespace and its tmpfs go with it.
        let _ = self.keeper.kill();
        let _ = self.keeper.wait();
    }
}

#[test]
fn on_a_full_disk_reading_works_and_writing_says_the_disk_is_full() {
    let sb = Sandbox::new();
    let Some(ns) = Ns::new(&sb, "1m") else {
        return;
    };
    let db = ns.dir.join("p.db");
    let dbs = s(&db);
    let args = scripted_run(dbs);
    ns.pipeprep(&sb, &args, SHORT_ANSWERS).expect_code(0);
    ns.pipeprep(&sb, &args, b"What is the peak?\n---\n/quit\n")
        .expect_code(0);
    ns.fill();
    let history = ns.pipeprep(&sb, &["--db", dbs, "history"], b"");
    history.expect_code(0);
    assert!(
        history.stdout.contains("finished") && history.stdout.contains("active"),
        "{}",
        history.stdout
    );
    ns.pipeprep(
        &sb,
        &["--db", dbs, "export", "last", "--format", "json"],
        b"",
    )
    .expect_code(0);
    let progress = ns.pipeprep(&sb, &["--db", dbs, "progress"], b"");
    progress.expect_code(0);
    assert!(
        progress.stdout.contains("1 finished"),
        "{}",
        progress.stdout
    );
    for run in [
        ns.pipeprep(&sb, &args, b"/end\n"),
        ns.pipeprep(&sb, &["--db", dbs, "resume", "--answers", "-"], b"/end\n"),
    ] {
        run.expect_code(1);
        assert!(
            run.stderr
                .contains(&format!("the disk holding `{dbs}` is full")),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("disk I/O error"), "{}", run.stderr);
    }
}

#[test]
fn a_disk_that_fills_mid_interview_fails_that_answer_and_resume_continues_from_it() {
    let sb = Sandbox::new();
    let Some(ns) = Ns::new(&sb, "1m") else {
        return;
    };
    let db = ns.dir.join("p.db");
    let dbs = s(&db);
    let mut child = ns
        .cmd(
            crate::common::BIN,
            &[
                "--db",
                dbs,
                "practice",
                "--scenario",
                "late-arrivals",
                "--seed",
                "2",
                "--answers",
                "-",
            ],
        )
        .env("PIPEPREP_HOME", sb.home())
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
    wait_for_reply(&rx);
    let first = "How many events a day, and what does the peak look like?";
    let second = "How late can events arrive, and what latency do the dashboards need?";
    writeln!(stdin, "{first}\n---").unwrap();
    stdin.flush().unwrap();
    wait_for_reply(&rx);
    ns.fill();
    writeln!(stdin, "{second}\n---\n/end\n---").unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let id = session_id(&stderr);
    assert!(
        stderr.contains("answer 2 of the script was not saved")
            && stderr.contains(&format!("the disk holding `{dbs}` is full"))
            && stderr.contains(&format!("pipeprep resume {id} --answers")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    ns.sh(&format!("rm {}/filler", ns.dir.display()));
    let resumed = ns.pipeprep(
        &sb,
        &["--db", dbs, "resume", &id, "--answers", "-"],
        format!("{second}\n---\n/end\n").as_bytes(),
    );
    resumed.expect_code(0);
    assert_eq!(
        resumed
            .stdout
            .matches(&format!("Candidate: {first}"))
            .count(),
        1,
        "{}",
        resumed.stdout
    );
    assert_eq!(
        resumed
            .stdout
            .matches(&format!("Candidate: {second}"))
            .count(),
        1,
        "{}",
        resumed.stdout
    );
    assert!(resumed.stdout.contains("## Scorecard"));
}

#[test]
fn on_a_read_only_file_system_reading_works_and_writing_says_it_cannot_write() {
    let sb = Sandbox::new();
    let Some(ns) = Ns::new(&sb, "4m") else {
        return;
    };
    let db = ns.dir.join("p.db");
    let dbs = s(&db);
    let args = scripted_run(dbs);
    ns.pipeprep(&sb, &args, SHORT_ANSWERS).expect_code(0);
    ns.sh(&format!("mount -o remount,ro '{}'", ns.dir.display()));
    let history = ns.pipeprep(&sb, &["--db", dbs, "history"], b"");
    history.expect_code(0);
    assert!(history.stdout.contains("finished"), "{}", history.stdout);
    let export = ns.pipeprep(&sb, &["--db", dbs, "export", "last"], b"");
    export.expect_code(0);
    assert!(export.stdout.contains("## Scorecard"), "{}", export.stdout);
    ns.pipeprep(&sb, &["--db", dbs, "progress"], b"")
        .expect_code(0);
    let practice = ns.pipeprep(&sb, &args, b"/end\n");
    practice.expect_code(1);
    assert!(
        practice
            .stderr
            .contains(&format!("cannot write to `{dbs}`")),
        "{}",
        practice.stderr
    );
}
