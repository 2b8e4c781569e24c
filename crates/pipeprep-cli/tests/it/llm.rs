//! The LLM voice end to end: a recording OpenAI-compatible server on 127.0.0.1 (plain threads and
//! std::net, one request per connection) answers every chat completion, and the real binary runs
//! a scripted interview against it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::common::{CLICKSTREAM_ANSWERS, Sandbox, bank_file};

/// Every interviewer message the server writes starts with this.
const MARKER: &str = "LLMVOICE";

/// The provider wire format the server speaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wire {
    OpenAi,
    Anthropic,
    Ollama,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Stream back the marker, the act and what the engine asked to convey.
    Echo,
    /// Always answer 500.
    Fail,
}

struct Server {
    url: String,
    wire: Wire,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Server {
    fn start(mode: Mode) -> Server {
        Server::start_wire(mode, Wire::OpenAi)
    }

    fn start_wire(mode: Mode, wire: Wire) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let url = match wire {
            Wire::Ollama => format!("http://{addr}"),
            _ => format!("http://{addr}/v1"),
        };
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let rec = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let rec = Arc::clone(&rec);
                std::thread::spawn(move || serve(conn, mode, wire, &rec));
            }
        });
        Server { url, wire, bodies }
    }

    fn spec(&self) -> String {
        self.spec_model("test")
    }

    fn spec_model(&self, model: &str) -> String {
        let provider = match self.wire {
            Wire::OpenAi => "openai-compatible",
            Wire::Anthropic => "anthropic",
            Wire::Ollama => "ollama",
        };
        format!("{provider}:{model}@{}", self.url)
    }

    fn requests(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// Reads one HTTP request and returns its JSON body.
fn read_request(conn: &TcpStream) -> Option<serde_json::Value> {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
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
    Some(serde_json::from_slice(&body).unwrap_or_default())
}

fn serve(conn: TcpStream, mode: Mode, wire: Wire, rec: &Mutex<Vec<serde_json::Value>>) {
    let Some(json) = read_request(&conn) else {
        return;
    };
    rec.lock().unwrap().push(json.clone());
    let mut conn = conn;
    if mode == Mode::Fail {
        let b = "{\"error\":{\"message\":\"boom\"}}";
        let _ = write!(
            conn,
            "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{b}",
            b.len()
        );
        return;
    }
    let reply = echo_reply(&json);
    // Two deltas, as a real stream would send them.
    let mid = reply
        .char_indices()
        .nth(reply.chars().count() / 2)
        .map_or(0, |(i, _)| i);
    let parts = [&reply[..mid], &reply[mid..]];
    let (content_type, stream) = match wire {
        Wire::OpenAi => {
            let mut sse = String::new();
            for part in parts {
                let chunk = serde_json::json!({"choices":[{"index":0,"delta":{"content":part}}]});
                sse.push_str(&format!("data: {chunk}\n\n"));
            }
            sse.push_str("data: [DONE]\n\n");
            ("text/event-stream", sse)
        }
        Wire::Anthropic => {
            let event =
                |name: &str, data: serde_json::Value| format!("event: {name}\ndata: {data}\n\n");
            let mut sse = event(
                "message_start",
                serde_json::json!({"type":"message_start","message":{"usage":{"input_tokens":100,"output_tokens":1}}}),
            );
            sse.push_str(&event(
                "content_block_start",
                serde_json::json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
            ));
            for part in parts {
                sse.push_str(&event(
                    "content_block_delta",
                    serde_json::json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":part}}),
                ));
            }
            sse.push_str(&event(
                "content_block_stop",
                serde_json::json!({"type":"content_block_stop","index":0}),
            ));
            sse.push_str(&event(
                "message_delta",
                serde_json::json!({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":20}}),
            ));
            sse.push_str(&event(
                "message_stop",
                serde_json::json!({"type":"message_stop"}),
            ));
            ("text/event-stream", sse)
        }
        Wire::Ollama => {
            let mut nd = String::new();
            for part in parts {
                nd.push_str(&format!(
                    "{}\n",
                    serde_json::json!({"model":"test","message":{"role":"assistant","content":part},"done":false})
                ));
            }
            nd.push_str(&format!(
                "{}\n",
                serde_json::json!({"model":"test","message":{"role":"assistant","content":""},"done":true,"prompt_eval_count":100,"eval_count":20})
            ));
            ("application/x-ndjson", nd)
        }
    };
    let _ = write!(
        conn,
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{stream}",
        stream.len()
    );
}

/// The last user message of a recorded request.
fn user_text(body: &serde_json::Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn system_text(body: &serde_json::Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "system"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The dimension the fake second opinion raises one step, quoting the candidate's cost answer
/// (the practice answers' "For cost: …" turn); the engine rates it below expert.
const RAISED: (&str, &str) = ("cost_awareness", "Cost awareness");
/// The dimension it proposes a step for with a quote nobody typed.
const INVENTED: (&str, &str) = ("requirements_extraction", "Requirements extraction");

/// The second opinion: one step up for [`RAISED`] with a real quote, one step for [`INVENTED`]
/// with an invented quote (which must be refused).
fn opinion_reply(u: &str) -> String {
    let dims: Vec<(String, String)> = u
        .split_once("Engine levels:\n")
        .map(|(_, r)| r)
        .unwrap_or_default()
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| {
            let (id, rest) = l.split_once(": ")?;
            Some((id.to_string(), rest.split_whitespace().next()?.to_string()))
        })
        .collect();
    let (turn, text) = u
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("[turn ")?;
            let (n, text) = rest.split_once("] ")?;
            text.starts_with("For cost:")
                .then(|| Some((n.parse::<u64>().ok()?, text.to_string())))?
        })
        .expect("the cost answer in the opinion request");
    let end = text.find(['?', '.']).map_or(text.len(), |i| i + 1);
    let quote = &text[..end];
    let step = |level: &str| match level {
        "expert" => "intermediate",
        "intermediate" => "expert",
        _ => "intermediate",
    };
    let level = |id: &str| {
        dims.iter()
            .find(|(d, _)| d == id)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let mut out = serde_json::Map::new();
    out.insert(
        RAISED.0.into(),
        serde_json::json!({"level": step(&level(RAISED.0)), "turn": turn, "quote": quote}),
    );
    out.insert(
        INVENTED.0.into(),
        serde_json::json!({"level": step(&level(INVENTED.0)), "turn": turn, "quote": "words nobody ever typed here"}),
    );
    serde_json::json!({ "dimensions": out }).to_string()
}

fn is_opinion(body: &serde_json::Value) -> bool {
    // Every wire: the opinion request lists the engine's level per dimension.
    user_text(body).contains("Engine levels:")
}

fn echo_reply(body: &serde_json::Value) -> String {
    let u = user_text(body);
    if is_opinion(body) {
        return opinion_reply(&u);
    }
    let Some((_, convey)) = u.split_once("Must get across: ") else {
        return "ok".into(); // the health check
    };
    let act = u
        .split_once("(act `")
        .and_then(|(_, r)| r.split_once('`'))
        .map_or("?", |(a, _)| a)
        .to_string();
    let convey = convey
        .rsplit_once(']')
        .map_or(convey, |(c, _)| c)
        .replace('\n', " ");
    format!("{MARKER} [{act}] {convey}")
}

/// Characters a request sends the model (system prompt and every message).
fn request_chars(body: &serde_json::Value) -> usize {
    body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["content"].as_str().unwrap_or("").chars().count())
                .sum()
        })
        .unwrap_or(0)
}

