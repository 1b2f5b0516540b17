//! `template-sft.toml` → [`Config`], in two steps (as ripgrep resolves its arguments).
//!
//! Takes the config file's path; [`Config::read`] gives the parsed file, [`Overrides`] from the
//! command line are applied to it, and one [`Config::check`] then judges the result, so a value given
//! on the command line is checked exactly like one in the file (and errors about it name the flag).
//! Paths inside stay as written (that is what the manifest records) and are resolved against the
//! config file's folder with [`Config::resolve`]. Unknown keys, wrong types and impossible values are
//! errors that name the key and its line. This module is the bottom layer: it imports no stage.

mod check;
mod sections;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{wording, Error, Result};
use crate::location::{line_col, Location};
pub use crate::text::{check_name, sanitized_name};
use crate::tokens::chat_template::TokenizerSpec;
pub use check::check_tag;
pub use sections::*;

/// A project's config (`template-sft.toml`), read and checked: what a build takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[catalog]`: where the catalog is and which entries to take.
    pub catalog: CatalogConfig,
    /// `[code]`: where template code is fetched from.
    pub code: CodeConfig,
    /// `[prompts]`: the system message, curated prompts, prompt additions.
    #[serde(default)]
    pub prompts: PromptsConfig,
    /// `[video]`: frame rate and where durations come from.
    #[serde(default)]
    pub video: VideoConfig,
    /// `[output]`: the output root and the version's tag.
    #[serde(default)]
    pub output: OutputConfig,
    /// `[split]`: ratios, mode, seed and the near-copy threshold.
    #[serde(default)]
    pub split: SplitConfig,
    /// The quality gate's rules (`[check]` in the file).
    #[serde(default, rename = "check")]
    pub gate: GateConfig,
    /// `[tokens]`: the model budgeted for and model tokenizers.
    #[serde(default)]
    pub tokens: TokensConfig,
    /// How scenes are rendered when `check.render` is on.
    #[serde(default)]
    pub render: RenderConfig,
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
#[non_exhaustive]
pub struct Overrides {
    /// `--seed`: replaces `split.seed`.
    pub seed: Option<u64>,
    /// `--tag`: replaces `output.tag`.
    pub tag: Option<String>,
    /// `--model`: replaces `tokens.model`.
    pub model: Option<String>,
    /// `--tokenizer`, given once or more: replaces `tokens.tokenizer`.
    pub tokenizers: Vec<String>,
    /// `--render`: turns `check.render` on.
    pub render: bool,
    /// `--render-frames`: replaces `render.frames`.
    pub render_frames: Option<crate::render::Frames>,
}

