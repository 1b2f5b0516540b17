//! Briefs: the user message of each example.
//!
//! Takes one template, its duration, and its override and curated prompts; gives its briefs in a
//! fixed order (overrides, then curated, then, only if none survived, variants synthesized from the
//! catalog metadata), capped at `variants_per_template`. Every brief names one format the template
//! supports, with its pixel size, and the duration in seconds and frames. A prompt whose hint names an
//! unsupported format is dropped and reported: training on it would teach the model to ignore the
//! format people ask for.

use serde::{Deserialize, Serialize};

use super::format::{capitalize, least_covered, rotate};
use super::TemplatePrompts;
use crate::catalog::Template;
use crate::location::Location;
use crate::video::{describe_duration, VideoFormat};

/// Where a brief's wording came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BriefOrigin {
    /// A curated prompt, at this line of its file.
    Curated(Location),
    /// A prompt addition (`overrides.json`), at this place.
    Override(Location),
    /// A generated brief (`prompts.generated`, written by `briefs ingest`), at this line.
    Generated(Location),
    /// Synthesized from the named catalog field.
    Synthesized(&'static str),
}

impl BriefOrigin {
    /// Where the wording came from as meta `promptSource` writes it, appended to `out`: the place
    /// relative to `base` (`prompts/x.jsonl:3`), or `catalog:{field}` for a synthesized brief (not
    /// the catalog's file:line: the same entry gives the same dataset whether the catalog is
    /// TypeScript or JSON).
    pub fn write_source(&self, base: &std::path::Path, out: &mut String) {
        match self {
            BriefOrigin::Curated(at) | BriefOrigin::Override(at) | BriefOrigin::Generated(at) => {
                at.write_under(base, out)
            }
            BriefOrigin::Synthesized(field) => {
                out.push_str("catalog:");
                out.push_str(field);
            }
        }
    }
}

/// Where a brief's wording came from, without the place (meta `promptOrigin`, the keys of stats
/// `briefs.byOrigin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptOrigin {
    /// From a curated prompt file.
    Curated,
    /// From a prompt addition (`overrides.json`).
    Override,
    /// Written by a model for the template's code and kept by `briefs ingest`
    /// (`prompts.generated`).
    Generated,
    /// Made from the catalog entry.
    Synthesized,
}

impl PromptOrigin {
    /// The stable name (as in meta `promptOrigin`).
    pub fn name(self) -> &'static str {
        match self {
            PromptOrigin::Curated => "curated",
            PromptOrigin::Override => "override",
            PromptOrigin::Generated => "generated",
            PromptOrigin::Synthesized => "synthesized",
        }
    }
}

impl BriefOrigin {
    /// The origin's kind, without its place.
    pub fn kind(&self) -> PromptOrigin {
        match self {
            BriefOrigin::Curated(_) => PromptOrigin::Curated,
            BriefOrigin::Override(_) => PromptOrigin::Override,
            BriefOrigin::Generated(_) => PromptOrigin::Generated,
            BriefOrigin::Synthesized(_) => PromptOrigin::Synthesized,
        }
    }
}

/// One brief for one template: the user message of an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brief {
    /// The full user message.
    pub text: String,
    /// The format it asks for.
    pub format: VideoFormat,
    /// `override-1`, `curated-2`, `base`, `phrase-1`, …: stable names, used as example keys.
    pub variant: String,
    /// Where its wording came from.
    pub origin: BriefOrigin,
}

/// A prompt dropped because its hint names a format the template does not support.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct GatedPrompt {
    /// The template the prompt was for.
    pub template_id: String,
    /// The format it asked for.
    pub format: VideoFormat,
    /// Where the prompt is (`file:line`).
    pub at: String,
    /// The same place, for a warning.
    #[serde(skip)]
    pub location: Option<Location>,
}

