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

/// Every example of a version, by key, and each template's duration (frames).
struct Index {
    examples: BTreeMap<Key, State>,
    totals: Totals,
    durations: BTreeMap<String, u32>,
}

fn index(dir: &Version) -> Result<Index> {
    let mut examples = BTreeMap::new();
    let mut totals = Totals::default();
    let mut durations = BTreeMap::new();
    for split in Split::ALL {
        dir.for_each_example(split, |e| {
            totals.add(split);
            durations.insert(e.meta.template_id.to_string(), e.meta.duration);
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
    Ok(Index {
        examples,
        totals,
        durations,
    })
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

/// A template whose briefs state another duration than before.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DurationChange {
    /// The template.
    pub template_id: String,
    /// Frames before.
    pub from: u32,
    /// Frames after.
    pub to: u32,
}

/// A template the gate (or the render check) rejects in one version and not in the other.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectionChange {
    /// The template.
    pub template_id: String,
    /// The rule, in the version that rejects it.
    pub rule: String,
    /// Its message there.
    pub message: String,
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
    /// Templates rejected before and not now (fixed).
    pub rejections_fixed: Vec<RejectionChange>,
    /// Rejected now and not before.
    pub rejections_introduced: Vec<RejectionChange>,
    /// Templates in both whose briefs state another duration.
    pub durations_changed: Vec<DurationChange>,
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
        rejections_fixed: Vec::new(),
        rejections_introduced: Vec::new(),
        durations_changed: Vec::new(),
    };
    let rejected = |v: &Version| -> BTreeMap<String, RejectionChange> {
        v.stats
            .sanitizer_failures
            .iter()
            .map(|r| {
                let change = RejectionChange {
                    template_id: r.template_id.clone(),
                    rule: r.rule.to_string(),
                    message: r.message.clone(),
                };
                (r.template_id.clone(), change)
            })
            .collect()
    };
    let (rejected_before, rejected_after) = (rejected(old), rejected(new));
    out.rejections_fixed = rejected_before
        .iter()
        .filter(|(id, _)| !rejected_after.contains_key(*id))
        .map(|(_, r)| r.clone())
        .collect();
    out.rejections_introduced = rejected_after
        .iter()
        .filter(|(id, _)| !rejected_before.contains_key(*id))
        .map(|(_, r)| r.clone())
        .collect();
    out.durations_changed = a
        .durations
        .iter()
        .filter_map(|(id, &from)| {
            let &to = b.durations.get(id)?;
            (to != from).then(|| DurationChange {
                template_id: id.clone(),
                from,
                to,
            })
        })
        .collect();
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
