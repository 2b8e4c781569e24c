//! The pages: home (start or resume, the problem bank), the practice page (conversation, phase
//! bar, design panel), the scorecard and the history. HTML is rendered here; htmx and its SSE
//! extension stream the interviewer's replies into the practice page.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use futures_util::stream::{self, Stream};
use pipeprep_bank::Dimension;
use pipeprep_core::interview::Phase;
use pipeprep_store::{Status, Stored, Summary};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::api::{self, NewSessionReq};
use crate::error::ApiError;
use crate::html::{esc, inline, md, page};
use crate::snapshot::{Snapshot, number};
use crate::worker::{self, Update};
use crate::{Pending, Shared, valid_id};

/// An error as a page: the same status, the message, a way back.
pub(crate) fn error_page(e: &ApiError) -> Response {
    let body = format!(
        "<section class=\"card\"><h1>{}</h1><p role=\"alert\">{}</p><p><a href=\"/\">Start an interview</a> · <a href=\"/history\">History</a></p></section>",
        match e.status() {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "Not now",
            StatusCode::BAD_REQUEST => "That did not work",
            _ => "Something went wrong",
        },
        esc(&e.to_string())
    );
    (e.status(), Html(page("Error", &body))).into_response()
}

pub async fn not_found() -> Response {
    error_page(&ApiError::NotFound(
        "there is no page here — start from the home page".into(),
    ))
}

async fn load(shared: &Arc<Shared>, id: &str) -> Result<Stored, ApiError> {
    if !valid_id(id) {
        return Err(ApiError::NotFound(format!("no session `{id}`")));
    }
    let shared = Arc::clone(shared);
    let id = id.to_string();
    tokio::task::spawn_blocking(move || {
        let store = (shared.open_store)().map_err(ApiError::from_anyhow)?;
        store.load(&id).map_err(ApiError::from_store)
    })
    .await
    .map_err(|e| ApiError::internal(format!("load task: {e}")))?
}

async fn list(shared: &Arc<Shared>) -> Result<Vec<Summary>, ApiError> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || {
        let store = (shared.open_store)().map_err(ApiError::from_anyhow)?;
        store.list().map_err(ApiError::from_store)
    })
    .await
    .map_err(|e| ApiError::internal(format!("list task: {e}")))?
}

fn date(ms: i64) -> String {
    pipeprep_app::reports::date(ms)
}