/// The briefs of one template.
#[derive(Debug, Default)]
pub struct TemplateBriefs {
    /// Its briefs, one per format and prompt kept.
    pub briefs: Vec<Brief>,
    /// Prompts dropped for asking a format it does not support.
    pub gated: Vec<GatedPrompt>,
    /// True when no curated or override prompt survived and the briefs were synthesized.
    pub synthesized: bool,
}

/// Build `template`'s briefs: overrides and curated prompts up to `cap`, generated briefs up to
/// `generated_cap` of their own (so generated briefs never displace a curated one). `display`
/// renders a prompt's location for the stats.
pub fn briefs_for(
    template: &Template,
    duration: u32,
    fps: u32,
    prompts: &TemplatePrompts,
    (cap, generated_cap): (usize, usize),
    display: &dyn Fn(&Location) -> String,
) -> TemplateBriefs {
    let duration_text = describe_duration(duration, fps);
    let mut out = TemplateBriefs::default();
    let mut unhinted = 0;
    let candidates = numbered(&prompts.additions, "override", BriefOrigin::Override, false)
        .chain(numbered(
            &prompts.curated,
            "curated",
            BriefOrigin::Curated,
            false,
        ))
        .chain(numbered(
            &prompts.generated,
            "generated",
            BriefOrigin::Generated,
            true,
        ));
    let mut taken = [0usize; 2];
    // Briefs per supported format: hinted prompts first, then each unhinted one goes where the
    // fewest are (a template whose hinted prompts all ask for landscape gets its unhinted ones in
    // its other formats).
    let supported = &template.supported_formats;
    let mut per_format: Vec<usize> = supported
        .iter()
        .map(|f| {
            (prompts.additions.iter())
                .chain(&prompts.curated)
                .chain(&prompts.generated)
                .filter(|p| p.hint == Some(*f))
                .count()
        })
        .collect();
    for (prompt, variant, origin, generated) in candidates {
        let format = match prompt.hint {
            Some(hint) if template.supported_formats.contains(&hint) => hint,
            Some(hint) => {
                out.gated.push(GatedPrompt {
                    template_id: template.id.clone(),
                    format: hint,
                    at: display(&prompt.at),
                    location: Some(prompt.at.clone()),
                });
                continue;
            }
            None => {
                unhinted += 1;
                let format = least_covered(supported, &per_format, &template.id, unhinted - 1);
                if let Some(i) = supported.iter().position(|f| *f == format) {
                    per_format[i] += 1;
                }
                format
            }
        };
        let (group, limit) = if generated {
            (1, generated_cap)
        } else {
            (0, cap)
        };
        if taken[group] < limit {
            taken[group] += 1;
            out.briefs.push(Brief {
                text: compose(&prompt.text, format, &duration_text),
                format,
                variant,
                origin,
            });
        }
    }
    if out.briefs.is_empty() {
        out.synthesized = true;
        for (k, (variant, field, body)) in synthesize(template).into_iter().take(cap).enumerate() {
            let format = rotate(&template.supported_formats, &template.id, k);
            out.briefs.push(Brief {
                text: compose(&body, format, &duration_text),
                format,
                variant,
                origin: BriefOrigin::Synthesized(field),
            });
        }
    }
    out
}

