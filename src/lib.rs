//! template-sft: a template catalog, its production code and curated prompts in; a reproducible
//! supervised fine-tuning dataset out.
//!
//! # Overview
//!
//! [`build`] is the product: a checked [`Config`] and [`BuildOptions`] in, a [`Build`] out (the
//! version directory written, its typed [`Stats`], and every warning as a [`Diagnostic`]). It runs
//! these stages in order (the modules of `src/pipeline/`), one record per template:
//!
//! ```text
//! config ─► catalog ─► prompts (curated + prompt additions) ─► code (store + code overrides)
//!           ─► gate (TSX parse, rules, tokens, duration export, near-copy signature)
//!           ─► durations (code vs catalog) ─► render (check.render: each scene rendered)
//!           ─► examples (briefs × token budget) ─► split (duplicates, near-copy clusters, seeded)
//!           ─► lengths (model tokenizers, trainer defaults)
//!           ─► output (split files, stats, manifest: written atomically)
//! ```
//!
//! What reads a version back: [`Version`] (verified against its manifest), [`validate()`] (any
//! chat JSONL, or a version directory), [`Summary`] (what `report` shows), [`diff()`],
//! [`export()`] (with trainer configs), and [`prepare`] and [`evaluate`] (a model's outputs on
//! the held-out split).
//! Every error is an [`Error`] with its exit code; the `template-sft` binary is a thin
//! command line over these calls.
//!
//! # Build the starter project and read its stats
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # let copy = |from: &std::path::Path, to: &std::path::Path| {
//! #     fn walk(from: &std::path::Path, to: &std::path::Path) {
//! #         std::fs::create_dir_all(to).unwrap();
//! #         for e in std::fs::read_dir(from).unwrap() {
//! #             let e = e.unwrap();
//! #             if e.file_name() == "dataset" { continue; }
//! #             if e.file_type().unwrap().is_dir() { walk(&e.path(), &to.join(e.file_name())); }
//! #             else { std::fs::copy(e.path(), to.join(e.file_name())).unwrap(); }
//! #         }
//! #     }
//! #     walk(from, to)
//! # };
//! # copy(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/starter"), dir.path());
//! # let starter = dir.path();
//! use template_sft::{build, BuildOptions, Config};
//!
//! let config = Config::load(&starter.join("template-sft.toml"))?;
//! let built = build(&config, &BuildOptions::default())?;
//!
//! let stats = &built.stats;
//! assert_eq!(stats.unique_templates_covered, 12);
//! assert_eq!(stats.totals.all, stats.totals.train + stats.totals.validation + stats.totals.test);
//! // The starter's typewriter scene exports 210 frames where its catalog entry says 180.
//! assert_eq!(stats.durations.mismatches[0].code_frames, 210);
//! // Warnings are data: one of them is that very mismatch.
//! assert!(built
//!     .diagnostics
//!     .iter()
//!     .any(|d| d.kind == template_sft::DiagnosticKind::DurationMismatch));
//! assert!(built.version.unwrap().join("train.jsonl").is_file());
//! # Ok::<(), template_sft::Error>(())
//! ```
//!
//! # Validate chat JSONL for a fine-tuning service
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! use template_sft::{validate, Budget, Category, Target, ValidateOptions};
//!
//! let line = r#"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"#;
//! let train = dir.path().join("train.jsonl");
//! std::fs::write(&train, format!("{line}\n{line}\n"))?;
//!
//! let budget = Budget::new("gpt-4o-mini-2024-07-18", None).unwrap();
//! let report = validate(&[train], &ValidateOptions::new(Target::Generic, budget))?;
//! // The same example twice is an error; no system message is a warning.
//! assert_eq!(report.errors(), 1);
//! assert!(report.counts.contains_key(&Category::DuplicateExample));
//! assert!(report.counts.contains_key(&Category::MissingSystem));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Every item an embedder can reach is documented (CI denies warnings).
#![warn(missing_docs)]
// Without the command line (`--no-default-features` and no `cli`), the parts only a subcommand
// calls (briefs, the render command's printing, synth) are unused: that is the point of the feature.
#![cfg_attr(not(feature = "cli"), allow(dead_code, unused_imports))]

// The stages and the machinery below them are crate-private modules. The library's API is what is
// re-exported below; the binary, the integration tests, the fuzz targets and the benchmarks reach
// the few internals they need through `internals`, hidden from the docs.
pub(crate) mod ast;
pub(crate) mod batch;
pub(crate) mod briefs;
pub(crate) mod cache;
pub(crate) mod catalog;
// Their doc comments are the command line's --help text, written for a terminal, not rustdoc.
#[allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
#[cfg(feature = "cli")]
pub(crate) mod cli;
#[allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
#[cfg(feature = "cli")]
pub(crate) mod cmd;
pub(crate) mod code;
pub(crate) mod config;
#[cfg(feature = "cli")]
pub(crate) mod console;
pub(crate) mod dataset;
pub(crate) mod diagnostic;
pub(crate) mod diff;
pub(crate) mod digest;
pub(crate) mod error;
pub(crate) mod eval;
pub(crate) mod export;
pub(crate) mod fuzzing;
pub(crate) mod input;
#[doc(hidden)]
pub mod internals;
pub(crate) mod interrupt;
pub(crate) mod location;
pub(crate) mod parse_guard;
pub(crate) mod pipeline;
pub(crate) mod prompts;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod rng;
pub(crate) mod split;
pub(crate) mod suggest;
pub(crate) mod synth;
pub(crate) mod text;
pub(crate) mod tokens;
pub(crate) mod validate;
pub(crate) mod video;

// The API (README, "Using it as a library"): build a version, read it back, check, compare,
// export and evaluate it. Keep this list short and deliberate.
pub use config::{Config, Overrides};
pub use dataset::example::Meta;
pub use dataset::manifest::{BuildSettings, Manifest};
pub use dataset::stats::{self, Stats};
pub use dataset::version::Version;
pub use diagnostic::{Category, Diagnostic, Kind as DiagnosticKind, Severity};
pub use diff::{diff, Diff};
pub use error::{Error, Result, StrictFailures};
pub use eval::{
    evaluate, prepare, EvalOptions, Evaluation, Outputs, PrepareOptions, Prepared, Scoring,
};
pub use export::{export, ExportOptions, ExportTarget, Exported};
pub use location::{IntoSharedPath, Location};
pub use pipeline::{build, Build, BuildOptions, Observer, Progress, Sample};
pub use render::RenderOptions;
pub use report::Summary;
pub use split::Split;
pub use tokens::Budget;
pub use validate::{validate, Options as ValidateOptions, Report as ValidateReport, Target};
pub use video::VideoFormat;

/// The parts of an [`Evaluation`], nameable: its scores per group, each row's checks, the
/// comparison with a baseline.
pub mod evaluation {
    pub use crate::eval::checks::{Check, Scored, Status, Unjudged};
    pub use crate::eval::intervals::Estimate;
    pub use crate::eval::predictions::{BadLine, Leftovers, Listed};
    pub use crate::eval::summary::{Comparison, Difference, Rate, Scores};
}

/// This build's id: a digest of its source, its render kit and its locked dependencies
/// (`build.rs`). Caches of verdicts are keyed by it, so that a change to what decides a verdict
/// voids the verdicts the old code made.
pub const BUILD_ID: &str = env!("TEMPLATE_SFT_BUILD_ID");
