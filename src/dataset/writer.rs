//! Versioned, atomic output: a new version directory appears complete or not at all.
//!
//! Takes the output root and a tag; gives a staging directory (`.<tag>.partial-<pid>-<n>`) to write
//! files into, each through a [`HashedFile`] that counts lines and computes its SHA-256 as it writes
//! (and asks the kernel to start writing it to disk every 2 MiB, so the final fsync waits little).
//! [`Staging::commit`] fsyncs the files and the directory and renames it to the first free name of
//! `<tag>`, `<tag>-1`, `<tag>-2`, …. `rename(2)` refuses a non-empty target, so two builds racing for
//! the same name cannot overwrite each other: the loser moves on to the next name. If anything fails
//! before that, dropping the staging removes it; a killed process leaves only a dot-named
//! `.partial` directory, which never looks like a version.
//!
//! Leftovers are removed by the next build, safely: a staging directory holds a marker file
//! ([`MARKER`]) on which its owner keeps an exclusive advisory lock (`flock`) for as long as it lives.
//! The kernel drops the lock when the owner dies, however it dies, whichever PID namespace or host
//! it ran in; a cleaner deletes a directory only when it can take that lock itself, and only by its
//! staging path (gone once renamed). A directory without the marker is not ours, so it is never
//! touched. Nothing depends on `/proc` or on process ids.
//!
//! Long because staging, its lock, the crash hooks and the whole-file writes all serve one promise
//! (a version appears whole or not at all), tested together here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::check_tag;
use crate::error::{wording, Error, Result};

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
    /// `bytes` when writeback of the file was last started.
    written_back: u64,
}

/// How much a file grows between two starts of its writeback (see [`start_writeback`]): the
/// sooner the disk is given work, the less the writing waits for it. The writing stage of a warm
/// families-10k rebuild took 1.13–1.31 s without the hint, 0.98–1.19 s every 64 MiB, 0.81–0.97 s
/// every 16, 0.73–0.94 s every 1 to 4 (five rounds each, alternating).
const WRITEBACK_EVERY: u64 = 2 << 20;

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

    /// `pieces`, one after another, which hold `lines` whole lines between them (the caller
    /// rendered them and knows: they are not searched for newlines). They go to the kernel from
    /// where they are, as many as it takes in one `writev`, not copied into the write buffer
    /// first: for the split files that copy and the newline count were ~5% of a warm rebuild's
    /// writing.
    pub fn write_lines(&mut self, pieces: &[&[u8]], lines: u64) -> io::Result<()> {
        debug_assert_eq!(
            pieces
                .iter()
                .map(|p| memchr::memchr_iter(b'\n', p).count() as u64)
                .sum::<u64>(),
            lines,
            "write_lines was told a wrong line count"
        );
        // What is buffered goes first, so the file keeps the order it was given.
        self.out.flush()?;
        let mut slices: Vec<io::IoSlice<'_>> = pieces.iter().map(|p| io::IoSlice::new(p)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match self.out.get_mut().write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        for piece in pieces {
            self.hasher.update(piece);
            self.bytes += piece.len() as u64;
        }
        self.lines += lines;
        self.maybe_start_writeback();
        Ok(())
    }

    /// Start the writeback of what was written since it was last started, once that is
    /// [`WRITEBACK_EVERY`] bytes.
    fn maybe_start_writeback(&mut self) {
        if self.bytes - self.written_back >= WRITEBACK_EVERY {
            self.written_back = self.bytes;
            start_writeback(self.out.get_ref());
        }
    }
}

impl Write for HashedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write_all(buf)?;
        self.hasher.update(buf);
        self.bytes += buf.len() as u64;
        // A byte-by-byte count took a tenth of a warm rebuild (perf, families-10k).
        self.lines += memchr::memchr_iter(b'\n', buf).count() as u64;
        self.maybe_start_writeback();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Ask the kernel to start writing the file's dirty pages to disk, without waiting for it: the
/// disk then works while the build goes on rendering and hashing lines, and the `fsync` at the
/// end finds little left to do (the writing stage of a warm catalog-10k rebuild: 1.33 → 0.85 s).
/// A hint: if the kernel refuses it, `fsync` still does all the work.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File) {
    // SAFETY: a plain system call on a file descriptor this `File` owns and keeps open; offset 0
    // and length 0 mean the whole file.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Elsewhere (macOS has no `sync_file_range`): `fsync` does all the work at the end.
#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File) {}

