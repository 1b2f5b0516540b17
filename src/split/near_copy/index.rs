//! A streaming near-copy index: train outputs go in one by one, held-out outputs ask for their
//! nearest train output.
//!
//! Takes signatures and what each one stands for (a file:line); gives, for a query signature, the
//! most similar indexed item among its LSH candidates whose estimate reaches the threshold. Work per
//! line is bounded whatever the data: items are clustered as they arrive (the same candidates and
//! estimate as [`super::cluster`]), only one representative per cluster is kept in the buckets, and
//! a query or an insertion compares with at most [`MAX_CANDIDATES`] distinct representatives. Ten
//! thousand near-identical train outputs are one representative, not ten thousand bucket members
//! compared for every held-out line. A held-out output that is a near-copy of a train output is
//! reported against that output's cluster representative (usually the output itself, or a closer
//! twin of it).

use std::collections::{HashMap, HashSet};

use super::signature::{band_keys, similarity, Signature};

/// Distinct representatives compared for one insertion or query, at most.
pub const MAX_CANDIDATES: usize = 4096;

/// Signatures indexed for near-copy queries: one representative per cluster, in LSH buckets.
pub struct Index<T> {
    threshold: f64,
    /// One signature per cluster of indexed items, with where its first member is.
    representatives: Vec<(Signature, T)>,
    buckets: HashMap<u64, Vec<u32>>,
    /// Items inserted, representatives or not.
    items: usize,
}

impl<T> Index<T> {
    /// An empty index joining items whose estimate reaches `threshold` (> 0).
    pub fn new(threshold: f64) -> Index<T> {
        Index {
            threshold,
            representatives: Vec::new(),
            buckets: HashMap::new(),
            items: 0,
        }
    }

    /// Items inserted.
    pub fn len(&self) -> usize {
        self.items
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// Clusters kept (each costs a signature and its bucket entries).
    pub fn representatives(&self) -> usize {
        self.representatives.len()
    }

    /// Add an item: it joins the cluster of a representative it is a near-copy of, or becomes the
    /// representative of a new one.
    pub fn insert(&mut self, sig: Signature, item: T) {
        self.items += 1;
        if self.nearest_id(&sig).is_some() {
            return;
        }
        let id = self.representatives.len() as u32;
        for key in band_keys(&sig) {
            self.buckets.entry(key).or_default().push(id);
        }
        self.representatives.push((sig, item));
    }

    /// The most similar representative among the LSH candidates of `sig`, if its estimate reaches
    /// the threshold (ties: the one indexed first).
    pub fn nearest(&self, sig: &Signature) -> Option<(f64, &T)> {
        self.nearest_id(sig)
            .map(|(s, id)| (s, &self.representatives[id as usize].1))
    }

    fn nearest_id(&self, sig: &Signature) -> Option<(f64, u32)> {
        let mut best: Option<(f64, u32)> = None;
        let mut seen = HashSet::new();
        'bands: for key in band_keys(sig) {
            for &id in self.buckets.get(&key).into_iter().flatten() {
                if !seen.insert(id) {
                    continue;
                }
                let s = similarity(sig, &self.representatives[id as usize].0);
                if s >= self.threshold && best.is_none_or(|(b, bid)| s > b || (s == b && id < bid))
                {
                    best = Some((s, id));
                }
                if seen.len() >= MAX_CANDIDATES {
                    break 'bands;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::super::signature::tests::starter;
    use super::super::signature::{signature, BINS};
    use super::super::DEFAULT_THRESHOLD;
    use super::*;

    #[test]
    fn the_index_finds_what_cluster_joins() {
        let a = starter("quote-card");
        let b = a.replace("QuoteCard", "CitationCard");
        let mut index = Index::new(DEFAULT_THRESHOLD);
        index.insert(signature(a.as_bytes()).unwrap(), "train.jsonl:1");
        index.insert(
            signature(starter("lower-third").as_bytes()).unwrap(),
            "train.jsonl:2",
        );
        let (s, at) = index.nearest(&signature(b.as_bytes()).unwrap()).unwrap();
        assert_eq!(*at, "train.jsonl:1");
        assert!(s > 0.8, "{s}");
        assert!(index
            .nearest(&signature(starter("countdown-portrait").as_bytes()).unwrap())
            .is_none());
    }

    #[test]
    fn near_identical_items_share_one_representative() {
        let a = starter("stats-counter");
        let mut index = Index::new(DEFAULT_THRESHOLD);
        for i in 0..1000 {
            let variant = a.replace("StatsCounter", &format!("StatsCounter{i}"));
            index.insert(signature(variant.as_bytes()).unwrap(), i);
        }
        index.insert(signature(starter("lower-third").as_bytes()).unwrap(), 1000);
        assert_eq!(index.len(), 1001);
        assert_eq!(index.representatives(), 2);
        let (_, at) = index.nearest(&signature(a.as_bytes()).unwrap()).unwrap();
        assert_eq!(*at, 0);
        // Unrelated signatures each keep their own.
        let mut bins = [0u16; BINS];
        for (i, b) in bins.iter_mut().enumerate() {
            *b = i as u16;
        }
        index.insert(Signature::from_bins(bins), 1001);
        assert_eq!(index.representatives(), 3);
    }
}
