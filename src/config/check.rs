//! Judging a parsed config: every value possible, every name usable.
//!
//! Takes a [`Config`] after the file was parsed and command-line [`super::Overrides`] applied; gives
//! the first impossible value as an error at its key's line in the file, or naming the flag that set
//! it. Also the two checks other parts share: [`check_tag`] and [`is_dotted_path`].

use std::path::Path;

use super::{CodeStoreKind, Config};
use crate::error::{Error, Result};
use crate::location::Location;

impl Config {
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

    /// Judge every value (after [`super::Overrides`]), section by section; the first impossible one
    /// is an error.
    pub fn check(&self) -> Result<()> {
        self.check_split()?;
        self.check_video()?;
        self.check_prompts_and_output()?;
        self.check_code()?;
        self.check_render()?;
        self.check_tokens()?;
        self.check_gate()?;
        if self.code.source == CodeStoreKind::Directory && self.code.dir.is_none() {
            return Err(self.wrong(
                "code",
                "source",
                "code.dir is required when code.source = \"directory\"",
            ));
        }
        Ok(())
    }

    /// `[split]`: ratios between 0 and 1 that add up to 1, a train share, the near-copy threshold.
    fn check_split(&self) -> Result<()> {
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
        Ok(())
    }

    /// `[video]`: the frame rate, the default duration, the duration export's name.
    fn check_video(&self) -> Result<()> {
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
        Ok(())
    }

    /// `[prompts]` and `[output]`: variants, the system prompt, the tag.
    fn check_prompts_and_output(&self) -> Result<()> {
        if self.prompts.variants_per_template == 0 {
            return Err(self.wrong(
                "prompts",
                "variants_per_template",
                "prompts.variants_per_template must be at least 1",
            ));
        }
        if self.prompts.generated_per_template == 0 && !self.prompts.generated.is_empty() {
            return Err(self.wrong(
                "prompts",
                "generated_per_template",
                "prompts.generated_per_template must be at least 1 when prompts.generated lists files (remove the files to use none)",
            ));
        }
        if self.prompts.system.trim().is_empty() {
            return Err(self.wrong("prompts", "system", "prompts.system must not be empty"));
        }
        if let Err(why) = check_tag(&self.output.tag) {
            return Err(self.wrong("output", "tag", format!("output.tag {why}")));
        }
        Ok(())
    }

    /// `[code]`: the extension, the bounds on code, the PostgreSQL settings.
    fn check_code(&self) -> Result<()> {
        let ext = &self.code.extension;
        if ext.is_empty() || ext.contains(['/', '\\', '\0']) || ext.starts_with('.') {
            return Err(self.wrong(
                "code",
                "extension",
                format!("code.extension must be a bare extension like \"tsx\", got {ext:?}"),
            ));
        }
        if self.code.max_syntax_tokens == 0 {
            return Err(self.wrong(
                "code",
                "max_syntax_tokens",
                "code.max_syntax_tokens must be at least 1",
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
        Ok(())
    }

    /// `[render]`: concurrency, scale, deadlines, memory, packages and runtime.
    fn check_render(&self) -> Result<()> {
        let render = &self.render;
        if render.concurrency == 0 || render.concurrency > 64 {
            return Err(self.wrong(
                "render",
                "concurrency",
                format!(
                    "render.concurrency must be between 1 and 64, got {}",
                    render.concurrency
                ),
            ));
        }
        if !(render.scale > 0.0 && render.scale <= 4.0) {
            return Err(self.wrong(
                "render",
                "scale",
                format!(
                    "render.scale must be above 0 and at most 4, got {}",
                    render.scale
                ),
            ));
        }
        let cap = crate::render::JOB_CAP.as_secs();
        if render.deadline_seconds == 0 || render.deadline_seconds > cap {
            return Err(self.wrong(
                "render",
                "deadline_seconds",
                format!(
                    "render.deadline_seconds must be between 1 and {cap} (the most one scene may take), got {}",
                    render.deadline_seconds
                ),
            ));
        }
        if render.delay_timeout_seconds < 7 || render.delay_timeout_seconds > cap {
            return Err(self.wrong(
                "render",
                "delay_timeout_seconds",
                format!(
                    "render.delay_timeout_seconds must be between 7 (Remotion's minimum) and {cap}, got {}",
                    render.delay_timeout_seconds
                ),
            ));
        }
        if !(64..=1 << 20).contains(&render.memory_mib) {
            return Err(self.wrong(
                "render",
                "memory_mib",
                format!(
                    "render.memory_mib must be between 64 and 1048576, got {}",
                    render.memory_mib
                ),
            ));
        }
        let mut packages = Vec::new();
        for spec in &render.packages {
            match crate::render::packages::Package::parse(spec) {
                Ok(p) => packages.push(p),
                Err(why) => {
                    return Err(self.wrong("render", "packages", format!("render.packages: {why}")))
                }
            }
        }
        if let Some(why) =
            crate::render::packages::conflict(&packages, crate::render::kit::MANIFEST)
        {
            return Err(self.wrong("render", "packages", format!("render.packages: {why}")));
        }
        if let Some(runtime) = &render.runtime {
            let ok = std::path::Path::new(runtime)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "js" | "mjs" | "jsx" | "ts" | "tsx"));
            if !ok {
                return Err(self.wrong(
                    "render",
                    "runtime",
                    format!("render.runtime must be a .js, .mjs, .jsx, .ts or .tsx module, got {runtime:?}"),
                ));
            }
        }
        Ok(())
    }

    /// `[tokens]`: the model and the model tokenizers.
    fn check_tokens(&self) -> Result<()> {
        if let Err(why) = crate::tokens::Budget::new(&self.tokens.model, self.tokens.max_tokens) {
            return Err(self.wrong("tokens", "model", why));
        }
        let specs = self.tokenizer_specs();
        if let Some(why) = crate::tokens::chat_template::duplicate_name(&specs) {
            return Err(self.wrong("tokens", "tokenizer", format!("tokens.tokenizer {why}")));
        }
        // Built without model tokenizers: say so before anything about the file.
        #[cfg(not(feature = "model-tokenizers"))]
        if let Some(Err(e)) = specs
            .first()
            .map(crate::tokens::chat_template::ChatTokenizer::load)
        {
            return Err(e);
        }
        for spec in specs {
            let file = spec.file();
            if !file.is_file() {
                return Err(self.wrong(
                    "tokens",
                    "tokenizer",
                    format!(
                        "tokens.tokenizer names {}, which is not a file; expected a Hugging Face tokenizer.json (or the folder holding it), with its tokenizer_config.json beside it",
                        file.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `[check]`: the required and forbidden names.
    fn check_gate(&self) -> Result<()> {
        for (key, list) in [
            ("required", &self.gate.required),
            ("forbidden", &self.gate.forbidden),
        ] {
            if let Some(bad) = list.iter().find(|p| !is_dotted_path(p)) {
                return Err(self.wrong("check", key, format!("check.{key}: {bad:?} is not an identifier or a dotted path like window.Remotion"),
                ));
            }
        }
        Ok(())
    }
}

/// Why a tag cannot name a directory, if it cannot: a version's name must stay inside the output
/// root and never hide (`/`, `\\`, NUL, a leading `.`, control characters).
pub fn check_tag(tag: &str) -> std::result::Result<(), String> {
    crate::text::check_name(tag)
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
