//! Free-text analysis for pipeprep: which concepts a candidate used (and whether they dismissed
//! them), the numbers they gave, the questions they asked, whether they are stuck, and the design
//! they described.
//!
//! The interviewer and the scorer must agree on what was said, and the same answer must always
//! give the same reading, so this is deterministic matching against the bank's lexicon rather than
//! a model. It is a pure leaf: text in, facts out.

mod gate;
mod numbers;
mod prose;
pub mod semantic;
pub mod text;

use std::collections::HashMap;
use std::sync::OnceLock;

use pipeprep_design::{Catalog, DesignGraph};
use regex::{Regex, RegexSet};
use serde::Serialize;

pub use numbers::{Quantity, QuantityKind, WrongConversion, quantities, wrong_conversions};
use text::{Sentence, Stem};

/// Answers longer than this many bytes are analysed only up to here (at a character boundary);
/// the interviewer tells the candidate what it ignored. About 5,000 words of English.
pub const MAX_ANALYZED_BYTES: usize = 32 * 1024;

/// One concept of the lexicon, as the analyzer needs it.
#[derive(Debug, Clone)]
pub struct ConceptSpec {
    pub id: String,
    pub terms: Vec<String>,
    pub patterns: Vec<String>,
}

/// A known false claim and the patterns that recognise it in one sentence: complete
/// `regex::bytes` sources, matched against the bytes of the lowercased sentence (the bank says
/// how they are written: `pipeprep_bank::misconception_pattern`).
#[derive(Debug, Clone)]
pub struct MisconceptionSpec {
    pub id: String,
    pub patterns: Vec<String>,
}

/// A known false claim the candidate stated (not asked about, not refuted).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MisconceptionHit {
    pub id: String,
    pub sentence: usize,
}

/// One requirement topic with the words that make a question about it.
#[derive(Debug, Clone)]
pub struct TopicSpec {
    pub id: String,
    pub keywords: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzerError {
    #[error("misconception `{id}` has an invalid pattern: {reason}")]
    BadMisconception { id: String, reason: String },
    #[error("concept `{concept}` has an invalid pattern `{pattern}`: {reason}")]
    BadPattern {
        concept: String,
        pattern: String,
        reason: String,
    },
}

/// A concept found in the text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConceptHit {
    pub id: String,
    /// Index of the sentence in [`Analysis::sentences`].
    pub sentence: usize,
    /// The matched words as written.
    pub matched: String,
    /// The candidate dismissed it ("we won't need X", "no X", "without X").
    pub negated: bool,
    /// The candidate does not know it ("not sure what X is", "never heard of X").
    pub unsure: bool,
    /// Found by meaning (the sentence is near the concept's example phrasings), not by its terms.
    pub semantic: bool,
}

impl ConceptHit {
    /// Whether this mention can earn credit.
    pub fn counts(&self) -> bool {
        !self.negated && !self.unsure
    }
}

/// A catalog component named in the text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentHit {
    pub id: String,
    pub sentence: usize,
    pub matched: String,
    pub negated: bool,
}

/// A question the candidate asked and the requirement topics it is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    pub sentence: usize,
    pub text: String,
    pub topics: Vec<String>,
}

/// What one candidate turn contains.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Analysis {
    /// The sentences of the analysed text, verbatim (quotable).
    pub sentences: Vec<String>,
    pub concepts: Vec<ConceptHit>,
    pub components: Vec<ComponentHit>,
    pub quantities: Vec<Quantity>,
    pub questions: Vec<Question>,
    /// Sentences that give a reason or weigh options ("because", "so that", "instead of").
    pub reasoning: Vec<usize>,
    /// Sentences that weigh alternatives explicitly ("trade-off", "versus", "the downside").
    pub tradeoffs: Vec<usize>,
    /// Sentences that look like instructions to the grader ("rate me expert", "SYSTEM:").
    pub injections: Vec<usize>,
    /// Known false claims stated as the candidate's own.
    pub misconceptions: Vec<MisconceptionHit>,
    /// The candidate says they are stuck or asks for a hint.
    pub struggle: bool,
    /// The candidate asked for a hint explicitly.
    pub asked_hint: bool,
    pub words: usize,
    /// Meaningful words (letters, not repeated filler): a guard against gibberish.
    pub content_words: usize,
    /// Bytes beyond [`MAX_ANALYZED_BYTES`] that were not analysed.
    pub ignored_bytes: usize,
    /// The design described, from arrow notation and prose, resolved against the catalog.
    pub design: DesignGraph,
}

