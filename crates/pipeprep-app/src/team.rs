//! A team's shared database: opening the PostgreSQL store from the resolved setting, and the
//! admin's account commands (create users, form cohorts). Errors the user can fix — a bad URL,
//! a taken name, a short password — are bad input (exit 2), each one line naming its source.

use anyhow::Result;
use pipeprep_store::{PgStore, Role, StoreError, User};

use crate::bad;
use crate::config::DatabaseUrl;

/// Opens the team database and brings its schema up to date.
pub fn open(url: &DatabaseUrl) -> Result<PgStore> {
    PgStore::open(url.url.expose()).map_err(|e| match e {
        StoreError::BadUrl { .. } => bad(format!("{}: {e}", url.source)),
        other => team_error(other),
    })
}

/// What the user can fix is bad input; an unreachable server or a failed query is a runtime
/// failure.
pub fn team_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::BadUrl { .. }
        | StoreError::TooNew { .. }
        | StoreError::Invalid(_)
        | StoreError::UserExists(_)
        | StoreError::NoUser(_)
        | StoreError::NoCohort(_) => bad(e.to_string()),
        other => anyhow::Error::new(other),
    }
}

/// Letters and digits that cannot be mistaken for one another when read aloud or copied.
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A random password of 16 characters (about 92 bits), for an account an admin creates.
pub fn generate_password() -> Result<String> {
    let mut out = String::with_capacity(16);
    let mut buf = [0u8; 64];
    while out.len() < 16 {
        getrandom::fill(&mut buf)
            .map_err(|e| anyhow::anyhow!("cannot get random bytes from the system: {e}"))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        for &b in &buf {
            if usize::from(b) < limit && out.len() < 16 {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

/// Creates an account; returns it with the password when it was generated here.
pub fn add_user(
    store: &PgStore,
    name: &str,
    role: Role,
    password: Option<String>,
) -> Result<(User, Option<String>)> {
    let (password, generated) = match password {
        Some(p) => (p, false),
        None => (generate_password()?, true),
    };
    let user = store
        .create_user(name, &password, role, crate::session::now_ms())
        .map_err(team_error)?;
    Ok((user, generated.then_some(password)))
}

/// Creates the cohort `name` led by `instructor` when it does not exist yet, and adds the
/// learners. Returns whether the cohort is new and the learners that were added (not already
/// members).
pub fn cohort(
    store: &PgStore,
    name: &str,
    instructor: &str,
    learners: &[String],
) -> Result<(bool, Vec<String>)> {
    let lead = store
        .user(instructor)
        .map_err(team_error)?
        .ok_or_else(|| team_error(StoreError::NoUser(instructor.to_string())))?;
    let created = store
        .ensure_cohort(&lead, name, crate::session::now_ms())
        .map_err(team_error)?;
    let mut added = Vec::new();
    for learner in learners {
        if store
            .add_to_cohort(&lead, name, learner)
            .map_err(team_error)?
        {
            added.push(learner.clone());
        }
    }
    Ok((created, added))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_random_and_unambiguous() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.chars().count(), 16);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)), "{a}");
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']), "{a}");
    }
}
