//! Curated prompt files (JSONL) in both shapes our users have.
//!
//! Takes a file path; gives one [`Prompt`] per usable line with the template it is for, located at
//! file:line, the SHA-256 of the bytes read, and a warning for each line that cannot be used (which
//! is skipped and counted, never fatal: these files are routing datasets maintained by hand, and one
//! bad line must not block a build). The file is read a line at a time, never held whole. The
//! shapes: `{"prompt": …, "expected_template_id": …}` and `{"messages": [system, user, assistant =
//! id]}`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::format::split_hint;
use super::{Prompt, Target, Targeted};
use crate::diagnostic::{warning, Diagnostics};
use crate::error::{Error, Result};
use crate::input;
use crate::location::{json_reason, Location};

/// What one curated file gave.
#[derive(Debug, Default)]
pub struct CuratedFile {
    /// Each usable line's prompt and the template it is for.
    pub prompts: Vec<Targeted>,
    /// Non-blank lines read.
    pub lines: usize,
    /// Lines skipped with a warning.
    pub malformed: usize,
    /// The SHA-256 of the bytes read (for the manifest's digest).
    pub sha256: String,
    /// How many bytes were read.
    pub bytes: u64,
}

/// Read `path`; `Ok(None)` when it does not exist and `optional` is set. The file is read a line at
/// a time and hashed as it goes: at a catalog of 100,000 templates a curated file is ~100 MB, and
/// holding its bytes next to the prompts parsed from them was the build's peak.
pub fn read(
    path: &Path,
    optional: bool,
    diagnostics: &mut Diagnostics,
) -> Result<Option<CuratedFile>> {
    read_within(path, optional, input::SMALL_FILE_LIMIT, diagnostics)
}