/// `GET /`: start an interview, resume an unfinished one, browse the problem bank.
pub async fn home(State(shared): State<Arc<Shared>>) -> Response {
    let sessions = list(&shared).await.unwrap_or_default();
    let k = &shared.knowledge;
    let mut b = String::new();
    b.push_str("<section class=\"card\"><h1>Practise a data-pipeline design interview</h1>\
<p class=\"lead\">A Principal Data Engineer interviewer gives you a business problem, answers your clarifying questions, probes your design and injects failures. Everything runs on this machine.</p>\
<form class=\"start\" method=\"post\" action=\"/s\">");
    b.push_str("<label for=\"scenario\">Scenario</label><select id=\"scenario\" name=\"scenario\"><option value=\"\">Choose one for me</option>");
    for s in &k.bank.scenarios {
        let _ = write!(
            b,
            "<option value=\"{}\">{} ({})</option>",
            esc(&s.id),
            esc(&s.title),
            s.difficulty.as_str()
        );
    }
    b.push_str("</select><label for=\"difficulty\">Difficulty</label><select id=\"difficulty\" name=\"difficulty\"><option value=\"\">Any</option><option value=\"medium\">Medium</option><option value=\"hard\">Hard (follow-up constraints from the start)</option></select>");
    b.push_str("<label for=\"focus\">Focus</label><select id=\"focus\" name=\"focus\"><option value=\"\">None</option>");
    if sessions.iter().any(|s| s.status == Status::Finished) {
        b.push_str("<option value=\"weakest\">My weakest dimension lately</option>");
    }
    for d in Dimension::ALL {
        let _ = write!(b, "<option value=\"{0}\">{0}</option>", d.id());
    }
    b.push_str("</select><button type=\"submit\" class=\"primary\">Start the interview</button></form></section>");
    let active: Vec<&Summary> = sessions
        .iter()
        .filter(|s| s.status == Status::Active)
        .take(5)
        .collect();
    if !active.is_empty() {
        b.push_str(
            "<section class=\"card\"><h2>Continue where you stopped</h2><ul class=\"resume\">",
        );
        for s in active {
            let _ = write!(
                b,
                "<li><a href=\"/s/{id}\">Resume {id}</a> · {} · {} · {} turns</li>",
                esc(&s.scenario),
                date(s.updated_ms),
                s.turns,
                id = esc(&s.id)
            );
        }
        b.push_str("</ul><p class=\"muted\">The same sessions continue in the terminal with <code>pipeprep resume ID</code>.</p></section>");
    }
    b.push_str("<section class=\"card\"><h2>Problem bank</h2><table class=\"bank\"><thead><tr><th scope=\"col\">Scenario</th><th scope=\"col\">Difficulty</th><th scope=\"col\">Tags</th></tr></thead><tbody>");
    for s in &k.bank.scenarios {
        let _ = write!(
            b,
            "<tr><td><strong>{}</strong><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td></tr>",
            esc(&s.title),
            esc(&s.id),
            s.difficulty.as_str(),
            s.tags
                .iter()
                .map(|t| format!("<span class=\"tag\">{}</span>", esc(t)))
                .collect::<String>()
        );
    }
    b.push_str("</tbody></table></section>");
    Html(page("Practise", &b)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    focus: String,
    #[serde(default)]
    difficulty: String,
}

/// `POST /s`: creates the session, starts its greeting and opens the practice page, which
/// streams the greeting in.
pub async fn start(State(shared): State<Arc<Shared>>, Form(f): Form<StartForm>) -> Response {
    let req = NewSessionReq {
        scenario: Some(f.scenario),
        seed: None,
        focus: Some(f.focus),
        difficulty: Some(f.difficulty),
    };
    let id = match api::new_session(&shared, req).await {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    match worker::start(&shared, &id).await {
        Ok(rx) => {
            shared
                .feeds
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.clone(), Pending { rx, greeting: true });
        }
        Err(e) => return error_page(&e),
    }
    Redirect::to(&format!("/s/{id}")).into_response()
}

fn phase_bar(snap: &Snapshot) -> String {
    let mut b = String::from("<div id=\"phasebar\" class=\"phasebar\">");
    b.push_str("<ol class=\"phases\" aria-label=\"Phases\">");
    for p in [
        Phase::Requirements,
        Phase::Architecture,
        Phase::DeepDive,
        Phase::Failures,
    ] {
        let state = if snap.phase == p {
            " class=\"current\" aria-current=\"step\""
        } else if snap.phase > p {
            " class=\"done\""
        } else {
            ""
        };
        let _ = write!(
            b,
            "<li{state}><span class=\"n\">{}</span> {} <span class=\"budget\">{} min</span></li>",
            p.number(),
            p.title(),
            p.budget_min()
        );
    }
    b.push_str("</ol><p class=\"status\">");
    if snap.done {
        let _ = write!(
            b,
            "Finished · total <span class=\"clock\">{}</span>",
            mmss(snap.total_elapsed_ms)
        );
    } else {
        let _ = write!(
            b,
            "<span>Phase time <span class=\"clock\" data-elapsed-ms=\"{}\" data-budget-ms=\"{}\" role=\"timer\" aria-label=\"time in this phase\">{}</span> of {} min</span> · <span>total <span class=\"clock\" data-elapsed-ms=\"{}\" role=\"timer\" aria-label=\"total interview time\">{}</span></span>",
            snap.phase_elapsed_ms,
            snap.phase_budget_ms,
            mmss(snap.phase_elapsed_ms),
            snap.phase_budget_ms / 60_000,
            snap.total_elapsed_ms,
            mmss(snap.total_elapsed_ms)
        );
    }
    let _ = write!(
        b,
        " · <span class=\"hints\">hints used: <strong>{}</strong></span></p></div>",
        snap.hints
    );
    b
}

fn mmss(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60)
}

