//! Near-copies: code so alike that training on one and evaluating on the other measures recall.
//!
//! Takes code (bytes); gives a [`Signature`] of its word 5-grams and, for a set of signatures, the
//! clusters of near-copies ([`cluster`]), which the split keeps together, and an [`Index`] that
//! `validate` streams outputs through. The pieces, as in the near-deduplication of large code
//! datasets (BigCode, text-dedup, datasketch), except that near-copies are kept and grouped, not
//! dropped:
//!
//! - **Shingles**: the word 5-grams of the code, comments ignored: a word is a run of letters,
//!   digits, `_` and `$` (also inside strings: a renamed label changes words), everything else
//!   separates words. Identifiers and numbers are kept as written. Measured on production Remotion
//!   scenes, renamed and re-dimensioned twins sit at 0.67–1.0, restyled variants at 0.40–0.45 and
//!   unrelated scenes of the same library under 0.32 (README).
//! - **MinHash**, one permutation with optimal densification (Shrivastava, 2017): each shingle is
//!   hashed once (seeded, fixed), its hash picks one of [`BINS`] bins and the bin keeps the smallest
//!   value; empty bins borrow from a fixed pseudo-random sequence of other bins. Two signatures agree
//!   in a bin with probability equal to the Jaccard similarity of the shingle sets; the share of
//!   agreeing bins is the *estimate* every decision uses (standard error about 0.02 near 0.36).
//!   Build and validate use the same function, so they always agree.
//! - **LSH**: [`BANDS`] bands of [`ROWS`] bins; two signatures that agree on a whole band are
//!   candidates. At the default threshold a near-copy pair is a candidate with probability 0.9997;
//!   at similarity 0.06 (typical unrelated code) with probability 0.04.
//! - **Clusters**: candidates whose estimate reaches the threshold, and identical code, are joined
//!   with union-find.
//!
//! Long because the signature, the LSH, the clustering and the streaming index are one algorithm,
//! tested here against the exact Jaccard similarity.

use std::collections::HashMap;

use rayon::prelude::*;

/// Bins of a signature.
pub const BINS: usize = 512;
/// Bins per LSH band.
pub const ROWS: usize = 3;
/// LSH bands (the last `BINS % ROWS` bins take part in estimates only).
pub const BANDS: usize = BINS / ROWS;
/// Words per shingle.
const SHINGLE: usize = 5;
/// Similarity at or above which two templates are near-copies (README: how it was chosen).
pub const DEFAULT_THRESHOLD: f64 = crate::config::DEFAULT_NEAR_COPY_THRESHOLD;
/// Fixed: signatures from different runs and versions must compare.
const SEED: u64 = 0x7e3f_5a1c_0d9b_2468;

/// The MinHash signature of one code body's word 5-grams.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature(Box<[u16; BINS]>);

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
    // Written to vectorize: 512 comparisons in a few dozen SIMD instructions.
    let same: u32 =
        a.0.iter()
            .zip(b.0.iter())
            .map(|(x, y)| u32::from(x == y))
            .sum();
    f64::from(same) / BINS as f64
}

/// The signature's LSH band keys (the band's index is part of the key).
pub fn band_keys(sig: &Signature) -> impl Iterator<Item = u64> + '_ {
    (0..BANDS).map(move |band| {
        let rows = &sig.0[band * ROWS..band * ROWS + ROWS];
        let mut key = mix(SEED ^ band as u64);
        for &r in rows {
            key = mix(key ^ u64::from(r));
        }
        key
    })
}

/// Near-copy clusters of a set of code bodies.
#[derive(Debug, Default)]
pub struct Clusters {
    /// For each input, the index of its cluster in [`Clusters::groups`].
    pub cluster_of: Vec<usize>,
    /// Every cluster, singletons included, in order of its first member.
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Input indices, ascending.
    pub members: Vec<usize>,
    /// The highest similarity between two members that joined them (1.0 for identical code; 0 for
    /// a singleton).
    pub similarity: f64,
}

