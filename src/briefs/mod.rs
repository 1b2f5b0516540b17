//! `briefs`: more, richer, realistic briefs by instruction backtranslation, verified against the
//! code before they reach a dataset.
//!
//! Takes a project (its config: catalog, code, prompts, gate) and gives:
//! - [`prepare`]: one Batch API request per template whose code passes the gate, carrying the code,
//!   its catalog entry, the duration its code exports and a few of its prompts as style examples,
//!   asking for N briefs as a JSON array of strings ([`request`]);
//! - [`ingest`]: the briefs of a batch's output that pass [`filters`] (a brief, not code; of a sane
//!   length; naming no format the template does not support and no duration its code does not
//!   export; not a duplicate or a near-copy of an existing prompt or a kept brief), written as a
//!   prompt file in the curated shape (`prompts.generated` reads it), and every brief, request and
//!   line dropped, by reason and place.
//!
//! Every request's `custom_id` is `<template id>/<tag>`, the tag being the first 16 hex digits of
//! the SHA-256 of every request's body in order: the digest of the request file, bar its ids. Each
//! kept brief records it (`request_digest`), with the model that wrote it.

pub mod filters;
pub mod request;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::batch::{self, Answer};
use crate::config::Config;
use crate::dataset::writer::{refuse_inside_version, write_new_file};
use crate::diagnostic::Diagnostic;
use crate::error::{wording, Error, Result};
use crate::pipeline::{BuildOptions, GatedRun, GatedTemplate};
use crate::tokens::Budget;
use crate::video::VideoFormat;
use filters::{Drop, Facts, Novelty};

/// `briefs prepare`'s settings.
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    /// Briefs asked of each request.
    pub per_template: usize,
    /// The model to run (default: `tokens.model`).
    pub model: Option<String>,
    /// Most tokens per reply (default: 100 per brief plus 256, rounded up to 256; reasoning models
    /// get 4,096 more to think).
    pub max_tokens: Option<usize>,
    /// Sampling temperature (0 to 2; varied briefs want some).
    pub temperature: f64,
    /// Only the first N templates of the catalog.
    pub limit: Option<usize>,
}

/// What `briefs prepare` wrote.
#[derive(Debug)]
pub struct Prepared {
    /// The name written under (the next free numbered name when OUT exists).
    pub out: PathBuf,
    /// The files written (numbered parts past the Batch API's limits).
    pub files: Vec<PathBuf>,
    /// Requests written: one per template whose code passed.
    pub requests: usize,
    /// Their system and user messages' tokens, counted with `tokens.model`'s encoding.
    pub input_tokens: usize,
    /// `max_tokens` of each request (so at most `requests × max_tokens` output tokens).
    pub max_tokens: usize,
    /// The model asked.
    pub model: String,
    /// The tag every `custom_id` ends with.
    pub tag: String,
    /// Templates left out, and the build stages' warnings.
    pub gated: GatedRun,
    /// What the caller should say (parts, unknown output limits).
    pub notes: Vec<String>,
}

