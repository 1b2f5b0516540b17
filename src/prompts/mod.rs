//! Prompts: curated files and manual overrides, merged per template.
//!
//! Takes the `[prompts]` config and the catalog; gives, per template, its curated prompts and
//! generated briefs (de-duplicated across files) and its override prompts, plus counts for the stats (lines read,
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
use crate::diagnostic::{warning, Diagnostics};
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

/// One prompt as read, hint separated; the files give each with its [`Target`], which is not kept
/// once the prompt is on its template (800,000 ids held twice at 100,000 templates).
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// The text to use in a brief (hint token removed, capitalized).
    pub text: String,
    pub hint: Option<VideoFormat>,
    /// Where the prompt is (file:line, or file:line:col for a prompt addition).
    pub at: Location,
}

/// A prompt as its file gives it, with the template it is for.
pub type Targeted = (Target, Prompt);

/// Per curated file, for the stats.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CuratedFileStats {
    pub path: String,
    pub lines: usize,
    pub prompts: usize,
    pub malformed: usize,
}

/// Curated prompts for one template id that is not in this build.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UnmatchedTarget {
    /// The template id (or `dbId:<id>` for a prompt that names only a dbId).
    pub target: String,
    pub prompts: usize,
    /// Where the first of them is.
    pub first_at: String,
    /// Why it matched nothing, with a suggestion when one is likely.
    pub reason: String,
}

/// A prompt that repeats an earlier one for its template.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DuplicatePrompt {
    pub template_id: String,
    /// Where the repeat is (`file:line`).
    pub at: String,
    /// Where the prompt it repeats is.
    pub first: String,
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
    /// Generated brief files (`prompts.generated`), as curated files are counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generated_files: Vec<CuratedFileStats>,
    /// Generated briefs read.
    #[serde(default)]
    pub generated_read: usize,
    pub malformed: usize,
    pub duplicates: usize,
    /// Each repeat, with the prompt it repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicate_prompts: Vec<DuplicatePrompt>,
    /// Curated prompts for templates that are not in this build (other source types, unknown ids).
    pub unmatched: usize,
    /// The same, per template id.
    #[serde(default)]
    pub unmatched_prompts: Vec<UnmatchedTarget>,
    pub overrides_read: usize,
    pub unknown_override_templates: Vec<UnknownOverride>,
}

/// One template's prompts: additions (overrides.json) first, then curated prompts, then generated
/// briefs, each in file order.
#[derive(Debug, Clone, Default)]
pub struct TemplatePrompts {
    pub additions: Vec<Prompt>,
    pub curated: Vec<Prompt>,
    pub generated: Vec<Prompt>,
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
        let mut prompts = self.by_template.remove(template_id).unwrap_or_default();
        // Grown by doubling while files were read; a template keeps its prompts until its
        // briefs are composed, past the build's memory peak, so without the spare room.
        prompts.additions.shrink_to_fit();
        prompts.curated.shrink_to_fit();
        prompts.generated.shrink_to_fit();
        prompts
    }
}

/// Catalog ids that exist but are not in this build, and why: a prompt for one is not a typo.
pub struct Elsewhere<'a> {
    pub excluded_by_source: &'a [String],
    /// Past `--limit`.
    pub beyond_limit: &'a [String],
}

/// The catalog id a prompt is for, and its de-duplication key ([`prompt_key`]).
type Matched<'t> = (&'t str, [u8; 16]);

/// One curated or generated prompt file of the config, read and parsed: what [`load`] matches
/// with the catalog.
pub struct ReadFile {
    path: std::path::PathBuf,
    generated: bool,
    /// The file, `None` when it is optional and absent, or why it could not be read.
    read: Result<Option<curated::CuratedFile>>,
    /// Its malformed lines, reported when [`load`] comes to the file.
    diagnostics: Diagnostics,
}

