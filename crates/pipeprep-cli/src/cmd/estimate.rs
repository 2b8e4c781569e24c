//! `pipeprep estimate`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use pipeprep_app::bad;
use pipeprep_core::estimate_args;

use crate::cli::{EstimateArgs, OutFormat};

pub fn run(bank: Option<&Path>, a: EstimateArgs) -> Result<ExitCode> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (k, v) in [
        ("events-per-day", &a.events_per_day),
        ("events-per-sec", &a.events_per_sec),
        ("event-size", &a.event_size),
        ("peak-factor", &a.peak_factor),
        ("retention", &a.retention),
        ("compression", &a.compression),
        ("dedup-window", &a.dedup_window),
        ("bloom-fpr", &a.bloom_fpr),
    ] {
        if let Some(v) = v {
            pairs.push((k.to_string(), v.clone()));
        }
    }
    let input = estimate_args::build(&pairs).map_err(bad)?;
    let ctx = super::load(bank)?;
    let est = pipeprep_design::estimate::estimate(
        &input,
        &ctx.knowledge.bank.catalog,
        &ctx.knowledge.bank.prices,
    );
    match a.format {
        OutFormat::Text => print!("{}", est.to_text()),
        OutFormat::Json => print!("{}", est.to_json()),
    }
    Ok(ExitCode::SUCCESS)
}
