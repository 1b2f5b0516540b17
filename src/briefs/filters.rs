//! What a generated brief must be to be kept: a brief (not code), of a sane length, true to its
//! template's code, and new.
//!
//! Takes one brief as a model wrote it and the facts of its template (the formats it supports,
//! the duration its code exports, its existing prompts and the briefs kept so far); gives the brief
//! to keep (with the format it names, if any) or the [`Drop`] reason. Measuring (which formats and
//! durations a brief states, how alike two briefs are) is separate from deciding, so each measure
//! is tested on its own.
//!
//! The similarity is ROUGE-L's F-measure on lower-cased words (the longest common subsequence),
//! as Self-Instruct uses it: a brief at [`NEAR_COPY`] (0.7) or more with an existing prompt of its
//! template or a brief kept before it is a near-copy.

use serde::Serialize;

pub use crate::prompts::normalize as normalized;
use crate::video::VideoFormat;

/// ROUGE-L F-measure at or above which a brief is a near-copy (Self-Instruct's threshold).
pub const NEAR_COPY: f64 = 0.7;
/// Fewest words a brief has.
pub const MIN_WORDS: usize = 3;
/// Most words a brief has (three long sentences).
pub const MAX_WORDS: usize = 120;
/// Most characters a brief has.
pub const MAX_CHARS: usize = 800;
/// A stated duration within this many seconds of the code's is the code's (rounding).
pub const DURATION_TOLERANCE: f64 = 0.5;

/// Why a generated brief, request or line was not kept (stable names, as `--json` prints them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Drop {
    /// A results line that is not JSON or not a batch output line.
    UnreadableLine,
    /// A request whose `custom_id` names no template of this project.
    UnknownTemplate,
    /// A request that failed (its last attempt, when it was retried).
    FailedRequest,
    /// A reply without content (a refusal, or cut before any).
    Refused,
    /// A reply that is not a JSON array of strings (fenced or not) or `{"briefs": [...]}`.
    UnreadableReply,
    /// An element of the array that is not a string.
    NotText,
    /// Code: a fence, or a line that reads as code.
    Code,
    /// Fewer than [`MIN_WORDS`] words.
    TooShort,
    /// More than [`MAX_WORDS`] words or [`MAX_CHARS`] characters.
    TooLong,
    /// It names a format the template does not support.
    UnsupportedFormat,
    /// It names more than one format (the brief's appended format would contradict one).
    SeveralFormats,
    /// It states a duration that is not the code's.
    WrongDuration,
    /// The same words as an existing prompt or a kept brief (case, spacing and final punctuation
    /// aside), of this template or another.
    Duplicate,
    /// ROUGE-L ≥ [`NEAR_COPY`] with an existing prompt of its template or a kept brief.
    NearCopy,
    /// Past the most briefs checked for one template (a bound on the work a results file makes).
    OverCap,
}

impl Drop {
    /// The stable name (as `--json` prints it).
    pub fn name(self) -> &'static str {
        match self {
            Drop::UnreadableLine => "unreadable_line",
            Drop::UnknownTemplate => "unknown_template",
            Drop::FailedRequest => "failed_request",
            Drop::Refused => "refused",
            Drop::UnreadableReply => "unreadable_reply",
            Drop::NotText => "not_text",
            Drop::Code => "code",
            Drop::TooShort => "too_short",
            Drop::TooLong => "too_long",
            Drop::UnsupportedFormat => "unsupported_format",
            Drop::SeveralFormats => "several_formats",
            Drop::WrongDuration => "wrong_duration",
            Drop::Duplicate => "duplicate",
            Drop::NearCopy => "near_copy",
            Drop::OverCap => "over_cap",
        }
    }

    /// What the reason means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Drop::UnreadableLine => "the line is not a batch output line",
            Drop::UnknownTemplate => "its custom_id names no template of this project",
            Drop::FailedRequest => "the request failed",
            Drop::Refused => "the reply has no content",
            Drop::UnreadableReply => "the reply is not a JSON array of strings",
            Drop::NotText => "an element of the reply is not a string",
            Drop::Code => "it is code, not a brief",
            Drop::TooShort => "fewer than 3 words",
            Drop::TooLong => "more than 120 words or 800 characters",
            Drop::UnsupportedFormat => "it names a format the template does not support",
            Drop::SeveralFormats => "it names more than one format",
            Drop::WrongDuration => "it states a duration the code does not export",
            Drop::Duplicate => "the same words as an existing prompt or a kept brief",
            Drop::NearCopy => "a near-copy (ROUGE-L >= 0.7) of an existing prompt or a kept brief",
            Drop::OverCap => "past the 400 briefs checked for one template",
        }
    }
}

