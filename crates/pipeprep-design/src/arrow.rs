//! Arrow notation: how candidates and reference solutions write a pipeline in plain text.
//!
//! ```text
//! Click Events -> Kafka -> Flink (5s window) -> Redis (Dashboard)
//!                   |
//!                 S3 (Raw Data) -> Spark Hourly -> Snowflake (Reports)
//! ```
//!
//! [`parse`] is strict and reports the first problem with its line, for files people edit (the
//! bank's reference designs, `pipeprep design render`). [`extract`] is lenient and never fails,
//! for interview answers that mix prose with arrows. The grammar is documented for users in
//! `docs/arrow-notation.md`.

use crate::graph::{DesignGraph, NodeId};

/// A problem in arrow notation, with the 1-based line it is on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ArrowError {
    /// 1-based line number in the text given to the parser.
    pub line: usize,
    /// What is wrong and how to fix it; lowercase, no final period.
    pub message: String,
}

/// Parses arrow notation strictly: every non-blank, non-comment line must be a chain
/// (`A -> B -> C`), a `|` continuation, or the single node right below a `|`.
pub fn parse(text: &str) -> Result<DesignGraph, ArrowError> {
    run(text, Mode::Strict)
}

/// Pulls whatever arrow chains it can find out of free text. Lines without an arrow are ignored
/// (unless they sit right below a `|`), markdown bullets and code marks are dropped, broken
/// pieces are skipped. Never fails; an answer with no arrows gives an empty graph.
pub fn extract(text: &str) -> DesignGraph {
    run(text, Mode::Lenient).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    Lenient,
}

/// Tab stops for column arithmetic under `|`; editors differ, four is the common choice.
const TAB: usize = 4;
/// Longer than this is prose, not a box name (lenient mode only).
const MAX_LENIENT_NAME: usize = 80;

/// A character with the display column it starts at.
#[derive(Debug, Clone, Copy)]
struct Ch {
    c: char,
    col: usize,
}

fn columns(line: &str) -> Vec<Ch> {
    let mut col = 0;
    line.chars()
        .map(|c| {
            let ch = Ch { c, col };
            col = if c == '\t' {
                (col / TAB + 1) * TAB
            } else {
                col + 1
            };
            ch
        })
        .collect()
}

/// One node of a chain line: its parsed parts and the columns its text spans.
#[derive(Debug, Clone)]
struct Placed {
    id: NodeId,
    start: usize,
    end: usize,
}

/// A raw piece of text between arrows.
#[derive(Debug, Clone)]
struct Seg {
    text: String,
    start: usize,
    end: usize,
}

#[derive(Debug)]
enum LexError {
    /// A `)` with no `(` before it; the text of the line.
    StrayClose,
    /// A `(` never closed.
    Unclosed,
}

fn is_pipe_char(c: char) -> bool {
    matches!(c, '|' | '│' | '┃' | '↓' | '▼' | 'v')
}

/// Removes a trailing comment: `#` or `//` at the start of the line or after whitespace, outside
/// parentheses (so `s3://bucket` and `C#` survive).
fn strip_comment(chars: &[Ch]) -> &[Ch] {
    let mut depth = 0usize;
    for i in 0..chars.len() {
        let c = chars[i].c;
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 0 {
            continue;
        }
        let after_space = i == 0 || chars[i - 1].c.is_whitespace();
        let starts = c == '#' || (c == '/' && chars.get(i + 1).is_some_and(|n| n.c == '/'));
        if starts && after_space {
            return &chars[..i];
        }
    }
    chars
}

/// The length in chars of an arrow starting at `i`, if there is one.
fn arrow_len(chars: &[Ch], i: usize, mode: Mode) -> Option<usize> {
    let c = chars[i].c;
    let run = |what: char| chars[i..].iter().take_while(|x| x.c == what).count();
    let then = |k: usize, set: &[char]| chars.get(i + k).is_some_and(|x| set.contains(&x.c));
    match c {
        '→' => Some(1),
        '-' | '=' => {
            let n = run(c);
            then(n, &['>']).then_some(n + 1)
        }
        '⇒' | '⟶' | '➔' | '➜' | '⟹' if mode == Mode::Lenient => Some(1),
        '─' | '—' | '–' if mode == Mode::Lenient => {
            let n = run(c);
            then(n, &['>', '▶', '►']).then_some(n + 1)
        }
        _ => None,
    }
}

