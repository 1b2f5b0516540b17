//! The HTML report of an evaluation: one self-contained page in the style of `report --html`.
//!
//! Takes an [`Evaluation`]; gives the page: headline cards, a pass-rate bar per check with its 95%
//! interval drawn as a whisker, the comparison with a baseline, tables per template, format and
//! prompt origin, what could not be used, and the worst examples (brief, the output's first lines,
//! the failing checks and why). Numbers carry `data-stat` attributes so tests can read them.

use std::fmt::Write;

use super::checks::{Check, Scored};
use super::summary::{Scores, SMALL_SAMPLE};
use super::terminal::{interval, percent, worst};
use super::Evaluation;
use crate::text::{escape, CSS};

/// Worst examples shown.
const WORST: usize = 12;

const EVAL_CSS: &str = "\
.bars{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:12px 16px}\
.bar{display:grid;grid-template-columns:220px 1fr 190px;gap:12px;align-items:center;margin:6px 0}\
.track{position:relative;height:16px;background:#eef0f5;border-radius:4px}\
.fill{position:absolute;left:0;top:0;bottom:0;background:#4f46e5;border-radius:4px}\
.whisker{position:absolute;top:7px;height:2px;background:#111827}\
.whisker:before,.whisker:after{content:'';position:absolute;top:-5px;width:2px;height:12px;background:#111827}\
.whisker:before{left:0}.whisker:after{right:0}\
.pos{color:#15803d}.neg{color:#b91c1c}.warn{background:#fef3c7;border:1px solid #fcd34d;border-radius:8px;padding:8px 12px}";

