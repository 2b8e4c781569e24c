//! What stored sessions tell: history rows, progress per dimension, the weakest dimension, and
//! exports of one session.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use pipeprep_bank::{Dimension, Scenario};
use pipeprep_core::scorer::Level;
use pipeprep_core::{Knowledge, render};
use pipeprep_store::{Status, Store, Stored, Summary};
use serde_json::Value;

/// `2026-11-25 12:30` (UTC) from Unix milliseconds.
pub fn date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// `12:05` minutes and seconds of interview time.
pub fn duration(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60)
}

/// Levels per dimension from a stored scorecard JSON.
pub fn levels(scorecard_json: &str) -> BTreeMap<Dimension, Level> {
    let mut out = BTreeMap::new();
    if let Ok(v) = serde_json::from_str::<Value>(scorecard_json) {
        for d in v["dimensions"].as_array().into_iter().flatten() {
            if let (Some(id), Some(level)) = (
                d["id"].as_str().and_then(Dimension::from_id),
                d["level"].as_str().and_then(Level::from_str_opt),
            ) {
                out.insert(id, level);
            }
        }
    }
    out
}

fn score(l: Level) -> f64 {
    match l {
        Level::Novice => 0.0,
        Level::Intermediate => 1.0,
        Level::Expert => 2.0,
    }
}

/// Finished sessions, oldest first, with their levels.
pub fn finished(store: &dyn Store) -> Result<Vec<(Summary, BTreeMap<Dimension, Level>)>> {
    let mut out = Vec::new();
    for s in store
        .list()?
        .into_iter()
        .rev()
        .filter(|s| s.status == Status::Finished)
    {
        let stored = store.load(&s.id)?;
        let lv = levels(stored.scorecard_json.as_deref().unwrap_or(""));
        out.push((s, lv));
    }
    Ok(out)
}

/// The dimension with the lowest average level over the last five finished sessions.
pub fn weakest(store: &dyn Store) -> Result<Option<Dimension>> {
    let done = finished(store)?;
    let recent = &done[done.len().saturating_sub(5)..];
    if recent.is_empty() {
        return Ok(None);
    }
    let avg = |d: Dimension| {
        recent
            .iter()
            .map(|(_, l)| l.get(&d).map_or(0.0, |x| score(*x)))
            .sum::<f64>()
            / recent.len() as f64
    };
    Ok(Dimension::ALL
        .into_iter()
        .min_by(|a, b| avg(*a).total_cmp(&avg(*b))))
}

/// Picks from `pool` by seed; with a dimension, only among the scenarios that expect the most
/// of it (intermediate plus expert concepts).
pub fn pick(mut pool: Vec<&Scenario>, dim: Option<Dimension>, seed: u64) -> Option<String> {
    if let Some(d) = dim {
        let weight = |s: &Scenario| {
            s.expectation(d)
                .map_or(0, |e| e.intermediate.len() + e.expert.len())
        };
        let best = pool.iter().map(|s| weight(s)).max()?;
        pool.retain(|s| weight(s) == best);
    }
    pool.sort_by(|a, b| a.id.cmp(&b.id));
    pool.get((seed % pool.len().max(1) as u64) as usize)
        .map(|s| s.id.clone())
}

/// A scenario that exercises `dim` most, avoiding the ones done in the last three sessions.
pub fn scenario_for(k: &Knowledge, dim: Dimension, recent: &[String], seed: u64) -> Option<String> {
    let mut pool: Vec<&Scenario> = k
        .bank
        .scenarios
        .iter()
        .filter(|s| !recent.contains(&s.id))
        .collect();
    if pool.is_empty() {
        pool = k.bank.scenarios.iter().collect();
    }
    pick(pool, Some(dim), seed)
}

/// A terminal chart of levels per dimension across finished sessions.
pub fn progress_chart(rows: &[(Summary, BTreeMap<Dimension, Level>)]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} finished {}, oldest to newest; ▁ novice, ▄ intermediate, █ expert\n",
        rows.len(),
        if rows.len() == 1 {
            "interview"
        } else {
            "interviews"
        }
    );
    for d in Dimension::ALL {
        let line: String = rows
            .iter()
            .map(|(_, l)| match l.get(&d) {
                Some(Level::Expert) => '█',
                Some(Level::Intermediate) => '▄',
                Some(Level::Novice) => '▁',
                None => '·',
            })
            .collect();
        let latest = rows
            .last()
            .and_then(|(_, l)| l.get(&d))
            .map_or("-", |l| l.as_str());
        let _ = writeln!(o, "{:<24} {line:<20} latest: {latest}", d.id());
    }
    let scores: Vec<String> = rows
        .iter()
        .map(|(s, _)| s.overall_score.map_or("-".into(), |x| x.to_string()))
        .collect();
    let _ = writeln!(o, "\noverall scores: {}", scores.join(" → "));
    o
}

/// The interviewer's understanding of the candidate's design at the end, replayed.
fn replay_design(k: &Knowledge, iv: Option<&pipeprep_core::Interview>) -> Option<String> {
    let g = iv?.design();
    if g.is_empty() {
        None
    } else {
        Some(pipeprep_design::render::ascii(g, &k.bank.catalog))
    }
}

