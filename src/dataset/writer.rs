//! Versioned, atomic output: a new version directory appears complete or not at all.
//!
//! Takes the output root and a tag; gives a staging directory (`.<tag>.partial-<pid>-<n>`) to write
//! files into, each through a [`HashedFile`] that counts lines and computes its SHA-256 as it writes.
//! [`Staging::commit`] fsyncs the files and the directory and renames it to the first free name of
//! `<tag>`, `<tag>-1`, `<tag>-2`, …. `rename(2)` refuses a non-empty target, so two builds racing for
//! the same name cannot overwrite each other: the loser moves on to the next name. If anything fails
//! before that, dropping the staging removes it; a killed process leaves only a dot-named
//! `.partial` directory, which never looks like a version.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::check_tag;
use crate::error::{Error, Result};

/// A file written in the manifest: name, SHA-256, size, line count.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
    pub lines: u64,
}

/// A buffered file that hashes and counts what goes through it.
pub struct HashedFile {
    name: String,
    path: PathBuf,
    out: BufWriter<File>,
    hasher: Sha256,
    bytes: u64,
    lines: u64,
}

impl HashedFile {
    /// Flush, fsync, and give the manifest record.
    pub fn finish(mut self) -> Result<FileRecord> {
        self.out.flush().map_err(|e| Error::write(&self.path, e))?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::write(&self.path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::write(&self.path, e))?;
        crash_point();
        Ok(FileRecord {
            name: self.name,
            sha256: hex::encode(self.hasher.finalize()),
            bytes: self.bytes,
            lines: self.lines,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Write for HashedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write_all(buf)?;
        self.hasher.update(buf);
        self.bytes += buf.len() as u64;
        self.lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A version directory being written.
pub struct Staging {
    root: PathBuf,
    dir: PathBuf,
    tag: String,
    committed: bool,
}

impl Staging {
    /// Create `<root>` if needed and a fresh staging directory inside it.
    pub fn begin(root: &Path, tag: &str) -> Result<Staging> {
        check_tag(tag).map_err(|why| Error::Usage(format!("tag {why}")))?;
        if fs::metadata(root).is_ok_and(|m| !m.is_dir()) {
            return Err(Error::write(
                root,
                io::Error::other("exists and is not a directory"),
            ));
        }
        fs::create_dir_all(root).map_err(|e| Error::write(root, e))?;
        remove_stale_partials(root);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = root.join(format!(".{tag}.partial-{}-{nanos}", std::process::id()));
        fs::create_dir(&dir).map_err(|e| Error::write(&dir, e))?;
        Ok(Staging {
            root: root.to_path_buf(),
            dir,
            tag: tag.to_string(),
            committed: false,
        })
    }

    /// A new file in the staging directory.
    pub fn create(&self, name: &str) -> Result<HashedFile> {
        let path = self.dir.join(name);
        let file = File::create_new(&path).map_err(|e| Error::write(&path, e))?;
        Ok(HashedFile {
            name: name.to_string(),
            path,
            out: BufWriter::with_capacity(256 * 1024, file),
            hasher: Sha256::new(),
            bytes: 0,
            lines: 0,
        })
    }

    /// A subdirectory of the staging directory (e.g. `data/`).
    pub fn create_dir(&self, name: &str) -> Result<()> {
        let path = self.dir.join(name);
        fs::create_dir(&path).map_err(|e| Error::write(&path, e))
    }

    /// Write a whole small file (stats, manifest) and fsync it.
    pub fn write_small(&self, name: &str, bytes: &[u8]) -> Result<FileRecord> {
        let mut file = self.create(name)?;
        file.write_all(bytes)
            .map_err(|e| Error::write(self.dir.join(name), e))?;
        file.finish()
    }

    /// The name the version will get if nothing else takes it first (for dry runs and messages).
    pub fn next_free_name(root: &Path, tag: &str) -> String {
        (0..)
            .map(|n| candidate(tag, n))
            .find(|name| is_free(&root.join(name)))
            .unwrap_or_else(|| tag.to_string())
    }

    /// Make the staged files durable and move them into place under the first free name.
    pub fn commit(mut self) -> Result<PathBuf> {
        sync_dir(&self.dir)?;
        crash_point();
        for n in 0..100_000u32 {
            let target = self.root.join(candidate(&self.tag, n));
            if !is_free(&target) {
                continue;
            }
            match fs::rename(&self.dir, &target) {
                Ok(()) => {
                    self.committed = true;
                    sync_dir(&self.root)?;
                    return Ok(target);
                }
                // Someone else took this name between the check and the rename: try the next.
                Err(e) if is_taken(&e) => continue,
                Err(e) => return Err(Error::write(&target, e)),
            }
        }
        Err(Error::write(
            &self.root,
            io::Error::other(format!("no free version name for tag {:?}", self.tag)),
        ))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover is dot-named and never mistaken for a version.
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Crash-safety tests: `TEMPLATE_SFT_CRASH_AFTER=N` aborts the process (no destructors, no cleanup,
/// like a SIGKILL) at the N-th crash point: after each file is fsynced and before the final rename.
/// Unset, this costs one environment lookup per file.
fn crash_point() {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let Some(limit) = std::env::var("TEMPLATE_SFT_CRASH_AFTER")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return;
    };
    if COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 >= limit {
        std::process::abort();
    }
}

/// Remove `.<tag>.partial-<pid>-<n>` directories left by processes that no longer run (a build that
/// was killed). A live process's staging directory is never touched.
fn remove_stale_partials(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name
            .strip_prefix('.')
            .and_then(|n| n.rsplit_once(".partial-"))
            .map(|(_, r)| r)
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let alive = Path::new(&format!("/proc/{pid}")).exists();
        if !alive && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn candidate(tag: &str, n: u32) -> String {
    if n == 0 {
        tag.to_string()
    } else {
        format!("{tag}-{n}")
    }
}

/// Free means: nothing there, or a real (not symlinked) empty directory.
fn is_free(path: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Err(e) => e.kind() == io::ErrorKind::NotFound,
        Ok(meta) if meta.is_dir() => fs::read_dir(path).is_ok_and(|mut d| d.next().is_none()),
        Ok(_) => false,
    }
}

fn is_taken(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::DirectoryNotEmpty
            | io::ErrorKind::AlreadyExists
            | io::ErrorKind::NotADirectory
    )
}

fn sync_dir(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::write(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_never_overwrites_and_skips_symlinks_and_files() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("v1")).unwrap();
        fs::write(root.path().join("v1/keep"), "old").unwrap();
        fs::write(root.path().join("v1-1"), "a file").unwrap();
        std::os::unix::fs::symlink(root.path().join("elsewhere"), root.path().join("v1-2"))
            .unwrap();
        fs::create_dir(root.path().join("v1-3")).unwrap(); // empty: usable
        let staging = Staging::begin(root.path(), "v1").unwrap();
        staging.write_small("a.txt", b"x\n").unwrap();
        let out = staging.commit().unwrap();
        assert_eq!(out, root.path().join("v1-3"));
        assert_eq!(
            fs::read_to_string(root.path().join("v1/keep")).unwrap(),
            "old"
        );
        assert_eq!(
            fs::read_to_string(root.path().join("v1-1")).unwrap(),
            "a file"
        );
        assert!(!root.path().join("elsewhere").exists());
    }

    #[test]
    fn a_dropped_staging_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        {
            let staging = Staging::begin(root.path(), "v1").unwrap();
            staging.write_small("a.txt", b"x").unwrap();
        }
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn hashed_files_count_lines_and_hash_contents() {
        let root = tempfile::tempdir().unwrap();
        let staging = Staging::begin(root.path(), "v1").unwrap();
        let rec = staging.write_small("f", b"abc").unwrap();
        assert_eq!(
            rec.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!((rec.bytes, rec.lines), (3, 0));
    }
}
