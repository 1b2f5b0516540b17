//! The dataset on disk: example records, the versioned writer, stats and the manifest.
//!
//! Takes the examples of a build; gives a complete version directory or nothing. [`example`] renders
//! one record, [`writer`] owns the temporary-name-then-rename discipline, [`stats`] and [`manifest`]
//! describe what was written.

pub mod example;
pub mod manifest;
pub mod reader;
pub mod split_files;
pub mod stats;
pub mod writer;

/// The three files written per split, in the order they appear in the manifest.
pub const SPLIT_FILE_KINDS: [&str; 3] = ["jsonl", "upload.jsonl", "meta.jsonl"];
