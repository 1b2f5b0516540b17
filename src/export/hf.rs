//! `--to hf`: a folder `datasets.load_dataset(OUT)` loads with its splits by name.
//!
//! `data/{split}.jsonl` hold the full records (`messages` and `meta`); `README.md` is a dataset card
//! whose YAML header declares the default config's data files per split, and whose body summarizes the
//! dataset from `stats.json`: counts, tokens, formats, how it was built, the seed and the manifest
//! digest.

use std::fmt::Write;

use serde_json::Value;

use super::Source;
use crate::dataset::reader::Message;
use crate::dataset::writer::{FileRecord, Staging};
use crate::error::Result;
use crate::report::thousands;

pub fn write(source: &Source, staging: &Staging) -> Result<Vec<FileRecord>> {
    staging.create_dir("data")?;
    let mut files = Vec::new();
    for split in source.splits() {
        let name = split.name();
        files.push(super::copy(
            source,
            staging,
            &format!("{name}.jsonl"),
            &format!("data/{name}.jsonl"),
        )?);
    }
    files.push(staging.write_small("README.md", card(source).as_bytes())?);
    Ok(files)
}

/// Messages of an exported line.
pub fn to_messages(record: &Value) -> Option<Vec<Message>> {
    serde_json::from_value(record.get("messages")?.clone()).ok()
}

fn card(source: &Source) -> String {
    let st = &source.stats;
    let num = |p: &str| st.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let text = |p: &str| {
        st.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let mut c = String::from("---\nconfigs:\n- config_name: default\n  data_files:\n");
    for split in source.splits() {
        let _ = writeln!(c, "  - split: {0}\n    path: data/{0}.jsonl", split.name());
    }
    let size = match num("/totals/all") {
        n if n < 1_000 => "n<1K",
        n if n < 10_000 => "1K<n<10K",
        n if n < 100_000 => "10K<n<100K",
        _ => "100K<n<1M",
    };
    let _ = write!(
        c,
        "task_categories:\n- text-generation\ntags:\n- sft\n- code\n- template-sft\nsize_categories:\n- {size}\n---\n\n"
    );
    let _ = writeln!(c, "# {}\n", text("/tag"));
    let _ = writeln!(
        c,
        "Supervised fine-tuning data: a plain-language brief (user) and the production template code that\n\
         answers it (assistant), after a fixed system message. Built by template-sft {} on {}.\n",
        text("/toolVersion"),
        text("/generatedAt")
    );
    let _ = writeln!(c, "| split | examples | templates | tokens | median tokens | max tokens |\n|---|---|---|---|---|---|");
    for split in ["train", "validation", "test"] {
        let _ = writeln!(
            c,
            "| {split} | {} | {} | {} | {} | {} |",
            num(&format!("/totals/{split}")),
            num(&format!("/templatesPerSplit/{split}")),
            thousands(num(&format!("/tokens/{split}/totalTokens"))),
            num(&format!("/tokens/{split}/median")),
            num(&format!("/tokens/{split}/max")),
        );
    }
    let formats = breakdown(st, "/briefs/byFormat");
    let origins = breakdown(st, "/briefs/byOrigin");
    let _ = write!(
        c,
        "\n## How it was built\n\n\
         - {} templates covered of {} processed; every brief states a video format the template supports and its duration.\n\
         - Formats: {formats}. Brief origins: {origins}.\n\
         - Split: `{}` mode with seed {} (all examples of a template in one split in `template` mode).\n\
         - Tokens counted for `{}` ({}); trained tokens at the default epoch count: {}.\n\
         - Source manifest SHA-256: `{}`.\n\n\
         ## Fields\n\n\
         - `messages`: `[system, user, assistant]` chat messages.\n\
         - `meta`: `templateId`, `dbId`, `duration` (frames), `fps`, `supportedFormats`, `format`, `promptVariant`, `promptOrigin`, `promptSource`, `codeSha256`, `codeOrigin`, `split`, `tokens`, `assistantTokens`.\n\n\
         ```python\nfrom datasets import load_dataset\ndata = load_dataset(\"path/to/this/folder\")\nprint(data[\"train\"][0][\"messages\"][1][\"content\"])\n```\n",
        num("/uniqueTemplatesCovered"),
        num("/templatesProcessed"),
        text("/splitMode"),
        num("/seed"),
        text("/tokens/model"),
        text("/tokens/encoding"),
        thousands(num("/tokens/trainedEstimate/trainedTokens")),
        source.manifest_sha256,
    );
    c
}

/// `{"a": 1, "b": 2}` at `pointer` → "a 1, b 2".
fn breakdown(stats: &Value, pointer: &str) -> String {
    stats
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}
