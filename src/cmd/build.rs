//! `template-sft build`: catalog + code + prompts → a new dataset version directory.
//!
//! Reads the config, loads every input, gates the code, writes briefs, splits, and writes
//! `{split}.jsonl`, `{split}.upload.jsonl`, `{split}.meta.jsonl`, `stats.json` and `manifest.json`
//! into a fresh version directory (or, with `--dry-run`, prints what it would write).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::catalog::{self, Template};
use crate::code::check::{self, Rejection};
use crate::code::overrides::OverrideDir;
use crate::code::verdicts::{Verdict, VerdictCache};
use crate::code::{self, json_string, CodeOrigin, MissingCode, TemplateCode};
use crate::config::{Config, SplitMode};
use crate::console::Console;
use crate::dataset::example::{Example, Rendered};
use crate::dataset::manifest::{CodeDigest, InputDigest, Manifest};
use crate::dataset::split_files::write_split_files;
use crate::dataset::stats::{
    self, BriefStats, CodeOverrideUse, OverLimit, SkippedTemplate, Stats, TokenReport, Totals,
};
use crate::dataset::writer::{check_tag, Staging};
use crate::digest::{seeded_hash, sha256_hex};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::prompts::brief::{self, BriefOrigin};
use crate::prompts::{self, PromptSet};
use crate::split::{self, Ratios, Split};
use crate::tokens::{chat_total, estimate_trained, Budget, TokenStats};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project config.
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
    /// Check and tokenize every template again instead of reusing the last build's verdicts for
    /// unchanged code (and do not remember this build's).
    #[arg(long)]
    pub no_cache: bool,
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    let mut config = Config::load(&args.config)?;
    if let Some(seed) = args.seed {
        config.split.seed = seed;
    }
    if let Some(tag) = &args.tag {
        check_tag(tag).map_err(|why| Error::Usage(format!("--tag {why}")))?;
        config.output.tag = tag.clone();
    }
    if let Some(model) = &args.model {
        config.tokens.model = model.clone();
    }
    let budget = Budget::new(&config.tokens.model, config.tokens.max_tokens)
        .map_err(|why| Error::Usage(format!("--model: {why}")))?;
    // Building the encoder's tables takes ~0.1 s: overlap it with reading the inputs.
    let encoding = budget.encoding;
    std::thread::spawn(move || encoding.warm_up());

    let started = std::time::Instant::now();
    let inputs = Inputs::load(&config, &budget, args.limit, args.no_cache, console)?;
    let built = Built::new(&config, &inputs, &budget, console);
    console.detail(format!(
        "{:.2}s: {} examples briefed and split",
        started.elapsed().as_secs_f64(),
        built.examples.len()
    ));
    let rejected = inputs.rejections.len() + built.over_limit.len();
    if args.strict && rejected > 0 {
        return Err(Error::Rejected { count: rejected });
    }
    if built.examples.is_empty() {
        return Err(Error::input(
            Location::file(config.resolve(&config.catalog.path)),
            "no examples to write: every template lacks code, a duration or a brief",
        ));
    }
    let root = config.resolve(&config.output.root);
    if args.dry_run {
        let name = Staging::next_free_name(&root, &config.output.tag);
        return print_dry_run(&config, &built, &root.join(name), args.samples);
    }
    let dir = write(&config, &inputs, &built, &budget, console)?;
    console.detail(format!(
        "{:.2}s: written and renamed into place",
        started.elapsed().as_secs_f64()
    ));
    let remembered = inputs
        .verdicts
        .iter()
        .map(|(sha, verdict)| (sha.as_str(), verdict));
    if let Err(e) = inputs.cache.save(remembered) {
        console.warn(
            None,
            format!("could not save the gate cache (the next build checks everything again): {e}"),
        );
    }
    if let Some(kib) = peak_rss_kib() {
        console.detail(format!("peak memory: {} MiB", kib / 1024));
    }
    let t = &built.totals;
    console.result(format!(
        "wrote {}: {} examples (train {}, validation {}, test {}) from {} templates",
        dir.display(),
        t.all,
        t.train,
        t.validation,
        t.test,
        built.templates_covered
    ));
    Ok(())
}

