//! Renderers: what `/diagram` and `pipeprep design render` show. The ASCII form echoes the
//! layered boxes of the interviewer's own whiteboard drawings; Mermaid is for pasting into docs;
//! the SVG is self-contained so it can be embedded in an HTML scorecard offline.
//!
//! All three are deterministic: the same graph always renders to the same bytes.

use serde::Serialize;

use crate::arrow::ArrowError;
use crate::catalog::{Catalog, Layer};
use crate::graph::{DesignGraph, NodeId};

/// The horizontal band of a diagram a node is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    Sources,
    Ingestion,
    Processing,
    Storage,
    Serving,
    /// Orchestration and quality tools: they act on the pipeline rather than carry its data.
    CrossCutting,
}

impl Band {
    pub const ALL: [Band; 6] = [
        Band::Sources,
        Band::Ingestion,
        Band::Processing,
        Band::Storage,
        Band::Serving,
        Band::CrossCutting,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Band::Sources => "SOURCES",
            Band::Ingestion => "INGESTION",
            Band::Processing => "PROCESSING",
            Band::Storage => "STORAGE",
            Band::Serving => "SERVING",
            Band::CrossCutting => "CROSS-CUTTING",
        }
    }

    pub fn from_layer(layer: Layer) -> Band {
        match layer {
            Layer::Source => Band::Sources,
            Layer::Ingestion => Band::Ingestion,
            Layer::Processing => Band::Processing,
            Layer::Storage => Band::Storage,
            Layer::Serving => Band::Serving,
            Layer::Orchestration | Layer::Quality => Band::CrossCutting,
        }
    }

    fn next(self) -> Band {
        match self {
            Band::Sources => Band::Ingestion,
            Band::Ingestion => Band::Processing,
            Band::Processing => Band::Storage,
            Band::Storage | Band::Serving | Band::CrossCutting => Band::Serving,
        }
    }
}

/// The band of every node, by index. A node takes its component's layer. An unknown node with
/// nothing flowing into it is a source; one that flows nowhere is a consumer (serving); an
/// unknown node in the middle sits one band after the furthest known node feeding it
/// (processing when nothing feeding it is known).
pub fn bands(g: &DesignGraph, cat: &Catalog) -> Vec<Band> {
    let known: Vec<Option<Band>> = g
        .nodes()
        .iter()
        .map(|n| cat.component_of(n).map(|c| Band::from_layer(c.layer)))
        .collect();
    (0..g.nodes().len())
        .map(|i| {
            if let Some(b) = known[i] {
                return b;
            }
            if g.predecessors(i).next().is_none() {
                return Band::Sources;
            }
            if g.successors(i).next().is_none() {
                return Band::Serving;
            }
            g.predecessors(i)
                .filter_map(|p| known[p])
                .filter(|b| *b != Band::CrossCutting)
                .max()
                .map_or(Band::Processing, Band::next)
        })
        .collect()
}

const MAX_WIDTH: usize = 100;
const BOX_TEXT: usize = 26;
const BOX_GAP: usize = 2;

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
    out
}

/// Word wrap; words longer than the width are cut.
fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let mut word: String = word.to_string();
        while width(&word) > w {
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            let head: String = word.chars().take(w).collect();
            word = word.chars().skip(w).collect();
            lines.push(head);
        }
        if word.is_empty() {
            continue;
        }
        if cur.is_empty() {
            cur = word;
        } else if width(&cur) + 1 + width(&word) <= w {
            cur.push(' ');
            cur.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut cur, word));
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A box around the node text; a `┴` on top when something flows in, a `┬` below when it
/// flows on, like the whiteboard drawings.
fn boxed(text: &str, has_in: bool, has_out: bool) -> Vec<String> {
    let lines = wrap(text, BOX_TEXT);
    let w = lines.iter().map(|l| width(l)).max().unwrap_or(0);
    let inner = w + 2;
    let border = |l: char, r: char, mark: Option<char>| {
        let mut s = String::new();
        s.push(l);
        for i in 0..inner {
            s.push(match mark {
                Some(m) if i == inner / 2 => m,
                _ => '─',
            });
        }
        s.push(r);
        s
    };
    let mut out = vec![border('┌', '┐', has_in.then_some('┴'))];
    out.extend(lines.iter().map(|l| format!("│ {} │", pad(l, w))));
    out.push(border('└', '┘', has_out.then_some('┬')));
    out
}

