//! The JSON API of DESIGN.md §3. The page itself uses it for turns; other tools and the tests
//! rely on its shapes.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use pipeprep_bank::{Difficulty, Dimension};
use pipeprep_core::interview::InterviewConfig;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::error::ApiError;
use crate::worker::{self, TurnResult, Update};
use crate::{Shared, valid_id};

/// The most one answer may be: the same cap as a scripted answer in the terminal.
pub const MAX_ANSWER_BYTES: usize = pipeprep_app::scripted::MAX_ANSWER_BYTES;

/// `POST /api/sessions` body. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSessionReq {
    pub scenario: Option<String>,
    pub seed: Option<u64>,
    /// A rubric dimension id, or `weakest`.
    pub focus: Option<String>,
    /// `medium` or `hard`.
    pub difficulty: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnReq {
    text: String,
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], empty_ok: bool) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) && empty_ok {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the request body is not the JSON this route takes ({e}) — see DESIGN.md §3"
        ))
    })
}

fn seed_from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64)
}

/// Chooses the scenario as `pipeprep practice` does (the one asked for; else by focus,
/// difficulty and seed; `weakest` looks at the finished interviews) and creates the session.
pub async fn new_session(shared: &Arc<Shared>, req: NewSessionReq) -> Result<String, ApiError> {
    let difficulty = match req.difficulty.as_deref() {
        None | Some("") => None,
        Some("medium") => Some(Difficulty::Medium),
        Some("hard") => Some(Difficulty::Hard),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unknown difficulty `{other}` — use medium or hard"
            )));
        }
    };
    let weakest = req.focus.as_deref() == Some("weakest");
    let focus: Vec<Dimension> = match req.focus.as_deref() {
        None | Some("") | Some("weakest") => Vec::new(),
        Some(d) => vec![Dimension::from_id(d).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown dimension `{d}` — use weakest or one of {}",
                Dimension::ALL
                    .iter()
                    .map(|d| d.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?],
    };
    let seed = req.seed.unwrap_or_else(seed_from_clock);
    let k = Arc::clone(&shared.knowledge);
    let scenario = req.scenario.filter(|s| !s.is_empty());
    let s2 = Arc::clone(shared);
    let (scenario, focus) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        if let Some(id) = scenario {
            if k.scenario(&id).is_none() {
                return Err(ApiError::from_anyhow(pipeprep_app::unknown_scenario(
                    &k.bank, &id,
                )));
            }
            return Ok((id, focus));
        }
        if weakest {
            let store = (s2.open_store)().map_err(ApiError::from_anyhow)?;
            let dim = pipeprep_app::reports::weakest(&*store)
                .map_err(ApiError::from_anyhow)?
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "focus `weakest` needs at least one finished interview — finish one first, or name a dimension such as failure_modes".into(),
                    )
                })?;
            let recent: Vec<String> = store
                .list()
                .map_err(ApiError::from_store)?
                .into_iter()
                .take(3)
                .map(|s| s.scenario)
                .collect();
            let id = pipeprep_app::reports::scenario_for(&k, dim, &recent, seed)
                .ok_or_else(|| ApiError::BadRequest("the bank has no scenarios".into()))?;
            return Ok((id, vec![dim]));
        }
        let pool: Vec<&pipeprep_bank::Scenario> = k
            .bank
            .scenarios
            .iter()
            .filter(|s| difficulty.is_none_or(|w| s.difficulty == w))
            .collect();
        let id = pipeprep_app::reports::pick(pool, focus.first().copied(), seed).ok_or_else(
            || {
                ApiError::BadRequest(
                    "no scenario matches that difficulty — try medium or hard".into(),
                )
            },
        )?;
        Ok((id, focus))
    })
    .await
    .map_err(|e| ApiError::internal(format!("choosing a scenario: {e}")))??;
    let cfg = InterviewConfig {
        scenario,
        seed,
        hard: difficulty == Some(Difficulty::Hard),
        focus,
    };
    worker::create(shared, cfg).await
}

/// Waits for a turn's result.
pub async fn collect(mut rx: UnboundedReceiver<Update>) -> Result<TurnResult, ApiError> {
    while let Some(u) = rx.recv().await {
        match u {
            Update::Done(r) => return Ok(r),
            Update::Failed(e) => return Err(e),
            _ => {}
        }
    }
    Err(ApiError::internal("the session thread ended during a turn"))
}

/// `POST /api/sessions` → 201 `{"id", "phase", "turns"}` with the greeting.
pub async fn create_session(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: NewSessionReq = parse_json(&body, true)?;
    let id = new_session(&shared, req).await?;
    let r = collect(worker::start(&shared, &id).await?).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/sessions/{id}"))],
        Json(json!({ "id": id, "phase": r.phase, "turns": r.turns })),
    )
        .into_response())
}

/// Checks a turn's text: not empty, not binary, not larger than an answer may be.
pub fn check_text(text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "the answer is empty — type something, or a command such as /hint".into(),
        ));
    }
    if text.len() > MAX_ANSWER_BYTES {
        return Err(ApiError::BadRequest(format!(
            "the answer is {} bytes; one answer can be at most {} MB — shorten it",
            text.len(),
            MAX_ANSWER_BYTES / (1024 * 1024)
        )));
    }
    if text.contains('\0') {
        return Err(ApiError::BadRequest(
            "the answer contains a NUL byte, so it looks like binary data — send text".into(),
        ));
    }
    Ok(())
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("no session `{id}`")))
    }
}

