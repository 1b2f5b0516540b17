//! Typed errors for the whole library, their wording and their exit codes.
//!
//! Every stage returns [`Error`]; `main.rs` prints it with [`Error::render`] and exits with
//! [`Error::exit_code`]. User mistakes (config, inputs, usage) and runtime failures (output I/O, the
//! database) get distinct codes so scripts can tell "fix your input" from "try again".

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::location::Location;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit codes, documented in the README.
pub mod exit {
    /// `validate` found errors in the dataset (the command ran fine).
    pub const FINDINGS: u8 = 1;
    /// The config, an input file or the command line is wrong: fix it and re-run.
    pub const INPUT: u8 = 2;
    /// Something outside the inputs failed: the output directory, the database, the disk.
    pub const RUNTIME: u8 = 3;
    /// `--strict` and the quality gate rejected templates or examples; nothing was written.
    pub const REJECTED: u8 = 4;
}

/// One template id that occurs more than once, with every place it occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateId {
    pub id: String,
    pub places: Vec<Location>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config file is malformed or names something invalid.
    #[error("{at}: {message}")]
    Config { at: Location, message: String },

    /// An input file (catalog, prompts, overrides, code) has content we cannot use.
    #[error("{at}: {message}")]
    Input { at: Location, message: String },

    /// An input file could not be read (missing, unreadable).
    #[error("{}: cannot read: {}", path.display(), io_reason(source))]
    Read { path: PathBuf, source: io::Error },

    /// Writing the output failed.
    #[error("{}: cannot write: {}", path.display(), io_reason(source))]
    Write { path: PathBuf, source: io::Error },

    /// Template ids that occur more than once in the catalog.
    #[error("{}", DuplicateList(ids))]
    DuplicateIds { ids: Vec<DuplicateId> },

    /// A command-line value that is not acceptable (e.g. a tag with `/`).
    #[error("{0}")]
    Usage(String),

    /// The database could not be reached or queried. Never contains a password.
    #[error("database {target}: {message}")]
    Database { target: String, message: String },

    /// `validate` found errors (the report is already printed).
    #[error("validation failed: {errors} error(s), {warnings} warning(s)")]
    Findings { errors: usize, warnings: usize },

    /// `--strict` and something was rejected, dropped or untrue; nothing was written.
    #[error("--strict: {0}; nothing was written")]
    Strict(StrictFailures),

    /// Worker threads could not be started (the system is out of threads or memory).
    #[error("cannot start worker threads: {0}")]
    Threads(String),

    /// Turning data into JSON failed: a bug, or memory.
    #[error("cannot serialize {what}: {source}")]
    Serialize {
        what: &'static str,
        source: serde_json::Error,
    },

    /// Standard output could not be written (a closed pipe is not this: `main` treats it as done).
    #[error("cannot write to standard output: {}", io_reason(.0))]
    Stdout(io::Error),

    /// `render` found scenes that do not render cleanly (the verdicts are already printed).
    #[error("{0} of the renders did not pass")]
    NotRendered(usize),

    /// Scenes cannot be rendered here: no Node.js, no Chromium, or the render kit did not install.
    #[error("render: {0}")]
    Render(String),

    /// A stage stopped because the stage it feeds failed first (that stage's error is the one to
    /// report; this one is never shown when it is there).
    #[error("stopped: the next stage failed")]
    Cancelled,
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config { .. }
            | Error::Input { .. }
            | Error::Read { .. }
            | Error::DuplicateIds { .. }
            | Error::Usage(_) => exit::INPUT,
            Error::Write { .. }
            | Error::Database { .. }
            | Error::Threads(_)
            | Error::Serialize { .. }
            | Error::Stdout(_)
            | Error::Render(_)
            | Error::Cancelled => exit::RUNTIME,
            Error::Strict(_) => exit::REJECTED,
            Error::Findings { .. } | Error::NotRendered(_) => exit::FINDINGS,
        }
    }

    /// The full text printed to stderr: `error: <cause>`; for an error at a line of a file, that
    /// line with a caret under the column (as just and rustc show them); and, where one helps, a
    /// hint line.
    pub fn render(&self) -> String {
        let mut text = format!("error: {self}");
        if let Error::Config { at, .. } | Error::Input { at, .. } = self {
            if let Some(snippet) = snippet(at) {
                text.push('\n');
                text.push_str(&snippet);
            }
        }
        if let Some(hint) = self.hint() {
            text.push_str("\n  hint: ");
            text.push_str(hint);
        }
        text
    }

    fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Read { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                Some("paths in template-sft.toml are relative to the folder that holds it, paths on the command line to the current folder")
            }
            Error::DuplicateIds { .. } => Some("every catalog entry needs its own id"),
            _ => None,
        }
    }

    pub fn config(at: Location, message: impl Into<String>) -> Self {
        Error::Config {
            at,
            message: message.into(),
        }
    }

    pub fn input(at: Location, message: impl Into<String>) -> Self {
        Error::Input {
            at,
            message: message.into(),
        }
    }

    pub fn read(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Read {
            path: path.into(),
            source,
        }
    }

    pub fn write(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    pub fn serialize(what: &'static str, source: serde_json::Error) -> Self {
        Error::Serialize { what, source }
    }

    /// A failed write to standard output; a closed pipe (`| head`) is the reader's choice, and
    /// `main` ends quietly with success for it.
    pub fn stdout(source: io::Error) -> Self {
        Error::Stdout(source)
    }

    /// Whether this is stdout closed by its reader.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Stdout(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// The line `at` points to, and a caret under its column when it has one:
///
/// ```text
///    |
///  2 |   { id: 'x', name: 'unterminated },
///    |                    ^
/// ```
///
/// Nothing when the file cannot be read again or has no such line. A long line is shown as a window
/// of about 100 characters around the column.
fn snippet(at: &Location) -> Option<String> {
    use std::io::BufRead;
    const WINDOW: usize = 100;
    let line_no = at.line?;
    let file = crate::input::open_regular(&at.path).ok()?;
    let mut reader = io::BufReader::new(file);
    let mut buf = Vec::new();
    for _ in 0..line_no {
        buf.clear();
        // A line is read up to 1 MiB: past that, no snippet.
        let n = io::Read::take(&mut reader, 1 << 20)
            .read_until(b'\n', &mut buf)
            .ok()?;
        if n == 0 || (n == 1 << 20 && buf.last() != Some(&b'\n')) {
            return None;
        }
    }
    let line = String::from_utf8_lossy(&buf);
    let line: Vec<char> = line
        .trim_end_matches(['\n', '\r'])
        .chars()
        .map(|c| if c == '\t' || c.is_control() { ' ' } else { c })
        .collect();
    let col = at.col.unwrap_or(0).saturating_sub(1).min(line.len());
    let (start, end) = if line.len() <= WINDOW {
        (0, line.len())
    } else {
        let start = col.saturating_sub(WINDOW / 2).min(line.len() - WINDOW);
        (start, start + WINDOW)
    };
    let mut shown: String = line[start..end].iter().collect();
    if start > 0 {
        shown.insert(0, '…');
    }
    if end < line.len() {
        shown.push('…');
    }
    let gutter = " ".repeat(line_no.to_string().len());
    let mut out = format!("{gutter} |\n{line_no} | {shown}");
    if at.col.is_some() {
        let offset = col - start + usize::from(start > 0);
        out.push_str(&format!("\n{gutter} | {}^", " ".repeat(offset)));
    }
    Some(out)
}

/// io::Error's Display adds "(os error 2)"; users want the plain reason.
fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

/// What `--strict` refuses to write a dataset with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrictFailures {
    /// Templates the quality gate rejected.
    pub rejected: usize,
    /// Examples over the token limit.
    pub over_limit: usize,
    /// Briefs that would state a catalog duration the code does not have.
    pub duration_mismatches: usize,
    /// The realized split is far from the ratios or below the target's minimum.
    pub split_skew: bool,
}

