//! The build pipeline: a checked config in, a dataset version (or a dry run) out.
//!
//! [`build`] runs the stages in order, one record per template flowing through them, each a module
//! of its own whose `run` takes what it needs and gives typed output:
//!
//! 1. **catalog**: the templates that take part (`pipeline/catalog.rs`);
//! 2. **prompts**: curated prompts and prompt additions, by template (`pipeline/prompts.rs`);
//! 3. **code**: each template's code from its store or a code override (`pipeline/code.rs`),
//!    streamed in batches into
//! 4. **gate**: the quality gate, parsing and tokenizing each distinct code once, evaluating its
//!    duration export on the same parse and taking its near-copy signature (`pipeline/gate.rs`);
//! 5. **durations**: the duration each template's briefs state, code against catalog
//!    (`pipeline/durations.rs`);
//! 6. **render** (with `check.render`): each scene rendered in every format it supports, the ones
//!    that do not render rejected (`pipeline/render.rs`);
//! 7. **examples**: briefs paired with code, within the token budget (`pipeline/examples.rs`);
//! 8. **split**: duplicates written once, near-copy clusters kept together, train / validation /
//!    test, seeded and stable (`pipeline/split.rs`);
//! 9. **lengths**: each example's length under the model tokenizers of `tokens.tokenizer`, with
//!    warnings for trainer defaults that would drop or cut examples (`pipeline/lengths.rs`);
//! 10. **output**: stats, split files and manifest, written atomically (`pipeline/output.rs`).
//!
//! It returns the version written, the typed [`Stats`] and every warning as a [`Diagnostic`]; it
//! never prints. A caller that wants to show progress as it happens passes an [`Observer`].

mod catalog;
mod code;
mod durations;
mod examples;
mod gate;
mod lengths;
pub(crate) mod observer;
mod output;
mod prompts;
mod record;
pub(crate) mod render;
mod split;

use std::path::PathBuf;
use std::time::Instant;

use crate::config::{Config, DurationSource};
use crate::dataset::manifest::InputDigest;
use crate::dataset::stats::Stats;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::error::{wording, Error, Result, StrictFailures};
use crate::split::Split;
use crate::tokens::count_cache::CountCache;
use crate::tokens::Budget;
pub use observer::{Observer, Progress};

/// How to run a build, beyond what the config says.
#[derive(Default, Clone, Copy)]
#[non_exhaustive]
pub struct BuildOptions<'o> {
    /// Read and check everything, write nothing; [`Build::samples`] holds the first examples.
    pub dry_run: bool,
    /// How many complete examples a dry run gives back.
    pub samples: usize,
    /// Keep only the first N templates of the catalog (after the source filter).
    pub limit: Option<usize>,
    /// Fail, writing nothing, if the gate rejects a template or an example is over the limit.
    pub strict: bool,
    /// Gate every template again instead of reusing earlier verdicts (and remember none).
    pub no_cache: bool,
    /// Told about diagnostics, stage timings and progress as they happen.
    pub observer: Option<&'o dyn Observer>,
}

/// What a build gives back.
#[derive(Debug)]
#[non_exhaustive]
pub struct Build {
    /// The version directory written; `None` for a dry run.
    pub version: Option<PathBuf>,
    /// Where the version would go (a dry run) or went.
    pub target: PathBuf,
    /// The version's stats (also for a dry run, which writes nothing).
    pub stats: Stats,
    /// Every warning, in the order the stages found them.
    pub diagnostics: Vec<Diagnostic>,
    /// A dry run's first examples, as the full lines a build would write.
    pub samples: Vec<Sample>,
}

/// One complete example of a dry run.
#[derive(Debug)]
pub struct Sample {
    /// The example's identity.
    pub key: crate::dataset::example::Key,
    /// The split it would be in.
    pub split: Split,
    /// `{"messages": […], "meta": {…}}`, as a build would write it.
    pub line: crate::dataset::example::ExampleLine,
}

