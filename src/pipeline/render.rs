//! The render stage (`check.render`): every template that passed the gate, rendered in each format
//! it supports, with Remotion in headless Chromium ([`crate::render`]).
//!
//! Takes the records after the durations stage (the code, its supported formats, the frames its
//! briefs state) and `[render]`; gives [`RenderStats`], and turns every template with a render
//! that is not `ok` into a gate rejection (rule `render`: verdict, format, frame and message), with
//! a warning at its file. Verdicts are remembered in `<output root>/.template-sft-cache/render.jsonl`
//! by the code's digest, format, fps, length and export, under a key of the kit, the frames, the
//! scale and the timeouts: a rebuild renders only changed code. A template without a duration is
//! not rendered (the durations stage already skipped it).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::observer::Counter;
use super::record::{CodeState, TemplateRecord};
use super::Run;
use crate::cache::CacheFile;
use crate::code::gate::{Rejection, Rule};
use crate::code::spill::Spill;
use crate::code::CodeText;
use crate::config::Config;
use crate::dataset::stats::RenderStats;
use crate::diagnostic::warning;
use crate::error::{Error, Result};
use crate::location::Location;
use crate::render::{driver, kit, Job, Outcome, RenderOptions, Verdict};

/// One remembered verdict.
#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    outcome: Outcome,
}

/// The render options `[render]` gives (paths relative to the config's folder).
pub fn options(config: &Config) -> RenderOptions {
    let render = &config.render;
    RenderOptions {
        kit: kit::KitOptions {
            kit: render.kit.as_ref().map(|k| config.resolve(Path::new(k))),
            chromium: render
                .chromium
                .as_ref()
                .map(|c| config.resolve(Path::new(c))),
            // Checked when the config was read.
            packages: render
                .packages
                .iter()
                .filter_map(|spec| crate::render::packages::Package::parse(spec).ok())
                .collect(),
            runtime: render
                .runtime
                .as_ref()
                .map(|r| config.resolve(Path::new(r))),
            lock: Some(config.resolve(Path::new(kit::LOCK_FILE))),
            config: Some(config.path.clone()),
        },
        concurrency: render.concurrency.max(1),
        frames: render.frames,
        scale: render.scale,
        delay_timeout: Duration::from_secs(render.delay_timeout_seconds),
        deadline: Duration::from_secs(render.deadline_seconds),
        memory_mib: render.memory_mib,
        out: None,
    }
}

/// The stage in a line for `build -v`.
pub fn describe(stats: Option<&RenderStats>) -> String {
    let Some(stats) = stats else {
        return "no render check (check.render is off)".to_string();
    };
    format!(
        "rendered {} in {:.1}s ({} cached); {} rejected, {} dropped",
        crate::error::count(stats.renders - stats.cached, "scene-format"),
        stats.seconds,
        stats.cached,
        crate::error::count(stats.rejected, "template"),
        crate::error::count(stats.formats_dropped, "format"),
    )
}

