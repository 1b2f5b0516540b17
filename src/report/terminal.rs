//! The terminal summary of a dataset version.
//!
//! Takes a [`Summary`]; writes a table of examples and tokens per split, a table of lengths per
//! model tokenizer (with what the trainers' default lengths would do), then one line each for
//! formats, prompt origins, templates, prompts, rejections and the trained-token estimate.

use std::io::Write;

use super::{over_heads, percentile, total, trainer_defaults, Summary};
use crate::dataset::stats::{code_place, DurationStats, NearCopyStats, RenderStats, Stats};
use crate::error::count;
use crate::split::Split;
use crate::text::thousands;
use crate::tokens::lengths::{TokenizerLengths, LENGTHS};

/// Write the terminal summary of a dataset version.
pub fn print(out: &mut impl Write, s: &Summary) -> std::io::Result<()> {
    let st = &s.stats;
    writeln!(
        out,
        "dataset {} (tag {}, seed {}, {} split, built {})",
        s.dir,
        st.tag,
        st.seed,
        st.split_mode.name(),
        st.generated_at
    )?;
    writeln!(out)?;
    splits(out, s)?;
    for l in &s.lengths {
        lengths(out, l)?;
    }
    writeln!(out)?;
    counts(out, s)?;
    durations(out, &st.durations)?;
    if let Some(r) = &st.render {
        render(out, r)?;
    }
    near_copies(out, &st.near_copies)?;
    set_aside(out, st)?;
    let estimate = &st.tokens.trained_estimate;
    writeln!(
        out,
        "trained tokens:  {} ({} epochs × {}) for {}",
        thousands(estimate.trained_tokens),
        estimate.epochs,
        thousands(estimate.billing_tokens_per_epoch),
        st.tokens.budget.model
    )
}

/// The table of examples and tokens per split, and all splits together.
fn splits(out: &mut impl Write, s: &Summary) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<11} {:>9} {:>10} {:>11} {:>11} {:>8} {:>7} {:>7}",
        "split", "examples", "templates", "tokens", "assistant", "median", "p90", "max"
    )?;
    let mut all_tokens = Vec::new();
    let mut all_assistant = 0;
    for (i, split) in Split::ALL.iter().enumerate() {
        let sp = &s.splits[i];
        all_tokens.extend_from_slice(&sp.tokens);
        all_assistant = u64::saturating_add(all_assistant, sp.assistant_tokens);
        row(
            out,
            split.name(),
            sp.examples,
            sp.templates,
            &sp.tokens,
            sp.assistant_tokens,
        )?;
    }
    row(
        out,
        "all",
        s.total_examples(),
        s.per_template.len(),
        &all_tokens,
        all_assistant,
    )?;
    Ok(())
}

/// Formats, prompt origins, templates and prompts, a line each.
fn counts(out: &mut impl Write, s: &Summary) -> std::io::Result<()> {
    let st = &s.stats;
    fn breakdown<'a>(counts: impl Iterator<Item = (&'a str, &'a usize)>) -> String {
        counts
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }
    let formats = breakdown(s.formats.iter().map(|(f, n)| (f.name(), n)));
    let origins = breakdown(s.origins.iter().map(|(o, n)| (o.name(), n)));
    writeln!(out, "formats:         {formats}")?;
    writeln!(out, "prompt origins:  {origins}")?;
    writeln!(
        out,
        "templates:       {} covered of {} processed; {} missing code; {} rejected; {} from code overrides; {} with synthesized briefs",
        s.per_template.len(),
        st.templates_processed,
        st.missing_templates.len(),
        st.sanitizer_failures.len(),
        st.code_overrides_used.len(),
        st.synthesized_templates.len()
    )?;
    writeln!(
        out,
        "prompts:         {} curated read{}; {}; {} gated by format; {}; {} for templates not in this build",
        st.prompts.curated_read,
        if st.prompts.generated_read > 0 {
            format!(", {} generated read", st.prompts.generated_read)
        } else {
            String::new()
        },
        count(st.prompts.malformed, "malformed line"),
        st.briefs.gated,
        count(st.prompts.duplicates, "duplicate"),
        st.prompts.unmatched
    )?;
    Ok(())
}

/// Where durations came from, and the mismatches and undeterminable ones listed.
fn durations(out: &mut impl Write, d: &DurationStats) -> std::io::Result<()> {
    writeln!(
        out,
        "durations:       {} from code, {} from the catalog, {} default (duration_source = \"{}\"; {} export no duration); {} catalog mismatches; {} not determinable",
        d.from_code,
        d.from_catalog,
        d.from_default,
        d.source.name(),
        crate::error::count(d.without_export, "template"),
        d.mismatches.len(),
        d.not_determinable.len()
    )?;
    listed(out, &d.mismatches, "durations.mismatches", |m| {
        format!(
            "{}: the catalog says {} frames, the code exports {} ({})",
            m.template_id,
            m.catalog_frames,
            m.code_frames,
            code_place(m.file.as_deref(), &m.source_key, &m.at)
        )
    })?;
    listed(out, &d.not_determinable, "durations.notDeterminable", |n| {
        format!(
            "{}: not determinable ({}): {}",
            n.template_id,
            code_place(n.file.as_deref(), &n.source_key, &n.at),
            n.reason
        )
    })?;
    Ok(())
}

