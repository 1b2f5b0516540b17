//! What each warning says: the one place a warning's sentence is built.
//!
//! Takes the facts a stage noticed (ids, counts, places, and the reason fragments the stats keep
//! too); gives the [`Diagnostic`], its kind, place and wording. Every warning a build, an export or
//! an eval gives is made here, so the wording stays one voice: what happened, then what was done
//! about it (skipped, written once, used instead), then how to change it where there is a way. The
//! pinned bad-input corpus (`tests/bad_corpus.rs`) guards the texts.

use std::fmt::Display;
use std::path::Path;

use super::{Diagnostic, Kind};
use crate::error::count;
use crate::location::Location;

fn warning(kind: Kind, at: Option<Location>, message: String) -> Diagnostic {
    Diagnostic::new(kind, at, message)
}

// The catalog and the prompts.

/// A TypeScript catalog value that is not literal data; `what` says which and what was skipped.
pub fn catalog_not_data(at: Location, what: &str) -> Diagnostic {
    warning(Kind::CatalogNotData, Some(at), what.to_string())
}

pub fn malformed_prompt(at: Location, why: impl Display) -> Diagnostic {
    warning(Kind::MalformedPrompt, Some(at), format!("skipped: {why}"))
}

pub fn prompt_file_missing(path: &Path) -> Diagnostic {
    warning(
        Kind::MissingInput,
        Some(Location::file(path)),
        "optional curated prompt file not found; no prompts read from it".to_string(),
    )
}

/// `prompts` curated prompts at `at` (the first) for `target`, which is not in the build.
pub fn unmatched_prompts(at: Location, prompts: usize, target: &str, reason: &str) -> Diagnostic {
    warning(
        Kind::UnmatchedPrompt,
        Some(at),
        format!(
            "{} for template {target:?} not used: {reason}",
            count(prompts, "curated prompt")
        ),
    )
}

/// A prompt that repeats an earlier one for the same template (case, spacing and final
/// punctuation aside): used once.
pub fn duplicate_prompt(at: Location, id: &str, first: &str) -> Diagnostic {
    warning(
        Kind::DuplicatePrompt,
        Some(at),
        format!("prompt for template {id:?} repeats the one at {first}; used once"),
    )
}

/// A prompt whose format hint names a format its template does not support: not used.
pub fn gated_prompt(at: Location, id: &str, format: crate::video::VideoFormat) -> Diagnostic {
    warning(
        Kind::GatedPrompt,
        Some(at),
        format!("prompt for template {id:?} asks for {format}, which the template does not render; not used"),
    )
}

/// `near_miss` is a " (did you mean …?)" suffix, or empty.
pub fn additions_file_missing(path: &Path, near_miss: &str) -> Diagnostic {
    warning(
        Kind::MissingInput,
        Some(Location::file(path)),
        format!(
            "prompts.overrides names a file that does not exist; no prompt additions read{near_miss}"
        ),
    )
}

pub fn unknown_prompt_addition(at: Location, id: &str) -> Diagnostic {
    warning(
        Kind::UnknownPromptAddition,
        Some(at),
        format!("prompt addition for unknown template {id:?} (not in this build's catalog)"),
    )
}

pub fn unknown_key(path: &Path, key: &str, expected: &str) -> Diagnostic {
    warning(
        Kind::UnknownKey,
        Some(Location::file(path)),
        format!("unknown key {key:?} ignored (expected {expected:?})"),
    )
}

// The code.

/// `near_miss` is a " (did you mean …?)" suffix, or empty.
pub fn overrides_dir_not_a_folder(dir: &Path, near_miss: &str) -> Diagnostic {
    warning(
        Kind::MissingInput,
        Some(Location::file(dir)),
        format!("code.overrides_dir is not a folder; no code overrides are used{near_miss}"),
    )
}

/// `looked` says where the store looked; `override_file` the code override tried, if any.
pub fn missing_code(
    at: Location,
    id: &str,
    looked: &str,
    override_file: Option<&Path>,
) -> Diagnostic {
    let overrides = match override_file {
        Some(file) => format!(", and no code override {}", file.display()),
        None => String::new(),
    };
    warning(
        Kind::MissingCode,
        Some(at),
        format!("template {id:?} has no code ({looked}{overrides}); skipped"),
    )
}

/// A template id that cannot name a file, so its code is not looked up in `dir`.
pub fn not_a_file_name(id: &str, dir: &Path) -> Diagnostic {
    warning(
        Kind::MissingCode,
        None,
        format!(
            "template id {id:?} cannot be a file name; its code is not looked up in {}",
            dir.display()
        ),
    )
}

