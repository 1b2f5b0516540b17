//! Near-copy clusters of a set of code bodies, in time linear in their number.
//!
//! Takes one [`Item`] per code body (its signature and digest) and a threshold; gives [`Clusters`]:
//! the connected components of the graph whose edges are identical code, and pairs that share an
//! LSH bucket and whose estimated similarity reaches the threshold. That definition is the one an
//! all-pairs comparison of every bucket gives (the tests check it on random inputs), but it is
//! computed without comparing all pairs, which cost ~170·k²/2 comparisons for a family of k
//! near-identical variants (2,000 of them exhausted memory). Bands are taken 16 at a time, their
//! buckets linked on all cores against a snapshot of the clusters found in the bands before; in a
//! bucket, members are taken in order and a member is compared only with the clusters of that
//! bucket it is not in yet, one member of such a cluster at a time, stopping at the first that
//! reaches the threshold. A pair already in one cluster is never compared, so a family of
//! near-identical scenes costs about one comparison per member and band of the first group of
//! bands that sees it, and none after, whatever its size. Comparisons that fail are the ones the
//! definition needs: a bucket full of mutually dissimilar code (which LSH makes rare: a pair at
//! similarity s shares a band with probability s³) still costs what it costs.
//!
//! A cluster's reported similarity is the highest estimate among the comparisons that joined its
//! members (1.0 when two members have identical code): not every pair is compared, so it is the
//! closest link found, at least the threshold, and not necessarily the closest pair.

use std::collections::HashMap;

use rayon::prelude::*;

use super::signature::{agreeing, band_key, bins_needed, Signature, BANDS, BINS};

/// One code body to cluster.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// `None` for code without words: it clusters only by digest.
    pub signature: Option<&'a Signature>,
    /// Identical digests always share a cluster.
    pub digest: &'a [u8],
}

/// Near-copy clusters of a set of code bodies.
#[derive(Debug, Default)]
pub struct Clusters {
    /// For each input, the index of its cluster in [`Clusters::groups`].
    pub cluster_of: Vec<usize>,
    /// Every cluster, singletons included, in order of its first member.
    pub groups: Vec<Group>,
    /// Similarity estimates computed (the work done; all pairs would be ~170·k²/2 for a family).
    pub comparisons: u64,
}

/// Near-copies found together: one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Input indices, ascending.
    pub members: Vec<usize>,
    /// The highest estimate among the comparisons that joined members (1.0 for identical code; 0
    /// for a singleton). Not every pair is compared: see the module's doc.
    pub similarity: f64,
}

/// Bands whose buckets are linked at once (on all cores) against the clusters found before them:
/// bounds the memory of bucket keys at 16 bytes × this × the number of items, and a family of
/// near-copies costs comparisons only in the first such group of bands that sees it.
const BANDS_AT_ONCE: usize = 16;

