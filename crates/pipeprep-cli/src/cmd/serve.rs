//! `pipeprep serve`: the web app over the same sessions database, engine and voice; with a team
//! database (`--database-url`), the multi-user server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use pipeprep_app::{config, team};
use pipeprep_store::Store;

use crate::cli::ServeArgs;

pub fn run(bank: Option<&Path>, db: Option<&Path>, args: ServeArgs) -> Result<ExitCode> {
    let ctx = super::load(bank)?;
    let llm = pipeprep_app::llm::select(args.llm.as_deref(), &ctx.file)?;
    if let Some(sel) = &llm {
        // A spec whose key is missing fails now, not at the first page.
        pipeprep_app::llm::voice(sel)?;
    }
    let config_path = config::Dirs::discover()?.config_file();
    if let Some(url) = config::database_url(args.database_url.as_deref(), &ctx.file, &config_path) {
        // Connect and migrate now, so a wrong URL or a server that is down is reported before
        // the server starts listening.
        // The banner says the mode and the database (without a password) once it listens.
        let pg = team::open(&url)?;
        let t = pipeprep_web::team::Team::new(pg, Arc::new(ctx.knowledge), llm, !args.no_signup);
        pipeprep_web::team::run_blocking(t, args.addr, args.open)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.no_signup {
        return Err(pipeprep_app::bad(
            "--no-signup needs multi-user mode — pass --database-url URL (or set PIPEPREP_DATABASE_URL)",
        ));
    }
    let path: PathBuf = pipeprep_app::session::db_path(db)?;
    // Open once now, so a bad or foreign file is reported before the server starts.
    pipeprep_app::session::open_store(Some(&path))?;
    let open_store: pipeprep_web::OpenStore = Arc::new(move || {
        let s = pipeprep_app::session::open_store(Some(&path))?;
        Ok(Box::new(s) as Box<dyn Store>)
    });
    let shared = pipeprep_web::Shared::new(ctx.knowledge, open_store, llm);
    pipeprep_web::run_blocking(shared, args.addr, args.open)?;
    Ok(ExitCode::SUCCESS)
}
