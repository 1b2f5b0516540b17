//! The build pipeline: a checked config in, a dataset version (or a dry run) out.
//!
//! [`build`] runs the stages in order, one record per template flowing through them:
//!
//! 1. **catalog**: the templates that take part ([`crate::catalog`]);
//! 2. **code**: each template's code from its store or a code override ([`crate::code`]);
//! 3. **gate**: the quality gate, parsing and tokenizing each distinct code once, evaluating its
//!    duration export on the same parse and taking its near-copy signature (`pipeline/gate.rs`);
//! 4. **durations**: the duration each template's briefs state, code against catalog
//!    (`pipeline/durations.rs`); then, with `check.render`, each scene rendered in every format it
//!    supports, and the ones that do not render rejected (`pipeline/render.rs`);
//! 5. **prompts**: curated prompts and prompt additions, by template ([`crate::prompts`]);
//! 6. **examples**: briefs paired with code, within the token budget (`pipeline/examples.rs`);
//! 7. **split**: duplicates written once, near-copy clusters kept together, train / validation /
//!    test, seeded and stable (`pipeline/split.rs`);
//! 8. **lengths**: each example's length under the model tokenizers of `tokens.tokenizer`, with
//!    warnings for trainer defaults that would drop or cut examples (`pipeline/lengths.rs`);
//! 9. **output**: stats, split files and manifest, written atomically (`pipeline/output.rs`).
//!
//! It returns the version written, the typed [`Stats`] and every warning as a [`Diagnostic`]; it
//! never prints. A caller that wants to show progress as it happens passes an [`Observer`].

mod code;
mod durations;
mod examples;
mod gate;
mod lengths;
mod output;
mod record;
mod render;
mod split;

use std::path::PathBuf;
use std::time::Instant;

use indicatif::ProgressBar;

use crate::catalog;
use crate::code::duration::DurationExport;
use crate::code::gate::Gate;
use crate::code::gate::Rejection;
use crate::code::gate_cache::GateCache;
use crate::code::spill::Spill;
use crate::config::{Config, DurationSource, SplitMode};
use crate::dataset::example::{Example, Rendered};
use crate::dataset::manifest::InputDigest;
use crate::dataset::stats::Stats;
use crate::dataset::writer::Staging;
use crate::diagnostic::{Diagnostic, Diagnostics, Kind};
use crate::error::{Error, Result, StrictFailures};
use crate::location::Location;
use crate::prompts;
use crate::split::Split;
use crate::tokens::chat_template::{self, ChatTokenizer};
use crate::tokens::piece_cache::PieceCache;
use crate::tokens::Budget;
use record::{CodeState, TemplateRecord};

/// How to run a build, beyond what the config says.
#[derive(Default, Clone, Copy)]
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

/// Watches a build as it runs (the CLI draws progress bars and prints warnings). Every method has a
/// default that does nothing.
pub trait Observer: Sync {
    /// A warning, as soon as its stage has run.
    fn diagnostic(&self, _diagnostic: &Diagnostic) {}
    /// A stage finished: `what` says which and how long the build has been running.
    fn stage(&self, _what: &str) {}
    /// Something slow is starting that the user should hear of (installing the render kit).
    fn info(&self, _what: &str) {}
    /// A progress bar for `len` steps of `what`.
    fn progress(&self, _len: u64, _what: &'static str) -> ProgressBar {
        ProgressBar::hidden()
    }
}

struct Silent;
impl Observer for Silent {}

/// What a build gives back.
#[derive(Debug)]
pub struct Build {
    /// The version directory written; `None` for a dry run.
    pub version: Option<PathBuf>,
    /// Where the version would go (a dry run) or went.
    pub target: PathBuf,
    pub stats: Stats,
    /// Every warning, in the order the stages found them.
    pub diagnostics: Vec<Diagnostic>,
    /// A dry run's first examples, as the full lines a build would write.
    pub samples: Vec<Sample>,
}

/// One complete example of a dry run.
#[derive(Debug)]
pub struct Sample {
    pub key: crate::dataset::example::Key,
    pub split: Split,
    /// `{"messages": […], "meta": {…}}`
    pub line: serde_json::Value,
}

