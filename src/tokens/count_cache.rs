//! Token counts of briefs and the system prompt, remembered between builds.
//!
//! A warm rebuild takes its code's token counts from the gate cache ([`crate::code::gate_cache`]);
//! this file does the same for the other texts of an example, so that a rebuild whose texts are
//! unchanged never loads the encoding at all: building its tables (53 MB of fresh memory, ~40 ms)
//! and counting 40,000 briefs were 0.13 s of the 0.87 s a warm families-10k rebuild spent before
//! writing. Takes the output root and the encoding; gives the count of each text, remembered by an
//! earlier build (by SHA-256 of the text) or counted now, and saves this build's. The file is
//! `<output root>/.template-sft-cache/counts-<encoding>.bin`, keyed by the build id and the
//! encoding: records of 36 bytes (the digest, then the count as a little-endian `u32`), in the
//! order the build met the texts, under one HMAC for the whole file ([`CacheFile::save_sealed`];
//! 40,000 JSON lines with a checksum each cost more to read than the counting they save). The
//! build that reads them sorts them, so that a lookup is a binary search, and the build that saves
//! them writes them as it hashes them, holding none (16 MB at 100,000 templates). Like the other
//! caches, it is rewritten after a successful build with that build's counts only (not at all
//! when they are the ones read: one bit a record says which texts were met again), so it never
//! grows stale.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use super::Encoding;
use crate::cache::CacheFile;

/// The length of one record: a SHA-256, then a `u32`.
pub const RECORD: usize = 36;

/// The most records read back (151 MB): ten briefs a template for 400,000 templates. A build with
/// more texts counts the rest each time.
const MOST: usize = 1 << 22;

/// The remembered counts of one encoding.
pub struct CountCache {
    encoding: Encoding,
    file: CacheFile,
    /// The records read, sorted by digest, without repeats (empty when none were read).
    known: Vec<[u8; RECORD]>,
    /// One bit per record of `known`: found by a text of this build.
    found: Vec<AtomicU64>,
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
        let mut known = file
            .read_sealed((MOST * RECORD) as u64)
            .and_then(|body| {
                let (records, rest) = body.as_chunks::<RECORD>();
                rest.is_empty().then(|| records.to_vec())
            })
            .unwrap_or_default();
        // Saved in the order the build met the texts, repeats included: sorted here, in the
        // warm build that reads it, so that saving never holds them all.
        known.sort_unstable();
        known.dedup_by(|a, b| a[..32] == b[..32]);
        CountCache::with(encoding, file, known)
    }

    /// A cache that remembers nothing (`--no-cache`).
    pub fn disabled(encoding: Encoding) -> CountCache {
        CountCache::with(encoding, CacheFile::disabled(), Vec::new())
    }

    fn with(encoding: Encoding, file: CacheFile, known: Vec<[u8; RECORD]>) -> CountCache {
        let found = (0..known.len().div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect();
        CountCache {
            encoding,
            file,
            known,
            found,
            remembered: AtomicUsize::new(0),
            counted: AtomicUsize::new(0),
        }
    }

    /// Whether an earlier build's counts were read.
    pub fn is_warm(&self) -> bool {
        !self.known.is_empty()
    }

    /// The count of `text` under the encoding: remembered, or counted now.
    pub fn count(&self, text: &str) -> usize {
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        match self.known.binary_search_by(|r| r[..32].cmp(&digest)) {
            Ok(i) => {
                self.found[i / 64].fetch_or(1 << (i % 64), Ordering::Relaxed);
                self.remembered.fetch_add(1, Ordering::Relaxed);
                let [.., a, b, c, d] = self.known[i];
                u32::from_le_bytes([a, b, c, d]) as usize
            }
            Err(_) => {
                self.counted.fetch_add(1, Ordering::Relaxed);
                self.encoding.count(text)
            }
        }
    }

    /// How many texts were remembered, in a line for `build -v`.
    pub fn describe(&self) -> String {
        let remembered = self.remembered.load(Ordering::Relaxed);
        let all = remembered + self.counted.load(Ordering::Relaxed);
        format!("token counts: {remembered} of {all} texts remembered from the last build")
    }

    /// Whether there is anything to save: this build's texts differ from the ones remembered (one
    /// was counted now, or a remembered one was not met again) and the cache is not disabled.
    pub fn needs_saving(&self) -> bool {
        let found: usize = self
            .found
            .iter()
            .map(|bits| bits.load(Ordering::Relaxed).count_ones() as usize)
            .sum();
        let differ = self.counted.load(Ordering::Relaxed) > 0 || found != self.known.len();
        differ && !self.file.is_disabled()
    }

    /// Replace the remembered counts with `records` (this build's, made by [`record`]; in any
    /// order, repeats allowed), written as they come (at most [`MOST`]).
    pub fn save(&self, records: impl Iterator<Item = [u8; RECORD]>) -> std::io::Result<()> {
        self.file.save_sealed(|out| {
            for record in records.take(MOST) {
                out.write_all(&record)?;
            }
            Ok(())
        })
    }
}

