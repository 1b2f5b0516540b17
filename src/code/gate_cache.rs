//! The quality gate's verdicts, remembered between builds.
//!
//! Parsing, tokenizing and signing every template is where a cold build spends its time, and
//! rebuilds mostly see the same code. Takes the output root, the `[check]` rules, the encoding and
//! the duration export; gives what an earlier build decided and computed for each code body (by
//! SHA-256 of its bytes as fetched): passed with N tokens, a duration and (when the build clustered
//! near-copies) its near-copy signature, or rejected by a rule with a message. The file is
//! `<output root>/.template-sft-cache/gate.jsonl`; its first line is the key (tool version, encoding,
//! rules, duration export), and a file with another key, or one that cannot be read, is simply not
//! used. It is rewritten after each successful build with that build's verdicts only, so it never
//! grows stale.
//!
//! A cache must never let through code the gate would reject, nor write where it should not:
//! every record carries a checksum over the key and the record, and one record that does not match
//! (a hand edit, a torn write) voids the whole file, so everything is checked again; the temporary
//! file is created exclusively under a fresh name (never following a planted symlink) and renamed
//! over the old one; a cache folder that is a symlink is not used at all.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::duration::{CodeDuration, DurationExport};
use super::gate::Rule;
use crate::config::GateConfig;
use crate::digest::sha256_hex;
use crate::input::{self, read_line_capped, CappedLine};
use crate::split::near_copy::Signature;
use crate::tokens::Encoding;

/// The longest line read back (a record with a signature is about 2.3 KB).
const MAX_LINE: usize = 64 << 10;

/// What the gate decided for one code body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Verdict {
    Pass {
        tokens: usize,
        duration: CodeDuration,
        /// The code's near-copy signature, when the build that judged it computed one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<Signature>,
    },
    Reject {
        rule: Rule,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<super::duration::CodePos>,
    },
}

#[derive(Serialize, Deserialize)]
struct Entry {
    sha256: String,
    #[serde(flatten)]
    verdict: Verdict,
}

/// One line of the file: a record and the checksum that binds it to the key.
#[derive(Serialize, Deserialize)]
struct Line {
    record: serde_json::Value,
    check: String,
}

pub struct GateCache {
    path: PathBuf,
    key: String,
    known: HashMap<String, Verdict>,
}

/// The checksum of one record under `key`.
fn check(key: &str, record: &str) -> String {
    sha256_hex(format!("{key}\n{record}").as_bytes())
}

impl GateCache {
    pub fn path_in(root: &Path) -> PathBuf {
        root.join(".template-sft-cache").join("gate.jsonl")
    }

    /// The verdicts stored under `root` for these settings (none if anything differs or fails to
    /// check out).
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
        let known = if cache_dir_is_usable(&path) {
            read(&path, &key).unwrap_or_default()
        } else {
            HashMap::new()
        };
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

    /// Drop what was read (after the gate stage, which is the only one that asks): saving needs
    /// only the key.
    pub fn forget(&mut self) {
        self.known = HashMap::new();
    }

