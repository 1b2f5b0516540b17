//! Near-copies: code so alike that training on one and evaluating on the other measures recall.
//!
//! Takes code (bytes); gives a [`Signature`] of its word 5-grams and, for a set of signatures, the
//! clusters of near-copies (`cluster.rs`), which the split keeps together, and an [`Index`] that
//! `validate` streams outputs through. The pieces, as in the near-deduplication of large code
//! datasets (BigCode, text-dedup, datasketch), except that near-copies are kept and grouped, not
//! dropped:
//!
//! - **Shingles** (`signature.rs`): the word 5-grams of the code, comments ignored: a word is a run
//!   of letters, digits, `_` and `$` (also inside strings: a renamed label changes words),
//!   everything else separates words. Identifiers and numbers are kept as written. Measured on
//!   production Remotion scenes, renamed and re-dimensioned twins sit at 0.67–1.0, restyled variants
//!   at 0.40–0.45 and unrelated scenes of the same library under 0.32 (README).
//! - **MinHash**, one permutation with optimal densification (Shrivastava, 2017): each shingle is
//!   hashed once (seeded, fixed), its hash picks one of [`BINS`] bins and the bin keeps the smallest
//!   value; empty bins borrow from a fixed pseudo-random sequence of other bins. Two signatures agree
//!   in a bin with probability equal to the Jaccard similarity of the shingle sets; the share of
//!   agreeing bins is the *estimate* every decision uses (standard error about 0.02 near 0.36).
//! - **LSH**: [`BANDS`] bands of [`ROWS`] bins; two signatures that agree on a whole band are
//!   candidates. At the default threshold a near-copy pair is a candidate with probability 0.9997;
//!   at similarity 0.06 (typical unrelated code) with probability 0.04.
//! - **Clusters** (`cluster.rs`): the connected components of "LSH candidates whose estimate reaches
//!   the threshold", plus identical code, found without comparing every pair of a bucket.

mod cluster;
mod index;
mod signature;

pub use cluster::{cluster, Clusters, Group, Item};
pub use index::Index;
pub use signature::{band_key, band_keys, signature, similarity, Signature, BANDS, BINS, ROWS};

/// Similarity at or above which two templates are near-copies (README: how it was chosen).
pub const DEFAULT_THRESHOLD: f64 = 0.36;