/// A layered ASCII diagram: one framed band per layer, top to bottom (sources, ingestion,
/// processing, storage, serving, then cross-cutting tools), the nodes of a band as boxes side by
/// side, and under them every flow leaving the band, so each edge is written out once. At most
/// 100 columns wide.
pub fn ascii(g: &DesignGraph, cat: &Catalog) -> String {
    if g.is_empty() {
        return "(empty design: write a chain like `Kafka -> Flink -> Redis`)\n".to_string();
    }
    let band_of = bands(g, cat);
    let inner_max = MAX_WIDTH - 4;
    let mut sections: Vec<(Band, Vec<String>)> = Vec::new();
    for band in Band::ALL {
        let ids: Vec<NodeId> = (0..g.nodes().len())
            .filter(|&i| band_of[i] == band)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let mut lines: Vec<String> = Vec::new();
        let mut row: Vec<Vec<String>> = Vec::new();
        let mut row_w = 0;
        let flush = |row: &mut Vec<Vec<String>>, lines: &mut Vec<String>| {
            let h = row.iter().map(Vec::len).max().unwrap_or(0);
            for y in 0..h {
                let parts: Vec<String> = row
                    .iter()
                    .map(|b| {
                        let bw = width(&b[0]);
                        pad(b.get(y).map_or("", String::as_str), bw)
                    })
                    .collect();
                lines.push(parts.join(&" ".repeat(BOX_GAP)).trim_end().to_string());
            }
            row.clear();
        };
        for &id in &ids {
            let b = boxed(
                &g.node(id).display(),
                g.predecessors(id).next().is_some(),
                g.successors(id).next().is_some(),
            );
            let bw = width(&b[0]);
            let need = if row.is_empty() {
                bw
            } else {
                row_w + BOX_GAP + bw
            };
            if !row.is_empty() && need > inner_max {
                flush(&mut row, &mut lines);
                row_w = bw;
            } else {
                row_w = need;
            }
            row.push(b);
        }
        flush(&mut row, &mut lines);
        for &id in &ids {
            for to in g.successors(id) {
                let text = format!("{} ──▶ {}", g.node(id).display(), g.node(to).display());
                for (k, l) in wrap(&text, inner_max - 6).into_iter().enumerate() {
                    let indent = if k == 0 { "  " } else { "      " };
                    lines.push(format!("{indent}{l}"));
                }
            }
        }
        sections.push((band, lines));
    }
    let w = sections
        .iter()
        .flat_map(|(b, ls)| ls.iter().map(|l| width(l)).chain([width(b.title()) + 4]))
        .max()
        .unwrap_or(0)
        .min(inner_max);
    let mut out = String::new();
    for (k, (band, lines)) in sections.iter().enumerate() {
        if k > 0 {
            out.push_str(&format!("{}▼\n", " ".repeat((w + 4) / 2)));
        }
        let title = band.title();
        out.push_str(&format!(
            "╔═ {title} {}╗\n",
            "═".repeat((w + 2).saturating_sub(width(title) + 3))
        ));
        for l in lines {
            out.push_str(&format!("║ {} ║\n", pad(l, w)));
        }
        out.push_str(&format!("╚{}╝\n", "═".repeat(w + 2)));
    }
    out
}

/// Mermaid entity escaping. Parentheses are escaped too, so the only literal `(` in a label is
/// the one that opens the node's label and [`parse_mermaid`] can split name from label.
fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '(' => out.push_str("#40;"),
            ')' => out.push_str("#41;"),
            c if c.is_control() => out.push_str(&format!("#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn mermaid_unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('#') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';') else {
            return Err(format!("`#` without a closing `;` in `{s}`"));
        };
        let code = &after[..end];
        let c = match code {
            "quot" => '"',
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            _ => code
                .parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("unknown entity `#{code};` in `{s}`"))?,
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A Mermaid flowchart, left to right. Node ids are `n0`, `n1`, … in node order; labels are the
/// node display text with `"` written as `#quot;` (and `#`, `<`, `>`, `&`, parentheses inside
/// names and labels as entity codes, which Mermaid renders as the characters themselves).
pub fn mermaid(g: &DesignGraph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, n) in g.nodes().iter().enumerate() {
        let mut label = mermaid_escape(&n.name);
        if let Some(l) = &n.label {
            label.push_str(&format!(" ({})", mermaid_escape(l)));
        }
        out.push_str(&format!("    n{i}[\"{label}\"]\n"));
    }
    for e in g.edges() {
        out.push_str(&format!("    n{} --> n{}\n", e.from, e.to));
    }
    out
}