/// Run the pipeline on `config` (checked here; apply command-line [`crate::config::Overrides`]
/// before calling).
pub fn build(config: &Config, options: &BuildOptions<'_>) -> Result<Build> {
    config.check()?;
    let observer = options.observer.unwrap_or(&Silent);
    let started = Instant::now();
    let stage =
        |what: &str| observer.stage(&format!("{:.2}s: {what}", started.elapsed().as_secs_f64()));
    let mut diagnostics = Diagnostics::default();
    let flush = |d: &mut Diagnostics| {
        for diagnostic in d.unseen() {
            observer.diagnostic(diagnostic);
        }
    };
    let budget = Budget::new(&config.tokens.model, config.tokens.max_tokens)
        .map_err(|why| Error::Usage(format!("tokens.model: {why}")))?;
    // Building the encoder's tables takes ~0.1 s: overlap it with reading the inputs.
    let encoding = budget.encoding;
    std::thread::spawn(move || encoding.warm_up());
    // Model tokenizers take up to a second or two each to load: overlap that too.
    let specs = config.tokenizer_specs();
    let loading = std::thread::spawn(move || chat_template::load_specs(&specs));
    let mut inputs = vec![InputDigest::of_bytes(
        "config",
        config.display_path(&config.path),
        config.text().as_bytes(),
    )];

    // 1. catalog
    let catalog = catalog::load(config, &mut diagnostics)?;
    flush(&mut diagnostics);
    inputs.push(catalog.digest.clone());
    let mut templates = catalog.templates;
    let beyond_limit: Vec<String> = match options.limit {
        Some(limit) if limit < templates.len() => templates
            .split_off(limit)
            .into_iter()
            .map(|t| t.id)
            .collect(),
        _ => Vec::new(),
    };
    if templates.is_empty() {
        let why = if options.limit == Some(0) {
            "--limit 0 leaves no template to build".to_string()
        } else {
            match catalog.excluded_by_source.len() {
                0 => "the catalog has no entries".to_string(),
                n => format!(
                    "no catalog entry has the source.type this build takes ({} excluded by catalog.source_type)",
                    crate::error::count(n, "entry")
                ),
            }
        };
        return Err(Error::input(
            Location::file(config.resolve(&config.catalog.path)),
            why,
        ));
    }
    stage(&format!("catalog: {} templates", templates.len()));

    let mut records: Vec<TemplateRecord> = templates.into_iter().map(TemplateRecord::new).collect();

    // 2. code and 3. gate: the gate checks each batch of code as the code stage reads the next.
    let store = crate::code::open_store(config)?;
    let overrides = code::overrides(config, &mut diagnostics);
    let duration_export = DurationExport::new(&config.video.duration_export);
    let root = config.resolve(&config.output.root);
    let mut cache = if options.no_cache {
        GateCache::disabled()
    } else {
        GateCache::open(&root, &config.gate, encoding, &duration_export)
    };
    let settings = Gate {
        rules: &config.gate,
        encoding,
        duration_export: duration_export.clone(),
        max_bytes: config.code.max_bytes,
    };
    // Only template mode groups by cluster; at threshold 0 only identical code (by digest) does.
    let signatures =
        config.split.mode == SplitMode::Template && config.split.near_copy_threshold > 0.0;
    let spill_dir = nearest_folder(&root);
    let mut spill = Spill::create_in(&spill_dir).map_err(|e| Error::write(&spill_dir, e))?;
    let bar = observer.progress(records.len() as u64, "checking");
    let (gated, fetched) = std::thread::scope(|scope| {
        let fetching = code::start(
            scope,
            &records,
            store.as_ref(),
            overrides.as_ref(),
            config.code.max_bytes,
        );
        let gated = gate::run(
            &mut records,
            &fetching.batches,
            &settings,
            &cache,
            signatures,
            &mut spill,
            &bar,
        );
        (gated, fetching.finish(&mut diagnostics))
    });
    bar.finish_and_clear();
    // The gate's own failure first: the fetch then only stopped because nobody listened.
    let gated = gated?;
    fetched?;
    let missing = code::missing(
        config,
        &records,
        store.as_ref(),
        overrides.as_ref(),
        &mut diagnostics,
    );
    flush(&mut diagnostics);
    stage(&format!("code fetched from {}", store.describe()));
    cache.forget();
    for record in &records {
        let CodeState::Rejected { origin, rejection } = &record.code else {
            continue;
        };
        // At the code's file and line:col when there is a file (a directory store or a code
        // override), else with the place inside the code in the message.
        let (at, message) = match (origin.file(), rejection.at) {
            (Some(file), Some(pos)) => (
                Some(Location::at(file, pos.line, pos.col)),
                rejection.detail(),
            ),
            (Some(file), None) => (Some(Location::file(file)), rejection.message.as_str()),
            (None, _) => (None, rejection.message.as_str()),
        };
        diagnostics.push(
            Kind::GateRejection,
            at,
            format!(
                "template {:?} rejected ({}): {message}",
                rejection.template_id, rejection.rule
            ),
        );
    }
    flush(&mut diagnostics);
    stage(&format!(
        "code gated and tokenized; gate cache: {} of {} code bodies unchanged since the last build",
        gated.remembered, gated.judged
    ));

    // 4. durations
    let durations = durations::run(config, &mut records, &mut diagnostics);
    flush(&mut diagnostics);

    // 4b. render (check.render): a scene that does not render cleanly is rejected like any other.
    let render = if config.gate.render {
        let stats = render::run(
            config,
            &mut records,
            &spill,
            &root,
            options.no_cache,
            observer,
            &mut diagnostics,
        )?;
        flush(&mut diagnostics);
        stage(&format!(
            "rendered {} scene-formats in {:.1}s ({} cached); {} templates rejected",
            stats.renders - stats.cached,
            stats.seconds,
            stats.cached,
            stats.rejected
        ));
        Some(stats)
    } else {
        None
    };
    let rejections: Vec<Rejection> = records
        .iter()
        .filter_map(|r| r.rejection().cloned())
        .collect();

    // 5. prompts
    let in_build: Vec<&catalog::Template> = records.iter().map(|r| &r.template).collect();
    let elsewhere = prompts::Elsewhere {
        excluded_by_source: &catalog.excluded_by_source,
        beyond_limit: &beyond_limit,
    };
    let mut prompt_set = prompts::load(config, &in_build, &elsewhere, &mut diagnostics)?;
    inputs.append(&mut prompt_set.inputs);
    for record in &mut records {
        record.prompts = prompt_set.take(&record.template.id);
    }
    flush(&mut diagnostics);

    // 6. examples
    let made = examples::run(config, &records, &budget, &mut diagnostics);
    flush(&mut diagnostics);

    // 7. split
    let split = split::run(config, &records, made.examples, &mut diagnostics);
    flush(&mut diagnostics);
    let mut examples = split.examples;
    if let Some((comparisons, took)) = split.clustering {
        stage(&format!(
            "near-copies: {} clusters of {} templates from {} similarity estimates in {:.2}s",
            split.near_copies.clusters.len(),
            split.near_copies.templates_in_clusters,
            comparisons,
            took.as_secs_f64()
        ));
    }
    stage(&format!("{} examples briefed and split", examples.len()));

    let strict = StrictFailures {
        rejected: rejections.len(),
        over_limit: made.over_limit.len(),
        // With catalog durations, a mismatch means a brief states what the code does not render.
        duration_mismatches: match config.video.duration_source {
            DurationSource::Catalog => durations.stats.mismatches.len(),
            DurationSource::Code => 0,
        },
        split_skew: split.skewed,
    };
    if options.strict && strict.any() {
        return Err(Error::Strict(strict));
    }
    if examples.is_empty() {
        return Err(Error::input(
            Location::file(config.resolve(&config.catalog.path)),
            format!(
                "no examples to write ({}: {} without code, {} rejected by the quality gate, {} without a duration; {} over the token limit); the warnings above say why",
                crate::error::count(records.len(), "template"),
                missing.len(),
                rejections.len(),
                durations.skipped.len(),
                crate::error::count(made.over_limit.len(), "example")
            ),
        ));
    }

    // 8. lengths
    let tokenizers: Vec<(ChatTokenizer, PieceCache)> = loading
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?
        .into_iter()
        .map(|t| {
            let cache = if options.no_cache {
                PieceCache::disabled()
            } else {
                PieceCache::open(&root, &t.sha256)
            };
            (t, cache)
        })
        .collect();
    let counted = lengths::run(
        &tokenizers,
        &mut examples,
        &spill,
        &config.prompts.system,
        |path| config.display_path(path),
        &mut diagnostics,
    )?;
    flush(&mut diagnostics);
    if !tokenizers.is_empty() {
        stage(&format!(
            "lengths under {} model tokenizer(s)",
            tokenizers.len()
        ));
    }

    // 9. output
    let stats = output::stats(
        config,
        &records,
        &examples,
        &budget,
        output::Counted {
            excluded_by_source: catalog.excluded_by_source.len(),
            missing,
            rejections,
            skipped: durations.skipped,
            durations: durations.stats,
            near_copies: split.near_copies,
            duplicates: split.duplicates,
            synthesized: made.synthesized,
            prompts: prompt_set.stats,
            briefs: made.briefs,
            over_limit: made.over_limit,
            tokenizers: counted.lengths,
            render,
        },
    );
    if options.dry_run {
        let target = root.join(Staging::next_free_name(&root, &config.output.tag)?);
        return Ok(Build {
            version: None,
            target,
            samples: samples(config, &examples, &spill, &stats, options.samples)?,
            stats,
            diagnostics: diagnostics.into_vec(),
        });
    }
    let bar = observer.progress(examples.len() as u64, "writing");
    let version = output::write(
        config,
        &records,
        &examples,
        &spill,
        &stats,
        output::Provenance {
            inputs,
            code_store: store.describe(),
        },
        &bar,
    )?;
    bar.finish_and_clear();
    stage("written and renamed into place");
    if let Err(e) = cache.save(records.iter().filter_map(TemplateRecord::verdict)) {
        diagnostics.push(
            Kind::Note,
            None,
            format!("could not save the gate cache (the next build checks everything again): {e}"),
        );
    }
    for ((t, cache), pieces) in tokenizers.iter().zip(&counted.pieces) {
        if let Err(e) = cache.save(pieces) {
            diagnostics.push(
                Kind::Note,
                None,
                format!(
                    "could not save the counts under tokenizer {} (the next build counts again): {e}",
                    t.name
                ),
            );
        }
    }
    flush(&mut diagnostics);
    Ok(Build {
        target: version.clone(),
        version: Some(version),
        stats,
        diagnostics: diagnostics.into_vec(),
        samples: Vec::new(),
    })
}

