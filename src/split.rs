//! Splitting examples into train, validation and test.
//!
//! Takes groups (a key and a number of examples each; a group is a template in `template` mode and a
//! single example in `example` mode), the ratios and a seed; gives each group's split. Groups are
//! ordered by a seeded hash of their key, not shuffled as a list, so adding one template moves at most
//! a couple of others (a shuffle would reshuffle everything). Test is filled first, then validation,
//! the rest is train, counting examples, with the original tool's small-set rules.

use serde::{Deserialize, Serialize};

use crate::digest::seeded_hash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];

    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratios {
    pub train: f64,
    pub validation: f64,
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

/// The split of each item, for items whose group keys are contiguous (all items of a group next to
/// each other, as a template's examples are): each group is one unit of [`assign`].
pub fn assign_contiguous<K: AsRef<str>>(keys: &[K], ratios: &Ratios, seed: u64) -> Vec<Split> {
    let mut groups: Vec<(&str, usize)> = Vec::new();
    let mut group_of = Vec::with_capacity(keys.len());
    for key in keys {
        let key = key.as_ref();
        match groups.last_mut() {
            Some((last, n)) if *last == key => *n += 1,
            _ => groups.push((key, 1)),
        }
        group_of.push(groups.len() - 1);
    }
    let splits = assign(&groups, ratios, seed);
    group_of.into_iter().map(|g| splits[g]).collect()
}

/// The split of each group, in the order given. `groups` holds (key, number of examples).
pub fn assign(groups: &[(&str, usize)], ratios: &Ratios, seed: u64) -> Vec<Split> {
    let examples: usize = groups.iter().map(|g| g.1).sum();
    let (validation_target, test_target) = targets(examples, groups.len(), ratios);
    let mut order: Vec<(u64, &str, usize)> = groups
        .iter()
        .enumerate()
        .map(|(i, (key, _))| (seeded_hash(seed, &[key]), *key, i))
        .collect();
    order.sort_unstable();
    let mut out = vec![Split::Train; groups.len()];
    let (mut test, mut validation) = (0, 0);
    for (position, &(_, _, i)) in order.iter().enumerate() {
        // Never take the last group away from train.
        let remaining_after = order.len() - position - 1;
        if remaining_after == 0 {
            break;
        }
        if test < test_target {
            out[i] = Split::Test;
            test += groups[i].1;
        } else if validation < validation_target {
            out[i] = Split::Validation;
            validation += groups[i].1;
        } else {
            break;
        }
    }
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
    fn adding_one_template_to_a_hundred_moves_at_most_two_others() {
        for seed in 0..200 {
            let k = keys(101);
            let before: Vec<(&str, usize)> = k[..100].iter().map(|s| (s.as_str(), 4)).collect();
            let after: Vec<(&str, usize)> = k.iter().map(|s| (s.as_str(), 4)).collect();
            let a = assign(&before, &DEFAULT, seed);
            let b = assign(&after, &DEFAULT, seed);
            let moved = a.iter().zip(&b).filter(|(x, y)| x != y).count();
            assert!(moved <= 2, "seed {seed}: {moved} templates moved");
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
