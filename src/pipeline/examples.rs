//! The examples stage: each template's briefs, paired with its code, within the token budget.
//!
//! Takes the records (gated code, prompts, duration) and the budget. [`compose`] gives each record
//! its briefs and lets go of what they were made from; [`run`] gives one [`Draft`] per brief that
//! fits the per-example limit, borrowing the brief, in catalog order (the split stage places each
//! in its split),
//! and what the stats need about how they were made: briefs by origin and format, format
//! mismatches, templates whose briefs were synthesized, and the examples dropped for size (each
//! also a diagnostic).

use rayon::prelude::*;

use super::record::{Briefs, TemplateRecord};
use crate::config::Config;
use crate::dataset::example::Draft;
use crate::dataset::stats::{BriefStats, OverLimit};
use crate::diagnostic::{warning, Diagnostics};
use crate::location::Location;
use crate::prompts::brief;
use crate::prompts::TemplatePrompts;
use crate::tokens::count_cache::{CountCache, Counted};
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

/// The token counts composing used, kept for the count cache.
pub struct Counts {
    pub system: Counted,
    pub briefs: Vec<Counted>,
}

impl Counts {
    /// Keep the counts for the next build; a failure costs only speed, so it is a note.
    pub fn remember(mut self, cache: &CountCache, diagnostics: &mut Diagnostics) {
        self.briefs.push(self.system);
        if let Err(e) = cache.save(self.briefs) {
            diagnostics.add(warning::cache_not_saved(
                "the token-count cache",
                "the next build counts the briefs again",
                e,
            ));
        }
    }
}

/// Compose each briefed template's briefs (a template with gated code and a duration) and count
/// their tokens (and the system prompt's), on all cores: tokenizing tens of thousands of briefs is
/// most of this stage's work in a cold build; a warm one finds the counts in `counts`.
/// Each record keeps its briefs and lets go of what they were made from (its prompts, the catalog
/// fields only briefs read): the examples borrow the briefs to the end of the build.
pub fn compose(config: &Config, records: &mut [TemplateRecord], counts: &CountCache) -> Counts {
    let display = |at: &Location| config.display_location(at);
    let briefs = records
        .par_iter_mut()
        .flat_map_iter(|record| {
            let mut counted = Vec::new();
            if let (Some(_), Some((duration, _))) = (record.accepted(), record.duration) {
                let briefs = compose_one(config, record, duration, counts, &mut counted, &display);
                record.briefs = Some(briefs);
            }
            // Every record, briefed or not: nothing after this stage reads them.
            record.prompts = TemplatePrompts::default();
            record.template.drop_brief_sources();
            counted
        })
        .collect();
    Counts {
        system: counts.count(&config.prompts.system),
        briefs,
    }
}

/// One template's briefs, each with its token count (also added to `counted`).
fn compose_one(
    config: &Config,
    record: &TemplateRecord,
    duration: u32,
    counts: &CountCache,
    counted: &mut Vec<Counted>,
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
                let count = counts.count(&b.text);
                counted.push(count);
                (b, count.tokens)
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
