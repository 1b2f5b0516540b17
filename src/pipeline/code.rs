//! The code stage: each template's code from its store, or its code override, as a stream of
//! batches that the gate stage checks as they come.
//!
//! Takes the config, the records (for their ids and store keys) and the opened store; [`run`]
//! opens the code-override folder and starts a fetch on a thread of its own ([`start`]): batches
//! of found code in catalog order, so the gate stage checks one batch while the next is read (from
//! disk or PostgreSQL), and never more than a couple of batches are in memory. It gives the [`Code`]: the
//! spill file that now holds the accepted code, the gate cache, how much the gate judged, and the
//! templates that have no code anywhere ([`missing`]), each with a warning.

use std::path::Path;
use std::sync::mpsc;
use std::thread::{Scope, ScopedJoinHandle};

use super::gate::{self, Gated};
use super::observer::Counter;
use super::record::{CodeState, TemplateRecord};
use super::Run;
use crate::code::duration::DurationExport;
use crate::code::gate::Gate;
use crate::code::gate_cache::GateCache;
use crate::code::overrides::OverrideDir;
use crate::code::spill::Spill;
use crate::code::{self, Batch, CodeStore, MissingCode, Wanted};
use crate::config::{Config, SplitMode};
use crate::diagnostic::{warning, Diagnostics};
use crate::error::{Error, Result};
use crate::tokens::Encoding;

/// What the code and gate stages leave for the rest of the build.
pub struct Code {
    /// The store, described without secrets (for messages and the manifest).
    pub store: String,
    /// The accepted code's escaped text, which examples are written from.
    pub spill: Spill,
    /// The gate's verdicts, saved once the version is written.
    pub cache: GateCache,
    pub gated: Gated,
    pub missing: Vec<MissingCode>,
}

impl Code {
    /// The stages in a line for `build -v`.
    pub fn describe(&self) -> String {
        format!(
            "code fetched from {}, gated and tokenized; gate cache: {} of {} code bodies unchanged since the last build",
            self.store, self.gated.remembered, self.gated.judged
        )
    }

    /// Keep the gate's verdicts for the next build; a failure costs only speed, so it is a note.
    pub fn remember(&self, records: &[TemplateRecord], diagnostics: &mut Diagnostics) {
        if let Err(e) = self
            .cache
            .save(records.iter().filter_map(TemplateRecord::verdict))
        {
            diagnostics.add(warning::cache_not_saved(
                "the gate cache",
                "the next build checks everything again",
                e,
            ));
        }
    }
}

/// Fetch every record's code and put it through the gate: each record leaves with its code
/// accepted, rejected (with a warning at the code's file and line) or missing.
pub(super) fn run(
    run: &mut Run<'_>,
    records: &mut [TemplateRecord],
    store: &dyn CodeStore,
    encoding: Encoding,
) -> Result<Code> {
    let (config, root) = (run.config, run.root.as_path());
    let diagnostics = &mut run.diagnostics;
    let overrides = overrides(config, diagnostics);
    let duration_export = DurationExport::new(&config.video.duration_export);
    let mut cache = if run.options.no_cache {
        GateCache::disabled()
    } else {
        GateCache::open(
            root,
            &config.gate,
            encoding,
            &duration_export,
            config.code.max_syntax_tokens,
        )
    };
    let settings = Gate {
        rules: &config.gate,
        encoding,
        duration_export,
        max_bytes: config.code.max_bytes,
        max_syntax_tokens: config.code.max_syntax_tokens,
    };
    // Only template mode groups by cluster; at threshold 0 only identical code (by digest) does.
    let signatures =
        config.split.mode == SplitMode::Template && config.split.near_copy_threshold > 0.0;
    let spill_dir = nearest_folder(root);
    let mut spill = Spill::create_in(&spill_dir).map_err(|e| Error::write(&spill_dir, e))?;
    let checked = Counter::start(run.observer, "checking", records.len() as u64);
    let (gated, fetched) = std::thread::scope(|scope| {
        let fetching = start(
            scope,
            records,
            store,
            overrides.as_ref(),
            config.code.max_bytes,
        );
        let gated = gate::run(
            records,
            &fetching.batches,
            &settings,
            &cache,
            signatures,
            &mut spill,
            &checked,
        );
        (gated, fetching.finish(diagnostics))
    });
    drop(checked);
    // The gate's own failure first: the fetch then only stopped because nobody listened.
    let gated = gated?;
    fetched?;
    let missing = missing(config, records, store, overrides.as_ref(), diagnostics);
    gate::report(records, diagnostics);
    cache.forget(
        gated.remembered == gated.judged,
        records.iter().filter_map(|r| r.fetched_sha256.as_ref()),
    );
    Ok(Code {
        store: store.describe(),
        spill,
        cache,
        gated,
        missing,
    })
}

