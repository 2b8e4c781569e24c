//! The cohort view of multi-user mode: an instructor sees, for the learners of each cohort they
//! lead, the interviews finished, each rubric dimension's level over time and the cohort's
//! weakest dimensions, as JSON (`GET /api/cohort`) and as a page (`/cohort`) whose line charts
//! are SVG made here. A learner sees only their own record (`GET /api/progress`, `/cohort`).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use pipeprep_bank::Dimension;
use pipeprep_store::{DimensionStanding, LearnerProgress, Role, User};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::html::{esc, page as html_page};
use crate::team::{Team, blocking, current_user, json_error};

fn rank(level: &str) -> Option<u8> {
    match level {
        "novice" => Some(0),
        "intermediate" => Some(1),
        "expert" => Some(2),
        _ => None,
    }
}

/// A learner as JSON: finished interviews and, per dimension in rubric order, its level in each
/// finished interview, oldest first.
fn learner_json(l: &LearnerProgress) -> Value {
    let dims: serde_json::Map<String, Value> = Dimension::ALL
        .iter()
        .map(|d| {
            let points: Vec<Value> = l
                .points
                .iter()
                .filter(|p| p.dimension == d.id())
                .map(|p| {
                    json!({
                        "session": p.session_id,
                        "finished_ms": p.finished_ms,
                        "level": p.level,
                    })
                })
                .collect();
            (d.id().to_string(), Value::Array(points))
        })
        .collect();
    json!({
        "username": l.username,
        "sessions_finished": l.sessions_finished,
        "dimensions": dims,
    })
}

fn weakest_json(w: &[DimensionStanding]) -> Value {
    Value::Array(
        w.iter()
            .map(|s| {
                json!({
                    "dimension": s.dimension,
                    // 0 novice … 2 expert, rounded to two places.
                    "mean_level": (s.mean_rank * 100.0).round() / 100.0,
                    "learners": s.learners,
                })
            })
            .collect(),
    )
}

struct CohortData {
    name: String,
    learners: Vec<LearnerProgress>,
    weakest: Vec<DimensionStanding>,
}

/// Every cohort the instructor leads (or only `only`), with its learners and weakest dimensions.
async fn cohorts(
    team: &Team,
    user: &User,
    only: Option<String>,
) -> Result<Vec<CohortData>, Response> {
    let pg = team.pg.clone();
    let user = user.clone();
    let out = blocking(move || {
        let names = pg.cohorts_led(&user)?;
        let mut out = Vec::new();
        for name in names {
            if only.as_ref().is_some_and(|o| *o != name) {
                continue;
            }
            let learners = pg.cohort_progress(&user, &name)?;
            let weakest = pg.cohort_weakest(&user, &name)?;
            out.push(CohortData {
                name,
                learners,
                weakest,
            });
        }
        Ok(out)
    })
    .await?;
    Ok(out)
}

#[derive(Deserialize)]
pub struct CohortQuery {
    /// Only this cohort.
    name: Option<String>,
}

async fn logged_in(team: &Team, headers: &HeaderMap) -> Result<User, Response> {
    match current_user(team, headers).await? {
        Some(u) => Ok(u),
        None => Err(json_error(
            StatusCode::UNAUTHORIZED,
            "log in first — POST /api/login with {\"username\", \"password\"}",
        )),
    }
}

/// `GET /api/cohort[?name=NAME]` → `{"cohorts": [{"name", "learners": […], "weakest": […]}]}`
/// for an instructor; 403 for a learner.
pub async fn api_cohort(
    State(team): State<Arc<Team>>,
    headers: HeaderMap,
    Query(q): Query<CohortQuery>,
) -> Response {
    let user = match logged_in(&team, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if user.role != Role::Instructor {
        return json_error(
            StatusCode::FORBIDDEN,
            "only an instructor sees a cohort — your own progress is at GET /api/progress",
        );
    }
    let only = q.name.filter(|n| !n.is_empty());
    let data = match cohorts(&team, &user, only.clone()).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    if let Some(name) = only
        && data.is_empty()
    {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("no cohort `{name}` that you lead"),
        );
    }
    let list: Vec<Value> = data
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "learners": c.learners.iter().map(learner_json).collect::<Vec<_>>(),
                "weakest": weakest_json(&c.weakest),
            })
        })
        .collect();
    axum::Json(json!({ "cohorts": list })).into_response()
}

