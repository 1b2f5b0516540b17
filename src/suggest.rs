//! "Did you mean …?": the closest known name to one that matched nothing.
//!
//! Takes a name that matched nothing and the names it could have meant; gives the closest one when
//! it is close enough to be a likely typo (an edit distance of at most a third of the name, and at
//! least one), preferring a name that differs only in case.

/// The candidate closest to `name`, if it is a plausible typo of it.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    let length = name.chars().count();
    for candidate in candidates {
        // Cheap first: a name of a very different length cannot be close.
        if candidate == name || candidate.len().abs_diff(name.len()) > 4 * limit {
            continue;
        }
        if candidate.chars().count().abs_diff(length) > limit {
            continue;
        }
        let distance = if candidate.to_lowercase() == lower {
            0
        } else {
            edit_distance(&lower, &candidate.to_lowercase())
        };
        if distance <= limit
            && best.is_none_or(|(d, c)| distance < d || (distance == d && candidate < c))
        {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_and_case_find_their_name_and_strangers_do_not() {
        let ids = ["countdown-portrait", "quote-card", "lower-third"];
        assert_eq!(closest("quote-crad", ids), Some("quote-card"));
        assert_eq!(closest("Quote-Card", ids), Some("quote-card"));
        assert_eq!(closest("kinetic-headline", ids), None);
        assert_eq!(closest("quote-card", ids), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