fn tokens(chars: usize) -> usize {
    chars.div_ceil(4)
}

/// The transcript's turns (speaker, text) from a scripted run's output, up to the scorecard.
fn turns(out: &str) -> Vec<(bool, String)> {
    let mut turns: Vec<(bool, String)> = Vec::new();
    for line in out.lines().skip(3) {
        if line.contains("Scorecard") {
            break;
        }
        if let Some(t) = line.strip_prefix("Interviewer: ") {
            turns.push((true, t.to_string()));
        } else if let Some(t) = line.strip_prefix("Candidate: ") {
            turns.push((false, t.to_string()));
        } else if let Some(last) = turns.last_mut() {
            last.1.push('\n');
            last.1.push_str(line);
        }
    }
    turns
}

/// The arguments of a scripted clickstream interview (seed 7, the ten answers) voiced by `spec`.
fn practice_args(sb: &Sandbox, spec: &str) -> Vec<String> {
    let answers = sb.write("answers.txt", CLICKSTREAM_ANSWERS);
    [
        "practice",
        "--scenario",
        "clickstream-analytics",
        "--seed",
        "7",
        "--answers",
        answers.to_str().unwrap(),
        "--llm",
        spec,
    ]
    .map(str::to_string)
    .to_vec()
}

/// The newest session exported as JSON, and who worded each of its interviewer turns.
fn exported_voices(sb: &Sandbox) -> (serde_json::Value, Vec<String>) {
    let export = sb.run(&["export", "last", "--format", "json"]);
    export.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    let voices = v["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["speaker"] == "interviewer")
        .map(|t| t["voice"].as_str().unwrap_or("none").to_string())
        .collect();
    (v, voices)
}

/// Runs that interview; the Anthropic wire wants a key, the others ignore it.
fn practice(sb: &Sandbox, spec: &str) -> crate::common::Run {
    sb.run_env(
        &practice_args(sb, spec),
        &[("PIPEPREP_LLM_KEY", "test-key")],
    )
}

#[test]
fn llm_voices_every_interviewer_turn_with_a_compact_prompt() {
    let server = Server::start(Mode::Echo);
    let sb = Sandbox::new();
    let run = practice(&sb, &server.spec());
    run.expect_code(0);
    let out = &run.stdout;
    assert!(out.contains("Scorecard"), "no scorecard:\n{out}");
    assert!(
        out.contains("turns voiced by test, 0 offline"),
        "no LLM line:\n{out}"
    );
    assert!(
        out.contains("cost: no price in the table for test"),
        "{out}"
    );

    let turns = turns(out);
    let interviewer: Vec<&String> = turns.iter().filter(|t| t.0).map(|t| &t.1).collect();
    assert!(
        interviewer.len() >= 10,
        "{} interviewer turns",
        interviewer.len()
    );
    for t in &interviewer {
        assert!(
            t.starts_with(MARKER),
            "an interviewer turn not from the LLM: {t}"
        );
    }
    // The second opinion is one extra request at the end; the comparison is about the turns.
    let all = server.requests();
    assert_eq!(all.iter().filter(|r| is_opinion(r)).count(), 1);
    let requests: Vec<serde_json::Value> = all.into_iter().filter(|r| !is_opinion(r)).collect();
    assert_eq!(requests.len(), interviewer.len(), "one request per turn");

    // The naive client: a full system prompt (the persona plus the whole scenario as the bank
    // holds it — requirements, reference solution, rubric expectations, hints and failures, all
    // of which an LLM-run interview needs at some point) and the whole conversation so far, on
    // every turn. pipeprep sends the persona, a compact state, the act and the last few turns.
    let system = system_text(&requests[0]).chars().count()
        + bank_file("scenarios/clickstream-analytics.toml")
            .chars()
            .count();
    let mut naive = 0usize;
    let mut seen = 0usize;
    let mut history = 0usize;
    for (is_interviewer, text) in &turns {
        if *is_interviewer {
            naive += tokens(system + history);
            seen += 1;
        }
        history += text.chars().count();
    }
    assert_eq!(seen, requests.len());
    let sent: usize = requests.iter().map(|r| tokens(request_chars(r))).sum();
    let ratio = sent as f64 / naive as f64;
    eprintln!("prompt tokens: sent {sent}, naive {naive}, ratio {ratio:.3}");
    assert!(
        ratio <= 0.35,
        "prompt tokens sent {sent} vs naive {naive}: ratio {ratio:.3} > 0.35"
    );

    // A server with a prompt cache (llama.cpp, Ollama) reads only what a request does not share
    // with the one before: each turn's prompt extends the previous one, so that is the last
    // reply, the new answer and the notes, not the whole history again.
    let flat = |r: &serde_json::Value| -> Vec<char> {
        let mut out = Vec::new();
        for m in r["messages"].as_array().into_iter().flatten() {
            out.extend(format!("\n<{}>\n", m["role"].as_str().unwrap_or("")).chars());
            out.extend(m["content"].as_str().unwrap_or("").chars());
        }
        out
    };
    let mut read = 0usize;
    let mut whole = 0usize;
    let mut prev: Vec<char> = Vec::new();
    for r in &requests {
        let now = flat(r);
        let shared = prev.iter().zip(&now).take_while(|(a, b)| a == b).count();
        read += now.len() - shared;
        whole += now.len();
        prev = now;
    }
    let share = read as f64 / whole as f64;
    eprintln!("prompt characters: sent {whole}, new to a caching server {read} ({share:.3})");
    assert!(
        share <= 0.35,
        "a caching server would read {read} of {whole} prompt characters ({share:.3})"
    );

    // The stored session records the model and the tokens, and history shows them.
    let hist = sb.run(&["history"]);
    hist.expect_code(0);
    assert!(hist.stdout.contains("test ("), "{}", hist.stdout);

    // The second opinion: labelled, one dimension moved one step on a verified quote, the one
    // with an invented quote left at the engine's level.
    assert!(
        out.contains("Scored by the rubric engine + LLM (test)."),
        "{out}"
    );
    let offline = Sandbox::new();
    // The same interview without `--llm SPEC`.
    let mut args = practice_args(&offline, "");
    args.truncate(args.len() - 2);
    let engine = offline.run(&args);
    engine.expect_code(0);
    assert!(engine.stdout.contains("Scored by the rubric engine."));
    let level = |s: &str, title: &str| {
        s.lines()
            .find(|l| l.starts_with(&format!("| {title} |")))
            .and_then(|l| l.split('|').nth(2))
            .map(|l| l.trim().to_string())
            .unwrap_or_else(|| panic!("no row for {title}"))
    };
    let (first, second) = (RAISED.1, INVENTED.1);
    assert_ne!(level(&engine.stdout, first), "Expert", "precondition");
    assert_ne!(level(out, first), level(&engine.stdout, first), "moved");
    assert_eq!(
        level(out, second),
        level(&engine.stdout, second),
        "not moved"
    );

    // The export re-scores the engine's transcript, so it agrees with the live scorecard.
    let overall = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("Overall:"))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no Overall line:\n{s}"))
    };
    let export = sb.run(&["export", "last", "--format", "md"]);
    export.expect_code(0);
    assert_eq!(overall(&export.stdout), overall(out));
}

