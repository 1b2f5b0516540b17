//! `template-sft synth DIR` (hidden): write a synthetic project for benchmarks and scale tests.

use std::path::PathBuf;

use crate::console::Console;
use crate::error::{wording, Result};
use crate::synth::{write_project, Options};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write the project into (must not exist, or be empty).
    pub dir: PathBuf,
    #[arg(long, default_value_t = 1000)]
    pub templates: usize,
    /// Curated prompts per template (half in each JSONL shape).
    #[arg(long, default_value_t = 4)]
    pub prompts: usize,
    /// Median size of a scene in bytes (sizes are log-normal, 1–25 KB).
    #[arg(long, default_value_t = 8192)]
    pub median_code_bytes: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of templates (0–1) that are near-copies of an earlier one (a quarter identical).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub near_copies: f64,
    /// Templates in families of N near-identical variants of one scene (colours, brand words and
    /// a few numbers changed), as real catalogs grow; 0: none.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub family_size: usize,
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    if std::fs::read_dir(&args.dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(wording::not_empty(&args.dir, "a synthetic project"));
    }
    write_project(
        &args.dir,
        &Options {
            templates: args.templates,
            prompts_per_template: args.prompts,
            median_code_bytes: args.median_code_bytes,
            seed: args.seed,
            near_copies: args.near_copies,
            family_size: args.family_size,
        },
    )?;
    console.info(format!(
        "wrote a synthetic project of {} templates to {}",
        args.templates,
        args.dir.display()
    ));
    Ok(())
}
