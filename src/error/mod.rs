//! Typed errors for the whole library, their exit codes, and (in [`wording`]) what each says.
//!
//! Every stage returns [`Error`]; `main.rs` prints it (the CLI adds the line it points at and
//! [`Error::hint`]) and exits with [`Error::exit_code`]. User mistakes (config, inputs, usage) and
//! runtime failures (output I/O, the database) get distinct codes so scripts can tell "fix your
//! input" from "try again". Every error's sentence is built in [`wording`] (a config value's,
//! where config values are judged: `config/check.rs`).

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::location::Location;

pub mod wording;

/// A result whose error is an [`Error`].
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

/// Everything that can stop a command, each kind with its exit code ([`Error::exit_code`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config file is malformed or names something invalid.
    #[error("{at}: {message}")]
    Config {
        /// The key's place in the config file (or the file).
        at: Location,
        /// What is wrong with it.
        message: String,
    },

    /// An input file (catalog, prompts, overrides, code) has content we cannot use.
    #[error("{at}: {message}")]
    Input {
        /// Where in the input: file, line and column where there are some.
        at: Location,
        /// What is wrong there.
        message: String,
    },

    /// An input file could not be read (missing, unreadable).
    #[error("{}: cannot read: {}", path.display(), io_reason(source))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: io::Error,
    },

    /// Writing the output failed.
    #[error("{}: cannot write: {}", path.display(), io_reason(source))]
    Write {
        /// The file or directory being written.
        path: PathBuf,
        /// Why it could not be written.
        source: io::Error,
    },

    /// Template ids that occur more than once in the catalog.
    #[error("{}", DuplicateList(ids))]
    DuplicateIds {
        /// Each repeated id with every place it occurs.
        ids: Vec<DuplicateId>,
    },

    /// A command-line value that is not acceptable (e.g. a tag with `/`).
    #[error("{0}")]
    Usage(String),

    /// The database could not be reached or queried. Never contains a password.
    #[error("database {target}: {message}")]
    Database {
        /// Which database (host, port, name; no credentials).
        target: String,
        /// What went wrong.
        message: String,
    },

    /// `validate` found errors (the report is already printed).
    #[error("validation failed: {errors} error(s), {warnings} warning(s)")]
    Findings {
        /// Findings of error severity.
        errors: usize,
        /// Findings of warning severity.
        warnings: usize,
    },

    /// `--strict` and something was rejected, dropped or untrue; nothing was written.
    #[error("--strict: {0}; nothing was written")]
    Strict(StrictFailures),

    /// Worker threads could not be started (the system is out of threads or memory).
    #[error("cannot start worker threads: {0}")]
    Threads(String),

    /// Turning data into JSON failed: a bug, or memory.
    #[error("cannot serialize {what}: {source}")]
    Serialize {
        /// What was being serialized.
        what: &'static str,
        /// serde_json's reason.
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
    /// The exit code the command line ends with for this error (README, "Exit codes").
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

    /// A line that helps with this error, where one does (`hint: …` under the message).
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Read { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                Some("paths in template-sft.toml are relative to the folder that holds it, paths on the command line to the current folder")
            }
            Error::DuplicateIds { .. } => Some("every catalog entry needs its own id"),
            _ => None,
        }
    }

    /// A config error at `at` (worded in `error/wording.rs` or `config/check.rs`).
    pub fn config(at: Location, message: impl Into<String>) -> Self {
        Error::Config {
            at,
            message: message.into(),
        }
    }

    /// An input error at `at` (worded in `error/wording.rs`).
    pub fn input(at: Location, message: impl Into<String>) -> Self {
        Error::Input {
            at,
            message: message.into(),
        }
    }

    /// A file that could not be read.
    pub fn read(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Read {
            path: path.into(),
            source,
        }
    }

    /// A file or directory that could not be written.
    pub fn write(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    /// A value that could not be serialized.
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
#[non_exhaustive]
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
    /// Whether anything failed the strict build.
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
    }
}
