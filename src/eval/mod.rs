//! `eval`: measure a model on a dataset's held-out split.
//!
//! Takes a version directory (verified) and a split; [`prepare`] gives the split's prompts as an
//! OpenAI Batch API request file (which OpenAI's and Together's batch APIs and `vllm run-batch` all
//! run unchanged, so the tool needs no HTTP client and no key), and [`evaluate`] gives an
//! [`Evaluation`]: every example's checks ([`checks`]) on the model's predictions ([`predictions`]),
//! the summary with intervals ([`summary`], [`intervals`]), optionally against a baseline, printed by
//! [`terminal`] and rendered by [`html`]. The quality-gate rules and the duration export are the
//! ones the version was built with (its manifest's config), so a model is held to the bar its
//! training data passed. Predictions are read in chunks scored on all cores; only the small scored
//! rows are kept.

pub mod checks;
pub mod chrf;
pub mod html;
pub mod intervals;
pub mod predictions;
pub mod remotion_api;
pub mod rendered;
pub mod summary;
pub mod terminal;
pub mod video;

pub use rendered::EVAL_FRAMES;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::batch;
use crate::code::duration::DurationExport;
use crate::dataset::manifest;
use crate::dataset::version::Version;
use crate::dataset::writer::refuse_inside_version;
use crate::error::{wording, Error, Result};
use crate::prompts::brief::PromptOrigin;
use crate::render::RenderOptions;
use crate::split::Split;
use crate::video::{DurationFrom, VideoFormat};
use checks::{check_names, score, Check, Gold, Scored, Settings};
use predictions::{Answer, Ids, Leftovers};
use summary::{Comparison, Scores};

/// A version's held-out examples and the rules they are scored by.
pub struct Heldout {
    pub tag: String,
    pub examples: Vec<Gold>,
    pub settings: Settings,
    /// The model the version was budgeted for (the default of `prepare --model`).
    pub model: String,
    /// The version's frame rate (what `--render` renders at).
    pub fps: u32,
    /// The packages and runtime the version's scenes were rendered with.
    pub render: crate::dataset::manifest::RenderSettings,
}

impl Heldout {
    /// Open `dir` (its manifest must verify) and read `split`'s examples.
    pub fn open(dir: &Path, split: Split) -> Result<Heldout> {
        let version = Version::open(dir)?;
        let (manifest, _) = manifest::read(dir)?;
        let settings = manifest
            .config
            .settings()
            .map_err(|why| wording::bad_recorded_config(&dir.join("manifest.json"), why))?;
        let rules = settings.check;
        let render = settings.render;
        let fps = settings.video.fps.get();
        let export = settings.video.duration_export;
        let mut examples = Vec::new();
        // An example id twice (a version made by hand) would be two requests with one custom_id,
        // which the Batch API refuses, and two golds for one answer.
        let mut lines: HashMap<String, usize> = HashMap::new();
        let mut twice = None;
        version.for_each_example(split, |e| {
            let key = e.meta.key();
            let id = key.id();
            let line = examples.len() + 1;
            if let Some(&first) = lines.get(&id) {
                twice = Some((id, first, line));
                return false;
            }
            lines.insert(id.clone(), line);
            examples.push(Gold {
                id,
                template_id: key.template_id,
                prompt_variant: key.prompt_variant,
                format: key.format,
                prompt_origin: e.meta.prompt_origin,
                system: e.content("system").to_string(),
                brief: e.content("user").to_string(),
                code: e.content("assistant").to_string(),
                frames: e.meta.duration,
                frames_from_code: e.meta.duration_source == Some(DurationFrom::Code),
            });
            true
        })?;
        if let Some((id, first, second)) = twice {
            let file = dir.join(format!("{}.jsonl", split.name()));
            return Err(wording::example_twice(&file, &id, first, second));
        }
        if examples.is_empty() {
            let with: Vec<&str> = version.splits().iter().map(|s| s.name()).collect();
            return Err(wording::empty_split(dir, split.name(), &with));
        }
        // The globals the host app provides, as the gold scenes read them: each distinct gold code
        // once.
        let mut host_globals = std::collections::BTreeSet::new();
        let mut seen = HashSet::new();
        for g in &examples {
            if seen.insert(crate::digest::text_hash(&g.code)) {
                host_globals.extend(
                    crate::render::globals::read_by(&g.code)
                        .into_iter()
                        .filter(|g| g.via == crate::render::globals::Via::Bare)
                        .map(|g| g.name),
                );
            }
        }
        Ok(Heldout {
            tag: version.stats.tag.clone(),
            examples,
            settings: Settings {
                rules,
                export: DurationExport::new(&export),
                encoding: version.stats.tokens.budget.encoding,
                host_globals,
            },
            model: version.stats.tokens.budget.model.clone(),
            fps,
            render,
        })
    }

