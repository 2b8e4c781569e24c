//! Scorecard renderings: markdown for the terminal, JSON in the DESIGN.md §3 shape, and a
//! self-contained HTML page.

use std::fmt::Write as _;

use crate::scorer::{FlagKind, Scorecard};

/// Who produced the scores, said on every human-readable scorecard.
pub const ENGINE_LABEL: &str = "rubric engine";

/// The JSON object of DESIGN.md §3, pretty-printed, with a final newline.
pub fn json(card: &Scorecard) -> String {
    let mut s = serde_json::to_string_pretty(card).expect("a scorecard always serializes");
    s.push('\n');
    s
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A readable markdown scorecard.
pub fn markdown(card: &Scorecard, scored_by: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "## Scorecard — {}",
        card.scenario.as_deref().unwrap_or("generic (rubric only)")
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Overall: **{}** ({}/100). Scored by the {scored_by}.",
        card.overall.level.title(),
        card.overall.score
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "| Dimension | Level | Justification |");
    let _ = writeln!(o, "|---|---|---|");
    for d in &card.dimensions {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            d.id.title(),
            d.level.title(),
            cell(&d.justification)
        );
    }
    let _ = writeln!(o);
    let red: Vec<_> = card
        .flags
        .iter()
        .filter(|f| f.kind == FlagKind::Red)
        .collect();
    let green: Vec<_> = card
        .flags
        .iter()
        .filter(|f| f.kind == FlagKind::Green)
        .collect();
    if !green.is_empty() || !red.is_empty() {
        let _ = writeln!(o, "**Flags**");
        for f in green {
            let _ = writeln!(o, "- ✓ {} (turn {})", f.message, f.turn);
        }
        for f in red {
            let _ = writeln!(o, "- ✗ {} (turn {})", f.message, f.turn);
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "Hints used: {}", card.hints_used);
    let _ = writeln!(o);
    let _ = writeln!(o, "**Strengths**");
    if card.strengths.is_empty() {
        let _ = writeln!(
            o,
            "- None could be grounded in what was said in this session."
        );
    }
    for s in &card.strengths {
        let _ = writeln!(o, "- {s}");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "**To improve**");
    for s in &card.improvements {
        let _ = writeln!(o, "- {s}");
    }
    let _ = writeln!(o);
    if !card.corrections.is_empty() {
        let _ = writeln!(o, "**Worth correcting**");
        for c in &card.corrections {
            let src = c
                .source
                .as_deref()
                .map_or(String::new(), |u| format!(" (source: {u})"));
            let _ = writeln!(
                o,
                "- You said (turn {}): \"{}\" — {}{src}",
                c.turn,
                crate::scorer::clip_quote(&c.quote),
                c.correction
            );
        }
        let _ = writeln!(o);
    }
    if !card.resources.is_empty() {
        let _ = writeln!(o, "**Study next**");
        for r in &card.resources {
            let _ = writeln!(o, "- {} — {} ({})", r.title, r.url, r.dimension.title());
        }
    }
    o
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained HTML page (inline CSS, no scripts, no external assets).
pub fn html(card: &Scorecard, scored_by: &str) -> String {
    let mut o = String::new();
    let title = card.scenario.as_deref().unwrap_or("generic");
    let _ = write!(
        o,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pipeprep scorecard — {}</title>\n<style>\
body{{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#1b1f24}}\
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #d0d7de;padding:6px 8px;vertical-align:top;text-align:left}}\
th{{background:#f6f8fa}}.novice{{color:#b42318}}.intermediate{{color:#9a6700}}.expert{{color:#1a7f37}}\
.red{{color:#b42318}}.green{{color:#1a7f37}}small{{color:#57606a}}\
</style></head><body>\n",
        esc(title)
    );
    let _ = writeln!(o, "<h1>Scorecard — {}</h1>", esc(title));
    let _ = writeln!(
        o,
        "<p>Overall: <strong class=\"{}\">{}</strong> ({}/100). <small>Scored by the {}.</small></p>",
        card.overall.level.as_str(),
        card.overall.level.title(),
        card.overall.score,
        esc(scored_by)
    );
    let _ = writeln!(
        o,
        "<table><tr><th>Dimension</th><th>Level</th><th>Justification</th></tr>"
    );
    for d in &card.dimensions {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            d.id.title(),
            d.level.as_str(),
            d.level.title(),
            esc(&d.justification)
        );
    }
    let _ = writeln!(o, "</table>");
    if !card.flags.is_empty() {
        let _ = writeln!(o, "<h2>Flags</h2><ul>");
        for f in &card.flags {
            let cls = if f.kind == FlagKind::Red {
                "red"
            } else {
                "green"
            };
            let _ = writeln!(
                o,
                "<li class=\"{cls}\">{} <small>(turn {})</small></li>",
                esc(&f.message),
                f.turn
            );
        }
        let _ = writeln!(o, "</ul>");
    }
    let _ = writeln!(o, "<p>Hints used: {}</p>", card.hints_used);
    for (h, items) in [
        ("Strengths", &card.strengths),
        ("To improve", &card.improvements),
    ] {
        let _ = writeln!(o, "<h2>{h}</h2><ul>");
        for s in items.iter() {
            let _ = writeln!(o, "<li>{}</li>", esc(s));
        }
        let _ = writeln!(o, "</ul>");
    }
    if !card.corrections.is_empty() {
        let _ = writeln!(o, "<h2>Worth correcting</h2><ul>");
        for c in &card.corrections {
            let _ = writeln!(
                o,
                "<li>You said (turn {}): “{}” — {}</li>",
                c.turn,
                esc(&crate::scorer::clip_quote(&c.quote)),
                esc(&c.correction)
            );
        }
        let _ = writeln!(o, "</ul>");
    }
    if !card.resources.is_empty() {
        let _ = writeln!(o, "<h2>Study next</h2><ul>");
        for r in &card.resources {
            let _ = writeln!(
                o,
                "<li>{} — <code>{}</code> <small>({})</small></li>",
                esc(&r.title),
                esc(&r.url),
                r.dimension.title()
            );
        }
        let _ = writeln!(o, "</ul>");
    }
    let _ = writeln!(o, "</body></html>");
    o
}
