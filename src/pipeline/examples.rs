//! The examples stage: each template's briefs, paired with its code, within the token budget.
//!
//! Takes the records (gated code, prompts, duration) and the budget; gives one [`Draft`] per brief
//! that fits the per-example limit, in catalog order (the split stage places each in its split),
//! and what the stats need about how they were made: briefs by origin and format, format
//! mismatches, templates whose briefs were synthesized, and the examples dropped for size (each
//! also a diagnostic).

use rayon::prelude::*;

use super::record::TemplateRecord;
use crate::code::TemplateCode;
use crate::config::Config;
use crate::dataset::example::Draft;
use crate::dataset::stats::{BriefStats, OverLimit};
use crate::diagnostic::{warning, Diagnostics};
use crate::location::Location;
use crate::prompts::brief::{self, Brief, BriefOrigin, GatedPrompt};
use crate::tokens::{chat_total, Budget};
use crate::video::DurationFrom;

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

/// A template's briefs, each with its token count, and what they were made for.
struct Composed<'r> {
    record: &'r TemplateRecord,
    code: &'r TemplateCode,
    duration: (u32, DurationFrom),
    briefs: Vec<(Brief, usize)>,
    gated: Vec<GatedPrompt>,
    synthesized: bool,
}

pub fn run<'r>(
    config: &Config,
    records: &'r [TemplateRecord],
    budget: &Budget,
    diagnostics: &mut Diagnostics,
) -> Examples<'r> {
    let system_tokens = budget.encoding.count(&config.prompts.system);
    let display = |at: &Location| config.display_location(at);
    // Briefs and their token counts, per template, on all cores: tokenizing tens of thousands of
    // briefs is most of this stage's work. Each result carries its record and each brief its
    // count, so nothing below is matched up by position. Warnings and stats are gathered in order.
    let composed: Vec<Option<Composed<'r>>> = records
        .par_iter()
        .map(|record| {
            let code = record.accepted()?;
            let (duration, duration_from) = record.duration?;
            let made = brief::briefs_for(
                &record.template,
                duration,
                config.video.fps,
                &record.prompts,
                (
                    config.prompts.variants_per_template,
                    config.prompts.generated_per_template,
                ),
                &display,
            );
            let briefs = made
                .briefs
                .into_iter()
                .map(|b| {
                    let tokens = budget.encoding.count(&b.text);
                    (b, tokens)
                })
                .collect();
            Some(Composed {
                record,
                code,
                duration: (duration, duration_from),
                briefs,
                gated: made.gated,
                synthesized: made.synthesized,
            })
        })
        .collect();

    let mut drafts = Vec::new();
    let mut out = Made::default();
    for Composed {
        record,
        code,
        duration: (duration, duration_from),
        briefs,
        gated,
        synthesized,
    } in composed.into_iter().flatten()
    {
        let template = &record.template;
        if synthesized {
            out.synthesized.push(template.id.clone());
        }
        out.briefs.gated += gated.len();
        for gated in &gated {
            if let Some(at) = &gated.location {
                diagnostics.add(warning::gated_prompt(
                    at.clone(),
                    &template.id,
                    gated.format,
                ));
            }
        }
        out.briefs.gated_prompts.extend(gated);
        for (b, brief_tokens) in briefs {
            let tokens = chat_total(&[system_tokens, brief_tokens, code.tokens]);
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
            let prompt_source = match &b.origin {
                BriefOrigin::Curated(at)
                | BriefOrigin::Override(at)
                | BriefOrigin::Generated(at) => display(at),
                // Not the catalog's file:line: the same entry gives the same dataset whether the
                // catalog is TypeScript or JSON.
                BriefOrigin::Synthesized(field) => format!("catalog:{field}"),
            };
            drafts.push(Box::new(Draft {
                template,
                code,
                brief: b,
                duration,
                duration_from,
                prompt_source,
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