/// The design panel: the drawing, the linter's findings, the estimator's figures.
fn panel_html(id: &str, snap: &Snapshot) -> String {
    let mut b = String::from(
        "<aside id=\"panel\" class=\"panel\" aria-labelledby=\"panel-title\"><h2 id=\"panel-title\">Your design</h2>",
    );
    if snap.svg.is_empty() {
        b.push_str("<p class=\"muted empty-design\">No design yet. Describe one in prose or with arrows (<code>Kafka -&gt; Flink -&gt; Redis</code>) and it is drawn here.</p>");
    } else {
        let _ = write!(
            b,
            "<figure class=\"diagram\" role=\"img\" aria-label=\"Your design as the interviewer understood it: {} components\">{}</figure>",
            snap.design.nodes().len(),
            snap.svg
        );
        let _ = write!(
            b,
            "<p class=\"muted small\"><a href=\"/api/sessions/{}/diagram.svg\" target=\"_blank\" rel=\"noopener\">Open the drawing on its own</a></p>",
            esc(id)
        );
    }
    if !snap.findings.is_empty() {
        b.push_str("<h3>Linter</h3><ul class=\"findings\">");
        for f in &snap.findings {
            let _ = write!(
                b,
                "<li><span class=\"badge {sev}\">{sev}</span> <strong>{}</strong>: {} <span class=\"muted\">— {}</span></li>",
                esc(f.rule),
                esc(&f.message),
                esc(&f.suggestion),
                sev = f.severity.as_str()
            );
        }
        b.push_str("</ul>");
    } else if !snap.svg.is_empty() {
        b.push_str("<p class=\"muted\">Linter: no findings.</p>");
    }
    b.push_str("<h3>Estimates</h3>");
    if !snap.figures.is_empty() {
        b.push_str("<table class=\"figures\"><tbody>");
        for f in &snap.figures {
            let _ = write!(
                b,
                "<tr><th scope=\"row\">{}</th><td><span class=\"fig\" tabindex=\"0\">{} {}<span class=\"formula\" role=\"tooltip\">{}{}</span></span></td></tr>",
                esc(&f.label),
                number(f.value),
                esc(&f.unit),
                esc(&f.formula),
                f.source
                    .as_deref()
                    .map(|s| format!(" (source: {})", esc(s)))
                    .unwrap_or_default()
            );
        }
        b.push_str(
            "</tbody></table><p class=\"muted small\">Hover or focus a figure for its formula.</p>",
        );
    }
    if let Some(n) = &snap.figures_note {
        let _ = write!(b, "<p class=\"muted\">{}</p>", esc(n));
    }
    if !snap.revealed.is_empty() {
        b.push_str("<h3>What you have learned</h3><ul class=\"revealed\">");
        for r in &snap.revealed {
            let _ = write!(b, "<li>{}</li>", inline(r));
        }
        b.push_str("</ul>");
    }
    b.push_str("</aside>");
    b
}

fn turn_html(speaker: &str, text: &str, n: usize) -> String {
    if speaker == "candidate" {
        format!(
            "<article class=\"turn candidate\" id=\"turn-{n}\"><h3 class=\"who\">You</h3><div class=\"text\">{}</div></article>",
            md(text)
        )
    } else {
        format!(
            "<article class=\"turn interviewer\" id=\"turn-{n}\"><h3 class=\"who\">Interviewer</h3><div class=\"text\">{}</div></article>",
            md(text)
        )
    }
}

fn feed_html(id: &str) -> String {
    format!(
        "<div class=\"feed\" hx-ext=\"sse\" sse-connect=\"/s/{}/feed\" sse-swap=\"say,end\" hx-swap=\"beforeend\" sse-close=\"end\"></div>",
        esc(id)
    )
}

