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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use daachorse::{DoubleArrayAhoCorasick, DoubleArrayAhoCorasickBuilder, MatchKind};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, ErrorKind, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use tokenizers::Tokenizer;

use sha2::Digest as _;

use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::input;
use crate::location::Location;

/// `tokenizer.json` files of current models are 10–35 MB.
const TOKENIZER_FILE_LIMIT: u64 = 256 << 20;

/// One message of a conversation to render.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Turn<'a> {
    pub role: &'a str,
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
    Llama3,
    Gemma,
    Gemma3,
    DeepSeek3,
}

impl Family {
    /// Recognize the family from the chat template's markers (and Gemma 3's image tokens).
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
const REMEMBERED_PIECE: usize = 64;

/// Token counts of long pieces of text under one tokenizer, by SHA-256 of the piece: what an
/// earlier build counted ([`crate::tokens::piece_cache`]), and every long piece counted now, to
/// remember for the next build.
#[derive(Debug, Default)]
pub struct PieceCounts<'k> {
    known: Option<&'k HashMap<[u8; 32], usize>>,
    pub used: Vec<([u8; 32], usize)>,
}

impl<'k> PieceCounts<'k> {
    pub fn new(known: &'k HashMap<[u8; 32], usize>) -> Self {
        PieceCounts {
            known: Some(known),
            used: Vec::new(),
        }
    }

    /// The count of `piece`: remembered, or from `encode` (and then noted).
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
    pub family: Option<Family>,
    /// SHA-256 over the tokenizer file and the chat template: which tokenizer counted.
    pub sha256: String,
    tokenizer: Tokenizer,
    env: Environment<'static>,
    /// `bos_token`, `eos_token`, `pad_token`, `unk_token` for the template.
    tokens: Vec<(&'static str, String)>,
    /// The special tokens `tokenizers` cuts the text at; `None` when the text must be encoded whole.
    splitter: Option<DoubleArrayAhoCorasick<u32>>,
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

/// A `--tokenizer` / `tokens.tokenizer` value: `PATH` or `NAME=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerSpec {
    pub name: Option<String>,
    pub path: PathBuf,
}

impl TokenizerSpec {
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
    /// ([`crate::config::NAME_RULE`]: the name goes into meta, stats and trainer configs).
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        let file = self.file();
        let mut folder = file.parent();
        while let Some(dir) = folder {
            match dir.file_name().and_then(|n| n.to_str()) {
                Some("models" | "tokenizer" | "package") => folder = dir.parent(),
                Some(name) => return crate::config::sanitized_name(name),
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
        return Err(Error::Usage(format!("--tokenizer {why}")));
    }
    load_specs(&specs)
}

/// Load each spec's tokenizer, on all cores.
pub fn load_specs(specs: &[TokenizerSpec]) -> Result<Vec<ChatTokenizer>> {
    use rayon::prelude::*;
    specs.par_iter().map(ChatTokenizer::load).collect()
}

impl ChatTokenizer {
    /// Load the tokenizer file and the chat template beside it.
    pub fn load(spec: &TokenizerSpec) -> Result<ChatTokenizer> {
        let path = spec.file();
        let bytes = input::read_capped(&path, TOKENIZER_FILE_LIMIT)?;
        let mut tokenizer = Tokenizer::from_bytes(&bytes).map_err(|e| {
            Error::input(
                Location::file(&path),
                format!("not a Hugging Face tokenizer.json: {e}"),
            )
        })?;
        // A tokenizer file may carry a truncation or padding setting; a count must see everything.
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::input(Location::file(&path), e.to_string()))?;
        tokenizer.with_padding(None);

