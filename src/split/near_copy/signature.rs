//! MinHash signatures of code's word 5-grams, their similarity estimate and LSH band keys.
//!
//! Takes code (bytes); gives a [`Signature`] (512 bins of 16 bits), the estimate of the Jaccard
//! similarity of two signatures' shingle sets ([`similarity`]) and the keys of a signature's LSH
//! bands ([`band_key`]). Build and validate use these same functions, so they always agree.

/// Bins of a signature.
pub const BINS: usize = 512;
/// Bins per LSH band.
pub const ROWS: usize = 3;
/// LSH bands (the last `BINS % ROWS` bins take part in estimates only).
pub const BANDS: usize = BINS / ROWS;
/// Words per shingle.
const SHINGLE: usize = 5;
/// Fixed: signatures from different runs and versions must compare.
const SEED: u64 = 0x7e3f_5a1c_0d9b_2468;

/// The MinHash signature of one code body's word 5-grams.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature(Box<[u16; BINS]>);

impl Signature {
    /// A signature with these bins (tests of the clustering draw random ones).
    #[cfg(test)]
    pub(crate) fn from_bins(bins: [u16; BINS]) -> Signature {
        Signature(Box::new(bins))
    }

    /// The bins, for the build cache (which stores signatures between builds).
    pub fn bins(&self) -> &[u16; BINS] {
        &self.0
    }

    /// A signature read back from the build cache.
    pub fn from_cached(bins: &[u16]) -> Option<Signature> {
        let bins: [u16; BINS] = bins.try_into().ok()?;
        Some(Signature(Box::new(bins)))
    }
}

/// As the build cache stores it: the bins as hexadecimal, little-endian, 2,048 characters.
impl serde::Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.0.iter().flat_map(|b| b.to_le_bytes()).collect();
        serializer.serialize_str(&hex::encode(bytes))
    }
}

impl<'de> serde::Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let bytes = hex::decode(text.as_bytes()).map_err(serde::de::Error::custom)?;
        let bins: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        Signature::from_cached(&bins)
            .ok_or_else(|| serde::de::Error::custom("a signature has 512 bins"))
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({:?}…)", &self.0[..4])
    }
}

