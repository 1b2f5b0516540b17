//! `template-sft.toml` → [`Config`], in two steps (as ripgrep resolves its arguments).
//!
//! Takes the config file's path; [`Config::read`] gives the parsed file, [`Overrides`] from the
//! command line are applied to it, and one [`Config::check`] then judges the result, so a value given
//! on the command line is checked exactly like one in the file (and errors about it name the flag).
//! Paths inside stay as written (that is what the manifest records) and are resolved against the
//! config file's folder with [`Config::resolve`]. Unknown keys, wrong types and impossible values are
//! errors that name the key and its line. This module is the bottom layer: it imports no stage.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::location::{line_col, Location};

/// The export that states a scene's duration: `durationInFrames` or `durationInFrames_<suffix>`.
pub const DEFAULT_DURATION_EXPORT: &str = "durationInFrames";

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
    /// The quality gate's rules (`[check]` in the file).
    #[serde(default, rename = "check")]
    pub gate: GateConfig,
    #[serde(default)]
    pub tokens: TokensConfig,
    /// The folder holding the config file; relative paths resolve against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The config file itself, as given.
    #[serde(skip)]
    pub path: PathBuf,
    /// The file's text as read, for pointing errors at the line of a key and for its digest.
    #[serde(skip)]
    text: String,
    /// Keys whose value came from the command line, and the flag that set it (`output.tag` →
    /// `--tag`): errors about them name the flag, not a line of the file.
    #[serde(skip)]
    overridden: BTreeMap<&'static str, &'static str>,
}

/// Values given on the command line that take the place of the file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub tag: Option<String>,
    pub model: Option<String>,
}

impl Overrides {
    /// Put each given value in place of the file's; [`Config::check`] judges them afterwards.
    pub fn apply(self, config: &mut Config) {
        if let Some(seed) = self.seed {
            config.split.seed = seed;
            config.overridden.insert("split.seed", "--seed");
        }
        if let Some(tag) = self.tag {
            config.output.tag = tag;
            config.overridden.insert("output.tag", "--tag");
        }
        if let Some(model) = self.model {
            config.tokens.model = model;
            // A model from the command line brings its own limit, not the file's.
            config.tokens.max_tokens = None;
            config.overridden.insert("tokens.model", "--model");
        }
    }
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
pub enum CodeStoreKind {
    #[default]
    Directory,
    Postgres,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeConfig {
    #[serde(default)]
    pub source: CodeStoreKind,
    /// Directory source: `<dir>/<template-id>.<extension>`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    #[serde(default = "default_extension")]
    pub extension: String,
    /// `<overrides_dir>/<template-id>.<extension>` is used when the store has no code.
    #[serde(default)]
    pub overrides_dir: Option<PathBuf>,
    /// Code larger than this is not read: the template is rejected (`too_large`).
    #[serde(default = "default_code_max_bytes")]
    pub max_bytes: u64,
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
    /// Duration in frames for templates whose code and catalog state none; without it such
    /// templates are skipped.
    #[serde(default)]
    pub default_duration: Option<u32>,
    /// Which duration a brief states: the one the code exports (default) or the catalog's.
    #[serde(default)]
    pub duration_source: DurationSource,
    /// The export that states the duration: a name (`durationInFrames` also matches
    /// `durationInFrames_<suffix>`) or a prefix ending in `*`.
    #[serde(default = "default_duration_export")]
    pub duration_export: String,
}

/// Where the duration a brief states comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DurationSource {
    /// The duration the template's code exports when it can be evaluated; else the catalog's,
    /// else `video.default_duration`.
    #[default]
    Code,
    /// The catalog's; else the code's, else `video.default_duration`.
    Catalog,
}

impl DurationSource {
    pub fn name(self) -> &'static str {
        match self {
            DurationSource::Code => "code",
            DurationSource::Catalog => "catalog",
        }
    }
}

