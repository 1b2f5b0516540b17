//! `manifest.json`: checksums of everything written and digests of everything read.
//!
//! Takes the file records from the writer, the resolved config and the inputs; gives a manifest that
//! lets anyone verify a version directory and tell which inputs produced it. [`check_files`] is the
//! one verifier: `validate` reports what it finds, every other reader refuses a version that does not
//! verify. A manifest never holds a secret: the config names the environment variable of a database
//! URL, not its value.

use std::io::Read;
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::writer::FileRecord;
use crate::digest::sha256_hex;
pub use crate::digest::InputDigest;
use crate::error::{wording, Error, Result};
use crate::input;
use crate::location::{json_reason, Location};

/// The code that went into the dataset: one digest over every template's code digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDigest {
    /// Where the code came from (`directory …` or `postgres … table schema.table`).
    pub source: String,
    /// Templates whose code is in the dataset.
    pub templates: usize,
    /// SHA-256 over their code digests, in id order.
    pub sha256: String,
}

/// The tool that wrote a version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    /// `template-sft`.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl Tool {
    /// This tool.
    pub fn this() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// A version's `manifest.json`: what wrote it, every file's checksum, the inputs and the config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// What wrote the version.
    pub tool: Tool,
    /// The version's tag.
    pub tag: String,
    /// Every file of the version: name, size, lines, SHA-256.
    pub files: Vec<FileRecord>,
    /// The inputs read (catalog, prompt files), each with its digest.
    pub inputs: Vec<InputDigest>,
    /// The code, as one digest.
    pub code: CodeDigest,
    /// The config the build ran with, as recorded.
    pub config: RecordedConfig,
}

/// The config a version was built with, recorded whole (every key, for provenance; the same JSON
/// as the config serializes to). [`RecordedConfig::settings`] reads the settings that commands
/// reading the version rely on (`eval` scores by the version's gate rules, duration export and
/// frame rate), typed and checked; only the commands that need them ask, so a version written by a
/// newer template-sft with a rule this one does not know can still be validated and reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordedConfig(serde_json::Value);

/// The build settings that reading a version needs.
#[derive(Debug, Clone, Deserialize)]
pub struct BuildSettings {
    /// The quality-gate rules (`[check]`), also what `eval` checks outputs by.
    #[serde(default)]
    pub check: crate::config::GateConfig,
    /// The recorded `[video]` settings.
    #[serde(default)]
    pub video: VideoSettings,
    /// The recorded `[render]` settings a reader needs: what the host app provided.
    #[serde(default)]
    pub render: RenderSettings,
}

/// The `[render]` settings a reader needs: the packages and runtime scenes were rendered with.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RenderSettings {
    /// `render.packages`.
    #[serde(default)]
    pub packages: Vec<String>,
    /// `render.runtime`, as the config named it.
    #[serde(default)]
    pub runtime: Option<String>,
}

/// The `[video]` settings a reader needs: frame rate and the duration export.
#[derive(Debug, Clone, Deserialize)]
pub struct VideoSettings {
    /// `video.fps`.
    #[serde(default = "default_fps")]
    pub fps: std::num::NonZeroU32,
    /// `video.duration_export`.
    #[serde(default = "default_duration_export")]
    pub duration_export: String,
}

impl Default for VideoSettings {
    fn default() -> Self {
        VideoSettings {
            fps: default_fps(),
            duration_export: default_duration_export(),
        }
    }
}

/// 30, the config's default.
fn default_fps() -> std::num::NonZeroU32 {
    std::num::NonZeroU32::MIN.saturating_add(29)
}

fn default_duration_export() -> String {
    crate::config::DEFAULT_DURATION_EXPORT.to_string()
}

impl RecordedConfig {
    /// Record `config` as it was built with.
    pub fn of(config: &crate::config::Config) -> Result<RecordedConfig> {
        serde_json::to_value(config)
            .map(RecordedConfig)
            .map_err(|e| Error::serialize("manifest.json", e))
    }