/// `GET /s/{id}`: the practice page.
pub async fn practice(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let stored = match load(&shared, &id).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    if stored.summary.status == Status::Finished {
        return Redirect::to(&format!("/s/{id}/scorecard")).into_response();
    }
    let snap = match worker::snapshot(&shared, &id).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    // A new session's greeting streams in; any other pending reply was meant for a page that
    // is gone, and the stored turns already hold it.
    let greeting = {
        let mut feeds = shared.feeds.lock().unwrap_or_else(|e| e.into_inner());
        match feeds.get(&id) {
            Some(p) if p.greeting => true,
            Some(_) => {
                feeds.remove(&id);
                false
            }
            None => false,
        }
    };
    let k = &shared.knowledge;
    let title = k
        .scenario(&stored.summary.scenario)
        .map_or_else(|| stored.summary.scenario.clone(), |s| s.title.clone());
    let mut b = String::new();
    let _ = write!(
        b,
        "<div class=\"practice\">{}<section class=\"chat\" aria-labelledby=\"chat-title\"><h1 id=\"chat-title\" class=\"scenario-title\">{} <span class=\"muted small\">session {}</span></h1>{}",
        crate::sim::row_html(snap.failure.as_ref()),
        esc(&title),
        esc(&id),
        phase_bar(&snap)
    );
    b.push_str("<div id=\"log\" class=\"log\" role=\"log\" aria-live=\"polite\" aria-label=\"Conversation\">");
    if greeting {
        b.push_str(&feed_html(&id));
    } else {
        for (i, t) in stored.turns.iter().enumerate() {
            b.push_str(&turn_html(&t.speaker, &t.text, i + 1));
        }
    }
    b.push_str("</div>");
    let _ = write!(
        b,
        "<form id=\"say\" class=\"say\" method=\"post\" action=\"/s/{id}/say\" hx-post=\"/s/{id}/say\" hx-target=\"#log\" hx-swap=\"beforeend\" hx-disabled-elt=\"find button\">\
<label for=\"answer\">Your answer</label>\
<textarea id=\"answer\" name=\"text\" rows=\"5\" aria-describedby=\"answer-help\" placeholder=\"Ask a clarifying question, or describe your design: Kafka -> Flink -> Redis\"></textarea>\
<p id=\"answer-help\" class=\"muted small\">Enter adds a new line; <kbd>Ctrl</kbd>+<kbd>Enter</kbd> (<kbd>⌘</kbd>+<kbd>Enter</kbd> on a Mac) sends.</p>\
<div id=\"say-error\" class=\"say-error\" role=\"alert\"></div>\
<div class=\"buttons\"><button type=\"submit\" class=\"primary\" id=\"send\">Send</button>\
<button type=\"submit\" name=\"command\" value=\"/hint\" title=\"A hint for where you are; each one goes a level deeper\">Hint</button>\
<button type=\"submit\" name=\"command\" value=\"/diagram\" title=\"Your design as the interviewer understood it, with the linter's findings\">Diagram</button>\
<button type=\"submit\" name=\"command\" value=\"/next\" title=\"Move on to the next phase\">Next phase</button>\
<button type=\"submit\" name=\"command\" value=\"/end\" title=\"Finish now and see the scorecard\">End interview</button></div></form></section>",
        id = esc(&id)
    );
    b.push_str(&panel_html(&id, &snap));
    b.push_str("</div>");
    Html(page(&title, &b)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct SayForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    command: String,
}

/// `POST /s/{id}/say`: hands the answer to the session and answers with the candidate's turn
/// and an event-stream element that brings the reply in. Without htmx (no script), waits for
/// the reply and shows the page again.
pub async fn say(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<SayForm>,
) -> Response {
    let htmx = headers.contains_key("hx-request");
    let text = if f.command.is_empty() {
        f.text
    } else {
        f.command
    };
    let fail = |e: ApiError| -> Response {
        if htmx {
            let mut r =
                Html(format!("<p class=\"error\">{}</p>", esc(&e.to_string()))).into_response();
            r.headers_mut()
                .insert("hx-retarget", HeaderValue::from_static("#say-error"));
            r.headers_mut()
                .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
            r
        } else {
            error_page(&e)
        }
    };
    if !valid_id(&id) {
        return fail(ApiError::NotFound(format!("no session `{id}`")));
    }
    if let Err(e) = api::check_text(&text) {
        return fail(e);
    }
    let rx = match worker::turn(&shared, &id, text.clone()).await {
        Ok(rx) => rx,
        Err(e) => return fail(e),
    };
    if !htmx {
        return match api::collect(rx).await {
            Ok(_) => Redirect::to(&format!("/s/{id}")).into_response(),
            Err(e) => error_page(&e),
        };
    }
    shared
        .feeds
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            id.clone(),
            Pending {
                rx,
                greeting: false,
            },
        );
    let mine = if text.trim_start().starts_with('/') {
        format!(
            "<article class=\"turn candidate command\"><h3 class=\"who\">You</h3><div class=\"text\"><code>{}</code></div></article>",
            esc(text.trim())
        )
    } else {
        turn_html("candidate", &text, 0).replace(" id=\"turn-0\"", "")
    };
    let mut r = Html(format!("{mine}{}", feed_html(&id))).into_response();
    // Clear an earlier error message.
    r.headers_mut()
        .insert("hx-trigger", HeaderValue::from_static("pipeprep-sent"));
    r
}

static MESSAGE: AtomicU64 = AtomicU64::new(0);

