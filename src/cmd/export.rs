//! `template-sft export DIR --to TARGET OUT`: convert a dataset version for another trainer. The
//! source's manifest must verify; `OUT` is never overwritten (`OUT-1`, `OUT-2`, … instead).

use std::path::PathBuf;

use crate::console::Console;
use crate::error::Result;
use crate::export::{export, ExportOptions, ExportTarget};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A version directory written by `build`.
    pub dir: PathBuf,
    /// The layout to write.
    #[arg(long, value_enum)]
    pub to: ExportTarget,
    /// The output directory (the next free OUT-1, OUT-2, … if it exists).
    pub out: PathBuf,
    /// Count lengths under this Hugging Face tokenizer.json (PATH or NAME=PATH; chat template from
    /// the tokenizer_config.json beside it) instead of the build's; repeat for several. The
    /// trainer configs get a length that holds every example under each.
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Vec<String>,
    /// The model the trainer configs fine-tune (model_name_or_path, base_model, the TRL script's
    /// default), e.g. Qwen/Qwen2.5-Coder-7B-Instruct.
    #[arg(long, value_name = "NAME")]
    pub base_model: Option<String>,
    /// Let the trainer run code that comes with the model (trust_remote_code); none of the model
    /// families the configs name needs it.
    #[arg(long)]
    pub trust_remote_code: bool,
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    let options = ExportOptions {
        tokenizers: args.tokenizer.clone(),
        base_model: args.base_model.clone(),
        trust_remote_code: args.trust_remote_code,
    };
    let exported = export(&args.dir, args.to, &args.out, &options)?;
    for warning in &exported.warnings {
        console.diagnostic(warning);
    }
    console.result(format!("wrote {}", exported.path.display()))
}
