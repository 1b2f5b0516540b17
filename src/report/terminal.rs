//! The terminal summary of a dataset version.
//!
//! Takes a [`Summary`]; writes a table of examples and tokens per split, then one line each for
//! formats, prompt origins, templates, prompts, rejections and the trained-token estimate.

use std::io::Write;

use serde_json::Value;

use super::{percentile, thousands, Summary};
use crate::split::Split;

pub fn print(out: &mut impl Write, s: &Summary) -> std::io::Result<()> {
    let st = &s.stats;
    let text = |key: &str| {
        st.get(key)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    writeln!(
        out,
        "dataset {} (tag {}, seed {}, {} split, built {})",
        s.dir,
        text("tag"),
        s.stat("/seed"),
        text("splitMode"),
        text("generatedAt")
    )?;
    writeln!(out)?;
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
        all_assistant += sp.assistant_tokens;
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
    writeln!(out)?;
    let breakdown = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    writeln!(out, "formats:         {}", breakdown(&s.formats))?;
    writeln!(out, "prompt origins:  {}", breakdown(&s.origins))?;
    writeln!(
        out,
        "templates:       {} covered of {} processed; {} missing code; {} rejected; {} from code overrides; {} with synthesized briefs",
        s.per_template.len(),
        s.stat("/templatesProcessed"),
        s.list("missingTemplates").len(),
        s.list("sanitizerFailures").len(),
        s.list("codeOverridesUsed").len(),
        s.list("synthesizedTemplates").len()
    )?;
    writeln!(
        out,
        "prompts:         {} curated read; {} malformed lines; {} gated by format; {} duplicates; {} for templates not in this build",
        s.stat("/prompts/curatedRead"),
        s.stat("/prompts/malformed"),
        s.stat("/briefs/gated"),
        s.stat("/prompts/duplicates"),
        s.stat("/prompts/unmatched")
    )?;
    let rejected = s.list("sanitizerFailures");
    if rejected.is_empty() {
        writeln!(out, "rejected:        none")?;
    } else {
        writeln!(out, "rejected:")?;
        for r in rejected {
            let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            writeln!(
                out,
                "  {} ({}): {}",
                field("templateId"),
                field("rule"),
                field("message")
            )?;
        }
    }
    let over = s.list("overLimitExamples");
    writeln!(
        out,
        "over the limit:  {}",
        if over.is_empty() {
            "none".to_string()
        } else {
            format!("{} examples dropped", over.len())
        }
    )?;
    let model = st
        .pointer("/tokens/model")
        .and_then(Value::as_str)
        .unwrap_or("?");
    writeln!(
        out,
        "trained tokens:  {} ({} epochs × {}) for {model}",
        thousands(s.stat("/tokens/trainedEstimate/trainedTokens")),
        s.stat("/tokens/trainedEstimate/epochs"),
        thousands(s.stat("/tokens/trainedEstimate/billingTokensPerEpoch")),
    )
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
        thousands(tokens.iter().sum()),
        thousands(assistant),
        percentile(tokens, 50),
        percentile(tokens, 90),
        tokens.iter().max().copied().unwrap_or(0)
    )
}
