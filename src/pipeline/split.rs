//! The split stage: identical examples written once, near-copy clusters kept together, every example
//! given its split, in the order the files will hold them.
//!
//! Takes the records' near-copy signatures first ([`cluster`], before the examples are made: each
//! record gets its cluster), then the drafts (catalog order) ([`run`]); gives the examples, each
//! placed in its split and cluster, ordered (by split, then a seeded hash), the stats of duplicates
//! and clusters, and a diagnostic per dropped duplicate and per cluster too large for a held-out
//! split. In `template` mode a group is a near-copy cluster (keyed by its smallest template id), so
//! neither a template nor a near-copy of it is on both sides of a split; in `example` mode each
//! example is its own group.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::record::{Cluster, TemplateRecord};
use crate::config::{Config, SplitMode};
use crate::dataset::example::{Draft, Example};
use crate::dataset::stats::{DuplicateExample, NearCopyCluster, NearCopyStats};
use crate::diagnostic::{warning, Diagnostics};
use crate::digest::{seeded_hash, text_hash};
use crate::error::count;
use crate::split::near_copy;
use crate::split::{self, Group, Ratios, Split as SplitName};

pub struct Split<'r> {
    /// Split, and in the order they are written.
    pub examples: Vec<Example<'r>>,
    /// The realized split is far from the ratios, or train is below OpenAI's minimum (warned).
    pub skewed: bool,
    pub placed: Placed,
    /// What clustering cost: similarity estimates computed, and the time (for `build -v`).
    pub clustering: Option<(u64, std::time::Duration)>,
}

/// What the stage counted for the stats.
pub struct Placed {
    pub duplicates: Vec<DuplicateExample>,
    pub near_copies: NearCopyStats,
}

impl Split<'_> {
    /// The stage in a line for `build -v`.
    pub fn describe(&self) -> String {
        let split = format!("{} split", count(self.examples.len(), "example"));
        match self.clustering {
            Some((comparisons, took)) => format!(
                "{split}; near-copies: {} of {} from {} in {:.2}s",
                count(self.placed.near_copies.clusters.len(), "cluster"),
                count(self.placed.near_copies.templates_in_clusters, "template"),
                count(comparisons as usize, "similarity estimate"),
                took.as_secs_f64()
            ),
            None => split,
        }
    }
}

/// What clustering found before the examples were made ([`cluster`]): the clusters of two or
/// more, for the stats, and what it cost.
pub struct NearCopies {
    /// Key, member ids (key first, then ascending), similarity.
    multi: Vec<(Arc<str>, Vec<String>, f64)>,
    /// Similarity estimates computed.
    comparisons: u64,
    took: std::time::Duration,
}

/// Template split mode: give every record with code and a duration its near-copy cluster
/// ([`TemplateRecord::cluster`]), then let the signatures go (1 KiB a template, not needed to
/// write the version; the gate cache does not keep them, a rebuild computes them again from the
/// code it reads anyway). Runs before the examples are made, while the records can still change.
/// `None` in example mode.
pub fn cluster(config: &Config, records: &mut [TemplateRecord]) -> Option<NearCopies> {
    if config.split.mode != SplitMode::Template {
        return None;
    }
    let started = std::time::Instant::now();
    let members: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].accepted().is_some() && records[i].duration.is_some())
        .collect();
    let found = {
        let items: Vec<near_copy::Item<'_>> = members
            .iter()
            .map(|&i| near_copy::Item {
                signature: records[i].signature.as_ref(),
                digest: records[i].accepted().map_or(&[], |c| c.sha256.as_bytes()),
            })
            .collect();
        near_copy::cluster(&items, config.split.near_copy_threshold)
    };
    let mut multi = Vec::new();
    for group in &found.groups {
        let mut ids: Vec<(&str, usize)> = group
            .members
            .iter()
            .map(|&m| (records[members[m]].template.id.as_str(), members[m]))
            .collect();
        ids.sort_unstable();
        let key: Arc<str> = Arc::from(ids[0].0);
        let size = ids.len();
        let names: Vec<String> = if size > 1 {
            ids.iter().map(|(id, _)| id.to_string()).collect()
        } else {
            Vec::new()
        };
        // The ids borrow the records: their places first, then the records change.
        let in_cluster: Vec<usize> = ids.iter().map(|&(_, i)| i).collect();
        for i in in_cluster {
            records[i].cluster = Some(Cluster {
                key: key.clone(),
                size,
            });
        }
        if size > 1 {
            multi.push((key, names, group.similarity));
        }
    }
    for record in records.iter_mut() {
        record.signature = None;
    }
    Some(NearCopies {
        multi,
        comparisons: found.comparisons,
        took: started.elapsed(),
    })
}