/// With `check.render`, render every accepted scene; `None` when the check is off.
pub(super) fn run(
    run: &mut Run<'_>,
    records: &mut [TemplateRecord],
    spill: &Spill,
) -> Result<(Option<RenderStats>, Vec<Thumbnail>)> {
    let (config, root, observer) = (run.config, run.root.as_path(), run.observer);
    if !config.gate.render {
        // Said once, where rendering would work: the render check is the path people should take.
        if kit::can_render(&options(config).kit) {
            run.diagnostics.add(warning::not_rendered());
        }
        return Ok((None, Vec::new()));
    }
    let diagnostics = &mut run.diagnostics;
    let mut options = options(config);
    // Thumbnails need frames: every scene is rendered, into a private folder removed at the end.
    let keep_frames = config.render.keep_frames;
    let temp = if keep_frames {
        let dir = driver::private_temp()?;
        options.out = Some(dir.path().to_path_buf());
        Some(dir)
    } else {
        None
    };
    let kit = kit::ensure(&options.kit, |what| observer.info(what))?;
    if crate::render::isolation::available() == crate::render::isolation::Isolation::CspOnly {
        diagnostics.add(warning::renderer_without_namespace());
    }
    let cache = if run.options.no_cache {
        CacheFile::disabled()
    } else {
        cache_file(root, &kit.hash, &options)
    };
    let mut known: HashMap<String, Outcome> = if keep_frames {
        HashMap::new()
    } else {
        cache
            .read::<Entry>()
            .into_iter()
            .map(|e| (e.key, e.outcome))
            .collect()
    };
    let Queue {
        renders,
        jobs,
        job_keys,
        scenes,
        cached,
    } = queue(config, records, &known, spill)?;
    let started = Instant::now();
    if !jobs.is_empty() {
        observer.info(&format!(
            "rendering {} scene-formats ({} cached) …",
            jobs.len(),
            cached
        ));
    }
    let rendered = Counter::start(observer, "rendering", jobs.len() as u64);
    let outcomes = driver::render_all(&kit, &jobs, &options, |_, _| rendered.add(1))?;
    drop(rendered);
    let seconds = started.elapsed().as_secs_f64();
    // `keep_frames`: up to five thumbnails of each scene and format that rendered.
    let frames = if keep_frames {
        thumbnails(&outcomes, &driver::frame_names(&jobs))
    } else {
        Vec::new()
    };
    drop(temp);
    for (key, mut outcome) in job_keys.into_iter().zip(outcomes) {
        outcome.files.clear();
        known.insert(key, outcome);
    }
    let mut stats = RenderStats {
        scenes,
        renders: renders.len(),
        cached,
        seconds,
        frames: options.frames.name(),
        kit: kit.hash.clone(),
        isolation: crate::render::isolation::available().name().to_string(),
        ..RenderStats::default()
    };
    reject_failures(records, &renders, &known, &mut stats, diagnostics);
    // This build's verdicts only, so the file never grows stale; a verdict that may come from the
    // machine's load (`hang`, `timeout`) is never kept: the next build renders that scene again.
    let kept: Vec<Entry> = renders
        .iter()
        .filter_map(|(_, key)| {
            known.remove(key).map(|outcome| Entry {
                key: key.clone(),
                outcome,
            })
        })
        .filter(|entry| !entry.outcome.depends_on_load())
        .collect();
    if let Err(e) = cache.save(kept.into_iter()) {
        diagnostics.add(warning::cache_not_saved(
            "the render cache",
            "the next build renders again",
            e,
        ));
    }
    Ok((Some(stats), frames))
}

/// The render cache, under a key of everything a verdict depends on besides the scene itself.
fn cache_file(root: &Path, kit_hash: &str, options: &RenderOptions) -> CacheFile {
    let key = serde_json::json!({
        "build": crate::BUILD_ID,
        "kit": kit_hash,
        "frames": options.frames,
        "scale": options.scale,
        "delayTimeout": options.delay_timeout.as_secs(),
        "deadline": options.deadline.as_secs(),
    })
    .to_string();
    CacheFile::new(root, "render.jsonl", key)
}

/// What is to be rendered: every render the build needs, and a job for each the cache lacks.
struct Queue {
    /// (record, job key) of every render.
    renders: Vec<(usize, String)>,
    /// One per distinct code, format and length the cache does not hold.
    jobs: Vec<Job>,
    /// Each job's key.
    job_keys: Vec<String>,
    /// Templates with code and a duration.
    scenes: usize,
    /// Renders the cache answered.
    cached: usize,
}

/// The renders of every accepted scene with a duration, in each format it supports.
fn queue(
    config: &Config,
    records: &[TemplateRecord],
    known: &HashMap<String, Outcome>,
    spill: &Spill,
) -> Result<Queue> {
    let export = config.gate.export.clone();
    let fps = config.video.fps;
    // (record, job key) of every render; jobs only for those the cache does not hold.
    let mut renders: Vec<(usize, String)> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut job_keys: Vec<String> = Vec::new();
    // Keys already queued: one render per distinct code, format and length.
    let mut queued: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut scenes = 0;
    let mut cached = 0;
    let mut buf = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let (Some(code), Some((length, _))) = (record.accepted(), record.duration) else {
            continue;
        };
        scenes += 1;
        let mut text: Option<String> = None;
        for &format in &record.template.supported_formats {
            let key = format!("{}/{format}/{fps}/{length}/{export}", code.sha256);
            renders.push((i, key.clone()));
            if known.contains_key(&key) {
                cached += 1;
                continue;
            }
            if !queued.insert(key.clone()) {
                continue;
            }
            // Read once per template, whatever the number of its formats.
            let body = match &text {
                Some(t) => t.clone(),
                None => text.insert(code_text(&code.text, spill, &mut buf)?).clone(),
            };
            jobs.push(Job {
                label: record.template.id.clone(),
                globals: crate::render::globals::read_by(&body),
                code: body,
                export: export.clone(),
                format,
                fps,
                length,
            });
            job_keys.push(key);
        }
    }
    Ok(Queue {
        renders,
        jobs,
        job_keys,
        scenes,
        cached,
    })
}

