//! Files of results remembered between builds, which nothing may use to cheat.
//!
//! Takes a folder (`<output root>/.template-sft-cache/`), a file name and a key (everything the
//! records depend on: the build id, settings); gives the records an earlier build saved under the
//! same key, and saves this build's. The gate's verdicts ([`crate::code::gate_cache`]) and the
//! model-token counts ([`crate::tokens::piece_cache`]) are such files, one JSON line a record; the
//! briefs' token counts ([`crate::tokens::count_cache`]) are a sealed file, one binary body under
//! one checksum ([`CacheFile::save_sealed`]), for records too small and many to check one by one.
//!
//! A cache must never let through what the build would reject, nor write where it should not:
//! every record (or sealed body) carries an HMAC-SHA256 over the key and the record under a secret
//! of this user's (32 random bytes in the user's cache folder, [`user_folder`]`/cache-secret`,
//! readable by the user alone), so a cache that came with a received project, or was edited by
//! hand, or torn by a crash, does not verify; one record that does not voids the whole file, so
//! everything is computed again; without a secret (no cache folder) nothing is cached; a file with
//! another key is not used; the file is read line by line with a cap on each line (a sealed file
//! whole, with a cap on its size); the temporary
//! file is created exclusively under a fresh name (never following a planted symlink) and renamed
//! over the old one; a cache folder that is a symlink is not used at all. Failing to save only
//! costs time next build, so it is a note, never an error.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::digest::{hmac_sha256, hmac_sha256_hex, Hmac};
use crate::input::{self, read_line_capped, CappedLine};

/// The folder the caches of an output root live in.
pub fn folder(root: &Path) -> PathBuf {
    root.join(".template-sft-cache")
}

/// One cache file and the key its records are valid under.
#[derive(Debug, Clone)]
pub struct CacheFile {
    path: PathBuf,
    key: String,
    secret: [u8; 32],
}

/// One line of the file: a record and the checksum that binds it to the key.
#[derive(Serialize, Deserialize)]
struct Line {
    record: serde_json::Value,
    check: String,
}

/// The longest line read back (a gate verdict with a signature is about 2.3 KB).
const MAX_LINE: usize = 64 << 10;

/// The checksum of one record under `key`: keyed by this user's secret, so that nobody else can
/// make a record this user's builds accept.
fn check(secret: &[u8; 32], key: &str, record: &str) -> String {
    hmac_sha256_hex(secret, format!("{key}\n{record}").as_bytes())
}

/// The folder of this user's caches (render kits, model tokenizers, the cache secret):
/// `$TEMPLATE_SFT_CACHE`, else `$XDG_CACHE_HOME/template-sft`, else `~/.cache/template-sft`.
pub fn user_folder() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TEMPLATE_SFT_CACHE") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("template-sft"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/template-sft"))
}

/// This user's cache secret, made on first use; none if it can be neither read nor made.
fn secret() -> Option<[u8; 32]> {
    use std::sync::OnceLock;
    static SECRET: OnceLock<Option<[u8; 32]>> = OnceLock::new();
    *SECRET.get_or_init(|| {
        let path = user_folder()?.join("cache-secret");
        read_secret(&path).or_else(|| make_secret(&path))
    })
}

/// The secret at `path`, if it is a regular file of 32 bytes that only its owner (this user) may
/// read.
fn read_secret(path: &Path) -> Option<[u8; 32]> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if !meta.is_file() || meta.uid() != me || meta.mode() & 0o077 != 0 || meta.len() != 32 {
        return None;
    }
    let mut secret = [0u8; 32];
    file.read_exact(&mut secret).ok()?;
    Some(secret)
}

/// A new secret from the system's random source, written with mode 0600 (created exclusively: a
/// file another process made in the meantime is read instead).
fn make_secret(path: &Path) -> Option<[u8; 32]> {
    use std::io::Read;
    let mut secret = [0u8; 32];
    fs::File::open("/dev/urandom")
        .ok()?
        .read_exact(&mut secret)
        .ok()?;
    fs::create_dir_all(path.parent()?).ok()?;
    let (temp, mut file) = create_temp(path.parent()?).ok()?;
    let written = file
        .write_all(&secret)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::set_permissions(&temp, fs::Permissions::from_mode(0o600)));
    // A hard link fails if the name exists: the secret someone else made first wins.
    let linked = written.and_then(|()| fs::hard_link(&temp, path));
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => Some(secret),
        Err(_) => read_secret(path),
    }
}