/// SplitMix64's finalizer: a strong 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Byte classes for the word scanner: part of a word, a byte that may change the scanner's state
/// (`/`, quotes, `\\`), or neither.
const WORD: u8 = 1;
const SPECIAL: u8 = 2;
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
            WORD
        } else if matches!(c, b'/' | b'"' | b'\'' | b'`' | b'\\') {
            SPECIAL
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The words of `code`, hashed, comments skipped (strings and template literals are read as text,
/// so `//` inside a string is not a comment).
fn word_hashes(code: &[u8], mut each: impl FnMut(u64)) {
    let n = code.len();
    let mut i = 0;
    // The quote that opened the string being read, or 0 in code.
    let mut quote = 0u8;
    while i < n {
        let b = code[i];
        match CLASS[b as usize] {
            WORD => {
                // Rotate-xor over the word's bytes (two cheap steps a byte; the shingle hash mixes
                // it thoroughly later), then one multiplication so short words spread.
                let mut h: u64 = 0;
                while i < n && CLASS[code[i] as usize] == WORD {
                    h = h.rotate_left(7) ^ u64::from(code[i]);
                    i += 1;
                }
                each(h.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                continue;
            }
            SPECIAL if quote == 0 => match (b, code.get(i + 1)) {
                (b'/', Some(b'/')) => {
                    i = code[i..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(n, |p| i + p);
                    continue;
                }
                (b'/', Some(b'*')) => {
                    i = code[i + 2..]
                        .windows(2)
                        .position(|w| w == b"*/")
                        .map_or(n, |p| i + 2 + p + 2);
                    continue;
                }
                (b'"' | b'\'' | b'`', _) => quote = b,
                _ => {}
            },
            SPECIAL if b == quote => quote = 0,
            SPECIAL if b == b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
}

/// The signature of `code`; `None` when it has no words at all.
pub fn signature(code: &[u8]) -> Option<Signature> {
    const EMPTY: u32 = u32::MAX;
    let mut bins = [EMPTY; BINS];
    let add = |h: u64, bins: &mut [u32; BINS]| {
        let h = mix(h ^ SEED);
        // Top bits pick the bin, the low 16 bits are the value kept: independent parts of the hash.
        let bin = (h >> (64 - BINS.trailing_zeros())) as usize;
        let value = u32::from(h as u16);
        if value < bins[bin] {
            bins[bin] = value;
        }
    };
    let mut rolling = Shingles::default();
    word_hashes(code, |w| {
        if let Some(h) = rolling.push(w) {
            add(h, &mut bins);
        }
    });
    if rolling.words == 0 {
        return None;
    }
    if rolling.words < SHINGLE {
        // Shorter than one shingle: the whole word sequence is the one shingle.
        add(rolling.hash, &mut bins);
    }
    // Optimal densification: an empty bin takes the value of the first filled bin along a
    // sequence that depends only on the bin's index, so equal sets fill equally.
    let filled = bins;
    let mut out = Box::new([0u16; BINS]);
    for (i, slot) in out.iter_mut().enumerate() {
        let mut value = filled[i];
        let mut attempt = 0u64;
        while value == EMPTY {
            attempt += 1;
            let j = if attempt <= 4 * BINS as u64 {
                (mix(SEED ^ ((i as u64) << 32) ^ attempt) % BINS as u64) as usize
            } else {
                // Astronomically unlikely; a scan keeps the loop finite all the same.
                (i + attempt as usize) % BINS
            };
            value = filled[j];
        }
        *slot = value as u16;
    }
    Some(Signature(out))
}

/// The hash of the last [`SHINGLE`] words, rolled forward one word at a time (a polynomial in the
/// words' hashes: two multiplications per word instead of rehashing five).
#[derive(Default)]
struct Shingles {
    window: [u64; SHINGLE],
    hash: u64,
    words: usize,
}

/// The polynomial's base, and its power that drops the oldest word.
const BASE: u64 = 0x100_0000_01b3_9e37;
const BASE_TO_SHINGLE: u64 = BASE
    .wrapping_mul(BASE)
    .wrapping_mul(BASE)
    .wrapping_mul(BASE)
    .wrapping_mul(BASE);

impl Shingles {
    /// Add a word; gives the shingle hash once there are [`SHINGLE`] words.
    fn push(&mut self, word: u64) -> Option<u64> {
        let slot = self.words % SHINGLE;
        let oldest = if self.words >= SHINGLE {
            self.window[slot]
        } else {
            0
        };
        self.window[slot] = word;
        self.hash = self
            .hash
            .wrapping_mul(BASE)
            .wrapping_add(word)
            .wrapping_sub(oldest.wrapping_mul(BASE_TO_SHINGLE));
        self.words += 1;
        (self.words >= SHINGLE).then_some(self.hash)
    }
}

/// The estimated Jaccard similarity of the two shingle sets: the share of bins that agree.
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    f64::from(agreeing(&a.0, &b.0)) / BINS as f64
}

/// How many bins of two signatures agree. Written to vectorize: 512 comparisons counted in 16-bit
/// lanes, a few dozen SIMD instructions.
pub fn agreeing(a: &[u16; BINS], b: &[u16; BINS]) -> u32 {
    let same: u16 = a.iter().zip(b.iter()).map(|(x, y)| u16::from(x == y)).sum();
    u32::from(same)
}

/// The fewest agreeing bins whose estimate reaches `threshold`.
pub fn bins_needed(threshold: f64) -> u32 {
    // The same test as `similarity(a, b) >= threshold`, in integers.
    (0..=BINS as u32)
        .find(|&same| f64::from(same) / BINS as f64 >= threshold)
        .unwrap_or(BINS as u32 + 1)
}

/// The signature's LSH band keys, band by band.
pub fn band_keys(sig: &Signature) -> impl Iterator<Item = u64> + '_ {
    (0..BANDS).map(move |band| band_key(sig, band))
}

/// The key of one LSH band (the band's index is part of the key, so bands never share buckets).
pub fn band_key(sig: &Signature, band: usize) -> u64 {
    let rows = &sig.0[band * ROWS..band * ROWS + ROWS];
    let mut key = mix(SEED ^ band as u64);
    for &r in rows {
        key = mix(key ^ u64::from(r));
    }
    key
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The exact Jaccard similarity of two texts' word 5-grams, to check the estimate against.
    fn exact(a: &str, b: &str) -> f64 {
        let shingles = |t: &str| {
            let mut rolling = Shingles::default();
            let mut set = std::collections::HashSet::new();
            word_hashes(t.as_bytes(), |w| {
                if let Some(h) = rolling.push(w) {
                    set.insert(h);
                }
            });
            set
        };
        let (x, y) = (shingles(a), shingles(b));
        x.intersection(&y).count() as f64 / x.union(&y).count() as f64
    }

    pub(crate) fn starter(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/examples/starter/templates/{name}.tsx",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    pub(crate) const SCENES: [&str; 6] = [
        "countdown-portrait",
        "google-ai-search",
        "kinetic-headline",
        "lower-third",
        "orbit-logo-reveal",
        "stats-counter",
    ];

    #[test]
    fn the_rolling_hash_is_the_hash_of_the_last_five_words() {
        let words = [11u64, 22, 33, 44, 55, 66, 77];
        let mut rolling = Shingles::default();
        let hashes: Vec<u64> = words.iter().filter_map(|&w| rolling.push(w)).collect();
        let fresh = |ws: &[u64]| {
            let mut r = Shingles::default();
            ws.iter().filter_map(|&w| r.push(w)).last().unwrap()
        };
        assert_eq!(
            hashes,
            [
                fresh(&words[0..5]),
                fresh(&words[1..6]),
                fresh(&words[2..7])
            ]
        );
        assert_ne!(hashes[0], hashes[1]);
    }

    #[test]
    fn comments_and_whitespace_do_not_count_and_strings_do() {
        let a = "const a = 1; // one two three four five\nexport default a;";
        let b = "const   a =\n 1; /* six seven eight nine ten */ export default a;";
        assert_eq!(signature(a.as_bytes()), signature(b.as_bytes()));
        let c = "const a = \"one two three\";";
        let d = "const a = \"one two four\";";
        assert_ne!(signature(c.as_bytes()), signature(d.as_bytes()));
        assert_eq!(signature(b"  // only a comment"), None);
        assert!(signature(b"a b").is_some());
    }

    #[test]
    fn the_estimate_tracks_the_exact_similarity() {
        for a in SCENES {
            for b in SCENES {
                let (ta, tb) = (starter(a), starter(b));
                let e = similarity(
                    &signature(ta.as_bytes()).unwrap(),
                    &signature(tb.as_bytes()).unwrap(),
                );
                let x = exact(&ta, &tb);
                assert!((e - x).abs() < 0.08, "{a} ~ {b}: estimate {e}, exact {x}");
            }
        }
    }
}