/// Read and parse every curated and generated prompt file the config names (curated, then
/// optional, then generated), one after another, up to the first that cannot be read. Needs nothing
/// from the catalog, so a build does it on a thread of its own while the catalog is read (the two
/// were a tenth of a warm rebuild, one after the other). Not several files at once: the prompts
/// would then be allocated on the thread pool the code stage reads with, and the peak memory of a
/// cold build of 20,000 templates rose by ~20 MiB.
pub fn read_files(config: &Config) -> Vec<ReadFile> {
    let prompts = &config.prompts;
    let files = (prompts.curated.iter().map(|p| (p, false, false)))
        .chain(prompts.curated_optional.iter().map(|p| (p, true, false)))
        .chain(prompts.generated.iter().map(|p| (p, false, true)));
    let mut read_files = Vec::new();
    for (path, optional, generated) in files {
        let path = config.resolve(path);
        let mut diagnostics = Diagnostics::default();
        let read = curated::read(&path, optional, &mut diagnostics);
        let failed = read.is_err();
        read_files.push(ReadFile {
            path,
            generated,
            read,
            diagnostics,
        });
        if failed {
            break;
        }
    }
    read_files
}

/// Group the prompts of the files [`read_files`] gave by template, in file order, and read the
/// prompt additions. A file's warnings and its error, if any, come in the files' order.
pub fn load(
    config: &Config,
    templates: &[&Template],
    elsewhere: &Elsewhere<'_>,
    files: Vec<ReadFile>,
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
    // Each prompt's key (see `prompt_key`), and where the first with it is: the index of its file
    // in `files_read` and its line. 24 bytes an entry: at 100,000 templates this map holds ~800,000,
    // and with the texts and locations themselves it was the build's peak.
    let mut seen: HashMap<[u8; 16], (u32, u32)> = HashMap::new();
    let mut files_read: Vec<std::sync::Arc<std::path::Path>> = Vec::new();
    // Unmatched targets in first-seen order: count and first place.
    let mut unmatched: Vec<(String, usize, Location)> = Vec::new();
    let mut unmatched_index: HashMap<String, usize> = HashMap::new();
    // Curated files (required, then optional), then generated ones: a generated brief that
    // repeats a curated prompt is a duplicate of it.
    for read in files {
        let ReadFile {
            path: resolved,
            generated,
            read,
            diagnostics: read_diagnostics,
        } = read;
        diagnostics.extend(read_diagnostics.into_vec());
        let Some(mut file) = read? else {
            diagnostics.add(warning::prompt_file_missing(&resolved));
            continue;
        };
        let file_index = files_read.len() as u32;
        files_read.push(std::sync::Arc::from(resolved.as_path()));
        set.inputs.push(InputDigest {
            kind: if generated { "generated" } else { "prompts" }.to_string(),
            path: config.display_path(&resolved),
            sha256: std::mem::take(&mut file.sha256),
            bytes: file.bytes,
        });
        let counted = CuratedFileStats {
            path: config.display_path(&resolved),
            lines: file.lines,
            prompts: file.prompts.len(),
            malformed: file.malformed,
        };
        if generated {
            set.stats.generated_files.push(counted);
            set.stats.generated_read += file.prompts.len();
        } else {
            set.stats.curated_files.push(counted);
            set.stats.curated_read += file.prompts.len();
        }
        set.stats.malformed += file.malformed;
        // Each prompt's template and de-duplication key (a hash of its normalized text) on all
        // cores, in file order.
        let matched: Vec<(Target, Prompt, Option<Matched>)> = {
            use rayon::prelude::*;
            file.prompts
                .into_par_iter()
                .map(|(target, prompt)| {
                    let id =
                        id_of(&target).map(|id| (id, prompt_key(id, prompt.hint, &prompt.text)));
                    (target, prompt, id)
                })
                .collect()
        };
        for (target, prompt, id) in matched {
            let Some((id, key)) = id else {
                set.stats.unmatched += 1;
                let target = match &target {
                    Target::Id(id) => id.clone(),
                    Target::DbId(db_id) => format!("dbId:{db_id}"),
                };
                match unmatched_index.get(&target) {
                    Some(&i) => unmatched[i].1 += 1,
                    None => {
                        unmatched_index.insert(target.clone(), unmatched.len());
                        unmatched.push((target, 1, prompt.at.clone()));
                    }
                }
                continue;
            };
            // The same request phrased the same way teaches nothing twice.
            match seen.entry(key) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    let (index, line) = *first.get();
                    let first = config.display_location(&Location::line(
                        &files_read[index as usize],
                        line as usize,
                    ));
                    diagnostics.add(warning::duplicate_prompt(prompt.at.clone(), id, &first));
                    set.stats.duplicates += 1;
                    set.stats.duplicate_prompts.push(DuplicatePrompt {
                        template_id: id.to_string(),
                        at: config.display_location(&prompt.at),
                        first,
                    });
                    continue;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert((file_index, prompt.at.line.unwrap_or(0)));
                }
            }
            let prompts = set.by_template.entry(id.to_string()).or_default();
            if generated {
                prompts.generated.push(prompt);
            } else {
                prompts.curated.push(prompt);
            }
        }
    }

    let excluded: HashSet<&str> = elsewhere
        .excluded_by_source
        .iter()
        .map(String::as_str)
        .collect();
    let beyond: HashSet<&str> = elsewhere.beyond_limit.iter().map(String::as_str).collect();
    for (n, (target, prompts, at)) in unmatched.into_iter().enumerate() {
        let reason = if excluded.contains(target.as_str()) {
            "its catalog entry is left out by catalog.source_type".to_string()
        } else if beyond.contains(target.as_str()) {
            "its catalog entry is past --limit".to_string()
        } else {
            // Suggestions cost a pass over the ids each: for the first hundred targets only.
            let suggestion = (n < 100)
                .then(|| crate::suggest::closest(&target, ids.iter().copied()))
                .flatten()
                .map(|id| format!(" (did you mean {id:?}?)"))
                .unwrap_or_default();
            format!("no catalog entry has this id{suggestion}")
        };
        diagnostics.add(warning::unmatched_prompts(
            at.clone(),
            prompts,
            &target,
            &reason,
        ));
        set.stats.unmatched_prompts.push(UnmatchedTarget {
            target,
            prompts,
            first_at: format!("{}:{}", config.display_path(&at.path), at.line.unwrap_or(0)),
            reason,
        });
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
                diagnostics.add(warning::additions_file_missing(
                    &resolved,
                    &near_miss_file(&resolved),
                ));
                Vec::new()
            }
        };
        for (target, prompt) in additions {
            set.stats.overrides_read += 1;
            match id_of(&target) {
                Some(id) => set
                    .by_template
                    .entry(id.to_string())
                    .or_default()
                    .additions
                    .push(prompt),
                None => {
                    let Target::Id(id) = &target else {
                        continue;
                    };
                    diagnostics.add(warning::unknown_prompt_addition(prompt.at.clone(), id));
                    set.stats.unknown_override_templates.push(UnknownOverride {
                        template_id: id.clone(),
                        at: config.display_location(&Location {
                            col: None,
                            ..prompt.at.clone()
                        }),
                    });
                }
            }
        }
    }
    Ok(set)
}