/// Each prompt with its variant name (`name-1`, …), its origin and whether it is generated.
fn numbered<'p>(
    prompts: &'p [super::Prompt],
    name: &'static str,
    origin: fn(Location) -> BriefOrigin,
    generated: bool,
) -> impl Iterator<Item = (&'p super::Prompt, String, BriefOrigin, bool)> + 'p {
    prompts.iter().enumerate().map(move |(i, p)| {
        (
            p,
            format!("{name}-{}", i + 1),
            origin(p.at.clone()),
            generated,
        )
    })
}

/// The request, then one line that states the format with its size and the duration.
pub fn compose(request: &str, format: VideoFormat, duration: &str) -> String {
    let request = request.trim();
    let stop = if request.ends_with(['.', '!', '?']) {
        ""
    } else {
        "."
    };
    let (w, h) = format.size();
    let mut brief = format!("{request}{stop}\n\nFormat: {format} ({w}x{h}). Duration: {duration}.");
    // Held until the version is written, four or more per template, and `format!` can leave up to
    // twice the text's length allocated.
    brief.shrink_to_fit();
    brief
}

/// Requests written from the catalog metadata: (variant, source field, text), most direct first.
fn synthesize(t: &Template) -> Vec<(String, &'static str, String)> {
    let mut out = vec![("base".to_string(), "primaryUse", capitalize(&t.primary_use))];
    for (i, d) in t.descriptions.iter().enumerate() {
        out.push((
            format!("description-{}", i + 1),
            "descriptions",
            capitalize(d),
        ));
    }
    for (i, p) in t.user_phrases.iter().enumerate() {
        out.push((format!("phrase-{}", i + 1), "userPhrases", capitalize(p)));
    }
    let purpose = lowercase_first(&t.primary_use);
    for (i, u) in t.use_cases.iter().enumerate() {
        out.push((
            format!("usecase-{}", i + 1),
            "useCases",
            format!("{}: {purpose}", capitalize(u)),
        ));
    }
    if let Some(detail) = detail(t) {
        out.push(("detail".to_string(), "elements", detail));
    }
    out
}

/// "A minimal, bold scene with a logo and rings, animated with a spring scale-in, in navy and gold."
fn detail(t: &Template) -> Option<String> {
    let mut parts = Vec::new();
    if !t.elements.is_empty() {
        parts.push(format!("with {}", join_words(&t.elements)));
    }
    if !t.animations.is_empty() {
        parts.push(format!("animated with {}", join_words(&t.animations)));
    }
    if !t.colors.is_empty() {
        parts.push(format!("in {}", join_words(&t.colors)));
    }
    if parts.is_empty() {
        return None;
    }
    let style = if t.styles.is_empty() {
        String::new()
    } else {
        format!("{} ", t.styles.join(", "))
    };
    let article = if starts_with_vowel(&style) { "An" } else { "A" };
    Some(format!("{article} {style}scene {}", parts.join(", ")))
}

fn starts_with_vowel(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c))
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Keep acronyms ("AI search") as written.
        Some(first) if !chars.clone().next().is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

