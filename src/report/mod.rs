//! `report`: what a dataset version holds, at a glance.
//!
//! Takes a version directory; gives a [`Summary`] (from `stats.json` and the per-example meta) that
//! [`terminal`] prints and [`html`] renders as one self-contained page with [`charts`].

pub mod charts;
pub mod html;
pub mod terminal;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::dataset::reader::VersionDir;
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
    pub tokens: Option<u64>,
    pub brief: String,
    /// The first lines of the code.
    pub code_head: String,
    pub code_lines: usize,
}

#[derive(Debug)]
pub struct Summary {
    pub dir: String,
    pub stats: Value,
    pub splits: [SplitSummary; 3],
    pub per_template: BTreeMap<String, usize>,
    pub formats: BTreeMap<String, usize>,
    pub origins: BTreeMap<String, usize>,
    pub samples: Vec<Sample>,
}

/// Lines of code shown per sample.
const CODE_HEAD_LINES: usize = 14;

impl Summary {
    pub fn load(dir: &VersionDir, samples_per_split: usize) -> Result<Summary> {
        let stats = dir.stats()?;
        let mut splits: [SplitSummary; 3] = Default::default();
        let mut per_template = BTreeMap::new();
        let mut formats = BTreeMap::new();
        let mut origins = BTreeMap::new();
        for (i, split) in Split::ALL.iter().enumerate() {
            let mut templates = BTreeSet::new();
            let s = &mut splits[i];
            dir.for_each_meta(*split, |meta| {
                s.examples += 1;
                s.tokens.push(meta.tokens.unwrap_or(0));
                s.assistant_tokens += meta.assistant_tokens.unwrap_or(0);
                *per_template.entry(meta.template_id.clone()).or_insert(0) += 1;
                *formats.entry(meta.format.clone()).or_insert(0) += 1;
                *origins.entry(meta.prompt_origin.clone()).or_insert(0) += 1;
                templates.insert(meta.template_id);
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
                    template_id: e.meta.template_id.clone(),
                    variant: e.meta.prompt_variant.clone(),
                    format: e.meta.format.clone(),
                    tokens: e.meta.tokens,
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

    /// Numbers from stats.json, 0 when absent (older or foreign stats).
    pub fn stat(&self, pointer: &str) -> u64 {
        self.stats
            .pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }

    pub fn list(&self, key: &str) -> Vec<Value> {
        self.stats
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
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
