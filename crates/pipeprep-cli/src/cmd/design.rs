//! `pipeprep design render | lint`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use pipeprep_app::bad;
use pipeprep_design::lint::{LintContext, Severity, lint};
use pipeprep_design::{arrow, render};

use crate::cli::{DesignCmd, DiagramFormat};

fn parse(file: &str, k: &pipeprep_core::Knowledge) -> Result<pipeprep_design::DesignGraph> {
    let (name, text) = super::read_text(file)?;
    let mut g = arrow::parse(&text).map_err(|e| {
        bad(format!(
            "{name}:{}: {} — see docs/arrow-notation.md",
            e.line, e.message
        ))
    })?;
    g.resolve(&k.bank.catalog);
    Ok(g)
}

pub fn run(bank: Option<&Path>, cmd: DesignCmd) -> Result<ExitCode> {
    let ctx = super::load(bank)?;
    let k = &ctx.knowledge;
    match cmd {
        DesignCmd::Render { file, format } => {
            let g = parse(&file, k)?;
            let out = match format {
                DiagramFormat::Ascii => render::ascii(&g, &k.bank.catalog),
                DiagramFormat::Mermaid => render::mermaid(&g),
                DiagramFormat::Svg => render::svg(&g, &k.bank.catalog),
            };
            print!("{out}");
            if !out.ends_with('\n') {
                println!();
            }
            Ok(ExitCode::SUCCESS)
        }
        DesignCmd::Lint {
            file,
            scenario,
            strict,
        } => {
            let g = parse(&file, k)?;
            let ctx = match &scenario {
                Some(id) => {
                    let s = k
                        .scenario(id)
                        .ok_or_else(|| pipeprep_app::unknown_scenario(&k.bank, id))?;
                    pipeprep_core::interview::lint_context(&s.params, Vec::new())
                }
                None => LintContext::default(),
            };
            let findings = lint(&g, &k.bank.catalog, &k.bank.prices, &ctx);
            let mut errors = 0;
            for f in &findings {
                let sev = match f.severity {
                    Severity::Error => {
                        errors += 1;
                        "error"
                    }
                    Severity::Warning => "warning",
                    Severity::Info => "info",
                };
                println!(
                    "{sev}[{}]: {}\n  suggestion: {}",
                    f.rule, f.message, f.suggestion
                );
            }
            if findings.is_empty() {
                println!("no findings");
            }
            Ok(if strict && errors > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