/// `GET /s/{id}/feed`: the pending turn's updates as HTML fragments for htmx's SSE extension:
/// `say` events append to the conversation (sentences go into their message), and `end` brings
/// the new phase bar and design panel (out-of-band swaps). Nothing pending: 204, so the browser
/// does not reconnect.
pub async fn feed(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let rx = shared
        .feeds
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id)
        .map(|p| p.rx);
    let Some(rx) = rx else {
        // Nothing waiting: 204 for a session of this user's, and 404, as on every other route,
        // for one that is not (another user's, in multi-user mode) or does not exist.
        if !valid_id(&id) {
            return error_page(&ApiError::NotFound(format!("no session `{id}`")));
        }
        let s2 = Arc::clone(&shared);
        let id2 = id.clone();
        let known = tokio::task::spawn_blocking(move || {
            let store = (s2.open_store)().map_err(ApiError::from_anyhow)?;
            store.progress(&id2).map_err(ApiError::from_store)
        })
        .await
        .map_err(|e| ApiError::internal(format!("feed task: {e}")))
        .and_then(|r| r);
        return match known {
            Ok(_) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => error_page(&e),
        };
    };
    Sse::new(feed_events(shared, id, rx))
        .keep_alive(KeepAlive::default())
        .into_response()
}

struct FeedState {
    shared: Arc<Shared>,
    id: String,
    rx: UnboundedReceiver<Update>,
    msg: u64,
}

fn feed_events(
    shared: Arc<Shared>,
    id: String,
    rx: UnboundedReceiver<Update>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let st = FeedState {
        shared,
        id,
        rx,
        msg: 0,
    };
    stream::unfold(Some(st), |st| async move {
        let mut st = st?;
        let u = st.rx.recv().await?;
        let say = |html: String| SseEvent::default().event("say").data(html);
        let (ev, last) = match u {
            Update::SayStart => {
                st.msg = MESSAGE.fetch_add(1, Ordering::Relaxed);
                (
                    say(format!(
                        "<article class=\"turn interviewer\"><h3 class=\"who\">Interviewer</h3><div class=\"text streaming\" id=\"m-{}\"></div></article>",
                        st.msg
                    )),
                    false,
                )
            }
            Update::Sentence(t) => (
                say(format!(
                    "<span hx-swap-oob=\"beforeend:#m-{}\">{}</span>",
                    st.msg,
                    sentence_html(&t)
                )),
                false,
            ),
            Update::SayEnd => (SseEvent::default().comment("message complete"), false),
            Update::Notice(n) => (say(format!("<p class=\"notice\">({})</p>", esc(&n))), false),
            Update::Shown(t) => (
                say(format!(
                    "<pre class=\"shown\" tabindex=\"0\">{}</pre>",
                    esc(&t)
                )),
                false,
            ),
            Update::Done(r) => {
                let mut html = String::new();
                match worker::snapshot(&st.shared, &st.id).await {
                    Ok(snap) => {
                        let _ = write!(
                            html,
                            "{}{}{}",
                            crate::sim::row_html(snap.failure.as_ref()).replacen(
                                "<div id=\"simulation\"",
                                "<div hx-swap-oob=\"true\" id=\"simulation\"",
                                1
                            ),
                            phase_bar(&snap).replacen(
                                "<div id=\"phasebar\"",
                                "<div hx-swap-oob=\"true\" id=\"phasebar\"",
                                1
                            ),
                            panel_html(&st.id, &snap).replacen(
                                "<aside id=\"panel\"",
                                "<aside hx-swap-oob=\"true\" id=\"panel\"",
                                1
                            )
                        );
                    }
                    Err(e) => {
                        let _ = write!(html, "<p class=\"notice\">({})</p>", esc(&e.to_string()));
                    }
                }
                if r.finished {
                    let _ = write!(
                        html,
                        "<p class=\"finished\"><a class=\"button primary\" href=\"/s/{}/scorecard\">See your scorecard</a></p>",
                        esc(&st.id)
                    );
                }
                if r.suspended {
                    let _ = write!(
                        html,
                        "<p class=\"notice\">Saved. Resume from <a href=\"/history\">History</a>, or in the terminal with <code>pipeprep resume {}</code>.</p>",
                        esc(&st.id)
                    );
                }
                (SseEvent::default().event("end").data(html), true)
            }
            Update::Failed(e) => (
                SseEvent::default().event("end").data(format!(
                    "<p class=\"error\" role=\"alert\">{}</p>",
                    esc(&e.to_string())
                )),
                true,
            ),
        };
        Some((Ok(ev), (!last).then_some(st)))
    })
}

