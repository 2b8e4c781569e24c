//! Loads a labelled calibration directory: transcripts plus `labels.toml`.

use std::path::Path;

use anyhow::Result;
use pipeprep_core::Transcript;
use pipeprep_core::calibration::Labelled;
use pipeprep_core::scorer::Level;
use serde::Deserialize;

use crate::bad;

#[derive(Deserialize)]
struct LabelsFile {
    transcript: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    file: String,
    #[serde(default)]
    style: Option<String>,
    requirements_extraction: String,
    architecture_design: String,
    tool_selection: String,
    failure_modes: String,
    scaling_strategy: String,
    cost_awareness: String,
    data_quality: String,
}

pub fn load_dir(dir: &Path) -> Result<Vec<Labelled>> {
    let path = dir.join("labels.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(format!(
            "cannot read `{}`: {e} — an eval directory needs a labels.toml",
            path.display()
        ))
    })?;
    let file: LabelsFile = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |s| crate::config::line_of(&text, s.start));
        bad(format!(
            "{}:{line}: {} — fix the labels file",
            path.display(),
            e.message().trim()
        ))
    })?;
    let mut out = Vec::new();
    for e in file.transcript {
        let level = |s: &str| {
            Level::from_str_opt(s).ok_or_else(|| {
                bad(format!(
                    "{}: `{}` has level `{s}` — use novice, intermediate or expert",
                    path.display(),
                    e.file
                ))
            })
        };
        let labels = [
            level(&e.requirements_extraction)?,
            level(&e.architecture_design)?,
            level(&e.tool_selection)?,
            level(&e.failure_modes)?,
            level(&e.scaling_strategy)?,
            level(&e.cost_awareness)?,
            level(&e.data_quality)?,
        ];
        let tpath = dir.join(&e.file);
        let bytes = std::fs::read(&tpath)
            .map_err(|err| bad(format!("cannot read `{}`: {err}", tpath.display())))?;
        let transcript = Transcript::parse_bytes(&bytes)
            .map_err(|err| bad(format!("{}:{}: {}", tpath.display(), err.line, err.message)))?;
        out.push(Labelled {
            name: e.file,
            transcript,
            labels,
            style: e.style,
        });
    }
    Ok(out)
}
