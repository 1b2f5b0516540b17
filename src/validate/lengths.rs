//! `validate --tokenizer`: each example's length under model tokenizers.
//!
//! Takes each chunk's parsed examples and the loaded [`ChatTokenizer`]s; gives every example's
//! rendered-chat-template counts (runs of lines that share their assistant output are counted
//! together, runs on all cores, so shared code is encoded once), findings at file:line for
//! examples the chat template refuses or that are longer than `--max-length`, and at the end each
//! tokenizer's per-split [`TokenizerLengths`] with the trainer-default and split-skew warnings.

use rayon::prelude::*;

use super::{Category, Findings, Message};
use crate::dataset::lengths::turns;
use crate::split::Split;
use crate::tokens::chat_template::{ChatTokenizer, ModelCount, Turn};
use crate::tokens::lengths::{skew_warning, TokenizerLengths, TRAINERS};

pub struct ModelLengths<'t> {
    tokenizers: &'t [ChatTokenizer],
    max_length: Option<usize>,
    /// Per tokenizer, each example's split and counts.
    counts: Vec<Vec<(Option<Split>, ModelCount)>>,
}

/// Per line of a chunk (`None`: no usable messages), per tokenizer: its counts or why not.
pub type ChunkCounts = Vec<Option<Vec<Result<ModelCount, String>>>>;

impl<'t> ModelLengths<'t> {
    pub fn new(tokenizers: &'t [ChatTokenizer], max_length: Option<usize>) -> Self {
        ModelLengths {
            tokenizers,
            max_length,
            counts: vec![Vec::new(); tokenizers.len()],
        }
    }

    pub fn active(&self) -> bool {
        !self.tokenizers.is_empty()
    }

    /// Count every line of a chunk under every tokenizer.
    pub fn count_chunk(&self, lines: &[Option<&[Message]>]) -> ChunkCounts {
        fn assistant<'m>(m: &Option<&'m [Message]>) -> Option<&'m str> {
            m.and_then(|m| m.iter().rev().find(|m| m.role == "assistant"))
                .map(|m| m.content.as_str())
        }
        let runs: Vec<&[Option<&[Message]>]> = lines
            .chunk_by(|a, b| a.is_some() && assistant(a) == assistant(b))
            .collect();
        runs.par_iter()
            .flat_map_iter(|run| {
                if run[0].is_none() {
                    return vec![None; run.len()];
                }
                let conversations: Vec<Vec<Turn<'_>>> =
                    run.iter().map(|m| turns(m.unwrap_or_default())).collect();
                // A run holds only lines with messages (see `chunk_by` above).
                let refs: Vec<&[Turn<'_>]> = conversations.iter().map(Vec::as_slice).collect();
                // Counted as a run; if the template refuses one of them, each on its own to find it.
                let per_tokenizer: Vec<Vec<Result<ModelCount, String>>> = self
                    .tokenizers
                    .iter()
                    .map(|t| match t.count(&refs) {
                        Ok(counts) => counts.into_iter().map(Ok).collect(),
                        Err(_) => refs
                            .iter()
                            .map(|c| t.count(&[c]).map(|mut v| v.remove(0)))
                            .collect(),
                    })
                    .collect();
                run.iter()
                    .enumerate()
                    .map(|(i, m)| {
                        m.map(|_| {
                            per_tokenizer
                                .iter()
                                .map(|counts| counts[i].clone())
                                .collect()
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Keep one example's counts; findings for a refused or too long example.
    pub fn record(
        &mut self,
        findings: &mut Findings<'_>,
        file: &str,
        line: usize,
        split: Option<Split>,
        counts: Vec<Result<ModelCount, String>>,
    ) {
        for ((t, kept), count) in self.tokenizers.iter().zip(&mut self.counts).zip(counts) {
            match count {
                Ok(c) => {
                    kept.push((split, c));
                    if let Some(max) = self.max_length.filter(|&max| c.tokens > max) {
                        findings.add(
                            Category::OverMaxLength,
                            file,
                            Some(line),
                            format!(
                                "{} tokens under {}, over --max-length {max}: a trainer set to {max} drops or cuts it",
                                c.tokens, t.name
                            ),
                        );
                    }
                }
                Err(why) => findings.add(
                    Category::ChatTemplate,
                    file,
                    Some(line),
                    format!("{}'s chat template refuses the example: {why}", t.name),
                ),
            }
        }
    }

    /// Each tokenizer's lengths, with the warnings for trainer defaults and skewed splits.
    pub fn finish(self, findings: &mut Findings<'_>) -> Vec<TokenizerLengths> {
        self.tokenizers
            .iter()
            .zip(self.counts)
            .map(|(t, counts)| {
                let lengths = TokenizerLengths::under(
                    t,
                    t.path.display().to_string(),
                    counts
                        .into_iter()
                        .map(|(s, c)| (s, c.tokens, c.assistant_tokens)),
                );
                let file = t.path.display().to_string();
                for trainer in TRAINERS {
                    if let Some(warning) = trainer.warning(&lengths) {
                        findings.add(Category::TrainerDefaultLength, &file, None, warning);
                    }
                }
                if let Some(warning) = skew_warning(&lengths) {
                    findings.add(Category::LengthSkew, &file, None, warning);
                }
                lengths
            })
            .collect()
    }
}
