use axum::body::Body;
use axum::http::Request;
use pipeprep_core::interview::Event;
use pipeprep_store::Store;

use crate::common::{app, parse_sse, split};

#[tokio::test]
async fn a_session_starts_with_the_greeting_and_answers_are_replied_to() {
    let app = app();
    let (id, v) = app.new_session().await;
    assert_eq!(v["phase"], "requirements");
    let turns = v["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1, "{v}");
    assert_eq!(turns[0]["speaker"], "interviewer");
    assert!(turns[0]["text"].as_str().unwrap().len() > 40, "{v}");

    let (status, r) = app
        .turn(
            &id,
            "What peak volume should we plan for, and how fresh must the dashboard be?",
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["finished"], false);
    let turns = r["turns"].as_array().unwrap();
    assert_eq!(turns[0]["speaker"], "candidate");
    assert!(
        turns[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("What peak volume")
    );
    assert_eq!(turns[1]["speaker"], "interviewer");
    // The interviewer reveals what was asked about: the scenario's peak of 100K events/s.
    let reply = turns[1]["text"].as_str().unwrap();
    assert!(
        reply.contains("100") || reply.to_lowercase().contains("peak"),
        "{reply}"
    );

    // The list shows it, unfinished, with the turns so far.
    let (status, body, _) = app.get("/api/sessions").await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[0]["turns"], 3);
}

#[tokio::test]
async fn a_turn_streams_sentence_by_sentence_with_accept_event_stream() {
    let app = app();
    let (id, _) = app.new_session().await;
    let res = app
        .send(
            Request::post(format!("/api/sessions/{id}/turns"))
                .header("content-type", "application/json")
                .header("accept", "text/event-stream")
                .body(Body::from(
                    r#"{"text": "How many events per day, and what size is each event?"}"#,
                ))
                .unwrap(),
        )
        .await;
    let (status, text, head) = split(res).await;
    assert_eq!(status, 200);
    assert!(
        head.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = parse_sse(&text);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"say_start"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let sentences: Vec<String> = events
        .iter()
        .filter(|(n, _)| n == "sentence")
        .map(|(_, d)| {
            serde_json::from_str::<serde_json::Value>(d).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        sentences.len() >= 2,
        "one event per sentence: {sentences:?}"
    );
    let done: serde_json::Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    let said: String = done["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["speaker"] == "interviewer")
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        sentences.concat(),
        said,
        "the sentences are the reply, whole"
    );
}

#[tokio::test]
async fn errors_are_json_with_the_right_status_and_no_internals() {
    let app = app();
    let (id, _) = app.new_session().await;
    let (s, v) = app.turn("00000000", "hello").await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (404, "no session `00000000`")
    );
    let (s, v) = app.turn(&id, "   ").await;
    assert_eq!(s, 400);
    assert!(v["error"].as_str().unwrap().contains("empty"), "{v}");
    let (s, v) = app.turn(&id, "/dance").await;
    assert_eq!(s, 400);
    assert!(v["error"].as_str().unwrap().contains("/help"), "{v}");
    let (s, v) = app
        .post_json(&format!("/api/sessions/{id}/turns"), "{not json")
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = app
        .post_json("/api/sessions", r#"{"scenario": "clickstream-analytic"}"#)
        .await;
    assert_eq!(s, 400);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("clickstream-analytics"),
        "{v}"
    );
    let (s, v) = app
        .post_json("/api/sessions", r#"{"focus": "speed"}"#)
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = app.post_json("/api/sessions", r#"{"colour": "red"}"#).await;
    assert_eq!(s, 400, "{v}");
    let (s, body, head) = app.get("/api/nothing-here").await;
    assert_eq!(s, 404);
    assert_eq!(head.headers()["content-type"], "application/json");
    assert!(body.contains("\"error\""));
    let res = app
        .send(
            Request::delete(format!("/api/sessions/{id}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let (s, body, head) = split(res).await;
    assert_eq!(s, 405);
    assert_eq!(head.headers()["content-type"], "application/json", "{body}");

    // Finished: a turn is a conflict, not a new answer.
    let (s, r) = app.turn(&id, "/end").await;
    assert_eq!(s, 200);
    assert_eq!(r["finished"], true);
    assert_eq!(r["phase"], "done");
    let (s, v) = app.turn(&id, "one more thing").await;
    assert_eq!(s, 409, "{v}");
}

#[tokio::test]
async fn a_store_that_fails_is_a_500_that_names_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("very-private-dir").join("x.db");
    let open: pipeprep_web::OpenStore = std::sync::Arc::new(move || {
        anyhow::bail!("cannot open `{}`: permission denied", secret.display())
    });
    let shared = pipeprep_web::Shared::new(crate::common::knowledge(), open, None);
    let router = pipeprep_web::router(shared);
    use tower::ServiceExt;
    let res = router
        .oneshot(
            Request::post("/api/sessions")
                .body(Body::from(r#"{"scenario": "dedup-at-scale"}"#))
                .unwrap(),
        )
        .await
        .unwrap();
    let (s, body, _) = split(res).await;
    assert_eq!(s, 500);
    assert!(!body.contains("very-private-dir"), "{body}");
    assert!(body.contains("\"error\""), "{body}");
}

#[tokio::test]
async fn the_session_object_is_the_export_and_the_diagram_follows_the_design() {
    let app = app();
    let (id, _) = app.new_session().await;
    let (_, svg, head) = app.get(&format!("/api/sessions/{id}/diagram.svg")).await;
    assert!(
        head.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(svg.contains("No design yet"), "{svg}");
    let (s, _) = app
        .turn(&id, "I would ingest with Kafka -> Flink (5s window) -> Redis for the dashboard, and land raw events in S3 for the hourly reports.")
        .await;
    assert_eq!(s, 200);
    let (_, svg, _) = app.get(&format!("/api/sessions/{id}/diagram.svg")).await;
    assert!(svg.starts_with("<svg"), "{svg}");
    for name in ["Kafka", "Flink", "Redis"] {
        assert!(svg.contains(name), "{name} missing: {svg}");
    }
    assert!(svg.contains("class=\"edge\""));

    let (s, body, _) = app.get(&format!("/api/sessions/{id}")).await;
    assert_eq!(s, 200);
    let got: serde_json::Value = serde_json::from_str(&body).unwrap();
    let store = pipeprep_app::session::open_store_read_only(Some(&app.db)).unwrap();
    let stored = store.load(&id).unwrap();
    let k = crate::common::knowledge();
    let want: serde_json::Value =
        serde_json::from_str(&pipeprep_app::reports::export(&k, &stored, "json").unwrap()).unwrap();
    assert_eq!(got, want);
    assert_eq!(got["turns"].as_array().unwrap().len(), 3);
}

/// The browser and the terminal share sessions: what the terminal adds, the next web turn
/// builds on, and the events stay in one order.
#[tokio::test]
async fn a_session_continues_across_the_terminal_and_the_browser() {
    let app = app();
    let (id, _) = app.new_session().await;
    let (s, _) = app.turn(&id, "What is the peak event rate?").await;
    assert_eq!(s, 200);
    // The terminal resumes it (the same runner `pipeprep resume` uses) and answers once.
    {
        let k = crate::common::knowledge();
        let store = pipeprep_app::session::open_store(Some(&app.db)).unwrap();
        let (mut live, stored) =
            pipeprep_app::session::LiveSession::resume(&k, &store, &id).unwrap();
        assert_eq!(stored.turns.len(), 3);
        live.handle(Event::Answer {
            text: "And how long must we keep the raw data?".into(),
            at_ms: stored.summary.last_at_ms + 1_000,
        })
        .unwrap();
    }
    let (s, r) = app.turn(&id, "How fresh must the dashboard be?").await;
    assert_eq!(s, 200, "{r}");
    let store = pipeprep_app::session::open_store_read_only(Some(&app.db)).unwrap();
    let stored = store.load(&id).unwrap();
    let seqs: Vec<u64> = stored.events.iter().map(|e| e.0).collect();
    assert_eq!(seqs, vec![0, 1, 2, 3]);
    let candidate: Vec<&str> = stored
        .turns
        .iter()
        .filter(|t| t.speaker == "candidate")
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(
        candidate,
        vec![
            "What is the peak event rate?",
            "And how long must we keep the raw data?",
            "How fresh must the dashboard be?"
        ]
    );
}
