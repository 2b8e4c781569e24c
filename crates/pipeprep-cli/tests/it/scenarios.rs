//! `pipeprep scenarios list | show | validate`.

use std::path::Path;

use crate::common::{Sandbox, bank_file, bank_scenario_ids, line_of, s};

/// The scenario ids DESIGN.md §3 fixes for the spec's problems.
const SPEC_IDS: [&str; 8] = [
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
fn list_shows_every_scenario_including_the_spec_ones() {
    let sb = Sandbox::new();
    let run = sb.run(&["scenarios", "list"]);
    run.expect_code(0);
    for id in SPEC_IDS {
        assert!(
            run.stdout.contains(id),
            "`{id}` missing from:\n{}",
            run.stdout
        );
    }
    for id in bank_scenario_ids() {
        assert!(run.stdout.contains(&id), "bank scenario `{id}` not listed");
    }
    // The footer counts them: "23 scenarios. Start one with ...".
    let count: usize = run
        .stdout
        .lines()
        .find_map(count_line)
        .unwrap_or_else(|| panic!("no `N scenarios.` line in:\n{}", run.stdout));
    assert!(count >= 18, "only {count} scenarios listed");
    assert_eq!(count, bank_scenario_ids().len());
}

/// Parses the footer line `N scenarios. ...`.
fn count_line(l: &str) -> Option<usize> {
    let (n, rest) = l.trim().split_once(' ')?;
    rest.starts_with("scenarios.").then_some(())?;
    n.parse().ok()
}

/// The `value` of every `[[requirement]]` in a scenario file.
fn requirement_values(scenario: &str) -> Vec<String> {
    let doc: toml::Table = bank_file(&format!("scenarios/{scenario}.toml"))
        .parse()
        .expect("scenario file parses as TOML");
    let reqs = doc["requirement"]
        .as_array()
        .expect("[[requirement]] is an array");
    let values: Vec<String> = reqs
        .iter()
        .map(|r| {
            r["value"]
                .as_str()
                .expect("requirement value is a string")
                .trim()
                .to_string()
        })
        .collect();
    assert!(!values.is_empty());
    values
}

#[test]
fn show_hides_requirements_unless_revealed() {
    let sb = Sandbox::new();
    let values = requirement_values("clickstream-analytics");

    let hidden = sb.run(&["scenarios", "show", "clickstream-analytics"]);
    hidden.expect_code(0);
    assert!(hidden.stdout.contains("clickstream-analytics"));
    assert!(
        hidden.stdout.contains("--reveal"),
        "the hidden view should say how to reveal:\n{}",
        hidden.stdout
    );
    for v in &values {
        assert!(
            !hidden.stdout.contains(v.as_str()),
            "hidden requirement leaked without --reveal: {v}"
        );
    }

    let shown = sb.run(&["scenarios", "show", "clickstream-analytics", "--reveal"]);
    shown.expect_code(0);
    for v in &values {
        assert!(
            shown.stdout.contains(v.as_str()),
            "--reveal does not show the requirement: {v}\n{}",
            shown.stdout
        );
    }
}

#[test]
fn show_unknown_scenario_is_bad_input() {
    let sb = Sandbox::new();
    let run = sb.run(&["scenarios", "show", "clickstrem-analytics"]);
    run.expect_code(2);
    let line = run.one_line_error();
    assert!(line.contains("clickstream-analytics"), "{line}");
}

#[test]
fn validate_builtin_bank_is_ok() {
    let sb = Sandbox::new();
    let run = sb.run(&["scenarios", "validate"]);
    run.expect_code(0);
    assert!(run.stdout.contains("ok:"), "{}", run.stdout);
}

/// `late-arrivals.toml` with its id changed to `id`.
fn late_arrivals_as(id: &str) -> String {
    let src = bank_file("scenarios/late-arrivals.toml");
    let first = src.lines().next().expect("non-empty");
    assert_eq!(
        first, r#"id = "late-arrivals""#,
        "the id is on the first line"
    );
    format!("id = \"{id}\"{}", &src[first.len()..])
}

/// Replaces the 1-based line `n` of `text`.
fn replace_line(text: &str, n: usize, with: &str) -> String {
    let mut out: Vec<&str> = text.lines().collect();
    out[n - 1] = with;
    out.join("\n") + "\n"
}

/// The four broken scenario files and the line each problem is on (when it is exact).
struct Broken {
    unknown_concept: (String, usize),
    short_hints: (String, usize, usize),
    bad_arrow: (String, usize),
    bad_toml: (String, usize),
}

fn broken_files() -> Broken {
    // (a) an unknown concept id at the front of the first `expects` list.
    let a = late_arrivals_as("bad-concept");
    let n = line_of(&a, "expects = [");
    let line = a.lines().nth(n - 1).unwrap().replacen(
        "expects = [",
        "expects = [\"no-such-concept-zzz\", ",
        1,
    );
    let a = replace_line(&a, n, &line);
    let a_line = line_of(&a, "no-such-concept-zzz");

    // (b) the first hint ladder with its last level removed (3 levels instead of 4).
    let b = late_arrivals_as("short-hints");
    let hints = line_of(&b, "[[hints]]");
    let lines: Vec<&str> = b.lines().collect();
    let levels = hints
        + lines[hints..]
            .iter()
            .position(|l| l.starts_with("levels = ["))
            .expect("the first ladder has levels")
        + 1;
    let close = levels
        + lines[levels..]
            .iter()
            .position(|l| l.trim() == "]")
            .expect("the levels list closes")
        + 1;
    assert_eq!(
        close - levels - 1,
        4,
        "late-arrivals' first ladder has 4 levels"
    );
    let mut kept: Vec<&str> = lines.clone();
    kept.remove(close - 2); // the 4th level, just above the closing `]`
    let b = kept.join("\n") + "\n";
    // The ladder now spans [[hints]] .. the closing `]` one line higher.
    let b_span = (hints, close - 1);

    // (c) a reference architecture line with two arrows in a row.
    let c = late_arrivals_as("bad-arrow");
    let arch = line_of(&c, "architecture = \"\"\"");
    let mut lines: Vec<&str> = c.lines().collect();
    lines.insert(arch, "Kafka -> -> Flink");
    let c = lines.join("\n") + "\n";
    let c_line = line_of(&c, "Kafka -> -> Flink");

    // (d) invalid TOML: the title's string is never closed.
    let d = late_arrivals_as("bad-toml");
    let t = line_of(&d, "title = \"");
    let title = d
        .lines()
        .nth(t - 1)
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    let d = replace_line(&d, t, &title);
    let d_line = line_of(&d, &title);

    Broken {
        unknown_concept: (a, a_line),
        short_hints: (b, b_span.0, b_span.1),
        bad_arrow: (c, c_line),
        bad_toml: (d, d_line),
    }
}

/// The line number stderr reports for `file`, from its first `file:LINE:` prefix.
fn reported_line(stderr: &str, file: &Path) -> usize {
    let prefix = format!("{}:", file.display());
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("stderr does not name {}:\n{stderr}", file.display()));
    let rest = &line[prefix.len()..];
    let (n, _) = rest
        .split_once(':')
        .unwrap_or_else(|| panic!("no `:LINE:` after the file name in `{line}`"));
    n.parse()
        .unwrap_or_else(|_| panic!("`{n}` is not a line number in `{line}`"))
}

