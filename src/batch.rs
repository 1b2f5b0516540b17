//! The OpenAI Batch API's files: request lines out, output lines in.
//!
//! Takes request lines (built by `eval prepare` and `briefs prepare`) and gives them written as a
//! new request file, or as numbered parts of it when one file would pass the API's limits (50,000
//! requests, 200 MB), never overwriting; takes one line of a batch output and gives its
//! [`Answer`]: the reply's text (content parts joined), a failed request with its message, or a
//! reply without content. OpenAI's and Together's batch APIs and `vllm run-batch` all read and
//! write these files, so the tool needs no HTTP client and no key.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::dataset::writer::{numbered, write_new_file, MAX_CANDIDATES};
use crate::error::{wording, Error, Result};
use crate::input::{self, read_line_capped, CappedLine};

/// The longest output line read; a longer one is a bad line.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// The most requests the OpenAI Batch API takes in one input file.
pub const BATCH_REQUESTS: usize = 50_000;
/// The largest input file it takes (200 MB).
pub const BATCH_BYTES: usize = 200_000_000;

/// Most tokens a reply may have, per model (OpenAI's published output limits): a request over
/// its model's limit is rejected, and with it every request of the batch. The longest matching
/// prefix wins; a fine-tuned model (`ft:BASE:…`) has its base's limit. `true`: a reasoning model,
/// which takes `max_completion_tokens` instead of `max_tokens`.
const OUTPUT_LIMITS: &[(&str, usize, bool)] = &[
    ("gpt-3.5-turbo", 4_096, false),
    ("gpt-4", 8_192, false),
    ("gpt-4-turbo", 4_096, false),
    ("gpt-4o", 16_384, false),
    ("gpt-4o-2024-05-13", 4_096, false),
    ("gpt-4o-mini", 16_384, false),
    ("gpt-4.1", 32_768, false),
    ("gpt-4.1-mini", 32_768, false),
    ("gpt-4.1-nano", 32_768, false),
    ("gpt-5", 128_000, true),
    ("gpt-5-mini", 128_000, true),
    ("gpt-5-nano", 128_000, true),
    ("o1", 100_000, true),
    ("o3", 100_000, true),
    ("o3-mini", 100_000, true),
    ("o4-mini", 100_000, true),
];

/// `model`'s output limit and whether it is a reasoning model, when known.
pub fn output_limit(model: &str) -> Option<(usize, bool)> {
    let base = model.strip_prefix("ft:").unwrap_or(model);
    OUTPUT_LIMITS
        .iter()
        .filter(|(name, _, _)| {
            base.strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', ':']))
        })
        .max_by_key(|(name, _, _)| name.len())
        .map(|&(_, limit, reasoning)| (limit, reasoning))
}

/// One line of a Batch API request file.
#[derive(Serialize)]
pub struct Request<'a> {
    /// What ties the reply to what was asked: the example's id, or the template's.
    pub custom_id: &'a str,
    /// `POST`.
    pub method: &'static str,
    /// `/v1/chat/completions`.
    pub url: &'static str,
    /// The chat completion asked for.
    pub body: Body<'a>,
}

/// A request's body: a chat completion.
#[derive(Serialize)]
pub struct Body<'a> {
    /// The model asked.
    pub model: &'a str,
    /// System and user.
    pub messages: [crate::tokens::chat_template::Turn<'a>; 2],
    /// Chat models' limit; reasoning models refuse it and take `max_completion_tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<usize>,
    /// Sampling temperature.
    pub temperature: f64,
}

/// Lines grouped into files of at most `max_lines` lines and `max_bytes` bytes (a line longer
/// than `max_bytes` is a file of its own: the API will say so, the rest still runs).
fn batch_parts(
    lines: impl Iterator<Item = Result<Vec<u8>>>,
    max_lines: usize,
    max_bytes: usize,
) -> Result<Vec<Vec<u8>>> {
    let mut parts: Vec<Vec<u8>> = vec![Vec::new()];
    let mut in_part = 0;
    for line in lines {
        let line = line?;
        let last = parts.len() - 1;
        if in_part > 0 && (in_part == max_lines || parts[last].len() + line.len() > max_bytes) {
            parts.push(Vec::new());
            in_part = 0;
        }
        let last = parts.len() - 1;
        parts[last].extend_from_slice(&line);
        in_part += 1;
    }
    Ok(parts)
}

