//! Sequence lengths for open-weight trainers.
//!
//! Takes each split's example lengths under a model tokenizer; gives [`LengthStats`] (the token
//! statistics, how many examples are longer than 512 … 16,384 tokens, and the length that holds
//! every example), the trainers' default length settings with what each does to a longer example,
//! and the warnings `build`, `validate` and `export` print when a default would lose examples or the
//! splits' lengths differ strongly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::chat_template::{ChatTokenizer, Family};
use super::TokenStats;
use crate::error::count;
use crate::split::Split;

/// The lengths whose overflow is counted.
pub const LENGTHS: [usize; 6] = [512, 1024, 2048, 4096, 8192, 16384];

/// Lengths of one split (or all) under one tokenizer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LengthStats {
    /// Examples, total, mean, median, percentiles and the longest.
    #[serde(flatten)]
    pub tokens: TokenStats,
    /// Examples longer than each of [`LENGTHS`].
    pub over: BTreeMap<usize, usize>,
    /// The smallest power of two or multiple of 1,024 that holds every example (0: no examples).
    pub recommended_max_length: usize,
}

impl LengthStats {
    /// From (total, assistant) token counts of each example.
    pub fn new(examples: &[(usize, usize)]) -> LengthStats {
        let tokens = TokenStats::new(examples);
        let over = LENGTHS
            .iter()
            .map(|&l| (l, examples.iter().filter(|e| e.0 > l).count()))
            .collect();
        LengthStats {
            recommended_max_length: recommended_max_length(tokens.max),
            tokens,
            over,
        }
    }

    /// Examples longer than `length` (exact for every length, not only [`LENGTHS`]).
    pub fn over(&self, length: usize) -> Option<usize> {
        self.over.get(&length).copied()
    }
}

/// The smallest power of two (below 1,024) or multiple of 1,024 that is at least `max`.
pub fn recommended_max_length(max: usize) -> usize {
    match max {
        0 => 0,
        1..=1024 => max.next_power_of_two(),
        _ => max.div_ceil(1024) * 1024,
    }
}

/// Every split's lengths under one model tokenizer, as `stats.json` gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenizerLengths {
    /// The tokenizer's name in meta (`modelTokens`) and reports.
    pub name: String,
    /// The `tokenizer.json` that counted, as given.
    pub file: String,
    /// SHA-256 over the tokenizer file and its chat template.
    pub sha256: String,
    /// The chat-template family, when recognized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// All splits together.
    pub overall: LengthStats,
    /// Train.
    pub train: LengthStats,
    /// Validation.
    pub validation: LengthStats,
    /// Test.
    pub test: LengthStats,
}

impl TokenizerLengths {
    /// The lengths of one split.
    pub fn of(&self, split: Split) -> &LengthStats {
        match split {
            Split::Train => &self.train,
            Split::Validation => &self.validation,
            Split::Test => &self.test,
        }
    }

    /// Lengths under a loaded model tokenizer (named and fingerprinted by it; `file` is its path as
    /// the caller shows paths).
    pub fn under(
        t: &ChatTokenizer,
        file: String,
        examples: impl Iterator<Item = (Option<Split>, usize, usize)>,
    ) -> TokenizerLengths {
        TokenizerLengths::new(&t.name, file, t.sha256.clone(), t.family, examples)
    }

    /// Lengths per split from each example's (split, total, assistant); an example of no known
    /// split counts in `overall` only.
    pub fn new(
        name: &str,
        file: String,
        sha256: String,
        family: Option<Family>,
        examples: impl Iterator<Item = (Option<Split>, usize, usize)>,
    ) -> TokenizerLengths {
        let mut all = Vec::new();
        let mut by_split: BTreeMap<Split, Vec<(usize, usize)>> = BTreeMap::new();
        for (split, tokens, assistant) in examples {
            all.push((tokens, assistant));
            if let Some(split) = split {
                by_split.entry(split).or_default().push((tokens, assistant));
            }
        }
        let split = |s: Split| LengthStats::new(by_split.get(&s).map_or(&[][..], Vec::as_slice));
        TokenizerLengths {
            name: name.to_string(),
            file,
            sha256,
            family,
            overall: LengthStats::new(&all),
            train: split(Split::Train),
            validation: split(Split::Validation),
            test: split(Split::Test),
        }
    }
}

/// What a trainer does to an example longer than its length setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Drops examples over its length.
    Drops,
    /// Cuts them off at its length.
    Truncates,
}

/// A trainer's default length setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trainer {
    /// The trainer.
    pub name: &'static str,
    /// Its length setting.
    pub setting: &'static str,
    /// That setting's default.
    pub default: usize,
    /// What it does to a longer example.
    pub effect: Effect,
}

/// Axolotl: `sequence_len`, 512 by default; drops longer examples.
pub const AXOLOTL: Trainer = Trainer {
    name: "Axolotl",
    setting: "sequence_len",
    default: 512,
    effect: Effect::Drops,
};
/// TRL's `SFTTrainer`: `max_length`, 1024 by default; truncates.
pub const TRL: Trainer = Trainer {
    name: "TRL",
    setting: "SFTConfig max_length",
    default: 1024,
    effect: Effect::Truncates,
};
/// LLaMA-Factory: `cutoff_len`, 2048 by default; truncates.
pub const LLAMA_FACTORY: Trainer = Trainer {
    name: "LLaMA-Factory",
    setting: "cutoff_len",
    default: 2048,
    effect: Effect::Truncates,
};
/// The trainers whose defaults are checked.
pub const TRAINERS: [Trainer; 3] = [AXOLOTL, TRL, LLAMA_FACTORY];