/// Cluster code bodies: those whose estimated similarity reaches `threshold` (LSH candidates), and
/// those with identical digests, end in one cluster. A threshold of 0 turns similarity off
/// (identical code still clusters).
pub fn cluster(items: &[Item<'_>], threshold: f64) -> Clusters {
    let n = items.len();
    let mut sets = UnionFind::new(n);
    let mut best = vec![0.0f64; n];
    let mut comparisons = 0;
    // Identical code first: one representative per digest (its first copy with a signature)
    // takes part in the LSH.
    let mut first_of: HashMap<&[u8], (usize, bool)> = HashMap::new();
    let mut representatives: Vec<(u32, &Signature)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let signed = match first_of.get_mut(item.digest) {
            Some((first, signed)) => {
                sets.union(*first, i);
                best[i] = 1.0;
                best[*first] = 1.0;
                signed
            }
            None => &mut first_of.entry(item.digest).or_insert((i, false)).1,
        };
        if let (Some(sig), false) = (item.signature, *signed) {
            *signed = true;
            representatives.push((i as u32, sig));
        }
    }
    if threshold > 0.0 && representatives.len() > 1 {
        for first in (0..BANDS).step_by(BANDS_AT_ONCE) {
            let bands = first..(first + BANDS_AT_ONCE).min(BANDS);
            // The clusters as they stand: within these bands, members of one cluster are never
            // compared with each other.
            let roots: Vec<u32> = (0..n).map(|i| sets.find(i) as u32).collect();
            // Buckets of these bands, linked on all cores, each on its own; the links are applied
            // after, in a fixed order, so results never depend on the thread schedule.
            let links: Vec<(Vec<Link>, u64)> = bands
                .into_par_iter()
                .flat_map_iter(|band| {
                    let mut keys: Vec<(u64, u32)> = representatives
                        .iter()
                        .map(|&(i, sig)| (band_key(sig, band), i))
                        .collect();
                    keys.sort_unstable();
                    let mut links = Vec::new();
                    let mut compared = 0;
                    for bucket in keys.chunk_by(|a, b| a.0 == b.0) {
                        if bucket.len() > 1 {
                            compared += link(bucket, items, &roots, threshold, &mut links);
                        }
                    }
                    std::iter::once((links, compared))
                })
                .collect();
            for (links, compared) in links {
                comparisons += compared;
                for (a, b, s) in links {
                    let (a, b) = (a as usize, b as usize);
                    sets.union(a, b);
                    best[a] = best[a].max(s);
                    best[b] = best[b].max(s);
                }
            }
        }
    }
    let mut index_of_root: HashMap<usize, usize> = HashMap::new();
    let mut out = Clusters {
        cluster_of: Vec::with_capacity(n),
        groups: Vec::new(),
        comparisons,
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
        out.groups[g].similarity = out.groups[g].similarity.max(*similarity);
        out.cluster_of.push(g);
    }
    for group in &mut out.groups {
        if group.members.len() == 1 {
            group.similarity = 0.0;
        }
    }
    out
}

/// Two items joined, and the estimate that joined them.
type Link = (u32, u32, f64);