impl CacheFile {
    /// `name` in the cache folder of `root`, valid under `key`.
    pub fn new(root: &Path, name: &str, key: String) -> CacheFile {
        match secret() {
            Some(secret) => CacheFile {
                path: folder(root).join(name),
                key,
                secret,
            },
            None => CacheFile::disabled(),
        }
    }

    /// A cache that reads nothing and saves nothing (`--no-cache`).
    pub fn disabled() -> CacheFile {
        CacheFile {
            path: PathBuf::new(),
            key: String::new(),
            secret: [0; 32],
        }
    }

    /// Whether this is [`CacheFile::disabled`] (or there is no secret): nothing is read or saved.
    pub fn is_disabled(&self) -> bool {
        self.key.is_empty()
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every record of the file, if its key is this one and every checksum holds; else none.
    pub fn read<R: DeserializeOwned>(&self) -> Vec<R> {
        if self.key.is_empty() || !dir_is_usable(&self.path) {
            return Vec::new();
        }
        self.read_all().unwrap_or_default()
    }

    fn read_all<R: DeserializeOwned>(&self) -> Option<Vec<R>> {
        let file = input::open_regular(&self.path).ok()?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut buf = Vec::new();
        let mut keyed = false;
        let mut records = Vec::new();
        loop {
            match read_line_capped(&mut reader, &mut buf, MAX_LINE).ok()? {
                CappedLine::Eof => break,
                CappedLine::TooLong(_) => return None,
                CappedLine::Line => {}
            }
            let line = std::str::from_utf8(&buf).ok()?.trim_end_matches('\r');
            if !keyed {
                if line != self.key {
                    return None;
                }
                keyed = true;
                continue;
            }
            let line: Line = serde_json::from_str(line).ok()?;
            // The checksum is over the record's canonical text (keys sorted), as it was written.
            let record = serde_json::to_string(&line.record).ok()?;
            if check(&self.secret, &self.key, &record) != line.check {
                // Edited or damaged: trust nothing in it.
                return None;
            }
            records.push(serde_json::from_str(&record).ok()?);
        }
        keyed.then_some(records)
    }

    /// Replace the file's records with `records` (this build's).
    pub fn save<R: Serialize>(&self, records: impl Iterator<Item = R>) -> std::io::Result<()> {
        self.replace(|out| {
            for record in records {
                let record = serde_json::to_value(record)?;
                let line = serde_json::json!({
                    "check": check(&self.secret, &self.key, &record.to_string()),
                    "record": record,
                });
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        })
    }

    /// The body of a sealed file ([`CacheFile::save_sealed`]), if its key is this one and its one
    /// checksum holds; none if anything differs, or the body is longer than `max` bytes.
    pub fn read_sealed(&self, max: u64) -> Option<Vec<u8>> {
        if self.key.is_empty() || !dir_is_usable(&self.path) {
            return None;
        }
        let head = self.key.len() + 1;
        let mut bytes = input::read_capped(&self.path, head as u64 + max + 32).ok()?;
        if bytes.len() < head + 32
            || &bytes[..head - 1] != self.key.as_bytes()
            || bytes[head - 1] != b'\n'
        {
            return None;
        }
        let body_end = bytes.len() - 32;
        let seal = hmac_sha256(&self.secret, &[&bytes[..body_end]]);
        if seal[..] != bytes[body_end..] {
            // Edited or damaged: trust nothing in it.
            return None;
        }
        bytes.truncate(body_end);
        bytes.drain(..head);
        Some(bytes)
    }

    /// Replace the file with what `write` writes under one checksum: the key's line, the body,
    /// then the HMAC-SHA256 of both. For many small records, where a checksum each (as
    /// [`CacheFile::save`] writes) would cost more than the records save; written as they come, so
    /// saving holds no copy of the body.
    pub fn save_sealed(
        &self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.replace(|out| {
            let mut mac = Hmac::new(&self.secret);
            mac.update(format!("{}\n", self.key).as_bytes());
            let mut sealed = Sealing { out, mac };
            write(&mut sealed)?;
            let seal = sealed.mac.finish();
            out.write_all(&seal)
        })
    }

    /// Write the key's line and what `write` writes to a fresh temporary file, then rename it
    /// over the file.
    fn replace(
        &self,
        write: impl FnOnce(&mut std::io::BufWriter<fs::File>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        if self.key.is_empty() {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        if !dir_is_usable(&self.path) {
            return Err(std::io::Error::other(format!(
                "{} is not a plain folder (a symlink?); not writing the cache there",
                dir.display()
            )));
        }
        let (temp, file) = create_temp(dir)?;
        let written = (|| {
            let mut out = std::io::BufWriter::new(file);
            writeln!(out, "{}", self.key)?;
            write(&mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            // rename(2) replaces whatever is at the path (a symlink included) without following it.
            fs::rename(&temp, &self.path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written
    }
}

/// A writer that adds what it writes to a checksum.
struct Sealing<'a, W: Write> {
    out: &'a mut W,
    mac: Hmac,
}

impl<W: Write> Write for Sealing<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.mac.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The cache folder exists as a real folder (or not yet at all), not a symlink to elsewhere.
fn dir_is_usable(path: &Path) -> bool {
    let Some(dir) = path.parent() else {
        return false;
    };
    match fs::symlink_metadata(dir) {
        Ok(m) => m.file_type().is_dir(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// A new file under a name nobody can predict, created exclusively (never through a symlink).
fn create_temp(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for attempt in 0..100u32 {
        let seed = crate::digest::seeded_hash(
            nanos as u64 ^ u64::from(std::process::id()),
            &[&attempt.to_string()],
        );
        let temp = dir.join(format!(".cache.{seed:016x}.tmp"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Record {
        name: String,
        n: u32,
    }

    fn records() -> Vec<Record> {
        vec![
            Record {
                name: "a".into(),
                n: 1,
            },
            Record {
                name: "b".into(),
                n: 2,
            },
        ]
    }

    #[test]
    fn records_round_trip_under_their_key_only_and_an_edit_voids_the_file() {
        let root = tempfile::tempdir().unwrap();
        let cache = CacheFile::new(root.path(), "x.jsonl", "key 1".into());
        cache.save(records().into_iter()).unwrap();
        assert_eq!(cache.read::<Record>(), records());
        assert!(CacheFile::new(root.path(), "x.jsonl", "key 2".into())
            .read::<Record>()
            .is_empty());
        let text = fs::read_to_string(cache.path()).unwrap();
        let edited = text.replace(r#""n":2"#, r#""n":3"#);
        assert_ne!(edited, text);
        fs::write(cache.path(), edited).unwrap();
        assert!(cache.read::<Record>().is_empty());
        assert!(CacheFile::disabled().read::<Record>().is_empty());
    }

    #[test]
    fn a_sealed_body_round_trips_under_its_key_and_within_its_cap_only() {
        let root = tempfile::tempdir().unwrap();
        let cache = CacheFile::new(root.path(), "x.bin", "key 1".into());
        cache
            .save_sealed(|out| {
                out.write_all(b"first ")?;
                out.write_all(b"second")
            })
            .unwrap();
        assert_eq!(cache.read_sealed(12).as_deref(), Some(&b"first second"[..]));
        assert_eq!(cache.read_sealed(11), None);
        let other = CacheFile::new(root.path(), "x.bin", "key 2".into());
        assert_eq!(other.read_sealed(12), None);
        // The seal is the HMAC of the key's line and the body: a body edited in place voids it.
        let bytes = fs::read(cache.path()).unwrap();
        assert_eq!(bytes.len(), "key 1\nfirst second".len() + 32);
        let mut edited = bytes.clone();
        edited[6] = b'F';
        fs::write(cache.path(), edited).unwrap();
        assert_eq!(cache.read_sealed(12), None);
        assert_eq!(CacheFile::disabled().read_sealed(12), None);
    }

    #[test]
    fn a_planted_symlink_is_replaced_never_written_through() {
        let root = tempfile::tempdir().unwrap();
        let victim = root.path().join("victim.txt");
        fs::write(&victim, "precious").unwrap();
        let dir = root.path().join("out/.template-sft-cache");
        fs::create_dir_all(&dir).unwrap();
        // A symlink at the final name.
        std::os::unix::fs::symlink(&victim, dir.join("x.jsonl")).unwrap();
        CacheFile::new(&root.path().join("out"), "x.jsonl", "k".into())
            .save(records().into_iter())
            .unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!fs::symlink_metadata(dir.join("x.jsonl"))
            .unwrap()
            .file_type()
            .is_symlink());
        // A cache folder that is itself a symlink is not used.
        let elsewhere = root.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::create_dir(root.path().join("b")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.path().join("b/.template-sft-cache")).unwrap();
        assert!(
            CacheFile::new(&root.path().join("b"), "x.jsonl", "k".into())
                .save(records().into_iter())
                .is_err()
        );
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    }
}