/// `POST /api/sessions/{id}/turns` → 200 `{"phase", "finished", "turns"}`, or with
/// `Accept: text/event-stream` the same as server-sent events, sentence by sentence.
pub async fn post_turn(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let req: TurnReq = parse_json(&body, false)?;
    check_text(&req.text)?;
    let rx = worker::turn(&shared, &id, req.text).await?;
    let wants_stream = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if wants_stream {
        return Ok(Sse::new(sse_events(rx))
            .keep_alive(KeepAlive::default())
            .into_response());
    }
    Ok(Json(collect(rx).await?).into_response())
}

/// The turn as server-sent events: `say_start`, one `sentence` per sentence, `say_end`,
/// `shown` (tool output), `notice`, then `done` with the JSON result, or `error`.
fn sse_events(rx: UnboundedReceiver<Update>) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(Some(rx), |rx| async move {
        let mut rx = rx?;
        let u = rx.recv().await?;
        let (ev, last) = match u {
            Update::SayStart => (
                SseEvent::default()
                    .event("say_start")
                    .data(json!({"speaker": "interviewer"}).to_string()),
                false,
            ),
            Update::Sentence(t) => (
                SseEvent::default()
                    .event("sentence")
                    .data(json!({ "text": t }).to_string()),
                false,
            ),
            Update::SayEnd => (SseEvent::default().event("say_end").data("{}"), false),
            Update::Notice(t) => (
                SseEvent::default()
                    .event("notice")
                    .data(json!({ "text": t }).to_string()),
                false,
            ),
            Update::Shown(t) => (
                SseEvent::default()
                    .event("shown")
                    .data(json!({ "text": t }).to_string()),
                false,
            ),
            Update::Done(r) => (
                SseEvent::default()
                    .event("done")
                    .data(serde_json::to_string(&r).unwrap_or_else(|_| "{}".into())),
                true,
            ),
            Update::Failed(e) => (
                SseEvent::default().event("error").data(
                    json!({ "error": e.to_string(), "status": e.status().as_u16() }).to_string(),
                ),
                true,
            ),
        };
        Some((Ok(ev), (!last).then_some(rx)))
    })
}

/// `GET /api/sessions/{id}` → the object `pipeprep export ID --format json` prints.
pub async fn get_session(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let json = tokio::task::spawn_blocking(move || -> Result<String, ApiError> {
        let store = (shared.open_store)().map_err(ApiError::from_anyhow)?;
        let stored = store.load(&id).map_err(ApiError::from_store)?;
        pipeprep_app::reports::export(&shared.knowledge, &stored, "json")
            .map_err(ApiError::from_anyhow)
    })
    .await
    .map_err(|e| ApiError::internal(format!("export task: {e}")))??;
    let v: Value = serde_json::from_str(&json)
        .map_err(|e| ApiError::internal(format!("export is not JSON: {e}")))?;
    Ok(Json(v).into_response())
}

/// `GET /api/sessions/{id}/diagram.svg` → the candidate's design now, with the linter's badges.
pub async fn diagram(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let snap = worker::snapshot(&shared, &id).await?;
    let svg = if snap.svg.is_empty() {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"360\" height=\"40\" viewBox=\"0 0 360 40\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\"><title>No design yet</title><text x=\"10\" y=\"25\" fill=\"#555555\">No design yet.</text></svg>\n".to_string()
    } else {
        snap.svg
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

/// `GET /api/sessions` → every session, newest first.
pub async fn list_sessions(State(shared): State<Arc<Shared>>) -> Result<Response, ApiError> {
    let list = tokio::task::spawn_blocking(move || {
        let store = (shared.open_store)().map_err(ApiError::from_anyhow)?;
        store.list().map_err(ApiError::from_store)
    })
    .await
    .map_err(|e| ApiError::internal(format!("list task: {e}")))??;
    let rows: Vec<Value> = list
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "scenario": s.scenario,
                "status": s.status.as_str(),
                "created_ms": s.created_ms,
                "updated_ms": s.updated_ms,
                "elapsed_ms": s.last_at_ms,
                "turns": s.turns,
                "overall": match (&s.overall_level, s.overall_score) {
                    (Some(l), Some(x)) => json!({"level": l, "score": x}),
                    _ => Value::Null,
                },
                "llm": s.llm.as_ref().map(|l| l.model.clone()),
            })
        })
        .collect();
    Ok(Json(rows).into_response())
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route — DESIGN.md §3 lists them".into())
}

/// Whatever the framework answers on its own under `/api` (a body too large, a wrong method)
/// is turned into the API's JSON error shape.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let under_api = req.uri().path().starts_with("/api/") || req.uri().path() == "/api";
    let res = next.run(req).await;
    if !under_api {
        return res;
    }
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() && !status.is_server_error() || is_json {
        return res;
    }
    let (status, msg) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            StatusCode::BAD_REQUEST,
            format!(
                "the request is too large; one answer can be at most {} MB — shorten it",
                MAX_ANSWER_BYTES / (1024 * 1024)
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            status,
            "this route does not take that method — DESIGN.md §3 lists the routes".to_string(),
        ),
        s if s.is_server_error() => (
            StatusCode::INTERNAL_SERVER_ERROR,
            crate::error::INTERNAL.to_string(),
        ),
        s => (
            s,
            s.canonical_reason().unwrap_or("bad request").to_lowercase(),
        ),
    };
    let mut out = (status, Json(json!({ "error": msg }))).into_response();
    *out.status_mut() = status;
    out
}