impl Analysis {
    /// Concept ids that count (not dismissed, not unsure), without repeats, in order.
    pub fn credited(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for h in self.concepts.iter().filter(|h| h.counts()) {
            if !out.contains(&h.id.as_str()) {
                out.push(&h.id);
            }
        }
        out
    }

    /// The concept hits of each sentence, in sentence order: a long answer has thousands of
    /// hits, too many to filter again for every sentence.
    pub fn concepts_by_sentence(&self) -> Vec<Vec<&ConceptHit>> {
        by_sentence(self.sentences.len(), &self.concepts, |h| h.sentence)
    }

    /// The component hits of each sentence, in sentence order.
    pub fn components_by_sentence(&self) -> Vec<Vec<&ComponentHit>> {
        by_sentence(self.sentences.len(), &self.components, |h| h.sentence)
    }

    pub fn has(&self, concept: &str) -> bool {
        self.concepts.iter().any(|h| h.id == concept && h.counts())
    }

    /// Components named and not dismissed, without repeats, in order.
    pub fn named_components(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for h in self.components.iter().filter(|h| !h.negated) {
            if !out.contains(&h.id.as_str()) {
                out.push(&h.id);
            }
        }
        out
    }

    pub fn is_reasoned(&self, sentence: usize) -> bool {
        self.reasoning.contains(&sentence) || self.tradeoffs.contains(&sentence)
    }
}

struct PhraseEntry {
    stems: Vec<String>,
    owner: usize,
}

/// A phrase matcher over stemmed tokens, indexed by first stem (every token of every sentence is
/// looked up, twice).
#[derive(Default)]
struct PhraseIndex {
    by_first: semantic::WordMap<Vec<PhraseEntry>>,
}

impl PhraseIndex {
    fn add(&mut self, stems: Vec<String>, owner: usize) {
        if let Some(first) = stems.first().cloned() {
            self.by_first
                .entry(first)
                .or_default()
                .push(PhraseEntry { stems, owner });
        }
    }

    fn sort(&mut self) {
        for v in self.by_first.values_mut() {
            v.sort_by_key(|e| std::cmp::Reverse(e.stems.len()));
        }
    }

    /// Longest matches, left to right, without overlaps: (owner, first token, token count).
    fn find(&self, sentence: &Sentence) -> Vec<(usize, usize, usize)> {
        let toks = &sentence.tokens;
        let mut out = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let mut advanced = false;
            if let Some(cands) = self.by_first.get(&toks[i].stem) {
                for c in cands {
                    let n = c.stems.len();
                    if i + n <= toks.len()
                        && toks[i..i + n]
                            .iter()
                            .zip(&c.stems)
                            .all(|(t, s)| &t.stem == s)
                    {
                        out.push((c.owner, i, n));
                        i += n;
                        advanced = true;
                        break;
                    }
                }
            }
            if !advanced {
                i += 1;
            }
        }
        out
    }
}

/// The concepts' example phrasings as vectors, with each concept's normalised mean for
/// screening, stored for scoring many rows at once.
struct Meanings {
    /// Concept index of each centroid row, in the bank's order.
    concepts: Vec<usize>,
    centroids: semantic::Rows,
    all_centroids: semantic::Group,
    examples: semantic::Rows,
    /// Each concept's examples, by centroid row.
    groups: Vec<semantic::Group>,
}

/// `hits` gathered by the sentence each is in (`n` sentences; a hit past them is left out).
fn by_sentence<T>(n: usize, hits: &[T], sentence: impl Fn(&T) -> usize) -> Vec<Vec<&T>> {
    let mut out: Vec<Vec<&T>> = vec![Vec::new(); n];
    for h in hits {
        if let Some(list) = out.get_mut(sentence(h)) {
            list.push(h);
        }
    }
    out
}

/// From this many sentences on, an answer is read on two threads.
const PARALLEL_SENTENCES: usize = 12;

