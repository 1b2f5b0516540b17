//! `eval --render`: the gold and every output rendered by one driver, and compared.
//!
//! Takes the held-out examples, the scored rows of the predictions (and of a baseline) with the code
//! of each scored output, an installed kit and the render options; adds to each row `renders` (it
//! rendered, blank or not) and `not_blank` (it drew something; not judged when it did not render),
//! and `appearance` and `motion` ([`super::video`]): the output's frames against the gold's, at the
//! same frames (the render options' `frames`, 8 by default, evenly spaced over the gold's length)
//! and size. A row whose gold does not render gets neither score (`null`); an output that does not
//! render, a missing prediction, a failed request or a refusal scores 0 on both.
//!
//! Gold frames are rendered once per distinct code, format and length, and kept in the user's cache
//! folder (`gold-frames/<key>`, the key covering the kit, the code, the format, the length, the
//! frames and the scale), so the next eval of the same version renders only the outputs. Frames are
//! written to a private temporary folder, removed at the end (and if the tool is interrupted).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::checks::{Check, Scored};
use super::predictions;
use super::video::{compare, Frame};
use super::{Heldout, Scoring};
use crate::error::Result;
use crate::render::kit::Kit;
use crate::render::{Job, Outcome, RenderOptions};

/// The checks `--render` adds.
pub const RENDER_CHECKS: [Check; 2] = [Check::Renders, Check::NotBlank];

/// Frames of the gold and of each output compared by default.
pub const EVAL_FRAMES: u32 = 8;
/// Rows whose frames the eval page shows beside the gold's: the furthest from their gold.
const STRIPS: usize = 8;
/// Frames in a strip, and their height in pixels.
const STRIP_FRAMES: usize = 4;
const STRIP_HEIGHT: usize = 90;

/// Where one gold render's frames are cached.
fn gold_folder(kit: &Kit, options: &RenderOptions, code: &str, job: &Job) -> Option<PathBuf> {
    let key = serde_json::json!({
        "kit": kit.hash,
        "code": crate::digest::sha256_hex(code.as_bytes()),
        "format": job.format,
        "length": job.length,
        "fps": job.fps,
        "frames": options.frames,
        "scale": options.scale,
    })
    .to_string();
    let hash = crate::digest::sha256_hex(key.as_bytes());
    Some(
        crate::cache::user_folder()?
            .join("gold-frames")
            .join(&hash[..24]),
    )
}

