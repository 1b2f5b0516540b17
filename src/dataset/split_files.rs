//! The nine split files of a version, written by two threads.
//!
//! Takes the staging directory and the examples in split order; gives the manifest records of
//! `{split}.jsonl`, `{split}.upload.jsonl` and `{split}.meta.jsonl` for train, validation and test,
//! in that order. The examples are rendered in chunks of about a MiB of lines, each chunk once:
//! full lines, from which a line's upload and meta sidecar lines are cut. One thread writes the
//! full files, the other the sidecars, and each hashes what it writes; they take turns rendering
//! the chunks and hand each to the other. So the work both files need (reading code back from the
//! spill, escaping briefs, serializing meta) is done once, both cores stay busy, and the full and
//! upload lines are written from the chunk itself, never copied through a write buffer.

use std::ops::Range;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use super::example::{Example, LineRenderer, LineSettings, LineSpan};
use super::writer::{FileRecord, HashedFile, Staging};
use super::SPLIT_FILE_KINDS;
use crate::code::spill::Spill;
use crate::error::{Error, Result};
use crate::split::Split;

/// Write every split file; `on_written(n)` is told as examples are written. The examples' code is
/// read from `spill` (a positioned read per example, from the page cache).
pub fn write_split_files(
    staging: &Staging,
    examples: &[Example<'_>],
    spill: Option<&Spill>,
    settings: &LineSettings<'_>,
    on_written: &(dyn Fn(u64) + Sync),
) -> Result<Vec<FileRecord>> {
    let plan = Plan::new(examples, settings);
    let render = Render {
        plan: &plan,
        spill,
        settings,
    };
    // Each thread sends the chunks it renders to the other.
    let (to_sidecars, from_full) = mpsc::channel();
    let (to_full, from_sidecars) = mpsc::channel();
    let (full, sidecars) = std::thread::scope(|scope| {
        let writer = Writer::new(Lines::Full, &render, to_sidecars, from_sidecars);
        let full = scope.spawn(move || writer.run(staging, on_written));
        let sidecars =
            Writer::new(Lines::Sidecars, &render, to_full, from_full).run(staging, on_written);
        let full = full
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (full, sidecars)
    });
    // A writer that stopped because the other one failed says only that: report the failure.
    let (full, sidecars) = match (full, sidecars) {
        (Err(Error::Cancelled), Err(e)) => return Err(e),
        (full, sidecars) => (full?, sidecars?),
    };
    // Manifest order: per split, the full file, then its upload and meta sidecars.
    let mut files: Vec<FileRecord> = Vec::with_capacity(3 * Split::ALL.len());
    let mut sidecars = sidecars.into_iter();
    for record in full {
        files.push(record);
        files.extend(sidecars.by_ref().take(2));
    }
    Ok(files)
}

/// About how many bytes of lines a chunk holds (one example at least): large enough that a full
/// file is written in few system calls, small enough that the chunks in flight (a few per thread)
/// cost little memory.
const CHUNK_BYTES: usize = 1 << 20;

/// A line's bytes besides its brief and code (meta, keys), for cutting chunks before rendering.
const LINE_OVERHEAD: usize = 512;

/// The examples in the order they are written, cut into chunks that never span two splits.
struct Plan<'e, 'a> {
    examples: Vec<&'e Example<'a>>,
    /// Ranges of `examples`.
    chunks: Vec<Range<usize>>,
    /// Each split, with the range of `chunks` that holds its examples (empty for an empty split,
    /// whose files are still written).
    splits: Vec<(Split, Range<usize>)>,
}

impl<'e, 'a> Plan<'e, 'a> {
    fn new(examples: &'e [Example<'a>], settings: &LineSettings<'_>) -> Self {
        let mut plan = Plan {
            examples: Vec::with_capacity(examples.len()),
            chunks: Vec::new(),
            splits: Vec::with_capacity(Split::ALL.len()),
        };
        for split in Split::ALL {
            let first_chunk = plan.chunks.len();
            let mut start = plan.examples.len();
            let mut bytes = 0;
            for example in examples.iter().filter(|e| e.split == split) {
                plan.examples.push(example);
                bytes += settings.system_json.len()
                    + example.draft.brief.text.len()
                    + example.draft.code.escaped_len()
                    + LINE_OVERHEAD;
                if bytes >= CHUNK_BYTES {
                    plan.chunks.push(start..plan.examples.len());
                    start = plan.examples.len();
                    bytes = 0;
                }
            }
            if start < plan.examples.len() {
                plan.chunks.push(start..plan.examples.len());
            }
            plan.splits.push((split, first_chunk..plan.chunks.len()));
        }
        plan
    }
}

