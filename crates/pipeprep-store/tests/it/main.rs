//! The store contract, written against the `Store` trait and run against SQLite and PostgreSQL
//! (the latter when PIPEPREP_TEST_DATABASE_URL names a cluster, as `.ci/run` does), plus each
//! backend's own behaviour: SQLite's files and failures, PostgreSQL's accounts, cohorts and the
//! isolation of one user's sessions from another's.

mod contract;
mod pg;
mod sqlite;
