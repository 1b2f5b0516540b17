//! The `template-sft` binary: parse the command line, run, turn an error into a message and an exit
//! code. Everything else lives in the library.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use template_sft::internals::cli::{error_text, Cli};
use template_sft::internals::code::duration::worker;

/// Hugging Face tokenizers allocate for every piece of every word; with glibc's allocator half of a
/// model-tokenizer count went to malloc and free, with mimalloc it runs 2.2 times as fast (README,
/// "Performance"). The library leaves the choice of allocator to its user.
#[global_allocator]
#[cfg(feature = "mimalloc")]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A child this binary started to run QuickJS evaluations (the watchdog kills it if a built-in
    // never yields).
    if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new(worker::WORKER_ARG)) {
        return worker::serve();
    }
    if let Ok(me) = std::env::current_exe() {
        worker::use_worker_program(me);
    }
    // Ctrl-C or `kill` stops the renderer and removes temporary folders before the tool exits.
    template_sft::internals::cli::handle_interrupts();
    // A parser panic inside a guard is caught and reported as an error; do not also print it.
    template_sft::internals::cli::quiet_guarded_panics();
    let cli = Cli::parse();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        // `| head` closed stdout: the reader has what it wanted.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // A closed stderr must not turn an error into a panic.
            let _ = writeln!(std::io::stderr().lock(), "{}", error_text(&e));
            ExitCode::from(e.exit_code())
        }
    }
}