    fn ids(&self) -> Ids<'_> {
        let mut by_brief: HashMap<&str, Option<&str>> = HashMap::new();
        for g in &self.examples {
            by_brief
                .entry(&g.brief)
                .and_modify(|id| *id = None)
                .or_insert(Some(&g.id));
        }
        Ids {
            ids: self.examples.iter().map(|g| g.id.as_str()).collect(),
            by_key: self
                .examples
                .iter()
                .map(|g| (g.id.clone(), g.id.as_str()))
                .collect(),
            by_brief,
        }
    }
}

/// `eval prepare`'s settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PrepareOptions {
    /// The split to prompt from (default test).
    pub split: Split,
    /// The model to run (default: the model the version was built for).
    pub model: Option<String>,
    /// Most tokens a reply may have (default: twice the longest gold code, rounded up, within the
    /// model's output limit).
    pub max_tokens: Option<usize>,
    /// Sampling temperature (0 to 2).
    pub temperature: f64,
}

impl Default for PrepareOptions {
    /// The test split, the version's model, the default reply length, temperature 0.
    fn default() -> Self {
        PrepareOptions {
            split: Split::Test,
            model: None,
            max_tokens: None,
            temperature: 0.0,
        }
    }
}

/// What `eval prepare` wrote.
#[derive(Debug)]
#[non_exhaustive]
pub struct Prepared {
    /// Requests written.
    pub requests: usize,
    /// The model they ask.
    pub model: String,
    /// Their `max_tokens`.
    pub max_tokens: usize,
    /// The name written under: OUT, or the next free numbered name when OUT (or one of its parts)
    /// exists, as every output does.
    pub out: PathBuf,
    /// The files written: that name, or its numbered parts when one file would pass the Batch
    /// API's limits.
    pub files: Vec<PathBuf>,
    /// What the caller should warn about (an unknown output limit, a default cut to the limit).
    pub notes: Vec<String>,
}

/// The `max_tokens` of every request, and a note when it was cut or cannot be checked.
fn max_tokens(
    model: &str,
    requested: Option<usize>,
    longest: usize,
) -> Result<(usize, Option<String>)> {
    if requested == Some(0) {
        return Err(wording::max_tokens_zero());
    }
    let default = (2 * longest).max(1).div_ceil(256) * 256;
    match (batch::output_limit(model), requested) {
        (Some((limit, _)), Some(n)) if n > limit => {
            Err(wording::max_tokens_over_limit(n, model, limit))
        }
        (Some(_), Some(n)) => Ok((n, None)),
        (Some((limit, _)), None) if default > limit => {
            let note = if longest > limit {
                format!("the longest gold answer has {longest} tokens, over {model}'s output limit of {limit}: max_tokens is {limit}, and answers that long will be cut")
            } else {
                format!("max_tokens is {limit}, {model}'s output limit (twice the longest gold answer, {default}, is over it)")
            };
            Ok((limit, Some(note)))
        }
        (Some(_), None) => Ok((default, None)),
        (None, requested) => {
            let n = requested.unwrap_or(default);
            Ok((n, Some(format!(
                "{model}'s output limit is not known to template-sft: max_tokens {n} is not checked against it (a request over it is rejected)"
            ))))
        }
    }
}

