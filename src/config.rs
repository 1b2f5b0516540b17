//! `template-sft.toml` → [`Config`].
//!
//! Takes the config file's path; gives the parsed, checked configuration. Paths inside stay as written
//! (that is what the manifest records) and are resolved against the config file's folder with
//! [`Config::resolve`]. Unknown keys, wrong types and impossible values are errors that name the key
//! and its line.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dataset::writer::check_tag;
use crate::error::{Error, Result};
use crate::location::{line_col, Location};

pub const DEFAULT_SYSTEM_PROMPT: &str = "You are a Remotion code generator. Respond with valid TSX only. Start with imports/const declarations and never add prose.";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub catalog: CatalogConfig,
    pub code: CodeConfig,
    #[serde(default)]
    pub prompts: PromptsConfig,
    #[serde(default)]
    pub video: VideoConfig,
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    pub split: SplitConfig,
    #[serde(default)]
    pub check: CheckConfig,
    #[serde(default)]
    pub tokens: TokensConfig,
    /// The folder holding the config file; relative paths resolve against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The config file itself, as given.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CatalogFormat {
    /// By extension: `.ts`/`.tsx` TypeScript, `.jsonl` JSON lines, anything else a JSON array.
    #[default]
    Auto,
    Json,
    Jsonl,
    Typescript,
}

/// Which catalog entries take part, by `source.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFilter {
    Any,
    Db,
    Registry,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    pub path: PathBuf,
    #[serde(default)]
    pub format: CatalogFormat,
    /// TypeScript catalogs: the name of the one array that is the catalog.
    #[serde(default)]
    pub export: Option<String>,
    /// Keep only entries of this source type; default `db` for PostgreSQL code, `any` otherwise.
    #[serde(default)]
    pub source_type: Option<SourceFilter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CodeSourceKind {
    #[default]
    Directory,
    Postgres,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeConfig {
    #[serde(default)]
    pub source: CodeSourceKind,
    /// Directory source: `<dir>/<template-id>.<extension>`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    #[serde(default = "default_extension")]
    pub extension: String,
    /// `<overrides_dir>/<template-id>.<extension>` is used when the store has no code.
    #[serde(default)]
    pub overrides_dir: Option<PathBuf>,
    #[serde(default)]
    pub postgres: PostgresConfig,
}

/// Where the PostgreSQL source reads code. Names are identifiers, always quoted, never SQL text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// The environment variable holding the connection string (libpq URL or key=value).
    #[serde(default = "default_url_env")]
    pub url_env: String,
    #[serde(default = "default_schema")]
    pub schema: String,
    #[serde(default = "default_table")]
    pub table: String,
    /// Compared as text with the catalog's dbId.
    #[serde(default = "default_id_column")]
    pub id_column: String,
    #[serde(default = "default_code_column")]
    pub code_column: String,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    #[serde(default = "default_statement_timeout")]
    pub statement_timeout_secs: u64,
    /// Ids per query: one round trip per batch.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig {
            url_env: default_url_env(),
            schema: default_schema(),
            table: default_table(),
            id_column: default_id_column(),
            code_column: default_code_column(),
            connect_timeout_secs: default_connect_timeout(),
            statement_timeout_secs: default_statement_timeout(),
            batch_size: default_batch_size(),
        }
    }
}

fn default_url_env() -> String {
    "DATABASE_URL".into()
}
fn default_schema() -> String {
    "public".into()
}
fn default_table() -> String {
    "bazaar-vid_templates".into()
}
fn default_id_column() -> String {
    "id".into()
}
fn default_code_column() -> String {
    "tsx_code".into()
}
fn default_connect_timeout() -> u64 {
    10
}
fn default_statement_timeout() -> u64 {
    120
}
fn default_batch_size() -> usize {
    5000
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptsConfig {
    /// Curated prompt files (JSONL, either shape). A missing one is an error.
    #[serde(default)]
    pub curated: Vec<PathBuf>,
    /// Curated prompt files that may be missing.
    #[serde(default)]
    pub curated_optional: Vec<PathBuf>,
    /// `overrides.json` with `additionalPrompts`; a missing file means no overrides.
    #[serde(default)]
    pub overrides: Option<PathBuf>,
    #[serde(default = "default_system")]
    pub system: String,
    #[serde(default = "default_variants")]
    pub variants_per_template: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoConfig {
    #[serde(default = "default_fps")]
    pub fps: u32,
    /// Duration in frames for catalog entries that have none; without it such entries are skipped.
    #[serde(default)]
    pub default_duration: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    #[serde(default = "default_root")]
    pub root: PathBuf,
    #[serde(default = "default_tag")]
    pub tag: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SplitMode {
    /// All examples of a template land in one split.
    #[default]
    Template,
    /// Each example is placed on its own.
    Example,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitConfig {
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "default_train")]
    pub train: f64,
    #[serde(default = "default_held_out")]
    pub validation: f64,
    #[serde(default = "default_held_out")]
    pub test: f64,
    #[serde(default)]
    pub mode: SplitMode,
}

/// Quality-gate rules; each is on by default and can be switched off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// Parse as TSX; a syntax error rejects the template.
    #[serde(default = "yes")]
    pub parse: bool,
    #[serde(default = "yes")]
    pub not_empty: bool,
    /// No Markdown code fences (```) anywhere.
    #[serde(default = "yes")]
    pub no_fences: bool,
    /// The code must start with code: import, const/let/var, function, class, export, a type
    /// declaration, a comment or a directive.
    #[serde(default = "yes")]
    pub no_leading_prose: bool,
    /// The code must export an entry point the renderer can use.
    #[serde(default = "yes")]
    pub entry_point: bool,
    /// `default` for a default export, or the name of a named export.
    #[serde(default = "default_export")]
    pub export: String,
    /// Identifiers or dotted paths that must occur in the code (e.g. `window.Remotion`).
    #[serde(default)]
    pub required: Vec<String>,
    /// Identifiers or dotted paths that must not occur (e.g. `eval`, `document.cookie`).
    #[serde(default)]
    pub forbidden: Vec<String>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            parse: true,
            not_empty: true,
            no_fences: true,
            no_leading_prose: true,
            entry_point: true,
            export: default_export(),
            required: Vec::new(),
            forbidden: Vec::new(),
        }
    }
}

