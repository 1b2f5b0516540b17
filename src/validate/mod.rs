//! `validate`: check chat-format JSONL datasets before a paid job finds the problem.
//!
//! Takes JSONL files or dataset directories, a [`Target`] and a token [`Budget`]; gives a
//! [`Report`] of findings, each with a category, file:line and a message saying what to change.
//! Files are streamed in chunks of lines (bounded in bytes as well as lines) checked in parallel
//! ([`mod@line`]); a line longer than [`MAX_LINE_BYTES`] is reported and skipped, never held; only small
//! per-example digests are kept (for duplicates and train/eval leakage), plus a near-copy signature
//! per distinct train output (1 KiB, never the output itself), so memory is bounded whatever the
//! input. Each distinct message content is tokenized once (the cache is bounded too). A directory
//! written by `build` also gets its sidecars, manifest and stats checked ([`dataset_dir`]); a folder
//! written by `export` its manifest, and its rows, in any layout, are read back as chat examples
//! ([`export_dir`]).
//!
//! Long because reading a file (capped lines, chunks bounded in lines and bytes, the parallel pass)
//! is one loop; the per-line checks, the leakage and the build-directory checks are modules of
//! their own.

pub mod dataset_dir;
pub mod export_dir;
mod leakage;
mod lengths;
pub mod line;
pub mod target;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use rayon::prelude::*;
use serde::Serialize;

pub use crate::diagnostic::{Category, Severity};
use leakage::Leakage;
use line::{check_line, example_hash, text_hash, Message};
pub use target::Target;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::export::ExportTarget;
use crate::input::{self, read_line_capped, CappedLine};
use crate::location::Location;
use crate::split::near_copy::{self, Signature};
use crate::split::Split;
use crate::tokens::chat_template::ChatTokenizer;
use crate::tokens::lengths::TokenizerLengths;
use crate::tokens::{chat_total, Budget, Encoding};
use lengths::ModelLengths;

/// At most this many findings of one category are kept; the rest are counted.
const KEEP_PER_CATEGORY: usize = 1000;
/// Lines checked in parallel per chunk…
const CHUNK_LINES: usize = 2048;
/// …and bytes: a chunk of 2,048 one-megabyte lines must not cost 2 GB.
const CHUNK_BYTES: usize = 16 << 20;
/// The longest line read; a longer one is a `line_too_long` finding and is skipped. Far above any
/// real fine-tuning example (OpenAI's largest context is about 4 MB of text).
pub const MAX_LINE_BYTES: usize = 16 << 20;
/// Distinct message contents whose token counts are remembered (about 32 MB); past it the cache
/// starts over.
const TOKEN_CACHE_ENTRIES: usize = 1 << 20;
/// Distinct train outputs indexed for the near-copy check (about 3 KB each with their buckets).
const NEAR_COPY_INDEX_LIMIT: usize = 50_000;

#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub file: String,
    pub split: Option<Split>,
    pub examples: usize,
    pub bytes: u64,
}

/// What `validate` found: the files read, every finding, counts per category, lengths.
#[derive(Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Each file read: examples, bytes, split.
    pub files: Vec<FileSummary>,
    /// Each a [`Diagnostic`] of kind `Finding(category)`, at its file (and line, when a line).
    pub findings: Vec<Diagnostic>,
    /// Findings not kept, per category (beyond the first 1000 of each).
    pub omitted: BTreeMap<Category, usize>,
    /// Findings per category, kept or not.
    pub counts: BTreeMap<Category, (Severity, usize)>,
    /// Lengths under each `--tokenizer`.
    pub lengths: Vec<TokenizerLengths>,
}

impl Report {
    /// Findings of error severity.
    pub fn errors(&self) -> usize {
        self.counts
            .values()
            .filter(|(s, _)| *s == Severity::Error)
            .map(|(_, n)| n)
            .sum()
    }

    /// Findings of warning severity.
    pub fn warnings(&self) -> usize {
        self.counts
            .values()
            .filter(|(s, _)| *s == Severity::Warning)
            .map(|(_, n)| n)
            .sum()
    }

    /// Examples read in all files.
    pub fn examples(&self) -> usize {
        self.files.iter().map(|f| f.examples).sum()
    }
}

/// What `validate` checks against.
#[non_exhaustive]
pub struct Options {
    /// The fine-tuning service (or any trainer) the files are for.
    pub target: Target,
    /// The model whose encoding and limit count tokens.
    pub budget: Budget,
    /// Fewest examples in a training file (the target's rule unless changed).
    pub min_examples: usize,
    /// Largest file accepted (the target's rule unless changed).
    pub max_file_bytes: Option<u64>,
    /// Held-out outputs at least this similar to a train output are near-copy leakage; 0: off.
    pub near_copy_threshold: f64,
    /// Model tokenizers whose rendered lengths are counted and checked.
    pub tokenizers: Vec<ChatTokenizer>,
    /// Under a model tokenizer, an example longer than this is an error (`--max-length`).
    pub max_length: Option<usize>,
}