/// A TOML error worded for people: Rust's type names become what they mean.
fn plain_types(message: &str) -> String {
    let mut text = message.to_string();
    for (rust, plain) in [
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ] {
        text = text.replace(rust, plain);
    }
    text
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
        if self.render {
            config.gate.render = true;
            config.overridden.insert("check.render", "--render");
        }
        if let Some(frames) = self.render_frames {
            config.render.frames = frames;
            config.overridden.insert("render.frames", "--render-frames");
        }
        if !self.tokenizers.is_empty() {
            // Paths on the command line are relative to where it runs, not to the config.
            let cwd = std::env::current_dir().unwrap_or_default();
            config.tokens.tokenizer = self
                .tokenizers
                .iter()
                .map(|value| {
                    let spec = TokenizerSpec::parse(value);
                    let path = cwd.join(&spec.path).to_string_lossy().into_owned();
                    match spec.name {
                        Some(name) => format!("{name}={path}"),
                        None => path,
                    }
                })
                .collect();
            config.overridden.insert("tokens.tokenizer", "--tokenizer");
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
        // `-c DIR` means the project in DIR.
        let joined;
        let path = if path.is_dir() {
            joined = path.join("template-sft.toml");
            joined.as_path()
        } else {
            path
        };
        // A catalog or a scene given as the config would only give a TOML syntax error.
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let looks_like = match extension.to_ascii_lowercase().as_str() {
            "json" | "jsonl" => Some("a catalog or a prompt file (JSON)"),
            "ts" | "js" | "mjs" => Some("a catalog or a module (TypeScript or JavaScript)"),
            "tsx" | "jsx" => Some("a scene (TSX)"),
            _ => None,
        };
        if let Some(looks_like) = looks_like {
            return Err(wording::not_a_config(path, looks_like));
        }
        let bytes = fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => wording::no_config(path),
            _ => Error::read(path, e),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            wording::config_not_utf8(Location::from_offset(path, &valid, offset))
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
            Error::config(at, plain_types(e.message().trim()))
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

    /// `tokens.tokenizer`, each path resolved against the config file's folder.
    pub fn tokenizer_specs(&self) -> Vec<TokenizerSpec> {
        self.tokens
            .tokenizer
            .iter()
            .map(|value| {
                let spec = TokenizerSpec::parse(value);
                TokenizerSpec {
                    path: self.resolve(&spec.path),
                    ..spec
                }
            })
            .collect()
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
        crate::location::display_path_under(path, &self.base_dir)
    }

    /// A location as dataset metadata and stats show it: the path as [`Config::display_path`]
    /// gives it, then `:line` and `:col` where known.
    pub fn display_location(&self, at: &Location) -> String {
        at.display_under(&self.base_dir)
    }

    /// The effective source-type filter (PostgreSQL holds only `db` templates' code).
    pub fn source_filter(&self) -> SourceFilter {
        self.catalog.source_type.unwrap_or(match self.code.source {
            CodeStoreKind::Postgres => SourceFilter::Db,
            CodeStoreKind::Directory => SourceFilter::Any,
        })
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
    fn render_settings_are_checked() {
        let err = parse(&format!("{MINIMAL}[render]\nconcurrency = 0\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "p/template-sft.toml:6:1: render.concurrency must be between 1 and 64, got 0"
        );
        let err = parse(&format!("{MINIMAL}[render]\ndelay_timeout_seconds = 3\n")).unwrap_err();
        assert!(err.to_string().contains("between 7"), "{err}");
        let ok = parse(&format!(
            "{MINIMAL}[check]\nrender = true\n[render]\nframes = \"all\"\n"
        ))
        .unwrap();
        assert!(ok.gate.render);
        assert_eq!(ok.render.frames, crate::render::Frames::All);
        // --render and --render-frames take the place of the file's.
        let mut c = parse(MINIMAL).unwrap();
        Overrides {
            render: true,
            render_frames: Some(crate::render::Frames::All),
            ..Overrides::default()
        }
        .apply(&mut c);
        assert!(c.gate.render);
        assert_eq!(c.render.frames, crate::render::Frames::All);
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
            "--tag \"../x\" may hold only letters, digits, '.', '_' and '-', must not start with '.', and is at most 100 characters"
        );
    }

    #[test]
    fn tags_that_could_escape_or_hide_are_refused() {
        assert!(check_tag("v1").is_ok());
        assert!(check_tag("release-2026.11").is_ok());
        for bad in [
            "",
            "a/b",
            "..",
            "../x",
            ".v1",
            "a\0b",
            "a\\b",
            "a\nb",
            "a\u{2028}b",
            "a\u{85}b",
            "lr 1e-4 #2",
            "exp: lora",
            "lr=1e-4,bs=8",
            "a\"b",
            "{{x}}",
        ] {
            let why = check_tag(bad).unwrap_err();
            assert!(
                bad.is_empty() || why.contains("may hold only letters, digits"),
                "{why}"
            );
        }
        assert_eq!(
            crate::config::sanitized_name("v1 base: x,y"),
            "v1_base__x_y"
        );
        assert_eq!(crate::config::sanitized_name(".hidden"), "_.hidden");
    }

    #[test]
    fn dotted_paths_are_validated() {
        use check::is_dotted_path;
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