/// Rendered lines: full lines one after another, and where each is.
#[derive(Default)]
struct Chunk {
    bytes: Vec<u8>,
    lines: Vec<LineSpan>,
}

/// What every chunk is rendered from.
struct Render<'r, 'e, 'a> {
    plan: &'r Plan<'e, 'a>,
    spill: Option<&'r Spill>,
    settings: &'r LineSettings<'r>,
}

/// The files a writer thread is responsible for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// `{split}.jsonl`; renders the even chunks.
    Full,
    /// `{split}.upload.jsonl` and `{split}.meta.jsonl`; renders the odd chunks.
    Sidecars,
}

impl Lines {
    fn renders(self, chunk: usize) -> bool {
        chunk.is_multiple_of(2) == (self == Lines::Full)
    }

    /// This thread's files of `split`, new in the staging directory.
    fn create(self, staging: &Staging, split: Split) -> Result<Files> {
        let file = |kind: &str| staging.create(&format!("{}.{kind}", split.name()));
        let [full, upload, meta] = SPLIT_FILE_KINDS;
        Ok(match self {
            Lines::Full => Files::Full(file(full)?),
            Lines::Sidecars => Files::Sidecars {
                upload: file(upload)?,
                meta: file(meta)?,
            },
        })
    }
}

/// A writer thread's open files of one split.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per thread at a time: boxing would only add an allocation"
)]
enum Files {
    Full(HashedFile),
    Sidecars {
        upload: HashedFile,
        meta: HashedFile,
    },
}

impl Files {
    /// The lines of `chunk` these files hold, each file hashing what it is given. The full and
    /// upload lines go to the kernel straight from the chunk (the upload lines' pieces gathered in
    /// one `writev`); the meta lines, a few hundred bytes each, through the file's buffer.
    fn write(&mut self, chunk: &Chunk) -> Result<()> {
        let lines = chunk.lines.len() as u64;
        match self {
            Files::Full(full) => full
                .write_lines(&[&chunk.bytes], lines)
                .map_err(|e| Error::write(full.path(), e)),
            Files::Sidecars { upload, meta } => {
                let pieces: Vec<&[u8]> = chunk
                    .lines
                    .iter()
                    .flat_map(|line| line.upload(&chunk.bytes))
                    .collect();
                upload
                    .write_lines(&pieces, lines)
                    .map_err(|e| Error::write(upload.path(), e))?;
                for line in &chunk.lines {
                    line.write_meta(&chunk.bytes, meta)
                        .map_err(|e| Error::write(meta.path(), e))?;
                }
                Ok(())
            }
        }
    }

    /// Make the files durable; their manifest records, in manifest order.
    fn finish(self, records: &mut Vec<FileRecord>) -> Result<()> {
        match self {
            Files::Full(full) => records.push(full.finish()?),
            Files::Sidecars { upload, meta } => {
                records.push(upload.finish()?);
                records.push(meta.finish()?);
            }
        }
        Ok(())
    }
}

/// How many chunks a thread keeps for reuse once written (rendering into a buffer already
/// allocated spares the kernel zeroing fresh pages).
const SPARE_CHUNKS: usize = 2;

/// One writer thread.
struct Writer<'w, 'r, 'e, 'a> {
    lines: Lines,
    render: &'w Render<'r, 'e, 'a>,
    send: Sender<Arc<Chunk>>,
    receive: Receiver<Arc<Chunk>>,
    renderer: LineRenderer,
    /// The chunk this thread rendered for the next turn.
    ahead: Option<Arc<Chunk>>,
    /// Chunks this thread rendered and wrote; reused once the other thread has written them too.
    spent: Vec<Arc<Chunk>>,
}

impl<'w, 'r, 'e, 'a> Writer<'w, 'r, 'e, 'a> {
    fn new(
        lines: Lines,
        render: &'w Render<'r, 'e, 'a>,
        send: Sender<Arc<Chunk>>,
        receive: Receiver<Arc<Chunk>>,
    ) -> Self {
        Writer {
            lines,
            render,
            send,
            receive,
            renderer: LineRenderer::default(),
            ahead: None,
            spent: Vec::new(),
        }
    }

