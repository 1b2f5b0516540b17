//! One training example: what `build` writes and what every reader reads back.
//!
//! Takes a template, its gated code, one brief and the split; gives the JSON lines written to
//! `{split}.jsonl` (messages and meta), `{split}.upload.jsonl` (messages only) and
//! `{split}.meta.jsonl` (meta only). [`LineRenderer`] renders the full line once per example, the
//! code copied into it from where the build keeps it, and the two sidecar lines are cut from that
//! line's bytes ([`LineSpan`]). The same [`Meta`], [`Message`] and [`Key`] types read
//! the lines back ([`ExampleLine`]).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::catalog::Template;
use crate::code::spill::Spill;
use crate::code::{CodeFrom, TemplateCode};
use crate::error::{Error, Result};
use crate::prompts::brief::{Brief, PromptOrigin};
use crate::split::Split;
use crate::tokens::chat_template::ModelCount;
use crate::video::{DurationFrom, VideoFormat};

/// An example as the examples stage makes it: references into the catalog and code, its brief, its
/// duration and its billed tokens; not yet placed in a split ([`Draft::place`] does that).
#[derive(Debug)]
pub struct Draft<'a> {
    /// The catalog entry.
    pub template: &'a Template,
    /// Its gated code (the assistant message).
    pub code: &'a TemplateCode,
    /// The brief (the user message), held by its template's record.
    pub brief: &'a Brief,
    /// The duration the brief states, in frames.
    pub duration: u32,
    /// Where that duration came from.
    pub duration_from: DurationFrom,
    /// Billed tokens of the whole example.
    pub tokens: usize,
    /// Billed tokens of the assistant message alone.
    pub assistant_tokens: usize,
}

/// An example placed in its split: what is written. Made by [`Draft::place`].
#[derive(Debug)]
pub struct Example<'a> {
    /// What the examples stage made. Boxed: placing every draft in its split then moves a pointer,
    /// and the examples are not held twice (drafts and examples) at the build's peak.
    pub draft: Box<Draft<'a>>,
    /// The split it is in.
    pub split: Split,
    /// The key of the template's near-copy cluster (its smallest template id).
    pub cluster: &'a str,
    /// Lengths under the build's model tokenizers, each with its tokenizer's name; none until the
    /// lengths stage counts them (and none at all without `tokens.tokenizer`).
    pub model_tokens: Vec<(Arc<str>, ModelCount)>,
}

impl<'a> Draft<'a> {
    /// The example this draft is, in `split`, its template in near-copy cluster `cluster`.
    pub fn place(self: Box<Self>, split: Split, cluster: &'a str) -> Example<'a> {
        Example {
            draft: self,
            split,
            cluster,
            model_tokens: Vec::new(),
        }
    }

    /// [`Example::key`], before the example is placed.
    pub fn key(&self) -> Key {
        Key {
            template_id: self.template.id.clone(),
            prompt_variant: self.brief.variant.clone(),
            format: self.brief.format,
        }
    }

    /// [`Example::key_parts`], before the example is placed.
    pub fn key_parts(&self) -> [&str; 3] {
        [
            &self.template.id,
            &self.brief.variant,
            self.brief.format.name(),
        ]
    }
}

impl Example<'_> {
    /// The identity of an example across builds: template, prompt variant, format.
    pub fn key(&self) -> Key {
        self.draft.key()
    }

    /// [`Example::key`]'s parts, borrowed, for hashing without allocating.
    pub fn key_parts(&self) -> [&str; 3] {
        self.draft.key_parts()
    }
}

/// An example's identity across versions: template id, prompt variant, format.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    /// The template's id.
    pub template_id: String,
    /// The prompt variant (`curated-1`, `override-1`, `base`, `phrase-1`, …).
    pub prompt_variant: String,
    /// The video format the brief asks for.
    pub format: VideoFormat,
}

impl Key {
    /// The example's id, `template/variant/format`: its Batch API `custom_id`, and how `eval`,
    /// `diff` and every warning name it.
    pub fn id(&self) -> String {
        example_id(&self.template_id, &self.prompt_variant, self.format)
    }
}

/// An example's id from its parts: `template/variant/format` (the one spelling of [`Key::id`]).
pub fn example_id(template_id: &str, prompt_variant: &str, format: impl fmt::Display) -> String {
    format!("{template_id}/{prompt_variant}/{format}")
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The message's text.
    pub content: String,
}