/// A sentence as inline HTML; its line breaks become `<br>`.
fn sentence_html(t: &str) -> String {
    let mut out = String::new();
    let mut first = true;
    for line in t.split('\n') {
        if !first {
            out.push_str("<br>");
        }
        first = false;
        let line = line
            .strip_prefix("- ")
            .map_or_else(|| line.to_string(), |rest| format!("• {rest}"));
        out.push_str(&inline(&line));
    }
    out
}

/// `GET /s/{id}/panel`: the design panel alone (the page refreshes it).
pub async fn panel(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if !valid_id(&id) {
        return error_page(&ApiError::NotFound(format!("no session `{id}`")));
    }
    match worker::snapshot(&shared, &id).await {
        Ok(snap) => Html(panel_html(&id, &snap)).into_response(),
        Err(e) => error_page(&e),
    }
}

const DIMENSION_TITLES: [(&str, &str); 7] = [
    ("requirements_extraction", "Requirements"),
    ("architecture_design", "Architecture"),
    ("tool_selection", "Tool selection"),
    ("failure_modes", "Failure modes"),
    ("scaling_strategy", "Scaling"),
    ("cost_awareness", "Cost"),
    ("data_quality", "Data quality"),
];

fn level_value(level: &str) -> f64 {
    match level {
        "expert" => 3.0,
        "intermediate" => 2.0,
        _ => 1.0,
    }
}

