//! Consistency of a directory written by `build`: sidecars, manifest, stats.
//!
//! Takes the directory; adds findings when `{split}.upload.jsonl` or `{split}.meta.jsonl` is out of
//! line with `{split}.jsonl`, when a file's SHA-256, size or line count differs from `manifest.json`
//! (or a file is missing from it), or when `stats.json` totals differ from the files.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use super::{Category, Findings};
use crate::dataset::example::{ExampleLine, Message, Meta};
use crate::dataset::manifest::{self, digest};
use crate::dataset::stats::Stats;
use crate::error::{Error, Result};
use crate::location::json_reason;
use crate::split::Split;
use crate::video::describe_duration;

pub(super) fn check(dir: &Path, findings: &mut Findings<'_>) -> Result<()> {
    for split in Split::ALL {
        sidecars(dir, split.name(), findings)?;
    }
    let mut lines = manifest(dir, findings)?;
    let mut upload_lines = [0u64; 3];
    for (i, split) in Split::ALL.iter().enumerate() {
        let name = format!("{}.upload.jsonl", split.name());
        upload_lines[i] = match lines.remove(&name) {
            Some(n) => n,
            None if dir.join(&name).is_file() => digest(&dir.join(&name))?.2,
            None => 0,
        };
    }
    stats(dir, &upload_lines, findings);
    Ok(())
}

fn open_lines(path: &Path) -> Result<Option<std::io::Lines<BufReader<File>>>> {
    match File::open(path) {
        Ok(f) => Ok(Some(BufReader::with_capacity(1 << 20, f).lines())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::read(path, e)),
    }
}

/// Walk the three files of a split in step; the first disagreement is reported.
fn sidecars(dir: &Path, split: &str, findings: &mut Findings<'_>) -> Result<()> {
    let full_path = dir.join(format!("{split}.jsonl"));
    let upload_path = dir.join(format!("{split}.upload.jsonl"));
    let meta_path = dir.join(format!("{split}.meta.jsonl"));
    let (Some(mut full), Some(mut upload), Some(mut meta)) = (
        open_lines(&full_path)?,
        open_lines(&upload_path)?,
        open_lines(&meta_path)?,
    ) else {
        for path in [&full_path, &upload_path, &meta_path] {
            if !path.exists() {
                findings.add(
                    Category::SidecarMismatch,
                    &path.display().to_string(),
                    None,
                    "missing: a build writes all three files per split".into(),
                );
            }
        }
        return Ok(());
    };
    let upload_name = upload_path.display().to_string();
    let meta_name = meta_path.display().to_string();
    let mut n = 0u64;
    loop {
        let (f, u, m) = (full.next(), upload.next(), meta.next());
        if f.is_none() && u.is_none() && m.is_none() {
            return Ok(());
        }
        n += 1;
        let line = n as usize;
        let (Some(Ok(f)), Some(Ok(u)), Some(Ok(m))) = (f, u, m) else {
            findings.add(
                Category::SidecarMismatch,
                &upload_name,
                Some(line),
                format!("{split}.jsonl, {split}.upload.jsonl and {split}.meta.jsonl have different line counts (or unreadable lines) from line {line}"),
            );
            return Ok(());
        };
        // Read typed, as the tool wrote them: a line that is not what `build` writes is a finding.
        let Some((f, u, m)) = read_typed(
            (&f, &full_path),
            (&u, &upload_path),
            (&m, &meta_path),
            line,
            findings,
        ) else {
            return Ok(());
        };
        if let Some(why) = brief_misstates_duration(&f) {
            findings.add(
                Category::DurationNotStated,
                &full_path.display().to_string(),
                Some(line),
                why,
            );
        }
        if f.messages != u.messages {
            findings.add(
                Category::SidecarMismatch,
                &upload_name,
                Some(line),
                format!("messages differ from {split}.jsonl line {line}"),
            );
            return Ok(());
        }
        if f.meta != m.meta {
            findings.add(
                Category::SidecarMismatch,
                &meta_name,
                Some(line),
                format!("meta differs from {split}.jsonl line {line}"),
            );
            return Ok(());
        }
    }
}

/// A line of `{split}.upload.jsonl`: the messages alone.
#[derive(Deserialize)]
struct UploadLine {
    messages: Vec<Message>,
}

/// A line of `{split}.meta.jsonl`: the meta alone.
#[derive(Deserialize)]
struct MetaLine {
    meta: Meta<'static>,
}

