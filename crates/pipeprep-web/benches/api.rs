//! A turn through the JSON API, as the server sees it: the request routed, the answer run by the
//! session's engine, the turn committed to SQLite and the JSON reply built. The target is a
//! p99 under 20 ms (the percentiles come from `cargo run --release -p pipeprep-web --example
//! measure`; criterion gives the distribution of the mean here).

use std::hint::black_box;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use pipeprep_store::Store;
use tower::ServiceExt;

const ANSWER: &str = "Kafka -> Flink (5s tumbling window) -> Redis for the dashboard; Kafka -> S3 as \
Parquet -> Spark hourly -> Snowflake for reports. I chose Flink over Spark Structured Streaming \
because event-time windows with watermarks keep the 5 s SLA; the trade-off is operating it.";

async fn call(app: &axum::Router, req: Request<Body>) -> (u16, Vec<u8>) {
    let res = app.clone().oneshot(req).await.expect("the router answers");
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.expect("a body").to_bytes();
    (status, body.to_vec())
}

async fn post(app: &axum::Router, uri: &str, body: String) -> (u16, Vec<u8>) {
    call(
        app,
        Request::post(uri)
            .body(Body::from(body))
            .expect("a request"),
    )
    .await
}

fn api_turn(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("pipeprep.db");
    let open: pipeprep_web::OpenStore = Arc::new(move || {
        let s = pipeprep_app::session::open_store(Some(&path))?;
        Ok(Box::new(s) as Box<dyn Store>)
    });
    let k = pipeprep_app::knowledge(pipeprep_app::load_bank(None).expect("the bank"))
        .expect("the knowledge");
    let app = pipeprep_web::router(pipeprep_web::Shared::new(k, open, None));
    let mut seed = 0u64;
    c.bench_function("api turn (design answer, SQLite commit)", |b| {
        b.iter_batched(
            || {
                // A fresh session in the architecture phase, not timed.
                seed += 1;
                rt.block_on(async {
                    let create =
                        format!(r#"{{"scenario": "clickstream-analytics", "seed": {seed}}}"#);
                    let (status, body) = post(&app, "/api/sessions", create).await;
                    assert_eq!(status, 201);
                    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
                    let id = v["id"].as_str().expect("an id").to_string();
                    for text in ["What peak event rate should we plan for?", "/next"] {
                        let body = serde_json::json!({ "text": text }).to_string();
                        let (status, _) =
                            post(&app, &format!("/api/sessions/{id}/turns"), body).await;
                        assert_eq!(status, 200);
                    }
                    id
                })
            },
            |id| {
                rt.block_on(async {
                    let body = serde_json::json!({ "text": ANSWER }).to_string();
                    let (status, out) =
                        post(&app, &format!("/api/sessions/{id}/turns"), body).await;
                    assert_eq!(status, 200);
                    black_box(out)
                })
            },
            BatchSize::PerIteration,
        );
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = api_turn
}
criterion_main!(benches);
