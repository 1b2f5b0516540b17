//! `manifest.json`: checksums of everything written and digests of everything read.
//!
//! Takes the file records from the writer, the resolved config and the inputs; gives a manifest that
//! lets anyone verify a version directory (`validate`) and tell which inputs produced it. It never
//! holds a secret: the config names the environment variable of a database URL, not its value.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::writer::FileRecord;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::location::Location;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputDigest {
    /// `config`, `catalog`, `prompts`, `overrides`.
    pub kind: &'static str,
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

impl InputDigest {
    /// Digest the file at `path`, recorded under `display`.
    pub fn of_file(kind: &'static str, path: &Path, display: String) -> Result<InputDigest> {
        let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
        Ok(InputDigest {
            kind,
            path: display,
            sha256: sha256_hex(&bytes),
            bytes: bytes.len() as u64,
        })
    }
}

/// The code that went into the dataset: one digest over every template's code digest.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDigest {
    pub source: String,
    pub templates: usize,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub tool: Tool,
    pub tag: String,
    pub files: Vec<FileRecord>,
    pub inputs: Vec<InputDigest>,
    pub code: CodeDigest,
    pub config: serde_json::Value,
}

impl Manifest {
    pub fn tool() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// SHA-256 (hex), size and newline count of a file, streamed.
pub fn digest(path: &Path) -> Result<(String, u64, u64)> {
    let mut file = File::open(path).map_err(|e| Error::read(path, e))?;
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

/// Check every file the manifest in `dir` lists (SHA-256, size, lines); the first difference is an
/// error. Gives the SHA-256 of the manifest itself, which identifies the version.
pub fn verify(dir: &Path) -> Result<String> {
    let path = dir.join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|e| Error::read(&path, e))?;
    let manifest: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::input(
            Location::at(&path, e.line(), e.column()),
            format!("manifest is not valid JSON: {e}"),
        )
    })?;
    let files = manifest
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::input(Location::file(&path), "manifest has no \"files\" list"))?;
    for record in files {
        let name = record.get("name").and_then(Value::as_str).unwrap_or("");
        let file = dir.join(name);
        let bad = |why: String| {
            Error::input(Location::file(&file), format!("{why}; the manifest does not verify, so this version was changed or damaged after it was built"))
        };
        // Names are relative paths inside the directory (`data/train.jsonl`), never a way out of it.
        let inside = Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if name.is_empty() || !inside || name.contains('\\') || !file.is_file() {
            return Err(bad("listed in the manifest but missing".into()));
        }
        let (sha, size, lines) = digest(&file)?;
        if record.get("sha256").and_then(Value::as_str) != Some(sha.as_str()) {
            return Err(bad("SHA-256 differs from the manifest".into()));
        }
        if record.get("bytes").and_then(Value::as_u64) != Some(size)
            || record.get("lines").and_then(Value::as_u64) != Some(lines)
        {
            return Err(bad("size or line count differs from the manifest".into()));
        }
    }
    Ok(sha256_hex(&bytes))
}
