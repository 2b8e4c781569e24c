//! `pipeprep serve` as a user runs it: it says where it listens and that it is loopback-only,
//! answers, and stops cleanly on SIGTERM; a port that is taken is bad usage (exit 2).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::Sandbox;

#[test]
fn serve_prints_its_loopback_url_answers_and_stops_on_sigterm() {
    let sb = Sandbox::new();
    let (mut child, mut out) = spawn_serve(sb.cmd(&["serve", "--addr", "127.0.0.1:0"]));
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let mut second = String::new();
    out.read_line(&mut second).unwrap();
    let url = first
        .trim()
        .strip_prefix("pipeprep is serving ")
        .unwrap_or_else(|| panic!("{first}"));
    assert!(second.starts_with("loopback only"), "{second}");
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();

    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET /api/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.trim_end().ends_with("[]"), "{resp}");

    let status = stop_with_sigterm(&mut child);
    assert!(status.success(), "{status:?}");
}

/// A script that starts the server, reads the banner and stops it at once must see a clean
/// stop every time, never the default death by signal (CI once caught a SIGTERM landing
/// between the banner and the handler).
#[test]
fn sigterm_straight_after_the_banner_is_a_clean_stop() {
    let sb = Sandbox::new();
    for round in 0..20 {
        let (mut child, mut out) = spawn_serve(sb.cmd(&["serve", "--addr", "127.0.0.1:0"]));
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert!(first.starts_with("pipeprep is serving"), "{first}");
        let status = stop_with_sigterm(&mut child);
        assert!(status.success(), "round {round}: {status:?}");
    }
}

#[test]
fn a_taken_port_is_bad_usage_with_one_line() {
    let sb = Sandbox::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let run = sb.run(&["serve", "--addr", &addr]);
    run.expect_code(2);
    assert!(
        run.one_line_error().contains("cannot listen on"),
        "{}",
        run.one_line_error()
    );
}

#[test]
fn no_signup_without_a_team_database_is_bad_usage() {
    let sb = Sandbox::new();
    let run = sb.run(&["serve", "--addr", "127.0.0.1:0", "--no-signup"]);
    run.expect_code(2);
    assert!(
        run.one_line_error().contains("--database-url"),
        "{}",
        run.one_line_error()
    );
}

/// Starts `pipeprep serve` as `cmd` says, with its output piped; returns it and its stdout.
fn spawn_serve(
    mut cmd: std::process::Command,
) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

/// Sends SIGTERM, as a service manager stops a server, and waits (up to 15 s) for the exit.
fn stop_with_sigterm(child: &mut std::process::Child) -> std::process::ExitStatus {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends one HTTP/1.1 request and returns the whole answer.
fn http(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp
}

#[test]
fn serve_with_a_team_database_says_so_and_requires_a_login() {
    let Some(url) = crate::users::cluster() else {
        return;
    };
    let sb = Sandbox::new();
    let mut cmd = sb.cmd(&["serve", "--addr", "127.0.0.1:0", "--no-signup"]);
    cmd.env("PIPEPREP_DATABASE_URL", &url);
    let (mut child, mut out) = spawn_serve(cmd);
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(line);
    }
    assert!(lines[0].contains("in multi-user mode"), "{lines:?}");
    assert!(lines[1].starts_with("database: "), "{lines:?}");
    assert!(lines[2].contains("signup: closed"), "{lines:?}");
    let addr = lines[0]
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();

    let resp = http(
        &addr,
        "GET /api/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(resp.starts_with("HTTP/1.1 401"), "{resp}");
    let body = r#"{"username": "someone", "password": "long enough pw"}"#;
    let resp = http(
        &addr,
        &format!(
            "POST /api/signup HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    assert!(resp.contains("pipeprep users add"), "{resp}");

    let status = stop_with_sigterm(&mut child);
    assert!(status.success(), "{status:?}");
}