/// Splits a line (comment already removed) into the text between arrows. Arrows inside
/// parentheses belong to the label. Returns the segments; a line with no arrow gives one.
fn lex(chars: &[Ch], mode: Mode, honour_parens: bool) -> Result<Vec<Seg>, LexError> {
    let mut segs = Vec::new();
    let mut cur: Vec<Ch> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if honour_parens {
            match ch.c {
                '(' => depth += 1,
                ')' if depth > 0 => depth -= 1,
                // A stray `)`: an error when strict, plain text when lenient.
                ')' if mode == Mode::Strict => return Err(LexError::StrayClose),
                _ => {}
            }
        }
        if depth == 0
            && let Some(n) = arrow_len(chars, i, mode)
        {
            segs.push(make_seg(&cur));
            cur.clear();
            i += n;
            continue;
        }
        // A run of dashes that is not an arrow is text; the arrows inside it would be found at
        // its end anyway, so take it whole (a pasted `-----…` line stays linear).
        let run = if matches!(ch.c, '-' | '=' | '─' | '—' | '–') {
            chars[i..].iter().take_while(|x| x.c == ch.c).count()
        } else {
            1
        };
        cur.extend_from_slice(&chars[i..i + run]);
        i += run;
    }
    if depth > 0 {
        return Err(LexError::Unclosed);
    }
    segs.push(make_seg(&cur));
    Ok(segs)
}

fn make_seg(chars: &[Ch]) -> Seg {
    let first = chars.iter().position(|c| !c.c.is_whitespace());
    let last = chars.iter().rposition(|c| !c.c.is_whitespace());
    match (first, last) {
        (Some(a), Some(b)) => Seg {
            text: chars[a..=b].iter().map(|c| c.c).collect(),
            start: chars[a].col,
            end: chars[b].col + 1,
        },
        _ => Seg {
            text: String::new(),
            start: chars.first().map_or(0, |c| c.col),
            end: chars.first().map_or(0, |c| c.col),
        },
    }
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Shortens user text for an error message.
fn quote(s: &str) -> String {
    let s = collapse_ws(s);
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(39).collect();
        format!("`{cut}…`")
    } else {
        format!("`{s}`")
    }
}

#[derive(Debug)]
enum NodeError {
    EmptyName,
    Trailing {
        trailing: String,
        name: String,
        label: String,
    },
}

/// `Flink (5s window)` → (`Flink`, `5s window`). The label is what the first `(` opens, up to
/// its matching `)`; nested parentheses stay in the label.
fn split_node(text: &str, mode: Mode) -> Result<(String, Option<String>), NodeError> {
    let Some(open) = text.find('(') else {
        let name = collapse_ws(&text.replace(')', " "));
        return if name.is_empty() {
            Err(NodeError::EmptyName)
        } else {
            Ok((name, None))
        };
    };
    let mut name = collapse_ws(&text[..open]);
    let rest = &text[open + 1..];
    let mut depth = 1usize;
    let mut close = None;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let (label, trailing) = match close {
        Some(i) => (&rest[..i], rest[i + 1..].trim()),
        // Only reachable leniently: the strict lexer rejects an unclosed `(`.
        None => (rest, ""),
    };
    let label = collapse_ws(label);
    if !trailing.is_empty() {
        match mode {
            Mode::Strict => {
                return Err(NodeError::Trailing {
                    trailing: trailing.to_string(),
                    name,
                    label,
                });
            }
            Mode::Lenient => {
                let extra = collapse_ws(&trailing.replace(['(', ')'], " "));
                if !extra.is_empty() {
                    name = collapse_ws(&format!("{name} {extra}"));
                }
            }
        }
    }
    if name.is_empty() {
        return Err(NodeError::EmptyName);
    }
    Ok((name, (!label.is_empty()).then_some(label)))
}

/// Byte offsets of `pat` in `s` outside parentheses.
fn find_outside_parens(s: &str, pat: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && s[i..].starts_with(pat) {
            out.push(i);
        }
    }
    out
}