/// Everything read from the inputs, before any example exists.
struct Inputs {
    templates: Vec<Template>,
    excluded_by_source: usize,
    /// Per template, its checked code.
    codes: Vec<Option<TemplateCode>>,
    missing: Vec<MissingCode>,
    rejections: Vec<Rejection>,
    source: String,
    prompts: PromptSet,
    /// This build's gate verdicts by SHA-256 of the fetched bytes, and where to remember them.
    verdicts: Vec<(String, Verdict)>,
    cache: VerdictCache,
}

impl Inputs {
    fn load(
        config: &Config,
        budget: &Budget,
        limit: Option<usize>,
        no_cache: bool,
        console: &Console,
    ) -> Result<Inputs> {
        let catalog = catalog::load(config, console)?;
        let mut templates = catalog.templates;
        if let Some(limit) = limit {
            templates.truncate(limit);
        }
        if templates.is_empty() {
            let why = match catalog.excluded_by_source {
                0 => "the catalog has no entries".to_string(),
                n => format!(
                    "no catalog entry has the source.type this build takes ({n} excluded by catalog.source_type)"
                ),
            };
            return Err(Error::input(
                Location::file(config.resolve(&config.catalog.path)),
                why,
            ));
        }
        console.detail(format!("catalog: {} templates", templates.len()));

        let mut source = code::open_source(config)?;
        let overrides = config
            .code
            .overrides_dir
            .as_ref()
            .map(|d| OverrideDir::new(config.resolve(d), config.code.extension.clone()));
        let started = std::time::Instant::now();
        let lookup = code::lookup(&templates, source.as_mut(), overrides.as_ref(), console)?;
        console.detail(format!(
            "{:.2}s: code fetched from {}",
            started.elapsed().as_secs_f64(),
            source.describe()
        ));
        for m in &lookup.missing {
            console.warn(
                None,
                format!("template {:?} has no code; skipped", m.template_id),
            );
        }

        let bar = console.progress(templates.len() as u64, "checking");
        // Parsing recurses as deep as the code nests: the gate's workers get big stacks.
        let pool = rayon::ThreadPoolBuilder::new()
            .stack_size(crate::parse_guard::PARSE_STACK)
            .build()
            .map_err(|e| Error::write("<threads>", std::io::Error::other(e)))?;
        let cache = if no_cache {
            VerdictCache::disabled()
        } else {
            VerdictCache::open(
                &config.resolve(&config.output.root),
                &config.check,
                budget.encoding,
            )
        };
        let checked: Vec<Option<(String, std::result::Result<TemplateCode, Rejection>)>> = pool
            .install(|| {
                lookup
                    .found
                    .into_par_iter()
                    .zip(templates.par_iter())
                    .map(|(found, template)| {
                        let result = found.map(|found| {
                            let sha = sha256_hex(&found.bytes);
                            // Unchanged code: the last build's verdict, without parsing or tokenizing.
                            let remembered = match cache.get(&sha) {
                                Some(Verdict::Pass { tokens }) => {
                                    check::accept_known(&found, *tokens).map(Ok)
                                }
                                Some(Verdict::Reject { rule, message }) => {
                                    check::known_rejection(&template.id, &found, rule, message)
                                        .map(Err)
                                }
                                None => None,
                            };
                            let result = remembered.unwrap_or_else(|| {
                                check::check(&template.id, found, &config.check, budget.encoding)
                            });
                            (sha, result)
                        });
                        bar.inc(1);
                        result
                    })
                    .collect()
            });
        bar.finish_and_clear();
        let mut codes = Vec::with_capacity(checked.len());
        let mut rejections = Vec::new();
        let mut verdicts = Vec::with_capacity(checked.len());
        let known = checked
            .iter()
            .flatten()
            .filter(|(sha, _)| cache.get(sha).is_some())
            .count();
        console.detail(format!(
            "gate cache: {known} of {} code bodies unchanged since the last build",
            checked.iter().flatten().count()
        ));
        for result in checked {
            let result = result.map(|(sha, result)| {
                let verdict = match &result {
                    Ok(code) => Verdict::Pass {
                        tokens: code.tokens,
                    },
                    Err(r) => Verdict::Reject {
                        rule: r.rule.to_string(),
                        message: r.message.clone(),
                    },
                };
                verdicts.push((sha, verdict));
                result
            });
            match result {
                Some(Ok(code)) => codes.push(Some(code)),
                Some(Err(rejection)) => {
                    console.warn(
                        None,
                        format!(
                            "template {:?} rejected ({}): {}",
                            rejection.template_id, rejection.rule, rejection.message
                        ),
                    );
                    rejections.push(rejection);
                    codes.push(None);
                }
                None => codes.push(None),
            }
        }

        console.detail(format!(
            "{:.2}s: code checked and tokenized",
            started.elapsed().as_secs_f64()
        ));
        let prompts = prompts::load(config, &templates, console)?;
        Ok(Inputs {
            excluded_by_source: catalog.excluded_by_source,
            templates,
            codes,
            missing: lookup.missing,
            rejections,
            source: source.describe(),
            prompts,
            verdicts,
            cache,
        })
    }
}