/// Place the drafts: duplicates dropped, every example in its split, a template's cluster (what
/// [`cluster`] left in its record) kept on one side. `near` is [`cluster`]'s result: `Some`
/// splits by cluster, `None` (example mode) each example on its own.
pub fn run<'r>(
    config: &Config,
    records: &'r [TemplateRecord],
    near: Option<NearCopies>,
    drafts: Vec<Box<Draft<'r>>>,
    diagnostics: &mut Diagnostics,
) -> Split<'r> {
    let (drafts, duplicates) = without_duplicates(drafts, diagnostics);
    let mut near_copies = NearCopyStats {
        threshold: config.split.near_copy_threshold,
        ..NearCopyStats::default()
    };
    let mut clustering = None;
    let mut examples: Vec<Example<'r>>;
    let ratios = Ratios {
        train: config.split.train,
        validation: config.split.validation,
        test: config.split.test,
    };
    // `near` is what `cluster` gave: `Some` exactly in template mode.
    match near {
        Some(near) => {
            clustering = Some((near.comparisons, near.took));
            // Template id → its cluster, as `cluster` left it in the records.
            let clusters: HashMap<&str, &Cluster> = records
                .iter()
                .filter_map(|r| Some((r.template.id.as_str(), r.cluster.as_ref()?)))
                .collect();
            let cluster_of = |d: &Draft<'r>| &*clusters[d.template.id.as_str()].key;
            // Groups in first-seen order; the split is by group key, so order does not matter.
            let mut index: HashMap<&str, usize> = HashMap::new();
            let mut groups: Vec<Group<'_>> = Vec::new();
            for d in &drafts {
                let cluster = cluster_of(d);
                let i = *index.entry(cluster).or_insert_with(|| {
                    groups.push(Group {
                        key: cluster,
                        examples: 0,
                        bounded: clusters[cluster].size > 1,
                    });
                    groups.len() - 1
                });
                groups[i].examples += 1;
            }
            let assignment = split::assign(&groups, &ratios, config.split.seed);
            examples = drafts
                .into_iter()
                .map(|d| {
                    let cluster = cluster_of(&d);
                    d.place(assignment.splits[index[cluster]], cluster)
                })
                .collect();
            for &g in &assignment.too_large {
                diagnostics.add(warning::cluster_too_large(
                    groups[g].key,
                    clusters[groups[g].key].size,
                    groups[g].examples,
                ));
            }
            let too_large: HashSet<&str> = assignment
                .too_large
                .iter()
                .map(|&g| groups[g].key)
                .collect();
            for (key, members, similarity) in near.multi {
                let Some(&g) = index.get(&*key) else {
                    continue; // a cluster with no examples left
                };
                near_copies.templates_in_clusters += members.len();
                near_copies.clusters.push(NearCopyCluster {
                    templates: members,
                    similarity: (similarity * 1000.0).round() / 1000.0,
                    split: assignment.splits[g],
                    too_large: too_large.contains(&*key),
                });
            }
            near_copies.clusters.sort_by(|a, b| {
                b.templates
                    .len()
                    .cmp(&a.templates.len())
                    .then(a.templates.cmp(&b.templates))
            });
        }
        None => {
            let keys: Vec<String> = drafts
                .iter()
                .map(|d| d.key_parts().join("\u{1f}"))
                .collect();
            let groups: Vec<Group<'_>> = keys
                .iter()
                .map(|key| Group {
                    key,
                    examples: 1,
                    bounded: false,
                })
                .collect();
            let assignment = split::assign(&groups, &ratios, config.split.seed);
            // One group per draft, in the drafts' order: each its own cluster.
            examples = drafts
                .into_iter()
                .zip(assignment.splits)
                .map(|(d, split)| {
                    let cluster = d.template.id.as_str();
                    d.place(split, cluster)
                })
                .collect();
        }
    }
    examples.sort_by_cached_key(|e| {
        let [id, variant, format] = e.key_parts();
        (
            e.split,
            seeded_hash(config.split.seed, &["order", id, variant, format]),
        )
    });
    let skewed = skew(config, &examples, records.len(), diagnostics);
    Split {
        examples,
        skewed,
        placed: Placed {
            duplicates,
            near_copies,
        },
        clustering,
    }
}