        let dir = path.parent().unwrap_or(Path::new("."));
        let config_path = dir.join("tokenizer_config.json");
        let config: Json = match input::read_optional(&config_path, input::SMALL_FILE_LIMIT)? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::input(
                    Location::file(&config_path),
                    crate::location::json_reason(&e),
                )
            })?,
            None => Json::Null,
        };
        let (template, template_path) = chat_template(&config, &config_path, dir)?;
        let mut env = Environment::new();
        // transformers compiles chat templates with these two options.
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| Error::input(Location::file(&template_path), e.to_string()))?;
        env.set_syntax(syntax);
        // A chat template is code from a tokenizer file someone hands over: it gets fuel (charged
        // per instruction and per byte it builds), so a loop without end or a string that doubles
        // stops with an error instead of hanging or exhausting memory.
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_template_owned("chat_template", template.clone())
            .map_err(|e| template_error(&template_path, &e))?;
        let tokens = ["bos_token", "eos_token", "pad_token", "unk_token"]
            .into_iter()
            .filter_map(|key| Some((key, token_text(config.get(key)?)?)))
            .collect();
        let splitter = splitter(&tokenizer).map_err(|e| Error::input(Location::file(&path), e))?;
        let mut digest_input = sha256_hex(&bytes);
        digest_input.push_str(&template);
        Ok(ChatTokenizer {
            name: spec.display_name(),
            family: Family::detect(&template, &config),
            sha256: sha256_hex(digest_input.as_bytes()),
            path,
            template_path,
            tokenizer,
            env,
            tokens,
            splitter,
        })
    }

    /// The conversation as the chat template renders it.
    pub fn render(
        &self,
        turns: &[Turn<'_>],
        add_generation_prompt: bool,
    ) -> Result<String, String> {
        let template = self
            .env
            .get_template("chat_template")
            .map_err(|e| e.to_string())?;
        let mut context: BTreeMap<&str, Value> = BTreeMap::new();
        context.insert("messages", Value::from(minijinja::value::Serde(turns)));
        context.insert("add_generation_prompt", Value::from(add_generation_prompt));
        for (key, text) in &self.tokens {
            context.insert(key, Value::from(text.as_str()));
        }
        let rendered = template
            .render(Value::from(context))
            .map_err(|e| describe(&e))?;
        if rendered.len() > RENDERED_LIMIT {
            return Err(format!(
                "chat template: the rendering is {} bytes, over {} MiB (an example holds at most a 16 MiB scene)",
                rendered.len(),
                RENDERED_LIMIT >> 20
            ));
        }
        Ok(rendered)
    }

    /// Token counts of conversations that each end with the assistant's turn. Pieces shared between
    /// them are encoded once.
    pub fn count(&self, conversations: &[&[Turn<'_>]]) -> Result<Vec<ModelCount>, String> {
        self.count_with(conversations, &mut PieceCounts::default())
    }

    /// [`ChatTokenizer::count`], taking the counts of long pieces from `pieces` (what an earlier
    /// build counted with this tokenizer) and noting every long piece counted in it.
    pub fn count_with(
        &self,
        conversations: &[&[Turn<'_>]],
        pieces: &mut PieceCounts<'_>,
    ) -> Result<Vec<ModelCount>, String> {
        let mut texts = Vec::with_capacity(conversations.len() * 2);
        for turns in conversations {
            texts.push(self.render(turns, false)?);
            let prompt = match turns.split_last() {
                Some((last, prompt)) if last.role == "assistant" => prompt,
                _ => turns,
            };
            texts.push(self.render(prompt, true)?);
        }
        let mut cache = HashMap::new();
        texts
            .chunks(2)
            .map(|pair| {
                let tokens = self.count_text(&pair[0], &mut cache, pieces)?;
                let prompt = self.count_text(&pair[1], &mut cache, pieces)?;
                Ok(ModelCount {
                    tokens,
                    assistant_tokens: tokens.saturating_sub(prompt),
                })
            })
            .collect()
    }

    /// Tokens of `text` (special-token text is the special token), through `cache` of pieces and,
    /// for long pieces, the counts remembered across builds.
    fn count_text<'t>(
        &self,
        text: &'t str,
        cache: &mut HashMap<&'t str, usize>,
        remembered: &mut PieceCounts<'_>,
    ) -> Result<usize, String> {
        let mut piece = |piece: &'t str| -> Result<usize, String> {
            if let Some(&n) = cache.get(piece) {
                return Ok(n);
            }
            let n = remembered.count(piece, |p| self.encode_len(p))?;
            cache.insert(piece, n);
            Ok(n)
        };
        let Some(splitter) = &self.splitter else {
            return piece(text);
        };
        let mut total = 0;
        let mut last = 0;
        for m in splitter.leftmost_find_iter(text) {
            if m.start() > last {
                total += piece(&text[last..m.start()])?;
            }
            total += 1;
            last = m.end();
        }
        if last < text.len() {
            total += piece(&text[last..])?;
        }
        Ok(total)
    }

    /// Tokens of `text` encoded whole, without the post-processor's additions.
    pub fn encode_len(&self, text: &str) -> Result<usize, String> {
        self.tokenizer
            .encode_fast(text, false)
            .map(|e| e.len())
            .map_err(|e| format!("the tokenizer cannot encode the text: {e}"))
    }

    /// Whether counts are summed over pieces (`false`: each text is encoded whole).
    pub fn counts_by_piece(&self) -> bool {
        self.splitter.is_some()
    }
}

/// The chat template: `tokenizer_config.json`'s `chat_template` (a string, or a list of named
/// templates of which `default` is used), else a `chat_template.jinja` beside it.
fn chat_template(config: &Json, config_path: &Path, dir: &Path) -> Result<(String, PathBuf)> {
    match config.get("chat_template") {
        Some(Json::String(t)) => return Ok((t.clone(), config_path.to_path_buf())),
        Some(Json::Array(named)) => {
            let default = named.iter().find_map(|entry| {
                (entry.get("name")?.as_str()? == "default")
                    .then(|| entry.get("template")?.as_str())
                    .flatten()
            });
            return match default {
                Some(t) => Ok((t.to_string(), config_path.to_path_buf())),
                None => Err(Error::input(
                    Location::file(config_path),
                    "chat_template is a list without a template named \"default\"",
                )),
            };
        }
        _ => {}
    }
    let jinja = dir.join("chat_template.jinja");
    match input::read_optional(&jinja, input::SMALL_FILE_LIMIT)? {
        Some(bytes) => Ok((input::text_from_bytes(&jinja, bytes)?, jinja)),
        None => Err(Error::input(
            Location::file(config_path),
            "no chat template: expected a \"chat_template\" string in tokenizer_config.json or a chat_template.jinja beside the tokenizer",
        )),
    }
}

/// A special token's text: a string, or an `AddedToken` object's `content`.
fn token_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Object(o) => o.get("content")?.as_str().map(str::to_string),
        _ => None,
    }
}

