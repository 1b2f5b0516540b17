//! The quality gate's verdicts, remembered between builds.
//!
//! Parsing, tokenizing and signing every template is where a cold build spends its time, and
//! rebuilds mostly see the same code. Takes the output root, the `[check]` rules, the encoding and
//! the duration export; gives what an earlier build decided and computed for each code body (by
//! SHA-256 of its bytes as fetched): passed with N tokens, a duration and the digest of the code as
//! kept (meta `codeSha256`), or rejected by a rule with a message. Near-copy signatures are not
//! kept: a rebuild computes one from the bytes it reads anyway in less time than reading 2.5 KB of
//! numbers back (a warm families-10k build went from 2.5 s to 1.9 s without them), and a build lets
//! them go once it has clustered. The file is `<output root>/.template-sft-cache/gate.jsonl`,
//! keyed by the build id, encoding, rules and duration export, and checked record by record
//! ([`crate::cache`]: an edited record voids it, so a cache can never whitelist code). It is
//! rewritten after each successful build with that build's verdicts only, so it never grows stale.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::duration::{CodeDuration, DurationExport};
use super::gate::Rule;
use crate::cache::CacheFile;
use crate::config::GateConfig;
use crate::digest::Sha256Digest;
use crate::tokens::Encoding;

/// What the gate decided for one code body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Verdict {
    Pass {
        tokens: usize,
        duration: CodeDuration,
        /// SHA-256 of the code as kept (normalized, trailing whitespace removed): meta
        /// `codeSha256`, remembered so that a rebuild does not hash the code a second time.
        #[serde(rename = "codeSha256")]
        code_sha256: Sha256Digest,
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
    sha256: Sha256Digest,
    #[serde(flatten)]
    verdict: Verdict,
}

pub struct GateCache {
    file: CacheFile,
    known: HashMap<Sha256Digest, Verdict>,
    /// This build's verdicts are exactly the stored ones ([`GateCache::forget`]).
    unchanged: bool,
}

impl GateCache {
    /// The verdicts stored under `root` for these settings (none if anything differs or fails to
    /// check out).
    pub fn open(
        root: &Path,
        rules: &GateConfig,
        encoding: Encoding,
        duration_export: &DurationExport,
        max_syntax_tokens: usize,
    ) -> GateCache {
        // Rendering is judged apart (its own cache): turning it on does not void these verdicts.
        let rules = GateConfig {
            render: false,
            ..rules.clone()
        };
        let key = serde_json::json!({
            "build": crate::BUILD_ID,
            "encoding": encoding.name(),
            "rules": rules,
            "durationExport": duration_export.pattern,
            "maxSyntaxTokens": max_syntax_tokens,
            // The fuel decides what a duration is: other fuel, other verdicts.
            "fuel": super::duration::FUEL,
        })
        .to_string();
        let file = CacheFile::new(root, "gate.jsonl", key);
        let known = file
            .read::<Entry>()
            .into_iter()
            .map(|e| (e.sha256, e.verdict))
            .collect();
        GateCache {
            file,
            known,
            unchanged: false,
        }
    }

    /// An empty cache that remembers nothing (`--no-cache`).
    pub fn disabled() -> GateCache {
        GateCache {
            file: CacheFile::disabled(),
            known: HashMap::new(),
            unchanged: false,
        }
    }

    pub fn get(&self, sha256: &Sha256Digest) -> Option<&Verdict> {
        self.known.get(sha256)
    }

