//! `pipeprep users`: accounts and cohorts in the team database. The settings and errors are
//! tested everywhere; creating accounts needs the PostgreSQL test cluster (PIPEPREP_TEST_DATABASE_URL,
//! which `.ci/run` provides) and prints `SKIPPED: …` without it.

use crate::common::Sandbox;

pub fn cluster() -> Option<String> {
    match std::env::var("PIPEPREP_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("PIPEPREP_REQUIRE_PG").is_none(),
                "PIPEPREP_REQUIRE_PG is set but PIPEPREP_TEST_DATABASE_URL is not"
            );
            println!(
                "SKIPPED: PIPEPREP_TEST_DATABASE_URL is not set — `bash .ci/run` starts a PostgreSQL test cluster"
            );
            None
        }
    }
}

/// A name no other test run has used on the shared test database.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[test]
fn without_a_team_database_users_says_how_to_set_one() {
    let sb = Sandbox::new();
    let run = sb.run(&["users", "add", "ana"]);
    run.expect_code(2);
    let err = run.one_line_error();
    assert!(
        err.contains("--database-url") && err.contains("PIPEPREP_DATABASE_URL"),
        "{err}"
    );
}

#[test]
fn a_bad_database_url_is_one_line_naming_where_it_came_from() {
    let sb = Sandbox::new();
    let run = sb.run(&[
        "users",
        "add",
        "ana",
        "--database-url",
        "postgresql://pp:hunter2@db:notaport/x",
    ]);
    run.expect_code(2);
    let err = run.one_line_error();
    assert!(
        err.starts_with("error: --database-url: the database URL is not valid"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    let run = sb.run_env(
        &["users", "add", "ana"],
        &[(
            "PIPEPREP_DATABASE_URL",
            "postgresql://nouser-host/db?sslmode=require",
        )],
    );
    run.expect_code(2);
    assert!(
        run.one_line_error().contains("PIPEPREP_DATABASE_URL: "),
        "{}",
        run.stderr
    );

    std::fs::write(
        sb.home().join("config.toml"),
        "database_url = \"host=/run/postgresql port=x\"\n",
    )
    .unwrap();
    let run = sb.run(&["users", "add", "ana"]);
    run.expect_code(2);
    let err = run.one_line_error();
    assert!(err.contains("config.toml: database_url: "), "{err}");
}

#[test]
fn a_server_that_does_not_answer_is_a_runtime_error() {
    let sb = Sandbox::new();
    let empty = sb.dir("no-server");
    let url = format!("host={} user=pp dbname=pp", empty.display());
    let run = sb.run(&["users", "add", "ana", "--database-url", &url]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("cannot reach the database"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_admin_adds_accounts_and_a_cohort() {
    let Some(url) = cluster() else { return };
    let sb = Sandbox::new();
    let env = [("PIPEPREP_DATABASE_URL", url.as_str())];
    let ana = unique("ana");
    let teacher = unique("teacher");
    let cohort = unique("cohort");

    // A learner with a generated password, shown once.
    let run = sb.run_env(&["users", "add", &ana], &env);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with(&format!("created learner `{ana}`")),
        "{}",
        run.stdout
    );
    let password = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password")
        .to_string();
    assert_eq!(password.len(), 16);

    // An instructor with a password from stdin, via --database-url this time.
    let run = sb.run_stdin(
        &[
            "users",
            "add",
            &teacher,
            "--instructor",
            "--password-stdin",
            "--database-url",
            &url,
        ],
        b"teach me please\n",
    );
    run.expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("created instructor `{teacher}`")),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("password:"),
        "a given password is not echoed"
    );

    // The passwords work against the store; a taken name is refused.
    let store = pipeprep_store::PgStore::open(&url).unwrap();
    assert!(store.check_login(&ana, &password).unwrap().is_some());
    let lead = store
        .check_login(&teacher, "teach me please")
        .unwrap()
        .unwrap();
    assert_eq!(lead.role, pipeprep_store::Role::Instructor);
    let run = sb.run_env(&["users", "add", &ana], &env);
    run.expect_code(2);
    assert!(run.one_line_error().contains("is taken"), "{}", run.stderr);

    // A cohort, and the learner in it; repeating adds nothing.
    let run = sb.run_env(
        &["users", "cohort", &cohort, "--instructor", &teacher, &ana],
        &env,
    );
    run.expect_code(0);
    assert!(
        run.stdout.contains("created cohort") && run.stdout.contains("1 learner(s) added"),
        "{}",
        run.stdout
    );
    let run = sb.run_env(
        &["users", "cohort", &cohort, "--instructor", &teacher, &ana],
        &env,
    );
    run.expect_code(0);
    assert!(
        !run.stdout.contains("created cohort") && run.stdout.contains("1 already in it"),
        "{}",
        run.stdout
    );
    let progress = store.cohort_progress(&lead, &cohort).unwrap();
    assert_eq!(progress.len(), 1);
    assert_eq!(progress[0].username, ana);

    // A learner cannot lead a cohort.
    let run = sb.run_env(
        &["users", "cohort", &unique("c"), "--instructor", &ana],
        &env,
    );
    run.expect_code(2);
    assert!(
        run.one_line_error().contains("is not an instructor"),
        "{}",
        run.stderr
    );
}