/// The file inside a staging directory that marks it as ours and carries its owner's lock.
pub const MARKER: &str = ".template-sft-staging";

/// A version directory being written.
pub struct Staging {
    root: PathBuf,
    dir: PathBuf,
    tag: String,
    committed: bool,
    /// The marker, open and locked for as long as this value lives.
    _lock: File,
    /// Removed if the tool is interrupted.
    _interrupt: crate::interrupt::Registered,
}

impl Staging {
    /// Create `<root>` if needed and a fresh staging directory inside it.
    pub fn begin(root: &Path, tag: &str) -> Result<Staging> {
        check_tag(tag).map_err(|why| wording::bad_name("tag", why))?;
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
        // The marker is made and locked under another name, and only then given its own: a
        // cleaner (another build starting now) that finds a marker can never take its lock before
        // its owner has.
        let marker = dir.join(MARKER);
        let unlocked = dir.join(format!("{MARKER}.new"));
        let lock_file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&unlocked)
        {
            Ok(f) => f,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(Error::write(&marker, e));
            }
        };
        if lock(&lock_file, false).is_ok() {
            if let Err(e) = fs::rename(&unlocked, &marker) {
                let _ = fs::remove_dir_all(&dir);
                return Err(Error::write(&marker, e));
            }
        } else {
            // A file system without locks: without the marker no cleaner will ever touch this
            // directory (a crash leaves it behind, dot-named; never a live build deleted).
            let _ = fs::remove_file(&unlocked);
        }
        Ok(Staging {
            root: root.to_path_buf(),
            _interrupt: crate::interrupt::folder(dir.clone()),
            dir,
            tag: tag.to_string(),
            committed: false,
            _lock: lock_file,
        })
    }

    /// The staging directory (for messages).
    pub fn path(&self) -> &Path {
        &self.dir
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
            written_back: 0,
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
    /// An output root that cannot hold versions (a file, under a file, unreadable) is an error, as a
    /// real build would find.
    pub fn next_free_name(root: &Path, tag: &str) -> Result<String> {
        match fs::metadata(root) {
            Ok(m) if !m.is_dir() => {
                return Err(Error::write(
                    root,
                    io::Error::other("exists and is not a directory"),
                ))
            }
            Ok(_) => {
                fs::read_dir(root).map_err(|e| Error::write(root, e))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(tag.to_string()),
            Err(e) => return Err(Error::write(root, e)),
        }
        (0..MAX_CANDIDATES)
            .map(|n| candidate(tag, n))
            .find(|name| is_free(&root.join(name)))
            .ok_or_else(|| {
                Error::write(
                    root,
                    io::Error::other(format!("no free version name for tag {tag:?}")),
                )
            })
    }

    /// Make the staged files durable and move them into place under the first free name.
    pub fn commit(self) -> Result<PathBuf> {
        let names: Vec<String> = (0..MAX_CANDIDATES)
            .map(|n| candidate(&self.tag, n))
            .collect();
        self.commit_under(&names)
    }

    fn commit_under(mut self, names: &[String]) -> Result<PathBuf> {
        sync_dir(&self.dir)?;
        crash_point();
        for name in names {
            let target = self.root.join(name);
            if !is_free(&target) {
                continue;
            }
            match fs::rename(&self.dir, &target) {
                Ok(()) => {
                    self.committed = true;
                    // The marker leaves the version while its lock is still held: a cleaner that
                    // opened it before the rename cannot take the lock until we are done, and then
                    // deletes only the staging path, which no longer exists. (Should the process
                    // die right here, the marker stays inside the version, where no cleaner looks
                    // and every verifier ignores it.)
                    let marker = target.join(MARKER);
                    // No fsync for it: a marker that outlives a crash is harmless where it is.
                    match fs::remove_file(&marker) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => {
                            return Err(Error::write(&marker, e))
                        }
                        _ => {}
                    }
                    sync_dir(&self.root)?;
                    return Ok(target);
                }
                // Someone else took this name between the check and the rename: try the next.
                Err(e) if is_taken(&e) => continue,
                Err(e) => return Err(Error::write(&target, e)),
            }
        }
        let why = match names {
            [only] => format!("{only} was taken while this was written; run again"),
            _ => format!("no free version name for tag {:?}", self.tag),
        };
        Err(Error::write(&self.root, io::Error::other(why)))
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

/// Refuse `out` (a file or folder about to be written) if it lies inside a dataset version or an
/// export (a folder holding a `manifest.json`): writing there would change what the manifest
/// vouches for. Symlinks in the existing part of the path are resolved first.
pub fn refuse_inside_version(out: &Path) -> Result<()> {
    // The deepest existing ancestor, resolved; the rest of the path does not exist yet.
    let mut existing = out.parent().filter(|p| !p.as_os_str().is_empty());
    let resolved = loop {
        match existing {
            Some(p) => match fs::canonicalize(p) {
                Ok(r) => break Some(r),
                Err(_) => existing = p.parent().filter(|p| !p.as_os_str().is_empty()),
            },
            None => break fs::canonicalize(".").ok(),
        }
    };
    let Some(resolved) = resolved else {
        return Ok(());
    };
    if let Some(version) = resolved
        .ancestors()
        .find(|a| a.join("manifest.json").is_file())
    {
        return Err(wording::inside_a_version(out, version));
    }
    Ok(())
}

/// `bytes` in a new file under a fresh temporary name beside `path` (created exclusively, never
/// through a symlink) and fsynced: what [`write_new_file`] links into place.
fn synced_beside(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = dir.join(format!(".{name}.{}-{nanos}.tmp", std::process::id()));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temp)
        .map_err(|e| Error::write(&temp, e))?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        let _ = fs::remove_file(&temp);
        return Err(Error::write(path, e));
    }
    Ok(temp)
}

