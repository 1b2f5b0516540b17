//! Template code: fetch each template's production code, fall back to code overrides, report gaps.
//!
//! Takes the catalog's templates, a [`CodeStore`] (a directory or PostgreSQL) and the optional
//! code-override folder; gives, per template id, the code found (bytes and where they came from) or
//! the reason there is none. The quality [`gate`] then decides which code may be trained on and keeps
//! it as a [`TemplateCode`], shared by every example of the template and never copied per example.

pub mod directory;
pub mod duration;
pub mod gate;
pub mod gate_cache;
pub mod overrides;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "postgres")]
pub mod postgres_tls;
pub mod spill;

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::catalog::Template;
use crate::diagnostic::Diagnostics;
use crate::digest::Sha256Digest;
use crate::error::Result;
use duration::CodeDuration;

/// Where production code is kept: a directory of files or a PostgreSQL table.
pub trait CodeStore: Send + Sync {
    /// For messages and the manifest, e.g. `directory examples/starter/templates`. No secrets.
    fn describe(&self) -> String;

    /// The key this store keeps `template`'s code under, if it can hold it at all.
    fn key<'t>(&self, template: &'t Template) -> Option<&'t str>;

    /// The file that holds `key`'s code, when the store is a directory (for messages).
    fn file(&self, _key: &str) -> Option<PathBuf> {
        None
    }

    /// Where the store looked for `template`'s code and found none, in words, with a near miss
    /// when there is one ("no file templates/x.tsx (did you mean templates/X.tsx?)").
    fn looked(&self, template: &Template) -> String;

    /// The code stored for `keys`, handed over in batches so that a large catalog's code is never
    /// all in memory: `each(answered, found)` says that the first `answered` keys are now answered
    /// and gives the code found for the ones answered since the last call (keys with no stored code
    /// are simply absent). Bytes, not text: whether they are usable UTF-8 is the gate's call, so
    /// one bad file is reported rather than aborting the build. Code over `max_bytes` is not read:
    /// it arrives as its size.
    fn fetch(
        &self,
        keys: &[&str],
        max_bytes: u64,
        diagnostics: &mut Diagnostics,
        each: &mut dyn FnMut(usize, HashMap<String, Stored>) -> Result<()>,
    ) -> Result<()>;
}

/// What a store holds under one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Bytes(Vec<u8>),
    /// Over `code.max_bytes`: the size, the bytes left unread.
    TooLarge(u64),
}

impl Stored {
    /// `bytes`, or only its size when it is over `max_bytes`.
    pub fn capped(bytes: Vec<u8>, max_bytes: u64) -> Stored {
        if bytes.len() as u64 > max_bytes {
            Stored::TooLarge(bytes.len() as u64)
        } else {
            Stored::Bytes(bytes)
        }
    }

    /// No code at all: a blank file or column counts as none.
    pub fn is_blank(&self) -> bool {
        match self {
            Stored::Bytes(bytes) => bytes.iter().all(u8::is_ascii_whitespace),
            Stored::TooLarge(_) => false,
        }
    }
}

/// Where a template's code came from, without the place (meta `codeOrigin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeFrom {
    /// The configured store.
    Store,
    /// A code-override file.
    Override,
}

/// Where a template's code was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOrigin {
    /// The configured store, under this key (and in this file, for a directory store).
    Store {
        /// The store key: the template id (directory) or its `dbId` (PostgreSQL).
        key: String,
        /// The file read, for a directory store.
        file: Option<PathBuf>,
    },
    /// A code-override file (the store had no usable code).
    Override {
        /// The code-override file read.
        path: PathBuf,
    },
}

impl CodeOrigin {
    /// Stored under `key`, not in a file (a database row).
    pub fn store(key: &str) -> Self {
        CodeOrigin::Store {
            key: key.to_string(),
            file: None,
        }
    }

    /// `store` or `override`, as meta's `codeOrigin` says it.
    pub fn kind(&self) -> CodeFrom {
        match self {
            CodeOrigin::Store { .. } => CodeFrom::Store,
            CodeOrigin::Override { .. } => CodeFrom::Override,
        }
    }

    /// The store key or the override file: what a rejection is reported under.
    pub fn key(&self) -> String {
        match self {
            CodeOrigin::Store { key, .. } => key.clone(),
            CodeOrigin::Override { path } => path.display().to_string(),
        }
    }

    /// The file the code was read from, if it came from a file.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            CodeOrigin::Store { file, .. } => file.as_deref(),
            CodeOrigin::Override { path } => Some(path),
        }
    }
}

