//! `export`: hand a dataset version to the trainers people use.
//!
//! Takes a version directory (whose manifest must verify), a target, an output path and
//! [`ExportOptions`]; gives a new directory in the target's layout, with the split names kept and
//! its own `manifest.json`, and the export's warnings. The trainer targets (`llamafactory`,
//! `axolotl`, `trl`) add a ready-to-run config whose sequence length holds every example
//! ([`trainer::Plan`]); the plain layouts warn where a trainer's default length would drop or cut
//! examples. The output follows `build`'s versioning rule: `OUT` if free, else `OUT-1`, `OUT-2`, …
//! (with a warning saying so), written under a temporary name and renamed into place, so nothing
//! existing is overwritten and two exports at once never collide. Every path a config holds is
//! relative to the export's folder, so an export can be copied to the machine that trains.
//! Conversions are per line and streamed; each target module also holds the inverse
//! (`to_messages`) used by the round-trip tests.

pub mod alpaca;
pub mod axolotl;
pub mod hf;
pub mod llamafactory;
pub mod messages;
pub mod sharegpt;
pub mod trainer;
pub mod trl;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::config::check_tag;
use crate::dataset::example::{ExampleLine, Message};
use crate::dataset::manifest::Tool;
use crate::dataset::version::Version;
use crate::dataset::writer::{refuse_inside_version, FileRecord, Staging};
use crate::error::{wording, Error, Result};
use crate::split::Split;

/// The layouts `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ExportTarget {
    /// A Hugging Face `datasets` folder: data/{split}.jsonl and a dataset card with the splits.
    Hf,
    /// ShareGPT `conversations` (from/value) with a LLaMA-Factory dataset_info.json.
    Sharegpt,
    /// Alpaca instruction/input/output (+ system) with a LLaMA-Factory dataset_info.json.
    Alpaca,
    /// OpenAI-style messages JSONL, with Axolotl and TRL snippets in a README.
    Messages,
    /// ShareGPT with dataset_info.json and a ready-to-run llamafactory_sft.yaml.
    Llamafactory,
    /// Messages JSONL with a ready-to-run axolotl.yaml.
    Axolotl,
    /// Prompt/completion JSONL for TRL with a train_sft.py (SFTConfig with max_length).
    Trl,
}

impl ExportTarget {
    /// The trainers a layout without a config is for, whose default lengths its warnings name:
    /// ShareGPT and Alpaca with their `dataset_info.json` are LLaMA-Factory's, messages are
    /// Axolotl's and TRL's, a Hugging Face folder anyone's.
    pub fn audience(self) -> &'static [crate::tokens::lengths::Trainer] {
        use crate::tokens::lengths::{AXOLOTL, LLAMA_FACTORY, TRAINERS, TRL};
        const LF: [crate::tokens::lengths::Trainer; 1] = [LLAMA_FACTORY];
        const CHAT: [crate::tokens::lengths::Trainer; 2] = [AXOLOTL, TRL];
        match self {
            ExportTarget::Sharegpt | ExportTarget::Alpaca => &LF,
            ExportTarget::Messages => &CHAT,
            ExportTarget::Hf => &TRAINERS,
            ExportTarget::Llamafactory | ExportTarget::Axolotl | ExportTarget::Trl => &[],
        }
    }

    /// The trainer whose config this target writes, and the config's file name, if any. Every
    /// target is named: a new one does not compile until it says.
    pub fn configures(self) -> Option<(crate::tokens::lengths::Trainer, &'static str)> {
        use crate::tokens::lengths::{AXOLOTL, LLAMA_FACTORY, TRL};
        match self {
            ExportTarget::Llamafactory => Some((LLAMA_FACTORY, llamafactory::CONFIG)),
            ExportTarget::Axolotl => Some((AXOLOTL, axolotl::CONFIG)),
            ExportTarget::Trl => Some((TRL, trl::SETTINGS)),
            ExportTarget::Hf
            | ExportTarget::Sharegpt
            | ExportTarget::Alpaca
            | ExportTarget::Messages => None,
        }
    }
}

/// What an export needs beyond its source, target and output.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExportOptions {
    /// `--tokenizer` values: count lengths under these instead of the build's.
    pub tokenizers: Vec<String>,
    /// `--base-model`: the model the trainer configs fine-tune.
    pub base_model: Option<String>,
    /// `--trust-remote-code`: let the trainer run code that comes with the model (none of the
    /// model families the configs name needs it).
    pub trust_remote_code: bool,
}

/// What an export wrote, and what it warns about.
#[derive(Debug)]
#[non_exhaustive]
pub struct Exported {
    /// Where the export was written (the name asked for, or the next free one).
    pub path: PathBuf,
    /// What the export noticed (a name taken, estimated lengths, no base model).
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
}

/// What every target's manifest records.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportManifest<'a> {
    tool: Tool,
    target: ExportTarget,
    source: SourceRef<'a>,
    files: Vec<FileRecord>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceRef<'a> {
    path: &'a str,
    tag: &'a str,
    manifest_sha256: &'a str,
}