/// Write the split's prompts (system and user, no answer) to `out` as a Batch API request file,
/// or as numbered parts of it (`OUT-1.jsonl`, …) when one file would hold more than
/// 50,000 requests or 200 MB (the Batch API's limits).
pub fn prepare(dir: &Path, options: &PrepareOptions, out: &Path) -> Result<Prepared> {
    let heldout = Heldout::open(dir, options.split)?;
    let model = options.model.clone().unwrap_or(heldout.model.clone());
    let longest = heldout
        .examples
        .iter()
        .map(|g| heldout.settings.encoding.count(&g.code))
        .max()
        .unwrap_or(0);
    let (max_tokens, note) = max_tokens(&model, options.max_tokens, longest)?;
    let reasoning = batch::output_limit(&model).is_some_and(|(_, reasoning)| reasoning);
    refuse_inside_version(out)?;
    let lines = heldout.examples.iter().map(|g| {
        let turn = |role, content| crate::tokens::chat_template::Turn { role, content };
        let request = batch::Request {
            custom_id: &g.id,
            method: "POST",
            url: "/v1/chat/completions",
            body: batch::Body {
                model: &model,
                messages: [turn("system", &g.system), turn("user", &g.brief)],
                max_tokens: (!reasoning).then_some(max_tokens),
                max_completion_tokens: reasoning.then_some(max_tokens),
                temperature: options.temperature,
            },
        };
        let mut line =
            serde_json::to_vec(&request).map_err(|e| Error::serialize("a batch request", e))?;
        line.push(b'\n');
        Ok(line)
    });
    let written = batch::write_requests(lines, out)?;
    let mut notes: Vec<String> = note.into_iter().collect();
    notes.extend(written.note(heldout.examples.len()));
    let (base, files) = (written.base, written.files);
    Ok(Prepared {
        out: base,
        requests: heldout.examples.len(),
        model,
        max_tokens,
        files,
        notes,
    })
}

/// Where the outputs to score come from.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Outputs<'a> {
    /// A predictions file.
    File(&'a Path),
    /// The gold code itself (the ceiling; also whether the briefs' durations hold for their code).
    Gold,
}

impl Outputs<'_> {
    fn describe(&self) -> String {
        match self {
            Outputs::File(p) => p.display().to_string(),
            Outputs::Gold => "the gold code".to_string(),
        }
    }
}

/// Scored predictions (and what could not be used) for the held-out examples.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Scoring {
    /// The predictions file (or `gold`).
    pub source: String,
    /// One scored row per held-out example.
    pub rows: Vec<Scored>,
    /// Lines that could not be used, and predictions for unknown ids.
    pub leftovers: Leftovers,
}

/// Everything `eval` found.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Evaluation {
    /// The version directory.
    pub dir: String,
    /// Its tag.
    pub tag: String,
    /// The split scored.
    pub split: Split,
    /// The Remotion release whose API the `remotion_api` check knows.
    pub remotion_api_release: &'static str,
    /// The checks scored, in order.
    pub checks: Vec<Check>,
    /// Pass rates and similarity over all rows.
    pub summary: Scores,
    /// The same, per template id.
    pub by_template: BTreeMap<String, Scores>,
    /// The same, per format.
    pub by_format: BTreeMap<VideoFormat, Scores>,
    /// The same, per prompt origin.
    pub by_prompt_origin: BTreeMap<PromptOrigin, Scores>,
    /// The predictions' scores.
    pub predictions: Scoring,
    /// A baseline's scores, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Scoring>,
    /// Predictions against the baseline, paired by example.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The held-out briefs, by id (for the report's worst examples).
    #[serde(skip)]
    pub briefs: HashMap<String, String>,
}

impl Evaluation {
    /// The summaries per template, per format and per prompt origin, each named, in key order
    /// (what the reports' group tables show).
    pub fn groups(&self) -> [Vec<(&str, &Scores)>; 3] {
        [
            self.by_template
                .iter()
                .map(|(id, s)| (id.as_str(), s))
                .collect(),
            self.by_format.iter().map(|(f, s)| (f.name(), s)).collect(),
            self.by_prompt_origin
                .iter()
                .map(|(o, s)| (o.name(), s))
                .collect(),
        ]
    }
}

