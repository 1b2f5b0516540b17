//! `overrides.json`: prompts people add by hand (`additionalPrompts`).
//!
//! Takes the file's path; gives one [`Prompt`] per entry with its template id, located at the
//! entry's line and column. A missing file means no overrides. A malformed file is an error (it is
//! small and hand-edited, so the fix is quick and a silent skip would lose deliberate work); unknown
//! keys are warned about.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::format::split_hint;
use super::{Prompt, Target, Targeted};
use crate::diagnostic::{warning, Diagnostics};
use crate::error::{wording, Error, Result};
use crate::input::{self, text_from_bytes};
use crate::location::{json_reason, line_col, LineIndex, Location};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "an object with templateId, prompt and optional notes")]
struct RawOverride {
    template_id: String,
    prompt: String,
    #[allow(dead_code)] // documented field, kept for people, not used by the build
    #[serde(default)]
    notes: Option<String>,
}

/// Read `path`: its bytes (for the manifest) and its prompts; `None` when there is no such file.
pub fn read(
    path: &Path,
    diagnostics: &mut Diagnostics,
) -> Result<Option<(Vec<u8>, Vec<Targeted>)>> {
    let Some(bytes) = input::read_optional(path, input::SMALL_FILE_LIMIT)? else {
        return Ok(None);
    };
    let text = text_from_bytes(path, bytes.clone())?;
    let prompts = parse(path, &text, diagnostics)?;
    Ok(Some((bytes, prompts)))
}

/// Parse the text of an overrides file.
pub fn parse(path: &Path, text: &str, diagnostics: &mut Diagnostics) -> Result<Vec<Targeted>> {
    let located = |e: &serde_json::Error, base: usize| {
        // Positions from serde_json are relative to the text it was given, which starts at `base`.
        let (line, col) = line_col(text, base);
        Error::input(
            Location::within(path, line, col, e.line(), e.column()),
            json_reason(e),
        )
    };
    let top: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            wording::additions_not_an_object(Location::at(path, e.line().max(1), e.column().max(1)))
        } else {
            located(&e, 0)
        }
    })?;
    for key in top.keys().filter(|k| *k != "additionalPrompts") {
        diagnostics.add(warning::unknown_key(path, key, "additionalPrompts"));
    }
    let Some(list) = top.get("additionalPrompts") else {
        return Ok(Vec::new());
    };
    let offset_of = |raw: &RawValue| raw.get().as_ptr() as usize - text.as_ptr() as usize;
    let entries: Vec<&RawValue> = serde_json::from_str(list.get()).map_err(|e| {
        wording::additions_not_an_array(
            Location::from_offset(path, text, offset_of(list)),
            json_reason(&e),
        )
    })?;
    let index = LineIndex::new(text);
    let mut prompts = Vec::with_capacity(entries.len());
    for raw in entries {
        let base = offset_of(raw);
        let entry: RawOverride = serde_json::from_str(raw.get()).map_err(|e| located(&e, base))?;
        let at = index.locate(path, base);
        let hinted = split_hint(&entry.prompt).map_err(|why| Error::input(at.clone(), why))?;
        let id = entry.template_id.trim();
        if id.is_empty() {
            return Err(wording::empty_addition_id(at));
        }
        prompts.push((
            Target::Id(id.to_string()),
            Prompt {
                text: hinted.text,
                hint: hinted.hint,
                at,
            },
        ));
    }
    Ok(prompts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_located() {
        let text = "{\n  \"additionalPrompts\": [\n    {\"templateId\": \"a\", \"prompt\": \"format:square logo\", \"notes\": \"n\"},\n    {\"templateId\": \"b\", \"prompt\": \"intro\"}\n  ]\n}\n";
        let p = parse(Path::new("o.json"), text, &mut Diagnostics::default()).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].1.at.to_string(), "o.json:3:5");
        assert_eq!(p[1].0, Target::Id("b".into()));
        assert_eq!(p[1].1.text, "Intro");
    }

    #[test]
    fn a_misspelled_field_is_an_error_at_its_place() {
        let text = "{\"additionalPrompts\": [\n  {\"templateID\": \"a\", \"prompt\": \"x\"}\n]}";
        let err = parse(Path::new("o.json"), text, &mut Diagnostics::default()).unwrap_err();
        assert!(err.to_string().starts_with("o.json:2:"), "{err}");
        assert!(
            err.to_string().contains("unknown field `templateID`"),
            "{err}"
        );
    }
}
