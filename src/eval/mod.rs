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
pub mod summary;
pub mod terminal;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::code::duration::DurationExport;
use crate::config::GateConfig;
use crate::dataset::manifest;
use crate::dataset::version::Version;
use crate::dataset::writer::{refuse_inside_version, replace_file};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::split::Split;
use checks::{check_names, score, Gold, Scored, Settings};
use predictions::{Answer, Ids, Leftovers};
use summary::{Comparison, Summary};

/// A version's held-out examples and the rules they are scored by.
pub struct Heldout {
    pub dir: PathBuf,
    pub tag: String,
    pub split: Split,
    pub examples: Vec<Gold>,
    pub settings: Settings,
    /// The model the version was budgeted for (the default of `prepare --model`).
    pub model: String,
}

impl Heldout {
    /// Open `dir` (its manifest must verify) and read `split`'s examples.
    pub fn open(dir: &Path, split: Split) -> Result<Heldout> {
        let version = Version::open(dir)?;
        let (manifest, _) = manifest::read(dir)?;
        let config = &manifest.config;
        let at = Location::file(dir.join("manifest.json"));
        let rules: GateConfig = match config.get("check") {
            Some(check) => serde_json::from_value(check.clone()).map_err(|e| {
                Error::input(
                    at.clone(),
                    format!("config.check is not a [check] section: {e}"),
                )
            })?,
            None => GateConfig::default(),
        };
        let export = config
            .pointer("/video/duration_export")
            .and_then(serde_json::Value::as_str)
            .unwrap_or(crate::config::DEFAULT_DURATION_EXPORT);
        let mut examples = Vec::new();
        version.for_each_example(split, |e| {
            let key = e.meta.key();
            examples.push(Gold {
                id: format!("{}/{}/{}", key.template_id, key.prompt_variant, key.format),
                template_id: key.template_id,
                prompt_variant: key.prompt_variant,
                format: key.format.name().to_string(),
                prompt_origin: e.meta.prompt_origin.to_string(),
                system: e.content("system").to_string(),
                brief: e.content("user").to_string(),
                code: e.content("assistant").to_string(),
                frames: e.meta.duration,
                frames_from_code: e.meta.duration_source == "code",
            });
            true
        })?;
        if examples.is_empty() {
            let with: Vec<&str> = version.splits().iter().map(|s| s.name()).collect();
            return Err(Error::Usage(format!(
                "{}: the {} split has no examples; --split one of: {}",
                dir.display(),
                split.name(),
                with.join(", ")
            )));
        }
        Ok(Heldout {
            dir: dir.to_path_buf(),
            tag: version.stats.tag.clone(),
            split,
            examples,
            settings: Settings {
                rules,
                export: DurationExport::new(export),
                encoding: version.stats.tokens.budget.encoding,
            },
            model: version.stats.tokens.budget.model.clone(),
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
pub struct PrepareOptions {
    pub split: Split,
    /// The model to run (default: the model the version was built for).
    pub model: Option<String>,
    /// Most tokens a reply may have (default: twice the longest gold code, rounded up).
    pub max_tokens: Option<usize>,
    pub temperature: f64,
}

/// What `eval prepare` wrote.
#[derive(Debug)]
pub struct Prepared {
    pub requests: usize,
    pub model: String,
    pub max_tokens: usize,
}

/// One line of a Batch API request file.
#[derive(Serialize)]
struct Request<'a> {
    custom_id: &'a str,
    method: &'static str,
    url: &'static str,
    body: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: [crate::tokens::chat_template::Turn<'a>; 2],
    max_tokens: usize,
    temperature: f64,
}

/// Write the split's prompts (system and user, no answer) to `out` as a Batch API request file.
pub fn prepare(dir: &Path, options: &PrepareOptions, out: &Path) -> Result<Prepared> {
    let heldout = Heldout::open(dir, options.split)?;
    let model = options.model.clone().unwrap_or(heldout.model.clone());
    let longest = heldout
        .examples
        .iter()
        .map(|g| heldout.settings.encoding.count(&g.code))
        .max()
        .unwrap_or(0);
    let max_tokens = options
        .max_tokens
        .unwrap_or_else(|| (2 * longest).div_ceil(256) * 256);
    let mut bytes = Vec::new();
    for g in &heldout.examples {
        let turn = |role, content| crate::tokens::chat_template::Turn { role, content };
        let request = Request {
            custom_id: &g.id,
            method: "POST",
            url: "/v1/chat/completions",
            body: Body {
                model: &model,
                messages: [turn("system", &g.system), turn("user", &g.brief)],
                max_tokens,
                temperature: options.temperature,
            },
        };
        serde_json::to_writer(&mut bytes, &request)
            .map_err(|e| Error::serialize("a batch request", e))?;
        bytes.push(b'\n');
    }
    refuse_inside_version(out)?;
    replace_file(out, &bytes)?;
    Ok(Prepared {
        requests: heldout.examples.len(),
        model,
        max_tokens,
    })
}

/// Where the outputs to score come from.
#[derive(Debug, Clone, Copy)]
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
pub struct Scoring {
    pub source: String,
    pub rows: Vec<Scored>,
    pub leftovers: Leftovers,
}

/// Everything `eval` found.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub dir: String,
    pub tag: String,
    pub split: Split,
    pub remotion_api_release: &'static str,
    pub checks: Vec<String>,
    pub summary: Summary,
    pub by_template: BTreeMap<String, Summary>,
    pub by_format: BTreeMap<String, Summary>,
    pub by_prompt_origin: BTreeMap<String, Summary>,
    pub predictions: Scoring,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Scoring>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The held-out briefs, by id (for the report's worst examples).
    #[serde(skip)]
    pub briefs: HashMap<String, String>,
}

/// Score `outputs` (and a baseline's predictions) on `split` of the version in `dir`.
pub fn evaluate(
    dir: &Path,
    split: Split,
    outputs: Outputs<'_>,
    baseline: Option<&Path>,
) -> Result<Evaluation> {
    let heldout = Heldout::open(dir, split)?;
    let checks = check_names(&heldout.settings.rules);
    // Scoring parses model outputs, which may nest as deep as anything: big stacks, as in the gate.
    let pool = crate::parse_guard::parse_pool().map_err(|e| Error::Threads(e.to_string()))?;
    let (predictions, baseline) = pool.install(|| -> Result<_> {
        let predictions = score_all(&heldout, outputs)?;
        let baseline = baseline
            .map(|path| score_all(&heldout, Outputs::File(path)))
            .transpose()?;
        Ok((predictions, baseline))
    })?;
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
        summary: Summary::new(&all, &checks, summary::Means::Bootstrap),
        by_template: summary::by(rows, &checks, |r| &r.template_id),
        by_format: summary::by(rows, &checks, |r| &r.format),
        by_prompt_origin: summary::by(rows, &checks, |r| &r.prompt_origin),
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

/// Score every held-out example: its first prediction, or none (every check failed).
fn score_all(heldout: &Heldout, outputs: Outputs<'_>) -> Result<Scoring> {
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
            Leftovers::default(),
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
    Ok(Scoring {
        source: outputs.describe(),
        rows,
        leftovers,
    })
}
