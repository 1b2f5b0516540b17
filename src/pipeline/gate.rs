//! The gate stage: every template's fetched code through the quality gate, on all cores.
//!
//! Takes the records (code [`CodeState::Found`]), the gate settings and the gate cache; leaves each
//! record's code [`CodeState::Accepted`] or [`CodeState::Rejected`] (and, when asked, its near-copy
//! signature), and gives the rejections (catalog order) and this build's verdicts for the cache. Code
//! whose bytes an earlier build already judged under the same rules is not parsed or tokenized again.

use indicatif::ProgressBar;
use rayon::prelude::*;

use super::record::{CodeState, TemplateRecord};
use crate::code::gate::{self, Gate, Rejection};
use crate::code::gate_cache::{GateCache, Verdict};
use crate::code::Stored;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::parse_guard;
use crate::split::near_copy;

/// What the gate stage gives besides the updated records.
pub struct Gated {
    pub rejections: Vec<Rejection>,
    /// By SHA-256 of the bytes as fetched, for the cache.
    pub verdicts: Vec<(String, Verdict)>,
    /// Code bodies whose verdict came from the cache.
    pub remembered: usize,
}

/// One template's gate outcome: the SHA-256 of its bytes (none when too large to read), whether the
/// cache decided, the verdict.
type Outcome = (Option<String>, bool, std::result::Result<(), Rejection>);

pub fn run(
    records: &mut [TemplateRecord],
    settings: &Gate<'_>,
    cache: &GateCache,
    signatures: bool,
    bar: &ProgressBar,
) -> Result<Gated> {
    // Parsing recurses as deep as the code nests: the gate's workers get big stacks.
    let pool = parse_guard::parse_pool().map_err(|e| Error::Threads(e.to_string()))?;
    let outcomes: Vec<Option<Outcome>> = pool.install(|| {
        records
            .par_iter_mut()
            .map(|record| {
                let CodeState::Found(found) = std::mem::take(&mut record.code) else {
                    return None;
                };
                // Code over the size cap has no bytes: never cached, rejected by the gate.
                let sha = match &found.stored {
                    Stored::Bytes(bytes) => {
                        // From the bytes, not the cache: cheap (one pass) and the same in `validate`.
                        if signatures {
                            record.signature = near_copy::signature(bytes);
                        }
                        Some(sha256_hex(bytes))
                    }
                    Stored::TooLarge(_) => None,
                };
                let id = &record.template.id;
                // Unchanged code: the last build's verdict, without parsing or tokenizing.
                let origin = found.origin.clone();
                let remembered = match sha.as_deref().and_then(|sha| cache.get(sha)) {
                    Some(Verdict::Pass { tokens, duration }) => {
                        gate::accept_known(&found, *tokens, duration).map(Ok)
                    }
                    Some(Verdict::Reject { rule, message, at }) => {
                        Some(Err(gate::known_rejection(id, &found, *rule, message, *at)))
                    }
                    None => None,
                };
                let from_cache = remembered.is_some();
                let result = remembered.unwrap_or_else(|| settings.run(id, found));
                bar.inc(1);
                Some(match result {
                    Ok(code) => {
                        record.code = CodeState::Accepted(code);
                        (sha, from_cache, Ok(()))
                    }
                    Err(rejection) => {
                        record.code = CodeState::Rejected(origin);
                        (sha, from_cache, Err(rejection))
                    }
                })
            })
            .collect()
    });
    let mut gated = Gated {
        rejections: Vec::new(),
        verdicts: Vec::with_capacity(outcomes.len()),
        remembered: 0,
    };
    for (record, outcome) in records.iter().zip(outcomes) {
        let Some((sha, from_cache, result)) = outcome else {
            continue;
        };
        gated.remembered += usize::from(from_cache);
        let verdict = match (&result, record.accepted()) {
            (Ok(()), Some(code)) => Verdict::Pass {
                tokens: code.tokens,
                duration: code.duration.clone(),
            },
            (Err(r), _) => Verdict::Reject {
                rule: r.rule,
                message: r.message.clone(),
                at: r.at,
            },
            (Ok(()), None) => continue,
        };
        if let Some(sha) = sha {
            gated.verdicts.push((sha, verdict));
        }
        if let Err(rejection) = result {
            gated.rejections.push(rejection);
        }
    }
    Ok(gated)
}
