//! `pipeprep scenarios list | show | validate`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets};
use pipeprep_bank::Dimension;

use crate::cli::ScenariosCmd;

pub fn run(bank: Option<&Path>, cmd: ScenariosCmd) -> Result<ExitCode> {
    match cmd {
        ScenariosCmd::Validate { dir } => validate(bank, dir.as_deref()),
        ScenariosCmd::List => {
            let ctx = super::load(bank)?;
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
            t.set_header(vec!["id", "title", "difficulty", "tags"]);
            let mut scenarios: Vec<_> = ctx.knowledge.bank.scenarios.iter().collect();
            scenarios.sort_by(|a, b| a.id.cmp(&b.id));
            for s in &scenarios {
                t.add_row(vec![
                    s.id.clone(),
                    s.title.clone(),
                    s.difficulty.as_str().to_string(),
                    s.tags.join(", "),
                ]);
            }
            println!("{t}");
            println!(
                "{} scenarios. Start one with `pipeprep practice --scenario ID`.",
                scenarios.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        ScenariosCmd::Show { id, reveal } => {
            let ctx = super::load(bank)?;
            let k = &ctx.knowledge;
            let s = k
                .scenario(&id)
                .ok_or_else(|| pipeprep_app::unknown_scenario(&k.bank, &id))?;
            let mut o = String::new();
            let _ = writeln!(o, "# {} ({})\n", s.title, s.id);
            let _ = writeln!(
                o,
                "Difficulty: {} · Tags: {}\n",
                s.difficulty.as_str(),
                s.tags.join(", ")
            );
            let _ = writeln!(o, "{}\n", s.prompt.trim());
            if !reveal {
                let _ = writeln!(
                    o,
                    "({} hidden requirements, a reference design, {} failure scenarios and {} hint ladders are not shown; add --reveal to see them.)",
                    s.requirements.len(),
                    s.failures.len(),
                    s.hints.len()
                );
            } else {
                let _ = writeln!(o, "## Hidden requirements");
                for r in &s.requirements {
                    let star = if r.essential { " (essential)" } else { "" };
                    let _ = writeln!(o, "- [{}]{star} {}", r.topic, r.value.trim());
                }
                let _ = writeln!(o, "\n## Reference design\n");
                let g = pipeprep_design::arrow::parse(&s.reference.architecture);
                match g {
                    Ok(mut g) => {
                        g.resolve(&k.bank.catalog);
                        let _ =
                            writeln!(o, "{}", pipeprep_design::render::ascii(&g, &k.bank.catalog));
                    }
                    Err(_) => {
                        let _ = writeln!(o, "{}", s.reference.architecture.trim());
                    }
                }
                if !s.reference.why.trim().is_empty() {
                    let _ = writeln!(o, "{}\n", s.reference.why.trim());
                }
                for c in &s.reference.components {
                    let _ = writeln!(o, "- **{}**: {}", c.component, c.why.trim());
                }
                let _ = writeln!(o, "\n## Trade-offs");
                for t in &s.tradeoffs {
                    let _ = writeln!(o, "- {}: {}", t.decision, t.discussion.trim());
                }
                let _ = writeln!(o, "\n## Failure scenarios");
                for f in &s.failures {
                    let _ = writeln!(o, "- {}: {}", f.id, f.prompt.trim());
                    let _ = writeln!(
                        o,
                        "  detection: {} · recovery: {} · prevention: {}",
                        f.detection.join(", "),
                        f.recovery.join(", "),
                        f.prevention.join(", ")
                    );
                }
                let _ = writeln!(o, "\n## Hint ladders");
                for h in &s.hints {
                    let _ = writeln!(o, "- {}:", h.area);
                    for (i, l) in h.levels.iter().enumerate() {
                        let _ = writeln!(o, "  {}. {}", i + 1, l.trim());
                    }
                }
                let _ = writeln!(o, "\n## What each level looks like here");
                for d in Dimension::ALL {
                    if let Some(e) = s.expectation(d) {
                        let _ = writeln!(
                            o,
                            "- {}: intermediate {}; expert {}",
                            d.title(),
                            e.intermediate.join(", "),
                            e.expert.join(", ")
                        );
                    }
                }
            }
            print!(
                "{}",
                crate::term::markdown(&o, crate::term::color_enabled())
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn validate(bank: Option<&Path>, dir: Option<&Path>) -> Result<ExitCode> {
    // Validate DIR merged over the built-in bank (so a directory with only scenarios can use the
    // built-in lexicon), or the built-in bank plus the configured overlay when no DIR is given.
    let target = match dir {
        Some(d) => Some(d.to_path_buf()),
        None => {
            let dirs = pipeprep_app::config::Dirs::discover()?;
            let file = pipeprep_app::config::read_config(&dirs.config_file())?;
            pipeprep_app::config::bank_dir(bank, &file)
        }
    };
    let mut layers = vec![pipeprep_bank::embedded_files()];
    if let Some(d) = &target {
        layers.push(pipeprep_app::read_bank_dir(d)?);
    }
    match pipeprep_bank::load_layers(&layers) {
        Ok(b) => {
            // The lexicon must also build (regex patterns).
            let n = b.scenarios.len();
            let c = b.concepts.len();
            let comp = b.catalog.components().len();
            pipeprep_app::knowledge(b)?;
            let what = target
                .as_ref()
                .map_or("the built-in bank".to_string(), |d| {
                    format!("`{}` (over the built-in bank)", d.display())
                });
            println!("ok: {what}: {n} scenarios, {c} concepts, {comp} components");
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for p in &problems.0 {
                eprintln!("{p}");
            }
            let n = problems.0.len();
            eprintln!("{n} {} found", if n == 1 { "problem" } else { "problems" });
            Ok(ExitCode::from(2))
        }
    }
}
