//! `pipeprep grade`: score a transcript, or a labelled directory with --eval.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use pipeprep_app::bad;
use pipeprep_core::{Transcript, render, score};

use crate::cli::{Format, GradeArgs};

/// The most of a transcript `grade` reads. A long real interview is about 100 KB; grading costs
/// about 25 bytes of memory per byte read, so this keeps a pasted 50 MB file near 100 MB and a
/// couple of seconds instead of gigabytes.
pub const MAX_TRANSCRIPT_BYTES: usize = 4 * 1024 * 1024;

fn bytecount_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

pub fn run(bank: Option<&Path>, args: GradeArgs) -> Result<ExitCode> {
    let ctx = super::load(bank)?;
    let k = &ctx.knowledge;
    if let Some(dir) = &args.eval {
        let set = pipeprep_app::calibration::load_dir(dir)?;
        if args.features {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            for item in &set {
                let card = score(k, &item.transcript, None);
                for (ds, label) in card.dimensions.iter().zip(item.labels) {
                    let feats: serde_json::Map<String, serde_json::Value> = ds
                        .features
                        .iter()
                        .map(|(n, v)| ((*n).to_string(), serde_json::json!(v)))
                        .collect();
                    let corrections: Vec<&str> = card
                        .corrections
                        .iter()
                        .filter(|c| c.dimension == ds.id)
                        .map(|c| c.id.as_str())
                        .collect();
                    let row = serde_json::json!({
                        "file": item.name,
                        "style": item.style,
                        "dimension": ds.id.id(),
                        "label": label.as_str(),
                        "features": feats,
                        "level": ds.level.as_str(),
                        "justification": ds.justification,
                        "corrections": corrections,
                    });
                    writeln!(out, "{row}")?;
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        let report = pipeprep_core::calibration::evaluate(k, &set);
        print!("{}", report.to_text());
        return Ok(ExitCode::SUCCESS);
    }
    let file = args
        .file
        .as_deref()
        .expect("clap requires FILE without --eval");
    let (name, bytes, total) = super::read_input_capped(file, MAX_TRANSCRIPT_BYTES)?;
    let mut t = Transcript::parse_bytes(&bytes)
        .map_err(|e| bad(format!("{name}:{}: {}", e.line, e.message)))?;
    if let Some(total) = total {
        let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
        eprintln!(
            "note: `{name}` is {:.1} MB; graded its first {:.1} MB ({} turns, up to line {}) and set the other {:.1} MB aside — split the transcript to grade the rest",
            mb(total),
            mb(bytes.len() as u64),
            t.turns.len(),
            bytecount_lines(&bytes),
            mb(total - bytes.len() as u64),
        );
    }
    if let Some(id) = &args.scenario {
        t.scenario = Some(id.clone());
    }
    if let Some(id) = t.scenario.as_ref().filter(|id| k.scenario(id).is_none()) {
        return Err(pipeprep_app::unknown_scenario(&k.bank, id));
    }
    let card = score(k, &t, None);
    let out = match args.format {
        Format::Json => render::json(&card),
        Format::Md => {
            let md = render::markdown(&card, render::ENGINE_LABEL);
            crate::term::markdown(&md, crate::term::color_enabled())
        }
        Format::Html => render::html(&card, render::ENGINE_LABEL),
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
