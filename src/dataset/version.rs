//! A version directory, read back: typed stats, and examples streamed per split.
//!
//! Takes a directory written by `build`; gives a [`Version`] whose manifest has been verified (unless
//! the caller explicitly opts out), its [`Stats`], and every example's meta (streamed from
//! `{split}.meta.jsonl`) or full line on demand. `report`, `diff`, `export` and `eval` read through
//! here, so they agree on what a dataset holds. Errors name the file and line; a line longer than
//! the cap is an error, not a reason to hold a gigabyte in memory.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::example::{ExampleLine, Meta};
use super::manifest;
use super::stats::Stats;
use crate::error::{wording, Error, Result};
use crate::input;
use crate::location::{json_reason, Location};
use crate::split::Split;

/// The longest line a reader accepts: far above any real example (a 1 MB scene escapes to ~1.2 MB).
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// A dataset version directory.
#[derive(Debug)]
#[non_exhaustive]
pub struct Version {
    /// The version directory.
    pub path: PathBuf,
    /// Its `stats.json`.
    pub stats: Stats,
    /// SHA-256 of `manifest.json`: identifies exactly which build this is. `None` when not verified.
    pub manifest_sha256: Option<String>,
}

impl Version {
    /// Open `path` and verify every file against its manifest; a version that does not verify was
    /// changed or damaged after it was built, and is refused.
    pub fn open(path: &Path) -> Result<Version> {
        let mut version = Version::open_unverified(path)?;
        version.manifest_sha256 = Some(manifest::verify(path)?);
        Ok(version)
    }

    /// Open `path` without checking the manifest (a reader's explicit `--no-verify`).
    pub fn open_unverified(path: &Path) -> Result<Version> {
        let stats_path = path.join("stats.json");
        if !stats_path.is_file() {
            return Err(wording::not_a_version(path));
        }
        let bytes = input::read_capped(&stats_path, input::SMALL_FILE_LIMIT)?;
        let stats: Stats = serde_json::from_slice(&bytes).map_err(|e| {
            wording::not_a(
                Location::at(&stats_path, e.line(), e.column()),
                "a template-sft stats.json",
                json_reason(&e),
            )
        })?;
        // Names a reader writes into files someone runs (trainer configs, dataset names): a
        // version received from elsewhere may carry anything, and is refused unless they follow
        // the rule `build` enforces.
        for (what, name) in stats.written_names() {
            crate::config::check_name(name)
                .map_err(|why| wording::received_bad_name(&stats_path, what, why))?;
        }
        Ok(Version {
            path: path.to_path_buf(),
            stats,
            manifest_sha256: None,
        })
    }

    /// Splits that hold at least one example, in order.
    pub fn splits(&self) -> Vec<Split> {
        Split::ALL
            .into_iter()
            .filter(|s| self.stats.totals.of(*s) > 0)
            .collect()
    }

    /// Call `each` with every example's meta of `split`, in file order.
    pub fn for_each_meta(&self, split: Split, mut each: impl FnMut(Meta<'static>)) -> Result<()> {
        #[derive(Deserialize)]
        struct Line {
            meta: Meta<'static>,
        }
        self.lines(
            &format!("{}.meta.jsonl", split.name()),
            |path, line, text| {
                let parsed: Line = serde_json::from_slice(text).map_err(|e| {
                    wording::not_a(Location::line(path, line), "a meta line", json_reason(&e))
                })?;
                each(parsed.meta);
                Ok(true)
            },
        )
    }

    /// Call `each` with full examples of `split` until it returns false.
    pub fn for_each_example(
        &self,
        split: Split,
        mut each: impl FnMut(ExampleLine) -> bool,
    ) -> Result<()> {
        self.lines(&format!("{}.jsonl", split.name()), |path, line, text| {
            let parsed: ExampleLine = serde_json::from_slice(text).map_err(|e| {
                wording::not_a(
                    Location::line(path, line),
                    "an example line",
                    json_reason(&e),
                )
            })?;
            Ok(each(parsed))
        })
    }

    /// A split file that the version lacks reads as empty (a split with no examples).
    fn lines(
        &self,
        name: &str,
        mut each: impl FnMut(&Path, usize, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let path = self.path.join(name);
        if !path.exists() {
            return Ok(());
        }
        let file = input::open_regular(&path)?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut buf = Vec::new();
        let mut line = 0;
        loop {
            line += 1;
            match input::read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES)
                .map_err(|e| Error::read(&path, e))?
            {
                input::CappedLine::Eof => return Ok(()),
                input::CappedLine::Line => {}
                input::CappedLine::TooLong(len) => {
                    return Err(wording::line_too_long(
                        Location::line(&path, line),
                        len,
                        MAX_LINE_BYTES,
                    ))
                }
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if !each(&path, line, &buf)? {
                return Ok(());
            }
        }
    }
}