/// The `meta` object. Field names are part of the output format (README). Borrowed when written,
/// owned when read; fields a reader of older versions may not find default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta<'a> {
    /// The template's id.
    pub template_id: Cow<'a, str>,
    /// The template's display name.
    #[serde(default)]
    pub template_name: Cow<'a, str>,
    /// Its production database id, if it has one.
    #[serde(default)]
    pub db_id: Option<Cow<'a, str>>,
    /// The duration the brief states, in frames.
    #[serde(default)]
    pub duration: u32,
    /// `code`, `catalog` or `default`: where `duration` came from (absent in older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_source: Option<DurationFrom>,
    /// Frames per second (`video.fps`).
    #[serde(default)]
    pub fps: u32,
    /// The formats the template supports.
    #[serde(default)]
    pub supported_formats: Cow<'a, [VideoFormat]>,
    /// The format the brief asks for.
    pub format: VideoFormat,
    /// The prompt variant.
    pub prompt_variant: Cow<'a, str>,
    /// Whether the brief is curated, synthesized or a prompt addition.
    pub prompt_origin: PromptOrigin,
    /// Where its wording came from (`prompts/x.jsonl:3`, `catalog:primaryUse`).
    #[serde(default)]
    pub prompt_source: Cow<'a, str>,
    /// SHA-256 of the code.
    pub code_sha256: Cow<'a, str>,
    /// `store` or `override` (absent in older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_origin: Option<CodeFrom>,
    /// The split the line is in.
    pub split: Split,
    /// The near-copy cluster (its smallest template id; the template's own id when alone).
    #[serde(default)]
    pub cluster: Cow<'a, str>,
    /// Billed tokens of the whole example (the build's model).
    #[serde(default)]
    pub tokens: usize,
    /// Billed tokens of the assistant message alone.
    #[serde(default)]
    pub assistant_tokens: usize,
    /// Rendered-chat-template lengths under each model tokenizer, by tokenizer name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_tokens: BTreeMap<Cow<'a, str>, ModelCount>,
}

impl Meta<'_> {
    /// The example's identity: template, prompt variant, format.
    pub fn key(&self) -> Key {
        Key {
            template_id: self.template_id.to_string(),
            prompt_variant: self.prompt_variant.to_string(),
            format: self.format,
        }
    }
}

/// A full example line as read back: messages and meta.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExampleLine {
    /// The chat messages.
    pub messages: Vec<Message>,
    /// Its metadata.
    pub meta: Meta<'static>,
}

impl ExampleLine {
    /// The content of the first message with `role` ("" if none).
    pub fn content(&self, role: &str) -> &str {
        self.messages
            .iter()
            .find(|m| m.role == role)
            .map_or("", |m| m.content.as_str())
    }
}

/// What every line of a build is rendered with, the same for each example.
#[derive(Debug, Clone, Copy)]
pub struct LineSettings<'a> {
    /// The system message as a JSON string literal, escaped once per build.
    pub system_json: &'a [u8],
    /// Frames per second (`video.fps`).
    pub fps: u32,
    /// The folder meta `promptSource` paths are relative to (the config's).
    pub base_dir: &'a std::path::Path,
}

/// Where a full line rendered by [`LineRenderer::render`] lies in its buffer, and where its
/// messages end: the upload and meta sidecar lines are cut from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    start: usize,
    messages_end: usize,
    end: usize,
}

/// Between a full line's messages array and its meta object.
const META_KEY: &[u8] = b",\"meta\":";
/// The end of every line.
const LINE_END: &[u8] = b"}\n";

impl LineSpan {
    /// `{"messages":[…],"meta":{…}}\n`: the line of `{split}.jsonl`.
    pub fn full<'b>(&self, bytes: &'b [u8]) -> &'b [u8] {
        &bytes[self.start..self.end]
    }

    /// `{"messages":[…]}\n`, the line of `{split}.upload.jsonl`, in two pieces: the full line's
    /// messages, and the line's end. Written as they are, without copying them together.
    pub fn upload<'b>(&self, bytes: &'b [u8]) -> [&'b [u8]; 2] {
        [&bytes[self.start..self.messages_end], LINE_END]
    }

    /// `{"meta":{…}}\n`: the line of `{split}.meta.jsonl`.
    pub fn write_meta(&self, bytes: &[u8], out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(b"{\"meta\":")?;
        out.write_all(&bytes[self.messages_end + META_KEY.len()..self.end - LINE_END.len()])?;
        out.write_all(LINE_END)
    }
}

/// Renders example lines; one per writer thread (it keeps a buffer between lines).
#[derive(Default)]
pub struct LineRenderer {
    /// Meta `promptSource`, made here per example (in a reused buffer) rather than held by each
    /// draft until written.
    prompt_source: String,
    /// The code of the example being rendered, when it is read from the spill file.
    code: Vec<u8>,
}

