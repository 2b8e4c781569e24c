//! Misconception patterns run only on sentences that contain the words they require.
//!
//! A misconception pattern is a sequence of parts (`\b(kafka\s+transactions?|…)\b.{0,80}\b(exactly
//! once|eos)…`), and a sentence can match only if, for every part, one of the words the part
//! begins with occurs in it. Those words are read from the pattern itself (regex-syntax's literal
//! extractor, the same analysis the regex crate trusts for its own prefilters), so the bank's
//! authors declare nothing and a new pattern is gated as soon as it is written. One Aho-Corasick
//! pass over the sentence finds all the words of all the patterns; the few patterns whose parts
//! are all present are then run one by one. Most sentences end there with no regex run at all,
//! where a single set of every pattern had to scan each sentence with a large, cache-hungry
//! automaton (its `.{0,80}` gaps make the states many).
//!
//! The gate never changes the outcome: it only skips patterns that cannot match.

use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Capture, Class, ClassBytes, ClassBytesRange, Hir, HirKind, Repetition};
use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};

/// Matches sentences against the misconception patterns; the same answers as a `RegexSet` of
/// them all.
pub(crate) struct GatedSet {
    sources: Vec<String>,
    /// Compiled on the first sentence that passes the pattern's gate; `None` if it does not
    /// compile within the size limit (then it matches nothing, as a set that failed to build did).
    regexes: Vec<OnceLock<Option<regex::bytes::Regex>>>,
    /// Per pattern, the parts that constrain it: each part is the ids of the words one of which
    /// must occur. No parts: the pattern is always run.
    requires: Vec<Vec<Vec<usize>>>,
    /// All the words, once; `None` when no pattern requires any.
    words: Option<AhoCorasick>,
    word_count: usize,
    /// For each word, the patterns whose first part it satisfies.
    by_word: Vec<Vec<usize>>,
    /// The patterns with no parts: run on every sentence.
    always: Vec<usize>,
}

/// The size limit of one compiled pattern (the set of them all had the same).
const SIZE_LIMIT: usize = 64 << 20;

impl GatedSet {
    /// Builds the gates. `sources` must already parse (the caller checks them and names the entry
    /// at fault); a source that does not is simply never gated.
    pub(crate) fn new(sources: &[String]) -> GatedSet {
        let mut ids: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut words: Vec<Vec<u8>> = Vec::new();
        let mut requires = Vec::with_capacity(sources.len());
        for src in sources {
            let parts = required_words(src).unwrap_or_default();
            let parts: Vec<Vec<usize>> = parts
                .into_iter()
                .map(|part| {
                    part.into_iter()
                        .map(|w| {
                            *ids.entry(w.clone()).or_insert_with(|| {
                                words.push(w);
                                words.len() - 1
                            })
                        })
                        .collect()
                })
                .collect();
            requires.push(parts);
        }
        let word_count = words.len();
        let words = if words.is_empty() {
            None
        } else {
            // A full DFA: a few hundred short words make a small one, and it is the fastest
            // of the automata for one pass per sentence.
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&words)
                .ok()
        };
        // Without the automaton no gate can be checked: run every pattern.
        if words.is_none() {
            requires.iter_mut().for_each(Vec::clear);
        }
        // Each pattern is reached through the words of its first part; one without parts is
        // always a candidate.
        let mut by_word = vec![Vec::new(); word_count];
        let mut always = Vec::new();
        for (i, parts) in requires.iter().enumerate() {
            match parts.first() {
                Some(first) => first.iter().for_each(|&w| by_word[w].push(i)),
                None => always.push(i),
            }
        }
        GatedSet {
            sources: sources.to_vec(),
            regexes: sources.iter().map(|_| OnceLock::new()).collect(),
            requires,
            words,
            word_count,
            by_word,
            always,
        }
    }

    /// The indices of the patterns that match `lower`, ascending. `lower` must be lowercased
    /// (`str::to_lowercase`): the gate words are lowercase and the patterns are written for
    /// lowercase text. (The analyzer uses [`GatedSet::find`]; this is its check in the tests.)
    #[cfg(test)]
    pub(crate) fn matches(&self, lower: &str) -> Vec<usize> {
        self.find(lower).into_iter().map(|(i, _)| i).collect()
    }

    /// The indices of the patterns that match `lower`, ascending, each with where its first match
    /// lies. `lower` must be lowercased, as the gate words and the patterns are.
    pub(crate) fn find(&self, lower: &str) -> Vec<(usize, std::ops::Range<usize>)> {
        debug_assert!(!lower.bytes().any(|b| b.is_ascii_uppercase()));
        let mut present = vec![false; self.word_count];
        let mut candidates = self.always.clone();
        if let Some(ac) = &self.words {
            for m in ac.find_overlapping_iter(lower.as_bytes()) {
                let w = m.pattern().as_usize();
                if !present[w] {
                    present[w] = true;
                    candidates.extend_from_slice(&self.by_word[w]);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut out = Vec::new();
        for i in candidates {
            let parts = &self.requires[i];
            if !parts.iter().all(|part| part.iter().any(|&w| present[w])) {
                continue;
            }
            let re = self.regexes[i].get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.sources[i])
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .ok()
            });
            if let Some(m) = re.as_ref().and_then(|re| re.find(lower.as_bytes())) {
                out.push((i, m.range()));
            }
        }
        out
    }
}