#[test]
fn a_dead_llm_means_an_offline_interview_said_once() {
    let server = Server::start(Mode::Fail);
    let sb = Sandbox::new();
    let run = practice(&sb, &server.spec());
    run.expect_code(0);
    assert!(run.stdout.contains("Scorecard"), "{}", run.stdout);
    let notice = "is not answering";
    assert_eq!(
        run.stderr.matches(notice).count(),
        1,
        "the notice once:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("continuing with the offline interviewer"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("second opinion"),
        "no second opinion is asked of a dead LLM:\n{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains(MARKER),
        "no LLM text when the LLM is down"
    );
    assert!(
        run.stdout.contains("0 turns voiced by test"),
        "{}",
        run.stdout
    );
    // Retries happen on the first turn only; later turns do not wait for a dead server.
    assert!(server.requests().len() <= 3, "{}", server.requests().len());
    // Every interviewer turn is recorded as said in the offline voice.
    let (v, voices) = exported_voices(&sb);
    assert!(
        !voices.is_empty() && voices.iter().all(|v| *v == "offline"),
        "{voices:?}"
    );
    assert_eq!(
        v["llm"]["offline_turns"].as_u64(),
        Some(voices.len() as u64)
    );
}

#[test]
fn llm_check_reports_model_and_latency() {
    let server = Server::start(Mode::Echo);
    let sb = Sandbox::new();
    let run = sb.run(&["llm", "check", "--llm", &server.spec()]);
    run.expect_code(0);
    assert!(run.stdout.contains("reachable: yes"), "{}", run.stdout);
    assert!(run.stdout.contains("model: test"), "{}", run.stdout);
    assert!(run.stdout.contains("latency: "), "{}", run.stdout);

    let dead = Server::start(Mode::Fail);
    let run = sb.run(&["llm", "check", "--llm", &dead.spec()]);
    run.expect_code(1);
    assert!(run.stdout.contains("reachable: no"), "{}", run.stdout);

    let run = sb.run(&["llm", "check", "--llm", "nonsense"]);
    run.expect_code(2);
}

