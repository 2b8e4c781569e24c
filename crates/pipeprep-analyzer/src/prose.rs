//! Designs described in prose: "Kafka feeds Flink, which writes to Redis".

use pipeprep_design::{Catalog, DesignGraph};

use crate::Analysis;

/// Words between two component mentions that mean data flows from the first to the second.
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
    "reads",
    "consumed",
    "consumes",
    "forwards",
    "emits",
    "outputs",
    "output",
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
    "consumes",
    "reading from",
    "consuming from",
];

/// Builds a graph from the components named in each sentence: consecutive components joined by a
/// flow word become an edge. Sentences that dismiss a component are skipped.
pub fn design_from_prose(a: &Analysis, catalog: &Catalog) -> DesignGraph {
    let mut g = DesignGraph::new();
    for (si, sentence) in a.sentences.iter().enumerate() {
        if sentence.contains("->") || sentence.contains('→') || sentence.contains("=>") {
            continue; // arrow lines are handled by the arrow extractor
        }
        let hits: Vec<_> = a
            .components
            .iter()
            .filter(|h| h.sentence == si && !h.negated)
            .collect();
        if hits.len() < 2 {
            continue;
        }
        let lower = sentence.to_lowercase();
        let mut cursor = 0;
        let mut positions = Vec::new();
        for h in &hits {
            let m = h.matched.to_lowercase();
            if let Some(p) = lower[cursor..].find(&m) {
                positions.push((cursor + p, cursor + p + m.len(), h));
                cursor += p + m.len();
            }
        }
        for w in positions.windows(2) {
            let (_, a_end, a_hit) = w[0];
            let (b_start, _, b_hit) = w[1];
            if a_hit.id == b_hit.id || b_start < a_end {
                continue;
            }
            let between = &lower[a_end..b_start];
            if between.len() > 60 {
                continue;
            }
            let words: Vec<&str> = between
                .split(|c: char| !c.is_alphanumeric() && c != '>' && c != '-')
                .filter(|w| !w.is_empty())
                .collect();
            if words
                .iter()
                .any(|w| *w == "or" || *w == "and" || *w == "vs" || *w == "versus" || *w == "over")
                && !words.iter().any(|w| FLOW.contains(w) && *w != "to")
            {
                continue;
            }
            let reverse = REVERSE.iter().any(|r| between.contains(r));
            let flows = reverse || words.iter().any(|w| FLOW.contains(w));
            if !flows {
                continue;
            }
            // Nodes carry the words the candidate typed, so they merge with their arrow lines.
            // Lowercasing can change byte lengths outside ASCII; fall back to the lowercase text.
            // Equal total lengths are not enough (`İẞ` grows by one byte and shrinks by one), so
            // every character must keep its length for the offsets to carry over.
            let same_offsets = sentence
                .chars()
                .all(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>() == c.len_utf8());
            let src: &str = if same_offsets { sentence } else { &lower };
            let x = g.add_node(&src[w[0].0..a_end], None);
            let y = g.add_node(&src[b_start..w[1].1], None);
            g.set_component(x, catalog.get(&a_hit.id).map(|c| c.id.clone()));
            g.set_component(y, catalog.get(&b_hit.id).map(|c| c.id.clone()));
            if reverse {
                g.add_edge(y, x);
            } else {
                g.add_edge(x, y);
            }
        }
    }
    g
}
