//! `template-sft report DIR [--html FILE]`: summarize a dataset version in the terminal, and
//! optionally as a self-contained HTML page with charts.

use std::path::PathBuf;

use crate::console::Console;
use crate::dataset::lengths;
use crate::dataset::version::Version;
use crate::dataset::writer::{refuse_inside_version, write_new_file};
use crate::error::{Error, Result};
use crate::report::{html, terminal, Summary};
use crate::text::Printable;
use crate::tokens::chat_template;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A version directory written by `build`.
    pub dir: PathBuf,
    /// Also write the report as one self-contained HTML file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Examples per split in the HTML sample.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub samples: usize,
    /// Count lengths under this Hugging Face tokenizer.json (PATH or NAME=PATH; chat template from
    /// the tokenizer_config.json beside it) instead of the build's; repeat for several.
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Vec<String>,
    /// Read the version even if its files differ from its manifest.
    #[arg(long)]
    pub no_verify: bool,
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    let dir = if args.no_verify {
        Version::open_unverified(&args.dir)?
    } else {
        Version::open(&args.dir)?
    };
    let mut summary = Summary::load(&dir, args.samples)?;
    if !args.tokenizer.is_empty() {
        let tokenizers = chat_template::load_all(&args.tokenizer)?;
        summary.lengths = lengths::count(&dir, &tokenizers)?;
    }
    // The page first: a reader that closes stdout early (`| head`) must not cost the file.
    if let Some(path) = &args.html {
        refuse_inside_version(path)?;
        let page =
            html::render(&summary).map_err(|why| Error::write(path, std::io::Error::other(why)))?;
        let written = write_new_file(path, page.as_bytes())?;
        console.wrote_instead(path, &written);
        console.info(format!("wrote {}", written.display()));
    }
    terminal::print(&mut Printable(std::io::stdout().lock()), &summary).map_err(Error::stdout)
}
