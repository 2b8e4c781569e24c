//! Designs described in prose: "Kafka feeds Flink, which writes to Redis", or in plain words:
//! "devices publish into a durable append-only log; a streaming job reads the log and writes
//! one-minute summaries to a fast column-oriented database".

use pipeprep_design::{Catalog, DesignGraph, NodeId};

use crate::Analysis;

/// Words between two mentions that mean data flows from the first to the second.
const FLOW: &[&str] = &[
    "feeds",
    "feed",
    "feeding",
    "writes",
    "write",
    "writing",
    "sends",
    "send",
    "sending",
    "pushes",
    "push",
    "into",
    "to",
    "then",
    "lands",
    "land",
    "streams",
    "stream",
    "flows",
    "flow",
    "publishes",
    "publish",
    "sinks",
    "sink",
    "loads",
    "load",
    "consumed",
    "forwards",
    "emits",
    "outputs",
    "output",
    "for",
    "->",
    "→",
    "which",
    "that",
    "from",
];

/// Words that mean the opposite direction ("Flink reads from Kafka": Kafka -> Flink).
const REVERSE: &[&str] = &[
    "reads from",
    "consumes from",
    "pulls from",
    "reading from",
    "consuming from",
    "subscribes to",
    "reads",
    "consumes",
    "pulls",
    "queries",
    "polls",
];

/// Words that set two mentions side by side rather than in a flow.
const COMPARE: &[&str] = &[
    "or",
    "and",
    "vs",
    "versus",
    "over",
    "instead",
    "rather",
    "than",
    "unlike",
    "compared",
    "alternatively",
    "either",
    "nor",
];

/// Verbs that make a sentence describe the design (its boxes are drawn even without a flow).
const DESIGN_VERBS: &[&str] = &[
    "publish",
    "publishes",
    "land",
    "lands",
    "write",
    "writes",
    "store",
    "stores",
    "stored",
    "send",
    "sends",
    "stream",
    "streams",
    "feed",
    "feeds",
    "read",
    "reads",
    "ingest",
    "ingests",
    "consume",
    "consumes",
    "load",
    "loads",
    "sink",
    "sinks",
    "serve",
    "serves",
    "keep",
    "kept",
    "push",
    "pushes",
    "goes",
    "go",
    "copies",
    "copy",
    "sums",
    "archives",
    "archive",
    "dumps",
    "dump",
    "moves",
];

/// Where data comes from, when a candidate names no product: "devices publish into …".
const SOURCES: &[&str] = &[
    "devices",
    "sensors",
    "meters",
    "trailers",
    "vehicles",
    "phones",
    "mobile apps",
    "apps",
    "clients",
    "producers",
    "services",
    "microservices",
    "web servers",
    "the website",
    "the web site",
    "the app",
    "partners",
    "merchants",
];

/// "the log", "the queue": a later mention of a box named earlier, by its head noun.
const HEADS: &[&str] = &[
    "log",
    "queue",
    "stream",
    "topic",
    "job",
    "database",
    "warehouse",
    "lake",
    "cache",
    "store",
    "storage",
    "bucket",
];

/// Head nouns of a box described in the candidate's own words ("a log we can rewind", "the
/// billing database"), with the generic catalog entry each stands for when nothing in its words
/// says more.
const PLAIN_HEADS: &[(&str, Option<&str>)] = &[
    ("log", Some("generic-log")),
    ("queue", Some("generic-queue")),
    ("database", Some("generic-database")),
    ("db", Some("generic-database")),
    ("warehouse", Some("generic-column-store")),
    ("cache", Some("generic-cache")),
    ("lake", Some("s3")),
    ("bucket", Some("s3")),
    ("job", Some("generic-job")),
    ("store", None),
];

/// Words that open a box's noun phrase: "a log", "our database", "one job".
const DETERMINERS: &[&str] = &[
    "a", "an", "the", "our", "one", "another", "some", "their", "its", "this", "that", "separate",
];

/// Words that cannot be part of a box's own name: they belong to the sentence around it.
/// (Determiners end the walk back before these are looked at; flow and design verbs too.)
const NOT_MODIFIERS: &[&str] = &[
    "of", "per", "in", "on", "with", "and", "or", "every", "each", "by", "at", "we", "it", "they",
    "is", "are", "be",
];

/// New subjects after a clause break: ", and another copies …" starts a flow of its own.
const NEW_SUBJECTS: &[&str] = &[
    "another",
    "the",
    "a",
    "an",
    "one",
    "we",
    "i",
    "they",
    "our",
    "some",
    "separately",
];

/// One mention of a box in a sentence: its byte span in the lowercased sentence, and the box.
struct Mention {
    start: usize,
    end: usize,
    what: Box_,
}

