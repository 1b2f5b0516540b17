//! `manifest.json`: checksums of everything written and digests of everything read.
//!
//! Takes the file records from the writer, the resolved config and the inputs; gives a manifest that
//! lets anyone verify a version directory (`validate`) and tell which inputs produced it. It never
//! holds a secret: the config names the environment variable of a database URL, not its value.

use std::path::Path;

use serde::Serialize;

use super::writer::FileRecord;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};

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
