//! One file per subcommand, each the same shape: an `Args` struct (clap) and
//! `pub fn run(args: &Args, console: &Console) -> Result<()>`. They orchestrate library stages and
//! print results; they hold no pipeline logic of their own. `cli.rs` registers them, once.

pub mod briefs;
pub mod build;
pub mod diff;
pub mod eval;
pub mod export;
pub mod init;
pub mod render;
pub mod report;
pub mod synth;
pub mod validate;
