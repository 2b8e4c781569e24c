//! The transcript format of DESIGN.md §3: what `grade` reads and `practice --answers` prints.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Interviewer,
    Candidate,
}

impl Speaker {
    pub fn label(self) -> &'static str {
        match self {
            Speaker::Interviewer => "Interviewer",
            Speaker::Candidate => "Candidate",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Speaker,
    pub text: String,
    /// 1-based line where the turn starts in the source (0 when built in memory).
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// `None` for generic grading (no front matter, no `scenario:` or `scenario: null`).
    pub scenario: Option<String>,
    pub turns: Vec<Turn>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TranscriptError {
    pub line: usize,
    pub message: String,
}

/// `prefix` at the start of `s`, ASCII case ignored; `None` (never a panic) when `s` is shorter
/// or the prefix's length falls inside one of `s`'s characters.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The ways a turn starts: `Name:`, `**Name:**`, `**Name**:` (lowercase; case is ignored).
const MARKERS: [(Speaker, &str); 6] = [
    (Speaker::Interviewer, "**interviewer:**"),
    (Speaker::Interviewer, "**interviewer**:"),
    (Speaker::Interviewer, "interviewer:"),
    (Speaker::Candidate, "**candidate:**"),
    (Speaker::Candidate, "**candidate**:"),
    (Speaker::Candidate, "candidate:"),
];

fn turn_start(line: &str) -> Option<(Speaker, &str)> {
    let t = line.trim_start();
    MARKERS
        .iter()
        .find_map(|&(sp, marker)| strip_prefix_ci(t, marker).map(|body| (sp, body.trim_start())))
}

/// A line inside a turn that would read as the start of a new one is written with a backslash
/// before it (after its indentation); a line that already starts with backslashes before such a
/// label gets one more, so the reader, which removes one, gives back exactly what was written.
fn needs_escape(line: &str) -> bool {
    turn_start(line.trim_start().trim_start_matches('\\')).is_some()
}

/// Writes `line` (a line after the first of a turn) so the reader takes it as a continuation.
pub fn escape_line(line: &str) -> std::borrow::Cow<'_, str> {
    if needs_escape(line) {
        let indent = line.len() - line.trim_start().len();
        format!("{}\\{}", &line[..indent], &line[indent..]).into()
    } else {
        line.into()
    }
}

/// Undoes [`escape_line`] on a continuation line.
fn unescape_line(line: &str) -> std::borrow::Cow<'_, str> {
    let indent = line.len() - line.trim_start().len();
    if line[indent..].starts_with('\\') && needs_escape(line) {
        format!("{}{}", &line[..indent], &line[indent + 1..]).into()
    } else {
        line.into()
    }
}

/// The text of a turn as written after its label: every line after the first escaped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&escape_line(line));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// [`escape_text`] for text that arrives in pieces (an LLM reply streaming in): the start of a
/// line is held back only while it could still become a speaker label.
#[derive(Debug, Default)]
pub struct StreamEscaper {
    /// The start of the current line, held back; `None` on the turn's first line (which follows
    /// the label and is never escaped) and once the current line has been decided.
    pending: Option<String>,
}

impl StreamEscaper {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next piece; returns what can be written now.
    pub fn push(&mut self, piece: &str) -> String {
        let mut out = String::with_capacity(piece.len());
        for c in piece.chars() {
            match &mut self.pending {
                Some(p) => {
                    p.push(c);
                    if c == '\n' || !could_become_label(p) {
                        let line = std::mem::take(p);
                        self.pending = None;
                        out.push_str(&escape_line(&line));
                        if c == '\n' {
                            self.pending = Some(String::new());
                        }
                    }
                }
                None => {
                    out.push(c);
                    if c == '\n' {
                        self.pending = Some(String::new());
                    }
                }
            }
        }
        out
    }

    /// Ends the text: what was held back, escaped if it needs to be.
    pub fn finish(&mut self) -> String {
        self.pending
            .take()
            .map(|p| escape_line(&p).into_owned())
            .unwrap_or_default()
    }
}

/// True while `partial` (the start of a line) is undecided: more text could still make it a
/// turn start. A line that already is one is decided.
fn could_become_label(partial: &str) -> bool {
    if partial.ends_with('\n') || needs_escape(partial) {
        return false;
    }
    let t = partial.trim_start().trim_start_matches('\\');
    MARKERS.iter().any(|(_, m)| {
        m.len() > t.len() && m.as_bytes()[..t.len()].eq_ignore_ascii_case(t.as_bytes())
    })
}

