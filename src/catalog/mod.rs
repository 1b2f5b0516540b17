//! The template catalog: one [`Template`] per entry, whatever file it came from.
//!
//! Takes the `[catalog]` config; gives the templates that take part in the build, in file order, each
//! with the file:line:col it was read from. Reading is per form ([`json`] for JSON arrays and JSON
//! lines, [`typescript`] for canonical.ts-style modules); this module owns the model, the camelCase /
//! snake_case field names, and the checks every form shares (duplicate ids, formats, source filter).

pub mod json;
pub mod typescript;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{CatalogFormat, Config, SourceFilter};
use crate::diagnostic::Diagnostics;
use crate::digest::InputDigest;
use crate::error::{wording, DuplicateId, Error, Result};
use crate::input;
use crate::location::Location;
use crate::video::VideoFormat;

/// Where a template's code lives in production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Kept in the production database, under `dbId`.
    Db {
        /// The row's id (the PostgreSQL store's key).
        db_id: String,
    },
    /// Kept in a registry (no code in the database).
    Registry {
        /// The registry's id for it.
        registry_id: String,
    },
    /// Neither a `source` object nor a `db_id` was given (common in directory-based projects).
    Unspecified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Complexity {
    Simple,
    Medium,
    Complex,
}

/// One catalog entry, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The template's id: unique in the catalog, the key of its examples.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Where its production code lives.
    pub source: Source,
    /// Frames; `None` when the catalog has no duration for this entry.
    pub duration: Option<u32>,
    /// Never empty, no repeats, in catalog order.
    pub supported_formats: Vec<VideoFormat>,
    /// Search keywords (catalog `keywords`).
    pub keywords: Vec<String>,
    /// Longer descriptions of the scene.
    pub descriptions: Vec<String>,
    /// Phrases users ask for it by.
    pub user_phrases: Vec<String>,
    /// Catalog categories.
    pub categories: Vec<String>,
    /// Visual styles.
    pub styles: Vec<String>,
    /// What it is used for.
    pub use_cases: Vec<String>,
    /// Animations it shows.
    pub animations: Vec<String>,
    /// Elements on screen.
    pub elements: Vec<String>,
    /// Its colors.
    pub colors: Vec<String>,
    /// Ids of templates like it.
    pub similar_to: Vec<String>,
    /// How complex the scene is, if the catalog says.
    pub complexity: Option<Complexity>,
    /// What it is primarily for: the synthesized brief's first sentence.
    pub primary_use: String,
    /// Where the entry starts in its file.
    pub at: Location,
}

impl Template {
    /// Let go of what only its briefs read (keywords, descriptions, phrases, …), once they are
    /// composed: a build keeps every template to the end, and these fields were about 1 KiB of
    /// the 6 KiB each template held at the peak. A struct literal, so a new field is kept or let
    /// go here.
    pub fn drop_brief_sources(&mut self) {
        use std::mem::{replace, take};
        *self = Template {
            id: take(&mut self.id),
            name: take(&mut self.name),
            source: replace(&mut self.source, Source::Unspecified),
            duration: self.duration,
            supported_formats: take(&mut self.supported_formats),
            at: self.at.clone(),
            // What only briefs read:
            keywords: Vec::new(),
            descriptions: Vec::new(),
            user_phrases: Vec::new(),
            categories: Vec::new(),
            styles: Vec::new(),
            use_cases: Vec::new(),
            animations: Vec::new(),
            elements: Vec::new(),
            colors: Vec::new(),
            similar_to: Vec::new(),
            complexity: None,
            primary_use: String::new(),
        };
    }

    /// A minimal entry for unit tests: id `t`, 30 frames, square only.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Template {
        Template {
            id: "t".into(),
            name: "T".into(),
            source: Source::Unspecified,
            duration: Some(30),
            supported_formats: vec![VideoFormat::Square],
            keywords: vec![],
            descriptions: vec![],
            user_phrases: vec![],
            categories: vec![],
            styles: vec![],
            use_cases: vec![],
            animations: vec![],
            elements: vec![],
            colors: vec![],
            similar_to: vec![],
            complexity: None,
            primary_use: "p".into(),
            at: Location::file("c"),
        }
    }

    /// The production database id, for a template kept there.
    pub fn db_id(&self) -> Option<&str> {
        match &self.source {
            Source::Db { db_id } => Some(db_id),
            _ => None,
        }
    }
}

