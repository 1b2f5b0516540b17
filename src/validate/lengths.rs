//! `validate --tokenizer`: each example's length under model tokenizers.
//!
//! Takes each chunk's parsed examples and the loaded [`ChatTokenizer`]s; gives every example's
//! rendered-chat-template counts (runs of lines that share their assistant output are counted
//! together, runs on all cores, so shared code is encoded once), findings at file:line for
//! examples the chat template refuses or that are longer than `--max-length`, and at the end each
//! tokenizer's per-split [`TokenizerLengths`] with the trainer-default and split-skew warnings.

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

    /// Count every line of a chunk under every tokenizer ([`ChatTokenizer::count_all`]).
    pub fn count_chunk(&self, lines: &[Option<&[Message]>]) -> ChunkCounts {
        let conversations: Vec<Vec<Turn<'_>>> = lines.iter().flatten().map(|m| turns(m)).collect();
        let refs: Vec<&[Turn<'_>]> = conversations.iter().map(Vec::as_slice).collect();
        // Each tokenizer's counts, in the order of the lines that have messages.
        let mut counted: Vec<std::vec::IntoIter<Result<ModelCount, String>>> = self
            .tokenizers
            .iter()
            .map(|t| t.count_all(&refs).into_iter())
            .collect();
        lines
            .iter()
            .map(|m| {
                m.map(|_| {
                    counted
                        .iter_mut()
                        .map(|counts| {
                            counts
                                .next()
                                .unwrap_or_else(|| Err("the line was not counted".to_string()))
                        })
                        .collect()
                })
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