/// `out` itself for one part; `out`'s stem with `-1`, `-2`, … before its extension for several.
pub fn part_paths(out: &Path, parts: usize) -> Vec<PathBuf> {
    if parts <= 1 {
        return vec![out.to_path_buf()];
    }
    (1..=parts as u32).map(|n| numbered(out, n)).collect()
}

/// Where [`write_requests`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The name written under: the one asked for, or the next free numbered name when it (or one
    /// of its parts) exists.
    pub base: PathBuf,
    /// That name, or its numbered parts.
    pub files: Vec<PathBuf>,
}

impl Written {
    /// What to tell the user when the requests took more than one file.
    pub fn note(&self, requests: usize) -> Option<String> {
        (self.files.len() > 1).then(|| format!(
            "{requests} requests are more than one Batch API file takes ({BATCH_REQUESTS} requests, {} MB): wrote {} parts ({} … {}); submit each as a batch and concatenate the outputs",
            BATCH_BYTES / 1_000_000,
            self.files.len(),
            self.files[0].display(),
            self.files[self.files.len() - 1].display()
        ))
    }
}

/// Write request lines to `out`, or to numbered parts of it (`OUT-1.jsonl`, …) when one file
/// would hold more than [`BATCH_REQUESTS`] requests or [`BATCH_BYTES`] bytes; never over a file
/// that exists (the first name whose every part is free).
pub fn write_requests(lines: impl Iterator<Item = Result<Vec<u8>>>, out: &Path) -> Result<Written> {
    let parts = batch_parts(lines, BATCH_REQUESTS, BATCH_BYTES)?;
    let base = (0..MAX_CANDIDATES)
        .map(|n| numbered(out, n))
        .find(|base| part_paths(base, parts.len()).iter().all(|p| !p.exists()))
        .ok_or_else(|| wording::no_free_name(out, MAX_CANDIDATES))?;
    let mut files = Vec::new();
    for (path, part) in part_paths(&base, parts.len()).iter().zip(&parts) {
        files.push(write_new_file(path, part)?);
    }
    Ok(Written { base, files })
}

/// What a batch output line says about its request.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The model's output, and its token count when the line reports one (`usage`).
    Output { text: String, tokens: Option<usize> },
    /// The request failed (an `error` line of a batch output, or a non-200 status).
    Failed(String),
    /// The model answered without content: a refusal (its text), or a reply cut before any.
    Refused(String),
}

impl Answer {
    /// Bytes of text it holds.
    pub fn len(&self) -> usize {
        match self {
            Answer::Output { text, .. } => text.len(),
            Answer::Failed(why) | Answer::Refused(why) => why.len(),
        }
    }
}

/// The answer of a Batch API output line (`error`, or `response.status_code` and
/// `response.body.choices[0].message`).
pub fn answer(value: &Value) -> std::result::Result<Answer, String> {
    if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
        let message = error_message(error).unwrap_or_else(|| "the request failed".into());
        return Ok(Answer::Failed(message));
    }
    let response = value
        .get("response")
        .filter(|r| !r.is_null())
        .ok_or("no \"response\"")?;
    let status = response.get("status_code").and_then(Value::as_u64);
    // vLLM writes a failed request's response without a body.
    let body = response.get("body").filter(|b| !b.is_null());
    if let Some(status) = status.filter(|&s| s != 200) {
        return Ok(Answer::Failed(match body.and_then(error_message) {
            Some(message) => format!("status {status}: {message}"),
            None => format!("status {status}"),
        }));
    }
    let body = body.ok_or("\"response\" has no \"body\"")?;
    let message = body
        .pointer("/choices/0/message")
        .ok_or("no response.body.choices[0].message")?;
    let text = match content_text(message.get("content"))? {
        Some(text) => text,
        None => {
            // An answer all the same: the model replied, with nothing to score.
            let why = match message.get("refusal").and_then(Value::as_str) {
                Some(refusal) => format!("the model refused: {refusal}"),
                None => {
                    let finish = body
                        .pointer("/choices/0/finish_reason")
                        .and_then(Value::as_str)
                        .unwrap_or("not given");
                    format!("the reply has no content (finish_reason {finish})")
                }
            };
            return Ok(Answer::Refused(why));
        }
    };
    let tokens = body
        .pointer("/usage/completion_tokens")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    Ok(Answer::Output { text, tokens })
}