/// Link the members of one bucket (item indices, ascending): pushes a link for every comparison
/// that joined two clusters, and gives the number of comparisons. `roots` says which items are in
/// one cluster already; members are compared only with clusters of the bucket they are not in,
/// one member of such a cluster at a time, until one reaches the threshold.
fn link(
    bucket: &[(u64, u32)],
    items: &[Item<'_>],
    roots: &[u32],
    threshold: f64,
    links: &mut Vec<Link>,
) -> u64 {
    // A bucket of one cluster (a family seen in earlier bands) has nothing to link.
    let first_root = roots[bucket[0].1 as usize];
    if bucket.iter().all(|&(_, m)| roots[m as usize] == first_root) {
        return 0;
    }
    let sigs: Vec<Option<&[u16; BINS]>> = bucket
        .iter()
        .map(|&(_, m)| items[m as usize].signature.map(Signature::bins))
        .collect();
    let needed = bins_needed(threshold);
    // The bucket's own union-find over positions, starting from the clusters known so far.
    let mut local = UnionFind::new(bucket.len());
    let mut first_with_root: HashMap<u32, usize> = HashMap::new();
    for (p, &(_, m)) in bucket.iter().enumerate() {
        let q = *first_with_root.entry(roots[m as usize]).or_insert(p);
        local.union(q, p);
    }
    let mut compared = 0;
    // The clusters present in the bucket so far: their current root and members' positions.
    let mut present: Vec<(usize, Vec<usize>)> = Vec::new();
    for (p, m_sig) in sigs.iter().enumerate() {
        let Some(m_sig) = m_sig else {
            continue;
        };
        let mut own = local.find(p);
        let mut joined_any = false;
        for (root, members) in &present {
            if *root == own {
                continue; // one cluster already: nothing to compare
            }
            for &q in members {
                let Some(x_sig) = sigs[q] else {
                    continue;
                };
                let same = agreeing(m_sig, x_sig);
                compared += 1;
                if same >= needed {
                    local.union(p, q);
                    own = local.find(p);
                    let (m, x) = (bucket[p].1, bucket[q].1);
                    links.push((m, x, f64::from(same) / BINS as f64));
                    joined_any = true;
                    break;
                }
            }
        }
        if joined_any {
            // Every cluster `m` joined is now one: merge their member lists under its root, into
            // the longest (a family growing one member at a time must not be copied each time).
            let joined: Vec<usize> = (0..present.len())
                .filter(|&e| local.find(present[e].0) == own)
                .collect();
            let into = joined
                .iter()
                .copied()
                .max_by_key(|&e| present[e].1.len())
                .unwrap_or(0);
            let mut gathered = Vec::new();
            for &e in joined.iter().rev() {
                if e != into {
                    gathered.append(&mut present[e].1);
                }
            }
            present[into].0 = own;
            present[into].1.append(&mut gathered);
            present[into].1.push(p);
            present.retain(|(_, members)| !members.is_empty());
        } else {
            match present.iter_mut().find(|(r, _)| *r == own) {
                Some((_, members)) => members.push(p),
                None => present.push((own, vec![p])),
            }
        }
    }
    compared
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

#[cfg(test)]
mod tests {
    use super::super::signature::tests::{starter, SCENES};
    use super::super::signature::{band_keys, signature, similarity};
    use super::super::DEFAULT_THRESHOLD;
    use super::*;
    use crate::rng::Rng;

    /// Every pair of items that shares an LSH bucket, with its estimate: the candidates of the
    /// all-pairs definition, computed once per input for every threshold.
    fn candidate_pairs(items: &[Item<'_>]) -> Vec<(usize, usize, f64)> {
        let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(sig) = item.signature {
                for key in band_keys(sig) {
                    buckets.entry(key).or_default().push(i);
                }
            }
        }
        let mut pairs = std::collections::BTreeSet::new();
        for members in buckets.values() {
            for (x, &a) in members.iter().enumerate() {
                for &b in &members[x + 1..] {
                    pairs.insert((a, b));
                }
            }
        }
        pairs
            .into_iter()
            .filter_map(|(a, b)| {
                let s = similarity(items[a].signature?, items[b].signature?);
                Some((a, b, s))
            })
            .collect()
    }

    /// The definition, computed the slow way: every candidate pair compared.
    fn all_pairs(
        items: &[Item<'_>],
        pairs: &[(usize, usize, f64)],
        threshold: f64,
    ) -> Vec<Vec<usize>> {
        let n = items.len();
        let mut sets = UnionFind::new(n);
        let mut first_of: HashMap<&[u8], usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            match first_of.get(item.digest) {
                Some(&f) => sets.union(f, i),
                None => {
                    first_of.insert(item.digest, i);
                }
            }
        }
        if threshold > 0.0 {
            for &(a, b, s) in pairs {
                if s >= threshold {
                    sets.union(a, b);
                }
            }
        }
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..n {
            groups.entry(sets.find(i)).or_default().push(i);
        }
        let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
        groups.sort();
        groups
    }

    fn members(c: &Clusters) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = c.groups.iter().map(|g| g.members.clone()).collect();
        groups.sort();
        groups
    }

    /// Random signatures in families: each member keeps each of its family base's bins with a
    /// probability drawn per family (so similarities land on both sides of the threshold), from an
    /// alphabet of 16 to 64 values (so unrelated signatures share buckets now and then).
    fn random_items(rng: &mut Rng) -> (Vec<Signature>, Vec<String>) {
        let mut sigs = Vec::new();
        let mut digests = Vec::new();
        let families = 1 + rng.below(6) as usize;
        for family in 0..families {
            let size = 1 + rng.below(30) as usize;
            let keep = 0.3 + 0.7 * rng.unit();
            let alphabet = 16 + rng.below(49) as u16;
            let mut base = [0u16; BINS];
            for b in base.iter_mut() {
                *b = rng.below(u64::from(alphabet)) as u16;
            }
            for member in 0..size {
                let mut bins = base;
                for b in bins.iter_mut() {
                    if rng.unit() > keep {
                        *b = rng.below(u64::from(alphabet)) as u16;
                    }
                }
                // Now and then a byte-identical copy of an earlier member.
                let identical = member > 0 && rng.below(10) == 0;
                if identical {
                    bins = *sigs.last().map(|s: &Signature| s.bins()).unwrap_or(&bins);
                    digests.push(digests.last().cloned().unwrap_or_default());
                } else {
                    digests.push(format!("{family}-{member}"));
                }
                sigs.push(Signature::from_bins(bins));
            }
        }
        (sigs, digests)
    }

    #[test]
    fn clusters_equal_the_all_pairs_definition_on_random_families() {
        let mut compared = 0;
        for seed in 0..200 {
            let mut rng = Rng::new(seed);
            let (sigs, digests) = random_items(&mut rng);
            let items: Vec<Item<'_>> = sigs
                .iter()
                .zip(&digests)
                .enumerate()
                .map(|(i, (s, d))| Item {
                    // Now and then code without words.
                    signature: (i % 17 != 5).then_some(s),
                    digest: d.as_bytes(),
                })
                .collect();
            let pairs = candidate_pairs(&items);
            for threshold in [0.0, 0.2, DEFAULT_THRESHOLD, 0.5, 0.8] {
                let fast = cluster(&items, threshold);
                assert_eq!(
                    members(&fast),
                    all_pairs(&items, &pairs, threshold),
                    "seed {seed}, threshold {threshold}"
                );
                for (i, &g) in fast.cluster_of.iter().enumerate() {
                    assert!(fast.groups[g].members.contains(&i));
                }
                for g in &fast.groups {
                    assert!(
                        (g.members.len() == 1 && g.similarity == 0.0)
                            || (g.members.len() > 1
                                && g.similarity >= threshold.min(1.0)
                                && g.similarity <= 1.0),
                        "{g:?}"
                    );
                }
                compared += fast.groups.iter().filter(|g| g.members.len() > 1).count();
            }
        }
        // The inputs exercised real clusters, not only singletons.
        assert!(compared > 300, "{compared}");
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
        let items: Vec<Item<'_>> = sigs
            .iter()
            .zip(&digests)
            .map(|(s, d)| Item {
                signature: s.as_ref(),
                digest: d.as_bytes(),
            })
            .collect();
        let c = cluster(&items, DEFAULT_THRESHOLD);
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
        let off = cluster(&items, 0.0);
        assert_eq!(off.groups.iter().filter(|g| g.members.len() > 1).count(), 1);
    }

    #[test]
    fn a_family_of_near_identical_variants_costs_comparisons_linear_in_its_size() {
        // 5,000 variants of one signature, each differing from the base in a few bins: all pairs
        // would be ~2·10⁹ comparisons; linking needs about one per member and band of the first
        // group of bands.
        let mut rng = Rng::new(7);
        let mut base = [0u16; BINS];
        for b in base.iter_mut() {
            *b = rng.below(u64::from(u16::MAX)) as u16;
        }
        let sigs: Vec<Signature> = (0..5_000)
            .map(|_| {
                let mut bins = base;
                for _ in 0..20 {
                    bins[rng.below(BINS as u64) as usize] = rng.below(1000) as u16;
                }
                Signature::from_bins(bins)
            })
            .collect();
        let digests: Vec<String> = (0..sigs.len()).map(|i| i.to_string()).collect();
        let items: Vec<Item<'_>> = sigs
            .iter()
            .zip(&digests)
            .map(|(s, d)| Item {
                signature: Some(s),
                digest: d.as_bytes(),
            })
            .collect();
        let c = cluster(&items, DEFAULT_THRESHOLD);
        assert_eq!(c.groups.len(), 1);
        assert!(c.groups[0].similarity > 0.9, "{}", c.groups[0].similarity);
        assert!(
            c.comparisons <= (BANDS_AT_ONCE as u64 + 2) * items.len() as u64,
            "{} comparisons for {} variants",
            c.comparisons,
            items.len()
        );
    }
}