fn default_duration_export() -> String {
    DEFAULT_DURATION_EXPORT.into()
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

impl SplitMode {
    pub fn name(self) -> &'static str {
        match self {
            SplitMode::Template => "template",
            SplitMode::Example => "example",
        }
    }
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
    /// Templates whose code is at least this similar (word 5-gram Jaccard, estimated) are
    /// near-copies and share a split; 0 turns it off (identical code still does).
    #[serde(default = "default_near_copy_threshold")]
    pub near_copy_threshold: f64,
}

/// Quality-gate rules; each is on by default and can be switched off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
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

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
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
/// 16 MiB: a hundred times the largest real scene.
pub const DEFAULT_CODE_MAX_BYTES: u64 = 16 << 20;
fn default_code_max_bytes() -> u64 {
    DEFAULT_CODE_MAX_BYTES
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
/// Measured on production scenes (README "Near-copies"): twins 0.67–1.0, restyled variants
/// 0.40–0.45, unrelated scenes of one library under 0.32.
pub const DEFAULT_NEAR_COPY_THRESHOLD: f64 = 0.36;
fn default_near_copy_threshold() -> f64 {
    DEFAULT_NEAR_COPY_THRESHOLD
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
            duration_source: DurationSource::default(),
            duration_export: default_duration_export(),
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
            near_copy_threshold: default_near_copy_threshold(),
        }
    }
}

