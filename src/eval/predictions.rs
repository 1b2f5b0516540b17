//! Reading a model's outputs: one prediction per line, three shapes, recognized line by line.
//!
//! Takes a predictions file and the held-out examples' ids; gives each line's prediction for its
//! example, in chunks (so thousands of long outputs never sit in memory at once), and what could not
//! be used: bad lines at file:line, ids no example has, second predictions for one id, failed
//! attempts a retry replaced. A retried request counts its retry: the last successful response for
//! an id is scored (the file is read twice, the first time to choose). Nothing here is fatal except
//! a file that cannot be read and two different successful responses for one id. The shapes:
//!
//! | shape | the output | the example |
//! |---|---|---|
//! | OpenAI Batch API output (also Together, `vllm run-batch`) | `response.body.choices[0].message.content`; a reply without content (a refusal) is an answer that fails every check; an `error` (OpenAI's object, vLLM's string or error response), or a status other than 200 with or without a body, is a failed request, with its message | `custom_id` |
//! | `{"custom_id", "completion"}` | `completion` (a string, or messages whose last is the assistant's) | `custom_id` |
//! | a chat line `{"messages": […]}` | the last message, which must be the assistant's | `meta` (template, variant, format) when present, else the user message matched to a brief |

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use crate::batch::MAX_LINE_BYTES;
use crate::error::{Error, Result};

/// Lines per chunk handed to the scorer.
pub const CHUNK_LINES: usize = 1024;
/// Bytes of output per chunk, at most (past it the chunk is handed on early): long outputs never
/// pile up in memory.
const CHUNK_BYTES: usize = 16 << 20;

pub use crate::batch::Answer;

/// A prediction tied to its example.
#[derive(Debug, Clone)]
pub struct Prediction {
    pub id: String,
    pub line: usize,
    pub answer: Answer,
}

/// A line that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadLine {
    /// Its line in the file (1-based).
    pub line: usize,
    /// Why it could not be used.
    pub why: String,
}

/// How lines find their example: by id, by meta key, or by the brief.
pub struct Ids<'g> {
    pub ids: HashSet<&'g str>,
    /// `template/variant/format` → id.
    pub by_key: HashMap<String, &'g str>,
    /// The user message (brief) → id; `None` when two examples share it.
    pub by_brief: HashMap<&'g str, Option<&'g str>>,
}

/// What reading gave besides the predictions: each kind counted, the first `LISTED` kept, so
/// that a predictions file of any size costs memory only for the held-out split.
#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Leftovers {
    /// Lines that could not be used.
    pub bad_lines: Listed<BadLine>,
    /// Ids of no held-out example, with their line.
    pub unknown_ids: Listed<(String, usize)>,
    /// The same successful response again for an id (the first is scored), with its line.
    pub duplicates: Listed<(String, usize)>,
    /// Failed requests for an id that another line answers (a retry after it, or a success
    /// before), with their line: not scored.
    pub failed_attempts: Listed<(String, usize)>,
}

impl Leftovers {
    /// Lines not used, of every kind.
    pub fn total(&self) -> usize {
        self.bad_lines.count
            + self.unknown_ids.count
            + self.duplicates.count
            + self.failed_attempts.count
    }
}

/// Lines of one kind not used: kept for the reports.
pub const LISTED: usize = 20;

/// How many of something there were, and the first `LISTED` of them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed<T> {
    /// How many there were.
    pub count: usize,
    /// The first of them.
    pub first: Vec<T>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            count: 0,
            first: Vec::new(),
        }
    }
}

impl<T> Listed<T> {
    /// Count `item`, and keep it while fewer than `LISTED` are kept.
    pub fn push(&mut self, item: T) {
        self.count += 1;
        if self.first.len() < LISTED {
            self.first.push(item);
        }
    }

