//! What a command noticed, as data: one [`Diagnostic`] type for every command.
//!
//! Takes nothing; gives [`Diagnostic`] (a [`Kind`], a [`Severity`], where, what), [`Diagnostics`],
//! the list each build stage adds to, and [`warning`], where every warning is worded. A build's,
//! an export's and an eval's diagnostics are warnings (what stops them is an [`crate::Error`]);
//! `validate`'s are its findings, of a [`Category`], each an error or a warning for the target.
//! Nothing here prints: the pipeline hands the list to its caller (and, as it goes, to an
//! [`crate::Observer`]), the CLI renders it as `warning: file:line:col: message` lines.

pub mod category;
pub mod warning;

use std::fmt;

use serde::Serialize;

pub use category::Category;

use crate::location::Location;

/// How much a diagnostic matters: an error fails `validate` (exit 1); a warning does not, unless
/// `--deny-warnings`. Everything a build, an export or an eval reports is a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; does not fail `validate` unless `--deny-warnings`.
    Warning,
    /// Fails `validate`.
    Error,
}

impl Severity {
    /// The stable name (as in JSON).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What kind of thing was noticed. Stable names (snake_case) for machines: serialized as
/// [`Kind::name`], a `validate` finding as its category's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A TypeScript catalog value that is not literal data; the field or entry was skipped.
    CatalogNotData,
    /// A curated prompt line that could not be used; skipped.
    MalformedPrompt,
    /// A curated prompt for a template that is not in this build.
    UnmatchedPrompt,
    /// A prompt that repeats an earlier one for its template; used once.
    DuplicatePrompt,
    /// A prompt whose format hint its template does not support; not used.
    GatedPrompt,
    /// A prompt addition (overrides.json) for a template that is not in this build.
    UnknownPromptAddition,
    /// A key nobody reads (e.g. in overrides.json).
    UnknownKey,
    /// An optional input that is not there (a prompt file, a code-override folder).
    MissingInput,
    /// A template without code in the store or the code-override folder; skipped.
    MissingCode,
    /// The store holds several rows for one id; one was picked, deterministically.
    DuplicateStoreRow,
    /// A template whose code the gate rejected; skipped.
    GateRejection,
    /// Code passed after a byte-order mark was removed or CRLF line endings written as LF.
    NormalizedCode,
    /// A template with no duration in its code, the catalog or `video.default_duration`; skipped.
    NoDuration,
    /// The catalog's duration differs from the one the template's code exports.
    DurationMismatch,
    /// The code exports a duration that its module's top level does not determine.
    DurationNotDeterminable,
    /// An example over the token limit; dropped.
    OverLimit,
    /// The same example (same messages) more than once; written once.
    DuplicateExample,
    /// A near-copy cluster too large for a held-out split; put in train.
    ClusterTooLarge,
    /// Examples longer than a trainer's default sequence length.
    SequenceLength,
    /// A held-out split whose lengths differ strongly from train's.
    LengthSkew,
    /// A trainer config's length estimated from OpenAI-encoding counts (no model tokenizer).
    EstimatedLength,
    /// A trainer config without the model to fine-tune (`--base-model`).
    NoBaseModel,
    /// A line of a predictions file that could not be used.
    BadPredictionLine,
    /// An output's name was taken: it was written under the next free one.
    NameTaken,
    /// The realized split is far from the ratios, or train is below the target's minimum.
    SplitSkew,
    /// Nothing lost, but worth knowing (e.g. the gate cache could not be saved).
    Note,
    /// A `validate` finding: a line, a file or a version that a fine-tuning target would refuse or
    /// that a team should know about (the README's category table).
    Finding(Category),
}

