//! `--help` everywhere, and the commands that are not built yet.

use crate::common::Sandbox;

#[test]
fn root_help_snapshot() {
    let sb = Sandbox::new();
    let run = sb.run(&["--help"]);
    run.expect_code(0);
    insta::assert_snapshot!("root_help", run.stdout);
}

#[test]
fn every_command_has_help_with_its_key_flags() {
    let sb = Sandbox::new();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &[],
            &[
                "practice",
                "grade",
                "scenarios",
                "design",
                "estimate",
                "--scenario",
                "--answers",
                "--seed",
                "--bank",
            ],
        ),
        (
            &["practice"],
            &[
                "--scenario",
                "--answers",
                "--seed",
                "--focus",
                "--difficulty",
                "--llm",
            ],
        ),
        (&["resume"], &["SESSION"]),
        (&["grade"], &["--format", "--scenario", "FILE"]),
        (&["scenarios"], &["list", "show", "validate"]),
        (&["scenarios", "list"], &["--help"]),
        (&["scenarios", "show"], &["--reveal", "<ID>"]),
        (&["scenarios", "validate"], &["[DIR]"]),
        (&["design"], &["render", "lint"]),
        (
            &["design", "render"],
            &["--format", "ascii", "mermaid", "svg"],
        ),
        (&["design", "lint"], &["--scenario", "--strict"]),
        (
            &["estimate"],
            &[
                "--events-per-day",
                "--event-size",
                "--peak-factor",
                "--retention",
                "--format",
            ],
        ),
        (&["history"], &["--help"]),
        (&["progress"], &["--help"]),
        (&["export"], &["--format", "<SESSION>"]),
    ];
    for (cmd, flags) in cases {
        let args = [*cmd, &["--help"]].concat();
        let run = sb.run(&args);
        run.expect_code(0);
        assert!(
            run.stdout.contains("Usage: pipeprep"),
            "{args:?}: no usage line:\n{}",
            run.stdout
        );
        for flag in *flags {
            assert!(
                run.stdout.contains(flag),
                "{args:?}: help does not mention `{flag}`:\n{}",
                run.stdout
            );
        }
        assert!(run.stderr.is_empty(), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn unknown_flag_is_bad_usage() {
    let sb = Sandbox::new();
    let run = sb.run(&["grade", "--no-such-flag"]);
    run.expect_code(2);
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
}

#[test]
fn session_commands_work_before_any_interview() {
    let sb = Sandbox::new();
    let run = sb.run(&["history"]);
    run.expect_code(0);
    assert!(run.stdout.contains("No interviews yet"), "{}", run.stdout);
    let run = sb.run(&["progress"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("No finished interviews yet"),
        "{}",
        run.stdout
    );
    let run = sb.run(&["resume"]);
    run.expect_code(2);
    assert!(
        run.one_line_error().contains("no unfinished interview"),
        "{}",
        run.stderr
    );
    let run = sb.run(&["export", "last"]);
    run.expect_code(2);
    assert!(
        run.one_line_error().contains("no sessions yet"),
        "{}",
        run.stderr
    );
}