/// `target` as a path relative to the folder `from` (`../../dataset/v1`), so that an export's
/// manifest names its source without the user's absolute paths; `target`'s folder name when the two
/// share no root.
fn relative_to(from: &Path, target: &Path) -> String {
    use std::path::Component;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let normal = |p: &Path| -> Vec<std::ffi::OsString> {
        let mut parts = Vec::new();
        for c in absolute(p).components() {
            match c {
                Component::ParentDir => {
                    parts.pop();
                }
                Component::Normal(part) => parts.push(part.to_os_string()),
                Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            }
        }
        parts
    };
    let (from, to) = (normal(from), normal(target));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to
            .last()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    let mut out = std::path::PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to[common..] {
        out.push(part);
    }
    out.display().to_string()
}

/// The source of an export, verified.
pub struct Source {
    pub dir: Version,
    /// SHA-256 of the source's manifest.json: identifies exactly which build this is.
    pub manifest_sha256: String,
}

impl Source {
    /// Splits that hold at least one example, in order.
    pub fn splits(&self) -> Vec<Split> {
        self.dir.splits()
    }

    pub fn tag(&self) -> &str {
        &self.dir.stats.tag
    }

    /// The version's folder name (`v1`, `v1-2`): unique among the versions of an output root.
    pub fn version_name(&self) -> String {
        self.dir
            .path
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| self.tag().to_string())
    }
}

/// Where an export is being written, and the lengths its configs use.
pub struct Out<'a> {
    pub source: &'a Source,
    pub staging: &'a Staging,
    pub plan: &'a trainer::Plan,
    pub trust_remote_code: bool,
}

impl Out<'_> {
    /// Where a file of the export is while it is being written (for messages).
    pub fn staging_path(&self, name: &str) -> PathBuf {
        self.staging.path().join(name)
    }
}

/// Export `dir` to `out` in `target`'s layout; gives the directory written and the warnings.
pub fn export(
    dir: &Path,
    target: ExportTarget,
    out: &Path,
    options: &ExportOptions,
) -> Result<Exported> {
    let version = Version::open(dir)?;
    let source = Source {
        manifest_sha256: version.manifest_sha256.clone().unwrap_or_default(),
        dir: version,
    };
    let plan = plan(&source, options)?;
    let name = out.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        wording::bad_option(
            &out.display().to_string(),
            "the output needs a directory name",
        )
    })?;
    check_tag(name).map_err(|why| wording::bad_name("output name", why))?;
    refuse_inside_version(out)?;
    let root = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = Staging::begin(root, name)?;
    let to = Out {
        source: &source,
        staging: &staging,
        plan: &plan,
        trust_remote_code: options.trust_remote_code,
    };
    let files = match target {
        ExportTarget::Hf => hf::write(&source, &staging)?,
        ExportTarget::Sharegpt => sharegpt::write(&source, &staging)?,
        ExportTarget::Alpaca => alpaca::write(&source, &staging)?,
        ExportTarget::Messages => messages::write(&to)?,
        ExportTarget::Llamafactory => llamafactory::write(&to)?,
        ExportTarget::Axolotl => axolotl::write(&to)?,
        ExportTarget::Trl => trl::write(&to)?,
    };
    let mut warnings = plan.warnings(target.configures(), target.audience());
    let manifest = ExportManifest {
        tool: Tool::this(),
        target,
        source: SourceRef {
            path: &relative_to(&root.join(name), dir),
            tag: source.tag(),
            manifest_sha256: &source.manifest_sha256,
        },
        files,
    };
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Error::serialize("manifest.json", e))?;
    staging.write_small("manifest.json", &json)?;
    let written = staging.commit()?;
    // `out` without a folder is written in "."; report it as the user named it.
    let path = match written.strip_prefix(".") {
        Ok(relative) if out.parent().is_none_or(|p| p.as_os_str().is_empty()) => {
            relative.to_path_buf()
        }
        _ => written,
    };
    if path.file_name() != out.file_name() {
        warnings.push(crate::diagnostic::warning::name_taken(out, &path));
    }
    Ok(Exported { path, warnings })
}

/// The lengths the export works from: counted under `--tokenizer`, else the build's model
/// tokenizers, else the build's OpenAI-encoding counts (an estimate for open-weight models).
fn plan(source: &Source, options: &ExportOptions) -> Result<trainer::Plan> {
    let base_model = options.base_model.clone();
    if !options.tokenizers.is_empty() {
        let tokenizers = crate::tokens::chat_template::load_all(&options.tokenizers)?;
        let lengths = crate::dataset::lengths::count(&source.dir, &tokenizers)?;
        return Ok(trainer::Plan::new(lengths, false, base_model));
    }
    let built = &source.dir.stats.tokens.tokenizers;
    if !built.is_empty() {
        return Ok(trainer::Plan::new(built.clone(), false, base_model));
    }
    let mut counts = Vec::new();
    for split in source.splits() {
        source.dir.for_each_meta(split, |meta| {
            counts.push((Some(split), meta.tokens, meta.assistant_tokens))
        })?;
    }
    let budget = &source.dir.stats.tokens.budget;
    let lengths = crate::tokens::lengths::TokenizerLengths::new(
        budget.encoding.name(),
        String::new(),
        String::new(),
        None,
        counts.into_iter(),
    );
    Ok(trainer::Plan::new(vec![lengths], true, base_model))
}