/// The words a match of `src` in lowercase text must contain: one list for the whole pattern's
/// beginning and one per part of its top-level sequence, any word of which must occur. Parts that can match without a
/// word (a gap, `\b`, an optional group) give no list. `None` if `src` does not parse.
fn required_words(src: &str) -> Option<Vec<Vec<Vec<u8>>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(src)
        .ok()?;
    let hir = lowercase_only(&hir);
    let mut top = &hir;
    while let HirKind::Capture(c) = top.kind() {
        top = &c.sub;
    }
    // The whole pattern's first words (`kafka transactions`), then each part's (`postgres`).
    let mut parts: Vec<&Hir> = vec![top];
    if let HirKind::Concat(subs) = top.kind() {
        parts.extend(subs);
    }
    let mut out = Vec::new();
    for part in parts {
        let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(part);
        seq.dedup();
        // An infinite sequence says nothing, nor does one with the empty word (the part can
        // match without text). A finite, empty one is a part that never matches: no word can
        // satisfy it, and the pattern is never run.
        let Some(lits) = seq.literals() else { continue };
        if lits.iter().any(|l| l.is_empty()) {
            continue;
        }
        out.push(lits.iter().map(|l| l.as_bytes().to_vec()).collect());
    }
    Some(out)
}

/// The same pattern as far as lowercase text can tell: every class loses the uppercase ASCII
/// letters, which lowercased text never contains. Case-insensitive patterns become plain
/// lowercase words this way (`[Kk][Aa]…` is `ka…`), which the literal extractor can use whole
/// instead of giving up on the combinations of cases.
fn lowercase_only(h: &Hir) -> Hir {
    match h.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(lit) => Hir::literal(lit.0.clone()),
        HirKind::Class(Class::Bytes(c)) => {
            let mut c = c.clone();
            c.difference(&ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]));
            Hir::class(Class::Bytes(c))
        }
        HirKind::Class(Class::Unicode(c)) => {
            let mut c = c.clone();
            c.difference(&ClassUnicode::new([ClassUnicodeRange::new('A', 'Z')]));
            Hir::class(Class::Unicode(c))
        }
        HirKind::Look(look) => Hir::look(*look),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(lowercase_only(&r.sub)),
            ..r.clone()
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(lowercase_only(&c.sub)),
            ..c.clone()
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(lowercase_only).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(lowercase_only).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bank() -> pipeprep_bank::Bank {
        pipeprep_bank::embedded().expect("the embedded bank loads")
    }

    fn bank_sources() -> Vec<String> {
        bank()
            .misconceptions
            .iter()
            .flat_map(|m| m.patterns.iter())
            .map(|p| pipeprep_bank::misconception_pattern(p))
            .collect()
    }

    /// What the analyzer ran before the gate: one set of every pattern.
    fn one_set(sources: &[String]) -> regex::bytes::RegexSet {
        regex::bytes::RegexSetBuilder::new(sources)
            .size_limit(SIZE_LIMIT)
            .build()
            .expect("the bank's patterns build as one set")
    }

    fn assert_same(gated: &GatedSet, set: &regex::bytes::RegexSet, text: &str) {
        let lower = text.to_lowercase();
        let want: Vec<usize> = set.matches(lower.as_bytes()).into_iter().collect();
        assert_eq!(gated.matches(&lower), want, "{lower:?}");
    }

    /// Sentences from the bank itself (every claim must match, no not-claim may) and lines of the
    /// training and development transcripts: the gate changes no answer.
    #[test]
    fn finds_what_one_set_of_all_patterns_finds() {
        let sources = bank_sources();
        let (gated, set) = (GatedSet::new(&sources), one_set(&sources));
        let mut texts: Vec<String> = Vec::new();
        for m in &bank().misconceptions {
            texts.extend(m.claims.iter().cloned());
            texts.extend(m.not_claims.iter().cloned());
            texts.push(m.fact.clone());
            texts.push(m.correction.clone());
        }
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../calibration");
        for dir in ["train", "dev"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).expect("calibration set") {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "md") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Every fifth line keeps the debug-build test short; the lines skipped are
                    // of the same kinds.
                    texts.extend(text.lines().step_by(5).map(str::to_string));
                }
            }
        }
        assert!(texts.len() > 1200, "{} texts", texts.len());
        let mut matched = 0;
        for t in &texts {
            assert_same(&gated, &set, t);
            matched += usize::from(set.is_match(t.to_lowercase().as_bytes()));
        }
        // The comparison means something only if many of them match.
        assert!(matched > 150, "only {matched} texts match a pattern");
    }

    /// Every pattern of the bank is gated by at least one word, and ordinary sentences run
    /// almost none of them: the speed comes from here.
    #[test]
    fn every_bank_pattern_is_gated_and_few_run() {
        let sources = bank_sources();
        let gated = GatedSet::new(&sources);
        for (src, parts) in sources.iter().zip(&gated.requires) {
            assert!(!parts.is_empty(), "no word gates {src}");
        }
        let words = gated.words.as_ref().expect("an automaton of the words");
        let sentence = "we ingest click events into kafka with acks=all and flink computes \
            five-second event-time windows, writing idempotent upserts into redis for the dashboard";
        let mut present = vec![false; gated.word_count];
        for m in words.find_overlapping_iter(sentence) {
            present[m.pattern().as_usize()] = true;
        }
        let run = gated
            .requires
            .iter()
            .filter(|parts| parts.iter().all(|p| p.iter().any(|&w| present[w])))
            .count();
        assert!(
            run * 10 < sources.len(),
            "{run} of {} patterns run",
            sources.len()
        );
    }

    #[test]
    fn case_insensitive_patterns_are_gated_by_their_lowercase_words() {
        let words =
            required_words(r"(?i-u)\bkafka\s+(transactions?|txns?)\b.{0,80}\bpostgres").unwrap();
        // A match begins with `kafka` and a space (or a tab…), whatever the case it was typed in.
        assert!(
            words[0].iter().all(|w| w.starts_with(b"kafka")),
            "{words:?}"
        );
        assert!(words[0].iter().any(|w| w == b"kafka "), "{words:?}");
        assert!(
            words.iter().any(|p| p.iter().all(|w| w == b"postgres")),
            "{words:?}"
        );
        // An optional part and a gap constrain nothing.
        let words = required_words(r"(?i-u)(very\s+)?fast").unwrap();
        assert!(
            words.iter().all(|p| p.contains(&b"fast".to_vec())),
            "{words:?}"
        );
    }

    fn vocabulary() -> Vec<String> {
        let mut words: Vec<String> = bank()
            .misconceptions
            .iter()
            .flat_map(|m| m.claims.iter().chain(&m.not_claims))
            .flat_map(|c| c.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect();
        words.sort();
        words.dedup();
        words
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Sentences stitched from the claims' own words, in any order, with any separators.
        #[test]
        fn stitched_sentences_match_as_one_set_does(
            picks in proptest::collection::vec((any::<proptest::sample::Index>(), "[ ,.\\-]{1,2}"), 1..40),
        ) {
            thread_local! {
                static FIXTURE: (GatedSet, regex::bytes::RegexSet, Vec<String>) = {
                    let s = bank_sources();
                    (GatedSet::new(&s), one_set(&s), vocabulary())
                };
            }
            FIXTURE.with(|(gated, set, vocab)| {
                let text: String = picks
                    .iter()
                    .map(|(i, sep)| format!("{}{sep}", vocab[i.index(vocab.len())]))
                    .collect();
                assert_same(gated, set, &text);
            });
        }
    }
}
