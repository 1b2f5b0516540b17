//! Leakage between splits: held-out examples or outputs that train already has, exactly or as a
//! near-copy.
//!
//! Takes, as files stream past, the digests of train examples and outputs, the near-copy signatures
//! of distinct train outputs (capped), and the held-out examples to compare; gives, at the end,
//! `train_eval_leakage` and `near_copy_leakage` findings with both places.

use std::collections::{HashMap, HashSet};

use super::{Category, Findings, NEAR_COPY_INDEX_LIMIT};
use crate::split::near_copy::{self, Signature};
use crate::split::Split;

/// Where examples and assistant outputs of train are, and the eval examples to compare.
pub(super) struct Leakage {
    pub(super) train_examples: HashMap<u128, (String, usize)>,
    pub(super) train_outputs: HashMap<u128, (String, usize)>,
    pub(super) eval: Vec<(u128, Vec<u128>, String, usize)>,
    /// Whether near-copies are looked for at all.
    pub(super) near_copies: bool,
    /// Near-copy signatures of distinct train outputs, one per cluster of near-copies, with where
    /// its first member occurs.
    train_index: near_copy::Index<(String, usize)>,
    /// Distinct outputs already signed (train and held-out).
    pub(super) signed: HashSet<u128>,
    /// Distinct held-out outputs: signature and where it first occurs.
    eval_signatures: Vec<(u128, Signature, String, usize)>,
    /// The index is full: later train outputs are not compared.
    index_full: Option<(String, usize)>,
}

impl Leakage {
    /// Nothing seen yet; near-copies (estimate at least `threshold`) are looked for unless it is 0.
    pub(super) fn new(threshold: f64) -> Leakage {
        Leakage {
            train_examples: HashMap::new(),
            train_outputs: HashMap::new(),
            eval: Vec::new(),
            near_copies: threshold > 0.0,
            train_index: near_copy::Index::new(threshold),
            signed: HashSet::new(),
            eval_signatures: Vec::new(),
            index_full: None,
        }
    }

    pub(super) fn report(&self, findings: &mut Findings<'_>) {
        let mut exact_lines = HashSet::new();
        for (hash, outputs, file, line) in &self.eval {
            if let Some((train_file, train_line)) = self.train_examples.get(hash) {
                exact_lines.insert((file.as_str(), *line));
                findings.add(
                    Category::TrainEvalLeakage,
                    file,
                    Some(*line),
                    format!("identical to {train_file}:{train_line}; remove it from one split"),
                );
            } else if let Some((train_file, train_line)) =
                outputs.iter().find_map(|o| self.train_outputs.get(o))
            {
                exact_lines.insert((file.as_str(), *line));
                findings.add(
                    Category::TrainEvalLeakage,
                    file,
                    Some(*line),
                    format!("assistant output identical to {train_file}:{train_line}'s; evaluation would measure memorization (split by template)"),
                );
            }
        }
        if let Some((file, line)) = &self.index_full {
            findings.add(
                Category::NearCopyLimit,
                file,
                Some(*line),
                format!("more than {NEAR_COPY_INDEX_LIMIT} distinct train outputs that are not near-copies of each other: this and later ones are not indexed, so held-out near-copies of them are not found"),
            );
        }
        for (hash, sig, file, line) in &self.eval_signatures {
            if exact_lines.contains(&(file.as_str(), *line))
                || self.train_outputs.contains_key(hash)
            {
                continue;
            }
            if let Some((similarity, (train_file, train_line))) = self.train_index.nearest(sig) {
                findings.add(
                    Category::NearCopyLeakage,
                    file,
                    Some(*line),
                    format!("assistant output is a near-copy (similarity {similarity:.2}) of {train_file}:{train_line}'s; evaluation would measure recall (keep near-copies in one split)"),
                );
            }
        }
    }

    /// Remember the signature of a distinct assistant output of `split`.
    pub(super) fn sign(
        &mut self,
        split: Split,
        hash: u128,
        sig: Signature,
        file: &str,
        line: usize,
    ) {
        if !self.signed.insert(hash) {
            return;
        }
        match split {
            Split::Train if self.train_index.representatives() < NEAR_COPY_INDEX_LIMIT => {
                self.train_index.insert(sig, (file.to_string(), line));
            }
            Split::Train => {
                self.index_full
                    .get_or_insert_with(|| (file.to_string(), line));
            }
            Split::Validation | Split::Test => {
                self.eval_signatures
                    .push((hash, sig, file.to_string(), line));
            }
        }
    }
}
