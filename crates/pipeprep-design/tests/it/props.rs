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
