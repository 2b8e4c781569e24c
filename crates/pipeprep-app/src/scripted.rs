//! Scripted interviews: candidate turns from a file or a pipe, separated by lines that are exactly
//! `---`. Each turn is answered as soon as its separator (or the end of input) arrives and the
//! reply is flushed, so another program can drive a live interview through a pipe.

use std::io::{BufRead, Write};

use anyhow::Result;
use pipeprep_core::interview::{Command, Effect, Event};
use pipeprep_store::TurnRow;

use crate::session::{LiveSession, NotSaved, Shown};
use pipeprep_core::{Scorecard, render, transcript};

/// Simulated seconds between scripted answers, so phase timing is deterministic.
pub const SCRIPTED_SECONDS_PER_ANSWER: u64 = 90;

/// Longest single answer read from a script before the rest of it is skipped (the analyzer reads
/// less than this; the cap keeps memory flat on endless input without a separator).
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Writes a turn in the transcript format; a line of it that would read as a new turn is
/// escaped (see [`transcript::escape_text`]), so `grade` reads back the turns that were said.
fn write_turn(out: &mut dyn Write, speaker: &str, text: &str) -> Result<()> {
    writeln!(
        out,
        "{speaker}: {}",
        transcript::escape_text(text.trim_end())
    )?;
    out.flush()?;
    Ok(())
}

/// Handles one event, writing the interviewer's messages to `out` as they stream in (in the
/// transcript format) and diagrams and notices to `err`. Returns true when the candidate
/// suspended the interview; the scorecard, when it comes, goes to `card`.
fn turn(
    session: &mut LiveSession<'_>,
    event: Event,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    card: &mut Option<Scorecard>,
) -> Result<bool> {
    let mut suspended = false;
    // Trailing white space of a piece is held back until more text follows, so a message ends
    // exactly as `write_turn` would end it.
    let mut held = String::new();
    // Lines of the message that would read as a new turn are escaped as they stream.
    let mut escaper = transcript::StreamEscaper::new();
    let mut failed: Option<std::io::Error> = None;
    let effects = {
        let mut show = |shown: Shown<'_>| {
            let r = match shown {
                Shown::SayStart => {
                    held.clear();
                    escaper = transcript::StreamEscaper::new();
                    write!(out, "Interviewer: ")
                }
                Shown::Text(t) => {
                    let t = escaper.push(t);
                    let body = t.trim_end();
                    if body.is_empty() {
                        held.push_str(&t);
                        Ok(())
                    } else {
                        let r = write!(out, "{held}{body}").and_then(|()| out.flush());
                        held = t[body.len()..].to_string();
                        r
                    }
                }
                Shown::SayEnd => {
                    let rest = escaper.finish();
                    let body = rest.trim_end();
                    let r = if body.is_empty() {
                        Ok(())
                    } else {
                        write!(out, "{held}{body}")
                    };
                    r.and_then(|()| writeln!(out)).and_then(|()| out.flush())
                }
                Shown::Notice(n) => writeln!(err, "{n}"),
                Shown::Effect(Effect::Show { text }) => {
                    writeln!(err, "{text}").and_then(|()| err.flush())
                }
                Shown::Effect(Effect::Suspend) => {
                    suspended = true;
                    Ok(())
                }
                Shown::Effect(_) => Ok(()),
            };
            if let Err(e) = r {
                failed.get_or_insert(e);
            }
        };
        session.step(event, &mut show)?
    };
    if let Some(e) = failed {
        return Err(e.into());
    }
    for e in effects {
        if let Effect::Finish { scorecard } = e {
            *card = Some(*scorecard);
        }
    }
    Ok(suspended)
}

/// Which step of a scripted run could not be saved.
enum Stopped {
    Greeting,
    /// The answer's number in this run's script, from 1.
    Answer(usize),
    /// The `/end` the runner sends when the answers run out.
    WrapUp,
}

/// A step that could not be saved stops the run (the process exits, so "try again" would be
/// wrong): say which step, that everything before it is saved, and how to go on from it.
fn stopped(e: anyhow::Error, id: &str, at: Stopped) -> anyhow::Error {
    if e.downcast_ref::<NotSaved>().is_none() {
        return e;
    }
    let run = format!("`pipeprep resume {id} --answers FILE`");
    let (what, next) = match at {
        Stopped::Greeting => (
            "the greeting was not saved".to_string(),
            format!("run {run} with the whole script in FILE"),
        ),
        Stopped::Answer(n) => (
            format!("answer {n} of the script was not saved"),
            format!("put answer {n} and the ones after it in FILE and run {run}"),
        ),
        Stopped::WrapUp => (
            "the end of the interview was not saved".to_string(),
            format!("run {run} with an empty FILE to wrap it up"),
        ),
    };
    e.context(format!(
        "{what}, so the interview stopped there; everything before it is saved — once the cause below is fixed, {next}"
    ))
}

