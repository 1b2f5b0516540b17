//! The lengths stage: each example's length under the model tokenizers of `tokens.tokenizer`.
//!
//! Takes the split examples, the system prompt and the loaded [`ChatTokenizer`]s; gives each
//! example its rendered-chat-template counts (written as `meta.modelTokens`), each tokenizer's
//! per-split [`TokenizerLengths`] for the stats, and warnings: examples longer than a trainer's
//! default length (named with the trainer and its setting) and held-out splits whose lengths differ
//! strongly from train's. Examples that share code are counted together, on all cores, so each
//! distinct code is encoded once per tokenizer; long pieces an earlier build counted with the same
//! tokenizer come from its [`PieceCache`], and the pieces this build used are given back to be
//! remembered.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::code::spill::Spill;
use crate::code::TemplateCode;
use crate::dataset::example::Example;
use crate::diagnostic::{Diagnostics, Kind};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::tokens::chat_template::{ChatTokenizer, ModelCount, PieceCounts, Turn};
use crate::tokens::lengths::{skew_warning, TokenizerLengths, TRAINERS};
use crate::tokens::piece_cache::PieceCache;

/// What the stage gives: the lengths per tokenizer for the stats, and per tokenizer the long
/// pieces counted, for its cache.
pub struct Lengths {
    pub lengths: Vec<TokenizerLengths>,
    pub pieces: Vec<Vec<([u8; 32], usize)>>,
}

pub fn run(
    tokenizers: &[(ChatTokenizer, PieceCache)],
    examples: &mut [Example<'_>],
    spill: &Spill,
    system: &str,
    display: impl Fn(&std::path::Path) -> String,
    diagnostics: &mut Diagnostics,
) -> Result<Lengths> {
    if tokenizers.is_empty() {
        return Ok(Lengths {
            lengths: Vec::new(),
            pieces: Vec::new(),
        });
    }
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in examples.iter().enumerate() {
        groups.entry(&e.code.sha256).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    let shared: &[Example<'_>] = examples;
    type Counted = (Vec<(usize, Vec<ModelCount>)>, Vec<Vec<([u8; 32], usize)>>);
    let counted: Vec<Counted> = groups
        .par_iter()
        .map(|members| -> Result<Counted> {
            let code = code_text(shared[members[0]].code, spill)?;
            let conversations: Vec<[Turn<'_>; 3]> = members
                .iter()
                .map(|&i| {
                    [
                        Turn {
                            role: "system",
                            content: system,
                        },
                        Turn {
                            role: "user",
                            content: &shared[i].brief.text,
                        },
                        Turn {
                            role: "assistant",
                            content: &code,
                        },
                    ]
                })
                .collect();
            let refs: Vec<&[Turn<'_>]> = conversations.iter().map(|c| &c[..]).collect();
            let mut per_example = vec![Vec::with_capacity(tokenizers.len()); members.len()];
            let mut used = Vec::with_capacity(tokenizers.len());
            for (t, cache) in tokenizers {
                let mut pieces = PieceCounts::new(cache.known());
                let counts = t.count_with(&refs, &mut pieces).map_err(|why| {
                    Error::input(
                        Location::file(&t.template_path),
                        format!(
                            "tokenizer {}: cannot render example {}: {why}",
                            t.name,
                            shared[members[0]].key()
                        ),
                    )
                })?;
                for (slot, count) in per_example.iter_mut().zip(counts) {
                    slot.push(count);
                }
                used.push(pieces.used);
            }
            Ok((members.iter().copied().zip(per_example).collect(), used))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut pieces: Vec<Vec<([u8; 32], usize)>> = vec![Vec::new(); tokenizers.len()];
    for (counts, used) in counted {
        for (i, counts) in counts {
            examples[i].model_tokens = counts;
        }
        for (all, used) in pieces.iter_mut().zip(used) {
            all.extend(used);
        }
    }
    for all in &mut pieces {
        all.sort_unstable();
        all.dedup();
    }

    let lengths: Vec<TokenizerLengths> = tokenizers
        .iter()
        .enumerate()
        .map(|(k, (t, _))| {
            TokenizerLengths::under(
                t,
                display(&t.path),
                examples.iter().map(|e| {
                    let c = e.model_tokens[k];
                    (Some(e.split), c.tokens, c.assistant_tokens)
                }),
            )
        })
        .collect();
    for l in &lengths {
        for trainer in TRAINERS {
            if let Some(warning) = trainer.warning(l) {
                diagnostics.push(Kind::SequenceLength, None, warning);
            }
        }
        if let Some(warning) = skew_warning(l) {
            diagnostics.push(Kind::LengthSkew, None, warning);
        }
    }
    Ok(Lengths { lengths, pieces })
}

/// A template's code as text again, read back from the spill file.
fn code_text(code: &TemplateCode, spill: &Spill) -> Result<String> {
    let mut buf = Vec::new();
    let json = code
        .escaped(Some(spill), &mut buf)
        .map_err(|e| Error::read(spill.dir(), e))?;
    serde_json::from_slice(json).map_err(|e| Error::serialize("a template's code", e))
}
