//! Format hints in prompts, and which format each brief asks for.
//!
//! Takes a prompt as written; gives the format it asks for, if any, and the prompt text a brief
//! should use (`format:` token removed, first letter capitalized). Also picks formats for prompts
//! without a hint, in a rotation that is deterministic per template.

use crate::digest::seeded_hash;
use crate::video::VideoFormat;

/// Leading phrases that mean a format. They stay in the text: they read naturally.
const PHRASES: [(&str, VideoFormat); 6] = [
    ("desktop layout", VideoFormat::Landscape),
    ("wide hero", VideoFormat::Landscape),
    ("mobile layout", VideoFormat::Portrait),
    ("vertical video", VideoFormat::Portrait),
    ("social square", VideoFormat::Square),
    ("1:1 canvas", VideoFormat::Square),
];

/// A prompt split into its format hint and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hinted {
    pub hint: Option<VideoFormat>,
    pub text: String,
}

/// Read the hint off `prompt`. Errors say what is wrong (unknown format name, nothing left).
pub fn split_hint(prompt: &str) -> Result<Hinted, String> {
    let trimmed = prompt.trim();
    let (hint, rest) = match strip_prefix_ignore_case(trimmed, "format:") {
        Some(after) => {
            let name_end = after.find(char::is_whitespace).unwrap_or(after.len());
            let name = &after[..name_end];
            let format = VideoFormat::parse(name).ok_or_else(|| {
                format!("unknown format hint \"format:{name}\" (expected landscape, portrait or square)")
            })?;
            (Some(format), after[name_end..].trim_start())
        }
        None => (phrase_hint(trimmed), trimmed),
    };
    if rest.is_empty() {
        return Err("prompt is empty".into());
    }
    Ok(Hinted {
        hint,
        text: capitalize(rest),
    })
}

fn phrase_hint(text: &str) -> Option<VideoFormat> {
    PHRASES.iter().find_map(|&(phrase, format)| {
        let rest = strip_prefix_ignore_case(text, phrase)?;
        // "wide heroes" is not "wide hero": the phrase must end at a word boundary.
        let boundary = rest.chars().next().is_none_or(|c| !c.is_alphanumeric());
        boundary.then_some(format)
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// First letter upper-cased, the rest untouched. Sized once: a prompt's text is kept until its
/// briefs are written, and a string grown a character at a time can hold twice its length.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let rest = chars.as_str();
    let mut out = String::with_capacity(text.len() + 2);
    out.extend(first.to_uppercase());
    out.push_str(rest);
    out
}

/// The format for the `k`-th prompt without a hint of `template_id`: its supported formats in turn,
/// starting at a per-template offset so that not every template starts with its first format.
pub fn rotate(supported: &[VideoFormat], template_id: &str, k: usize) -> VideoFormat {
    let n = supported.len().max(1);
    let offset = (seeded_hash(0, &[template_id]) % n as u64) as usize;
    supported[(offset + k) % n]
}

/// The format for the `k`-th prompt without a hint of `template_id`, given how many briefs each
/// supported format has so far (`taken`, in `supported`'s order): the least covered, so that a
/// template's briefs reach every format it renders; among equals, [`rotate`]'s order.
pub fn least_covered(
    supported: &[VideoFormat],
    taken: &[usize],
    template_id: &str,
    k: usize,
) -> VideoFormat {
    let n = supported.len().max(1);
    let first = rotate(supported, template_id, k);
    let start = supported.iter().position(|f| *f == first).unwrap_or(0);
    (0..n)
        .map(|i| (start + i) % n)
        .min_by_key(|&i| taken.get(i).copied().unwrap_or(0))
        .map_or(first, |i| supported[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_token_is_stripped_and_text_capitalized() {
        let h = split_hint("format:portrait vertical countdown timer").unwrap();
        assert_eq!(h.hint, Some(VideoFormat::Portrait));
        assert_eq!(h.text, "Vertical countdown timer");
        let h = split_hint("  FORMAT:Square   logo").unwrap();
        assert_eq!(h.hint, Some(VideoFormat::Square));
        assert_eq!(h.text, "Logo");
    }

    #[test]
    fn leading_phrases_hint_but_stay_in_the_text() {
        let h = split_hint("mobile layout countdown with big digits").unwrap();
        assert_eq!(h.hint, Some(VideoFormat::Portrait));
        assert_eq!(h.text, "Mobile layout countdown with big digits");
        assert_eq!(
            split_hint("1:1 canvas quote").unwrap().hint,
            Some(VideoFormat::Square)
        );
        assert_eq!(
            split_hint("Wide hero banner").unwrap().hint,
            Some(VideoFormat::Landscape)
        );
        assert_eq!(split_hint("wide heroes banner").unwrap().hint, None);
        assert_eq!(split_hint("a desktop layout").unwrap().hint, None);
    }

    #[test]
    fn bad_hints_are_explained() {
        assert_eq!(
            split_hint("format:vertical timer").unwrap_err(),
            "unknown format hint \"format:vertical\" (expected landscape, portrait or square)"
        );
        assert_eq!(
            split_hint("format:square   ").unwrap_err(),
            "prompt is empty"
        );
    }

    #[test]
    fn rotation_cycles_through_every_supported_format() {
        let formats = [
            VideoFormat::Landscape,
            VideoFormat::Portrait,
            VideoFormat::Square,
        ];
        let picked: Vec<_> = (0..3).map(|k| rotate(&formats, "t", k)).collect();
        let mut sorted = picked.clone();
        sorted.sort();
        assert_eq!(sorted, formats.to_vec());
        assert_eq!(rotate(&formats, "t", 3), picked[0]);
    }
}
