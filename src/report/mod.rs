//! `report`: what a dataset version holds, at a glance.
//!
//! Takes a version directory (verified, see [`Version::open`]); gives a [`Summary`] (its typed
//! `stats.json` and the per-example meta) that [`terminal`] prints and [`html`] renders as one
//! self-contained page with [`charts`].

pub mod charts;
pub mod html;
pub mod terminal;

use std::collections::{BTreeMap, BTreeSet};

use crate::dataset::stats::Stats;
use crate::dataset::version::Version;
use crate::error::Result;
use crate::split::Split;

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

#[derive(Debug)]
pub struct Summary {
    pub dir: String,
    pub stats: Stats,
    pub splits: [SplitSummary; 3],
    pub per_template: BTreeMap<String, usize>,
    pub formats: BTreeMap<String, usize>,
    pub origins: BTreeMap<String, usize>,
    pub samples: Vec<Sample>,
}

/// Lines of code shown per sample.
const CODE_HEAD_LINES: usize = 14;

impl Summary {
    pub fn load(dir: &Version, samples_per_split: usize) -> Result<Summary> {
        let stats = dir.stats.clone();
        let mut splits: [SplitSummary; 3] = Default::default();
        let mut per_template = BTreeMap::new();
        let mut formats = BTreeMap::new();
        let mut origins = BTreeMap::new();
        for (i, split) in Split::ALL.iter().enumerate() {
            let mut templates = BTreeSet::new();
            let s = &mut splits[i];
            dir.for_each_meta(*split, |meta| {
                s.examples += 1;
                s.tokens.push(meta.tokens as u64);
                s.assistant_tokens += meta.assistant_tokens as u64;
                *per_template
                    .entry(meta.template_id.to_string())
                    .or_insert(0) += 1;
                *formats.entry(meta.format.name().to_string()).or_insert(0) += 1;
                *origins.entry(meta.prompt_origin.to_string()).or_insert(0) += 1;
                templates.insert(meta.template_id.into_owned());
            })?;
            s.templates = templates.len();
        }
        let mut samples = Vec::new();
        for split in Split::ALL {
            let mut taken = 0;
            dir.for_each_example(split, |e| {
                if taken >= samples_per_split {
                    return false;
                }
                taken += 1;
                let code = e.content("assistant");
                samples.push(Sample {
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
                true
            })?;
        }
        Ok(Summary {
            dir: dir.path.display().to_string(),
            stats,
            splits,
            per_template,
            formats,
            origins,
            samples,
        })
    }

    pub fn total_examples(&self) -> usize {
        self.splits.iter().map(|s| s.examples).sum()
    }
}

/// `12345` → `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(percentile(&[5, 1, 3], 50), 3);
        assert_eq!(percentile(&[], 90), 0);
    }
}
