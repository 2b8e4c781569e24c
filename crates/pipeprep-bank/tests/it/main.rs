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

/// The embedded bank with one scenario file's text changed by `edit`.
fn bank_with(file: &str, edit: impl Fn(&str) -> String) -> Result<pipeprep_bank::Bank, String> {
    let mut files = pipeprep_bank::embedded_files();
    let f = files
        .iter_mut()
        .find(|f| f.rel == file)
        .expect("the file is embedded");
    let edited = edit(&f.text);
    assert_ne!(edited, f.text, "the edit changed nothing");
    f.text = edited;
    pipeprep_bank::load(&files).map_err(|p| p.to_string())
}

/// The line (1-based) of the first occurrence of `needle` in an embedded file after `edit`.
fn line_of(file: &str, edit: impl Fn(&str) -> String, needle: &str) -> usize {
    let f = pipeprep_bank::embedded_files()
        .into_iter()
        .find(|f| f.rel == file)
        .unwrap();
    let text = edit(&f.text);
    text[..text.find(needle).expect("needle present")]
        .matches('\n')
        .count()
        + 1
}

#[test]
fn every_failure_has_a_kind_the_simulation_can_draw() {
    let bank = pipeprep_bank::embedded().unwrap();
    let mut used = std::collections::BTreeSet::new();
    for s in &bank.scenarios {
        for f in &s.failures {
            used.insert(f.kind.id());
            if let Some(m) = f.outage_min {
                assert!(f.kind.builds_backlog() && m > 0.0, "{}/{}", s.id, f.id);
            }
        }
    }
    // Every kind is drawn by some failure of the bank, so none of the drawings is dead code.
    assert_eq!(
        used.len(),
        pipeprep_bank::FailureKind::ALL.len(),
        "{used:?}"
    );
    let two_hours = bank
        .scenario("clickstream-analytics")
        .unwrap()
        .failures
        .iter()
        .find(|f| f.id == "two-hour-backlog")
        .unwrap();
    assert_eq!(two_hours.kind, pipeprep_bank::FailureKind::Outage);
    assert_eq!(two_hours.outage_min, Some(120.0));
}

#[test]
fn an_unknown_or_missing_failure_kind_is_rejected_with_file_and_line() {
    let file = "scenarios/clickstream-analytics.toml";
    let unknown = |t: &str| t.replacen("kind = \"outage\"", "kind = \"meteor-strike\"", 1);
    let err = bank_with(file, unknown).unwrap_err();
    let line = line_of(file, unknown, "kind = \"meteor-strike\"");
    assert!(
        err.contains(&format!("bank/{file}:{line}"))
            && err.contains("unknown variant `meteor-strike`"),
        "{err}"
    );
    assert!(
        err.contains("broker-loss"),
        "the message lists the kinds: {err}"
    );

    let missing = |t: &str| t.replacen("kind = \"outage\"\n", "", 1);
    let err = bank_with(file, missing).unwrap_err();
    assert!(
        err.contains(&format!("bank/{file}:")) && err.contains("missing field `kind`"),
        "{err}"
    );

    let misplaced = |t: &str| {
        t.replacen(
            "kind = \"hot-key\"\n",
            "kind = \"hot-key\"\noutage_min = 5.0\n",
            1,
        )
    };
    let err = bank_with(file, misplaced).unwrap_err();
    let line = line_of(file, misplaced, "id = \"hot-product-partition\"");
    assert!(
        err.contains(&format!("bank/{file}:{line}"))
            && err.contains("has outage_min but its kind `hot-key` builds no backlog"),
        "{err}"
    );
}
