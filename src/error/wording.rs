//! What each error says: the one place an error's sentence is built.
//!
//! Takes the facts of a failure (the place, the value, the reason a parser gave); gives the
//! [`Error`] of the right kind (input, config, usage, render), worded in one voice: what is wrong,
//! where, and what to do where there is something to do. A config value's own checks are worded
//! where they are judged (`config/check.rs`, one place for every config key); reasons that come
//! from a parser (serde_json, the TypeScript parser and the catalog's literal evaluator, minijinja)
//! are passed through, located. The pinned bad-input corpus (`tests/bad_corpus.rs`) guards the
//! texts.

use std::fmt::Display;
use std::path::Path;

use super::{count, Error};
use crate::location::Location;

/// How to get a part this build was compiled without (the `feature` Cargo feature). Only a build
/// without one of the optional features says it.
#[cfg_attr(
    all(feature = "postgres", feature = "model-tokenizers"),
    allow(dead_code)
)]
fn without_feature(what: impl Display, feature: &str) -> Error {
    Error::Usage(format!(
        "{what} the `{feature}` feature, which this template-sft was built without: install it with its default features (cargo install --locked --path .)"
    ))
}

// Files and text.

pub fn too_large(path: &Path, size: u64, limit: u64) -> Error {
    Error::input(
        Location::file(path),
        format!("{size} bytes, over the limit of {limit} bytes for this kind of file; not read"),
    )
}

pub fn not_utf8(at: Location) -> Error {
    Error::input(at, "not valid UTF-8 text")
}

pub fn line_too_long(at: Location, len: u64, limit: usize) -> Error {
    Error::input(
        at,
        format!("a line of {len} bytes, longer than {limit}; not read"),
    )
}

/// Every numbered variant of `path` (`name-1`, `name-2`, … up to `-tried`) exists.
pub fn no_free_name(path: &Path, tried: u32) -> Error {
    Error::Usage(format!(
        "{}: every numbered name up to -{tried} is taken",
        path.display()
    ))
}

/// `dir` holds something; `what` is not written into it.
pub fn not_empty(dir: &Path, what: &str) -> Error {
    Error::Usage(format!(
        "{} is not empty; not writing {what} into it",
        dir.display()
    ))
}

pub fn already_exists(path: &Path) -> Error {
    Error::Usage(format!(
        "{} already exists; not overwriting it",
        path.display()
    ))
}

/// `out` is inside `version`, a folder its manifest vouches for.
pub fn inside_a_version(out: &Path, version: &Path) -> Error {
    Error::Usage(format!(
        "{} is inside {}, which holds a manifest.json (a dataset version or an export); writing there would change what its manifest vouches for: write it elsewhere",
        out.display(),
        version.display()
    ))
}

// The config and the command line.

pub fn no_config(path: &Path) -> Error {
    Error::Usage(format!(
        "no project config at {}: run `template-sft init` to write one here, or point at yours with -c FILE (or -c DIR, for DIR/template-sft.toml)",
        std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
    ))
}

/// `-c` names a file that is not a project config (a catalog, a scene): what `-c` takes.
pub fn not_a_config(path: &Path, looks_like: &str) -> Error {
    Error::Usage(format!(
        "-c {}: this looks like {looks_like}, not a project config: -c takes the project's template-sft.toml (or its folder), which names the catalog in [catalog] path",
        path.display()
    ))
}

/// The config file's bytes are not text.
pub fn config_not_utf8(at: Location) -> Error {
    Error::config(at, "not valid UTF-8")
}

/// A value given on the command line as `flag` (or a name it names) is wrong: `why`.
pub fn bad_option(flag: &str, why: impl Display) -> Error {
    Error::Usage(format!("{flag}: {why}"))
}

/// A name (`what`: a tag, an output name) that cannot name a folder: `why` starts with "must".
pub fn bad_name(what: &str, why: impl Display) -> Error {
    Error::Usage(format!("{what} {why}"))
}

/// `command` was run without `what`.
pub fn missing_argument(command: &str, what: &str) -> Error {
    Error::Usage(format!("{command} needs {what}"))
}

/// An option's number is outside `range` (e.g. "between 0 and 2").
pub fn out_of_range(flag: &str, range: &str, got: impl Display) -> Error {
    Error::Usage(format!("{flag} must be {range}, got {got}"))
}

