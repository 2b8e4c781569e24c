//! The design graph: what the candidate (or a reference solution) wired together.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// Index of a node in a [`DesignGraph`].
pub type NodeId = usize;

/// One box of a pipeline: a tool, a source or a sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The name as written, without the label: `Flink` in `Flink (5s window)`.
    pub name: String,
    /// The parenthesised label, if any: `5s window`.
    pub label: Option<String>,
    /// The catalog component id this node resolved to, if any (`kafka` for `MSK`).
    pub component: Option<String>,
}

impl Node {
    /// `Flink (5s window)` or `Flink`.
    pub fn display(&self) -> String {
        match &self.label {
            Some(label) => format!("{} ({label})", self.name),
            None => self.name.clone(),
        }
    }
}

/// A directed data flow between two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
}

/// A pipeline design: nodes in first-seen order and the flows between them.
///
/// Indexes (nodes by name, edges as a set, each node's flows in and out) keep adding a node or a
/// flow and walking a node's neighbours constant-time, so building, rendering and linting a
/// pasted 200,000-node chain is linear, not quadratic. They are derived from `nodes` and
/// `edges`, so two graphs with the same nodes and edges compare equal.
///
/// Deserialising reads the nodes and edges and rebuilds the indexes from them (a saved
/// interview carries its design this way), so they are never stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SavedGraph")]
pub struct DesignGraph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// Nodes by [`name_key`], in node order.
    #[serde(skip)]
    by_name: HashMap<String, Vec<NodeId>>,
    /// The first node of each (name, label) by [`name_key`] and lowercase label.
    #[serde(skip)]
    by_label: HashMap<(String, Option<String>), NodeId>,
    #[serde(skip)]
    edge_set: HashSet<(NodeId, NodeId)>,
    /// Per node, the targets of its flows, in edge order.
    #[serde(skip)]
    out: Vec<Vec<NodeId>>,
    /// Per node, the sources of the flows into it, in edge order.
    #[serde(skip)]
    inc: Vec<Vec<NodeId>>,
}

/// The stored part of a [`DesignGraph`]: what its indexes are derived from.
#[derive(Deserialize)]
struct SavedGraph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

impl From<SavedGraph> for DesignGraph {
    /// Rebuilds the indexes as `add_node` and `add_edge` left them. A flow naming a node that
    /// does not exist is dropped rather than trusted.
    fn from(saved: SavedGraph) -> Self {
        let mut g = DesignGraph::new();
        for n in saved.nodes {
            g.push_node(n);
        }
        for e in saved.edges {
            if e.from < g.nodes.len() && e.to < g.nodes.len() {
                g.add_edge(e.from, e.to);
            }
        }
        g
    }
}

