//! Opening input files safely: regular files only, never more than a cap, text checked.
//!
//! Takes a path (and a byte cap); gives an open regular file, its bytes, or its text with a leading
//! byte-order mark removed. A FIFO would block a read for ever and `/dev/zero` would fill memory, so
//! anything that is not a regular file (after following symlinks) is refused before it is read, and
//! the open itself never blocks. A file over its cap is refused with its size and the cap, never read.
//! Invalid UTF-8 is an error at the first bad byte's line and column. JSON-lines readers take their
//! lines through [`read_line_capped`], which never holds more than a cap of one line.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{wording, Error, Result};
use crate::location::Location;

/// The cap for files a person edits or a build writes: config, catalogs, prompt files, stats,
/// manifests. Generous (a 100,000-entry catalog is about 60 MiB) but finite.
pub const SMALL_FILE_LIMIT: u64 = 256 << 20;

/// Open `path` for reading if it is a regular file. The open uses `O_NONBLOCK`, so a FIFO swapped in
/// after the check cannot hang it; the opened file is checked again.
pub fn open_regular(path: &Path) -> Result<File> {
    open_regular_sized(path).map(|(file, _)| file)
}

/// [`open_regular`], with the size of the file opened.
fn open_regular_sized(path: &Path) -> Result<(File, u64)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Error::read(path, e))?;
    let meta = file.metadata().map_err(|e| Error::read(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    Ok((file, meta.len()))
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> Error {
    let what = if meta.is_dir() {
        "is a directory"
    } else {
        "is not a regular file (a FIFO, socket or device); only regular files are read"
    };
    Error::read(path, io::Error::other(what))
}

/// The whole of a regular file of at most `limit` bytes.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>> {
    match read_capped_or_size(path, limit)? {
        Ok(bytes) => Ok(bytes),
        Err(size) => Err(too_large(path, size, limit)),
    }
}

/// The whole of a regular file, or its size when that is over `limit` (nothing read then). A file
/// that grows while it is read is cut at `limit + 1` bytes and counts as too large.
pub fn read_capped_or_size(path: &Path, limit: u64) -> Result<std::result::Result<Vec<u8>, u64>> {
    let (file, size) = open_regular_sized(path)?;
    if size > limit {
        return Ok(Err(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::read(path, e))?;
    if bytes.len() as u64 > limit {
        return Ok(Err(bytes.len() as u64));
    }
    Ok(Ok(bytes))
}

/// [`read_capped`], with a missing file as `None`.
pub fn read_optional(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        _ => read_capped(path, limit).map(Some),
    }
}

/// The error for a file over its cap.
pub fn too_large(path: &Path, size: u64, limit: u64) -> Error {
    wording::too_large(path, size, limit)
}

/// The whole file as UTF-8 text, without a leading BOM.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = read_capped(path, SMALL_FILE_LIMIT)?;
    text_from_bytes(path, bytes)
}

/// `bytes` as UTF-8 text without a leading BOM; invalid UTF-8 is an error at its line and column.
pub fn text_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
        wording::not_utf8(Location::from_offset(path, &valid, offset))
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// One line read with a cap on its length.
#[derive(Debug, PartialEq, Eq)]
pub enum CappedLine {
    Eof,
    /// A line (without its newline) is in the buffer.
    Line,
    /// A line of this many bytes, over the cap: skipped up to its newline, never held.
    TooLong(u64),
}

/// Read the next line into `buf` (cleared first), holding at most `cap + 1` bytes of it.
pub fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<CappedLine> {
    buf.clear();
    let n = reader
        .by_ref()
        .take(cap as u64 + 1)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(CappedLine::Eof);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        return Ok(CappedLine::Line);
    }
    if buf.len() <= cap {
        return Ok(CappedLine::Line); // the last line, without a newline
    }
    let mut total = buf.len() as u64;
    buf.clear();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(i) => {
                total += i as u64;
                reader.consume(i + 1);
                break;
            }
            None => {
                let len = available.len();
                total += len as u64;
                reader.consume(len);
            }
        }
    }
    Ok(CappedLine::TooLong(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_devices_and_directories_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.jsonl");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_capped(&fifo, 10).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let zero = dir.path().join("zero.tsx");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(read_capped(&zero, 10)
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
        assert!(read_capped(dir.path(), 10)
            .unwrap_err()
            .to_string()
            .contains("is a directory"));
    }

    #[test]
    fn a_file_over_its_cap_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; 100]).unwrap();
        assert_eq!(read_capped_or_size(&big, 99).unwrap(), Err(100));
        assert_eq!(read_capped(&big, 100).unwrap().len(), 100);
        let err = read_capped(&big, 10).unwrap_err().to_string();
        assert!(
            err.ends_with("100 bytes, over the limit of 10 bytes for this kind of file; not read"),
            "{err}"
        );
        assert_eq!(read_optional(&dir.path().join("none"), 10).unwrap(), None);
    }

    #[test]
    fn capped_lines_skip_a_long_line_without_holding_it() {
        let text = b"short\n0123456789ABCDEF\nlast";
        let mut reader = std::io::BufReader::with_capacity(4, &text[..]);
        let mut buf = Vec::new();
        let mut next = || read_line_capped(&mut reader, &mut buf, 8).map(|r| (r, buf.clone()));
        assert_eq!(next().unwrap(), (CappedLine::Line, b"short".to_vec()));
        assert_eq!(next().unwrap(), (CappedLine::TooLong(16), Vec::new()));
        assert_eq!(next().unwrap(), (CappedLine::Line, b"last".to_vec()));
        assert_eq!(next().unwrap(), (CappedLine::Eof, Vec::new()));
    }
}