/// Token budgets per example.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// The model to fine-tune: picks the encoding and the per-example limit.
    #[serde(default = "default_model")]
    pub model: String,
    /// A per-example limit that overrides the model's.
    #[serde(default)]
    pub max_tokens: Option<usize>,
}

impl Default for TokensConfig {
    fn default() -> Self {
        TokensConfig {
            model: default_model(),
            max_tokens: None,
        }
    }
}

fn yes() -> bool {
    true
}
fn default_export() -> String {
    "default".into()
}
fn default_model() -> String {
    "gpt-4o-mini-2024-07-18".into()
}
fn default_extension() -> String {
    "tsx".into()
}
fn default_system() -> String {
    DEFAULT_SYSTEM_PROMPT.into()
}
fn default_variants() -> usize {
    6
}
fn default_fps() -> u32 {
    30
}
fn default_root() -> PathBuf {
    PathBuf::from("dataset")
}
fn default_tag() -> String {
    "v1".into()
}
fn default_seed() -> u64 {
    42
}
fn default_train() -> f64 {
    0.8
}
fn default_held_out() -> f64 {
    0.1
}

impl Default for PromptsConfig {
    fn default() -> Self {
        PromptsConfig {
            curated: Vec::new(),
            curated_optional: Vec::new(),
            overrides: None,
            system: default_system(),
            variants_per_template: default_variants(),
        }
    }
}

impl Default for VideoConfig {
    fn default() -> Self {
        VideoConfig {
            fps: default_fps(),
            default_duration: None,
        }
    }
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            root: default_root(),
            tag: default_tag(),
        }
    }
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            seed: default_seed(),
            train: default_train(),
            validation: default_held_out(),
            test: default_held_out(),
            mode: SplitMode::default(),
        }
    }
}