/// The store holds `rows` rows for one id; `store` describes it, `column` is the id column.
#[cfg(feature = "postgres")]
pub fn duplicate_store_rows(
    store: impl Display,
    rows: usize,
    column: impl Display,
    id: &str,
) -> Diagnostic {
    warning(
        Kind::DuplicateStoreRow,
        None,
        format!(
            "{store} has {rows} rows with {column} = {id:?}; using the one whose code has the smallest SHA-256"
        ),
    )
}

/// The gate passed a template's code after removing a byte-order mark or writing CRLF as LF.
pub fn code_normalized(at: Option<Location>, id: &str, bom: bool, crlf_lines: usize) -> Diagnostic {
    let mut what = Vec::new();
    if bom {
        what.push("a UTF-8 byte-order mark at its start was removed".to_string());
    }
    if crlf_lines > 0 {
        what.push(format!(
            "{crlf_lines} Windows line endings (CRLF) were written as LF"
        ));
    }
    warning(
        Kind::NormalizedCode,
        at,
        format!(
            "template {id:?}: {} (its examples hold the code as an editor shows it)",
            what.join("; ")
        ),
    )
}

/// The gate (or the render check, `rule` "render") rejected a template's code.
pub fn rejected(at: Option<Location>, id: &str, rule: impl Display, why: &str) -> Diagnostic {
    warning(
        Kind::GateRejection,
        at,
        format!("template {id:?} rejected ({rule}): {why}"),
    )
}

/// A template that did not render in one of its formats (`why`, the render's description) and did
/// in the others: it keeps those, and loses this one's examples.
pub fn format_not_rendered(at: Option<Location>, id: &str, why: &str) -> Diagnostic {
    warning(
        Kind::GateRejection,
        at,
        format!("template {id:?} loses a format (render): {why}; its briefs go to the formats that render"),
    )
}

/// `eval --render` without the project's config, on a version built with a render runtime or
/// packages: scenes that read the host's globals will not render.
pub fn render_without_runtime(runtime: Option<&str>, packages: usize) -> Diagnostic {
    let what = match (runtime, packages) {
        (Some(r), 0) => format!("[render] runtime {r:?}"),
        (Some(r), n) => format!("[render] runtime {r:?} and {}", count(n, "package")),
        (None, n) => count(n, "[render] package"),
    };
    warning(
        Kind::Note,
        None,
        format!("the version was built with {what}, which this render does not have: scenes that read the host app's globals will fail; pass the project's config (eval --render -c CONFIG)"),
    )
}

/// A build without `check.render` on a machine that could render: said once.
pub fn not_rendered() -> Diagnostic {
    warning(
        Kind::Note,
        None,
        "scenes were not rendered: this machine has the render kit's programs (Node.js, Chromium); `build --render` (or check.render = true) rejects the scenes that do not render".to_string(),
    )
}

/// The renderer runs without a network namespace of its own (no `unshare`, user namespaces
/// disabled, or `TEMPLATE_SFT_NO_NAMESPACE`): said, since the sealing is then the driver's alone.
pub fn renderer_without_namespace() -> Diagnostic {
    warning(
        Kind::Note,
        None,
        "the renderer runs without a network namespace of its own (no unshare, user namespaces disabled, or TEMPLATE_SFT_NO_NAMESPACE set): scene code is sealed by the page's CSP and the driver's proxy, which passes only its own servers (stats.render.isolation = csp_only)".to_string(),
    )
}

/// A cache that could not be saved: nothing lost, `then` says what the next build does instead.
pub fn cache_not_saved(what: impl Display, then: &str, why: impl Display) -> Diagnostic {
    warning(
        Kind::Note,
        None,
        format!("could not save {what} ({then}): {why}"),
    )
}

// Durations.

/// `code` and `catalog` are described durations ("7 seconds (210 frames)"); `briefs` says which
/// one the briefs state.
pub fn duration_mismatch(
    at: Location,
    id: &str,
    code: &str,
    catalog: &str,
    briefs: &str,
) -> Diagnostic {
    warning(
        Kind::DurationMismatch,
        Some(at),
        format!(
            "template {id:?}: the code exports {code} but the catalog says {catalog}; {briefs}"
        ),
    )
}

/// `instead` says what the briefs state instead.
pub fn duration_not_determinable(
    at: Location,
    id: &str,
    reason: &str,
    instead: &str,
) -> Diagnostic {
    warning(
        Kind::DurationNotDeterminable,
        Some(at),
        format!("template {id:?}: the code's duration is not determinable ({reason}); {instead}"),
    )
}