/// What is known of a template when its briefs are checked.
pub struct Facts<'a> {
    pub formats: &'a [VideoFormat],
    /// Frames its code exports, and the frame rate.
    pub frames: u32,
    pub fps: u32,
}

/// Check `brief` (already trimmed) against its template's facts: the format it names, if one, or
/// why it is dropped. Novelty is checked apart ([`Novelty`]).
pub fn check(brief: &str, facts: &Facts<'_>) -> Result<Option<VideoFormat>, Drop> {
    if looks_like_code(brief) {
        return Err(Drop::Code);
    }
    let words = brief.split_whitespace().count();
    if words < MIN_WORDS {
        return Err(Drop::TooShort);
    }
    if words > MAX_WORDS || brief.chars().count() > MAX_CHARS {
        return Err(Drop::TooLong);
    }
    let mut named = formats_named(brief);
    // A leading phrase the curated prompts' reader takes as a hint ("vertical video …") names
    // its format too; a `format:` token it cannot read is no brief a user types.
    match crate::prompts::format::split_hint(brief) {
        Ok(hinted) => named.extend(hinted.hint.filter(|h| !named.contains(h))),
        Err(_) => return Err(Drop::UnsupportedFormat),
    }
    if named.iter().any(|f| !facts.formats.contains(f)) {
        return Err(Drop::UnsupportedFormat);
    }
    if named.len() > 1 {
        return Err(Drop::SeveralFormats);
    }
    let seconds = f64::from(facts.frames) / f64::from(facts.fps.max(1));
    for stated in durations_stated(brief, facts.fps) {
        if (stated - seconds).abs() > DURATION_TOLERANCE + 1e-9 {
            return Err(Drop::WrongDuration);
        }
    }
    Ok(named.first().copied())
}

/// A fence, or a line that reads as code: a statement keyword at its start, an arrow function, a
/// JSX tag, or a line ending in `;`, `{` or `}`.
pub fn looks_like_code(text: &str) -> bool {
    if text.contains("```") {
        return true;
    }
    text.lines().any(|line| {
        let line = line.trim();
        const STARTS: [&str; 7] = [
            "import ",
            "export ",
            "const ",
            "let ",
            "function ",
            "return ",
            "<",
        ];
        STARTS.iter().any(|s| line.starts_with(s))
            || line.contains("=>")
            || line.contains("</")
            || line.contains("/>")
            || line.ends_with([';', '{', '}'])
    })
}

/// Lower-cased words (letters, digits, and `:`/`x`/`×` inside numbers, so `16:9` and `1080x1920`
/// stay one word).
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joins_numbers = matches!(c, ':' | '×' | '.')
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() || joins_numbers {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Words that name a format wherever they are.
const FORMAT_WORDS: [(&str, VideoFormat); 10] = [
    ("16:9", VideoFormat::Landscape),
    ("1920x1080", VideoFormat::Landscape),
    ("1920×1080", VideoFormat::Landscape),
    ("widescreen", VideoFormat::Landscape),
    ("9:16", VideoFormat::Portrait),
    ("1080x1920", VideoFormat::Portrait),
    ("1080×1920", VideoFormat::Portrait),
    ("tiktok", VideoFormat::Portrait),
    ("1:1", VideoFormat::Square),
    ("1080x1080", VideoFormat::Square),
];
/// Words that name a format only beside a word about the frame ("a portrait video", "in
/// portrait"): "a portrait of the founder" or "rotating squares" name none.
const SHAPE_WORDS: [(&str, VideoFormat); 5] = [
    ("landscape", VideoFormat::Landscape),
    ("horizontal", VideoFormat::Landscape),
    ("portrait", VideoFormat::Portrait),
    ("vertical", VideoFormat::Portrait),
    ("square", VideoFormat::Square),
];
const FRAME_WORDS: [&str; 12] = [
    "format",
    "mode",
    "video",
    "videos",
    "orientation",
    "layout",
    "version",
    "canvas",
    "aspect",
    "frame",
    "post",
    "clip",
];

/// The formats `text` names, each once, in the order named.
pub fn formats_named(text: &str) -> Vec<VideoFormat> {
    let words = words(text);
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let strong = FORMAT_WORDS
            .iter()
            .find(|(w, _)| w == word)
            .map(|&(_, f)| f);
        let shaped = SHAPE_WORDS
            .iter()
            .find(|(w, _)| w == word)
            .filter(|_| {
                let next = words.get(i + 1).map(String::as_str);
                let before = i.checked_sub(1).map(|j| words[j].as_str());
                next.is_some_and(|n| FRAME_WORDS.contains(&n)) || before == Some("in")
            })
            .map(|&(_, f)| f);
        if let Some(format) = strong.or(shaped) {
            if !out.contains(&format) {
                out.push(format);
            }
        }
    }
    out
}

