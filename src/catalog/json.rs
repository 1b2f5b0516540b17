//! Catalogs as JSON: an array of entries (`.json`) or one entry per line (`.jsonl`).
//!
//! Takes a file path; gives checked [`Template`]s, each located at the line and column where its
//! entry starts. Any malformed entry is an error at its exact place: a catalog is curated data, and a
//! silently missing template would quietly shrink the dataset.

use std::path::Path;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::{RawTemplate, Template};
use crate::error::{wording, Error, Result};
use crate::input::read_text;
use crate::location::{json_reason, LineIndex, Location};

/// A `.json` file holding one array of entries.
pub fn read_array(path: &Path) -> Result<Vec<Template>> {
    let text = read_text(path)?;
    parse_array(path, &text)
}

/// Parse array text; `path` is only used for locations.
pub fn parse_array(path: &Path, text: &str) -> Result<Vec<Template>> {
    let entries: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        let message = if e.is_data() {
            "expected a JSON array of catalog entries".to_string()
        } else {
            json_reason(&e)
        };
        Error::input(
            Location::at(path, e.line().max(1), e.column().max(1)),
            message,
        )
    })?;
    let index = LineIndex::new(text);
    // One copy of the path for every entry's location.
    let path: Arc<Path> = Arc::from(path);
    let mut templates = Vec::with_capacity(entries.len());
    for raw in entries {
        // RawValue borrows from `text`, so the entry's offset is a pointer difference.
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let (line, col) = index.line_col(offset);
        templates.push(parse_entry(&path, raw.get(), line, col)?);
    }
    Ok(templates)
}

/// A `.jsonl` file: one entry per non-blank line.
pub fn read_lines(path: &Path) -> Result<Vec<Template>> {
    let text = read_text(path)?;
    parse_lines(path, &text)
}

/// Parse JSON-lines text; `path` is only used for locations.
pub fn parse_lines(path: &Path, text: &str) -> Result<Vec<Template>> {
    let mut templates = Vec::new();
    let path: Arc<Path> = Arc::from(path);
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        templates.push(parse_entry(&path, line, i + 1, 1)?);
    }
    Ok(templates)
}

/// One entry whose text starts at `line`:`col` of the file.
fn parse_entry(path: &Arc<Path>, entry: &str, line: usize, col: usize) -> Result<Template> {
    // serde would also build a struct from an array; a catalog entry is an object, say so plainly.
    let found = match entry.trim_start().as_bytes().first() {
        Some(b'{') => None,
        Some(b'[') => Some("an array"),
        Some(b'"') => Some("a string"),
        Some(b'n') => Some("null"),
        Some(b't' | b'f') => Some("a boolean"),
        _ => Some("a number"),
    };
    if let Some(found) = found {
        return Err(wording::entry_not_an_object(
            Location::at(path, line, col),
            found,
        ));
    }
    let raw: RawTemplate = serde_json::from_str(entry).map_err(|e| {
        // serde_json positions are relative to the entry's text.
        Error::input(
            Location::within(path, line, col, e.line(), e.column()),
            json_reason(&e),
        )
    })?;
    raw.into_template(Location::at(path, line, col))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Source;
    use crate::video::VideoFormat;

    const CAMEL: &str = r#"[
  {"id": "a", "name": "A", "source": {"type": "db", "dbId": "u-1"}, "duration": 120,
   "supportedFormats": ["landscape", "square", "landscape"], "primaryUse": "Intro", "userPhrases": ["hi"]},
  {"id": "b", "name": "B", "source": {"type": "registry", "registryId": "r"},
   "supportedFormats": ["portrait"], "primaryUse": "Outro"}
]"#;

    #[test]
    fn reads_camel_case_arrays_with_entry_locations() {
        let t = parse_array(Path::new("c.json"), CAMEL).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[0].source,
            Source::Db {
                db_id: "u-1".into()
            }
        );
        assert_eq!(
            t[0].supported_formats,
            vec![VideoFormat::Landscape, VideoFormat::Square]
        );
        assert_eq!(t[0].user_phrases, vec!["hi"]);
        assert_eq!(t[1].at.to_string(), "c.json:4:3");
        assert_eq!(t[1].duration, None);
    }

    #[test]
    fn reads_snake_case_lines() {
        let text = "{\"template_id\":\"x\",\"template_name\":\"X\",\"db_id\":\"d\",\"supported_formats\":[\"square\"],\"primary_use\":\"p\",\"use_cases\":[\"u\"]}\n\n";
        let t = parse_lines(Path::new("c.jsonl"), text).unwrap();
        assert_eq!(t[0].id, "x");
        assert_eq!(t[0].db_id(), Some("d"));
        assert_eq!(t[0].use_cases, vec!["u"]);
        // Held without the parser's spare room (four strings for one): the build's memory peak.
        assert_eq!(t[0].use_cases.capacity(), 1);
    }

    #[test]
    fn missing_field_points_at_the_entry() {
        let text = "{\"id\":\"x\",\"name\":\"X\",\"supportedFormats\":[\"square\"],\"primaryUse\":\"p\"}\n{\"id\":\"y\",\"name\":\"Y\",\"primaryUse\":\"p\"}\n";
        let err = parse_lines(Path::new("c.jsonl"), text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.jsonl:2:38: missing field `supportedFormats`"
        );
    }

    #[test]
    fn unknown_format_is_named() {
        let text = "[{\"id\":\"x\",\"name\":\"X\",\"supportedFormats\":[\"vertical\"],\"primaryUse\":\"p\"}]";
        let err = parse_array(Path::new("c.json"), text).unwrap_err();
        assert!(err.to_string().starts_with("c.json:1:"), "{err}");
        assert!(
            err.to_string().contains("unknown variant `vertical`"),
            "{err}"
        );
    }

    #[test]
    fn truncated_json_is_located() {
        let err = parse_array(Path::new("c.json"), "[\n  {\"id\": \"a\"").unwrap_err();
        assert_eq!(err.to_string(), "c.json:2:12: EOF while parsing an object");
    }
}
