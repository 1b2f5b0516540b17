//! The gated code of a build, kept on disk instead of in memory.
//!
//! Takes each accepted template's code, JSON-escaped once as the writer will copy it into every
//! example line; gives a [`Span`] to read it back with. A build's memory then follows the number of
//! templates (ids, digests, signatures, counts), not the size of their code: 100,000 scenes of
//! 10 KB are a gigabyte of text, escaped, which the build used to hold until the last line was
//! written. The file is unlinked as soon as it is created, so it never shows in a folder and
//! disappears with the process however it ends; the kernel's page cache keeps recently written code
//! close, and reads are positioned (`pread`), so any number of threads read at once. Identical code
//! is stored once.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::digest::Sha256Digest;

/// Where one code body is in the spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    offset: u64,
    len: u32,
}

impl Span {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

pub struct Spill {
    file: File,
    /// Where it was created (for messages: the file itself has no name any more).
    dir: PathBuf,
    end: u64,
    /// Identical code (by SHA-256 of its text) is written once.
    written: HashMap<Sha256Digest, Span>,
}

impl Spill {
    /// A new, already unlinked, file in `dir` (the output root: the same disk as the version, not a
    /// RAM-backed temporary folder).
    pub fn create_in(dir: &Path) -> io::Result<Spill> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for attempt in 0..100u32 {
            let path = dir.join(format!(
                ".template-sft-spill-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path);
            match opened {
                Ok(file) => {
                    std::fs::remove_file(&path)?;
                    return Ok(Spill {
                        file,
                        dir: dir.to_path_buf(),
                        end: 0,
                        written: HashMap::new(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("no free name for a temporary file"))
    }

    /// Where the spill file was created.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Append `json` (the code with SHA-256 `sha256`, escaped) unless identical code is there
    /// already; gives where it is.
    pub fn push(&mut self, sha256: Sha256Digest, json: &[u8]) -> io::Result<Span> {
        if let Some(span) = self.written.get(&sha256) {
            return Ok(*span);
        }
        let len =
            u32::try_from(json.len()).map_err(|_| io::Error::other("a code body over 4 GiB"))?;
        (&self.file).write_all(json)?;
        let span = Span {
            offset: self.end,
            len,
        };
        self.end += u64::from(len);
        self.written.insert(sha256, span);
        Ok(span)
    }

    /// The bytes at `span`, read into the front of `buf`. `buf` only ever grows: clearing and
    /// zero-filling it again for every line each writer thread renders was wasted work, since the
    /// read overwrites the bytes anyway.
    pub fn read<'b>(&self, span: Span, buf: &'b mut Vec<u8>) -> io::Result<&'b [u8]> {
        if buf.len() < span.len() {
            buf.resize(span.len(), 0);
        }
        let bytes = &mut buf[..span.len()];
        self.file.read_exact_at(bytes, span.offset)?;
        Ok(bytes)
    }

    /// Done writing: forget the digests (reading needs only spans).
    pub fn seal(&mut self) {
        self.written = HashMap::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_goes_out_and_comes_back_once_per_digest_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create_in(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let a = spill
            .push(Sha256Digest::of(b"aa"), b"\"const a = 1;\"")
            .unwrap();
        let b = spill
            .push(Sha256Digest::of(b"bb"), b"\"export default 2;\"")
            .unwrap();
        assert_eq!(
            spill
                .push(Sha256Digest::of(b"aa"), b"\"const a = 1;\"")
                .unwrap(),
            a
        );
        spill.seal();
        let mut buf = Vec::new();
        assert_eq!(spill.read(b, &mut buf).unwrap(), b"\"export default 2;\"");
        // A shorter body after a longer one: exactly its bytes, none of the longer one's tail.
        assert_eq!(spill.read(a, &mut buf).unwrap(), b"\"const a = 1;\"");
        assert_eq!(spill.end, 33);
    }
}