/// [`read`], refusing a file of more than `limit` bytes (one that grows past it while it is read
/// too).
fn read_within(
    path: &Path,
    optional: bool,
    limit: u64,
    diagnostics: &mut Diagnostics,
) -> Result<Option<CuratedFile>> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && optional => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::read(path, std::io::Error::from(e.kind())))
        }
        _ => {}
    }
    let file = input::open_regular(path)?;
    let size = file.metadata().map_err(|e| Error::read(path, e))?.len();
    if size > limit {
        return Err(input::too_large(path, size, limit));
    }
    let mut hashed = Hashing {
        inner: file.take(limit + 1),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut curated = parse_reader(path, BufReader::new(&mut hashed), diagnostics)
        .map_err(|e| Error::read(path, e))?;
    if hashed.bytes > limit {
        return Err(input::too_large(path, hashed.bytes, limit));
    }
    curated.sha256 = hex::encode(hashed.hasher.finalize());
    curated.bytes = hashed.bytes;
    Ok(Some(curated))
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Parse the bytes of a curated file; malformed lines are warned about and counted.
pub fn parse(path: &Path, bytes: &[u8], diagnostics: &mut Diagnostics) -> CuratedFile {
    // Reading from a slice does not fail.
    let mut file = parse_reader(path, bytes, diagnostics).unwrap_or_default();
    file.sha256 = crate::digest::sha256_hex(bytes);
    file.bytes = bytes.len() as u64;
    file
}

/// Parse a curated file line by line; malformed lines are warned about and counted.
fn parse_reader(
    path: &Path,
    mut reader: impl BufRead,
    diagnostics: &mut Diagnostics,
) -> std::io::Result<CuratedFile> {
    let mut file = CuratedFile::default();
    // One copy of the path for every prompt in the file.
    let path: std::sync::Arc<Path> = std::sync::Arc::from(path);
    let mut line = Vec::new();
    for i in 0.. {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let mut raw = line.strip_suffix(b"\n").unwrap_or(&line);
        if i == 0 {
            raw = raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw);
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        file.lines += 1;
        let at = Location::line(&path, i + 1);
        let parsed = std::str::from_utf8(raw)
            .map_err(|_| "line is not valid UTF-8".to_string())
            .and_then(parse_line);
        match parsed {
            Ok((target, prompt)) => match split_hint(&prompt) {
                Ok(hinted) => file.prompts.push((
                    target,
                    Prompt {
                        text: hinted.text,
                        hint: hinted.hint,
                        at,
                    },
                )),
                Err(why) => {
                    file.malformed += 1;
                    diagnostics.add(warning::malformed_prompt(at, why));
                }
            },
            Err(why) => {
                file.malformed += 1;
                diagnostics.add(warning::malformed_prompt(at, why));
            }
        }
    }
    Ok(file)
}

/// One line → (which template, the prompt as written).
pub fn parse_line(line: &str) -> Result<(Target, String), String> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("invalid JSON: {}", json_reason(&e)))?;
    let Value::Object(object) = value else {
        return Err("expected a JSON object".into());
    };
    if let Some(messages) = object.get("messages") {
        let messages = messages.as_array().ok_or("\"messages\" must be an array")?;
        let content = |role: &str| {
            messages
                .iter()
                .filter(|m| m.get("role").and_then(Value::as_str) == Some(role))
                .find_map(|m| m.get("content").and_then(Value::as_str))
        };
        let user = content("user").ok_or("no user message with string content")?;
        let id = content("assistant").ok_or("no assistant message naming the template id")?;
        let id = id.trim();
        if id.is_empty() {
            return Err("the assistant message (the template id) is empty".into());
        }
        return Ok((Target::Id(id.to_string()), user.to_string()));
    }
    if let Some(prompt) = object.get("prompt") {
        let prompt = prompt.as_str().ok_or("\"prompt\" must be a string")?;
        let text_field = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let target = match (text_field("expected_template_id"), text_field("db_id")) {
            (Some(id), _) => Target::Id(id.to_string()),
            (None, Some(db_id)) => Target::DbId(db_id.to_string()),
            (None, None) => return Err("no \"expected_template_id\" (or \"db_id\")".into()),
        };
        return Ok((target, prompt.to_string()));
    }
    Err("expected {\"prompt\", \"expected_template_id\"} or {\"messages\"}".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::VideoFormat;

    #[test]
    fn a_file_read_line_by_line_gives_what_its_bytes_give_and_their_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let text =
            "\u{feff}{\"prompt\": \"format:square logo\", \"expected_template_id\": \"a\"}\r\n\n\
                    not json\n{\"prompt\": \"intro\", \"db_id\": \"u-1\"}";
        std::fs::write(&path, text).unwrap();
        let mut read_warnings = Diagnostics::default();
        let file = read(&path, false, &mut read_warnings).unwrap().unwrap();
        let mut parsed_warnings = Diagnostics::default();
        let parsed = parse(&path, text.as_bytes(), &mut parsed_warnings);
        assert_eq!(file.prompts, parsed.prompts);
        assert_eq!((file.lines, file.malformed), (3, 1));
        assert_eq!(
            file.prompts[1].1.at.to_string(),
            format!("{}:4", path.display())
        );
        assert_eq!(file.sha256, crate::digest::sha256_hex(text.as_bytes()));
        assert_eq!(file.bytes, text.len() as u64);
        assert_eq!(parsed.sha256, file.sha256);
        assert_eq!(read_warnings.into_vec(), parsed_warnings.into_vec());
        assert!(read(
            &dir.path().join("none.jsonl"),
            true,
            &mut Diagnostics::default()
        )
        .unwrap()
        .is_none());
        let err = read_within(&path, false, 10, &mut Diagnostics::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(&format!(
                "{} bytes, over the limit of 10 bytes for this kind of file; not read",
                text.len()
            )),
            "{err}"
        );
    }

    #[test]
    fn both_shapes_parse() {
        let (t, p) = parse_line(
            r#"{"prompt": "format:portrait timer", "expected_template_id": "countdown"}"#,
        )
        .unwrap();
        assert_eq!(t, Target::Id("countdown".into()));
        assert_eq!(p, "format:portrait timer");
        let (t, p) = parse_line(r#"{"messages": [{"role": "system", "content": "route"}, {"role": "user", "content": "big digits"}, {"role": "assistant", "content": " countdown "}]}"#).unwrap();
        assert_eq!(t, Target::Id("countdown".into()));
        assert_eq!(p, "big digits");
        let (t, _) = parse_line(r#"{"prompt": "x", "db_id": "u-1"}"#).unwrap();
        assert_eq!(t, Target::DbId("u-1".into()));
    }

    #[test]
    fn malformed_lines_are_skipped_counted_and_located() {
        let text = b"{\"prompt\": \"format:square logo\", \"expected_template_id\": \"a\"}\r\n\n{oops\n[1]\n{\"prompt\": 3, \"expected_template_id\": \"a\"}\n\xff\n";
        let mut diagnostics = Diagnostics::default();
        let file = parse(Path::new("p.jsonl"), text, &mut diagnostics);
        assert_eq!(diagnostics.len(), 4);
        assert_eq!(file.lines, 5);
        assert_eq!(file.malformed, 4);
        assert_eq!(file.prompts.len(), 1);
        assert_eq!(file.prompts[0].1.hint, Some(VideoFormat::Square));
        assert_eq!(file.prompts[0].1.text, "Logo");
        assert_eq!(file.prompts[0].1.at.to_string(), "p.jsonl:1");
    }

    #[test]
    fn reasons_say_what_is_expected() {
        assert_eq!(parse_line("[]").unwrap_err(), "expected a JSON object");
        assert_eq!(
            parse_line(r#"{"prompt": "x"}"#).unwrap_err(),
            "no \"expected_template_id\" (or \"db_id\")"
        );
        assert!(parse_line("{")
            .unwrap_err()
            .starts_with("invalid JSON: EOF"));
    }
}
