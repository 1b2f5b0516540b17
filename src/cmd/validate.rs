//! `template-sft validate PATH...`: check chat-format JSONL files or dataset directories for a
//! fine-tuning target. Exit 0 when clean (or warnings only), 1 on errors (or on warnings with
//! `--deny-warnings`).

use std::io::Write;
use std::path::PathBuf;

use crate::console::Console;
use crate::diagnostic::{Diagnostic, Kind};
use crate::error::{count, wording, Error, Result};
use crate::report::terminal;
use crate::text::Printable;
use crate::tokens::chat_template;
use crate::tokens::Budget;
use crate::validate::{self, Options, Report, Severity, Target};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSONL files, or directories (a `build` output directory is checked as a whole).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Whose rules to apply.
    #[arg(long, value_enum, default_value = "openai")]
    pub target: Target,
    /// The model whose encoding and per-example token limit apply.
    #[arg(long, default_value = "gpt-4o-mini-2024-07-18", value_name = "MODEL")]
    pub model: String,
    /// A per-example token limit instead of the model's (e.g. an open-weight trainer's sequence length).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Also count each example's length under this Hugging Face tokenizer.json (PATH or NAME=PATH;
    /// the chat template is read from the tokenizer_config.json beside it), and warn where a
    /// trainer's default length would drop or cut examples; repeat for several.
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Vec<String>,
    /// With --tokenizer: an example longer than this many tokens is an error (the sequence length
    /// you will train with).
    #[arg(long, value_name = "N", requires = "tokenizer")]
    pub max_length: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// A held-out assistant output at least this similar (word 5-gram Jaccard, estimated) to a train
    /// output is near-copy leakage; 0 turns the check off.
    #[arg(long, value_name = "SIMILARITY", default_value_t = crate::config::DEFAULT_NEAR_COPY_THRESHOLD)]
    pub near_copy_threshold: f64,
}

/// Findings printed per category in the human report; `--json` holds up to 1000 each.
const SHOWN_PER_CATEGORY: usize = 20;

pub fn run(args: &Args, _console: &Console) -> Result<()> {
    let budget = Budget::new(&args.model, args.max_tokens)
        .map_err(|why| wording::bad_option("--model", why))?;
    if !(0.0..=1.0).contains(&args.near_copy_threshold) {
        return Err(wording::out_of_range(
            "--near-copy-threshold",
            "between 0 (off) and 1",
            args.near_copy_threshold,
        ));
    }
    let options = Options {
        near_copy_threshold: args.near_copy_threshold,
        tokenizers: chat_template::load_all(&args.tokenizer)?,
        max_length: args.max_length,
        ..Options::new(args.target, budget)
    };
    let report = validate::validate(&args.paths, &options)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &json_report(&report, args.target))
            .map_err(|e| Error::stdout(e.into()))?;
        writeln!(out).map_err(Error::stdout)?;
    } else {
        print_human(&mut Printable(out), &report).map_err(Error::stdout)?;
    }
    let failed = report.errors() > 0 || (args.deny_warnings && report.warnings() > 0);
    if failed {
        Err(Error::Findings {
            errors: report.errors(),
            warnings: report.warnings(),
        })
    } else {
        Ok(())
    }
}

fn print_human(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    for f in &report.files {
        let split = f
            .split
            .map_or(String::new(), |s| format!(" ({})", s.name()));
        writeln!(
            out,
            "{}{split}: {}, {} bytes",
            f.file,
            count(f.examples, "example"),
            f.bytes
        )?;
    }
    for l in &report.lengths {
        terminal::lengths(out, l)?;
    }
    if !report.lengths.is_empty() {
        writeln!(out)?;
    }
    let mut shown: std::collections::BTreeMap<Kind, usize> = Default::default();
    for finding in &report.findings {
        let n = shown.entry(finding.kind).or_default();
        *n += 1;
        if *n > SHOWN_PER_CATEGORY {
            continue;
        }
        writeln!(
            out,
            "{}[{}] {finding}",
            finding.severity.name(),
            finding.kind.name(),
        )?;
    }
    if !report.counts.is_empty() {
        writeln!(out)?;
        writeln!(out, "{:<24} {:<8} {:>8}", "category", "severity", "count")?;
        for (category, (severity, count)) in &report.counts {
            let severity = if *severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            let more = if *count > SHOWN_PER_CATEGORY {
                format!("  ({} shown)", SHOWN_PER_CATEGORY)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{:<24} {:<8} {:>8}{more}",
                category.name(),
                severity,
                count
            )?;
        }
    }
    writeln!(
        out,
        "{} error(s), {} warning(s) in {} file(s), {} example(s)",
        report.errors(),
        report.warnings(),
        report.files.len(),
        report.examples()
    )
}

/// A finding as `--json` has always written it: category, severity, file, line, message.
fn finding_json(finding: &Diagnostic) -> serde_json::Value {
    let at = finding.at.as_ref();
    serde_json::json!({
        "category": finding.kind,
        "severity": finding.severity,
        "file": at.map(|at| at.path.display().to_string()),
        "line": at.and_then(|at| at.line),
        "message": finding.message,
    })
}

fn json_report(report: &Report, target: Target) -> serde_json::Value {
    let summary: Vec<serde_json::Value> = report
        .counts
        .iter()
        .map(|(c, (s, n))| serde_json::json!({"category": c, "severity": s, "count": n, "meaning": c.meaning()}))
        .collect();
    serde_json::json!({
        "target": target,
        "errors": report.errors(),
        "warnings": report.warnings(),
        "examples": report.examples(),
        "files": report.files,
        "summary": summary,
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "omitted": report.omitted,
        "lengths": report.lengths,
    })
}