/// Line `line` of a split's three files, each as its type; a line that does not read is a
/// finding at its file, line and column (and `None`: the files are out of step from there).
fn read_typed(
    full: (&str, &Path),
    upload: (&str, &Path),
    meta: (&str, &Path),
    line: usize,
    findings: &mut Findings<'_>,
) -> Option<(ExampleLine, UploadLine, MetaLine)> {
    fn read<T: serde::de::DeserializeOwned>(
        (text, path): (&str, &Path),
        what: &str,
        line: usize,
        findings: &mut Findings<'_>,
    ) -> Option<T> {
        serde_json::from_str(text)
            .map_err(|e| {
                findings.add(
                    Category::SidecarMismatch,
                    &path.display().to_string(),
                    Some(line),
                    format!("not {what}: {} (column {})", json_reason(&e), e.column()),
                )
            })
            .ok()
    }
    let f = read(full, "an example line (messages and meta)", line, findings);
    let u = read(upload, "an upload line (messages)", line, findings);
    let m = read(meta, "a meta line (meta)", line, findings);
    Some((f?, u?, m?))
}

/// Why a full line's brief does not state the duration its meta records (`None` when it does, or
/// when the line has no duration to check: versions before durations were recorded).
fn brief_misstates_duration(line: &ExampleLine) -> Option<String> {
    let (frames, fps) = (line.meta.duration, line.meta.fps);
    if frames == 0 || fps == 0 {
        return None;
    }
    let stated = format!("Duration: {}", describe_duration(frames, fps));
    (!line.content("user").contains(&stated)).then(|| {
        format!("meta says {frames} frames at {fps} fps, but the brief does not say \"{stated}\"")
    })
}

/// Check every file against the manifest (the one verifier every reader uses); gives the actual
/// line count of each file it read.
fn manifest(dir: &Path, findings: &mut Findings<'_>) -> Result<HashMap<String, u64>> {
    manifest_files(dir, "build", |_| false, findings)
}

/// Every difference between `dir` and its manifest as a finding (a file changed after the `what`
/// that wrote it, missing, or not listed unless `expected` says it belongs there); gives each
/// listed file's line count. An unreadable or malformed manifest is a finding too.
pub(super) fn manifest_files(
    dir: &Path,
    what: &str,
    expected: impl Fn(&str) -> bool,
    findings: &mut Findings<'_>,
) -> Result<HashMap<String, u64>> {
    match manifest::check_files(dir) {
        Ok(checked) => {
            for m in checked.mismatches {
                if let manifest::Mismatch::Unlisted { name } = &m {
                    if expected(name) {
                        continue;
                    }
                }
                let reason = match m {
                    manifest::Mismatch::Sha256 { .. } => {
                        format!("{}: the file changed after the {what}", m.reason())
                    }
                    _ => m.reason(),
                };
                findings.add(
                    Category::ManifestMismatch,
                    &dir.join(m.name()).display().to_string(),
                    None,
                    reason,
                );
            }
            Ok(checked.lines)
        }
        // An unreadable or malformed manifest is what this check reports, not a reason to stop.
        Err(Error::Input { at, message }) => {
            findings.add(
                Category::ManifestMismatch,
                &at.path.display().to_string(),
                at.line.map(|l| l as usize),
                message,
            );
            Ok(HashMap::new())
        }
        Err(e) => Err(e),
    }
}

/// `stats.json` read typed: its totals must be the files' line counts.
fn stats(dir: &Path, upload_lines: &[u64; 3], findings: &mut Findings<'_>) {
    let path = dir.join("stats.json");
    let name = path.display().to_string();
    let stats: Stats = match crate::input::read_capped(&path, crate::input::SMALL_FILE_LIMIT)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            serde_json::from_slice(&bytes)
                .map_err(|e| format!("not a template-sft stats.json: {}", json_reason(&e)))
        }) {
        Ok(stats) => stats,
        Err(why) => {
            findings.add(Category::StatsMismatch, &name, None, why);
            return;
        }
    };
    for (i, split) in Split::ALL.iter().enumerate() {
        let listed = stats.totals.of(*split) as u64;
        if listed != upload_lines[i] {
            findings.add(
                Category::StatsMismatch,
                &name,
                None,
                format!(
                    "totals.{} is {listed}; {}.upload.jsonl has {} examples",
                    split.name(),
                    split.name(),
                    upload_lines[i]
                ),
            );
        }
    }
    // Names the readers write into trainer configs and file names must follow the rule `build`
    // enforces: a version received from elsewhere may carry anything.
    for (what, value) in stats.written_names() {
        if let Err(why) = crate::config::check_name(value) {
            findings.add(
                Category::StatsMismatch,
                &name,
                None,
                format!("the {what} {why}"),
            );
        }
    }
    let all: u64 = upload_lines.iter().sum();
    if stats.totals.all as u64 != all {
        findings.add(
            Category::StatsMismatch,
            &name,
            None,
            format!("totals.all is {}; the splits hold {all}", stats.totals.all),
        );
    }
}
