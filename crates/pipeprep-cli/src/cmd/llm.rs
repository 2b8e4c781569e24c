//! `pipeprep llm check`: does the configured LLM answer, and how fast.

use std::process::ExitCode;

use anyhow::Result;
use pipeprep_app::bad;

use crate::cli::LlmCmd;

pub fn run(cmd: LlmCmd) -> Result<ExitCode> {
    match cmd {
        LlmCmd::Check { llm } => check(llm.as_deref()),
    }
}

fn check(flag: Option<&str>) -> Result<ExitCode> {
    let file = super::read_file_config()?;
    let sel = pipeprep_app::llm::select(flag, &file)?.ok_or_else(|| {
        bad("no LLM configured — pass --llm provider:MODEL, or set `llm = \"provider:MODEL\"` in the config file")
    })?;
    println!("checking {} at {}", sel.spec, sel.spec.base_url);
    match pipeprep_app::llm::check(&sel)? {
        Ok(report) => {
            println!("reachable: yes");
            println!("provider: {}", report.provider);
            println!("model: {}", report.model);
            println!("latency: {} ms (one short completion)", report.latency_ms);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("reachable: no");
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
