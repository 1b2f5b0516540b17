//! The sections of `template-sft.toml`, their keys and their defaults.
//!
//! Takes nothing; gives the typed sections [`super::Config`] is made of. Every key has a default
//! (documented in the README's config reference and in `template-sft init`) except `catalog.path`
//! and, for a directory store, `code.dir`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The export that states a scene's duration: `durationInFrames` or `durationInFrames_<suffix>`.
pub const DEFAULT_DURATION_EXPORT: &str = "durationInFrames";

pub const DEFAULT_SYSTEM_PROMPT: &str = "You are a Remotion code generator. Respond with valid TSX only. Start with imports/const declarations and never add prose.";

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
    /// Code with more syntax tokens than this (identifiers, literals, punctuation) is not parsed:
    /// the template is rejected (`too_large`). Bytes alone do not bound the work: 15 MB of dense
    /// array literal took 0.9 GB to check.
    #[serde(default = "default_code_max_syntax_tokens")]
    pub max_syntax_tokens: usize,
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
    /// Generated brief files (`briefs ingest` writes them; the curated shape). A missing one is
    /// an error. Their briefs have the prompt origin `generated`.
    #[serde(default)]
    pub generated: Vec<PathBuf>,
    /// Generated briefs per template, at most: a cap of their own, beside
    /// `variants_per_template` (which overrides and curated prompts share), so that generated
    /// briefs never displace a curated one.
    #[serde(default = "default_generated")]
    pub generated_per_template: usize,
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
    /// Reject empty (or whitespace-only) code.
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
    /// Render every template in every supported format with Remotion in headless Chromium
    /// (`[render]` says how); a scene that does not render cleanly is rejected. Off by default:
    /// it needs Node.js and Chromium, and takes seconds a scene.
    #[serde(default)]
    pub render: bool,
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
            render: false,
        }
    }
}

/// How scenes are rendered when `check.render` is on (`[render]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderConfig {
    /// Scenes rendered at once (each a browser tab; 2 suits two cores).
    #[serde(default = "default_render_concurrency")]
    pub concurrency: usize,
    /// How many frames to render of each scene, evenly spaced (default 5: 0, ¼, ½, ¾, last), or
    /// `"all"` (every frame, at most 3,600).
    #[serde(default)]
    pub frames: crate::render::Frames,
    /// Seconds a scene may go without rendering a frame (or loading) before it is a `hang` and the
    /// renderer is killed; a `hang` is rendered again alone before it stands.
    #[serde(default = "default_render_deadline")]
    pub deadline_seconds: u64,
    /// Remotion's `delayRender` timeout in seconds (at least 7, Remotion's minimum).
    #[serde(default = "default_delay_timeout")]
    pub delay_timeout_seconds: u64,
    /// MiB of memory each scene rendering at once may take (the renderer's processes together may
    /// take 512 MiB plus this per scene in flight); a scene that takes more alone is `memory`.
    #[serde(default = "default_memory_mib")]
    pub memory_mib: u64,
    /// Keep small thumbnails of each scene's rendered frames in the version (`frames/`, listed in
    /// its manifest); `report --html` shows them as a contact sheet. Every scene is then rendered
    /// (the render cache holds verdicts, not frames).
    #[serde(default)]
    pub keep_frames: bool,
    /// The scale frames are rendered at (0.25: a 1920×1080 frame as 480×270).
    #[serde(default = "default_render_scale")]
    pub scale: f64,
    /// The browser (default: `TEMPLATE_SFT_CHROMIUM`, then Debian's chromium-headless-shell or
    /// chromium). Relative to the config's folder.
    #[serde(default)]
    pub chromium: Option<String>,
    /// An installed render kit (default: `~/.cache/template-sft/render-kit/<hash>`, installed on
    /// first use). Relative to the config's folder.
    #[serde(default)]
    pub kit: Option<String>,
    /// npm packages at exact versions (`"@iconify/react@5.2.1"`) added to the kit: scenes and the
    /// runtime import them. Locked in `render-packages.lock.json` beside the config.
    #[serde(default)]
    pub packages: Vec<String>,
    /// A module (`.js`, `.jsx`, `.ts`, `.tsx`) run in the page before any scene, to set the globals
    /// the host app provides (icon components, font loaders, asset maps). Relative to the config's
    /// folder.
    #[serde(default)]
    pub runtime: Option<String>,
}

fn default_render_concurrency() -> usize {
    2
}
fn default_render_deadline() -> u64 {
    30
}
fn default_delay_timeout() -> u64 {
    10
}
fn default_memory_mib() -> u64 {
    crate::render::DEFAULT_MEMORY_MIB
}
fn default_render_scale() -> f64 {
    0.25
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            concurrency: default_render_concurrency(),
            frames: crate::render::Frames::default(),
            deadline_seconds: default_render_deadline(),
            delay_timeout_seconds: default_delay_timeout(),
            memory_mib: default_memory_mib(),
            keep_frames: false,
            scale: default_render_scale(),
            chromium: None,
            kit: None,
            packages: Vec::new(),
            runtime: None,
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
    /// Hugging Face tokenizers (`tokenizer.json`, chat template beside it) whose rendered lengths
    /// stats and meta give: `"path"`, `"name=path"` or a list of them; relative to the config.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tokenizer: Vec<String>,
}

impl Default for TokensConfig {
    fn default() -> Self {
        TokensConfig {
            model: default_model(),
            max_tokens: None,
            tokenizer: Vec::new(),
        }
    }
}

/// A string or a list of strings.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
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
/// 500,000: fifteen times the largest real scene (100 KB, about 30,000).
pub const DEFAULT_CODE_MAX_SYNTAX_TOKENS: usize = 500_000;
fn default_code_max_syntax_tokens() -> usize {
    DEFAULT_CODE_MAX_SYNTAX_TOKENS
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
fn default_generated() -> usize {
    8
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
pub const DEFAULT_NEAR_COPY_THRESHOLD: f64 = crate::split::near_copy::DEFAULT_THRESHOLD;
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
            generated: Vec::new(),
            generated_per_template: default_generated(),
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
