//! The kinds of finding `validate` reports, each with a stable name and a one-line meaning.
//!
//! Takes nothing; gives the list the README documents and `--json` uses.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    InvalidUtf8,
    BlankLine,
    InvalidJson,
    NotAnObject,
    MissingMessages,
    InvalidMessage,
    UnknownRole,
    LegacyFunctionRole,
    InvalidContent,
    UnknownMessageKey,
    InvalidWeight,
    NoTrainableAssistant,
    InvalidTools,
    MissingSystem,
    MissingUser,
    ExtraTopLevelKey,
    ConsecutiveRoles,
    TooFewExamples,
    FileTooLarge,
    TooManyTokens,
    DuplicateExample,
    TrainEvalLeakage,
    SidecarMismatch,
    ManifestMismatch,
    StatsMismatch,
}

impl Category {
    pub const ALL: [Category; 25] = [
        Category::InvalidUtf8,
        Category::BlankLine,
        Category::InvalidJson,
        Category::NotAnObject,
        Category::MissingMessages,
        Category::InvalidMessage,
        Category::UnknownRole,
        Category::LegacyFunctionRole,
        Category::InvalidContent,
        Category::UnknownMessageKey,
        Category::InvalidWeight,
        Category::NoTrainableAssistant,
        Category::InvalidTools,
        Category::MissingSystem,
        Category::MissingUser,
        Category::ExtraTopLevelKey,
        Category::ConsecutiveRoles,
        Category::TooFewExamples,
        Category::FileTooLarge,
        Category::TooManyTokens,
        Category::DuplicateExample,
        Category::TrainEvalLeakage,
        Category::SidecarMismatch,
        Category::ManifestMismatch,
        Category::StatsMismatch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::InvalidUtf8 => "invalid_utf8",
            Category::BlankLine => "blank_line",
            Category::InvalidJson => "invalid_json",
            Category::NotAnObject => "not_an_object",
            Category::MissingMessages => "missing_messages",
            Category::InvalidMessage => "invalid_message",
            Category::UnknownRole => "unknown_role",
            Category::LegacyFunctionRole => "legacy_function_role",
            Category::InvalidContent => "invalid_content",
            Category::UnknownMessageKey => "unknown_message_key",
            Category::InvalidWeight => "invalid_weight",
            Category::NoTrainableAssistant => "no_trainable_assistant",
            Category::InvalidTools => "invalid_tools",
            Category::MissingSystem => "missing_system",
            Category::MissingUser => "missing_user",
            Category::ExtraTopLevelKey => "extra_top_level_key",
            Category::ConsecutiveRoles => "consecutive_roles",
            Category::TooFewExamples => "too_few_examples",
            Category::FileTooLarge => "file_too_large",
            Category::TooManyTokens => "too_many_tokens",
            Category::DuplicateExample => "duplicate_example",
            Category::TrainEvalLeakage => "train_eval_leakage",
            Category::SidecarMismatch => "sidecar_mismatch",
            Category::ManifestMismatch => "manifest_mismatch",
            Category::StatsMismatch => "stats_mismatch",
        }
    }

    /// What the category means (README table, `--json` summary).
    pub fn meaning(self) -> &'static str {
        match self {
            Category::InvalidUtf8 => "a line is not valid UTF-8",
            Category::BlankLine => "an empty line between examples",
            Category::InvalidJson => "a line is not JSON",
            Category::NotAnObject => "a line is JSON but not an object",
            Category::MissingMessages => "`messages` is missing, not an array, or empty",
            Category::InvalidMessage => "a message is not an object",
            Category::UnknownRole => {
                "a role other than system, user, assistant, tool (or legacy function)"
            }
            Category::LegacyFunctionRole => "the legacy `function` role",
            Category::InvalidContent => {
                "content missing or not a string (assistant tool calls excepted)"
            }
            Category::UnknownMessageKey => "a message key the target does not know",
            Category::InvalidWeight => {
                "`weight` not the integer 0 or 1, or not on an assistant message"
            }
            Category::NoTrainableAssistant => "no assistant message with weight other than 0",
            Category::InvalidTools => {
                "`tools`, `tool_calls` or `parallel_tool_calls` of the wrong shape"
            }
            Category::MissingSystem => "no system message",
            Category::MissingUser => "no user message",
            Category::ExtraTopLevelKey => {
                "a top-level key other than messages, tools, parallel_tool_calls"
            }
            Category::ConsecutiveRoles => "two consecutive messages with the same role",
            Category::TooFewExamples => "fewer examples than the target requires",
            Category::FileTooLarge => "the file is larger than the target accepts",
            Category::TooManyTokens => "an example over the model's token limit",
            Category::DuplicateExample => "the same example twice in one file",
            Category::TrainEvalLeakage => {
                "an example or assistant output of validation/test also in train"
            }
            Category::SidecarMismatch => {
                "upload/meta sidecars out of line with the full split file"
            }
            Category::ManifestMismatch => {
                "a file's checksum, size or line count differs from the manifest"
            }
            Category::StatsMismatch => "stats.json totals differ from the files",
        }
    }
}
