//! The nine split files of a version, written by two threads.
//!
//! Takes the staging directory and the examples in split order; gives the manifest records of
//! `{split}.jsonl`, `{split}.upload.jsonl` and `{split}.meta.jsonl` for train, validation and test,
//! in that order. One thread writes the full files, the other the upload and meta sidecars: each
//! renders its own lines (copies of bytes escaped once per build) and hashes what it writes, so
//! writing uses both cores of a small machine.

use super::example::{Example, LineSettings, Rendered};
use super::writer::{FileRecord, Staging};
use super::SPLIT_FILE_KINDS;
use crate::code::spill::Spill;
use crate::error::{Error, Result};
use crate::split::Split;

/// Write every split file; `on_written(n)` is told as examples are written. The examples' code is read from `spill` (a
/// positioned read per example, from the page cache).
pub fn write_split_files(
    staging: &Staging,
    examples: &[Example<'_>],
    spill: Option<&Spill>,
    settings: &LineSettings<'_>,
    on_written: &(dyn Fn(u64) + Sync),
) -> Result<Vec<FileRecord>> {
    let render = Render { spill, settings };
    let (full, sidecars) = std::thread::scope(|scope| {
        let full =
            scope.spawn(|| write_splits(staging, examples, &render, Lines::Full, on_written));
        let sidecars = write_splits(staging, examples, &render, Lines::Sidecars, on_written);
        let full = full
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (full, sidecars)
    });
    let (full, sidecars) = (full?, sidecars?);
    // Manifest order: per split, the full file, then its upload and meta sidecars.
    let mut files: Vec<FileRecord> = Vec::with_capacity(3 * Split::ALL.len());
    let mut sidecars = sidecars.into_iter();
    for record in full {
        files.push(record);
        files.extend(sidecars.by_ref().take(2));
    }
    Ok(files)
}

/// The lines a writer thread is responsible for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// `{split}.jsonl`
    Full,
    /// `{split}.upload.jsonl` and `{split}.meta.jsonl`
    Sidecars,
}

/// What every line is rendered with (see [`Rendered::render`]).
struct Render<'a> {
    spill: Option<&'a Spill>,
    settings: &'a LineSettings<'a>,
}

/// Write `lines` of every split, in split order; gives their manifest records.
fn write_splits(
    staging: &Staging,
    examples: &[Example<'_>],
    render: &Render<'_>,
    lines: Lines,
    on_written: &(dyn Fn(u64) + Sync),
) -> Result<Vec<FileRecord>> {
    let kinds: &[&str] = match lines {
        Lines::Full => &SPLIT_FILE_KINDS[..1],
        Lines::Sidecars => &SPLIT_FILE_KINDS[1..],
    };
    let mut records = Vec::new();
    let mut rendered = Rendered::default();
    let mut code = Vec::new();
    for split in Split::ALL {
        let mut outs = Vec::with_capacity(kinds.len());
        for kind in kinds {
            outs.push(staging.create(&format!("{}.{kind}", split.name()))?);
        }
        for example in examples.iter().filter(|e| e.split == split) {
            let code_json = example
                .draft
                .code
                .escaped(render.spill, &mut code)
                .map_err(|e| Error::read(outs[0].path(), e))?;
            rendered
                .render(example, code_json, render.settings)
                .map_err(|e| Error::write(outs[0].path(), std::io::Error::other(e)))?;
            let written = match lines {
                Lines::Full => rendered.full_line(&mut outs[0]),
                Lines::Sidecars => rendered
                    .upload_line(&mut outs[0])
                    .and_then(|()| rendered.meta_line(&mut outs[1])),
            };
            written.map_err(|e| Error::write(outs[0].path(), e))?;
            if lines == Lines::Full {
                on_written(1);
            }
        }
        for out in outs {
            records.push(out.finish()?);
        }
    }
    Ok(records)
}
