//! The state machine fed with events: no I/O, no async.

use pipeprep_core::interview::{Act, Command, Effect, Event, Interview, Phase};

use crate::{config, knowledge, run};

fn say(effects: &[Effect]) -> Vec<(Act, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Say { act, text, .. } => Some((*act, text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_first_message_greets_and_presents_the_scenario_with_a_question() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("clickstream-analytics", 1)).unwrap();
    let out = say(&iv.handle(k, Event::Start { at_ms: 0 }));
    assert_eq!(out.len(), 1);
    let (act, text) = &out[0];
    assert_eq!(*act, Act::GreetScenario);
    let lower = text.to_lowercase();
    assert!(
        lower.starts_with("welcome") || lower.starts_with("hi"),
        "{text}"
    );
    assert!(!lower.contains("are you ready"), "{text}");
    assert!(
        text.trim_end().ends_with('?'),
        "ends with the first question: {text}"
    );
    let prompt = k
        .scenario("clickstream-analytics")
        .unwrap()
        .prompt
        .trim()
        .to_string();
    assert!(
        text.contains(&prompt[..60]),
        "the scenario prompt is presented"
    );
}

#[test]
fn a_clarifying_question_reveals_the_hidden_requirement() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("clickstream-analytics", 1)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    let out = say(&iv.handle(
        k,
        Event::Answer {
            text: "What does the peak traffic look like?".into(),
            at_ms: 1000,
        },
    ));
    assert_eq!(out[0].0, Act::RevealRequirement);
    assert!(out[0].1.contains("100K"), "peak revealed: {}", out[0].1);
    assert_eq!(iv.revealed().len(), 1.max(iv.revealed().len()));
}

#[test]
fn a_question_without_an_answer_gets_an_honest_assume() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("clickstream-analytics", 2)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    let out = say(&iv.handle(
        k,
        Event::Answer {
            text: "Is there a data catalog we have to register the tables in?".into(),
            at_ms: 1000,
        },
    ));
    assert_eq!(out[0].0, Act::AssumeReasonable);
    assert!(out[0].1.to_lowercase().contains("assum"), "{}", out[0].1);
}

#[test]
fn jumping_to_tools_is_steered_back_once_and_flagged() {
    let k = knowledge();
    let r = run(
        "clickstream-analytics",
        3,
        &[
            "Kafka -> Flink -> Redis, and Spark into Snowflake for reports.".into(),
            "Kafka -> Flink -> Redis".into(),
        ],
    );
    assert_eq!(r.said[1].act, Act::SteerBack);
    assert_ne!(r.said[2].act, Act::SteerBack, "steered back only once");
    let card = r.card.unwrap();
    assert!(
        card.flags.iter().any(|f| f.id == "ignoring_requirements"),
        "{:?}",
        card.flags
    );
    let _ = k;
}

#[test]
fn stuck_gets_a_hint_and_the_ladder_climbs() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("clickstream-analytics", 4)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    let first = say(&iv.handle(
        k,
        Event::Answer {
            text: "I'm stuck, can you give me a hint?".into(),
            at_ms: 1000,
        },
    ));
    assert_eq!(first[0].0, Act::Hint);
    let second = say(&iv.handle(
        k,
        Event::Command {
            command: Command::Hint,
            at_ms: 2000,
        },
    ));
    assert_eq!(second[0].0, Act::Hint);
    assert_ne!(first[0].1, second[0].1, "the next hint goes a level deeper");
    assert_eq!(iv.hints_given(), 2);
    // Before any question is asked, the hint is about the requirements still open.
    assert!(
        second[0].1.contains("Nobody has told you about"),
        "second hint is level 2 of the requirements ladder: {}",
        second[0].1
    );
}

#[test]
fn next_moves_through_the_phases_and_end_gives_a_scorecard() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("late-arrivals", 5)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    let mut phases = vec![iv.phase()];
    for i in 0..3 {
        iv.handle(
            k,
            Event::Command {
                command: Command::Next,
                at_ms: 1000 * (i + 1),
            },
        );
        phases.push(iv.phase());
    }
    assert_eq!(
        phases,
        vec![
            Phase::Requirements,
            Phase::Architecture,
            Phase::DeepDive,
            Phase::Failures
        ]
    );
    let out = iv.handle(
        k,
        Event::Command {
            command: Command::End,
            at_ms: 9000,
        },
    );
    assert!(out.iter().any(|e| matches!(e, Effect::Finish { .. })));
    assert!(iv.is_done());
}

