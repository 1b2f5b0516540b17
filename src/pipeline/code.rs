//! The code stage: each template's code from its store, or its code override, as a stream of
//! batches.
//!
//! Takes the records (for their ids and store keys), the store and the code-override folder; gives
//! a [`Fetching`]: batches of found code in catalog order, produced on a thread of their own so the
//! gate stage checks one batch while the next is read (from disk or PostgreSQL), and never more
//! than a couple of batches in memory. When the stream ends, [`Fetching::finish`] gives the store's
//! warnings and error, and [`missing`] lists the templates that have no code anywhere.

use std::sync::mpsc;
use std::thread::{Scope, ScopedJoinHandle};

use super::record::{CodeState, TemplateRecord};
use crate::code::overrides::OverrideDir;
use crate::code::{self, Batch, CodeStore, MissingCode, Wanted};
use crate::config::Config;
use crate::diagnostic::{Diagnostics, Kind};
use crate::error::{Error, Result};

/// The code-override folder of the config, if it names one (with a warning when it is not a folder).
pub fn overrides(config: &Config, diagnostics: &mut Diagnostics) -> Option<OverrideDir> {
    let dir = config
        .code
        .overrides_dir
        .as_ref()
        .map(|d| OverrideDir::new(config.resolve(d), config.code.extension.clone()))?;
    if !dir.dir().is_dir() {
        diagnostics.push(
            Kind::MissingInput,
            Some(crate::location::Location::file(dir.dir())),
            format!(
                "code.overrides_dir is not a folder; no code overrides are used{}",
                crate::prompts::near_miss_file(dir.dir())
            ),
        );
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
pub fn start<'scope, 'env>(
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
pub fn missing(
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
        let overrides = match overrides {
            Some(dir) => format!(
                ", and no code override {}",
                dir.dir()
                    .join(format!("{}.{}", record.template.id, config.code.extension))
                    .display()
            ),
            None => String::new(),
        };
        diagnostics.push(
            Kind::MissingCode,
            Some(record.template.at.clone()),
            format!(
                "template {:?} has no code ({}{overrides}); skipped",
                record.template.id,
                store.looked(&record.template)
            ),
        );
        missing.push(MissingCode {
            template_id: record.template.id.clone(),
            db_id: record.template.db_id().map(str::to_string),
        });
    }
    missing
}
