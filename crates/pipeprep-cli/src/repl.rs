//! The interactive terminal interview.
//!
//! An answer can span several lines: press Enter to start a new line and Enter on an empty line
//! to send it. A slash command on its own line (`/hint`) is sent at once. Up and down arrows
//! recall earlier answers. Every answer is saved before the interviewer replies, so Ctrl-C,
//! Ctrl-D or /quit lose nothing: `pipeprep resume` continues where it stopped.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use std::io::Write;

use pipeprep_app::session::{LiveSession, Shown};
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

use crate::term::{self, MarkdownStream};

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

/// Shows what a turn produces as it is handled: interviewer messages as they stream in, notices
/// about the LLM on their own dim lines, diagrams at once. The scorecard is kept for the end,
/// when its label (who scored it) is known.
struct Screen {
    color: bool,
    /// An LLM is answering, so a message may take a moment to start: show that it is coming.
    waiting_cue: bool,
    md: MarkdownStream,
    /// The typing indicator, while the interviewer has not said anything yet.
    typing: Option<term::Typing>,
    suspended: bool,
    finished: bool,
}

impl Screen {
    fn new(color: bool, waiting_cue: bool) -> Self {
        Self {
            color,
            waiting_cue,
            md: MarkdownStream::new(color),
            typing: None,
            suspended: false,
            finished: false,
        }
    }

    fn clear_cue(&mut self) {
        if let Some(mut t) = self.typing.take() {
            t.stop();
        }
    }

    fn show(&mut self, shown: Shown<'_>) {
        match shown {
            Shown::SayStart => {
                println!("\n{}", term::bold("Interviewer:", self.color));
                self.md = MarkdownStream::new(self.color);
                if self.waiting_cue && self.color {
                    let _ = std::io::stdout().flush();
                    self.typing = Some(term::Typing::start(self.color));
                }
            }
            Shown::Text(t) => {
                self.clear_cue();
                print!("{}", self.md.piece(t));
            }
            Shown::SayEnd => {
                self.clear_cue();
                if !self.md.at_line_start() {
                    println!();
                }
            }
            Shown::Notice(n) => {
                self.clear_cue();
                if !self.md.at_line_start() {
                    println!();
                    self.md = MarkdownStream::new(self.color);
                }
                println!("{}", term::dim(&format!("({n})"), self.color));
            }
            Shown::Effect(Effect::Show { text }) => {
                println!();
                print!("{}", term::markdown(text, self.color));
            }
            Shown::Effect(Effect::Finish { .. }) => self.finished = true,
            Shown::Effect(Effect::Suspend) => self.suspended = true,
            Shown::Effect(Effect::Say { .. }) => {}
        }
        let _ = std::io::stdout().flush();
    }
}

/// Handles one event, showing it as it comes. Returns (finished, suspended), or `None` when the
/// answer could not be saved (the error is printed and the candidate can try again).
fn turn(live: &mut LiveSession<'_>, event: Event, color: bool) -> Option<(bool, bool)> {
    let cue = live.voice().is_some_and(|v| !v.is_offline());
    let mut screen = Screen::new(color, cue);
    // Keys typed while the reply streams stay queued for the next prompt, off the screen.
    let quiet = term::QuietInput::new();
    let stepped = live.step(event, &mut |s| screen.show(s));
    screen.clear_cue();
    drop(quiet);
    let effects = match stepped {
        Ok(e) => e,
        Err(e) => {
            // Not saved, so not answered: say why and let the candidate send it again.
            if e.downcast_ref::<pipeprep_app::session::NotSaved>()
                .is_some()
            {
                eprintln!(
                    "error: {e}\n  the interviewer did not reply to it; send it again once this is fixed"
                );
            } else {
                eprintln!("error: {e:#}");
            }
            return None;
        }
    };
    for e in &effects {
        if let Effect::Finish { scorecard } = e {
            println!();
            let md = render::markdown(scorecard, &live.scored_by());
            print!("{}", term::markdown(&md, color));
        }
    }
    Some((screen.finished, screen.suspended))
}

fn saved(live: &LiveSession<'_>, why: &str) {
    eprintln!(
        "\n{why} Everything you answered is saved. Continue with `pipeprep resume {}`.",
        live.id()
    );
}

/// Runs the interview at the terminal. `new_session` is true for a new session (the greeting is
/// still to come), false for a resumed one.
pub fn run(live: &mut LiveSession<'_>, new_session: bool, prior: &[TurnRow]) -> Result<ExitCode> {
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
    if let Some(card) = live.finished() {
        // Resumed after the end: nothing left to answer, only the scorecard to show.
        println!();
        let md = render::markdown(card, &live.scored_by());
        print!("{}", term::markdown(&md, color));
        return Ok(ExitCode::SUCCESS);
    }
    if new_session && turn(live, Event::Start { at_ms: 0 }, color).is_none() {
        return Ok(ExitCode::from(1));
    }
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
        let Some((finished, suspended)) = turn(live, event, color) else {
            continue;
        };
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
