//! chrF: the character n-gram F-score of a model's output against the gold code, as sacrebleu
//! defines it with its defaults (`CHRF()`: character n-grams of order 1 to 6, no word n-grams,
//! beta 2, whitespace removed, case kept, no eps smoothing; `sentence_score(hyp, [ref])`).
//!
//! Takes two texts; gives the score from 0 to 100. `scripts/check-chrf.sh` compares it with
//! sacrebleu itself on sample pairs.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const ORDER: usize = 6;
const BETA: f64 = 2.0;

/// sacrebleu's sentence-level chrF of `hypothesis` against one `reference`.
pub fn chrf(hypothesis: &str, reference: &str) -> f64 {
    let mut hyp = chars_without_whitespace(hypothesis);
    let mut reference = chars_without_whitespace(reference);
    // Characters renumbered densely over both texts: code uses a few dozen distinct characters, so
    // an n-gram of up to six of them packs into one 64-bit number, counted in a hash map with a
    // cheap hash (the standard SipHash over character slices took most of an evaluation's time).
    let mut alphabet: Vec<u32> = hyp.iter().chain(&reference).copied().collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    let bits = (usize::BITS - alphabet.len().leading_zeros()).max(1);
    for c in hyp.iter_mut().chain(reference.iter_mut()) {
        *c = alphabet.binary_search(c).unwrap_or(0) as u32;
    }
    let mut stats = [[0usize; 3]; ORDER];
    let wide = bits as usize * ORDER > 64;
    for (n, slot) in (1..=ORDER).zip(stats.iter_mut()) {
        let (h, r, matched) = if wide {
            order_stats::<u128>(&hyp, &reference, n, bits)
        } else {
            order_stats::<u64>(&hyp, &reference, n, bits)
        };
        // sacrebleu counts no hypothesis n-grams of an order the reference has none of.
        *slot = [if r == 0 { 0 } else { h }, r, matched];
    }
    f_score(&stats)
}

/// (hypothesis n-grams, reference n-grams, matches: Σ min(count in each)) for order `n`.
fn order_stats<K>(hyp: &[u32], reference: &[u32], n: usize, bits: u32) -> (usize, usize, usize)
where
    K: Eq
        + std::hash::Hash
        + Copy
        + From<u32>
        + std::ops::Shl<u32, Output = K>
        + std::ops::BitOr<Output = K>,
{
    let key = |w: &[u32]| {
        w.iter()
            .fold(K::from(0), |key, &c| (key << bits) | K::from(c))
    };
    let mut counts: HashMap<K, u32, BuildHasherDefault<Mix>> =
        HashMap::with_capacity_and_hasher(reference.len(), Default::default());
    for w in reference.windows(n) {
        *counts.entry(key(w)).or_insert(0) += 1;
    }
    let mut matched = 0;
    for w in hyp.windows(n) {
        if let Some(c) = counts.get_mut(&key(w)).filter(|c| **c > 0) {
            *c -= 1;
            matched += 1;
        }
    }
    let windows = |len: usize| (len + 1).saturating_sub(n);
    (windows(hyp.len()), windows(reference.len()), matched)
}

/// A multiply-xorshift hash for packed n-grams: they are not attacker-chosen keys of a long-lived
/// table, so SipHash's protection buys nothing here.
#[derive(Default)]
struct Mix(u64);

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        let h = (self.0 ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
    fn write_u128(&mut self, x: u128) {
        self.write_u64(x as u64);
        self.write_u64((x >> 64) as u64);
    }
}

/// sacrebleu's `_compute_f_score` without eps smoothing: precision and recall averaged over the
/// orders both sides have, then F-beta.
fn f_score(stats: &[[usize; 3]; ORDER]) -> f64 {
    let factor = BETA * BETA;
    let (mut precision, mut recall, mut effective) = (0.0, 0.0, 0usize);
    for &[hyp, reference, matched] in stats {
        if hyp > 0 && reference > 0 {
            precision += matched as f64 / hyp as f64;
            recall += matched as f64 / reference as f64;
            effective += 1;
        }
    }
    if effective == 0 {
        return 0.0;
    }
    precision /= effective as f64;
    recall /= effective as f64;
    if precision + recall == 0.0 {
        return 0.0;
    }
    100.0 * (1.0 + factor) * precision * recall / (factor * precision + recall)
}

/// The text's characters without whitespace, as Python's `''.join(s.split())` leaves them
/// (`str.split()` also splits at the information separators U+001C–U+001F).
fn chars_without_whitespace(text: &str) -> Vec<u32> {
    text.chars()
        .filter(|c| !(c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(c)))
        .map(u32::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::chrf;

    #[test]
    fn identical_texts_score_100_and_disjoint_ones_0() {
        assert!((chrf("const a = 1;", "const a = 1;") - 100.0).abs() < 1e-9);
        assert!((chrf("const a = 1;", "const  a=1;\n") - 100.0).abs() < 1e-9);
        assert_eq!(chrf("xyz", "abc"), 0.0);
        assert_eq!(chrf("", "abc"), 0.0);
    }

    #[test]
    fn a_large_alphabet_takes_the_wide_keys_with_the_same_result() {
        // 2,000 distinct characters need 11 bits each: six no longer fit in 64 bits.
        let wide: String = (0..2000u32)
            .filter_map(|i| char::from_u32(0x4e00 + i))
            .collect();
        let shifted: String = wide.chars().skip(7).chain(wide.chars().take(7)).collect();
        let score = chrf(&shifted, &wide);
        assert!(score > 90.0 && score < 100.0, "{score}");
        assert!((chrf(&wide, &wide) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn sacrebleu_values() {
        // sacrebleu 2.6.0: CHRF().sentence_score(h, [r]).score
        let cases = [
            (
                "The relationship between Obama and Netanyahu is not exactly friendly.",
                "The ties between Obama and Netanyahu are not particularly friendly.",
                61.576_379_378_113_78,
            ),
            ("abc", "abcd", 68.862_275_449_101_79),
        ];
        for (h, r, want) in cases {
            let got = chrf(h, r);
            assert!((got - want).abs() < 1e-9, "{h:?}: {got} != {want}");
        }
    }
}
