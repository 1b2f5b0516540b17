//! `report`: what a dataset version holds, at a glance.
//!
//! Takes a version directory (verified, see [`Version::open`]); gives a [`Summary`] (its typed
//! `stats.json` and the per-example meta) that [`terminal`] prints and [`html`] renders as one
//! self-contained page with [`charts`].

pub mod charts;
pub mod html;
pub mod terminal;

use std::collections::{BTreeMap, BTreeSet};

use crate::dataset::example::{ExampleLine, Meta};
use crate::dataset::stats::Stats;
use crate::dataset::version::Version;
use crate::error::Result;
use crate::prompts::brief::PromptOrigin;
use crate::split::Split;
use crate::tokens::lengths::{TokenizerLengths, LENGTHS, TRAINERS};
use crate::video::VideoFormat;

/// Per split: what the meta files say.
#[derive(Debug, Default)]
pub struct SplitSummary {
    pub examples: usize,
    pub templates: usize,
    /// Billed tokens of each example, in file order.
    pub tokens: Vec<u64>,
    pub assistant_tokens: u64,
}

/// One example shown in the HTML sample.
#[derive(Debug)]
pub struct Sample {
    pub split: Split,
    pub template_id: String,
    pub variant: String,
    pub format: String,
    pub tokens: u64,
    pub brief: String,
    /// The first lines of the code.
    pub code_head: String,
    pub code_lines: usize,
}

/// What `report` shows about a version: its stats and per-split, per-template, per-format views.
#[derive(Debug)]
#[non_exhaustive]
pub struct Summary {
    /// The version directory.
    pub dir: String,
    /// Its stats.
    pub stats: Stats,
    /// Train, validation and test: examples, templates and billed tokens.
    pub splits: [SplitSummary; 3],
    /// Examples per template id.
    pub per_template: BTreeMap<String, usize>,
    /// Examples per format.
    pub formats: BTreeMap<VideoFormat, usize>,
    /// Examples per prompt origin.
    pub origins: BTreeMap<PromptOrigin, usize>,
    /// Examples shown in the HTML report, a few per split.
    pub samples: Vec<Sample>,
    /// Lengths under model tokenizers: the build's (`stats.json`), or counted for `--tokenizer`.
    pub lengths: Vec<TokenizerLengths>,
    /// `[render] keep_frames`: each scene and format's thumbnails (`frames/` of the version), as
    /// `data:` URLs, by `template-format`.
    pub contact_sheet: BTreeMap<String, Vec<String>>,
    /// Files of `frames/` the contact sheet does not show (not a PNG named as the build names
    /// them, over 1 MiB, past the first 5,000): counted, and said on the page.
    pub contact_sheet_left_out: usize,
}

/// Thumbnails a contact sheet shows at most, and the largest one read.
const MAX_THUMBNAILS: usize = 5_000;
const MAX_THUMBNAIL_BYTES: u64 = 1 << 20;