#[test]
fn validate_dir_reports_each_broken_file_with_its_line() {
    let sb = Sandbox::new();
    let dir = sb.dir("mybank");
    let scenarios = dir.join("scenarios");
    let broken = broken_files();
    let files = [
        ("bad-concept.toml", &broken.unknown_concept.0),
        ("short-hints.toml", &broken.short_hints.0),
        ("bad-arrow.toml", &broken.bad_arrow.0),
        ("bad-toml.toml", &broken.bad_toml.0),
    ];
    for (name, text) in files {
        sb.write(&format!("mybank/scenarios/{name}"), text);
    }

    let run = sb.run(&["scenarios", "validate", s(&dir)]);
    run.expect_code(2);
    let err = &run.stderr;

    // Each file is named with a line number.
    for (name, _) in files {
        reported_line(err, &scenarios.join(name));
    }
    // (a) and (d) point at the exact line; (c) at the bad arrow line; (b) inside the ladder.
    assert_eq!(
        reported_line(err, &scenarios.join("bad-concept.toml")),
        broken.unknown_concept.1,
        "unknown concept line\n{err}"
    );
    assert_eq!(
        reported_line(err, &scenarios.join("bad-toml.toml")),
        broken.bad_toml.1,
        "unclosed string line\n{err}"
    );
    assert_eq!(
        reported_line(err, &scenarios.join("bad-arrow.toml")),
        broken.bad_arrow.1,
        "bad arrow line\n{err}"
    );
    let hl = reported_line(err, &scenarios.join("short-hints.toml"));
    let (from, to) = (broken.short_hints.1, broken.short_hints.2);
    assert!(
        (from..=to).contains(&hl),
        "short ladder reported at line {hl}, outside the ladder at lines {from}..={to}\n{err}"
    );

    // Every problem line reads `path:line: message — fix`.
    let problems: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with(&format!("{}/", scenarios.display())))
        .collect();
    assert!(problems.len() >= 4, "{err}");
    for l in &problems {
        let (path, rest) = l
            .split_once(".toml:")
            .unwrap_or_else(|| panic!("no `.toml:` in `{l}`"));
        assert!(!path.is_empty());
        let (n, rest) = rest
            .split_once(": ")
            .unwrap_or_else(|| panic!("no `:LINE: ` in `{l}`"));
        assert!(
            !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()),
            "`{n}` is not a line number in `{l}`"
        );
        let (message, fix) = rest
            .split_once(" — ")
            .unwrap_or_else(|| panic!("no ` — fix` in `{l}`"));
        assert!(
            !message.trim().is_empty() && !fix.trim().is_empty(),
            "empty message or fix in `{l}`"
        );
    }
    // The concept error names the unknown id.
    assert!(err.contains("no-such-concept-zzz"), "{err}");
    // Nothing is printed to stdout as if it were fine.
    assert!(!run.stdout.contains("ok:"), "{}", run.stdout);
}