impl LineRenderer {
    /// Append `example`'s full line to `out`: its messages (the code from where the build keeps
    /// it: `spill`, or memory) and its meta object. The bytes equal serde_json's compact form
    /// of an [`ExampleLine`]; the sidecar lines are cut from them ([`LineSpan`]).
    pub fn render(
        &mut self,
        example: &Example<'_>,
        spill: Option<&Spill>,
        settings: &LineSettings<'_>,
        out: &mut Vec<u8>,
    ) -> Result<LineSpan> {
        let made = &example.draft;
        let start = out.len();
        out.extend_from_slice(b"{\"messages\":[{\"role\":\"system\",\"content\":");
        out.extend_from_slice(settings.system_json);
        out.extend_from_slice(b"},{\"role\":\"user\",\"content\":");
        serde_json::to_writer(&mut *out, &made.brief.text)
            .map_err(|e| Error::serialize("an example line", e))?;
        out.extend_from_slice(b"},{\"role\":\"assistant\",\"content\":");
        // Read into this renderer's reused buffer, then copied: reading straight into `out` means
        // zeroing the bytes first (perf showed that memset at 7% of a warm rebuild), and measured
        // no faster than the copy.
        match made.code.escaped(spill, &mut self.code) {
            Ok(code) => out.extend_from_slice(code),
            Err(e) => {
                out.truncate(start);
                let at = spill.map_or(std::path::Path::new("."), Spill::dir);
                return Err(Error::read(at, e));
            }
        }
        out.extend_from_slice(b"}]");
        let messages_end = out.len();
        out.extend_from_slice(META_KEY);
        self.prompt_source.clear();
        made.brief
            .origin
            .write_source(settings.base_dir, &mut self.prompt_source);
        let meta = Meta {
            template_id: Cow::Borrowed(&made.template.id),
            template_name: Cow::Borrowed(&made.template.name),
            db_id: made.template.db_id().map(Cow::Borrowed),
            duration: made.duration,
            duration_source: Some(made.duration_from),
            fps: settings.fps,
            supported_formats: Cow::Borrowed(&made.template.supported_formats),
            format: made.brief.format,
            prompt_variant: Cow::Borrowed(&made.brief.variant),
            prompt_origin: made.brief.origin.kind(),
            prompt_source: Cow::Borrowed(&self.prompt_source),
            code_sha256: Cow::Owned(made.code.sha256.hex()),
            code_origin: Some(made.code.origin.kind()),
            split: example.split,
            cluster: Cow::Borrowed(example.cluster),
            tokens: made.tokens,
            assistant_tokens: made.assistant_tokens,
            model_tokens: example
                .model_tokens
                .iter()
                .map(|(name, count)| (Cow::Borrowed(&**name), *count))
                .collect(),
        };
        serde_json::to_writer(&mut *out, &meta)
            .map_err(|e| Error::serialize("an example line", e))?;
        out.extend_from_slice(LINE_END);
        Ok(LineSpan {
            start,
            messages_end,
            end: out.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Template;
    use crate::code::CodeOrigin;
    use crate::prompts::brief::BriefOrigin;

    #[test]
    fn hand_assembled_lines_equal_serde_output() {
        let template = Template::for_tests();
        let code = TemplateCode::new(
            "const a = \"\\u{1b}\\t\";\n// «»\nexport default a;\n",
            CodeOrigin::store("k"),
            9,
            crate::code::duration::CodeDuration::NoExport,
        );
        let brief = Brief {
            text: "Say \"hi\"\n\nFormat: square".into(),
            format: VideoFormat::Square,
            variant: "base".into(),
            origin: BriefOrigin::Synthesized("primaryUse"),
        };
        let example = Box::new(Draft {
            template: &template,
            code: &code,
            brief: &brief,
            duration: 30,
            duration_from: DurationFrom::Catalog,
            tokens: 20,
            assistant_tokens: 9,
        })
        .place(Split::Train, "t");
        let system = "You write <TSX> & nothing \"else\"";
        let settings = LineSettings {
            system_json: &crate::code::json_string(system),
            fps: 30,
            base_dir: std::path::Path::new(""),
        };
        // After a line already in the buffer, as in a chunk of lines.
        let mut bytes = b"{}\n".to_vec();
        let line = LineRenderer::default()
            .render(&example, None, &settings, &mut bytes)
            .unwrap();
        assert_eq!(&bytes[..3], b"{}\n");
        // What serde gives for the structs these lines used to be serialized from.
        #[derive(serde::Serialize)]
        struct Message<'a> {
            role: &'a str,
            content: &'a str,
        }
        let code_text = code.text().unwrap();
        let messages = [
            Message {
                role: "system",
                content: system,
            },
            Message {
                role: "user",
                content: &example.draft.brief.text,
            },
            Message {
                role: "assistant",
                content: &code_text,
            },
        ];
        // The meta object read back and written again by serde, in its struct's field order.
        let full: ExampleLine = serde_json::from_slice(line.full(&bytes)).unwrap();
        #[derive(serde::Serialize)]
        struct Line<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            messages: Option<&'a [Message<'a>]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            meta: Option<&'a Meta<'a>>,
        }
        let serde_line = |messages, meta| {
            let mut line = serde_json::to_vec(&Line { messages, meta }).unwrap();
            line.push(b'\n');
            line
        };
        assert_eq!(
            line.full(&bytes),
            serde_line(Some(&messages), Some(&full.meta))
        );
        assert_eq!(
            line.upload(&bytes).concat(),
            serde_line(Some(&messages), None)
        );
        let mut meta_line = Vec::new();
        line.write_meta(&bytes, &mut meta_line).unwrap();
        assert_eq!(meta_line, serde_line(None, Some(&full.meta)));
        assert_eq!(full.meta.template_id, example.draft.template.id);
        assert_eq!(full.meta.duration, 30);
    }
}
