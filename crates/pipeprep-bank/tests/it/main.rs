//! The embedded bank: it loads, and the reference designs of the DESIGN.md scenarios render the
//! same way every time (ASCII, Mermaid and SVG snapshots a reviewer can read).

use pipeprep_design::{arrow, render};

const DESIGN_SCENARIOS: &[&str] = &[
    "clickstream-analytics",
    "dedup-at-scale",
    "late-arrivals",
    "schema-evolution",
    "customer-360-etl",
    "food-delivery-platform",
    "cost-optimized-batch",
    "exactly-once-payments",
];

#[test]
fn the_embedded_bank_loads_with_the_design_scenarios() {
    let bank = pipeprep_bank::embedded().expect("the embedded bank is valid");
    assert!(
        bank.scenarios.len() >= 18,
        "{} scenarios",
        bank.scenarios.len()
    );
    for id in DESIGN_SCENARIOS {
        assert!(bank.scenario(id).is_some(), "missing scenario {id}");
    }
    assert!(bank.concepts.len() >= 200);
    assert!(bank.catalog.components().len() >= 50);
    assert!(bank.resources.len() >= 30);
}

#[test]
fn reference_designs_render_stably() {
    let bank = pipeprep_bank::embedded().unwrap();
    for id in DESIGN_SCENARIOS {
        let s = bank.scenario(id).unwrap();
        let mut g = arrow::parse(&s.reference.architecture).unwrap();
        g.resolve(&bank.catalog);
        insta::assert_snapshot!(format!("{id}_ascii"), render::ascii(&g, &bank.catalog));
        insta::assert_snapshot!(format!("{id}_mermaid"), render::mermaid(&g));
        let svg = render::svg(&g, &bank.catalog);
        assert!(
            svg.contains("<svg") && !svg.contains("<script"),
            "{id}: self-contained svg"
        );
        insta::assert_snapshot!(format!("{id}_svg"), svg);
        // The Mermaid text reads back as the same graph.
        let back = render::parse_mermaid(&render::mermaid(&g)).unwrap();
        assert_eq!(back.edges().len(), g.edges().len(), "{id}");
        assert_eq!(back.nodes().len(), g.nodes().len(), "{id}");
    }
}
