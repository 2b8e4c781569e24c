//! Text checks for what a small instruction model writes when asked to play a part: the ways a
//! reply stops being the interviewer talking to the candidate. They know nothing of the
//! interview; `pipeprep-app` combines them with the interview's own checks (give-aways, facts
//! to convey) in its stream guard.
//!
//! Each kind comes from replies real local models wrote (see the recorded corpus in
//! `pipeprep-app`'s tests): "you might say: …", "The candidate should…", "**What to convey:**",
//! "Certainly! …", "Best regards, [Your Name]".

use std::collections::BTreeSet;

/// Why a sentence of a reply was not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Catch {
    /// A speaker label for the candidate: the model wrote the candidate's part.
    SpeaksForCandidate,
    /// Narration or role-play about the interview instead of speaking in it: "you might say",
    /// "the candidate should", "the interviewer would then ask", stage directions.
    Narration,
    /// A heading or a sentence of the prompt repeated back.
    PromptEcho,
    /// Assistant boilerplate: "Best regards", "I hope this helps", "As an AI".
    SignOff,
    /// A template slot left in: "[Your Name]", "[Company]".
    Placeholder,
    /// A worked answer laid out as a list or under bold labels ("1. **Identify the Issue**:
    /// …"): the model answering the question it was meant to ask (checked by the app outside
    /// hints and the wrap-up).
    Lecture,
    /// A number that nobody gave: not in the scenario, the requirements revealed, what the act
    /// had to say or anything said in the interview (checked by the app).
    InventedNumber,
    /// The reply stopped at the token limit in the middle of a sentence.
    Unfinished,
    /// Gives away the reference solution (checked by the app).
    GiveAway,
    /// Never touched the subject (checked by the app).
    OffTopic,
    /// Nothing to say (checked by the app).
    Empty,
}

impl Catch {
    pub fn as_str(self) -> &'static str {
        match self {
            Catch::SpeaksForCandidate => "speaks_for_candidate",
            Catch::Narration => "narration",
            Catch::PromptEcho => "prompt_echo",
            Catch::SignOff => "sign_off",
            Catch::Placeholder => "placeholder",
            Catch::InventedNumber => "invented_number",
            Catch::Lecture => "lecture",
            Catch::Unfinished => "unfinished",
            Catch::GiveAway => "give_away",
            Catch::OffTopic => "off_topic",
            Catch::Empty => "empty",
        }
    }
}

/// The first problem of `text` that needs no knowledge of the interview, if any.
pub fn problem(text: &str) -> Option<Catch> {
    if speaks_for_candidate(text) {
        Some(Catch::SpeaksForCandidate)
    } else if narrates(text) {
        Some(Catch::Narration)
    } else if signs_off(text) {
        Some(Catch::SignOff)
    } else if has_placeholder(text) {
        Some(Catch::Placeholder)
    } else {
        None
    }
}

/// Lowercase words joined by single spaces and padded with a space on each side, so a phrase
/// matches only whole words. Apostrophes are kept inside words ("you'd").
pub fn padded_words(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            '\u{2019}' | '\'' => '\'',
            c if c.is_alphanumeric() => c.to_ascii_lowercase(),
            _ => ' ',
        })
        .collect();
    let words: Vec<&str> = mapped
        .split_whitespace()
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", words.join(" "))
}

/// True when `text` puts words in the candidate's mouth: a speaker label for the candidate
/// (`Candidate:`, `You:`, `Interviewee:`, `User:`) at the start of a line, after any markdown
/// (`**`, `>`, `-`, `#`), in any case, with a space, bold markers or a dash before the colon or
/// a full-width colon; or `Candidate:` in the middle of a line.
pub fn speaks_for_candidate(text: &str) -> bool {
    /// True when a colon (ASCII or full-width) or a dash follows optional markers and spaces.
    fn label_end(s: &str, dash: bool) -> bool {
        let rest = s.trim_start_matches(['*', '_', ' ', '\t', ')', ']']);
        rest.starts_with([':', '\u{ff1a}'])
            || (dash && (rest.starts_with("- ") || rest.starts_with("— ")))
    }
    text.lines().any(|line| {
        let lead = line.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '*' | '_' | '>' | '-' | '#' | '•' | '+' | '(' | '[')
        });
        let lower = lead.to_lowercase();
        let at_start = [
            "candidate",
            "the candidate",
            "you",
            "interviewee",
            "the interviewee",
            "user",
            "applicant",
        ]
        .iter()
        .any(|name| lower.starts_with(name) && label_end(&lower[name.len()..], true));
        at_start
            || lower.match_indices("candidate").any(|(at, m)| {
                let word_start = lower[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                word_start && label_end(&lower[at + m.len()..], false)
            })
    })
}

