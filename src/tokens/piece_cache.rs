//! Model-token counts of long pieces of text, remembered between builds.
//!
//! Counting a catalog's code under a Hugging Face tokenizer costs about 2 MB a second per core (a
//! 10,000-template project: 20 s of a 25 s build), and a rebuild mostly counts the same code again.
//! Takes the output root and a tokenizer's fingerprint (its file and chat template); gives the count
//! of every piece of text at least 64 bytes long that an earlier build counted with that very
//! tokenizer, by SHA-256 of the piece (a piece is the text between two special tokens of a rendered
//! conversation: a template's code with its turn header, a brief, the system prompt), and saves this
//! build's. One file per tokenizer, `<output root>/.template-sft-cache/pieces-<fingerprint>.jsonl`,
//! checked record by record like the gate cache ([`crate::cache`]).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cache::CacheFile;

#[derive(Serialize, Deserialize)]
struct Entry {
    /// SHA-256 of the piece, hexadecimal.
    piece: String,
    tokens: usize,
}

/// The remembered counts of one tokenizer.
pub struct PieceCache {
    file: CacheFile,
    known: HashMap<[u8; 32], usize>,
}

impl PieceCache {
    /// The counts remembered under `root` for the tokenizer with fingerprint `tokenizer_sha256`.
    pub fn open(root: &Path, tokenizer_sha256: &str) -> PieceCache {
        let key = serde_json::json!({
            "build": crate::BUILD_ID,
            "tokenizer": tokenizer_sha256,
        })
        .to_string();
        let name = format!(
            "pieces-{}.jsonl",
            &tokenizer_sha256[..tokenizer_sha256.len().min(16)]
        );
        let file = CacheFile::new(root, &name, key);
        let known = file
            .read::<Entry>()
            .into_iter()
            .filter_map(|e| {
                let digest: [u8; 32] = hex::decode(&e.piece).ok()?.try_into().ok()?;
                Some((digest, e.tokens))
            })
            .collect();
        PieceCache { file, known }
    }

    /// A cache that remembers nothing (`--no-cache`).
    pub fn disabled() -> PieceCache {
        PieceCache {
            file: CacheFile::disabled(),
            known: HashMap::new(),
        }
    }

    pub fn known(&self) -> &HashMap<[u8; 32], usize> {
        &self.known
    }

    /// Replace the remembered counts with `used` (this build's).
    pub fn save(&self, used: &[([u8; 32], usize)]) -> std::io::Result<()> {
        self.file.save(used.iter().map(|(digest, tokens)| Entry {
            piece: hex::encode(digest),
            tokens: *tokens,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_back_for_the_same_tokenizer_only() {
        let root = tempfile::tempdir().unwrap();
        let a = PieceCache::open(root.path(), "aaaa1111");
        assert!(a.known().is_empty());
        a.save(&[([7u8; 32], 42), ([9u8; 32], 5)]).unwrap();
        let again = PieceCache::open(root.path(), "aaaa1111");
        assert_eq!(again.known().get(&[7u8; 32]), Some(&42));
        assert_eq!(again.known().len(), 2);
        assert!(PieceCache::open(root.path(), "bbbb2222").known().is_empty());
    }
}