/// "a", "a and b", "a, b and c".
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Source;
    use crate::prompts::Prompt;

    fn set(additions: &[Prompt], curated: &[Prompt]) -> TemplatePrompts {
        TemplatePrompts {
            additions: additions.to_vec(),
            curated: curated.to_vec(),
            generated: Vec::new(),
        }
    }

    fn template(formats: &[VideoFormat]) -> Template {
        Template {
            id: "orbit".into(),
            name: "Orbit".into(),
            source: Source::Unspecified,
            duration: Some(120),
            supported_formats: formats.to_vec(),
            keywords: vec![],
            descriptions: vec!["Logo orbiting rings".into()],
            user_phrases: vec!["spinning logo intro".into()],
            categories: vec![],
            styles: vec!["elegant".into()],
            use_cases: vec!["product launch".into()],
            animations: vec!["spring scale-in".into()],
            elements: vec!["a logo".into(), "rings".into()],
            colors: vec!["navy".into(), "gold".into()],
            similar_to: vec![],
            complexity: None,
            primary_use: "Animated logo reveal".into(),
            at: Location::line("c.json", 1),
        }
    }

    fn prompt(text: &str, hint: Option<VideoFormat>, line: usize) -> Prompt {
        Prompt {
            text: text.into(),
            hint,
            at: Location::line("p.jsonl", line),
        }
    }

    fn show(l: &Location) -> String {
        l.to_string()
    }

    #[test]
    fn every_brief_states_a_supported_format_and_the_duration() {
        let t = template(&[VideoFormat::Landscape, VideoFormat::Square]);
        let curated = [
            prompt("Logo intro", None, 1),
            prompt("Wide logo", Some(VideoFormat::Landscape), 2),
        ];
        let b = briefs_for(&t, 120, 30, &set(&[], &curated), (6, 8), &show);
        assert_eq!(b.briefs.len(), 2);
        assert!(!b.synthesized);
        assert_eq!(
            b.briefs[1].text,
            "Wide logo.\n\nFormat: landscape (1920x1080). Duration: 4 seconds (120 frames)."
        );
        for brief in &b.briefs {
            assert!(t.supported_formats.contains(&brief.format));
            assert!(brief.text.contains(&format!("Format: {}", brief.format)));
        }
    }

    #[test]
    fn unsupported_hints_are_gated_and_synthesis_fills_in() {
        let t = template(&[VideoFormat::Landscape]);
        let curated = [prompt("Tall logo", Some(VideoFormat::Portrait), 7)];
        let b = briefs_for(&t, 120, 30, &set(&[], &curated), (10, 8), &show);
        assert_eq!(
            b.gated,
            vec![GatedPrompt {
                template_id: "orbit".into(),
                format: VideoFormat::Portrait,
                at: "p.jsonl:7".into(),
                location: Some(curated[0].at.clone()),
            }]
        );
        assert!(b.synthesized);
        let variants: Vec<&str> = b.briefs.iter().map(|b| b.variant.as_str()).collect();
        assert_eq!(
            variants,
            ["base", "description-1", "phrase-1", "usecase-1", "detail"]
        );
        assert!(b.briefs[3]
            .text
            .starts_with("Product launch: animated logo reveal."));
        assert!(b.briefs[4].text.starts_with("An elegant scene with a logo and rings, animated with spring scale-in, in navy and gold."));
        assert!(b.briefs.iter().all(|b| b.format == VideoFormat::Landscape));
    }

    #[test]
    fn overrides_come_first_and_the_cap_holds() {
        let t = template(&[VideoFormat::Square]);
        let curated = [prompt("A", None, 1), prompt("B", None, 2)];
        let overrides = [prompt("O", None, 9)];
        let b = briefs_for(&t, 90, 30, &set(&overrides, &curated), (2, 8), &show);
        let variants: Vec<&str> = b.briefs.iter().map(|b| b.variant.as_str()).collect();
        assert_eq!(variants, ["override-1", "curated-1"]);
    }

    #[test]
    fn generated_briefs_have_a_cap_of_their_own_and_displace_no_curated_one() {
        let t = template(&[VideoFormat::Square]);
        let curated = [prompt("A", None, 1), prompt("B", None, 2)];
        let mut prompts = set(&[], &curated);
        prompts.generated = vec![
            prompt("G1", None, 1),
            prompt("G2", None, 2),
            prompt("G3", None, 3),
        ];
        let b = briefs_for(&t, 90, 30, &prompts, (2, 2), &show);
        let variants: Vec<&str> = b.briefs.iter().map(|b| b.variant.as_str()).collect();
        assert_eq!(
            variants,
            ["curated-1", "curated-2", "generated-1", "generated-2"]
        );
        assert_eq!(b.briefs[2].origin.kind(), PromptOrigin::Generated);
        assert!(!b.synthesized);
    }

    #[test]
    fn unhinted_prompts_go_to_the_formats_hinted_ones_leave_uncovered() {
        let all = [
            VideoFormat::Landscape,
            VideoFormat::Portrait,
            VideoFormat::Square,
        ];
        let t = template(&all);
        let curated = [
            prompt("Wide one", Some(VideoFormat::Landscape), 1),
            prompt("Wide two", Some(VideoFormat::Landscape), 2),
            prompt("Any one", None, 3),
            prompt("Any two", None, 4),
        ];
        let b = briefs_for(&t, 90, 30, &set(&[], &curated), (6, 8), &show);
        let formats: Vec<VideoFormat> = b.briefs.iter().map(|b| b.format).collect();
        assert_eq!(
            &formats[..2],
            [VideoFormat::Landscape, VideoFormat::Landscape]
        );
        let mut rest = formats[2..].to_vec();
        rest.sort();
        assert_eq!(rest, [VideoFormat::Portrait, VideoFormat::Square]);
    }
}
