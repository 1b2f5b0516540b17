//! `template-sft build`: catalog + code + prompts → a new dataset version directory.
//!
//! Maps the arguments onto the config ([`Overrides`]) and the [`BuildOptions`], runs
//! [`crate::build`], and prints: warnings and progress as they happen (through the console), then
//! the version written, or for `--dry-run` the split counts and a few complete examples.

use std::io::Write;
use std::path::PathBuf;

use crate::config::{Config, Overrides};
use crate::console::Console;
use crate::error::{count, Error, Result};
use crate::pipeline::{Build, BuildOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project config (a folder means its template-sft.toml).
    #[arg(short, long, default_value = "template-sft.toml", value_name = "FILE")]
    pub config: PathBuf,
    /// Print the split counts and a few full examples; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How many full examples --dry-run prints.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub samples: usize,
    /// Override split.seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Override output.tag (the version directory's base name).
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Use only the first N templates of the catalog (after the source filter).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Fail (writing nothing) if the quality gate rejects a template or an example is over the
    /// token limit.
    #[arg(long)]
    pub strict: bool,
    /// Override tokens.model (picks the encoding and the per-example limit).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// A Hugging Face tokenizer.json (PATH or NAME=PATH; the chat template is read from the
    /// tokenizer_config.json beside it) whose rendered lengths stats and meta give; repeat for
    /// several. Replaces tokens.tokenizer.
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Vec<String>,
    /// Check and tokenize every template again instead of reusing the last build's verdicts for
    /// unchanged code (and do not remember this build's).
    #[arg(long)]
    pub no_cache: bool,
    /// Render every template in each supported format (Remotion in headless Chromium) and reject
    /// the ones that do not render cleanly: turns check.render on ([render] says how).
    #[arg(long)]
    pub render: bool,
    /// With --render: how many frames of each scene to render, evenly spaced (1 to 60), or `all`;
    /// overrides render.frames.
    #[arg(long, value_parser = crate::cmd::render::parse_frames, value_name = "N|all", requires = "render")]
    pub render_frames: Option<crate::render::Frames>,
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    let mut config = Config::read(&args.config)?;
    Overrides {
        seed: args.seed,
        tag: args.tag.clone(),
        model: args.model.clone(),
        tokenizers: args.tokenizer.clone(),
        render: args.render,
        render_frames: args.render_frames,
    }
    .apply(&mut config);
    let options = BuildOptions {
        dry_run: args.dry_run,
        samples: args.samples,
        limit: args.limit,
        strict: args.strict,
        no_cache: args.no_cache,
        observer: Some(console),
    };
    let build = crate::build(&config, &options)?;
    if let Some(kib) = peak_rss_kib() {
        console.detail(format!("peak memory: {} MiB", kib / 1024));
    }
    if args.dry_run {
        return print_dry_run(&build, args.samples);
    }
    // A version is never overwritten: a taken tag gets the next free name, and says so.
    let asked = build.target.with_file_name(&config.output.tag);
    console.wrote_instead(&asked, &build.target);
    let t = &build.stats.totals;
    console.result(format!(
        "wrote {}: {} (train {}, validation {}, test {}) from {}",
        build.target.display(),
        count(t.all, "example"),
        t.train,
        t.validation,
        t.test,
        count(build.stats.unique_templates_covered, "template")
    ))
}

fn print_dry_run(build: &Build, samples: usize) -> Result<()> {
    let t = &build.stats.totals;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "dry run: nothing written (a build would write {})",
        build.target.display()
    )
    .map_err(Error::stdout)?;
    writeln!(
        out,
        "examples: {} (train {}, validation {}, test {}) from {}",
        t.all,
        t.train,
        t.validation,
        t.test,
        count(build.stats.unique_templates_covered, "template")
    )
    .map_err(Error::stdout)?;
    for (n, sample) in build.samples.iter().enumerate() {
        writeln!(
            out,
            "\n--- sample {} of {}: {} / {}",
            n + 1,
            samples.min(build.samples.len()),
            sample.split.name(),
            sample.key
        )
        .map_err(Error::stdout)?;
        serde_json::to_writer_pretty(&mut out, &sample.line)
            .map_err(|e| Error::stdout(e.into()))?;
        writeln!(out).map_err(Error::stdout)?;
    }
    Ok(())
}

/// The program's peak resident memory in KiB. On Linux, `VmHWM` of /proc/self/status: the peak of
/// this program's own memory. getrusage's `ru_maxrss` also counts the memory of whatever started
/// it without copying (posix_spawn and vfork, the default of Rust's and Python's process APIs):
/// Linux records that parent's peak as the child's when the child execs, so a build started by a
/// 900 MB test process reported 900 MB. Elsewhere (or without /proc) getrusage (Linux reports KiB,
/// macOS bytes).
fn peak_rss_kib() -> Option<u64> {
    let own_peak = || -> Option<u64> {
        std::fs::read_to_string("/proc/self/status")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    };
    if let Some(kib) = cfg!(target_os = "linux").then(own_peak).flatten() {
        return Some(kib);
    }
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return None;
        }
        usage
    };
    let max = u64::try_from(usage.ru_maxrss).ok()?;
    Some(if cfg!(target_os = "macos") {
        max / 1024
    } else {
        max
    })
}
