//! `pipeprep practice`: the interview, interactive in a terminal or scripted from answers.

use std::io::{BufReader, IsTerminal};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use pipeprep_app::bad;
use pipeprep_bank::{Difficulty, Dimension};
use pipeprep_core::interview::InterviewConfig;

use crate::cli::{self, PracticeArgs};

fn seed_from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64)
}

/// Picks a scenario: the one asked for, else one matching the difficulty and focus, by seed.
fn choose(
    k: &pipeprep_core::Knowledge,
    args: &PracticeArgs,
    focus: &[Dimension],
    seed: u64,
) -> Result<String> {
    if let Some(id) = &args.scenario {
        if k.scenario(id).is_none() {
            return Err(pipeprep_app::unknown_scenario(&k.bank, id));
        }
        return Ok(id.clone());
    }
    let want = args.difficulty.map(|d| match d {
        cli::Difficulty::Medium => Difficulty::Medium,
        cli::Difficulty::Hard => Difficulty::Hard,
    });
    let mut pool: Vec<&pipeprep_bank::Scenario> = k
        .bank
        .scenarios
        .iter()
        .filter(|s| want.is_none_or(|w| s.difficulty == w))
        .collect();
    if pool.is_empty() {
        return Err(bad(
            "no scenario matches that difficulty — try --difficulty medium or hard",
        ));
    }
    if let Some(d) = focus.first() {
        // Prefer the scenarios that expect the most of the focus dimension.
        let weight = |s: &pipeprep_bank::Scenario| {
            s.expectation(*d)
                .map_or(0, |e| e.intermediate.len() + e.expert.len())
        };
        let best = pool.iter().map(|s| weight(s)).max().unwrap_or(0);
        pool.retain(|s| weight(s) == best);
    }
    pool.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(pool[(seed % pool.len() as u64) as usize].id.clone())
}

pub fn run(bank: Option<&Path>, args: PracticeArgs) -> Result<ExitCode> {
    if let Some(spec) = &args.llm {
        return Err(bad(format!(
            "--llm `{spec}`: LLM backends are not available in this version; pipeprep runs the offline interviewer — drop --llm"
        )));
    }
    let focus: Vec<Dimension> = match args.focus.as_deref() {
        None => Vec::new(),
        Some("weakest") => {
            return Err(bad(
                "--focus weakest needs your stored sessions, which this version does not keep yet — name a dimension instead, e.g. --focus failure_modes",
            ));
        }
        Some(d) => vec![Dimension::from_id(d).ok_or_else(|| {
            bad(format!(
                "unknown dimension `{d}` — use one of {}",
                Dimension::ALL
                    .iter()
                    .map(|d| d.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?],
    };
    let ctx = super::load(bank)?;
    let k = &ctx.knowledge;
    let seed = args.seed.unwrap_or_else(seed_from_clock);
    let scenario = choose(k, &args, &focus, seed)?;
    let cfg = InterviewConfig {
        scenario,
        seed,
        hard: args.difficulty == Some(cli::Difficulty::Hard),
        focus,
    };
    let scripted = args.answers.as_deref();
    let interactive = scripted.is_none() && std::io::stdin().is_terminal();
    if interactive {
        return crate::repl::run(k, cfg);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    match scripted.unwrap_or("-") {
        "-" => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            pipeprep_app::scripted::run(k, cfg, &mut input, &mut out, &mut err)?;
        }
        path => {
            let f = std::fs::File::open(path).map_err(|e| {
                bad(format!(
                    "cannot read answers file `{path}`: {e} — check the path"
                ))
            })?;
            let mut input = BufReader::new(f);
            pipeprep_app::scripted::run(k, cfg, &mut input, &mut out, &mut err)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