    /// None were counted.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The longest text of a prediction a report shows (an id, a reason, an error message, the first
/// lines of an output): anything longer is cut there, with `…`.
pub const SHOWN_BYTES: usize = 2048;

/// `text` cut to at most [`SHOWN_BYTES`] bytes (on a character boundary), with `…` when cut.
pub fn shown(text: &str) -> String {
    if text.len() <= SHOWN_BYTES {
        return text.to_string();
    }
    let mut end = SHOWN_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Which line answers each example: read once before scoring, so that a retried request counts
/// its retry. For an id seen more than once the last successful response counts (a refusal is one:
/// the model replied); failed attempts are counted and listed; an identical success again is a
/// duplicate; two successful responses that differ are an error naming both lines (which one the
/// model "said" is not for eval to choose).
struct Chosen {
    /// id → (line, succeeded, digest of the answer).
    lines: HashMap<String, (usize, bool, u128)>,
}

/// The first pass: what every line is, and which line answers each example.
fn choose(path: &Path, ids: &Ids<'_>, leftovers: &mut Leftovers) -> Result<Chosen> {
    let mut lines: HashMap<String, (usize, bool, u128)> = HashMap::new();
    crate::batch::each_line(path, |line, bytes| {
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(len) => {
                leftovers.bad_lines.push(BadLine {
                    line,
                    why: format!("{len} bytes, longer than {MAX_LINE_BYTES}; not read"),
                });
                return Ok(());
            }
        };
        let (id, answer) = match parse_line(bytes, ids) {
            Err(why) => {
                leftovers.bad_lines.push(BadLine {
                    line,
                    why: shown(&why),
                });
                return Ok(());
            }
            Ok(parsed) => parsed,
        };
        if !ids.ids.contains(id.as_str()) {
            leftovers.unknown_ids.push((shown(&id), line));
            return Ok(());
        }
        let ok = !matches!(answer, Answer::Failed(_));
        let digest = match &answer {
            Answer::Output { text, .. } => crate::digest::text_hash(text),
            Answer::Failed(why) | Answer::Refused(why) => crate::digest::text_hash(why),
        };
        match lines.get_mut(&id) {
            None => {
                lines.insert(id, (line, ok, digest));
            }
            Some(kept) => match (kept.1, ok) {
                (true, true) if kept.2 == digest => leftovers.duplicates.push((id, line)),
                (true, true) => {
                    return Err(Error::input(
                        crate::location::Location::line(path, line),
                        format!(
                            "a second successful response for {:?} that differs from the one at line {}: which one to score is not eval's to choose (keep one)",
                            shown(&id),
                            kept.0
                        ),
                    ))
                }
                // A failure after a success: an attempt that does not count.
                (true, false) => leftovers.failed_attempts.push((id, line)),
                // A retry (or another failure): the earlier attempt does not count.
                (false, _) => {
                    leftovers.failed_attempts.push((id, kept.0));
                    *kept = (line, ok, digest);
                }
            },
        }
        Ok(())
    })?;
    Ok(Chosen { lines })
}

/// Read `path`, handing `each` chunks of predictions in file order: for each example, the line that
/// answers it ([`Chosen`]).
pub fn read(
    path: &Path,
    ids: &Ids<'_>,
    mut each: impl FnMut(Vec<Prediction>) -> Result<()>,
) -> Result<Leftovers> {
    let mut leftovers = Leftovers::default();
    let chosen = choose(path, ids, &mut leftovers)?;
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    let mut chunk_bytes = 0;
    crate::batch::each_line(path, |line, bytes| {
        let Ok(bytes) = bytes else { return Ok(()) };
        let Ok((id, answer)) = parse_line(bytes, ids) else {
            return Ok(());
        };
        if chosen.lines.get(&id).map(|c| c.0) != Some(line) {
            return Ok(());
        }
        chunk_bytes += answer.len();
        chunk.push(Prediction { id, line, answer });
        if chunk.len() == CHUNK_LINES || chunk_bytes >= CHUNK_BYTES {
            chunk_bytes = 0;
            each(std::mem::take(&mut chunk))?;
        }
        Ok(())
    })?;
    if !chunk.is_empty() {
        each(chunk)?;
    }
    Ok(leftovers)
}

/// One line → (example id, answer), or why it cannot be used.
pub(crate) fn parse_line(
    bytes: &[u8],
    ids: &Ids<'_>,
) -> std::result::Result<(String, Answer), String> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("not JSON: {}", crate::location::json_reason(&e)))?;
    let Value::Object(object) = &value else {
        return Err("not a JSON object".into());
    };
    if let Some(id) = object.get("custom_id") {
        let id = id.as_str().ok_or("custom_id is not a string")?.to_string();
        if object.contains_key("response") || object.contains_key("error") {
            return Ok((id, crate::batch::answer(&value)?));
        }
        if let Some(completion) = object.get("completion") {
            return Ok((id, completion_answer(completion)?));
        }
        return Err(
            "a custom_id without \"response\" (a Batch API output line) or \"completion\"".into(),
        );
    }
    if let Some(messages) = object.get("messages") {
        let messages = messages.as_array().ok_or("\"messages\" is not an array")?;
        let last = messages.last().ok_or("\"messages\" is empty")?;
        if last.get("role").and_then(Value::as_str) != Some("assistant") {
            return Err("the last message is not the assistant's".into());
        }
        let text = crate::batch::content_text(last.get("content"))?
            .ok_or("the assistant message has no content")?;
        let id = chat_id(object, messages, ids)?;
        return Ok((id, Answer::Output { text, tokens: None }));
    }
    Err("expected a Batch API output line (custom_id, response), {\"custom_id\", \"completion\"}, or a chat line with \"messages\"".into())
}

