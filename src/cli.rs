//! The command line: global flags and the one place subcommands are registered.
//!
//! Takes `argv`; gives a parsed [`Cli`] whose [`Cli::run`] dispatches to `cmd::<name>::run`.

use clap::{Parser, Subcommand};

use crate::cmd;
use crate::console::{Console, Verbosity};
use crate::error::Result;

#[derive(Debug, Parser)]
#[command(
    name = "template-sft",
    version,
    about = "Turn a template catalog and its production code into a fine-tuning dataset"
)]
/// The command line: global flags and one subcommand.
pub struct Cli {
    /// More detail on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a new dataset version from template-sft.toml.
    Build(cmd::build::Args),
    /// Check chat-format JSONL files or a dataset directory for a fine-tuning target.
    Validate(cmd::validate::Args),
    /// Summarize a dataset version (terminal, and --html for a self-contained page with charts).
    Report(cmd::report::Args),
    /// Compare two dataset versions.
    Diff(cmd::diff::Args),
    /// Convert a dataset version for Hugging Face datasets, LLaMA-Factory, Axolotl or TRL.
    Export(cmd::export::Args),
    /// Score a model's outputs on a version's held-out split (`eval prepare` writes the prompts).
    Eval(cmd::eval::Args),
    /// More briefs per template from a model (instruction backtranslation), verified against the
    /// code: `briefs prepare` writes the Batch API requests, `briefs ingest` keeps the true, new
    /// briefs of the batch's output.
    Briefs(cmd::briefs::Args),
    /// Write a commented template-sft.toml.
    Init(cmd::init::Args),
    /// Render scenes with Remotion in headless Chromium and print each one's verdict.
    Render(cmd::render::Args),
    /// Write a synthetic project (benchmarks, scale tests).
    #[command(hide = true)]
    Synth(cmd::synth::Args),
}

impl Cli {
    /// Run the subcommand.
    pub fn run(&self) -> Result<()> {
        let console = Console::new(if self.quiet {
            Verbosity::Quiet
        } else if self.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        });
        let result = match &self.command {
            Command::Build(args) => cmd::build::run(args, &console),
            Command::Render(args) => cmd::render::run(args, &console),
            Command::Validate(args) => cmd::validate::run(args, &console),
            Command::Report(args) => cmd::report::run(args, &console),
            Command::Diff(args) => cmd::diff::run(args, &console),
            Command::Export(args) => cmd::export::run(args, &console),
            Command::Eval(args) => cmd::eval::run(args, &console),
            Command::Briefs(args) => cmd::briefs::run(args, &console),
            Command::Init(args) => cmd::init::run(args, &console),
            Command::Synth(args) => cmd::synth::run(args, &console),
        };
        // Whatever happened, the warnings that were only counted are accounted for.
        console.close();
        result
    }
}