/// Phrases of narration: the model describing the interview, suggesting the candidate's lines,
/// or talking about the two people in the third person.
const NARRATION: &[&str] = &[
    " you might say ",
    " you could say ",
    " you may say ",
    " you can say ",
    " you would say ",
    " you'd say ",
    " you might respond ",
    " you could respond ",
    " you might answer ",
    " you could answer ",
    " you might reply ",
    " you could reply ",
    " one might say ",
    " a good answer would ",
    " a good answer is ",
    " a good response ",
    " a strong answer ",
    " an ideal answer ",
    " an example answer ",
    " a sample answer ",
    " sample response ",
    " example response ",
    " suggested answer ",
    " suggested response ",
    " possible response ",
    " possible answer ",
    " you would deal with this by ",
    " you could deal with this by ",
    " you can deal with this by ",
    " you would handle this by ",
    " you could handle this by ",
    " you can handle this by ",
    " you would fix this by ",
    " you could fix this by ",
    " your response could ",
    " your response might ",
    " your answer could ",
    " your answer might ",
    " to respond to ",
    " in response you ",
    " the candidate ",
    " the candidate's ",
    " the interviewee ",
    " the interviewer ",
    " the interviewer's ",
    " as the interviewer ",
    " as an interviewer ",
    " interviewer would ",
    " interviewer will ",
    " would then proceed ",
    " then proceed to ",
    " will then ask ",
    " would then ask ",
    " i would then ask ",
    " next i would ask ",
    " the next question would ",
    " in this role play ",
    " in this roleplay ",
    " in this role-play ",
    " end of interview ",
    " end of response ",
];

/// Stage directions a script would carry: "*smiles*", "(pauses)", "[nods]".
const STAGE: &[&str] = &[
    "smiles", "smiling", "nods", "nodding", "pauses", "pause", "laughs", "chuckles", "leans",
    "sighs", "grins",
];

/// True when `text` narrates instead of speaking (see [`NARRATION`]), labels a speaker in the
/// middle of a line ("Interviewer:" anywhere but at the very start, which the app drops), or
/// carries a stage direction.
pub fn narrates(text: &str) -> bool {
    let w = padded_words(text);
    if NARRATION.iter().any(|p| w.contains(p)) {
        return true;
    }
    let lower = text.to_lowercase();
    let labelled = lower.lines().skip(1).any(|l| {
        let l = l.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '*' | '_' | '>' | '-' | '#')
        });
        ["interviewer", "assistant", "ai", "principal data engineer"]
            .iter()
            .any(|n| {
                l.starts_with(n)
                    && l[n.len()..]
                        .trim_start_matches(['*', '_', ' '])
                        .starts_with(':')
            })
    }) || lower.match_indices("interviewer").any(|(at, m)| {
        at > 0
            && lower[at + m.len()..]
                .trim_start_matches(['*', '_', ' '])
                .starts_with(':')
    });
    if labelled {
        return true;
    }
    // "*smiles*", "(pauses)", "[nods]": a bracket or asterisk right before a stage verb.
    for open in ['*', '(', '['] {
        for (at, _) in lower.match_indices(open) {
            let after = lower[at + 1..].trim_start();
            if STAGE.iter().any(|s| {
                after.starts_with(s)
                    && after[s.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_alphanumeric())
            }) {
                return true;
            }
        }
    }
    false
}

