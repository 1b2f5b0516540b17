//! The gate stage: every template's fetched code through the quality gate, on all cores, batch by
//! batch as the code stage reads it.
//!
//! Takes the records, the batches of found code, the gate settings, the gate cache and the build's
//! [`Spill`]; leaves each record's code [`CodeState::Accepted`] (its escaped text moved into the
//! spill file, so no code stays in memory) or [`CodeState::Rejected`] with the rejection, its
//! near-copy signature when asked for, and the digest the cache keeps its verdict under. Code whose
//! bytes an earlier build already judged under the same rules is not parsed or tokenized again: its
//! tokens and duration come from the cache (its signature is computed, which costs less than
//! storing it).

use std::sync::mpsc;

use rayon::prelude::*;

use super::observer::Counter;
use super::record::{CodeState, TemplateRecord};
use crate::code::gate::{self, Gate};
use crate::code::gate_cache::{GateCache, Verdict};
use crate::code::spill::Spill;
use crate::code::{Batch, CodeText, Stored};
use crate::diagnostic::{warning, Diagnostics};
use crate::digest::Sha256Digest;
use crate::error::{Error, Result};
use crate::location::Location;
use crate::parse_guard;
use crate::split::near_copy;

/// How many code bodies the gate judged, and how many of those verdicts came from the cache.
pub struct Gated {
    pub judged: usize,
    pub remembered: usize,
}

pub fn run(
    records: &mut [TemplateRecord],
    batches: &mpsc::Receiver<Batch>,
    settings: &Gate<'_>,
    cache: &GateCache,
    signatures: bool,
    spill: &mut Spill,
    checked: &Counter<'_>,
) -> Result<Gated> {
    // Parsing recurses as deep as the code nests: the gate's workers get big stacks.
    let pool = parse_guard::parse_pool().map_err(|e| Error::Threads(e.to_string()))?;
    let mut gated = Gated {
        judged: 0,
        remembered: 0,
    };
    // Each worker moves the code it accepted into the spill file itself, so writing overlaps
    // gating (the file is shared; identical code is written once whichever worker comes first).
    let shared = std::sync::Mutex::new(&mut *spill);
    let result = (|| -> Result<()> {
        for batch in batches.iter() {
            gated.judged += batch.found.len();
            for (i, found) in batch.found {
                records[i].code = CodeState::Found(found);
            }
            let records = &mut records[batch.range];
            let counted = pool.install(|| {
                records
                    .par_iter_mut()
                    .map(|record| -> Result<usize> {
                        let remembered = judge(record, settings, cache, signatures);
                        spill_code(record, &shared)?;
                        Ok(usize::from(remembered))
                    })
                    .sum::<Result<usize>>()
            })?;
            gated.remembered += counted;
            checked.add(records.len() as u64);
        }
        Ok(())
    })();
    result?;
    spill.seal();
    Ok(gated)
}

/// Move an accepted record's escaped code into the spill file.
fn spill_code(record: &mut TemplateRecord, spill: &std::sync::Mutex<&mut Spill>) -> Result<()> {
    if let CodeState::Accepted(code) = &mut record.code {
        if let CodeText::Escaped(json) = &code.text {
            let mut spill = spill.lock().unwrap_or_else(|e| e.into_inner());
            let span = spill
                .push(code.sha256, json)
                .map_err(|e| Error::write(spill.dir(), e))?;
            code.text = CodeText::Spilled(span);
        }
    }
    Ok(())
}

/// Gate one record's found code (if it has some); gives whether the cache decided.
fn judge(
    record: &mut TemplateRecord,
    settings: &Gate<'_>,
    cache: &GateCache,
    signatures: bool,
) -> bool {
    let CodeState::Found(found) = std::mem::take(&mut record.code) else {
        return false;
    };
    // Code over the size cap has no bytes: never cached, rejected by the gate.
    record.fetched_sha256 = match &found.stored {
        Stored::Bytes(bytes) => Some(Sha256Digest::of(bytes)),
        Stored::TooLarge(_) => None,
    };
    let id = &record.template.id;
    let origin = found.origin.clone();
    // Unchanged code: the last build's verdict, without parsing, tokenizing or signing.
    let known = record
        .fetched_sha256
        .as_ref()
        .and_then(|sha| cache.get(sha));
    let remembered = match known {
        Some(Verdict::Pass {
            tokens,
            duration,
            code_sha256,
        }) => gate::accept_known(&found, *tokens, duration, *code_sha256).map(Ok),
        Some(Verdict::Reject { rule, message, at }) => {
            Some(Err(gate::known_rejection(id, &found, *rule, message, *at)))
        }
        None => None,
    };
    let from_cache = remembered.is_some();
    // From the bytes (the same function `validate` signs outputs with), unless the cache knows the
    // code is rejected.
    if signatures && !matches!(remembered, Some(Err(_))) {
        if let Stored::Bytes(bytes) = &found.stored {
            record.signature = near_copy::signature(bytes);
        }
    }
    record.code = match remembered.unwrap_or_else(|| settings.run(id, found)) {
        Ok(code) => CodeState::Accepted(code),
        Err(rejection) => CodeState::Rejected { origin, rejection },
    };
    from_cache
}