/// Run the pipeline on `config` (checked here; apply command-line [`crate::config::Overrides`]
/// before calling).
pub fn build(config: &Config, options: &BuildOptions<'_>) -> Result<Build> {
    config.check()?;
    // A root inside a version would change what that version's manifest vouches for (its caches
    // and the new version would be written there).
    crate::dataset::writer::refuse_inside_version(
        &config.resolve(&config.output.root).join(&config.output.tag),
    )?;
    let mut run = Run::new(config, options);
    let budget = Budget::new(&config.tokens.model, config.tokens.max_tokens)
        .map_err(|why| wording::bad_option("tokens.model", why))?;
    let encoding = budget.encoding;
    let count_cache = if options.no_cache {
        CountCache::disabled(encoding)
    } else {
        CountCache::open(&run.root, encoding)
    };
    // Building the encoder's tables takes ~0.1 s and 53 MB, loading a model tokenizer up to a
    // second or two: both overlap reading the inputs. A rebuild that remembers the briefs' counts
    // most likely remembers the code's too (the gate cache): it does not build the tables unless a
    // text is new.
    if !count_cache.is_warm() {
        std::thread::spawn(move || encoding.warm_up());
    }
    let tokenizers = lengths::load(config);
    // The code store is opened (its settings read, no connection yet) before any stage runs: a
    // store that cannot be set up is a config error, reported before the inputs' warnings.
    let store = crate::code::open_store(config)?;

    let (mut catalog, prompt_files) =
        prompts::catalog_and_files(config, options.limit, &mut run.diagnostics)?;
    run.done(&format!("catalog: {} templates", catalog.records.len()));
    let prompts = prompts::run(config, &mut catalog, prompt_files, &mut run.diagnostics)?;
    run.done("prompts");
    let records = &mut catalog.records;
    let mut code = code::run(&mut run, records, store.as_ref(), encoding)?;
    run.done(&code.describe());
    let durations = durations::run(config, records, &mut run.diagnostics);
    run.done("durations");
    let (render, frames) = render::run(&mut run, records, &code.spill)?;
    run.done(&render::describe(render.as_ref()));
    // Clustering first lets go of the near-copy signatures (1 KiB a template) before composing
    // allocates the briefs.
    let near = split::cluster(config, records);
    examples::compose(config, records, &count_cache);
    let system_tokens = count_cache.count(&config.prompts.system);
    let records = &catalog.records;
    let made = examples::run(records, &budget, system_tokens, &mut run.diagnostics);
    run.done(&format!(
        "{} briefed; {}",
        crate::error::count(made.drafts.len(), "example"),
        count_cache.describe()
    ));
    let mut split = split::run(config, records, near, made.drafts, &mut run.diagnostics);
    run.done(&split.describe());
    refuse(&run, records, &code, &durations, &made.counted, &split)?;
    let mut lengths = lengths::run(&mut run, tokenizers, &mut split.examples, &code.spill)?;
    run.done("lengths");

    let mut inputs = vec![run.config_digest(), catalog.digest.clone()];
    inputs.extend(prompts.inputs);
    let counted = output::Counted {
        inputs,
        budget,
        excluded_by_source: catalog.excluded_by_source.len(),
        missing: std::mem::take(&mut code.missing),
        durations,
        split: split.placed,
        prompts: prompts.stats,
        made: made.counted,
        tokenizers: std::mem::take(&mut lengths.lengths),
        render,
        frames,
    };
    let written = output::run(&run, records, &split.examples, &code, counted)?;
    if written.version.is_some() {
        run.done("written and renamed into place");
        code.remember(records, &mut run.diagnostics);
        let system = (config.prompts.system.as_str(), system_tokens);
        examples::remember(records, system, &count_cache, &mut run.diagnostics);
        lengths.remember(&mut run.diagnostics);
        run.flush();
    }
    Ok(Build {
        version: written.version,
        target: written.target,
        stats: written.stats,
        samples: written.samples,
        diagnostics: run.diagnostics.into_vec(),
    })
}

/// One template whose code passed the gate, as `briefs` sees it.
pub struct GatedTemplate<'a> {
    /// Its catalog entry.
    pub template: &'a crate::catalog::Template,
    /// Its code, as the gate passed it (what its examples would hold).
    pub code: String,
    /// Frames its briefs state (at `video.fps`).
    pub duration: u32,
    /// Its prompts: additions, curated prompts and generated briefs.
    pub prompts: &'a crate::prompts::TemplatePrompts,
}

/// What [`gated`] went through and left out.
#[derive(Debug, Default)]
pub struct GatedRun {
    /// Templates in the catalog (after the source filter and `--limit`).
    pub templates: usize,
    /// Templates handed on.
    pub passed: usize,
    /// Templates without code, rejected by the gate, or without a duration.
    pub missing: usize,
    pub rejected: usize,
    pub no_duration: usize,
    /// Every warning of the stages run.
    pub diagnostics: Vec<Diagnostic>,
}

