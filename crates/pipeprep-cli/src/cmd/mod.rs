//! One module per command.

mod design;
mod estimate;
mod grade;
mod llm;
mod practice;
mod scenarios;
mod serve;
mod sessions;
mod users;

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pipeprep_app::{bad, config};

use crate::cli::{Cli, Cmd};

/// Loaded once per command: settings and the merged bank.
pub struct Ctx {
    pub knowledge: pipeprep_core::Knowledge,
    pub file: config::FileConfig,
}

pub fn load(bank_flag: Option<&Path>) -> Result<Ctx> {
    let file = read_file_config()?;
    let overlay = config::bank_dir(bank_flag, &file);
    let bank = pipeprep_app::load_bank(overlay.as_deref())?;
    Ok(Ctx {
        knowledge: pipeprep_app::knowledge(bank)?,
        file,
    })
}

/// The config file, or the defaults when there is none.
pub fn read_file_config() -> Result<config::FileConfig> {
    let dirs = config::Dirs::discover()?;
    config::read_config(&dirs.config_file()).map_err(|e| bad(e.to_string()))
}

/// Reads a file argument, `-` meaning stdin, as bytes.
pub fn read_input(arg: &str) -> Result<(String, Vec<u8>)> {
    if arg == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        return Ok(("<stdin>".into(), buf));
    }
    let bytes = std::fs::read(arg)
        .map_err(|e| bad(format!("cannot read `{arg}`: {e} — check the path")))?;
    Ok((arg.to_string(), bytes))
}

/// Reads at most `max` bytes of a file argument (`-` meaning stdin), ending at the last line
/// break within them. Returns the name, the bytes and, when the input was longer, its total
/// size in bytes (the rest is counted, not kept, so memory stays flat).
pub fn read_input_capped(arg: &str, max: usize) -> Result<(String, Vec<u8>, Option<u64>)> {
    let (name, mut reader): (String, Box<dyn Read>) = if arg == "-" {
        ("<stdin>".into(), Box::new(std::io::stdin().lock()))
    } else {
        let f = std::fs::File::open(arg)
            .map_err(|e| bad(format!("cannot read `{arg}`: {e} — check the path")))?;
        (arg.to_string(), Box::new(f))
    };
    let mut buf = Vec::new();
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .by_ref()
        .take(cap)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read `{name}`"))?;
    if buf.len() <= max {
        return Ok((name, buf, None));
    }
    let rest = std::io::copy(&mut reader, &mut std::io::sink())
        .with_context(|| format!("cannot read `{name}`"))?;
    let total = buf.len() as u64 + rest;
    buf.truncate(max);
    match buf.iter().rposition(|&b| b == b'\n') {
        Some(nl) => buf.truncate(nl + 1),
        // One enormous line: cut it at a character boundary.
        None => {
            if let Err(e) = std::str::from_utf8(&buf)
                && e.error_len().is_none()
            {
                buf.truncate(e.valid_up_to());
            }
        }
    }
    Ok((name, buf, Some(total)))
}

/// Reads a text file argument, rejecting binary and invalid UTF-8 with the line.
pub fn read_text(arg: &str) -> Result<(String, String)> {
    let (name, bytes) = read_input(arg)?;
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(bad(format!(
            "{name}:{line}: this is a binary file — pass a text file"
        )));
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok((name, s)),
        Err(e) => {
            let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(bad(format!(
                "{name}:{line}: the file is not valid UTF-8 — save it as UTF-8 text"
            )))
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let bank = cli.bank.as_deref();
    let db = cli.db.as_deref();
    match cli.command {
        None => practice::run(bank, db, cli.practice),
        Some(Cmd::Practice(args)) => practice::run(bank, db, args),
        Some(Cmd::Resume { session, answers }) => practice::resume(bank, db, session, answers),
        Some(Cmd::History { delete }) => sessions::history(bank, db, delete),
        Some(Cmd::Progress) => sessions::progress(db),
        Some(Cmd::Llm(c)) => llm::run(c),
        Some(Cmd::Serve(args)) => serve::run(bank, db, args),
        Some(Cmd::Export { session, format }) => sessions::export(bank, db, &session, format),
        Some(Cmd::Grade(args)) => grade::run(bank, args),
        Some(Cmd::Analyze { file }) => {
            let ctx = load(bank)?;
            let (_, text) = read_text(&file)?;
            let a = ctx.knowledge.analyzer.analyze(&text);
            println!("{}", serde_json::to_string_pretty(&a)?);
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Scenarios(c)) => scenarios::run(bank, c),
        Some(Cmd::Design(c)) => design::run(bank, c),
        Some(Cmd::Estimate(args)) => estimate::run(bank, args),
        Some(Cmd::Users(args)) => users::run(args),
    }
}