#[cfg(feature = "postgres")]
pub fn no_store_variable(variable: &str) -> Error {
    Error::Usage(format!(
        "environment variable {variable} is not set; code.source = \"postgres\" reads the connection string from it"
    ))
}

#[cfg(feature = "postgres")]
pub fn bad_connection_string(variable: &str, why: impl Display) -> Error {
    Error::Usage(format!("{variable}: invalid connection string: {why}"))
}

#[cfg_attr(feature = "postgres", allow(dead_code))]
pub fn postgres_not_built() -> Error {
    without_feature("code.source = \"postgres\" needs", "postgres")
}

#[cfg_attr(feature = "model-tokenizers", allow(dead_code))]
pub fn model_tokenizers_not_built(tokenizer: &str) -> Error {
    without_feature(
        format_args!("tokenizer {tokenizer}: model tokenizers need"),
        "model-tokenizers",
    )
}

// The catalog and the prompts.

pub fn nested_too_deep(at: Location, limit: usize) -> Error {
    Error::input(
        at,
        format!("nested more than {limit} levels deep; not parsed"),
    )
}

/// The TypeScript parser could not start, or panicked (`why`).
pub fn parser_failed(path: &Path, why: impl Display) -> Error {
    Error::input(
        Location::file(path),
        format!("the TypeScript parser failed on this file: {why}"),
    )
}

pub fn parser_not_started(path: &Path, why: impl Display) -> Error {
    Error::input(
        Location::file(path),
        format!("cannot start the parser: {why}"),
    )
}

pub fn typescript_syntax(at: Location, message: impl Display) -> Error {
    Error::input(at, format!("TypeScript syntax error: {message}"))
}

pub fn no_such_export(path: &Path, name: &str) -> Error {
    Error::input(
        Location::file(path),
        format!("catalog.export = {name:?}: no top-level const array of that name in this file"),
    )
}

pub fn no_catalog_array(path: &Path) -> Error {
    Error::input(
        Location::file(path),
        "no catalog array found: expected a top-level const array of object literals with a string id (or name one with catalog.export)",
    )
}

pub fn entry_not_an_object(at: Location, found: &str) -> Error {
    Error::input(
        at,
        format!("a catalog entry must be an object, found {found}"),
    )
}

/// No template left to build: `--limit 0` (`limited`), an empty catalog, or every entry of a
/// `source.type` this build does not take (`excluded` of them).
pub fn no_templates(catalog: &Path, limited: bool, excluded: usize) -> Error {
    let why = if limited {
        "--limit 0 leaves no template to build".to_string()
    } else if excluded == 0 {
        "the catalog has no entries".to_string()
    } else {
        format!(
            "no catalog entry has the source.type this build takes ({} excluded by catalog.source_type)",
            count(excluded, "entry")
        )
    };
    Error::input(Location::file(catalog), why)
}

pub fn empty_id(at: Location) -> Error {
    Error::input(at, "template id is empty")
}

/// A required catalog field (`name`, `primaryUse`) of template `id` is empty.
pub fn empty_field(at: Location, id: &str, field: &str) -> Error {
    Error::input(at, format!("template {id:?}: {field} is empty"))
}

pub fn no_formats(at: Location, id: &str) -> Error {
    Error::input(
        at,
        format!(
            "template {id:?}: supportedFormats is empty; list at least one of landscape, portrait, square"
        ),
    )
}

pub fn zero_duration(at: Location, id: &str) -> Error {
    Error::input(
        at,
        format!("template {id:?}: duration must be at least 1 frame"),
    )
}

pub fn additions_not_an_object(at: Location) -> Error {
    Error::input(at, "expected a JSON object with \"additionalPrompts\"")
}

pub fn additions_not_an_array(at: Location, why: impl Display) -> Error {
    Error::input(
        at,
        format!("\"additionalPrompts\" must be an array ({why})"),
    )
}

pub fn empty_addition_id(at: Location) -> Error {
    Error::input(at, "templateId is empty")
}

