//! The shell shared by pipeprep's front ends: finds directories and settings, loads the bank
//! (embedded default plus the user's own), and runs the pure interview state machine, performing
//! its effects. Front ends (the terminal today, a web UI later) only handle input and display.

pub mod calibration;
pub mod config;
pub mod env;
pub mod llm;
pub mod opinion;
pub mod reports;
pub mod scripted;
pub mod session;
pub mod snapshot;
pub mod team;
pub mod voice;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pipeprep_bank::{Bank, BankFile};
use pipeprep_core::Knowledge;

/// An error in what the user gave us (a file, an id, a flag): exit code 2, one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Shortcut for returning a [`BadInput`].
pub fn bad(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}

/// Reads every `.toml` file below `dir` as bank files with paths relative to `dir`.
pub fn read_bank_dir(dir: &Path) -> Result<Vec<BankFile>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<BankFile>) -> Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| {
                bad(format!(
                    "cannot read bank directory `{}`: {e} — check the path",
                    dir.display()
                ))
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out)?;
            } else if p.extension().is_some_and(|e| e == "toml") {
                let bytes =
                    std::fs::read(&p).with_context(|| format!("cannot read `{}`", p.display()))?;
                let text = String::from_utf8(bytes).map_err(|e| {
                    let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1;
                    bad(format!(
                        "{}:{line}: the file is not valid UTF-8 — save it as UTF-8 text",
                        p.display()
                    ))
                })?;
                let rel = p
                    .strip_prefix(root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(BankFile {
                    path: p.display().to_string(),
                    rel,
                    text,
                });
            }
        }
        Ok(())
    }
    if !dir.is_dir() {
        return Err(bad(format!(
            "bank directory `{}` does not exist — pass an existing directory",
            dir.display()
        )));
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    Ok(out)
}

/// The embedded bank, with the user's directory merged over it when given.
pub fn load_bank(overlay: Option<&Path>) -> Result<Bank> {
    let user = overlay.map(read_bank_dir).transpose()?;
    pipeprep_bank::load_over_embedded(user).map_err(|p| bad(p.to_string()))
}

pub fn knowledge(bank: Bank) -> Result<Knowledge> {
    Knowledge::new(bank).map_err(|e| bad(e.to_string()))
}

/// A one-line error for an unknown scenario id, naming the closest ones.
pub fn unknown_scenario(bank: &Bank, id: &str) -> anyhow::Error {
    let close = bank.closest_scenario_ids(id);
    bad(format!(
        "unknown scenario `{id}` — did you mean {}? (`pipeprep scenarios list` shows all)",
        close
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}