/// `path` if it is a folder, else its nearest parent that is: where the code spill file goes (an
/// unlinked file on the output's own disk; a dry run must not create the output root).
fn nearest_folder(path: &Path) -> std::path::PathBuf {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.is_dir())
        .map_or_else(|| std::path::PathBuf::from("."), Path::to_path_buf)
}

/// The code-override folder of the config, if it names one (with a warning when it is not a folder).
fn overrides(config: &Config, diagnostics: &mut Diagnostics) -> Option<OverrideDir> {
    let dir = config
        .code
        .overrides_dir
        .as_ref()
        .map(|d| OverrideDir::new(config.resolve(d), config.code.extension.clone()))?;
    if !dir.dir().is_dir() {
        diagnostics.add(warning::overrides_dir_not_a_folder(
            dir.dir(),
            &crate::prompts::near_miss_file(dir.dir()),
        ));
    }
    Some(dir)
}

/// A fetch running on its own thread.
pub struct Fetching<'scope> {
    /// Batches in catalog order; ends when everything is fetched or the fetch failed.
    pub batches: mpsc::Receiver<Batch>,
    thread: ScopedJoinHandle<'scope, (Result<()>, Diagnostics)>,
}

/// Start fetching the code of every record on a thread of `scope`.
fn start<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    records: &[TemplateRecord],
    store: &'env dyn CodeStore,
    overrides: Option<&'env OverrideDir>,
    max_bytes: u64,
) -> Fetching<'scope> {
    let wanted: Vec<Wanted> = records
        .iter()
        .map(|r| Wanted {
            id: r.template.id.clone(),
            key: store.key(&r.template).map(str::to_string),
        })
        .collect();
    // One batch waits while the gate checks the one before: reading never runs further ahead.
    let (send, batches) = mpsc::sync_channel(1);
    let thread = scope.spawn(move || {
        let mut diagnostics = Diagnostics::default();
        let result = code::fetch(
            &wanted,
            store,
            overrides,
            max_bytes,
            &mut diagnostics,
            &mut |batch| send.send(batch).map_err(|_| Error::Cancelled),
        );
        (result, diagnostics)
    });
    Fetching { batches, thread }
}

impl Fetching<'_> {
    /// Wait for the fetch to end: its warnings, or its error.
    pub fn finish(self, diagnostics: &mut Diagnostics) -> Result<()> {
        drop(self.batches);
        let (result, found) = self
            .thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        diagnostics.extend(found.into_vec());
        result
    }
}

/// The templates left without code once the fetch is done, each with a warning that says where the
/// store and the override folder were looked in.
fn missing(
    config: &Config,
    records: &[TemplateRecord],
    store: &dyn CodeStore,
    overrides: Option<&OverrideDir>,
    diagnostics: &mut Diagnostics,
) -> Vec<MissingCode> {
    let mut missing = Vec::new();
    for record in records {
        if !matches!(record.code, CodeState::Missing) {
            continue;
        }
        let override_file = overrides.map(|dir| {
            dir.dir()
                .join(format!("{}.{}", record.template.id, config.code.extension))
        });
        diagnostics.add(warning::missing_code(
            record.template.at.clone(),
            &record.template.id,
            &store.looked(&record.template),
            override_file.as_deref(),
        ));
        missing.push(MissingCode {
            template_id: record.template.id.clone(),
            db_id: record.template.db_id().map(str::to_string),
        });
    }
    missing
}