/// The thumbnails in `dir/frames` (`<template>-<format>-<k>.png`), grouped by scene and format,
/// and how many files there were left out.
fn contact_sheet(dir: &std::path::Path) -> (BTreeMap<String, Vec<String>>, usize) {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("frames"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut left_out = names.len().saturating_sub(MAX_THUMBNAILS);
    let mut sheet: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in names.into_iter().take(MAX_THUMBNAILS) {
        let group = name
            .strip_suffix(".png")
            .and_then(|stem| stem.rsplit_once('-'))
            .map(|(group, _)| group.to_string());
        let bytes = crate::input::read_capped(&dir.join("frames").join(&name), MAX_THUMBNAIL_BYTES);
        // Only a PNG becomes an image (a received version may hold anything there).
        match (group, bytes) {
            (Some(group), Ok(bytes)) if bytes.starts_with(b"\x89PNG\r\n\x1a\n") => sheet
                .entry(group)
                .or_default()
                .push(crate::render::thumbnail::data_url(&bytes)),
            _ => left_out += 1,
        }
    }
    (sheet, left_out)
}

/// Lines of code shown per sample.
const CODE_HEAD_LINES: usize = 14;

impl Summary {
    /// Summarize a version from its meta files, with the first `samples_per_split` examples of each
    /// split as samples.
    pub fn load(dir: &Version, samples_per_split: usize) -> Result<Summary> {
        let mut summary = Summary::new(dir.path.display().to_string(), dir.stats.clone());
        let mut templates: [BTreeSet<String>; 3] = Default::default();
        for (i, split) in Split::ALL.iter().enumerate() {
            dir.for_each_meta(*split, |meta| summary.add_meta(i, &mut templates[i], meta))?;
        }
        for split in Split::ALL {
            let mut taken = 0;
            dir.for_each_example(split, |e| {
                if taken >= samples_per_split {
                    return false;
                }
                taken += 1;
                summary.add_sample(split, &e);
                true
            })?;
        }
        (summary.contact_sheet, summary.contact_sheet_left_out) = contact_sheet(&dir.path);
        Ok(summary)
    }

    /// An empty summary of `stats`; meta and samples are added one by one.
    pub fn new(dir: String, stats: Stats) -> Summary {
        Summary {
            dir,
            splits: Default::default(),
            per_template: BTreeMap::new(),
            formats: BTreeMap::new(),
            origins: BTreeMap::new(),
            samples: Vec::new(),
            lengths: stats.tokens.tokenizers.clone(),
            contact_sheet: BTreeMap::new(),
            contact_sheet_left_out: 0,
            stats,
        }
    }

    /// Count one example's meta into split `i` (`templates` collects that split's template ids).
    pub fn add_meta(&mut self, i: usize, templates: &mut BTreeSet<String>, meta: Meta<'_>) {
        let s = &mut self.splits[i];
        s.examples += 1;
        s.tokens.push(meta.tokens as u64);
        s.assistant_tokens = s
            .assistant_tokens
            .saturating_add(meta.assistant_tokens as u64);
        *self
            .per_template
            .entry(meta.template_id.to_string())
            .or_insert(0) += 1;
        *self.formats.entry(meta.format).or_insert(0) += 1;
        *self.origins.entry(meta.prompt_origin).or_insert(0) += 1;
        templates.insert(meta.template_id.into_owned());
        s.templates = templates.len();
    }

    /// Keep one example for the HTML sample.
    pub fn add_sample(&mut self, split: Split, e: &ExampleLine) {
        let code = e.content("assistant");
        self.samples.push(Sample {
            split,
            template_id: e.meta.template_id.to_string(),
            variant: e.meta.prompt_variant.to_string(),
            format: e.meta.format.name().to_string(),
            tokens: e.meta.tokens as u64,
            brief: e.content("user").to_string(),
            code_head: code
                .lines()
                .take(CODE_HEAD_LINES)
                .collect::<Vec<_>>()
                .join("\n"),
            code_lines: code.lines().count(),
        });
    }

    /// Examples in all splits.
    pub fn total_examples(&self) -> usize {
        self.splits.iter().map(|s| s.examples).sum()
    }
}

/// One line per trainer: how many examples its default length would drop or cut.
pub fn trainer_defaults(l: &TokenizerLengths) -> String {
    TRAINERS
        .iter()
        .map(|t| {
            let n = l.overall.over(t.default).unwrap_or(0);
            let effect = match t.effect {
                crate::tokens::lengths::Effect::Drops => "drops",
                crate::tokens::lengths::Effect::Truncates => "cuts",
            };
            format!("{} {} {} {effect} {n}", t.name, t.setting, t.default)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The column heads of the over-length counts: `>512` … `>16384`.
pub fn over_heads() -> impl Iterator<Item = String> {
    LENGTHS.iter().map(|l| format!(">{l}"))
}

/// The sum of token counts, saturating: a hostile meta line must not overflow it.
pub fn total(values: &[u64]) -> u64 {
    values.iter().fold(0u64, |a, &v| a.saturating_add(v))
}

/// Nearest-rank percentile of unsorted values (0 for none).
pub fn percentile(values: &[u64], p: usize) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    crate::tokens::nearest_rank(&sorted, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[5, 1, 3], 50), 3);
        assert_eq!(percentile(&[], 90), 0);
    }
}
