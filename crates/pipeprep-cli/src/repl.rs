//! The interactive terminal interview.
//!
//! An answer can span several lines: press Enter to start a new line and Enter on an empty line
//! to send it. A slash command on its own line (`/hint`) is sent at once. Up and down arrows
//! recall earlier answers. Ctrl-C or Ctrl-D ends the session and prints the transcript so far, so
//! nothing typed is lost (sessions are not stored yet).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use pipeprep_core::interview::{Command, Effect, Event, Interview, InterviewConfig};
use pipeprep_core::{Knowledge, render};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Editor, Helper};

use crate::term;

struct AnswerHelper;

impl Completer for AnswerHelper {
    type Candidate = String;
}
impl Hinter for AnswerHelper {
    type Hint = String;
}
impl Highlighter for AnswerHelper {}
impl Helper for AnswerHelper {}

impl Validator for AnswerHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        let single_command = input.trim_start().starts_with('/') && !input.trim().contains('\n');
        if single_command || input.trim().is_empty() || input.ends_with('\n') {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

fn print_effects(effects: Vec<Effect>, color: bool) -> (bool, bool) {
    let mut finished = false;
    let mut suspended = false;
    for e in effects {
        match e {
            Effect::Say { text, .. } => {
                println!("\n{}", term::bold("Interviewer:", color));
                print!("{}", term::markdown(&text, color));
            }
            Effect::Show { text } => {
                println!();
                print!("{}", term::markdown(&text, color));
            }
            Effect::Finish { scorecard } => {
                println!();
                let md = render::markdown(&scorecard, render::ENGINE_LABEL);
                print!("{}", term::markdown(&md, color));
                finished = true;
            }
            Effect::Suspend => suspended = true,
        }
    }
    (finished, suspended)
}

fn dump_transcript(iv: &Interview, why: &str) {
    eprintln!(
        "\n{why} Sessions are not stored yet, so here is the transcript so far (save it and run `pipeprep grade FILE` to score it):\n"
    );
    print!("{}", iv.transcript());
}

pub fn run(k: &Knowledge, cfg: InterviewConfig) -> Result<ExitCode> {
    let color = term::color_enabled();
    let seed = cfg.seed;
    let mut iv = Interview::new(k, cfg).map_err(pipeprep_app::bad)?;
    let start = Instant::now();
    let now = || start.elapsed().as_millis() as u64;
    println!(
        "{}",
        term::dim(
            &format!(
                "pipeprep · offline interviewer · seed {seed}\nType your answer; press Enter on an empty line to send it. /help lists commands, /hint asks for a hint, /end finishes."
            ),
            color
        )
    );
    print_effects(iv.handle(k, Event::Start { at_ms: 0 }), color);
    let mut rl: Editor<AnswerHelper, DefaultHistory> = Editor::new()?;
    rl.set_helper(Some(AnswerHelper));
    loop {
        iv.handle(k, Event::Tick { at_ms: now() });
        println!("\n{}", term::dim(&iv.status().line(), color));
        let line = match rl.readline("you> ") {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                dump_transcript(&iv, "Interrupted.");
                return Ok(ExitCode::from(130));
            }
            Err(ReadlineError::Eof) => {
                dump_transcript(&iv, "End of input.");
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => return Err(e.into()),
        };
        let answer = line.trim().to_string();
        if answer.is_empty() {
            continue;
        }
        let _ = rl.add_history_entry(answer.as_str());
        let event = match Command::parse(&answer) {
            Some(Ok(command)) => Event::Command {
                command,
                at_ms: now(),
            },
            Some(Err(msg)) => {
                println!("{msg}");
                continue;
            }
            None => Event::Answer {
                text: answer,
                at_ms: now(),
            },
        };
        let (finished, suspended) = print_effects(iv.handle(k, event), color);
        if suspended {
            dump_transcript(&iv, "Stopped.");
            return Ok(ExitCode::SUCCESS);
        }
        if finished {
            return Ok(ExitCode::SUCCESS);
        }
    }
}