/// Fewest training examples OpenAI's fine-tuning accepts.
const OPENAI_MIN_TRAIN: usize = 10;
/// How far (as a share of all examples) a split may come out from its ratio before a warning.
const MAX_SKEW: f64 = 0.15;

/// Warn when the split came out far from its ratios (a few templates split by template cannot
/// match 80/10/10), when a split with a share got nothing, or when train is below what OpenAI
/// accepts; say what to change. True when it warned.
fn skew(
    config: &Config,
    examples: &[Example<'_>],
    templates: usize,
    diagnostics: &mut Diagnostics,
) -> bool {
    let total = examples.len();
    if total == 0 {
        return false;
    }
    let count = |s: SplitName| examples.iter().filter(|e| e.split == s).count();
    let split = &config.split;
    let realized = [
        (SplitName::Train, split.train, count(SplitName::Train)),
        (
            SplitName::Validation,
            split.validation,
            count(SplitName::Validation),
        ),
        (SplitName::Test, split.test, count(SplitName::Test)),
    ];
    let far = realized.iter().any(|&(_, ratio, n)| {
        (n as f64 / total as f64 - ratio).abs() > MAX_SKEW || (ratio > 0.0 && n == 0)
    });
    let train = realized[0].2;
    let openai = config.tokens.model.starts_with("gpt-");
    let mut warned = false;
    if far {
        let shares: Vec<String> = realized
            .iter()
            .map(|(s, _, n)| {
                format!(
                    "{} {n} ({:.0}%)",
                    s.name(),
                    100.0 * *n as f64 / total as f64
                )
            })
            .collect();
        let fix = match split.mode {
            SplitMode::Template => format!(
                "with {} split by template (a template's examples stay together), the ratios cannot be met: add templates, change the ratios, or set split.mode = \"example\" (a template's examples may then be on both sides)",
                crate::error::count(templates, "template")
            ),
            SplitMode::Example => "add examples or change the ratios".to_string(),
        };
        diagnostics.add(warning::split_skewed(
            &shares,
            [split.train, split.validation, split.test],
            &fix,
        ));
        warned = true;
    }
    if openai && train < OPENAI_MIN_TRAIN {
        diagnostics.add(warning::train_below_minimum(train, OPENAI_MIN_TRAIN));
        warned = true;
    }
    warned
}

/// Examples whose messages equal an earlier one's (same brief, same code: the system message is the
/// same for all) are dropped, the first in catalog order kept; each drop is listed and warned about.
/// In place: one 128-bit key and index per example (the vector is not copied), and a key that
/// matches is confirmed on the code's digest and the brief's text before anything is dropped.
fn without_duplicates<'r>(
    mut examples: Vec<Box<Draft<'r>>>,
    diagnostics: &mut Diagnostics,
) -> (Vec<Box<Draft<'r>>>, Vec<DuplicateExample>) {
    let key = |e: &Draft<'_>| {
        let code: [u8; 16] = e.code.sha256.as_bytes()[..16]
            .try_into()
            .unwrap_or_default();
        u128::from_le_bytes(code) ^ text_hash(&e.brief.text)
    };
    let mut first: HashMap<u128, usize> = HashMap::with_capacity(examples.len());
    // (duplicate, the example it repeats), in catalog order.
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    for (i, e) in examples.iter().enumerate() {
        match first.entry(key(e)) {
            std::collections::hash_map::Entry::Occupied(o) => {
                let original = &examples[*o.get()];
                if original.code.sha256 == e.code.sha256 && original.brief.text == e.brief.text {
                    repeats.push((i, *o.get()));
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
    }
    drop(first);
    let mut duplicates = Vec::with_capacity(repeats.len());
    for &(i, k) in &repeats {
        let (e, original) = (&examples[i], &examples[k]);
        diagnostics.add(warning::duplicate_example(e.key(), original.key()));
        duplicates.push(DuplicateExample {
            template_id: e.template.id.clone(),
            prompt_variant: e.brief.variant.clone(),
            format: e.brief.format,
            duplicate_of: original.key(),
        });
    }
    let mut dropped = repeats.iter().map(|&(i, _)| i).peekable();
    let mut i = 0;
    examples.retain(|_| {
        let keep = dropped.next_if_eq(&i).is_none();
        i += 1;
        keep
    });
    (examples, duplicates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Template;
    use crate::code::duration::CodeDuration;
    use crate::code::{CodeOrigin, TemplateCode};
    use crate::prompts::brief::{Brief, BriefOrigin};
    use crate::video::{DurationFrom, VideoFormat};

    fn brief(variant: &str, text: &str) -> Brief {
        Brief {
            text: text.into(),
            format: VideoFormat::Square,
            variant: variant.into(),
            origin: BriefOrigin::Synthesized("primaryUse"),
        }
    }

    fn draft<'a>(
        template: &'a Template,
        code: &'a TemplateCode,
        brief: &'a Brief,
    ) -> Box<Draft<'a>> {
        Box::new(Draft {
            template,
            code,
            brief,
            duration: 30,
            duration_from: DurationFrom::Catalog,
            tokens: 1,
            assistant_tokens: 1,
        })
    }

    #[test]
    fn an_example_repeating_an_earlier_one_is_dropped_in_place_and_listed() {
        let template = Template::for_tests();
        let one = TemplateCode::new(
            "const a = 1;",
            CodeOrigin::store("k"),
            4,
            CodeDuration::NoExport,
        );
        let other = TemplateCode::new(
            "const b = 2;",
            CodeOrigin::store("k"),
            4,
            CodeDuration::NoExport,
        );
        let briefs = [
            brief("a", "Same brief."),
            brief("b", "Same brief."),
            brief("c", "Other brief."),
            brief("d", "Same brief."),
            brief("e", "Same brief."),
        ];
        let drafts = vec![
            draft(&template, &one, &briefs[0]),
            draft(&template, &other, &briefs[1]), // other code: kept
            draft(&template, &one, &briefs[2]),   // other brief: kept
            draft(&template, &one, &briefs[3]),   // repeats "a"
            draft(&template, &other, &briefs[4]), // repeats "b"
        ];
        let mut diagnostics = Diagnostics::default();
        let (kept, duplicates) = without_duplicates(drafts, &mut diagnostics);
        let variants: Vec<&str> = kept.iter().map(|d| d.brief.variant.as_str()).collect();
        assert_eq!(variants, ["a", "b", "c"]);
        let listed: Vec<(&str, String)> = duplicates
            .iter()
            .map(|d| (d.prompt_variant.as_str(), d.duplicate_of.id()))
            .collect();
        assert_eq!(
            listed,
            [
                ("d", "t/a/square".to_string()),
                ("e", "t/b/square".to_string())
            ]
        );
        assert_eq!(diagnostics.len(), 2);
    }
}
