//! The terminal report of an evaluation.
//!
//! Takes an [`Evaluation`]; writes each check's rate with its 95% interval, the similarity and
//! output tokens, tables per template, format and prompt origin, the comparison with a baseline
//! (paired differences, intervals, sign-test p-values, improved and regressed examples), what could
//! not be used (bad lines at file:line, unknown ids, duplicates, missing predictions, failed
//! requests), and the worst examples with their failing checks.

use std::io::Write;

use super::checks::{Check, Scored, Status};
use super::intervals::Estimate;
use super::predictions::LISTED;
use super::summary::{Scores, SMALL_SAMPLE};
use super::{Evaluation, Scoring};
use crate::text::thousands;

/// Worst examples listed.
const WORST: usize = 10;
/// Rows per group table before "… and N more".
const GROUP_ROWS: usize = 30;

pub fn print(out: &mut impl Write, e: &Evaluation) -> std::io::Result<()> {
    let s = &e.summary;
    writeln!(
        out,
        "eval of {} ({} split, {}): {}",
        e.dir,
        e.split.name(),
        crate::error::count(s.examples, "example"),
        e.predictions.source
    )?;
    writeln!(
        out,
        "gate rules and duration export as built; Remotion API of remotion {}",
        e.remotion_api_release
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<26} {:>7} {:>18} {:>6}",
        "check", "rate", "95% interval", "n"
    )?;
    for r in &s.rates {
        // A fenced answer is fine: `extracted` is a share of outputs, not a pass rate.
        let name = if r.name == "extracted" {
            "extracted (not a check)"
        } else {
            &r.name
        };
        writeln!(
            out,
            "{:<26} {:>7} {:>18} {:>6}",
            name,
            percent(r.estimate.value),
            interval(&r.estimate),
            r.estimate.n
        )?;
    }
    writeln!(
        out,
        "{:<26} {:>7.1} {:>18} {:>6}",
        "similarity (chrF)",
        s.similarity.value,
        format!("[{:.1}, {:.1}]", s.similarity.low, s.similarity.high),
        s.similarity.n
    )?;
    for (name, score) in [
        ("appearance (frames)", &s.appearance),
        ("motion (frames)", &s.motion),
    ] {
        if let Some(e) = score {
            writeln!(
                out,
                "{:<26} {:>7.3} {:>18} {:>6}",
                name,
                e.value,
                format!("[{:.3}, {:.3}]", e.low, e.high),
                e.n
            )?;
        }
    }
    writeln!(
        out,
        "{:<26} {:>7} {:>18} {:>6}",
        "output tokens (mean)",
        thousands(s.output_tokens.value.round() as u64),
        format!(
            "[{}, {}]",
            thousands(s.output_tokens.low.round() as u64),
            thousands(s.output_tokens.high.round() as u64)
        ),
        s.output_tokens.n
    )?;
    if s.duration_not_determinable > 0 {
        writeln!(
            out,
            "durations not determinable: {} (left out of duration_honoured)",
            s.duration_not_determinable
        )?;
    }
    if s.duration_not_stated > 0 {
        writeln!(
            out,
            "no duration export in the output nor its gold code: {} (left out of duration_honoured)",
            s.duration_not_stated
        )?;
    }
    if s.examples < SMALL_SAMPLE {
        writeln!(
            out,
            "note: {}; below {SMALL_SAMPLE} the intervals are wide, so small differences mean little",
            crate::error::count(s.examples, "example")
        )?;
    }
    let [templates, formats, origins] = e.groups();
    for (title, groups) in [
        ("template", templates),
        ("format", formats),
        ("prompt origin", origins),
    ] {
        writeln!(out)?;
        groups_table(out, title, &groups)?;
    }
    if let (Some(c), Some(b)) = (&e.comparison, &e.baseline) {
        writeln!(out)?;
        writeln!(
            out,
            "against the baseline {}: pass {} there, {} here",
            b.source,
            percent(c.baseline.rate("pass").map_or(0.0, |r| r.estimate.value)),
            percent(s.rate("pass").map_or(0.0, |r| r.estimate.value)),
        )?;
        writeln!(
            out,
            "{:<26} {:>9} {:>20} {:>6} {:>6} {:>5} {:>8}",
            "difference (this − base)", "mean", "95% interval", "better", "worse", "ties", "sign p"
        )?;
        for d in &c.differences {
            let scale = if d.name == "similarity" { 1.0 } else { 100.0 };
            let unit = if d.name == "similarity" { "" } else { " pts" };
            writeln!(
                out,
                "{:<26} {:>9} {:>20} {:>6} {:>6} {:>5} {:>8.3}",
                d.name,
                format!("{:+.1}{unit}", d.difference.value * scale),
                format!(
                    "[{:+.1}, {:+.1}]",
                    d.difference.low * scale,
                    d.difference.high * scale
                ),
                d.better,
                d.worse,
                d.ties,
                d.sign_test_p
            )?;
        }
        list(
            out,
            "improved (pass here, fail in the baseline)",
            &c.improved,
        )?;
        list(
            out,
            "regressed (fail here, pass in the baseline)",
            &c.regressed,
        )?;
    }
    writeln!(out)?;
    problems(out, &e.predictions)?;
    if let Some(b) = &e.baseline {
        problems(out, b)?;
    }
    let worst = worst(&e.predictions.rows);
    if !worst.is_empty() {
        writeln!(out)?;
        writeln!(out, "worst examples:")?;
        for r in worst.into_iter().take(WORST) {
            let failed: Vec<Check> = r
                .checks
                .iter()
                .filter(|(_, v)| **v == Some(false))
                .map(|(k, _)| *k)
                .collect();
            let first = failed
                .first()
                .and_then(|f| r.failures.get(f))
                .map_or("", String::as_str);
            writeln!(
                out,
                "  {} (chrF {:.1}): {} — {}",
                r.id,
                r.similarity,
                failed
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                first
            )?;
        }
    }
    Ok(())
}

