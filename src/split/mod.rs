//! Splitting examples into train, validation and test.
//!
//! Takes groups (a key and a number of examples each; a group is a near-copy cluster of templates in
//! `template` mode, see [`near_copy`], and a single example in `example` mode), the ratios and a seed;
//! gives each group's split. Groups are ordered by a seeded hash of their key, not shuffled as a
//! list, so adding one template moves at most a couple of others (a shuffle would reshuffle
//! everything). Test is filled first, then validation, the rest is train, counting examples, with the
//! original tool's small-set rules. A cluster of several templates larger than a held-out split's
//! share goes to train instead of swamping it.

pub mod near_copy;

use serde::{Deserialize, Serialize};

use crate::digest::seeded_hash;

/// The three splits of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// What the model is trained on.
    Train,
    /// Held out, watched during training.
    Validation,
    /// Held out, for the final evaluation.
    Test,
}

impl Split {
    /// All three, in file order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];

    /// The split's name (`train`, `validation`, `test`): its files' names and its JSON value.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// The share of examples each split should get (they sum to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratios {
    /// Train's share.
    pub train: f64,
    /// Validation's share.
    pub validation: f64,
    /// Test's share.
    pub test: f64,
}

/// How many examples validation and test should get: floors of the ratios, then the original's
/// rules for small sets (1 group: all train; 2 groups: one test; 3+: at least one of each).
fn targets(examples: usize, groups: usize, ratios: &Ratios) -> (usize, usize) {
    let floor = |r: f64| (r * examples as f64).floor() as usize;
    let (mut validation, mut test) = (floor(ratios.validation), floor(ratios.test));
    match groups {
        0 | 1 => return (0, 0),
        2 => {
            validation = 0;
            if ratios.test > 0.0 {
                test = test.max(1);
            }
        }
        _ => {
            if ratios.validation > 0.0 {
                validation = validation.max(1);
            }
            if ratios.test > 0.0 {
                test = test.max(1);
            }
        }
    }
    (validation, test)
}

/// A unit the split never divides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group<'k> {
    /// The group's key (a cluster's smallest template id, or an example's key).
    pub key: &'k str,
    /// Its examples.
    pub examples: usize,
    /// A cluster of several templates: kept out of a held-out split whose share it exceeds.
    pub bounded: bool,
}

/// Each group's split, and the bounded groups sent to train for being larger than a held-out
/// split's share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub splits: Vec<Split>,
    pub too_large: Vec<usize>,
}