pub fn no_duration(at: Location, id: &str, reason: &str) -> Diagnostic {
    warning(
        Kind::NoDuration,
        Some(at),
        format!("template {id:?} skipped: {reason}"),
    )
}

// Examples and the split.

/// `example` is its template / variant / format.
pub fn over_limit(example: impl Display, tokens: usize, model: &str, limit: usize) -> Diagnostic {
    warning(
        Kind::OverLimit,
        None,
        format!(
            "example {example} has {tokens} tokens, over the {model} limit of {limit}; dropped"
        ),
    )
}

pub fn duplicate_example(example: impl Display, original: impl Display) -> Diagnostic {
    warning(
        Kind::DuplicateExample,
        None,
        format!(
            "example {example} is identical to {original} (same brief, same code); written once"
        ),
    )
}

pub fn cluster_too_large(key: &str, templates: usize, examples: usize) -> Diagnostic {
    warning(
        Kind::ClusterTooLarge,
        None,
        format!(
            "near-copy cluster {key:?} ({templates} templates, {examples} examples) is larger than a held-out split's share; it is in train"
        ),
    )
}

/// `shares` is each split's count and share; `ratios` the configured train / validation / test;
/// `fix` what to change.
pub fn split_skewed(shares: &[String], ratios: [f64; 3], fix: &str) -> Diagnostic {
    let [train, validation, test] = ratios;
    warning(
        Kind::SplitSkew,
        None,
        format!(
            "the split came out {} for ratios {train} / {validation} / {test}: {fix}",
            shares.join(", ")
        ),
    )
}

pub fn train_below_minimum(train: usize, minimum: usize) -> Diagnostic {
    warning(
        Kind::SplitSkew,
        None,
        format!(
            "train has {}; OpenAI fine-tuning needs at least {minimum} (and validate will say so): add templates or prompt variants (prompts.variants_per_template), or raise split.train",
            count(train, "example")
        ),
    )
}

// Lengths and exports.

/// A trainer's default sequence length is shorter than some examples (`what` says which trainer,
/// how many and what it does to them: the same sentence `validate` reports).
pub fn sequence_length(what: String) -> Diagnostic {
    warning(Kind::SequenceLength, None, what)
}

/// A held-out split's lengths differ strongly from train's (`what` says how).
pub fn length_skew(what: String) -> Diagnostic {
    warning(Kind::LengthSkew, None, what)
}

pub fn estimated_length(
    config_file: &str,
    setting: &str,
    length: usize,
    counted_with: &str,
) -> Diagnostic {
    warning(
        Kind::EstimatedLength,
        None,
        format!(
            "no model tokenizer counted this dataset: {config_file} sets {setting} {length} from {counted_with} counts plus 25%; pass --tokenizer PATH (the model's tokenizer.json) for exact lengths"
        ),
    )
}

pub fn no_base_model(config_file: &str) -> Diagnostic {
    warning(
        Kind::NoBaseModel,
        None,
        format!("no --base-model: set the model in {config_file} before training"),
    )
}

/// `asked` exists, so the output (`what`, e.g. "the export") went to `written`.
pub fn name_taken(asked: &Path, written: &Path) -> Diagnostic {
    warning(
        Kind::NameTaken,
        None,
        format!(
            "{} exists; wrote {} instead (nothing is ever overwritten)",
            asked.display(),
            written.display()
        ),
    )
}

// Eval.

/// Line `line` of a predictions (or baseline, `what`) file could not be used.
pub fn bad_prediction_line(file: &str, line: usize, what: &str, why: &str) -> Diagnostic {
    warning(
        Kind::BadPredictionLine,
        Some(Location::line(file, line)),
        format!("{what} line not used: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_reads_as_what_then_what_was_done() {
        let d = missing_code(
            Location::line("catalog.json", 3),
            "orbit",
            "no file templates/orbit.tsx",
            Some(Path::new("overrides/orbit.tsx")),
        );
        assert_eq!(
            d.to_string(),
            "catalog.json:3: template \"orbit\" has no code (no file templates/orbit.tsx, and no code override overrides/orbit.tsx); skipped"
        );
        assert_eq!(d.kind, Kind::MissingCode);
        assert_eq!(
            unmatched_prompts(Location::line("p.jsonl", 1), 1, "x", "not in the catalog").message,
            "1 curated prompt for template \"x\" not used: not in the catalog"
        );
    }
}