/// True when `text` is laid out as a handout: a line that starts a numbered or bulleted list
/// item ("1. ", "2) ", "- ", "* ", "• ") or a bold label ("**Recover Flink**: …"). Spoken
/// questions have neither.
pub fn lectures(text: &str) -> bool {
    text.lines().any(|line| {
        let l = line.trim_start();
        let digits = l.chars().take_while(char::is_ascii_digit).count();
        let numbered = digits > 0
            && digits <= 2
            && l[digits..].starts_with(['.', ')'])
            && (l[digits + 1..].is_empty() || l[digits + 1..].starts_with(' '));
        let bullet = ["- ", "* ", "• ", "+ "].iter().any(|b| l.starts_with(b));
        let bold_label = l.strip_prefix("**").is_some_and(|rest| {
            let head: String = rest.chars().take(60).collect();
            head.contains("**:") || head.contains(":**")
        });
        numbered || bullet || bold_label
    })
}

/// True when `text` has a markdown table row (`| a | b |`): nobody speaks in tables, and a
/// real model's wrap-up used one to hand out scores of its own ("| Event Rate | … | 8/10 |").
pub fn has_table(text: &str) -> bool {
    text.lines().any(|line| {
        let l = line.trim();
        l.starts_with('|') && l[1..].contains('|')
    })
}

/// Assistant boilerplate that no interviewer says to a candidate.
const SIGN_OFFS: &[&str] = &[
    " best regards ",
    " kind regards ",
    " warm regards ",
    " warmest regards ",
    " sincerely ",
    " yours truly ",
    " i hope this helps ",
    " hope this helps ",
    " as an ai ",
    " as a language model ",
    " i'm an ai ",
    " i am an ai ",
    " feel free to ask ",
    " let me know if you have any other questions ",
    " let me know if you need anything else ",
    " happy to help with anything else ",
    " thank you for your attention ",
    " good luck with your interview ",
];

pub fn signs_off(text: &str) -> bool {
    let w = padded_words(text);
    SIGN_OFFS.iter().any(|p| w.contains(p))
}

/// A template slot: `[Your Name]`, `[Company]`, `[insert number]`, `{name}`, `<NAME>`. A
/// markdown link (`[text](url)`) is not one.
pub fn has_placeholder(text: &str) -> bool {
    let slot = |inner: &str| {
        let inner = inner.trim();
        let lower = inner.to_lowercase();
        !inner.is_empty()
            && inner.chars().count() <= 40
            && (inner.chars().next().is_some_and(char::is_uppercase)
                || ["your ", "insert", "name", "placeholder", "company", "date"]
                    .iter()
                    .any(|p| lower.contains(p)))
            && !inner.chars().any(|c| c.is_ascii_digit())
    };
    let pairs = [('[', ']'), ('{', '}'), ('<', '>')];
    for (open, close) in pairs {
        let mut rest = text;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len_utf8()..];
            let Some(j) = after.find(close) else { break };
            let inner = &after[..j];
            let next = after[j + close.len_utf8()..].chars().next();
            let link = open == '[' && next == Some('(');
            let single_word_tag =
                open == '<' && !inner.contains(' ') && inner.to_lowercase() == inner;
            if !link && !single_word_tag && !inner.contains(open) && slot(inner) {
                return true;
            }
            rest = &after[j + close.len_utf8()..];
        }
    }
    false
}

/// Openers that make a reply sound like a generic assistant; the app drops them from the start
/// of a reply rather than failing it ("Certainly! Let's…" becomes "Let's…").
const OPENERS: &[&str] = &[
    "certainly",
    "sure thing",
    "sure",
    "of course",
    "absolutely",
    "great question",
    "excellent question",
    "what a great question",
];

/// The reply with a leading assistant opener ("Certainly!", "Sure,") removed and the next
/// letter capitalised; `text` itself when it has none. Returns `None` while `text` could still
/// grow into an opener (too short to tell).
pub fn strip_opener(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    let lower = trimmed.to_lowercase();
    for o in OPENERS {
        if lower.starts_with(o) {
            let rest = &trimmed[o.len()..];
            let c = rest.chars().next()?;
            if matches!(c, '!' | ',' | '.' | '—' | ':') {
                let rest = rest[c.len_utf8()..].trim_start();
                let mut chars = rest.chars();
                return Some(match chars.next() {
                    Some(f) => f.to_uppercase().chain(chars).collect(),
                    None => String::new(),
                });
            }
            if c.is_alphanumeric() {
                continue; // "Surely", "Sure enough" are words, not openers
            }
        } else if o.starts_with(&lower) && !lower.is_empty() {
            return None;
        }
    }
    Some(trimmed.to_string())
}

