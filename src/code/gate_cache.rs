//! The quality gate's verdicts, remembered between builds.
//!
//! Parsing and tokenizing every template is where a cold build spends its time, and rebuilds mostly
//! see the same code. Takes the output root, the `[check]` rules and the encoding; gives what an
//! earlier build decided for each code body (by SHA-256 of its bytes as fetched): passed with N
//! tokens, or rejected by a rule with a message. The file is `<output root>/.template-sft-cache/
//! gate.jsonl`; its first line is the key (tool version, encoding, rules), and a file with another
//! key, or one that cannot be read, is simply not used. It is rewritten (temporary name, then
//! rename) after each successful build with that build's verdicts only, so it never grows stale.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::duration::{CodeDuration, DurationExport};
use super::gate::Rule;
use crate::config::GateConfig;
use crate::tokens::Encoding;

/// What the gate decided for one code body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Verdict {
    Pass {
        tokens: usize,
        duration: CodeDuration,
    },
    Reject {
        rule: Rule,
        message: String,
    },
}

#[derive(Serialize, Deserialize)]
struct Entry {
    sha256: String,
    #[serde(flatten)]
    verdict: Verdict,
}

pub struct GateCache {
    path: PathBuf,
    key: String,
    known: HashMap<String, Verdict>,
}

impl GateCache {
    pub fn path_in(root: &Path) -> PathBuf {
        root.join(".template-sft-cache").join("gate.jsonl")
    }

    /// The verdicts stored under `root` for these rules and this encoding (none if anything differs).
    pub fn open(
        root: &Path,
        rules: &GateConfig,
        encoding: Encoding,
        duration_export: &DurationExport,
    ) -> GateCache {
        let key = serde_json::json!({
            "tool": env!("CARGO_PKG_VERSION"),
            "encoding": encoding.name(),
            "rules": rules,
            "durationExport": duration_export.pattern,
        })
        .to_string();
        let path = GateCache::path_in(root);
        let mut known = HashMap::new();
        if let Ok(text) = fs::read_to_string(&path) {
            let mut lines = text.lines();
            if lines.next() == Some(key.as_str()) {
                for line in lines {
                    match serde_json::from_str::<Entry>(line) {
                        Ok(entry) => {
                            known.insert(entry.sha256, entry.verdict);
                        }
                        // A damaged cache is worth nothing: start over.
                        Err(_) => {
                            known.clear();
                            break;
                        }
                    }
                }
            }
        }
        GateCache { path, key, known }
    }

    /// An empty cache that remembers nothing (`--no-cache`).
    pub fn disabled() -> GateCache {
        GateCache {
            path: PathBuf::new(),
            key: String::new(),
            known: HashMap::new(),
        }
    }

    pub fn get(&self, sha256: &str) -> Option<&Verdict> {
        self.known.get(sha256)
    }

    /// Replace the stored verdicts with `entries` (this build's). Failing to save only costs speed
    /// next time, so the error is returned for a warning, never fatal.
    pub fn save<'a>(
        &self,
        entries: impl Iterator<Item = (&'a str, &'a Verdict)>,
    ) -> std::io::Result<()> {
        if self.key.is_empty() {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let temp = dir.join(format!(".gate.{}.tmp", std::process::id()));
        let mut out = std::io::BufWriter::new(fs::File::create(&temp)?);
        writeln!(out, "{}", self.key)?;
        for (sha256, verdict) in entries {
            let entry = Entry {
                sha256: sha256.to_string(),
                verdict: verdict.clone(),
            };
            serde_json::to_writer(&mut out, &entry)?;
            out.write_all(b"\n")?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&temp, &self.path)
    }
}
