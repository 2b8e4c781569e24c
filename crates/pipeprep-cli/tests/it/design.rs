//! `pipeprep design render | lint`.

use crate::common::{CLICKSTREAM_DESIGN, Sandbox, s};

#[test]
fn renders_mermaid() {
    let sb = Sandbox::new();
    let file = sb.write("design.txt", CLICKSTREAM_DESIGN);
    let run = sb.run(&["design", "render", s(&file), "--format", "mermaid"]);
    run.expect_code(0);
    assert!(run.stdout.starts_with("flowchart"), "{}", run.stdout);
    for node in [
        "Click Events",
        "Kafka",
        "Flink (5s window)",
        "Snowflake (Reports)",
    ] {
        assert!(
            run.stdout.contains(node),
            "`{node}` missing:\n{}",
            run.stdout
        );
    }
}

#[test]
fn renders_self_contained_svg() {
    let sb = Sandbox::new();
    let file = sb.write("design.txt", CLICKSTREAM_DESIGN);
    let run = sb.run(&["design", "render", s(&file), "--format", "svg"]);
    run.expect_code(0);
    let svg = run.stdout.trim_start();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..svg.len().min(200)]
    );
    assert!(svg.trim_end().ends_with("</svg>"), "the SVG is complete");
    assert!(
        !svg.to_ascii_lowercase().contains("<script"),
        "SVG has a script"
    );
    assert!(svg.contains("Kafka"));
}

#[test]
fn renders_ascii_by_default_and_on_request() {
    let sb = Sandbox::new();
    let file = sb.write("design.txt", CLICKSTREAM_DESIGN);
    let explicit = sb.run(&["design", "render", s(&file), "--format", "ascii"]);
    explicit.expect_code(0);
    for node in ["Kafka", "Flink", "Redis", "Spark Hourly"] {
        assert!(
            explicit.stdout.contains(node),
            "`{node}` missing:\n{}",
            explicit.stdout
        );
    }
    let default = sb.run(&["design", "render", s(&file)]);
    default.expect_code(0);
    assert_eq!(default.stdout, explicit.stdout);
}

#[test]
fn renders_from_stdin() {
    let sb = Sandbox::new();
    let run = sb.run_stdin(
        &["design", "render", "-", "--format", "mermaid"],
        CLICKSTREAM_DESIGN.as_bytes(),
    );
    run.expect_code(0);
    assert!(run.stdout.starts_with("flowchart"), "{}", run.stdout);
}

#[test]
fn lint_strict_passes_the_reference_clickstream_design() {
    let sb = Sandbox::new();
    let file = sb.write("design.txt", CLICKSTREAM_DESIGN);
    let run = sb.run(&[
        "design",
        "lint",
        s(&file),
        "--scenario",
        "clickstream-analytics",
        "--strict",
    ]);
    run.expect_code(0);
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("error")),
        "no error-level finding expected:\n{}",
        run.stdout
    );
}

#[test]
fn lint_strict_fails_just_lambda_at_clickstream_scale() {
    let sb = Sandbox::new();
    let file = sb.write("lambda.txt", "API Gateway -> Lambda -> DynamoDB\n");
    let args = [
        "design",
        "lint",
        s(&file),
        "--scenario",
        "clickstream-analytics",
    ];
    let run = sb.run(&[&args[..], &["--strict"]].concat());
    run.expect_code(1);
    assert!(run.stdout.contains("Lambda"), "{}", run.stdout);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("error")),
        "an error-level finding:\n{}",
        run.stdout
    );
    // Without --strict the same findings are reported but the exit code is 0.
    let lenient = sb.run(&args);
    lenient.expect_code(0);
    assert_eq!(lenient.stdout, run.stdout);
}

#[test]
fn bad_arrow_line_is_bad_input_with_its_line() {
    let sb = Sandbox::new();
    let file = sb.write("bad.txt", "Kafka -> Flink\nFlink -> -> Redis\n");
    for args in [
        vec!["design", "render", s(&file)],
        vec!["design", "render", s(&file), "--format", "svg"],
        vec!["design", "lint", s(&file)],
    ] {
        let run = sb.run(&args);
        run.expect_code(2);
        let line = run.one_line_error();
        assert!(
            line.contains(&format!("{}:2:", file.display())),
            "{args:?}: {line}"
        );
        assert!(run.stdout.is_empty(), "{args:?}: no partial output");
    }
    let dangling = sb.write("dangling.txt", "Kafka ->\n");
    let run = sb.run(&["design", "render", s(&dangling)]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(
        line.contains(&format!("{}:1:", dangling.display())),
        "{line}"
    );
}

#[test]
fn lint_unknown_scenario_is_bad_input() {
    let sb = Sandbox::new();
    let file = sb.write("design.txt", CLICKSTREAM_DESIGN);
    let run = sb.run(&["design", "lint", s(&file), "--scenario", "nope"]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(line.contains("unknown scenario"), "{line}");
}