/// Nothing survived the stages; the counts say where the templates went.
pub fn no_examples(
    catalog: &Path,
    templates: usize,
    without_code: usize,
    rejected: usize,
    without_duration: usize,
    over_limit: usize,
) -> Error {
    Error::input(
        Location::file(catalog),
        format!(
            "no examples to write ({}: {without_code} without code, {rejected} rejected by the quality gate, {without_duration} without a duration; {} over the token limit); the warnings above say why",
            count(templates, "template"),
            count(over_limit, "example"),
        ),
    )
}

// Versions and exports read back.

pub fn not_a_version(dir: &Path) -> Error {
    Error::input(
        Location::file(dir),
        "not a dataset directory written by `template-sft build` (no stats.json)",
    )
}

/// A file that is not what it should be (`what`: "a template-sft stats.json", "a meta line", …).
pub fn not_a(at: Location, what: &str, why: impl Display) -> Error {
    Error::input(at, format!("not {what}: {why}"))
}

/// A name in a received version's stats (`what`) breaks the name rule (`why`).
pub fn received_bad_name(stats: &Path, what: &str, why: impl Display) -> Error {
    Error::input(
        Location::file(stats),
        format!("the {what} {why}; this version was not written by `template-sft build` as it is"),
    )
}

/// A file of a version differs from its manifest (`why`).
pub fn does_not_verify(file: &Path, why: impl Display) -> Error {
    Error::input(
        Location::file(file),
        format!("{why}; the manifest does not verify, so this version was changed or damaged after it was built"),
    )
}

pub fn bad_recorded_config(manifest: &Path, why: impl Display) -> Error {
    Error::input(
        Location::file(manifest),
        format!("the config recorded in the manifest: {why}"),
    )
}

pub fn unknown_export_target(manifest: &Path, target: impl Display) -> Error {
    Error::input(
        Location::file(manifest),
        format!("target {target} is not one of export's targets"),
    )
}

pub fn empty_split(dir: &Path, split: &str, with: &[&str]) -> Error {
    Error::Usage(format!(
        "{}: the {split} split has no examples; --split one of: {}",
        dir.display(),
        with.join(", ")
    ))
}

// Model tokenizers.

#[cfg(feature = "model-tokenizers")]
pub fn not_a_tokenizer(path: &Path, why: impl Display) -> Error {
    Error::input(
        Location::file(path),
        format!("not a Hugging Face tokenizer.json: {why}"),
    )
}

#[cfg(feature = "model-tokenizers")]
pub fn no_default_template(config: &Path) -> Error {
    Error::input(
        Location::file(config),
        "chat_template is a list without a template named \"default\"",
    )
}

#[cfg(feature = "model-tokenizers")]
pub fn no_chat_template(config: &Path) -> Error {
    Error::input(
        Location::file(config),
        "no chat template: expected a \"chat_template\" string in tokenizer_config.json or a chat_template.jinja beside the tokenizer",
    )
}

#[cfg(feature = "model-tokenizers")]
pub fn unsupported_template(path: &Path, why: impl Display) -> Error {
    Error::input(
        Location::file(path),
        format!("{why}; transformers' Jinja features beyond minijinja's are not supported"),
    )
}

/// Tokenizer `tokenizer`'s chat template refused example `example` (`why`).
pub fn cannot_render_example(
    template: &Path,
    tokenizer: &str,
    example: impl Display,
    why: impl Display,
) -> Error {
    Error::input(
        Location::file(template),
        format!("tokenizer {tokenizer}: cannot render example {example}: {why}"),
    )
}

// Eval.

pub fn max_tokens_zero() -> Error {
    Error::Usage("--max-tokens must be at least 1".into())
}

pub fn max_tokens_over_limit(requested: usize, model: &str, limit: usize) -> Error {
    Error::Usage(format!(
        "--max-tokens {requested} is over {model}'s output limit of {limit} tokens: the Batch API would reject every request; use at most {limit}"
    ))
}

// The render check.

pub fn no_cache_home() -> Error {
    Error::Render("no HOME to keep the render kit under; set TEMPLATE_SFT_CACHE".into())
}

pub fn example_twice(file: &Path, id: &str, first: usize, second: usize) -> Error {
    Error::input(
        crate::location::Location::line(file, second),
        format!(
            "example {id:?} again (first at line {first}): every example of a split has its own id (its custom_id in a Batch request)"
        ),
    )
}