    /// Write this thread's files of every split, in split order; gives their manifest records.
    ///
    /// Of two consecutive chunks, each thread renders one. At the other thread's chunk `k`, a thread
    /// first renders its own chunk `k + 1`, then waits for `k`; at its own chunk it writes what it
    /// rendered the turn before (chunk 0: now). So each thread's chunk is ready before the other
    /// needs it, and neither waits for long.
    fn run(
        mut self,
        staging: &Staging,
        on_written: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<FileRecord>> {
        let plan = self.render.plan;
        let mut records = Vec::with_capacity(2 * Split::ALL.len());
        for (split, chunks) in &plan.splits {
            let mut files = self.lines.create(staging, *split)?;
            for k in chunks.clone() {
                let chunk = if self.lines.renders(k) {
                    match self.ahead.take() {
                        Some(chunk) => chunk,
                        None => self.render_chunk(k)?,
                    }
                } else {
                    if k + 1 < plan.chunks.len() {
                        self.ahead = Some(self.render_chunk(k + 1)?);
                    }
                    // The other thread gone without sending: it failed, and says why.
                    self.receive.recv().map_err(|_| Error::Cancelled)?
                };
                files.write(&chunk)?;
                if self.lines == Lines::Full {
                    on_written(chunk.lines.len() as u64);
                }
                if self.lines.renders(k) {
                    self.spent.push(chunk);
                    if self.spent.len() > SPARE_CHUNKS {
                        self.spent.remove(0);
                    }
                }
            }
            files.finish(&mut records)?;
        }
        Ok(records)
    }

    /// Render chunk `k` and send it to the other thread.
    fn render_chunk(&mut self, k: usize) -> Result<Arc<Chunk>> {
        let Render {
            plan,
            spill,
            settings,
        } = *self.render;
        let mut chunk = self.spare();
        for example in &plan.examples[plan.chunks[k].clone()] {
            let line = self
                .renderer
                .render(example, spill, settings, &mut chunk.bytes)?;
            chunk.lines.push(line);
        }
        let chunk = Arc::new(chunk);
        // If the other thread is gone, it failed: this one learns so when it next waits for it.
        let _ = self.send.send(Arc::clone(&chunk));
        Ok(chunk)
    }

    /// An empty chunk: a spent one the other thread is done with, or a new one.
    fn spare(&mut self) -> Chunk {
        if let Some(i) = self.spent.iter().position(|c| Arc::strong_count(c) == 1) {
            if let Ok(mut chunk) = Arc::try_unwrap(self.spent.remove(i)) {
                chunk.bytes.clear();
                chunk.lines.clear();
                return chunk;
            }
        }
        Chunk::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Template;
    use crate::code::duration::CodeDuration;
    use crate::code::{CodeOrigin, CodeText, TemplateCode};
    use crate::digest::Sha256Digest;
    use crate::prompts::brief::{Brief, BriefOrigin};
    use crate::video::{DurationFrom, VideoFormat};

    /// Code bodies of about 300 KB, so a split takes several chunks; briefs that need escaping.
    fn codes(n: usize) -> Vec<TemplateCode> {
        (0..n)
            .map(|i| {
                let body = format!("const s{i} = \"line \\\"{i}\\\"\\t\";\n").repeat(9_000 + i);
                let code = format!("{body}export default function A{i}() {{ return s{i}; }}\n");
                TemplateCode::new(&code, CodeOrigin::store("k"), 9, CodeDuration::NoExport)
            })
            .collect()
    }

    fn briefs(n: usize) -> Vec<Brief> {
        (0..n)
            .map(|i| Brief {
                text: format!("Scene {i}: \"quoted\"\n\nFormat: square"),
                format: VideoFormat::Square,
                variant: format!("v{i}"),
                origin: BriefOrigin::Synthesized("primaryUse"),
            })
            .collect()
    }

    /// Examples 0..n over `codes`: train, then test (validation stays empty).
    fn examples<'a>(
        template: &'a Template,
        codes: &'a [TemplateCode],
        briefs: &'a [Brief],
    ) -> Vec<Example<'a>> {
        codes
            .iter()
            .zip(briefs)
            .enumerate()
            .map(|(i, (code, brief))| {
                Box::new(crate::dataset::example::Draft {
                    template,
                    code,
                    brief,
                    duration: 30,
                    duration_from: DurationFrom::Catalog,
                    tokens: 20 + i,
                    assistant_tokens: 9,
                })
                .place(if i < 9 { Split::Train } else { Split::Test }, "t")
            })
            .collect()
    }