/// Write one request per template whose code passes the gate to `out` (never over a file).
pub fn prepare(config: &Config, options: &PrepareOptions, out: &Path) -> Result<Prepared> {
    if options.per_template == 0 || options.per_template > 50 {
        return Err(wording::out_of_range(
            "--per-template",
            "from 1 to 50",
            options.per_template,
        ));
    }
    refuse_inside_version(out)?;
    let budget = Budget::new(&config.tokens.model, config.tokens.max_tokens)
        .map_err(|why| wording::bad_option("tokens.model", why))?;
    let model = options
        .model
        .clone()
        .unwrap_or_else(|| config.tokens.model.clone());
    let output = batch::output_limit(&model);
    let reasoning = output.is_some_and(|(_, reasoning)| reasoning);
    let default =
        (100 * options.per_template + 256).div_ceil(256) * 256 + if reasoning { 4096 } else { 0 };
    let max_tokens = options.max_tokens.unwrap_or(default);
    let mut notes = Vec::new();
    match output {
        _ if max_tokens == 0 => return Err(wording::max_tokens_zero()),
        Some((limit, _)) if max_tokens > limit => {
            return Err(wording::max_tokens_over_limit(max_tokens, &model, limit))
        }
        Some(_) => {}
        None => notes.push(format!(
            "{model}'s output limit is not known to template-sft: max_tokens {max_tokens} is not checked against it"
        )),
    }
    let build_options = BuildOptions {
        limit: options.limit,
        ..BuildOptions::default()
    };
    let mut users: Vec<(String, String)> = Vec::new();
    let gated = crate::pipeline::gated(config, &build_options, &mut |t: GatedTemplate<'_>| {
        let user = request::user_message(&t, config.video.fps, options.per_template);
        users.push((t.template.id.clone(), user));
        Ok(())
    })?;
    let (max_tokens_field, max_completion_tokens) = if reasoning {
        (None, Some(max_tokens))
    } else {
        (Some(max_tokens), None)
    };
    let body = |user: &str| -> Result<Vec<u8>> {
        let turn = |role, content| crate::tokens::chat_template::Turn { role, content };
        serde_json::to_vec(&batch::Body {
            model: &model,
            messages: [turn("system", request::SYSTEM), turn("user", user)],
            max_tokens: max_tokens_field,
            max_completion_tokens,
            temperature: options.temperature,
        })
        .map_err(|e| Error::serialize("a batch request", e))
    };
    // The tag: the digest of every body, in order (the request file bar its ids).
    let mut bodies = Vec::new();
    for (_, user) in &users {
        bodies.extend(body(user)?);
        bodies.push(b'\n');
    }
    let tag = crate::digest::sha256_hex(&bodies)[..16].to_string();
    drop(bodies);
    let input_tokens = users
        .iter()
        .map(|(_, user)| budget.encoding.count(request::SYSTEM) + budget.encoding.count(user))
        .sum();
    // Each line: the body as serialized for the tag, under its custom_id.
    let lines = users.iter().map(|(id, user)| {
        let mut line = serde_json::to_vec(&serde_json::json!({
            "custom_id": format!("{id}/{tag}"),
            "method": "POST",
            "url": "/v1/chat/completions",
        }))
        .map_err(|e| Error::serialize("a batch request", e))?;
        // `{…}` → `{…,"body":BODY}`: the body's bytes are the ones the tag digested.
        line.pop();
        line.extend_from_slice(b",\"body\":");
        line.extend(body(user)?);
        line.extend_from_slice(b"}\n");
        Ok(line)
    });
    let written = batch::write_requests(lines, out)?;
    notes.extend(written.note(users.len()));
    Ok(Prepared {
        out: written.base,
        files: written.files,
        requests: users.len(),
        input_tokens,
        max_tokens,
        model,
        tag,
        gated,
        notes,
    })
}

/// A brief, request or line `ingest` did not keep.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dropped {
    pub reason: Drop,
    /// `results-file:line` of the reply (or line).
    pub at: String,
    /// The template, when the line named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// The brief (or the failure's message, or the reply's start), cut to 200 characters.
    pub text: String,
}

/// What `briefs ingest` kept and dropped.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ingested {
    /// The prompt file written (the next free numbered name when OUT exists).
    pub out: PathBuf,
    /// Requests answered (distinct `custom_id`s).
    pub requests: usize,
    /// Attempts of a request past its first (retries); the last successful one counts.
    pub retried: usize,
    /// Briefs kept, and the templates they are for.
    pub kept: usize,
    pub templates: usize,
    /// Dropped, by reason.
    pub dropped: BTreeMap<Drop, usize>,
    /// Each one dropped, in the order read.
    pub drops: Vec<Dropped>,
    /// Templates left out of the project's facts (no code, rejected, no duration): briefs for them
    /// are `unknown_template`.
    #[serde(skip)]
    pub gated: GatedRun,
}

