//! `stats.json`: what a build did, in numbers and lists.
//!
//! Takes the counts and lists gathered by the build stages; gives the typed summary, written by
//! `build` and read back (typed, never by string keys) by `report`, `export` and `diff`. It is the
//! only output file that holds the time of the build (`generatedAt`), so split files stay
//! byte-identical between runs. Fields added after the first release default when absent, so older
//! versions still read.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::code::gate::Rejection;
use crate::code::MissingCode;
use crate::config::{DurationSource, SplitMode};
use crate::dataset::example::Key;
use crate::prompts::brief::{GatedPrompt, PromptOrigin};
use crate::prompts::PromptStats;
use crate::split::Split;
use crate::tokens::lengths::TokenizerLengths;
use crate::tokens::{Budget, TokenStats, TrainedEstimate};
use crate::video::VideoFormat;

/// Examples (or templates) per split.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Totals {
    /// All splits together.
    pub all: usize,
    /// In train.
    pub train: usize,
    /// In validation.
    pub validation: usize,
    /// In test.
    pub test: usize,
}

impl Totals {
    /// The count of one split.
    pub fn of(&self, split: Split) -> usize {
        match split {
            Split::Train => self.train,
            Split::Validation => self.validation,
            Split::Test => self.test,
        }
    }

    /// Count one more in `split` (and in `all`).
    pub fn add(&mut self, split: Split) {
        self.all += 1;
        match split {
            Split::Train => self.train += 1,
            Split::Validation => self.validation += 1,
            Split::Test => self.test += 1,
        }
    }
}

/// A template whose code came from a code override.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeOverrideUse {
    /// The template.
    pub template_id: String,
    /// The code-override file used, relative to the config.
    pub path: String,
}

/// A template whose code the gate passed after normalizing it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NormalizedCode {
    /// The template.
    pub template_id: String,
    /// Its code's file, relative to the config (none for a database row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What was changed.
    #[serde(flatten)]
    pub normalized: crate::code::Normalized,
}

/// A template left out of the dataset, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedTemplate {
    /// The template.
    pub template_id: String,
    /// Why it was left out.
    pub reason: String,
}

/// How the briefs were made.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefStats {
    /// Briefs by where their wording came from: curated, override, synthesized.
    pub by_origin: BTreeMap<PromptOrigin, usize>,
    /// Briefs per requested format.
    pub by_format: BTreeMap<VideoFormat, usize>,
    /// Format mismatches: prompts dropped because they asked for a format the template does not
    /// support (the key keeps its first name).
    pub gated: usize,
    /// Each prompt dropped for its format, with where it was.
    pub gated_prompts: Vec<GatedPrompt>,
}

/// Which duration each template's briefs state, and where code and catalog disagree.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DurationStats {
    /// `video.duration_source`: `code` or `catalog`.
    pub source: DurationSource,
    /// `video.duration_export`: the export the code states its duration in.
    pub export: String,
    /// Templates whose briefs state the duration their code exports.
    pub from_code: usize,
    /// … the catalog's duration.
    pub from_catalog: usize,
    /// … `video.default_duration`.
    pub from_default: usize,
    /// Templates whose code exports no duration.
    pub without_export: usize,
    /// Templates whose duration export cannot be evaluated without running the code.
    pub not_determinable: Vec<UndeterminedDuration>,
    /// Templates whose code and catalog state different durations.
    pub mismatches: Vec<DurationMismatch>,
}

/// A template whose code's duration export cannot be evaluated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UndeterminedDuration {
    /// The template.
    pub template_id: String,
    /// The store key or code file, as in `sanitizerFailures`.
    pub source_key: String,
    /// Why it cannot be evaluated.
    pub reason: String,
    /// `line:col` inside the code of what stopped the evaluation.
    pub at: String,
    /// The code's file (relative to the config), when it came from one: a directory store or a
    /// code override. Absent for code from a database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// A template whose catalog duration differs from its code's.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DurationMismatch {
    /// The template.
    pub template_id: String,
    /// Its store key (template id or dbId) or code-override file.
    pub source_key: String,
    /// What the catalog says, in frames.
    pub catalog_frames: u32,
    /// What the code exports, in frames.
    pub code_frames: u32,
    /// `line:col` of the export inside the code.
    pub at: String,
    /// The code's file (relative to the config), when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Where a duration finding points: `file:line:col` for code from a file, else `key at line:col`.