#[test]
fn time_budget_moves_the_phase_on_at_the_next_answer() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("clickstream-analytics", 6)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    iv.handle(k, Event::Tick { at_ms: 11 * 60_000 });
    assert_eq!(
        iv.phase(),
        Phase::Requirements,
        "a tick never cuts anyone off"
    );
    // Just past the 10-minute budget the interviewer keeps working the phase.
    iv.handle(
        k,
        Event::Answer {
            text: "What's the daily volume?".into(),
            at_ms: 11 * 60_000,
        },
    );
    assert_eq!(iv.phase(), Phase::Requirements);
    // Well past it (half again), the next answer moves on.
    iv.handle(
        k,
        Event::Answer {
            text: "And how fast must the dashboard be?".into(),
            at_ms: 16 * 60_000,
        },
    );
    assert_eq!(iv.phase(), Phase::Architecture);
}

#[test]
fn the_same_seed_and_events_replay_the_same_interview() {
    let answers = crate::fixture("clickstream-middling");
    let a = run("clickstream-analytics", 42, &answers);
    let b = run("clickstream-analytics", 42, &answers);
    let ta: Vec<&str> = a.said.iter().map(|s| s.text.as_str()).collect();
    let tb: Vec<&str> = b.said.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(ta, tb);
    let c = run("clickstream-analytics", 43, &answers);
    let tc: Vec<&str> = c.said.iter().map(|s| s.text.as_str()).collect();
    assert_ne!(ta, tc, "another seed phrases things differently");
}

#[test]
fn a_pasted_megabyte_and_garbage_do_not_break_the_interview() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("clickstream-analytics", 7)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    let big = "kafka flink redis ".repeat(60_000);
    let out = say(&iv.handle(
        k,
        Event::Answer {
            text: big,
            at_ms: 1000,
        },
    ));
    assert!(
        out[0].1.contains("32 KB"),
        "says what it ignored: {}",
        out[0].1
    );
    let garbage: String = (0..2000u32)
        .map(|i| char::from_u32(0x2400 + (i * 7919) % 0x400).unwrap_or('?'))
        .collect();
    let out = say(&iv.handle(
        k,
        Event::Answer {
            text: garbage + "\u{0}\u{1}\u{fffd}",
            at_ms: 2000,
        },
    ));
    assert!(!out.is_empty());
}

/// An arrow chain of `n` boxes starting at `from`, about `n * 9` bytes.
fn chain(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("Step{i}"))
        .collect::<Vec<_>>()
        .join(" -> ")
}

#[test]
fn a_pasted_giant_design_is_kept_to_its_first_boxes_and_the_candidate_is_told() {
    use pipeprep_core::interview::MAX_DESIGN_NODES;
    let k = knowledge();
    let mut iv = Interview::new(k, config("clickstream-analytics", 7)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    let mut told = 0;
    for turn in 0..10 {
        // About 32 KB of arrows per answer, all new boxes.
        let text = chain(turn * 3500, 3500);
        let out = say(&iv.handle(
            k,
            Event::Answer {
                text,
                at_ms: 1000 * (turn as u64 + 1),
            },
        ));
        assert!(iv.design().nodes().len() <= MAX_DESIGN_NODES);
        if out
            .iter()
            .any(|(_, t)| t.contains(&format!("first {MAX_DESIGN_NODES} boxes")))
        {
            told += 1;
        }
        if iv.phase() == Phase::Done {
            break;
        }
    }
    assert!(told >= 1, "the candidate is told the design was cut");
    let g = iv.design();
    assert_eq!(g.nodes().len(), MAX_DESIGN_NODES);
    assert_eq!(
        g.nodes()[0].name,
        "Step0",
        "the first boxes are the ones kept"
    );
    assert!(
        iv.diagram(k).contains("Step0"),
        "the diagram still draws what was kept"
    );
}

#[test]
fn a_probe_names_a_component_the_candidate_chose() {
    let r = run("dedup-at-scale", 8, &crate::fixture("dedup-strong"));
    let probe = r
        .said
        .iter()
        .find(|s| s.act == Act::ProbeChoice)
        .expect("a probe in the deep dive");
    let k = knowledge();
    let chosen: Vec<String> = r
        .interview
        .design()
        .components()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let lower = probe.text.to_lowercase();
    let named = chosen.iter().any(|c| {
        let comp = k.bank.catalog.get(c).unwrap();
        std::iter::once(&comp.name)
            .chain(comp.aliases.iter())
            .any(|n| lower.contains(&n.to_lowercase()))
    });
    assert!(named, "probe `{}` names one of {chosen:?}", probe.text);
}

#[test]
fn diagram_shows_the_design_as_understood_with_linter_findings() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("clickstream-analytics", 9)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    let empty = iv.handle(
        k,
        Event::Command {
            command: Command::Diagram,
            at_ms: 500,
        },
    );
    assert!(matches!(&empty[0], Effect::Show { text } if text.contains("No design yet")));
    iv.handle(
        k,
        Event::Command {
            command: Command::Next,
            at_ms: 1000,
        },
    );
    iv.handle(
        k,
        Event::Answer {
            text: "API Gateway -> Lambda -> DynamoDB, one Lambda per click.".into(),
            at_ms: 2000,
        },
    );
    let out = iv.handle(
        k,
        Event::Command {
            command: Command::Diagram,
            at_ms: 3000,
        },
    );
    let Effect::Show { text } = &out[0] else {
        panic!("{out:?}")
    };
    assert!(
        text.contains("Lambda") && text.contains("DynamoDB"),
        "{text}"
    );
    assert!(
        text.contains("Linter:") && text.contains("throughput-limit"),
        "{text}"
    );
    assert!(
        iv.transcript()
            .turns
            .iter()
            .all(|t| !t.text.contains("Linter:")),
        "tool output stays out of the transcript"
    );
}