/// Lenient clean-up of a segment taken from prose: drop the sentence before the first node
/// (`We use Kafka` stays, `Overall: Kafka` becomes `Kafka`), the sentence after the last one,
/// emphasis and quotes.
fn clean_prose_segment(text: &str, first: bool, last: bool) -> String {
    let mut s: String = text.replace("**", " ").replace("__", " ");
    if first {
        for pat in [": ", ". ", "; "] {
            if let Some(&i) = find_outside_parens(&s, pat).last() {
                s = s[i + pat.len()..].to_string();
            }
        }
        // "…within seconds of each other, so Events -> Kafka": the clause that leads into the
        // chain is not part of its first box.
        for pat in [
            ", so ",
            ", then ",
            ", and so ",
            ", hence ",
            ", thus ",
            ", therefore ",
        ] {
            let lower = s.to_lowercase();
            if lower.len() != s.len() {
                break;
            }
            if let Some(&i) = find_outside_parens(&lower, pat).last() {
                s = s[i + pat.len()..].to_string();
            }
        }
    }
    if last {
        for pat in [". ", ", ", "; "] {
            if let Some(&i) = find_outside_parens(&s, pat).first() {
                s.truncate(i);
            }
        }
        // "-> DynamoDB is the whole design", "-> S3 catches all of them": the box is what comes
        // before the verb that comments on it.
        let lower = s.to_lowercase();
        for pat in [
            " is ",
            " are ",
            " was ",
            " will ",
            " would ",
            " which ",
            " that ",
            " catches ",
            " handles ",
            " does ",
            " takes care ",
        ] {
            if let Some(&i) = find_outside_parens(&lower, pat).first()
                && !s[..i].trim().is_empty()
                && s.len() == lower.len()
            {
                s.truncate(i);
                break;
            }
        }
    }
    let trimmed = s
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '*' | '_'))
        .trim_end_matches(['.', ',', ';', ':', '!', '?'])
        .trim();
    trimmed.to_string()
}

/// Blanks out leading markdown (bullets, numbering, quotes, headings are comments already) and
/// backticks, keeping columns so a `|` below still lines up.
fn strip_markdown(chars: &mut [Ch]) {
    for ch in chars.iter_mut() {
        if ch.c == '`' {
            ch.c = ' ';
        }
    }
    let Some(first) = chars.iter().position(|c| !c.c.is_whitespace()) else {
        return;
    };
    // Nested quotes and bullets (`> - Kafka -> Flink`).
    let mut i = first;
    loop {
        let c = chars.get(i).map(|c| c.c);
        let next_space = chars.get(i + 1).is_none_or(|c| c.c.is_whitespace());
        match c {
            Some('-' | '*' | '+' | '>' | '•') if next_space => {
                chars[i].c = ' ';
                i += 1;
            }
            Some(d) if d.is_ascii_digit() => {
                let digits = chars[i..]
                    .iter()
                    .take_while(|c| c.c.is_ascii_digit())
                    .count();
                let after = chars.get(i + digits).map(|c| c.c);
                let space = chars
                    .get(i + digits + 1)
                    .is_none_or(|c| c.c.is_whitespace());
                if matches!(after, Some('.' | ')')) && space {
                    for ch in &mut chars[i..=i + digits] {
                        ch.c = ' ';
                    }
                    i += digits + 1;
                } else {
                    break;
                }
            }
            _ => break,
        }
        while chars.get(i).is_some_and(|c| c.c.is_whitespace()) {
            i += 1;
        }
    }
}

/// Distance from a column to a span; 0 inside.
fn distance(col: usize, start: usize, end: usize) -> usize {
    if col < start {
        start - col
    } else if col >= end {
        col + 1 - end
    } else {
        0
    }
}

struct Pending {
    line: usize,
    from: NodeId,
}

