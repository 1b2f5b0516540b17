//! The lengths stage: each example's length under the model tokenizers of `tokens.tokenizer`.
//!
//! Takes the split examples, the config (system prompt, tokenizers) and the [`ChatTokenizer`]s that
//! have been loading since the build started ([`load`]); gives each example its rendered chat
//! template counts (written as `meta.modelTokens`), each tokenizer's per-split
//! [`TokenizerLengths`] for the stats, and warnings: examples longer than a trainer's default
//! length (named with the trainer and its setting) and held-out splits whose lengths differ
//! strongly from train's. Examples that share code are counted together, on all cores, so each
//! distinct code is encoded once per tokenizer; long pieces an earlier build counted with the same
//! tokenizer come from its [`PieceCache`], and the pieces this build used are given back to be
//! remembered.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::Run;
use crate::code::spill::Spill;
use crate::code::TemplateCode;
use crate::config::Config;
use crate::dataset::example::Example;
use crate::diagnostic::{warning, Diagnostics};
use crate::digest::Sha256Digest;
use crate::error::{wording, Error, Result};
use crate::tokens::chat_template::{self, ChatTokenizer, ModelCount, PieceCounts, Turn};
use crate::tokens::lengths::{skew_warning, TokenizerLengths, TRAINERS};
use crate::tokens::piece_cache::PieceCache;

/// The model tokenizers of `tokens.tokenizer`, loading on a thread of their own: up to a second or
/// two each, overlapped with the stages before this one.
pub struct Loading(std::thread::JoinHandle<Result<Vec<ChatTokenizer>>>);

pub fn load(config: &Config) -> Loading {
    let specs = config.tokenizer_specs();
    Loading(std::thread::spawn(move || {
        chat_template::load_specs(&specs)
    }))
}

/// What the stage gives: the lengths per tokenizer for the stats, and per tokenizer the long
/// pieces counted, to remember once the version is written.
pub struct Lengths {
    pub lengths: Vec<TokenizerLengths>,
    remembered: Vec<Remembered>,
}

/// One tokenizer's piece cache and the pieces this build counted with it.
struct Remembered {
    tokenizer: String,
    cache: PieceCache,
    pieces: Vec<([u8; 32], usize)>,
}

impl Lengths {
    /// Keep each tokenizer's counted pieces for the next build; a failure costs only speed, so it
    /// is a note.
    pub fn remember(&self, diagnostics: &mut Diagnostics) {
        for r in &self.remembered {
            if let Err(e) = r.cache.save(&r.pieces) {
                diagnostics.add(warning::cache_not_saved(
                    format_args!("the counts under tokenizer {}", r.tokenizer),
                    "the next build counts again",
                    e,
                ));
            }
        }
    }
}

pub(super) fn run(
    run: &mut Run<'_>,
    loading: Loading,
    examples: &mut [Example<'_>],
    spill: &Spill,
) -> Result<Lengths> {
    let (config, root, no_cache) = (run.config, &run.root, run.options.no_cache);
    let diagnostics = &mut run.diagnostics;
    let tokenizers: Vec<(ChatTokenizer, PieceCache)> = loading
        .0
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?
        .into_iter()
        .map(|t| {
            let cache = if no_cache {
                PieceCache::disabled()
            } else {
                PieceCache::open(root, &t.sha256)
            };
            (t, cache)
        })
        .collect();
    if tokenizers.is_empty() {
        return Ok(Lengths {
            lengths: Vec::new(),
            remembered: Vec::new(),
        });
    }
    let system = config.prompts.system.as_str();
    let mut groups: HashMap<Sha256Digest, Vec<usize>> = HashMap::new();
    for (i, e) in examples.iter().enumerate() {
        groups.entry(e.draft.code.sha256).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    let shared: &[Example<'_>] = examples;
    type Counted = (Vec<(usize, Vec<ModelCount>)>, Vec<Vec<([u8; 32], usize)>>);
    let counted: Vec<Counted> = groups
        .par_iter()
        .map(|members| -> Result<Counted> {
            let code = code_text(shared[members[0]].draft.code, spill)?;
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
                            content: &shared[i].draft.brief.text,
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
            for (t, cache) in &tokenizers {
                let mut pieces = PieceCounts::new(cache.known());
                let counts = t.count_run(&refs, &mut pieces);
                for ((slot, count), &i) in per_example.iter_mut().zip(counts).zip(members) {
                    slot.push(count.map_err(|why| {
                        wording::cannot_render_example(
                            &t.template_path,
                            &t.name,
                            shared[i].key(),
                            why,
                        )
                    })?);
                }
                used.push(pieces.used);
            }
            Ok((members.iter().copied().zip(per_example).collect(), used))
        })
        .collect::<Result<Vec<_>>>()?;
    let names: Vec<Arc<str>> = tokenizers
        .iter()
        .map(|(t, _)| Arc::from(&*t.name))
        .collect();
    let mut pieces: Vec<Vec<([u8; 32], usize)>> = vec![Vec::new(); tokenizers.len()];
    for (counts, used) in counted {
        for (i, counts) in counts {
            examples[i].model_tokens = names.iter().cloned().zip(counts).collect();
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
                config.display_path(&t.path),
                examples.iter().map(|e| {
                    // Stored just above, in this same tokenizer order.
                    let (_, c) = e.model_tokens[k];
                    (Some(e.split), c.tokens, c.assistant_tokens)
                }),
            )
        })
        .collect();
    for l in &lengths {
        for trainer in TRAINERS {
            if let Some(warning) = trainer.warning(l) {
                diagnostics.add(warning::sequence_length(warning));
            }
        }
        if let Some(warning) = skew_warning(l) {
            diagnostics.add(warning::length_skew(warning));
        }
    }
    let remembered = tokenizers
        .into_iter()
        .zip(pieces)
        .map(|((t, cache), pieces)| Remembered {
            tokenizer: t.name,
            cache,
            pieces,
        })
        .collect();
    Ok(Lengths {
        lengths,
        remembered,
    })
}

/// A template's code as text again, read back from the spill file.
fn code_text(code: &TemplateCode, spill: &Spill) -> Result<String> {
    let mut buf = Vec::new();
    let json = code
        .escaped(Some(spill), &mut buf)
        .map_err(|e| Error::read(spill.dir(), e))?;
    serde_json::from_slice(json).map_err(|e| Error::serialize("a template's code", e))
}
