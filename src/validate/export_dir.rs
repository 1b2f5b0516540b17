//! A folder written by `export`: its manifest, and its rows read back as chat examples.
//!
//! Takes a directory whose `manifest.json` names a `target` (what `export` writes); gives the data
//! files to check, each with the layout its rows have, and adds a finding for every file whose
//! SHA-256, size or line count differs from the manifest, is missing, or is not listed. The
//! trainers' own outputs (`outputs/`, `saves/`, `prepared/`, where the configs write) are expected
//! beside an export someone trained from, and are not findings. Each row is turned back into
//! messages by its target's inverse (the one the round-trip tests pin), so every check `validate`
//! runs on a chat file runs on an export in any layout.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Findings;
use crate::dataset::example::Message;
use crate::error::{wording, Result};
use crate::export::ExportTarget;
use crate::input;
use crate::location::{json_reason, Location};
use crate::split::Split;

/// Folders the exported configs write into when a trainer runs from the export.
const TRAINER_OUTPUTS: [&str; 3] = ["outputs/", "saves/", "prepared/"];

/// The target an export's manifest names; `None` for a build's manifest (no `target`).
pub fn target(dir: &Path) -> Result<Option<ExportTarget>> {
    let path = dir.join("manifest.json");
    let bytes = input::read_capped(&path, input::SMALL_FILE_LIMIT)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        wording::not_a(
            Location::at(&path, e.line(), e.column()),
            "JSON",
            json_reason(&e),
        )
    })?;
    let Some(target) = value.get("target") else {
        return Ok(None);
    };
    serde_json::from_value(target.clone())
        .map(Some)
        .map_err(|_| wording::unknown_export_target(&path, target))
}

/// Check the export's files against its manifest; gives its data files and their splits.
pub(super) fn check(
    dir: &Path,
    findings: &mut Findings<'_>,
) -> Result<Vec<(PathBuf, Option<Split>)>> {
    super::dataset_dir::manifest_files(
        dir,
        "export",
        |name| TRAINER_OUTPUTS.iter().any(|o| name.starts_with(o)),
        findings,
    )?;
    let mut files = Vec::new();
    for split in Split::ALL {
        for name in [
            format!("{}.jsonl", split.name()),
            format!("data/{}.jsonl", split.name()),
        ] {
            let path = dir.join(&name);
            if path.is_file() {
                files.push((path, Some(split)));
            }
        }
    }
    Ok(files)
}

/// A row of `target`'s layout as the messages it holds, or why it holds none.
pub fn messages(target: ExportTarget, row: &Value) -> std::result::Result<Vec<Message>, String> {
    use crate::export::{alpaca, messages_of, sharegpt, trl};
    let (messages, layout) = match target {
        ExportTarget::Hf | ExportTarget::Messages | ExportTarget::Axolotl => {
            (messages_of(row), "a \"messages\" array of {role, content}")
        }
        ExportTarget::Sharegpt | ExportTarget::Llamafactory => (
            sharegpt::to_messages(row),
            "ShareGPT \"conversations\" of {from, value}",
        ),
        ExportTarget::Alpaca => (alpaca::to_messages(row), "Alpaca instruction/output"),
        ExportTarget::Trl => (
            trl::to_messages(row),
            "TRL \"prompt\" and \"completion\" messages",
        ),
    };
    messages.ok_or_else(|| format!("not a {} row: expected {layout}", target_name(target)))
}

fn target_name(target: ExportTarget) -> String {
    serde_json::to_value(target)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `line` of an export in `target`'s layout, rewritten as a chat line (`{"messages": …}`) for the
/// line checks; a line that is not JSON is left as it is (the line checks say so).
pub(super) fn as_chat_line(
    target: ExportTarget,
    line: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    let Ok(row) = serde_json::from_slice::<Value>(line) else {
        return Ok(line.to_vec());
    };
    let messages = messages(target, &row)?;
    serde_json::to_vec(&serde_json::json!({ "messages": messages })).map_err(|e| e.to_string())
}