impl Options {
    /// The target's defaults.
    pub fn new(target: Target, budget: Budget) -> Options {
        Options {
            target,
            budget,
            min_examples: target.min_examples(),
            max_file_bytes: target.max_file_bytes(),
            near_copy_threshold: near_copy::DEFAULT_THRESHOLD,
            tokenizers: Vec::new(),
            max_length: None,
        }
    }
}

/// Collects findings with the target's severities.
struct Findings<'o> {
    target: Target,
    report: &'o mut Report,
}

impl Findings<'_> {
    fn add(&mut self, category: Category, file: &str, line: Option<usize>, message: String) {
        let severity = self.target.severity(category);
        let count = self.report.counts.entry(category).or_insert((severity, 0));
        count.1 += 1;
        if count.1 > KEEP_PER_CATEGORY {
            *self.report.omitted.entry(category).or_default() += 1;
        } else {
            let at = match line {
                Some(line) => Location::line(file, line),
                None => Location::file(file),
            };
            self.report
                .findings
                .push(Diagnostic::finding(category, severity, at, message));
        }
    }
}

/// Validate every path (files, or directories of JSONL / `build` output).
pub fn validate(paths: &[PathBuf], options: &Options) -> Result<Report> {
    let mut report = Report::default();
    // Each data file, its split, and the export layout its rows have (`None`: chat lines).
    let mut data_files: Vec<(PathBuf, Option<Split>, Option<ExportTarget>)> = Vec::new();
    let mut build_dirs = Vec::new();
    for path in paths {
        if path.is_dir() {
            if path.join("manifest.json").is_file() {
                if let Some(target) = export_dir::target(path)? {
                    let mut findings = Findings {
                        target: options.target,
                        report: &mut report,
                    };
                    let files = export_dir::check(path, &mut findings)?;
                    data_files.extend(files.into_iter().map(|(p, s)| (p, s, Some(target))));
                    continue;
                }
                for split in Split::ALL {
                    let upload = path.join(format!("{}.upload.jsonl", split.name()));
                    if upload.is_file() {
                        data_files.push((upload, Some(split), None));
                    }
                }
                build_dirs.push(path.clone());
            } else {
                let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                    .map_err(|e| Error::read(path, e))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
                    .collect();
                found.sort();
                data_files.extend(found.into_iter().map(|p| {
                    let split = split_of(&p);
                    (p, split, None)
                }));
            }
        } else {
            data_files.push((path.clone(), split_of(path), None));
        }
    }

    let cache = RwLock::new(HashMap::new());
    let mut leakage = Leakage::new(options.near_copy_threshold);
    let mut lengths = ModelLengths::new(&options.tokenizers, options.max_length);
    for (path, split, layout) in &data_files {
        let mut findings = Findings {
            target: options.target,
            report: &mut report,
        };
        let mut file = FileState {
            cache: &cache,
            leakage: &mut leakage,
            lengths: &mut lengths,
        };
        check_file(path, *split, *layout, options, &mut file, &mut findings)?;
    }
    let mut findings = Findings {
        target: options.target,
        report: &mut report,
    };
    leakage.report(&mut findings);
    let lengths = lengths.finish(&mut findings);
    report.lengths = lengths;
    let mut findings = Findings {
        target: options.target,
        report: &mut report,
    };
    for dir in &build_dirs {
        dataset_dir::check(dir, &mut findings)?;
    }
    Ok(report)
}

/// The split a file's name says: its first word (letters up to anything else), so
/// `train.upload.jsonl`, `train-2024.jsonl` and `train_v2.jsonl` are train; `training` too;
/// `validation`, `valid`, `val`, `eval`, `evaluation`, `dev` are validation; `test`, `testing`
/// are test. `trainer.jsonl` or `values.jsonl` are none.
pub fn split_of(path: &Path) -> Option<Split> {
    let name = path.file_name()?.to_str()?;
    let word: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    match word.as_str() {
        "train" | "training" => Some(Split::Train),
        "validation" | "valid" | "val" | "eval" | "evaluation" | "dev" => Some(Split::Validation),
        "test" | "testing" => Some(Split::Test),
        _ => None,
    }
}

/// What the parallel pass gives for one line.
struct Outcome {
    problems: Vec<(Category, String)>,
    example: Option<(u128, Vec<u128>, usize)>,
    /// Near-copy signatures of assistant outputs not signed before (by text hash).
    signatures: Vec<(u128, Signature)>,
    /// The messages, kept for the model tokenizers (only when there are some).
    messages: Option<Vec<Message>>,
}