/// Where to split the sentences into two parts of about the same length in bytes.
fn split_point(bounds: &[(usize, usize)]) -> usize {
    let total: usize = bounds.iter().map(|(s, e)| e - s).sum();
    let mut seen = 0;
    for (i, (s, e)) in bounds.iter().enumerate() {
        seen += e - s;
        // The first part takes a little more: the arrow notation is read beside the second.
        if seen * 20 >= total * 11 {
            return (i + 1).min(bounds.len() - 1).max(1);
        }
    }
    bounds.len() / 2
}

/// What one sentence shows, before it is put into the [`Analysis`] with the others.
#[derive(Default)]
struct Reading {
    concepts: Vec<ConceptHit>,
    components: Vec<ComponentHit>,
    misconceptions: Vec<MisconceptionHit>,
    question: Option<Question>,
    quantities: Vec<Quantity>,
    reasoning: bool,
    tradeoff: bool,
    injection: bool,
    raw: String,
}

/// The analyzer, built once per bank.
pub struct Analyzer {
    stem: Stem,
    concept_ids: Vec<String>,
    concepts: PhraseIndex,
    /// (concept index, pattern source, compiled on first use): the set says which can match, so
    /// most are never compiled.
    patterns: Vec<(usize, String, std::sync::OnceLock<Regex>)>,
    /// All patterns at once, so a sentence is scanned once to learn which patterns can match.
    pattern_set: RegexSet,
    /// The phrase lists (reason, trade-off, instruction, unsure, struggle) as one set, in that order.
    cues: RegexSet,
    component_ids: Vec<String>,
    components: PhraseIndex,
    topics: Vec<(String, Vec<Vec<String>>)>,
    catalog: Catalog,
    misconception_ids: Vec<String>,
    /// One pattern per entry; `misconception_owner[i]` is the entry of pattern `i`.
    misconception_sources: Vec<String>,
    /// Built on the first analysis, not at start-up (the greeting needs none of it).
    misconception_set: OnceLock<gate::GatedSet>,
    misconception_owner: Vec<usize>,
    /// Sentences that refute or distance themselves from a claim rather than state it.
    refutation: Regex,
    refuted_after: Regex,
    /// Each concept's example phrasings (by concept index), and below the similarity a sentence
    /// needs to one of them to show the concept.
    semantic_examples: Vec<(usize, Vec<String>)>,
    /// Embedded on the first analysis, like the misconception set.
    semantic: OnceLock<Meanings>,
    semantic_min: f32,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("concepts", &self.concept_ids.len())
            .finish_non_exhaustive()
    }
}

const NEGATORS: &[&str] = &[
    "no",
    "not",
    "don't",
    "dont",
    "won't",
    "wont",
    "without",
    "never",
    "nor",
    "isn't",
    "aren't",
    "doesn't",
    "didn't",
    "wouldn't",
    "shouldn't",
    "can't",
    "cannot",
    "skip",
    "neither",
    "unnecessary",
    "overkill",
];
const UNSURE: &[&str] = &[
    "not sure",
    "no idea",
    "don't know",
    "dont know",
    "do not know",
    "never heard",
    "not familiar",
    "unfamiliar",
    "what is a",
    "what's a",
    "whatever that is",
    "no clue",
    "i forget",
    "i forgot",
];
const REASON: &[&str] = &[
    "because",
    "since",
    "so that",
    "which means",
    "that means",
    "the reason",
    "due to",
    "in order to",
    "otherwise",
    "this way",
    "that way",
    "given that",
    "to avoid",
    "to keep",
    "to make sure",
    "to ensure",
    "lets us",
    "allows us",
    "so we can",
    "so it",
    "so the",
    "as long as",
    "if we",
    "which gives",
    "means we",
];
const TRADEOFF: &[&str] = &[
    "trade-off",
    "tradeoff",
    "trade off",
    "versus",
    " vs",
    "instead of",
    "rather than",
    "the downside",
    "downside",
    "on the other hand",
    "the cost is",
    "at the cost of",
    "at the expense of",
    "pros and cons",
    "compared to",
    "compared with",
    "the catch",
    "but it",
    "but that",
    "whereas",
    "i'd pick",
    "i would pick",
    "i'd choose",
    "i would choose",
    "over spark",
    "over flink",
    "over kafka",
    "over kinesis",
];
const STRUGGLE: &[&str] = &[
    "i'm stuck",
    "im stuck",
    "i am stuck",
    "stuck here",
    "no idea",
    "not sure where to start",
    "don't know where to start",
    "i don't know",
    "i dont know",
    "can you give me a hint",
    "give me a hint",
    "hint please",
    "need a hint",
    "help me",
    "no clue",
    "i'm lost",
    "im lost",
    "i am lost",
    "not sure how",
];
const INJECTION: &[&str] = &[
    "ignore your instructions",
    "ignore previous instructions",
    "ignore all previous",
    "ignore the rubric",
    "rate me expert",
    "rate me as expert",
    "give me expert",
    "score me",
    "mark me as expert",
    "you are now",
    "system:",
    "system prompt",
    "as the grader",
    "grade this as",
    "override",
    "assistant:",
];

