//! The store contract, written against the `Store` trait so a PostgreSQL implementation can run
//! the same suite; today it runs against SQLite. Plus SQLite's failure behaviour.

mod contract;
mod sqlite;