/// `path` if it is a folder, else its nearest parent that is: where the code spill file goes (an
/// unlinked file on the output's own disk; a dry run must not create the output root).
fn nearest_folder(path: &std::path::Path) -> PathBuf {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.is_dir())
        .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf)
}

/// The first `n` examples as the full lines a build would write.
fn samples(
    config: &Config,
    examples: &[Example<'_>],
    spill: &Spill,
    stats: &Stats,
    n: usize,
) -> Result<Vec<Sample>> {
    let system_json = crate::code::json_string(&config.prompts.system);
    let model_names = stats.tokens.tokenizer_names();
    let mut rendered = Rendered::default();
    let mut code = Vec::new();
    let mut out = Vec::new();
    for e in examples.iter().take(n) {
        let code_json = e
            .code
            .escaped(Some(spill), &mut code)
            .map_err(|err| Error::read(spill.dir(), err))?;
        rendered
            .render(e, code_json, &system_json, config.video.fps, &model_names)
            .map_err(|e| Error::serialize("a sample", e))?;
        let mut line = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = rendered.full_line(&mut line);
        out.push(Sample {
            key: e.key(),
            split: e.split,
            line: serde_json::from_slice(&line).map_err(|e| Error::serialize("a sample", e))?,
        });
    }
    Ok(out)
}
