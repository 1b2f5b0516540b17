//! Where something came from: a file, optionally a line and a column.
//!
//! Takes a path (and a line/column or a byte offset into the file's text); gives a value that renders
//! as `path:line:col`, the form every error and warning in template-sft uses. The path is shared
//! (`Arc<Path>`): a catalog or prompt file gives the same path to hundreds of thousands of
//! locations, and each would otherwise hold its own copy until the build ends.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in an input file. Lines and columns are 1-based; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, shared by every location in it.
    pub path: Arc<Path>,
    /// 1-based line, when known. 32 bits: a build holds a location per prompt and per warning
    /// (hundreds of thousands), and no file we read has 4 billion lines.
    pub line: Option<u32>,
    /// 1-based column in characters, when known.
    pub col: Option<u32>,
}

/// A line or column number as a [`Location`] holds it (saturating, which no real file reaches).
fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Location {
    /// The whole file, no line.
    pub fn file(path: impl IntoSharedPath) -> Self {
        Location {
            path: path.into_shared(),
            line: None,
            col: None,
        }
    }

    /// A line of a file.
    pub fn line(path: impl IntoSharedPath, line: usize) -> Self {
        Location {
            path: path.into_shared(),
            line: Some(narrow(line)),
            col: None,
        }
    }

    /// A line and column of a file.
    pub fn at(path: impl IntoSharedPath, line: usize, col: usize) -> Self {
        Location {
            path: path.into_shared(),
            line: Some(narrow(line)),
            col: Some(narrow(col)),
        }
    }

    /// Where serde_json's position `inner_line`:`inner_col` falls in the file, for JSON that was
    /// parsed out of a larger file and starts at `line`:`col` of it.
    pub fn within(
        path: &Path,
        line: usize,
        col: usize,
        inner_line: usize,
        inner_col: usize,
    ) -> Self {
        if inner_line <= 1 {
            Location::at(path, line, col + inner_col.saturating_sub(1))
        } else {
            Location::at(path, line + inner_line - 1, inner_col)
        }
    }

    /// `path:line:col` with the path relative to `base` (when under it) and `/` as separator: how
    /// dataset metadata and stats show a place, the same on every machine the config moves to.
    pub fn display_under(&self, base: &Path) -> String {
        let mut out = String::new();
        self.write_under(base, &mut out);
        out
    }

    /// [`Location::display_under`], appended to `out` (a buffer reused line after line).
    pub fn write_under(&self, base: &Path, out: &mut String) {
        write_path_under(&self.path, base, out);
        if let Some(line) = self.line {
            let _ = write!(out, ":{line}");
            if let Some(col) = self.col {
                let _ = write!(out, ":{col}");
            }
        }
    }

    /// The line and column of byte `offset` in `text` (the file's contents).
    pub fn from_offset(path: &Path, text: &str, offset: usize) -> Self {
        let (line, col) = line_col(text, offset);
        Location::at(path, line, col)
    }
}

/// What a [`Location`]'s path is made from: an `Arc<Path>` (or a reference to one) is shared
/// without a copy; any other path is copied once into a new `Arc`.
pub trait IntoSharedPath {
    /// The shared path.
    fn into_shared(self) -> Arc<Path>;
}

impl IntoSharedPath for Arc<Path> {
    fn into_shared(self) -> Arc<Path> {
        self
    }
}

impl IntoSharedPath for &Arc<Path> {
    fn into_shared(self) -> Arc<Path> {
        Arc::clone(self)
    }
}

impl IntoSharedPath for &Path {
    fn into_shared(self) -> Arc<Path> {
        Arc::from(self)
    }
}

impl IntoSharedPath for PathBuf {
    fn into_shared(self) -> Arc<Path> {
        Arc::from(self)
    }
}

impl IntoSharedPath for &PathBuf {
    fn into_shared(self) -> Arc<Path> {
        Arc::from(self.as_path())
    }
}

impl IntoSharedPath for &str {
    fn into_shared(self) -> Arc<Path> {
        Arc::from(Path::new(self))
    }
}

impl IntoSharedPath for String {
    fn into_shared(self) -> Arc<Path> {
        Arc::from(PathBuf::from(self))
    }
}

/// `path` relative to `base` (when under it), with `/` as separator.
pub fn display_path_under(path: &Path, base: &Path) -> String {
    let mut out = String::new();
    write_path_under(path, base, &mut out);
    out
}