#[test]
fn validate_dir_with_a_good_copy_is_ok() {
    let sb = Sandbox::new();
    let dir = sb.dir("goodbank");
    sb.write(
        "goodbank/scenarios/my-late-arrivals.toml",
        late_arrivals_as("my-late-arrivals"),
    );
    let run = sb.run(&["scenarios", "validate", s(&dir)]);
    run.expect_code(0);
    assert!(run.stdout.contains("ok:"), "{}", run.stdout);
}

#[test]
fn a_pattern_too_large_to_compile_is_reported_at_its_line() {
    let sb = Sandbox::new();
    let dir = sb.dir("mybank");
    let text = "\
# One concept whose pattern is valid syntax but compiles past the regex size limit.

[[concept]]
id = \"huge-pattern\"
dimensions = [\"architecture_design\"]
terms = [\"huge pattern\"]
patterns = ['(\\w{1000}){1000}']
explain = \"A pattern no one should write.\"
";
    sb.write("mybank/concepts/huge.toml", text);
    let run = sb.run(&["scenarios", "validate", s(&dir)]);
    run.expect_code(2);
    let file = dir.join("concepts").join("huge.toml");
    let err = &run.stderr;
    assert_eq!(reported_line(err, &file), 7, "{err}");
    assert!(err.contains("huge-pattern"), "{err}");
    assert!(err.contains("too large"), "{err}");
}
