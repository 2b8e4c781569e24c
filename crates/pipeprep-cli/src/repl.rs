//! The interactive terminal interview.
//!
//! An answer can span several lines: press Enter to start a new line and Enter on an empty line
//! to send it. A slash command on its own line (`/hint`) is sent at once. Up and down arrows
//! recall earlier answers. Every answer is saved before the interviewer replies, so Ctrl-C,
//! Ctrl-D or /quit lose nothing: `pipeprep resume` continues where it stopped.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use pipeprep_app::session::LiveSession;
use pipeprep_core::interview::{Command, Effect, Event};
use pipeprep_core::render;
use pipeprep_store::TurnRow;
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

fn print_effects(effects: Vec<Effect>, color: bool, scored_by: &str) -> (bool, bool) {
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
                let md = render::markdown(&scorecard, scored_by);
                print!("{}", term::markdown(&md, color));
                finished = true;
            }
            Effect::Suspend => suspended = true,
        }
    }
    (finished, suspended)
}

fn saved(live: &LiveSession<'_>, why: &str) {
    eprintln!(
        "\n{why} Everything you answered is saved. Continue with `pipeprep resume {}`.",
        live.id()
    );
}

pub fn run(
    live: &mut LiveSession<'_>,
    greeting: Vec<Effect>,
    prior: &[TurnRow],
) -> Result<ExitCode> {
    let color = term::color_enabled();
    let start = Instant::now();
    let base = live.resumed_at_ms;
    let now = || base + start.elapsed().as_millis() as u64;
    let seed = live.interview().config().seed;
    let who = live.voice().map_or_else(
        || "offline interviewer".to_string(),
        |v| format!("interviewer voiced by {}", v.model()),
    );
    let resumed = if prior.is_empty() {
        String::new()
    } else {
        format!(" · resumed {}", live.id())
    };
    println!(
        "{}",
        term::dim(
            &format!(
                "pipeprep · {who} · session {} · seed {seed}{resumed}\nType your answer; press Enter on an empty line to send it. /help lists commands, /hint asks for a hint, /end finishes.",
                live.id()
            ),
            color
        )
    );
    for t in prior {
        let who = if t.speaker == "candidate" {
            "You:"
        } else {
            "Interviewer:"
        };
        println!("\n{}", term::bold(who, color));
        print!("{}", term::markdown(&t.text, color));
    }
    print_effects(greeting, color, render::ENGINE_LABEL);
    let mut rl: Editor<AnswerHelper, DefaultHistory> = Editor::new()?;
    rl.set_helper(Some(AnswerHelper));
    let mut bad_reads = 0;
    loop {
        live.handle(Event::Tick { at_ms: now() })?;
        println!("\n{}", term::dim(&live.interview().status().line(), color));
        let line = match rl.readline("you> ") {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                saved(live, "Interrupted.");
                return Ok(ExitCode::from(130));
            }
            Err(ReadlineError::Eof) => {
                saved(live, "End of input.");
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => {
                // Garbage on the terminal (invalid UTF-8, a broken paste) must not end the
                // interview; a terminal that keeps failing does, with everything saved.
                bad_reads += 1;
                if bad_reads >= 3 {
                    saved(live, &format!("The terminal keeps failing ({e})."));
                    return Ok(ExitCode::from(1));
                }
                eprintln!("could not read that input ({e}); please type it again");
                continue;
            }
        };
        bad_reads = 0;
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
        if live.voice().is_some_and(|v| !v.is_offline()) {
            // The reply is saved before it is shown, so it appears whole; say that it is coming.
            println!("{}", term::dim("(the interviewer is writing…)", color));
        }
        let effects = match live.handle(event) {
            Ok(e) => e,
            Err(e) => {
                // Not saved, so not answered: say why and let the candidate try again.
                eprintln!("error: {e:#}");
                continue;
            }
        };
        let (finished, suspended) = print_effects(effects, color, &live.scored_by());
        if suspended {
            saved(live, "Stopped.");
            return Ok(ExitCode::SUCCESS);
        }
        if finished {
            if let Some(line) = live.llm_summary() {
                println!("\n{}", term::dim(&line, color));
            }
            return Ok(ExitCode::SUCCESS);
        }
    }
}
