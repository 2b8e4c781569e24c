//! Measures `pipeprep serve` on this machine: the time of a turn through the JSON API (engine,
//! SQLite commit, JSON answer; no network in between, so this is the server's own time) and the
//! page weight before any session data. First paint comes from the browser test
//! (`target/web-e2e/metrics.json`).
//!
//! `cargo run --release -p pipeprep-web --example measure [SESSIONS]`

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use pipeprep_store::Store;
use tower::ServiceExt;

/// The scripted candidate's ten answers, one per line (the same script for the replay, rebuild,
/// API and load measurements).
static ANSWERS: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
    include_str!("../../pipeprep-core/examples/clickstream-answers.txt")
        .lines()
        .collect()
});

async fn call(app: &axum::Router, req: Request<Body>) -> (u16, Vec<u8>) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let sessions: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("pipeprep.db");
    let p2 = path.clone();
    let open: pipeprep_web::OpenStore = Arc::new(move || {
        let s = pipeprep_app::session::open_store(Some(&p2))?;
        Ok(Box::new(s) as Box<dyn Store>)
    });
    let k = pipeprep_app::knowledge(pipeprep_app::load_bank(None)?)?;
    let shared = pipeprep_web::Shared::new(k, open, None);
    let app = pipeprep_web::router(shared);

    let mut turns_ms: Vec<f64> = Vec::new();
    let mut create_ms: Vec<f64> = Vec::new();
    let mut first_id = String::new();
    for s in 0..sessions {
        let t = Instant::now();
        let (status, body) = call(
            &app,
            Request::post("/api/sessions").body(Body::from(format!(
                r#"{{"scenario": "clickstream-analytics", "seed": {s}}}"#
            )))?,
        )
        .await;
        create_ms.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(status == 201, "create: {status}");
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        let id = v["id"].as_str().unwrap().to_string();
        if first_id.is_empty() {
            first_id = id.clone();
        }
        for a in ANSWERS.iter().chain(["/end"].iter()) {
            let body = serde_json::json!({ "text": a }).to_string();
            let t = Instant::now();
            let (status, out) = call(
                &app,
                Request::post(format!("/api/sessions/{id}/turns")).body(Body::from(body))?,
            )
            .await;
            turns_ms.push(t.elapsed().as_secs_f64() * 1e3);
            if status == 409 {
                break; // the interview ended before the answers ran out
            }
            anyhow::ensure!(
                status == 200,
                "turn: {status} {}",
                String::from_utf8_lossy(&out)
            );
        }
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    };
    println!(
        "turns through the API: {} in {sessions} sessions; p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        turns_ms.len(),
        pct(&mut turns_ms, 0.50),
        pct(&mut turns_ms, 0.95),
        pct(&mut turns_ms, 0.99),
        pct(&mut turns_ms, 1.0)
    );
    println!(
        "session creation (greeting included): p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut create_ms, 0.50),
        pct(&mut create_ms, 0.99)
    );
    // The practice page during the failure phase: the snapshot, the design and the failure
    // simulation drawn on it, rendered by the server.
    let (_, body) = call(
        &app,
        Request::post("/api/sessions").body(Body::from(
            r#"{"scenario": "clickstream-analytics", "seed": 3}"#,
        ))?,
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    let sim_id = v["id"].as_str().unwrap_or_default().to_string();
    for a in [
        "How many events per second at peak?",
        "Web -> Kafka -> Flink -> Redis -> Dashboard\nThe Flink job can process 300K events/s.",
        "/next",
        "/next",
        "/next",
    ] {
        let body = serde_json::json!({ "text": a }).to_string();
        let (_, out) = call(
            &app,
            Request::post(format!("/api/sessions/{sim_id}/turns")).body(Body::from(body))?,
        )
        .await;
        let v: serde_json::Value = serde_json::from_slice(&out)?;
        if v["phase"] == "failures" {
            break;
        }
    }
    let mut page_ms = Vec::new();
    let mut with_sim = false;
    for _ in 0..100 {
        let t = Instant::now();
        let (status, page) = call(
            &app,
            Request::get(format!("/s/{sim_id}")).body(Body::empty())?,
        )
        .await;
        page_ms.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(status == 200, "practice page: {status}");
        with_sim = String::from_utf8_lossy(&page).contains("class=\"sim-anim");
    }
    println!(
        "practice page with the failure simulation ({}): p50 {:.2} ms, p99 {:.2} ms",
        if with_sim { "shown" } else { "NOT shown" },
        pct(&mut page_ms, 0.50),
        pct(&mut page_ms, 0.99)
    );
    // Page weight: the practice page of a fresh session and everything it loads.
    let (_, body) = call(
        &app,
        Request::post("/api/sessions").body(Body::from(
            r#"{"scenario": "clickstream-analytics", "seed": 1}"#,
        ))?,
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    let id = v["id"].as_str().unwrap();
    let (_, page) = call(&app, Request::get(format!("/s/{id}")).body(Body::empty())?).await;
    let mut total = page.len();
    print!("page weight: practice page {} B", page.len());
    for (name, _, bytes) in pipeprep_web::assets::FILES {
        total += bytes.len();
        print!(" + {name} {} B", bytes.len());
    }
    println!(
        " = {total} B ({:.1} KB) uncompressed",
        total as f64 / 1024.0
    );
    Ok(())
}
