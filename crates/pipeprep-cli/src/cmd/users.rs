//! `pipeprep users`: accounts and cohorts in a team's PostgreSQL database.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pipeprep_app::{bad, config, team};
use pipeprep_store::Role;

use crate::cli::{UsersArgs, UsersCmd};

pub fn run(args: UsersArgs) -> Result<ExitCode> {
    let file = super::read_file_config()?;
    let path = config::Dirs::discover()?.config_file();
    let Some(url) = config::database_url(args.database_url.as_deref(), &file, &path) else {
        return Err(bad(
            "no team database — pass --database-url URL, set PIPEPREP_DATABASE_URL or `database_url` in the config file (see README, For teams)",
        ));
    };
    let store = team::open(&url)?;
    match args.command {
        UsersCmd::Add {
            name,
            instructor,
            password_stdin,
        } => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let role = if instructor {
                Role::Instructor
            } else {
                Role::Learner
            };
            let (user, generated) = team::add_user(&store, &name, role, password)?;
            println!(
                "created {} `{}` in {}",
                user.role.as_str(),
                user.username,
                store.shown()
            );
            if let Some(p) = generated {
                println!("password: {p}");
                eprintln!("(shown only now — give it to {} privately)", user.username);
            }
        }
        UsersCmd::Cohort {
            name,
            instructor,
            learners,
        } => {
            let (created, added) = team::cohort(&store, &name, &instructor, &learners)?;
            if created {
                println!("created cohort `{name}` led by `{instructor}`");
            }
            let already = learners.len() - added.len();
            println!(
                "cohort `{name}`: {} learner(s) added{}",
                added.len(),
                if already > 0 {
                    format!(", {already} already in it")
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The first line of standard input, without its line break.
fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(bad(
            "--password-stdin: standard input has no password on its first line — pipe one in, e.g. `printf '%s\\n' \"$PW\" | pipeprep users add NAME --password-stdin`",
        ));
    }
    Ok(password)
}