/// The entry as written, in either spelling. Unknown fields are ignored: real catalogs carry
/// fields for other tools.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a catalog entry (an object with id, name, supportedFormats, primaryUse)")]
pub(crate) struct RawTemplate {
    #[serde(alias = "template_id")]
    id: String,
    #[serde(alias = "template_name")]
    name: String,
    #[serde(default)]
    source: Option<RawSource>,
    #[serde(default, rename = "dbId", alias = "db_id")]
    db_id: Option<String>,
    #[serde(default)]
    duration: Option<u32>,
    #[serde(rename = "supportedFormats", alias = "supported_formats")]
    supported_formats: Vec<VideoFormat>,
    #[serde(default)]
    keywords: Option<Vec<String>>,
    #[serde(default)]
    descriptions: Option<Vec<String>>,
    #[serde(default, rename = "userPhrases", alias = "user_phrases")]
    user_phrases: Option<Vec<String>>,
    #[serde(default)]
    categories: Option<Vec<String>>,
    #[serde(default)]
    styles: Option<Vec<String>>,
    #[serde(default, rename = "useCases", alias = "use_cases")]
    use_cases: Option<Vec<String>>,
    #[serde(default)]
    animations: Option<Vec<String>>,
    #[serde(default)]
    elements: Option<Vec<String>>,
    #[serde(default)]
    colors: Option<Vec<String>>,
    #[serde(default, rename = "similarTo", alias = "similar_to")]
    similar_to: Option<Vec<String>>,
    #[serde(default)]
    complexity: Option<Complexity>,
    #[serde(rename = "primaryUse", alias = "primary_use")]
    primary_use: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum RawSource {
    Db {
        #[serde(rename = "dbId", alias = "db_id")]
        db_id: String,
    },
    Registry {
        #[serde(rename = "registryId", alias = "registry_id")]
        registry_id: String,
    },
}

impl RawTemplate {
    /// Check the entry's values and build the model; `at` is where the entry starts.
    pub(crate) fn into_template(self, at: Location) -> Result<Template> {
        let id = self.id.trim().to_string();
        if id.is_empty() {
            return Err(wording::empty_id(at));
        }
        if self.name.trim().is_empty() {
            return Err(wording::empty_field(at, &id, "name"));
        }
        if self.primary_use.trim().is_empty() {
            return Err(wording::empty_field(at, &id, "primaryUse"));
        }
        if self.supported_formats.is_empty() {
            return Err(wording::no_formats(at, &id));
        }
        if self.duration == Some(0) {
            return Err(wording::zero_duration(at, &id));
        }
        let mut formats = Vec::with_capacity(3);
        for format in self.supported_formats {
            if !formats.contains(&format) {
                formats.push(format);
            }
        }
        let source = match (self.source, self.db_id) {
            (Some(RawSource::Db { db_id }), _) => Source::Db { db_id },
            (Some(RawSource::Registry { registry_id }), _) => Source::Registry { registry_id },
            (None, Some(db_id)) if !db_id.trim().is_empty() => Source::Db { db_id },
            (None, _) => Source::Unspecified,
        };
        // Shrunk to their length: collected in place, each list kept the parser's buffer (room
        // for four strings, 96 bytes, for one or two keywords), and a template holds ten lists
        // until its briefs are composed, past the build's memory peak.
        let list = |v: Option<Vec<String>>| -> Vec<String> {
            let mut list: Vec<String> = v
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            list.shrink_to_fit();
            list
        };
        Ok(Template {
            id,
            name: self.name.trim().to_string(),
            source,
            duration: self.duration,
            supported_formats: formats,
            keywords: list(self.keywords),
            descriptions: list(self.descriptions),
            user_phrases: list(self.user_phrases),
            categories: list(self.categories),
            styles: list(self.styles),
            use_cases: list(self.use_cases),
            animations: list(self.animations),
            elements: list(self.elements),
            colors: list(self.colors),
            similar_to: list(self.similar_to),
            complexity: self.complexity,
            primary_use: self.primary_use.trim().to_string(),
            at,
        })
    }
}

/// What [`load`] gives: the templates that take part, how many the source filter left out, and the
/// digest of the file as it was parsed.
#[derive(Debug)]
pub struct Catalog {
    pub templates: Vec<Template>,
    /// Ids of the entries `catalog.source_type` left out.
    pub excluded_by_source: Vec<String>,
    pub digest: InputDigest,
}

/// Read the catalog named in the config, check it, and keep the entries the source filter selects.
pub fn load(config: &Config, diagnostics: &mut Diagnostics) -> Result<Catalog> {
    let path = config.resolve(&config.catalog.path);
    let bytes = input::read_capped(&path, input::SMALL_FILE_LIMIT)?;
    let digest = InputDigest::of_bytes("catalog", config.display_path(&path), &bytes);
    let text = input::text_from_bytes(&path, bytes)?;
    let templates = match detect_format(&path, config.catalog.format) {
        CatalogFormat::Typescript => {
            typescript::parse(&path, &text, config.catalog.export.as_deref(), diagnostics)?
        }
        CatalogFormat::Jsonl => json::parse_lines(&path, &text)?,
        _ => json::parse_array(&path, &text)?,
    };
    check_unique(&templates)?;
    let filter = config.source_filter();
    let (templates, excluded): (Vec<Template>, Vec<Template>) =
        templates.into_iter().partition(|t| match filter {
            SourceFilter::Any => true,
            SourceFilter::Db => matches!(t.source, Source::Db { .. }),
            SourceFilter::Registry => matches!(t.source, Source::Registry { .. }),
        });
    Ok(Catalog {
        excluded_by_source: excluded.into_iter().map(|t| t.id).collect(),
        templates,
        digest,
    })
}

fn detect_format(path: &Path, configured: CatalogFormat) -> CatalogFormat {
    if configured != CatalogFormat::Auto {
        return configured;
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("ts" | "tsx" | "mts" | "cts") => CatalogFormat::Typescript,
        Some("jsonl" | "ndjson") => CatalogFormat::Jsonl,
        _ => CatalogFormat::Json,
    }
}

/// Every id that occurs twice or more, each with all its places, in one error.
pub fn check_unique(templates: &[Template]) -> Result<()> {
    let mut places: BTreeMap<&str, Vec<Location>> = BTreeMap::new();
    for t in templates {
        places.entry(&t.id).or_default().push(t.at.clone());
    }
    let ids: Vec<DuplicateId> = places
        .into_iter()
        .filter(|(_, p)| p.len() > 1)
        .map(|(id, places)| DuplicateId {
            id: id.to_string(),
            places,
        })
        .collect();
    if ids.is_empty() {
        Ok(())
    } else {
        Err(Error::DuplicateIds { ids })
    }
}