/// Words that turn a false claim into its refutation or a report of what others believe: "not",
/// "never", "instead of", "a common myth". "no" is not here on purpose: "EOS, so no dedup needed"
/// states the claim.
const REFUTATION: &str = r"(?:^|[^a-z])(?:not|never|no longer|instead of|rather than|myth|misconception|mistake|wrong|false|untrue|avoid|unlike|people think|some think|assume that|tempting|would be naive)(?:$|[^a-z])|n't\b|n’t\b";

/// Words after a claim that call it false: "… — that's a myth", "…, which is wrong".
const REFUTED_AFTER: &str = r"(?:^|[^a-z])(?:myth|misconception|mistake|wrong|false|untrue|not true|not the case|isn't true|isn’t true|doesn't hold|doesn’t hold)(?:$|[^a-z])";

/// Where the clause holding the claim begins: a negation before "but", "so", "because", a
/// semicolon or a dash belongs to another clause ("I don't think we need batch; Kafka keeps it
/// all forever" states the claim).
const CLAUSE_BREAKS: [&str; 9] = [
    ";",
    ":",
    " — ",
    " – ",
    " - ",
    " but ",
    " so ",
    " because ",
    " however",
];

/// Whether the claim at `span` of the lowercased sentence is refuted or reported rather than
/// made: a refutation cue in its own clause before it, a negated verb inside it ("Kafka
/// transactions don't give exactly-once into Postgres"), or a word calling it false after it.
/// Negations in another clause do not count, nor the claim's own words ("backups are not
/// needed", "false negatives").
fn claim_refuted(before: &Regex, after: &Regex, lower: &str, span: std::ops::Range<usize>) -> bool {
    let head = &lower[..span.start];
    let clause = CLAUSE_BREAKS
        .iter()
        .filter_map(|b| head.rfind(b).map(|i| i + b.len()))
        .max()
        .unwrap_or(0);
    before.is_match(&head[clause..])
        || negated_inside(&lower[span.clone()])
        || after.is_match(&lower[span.end..])
}

/// A "not", "never" or "n't" inside a claim that is not the claim's own "not needed".
fn negated_inside(claim: &str) -> bool {
    let words: Vec<&str> = claim
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        let negation = matches!(*w, "not" | "never") || w.ends_with("n't") || w.ends_with("n’t");
        negation
            && !words
                .get(i + 1)
                .is_some_and(|next| matches!(*next, "needed" | "necessary" | "required" | "only"))
    })
}

const CUE_REASON: usize = 0;
const CUE_TRADEOFF: usize = 1;
const CUE_INJECTION: usize = 2;
const CUE_UNSURE: usize = 3;
const CUE_STRUGGLE: usize = 4;

/// One regex per phrase list: whole words for reasons, "not sure" and struggle; plain
/// containment for trade-off markers and instruction-looking text, which may start or end with
/// punctuation (`SYSTEM:`, ` vs`).
fn cue_set() -> RegexSet {
    // Matched against lowercased text, so no case folding; word edges are ASCII, which keeps
    // these automata small (Unicode `\w` classes made startup slow).
    let words = |list: &[&str]| {
        let alts: Vec<String> = list.iter().map(|p| regex::escape(p.trim())).collect();
        format!(r"(?:^|[^a-z0-9_])(?:{})(?:$|[^a-z0-9_])", alts.join("|"))
    };
    let plain = |list: &[&str]| {
        let alts: Vec<String> = list.iter().map(|p| regex::escape(p)).collect();
        format!(r"(?:{})", alts.join("|"))
    };
    let tradeoff: Vec<&str> = TRADEOFF.iter().flat_map(|p| [*p, p.trim()]).collect();
    RegexSet::new([
        words(REASON),
        plain(&tradeoff),
        plain(INJECTION),
        words(UNSURE),
        words(STRUGGLE),
    ])
    .expect("the phrase lists make valid regexes")
}

