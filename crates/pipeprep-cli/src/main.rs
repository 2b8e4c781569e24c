//! `pipeprep`: the composition root. Parses the command line, runs one command, and is the one
//! place that prints errors (one line, exit 2 for bad input, 1 for runtime failures).

mod cli;
mod cmd;
mod repl;
mod term;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // The reader went away (`pipeprep ... | head`): nothing to report, like any Unix tool.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            let bad = e.downcast_ref::<pipeprep_app::BadInput>().is_some();
            let msg = e.to_string();
            // Bank validation can report several problems, one per line; anything else is one line.
            eprintln!("error: {msg}");
            if !bad {
                for cause in e.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(if bad { 2 } else { 1 })
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        crate::cli::Cli::command().debug_assert();
    }
}
