//! Tokens, sentences and clauses: the small amount of linguistics the analyzer needs.

use rust_stemmers::{Algorithm, Stemmer};

/// A word of the input with its byte range and its stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub stem: String,
    pub lower: String,
    pub start: usize,
    pub end: usize,
    /// Index of the clause this token is in (clauses split at , ; : and a few conjunctions).
    pub clause: usize,
}

/// A sentence of the input: its byte range and tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub start: usize,
    pub end: usize,
    pub tokens: Vec<Token>,
    pub is_question: bool,
}

pub struct Stem(Stemmer);

impl Default for Stem {
    fn default() -> Self {
        Stem(Stemmer::create(Algorithm::English))
    }
}

impl Stem {
    pub fn stem(&self, lower: &str) -> String {
        // Short words and words with digits (p99, s3, 5s) are kept as they are.
        if lower.len() <= 3 || lower.chars().any(|c| c.is_ascii_digit()) {
            return lower.to_string();
        }
        self.0.stem(lower).into_owned()
    }

    /// Stems a phrase into its token stems.
    pub fn phrase(&self, phrase: &str) -> Vec<String> {
        words(phrase)
            .map(|(_, _, w)| self.stem(&w.to_lowercase()))
            .collect()
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '\''
}

/// Words with byte offsets. Dots and apostrophes stay inside words (`min.insync.replicas`,
/// `don't`) but are trimmed at their ends; hyphens and slashes split words.
pub fn words(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    // Found one at a time as the caller asks: the analyzer and the scorer split every sentence
    // this way, so a list of all the words first was an allocation per sentence.
    let mut chars = text.char_indices();
    std::iter::from_fn(move || {
        loop {
            let start = loop {
                let (i, c) = chars.next()?;
                if is_word_char(c) {
                    break i;
                }
            };
            let end = loop {
                match chars.next() {
                    Some((i, c)) if !is_word_char(c) => break i,
                    Some(_) => {}
                    None => break text.len(),
                }
            };
            let w = &text[start..end];
            let trimmed_start = w.len() - w.trim_start_matches(['.', '\'']).len();
            let w2 = w.trim_matches(['.', '\'']);
            if !w2.is_empty() {
                let s2 = start + trimmed_start;
                return Some((s2, s2 + w2.len(), w2));
            }
        }
    })
}

const CLAUSE_WORDS: &[&str] = &[
    "but", "so", "because", "which", "whereas", "although", "though", "then", "while",
];

/// Splits text into sentences at `.`, `!`, `?` (followed by space or end) and line breaks that end
/// a bullet or a line, then tokenizes each.
pub fn sentences(text: &str, stem: &Stem) -> Vec<Sentence> {
    tokenize(text, &sentence_bounds(text), stem)
}

/// The byte ranges of [`sentences`], blank ones left out: finding them is cheap, so a long
/// text can be split first and its parts tokenized apart.
pub fn sentence_bounds(text: &str) -> Vec<(usize, usize)> {
    let mut bounds = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let end_here = match b {
            b'.' | b'!' | b'?' => {
                let next = bytes.get(i + 1).copied();
                next.is_none_or(|n| {
                    n == b' ' || n == b'\n' || n == b'\r' || n == b'\t' || n == b'"' || n == b')'
                })
            }
            b'\n' => true,
            _ => false,
        };
        if end_here {
            bounds.push((start, i + 1));
            start = i + 1;
        }
        i += 1;
    }
    if start < text.len() {
        bounds.push((start, text.len()));
    }
    bounds.retain(|&(s, e)| !text[s..e].trim().is_empty());
    bounds
}

/// The sentences of `text` at `bounds` (from [`sentence_bounds`]), tokenized.
pub fn tokenize(text: &str, bounds: &[(usize, usize)], stem: &Stem) -> Vec<Sentence> {
    let mut out = Vec::with_capacity(bounds.len());
    let mut cache: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for &(s, e) in bounds {
        let slice = &text[s..e];
        let mut clause = 0;
        let mut tokens = Vec::new();
        let mut last_end = s;
        for (ws, we, w) in words(slice) {
            let abs_s = s + ws;
            let between = &text[last_end..abs_s];
            if between.contains([',', ';', ':', '(', ')'])
                || between.contains(" - ")
                || between.contains('—')
            {
                clause += 1;
            }
            let lower = w.to_lowercase();
            if CLAUSE_WORDS.contains(&lower.as_str()) {
                clause += 1;
            }
            // Long answers repeat their words; stem each distinct word once.
            let stemmed = match cache.get(&lower) {
                Some(st) => st.clone(),
                None => {
                    let st = stem.stem(&lower);
                    cache.insert(lower.clone(), st.clone());
                    st
                }
            };
            tokens.push(Token {
                stem: stemmed,
                lower,
                start: abs_s,
                end: s + we,
                clause,
            });
            last_end = s + we;
        }
        let trimmed = slice.trim();
        let first = tokens.first().map(|t| t.lower.as_str()).unwrap_or("");
        let is_question = trimmed.ends_with('?')
            || ([
                "what", "how", "which", "who", "when", "where", "why", "is", "are", "do", "does",
                "can", "could", "will", "would", "should", "did", "any", "anything",
            ]
            .contains(&first)
                && tokens.len() > 2
                && !trimmed.ends_with('.'));
        out.push(Sentence {
            start: s,
            end: e,
            tokens,
            is_question,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_dotted_config_names() {
        let w: Vec<&str> = words("set min.insync.replicas=2, don't panic.")
            .map(|x| x.2)
            .collect();
        assert_eq!(w, vec!["set", "min.insync.replicas", "2", "don't", "panic"]);
    }

    /// The words found one at a time are the words of splitting the whole text at once at the
    /// characters that are not word characters, then trimming dots and apostrophes.
    #[test]
    fn words_one_at_a_time_are_the_split_words() {
        let texts = [
            "",
            "...",
            "set min.insync.replicas=2, don't panic.",
            "'quoted' words... and 'trailing.",
            "Phase 0 — Prep (1 week) → managed MQTT; 面接を始めましょう。データの量は？ Candidaté:",
            "a",
            " x ",
            "kafka->flink->redis 5.5 TB/day '' .. .a. 'b'",
        ];
        for text in texts {
            let mut want = Vec::new();
            let mut offset = 0;
            for piece in text.split(|c: char| !is_word_char(c)) {
                let lead = piece.len() - piece.trim_start_matches(['.', '\'']).len();
                let w = piece.trim_matches(['.', '\'']);
                if !w.is_empty() {
                    want.push((offset + lead, offset + lead + w.len(), w));
                }
                // `split` drops one separator character after each piece.
                offset += piece.len();
                offset += text[offset..].chars().next().map_or(0, char::len_utf8);
            }
            let got: Vec<(usize, usize, &str)> = words(text).collect();
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn sentences_split_and_detect_questions() {
        let stem = Stem::default();
        let s = sentences("What is the peak? We use Kafka. 5.5 TB a day", &stem);
        assert_eq!(s.len(), 3);
        assert!(s[0].is_question);
        assert!(!s[1].is_question);
        assert_eq!(s[2].tokens[0].lower, "5.5");
    }

    #[test]
    fn clauses_split_at_commas_and_conjunctions() {
        let stem = Stem::default();
        let s = sentences("we don't want loss, so we add a queue", &stem);
        let t = &s[0].tokens;
        assert!(t.last().unwrap().clause > t[0].clause);
    }
}
