//! The durations stage: which duration each template's briefs state.
//!
//! Takes the records (gated code with the duration its module's top level gives, and the catalog entry) and
//! `[video]`; leaves on each record the frames its briefs will state and where they came from, and
//! gives the [`DurationStats`], the templates skipped for having no duration anywhere, and a
//! diagnostic for every disagreement between code and catalog and every duration export that could
//! not be evaluated. A brief is an instruction: with `duration_source = "code"` (the default) it
//! states what the code renders whenever the code says so.

use super::record::TemplateRecord;
use crate::code::duration::{CodeDuration, CodePos};
use crate::config::{Config, DurationSource};
use crate::dataset::stats::{
    DurationMismatch, DurationStats, SkippedTemplate, UndeterminedDuration,
};
use crate::diagnostic::{warning, Diagnostics};
use crate::location::Location;
use crate::video::{describe_duration, DurationFrom};

pub struct Durations {
    pub stats: DurationStats,
    pub skipped: Vec<SkippedTemplate>,
}

pub fn run(
    config: &Config,
    records: &mut [TemplateRecord],
    diagnostics: &mut Diagnostics,
) -> Durations {
    let video = &config.video;
    let mut stats = DurationStats {
        source: video.duration_source,
        export: video.duration_export.clone(),
        ..DurationStats::default()
    };
    let mut skipped = Vec::new();
    for record in records.iter_mut() {
        let Some(code) = record.accepted() else {
            continue;
        };
        let id = &record.template.id;
        let source_key = code.origin.key();
        let file = code.origin.file().map(|f| config.display_path(f));
        // Where a warning about the code points: its file and the line:col inside it, or the
        // store key when the code came from a database.
        let place = |pos: &CodePos| match code.origin.file() {
            Some(file) => Location::at(file, pos.line, pos.col),
            None => Location::at(source_key.clone(), pos.line, pos.col),
        };
        let catalog = record.template.duration;
        let from_code = match &code.duration {
            CodeDuration::Frames { frames, at } => {
                if let Some(catalog) = catalog.filter(|c| c != frames) {
                    let states = match video.duration_source {
                        DurationSource::Code => "briefs state the code's",
                        DurationSource::Catalog => {
                            "briefs state the catalog's (video.duration_source = \"catalog\"), which the code does not render"
                        }
                    };
                    diagnostics.add(warning::duration_mismatch(
                        place(at),
                        id,
                        &describe_duration(*frames, video.fps),
                        &describe_duration(catalog, video.fps),
                        states,
                    ));
                    stats.mismatches.push(DurationMismatch {
                        template_id: id.clone(),
                        source_key: source_key.clone(),
                        catalog_frames: catalog,
                        code_frames: *frames,
                        at: at.to_string(),
                        file: file.clone(),
                    });
                }
                Some(*frames)
            }
            CodeDuration::NotDeterminable { reason, at, .. } => {
                let instead = match catalog.or(video.default_duration) {
                    Some(f) => format!("briefs state {}", describe_duration(f, video.fps)),
                    None => "and there is no other duration".to_string(),
                };
                diagnostics.add(warning::duration_not_determinable(
                    place(at),
                    id,
                    reason,
                    &instead,
                ));
                stats.not_determinable.push(UndeterminedDuration {
                    template_id: id.clone(),
                    source_key: source_key.clone(),
                    reason: reason.clone(),
                    at: at.to_string(),
                    file: file.clone(),
                });
                None
            }
            CodeDuration::NoExport => {
                stats.without_export += 1;
                None
            }
        };
        let from_catalog = catalog.map(|f| (f, DurationFrom::Catalog));
        let from_code = from_code.map(|f| (f, DurationFrom::Code));
        let from_default = video.default_duration.map(|f| (f, DurationFrom::Default));
        let chosen = match video.duration_source {
            DurationSource::Code => from_code.or(from_catalog),
            DurationSource::Catalog => from_catalog.or(from_code),
        }
        .or(from_default);
        match chosen {
            Some((_, DurationFrom::Code)) => stats.from_code += 1,
            Some((_, DurationFrom::Catalog)) => stats.from_catalog += 1,
            Some((_, DurationFrom::Default)) => stats.from_default += 1,
            None => {
                let code_says = match &code.duration {
                    CodeDuration::NotDeterminable { .. } => {
                        "its code's duration cannot be evaluated"
                    }
                    _ => "its code exports none",
                };
                let reason = format!(
                    "no duration: {code_says} ({}), the catalog entry has none, and video.default_duration is not set",
                    video.duration_export
                );
                diagnostics.add(warning::no_duration(
                    record.template.at.clone(),
                    id,
                    &reason,
                ));
                skipped.push(SkippedTemplate {
                    template_id: id.clone(),
                    reason,
                });
            }
        }
        record.duration = chosen;
    }
    Durations { stats, skipped }
}