/// Levels, justifications and evidence from a stored scorecard, over the engine's re-score.
fn overlay_levels(card: &mut pipeprep_core::Scorecard, json: &str) {
    let Ok(v) = serde_json::from_str::<Value>(json) else {
        return;
    };
    let Some(dims) = v["dimensions"].as_array() else {
        return;
    };
    for d in &mut card.dimensions {
        let Some(sd) = dims.iter().find(|x| x["id"].as_str() == Some(d.id.id())) else {
            continue;
        };
        if let Some(l) = sd["level"].as_str().and_then(Level::from_str_opt) {
            d.level = l;
        }
        if let Some(j) = sd["justification"].as_str() {
            d.justification = j.to_string();
        }
        if let Some(ev) = sd["evidence"].as_array() {
            d.evidence = ev
                .iter()
                .filter_map(|e| {
                    Some(pipeprep_core::scorer::Evidence {
                        turn: usize::try_from(e["turn"].as_u64()?).ok()?,
                        quote: e["quote"].as_str()?.to_string(),
                    })
                })
                .collect();
        }
    }
    card.overall = pipeprep_core::scorer::overall(&card.dimensions);
}

/// Exports a session as markdown, JSON or HTML.
pub fn export(k: &Knowledge, stored: &Stored, format: &str) -> Result<String> {
    let s = &stored.summary;
    let transcript = pipeprep_core::Transcript {
        scenario: Some(s.scenario.clone()),
        turns: stored
            .turns
            .iter()
            .map(|t| pipeprep_core::Turn {
                speaker: if t.speaker == "candidate" {
                    pipeprep_core::Speaker::Candidate
                } else {
                    pipeprep_core::Speaker::Interviewer
                },
                text: t.text.clone(),
                line: 0,
            })
            .collect(),
    };
    // Scoring is deterministic, so re-scoring the stored transcript gives the stored scorecard
    // with the typed values the renderers need; the hint count is the one the interview kept.
    let hints = stored
        .scorecard_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|v| v["hints_used"].as_u64())
        .map(|h| h as usize);
    // The live scorecard was computed from the engine's transcript, whose interviewer turns keep
    // the offline phrasing even when an LLM voiced them; score the replayed one so they agree.
    let replayed = crate::session::replay(k, stored).ok();
    let engine_transcript = replayed
        .as_ref()
        .filter(|iv| iv.transcript().turns.len() == transcript.turns.len())
        .map_or(&transcript, |iv| iv.transcript());
    let mut card =
        (s.status == Status::Finished).then(|| pipeprep_core::score(k, engine_transcript, hints));
    // A verified LLM second opinion changed some levels: take them from the stored scorecard.
    let reviewed = s.llm.as_ref().filter(|l| l.reviewed);
    if let (Some(c), Some(_), Some(json)) = (card.as_mut(), reviewed, &stored.scorecard_json) {
        overlay_levels(c, json);
    }
    let scored_by = match reviewed {
        Some(l) => format!("{} + LLM ({})", render::ENGINE_LABEL, l.model),
        None => render::ENGINE_LABEL.to_string(),
    };
    let design = replay_design(k, replayed.as_ref());
    Ok(match format {
        "json" => {
            let turns: Vec<Value> = stored
                .turns
                .iter()
                .map(|t| {
                    let mut v = serde_json::json!({"speaker": t.speaker, "text": t.text, "phase": t.phase, "act": t.act});
                    if let Some(voice) = &t.voice {
                        v["voice"] = Value::from(voice.as_str());
                    }
                    v
                })
                .collect();
            let llm = s.llm.as_ref().map(|l| {
                serde_json::json!({
                    "model": l.model,
                    "prompt_tokens": l.prompt_tokens,
                    "completion_tokens": l.completion_tokens,
                    "offline_turns": l.offline_turns,
                    "reviewed": l.reviewed,
                    "cost_usd": k.bank.prices.llm_usd(&l.model, l.prompt_tokens, l.completion_tokens),
                })
            });
            let card_v: Value = stored
                .scorecard_json
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or(Value::Null);
            let v = serde_json::json!({
                "id": s.id,
                "scenario": s.scenario,
                "status": s.status.as_str(),
                "created": date(s.created_ms),
                "duration_ms": s.last_at_ms,
                "turns": turns,
                "llm": llm,
                "diagram": design,
                "scorecard": card_v,
            });
            let mut out = serde_json::to_string_pretty(&v)?;
            out.push('\n');
            out
        }
        "html" => {
            let esc = |x: &str| {
                x.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            };
            let mut body = String::new();
            let _ = write!(
                body,
                "<h1>Interview {} — {}</h1><p>{} · {}</p><h2>Transcript</h2>",
                esc(&s.id),
                esc(&s.scenario),
                date(s.created_ms),
                s.status.as_str()
            );
            for t in &stored.turns {
                let _ = write!(
                    body,
                    "<p><strong>{}:</strong> {}</p>",
                    if t.speaker == "candidate" {
                        "Candidate"
                    } else {
                        "Interviewer"
                    },
                    esc(&t.text).replace('\n', "<br>")
                );
            }
            if let Some(d) = &design {
                let _ = write!(body, "<h2>Design</h2><pre>{}</pre>", esc(d));
            }
            let page = match &card {
                Some(c) => render::html(c, &scored_by),
                None => "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pipeprep</title></head><body>\n<p>Not finished yet: no scorecard.</p>\n</body></html>\n".to_string(),
            };
            page.replacen("<body>\n", &format!("<body>\n{body}\n"), 1)
        }
        _ => {
            let mut o = String::new();
            let _ = writeln!(
                o,
                "# Interview {} — {}\n\n{} · {} · {}\n",
                s.id,
                s.scenario,
                date(s.created_ms),
                s.status.as_str(),
                duration(s.last_at_ms)
            );
            let _ = writeln!(o, "{transcript}");
            if let Some(d) = &design {
                let _ = writeln!(o, "## Design as understood\n\n```\n{d}```\n");
            }
            match &card {
                Some(c) => o.push_str(&render::markdown(c, &scored_by)),
                None => o.push_str(
                    "Not finished yet: resume it with `pipeprep resume` to get the scorecard.\n",
                ),
            }
            o
        }
    })
}