fn run(text: &str, mode: Mode) -> Result<DesignGraph, ArrowError> {
    let strict = mode == Mode::Strict;
    let err = |line: usize, message: String| Err(ArrowError { line, message });
    let mut g = DesignGraph::new();
    let mut prev: Option<Vec<Placed>> = None;
    let mut pending: Option<Pending> = None;
    // Indented branches: (indent, last node) of the lines above, innermost last.
    let mut outline: Vec<(usize, NodeId)> = Vec::new();
    let all: Vec<&str> = text.lines().collect();

    for (idx, raw) in all.iter().copied().enumerate() {
        let line_no = idx + 1;
        let mut chars = columns(raw);
        if !strict {
            strip_markdown(&mut chars);
        }
        let chars = strip_comment(&chars);
        if chars.iter().all(|c| c.c.is_whitespace()) {
            continue;
        }
        let shown: String = chars.iter().map(|c| c.c).collect();
        let indent = chars
            .iter()
            .find(|c| !c.c.is_whitespace())
            .map_or(0, |c| c.col);
        // Drop outline entries this line is not nested in.
        let parent = |outline: &mut Vec<(usize, NodeId)>| {
            while outline.last().is_some_and(|(i, _)| *i >= indent) {
                outline.pop();
            }
            outline.last().map(|(_, id)| *id)
        };

        // A `|` continuation line.
        if chars
            .iter()
            .all(|c| c.c.is_whitespace() || is_pipe_char(c.c))
        {
            let pipes: Vec<&Ch> = chars.iter().filter(|c| is_pipe_char(c.c)).collect();
            if pending.is_some() {
                // A taller drawing of the same branch; the first `|` already chose the feeder.
                continue;
            }
            if pipes.len() > 1 && strict {
                return err(
                    line_no,
                    format!(
                        "more than one `|` in {}: draw one branch per `|` line, or write the extra flows as chains like `Kafka -> S3`",
                        quote(&shown)
                    ),
                );
            }
            let col = pipes[0].col;
            let Some(above) = prev.as_ref() else {
                if strict {
                    return err(
                        line_no,
                        "`|` has no chain above it: put it under the node that feeds the next line, as in `Kafka` above `|` above `S3 -> Spark`".to_string(),
                    );
                }
                continue;
            };
            let from = above
                .iter()
                .min_by_key(|p| distance(col, p.start, p.end))
                .map(|p| p.id);
            if let Some(from) = from {
                pending = Some(Pending {
                    line: line_no,
                    from,
                });
            }
            continue;
        }

        let segs = match lex(chars, mode, true) {
            Ok(s) => s,
            Err(e) if strict => {
                let message = match e {
                    LexError::StrayClose => format!(
                        "`)` without a matching `(` in {}: remove it or open the label with `(`, as in `Flink (5s window)`",
                        quote(&shown)
                    ),
                    LexError::Unclosed => format!(
                        "unclosed `(` in {}: close the label with `)`, as in `Flink (5s window)`",
                        quote(&shown)
                    ),
                };
                return err(line_no, message);
            }
            // Leniently, a stray parenthesis must not swallow the arrows after it.
            Err(_) => lex(chars, mode, false).unwrap_or_default(),
        };

        if segs.len() < 2 && pending.is_none() && next_is_branch(&all, idx, indent) {
            // A lone box that the indented `-> …` lines below branch from.
            let text = clean_prose_segment(&segs[0].text, !strict, true);
            if let Ok((name, label)) = split_node(&colon_label(&text), mode)
                && (strict || name.chars().count() <= MAX_LENIENT_NAME)
            {
                let id = g.add_node(&name, label.as_deref());
                parent(&mut outline);
                outline.push((indent, id));
                prev = Some(vec![Placed {
                    id,
                    start: segs[0].start,
                    end: segs[0].end,
                }]);
                continue;
            }
        }

        if segs.len() < 2 {
            // No arrow: only the single node right below a `|` is allowed.
            let Some(p) = pending.take() else {
                if strict {
                    return err(
                        line_no,
                        format!(
                            "no arrow in {}: join nodes with `->`, as in `Kafka -> Flink`, or start the line with `#` to make it a comment",
                            quote(&shown)
                        ),
                    );
                }
                continue;
            };
            let seg = &segs[0];
            let text = if strict {
                seg.text.clone()
            } else {
                clean_prose_segment(&seg.text, true, true)
            };
            match split_node(&text, mode) {
                Ok((name, label)) if strict || name.chars().count() <= MAX_LENIENT_NAME => {
                    let id = g.add_node(&name, label.as_deref());
                    g.add_edge(p.from, id);
                    prev = Some(vec![Placed {
                        id,
                        start: seg.start,
                        end: seg.end,
                    }]);
                }
                Ok(_) => {}
                Err(e) if strict => return err(line_no, node_message(&e, &seg.text)),
                Err(_) => {}
            }
            continue;
        }

        // `  -> Flink -> Redis` or `  |-> S3` under a line: a branch from the last box of the
        // nearest line above that is indented less.
        let head = segs[0].text.trim();
        let branch_from = if head.chars().all(is_branch_glyph) {
            parent(&mut outline)
        } else {
            None
        };
        let segs: &[Seg] = if branch_from.is_some() {
            &segs[1..]
        } else {
            &segs
        };
        let n = segs.len();
        let mut placed: Vec<Placed> = Vec::with_capacity(n);
        for (i, seg) in segs.iter().enumerate() {
            let text = if strict {
                seg.text.clone()
            } else {
                clean_prose_segment(&seg.text, i == 0 && branch_from.is_none(), i + 1 == n)
            };
            let text = if branch_from.is_some() && i == 0 {
                colon_label(&text)
            } else {
                text
            };
            if strict && seg.text.is_empty() {
                let message = if i == 0 {
                    format!(
                        "{} starts with an arrow: put the node that feeds it first, as in `Kafka -> Flink`",
                        quote(&shown)
                    )
                } else if i + 1 == n {
                    let prev = collapse_ws(&segs[i - 1].text);
                    let next = if prev.eq_ignore_ascii_case("redis") {
                        "Dashboard"
                    } else {
                        "Redis"
                    };
                    format!(
                        "{} ends with an arrow after {}: add the node it flows into, as in `{prev} -> {next}`, or remove the arrow",
                        quote(&shown),
                        quote(&segs[i - 1].text),
                    )
                } else {
                    format!(
                        "two arrows in a row after {} in {}: put a node between them or remove one",
                        quote(&segs[i - 1].text),
                        quote(&shown)
                    )
                };
                return err(line_no, message);
            }
            match split_node(&text, mode) {
                Ok((name, label)) if strict || name.chars().count() <= MAX_LENIENT_NAME => {
                    let id = g.add_node(&name, label.as_deref());
                    placed.push(Placed {
                        id,
                        start: seg.start,
                        end: seg.end,
                    });
                }
                Ok(_) => {}
                Err(e) if strict => return err(line_no, node_message(&e, &seg.text)),
                Err(_) => {}
            }
        }
        for w in placed.windows(2) {
            g.add_edge(w[0].id, w[1].id);
        }
        if let Some(p) = pending.take()
            && let Some(first) = placed.first()
        {
            g.add_edge(p.from, first.id);
        }
        if let (Some(from), Some(first)) = (branch_from, placed.first()) {
            g.add_edge(from, first.id);
        }
        if let Some(last) = placed.last() {
            if branch_from.is_none() {
                parent(&mut outline);
            }
            outline.push((indent, last.id));
        }
        if !placed.is_empty() {
            prev = Some(placed);
        }
    }
    if let Some(p) = pending
        && strict
    {
        return err(
                p.line,
                "`|` at the end has nothing below it: add the chain it feeds on the next line, as in `S3 (raw) -> Spark`, or remove the `|`".to_string(),
            );
    }
    Ok(g)
}

