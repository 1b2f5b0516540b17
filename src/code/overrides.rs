//! Code-override files: `<overrides_dir>/<template-id>.<extension>`.
//!
//! Takes the configured override directory; gives the code for a template whose store has none
//! (missing row, NULL or blank code). Each use is reported in the build's stats, so a stale override
//! never hides a broken production record for long.

use std::path::PathBuf;

use super::directory::{file_for, read_optional};
use super::{CodeOrigin, FoundCode, Stored};
use crate::error::Result;

pub struct OverrideDir {
    dir: PathBuf,
    extension: String,
}

impl OverrideDir {
    pub fn new(dir: PathBuf, extension: String) -> Self {
        OverrideDir { dir, extension }
    }

    /// The override file for `template_id`, if there is one with any non-blank content.
    pub fn find(&self, template_id: &str, max_bytes: u64) -> Result<Option<FoundCode>> {
        let Some(path) = file_for(&self.dir, template_id, &self.extension) else {
            return Ok(None);
        };
        Ok(read_optional(&path, max_bytes)?
            .filter(|stored: &Stored| !stored.is_blank())
            .map(|stored| FoundCode {
                stored,
                origin: CodeOrigin::Override { path },
            }))
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}