/// The same whole interview over the Anthropic Messages and Ollama native wire formats.
#[test]
fn anthropic_and_ollama_wire_formats_voice_a_whole_interview() {
    for wire in [Wire::Anthropic, Wire::Ollama] {
        let server = Server::start_wire(Mode::Echo, wire);
        let sb = Sandbox::new();
        let spec = server.spec();
        let run = practice(&sb, &spec);
        run.expect_code(0);
        let out = &run.stdout;
        assert!(out.contains("Scorecard"), "{spec}: no scorecard:\n{out}");
        assert!(
            out.contains("turns voiced by test, 0 offline"),
            "{spec}: {out}"
        );
        let interviewer: Vec<String> = turns(out)
            .into_iter()
            .filter(|t| t.0)
            .map(|t| t.1)
            .collect();
        assert!(
            interviewer.len() >= 10,
            "{spec}: {} interviewer turns",
            interviewer.len()
        );
        for t in &interviewer {
            assert!(t.starts_with(MARKER), "{spec}: not voiced by the LLM: {t}");
        }
        assert!(
            out.contains("Scored by the rubric engine + LLM (test)"),
            "{spec}: second opinion label"
        );
        assert!(!server.requests().is_empty());
    }
}

/// A model in the price table gets a dollar figure at the end and in `history`, from the
/// provider's usage fields (the recorded Anthropic stream reports 100 tokens in, 20 out).
#[test]
fn a_priced_model_shows_its_cost_at_the_end_and_in_history() {
    let server = Server::start_wire(Mode::Echo, Wire::Anthropic);
    let sb = Sandbox::new();
    let run = practice(&sb, &server.spec_model("claude-3-5-haiku-20241022"));
    run.expect_code(0);
    let calls = server.requests().len() as f64;
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("LLM: "))
        .unwrap_or_else(|| panic!("no LLM line:\n{}", run.stdout));
    // $0.80 per million in, $4 per million out (the bank's Claude Haiku 3.5 entries).
    let usd = calls * (100.0 * 0.8 + 20.0 * 4.0) / 1e6;
    assert!(
        line.contains(&format!("estimated cost ${usd:.4}")),
        "{line} (expected ${usd:.4} for {calls} calls)"
    );
    let hist = sb.run(&["history"]);
    hist.expect_code(0);
    assert!(
        hist.stdout.contains(&format!("${usd:.4}")),
        "{}",
        hist.stdout
    );
    // The export says who worded each interviewer turn, and what the session cost.
    let (v, voices) = exported_voices(&sb);
    let cost = v["llm"]["cost_usd"].as_f64().unwrap();
    assert!((cost - usd).abs() < 1e-9, "{cost} vs {usd}");
    assert!(
        voices.len() >= 10 && voices.iter().all(|v| *v == "llm"),
        "{voices:?}"
    );
}