/// The matcher of the tokens `tokenizers` cuts at before normalizing (its added tokens that are not
/// normalized), built as the library builds it; `None` when pieces cannot be counted apart.
fn splitter(tokenizer: &Tokenizer) -> Result<Option<DoubleArrayAhoCorasick<u32>>, String> {
    let added = tokenizer.get_added_tokens_decoder();
    let mut cut: Vec<(&str, u32)> = Vec::new();
    for (id, token) in &added {
        if token.normalized {
            continue;
        }
        if token.lstrip || token.rstrip || token.single_word {
            return Ok(None);
        }
        cut.push((token.content.as_str(), *id));
    }
    // Metaspace's `prepend_scheme: first` prepends only to the piece at offset 0 of the text.
    let pre = serde_json::to_string(&tokenizer.get_pre_tokenizer()).unwrap_or_default();
    if pre.contains("\"prepend_scheme\":\"first\"") {
        return Ok(None);
    }
    if cut.is_empty() {
        return Ok(None);
    }
    DoubleArrayAhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build_with_values(cut)
        .map(Some)
        .map_err(|e| format!("cannot index the special tokens: {e}"))
}

fn raise_exception(message: String) -> std::result::Result<Value, minijinja::Error> {
    Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
}

/// Fuel one rendering of a chat template may spend: minijinja charges one per instruction and one
/// per 64 bytes it builds or writes, so this is four million instructions or 256 MB of strings. A
/// 16 MiB scene (the largest code a build reads) renders with under a million.
pub const TEMPLATE_FUEL: u64 = 4_000_000;
/// The largest rendering kept.
const RENDERED_LIMIT: usize = 64 << 20;

/// A template error as one line: the template's own message, with its line when it has one.
fn describe(e: &minijinja::Error) -> String {
    let what = match (e.kind(), e.detail()) {
        (ErrorKind::OutOfFuel, _) => format!(
            "ran out of fuel ({TEMPLATE_FUEL} steps): the template loops or grows without end"
        ),
        (_, Some(detail)) => detail.to_string(),
        (_, None) => e.kind().to_string(),
    };
    match e.line() {
        Some(line) => format!("chat template line {line}: {what}"),
        None => format!("chat template: {what}"),
    }
}

fn template_error(path: &Path, e: &minijinja::Error) -> Error {
    Error::input(
        Location::file(path),
        format!(
            "{}; transformers' Jinja features beyond minijinja's are not supported",
            describe(e)
        ),
    )
}
