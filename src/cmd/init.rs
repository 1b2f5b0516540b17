//! `template-sft init [DIR]`: write a commented `template-sft.toml` with every option.
//!
//! Never overwrites: if the file exists, it is an error and nothing changes.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use crate::console::Console;
use crate::error::{wording, Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write template-sft.toml into (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// The config written by `init`: every option, its default, and what it does.
pub const TEMPLATE: &str = r#"# template-sft project config. Paths are relative to this file's folder.

[catalog]
# The template catalog: a canonical.ts-style TypeScript module, a JSON array or JSON lines.
path = "catalog.json"
# auto (by extension: .ts/.tsx, .jsonl, else JSON), json, jsonl or typescript.
format = "auto"
# TypeScript only: the name of the array that is the catalog. Default: every top-level const array
# of objects with a string `id`.
# export = "dbCanonicalTemplates"
# Keep only entries whose source.type is "db", "registry", or "any".
# Default: "db" when code comes from PostgreSQL, "any" otherwise.
# source_type = "any"

[code]
# Where production code lives: "directory" or "postgres".
source = "directory"
# Directory source: <dir>/<template-id>.<extension>.
dir = "templates"
extension = "tsx"
# <overrides_dir>/<template-id>.<extension> is used when the store has no code for a template.
# overrides_dir = "code-overrides"
# Code larger than this (bytes) is not read; the template is rejected (too_large).
max_bytes = 16777216
# Code with more syntax tokens than this (identifiers, literals, punctuation) is not parsed; the
# template is rejected (too_large). It bounds the work per template, which bytes alone do not.
max_syntax_tokens = 500000

[code.postgres]
# PostgreSQL source: the environment variable holding the connection string (libpq URL or
# key=value; sslmode=disable|prefer|require|verify-ca|verify-full, sslrootcert=/path/ca.pem).
url_env = "DATABASE_URL"
# The table holding production code; names are quoted identifiers, never SQL.
schema = "public"
table = "bazaar-vid_templates"
# Compared as text with each catalog entry's source.dbId.
id_column = "id"
code_column = "tsx_code"
connect_timeout_secs = 10
statement_timeout_secs = 120
# Ids per query (one round trip per batch).
batch_size = 5000

[prompts]
# Curated prompt files (JSONL, either shape). A missing file is an error.
curated = []
# Curated prompt files that may be missing.
curated_optional = []
# Manual additions ({"additionalPrompts": [...]}); a missing file means none.
# overrides = "overrides.json"
# The system message of every example.
system = "You are a Remotion code generator. Respond with valid TSX only. Start with imports/const declarations and never add prose."
# At most this many briefs per template from overrides and curated prompts.
variants_per_template = 6
# Generated brief files (`template-sft briefs ingest` writes them); their briefs have the prompt
# origin "generated". A missing file is an error.
generated = []
# At most this many generated briefs per template: a cap of their own, so that generated briefs
# never displace a curated one.
generated_per_template = 8

[video]
# Frames per second used to state durations in seconds.
fps = 30
# Which duration a brief states: "code" (what the template's code exports, read by running its
# top level in a sandbox; else the catalog's) or "catalog" (the catalog's; else the code's).
duration_source = "code"
# The export that states a scene's duration: this name or <name>_<suffix>; a prefix ends in *.
duration_export = "durationInFrames"
# Duration (frames) when neither the code nor the catalog states one; unset: such templates are
# skipped.
# default_duration = 150

[output]
# Version directories are created here: <root>/<tag>, then <tag>-1, <tag>-2, ...
root = "dataset"
tag = "v1"

[split]
seed = 42
train = 0.8
validation = 0.1
test = 0.1
# "template": all examples of a template, and of its near-copies, in one split (no code shared
# across splits). "example": each example placed on its own.
mode = "template"
# Templates whose code is at least this similar (word 5-gram Jaccard) are near-copies and share a
# split; 0 turns it off (identical code still shares one).
near_copy_threshold = 0.36

[check]
# The quality gate: each rule rejects a template's code and is listed in stats.json.
# Parse as TSX; a syntax error rejects.
parse = true
not_empty = true
# No Markdown code fences (```).
no_fences = true
# Code must start with import, export, const/let/var, function, class, a type, a comment or a directive.
no_leading_prose = true
# The code must export an entry point: "default", or the name of a named export.
entry_point = true
export = "default"
# Identifiers or dotted paths that must / must not occur (comments and strings do not count).
required = []
forbidden = []
# Render every template in each supported format with Remotion in headless Chromium (needs
# Node.js and Chromium: apt-get install nodejs npm chromium-headless-shell) and reject the scenes
# that throw, draw nothing or hang. Also `build --render`.
render = false

[render]
# How the render check runs (used when check.render is on).
# Scenes rendered at once (a browser tab each).
concurrency = 2
# How many frames of each scene to render, evenly spaced (5: 0, 1/4, 1/2, 3/4, last), or "all".
frames = 5
# Seconds a scene may go without rendering a frame before it is a hang (rendered again alone,
# then rejected); 1 to 900.
deadline_seconds = 30
# Remotion's delayRender timeout, in seconds (7 to 900).
delay_timeout_seconds = 10
# MiB each scene rendering at once may take (the renderer's processes together: 512 MiB plus this
# per scene in flight); past it the scenes are rendered again alone, and one still over is memory.
memory_mib = 2048
# Keep thumbnails of each scene's frames in the version (frames/, in its manifest); report --html
# shows them as a contact sheet. Every scene is then rendered (the cache holds verdicts only).
keep_frames = false
# The scale frames render at.
scale = 0.25
# The browser (default: TEMPLATE_SFT_CHROMIUM, then Debian's chromium-headless-shell or chromium).
# chromium = "/usr/bin/chromium-headless-shell"
# A render kit installed ahead with `template-sft render --prepare-kit DIR` (default: installed
# on first use under ~/.cache/template-sft/render-kit/).
# kit = "render-kit"
# npm packages at exact versions that scenes and the runtime import, e.g.
# ["@iconify/react@6.0.3", "@iconify-json/mdi@1.2.3"]; locked in render-packages.lock.json beside
# this file (keep it with the project).
packages = []
# A module run in the page before any scene, setting the globals your host app provides (icon
# components, font loaders, asset maps): README "Does it render?".
# runtime = "render-runtime.tsx"

[tokens]
# The model to fine-tune: picks the encoding (o200k_base or cl100k_base) and the per-example limit.
model = "gpt-4o-mini-2024-07-18"
# A per-example limit that overrides the model's.
# max_tokens = 32768
# Open-weight models: Hugging Face tokenizer.json files (the chat template is read from the
# tokenizer_config.json beside each). Stats, meta and report give every example's length as the
# model's chat template renders it, and the build warns where a trainer's default length would drop
# or cut examples. "path", "name=path", or a list of them.
# tokenizer = ["qwen3=tokenizers/qwen3/tokenizer.json"]
"#;

pub fn run(args: &Args, console: &Console) -> Result<()> {
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::write(&args.dir, e))?;
    let path = args.dir.join("template-sft.toml");
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                wording::already_exists(&path)
            } else {
                Error::write(&path, e)
            }
        })?;
    file.write_all(TEMPLATE.as_bytes())
        .map_err(|e| Error::write(&path, e))?;
    console.info(format!("wrote {}", path.display()));
    // What to do next, with the paths as this user named them.
    let config = path.display();
    let version = args.dir.join("dataset/v1");
    let version = version.display();
    console.info(format!(
        "next:\n  1. edit {config}: [catalog] path (your catalog: .ts, .json or .jsonl), [code] (a folder of scene files, or PostgreSQL), [prompts] (curated prompts, optional)\n  2. template-sft build -c {config} --dry-run     check every input, write nothing\n  3. template-sft build -c {config}               write the first version, {version}\n  4. template-sft validate {version} && template-sft report {version} --html report.html\n  5. template-sft export {version} --to llamafactory|axolotl|trl|hf OUT --base-model NAME"
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn the_written_config_parses() {
        let config = Config::parse(Path::new("template-sft.toml"), TEMPLATE).unwrap();
        assert_eq!(config.split.seed, 42);
        assert_eq!(config.prompts.variants_per_template, 6);
    }

    #[test]
    fn the_written_config_names_every_option() {
        // Serializing a config gives every key it has; each must be documented in TEMPLATE.
        let config = Config::parse(Path::new("t.toml"), TEMPLATE).unwrap();
        let value = serde_json::to_value(&config).unwrap();
        fn check(section: &str, table: &serde_json::Value) {
            assert!(
                TEMPLATE.contains(&format!("[{section}]")),
                "section {section} undocumented"
            );
            for (key, value) in table.as_object().unwrap() {
                if value.is_object() {
                    check(&format!("{section}.{key}"), value);
                    continue;
                }
                assert!(
                    TEMPLATE.contains(&format!("\n{key} ="))
                        || TEMPLATE.contains(&format!("# {key} =")),
                    "{section}.{key} undocumented"
                );
            }
        }
        for (section, table) in value.as_object().unwrap() {
            check(section, table);
        }
    }
}