/// " (did you mean x.json?)" for a file of a similar name beside a missing one; "" when none.
pub fn near_miss_file(path: &std::path::Path) -> String {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return String::new();
    };
    let listed = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    let names: Vec<String> = std::fs::read_dir(listed)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    crate::suggest::closest(name, names.iter().map(String::as_str))
        .map(|n| format!(" (did you mean {}?)", dir.join(n).display()))
        .unwrap_or_default()
}

/// Lowercase, whitespace collapsed, trailing punctuation ignored: the key for de-duplication (of
/// prompts here, of generated briefs in `briefs`).
pub fn normalize(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .join(" ")
        .trim_end_matches(['.', '!', '?'])
        .to_lowercase()
}

/// The de-duplication key of a prompt: the first 128 bits of the SHA-256 of its template id, its
/// format hint and its [`normalize`]d text (a cryptographic hash, so no prompt file can be written
/// to make two different prompts collide and one of them be dropped).
fn prompt_key(template_id: &str, hint: Option<VideoFormat>, text: &str) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    // The id's length first, so no id and text can be shifted into another pair.
    hasher.update((template_id.len() as u64).to_le_bytes());
    hasher.update(template_id.as_bytes());
    hasher.update([hint.map_or(0, |f| f as u8 + 1)]);
    hasher.update(normalize(text).as_bytes());
    let digest = hasher.finalize();
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::{load, normalize, prompt_key, read_files, Elsewhere};
    use crate::catalog::Template;
    use crate::config::Config;
    use crate::diagnostic::Diagnostics;

    /// A project of three prompt files (`a`, `b`, `c`) with these contents; `None` leaves the file out.
    fn project(files: [Option<&str>; 3]) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in ["a", "b", "c"].iter().zip(files) {
            if let Some(text) = text {
                std::fs::write(dir.path().join(format!("{name}.jsonl")), text).unwrap();
            }
        }
        let toml = "[catalog]\npath = \"c.json\"\n[code]\ndir = \"code\"\n\
                    [prompts]\ncurated = [\"a.jsonl\", \"b.jsonl\", \"c.jsonl\"]\n";
        let config = Config::parse(&dir.path().join("template-sft.toml"), toml).unwrap();
        (dir, config)
    }

    #[test]
    fn files_read_ahead_report_their_warnings_and_first_error_in_the_order_they_are_named() {
        let template = Template::for_tests();
        let elsewhere = Elsewhere {
            excluded_by_source: &[],
            beyond_limit: &[],
        };
        let good =
            |text: &str| format!("{{\"prompt\":\"{text}\",\"expected_template_id\":\"t\"}}\n");
        // a: a malformed line; b: a repeat of a's prompt and a malformed line; c: another prompt.
        let a = format!("{}not json\n", good("one"));
        let b = format!("{}[1]\n", good("One."));
        let (dir, config) = project([Some(&a), Some(&b), Some(&good("two"))]);
        let mut diagnostics = Diagnostics::default();
        let set = load(
            &config,
            &[&template],
            &elsewhere,
            read_files(&config),
            &mut diagnostics,
        )
        .unwrap();
        let places: Vec<String> = diagnostics
            .into_vec()
            .iter()
            .map(|d| d.at.as_ref().unwrap().to_string())
            .collect();
        let at = |file: &str, line: usize| format!("{}:{line}", dir.path().join(file).display());
        // b's malformed line (read first) comes before b's duplicate (found when matching).
        assert_eq!(
            places,
            [at("a.jsonl", 2), at("b.jsonl", 2), at("b.jsonl", 1)]
        );
        assert_eq!((set.stats.malformed, set.stats.duplicates), (2, 1));
        assert_eq!(set.stats.curated_read, 3);
        // b missing: its error, after a's warning; c, though fine, is not read.
        let (dir, config) = project([Some(&a), None, Some(&good("two"))]);
        let files = read_files(&config);
        assert_eq!(files.len(), 2);
        let mut diagnostics = Diagnostics::default();
        let err = load(&config, &[&template], &elsewhere, files, &mut diagnostics).unwrap_err();
        assert_eq!(diagnostics.into_vec().len(), 1);
        assert!(
            err.to_string()
                .contains(&dir.path().join("b.jsonl").display().to_string()),
            "{err}"
        );
    }
    use crate::video::VideoFormat;

    #[test]
    fn the_duplicate_key_tells_templates_and_hints_apart_and_ignores_wording_noise() {
        let key = prompt_key("a", None, "Big digits countdown.");
        assert_eq!(key, prompt_key("a", None, "big  DIGITS countdown"));
        assert_ne!(key, prompt_key("b", None, "Big digits countdown."));
        assert_ne!(
            key,
            prompt_key("a", Some(VideoFormat::Square), "Big digits countdown.")
        );
        // The id and the text do not run into each other.
        assert_ne!(prompt_key("ab", None, "c d"), prompt_key("a", None, "bc d"));
    }

    #[test]
    fn normalization_ignores_case_spacing_and_final_punctuation() {
        assert_eq!(
            normalize("Big  Digits countdown."),
            normalize("big digits countdown")
        );
        assert_ne!(normalize("big digits"), normalize("big digit"));
    }
}
