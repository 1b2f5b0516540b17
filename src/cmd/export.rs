//! `template-sft export DIR --to TARGET OUT`: convert a dataset version for another trainer. The
//! source's manifest must verify; `OUT` is never overwritten (`OUT-1`, `OUT-2`, … instead).

use std::path::PathBuf;

use crate::console::Console;
use crate::error::Result;
use crate::export::{export, ExportTarget};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A version directory written by `build`.
    pub dir: PathBuf,
    /// The layout to write.
    #[arg(long, value_enum)]
    pub to: ExportTarget,
    /// The output directory (the next free OUT-1, OUT-2, … if it exists).
    pub out: PathBuf,
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    let written = export(&args.dir, args.to, &args.out)?;
    console.result(format!("wrote {}", written.display()))
}