    /// The build settings, typed; the error says what is wrong with them.
    pub fn settings(&self) -> std::result::Result<BuildSettings, String> {
        BuildSettings::deserialize(&self.0).map_err(|e| e.to_string())
    }
}

/// What every manifest (a build's or an export's) lists: its files.
#[derive(Debug, Deserialize)]
struct Listing {
    files: Vec<FileRecord>,
}

/// How a version directory differs from its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Listed, but not a regular file inside the directory.
    Missing {
        /// The file's name in the version.
        name: String,
    },
    /// Its SHA-256 is not the one listed.
    Sha256 {
        /// The file's name in the version.
        name: String,
    },
    /// Its size is not the one listed.
    Bytes {
        /// The file's name in the version.
        name: String,
        /// The size the manifest lists.
        listed: u64,
        /// The size on disk.
        actual: u64,
    },
    /// Its line count is not the one listed.
    Lines {
        /// The file's name in the version.
        name: String,
        /// The line count the manifest lists.
        listed: u64,
        /// The lines in the file.
        actual: u64,
    },
    /// A file in the directory the manifest does not list.
    Unlisted {
        /// The file's name in the version.
        name: String,
    },
}

impl Mismatch {
    /// The file's name in the version.
    pub fn name(&self) -> &str {
        match self {
            Mismatch::Missing { name }
            | Mismatch::Sha256 { name }
            | Mismatch::Bytes { name, .. }
            | Mismatch::Lines { name, .. }
            | Mismatch::Unlisted { name } => name,
        }
    }

    /// The difference, in a sentence.
    pub fn reason(&self) -> String {
        match self {
            Mismatch::Missing { .. } => "listed in the manifest but missing".into(),
            Mismatch::Sha256 { .. } => "SHA-256 differs from the manifest".into(),
            Mismatch::Bytes { listed, actual, .. } => {
                format!("{actual} bytes; the manifest says {listed}")
            }
            Mismatch::Lines { listed, actual, .. } => {
                format!("{actual} lines; the manifest says {listed}")
            }
            Mismatch::Unlisted { .. } => "not listed in the manifest".into(),
        }
    }
}

/// SHA-256 (hex), size and newline count of a regular file, streamed.
pub fn digest(path: &Path) -> Result<(String, u64, u64)> {
    let mut file = input::open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::read(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    Ok((hex::encode(hasher.finalize()), bytes, lines))
}

/// The manifest bytes of `dir` and its file list.
fn listing(dir: &Path) -> Result<(Vec<u8>, Vec<FileRecord>)> {
    let path = dir.join("manifest.json");
    let bytes = input::read_capped(&path, input::SMALL_FILE_LIMIT)?;
    let listing: Listing = serde_json::from_slice(&bytes).map_err(|e| {
        wording::not_a(
            Location::at(&path, e.line(), e.column()),
            "a template-sft manifest",
            json_reason(&e),
        )
    })?;
    Ok((bytes, listing.files))
}

/// Read a build's `manifest.json`, typed, and the SHA-256 of its bytes (which identifies the version).
pub fn read(dir: &Path) -> Result<(Manifest, String)> {
    let path = dir.join("manifest.json");
    let bytes = input::read_capped(&path, input::SMALL_FILE_LIMIT)?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        wording::not_a(
            Location::at(&path, e.line(), e.column()),
            "a build's manifest",
            json_reason(&e),
        )
    })?;
    Ok((manifest, sha256_hex(&bytes)))
}

/// What [`check_files`] found: every difference, and the line count of each listed file it read.
#[derive(Debug, Default)]
pub struct Checked {
    /// Every difference found.
    pub mismatches: Vec<Mismatch>,
    /// Lines counted per file read, by file name.
    pub lines: std::collections::HashMap<String, u64>,
}

