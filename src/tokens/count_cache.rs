//! Token counts of briefs and the system prompt, remembered between builds.
//!
//! A warm rebuild takes its code's token counts from the gate cache ([`crate::code::gate_cache`]);
//! this file does the same for the other texts of an example, so that a rebuild whose texts are
//! unchanged never loads the encoding at all: its tables are 53 MB of fresh memory and ~40 ms to
//! build, and counting 40,000 briefs was a tenth of a warm families-10k rebuild. Takes the output
//! root and the encoding; gives the count of each text, remembered by an earlier build (by SHA-256
//! of the text) or counted now, and saves this build's. The file is
//! `<output root>/.template-sft-cache/counts-<encoding>.bin`, keyed by the build id and the
//! encoding: records of 36 bytes (the digest, then the count as a little-endian `u32`) sorted by
//! digest, so a lookup is a binary search in the file as read, under one HMAC for the whole file
//! ([`CacheFile::save_sealed`]; 40,000 JSON lines with a checksum each cost more to read than the
//! counting they save). Like the other caches, it is rewritten after a successful build with that
//! build's counts only (not at all when they are the ones read), so it never grows stale.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use super::Encoding;
use crate::cache::CacheFile;

/// The length of one record: a SHA-256, then a `u32`.
const RECORD: usize = 36;

/// The most records read back (151 MB): ten briefs a template for 400,000 templates. A build with
/// more texts counts the rest each time.
const MOST: usize = 1 << 22;

/// One text's count, and the digest it is remembered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub digest: [u8; 32],
    pub tokens: usize,
}

/// The remembered counts of one encoding.
pub struct CountCache {
    encoding: Encoding,
    file: CacheFile,
    /// The records as read: sorted by digest, without repeats (empty when none were read).
    known: Vec<u8>,
    /// Texts found among `known`, and texts counted now (then the file needs saving).
    remembered: AtomicUsize,
    counted: AtomicUsize,
}

impl CountCache {
    /// The counts remembered under `root` for `encoding` (none if the file's key differs or it
    /// fails to check out).
    pub fn open(root: &Path, encoding: Encoding) -> CountCache {
        let key = serde_json::json!({
            "build": crate::BUILD_ID,
            "encoding": encoding.name(),
        })
        .to_string();
        let file = CacheFile::new(root, &format!("counts-{}.bin", encoding.name()), key);
        let known = file
            .read_sealed((MOST * RECORD) as u64)
            .filter(|body| body.len() % RECORD == 0)
            .unwrap_or_default();
        CountCache {
            encoding,
            file,
            known,
            remembered: AtomicUsize::new(0),
            counted: AtomicUsize::new(0),
        }
    }

    /// A cache that remembers nothing (`--no-cache`).
    pub fn disabled(encoding: Encoding) -> CountCache {
        CountCache {
            encoding,
            file: CacheFile::disabled(),
            known: Vec::new(),
            remembered: AtomicUsize::new(0),
            counted: AtomicUsize::new(0),
        }
    }

    /// Whether an earlier build's counts were read.
    pub fn is_warm(&self) -> bool {
        !self.known.is_empty()
    }

    /// The count of `text` under the encoding: remembered, or counted now.
    pub fn count(&self, text: &str) -> Counted {
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let tokens = match self.lookup(&digest) {
            Some(tokens) => {
                self.remembered.fetch_add(1, Ordering::Relaxed);
                tokens
            }
            None => {
                self.counted.fetch_add(1, Ordering::Relaxed);
                self.encoding.count(text)
            }
        };
        Counted { digest, tokens }
    }

    /// How many texts were remembered, in a line for `build -v`.
    pub fn describe(&self) -> String {
        let remembered = self.remembered.load(Ordering::Relaxed);
        let all = remembered + self.counted.load(Ordering::Relaxed);
        format!("token counts: {remembered} of {all} texts remembered from the last build")
    }

