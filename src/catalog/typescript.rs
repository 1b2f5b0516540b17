//! Catalogs as canonical.ts-style TypeScript modules (literal evaluation only).
//!
//! Takes the file path and an optional export name; gives the catalog's templates.

use std::path::Path;

use super::Template;
use crate::console::Console;
use crate::error::{Error, Result};
use crate::location::Location;

pub fn read(path: &Path, _export: Option<&str>, _console: &Console) -> Result<Vec<Template>> {
    Err(Error::input(
        Location::file(path),
        "TypeScript catalogs are not supported yet",
    ))
}