/// The first stages of a build (catalog, prompts, code and gate, durations), then each template
/// whose code passed, in catalog order, to `each`: what `briefs prepare` and `briefs ingest` need
/// of a project, with the same rules and caches as `build`; nothing is written but the gate's
/// verdicts to its cache. Rendering (`check.render`) is not run.
pub fn gated(
    config: &Config,
    options: &BuildOptions<'_>,
    each: &mut dyn FnMut(GatedTemplate<'_>) -> Result<()>,
) -> Result<GatedRun> {
    config.check()?;
    // The gate's verdicts are kept for the next run (as a build keeps them): never inside a version.
    crate::dataset::writer::refuse_inside_version(
        &config.resolve(&config.output.root).join(&config.output.tag),
    )?;
    let mut run = Run::new(config, options);
    let budget = Budget::new(&config.tokens.model, config.tokens.max_tokens)
        .map_err(|why| wording::bad_option("tokens.model", why))?;
    let store = crate::code::open_store(config)?;
    let (mut catalog, prompt_files) =
        prompts::catalog_and_files(config, options.limit, &mut run.diagnostics)?;
    run.done(&format!("catalog: {} templates", catalog.records.len()));
    prompts::run(config, &mut catalog, prompt_files, &mut run.diagnostics)?;
    let records = &mut catalog.records;
    let code = code::run(&mut run, records, store.as_ref(), budget.encoding)?;
    run.done(&code.describe());
    durations::run(config, records, &mut run.diagnostics);
    run.done("durations");
    let mut out = GatedRun {
        templates: records.len(),
        ..GatedRun::default()
    };
    let mut buf = Vec::new();
    for record in records.iter() {
        let accepted = match &record.code {
            record::CodeState::Accepted(code) => code,
            record::CodeState::Rejected { .. } => {
                out.rejected += 1;
                continue;
            }
            record::CodeState::Missing | record::CodeState::Found(_) => {
                out.missing += 1;
                continue;
            }
        };
        let Some((duration, _)) = record.duration else {
            out.no_duration += 1;
            continue;
        };
        out.passed += 1;
        each(GatedTemplate {
            template: &record.template,
            code: render::code_text(&accepted.text, &code.spill, &mut buf)?,
            duration,
            prompts: &record.prompts,
        })?;
    }
    // `briefs prepare` then `briefs ingest` (then `build`) gate the same code: once.
    code.remember(records, &mut run.diagnostics);
    run.flush();
    out.diagnostics = run.diagnostics.into_vec();
    Ok(out)
}

/// What every stage shares: the config and options, where versions go, the observer, the
/// warnings so far, and the clock.
struct Run<'a> {
    config: &'a Config,
    options: &'a BuildOptions<'a>,
    /// `output.root`, resolved.
    root: PathBuf,
    observer: &'a dyn Observer,
    started: Instant,
    diagnostics: Diagnostics,
}

impl<'a> Run<'a> {
    fn new(config: &'a Config, options: &'a BuildOptions<'a>) -> Self {
        Run {
            config,
            options,
            root: config.resolve(&config.output.root),
            observer: options.observer.unwrap_or(&observer::Silent),
            started: Instant::now(),
            diagnostics: Diagnostics::default(),
        }
    }

    /// A stage is done: its warnings go to the observer, then the stage with the time so far.
    fn done(&mut self, what: &str) {
        self.flush();
        let elapsed = self.started.elapsed().as_secs_f64();
        self.observer.stage(&format!("{elapsed:.2}s: {what}"));
    }

    fn flush(&mut self) {
        for diagnostic in self.diagnostics.unseen() {
            self.observer.diagnostic(diagnostic);
        }
    }

    /// The config file's digest, for the manifest.
    fn config_digest(&self) -> InputDigest {
        InputDigest::of_bytes(
            "config",
            self.config.display_path(&self.config.path),
            self.config.text().as_bytes(),
        )
    }
}

/// Stop before anything is written when `--strict` finds something to fail on, or when no example
/// is left (with the count of each reason).
fn refuse(
    run: &Run<'_>,
    records: &[record::TemplateRecord],
    code: &code::Code,
    durations: &durations::Durations,
    made: &examples::Made,
    split: &split::Split<'_>,
) -> Result<()> {
    let config = run.config;
    let strict = StrictFailures {
        rejected: records.iter().filter(|r| r.rejection().is_some()).count(),
        over_limit: made.over_limit.len(),
        // With catalog durations, a mismatch means a brief states what the code does not render.
        duration_mismatches: match config.video.duration_source {
            DurationSource::Catalog => durations.stats.mismatches.len(),
            DurationSource::Code => 0,
        },
        split_skew: split.skewed,
    };
    if run.options.strict && strict.any() {
        return Err(Error::Strict(strict));
    }
    if split.examples.is_empty() {
        return Err(wording::no_examples(
            &config.resolve(&config.catalog.path),
            records.len(),
            code.missing.len(),
            strict.rejected,
            durations.skipped.len(),
            strict.over_limit,
        ));
    }
    Ok(())
}
