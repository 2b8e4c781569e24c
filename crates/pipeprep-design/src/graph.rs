//! The design graph: what the candidate (or a reference solution) wired together.

use serde::Serialize;

/// Index of a node in a [`DesignGraph`].
pub type NodeId = usize;

/// One box of a pipeline: a tool, a source or a sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
}

/// A pipeline design: nodes in first-seen order and the flows between them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DesignGraph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
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
        let same: Vec<NodeId> = (0..self.nodes.len())
            .filter(|&i| same_name(&self.nodes[i].name, name))
            .collect();
        if let Some(&i) = same.iter().find(|&&i| match (&self.nodes[i].label, label) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        }) {
            return i;
        }
        if same.len() == 1 {
            let i = same[0];
            match (&self.nodes[i].label, label) {
                (_, None) => return i,
                (None, Some(l)) => {
                    self.nodes[i].label = Some(l.to_string());
                    return i;
                }
                _ => {}
            }
        }
        self.nodes.push(Node {
            name: name.to_string(),
            label: label.map(str::to_string),
            component: None,
        });
        self.nodes.len() - 1
    }

    /// Adds a flow; a repeated flow or a self-loop is ignored.
    pub fn add_edge(&mut self, from: NodeId, to: NodeId) {
        if from == to || self.edges.iter().any(|e| e.from == from && e.to == to) {
            return;
        }
        self.edges.push(Edge { from, to });
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

    pub fn successors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.edges
            .iter()
            .filter(move |e| e.from == id)
            .map(|e| e.to)
    }

    pub fn predecessors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.edges
            .iter()
            .filter(move |e| e.to == id)
            .map(|e| e.from)
    }

    /// Resolves every node against the catalog (case and alias tolerant).
    pub fn resolve(&mut self, catalog: &crate::Catalog) {
        for n in &mut self.nodes {
            n.component = catalog.resolve(&n.name).map(|c| c.id.clone());
        }
    }

    /// Merges another graph into this one, by node identity.
    pub fn merge(&mut self, other: &DesignGraph) {
        let map: Vec<NodeId> = other
            .nodes
            .iter()
            .map(|n| {
                let id = self.add_node(&n.name, n.label.as_deref());
                if self.nodes[id].component.is_none() {
                    self.nodes[id].component = n.component.clone();
                }
                id
            })
            .collect();
        for e in &other.edges {
            self.add_edge(map[e.from], map[e.to]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn label_attaches_to_an_unlabelled_node() {
        let mut g = DesignGraph::new();
        let a = g.add_node("Kafka", None);
        let b = g.add_node("Kafka", Some("orders topic"));
        assert_eq!(a, b);
        assert_eq!(g.node(a).label.as_deref(), Some("orders topic"));
    }
}