/// `path` for `n` = 0, else `path` with `-n` after its stem (`report.html` → `report-2.html`).
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    if n == 0 {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!("{stem}-{n}{extension}"))
}

/// Write `bytes` as a new file at `path`, or, when that name is taken, at the first free numbered
/// name (`numbered`): the one overwrite rule of every output, which is never to overwrite. The file
/// is written and fsynced under a temporary name, then hard-linked into place, which fails on a
/// taken name instead of replacing it (so two writers at once take two names). Gives the path.
pub fn write_new_file(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let temp = synced_beside(path, bytes)?;
    let mut result = Err(wording::no_free_name(path, MAX_CANDIDATES));
    for n in 0..MAX_CANDIDATES {
        let candidate = numbered(path, n);
        match fs::hard_link(&temp, &candidate) {
            Ok(()) => {
                result = Ok(candidate);
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                result = Err(Error::write(&candidate, e));
                break;
            }
        }
    }
    let _ = fs::remove_file(&temp);
    result
}

/// Create `path` as a new folder, or, when that name is taken, the first free numbered name
/// (`frames` → `frames-1`); its parents are made as needed. Gives the folder made.
pub fn new_dir(path: &Path) -> Result<PathBuf> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
    }
    for n in 0..MAX_CANDIDATES {
        let candidate = numbered(path, n);
        match fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::write(&candidate, e)),
        }
    }
    Err(wording::no_free_name(path, MAX_CANDIDATES))
}

/// Names tried for a version before giving up.
pub(crate) const MAX_CANDIDATES: u32 = 100_000;

