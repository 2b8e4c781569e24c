use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use pipeprep_store::Store;
use pipeprep_web::{OpenStore, Shared};
use tower::ServiceExt;

/// The knowledge base is the same for every test; build it once.
pub fn knowledge() -> pipeprep_core::Knowledge {
    static BANK: OnceLock<pipeprep_bank::Bank> = OnceLock::new();
    let bank = BANK
        .get_or_init(|| pipeprep_app::load_bank(None).expect("the embedded bank loads"))
        .clone();
    pipeprep_app::knowledge(bank).expect("knowledge")
}

pub struct App {
    pub shared: Arc<Shared>,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pipeprep.db");
    let path = db.clone();
    let open: OpenStore = Arc::new(move || {
        let s = pipeprep_app::session::open_store(Some(&path))?;
        Ok(Box::new(s) as Box<dyn Store>)
    });
    App {
        shared: Shared::new(knowledge(), open, None),
        db,
        _dir: dir,
    }
}

impl App {
    pub fn router(&self) -> Router {
        pipeprep_web::router(Arc::clone(&self.shared))
    }

    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router().oneshot(req).await.unwrap()
    }

    pub async fn get(&self, uri: &str) -> (u16, String, Response<()>) {
        let res = self
            .send(Request::get(uri).body(Body::empty()).unwrap())
            .await;
        split(res).await
    }

    pub async fn post_json(&self, uri: &str, body: &str) -> (u16, serde_json::Value) {
        let res = self
            .send(
                Request::post(uri)
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
            .await;
        let (status, text, head) = split(res).await;
        assert_eq!(
            head.headers()["content-type"],
            "application/json",
            "{uri}: {text}"
        );
        (status, serde_json::from_str(&text).unwrap())
    }

    /// A new session on a fixed scenario and seed; returns its id and the greeting.
    pub async fn new_session(&self) -> (String, serde_json::Value) {
        let (status, v) = self
            .post_json(
                "/api/sessions",
                r#"{"scenario": "clickstream-analytics", "seed": 7}"#,
            )
            .await;
        assert_eq!(status, 201, "{v}");
        (v["id"].as_str().unwrap().to_string(), v)
    }

    pub async fn turn(&self, id: &str, text: &str) -> (u16, serde_json::Value) {
        let body = serde_json::json!({ "text": text }).to_string();
        self.post_json(&format!("/api/sessions/{id}/turns"), &body)
            .await
    }
}

pub async fn split(res: Response<Body>) -> (u16, String, Response<()>) {
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status.as_u16(),
        String::from_utf8(bytes.to_vec()).unwrap(),
        Response::from_parts(parts, ()),
    )
}

/// Server-sent events as (event name, data) pairs.
pub fn parse_sse(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut name = String::from("message");
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if !data.is_empty() {
            out.push((name, data.join("\n")));
        }
    }
    out
}
