//! The dataset on disk: example records, the versioned writer, stats and the manifest.
//!
//! Takes the examples of a build; gives a complete version directory or nothing, and reads one back.
//! [`example`] renders one record (and is the type every reader reads), [`writer`] owns the
//! temporary-name-then-rename discipline, [`split_files`] writes the split files, [`stats`] and
//! [`manifest`] describe what was written, [`version`] reads a version back, verified, and
//! [`lengths`] counts a version's examples under model tokenizers.

pub mod example;
pub mod lengths;
pub mod manifest;
pub mod split_files;
pub mod stats;
pub mod version;
pub mod writer;

/// The three files written per split, in the order they appear in the manifest.
pub const SPLIT_FILE_KINDS: [&str; 3] = ["jsonl", "upload.jsonl", "meta.jsonl"];
