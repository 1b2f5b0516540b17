//! The prompts stage: curated prompts and prompt additions, on the records of their templates.
//!
//! Takes the config, the records and the ids the catalog stage left out; leaves each record its
//! [`crate::prompts::TemplatePrompts`] and gives the [`PromptStats`] and the digest of every prompt
//! file read. The files are read while the catalog is ([`catalog_and_files`]) and matched right
//! after it, before the (slow) code stage, so a missing or broken prompt file is reported in the
//! order the inputs are named, and early.

use super::catalog::Catalog;
use crate::config::Config;
use crate::dataset::manifest::InputDigest;
use crate::diagnostic::Diagnostics;
use crate::error::Result;
use crate::prompts::{self, Elsewhere, PromptStats, ReadFile};

/// The catalog, and the prompt files read meanwhile on another thread: they need nothing from it.
pub fn catalog_and_files(
    config: &Config,
    limit: Option<usize>,
    diagnostics: &mut Diagnostics,
) -> Result<(Catalog, Vec<ReadFile>)> {
    std::thread::scope(|scope| {
        let reading = scope.spawn(|| prompts::read_files(config));
        let catalog = super::catalog::run(config, limit, diagnostics);
        let files = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok((catalog?, files))
    })
}

pub struct Prompts {
    pub stats: PromptStats,
    /// The digest of every prompt file read, in the order read (curated, then additions).
    pub inputs: Vec<InputDigest>,
}

pub fn run(
    config: &Config,
    catalog: &mut Catalog,
    files: Vec<ReadFile>,
    diagnostics: &mut Diagnostics,
) -> Result<Prompts> {
    let in_build: Vec<&crate::catalog::Template> =
        catalog.records.iter().map(|r| &r.template).collect();
    let elsewhere = Elsewhere {
        excluded_by_source: &catalog.excluded_by_source,
        beyond_limit: &catalog.beyond_limit,
    };
    let mut set = prompts::load(config, &in_build, &elsewhere, files, diagnostics)?;
    for record in &mut catalog.records {
        record.prompts = set.take(&record.template.id);
    }
    Ok(Prompts {
        stats: set.stats,
        inputs: set.inputs,
    })
}
