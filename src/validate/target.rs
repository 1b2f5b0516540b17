//! Where a dataset is going, and what that place rejects.
//!
//! Takes a target name; gives its rules: which findings are errors there (rather than warnings), the
//! minimum number of examples per file and the largest file it accepts.

use serde::Serialize;

use crate::diagnostic::{Category, Severity};

/// Where a dataset is going: which findings are errors there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// OpenAI fine-tuning (chat format).
    Openai,
    /// Together AI fine-tuning (conversational format).
    Together,
    /// Fireworks AI supervised fine-tuning.
    Fireworks,
    /// Any chat-format trainer: structure only.
    Generic,
}

impl Target {
    /// The target's name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Openai => "openai",
            Target::Together => "together",
            Target::Fireworks => "fireworks",
            Target::Generic => "generic",
        }
    }

    /// How serious `category` is for this target.
    pub fn severity(self, category: Category) -> Severity {
        use Category::*;
        match category {
            MissingSystem | MissingUser | LegacyFunctionRole | NearCopyLeakage | NearCopyLimit
            | TrainerDefaultLength | LengthSkew => Severity::Warning,
            ExtraTopLevelKey | ConsecutiveRoles => match self {
                Target::Together => Severity::Error,
                _ => Severity::Warning,
            },
            UnknownMessageKey => match self {
                Target::Generic => Severity::Warning,
                _ => Severity::Error,
            },
            _ => Severity::Error,
        }
    }

    /// Fewest examples a training file may hold.
    pub fn min_examples(self) -> usize {
        match self {
            Target::Openai => 10,
            _ => 1,
        }
    }

    /// Largest file accepted, in bytes.
    pub fn max_file_bytes(self) -> Option<u64> {
        match self {
            Target::Openai => Some(512 * 1024 * 1024),
            _ => None,
        }
    }
}
