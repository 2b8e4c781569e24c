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
    let mut child = sb
        .cmd(&["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
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

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
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