/// What every file's check adds to: the token cache, the leakage index and the model lengths.
struct FileState<'a, 't> {
    cache: &'a RwLock<HashMap<u128, usize>>,
    leakage: &'a mut Leakage,
    lengths: &'a mut ModelLengths<'t>,
}

fn count_tokens(
    messages: &[Message],
    encoding: Encoding,
    cache: &RwLock<HashMap<u128, usize>>,
) -> usize {
    let contents: Vec<usize> = messages
        .iter()
        .map(|m| {
            let key = text_hash(&m.content);
            if let Some(&n) = cache
                .read()
                .ok()
                .and_then(|c| c.get(&key).copied())
                .as_ref()
            {
                return n;
            }
            let n = encoding.count(&m.content);
            if let Ok(mut c) = cache.write() {
                if c.len() >= TOKEN_CACHE_ENTRIES {
                    c.clear();
                }
                c.insert(key, n);
            }
            n
        })
        .collect();
    chat_total(&contents)
}

/// Read the next chunk of lines (at most [`CHUNK_LINES`] lines and about [`CHUNK_BYTES`] bytes)
/// into `chunk`, each with its number; a line over [`MAX_LINE_BYTES`] is a finding and kept as
/// `None`. Gives whether the file ended.
fn read_chunk(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    chunk: &mut Vec<(usize, Option<Vec<u8>>)>,
    line_no: &mut usize,
    path: &Path,
    findings: &mut Findings<'_>,
) -> Result<bool> {
    chunk.clear();
    let mut chunk_bytes = 0;
    while chunk.len() < CHUNK_LINES && chunk_bytes < CHUNK_BYTES {
        let read =
            read_line_capped(reader, buf, MAX_LINE_BYTES).map_err(|e| Error::read(path, e))?;
        *line_no += 1;
        match read {
            CappedLine::Eof => return Ok(true),
            CappedLine::Line => {
                chunk_bytes += buf.len();
                // A copy of exactly the line's size; the read buffer (grown to the longest line so
                // far) is reused for the next.
                chunk.push((*line_no, Some(buf.clone())));
            }
            CappedLine::TooLong(len) => {
                findings.add(
                    Category::LineTooLong,
                    &path.display().to_string(),
                    Some(*line_no),
                    format!("{len} bytes; lines over {MAX_LINE_BYTES} bytes are not read (no fine-tuning example is that long)"),
                );
                chunk.push((*line_no, None));
            }
        }
    }
    Ok(false)
}

/// How one line is judged, on any thread: what it needs besides the line.
struct Judge<'a> {
    /// The export layout its rows are in (`None`: chat lines).
    layout: Option<ExportTarget>,
    /// Sign assistant outputs for the near-copy leakage check.
    sign: bool,
    /// Outputs signed already (by text hash).
    signed: &'a HashSet<u128>,
    encoding: Encoding,
    cache: &'a RwLock<HashMap<u128, usize>>,
    /// Keep the messages for the model tokenizers.
    keep_messages: bool,
}

impl Judge<'_> {
    /// The problems of one line (`None`: too long, not read), its example's hashes and tokens.
    fn line(&self, line: Option<&[u8]>) -> Outcome {
        let nothing = |problems| Outcome {
            problems,
            example: None,
            signatures: Vec::new(),
            messages: None,
        };
        let Some(line) = line else {
            return nothing(Vec::new());
        };
        // An export's row is checked as the chat example it holds.
        let converted = self
            .layout
            .map(|target| export_dir::as_chat_line(target, line));
        let report = match &converted {
            None => check_line(line),
            Some(Ok(chat)) => check_line(chat),
            Some(Err(why)) => return nothing(vec![(Category::ExportRow, why.clone())]),
        };
        let mut signatures = Vec::new();
        let example = report.messages.as_ref().map(|messages| {
            let outputs: Vec<u128> = messages
                .iter()
                .filter(|m| m.role == "assistant")
                .map(|m| {
                    let hash = text_hash(&m.content);
                    if self.sign && !self.signed.contains(&hash) {
                        if let Some(sig) = near_copy::signature(m.content.as_bytes()) {
                            signatures.push((hash, sig));
                        }
                    }
                    hash
                })
                .collect();
            (
                example_hash(messages),
                outputs,
                count_tokens(messages, self.encoding, self.cache),
            )
        });
        Outcome {
            problems: report.problems,
            example,
            signatures,
            messages: report.messages.filter(|_| self.keep_messages),
        }
    }
}