/// The greeting is shown while the model is still writing it: the server sends its first
/// sentence and then holds the rest until the test has seen that sentence on pipeprep's
/// standard output. A client that waited for the whole reply would show nothing in time.
#[test]
fn the_interviewer_message_streams_to_the_screen_as_it_arrives() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    const FIRST: &str = "LLMVOICE Welcome! Today we design a pipeline for click events.";
    const REST: &str = " What would you like to ask about the traffic first?";
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let release = Arc::new(AtomicBool::new(false));
    let held_ok = Arc::new(AtomicBool::new(false));
    let (rel, ok) = (Arc::clone(&release), Arc::clone(&held_ok));
    std::thread::spawn(move || {
        let mut first = true;
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            if !first {
                let rec = Mutex::new(Vec::new());
                std::thread::spawn(move || serve(conn, Mode::Echo, Wire::OpenAi, &rec));
                continue;
            }
            first = false;
            let (rel, ok) = (Arc::clone(&rel), Arc::clone(&ok));
            std::thread::spawn(move || {
                let Some(_) = read_request(&conn) else { return };
                let event = |text: &str| {
                    let chunk =
                        serde_json::json!({"choices":[{"index":0,"delta":{"content":text}}]});
                    format!("data: {chunk}\n\n")
                };
                let head = event(FIRST);
                let tail = format!("{}data: [DONE]\n\n", event(REST));
                let mut conn = conn;
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{head}",
                    head.len() + tail.len()
                );
                let _ = conn.flush();
                let deadline = Instant::now() + Duration::from_secs(10);
                while !rel.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                ok.store(rel.load(Ordering::SeqCst), Ordering::SeqCst);
                let _ = conn.write_all(tail.as_bytes());
            });
        }
    });

    let sb = Sandbox::new();
    let mut child = sb
        .cmd(&practice_args(
            &sb,
            &format!("openai-compatible:test@{url}"),
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let seen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = Arc::clone(&seen);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut early = false;
    while Instant::now() < deadline {
        if String::from_utf8_lossy(&seen.lock().unwrap()).contains(FIRST) {
            early = !release.load(Ordering::SeqCst);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    release.store(true, Ordering::SeqCst);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let out = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(
        early,
        "the first sentence was not on screen while the rest was held back:\n{out}"
    );
    assert!(
        held_ok.load(Ordering::SeqCst),
        "the server held the rest until released"
    );
    assert!(status.success(), "{out}");
    assert!(
        out.contains(&format!("Interviewer: {FIRST}{REST}\n")),
        "the whole greeting, once:\n{out}"
    );
    assert!(out.contains("Scorecard"), "{out}");
}
