//! The catalog stage: the templates that take part in the build.
//!
//! Takes the config and `--limit`; gives one [`TemplateRecord`] per catalog entry that the source
//! filter and the limit keep (in catalog order), the catalog file's digest, and the ids left out
//! (by `catalog.source_type`, or past the limit) so that the prompts stage can tell a prompt for a
//! template left out from a prompt for no template at all. A build with no template is an error
//! that says why.

use super::record::TemplateRecord;
use crate::catalog;
use crate::config::Config;
use crate::dataset::manifest::InputDigest;
use crate::diagnostic::Diagnostics;
use crate::error::{wording, Result};

pub struct Catalog {
    pub records: Vec<TemplateRecord>,
    pub digest: InputDigest,
    /// Ids of the entries `catalog.source_type` left out.
    pub excluded_by_source: Vec<String>,
    /// Ids past `--limit`.
    pub beyond_limit: Vec<String>,
}

pub fn run(
    config: &Config,
    limit: Option<usize>,
    diagnostics: &mut Diagnostics,
) -> Result<Catalog> {
    let catalog = catalog::load(config, diagnostics)?;
    let mut templates = catalog.templates;
    let beyond_limit: Vec<String> = match limit {
        Some(limit) if limit < templates.len() => templates
            .split_off(limit)
            .into_iter()
            .map(|t| t.id)
            .collect(),
        _ => Vec::new(),
    };
    if templates.is_empty() {
        return Err(wording::no_templates(
            &config.resolve(&config.catalog.path),
            limit == Some(0),
            catalog.excluded_by_source.len(),
        ));
    }
    Ok(Catalog {
        records: templates.into_iter().map(TemplateRecord::new).collect(),
        digest: catalog.digest,
        excluded_by_source: catalog.excluded_by_source,
        beyond_limit,
    })
}
