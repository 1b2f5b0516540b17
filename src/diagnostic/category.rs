//! The kinds of finding `validate` reports, each with a stable name and a one-line meaning.
//!
//! Takes nothing; gives the list the README documents and `--json` uses, defined once below.

use serde::Serialize;

/// One table defines each category's variant, stable name and meaning.
macro_rules! categories {
    ($($variant:ident = $name:literal: $meaning:literal,)*) => {
        /// The kind of a `validate` finding (the README's category table).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum Category {
            $(#[doc = $meaning] $variant,)*
        }

        impl Category {
            /// Every category, in the table's order.
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];

            /// The stable name (as in JSON).
            pub fn name(self) -> &'static str {
                match self {
                    $(Category::$variant => $name,)*
                }
            }

            /// What the category means (README table, `--json` summary).
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Category::$variant => $meaning,)*
                }
            }
        }
    };
}

categories! {
    InvalidUtf8 = "invalid_utf8": "a line is not valid UTF-8",
    LineTooLong = "line_too_long": "a line longer than 16 MiB (skipped, not read)",
    BlankLine = "blank_line": "an empty line between examples",
    InvalidJson = "invalid_json": "a line is not JSON",
    NotAnObject = "not_an_object": "a line is JSON but not an object",
    MissingMessages = "missing_messages": "`messages` is missing, not an array, or empty",
    InvalidMessage = "invalid_message": "a message is not an object",
    UnknownRole = "unknown_role": "a role other than system, user, assistant, tool (or legacy function)",
    LegacyFunctionRole = "legacy_function_role": "the legacy `function` role",
    InvalidContent = "invalid_content": "content missing or not a string (assistant tool calls excepted)",
    UnknownMessageKey = "unknown_message_key": "a message key the target does not know",
    InvalidWeight = "invalid_weight": "`weight` not the integer 0 or 1, or not on an assistant message",
    NoTrainableAssistant = "no_trainable_assistant": "no assistant message with weight other than 0",
    InvalidTools = "invalid_tools": "`tools`, `tool_calls` or `parallel_tool_calls` of the wrong shape",
    MissingSystem = "missing_system": "no system message",
    MissingUser = "missing_user": "no user message",
    ExtraTopLevelKey = "extra_top_level_key": "a top-level key other than messages, tools, parallel_tool_calls",
    ConsecutiveRoles = "consecutive_roles": "two consecutive messages with the same role",
    TooFewExamples = "too_few_examples": "fewer examples than the target requires",
    FileTooLarge = "file_too_large": "the file is larger than the target accepts",
    TooManyTokens = "too_many_tokens": "an example over the model's token limit",
    DuplicateExample = "duplicate_example": "the same example twice in one file",
    TrainEvalLeakage = "train_eval_leakage": "an example or assistant output of validation/test also in train",
    SidecarMismatch = "sidecar_mismatch": "upload/meta sidecars out of line with the full split file",
    ManifestMismatch = "manifest_mismatch": "a file's checksum, size or line count differs from the manifest",
    StatsMismatch = "stats_mismatch": "stats.json totals differ from the files",
    DurationNotStated = "duration_not_stated": "a brief that does not state the duration its meta records",
    NearCopyLeakage = "near_copy_leakage": "an assistant output of validation/test that is a near-copy of a train output",
    NearCopyLimit = "near_copy_limit": "too many distinct train outputs to index them all for the near-copy check",
    ChatTemplate = "chat_template": "a --tokenizer's chat template refuses the example (e.g. roles it does not accept)",
    OverMaxLength = "over_max_length": "an example longer than --max-length under a --tokenizer",
    TrainerDefaultLength = "trainer_default_length": "examples longer than a trainer's default length (Axolotl sequence_len 512, TRL max_length 1024, LLaMA-Factory cutoff_len 2048)",
    LengthSkew = "length_skew": "validation or test lengths differ strongly from train's (median below 2/3 or above 3/2 of it)",
    ExportRow = "export_row": "a row of an export folder that its target's layout does not hold (e.g. a TRL row without prompt/completion)",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_serialized_form() {
        for c in Category::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.name());
        }
    }
}