/// Take (`wait`) or try to take an exclusive advisory lock on `file`.
fn lock(file: &File, wait: bool) -> io::Result<()> {
    let op = if wait {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    // SAFETY: flock on a descriptor this File owns; no memory is passed.
    if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Crash-safety tests (debug builds only, so never in a release binary):
/// `TEMPLATE_SFT_CRASH_AFTER=N` aborts the process (no destructors, no cleanup, like a SIGKILL) at
/// the N-th crash point: after each file is fsynced and before the final rename.
/// `TEMPLATE_SFT_PAUSE_AT=N:FILE` waits at the N-th crash point until FILE exists (a live build
/// another process can race with).
#[cfg(debug_assertions)]
fn crash_point() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(limit) = std::env::var("TEMPLATE_SFT_CRASH_AFTER")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        if n >= limit {
            std::process::abort();
        }
    }
    if let Some((at, file)) = std::env::var("TEMPLATE_SFT_PAUSE_AT").ok().and_then(|v| {
        v.split_once(':')
            .map(|(a, f)| (a.parse::<u64>().ok(), f.to_string()))
    }) {
        if at == Some(n) {
            while !Path::new(&file).exists() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}

#[cfg(not(debug_assertions))]
fn crash_point() {}

/// Remove staging directories whose owner is gone: only those holding our [`MARKER`], and only when
/// its lock can be taken (the owner holds it until it dies). Anything else is left alone.
fn remove_stale_partials(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with('.') && name.contains(".partial-")) {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        let Ok(marker) = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(dir.join(MARKER))
        else {
            continue; // not ours, or being committed
        };
        if lock(&marker, false).is_ok() {
            // Its owner is gone (a live owner holds the lock; a lock that cannot be taken for any
            // other reason, such as a file system without locks, keeps it too).
            let _ = fs::remove_dir_all(&dir);
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
    fn only_abandoned_staging_of_ours_is_removed() {
        let root = tempfile::tempdir().unwrap();
        // A user's folder that merely looks like staging: never ours, never touched.
        let lookalike = root.path().join(".mine.partial-1-2");
        fs::create_dir(&lookalike).unwrap();
        fs::write(lookalike.join("notes.txt"), "keep").unwrap();
        // A live build's staging (this process holds its lock).
        let live = Staging::begin(root.path(), "v1").unwrap();
        live.write_small("a.txt", b"x").unwrap();
        // An abandoned one: a marker nobody holds.
        let dead = root.path().join(".v1.partial-99999-1");
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join(MARKER), "").unwrap();
        let other = Staging::begin(root.path(), "v1").unwrap();
        assert!(lookalike.join("notes.txt").exists());
        assert!(live.dir.join("a.txt").exists());
        assert!(!dead.exists());
        assert_eq!(live.commit().unwrap(), root.path().join("v1"));
        assert!(!root.path().join("v1").join(MARKER).exists());
        drop(other);
    }

    #[test]
    fn a_dry_run_name_for_an_unusable_root_is_an_error_not_a_loop() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("f");
        fs::write(&file, "x").unwrap();
        assert!(Staging::next_free_name(&file, "v1").is_err());
        assert!(Staging::next_free_name(&file.join("under"), "v1").is_err());
        assert_eq!(
            Staging::next_free_name(&root.path().join("new"), "v1").unwrap(),
            "v1"
        );
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

    #[test]
    fn a_file_larger_than_the_writeback_step_is_written_whole_and_hashed_as_read_back() {
        let root = tempfile::tempdir().unwrap();
        let staging = Staging::begin(root.path(), "v1").unwrap();
        let mut file = staging.create("big.jsonl").unwrap();
        // 2.5 steps of lines that differ, so a lost or repeated chunk changes the digest.
        let mut written = 0u64;
        let mut n = 0u64;
        while written < 5 * WRITEBACK_EVERY / 2 {
            let line = format!("{{\"n\":{n},\"pad\":\"{}\"}}\n", "x".repeat(4000));
            file.write_all(line.as_bytes()).unwrap();
            written += line.len() as u64;
            n += 1;
        }
        // Writeback was asked for twice (after one step and after two).
        assert_eq!(file.written_back / WRITEBACK_EVERY, 2);
        let path = file.path().to_path_buf();
        let rec = file.finish().unwrap();
        let on_disk = fs::read(&path).unwrap();
        assert_eq!((rec.bytes, rec.lines), (on_disk.len() as u64, n));
        assert_eq!(rec.bytes, written);
        assert_eq!(rec.sha256, hex::encode(Sha256::digest(&on_disk)));
    }

    #[test]
    fn lines_written_in_pieces_follow_buffered_ones_in_order_and_are_hashed_and_counted() {
        let root = tempfile::tempdir().unwrap();
        let staging = Staging::begin(root.path(), "v1").unwrap();
        let mut file = staging.create("pieces.jsonl").unwrap();
        file.write_all(b"buffered first\n").unwrap();
        // More pieces than one writev takes (IOV_MAX is 1024 on Linux), each line in two.
        let bodies: Vec<String> = (0..3000).map(|i| format!("{{\"n\":{i}}}")).collect();
        let pieces: Vec<&[u8]> = bodies
            .iter()
            .flat_map(|b| [b.as_bytes(), b"\n".as_slice()])
            .collect();
        file.write_lines(&pieces, 3000).unwrap();
        file.write_all(b"buffered last\n").unwrap();
        let path = file.path().to_path_buf();
        let rec = file.finish().unwrap();
        let expected = format!("buffered first\n{}\nbuffered last\n", bodies.join("\n"));
        let on_disk = fs::read(&path).unwrap();
        assert_eq!(on_disk, expected.as_bytes());
        assert_eq!((rec.bytes, rec.lines), (on_disk.len() as u64, 3002));
        assert_eq!(rec.sha256, hex::encode(Sha256::digest(&on_disk)));
    }
}