/// The seven dimensions as a radar: rings for novice, intermediate and expert.
pub fn radar(levels: &[(String, String)]) -> String {
    let (cx, cy, r) = (240.0_f64, 175.0_f64, 120.0_f64);
    let n = levels.len().max(1) as f64;
    let at = |i: usize, v: f64| {
        let a = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / n;
        (cx + r * v / 3.0 * a.cos(), cy + r * v / 3.0 * a.sin())
    };
    let mut s = String::from(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"radar\" viewBox=\"0 0 480 350\" width=\"480\" height=\"350\" role=\"img\" aria-labelledby=\"radar-title\"><title id=\"radar-title\">Level per dimension: ",
    );
    s.push_str(
        &levels
            .iter()
            .map(|(d, l)| format!("{} {}", esc(&title_of(d)), esc(l)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str("</title>");
    for ring in 1..=3 {
        let pts: Vec<String> = (0..levels.len())
            .map(|i| {
                let (x, y) = at(i, ring as f64);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            s,
            "<polygon points=\"{}\" fill=\"none\" stroke=\"#c9ced6\" stroke-width=\"1\"/>",
            pts.join(" ")
        );
    }
    for (i, (d, _)) in levels.iter().enumerate() {
        let (x, y) = at(i, 3.0);
        let _ = write!(
            s,
            "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#c9ced6\"/>"
        );
        let (lx, ly) = at(i, 3.45);
        let anchor = if (lx - cx).abs() < 5.0 {
            "middle"
        } else if lx > cx {
            "start"
        } else {
            "end"
        };
        let _ = write!(
            s,
            "<text x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"12\" fill=\"#333333\">{}</text>",
            ly + 4.0,
            esc(&title_of(d))
        );
    }
    let pts: Vec<String> = levels
        .iter()
        .enumerate()
        .map(|(i, (_, l))| {
            let (x, y) = at(i, level_value(l));
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        s,
        "<polygon class=\"you\" points=\"{}\" fill=\"#3b6fb6\" fill-opacity=\"0.25\" stroke=\"#3b6fb6\" stroke-width=\"2\"/>",
        pts.join(" ")
    );
    s.push_str("</svg>");
    s
}

fn title_of(dim: &str) -> String {
    DIMENSION_TITLES
        .iter()
        .find(|(d, _)| *d == dim)
        .map_or_else(|| dim.to_string(), |(_, t)| (*t).to_string())
}

/// `GET /s/{id}/scorecard`: the radar and the table, quotes linking to their turns in the
/// transcript below, strengths, improvements, resources. Prints cleanly.
pub async fn scorecard(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let stored = match load(&shared, &id).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let Some(card) = stored
        .scorecard_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
    else {
        return error_page(&ApiError::Conflict(format!(
            "session `{id}` is not finished yet, so it has no scorecard — continue it, or send /end to finish it"
        )));
    };
    let k = &shared.knowledge;
    let title = k
        .scenario(&stored.summary.scenario)
        .map_or_else(|| stored.summary.scenario.clone(), |s| s.title.clone());
    let mut b = String::new();
    let overall = &card["overall"];
    let _ = write!(
        b,
        "<article class=\"scorecard\"><header class=\"card\"><h1>Scorecard · {}</h1><p class=\"overall\">Overall: <strong>{}</strong> ({} / 100) · hints used: {} · session {} · {}</p>",
        esc(&title),
        esc(overall["level"].as_str().unwrap_or("-")),
        overall["score"].as_u64().unwrap_or(0),
        card["hints_used"].as_u64().unwrap_or(0),
        esc(&id),
        date(stored.summary.created_ms)
    );
    if let Some(l) = &stored.summary.llm {
        let _ = write!(
            b,
            "<p class=\"muted\">Interviewer voiced by {}{}.</p>",
            esc(&l.model),
            if l.reviewed {
                "; scored by the rubric engine with the LLM's verified second opinion"
            } else {
                "; scored by the rubric engine"
            }
        );
    } else {
        b.push_str("<p class=\"muted\">Scored by the rubric engine from what you said.</p>");
    }
    b.push_str("</header>");
    let dims = card["dimensions"].as_array().cloned().unwrap_or_default();
    let levels: Vec<(String, String)> = dims
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap_or("").to_string(),
                d["level"].as_str().unwrap_or("novice").to_string(),
            )
        })
        .collect();
    let _ = write!(
        b,
        "<section class=\"card radar-card\"><h2>Levels</h2>{}<p class=\"muted small\">Rings: novice, intermediate, expert.</p></section>",
        radar(&levels)
    );
    b.push_str("<section class=\"card\"><h2>Per dimension</h2><table class=\"dims\"><thead><tr><th scope=\"col\">Dimension</th><th scope=\"col\">Level</th><th scope=\"col\">Why, in your words</th></tr></thead><tbody>");
    for d in &dims {
        let level = d["level"].as_str().unwrap_or("novice");
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}</th><td><span class=\"level {lv}\">{lv}</span></td><td>{}",
            esc(&title_of(d["id"].as_str().unwrap_or(""))),
            esc(d["justification"].as_str().unwrap_or("")),
            lv = esc(level)
        );
        let ev = d["evidence"].as_array().cloned().unwrap_or_default();
        if !ev.is_empty() {
            b.push_str("<ul class=\"quotes\">");
            for e in ev {
                let turn = e["turn"].as_u64().unwrap_or(0);
                let _ = write!(
                    b,
                    "<li><a href=\"#turn-{turn}\">turn {turn}</a>: <q>{}</q></li>",
                    esc(e["quote"].as_str().unwrap_or(""))
                );
            }
            b.push_str("</ul>");
        }
        b.push_str("</td></tr>");
    }
    b.push_str("</tbody></table></section>");
    let list = |b: &mut String, title: &str, items: &Value| {
        let Some(items) = items.as_array().filter(|a| !a.is_empty()) else {
            return;
        };
        let _ = write!(b, "<section class=\"card\"><h2>{title}</h2><ul>");
        for i in items {
            let _ = write!(b, "<li>{}</li>", inline(i.as_str().unwrap_or("")));
        }
        b.push_str("</ul></section>");
    };
    list(&mut b, "Strengths", &card["strengths"]);
    list(&mut b, "Improvements", &card["improvements"]);
    if let Some(flags) = card["flags"].as_array().filter(|a| !a.is_empty()) {
        b.push_str(
            "<section class=\"card\"><h2>What the interviewer noticed</h2><ul class=\"flags\">",
        );
        for f in flags {
            let kind = f["kind"].as_str().unwrap_or("");
            let turn = f["turn"].as_u64();
            let _ = write!(
                b,
                "<li><span class=\"flag {k}\">{k}</span> {}{}</li>",
                esc(f["message"].as_str().unwrap_or("")),
                turn.map(|t| format!(" (<a href=\"#turn-{t}\">turn {t}</a>)"))
                    .unwrap_or_default(),
                k = esc(kind)
            );
        }
        b.push_str("</ul></section>");
    }
    if let Some(res) = card["resources"].as_array().filter(|a| !a.is_empty()) {
        b.push_str("<section class=\"card\"><h2>To read next</h2><ul>");
        for r in res {
            let _ = write!(
                b,
                "<li>{} <span class=\"muted\">({}) — {}</span></li>",
                esc(r["title"].as_str().unwrap_or("")),
                esc(&title_of(r["dimension"].as_str().unwrap_or(""))),
                esc(r["url"].as_str().unwrap_or(""))
            );
        }
        b.push_str("</ul></section>");
    }
    if let Some(s) = k.scenario(&stored.summary.scenario) {
        b.push_str(&crate::sim::reference_links(s));
    }
    b.push_str("<section class=\"card transcript\"><h2>Transcript</h2>");
    for (i, t) in stored.turns.iter().enumerate() {
        b.push_str(&turn_html(&t.speaker, &t.text, i + 1).replacen(
            "<h3 class=\"who\">",
            &format!(
                "<h3 class=\"who\"><span class=\"turn-no\">{}</span> ",
                i + 1
            ),
            1,
        ));
    }
    b.push_str("</section><p class=\"noprint\"><a class=\"button primary\" href=\"/\">Practise again</a> <a class=\"button\" href=\"/history\">History</a></p></article>");
    Html(page(&format!("Scorecard · {title}"), &b)).into_response()
}

