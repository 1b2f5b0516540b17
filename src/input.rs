//! Reading input files as text.
//!
//! Takes a path; gives its contents as a `String` with a leading byte-order mark removed, or an error
//! that says why it cannot be read, pointing at the first invalid byte when the file is not UTF-8.

use std::fs;
use std::path::Path;

use crate::error::{Error, Result};
use crate::location::Location;

/// The whole file as UTF-8 text, without a leading BOM.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = fs::read(path).map_err(|e| Error::read(path, e))?;
    text_from_bytes(path, bytes)
}

/// `bytes` as UTF-8 text without a leading BOM; invalid UTF-8 is an error at its line and column.
pub fn text_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
        Error::input(
            Location::from_offset(path, &valid, offset),
            "not valid UTF-8 text",
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}