/// Recognises a reply that repeats the prompt back: one of its headings as a label ("What to
/// convey:", "**Act:**"), or six words in a row from its instructions.
#[derive(Debug, Clone, Default)]
pub struct EchoCheck {
    /// Lowercased labels, without the colon.
    headings: Vec<String>,
    /// Every run of `run` words of the instructions, as padded word strings.
    shingles: BTreeSet<String>,
    run: usize,
}

/// Words in a row that make an echo.
const SHINGLE: usize = 6;

impl EchoCheck {
    /// `instructions`: the text the model was told (rules, notes to it), not the facts it is
    /// meant to say. `headings`: the labels the prompt uses.
    pub fn new(instructions: &[&str], headings: &[&str]) -> Self {
        Self::with_run(instructions, headings, SHINGLE)
    }

    /// As [`new`](Self::new), with `run` words in a row making an echo.
    pub fn with_run(instructions: &[&str], headings: &[&str], run: usize) -> Self {
        let run = run.max(1);
        let mut shingles = BTreeSet::new();
        for text in instructions {
            let w = padded_words(text);
            let words: Vec<&str> = w.split_whitespace().collect();
            for win in words.windows(run) {
                shingles.insert(format!(" {} ", win.join(" ")));
            }
        }
        Self {
            run,
            headings: headings
                .iter()
                .map(|h| h.trim().trim_end_matches(':').to_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            shingles,
        }
    }

    /// True when `text` echoes the prompt.
    pub fn echoes(&self, text: &str) -> bool {
        let heading = text.lines().any(|line| {
            let l = line
                .trim_start_matches(|c: char| {
                    c.is_whitespace() || matches!(c, '*' | '_' | '>' | '-' | '#' | '[' | '(')
                })
                .to_lowercase();
            self.headings.iter().any(|h| {
                l.starts_with(h.as_str())
                    && l[h.len()..]
                        .trim_start_matches(['*', '_', ' ', ']', ')'])
                        .starts_with([':', '\u{ff1a}'])
            })
        });
        if heading {
            return true;
        }
        let w = padded_words(text);
        let words: Vec<&str> = w.split_whitespace().collect();
        words
            .windows(self.run.max(1))
            .any(|win| self.shingles.contains(&format!(" {} ", win.join(" "))))
    }
}

/// The end of the last complete sentence in `s`: a byte offset just after `.`, `!`, `?` or `:`
/// followed by white space (closing quotes and brackets included), after `.`, `!` or `?` that
/// ends what has arrived, or after a line break. A false end ("e.g." mid-sentence) only releases
/// a piece a little early; every check runs on everything released so far.
pub fn last_sentence_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            found = Some(i + 1);
        } else if matches!(b, b'.' | b'!' | b'?' | b':') {
            let mut j = i + 1;
            while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b')' | b'*' | b'_') {
                j += 1;
            }
            if bytes.get(j).is_some_and(u8::is_ascii_whitespace) || (j == bytes.len() && b != b':')
            {
                found = Some(j);
            }
        }
        i += 1;
    }
    found
}