/// Reads one answer: lines up to a line that is exactly `---`, or the end of input.
/// Returns `None` at the end of input with nothing read.
pub fn read_answer(input: &mut dyn BufRead) -> Result<Option<String>> {
    let mut buf: Vec<u8> = Vec::new();
    let mut any = false;
    loop {
        let mut line = Vec::new();
        let n = input.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        any = true;
        let trimmed: &[u8] = line.strip_suffix(b"\n").unwrap_or(&line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed == b"---" {
            return Ok(Some(String::from_utf8_lossy(&buf).trim().to_string()));
        }
        if buf.len() < MAX_ANSWER_BYTES {
            buf.extend_from_slice(&line);
        }
    }
    if !any {
        return Ok(None);
    }
    let s = String::from_utf8_lossy(&buf).trim().to_string();
    Ok(if s.is_empty() { None } else { Some(s) })
}

/// Runs a scripted interview on a stored session, printing the transcript and then the scorecard
/// to `out`. A new session (`new_session`) starts with the greeting; a resumed one prints its
/// stored turns first instead.
pub fn run(
    session: &mut LiveSession<'_>,
    new_session: bool,
    prior: &[TurnRow],
    input: &mut dyn BufRead,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> Result<Option<Scorecard>> {
    writeln!(
        out,
        "---\nscenario: {}\n---",
        session.interview().scenario().id
    )?;
    writeln!(
        err,
        "session {} (resume with `pipeprep resume {}`)",
        session.id(),
        session.id()
    )?;
    let mut card = session.finished().cloned();
    for t in prior {
        write_turn(
            out,
            if t.speaker == "candidate" {
                "Candidate"
            } else {
                "Interviewer"
            },
            &t.text,
        )?;
    }
    if new_session {
        turn(session, Event::Start { at_ms: 0 }, out, err, &mut card)
            .map_err(|e| stopped(e, session.id(), Stopped::Greeting))?;
    }
    let mut clock = session.resumed_at_ms;
    let mut number = 0;
    while card.is_none() {
        let Some(answer) = read_answer(input)? else {
            break;
        };
        number += 1;
        clock += SCRIPTED_SECONDS_PER_ANSWER * 1000;
        let event = match Command::parse(&answer) {
            Some(Ok(command)) => {
                if matches!(command, Command::Hint | Command::End | Command::Next) {
                    write_turn(out, "Candidate", &answer)?;
                }
                Event::Command {
                    command,
                    at_ms: clock,
                }
            }
            Some(Err(msg)) => {
                writeln!(err, "{msg}")?;
                continue;
            }
            None => {
                write_turn(out, "Candidate", &answer)?;
                Event::Answer {
                    text: answer,
                    at_ms: clock,
                }
            }
        };
        if turn(session, event, out, err, &mut card)
            .map_err(|e| stopped(e, session.id(), Stopped::Answer(number)))?
        {
            writeln!(
                err,
                "stopped at /quit; resume with `pipeprep resume {}`",
                session.id()
            )?;
            out.flush()?;
            return Ok(None);
        }
    }
    if card.is_some() {
        let mut unused = 0;
        while read_answer(input)?.is_some() {
            unused += 1;
        }
        if unused > 0 {
            writeln!(
                err,
                "note: the interview ended before the answers did; {}",
                if unused == 1 {
                    "1 answer was not used".to_string()
                } else {
                    format!("{unused} answers were not used")
                }
            )?;
        }
    }
    if card.is_none() {
        // The answers ran out: wrap up with what was said.
        clock += 1000;
        turn(
            session,
            Event::Command {
                command: Command::End,
                at_ms: clock,
            },
            out,
            err,
            &mut card,
        )
        .map_err(|e| stopped(e, session.id(), Stopped::WrapUp))?;
    }
    let Some(card) = card else {
        anyhow::bail!(
            "session `{}` did not finish after /end — please report this; `pipeprep export {}` shows what was saved",
            session.id(),
            session.id()
        );
    };
    writeln!(out)?;
    write!(out, "{}", render::markdown(&card, &session.scored_by()))?;
    if let Some(line) = session.llm_summary() {
        writeln!(out, "\n{line}")?;
    }
    out.flush()?;
    Ok(Some(card))
}
