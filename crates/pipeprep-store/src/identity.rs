//! Knowing pipeprep's own database before writing a byte to it. A file created by pipeprep
//! carries [`APPLICATION_ID`] in its SQLite header; a file from an older pipeprep (no id yet) is
//! recognised by the exact tables and columns those versions wrote; an empty file is new. Anything
//! else belongs to another program and is left untouched.

use rusqlite::Connection;

/// `PRAGMA application_id` of every pipeprep database: the ASCII bytes `PPRP`. Set when the file
/// is created (or an older pipeprep file is adopted), checked before any write.
pub const APPLICATION_ID: i32 = 0x5050_5250;

/// What an existing SQLite file turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// No tables, no version, no id: a new file (also what a kill before the first commit leaves).
    Empty,
    /// pipeprep's own database at schema `version`; `stamped` when it carries the id.
    Ours { version: i64, stamped: bool },
    /// Another program's file; the reason, for the message.
    Foreign(String),
}

/// The columns each table had at each schema version pipeprep wrote before it set the id.
fn expected_columns(table: &str, version: i64) -> Vec<&'static str> {
    match table {
        "sessions" => {
            let mut c = vec![
                "id",
                "scenario",
                "config_json",
                "created_ms",
                "updated_ms",
                "status",
                "last_at_ms",
                "scorecard_json",
                "overall_level",
                "overall_score",
            ];
            if version >= 2 {
                c.extend([
                    "llm_model",
                    "prompt_tokens",
                    "completion_tokens",
                    "offline_turns",
                    "llm_reviewed",
                ]);
            }
            c
        }
        "events" => vec!["session_id", "seq", "at_ms", "event_json"],
        "turns" => {
            let mut c = vec!["session_id", "idx", "speaker", "text", "phase", "act"];
            if version >= 3 {
                c.push("voice");
            }
            c
        }
        _ => Vec::new(),
    }
}

fn quoted(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
    let more = if names.len() > 3 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Reads the header fields and the schema; writes nothing. `known` is the newest schema version
/// this pipeprep knows, which bounds the versions an unmarked older file can have.
pub fn classify(conn: &Connection, known: i64) -> rusqlite::Result<Found> {
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if app == APPLICATION_ID {
        return Ok(Found::Ours {
            version,
            stamped: true,
        });
    }
    if app != 0 {
        return Ok(Found::Foreign(format!(
            "it belongs to another application: SQLite application_id {app:#010x}"
        )));
    }
    let mut stmt = conn.prepare(
        "SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND type IN ('table', 'view', 'trigger') ORDER BY name",
    )?;
    let objects: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if objects.is_empty() && version == 0 {
        return Ok(Found::Empty);
    }
    let ours = ["events", "sessions", "turns"];
    let foreign: Vec<String> = objects
        .iter()
        .filter(|(name, kind)| kind != "table" || !ours.contains(&name.as_str()))
        .map(|(name, _)| name.clone())
        .collect();
    if !foreign.is_empty() {
        return Ok(Found::Foreign(format!(
            "it holds tables pipeprep did not create: {}",
            quoted(&foreign)
        )));
    }
    if !(1..=known).contains(&version) || objects.len() != ours.len() {
        let names: Vec<String> = objects.iter().map(|(name, _)| name.clone()).collect();
        return Ok(Found::Foreign(format!(
            "its tables {} with schema version {version} are not ones pipeprep wrote",
            quoted(&names)
        )));
    }
    for table in ours {
        let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
        let columns: Vec<String> = stmt
            .query_map([], |r| r.get(1))?
            .collect::<Result<_, _>>()?;
        if columns != expected_columns(table, version) {
            return Ok(Found::Foreign(format!(
                "its table `{table}` is not the one pipeprep creates"
            )));
        }
    }
    Ok(Found::Ours {
        version,
        stamped: false,
    })
}