/// The eval page: one self-contained page (inline CSS and SVG, no scripts), section by section in
/// the order it is read.
pub fn render(e: &Evaluation) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let w = &mut h;
    head(w, e);
    cards(w, e);
    checks(w, e);
    comparison(w, e);
    groups(w, e);
    not_used(w, e);
    worst_examples(w, e);
    furthest_renders(w, e);
    let _ = writeln!(
        w,
        "<footer>template-sft {} eval</footer></main></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// The page's head and header: the version, the split, the predictions, the Remotion API release.
fn head(w: &mut String, e: &Evaluation) {
    let _ = write!(
        w,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Eval: {tag} {split}</title><style>{CSS}{EVAL_CSS}</style></head><body><main>\
         <header><h1>Eval <span class=\"tag\">{tag} · {split}</span></h1>\
         <p class=\"sub\">{dir} · predictions: {source} · gate rules and duration export as built · Remotion API {release}</p></header>",
        tag = escape(&e.tag),
        split = e.split.name(),
        dir = escape(&e.dir),
        source = escape(&e.predictions.source),
        release = escape(e.remotion_api_release),
    );
}

/// The headline numbers, and a warning when the sample is small.
fn cards(w: &mut String, e: &Evaluation) {
    let s = &e.summary;
    let pass = s.rate("pass").map_or(0.0, |r| r.estimate.value);
    let mut cards = vec![
        ("examples", s.examples.to_string(), "examples"),
        ("pass every check", percent(pass), "pass"),
        (
            "similarity (chrF)",
            format!("{:.1}", s.similarity.value),
            "similarity",
        ),
        (
            "output tokens (mean)",
            format!("{:.0}", s.output_tokens.value),
            "output-tokens",
        ),
        (
            "missing / failed / refused",
            format!("{} / {} / {}", s.missing, s.failed_requests, s.refusals),
            "missing",
        ),
    ];
    for (label, score, stat) in [
        ("appearance (frames, 0–1)", &s.appearance, "appearance"),
        ("motion (frames, 0–1)", &s.motion, "motion"),
    ] {
        if let Some(e) = score {
            cards.push((label, format!("{:.3}", e.value), stat));
        }
    }
    let _ = write!(w, "<section class=\"cards\">");
    for (label, value, stat) in cards {
        let _ = write!(w, "<div class=\"card\"><div class=\"value\" data-stat=\"{stat}\">{value}</div><div class=\"label\">{label}</div></div>");
    }
    let _ = write!(w, "</section>");
    if s.examples < SMALL_SAMPLE {
        let _ = write!(
            w,
            "<p class=\"warn\">{} examples: below {SMALL_SAMPLE} the intervals are wide, so small differences mean little.</p>",
            s.examples
        );
    }
}

/// Each check's pass rate with its interval; fenced answers and the durations left out.
fn checks(w: &mut String, e: &Evaluation) {
    let s = &e.summary;
    let _ = write!(w, "<section><h2>Checks</h2><div class=\"bars\">");
    // `extracted` is not a check (a fenced answer is fine): it is shown below as a share.
    for r in s.rates.iter().filter(|r| r.name != "extracted") {
        let e = &r.estimate;
        let _ = write!(
            w,
            "<div class=\"bar\"><div>{name}</div><div class=\"track\"><div class=\"fill\" style=\"width:{v:.1}%\"></div>\
             <div class=\"whisker\" style=\"left:{lo:.1}%;width:{span:.1}%\"></div></div>\
             <div><b data-stat=\"rate-{name}\">{pct}</b> {int} <span class=\"count\">n={n}</span></div></div>",
            name = escape(&r.name),
            v = 100.0 * e.value,
            lo = 100.0 * e.low,
            span = 100.0 * (e.high - e.low),
            pct = percent(e.value),
            int = interval(e),
            n = e.n,
        );
    }
    let _ = write!(w, "</div>");
    if let Some(r) = s.rate("extracted") {
        let _ = write!(
            w,
            "<p><span data-stat=\"extracted\">{}</span> of {} answered outputs wrapped their code in a Markdown fence; the checks ran on the code inside it. Not a check: a fenced answer is not a failure.</p>",
            r.passed, r.estimate.n
        );
    }
    if s.duration_not_determinable > 0 {
        let _ = write!(
            w,
            "<p>{} durations are not determinable and are left out of <code>duration_honoured</code>.</p>",
            s.duration_not_determinable
        );
    }
    if s.duration_not_stated > 0 {
        let _ = write!(
            w,
            "<p>{} outputs export no duration and neither does their gold code (the brief's duration is the catalog's); they are left out of <code>duration_honoured</code>.</p>",
            s.duration_not_stated
        );
    }
    let _ = write!(w, "</section>");
}

/// Against the baseline: each metric's paired difference, and the examples improved and regressed.
fn comparison(w: &mut String, e: &Evaluation) {
    if let (Some(c), Some(b)) = (&e.comparison, &e.baseline) {
        let _ = write!(
            w,
            "<section id=\"comparison\"><h2>Against the baseline</h2><p class=\"sub\">{}</p>\
             <table class=\"num\"><thead><tr><th>metric (this − baseline)</th><th>mean</th><th>95% interval</th>\
             <th>better</th><th>worse</th><th>ties</th><th>sign test p</th></tr></thead><tbody>",
            escape(&b.source)
        );
        for d in &c.differences {
            let (scale, unit) = if d.name == "similarity" {
                (1.0, "")
            } else {
                (100.0, " pts")
            };
            let class = if d.difference.low > 0.0 {
                "pos"
            } else if d.difference.high < 0.0 {
                "neg"
            } else {
                ""
            };
            let _ = write!(
                w,
                "<tr><td>{}</td><td class=\"{class}\" data-stat=\"diff-{}\">{:+.1}{unit}</td><td>[{:+.1}, {:+.1}]</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td></tr>",
                escape(&d.name),
                escape(&d.name),
                d.difference.value * scale,
                d.difference.low * scale,
                d.difference.high * scale,
                d.better,
                d.worse,
                d.ties,
                d.sign_test_p
            );
        }
        let _ = write!(
            w,
            "</tbody></table><p>Improved: {}</p><p>Regressed: {}</p></section>",
            ids(&c.improved),
            ids(&c.regressed)
        );
    }
}

/// Scores per template, per format and per prompt origin.
fn groups(w: &mut String, e: &Evaluation) {
    let [templates, formats, origins] = e.groups();
    for (title, groups) in [
        ("Per template", templates),
        ("Per format", formats),
        ("Per prompt origin", origins),
    ] {
        groups_table(w, title, &groups);
    }
}

/// The predictions lines not used, and why.
fn not_used(w: &mut String, e: &Evaluation) {
    let l = &e.predictions.leftovers;
    let _ = write!(
        w,
        "<section id=\"unused\"><h2>Not used <span class=\"count\">{}</span></h2>",
        l.total()
    );
    if l.total() == 0 {
        let _ = write!(w, "<p class=\"none\">Every line was used.</p>");
    } else {
        let _ = write!(
            w,
            "<table><thead><tr><th>line</th><th>why</th></tr></thead><tbody>"
        );
        let rows = l
            .bad_lines
            .first
            .iter()
            .map(|b| (b.line, b.why.clone()))
            .chain(
                l.unknown_ids
                    .first
                    .iter()
                    .map(|(id, line)| (*line, format!("{id} is not an example of this split"))),
            )
            .chain(l.duplicates.first.iter().map(|(id, line)| {
                (
                    *line,
                    format!("the same answer again for {id}; the first is scored"),
                )
            }))
            .chain(l.failed_attempts.first.iter().map(|(id, line)| {
                (
                    *line,
                    format!("a failed attempt for {id}; another line answers it"),
                )
            }));
        for (line, why) in rows {
            let _ = write!(
                w,
                "<tr><td>{}:{line}</td><td>{}</td></tr>",
                escape(&e.predictions.source),
                escape(&why)
            );
        }
        let listed = l.bad_lines.first.len()
            + l.unknown_ids.first.len()
            + l.duplicates.first.len()
            + l.failed_attempts.first.len();
        if l.total() > listed {
            let _ = write!(
                w,
                "<tr><td></td><td>… and {} more (the first {} of each kind are listed)</td></tr>",
                l.total() - listed,
                crate::eval::predictions::LISTED
            );
        }
        let _ = write!(w, "</tbody></table>");
    }
    let _ = write!(w, "</section>");
}

/// The worst examples: their brief, failing checks and the head of the output.
fn worst_examples(w: &mut String, e: &Evaluation) {
    let worst = worst(&e.predictions.rows);
    let _ = write!(
        w,
        "<section id=\"worst\"><h2>Worst examples <span class=\"count\">{} failing</span></h2>",
        worst.len()
    );
    for r in worst.into_iter().take(WORST) {
        let failing: Vec<(&Check, &String)> = r
            .checks
            .iter()
            .filter(|(_, v)| **v == Some(false))
            .filter_map(|(k, _)| Some((k, r.failures.get(k)?)))
            .collect();
        let _ = write!(
            w,
            "<details class=\"sample\" open><summary><b>{}</b> · chrF {:.1} · failing: {}</summary>\
             <p class=\"brief\">{}</p><ul>",
            escape(&r.id),
            r.similarity,
            escape(
                &failing
                    .iter()
                    .map(|(k, _)| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            escape(e.briefs.get(&r.id).map_or("", String::as_str)),
        );
        for (check, why) in &failing {
            let _ = write!(
                w,
                "<li><b>{}</b>: {}</li>",
                escape(check.name()),
                escape(why)
            );
        }
        let _ = write!(w, "</ul><pre>{}</pre></details>", escape(&r.head));
    }
    let _ = write!(w, "</section>");
}

/// `--render`: the outputs furthest from their gold's render, their frames beside the gold's.
fn furthest_renders(w: &mut String, e: &Evaluation) {
    let mut far: Vec<&Scored> = e
        .predictions
        .rows
        .iter()
        .filter(|r| r.strip.is_some())
        .collect();
    far.sort_by(|a, b| {
        let d = |r: &Scored| r.appearance.unwrap_or(0.0) + r.motion.unwrap_or(0.0);
        d(a).total_cmp(&d(b))
    });
    if !far.is_empty() {
        let _ = write!(
            w,
            "<section id=\"renders\"><h2>Furthest from the gold's render</h2>\
             <p class=\"sub\">Each output's frames under its gold's, at the same frames.</p>"
        );
        for r in far {
            let Some(strip) = &r.strip else { continue };
            let _ = write!(
                w,
                "<details class=\"sample\" open><summary><b>{}</b> · appearance {:.3} · motion {:.3}</summary>",
                escape(&r.id),
                r.appearance.unwrap_or(0.0),
                r.motion.unwrap_or(0.0)
            );
            for (label, frames) in [("gold", &strip.gold), ("output", &strip.output)] {
                let _ = write!(
                    w,
                    "<div class=\"strip\"><span class=\"count\">{label}</span>"
                );
                if frames.is_empty() {
                    let _ = write!(w, "<span class=\"none\">did not render</span>");
                }
                for src in frames {
                    // Our own PNG, base64: nothing from the output reaches the attribute.
                    let _ = write!(w, "<img alt=\"{label} frame\" src=\"{}\">", escape(src));
                }
                let _ = write!(w, "</div>");
            }
            let _ = write!(w, "</details>");
        }
        let _ = write!(w, "</section>");
    }
}

fn ids(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        escape(&ids.join(", "))
    }
}

fn groups_table(w: &mut String, title: &str, groups: &[(&str, &Scores)]) {
    let _ = write!(
        w,
        "<section><h2>{title}</h2><table class=\"num\"><thead><tr><th></th><th>n</th><th>pass</th><th>95% interval</th>\
         <th>parses</th><th>duration</th><th>Remotion API</th><th>chrF</th></tr></thead><tbody>"
    );
    let rate = |s: &Scores, name: &str| {
        s.rate(name)
            .filter(|r| r.estimate.n > 0)
            .map_or("-".to_string(), |r| percent(r.estimate.value))
    };
    for &(name, s) in groups {
        let pass = s
            .rate("pass")
            .map(|r| interval(&r.estimate))
            .unwrap_or_default();
        let _ = write!(
            w,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
            escape(name),
            s.examples,
            rate(s, "pass"),
            pass,
            rate(s, "parses"),
            rate(s, "duration_honoured"),
            rate(s, "remotion_api"),
            s.similarity.value
        );
    }
    let _ = write!(w, "</tbody></table></section>");
}