impl StrictFailures {
    pub fn any(&self) -> bool {
        self.rejected + self.over_limit + self.duration_mismatches > 0 || self.split_skew
    }
}

impl fmt::Display for StrictFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.rejected > 0 {
            parts.push(format!(
                "{} rejected by the quality gate",
                count(self.rejected, "template")
            ));
        }
        if self.over_limit > 0 {
            parts.push(format!(
                "{} over the token limit",
                count(self.over_limit, "example")
            ));
        }
        if self.duration_mismatches > 0 {
            parts.push(format!(
                "{} whose catalog duration differs from the code's",
                count(self.duration_mismatches, "template")
            ));
        }
        if self.split_skew {
            parts.push("a split far from its ratios (see the split_skew warning)".into());
        }
        f.write_str(&parts.join(", "))
    }
}

/// "1 template", "2 templates".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

struct DuplicateList<'a>(&'a [DuplicateId]);

impl fmt::Display for DuplicateList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "duplicate template id(s):")?;
        for dup in self.0 {
            let places: Vec<String> = dup.places.iter().map(|l| l.to_string()).collect();
            write!(f, "\n  {:?} at {}", dup.id, places.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_and_runtime_errors_have_distinct_codes() {
        let input = Error::input(Location::line("c.json", 2), "bad");
        let runtime = Error::write("out", io::Error::other("disk full"));
        assert_eq!(input.exit_code(), exit::INPUT);
        assert_eq!(runtime.exit_code(), exit::RUNTIME);
        assert_eq!(input.render(), "error: c.json:2: bad");
    }

    #[test]
    fn an_error_at_a_place_shows_the_line_and_a_caret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.ts");
        std::fs::write(&path, "const a = [\n\t{ id: 'x', name: 'oops },\n];\n").unwrap();
        let e = Error::input(Location::at(&path, 2, 19), "Unterminated string");
        let text = e.render();
        let lines: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                "  |",
                "2 |  { id: 'x', name: 'oops },",
                "  |                   ^"
            ]
        );
        // No column: the line alone. No such line or file: nothing more.
        assert_eq!(
            Error::input(Location::line(&path, 3), "x")
                .render()
                .lines()
                .count(),
            3
        );
        assert_eq!(
            Error::input(Location::line(&path, 9), "x")
                .render()
                .lines()
                .count(),
            1
        );
        assert_eq!(
            Error::input(Location::line(dir.path().join("none"), 1), "x").render(),
            format!("error: {}:1: x", dir.path().join("none").display())
        );
        // A long line shows a window around the column.
        let long = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        std::fs::write(&path, &long).unwrap();
        let text = Error::input(Location::at(&path, 1, 501), "here").render();
        let shown = text.lines().nth(2).unwrap();
        let caret = text.lines().nth(3).unwrap();
        assert!(
            shown.starts_with("1 | …a") && shown.ends_with("b…"),
            "{shown}"
        );
        assert_eq!(shown.chars().nth(caret.chars().count() - 1), Some('X'));
    }

    #[test]
    fn missing_file_reads_plainly_with_a_hint() {
        let e = Error::read("a/b.json", io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(
            e.render(),
            "error: a/b.json: cannot read: no such file or directory\n  hint: paths in template-sft.toml are relative to the folder that holds it, paths on the command line to the current folder"
        );
    }
}