impl Config {
    /// Read, parse and check `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let config = Config::read(path)?;
        config.check()?;
        Ok(config)
    }

    /// Parse and check config text; `path` is used for locations and as the base for relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let config = Config::parse_unchecked(path, text)?;
        config.check()?;
        Ok(config)
    }

    /// Read and parse `path` without judging its values (apply [`Overrides`], then [`Config::check`]).
    pub fn read(path: &Path) -> Result<Config> {
        let bytes = fs::read(path).map_err(|e| Error::read(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            Error::config(
                Location::from_offset(path, &valid, offset),
                "not valid UTF-8",
            )
        })?;
        Config::parse_unchecked(path, &text)
    }

    fn parse_unchecked(path: &Path, raw: &str) -> Result<Config> {
        let text = raw.strip_prefix('\u{feff}').unwrap_or(raw);
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
        config.text = raw.to_string();
        Ok(config)
    }

    /// The config file's text, exactly as read.
    pub fn text(&self) -> &str {
        &self.text
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

    /// A location as dataset metadata and stats show it: the path as [`Config::display_path`]
    /// gives it, then `:line` and `:col` where known.
    pub fn display_location(&self, at: &Location) -> String {
        let path = self.display_path(&at.path);
        match (at.line, at.col) {
            (Some(l), Some(c)) => format!("{path}:{l}:{c}"),
            (Some(l), None) => format!("{path}:{l}"),
            _ => path,
        }
    }

    /// The effective source-type filter (PostgreSQL holds only `db` templates' code).
    pub fn source_filter(&self) -> SourceFilter {
        self.catalog.source_type.unwrap_or(match self.code.source {
            CodeStoreKind::Postgres => SourceFilter::Db,
            CodeStoreKind::Directory => SourceFilter::Any,
        })
    }

    /// An error about `section.key`: at its line in the file, or naming the flag that set it.
    fn wrong(&self, section: &str, key: &str, message: impl Into<String>) -> Error {
        let message = message.into();
        let dotted = format!("{section}.{key}");
        match self.overridden.get(dotted.as_str()) {
            Some(flag) => match message.strip_prefix(&format!("{dotted} ")) {
                Some(rest) => Error::Usage(format!("{flag} {rest}")),
                None => Error::Usage(format!("{flag}: {message}")),
            },
            None => {
                let text = self.text.strip_prefix('\u{feff}').unwrap_or(&self.text);
                Error::config(key_location(&self.path, text, section, key), message)
            }
        }
    }

    /// Judge every value (after [`Overrides`]); the first impossible one is an error.
    pub fn check(&self) -> Result<()> {
        let split = &self.split;
        for (key, value) in [
            ("train", split.train),
            ("validation", split.validation),
            ("test", split.test),
        ] {
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return Err(self.wrong(
                    "split",
                    key,
                    format!("split.{key} must be between 0 and 1, got {value}"),
                ));
            }
        }
        let sum = split.train + split.validation + split.test;
        if (sum - 1.0).abs() > 1e-6 {
            // Print 0.9, not 0.8999999999999999.
            let sum = (sum * 1e6).round() / 1e6;
            return Err(self.wrong(
                "split",
                "train",
                format!(
                    "split ratios must add up to 1, got {} + {} + {} = {sum}",
                    split.train, split.validation, split.test
                ),
            ));
        }
        let t = split.near_copy_threshold;
        if !t.is_finite() || !(0.0..=1.0).contains(&t) {
            return Err(self.wrong(
                "split",
                "near_copy_threshold",
                format!("split.near_copy_threshold must be between 0 (off) and 1, got {t}"),
            ));
        }
        if split.train == 0.0 {
            return Err(self.wrong("split", "train", "split.train must be greater than 0"));
        }
        if self.video.fps == 0 || self.video.fps > 1000 {
            return Err(self.wrong(
                "video",
                "fps",
                format!(
                    "video.fps must be between 1 and 1000, got {}",
                    self.video.fps
                ),
            ));
        }
        if self.video.default_duration == Some(0) {
            return Err(self.wrong(
                "video",
                "default_duration",
                "video.default_duration must be at least 1 frame",
            ));
        }
        let export = &self.video.duration_export;
        let name = export.strip_suffix('*').unwrap_or(export);
        if name.is_empty() || !is_dotted_path(name) || name.contains('.') {
            return Err(self.wrong(
                "video",
                "duration_export",
                format!("video.duration_export must be an identifier like durationInFrames (or a prefix ending in *), got {export:?}"),
            ));
        }
        if self.prompts.variants_per_template == 0 {
            return Err(self.wrong(
                "prompts",
                "variants_per_template",
                "prompts.variants_per_template must be at least 1",
            ));
        }
        if self.prompts.system.trim().is_empty() {
            return Err(self.wrong("prompts", "system", "prompts.system must not be empty"));
        }
        if let Err(why) = check_tag(&self.output.tag) {
            return Err(self.wrong("output", "tag", format!("output.tag {why}")));
        }
        let ext = &self.code.extension;
        if ext.is_empty() || ext.contains(['/', '\\', '\0']) || ext.starts_with('.') {
            return Err(self.wrong(
                "code",
                "extension",
                format!("code.extension must be a bare extension like \"tsx\", got {ext:?}"),
            ));
        }
        if self.code.max_bytes == 0 {
            return Err(self.wrong("code", "max_bytes", "code.max_bytes must be at least 1"));
        }
        let pg = &self.code.postgres;
        for (key, name) in [
            ("schema", &pg.schema),
            ("table", &pg.table),
            ("id_column", &pg.id_column),
            ("code_column", &pg.code_column),
        ] {
            if name.is_empty() || name.contains('\0') || name.len() > 63 {
                return Err(self.wrong("code.postgres", key, format!("code.postgres.{key} must be a PostgreSQL identifier of 1 to 63 bytes without NUL"),
                ));
            }
        }
        if pg.url_env.is_empty() || pg.url_env.contains(['=', '\0']) {
            return Err(self.wrong(
                "code.postgres",
                "url_env",
                "code.postgres.url_env must name an environment variable",
            ));
        }
        // PostgreSQL takes statement_timeout in milliseconds as a 32-bit integer.
        const MAX_STATEMENT_TIMEOUT: u64 = i32::MAX as u64 / 1000;
        if pg.statement_timeout_secs > MAX_STATEMENT_TIMEOUT {
            return Err(self.wrong(
                "code.postgres",
                "statement_timeout_secs",
                format!("code.postgres.statement_timeout_secs must be at most {MAX_STATEMENT_TIMEOUT} (PostgreSQL's limit, about 24 days), got {}", pg.statement_timeout_secs),
            ));
        }
        if pg.connect_timeout_secs > MAX_STATEMENT_TIMEOUT {
            return Err(self.wrong(
                "code.postgres",
                "connect_timeout_secs",
                format!("code.postgres.connect_timeout_secs must be at most {MAX_STATEMENT_TIMEOUT}, got {}", pg.connect_timeout_secs),
            ));
        }
        if pg.batch_size == 0 || pg.connect_timeout_secs == 0 || pg.statement_timeout_secs == 0 {
            return Err(self.wrong(
                "code.postgres",
                "batch_size",
                "code.postgres.batch_size and the timeouts must be at least 1",
            ));
        }
        if let Err(why) = crate::tokens::Budget::new(&self.tokens.model, self.tokens.max_tokens) {
            return Err(self.wrong("tokens", "model", why));
        }
        for (key, list) in [
            ("required", &self.gate.required),
            ("forbidden", &self.gate.forbidden),
        ] {
            if let Some(bad) = list.iter().find(|p| !is_dotted_path(p)) {
                return Err(self.wrong("check", key, format!("check.{key}: {bad:?} is not an identifier or a dotted path like window.Remotion"),
                ));
            }
        }
        if self.code.source == CodeStoreKind::Directory && self.code.dir.is_none() {
            return Err(self.wrong(
                "code",
                "source",
                "code.dir is required when code.source = \"directory\"",
            ));
        }
        Ok(())
    }
}

