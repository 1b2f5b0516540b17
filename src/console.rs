//! Terminal output for the command line: warnings, progress and informational lines on stderr.
//!
//! Takes the verbosity chosen on the command line; gives the one place that decides what reaches the
//! terminal. It is the CLI's [`Observer`] of a build: library stages never print, they return
//! diagnostics, and this renders them. Standard output is kept for the command's result
//! (summaries, dry-run samples), which is what people pipe.
//!
//! Warnings stay readable on a catalog with thousands of them: each kind prints its first
//! [`SHOWN_PER_KIND`] (all of them with `-v`), and when any were left out [`Console::close`] ends
//! the run with how many and one tally line per kind, naming the field where the whole list is
//! kept.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::diagnostic::{warning, Diagnostic, Kind};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::pipeline::{Observer, Progress};
use crate::text::Printable;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Warnings of one kind printed before the rest are only counted (all of them with `-v`).
pub const SHOWN_PER_KIND: usize = 20;

#[derive(Debug, Clone)]
pub struct Console {
    verbosity: Verbosity,
    /// Warnings seen per kind.
    tally: Arc<Mutex<BTreeMap<Kind, usize>>>,
    /// The bar of the step in progress, drawn only when stderr is a terminal and output is not
    /// quiet.
    bar: Arc<Mutex<Option<ProgressBar>>>,
    /// When the last progress line went to a log (stderr not a terminal).
    logged: Arc<Mutex<Option<std::time::Instant>>>,
}