/// Cluster code bodies: those whose estimated similarity reaches `threshold` (LSH candidates), and
/// those with identical `digests`, end in one cluster. `signatures[i]` is `None` for code without
/// words (it clusters only by digest). A threshold of 0 turns similarity off (identical code still
/// clusters).
pub fn cluster(signatures: &[Option<Signature>], digests: &[&str], threshold: f64) -> Clusters {
    let n = signatures.len();
    let mut sets = UnionFind::new(n);
    let mut best = vec![0.0f64; n];
    // Identical code first: one representative per digest takes part in the LSH.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut representatives = Vec::new();
    for (i, digest) in digests.iter().enumerate() {
        match first_of.get(digest) {
            Some(&first) => {
                sets.union(first, i);
                best[i] = 1.0;
                best[first] = 1.0;
            }
            None => {
                first_of.insert(digest, i);
                representatives.push(i);
            }
        }
    }
    if threshold > 0.0 {
        // Band keys and candidate checks on all cores; the joins after, in a fixed order.
        let mut keys: Vec<(u64, u32)> = representatives
            .par_iter()
            .filter_map(|&i| Some((i, signatures[i].as_ref()?)))
            .flat_map_iter(|(i, sig)| band_keys(sig).map(move |k| (k, i as u32)))
            .collect();
        keys.par_sort_unstable();
        let mut confirmed: Vec<(u32, u32, f64)> = keys
            .par_chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
            .flat_map_iter(|run| {
                let mut found = Vec::new();
                for (x, &(_, a)) in run.iter().enumerate() {
                    for &(_, b) in &run[x + 1..] {
                        let (Some(sa), Some(sb)) =
                            (&signatures[a as usize], &signatures[b as usize])
                        else {
                            continue;
                        };
                        let s = similarity(sa, sb);
                        if s >= threshold {
                            found.push((a.min(b), a.max(b), s));
                        }
                    }
                }
                found
            })
            .collect();
        // Near-copies share many bands: each pair once.
        confirmed.par_sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
        confirmed.dedup_by_key(|p| (p.0, p.1));
        for (a, b, s) in confirmed {
            let (a, b) = (a as usize, b as usize);
            sets.union(a, b);
            best[a] = best[a].max(s);
            best[b] = best[b].max(s);
        }
    }
    let mut index_of_root: HashMap<usize, usize> = HashMap::new();
    let mut out = Clusters {
        cluster_of: Vec::with_capacity(n),
        groups: Vec::new(),
    };
    for (i, similarity) in best.iter().enumerate() {
        let root = sets.find(i);
        let g = *index_of_root.entry(root).or_insert_with(|| {
            out.groups.push(Group {
                members: Vec::new(),
                similarity: 0.0,
            });
            out.groups.len() - 1
        });
        out.groups[g].members.push(i);
        if out.groups[g].members.len() > 1 || *similarity > 0.0 {
            out.groups[g].similarity = out.groups[g].similarity.max(*similarity);
        }
        out.cluster_of.push(g);
    }
    for group in &mut out.groups {
        if group.members.len() == 1 {
            group.similarity = 0.0;
        }
    }
    out
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller index is the root: deterministic, whatever the order of unions.
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi] = lo;
        }
    }
}

/// Train outputs seen so far, for `validate` to compare held-out outputs against, streaming: only
/// signatures and band keys are kept, never the outputs.
pub struct Index<T> {
    signatures: Vec<(Signature, T)>,
    buckets: HashMap<u64, Vec<u32>>,
}

impl<T> Default for Index<T> {
    fn default() -> Self {
        Index {
            signatures: Vec::new(),
            buckets: HashMap::new(),
        }
    }
}

