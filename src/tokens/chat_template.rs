//! Model tokenizers: a Hugging Face `tokenizer.json` and the chat template beside it.
//!
//! Takes the path of a `tokenizer.json` (optionally named: `qwen3=path/tokenizer.json`); gives a
//! [`ChatTokenizer`] that renders a conversation with the model's chat template the way
//! `transformers`' `apply_chat_template` does (Jinja with `trim_blocks` and `lstrip_blocks`, Python
//! string methods, `raise_exception`, the `bos_token`/`eos_token` of `tokenizer_config.json`) and
//! counts the tokens of the rendering like `apply_chat_template(..., tokenize=True)`: special tokens
//! the template writes are the single tokens they are, and nothing is added around the text.
//!
//! An example's length is the count of the whole rendered conversation (what a trainer sees); its
//! assistant length is that count minus the count of the prompt rendered with the generation prompt
//! (what a trainer that masks the prompt trains on).
//!
//! Counting is by segment. `tokenizers` cuts the text at its special (non-normalized added) tokens
//! first and normalizes and pre-tokenizes each piece on its own, so a conversation's count is the sum
//! of its pieces' counts plus one per special token, and a piece shared by several conversations (a
//! template's code under each of its briefs) is encoded once. Where the tokenizer's setup makes
//! pieces depend on each other (a special token that strips the spaces around it, a pre-tokenizer
//! that prepends only at the very start), the whole text is encoded instead: slower, same count.

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use sha2::Digest as _;

use crate::error::{wording, Result};

// The Hugging Face tokenizer and minijinja behind a `ChatTokenizer`, or (built without the
// `model-tokenizers` feature) a load that says which feature a tokenizer needs.
#[cfg_attr(feature = "model-tokenizers", path = "chat_template/engine.rs")]
#[cfg_attr(
    not(feature = "model-tokenizers"),
    path = "chat_template/unavailable.rs"
)]
mod engine;
#[cfg(feature = "model-tokenizers")]
pub use engine::TEMPLATE_FUEL;

/// One message of a conversation to render.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Turn<'a> {
    /// `system`, `user` or `assistant`.
    pub role: &'a str,
    /// The message's text.
    pub content: &'a str,
}

/// An example's length under one model tokenizer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelCount {
    /// Tokens of the whole rendered conversation.
    pub tokens: usize,
    /// Tokens the assistant's turn adds to the prompt rendered with the generation prompt.
    pub assistant_tokens: usize,
}

/// Model families whose trainer template names we know (LLaMA-Factory's `template`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Qwen2 / Qwen2.5 (`<|im_start|>`, no thinking block).
    Qwen,
    /// Qwen3 (`<|im_start|>` with an optional `<think>` block).
    Qwen3,
    /// Llama 3 (`<|start_header_id|>`).
    Llama3,
    /// Gemma 1 and 2.
    Gemma,
    /// Gemma 3.
    Gemma3,
    /// DeepSeek V3.
    DeepSeek3,
}

impl Family {
    /// Recognize the family from the chat template's markers (and Gemma 3's image tokens).
    #[cfg_attr(not(feature = "model-tokenizers"), allow(dead_code))]
    fn detect(template: &str, config: &Json) -> Option<Family> {
        if template.contains("<|im_start|>") {
            let thinks = template.contains("<think>") || template.contains("enable_thinking");
            Some(if thinks { Family::Qwen3 } else { Family::Qwen })
        } else if template.contains("<|start_header_id|>") {
            Some(Family::Llama3)
        } else if template.contains("<start_of_turn>") {
            let gemma3 = config.get("boi_token").is_some();
            Some(if gemma3 {
                Family::Gemma3
            } else {
                Family::Gemma
            })
        } else if template.contains("<｜Assistant｜>") {
            Some(Family::DeepSeek3)
        } else {
            None
        }
    }

