//! The `template-sft` binary: parse the command line, run, turn an error into a message and an exit
//! code. Everything else lives in the library.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use template_sft::cli::Cli;

fn main() -> ExitCode {
    // A parser panic inside a guard is caught and reported as an error; do not also print it.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !template_sft::parse_guard::in_guarded() {
            default_hook(info);
        }
    }));
    let cli = Cli::parse();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed stderr must not turn an error into a panic.
            let _ = writeln!(std::io::stderr().lock(), "{}", e.render());
            ExitCode::from(e.exit_code())
        }
    }
}
