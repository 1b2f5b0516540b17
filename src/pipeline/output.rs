//! The output stage: the typed stats of a build, and the version directory written atomically.
//!
//! Takes the records, the examples (split and ordered) and what the earlier stages counted; gives the
//! [`Stats`] (also for a dry run) and, when asked, writes the split files, `stats.json` and
//! `manifest.json` into a staging directory that is renamed into place only when complete.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use indicatif::ProgressBar;

use super::record::TemplateRecord;
use crate::code::gate::Rejection;
use crate::code::spill::Spill;
use crate::code::{json_string, CodeOrigin, MissingCode};
use crate::config::Config;
use crate::dataset::example::Example;
use crate::dataset::manifest::{CodeDigest, InputDigest, Manifest, Tool};
use crate::dataset::split_files::write_split_files;
use crate::dataset::stats::{
    self, BriefStats, CodeOverrideUse, DuplicateExample, DurationStats, NearCopyStats, OverLimit,
    SkippedTemplate, Stats, TokenReport, Totals,
};
use crate::dataset::writer::Staging;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::prompts::PromptStats;
use crate::split::Split;
use crate::tokens::lengths::TokenizerLengths;
use crate::tokens::{estimate_trained, Budget, TokenStats};

/// What the stages before this one counted and listed.
pub struct Counted {
    pub excluded_by_source: usize,
    pub missing: Vec<MissingCode>,
    pub rejections: Vec<Rejection>,
    pub skipped: Vec<SkippedTemplate>,
    pub durations: DurationStats,
    pub near_copies: NearCopyStats,
    pub duplicates: Vec<DuplicateExample>,
    pub synthesized: Vec<String>,
    pub prompts: PromptStats,
    pub briefs: BriefStats,
    pub over_limit: Vec<OverLimit>,
    pub tokenizers: Vec<TokenizerLengths>,
    pub render: Option<stats::RenderStats>,
}

/// The stats of a build whose examples are split and in their final order.
pub fn stats(
    config: &Config,
    records: &[TemplateRecord],
    examples: &[Example<'_>],
    budget: &Budget,
    counted: Counted,
) -> Stats {
    let mut totals = Totals::default();
    let mut per_split: BTreeMap<Split, BTreeSet<&str>> = BTreeMap::new();
    for e in examples {
        totals.add(e.split);
        per_split.entry(e.split).or_default().insert(&e.template.id);
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
        sanitizer_failures: counted.rejections,
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
        skipped_templates: counted.skipped,
        synthesized_templates: counted.synthesized,
        prompts: counted.prompts,
        briefs: counted.briefs,
        durations: counted.durations,
        near_copies: counted.near_copies,
        duplicate_examples: counted.duplicates,
        tokens: TokenReport {
            tokenizers: counted.tokenizers,
            ..token_report(examples, budget)
        },
        over_limit_examples: counted.over_limit,
    }
}

fn token_report(examples: &[Example<'_>], budget: &Budget) -> TokenReport {
    let sizes = |split: Option<Split>| -> Vec<(usize, usize)> {
        examples
            .iter()
            .filter(|e| split.is_none_or(|s| e.split == s))
            .map(|e| (e.tokens, e.assistant_tokens))
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
pub struct Provenance {
    /// Digests of the input files (config, catalog, prompt files, overrides).
    pub inputs: Vec<InputDigest>,
    /// The code store, described without secrets.
    pub code_store: String,
}

/// Stage the version directory, write every file, and move it into place; gives its path. The
/// examples' code is read back from `spill`.
pub fn write(
    config: &Config,
    records: &[TemplateRecord],
    examples: &[Example<'_>],
    spill: &Spill,
    stats: &Stats,
    provenance: Provenance,
    bar: &ProgressBar,
) -> Result<PathBuf> {
    let Provenance { inputs, code_store } = provenance;
    let root = config.resolve(&config.output.root);
    let staging = Staging::begin(&root, &config.output.tag)?;
    let system_json = json_string(&config.prompts.system);
    let model_names = stats.tokens.tokenizer_names();
    let mut files = write_split_files(
        &staging,
        examples,
        Some(spill),
        &system_json,
        config.video.fps,
        &model_names,
        bar,
    )?;
    let stats_json =
        serde_json::to_vec_pretty(stats).map_err(|e| Error::serialize("stats.json", e))?;
    files.push(staging.write_small("stats.json", &stats_json)?);
    let manifest = Manifest {
        tool: Tool::this(),
        tag: config.output.tag.clone(),
        files,
        inputs,
        code: code_digest(records, code_store),
        config: serde_json::to_value(config).map_err(|e| Error::serialize("manifest.json", e))?,
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
            listing.push_str(&code.sha256);
            listing.push('\n');
        }
    }
    CodeDigest {
        source,
        templates,
        sha256: sha256_hex(listing.as_bytes()),
    }
}