/// Reads back the Mermaid that [`mermaid`] writes (node declarations `id["label"]`, edges
/// `a --> b`, `%%` comments), so designs survive a trip through a document.
pub fn parse_mermaid(text: &str) -> Result<DesignGraph, ArrowError> {
    let err = |line: usize, message: String| Err(ArrowError { line, message });
    let mut g = DesignGraph::new();
    let mut ids: Vec<(String, NodeId)> = Vec::new();
    let mut header = false;
    let is_id = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with("%%") {
            continue;
        }
        if !header {
            let mut words = line.split_whitespace();
            let kind = words.next().unwrap_or("");
            let dir = words.next().unwrap_or("");
            if !matches!(kind, "flowchart" | "graph")
                || !matches!(dir, "LR" | "RL" | "TD" | "TB" | "BT")
                || words.next().is_some()
            {
                return err(
                    line_no,
                    format!(
                        "expected a header like `flowchart LR`, found `{line}`: start the diagram with `flowchart LR`"
                    ),
                );
            }
            header = true;
            continue;
        }
        if let Some((a, b)) = line.split_once("-->") {
            let (a, b) = (a.trim(), b.trim());
            let find = |id: &str| ids.iter().find(|(k, _)| k == id).map(|(_, v)| *v);
            match (find(a), find(b)) {
                (Some(x), Some(y)) => g.add_edge(x, y),
                _ => {
                    let bad = if find(a).is_none() { a } else { b };
                    return err(
                        line_no,
                        format!(
                            "unknown node id `{bad}` in `{line}`: declare it first, as in `{bad}[\"Kafka\"]`"
                        ),
                    );
                }
            }
            continue;
        }
        let Some(open) = line.find("[\"") else {
            return err(
                line_no,
                format!(
                    "cannot read `{line}`: write a node as `n0[\"Kafka\"]` or an edge as `n0 --> n1`"
                ),
            );
        };
        let id = line[..open].trim();
        let Some(body) = line[open + 2..].strip_suffix("\"]") else {
            return err(
                line_no,
                format!("`{line}` does not end with `\"]`: close the label, as in `n0[\"Kafka\"]`"),
            );
        };
        if !is_id(id) {
            return err(
                line_no,
                format!("`{id}` is not a node id: use letters, digits and `_`, as in `n0`"),
            );
        }
        if body.contains('"') {
            return err(
                line_no,
                format!("raw `\"` inside the label of `{id}`: write it as `#quot;`"),
            );
        }
        if ids.iter().any(|(k, _)| k == id) {
            return err(
                line_no,
                format!("node id `{id}` is declared twice: give each node its own id"),
            );
        }
        let (name_raw, label_raw) = match body.find('(') {
            Some(p) if body.ends_with(')') => (
                body[..p].strip_suffix(' ').unwrap_or(&body[..p]),
                Some(&body[p + 1..body.len() - 1]),
            ),
            _ => (body, None),
        };
        let decode = |s: &str| {
            mermaid_unescape(s).map_err(|m| ArrowError {
                line: line_no,
                message: format!("{m}: write special characters as entity codes like `#quot;`"),
            })
        };
        let name = decode(name_raw)?;
        let label = label_raw.map(decode).transpose()?;
        let nid = g.add_node(&name, label.as_deref());
        ids.push((id.to_string(), nid));
    }
    if !header {
        return err(
            1,
            "no `flowchart LR` header: the text is empty or has only comments".to_string(),
        );
    }
    Ok(g)
}

const SVG_MARGIN: i64 = 20;
const SVG_BOX_W: i64 = 180;
const SVG_COL_GAP: i64 = 80;
const SVG_ROW_GAP: i64 = 28;
const SVG_HEADER_H: i64 = 36;
const SVG_LINE_H: i64 = 16;
const SVG_PAD_Y: i64 = 10;
const SVG_TEXT_CHARS: usize = 22;
const SVG_LOOP: i64 = 50;