/// A box not drawn yet (drawn when it joins a flow or the sentence describes the design), or one
/// already in the graph.
#[derive(Clone)]
enum Box_ {
    New {
        name: String,
        component: Option<String>,
    },
    Drawn(NodeId),
}

impl Box_ {
    fn draw(&self, g: &mut DesignGraph) -> NodeId {
        match self {
            Box_::Drawn(id) => *id,
            Box_::New { name, component } => {
                let id = g.add_node(name, None);
                if component.is_some() {
                    g.set_component(id, component.clone());
                }
                id
            }
        }
    }

    fn same(&self, other: &Box_) -> bool {
        match (self, other) {
            (Box_::Drawn(a), Box_::Drawn(b)) => a == b,
            (Box_::New { name: a, .. }, Box_::New { name: b, .. }) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }
}

/// Builds a graph from the boxes mentioned in each sentence: products and plain-language boxes
/// from the catalog, sources such as "devices", and "the log" meaning the log named before.
/// Consecutive mentions joined by a flow word become an edge; in a sentence that describes the
/// design, the boxes are drawn even without one. Sentences that dismiss a component or ask a
/// question are skipped.
pub fn design_from_prose(a: &Analysis, catalog: &Catalog) -> DesignGraph {
    let mut g = DesignGraph::new();
    // Boxes named so far in this answer, with the head noun of their name.
    let mut named: Vec<(String, NodeId)> = Vec::new();
    let hits_by = a.components_by_sentence();
    let kinds_of = word_kinds();
    for (si, sentence) in a.sentences.iter().enumerate() {
        if sentence.contains("->") || sentence.contains('→') || sentence.contains("=>") {
            continue; // arrow lines are handled by the arrow extractor
        }
        if a.questions.iter().any(|q| q.sentence == si) {
            continue;
        }
        let lower = sentence.to_lowercase();
        // Lowercasing can change byte lengths outside ASCII; offsets then come from the
        // lowercase text. Equal total lengths are not enough (`İẞ` grows by one byte and shrinks
        // by one), so every character must keep its length for the offsets to carry over.
        let same_offsets = sentence.is_ascii()
            || sentence
                .chars()
                .all(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>() == c.len_utf8());
        let src: &str = if same_offsets { sentence } else { &lower };
        let mut mentions: Vec<Mention> = Vec::new();
        let mut cursor = 0;
        for h in hits_by[si].iter().filter(|h| !h.negated) {
            let m = h.matched.to_lowercase();
            if m.is_empty() {
                continue;
            }
            if let Some(p) = lower[cursor..].find(&m) {
                let (start, end) = (cursor + p, cursor + p + m.len());
                mentions.push(Mention {
                    start,
                    end,
                    what: Box_::New {
                        name: src[start..end].to_string(),
                        component: catalog.get(&h.id).map(|c| c.id.clone()),
                    },
                });
                cursor = end;
            }
        }
        // What the sentence's words can be, looked up once per word: a phrase found with word
        // boundaries ends in one of them, so a phrase whose last word is not here need not be
        // searched for.
        let kinds = lower
            .split(|c: char| !c.is_alphanumeric())
            .fold(0u64, |acc, w| {
                let plural_head = w
                    .strip_suffix('s')
                    .and_then(|one| kinds_of.get(one))
                    .map_or(0, |k| k & PLAIN_HEAD_BIT);
                acc | kinds_of.get(w).copied().unwrap_or(0) | plural_head
            });
        let designing = kinds & DESIGN_VERB_BIT != 0;
        if designing {
            // "Devices publish into …": a source named in plain words, before a flow word.
            for (i, s) in SOURCES.iter().enumerate() {
                if kinds & (1 << (SOURCE_BITS + i)) != 0
                    && let Some(p) = find_word(&lower, s)
                    && !mentions.iter().any(|m| p < m.end && m.start < p + s.len())
                    && starts_flow(&lower[p + s.len()..])
                {
                    let name = capitalise(src[p..p + s.len()].trim_start_matches("the "));
                    mentions.push(Mention {
                        start: p,
                        end: p + s.len(),
                        what: Box_::New {
                            name,
                            component: None,
                        },
                    });
                    break;
                }
            }
            // "a log we can rewind", "the billing database": a box in the candidate's words.
            if kinds & PLAIN_HEAD_BIT != 0 {
                for m in plain_boxes(&lower, src, &mentions, &named) {
                    mentions.push(m);
                }
            }
            // "the log", "the queue": the box of that kind named earlier in the answer.
            for (i, head) in HEADS.iter().enumerate() {
                if kinds & (1 << (HEAD_BITS + i)) == 0 {
                    continue;
                }
                let phrase = format!("the {head}");
                let Some(p) = find_word(&lower, &phrase) else {
                    continue;
                };
                if mentions
                    .iter()
                    .any(|m| p < m.end && m.start < p + phrase.len())
                {
                    continue;
                }
                if let Some((_, node)) = named.iter().rev().find(|(h, _)| h == head) {
                    mentions.push(Mention {
                        start: p,
                        end: p + phrase.len(),
                        what: Box_::Drawn(*node),
                    });
                }
            }
        }
        mentions.sort_by_key(|m| m.start);
        if mentions.is_empty() {
            continue;
        }
        // The box the flow is at: after "A reads B" it stays at A, the reader.
        let mut at: Option<NodeId> = None;
        let mut drawn: Vec<Option<NodeId>> = vec![None; mentions.len()];
        for i in 1..mentions.len() {
            let (x, y) = (&mentions[i - 1], &mentions[i]);
            if x.what.same(&y.what) || y.start < x.end {
                continue;
            }
            let between = &lower[x.end..y.start];
            if between.len() > 140 {
                at = None;
                continue;
            }
            let words: Vec<&str> = between
                .split(|c: char| !c.is_alphanumeric() && c != '>' && c != '-')
                .filter(|w| !w.is_empty())
                .collect();
            if starts_new_subject(between) {
                // "… into the billing database, and another copies everything into …": the
                // second box is not fed by the first.
                at = None;
                continue;
            }
            let flow_word = words.iter().any(|w| FLOW.contains(w) && *w != "to");
            if words.iter().any(|w| COMPARE.contains(w)) && !flow_word {
                continue;
            }
            let reverse = REVERSE.iter().any(|r| find_word(between, r).is_some());
            let flows = reverse || words.iter().any(|w| FLOW.contains(w));
            if !flows {
                at = None;
                continue;
            }
            let xn = *drawn[i - 1].get_or_insert_with(|| x.what.draw(&mut g));
            let yn = *drawn[i].get_or_insert_with(|| y.what.draw(&mut g));
            if reverse {
                // "x reads y": y flows into x, and the sentence carries on from x.
                g.add_edge(yn, xn);
                at = Some(xn);
            } else {
                let from = at.filter(|a| *a != yn).unwrap_or(xn);
                g.add_edge(from, yn);
                at = Some(yn);
            }
        }
        if designing {
            // A sentence that describes the design draws its boxes even without a flow.
            for (i, m) in mentions.iter().enumerate() {
                if drawn[i].is_none() {
                    drawn[i] = Some(m.what.draw(&mut g));
                }
            }
        }
        for (i, m) in mentions.iter().enumerate() {
            if let (Some(node), Box_::New { name, .. }) = (drawn[i], &m.what)
                && let Some(head) = head_of(name)
            {
                named.push((head, node));
            }
        }
    }
    g
}

/// Bits of [`word_kinds`]: a design verb; a head noun of [`PLAIN_HEADS`]; the last word of each
/// of [`SOURCES`], then of each of [`HEADS`].
const DESIGN_VERB_BIT: u64 = 1;
const PLAIN_HEAD_BIT: u64 = 2;
const SOURCE_BITS: usize = 2;
const HEAD_BITS: usize = SOURCE_BITS + SOURCES.len();
const _: () = assert!(HEAD_BITS + HEADS.len() <= 64);

/// Each word that matters to a sentence's boxes, with what it can be (bits above): one lookup per
/// word of a sentence instead of a scan of every list.
fn word_kinds() -> &'static std::collections::HashMap<&'static str, u64> {
    static KINDS: std::sync::OnceLock<std::collections::HashMap<&'static str, u64>> =
        std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let mut m: std::collections::HashMap<&'static str, u64> = std::collections::HashMap::new();
        let last = |phrase: &'static str| phrase.rsplit(' ').next().unwrap_or(phrase);
        for v in DESIGN_VERBS {
            *m.entry(v).or_default() |= DESIGN_VERB_BIT;
        }
        for (h, _) in PLAIN_HEADS {
            *m.entry(h).or_default() |= PLAIN_HEAD_BIT;
        }
        for (i, s) in SOURCES.iter().enumerate() {
            *m.entry(last(s)).or_default() |= 1 << (SOURCE_BITS + i);
        }
        for (i, h) in HEADS.iter().enumerate() {
            *m.entry(last(h)).or_default() |= 1 << (HEAD_BITS + i);
        }
        m
    })
}

