//! What `briefs prepare` asks a model for one template: instruction backtranslation.
//!
//! Takes a template that passed the gate (its catalog entry, its code, the duration its code
//! exports) and a few of its prompts; gives the system and user messages of its request: write N
//! briefs a user of the host app would type to get exactly this scene, of varied length and
//! detail, true to the code, as a JSON array of strings.

use crate::pipeline::GatedTemplate;
use crate::video::describe_duration;

/// Existing prompts shown as style examples, at most.
pub const STYLE_EXAMPLES: usize = 5;

/// The system message of every request.
pub const SYSTEM: &str = "You write the requests that users of a video app type to get a scene made. You answer with a JSON array of strings and nothing else.";

/// The user message for `t`, asking for `n` briefs.
pub fn user_message(t: &GatedTemplate<'_>, fps: u32, n: usize) -> String {
    let template = t.template;
    let formats: Vec<String> = template
        .supported_formats
        .iter()
        .map(|f| {
            let (w, h) = f.size();
            format!("{f} ({w}x{h})")
        })
        .collect();
    let duration = describe_duration(t.duration, fps);
    let mut out = String::new();
    out.push_str(&format!("Template: {} ({})\n", template.name, template.id));
    if !template.primary_use.is_empty() {
        out.push_str(&format!("What it is for: {}\n", template.primary_use));
    }
    for (label, items) in [
        ("Descriptions", &template.descriptions),
        ("Use cases", &template.use_cases),
        ("Styles", &template.styles),
        ("Elements", &template.elements),
    ] {
        if !items.is_empty() {
            out.push_str(&format!("{label}: {}\n", items.join("; ")));
        }
    }
    out.push_str(&format!("Formats it renders: {}\n", formats.join(", ")));
    out.push_str(&format!("Duration: {duration}\n"));
    let examples: Vec<&str> = t
        .prompts
        .additions
        .iter()
        .chain(&t.prompts.curated)
        .chain(&t.prompts.generated)
        .map(|p| p.text.as_str())
        .take(STYLE_EXAMPLES)
        .collect();
    if !examples.is_empty() {
        out.push_str("\nHow users have asked for it (style examples, do not repeat them):\n");
        for e in examples {
            out.push_str(&format!("- {e}\n"));
        }
    }
    out.push_str("\nThe scene's code (Remotion, TSX):\n```tsx\n");
    out.push_str(t.code.trim_end());
    out.push_str("\n```\n\n");
    out.push_str(&format!(
        "Write {n} different requests a user of the app would type to get exactly this scene. \
         Vary their length (from a few words to three sentences) and their detail (some name the \
         content, some the mood, some the occasion). Each must be true to the code: name no format \
         other than {}, and if one states a duration, it is {duration}. No code, no markdown, no \
         numbering. Answer with a JSON array of {n} strings only.",
        template
            .supported_formats
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    ));
    out
}