/// Code found for one template, before the gate.
#[derive(Debug, Clone)]
pub struct FoundCode {
    /// The bytes, in memory or spilled to disk.
    pub stored: Stored,
    /// Where they came from.
    pub origin: CodeOrigin,
}

impl FoundCode {
    /// Code read whole (tests, tools).
    pub fn bytes(bytes: Vec<u8>, origin: CodeOrigin) -> Self {
        FoundCode {
            stored: Stored::Bytes(bytes),
            origin,
        }
    }
}

/// A template's gated code, shared by all of its examples.
#[derive(Debug)]
pub struct TemplateCode {
    /// Where the code came from.
    pub origin: CodeOrigin,
    /// SHA-256 of the code (meta `codeSha256`): its identity.
    pub sha256: Sha256Digest,
    /// Tokens of the code in the build's encoding, counted once for all its examples.
    pub tokens: usize,
    /// The code (trailing whitespace removed, nothing else changed) as a JSON string literal,
    /// escaped once and copied into each example's line.
    pub text: CodeText,
    /// The duration the code exports.
    pub duration: CodeDuration,
    /// What the gate changed before checking it (a byte-order mark, CRLF line endings).
    pub normalized: Normalized,
}

/// Where a template's escaped code is.
#[derive(Debug)]
pub enum CodeText {
    /// In memory: what the gate gives.
    Escaped(Box<[u8]>),
    /// In the build's spill file ([`spill`]): what a build keeps, so that its memory does not
    /// grow with the size of the code.
    Spilled(spill::Span),
}

/// What the gate changed in a template's code before checking it, so that its examples are what
/// an editor shows: a leading UTF-8 byte-order mark removed (it would read as prose before the
/// first import), Windows line endings (CRLF) written as LF. Each is warned about and listed in
/// stats (`normalizedCode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Normalized {
    /// A byte-order mark started the code.
    pub bom: bool,
    /// Lines that ended in CRLF.
    pub crlf_lines: usize,
}

impl Normalized {
    /// Whether anything was changed.
    pub fn any(self) -> bool {
        self.bom || self.crlf_lines > 0
    }

    /// `text` without a leading byte-order mark and with CRLF line endings as LF, and what was
    /// changed.
    pub fn apply(text: &str) -> (std::borrow::Cow<'_, str>, Normalized) {
        let (text, bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        // memchr's searcher: `str::matches` took a twentieth of a warm rebuild's gate stage.
        let crlf_lines = memchr::memmem::find_iter(text.as_bytes(), b"\r\n").count();
        let out = if crlf_lines > 0 {
            std::borrow::Cow::Owned(text.replace("\r\n", "\n"))
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        (out, Normalized { bom, crlf_lines })
    }
}

impl TemplateCode {
    /// Code that passed the gate: its text kept JSON-escaped once for every example that uses it.
    pub fn new(text: &str, origin: CodeOrigin, tokens: usize, duration: CodeDuration) -> Self {
        let text = text.trim_end();
        let sha256 = Sha256Digest::of(text.as_bytes());
        TemplateCode::known(text, sha256, origin, tokens, duration)
    }

    /// [`TemplateCode::new`] with the digest of `text` (trimmed) already known: a verdict the gate
    /// cache remembers brings it (hashing 10,000 scenes of 10 KB a second time cost a warm rebuild
    /// ~0.05 CPU-s).
    pub fn known(
        text: &str,
        sha256: Sha256Digest,
        origin: CodeOrigin,
        tokens: usize,
        duration: CodeDuration,
    ) -> Self {
        let text = text.trim_end();
        TemplateCode {
            sha256,
            text: CodeText::Escaped(json_string(text)),
            origin,
            tokens,
            duration,
            normalized: Normalized::default(),
        }
    }

    /// The code as text again, when it is still in memory (tests, tools).
    pub fn text(&self) -> Option<String> {
        match &self.text {
            CodeText::Escaped(json) => serde_json::from_slice(json).ok(),
            CodeText::Spilled(_) => None,
        }
    }

    /// The escaped code, read from `spill` when it was moved there; `buf` holds it then.
    pub fn escaped<'a>(
        &'a self,
        spill: Option<&spill::Spill>,
        buf: &'a mut Vec<u8>,
    ) -> std::io::Result<&'a [u8]> {
        match (&self.text, spill) {
            (CodeText::Escaped(json), _) => Ok(json),
            (CodeText::Spilled(span), Some(spill)) => spill.read(*span, buf),
            (CodeText::Spilled(_), None) => Err(std::io::Error::other(
                "the code was moved to a spill file that is not open",
            )),
        }
    }

