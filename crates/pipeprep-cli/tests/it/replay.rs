//! The regression corpus of real model replies: `scripts/llm-eval --record` saved what a real
//! local model (Qwen2.5-Coder-1.5B-Instruct on two CPU cores) wrote for each act of scripted
//! interviews. A test server on 127.0.0.1 plays those replies back — streamed in small pieces,
//! stopped at the token limit where the model was — and the real binary runs the same
//! interviews. Whatever the engine asks, every turn the candidate sees must be free of what the
//! guard exists to stop, and must convey what the engine had to convey.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pipeprep_core::essentials;
use pipeprep_llm::guard;

use crate::common::{Sandbox, repo_root};

#[derive(serde::Deserialize)]
struct Fixture {
    model: String,
    scenario: String,
    seed: u64,
    answers: String,
    turns: Vec<Recorded>,
    opinion: Option<String>,
}

#[derive(serde::Deserialize, Clone)]
struct Recorded {
    act: String,
    reply: String,
    truncated: bool,
}

fn fixtures() -> Vec<(PathBuf, Fixture)> {
    let dir = repo_root().join("crates/pipeprep-cli/tests/fixtures/llm-replies");
    let mut out: Vec<(PathBuf, Fixture)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let f: Fixture =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, f)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Plays recorded replies back: a voice request gets the next unused reply recorded for its act
/// (the engine may ask in another order than when it was recorded), else the next unused one of
/// any act; the second opinion gets the recorded opinion.
struct Replay {
    url: String,
    /// (act, truncated) of every voice reply served, in order.
    served: Arc<Mutex<Vec<(String, bool)>>>,
}

impl Replay {
    fn start(f: &Fixture) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let mut by_act: BTreeMap<String, VecDeque<Recorded>> = BTreeMap::new();
        for t in &f.turns {
            by_act
                .entry(t.act.clone())
                .or_default()
                .push_back(t.clone());
        }
        let queues = Arc::new(Mutex::new(by_act));
        let opinion = f.opinion.clone().unwrap_or_else(|| "{}".into());
        let served = Arc::new(Mutex::new(Vec::new()));
        let rec = Arc::clone(&served);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (q, o, r) = (Arc::clone(&queues), opinion.clone(), Arc::clone(&rec));
                std::thread::spawn(move || serve(conn, &q, &o, &r));
            }
        });
        Replay { url, served }
    }
}

fn read_body(conn: &TcpStream) -> Option<serde_json::Value> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn serve(
    conn: TcpStream,
    queues: &Mutex<BTreeMap<String, VecDeque<Recorded>>>,
    opinion: &str,
    served: &Mutex<Vec<(String, bool)>>,
) {
    let Some(body) = read_body(&conn) else { return };
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    let (text, truncated) = if last.contains("Engine levels:") {
        (opinion.to_string(), false)
    } else {
        let act = last
            .split_once("(act `")
            .and_then(|(_, r)| r.split_once('`'))
            .map_or(String::new(), |(a, _)| a.to_string());
        let mut q = queues.lock().unwrap();
        let pick = q
            .get_mut(&act)
            .and_then(VecDeque::pop_front)
            .or_else(|| q.values_mut().find_map(VecDeque::pop_front));
        let Some(r) = pick else {
            // Out of recorded replies: say so the way a server would.
            let b = "{\"error\":{\"message\":\"replay exhausted\"}}";
            let mut conn = conn;
            let _ = write!(
                conn,
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{b}",
                b.len()
            );
            return;
        };
        served.lock().unwrap().push((act, r.truncated));
        (r.reply, r.truncated)
    };
    // Small pieces, as a real server streams tokens.
    let mut sse = String::new();
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(4) {
        let p: String = piece.iter().collect();
        let chunk =
            serde_json::json!({"choices":[{"index":0,"delta":{"content":p},"finish_reason":null}]});
        sse.push_str(&format!("data: {chunk}\n\n"));
    }
    let reason = if truncated { "length" } else { "stop" };
    let end = serde_json::json!({"choices":[{"index":0,"delta":{},"finish_reason":reason}]});
    sse.push_str(&format!("data: {end}\n\ndata: [DONE]\n\n"));
    let mut conn = conn;
    let _ = write!(
        conn,
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{sse}",
        sse.len()
    );
}

