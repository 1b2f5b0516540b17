//! `template-sft briefs prepare [-c CONFIG] OUT` writes one Batch API request per template asking a
//! model for briefs of its code; `template-sft briefs ingest RESULTS… [-c CONFIG] OUT` keeps the
//! briefs of the batch's output that are true to their code and new, and says why each other one
//! was dropped.

use std::io::Write;
use std::path::PathBuf;

use crate::briefs::{self, PrepareOptions};
use crate::config::Config;
use crate::console::Console;
use crate::error::{count, wording, Error, Result};
use crate::text::{printable, thousands};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write one Batch API request per template whose code passes the gate, asking a model for
    /// briefs a user would type to get that scene (OpenAI, Together, `vllm run-batch`).
    Prepare(PrepareArgs),
    /// Keep the briefs of a batch's output that are true to their template's code and new, as a
    /// prompt file for `prompts.generated`; every brief dropped is listed with its reason.
    Ingest(IngestArgs),
}

#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    /// The project config (a folder means its template-sft.toml).
    #[arg(short, long, default_value = "template-sft.toml", value_name = "FILE")]
    pub config: PathBuf,
    /// The request file to write (never over a file: a taken name gets the next free one).
    pub out: PathBuf,
    /// Briefs asked per template (1 to 50).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub per_template: usize,
    /// The model to ask (default: tokens.model).
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Most tokens per reply (default: 100 per brief plus 256, rounded up to 256; a reasoning
    /// model gets 4,096 more).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Sampling temperature, 0 to 2 (varied briefs want some).
    #[arg(long, value_name = "T", default_value_t = 1.0)]
    pub temperature: f64,
    /// Only the first N templates of the catalog.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// The project config (a folder means its template-sft.toml).
    #[arg(short, long, default_value = "template-sft.toml", value_name = "FILE")]
    pub config: PathBuf,
    /// The batch's output files (retries may be concatenated: the last success counts), then the
    /// prompt file to write (never over a file).
    #[arg(required = true, num_args = 2.., value_name = "RESULTS… OUT")]
    pub files: Vec<PathBuf>,
    /// Print the summary and every drop as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    match &args.command {
        Command::Prepare(p) => prepare(p, console),
        Command::Ingest(i) => ingest(i, console),
    }
}

fn prepare(p: &PrepareArgs, console: &Console) -> Result<()> {
    if !(0.0..=2.0).contains(&p.temperature) {
        return Err(wording::out_of_range(
            "--temperature",
            "between 0 and 2",
            p.temperature,
        ));
    }
    let config = Config::read(&p.config)?;
    let options = PrepareOptions {
        per_template: p.per_template,
        model: p.model.clone(),
        max_tokens: p.max_tokens,
        temperature: p.temperature,
        limit: p.limit,
    };
    let prepared = briefs::prepare(&config, &options, &p.out)?;
    for diagnostic in &prepared.gated.diagnostics {
        console.diagnostic(diagnostic);
    }
    left_out(console, &prepared.gated);
    for note in &prepared.notes {
        console.warn(None, note);
    }
    console.wrote_instead(&p.out, &prepared.out);
    let files: Vec<String> = prepared
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    console.result(format!(
        "wrote {}: {} for {} ({} briefs each, tag {}); {} input tokens (tokens.model's encoding), at most {} output tokens (max_tokens {})",
        files.join(", "),
        count(prepared.requests, "request"),
        prepared.model,
        p.per_template,
        prepared.tag,
        thousands(prepared.input_tokens as u64),
        thousands((prepared.requests * prepared.max_tokens) as u64),
        prepared.max_tokens,
    ))
}

/// Templates the gate run left out of the requests (or of the facts ingest checks against).
fn left_out(console: &Console, gated: &crate::pipeline::GatedRun) {
    let out = gated.missing + gated.rejected + gated.no_duration;
    if out > 0 {
        console.warn(
            None,
            format!(
                "{out} of {} templates left out: {} without code, {} rejected by the gate, {} without a duration (build says which)",
                gated.templates, gated.missing, gated.rejected, gated.no_duration
            ),
        );
    }
}

fn ingest(i: &IngestArgs, console: &Console) -> Result<()> {
    let Some((out, results)) = i.files.split_last() else {
        return Err(wording::missing_argument("briefs ingest", "RESULTS… OUT"));
    };
    let config = Config::read(&i.config)?;
    let ingested = briefs::ingest(&config, results, out)?;
    for diagnostic in ingested.diagnostics() {
        console.diagnostic(diagnostic);
    }
    left_out(console, &ingested.gated);
    console.wrote_instead(out, &ingested.out);
    if i.json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, &ingested)
            .map_err(|e| Error::stdout(e.into()))?;
        return writeln!(stdout).map_err(Error::stdout);
    }
    for d in &ingested.drops {
        let template = d
            .template_id
            .as_deref()
            .map(|t| format!(" {}:", printable(t)))
            .unwrap_or_default();
        console.warn(
            None,
            format!(
                "{}:{template} dropped ({}): {}",
                d.at,
                d.reason.describe(),
                printable(&d.text)
            ),
        );
    }
    let dropped: Vec<String> = ingested
        .dropped
        .iter()
        .map(|(reason, n)| format!("{} {n}", reason.name()))
        .collect();
    console.result(format!(
        "wrote {}: kept {} for {} from {}{}; dropped {}{}",
        ingested.out.display(),
        count(ingested.kept, "brief"),
        count(ingested.templates, "template"),
        count(ingested.requests, "request"),
        if ingested.retried > 0 {
            format!(" ({})", count(ingested.retried, "retried attempt"))
        } else {
            String::new()
        },
        ingested.drops.len(),
        if dropped.is_empty() {
            String::new()
        } else {
            format!(" ({})", dropped.join(", "))
        }
    ))
}
