//! One record per template, carried through the stages of a build.
//!
//! Takes a catalog entry; gives the place where each stage leaves what it decided about that template:
//! the code found and what the gate made of it, its prompts, and the duration its briefs will state.
//! Nothing is aligned by index: a stage that needs a template's code or prompts finds them here.

use crate::catalog::Template;
use crate::code::{CodeOrigin, FoundCode, TemplateCode};
use crate::prompts::TemplatePrompts;
use crate::split::near_copy::Signature;
use crate::video::DurationFrom;

/// What is known about a template's code, stage by stage.
#[derive(Debug, Default)]
pub enum CodeState {
    /// Not looked up yet, or looked up and not found anywhere.
    #[default]
    Missing,
    /// Fetched, not yet gated.
    Found(FoundCode),
    /// The gate rejected code found here (the rejection is in the stats).
    Rejected(CodeOrigin),
    /// Passed the gate: what every example of the template holds.
    Accepted(TemplateCode),
}

#[derive(Debug)]
pub struct TemplateRecord {
    pub template: Template,
    pub code: CodeState,
    pub prompts: TemplatePrompts,
    /// Frames the briefs state and where they came from; `None` until decided, and for a template
    /// that has none.
    pub duration: Option<(u32, DurationFrom)>,
    /// The MinHash signature of the code's word 5-grams (template split mode only).
    pub signature: Option<Signature>,
}

impl TemplateRecord {
    pub fn new(template: Template) -> Self {
        TemplateRecord {
            template,
            code: CodeState::Missing,
            prompts: TemplatePrompts::default(),
            duration: None,
            signature: None,
        }
    }

    /// The gated code, if the template has some.
    pub fn accepted(&self) -> Option<&TemplateCode> {
        match &self.code {
            CodeState::Accepted(code) => Some(code),
            _ => None,
        }
    }
}