impl Kind {
    /// The stable name (as in JSON).
    pub fn name(self) -> &'static str {
        match self {
            Kind::CatalogNotData => "catalog_not_data",
            Kind::MalformedPrompt => "malformed_prompt",
            Kind::UnmatchedPrompt => "unmatched_prompt",
            Kind::DuplicatePrompt => "duplicate_prompt",
            Kind::GatedPrompt => "gated_prompt",
            Kind::UnknownPromptAddition => "unknown_prompt_addition",
            Kind::UnknownKey => "unknown_key",
            Kind::MissingInput => "missing_input",
            Kind::MissingCode => "missing_code",
            Kind::DuplicateStoreRow => "duplicate_store_row",
            Kind::GateRejection => "gate_rejection",
            Kind::NormalizedCode => "normalized_code",
            Kind::NoDuration => "no_duration",
            Kind::DurationMismatch => "duration_mismatch",
            Kind::DurationNotDeterminable => "duration_not_determinable",
            Kind::OverLimit => "over_limit",
            Kind::DuplicateExample => "duplicate_example",
            Kind::ClusterTooLarge => "cluster_too_large",
            Kind::SequenceLength => "sequence_length",
            Kind::LengthSkew => "length_skew",
            Kind::EstimatedLength => "estimated_length",
            Kind::NoBaseModel => "no_base_model",
            Kind::BadPredictionLine => "bad_prediction_line",
            Kind::NameTaken => "name_taken",
            Kind::SplitSkew => "split_skew",
            Kind::Note => "note",
            Kind::Finding(category) => category.name(),
        }
    }

    /// Where the whole list is kept when the terminal shows only the first few: the field of a
    /// build's `stats.json`, or of `eval --json`.
    pub fn listed_in(self) -> Option<&'static str> {
        Some(match self {
            Kind::MalformedPrompt => "stats.json: prompts.files",
            Kind::UnmatchedPrompt => "stats.json: prompts.unmatched",
            Kind::DuplicatePrompt => "stats.json: prompts.duplicatePrompts",
            Kind::GatedPrompt => "stats.json: briefs.gatedPrompts",
            Kind::UnknownPromptAddition => "stats.json: prompts.unknownOverrideTemplates",
            Kind::MissingCode => "stats.json: missingTemplates",
            Kind::GateRejection => "stats.json: sanitizerFailures",
            Kind::NormalizedCode => "stats.json: normalizedCode",
            Kind::NoDuration => "stats.json: skippedTemplates",
            Kind::DurationMismatch => "stats.json: durations.mismatches",
            Kind::DurationNotDeterminable => "stats.json: durations.notDeterminable",
            Kind::OverLimit => "stats.json: overLimitExamples",
            Kind::DuplicateExample => "stats.json: duplicateExamples",
            Kind::ClusterTooLarge => "stats.json: nearCopies.clusters",
            Kind::SequenceLength | Kind::LengthSkew => "stats.json: tokens.tokenizers",
            Kind::BadPredictionLine => "eval --json: predictions.leftovers.badLines",
            Kind::SplitSkew => "stats.json: totals",
            Kind::CatalogNotData
            | Kind::UnknownKey
            | Kind::MissingInput
            | Kind::DuplicateStoreRow
            | Kind::EstimatedLength
            | Kind::NoBaseModel
            | Kind::NameTaken
            | Kind::Note
            | Kind::Finding(_) => return None,
        })
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing noticed: its kind, how much it matters, where (when there is a where), and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// What kind of thing was noticed.
    pub kind: Kind,
    /// How much it matters.
    pub severity: Severity,
    /// Where: file, line and column where there are some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Location>,
    /// What, in a sentence.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The diagnostics of one run, in the order they were found.
#[derive(Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
    /// How many the caller has already been shown (see [`Diagnostics::unseen`]).
    seen: usize,
}

impl Diagnostic {
    /// A warning; worded in [`warning`], the one place warnings are made.
    pub(in crate::diagnostic) fn new(
        kind: Kind,
        at: Option<Location>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            kind,
            severity: Severity::Warning,
            at,
            message: message.into(),
        }
    }

    /// A `validate` finding of `category`, as serious as its target makes it.
    pub fn finding(
        category: Category,
        severity: Severity,
        at: Location,
        message: String,
    ) -> Diagnostic {
        Diagnostic {
            kind: Kind::Finding(category),
            severity,
            at: Some(at),
            message,
        }
    }

    /// The finding's category, if this is a `validate` finding.
    pub fn category(&self) -> Option<Category> {
        match self.kind {
            Kind::Finding(category) => Some(category),
            _ => None,
        }
    }
}

impl Diagnostics {
    /// Add one (made by [`warning`]).
    pub fn add(&mut self, diagnostic: Diagnostic) {
        self.list.push(diagnostic);
    }

    /// Add several.
    pub fn extend(&mut self, more: impl IntoIterator<Item = Diagnostic>) {
        self.list.extend(more);
    }

    /// Those added since the last call: the pipeline forwards them to its observer per stage.
    pub fn unseen(&mut self) -> &[Diagnostic] {
        let start = self.seen;
        self.seen = self.list.len();
        &self.list[start..]
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// All of them, in the order they were found.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_the_json_names() {
        for kind in [
            Kind::CatalogNotData,
            Kind::DurationMismatch,
            Kind::Note,
            Kind::Finding(Category::TrainEvalLeakage),
        ] {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.name())
            );
        }
    }

    #[test]
    fn renders_with_and_without_a_place_and_hands_out_each_once() {
        let mut d = Diagnostics::default();
        d.add(warning::malformed_prompt(
            Location::line("p.jsonl", 3),
            "bad",
        ));
        assert_eq!(d.unseen().len(), 1);
        d.add(warning::over_limit("t/v/f", 9, "m", 8));
        let new = d.unseen();
        assert_eq!(new.len(), 1);
        assert_eq!(
            new[0].to_string(),
            "example t/v/f has 9 tokens, over the m limit of 8; dropped"
        );
        assert!(d.unseen().is_empty());
        assert_eq!(d.into_vec()[0].to_string(), "p.jsonl:3: skipped: bad");
    }
}