/// The head noun of a box's name, for "the log" later: the last of its words that is a kind of
/// box ("log we can rewind" → "log"), else its last word.
fn head_of(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    let words: Vec<String> = lower
        .split_whitespace()
        .map(|w| w.trim_end_matches('s').to_string())
        .collect();
    words
        .iter()
        .rev()
        .find(|w| HEADS.contains(&w.as_str()))
        .or(words.last())
        .cloned()
}

/// Boxes described in plain words in one sentence: a determiner, up to three words of its own,
/// a head noun such as "log" or "database", and a short "we can …" clause: "a log we can
/// rewind", "the billing database", "one job". A bare "the log" is left to the boxes named
/// earlier; anything overlapping a mention already found is skipped.
fn plain_boxes(
    lower: &str,
    src: &str,
    mentions: &[Mention],
    named: &[(String, NodeId)],
) -> Vec<Mention> {
    let mut found: Vec<Mention> = Vec::new();
    // Word spans of the lowercased sentence.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in lower.char_indices() {
        let word_char = c.is_alphanumeric() || c == '-';
        match (word_char, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, lower.len()));
    }
    let word = |k: usize| &lower[spans[k].0..spans[k].1];
    for k in 0..spans.len() {
        let Some((head, component)) = PLAIN_HEADS
            .iter()
            .find(|(h, _)| word(k) == *h || word(k).strip_suffix('s') == Some(*h))
        else {
            continue;
        };
        // Walk back over the box's own words to its determiner; words must be adjacent (no
        // comma or other punctuation between them).
        let mut first = k;
        let mut determiner = None;
        while first > 0 && k - first < 4 {
            let prev = first - 1;
            let gap = &lower[spans[prev].1..spans[first].0];
            if !gap.chars().all(char::is_whitespace) {
                break;
            }
            let w = word(prev);
            if DETERMINERS.contains(&w) {
                determiner = Some(w);
                break;
            }
            if NOT_MODIFIERS.contains(&w)
                || FLOW.contains(&w)
                || DESIGN_VERBS.contains(&w)
                || w.chars().all(|c| c.is_ascii_digit())
            {
                break;
            }
            first = prev;
        }
        let Some(determiner) = determiner else {
            continue;
        };
        if first == k && determiner == "the" && named.iter().any(|(h, _)| h == head) {
            continue; // "the log": the one named before
        }
        // "… we can rewind", "… that we can replay": the candidate's words for what it does.
        let mut last = k;
        let rest: Vec<&str> = (k + 1..spans.len().min(k + 5)).map(word).collect();
        let clause = match rest.as_slice() {
            ["that", "we" | "you", "can", _, ..] => 4,
            ["we" | "you" | "that", "can", _, ..] => 3,
            _ => 0,
        };
        if clause > 0
            && lower[spans[k].1..spans[k + clause].0]
                .chars()
                .all(|c| c.is_alphanumeric() || c.is_whitespace())
        {
            last = k + clause;
        }
        let (s, e) = (spans[first].0, spans[last].1);
        if mentions.iter().any(|m| s < m.end && m.start < e)
            || found.iter().any(|m| s < m.end && m.start < e)
        {
            continue;
        }
        let own = &lower[s..e];
        let component = match *head {
            "job"
                if ["batch", "nightly", "hourly", "daily", "scheduled"]
                    .iter()
                    .any(|w| own.contains(w)) =>
            {
                Some("generic-batch-job")
            }
            "job"
                if ["stream", "real-time", "realtime"]
                    .iter()
                    .any(|w| own.contains(w)) =>
            {
                Some("generic-stream-job")
            }
            _ => *component,
        };
        found.push(Mention {
            start: s,
            end: e,
            what: Box_::New {
                name: src[s..e].to_string(),
                component: component.map(str::to_string),
            },
        });
    }
    found
}

/// Whether the text between two boxes breaks to a clause with a subject of its own: ", and
/// another …", "; the …".
fn starts_new_subject(between: &str) -> bool {
    [", and ", "; ", ", while ", ", but ", ". "]
        .iter()
        .filter_map(|b| between.find(b).map(|p| &between[p + b.len()..]))
        .any(|after| {
            after
                .split_whitespace()
                .next()
                .is_some_and(|w| NEW_SUBJECTS.contains(&w))
        })
}

/// Whether text right after a source name starts with a flow: "publish into", "send to".
fn starts_flow(after: &str) -> bool {
    let words: Vec<&str> = after
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(3)
        .collect();
    words
        .iter()
        .any(|w| FLOW.contains(w) || DESIGN_VERBS.contains(w))
}

/// Byte offset of `needle` in `hay` at word boundaries.
fn find_word(hay: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let at = from + pos;
        let end = at + needle.len();
        let before = hay[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after = hay[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            return Some(at);
        }
        from = end;
        if from >= hay.len() {
            break;
        }
    }
    None
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}