    /// The family a model name (a Hugging Face id or a folder) names, when it says so plainly:
    /// `Qwen/Qwen3-8B` is Qwen3, `meta-llama/Llama-3.1-8B-Instruct` Llama 3, `google/gemma-3-4b-it`
    /// Gemma 3. A name that says nothing known gives `None`.
    pub fn from_model_name(name: &str) -> Option<Family> {
        let name = name.to_ascii_lowercase().replace(['-', '_', ' '], "");
        let base = name.rsplit('/').next().unwrap_or(&name);
        [
            ("qwen3", Family::Qwen3),
            ("qwen2", Family::Qwen),
            ("qwq", Family::Qwen),
            ("llama3", Family::Llama3),
            ("gemma3", Family::Gemma3),
            ("gemma2", Family::Gemma),
            ("gemma", Family::Gemma),
            ("deepseekv3", Family::DeepSeek3),
        ]
        .iter()
        .find(|(marker, _)| base.contains(marker))
        .map(|&(_, family)| family)
    }

    /// LLaMA-Factory's template for the family, never a reasoning one: the datasets hold no
    /// reasoning, and a reasoning template would train the model to open an empty thought block.
    pub fn llamafactory_template(self) -> &'static str {
        match self {
            Family::Qwen => "qwen",
            Family::Qwen3 => "qwen3_nothink",
            Family::Llama3 => "llama3",
            Family::Gemma => "gemma",
            Family::Gemma3 => "gemma3",
            Family::DeepSeek3 => "deepseek3",
        }
    }
}

/// Pieces shorter than this are encoded again rather than looked up across builds: hashing and
/// storing them would cost about what encoding them does.
#[cfg_attr(not(feature = "model-tokenizers"), allow(dead_code))]
const REMEMBERED_PIECE: usize = 64;

/// Token counts of long pieces of text under one tokenizer, by SHA-256 of the piece: what an
/// earlier build counted (`tokens::piece_cache`), and every long piece counted now, to
/// remember for the next build.
#[derive(Debug, Default)]
pub struct PieceCounts<'k> {
    #[cfg_attr(not(feature = "model-tokenizers"), allow(dead_code))]
    known: Option<&'k HashMap<[u8; 32], usize>>,
    /// Pieces counted now, to remember for the next build.
    pub used: Vec<([u8; 32], usize)>,
}

impl<'k> PieceCounts<'k> {
    /// Counts that start from `known`, an earlier build's.
    pub fn new(known: &'k HashMap<[u8; 32], usize>) -> Self {
        PieceCounts {
            known: Some(known),
            used: Vec::new(),
        }
    }

    /// The count of `piece`: remembered, or from `encode` (and then noted).
    #[cfg_attr(not(feature = "model-tokenizers"), allow(dead_code))]
    fn count(
        &mut self,
        piece: &str,
        encode: impl FnOnce(&str) -> Result<usize, String>,
    ) -> Result<usize, String> {
        if piece.len() < REMEMBERED_PIECE {
            return encode(piece);
        }
        let digest: [u8; 32] = sha2::Sha256::digest(piece.as_bytes()).into();
        let n = match self.known.and_then(|k| k.get(&digest)) {
            Some(&n) => n,
            None => encode(piece)?,
        };
        self.used.push((digest, n));
        Ok(n)
    }
}

/// A Hugging Face tokenizer and its chat template.
pub struct ChatTokenizer {
    /// What stats, meta and reports call it: the name given, or the tokenizer's folder.
    pub name: String,
    /// The `tokenizer.json`.
    pub path: PathBuf,
    /// Where the chat template came from (`tokenizer_config.json` or `chat_template.jinja`).
    pub template_path: PathBuf,
    /// The chat-template family, when recognized.
    pub family: Option<Family>,
    /// SHA-256 over the tokenizer file and the chat template: which tokenizer counted.
    pub sha256: String,
    /// The tokenizer and the compiled template (`model-tokenizers`; without it, a tokenizer
    /// cannot be loaded, so there is no value of this type).
    engine: engine::Engine,
}

