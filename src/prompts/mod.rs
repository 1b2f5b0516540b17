//! Prompts: curated files and manual overrides, merged per template.
//!
//! Takes the `[prompts]` config and the catalog; gives, per template, its curated prompts
//! (de-duplicated across files) and its override prompts, plus counts for the stats (lines read,
//! malformed, duplicates, prompts for templates outside this build, unknown override ids). Turning
//! prompts into briefs is [`brief`]'s job.

pub mod brief;
pub mod curated;
pub mod format;
pub mod overrides;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::catalog::Template;
use crate::config::Config;
use crate::diagnostic::{Diagnostics, Kind};
use crate::digest::InputDigest;
use crate::error::Result;
use crate::location::Location;
use crate::video::VideoFormat;

/// Which template a prompt is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Id(String),
    /// Only a `db_id` was given; resolved through the catalog.
    DbId(String),
}

/// One prompt as read, hint separated.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub target: Target,
    /// The text to use in a brief (hint token removed, capitalized).
    pub text: String,
    pub hint: Option<VideoFormat>,
    pub origin: Location,
}

/// Per curated file, for the stats.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CuratedFileStats {
    pub path: String,
    pub lines: usize,
    pub prompts: usize,
    pub malformed: usize,
}

/// An override naming a template this build does not have.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnknownOverride {
    pub template_id: String,
    pub at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptStats {
    pub curated_files: Vec<CuratedFileStats>,
    pub curated_read: usize,
    pub malformed: usize,
    pub duplicates: usize,
    /// Curated prompts for templates that are not in this build (other source types, unknown ids).
    pub unmatched: usize,
    pub overrides_read: usize,
    pub unknown_override_templates: Vec<UnknownOverride>,
}

/// One template's prompts: additions (overrides.json) first, then curated prompts, each in file order.
#[derive(Debug, Clone, Default)]
pub struct TemplatePrompts {
    pub additions: Vec<Prompt>,
    pub curated: Vec<Prompt>,
}

/// Prompts by template id, and the counts for the stats.
#[derive(Debug, Default)]
pub struct PromptSet {
    by_template: HashMap<String, TemplatePrompts>,
    pub stats: PromptStats,
    /// The digest of every prompt file read, in the order read (curated, then additions).
    pub inputs: Vec<InputDigest>,
}

impl PromptSet {
    /// `template_id`'s prompts (none if nobody wrote any), moved out of the set.
    pub fn take(&mut self, template_id: &str) -> TemplatePrompts {
        self.by_template.remove(template_id).unwrap_or_default()
    }
}

/// Read every configured prompt file and group the prompts by template.
pub fn load(
    config: &Config,
    templates: &[&Template],
    diagnostics: &mut Diagnostics,
) -> Result<PromptSet> {
    let by_db_id: HashMap<&str, &str> = templates
        .iter()
        .filter_map(|t| t.db_id().map(|d| (d, t.id.as_str())))
        .collect();
    let ids: HashSet<&str> = templates.iter().map(|t| t.id.as_str()).collect();
    let id_of = |target: &Target| match target {
        Target::Id(id) => ids.get(id.as_str()).copied(),
        Target::DbId(db_id) => by_db_id.get(db_id.as_str()).copied(),
    };

    let mut set = PromptSet::default();
    let mut seen: HashSet<(&str, Option<VideoFormat>, String)> = HashSet::new();
    let files = config
        .prompts
        .curated
        .iter()
        .map(|p| (p, false))
        .chain(config.prompts.curated_optional.iter().map(|p| (p, true)));
    for (path, optional) in files {
        let resolved = config.resolve(path);
        let Some(file) = curated::read(&resolved, optional, diagnostics)? else {
            diagnostics.push(
                Kind::MissingInput,
                Some(Location::file(&resolved)),
                "optional curated prompt file not found; no prompts read from it",
            );
            continue;
        };
        set.inputs.push(InputDigest::of_bytes(
            "prompts",
            config.display_path(&resolved),
            &file.bytes,
        ));
        set.stats.curated_files.push(CuratedFileStats {
            path: config.display_path(&resolved),
            lines: file.lines,
            prompts: file.prompts.len(),
            malformed: file.malformed,
        });
        set.stats.curated_read += file.prompts.len();
        set.stats.malformed += file.malformed;
        for prompt in file.prompts {
            let Some(id) = id_of(&prompt.target) else {
                set.stats.unmatched += 1;
                continue;
            };
            // The same request phrased the same way teaches nothing twice.
            if !seen.insert((id, prompt.hint, normalize(&prompt.text))) {
                set.stats.duplicates += 1;
                continue;
            }
            set.by_template
                .entry(id.to_string())
                .or_default()
                .curated
                .push(prompt);
        }
    }

    if let Some(path) = &config.prompts.overrides {
        let resolved = config.resolve(path);
        let additions = match overrides::read(&resolved, diagnostics)? {
            Some((bytes, additions)) => {
                set.inputs.push(InputDigest::of_bytes(
                    "overrides",
                    config.display_path(&resolved),
                    &bytes,
                ));
                additions
            }
            None => {
                diagnostics.push(
                    Kind::MissingInput,
                    Some(Location::file(&resolved)),
                    "prompts.overrides names a file that does not exist; no prompt additions read",
                );
                Vec::new()
            }
        };
        for prompt in additions {
            set.stats.overrides_read += 1;
            match id_of(&prompt.target) {
                Some(id) => set
                    .by_template
                    .entry(id.to_string())
                    .or_default()
                    .additions
                    .push(prompt),
                None => {
                    let Target::Id(id) = &prompt.target else {
                        continue;
                    };
                    diagnostics.push(
                        Kind::UnknownPromptAddition,
                        Some(prompt.origin.clone()),
                        format!(
                            "prompt addition for unknown template {id:?} (not in this build's catalog)"
                        ),
                    );
                    set.stats.unknown_override_templates.push(UnknownOverride {
                        template_id: id.clone(),
                        at: format!(
                            "{}:{}",
                            config.display_path(&prompt.origin.path),
                            prompt.origin.line.unwrap_or(0)
                        ),
                    });
                }
            }
        }
    }
    Ok(set)
}

/// Lowercase, whitespace collapsed, trailing punctuation ignored: the key for de-duplication.
fn normalize(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .join(" ")
        .trim_end_matches(['.', '!', '?'])
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalization_ignores_case_spacing_and_final_punctuation() {
        assert_eq!(
            normalize("Big  Digits countdown."),
            normalize("big digits countdown")
        );
        assert_ne!(normalize("big digits"), normalize("big digit"));
    }
}
