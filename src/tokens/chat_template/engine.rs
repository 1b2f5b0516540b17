//! The engine of a [`ChatTokenizer`] (feature `model-tokenizers`): the Hugging Face tokenizer,
//! the chat template compiled by minijinja with transformers' options, and the counting.
//!
//! Takes a [`TokenizerSpec`]; gives a loaded [`ChatTokenizer`] that renders and counts.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use daachorse::{DoubleArrayAhoCorasick, DoubleArrayAhoCorasickBuilder, MatchKind};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, ErrorKind, Value};
use serde_json::Value as Json;
use tokenizers::Tokenizer;

use super::{ChatTokenizer, Family, ModelCount, PieceCounts, TokenizerSpec, Turn};
use crate::digest::sha256_hex;
use crate::error::{wording, Error, Result};
use crate::input;
use crate::location::Location;

/// `tokenizer.json` files of current models are 10–35 MB.
const TOKENIZER_FILE_LIMIT: u64 = 256 << 20;

pub(super) struct Engine {
    tokenizer: Tokenizer,
    env: Environment<'static>,
    /// `bos_token`, `eos_token`, `pad_token`, `unk_token` for the template.
    tokens: Vec<(&'static str, String)>,
    /// The special tokens `tokenizers` cuts the text at; `None` when the text must be encoded whole.
    splitter: Option<DoubleArrayAhoCorasick<u32>>,
}

impl ChatTokenizer {
    /// Load the tokenizer file and the chat template beside it.
    pub fn load(spec: &TokenizerSpec) -> Result<ChatTokenizer> {
        let path = spec.file();
        let bytes = input::read_capped(&path, TOKENIZER_FILE_LIMIT)?;
        let mut tokenizer =
            Tokenizer::from_bytes(&bytes).map_err(|e| wording::not_a_tokenizer(&path, e))?;
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
            engine: Engine {
                tokenizer,
                env,
                tokens,
                splitter,
            },
        })
    }

    /// The conversation as the chat template renders it.
    pub fn render(
        &self,
        turns: &[Turn<'_>],
        add_generation_prompt: bool,
    ) -> Result<String, String> {
        let template = self
            .engine
            .env
            .get_template("chat_template")
            .map_err(|e| e.to_string())?;
        let mut context: BTreeMap<&str, Value> = BTreeMap::new();
        context.insert("messages", Value::from(minijinja::value::Serde(turns)));
        context.insert("add_generation_prompt", Value::from(add_generation_prompt));
        for (key, text) in &self.engine.tokens {
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
        let Some(splitter) = &self.engine.splitter else {
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
        self.engine
            .tokenizer
            .encode_fast(text, false)
            .map(|e| e.len())
            .map_err(|e| format!("the tokenizer cannot encode the text: {e}"))
    }

    /// Whether counts are summed over pieces (`false`: each text is encoded whole).
    pub fn counts_by_piece(&self) -> bool {
        self.engine.splitter.is_some()
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
                None => Err(wording::no_default_template(config_path)),
            };
        }
        _ => {}
    }
    let jinja = dir.join("chat_template.jinja");
    match input::read_optional(&jinja, input::SMALL_FILE_LIMIT)? {
        Some(bytes) => Ok((input::text_from_bytes(&jinja, bytes)?, jinja)),
        None => Err(wording::no_chat_template(config_path)),
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
    wording::unsupported_template(path, describe(e))
}