impl Trainer {
    /// The warning for examples longer than this trainer's default, if any are.
    pub fn warning(&self, lengths: &TokenizerLengths) -> Option<String> {
        let in_splits: usize = Split::ALL
            .iter()
            .map(|&s| lengths.of(s).tokens.examples)
            .sum();
        let over: Vec<String> = if in_splits < lengths.overall.tokens.examples {
            // Examples of no known split (files validated by name): one count over all.
            let n = lengths.overall.over(self.default).unwrap_or(0);
            let all = lengths.overall.tokens.examples;
            (n > 0)
                .then(|| format!("{n} of {all}"))
                .into_iter()
                .collect()
        } else {
            Split::ALL
                .iter()
                .filter_map(|&s| {
                    let stats = lengths.of(s);
                    let n = stats.over(self.default)?;
                    (n > 0).then(|| format!("{n} of {} {}", stats.tokens.examples, s.name()))
                })
                .collect()
        };
        if over.is_empty() {
            return None;
        }
        let effect = match self.effect {
            Effect::Drops => "drops them (logged at INFO only)",
            Effect::Truncates => {
                "cuts off their end, the end-of-turn token included, without a warning"
            }
        };
        Some(format!(
            "under the {} tokenizer, {} examples are longer than {}'s default {} of {}, and {} {effect}: set {} to {} (the longest example has {} tokens)",
            lengths.name,
            join(&over),
            self.name,
            self.setting,
            self.default,
            self.name,
            self.setting,
            lengths.overall.recommended_max_length,
            lengths.overall.tokens.max,
        ))
    }
}

/// The warning for held-out splits whose median length differs strongly from train's (below 2/3
/// or above 3/2 of it): their scores would not describe the examples the model trains on.
pub fn skew_warning(lengths: &TokenizerLengths) -> Option<String> {
    let train = lengths.train.tokens.median;
    if train == 0 {
        return None;
    }
    let skewed: Vec<String> = [Split::Validation, Split::Test]
        .iter()
        .filter_map(|&s| {
            let stats = &lengths.of(s).tokens;
            let ratio = stats.median as f64 / train as f64;
            (stats.examples >= 5 && !(2.0 / 3.0..=1.5).contains(&ratio)).then(|| {
                format!(
                    "the {} split's median is {} tokens ({})",
                    s.name(),
                    stats.median,
                    count(stats.examples, "example")
                )
            })
        })
        .collect();
    if skewed.is_empty() {
        return None;
    }
    Some(format!(
        "under the {} tokenizer, {} against train's {}: the splits' lengths differ strongly, so held-out scores describe other examples than the ones trained on (another split.seed, or more templates, evens them out)",
        lengths.name,
        join(&skewed),
        train
    ))
}

fn join(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recommended_lengths_are_powers_of_two_then_multiples_of_1024() {
        let cases = [
            (0, 0),
            (1, 1),
            (300, 512),
            (512, 512),
            (513, 1024),
            (1024, 1024),
            (1025, 2048),
            (5700, 6144),
            (8192, 8192),
        ];
        for (max, want) in cases {
            assert_eq!(recommended_max_length(max), want, "{max}");
        }
    }

    fn lengths(train: &[usize], validation: &[usize], test: &[usize]) -> TokenizerLengths {
        let examples = [
            (Split::Train, train),
            (Split::Validation, validation),
            (Split::Test, test),
        ]
        .into_iter()
        .flat_map(|(s, ls)| ls.iter().map(move |&l| (Some(s), l, l / 2)));
        TokenizerLengths::new("qwen3", "t.json".into(), "x".into(), None, examples)
    }

    #[test]
    fn over_counts_are_strictly_longer() {
        let l = lengths(&[512, 513, 3000], &[100], &[]);
        assert_eq!(l.train.over(512), Some(2));
        assert_eq!(l.train.over(2048), Some(1));
        assert_eq!(l.overall.over(512), Some(2));
        assert_eq!(l.overall.recommended_max_length, 3072);
        assert_eq!(l.test.recommended_max_length, 0);
    }

    #[test]
    fn each_trainer_warns_only_past_its_own_default() {
        let l = lengths(&[600, 100], &[700], &[100]);
        let axolotl = AXOLOTL.warning(&l).unwrap();
        assert_eq!(
            axolotl,
            "under the qwen3 tokenizer, 1 of 2 train and 1 of 1 validation examples are longer than Axolotl's default sequence_len of 512, and Axolotl drops them (logged at INFO only): set sequence_len to 1024 (the longest example has 700 tokens)"
        );
        assert_eq!(TRL.warning(&l), None);
        assert_eq!(LLAMA_FACTORY.warning(&l), None);
        // Examples of no known split are counted over all.
        let unsplit = TokenizerLengths::new(
            "q",
            "f".into(),
            "x".into(),
            None,
            [(None, 600, 1)].into_iter(),
        );
        assert!(AXOLOTL
            .warning(&unsplit)
            .unwrap()
            .contains(", 1 of 1 examples are longer"));
        let l = lengths(&[2049], &[], &[]);
        assert!(LLAMA_FACTORY
            .warning(&l)
            .unwrap()
            .contains("LLaMA-Factory's default cutoff_len of 2048"));
    }

    #[test]
    fn a_held_out_split_of_long_examples_is_skewed() {
        let even = lengths(&[1000; 20], &[1100; 5], &[900; 5]);
        assert_eq!(skew_warning(&even), None);
        let long_test = lengths(&[1000; 20], &[1000; 5], &[1600; 5]);
        let warning = skew_warning(&long_test).unwrap();
        assert!(
            warning.contains(
                "the test split's median is 1600 tokens (5 examples) against train's 1000"
            ),
            "{warning}"
        );
        // Too few examples to call it skew.
        assert_eq!(skew_warning(&lengths(&[1000; 20], &[], &[3000; 4])), None);
    }
}