    /// Drop what was read, once the gate stage (the only one that asks) is done: saving needs only
    /// the key. `all_remembered` says whether every verdict of this build came from the cache;
    /// `judged` gives the digests of the code it judged. When the verdicts came from the cache and
    /// it holds no others, this build would save exactly what is stored, so [`GateCache::save`]
    /// leaves the file as it is (a warm rebuild of 10,000 templates spent 0.04 s rewriting it).
    pub fn forget<'d>(
        &mut self,
        all_remembered: bool,
        judged: impl Iterator<Item = &'d Sha256Digest>,
    ) {
        if all_remembered && !self.known.is_empty() {
            let judged: std::collections::HashSet<&Sha256Digest> = judged.collect();
            self.unchanged = judged.len() == self.known.len()
                && judged.iter().all(|sha| self.known.contains_key(sha));
        }
        self.known = HashMap::new();
    }

    /// Replace the stored verdicts with `entries` (this build's), but a duration the wall clock
    /// stopped (the next build may get further); nothing to do when they are the stored ones
    /// ([`GateCache::forget`]). Failing to save only costs speed next time, so the error is
    /// returned for a warning, never fatal.
    pub fn save(
        &self,
        entries: impl Iterator<Item = (Sha256Digest, Verdict)>,
    ) -> std::io::Result<()> {
        if self.unchanged {
            return Ok(());
        }
        self.file.save(
            entries
                .filter(|(_, verdict)| {
                    !matches!(
                        verdict,
                        Verdict::Pass {
                            duration: CodeDuration::NotDeterminable {
                                transient: true,
                                ..
                            },
                            ..
                        }
                    )
                })
                .map(|(sha256, verdict)| Entry { sha256, verdict }),
        )
    }
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
            crate::config::DEFAULT_CODE_MAX_SYNTAX_TOKENS,
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
    fn the_key_is_this_builds_id_not_the_package_version() {
        let root = tempfile::tempdir().unwrap();
        cache(root.path())
            .save([(Sha256Digest::of(b"aa"), reject())].into_iter())
            .unwrap();
        let text =
            std::fs::read_to_string(crate::cache::folder(root.path()).join("gate.jsonl")).unwrap();
        let key: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        // A file under another key is not read (cache.rs): another build's verdicts are void.
        assert_eq!(key["build"], crate::BUILD_ID);
        assert_eq!(crate::BUILD_ID.len(), 32);
        assert!(crate::BUILD_ID.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(key.get("tool").is_none());
    }

    #[test]
    fn a_build_whose_verdicts_all_came_from_the_cache_leaves_the_file_as_it_is() {
        let root = tempfile::tempdir().unwrap();
        let path = crate::cache::folder(root.path()).join("gate.jsonl");
        let (aa, bb) = (Sha256Digest::of(b"aa"), Sha256Digest::of(b"bb"));
        let stored = [(aa, reject()), (bb, reject())];
        cache(root.path()).save(stored.clone().into_iter()).unwrap();
        let before = std::fs::read(&path).unwrap();
        // What a save writes, when it writes: one verdict fewer than stored.
        let one = || [(aa, reject())].into_iter();
        let save_after = |all_remembered: bool, judged: &[Sha256Digest]| {
            let mut cache = cache(root.path());
            cache.forget(all_remembered, judged.iter());
            cache.save(one()).unwrap();
            let after = std::fs::read(&path).unwrap();
            // Put the stored verdicts back for the next case.
            cache_with(root.path(), &stored);
            after
        };
        // Every verdict from the cache, and every stored one used (identical code judged twice
        // counts once): the file is not touched.
        assert_eq!(save_after(true, &[aa, bb, aa]), before);
        // A stored verdict no template used: the save drops it.
        assert_ne!(save_after(true, &[aa]), before);
        // A verdict the gate reached itself: saved.
        assert_ne!(save_after(false, &[aa, bb]), before);
        // Code the cache did not know (it was judged anew): saved.
        let cc = Sha256Digest::of(b"cc");
        assert_ne!(save_after(true, &[aa, bb, cc]), before);
    }

    fn cache_with(root: &Path, entries: &[(Sha256Digest, Verdict)]) {
        cache(root).save(entries.iter().cloned()).unwrap();
    }

    #[test]
    fn verdicts_round_trip_and_an_edited_record_voids_the_file() {
        let root = tempfile::tempdir().unwrap();
        let pass = Verdict::Pass {
            tokens: 12,
            duration: CodeDuration::NoExport,
            code_sha256: Sha256Digest::of(b"a"),
        };
        let bad = reject();
        let (aa, bb) = (Sha256Digest::of(b"aa"), Sha256Digest::of(b"bb"));
        cache(root.path())
            .save([(aa, pass.clone()), (bb, bad.clone())].into_iter())
            .unwrap();
        let again = cache(root.path());
        assert_eq!(again.get(&aa), Some(&pass));
        assert_eq!(again.get(&bb), Some(&bad));
        // Someone turns the rejection into a pass by hand.
        let path = crate::cache::folder(root.path()).join("gate.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replace(
            &format!(r#"{{"message":"line 1:1: bad","rule":"parse","sha256":"{bb}"}}"#),
            &format!(r#"{{"duration":{{"kind":"noExport"}},"sha256":"{bb}","tokens":3}}"#),
        );
        assert_ne!(edited, text, "{text}");
        std::fs::write(&path, edited).unwrap();
        let edited = cache(root.path());
        assert_eq!(edited.get(&bb), None);
        assert_eq!(edited.get(&aa), None);
    }
}