impl Ingested {
    /// The build stages' warnings.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.gated.diagnostics
    }
}

/// One template's facts, as ingest checks briefs against them.
struct Known {
    formats: Vec<VideoFormat>,
    frames: u32,
    novelty: Novelty,
    /// Briefs of its replies checked so far (bounded by [`MAX_BRIEFS_PER_TEMPLATE`]).
    checked: usize,
}

/// Most briefs of one template's replies that are checked: each is compared with every kept one,
/// so a results file (untrusted) must not make that work grow without bound. The rest are
/// `over_cap`, counted and listed. 400 is fifty requests of the default 8 briefs; it bounds the
/// comparisons to 80,000 of at most 120 words each.
const MAX_BRIEFS_PER_TEMPLATE: usize = 400;

/// One request's last attempt that counts.
struct Attempt {
    at: String,
    answer: Answer,
    model: Option<String>,
}

/// The longest reply read (a JSON array of 50 long briefs is far under it).
const MAX_REPLY_BYTES: usize = 256 << 10;

/// Read batch outputs `results`, keep the briefs that pass [`filters`], and write them to `out` in
/// the curated shape (never over a file).
pub fn ingest(config: &Config, results: &[PathBuf], out: &Path) -> Result<Ingested> {
    refuse_inside_version(out)?;
    let (mut project, gated) = Project::read(config)?;
    let mut drops = Vec::new();
    let attempts = read_attempts(config, results, &mut drops)?;
    let requests = attempts.order.len();
    let retried = attempts.retried;
    let kept_lines = keep(config.video.fps, &mut project, attempts, &mut drops);
    let mut bytes = Vec::new();
    for line in &kept_lines {
        serde_json::to_writer(&mut bytes, line).map_err(|e| Error::serialize("a brief", e))?;
        bytes.push(b'\n');
    }
    let out = write_new_file(out, &bytes)?;
    let mut dropped = BTreeMap::new();
    for d in &drops {
        *dropped.entry(d.reason).or_insert(0) += 1;
    }
    let templates: std::collections::HashSet<&str> = kept_lines
        .iter()
        .map(|l| l.expected_template_id.as_str())
        .collect();
    Ok(Ingested {
        out,
        requests,
        retried,
        kept: kept_lines.len(),
        templates: templates.len(),
        dropped,
        drops,
        gated,
    })
}

/// What ingest checks briefs against: every template's facts, and every prompt's owner.
struct Project {
    /// By template id.
    known: HashMap<String, Known>,
    /// Normalized prompt text → the template it is for (duplicates across templates).
    owners: HashMap<String, String>,
}

impl Project {
    /// The project's templates as a build sees them (gated, with durations) and their prompts.
    fn read(config: &Config) -> Result<(Project, GatedRun)> {
        let mut project = Project {
            known: HashMap::new(),
            owners: HashMap::new(),
        };
        let gated = crate::pipeline::gated(config, &BuildOptions::default(), &mut |t| {
            let prompts = t
                .prompts
                .additions
                .iter()
                .chain(&t.prompts.curated)
                .chain(&t.prompts.generated);
            let existing: Vec<String> = prompts.map(|p| p.text.clone()).collect();
            for text in &existing {
                project
                    .owners
                    .entry(filters::normalized(text))
                    .or_insert_with(|| t.template.id.clone());
            }
            project.known.insert(
                t.template.id.clone(),
                Known {
                    formats: t.template.supported_formats.clone(),
                    frames: t.duration,
                    novelty: Novelty::new(existing),
                    checked: 0,
                },
            );
            Ok(())
        })?;
        Ok((project, gated))
    }
}

/// A brief (or line, or reply) dropped, with why and where.
fn note(drops: &mut Vec<Dropped>, reason: Drop, at: &str, template: Option<&str>, text: &str) {
    drops.push(Dropped {
        reason,
        at: at.to_string(),
        template_id: template.map(str::to_string),
        text: shown(text),
    })
}

