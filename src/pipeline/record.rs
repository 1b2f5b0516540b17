//! One record per template, carried through the stages of a build.
//!
//! Takes a catalog entry; gives the place where each stage leaves what it decided about that template:
//! the code found and what the gate made of it, its prompts, and the duration its briefs will state.
//! Nothing is aligned by index: a stage that needs a template's code or prompts finds them here.

use std::sync::Arc;

use crate::catalog::Template;
use crate::code::gate::Rejection;
use crate::code::gate_cache::Verdict;
use crate::code::{CodeOrigin, FoundCode, TemplateCode};
use crate::digest::Sha256Digest;
use crate::prompts::brief::{Brief, GatedPrompt};
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
    /// The gate rejected code found here, and why.
    Rejected {
        origin: CodeOrigin,
        rejection: Rejection,
    },
    /// Passed the gate: what every example of the template holds.
    Accepted(TemplateCode),
}

/// A template's near-copy cluster: the templates whose code is near-identical to its own.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Its key: the smallest template id in it (the template's own id when alone).
    pub key: Arc<str>,
    /// How many templates it holds.
    pub size: usize,
}

/// A template's briefs as the examples stage composed them.
#[derive(Debug)]
pub struct Briefs {
    /// Each brief with its billed tokens.
    pub briefs: Vec<(Brief, usize)>,
    /// Prompts dropped for asking a format the template does not support.
    pub gated: Vec<GatedPrompt>,
    /// True when no curated or override prompt survived and the briefs were synthesized.
    pub synthesized: bool,
}

#[derive(Debug)]
pub struct TemplateRecord {
    pub template: Template,
    pub code: CodeState,
    /// Its prompts, until its briefs are composed from them.
    pub prompts: TemplatePrompts,
    /// Its briefs, once composed (a template with gated code and a duration); its examples
    /// borrow them.
    pub briefs: Option<Briefs>,
    /// Frames the briefs state and where they came from; `None` until decided, and for a template
    /// that has none.
    pub duration: Option<(u32, DurationFrom)>,
    /// The MinHash signature of the code's word 5-grams (template split mode only); let go once
    /// the record has its cluster.
    pub signature: Option<Signature>,
    /// Its near-copy cluster (template split mode, a template with code and a duration).
    pub cluster: Option<Cluster>,
    /// The SHA-256 of the code's bytes as fetched, which the gate cache keeps its verdict under
    /// (none for code too large to read).
    pub fetched_sha256: Option<Sha256Digest>,
    /// Code that passed the gate and then failed to render (`check.render`): the gate cache keeps
    /// its pass, the render cache its failure. Boxed: rare, and every record would carry its size.
    pub unrendered: Option<Box<TemplateCode>>,
}

impl TemplateRecord {
    pub fn new(template: Template) -> Self {
        TemplateRecord {
            template,
            code: CodeState::Missing,
            prompts: TemplatePrompts::default(),
            briefs: None,
            duration: None,
            signature: None,
            cluster: None,
            fetched_sha256: None,
            unrendered: None,
        }
    }

    /// The gated code, if the template has some.
    pub fn accepted(&self) -> Option<&TemplateCode> {
        match &self.code {
            CodeState::Accepted(code) => Some(code),
            _ => None,
        }
    }

    /// Why the gate rejected the template's code, if it did.
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.code {
            CodeState::Rejected { rejection, .. } => Some(rejection),
            _ => None,
        }
    }

    /// What the gate cache remembers of this template's code for the next build: the verdict,
    /// under the digest of the bytes as fetched.
    pub fn verdict(&self) -> Option<(Sha256Digest, Verdict)> {
        let sha = self.fetched_sha256?;
        let passed = match (&self.code, &self.unrendered) {
            (CodeState::Rejected { .. }, Some(code)) => Some(&**code),
            (CodeState::Accepted(code), _) => Some(code),
            _ => None,
        };
        let verdict = match (&self.code, passed) {
            (_, Some(code)) => Verdict::Pass {
                tokens: code.tokens,
                duration: code.duration.clone(),
                code_sha256: code.sha256,
            },
            (CodeState::Rejected { rejection, .. }, None) => Verdict::Reject {
                rule: rejection.rule,
                message: rejection.message.clone(),
                at: rejection.at,
            },
            (CodeState::Missing | CodeState::Found(_) | CodeState::Accepted(_), None) => {
                return None
            }
        };
        Some((sha, verdict))
    }
}