fn band_colors(b: Band) -> (&'static str, &'static str) {
    match b {
        Band::Sources => ("#e8f0fe", "#4a6fa5"),
        Band::Ingestion => ("#fdebd9", "#b7672a"),
        Band::Processing => ("#e6f4ea", "#2f7d46"),
        Band::Storage => ("#fff6d6", "#a07c12"),
        Band::Serving => ("#f3e8fd", "#7b4aa5"),
        Band::CrossCutting => ("#eeeeee", "#666666"),
    }
}

pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A self-contained SVG: one column per layer from left to right (cross-cutting tools last),
/// rounded boxes coloured by layer, curved arrows (an arrowhead marker), and a legend row of
/// the layers. No script, no external references.
pub fn svg(g: &DesignGraph, cat: &Catalog) -> String {
    svg_with(g, cat, None)
}

/// A mark drawn on a node of an annotated SVG: a linter finding, say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub node: NodeId,
    /// `error`, `warning` or `info`: the badge's colour and its CSS class.
    pub severity: crate::lint::Severity,
    /// The text shown on hover (the finding's message).
    pub title: String,
}

/// As [`svg`], for a page that styles and animates the drawing: every node group carries
/// `class="node"`, `id="node-N"` (N its index in the graph) and its band, every edge
/// `class="edge"` with `data-from`/`data-to`, and each node with marks gets a badge (the count,
/// coloured by the worst severity) whose `<title>` lists the marks.
pub fn svg_annotated(g: &DesignGraph, cat: &Catalog, marks: &[Mark]) -> String {
    svg_with(g, cat, Some(marks))
}

/// Where a node's box sits in the SVG drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeBox {
    pub x: i64,
    pub y: i64,
    pub h: i64,
    /// The label as wrapped in the box.
    pub lines: Vec<String>,
    pub col: usize,
    pub row: usize,
}

impl NodeBox {
    pub const W: i64 = SVG_BOX_W;

    /// The centre of the box.
    pub fn center(&self) -> (i64, i64) {
        (self.x + SVG_BOX_W / 2, self.y + self.h / 2)
    }
}

/// The geometry of the SVG drawing, for pictures laid over it (the failure simulation): the
/// size, each node's box and band, each edge's path.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: i64,
    pub height: i64,
    pub legend_y: i64,
    pub cols: Vec<Band>,
    pub band_of: Vec<Band>,
    /// By node id; `None` only for a node the drawing leaves out.
    pub nodes: Vec<Option<NodeBox>>,
    /// By edge index: the path's `d`.
    pub edges: Vec<Option<String>>,
}