/// A message's content as text: a string, or content parts (`[{"type": "text", "text": …}, …]`,
/// as chat APIs also write it) joined; `None` when there is none (null, missing, no parts).
pub fn content_text(content: Option<&Value>) -> std::result::Result<Option<String>, String> {
    match content {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            for (i, part) in parts.iter().enumerate() {
                let kind = part.get("type").and_then(Value::as_str).unwrap_or("text");
                match (kind, part.get("text").and_then(Value::as_str)) {
                    ("text" | "output_text", Some(t)) => text.push_str(t),
                    (kind, _) => {
                        return Err(format!(
                            "content part {i} is of type {kind:?}, not text: no code to score"
                        ))
                    }
                }
            }
            Ok((!parts.is_empty()).then_some(text))
        }
        Some(_) => Err("the message's content is neither text nor content parts".into()),
    }
}

/// The message of an error as the batch APIs write it: OpenAI's `{"code", "message"}`, vLLM's
/// message string, or vLLM's error response (`{"message", …}` or `{"error": {"message", …}}`).
fn error_message(error: &Value) -> Option<String> {
    match error {
        Value::String(message) => Some(message.clone()),
        Value::Object(object) => object
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| error.pointer("/error/message").and_then(Value::as_str))
            .map(str::to_string)
            .or_else(|| Some(error.to_string())),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Every non-blank line of `path` (a byte-order mark stripped from the first), or a too-long
/// line's length, with its 1-based number.
pub fn each_line(
    path: &Path,
    mut each: impl FnMut(usize, std::result::Result<&[u8], u64>) -> Result<()>,
) -> Result<()> {
    let file = input::open_regular(path)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        line += 1;
        match read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES)
            .map_err(|e| Error::read(path, e))?
        {
            CappedLine::Eof => return Ok(()),
            CappedLine::Line => {}
            CappedLine::TooLong(len) => {
                each(line, Err(len))?;
                continue;
            }
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // A byte-order mark (Windows tools write one) starts the file, not the JSON.
        let bytes = match buf.strip_prefix(b"\xef\xbb\xbf") {
            Some(rest) if line == 1 => rest,
            _ => &buf[..],
        };
        each(line, Ok(bytes))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_limits_match_by_prefix_and_fine_tunes_have_their_base_limit() {
        assert_eq!(output_limit("gpt-4o-mini"), Some((16_384, false)));
        assert_eq!(
            output_limit("gpt-4o-mini-2024-07-18"),
            Some((16_384, false))
        );
        assert_eq!(
            output_limit("ft:gpt-4o-mini-2024-07-18:acme::x1"),
            Some((16_384, false))
        );
        assert_eq!(output_limit("gpt-4o-2024-05-13"), Some((4_096, false)));
        assert_eq!(output_limit("gpt-4.1-nano"), Some((32_768, false)));
        assert_eq!(output_limit("gpt-4-turbo-2024-04-09"), Some((4_096, false)));
        assert_eq!(output_limit("o4-mini"), Some((100_000, true)));
        // A name that only starts like a known one is not it.
        assert_eq!(output_limit("gpt-4ox"), None);
        assert_eq!(output_limit("Qwen/Qwen3-8B"), None);
    }

    #[test]
    fn requests_past_the_batch_limits_go_to_numbered_parts() {
        let lines = |n: usize, len: usize| (0..n).map(move |_| Ok(vec![b'x'; len]));
        let sizes = |parts: Vec<Vec<u8>>| parts.iter().map(Vec::len).collect::<Vec<_>>();
        // By count: 5 lines, 2 per file.
        assert_eq!(
            sizes(batch_parts(lines(5, 10), 2, 1000).unwrap()),
            [20, 20, 10]
        );
        // By bytes: 30-byte lines, 70 bytes per file.
        assert_eq!(
            sizes(batch_parts(lines(5, 30), 100, 70).unwrap()),
            [60, 60, 30]
        );
        // A line over the byte limit on its own; nothing is lost.
        assert_eq!(sizes(batch_parts(lines(2, 90), 100, 70).unwrap()), [90, 90]);
        assert_eq!(sizes(batch_parts(lines(0, 1), 2, 10).unwrap()), [0]);
        // The real limits: 50,001 one-byte requests are two files.
        let parts = batch_parts(lines(BATCH_REQUESTS + 1, 1), BATCH_REQUESTS, BATCH_BYTES);
        assert_eq!(sizes(parts.unwrap()), [BATCH_REQUESTS, 1]);
        assert_eq!(
            part_paths(Path::new("out/requests.jsonl"), 2),
            [
                PathBuf::from("out/requests-1.jsonl"),
                PathBuf::from("out/requests-2.jsonl")
            ]
        );
        assert_eq!(
            part_paths(Path::new("r.jsonl"), 1),
            [PathBuf::from("r.jsonl")]
        );
    }
}
