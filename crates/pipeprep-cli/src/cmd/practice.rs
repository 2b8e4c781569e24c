//! `pipeprep practice`: the interview, interactive in a terminal or scripted from answers.

use std::io::{BufReader, IsTerminal};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use pipeprep_app::bad;
use pipeprep_bank::{Difficulty, Dimension};
use pipeprep_core::interview::InterviewConfig;
use pipeprep_store::Store;

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
    let pool: Vec<&pipeprep_bank::Scenario> = k
        .bank
        .scenarios
        .iter()
        .filter(|s| want.is_none_or(|w| s.difficulty == w))
        .collect();
    pipeprep_app::reports::pick(pool, focus.first().copied(), seed)
        .ok_or_else(|| bad("no scenario matches that difficulty — try --difficulty medium or hard"))
}

pub fn run(bank: Option<&Path>, db: Option<&Path>, args: PracticeArgs) -> Result<ExitCode> {
    let weakest = args.focus.as_deref() == Some("weakest");
    let mut focus: Vec<Dimension> = match args.focus.as_deref() {
        None | Some("weakest") => Vec::new(),
        Some(d) => vec![Dimension::from_id(d).ok_or_else(|| {
            bad(format!(
                "unknown dimension `{d}` — use weakest or one of {}",
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
    let voice = pipeprep_app::llm::select(args.llm.as_deref(), &ctx.file)?
        .map(|sel| pipeprep_app::llm::voice(&sel))
        .transpose()?;
    let store = pipeprep_app::session::open_store(db)?;
    let seed = args.seed.unwrap_or_else(seed_from_clock);
    let scenario = if weakest && args.scenario.is_none() {
        let dim = pipeprep_app::reports::weakest(&store)?.ok_or_else(|| {
            bad("--focus weakest needs at least one finished interview — finish one first, or name a dimension such as --focus failure_modes")
        })?;
        focus = vec![dim];
        let recent: Vec<String> = store
            .list()?
            .into_iter()
            .take(3)
            .map(|s| s.scenario)
            .collect();
        let id = pipeprep_app::reports::scenario_for(k, dim, &recent, seed)
            .ok_or_else(|| bad("the bank has no scenarios"))?;
        eprintln!(
            "focusing on {} (your weakest lately): scenario {id}",
            dim.id()
        );
        id
    } else {
        choose(k, &args, &focus, seed)?
    };
    let cfg = InterviewConfig {
        scenario,
        seed,
        hard: args.difficulty == Some(cli::Difficulty::Hard),
        focus,
    };
    let mut live = pipeprep_app::session::LiveSession::create(k, &store, cfg, voice)?;
    drive(&mut live, true, &[], args.answers.as_deref())
}

/// Runs a live session from a terminal, a file or stdin.
fn drive(
    live: &mut pipeprep_app::session::LiveSession<'_>,
    start: bool,
    prior: &[pipeprep_store::TurnRow],
    answers: Option<&str>,
) -> Result<ExitCode> {
    if answers.is_none() && std::io::stdin().is_terminal() {
        return crate::repl::run(live, start, prior);
    }
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    match answers.unwrap_or("-") {
        "-" => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            pipeprep_app::scripted::run(live, start, prior, &mut input, &mut out, &mut err)?;
        }
        path => {
            let f = std::fs::File::open(path).map_err(|e| {
                bad(format!(
                    "cannot read answers file `{path}`: {e} — check the path"
                ))
            })?;
            let mut input = BufReader::new(f);
            pipeprep_app::scripted::run(live, start, prior, &mut input, &mut out, &mut err)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `pipeprep resume [ID]`: replays the stored events and carries on.
pub fn resume(
    bank: Option<&Path>,
    db: Option<&Path>,
    id: Option<String>,
    answers: Option<String>,
) -> Result<ExitCode> {
    let ctx = super::load(bank)?;
    let store = pipeprep_app::session::open_store(db)?;
    let id = match id {
        Some(id) => pipeprep_app::session::resolve_id(&store, &id)?,
        None => pipeprep_app::session::latest_active(&store)?.ok_or_else(|| {
            bad("there is no unfinished interview to resume — `pipeprep history` lists past ones")
        })?,
    };
    let (mut live, stored) =
        pipeprep_app::session::LiveSession::resume(&ctx.knowledge, &store, &id)?;
    if let Some(sel) = pipeprep_app::llm::select(None, &ctx.file)? {
        live.set_voice(pipeprep_app::llm::voice(&sel)?);
    }
    drive(&mut live, false, &stored.turns, answers.as_deref())
}
