//! Integration tests of the interview core, in one binary.

mod coherence;
mod conversation;
mod interview;
mod scoring;
mod scripted;

use std::sync::OnceLock;

use pipeprep_core::interview::{Act, Command, Effect, Event, Interview, InterviewConfig, Phase};
use pipeprep_core::{Knowledge, Scorecard};

pub fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| {
        Knowledge::new(pipeprep_bank::embedded().expect("the embedded bank is valid"))
            .expect("lexicon builds")
    })
}

pub fn config(scenario: &str, seed: u64) -> InterviewConfig {
    InterviewConfig {
        scenario: scenario.into(),
        seed,
        hard: false,
        focus: vec![],
    }
}

/// One interviewer message with the phase it was said in.
#[derive(Debug, Clone)]
pub struct Said {
    pub act: Act,
    pub phase: Phase,
    pub text: String,
}

pub struct Run {
    pub said: Vec<Said>,
    pub card: Option<Scorecard>,
    pub interview: Interview,
}

/// Splits a scripted answers file into turns (lines that are exactly `---` separate them).
pub fn split_answers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for line in text.lines() {
        if line == "---" {
            out.push(cur.join("\n").trim().to_string());
            cur.clear();
        } else {
            cur.push(line);
        }
    }
    let last = cur.join("\n").trim().to_string();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

/// Runs a whole interview from answers, as the scripted mode does, collecting every act.
pub fn run(scenario: &str, seed: u64, answers: &[String]) -> Run {
    let k = knowledge();
    let mut iv = Interview::new(k, config(scenario, seed)).unwrap();
    let mut said = Vec::new();
    let mut card = None;
    let collect = |effects: Vec<Effect>, said: &mut Vec<Said>, card: &mut Option<Scorecard>| {
        for e in effects {
            match e {
                Effect::Say { act, text, phase } => said.push(Said { act, phase, text }),
                Effect::Finish { scorecard } => *card = Some(*scorecard),
                _ => {}
            }
        }
    };
    collect(
        iv.handle(k, Event::Start { at_ms: 0 }),
        &mut said,
        &mut card,
    );
    let mut t = 0;
    for a in answers {
        if card.is_some() {
            break;
        }
        t += 90_000;
        let ev = match Command::parse(a) {
            Some(Ok(command)) => Event::Command { command, at_ms: t },
            _ => Event::Answer {
                text: a.clone(),
                at_ms: t,
            },
        };
        collect(iv.handle(k, ev), &mut said, &mut card);
    }
    if card.is_none() {
        collect(
            iv.handle(
                k,
                Event::Command {
                    command: Command::End,
                    at_ms: t + 1,
                },
            ),
            &mut said,
            &mut card,
        );
    }
    Run {
        said,
        card,
        interview: iv,
    }
}

pub fn fixture(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/fixtures/answers/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    split_answers(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}
