//! Property tests: the parsers never panic, and Mermaid output reads back as the same graph.

use pipeprep_design::{DesignGraph, arrow, render};
use proptest::prelude::*;

/// Text made of the characters the grammar cares about, so the generator reaches the
/// interesting corners (arrows, labels, comments, pipes, columns) far more often than random
/// Unicode would.
fn arrowish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "->",
        "-->",
        "=>",
        "→",
        "──▶",
        "-",
        ">",
        "=",
        "(",
        ")",
        "|",
        "│",
        "v",
        "#",
        "//",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "Kafka",
        "S3",
        "Flink",
        "x",
        "`",
        "* ",
        "- ",
        "1. ",
        ": ",
        ". ",
        ",",
        "é",
        "日本",
        "\u{0}",
        "\"",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn extract_never_panics(s in "\\PC*") {
        let _ = arrow::extract(&s);
    }

    #[test]
    fn parse_never_panics(s in "\\PC*") {
        let _ = arrow::parse(&s);
    }

    #[test]
    fn parsers_never_panic_on_arrowish_text(s in arrowish()) {
        let strict = arrow::parse(&s);
        let _ = arrow::extract(&s);
        if let Err(e) = strict {
            prop_assert!(e.line >= 1 && e.line <= s.lines().count().max(1));
            prop_assert!(!e.message.ends_with('.'));
        }
    }

    #[test]
    fn mermaid_round_trips(
        nodes in prop::collection::vec(
            (
                prop::sample::select(vec!["Kafka", "kafka", "S3", "Flink", "Say \"hi\"", "a#b", "x(y)", "<&>", "日本", "tab\there", "(", ")"]),
                prop::option::of(prop::sample::select(vec!["raw", "RAW", "5s window", "f(x)", "\"q\"", "#1;", "a (b) c", ")("])),
            ),
            0..8,
        ),
        edges in prop::collection::vec((0usize..8, 0usize..8), 0..12),
    ) {
        let mut g = DesignGraph::new();
        for (name, label) in &nodes {
            g.add_node(name, *label);
        }
        let n = g.nodes().len();
        for (a, b) in edges {
            if n > 0 {
                g.add_edge(a % n, b % n);
            }
        }
        let text = render::mermaid(&g);
        let back = render::parse_mermaid(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, g, "{}", text);
    }
}

/// A node as indexes into the name and label pools.
type ModelNode = (usize, Option<usize>);
/// One chain line: its nodes, the arrow style and the spacing to use.
type ModelLine = (Vec<ModelNode>, usize, usize);

fn chains() -> impl Strategy<Value = Vec<ModelLine>> {
    let node = (0usize..7, prop::option::of(0usize..3));
    prop::collection::vec(
        (prop::collection::vec(node, 2..5), 0usize..4, 0usize..3),
        0..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Parsing chains gives exactly the graph built by hand with the same identity rules.
    #[test]
    fn parse_matches_the_graph_model(lines in chains(), comment in any::<bool>()) {
        const NAMES: [&str; 7] = ["Kafka", "Flink", "Redis", "S3", "Spark Hourly", "Snowflake", "Click Events"];
        const LABELS: [&str; 3] = ["5s window", "raw", "Reports"];
        const ARROWS: [&str; 4] = ["->", "-->", "=>", "→"];
        const SPACES: [&str; 3] = [" ", "  ", "\t"];
        let mut text = String::new();
        let mut model = DesignGraph::new();
        for (nodes, arrow, space) in &lines {
            let sep = format!("{}{}{}", SPACES[*space], ARROWS[*arrow], SPACES[*space]);
            let parts: Vec<String> = nodes
                .iter()
                .map(|(n, l)| match l {
                    Some(l) => format!("{} ({})", NAMES[*n], LABELS[*l]),
                    None => NAMES[*n].to_string(),
                })
                .collect();
            text.push_str(&parts.join(&sep));
            if comment {
                text.push_str("  # a comment -> not a node");
            }
            text.push('\n');
            if comment {
                text.push_str("\n// another comment\n");
            }
            let ids: Vec<usize> = nodes
                .iter()
                .map(|(n, l)| model.add_node(NAMES[*n], l.map(|l| LABELS[l])))
                .collect();
            for w in ids.windows(2) {
                model.add_edge(w[0], w[1]);
            }
        }
        let parsed = arrow::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &model, "{}", text);
        prop_assert_eq!(arrow::extract(&text), model, "{}", text);
    }
}
