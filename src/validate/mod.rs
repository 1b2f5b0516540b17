//! `validate`: check chat-format JSONL datasets before a paid job finds the problem.
//!
//! Takes JSONL files or dataset directories, a [`Target`] and a token [`Budget`]; gives a
//! [`Report`] of findings, each with a category, file:line and a message saying what to change.
//! Files are streamed in chunks of lines checked in parallel ([`line`]); only small per-example
//! digests are kept (for duplicates and train/eval leakage), so a multi-GB file never has to fit in
//! memory, and each distinct message content is tokenized once. A directory written by `build` also
//! gets its sidecars, manifest and stats checked ([`dataset_dir`]).

pub mod category;
pub mod dataset_dir;
pub mod line;
pub mod target;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use rayon::prelude::*;
use serde::Serialize;

pub use category::Category;
use line::{check_line, example_hash, text_hash, Message};
pub use target::{Severity, Target};

use crate::error::{Error, Result};
use crate::split::Split;
use crate::tokens::{chat_total, Budget, Encoding};

/// At most this many findings of one category are kept; the rest are counted.
const KEEP_PER_CATEGORY: usize = 1000;
/// Lines checked in parallel per chunk.
const CHUNK_LINES: usize = 2048;

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub category: Category,
    pub severity: Severity,
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub file: String,
    pub split: Option<Split>,
    pub examples: usize,
    pub bytes: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub files: Vec<FileSummary>,
    pub findings: Vec<Finding>,
    /// Findings not kept, per category (beyond the first 1000 of each).
    pub omitted: BTreeMap<Category, usize>,
    /// Findings per category, kept or not.
    pub counts: BTreeMap<Category, (Severity, usize)>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.counts
            .values()
            .filter(|(s, _)| *s == Severity::Error)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn warnings(&self) -> usize {
        self.counts
            .values()
            .filter(|(s, _)| *s == Severity::Warning)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn examples(&self) -> usize {
        self.files.iter().map(|f| f.examples).sum()
    }
}

pub struct Options {
    pub target: Target,
    pub budget: Budget,
    /// Fewest examples in a training file (the target's rule unless changed).
    pub min_examples: usize,
    /// Largest file accepted (the target's rule unless changed).
    pub max_file_bytes: Option<u64>,
}

impl Options {
    pub fn new(target: Target, budget: Budget) -> Options {
        Options {
            target,
            budget,
            min_examples: target.min_examples(),
            max_file_bytes: target.max_file_bytes(),
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
            self.report.findings.push(Finding {
                category,
                severity,
                file: file.to_string(),
                line,
                message,
            });
        }
    }
}

/// Validate every path (files, or directories of JSONL / `build` output).
pub fn validate(paths: &[PathBuf], options: &Options) -> Result<Report> {
    let mut report = Report::default();
    let mut data_files: Vec<(PathBuf, Option<Split>)> = Vec::new();
    let mut build_dirs = Vec::new();
    for path in paths {
        if path.is_dir() {
            if path.join("manifest.json").is_file() {
                for split in Split::ALL {
                    let upload = path.join(format!("{}.upload.jsonl", split.name()));
                    if upload.is_file() {
                        data_files.push((upload, Some(split)));
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
                    (p, split)
                }));
            }
        } else {
            data_files.push((path.clone(), split_of(path)));
        }
    }

    let cache = RwLock::new(HashMap::new());
    let mut leakage = Leakage::default();
    for (path, split) in &data_files {
        let mut findings = Findings {
            target: options.target,
            report: &mut report,
        };
        check_file(path, *split, options, &cache, &mut leakage, &mut findings)?;
    }
    let mut findings = Findings {
        target: options.target,
        report: &mut report,
    };
    leakage.report(&mut findings);
    for dir in &build_dirs {
        dataset_dir::check(dir, &mut findings)?;
    }
    Ok(report)
}

/// `train.upload.jsonl` → train; `validation`, `valid`, `val`, `eval` → validation; `test` → test.
pub fn split_of(path: &Path) -> Option<Split> {
    let name = path.file_name()?.to_str()?;
    match name.split('.').next()? {
        "train" => Some(Split::Train),
        "validation" | "valid" | "val" | "eval" => Some(Split::Validation),
        "test" => Some(Split::Test),
        _ => None,
    }
}

/// Where examples and assistant outputs of train are, and the eval examples to compare.
#[derive(Default)]
struct Leakage {
    train_examples: HashMap<u128, (String, usize)>,
    train_outputs: HashMap<u128, (String, usize)>,
    eval: Vec<(u128, Vec<u128>, String, usize)>,
}

impl Leakage {
    fn report(&self, findings: &mut Findings<'_>) {
        for (hash, outputs, file, line) in &self.eval {
            if let Some((train_file, train_line)) = self.train_examples.get(hash) {
                findings.add(
                    Category::TrainEvalLeakage,
                    file,
                    Some(*line),
                    format!("identical to {train_file}:{train_line}; remove it from one split"),
                );
            } else if let Some((train_file, train_line)) =
                outputs.iter().find_map(|o| self.train_outputs.get(o))
            {
                findings.add(
                    Category::TrainEvalLeakage,
                    file,
                    Some(*line),
                    format!("assistant output identical to {train_file}:{train_line}'s; evaluation would measure memorization (split by template)"),
                );
            }
        }
    }
}

/// What the parallel pass gives for one line.
struct Outcome {
    problems: Vec<(Category, String)>,
    example: Option<(u128, Vec<u128>, usize)>,
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
                c.insert(key, n);
            }
            n
        })
        .collect();
    chat_total(&contents)
}

fn check_file(
    path: &Path,
    split: Option<Split>,
    options: &Options,
    cache: &RwLock<HashMap<u128, usize>>,
    leakage: &mut Leakage,
    findings: &mut Findings<'_>,
) -> Result<()> {
    let display = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
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
    let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(CHUNK_LINES);
    loop {
        chunk.clear();
        let mut done = false;
        while chunk.len() < CHUNK_LINES {
            let mut buf = Vec::new();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| Error::read(path, e))?;
            if n == 0 {
                done = true;
                break;
            }
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            chunk.push(buf);
        }
        let encoding = options.budget.encoding;
        let outcomes: Vec<Outcome> = chunk
            .par_iter()
            .map(|line| {
                let report = check_line(line);
                let example = report.messages.as_ref().map(|messages| {
                    let outputs = messages
                        .iter()
                        .filter(|m| m.role == "assistant")
                        .map(|m| text_hash(&m.content))
                        .collect();
                    (
                        example_hash(messages),
                        outputs,
                        count_tokens(messages, encoding, cache),
                    )
                });
                Outcome {
                    problems: report.problems,
                    example,
                }
            })
            .collect();
        for outcome in outcomes {
            line_no += 1;
            for (category, message) in outcome.problems {
                findings.add(category, &display, Some(line_no), message);
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
                "{examples} examples; {} needs at least {} in a training file",
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