/// The render check's line.
fn render(out: &mut impl Write, r: &RenderStats) -> std::io::Result<()> {
    let verdicts: Vec<String> = r
        .verdicts
        .iter()
        .map(|(v, n)| format!("{n} {}", v.name()))
        .collect();
    writeln!(
            out,
            "render check:    {}, {} ({} cached) in {:.1} s: {}; {} rejected; {} remote image URLs replaced",
            count(r.scenes, "scene"),
            count(r.renders, "render"),
            r.cached,
            r.seconds,
            verdicts.join(", "),
            r.rejected,
            r.replaced_urls
        )?;
    Ok(())
}

/// The near-copy clusters, each with the split it is kept in.
fn near_copies(out: &mut impl Write, n: &NearCopyStats) -> std::io::Result<()> {
    if n.clusters.is_empty() {
        writeln!(
            out,
            "near-copies:     none at similarity {} or more",
            n.threshold
        )?;
    } else {
        writeln!(
            out,
            "near-copies:     {} of {} at similarity {} or more, each kept in one split:",
            count(n.clusters.len(), "cluster"),
            count(n.templates_in_clusters, "template"),
            n.threshold
        )?;
        listed(out, &n.clusters, "nearCopies.clusters", |c| {
            let note = if c.too_large {
                " (too large for a held-out split)"
            } else {
                ""
            };
            let templates = if c.templates.len() > SHOWN {
                format!(
                    "{}, … ({} templates)",
                    c.templates[..SHOWN].join(", "),
                    c.templates.len()
                )
            } else {
                c.templates.join(", ")
            };
            format!(
                "{templates} → {} (similarity {}){note}",
                c.split.name(),
                c.similarity
            )
        })?;
    }
    Ok(())
}

/// What was written once, normalized, rejected or dropped for length.
fn set_aside(out: &mut impl Write, st: &Stats) -> std::io::Result<()> {
    if !st.duplicate_examples.is_empty() {
        writeln!(
            out,
            "duplicates:      {} identical to an earlier one, written once",
            count(st.duplicate_examples.len(), "example")
        )?;
    }
    if !st.normalized_code.is_empty() {
        writeln!(out, "normalized:")?;
        listed(out, &st.normalized_code, "normalizedCode", |n| {
            let mut what = Vec::new();
            if n.normalized.bom {
                what.push("byte-order mark removed".to_string());
            }
            if n.normalized.crlf_lines > 0 {
                what.push(format!(
                    "{} written as LF",
                    count(n.normalized.crlf_lines, "CRLF line")
                ));
            }
            format!("{}: {}", n.template_id, what.join("; "))
        })?;
    }
    let rejected = &st.sanitizer_failures;
    if rejected.is_empty() {
        writeln!(out, "rejected:        none")?;
    } else {
        writeln!(out, "rejected:")?;
        listed(out, rejected, "sanitizerFailures", |r| {
            format!("{} ({}): {}", r.template_id, r.rule, r.message)
        })?;
    }
    let over = &st.over_limit_examples;
    writeln!(
        out,
        "over the limit:  {}",
        if over.is_empty() {
            "none".to_string()
        } else {
            format!("{} dropped", count(over.len(), "example"))
        }
    )?;
    Ok(())
}

/// The per-split lengths under one model tokenizer, and what each trainer's default would do.
pub fn lengths(out: &mut impl Write, l: &TokenizerLengths) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "lengths under {} (rendered chat template, {}):",
        l.name, l.file
    )?;
    write!(
        out,
        "{:<11} {:>9} {:>8} {:>7} {:>7}",
        "split", "examples", "median", "p90", "max"
    )?;
    for head in over_heads() {
        write!(out, " {head:>6}")?;
    }
    writeln!(out, " {:>10}", "holds all")?;
    for (name, stats) in Split::ALL
        .iter()
        .map(|&s| (s.name(), l.of(s)))
        .chain([("all", &l.overall)])
    {
        let t = &stats.tokens;
        write!(
            out,
            "{:<11} {:>9} {:>8} {:>7} {:>7}",
            name, t.examples, t.median, t.p90, t.max
        )?;
        for length in LENGTHS {
            write!(out, " {:>6}", stats.over(length).unwrap_or(0))?;
        }
        writeln!(out, " {:>10}", stats.recommended_max_length)?;
    }
    writeln!(out, "trainer defaults: {}", trainer_defaults(l))
}

fn row(
    out: &mut impl Write,
    name: &str,
    examples: usize,
    templates: usize,
    tokens: &[u64],
    assistant: u64,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<11} {:>9} {:>10} {:>11} {:>11} {:>8} {:>7} {:>7}",
        name,
        examples,
        templates,
        thousands(total(tokens)),
        thousands(assistant),
        percentile(tokens, 50),
        percentile(tokens, 90),
        tokens.iter().max().copied().unwrap_or(0)
    )
}

/// Items of a list shown one per line, at most.
const SHOWN: usize = 20;

/// The first [`SHOWN`] of `items`, indented, then how many more there are and the stats field
/// that holds them all.
fn listed<T>(
    out: &mut impl Write,
    items: &[T],
    field: &str,
    line: impl Fn(&T) -> String,
) -> std::io::Result<()> {
    for item in items.iter().take(SHOWN) {
        writeln!(out, "  {}", line(item))?;
    }
    if items.len() > SHOWN {
        writeln!(
            out,
            "  … and {} more (stats.json: {field})",
            thousands((items.len() - SHOWN) as u64)
        )?;
    }
    Ok(())
}