/// `GET /api/progress` → the logged-in user's own record, in the shape of a cohort learner.
pub async fn api_progress(State(team): State<Arc<Team>>, headers: HeaderMap) -> Response {
    let user = match logged_in(&team, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let pg = team.pg.clone();
    match blocking(move || pg.own_progress(&user)).await {
        Ok(p) => axum::Json(learner_json(&p)).into_response(),
        Err(r) => r,
    }
}

/// A small line chart of one dimension's level over a learner's finished interviews: novice at
/// the bottom, expert at the top, one point per interview.
pub fn sparkline(dimension: &str, levels: &[&str]) -> String {
    const W: f64 = 96.0;
    const H: f64 = 28.0;
    let ranks: Vec<u8> = levels.iter().filter_map(|l| rank(l)).collect();
    let title = if levels.is_empty() {
        format!("{dimension}: no finished interview")
    } else {
        format!("{dimension}: {}", levels.join(" → "))
    };
    let mut svg = format!(
        "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\"><title>{}</title>\
<line x1=\"2\" y1=\"{y0}\" x2=\"{x2}\" y2=\"{y0}\" stroke=\"#dddddd\"/><line x1=\"2\" y1=\"4\" x2=\"{x2}\" y2=\"4\" stroke=\"#dddddd\"/>",
        esc(&title),
        y0 = H - 4.0,
        x2 = W - 2.0
    );
    let y = |r: u8| H - 4.0 - f64::from(r) * (H - 8.0) / 2.0;
    let step = if ranks.len() > 1 {
        (W - 8.0) / (ranks.len() - 1) as f64
    } else {
        0.0
    };
    let points: Vec<(f64, f64)> = ranks
        .iter()
        .enumerate()
        .map(|(i, r)| (4.0 + step * i as f64, y(*r)))
        .collect();
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"#2457a6\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
    }
    for (x, y) in &points {
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"#2457a6\"/>"
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One table: a row per learner, a column per dimension with its chart and latest level.
fn learners_table(learners: &[LearnerProgress]) -> String {
    let mut out = String::from(
        "<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">Learner</th><th scope=\"col\">Finished</th>",
    );
    for d in Dimension::ALL {
        let _ = write!(
            out,
            "<th scope=\"col\">{}</th>",
            esc(&d.id().replace('_', " "))
        );
    }
    out.push_str("</tr></thead><tbody>");
    for l in learners {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td>",
            esc(&l.username),
            l.sessions_finished
        );
        for d in Dimension::ALL {
            let levels: Vec<&str> = l
                .points
                .iter()
                .filter(|p| p.dimension == d.id())
                .map(|p| p.level.as_str())
                .collect();
            let _ = write!(
                out,
                "<td>{}<br><small>{}</small></td>",
                sparkline(d.id(), &levels),
                esc(levels.last().copied().unwrap_or("—"))
            );
        }
        out.push_str("</tr>");
    }
    if learners.is_empty() {
        out.push_str("<tr><td colspan=\"9\">No learners yet — add them with <code>pipeprep users cohort NAME --instructor YOU LEARNER…</code></td></tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

fn weakest_list(w: &[DimensionStanding]) -> String {
    if w.is_empty() {
        return "<p>No finished interviews yet.</p>".into();
    }
    let mut out = String::from("<ol class=\"weakest\">");
    for s in w.iter().take(3) {
        let _ = write!(
            out,
            "<li>{} — mean level {:.2} of 2 ({} learner{})</li>",
            esc(&s.dimension.replace('_', " ")),
            s.mean_rank,
            s.learners,
            if s.learners == 1 { "" } else { "s" }
        );
    }
    out.push_str("</ol>");
    out
}

/// `/cohort`: an instructor's cohorts, or a learner's own progress.
pub async fn page(State(team): State<Arc<Team>>, headers: HeaderMap) -> Response {
    let user = match current_user(&team, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(r) => return r,
    };
    let legend = "<p><small>Each chart is one rubric dimension over the finished interviews, oldest first: novice at the bottom, expert at the top.</small></p>";
    if user.role == Role::Instructor {
        let data = match cohorts(&team, &user, None).await {
            Ok(d) => d,
            Err(_) => return error_page(),
        };
        let mut body = String::from("<section class=\"card\"><h1>Your cohorts</h1>");
        body.push_str(legend);
        if data.is_empty() {
            body.push_str("<p>You lead no cohort yet — form one with <code>pipeprep users cohort NAME --instructor YOU LEARNER…</code></p>");
        }
        for c in &data {
            let _ = write!(
                body,
                "<h2>{}</h2><h3>Weakest dimensions</h3>{}<h3>Learners</h3>{}",
                esc(&c.name),
                weakest_list(&c.weakest),
                learners_table(&c.learners)
            );
        }
        body.push_str("</section>");
        return Html(html_page("Cohorts", &body)).into_response();
    }
    let pg = team.pg.clone();
    let me = user.clone();
    let Ok(p) = blocking(move || pg.own_progress(&me)).await else {
        return error_page();
    };
    let body = format!(
        "<section class=\"card\"><h1>Your progress</h1>{legend}{}</section>",
        learners_table(std::slice::from_ref(&p))
    );
    Html(html_page("Your progress", &body)).into_response()
}

fn error_page() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(html_page(
            "Error",
            &format!(
                "<section class=\"card\"><h1>Something went wrong</h1><p role=\"alert\">{}</p></section>",
                esc(crate::error::INTERNAL)
            ),
        )),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_rises_with_the_level_and_says_it_in_its_title() {
        let svg = sparkline("failure_modes", &["novice", "intermediate", "expert"]);
        assert!(svg.contains("<title>failure_modes: novice → intermediate → expert</title>"));
        // Three points, the last (expert) higher on the page (smaller y) than the first.
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(
            svg.contains("points=\"4.0,24.0 48.0,14.0 92.0,4.0\""),
            "{svg}"
        );
    }

    #[test]
    fn a_chart_without_interviews_says_so() {
        let svg = sparkline("cost_awareness", &[]);
        assert!(svg.contains("no finished interview"));
        assert!(!svg.contains("<circle"));
    }
}
