//! Template code: fetch each template's production code, fall back to override files, report gaps.
//!
//! Takes the catalog's templates, a [`CodeSource`] (a directory or PostgreSQL) and the optional
//! code-override directory; gives, per template, its code (shared, never copied per example) or the
//! reason it has none. The quality gate ([`check`]) then decides which code may be trained on.

pub mod check;
pub mod directory;
pub mod overrides;
pub mod postgres;
pub mod postgres_tls;
pub mod verdicts;

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::catalog::Template;
use crate::console::Console;
use crate::digest::sha256_hex;
use crate::error::Result;

/// Where production code comes from.
pub trait CodeSource {
    /// For messages and the manifest, e.g. `directory examples/starter/templates`. No secrets.
    fn describe(&self) -> String;

    /// The key this source stores `template`'s code under, if it can hold it at all.
    fn key<'t>(&self, template: &'t Template) -> Option<&'t str>;

    /// The code stored for each of `keys`; keys with no stored code are simply absent. Bytes, not
    /// text: whether they are usable UTF-8 is the quality gate's call, so one bad file is reported
    /// rather than aborting the build.
    fn fetch(&mut self, keys: &[&str], console: &Console) -> Result<HashMap<String, Vec<u8>>>;
}

/// Where a template's code was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOrigin {
    /// The configured source, under this key.
    Store { key: String },
    /// A code-override file (the store had no usable code).
    Override { path: PathBuf },
}

/// Code found for one template, before the quality gate.
#[derive(Debug, Clone)]
pub struct FoundCode {
    pub bytes: Vec<u8>,
    pub origin: CodeOrigin,
}

/// A template's checked code, shared by all of its examples. Only the JSON-escaped form is kept:
/// it is all the writer needs, and holding the text too would double the memory of a large build.
#[derive(Debug)]
pub struct TemplateCode {
    pub origin: CodeOrigin,
    pub sha256: String,
    /// Tokens of the code in the build's encoding, counted once for all its examples.
    pub tokens: usize,
    /// The code (trailing whitespace removed, nothing else changed) as a JSON string literal,
    /// escaped once and copied into each example's line.
    pub json: Box<[u8]>,
}

impl TemplateCode {
    pub fn new(text: &str, origin: CodeOrigin, tokens: usize) -> Self {
        let text = text.trim_end();
        TemplateCode {
            sha256: sha256_hex(text.as_bytes()),
            json: json_string(text),
            origin,
            tokens,
        }
    }

    /// The code as text again (tests, tools); the build itself only needs the escaped form.
    pub fn text(&self) -> String {
        serde_json::from_slice(&self.json).unwrap_or_default()
    }
}

/// `text` as a JSON string literal (quotes included).
pub fn json_string(text: &str) -> Box<[u8]> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8 + 2);
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, text);
    out.into_boxed_slice()
}

/// A template with no code anywhere (stats `missingTemplates`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MissingCode {
    pub template_id: String,
    pub db_id: Option<String>,
}

/// Per template (same order as the catalog): the code found, or `None`; plus what was missing.
#[derive(Debug)]
pub struct Lookup {
    pub found: Vec<Option<FoundCode>>,
    pub missing: Vec<MissingCode>,
}

/// Fetch every template's code from `source`, falling back to `overrides` for templates whose
/// stored code is absent or blank.
pub fn lookup(
    templates: &[Template],
    source: &mut dyn CodeSource,
    overrides: Option<&overrides::OverrideDir>,
    console: &Console,
) -> Result<Lookup> {
    let keys: Vec<&str> = templates.iter().filter_map(|t| source.key(t)).collect();
    let mut stored = source.fetch(&keys, console)?;
    let mut found = Vec::with_capacity(templates.len());
    let mut missing = Vec::new();
    for template in templates {
        let from_store = source
            .key(template)
            .and_then(|key| stored.remove_entry(key))
            // A NULL column arrives absent; an empty or blank one counts as missing too.
            .filter(|(_, bytes)| !bytes.iter().all(u8::is_ascii_whitespace))
            .map(|(key, bytes)| FoundCode {
                bytes,
                origin: CodeOrigin::Store { key },
            });
        let code = match from_store {
            Some(code) => Some(code),
            None => match overrides {
                Some(dir) => dir.find(&template.id)?,
                None => None,
            },
        };
        if code.is_none() {
            missing.push(MissingCode {
                template_id: template.id.clone(),
                db_id: template.db_id().map(str::to_string),
            });
        }
        found.push(code);
    }
    Ok(Lookup { found, missing })
}

/// The code source the config asks for.
pub fn open_source(config: &crate::config::Config) -> Result<Box<dyn CodeSource>> {
    use crate::config::CodeSourceKind;
    match config.code.source {
        CodeSourceKind::Directory => {
            // Config::check guarantees `dir` for the directory source.
            let dir = config
                .code
                .dir
                .as_deref()
                .unwrap_or(std::path::Path::new("."));
            Ok(Box::new(directory::DirectorySource::new(
                config.resolve(dir),
                config.code.extension.clone(),
            )))
        }
        CodeSourceKind::Postgres => Ok(Box::new(postgres::PostgresSource::from_env(
            &config.code.postgres,
        )?)),
    }
}