pub fn code_place(file: Option<&str>, source_key: &str, at: &str) -> String {
    match file {
        Some(file) => format!("{file}:{at}"),
        None => format!("{source_key} at {at}"),
    }
}

/// Near-copy clusters of templates, kept in one split each.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NearCopyStats {
    /// `split.near_copy_threshold` (0: only identical code clusters).
    pub threshold: f64,
    /// Clusters of two or more templates, largest first.
    pub clusters: Vec<NearCopyCluster>,
    /// Templates in those clusters.
    pub templates_in_clusters: usize,
}

/// Templates whose code is near-identical, kept in one split.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NearCopyCluster {
    /// Template ids, the cluster's key (the smallest) first.
    pub templates: Vec<String>,
    /// The highest estimated similarity that joined two of its templates (1 for identical code).
    pub similarity: f64,
    /// The split the whole cluster is in.
    pub split: Split,
    /// Sent to train because it is larger than a held-out split's share.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub too_large: bool,
}

/// An example identical (same messages) to one written before it; written once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateExample {
    /// The dropped example's template.
    pub template_id: String,
    /// Its prompt variant.
    pub prompt_variant: String,
    /// Its format.
    pub format: VideoFormat,
    /// The example that was written.
    pub duplicate_of: Key,
}

/// A version's `stats.json`: what went in, what came out, what was dropped and why (README,
/// "Output").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Stats {
    /// When it was built (RFC 3339, UTC).
    pub generated_at: String,
    /// The template-sft version that built it.
    pub tool_version: String,
    /// The version's tag.
    pub tag: String,
    /// The split seed.
    pub seed: u64,
    /// Split by template (with near-copies) or by example.
    pub split_mode: SplitMode,
    /// Examples per split.
    pub totals: Totals,
    /// Templates in the catalog after the source filter (and `--limit`).
    pub templates_processed: usize,
    /// Catalog entries of a `source.type` this build does not take.
    pub templates_excluded_by_source: usize,
    /// Templates with at least one example.
    pub unique_templates_covered: usize,
    /// Templates per split.
    pub templates_per_split: Totals,
    /// Templates without code in the store or a code override.
    pub missing_templates: Vec<MissingCode>,
    /// Templates the quality gate (or the render check) rejected.
    pub sanitizer_failures: Vec<Rejection>,
    /// Templates whose code came from a code override.
    pub code_overrides_used: Vec<CodeOverrideUse>,
    /// Templates whose code was passed after a byte-order mark was removed or CRLF line endings
    /// written as LF.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub normalized_code: Vec<NormalizedCode>,
    /// Templates skipped for want of a duration.
    pub skipped_templates: Vec<SkippedTemplate>,
    /// Templates with no usable curated or override prompt, whose briefs were synthesized.
    pub synthesized_templates: Vec<String>,
    /// The curated prompt files and prompt additions read.
    pub prompts: PromptStats,
    /// How the briefs were made.
    pub briefs: BriefStats,
    /// Where durations came from; mismatches with the catalog.
    #[serde(default)]
    pub durations: DurationStats,
    /// Near-copy clusters.
    #[serde(default)]
    pub near_copies: NearCopyStats,
    /// Examples identical to an earlier one; written once.
    #[serde(default)]
    pub duplicate_examples: Vec<DuplicateExample>,
    /// Token counts and the budget.
    pub tokens: TokenReport,
    /// Examples dropped because they exceed the model's per-example limit.
    pub over_limit_examples: Vec<OverLimit>,
    /// The render check (`check.render`), when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<RenderStats>,
}