/// Write `name` with one converted line per example of `split`.
pub(crate) fn convert(
    source: &Source,
    staging: &Staging,
    split: Split,
    name: &str,
    to_record: impl Fn(&ExampleLine) -> Value,
) -> Result<FileRecord> {
    convert_with(source, staging, split, name, |example, out| {
        serde_json::to_writer(out, &to_record(example))
    })
}

/// [`convert`] for records that serialize themselves (keys in their own order).
pub(crate) fn convert_with(
    source: &Source,
    staging: &Staging,
    split: Split,
    name: &str,
    write: impl Fn(&ExampleLine, &mut dyn Write) -> serde_json::Result<()>,
) -> Result<FileRecord> {
    let mut out = staging.create(name)?;
    let mut error = None;
    source.dir.for_each_example(split, |example| {
        let written = write(&example, &mut out)
            .map_err(std::io::Error::other)
            .and_then(|_| out.write_all(b"\n"));
        match written {
            Ok(()) => true,
            Err(e) => {
                error = Some(Error::write(out.path(), e));
                false
            }
        }
    })?;
    match error {
        Some(e) => Err(e),
        None => out.finish(),
    }
}

/// Copy each split's `{split}.{from}` to `{to_dir}{split}.jsonl` (already in the target's shape).
pub(crate) fn copy_splits(
    source: &Source,
    staging: &Staging,
    from: &str,
    to_dir: &str,
) -> Result<Vec<FileRecord>> {
    if !to_dir.is_empty() {
        staging.create_dir(to_dir.trim_end_matches('/'))?;
    }
    source
        .splits()
        .into_iter()
        .map(|split| {
            let name = split.name();
            copy(
                source,
                staging,
                &format!("{name}.{from}"),
                &format!("{to_dir}{name}.jsonl"),
            )
        })
        .collect()
}

/// The messages of an exported line that keeps OpenAI's `messages` shape (`hf`, `messages`).
pub fn messages_of(record: &Value) -> Option<Vec<Message>> {
    serde_json::from_value(record.get("messages")?.clone()).ok()
}

/// Copy a source file line by line (it is already in the target's shape).
pub(crate) fn copy(source: &Source, staging: &Staging, from: &str, to: &str) -> Result<FileRecord> {
    let path = source.dir.path.join(from);
    let file = std::fs::File::open(&path).map_err(|e| Error::read(&path, e))?;
    let mut out = staging.create(to)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    loop {
        let buf = reader.fill_buf().map_err(|e| Error::read(&path, e))?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        out.write_all(buf)
            .map_err(|e| Error::write(out.path(), e))?;
        reader.consume(n);
    }
    out.finish()
}

/// The system, user and assistant contents of a single-turn example.
pub(crate) fn turns(messages: &[Message]) -> (&str, &str, &str) {
    let content = |role: &str| {
        messages
            .iter()
            .find(|m| m.role == role)
            .map_or("", |m| m.content.as_str())
    };
    (content("system"), content("user"), content("assistant"))
}

/// A split per file (`{split}.jsonl`, one `record` per example) and a LLaMA-Factory
/// `dataset_info.json` whose entry for each split `entry` makes from the file name.
pub(crate) fn write_with_dataset_info(
    source: &Source,
    staging: &Staging,
    record: fn(&ExampleLine) -> Value,
    entry: impl Fn(&str) -> Value,
) -> Result<Vec<FileRecord>> {
    let mut files = Vec::new();
    for split in source.splits() {
        files.push(convert(
            source,
            staging,
            split,
            &format!("{}.jsonl", split.name()),
            record,
        )?);
    }
    files.push(staging.write_small("dataset_info.json", &dataset_info(source, entry))?);
    Ok(files)
}

/// `dataset_info.json` for LLaMA-Factory: one entry per split.
pub(crate) fn dataset_info(source: &Source, entry: impl Fn(&str) -> Value) -> Vec<u8> {
    let mut info = serde_json::Map::new();
    for split in source.splits() {
        let file = format!("{}.jsonl", split.name());
        info.insert(trainer::dataset_name(source, split.name()), entry(&file));
    }
    let mut bytes = serde_json::to_vec_pretty(&Value::Object(info)).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_source_is_recorded_relative_to_the_export() {
        use super::relative_to;
        use std::path::Path;
        assert_eq!(
            relative_to(Path::new("/w/exports/hf"), Path::new("/w/dataset/v1")),
            "../../dataset/v1"
        );
        assert_eq!(
            relative_to(Path::new("out"), Path::new("dataset/v1")),
            "../dataset/v1"
        );
        assert_eq!(
            relative_to(Path::new("/a/x"), Path::new("/a/x/../dataset/v1/")),
            "../dataset/v1"
        );
    }
}
