//! template-sft: a template catalog, its production code and curated prompts in; a reproducible
//! supervised fine-tuning dataset out.
//!
//! # Overview
//!
//! [`build`] is the product: a checked [`Config`] and [`BuildOptions`] in, a [`Build`] out (the
//! version directory written, its typed [`dataset::stats::Stats`], and every warning as a
//! [`Diagnostic`]). It runs these stages in order ([`pipeline`]), one record per template:
//!
//! ```text
//! config ─► catalog ─► code (store + code overrides) ─► gate (TSX parse, rules, tokens, duration
//!                                                        export, near-copy signature)
//!           ─► durations (code vs catalog) ─► prompts (curated + prompt additions)
//!           ─► examples (briefs × token budget) ─► split (duplicates, near-copy clusters, seeded)
//!           ─► lengths (model tokenizers, trainer defaults)
//!           ─► output (split files, stats, manifest: written atomically)
//! ```
//!
//! What reads a version back: [`dataset::version::Version`] (verified against its manifest),
//! [`validate`] (any chat JSONL, or a version directory), [`report`], [`diff`], [`export`] (with
//! trainer configs) and [`eval`] (a model's outputs on the held-out split).
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
//!     .any(|d| d.kind == template_sft::diagnostic::Kind::DurationMismatch));
//! assert!(built.version.unwrap().join("train.jsonl").is_file());
//! # Ok::<(), template_sft::Error>(())
//! ```
//!
//! # Validate chat JSONL for a fine-tuning service
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! use template_sft::tokens::Budget;
//! use template_sft::validate::{validate, Category, Options, Target};
//!
//! let line = r#"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"#;
//! let train = dir.path().join("train.jsonl");
//! std::fs::write(&train, format!("{line}\n{line}\n"))?;
//!
//! let budget = Budget::new("gpt-4o-mini-2024-07-18", None).unwrap();
//! let report = validate(&[train], &Options::new(Target::Generic, budget))?;
//! // The same example twice is an error; no system message is a warning.
//! assert_eq!(report.errors(), 1);
//! assert!(report.counts.contains_key(&Category::DuplicateExample));
//! assert!(report.counts.contains_key(&Category::MissingSystem));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod catalog;
pub mod code;
pub mod config;
pub mod dataset;
pub mod diagnostic;
pub mod diff;
pub mod error;
pub mod eval;
pub mod export;
pub mod location;
pub mod pipeline;
pub mod prompts;
pub mod render;
pub mod report;
pub mod split;
pub mod tokens;
pub mod validate;
pub mod video;

// The command line and the machinery below the stages: public for the binary, the fuzz targets,
// the benchmarks and the integration tests, not part of the library's API.
#[doc(hidden)]
pub mod ast;
#[doc(hidden)]
pub mod cache;
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod cmd;
#[doc(hidden)]
pub mod console;
#[doc(hidden)]
pub mod digest;
#[doc(hidden)]
pub mod fuzzing;
#[doc(hidden)]
pub mod input;
#[doc(hidden)]
pub mod parse_guard;
#[doc(hidden)]
pub mod suggest;
#[doc(hidden)]
pub mod synth;

pub use config::Config;
pub use diagnostic::Diagnostic;
pub use error::{Error, Result};
pub use pipeline::{build, Build, BuildOptions, Observer};