/// What to score and how: the split, the outputs, a baseline, whether to render, and who hears
/// how it goes.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct EvalOptions<'a> {
    /// The split scored (`test` by default).
    pub split: Split,
    /// The outputs scored (the gold code by default: the ceiling).
    pub outputs: Outputs<'a>,
    /// A baseline's predictions, scored alike and compared.
    pub baseline: Option<&'a Path>,
    /// Render outputs and gold, and score how alike they look and move.
    pub render: Option<&'a RenderOptions>,
    /// Told how rendering goes (the kit's install, a bar of the renders); `None`: silent.
    pub observer: Option<&'a dyn crate::pipeline::Observer>,
}

impl<'a> EvalOptions<'a> {
    /// The gold code on the test split: no baseline, no render.
    pub fn new() -> Self {
        EvalOptions {
            split: Split::Test,
            outputs: Outputs::Gold,
            baseline: None,
            render: None,
            observer: None,
        }
    }

    /// Score `outputs`.
    pub fn outputs(self, outputs: Outputs<'a>) -> Self {
        EvalOptions { outputs, ..self }
    }

    /// Score on `split`.
    pub fn split(self, split: Split) -> Self {
        EvalOptions { split, ..self }
    }
}

impl Default for EvalOptions<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Score the outputs (and a baseline's predictions) on a split of the version in `dir`.
pub fn evaluate(dir: &Path, options: &EvalOptions<'_>) -> Result<Evaluation> {
    let EvalOptions {
        split,
        outputs,
        baseline,
        render,
        observer,
    } = *options;
    let observer = observer.unwrap_or(&crate::pipeline::observer::Silent);
    let heldout = Heldout::open(dir, split)?;
    let mut checks = check_names(&heldout.settings.rules);
    if render.is_some() {
        checks.extend(rendered::RENDER_CHECKS);
    }
    // Scoring parses model outputs, which may nest as deep as anything: big stacks, as in the gate.
    let pool = crate::parse_guard::parse_pool().map_err(|e| Error::Threads(e.to_string()))?;
    let keep = render.is_some();
    let ((mut predictions, codes), baseline) = pool.install(|| -> Result<_> {
        let predictions = score_all(&heldout, outputs, keep)?;
        let baseline = baseline
            .map(|path| score_all(&heldout, Outputs::File(path), keep))
            .transpose()?;
        Ok((predictions, baseline))
    })?;
    let mut baseline = baseline;
    if let Some(options) = render {
        // The project's scenes read what its runtime provides: without it, gold and outputs alike
        // fail for a reason that is not theirs.
        let recorded = &heldout.render;
        if options.kit.runtime.is_none()
            && options.kit.packages.is_empty()
            && (recorded.runtime.is_some() || !recorded.packages.is_empty())
        {
            observer.diagnostic(&crate::diagnostic::warning::render_without_runtime(
                recorded.runtime.as_deref(),
                recorded.packages.len(),
            ));
        }
        let kit = crate::render::kit::ensure(&options.kit, |what| observer.info(what))?;
        let mut scorings = vec![(&mut predictions, codes)];
        if let Some((b, codes)) = baseline.as_mut() {
            scorings.push((b, std::mem::take(codes)));
        }
        rendered::render_and_compare(&heldout, scorings, &kit, options, observer)?;
    }
    let baseline = baseline.map(|(b, _)| b);
    let rows = &predictions.rows;
    let all: Vec<&Scored> = rows.iter().collect();
    let comparison = baseline
        .as_ref()
        .map(|b| summary::compare(rows, &b.rows, &checks));
    Ok(Evaluation {
        dir: dir.display().to_string(),
        tag: heldout.tag.clone(),
        split,
        remotion_api_release: remotion_api::release(),
        summary: Scores::new(&all, &checks, summary::Means::Bootstrap),
        by_template: summary::by(rows, &checks, |r| r.template_id.clone()),
        by_format: summary::by(rows, &checks, |r| r.format),
        by_prompt_origin: summary::by(rows, &checks, |r| r.prompt_origin),
        briefs: heldout
            .examples
            .iter()
            .map(|g| (g.id.clone(), g.brief.clone()))
            .collect(),
        checks,
        predictions,
        baseline,
        comparison,
    })
}

/// Score every held-out example: its first prediction, or none (every check failed). With `keep`,
/// also the code of every scored output, by id (for rendering).
fn score_all(
    heldout: &Heldout,
    outputs: Outputs<'_>,
    keep: bool,
) -> Result<(Scoring, HashMap<String, String>)> {
    let mut codes: HashMap<String, String> = HashMap::new();
    let settings = &heldout.settings;
    let (mut scored, leftovers): (HashMap<String, Scored>, Leftovers) = match outputs {
        Outputs::Gold => (
            heldout
                .examples
                .par_iter()
                .map(|g| {
                    let answer = Answer::Output {
                        text: g.code.clone(),
                        tokens: None,
                    };
                    (g.id.clone(), score(g, Some((&answer, 0)), settings))
                })
                .collect(),
            {
                if keep {
                    codes.extend(
                        heldout
                            .examples
                            .iter()
                            .map(|g| (g.id.clone(), g.code.clone())),
                    );
                }
                Leftovers::default()
            },
        ),
        Outputs::File(path) => {
            let gold: HashMap<&str, &Gold> = heldout
                .examples
                .iter()
                .map(|g| (g.id.as_str(), g))
                .collect();
            let ids = heldout.ids();
            let mut scored = HashMap::new();
            let leftovers = predictions::read(path, &ids, |chunk| {
                let rows: Vec<Scored> = chunk
                    .par_iter()
                    .filter_map(|p| {
                        let g = gold.get(p.id.as_str())?;
                        Some(score(g, Some((&p.answer, p.line)), settings))
                    })
                    .collect();
                if keep {
                    for p in &chunk {
                        if let Answer::Output { text, .. } = &p.answer {
                            codes.insert(p.id.clone(), checks::extract(text).0.to_string());
                        }
                    }
                }
                scored.extend(rows.into_iter().map(|r| (r.id.clone(), r)));
                Ok(())
            })?;
            (scored, leftovers)
        }
    };
    let seen: HashSet<&str> = scored.keys().map(String::as_str).collect();
    let missing: Vec<Scored> = heldout
        .examples
        .iter()
        .filter(|g| !seen.contains(g.id.as_str()))
        .map(|g| score(g, None, settings))
        .collect();
    scored.extend(missing.into_iter().map(|r| (r.id.clone(), r)));
    let rows = heldout
        .examples
        .iter()
        .filter_map(|g| scored.remove(&g.id))
        .collect();
    Ok((
        Scoring {
            source: outputs.describe(),
            rows,
            leftovers,
        },
        codes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_tokens_is_capped_at_the_output_limit_and_zero_is_refused() {
        // The case: twice 13,568 is 27,136, over gpt-4o-mini's 16,384.
        let (n, note) = max_tokens("gpt-4o-mini", None, 13_568).unwrap();
        assert_eq!(n, 16_384);
        assert!(note.unwrap().contains("output limit"));
        let (n, note) = max_tokens("gpt-4o-mini", None, 20_000).unwrap();
        assert_eq!(n, 16_384);
        assert!(note.unwrap().contains("will be cut"));
        assert_eq!(
            max_tokens("gpt-4o-mini", None, 1_000).unwrap(),
            (2_048, None)
        );
        assert_eq!(
            max_tokens("gpt-4o-mini", Some(16_384), 1_000).unwrap(),
            (16_384, None)
        );
        let over = max_tokens("gpt-4o-mini", Some(16_385), 1_000).unwrap_err();
        assert!(over.to_string().contains("output limit of 16384"), "{over}");
        let zero = max_tokens("gpt-4o-mini", Some(0), 1_000).unwrap_err();
        assert!(zero.to_string().contains("at least 1"), "{zero}");
        let (n, note) = max_tokens("my-model", None, 1_000).unwrap();
        assert_eq!(n, 2_048);
        assert!(note.unwrap().contains("not known"));
    }
}