fn check_file(
    path: &Path,
    split: Option<Split>,
    layout: Option<ExportTarget>,
    options: &Options,
    state: &mut FileState<'_, '_>,
    findings: &mut Findings<'_>,
) -> Result<()> {
    let (cache, leakage) = (state.cache, &mut *state.leakage);
    let display = path.display().to_string();
    let file = input::open_regular(path)?;
    let bytes = file.metadata().map_err(|e| Error::read(path, e))?.len();
    if let Some(max) = options.max_file_bytes {
        if bytes > max {
            findings.add(
                Category::FileTooLarge,
                &display,
                None,
                format!(
                    "{bytes} bytes; {} accepts at most {max}: split the file",
                    options.target.name()
                ),
            );
        }
    }
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut seen: HashMap<u128, usize> = HashMap::new();
    let mut examples = 0;
    let mut line_no = 0;
    // Lines of a chunk: their number and bytes (`None`: too long, skipped).
    let mut chunk: Vec<(usize, Option<Vec<u8>>)> = Vec::with_capacity(CHUNK_LINES);
    let mut buf = Vec::new();
    let sign = leakage.near_copies && split.is_some();
    loop {
        let done = read_chunk(
            &mut reader,
            &mut buf,
            &mut chunk,
            &mut line_no,
            path,
            findings,
        )?;
        let judge = Judge {
            layout,
            sign,
            signed: &leakage.signed,
            encoding: options.budget.encoding,
            cache,
            keep_messages: state.lengths.active(),
        };
        let outcomes: Vec<Outcome> = chunk
            .par_iter()
            .map(|(_, line)| judge.line(line.as_deref()))
            .collect();
        let mut model_counts = if state.lengths.active() {
            let lines: Vec<Option<&[Message]>> =
                outcomes.iter().map(|o| o.messages.as_deref()).collect();
            state.lengths.count_chunk(&lines)
        } else {
            Vec::new()
        }
        .into_iter();
        for ((line_no, _), outcome) in chunk.iter().zip(outcomes) {
            let line_no = *line_no;
            if let Some(Some(counts)) = model_counts.next() {
                state
                    .lengths
                    .record(findings, &display, line_no, split, counts);
            }
            for (category, message) in outcome.problems {
                findings.add(category, &display, Some(line_no), message);
            }
            if let Some(split) = split {
                for (hash, sig) in outcome.signatures {
                    leakage.sign(split, hash, sig, &display, line_no);
                }
            }
            let Some((hash, outputs, tokens)) = outcome.example else {
                continue;
            };
            examples += 1;
            if tokens > options.budget.limit {
                findings.add(
                    Category::TooManyTokens,
                    &display,
                    Some(line_no),
                    format!(
                        "{tokens} tokens; {} accepts at most {} per example: shorten it",
                        options.budget.model, options.budget.limit
                    ),
                );
            }
            if let Some(first) = seen.get(&hash) {
                findings.add(
                    Category::DuplicateExample,
                    &display,
                    Some(line_no),
                    format!("identical to line {first}; remove one of them"),
                );
            } else {
                seen.insert(hash, line_no);
            }
            match split {
                Some(Split::Train) => {
                    leakage
                        .train_examples
                        .entry(hash)
                        .or_insert_with(|| (display.clone(), line_no));
                    for o in outputs {
                        leakage
                            .train_outputs
                            .entry(o)
                            .or_insert_with(|| (display.clone(), line_no));
                    }
                }
                Some(Split::Validation | Split::Test) => {
                    leakage.eval.push((hash, outputs, display.clone(), line_no))
                }
                None => {}
            }
        }
        if done {
            break;
        }
    }
    if matches!(split, Some(Split::Train) | None) && examples < options.min_examples {
        findings.add(
            Category::TooFewExamples,
            &display,
            None,
            format!(
                "{}; {} needs at least {} in a training file",
                crate::error::count(examples, "example"),
                options.target.name(),
                options.min_examples
            ),
        );
    }
    findings.report.files.push(FileSummary {
        file: display,
        split,
        examples,
        bytes,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_names_are_read_from_the_first_word() {
        let of = |n: &str| split_of(Path::new(n));
        assert_eq!(of("train.upload.jsonl"), Some(Split::Train));
        assert_eq!(of("train_v2.jsonl"), Some(Split::Train));
        assert_eq!(of("Training-2024.jsonl"), Some(Split::Train));
        assert_eq!(of("valid.jsonl"), Some(Split::Validation));
        assert_eq!(of("dev-set.jsonl"), Some(Split::Validation));
        assert_eq!(of("test2.jsonl"), Some(Split::Test));
        assert_eq!(of("trainer.jsonl"), None);
        assert_eq!(of("values.jsonl"), None);
        assert_eq!(of("data.jsonl"), None);
    }
}