    fn settings(system: &[u8]) -> LineSettings<'_> {
        LineSettings {
            system_json: system,
            fps: 30,
            base_dir: std::path::Path::new(""),
        }
    }

    #[test]
    fn chunks_rendered_by_turns_give_each_file_its_lines_in_order_and_the_digest_of_its_bytes() {
        let template = Template::for_tests();
        let (codes, briefs) = (codes(13), briefs(13));
        let examples = examples(&template, &codes, &briefs);
        let system = crate::code::json_string("Write \"TSX\".");
        let settings = settings(&system);
        let plan = Plan::new(&examples, &settings);
        // Several chunks in train, one in test, none in validation.
        assert!(plan.splits[0].1.len() >= 3, "{:?}", plan.splits);
        assert!(plan.splits[1].1.is_empty());
        assert!(!plan.splits[2].1.is_empty());

        let root = tempfile::tempdir().unwrap();
        let staging = Staging::begin(root.path(), "v1").unwrap();
        let written = std::sync::atomic::AtomicU64::new(0);
        let records = write_split_files(&staging, &examples, None, &settings, &|n| {
            written.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(written.into_inner(), 13);

        // What each file must hold: every example's lines, rendered one at a time, in order.
        let mut expected: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
        for split in Split::ALL {
            for kind in SPLIT_FILE_KINDS {
                expected.insert(format!("{}.{kind}", split.name()), Vec::new());
            }
        }
        let mut renderer = LineRenderer::default();
        for example in &examples {
            let mut bytes = Vec::new();
            let line = renderer
                .render(example, None, &settings, &mut bytes)
                .unwrap();
            let name = |kind: &str| format!("{}.{kind}", example.split.name());
            let full = expected.get_mut(&name("jsonl")).unwrap();
            full.extend_from_slice(line.full(&bytes));
            let upload = expected.get_mut(&name("upload.jsonl")).unwrap();
            upload.extend_from_slice(&line.upload(&bytes).concat());
            let meta = expected.get_mut(&name("meta.jsonl")).unwrap();
            line.write_meta(&bytes, meta).unwrap();
        }
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "train.jsonl",
                "train.upload.jsonl",
                "train.meta.jsonl",
                "validation.jsonl",
                "validation.upload.jsonl",
                "validation.meta.jsonl",
                "test.jsonl",
                "test.upload.jsonl",
                "test.meta.jsonl"
            ]
        );
        for record in &records {
            let on_disk = std::fs::read(staging.path().join(&record.name)).unwrap();
            assert_eq!(on_disk, expected[&record.name], "{}", record.name);
            assert_eq!(
                record.sha256,
                Sha256Digest::of(&on_disk).hex(),
                "{}",
                record.name
            );
            assert_eq!(record.bytes, on_disk.len() as u64);
            let lines = match record.name.split('.').next() {
                Some("train") => 9,
                Some("test") => 4,
                _ => 0,
            };
            assert_eq!(record.lines, lines, "{}", record.name);
        }
    }

    #[test]
    fn a_line_that_cannot_be_rendered_fails_the_write_with_its_own_error() {
        let template = Template::for_tests();
        let (mut codes, briefs) = (codes(13), briefs(13));
        // Code moved to a spill file that is not given to the writer, in chunks 1 and 3 (four
        // examples a chunk), which the sidecar thread renders: the full thread, left waiting for
        // them, stops too, and the error reported must be the failure, not that stop.
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create_in(dir.path()).unwrap();
        let span = spill
            .push(Sha256Digest::of(b"x"), b"\"export default 1;\"")
            .unwrap();
        for code in [4, 12] {
            codes[code].text = CodeText::Spilled(span);
        }
        let examples = examples(&template, &codes, &briefs);
        let system = crate::code::json_string("S");
        let settings = settings(&system);
        let root = tempfile::tempdir().unwrap();
        let staging = Staging::begin(root.path(), "v1").unwrap();
        let err = write_split_files(&staging, &examples, None, &settings, &|_| {}).unwrap_err();
        assert!(matches!(err, Error::Read { .. }), "{err:?}");
        assert!(
            err.to_string().contains("spill file that is not open"),
            "{err}"
        );
    }
}