impl std::fmt::Debug for ChatTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTokenizer")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl ChatTokenizer {
    /// Counts of one run of conversations that share their code (a template's examples: its
    /// pieces are encoded once), each its count or why the chat template refused it. A run refused
    /// as a whole is counted again a conversation at a time, so only the refused carry a reason.
    /// Every length the tool reports is counted here: build's, `validate`'s and a version's.
    pub fn count_run(
        &self,
        run: &[&[Turn<'_>]],
        pieces: &mut PieceCounts<'_>,
    ) -> Vec<Result<ModelCount, String>> {
        match self.count_with(run, pieces) {
            Ok(counts) => counts.into_iter().map(Ok).collect(),
            Err(_) => run
                .iter()
                .map(|c| {
                    self.count_with(std::slice::from_ref(c), pieces)?
                        .pop()
                        .ok_or_else(|| "the conversation was not counted".to_string())
                })
                .collect(),
        }
    }

    /// Counts of every conversation, in order: neighbours that end with the same turn (a
    /// template's examples, read back in the order they were written) form a run
    /// ([`ChatTokenizer::count_run`]), and the runs are counted on all cores.
    pub fn count_all(&self, conversations: &[&[Turn<'_>]]) -> Vec<Result<ModelCount, String>> {
        fn last<'t>(c: &&[Turn<'t>]) -> Option<&'t str> {
            c.last().map(|t| t.content)
        }
        let runs: Vec<&[&[Turn<'_>]]> = conversations.chunk_by(|a, b| last(a) == last(b)).collect();
        runs.par_iter()
            .flat_map_iter(|run| self.count_run(run, &mut PieceCounts::default()))
            .collect()
    }
}

/// A `--tokenizer` / `tokens.tokenizer` value: `PATH` or `NAME=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerSpec {
    /// The name given (`NAME=PATH`), else none: the file's folder names it.
    pub name: Option<String>,
    /// The `tokenizer.json`.
    pub path: PathBuf,
}

impl TokenizerSpec {
    /// Read a `PATH` or `NAME=PATH` value.
    pub fn parse(value: &str) -> TokenizerSpec {
        match value.split_once('=') {
            Some((name, path))
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) =>
            {
                TokenizerSpec {
                    name: Some(name.to_string()),
                    path: PathBuf::from(path),
                }
            }
            _ => TokenizerSpec {
                name: None,
                path: PathBuf::from(value),
            },
        }
    }

    /// The `tokenizer.json` this names: the path itself, or the file of that name in a folder.
    pub fn file(&self) -> PathBuf {
        if self.path.is_dir() {
            self.path.join("tokenizer.json")
        } else {
            self.path.clone()
        }
    }

    /// The name given, else the folder holding the file (its parent when that is a generic
    /// `models` or `tokenizer` folder), made to follow the name rule
    /// ([`crate::text::NAME_RULE`]: the name goes into meta, stats and trainer configs).
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        let file = self.file();
        let mut folder = file.parent();
        while let Some(dir) = folder {
            match dir.file_name().and_then(|n| n.to_str()) {
                Some("models" | "tokenizer" | "package") => folder = dir.parent(),
                Some(name) => return crate::text::sanitized_name(name),
                None => break,
            }
        }
        "tokenizer".to_string()
    }
}

/// What is wrong when two specs share a name (each tokenizer's counts are keyed by its name), to
/// follow the setting's name: `has two tokenizers named "a"; …`.
pub fn duplicate_name(specs: &[TokenizerSpec]) -> Option<String> {
    let mut names = std::collections::BTreeSet::new();
    specs
        .iter()
        .map(TokenizerSpec::display_name)
        .find(|name| !names.insert(name.clone()))
        .map(|name| format!("has two tokenizers named {name:?}; name them apart with NAME=PATH"))
}

/// `--tokenizer` values, parsed, named apart and loaded (several at once).
pub fn load_all(values: &[String]) -> Result<Vec<ChatTokenizer>> {
    let specs: Vec<TokenizerSpec> = values.iter().map(|v| TokenizerSpec::parse(v)).collect();
    if let Some(why) = duplicate_name(&specs) {
        return Err(wording::bad_name("--tokenizer", why));
    }
    load_specs(&specs)
}

/// Load each spec's tokenizer, on all cores.
pub fn load_specs(specs: &[TokenizerSpec]) -> Result<Vec<ChatTokenizer>> {
    use rayon::prelude::*;
    specs.par_iter().map(ChatTokenizer::load).collect()
}