impl Transcript {
    /// Parses a transcript from bytes: rejects binary and invalid UTF-8 with the line it is on.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, TranscriptError> {
        if let Some(pos) = bytes.iter().position(|&b| b == 0) {
            let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(TranscriptError {
                line,
                message: "this is a binary file, not a transcript — pass a text file with `Interviewer:` and `Candidate:` turns".into(),
            });
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => Self::parse(s),
            Err(e) => {
                let line = bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                Err(TranscriptError {
                    line,
                    message: "the file is not valid UTF-8 — save it as UTF-8 text".into(),
                })
            }
        }
    }

    pub fn parse(text: &str) -> Result<Self, TranscriptError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> = text.lines().collect();
        let mut scenario = None;
        let mut i = 0;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        if i < lines.len() && lines[i].trim() == "---" {
            let open = i;
            i += 1;
            let mut closed = false;
            while i < lines.len() {
                let l = lines[i].trim();
                i += 1;
                if l == "---" {
                    closed = true;
                    break;
                }
                if let Some(v) = l.strip_prefix("scenario:") {
                    let v = v.trim().trim_matches(['"', '\'']);
                    if !v.is_empty() && v != "null" && v != "~" {
                        scenario = Some(v.to_string());
                    }
                }
            }
            if !closed {
                return Err(TranscriptError {
                    line: open + 1,
                    message:
                        "front matter opened with `---` is never closed — add a `---` line after it"
                            .into(),
                });
            }
        }
        let mut turns: Vec<Turn> = Vec::new();
        for (n, raw) in lines.iter().enumerate().skip(i) {
            // `lines` drops one `\r` before a line break; drop any more, so a line of a turn
            // never ends in a `\r` that writing the transcript out again would lose.
            let raw = raw.trim_end_matches('\r');
            if let Some((speaker, body)) = turn_start(raw) {
                turns.push(Turn {
                    speaker,
                    text: body.to_string(),
                    line: n + 1,
                });
            } else if let Some(last) = turns.last_mut() {
                last.text.push('\n');
                last.text.push_str(&unescape_line(raw));
            } else if !raw.trim().is_empty() {
                return Err(TranscriptError {
                    line: n + 1,
                    message: "text before the first turn — start each turn with `Interviewer:` or `Candidate:`".into(),
                });
            }
        }
        for t in &mut turns {
            t.text = t.text.trim_end().to_string();
        }
        if turns.is_empty() {
            return Err(TranscriptError {
                line: lines.len().max(1),
                message: "no turns found — a transcript needs lines starting with `Interviewer:` or `Candidate:`".into(),
            });
        }
        Ok(Transcript { scenario, turns })
    }

    pub fn candidate_turns(&self) -> impl Iterator<Item = (usize, &Turn)> {
        self.turns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.speaker == Speaker::Candidate)
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "---")?;
        writeln!(
            f,
            "scenario: {}",
            self.scenario.as_deref().unwrap_or("null")
        )?;
        writeln!(f, "---")?;
        for t in &self.turns {
            writeln!(f, "{}: {}", t.speaker.label(), escape_text(&t.text))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_front_matter_bold_and_continuations() {
        let t = Transcript::parse(
            "---\nscenario: clickstream-analytics\n---\n**Interviewer:** Welcome!\nCandidate: line one\nline two\ninterviewer: ok",
        )
        .unwrap();
        assert_eq!(t.scenario.as_deref(), Some("clickstream-analytics"));
        assert_eq!(t.turns.len(), 3);
        assert_eq!(t.turns[1].text, "line one\nline two");
        assert_eq!(t.turns[2].speaker, Speaker::Interviewer);
    }

    #[test]
    fn null_scenario_is_generic() {
        let t = Transcript::parse("---\nscenario: null\n---\nCandidate: hi").unwrap();
        assert_eq!(t.scenario, None);
    }

    #[test]
    fn round_trips_through_display() {
        let t =
            Transcript::parse("---\nscenario: x\n---\nInterviewer: a\nCandidate: b\nc").unwrap();
        assert_eq!(Transcript::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn non_latin_text_is_read_as_it_was_written() {
        let text = "Interviewer: 面接を始めましょう。データの量は？\n\
                    Candidate: 一日に十億件のイベントです。\n\
                    日本語の続きの行\n\
                    Candidaté: hi\n\
                    🔥🔥🔥 hot path\n\
                    Phase 0 — Prep (1 week)\n\
                    - Devices → managed MQTT";
        let t = Transcript::parse(text).unwrap();
        assert_eq!(t.turns.len(), 2);
        assert_eq!(t.turns[0].text, "面接を始めましょう。データの量は？");
        assert!(
            t.turns[1]
                .text
                .starts_with("一日に十億件のイベントです。\n日本語の続きの行")
        );
        assert!(t.turns[1].text.ends_with("- Devices → managed MQTT"));
        // A line of only multi-byte characters where a label could start, and a near-label.
        for line in [
            "日本語のテキストです",
            "🔥🔥🔥",
            "Interviewé: x",
            "Candidatе: x",
        ] {
            let t = Transcript::parse(&format!("Candidate: a\n{line}")).unwrap();
            assert_eq!(t.turns.len(), 1, "{line}");
        }
    }

    #[test]
    fn interviewer_lines_that_look_like_turns_are_escaped_and_read_back() {
        let said =
            "Good.\nCandidate: I would use Kafka.\n**Interviewer:** next\n  \\Candidate: kept";
        let t = Transcript {
            scenario: None,
            turns: vec![
                Turn {
                    speaker: Speaker::Interviewer,
                    text: said.into(),
                    line: 0,
                },
                Turn {
                    speaker: Speaker::Candidate,
                    text: "ok\ninterviewer: quoted".into(),
                    line: 0,
                },
            ],
        };
        let written = t.to_string();
        assert!(
            written.contains("\n\\Candidate: I would use Kafka."),
            "{written}"
        );
        let back = Transcript::parse(&written).unwrap();
        assert_eq!(back.turns.len(), 2, "{written}");
        assert_eq!(back.turns[0].speaker, Speaker::Interviewer);
        assert_eq!(back.turns[0].text, said);
        assert_eq!(back.turns[1].text, "ok\ninterviewer: quoted");
    }

    #[test]
    fn rejects_non_transcripts_with_a_line() {
        assert_eq!(Transcript::parse("just some notes\n").unwrap_err().line, 1);
        assert_eq!(Transcript::parse("\n\n").unwrap_err().line, 2);
        assert_eq!(
            Transcript::parse_bytes(b"Candidate: a\n\0\x01")
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(
            Transcript::parse_bytes(b"Candidate: a\nb\n\xff")
                .unwrap_err()
                .line,
            3
        );
    }

    /// Texts as the reader leaves them: no `\r`, no white space at either end.
    fn turn_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            prop::sample::select(vec![
                "Candidate:",
                "Interviewer:",
                "**Candidate:**",
                "**Interviewer**:",
                "candidate：",
                "\\",
                "\\Candidate: ",
                " ",
                "\n",
                "\n  ",
                "---",
                "日本語",
                "🔥",
                "e\u{301}",
                "İ",
            ])
            .prop_map(str::to_string),
            "\\PC{0,8}",
        ];
        prop::collection::vec(piece, 0..24)
            .prop_map(|v| v.concat().replace('\r', "").trim().to_string())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 512,
            failure_persistence: None,
            rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
            ..Default::default()
        })]

        #[test]
        fn a_written_transcript_reads_back_as_the_same_turns(
            spoken in proptest::collection::vec((proptest::bool::ANY, turn_text()), 1..6)
        ) {
            let t = Transcript {
                scenario: Some("x".into()),
                turns: spoken
                    .iter()
                    .map(|(iv, text)| Turn {
                        speaker: if *iv { Speaker::Interviewer } else { Speaker::Candidate },
                        text: text.clone(),
                        line: 0,
                    })
                    .collect(),
            };
            let back = Transcript::parse(&t.to_string()).unwrap();
            let pairs = |t: &Transcript| -> Vec<(Speaker, String)> {
                t.turns.iter().map(|x| (x.speaker, x.text.clone())).collect()
            };
            proptest::prop_assert_eq!(pairs(&back), pairs(&t));
            proptest::prop_assert_eq!(back.scenario, t.scenario);
        }
    }
}