/// How often a log gets a progress line.
const LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl Console {
    pub fn new(verbosity: Verbosity) -> Self {
        Console {
            verbosity,
            tally: Arc::default(),
            bar: Arc::default(),
            logged: Arc::default(),
        }
    }

    /// A warning of a kind: printed if it is among the first [`SHOWN_PER_KIND`] of its kind (or
    /// with `-v`), counted either way.
    pub fn diagnostic(&self, diagnostic: &Diagnostic) {
        let seen = {
            let mut tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
            let n = tally.entry(diagnostic.kind).or_default();
            *n += 1;
            *n
        };
        if seen <= SHOWN_PER_KIND || self.verbosity >= Verbosity::Verbose {
            self.warn(diagnostic.at.as_ref(), &diagnostic.message);
        }
    }

    /// `n` more warnings of `kind` that were counted but not kept (a predictions file keeps the
    /// first bad lines only): in the tally, never printed.
    pub fn unlisted(&self, kind: Kind, n: usize) {
        if n > 0 {
            let mut tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
            *tally.entry(kind).or_default() += n;
        }
    }

    /// End of the run, when some warnings were only counted: for each kind with more warnings than
    /// were shown, how many more and where they all are; then one tally line per kind.
    pub fn close(&self) {
        let tally = std::mem::take(&mut *self.tally.lock().unwrap_or_else(|e| e.into_inner()));
        // Nothing left out: every warning is on the screen already, a tally would only repeat it.
        let left_out = tally.values().any(|&n| n > SHOWN_PER_KIND);
        if self.verbosity == Verbosity::Quiet || !left_out {
            return;
        }
        let listed = |kind: Kind| {
            kind.listed_in()
                .map_or_else(String::new, |field| format!(" ({field})"))
        };
        if self.verbosity < Verbosity::Verbose {
            for (&kind, &n) in &tally {
                if n > SHOWN_PER_KIND {
                    self.warn(
                        None,
                        format!(
                            "… and {} more {kind}{}; -v prints them all",
                            crate::text::thousands((n - SHOWN_PER_KIND) as u64),
                            listed(kind)
                        ),
                    );
                }
            }
        }
        for (&kind, &n) in &tally {
            stderr(format_args!(
                "{} {}: {kind}{}",
                crate::text::thousands(n as u64),
                if n == 1 { "warning" } else { "warnings" },
                listed(kind)
            ));
        }
    }

    /// `warning: path:line: message`; suppressed by `-q`.
    pub fn warn(&self, at: Option<&Location>, message: impl Display) {
        if self.verbosity >= Verbosity::Normal {
            match at {
                Some(at) => stderr(format_args!("warning: {at}: {message}")),
                None => stderr(format_args!("warning: {message}")),
            }
        }
    }

    /// The command's result line, on stdout (shown even with `-q`: it is the output, not chatter).
    /// A failed write is an error (`main` treats a closed pipe as the reader's choice, not a failure),
    /// never a panic as `println!` would make it.
    pub fn result(&self, line: impl Display) -> Result<()> {
        use std::io::Write;
        writeln!(Printable(std::io::stdout().lock()), "{line}").map_err(Error::stdout)
    }

    /// The `name_taken` warning when an output went to `written` because `asked` was taken.
    pub fn wrote_instead(&self, asked: &Path, written: &Path) {
        if asked != written {
            self.diagnostic(&warning::name_taken(asked, written));
        }
    }

    /// A line of information shown by default.
    pub fn info(&self, message: impl Display) {
        if self.verbosity >= Verbosity::Normal {
            stderr(format_args!("{message}"));
        }
    }

    /// A line shown only with `-v`.
    pub fn detail(&self, message: impl Display) {
        if self.verbosity >= Verbosity::Verbose {
            stderr(format_args!("  {message}"));
        }
    }

    /// Show how far a step of a build has come: its bar is made at the first word of it, moved
    /// along, and taken down when the step is over.
    pub fn progress(&self, progress: &Progress) {
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        if !std::io::stderr().is_terminal() {
            // No bar in a log: a line every few seconds for rendering, which takes minutes.
            if progress.step == "rendering" && !progress.finished {
                let mut last = self.logged.lock().unwrap_or_else(|e| e.into_inner());
                let now = std::time::Instant::now();
                if last.is_some_and(|t| now.duration_since(t) >= LOG_EVERY) {
                    stderr(format_args!(
                        "{}: {} of {}",
                        progress.step, progress.done, progress.total
                    ));
                    *last = Some(now);
                } else if last.is_none() || progress.done == 0 {
                    *last = Some(now);
                }
            }
            return;
        }
        let mut slot = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if progress.finished {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
            return;
        }
        let bar = slot.get_or_insert_with(|| {
            let bar =
                ProgressBar::with_draw_target(Some(progress.total), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(progress.step);
            bar
        });
        bar.set_length(progress.total);
        bar.set_position(progress.done);
    }
}

impl Observer for Console {
    fn diagnostic(&self, diagnostic: &Diagnostic) {
        Console::diagnostic(self, diagnostic);
    }

    fn stage(&self, what: &str) {
        self.detail(what);
    }

    fn info(&self, what: &str) {
        Console::info(self, what);
    }

    fn progress(&self, progress: &Progress) {
        Console::progress(self, progress);
    }
}

/// One line on stderr, control characters escaped, in one write (stderr is unbuffered: written
/// piece by piece, `build -v` on a catalog with 10,000 warnings spent a tenth of a second in
/// `write` calls); a closed stderr is not worth a panic (which is what `eprintln!` would do).
fn stderr(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut text = line.to_string();
    text.push('\n');
    let _ = std::io::stderr()
        .lock()
        .write_all(crate::text::printable(&text).as_bytes());
}

/// The full text of an error for stderr: `error: <cause>`; for an error at a line of a file, that
/// line with a caret under the column (as just and rustc show them); and, where one helps, a hint
/// line. The library's errors say what and where ([`Error`]'s `Display`); showing the line again is
/// the terminal's business, so it is done here.
pub fn error_text(e: &Error) -> String {
    let mut text = format!("error: {e}");
    if let Error::Config { at, .. } | Error::Input { at, .. } = e {
        if let Some(snippet) = snippet(at) {
            text.push('\n');
            text.push_str(&snippet);
        }
    }
    if let Some(hint) = e.hint() {
        text.push_str("\n  hint: ");
        text.push_str(hint);
    }
    text
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
    let col = (at.col.unwrap_or(0) as usize)
        .saturating_sub(1)
        .min(line.len());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_at_a_place_shows_the_line_and_a_caret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.ts");
        std::fs::write(&path, "const a = [\n\t{ id: 'x', name: 'oops },\n];\n").unwrap();
        let text = error_text(&Error::input(
            Location::at(&path, 2, 19),
            "Unterminated string",
        ));
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
        let lines = |e: Error| error_text(&e).lines().count();
        assert_eq!(lines(Error::input(Location::line(&path, 3), "x")), 3);
        assert_eq!(lines(Error::input(Location::line(&path, 9), "x")), 1);
        let none = dir.path().join("none");
        assert_eq!(
            error_text(&Error::input(Location::line(&none, 1), "x")),
            format!("error: {}:1: x", none.display())
        );
        assert_eq!(
            error_text(&Error::input(Location::line("c.json", 2), "bad")),
            "error: c.json:2: bad"
        );
        // A long line shows a window around the column.
        let long = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        std::fs::write(&path, &long).unwrap();
        let text = error_text(&Error::input(Location::at(&path, 1, 501), "here"));
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
            error_text(&e),
            "error: a/b.json: cannot read: no such file or directory\n  hint: paths in template-sft.toml are relative to the folder that holds it, paths on the command line to the current folder"
        );
    }
}