impl<T> Index<T> {
    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty()
    }

    pub fn insert(&mut self, sig: Signature, item: T) {
        let id = self.signatures.len() as u32;
        for key in band_keys(&sig) {
            self.buckets.entry(key).or_default().push(id);
        }
        self.signatures.push((sig, item));
    }

    /// The most similar indexed item among the LSH candidates of `sig`, if its estimate reaches
    /// `threshold` (the same candidates and estimate as [`cluster`]).
    pub fn nearest(&self, sig: &Signature, threshold: f64) -> Option<(f64, &T)> {
        let mut best: Option<(f64, u32)> = None;
        let mut seen = std::collections::HashSet::new();
        for key in band_keys(sig) {
            for &id in self.buckets.get(&key).into_iter().flatten() {
                if !seen.insert(id) {
                    continue;
                }
                let s = similarity(sig, &self.signatures[id as usize].0);
                if s >= threshold && best.is_none_or(|(b, bid)| s > b || (s == b && id < bid)) {
                    best = Some((s, id));
                }
            }
        }
        best.map(|(s, id)| (s, &self.signatures[id as usize].1))
    }
}

#[cfg(test)]
mod tests {
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

    fn starter(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/examples/starter/templates/{name}.tsx",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    const SCENES: [&str; 6] = [
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

    #[test]
    fn renamed_and_edited_copies_cluster_and_unrelated_scenes_do_not() {
        let scenes: Vec<String> = SCENES.iter().map(|s| starter(s)).collect();
        let renamed = scenes[3]
            .replace("LowerThird", "NameplateBar")
            .replace("Ada Lovelace", "Grace Hopper");
        // A portrait twin: re-dimensioned rings and type.
        let resized = scenes[4]
            .replace("260 + index * 120", "180 + index * 90")
            .replace("fontSize: 120", "fontSize: 96")
            .replace("fontSize: 36", "fontSize: 30");
        assert_ne!(resized, scenes[4]);
        let mut codes = scenes.clone();
        codes.push(renamed);
        codes.push(resized);
        codes.push(scenes[0].clone()); // byte-identical under another id
        let sigs: Vec<Option<Signature>> = codes.iter().map(|c| signature(c.as_bytes())).collect();
        let digests: Vec<String> = codes
            .iter()
            .map(|c| crate::digest::sha256_hex(c.as_bytes()))
            .collect();
        let digests: Vec<&str> = digests.iter().map(String::as_str).collect();
        let c = cluster(&sigs, &digests, DEFAULT_THRESHOLD);
        let multi: Vec<&Group> = c.groups.iter().filter(|g| g.members.len() > 1).collect();
        assert_eq!(multi.len(), 3, "{:?}", c.groups);
        assert_eq!(c.cluster_of[6], c.cluster_of[3]);
        assert_eq!(c.cluster_of[7], c.cluster_of[4]);
        assert_eq!(c.cluster_of[8], c.cluster_of[0]);
        assert_eq!(c.groups[c.cluster_of[8]].similarity, 1.0);
        assert!(c.groups[c.cluster_of[6]].similarity > 0.6);
        // Unrelated scenes of the same library stay apart.
        let firsts: std::collections::HashSet<usize> =
            (0..SCENES.len()).map(|i| c.cluster_of[i]).collect();
        assert_eq!(firsts.len(), SCENES.len());
        // Off: only identical code clusters.
        let off = cluster(&sigs, &digests, 0.0);
        assert_eq!(off.groups.iter().filter(|g| g.members.len() > 1).count(), 1);
    }

    #[test]
    fn the_index_finds_what_cluster_joins() {
        let a = starter("quote-card");
        let b = a.replace("QuoteCard", "CitationCard");
        let mut index = Index::default();
        index.insert(signature(a.as_bytes()).unwrap(), "train.jsonl:1");
        index.insert(
            signature(starter("lower-third").as_bytes()).unwrap(),
            "train.jsonl:2",
        );
        let (s, at) = index
            .nearest(&signature(b.as_bytes()).unwrap(), DEFAULT_THRESHOLD)
            .unwrap();
        assert_eq!(*at, "train.jsonl:1");
        assert!(s > 0.8, "{s}");
        assert!(index
            .nearest(
                &signature(starter("countdown-portrait").as_bytes()).unwrap(),
                DEFAULT_THRESHOLD
            )
            .is_none());
    }
}