/// The examples, split and ordered, with what the stats need to know about how they were made.
struct Built<'a> {
    /// Ordered by split (train, validation, test), then by a seeded hash within each split.
    examples: Vec<Example<'a>>,
    totals: Totals,
    templates_per_split: Totals,
    templates_covered: usize,
    skipped: Vec<SkippedTemplate>,
    synthesized: Vec<String>,
    briefs: BriefStats,
    over_limit: Vec<OverLimit>,
}

impl<'a> Built<'a> {
    fn new(config: &Config, inputs: &'a Inputs, budget: &Budget, console: &Console) -> Built<'a> {
        let system_tokens = budget.encoding.count(&config.prompts.system);
        let mut over_limit = Vec::new();
        let display = |at: &Location| {
            let path = config.display_path(&at.path);
            match (at.line, at.col) {
                (Some(l), Some(c)) => format!("{path}:{l}:{c}"),
                (Some(l), None) => format!("{path}:{l}"),
                _ => path,
            }
        };
        let mut examples = Vec::new();
        let mut skipped = Vec::new();
        let mut synthesized = Vec::new();
        let mut briefs_stats = BriefStats::default();
        // Briefs and their token counts, per template, on all cores: tokenizing tens of thousands of
        // briefs is most of this stage's work. Warnings and stats are gathered in order below.
        let precomputed: Vec<Option<(brief::TemplateBriefs, Vec<usize>)>> = inputs
            .templates
            .par_iter()
            .enumerate()
            .map(|(i, template)| {
                inputs.codes[i].as_ref()?;
                let duration = template.duration.or(config.video.default_duration)?;
                let made = brief::briefs_for(
                    template,
                    duration,
                    config.video.fps,
                    &inputs.prompts.overrides[i],
                    &inputs.prompts.curated[i],
                    config.prompts.variants_per_template,
                    &display,
                );
                let counts = made
                    .briefs
                    .iter()
                    .map(|b| budget.encoding.count(&b.text))
                    .collect();
                Some((made, counts))
            })
            .collect();
        for (i, (template, precomputed)) in inputs.templates.iter().zip(precomputed).enumerate() {
            let Some(code) = &inputs.codes[i] else {
                continue;
            };
            let Some(duration) = template.duration.or(config.video.default_duration) else {
                console.warn(
                    Some(&template.origin),
                    format!("template {:?} has no duration and video.default_duration is not set; skipped", template.id),
                );
                skipped.push(SkippedTemplate {
                    template_id: template.id.clone(),
                    reason: "no duration".into(),
                });
                continue;
            };
            let Some((made, brief_tokens)) = precomputed else {
                continue;
            };
            if made.synthesized {
                synthesized.push(template.id.clone());
            }
            briefs_stats.gated += made.gated.len();
            briefs_stats.gated_prompts.extend(made.gated);
            for (b, brief_tokens) in made.briefs.into_iter().zip(brief_tokens) {
                let tokens = chat_total(&[system_tokens, brief_tokens, code.tokens]);
                if tokens > budget.limit {
                    console.warn(
                        None,
                        format!(
                            "example {}/{}/{} has {tokens} tokens, over the {} limit of {}; dropped",
                            template.id, b.variant, b.format, budget.model, budget.limit
                        ),
                    );
                    over_limit.push(OverLimit {
                        template_id: template.id.clone(),
                        prompt_variant: b.variant.clone(),
                        format: b.format.name(),
                        tokens,
                        limit: budget.limit,
                    });
                    continue;
                }
                *briefs_stats.by_origin.entry(b.origin.kind()).or_default() += 1;
                *briefs_stats.by_format.entry(b.format.name()).or_default() += 1;
                let prompt_source = match &b.origin {
                    BriefOrigin::Curated(at) | BriefOrigin::Override(at) => display(at),
                    // Not the catalog's file:line: the same entry gives the same dataset whether
                    // the catalog is TypeScript or JSON.
                    BriefOrigin::Synthesized(field) => format!("catalog:{field}"),
                };
                examples.push(Example {
                    template,
                    code,
                    brief: b,
                    duration,
                    prompt_source,
                    split: Split::Train,
                    tokens,
                    assistant_tokens: code.tokens,
                });
            }
        }

        assign_splits(config, &mut examples);
        let order_key = |e: &Example<'_>| {
            let (id, variant, format) = e.key();
            (
                e.split,
                seeded_hash(config.split.seed, &["order", id, variant, format.name()]),
            )
        };
        examples.sort_by_cached_key(order_key);

        let mut totals = Totals::default();
        let mut per_split: BTreeMap<Split, std::collections::BTreeSet<&str>> = BTreeMap::new();
        for e in &examples {
            totals.all += 1;
            *split_count(&mut totals, e.split) += 1;
            per_split.entry(e.split).or_default().insert(&e.template.id);
        }
        let mut templates_per_split = Totals::default();
        let mut covered = std::collections::BTreeSet::new();
        for (split, ids) in &per_split {
            *split_count(&mut templates_per_split, *split) = ids.len();
            covered.extend(ids.iter().copied());
        }
        templates_per_split.all = covered.len();
        Built {
            examples,
            totals,
            templates_covered: covered.len(),
            templates_per_split,
            skipped,
            synthesized,
            briefs: briefs_stats,
            over_limit,
        }
    }
}