/// Each request's attempt that counts, in the order requests were first read.
struct Attempts {
    /// Request ids, first-read order.
    order: Vec<String>,
    by_id: HashMap<String, Attempt>,
    /// Lines that repeated a request already read.
    retried: usize,
}

/// Read the batch output files: the last successful attempt of each request counts (a failed one
/// only when none succeeded); unreadable lines are dropped.
fn read_attempts(
    config: &Config,
    results: &[PathBuf],
    drops: &mut Vec<Dropped>,
) -> Result<Attempts> {
    let mut attempts = Attempts {
        order: Vec::new(),
        by_id: HashMap::new(),
        retried: 0,
    };
    for path in results {
        let display = config.display_path(path);
        batch::each_line(path, |line, bytes| {
            let at = format!("{display}:{line}");
            let value = match bytes.map(serde_json::from_slice::<Value>) {
                Ok(Ok(value)) => value,
                Ok(Err(e)) => {
                    note(drops, Drop::UnreadableLine, &at, None, &e.to_string());
                    return Ok(());
                }
                Err(len) => {
                    let why = format!("{len} bytes, longer than {}", batch::MAX_LINE_BYTES);
                    note(drops, Drop::UnreadableLine, &at, None, &why);
                    return Ok(());
                }
            };
            let Some(id) = value.get("custom_id").and_then(Value::as_str) else {
                let why = "not a batch output line: no \"custom_id\"";
                note(drops, Drop::UnreadableLine, &at, None, why);
                return Ok(());
            };
            let answer = match batch::answer(&value) {
                Ok(answer) => answer,
                Err(why) => {
                    let why = format!("not a batch output line: {why}");
                    note(drops, Drop::UnreadableLine, &at, None, &why);
                    return Ok(());
                }
            };
            let model = value
                .pointer("/response/body/model")
                .and_then(Value::as_str)
                .map(str::to_string);
            let attempt = Attempt { at, answer, model };
            match attempts.by_id.get(id) {
                None => {
                    attempts.order.push(id.to_string());
                    attempts.by_id.insert(id.to_string(), attempt);
                }
                Some(earlier) => {
                    // Another attempt: it replaces the earlier one unless it failed where the
                    // earlier one succeeded.
                    attempts.retried += 1;
                    let succeeded = |a: &Answer| matches!(a, Answer::Output { .. });
                    if succeeded(&attempt.answer) || !succeeded(&earlier.answer) {
                        attempts.by_id.insert(id.to_string(), attempt);
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(attempts)
}

/// The briefs of every reply that pass the checks, as lines of the generated file; the rest
/// dropped with their reason.
fn keep(
    fps: u32,
    project: &mut Project,
    mut attempts: Attempts,
    drops: &mut Vec<Dropped>,
) -> Vec<GeneratedLine> {
    let mut kept = Vec::new();
    for id in &attempts.order {
        let Some(attempt) = attempts.by_id.remove(id) else {
            continue;
        };
        let at = attempt.at.as_str();
        let (template_id, tag) = match id.rsplit_once('/') {
            Some((template, tag)) if !project.known.contains_key(id) => (template, tag),
            _ => (id.as_str(), ""),
        };
        let Some(facts) = project.known.get_mut(template_id) else {
            note(drops, Drop::UnknownTemplate, at, Some(template_id), id);
            continue;
        };
        let text = match attempt.answer {
            Answer::Output { text, .. } => text,
            Answer::Failed(why) => {
                note(drops, Drop::FailedRequest, at, Some(template_id), &why);
                continue;
            }
            Answer::Refused(why) => {
                note(drops, Drop::Refused, at, Some(template_id), &why);
                continue;
            }
        };
        let Some(items) = reply_briefs(&text) else {
            note(drops, Drop::UnreadableReply, at, Some(template_id), &text);
            continue;
        };
        for item in items {
            let (format, one_line, key) =
                match check_brief(fps, facts, &project.owners, template_id, item) {
                    Ok(kept) => kept,
                    Err((reason, text)) => {
                        note(drops, reason, at, Some(template_id), &text);
                        continue;
                    }
                };
            project.owners.insert(key, template_id.to_string());
            let prompt = match format {
                Some(format) => format!("format:{format} {one_line}"),
                None => one_line,
            };
            kept.push(GeneratedLine {
                prompt,
                expected_template_id: template_id.to_string(),
                origin: "generated",
                model: attempt.model.clone().unwrap_or_else(|| "unknown".into()),
                request_digest: tag.to_string(),
                reply: at.to_string(),
            });
        }
    }
    kept
}

/// One item of a template's reply, checked: its format hint (if it names one), the brief as one
/// paragraph and its normalized key; or why it is dropped, with the text to show.
fn check_brief(
    fps: u32,
    facts: &mut Known,
    owners: &HashMap<String, String>,
    template_id: &str,
    item: Value,
) -> std::result::Result<(Option<VideoFormat>, String, String), (Drop, String)> {
    if facts.checked == MAX_BRIEFS_PER_TEMPLATE {
        return Err((Drop::OverCap, item.to_string()));
    }
    facts.checked += 1;
    let Value::String(brief) = item else {
        return Err((Drop::NotText, item.to_string()));
    };
    let brief = brief.trim();
    let checked = filters::check(
        brief,
        &Facts {
            formats: &facts.formats,
            frames: facts.frames,
            fps,
        },
    );
    // One paragraph, as typed.
    let one_line = brief.split_whitespace().collect::<Vec<_>>().join(" ");
    let format = match checked {
        Ok(format) => format,
        Err(reason) => return Err((reason, one_line)),
    };
    let key = filters::normalized(&one_line);
    if owners.get(&key).is_some_and(|owner| owner != template_id) {
        return Err((Drop::Duplicate, one_line));
    }
    if let Err(reason) = facts.novelty.admit(&one_line) {
        return Err((reason, one_line));
    }
    Ok((format, one_line, key))
}

/// One line of a generated prompt file: the curated shape, and where it came from.
#[derive(Serialize)]
struct GeneratedLine {
    prompt: String,
    expected_template_id: String,
    origin: &'static str,
    model: String,
    request_digest: String,
    /// `results-file:line` of the reply it came from.
    reply: String,
}

/// The briefs of a reply: a JSON array, fenced or not, or `{"briefs": [...]}`; `None` otherwise.
fn reply_briefs(text: &str) -> Option<Vec<Value>> {
    if text.len() > MAX_REPLY_BYTES {
        return None;
    }
    let mut body = text.trim();
    if let Some(rest) = body.strip_prefix("```") {
        // ```json\n[...]\n```
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
        body = rest.strip_suffix("```").unwrap_or(rest).trim();
    }
    match serde_json::from_str::<Value>(body).ok()? {
        Value::Array(items) => Some(items),
        Value::Object(mut object) => match object.remove("briefs")? {
            Value::Array(items) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

/// The first 200 characters of `text` (what a drop shows of a brief or a reply; the console
/// escapes what a terminal would act on).
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_in_each_shape_and_prose_is_not() {
        assert_eq!(reply_briefs(r#"["a", "b"]"#).unwrap().len(), 2);
        assert_eq!(
            reply_briefs("```json\n[\"a\", \"b\", \"c\"]\n```")
                .unwrap()
                .len(),
            3
        );
        assert_eq!(reply_briefs(r#"{"briefs": ["a"]}"#).unwrap().len(), 1);
        assert!(reply_briefs("Here are your briefs: 1. a 2. b").is_none());
        assert!(reply_briefs(r#"{"other": ["a"]}"#).is_none());
        assert!(reply_briefs(&format!("[\"{}\"]", "x".repeat(MAX_REPLY_BYTES))).is_none());
    }
}