/// True when `s` ends a sentence: its last visible character is `.`, `!` or `?` (closing
/// quotes, brackets or markdown markers may follow), or `:` before a list that follows.
pub fn ends_sentence(s: &str) -> bool {
    let t = s
        .trim_end()
        .trim_end_matches(['"', '\'', ')', '*', '_', '\u{201d}']);
    t.ends_with(['.', '!', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narration_in_any_form_is_caught() {
        for s in [
            "To respond to the new requirement, you might say: 'I understand the ops lead's desire.'",
            "The candidate should implement a dead-letter queue.",
            "The interviewer would then proceed to ask about partitions.",
            "A good answer would mention idempotent writes.",
            "Great. *nods* What about retention?",
            "What about retention? (pauses)",
            "How would you key the topic?\nInterviewer: And why?",
            "You could respond with a two-path design.",
            // A real 1.5B model's lint probe, answering its own question.
            "You would deal with this by adding a retry mechanism that allows events to be processed again.",
        ] {
            assert!(narrates(s), "{s}");
        }
        for s in [
            "How would you key the topic, and why?",
            "Candidates often forget retention; what would you keep?",
            "As your interviewer I'm curious: why Flink?",
            "You might see duplicates after a retry. How would you catch them?",
            "Say more about the partition key.",
            "How would you handle this by the morning?",
        ] {
            assert!(!narrates(s), "{s}");
        }
    }

    #[test]
    fn labels_for_the_candidate_are_caught_with_any_punctuation() {
        for s in [
            "Candidate: I'd use Kafka.",
            "**Candidate:** I'd use Kafka.",
            "> You: I'd use Kafka.",
            "Candidate - I'd use Kafka.",
            "User: I'd use Kafka.",
            "- The candidate: I'd use Kafka.",
            "Good. Candidate: I'd use Kafka.",
            "Candidate\u{ff1a} I'd use Kafka.",
        ] {
            assert!(speaks_for_candidate(s), "{s}");
        }
        assert!(!speaks_for_candidate("You mentioned Kafka: why that one?"));
        assert!(!speaks_for_candidate(
            "Which candidates for the key did you weigh?"
        ));
    }

    #[test]
    fn sign_offs_and_placeholders_are_caught() {
        assert!(signs_off("Thanks for your time.\n\nBest regards,"));
        assert!(signs_off("I hope this helps! Let me know."));
        assert!(has_placeholder("Best regards, [Your Name]"));
        assert!(has_placeholder("Welcome to {Company}."));
        assert!(!has_placeholder(
            "See [the docs](https://example.org) for that."
        ));
        assert!(!has_placeholder("Keep the last [3] days hot."));
        assert!(!signs_off("Regarding the sink: why Snowflake?"));
    }

    #[test]
    fn openers_are_dropped_and_the_rest_kept() {
        assert_eq!(
            strip_opener("Certainly! let's look at the clicks.").as_deref(),
            Some("Let's look at the clicks.")
        );
        assert_eq!(strip_opener("Sure, why not.").as_deref(), Some("Why not."));
        assert_eq!(
            strip_opener("Surely that fails.").as_deref(),
            Some("Surely that fails.")
        );
        assert_eq!(strip_opener("Certa"), None, "could still become an opener");
        assert_eq!(strip_opener("Welcome!").as_deref(), Some("Welcome!"));
    }

    #[test]
    fn echoes_of_the_prompt_are_caught() {
        let check = EchoCheck::new(
            &[
                "Keep the engine's decision: convey everything it lists and nothing that contradicts it.",
            ],
            &["What to convey", "Act", "Recent turns"],
        );
        assert!(check.echoes("**What to convey:** the peak."));
        assert!(check.echoes("Sure.\n### What to convey: the peak"));
        assert!(check.echoes("I will convey everything it lists and nothing more."));
        assert!(!check.echoes("Let's act on that: what is the peak?"));
        assert!(!check.echoes("What should we convey to the dashboard team first?"));
    }

    #[test]
    fn sentence_ends_are_found_after_closing_marks() {
        assert_eq!(last_sentence_end("One. Two"), Some(4));
        assert_eq!(last_sentence_end("One. Two?"), Some(9));
        assert_eq!(last_sentence_end("Note:"), None);
        assert_eq!(last_sentence_end("He said \"go.\" Then"), Some(13));
        assert_eq!(last_sentence_end("no end yet"), None);
        assert!(ends_sentence("Done.**"));
        assert!(!ends_sentence("**Summary"));
    }

    #[test]
    fn fragments_a_real_small_model_wrote_are_caught() {
        // Replies of Qwen2.5-Coder-1.5B-Instruct voicing an interview, as quoted in issue 14.
        assert!(narrates(
            "To respond to the new requirement, you might say: 'I understand the ops lead's desire… By increasing the partition count from 20 to 100…'"
        ));
        assert!(narrates("The candidate should implement…"));
        assert!(narrates("The interviewer would then proceed to ask…"));
        assert!(EchoCheck::new(&[], &["What to convey"]).echoes("**What to convey:**"));
        assert!(signs_off("Best regards, [Your Name]"));
        assert!(has_placeholder("Best regards, [Your Name]"));
        assert_eq!(
            strip_opener("Certainly, let's start by understanding what kind of details we need…")
                .as_deref(),
            Some("Let's start by understanding what kind of details we need…")
        );
        assert!(!ends_sentence("…for real"));
        assert!(!ends_sentence("**Summary"));
    }
}