#[derive(Debug, Deserialize, Default)]
pub struct HistoryQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    scenario: String,
}

/// `GET /history`: every session, filtered by status and scenario, with resume and scorecard
/// links.
pub async fn history(State(shared): State<Arc<Shared>>, Query(q): Query<HistoryQuery>) -> Response {
    let sessions = match list(&shared).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let mut b = String::from("<section class=\"card\"><h1>History</h1>");
    b.push_str("<form class=\"filters\" method=\"get\" action=\"/history\"><label for=\"f-status\">Status</label><select id=\"f-status\" name=\"status\">");
    for (v, label) in [
        ("", "All"),
        ("active", "Unfinished"),
        ("finished", "Finished"),
    ] {
        let sel = if q.status == v { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{v}\"{sel}>{label}</option>");
    }
    b.push_str("</select><label for=\"f-scenario\">Scenario</label><select id=\"f-scenario\" name=\"scenario\"><option value=\"\">All</option>");
    for s in &shared.knowledge.bank.scenarios {
        let sel = if q.scenario == s.id { " selected" } else { "" };
        let _ = write!(
            b,
            "<option value=\"{}\"{sel}>{}</option>",
            esc(&s.id),
            esc(&s.title)
        );
    }
    b.push_str("</select><button type=\"submit\">Filter</button></form>");
    let rows: Vec<&Summary> = sessions
        .iter()
        .filter(|s| q.status.is_empty() || s.status.as_str() == q.status)
        .filter(|s| q.scenario.is_empty() || s.scenario == q.scenario)
        .collect();
    if rows.is_empty() {
        b.push_str("<p>No interviews match. <a href=\"/\">Start one</a>.</p>");
    } else {
        b.push_str("<table class=\"history\"><thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Date (UTC)</th><th scope=\"col\">Scenario</th><th scope=\"col\">Status</th><th scope=\"col\">Overall</th><th scope=\"col\">Time</th><th scope=\"col\">Turns</th><th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
        for s in rows {
            let overall = match (&s.overall_level, s.overall_score) {
                (Some(l), Some(x)) => format!("{} ({x})", esc(l)),
                _ => "—".into(),
            };
            let action = if s.status == Status::Finished {
                format!(
                    "<a href=\"/s/{0}/scorecard\">Scorecard<span class=\"sr\"> of {0}</span></a>",
                    esc(&s.id)
                )
            } else {
                format!(
                    "<a href=\"/s/{0}\">Resume<span class=\"sr\"> {0}</span></a>",
                    esc(&s.id)
                )
            };
            let _ = write!(
                b,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{overall}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
                esc(&s.id),
                date(s.created_ms),
                esc(&s.scenario),
                if s.status == Status::Finished {
                    "finished"
                } else {
                    "unfinished"
                },
                mmss(s.last_at_ms),
                s.turns
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("<p class=\"muted\">Sessions are shared with the terminal: <code>pipeprep resume ID</code> continues one there, and <code>pipeprep history</code> lists the same rows.</p></section>");
    Html(page("History", &b)).into_response()
}