    /// The length of the escaped code, in bytes.
    pub fn escaped_len(&self) -> usize {
        match &self.text {
            CodeText::Escaped(json) => json.len(),
            CodeText::Spilled(span) => span.len(),
        }
    }
}

/// `text` as a JSON string literal (quotes included).
pub fn json_string(text: &str) -> Box<[u8]> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8 + 2);
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, text);
    out.into_boxed_slice()
}

/// A template with no code anywhere (stats `missingTemplates`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MissingCode {
    pub template_id: String,
    pub db_id: Option<String>,
}

/// A template whose code is wanted: its id, and the key its store keeps the code under (none when
/// the store cannot hold it, e.g. a catalog entry without a dbId in a database store).
#[derive(Debug, Clone)]
pub struct Wanted {
    pub id: String,
    pub key: Option<String>,
}

/// What one batch of the fetch decided: for the templates at `range` (indices into the wanted list,
/// in catalog order), the code of those that have some; the others have none anywhere.
#[derive(Debug)]
pub struct Batch {
    pub range: std::ops::Range<usize>,
    pub found: Vec<(usize, FoundCode)>,
}

/// Fetch every wanted template's code from `store`, falling back to `overrides` for templates whose
/// stored code is absent or blank, handing the results to `each` in batches, in catalog order. A
/// key wanted twice is the first template's: the second has no stored code (only an override).
pub fn fetch(
    wanted: &[Wanted],
    store: &dyn CodeStore,
    overrides: Option<&overrides::OverrideDir>,
    max_bytes: u64,
    diagnostics: &mut Diagnostics,
    each: &mut dyn FnMut(Batch) -> Result<()>,
) -> Result<()> {
    let mut keys: Vec<&str> = Vec::with_capacity(wanted.len());
    // The wanted template each key belongs to (its first).
    let mut owner: Vec<usize> = Vec::with_capacity(wanted.len());
    let mut seen = std::collections::HashSet::new();
    for (i, w) in wanted.iter().enumerate() {
        if let Some(key) = w.key.as_deref() {
            if seen.insert(key) {
                keys.push(key);
                owner.push(i);
            }
        }
    }
    drop(seen);
    let mut next = 0;
    let mut decide = |answered: usize, mut stored: HashMap<String, Stored>| -> Result<()> {
        // Every template before the first key not answered yet is decided.
        let upto = owner.get(answered).copied().unwrap_or(wanted.len());
        let mut found = Vec::new();
        for (i, w) in wanted.iter().enumerate().take(upto).skip(next) {
            let from_store = w
                .key
                .as_deref()
                .and_then(|key| stored.remove_entry(key))
                // A NULL column arrives absent; an empty or blank one counts as missing too.
                .filter(|(_, stored)| !stored.is_blank())
                .map(|(key, stored)| FoundCode {
                    stored,
                    origin: CodeOrigin::Store {
                        file: store.file(&key),
                        key,
                    },
                });
            let code = match from_store {
                Some(code) => Some(code),
                None => match overrides {
                    Some(dir) => dir.find(&w.id, max_bytes)?,
                    None => None,
                },
            };
            if let Some(code) = code {
                found.push((i, code));
            }
        }
        if upto <= next {
            return Ok(());
        }
        let range = next..upto;
        next = upto;
        each(Batch { range, found })
    };
    store.fetch(&keys, max_bytes, diagnostics, &mut decide)?;
    // Templates after the last key (or all of them, with no keys at all).
    decide(keys.len(), HashMap::new())
}

/// The code store the config asks for.
pub fn open_store(config: &crate::config::Config) -> Result<Box<dyn CodeStore>> {
    use crate::config::CodeStoreKind;
    match config.code.source {
        CodeStoreKind::Directory => {
            // Config::check guarantees `dir` for the directory store.
            let dir = config
                .code
                .dir
                .as_deref()
                .unwrap_or(std::path::Path::new("."));
            Ok(Box::new(directory::DirectoryStore::new(
                config.resolve(dir),
                config.code.extension.clone(),
            )))
        }
        #[cfg(feature = "postgres")]
        CodeStoreKind::Postgres => Ok(Box::new(postgres::PostgresStore::from_env(
            &config.code.postgres,
        )?)),
        #[cfg(not(feature = "postgres"))]
        CodeStoreKind::Postgres => Err(crate::error::wording::postgres_not_built()),
    }
}
