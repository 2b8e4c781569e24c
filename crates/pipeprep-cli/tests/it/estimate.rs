//! `pipeprep estimate`.

use crate::common::Sandbox;

/// The figure with `id` in `estimate --format json` output.
fn figure(v: &serde_json::Value, id: &str) -> f64 {
    v["figures"]
        .as_array()
        .expect("figures array")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no figure `{id}` in {v}"))["value"]
        .as_f64()
        .expect("numeric value")
}

#[test]
fn json_has_the_average_and_peak_rates() {
    let sb = Sandbox::new();
    let run = sb.run(&[
        "estimate",
        "--events-per-day",
        "1B",
        "--event-size",
        "1KiB",
        "--peak-factor",
        "5",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout));
    let avg = figure(&v, "events-per-sec-avg");
    assert!((avg - 11_574.07).abs() < 1.0, "average events/s {avg}");
    let peak = figure(&v, "events-per-sec-peak");
    assert!((peak - 5.0 * avg).abs() < 1.0, "peak events/s {peak}");
}

#[test]
fn text_output_shows_the_arithmetic() {
    let sb = Sandbox::new();
    let run = sb.run(&["estimate", "--events-per-day", "1B", "--event-size", "1KiB"]);
    run.expect_code(0);
    assert!(run.stdout.contains("11,574"), "{}", run.stdout);
    assert!(
        run.stdout.contains("86,400"),
        "the formula is shown:\n{}",
        run.stdout
    );
}

#[test]
fn bad_numbers_are_one_line_errors() {
    let sb = Sandbox::new();
    for (args, mentions) in [
        (vec!["--events-per-day", "-5", "--event-size", "1KB"], "-5"),
        (vec!["--events-per-day", "1B", "--event-size", "1XB"], "1XB"),
        (
            vec![
                "--events-per-day",
                "1B",
                "--event-size",
                "1KB",
                "--peak-factor",
                "0.5",
            ],
            "0.5",
        ),
    ] {
        let run = sb.run(&[&["estimate"][..], &args].concat());
        run.expect_code(2);
        let line = run.one_line_error();
        assert!(line.contains(mentions), "{args:?}: {line}");
        assert!(run.stdout.is_empty(), "{args:?}: no partial output");
    }
}

#[test]
fn non_finite_and_absurd_values_are_refused_with_the_accepted_range() {
    let sb = Sandbox::new();
    let base = ["estimate", "--events-per-day", "1B", "--event-size", "1KB"];
    for (flag, value, range) in [
        ("--peak-factor", "1e309", "1 to 1000"),
        ("--peak-factor", "NaN", "1 to 1000"),
        ("--peak-factor", "inf", "1 to 1000"),
        ("--peak-factor", "1e308", "1 to 1000"),
        ("--compression", "1e308", "1 to 1000"),
        ("--compression", "NaN", "1 to 1000"),
        ("--bloom-fpr", "NaN", "0.000000000001"),
        ("--retention", "1e300y", "100 years"),
        ("--dedup-window", "1e300d", "10 years"),
        ("--event-size", "1e300GB", "1 GB"),
        ("--events-per-day", "1e300", "8.64e15"),
    ] {
        let mut args: Vec<&str> = base.to_vec();
        match args.iter().position(|a| *a == flag) {
            Some(i) => args[i + 1] = value,
            None => args.extend([flag, value]),
        }
        let run = sb.run(&args);
        run.expect_code(2);
        let line = run.one_line_error();
        assert!(
            line.contains(&format!("`{value}`")),
            "{flag} {value}: {line}"
        );
        assert!(line.contains(range), "{flag} {value}: {line}");
        assert!(!line.contains("below 1"), "{flag} {value}: {line}");
        assert!(run.stdout.is_empty(), "{flag} {value}: no partial output");
    }
    let run = sb.run(&[
        "estimate",
        "--events-per-sec",
        "1e300",
        "--event-size",
        "1KB",
    ]);
    run.expect_code(2);
    assert!(run.one_line_error().contains("`1e300`"), "{}", run.stderr);
}
