//! The `template-sft` binary: parse the command line, run, turn an error into a message and an exit
//! code. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use template_sft::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.render());
            ExitCode::from(e.exit_code())
        }
    }
}