/// Characters that draw a branch before an arrow: `|->`, `├──>`, `└─>`, `+->`, `\->`.
fn is_branch_glyph(c: char) -> bool {
    matches!(
        c,
        '|' | '│' | '├' | '└' | '╰' | '+' | '\\' | '`' | '─' | ' '
    )
}

/// Whether the next non-blank line is indented more than `indent` and starts with an arrow.
fn next_is_branch(all: &[&str], idx: usize, indent: usize) -> bool {
    let Some(next) = all[idx + 1..].iter().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let cols = columns(next);
    let Some(first) = cols.iter().find(|c| !c.c.is_whitespace()) else {
        return false;
    };
    if first.col <= indent {
        return false;
    }
    let rest: String = cols
        .iter()
        .map(|c| c.c)
        .skip_while(|c| is_branch_glyph(*c) || c.is_whitespace())
        .collect();
    ["->", "=>", "→", "─>", "─▶", "▶", "⟶", "➔", "⇒"]
        .iter()
        .any(|a| rest.starts_with(a))
}

/// `Flink: 5 s windows` as a box: `Flink (5 s windows)` when the part before the colon is a short
/// name and there is no label yet.
fn colon_label(text: &str) -> String {
    if text.contains('(') {
        return text.to_string();
    }
    match text.split_once(": ") {
        Some((name, rest))
            if !name.trim().is_empty()
                && name.split_whitespace().count() <= 3
                && !rest.trim().is_empty() =>
        {
            format!("{} ({})", name.trim(), rest.trim())
        }
        _ => text.to_string(),
    }
}

