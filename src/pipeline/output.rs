//! The output stage: the typed stats of a build, and the version directory written atomically.
//!
//! Takes the records, the examples (split and ordered) and what the earlier stages counted; gives the
//! [`Stats`] (also for a dry run) and, when asked, writes the split files, `stats.json` and
//! `manifest.json` into a staging directory that is renamed into place only when complete.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::code::Code;
use super::durations::Durations;
use super::examples::Made;
use super::observer::Counter;
use super::record::TemplateRecord;
use super::split::Placed;
use super::{Run, Sample};
use crate::code::spill::Spill;
use crate::code::{json_string, CodeOrigin, MissingCode};
use crate::config::Config;
use crate::dataset::example::Example;
use crate::dataset::example::{LineRenderer, LineSettings};
use crate::dataset::manifest::{CodeDigest, InputDigest, Manifest, RecordedConfig, Tool};
use crate::dataset::split_files::write_split_files;
use crate::dataset::stats::{self, CodeOverrideUse, NormalizedCode, Stats, TokenReport, Totals};
use crate::dataset::writer::Staging;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::prompts::PromptStats;
use crate::split::Split;
use crate::tokens::lengths::TokenizerLengths;
use crate::tokens::{estimate_trained, Budget, TokenStats};

pub use super::render::Thumbnail;

/// What the stages before this one counted, listed and read.
pub struct Counted {
    /// Digests of the input files (config, catalog, prompt files), for the manifest.
    pub inputs: Vec<InputDigest>,
    pub budget: Budget,
    pub excluded_by_source: usize,
    pub missing: Vec<MissingCode>,
    pub durations: Durations,
    pub split: Placed,
    pub prompts: PromptStats,
    pub made: Made,
    pub tokenizers: Vec<TokenizerLengths>,
    pub render: Option<stats::RenderStats>,
    /// `[render] keep_frames`: thumbnails to keep in the version.
    pub frames: Vec<Thumbnail>,
}

/// What the output stage gives back.
pub struct Written {
    /// The version directory written; `None` for a dry run.
    pub version: Option<PathBuf>,
    /// Where the version would go (a dry run) or went.
    pub target: PathBuf,
    pub stats: Stats,
    pub samples: Vec<Sample>,
}