/// Number words a brief may spell a duration with.
const NUMBER_WORDS: [(&str, f64); 16] = [
    ("one", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("twelve", 12.0),
    ("fifteen", 15.0),
    ("twenty", 20.0),
    ("thirty", 30.0),
    ("forty", 40.0),
    ("sixty", 60.0),
];

/// The durations `text` states, in seconds: a number (digits or a word) followed by a unit of
/// time (`5s`, `5 sec`, `five-second`, `120 frames` at `fps`, `1.5 minutes`).
pub fn durations_stated(text: &str, fps: u32) -> Vec<f64> {
    // "5s" and "10sec" are split into the number and its unit first.
    let mut spaced = String::with_capacity(text.len() + 8);
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if previous.is_some_and(|p| p.is_ascii_digit()) && c.is_alphabetic() {
            spaced.push(' ');
        }
        spaced.push(c);
        previous = Some(c);
    }
    let words = words(&spaced);
    let mut out = Vec::new();
    for pair in words.windows(2) {
        let number = pair[0].parse::<f64>().ok().or_else(|| {
            NUMBER_WORDS
                .iter()
                .find(|(w, _)| *w == pair[0])
                .map(|&(_, n)| n)
        });
        let Some(number) = number.filter(|n| n.is_finite()) else {
            continue;
        };
        let seconds = match pair[1].as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => number,
            "min" | "mins" | "minute" | "minutes" => number * 60.0,
            "frame" | "frames" => number / f64::from(fps.max(1)),
            _ => continue,
        };
        out.push(seconds);
    }
    out
}

/// ROUGE-L F-measure of two texts' lower-cased words: 2·P·R / (P + R) with P and R the longest
/// common subsequence over each text's length (0 when either is empty).
pub fn rouge_l(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    // One row of the LCS table at a time.
    let mut row = vec![0usize; b.len() + 1];
    for x in &a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    let lcs = row[b.len()] as f64;
    if lcs == 0.0 {
        return 0.0;
    }
    let (p, r) = (lcs / a.len() as f64, lcs / b.len() as f64);
    2.0 * p * r / (p + r)
}

/// A template's prompts and kept briefs, which every next brief must differ from: each text with
/// its duplicate key, made once.
#[derive(Default)]
pub struct Novelty {
    texts: Vec<(String, String)>,
}

impl Novelty {
    /// Start from the template's existing prompts.
    pub fn new(existing: impl IntoIterator<Item = String>) -> Self {
        Novelty {
            texts: existing.into_iter().map(|t| (normalized(&t), t)).collect(),
        }
    }