fn node_message(e: &NodeError, text: &str) -> String {
    match e {
        NodeError::EmptyName => format!(
            "{} has a label but no name: write the name first, as in `Flink (5s window)`",
            quote(text)
        ),
        NodeError::Trailing {
            trailing,
            name,
            label,
        } => format!(
            "text {} after the label in {}: put the label last, as in `{} {} ({})`",
            quote(trailing),
            quote(text),
            name,
            collapse_ws(trailing),
            label
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(g: &DesignGraph) -> Vec<String> {
        g.edges()
            .iter()
            .map(|e| format!("{} -> {}", g.node(e.from).display(), g.node(e.to).display()))
            .collect()
    }

    #[test]
    fn spec_diagram_with_pipe_continuation() {
        let g = parse(
            "Click Events -> Kafka -> Flink (5s window) -> Redis (Dashboard)\n                  |\n                S3 (Raw Data) -> Spark Hourly -> Snowflake (Reports)\n",
        )
        .unwrap();
        assert_eq!(
            edges(&g),
            [
                "Click Events -> Kafka",
                "Kafka -> Flink (5s window)",
                "Flink (5s window) -> Redis (Dashboard)",
                "S3 (Raw Data) -> Spark Hourly",
                "Spark Hourly -> Snowflake (Reports)",
                "Kafka -> S3 (Raw Data)",
            ]
        );
        assert_eq!(g.nodes().len(), 7);
        let flink = &g.nodes()[2];
        assert_eq!(flink.name, "Flink");
        assert_eq!(flink.label.as_deref(), Some("5s window"));
    }

    #[test]
    fn repeated_node_fans_out_and_all_arrow_styles_work() {
        let g = parse(
            "Click events => Kafka --> Flink → Redis\nKafka -> S3 (raw)  # the lake\n// done\n\n",
        )
        .unwrap();
        assert_eq!(
            edges(&g),
            [
                "Click events -> Kafka",
                "Kafka -> Flink",
                "Flink -> Redis",
                "Kafka -> S3 (raw)"
            ]
        );
    }

    #[test]
    fn pipe_picks_the_nearest_node_and_a_lone_node_below_it() {
        let g = parse("A -> Bee -> C\n      |\n      D\n").unwrap();
        assert_eq!(edges(&g), ["A -> Bee", "Bee -> C", "Bee -> D"]);
        // Under the arrow between Bee and C: Bee's end is 1 column away, C is 2.
        let g = parse("A -> Bee -> C\n        |\n  D -> E\n").unwrap();
        assert!(edges(&g).contains(&"Bee -> D".to_string()));
    }

    #[test]
    fn indented_arrow_lines_branch_from_the_line_above() {
        // The tree style people paste: a box, then its branches indented under it.
        let g = parse("Kafka\n  -> Flink -> Redis\n  -> S3 -> Athena\n").unwrap();
        assert_eq!(
            edges(&g),
            [
                "Flink -> Redis",
                "Kafka -> Flink",
                "S3 -> Athena",
                "Kafka -> S3"
            ]
        );
        // `|->` continuation lines, with a `Name: what it does` box, read leniently.
        let g = extract(
            "Devices -> MQTT broker -> Kafka\n   |-> Flink: 5 s event-time windows -> Redis\n   |-> S3 (raw) -> Spark (hourly)\n",
        );
        let e = edges(&g);
        assert!(
            e.contains(&"Kafka -> Flink (5 s event-time windows)".to_string()),
            "{e:?}"
        );
        assert!(e.contains(&"Kafka -> S3 (raw)".to_string()), "{e:?}");
        assert!(g.nodes().iter().all(|n| !n.name.contains('|')), "{e:?}");
        // Deeper indentation nests: the branch under Flink comes from Flink.
        let g = parse("Kafka\n  -> Flink\n      -> Redis\n  -> S3\n").unwrap();
        assert_eq!(
            edges(&g),
            ["Kafka -> Flink", "Flink -> Redis", "Kafka -> S3"]
        );
    }

    #[test]
    fn comments_keep_urls_and_labels() {
        let g = parse("App -> S3 (s3://bucket/raw # not a comment) -> Athena\n").unwrap();
        assert_eq!(
            g.node(1).label.as_deref(),
            Some("s3://bucket/raw # not a comment")
        );
        assert_eq!(g.nodes().len(), 3);
    }

    #[test]
    fn labels_may_hold_arrows_and_parentheses() {
        let g = parse("Kafka -> Flink (dedup (24h) -> keyed) -> Redis").unwrap();
        assert_eq!(g.node(1).label.as_deref(), Some("dedup (24h) -> keyed"));
        assert_eq!(g.edges().len(), 2);
    }

    #[test]
    fn strict_errors_name_the_line_and_the_fix() {
        let cases = [
            ("A -> B\nKafka Flink\n", 2, "no arrow in `Kafka Flink`"),
            ("A -> B ->\n", 1, "ends with an arrow after `B`"),
            ("-> B\n", 1, "starts with an arrow"),
            ("A -> -> B\n", 1, "two arrows in a row after `A`"),
            ("A -> (x) -> B\n", 1, "has a label but no name"),
            ("A -> Flink (5s window\n", 1, "unclosed `(`"),
            ("A -> Flink 5s) -> B\n", 1, "`)` without a matching `(`"),
            (
                "A -> Spark (hourly) job\n",
                1,
                "put the label last, as in `Spark job (hourly)`",
            ),
            ("|\nA -> B\n", 1, "`|` has no chain above it"),
            ("A -> B\n  |\n", 2, "`|` at the end has nothing below it"),
            ("A -> B\n| |\nC -> D\n", 2, "more than one `|`"),
        ];
        for (text, line, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {}", e.message);
            assert!(!e.message.ends_with('.'), "{}", e.message);
            assert!(e.message.chars().next().is_some_and(|c| !c.is_uppercase()));
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn extract_reads_arrows_out_of_prose_and_markdown() {
        let text = "I'd start with the collector.\n\n- `Click events -> Kafka -> Flink (5s window) -> Redis`\n* Kafka -> S3 (raw).\n\nThat gives us replay. Overall: Spark (hourly) -> Snowflake, which feeds reports.\n1. Flink -> -> Druid ->\n";
        let g = extract(text);
        assert_eq!(
            edges(&g),
            [
                "Click events -> Kafka",
                "Kafka -> Flink (5s window)",
                "Flink (5s window) -> Redis",
                "Kafka -> S3 (raw)",
                "Spark (hourly) -> Snowflake",
                "Flink (5s window) -> Druid",
            ]
        );
    }

    #[test]
    fn extract_leaves_the_sentence_around_a_chain_out_of_its_boxes() {
        let g = extract(
            "Duplicates always arrive within seconds, so Events -> Kafka -> S3 catches all of them.",
        );
        assert_eq!(edges(&g), ["Events -> Kafka", "Kafka -> S3"]);
        let g = extract("It scales, then API Gateway -> Lambda -> DynamoDB is the whole design.");
        assert_eq!(edges(&g), ["API Gateway -> Lambda", "Lambda -> DynamoDB"]);
        // A comma that is not followed by a lead-in stays part of the box.
        let g = extract("Web, mobile -> Kafka");
        assert_eq!(edges(&g), ["Web, mobile -> Kafka"]);
    }

    #[test]
    fn extract_survives_broken_parentheses_and_no_arrows() {
        let g = extract("Kafka -> Flink (5s window -> Redis\nno arrows here\n|\n");
        assert_eq!(g.nodes().len(), 3, "{:?}", g.nodes());
        assert_eq!(g.node(1).label.as_deref(), Some("5s window"));
        let g = extract("Kafka) -> Flink)");
        assert_eq!(edges(&g), ["Kafka -> Flink"]);
        assert!(extract("just talking about Kafka, no design yet").is_empty());
        assert!(extract("").is_empty());
    }

    #[test]
    fn extract_reads_our_own_ascii_edge_lists() {
        let g = extract("  Kafka ──▶ Flink (5s window)\n  Kafka ──▶ S3 (raw)\n");
        assert_eq!(
            edges(&g),
            ["Kafka -> Flink (5s window)", "Kafka -> S3 (raw)"]
        );
    }
}