/// Names are the same when they are equal after trimming, ASCII case ignored.
fn name_key(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

impl DesignGraph {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Finds or adds a node. Identity rules, so that people can write designs the way they talk:
    /// the same name and label is the same node; a bare name refers to the one node of that name
    /// when there is exactly one; a labelled name attaches its label to the one unlabelled node of
    /// that name. Otherwise a new node is added (`S3 (raw)` and `S3 (curated)` are two nodes).
    pub fn add_node(&mut self, name: &str, label: Option<&str>) -> NodeId {
        let name = name.trim();
        let label = label.map(str::trim).filter(|l| !l.is_empty());
        let key = name_key(name);
        let label_key = label.map(str::to_ascii_lowercase);
        if let Some(&i) = self.by_label.get(&(key.clone(), label_key.clone())) {
            return i;
        }
        if let Some(&[i]) = self.by_name.get(&key).map(Vec::as_slice) {
            match (&self.nodes[i].label, label) {
                (_, None) => return i,
                (None, Some(l)) => {
                    self.nodes[i].label = Some(l.to_string());
                    self.by_label.remove(&(key.clone(), None));
                    self.by_label.insert((key, label_key), i);
                    return i;
                }
                _ => {}
            }
        }
        self.push_node(Node {
            name: name.to_string(),
            label: label.map(str::to_string),
            component: None,
        })
    }

    /// Appends a node as a new box and indexes it: the first node of each (name, label) keeps
    /// the label index, and every node is listed under its name, in order.
    fn push_node(&mut self, node: Node) -> NodeId {
        let id = self.nodes.len();
        let key = name_key(&node.name);
        let label_key = node.label.as_deref().map(str::to_ascii_lowercase);
        self.by_label.entry((key.clone(), label_key)).or_insert(id);
        self.by_name.entry(key).or_default().push(id);
        self.out.push(Vec::new());
        self.inc.push(Vec::new());
        self.nodes.push(node);
        id
    }

    /// Adds a flow; a repeated flow or a self-loop is ignored.
    pub fn add_edge(&mut self, from: NodeId, to: NodeId) {
        if from == to || !self.edge_set.insert((from, to)) {
            return;
        }
        self.edges.push(Edge { from, to });
        self.out[from].push(to);
        self.inc[to].push(from);
    }

    /// Sets the catalog component of a node.
    pub fn set_component(&mut self, id: NodeId, component: Option<String>) {
        self.nodes[id].component = component;
    }

    /// Catalog component ids present in the design, in first-seen order, without repeats.
    pub fn components(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for n in &self.nodes {
            if let Some(c) = n.component.as_deref()
                && !out.contains(&c)
            {
                out.push(c);
            }
        }
        out
    }

    /// The nodes `id` flows into, in edge order.
    pub fn successors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.out[id].iter().copied()
    }

    /// The nodes flowing into `id`, in edge order.
    pub fn predecessors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.inc[id].iter().copied()
    }

    /// Resolves every node against the catalog (case and alias tolerant). A node whose name
    /// names no component keeps the one it was given ("Log we can rewind" stays a generic log).
    pub fn resolve(&mut self, catalog: &crate::Catalog) {
        for n in &mut self.nodes {
            let by_name = catalog.resolve(&n.name).map(|c| c.id.clone());
            if by_name.is_some()
                || n.component
                    .as_deref()
                    .is_none_or(|c| catalog.get(c).is_none())
            {
                n.component = by_name;
            }
        }
    }

    /// Merges another graph into this one, by node identity.
    pub fn merge(&mut self, other: &DesignGraph) {
        self.merge_within(other, usize::MAX);
    }

    /// Merges another graph into this one, by node identity, keeping at most `max_nodes` nodes:
    /// nodes of `other` that would be new once the limit is reached are left out, with their
    /// flows. Returns how many nodes were left out.
    pub fn merge_within(&mut self, other: &DesignGraph, max_nodes: usize) -> usize {
        let mut left_out = 0;
        let map: Vec<Option<NodeId>> = other
            .nodes
            .iter()
            .map(|n| {
                if self.nodes.len() >= max_nodes && !self.has_node(&n.name, n.label.as_deref()) {
                    left_out += 1;
                    return None;
                }
                let id = self.add_node(&n.name, n.label.as_deref());
                if self.nodes[id].component.is_none() {
                    self.nodes[id].component = n.component.clone();
                }
                Some(id)
            })
            .collect();
        for e in &other.edges {
            if let (Some(from), Some(to)) = (map[e.from], map[e.to]) {
                self.add_edge(from, to);
            }
        }
        left_out
    }

    /// Whether [`add_node`](Self::add_node) would find an existing node (rather than add one).
    fn has_node(&self, name: &str, label: Option<&str>) -> bool {
        let key = name_key(name);
        let label = label.map(str::trim).filter(|l| !l.is_empty());
        let label_key = label.map(str::to_ascii_lowercase);
        if self.by_label.contains_key(&(key.clone(), label_key)) {
            return true;
        }
        match self.by_name.get(&key).map(Vec::as_slice) {
            Some(&[i]) => label.is_none() || self.nodes[i].label.is_none(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A saved and reloaded graph has the same indexes, so the next names resolve to the same
    /// nodes as in the graph it was saved from (a restored interview keeps growing its design).
    #[test]
    fn a_reloaded_graph_resolves_names_as_the_original() {
        let mut g = DesignGraph::new();
        let s3 = g.add_node("S3", None);
        g.add_node("s3 ", Some("Raw"));
        let k = g.add_node("Kafka", None);
        let raw2 = g.add_node("Kafka", Some("raw"));
        let cur = g.add_node("Kafka", Some("curated"));
        let bare = g.add_node("kafka", None);
        g.add_edge(k, s3);
        g.add_edge(raw2, cur);
        g.add_edge(cur, bare);
        g.add_edge(k, s3);
        let json = serde_json::to_string(&g).unwrap();
        let back: DesignGraph = serde_json::from_str(&json).unwrap();
        assert_eq!(back, g, "indexes differ after a reload");
        let mut g2 = back;
        for (name, label) in [
            ("S3", None),
            ("s3", Some("raw")),
            ("KAFKA", Some("Curated")),
            ("Kafka", None),
            ("Redis", None),
            ("redis", Some("cache")),
        ] {
            assert_eq!(
                g2.add_node(name, label),
                g.add_node(name, label),
                "{name} {label:?}"
            );
        }
        assert_eq!(g2, g);
        assert_eq!(g2.successors(cur).collect::<Vec<_>>(), [bare]);
    }

    #[test]
    fn bare_name_reuses_the_labelled_node() {
        let mut g = DesignGraph::new();
        let a = g.add_node("Flink", Some("5s window"));
        let b = g.add_node("flink", None);
        assert_eq!(a, b);
        assert_eq!(g.nodes().len(), 1);
    }

    #[test]
    fn different_labels_make_different_nodes() {
        let mut g = DesignGraph::new();
        let a = g.add_node("S3", Some("raw"));
        let b = g.add_node("S3", Some("curated"));
        assert_ne!(a, b);
        // With two S3 nodes a bare `S3` is ambiguous and becomes a third node.
        let c = g.add_node("S3", None);
        assert_ne!(c, a);
        assert_ne!(c, b);
    }

    #[test]
    fn merge_within_keeps_the_first_nodes_and_their_flows() {
        let mut chain = DesignGraph::new();
        for i in 0..10 {
            let a = chain.add_node(&format!("n{i}"), None);
            let b = chain.add_node(&format!("n{}", i + 1), None);
            chain.add_edge(a, b);
        }
        let mut g = DesignGraph::new();
        let x = g.add_node("n0", Some("first"));
        assert_eq!(g.merge_within(&chain, 4), 7);
        assert_eq!(g.nodes().len(), 4);
        assert_eq!(g.node(x).label.as_deref(), Some("first"));
        assert_eq!(g.edges().len(), 3);
        // Nodes already there still get their flows.
        assert_eq!(g.merge_within(&chain, 4), 7);
        assert_eq!(g.edges().len(), 3);
    }

    #[test]
    fn label_attaches_to_an_unlabelled_node() {
        let mut g = DesignGraph::new();
        let a = g.add_node("Kafka", None);
        let b = g.add_node("Kafka", Some("orders topic"));
        assert_eq!(a, b);
        assert_eq!(g.node(a).label.as_deref(), Some("orders topic"));
    }
}