/// Interviewer turns of the newest session: (act, voice, text).
fn interviewer_turns(sb: &Sandbox) -> Vec<(String, String, String)> {
    let export = sb.run(&["export", "last", "--format", "json"]);
    export.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    v["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["speaker"] == "interviewer")
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or_default().to_string();
            (s("act"), s("voice"), s("text"))
        })
        .collect()
}

#[test]
fn real_model_replies_replayed_never_show_what_the_guard_stops() {
    let all = fixtures();
    assert!(
        !all.is_empty(),
        "no recorded replies in tests/fixtures/llm-replies"
    );
    let echo = guard::EchoCheck::new(
        &[pipeprep_app::voice::SYSTEM_PROMPT],
        pipeprep_app::voice::NOTE_HEADINGS,
    );
    for (path, f) in all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let answers = repo_root().join(&f.answers);
        let seed = f.seed.to_string();
        let base = [
            "practice",
            "--scenario",
            f.scenario.as_str(),
            "--seed",
            seed.as_str(),
            "--answers",
            answers.to_str().unwrap(),
        ];
        // The engine's own phrasing of the same interview, turn by turn.
        let offline_sb = Sandbox::new();
        offline_sb.run(&base).expect_code(0);
        let offline = interviewer_turns(&offline_sb);

        let server = Replay::start(&f);
        let sb = Sandbox::new();
        let spec = format!("openai-compatible:{}@{}", f.model, server.url);
        let mut args = base.to_vec();
        args.extend(["--llm", spec.as_str()]);
        let run = sb.run(&args);
        run.expect_code(0);
        assert!(run.stdout.contains("Scorecard"), "{name}: {}", run.stdout);
        let said = interviewer_turns(&sb);
        assert_eq!(said.len(), offline.len(), "{name}: same interview");
        let served = server.served.lock().unwrap().clone();
        // Every number said anywhere in the engine's own interview (the scenario, requirements,
        // the candidate's answers): a shown turn may state no other.
        let known: Vec<f64> = offline
            .iter()
            .flat_map(|(_, _, t)| pipeprep_core::number_values(t))
            .chain(
                std::fs::read_to_string(&answers)
                    .map(|a| pipeprep_core::number_values(&a))
                    .unwrap_or_default(),
            )
            .collect();
        let mut voiced = 0;
        for (i, ((act, voice, text), (_, _, engine))) in said.iter().zip(&offline).enumerate() {
            let at = format!("{name}, interviewer turn {}: {text:?}", i + 1);
            assert!(!guard::speaks_for_candidate(text), "label shown: {at}");
            assert!(!guard::narrates(text), "narration shown: {at}");
            assert!(!guard::signs_off(text), "sign-off shown: {at}");
            assert!(!guard::has_placeholder(text), "placeholder shown: {at}");
            assert!(!echo.echoes(text), "prompt echo shown: {at}");
            assert!(!guard::has_table(text), "table shown: {at}");
            if act != "hint" && act != "wrap_up" {
                assert!(
                    !guard::lectures(text),
                    "worked answer as a list shown: {at}"
                );
            }
            for v in pipeprep_core::number_values(text) {
                assert!(
                    v <= 2.0 || known.iter().any(|k| (k - v).abs() <= k.abs() * 0.01),
                    "a number nobody gave ({v}) shown: {at}"
                );
            }
            let act_value: pipeprep_core::Act =
                serde_json::from_value(serde_json::Value::String(act.clone())).unwrap();
            for e in essentials(act_value, engine) {
                assert!(e.conveyed_by(text), "not conveyed ({:?}): {at}", e.sentence);
            }
            if voice != "offline" {
                voiced += 1;
            }
            // A reply stopped at the token limit never shows its unfinished sentence.
            if served.get(i).is_some_and(|s| s.1) && voice == "llm" {
                assert!(
                    guard::ends_sentence(text),
                    "unfinished sentence shown: {at}"
                );
            }
        }
        assert!(
            voiced > 0,
            "{name}: the model's words reached the screen at least once"
        );
    }
}
