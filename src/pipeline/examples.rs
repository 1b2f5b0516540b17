//! The examples stage: each template's briefs, paired with its code, within the token budget.
//!
//! Takes the records (gated code, prompts, duration), the budget and the count cache. [`compose`]
//! gives each record its briefs, counted (or their counts remembered), and lets go of what they
//! were made from; [`run`] gives one [`Draft`] per brief that fits the per-example limit, borrowing
//! the brief, in catalog order (the split stage places each in its split), and what the stats need
//! about how they were made: briefs by origin and format, format mismatches, templates whose
//! briefs were synthesized, and the examples dropped for size (each also a diagnostic);
//! [`remember`] keeps the counts for the next build.

use rayon::prelude::*;

use super::record::{Briefs, TemplateRecord};
use crate::config::Config;
use crate::dataset::example::Draft;
use crate::dataset::stats::{BriefStats, OverLimit};
use crate::diagnostic::{warning, Diagnostics};
use crate::location::Location;
use crate::prompts::brief;
use crate::prompts::TemplatePrompts;
use crate::tokens::count_cache::{self, CountCache};
use crate::tokens::{chat_total, Budget};

pub struct Examples<'r> {
    /// In catalog order; boxed, so placing them in splits moves pointers (see
    /// [`Example`](crate::dataset::example::Example)).
    #[expect(
        clippy::vec_box,
        reason = "placed in splits by pointer: not held twice at the peak"
    )]
    pub drafts: Vec<Box<Draft<'r>>>,
    pub counted: Made,
}

/// What the stage counted for the stats.
#[derive(Default)]
pub struct Made {
    pub briefs: BriefStats,
    /// Templates whose briefs were all synthesized (no curated prompt).
    pub synthesized: Vec<String>,
    pub over_limit: Vec<OverLimit>,
}

/// Compose each briefed template's briefs (a template with gated code and a duration) and count
/// their tokens, on all cores: tokenizing tens of thousands of briefs is most of this stage's work
/// in a cold build; a warm one finds the counts in `counts`. Each record keeps its briefs and lets
/// go of what they were made from (its prompts, the catalog fields only briefs read): the examples
/// borrow the briefs to the end of the build.
pub fn compose(config: &Config, records: &mut [TemplateRecord], counts: &CountCache) {
    let display = |at: &Location| config.display_location(at);
    records.par_iter_mut().for_each(|record| {
        if let (Some(_), Some((duration, _))) = (record.accepted(), record.duration) {
            record.briefs = Some(compose_one(config, record, duration, counts, &display));
        }
        // Every record, briefed or not: nothing after this stage reads them.
        record.prompts = TemplatePrompts::default();
        record.template.drop_brief_sources();
    });
}

/// Keep the briefs' and the system prompt's counts for the next build, if they are not the ones
/// it read; a failure costs only speed, so it is a note. The texts are hashed again here, one after
/// another as they are written (only when there is something to save), rather than their digests
/// kept since [`compose`] or gathered: 36 bytes a brief, 16 MB at the peak of a 100,000-template
/// build.
pub fn remember(
    records: &[TemplateRecord],
    system: (&str, usize),
    cache: &CountCache,
    diagnostics: &mut Diagnostics,
) {
    if !cache.needs_saving() {
        return;
    }
    let texts = records
        .iter()
        .flat_map(|record| record.briefs.iter().flat_map(|made| &made.briefs))
        .map(|(brief, tokens)| (brief.text.as_str(), *tokens))
        .chain(std::iter::once(system))
        .filter_map(|(text, tokens)| count_cache::record(text, tokens));
    if let Err(e) = cache.save(texts) {
        diagnostics.add(warning::cache_not_saved(
            "the token-count cache",
            "the next build counts the briefs again",
            e,
        ));
    }
}

/// One template's briefs, each with its token count.
fn compose_one(
    config: &Config,
    record: &TemplateRecord,
    duration: u32,
    counts: &CountCache,
    display: &dyn Fn(&Location) -> String,
) -> Briefs {
    let made = brief::briefs_for(
        &record.template,
        duration,
        config.video.fps,
        &record.prompts,
        (
            config.prompts.variants_per_template,
            config.prompts.generated_per_template,
        ),
        display,
    );
    Briefs {
        briefs: made
            .briefs
            .into_iter()
            .map(|b| {
                let tokens = counts.count(&b.text);
                (b, tokens)
            })
            .collect(),
        gated: made.gated,
        synthesized: made.synthesized,
    }
}

/// The examples of the composed briefs that fit the budget, in catalog order; warnings and stats
/// gathered in that order.
pub fn run<'r>(
    records: &'r [TemplateRecord],
    budget: &Budget,
    system_tokens: usize,
    diagnostics: &mut Diagnostics,
) -> Examples<'r> {
    let mut drafts = Vec::new();
    let mut out = Made::default();
    for record in records {
        let (Some(code), Some((duration, duration_from)), Some(made)) =
            (record.accepted(), record.duration, &record.briefs)
        else {
            continue;
        };
        let template = &record.template;
        if made.synthesized {
            out.synthesized.push(template.id.clone());
        }
        out.briefs.gated += made.gated.len();
        for gated in &made.gated {
            if let Some(at) = &gated.location {
                diagnostics.add(warning::gated_prompt(
                    at.clone(),
                    &template.id,
                    gated.format,
                ));
            }
        }
        out.briefs.gated_prompts.extend(made.gated.iter().cloned());
        for (b, brief_tokens) in &made.briefs {
            let tokens = chat_total(&[system_tokens, *brief_tokens, code.tokens]);
            if tokens > budget.limit {
                diagnostics.add(warning::over_limit(
                    crate::dataset::example::example_id(&template.id, &b.variant, b.format),
                    tokens,
                    &budget.model,
                    budget.limit,
                ));
                out.over_limit.push(OverLimit {
                    template_id: template.id.clone(),
                    prompt_variant: b.variant.clone(),
                    format: b.format,
                    tokens,
                    limit: budget.limit,
                });
                continue;
            }
            *out.briefs.by_origin.entry(b.origin.kind()).or_default() += 1;
            *out.briefs.by_format.entry(b.format).or_default() += 1;
            drafts.push(Box::new(Draft {
                template,
                code,
                brief: b,
                duration,
                duration_from,
                tokens,
                assistant_tokens: code.tokens,
            }));
        }
    }
    Examples {
        drafts,
        counted: out,
    }
}