fn contains_phrase(hay: &str, needle: &str) -> bool {
    // Word-boundary containment on lowercase text.
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let at = from + pos;
        let before_ok = at == 0
            || !hay[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
        let end = at + needle.len();
        let after_ok =
            end >= hay.len() || !hay[end..].chars().next().is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            return true;
        }
        from = at + needle.len().max(1);
        if from >= hay.len() {
            break;
        }
    }
    false
}

impl Analyzer {
    pub fn new(
        concepts: &[ConceptSpec],
        catalog: &Catalog,
        topics: &[TopicSpec],
    ) -> Result<Self, AnalyzerError> {
        let stem = Stem::default();
        let mut index = PhraseIndex::default();
        let mut patterns = Vec::new();
        for (i, c) in concepts.iter().enumerate() {
            for t in &c.terms {
                let stems = stem.phrase(t);
                if !stems.is_empty() {
                    index.add(stems, i);
                }
            }
            for p in &c.patterns {
                patterns.push((i, format!("(?i){p}"), std::sync::OnceLock::new()));
            }
        }
        index.sort();
        let mut comps = PhraseIndex::default();
        let mut component_ids = Vec::new();
        for (i, c) in catalog.components().iter().enumerate() {
            component_ids.push(c.id.clone());
            let mut names: Vec<&str> = vec![c.name.as_str()];
            names.extend(c.aliases.iter().map(String::as_str));
            for n in names {
                let stems = stem.phrase(n);
                if !stems.is_empty() {
                    comps.add(stems, i);
                }
            }
        }
        comps.sort();
        let topics = topics
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    t.keywords
                        .iter()
                        .map(|k| k.to_lowercase())
                        .map(|k| vec![k])
                        .collect(),
                )
            })
            .collect();
        let pattern_set =
            RegexSet::new(patterns.iter().map(|(_, src, _)| src.as_str())).map_err(|e| {
                // Name the concept whose pattern is at fault.
                let bad = patterns.iter().find(|(_, src, _)| Regex::new(src).is_err());
                AnalyzerError::BadPattern {
                    concept: bad.map_or(String::new(), |(i, _, _)| concepts[*i].id.clone()),
                    pattern: bad.map_or(String::new(), |(_, src, _)| src.clone()),
                    reason: e.to_string(),
                }
            })?;
        Ok(Analyzer {
            cues: cue_set(),
            pattern_set,
            stem,
            concept_ids: concepts.iter().map(|c| c.id.clone()).collect(),
            concepts: index,
            patterns,
            component_ids,
            components: comps,
            topics,
            catalog: catalog.clone(),
            misconception_ids: Vec::new(),
            misconception_sources: Vec::new(),
            misconception_set: OnceLock::new(),
            misconception_owner: Vec::new(),
            refutation: Regex::new(REFUTATION).expect("a fixed, valid regex"),
            refuted_after: Regex::new(REFUTED_AFTER).expect("a fixed, valid regex"),
            semantic_examples: Vec::new(),
            semantic: OnceLock::new(),
            semantic_min: 1.0,
        })
    }

    /// Adds recognition by meaning: each concept's example phrasings (by concept id) are embedded
    /// once; a candidate sentence whose similarity to one of them reaches `min_similarity` shows
    /// that concept, however it is worded.
    pub fn with_examples(
        mut self,
        examples: &[(String, Vec<String>)],
        min_similarity: f32,
    ) -> Self {
        for (id, phrases) in examples {
            if let Some(ci) = self.concept_ids.iter().position(|c| c == id)
                && !phrases.is_empty()
            {
                self.semantic_examples.push((ci, phrases.clone()));
            }
        }
        self.semantic_min = min_similarity;
        self
    }

    /// The examples' vectors and each concept's centroid, computed once.
    fn semantic(&self) -> &Meanings {
        self.semantic.get_or_init(|| {
            let table = semantic::table();
            let mut centroids = Vec::new();
            let mut examples = semantic::Rows::new(table.dim());
            let mut groups = Vec::new();
            for (_, phrases) in &self.semantic_examples {
                let vecs: Vec<Vec<f32>> = phrases.iter().map(|p| table.embed(p)).collect();
                let mut centroid = vec![0f32; table.dim()];
                for v in &vecs {
                    centroid.iter_mut().zip(v).for_each(|(c, x)| *c += x);
                }
                semantic::normalise(&mut centroid);
                centroids.push(centroid);
                groups.push(examples.push_group(&vecs));
            }
            let mut rows = semantic::Rows::new(table.dim());
            let all_centroids = rows.push_group(&centroids);
            Meanings {
                concepts: self.semantic_examples.iter().map(|(ci, _)| *ci).collect(),
                centroids: rows,
                all_centroids,
                examples,
                groups,
            }
        })
    }

    /// The concept a sentence means, if one is near enough: the best example similarity, with
    /// concepts screened by their centroid first.
    fn concept_by_meaning(&self, sentence: &str) -> Option<(usize, f32)> {
        if self.semantic_examples.is_empty() {
            return None;
        }
        let v = semantic::table().embed(sentence);
        let screen = self.semantic_min - 0.2;
        let m = self.semantic();
        let mut centroid_sims = Vec::with_capacity(m.concepts.len());
        // Similarities that cannot reach what they are compared with come back as minus
        // infinity without being added up: the same readings, a fraction of the work.
        let q = m.centroids.query(&v);
        m.centroids
            .dots_at_least(&v, &q, screen, &[m.all_centroids], &mut centroid_sims);
        // The examples of every concept that passed the screen, scored together; below the
        // threshold an example changes nothing.
        let passed: Vec<usize> = (0..m.concepts.len())
            .filter(|&i| centroid_sims[i] >= screen || centroid_sims[i].is_nan())
            .collect();
        let groups: Vec<semantic::Group> = passed.iter().map(|&i| m.groups[i]).collect();
        let mut sims = Vec::new();
        m.examples
            .dots_at_least(&v, &q, self.semantic_min, &groups, &mut sims);
        let mut best: Option<(usize, f32)> = None;
        let mut at = 0;
        for (&i, group) in passed.iter().zip(&groups) {
            for &sim in &sims[at..at + group.len()] {
                if sim >= self.semantic_min && best.is_none_or(|(_, b)| sim > b) {
                    best = Some((m.concepts[i], sim));
                }
            }
            at += group.len();
        }
        best
    }

    /// Adds the known misconceptions, recognised sentence by sentence.
    pub fn with_misconceptions(
        mut self,
        specs: &[MisconceptionSpec],
    ) -> Result<Self, AnalyzerError> {
        let mut sources = Vec::new();
        let mut owner = Vec::new();
        for (i, m) in specs.iter().enumerate() {
            for p in &m.patterns {
                sources.push(p.clone());
                owner.push(i);
            }
        }
        // A syntax check now (cheap, names the entry); the automaton is built on first use.
        let mut parser = regex_syntax::ParserBuilder::new().utf8(false).build();
        for (src, i) in sources.iter().zip(&owner) {
            if let Err(e) = parser.parse(src) {
                return Err(AnalyzerError::BadMisconception {
                    id: specs[*i].id.clone(),
                    reason: e.to_string(),
                });
            }
        }
        self.misconception_sources = sources;
        self.misconception_owner = owner;
        self.misconception_ids = specs.iter().map(|m| m.id.clone()).collect();
        Ok(self)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Whether the word at `idx` is dismissed: a negator earlier in the same clause, within four
    /// words.
    fn negated(sentence: &Sentence, idx: usize) -> bool {
        let clause = sentence.tokens[idx].clause;
        let lo = idx.saturating_sub(4);
        sentence.tokens[lo..idx]
            .iter()
            .filter(|t| t.clause == clause)
            .any(|t| NEGATORS.contains(&t.lower.as_str()))
            || (idx > 0 && {
                // "X is not needed", "X isn't necessary", "X is overkill"
                let after: Vec<&str> = sentence.tokens[idx + 1..]
                    .iter()
                    .take(4)
                    .map(|t| t.lower.as_str())
                    .collect();
                after.windows(2).any(|w| {
                    matches!(
                        w,
                        ["not", "needed"]
                            | ["not", "necessary"]
                            | ["isn't", "needed"]
                            | ["isn't", "necessary"]
                            | ["is", "overkill"]
                            | ["is", "unnecessary"]
                            | ["not", "required"]
                    )
                })
            })
    }

    /// The readings of the sentences at `bounds`, the first of which is sentence `first` of the
    /// answer.
    fn read_sentences(&self, text: &str, first: usize, bounds: &[(usize, usize)]) -> Vec<Reading> {
        text::tokenize(text, bounds, &self.stem)
            .iter()
            .enumerate()
            .map(|(i, s)| self.read_sentence(text, first + i, s))
            .collect()
    }

    /// What one sentence of the answer shows; `si` is its index in the answer.
    fn read_sentence(&self, text: &str, si: usize, s: &text::Sentence) -> Reading {
        let mut r = Reading::default();
        let raw = text[s.start..s.end].trim().to_string();
        let lower = raw.to_lowercase();
        let cues = self.cues.matches(&lower);
        let unsure = cues.matched(CUE_UNSURE);
        for (owner, first, n) in self.concepts.find(s) {
            let start = s.tokens[first].start;
            let end = s.tokens[first + n - 1].end;
            r.concepts.push(ConceptHit {
                id: self.concept_ids[owner].clone(),
                sentence: si,
                matched: text[start..end].to_string(),
                negated: Self::negated(s, first),
                unsure,
                semantic: false,
            });
        }
        for pi in self.pattern_set.matches(&raw).iter() {
            let (owner, src, cell) = &self.patterns[pi];
            let re = cell.get_or_init(|| Regex::new(src).expect("compiled in the set already"));
            if let Some(m) = re.find(&raw) {
                let id = &self.concept_ids[*owner];
                if !r.concepts.iter().any(|h| &h.id == id) {
                    let idx = s
                        .tokens
                        .iter()
                        .position(|t| t.start >= s.start + m.start())
                        .unwrap_or(0);
                    r.concepts.push(ConceptHit {
                        id: id.clone(),
                        sentence: si,
                        matched: m.as_str().to_string(),
                        negated: !s.tokens.is_empty()
                            && Self::negated(s, idx.min(s.tokens.len() - 1)),
                        unsure,
                        semantic: false,
                    });
                }
            }
        }
        for (owner, first, n) in self.components.find(s) {
            let start = s.tokens[first].start;
            let end = s.tokens[first + n - 1].end;
            r.components.push(ComponentHit {
                id: self.component_ids[owner].clone(),
                sentence: si,
                matched: text[start..end].to_string(),
                negated: Self::negated(s, first),
            });
        }
        let refuted = self.refutation.is_match(&lower);
        let negated_sentence = s
            .tokens
            .iter()
            .any(|t| NEGATORS.contains(&t.lower.as_str()));
        if !s.is_question
            && !unsure
            && !refuted
            && !negated_sentence
            && s.tokens.len() >= 4
            && let Some((ci, _)) = self.concept_by_meaning(&raw)
        {
            let id = &self.concept_ids[ci];
            if !r.concepts.iter().any(|h| &h.id == id) {
                r.concepts.push(ConceptHit {
                    id: id.clone(),
                    sentence: si,
                    matched: raw.clone(),
                    negated: false,
                    unsure: false,
                    semantic: true,
                });
            }
        }
        if !s.is_question && !unsure {
            let set = self
                .misconception_set
                .get_or_init(|| gate::GatedSet::new(&self.misconception_sources));
            for (pi, span) in set.find(&lower) {
                if claim_refuted(&self.refutation, &self.refuted_after, &lower, span) {
                    continue;
                }
                let id = &self.misconception_ids[self.misconception_owner[pi]];
                if !r.misconceptions.iter().any(|h| &h.id == id) {
                    r.misconceptions.push(MisconceptionHit {
                        id: id.clone(),
                        sentence: si,
                    });
                }
            }
        }
        if s.is_question {
            let topics: Vec<String> = self
                .topics
                .iter()
                .filter(|(_, kws)| kws.iter().flatten().any(|k| contains_phrase(&lower, k)))
                .map(|(id, _)| id.clone())
                .collect();
            r.question = Some(Question {
                sentence: si,
                text: raw.clone(),
                topics,
            });
        }
        // A reason in words, or arithmetic: two quantities in one sentence is capacity math.
        let sentence_quantities = quantities(&raw);
        let arithmetic = sentence_quantities.len() >= 2;
        r.quantities.extend(sentence_quantities);
        r.reasoning = cues.matched(CUE_REASON) || arithmetic;
        r.tradeoff = cues.matched(CUE_TRADEOFF);
        r.injection = cues.matched(CUE_INJECTION);
        r.raw = raw;
        r
    }

    /// Analyses one candidate turn.
    pub fn analyze(&self, input: &str) -> Analysis {
        let mut cut = input.len().min(MAX_ANALYZED_BYTES);
        while !input.is_char_boundary(cut) {
            cut -= 1;
        }
        let text: String = input[..cut]
            .chars()
            .map(|c| {
                if c.is_control() && c != '\n' && c != '\t' {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let sents = text::sentence_bounds(&text);
        let mut a = Analysis {
            ignored_bytes: input.len() - cut,
            ..Analysis::default()
        };
        let lower_all = text.to_lowercase();
        // Sentences are read independently. A long answer is read in two parts at once (the
        // arrow notation with the second) and the readings are put together in sentence order,
        // so the analysis is the same as when read in one go. The two parts run on rayon's
        // threads, which live as long as the process: no thread is started per answer, and the
        // regex engines' caches on those threads stay warm from one answer to the next.
        let (readings, mut design) = if sents.len() >= PARALLEL_SENTENCES {
            let half = split_point(&sents);
            let (first, rest) = sents.split_at(half);
            let (mut readings, (design, mut later)) = rayon::join(
                || self.read_sentences(&text, 0, first),
                || {
                    (
                        pipeprep_design::arrow::extract(&text),
                        self.read_sentences(&text, half, rest),
                    )
                },
            );
            readings.append(&mut later);
            (readings, design)
        } else {
            (
                self.read_sentences(&text, 0, &sents),
                pipeprep_design::arrow::extract(&text),
            )
        };
        for (si, r) in readings.into_iter().enumerate() {
            a.concepts.extend(r.concepts);
            a.components.extend(r.components);
            a.misconceptions.extend(r.misconceptions);
            a.questions.extend(r.question);
            a.quantities.extend(r.quantities);
            if r.reasoning {
                a.reasoning.push(si);
            }
            if r.tradeoff {
                a.tradeoffs.push(si);
            }
            if r.injection {
                a.injections.push(si);
            }
            a.sentences.push(r.raw);
        }
        let words: Vec<&str> = text::words(&text).map(|w| w.2).collect();
        a.words = words.len();
        a.content_words = content_words(&words);
        a.asked_hint = ["hint", "clue", "help me"]
            .iter()
            .any(|p| contains_phrase(&lower_all, p));
        a.struggle = a.asked_hint
            || self.cues.matches(&lower_all).matched(CUE_STRUGGLE)
            || (a.words <= 2 && a.questions.is_empty() && !text.contains("->"));
        let prose = prose::design_from_prose(&a, &self.catalog);
        design.merge(&prose);
        design.resolve(&self.catalog);
        a.design = design;
        a
    }
}

/// Words that look like language: letters, a vowel, not a keyboard mash, not an endless repeat.
fn content_words(words: &[&str]) -> usize {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut n = 0;
    for w in words {
        let lw = w.to_lowercase();
        let letters = lw.chars().filter(|c| c.is_alphabetic()).count();
        if letters == 0 {
            if lw.chars().any(|c| c.is_ascii_digit()) {
                n += 1;
            }
            continue;
        }
        let vowels = lw.chars().filter(|c| "aeiouy".contains(*c)).count();
        let max_consonant_run = lw
            .split(|c: char| "aeiouy".contains(c) || !c.is_alphabetic())
            .map(str::len)
            .max()
            .unwrap_or(0);
        if vowels == 0 && letters > 3 || max_consonant_run >= 5 || letters > 25 {
            continue;
        }
        let count = seen.entry(lw).or_insert(0);
        *count += 1;
        if *count <= 3 {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests;
