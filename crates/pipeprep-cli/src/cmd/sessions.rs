//! `pipeprep history`, `progress` and `export`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets};
use pipeprep_app::{bad, reports, session};
use pipeprep_store::Store;

use crate::cli::Format;

pub fn history(bank: Option<&Path>, db: Option<&Path>, delete: Option<String>) -> Result<ExitCode> {
    if let Some(id) = delete {
        let store = session::open_store(db)?;
        if store.delete(&id)? {
            println!("deleted session {id}");
            return Ok(ExitCode::SUCCESS);
        }
        return Err(bad(format!(
            "no session `{id}` — `pipeprep history` lists them"
        )));
    }
    let store = session::open_store_read_only(db)?;
    let list = store.list()?;
    if list.is_empty() {
        println!("No interviews yet. Start one with `pipeprep practice`.");
        return Ok(ExitCode::SUCCESS);
    }
    // Only the price table is needed (for the LLM cost column), not the whole knowledge base.
    let file = super::read_file_config()?;
    let prices =
        pipeprep_app::load_bank(pipeprep_app::config::bank_dir(bank, &file).as_deref())?.prices;
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(vec![
        "id",
        "date (UTC)",
        "scenario",
        "status",
        "overall",
        "time",
        "turns",
        "llm (tokens in/out, cost)",
    ]);
    for s in &list {
        let overall = match (&s.overall_level, s.overall_score) {
            (Some(l), Some(x)) => format!("{l} ({x})"),
            _ => "-".into(),
        };
        t.add_row(vec![
            s.id.clone(),
            reports::date(s.created_ms),
            s.scenario.clone(),
            s.status.as_str().to_string(),
            overall,
            reports::duration(s.last_at_ms),
            s.turns.to_string(),
            s.llm.as_ref().map_or_else(
                || "-".to_string(),
                |l| {
                    let cost = prices
                        .llm_usd(&l.model, l.prompt_tokens, l.completion_tokens)
                        .map_or_else(|| "no price".to_string(), |usd| format!("${usd:.4}"));
                    format!(
                        "{} ({}/{}, {cost}, {} offline)",
                        l.model, l.prompt_tokens, l.completion_tokens, l.offline_turns
                    )
                },
            ),
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

pub fn progress(db: Option<&Path>) -> Result<ExitCode> {
    let store = session::open_store_read_only(db)?;
    let rows = reports::finished(&store)?;
    if rows.is_empty() {
        println!("No finished interviews yet. Finish one (or type /end) and come back.");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", reports::progress_chart(&rows));
    if let Some(d) = reports::weakest(&store)? {
        println!(
            "weakest lately: {} — `pipeprep practice --focus weakest` aims the next interview at it",
            d.id()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(
    bank: Option<&Path>,
    db: Option<&Path>,
    id: &str,
    format: Format,
) -> Result<ExitCode> {
    let ctx = super::load(bank)?;
    let store = session::open_store_read_only(db)?;
    let id = session::resolve_id(&store, id)?;
    let stored = store.load(&id).map_err(|e| bad(e.to_string()))?;
    let f = match format {
        Format::Md => "md",
        Format::Json => "json",
        Format::Html => "html",
    };
    print!("{}", reports::export(&ctx.knowledge, &stored, f)?);
    Ok(ExitCode::SUCCESS)
}