/// Every difference between `dir` and its manifest: listed files missing or changed (SHA-256, size,
/// lines), and files present but not listed (in the directory and its subdirectories).
pub fn check_files(dir: &Path) -> Result<Checked> {
    let (_, files) = listing(dir)?;
    let mut checked = Checked::default();
    let found = &mut checked.mismatches;
    let mut listed = std::collections::BTreeSet::new();
    for record in &files {
        let name = record.name.as_str();
        listed.insert(name.to_string());
        let file = dir.join(name);
        // Names are relative paths inside the directory (`data/train.jsonl`), never a way out of it.
        let inside = !name.is_empty()
            && !name.contains('\\')
            && Path::new(name)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        let regular = std::fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_file());
        if !inside || !regular {
            found.push(Mismatch::Missing { name: name.into() });
            continue;
        }
        let (sha, bytes, lines) = digest(&file)?;
        checked.lines.insert(name.to_string(), lines);
        if sha != record.sha256 {
            found.push(Mismatch::Sha256 { name: name.into() });
        }
        if bytes != record.bytes {
            found.push(Mismatch::Bytes {
                name: name.into(),
                listed: record.bytes,
                actual: bytes,
            });
        }
        if lines != record.lines {
            found.push(Mismatch::Lines {
                name: name.into(),
                listed: record.lines,
                actual: lines,
            });
        }
    }
    let mut present = Vec::new();
    list_files(dir, "", &mut present)?;
    present.sort();
    for name in present {
        // The staging marker can outlive a commit interrupted right after its rename; it holds
        // nothing and no reader opens it.
        if name == super::writer::MARKER {
            continue;
        }
        if name != "manifest.json" && !listed.contains(&name) {
            found.push(Mismatch::Unlisted { name });
        }
    }
    Ok(checked)
}

/// Every entry under `dir` (relative names with `/`), directories descended into, symlinks listed
/// as entries (never followed).
fn list_files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<()> {
    let here = dir.join(prefix);
    for entry in std::fs::read_dir(&here).map_err(|e| Error::read(&here, e))? {
        let entry = entry.map_err(|e| Error::read(&here, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            out.push(format!("{prefix}{}", entry.file_name().to_string_lossy()));
            continue;
        };
        let rel = format!("{prefix}{name}");
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            list_files(dir, &format!("{rel}/"), out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}

/// Check `dir` against its manifest; the first difference is an error. Gives the SHA-256 of the
/// manifest itself, which identifies the version.
pub fn verify(dir: &Path) -> Result<String> {
    let (bytes, _) = listing(dir)?;
    if let Some(m) = check_files(dir)?.mismatches.into_iter().next() {
        return Err(wording::does_not_verify(&dir.join(m.name()), m.reason()));
    }
    Ok(sha256_hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_settings_are_typed_defaulted_and_refused_when_wrong() {
        let settings = |config: &str| {
            serde_json::from_str::<RecordedConfig>(config)
                .unwrap()
                .settings()
                .map(|s| {
                    (
                        s.video.fps.get(),
                        s.video.duration_export,
                        s.check.no_fences,
                    )
                })
        };
        let (fps, export, no_fences) = settings("{}").unwrap();
        assert_eq!(
            (fps, export.as_str(), no_fences),
            (30, "durationInFrames", true)
        );
        let (fps, export, no_fences) = settings(
            r#"{"video": {"fps": 24, "duration_export": "durationInFrames_x7"}, "check": {"no_fences": false}, "other": 1}"#,
        )
        .unwrap();
        assert_eq!(
            (fps, export.as_str(), no_fences),
            (24, "durationInFrames_x7", false)
        );
        let zero = settings(r#"{"video": {"fps": 0}}"#).unwrap_err();
        assert!(zero.contains("nonzero"), "{zero}");
        let wrong = settings(r#"{"check": {"no_fences": "yes"}}"#).unwrap_err();
        assert!(wrong.contains("invalid type"), "{wrong}");
        // A rule from a newer template-sft: the manifest still reads, its settings say why not.
        let newer: RecordedConfig = serde_json::from_str(r#"{"check": {"shiny": true}}"#).unwrap();
        assert!(newer.settings().unwrap_err().contains("shiny"));
        // Written back exactly as recorded, unknown keys included.
        let c: RecordedConfig = serde_json::from_str(r#"{"other":1,"video":{"fps":24}}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"other":1,"video":{"fps":24}}"#
        );
    }
}
