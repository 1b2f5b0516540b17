//! Reading a version directory back: stats, per-example meta, and full examples.
//!
//! Takes a directory written by `build`; gives `stats.json` as JSON, the `meta` of every example
//! (streamed from `{split}.meta.jsonl`), and full examples on demand. `report`, `diff` and `export`
//! read through here, so they agree on what a dataset holds. Errors name the file and line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::location::Location;
use crate::split::Split;

/// The `meta` fields the readers use (the rest of meta is ignored).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub template_id: String,
    #[serde(default)]
    pub db_id: Option<String>,
    pub format: String,
    pub prompt_variant: String,
    pub prompt_origin: String,
    pub code_sha256: String,
    #[serde(default)]
    pub tokens: Option<u64>,
    #[serde(default)]
    pub assistant_tokens: Option<u64>,
}

impl Meta {
    /// The identity of an example across versions: template, prompt variant, format.
    pub fn key(&self) -> (String, String, String) {
        (
            self.template_id.clone(),
            self.prompt_variant.clone(),
            self.format.clone(),
        )
    }
}

/// One chat message.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// A full example line: messages and meta.
#[derive(Debug, Clone, Deserialize)]
pub struct FullExample {
    pub messages: Vec<Message>,
    pub meta: Meta,
}

impl FullExample {
    pub fn content(&self, role: &str) -> &str {
        self.messages
            .iter()
            .find(|m| m.role == role)
            .map_or("", |m| m.content.as_str())
    }
}

/// A version directory.
pub struct VersionDir {
    pub path: PathBuf,
}

impl VersionDir {
    /// `path` must hold `stats.json`: anything else is not a build output.
    pub fn open(path: &Path) -> Result<VersionDir> {
        if !path.join("stats.json").is_file() {
            return Err(Error::input(
                Location::file(path),
                "not a dataset directory written by `template-sft build` (no stats.json)",
            ));
        }
        Ok(VersionDir {
            path: path.to_path_buf(),
        })
    }

    pub fn stats(&self) -> Result<Value> {
        let path = self.path.join("stats.json");
        let bytes = std::fs::read(&path).map_err(|e| Error::read(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::input(
                Location::at(&path, e.line(), e.column()),
                format!("stats.json is not valid JSON: {e}"),
            )
        })
    }

    /// Call `each` with every example's meta of `split`, in file order.
    pub fn for_each_meta(&self, split: Split, mut each: impl FnMut(Meta)) -> Result<()> {
        self.lines(
            &format!("{}.meta.jsonl", split.name()),
            |path, line, text| {
                #[derive(Deserialize)]
                struct Line {
                    meta: Meta,
                }
                let parsed: Line = serde_json::from_str(text).map_err(|e| {
                    Error::input(Location::line(path, line), format!("not a meta line: {e}"))
                })?;
                each(parsed.meta);
                Ok(true)
            },
        )
    }

    /// Call `each` with full examples of `split` until it returns false.
    pub fn for_each_example(
        &self,
        split: Split,
        mut each: impl FnMut(FullExample) -> bool,
    ) -> Result<()> {
        self.lines(&format!("{}.jsonl", split.name()), |path, line, text| {
            let parsed: FullExample = serde_json::from_str(text).map_err(|e| {
                Error::input(
                    Location::line(path, line),
                    format!("not an example line: {e}"),
                )
            })?;
            Ok(each(parsed))
        })
    }

    fn lines(
        &self,
        name: &str,
        mut each: impl FnMut(&Path, usize, &str) -> Result<bool>,
    ) -> Result<()> {
        let path = self.path.join(name);
        let file = File::open(&path).map_err(|e| Error::read(&path, e))?;
        for (i, line) in BufReader::with_capacity(1 << 20, file).lines().enumerate() {
            let line = line.map_err(|e| Error::read(&path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            if !each(&path, i + 1, &line)? {
                break;
            }
        }
        Ok(())
    }
}