/// [`display_path_under`], appended to `out`.
fn write_path_under(path: &Path, base: &Path, out: &mut String) {
    let rel = path.strip_prefix(base).unwrap_or(path);
    out.extend(
        rel.to_string_lossy()
            .chars()
            .map(|c| if c == '\\' { '/' } else { c }),
    );
}

/// A serde_json error's reason without its " at line L column C" suffix: callers print their own
/// location (the file's, not the parsed fragment's) in front.
pub fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// 1-based line and character column of byte `offset` in `text` (clamped to the text).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Line starts of a text, for turning many byte offsets into line:col without rescanning.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
    /// The last offset asked for and its column: offsets usually come in increasing order, and a
    /// whole catalog on one line must not cost a scan from the line start per entry.
    last: std::cell::Cell<(usize, usize)>,
    /// The path of the last location made: every entry of a catalog shares one copy of it.
    path: std::cell::RefCell<Option<Arc<Path>>>,
}

impl<'t> LineIndex<'t> {
    /// An index of `text`'s line starts.
    pub fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            text,
            starts,
            last: std::cell::Cell::new((0, 1)),
            path: std::cell::RefCell::new(None),
        }
    }

    /// 1-based line and character column of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let (last_offset, last_col) = self.last.get();
        let col = if last_offset >= start && last_offset <= offset {
            last_col + self.text[last_offset..offset].chars().count()
        } else {
            self.text[start..offset].chars().count() + 1
        };
        self.last.set((offset, col));
        (line, col)
    }

    /// `path` at the line and column of byte `offset` in the text.
    pub fn locate(&self, path: &Path, offset: usize) -> Location {
        let (line, col) = self.line_col(offset);
        let mut last = self.path.borrow_mut();
        let shared = match &*last {
            Some(shared) if **shared == *path => Arc::clone(shared),
            _ => Arc::clone(last.insert(Arc::from(path))),
        };
        Location::at(shared, line, col)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.col {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// Written as its `path:line:col` text, so a location in JSON reads as it does in a message.
impl serde::Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read back from `path:line:col` (a path may hold colons: line and column are the trailing
/// numbers).
impl<'de> serde::Deserialize<'de> for Location {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Location::parse(&text))
    }
}

impl Location {
    /// The inverse of `Display`: trailing `:N` parts are the line and column.
    pub fn parse(text: &str) -> Location {
        let number = |s: &str| s.parse::<usize>().ok().filter(|_| !s.is_empty());
        if let Some((rest, last)) = text.rsplit_once(':') {
            if let Some(last) = number(last) {
                if let Some((path, line)) = rest.rsplit_once(':') {
                    if let Some(line) = number(line) {
                        return Location::at(path, line, last);
                    }
                }
                return Location::line(rest, last);
            }
        }
        Location::file(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_share_their_path_and_saturate_their_numbers() {
        let path: Arc<Path> = Arc::from(Path::new("prompts/p.jsonl"));
        let a = Location::line(&path, 3);
        assert!(Arc::ptr_eq(&a.path, &path));
        let index = LineIndex::new("a\nb\n");
        let (x, y) = (index.locate(&path, 0), index.locate(&path, 2));
        assert!(Arc::ptr_eq(&x.path, &y.path));
        assert_eq!(y.to_string(), "prompts/p.jsonl:2:1");
        assert_eq!(Location::at(&path, usize::MAX, 1).line, Some(u32::MAX));
        assert_eq!(a.display_under(Path::new("prompts")), "p.jsonl:3");
        // A build holds one per prompt, brief and warning: hundreds of thousands at 100k templates.
        assert_eq!(std::mem::size_of::<Location>(), 32);
    }

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let text = "ab\ncé d\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_col(text, 6), (2, 3));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn the_line_index_agrees_with_a_scan() {
        let text = "ab\ncé d\n\nxyz";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                index.line_col(offset),
                line_col(text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn locations_read_back_from_their_text() {
        for l in [
            Location::at("a.json", 3, 7),
            Location::line("a.json", 3),
            Location::file("a.json"),
            Location::at("c:/x:y.ts", 1, 2),
        ] {
            assert_eq!(Location::parse(&l.to_string()), l);
        }
    }

    #[test]
    fn renders_path_line_col() {
        assert_eq!(Location::at("a.json", 3, 7).to_string(), "a.json:3:7");
        assert_eq!(Location::line("a.json", 3).to_string(), "a.json:3");
        assert_eq!(Location::file("a.json").to_string(), "a.json");
    }
}