/// Why a tag cannot name a directory, if it cannot: a version's name must stay inside the output
/// root and never hide (`/`, `\\`, NUL, a leading `.`, control characters).
pub fn check_tag(tag: &str) -> std::result::Result<(), String> {
    if tag.is_empty() {
        return Err("is empty".into());
    }
    if tag.len() > 100 {
        return Err("is longer than 100 characters".into());
    }
    if tag.contains(['/', '\\', '\0']) {
        return Err(format!("{tag:?} must not contain '/', '\\' or NUL"));
    }
    if tag.starts_with('.') {
        return Err(format!("{tag:?} must not start with '.'"));
    }
    if tag.chars().any(char::is_control) {
        return Err(format!("{tag:?} must not contain control characters"));
    }
    Ok(())
}

/// `name` or `a.b.c`, each part an identifier (for `check.required` / `check.forbidden`).
pub fn is_dotted_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
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
    fn a_value_from_the_command_line_is_checked_and_named_by_its_flag() {
        let mut c = Config::parse_unchecked(
            Path::new("t.toml"),
            &format!("{MINIMAL}[tokens]\nmodel = \"llama-3\"\nmax_tokens = 4096\n"),
        )
        .unwrap();
        Overrides {
            model: Some("gpt-4.1".into()),
            ..Overrides::default()
        }
        .apply(&mut c);
        c.check().unwrap();
        assert_eq!(c.tokens.max_tokens, None);
        Overrides {
            tag: Some("../x".into()),
            ..Overrides::default()
        }
        .apply(&mut c);
        assert_eq!(
            c.check().unwrap_err().to_string(),
            "--tag \"../x\" must not contain '/', '\\' or NUL"
        );
    }

    #[test]
    fn tags_that_could_escape_or_hide_are_refused() {
        assert!(check_tag("v1").is_ok());
        assert!(check_tag("release-2026.11").is_ok());
        for bad in ["", "a/b", "..", "../x", ".v1", "a\0b", "a\\b", "a\nb"] {
            assert!(check_tag(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn dotted_paths_are_validated() {
        assert!(is_dotted_path("window.Remotion"));
        assert!(is_dotted_path("$x"));
        assert!(!is_dotted_path("window."));
        assert!(!is_dotted_path("a b"));
        assert!(!is_dotted_path("1a"));
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