/// Lays the graph out as [`svg`] draws it.
pub fn layout(g: &DesignGraph, cat: &Catalog) -> Layout {
    let band_of = bands(g, cat);
    let cols: Vec<Band> = Band::ALL
        .into_iter()
        .filter(|b| band_of.contains(b))
        .collect();
    let n = g.nodes().len();
    let mut placed: Vec<Option<NodeBox>> = (0..n).map(|_| None).collect();
    let mut bottom = SVG_MARGIN + SVG_HEADER_H;
    for (c, band) in cols.iter().enumerate() {
        let x = SVG_MARGIN + c as i64 * (SVG_BOX_W + SVG_COL_GAP);
        // Order a column by where its feeders sit (barycenter), so flows cross less.
        let members: Vec<NodeId> = (0..n).filter(|&i| band_of[i] == *band).collect();
        let mut keyed: Vec<(f64, NodeId)> = members
            .iter()
            .enumerate()
            .map(|(pos, &i)| {
                let rows: Vec<f64> = g
                    .predecessors(i)
                    .filter_map(|p| placed[p].as_ref().map(|q| q.row as f64))
                    .collect();
                let key = if rows.is_empty() {
                    pos as f64
                } else {
                    rows.iter().sum::<f64>() / rows.len() as f64
                };
                (key, i)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut y = SVG_MARGIN + SVG_HEADER_H;
        for (row, &(_, i)) in keyed.iter().enumerate() {
            let lines = wrap(&g.node(i).display(), SVG_TEXT_CHARS);
            let h = (lines.len() as i64 * SVG_LINE_H + 2 * SVG_PAD_Y).max(40);
            placed[i] = Some(NodeBox {
                x,
                y,
                h,
                lines,
                col: c,
                row,
            });
            y += h + SVG_ROW_GAP;
        }
        bottom = bottom.max(y);
    }
    let ncols = cols.len().max(1) as i64;
    let width = 2 * SVG_MARGIN + ncols * SVG_BOX_W + (ncols - 1) * SVG_COL_GAP + SVG_LOOP;
    let legend_y = bottom + 10;
    let height = legend_y + 30;

    // Ports: the edges on each side of a box get their own heights, ordered by where the other
    // end is, so flows in and out of the same side stay apart.
    #[derive(Clone, Copy, PartialEq)]
    enum Side {
        Left,
        Right,
    }
    let mid = |i: NodeId| placed[i].as_ref().map_or(0, |p| p.y + p.h / 2);
    let mut sides: Vec<[Vec<(i64, usize)>; 2]> = (0..n).map(|_| [Vec::new(), Vec::new()]).collect();
    let mut ends: Vec<(Side, Side)> = Vec::with_capacity(g.edges().len());
    for (k, e) in g.edges().iter().enumerate() {
        let (Some(a), Some(b)) = (&placed[e.from], &placed[e.to]) else {
            ends.push((Side::Right, Side::Left));
            continue;
        };
        let pair = if b.col > a.col {
            (Side::Right, Side::Left)
        } else if b.col < a.col {
            (Side::Left, Side::Right)
        } else {
            (Side::Right, Side::Right)
        };
        sides[e.from][pair.0 as usize].push((mid(e.to), k));
        sides[e.to][pair.1 as usize].push((mid(e.from), k));
        ends.push(pair);
    }
    let mut port_y = vec![(0i64, 0i64); g.edges().len()];
    for (i, node_sides) in sides.iter_mut().enumerate() {
        let Some(p) = &placed[i] else { continue };
        for list in node_sides.iter_mut() {
            list.sort_unstable();
            let count = list.len() as i64;
            for (slot, &(_, k)) in list.iter().enumerate() {
                let y = p.y + (slot as i64 + 1) * p.h / (count + 1);
                let e = g.edges()[k];
                if e.from == i {
                    port_y[k].0 = y;
                }
                if e.to == i {
                    port_y[k].1 = y;
                }
            }
        }
    }
    // Free heights in a column: above the first box, between boxes, below the last.
    let gaps = |c: usize| -> Vec<i64> {
        let mut ys: Vec<(i64, i64)> = placed
            .iter()
            .flatten()
            .filter(|p| p.col == c)
            .map(|p| (p.y, p.y + p.h))
            .collect();
        ys.sort_unstable();
        let mut out = Vec::new();
        if let Some(first) = ys.first() {
            out.push(first.0 - SVG_ROW_GAP / 2);
        }
        out.extend(ys.iter().map(|(_, end)| end + SVG_ROW_GAP / 2));
        out
    };
    let col_x = |c: usize| SVG_MARGIN + c as i64 * (SVG_BOX_W + SVG_COL_GAP);

    // An edge that skips columns runs through the gaps between the boxes of the columns it
    // crosses.
    let mut paths: Vec<Option<String>> = vec![None; g.edges().len()];
    for (k, e) in g.edges().iter().enumerate() {
        let (Some(a), Some(b)) = (&placed[e.from], &placed[e.to]) else {
            continue;
        };
        let (y1, y2) = port_y[k];
        let x_of = |p: &NodeBox, side: Side| {
            if side == Side::Right {
                p.x + SVG_BOX_W
            } else {
                p.x
            }
        };
        let (x1, x2) = (x_of(a, ends[k].0), x_of(b, ends[k].1));
        let mut d = format!("M{x1},{y1}");
        if a.col == b.col {
            d.push_str(&format!(
                " C{},{y1} {},{y2} {x2},{y2}",
                x1 + SVG_LOOP,
                x2 + SVG_LOOP
            ));
        } else {
            let forward = b.col > a.col;
            let between: Vec<usize> = if forward {
                (a.col + 1..b.col).collect()
            } else {
                (b.col + 1..a.col).rev().collect()
            };
            let mut points: Vec<(i64, i64)> = Vec::new();
            let span = (x2 - x1).abs().max(1);
            for c in between {
                let (left, right) = (col_x(c), col_x(c) + SVG_BOX_W);
                let (enter, exit) = if forward {
                    (left, right)
                } else {
                    (right, left)
                };
                // Aim for the straight line from start to end at this column.
                let t = (enter - x1).abs() as f64 / span as f64;
                let target = y1 as f64 + (y2 - y1) as f64 * t;
                let y = gaps(c)
                    .into_iter()
                    .min_by(|p, q| {
                        (*p as f64 - target)
                            .abs()
                            .total_cmp(&(*q as f64 - target).abs())
                            .then(p.cmp(q))
                    })
                    .unwrap_or(y1);
                points.push((enter, y));
                points.push((exit, y));
            }
            points.push((x2, y2));
            let (mut px, mut py) = (x1, y1);
            for (j, &(x, y)) in points.iter().enumerate() {
                if j % 2 == 1 && j + 1 < points.len() {
                    // Straight through the gap of a crossed column.
                    d.push_str(&format!(" L{x},{y}"));
                } else {
                    let dx = (x - px) / 2;
                    d.push_str(&format!(" C{},{py} {},{y} {x},{y}", px + dx, x - dx));
                }
                (px, py) = (x, y);
            }
        }
        paths[k] = Some(d);
    }
    Layout {
        width,
        height,
        legend_y,
        cols,
        band_of,
        nodes: placed,
        edges: paths,
    }
}

fn svg_with(g: &DesignGraph, cat: &Catalog, marks: Option<&[Mark]>) -> String {
    let Layout {
        width,
        height,
        legend_y,
        cols,
        band_of,
        nodes: placed,
        edges: paths,
    } = layout(g, cat);
    let mut s = String::new();
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
    ));
    s.push_str("<title>Pipeline design</title>\n");
    s.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555555\"/></marker></defs>\n");
    s.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
    ));
    for (c, band) in cols.iter().enumerate() {
        let cx = SVG_MARGIN + c as i64 * (SVG_BOX_W + SVG_COL_GAP) + SVG_BOX_W / 2;
        let (_, stroke) = band_colors(*band);
        s.push_str(&format!(
            "<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"{stroke}\">{}</text>\n",
            SVG_MARGIN + 14,
            band.title()
        ));
    }
    // Edges first, so boxes sit on top of any line that passes behind them.
    for (k, e) in g.edges().iter().enumerate() {
        let Some(d) = &paths[k] else { continue };
        let attrs = if marks.is_some() {
            format!(
                " class=\"edge\" data-from=\"{}\" data-to=\"{}\"",
                e.from, e.to
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "<path{attrs} d=\"{d}\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n"
        ));
    }
    for (i, p) in placed.iter().enumerate() {
        let Some(p) = p else { continue };
        let (fill, stroke) = band_colors(band_of[i]);
        let group = if marks.is_some() {
            format!(
                "<g class=\"node band-{}\" id=\"node-{i}\">",
                band_of[i].title().to_lowercase()
            )
        } else {
            "<g>".to_string()
        };
        s.push_str(&format!(
            "{group}<rect x=\"{}\" y=\"{}\" width=\"{SVG_BOX_W}\" height=\"{}\" rx=\"8\" ry=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>",
            p.x, p.y, p.h
        ));
        let cx = p.x + SVG_BOX_W / 2;
        let text_h = p.lines.len() as i64 * SVG_LINE_H;
        let first = p.y + (p.h - text_h) / 2 + SVG_LINE_H - 4;
        s.push_str(&format!(
            "<text x=\"{cx}\" y=\"{first}\" text-anchor=\"middle\" fill=\"#222222\">"
        ));
        for (k, l) in p.lines.iter().enumerate() {
            let dy = if k == 0 { 0 } else { SVG_LINE_H };
            s.push_str(&format!(
                "<tspan x=\"{cx}\" dy=\"{dy}\">{}</tspan>",
                xml_escape(l)
            ));
        }
        s.push_str("</text>");
        let mine: Vec<&Mark> = marks
            .unwrap_or_default()
            .iter()
            .filter(|m| m.node == i)
            .collect();
        if let Some(worst) = mine.iter().map(|m| m.severity).min() {
            let (bx, by) = (p.x + SVG_BOX_W - 4, p.y + 4);
            let color = match worst {
                crate::lint::Severity::Error => "#c62828",
                crate::lint::Severity::Warning => "#e08a00",
                crate::lint::Severity::Info => "#3b6fb6",
            };
            let titles: Vec<String> = mine.iter().map(|m| xml_escape(&m.title)).collect();
            s.push_str(&format!(
                "<g class=\"badge {}\"><title>{}</title><circle cx=\"{bx}\" cy=\"{by}\" r=\"10\" fill=\"{color}\" stroke=\"#ffffff\" stroke-width=\"2\"/><text x=\"{bx}\" y=\"{}\" text-anchor=\"middle\" fill=\"#ffffff\" font-size=\"11\" font-weight=\"bold\">{}</text></g>",
                worst.as_str(),
                titles.join("\n"),
                by + 4,
                mine.len()
            ));
        }
        s.push_str("</g>\n");
    }
    // Legend row.
    for (k, band) in cols.iter().enumerate() {
        let x = SVG_MARGIN + k as i64 * 130;
        let (fill, stroke) = band_colors(*band);
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{legend_y}\" width=\"12\" height=\"12\" rx=\"3\" ry=\"3\" fill=\"{fill}\" stroke=\"{stroke}\"/><text x=\"{}\" y=\"{}\" fill=\"#333333\">{}</text>\n",
            x + 18,
            legend_y + 10,
            band.title().to_lowercase()
        ));
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow;
    use crate::testkit::catalog;

    #[test]
    fn unknown_nodes_take_sources_and_serving_bands() {
        let g = arrow::parse("Click events -> Kafka -> Mystery -> Dashboard\nAirflow -> Spark")
            .unwrap();
        let b = bands(&g, &catalog());
        assert_eq!(
            b,
            [
                Band::Sources,
                Band::Ingestion,
                Band::Processing,
                Band::Serving,
                Band::CrossCutting,
                Band::Processing
            ]
        );
    }

    #[test]
    fn ascii_stays_within_100_columns_and_lists_every_edge() {
        let mut text = String::from("Source -> Kafka\n");
        text.push_str(&format!(
            "Kafka -> {} -> {}\n",
            "W".repeat(150),
            "word ".repeat(40)
        ));
        for i in 0..12 {
            text.push_str(&format!(
                "Kafka -> Flink (a fairly long job description number {i}) -> Redis ({i})\n"
            ));
        }
        let g = arrow::parse(&text).unwrap();
        let out = ascii(&g, &catalog());
        for l in out.lines() {
            assert!(l.chars().count() <= 100, "{l}");
        }
        for e in g.edges() {
            let t = format!(
                "{} ──▶ {}",
                g.node(e.from).display(),
                g.node(e.to).display()
            );
            let flat: String = out
                .lines()
                .map(|l| l.trim_matches(['║', ' ']))
                .collect::<Vec<_>>()
                .join(" ");
            // Long names wrap across lines; compare without any whitespace.
            let squeezed: String = flat.split_whitespace().collect();
            let t: String = t.split_whitespace().collect();
            assert!(squeezed.contains(&t), "missing edge {t}");
        }
    }

    #[test]
    fn mermaid_escapes_and_reads_back() {
        let mut g = DesignGraph::new();
        let a = g.add_node("Say \"hi\" #1 <b>", Some("f(x) & y"));
        let b = g.add_node("Tab\there", None);
        g.add_edge(a, b);
        let m = mermaid(&g);
        assert!(m.contains("#quot;hi#quot;"), "{m}");
        assert!(!m.contains("\"hi\""));
        assert_eq!(parse_mermaid(&m).unwrap(), g);
    }

    #[test]
    fn parse_mermaid_errors_point_at_the_line() {
        let e = parse_mermaid("flowchart LR\n    n0[\"A\"]\n    n0 --> n1\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("unknown node id `n1`"), "{}", e.message);
        assert_eq!(parse_mermaid("hello").unwrap_err().line, 1);
        assert!(parse_mermaid("").is_err());
    }

    #[test]
    fn svg_escapes_text_and_has_no_script() {
        let g = arrow::parse("<script>alert</script> & \"co\" -> Kafka").unwrap();
        let s = svg(&g, &catalog());
        assert!(!s.contains("<script"));
        assert!(s.contains("&lt;script&gt;alert"), "{s}");
        assert!(s.contains("marker-end=\"url(#arrow)\""));
        assert!(!s.contains("href"));
    }
}