impl Stats {
    /// The names a reader writes into files someone runs (trainer configs, dataset names): the tag
    /// and every tokenizer name, with what each is. A version received from elsewhere may carry
    /// anything there, so readers check them against the rule `build` enforces.
    pub fn written_names(&self) -> impl Iterator<Item = (&'static str, &str)> {
        std::iter::once(("tag", self.tag.as_str())).chain(
            self.tokens
                .tokenizers
                .iter()
                .map(|t| ("tokenizer name", t.name.as_str())),
        )
    }
}

/// What the render check did: scenes, renders (scene × format), time, verdicts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RenderStats {
    /// Templates rendered (their code passed the gate and has a duration).
    pub scenes: usize,
    /// Renders: one per template and supported format.
    pub renders: usize,
    /// Renders whose verdict the render cache held (unchanged code, kit and settings).
    pub cached: usize,
    /// Wall-clock seconds the renders of this build took.
    pub seconds: f64,
    /// Renders per verdict (`ok`, `compile`, `module`, `runtime`, `timeout`, `hang`, `blank`).
    pub verdicts: std::collections::BTreeMap<crate::render::Verdict, usize>,
    /// Remote image URLs replaced by a placeholder (the render is offline).
    pub replaced_urls: usize,
    /// Templates rejected for not rendering cleanly in any of their formats (also in
    /// `sanitizerFailures`, rule `render`).
    pub rejected: usize,
    /// Formats a template lost because it did not render cleanly in them, while it did in others
    /// (its briefs went to the formats that render; each one warned at build).
    #[serde(default)]
    pub formats_dropped: usize,
    /// The frames rendered of each scene: a count, evenly spaced, or `all`.
    pub frames: String,
    /// The render kit's hash (Remotion and React versions are pinned by it).
    pub kit: String,
    /// How the renderer was cut off from the network: `namespace` (its own network namespace,
    /// only loopback) or `csp_only` (no namespace could be made; the page's CSP and the driver's
    /// own sealing).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub isolation: String,
}

/// Token counts per split, the budget they were counted for, and model-tokenizer lengths.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenReport {
    /// The model, its encoding and its per-example limit.
    #[serde(flatten)]
    pub budget: Budget,
    /// All splits together.
    pub overall: TokenStats,
    /// Train.
    pub train: TokenStats,
    /// Validation.
    pub validation: TokenStats,
    /// Test.
    pub test: TokenStats,
    /// What fine-tuning on the train split bills with the default epoch count.
    pub trained_estimate: TrainedEstimate,
    /// Lengths under each model tokenizer (`tokens.tokenizer`): rendered chat templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokenizers: Vec<TokenizerLengths>,
}

impl TokenReport {
    /// The token statistics of one split.
    pub fn of(&self, split: Split) -> &TokenStats {
        match split {
            Split::Train => &self.train,
            Split::Validation => &self.validation,
            Split::Test => &self.test,
        }
    }

    /// The model tokenizers' names, in the order of each example's `modelTokens`.
    pub fn tokenizer_names(&self) -> Vec<String> {
        self.tokenizers.iter().map(|t| t.name.clone()).collect()
    }
}

/// An example dropped for being over the token limit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverLimit {
    /// Its template.
    pub template_id: String,
    /// Its prompt variant.
    pub prompt_variant: String,
    /// Its format.
    pub format: VideoFormat,
    /// Its billed tokens.
    pub tokens: usize,
    /// The limit it is over.
    pub limit: usize,
}

/// The current time as RFC 3339 UTC, e.g. `2026-11-25T23:17:33Z`.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Seconds since the Unix epoch → RFC 3339 UTC (Howard Hinnant's civil-from-days).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn epoch_seconds_format_as_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_648_653), "2026-11-25T23:17:33Z");
    }
}