/// The split of each group, in the order given. Groups are ordered by a seeded hash of their key;
/// test takes groups from the front of that order and validation from the back, each until it holds
/// its share, the rest is train. Filling the two from opposite ends keeps their boundaries apart:
/// one more template (or a bigger cluster) moves at most the group at one boundary, instead of
/// cascading from test into validation.
pub fn assign(groups: &[Group<'_>], ratios: &Ratios, seed: u64) -> Assignment {
    let examples: usize = groups.iter().map(|g| g.examples).sum();
    let (validation_target, test_target) = targets(examples, groups.len(), ratios);
    let mut order: Vec<(u64, &str, usize)> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (seeded_hash(seed, &[g.key]), g.key, i))
        .collect();
    order.sort_unstable();
    let mut out = Assignment {
        splits: vec![Split::Train; groups.len()],
        too_large: Vec::new(),
    };
    let mut held_out = 0;
    let mut fill = |split: Split, target: usize, order: &mut dyn Iterator<Item = usize>| {
        let mut filled = 0;
        for i in order {
            // Never take the last group away from train, nor one the other split took.
            if filled >= target || held_out + 1 >= groups.len() || out.splits[i] != Split::Train {
                break;
            }
            let group = &groups[i];
            if group.bounded && group.examples > target {
                out.too_large.push(i);
                continue;
            }
            out.splits[i] = split;
            filled += group.examples;
            held_out += 1;
        }
    };
    fill(Split::Test, test_target, &mut order.iter().map(|o| o.2));
    fill(
        Split::Validation,
        validation_target,
        &mut order.iter().rev().map(|o| o.2),
    );
    out.too_large.sort_unstable();
    out.too_large.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Ratios = Ratios {
        train: 0.8,
        validation: 0.1,
        test: 0.1,
    };

    fn counts(splits: &[Split], sizes: &[usize]) -> [usize; 3] {
        let mut c = [0; 3];
        for (s, n) in splits.iter().zip(sizes) {
            c[*s as usize] += n;
        }
        c
    }

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("template-{i}")).collect()
    }

    /// Groups of single templates (unbounded).
    fn assign(groups: &[(&str, usize)], ratios: &Ratios, seed: u64) -> Vec<Split> {
        let groups: Vec<Group<'_>> = groups
            .iter()
            .map(|&(key, examples)| Group {
                key,
                examples,
                bounded: false,
            })
            .collect();
        super::assign(&groups, ratios, seed).splits
    }

    #[test]
    fn small_sets_follow_the_original_rules() {
        let one = assign(&[("a", 1)], &DEFAULT, 1);
        assert_eq!(one, [Split::Train]);
        let two = assign(&[("a", 1), ("b", 1)], &DEFAULT, 1);
        assert_eq!(counts(&two, &[1, 1]), [1, 0, 1]);
        let three = assign(&[("a", 1), ("b", 1), ("c", 1)], &DEFAULT, 1);
        assert_eq!(counts(&three, &[1, 1, 1]), [1, 1, 1]);
    }

    #[test]
    fn large_sets_get_floored_ratios() {
        let k = keys(100);
        let groups: Vec<(&str, usize)> = k.iter().map(|s| (s.as_str(), 1)).collect();
        let s = assign(&groups, &DEFAULT, 42);
        assert_eq!(counts(&s, &[1; 100]), [80, 10, 10]);
    }

    #[test]
    fn a_zero_ratio_gets_nothing() {
        let k = keys(20);
        let groups: Vec<(&str, usize)> = k.iter().map(|s| (s.as_str(), 1)).collect();
        let r = Ratios {
            train: 0.9,
            validation: 0.0,
            test: 0.1,
        };
        assert_eq!(counts(&assign(&groups, &r, 3), &[1; 20]), [18, 0, 2]);
    }

    #[test]
    fn adding_one_template_to_a_hundred_moves_at_most_one_other() {
        for seed in 0..200 {
            let k = keys(101);
            let before: Vec<(&str, usize)> = k[..100].iter().map(|s| (s.as_str(), 4)).collect();
            let after: Vec<(&str, usize)> = k.iter().map(|s| (s.as_str(), 4)).collect();
            let a = assign(&before, &DEFAULT, seed);
            let b = assign(&after, &DEFAULT, seed);
            let moved = a.iter().zip(&b).filter(|(x, y)| x != y).count();
            assert!(moved <= 1, "seed {seed}: {moved} templates moved");
        }
    }

    #[test]
    fn a_cluster_larger_than_a_share_goes_to_train() {
        let k = keys(40);
        let mut groups: Vec<Group<'_>> = k
            .iter()
            .map(|key| Group {
                key,
                examples: 4,
                bounded: false,
            })
            .collect();
        // 60 of 216 examples in one cluster: more than test's and validation's 21 each.
        groups[0] = Group {
            key: &k[0],
            examples: 60,
            bounded: true,
        };
        for seed in 0..50 {
            let a = super::assign(&groups, &DEFAULT, seed);
            assert_eq!(a.splits[0], Split::Train, "seed {seed}");
            let sizes: Vec<usize> = groups.iter().map(|g| g.examples).collect();
            let c = counts(&a.splits, &sizes);
            assert!(c[1] >= 21 && c[2] >= 21, "seed {seed}: {c:?}");
            if !a.too_large.is_empty() {
                assert_eq!(a.too_large, [0]);
            }
        }
    }

    /// 100 groups: singletons of 4 examples, and every tenth a cluster of 2–3 templates.
    fn clustered(keys: &[String], extra: usize) -> Vec<Group<'_>> {
        keys.iter()
            .enumerate()
            .map(|(i, key)| {
                let templates = if i % 10 == 0 && i < 100 {
                    2 + i % 20 / 10
                } else {
                    1
                };
                Group {
                    key,
                    examples: 4 * templates + if i == 50 { extra } else { 0 },
                    bounded: templates > 1,
                }
            })
            .collect()
    }

    #[test]
    fn growth_moves_few_groups_with_clusters_too() {
        for seed in 0..200 {
            let k = keys(101);
            // One new template that joins no cluster.
            let before = super::assign(&clustered(&k[..100], 0), &DEFAULT, seed).splits;
            let after = super::assign(&clustered(&k, 0), &DEFAULT, seed).splits;
            let moved = before.iter().zip(&after).filter(|(x, y)| x != y).count();
            assert!(moved <= 1, "seed {seed}: {moved} groups moved");
            // One new template that joins cluster 50 (its key unchanged, 4 more examples): besides
            // that cluster, at most one group changes split (a fill boundary shifts by one).
            let joined = super::assign(&clustered(&k[..100], 4), &DEFAULT, seed).splits;
            let others = before
                .iter()
                .zip(&joined)
                .enumerate()
                .filter(|(i, (x, y))| *i != 50 && x != y)
                .count();
            assert!(others <= 1, "seed {seed}: {others} other groups moved");
        }
    }

    #[test]
    fn same_seed_same_split_different_seed_different_split() {
        let k = keys(50);
        let groups: Vec<(&str, usize)> = k.iter().map(|s| (s.as_str(), 3)).collect();
        assert_eq!(assign(&groups, &DEFAULT, 9), assign(&groups, &DEFAULT, 9));
        assert_ne!(assign(&groups, &DEFAULT, 9), assign(&groups, &DEFAULT, 10));
    }
}
