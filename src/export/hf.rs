//! `--to hf`: a folder `datasets.load_dataset(OUT)` loads with its splits by name.
//!
//! `data/{split}.jsonl` hold the full records (`messages` and `meta`); `README.md` is a dataset card
//! whose YAML header declares the default config's data files per split, and whose body summarizes the
//! dataset from `stats.json`: counts, tokens, formats, how it was built, the seed and the manifest
//! digest.

use std::fmt::Write;

use super::Source;
use crate::dataset::writer::{FileRecord, Staging};
use crate::error::Result;
use crate::split::Split;
use crate::text::thousands;

pub fn write(source: &Source, staging: &Staging) -> Result<Vec<FileRecord>> {
    let mut files = super::copy_splits(source, staging, "jsonl", "data/")?;
    files.push(staging.write_small("README.md", card(source).as_bytes())?);
    Ok(files)
}

fn card(source: &Source) -> String {
    let st = &source.dir.stats;
    let mut c = String::from("---\nconfigs:\n- config_name: default\n  data_files:\n");
    for split in source.splits() {
        let _ = writeln!(c, "  - split: {0}\n    path: data/{0}.jsonl", split.name());
    }
    let size = match st.totals.all {
        n if n < 1_000 => "n<1K",
        n if n < 10_000 => "1K<n<10K",
        n if n < 100_000 => "10K<n<100K",
        _ => "100K<n<1M",
    };
    let _ = write!(
        c,
        "task_categories:\n- text-generation\ntags:\n- sft\n- code\n- template-sft\nsize_categories:\n- {size}\n---\n\n"
    );
    let _ = writeln!(c, "# {}\n", markdown_text(&st.tag));
    let _ = writeln!(
        c,
        "Supervised fine-tuning data: a plain-language brief (user) and the production template code that\n\
         answers it (assistant), after a fixed system message. Built by template-sft {} on {}.\n",
        markdown_text(&st.tool_version),
        markdown_text(&st.generated_at)
    );
    let _ = writeln!(c, "| split | examples | templates | tokens | median tokens | max tokens |\n|---|---|---|---|---|---|");
    for split in Split::ALL {
        let tokens = st.tokens.of(split);
        let _ = writeln!(
            c,
            "| {} | {} | {} | {} | {} | {} |",
            split.name(),
            st.totals.of(split),
            st.templates_per_split.of(split),
            thousands(tokens.total_tokens),
            tokens.median,
            tokens.max,
        );
    }
    fn breakdown<'a>(counts: impl Iterator<Item = (&'a str, &'a usize)>) -> String {
        let parts: Vec<String> = counts
            .map(|(k, v)| format!("{} {v}", markdown_text(k)))
            .collect();
        parts.join(", ")
    }
    let formats = breakdown(st.briefs.by_format.iter().map(|(f, n)| (f.name(), n)));
    let origins = breakdown(st.briefs.by_origin.iter().map(|(o, n)| (o.name(), n)));
    let _ = write!(
        c,
        "\n## How it was built\n\n\
         - {} templates covered of {} processed; every brief states a video format the template supports and its duration.\n\
         - Formats: {formats}. Brief origins: {origins}.\n\
         - Split: `{}` mode with seed {} (all examples of a template in one split in `template` mode).\n\
         - Tokens counted for `{}` ({}); trained tokens at the default epoch count: {}.\n\
         - Source manifest SHA-256: `{}`.\n\n\
         ## Fields\n\n\
         - `messages`: `[system, user, assistant]` chat messages.\n\
         - `meta`: `templateId`, `dbId`, `duration` (frames), `fps`, `supportedFormats`, `format`, `promptVariant`, `promptOrigin`, `promptSource`, `codeSha256`, `codeOrigin`, `split`, `tokens`, `assistantTokens`.\n\n\
         ```python\nfrom datasets import load_dataset\ndata = load_dataset(\"path/to/this/folder\")\nprint(data[\"train\"][0][\"messages\"][1][\"content\"])\n```\n",
        st.unique_templates_covered,
        st.templates_processed,
        st.split_mode.name(),
        st.seed,
        code_span(&st.tokens.budget.model),
        st.tokens.budget.encoding.name(),
        thousands(st.tokens.trained_estimate.trained_tokens),
        source.manifest_sha256,
    );
    c
}

/// A user string as plain text in Markdown: characters that would start markup are escaped, line
/// breaks become spaces (a tag or model name must not add headings, links or HTML to the card).
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '<' | '>' | '&' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A user string inside a Markdown code span (no backtick or line break can end it early).
fn code_span(text: &str) -> String {
    text.chars()
        .map(|c| if c == '`' || c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_strings_cannot_add_markup_to_the_card() {
        assert_eq!(markdown_text("v1"), "v1");
        assert_eq!(
            markdown_text("# x\n<script>[a](b)"),
            "\\# x \\<script\\>\\[a\\]\\(b\\)"
        );
        assert_eq!(code_span("gpt`\n# hi"), "gpt  # hi");
    }
}