    fn lookup(&self, digest: &[u8; 32]) -> Option<usize> {
        let records = self.known.len() / RECORD;
        let record = |i: usize| &self.known[i * RECORD..(i + 1) * RECORD];
        let (mut low, mut high) = (0, records);
        while low < high {
            let middle = low + (high - low) / 2;
            match record(middle)[..32].cmp(digest) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => {
                    let count: [u8; 4] = record(middle)[32..].try_into().ok()?;
                    return Some(u32::from_le_bytes(count) as usize);
                }
            }
        }
        None
    }

    /// Replace the remembered counts with `used` (this build's), unless they are exactly the ones
    /// read. Counts over `u32::MAX` are not remembered.
    pub fn save(&self, mut used: Vec<Counted>) -> std::io::Result<()> {
        used.retain(|c| u32::try_from(c.tokens).is_ok());
        used.sort_unstable_by_key(|c| c.digest);
        used.dedup_by(|a, b| a.digest == b.digest);
        // Every text was found among the records read, and as many: the same set.
        if self.counted.load(Ordering::Relaxed) == 0 && used.len() * RECORD == self.known.len() {
            return Ok(());
        }
        if used.len() > MOST {
            return Ok(());
        }
        self.file.save_sealed(&records(&used))
    }
}

/// The file's body for `counted`, sorted by digest, each count at most `u32::MAX`.
fn records(counted: &[Counted]) -> Vec<u8> {
    let mut body = Vec::with_capacity(counted.len() * RECORD);
    for c in counted {
        body.extend_from_slice(&c.digest);
        body.extend_from_slice(&(c.tokens as u32).to_le_bytes());
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_back_for_the_same_encoding_and_an_edit_voids_them() {
        let root = tempfile::tempdir().unwrap();
        let texts = ["a short brief", "another brief, with a comma", ""];
        let first = CountCache::open(root.path(), Encoding::O200k);
        assert!(!first.is_warm());
        let counted: Vec<Counted> = texts.iter().map(|t| first.count(t)).collect();
        for (text, c) in texts.iter().zip(&counted) {
            assert_eq!(c.tokens, Encoding::O200k.count(text));
        }
        // A repeat is remembered once.
        let mut used = counted.clone();
        used.push(counted[0]);
        first.save(used).unwrap();
        let path = crate::cache::folder(root.path()).join("counts-o200k_base.bin");
        let saved = std::fs::read(&path).unwrap();

        // Remembered: a deliberately different count in the file would be the one given, so write
        // one (sealed as a build would) and see it come back.
        let again = CountCache::open(root.path(), Encoding::O200k);
        assert!(again.is_warm());
        assert_eq!(again.known.len(), 3 * RECORD);
        let mut forged = counted.clone();
        forged[1].tokens = 999;
        forged.sort_unstable_by_key(|c| c.digest);
        again.file.save_sealed(&records(&forged)).unwrap();
        let forged_cache = CountCache::open(root.path(), Encoding::O200k);
        assert_eq!(forged_cache.count(texts[1]).tokens, 999);
        assert_eq!(forged_cache.count(texts[0]), counted[0]);
        assert!(forged_cache.describe().contains(": 2 of 2 texts"));
        let unseen = "not seen before";
        assert_eq!(
            forged_cache.count(unseen).tokens,
            Encoding::O200k.count(unseen)
        );
        assert!(forged_cache.describe().contains(": 2 of 3 texts"));

        // Saving the same set again leaves the file as it is.
        std::fs::write(&path, &saved).unwrap();
        let same = CountCache::open(root.path(), Encoding::O200k);
        let used: Vec<Counted> = texts.iter().map(|t| same.count(t)).collect();
        std::fs::remove_file(&path).unwrap();
        same.save(used).unwrap();
        assert!(!path.exists());

        // Another encoding has its own file; an edited file is not used.
        assert!(!CountCache::open(root.path(), Encoding::Cl100k).is_warm());
        let mut edited = saved.clone();
        let last_count = edited.len() - 32 - 4;
        edited[last_count] ^= 1;
        std::fs::write(&path, &edited).unwrap();
        assert!(!CountCache::open(root.path(), Encoding::O200k).is_warm());
        std::fs::write(&path, &saved[..saved.len() - 1]).unwrap();
        assert!(!CountCache::open(root.path(), Encoding::O200k).is_warm());
        assert!(!CountCache::disabled(Encoding::O200k).is_warm());
    }
}