/// Up to [`THUMBNAILS`] thumbnails of each job that rendered, spread over its frames.
fn thumbnails(outcomes: &[Outcome], names: &[String]) -> Vec<Thumbnail> {
    let mut frames = Vec::new();
    for (outcome, prefix) in outcomes.iter().zip(names) {
        if !outcome.verdict.renders() {
            continue;
        }
        let n = outcome.files.len();
        let take = n.min(THUMBNAILS);
        for k in 0..take {
            let i = if take == 1 {
                0
            } else {
                k * (n - 1) / (take - 1)
            };
            if let Some(png) =
                crate::render::thumbnail::thumbnail_png(&outcome.files[i], THUMBNAIL_HEIGHT)
            {
                frames.push((format!("frames/{prefix}-{k}.png"), png));
            }
        }
    }
    frames
}

/// Count the verdicts into `stats` and turn failed renders into gate rejections (or, when only
/// some of a template's formats fail, drop those formats), each with a warning at the code's file.
fn reject_failures(
    records: &mut [TemplateRecord],
    renders: &[(usize, String)],
    known: &HashMap<String, Outcome>,
    stats: &mut RenderStats,
    diagnostics: &mut crate::diagnostic::Diagnostics,
) {
    // A template whose every format fails is rejected; one that fails in some formats only loses
    // those formats (their briefs go to the formats that render), as a prompt's format is gated.
    let mut failed: std::collections::BTreeMap<usize, Vec<&Outcome>> = Default::default();
    for (i, key) in renders {
        let Some(outcome) = known.get(key) else {
            continue;
        };
        *stats.verdicts.entry(outcome.verdict).or_default() += 1;
        stats.replaced_urls += outcome.replaced_urls as usize;
        if outcome.verdict != Verdict::Ok {
            failed.entry(*i).or_default().push(outcome);
        }
    }
    let failed: Vec<(usize, Vec<Outcome>)> = failed
        .into_iter()
        .map(|(i, o)| (i, o.into_iter().cloned().collect()))
        .collect();
    for (i, outcomes) in failed {
        let record = &mut records[i];
        let CodeState::Accepted(code) = std::mem::take(&mut record.code) else {
            continue;
        };
        let at = code.origin.file().map(Location::file);
        let formats = &mut record.template.supported_formats;
        if outcomes.len() < formats.len() {
            for outcome in &outcomes {
                formats.retain(|&f| f != outcome.format);
                stats.formats_dropped += 1;
                diagnostics.add(warning::format_not_rendered(
                    at.clone(),
                    &record.template.id,
                    &outcome.describe(),
                ));
            }
            record.code = CodeState::Accepted(code);
            continue;
        }
        stats.rejected += 1;
        let first = &outcomes[0];
        let message = Outcome::describe_all(&outcomes);
        let rejection = Rejection {
            template_id: record.template.id.clone(),
            source_key: code.origin.key(),
            rule: Rule::Render,
            message,
            at: first.at.map(|(line, col)| crate::code::duration::CodePos {
                line: line as usize,
                col: col as usize,
            }),
        };
        diagnostics.add(warning::rejected(
            at.map(|l| match first.at {
                Some((line, column)) => Location::at(l.path, line as usize, column as usize),
                None => l,
            }),
            &rejection.template_id,
            "render",
            &rejection.message,
        ));
        record.code = CodeState::Rejected {
            origin: code.origin.clone(),
            rejection,
        };
        record.unrendered = Some(Box::new(code));
    }
}

/// A thumbnail kept in the version: its file name (`frames/<template>-<format>-<k>.png`) and PNG.
pub type Thumbnail = (String, Vec<u8>);

/// Thumbnails kept per scene and format with `keep_frames`, and their height in pixels.
const THUMBNAILS: usize = 5;
const THUMBNAIL_HEIGHT: usize = 120;

/// The code as text: its JSON-escaped form, from memory or the spill file.
pub(super) fn code_text(text: &CodeText, spill: &Spill, buf: &mut Vec<u8>) -> Result<String> {
    let escaped: &[u8] = match text {
        CodeText::Escaped(bytes) => bytes,
        CodeText::Spilled(span) => spill
            .read(*span, buf)
            .map_err(|e| Error::read(spill.dir(), e))?,
    };
    serde_json::from_slice(escaped).map_err(|e| Error::serialize("a template's code", e))
}