/// The stats, then (unless a dry run, which gives samples instead) the version directory.
pub(super) fn run(
    run: &Run<'_>,
    records: &[TemplateRecord],
    examples: &[Example<'_>],
    code: &Code,
    mut counted: Counted,
) -> Result<Written> {
    let (config, options) = (run.config, run.options);
    let inputs = std::mem::take(&mut counted.inputs);
    let frames = std::mem::take(&mut counted.frames);
    let stats = stats(config, records, examples, counted);
    if options.dry_run {
        return Ok(Written {
            version: None,
            target: run
                .root
                .join(Staging::next_free_name(&run.root, &config.output.tag)?),
            samples: samples(config, examples, &code.spill, options.samples)?,
            stats,
        });
    }
    let written = Counter::start(run.observer, "writing", examples.len() as u64);
    let provenance = Provenance {
        inputs,
        code_store: code.store.clone(),
        frames,
    };
    let version = write(
        config,
        records,
        examples,
        &code.spill,
        &stats,
        provenance,
        &written,
    )?;
    Ok(Written {
        target: version.clone(),
        version: Some(version),
        stats,
        samples: Vec::new(),
    })
}

/// The stats of a build whose examples are split and in their final order.
fn stats(
    config: &Config,
    records: &[TemplateRecord],
    examples: &[Example<'_>],
    counted: Counted,
) -> Stats {
    let mut totals = Totals::default();
    let mut per_split: BTreeMap<Split, BTreeSet<&str>> = BTreeMap::new();
    for e in examples {
        totals.add(e.split);
        per_split
            .entry(e.split)
            .or_default()
            .insert(&e.draft.template.id);
    }
    let mut templates_per_split = Totals::default();
    let mut covered = BTreeSet::new();
    for split in Split::ALL {
        let ids = per_split.remove(&split).unwrap_or_default();
        match split {
            Split::Train => templates_per_split.train = ids.len(),
            Split::Validation => templates_per_split.validation = ids.len(),
            Split::Test => templates_per_split.test = ids.len(),
        }
        covered.extend(ids);
    }
    templates_per_split.all = covered.len();
    Stats {
        render: counted.render,
        generated_at: stats::now_rfc3339(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        tag: config.output.tag.clone(),
        seed: config.split.seed,
        split_mode: config.split.mode,
        totals,
        templates_processed: records.len(),
        templates_excluded_by_source: counted.excluded_by_source,
        unique_templates_covered: covered.len(),
        templates_per_split,
        missing_templates: counted.missing,
        sanitizer_failures: records
            .iter()
            .filter_map(|r| r.rejection().cloned())
            .collect(),
        code_overrides_used: records
            .iter()
            .filter_map(|r| match &r.accepted()?.origin {
                CodeOrigin::Override { path } => Some(CodeOverrideUse {
                    template_id: r.template.id.clone(),
                    path: config.display_path(path),
                }),
                CodeOrigin::Store { .. } => None,
            })
            .collect(),
        normalized_code: records
            .iter()
            .filter_map(|r| {
                let code = r.accepted().filter(|c| c.normalized.any())?;
                Some(NormalizedCode {
                    template_id: r.template.id.clone(),
                    path: code.origin.file().map(|f| config.display_path(f)),
                    normalized: code.normalized,
                })
            })
            .collect(),
        skipped_templates: counted.durations.skipped,
        synthesized_templates: counted.made.synthesized,
        prompts: counted.prompts,
        briefs: counted.made.briefs,
        durations: counted.durations.stats,
        near_copies: counted.split.near_copies,
        duplicate_examples: counted.split.duplicates,
        tokens: TokenReport {
            tokenizers: counted.tokenizers,
            ..token_report(examples, &counted.budget)
        },
        over_limit_examples: counted.made.over_limit,
    }
}

fn token_report(examples: &[Example<'_>], budget: &Budget) -> TokenReport {
    let sizes = |split: Option<Split>| -> Vec<(usize, usize)> {
        examples
            .iter()
            .filter(|e| split.is_none_or(|s| e.split == s))
            .map(|e| (e.draft.tokens, e.draft.assistant_tokens))
            .collect()
    };
    let train = sizes(Some(Split::Train));
    let train_totals: Vec<usize> = train.iter().map(|e| e.0).collect();
    TokenReport {
        budget: budget.clone(),
        overall: TokenStats::new(&sizes(None)),
        train: TokenStats::new(&train),
        validation: TokenStats::new(&sizes(Some(Split::Validation))),
        test: TokenStats::new(&sizes(Some(Split::Test))),
        trained_estimate: estimate_trained(&train_totals, budget.limit),
        tokenizers: Vec::new(),
    }
}

/// Where a version's content came from, for its manifest.
struct Provenance {
    /// Digests of the input files (config, catalog, prompt files, overrides).
    pub inputs: Vec<InputDigest>,
    /// The code store, described without secrets.
    pub code_store: String,
    /// The render check's thumbnails of each scene (`[render] keep_frames`): what the scenes drew.
    pub frames: Vec<Thumbnail>,
}

/// Stage the version directory, write every file, and move it into place; gives its path. The
/// examples' code is read back from `spill`.
fn write(
    config: &Config,
    records: &[TemplateRecord],
    examples: &[Example<'_>],
    spill: &Spill,
    stats: &Stats,
    provenance: Provenance,
    written: &Counter<'_>,
) -> Result<PathBuf> {
    let Provenance {
        inputs,
        code_store,
        frames,
    } = provenance;
    let root = config.resolve(&config.output.root);
    let staging = Staging::begin(&root, &config.output.tag)?;
    let system_json = json_string(&config.prompts.system);
    let mut files = write_split_files(
        &staging,
        examples,
        Some(spill),
        &LineSettings {
            system_json: &system_json,
            fps: config.video.fps,
            base_dir: &config.base_dir,
        },
        &|n| written.add(n),
    )?;
    let stats_json =
        serde_json::to_vec_pretty(stats).map_err(|e| Error::serialize("stats.json", e))?;
    files.push(staging.write_small("stats.json", &stats_json)?);
    if !frames.is_empty() {
        staging.create_dir("frames")?;
        for (name, bytes) in &frames {
            files.push(staging.write_small(name, bytes)?);
        }
    }
    let manifest = Manifest {
        tool: Tool::this(),
        tag: config.output.tag.clone(),
        files,
        inputs,
        code: code_digest(records, code_store),
        config: RecordedConfig::of(config)?,
    };
    let manifest_json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Error::serialize("manifest.json", e))?;
    staging.write_small("manifest.json", &manifest_json)?;
    staging.commit()
}

/// One digest over the id and code digest of every template whose code went into the dataset.
fn code_digest(records: &[TemplateRecord], source: String) -> CodeDigest {
    let mut listing = String::new();
    let mut templates = 0;
    for record in records {
        if let Some(code) = record.accepted() {
            templates += 1;
            listing.push_str(&record.template.id);
            listing.push('\t');
            listing.push_str(&code.sha256.hex());
            listing.push('\n');
        }
    }
    CodeDigest {
        source,
        templates,
        sha256: sha256_hex(listing.as_bytes()),
    }
}

/// The first `n` examples as the full lines a build would write.
fn samples(
    config: &Config,
    examples: &[Example<'_>],
    spill: &Spill,
    n: usize,
) -> Result<Vec<Sample>> {
    let system_json = crate::code::json_string(&config.prompts.system);
    let settings = LineSettings {
        system_json: &system_json,
        fps: config.video.fps,
        base_dir: &config.base_dir,
    };
    let mut renderer = LineRenderer::default();
    let mut bytes = Vec::new();
    let mut out = Vec::new();
    for e in examples.iter().take(n) {
        bytes.clear();
        let line = renderer.render(e, Some(spill), &settings, &mut bytes)?;
        out.push(Sample {
            key: e.key(),
            split: e.split,
            line: serde_json::from_slice(line.full(&bytes))
                .map_err(|e| Error::serialize("a sample", e))?,
        });
    }
    Ok(out)
}