pub fn kit_not_this_binarys(dir: &Path, file: &str) -> Error {
    Error::Render(format!(
        "{}: the render kit's {file} is not this template-sft's (another version, or changed since it was prepared); prepare it again with `template-sft render --prepare-kit {}`",
        dir.display(),
        dir.display()
    ))
}

pub fn kit_not_installed(dir: &Path) -> Error {
    Error::Render(format!(
        "{} is not an installed render kit (make one with `template-sft render --prepare-kit {}`)",
        dir.display(),
        dir.display()
    ))
}

/// A set-up step (`what`: "npm ci", …) or the renderer (`program`) could not be started.
pub fn cannot_start(what: impl Display, why: impl Display) -> Error {
    Error::Render(format!("{what}: cannot start: {why}"))
}

/// A set-up step failed; `output` is the end of what it printed.
pub fn step_failed(what: &str, status: impl Display, output: &str) -> Error {
    Error::Render(format!("{what} failed ({status}):\n{output}"))
}

/// The renderer exited before it said it was ready; `output` is the end of what it printed.
pub fn renderer_did_not_start(output: &str) -> Error {
    Error::Render(format!("the renderer did not start:\n{output}"))
}

/// The renderer broke its protocol (`what` happened).
pub fn renderer_broke(what: &str) -> Error {
    Error::Render(what.to_string())
}

/// A program rendering needs (`name`, from the Debian package `package`) is not on PATH.
pub fn not_installed(name: &str, package: &str) -> Error {
    Error::Render(format!(
        "{name} is not installed; rendering needs Node.js 18 or later and npm (Debian: apt-get install {package}{})",
        if package == "npm" { "" } else { " npm" }
    ))
}

pub fn no_such_browser(path: &Path) -> Error {
    Error::Render(format!(
        "{}: no such browser (--chromium or TEMPLATE_SFT_CHROMIUM)",
        path.display()
    ))
}

pub fn no_browser() -> Error {
    Error::Render(
        "no Chromium found; install Debian's headless shell (apt-get install chromium-headless-shell) or name one with --chromium PATH or TEMPLATE_SFT_CHROMIUM"
            .into(),
    )
}

/// `[render] runtime` is not a module the bundler takes.
pub fn runtime_not_a_module(path: &Path) -> Error {
    Error::config(
        Location::file(path),
        "[render] runtime must be a .js, .mjs, .jsx, .ts or .tsx module",
    )
}

/// `[render] packages` names something that cannot be added (`why`).
pub fn bad_render_packages(config: &Path, why: &str) -> Error {
    Error::config(Location::file(config), format!("[render] packages: {why}"))
}

/// `[render] packages` that npm could not resolve; `said` is the start of npm's error.
pub fn package_not_installed(config: &Path, packages: Vec<String>, said: &str) -> Error {
    Error::config(
        Location::file(config),
        format!(
            "[render] packages: {} does not install (is the name right, and is that version published?):\n{said}",
            packages.join(", ")
        ),
    )
}

/// A kit named with `--render-kit` lacks a package of `[render] packages`.
pub fn kit_lacks_package(kit: &Path, package: &str) -> Error {
    Error::Usage(format!(
        "{}: the render kit does not hold {package} ([render] packages); let template-sft install its own kit (leave out --render-kit) or prepare one with these packages",
        kit.display()
    ))
}

pub fn not_a_render_kit(dir: &Path) -> Error {
    Error::Usage(format!(
        "{} exists and is not a render kit: name a new folder",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_feature_sentences_say_how_to_get_it() {
        for e in [postgres_not_built(), model_tokenizers_not_built("qwen3")] {
            let text = e.to_string();
            assert!(
                text.contains("which this template-sft was built without: install it with its default features (cargo install --locked --path .)"),
                "{text}"
            );
            assert_eq!(e.exit_code(), super::super::exit::INPUT);
        }
    }

    #[test]
    fn input_errors_are_located() {
        let e = empty_field(Location::line("catalog.json", 4), "orbit", "primaryUse");
        assert_eq!(
            e.to_string(),
            "catalog.json:4: template \"orbit\": primaryUse is empty"
        );
        assert_eq!(
            no_free_name(Path::new("out/report.html"), 9).to_string(),
            "out/report.html: every numbered name up to -9 is taken"
        );
    }
}