impl Config {
    /// Read, parse and check `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = fs::read(path).map_err(|e| Error::read(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            Error::config(
                Location::from_offset(path, &valid, offset),
                "not valid UTF-8",
            )
        })?;
        Config::parse(path, &text)
    }

    /// Parse and check config text; `path` is used for locations and as the base for relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let at = match e.span() {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    Location::at(path, line, col)
                }
                None => Location::file(path),
            };
            Error::config(at, e.message().trim().to_string())
        })?;
        config.path = path.to_path_buf();
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.check(text)?;
        Ok(config)
    }

    /// A path from the config, resolved against the config file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// A path as it should appear in dataset metadata: relative to the config's folder, with `/`,
    /// so the same project gives the same bytes wherever it is checked out.
    pub fn display_path(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.base_dir).unwrap_or(path);
        rel.to_string_lossy().replace('\\', "/")
    }

    /// The effective source-type filter (PostgreSQL holds only `db` templates' code).
    pub fn source_filter(&self) -> SourceFilter {
        self.catalog.source_type.unwrap_or(match self.code.source {
            CodeSourceKind::Postgres => SourceFilter::Db,
            CodeSourceKind::Directory => SourceFilter::Any,
        })
    }

    fn check(&self, text: &str) -> Result<()> {
        let at = |section: &str, key: &str| key_location(&self.path, text, section, key);
        let split = &self.split;
        for (key, value) in [
            ("train", split.train),
            ("validation", split.validation),
            ("test", split.test),
        ] {
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return Err(Error::config(
                    at("split", key),
                    format!("split.{key} must be between 0 and 1, got {value}"),
                ));
            }
        }
        let sum = split.train + split.validation + split.test;
        if (sum - 1.0).abs() > 1e-6 {
            // Print 0.9, not 0.8999999999999999.
            let sum = (sum * 1e6).round() / 1e6;
            return Err(Error::config(
                at("split", "train"),
                format!(
                    "split ratios must add up to 1, got {} + {} + {} = {sum}",
                    split.train, split.validation, split.test
                ),
            ));
        }
        if split.train == 0.0 {
            return Err(Error::config(
                at("split", "train"),
                "split.train must be greater than 0",
            ));
        }
        if self.video.fps == 0 || self.video.fps > 1000 {
            return Err(Error::config(
                at("video", "fps"),
                format!(
                    "video.fps must be between 1 and 1000, got {}",
                    self.video.fps
                ),
            ));
        }
        if self.video.default_duration == Some(0) {
            return Err(Error::config(
                at("video", "default_duration"),
                "video.default_duration must be at least 1 frame",
            ));
        }
        if self.prompts.variants_per_template == 0 {
            return Err(Error::config(
                at("prompts", "variants_per_template"),
                "prompts.variants_per_template must be at least 1",
            ));
        }
        if self.prompts.system.trim().is_empty() {
            return Err(Error::config(
                at("prompts", "system"),
                "prompts.system must not be empty",
            ));
        }
        if let Err(why) = check_tag(&self.output.tag) {
            return Err(Error::config(
                at("output", "tag"),
                format!("output.tag {why}"),
            ));
        }
        let ext = &self.code.extension;
        if ext.is_empty() || ext.contains(['/', '\\', '\0']) || ext.starts_with('.') {
            return Err(Error::config(
                at("code", "extension"),
                format!("code.extension must be a bare extension like \"tsx\", got {ext:?}"),
            ));
        }
        let pg = &self.code.postgres;
        for (key, name) in [
            ("schema", &pg.schema),
            ("table", &pg.table),
            ("id_column", &pg.id_column),
            ("code_column", &pg.code_column),
        ] {
            if name.is_empty() || name.contains('\0') || name.len() > 63 {
                return Err(Error::config(
                    at("code.postgres", key),
                    format!("code.postgres.{key} must be a PostgreSQL identifier of 1 to 63 bytes without NUL"),
                ));
            }
        }
        if pg.url_env.is_empty() || pg.url_env.contains(['=', '\0']) {
            return Err(Error::config(
                at("code.postgres", "url_env"),
                "code.postgres.url_env must name an environment variable",
            ));
        }
        if pg.batch_size == 0 || pg.connect_timeout_secs == 0 || pg.statement_timeout_secs == 0 {
            return Err(Error::config(
                at("code.postgres", "batch_size"),
                "code.postgres.batch_size and the timeouts must be at least 1",
            ));
        }
        if let Err(why) = crate::tokens::Budget::new(&self.tokens.model, self.tokens.max_tokens) {
            return Err(Error::config(at("tokens", "model"), why));
        }
        for (key, list) in [
            ("required", &self.check.required),
            ("forbidden", &self.check.forbidden),
        ] {
            if let Some(bad) = list.iter().find(|p| !crate::code::check::is_dotted_path(p)) {
                return Err(Error::config(
                    at("check", key),
                    format!("check.{key}: {bad:?} is not an identifier or a dotted path like window.Remotion"),
                ));
            }
        }
        if self.code.source == CodeSourceKind::Directory && self.code.dir.is_none() {
            return Err(Error::config(
                at("code", "source"),
                "code.dir is required when code.source = \"directory\"",
            ));
        }
        Ok(())
    }
}

/// The line of `key = …` inside `[section]` (or of the section header, or the file), for errors
/// about values that parsed but make no sense.
fn key_location(path: &Path, text: &str, section: &str, key: &str) -> Location {
    let header = format!("[{section}]");
    let mut in_section = false;
    let mut section_line = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_section = trimmed == header;
            if in_section {
                section_line = Some(i + 1);
            }
            continue;
        }
        if in_section {
            if let Some(rest) = trimmed.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    let col = line.len() - line.trim_start().len() + 1;
                    return Location::at(path, i + 1, col);
                }
            }
        }
    }
    match section_line {
        Some(line) => Location::line(path, line),
        None => Location::file(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("p/template-sft.toml"), text)
    }

    const MINIMAL: &str = "[catalog]\npath = \"c.json\"\n[code]\ndir = \"code\"\n";

    #[test]
    fn minimal_config_gets_defaults_and_resolves_paths() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.split.seed, 42);
        assert_eq!(c.output.tag, "v1");
        assert_eq!(c.resolve(&c.catalog.path), PathBuf::from("p/c.json"));
        assert_eq!(c.source_filter(), SourceFilter::Any);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse(&format!("{MINIMAL}[split]\nsede = 3\n")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("p/template-sft.toml:6:1: unknown field `sede`"),
            "{text}"
        );
    }

    #[test]
    fn ratios_must_sum_to_one() {
        let err = parse(&format!("{MINIMAL}[split]\ntrain = 0.5\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "p/template-sft.toml:6:1: split ratios must add up to 1, got 0.5 + 0.1 + 0.1 = 0.7"
        );
    }

    #[test]
    fn a_negative_seed_is_rejected() {
        let err = parse(&format!("{MINIMAL}[split]\nseed = -1\n")).unwrap_err();
        assert!(
            err.to_string().starts_with("p/template-sft.toml:6:8:"),
            "{err}"
        );
    }
}