/// The frames cached in `folder` (PNG files, in frame order), if it holds a finished render.
fn cached_frames(folder: &Path) -> Option<Vec<PathBuf>> {
    if !folder.join("done").is_file() {
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    (!files.is_empty()).then_some(files)
}

/// Keep a gold render's frames in `folder` (copied into a temporary folder beside it, then renamed
/// into place; a failure only costs a render next time).
fn keep_frames(folder: &Path, files: &[PathBuf]) {
    let Some(parent) = folder.parent() else {
        return;
    };
    let temp = parent.join(format!(
        ".{}.{}.tmp",
        folder
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let made = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(&temp)?;
        for (i, file) in files.iter().enumerate() {
            std::fs::copy(file, temp.join(format!("{i:05}.png")))?;
        }
        std::fs::write(temp.join("done"), b"")?;
        std::fs::rename(&temp, folder)
    })();
    if made.is_err() {
        let _ = std::fs::remove_dir_all(&temp);
    }
}

/// What one gold render gave: its frames decoded, or why there are none.
enum GoldFrames {
    Rendered(Vec<Frame>),
    NotRendered,
}

/// Render the gold and every scored output of `scorings`, record the render checks and compare.
pub fn render_and_compare(
    heldout: &Heldout,
    scorings: Vec<(&mut Scoring, HashMap<String, String>)>,
    kit: &Kit,
    options: &RenderOptions,
    observer: &dyn crate::pipeline::Observer,
) -> Result<()> {
    let temp = crate::render::driver::private_temp()?;
    let options = RenderOptions {
        out: Some(temp.path().to_path_buf()),
        ..options.clone()
    };
    let job = |label: String, code: String, g: &super::Gold| Job {
        label,
        globals: crate::render::globals::read_by(&code),
        code,
        export: heldout.settings.rules.export.clone(),
        format: g.format,
        fps: heldout.fps,
        length: g.frames,
    };
    // The gold of every example some output answers: one render per distinct code, format and
    // length; from the cache when it has it.
    let answered: std::collections::HashSet<String> = scorings
        .iter()
        .flat_map(|(_, codes)| codes.keys().cloned())
        .collect();
    let mut jobs: Vec<Job> = Vec::new();
    let mut gold_key_of: HashMap<&str, String> = HashMap::new();
    let mut gold_files: HashMap<String, Vec<PathBuf>> = HashMap::new();
    let mut gold_frames: HashMap<String, GoldFrames> = HashMap::new();
    let mut gold_jobs: Vec<(String, usize, Option<PathBuf>)> = Vec::new();
    for g in heldout.examples.iter().filter(|g| answered.contains(&g.id)) {
        let key = format!(
            "{}/{}/{}",
            crate::digest::sha256_hex(g.code.as_bytes()),
            g.format,
            g.frames
        );
        gold_key_of.insert(g.id.as_str(), key.clone());
        if gold_files.contains_key(&key) || gold_jobs.iter().any(|(k, _, _)| *k == key) {
            continue;
        }
        let gold_job = job(format!("gold-{}", g.id), g.code.clone(), g);
        let folder = gold_folder(kit, &options, &g.code, &gold_job);
        // A cached render whose frames do not decode (a torn or edited cache) is rendered again.
        let cached =
            folder
                .as_deref()
                .and_then(cached_frames)
                .and_then(|files| match decode(&files) {
                    Ok(frames) => Some((files, frames)),
                    Err(_) => {
                        let _ = folder.as_deref().map(std::fs::remove_dir_all);
                        None
                    }
                });
        match cached {
            Some((files, frames)) => {
                gold_files.insert(key.clone(), files);
                gold_frames.insert(key, frames);
            }
            None => {
                gold_jobs.push((key, jobs.len(), folder));
                jobs.push(gold_job);
            }
        }
    }
    // Every scored output, of the predictions and the baseline, in the same renderer.
    let gold_of: HashMap<&str, &super::Gold> = heldout
        .examples
        .iter()
        .map(|g| (g.id.as_str(), g))
        .collect();
    let mut output_jobs: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut scorings = scorings;
    for (scoring, codes) in scorings.iter_mut() {
        let mut of_rows = Vec::new();
        for (i, row) in scoring.rows.iter().enumerate() {
            let (Some(code), Some(g)) = (codes.remove(&row.id), gold_of.get(row.id.as_str()))
            else {
                continue;
            };
            of_rows.push((i, jobs.len()));
            jobs.push(job(row.id.clone(), code, g));
        }
        output_jobs.push(of_rows);
    }
    let rendered =
        crate::pipeline::observer::Counter::start(observer, "rendering", jobs.len() as u64);
    let mut outcomes: Vec<Option<Outcome>> =
        crate::render::driver::render_all(kit, &jobs, &options, |_, _| rendered.add(1))?
            .into_iter()
            .map(Some)
            .collect();
    drop(rendered);
    // The gold's frames, decoded once each; a gold that rendered is kept for next time.
    for (key, index, folder) in &gold_jobs {
        let outcome = outcomes[*index].take();
        match outcome {
            Some(o) if o.verdict.renders() && !o.files.is_empty() => {
                if let Some(folder) = folder {
                    keep_frames(folder, &o.files);
                }
                gold_frames.insert(key.clone(), decode(&o.files)?);
                gold_files.insert(key.clone(), o.files);
            }
            _ => {
                gold_frames.insert(key.clone(), GoldFrames::NotRendered);
            }
        }
    }
    for ((scoring, _), of_rows) in scorings.into_iter().zip(output_jobs) {
        let mut outcome_of: HashMap<usize, Outcome> = of_rows
            .into_iter()
            .filter_map(|(row, index)| Some((row, outcomes[index].take()?)))
            .collect();
        let mut output_files: HashMap<usize, Vec<PathBuf>> = HashMap::new();
        for (i, row) in scoring.rows.iter_mut().enumerate() {
            let outcome = outcome_of.remove(&i);
            if let Some(o) = &outcome {
                output_files.insert(i, o.files.clone());
            }
            let gold = gold_key_of
                .get(row.id.as_str())
                .and_then(|k| gold_frames.get(k));
            let scores = match (gold, &outcome) {
                (Some(GoldFrames::Rendered(gold)), Some(o)) if o.verdict.renders() => {
                    let output = decode(&o.files)?;
                    match output {
                        GoldFrames::Rendered(frames) => compare(gold, &frames).or(Some((0.0, 0.0))),
                        GoldFrames::NotRendered => Some((0.0, 0.0)),
                    }
                }
                (Some(GoldFrames::Rendered(_)), _) => Some((0.0, 0.0)),
                // No output to render (missing, failed, refused): nothing looks or moves alike.
                (None, None) if !answered.contains(&row.id) => Some((0.0, 0.0)),
                _ => None,
            };
            row.appearance = scores.map(|s| s.0);
            row.motion = scores.map(|s| s.1);
            record(row, outcome);
        }
        // The rows furthest from their gold get their frames beside the gold's on the eval page.
        let mut far: Vec<usize> = (0..scoring.rows.len())
            .filter(|&i| scoring.rows[i].appearance.is_some())
            .collect();
        let distance = |i: usize| {
            let r = &scoring.rows[i];
            r.appearance.unwrap_or(0.0) + r.motion.unwrap_or(0.0)
        };
        far.sort_by(|&a, &b| distance(a).total_cmp(&distance(b)));
        for i in far.into_iter().take(STRIPS) {
            let row = &mut scoring.rows[i];
            let Some(gold) = gold_key_of
                .get(row.id.as_str())
                .and_then(|k| gold_files.get(k))
            else {
                continue;
            };
            let output = output_files.remove(&i).unwrap_or_default();
            row.strip = Some(super::checks::Strip {
                gold: strip(gold),
                output: strip(&output),
            });
        }
    }
    drop(temp);
    Ok(())
}

/// Up to [`STRIP_FRAMES`] of `files`, evenly chosen, as small PNG `data:` URLs.
fn strip(files: &[PathBuf]) -> Vec<String> {
    let n = files.len();
    if n == 0 {
        return Vec::new();
    }
    let take = n.min(STRIP_FRAMES);
    (0..take)
        .map(|k| {
            if take == 1 {
                0
            } else {
                k * (n - 1) / (take - 1)
            }
        })
        .filter_map(|i| crate::render::thumbnail::thumbnail(&files[i], STRIP_HEIGHT))
        .collect()
}

/// The frames in `files`, decoded.
fn decode(files: &[PathBuf]) -> Result<GoldFrames> {
    if files.is_empty() {
        return Ok(GoldFrames::NotRendered);
    }
    let frames = files
        .iter()
        .map(|f| Frame::read(f))
        .collect::<Result<Vec<Frame>>>()?;
    Ok(GoldFrames::Rendered(frames))
}

/// `renders` and `not_blank` of one row from its render (none: no output to render).
fn record(row: &mut Scored, outcome: Option<Outcome>) {
    let (renders, not_blank) = match outcome {
        Some(mut outcome) => {
            let why = outcome.describe();
            let renders = if outcome.verdict.renders() {
                Ok(())
            } else {
                Err(why.clone())
            };
            let not_blank = match outcome.verdict {
                crate::render::Verdict::Ok => Some(Ok(())),
                crate::render::Verdict::Blank => Some(Err(why)),
                _ => None,
            };
            // The frames lived in a temporary folder: not a place to point at.
            outcome.files.clear();
            row.render = Some(outcome);
            (Some(renders), not_blank)
        }
        None => {
            let why = row
                .error
                .clone()
                .unwrap_or_else(|| "no prediction for this example".into());
            (Some(Err(why.clone())), Some(Err(why)))
        }
    };
    for (name, result) in RENDER_CHECKS.into_iter().zip([renders, not_blank]) {
        row.checks.insert(name, result.as_ref().map(Result::is_ok));
        match result {
            Some(Err(why)) => {
                row.failures.insert(name, predictions::shown(&why));
            }
            None => {
                row.failures
                    .insert(name, "not judged: the output did not render".into());
            }
            Some(Ok(())) => {}
        }
    }
}
