//! The transcript format of DESIGN.md §3: what `grade` reads and `practice --answers` prints.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    pub speaker: Speaker,
    pub text: String,
    /// 1-based line where the turn starts in the source (0 when built in memory).
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

fn turn_start(line: &str) -> Option<(Speaker, &str)> {
    let t = line.trim_start();
    for (sp, name) in [
        (Speaker::Interviewer, "interviewer"),
        (Speaker::Candidate, "candidate"),
    ] {
        for (open, close) in [("**", ":**"), ("**", "**:"), ("", ":")] {
            let Some(rest) = t.strip_prefix(open) else {
                continue;
            };
            if rest
                .get(..name.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(name))
                && let Some(body) = rest[name.len()..].strip_prefix(close)
            {
                return Some((sp, body.trim_start()));
            }
        }
    }
    None
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
            if let Some((speaker, body)) = turn_start(raw) {
                turns.push(Turn {
                    speaker,
                    text: body.to_string(),
                    line: n + 1,
                });
            } else if let Some(last) = turns.last_mut() {
                last.text.push('\n');
                last.text.push_str(raw);
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
            writeln!(f, "{}: {}", t.speaker.label(), t.text)?;
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
}
