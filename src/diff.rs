//! `diff`: what changed between two dataset versions.
//!
//! Takes two version directories; gives the examples (keyed by template id, prompt variant and
//! format) that were added, removed, whose brief or code changed, the templates whose code changed,
//! the examples that moved between splits (a move from validation or test into train is flagged as
//! evaluation leakage: the model would be trained on what it was evaluated on), near-copy clusters
//! that formed or came apart, and totals before and after.

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::dataset::example::Key;
use crate::dataset::stats::Totals;
use crate::dataset::version::Version;
use crate::digest::text_hash;
use crate::error::Result;
use crate::prompts::brief::PromptOrigin;
use crate::split::Split;

#[derive(Debug, Clone)]
struct State {
    split: Split,
    brief: u128,
    code: String,
}

/// Every example of a version, by key.
struct Index {
    examples: BTreeMap<Key, State>,
    totals: Totals,
}

fn index(dir: &Version) -> Result<Index> {
    let mut examples = BTreeMap::new();
    let mut totals = Totals::default();
    for split in Split::ALL {
        dir.for_each_example(split, |e| {
            totals.add(split);
            examples.insert(
                e.meta.key(),
                State {
                    split,
                    brief: text_hash(e.content("user")),
                    code: e.meta.code_sha256.to_string(),
                },
            );
            true
        })?;
    }
    Ok(Index { examples, totals })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Move {
    #[serde(flatten)]
    pub key: Key,
    pub from: Split,
    pub to: Split,
    /// From validation or test into train.
    pub leakage: bool,
}

/// What changed between two versions of a dataset (`template-sft diff`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    /// The old version's directory.
    pub old: String,
    /// The new version's directory.
    pub new: String,
    /// The old version's examples per split.
    pub totals_before: Totals,
    /// The new version's examples per split.
    pub totals_after: Totals,
    /// Examples per prompt origin (curated, override, generated, synthesized), before and after.
    pub origins_before: BTreeMap<PromptOrigin, usize>,
    /// The same, after.
    pub origins_after: BTreeMap<PromptOrigin, usize>,
    /// Examples only in the new version.
    pub added: Vec<Key>,
    /// Examples only in the old version.
    pub removed: Vec<Key>,
    /// Examples in both whose brief changed.
    pub brief_changed: Vec<Key>,
    /// Examples in both whose code changed.
    pub code_changed: Vec<Key>,
    /// Templates present in both whose code digest differs.
    pub templates_code_changed: Vec<String>,
    /// Examples in both that changed split.
    pub moved: Vec<Move>,
    /// Near-copy clusters (template ids) in the new version that the old one did not have.
    pub clusters_formed: Vec<Vec<String>>,
    /// Near-copy clusters of the old version that the new one no longer has as such.
    pub clusters_split: Vec<Vec<String>>,
}

impl Diff {
    /// Examples that moved from validation or test into train.
    pub fn leakage(&self) -> usize {
        self.moved.iter().filter(|m| m.leakage).count()
    }
}

/// Compare two versions (both verified against their manifests).
pub fn diff(old: &Version, new: &Version) -> Result<Diff> {
    let a = index(old)?;
    let b = index(new)?;
    let mut out = Diff {
        old: old.path.display().to_string(),
        new: new.path.display().to_string(),
        totals_before: a.totals.clone(),
        totals_after: b.totals.clone(),
        origins_before: old.stats.briefs.by_origin.clone(),
        origins_after: new.stats.briefs.by_origin.clone(),
        added: Vec::new(),
        removed: Vec::new(),
        brief_changed: Vec::new(),
        code_changed: Vec::new(),
        templates_code_changed: Vec::new(),
        moved: Vec::new(),
        clusters_formed: Vec::new(),
        clusters_split: Vec::new(),
    };
    let clusters = |v: &Version| -> std::collections::BTreeSet<Vec<String>> {
        v.stats
            .near_copies
            .clusters
            .iter()
            .map(|c| {
                let mut t = c.templates.clone();
                t.sort();
                t
            })
            .collect()
    };
    let (before, after) = (clusters(old), clusters(new));
    out.clusters_formed = after.difference(&before).cloned().collect();
    out.clusters_split = before.difference(&after).cloned().collect();
    let mut old_code: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, state) in &a.examples {
        old_code.insert(&key.template_id, &state.code);
        match b.examples.get(key) {
            None => out.removed.push(key.clone()),
            Some(now) => {
                if now.brief != state.brief {
                    out.brief_changed.push(key.clone());
                }
                if now.code != state.code {
                    out.code_changed.push(key.clone());
                }
                if now.split != state.split {
                    out.moved.push(Move {
                        key: key.clone(),
                        from: state.split,
                        to: now.split,
                        leakage: now.split == Split::Train && state.split != Split::Train,
                    });
                }
            }
        }
    }
    let mut new_code: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, state) in &b.examples {
        new_code.insert(&key.template_id, &state.code);
        if !a.examples.contains_key(key) {
            out.added.push(key.clone());
        }
    }
    out.templates_code_changed = old_code
        .iter()
        .filter(|(id, code)| new_code.get(*id).is_some_and(|now| now != *code))
        .map(|(id, _)| id.to_string())
        .collect();
    Ok(out)
}
