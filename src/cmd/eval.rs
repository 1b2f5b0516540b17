//! `template-sft eval prepare DIR OUT` writes a version's held-out prompts as a Batch API request
//! file; `template-sft eval DIR --predictions FILE` scores a model's outputs on them (terminal,
//! `--json`, `--html`), optionally against `--baseline FILE`; `--gold` scores the gold code.

use std::io::Write;
use std::path::PathBuf;

use crate::console::Console;
use crate::dataset::writer::{refuse_inside_version, write_new_file};
use crate::diagnostic::{warning, Kind};
use crate::error::{wording, Error, Result};
use crate::eval::{self, html, terminal, Outputs, PrepareOptions};
use crate::render::RenderOptions;
use crate::split::Split;
use crate::text::Printable;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub prepare: Option<Prepare>,
    /// A version directory written by `build`.
    #[arg(required = true)]
    pub dir: Option<PathBuf>,
    /// The model's outputs: Batch API output lines, {"custom_id", "completion"} lines, or chat
    /// lines whose last message is the assistant's.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "gold",
        conflicts_with = "gold"
    )]
    pub predictions: Option<PathBuf>,
    /// Another model's outputs on the same split: paired differences, intervals, sign tests.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Score the gold code itself (the ceiling).
    #[arg(long)]
    pub gold: bool,
    /// The split to score.
    #[arg(long, value_enum, default_value = "test")]
    pub split: SplitArg,
    /// Print everything as JSON (every example's checks, the summaries, the comparison).
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Render every output in its example's format (Remotion in headless Chromium): adds the
    /// checks `renders` and `not_blank`.
    #[arg(long)]
    pub render: bool,
    /// The browser for --render (default: TEMPLATE_SFT_CHROMIUM, then Debian's paths).
    #[arg(long, value_name = "PATH", requires = "render")]
    pub chromium: Option<PathBuf>,
    /// An installed render kit for --render (default: installed on first use).
    #[arg(long, value_name = "DIR", requires = "render")]
    pub render_kit: Option<PathBuf>,
    /// Seconds an output may go without rendering a frame before it is a `hang` (default: the
    /// config's render.deadline_seconds, else 30).
    #[arg(long, value_name = "SECONDS", requires = "render", value_parser = clap::value_parser!(u64).range(1..=900))]
    pub render_deadline: Option<u64>,
    /// With --render: how many frames of the gold and of each output to render, evenly spaced over
    /// the gold's length (1 to 60), or `all` (default 8).
    #[arg(long, value_parser = crate::cmd::render::parse_frames, value_name = "N|all", requires = "render")]
    pub render_frames: Option<crate::render::Frames>,
    /// With --render: the project's config, whose [render] section (packages, runtime: the host
    /// app's globals) the outputs and the gold render with, as `build --render` renders.
    #[arg(short, long, value_name = "CONFIG", requires = "render")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Prepare {
    /// Write the split's prompts (system + user) as an OpenAI Batch API request file, which also
    /// runs on Together's batch API and with `vllm run-batch`.
    Prepare(PrepareArgs),
}

#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    /// A version directory written by `build`.
    pub dir: PathBuf,
    /// The request file to write.
    pub out: PathBuf,
    /// The split whose prompts to write.
    #[arg(long, value_enum, default_value = "test")]
    pub split: SplitArg,
    /// The model to run (default: the model the version was built for).
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Most tokens per reply (default: twice the longest gold code, rounded up to 256, within the
    /// model's output limit; over a known model's limit is an error).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
    #[arg(long, value_name = "T", default_value_t = 0.0)]
    pub temperature: f64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SplitArg {
    Train,
    Validation,
    Test,
}

impl From<SplitArg> for Split {
    fn from(s: SplitArg) -> Split {
        match s {
            SplitArg::Train => Split::Train,
            SplitArg::Validation => Split::Validation,
            SplitArg::Test => Split::Test,
        }
    }
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    if let Some(Prepare::Prepare(p)) = &args.prepare {
        if !(0.0..=2.0).contains(&p.temperature) {
            return Err(wording::out_of_range(
                "--temperature",
                "between 0 and 2",
                p.temperature,
            ));
        }
        let options = PrepareOptions {
            split: p.split.into(),
            model: p.model.clone(),
            max_tokens: p.max_tokens,
            temperature: p.temperature,
        };
        let prepared = eval::prepare(&p.dir, &options, &p.out)?;
        for note in &prepared.notes {
            console.warn(None, note);
        }
        console.wrote_instead(&p.out, &prepared.out);
        let files: Vec<String> = prepared
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        return console.result(format!(
            "wrote {}: {} requests for {} (max_tokens {})",
            files.join(", "),
            prepared.requests,
            prepared.model,
            prepared.max_tokens
        ));
    }
    let Some(dir) = &args.dir else {
        return Err(wording::missing_argument("eval", "a version directory"));
    };
    let outputs = match (&args.predictions, args.gold) {
        (Some(path), false) => Outputs::File(path),
        _ => Outputs::Gold,
    };
    let render = match (args.render, &args.config) {
        (false, _) => None,
        (true, config) => {
            let mut options = match config {
                Some(path) => crate::pipeline::render::options(&crate::config::Config::read(path)?),
                None => RenderOptions::default(),
            };
            if let Some(kit) = &args.render_kit {
                options.kit.kit = Some(kit.clone());
            }
            if let Some(chromium) = &args.chromium {
                options.kit.chromium = Some(chromium.clone());
            }
            if let Some(seconds) = args.render_deadline {
                options.deadline = std::time::Duration::from_secs(seconds);
            }
            // Appearance and motion compare 8 frames of gold and output unless told otherwise.
            options.frames = args
                .render_frames
                .unwrap_or(crate::render::Frames::Count(eval::EVAL_FRAMES));
            if crate::render::isolation::available() == crate::render::isolation::Isolation::CspOnly
            {
                console.diagnostic(&warning::renderer_without_namespace());
            }
            Some(options)
        }
    };
    let evaluation = eval::evaluate(
        dir,
        &eval::EvalOptions {
            split: args.split.into(),
            outputs,
            baseline: args.baseline.as_deref(),
            render: render.as_ref(),
            observer: Some(console),
        },
    )?;
    for (scoring, what) in std::iter::once((&evaluation.predictions, "predictions"))
        .chain(evaluation.baseline.iter().map(|b| (b, "baseline")))
    {
        let bad_lines = &scoring.leftovers.bad_lines;
        for bad in &bad_lines.first {
            console.diagnostic(&warning::bad_prediction_line(
                &scoring.source,
                bad.line,
                what,
                &bad.why,
            ));
        }
        // Counted, not kept: in the tally after the ones shown.
        console.unlisted(
            Kind::BadPredictionLine,
            bad_lines.count - bad_lines.first.len(),
        );
    }
    // The page first: a reader that closes stdout early (`| head`) must not cost the file.
    if let Some(path) = &args.html {
        refuse_inside_version(path)?;
        let written = write_new_file(path, html::render(&evaluation).as_bytes())?;
        console.wrote_instead(path, &written);
        console.info(format!("wrote {}", written.display()));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &evaluation).map_err(|e| Error::stdout(e.into()))?;
        writeln!(out).map_err(Error::stdout)
    } else {
        terminal::print(&mut Printable(out), &evaluation).map_err(Error::stdout)
    }
}