    /// Whether `brief` is new (then it is remembered), or why not.
    pub fn admit(&mut self, brief: &str) -> Result<(), Drop> {
        let key = normalized(brief);
        if self.texts.iter().any(|(k, _)| *k == key) {
            return Err(Drop::Duplicate);
        }
        if self
            .texts
            .iter()
            .any(|(_, t)| rouge_l(t, brief) >= NEAR_COPY)
        {
            return Err(Drop::NearCopy);
        }
        self.texts.push((key, brief.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: Facts<'static> = Facts {
        formats: &[VideoFormat::Landscape, VideoFormat::Square],
        frames: 120,
        fps: 30,
    };

    #[test]
    fn each_reason_fires_on_its_own_case() {
        let cases: [(&str, Result<Option<VideoFormat>, Drop>); 12] = [
            (
                "A bold countdown for a product launch, big digits on navy",
                Ok(None),
            ),
            ("```json\n[\"x\"]\n```", Err(Drop::Code)),
            ("const x = 1;", Err(Drop::Code)),
            ("Show <AbsoluteFill /> with text", Err(Drop::Code)),
            ("Countdown please", Err(Drop::TooShort)),
            (&"word ".repeat(121), Err(Drop::TooLong)),
            (
                "A vertical video countdown for stories",
                Err(Drop::UnsupportedFormat),
            ),
            ("Countdown in 9:16 for reels", Err(Drop::UnsupportedFormat)),
            (
                "A square post countdown, also widescreen",
                Err(Drop::SeveralFormats),
            ),
            (
                "A 10-second countdown with big digits",
                Err(Drop::WrongDuration),
            ),
            (
                "A 4 second countdown, square format",
                Ok(Some(VideoFormat::Square)),
            ),
            (
                "A 120 frames long widescreen countdown",
                Ok(Some(VideoFormat::Landscape)),
            ),
        ];
        for (brief, expected) in cases {
            assert_eq!(check(brief.trim(), &FACTS), expected, "{brief}");
        }
    }

    #[test]
    fn shape_words_name_a_format_only_beside_a_frame_word() {
        assert_eq!(formats_named("a portrait of the founder"), []);
        assert_eq!(formats_named("rotating squares and a square logo"), []);
        assert_eq!(
            formats_named("in portrait, please"),
            [VideoFormat::Portrait]
        );
        assert_eq!(
            formats_named("a landscape video of hills"),
            [VideoFormat::Landscape]
        );
        assert_eq!(
            formats_named("16:9 or 1:1"),
            [VideoFormat::Landscape, VideoFormat::Square]
        );
    }

    #[test]
    fn durations_are_read_in_every_spelling() {
        assert_eq!(durations_stated("a 5s intro", 30), [5.0]);
        assert_eq!(durations_stated("five-second intro", 30), [5.0]);
        assert_eq!(durations_stated("1.5 minutes long", 30), [90.0]);
        assert_eq!(durations_stated("90 frames", 30), [3.0]);
        assert_eq!(
            durations_stated("3 bullet points and 2 logos", 30),
            Vec::<f64>::new()
        );
        // Within rounding: 4.4 s is the code's 4 s.
        assert!(check("A 4.4 second logo sting", &FACTS).is_ok());
        assert_eq!(
            check("A 4.6 second logo sting", &FACTS),
            Err(Drop::WrongDuration)
        );
    }

    #[test]
    fn rouge_l_matches_hand_computed_values() {
        assert_eq!(rouge_l("a b c d", "a b c d"), 1.0);
        assert_eq!(rouge_l("a b", "c d"), 0.0);
        assert_eq!(rouge_l("", "a"), 0.0);
        // LCS "a c d" = 3: P = 3/4, R = 3/5, F = 2/3.
        let f = rouge_l("a b c d", "a c x d y");
        assert!((f - 2.0 / 3.0).abs() < 1e-12, "{f}");
        // Order matters: a reversed sentence shares a subsequence of one word.
        assert!((rouge_l("a b c", "c b a") - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn novelty_drops_duplicates_and_near_copies_and_keeps_the_rest() {
        let mut novelty = Novelty::new(["Big digits countdown timer for a launch".to_string()]);
        assert_eq!(
            novelty.admit("big digits countdown timer for a launch!"),
            Err(Drop::Duplicate)
        );
        // One word changed: LCS 6 of 7 words.
        assert_eq!(
            novelty.admit("Big digits countdown clock for a launch"),
            Err(Drop::NearCopy)
        );
        assert_eq!(
            novelty.admit("A calm fade between two product photos"),
            Ok(())
        );
        // Kept briefs count too.
        assert_eq!(
            novelty.admit("A calm fade between two product photos, please"),
            Err(Drop::NearCopy)
        );
    }

    /// The threshold on the starter's curated prompts (README, "Briefs from a model"): how many
    /// pairs of one template's prompts it would call near-copies, and how alike the closest are.
    #[test]
    fn the_threshold_merges_none_of_the_starters_curated_prompts() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/starter/prompts");
        let mut by_template: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for file in [
            "metadata_prompt_dataset.jsonl",
            "metadata_finetune_dataset.jsonl",
        ] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            for line in text.lines() {
                let Ok((crate::prompts::Target::Id(id), prompt)) =
                    crate::prompts::curated::parse_line(line)
                else {
                    continue;
                };
                let Ok(hinted) = crate::prompts::format::split_hint(&prompt) else {
                    continue;
                };
                by_template.entry(id).or_default().push(hinted.text);
            }
        }
        // Every pair of distinct prompts (exact repeats aside: build drops those already), of one
        // template and of any two.
        let all: Vec<(&String, &String)> = by_template
            .iter()
            .flat_map(|(id, prompts)| prompts.iter().map(move |p| (id, p)))
            .collect();
        let (mut same, mut any) = ((0, 0, 0.0f64), (0, 0, 0.0f64));
        for (i, (id_a, a)) in all.iter().enumerate() {
            for (id_b, b) in &all[i + 1..] {
                if normalized(a) == normalized(b) {
                    continue;
                }
                let f = rouge_l(a, b);
                for (tally, counts) in [(&mut any, true), (&mut same, id_a == id_b)] {
                    if counts {
                        tally.0 += 1;
                        tally.1 += usize::from(f >= NEAR_COPY);
                        tally.2 = tally.2.max(f);
                    }
                }
            }
        }
        println!("one template: {same:?}; any two: {any:?}");
        // 10 pairs of one template's prompts, 189 of any two: none at the threshold, the closest
        // 0.235 and 0.308 (a one-word change of a 7-word prompt is 0.857).
        assert_eq!((same.0, same.1, any.0, any.1), (10, 0, 189, 0));
        assert!((same.2 - 0.235).abs() < 0.001 && (any.2 - 0.308).abs() < 0.001);
    }
}
