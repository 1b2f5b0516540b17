//! Content digests and seeded hashes.
//!
//! Takes bytes (and a seed); gives SHA-256 hex digests for manifests and provenance (an
//! [`InputDigest`] per input file, of the very bytes that were parsed), and stable 64-bit seeded
//! hashes that order templates for splitting. Both are defined by SHA-256, so they are the same on
//! every platform and every release of this tool.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The digest of one input file as it was read and parsed (the manifest's `inputs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputDigest {
    /// `config`, `catalog`, `prompts`, `overrides`.
    pub kind: String,
    /// The file, relative to the config.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

impl InputDigest {
    /// The digest of `bytes`, recorded under `path` (as the manifest shows it).
    pub fn of_bytes(kind: &str, path: String, bytes: &[u8]) -> InputDigest {
        InputDigest {
            kind: kind.to_string(),
            path,
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
        }
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The SHA-256 of some bytes, as 32 bytes: the identity of a template's code everywhere a build
/// keys by it (the gate cache, the spill file, duplicates, render verdicts, model-tokenizer counts).
/// Shown and serialized as lowercase hex, as [`sha256_hex`] gives it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    /// Its 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Its lowercase hex (64 characters).
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Read from lowercase or uppercase hex; `None` unless 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Sha256Digest(bytes))
    }
}

impl std::fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

impl std::fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Sha256Digest::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("expected a SHA-256 as 64 hex digits"))
    }
}

/// Lowercase hex HMAC-SHA256 (RFC 2104) of `message` under `key` (at most one block long).
pub fn hmac_sha256_hex(key: &[u8; 32], message: &[u8]) -> String {
    hex::encode(hmac_sha256(key, &[message]))
}

/// HMAC-SHA256 (RFC 2104) under `key` of the concatenation of `parts`.
pub fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::new(key);
    for part in parts {
        mac.update(part);
    }
    mac.finish()
}

/// HMAC-SHA256 (RFC 2104) of a message given in pieces, under a key of at most one block.
pub struct Hmac {
    inner: Sha256,
    opad: [u8; 64],
}

impl Hmac {
    pub fn new(key: &[u8; 32]) -> Hmac {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, byte) in key.iter().enumerate() {
            ipad[i] ^= byte;
            opad[i] ^= byte;
        }
        let mut inner = Sha256::new();
        inner.update(ipad);
        Hmac { inner, opad }
    }

    pub fn update(&mut self, piece: &[u8]) {
        self.inner.update(piece);
    }

    pub fn finish(self) -> [u8; 32] {
        let mut outer = Sha256::new();
        outer.update(self.opad);
        outer.update(self.inner.finalize());
        outer.finalize().into()
    }
}

/// A 64-bit hash of `parts` under `seed`: the first 8 bytes of SHA-256(seed, len-prefixed parts).
/// Length prefixes keep ("ab","c") and ("a","bc") apart.
pub fn seeded_hash(seed: u64, parts: &[&str]) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// A 128-bit identity of one text, for de-duplication within a run (not stable across releases:
/// never written to a file).
pub fn text_hash(text: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let (mut a, mut b) = (
        std::collections::hash_map::DefaultHasher::new(),
        std::collections::hash_map::DefaultHasher::new(),
    );
    b.write_u8(0xa5);
    text.hash(&mut a);
    text.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_digest_is_the_hex_digest_and_reads_back() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(d.hex(), sha256_hex(b"abc"));
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{}\"", sha256_hex(b"abc")));
        assert_eq!(serde_json::from_str::<Sha256Digest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Sha256Digest>("\"abc\"").is_err());
    }

    #[test]
    fn hmac_matches_pythons_hmac_module() {
        // python3 -c "import hmac,hashlib; print(hmac.new(bytes(range(32)),
        //   b'what do ya want for nothing?', hashlib.sha256).hexdigest())"
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(
            hmac_sha256_hex(&key, b"what do ya want for nothing?"),
            "099805f4ac310786968565c098db515cc50862b420ae31e20238312344bed36a"
        );
    }

    #[test]
    fn sha256_matches_the_published_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn seeded_hash_depends_on_seed_and_part_boundaries() {
        assert_ne!(seeded_hash(1, &["a"]), seeded_hash(2, &["a"]));
        assert_ne!(seeded_hash(1, &["ab", "c"]), seeded_hash(1, &["a", "bc"]));
        assert_eq!(seeded_hash(7, &["x"]), seeded_hash(7, &["x"]));
    }
}
