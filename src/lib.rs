//! template-sft: a template catalog, its production code and curated prompts in; a reproducible
//! supervised fine-tuning dataset out.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! config ──► catalog ──► code (source + overrides) ──► code::check (quality gate)
//!                 └────► prompts (curated + overrides) ──► prompts::brief (format + duration, gated)
//!                                                                   │
//!                        dataset::example ◄── split (seeded, grouped, stable)
//!                                │
//!                        dataset::writer (versioned, atomic) + stats + manifest
//! ```
//!
//! `cmd::<name>` orchestrates the stages for each subcommand; `cli` registers the subcommands;
//! `error` holds every error, its wording and its exit code.

pub mod ast;
pub mod catalog;
pub mod cli;
pub mod cmd;
pub mod code;
pub mod config;
pub mod console;
pub mod dataset;
pub mod diagnostic;
pub mod diff;
pub mod digest;
pub mod error;
pub mod export;
pub mod fuzzing;
pub mod input;
pub mod location;
pub mod parse_guard;
pub mod pipeline;
pub mod prompts;
pub mod report;
pub mod split;
pub mod suggest;
pub mod synth;
pub mod tokens;
pub mod validate;
pub mod video;

pub use config::Config;
pub use error::{Error, Result};
pub use pipeline::{build, Build, BuildOptions, Observer};