/// The rows that fail the most checks, then the least similar.
pub fn worst(rows: &[Scored]) -> Vec<&Scored> {
    let mut failing: Vec<&Scored> = rows.iter().filter(|r| !r.passed()).collect();
    let failures = |r: &Scored| r.checks.values().filter(|v| **v == Some(false)).count();
    failing.sort_by(|a, b| {
        failures(b)
            .cmp(&failures(a))
            .then(a.similarity.total_cmp(&b.similarity))
            .then(a.id.cmp(&b.id))
    });
    failing
}

fn groups_table(
    out: &mut impl Write,
    title: &str,
    groups: &[(&str, &Scores)],
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<30} {:>5} {:>7} {:>7} {:>9} {:>7} {:>6}",
        format!("by {title}"),
        "n",
        "pass",
        "parses",
        "duration",
        "api",
        "chrF"
    )?;
    let rate = |s: &Scores, name: &str| {
        s.rate(name)
            .filter(|r| r.estimate.n > 0)
            .map_or("-".to_string(), |r| percent(r.estimate.value))
    };
    for &(name, s) in groups.iter().take(GROUP_ROWS) {
        writeln!(
            out,
            "{:<30} {:>5} {:>7} {:>7} {:>9} {:>7} {:>6.1}",
            crate::text::printable(name),
            s.examples,
            rate(s, "pass"),
            rate(s, "parses"),
            rate(s, "duration_honoured"),
            rate(s, "remotion_api"),
            s.similarity.value
        )?;
    }
    if groups.len() > GROUP_ROWS {
        writeln!(out, "… and {} more", groups.len() - GROUP_ROWS)?;
    }
    Ok(())
}

fn problems(out: &mut impl Write, scoring: &Scoring) -> std::io::Result<()> {
    let l = &scoring.leftovers;
    let count = |status: Status| scoring.rows.iter().filter(|r| r.status == status).count();
    writeln!(
        out,
        "{}: {} missing, {} failed requests, {} refusals, {} bad lines, {} unknown ids, {} duplicate predictions, {} failed attempts retried",
        scoring.source,
        count(Status::Missing),
        count(Status::Failed),
        count(Status::Refused),
        l.bad_lines.count,
        l.unknown_ids.count,
        l.duplicates.count,
        l.failed_attempts.count
    )?;
    // Every text from the file on one line of its own: a prediction cannot forge a line.
    let one_line = |text: &str| crate::text::printable(text).replace('\n', "\\n");
    for b in &l.bad_lines.first {
        writeln!(out, "  {}:{}: {}", scoring.source, b.line, one_line(&b.why))?;
    }
    more(out, l.bad_lines.count, l.bad_lines.first.len(), "bad lines")?;
    // What the API said: a failed request's error message, a refusal's text.
    let unscored: Vec<&Scored> = scoring
        .rows
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Refused))
        .collect();
    for r in unscored.iter().take(LISTED) {
        let what = match r.status {
            Status::Refused => "no answer to score",
            _ => "failed request",
        };
        writeln!(
            out,
            "  {}:{}: {what} for {}: {}",
            scoring.source,
            r.line.unwrap_or(0),
            one_line(&r.id),
            one_line(r.error.as_deref().unwrap_or(""))
        )?;
    }
    more(
        out,
        unscored.len(),
        unscored.len().min(LISTED),
        "failed requests and refusals",
    )?;
    for (id, line) in &l.unknown_ids.first {
        writeln!(
            out,
            "  {}:{line}: {} is not an example of this split",
            scoring.source,
            one_line(id)
        )?;
    }
    more(
        out,
        l.unknown_ids.count,
        l.unknown_ids.first.len(),
        "unknown ids",
    )?;
    for (id, line) in &l.duplicates.first {
        writeln!(
            out,
            "  {}:{line}: the same answer again for {}; the first is scored",
            scoring.source,
            one_line(id)
        )?;
    }
    more(
        out,
        l.duplicates.count,
        l.duplicates.first.len(),
        "duplicates",
    )?;
    for (id, line) in &l.failed_attempts.first {
        writeln!(
            out,
            "  {}:{line}: a failed attempt for {}; another line answers it",
            scoring.source,
            one_line(id)
        )?;
    }
    more(
        out,
        l.failed_attempts.count,
        l.failed_attempts.first.len(),
        "failed attempts",
    )
}

/// `… and N more <what>` when only the first of them are listed.
fn more(out: &mut impl Write, count: usize, listed: usize, what: &str) -> std::io::Result<()> {
    if count > listed {
        writeln!(out, "  … and {} more {what}", count - listed)?;
    }
    Ok(())
}

fn list(out: &mut impl Write, title: &str, ids: &[String]) -> std::io::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = ids.iter().take(WORST).map(String::as_str).collect();
    let more = if ids.len() > WORST {
        format!(" … and {} more", ids.len() - WORST)
    } else {
        String::new()
    };
    writeln!(out, "{title}: {}{more}", shown.join(", "))
}

pub fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

pub fn interval(e: &Estimate) -> String {
    format!("[{:.1}%, {:.1}%]", 100.0 * e.low, 100.0 * e.high)
}
