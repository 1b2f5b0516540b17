//! Code from a directory: `<dir>/<template-id>.<extension>`, one file per template.
//!
//! Takes the directory and extension from `[code]`; gives a [`CodeStore`] that reads the files in
//! parallel. A missing file means "no code" (the override and missing-template rules apply); any
//! other read failure is an error, because silently dropping a template hides a broken checkout.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::CodeStore;
use crate::catalog::Template;
use crate::diagnostic::{Diagnostics, Kind};
use crate::error::{Error, Result};

/// A key and the bytes stored under it, or why the key names no file.
type Stored = std::result::Result<(String, Vec<u8>), String>;

pub struct DirectoryStore {
    dir: PathBuf,
    extension: String,
}

impl DirectoryStore {
    pub fn new(dir: PathBuf, extension: String) -> Self {
        DirectoryStore { dir, extension }
    }
}

impl CodeStore for DirectoryStore {
    fn describe(&self) -> String {
        format!("directory {}", self.dir.display())
    }

    fn key<'t>(&self, template: &'t Template) -> Option<&'t str> {
        Some(&template.id)
    }

    fn file(&self, key: &str) -> Option<PathBuf> {
        file_for(&self.dir, key, &self.extension)
    }

    fn fetch(
        &mut self,
        keys: &[&str],
        diagnostics: &mut Diagnostics,
    ) -> Result<HashMap<String, Vec<u8>>> {
        if !self.dir.is_dir() {
            return Err(Error::read(
                &self.dir,
                io::Error::new(io::ErrorKind::NotFound, "not a directory"),
            ));
        }
        // Collect into a Result so the first read error (not a missing file) stops the build.
        let read: Result<Vec<Option<Stored>>> = keys
            .par_iter()
            .map(|key| {
                let Some(path) = file_for(&self.dir, key, &self.extension) else {
                    return Ok(Some(Err(format!(
                        "template id {key:?} cannot be a file name; its code is not looked up in {}",
                        self.dir.display()
                    ))));
                };
                read_optional(&path).map(|bytes| bytes.map(|b| Ok((key.to_string(), b))))
            })
            .collect();
        let mut out = HashMap::with_capacity(keys.len());
        for stored in read?.into_iter().flatten() {
            match stored {
                Ok((key, bytes)) => {
                    out.insert(key, bytes);
                }
                Err(why) => diagnostics.push(Kind::MissingCode, None, why),
            }
        }
        Ok(out)
    }
}

/// `<dir>/<id>.<ext>`, or `None` when the id could escape the directory or is not a plain name.
pub fn file_for(dir: &Path, id: &str, extension: &str) -> Option<PathBuf> {
    let plain = !id.is_empty()
        && !id.starts_with('.')
        && !id.contains(['/', '\\', '\0'])
        && id.len() <= 200;
    plain.then(|| dir.join(format!("{id}.{extension}")))
}

/// The file's bytes, `None` if it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::read(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_escape_the_directory_get_no_file() {
        let dir = Path::new("code");
        assert_eq!(
            file_for(dir, "intro", "tsx"),
            Some(PathBuf::from("code/intro.tsx"))
        );
        assert_eq!(file_for(dir, "../etc/passwd", "tsx"), None);
        assert_eq!(file_for(dir, "a/b", "tsx"), None);
        assert_eq!(file_for(dir, ".hidden", "tsx"), None);
        assert_eq!(file_for(dir, "", "tsx"), None);
    }
}
