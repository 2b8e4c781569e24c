//! `GET /progress`: each rubric dimension over the finished interviews as an SVG line chart
//! (novice, intermediate, expert), the overall score over time, and a button that starts an
//! interview aimed at the weakest dimension — the same choice `pipeprep practice --focus weakest`
//! makes, from the same store.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use pipeprep_bank::Dimension;
use pipeprep_core::Level;
use pipeprep_store::Summary;

use crate::Shared;
use crate::error::ApiError;
use crate::html::{esc, page};

/// One finished interview: when, the overall score, the level per dimension.
pub type Row = (Summary, BTreeMap<Dimension, Level>);

const W: f64 = 300.0;
const H: f64 = 120.0;
const LEFT: f64 = 84.0;
const TOP: f64 = 10.0;
const PLOT_W: f64 = W - LEFT - 12.0;
const PLOT_H: f64 = H - TOP - 26.0;

fn x_at(i: usize, n: usize) -> f64 {
    if n <= 1 {
        LEFT + PLOT_W / 2.0
    } else {
        LEFT + PLOT_W * i as f64 / (n - 1) as f64
    }
}

/// A line chart of values in `0..=max` with the given y labels (bottom to top) and one point
/// per interview; `None` values leave a gap.
pub fn line_chart(title: &str, values: &[Option<f64>], max: f64, labels: &[&str]) -> String {
    let n = values.len();
    let y_at = |v: f64| TOP + PLOT_H - v / max.max(f64::MIN_POSITIVE) * PLOT_H;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">",
        esc(title)
    );
    let _ = write!(s, "<title>{}</title>", esc(title));
    let steps = labels.len().saturating_sub(1).max(1);
    for (k, label) in labels.iter().enumerate() {
        let y = y_at(max * k as f64 / steps as f64);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e1e5ea\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555555\">{}</text>",
            LEFT + PLOT_W,
            LEFT - 6.0,
            y + 4.0,
            esc(label)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{LEFT}\" y=\"{:.1}\" fill=\"#555555\">oldest</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555555\">latest →</text>",
        H - 6.0,
        LEFT + PLOT_W,
        H - 6.0
    );
    // Consecutive known points are joined; a gap breaks the line.
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    x_at(i, n),
                    y_at(*v)
                );
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !d.is_empty() {
        let _ = write!(
            s,
            "<path class=\"line\" d=\"{}\" fill=\"none\" stroke=\"#3b6fb6\" stroke-width=\"2\"/>",
            d.trim_end()
        );
    }
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            let _ = write!(
                s,
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"#3b6fb6\"/>",
                x_at(i, n),
                y_at(*v)
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn level_value(l: Level) -> f64 {
    match l {
        Level::Novice => 0.0,
        Level::Intermediate => 1.0,
        Level::Expert => 2.0,
    }
}

/// The page body for these finished interviews (oldest first) and the weakest dimension.
pub fn body(rows: &[Row], weakest: Option<Dimension>) -> String {
    let mut b = String::from("<section class=\"card\"><h1>Progress</h1>");
    if rows.is_empty() {
        b.push_str("<p>No finished interviews yet. Progress charts appear after the first one. <a href=\"/\">Start an interview</a> or <a href=\"/bank\">browse the problem bank</a>.</p></section>");
        return b;
    }
    let _ = write!(
        b,
        "<p class=\"lead\">{} finished {}, oldest to newest: {} to {}.</p>",
        rows.len(),
        if rows.len() == 1 {
            "interview"
        } else {
            "interviews"
        },
        pipeprep_app::reports::date(rows[0].0.created_ms),
        pipeprep_app::reports::date(rows[rows.len() - 1].0.created_ms)
    );
    if let Some(d) = weakest {
        let _ = write!(
            b,
            "<form class=\"weakest\" method=\"post\" action=\"/s\"><input type=\"hidden\" name=\"focus\" value=\"{id}\"><p>Your weakest dimension over the last five interviews: <strong>{title}</strong>.</p><button type=\"submit\" class=\"primary\" id=\"practise-weakest\">Practise my weakest dimension ({title})</button></form>",
            id = d.id(),
            title = esc(d.title())
        );
    }
    b.push_str("</section><section class=\"card\"><h2>Overall score</h2>");
    let scores: Vec<Option<f64>> = rows
        .iter()
        .map(|(s, _)| s.overall_score.map(f64::from))
        .collect();
    b.push_str(&line_chart(
        "Overall score per interview, 0 to 100",
        &scores,
        100.0,
        &["0", "50", "100"],
    ));
    b.push_str(
        "</section><section class=\"card\"><h2>Each dimension over time</h2><div class=\"trends\">",
    );
    for d in Dimension::ALL {
        let values: Vec<Option<f64>> = rows
            .iter()
            .map(|(_, l)| l.get(&d).map(|x| level_value(*x)))
            .collect();
        let latest = rows
            .last()
            .and_then(|(_, l)| l.get(&d))
            .map_or("-", |l| l.as_str());
        let _ = write!(
            b,
            "<figure class=\"trend-card\" id=\"trend-{}\"><figcaption><strong>{}</strong> <span class=\"muted\">latest: {latest}</span></figcaption>{}</figure>",
            d.id(),
            esc(d.title()),
            line_chart(
                &format!("{} per interview", d.title()),
                &values,
                2.0,
                &["novice", "intermediate", "expert"],
            )
        );
    }
    b.push_str("</div></section>");
    b
}

/// `GET /progress`.
pub async fn progress(State(shared): State<Arc<Shared>>) -> Response {
    let sh = Arc::clone(&shared);
    let got =
        tokio::task::spawn_blocking(move || -> Result<(Vec<Row>, Option<Dimension>), ApiError> {
            let store = (sh.open_store)().map_err(ApiError::from_anyhow)?;
            let rows = pipeprep_app::reports::finished(&*store).map_err(ApiError::from_anyhow)?;
            let weakest = pipeprep_app::reports::weakest(&*store).map_err(ApiError::from_anyhow)?;
            Ok((rows, weakest))
        })
        .await
        .map_err(|e| ApiError::internal(format!("progress task: {e}")))
        .and_then(|r| r);
    match got {
        Ok((rows, weakest)) => Html(page("Progress", &body(&rows, weakest))).into_response(),
        Err(e) => crate::pages::error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_point_per_known_value_and_breaks_at_gaps() {
        let s = line_chart(
            "t",
            &[Some(0.0), Some(2.0), None, Some(1.0)],
            2.0,
            &["a", "b", "c"],
        );
        assert_eq!(s.matches("<circle").count(), 3);
        // Two runs: M..L.. then M.. (the gap breaks the line).
        let d = s.split("class=\"line\" d=\"").nth(1).unwrap();
        let d = &d[..d.find('"').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
        // Novice sits at the bottom of the plot, expert at the top.
        assert!(
            d.starts_with(&format!("M{LEFT:.1},{:.1}", TOP + PLOT_H)),
            "{d}"
        );
        assert!(d.contains(&format!(",{TOP:.1}")), "{d}");
        assert!(line_chart("t", &[], 2.0, &["a"]).contains("</svg>"));
        assert!(!line_chart("t", &[None], 2.0, &["a"]).contains("<path"));
    }
}