/// The record of one text and its count (a SHA-256 of the text, then the count as a
/// little-endian `u32`); none for a count over `u32::MAX`, which is not remembered.
pub fn record(text: &str, tokens: usize) -> Option<[u8; RECORD]> {
    let tokens = u32::try_from(tokens).ok()?;
    let mut record = [0u8; RECORD];
    record[..32].copy_from_slice(&Sha256::digest(text.as_bytes()));
    record[32..].copy_from_slice(&tokens.to_le_bytes());
    Some(record)
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
        let counts: Vec<usize> = texts.iter().map(|t| first.count(t)).collect();
        for (text, &n) in texts.iter().zip(&counts) {
            assert_eq!(n, Encoding::O200k.count(text));
        }
        assert!(first.needs_saving());
        // A repeat is remembered once.
        let mut records: Vec<[u8; RECORD]> = texts
            .iter()
            .zip(&counts)
            .filter_map(|(t, &n)| record(t, n))
            .collect();
        records.push(records[0]);
        first.save(records.clone().into_iter()).unwrap();
        let path = crate::cache::folder(root.path()).join("counts-o200k_base.bin");
        let saved = std::fs::read(&path).unwrap();

        let again = CountCache::open(root.path(), Encoding::O200k);
        assert!(again.is_warm());
        assert_eq!(again.known.len(), 3);
        // Remembered, not counted: a deliberately different count in the file (sealed as a build
        // would seal it) is the one given.
        let mut forged = records.clone();
        forged[1] = record(texts[1], 999).unwrap();
        again.save(forged.into_iter()).unwrap();
        let forged = CountCache::open(root.path(), Encoding::O200k);
        assert_eq!(forged.count(texts[1]), 999);
        assert_eq!(forged.count(texts[0]), counts[0]);
        assert!(forged.describe().contains(": 2 of 2 texts"));
        // Not every remembered text met again: the file is out of date.
        assert!(forged.needs_saving());
        assert_eq!(forged.count(texts[2]), counts[2]);
        assert!(!forged.needs_saving());
        let unseen = "not seen before";
        assert_eq!(forged.count(unseen), Encoding::O200k.count(unseen));
        assert!(forged.describe().contains(": 3 of 4 texts"));
        assert!(forged.needs_saving());

        // Another encoding has its own file; an edited or cut file is not used.
        std::fs::write(&path, &saved).unwrap();
        assert!(CountCache::open(root.path(), Encoding::O200k).is_warm());
        assert!(!CountCache::open(root.path(), Encoding::Cl100k).is_warm());
        let mut edited = saved.clone();
        let last_count = edited.len() - 32 - 4;
        edited[last_count] ^= 1;
        std::fs::write(&path, &edited).unwrap();
        assert!(!CountCache::open(root.path(), Encoding::O200k).is_warm());
        std::fs::write(&path, &saved[..saved.len() - 1]).unwrap();
        assert!(!CountCache::open(root.path(), Encoding::O200k).is_warm());
        let disabled = CountCache::disabled(Encoding::O200k);
        assert!(!disabled.is_warm());
        assert_eq!(disabled.count(unseen), Encoding::O200k.count(unseen));
        assert!(!disabled.needs_saving());
        assert!(record("huge", u32::MAX as usize + 1).is_none());
    }
}