/// A warning for every template whose code was normalized, and for every rejected template: at the code's file and line:col when there is a file (a
/// directory store or a code override), else with the place inside the code in the message.
pub fn report(records: &[TemplateRecord], diagnostics: &mut Diagnostics) {
    // Code the gate passed after changing it (a byte-order mark, CRLF): said, never silent.
    for record in records {
        if let Some(code) = record.accepted().filter(|c| c.normalized.any()) {
            diagnostics.add(warning::code_normalized(
                code.origin.file().map(Location::file),
                &record.template.id,
                code.normalized.bom,
                code.normalized.crlf_lines,
            ));
        }
    }
    for record in records {
        let CodeState::Rejected { origin, rejection } = &record.code else {
            continue;
        };
        let (at, message) = match (origin.file(), rejection.at) {
            (Some(file), Some(pos)) => (
                Some(Location::at(file, pos.line, pos.col)),
                rejection.detail(),
            ),
            (Some(file), None) => (Some(Location::file(file)), rejection.message.as_str()),
            (None, _) => (None, rejection.message.as_str()),
        };
        diagnostics.add(warning::rejected(
            at,
            &rejection.template_id,
            rejection.rule,
            message,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Template;
    use crate::code::duration::CodeDuration;
    use crate::code::{CodeOrigin, FoundCode};
    use crate::config::GateConfig;
    use crate::tokens::Encoding;

    fn record(code: &str) -> TemplateRecord {
        let mut record = TemplateRecord::new(Template::for_tests());
        record.code = CodeState::Found(FoundCode::bytes(
            code.as_bytes().to_vec(),
            CodeOrigin::store("t"),
        ));
        record
    }

    #[test]
    fn a_cached_verdict_brings_its_tokens_duration_and_digest_and_the_signature_is_computed() {
        let code = "const a = 1;\nexport default function A() { return a; }\n";
        let root = tempfile::tempdir().unwrap();
        let rules = GateConfig::default();
        let gate = Gate::new(&rules, Encoding::O200k);
        let open = || {
            GateCache::open(
                root.path(),
                &rules,
                Encoding::O200k,
                &gate.duration_export,
                gate.max_syntax_tokens,
            )
        };
        // What an earlier build remembered for these bytes: not what they would give now, so
        // that the test can tell remembered from recomputed.
        let remembered = Verdict::Pass {
            tokens: 4242,
            duration: CodeDuration::NoExport,
            code_sha256: Sha256Digest::of(b"remembered"),
        };
        let sha = Sha256Digest::of(code.as_bytes());
        open().save(std::iter::once((sha, remembered))).unwrap();
        let mut r = record(code);
        assert!(judge(&mut r, &gate, &open(), true));
        assert_eq!(r.accepted().unwrap().tokens, 4242);
        // The kept code's digest too: the code is not hashed a second time.
        assert_eq!(
            r.accepted().unwrap().sha256,
            Sha256Digest::of(b"remembered")
        );
        assert_eq!(r.signature, near_copy::signature(code.as_bytes()));
        assert_eq!(r.fetched_sha256, Some(sha));
        // Without the cache, everything is computed from the bytes.
        let mut r = record(code);
        assert!(!judge(&mut r, &gate, &GateCache::disabled(), true));
        assert_ne!(r.accepted().unwrap().tokens, 4242);
        assert_eq!(
            r.accepted().unwrap().sha256,
            Sha256Digest::of(code.trim_end().as_bytes())
        );
        assert_eq!(r.signature, near_copy::signature(code.as_bytes()));
    }
}