/// `completion`: a string, or messages ending with the assistant's.
fn completion_answer(completion: &Value) -> std::result::Result<Answer, String> {
    let text = match completion {
        Value::String(s) => s.clone(),
        Value::Array(messages) => {
            let last = messages
                .last()
                .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
                .ok_or("\"completion\" messages do not end with an assistant message")?;
            crate::batch::content_text(last.get("content"))?
                .ok_or("the assistant message of \"completion\" has no content")?
        }
        _ => return Err("\"completion\" is neither a string nor messages".into()),
    };
    Ok(Answer::Output { text, tokens: None })
}

/// The example of a chat line: its meta key, else its brief.
fn chat_id(
    object: &serde_json::Map<String, Value>,
    messages: &[Value],
    ids: &Ids<'_>,
) -> std::result::Result<String, String> {
    if let Some(meta) = object.get("meta") {
        let field = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("");
        let key = crate::dataset::example::example_id(
            field("templateId"),
            field("promptVariant"),
            field("format"),
        );
        return ids
            .by_key
            .get(&key)
            .map(|id| id.to_string())
            .ok_or_else(|| format!("meta names {key}, which is not a held-out example"));
    }
    let brief = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(|m| m.get("content"))
        .and_then(Value::as_str)
        .ok_or("no \"meta\" and no user message to match to a brief")?;
    match ids.by_brief.get(brief) {
        Some(Some(id)) => Ok(id.to_string()),
        Some(None) => Err(
            "the user message is the brief of several examples; add \"meta\" or a custom_id".into(),
        ),
        None => {
            Err("the user message matches no held-out brief; add \"meta\" or a custom_id".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Ids<'static> {
        Ids {
            ids: ["a", "b"].into_iter().collect(),
            by_key: [("t/base/square".to_string(), "a")].into_iter().collect(),
            by_brief: [("Make it", Some("b")), ("Twice", None)]
                .into_iter()
                .collect(),
        }
    }

    fn parse(line: &str) -> std::result::Result<(String, Answer), String> {
        parse_line(line.as_bytes(), &ids())
    }

    fn output(text: &str, tokens: Option<usize>) -> Answer {
        Answer::Output {
            text: text.into(),
            tokens,
        }
    }

    #[test]
    fn the_three_shapes_are_recognized() {
        let batch = r#"{"id":"r1","custom_id":"a","response":{"status_code":200,"request_id":"x","body":{"choices":[{"index":0,"message":{"role":"assistant","content":"code"}}],"usage":{"completion_tokens":7}}},"error":null}"#;
        assert_eq!(parse(batch).unwrap(), ("a".into(), output("code", Some(7))));
        let failed =
            r#"{"custom_id":"a","response":null,"error":{"code":"x","message":"rate limited"}}"#;
        assert_eq!(
            parse(failed).unwrap().1,
            Answer::Failed("rate limited".into())
        );
        let status = r#"{"custom_id":"a","response":{"status_code":400,"body":{"error":{"message":"bad"}}}}"#;
        assert_eq!(
            parse(status).unwrap().1,
            Answer::Failed("status 400: bad".into())
        );
        assert_eq!(
            parse(r#"{"custom_id":"b","completion":"x"}"#).unwrap(),
            ("b".into(), output("x", None))
        );
        let chat_meta = r#"{"messages":[{"role":"user","content":"?"},{"role":"assistant","content":"y"}],"meta":{"templateId":"t","promptVariant":"base","format":"square"}}"#;
        assert_eq!(parse(chat_meta).unwrap(), ("a".into(), output("y", None)));
        let chat_brief = r#"{"messages":[{"role":"user","content":"Make it"},{"role":"assistant","content":"z"}]}"#;
        assert_eq!(parse(chat_brief).unwrap().0, "b");
    }

    #[test]
    fn refusals_are_answers_and_failed_requests_keep_their_messages() {
        let reply = |message: &str| {
            format!(
                r#"{{"custom_id":"a","response":{{"status_code":200,"body":{{"choices":[{{"message":{message},"finish_reason":"stop"}}]}}}}}}"#
            )
        };
        let refusal = reply(r#"{"role":"assistant","content":null,"refusal":"I can't help"}"#);
        assert_eq!(
            parse(&refusal).unwrap().1,
            Answer::Refused("the model refused: I can't help".into())
        );
        let empty = reply(r#"{"role":"assistant","content":null}"#);
        assert_eq!(
            parse(&empty).unwrap().1,
            Answer::Refused("the reply has no content (finish_reason stop)".into())
        );
        assert!(parse(&reply(r#"{"role":"assistant","content":7}"#)).is_err());
        // Content parts are joined, in a Batch reply, a completion and a chat line alike.
        let parts = r#"[{"type":"text","text":"export "},{"type":"text","text":"default 1;"}]"#;
        let output = Answer::Output {
            text: "export default 1;".into(),
            tokens: None,
        };
        let batch = reply(&format!(r#"{{"role":"assistant","content":{parts}}}"#));
        assert_eq!(parse(&batch).unwrap().1, output);
        let completion = format!(
            r#"{{"custom_id":"a","completion":[{{"role":"assistant","content":{parts}}}]}}"#
        );
        assert_eq!(parse(&completion).unwrap().1, output);
        let image =
            reply(r#"{"role":"assistant","content":[{"type":"image_url","image_url":{}}]}"#);
        assert!(parse(&image)
            .unwrap_err()
            .contains("content part 0 is of type \"image_url\""));
        // A non-200 status without a body (vLLM) is a failed request, not a bad line.
        let bare =
            r#"{"custom_id":"a","response":{"status_code":400,"request_id":"r"},"error":null}"#;
        assert_eq!(parse(bare).unwrap().1, Answer::Failed("status 400".into()));
        let null_body = r#"{"custom_id":"a","response":{"status_code":500,"body":null}}"#;
        assert_eq!(
            parse(null_body).unwrap().1,
            Answer::Failed("status 500".into())
        );
        // vLLM's error shapes: a message string, its ErrorResponse old and new.
        for (error, message) in [
            (r#""Input too long""#, "Input too long"),
            (
                r#"{"object":"error","message":"max_tokens too large","type":"BadRequestError","code":400}"#,
                "max_tokens too large",
            ),
            (
                r#"{"error":{"message":"context length exceeded","type":"BadRequestError","code":400}}"#,
                "context length exceeded",
            ),
        ] {
            let line = format!(
                r#"{{"custom_id":"a","response":{{"status_code":400,"request_id":"r"}},"error":{error}}}"#
            );
            assert_eq!(parse(&line).unwrap().1, Answer::Failed(message.into()));
        }
    }

    #[test]
    fn a_line_over_the_cap_is_a_bad_line_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let long = format!(
            r#"{{"custom_id":"a","completion":"{}"}}"#,
            "x".repeat(MAX_LINE_BYTES)
        );
        let text = format!(
            "{long}\n{}\n{}\n{}\n",
            r#"{"custom_id":"a","completion":"one"}"#,
            r#"{"custom_id":"zz","completion":"two"}"#,
            r#"{"custom_id":"a","completion":"one"}"#
        );
        std::fs::write(&path, text).unwrap();
        let mut got = Vec::new();
        let leftovers = read(&path, &ids(), |chunk| {
            got.extend(chunk.into_iter().map(|p| (p.id, p.line)));
            Ok(())
        })
        .unwrap();
        assert_eq!(got, [("a".to_string(), 2)]);
        assert_eq!(leftovers.bad_lines.count, 1);
        assert_eq!(leftovers.bad_lines.first[0].line, 1);
        assert!(leftovers.bad_lines.first[0]
            .why
            .ends_with("longer than 16777216; not read"));
        assert_eq!(leftovers.unknown_ids.first, [("zz".to_string(), 3)]);
        assert_eq!(leftovers.duplicates.first, [("a".to_string(), 4)]);
    }

    #[test]
    fn a_retry_counts_and_two_different_answers_are_an_error_naming_both_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let failed =
            r#"{"custom_id":"a","response":null,"error":{"code":"x","message":"rate limited"}}"#;
        let answer = r#"{"custom_id":"a","completion":"export default 1;"}"#;
        // Failed, retried, then a late failure: the retry (line 2) is scored.
        std::fs::write(&path, format!("{failed}\n{answer}\n{failed}\n")).unwrap();
        let mut got = Vec::new();
        let leftovers = read(&path, &ids(), |chunk| {
            got.extend(chunk.into_iter().map(|p| (p.line, p.answer)));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            got,
            [(
                2,
                Answer::Output {
                    text: "export default 1;".into(),
                    tokens: None
                }
            )]
        );
        assert_eq!(
            leftovers.failed_attempts.first,
            [("a".to_string(), 1), ("a".to_string(), 3)]
        );
        // Only failures: the last is scored (its message is the one shown), the others listed.
        std::fs::write(&path, format!("{failed}\n{failed}\n")).unwrap();
        let mut lines = Vec::new();
        let leftovers = read(&path, &ids(), |chunk| {
            lines.extend(chunk.into_iter().map(|p| p.line));
            Ok(())
        })
        .unwrap();
        assert_eq!(lines, [2]);
        assert_eq!(leftovers.failed_attempts.first, [("a".to_string(), 1)]);
        // Two successful answers that differ.
        let other = r#"{"custom_id":"a","completion":"export default 2;"}"#;
        std::fs::write(&path, format!("{answer}\n{failed}\n{other}\n")).unwrap();
        let err = read(&path, &ids(), |_| Ok(())).unwrap_err().to_string();
        assert!(err.contains("p.jsonl:3: a second successful response for \"a\" that differs from the one at line 1"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_starts_the_file_not_the_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let line = r#"{"custom_id":"a","completion":"one"}"#;
        std::fs::write(&path, format!("\u{feff}{line}\n\u{feff}{line}\n")).unwrap();
        let mut got = Vec::new();
        let leftovers = read(&path, &ids(), |chunk| {
            got.extend(chunk.into_iter().map(|p| p.line));
            Ok(())
        })
        .unwrap();
        assert_eq!(got, [1]);
        // Only the file's first bytes: a mark inside the file is a bad line.
        assert_eq!(leftovers.bad_lines.count, 1);
        assert_eq!(leftovers.bad_lines.first[0].line, 2);
    }

    #[test]
    fn unusable_lines_say_why() {
        assert!(parse("{").unwrap_err().starts_with("not JSON: "));
        assert_eq!(parse("[]").unwrap_err(), "not a JSON object");
        assert!(parse(r#"{"custom_id":"a"}"#)
            .unwrap_err()
            .contains("without"));
        let twice = r#"{"messages":[{"role":"user","content":"Twice"},{"role":"assistant","content":"z"}]}"#;
        assert!(parse(twice).unwrap_err().contains("several examples"));
        let last_user = r#"{"messages":[{"role":"user","content":"Make it"}]}"#;
        assert_eq!(
            parse(last_user).unwrap_err(),
            "the last message is not the assistant's"
        );
    }
}