    /// Replace the stored verdicts with `entries` (this build's). Failing to save only costs speed
    /// next time, so the error is returned for a warning, never fatal.
    pub fn save<'a>(
        &self,
        entries: impl Iterator<Item = (&'a str, Verdict)>,
    ) -> std::io::Result<()> {
        if self.key.is_empty() {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        if !cache_dir_is_usable(&self.path) {
            return Err(std::io::Error::other(format!(
                "{} is not a plain folder (a symlink?); not writing the cache there",
                dir.display()
            )));
        }
        let (temp, file) = create_temp(dir)?;
        let written = (|| {
            let mut out = std::io::BufWriter::new(file);
            writeln!(out, "{}", self.key)?;
            for (sha256, verdict) in entries {
                // The checksum is over the record's canonical text (keys sorted), as it is read back.
                let record = serde_json::to_value(Entry {
                    sha256: sha256.to_string(),
                    verdict,
                })?;
                let line = serde_json::json!({
                    "check": check(&self.key, &record.to_string()),
                    "record": record,
                });
                serde_json::to_writer(&mut out, &line)?;
                out.write_all(b"\n")?;
            }
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            // rename(2) replaces whatever is at the path (a symlink included) without following it.
            fs::rename(&temp, &self.path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written
    }
}

/// The cache folder exists as a real folder (or not yet at all), not a symlink to elsewhere.
fn cache_dir_is_usable(path: &Path) -> bool {
    let Some(dir) = path.parent() else {
        return false;
    };
    match fs::symlink_metadata(dir) {
        Ok(m) => m.file_type().is_dir(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// Every record of the file, if its key is `key` and every checksum holds. Read line by line: the
/// file of a large catalog is hundreds of megabytes.
fn read(path: &Path, key: &str) -> Option<HashMap<String, Verdict>> {
    let file = input::open_regular(path).ok()?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    let mut first = true;
    let mut known = HashMap::new();
    loop {
        match read_line_capped(&mut reader, &mut buf, MAX_LINE).ok()? {
            CappedLine::Eof => break,
            CappedLine::TooLong(_) => return None,
            CappedLine::Line => {}
        }
        let line = std::str::from_utf8(&buf)
            .ok()?
            .trim_end_matches(['\n', '\r']);
        if first {
            if line != key {
                return None;
            }
            first = false;
            continue;
        }
        let line: Line = serde_json::from_str(line).ok()?;
        let record = serde_json::to_string(&line.record).ok()?;
        if check(key, &record) != line.check {
            // Edited or damaged: trust nothing in it.
            return None;
        }
        let entry: Entry = serde_json::from_str(&record).ok()?;
        known.insert(entry.sha256, entry.verdict);
    }
    (!first).then_some(known)
}

/// A new file under a name nobody can predict, created exclusively (never through a symlink).
fn create_temp(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for attempt in 0..100u32 {
        let seed = crate::digest::seeded_hash(
            nanos as u64 ^ u64::from(std::process::id()),
            &[&attempt.to_string()],
        );
        let temp = dir.join(format!(".gate.{seed:016x}.tmp"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(root: &Path) -> GateCache {
        GateCache::open(
            root,
            &GateConfig::default(),
            Encoding::O200k,
            &DurationExport::new("durationInFrames"),
        )
    }

    fn reject() -> Verdict {
        Verdict::Reject {
            rule: Rule::Parse,
            message: "line 1:1: bad".into(),
            at: None,
        }
    }

    #[test]
    fn verdicts_round_trip_and_an_edited_record_voids_the_file() {
        let root = tempfile::tempdir().unwrap();
        let pass = Verdict::Pass {
            tokens: 12,
            duration: CodeDuration::NoExport,
            signature: crate::split::near_copy::signature(b"const a = one two three;"),
        };
        let bad = reject();
        cache(root.path())
            .save([("aa", pass.clone()), ("bb", bad.clone())].into_iter())
            .unwrap();
        let again = cache(root.path());
        assert_eq!(again.get("aa"), Some(&pass));
        assert_eq!(again.get("bb"), Some(&bad));
        // Someone turns the rejection into a pass by hand.
        let path = GateCache::path_in(root.path());
        let text = fs::read_to_string(&path).unwrap();
        let edited = text.replace(
            r#"{"message":"line 1:1: bad","rule":"parse","sha256":"bb"}"#,
            r#"{"duration":{"kind":"noExport"},"sha256":"bb","tokens":3}"#,
        );
        assert_ne!(edited, text, "{text}");
        fs::write(&path, edited).unwrap();
        let edited = cache(root.path());
        assert_eq!(edited.get("bb"), None);
        assert_eq!(edited.get("aa"), None);
    }

    #[test]
    fn a_planted_symlink_is_replaced_never_written_through() {
        let root = tempfile::tempdir().unwrap();
        let victim = root.path().join("victim.txt");
        fs::write(&victim, "precious").unwrap();
        let dir = root.path().join("out/.template-sft-cache");
        fs::create_dir_all(&dir).unwrap();
        // Symlinks at the final name and at names a predictable temp file would have had.
        std::os::unix::fs::symlink(&victim, dir.join("gate.jsonl")).unwrap();
        std::os::unix::fs::symlink(
            &victim,
            dir.join(format!(".gate.{}.tmp", std::process::id())),
        )
        .unwrap();
        cache(&root.path().join("out"))
            .save([("aa", reject())].into_iter())
            .unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!fs::symlink_metadata(dir.join("gate.jsonl"))
            .unwrap()
            .file_type()
            .is_symlink());
        // A cache folder that is itself a symlink is not used.
        let elsewhere = root.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::create_dir(root.path().join("b")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.path().join("b/.template-sft-cache")).unwrap();
        assert!(cache(&root.path().join("b"))
            .save([("aa", reject())].into_iter())
            .is_err());
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    }
}