/// The process's peak resident memory (VmHWM), where /proc tells it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn split_count(totals: &mut Totals, split: Split) -> &mut usize {
    match split {
        Split::Train => &mut totals.train,
        Split::Validation => &mut totals.validation,
        Split::Test => &mut totals.test,
    }
}

/// Group examples (by template, or each on its own) and give every example its group's split.
fn assign_splits(config: &Config, examples: &mut [Example<'_>]) {
    let ratios = Ratios {
        train: config.split.train,
        validation: config.split.validation,
        test: config.split.test,
    };
    let keys: Vec<String> = examples
        .iter()
        .map(|e| match config.split.mode {
            SplitMode::Template => e.template.id.clone(),
            SplitMode::Example => {
                let (id, variant, format) = e.key();
                format!("{id}\u{1f}{variant}\u{1f}{format}")
            }
        })
        .collect();
    // Groups in first-seen order; examples of a template are contiguous.
    let mut groups: Vec<(&str, usize)> = Vec::new();
    let mut group_of = Vec::with_capacity(keys.len());
    for key in &keys {
        match groups.last_mut() {
            Some((last, n)) if *last == key.as_str() => *n += 1,
            _ => groups.push((key.as_str(), 1)),
        }
        group_of.push(groups.len() - 1);
    }
    let splits = split::assign(&groups, &ratios, config.split.seed);
    for (example, g) in examples.iter_mut().zip(group_of) {
        example.split = splits[g];
    }
}

fn print_dry_run(
    config: &Config,
    built: &Built<'_>,
    target: &std::path::Path,
    samples: usize,
) -> Result<()> {
    let t = &built.totals;
    let mut out = std::io::stdout().lock();
    let mut go = || -> std::io::Result<()> {
        writeln!(
            out,
            "dry run: nothing written (a build would write {})",
            target.display()
        )?;
        writeln!(
            out,
            "examples: {} (train {}, validation {}, test {}) from {} templates",
            t.all, t.train, t.validation, t.test, built.templates_covered
        )?;
        let mut rendered = Rendered::default();
        for (n, e) in built.examples.iter().take(samples).enumerate() {
            rendered
                .render(e, &json_string(&config.prompts.system), config.video.fps)
                .map_err(std::io::Error::other)?;
            let mut line = Vec::new();
            rendered.full_line(&mut line)?;
            let value: serde_json::Value =
                serde_json::from_slice(&line).map_err(std::io::Error::other)?;
            writeln!(
                out,
                "\n--- sample {} of {}: {} / {} / {} / {}",
                n + 1,
                samples.min(built.examples.len()),
                e.split.name(),
                e.template.id,
                e.brief.variant,
                e.brief.format
            )?;
            serde_json::to_writer_pretty(&mut out, &value).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        Ok(())
    };
    match go() {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::write("<stdout>", e)),
        Ok(()) => Ok(()),
    }
}

/// Stage the version directory, write every file, and move it into place.
fn write(
    config: &Config,
    inputs: &Inputs,
    built: &Built<'_>,
    budget: &Budget,
    console: &Console,
) -> Result<PathBuf> {
    let root = config.resolve(&config.output.root);
    let staging = Staging::begin(&root, &config.output.tag)?;
    let bar = console.progress(built.examples.len() as u64, "writing");
    let system_json = json_string(&config.prompts.system);
    let mut files = write_split_files(
        &staging,
        &built.examples,
        &system_json,
        config.video.fps,
        &bar,
    )?;
    bar.finish_and_clear();

    let stats = Stats {
        generated_at: stats::now_rfc3339(),
        tool_version: env!("CARGO_PKG_VERSION"),
        tag: config.output.tag.clone(),
        seed: config.split.seed,
        split_mode: config.split.mode,
        totals: built.totals.clone(),
        templates_processed: inputs.templates.len(),
        templates_excluded_by_source: inputs.excluded_by_source,
        unique_templates_covered: built.templates_covered,
        templates_per_split: built.templates_per_split.clone(),
        missing_templates: inputs.missing.clone(),
        sanitizer_failures: inputs.rejections.clone(),
        code_overrides_used: inputs
            .templates
            .iter()
            .zip(&inputs.codes)
            .filter_map(|(t, c)| match &c.as_ref()?.origin {
                CodeOrigin::Override { path } => Some(CodeOverrideUse {
                    template_id: t.id.clone(),
                    path: config.display_path(path),
                }),
                CodeOrigin::Store { .. } => None,
            })
            .collect(),
        skipped_templates: built.skipped.clone(),
        synthesized_templates: built.synthesized.clone(),
        prompts: inputs.prompts.stats.clone(),
        briefs: built.briefs.clone(),
        tokens: token_report(built, budget),
        over_limit_examples: built.over_limit.clone(),
    };
    let stats_json = serde_json::to_vec_pretty(&stats)
        .map_err(|e| Error::write("stats.json", std::io::Error::other(e)))?;
    files.push(staging.write_small("stats.json", &stats_json)?);

    let manifest = Manifest {
        tool: Manifest::tool(),
        tag: config.output.tag.clone(),
        files,
        inputs: input_digests(config)?,
        code: code_digest(inputs),
        config: serde_json::to_value(config)
            .map_err(|e| Error::write("manifest.json", std::io::Error::other(e)))?,
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::write("manifest.json", std::io::Error::other(e)))?;
    staging.write_small("manifest.json", &manifest_json)?;
    staging.commit()
}

fn token_report(built: &Built<'_>, budget: &Budget) -> TokenReport {
    let sizes = |split: Option<Split>| -> Vec<(usize, usize)> {
        built
            .examples
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
    }
}

fn input_digests(config: &Config) -> Result<Vec<InputDigest>> {
    let mut out = vec![
        InputDigest::of_file("config", &config.path, config.display_path(&config.path))?,
        InputDigest::of_file(
            "catalog",
            &config.resolve(&config.catalog.path),
            config.display_path(&config.resolve(&config.catalog.path)),
        )?,
    ];
    let prompt_files = config
        .prompts
        .curated
        .iter()
        .chain(&config.prompts.curated_optional);
    for path in prompt_files.chain(&config.prompts.overrides) {
        let resolved = config.resolve(path);
        if resolved.exists() {
            let kind = if Some(path) == config.prompts.overrides.as_ref() {
                "overrides"
            } else {
                "prompts"
            };
            out.push(InputDigest::of_file(
                kind,
                &resolved,
                config.display_path(&resolved),
            )?);
        }
    }
    Ok(out)
}

fn code_digest(inputs: &Inputs) -> CodeDigest {
    let mut listing = String::new();
    let mut templates = 0;
    for (t, c) in inputs.templates.iter().zip(&inputs.codes) {
        if let Some(code) = c {
            templates += 1;
            listing.push_str(&t.id);
            listing.push('\t');
            listing.push_str(&code.sha256);
            listing.push('\n');
        }
    }
    CodeDigest {
        source: inputs.source.clone(),
        templates,
        sha256: sha256_hex(listing.as_bytes()),
    }
}