#[test]
fn estimate_uses_the_revealed_numbers_and_the_candidates_flags() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("dedup-at-scale", 10)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    let before = iv.handle(
        k,
        Event::Command {
            command: Command::Estimate(String::new()),
            at_ms: 500,
        },
    );
    assert!(
        matches!(&before[0], Effect::Show { text } if text.contains("missing")),
        "{before:?}"
    );
    let out = iv.handle(
        k,
        Event::Command {
            command: Command::Estimate(
                "--events-per-day 1B --event-size 1KiB --peak-factor 5".into(),
            ),
            at_ms: 1000,
        },
    );
    let Effect::Show { text } = &out[0] else {
        panic!("{out:?}")
    };
    assert!(text.contains("11,574") && text.contains("57,870"), "{text}");
    let bad = iv.handle(
        k,
        Event::Command {
            command: Command::Estimate("--event-size -3KB --events-per-day 1B".into()),
            at_ms: 2000,
        },
    );
    assert!(
        matches!(&bad[0], Effect::Show { text } if text.contains("Usage")),
        "{bad:?}"
    );
}

#[test]
fn a_wrong_conversion_is_challenged_with_the_arithmetic() {
    let k = knowledge();
    let mut iv = Interview::new(k, config("dedup-at-scale", 11)).unwrap();
    iv.handle(k, Event::Start { at_ms: 0 });
    iv.handle(
        k,
        Event::Command {
            command: Command::Next,
            at_ms: 1000,
        },
    );
    let out = say(&iv.handle(
        k,
        Event::Answer {
            text: "1B a day is about 1K per second, so Kafka -> Flink -> Postgres is plenty."
                .into(),
            at_ms: 2000,
        },
    ));
    assert_eq!(out[0].0, Act::ChallengeEstimate, "{out:?}");
    assert!(out[0].1.contains("11,574"), "{}", out[0].1);
}

/// A design in plain words: boxes named by what they are ("a log we can rewind", "the billing
/// database") are drawn with the candidate's words as labels and the generic component of their
/// kind, and a clause with a subject of its own ("…, and another copies …") is not a flow from
/// the box before it.
#[test]
fn plain_words_draw_boxes_with_the_candidates_labels() {
    let a = knowledge().analyzer.analyze(
        "Producers write into a log we can rewind. A streaming job remembers every id for a day \
         and drops the ones it has already seen, then writes clean events into a second log. One \
         job sums usage per customer per minute into the billing database, and another copies \
         everything into cheap object storage.",
    );
    let g = &a.design;
    let name = |i: usize| g.nodes()[i].name.to_lowercase();
    let edges: Vec<(String, String)> = g
        .edges()
        .iter()
        .map(|e| (name(e.from), name(e.to)))
        .collect();
    let has = |from: &str, to: &str| edges.iter().any(|(f, t)| f == from && t == to);
    assert!(has("producers", "log we can rewind"), "{edges:?}");
    assert!(has("streaming job", "second log"), "{edges:?}");
    assert!(has("job", "billing database"), "{edges:?}");
    assert!(
        !edges.iter().any(|(f, _)| f == "billing database"),
        "the billing database feeds nothing: {edges:?}"
    );
    let component = |n: &str| {
        g.nodes()
            .iter()
            .find(|x| x.name.to_lowercase() == n)
            .and_then(|x| x.component.clone())
    };
    assert_eq!(
        component("log we can rewind").as_deref(),
        Some("generic-log")
    );
    assert_eq!(
        component("billing database").as_deref(),
        Some("generic-database")
    );
    assert_eq!(component("object storage").as_deref(), Some("s3"));
    assert!(a.concepts.iter().any(|c| c.id == "deduplication"));
}
