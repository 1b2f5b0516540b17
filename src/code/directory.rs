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

use super::{CodeStore, Stored};
use crate::catalog::Template;
use crate::diagnostic::{warning, Diagnostics};
use crate::error::{Error, Result};

/// A key and the code stored under it, or a key that cannot name a file.
type Read<'k> = std::result::Result<(String, Stored), &'k str>;

pub struct DirectoryStore {
    dir: PathBuf,
    extension: String,
    /// The folder's file names, read once for near-miss suggestions.
    listing: std::sync::OnceLock<Listing>,
}

impl DirectoryStore {
    pub fn new(dir: PathBuf, extension: String) -> Self {
        DirectoryStore {
            dir,
            extension,
            listing: std::sync::OnceLock::new(),
        }
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

    fn looked(&self, template: &Template) -> String {
        let Some(path) = file_for(&self.dir, &template.id, &self.extension) else {
            return format!("its id cannot name a file in {}", self.dir.display());
        };
        let listing = self.listing.get_or_init(|| Listing::read(&self.dir));
        format!(
            "no file {}{}",
            path.display(),
            listing.near_miss(&self.dir, &template.id, &self.extension)
        )
    }

    fn fetch(
        &self,
        keys: &[&str],
        max_bytes: u64,
        diagnostics: &mut Diagnostics,
        each: &mut dyn FnMut(usize, HashMap<String, Stored>) -> Result<()>,
    ) -> Result<()> {
        if !self.dir.is_dir() {
            return Err(Error::read(
                &self.dir,
                io::Error::new(io::ErrorKind::NotFound, "not a directory"),
            ));
        }
        let mut answered = 0;
        for batch in keys.chunks(FILES_AT_ONCE) {
            // Collect into a Result so the first read error (not a missing file) stops the build.
            let read: Result<Vec<Option<Read>>> = batch
                .par_iter()
                .map(|key| {
                    let Some(path) = file_for(&self.dir, key, &self.extension) else {
                        return Ok(Some(Err(*key)));
                    };
                    read_optional(&path, max_bytes)
                        .map(|stored| stored.map(|s| Ok((key.to_string(), s))))
                })
                .collect();
            let mut out = HashMap::with_capacity(batch.len());
            for stored in read?.into_iter().flatten() {
                match stored {
                    Ok((key, stored)) => {
                        out.insert(key, stored);
                    }
                    Err(key) => diagnostics.add(warning::not_a_file_name(key, &self.dir)),
                }
            }
            answered += batch.len();
            each(answered, out)?;
        }
        Ok(())
    }
}

/// Files read at once (in parallel) and handed on as one batch: enough to keep both cores busy,
/// few enough that a batch of large scenes stays a few megabytes.
const FILES_AT_ONCE: usize = 1024;

/// A folder's file names, for suggesting the file that was probably meant.
#[derive(Debug, Default)]
pub struct Listing {
    names: Vec<String>,
    /// Lowercased name without its extension → the names that have it.
    by_stem: HashMap<String, Vec<usize>>,
}

impl Listing {
    pub fn read(dir: &Path) -> Listing {
        let mut listing = Listing::default();
        for name in fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
        {
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
            listing
                .by_stem
                .entry(stem.to_lowercase())
                .or_default()
                .push(listing.names.len());
            listing.names.push(name);
        }
        listing
    }

    /// `" (did you mean <dir>/<name>?)"` for the file probably meant for `id`: the same name in
    /// another case or with another extension, or (in a folder of at most a few thousand files) a
    /// close spelling with the right extension; "" when there is none.
    pub fn near_miss(&self, dir: &Path, id: &str, extension: &str) -> String {
        let wanted = format!("{id}.{extension}");
        let same_stem = self
            .by_stem
            .get(&id.to_lowercase())
            .into_iter()
            .flatten()
            .map(|&i| self.names[i].as_str())
            .find(|n| *n != wanted);
        let close = || {
            (self.names.len() <= 5000)
                .then(|| {
                    let suffix = format!(".{extension}");
                    let candidates = self
                        .names
                        .iter()
                        .filter(|n| n.ends_with(&suffix))
                        .map(String::as_str);
                    crate::suggest::closest(&wanted, candidates)
                })
                .flatten()
        };
        match same_stem.or_else(close) {
            Some(name) => format!(" (did you mean {}?)", dir.join(name).display()),
            None => String::new(),
        }
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

/// The file's code (only a regular file is read, and only up to `max_bytes`), `None` if it does not
/// exist. Anything else that stands there (a FIFO, a device, a folder) is an error that names it.
pub fn read_optional(path: &Path, max_bytes: u64) -> Result<Option<Stored>> {
    // No separate look first: a scene is one `stat`, `open`, `fstat` and read (code stage of a
    // warm rebuild of 10,000 scenes: two system calls fewer each).
    match crate::input::read_capped_or_size(path, max_bytes) {
        Ok(Ok(bytes)) => Ok(Some(Stored::Bytes(bytes))),
        Ok(Err(size)) => Ok(Some(Stored::TooLarge(size))),
        Err(Error::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
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
